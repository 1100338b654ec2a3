/* xdperf C guest SDK: see xdperf_plugin.h for the contract. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include "xdperf_plugin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- exports the host needs to place inputs and the output buffer --------- */

XDPERF_EXPORT("malloc") void *xdperf_export_malloc(size_t size)
{
	return malloc(size);
}

XDPERF_EXPORT("free") void xdperf_export_free(void *ptr)
{
	free(ptr);
}

/* ---- logging and metrics ---------------------------------------------------- */

static void vlog(int level, const char *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof line, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		/* Say it was cut, so nobody trusts a half message as whole. */
		n = (int)sizeof line - 1;
		memcpy(line + n - 3, "...", 3);
	}
	xdperf_host_log(level, line, n);
}

void xdperf_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int32_t xdperf_fail(int32_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(XDPERF_LOG_ERROR, fmt, ap);
	va_end(ap);
	return code;
}

void xdperf_metric(const char *name, double value)
{
	struct timespec ts;
	int64_t ns = 0;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	xdperf_host_report_metric(name, (int32_t)strlen(name), value, ns);
}

/* ---- JSON reader ------------------------------------------------------------ */

typedef struct {
	const char *s;
	size_t len;
	size_t pos;
	xdperf_json *j;
} parser;

static int syntax_error(parser *p, const char *what)
{
	snprintf(p->j->err, sizeof p->j->err,
		 "malformed JSON at byte %zu: %s", p->pos, what);
	return -1;
}

static void skip_ws(parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

static bool at(parser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool is_digit(parser *p)
{
	return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

/* At the opening quote; leaves [*start, *start + *n) = the raw contents. */
static int parse_string(parser *p, const char **start, size_t *n)
{
	size_t begin = ++p->pos;

	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			*start = p->s + begin;
			*n = p->pos++ - begin;
			return 0;
		}
		if (c < 0x20)
			return syntax_error(p, "control character in string");
		if (c != '\\') {
			p->pos++;
			continue;
		}
		if (++p->pos >= p->len)
			break;
		if (p->s[p->pos] == 'u') {
			for (int k = 1; k <= 4; k++)
				if (p->pos + k >= p->len || !is_hex(p->s[p->pos + k]))
					return syntax_error(p, "bad \\u escape");
			p->pos += 5;
		} else if (p->s[p->pos] && strchr("\"\\/bfnrt", p->s[p->pos])) {
			p->pos++;
		} else {
			return syntax_error(p, "bad escape");
		}
	}
	return syntax_error(p, "unterminated string");
}

static int parse_digits(parser *p)
{
	if (!is_digit(p))
		return syntax_error(p, "expected a digit");
	while (is_digit(p))
		p->pos++;
	return 0;
}

/* RFC 8259 number grammar; the value is read later, only if asked for. */
static int parse_number(parser *p)
{
	if (at(p, '-'))
		p->pos++;
	if (at(p, '0'))
		p->pos++;
	else if (parse_digits(p))
		return -1;
	if (at(p, '.')) {
		p->pos++;
		if (parse_digits(p))
			return -1;
	}
	if (at(p, 'e') || at(p, 'E')) {
		p->pos++;
		if (at(p, '+') || at(p, '-'))
			p->pos++;
		if (parse_digits(p))
			return -1;
	}
	return 0;
}

static int parse_literal(parser *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
		return syntax_error(p, "unexpected character");
	p->pos += n;
	return 0;
}

static int parse_object(parser *p, int depth);
static int parse_array(parser *p, int depth);

/* Parses any value; for strings, [*start, *n) excludes the quotes. */
static int parse_value(parser *p, int depth, xdperf_json_member *v)
{
	size_t begin;
	int rc;

	skip_ws(p);
	if (p->pos >= p->len)
		return syntax_error(p, "expected a value");
	if (depth > XDPERF_JSON_MAX_DEPTH)
		return syntax_error(p, "nested too deeply");
	begin = p->pos;
	switch (p->s[p->pos]) {
	case '"':
		v->type = XDPERF_JSON_STRING;
		return parse_string(p, &v->val, &v->val_len);
	case '{':
		v->type = XDPERF_JSON_OBJECT;
		rc = parse_object(p, depth + 1);
		break;
	case '[':
		v->type = XDPERF_JSON_ARRAY;
		rc = parse_array(p, depth + 1);
		break;
	case 't':
		v->type = XDPERF_JSON_BOOL;
		rc = parse_literal(p, "true");
		break;
	case 'f':
		v->type = XDPERF_JSON_BOOL;
		rc = parse_literal(p, "false");
		break;
	case 'n':
		v->type = XDPERF_JSON_NULL;
		rc = parse_literal(p, "null");
		break;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		v->type = XDPERF_JSON_NUMBER;
		rc = parse_number(p);
		break;
	default:
		return syntax_error(p, "unexpected character");
	}
	v->val = p->s + begin;
	v->val_len = p->pos - begin;
	return rc;
}

static int parse_array(parser *p, int depth)
{
	xdperf_json_member ignored;

	p->pos++;
	skip_ws(p);
	if (at(p, ']')) {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (parse_value(p, depth, &ignored))
			return -1;
		skip_ws(p);
		if (at(p, ']')) {
			p->pos++;
			return 0;
		}
		if (!at(p, ','))
			return syntax_error(p, "expected ',' or ']'");
		p->pos++;
	}
}

/* Decodes a validated raw string one byte at a time, so keys can be compared
 * and values copied without a scratch buffer of guessed size. */
typedef struct {
	const char *s;
	size_t n, i;
	uint8_t pend[4];
	int npend, ipend;
} str_iter;

static uint32_t hex4(const char *s)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++) {
		char c = s[k];

		v = v << 4 | (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static void put_utf8(str_iter *it, uint32_t cp)
{
	it->ipend = 0;
	if (cp < 0x80) {
		it->pend[0] = (uint8_t)cp;
		it->npend = 1;
	} else if (cp < 0x800) {
		it->pend[0] = (uint8_t)(0xc0 | cp >> 6);
		it->pend[1] = (uint8_t)(0x80 | (cp & 0x3f));
		it->npend = 2;
	} else if (cp < 0x10000) {
		it->pend[0] = (uint8_t)(0xe0 | cp >> 12);
		it->pend[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		it->pend[2] = (uint8_t)(0x80 | (cp & 0x3f));
		it->npend = 3;
	} else {
		it->pend[0] = (uint8_t)(0xf0 | cp >> 18);
		it->pend[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		it->pend[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		it->pend[3] = (uint8_t)(0x80 | (cp & 0x3f));
		it->npend = 4;
	}
}

/* After "\u": a surrogate pair makes one code point, a lone half U+FFFD. */
static uint32_t unicode_escape(str_iter *it)
{
	uint32_t cp = hex4(it->s + it->i);

	it->i += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0xfffd;
	if (cp < 0xd800 || cp > 0xdbff)
		return cp;
	if (it->n - it->i >= 6 && it->s[it->i] == '\\' && it->s[it->i + 1] == 'u') {
		uint32_t lo = hex4(it->s + it->i + 2);

		if (lo >= 0xdc00 && lo <= 0xdfff) {
			it->i += 6;
			return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
	}
	return 0xfffd;
}

static int str_next(str_iter *it)
{
	char c;

	if (it->ipend < it->npend)
		return it->pend[it->ipend++];
	if (it->i >= it->n)
		return -1;
	c = it->s[it->i++];
	if (c != '\\')
		return (unsigned char)c;
	c = it->s[it->i++];
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u':
		put_utf8(it, unicode_escape(it));
		return it->pend[it->ipend++];
	default: return (unsigned char)c; /* '"', '\\' or '/' */
	}
}

static str_iter iter(const char *s, size_t n)
{
	return (str_iter){ .s = s, .n = n };
}

static bool same_key(const xdperf_json_member *a, const xdperf_json_member *b)
{
	str_iter x = iter(a->key, a->key_len), y = iter(b->key, b->key_len);
	int c;

	do {
		c = str_next(&x);
		if (c != str_next(&y))
			return false;
	} while (c >= 0);
	return true;
}

/* name is plain text, not JSON, so it is compared byte for byte. */
static bool key_is(const xdperf_json_member *m, const char *name)
{
	str_iter it = iter(m->key, m->key_len);
	int c;

	while ((c = str_next(&it)) >= 0)
		if (*name == '\0' || c != (unsigned char)*name++)
			return false;
	return *name == '\0';
}

static int add_member(parser *p, const xdperf_json_member *m)
{
	xdperf_json *j = p->j;

	for (size_t k = 0; k < j->count; k++) {
		if (same_key(&j->members[k], m)) {
			snprintf(j->err, sizeof j->err, "key \"%.*s\" appears twice",
				 (int)(m->key_len < 64 ? m->key_len : 64), m->key);
			return -1;
		}
	}
	if (j->count == XDPERF_JSON_MAX_MEMBERS) {
		snprintf(j->err, sizeof j->err, "more than %d top-level keys",
			 XDPERF_JSON_MAX_MEMBERS);
		return -1;
	}
	j->members[j->count++] = *m;
	return 0;
}

/* Only the top-level object (depth 0) is indexed; deeper ones are checked. */
static int parse_object(parser *p, int depth)
{
	xdperf_json_member m;

	p->pos++;
	skip_ws(p);
	if (at(p, '}')) {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (!at(p, '"'))
			return syntax_error(p, "expected a key in double quotes");
		if (parse_string(p, &m.key, &m.key_len))
			return -1;
		skip_ws(p);
		if (!at(p, ':'))
			return syntax_error(p, "expected ':'");
		p->pos++;
		if (parse_value(p, depth, &m))
			return -1;
		if (depth == 0 && add_member(p, &m))
			return -1;
		skip_ws(p);
		if (at(p, '}')) {
			p->pos++;
			return 0;
		}
		if (!at(p, ','))
			return syntax_error(p, "expected ',' or '}'");
		p->pos++;
	}
}

int xdperf_json_parse(xdperf_json *j, const char *src, size_t len)
{
	parser p = { .s = src, .len = len, .j = j };

	j->count = 0;
	j->err[0] = '\0';
	skip_ws(&p);
	if (!at(&p, '{'))
		return syntax_error(&p, "expected a JSON object");
	if (parse_object(&p, 0))
		return -1;
	skip_ws(&p);
	if (p.pos != len)
		return syntax_error(&p, "unexpected data after the object");
	return 0;
}

/* Appends to j->err, silently cut at its size: it is a message, not data. */
__attribute__((format(printf, 2, 3)))
static void err_append(xdperf_json *j, const char *fmt, ...)
{
	size_t used = strlen(j->err);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->err + used, sizeof j->err - used, fmt, ap);
	va_end(ap);
}

static const char *const host_keys[] = {
	"count", "device_mac_addr", "dst_mac_addr", "device_name", "mtu", "queues", NULL,
};

static bool key_in(const xdperf_json_member *m, const char *const *names)
{
	for (; *names; names++)
		if (key_is(m, *names))
			return true;
	return false;
}

int xdperf_json_check_keys(xdperf_json *j, const char *const *known)
{
	for (size_t k = 0; k < j->count; k++) {
		const xdperf_json_member *m = &j->members[k];

		if (key_in(m, known))
			continue;
		j->err[0] = '\0';
		err_append(j, "unknown key \"%.*s\" (known:",
			   (int)(m->key_len < 64 ? m->key_len : 64), m->key);
		for (const char *const *name = known; *name; name++)
			err_append(j, "%s %s", name == known ? "" : ",", *name);
		err_append(j, ")");
		return -1;
	}
	return 0;
}

int xdperf_request_warn_unknown_keys(const xdperf_json *j, const char *const *known)
{
	char names[512];
	int ignored = 0;

	for (size_t k = 0; k < j->count; k++) {
		const xdperf_json_member *m = &j->members[k];
		size_t used = 0;

		if (key_in(m, host_keys) || key_in(m, known))
			continue;
		names[0] = '\0';
		for (const char *const *name = known; *name && used < sizeof names; name++)
			used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
						 name == known ? "" : ", ", *name);
		xdperf_log(XDPERF_LOG_WARN,
			"request key \"%.*s\" ignored: not a config key of this plugin (known keys: %s)",
			(int)(m->key_len < 64 ? m->key_len : 64), m->key, names);
		ignored++;
	}
	return ignored;
}

/* Finds key; NULL if absent or null. */
static const xdperf_json_member *find(const xdperf_json *j, const char *key)
{
	for (size_t k = 0; k < j->count; k++) {
		const xdperf_json_member *m = &j->members[k];

		if (key_is(m, key))
			return m->type == XDPERF_JSON_NULL ? NULL : m;
	}
	return NULL;
}

/* Finds key; 0 if absent or null, -1 with a message if not of type want. */
static int lookup(xdperf_json *j, const char *key, xdperf_json_type want,
		  const char *want_name, const xdperf_json_member **out)
{
	const xdperf_json_member *m = find(j, key);

	if (!m)
		return 0;
	if (m->type != want) {
		snprintf(j->err, sizeof j->err, "%s must be %s", key, want_name);
		return -1;
	}
	*out = m;
	return 1;
}

int xdperf_json_get_string(xdperf_json *j, const char *key, char *dst, size_t cap)
{
	const xdperf_json_member *m;
	int rc = lookup(j, key, XDPERF_JSON_STRING, "a string", &m);
	str_iter it;
	size_t n = 0;
	int c;

	if (rc <= 0)
		return rc;
	it = iter(m->val, m->val_len);
	while ((c = str_next(&it)) >= 0) {
		if (c == 0) {
			snprintf(j->err, sizeof j->err,
				 "%s must not contain a NUL character", key);
			return -1;
		}
		if (n + 1 >= cap) {
			snprintf(j->err, sizeof j->err,
				 "%s is too long (at most %zu bytes)", key,
				 cap ? cap - 1 : 0);
			return -1;
		}
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 1;
}

int xdperf_json_get_int(xdperf_json *j, const char *key, int64_t *out)
{
	const xdperf_json_member *m;
	int rc = lookup(j, key, XDPERF_JSON_NUMBER, "an integer", &m);
	bool neg;
	uint64_t mag = 0, limit;
	size_t k;

	if (rc <= 0)
		return rc;
	neg = m->val[0] == '-';
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (k = neg; k < m->val_len; k++) {
		unsigned d = (unsigned)(m->val[k] - '0');

		if (d > 9) {
			snprintf(j->err, sizeof j->err,
				 "%s must be an integer, not %.*s", key,
				 (int)(m->val_len < 40 ? m->val_len : 40), m->val);
			return -1;
		}
		if (mag > (limit - d) / 10) {
			snprintf(j->err, sizeof j->err,
				 "%s %.*s does not fit in 64 bits", key,
				 (int)(m->val_len < 40 ? m->val_len : 40), m->val);
			return -1;
		}
		mag = mag * 10 + d;
	}
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 1;
}

int xdperf_json_get_int_range(xdperf_json *j, const char *key, int64_t min,
			   int64_t max, int64_t *out)
{
	int64_t v;
	int rc = xdperf_json_get_int(j, key, &v);

	if (rc <= 0)
		return rc;
	if (v < min || v > max) {
		snprintf(j->err, sizeof j->err,
			 "%s %lld is out of range %lld..%lld", key, (long long)v,
			 (long long)min, (long long)max);
		return -1;
	}
	*out = v;
	return 1;
}

int xdperf_json_get_bool(xdperf_json *j, const char *key, bool *out)
{
	const xdperf_json_member *m;
	int rc = lookup(j, key, XDPERF_JSON_BOOL, "true or false", &m);

	if (rc > 0)
		*out = m->val[0] == 't';
	return rc;
}

int xdperf_json_get_bytes(xdperf_json *j, const char *key, uint8_t *dst, size_t len)
{
	const xdperf_json_member *m;
	int rc = lookup(j, key, XDPERF_JSON_STRING, "a base64 string", &m);

	if (rc <= 0)
		return rc;
	/* Standard base64 never needs escapes, so the raw text is the value. */
	if (xdperf_b64_decode(m->val, m->val_len, dst, len) != (long)len) {
		snprintf(j->err, sizeof j->err,
			 "%s must be %zu bytes in base64", key, len);
		return -1;
	}
	return 1;
}

/* ---- JSON writer -------------------------------------------------------------- */

void xdperf_jw_init(xdperf_json_writer *w, char *buf, size_t cap)
{
	*w = (xdperf_json_writer){ .buf = buf, .cap = cap };
}

/* Reserves n bytes, or marks overflow and returns NULL. */
static char *reserve(xdperf_json_writer *w, size_t n)
{
	char *p;

	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void xdperf_jw_raw(xdperf_json_writer *w, const char *s, size_t len)
{
	char *p = reserve(w, len);

	if (p)
		memcpy(p, s, len);
}

void xdperf_jw_literal(xdperf_json_writer *w, const char *s)
{
	xdperf_jw_raw(w, s, strlen(s));
}

void xdperf_jw_string(xdperf_json_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	xdperf_jw_raw(w, "\"", 1);
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)s[k];

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			xdperf_jw_raw(w, esc, 2);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			xdperf_jw_raw(w, esc, 6);
		} else {
			xdperf_jw_raw(w, (const char *)&c, 1);
		}
	}
	xdperf_jw_raw(w, "\"", 1);
}

void xdperf_jw_uint(xdperf_json_writer *w, uint64_t v)
{
	char digits[20];
	size_t n = sizeof digits;

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	xdperf_jw_raw(w, digits + n, sizeof digits - n);
}

void xdperf_jw_base64(xdperf_json_writer *w, const uint8_t *data, size_t len)
{
	size_t enc;
	char *p;

	/* Checked before xdperf_b64_encoded_len so a huge len cannot wrap it. */
	if (len / 3 >= w->cap / 4) {
		w->overflow = true;
		return;
	}
	enc = xdperf_b64_encoded_len(len);
	p = reserve(w, enc + 2);
	if (!p)
		return;
	p[0] = '"';
	xdperf_b64_encode(data, len, p + 1, enc);
	p[enc + 1] = '"';
}

/* Dotted quads for an as_ipv4 field; else JSON numbers while a JSON reader
 * holds them exactly (2^53 - 1), and decimal strings, which the host reads
 * as well, above that. */
static void jw_field_value(xdperf_json_writer *w, const xdperf_field *f, uint64_t v)
{
	char quad[sizeof "\"255.255.255.255\""];
	int n;

	if (f->as_ipv4) {
		n = snprintf(quad, sizeof quad, "\"%u.%u.%u.%u\"", (unsigned)(v >> 24 & 255),
			     (unsigned)(v >> 16 & 255), (unsigned)(v >> 8 & 255),
			     (unsigned)(v & 255));
		xdperf_jw_raw(w, quad, (size_t)n);
	} else if (v > XDPERF_JSON_MAX_SAFE_INT) {
		xdperf_jw_raw(w, "\"", 1);
		xdperf_jw_uint(w, v);
		xdperf_jw_raw(w, "\"", 1);
	} else {
		xdperf_jw_uint(w, v);
	}
}

static void jw_field(xdperf_json_writer *w, const xdperf_field *f)
{
	static const char *const op_names[] = {
		[XDPERF_OP_INC] = "inc",
		[XDPERF_OP_DEC] = "dec",
		[XDPERF_OP_RANDOM] = "random",
		[XDPERF_OP_LIST] = "list",
	};

	xdperf_jw_literal(w, "{\"offset\":");
	xdperf_jw_uint(w, f->offset);
	xdperf_jw_literal(w, ",\"size\":");
	xdperf_jw_uint(w, f->size);
	xdperf_jw_literal(w, ",\"op\":\"");
	xdperf_jw_literal(w, op_names[f->op]);
	if (f->op == XDPERF_OP_LIST) {
		xdperf_jw_literal(w, "\",\"values\":[");
		for (size_t k = 0; k < f->value_count; k++) {
			if (k)
				xdperf_jw_raw(w, ",", 1);
			jw_field_value(w, f, f->values[k]);
		}
		xdperf_jw_raw(w, "]", 1);
	} else {
		xdperf_jw_literal(w, "\",\"min\":");
		jw_field_value(w, f, f->min);
		xdperf_jw_literal(w, ",\"max\":");
		jw_field_value(w, f, f->max);
	}
	/* Written when set, so a step or seed given to an op that does not use
	 * it reaches the host, which names the mistake. */
	if (f->step) {
		xdperf_jw_literal(w, ",\"step\":");
		xdperf_jw_uint(w, f->step);
	}
	if (f->seed) {
		xdperf_jw_literal(w, ",\"seed\":");
		xdperf_jw_uint(w, f->seed);
	}
	if (f->chain)
		xdperf_jw_literal(w, ",\"chain\":true");
	xdperf_jw_raw(w, "}", 1);
}

void xdperf_response_begin(xdperf_json_writer *w)
{
	w->items = 0;
	xdperf_jw_raw(w, "[", 1);
}

void xdperf_response_add(xdperf_json_writer *w, const xdperf_template *t)
{
	if (w->items++)
		xdperf_jw_raw(w, ",", 1);
	xdperf_jw_literal(w, "{\"template\":{\"base_packet\":{\"data\":");
	xdperf_jw_base64(w, t->frame, t->length);
	xdperf_jw_literal(w, ",\"length\":");
	xdperf_jw_uint(w, t->length);
	xdperf_jw_raw(w, "}", 1);
	if (t->field_count) {
		xdperf_jw_literal(w, ",\"fields\":[");
		for (size_t k = 0; k < t->field_count; k++) {
			if (k)
				xdperf_jw_raw(w, ",", 1);
			jw_field(w, &t->fields[k]);
		}
		xdperf_jw_raw(w, "]", 1);
	}
	if (t->flows) {
		xdperf_jw_literal(w, ",\"flows\":");
		xdperf_jw_uint(w, t->flows);
	}
	xdperf_jw_literal(w, "},\"metadata\":{\"packet_count\":");
	xdperf_jw_uint(w, t->packet_count);
	xdperf_jw_literal(w, ",\"rate_pps\":");
	xdperf_jw_uint(w, t->rate_pps);
	xdperf_jw_literal(w, ",\"tags\":[");
	for (const char *const *tag = t->tags; tag && *tag; tag++) {
		if (tag != t->tags)
			xdperf_jw_raw(w, ",", 1);
		xdperf_jw_string(w, *tag, strlen(*tag));
	}
	xdperf_jw_literal(w, "]}}");
}

int32_t xdperf_response_end(xdperf_json_writer *w)
{
	xdperf_jw_raw(w, "]", 1);
	if (w->overflow)
		return -xdperf_fail(XDPERF_ERR_OVERFLOW,
				 "a response of %zu template(s) does not fit in the host's %zu-byte output buffer",
				 w->items, w->cap);
	return (int32_t)w->len;
}

/* ---- base64 --------------------------------------------------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t xdperf_b64_encode(const uint8_t *src, size_t n, char *dst, size_t cap)
{
	size_t out = 0;

	if (n / 3 >= cap / 4 + 1 || xdperf_b64_encoded_len(n) > cap)
		return 0;
	for (size_t k = 0; k < n; k += 3) {
		uint32_t v = (uint32_t)src[k] << 16;
		size_t left = n - k;

		if (left > 1)
			v |= (uint32_t)src[k + 1] << 8;
		if (left > 2)
			v |= src[k + 2];
		dst[out++] = b64_alphabet[v >> 18];
		dst[out++] = b64_alphabet[v >> 12 & 63];
		dst[out++] = left > 1 ? b64_alphabet[v >> 6 & 63] : '=';
		dst[out++] = left > 2 ? b64_alphabet[v & 63] : '=';
	}
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

long xdperf_b64_decode(const char *src, size_t n, uint8_t *dst, size_t cap)
{
	size_t out = 0;

	if (n % 4)
		return -1;
	for (size_t k = 0; k < n; k += 4) {
		bool last = k + 4 == n;
		/* Padding only ends the input: "xx==" or "xxx=". */
		int pad = last && src[k + 3] == '=' ? (src[k + 2] == '=' ? 2 : 1) : 0;
		uint32_t v = 0;

		for (int q = 0; q < 4; q++) {
			int d = q >= 4 - pad ? 0 : b64_value(src[k + q]);

			if (d < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		if ((size_t)(3 - pad) > cap - out)
			return -1;
		for (int q = 0; q < 3 - pad; q++)
			dst[out++] = (uint8_t)(v >> (16 - 8 * q));
	}
	return (long)out;
}

/* ---- addresses --------------------------------------------------------------------- */

bool xdperf_parse_ipv4(const char *s, uint8_t out[4])
{
	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		int digits = 0;

		if (part && *s++ != '.')
			return false;
		while (*s >= '0' && *s <= '9' && digits < 3) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		/* No leading zeros: "010" means 8 to inet_aton and 10 to humans. */
		if (!digits || v > 255 || (digits > 1 && s[-digits] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return *s == '\0';
}

static int hex_value(char c)
{
	if (!is_hex(c))
		return -1;
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

bool xdperf_parse_mac(const char *s, uint8_t out[6])
{
	for (int k = 0; k < 6; k++) {
		int hi, lo;

		if (k && *s++ != ':')
			return false;
		hi = hex_value(s[0]);
		lo = hi < 0 ? -1 : hex_value(s[1]);
		if (lo < 0)
			return false;
		out[k] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s == '\0';
}

/* ---- flow keys ----------------------------------------------------------------------- */

static uint32_t be32_of(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static char *trim_spaces(char *s)
{
	char *tail;

	while (*s == ' ')
		s++;
	tail = s + strlen(s);
	while (tail > s && tail[-1] == ' ')
		*--tail = '\0';
	return s;
}

/* Cuts s, "A-B" (both ends included) or a single value "A", into its two
 * ends, trimmed of spaces as the Go SDK trims them. */
static void range_ends(char *s, char **first, char **last)
{
	char *dash = strchr(s, '-');

	if (dash)
		*dash = '\0';
	*first = trim_spaces(s);
	*last = dash ? trim_spaces(dash + 1) : *first;
}

int xdperf_json_get_ipv4_range(xdperf_json *j, const char *key, xdperf_range *out)
{
	char s[64], text[64];
	char *first, *last;
	uint8_t a[4], b[4];
	int rc = xdperf_json_get_string(j, key, s, sizeof s);

	if (rc <= 0)
		return rc;
	memcpy(text, s, sizeof text); /* s is cut up; messages quote the value */
	range_ends(s, &first, &last);
	if (!xdperf_parse_ipv4(first, a) || !xdperf_parse_ipv4(last, b)) {
		snprintf(j->err, sizeof j->err,
			 "%s \"%s\" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254",
			 key, text);
		return -1;
	}
	if (be32_of(a) > be32_of(b)) {
		snprintf(j->err, sizeof j->err, "%s \"%s\" runs backwards: %s is after %s",
			 key, text, first, last);
		return -1;
	}
	*out = (xdperf_range){ .first = be32_of(a), .last = be32_of(b) };
	return 1;
}

/* Decimal digits only; false if there are none or they pass 64 bits. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}

int xdperf_json_get_port_range(xdperf_json *j, const char *key, xdperf_range *out)
{
	const xdperf_json_member *m = find(j, key);
	char s[64], text[64];
	char *first, *last;
	uint64_t a, b;
	int rc;

	if (!m)
		return 0;
	/* --set dst_port_range=53 reaches the plugin as the number 53: its
	 * digits are read as the string "53" would be. */
	if (m->type == XDPERF_JSON_NUMBER) {
		/* Cut to fit: digits that long are refused all the same. */
		size_t n = m->val_len < sizeof s - 1 ? m->val_len : sizeof s - 1;

		memcpy(s, m->val, n);
		s[n] = '\0';
	} else if (m->type == XDPERF_JSON_STRING) {
		if ((rc = xdperf_json_get_string(j, key, s, sizeof s)) <= 0)
			return rc;
	} else {
		snprintf(j->err, sizeof j->err,
			 "%s must be a port or a range of ports like \"20000-20999\"", key);
		return -1;
	}
	memcpy(text, s, sizeof text); /* s is cut up; messages quote the value */
	range_ends(s, &first, &last);
	if (!parse_u64(first, &a) || !parse_u64(last, &b)) {
		snprintf(j->err, sizeof j->err,
			 "%s \"%s\" is not a number or a range A-B of numbers in 1..65535",
			 key, text);
		return -1;
	}
	if (a < 1 || a > 65535 || b < 1 || b > 65535) {
		snprintf(j->err, sizeof j->err, "%s \"%s\": %llu is out of range 1..65535",
			 key, text, (unsigned long long)(a < 1 || a > 65535 ? a : b));
		return -1;
	}
	if (a > b) {
		snprintf(j->err, sizeof j->err, "%s \"%s\" runs backwards: %llu is after %llu",
			 key, text, (unsigned long long)a, (unsigned long long)b);
		return -1;
	}
	*out = (xdperf_range){ .first = (uint32_t)a, .last = (uint32_t)b };
	return 1;
}

/* A getter's result as 0 or -1, noting in *given that the key was there. */
static int got(int rc, bool *given)
{
	if (rc > 0)
		*given = true;
	return rc < 0 ? -1 : 0;
}

static int get_vary(xdperf_json *j, bool *random)
{
	char s[64];
	int rc = xdperf_json_get_string(j, "vary", s, sizeof s);

	if (rc <= 0)
		return rc;
	if (strcmp(s, "sequential") != 0 && strcmp(s, "random") != 0) {
		snprintf(j->err, sizeof j->err,
			 "vary \"%s\" must be sequential or random", s);
		return -1;
	}
	*random = s[0] == 'r';
	return 1;
}

/* The product of the sizes of k's ranges; false if it passes 2^64 - 1, with
 * a message in j (when not NULL) naming the ranges multiplied so far. */
static bool ranges_product(const xdperf_flow_keys *k, uint64_t *out, xdperf_json *j)
{
	const struct {
		const char *key;
		const xdperf_range *r;
		bool given;
	} ranges[] = {
		{ "src_ip_range", &k->src_ip, k->has_src_ip },
		{ "dst_ip_range", &k->dst_ip, k->has_dst_ip },
		{ "src_port_range", &k->src_port, k->has_src_port },
		{ "dst_port_range", &k->dst_port, k->has_dst_port },
	};
	uint64_t product = 1;

	for (size_t n = 0; n < sizeof ranges / sizeof ranges[0]; n++) {
		uint64_t size;

		if (!ranges[n].given || ranges[n].r->first == ranges[n].r->last)
			continue;
		size = (uint64_t)(ranges[n].r->last - ranges[n].r->first) + 1;
		if (!__builtin_mul_overflow(product, size, &product))
			continue;
		if (j) {
			j->err[0] = '\0';
			for (size_t m = 0; m <= n; m++)
				if (ranges[m].given && ranges[m].r->first != ranges[m].r->last)
					err_append(j, "%s%s", j->err[0] ? " × " : "", ranges[m].key);
			err_append(j, " make more flows than a template can count (2^64-1): narrow a range");
		}
		return false;
	}
	*out = product;
	return true;
}

int xdperf_json_get_flow_keys(xdperf_json *j, xdperf_flow_keys *k)
{
	uint64_t product;
	int64_t seed, flows;
	int rc;

	if (got(xdperf_json_get_ipv4_range(j, "src_ip_range", &k->src_ip), &k->has_src_ip) ||
	    got(xdperf_json_get_ipv4_range(j, "dst_ip_range", &k->dst_ip), &k->has_dst_ip) ||
	    got(xdperf_json_get_port_range(j, "src_port_range", &k->src_port), &k->has_src_port) ||
	    got(xdperf_json_get_port_range(j, "dst_port_range", &k->dst_port), &k->has_dst_port) ||
	    get_vary(j, &k->random) < 0)
		return -1;
	rc = xdperf_json_get_int_range(j, "seed", 0, XDPERF_FLOW_SEED_MAX, &seed);
	if (rc < 0)
		return -1;
	if (rc > 0)
		k->seed = (uint64_t)seed;
	rc = xdperf_json_get_int_range(j, "flows", 1, XDPERF_JSON_MAX_SAFE_INT, &flows);
	if (rc < 0)
		return -1;
	if (rc > 0)
		k->flows = (uint64_t)flows;
	/* The core refuses such a program; saying it here names the keys. */
	return ranges_product(k, &product, j) ? 0 : -1;
}

uint64_t xdperf_flow_count(const xdperf_flow_keys *k)
{
	uint64_t product;

	if (!ranges_product(k, &product, NULL))
		product = UINT64_MAX;
	return k->flows && k->flows < product ? k->flows : product;
}

size_t xdperf_flow_fields(const xdperf_flow_keys *k, const xdperf_flow_offsets *at,
		       xdperf_field out[4])
{
	const struct {
		const xdperf_range *r;
		bool given;
		uint16_t offset;
		uint8_t size;
		bool as_ipv4;
	} flow[] = {
		{ &k->src_ip, k->has_src_ip, at->src_ip, 4, true },
		{ &k->dst_ip, k->has_dst_ip, at->dst_ip, 4, true },
		{ &k->src_port, k->has_src_port, at->src_port, 2, false },
		{ &k->dst_port, k->has_dst_port, at->dst_port, 2, false },
	};
	size_t count = 0;

	for (size_t n = 0; n < sizeof flow / sizeof flow[0]; n++) {
		if (!flow[n].given || flow[n].r->first == flow[n].r->last)
			continue;
		out[count] = (xdperf_field){
			.offset = flow[n].offset,
			.size = flow[n].size,
			.op = k->random ? XDPERF_OP_RANDOM : XDPERF_OP_INC,
			.as_ipv4 = flow[n].as_ipv4,
			.min = flow[n].r->first,
			.max = flow[n].r->last,
			/* Two ranges of one size must not draw the same sequence. */
			.seed = k->random ? k->seed + count : 0,
			.chain = count > 0,
		};
		count++;
	}
	return count;
}

/* ---- checksums ------------------------------------------------------------------------ */

/* Chunks must have even length except the last one. */
uint32_t xdperf_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;

	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t xdperf_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The header's checksum field must be zero. */
uint16_t xdperf_ipv4_checksum(const void *hdr, size_t len)
{
	return xdperf_csum_fold(xdperf_csum_add(0, hdr, len));
}

static uint32_t pseudo_header(const uint8_t src[4], const uint8_t dst[4],
			      uint8_t proto, size_t len)
{
	uint32_t sum = xdperf_csum_add(0, src, 4);

	sum = xdperf_csum_add(sum, dst, 4);
	return sum + proto + (uint32_t)len;
}

/* The segment's checksum field must be zero. */
uint16_t xdperf_tcp4_checksum(const uint8_t src[4], const uint8_t dst[4],
			   const void *seg, size_t len)
{
	return xdperf_csum_fold(xdperf_csum_add(pseudo_header(src, dst, 6, len), seg, len));
}

uint16_t xdperf_udp4_checksum(const uint8_t src[4], const uint8_t dst[4],
			   const void *dgram, size_t len)
{
	uint16_t c = xdperf_csum_fold(
		xdperf_csum_add(pseudo_header(src, dst, 17, len), dgram, len));

	return c ? c : 0xffff;
}
