package sdk

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
)

var (
	testSrcMAC = MAC{0x02, 0, 0, 0, 0, 0x01}
	ipv4Frame  = UDPFrame{
		SrcMAC: testSrcMAC, DstMAC: BroadcastMAC, Endpoints: ipv4Single, HopLimit: 64, PayloadSize: 18,
	}
)

// The expected frames come from an independent implementation (Python).
func TestUDPFrameBytes(t *testing.T) {
	qinq := ipv4Frame
	qinq.VLANTags = []VLANTag{{TPIDService, 5<<13 | 10}, {TPIDCustomer, 5<<13 | 200}}
	ipv6 := UDPFrame{
		SrcMAC: testSrcMAC, DstMAC: BroadcastMAC, HopLimit: 1, TrafficClass: 0xb8, FlowLabel: 0x12345, PayloadSize: 3,
		Endpoints: Endpoints{SrcIP: netip.MustParseAddr("2001:db8::10"), DstIP: netip.MustParseAddr("2001:db8:1::7"), DstPort: 65535},
	}
	for _, tc := range []struct {
		name                  string
		frame                 UDPFrame
		ipAt, udpAt, innerTCI int
		want                  string
	}{
		{"IPv4", ipv4Frame, 14, 34, 0, "ffffffffffff020000000001" + "0800" +
			"4500002e00004000401124c90afa00010afa0002" + "30390009001a7130" + "000102030405060708090a0b0c0d0e0f1011"},
		{"QinQ", qinq, 22, 42, 18, "ffffffffffff020000000001" + "88a8a00a" + "8100a0c8" + "0800" +
			"4500002e00004000401124c90afa00010afa0002" + "30390009001a7130" + "000102030405060708090a0b0c0d0e0f1011"},
		{"IPv6", ipv6, 14, 54, 0, "ffffffffffff020000000001" + "86dd" +
			"6b812345000b1101" + "20010db8000000000000000000000010" + "20010db8000100000000000000000007" +
			"0000ffff000ba24d" + "000102"},
	} {
		if got := hex.EncodeToString(tc.frame.Bytes()); got != tc.want {
			t.Errorf("%s frame\n got %s\nwant %s", tc.name, got, tc.want)
		}
		if tc.frame.IPOffset() != tc.ipAt || tc.frame.UDPOffset() != tc.udpAt {
			t.Errorf("%s: IP at %d, UDP at %d; want %d, %d", tc.name, tc.frame.IPOffset(), tc.frame.UDPOffset(), tc.ipAt, tc.udpAt)
		}
		if len(tc.frame.VLANTags) == 2 && (tc.frame.TCIOffset(0) != 14 || tc.frame.TCIOffset(1) != tc.innerTCI) {
			t.Errorf("%s: TCIs at %d and %d", tc.name, tc.frame.TCIOffset(0), tc.frame.TCIOffset(1))
		}
	}
}

func TestForRequest(t *testing.T) {
	frames, err := ipv4Frame.ForRequest(Request{DeviceMAC: testSrcMAC[:], DstMAC: []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, Count: 3},
		nil, nil, SingleNumber("src_port", 12345))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if f.SrcPort != uint16(12345+i) || f.DstMAC.String() != "aa:bb:cc:dd:ee:ff" || f.SrcMAC != testSrcMAC {
			t.Errorf("frame %d: %+v", i, f)
		}
	}
	ipv6 := ipv4Frame
	ipv6.SrcIP, ipv6.DstIP = netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")
	ipv6.PayloadSize = 1453
	lastPort := ipv4Frame
	lastPort.SrcPort = 65535
	for _, tc := range []struct {
		frame UDPFrame
		req   Request
		ports NumberRange
		want  string
	}{
		{ipv4Frame, Request{DeviceMAC: testSrcMAC[:], Count: 2}, NumberRange{Key: "src_port_range", First: 1, Last: 2},
			"2 templates would each vary the source port over src_port_range 1-2: ask for 1 template"},
		{lastPort, Request{DeviceMAC: testSrcMAC[:], Count: 2}, SingleNumber("src_port_range", 65535),
			"2 templates need src ports 65535..65536, past 65535: lower src_port_range"},
		{ipv6, Request{DeviceMAC: testSrcMAC[:], DeviceName: "veth0"}, SingleNumber("src_port", 1),
			"payload_size 1453 does not fit the MTU 1500 of device veth0: at most 1452"},
	} {
		if _, err := tc.frame.ForRequest(tc.req, nil, nil, tc.ports); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
