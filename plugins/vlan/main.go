// Command vlan is an xdperf plugin that sends simpleudp's IPv4/UDP frames
// behind one 802.1Q VLAN tag, or two (QinQ: an 802.1ad service tag, then
// an 802.1Q customer tag), and can vary the VLAN ids per packet.
//
// Config keys (all optional):
//
//	vlan            VLAN id, 1..4094, or a range "A-B";     100
//	                with outer_vlan, the inner (customer) tag's
//	outer_vlan      the outer (service) tag's VLAN id or    none: one tag
//	                range; setting it makes the frame QinQ
//	pcp             priority (PCP) of every tag, 0..7       0
//
// and simpleudp's keys, with its defaults: src_ip, dst_ip, src_port,
// dst_port, payload_size (up to MTU-28: the tags do not count against the
// MTU), ttl, tos, src_mac, dst_mac, src_ip_range, dst_ip_range,
// src_port_range, dst_port_range, vary, seed and flows.
//
// The frame is Ethernet (destination, source), then each tag (TPID 0x88a8
// outer and 0x8100 inner with outer_vlan, else one 0x8100), each TCI
// holding pcp, drop eligible 0 and the VLAN id, then type 0x0800 and
// simpleudp's IPv4/UDP packet, checksums filled in (sdk.UDPFrame).
//
// Each range of more than one value becomes a field of the template, which
// the host rewrites per packet: the address and port ranges at their
// offsets (26, 30, 34 and 36 moved by 4 per tag) as in simpleudp, then the
// VLAN id ranges as 2-byte fields over the TCIs (offset 14 and, with
// outer_vlan, 18 for the inner tag), whose values keep the pcp bits, all but
// the first field chained: the template's flows are the product of the
// ranges, the source address varying fastest and the VLAN ids slowest.
// vary, seed and flows work as in simpleudp.
//
// When the host asks for count > 1 templates, template i uses source port
// src_port+i; every template weighs 1 and is tagged "vlan".
package main

import (
	sdk "xdperf/plugins/sdk/go"
)

// plugin sends the flows parseConfig makes of the config.
var plugin = sdk.UDPPlugin{Tag: "vlan", Parse: parseConfig}

// configure and templates are the plugin's Init and Process.
var configure, templates = plugin.Init, plugin.Process

func init() {
	sdk.Register(sdk.Plugin{Init: configure, Process: templates})
}

// main is required by the compiler; a reactor module never runs it.
func main() {}
