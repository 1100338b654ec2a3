package sdk

import (
	"net/netip"
	"testing"
)

func TestParseIPv4Range(t *testing.T) {
	for in, want := range map[RangeSetting]string{
		"10.0.0.1-10.0.0.254":     "10.0.0.1-10.0.0.254",
		" 10.0.0.1 - 10.0.1.0 ":   "10.0.0.1-10.0.1.0",
		"10.0.0.7":                "10.0.0.7",
		"10.0.0.7-10.0.0.7":       "10.0.0.7",
		"0.0.0.0-255.255.255.255": "0.0.0.0-255.255.255.255",
	} {
		r, err := ParseIPv4Range("src_ip_range", in)
		if err != nil || r.String() != want || r.Key != "src_ip_range" {
			t.Errorf("ParseIPv4Range(%q) = %+v, %v; want %s", in, r, err, want)
		}
	}
	r, _ := ParseIPv4Range("k", "0.0.0.0-255.255.255.255")
	if f := r.Field(26); f.Count != 1<<32 || f.Size != 4 || f.Offset != 26 {
		t.Errorf("the whole IPv4 space as a field: %+v", f)
	}
}

func TestParseIPv6Range(t *testing.T) {
	r, err := ParseIPv6Range("dst_ip_range", "2001:db8::1-2001:db8::ffff:ffff:ffff:fffe")
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Field(38); f.Count != 1<<64-2 || f.Size != 16 || f.Offset != 38 {
		t.Errorf("field %+v", f)
	}
	if r, err := ParseIPv6Range("k", "fd00::1"); err != nil || r.First != netip.MustParseAddr("fd00::1") || r.Field(0).Count != 1 {
		t.Errorf("a single IPv6 address: %+v, %v", r, err)
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, tc := range []struct {
		parse func(RangeSetting) error
		in    RangeSetting
		want  string
	}{
		{ipv4, "10.0.0.1-", `src_ip_range "10.0.0.1-" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254`},
		{ipv4, "10.0.0", `src_ip_range "10.0.0" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254`},
		{ipv4, "fd00::1-fd00::2", `src_ip_range "fd00::1-fd00::2" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254`},
		{ipv4, "::ffff:10.0.0.1", `src_ip_range "::ffff:10.0.0.1" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254`},
		{ipv4, "10.0.0.1-10.0.0.2-10.0.0.3", `src_ip_range "10.0.0.1-10.0.0.2-10.0.0.3" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254`},
		{ipv4, "10.0.0.9-10.0.0.1", `src_ip_range "10.0.0.9-10.0.0.1" runs backwards: 10.0.0.9 is after 10.0.0.1`},
		{ipv6, "10.0.0.1", `src_ip_range "10.0.0.1" is not an IPv6 address or a range like fd00::1-fd00::ff`},
		{ipv6, "fe80::1%eth0", `src_ip_range "fe80::1%eth0" is not an IPv6 address or a range like fd00::1-fd00::ff`},
		{ipv6, "fd00::9-fd00::1", `src_ip_range "fd00::9-fd00::1" runs backwards: fd00::9 is after fd00::1`},
		{ipv6, "fd00::1-fd00:0:0:1::1", `src_ip_range "fd00::1-fd00:0:0:1::1" varies more than the low 64 bits: both ends must share the first 64`},
		{ipv6, "fd00::-fd00::ffff:ffff:ffff:ffff", `src_ip_range "fd00::-fd00::ffff:ffff:ffff:ffff" holds 2^64 addresses, one more than a field can count`},
		{port, "", `dst_port_range "" is not a number or a range A-B of numbers in 1..65535`},
		{port, "http", `dst_port_range "http" is not a number or a range A-B of numbers in 1..65535`},
		{port, "-5", `dst_port_range "-5" is not a number or a range A-B of numbers in 1..65535`},
		{port, "1.5", `dst_port_range "1.5" is not a number or a range A-B of numbers in 1..65535`},
		{port, "0-10", `dst_port_range "0-10": 0 is out of range 1..65535`},
		{port, "10-65536", `dst_port_range "10-65536": 65536 is out of range 1..65535`},
		{port, "20999-20000", `dst_port_range "20999-20000" runs backwards: 20999 is after 20000`},
	} {
		if err := tc.parse(tc.in); err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func ipv4(s RangeSetting) error { _, err := ParseIPv4Range("src_ip_range", s); return err }
func ipv6(s RangeSetting) error { _, err := ParseIPv6Range("src_ip_range", s); return err }
func port(s RangeSetting) error { _, err := ParsePortRange("dst_port_range", s); return err }

func TestParseNumberRange(t *testing.T) {
	for in, want := range map[RangeSetting]NumberRange{
		"1":         {Key: "vlan", First: 1, Last: 1},
		"4094":      {Key: "vlan", First: 4094, Last: 4094},
		"100-199":   {Key: "vlan", First: 100, Last: 199},
		" 5 - 6 ":   {Key: "vlan", First: 5, Last: 6},
		"4000-4094": {Key: "vlan", First: 4000, Last: 4094},
	} {
		if r, err := ParseNumberRange("vlan", in, 1, 4094); err != nil || r != want {
			t.Errorf("ParseNumberRange(%q) = %+v, %v; want %+v", in, r, err, want)
		}
	}
	if _, err := ParseNumberRange("vlan", "4095", 1, 4094); err == nil || err.Error() != `vlan "4095": 4095 is out of range 1..4094` {
		t.Errorf("vlan 4095: %v", err)
	}
}

// A range key takes a string or a number, as --set gives either.
func TestRangeSettingInConfig(t *testing.T) {
	type rangeConfig struct {
		Ports RangeSetting `json:"ports"`
	}
	for in, want := range map[string]RangeSetting{
		`{"ports":"20000-20999"}`: "20000-20999",
		`{"ports":53}`:            "53",
		`{"ports":null}`:          "9",
		`{}`:                      "9",
	} {
		c := rangeConfig{Ports: "9"}
		if err := DecodeConfig([]byte(in), &c); err != nil || c.Ports != want {
			t.Errorf("DecodeConfig(%s) = %q, %v; want %q", in, c.Ports, err, want)
		}
	}
	for in, want := range map[string]string{
		`{"ports":true}`:  `config key "ports" must be a range "A-B" or a single value, not a boolean`,
		`{"ports":[1,2]}`: `config key "ports" must be a range "A-B" or a single value, not an array`,
		`{"ports":{}}`:    `config key "ports" must be a range "A-B" or a single value, not an object`,
	} {
		var c rangeConfig
		if err := DecodeConfig([]byte(in), &c); err == nil || err.Error() != want {
			t.Errorf("DecodeConfig(%s) = %v, want %q", in, err, want)
		}
	}
}
