package sdk

import "testing"

func TestUDPKeysErrors(t *testing.T) {
	for _, tc := range []struct {
		ipv6      bool
		cfg, want string
	}{
		{false, `{"src_ip":"fd00::1"}`, `src_ip "fd00::1" is not an IPv4 address`},
		{false, `{"dst_ip":"::ffff:10.0.0.1"}`, `dst_ip "::ffff:10.0.0.1" is not an IPv4 address`},
		{true, `{"src_ip":"10.0.0.1"}`, `src_ip "10.0.0.1" is not an IPv6 address`},
		{true, `{"dst_ip":"fe80::1%eth0"}`, `dst_ip "fe80::1%eth0" is not an IPv6 address`},
		{false, `{"payload_size":65508}`, "payload_size 65508 is out of range 0..65507"},
		{true, `{"payload_size":65528}`, "payload_size 65528 is out of range 0..65527"},
		// The first bad key is reported: addresses, ports, the IP header's
		// keys, payload_size, the flow keys, MACs.
		{false, `{"payload_size":-1,"tos":256,"dst_port":0,"src_ip":"x"}`, `src_ip "x" is not an IPv4 address`},
		{false, `{"payload_size":-1,"tos":256,"dst_port":0}`, "dst_port 0 is out of range 1..65535"},
		{true, `{"payload_size":-1,"flow_label":-1,"hop_limit":-1}`, "hop_limit -1 is out of range 0..255"},
		{true, `{"payload_size":-1,"flow_label":-1}`, "flow_label -1 is out of range 0..1048575"},
		{false, `{"dst_mac":"x","vary":"x","payload_size":-1}`, "payload_size -1 is out of range 0..65507"},
		{false, `{"dst_mac":"x","vary":"x"}`, `vary "x" must be sequential or random`},
		{false, `{"dst_mac":"x","src_mac":"y"}`, `src_mac "y" is not a MAC address: want six hex pairs like 02:00:00:00:00:01`},
	} {
		parse := ParseUDP4Keys
		if tc.ipv6 {
			parse = ParseUDP6Keys
		}
		if _, err := parse([]byte(tc.cfg)); err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
