// Command simpleudp is an xdperf plugin that sends IPv4/UDP: one flow, count
// flows that differ only in their source port, or, with ranges, many flows
// per template that the host varies per packet.
//
// Config keys (all optional):
//
//	src_ip          IPv4 source address                     10.250.0.1
//	dst_ip          IPv4 destination address                10.250.0.2
//	src_port        UDP source port, 0..65535               12345
//	dst_port        UDP destination port, 1..65535          9 (discard)
//	payload_size    UDP payload bytes, up to MTU-28         18 (a 60-byte frame)
//	ttl             IPv4 time to live, 0..255               64
//	tos             IPv4 type of service (DSCP+ECN) byte    0
//	src_mac         source MAC                              the device's MAC
//	dst_mac         destination MAC                         the neighbour entry the
//	                                                        host found, else broadcast
//	src_ip_range    "A-B" or one address: replaces src_ip   none
//	dst_ip_range    the same for dst_ip                     none
//	src_port_range  "A-B" or one port, 1..65535: replaces   none
//	                src_port
//	dst_port_range  the same for dst_port                   none
//	vary            sequential or random                    sequential
//	seed            random's seed                           0
//	flows           a cap on each template's flows          none
//
// The frame is Ethernet II (type 0x0800), a 20-byte IPv4 header (no options,
// identification 0, Don't Fragment set, header checksum filled in), an
// 8-byte UDP header (checksum over the pseudo-header, 0 sent as 0xffff), then
// the payload, whose byte i is i mod 256 (sdk.UDPFrame).
//
// A range of more than one value becomes a field of the template, which the
// host rewrites per packet, fixing both checksums: source address (offset
// 26), destination address (30), source port (34), destination port (36),
// in that order, all but the first chained, so that the template's flows are
// the product of the ranges, the source address varying fastest. The base
// frame carries each range's first value. vary random draws each field at
// random instead, the field at position n seeded with seed+n; flows makes a
// template repeat its first flows variants. Without a range the template
// has no fields, as before ranges existed.
//
// When the host asks for count > 1 templates, template i uses source port
// src_port+i, so that the flows spread over the receiver's RSS queues (which
// a src_port_range does within one template instead); every template weighs
// 1 and is tagged "udp".
package main

import (
	sdk "xdperf/plugins/sdk/go"
)

// plugin sends the flows of its config, sdk.UDP4Keys.
var plugin = sdk.UDPPlugin{Tag: "udp", Parse: sdk.ParseUDP4Keys}

// configure and templates are the plugin's Init and Process.
var configure, templates = plugin.Init, plugin.Process

func init() {
	sdk.Register(sdk.Plugin{Init: configure, Process: templates})
}

// main is required by the compiler; a reactor module never runs it.
func main() {}
