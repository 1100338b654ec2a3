package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	sdk "xdperf/plugins/sdk/go"
)

var deviceMAC = []byte{0x02, 0, 0, 0, 0, 0x01}

func run(t *testing.T, cfg string, req sdk.Request) ([]sdk.GeneratorResponse, error) {
	t.Helper()
	if err := configure([]byte(cfg)); err != nil {
		t.Fatalf("configure(%s): %v", cfg, err)
	}
	return templates(req)
}

// The expected frame comes from an independent implementation (Python).
func TestDefaultFrame(t *testing.T) {
	resps, err := run(t, `{}`, sdk.Request{DeviceMAC: deviceMAC})
	if err != nil {
		t.Fatal(err)
	}
	want := "ffffffffffff020000000001" + "0800" + // Ethernet: broadcast <- device, IPv4
		"4500002e00004000401124c90afa00010afa0002" + // IPv4: DF, ttl 64, UDP, checksum 24c9
		"30390009001a7130" + // UDP 12345 -> 9, length 26, checksum 7130
		"000102030405060708090a0b0c0d0e0f1011" // payload: byte i is i
	if len(resps) != 1 {
		t.Fatalf("%d templates, want 1", len(resps))
	}
	if got := hex.EncodeToString(resps[0].Template.BasePacket.Data); got != want {
		t.Fatalf("frame\n got %s\nwant %s", got, want)
	}
	if m := resps[0].Metadata; m.PacketCount != 1 || m.RatePPS != 0 || len(m.Tags) != 1 || m.Tags[0] != "udp" {
		t.Fatalf("metadata %+v", m)
	}
}

// onesSum is RFC 1071's sum, written independently of the SDK's.
func onesSum(chunks ...[]byte) uint16 {
	var s uint32
	for _, b := range chunks {
		if len(b)%2 == 1 {
			b = append(b[:len(b):len(b)], 0)
		}
		for i := 0; i < len(b); i += 2 {
			s += uint32(b[i])<<8 | uint32(b[i+1])
		}
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func TestFrameFieldsAndChecksums(t *testing.T) {
	for _, size := range []int{0, 1, 17, 255, 256, 1471, 1472} {
		cfg := fmt.Sprintf(`{"src_ip":"192.0.2.10","dst_ip":"198.51.100.7","src_port":0,"dst_port":65535,"ttl":1,"tos":184,"payload_size":%d}`, size)
		resps, err := run(t, cfg, sdk.Request{DeviceMAC: deviceMAC, MTU: 1500})
		if err != nil {
			t.Fatal(err)
		}
		b := resps[0].Template.BasePacket.Data
		if len(b) != 42+size {
			t.Fatalf("size %d: frame is %d bytes, want %d", size, len(b), 42+size)
		}
		ip, udp := b[14:34], b[34:]
		be := binary.BigEndian
		switch {
		case ip[0] != 0x45, ip[1] != 184, int(be.Uint16(ip[2:])) != 28+size, be.Uint16(ip[4:]) != 0,
			be.Uint16(ip[6:]) != 0x4000, ip[8] != 1, ip[9] != 17,
			!bytes.Equal(ip[12:16], []byte{192, 0, 2, 10}), !bytes.Equal(ip[16:20], []byte{198, 51, 100, 7}):
			t.Fatalf("size %d: IPv4 header % x", size, ip)
		case be.Uint16(udp[0:]) != 0, be.Uint16(udp[2:]) != 65535, int(be.Uint16(udp[4:])) != 8+size:
			t.Fatalf("size %d: UDP header % x", size, udp[:8])
		case onesSum(ip) != 0xffff:
			t.Fatalf("size %d: IPv4 header checksum does not verify", size)
		}
		pseudo := append(append([]byte{}, ip[12:20]...), 0, 17, byte(len(udp)>>8), byte(len(udp)))
		if onesSum(pseudo, udp) != 0xffff || be.Uint16(udp[6:]) == 0 {
			t.Fatalf("size %d: UDP checksum %#04x does not verify", size, be.Uint16(udp[6:]))
		}
		for i, c := range udp[8:] {
			if c != byte(i) {
				t.Fatalf("size %d: payload byte %d is %d", size, i, c)
			}
		}
	}
}

func TestMACPrecedence(t *testing.T) {
	neighbour := []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	for _, tc := range []struct {
		cfg      string
		req      sdk.Request
		dst, src string
	}{
		{`{"dst_mac":"02:00:00:00:00:99"}`, sdk.Request{DeviceMAC: deviceMAC, DstMAC: neighbour}, "020000000099", "020000000001"},
		{`{}`, sdk.Request{DeviceMAC: deviceMAC, DstMAC: neighbour}, "aabbccddeeff", "020000000001"},
		{`{}`, sdk.Request{DeviceMAC: deviceMAC}, "ffffffffffff", "020000000001"},
		{`{"src_mac":"02-00-00-00-00-42"}`, sdk.Request{DeviceMAC: deviceMAC}, "ffffffffffff", "020000000042"},
		{`{"src_mac":"02:00:00:00:00:42"}`, sdk.Request{}, "ffffffffffff", "020000000042"},
	} {
		resps, err := run(t, tc.cfg, tc.req)
		if err != nil {
			t.Fatal(err)
		}
		b := resps[0].Template.BasePacket.Data
		if dst, src := hex.EncodeToString(b[:6]), hex.EncodeToString(b[6:12]); dst != tc.dst || src != tc.src {
			t.Errorf("%s %+v: dst %s src %s, want dst %s src %s", tc.cfg, tc.req, dst, src, tc.dst, tc.src)
		}
	}
}

func TestCountVariesSourcePort(t *testing.T) {
	resps, err := run(t, `{"src_port":65533}`, sdk.Request{DeviceMAC: deviceMAC, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(resps) != 3 {
		t.Fatalf("%d templates, want 3", len(resps))
	}
	for i, r := range resps {
		b := r.Template.BasePacket.Data
		if port := binary.BigEndian.Uint16(b[34:]); port != uint16(65533+i) {
			t.Errorf("template %d: src port %d, want %d", i, port, 65533+i)
		}
		if !bytes.Equal(b[:34], resps[0].Template.BasePacket.Data[:34]) || !bytes.Equal(b[36:40], resps[0].Template.BasePacket.Data[36:40]) {
			t.Errorf("template %d differs from template 0 outside the source port and UDP checksum", i)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  string
		req  sdk.Request
		want string
	}{
		{`{"src_ip":"1.2.3"}`, sdk.Request{}, `src_ip "1.2.3" is not an IPv4 address`},
		{`{"dst_ip":"2001:db8::1"}`, sdk.Request{}, `dst_ip "2001:db8::1" is not an IPv4 address`},
		{`{"src_port":-1}`, sdk.Request{}, "src_port -1 is out of range 0..65535"},
		{`{"dst_port":0}`, sdk.Request{}, "dst_port 0 is out of range 1..65535"},
		{`{"dst_port":65536}`, sdk.Request{}, "dst_port 65536 is out of range 1..65535"},
		{`{"ttl":256}`, sdk.Request{}, "ttl 256 is out of range 0..255"},
		{`{"tos":-1}`, sdk.Request{}, "tos -1 is out of range 0..255"},
		{`{"payload_size":-1}`, sdk.Request{}, "payload_size -1 is out of range 0..65507"},
		{`{"dst_mac":"ff:ff"}`, sdk.Request{}, `dst_mac "ff:ff" is not a MAC address: want six hex pairs like 02:00:00:00:00:01`},
		{`{"dst_port":"9"}`, sdk.Request{}, `config key "dst_port" must be an integer, not a string`},
		{`{"src_ip_range":"10.0.0.9-10.0.0.1"}`, sdk.Request{}, `src_ip_range "10.0.0.9-10.0.0.1" runs backwards: 10.0.0.9 is after 10.0.0.1`},
		{`{"dst_ip_range":"10.0.0.1-fd00::1"}`, sdk.Request{}, `dst_ip_range "10.0.0.1-fd00::1" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254`},
		{`{"src_port_range":"0-100"}`, sdk.Request{}, `src_port_range "0-100": 0 is out of range 1..65535`},
		{`{"dst_port_range":"20000-70000"}`, sdk.Request{}, `dst_port_range "20000-70000": 70000 is out of range 1..65535`},
		{`{"dst_port_range":[1,2]}`, sdk.Request{}, `config key "dst_port_range" must be a range "A-B" or a single value, not an array`},
		{`{"vary":"rand"}`, sdk.Request{}, `vary "rand" must be sequential or random`},
		{`{"seed":-1}`, sdk.Request{}, "seed -1 is out of range 0..9007199254740984"},
		{`{"flows":0}`, sdk.Request{}, "flows 0 is out of range 1..9007199254740991"},
		{`{"src_ip_range":"0.0.0.0-255.255.255.255","dst_ip_range":"0.0.0.0-255.255.255.255"}`, sdk.Request{},
			"src_ip_range × dst_ip_range make more flows than a template can count (2^64-1): narrow a range"},
		{`{"src_port_range":"1000-1999"}`, sdk.Request{DeviceMAC: deviceMAC, Count: 2},
			"2 templates would each vary the source port over src_port_range 1000-1999: ask for 1 template"},
		{`{"payload":18}`, sdk.Request{}, `unknown config key "payload" (known keys: dst_ip, dst_ip_range, dst_mac, dst_port, dst_port_range, flows, payload_size, seed, src_ip, src_ip_range, src_mac, src_port, src_port_range, tos, ttl, vary)`},
		{`{"payload_size":1473}`, sdk.Request{DeviceMAC: deviceMAC}, "payload_size 1473 does not fit the MTU 1500 of device (unnamed): at most 1472"},
		{`{"payload_size":8973}`, sdk.Request{DeviceMAC: deviceMAC, MTU: 9000, DeviceName: "veth0"}, "payload_size 8973 does not fit the MTU 9000 of device veth0: at most 8972"},
		{`{"src_port":65535}`, sdk.Request{DeviceMAC: deviceMAC, Count: 2}, "2 templates need src ports 65535..65536, past 65535: lower src_port"},
		{`{}`, sdk.Request{DeviceName: "tun0"}, "the host gave no MAC address for device tun0: set src_mac"},
		{`{}`, sdk.Request{DeviceMAC: deviceMAC[:4]}, "the host gave a 4-byte MAC address for device (unnamed): set src_mac"},
		{`{}`, sdk.Request{DeviceMAC: deviceMAC, DstMAC: []byte{1}}, "the host gave a 1-byte neighbour MAC address for 10.250.0.2: set dst_mac"},
	} {
		err := configure([]byte(tc.cfg))
		if err == nil {
			_, err = templates(tc.req)
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %+v: error %v, want %q", tc.cfg, tc.req, err, tc.want)
		}
	}
}

func TestPayloadFillsJumboMTU(t *testing.T) {
	resps, err := run(t, `{"payload_size":8972}`, sdk.Request{DeviceMAC: deviceMAC, MTU: 9000})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resps[0].Template.BasePacket.Data); n != 9014 {
		t.Fatalf("frame is %d bytes, want 9014", n)
	}
}

func templateJSON(t *testing.T, r sdk.GeneratorResponse) string {
	t.Helper()
	b, err := json.Marshal(r.Template)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Without a range of more than one value the template is what it was before
// ranges existed: no fields, no flows, whatever vary, seed and flows say.
func TestNoRangeEmitsNoFields(t *testing.T) {
	for _, cfg := range []string{`{}`, `{"flows":10,"vary":"random","seed":3}`, `{"src_ip_range":"10.250.0.1","dst_port_range":9}`} {
		resps, err := run(t, cfg, sdk.Request{DeviceMAC: deviceMAC})
		if err != nil {
			t.Fatal(err)
		}
		if got := templateJSON(t, resps[0]); strings.Contains(got, `"fields"`) || strings.Contains(got, `"flows"`) {
			t.Errorf("%s: template %s", cfg, got)
		}
	}
}

func TestRangesBecomeChainedFields(t *testing.T) {
	cfg := `{"src_ip_range":"10.0.0.1-10.0.0.254","dst_ip_range":"10.1.0.1","src_port_range":"1024-2023","dst_port_range":"20000-20999","flows":100000}`
	resps, err := run(t, cfg, sdk.Request{DeviceMAC: deviceMAC})
	if err != nil {
		t.Fatal(err)
	}
	want := `"fields":[` +
		`{"offset":26,"size":4,"op":"inc","min":"10.0.0.1","max":"10.0.0.254"},` +
		`{"offset":34,"size":2,"op":"inc","min":1024,"max":2023,"chain":true},` +
		`{"offset":36,"size":2,"op":"inc","min":20000,"max":20999,"chain":true}],"flows":100000}`
	if got := templateJSON(t, resps[0]); !strings.HasSuffix(got, want) {
		t.Fatalf("template\n got %s\nwant ...%s", got, want)
	}
	// The base frame is the first flow, checksums and all.
	b := resps[0].Template.BasePacket.Data
	be := binary.BigEndian
	if !bytes.Equal(b[26:30], []byte{10, 0, 0, 1}) || !bytes.Equal(b[30:34], []byte{10, 1, 0, 1}) ||
		be.Uint16(b[34:]) != 1024 || be.Uint16(b[36:]) != 20000 {
		t.Fatalf("base frame % x", b[26:38])
	}
	pseudo := append(append([]byte{}, b[26:34]...), 0, 17, 0, byte(len(b)-34))
	if onesSum(b[14:34]) != 0xffff || onesSum(pseudo, b[34:]) != 0xffff {
		t.Fatal("base frame checksums do not verify")
	}
}

// Each random field draws with its own seed: seed plus its position.
func TestRandomFieldsGetSuccessiveSeeds(t *testing.T) {
	resps, err := run(t, `{"dst_ip_range":"10.0.0.1-10.0.0.9","src_port_range":"1-65535","dst_port_range":"1-2","vary":"random","seed":7}`,
		sdk.Request{DeviceMAC: deviceMAC})
	if err != nil {
		t.Fatal(err)
	}
	want := `"fields":[` +
		`{"offset":30,"size":4,"op":"random","min":"10.0.0.1","max":"10.0.0.9","seed":7},` +
		`{"offset":34,"size":2,"op":"random","min":1,"max":65535,"seed":8,"chain":true},` +
		`{"offset":36,"size":2,"op":"random","min":1,"max":2,"seed":9,"chain":true}]}`
	if got := templateJSON(t, resps[0]); !strings.HasSuffix(got, want) {
		t.Fatalf("template\n got %s\nwant ...%s", got, want)
	}
}

// With count > 1 each template keeps its own source port and varies the
// other ranges.
func TestCountWithRanges(t *testing.T) {
	resps, err := run(t, `{"dst_port_range":"1-10"}`, sdk.Request{DeviceMAC: deviceMAC, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resps {
		if port := binary.BigEndian.Uint16(r.Template.BasePacket.Data[34:]); port != uint16(12345+i) || len(r.Template.Fields) != 1 {
			t.Errorf("template %d: src port %d, fields %+v", i, port, r.Template.Fields)
		}
	}
}
