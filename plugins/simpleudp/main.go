// Command simpleudp is an xdperf plugin that sends one IPv4/UDP flow, or
// count flows that differ only in their source port.
//
// Config keys (all optional):
//
//	src_ip        IPv4 source address                     10.250.0.1
//	dst_ip        IPv4 destination address                10.250.0.2
//	src_port      UDP source port, 0..65535               12345
//	dst_port      UDP destination port, 1..65535          9 (discard)
//	payload_size  UDP payload bytes, up to MTU-28         18 (a 60-byte frame)
//	ttl           IPv4 time to live, 0..255               64
//	tos           IPv4 type of service (DSCP+ECN) byte    0
//	src_mac       source MAC                              the device's MAC
//	dst_mac       destination MAC                         the neighbour entry the
//	                                                      host found, else broadcast
//
// The frame is Ethernet II (type 0x0800), a 20-byte IPv4 header (no options,
// identification 0, Don't Fragment set, header checksum filled in), an
// 8-byte UDP header (checksum over the pseudo-header, 0 sent as 0xffff), then
// the payload, whose byte i is i mod 256.
//
// When the host asks for count > 1 templates, template i uses source port
// src_port+i, so that the flows spread over the receiver's RSS queues; every
// template weighs 1 and is tagged "udp".
package main

import (
	sdk "xdperf/plugins/sdk/go"
)

func init() {
	sdk.Register(sdk.Plugin{Init: configure, Process: templates})
}

// main is required by the compiler; a reactor module never runs it.
func main() {}

// current is the config plugin_init accepted.
var current settings

func configure(raw []byte) error {
	s, err := parseConfig(raw)
	if err != nil {
		return err
	}
	current = s
	sdk.Infof("udp %s:%d -> %s:%d, %d-byte payload, ttl %d, tos %#02x",
		s.flow.srcIP, s.flow.srcPort, s.flow.dstIP, s.flow.dstPort, s.flow.payloadSize, s.flow.ttl, s.flow.tos)
	return nil
}

func templates(req sdk.Request) ([]sdk.GeneratorResponse, error) {
	flows, err := current.flows(req)
	if err != nil {
		return nil, err
	}
	resps := make([]sdk.GeneratorResponse, len(flows))
	for i, f := range flows {
		resps[i] = sdk.GeneratorResponse{
			Template: sdk.Template{BasePacket: sdk.BasePacket{Data: f.frame()}},
			Metadata: sdk.Metadata{PacketCount: 1, Tags: []string{"udp"}},
		}
	}
	sdk.ReportMetric("templates", float64(len(resps)))
	return resps, nil
}
