package sdk

import "testing"

func TestParseMAC(t *testing.T) {
	for _, s := range []string{"aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F"} {
		m, err := ParseMAC(s)
		if err != nil || m != (MAC{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f}) {
			t.Errorf("ParseMAC(%q) = %v, %v", s, m, err)
		}
		if m.String() != "aa:bb:cc:dd:ee:0f" {
			t.Errorf("String() = %q", m.String())
		}
	}
	for _, s := range []string{"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb:cc:dd:ee:gg", "aabb.ccdd.eeff.", "aa:bb:cc:dd:ee:+f", "aa bb cc dd ee ff"} {
		if _, err := ParseMAC(s); err == nil {
			t.Errorf("ParseMAC(%q) accepted a bad address", s)
		}
	}
}
