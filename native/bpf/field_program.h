/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * field_program.h - a template's field program as the xdp engine's BPF
 * program reads it. The Rust side (native/src/kernel/field_maps.rs) writes
 * the same layout (#[repr(C)]); keep the two in step.
 *
 * A field here is already compiled: the bytes it varies (at most 8, written
 * big-endian), the checksums those bytes are covered by, and the numbers
 * that turn the template's variant index k into its value (see
 * plugins/README.md, "Field programs"). A template whose variants repeat
 * has them pre-rendered instead (patches), and its frames' metadata says
 * where.
 */
#ifndef XDPERF_FIELD_PROGRAM_H
#define XDPERF_FIELD_PROGRAM_H

#include <linux/types.h>

#define XDPERF_MAX_FIELDS 8
#define XDPERF_MAX_LIST_VALUES 65536

enum xdperf_field_op {
	XDPERF_OP_INC = 0,
	XDPERF_OP_DEC = 1,
	XDPERF_OP_RANDOM = 2,
	XDPERF_OP_LIST = 3,
};

/* Bits of xdperf_field.checksums. */
#define XDPERF_CSUM_IP 1 /* the IPv4 header checksum */
#define XDPERF_CSUM_L4 2 /* the TCP/UDP/ICMP/ICMPv6 checksum */

struct xdperf_field {
	__u64 min;         /* inc/dec/random: the smallest value */
	__u64 span;        /* inc/dec/random: max - min + 1 (never 0) */
	__u64 step;        /* inc/dec: the step; 1 otherwise */
	__u64 cardinality; /* values before the field repeats (c) */
	__u64 divisor;     /* own index = k / divisor */
	__u64 seed;        /* random: the seed; 0 otherwise */
	__u32 list_start;  /* list: first value in xdperf_field_lists */
	__u16 offset;      /* frame offset of the first varied byte */
	__u8 width;        /* varied bytes, 1..8 */
	__u8 op;           /* enum xdperf_field_op */
	__u8 checksums;    /* XDPERF_CSUM_* bits */
	__u8 pad[7];
};

struct xdperf_field_program {
	__u64 flow_limit;   /* k is taken modulo this first; 0 = no limit */
	__u32 field_count;  /* 0: the template does not vary */
	__u16 ip_checksum;  /* frame offset of the IPv4 header checksum; 0 = none */
	__u16 l4_checksum;  /* frame offset of the L4 checksum; 0 = none */
	__u8 l4_is_udp;     /* a computed 0 is sent as 0xffff */
	__u8 pad;
	/* An ICMP message only the fields can make all zero, [start, end)
	 * in the frame; start = end = 0: none. Its checksum is then 0xffff,
	 * where RFC 1624's update gives 0x0000. */
	__u16 zero_message_start;
	__u16 zero_message_end;
	__u8 pad2[2];
	struct xdperf_field fields[XDPERF_MAX_FIELDS];
};

/*
 * Metadata in front of each live frame of a template with fields, or of
 * any template in a stamped run (BPF_PROG_RUN ctx_in: xdp_md.data =
 * sizeof(struct xdperf_live_meta), at most the 32 bytes XDP allows). The
 * k of a call's n-th frame is base + n, counted per sender slot.
 *
 * A template with patches (patch_period not 0) has its variants
 * pre-rendered: patch patch_base + k % patch_period of
 * xdperf_patches_<patch_words> holds variant k's bytes [patch_offset,
 * patch_offset + 8 * patch_words) of the frame. The sender puts that here
 * rather than in the template's xdperf_field_program, so a frame needs no
 * look at its program.
 *
 * A stamped frame's seq is base + n as well, never reduced by a flow
 * limit or a patch period; XDPERF_META_STAMP_ONLY marks a template without
 * fields, whose frames only get their stamp.
 */
#define XDPERF_META_STAMP_ONLY 1
struct xdperf_live_meta {
	__u64 base;     /* variant index of the call's first frame */
	__u32 call;     /* changes every call of the slot */
	__u32 template_index;
	__u32 slot;     /* the sending thread */
	__u32 patch_base;
	__u32 patch_period; /* 0: no patches, the fields are computed */
	__u16 patch_offset;
	__u8 patch_words;   /* 1..8: a span of up to 64 bytes */
	__u8 flags;         /* XDPERF_META_* */
};

#endif
