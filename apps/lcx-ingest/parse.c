/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frame parser. Reads only bytes it has checked are there; every length a
 * header claims is checked against what is left before it is used.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETYPE_IP4 0x0800
#define ETYPE_IP6 0x86dd
#define ETYPE_VLAN 0x8100
#define ETYPE_QINQ 0x88a8
#define ETYPE_QINQ_OLD 0x9100
#define IP4_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define PROTO_UDP 17

static const char *const verdict_names[INGEST_VERDICT_MAX] = {
	[INGEST_OK] = "ok",
	[INGEST_F_NOT_IP] = "not_ip",
	[INGEST_F_NOT_UDP] = "not_udp",
	[INGEST_F_FRAGMENT] = "fragment",
	[INGEST_F_PORT] = "port",
	[INGEST_M_ETH_TRUNC] = "eth_trunc",
	[INGEST_M_VLAN_TRUNC] = "vlan_trunc",
	[INGEST_M_VLAN_DEPTH] = "vlan_depth",
	[INGEST_M_IP4_TRUNC] = "ip4_trunc",
	[INGEST_M_IP4_VERSION] = "ip4_version",
	[INGEST_M_IP4_IHL] = "ip4_ihl",
	[INGEST_M_IP4_OPT_TRUNC] = "ip4_opt_trunc",
	[INGEST_M_IP4_TOTLEN] = "ip4_totlen",
	[INGEST_M_IP6_TRUNC] = "ip6_trunc",
	[INGEST_M_IP6_VERSION] = "ip6_version",
	[INGEST_M_IP6_PAYLEN] = "ip6_paylen",
	[INGEST_M_IP6_EXT_TRUNC] = "ip6_ext_trunc",
	[INGEST_M_IP6_EXT_DEPTH] = "ip6_ext_depth",
	[INGEST_M_UDP_TRUNC] = "udp_trunc",
	[INGEST_M_UDP_LEN] = "udp_len",
};

const char *
ingest_verdict_name(enum ingest_verdict v)
{
	if ((unsigned int)v >= INGEST_VERDICT_MAX || verdict_names[v] == NULL)
		return "unknown";
	return verdict_names[v];
}

void
ingest_portset_all(struct ingest_portset *ps)
{
	memset(ps->bits, 0, sizeof(ps->bits));
	ps->all = true;
}

static int
parse_port(const char **p, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno != 0 || v > 65535)
		return -EINVAL;
	*p = end;
	*out = v;
	return 0;
}

int
ingest_portset_parse(struct ingest_portset *ps, const char *spec)
{
	const char *p = spec;
	unsigned long lo, hi, i;

	if (spec == NULL || *spec == '\0')
		return -EINVAL;
	memset(ps->bits, 0, sizeof(ps->bits));
	ps->all = false;
	for (;;) {
		if (parse_port(&p, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_port(&p, &hi) < 0 || hi < lo)
				return -EINVAL;
		}
		for (i = lo; i <= hi; i++)
			ps->bits[i >> 6] |= 1ull << (i & 63);
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}

uint32_t
ingest_portset_count(const struct ingest_portset *ps)
{
	uint32_t n = 0;
	unsigned int i;

	if (ps->all)
		return 65536;
	for (i = 0; i < 65536 / 64; i++)
		n += (uint32_t)__builtin_popcountll(ps->bits[i]);
	return n;
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Parse the UDP header at data[off], inside an IP payload that ends at end. */
static enum ingest_verdict
parse_udp(const uint8_t *data, uint32_t off, uint32_t end, const struct ingest_portset *ports,
	  struct ingest_pkt *out)
{
	uint16_t ulen;

	if (end - off < UDP_HLEN)
		return INGEST_M_UDP_TRUNC;
	ulen = rd16(data + off + 4);
	if (ulen < UDP_HLEN || ulen > end - off)
		return INGEST_M_UDP_LEN;
	out->l4_off = (uint16_t)off;
	out->payload_off = (uint16_t)(off + UDP_HLEN);
	out->payload_len = (uint16_t)(ulen - UDP_HLEN);
	memcpy(&out->key.sport, data + off, 2);
	memcpy(&out->key.dport, data + off + 2, 2);
	out->key.proto = PROTO_UDP;
	if (ports != NULL && !ingest_portset_has(ports, rd16(data + off + 2)))
		return INGEST_F_PORT;
	return INGEST_OK;
}

static enum ingest_verdict
parse_ip4(const uint8_t *data, uint32_t off, uint32_t len, const struct ingest_portset *ports,
	  struct ingest_pkt *out)
{
	const uint8_t *ip = data + off;
	uint32_t ihl, totlen;
	uint16_t frag;

	if (len - off < IP4_HLEN)
		return INGEST_M_IP4_TRUNC;
	if ((ip[0] >> 4) != 4)
		return INGEST_M_IP4_VERSION;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	if (ihl < IP4_HLEN)
		return INGEST_M_IP4_IHL;
	if (ihl > len - off)
		return INGEST_M_IP4_OPT_TRUNC;
	totlen = rd16(ip + 2);
	/* Shorter than the data is fine: Ethernet pads frames to 60 bytes. */
	if (totlen < ihl || totlen > len - off)
		return INGEST_M_IP4_TOTLEN;
	out->key.ipver = 4;
	memcpy(out->key.src, ip + 12, 4);
	memcpy(out->key.dst, ip + 16, 4);
	frag = rd16(ip + 6);
	if ((frag & 0x3fff) != 0) /* MF set or offset non-zero */
		return INGEST_F_FRAGMENT;
	if (ip[9] != PROTO_UDP)
		return INGEST_F_NOT_UDP;
	return parse_udp(data, off + ihl, off + totlen, ports, out);
}

static enum ingest_verdict
parse_ip6(const uint8_t *data, uint32_t off, uint32_t len, const struct ingest_portset *ports,
	  struct ingest_pkt *out)
{
	const uint8_t *ip = data + off;
	uint32_t end, hlen;
	uint8_t nh;
	unsigned int n;

	if (len - off < IP6_HLEN)
		return INGEST_M_IP6_TRUNC;
	if ((ip[0] >> 4) != 6)
		return INGEST_M_IP6_VERSION;
	end = rd16(ip + 4);
	if (end > len - off - IP6_HLEN)
		return INGEST_M_IP6_PAYLEN;
	end += off + IP6_HLEN;
	out->key.ipver = 6;
	memcpy(out->key.src, ip + 8, 16);
	memcpy(out->key.dst, ip + 24, 16);
	nh = ip[6];
	off += IP6_HLEN;
	for (n = 0;; n++) {
		switch (nh) {
		case PROTO_UDP:
			return parse_udp(data, off, end, ports, out);
		case 0:   /* hop-by-hop options */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			if (n >= INGEST_IP6_EXT_MAX)
				return INGEST_M_IP6_EXT_DEPTH;
			if (end - off < 8)
				return INGEST_M_IP6_EXT_TRUNC;
			hlen = ((uint32_t)data[off + 1] + 1) * 8;
			break;
		case 51: /* authentication header: length in 4-byte units, minus 2 */
			if (n >= INGEST_IP6_EXT_MAX)
				return INGEST_M_IP6_EXT_DEPTH;
			if (end - off < 8)
				return INGEST_M_IP6_EXT_TRUNC;
			hlen = ((uint32_t)data[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (n >= INGEST_IP6_EXT_MAX)
				return INGEST_M_IP6_EXT_DEPTH;
			if (end - off < 8)
				return INGEST_M_IP6_EXT_TRUNC;
			/* Offset or M flag set: a real fragment. Else an atomic one. */
			if ((rd16(data + off + 2) & 0xfff9) != 0)
				return INGEST_F_FRAGMENT;
			hlen = 8;
			break;
		default: /* TCP, ICMPv6, ESP, no next header, ... */
			return INGEST_F_NOT_UDP;
		}
		if (hlen > end - off)
			return INGEST_M_IP6_EXT_TRUNC;
		nh = data[off];
		off += hlen;
	}
}

enum ingest_verdict
ingest_parse(const uint8_t *data, uint32_t len, const struct ingest_portset *ports,
	     struct ingest_pkt *out)
{
	return ingest__parse_fast(data, len, ports, out);
}

enum ingest_verdict
ingest_parse_general(const uint8_t *data, uint32_t len, const struct ingest_portset *ports,
		     struct ingest_pkt *out)
{
	uint32_t off = ETH_HLEN;
	uint16_t etype;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN)
		return INGEST_M_ETH_TRUNC;
	/* Offsets are kept in 16 bits; nothing past 64 KiB is looked at. */
	if (len > 65535)
		len = 65535;
	etype = rd16(data + 12);
	while (etype == ETYPE_VLAN || etype == ETYPE_QINQ || etype == ETYPE_QINQ_OLD) {
		if (out->nb_vlan == INGEST_VLAN_MAX)
			return INGEST_M_VLAN_DEPTH;
		if (len - off < VLAN_HLEN)
			return INGEST_M_VLAN_TRUNC;
		if (out->nb_vlan == 0)
			out->vlan_outer = rd16(data + off) & 0xfff;
		else
			out->vlan_inner = rd16(data + off) & 0xfff;
		out->nb_vlan++;
		etype = rd16(data + off + 2);
		off += VLAN_HLEN;
		if (off == len) /* a tag with nothing after it */
			return INGEST_M_VLAN_TRUNC;
	}
	if (etype != ETYPE_IP4 && etype != ETYPE_IP6)
		return INGEST_F_NOT_IP;
	out->l3_off = (uint16_t)off;
	if (etype == ETYPE_IP4)
		return parse_ip4(data, off, len, ports, out);
	return parse_ip6(data, off, len, ports, out);
}
