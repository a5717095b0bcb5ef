/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow walker and frame writer (flow.h). DPDK's header-only helpers for the
 * header layouts and the checksums (rte_ip.h's inline functions need no EAL).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "flow.h"

typedef unsigned __int128 u128;

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define UDP_HLEN 8
#define TTL 64

int
bench_flow_walk_init(struct bench_flow_walk *w, const struct bench_flow *f, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	if (f->family != AF_INET && f->family != AF_INET6)
		return -EINVAL;
	if (f->src.count == 0 || f->dst.count == 0 || f->sport_lo > f->sport_hi ||
	    f->dport_lo > f->dport_hi)
		return -EINVAL;
	w->flow = *f;
	w->n_sport = (uint64_t)f->sport_hi - f->sport_lo + 1;
	w->n_dport = (uint64_t)f->dport_hi - f->dport_lo + 1;
	w->n_src = f->src.count;
	w->n_dst = f->dst.count;
	w->period = (u128)w->n_sport * w->n_dport * w->n_src * w->n_dst;
	w->seed = seed;
	return 0;
}

uint64_t
bench_flow_walk_period(const struct bench_flow_walk *w)
{
	return w->period > UINT64_MAX ? UINT64_MAX : (uint64_t)w->period;
}

/* out = lo + off, as big-endian numbers of n bytes (off < 2^32 and lo + off <= hi: no overflow). */
static void
addr_add(uint8_t *out, const uint8_t *lo, unsigned int n, uint64_t off)
{
	if (n == 4) {
		uint32_t v;

		memcpy(&v, lo, 4);
		v = rte_cpu_to_be_32(rte_be_to_cpu_32(v) + (uint32_t)off);
		memcpy(out, &v, 4);
		memset(out + 4, 0, 12);
	} else {
		uint64_t hi, low, sum;

		memcpy(&hi, lo, 8);
		memcpy(&low, lo + 8, 8);
		low = rte_be_to_cpu_64(low);
		sum = low + off;
		if (sum < low) /* the carry into the upper half */
			hi = rte_cpu_to_be_64(rte_be_to_cpu_64(hi) + 1);
		sum = rte_cpu_to_be_64(sum);
		memcpy(out, &hi, 8);
		memcpy(out + 8, &sum, 8);
	}
}

/* in - lo as a number, or -1 if in < lo or the difference is 2^32 or more. */
static int64_t
addr_sub(const uint8_t *in, const uint8_t *lo, unsigned int n)
{
	u128 a = 0, b = 0;

	for (unsigned int i = 0; i < n; i++) {
		a = (a << 8) | in[i];
		b = (b << 8) | lo[i];
	}
	if (a < b || a - b >= ((u128)1 << 32))
		return -1;
	return (int64_t)(a - b);
}

/* Output x of SplitMix64 started at seed (x >= 1). */
static uint64_t
splitmix_at(uint64_t seed, uint64_t x)
{
	uint64_t z = seed + x * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A value uniform in [0, n) from 64 random bits (Lemire's multiply-shift). */
static uint64_t
below(uint64_t r, uint64_t n)
{
	return (uint64_t)(((u128)r * n) >> 64);
}

void
bench_flow_tuple(const struct bench_flow_walk *w, uint64_t i, struct bench_tuple *t)
{
	unsigned int alen = w->flow.family == AF_INET ? 4 : 16;
	uint64_t ks, kd, ka, kb;

	if (w->flow.vary == BENCH_FLOW_RAND) {
		u128 x = (u128)i * 4;

		ks = below(splitmix_at(w->seed, (uint64_t)x + 1), w->n_sport);
		kd = below(splitmix_at(w->seed, (uint64_t)x + 2), w->n_dport);
		ka = below(splitmix_at(w->seed, (uint64_t)x + 3), w->n_src);
		kb = below(splitmix_at(w->seed, (uint64_t)x + 4), w->n_dst);
	} else if (w->period <= UINT64_MAX) {
		/* The common case, in 64-bit divisions (a 128-bit one costs several times more). */
		uint64_t j = i % (uint64_t)w->period;

		ks = j % w->n_sport;
		j /= w->n_sport;
		kd = j % w->n_dport;
		j /= w->n_dport;
		ka = j % w->n_src;
		kb = j / w->n_src; /* < n_dst: j < period */
	} else {
		u128 j = (u128)i % w->period;

		ks = (uint64_t)(j % w->n_sport);
		j /= w->n_sport;
		kd = (uint64_t)(j % w->n_dport);
		j /= w->n_dport;
		ka = (uint64_t)(j % w->n_src);
		j /= w->n_src;
		kb = (uint64_t)j; /* < n_dst: j < period */
	}
	t->sport = (uint16_t)(w->flow.sport_lo + ks);
	t->dport = (uint16_t)(w->flow.dport_lo + kd);
	addr_add(t->src, w->flow.src.lo, alen, ka);
	addr_add(t->dst, w->flow.dst.lo, alen, kb);
}

int
bench_flow_index(const struct bench_flow_walk *w, const struct bench_tuple *t, uint64_t *index)
{
	unsigned int alen = w->flow.family == AF_INET ? 4 : 16;
	int64_t ka = addr_sub(t->src, w->flow.src.lo, alen);
	int64_t kb = addr_sub(t->dst, w->flow.dst.lo, alen);
	u128 j;

	if (t->sport < w->flow.sport_lo || t->sport > w->flow.sport_hi ||
	    t->dport < w->flow.dport_lo || t->dport > w->flow.dport_hi || ka < 0 ||
	    (uint64_t)ka >= w->n_src || kb < 0 || (uint64_t)kb >= w->n_dst)
		return -ENOENT;
	if (w->period > UINT64_MAX)
		return -ERANGE;
	j = (((u128)kb * w->n_src + (uint64_t)ka) * w->n_dport + (t->dport - w->flow.dport_lo)) *
		w->n_sport +
	    (t->sport - w->flow.sport_lo);
	if (index != NULL)
		*index = (uint64_t)j;
	return 0;
}

unsigned int
bench_frame_min(int family)
{
	if (family == AF_INET)
		return BENCH_SIG_MIN_FRAME_V4;
	if (family == AF_INET6)
		return BENCH_SIG_MIN_FRAME_V6;
	return 0;
}

/* The UDP checksum over IPv6 of the first len bytes of the datagram (the rest zeros). */
static uint16_t
udp6_cksum(const struct rte_ipv6_hdr *ip6, const void *udp, size_t len)
{
	uint32_t sum = rte_ipv6_phdr_cksum(ip6, 0);
	uint16_t ck;

	sum = __rte_raw_cksum(udp, len, sum);
	ck = (uint16_t)~__rte_raw_cksum_reduce(sum);
	return ck == 0 ? 0xffff : ck;
}

int
bench_frame_write(void *buf, size_t room, const struct bench_frame_conf *c,
		  const struct bench_tuple *t, unsigned int size, const struct bench_sig *sig)
{
	uint8_t *p = buf;
	unsigned int min = bench_frame_min(c->family);
	unsigned int len = size - BENCH_FCS_LEN;
	unsigned int l3 = c->family == AF_INET ? IPV4_HLEN : IPV6_HLEN;
	struct rte_ether_hdr *eth = buf;
	struct rte_udp_hdr *udp;
	uint8_t *pay;

	if (min == 0 || size < min || size > BENCH_FRAME_MAX || sig->seq > BENCH_SIG_SEQ_MAX)
		return -EINVAL;
	if (room < len)
		return -ENOSPC;
	memcpy(&eth->dst_addr, c->dst_mac, 6);
	memcpy(&eth->src_addr, c->src_mac, 6);
	udp = (struct rte_udp_hdr *)(p + BENCH_ETH_HLEN + l3);
	pay = (uint8_t *)(udp + 1);
	udp->src_port = rte_cpu_to_be_16(t->sport);
	udp->dst_port = rte_cpu_to_be_16(t->dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - BENCH_ETH_HLEN - l3));
	udp->dgram_cksum = 0;
	bench_sig_write(pay, BENCH_SIG_LEN, sig);
	memset(pay + BENCH_SIG_LEN, 0, len - BENCH_ETH_HLEN - l3 - UDP_HLEN - BENCH_SIG_LEN);
	if (c->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(len - BENCH_ETH_HLEN));
		ip->packet_id = 0;
		ip->fragment_offset = 0;
		ip->time_to_live = TTL;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, t->src, 4);
		memcpy(&ip->dst_addr, t->dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(len - BENCH_ETH_HLEN - IPV6_HLEN));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = TTL;
		memcpy(ip6->src_addr, t->src, 16);
		memcpy(ip6->dst_addr, t->dst, 16);
		udp->dgram_cksum = udp6_cksum(ip6, udp, UDP_HLEN + BENCH_SIG_LEN);
	}
	return (int)len;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
bench_frame_parse(const void *buf, size_t len, struct bench_frame_info *fi)
{
	const uint8_t *p = buf;
	uint16_t type;
	size_t l4, l3_end;
	unsigned int udp_len;

	if (len < BENCH_ETH_HLEN)
		return -EMSGSIZE;
	memset(fi, 0, sizeof(*fi));
	type = be16(p + 12);
	fi->l3_off = BENCH_ETH_HLEN;
	if (type == RTE_ETHER_TYPE_IPV4) {
		const uint8_t *ip = p + BENCH_ETH_HLEN;
		unsigned int ihl, tot;

		if (len < BENCH_ETH_HLEN + IPV4_HLEN)
			return -EMSGSIZE;
		if ((ip[0] >> 4) != 4)
			return -EPROTO;
		ihl = (ip[0] & 0xfu) * 4u;
		tot = be16(ip + 2);
		if (ihl < IPV4_HLEN || tot < ihl + UDP_HLEN || BENCH_ETH_HLEN + (size_t)tot > len)
			return -EMSGSIZE;
		if (ip[9] != IPPROTO_UDP || (be16(ip + 6) & 0x3fff) != 0) /* MF or an offset */
			return -EPROTO;
		fi->family = AF_INET;
		memcpy(fi->t.src, ip + 12, 4);
		memcpy(fi->t.dst, ip + 16, 4);
		l4 = BENCH_ETH_HLEN + ihl;
		l3_end = BENCH_ETH_HLEN + tot;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		const uint8_t *ip6 = p + BENCH_ETH_HLEN;

		if (len < BENCH_ETH_HLEN + IPV6_HLEN)
			return -EMSGSIZE;
		if ((ip6[0] >> 4) != 6)
			return -EPROTO;
		if (ip6[6] != IPPROTO_UDP)
			return -EPROTO;
		l4 = BENCH_ETH_HLEN + IPV6_HLEN;
		l3_end = l4 + be16(ip6 + 4);
		if (l3_end > len || l3_end < l4 + UDP_HLEN)
			return -EMSGSIZE;
		fi->family = AF_INET6;
		memcpy(fi->t.src, ip6 + 8, 16);
		memcpy(fi->t.dst, ip6 + 24, 16);
	} else {
		return -EPROTO;
	}
	udp_len = be16(p + l4 + 4);
	if (udp_len < UDP_HLEN || l4 + udp_len > l3_end)
		return -EMSGSIZE;
	fi->t.sport = be16(p + l4);
	fi->t.dport = be16(p + l4 + 2);
	fi->udp_cksum = (uint16_t)(p[l4 + 6] | p[l4 + 7] << 8);
	fi->l4_off = (uint32_t)l4;
	fi->payload_off = (uint32_t)(l4 + UDP_HLEN);
	fi->payload_len = udp_len - UDP_HLEN;
	return 0;
}

/*
 * The UDP checksum of a datagram of len bytes (header included) over IPv4 or
 * IPv6: the pseudo-header (RFC 768, RFC 8200 section 8.1) with the UDP length,
 * not the IP one (they differ only in a malformed packet, and the UDP one is
 * what the receiver's stack uses).
 */
static uint16_t
udp_cksum(int family, const uint8_t *l3, const void *udp, size_t len)
{
	uint32_t sum = 0;
	uint16_t ck;

	if (family == AF_INET)
		sum = __rte_raw_cksum(l3 + 12, 8, 0); /* src, dst */
	else
		sum = __rte_raw_cksum(l3 + 8, 32, 0);
	sum += rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16((uint16_t)len);
	if (family == AF_INET6 && len > 0xffff)
		sum += rte_cpu_to_be_16((uint16_t)(len >> 16));
	sum = __rte_raw_cksum(udp, len, sum);
	ck = (uint16_t)~__rte_raw_cksum_reduce(sum);
	return ck == 0 ? 0xffff : ck;
}

void
bench_frame_fix_udp_cksum(void *buf, const struct bench_frame_info *fi)
{
	uint8_t *p = buf;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(p + fi->l4_off);
	size_t len = UDP_HLEN + (size_t)fi->payload_len;

	if (fi->family == AF_INET && udp->dgram_cksum == 0)
		return;
	udp->dgram_cksum = 0;
	udp->dgram_cksum = udp_cksum(fi->family, p + fi->l3_off, udp, len);
}
