package sdk

import (
	"encoding/binary"
	"net/netip"
)

// Checksum returns the Internet checksum of b (RFC 1071): the one's
// complement of the one's complement sum of its big-endian 16-bit words, an
// odd last byte padded with zero.
func Checksum(b []byte) uint16 {
	return ^fold(sum(0, b))
}

// IPv4HeaderChecksum returns the checksum of an IPv4 header (options
// included), computed as if its checksum field, bytes 10-11, were zero so the
// caller need not clear it first.
func IPv4HeaderChecksum(header []byte) uint16 {
	return ^fold(sum(sum(0, header[:10]), header[12:]))
}

// UDPChecksum returns the checksum of a UDP datagram (header and payload)
// between src and dst, both IPv4 or both IPv6, over the pseudo-header. The
// datagram's checksum field, bytes 6-7, counts as zero. A result of zero is
// returned as 0xffff, since zero on the wire means "no checksum" (RFC 768).
func UDPChecksum(src, dst netip.Addr, datagram []byte) uint16 {
	c := transportChecksum(src, dst, 17, datagram, 6)
	if c == 0 {
		return 0xffff
	}
	return c
}

// TCPChecksum returns the checksum of a TCP segment (header and payload)
// between src and dst, both IPv4 or both IPv6, over the pseudo-header. The
// segment's checksum field, bytes 16-17, counts as zero.
func TCPChecksum(src, dst netip.Addr, segment []byte) uint16 {
	return transportChecksum(src, dst, 6, segment, 16)
}

func transportChecksum(src, dst netip.Addr, proto uint8, segment []byte, field int) uint16 {
	s := pseudoHeaderSum(src, dst, proto, len(segment))
	return ^fold(sum(sum(s, segment[:field]), segment[field+2:]))
}

// pseudoHeaderSum adds up the IPv4 (RFC 768) or IPv6 (RFC 8200) pseudo-header.
// Both put the protocol and the length in the sum the same way: words are
// added modulo 0xffff, where the 32-bit IPv6 length equals its two halves.
func pseudoHeaderSum(src, dst netip.Addr, proto uint8, length int) uint64 {
	src, dst = src.Unmap(), dst.Unmap()
	var s uint64
	if src.Is4() && dst.Is4() {
		a, b := src.As4(), dst.As4()
		s = sum(sum(0, a[:]), b[:])
	} else {
		a, b := src.As16(), dst.As16()
		s = sum(sum(0, a[:]), b[:])
	}
	return s + uint64(proto) + uint64(length)
}

// sum adds b's 16-bit words to s. Only the last piece of a split message may
// have an odd length.
func sum(s uint64, b []byte) uint64 {
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

func fold(s uint64) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}
