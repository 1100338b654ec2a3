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
 * A template with fields (field_program.h) is run with a struct
 * xdperf_live_meta in front of the frame (XDP metadata): the program then
 * writes the template's variant k = meta.base + n into the frame, n the
 * frames this call of the sender slot has run so far, and updates the
 * checksums the frame carries. Live frames are recycled within a call and
 * not re-initialised, so a frame holds some earlier variant (or the base
 * frame) and the checksums are updated from the bytes it holds (RFC 1624),
 * never from the base frame. Frames without metadata go straight out.
 *
 * Computing the fields is most of the program's time a frame, so a
 * template whose variants repeat within a bound the loader sets has them
 * pre-rendered by the Rust core: one patch a variant, the bytes of the one
 * span of the frame that holds every byte the variants vary (fields and
 * the checksums they change). Its frames' metadata says where its patches
 * are; each frame takes its variant's patch and copies it over the span,
 * whatever variant the frame held.
 *
 * A stamped run (stamp.h) has every template's frames carry the metadata:
 * after its variant, each frame gets its stamp, seq = meta.base + n, and
 * its L4 checksum is updated for it (see write_stamp). Without stamps the
 * loader leaves stamp_clock 0, and as it is read-only the verifier drops
 * the stamping code: a frame with metadata pays one load of the global.
 *
 * Built by native/build.rs with clang -O2 -g -target bpf; loaded by
 * native/src/xdp_live.rs (aya), which sets the read-only globals.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "field_program.h"
#include "stamp.h"

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
/* XDPERF_STAMP_OFF, or the clock of the run's stamps. */
volatile const __u32 stamp_clock = XDPERF_STAMP_OFF;
/*
 * Frames one clock reading stamps: the loader sets the live-frames batch
 * size. The kernel runs the program on a batch's frames one after another
 * and transmits them together at the batch's end, so a reading per frame
 * (about 30 ns on a VM, more than the rest of the stamp) would be no
 * closer to when each frame leaves than one at the batch's first frame.
 */
volatile const __u32 stamp_clock_every = 1;

/*
 * Field and checksum offsets are bounded by a page (a live frame is less):
 * bounding them lets the verifier prove the packet accesses, and no field
 * of a real frame is further.
 */
#define MAX_FRAME_OFFSET 4096

/*
 * Where a field is in the variant a sender slot wrote last, so the next
 * variant follows without divisions (they cost more than the rest of the
 * program): for inc/dec/list the own index modulo the cardinality, and
 * what the value is computed from.
 */
struct field_position {
	__u64 index;  /* own index % cardinality */
	__u64 term;   /* inc/dec: index * step % span; random: seed + own index */
	__u64 stride; /* inc/dec: step % span */
};

/* A sender slot's cursor in its current call. */
struct slot_cursor {
	__u32 call;    /* xdperf_live_meta.call of the call being run */
	__u32 started; /* 0 until the slot's first frame */
	/* The variant written last, flow_limit applied; for a template with
	 * patches, modulo its patch_period. */
	__u64 k;
	struct field_position fields[XDPERF_MAX_FIELDS];
};

/* The field program of each template, by template index; the loader sets
 * max_entries to the template count. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdperf_field_program);
} xdperf_field_programs SEC(".maps");

/* The values of every list field of every template, each field's from its
 * list_start; the loader sets max_entries to their number. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xdperf_field_lists SEC(".maps");

/* One per sender slot (xdperf_live_meta.slot); the loader sets max_entries
 * to the thread count. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot_cursor);
} xdperf_slot_cursors SEC(".maps");

/* A sender slot's stamps in its current call. */
struct stamp_cursor {
	__u64 seq;        /* of the slot's last stamp */
	__u64 tx_ns;      /* the clock as last read */
	__u32 call;       /* xdperf_live_meta.call of the call being run */
	__u32 started;    /* 0 until the slot's first stamp */
	__u32 reads_left; /* frames the last reading still serves */
	__u32 tx_mix;     /* xdperf_stamp_tx_mix(tx_ns) */
	__u64 key;        /* xdperf_stamp_key() of the call's stream word */
	/* The call's template's site, copied at its first frame: a call is
	 * one template, so its other frames look up nothing more. */
	struct xdperf_stamp_site site;
};

/* Each template's stamp site, by template index; the loader sets
 * max_entries to the template count in a stamped run. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdperf_stamp_site);
} xdperf_stamp_sites SEC(".maps");

/* One per sender slot, as xdperf_slot_cursors. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stamp_cursor);
} xdperf_stamp_cursors SEC(".maps");

/*
 * The patches, one map per patch size: a patch of n 8-byte words is in
 * xdperf_patches_<n>, so each template's take only its own span's room and
 * each copy has a length the verifier knows. Mappable, so the loader fills
 * them through memory rather than a syscall a patch; it sets max_entries to
 * the patches of each size (1 for a size no template has).
 */
#define PATCH_MAP(words)                                                \
	struct {                                                        \
		__uint(type, BPF_MAP_TYPE_ARRAY);                       \
		__uint(max_entries, 1);                                 \
		__uint(map_flags, BPF_F_MMAPABLE);                      \
		__type(key, __u32);                                     \
		__type(value, __u64[words]);                            \
	} xdperf_patches_##words SEC(".maps")

PATCH_MAP(1);
PATCH_MAP(2);
PATCH_MAP(3);
PATCH_MAP(4);
PATCH_MAP(5);
PATCH_MAP(6);
PATCH_MAP(7);
PATCH_MAP(8);

static __always_inline __u64 splitmix64(__u64 x)
{
	__u64 z = x + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Places field f at variant k: the divisions, once a call. */
static __always_inline void seek_field(const struct xdperf_field *f,
				       struct field_position *p, __u64 k)
{
	__u64 own_index = k / f->divisor;

	p->index = own_index % f->cardinality;
	switch (f->op) {
	case XDPERF_OP_INC:
	case XDPERF_OP_DEC:
		p->stride = f->step % f->span;
		p->term = p->index * p->stride % f->span;
		break;
	case XDPERF_OP_RANDOM:
		p->term = f->seed + own_index;
		break;
	}
}

/* Moves field f on by one own index; whether it wrapped (a chained field
 * after it then moves on too). */
static __always_inline int step_field(const struct xdperf_field *f,
				      struct field_position *p)
{
	switch (f->op) {
	case XDPERF_OP_INC:
	case XDPERF_OP_DEC:
		/* term + stride modulo span, where the sum may overflow. */
		if (p->term >= f->span - p->stride)
			p->term -= f->span - p->stride;
		else
			p->term += p->stride;
		break;
	case XDPERF_OP_RANDOM:
		p->term++;
		break;
	}
	if (++p->index < f->cardinality)
		return 0;
	p->index = 0;
	if (f->op != XDPERF_OP_RANDOM)
		p->term = 0;
	return 1;
}

/* Field f's value where p is; 0 if a list value is missing (the loader
 * never leaves one out). */
static __always_inline int field_value(const struct xdperf_field *f,
				       const struct field_position *p,
				       __u64 *value)
{
	__u32 list_index;
	__u64 *listed;

	switch (f->op) {
	case XDPERF_OP_INC:
		*value = f->min + p->term;
		return 1;
	case XDPERF_OP_DEC:
		*value = f->min + (f->span - 1) - p->term;
		return 1;
	case XDPERF_OP_RANDOM:
		*value = f->min + splitmix64(p->term) % f->span;
		return 1;
	case XDPERF_OP_LIST:
		list_index = f->list_start + (__u32)p->index;
		listed = bpf_map_lookup_elem(&xdperf_field_lists, &list_index);
		if (!listed)
			return 0;
		*value = *listed;
		return 1;
	}
	return 0;
}

/*
 * What replacing the big-endian number `old` (at most 32 bits), which ends
 * at frame offset `end`, by `new` adds to a one's complement sum of the
 * frame's 16-bit words, modulo 0xffff (RFC 1624's ~m + m'; the sum is
 * folded once, in updated_checksum). As 2^16 = 1 (mod 0xffff), the bytes
 * of a number x add x to the sum when its last byte is a word's low half
 * (an odd offset, `end` even: every header starts at an even one), else
 * x * 2^8;
 * 0xffffffff = 0 (mod 0xffff) keeps the difference positive.
 */
static __always_inline __u64 sum_change(__u32 old, __u32 new, __u32 end)
{
	__u64 change = 0xffffffffULL - old + new;

	return change << ((end & 1) * 8);
}

/*
 * Writes the low `width` bytes of `value` big-endian at `offset` and
 * returns what the change adds to the sum of every checksum covering
 * them: as one access of 8 bytes, or of 4, 2 and 1 as `width` holds them.
 */
static __always_inline __u64 write_field(void *data, void *data_end,
					 __u32 offset, __u32 width, __u64 value)
{
	void *at = data + offset;
	__u64 delta = 0;
	__u64 old;
	__u32 new;

	if (offset > MAX_FRAME_OFFSET)
		return 0;
	if (width == 8) {
		if (at + 8 > data_end)
			return 0;
		old = bpf_be64_to_cpu(*(__u64 *)at);
		*(__u64 *)at = bpf_cpu_to_be64(value);
		/* Its halves end at offsets of the same parity. */
		return sum_change(old >> 32, value >> 32, offset + 8) +
		       sum_change(old, value, offset + 8);
	}
	if (width & 4) {
		if (at + 4 > data_end)
			return 0;
		old = bpf_ntohl(*(__u32 *)at);
		new = value >> ((width - 4) * 8);
		*(__u32 *)at = bpf_htonl(new);
		offset += 4;
		at += 4;
		delta += sum_change(old, new, offset);
	}
	if (width & 2) {
		if (at + 2 > data_end)
			return delta;
		old = bpf_ntohs(*(__u16 *)at);
		new = (__u16)(value >> ((width & 1) * 8));
		*(__u16 *)at = bpf_htons(new);
		offset += 2;
		at += 2;
		delta += sum_change(old, new, offset);
	}
	if (width & 1) {
		if (at + 1 > data_end)
			return delta;
		old = *(__u8 *)at;
		new = (__u8)value;
		*(__u8 *)at = new;
		delta += sum_change(old, new, offset + 1);
	}
	return delta;
}

/* The 16-bit checksum at `offset`, if the frame holds it. */
static __always_inline __u16 *checksum_field(void *data, void *data_end, __u32 offset)
{
	__u16 *field = data + offset;

	if (offset > MAX_FRAME_OFFSET || (void *)(field + 1) > data_end)
		return 0;
	return field;
}

/*
 * RFC 1624's eqn. 3, HC' = ~(~HC + delta), `delta` the sum of the ~m + m'
 * terms. The sum is never 0 (delta is not), so HC' is what a full
 * computation gives, 0x0000 rather than 0xffff, unless the data are all
 * zero.
 */
static __always_inline __u16 updated_checksum(__u16 checksum, __u64 delta)
{
	__u64 sum = (__u16)~checksum + delta;

	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * Whether the program's ICMP message (zero_message_start/end) is all zero
 * but for its checksum. Only the fields' bytes in it can be other than
 * zero, so those are the ones read. A global function, so the verifier
 * checks it once rather than on every path that reaches it.
 */
__noinline int message_is_zero(struct xdp_md *ctx,
			       const struct xdperf_field_program *program)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (!program)
		return 0;
	for (__u32 i = 0; i < XDPERF_MAX_FIELDS && i < program->field_count; i++) {
		const struct xdperf_field *field = &program->fields[i];
		__u32 first = field->offset;

		if (first > MAX_FRAME_OFFSET)
			return 0;
		for (__u32 j = 0; j < 8 && j < field->width; j++) {
			__u32 offset = first + j;
			__u8 *byte = data + offset;

			if (offset < program->zero_message_start ||
			    offset >= program->zero_message_end)
				continue;
			if ((void *)(byte + 1) > data_end || *byte)
				return 0;
		}
	}
	return 1;
}

/*
 * Moves the slot's cursor to the variant its frame gets: the call's first,
 * variant base (with divisions), else the one after the slot's last (an
 * odometer step: a field that starts a group, divisor 1, always moves on;
 * a chained one when the field before it wrapped).
 */
static __always_inline void next_variant(const struct xdperf_field_program *program,
					 struct slot_cursor *cursor,
					 const struct xdperf_live_meta *meta)
{
	__u32 count = program->field_count;
	int carry = 0;
	__u64 k;

	if (cursor->started && cursor->call == meta->call) {
		/* k wraps to 0 at flow_limit, or past 2^64 - 1 without one
		 * (flow_limit 0): every field is then at its start. */
		k = cursor->k + 1;
		if (k == program->flow_limit)
			k = 0;
		cursor->k = k;
		if (k != 0) {
			for (__u32 i = 0; i < XDPERF_MAX_FIELDS && i < count; i++) {
				const struct xdperf_field *field = &program->fields[i];

				if (field->divisor == 1)
					carry = 1;
				if (carry)
					carry = step_field(field, &cursor->fields[i]);
			}
			return;
		}
	} else {
		cursor->started = 1;
		cursor->call = meta->call;
		k = meta->base;
		if (program->flow_limit)
			k %= program->flow_limit;
		cursor->k = k;
	}
	for (__u32 i = 0; i < XDPERF_MAX_FIELDS && i < count; i++)
		seek_field(&program->fields[i], &cursor->fields[i], k);
}

/*
 * Moves the slot's cursor to the patch its frame gets: the call's first,
 * base % patch_period (the one division, once a call), else the one after
 * the slot's last, wrapping at the period.
 */
static __always_inline __u32 next_patch(struct slot_cursor *cursor,
					const struct xdperf_live_meta *meta)
{
	__u64 index;

	if (cursor->started && cursor->call == meta->call) {
		index = cursor->k + 1;
		if (index == meta->patch_period)
			index = 0;
	} else {
		cursor->started = 1;
		cursor->call = meta->call;
		index = meta->base % meta->patch_period;
	}
	cursor->k = index;
	return meta->patch_base + (__u32)index;
}

/* Copies patch `patch_index` of xdperf_patches_<words> to `at`, 8 bytes a
 * store, if the frame holds the whole span. */
#define COPY_PATCH(words)                                                     \
	case words: {                                                         \
		__u64 *patch;                                                 \
									      \
		patch = bpf_map_lookup_elem(&xdperf_patches_##words, &patch_index); \
		if (!patch || (void *)(at + words) > data_end)                \
			return;                                               \
		for (int i = 0; i < words; i++)                               \
			at[i] = patch[i];                                     \
		return;                                                       \
	}

/* Writes the next variant of a template with patches into the frame. */
static __always_inline void write_patch(struct xdp_md *ctx,
					const struct xdperf_live_meta *meta)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 offset = meta->patch_offset;
	__u64 *at = data + offset;
	struct slot_cursor *cursor;
	__u32 slot = meta->slot;
	__u32 patch_index;

	cursor = bpf_map_lookup_elem(&xdperf_slot_cursors, &slot);
	if (!cursor || offset > MAX_FRAME_OFFSET)
		return;
	patch_index = next_patch(cursor, meta);
	switch (meta->patch_words) {
	COPY_PATCH(1)
	COPY_PATCH(2)
	COPY_PATCH(3)
	COPY_PATCH(4)
	COPY_PATCH(5)
	COPY_PATCH(6)
	COPY_PATCH(7)
	COPY_PATCH(8)
	}
}

/* Writes the next variant of the template `meta` names into the frame. */
static __always_inline void write_variant(struct xdp_md *ctx,
					  const struct xdperf_live_meta *meta)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct xdperf_field_program *program;
	struct slot_cursor *cursor;
	__u64 ip_delta = 0, l4_delta = 0;
	__u32 key;

	key = meta->slot;
	cursor = bpf_map_lookup_elem(&xdperf_slot_cursors, &key);
	key = meta->template_index;
	program = bpf_map_lookup_elem(&xdperf_field_programs, &key);
	if (!cursor || !program)
		return;
	next_variant(program, cursor, meta);

	for (__u32 i = 0; i < XDPERF_MAX_FIELDS && i < program->field_count; i++) {
		const struct xdperf_field *field = &program->fields[i];
		__u64 value, delta;

		if (!field_value(field, &cursor->fields[i], &value))
			continue;
		delta = write_field(data, data_end, field->offset, field->width, value);
		if (field->checksums & XDPERF_CSUM_IP)
			ip_delta += delta;
		if (field->checksums & XDPERF_CSUM_L4)
			l4_delta += delta;
	}
	/* A covered checksum's delta is never 0 (see sum_change). */
	if (ip_delta) {
		__u16 *field = checksum_field(data, data_end, program->ip_checksum);

		if (field)
			*field = bpf_htons(updated_checksum(bpf_ntohs(*field), ip_delta));
	}
	if (l4_delta) {
		__u16 *field = checksum_field(data, data_end, program->l4_checksum);
		__u16 checksum;

		if (!field)
			return;
		checksum = updated_checksum(bpf_ntohs(*field), l4_delta);
		/* UDP sends a computed 0 as 0xffff (0 means none); an all-zero
		 * ICMP message has the checksum a full computation gives. */
		if (checksum == 0 &&
		    (program->l4_is_udp ||
		     (program->zero_message_end && message_is_zero(ctx, program))))
			checksum = 0xffff;
		*field = bpf_htons(checksum);
	}
}

/*
 * 5 * 0xffffffff: 0 (mod 0xffff) and more than the sum of any 18 bytes as
 * stamp_sum takes them, so BIAS - old + new is new - old (mod 0xffff) and
 * never 0 (see updated_checksum).
 */
#define STAMP_SUM_BIAS 0x4fffffffbULL

/*
 * The 18 bytes of a stamp, loaded as two 8-byte words and a 2-byte one,
 * summed modulo 0xffff (not folded): as 2^16 = 1 (mod 0xffff), a word's
 * 32-bit halves add what their 16-bit words do. The sums and the checksum
 * are all taken in the byte order of the loads, not the network's: a one's
 * complement sum of byte-swapped words is the byte-swapped sum (RFC 1071),
 * so the checksum comes out right, with no swap.
 */
static __always_inline __u64 stamp_sum(__u64 head, __u64 middle, __u16 tail)
{
	return (head & 0xffffffff) + (head >> 32) + (middle & 0xffffffff) +
	       (middle >> 32) + tail;
}

/*
 * Writes the stamp of the frame `meta` is in front of (the call's n-th of
 * its slot: seq = base + n) at its template's site, and makes the L4
 * checksum right for it (see XDPERF_SUM_*): updated (RFC 1624) from the
 * bytes there before — the frame's own (a recycled live frame holds an
 * earlier stamp, a fresh one the template's payload) or, where a patch has
 * just written the checksum of the variant as rendered from the template,
 * the template's — or, for a template without fields, computed whole.
 */
static __always_inline void write_stamp(struct xdp_md *ctx,
					const struct xdperf_live_meta *meta)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct xdperf_stamp_site *site;
	struct stamp_cursor *cursor;
	__u64 head, middle, seq, tx_ns, sum;
	__u16 tail, word, updated, *checksum;
	__u8 *at;
	__u32 key;

	word = stamp_clock == XDPERF_STAMP_TAI ? XDPERF_STAMP_CLOCK_TAI : 0;
	word |= meta->template_index & XDPERF_STAMP_STREAM_MASK;
	key = meta->slot;
	cursor = bpf_map_lookup_elem(&xdperf_stamp_cursors, &key);
	if (!cursor)
		return;
	if (cursor->started && cursor->call == meta->call) {
		seq = cursor->seq + 1;
	} else {
		key = meta->template_index;
		site = bpf_map_lookup_elem(&xdperf_stamp_sites, &key);
		if (!site)
			return;
		cursor->site = *site;
		cursor->key = xdperf_stamp_key(word);
		cursor->started = 1;
		cursor->call = meta->call;
		cursor->reads_left = 0;
		seq = meta->base;
	}
	cursor->seq = seq;
	site = &cursor->site;
	if (site->at > MAX_FRAME_OFFSET)
		return;
	at = data + site->at;
	if ((void *)(at + XDPERF_STAMP_LEN) > data_end)
		return;

	if (cursor->reads_left) {
		cursor->reads_left--;
	} else {
		cursor->tx_ns = stamp_clock == XDPERF_STAMP_TAI ? bpf_ktime_get_tai_ns() :
								 bpf_ktime_get_ns();
		cursor->tx_mix = xdperf_stamp_tx_mix(cursor->tx_ns);
		cursor->reads_left = stamp_clock_every - 1;
	}
	tx_ns = cursor->tx_ns;
	/* Bytes 0..8: check, stream word, seq's low 16 bits; 8..16: seq's
	 * next 32 bits, tx_ns's low 32; 16..18: tx_ns's next 16. */
	head = xdperf_le64(xdperf_stamp_check_of(cursor->key, seq, cursor->tx_mix) |
			   (__u64)word << 32 | seq << 48);
	middle = xdperf_le64((seq >> 16 & 0xffffffff) | tx_ns << 32);
	tail = xdperf_le16(tx_ns >> 32);

	if (!site->l4_checksum) {
		*(__u64 *)at = head;
		*(__u64 *)(at + 8) = middle;
		*(__u16 *)(at + 16) = tail;
		return;
	}
	checksum = checksum_field(data, data_end, site->l4_checksum);
	if (!checksum)
		return;
	if (site->checksum_from == XDPERF_SUM_REST) {
		/* ~(rest + stamp), folded; the sum is never 0 (see updated_checksum). */
		updated = updated_checksum(0xffff, site->sum + stamp_sum(head, middle, tail));
	} else {
		sum = site->checksum_from == XDPERF_SUM_TEMPLATE ?
			      site->sum :
			      stamp_sum(*(__u64 *)at, *(__u64 *)(at + 8), *(__u16 *)(at + 16));
		updated = updated_checksum(*checksum, STAMP_SUM_BIAS - sum + stamp_sum(head, middle, tail));
	}
	*(__u64 *)at = head;
	*(__u64 *)(at + 8) = middle;
	*(__u16 *)(at + 16) = tail;
	/* UDP sends a computed 0 as 0xffff (the same in either byte order);
	 * a stamped ICMP message is never all zero. */
	if (updated == 0 && site->l4_is_udp)
		updated = 0xffff;
	*checksum = updated;
}

SEC("xdp")
int xdperf_live_tx(struct xdp_md *ctx)
{
	struct xdperf_live_meta *meta = (void *)(long)ctx->data_meta;

	if (ctx->ingress_ifindex == target_ifindex)
		return XDP_PASS;
	if ((void *)(meta + 1) <= (void *)(long)ctx->data) {
		if (meta->patch_period)
			write_patch(ctx, meta);
		else if (!(stamp_clock && (meta->flags & XDPERF_META_STAMP_ONLY)))
			write_variant(ctx, meta);
		if (stamp_clock)
			write_stamp(ctx, meta);
	}
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
