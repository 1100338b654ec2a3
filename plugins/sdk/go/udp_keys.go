package sdk

import (
	"fmt"
	"net/netip"
	"slices"
)

// UDPKeys are the config keys of the bundled UDP plugins (simpleudp, udp6,
// vlan) that mean the same over either address family. A plugin's config
// is UDP4Keys or UDP6Keys, which add the keys of the IP header's own
// fields, or embeds one; their Flows checks them all.
//
//	src_ip, dst_ip      the addresses, of the family
//	src_port, dst_port  UDP ports: 0..65535, and 1..65535 for the destination
//	payload_size        UDP payload bytes
//	src_mac, dst_mac    the MACs; by default the device's, and the neighbour
//	                    the host found for dst_ip, else broadcast
//
// and FlowKeys.
type UDPKeys struct {
	SrcIP       string `json:"src_ip"`
	DstIP       string `json:"dst_ip"`
	SrcPort     int    `json:"src_port"`
	DstPort     int    `json:"dst_port"`
	PayloadSize int    `json:"payload_size"`
	SrcMAC      string `json:"src_mac"`
	DstMAC      string `json:"dst_mac"`
	FlowKeys
}

// UDP4Keys are the config keys of an IPv4/UDP plugin: UDPKeys, ttl and tos
// (the type of service byte, DSCP and ECN), each 0..255.
type UDP4Keys struct {
	UDPKeys
	TTL int `json:"ttl"`
	TOS int `json:"tos"`
}

// UDP6Keys are the config keys of an IPv6/UDP plugin: UDPKeys, hop_limit and
// traffic_class (DSCP and ECN), each 0..255, and flow_label, 0..0xfffff.
type UDP6Keys struct {
	UDPKeys
	HopLimit     int `json:"hop_limit"`
	TrafficClass int `json:"traffic_class"`
	FlowLabel    int `json:"flow_label"`
}

// DefaultUDP4Keys are simpleudp's defaults: 10.250.0.1:12345 to
// 10.250.0.2:9 (discard), an 18-byte payload (a 60-byte frame, Ethernet's
// least), TTL 64.
func DefaultUDP4Keys() UDP4Keys {
	return UDP4Keys{UDPKeys: defaultUDPKeys("10.250.0.1", "10.250.0.2"), TTL: 64}
}

// DefaultUDP6Keys are udp6's defaults: simpleudp's over IPv6, from
// fd00:250::1 to fd00:250::2.
func DefaultUDP6Keys() UDP6Keys {
	return UDP6Keys{UDPKeys: defaultUDPKeys("fd00:250::1", "fd00:250::2"), HopLimit: 64}
}

func defaultUDPKeys(srcIP, dstIP string) UDPKeys {
	return UDPKeys{SrcIP: srcIP, DstIP: dstIP, SrcPort: 12345, DstPort: 9, PayloadSize: 18}
}

// ParseUDP4Keys is the UDPPlugin.Parse of a plugin whose config is
// UDP4Keys alone, over DefaultUDP4Keys.
func ParseUDP4Keys(config []byte) (UDPFlows, error) {
	return parseKeys(DefaultUDP4Keys(), config)
}

// ParseUDP6Keys is the UDPPlugin.Parse of a plugin whose config is
// UDP6Keys alone, over DefaultUDP6Keys.
func ParseUDP6Keys(config []byte) (UDPFlows, error) {
	return parseKeys(DefaultUDP6Keys(), config)
}

// udpKeys are UDP4Keys and UDP6Keys.
type udpKeys interface {
	Flows(ext FrameExtension) (UDPFlows, error)
}

// parseKeys reads config over keys, the defaults, and makes its flows.
func parseKeys[K udpKeys](keys K, config []byte) (UDPFlows, error) {
	if err := DecodeConfig(config, &keys); err != nil {
		return UDPFlows{}, err
	}
	return keys.Flows(nil)
}

// Flows checks k and makes the IPv4/UDP flows it asks for. ext, nil for
// none, adds the plugin's own headers to the frame.
func (k UDP4Keys) Flows(ext FrameExtension) (UDPFlows, error) {
	return k.flows(ipHeaderKeys{
		keys:   []intKey{{"ttl", k.TTL, 0, 255}, {"tos", k.TOS, 0, 255}},
		header: UDPFrame{HopLimit: uint8(k.TTL), TrafficClass: uint8(k.TOS)},
	}, ext)
}

// Flows checks k and makes the IPv6/UDP flows it asks for. ext, nil for
// none, adds the plugin's own headers to the frame.
func (k UDP6Keys) Flows(ext FrameExtension) (UDPFlows, error) {
	return k.flows(ipHeaderKeys{
		ipv6: true,
		keys: []intKey{{"hop_limit", k.HopLimit, 0, 255}, {"traffic_class", k.TrafficClass, 0, 255},
			{"flow_label", k.FlowLabel, 0, 0xfffff}},
		header: UDPFrame{HopLimit: uint8(k.HopLimit), TrafficClass: uint8(k.TrafficClass), FlowLabel: uint32(k.FlowLabel)},
	}, ext)
}

// ipHeaderKeys are the keys of the IP header's own fields, which each
// family names its own way.
type ipHeaderKeys struct {
	ipv6 bool
	// keys are checked after the ports, in this order.
	keys []intKey
	// header holds the fields keys set, and nothing else; it is read only
	// once keys are checked.
	header UDPFrame
}

// intKey is an integer config key and the range it must lie in.
type intKey struct {
	key           string
	value, lo, hi int
}

func (k UDPKeys) flows(ip ipHeaderKeys, ext FrameExtension) (UDPFlows, error) {
	var single Endpoints
	var err error
	if single.SrcIP, err = parseIP("src_ip", k.SrcIP, ip.ipv6); err != nil {
		return UDPFlows{}, err
	}
	if single.DstIP, err = parseIP("dst_ip", k.DstIP, ip.ipv6); err != nil {
		return UDPFlows{}, err
	}
	// Zero is a valid UDP source port (RFC 768: "not used"), never a destination.
	ports := []intKey{{"src_port", k.SrcPort, 0, 65535}, {"dst_port", k.DstPort, 1, 65535}}
	payload := intKey{"payload_size", k.PayloadSize, 0, maxUDPPayload(ip.ipv6)}
	for _, c := range slices.Concat(ports, ip.keys, []intKey{payload}) {
		if err := CheckIntKey(c.key, c.value, c.lo, c.hi); err != nil {
			return UDPFlows{}, err
		}
	}
	single.SrcPort, single.DstPort = uint16(k.SrcPort), uint16(k.DstPort)

	f := UDPFlows{frame: ip.header, extension: ext}
	if f.ranges, err = k.FlowKeys.Ranges(single); err != nil {
		return UDPFlows{}, err
	}
	f.frame.Endpoints = f.ranges.First()
	f.frame.PayloadSize = k.PayloadSize
	var extFields []FieldRange
	if ext != nil {
		// Before placing the flows' fields: the extension's headers move the
		// IP and UDP headers.
		extFields = ext.Extend(&f.frame)
	}
	f.fields = append(f.ranges.Fields(f.frame.IPOffset(), f.frame.UDPOffset()), extFields...)
	if f.flowCount, err = f.ranges.Variation.FlowCount(f.fields); err != nil {
		return UDPFlows{}, err
	}
	if f.srcMAC, err = ParseOptionalMAC("src_mac", k.SrcMAC); err != nil {
		return UDPFlows{}, err
	}
	if f.dstMAC, err = ParseOptionalMAC("dst_mac", k.DstMAC); err != nil {
		return UDPFlows{}, err
	}
	return f, nil
}

// maxUDPPayload is the largest payload_size the IP header can give a
// length: IPv4's total length counts the IP header, IPv6's payload length
// only the UDP datagram.
func maxUDPPayload(ipv6 bool) int {
	if ipv6 {
		return 65535 - UDPHeaderLen
	}
	return 65535 - IPv4HeaderLen - UDPHeaderLen
}

// parseIP reads the value of the address config key key: an IPv4 address,
// or an IPv6 one without a zone when ipv6 is set.
func parseIP(key, val string, ipv6 bool) (netip.Addr, error) {
	family := "IPv4"
	if ipv6 {
		family = "IPv6"
	}
	a, err := netip.ParseAddr(val)
	if err != nil || a.Is6() != ipv6 || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%s %q is not an %s address", key, val, family)
	}
	return a, nil
}
