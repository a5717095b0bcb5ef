/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frame parser. Reads only bytes it has checked are there; every length a
 * header claims is checked against what is left before it is used.
 *
 * Two lengths: len, the frame's, against which every length a header claims
 * is checked, and avail <= len, the bytes that can be read (the first bytes
 * of a chained frame). A header that fits in len but not in avail is
 * INGEST_M_CHAIN_HDR; a frame in one piece has avail == len and never gets it.
 */
#include <errno.h>
#include <stdbool.h>
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
#define ETYPE_RAW 0x10000u /* not an ethertype: the version nibble says */
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
	[INGEST_M_LINK_TRUNC] = "link_trunc",
	[INGEST_M_IP_VERSION] = "ip_version",
	[INGEST_M_CHAIN_HDR] = "chain_hdr",
};

static const char *const link_names[INGEST_LINK_MAX] = {
	[INGEST_LINK_ETH] = "ethernet",
	[INGEST_LINK_RAW] = "raw",
	[INGEST_LINK_SLL] = "sll",
	[INGEST_LINK_SLL2] = "sll2",
	[INGEST_LINK_NULL] = "null",
};

int
ingest_link_from_pcap(int linktype)
{
	switch (linktype) {
	case 1: /* LINKTYPE_ETHERNET, DLT_EN10MB */
		return INGEST_LINK_ETH;
	case 101: /* LINKTYPE_RAW */
	case 12:  /* DLT_RAW on most systems */
	case 14:  /* DLT_RAW on OpenBSD */
	case 228: /* LINKTYPE_IPV4 */
	case 229: /* LINKTYPE_IPV6 */
		return INGEST_LINK_RAW;
	case 113: /* LINKTYPE_LINUX_SLL */
		return INGEST_LINK_SLL;
	case 276: /* LINKTYPE_LINUX_SLL2 */
		return INGEST_LINK_SLL2;
	case 0:   /* LINKTYPE_NULL: address family in the writer's byte order */
	case 108: /* LINKTYPE_LOOP: in network byte order */
		return INGEST_LINK_NULL;
	default:
		return -ENOTSUP;
	}
}

const char *
ingest_link_name(enum ingest_link link)
{
	if ((unsigned int)link >= INGEST_LINK_MAX)
		return "unknown";
	return link_names[link];
}

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

/* Are the n bytes at off within the avail bytes that can be read? */
static inline bool
seen(uint32_t avail, uint32_t off, uint32_t n)
{
	return off <= avail && avail - off >= n;
}

/* Parse the UDP header at data[off], inside an IP payload that ends at end. */
static enum ingest_verdict
parse_udp(const uint8_t *data, uint32_t off, uint32_t end, uint32_t avail,
	  const struct ingest_portset *ports, struct ingest_pkt *out)
{
	uint16_t ulen;

	if (end - off < UDP_HLEN)
		return INGEST_M_UDP_TRUNC;
	if (!seen(avail, off, UDP_HLEN))
		return INGEST_M_CHAIN_HDR;
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
parse_ip4(const uint8_t *data, uint32_t off, uint32_t avail, uint32_t len,
	  const struct ingest_portset *ports, struct ingest_pkt *out)
{
	const uint8_t *ip = data + off;
	uint32_t ihl, totlen;
	uint16_t frag;

	if (len - off < IP4_HLEN)
		return INGEST_M_IP4_TRUNC;
	if (!seen(avail, off, IP4_HLEN))
		return INGEST_M_CHAIN_HDR;
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
	/* The options are skipped, not read: only the UDP header must be seen. */
	return parse_udp(data, off + ihl, off + totlen, avail, ports, out);
}

static enum ingest_verdict
parse_ip6(const uint8_t *data, uint32_t off, uint32_t avail, uint32_t len,
	  const struct ingest_portset *ports, struct ingest_pkt *out)
{
	const uint8_t *ip = data + off;
	uint32_t end, hlen;
	uint8_t nh;
	unsigned int n;

	if (len - off < IP6_HLEN)
		return INGEST_M_IP6_TRUNC;
	if (!seen(avail, off, IP6_HLEN))
		return INGEST_M_CHAIN_HDR;
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
			return parse_udp(data, off, end, avail, ports, out);
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
			if (!seen(avail, off, 8))
				return INGEST_M_CHAIN_HDR;
			hlen = ((uint32_t)data[off + 1] + 1) * 8;
			break;
		case 51: /* authentication header: length in 4-byte units, minus 2 */
			if (n >= INGEST_IP6_EXT_MAX)
				return INGEST_M_IP6_EXT_DEPTH;
			if (end - off < 8)
				return INGEST_M_IP6_EXT_TRUNC;
			if (!seen(avail, off, 8))
				return INGEST_M_CHAIN_HDR;
			hlen = ((uint32_t)data[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (n >= INGEST_IP6_EXT_MAX)
				return INGEST_M_IP6_EXT_DEPTH;
			if (end - off < 8)
				return INGEST_M_IP6_EXT_TRUNC;
			if (!seen(avail, off, 8))
				return INGEST_M_CHAIN_HDR;
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

/* After the link header at off: the IP header, its version from etype
 * (Ethernet, cooked) or, with etype ETYPE_RAW (raw IP), from its first nibble. */
static enum ingest_verdict
parse_l3(const uint8_t *data, uint32_t off, uint32_t avail, uint32_t len, uint32_t etype,
	 const struct ingest_portset *ports, struct ingest_pkt *out)
{
	if (etype == ETYPE_RAW) {
		if (off >= len)
			return INGEST_M_LINK_TRUNC;
		if (off >= avail)
			return INGEST_M_CHAIN_HDR;
		if (data[off] >> 4 == 4)
			etype = ETYPE_IP4;
		else if (data[off] >> 4 == 6)
			etype = ETYPE_IP6;
		else
			return INGEST_M_IP_VERSION;
	}
	if (etype != ETYPE_IP4 && etype != ETYPE_IP6)
		return INGEST_F_NOT_IP;
	out->l3_off = (uint16_t)off;
	if (etype == ETYPE_IP4)
		return parse_ip4(data, off, avail, len, ports, out);
	return parse_ip6(data, off, avail, len, ports, out);
}

/* Ethernet and its VLAN tags. */
static enum ingest_verdict
parse_eth(const uint8_t *data, uint32_t avail, uint32_t len, const struct ingest_portset *ports,
	  struct ingest_pkt *out)
{
	uint32_t off = ETH_HLEN;
	uint16_t etype;

	if (len < ETH_HLEN)
		return INGEST_M_ETH_TRUNC;
	if (avail < ETH_HLEN)
		return INGEST_M_CHAIN_HDR;
	etype = rd16(data + 12);
	while (etype == ETYPE_VLAN || etype == ETYPE_QINQ || etype == ETYPE_QINQ_OLD) {
		if (out->nb_vlan == INGEST_VLAN_MAX)
			return INGEST_M_VLAN_DEPTH;
		if (len - off < VLAN_HLEN)
			return INGEST_M_VLAN_TRUNC;
		if (!seen(avail, off, VLAN_HLEN))
			return INGEST_M_CHAIN_HDR;
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
	return parse_l3(data, off, avail, len, etype, ports, out);
}

/* The address family of a BSD loopback header, in either byte order. */
static uint16_t
null_etype(const uint8_t *h)
{
	uint32_t af;

	if (h[0] == 0 && h[1] == 0)
		af = h[2] << 8 | h[3]; /* big-endian (LINKTYPE_LOOP, or a big-endian writer) */
	else
		af = h[1] << 8 | h[0]; /* little-endian writer */
	if (af == 2)
		return ETYPE_IP4;
	/* AF_INET6: Linux 10, NetBSD and OpenBSD 24, FreeBSD 28, macOS 30. */
	if (af == 10 || af == 24 || af == 28 || af == 30)
		return ETYPE_IP6;
	return 1; /* anything else: not IP */
}

enum ingest_verdict
ingest_parse_link(enum ingest_link link, const uint8_t *data, uint32_t avail, uint32_t len,
		  const struct ingest_portset *ports, struct ingest_pkt *out)
{
	memset(out, 0, sizeof(*out));
	/* Offsets are kept in 16 bits: they stay below 64 KiB whatever len is
	 * (link header, IP header, at most 8 extension headers of 2 KiB). */
	if (avail > len)
		avail = len;
	switch (link) {
	case INGEST_LINK_ETH:
		return parse_eth(data, avail, len, ports, out);
	case INGEST_LINK_RAW:
		return parse_l3(data, 0, avail, len, ETYPE_RAW, ports, out);
	case INGEST_LINK_SLL: /* type, ARPHRD, address length, address[8], protocol */
		if (len < 16)
			return INGEST_M_LINK_TRUNC;
		if (avail < 16)
			return INGEST_M_CHAIN_HDR;
		return parse_l3(data, 16, avail, len, rd16(data + 14), ports, out);
	case INGEST_LINK_SLL2: /* protocol, reserved, ifindex, ARPHRD, type, length, address[8] */
		if (len < 20)
			return INGEST_M_LINK_TRUNC;
		if (avail < 20)
			return INGEST_M_CHAIN_HDR;
		return parse_l3(data, 20, avail, len, rd16(data), ports, out);
	case INGEST_LINK_NULL:
		if (len < 4)
			return INGEST_M_LINK_TRUNC;
		if (avail < 4)
			return INGEST_M_CHAIN_HDR;
		return parse_l3(data, 4, avail, len, null_etype(data), ports, out);
	default:
		return INGEST_F_NOT_IP; /* not reached: ports get a known link */
	}
}

enum ingest_verdict
ingest_parse_general(const uint8_t *data, uint32_t len, const struct ingest_portset *ports,
		     struct ingest_pkt *out)
{
	memset(out, 0, sizeof(*out));
	return parse_eth(data, len, len, ports, out);
}
