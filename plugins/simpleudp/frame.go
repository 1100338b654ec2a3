package main

import (
	"encoding/binary"
	"net/netip"

	sdk "xdperf/plugins/sdk/go"
)

const (
	ethHeaderLen  = 14
	ipv4HeaderLen = 20
	udpHeaderLen  = 8

	etherTypeIPv4 = 0x0800
	protoUDP      = 17
	ipv4DontFrag  = 0x4000
)

// flow is everything one frame depends on.
type flow struct {
	srcMAC, dstMAC   sdk.MAC
	srcIP, dstIP     netip.Addr
	srcPort, dstPort uint16
	ttl, tos         uint8
	payloadSize      int
}

// frame lays out the frame described in the package comment.
func (f flow) frame() []byte {
	b := make([]byte, ethHeaderLen+ipv4HeaderLen+udpHeaderLen+f.payloadSize)

	copy(b[0:6], f.dstMAC[:])
	copy(b[6:12], f.srcMAC[:])
	binary.BigEndian.PutUint16(b[12:14], etherTypeIPv4)

	ip := b[ethHeaderLen : ethHeaderLen+ipv4HeaderLen]
	ip[0] = 4<<4 | ipv4HeaderLen/4
	ip[1] = f.tos
	binary.BigEndian.PutUint16(ip[2:4], uint16(ipv4HeaderLen+udpHeaderLen+f.payloadSize))
	// Identification stays 0: with Don't Fragment set the datagram is
	// atomic, and RFC 6864 lets atomic datagrams carry any ID.
	binary.BigEndian.PutUint16(ip[6:8], ipv4DontFrag)
	ip[8] = f.ttl
	ip[9] = protoUDP
	src, dst := f.srcIP.As4(), f.dstIP.As4()
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:12], sdk.IPv4HeaderChecksum(ip))

	udp := b[ethHeaderLen+ipv4HeaderLen:]
	binary.BigEndian.PutUint16(udp[0:2], f.srcPort)
	binary.BigEndian.PutUint16(udp[2:4], f.dstPort)
	binary.BigEndian.PutUint16(udp[4:6], uint16(len(udp)))
	for i := range udp[udpHeaderLen:] {
		udp[udpHeaderLen+i] = byte(i)
	}
	binary.BigEndian.PutUint16(udp[6:8], sdk.UDPChecksum(f.srcIP, f.dstIP, udp))
	return b
}
