// Command udp6 is an xdperf plugin that sends IPv6/UDP: one flow, count
// flows that differ only in their source port, or, with ranges, many flows
// per template that the host varies per packet. It is simpleudp over IPv6.
//
// Config keys (all optional):
//
//	src_ip          IPv6 source address                     fd00:250::1
//	dst_ip          IPv6 destination address                fd00:250::2
//	src_port        UDP source port, 0..65535               12345
//	dst_port        UDP destination port, 1..65535          9 (discard)
//	payload_size    UDP payload bytes, up to MTU-48         18 (an 80-byte frame)
//	hop_limit       IPv6 hop limit, 0..255                  64
//	traffic_class   IPv6 traffic class (DSCP+ECN) byte      0
//	flow_label      IPv6 flow label, 0..0xfffff             0
//	src_mac         source MAC                              the device's MAC
//	dst_mac         destination MAC                         the neighbour entry the
//	                                                        host found, else broadcast
//	src_ip_range    "A-B" or one address: replaces src_ip;  none
//	                A and B differ in their low 64 bits only
//	dst_ip_range    the same for dst_ip                     none
//	src_port_range  "A-B" or one port, 1..65535: replaces   none
//	                src_port
//	dst_port_range  the same for dst_port                   none
//	vary            sequential or random                    sequential
//	seed            random's seed                           0
//	flows           a cap on each template's flows          none
//
// The frame is Ethernet II (type 0x86dd), a 40-byte IPv6 header (no
// extension headers, next header UDP), an 8-byte UDP header (checksum over
// the pseudo-header, mandatory over IPv6, 0 sent as 0xffff), then the
// payload, whose byte i is i mod 256 (sdk.UDPFrame).
//
// A range of more than one value becomes a field of the template, which the
// host rewrites per packet, fixing the UDP checksum: source address (offset
// 22, 16 bytes, of which the low 8 vary), destination address (38), source
// port (54), destination port (56), in that order, all but the first
// chained, so that the template's flows are the product of the ranges, the
// source address varying fastest. The base frame carries each range's first
// value. vary random draws each field at random instead, the field at
// position n seeded with seed+n; flows makes a template repeat its first
// flows variants. Without a range the template has no fields.
//
// When the host asks for count > 1 templates, template i uses source port
// src_port+i; every template weighs 1 and is tagged "udp6".
package main

import (
	sdk "xdperf/plugins/sdk/go"
)

// plugin sends the flows of its config, sdk.UDP6Keys.
var plugin = sdk.UDPPlugin{Tag: "udp6", Parse: sdk.ParseUDP6Keys}

// configure and templates are the plugin's Init and Process.
var configure, templates = plugin.Init, plugin.Process

func init() {
	sdk.Register(sdk.Plugin{Init: configure, Process: templates})
}

// main is required by the compiler; a reactor module never runs it.
func main() {}
