package sdk

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
)

// RangeSetting is a range key's value as the user wrote it: "A-B", both
// ends included, or a single value; "" when the key is not set. A JSON
// number counts as its digits, because `--set dst_port_range=53` reaches the
// plugin as the number 53.
type RangeSetting string

var rangeSettingType = reflect.TypeFor[RangeSetting]()

// UnmarshalJSON takes a string or a number. Anything else is an
// UnmarshalTypeError, which encoding/json completes with the key's name.
func (s *RangeSetting) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil // keeps the default, as encoding/json does for its own types
	}
	var text string
	if json.Unmarshal(data, &text) == nil {
		*s = RangeSetting(text)
		return nil
	}
	var n json.Number
	if json.Unmarshal(data, &n) == nil {
		*s = RangeSetting(n)
		return nil
	}
	kind := map[byte]string{'t': "bool", 'f': "bool", '[': "array", '{': "object"}[data[0]]
	return &json.UnmarshalTypeError{Value: kind, Type: rangeSettingType}
}

// bounds splits s into its two ends, which are the same for a single value.
func (s RangeSetting) bounds() (first, last string) {
	first, last, isRange := strings.Cut(string(s), "-")
	if !isRange {
		last = first
	}
	return strings.TrimSpace(first), strings.TrimSpace(last)
}

// IPRange is an inclusive range of IPv4 or IPv6 addresses.
type IPRange struct {
	// Key is the config key the range comes from, for messages.
	Key         string
	First, Last netip.Addr
}

// SingleIP is the range holding only a, as the config key key gave it.
func SingleIP(key string, a netip.Addr) IPRange {
	return IPRange{Key: key, First: a, Last: a}
}

// ParseIPv4Range reads the value of the config key key: an IPv4 address,
// or "A-B" with A ≤ B.
func ParseIPv4Range(key string, s RangeSetting) (IPRange, error) {
	return parseIPRange(key, s, false)
}

// ParseIPv6Range reads the value of the config key key: an IPv6 address,
// or "A-B" with A ≤ B where A and B differ only in their low 64 bits (a
// field varies at most 8 bytes), and not across all 2^64 of them (a field
// counts at most 2^64-1 values).
func ParseIPv6Range(key string, s RangeSetting) (IPRange, error) {
	return parseIPRange(key, s, true)
}

func parseIPRange(key string, s RangeSetting, ipv6 bool) (IPRange, error) {
	family, example := "IPv4", "10.0.0.1-10.0.0.254"
	if ipv6 {
		family, example = "IPv6", "fd00::1-fd00::ff"
	}
	first, last := s.bounds()
	r := IPRange{Key: key}
	var err1, err2 error
	r.First, err1 = netip.ParseAddr(first)
	r.Last, err2 = netip.ParseAddr(last)
	if err1 != nil || err2 != nil || r.First.Is6() != ipv6 || r.Last.Is6() != ipv6 || r.First.Zone() != "" || r.Last.Zone() != "" {
		return IPRange{}, fmt.Errorf("%s %q is not an %s address or a range like %s", key, s, family, example)
	}
	if r.Last.Less(r.First) {
		return IPRange{}, fmt.Errorf("%s %q runs backwards: %s is after %s", key, s, r.First, r.Last)
	}
	if ipv6 {
		a, b := r.First.As16(), r.Last.As16()
		if [8]byte(a[:8]) != [8]byte(b[:8]) {
			return IPRange{}, fmt.Errorf("%s %q varies more than the low 64 bits: both ends must share the first 64", key, s)
		}
		if r.count() == 0 {
			return IPRange{}, fmt.Errorf("%s %q holds 2^64 addresses, one more than a field can count", key, s)
		}
	}
	return r, nil
}

// count is how many addresses r holds, 0 standing for 2^64 (which only an
// IPv6 range can reach). Only the low 64 bits count: the parsers ensure
// the ends share the rest.
func (r IPRange) count() uint64 {
	return low64(r.Last) - low64(r.First) + 1
}

func low64(a netip.Addr) uint64 {
	if a.Is4() {
		b := a.As4()
		return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	}
	b := a.As16()
	var n uint64
	for _, c := range b[8:] {
		n = n<<8 | uint64(c)
	}
	return n
}

// Field is r as the field of an address at offset: 4 bytes for IPv4, 16 for IPv6.
func (r IPRange) Field(offset int) FieldRange {
	return FieldRange{Key: r.Key, Offset: offset, Size: r.First.BitLen() / 8,
		Min: FieldAddr(r.First), Max: FieldAddr(r.Last), Count: r.count()}
}

// String writes r as "A-B", or "A" when it holds one address.
func (r IPRange) String() string {
	if r.First == r.Last {
		return r.First.String()
	}
	return r.First.String() + "-" + r.Last.String()
}

// NumberRange is an inclusive range of integers: ports, VLAN ids.
type NumberRange struct {
	// Key is the config key the range comes from, for messages.
	Key         string
	First, Last uint64
}

// SingleNumber is the range holding only n, as the config key key gave it.
func SingleNumber(key string, n uint64) NumberRange {
	return NumberRange{Key: key, First: n, Last: n}
}

// ParsePortRange reads the value of the config key key: a port or "A-B",
// with 1 ≤ A ≤ B ≤ 65535.
func ParsePortRange(key string, s RangeSetting) (NumberRange, error) {
	return ParseNumberRange(key, s, 1, 65535)
}

// ParseNumberRange reads the value of the config key key: a number or
// "A-B", with lo ≤ A ≤ B ≤ hi.
func ParseNumberRange(key string, s RangeSetting, lo, hi uint64) (NumberRange, error) {
	first, last := s.bounds()
	r := NumberRange{Key: key}
	var err1, err2 error
	r.First, err1 = strconv.ParseUint(first, 10, 64)
	r.Last, err2 = strconv.ParseUint(last, 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		return NumberRange{}, fmt.Errorf("%s %q is not a number or a range A-B of numbers in %d..%d", key, s, lo, hi)
	case r.First < lo || r.First > hi:
		return NumberRange{}, fmt.Errorf("%s %q: %d is out of range %d..%d", key, s, r.First, lo, hi)
	case r.Last < lo || r.Last > hi:
		return NumberRange{}, fmt.Errorf("%s %q: %d is out of range %d..%d", key, s, r.Last, lo, hi)
	case r.Last < r.First:
		return NumberRange{}, fmt.Errorf("%s %q runs backwards: %d is after %d", key, s, r.First, r.Last)
	}
	return r, nil
}

// Field is r as a size-byte field at offset. Ranges of at most 2^64-1
// values are the parsers' to ensure.
func (r NumberRange) Field(offset, size int) FieldRange {
	return FieldRange{Key: r.Key, Offset: offset, Size: size,
		Min: FieldNumber(r.First), Max: FieldNumber(r.Last), Count: r.Last - r.First + 1}
}

// String writes r as "A-B", or "A" when it holds one number.
func (r NumberRange) String() string {
	if r.First == r.Last {
		return strconv.FormatUint(r.First, 10)
	}
	return fmt.Sprintf("%d-%d", r.First, r.Last)
}
