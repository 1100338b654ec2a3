package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	sdk "xdperf/plugins/sdk/go"
)

var deviceMAC = []byte{0x02, 0, 0, 0, 0, 0x01}

func run(t *testing.T, cfg string, req sdk.Request) []sdk.GeneratorResponse {
	t.Helper()
	if err := configure([]byte(cfg)); err != nil {
		t.Fatalf("configure(%s): %v", cfg, err)
	}
	resps, err := templates(req)
	if err != nil {
		t.Fatalf("templates: %v", err)
	}
	return resps
}

// The expected frames come from an independent implementation (Python).
func TestFrames(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{}`, "ffffffffffff020000000001" + "86dd" + // Ethernet: broadcast <- device, IPv6
			"60000000001a1140" + // version 6, payload length 26, UDP, hop limit 64
			"fd000250000000000000000000000001" + "fd000250000000000000000000000002" +
			"30390009001a8882" + // UDP 12345 -> 9, length 26, checksum 8882
			"000102030405060708090a0b0c0d0e0f1011"},
		{`{"src_ip":"2001:db8::10","dst_ip":"2001:db8:1::7","src_port":0,"dst_port":65535,"hop_limit":1,"traffic_class":184,"flow_label":74565,"payload_size":3}`,
			"ffffffffffff020000000001" + "86dd" +
				"6b812345000b1101" + // traffic class 0xb8, flow label 0x12345
				"20010db8000000000000000000000010" + "20010db8000100000000000000000007" +
				"0000ffff000ba24d" + "000102"},
	} {
		resps := run(t, tc.cfg, sdk.Request{DeviceMAC: deviceMAC})
		if got := hex.EncodeToString(resps[0].Template.BasePacket.Data); got != tc.want {
			t.Errorf("%s: frame\n got %s\nwant %s", tc.cfg, got, tc.want)
		}
		if b, _ := json.Marshal(resps[0].Template); strings.Contains(string(b), `"fields"`) {
			t.Errorf("%s: a template without ranges has fields: %s", tc.cfg, b)
		}
		if m := resps[0].Metadata; m.PacketCount != 1 || len(m.Tags) != 1 || m.Tags[0] != "udp6" {
			t.Errorf("metadata %+v", m)
		}
	}
}

func TestRangesBecomeChainedFields(t *testing.T) {
	resps := run(t, `{"src_ip_range":"fd00::1:0-fd00::1:ff","dst_ip_range":"fd00::2:ffff:ffff:0-fd00::2:ffff:ffff:9","dst_port_range":"5000-5099","flows":1000,"vary":"random","seed":1}`,
		sdk.Request{DeviceMAC: deviceMAC})
	b, _ := json.Marshal(resps[0].Template)
	want := `"fields":[` +
		`{"offset":22,"size":16,"op":"random","min":"fd00::1:0","max":"fd00::1:ff","seed":1},` +
		`{"offset":38,"size":16,"op":"random","min":"fd00::2:ffff:ffff:0","max":"fd00::2:ffff:ffff:9","seed":2,"chain":true},` +
		`{"offset":56,"size":2,"op":"random","min":5000,"max":5099,"seed":3,"chain":true}],"flows":1000}`
	if !strings.HasSuffix(string(b), want) {
		t.Fatalf("template\n got %s\nwant ...%s", b, want)
	}
	// The base frame is the first flow.
	frame := resps[0].Template.BasePacket.Data
	src, _ := netip.AddrFromSlice(frame[22:38])
	dst, _ := netip.AddrFromSlice(frame[38:54])
	if src.String() != "fd00::1:0" || dst.String() != "fd00::2:ffff:ffff:0" || binary.BigEndian.Uint16(frame[56:]) != 5000 {
		t.Fatalf("base frame: %s -> %s port %d", src, dst, binary.BigEndian.Uint16(frame[56:]))
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  string
		req  sdk.Request
		want string
	}{
		{`{"src_ip":"10.0.0.1"}`, sdk.Request{}, `src_ip "10.0.0.1" is not an IPv6 address`},
		{`{"dst_ip":"fe80::1%eth0"}`, sdk.Request{}, `dst_ip "fe80::1%eth0" is not an IPv6 address`},
		{`{"flow_label":1048576}`, sdk.Request{}, "flow_label 1048576 is out of range 0..1048575"},
		{`{"hop_limit":256}`, sdk.Request{}, "hop_limit 256 is out of range 0..255"},
		{`{"payload_size":65528}`, sdk.Request{}, "payload_size 65528 is out of range 0..65527"},
		{`{"src_ip_range":"10.0.0.1-10.0.0.2"}`, sdk.Request{}, `src_ip_range "10.0.0.1-10.0.0.2" is not an IPv6 address or a range like fd00::1-fd00::ff`},
		{`{"dst_ip_range":"fd00::1-fd01::1"}`, sdk.Request{}, `dst_ip_range "fd00::1-fd01::1" varies more than the low 64 bits: both ends must share the first 64`},
		{`{"src_port_range":"9-1"}`, sdk.Request{}, `src_port_range "9-1" runs backwards: 9 is after 1`},
		{`{"payload_size":1453}`, sdk.Request{DeviceMAC: deviceMAC}, "payload_size 1453 does not fit the MTU 1500 of device (unnamed): at most 1452"},
	} {
		err := configure([]byte(tc.cfg))
		if err == nil {
			_, err = templates(tc.req)
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
