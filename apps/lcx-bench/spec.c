/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsers of rates, frame sizes and flows (spec.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "spec.h"

#define PPS_MAX 1e10
#define BPS_MAX 1e13

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A decimal number: digits, optionally '.' and digits. Sets *end past it. */
static bool
parse_decimal(const char *s, double *v, const char **end)
{
	const char *p = s;
	double x = 0, scale = 1;
	bool digits = false;

	while (*p >= '0' && *p <= '9') {
		x = x * 10 + (*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			scale /= 10;
			x += (*p++ - '0') * scale;
			digits = true;
		}
	}
	*v = x;
	*end = p;
	return digits;
}

int
bench_parse_rate(const char *s, struct bench_rate *out, char *err, size_t errlen)
{
	const char *p;
	double v, mult = 1;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return fail(err, errlen, "empty rate");
	if (*s == '-')
		return fail(err, errlen, "rate '%s': a rate is a positive number", s);
	if (!parse_decimal(s, &v, &p))
		return fail(err, errlen, "rate '%s': expected a number, e.g. 10kpps, 100Mbps, 50%%",
			    s);
	if (*p == '%') {
		if (p[1] != '\0')
			return fail(err, errlen, "rate '%s': nothing may follow '%%'", s);
		if (!(v > 0) || v > 100)
			return fail(err, errlen, "rate '%s': a percentage is in (0, 100]", s);
		out->unit = BENCH_RATE_PERCENT;
		out->value = v;
		return 0;
	}
	switch (*p) {
	case 'k':
	case 'K':
		mult = 1e3;
		p++;
		break;
	case 'M':
		mult = 1e6;
		p++;
		break;
	case 'G':
		mult = 1e9;
		p++;
		break;
	default:
		break;
	}
	if (strncmp(p, "pps", 3) == 0) {
		out->unit = BENCH_RATE_PPS;
		p += 3;
	} else if (strncmp(p, "bps", 3) == 0) {
		out->unit = BENCH_RATE_BPS;
		p += 3;
		if (strcmp(p, ":l2") == 0) {
			out->l2 = true;
			p += 3;
		} else if (strcmp(p, ":l1") == 0) {
			p += 3;
		}
	} else {
		return fail(err, errlen,
			    "rate '%s': unknown unit (pps, bps, with k, M or G; or %%)", s);
	}
	if (*p != '\0')
		return fail(err, errlen, "rate '%s': unexpected '%s' after the unit", s, p);
	v *= mult;
	if (!(v > 0))
		return fail(err, errlen, "rate '%s': a rate must be above 0", s);
	if (out->unit == BENCH_RATE_PPS && v > PPS_MAX)
		return fail(err, errlen, "rate '%s': above %.0e pps", s, PPS_MAX);
	if (out->unit == BENCH_RATE_BPS && v > BPS_MAX)
		return fail(err, errlen, "rate '%s': above %.0e bps", s, BPS_MAX);
	out->value = v;
	return 0;
}

int
bench_rate_pps(const struct bench_rate *r, double mean_frame, uint64_t link_bps, double *pps,
	       char *err, size_t errlen)
{
	double l1_bits = (mean_frame + BENCH_L1_OVERHEAD) * 8.0;
	double v;

	if (!(mean_frame > 0))
		return fail(err, errlen, "no frame size");
	switch (r->unit) {
	case BENCH_RATE_PPS:
		v = r->value;
		break;
	case BENCH_RATE_BPS:
		v = r->value / (r->l2 ? mean_frame * 8.0 : l1_bits);
		break;
	case BENCH_RATE_PERCENT:
		if (link_bps == 0)
			return fail(err, errlen, "a rate in %% needs the link speed");
		v = r->value / 100.0 * (double)link_bps / l1_bits;
		break;
	default:
		return fail(err, errlen, "unknown rate unit");
	}
	/* Beyond the link: more layer-1 bits per second than it carries (1 ppb of slack). */
	if (link_bps != 0 && v * l1_bits > (double)link_bps * (1 + 1e-9))
		return fail(err, errlen,
			    "rate of %.0f pps (%.0f bps at layer 1 with %.1f-byte frames) is "
			    "beyond the link's %llu bps",
			    v, v * l1_bits, mean_frame, (unsigned long long)link_bps);
	*pps = v;
	return 0;
}

static int
add_size(struct bench_sizes *out, unsigned long size, unsigned long weight, unsigned int min,
	 const char *s, char *err, size_t errlen)
{
	if (size < min || size > BENCH_FRAME_MAX)
		return fail(err, errlen, "frame size %lu in '%s': not in [%u, %u]", size, s, min,
			    BENCH_FRAME_MAX);
	if (weight == 0 || weight > UINT32_MAX)
		return fail(err, errlen, "frame size weight %lu in '%s': not in [1, %u]", weight, s,
			    UINT32_MAX);
	if (out->n == BENCH_SIZES_MAX)
		return fail(err, errlen, "frame sizes '%s': more than %d", s, BENCH_SIZES_MAX);
	for (unsigned int i = 0; i < out->n; i++)
		if (out->size[i] == size)
			return fail(err, errlen, "frame size %lu given twice in '%s'", size, s);
	out->size[out->n] = (uint16_t)size;
	out->weight[out->n] = (uint32_t)weight;
	out->n++;
	if (out->n == 1 || size < out->lo)
		out->lo = (uint16_t)size;
	if (size > out->hi)
		out->hi = (uint16_t)size;
	return 0;
}

/* An unsigned decimal integer of at most 10 digits. */
static bool
parse_uint(const char *s, unsigned long *v, const char **end)
{
	const char *p = s;
	unsigned long x = 0;

	while (*p >= '0' && *p <= '9' && p - s < 10)
		x = x * 10 + (unsigned long)(*p++ - '0');
	*v = x;
	*end = p;
	return p != s && !(*p >= '0' && *p <= '9');
}

int
bench_parse_sizes(const char *s, unsigned int min_frame, struct bench_sizes *out, char *err,
		  size_t errlen)
{
	const char *p;
	unsigned long a, b;
	int ret;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return fail(err, errlen, "empty frame size");
	if (strcmp(s, "imix") == 0) {
		out->kind = BENCH_SIZES_LIST;
		if ((ret = add_size(out, 64, 7, min_frame, s, err, errlen)) != 0 ||
		    (ret = add_size(out, 594, 4, min_frame, s, err, errlen)) != 0 ||
		    (ret = add_size(out, 1518, 1, min_frame, s, err, errlen)) != 0)
			return ret;
		return 0;
	}
	if (!parse_uint(s, &a, &p))
		return fail(err, errlen, "frame size '%s': expected N, A-B, imix or N:W,...", s);
	if (*p == '\0') {
		out->kind = BENCH_SIZES_FIXED;
		return add_size(out, a, 1, min_frame, s, err, errlen);
	}
	if (*p == '-') {
		if (!parse_uint(p + 1, &b, &p) || *p != '\0')
			return fail(err, errlen, "frame size range '%s': expected A-B", s);
		if (a > b)
			return fail(err, errlen, "frame size range '%s': %lu > %lu", s, a, b);
		out->kind = BENCH_SIZES_RANGE;
		if ((ret = add_size(out, a, 1, min_frame, s, err, errlen)) != 0)
			return ret;
		if (b == a)
			return 0;
		if (b < min_frame || b > BENCH_FRAME_MAX)
			return fail(err, errlen, "frame size %lu in '%s': not in [%u, %u]", b, s,
				    min_frame, BENCH_FRAME_MAX);
		out->hi = (uint16_t)b;
		return 0;
	}
	/* A list of S[:W] separated by commas. */
	out->kind = BENCH_SIZES_LIST;
	p = s;
	for (;;) {
		unsigned long w = 1;

		if (!parse_uint(p, &a, &p))
			return fail(err, errlen, "frame size list '%s': expected S[:W],...", s);
		if (*p == ':' && !parse_uint(p + 1, &w, &p))
			return fail(err, errlen,
				    "frame size list '%s': expected a weight after ':'", s);
		if ((ret = add_size(out, a, w, min_frame, s, err, errlen)) != 0)
			return ret;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return fail(err, errlen, "frame size list '%s': unexpected '%c'", s, *p);
		p++;
	}
}

double
bench_sizes_mean(const struct bench_sizes *sz)
{
	double sum = 0, w = 0;

	if (sz->kind == BENCH_SIZES_RANGE)
		return (sz->lo + sz->hi) / 2.0;
	for (unsigned int i = 0; i < sz->n; i++) {
		sum += (double)sz->size[i] * sz->weight[i];
		w += sz->weight[i];
	}
	return w > 0 ? sum / w : 0;
}

/* Addresses as 128-bit big-endian numbers (IPv4 in the low 32 bits). */
static unsigned __int128
addr_num(const uint8_t *a, int family)
{
	unsigned __int128 v = 0;
	int n = family == AF_INET ? 4 : 16;

	for (int i = 0; i < n; i++)
		v = (v << 8) | a[i];
	return v;
}

static int
parse_addr(const char *s, size_t len, int *family, uint8_t *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static int
parse_addr_range(const char *key, const char *v, size_t len, struct bench_addr_range *r,
		 int *family, char *err, size_t errlen)
{
	const char *dash = memchr(v, '-', len);
	size_t l1 = dash != NULL ? (size_t)(dash - v) : len;
	int f1, f2;
	unsigned __int128 a, b;

	if (parse_addr(v, l1, &f1, r->lo) != 0)
		return fail(err, errlen, "%s: '%.*s' is not an IPv4 or IPv6 address", key, (int)l1,
			    v);
	if (dash != NULL) {
		if (parse_addr(dash + 1, len - l1 - 1, &f2, r->hi) != 0)
			return fail(err, errlen, "%s: '%.*s' is not an IPv4 or IPv6 address", key,
				    (int)(len - l1 - 1), dash + 1);
		if (f2 != f1)
			return fail(err, errlen, "%s: a range from IPv%d to IPv%d", key,
				    f1 == AF_INET ? 4 : 6, f2 == AF_INET ? 4 : 6);
	} else {
		memcpy(r->hi, r->lo, 16);
	}
	a = addr_num(r->lo, f1);
	b = addr_num(r->hi, f1);
	if (a > b)
		return fail(err, errlen, "%s: the range '%.*s' ends before it starts", key,
			    (int)len, v);
	if (b - a >= ((unsigned __int128)1 << 32))
		return fail(err, errlen, "%s: the range '%.*s' holds more than 2^32 addresses", key,
			    (int)len, v);
	r->count = (uint64_t)(b - a) + 1;
	*family = f1;
	return 0;
}

static int
parse_port_range(const char *key, const char *v, size_t len, uint16_t *lo, uint16_t *hi, char *err,
		 size_t errlen)
{
	unsigned long a, b;
	const char *p;

	if (!parse_uint(v, &a, &p))
		goto bad;
	b = a;
	if (p < v + len && *p == '-' && !parse_uint(p + 1, &b, &p))
		goto bad;
	if (p != v + len)
		goto bad;
	if (a == 0 || b > 65535 || a > b)
		return fail(err, errlen,
			    "%s: '%.*s' is not a port range in 1..65535 (P or P-Q, P <= Q)", key,
			    (int)len, v);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
bad:
	return fail(err, errlen, "%s: '%.*s' is not a port or port range", key, (int)len, v);
}

int
bench_parse_flow(const char *s, struct bench_flow *out, char *err, size_t errlen)
{
	bool seen_src = false, seen_dst = false, seen_sport = false, seen_dport = false,
	     seen_vary = false;
	int fsrc = 0, fdst = 0, ret;
	const char *p = s;

	memset(out, 0, sizeof(*out));
	out->sport_lo = out->sport_hi = 9;
	out->dport_lo = out->dport_hi = 9;
	if (s == NULL || *s == '\0')
		return fail(err, errlen, "empty flow spec");
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t item = comma != NULL ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', item);
		size_t klen, vlen;
		const char *v;
		bool *seen;

		if (eq == NULL)
			return fail(err, errlen, "flow spec '%s': '%.*s' is not key=value", s,
				    (int)item, p);
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = item - klen - 1;
		if (vlen == 0)
			return fail(err, errlen, "flow spec '%s': '%.*s' has no value", s,
				    (int)klen, p);
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(p, k, klen) == 0)
		if (KEY("src"))
			seen = &seen_src;
		else if (KEY("dst"))
			seen = &seen_dst;
		else if (KEY("sport"))
			seen = &seen_sport;
		else if (KEY("dport"))
			seen = &seen_dport;
		else if (KEY("vary"))
			seen = &seen_vary;
		else
			return fail(
			    err, errlen,
			    "flow spec '%s': unknown key '%.*s' (src, dst, sport, dport, vary)", s,
			    (int)klen, p);
		if (*seen)
			return fail(err, errlen, "flow spec '%s': '%.*s' given twice", s, (int)klen,
				    p);
		*seen = true;
		if (KEY("src"))
			ret = parse_addr_range("src", v, vlen, &out->src, &fsrc, err, errlen);
		else if (KEY("dst"))
			ret = parse_addr_range("dst", v, vlen, &out->dst, &fdst, err, errlen);
		else if (KEY("sport"))
			ret = parse_port_range("sport", v, vlen, &out->sport_lo, &out->sport_hi,
					       err, errlen);
		else if (KEY("dport"))
			ret = parse_port_range("dport", v, vlen, &out->dport_lo, &out->dport_hi,
					       err, errlen);
		else if (vlen == 3 && strncmp(v, "inc", 3) == 0)
			ret = 0, out->vary = BENCH_FLOW_INC;
		else if (vlen == 4 && strncmp(v, "rand", 4) == 0)
			ret = 0, out->vary = BENCH_FLOW_RAND;
		else
			ret = fail(err, errlen, "flow spec '%s': vary is inc or rand", s);
#undef KEY
		if (ret != 0)
			return ret;
		p += item;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return fail(err, errlen, "flow spec '%s': ends with ','", s);
		}
	}
	if (!seen_src || !seen_dst)
		return fail(err, errlen, "flow spec '%s': src= and dst= are required", s);
	if (fsrc != fdst)
		return fail(err, errlen, "flow spec '%s': src is IPv%d but dst is IPv%d", s,
			    fsrc == AF_INET ? 4 : 6, fdst == AF_INET ? 4 : 6);
	out->family = fsrc;
	return 0;
}

uint64_t
bench_flow_count(const struct bench_flow *f)
{
	unsigned __int128 n = (unsigned __int128)f->src.count * f->dst.count *
			      (unsigned)(f->sport_hi - f->sport_lo + 1) *
			      (unsigned)(f->dport_hi - f->dport_lo + 1);

	return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}
