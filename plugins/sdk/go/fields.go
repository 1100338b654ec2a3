package sdk

import (
	"encoding/json"
	"net/netip"
	"strconv"
)

// Field is one entry of a template's field program: bytes of the frame the
// host rewrites for every packet, fixing the checksums the frame carries.
// The plugin only describes it; the host validates it (a field past the
// frame's end, overlapping another or a checksum, or out of its size is
// refused there) and does the work.
//
// The host counts the template's packets k = 0, 1, 2, ... Fields form
// groups: a field without Chain starts one, each following chained field
// joins it, and a group is an odometer whose first field is the fastest
// digit: a chained field moves on only when the one before it wraps. So
// chained ranges multiply into flows: 254 addresses × 1,000 ports are
// 254,000 distinct flows.
type Field struct {
	// Offset is where the field starts, in bytes from the Ethernet header.
	Offset int `json:"offset"`
	// Size is the field's width in bytes, 1..16, its values big-endian. A
	// field wider than 8 bytes (an IPv6 address) varies only its low 8: its
	// values must share the high ones.
	Size int     `json:"size"`
	Op   FieldOp `json:"op"`
	// Min and Max bound the values of inc, dec and random, inclusive.
	Min FieldValue `json:"min,omitzero"`
	Max FieldValue `json:"max,omitzero"`
	// Step is what inc adds and dec subtracts, modulo the range; 0 leaves
	// it out, which the host reads as 1.
	Step uint64 `json:"step,omitempty"`
	// Seed makes random repeatable; 0, the host's default, is left out.
	Seed uint64 `json:"seed,omitempty"`
	// Values are what list sends, in order.
	Values []FieldValue `json:"values,omitempty"`
	// Chain makes the field advance only when the one before it wraps. The
	// first field of a template cannot chain.
	Chain bool `json:"chain,omitempty"`
}

// FieldOp says how a field's value changes from one packet to the next.
type FieldOp string

const (
	// FieldInc counts up from Min to Max by Step, then wraps.
	FieldInc FieldOp = "inc"
	// FieldDec counts down from Max to Min by Step, then wraps.
	FieldDec FieldOp = "dec"
	// FieldRandom draws from Min..Max, the same sequence for the same Seed.
	FieldRandom FieldOp = "random"
	// FieldList sends Values in turn.
	FieldList FieldOp = "list"
)

// maxJSONInteger is the largest integer the host reads exactly from a JSON
// number (a JavaScript number's).
const maxJSONInteger = 1<<53 - 1

// FieldValue is a field's min, max or list value as the JSON carries it: a
// number, or a string the host reads by its form (decimal, 0x-hex, IPv4,
// IPv6 or MAC). The zero FieldValue is no value, left out of the JSON.
type FieldValue struct {
	set    bool
	text   string // the value as a string, or "" to write number
	number uint64
}

// FieldNumber is n, as a JSON number when the host reads it exactly, else as
// a decimal string.
func FieldNumber(n uint64) FieldValue {
	if n > maxJSONInteger {
		return FieldValue{set: true, text: strconv.FormatUint(n, 10)}
	}
	return FieldValue{set: true, number: n}
}

// FieldAddr is an IPv4 (for a 4-byte field) or IPv6 (16-byte) address,
// written as the user would, so that the JSON reads as what it varies.
func FieldAddr(a netip.Addr) FieldValue {
	return FieldValue{set: true, text: a.String()}
}

// IsZero tells whether v is no value; json's omitzero leaves such out.
func (v FieldValue) IsZero() bool { return !v.set }

// MarshalJSON writes v as a JSON number or string.
func (v FieldValue) MarshalJSON() ([]byte, error) {
	switch {
	case !v.set:
		return []byte("null"), nil
	case v.text != "":
		return json.Marshal(v.text)
	}
	return strconv.AppendUint(nil, v.number, 10), nil
}
