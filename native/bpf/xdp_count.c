// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/*
 * xdp_count.c - xdperf's receive counter.
 *
 * Counts every frame that reaches the XDP hook (packets and bytes, in a
 * per-CPU array so CPUs never contend) and then drops or passes it. The
 * verdict is a read-only global the loader sets before loading, so one
 * object serves both uses: drop for benchmarks (the receiver does no further
 * work), pass when the host should still see the traffic.
 *
 * Built by native/build.rs with clang -O2 -g -target bpf and embedded in the
 * native module; loaded and attached by native/src/receiver.rs (aya).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counts {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counts);
} xdperf_counts SEC(".maps");

/* XDP_DROP or XDP_PASS, set by the loader (aya set_global) before load. */
volatile const __u32 verdict = XDP_DROP;

SEC("xdp")
int xdperf_count(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct counts *c = bpf_map_lookup_elem(&xdperf_counts, &key);

	if (c) {
		c->packets++;
		c->bytes += (__u64)(ctx->data_end - ctx->data);
	}
	return verdict;
}

char _license[] SEC("license") = "GPL";
