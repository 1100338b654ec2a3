package sdk

import "fmt"

// UDPFlows are the flows a UDP plugin's config asks for, checked: made by
// UDP4Keys.Flows or UDP6Keys.Flows, sent by UDPPlugin. The MACs stay open
// until a request says which device and neighbour the host found; so does
// the MTU check.
type UDPFlows struct {
	// frame is the base frame but for its MACs: each range's first value.
	frame  UDPFrame
	ranges FlowRanges
	// fields are ranges placed in frame, then the extension's.
	fields    []FieldRange
	flowCount uint64
	// srcMAC and dstMAC are the src_mac and dst_mac keys, nil when not set.
	srcMAC, dstMAC *MAC
	// extension is what the plugin added to frame; nil for nothing.
	extension FrameExtension
}

// FrameExtension is what a plugin adds to the frame of its UDP4Keys or
// UDP6Keys, such as vlan's VLAN tags.
type FrameExtension interface {
	// Extend adds the extension's headers to frame, which holds all but
	// its MACs, and returns the ranges of their fields. These follow the
	// flows' fields in the template, so they vary slowest.
	Extend(frame *UDPFrame) []FieldRange
	// String describes the extension, for the log line that describes the
	// flows: "vlan 100 (TPID 0x8100), pcp 0".
	String() string
}

// String describes f for a log line: the extension, the first flow (a range
// for each key that has one), the payload and the IP header's own fields.
func (f UDPFlows) String() string {
	r, fr := f.ranges, f.frame
	var s string
	if fr.SrcIP.Is6() {
		s = fmt.Sprintf("udp6 [%s]:%s -> [%s]:%s, %d-byte payload, hop limit %d, traffic class %#02x, flow label %#x",
			r.SrcIP, r.SrcPort, r.DstIP, r.DstPort, fr.PayloadSize, fr.HopLimit, fr.TrafficClass, fr.FlowLabel)
	} else {
		s = fmt.Sprintf("udp %s:%s -> %s:%s, %d-byte payload, ttl %d, tos %#02x",
			r.SrcIP, r.SrcPort, r.DstIP, r.DstPort, fr.PayloadSize, fr.HopLimit, fr.TrafficClass)
	}
	if f.extension != nil {
		s = f.extension.String() + ": " + s
	}
	return s
}

// UDPPlugin is a plugin that sends the flows its Parse makes of the config:
// one template, or as many as the request's count asks for, template i
// sending from the first source port + i (see UDPFrame.ForRequest). Each
// template weighs 1 and is tagged Tag. Register it as
//
//	sdk.Register(sdk.Plugin{Init: p.Init, Process: p.Process})
type UDPPlugin struct {
	// Tag labels every template's counters.
	Tag string
	// Parse checks a config and makes its flows, with the plugin's defaults
	// for the keys the config leaves out.
	Parse func(config []byte) (UDPFlows, error)
	// flows are what Parse made of the config Init last accepted.
	flows UDPFlows
}

// Init is the plugin's Plugin.Init: it keeps the flows Parse makes of
// config and logs what they are.
func (p *UDPPlugin) Init(config []byte) error {
	flows, err := p.Parse(config)
	if err != nil {
		return err
	}
	p.flows = flows
	Infof("%s", flows)
	if flows.flowCount > 1 {
		Infof("%d flows per template, %s", flows.flowCount, flows.ranges.Variation)
	}
	return nil
}

// Process is the plugin's Plugin.Process: the templates of the flows Init
// kept, for req.
func (p *UDPPlugin) Process(req Request) ([]GeneratorResponse, error) {
	f := p.flows
	frames, err := f.frame.ForRequest(req, f.srcMAC, f.dstMAC, f.ranges.SrcPort)
	if err != nil {
		return nil, err
	}
	resps := make([]GeneratorResponse, len(frames))
	for i, frame := range frames {
		resps[i] = GeneratorResponse{
			Template: f.ranges.Variation.Template(frame.Bytes(), f.fields),
			Metadata: Metadata{PacketCount: 1, Tags: []string{p.Tag}},
		}
	}
	ReportMetric("templates", float64(len(resps)))
	return resps, nil
}
