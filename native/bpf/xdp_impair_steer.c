// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/*
 * xdp_impair_steer.c - the lab router's steering step.
 *
 * Attached to the router's ingress veth (scripts/lab.sh up --router). Frames
 * of the test flow, IPv4 UDP to the receiver's address, go to the AF_XDP
 * socket the impairment forwarder (native/src/impair/) bound to the queue
 * they arrived on. Everything else (ARP, ICMP, other traffic) passes to the
 * router's stack, which forwards it; so does the test flow while no
 * forwarder runs, because its sockets leave the map when they close. A
 * frame whose TTL would expire also stays with the stack, which answers it
 * with ICMP time exceeded as a router must.
 *
 * Built by native/build.rs with clang -O2 -g -target bpf; loaded by
 * native/src/impair/steering.rs (aya), which sets receiver_ip.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* One slot per ingress queue; the lab has at most 64. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xdperf_impair_sockets SEC(".maps");

/* The receiver's IPv4 address in network byte order, set by the loader. */
volatile const __u32 receiver_ip = 0;

SEC("xdp")
int xdperf_impair_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->version != 4 || ip->ihl < 5 ||
	    ip->protocol != IPPROTO_UDP || ip->daddr != receiver_ip || ip->ttl <= 1)
		return XDP_PASS;
	/* XDP_PASS when the queue has no socket: no forwarder, no impairment. */
	return bpf_redirect_map(&xdperf_impair_sockets, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
