// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/*
 * xdp_probe.c - the programs xdperf's prober tries capabilities with.
 *
 * xdperf_probe_pass is attached (natively, then generically) and detached
 * again to learn which XDP modes the interface takes; passing keeps the
 * interface's traffic flowing for the instant it is attached.
 * xdperf_probe_drop is run once with BPF_PROG_RUN live frames: the call
 * succeeds only where the kernel supports live frames, and the frame is
 * dropped, so nothing reaches the wire.
 *
 * Built by native/build.rs with clang -O2 -g -target bpf; loaded by
 * native/src/probe.rs (aya).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdperf_probe_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdperf_probe_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
