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
 *   src_ip_range, dst_ip_range, src_port_range, dst_port_range, vary, seed,
 *   flows            the flow keys every bundled plugin shares (see
 *                    xdperf_plugin.h): each range replaces src_ip, dst_ip,
 *                    src_port_base or dst_port and, holding more than one
 *                    value, becomes a field the core varies per packet;
 *                    such a src_port_range needs count 1
 *
 * Frame, 58 bytes (54 with mss 0; the host pads either to 60):
 *    0 Ethernet  dst MAC, src MAC = request device_mac_addr, type 0x0800
 *   14 IPv4      IHL 5, TOS 0, total length, ID 0, DF, ttl, proto 6, checksum,
 *                src_ip (26), dst_ip (30)
 *   34 TCP       src_port_base + i (34) -> dst_port (36), seq 0x01000000 + i, ack 0,
 *                data offset 6 (5 without MSS), SYN, window, checksum, urg 0
 *   54 option    MSS: kind 2, length 4, value
 * A range's first value is in the frame; the core fixes both checksums as it
 * writes the others. Real stacks put MSS on every SYN and SYN-cookie code
 * encodes it, so it is on by default. Sequence numbers are fixed rather than
 * random so that runs and captures are reproducible.
 */
#include "xdperf_plugin.h"

#include <stdio.h>
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
	"dst_mac", "ttl", "window", "mss", XDPERF_FLOW_KEYS, NULL,
};

static const xdperf_flow_offsets flow_offsets = {
	.src_ip = ETH_LEN + 12,
	.dst_ip = ETH_LEN + 16,
	.src_port = ETH_LEN + IPV4_LEN,
	.dst_port = ETH_LEN + IPV4_LEN + 2,
};

static const char *const tags[] = { "tcp", "syn", NULL };

struct config {
	bool ready; /* plugin_init succeeded */
	uint8_t src_ip[4], dst_ip[4];
	int64_t dst_port, src_port_base, ttl, window, mss;
	bool has_src_ip, has_dst_ip, has_dst_mac, has_mss;
	uint8_t dst_mac[6];
	xdperf_flow_keys flow;
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
	/* What the frames carry, each as a range: the range key's, else the
	 * single value's; template i's base frame holds each .first, but for
	 * the source port, src_ports.first + i. */
	xdperf_range src_ips, dst_ips, src_ports, dst_ports;
	xdperf_field fields[4];
	size_t field_count;
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
	if (xdperf_json_get_flow_keys(j, &c->flow) < 0)
		return config_error(j);
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

	if ((rc = require_address(c->has_src_ip || c->flow.has_src_ip, "src_ip")) ||
	    (rc = require_address(c->has_dst_ip || c->flow.has_dst_ip, "dst_ip")))
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

/* The first template's source port: src_port_range's first, else src_port_base. */
static int64_t first_src_port(const struct config *c)
{
	return c->flow.has_src_port ? c->flow.src_port.first : c->src_port_base;
}

static int32_t resolve_count(xdperf_json *j, struct run *r)
{
	const xdperf_range *ports = &r->c.flow.src_port;
	int64_t base = first_src_port(&r->c), last_port;

	/* An absent count (an older host) means one template. */
	r->templates = 1;
	if (xdperf_json_get_int_range(j, "count", 1, MAX_TEMPLATES, &r->templates) < 0)
		return request_error(j);
	/* Templates differ by source port, which a field would overwrite. */
	if (r->c.flow.has_src_port && ports->first != ports->last && r->templates > 1)
		return -xdperf_fail(XDPERF_ERR_CONFIG,
				 "config: %lld templates would each vary the source port over src_port_range %u-%u: ask for 1 template",
				 (long long)r->templates, ports->first, ports->last);
	last_port = base + r->templates - 1;
	if (last_port > 65535)
		return -xdperf_fail(XDPERF_ERR_CONFIG,
				 "config: %s %lld + %lld templates needs source port %lld, past 65535",
				 r->c.flow.has_src_port ? "src_port_range" : "src_port_base",
				 (long long)base, (long long)r->templates, (long long)last_port);
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

static xdperf_range range_or_single(const xdperf_range *range, bool given, uint32_t single)
{
	return given ? *range : (xdperf_range){ .first = single, .last = single };
}

static uint32_t ipv4_value(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* After resolve_count, which leaves a source port range only to one template. */
static void resolve_flows(struct run *r)
{
	const xdperf_flow_keys *k = &r->c.flow;
	uint32_t base = (uint32_t)first_src_port(&r->c);

	r->src_ips = range_or_single(&k->src_ip, k->has_src_ip, ipv4_value(r->c.src_ip));
	r->dst_ips = range_or_single(&k->dst_ip, k->has_dst_ip, ipv4_value(r->c.dst_ip));
	if (k->has_src_port && k->src_port.first != k->src_port.last)
		r->src_ports = k->src_port;
	else
		r->src_ports = (xdperf_range){ .first = base, .last = base + (uint32_t)r->templates - 1 };
	r->dst_ports = range_or_single(&k->dst_port, k->has_dst_port, (uint32_t)r->c.dst_port);
	r->field_count = xdperf_flow_fields(k, &flow_offsets, r->fields);
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
	xdperf_put_be32(ip + 12, r->src_ips.first);
	xdperf_put_be32(ip + 16, r->dst_ips.first);
	xdperf_put_be16(ip + 10, xdperf_ipv4_checksum(ip, IPV4_LEN));

	xdperf_put_be16(tcp, sport);
	xdperf_put_be16(tcp + 2, (uint16_t)r->dst_ports.first);
	xdperf_put_be32(tcp + 4, seq);
	tcp[12] = (uint8_t)(tcp_len / 4 << 4);
	tcp[13] = 0x02; /* SYN */
	xdperf_put_be16(tcp + 14, (uint16_t)r->c.window);
	if (r->mss) {
		tcp[20] = 2;
		tcp[21] = MSS_OPT_LEN;
		xdperf_put_be16(tcp + 22, (uint16_t)r->mss);
	}
	xdperf_put_be16(tcp + 16, xdperf_tcp4_checksum(ip + 12, ip + 16, tcp, tcp_len));
	return ETH_LEN + IPV4_LEN + tcp_len;
}

/* "192.0.2.1" or "10.0.0.1-10.0.0.254". */
static void ipv4s_text(char *out, size_t cap, xdperf_range r)
{
	int n = snprintf(out, cap, "%u.%u.%u.%u", r.first >> 24, r.first >> 16 & 255,
			 r.first >> 8 & 255, r.first & 255);

	if (r.last != r.first && n >= 0 && (size_t)n < cap)
		snprintf(out + n, cap - (size_t)n, "-%u.%u.%u.%u", r.last >> 24,
			 r.last >> 16 & 255, r.last >> 8 & 255, r.last & 255);
}

static void log_run(const struct run *r, size_t frame_len)
{
	const xdperf_flow_keys *k = &r->c.flow;
	const uint8_t *m = r->dst_mac;
	char src[40], dst[40], dst_port_last[8] = "", flows[80] = "";

	ipv4s_text(src, sizeof src, r->src_ips);
	ipv4s_text(dst, sizeof dst, r->dst_ips);
	if (r->dst_ports.last != r->dst_ports.first)
		snprintf(dst_port_last, sizeof dst_port_last, "-%u", r->dst_ports.last);
	if (r->field_count)
		snprintf(flows, sizeof flows, ", %llu %s flows per template",
			 (unsigned long long)xdperf_flow_count(k),
			 k->random ? "random" : "sequential");
	xdperf_log(XDPERF_LOG_INFO,
		"%lld SYN template(s) %s:%u-%u -> %s:%u%s%s, "
		"%zu-byte frames, mss %lld, dst MAC %02x:%02x:%02x:%02x:%02x:%02x (%s)",
		(long long)r->templates, src, r->src_ports.first, r->src_ports.last,
		dst, r->dst_ports.first, dst_port_last, flows, frame_len,
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
	resolve_flows(&r);

	xdperf_jw_init(&w, out, (size_t)out_cap);
	xdperf_response_begin(&w);
	for (int64_t i = 0; i < r.templates; i++) {
		frame_len = build_syn(frame, &r, (uint16_t)(r.src_ports.first + i),
				      ISN_BASE + (uint32_t)i);
		xdperf_response_add(&w, &(xdperf_template){
			.frame = frame,
			.length = frame_len,
			.packet_count = 1,
			.tags = tags,
			.fields = r.fields,
			.field_count = r.field_count,
			.flows = r.field_count ? r.c.flow.flows : 0,
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
