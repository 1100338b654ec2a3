/*
 * tcpsyn: IPv4 TCP SYN templates for load-balancer and SYN-handling tests.
 *
 * Config (all keys optional except src_ip and dst_ip), from plugin_init and
 * from the request's own keys, which win: a host that never calls
 * plugin_init, as the seed's xdperf does not, passes it only in the request.
 * An unknown key is refused in plugin_init's config, and ignored with a
 * warning in a request (where the host may add keys of its own):
 *   src_ip, dst_ip   dotted quad
 *   dst_port         1..65535, default 80
 *   src_port_base    1..65535, default 1024; template i sends from port
 *                    src_port_base + i, so N templates are N flows
 *   (the number of templates is the request's `count`, set with --templates)
 *   dst_mac          "aa:bb:cc:dd:ee:ff"; else the request's dst_mac_addr;
 *                    else broadcast
 *   ttl              1..255, default 64
 *   window           0..65535, default 64240
 *   mss              0..65535, default request mtu - 40 (1460 without one);
 *                    0 leaves the option out
 *
 * Frame, 58 bytes (54 with mss 0; the host pads either to 60):
 *    0 Ethernet  dst MAC, src MAC = request device_mac_addr, type 0x0800
 *   14 IPv4      IHL 5, TOS 0, total length, ID 0, DF, ttl, proto 6, checksum
 *   34 TCP       src_port_base + i -> dst_port, seq 0x01000000 + i, ack 0,
 *                data offset 6 (5 without MSS), SYN, window, checksum, urg 0
 *   54 option    MSS: kind 2, length 4, value
 * Real stacks put MSS on every SYN and SYN-cookie code encodes it, so it is
 * on by default. Sequence numbers are fixed rather than random so that runs
 * and captures are reproducible.
 */
#include "xdperf_plugin.h"

#include <string.h>

enum {
	ETH_LEN = 14,
	IPV4_LEN = 20,
	TCP_LEN = 20,
	MSS_OPT_LEN = 4,
	MAX_FRAME = ETH_LEN + IPV4_LEN + TCP_LEN + MSS_OPT_LEN,
	MAX_TEMPLATES = 65535,
};

#define ISN_BASE 0x01000000u

static const char *const config_keys[] = {
	"src_ip", "dst_ip", "dst_port", "src_port_base",
	"dst_mac", "ttl", "window", "mss", NULL,
};

static const char *const tags[] = { "tcp", "syn", NULL };

struct config {
	bool ready; /* plugin_init succeeded */
	uint8_t src_ip[4], dst_ip[4];
	int64_t dst_port, src_port_base, ttl, window, mss;
	bool has_src_ip, has_dst_ip, has_dst_mac, has_mss;
	uint8_t dst_mac[6];
};

static const struct config defaults = {
	.dst_port = 80,
	.src_port_base = 1024,
	.ttl = 64,
	.window = 64240,
};

/* What plugin_init accepted; plugin_process starts from the defaults
 * instead while it is not ready. */
static struct config cfg;

/* What plugin_process resolves from its config and request for this run. */
struct run {
	struct config c; /* cfg, or the defaults, with the request's keys over it */
	uint8_t src_mac[6], dst_mac[6];
	const char *dst_mac_from;
	int64_t templates, mss;
};

/* ---- config ----------------------------------------------------------------- */

static int32_t config_error(const xdperf_json *j)
{
	return xdperf_fail(XDPERF_ERR_CONFIG, "config: %s", j->err);
}

/* The readers below leave a field alone when its key is absent, so reading a
 * request over a config keeps what the request does not say; *given is set
 * only when the key is there. */

static int32_t read_ipv4(xdperf_json *j, const char *key, uint8_t out[4], bool *given)
{
	char s[64];
	int rc = xdperf_json_get_string(j, key, s, sizeof s);

	if (rc < 0)
		return config_error(j);
	if (rc == 0)
		return 0;
	if (!xdperf_parse_ipv4(s, out))
		return xdperf_fail(XDPERF_ERR_CONFIG,
				"config: %s \"%s\" is not an IPv4 address like 192.0.2.1",
				key, s);
	*given = true;
	return 0;
}

static int32_t read_int(xdperf_json *j, const char *key, int64_t min, int64_t max,
			int64_t *out, bool *given)
{
	int rc = xdperf_json_get_int_range(j, key, min, max, out);

	if (rc < 0)
		return config_error(j);
	if (given && rc > 0)
		*given = true;
	return 0;
}

static int32_t read_dst_mac(xdperf_json *j, struct config *c)
{
	char s[64];
	int rc = xdperf_json_get_string(j, "dst_mac", s, sizeof s);

	if (rc < 0)
		return config_error(j);
	if (rc == 0)
		return 0;
	if (!xdperf_parse_mac(s, c->dst_mac))
		return xdperf_fail(XDPERF_ERR_CONFIG,
				"config: dst_mac \"%s\" is not a MAC address like aa:bb:cc:dd:ee:ff",
				s);
	c->has_dst_mac = true;
	return 0;
}

static int32_t read_config(xdperf_json *j, struct config *c)
{
	int32_t rc;

	if ((rc = read_ipv4(j, "src_ip", c->src_ip, &c->has_src_ip)) ||
	    (rc = read_ipv4(j, "dst_ip", c->dst_ip, &c->has_dst_ip)) ||
	    (rc = read_int(j, "dst_port", 1, 65535, &c->dst_port, NULL)) ||
	    (rc = read_int(j, "src_port_base", 1, 65535, &c->src_port_base, NULL)) ||
	    (rc = read_int(j, "ttl", 1, 255, &c->ttl, NULL)) ||
	    (rc = read_int(j, "window", 0, 65535, &c->window, NULL)) ||
	    (rc = read_int(j, "mss", 0, 65535, &c->mss, &c->has_mss)) ||
	    (rc = read_dst_mac(j, c)))
		return rc;
	return 0;
}

static int32_t require_address(bool given, const char *key)
{
	if (given)
		return 0;
	return xdperf_fail(XDPERF_ERR_CONFIG,
			"config: %s is required, e.g. \"%s\": \"192.0.2.1\"",
			key, key);
}

static int32_t require_addresses(const struct config *c)
{
	int32_t rc;

	if ((rc = require_address(c->has_src_ip, "src_ip")) ||
	    (rc = require_address(c->has_dst_ip, "dst_ip")))
		return rc;
	return 0;
}

XDPERF_EXPORT("plugin_init") int32_t plugin_init(const char *json, int32_t len)
{
	struct config c = defaults;
	xdperf_json j;
	int32_t rc;

	cfg.ready = false;
	if (len < 0)
		return xdperf_fail(XDPERF_ERR_CONFIG, "config: negative length %d", (int)len);
	if (xdperf_json_parse(&j, json, (size_t)len) || xdperf_json_check_keys(&j, config_keys))
		return config_error(&j);
	if ((rc = read_config(&j, &c)) || (rc = require_addresses(&c)))
		return rc;
	c.ready = true;
	cfg = c;
	return 0;
}

/* ---- request ------------------------------------------------------------------- */

static int32_t request_error(const xdperf_json *j)
{
	return -xdperf_fail(XDPERF_ERR_REQUEST, "request: %s", j->err);
}

static int32_t resolve_macs(xdperf_json *j, struct run *r)
{
	int rc = xdperf_json_get_bytes(j, "device_mac_addr", r->src_mac, 6);

	if (rc < 0)
		return request_error(j);
	if (rc == 0)
		return -xdperf_fail(XDPERF_ERR_REQUEST,
				 "request: device_mac_addr is missing (the host should send it)");
	if (r->c.has_dst_mac) {
		memcpy(r->dst_mac, r->c.dst_mac, 6);
		r->dst_mac_from = "config dst_mac";
		return 0;
	}
	rc = xdperf_json_get_bytes(j, "dst_mac_addr", r->dst_mac, 6);
	if (rc < 0)
		return request_error(j);
	if (rc > 0) {
		r->dst_mac_from = "request dst_mac_addr";
		return 0;
	}
	memset(r->dst_mac, 0xff, 6);
	r->dst_mac_from = "broadcast, no dst_mac given";
	return 0;
}

static int32_t resolve_count(xdperf_json *j, struct run *r)
{
	int64_t last_port;

	/* An absent count (an older host) means one template. */
	r->templates = 1;
	if (xdperf_json_get_int_range(j, "count", 1, MAX_TEMPLATES, &r->templates) < 0)
		return request_error(j);
	last_port = r->c.src_port_base + r->templates - 1;
	if (last_port > 65535)
		return -xdperf_fail(XDPERF_ERR_CONFIG,
				 "config: src_port_base %lld + %lld templates needs source port %lld, past 65535",
				 (long long)r->c.src_port_base,
				 (long long)r->templates, (long long)last_port);
	return 0;
}

/* Loopback's MTU is 65536, above the largest IPv4 datagram (65535), so the
 * MTU is clamped to that rather than refused. */
static int32_t resolve_mss(xdperf_json *j, struct run *r)
{
	int64_t mtu = 0;

	if (xdperf_json_get_int_range(j, "mtu", 68, INT32_MAX, &mtu) < 0)
		return request_error(j);
	if (mtu > 65535)
		mtu = 65535;
	if (r->c.has_mss)
		r->mss = r->c.mss;
	else if (mtu)
		r->mss = mtu - IPV4_LEN - TCP_LEN;
	else
		r->mss = 1460;
	return 0;
}

/* ---- frame ---------------------------------------------------------------------- */

static size_t build_syn(uint8_t *f, const struct run *r, uint16_t sport,
			uint32_t seq)
{
	size_t tcp_len = TCP_LEN + (r->mss ? MSS_OPT_LEN : 0);
	uint8_t *ip = f + ETH_LEN, *tcp = ip + IPV4_LEN;

	memset(f, 0, MAX_FRAME);
	memcpy(f, r->dst_mac, 6);
	memcpy(f + 6, r->src_mac, 6);
	xdperf_put_be16(f + 12, 0x0800);

	ip[0] = 0x45;
	xdperf_put_be16(ip + 2, (uint16_t)(IPV4_LEN + tcp_len));
	xdperf_put_be16(ip + 6, 0x4000); /* DF, so ID 0 is fine (RFC 6864) */
	ip[8] = (uint8_t)r->c.ttl;
	ip[9] = 6;
	memcpy(ip + 12, r->c.src_ip, 4);
	memcpy(ip + 16, r->c.dst_ip, 4);
	xdperf_put_be16(ip + 10, xdperf_ipv4_checksum(ip, IPV4_LEN));

	xdperf_put_be16(tcp, sport);
	xdperf_put_be16(tcp + 2, (uint16_t)r->c.dst_port);
	xdperf_put_be32(tcp + 4, seq);
	tcp[12] = (uint8_t)(tcp_len / 4 << 4);
	tcp[13] = 0x02; /* SYN */
	xdperf_put_be16(tcp + 14, (uint16_t)r->c.window);
	if (r->mss) {
		tcp[20] = 2;
		tcp[21] = MSS_OPT_LEN;
		xdperf_put_be16(tcp + 22, (uint16_t)r->mss);
	}
	xdperf_put_be16(tcp + 16, xdperf_tcp4_checksum(r->c.src_ip, r->c.dst_ip, tcp, tcp_len));
	return ETH_LEN + IPV4_LEN + tcp_len;
}

static void log_run(const struct run *r, size_t frame_len)
{
	const uint8_t *s = r->c.src_ip, *d = r->c.dst_ip, *m = r->dst_mac;

	xdperf_log(XDPERF_LOG_INFO,
		"%lld SYN template(s) %u.%u.%u.%u:%lld-%lld -> %u.%u.%u.%u:%lld, "
		"%zu-byte frames, mss %lld, dst MAC %02x:%02x:%02x:%02x:%02x:%02x (%s)",
		(long long)r->templates, s[0], s[1], s[2], s[3],
		(long long)r->c.src_port_base,
		(long long)(r->c.src_port_base + r->templates - 1),
		d[0], d[1], d[2], d[3], (long long)r->c.dst_port, frame_len,
		(long long)r->mss, m[0], m[1], m[2], m[3], m[4], m[5],
		r->dst_mac_from);
}

XDPERF_EXPORT("plugin_process") int32_t plugin_process(const char *req,
						    int32_t req_len, char *out,
						    int32_t out_cap)
{
	xdperf_json j;
	xdperf_json_writer w;
	struct run r;
	uint8_t frame[MAX_FRAME];
	size_t frame_len = 0;
	int32_t rc;

	if (req_len < 0 || out_cap < 0)
		return -xdperf_fail(XDPERF_ERR_REQUEST, "request: negative buffer length");
	if (xdperf_json_parse(&j, req, (size_t)req_len))
		return request_error(&j);
	r.c = cfg.ready ? cfg : defaults;
	xdperf_request_warn_unknown_keys(&j, config_keys);
	if ((rc = read_config(&j, &r.c)) || (rc = require_addresses(&r.c)))
		return -rc;
	if ((rc = resolve_macs(&j, &r)) || (rc = resolve_count(&j, &r)) ||
	    (rc = resolve_mss(&j, &r)))
		return rc;

	xdperf_jw_init(&w, out, (size_t)out_cap);
	xdperf_response_begin(&w);
	for (int64_t i = 0; i < r.templates; i++) {
		frame_len = build_syn(frame, &r, (uint16_t)(r.c.src_port_base + i),
				      ISN_BASE + (uint32_t)i);
		xdperf_response_add(&w, &(xdperf_template){
			.frame = frame,
			.length = frame_len,
			.packet_count = 1,
			.tags = tags,
		});
	}
	rc = xdperf_response_end(&w);
	if (rc < 0)
		return rc;
	log_run(&r, frame_len);
	xdperf_metric("templates", (double)r.templates);
	return rc;
}

/* Nothing is allocated; forgetting the config stops a reused instance from
 * producing frames for a configuration it was not given. */
XDPERF_EXPORT("plugin_cleanup") void plugin_cleanup(void)
{
	cfg = (struct config){ 0 };
}
