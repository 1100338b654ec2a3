package sdk

import (
	"encoding/binary"
	"fmt"
)

// Header sizes of the frames UDPFrame lays out.
const (
	EthernetHeaderLen = 14
	VLANTagLen        = 4
	IPv4HeaderLen     = 20 // without options
	IPv6HeaderLen     = 40 // without extension headers
	UDPHeaderLen      = 8
)

const (
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd
	protoUDP      = 17
	ipv4DontFrag  = 0x4000
)

// TPIDs of the VLAN tags a frame may carry.
const (
	// TPIDCustomer tags an 802.1Q VLAN, and the inner tag of QinQ.
	TPIDCustomer = 0x8100
	// TPIDService tags the outer VLAN of QinQ (802.1ad).
	TPIDService = 0x88a8
)

// VLANTag is one 802.1Q/802.1ad tag: its TPID and its TCI (priority in the
// top 3 bits, the drop-eligible bit, then the 12-bit VLAN id).
type VLANTag struct {
	TPID, TCI uint16
}

// UDPFrame is an Ethernet II frame carrying one UDP datagram over IPv4 or
// IPv6, as the bundled UDP plugins send it:
//
//   - Ethernet: DstMAC, SrcMAC, then each of VLANTags, outermost first, then
//     the type of the IP header;
//   - IPv4 (when SrcIP is): a 20-byte header, no options, identification 0
//     with Don't Fragment set (RFC 6864 lets such atomic datagrams carry any
//     ID), TTL HopLimit, TOS TrafficClass, header checksum filled in;
//   - IPv6 (when SrcIP is): a 40-byte header, no extension headers;
//   - UDP: checksum over the pseudo-header filled in (0 sent as 0xffff), so
//     the frame is valid as it is, as the host requires of a template
//     without fields;
//   - PayloadSize bytes of payload, byte i being i mod 256.
type UDPFrame struct {
	SrcMAC, DstMAC MAC
	VLANTags       []VLANTag
	Endpoints      // SrcIP and DstIP of one family
	HopLimit       uint8
	TrafficClass   uint8
	FlowLabel      uint32 // IPv6 only, 20 bits
	PayloadSize    int
}

// IPOffset is where the IP header starts.
func (f UDPFrame) IPOffset() int {
	return EthernetHeaderLen + VLANTagLen*len(f.VLANTags)
}

// TCIOffset is where the TCI of VLAN tag i (0 the outermost) starts.
func (f UDPFrame) TCIOffset(i int) int {
	return 2*len(MAC{}) + i*VLANTagLen + 2 // past the MACs, the tags before and the TPID
}

// UDPOffset is where the UDP header starts.
func (f UDPFrame) UDPOffset() int {
	if f.SrcIP.Is6() {
		return f.IPOffset() + IPv6HeaderLen
	}
	return f.IPOffset() + IPv4HeaderLen
}

// ForRequest completes f, whose MACs are not set yet, for a request: its
// MACs as FrameMACs picks them (srcMAC and dstMAC are the src_mac and
// dst_mac keys, nil when not set), a payload that must fit the device's MTU,
// and as many frames as the request's count asks for: frame i sends from
// f's source port + i, so that the flows spread over the receiver's RSS
// queues. srcPorts is the source port range the plugin's fields vary; more
// than one frame is refused with one of more than one port, since every
// template would then send the same flows.
func (f UDPFrame) ForRequest(req Request, srcMAC, dstMAC *MAC, srcPorts NumberRange) ([]UDPFrame, error) {
	var err error
	if f.SrcMAC, f.DstMAC, err = req.FrameMACs(srcMAC, dstMAC, f.DstIP); err != nil {
		return nil, err
	}
	mtu := req.LinkMTU()
	if maxPayload := mtu - (f.UDPOffset() - f.IPOffset()) - UDPHeaderLen; f.PayloadSize > maxPayload {
		return nil, fmt.Errorf("payload_size %d does not fit the MTU %d of device %s: at most %d", f.PayloadSize, mtu, req.Device(), maxPayload)
	}
	count := max(req.Count, 1)
	if count > 1 && srcPorts.First != srcPorts.Last {
		return nil, fmt.Errorf("%d templates would each vary the source port over %s %s: ask for 1 template", count, srcPorts.Key, srcPorts)
	}
	if last := int(f.SrcPort) + count - 1; last > 65535 {
		return nil, fmt.Errorf("%d templates need src ports %d..%d, past 65535: lower %s", count, f.SrcPort, last, srcPorts.Key)
	}
	frames := make([]UDPFrame, count)
	for i := range frames {
		frames[i] = f
		frames[i].SrcPort += uint16(i)
	}
	return frames, nil
}

// Bytes lays the frame out.
func (f UDPFrame) Bytes() []byte {
	udpLen := UDPHeaderLen + f.PayloadSize
	b := make([]byte, f.UDPOffset()+udpLen)

	copy(b[0:6], f.DstMAC[:])
	copy(b[6:12], f.SrcMAC[:])
	at := 12
	for _, tag := range f.VLANTags {
		binary.BigEndian.PutUint16(b[at:], tag.TPID)
		binary.BigEndian.PutUint16(b[at+2:], tag.TCI)
		at += VLANTagLen
	}

	ip := b[f.IPOffset():f.UDPOffset()]
	if f.SrcIP.Is6() {
		binary.BigEndian.PutUint16(b[at:], etherTypeIPv6)
		binary.BigEndian.PutUint32(ip[0:4], 6<<28|uint32(f.TrafficClass)<<20|f.FlowLabel&0xfffff)
		binary.BigEndian.PutUint16(ip[4:6], uint16(udpLen))
		ip[6] = protoUDP
		ip[7] = f.HopLimit
		src, dst := f.SrcIP.As16(), f.DstIP.As16()
		copy(ip[8:24], src[:])
		copy(ip[24:40], dst[:])
	} else {
		binary.BigEndian.PutUint16(b[at:], etherTypeIPv4)
		ip[0] = 4<<4 | IPv4HeaderLen/4
		ip[1] = f.TrafficClass
		binary.BigEndian.PutUint16(ip[2:4], uint16(IPv4HeaderLen+udpLen))
		binary.BigEndian.PutUint16(ip[6:8], ipv4DontFrag)
		ip[8] = f.HopLimit
		ip[9] = protoUDP
		src, dst := f.SrcIP.As4(), f.DstIP.As4()
		copy(ip[12:16], src[:])
		copy(ip[16:20], dst[:])
		binary.BigEndian.PutUint16(ip[10:12], IPv4HeaderChecksum(ip))
	}

	udp := b[f.UDPOffset():]
	binary.BigEndian.PutUint16(udp[0:2], f.SrcPort)
	binary.BigEndian.PutUint16(udp[2:4], f.DstPort)
	binary.BigEndian.PutUint16(udp[4:6], uint16(udpLen))
	for i := range udp[UDPHeaderLen:] {
		udp[UDPHeaderLen+i] = byte(i)
	}
	binary.BigEndian.PutUint16(udp[6:8], UDPChecksum(f.SrcIP, f.DstIP, udp))
	return b
}
