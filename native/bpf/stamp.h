/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * stamp.h - the stamp `xdperf run --stamp` writes at the start of each
 * frame's L4 payload, as the BPF programs read and write it. The Rust side
 * (native/src/stamp/format.rs) has the same layout and check; keep the two
 * in step.
 *
 * 18 bytes, little-endian, so it fits the payload of a minimum-size
 * IPv4/UDP frame (60 bytes before the FCS, 42 of them headers):
 *
 *   0  check   u32  xdperf_stamp_check() of bytes 4..18
 *   4  stream  u16  bits 0..14: the stream (the template's index);
 *                   bit 15: the clock of tx_ns is CLOCK_TAI, not
 *                   CLOCK_MONOTONIC
 *   6  seq     u48  the packet's number within its stream, from 0
 *  12  tx_ns   u48  the low 48 bits of the transmit time, in ns
 *
 * A payload that is not a stamp passes the check with probability 2^-32:
 * the check is a function of the other 14 bytes, so in random bytes it
 * matches by chance alone, and the multiplications keep structured
 * payloads (all zero, all ones, counters) from matching. 48-bit numbers do not wrap in
 * a run: 2^48 packets is 32 days at 100 Mpps; 2^48 ns is 78 hours, and a
 * latency is taken modulo 2^48.
 */
#ifndef XDPERF_STAMP_H
#define XDPERF_STAMP_H

#include <linux/types.h>

#define XDPERF_STAMP_LEN 18
#define XDPERF_STAMP_STREAM_MASK 0x7fff
#define XDPERF_STAMP_CLOCK_TAI 0x8000
#define XDPERF_STAMP_48_MASK 0xffffffffffffULL

/*
 * The check: the high half of (seq + key(stream word)) * M, xor a mix of
 * tx_ns, each part a multiplication (odd constants from splitmix64 and the
 * golden ratio; the key's constant keeps an all-zero payload from
 * checking). It is built so that a sender pays one multiplication a
 * packet: the stream word's key is the same for a whole run of a
 * template, and tx_ns changes once a clock reading.
 */
#define XDPERF_STAMP_CHECK_M 0x9e3779b97f4a7c15ULL

static __always_inline __u64 xdperf_stamp_key(__u16 stream)
{
	return (__u64)stream * 0xd6e8feb86659fd93ULL ^ 0x7864706572660a11ULL;
}

static __always_inline __u32 xdperf_stamp_tx_mix(__u64 tx_ns)
{
	return ((tx_ns & XDPERF_STAMP_48_MASK) * 0xbf58476d1ce4e5b9ULL) >> 32;
}

static __always_inline __u32 xdperf_stamp_check_of(__u64 key, __u64 seq, __u32 tx_mix)
{
	return (((seq & XDPERF_STAMP_48_MASK) + key) * XDPERF_STAMP_CHECK_M) >> 32 ^ tx_mix;
}

static __always_inline __u32 xdperf_stamp_check(__u16 stream, __u64 seq, __u64 tx_ns)
{
	return xdperf_stamp_check_of(xdperf_stamp_key(stream), seq, xdperf_stamp_tx_mix(tx_ns));
}

/* The stamp's numbers are little-endian whatever the host's order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define xdperf_le16(x) ((__u16)(x))
#define xdperf_le64(x) ((__u64)(x))
#else
#define xdperf_le16(x) __builtin_bswap16(x)
#define xdperf_le64(x) __builtin_bswap64(x)
#endif

/*
 * The transmitter's side (xdp_live_tx.c; native/src/kernel/stamp_maps.rs
 * writes the same layout).
 *
 * Its read-only global stamp_clock: whether the run stamps, and which
 * clock tx_ns is read from.
 */
#define XDPERF_STAMP_OFF 0
#define XDPERF_STAMP_MONOTONIC 1
#define XDPERF_STAMP_TAI 2

/* Where a template's stamps go (StampSite in native/src/stamp/site.rs). */
struct xdperf_stamp_site {
	__u16 at;          /* frame offset of the stamp (even) */
	__u16 l4_checksum; /* frame offset of the L4 checksum; 0 = none to keep */
	__u8 l4_is_udp;    /* a computed 0 is sent as 0xffff */
	/* How the L4 checksum is made right for the stamp (XDPERF_SUM_*). */
	__u8 checksum_from;
	__u8 pad[2];
	/* XDPERF_SUM_TEMPLATE: the template's 18 bytes at `at`;
	 * XDPERF_SUM_REST: every byte the checksum covers but the stamp's and
	 * its own (pseudo header included), with the template's bytes; both
	 * summed as 16-bit words in the host's byte order (not folded). */
	__u32 sum;
};

/* Values of xdperf_stamp_site.checksum_from. */
/* Updated (RFC 1624) from the bytes the frame holds where the stamp goes. */
#define XDPERF_SUM_FRAME 0
/* Updated from the template's bytes there: a patch has just written the
 * checksum of the variant as rendered from the template. */
#define XDPERF_SUM_TEMPLATE 1
/* Computed whole from `sum` and the stamp: a template without fields,
 * whose other covered bytes never change. */
#define XDPERF_SUM_REST 2

#endif
