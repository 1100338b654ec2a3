/*
 * xdperf C guest SDK (plugin ABI v1).
 *
 * A plugin is a wasip1 reactor (`-mexec-model=reactor`) that links
 * xdperf_plugin.c and defines, with XDP_EXPORT:
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
 * xdp_request_warn_unknown_keys (see tcpsyn.c).
 *
 * The SDK exports `malloc` and `free` for the host and offers what every
 * plugin needs: logging, metrics, a flat JSON object reader, a bounded JSON
 * response writer, base64, and Internet checksums. It never allocates.
 *
 * On failure, log one ERROR line a user can act on (the host shows the last
 * one) and return the error code: xdp_fail() does both.
 */
#ifndef XDPERF_PLUGIN_H
#define XDPERF_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XDP_EXPORT(name) __attribute__((export_name(name)))

/* ---- error codes: plugin_init returns them, plugin_process their negation */
enum {
	XDP_ERR_CONFIG = 1,   /* the user's plugin config is wrong */
	XDP_ERR_REQUEST = 2,  /* the host's request is missing or malformed */
	XDP_ERR_OVERFLOW = 3, /* the response does not fit in out_cap */
};

/* ---- logging and metrics ------------------------------------------------ */
enum { XDP_LOG_DEBUG = 0, XDP_LOG_INFO = 1, XDP_LOG_WARN = 2, XDP_LOG_ERROR = 3 };

/* The host's imports, for callers that already hold (ptr, len). */
__attribute__((import_module("env"), import_name("host_log")))
void xdp_host_log(int32_t level, const char *msg, int32_t len);
__attribute__((import_module("env"), import_name("host_report_metric")))
void xdp_host_report_metric(const char *name, int32_t name_len, double value,
			    int64_t timestamp);

/* printf-style; lines longer than 1 KiB are cut and end in "...". */
__attribute__((format(printf, 2, 3)))
void xdp_log(int level, const char *fmt, ...);

/* Logs fmt at ERROR and returns code, so `return xdp_fail(...)` ends a call. */
__attribute__((format(printf, 2, 3)))
int32_t xdp_fail(int32_t code, const char *fmt, ...);

/* Reports a metric stamped with CLOCK_REALTIME in nanoseconds. */
void xdp_metric(const char *name, double value);

/* ---- JSON reader: one flat object -----------------------------------------
 * xdp_json_parse validates the whole document (nested values are checked and
 * skipped) and indexes the top-level members. Values point into the source,
 * which must outlive the xdp_json. Getters return 1 when the key holds a value,
 * 0 when it is absent or null, and -1 on a wrong type or value, with a message
 * naming the key in j->err. Outputs are written only when 1 is returned, so
 * preset them to their defaults.
 */
#define XDP_JSON_MAX_MEMBERS 64
#define XDP_JSON_MAX_DEPTH 32

typedef enum {
	XDP_JSON_NULL,
	XDP_JSON_BOOL,
	XDP_JSON_NUMBER,
	XDP_JSON_STRING,
	XDP_JSON_ARRAY,
	XDP_JSON_OBJECT,
} xdp_json_type;

typedef struct {
	const char *key; /* raw text between the quotes, escapes undone on demand */
	size_t key_len;
	const char *val; /* raw text; for strings, between the quotes */
	size_t val_len;
	xdp_json_type type;
} xdp_json_member;

typedef struct {
	size_t count;
	xdp_json_member members[XDP_JSON_MAX_MEMBERS];
	char err[256];
} xdp_json;

int xdp_json_parse(xdp_json *j, const char *src, size_t len);
/* Fails naming the first key not in `known` (a NULL-terminated list). */
int xdp_json_check_keys(xdp_json *j, const char *const *known);
/* For a request: logs a WARN for each key that is neither one the host adds
 * (count, device_mac_addr, dst_mac_addr, device_name, mtu, queues) nor in
 * `known`, and returns how many. Not an error, as xdp_json_check_keys makes
 * one of an unknown config key: a host that passes the config in the request
 * may add keys of its own there, which a plugin cannot tell from a typo, and
 * refusing them would leave the plugin unusable in that host. */
int xdp_request_warn_unknown_keys(const xdp_json *j, const char *const *known);
/* Copies the decoded string, NUL-terminated; fails if it needs more than cap. */
int xdp_json_get_string(xdp_json *j, const char *key, char *dst, size_t cap);
int xdp_json_get_int(xdp_json *j, const char *key, int64_t *out);
/* As xdp_json_get_int, and fails with "key V is out of range MIN..MAX". */
int xdp_json_get_int_range(xdp_json *j, const char *key, int64_t min,
			   int64_t max, int64_t *out);
int xdp_json_get_bool(xdp_json *j, const char *key, bool *out);
/* A base64 string that must decode to exactly len bytes (e.g. a MAC). */
int xdp_json_get_bytes(xdp_json *j, const char *key, uint8_t *dst, size_t len);

/* ---- JSON writer: appends to a bounded buffer ------------------------------
 * Writes stop at cap and set `overflow`; the bytes already written stay
 * valid memory but not valid JSON, so check overflow (xdp_response_end does).
 */
typedef struct {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
	size_t items; /* templates added since xdp_response_begin */
} xdp_json_writer;

void xdp_jw_init(xdp_json_writer *w, char *buf, size_t cap);
void xdp_jw_raw(xdp_json_writer *w, const char *s, size_t len);
void xdp_jw_literal(xdp_json_writer *w, const char *s); /* NUL-terminated */
void xdp_jw_string(xdp_json_writer *w, const char *s, size_t len);
void xdp_jw_uint(xdp_json_writer *w, uint64_t v);
void xdp_jw_base64(xdp_json_writer *w, const uint8_t *data, size_t len);

/* One GeneratorResponse element. */
typedef struct {
	const uint8_t *frame; /* from the Ethernet header */
	size_t length;        /* 14..9018; the host pads to 60 */
	uint64_t packet_count; /* weight in the mix, >= 1 */
	uint64_t rate_pps;     /* suggested rate, 0 = unset */
	const char *const *tags; /* NULL-terminated, may be NULL */
} xdp_template;

void xdp_response_begin(xdp_json_writer *w);
void xdp_response_add(xdp_json_writer *w, const xdp_template *t);
/* Closes the array; returns the byte count for plugin_process, or
 * -XDP_ERR_OVERFLOW after logging how small the buffer was. */
int32_t xdp_response_end(xdp_json_writer *w);

/* ---- base64 (standard alphabet, padded) ----------------------------------- */
static inline size_t xdp_b64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }
/* Returns the characters written (no NUL), or 0 if cap is too small. */
size_t xdp_b64_encode(const uint8_t *src, size_t n, char *dst, size_t cap);
/* Returns the bytes decoded, or -1 if malformed or longer than cap. */
long xdp_b64_decode(const char *src, size_t n, uint8_t *dst, size_t cap);

/* ---- addresses -------------------------------------------------------------- */
/* Strict dotted quad: four decimal parts 0..255 without leading zeros. */
bool xdp_parse_ipv4(const char *s, uint8_t out[4]);
/* "aa:bb:cc:dd:ee:ff", either case. */
bool xdp_parse_mac(const char *s, uint8_t out[6]);

/* ---- Internet checksums (RFC 1071), returned in host order ------------------ */
uint32_t xdp_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t xdp_csum_fold(uint32_t sum); /* folds and complements */
uint16_t xdp_ipv4_checksum(const void *hdr, size_t len);
uint16_t xdp_tcp4_checksum(const uint8_t src[4], const uint8_t dst[4],
			   const void *seg, size_t len);
/* A computed 0 is sent as 0xffff: UDP reserves 0 for "no checksum". */
uint16_t xdp_udp4_checksum(const uint8_t src[4], const uint8_t dst[4],
			   const void *dgram, size_t len);

static inline void xdp_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void xdp_put_be32(uint8_t *p, uint32_t v)
{
	xdp_put_be16(p, (uint16_t)(v >> 16));
	xdp_put_be16(p + 2, (uint16_t)v);
}

#endif
