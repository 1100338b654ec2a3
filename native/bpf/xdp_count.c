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
 * Frames sent with `xdperf run --stamp` carry a stamp (stamp.h) at the
 * start of their L4 payload. The counter finds it behind Ethernet, up to
 * two VLAN tags, IPv4 (not a fragment) or IPv6 (no extension headers) and
 * UDP, TCP or ICMP/ICMPv6, checks it, and keeps per stream, exactly even
 * when the NIC spreads a stream over CPUs (one shared value per stream,
 * under its spin lock):
 *
 *  - packets and bytes;
 *  - duplicates, from a bitmap of the last SEQ_WINDOW sequence numbers
 *    below the highest seen (a packet older than that cannot be checked:
 *    it counts in beyond_window, and as reordered, never as a duplicate);
 *  - reordered packets as RFC 4737 has them: not duplicates, and lower
 *    than the highest sequence number seen before them;
 *  - one-way latency (receive time - tx_ns, mod 2^48, on the stamp's
 *    clock): min, max, sum, count and RFC 3550 jitter, over the first copy
 *    of each packet (RFC 5560: a duplicate's delay is not a sample); a
 *    difference of 2^47 or more means the sender's clock is ahead of ours
 *    (clock_ahead, counted for every copy) and is no sample either;
 *  - a log-linear latency histogram (latency_bucket), in one mmapable
 *    array for all streams, added to atomically outside the lock.
 *
 * Anything that is not a valid stamp is only counted as a frame. Stream ids
 * of MAX_STREAMS and above count in xdperf_stamp_out_of_range.
 *
 * With track_stamps 0 (`xdperf recv --count-only`) the program only counts
 * frames, at the cost of the counter before stamps: the loader sets it, the
 * verifier knows its value and prunes the stamp code as dead.
 * Userspace (native/src/receiver/) reads and zeroes the maps; the Rust
 * mirrors of the value and of latency_bucket are kernel/bpf.rs's
 * StampStreamValue and stamp/histogram.rs.
 *
 * Needs bpf_ktime_get_tai_ns (Linux 6.1) for stamps on CLOCK_TAI.
 *
 * Built by native/build.rs with clang -O2 -g -target bpf and embedded in the
 * native module; loaded and attached by native/src/receiver.rs (aya).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "stamp.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the stamp is little-endian and read with native loads"
#endif

/* Streams 0..MAX_STREAMS-1 are tracked. */
#define MAX_STREAMS 256
/* Sequence numbers the duplicate bitmap covers: SEQ_WORDS words of 64. */
#define SEQ_WORDS 64
/* Buckets of each stream's latency histogram (see latency_bucket). */
#define LATENCY_BUCKETS 4096
#define LATENCY_SUB_BITS 7

#define LATENCY_AHEAD (1ULL << 47)

#define STREAM_SEEN 1	 /* highest_seq holds a sequence number */
#define STREAM_TAI 2	 /* the last stamp's clock was CLOCK_TAI */
#define STREAM_TRANSIT 4 /* last_transit holds a latency sample */

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

/* One stream's state; kernel/bpf.rs's StampStreamValue mirrors it. */
struct stream_state {
	struct bpf_spin_lock lock;
	__u32 flags;
	__u64 packets;
	__u64 bytes;
	__u64 duplicated;
	__u64 reordered;
	__u64 beyond_window;
	__u64 clock_ahead;
	__u64 highest_seq;
	__u64 latency_count;
	__u64 latency_sum;
	__u64 latency_min;
	__u64 latency_max;
	__u64 last_transit;
	/* RFC 3550 jitter in ns * 16, as the RFC's own code keeps it. */
	__u64 jitter16;
	/* Bit s & 63 of word (s >> 6) % SEQ_WORDS: sequence number s was seen.
	 * Bits above highest_seq are zero. */
	__u64 seen[SEQ_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct stream_state);
} xdperf_stamp_streams SEC(".maps");

/* Key stream * LATENCY_BUCKETS + bucket: samples in that bucket. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_STREAMS * LATENCY_BUCKETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} xdperf_stamp_latency SEC(".maps");

/* Valid stamps of a stream id >= MAX_STREAMS. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xdperf_stamp_out_of_range SEC(".maps");

/* XDP_DROP or XDP_PASS, set by the loader (aya set_global) before load. */
volatile const __u32 verdict = XDP_DROP;
/* 0: count frames only, reading no stamp; set by the loader as verdict. */
volatile const __u32 track_stamps = 1;

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* Frame offset of the stamp, or 0 when the frame has no room for one
 * where a stamp would be. */
static __always_inline __u32 stamp_offset(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	__u32 at = sizeof(*eth);
	__be16 proto;

	if (data + at > data_end)
		return 0;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_tag *tag = data + at;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > data_end)
			return 0;
		proto = tag->proto;
		at += sizeof(*tag);
	}

	__u32 l4, end;
	__u8 protocol, icmp;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + at;
		__u32 header_len, total_len;

		if ((void *)(ip + 1) > data_end)
			return 0;
		if (ip->version != 4 || (ip->frag_off & bpf_htons(0x3fff)))
			return 0;
		header_len = (__u32)ip->ihl * 4;
		total_len = bpf_ntohs(ip->tot_len);
		if (header_len < sizeof(*ip))
			return 0;
		l4 = at + header_len;
		end = at + total_len;
		protocol = ip->protocol;
		icmp = IPPROTO_ICMP;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + at;

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		if (ip6->version != 6)
			return 0;
		l4 = at + sizeof(*ip6);
		end = l4 + bpf_ntohs(ip6->payload_len);
		protocol = ip6->nexthdr;
		icmp = IPPROTO_ICMPV6;
	} else {
		return 0;
	}

	__u32 stamp;

	if (protocol == IPPROTO_UDP || protocol == icmp) {
		/* The UDP header; the ICMP echo header. */
		stamp = l4 + 8;
	} else if (protocol == IPPROTO_TCP) {
		__u8 *offset_byte = data + l4 + 12;

		if ((void *)(offset_byte + 1) > data_end)
			return 0;
		if (*offset_byte < 0x50)
			return 0;
		stamp = l4 + (__u32)(*offset_byte >> 4) * 4;
	} else {
		return 0;
	}
	if (stamp + XDPERF_STAMP_LEN > end)
		return 0;
	return stamp;
}

/* Index of the highest set bit of v (v != 0): a binary search, as the BPF
 * target has no count-leading-zeros instruction. */
static __always_inline __u32 highest_bit(__u64 v)
{
	__u32 e = 0;

	if (v >> 32) {
		v >>= 32;
		e += 32;
	}
	if (v >> 16) {
		v >>= 16;
		e += 16;
	}
	if (v >> 8) {
		v >>= 8;
		e += 8;
	}
	if (v >> 4) {
		v >>= 4;
		e += 4;
	}
	if (v >> 2) {
		v >>= 2;
		e += 2;
	}
	if (v >> 1)
		e += 1;
	return e;
}

/* The histogram bucket of a latency: values below 128 ns each their own;
 * above, 128 buckets per power of two (relative width <= 1/128), the last
 * taking everything beyond. stamp/histogram.rs's bucket_of is the same. */
static __always_inline __u32 latency_bucket(__u64 ns)
{
	__u32 e, bucket;

	if (ns < (1 << LATENCY_SUB_BITS))
		return ns;
	e = highest_bit(ns);
	bucket = (e - (LATENCY_SUB_BITS - 1)) * (1 << LATENCY_SUB_BITS) +
		 ((ns >> (e - LATENCY_SUB_BITS)) & ((1 << LATENCY_SUB_BITS) - 1));
	return bucket < LATENCY_BUCKETS ? bucket : LATENCY_BUCKETS - 1;
}

/* Marks seq seen in s (its lock held); 1 if it was seen before. */
static __always_inline int note_sequence(struct stream_state *s, __u64 seq)
{
	__u64 word = seq >> 6, bit = 1ULL << (seq & 63);
	__u64 *slot;

	if (!(s->flags & STREAM_SEEN)) {
		s->flags |= STREAM_SEEN;
		s->highest_seq = seq;
		s->seen[word & (SEQ_WORDS - 1)] = bit;
		return 0;
	}
	if (seq > s->highest_seq) {
		__u64 top = s->highest_seq >> 6, gap = word - top;

		/* The words seq moves the window onto held sequence numbers
		 * SEQ_WORDS words back; clear them. */
		if (gap >= SEQ_WORDS) {
			for (int i = 0; i < SEQ_WORDS; i++)
				s->seen[i] = 0;
		} else {
			for (int i = 1; i < SEQ_WORDS; i++) {
				if (i > gap)
					break;
				s->seen[(top + i) & (SEQ_WORDS - 1)] = 0;
			}
		}
		s->highest_seq = seq;
		s->seen[word & (SEQ_WORDS - 1)] |= bit;
		return 0;
	}
	__u64 top = s->highest_seq >> 6;

	if (top >= SEQ_WORDS - 1 && word < top - (SEQ_WORDS - 1)) {
		/* Older than the window: reordered, not checkable. */
		s->beyond_window++;
		s->reordered++;
		return 0;
	}
	slot = &s->seen[word & (SEQ_WORDS - 1)];
	if (*slot & bit)
		return 1;
	*slot |= bit;
	if (seq < s->highest_seq)
		s->reordered++;
	return 0;
}

SEC("xdp")
int xdperf_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	__u32 key = 0;
	struct counts *c = bpf_map_lookup_elem(&xdperf_counts, &key);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
	if (!track_stamps)
		return verdict;

	__u32 at = stamp_offset(data, data_end);
	__u8 *stamp = data + at;

	if (!at || (void *)(stamp + XDPERF_STAMP_LEN) > data_end)
		return verdict;

	__u32 check = *(__u32 *)stamp;
	__u16 word = *(__u16 *)(stamp + 4);
	__u64 seq = *(__u16 *)(stamp + 6) | (__u64) * (__u32 *)(stamp + 8) << 16;
	__u64 tx_ns = *(__u32 *)(stamp + 12) | (__u64) * (__u16 *)(stamp + 16) << 32;

	if (check != xdperf_stamp_check(word, seq, tx_ns))
		return verdict;

	__u32 stream = word & XDPERF_STAMP_STREAM_MASK;

	if (stream >= MAX_STREAMS) {
		__u64 *out = bpf_map_lookup_elem(&xdperf_stamp_out_of_range, &key);

		if (out)
			(*out)++;
		return verdict;
	}

	int tai = word & XDPERF_STAMP_CLOCK_TAI;
	__u64 now = tai ? bpf_ktime_get_tai_ns() : bpf_ktime_get_ns();
	__u64 latency = (now - tx_ns) & XDPERF_STAMP_48_MASK;
	int ahead = latency >= LATENCY_AHEAD;
	struct stream_state *s = bpf_map_lookup_elem(&xdperf_stamp_streams, &stream);
	int sample = 0;

	if (!s)
		return verdict;

	bpf_spin_lock(&s->lock);
	s->packets++;
	s->bytes += len;
	if (tai)
		s->flags |= STREAM_TAI;
	else
		s->flags &= ~STREAM_TAI;
	if (ahead)
		s->clock_ahead++;
	if (note_sequence(s, seq)) {
		s->duplicated++;
	} else if (!ahead) {
		sample = 1;
		if (s->latency_count == 0 || latency < s->latency_min)
			s->latency_min = latency;
		if (latency > s->latency_max)
			s->latency_max = latency;
		s->latency_count++;
		s->latency_sum += latency;
		if (s->flags & STREAM_TRANSIT) {
			__u64 d = latency > s->last_transit ? latency - s->last_transit
							    : s->last_transit - latency;

			/* J += (|D| - J) / 16, with J kept as 16 J. */
			s->jitter16 = s->jitter16 - ((s->jitter16 + 8) >> 4) + d;
		}
		s->last_transit = latency;
		s->flags |= STREAM_TRANSIT;
	}
	bpf_spin_unlock(&s->lock);

	if (sample) {
		__u32 bucket = stream * LATENCY_BUCKETS + latency_bucket(latency);
		__u64 *count = bpf_map_lookup_elem(&xdperf_stamp_latency, &bucket);

		if (count)
			__sync_fetch_and_add(count, 1);
	}
	return verdict;
}

char _license[] SEC("license") = "GPL";
