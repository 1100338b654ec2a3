package sdk

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
)

// FlowKeys are the config keys that make one template many flows, the same
// in every plugin that has them. Embed it in a plugin's config struct:
// DecodeConfig reads its keys as the plugin's own.
//
//	src_ip_range, dst_ip_range      "A-B" or one address, of the plugin's family
//	src_port_range, dst_port_range  "A-B" or one port, 1..65535
//	vary                            "sequential" (the default) or "random"
//	seed                            random's seed, 0..MaxFlowSeed; default 0
//	flows                           a cap on each template's flows, 1..2^53-1
//
// A range replaces the single-value key it belongs to (src_ip for
// src_ip_range, and so on) and varies that header field per packet, from
// the range's first value, which the base frame carries.
type FlowKeys struct {
	SrcIPRange   RangeSetting `json:"src_ip_range"`
	DstIPRange   RangeSetting `json:"dst_ip_range"`
	SrcPortRange RangeSetting `json:"src_port_range"`
	DstPortRange RangeSetting `json:"dst_port_range"`
	Vary         string       `json:"vary"`
	Seed         int64        `json:"seed"`
	// Flows is a pointer so that an explicit 0 is refused, not taken as unset.
	Flows *int64 `json:"flows"`
}

// MaxFieldsPerTemplate is the most fields the host takes in one template.
const MaxFieldsPerTemplate = 8

// MaxFlowSeed is the largest seed key: the random field at position n of a
// template uses seed + n, which must stay a number the host reads exactly.
const MaxFlowSeed = maxJSONInteger - (MaxFieldsPerTemplate - 1)

// Endpoints are the addresses and ports of one flow.
type Endpoints struct {
	SrcIP, DstIP     netip.Addr
	SrcPort, DstPort uint16
}

// FlowRanges are FlowKeys checked, every range present: one not given
// holds only the single value the plugin's own key set.
type FlowRanges struct {
	SrcIP, DstIP     IPRange
	SrcPort, DstPort NumberRange
	Variation        Variation
}

// Ranges checks k for a plugin whose own keys (src_ip, dst_ip, src_port,
// dst_port) gave single. The address ranges must be of single's family.
func (k FlowKeys) Ranges(single Endpoints) (FlowRanges, error) {
	r := FlowRanges{
		SrcIP:   SingleIP("src_ip", single.SrcIP),
		DstIP:   SingleIP("dst_ip", single.DstIP),
		SrcPort: SingleNumber("src_port", uint64(single.SrcPort)),
		DstPort: SingleNumber("dst_port", uint64(single.DstPort)),
	}
	parseIP := ParseIPv4Range
	if single.SrcIP.Is6() {
		parseIP = ParseIPv6Range
	}
	var err error
	for _, ip := range []struct {
		key   string
		value RangeSetting
		out   *IPRange
	}{{"src_ip_range", k.SrcIPRange, &r.SrcIP}, {"dst_ip_range", k.DstIPRange, &r.DstIP}} {
		if ip.value != "" {
			if *ip.out, err = parseIP(ip.key, ip.value); err != nil {
				return FlowRanges{}, err
			}
		}
	}
	for _, port := range []struct {
		key   string
		value RangeSetting
		out   *NumberRange
	}{{"src_port_range", k.SrcPortRange, &r.SrcPort}, {"dst_port_range", k.DstPortRange, &r.DstPort}} {
		if port.value != "" {
			if *port.out, err = ParsePortRange(port.key, port.value); err != nil {
				return FlowRanges{}, err
			}
		}
	}
	if r.Variation, err = k.variation(); err != nil {
		return FlowRanges{}, err
	}
	return r, nil
}

func (k FlowKeys) variation() (Variation, error) {
	var v Variation
	switch k.Vary {
	case "", "sequential":
	case "random":
		v.Random = true
	default:
		return v, fmt.Errorf("vary %q must be sequential or random", k.Vary)
	}
	if k.Seed < 0 || k.Seed > MaxFlowSeed {
		return v, fmt.Errorf("seed %d is out of range 0..%d", k.Seed, MaxFlowSeed)
	}
	v.Seed = uint64(k.Seed)
	if k.Flows != nil {
		if *k.Flows < 1 || *k.Flows > maxJSONInteger {
			return v, fmt.Errorf("flows %d is out of range 1..%d", *k.Flows, maxJSONInteger)
		}
		v.FlowCap = uint64(*k.Flows)
	}
	return v, nil
}

// First is the flow the base frame carries: each range's first value.
func (r FlowRanges) First() Endpoints {
	return Endpoints{
		SrcIP: r.SrcIP.First, DstIP: r.DstIP.First,
		SrcPort: uint16(r.SrcPort.First), DstPort: uint16(r.DstPort.First),
	}
}

// Fields places r's ranges in a frame whose IP header starts at ipOffset
// and whose UDP or TCP header starts at l4Offset, in the order the flows
// spec gives: source address (the fastest digit), destination address,
// source port, destination port.
func (r FlowRanges) Fields(ipOffset, l4Offset int) []FieldRange {
	srcAt, dstAt := ipOffset+12, ipOffset+16 // IPv4
	if r.SrcIP.First.Is6() {
		srcAt, dstAt = ipOffset+8, ipOffset+24
	}
	return []FieldRange{
		r.SrcIP.Field(srcAt),
		r.DstIP.Field(dstAt),
		r.SrcPort.Field(l4Offset, 2),
		r.DstPort.Field(l4Offset+2, 2),
	}
}

// FieldRange is the range of one header field at its place in a frame.
type FieldRange struct {
	// Key is the config key the range comes from, for messages.
	Key          string
	Offset, Size int
	Min, Max     FieldValue
	// Count is how many values the range holds, at least 1.
	Count uint64
}

// Variation is how a template's ranges become its flows: the keys vary,
// seed and flows, checked.
type Variation struct {
	// Random draws each field's values at random instead of counting up.
	Random bool
	Seed   uint64
	// FlowCap caps the template's flows; 0 for none.
	FlowCap uint64
}

// FlowCount is how many flows ranges make together: the product of their
// counts, capped at v.FlowCap. Random draws from that many. It is an error,
// naming the keys, when the product passes 2^64-1, which a template cannot
// count.
func (v Variation) FlowCount(ranges []FieldRange) (uint64, error) {
	product := uint64(1)
	var keys []string
	for _, r := range ranges {
		if r.Count == 1 {
			continue
		}
		keys = append(keys, r.Key)
		hi, lo := bits.Mul64(product, r.Count)
		if hi != 0 {
			return 0, fmt.Errorf("%s make more flows than a template can count (2^64-1): narrow a range", strings.Join(keys, " × "))
		}
		product = lo
	}
	if v.FlowCap != 0 {
		product = min(product, v.FlowCap)
	}
	return product, nil
}

// Template is frame as a template whose fields vary over ranges, in the
// order given. A range of one value is already in the frame and adds no
// field; the others are chained, each to the one before, so that the
// template's flows are the product of the ranges (the first varies
// fastest). With no range of more than one value it is frame alone, the
// JSON of a template without fields.
func (v Variation) Template(frame []byte, ranges []FieldRange) Template {
	t := Template{BasePacket: BasePacket{Data: frame}}
	for _, r := range ranges {
		if r.Count == 1 {
			continue
		}
		f := Field{Offset: r.Offset, Size: r.Size, Op: FieldInc, Min: r.Min, Max: r.Max, Chain: len(t.Fields) > 0}
		if v.Random {
			// Its own seed for each field, so that two ranges of one size
			// do not draw the same sequence side by side.
			f.Op, f.Seed = FieldRandom, v.Seed+uint64(len(t.Fields))
		}
		t.Fields = append(t.Fields, f)
	}
	if len(t.Fields) > 0 {
		t.Flows = v.FlowCap
	}
	return t
}

// String says how v varies, for a log line: "sequential", or "random, seed
// 7", and the cap when there is one.
func (v Variation) String() string {
	s := "sequential"
	if v.Random {
		s = fmt.Sprintf("random, seed %d", v.Seed)
	}
	if v.FlowCap != 0 {
		s += fmt.Sprintf(", capped at %d flows", v.FlowCap)
	}
	return s
}
