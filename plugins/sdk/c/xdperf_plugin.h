/*
 * xdperf C guest SDK (plugin ABI v1).
 *
 * A plugin is a wasip1 reactor (`-mexec-model=reactor`) that links
 * xdperf_plugin.c and defines, with XDPERF_EXPORT:
 *
 *   int32_t plugin_init(const char *cfg, int32_t cfg_len);       0 = OK
 *   int32_t plugin_process(const char *req, int32_t req_len,
 *                          char *out, int32_t out_cap);          bytes or -code
 *   void    plugin_cleanup(void);                                optional
 *
 * plugin_process must not depend on plugin_init having run: the seed's xdperf
 * host never calls it and passes the user's config inside the request, beside
 * keys it adds itself. So start plugin_process from the config plugin_init
 * accepted, or from the defaults when it never did, and read the request's
 * config keys over it (the request wins) with the same getters: they leave
 * absent keys alone. Then check the request's keys with
 * xdperf_request_warn_unknown_keys (see tcpsyn.c).
 *
 * The SDK exports `malloc` and `free` for the host and offers what every
 * plugin needs: logging, metrics, a flat JSON object reader, a bounded JSON
 * response writer with field programs, the flow keys the bundled plugins
 * share, base64, and Internet checksums. It never allocates.
 *
 * On failure, log one ERROR line a user can act on (the host shows the last
 * one) and return the error code: xdperf_fail() does both.
 */
#ifndef XDPERF_PLUGIN_H
#define XDPERF_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XDPERF_EXPORT(name) __attribute__((export_name(name)))

/* ---- error codes: plugin_init returns them, plugin_process their negation */
enum {
	XDPERF_ERR_CONFIG = 1,   /* the user's plugin config is wrong */
	XDPERF_ERR_REQUEST = 2,  /* the host's request is missing or malformed */
	XDPERF_ERR_OVERFLOW = 3, /* the response does not fit in out_cap */
};

/* ---- logging and metrics ------------------------------------------------ */
enum { XDPERF_LOG_DEBUG = 0, XDPERF_LOG_INFO = 1, XDPERF_LOG_WARN = 2, XDPERF_LOG_ERROR = 3 };

/* The host's imports, for callers that already hold (ptr, len). */
__attribute__((import_module("env"), import_name("host_log")))
void xdperf_host_log(int32_t level, const char *msg, int32_t len);
__attribute__((import_module("env"), import_name("host_report_metric")))
void xdperf_host_report_metric(const char *name, int32_t name_len, double value,
			    int64_t timestamp);

/* printf-style; lines longer than 1 KiB are cut and end in "...". */
__attribute__((format(printf, 2, 3)))
void xdperf_log(int level, const char *fmt, ...);

/* Logs fmt at ERROR and returns code, so `return xdperf_fail(...)` ends a call. */
__attribute__((format(printf, 2, 3)))
int32_t xdperf_fail(int32_t code, const char *fmt, ...);

/* Reports a metric stamped with CLOCK_REALTIME in nanoseconds. */
void xdperf_metric(const char *name, double value);

/* ---- JSON reader: one flat object -----------------------------------------
 * xdperf_json_parse validates the whole document (nested values are checked and
 * skipped) and indexes the top-level members. Values point into the source,
 * which must outlive the xdperf_json. Getters return 1 when the key holds a value,
 * 0 when it is absent or null, and -1 on a wrong type or value, with a message
 * naming the key in j->err. Outputs are written only when 1 is returned, so
 * preset them to their defaults.
 */
#define XDPERF_JSON_MAX_MEMBERS 64
#define XDPERF_JSON_MAX_DEPTH 32

typedef enum {
	XDPERF_JSON_NULL,
	XDPERF_JSON_BOOL,
	XDPERF_JSON_NUMBER,
	XDPERF_JSON_STRING,
	XDPERF_JSON_ARRAY,
	XDPERF_JSON_OBJECT,
} xdperf_json_type;

typedef struct {
	const char *key; /* raw text between the quotes, escapes undone on demand */
	size_t key_len;
	const char *val; /* raw text; for strings, between the quotes */
	size_t val_len;
	xdperf_json_type type;
} xdperf_json_member;

typedef struct {
	size_t count;
	xdperf_json_member members[XDPERF_JSON_MAX_MEMBERS];
	char err[256];
} xdperf_json;

int xdperf_json_parse(xdperf_json *j, const char *src, size_t len);
/* Fails naming the first key not in `known` (a NULL-terminated list). */
int xdperf_json_check_keys(xdperf_json *j, const char *const *known);
/* For a request: logs a WARN for each key that is neither one the host adds
 * (count, device_mac_addr, dst_mac_addr, device_name, mtu, queues) nor in
 * `known`, and returns how many. Not an error, as xdperf_json_check_keys makes
 * one of an unknown config key: a host that passes the config in the request
 * may add keys of its own there, which a plugin cannot tell from a typo, and
 * refusing them would leave the plugin unusable in that host. */
int xdperf_request_warn_unknown_keys(const xdperf_json *j, const char *const *known);
/* Copies the decoded string, NUL-terminated; fails if it needs more than cap. */
int xdperf_json_get_string(xdperf_json *j, const char *key, char *dst, size_t cap);
int xdperf_json_get_int(xdperf_json *j, const char *key, int64_t *out);
/* As xdperf_json_get_int, and fails with "key V is out of range MIN..MAX". */
int xdperf_json_get_int_range(xdperf_json *j, const char *key, int64_t min,
			   int64_t max, int64_t *out);
int xdperf_json_get_bool(xdperf_json *j, const char *key, bool *out);
/* A base64 string that must decode to exactly len bytes (e.g. a MAC). */
int xdperf_json_get_bytes(xdperf_json *j, const char *key, uint8_t *dst, size_t len);

/* ---- JSON writer: appends to a bounded buffer ------------------------------
 * Writes stop at cap and set `overflow`; the bytes already written stay
 * valid memory but not valid JSON, so check overflow (xdperf_response_end does).
 */
typedef struct {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
	size_t items; /* templates added since xdperf_response_begin */
} xdperf_json_writer;

void xdperf_jw_init(xdperf_json_writer *w, char *buf, size_t cap);
void xdperf_jw_raw(xdperf_json_writer *w, const char *s, size_t len);
void xdperf_jw_literal(xdperf_json_writer *w, const char *s); /* NUL-terminated */
void xdperf_jw_string(xdperf_json_writer *w, const char *s, size_t len);
void xdperf_jw_uint(xdperf_json_writer *w, uint64_t v);
void xdperf_jw_base64(xdperf_json_writer *w, const uint8_t *data, size_t len);

/* ---- field programs: bytes the core varies per packet -----------------------
 * See plugins/README.md for the semantics (odometer chaining, cardinality,
 * checksums). The SDK writes what it is given; the host validates it. Fields
 * here are 1..8 bytes wide: enough for addresses, ports, MACs and VLAN ids.
 */
#define XDPERF_MAX_FIELDS 8 /* per template, the host's limit */

typedef enum {
	XDPERF_OP_INC,
	XDPERF_OP_DEC,
	XDPERF_OP_RANDOM,
	XDPERF_OP_LIST,
} xdperf_field_op;

typedef struct {
	uint16_t offset;        /* from the Ethernet header */
	uint8_t size;           /* 1..8 bytes, big-endian */
	xdperf_field_op op;
	bool as_ipv4;           /* write values as dotted quads (size 4), for readers */
	uint64_t min, max;      /* inc, dec, random */
	uint64_t step;          /* inc, dec; 0 leaves it out (the host's default is 1) */
	uint64_t seed;          /* random; 0 leaves it out (the host's default) */
	const uint64_t *values; /* list, value_count entries */
	size_t value_count;
	bool chain;             /* advance only when the field before wraps */
} xdperf_field;

/* One GeneratorResponse element. */
typedef struct {
	const uint8_t *frame; /* from the Ethernet header */
	size_t length;        /* 14..9018; the host pads to 60 */
	uint64_t packet_count; /* weight in the mix, >= 1 */
	uint64_t rate_pps;     /* suggested rate, 0 = unset */
	const char *const *tags; /* NULL-terminated, may be NULL */
	/* Optional: written only when present, so a template without them is
	 * the seed's JSON byte for byte. */
	const xdperf_field *fields; /* field_count entries */
	size_t field_count;
	uint64_t flows; /* repeat the first `flows` variants; 0 = no cap */
} xdperf_template;

void xdperf_response_begin(xdperf_json_writer *w);
void xdperf_response_add(xdperf_json_writer *w, const xdperf_template *t);
/* Closes the array; returns the byte count for plugin_process, or
 * -XDPERF_ERR_OVERFLOW after logging how small the buffer was. */
int32_t xdperf_response_end(xdperf_json_writer *w);

/* ---- base64 (standard alphabet, padded) ----------------------------------- */
static inline size_t xdperf_b64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }
/* Returns the characters written (no NUL), or 0 if cap is too small. */
size_t xdperf_b64_encode(const uint8_t *src, size_t n, char *dst, size_t cap);
/* Returns the bytes decoded, or -1 if malformed or longer than cap. */
long xdperf_b64_decode(const char *src, size_t n, uint8_t *dst, size_t cap);

/* ---- addresses -------------------------------------------------------------- */
/* Strict dotted quad: four decimal parts 0..255 without leading zeros. */
bool xdperf_parse_ipv4(const char *s, uint8_t out[4]);
/* "aa:bb:cc:dd:ee:ff", either case. */
bool xdperf_parse_mac(const char *s, uint8_t out[6]);

/* ---- flow keys: the range keys the bundled plugins share ---------------------
 * src_ip_range, dst_ip_range   "A-B" (inclusive) or one IPv4 address
 * src_port_range, dst_port_range  "A-B" or one port (a string or an integer), 1..65535
 * vary    "sequential" (op inc, the default) or "random" (op random)
 * seed    0..XDPERF_FLOW_SEED_MAX, default 0; random field n uses seed + n
 * flows   1..2^53-1, a cap on the template's flows (the template-level "flows")
 * A range replaces the plugin's single-value key for that field; the plugin
 * puts the range's first value in its base frame.
 */
#define XDPERF_FLOW_KEYS \
	"src_ip_range", "dst_ip_range", "src_port_range", "dst_port_range", \
	"vary", "seed", "flows"
#define XDPERF_JSON_MAX_SAFE_INT 9007199254740991LL /* 2^53 - 1: exact in a JSON reader */
/* seed + the field's position must stay a safe integer. */
#define XDPERF_FLOW_SEED_MAX (XDPERF_JSON_MAX_SAFE_INT - (XDPERF_MAX_FIELDS - 1))

typedef struct {
	uint32_t first, last; /* IPv4 addresses in host order, or ports; first <= last */
} xdperf_range;

typedef struct {
	xdperf_range src_ip, dst_ip, src_port, dst_port;
	bool has_src_ip, has_dst_ip, has_src_port, has_dst_port;
	bool random;    /* vary: "random" */
	uint64_t seed;
	uint64_t flows; /* 0 = no cap */
} xdperf_flow_keys;

/* Where a plugin's frame holds each flow field (IPv4 addresses, 16-bit ports). */
typedef struct {
	uint16_t src_ip, dst_ip, src_port, dst_port;
} xdperf_flow_offsets;

/* Getters in the style above: 1 given, 0 absent, -1 with j->err naming the key. */
int xdperf_json_get_ipv4_range(xdperf_json *j, const char *key, xdperf_range *out);
int xdperf_json_get_port_range(xdperf_json *j, const char *key, xdperf_range *out);
/* Reads the XDPERF_FLOW_KEYS present in j over *k, leaving the others alone
 * (so a request can be read over a config), then checks that the ranges in
 * *k multiply to fewer than 2^64 flows. 0 or -1 with j->err. */
int xdperf_json_get_flow_keys(xdperf_json *j, xdperf_flow_keys *k);
/* The distinct flows k's ranges make: their product, capped at k->flows.
 * For vary random, the size of the space the values are drawn from. */
uint64_t xdperf_flow_count(const xdperf_flow_keys *k);
/* Fills out[] with one field per range of more than one value, in the order
 * src_ip, dst_ip, src_port, dst_port, all but the first chained, so the
 * first is the fastest digit and the ranges multiply. Returns how many (0..4).
 * A plugin may append fields of its own after them (chained unless first, to
 * multiply). Send k->flows as the template's `flows` only when the template
 * has fields, so that with no range its JSON stays the seed's. */
size_t xdperf_flow_fields(const xdperf_flow_keys *k, const xdperf_flow_offsets *at,
		       xdperf_field out[4]);

/* ---- Internet checksums (RFC 1071), returned in host order ------------------ */
uint32_t xdperf_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t xdperf_csum_fold(uint32_t sum); /* folds and complements */
uint16_t xdperf_ipv4_checksum(const void *hdr, size_t len);
uint16_t xdperf_tcp4_checksum(const uint8_t src[4], const uint8_t dst[4],
			   const void *seg, size_t len);
/* A computed 0 is sent as 0xffff: UDP reserves 0 for "no checksum". */
uint16_t xdperf_udp4_checksum(const uint8_t src[4], const uint8_t dst[4],
			   const void *dgram, size_t len);

static inline void xdperf_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void xdperf_put_be32(uint8_t *p, uint32_t v)
{
	xdperf_put_be16(p, (uint16_t)(v >> 16));
	xdperf_put_be16(p + 2, (uint16_t)v);
}

#endif
