package sdk

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

func TestFieldJSON(t *testing.T) {
	for _, tc := range []struct {
		field Field
		want  string
	}{
		{Field{Offset: 26, Size: 4, Op: FieldInc, Min: FieldAddr(netip.MustParseAddr("10.0.0.1")), Max: FieldAddr(netip.MustParseAddr("10.0.0.254"))},
			`{"offset":26,"size":4,"op":"inc","min":"10.0.0.1","max":"10.0.0.254"}`},
		{Field{Offset: 34, Size: 2, Op: FieldRandom, Min: FieldNumber(0), Max: FieldNumber(65535), Seed: 7, Chain: true},
			`{"offset":34,"size":2,"op":"random","min":0,"max":65535,"seed":7,"chain":true}`},
		{Field{Offset: 22, Size: 16, Op: FieldDec, Min: FieldAddr(netip.MustParseAddr("fd00::1")), Max: FieldAddr(netip.MustParseAddr("fd00::ff")), Step: 2},
			`{"offset":22,"size":16,"op":"dec","min":"fd00::1","max":"fd00::ff","step":2}`},
		{Field{Offset: 0, Size: 8, Op: FieldList, Values: []FieldValue{FieldNumber(1<<53 - 1), FieldNumber(1 << 53), FieldNumber(1<<64 - 1)}},
			`{"offset":0,"size":8,"op":"list","values":[9007199254740991,"9007199254740992","18446744073709551615"]}`},
	} {
		got, err := json.Marshal(tc.field)
		if err != nil || string(got) != tc.want {
			t.Errorf("json.Marshal = %s, %v\nwant %s", got, err, tc.want)
		}
	}
}

// A template without fields must stay the seed's JSON byte for byte.
func TestTemplateWithoutFieldsHasNoFieldKeys(t *testing.T) {
	got, err := encodeResponses([]GeneratorResponse{{Template: Variation{FlowCap: 5}.Template([]byte{1, 2, 3}, nil)}})
	want := `[{"template":{"base_packet":{"data":"AQID","length":3}},"metadata":{"packet_count":1,"rate_pps":0,"tags":[]}}]`
	if err != nil || string(got) != want {
		t.Fatalf("encodeResponses = %s, %v\nwant %s", got, err, want)
	}
}

var ipv4Single = Endpoints{
	SrcIP: netip.MustParseAddr("10.250.0.1"), DstIP: netip.MustParseAddr("10.250.0.2"),
	SrcPort: 12345, DstPort: 9,
}

func TestRangesDefaultToTheSingleValues(t *testing.T) {
	r, err := FlowKeys{}.Ranges(ipv4Single)
	if err != nil {
		t.Fatal(err)
	}
	if r.First() != ipv4Single || r.Variation != (Variation{}) {
		t.Fatalf("ranges %+v", r)
	}
	for _, f := range r.Fields(14, 34) {
		if f.Count != 1 {
			t.Errorf("%s varies: %+v", f.Key, f)
		}
	}
	if keys := []string{r.SrcIP.Key, r.DstIP.Key, r.SrcPort.Key, r.DstPort.Key}; strings.Join(keys, " ") != "src_ip dst_ip src_port dst_port" {
		t.Errorf("keys %v", keys)
	}
}

func TestRangesOverrideTheSingleValues(t *testing.T) {
	flows := int64(1000)
	k := FlowKeys{SrcIPRange: "10.0.0.1-10.0.0.254", DstIPRange: "10.9.9.9", SrcPortRange: "1000-1999", DstPortRange: "53",
		Vary: "random", Seed: 7, Flows: &flows}
	r, err := k.Ranges(ipv4Single)
	if err != nil {
		t.Fatal(err)
	}
	want := Endpoints{SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.9.9.9"), SrcPort: 1000, DstPort: 53}
	if r.First() != want || r.Variation != (Variation{Random: true, Seed: 7, FlowCap: 1000}) {
		t.Fatalf("first %+v, variation %+v", r.First(), r.Variation)
	}
	if n, err := r.Variation.FlowCount(r.Fields(14, 34)); n != 1000 || err != nil {
		t.Errorf("FlowCount = %d, %v; want the cap, 1000", n, err)
	}
}

func TestFlowKeyErrors(t *testing.T) {
	flows := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		keys   FlowKeys
		single Endpoints
		want   string
	}{
		{FlowKeys{SrcIPRange: "fd00::1"}, ipv4Single, `src_ip_range "fd00::1" is not an IPv4 address`},
		{FlowKeys{DstIPRange: "10.0.0.1"}, Endpoints{SrcIP: netip.MustParseAddr("fd00::1"), DstIP: netip.MustParseAddr("fd00::2")}, `dst_ip_range "10.0.0.1" is not an IPv6 address`},
		{FlowKeys{SrcPortRange: "0-9"}, ipv4Single, `src_port_range "0-9": 0 is out of range 1..65535`},
		{FlowKeys{DstPortRange: "9-1"}, ipv4Single, `dst_port_range "9-1" runs backwards`},
		{FlowKeys{Vary: "shuffle"}, ipv4Single, `vary "shuffle" must be sequential or random`},
		{FlowKeys{Seed: -1}, ipv4Single, "seed -1 is out of range 0..9007199254740984"},
		{FlowKeys{Seed: MaxFlowSeed + 1}, ipv4Single, "seed 9007199254740985 is out of range 0..9007199254740984"},
		{FlowKeys{Flows: flows(0)}, ipv4Single, "flows 0 is out of range 1..9007199254740991"},
		{FlowKeys{Flows: flows(1 << 53)}, ipv4Single, "flows 9007199254740992 is out of range 1..9007199254740991"},
	} {
		_, err := tc.keys.Ranges(tc.single)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.keys, err, tc.want)
		}
	}
}

func TestFlowCountOverflowNamesTheKeys(t *testing.T) {
	// 2^32 × (2^32-1) flows still fit; twice as many do not.
	k := FlowKeys{SrcIPRange: "0.0.0.0-255.255.255.255", DstIPRange: "0.0.0.1-255.255.255.255", DstPortRange: "1-2"}
	r, err := k.Ranges(ipv4Single)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Variation.FlowCount(r.Fields(14, 34))
	if want := "src_ip_range × dst_ip_range × dst_port_range make more flows than a template can count (2^64-1): narrow a range"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	k.DstPortRange = ""
	r, _ = k.Ranges(ipv4Single)
	if n, err := r.Variation.FlowCount(r.Fields(14, 34)); n != 1<<64-1<<32 || err != nil {
		t.Fatalf("2^32 × (2^32-1) addresses: FlowCount = %d, %v", n, err)
	}
}

// The fields sit where each frame layout has them, in the spec's order, all
// but the first chained.
func TestFieldsFollowTheLayout(t *testing.T) {
	k := FlowKeys{SrcIPRange: "10.0.0.1-10.0.0.2", DstIPRange: "10.0.1.1-10.0.1.3", SrcPortRange: "1-4", DstPortRange: "5-9"}
	v6 := FlowKeys{SrcIPRange: "fd00::1-fd00::2", DstIPRange: "fd00::1:1-fd00::1:3", SrcPortRange: "1-4", DstPortRange: "5-9"}
	single6 := Endpoints{SrcIP: netip.MustParseAddr("fd00::1"), DstIP: netip.MustParseAddr("fd00::2")}
	for _, tc := range []struct {
		name   string
		keys   FlowKeys
		single Endpoints
		frame  UDPFrame
		want   string
	}{
		{"IPv4", k, ipv4Single, UDPFrame{},
			`[{"offset":26,"size":4,"op":"inc","min":"10.0.0.1","max":"10.0.0.2"},` +
				`{"offset":30,"size":4,"op":"inc","min":"10.0.1.1","max":"10.0.1.3","chain":true},` +
				`{"offset":34,"size":2,"op":"inc","min":1,"max":4,"chain":true},` +
				`{"offset":36,"size":2,"op":"inc","min":5,"max":9,"chain":true}]`},
		{"IPv4 in 802.1Q", k, ipv4Single, UDPFrame{VLANTags: []VLANTag{{TPIDCustomer, 1}}},
			`[{"offset":30,"size":4,"op":"inc","min":"10.0.0.1","max":"10.0.0.2"},` +
				`{"offset":34,"size":4,"op":"inc","min":"10.0.1.1","max":"10.0.1.3","chain":true},` +
				`{"offset":38,"size":2,"op":"inc","min":1,"max":4,"chain":true},` +
				`{"offset":40,"size":2,"op":"inc","min":5,"max":9,"chain":true}]`},
		{"IPv4 in QinQ", k, ipv4Single, UDPFrame{VLANTags: []VLANTag{{TPIDService, 1}, {TPIDCustomer, 2}}},
			`[{"offset":34,"size":4,"op":"inc","min":"10.0.0.1","max":"10.0.0.2"},` +
				`{"offset":38,"size":4,"op":"inc","min":"10.0.1.1","max":"10.0.1.3","chain":true},` +
				`{"offset":42,"size":2,"op":"inc","min":1,"max":4,"chain":true},` +
				`{"offset":44,"size":2,"op":"inc","min":5,"max":9,"chain":true}]`},
		{"IPv6", v6, single6, UDPFrame{},
			`[{"offset":22,"size":16,"op":"inc","min":"fd00::1","max":"fd00::2"},` +
				`{"offset":38,"size":16,"op":"inc","min":"fd00::1:1","max":"fd00::1:3","chain":true},` +
				`{"offset":54,"size":2,"op":"inc","min":1,"max":4,"chain":true},` +
				`{"offset":56,"size":2,"op":"inc","min":5,"max":9,"chain":true}]`},
	} {
		r, err := tc.keys.Ranges(tc.single)
		if err != nil {
			t.Fatal(err)
		}
		tc.frame.Endpoints = r.First()
		fields := r.Fields(tc.frame.IPOffset(), tc.frame.UDPOffset())
		if n, err := r.Variation.FlowCount(fields); n != 2*3*4*5 || err != nil {
			t.Errorf("%s: FlowCount = %d, %v; want 120", tc.name, n, err)
		}
		tmpl := r.Variation.Template(tc.frame.Bytes(), fields)
		if got, _ := json.Marshal(tmpl.Fields); string(got) != tc.want || tmpl.Flows != 0 {
			t.Errorf("%s: fields\n got %s\nwant %s\n(flows %d)", tc.name, got, tc.want, tmpl.Flows)
		}
	}
}

func TestTemplateSkipsSingleValuesAndSeedsEachField(t *testing.T) {
	ranges := []FieldRange{
		SingleNumber("a", 7).Field(10, 2),
		{Key: "b", Offset: 20, Size: 2, Min: FieldNumber(1), Max: FieldNumber(9), Count: 9},
		SingleNumber("c", 7).Field(30, 2),
		{Key: "d", Offset: 40, Size: 1, Min: FieldNumber(1), Max: FieldNumber(2), Count: 2},
	}
	tmpl := Variation{Random: true, Seed: 100, FlowCap: 5}.Template([]byte{0}, ranges)
	want := `{"base_packet":{"data":"AA==","length":0},"fields":[` +
		`{"offset":20,"size":2,"op":"random","min":1,"max":9,"seed":100},` +
		`{"offset":40,"size":1,"op":"random","min":1,"max":2,"seed":101,"chain":true}],"flows":5}`
	if got, _ := json.Marshal(tmpl); string(got) != want {
		t.Fatalf("template\n got %s\nwant %s", got, want)
	}
}

func TestVariationString(t *testing.T) {
	for v, want := range map[Variation]string{
		{}:                                    "sequential",
		{Random: true}:                        "random, seed 0",
		{Random: true, Seed: 7, FlowCap: 100}: "random, seed 7, capped at 100 flows",
	} {
		if v.String() != want {
			t.Errorf("%+v: %q, want %q", v, v.String(), want)
		}
	}
}

// FlowKeys embedded in a plugin's config are that config's keys.
func TestFlowKeysEmbeddedInConfig(t *testing.T) {
	type pluginConfig struct {
		SrcIP string `json:"src_ip"`
		FlowKeys
	}
	c := pluginConfig{SrcIP: "10.0.0.1"}
	if err := DecodeConfig([]byte(`{"dst_port_range":"1-9","vary":"random","flows":10}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.DstPortRange != "1-9" || c.Vary != "random" || c.Flows == nil || *c.Flows != 10 || c.SrcIP != "10.0.0.1" {
		t.Fatalf("decoded %+v", c)
	}
	for in, want := range map[string]string{
		`{"dst_port_range":[1]}`: `config key "dst_port_range" must be a range "A-B" or a single value, not an array`,
		`{"flows":"10"}`:         `config key "flows" must be an integer, not a string`,
		`{"seed":1.5}`:           `config key "seed" must be an integer, not 1.5`,
		`{"flow":10}`: `unknown config key "flow" (known keys: dst_ip_range, dst_port_range, flows, seed, src_ip, ` +
			`src_ip_range, src_port_range, vary)`,
	} {
		if err := DecodeConfig([]byte(in), &pluginConfig{}); err == nil || err.Error() != want {
			t.Errorf("DecodeConfig(%s) = %v\nwant %q", in, err, want)
		}
	}
}
