package sdk

import (
	"encoding/hex"
	"net/netip"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIPv4HeaderChecksum(t *testing.T) {
	// The worked example from Wikipedia's "IPv4 header checksum" article.
	hdr := unhex(t, "450000730000400040110000c0a80001c0a800c7")
	if got := IPv4HeaderChecksum(hdr); got != 0xb861 {
		t.Fatalf("checksum = %#04x, want 0xb861", got)
	}
	hdr[10], hdr[11] = 0xde, 0xad
	if got := IPv4HeaderChecksum(hdr); got != 0xb861 {
		t.Fatalf("with a stale checksum field: %#04x, want 0xb861", got)
	}
	hdr[10], hdr[11] = 0xb8, 0x61
	if got := Checksum(hdr); got != 0 {
		t.Fatalf("a header with its checksum must sum to zero, got %#04x", got)
	}
}

func TestChecksumOddLength(t *testing.T) {
	if got, want := Checksum([]byte{0x01, 0x02, 0x03}), ^uint16(0x0102+0x0300); got != want {
		t.Fatalf("Checksum = %#04x, want %#04x", got, want)
	}
}

// The expected values come from an independent implementation (Python).
func TestTransportChecksums(t *testing.T) {
	v4src, v4dst := netip.MustParseAddr("10.250.0.1"), netip.MustParseAddr("10.250.0.2")
	udp4 := unhex(t, "30390009001a0000000102030405060708090a0b0c0d0e0f1011")
	if got := UDPChecksum(v4src, v4dst, udp4); got != 0x7130 {
		t.Errorf("UDP/IPv4 = %#04x, want 0x7130", got)
	}
	udp6 := append(unhex(t, "30390009000dffff"), "hello"...) // stale checksum field, ignored
	if got := UDPChecksum(netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), udp6); got != 0x304b {
		t.Errorf("UDP/IPv6 = %#04x, want 0x304b", got)
	}
	syn := unhex(t, "9c40005000000001000000005002ffff00000000")
	if got := TCPChecksum(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), syn); got != 0x8f4d {
		t.Errorf("TCP/IPv4 = %#04x, want 0x8f4d", got)
	}
}

func TestUDPChecksumZeroIsSentAsOnes(t *testing.T) {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	d := unhex(t, "12345678000a00000000")
	// Choose the last word so that the sum is 0xffff, whose complement is 0.
	s := fold(sum(pseudoHeaderSum(src, dst, 17, len(d)), d))
	d[8], d[9] = byte((0xffff-s)>>8), byte(0xffff-s)
	if got := UDPChecksum(src, dst, d); got != 0xffff {
		t.Fatalf("UDPChecksum = %#04x, want 0xffff", got)
	}
}
