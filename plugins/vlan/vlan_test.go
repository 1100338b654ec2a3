package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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

func templateJSON(r sdk.GeneratorResponse) string {
	b, _ := json.Marshal(r.Template)
	return string(b)
}

// The expected frames come from an independent implementation (Python).
const simpleUDPPacket = "4500002e00004000401124c90afa00010afa0002" + "30390009001a7130" + "000102030405060708090a0b0c0d0e0f1011"

func TestFrames(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		// VLAN 100
		{`{}`, "ffffffffffff020000000001" + "81000064" + "0800" + simpleUDPPacket},
		// QinQ: service VLAN 10, customer VLAN 200, both priority 5
		{`{"vlan":200,"outer_vlan":"10","pcp":5}`, "ffffffffffff020000000001" + "88a8a00a" + "8100a0c8" + "0800" + simpleUDPPacket},
	} {
		resps := run(t, tc.cfg, sdk.Request{DeviceMAC: deviceMAC})
		if got := hex.EncodeToString(resps[0].Template.BasePacket.Data); got != tc.want {
			t.Errorf("%s: frame\n got %s\nwant %s", tc.cfg, got, tc.want)
		}
		if got := templateJSON(resps[0]); strings.Contains(got, `"fields"`) || strings.Contains(got, `"flows"`) {
			t.Errorf("%s: a template without ranges has fields: %s", tc.cfg, got)
		}
		if m := resps[0].Metadata; m.PacketCount != 1 || len(m.Tags) != 1 || m.Tags[0] != "vlan" {
			t.Errorf("metadata %+v", m)
		}
	}
}

// The address and port fields move by 4 bytes per tag; the VLAN ids come
// after them, over the whole TCI, keeping the priority bits.
func TestRangesBecomeChainedFields(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{"vlan":"100-199","pcp":3,"src_ip_range":"10.0.0.1-10.0.0.4","dst_port_range":"7-8"}`, `"fields":[` +
			`{"offset":30,"size":4,"op":"inc","min":"10.0.0.1","max":"10.0.0.4"},` +
			`{"offset":40,"size":2,"op":"inc","min":7,"max":8,"chain":true},` +
			`{"offset":14,"size":2,"op":"inc","min":24676,"max":24775,"chain":true}]}`}, // 3<<13 | 100 .. 3<<13 | 199
		{`{"outer_vlan":"1-10","vlan":"4000-4094","dst_ip_range":"10.0.1.0-10.0.1.255","src_port_range":"1000-1001","flows":500}`, `"fields":[` +
			`{"offset":38,"size":4,"op":"inc","min":"10.0.1.0","max":"10.0.1.255"},` +
			`{"offset":42,"size":2,"op":"inc","min":1000,"max":1001,"chain":true},` +
			`{"offset":14,"size":2,"op":"inc","min":1,"max":10,"chain":true},` +
			`{"offset":18,"size":2,"op":"inc","min":4000,"max":4094,"chain":true}],"flows":500}`},
		{`{"outer_vlan":"1-2","vlan":7,"vary":"random","seed":40}`, `"fields":[` +
			`{"offset":14,"size":2,"op":"random","min":1,"max":2,"seed":40}]}`},
	} {
		resps := run(t, tc.cfg, sdk.Request{DeviceMAC: deviceMAC})
		if got := templateJSON(resps[0]); !strings.HasSuffix(got, tc.want) {
			t.Errorf("%s: template\n got %s\nwant ...%s", tc.cfg, got, tc.want)
		}
	}
	// The base frame carries each range's first value.
	resps := run(t, `{"outer_vlan":"5-6","vlan":"4000-4094","pcp":7,"dst_port_range":"7-8"}`, sdk.Request{DeviceMAC: deviceMAC})
	b := resps[0].Template.BasePacket.Data
	if tcis := hex.EncodeToString(b[12:20]); tcis != "88a8e0058100efa0" || binary.BigEndian.Uint16(b[44:]) != 7 {
		t.Fatalf("base frame tags %s, dst port %d", tcis, binary.BigEndian.Uint16(b[44:]))
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{"vlan":0}`, `vlan "0": 0 is out of range 1..4094`},
		{`{"vlan":"1-4095"}`, `vlan "1-4095": 4095 is out of range 1..4094`},
		{`{"vlan":""}`, `vlan "" is not a number or a range A-B of numbers in 1..4094`},
		{`{"outer_vlan":"20-10"}`, `outer_vlan "20-10" runs backwards: 20 is after 10`},
		{`{"outer_vlan":true}`, `config key "outer_vlan" must be a range "A-B" or a single value, not a boolean`},
		{`{"pcp":8}`, "pcp 8 is out of range 0..7"},
		{`{"src_ip":"fd00::1"}`, `src_ip "fd00::1" is not an IPv4 address`},
		{`{"dst_port_range":"1-x"}`, `dst_port_range "1-x" is not a number or a range A-B of numbers in 1..65535`},
		{`{"src_ip_range":"0.0.0.0-255.255.255.255","dst_ip_range":"0.0.0.1-255.255.255.255","vlan":"1-2"}`,
			"src_ip_range × dst_ip_range × vlan make more flows than a template can count (2^64-1): narrow a range"},
	} {
		if err := configure([]byte(tc.cfg)); err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// The tags do not count against the MTU: the IP packet may fill it.
func TestPayloadFillsMTU(t *testing.T) {
	resps := run(t, `{"outer_vlan":1,"payload_size":1472}`, sdk.Request{DeviceMAC: deviceMAC, MTU: 1500})
	if n := len(resps[0].Template.BasePacket.Data); n != 1522 {
		t.Fatalf("frame is %d bytes, want 1522", n)
	}
}
