package main

import (
	"fmt"
	"net/netip"

	sdk "xdperf/plugins/sdk/go"
)

// config is the plugin config as the user writes it.
type config struct {
	SrcIP       string `json:"src_ip"`
	DstIP       string `json:"dst_ip"`
	SrcPort     int    `json:"src_port"`
	DstPort     int    `json:"dst_port"`
	PayloadSize int    `json:"payload_size"`
	TTL         int    `json:"ttl"`
	TOS         int    `json:"tos"`
	SrcMAC      string `json:"src_mac"`
	DstMAC      string `json:"dst_mac"`
}

// settings is a validated config. The MACs stay open until a request says
// which device and neighbour the host found; so does the MTU check.
type settings struct {
	flow           flow
	srcMAC, dstMAC *sdk.MAC
}

const defaultMTU = 1500

func parseConfig(raw []byte) (settings, error) {
	c := config{
		SrcIP:       "10.250.0.1",
		DstIP:       "10.250.0.2",
		SrcPort:     12345,
		DstPort:     9,
		PayloadSize: 18,
		TTL:         64,
	}
	if err := sdk.DecodeConfig(raw, &c); err != nil {
		return settings{}, err
	}
	var s settings
	var err error
	if s.flow.srcIP, err = parseIPv4("src_ip", c.SrcIP); err != nil {
		return s, err
	}
	if s.flow.dstIP, err = parseIPv4("dst_ip", c.DstIP); err != nil {
		return s, err
	}
	// Zero is a valid UDP source port (RFC 768: "not used"), never a destination.
	for _, r := range []struct {
		key         string
		val, lo, hi int
	}{
		{"src_port", c.SrcPort, 0, 65535},
		{"dst_port", c.DstPort, 1, 65535},
		{"ttl", c.TTL, 0, 255},
		{"tos", c.TOS, 0, 255},
		{"payload_size", c.PayloadSize, 0, 65535 - ipv4HeaderLen - udpHeaderLen},
	} {
		if r.val < r.lo || r.val > r.hi {
			return s, fmt.Errorf("%s %d is out of range %d..%d", r.key, r.val, r.lo, r.hi)
		}
	}
	s.flow.srcPort, s.flow.dstPort = uint16(c.SrcPort), uint16(c.DstPort)
	s.flow.ttl, s.flow.tos = uint8(c.TTL), uint8(c.TOS)
	s.flow.payloadSize = c.PayloadSize
	if s.srcMAC, err = parseOptionalMAC("src_mac", c.SrcMAC); err != nil {
		return s, err
	}
	if s.dstMAC, err = parseOptionalMAC("dst_mac", c.DstMAC); err != nil {
		return s, err
	}
	return s, nil
}

func parseIPv4(key, val string) (netip.Addr, error) {
	a, err := netip.ParseAddr(val)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%s %q is not an IPv4 address", key, val)
	}
	return a, nil
}

func parseOptionalMAC(key, val string) (*sdk.MAC, error) {
	if val == "" {
		return nil, nil
	}
	m, err := sdk.ParseMAC(val)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a MAC address: %w", key, val, err)
	}
	return &m, nil
}

// flows resolves s against a request: the MACs, the MTU, and how many
// templates to make.
func (s settings) flows(req sdk.Request) ([]flow, error) {
	f := s.flow
	switch {
	case s.srcMAC != nil:
		f.srcMAC = *s.srcMAC
	case len(req.DeviceMAC) == len(f.srcMAC):
		f.srcMAC = sdk.MAC(req.DeviceMAC)
	case len(req.DeviceMAC) == 0:
		return nil, fmt.Errorf("the host gave no MAC address for device %s: set src_mac", deviceName(req))
	default:
		return nil, fmt.Errorf("the host gave a %d-byte MAC address for device %s: set src_mac", len(req.DeviceMAC), deviceName(req))
	}
	switch {
	case s.dstMAC != nil:
		f.dstMAC = *s.dstMAC
	case len(req.DstMAC) == len(f.dstMAC):
		f.dstMAC = sdk.MAC(req.DstMAC)
	case len(req.DstMAC) == 0:
		f.dstMAC = sdk.BroadcastMAC
		sdk.Warnf("no dst_mac set and no neighbour entry for %s: sending to %s; set dst_mac to reach one host", f.dstIP, f.dstMAC)
	default:
		return nil, fmt.Errorf("the host gave a %d-byte neighbour MAC address for %s: set dst_mac", len(req.DstMAC), f.dstIP)
	}

	mtu := req.MTU
	if mtu <= 0 {
		mtu = defaultMTU
	}
	if maxPayload := mtu - ipv4HeaderLen - udpHeaderLen; f.payloadSize > maxPayload {
		return nil, fmt.Errorf("payload_size %d does not fit the MTU %d of device %s: at most %d", f.payloadSize, mtu, deviceName(req), maxPayload)
	}

	count := max(req.Count, 1)
	if last := int(f.srcPort) + count - 1; last > 65535 {
		return nil, fmt.Errorf("%d templates need src ports %d..%d, past 65535: lower src_port", count, f.srcPort, last)
	}
	flows := make([]flow, count)
	for i := range flows {
		flows[i] = f
		flows[i].srcPort += uint16(i)
	}
	return flows, nil
}

func deviceName(req sdk.Request) string {
	if req.DeviceName == "" {
		return "(unnamed)"
	}
	return req.DeviceName
}
