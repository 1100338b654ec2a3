// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/*
 * xdp_live_tx.c - xdperf's XDP live-frames transmitter.
 *
 * xdperf_live_tx is run by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * (kernel >= 5.18): the kernel puts a copy of the template into each live
 * frame, runs the program, and carries out its verdict. The program
 * redirects every frame to the target interface with bpf_redirect(), as
 * xdp-trafficgen does; XDP_TX would go back out of the test run's ingress
 * device, not the target.
 *
 * The same program is attached to the target for the run. That gives
 * drivers which only accept redirected frames while an XDP program is
 * attached their XDP transmit queues, and it keeps the program in the
 * kernel's XDP dispatcher: without that, every BPF_PROG_RUN with repeat > 1
 * adds and removes it, two synchronize_rcu() waits (~25 ms a call here).
 * Frames the target really receives (ingress is the target) are passed on.
 *
 * Two tracing programs count, for this process only, what the target's
 * driver took (xdp_devmap_xmit: sent, dropped) and which redirects failed
 * before reaching it (xdp_redirect_err), so the engine reports frames
 * accepted, not only frames run.
 *
 * Built by native/build.rs with clang -O2 -g -target bpf; loaded by
 * native/src/xdp_live.rs (aya), which sets the read-only globals.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Only the field read here; its offset is relocated against the running
 * kernel's BTF (CO-RE), so no vmlinux.h is needed. */
struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));

struct xmit_counts {
	__u64 sent;
	__u64 dropped;
	__u64 redirect_errors;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xmit_counts);
} xdperf_xmit_counts SEC(".maps");

/* Set by the loader before load. */
volatile const __u32 target_ifindex = 0;
volatile const __u32 sender_tgid = 0;

SEC("xdp")
int xdperf_live_tx(struct xdp_md *ctx)
{
	if (ctx->ingress_ifindex == target_ifindex)
		return XDP_PASS;
	return bpf_redirect(target_ifindex, 0);
}

static __always_inline struct xmit_counts *counts_of_this_sender(void)
{
	__u32 key = 0;

	if (bpf_get_current_pid_tgid() >> 32 != sender_tgid)
		return 0;
	return bpf_map_lookup_elem(&xdperf_xmit_counts, &key);
}

SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(xdperf_devmap_xmit, const struct net_device *from_dev,
	     const struct net_device *to_dev, int sent, int drops, int err)
{
	struct xmit_counts *c;

	if (to_dev->ifindex != (int)target_ifindex)
		return 0;
	c = counts_of_this_sender();
	if (c) {
		c->sent += sent;
		c->dropped += drops;
	}
	return 0;
}

SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(xdperf_redirect_err, const struct net_device *dev,
	     const void *xdp, const void *tgt, int err)
{
	struct xmit_counts *c = counts_of_this_sender();

	if (c)
		c->redirect_errors++;
	return 0;
}

char _license[] SEC("license") = "GPL";
