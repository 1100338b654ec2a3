package sdk

import (
	"errors"
	"fmt"
	"strconv"
)

// MAC is a 48-bit Ethernet address.
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

var errMACSyntax = errors.New("want six hex pairs like 02:00:00:00:00:01")

// ParseMAC reads a MAC address written as six two-digit hex pairs
// separated by ':' or '-'.
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return m, errMACSyntax
	}
	for i := range m {
		if i > 0 && s[3*i-1] != ':' && s[3*i-1] != '-' {
			return m, errMACSyntax
		}
		b, err := strconv.ParseUint(s[3*i:3*i+2], 16, 8)
		if err != nil {
			return m, errMACSyntax
		}
		m[i] = byte(b)
	}
	return m, nil
}

// String writes m as aa:bb:cc:dd:ee:ff.
func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// ParseOptionalMAC reads the value of the MAC config key key; "", the key
// not set, is nil.
func ParseOptionalMAC(key, val string) (*MAC, error) {
	if val == "" {
		return nil, nil
	}
	m, err := ParseMAC(val)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a MAC address: %w", key, val, err)
	}
	return &m, nil
}
