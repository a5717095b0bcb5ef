/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame, pcap and corpus generator (see gen.h). */
#include <errno.h>
#include <string.h>

#include "gen.h"

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

void
ingest_gen_ip4_csum(uint8_t *ip, size_t ihl)
{
	uint32_t sum = 0;
	size_t i;

	ip[10] = ip[11] = 0;
	for (i = 0; i + 1 < ihl; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(ip + 10, (uint16_t)~sum);
}

static void
ip6_addr(uint8_t *p, uint32_t low)
{
	static const uint8_t pfx[12] = {0x20, 0x01, 0x0d, 0xb8};

	memcpy(p, pfx, 12);
	wr32(p + 12, low);
}

size_t
ingest_gen_frame(uint8_t *buf, size_t cap, const struct ingest_gen_udp *g)
{
	size_t off = 0, l3, l4, iphl, need;
	uint8_t *pl;
	unsigned int i;

	iphl = g->ipver == 6 ? 40 + 8u * g->nb_ip6_ext : 20u + g->ip4_optlen;
	need = 14 + 4u * g->nb_vlan + iphl + 8 + g->payload_len;
	if (need > cap || g->nb_vlan > 2 || (g->ipver == 4 && (g->ip4_optlen % 4 ||
							       g->ip4_optlen > 40)))
		return 0;
	memset(buf, 0, need);
	/* 02:00:00:00:00:02 <- 02:00:00:00:00:01, locally administered. */
	buf[0] = 0x02;
	buf[5] = 0x02;
	buf[6] = 0x02;
	buf[11] = 0x01;
	off = 12;
	for (i = 0; i < g->nb_vlan; i++) {
		wr16(buf + off, (g->nb_vlan == 2 && i == 0) ? 0x88a8 : 0x8100);
		wr16(buf + off + 2, g->vlan[i] & 0xfff);
		off += 4;
	}
	wr16(buf + off, g->ipver == 6 ? 0x86dd : 0x0800);
	off += 2;
	l3 = off;
	l4 = l3 + iphl;
	if (g->ipver == 6) {
		buf[l3] = 0x60;
		wr16(buf + l3 + 4, (uint16_t)(iphl - 40 + 8 + g->payload_len));
		buf[l3 + 6] = g->nb_ip6_ext ? 60 : 17;
		buf[l3 + 7] = 64;
		ip6_addr(buf + l3 + 8, g->src);
		ip6_addr(buf + l3 + 24, g->dst);
		for (i = 0; i < g->nb_ip6_ext; i++) {
			uint8_t *e = buf + l3 + 40 + 8 * i;

			e[0] = i + 1 < g->nb_ip6_ext ? 60 : 17;
			e[1] = 0;      /* (0 + 1) * 8 bytes */
			e[2] = 1;      /* PadN over the rest */
			e[3] = 4;
		}
	} else {
		buf[l3] = (uint8_t)(0x40 | (iphl / 4));
		wr16(buf + l3 + 2, (uint16_t)(iphl + 8 + g->payload_len));
		buf[l3 + 8] = 64;
		buf[l3 + 9] = 17;
		wr32(buf + l3 + 12, g->src);
		wr32(buf + l3 + 16, g->dst);
		for (i = 20; i < iphl; i++)
			buf[l3 + i] = 1; /* NOP options */
		ingest_gen_ip4_csum(buf + l3, iphl);
	}
	wr16(buf + l4, g->sport);
	wr16(buf + l4 + 2, g->dport);
	wr16(buf + l4 + 4, (uint16_t)(8 + g->payload_len));
	pl = buf + l4 + 8;
	for (i = 0; i < g->payload_len; i++)
		pl[i] = (uint8_t)(0xa0 + i);
	if (g->rtp && g->payload_len >= 12) {
		memset(pl, 0, 12);
		pl[0] = 0x80;
		pl[1] = 96;
		wr16(pl + 2, (uint16_t)g->seq);
		wr32(pl + 4, (uint32_t)g->seq * 160);
		wr32(pl + 8, 0x1c0ffee0u ^ g->sport);
	} else if (g->seq_width && (size_t)g->seq_off + g->seq_width <= g->payload_len) {
		for (i = 0; i < g->seq_width; i++)
			pl[g->seq_off + i] = (uint8_t)(g->seq >> (8 * (g->seq_width - 1 - i)));
	}
	return need;
}

int
ingest_pcap_header(FILE *f)
{
	const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};

	if (fwrite(hdr, sizeof(hdr), 1, f) != 1)
		return -EIO;
	return 0;
}

int
ingest_pcap_record(FILE *f, const uint8_t *frame, uint32_t len, uint64_t ts_us)
{
	uint32_t rec[4] = {(uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000), len, len};

	if (fwrite(rec, sizeof(rec), 1, f) != 1 || (len && fwrite(frame, len, 1, f) != 1))
		return -EIO;
	return 0;
}

/* A valid frame between the bad ones. */
static const struct ingest_gen_udp good4 = {
	.ipver = 4, .src = 0xc6120001, .dst = 0xc6120101, .sport = 4000, .dport = 5000,
	.payload_len = 32, .seq_width = 4,
};

struct corpus {
	FILE *f;
	struct ingest_corpus_counts *c;
	uint64_t ts;
	uint32_t good_seq;
	int err;
};

static void
put(struct corpus *cp, const uint8_t *frame, size_t len, enum ingest_verdict v)
{
	if (cp->err == 0)
		cp->err = ingest_pcap_record(cp->f, frame, (uint32_t)len, cp->ts);
	cp->ts += 10;
	cp->c->total++;
	cp->c->verdict[v]++;
}

static void
put_good(struct corpus *cp)
{
	struct ingest_gen_udp g = good4;
	uint8_t buf[256];
	size_t n;

	g.seq = cp->good_seq++;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	put(cp, buf, n, INGEST_OK);
}

/* A bad frame, with a good one after it (and one before the first). */
static void
put_bad(struct corpus *cp, const uint8_t *frame, size_t len, enum ingest_verdict v)
{
	put(cp, frame, len, v);
	put_good(cp);
}

int
ingest_gen_corpus(FILE *f, struct ingest_corpus_counts *counts)
{
	struct corpus cp = {.f = f, .c = counts, .ts = 1000000};
	struct ingest_gen_udp g;
	uint8_t base[512], buf[512];
	size_t n, cut, l3, i;
	unsigned int k;

	memset(counts, 0, sizeof(*counts));
	put_good(&cp);

	/* Truncated at every byte of every header of an IPv4 UDP frame. */
	g = good4;
	g.ip4_optlen = 8;
	n = ingest_gen_frame(base, sizeof(base), &g);
	l3 = 14;
	for (cut = 0; cut < l3 + 28 + 8; cut++) {
		enum ingest_verdict v;

		if (cut < 14)
			v = INGEST_M_ETH_TRUNC;
		else if (cut < l3 + 20)
			v = INGEST_M_IP4_TRUNC;
		else if (cut < l3 + 28)
			v = INGEST_M_IP4_OPT_TRUNC;
		else
			v = INGEST_M_IP4_TOTLEN; /* total length now lies */
		put_bad(&cp, base, cut, v);
	}
	/* IPv4 lengths that lie. */
	g = good4;
	n = ingest_gen_frame(base, sizeof(base), &g);
	memcpy(buf, base, n);
	buf[14 + 2] = 0, buf[14 + 3] = 19; /* total length < IHL */
	put_bad(&cp, buf, n, INGEST_M_IP4_TOTLEN);
	memcpy(buf, base, n);
	buf[14 + 2] = 0x05, buf[14 + 3] = 0xdc; /* 1500 > data */
	put_bad(&cp, buf, n, INGEST_M_IP4_TOTLEN);
	for (k = 0; k < 5; k++) { /* IHL 0..4 */
		memcpy(buf, base, n);
		buf[14] = (uint8_t)(0x40 | k);
		put_bad(&cp, buf, n, INGEST_M_IP4_IHL);
	}
	memcpy(buf, base, n);
	buf[14] = 0x4f; /* IHL 15: 60 bytes, more than the 20 + 8 + 32 there... */
	put_bad(&cp, buf, 14 + 40, INGEST_M_IP4_OPT_TRUNC); /* ...once cut at 40 */
	memcpy(buf, base, n);
	buf[14] = 0x65; /* version 6 under ethertype IPv4 */
	put_bad(&cp, buf, n, INGEST_M_IP4_VERSION);
	/* UDP lengths that lie. */
	memcpy(buf, base, n);
	buf[34 + 4] = 0, buf[34 + 5] = 0; /* zero-length UDP */
	put_bad(&cp, buf, n, INGEST_M_UDP_LEN);
	memcpy(buf, base, n);
	buf[34 + 4] = 0, buf[34 + 5] = 7;
	put_bad(&cp, buf, n, INGEST_M_UDP_LEN);
	memcpy(buf, base, n);
	buf[34 + 4] = 0, buf[34 + 5] = 41; /* one more than the IP payload */
	put_bad(&cp, buf, n, INGEST_M_UDP_LEN);
	/* UDP header cut short, with an IP total length that agrees. */
	for (cut = 0; cut < 8; cut++) {
		memcpy(buf, base, n);
		buf[14 + 2] = 0, buf[14 + 3] = (uint8_t)(20 + cut);
		ingest_gen_ip4_csum(buf + 14, 20);
		put_bad(&cp, buf, 14 + 20 + cut, INGEST_M_UDP_TRUNC);
	}
	/* A valid empty UDP datagram (UDP length 8) is fine. */
	g = good4;
	g.payload_len = 0;
	g.seq_width = 0;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	put(&cp, buf, n, INGEST_OK);

	/* VLAN tags with nothing after, cut tags, three tags. */
	g = good4;
	g.nb_vlan = 2;
	g.vlan[0] = 100;
	g.vlan[1] = 200;
	n = ingest_gen_frame(base, sizeof(base), &g);
	put(&cp, base, n, INGEST_OK);
	for (cut = 14; cut <= 22; cut++)
		put_bad(&cp, base, cut, INGEST_M_VLAN_TRUNC);
	memcpy(buf, base, 14);
	wr16(buf + 12, 0x8100);
	for (k = 0; k < 3; k++) {
		wr16(buf + 14 + 4 * k, 7);
		wr16(buf + 16 + 4 * k, 0x8100);
	}
	put_bad(&cp, buf, 14 + 12 + 40, INGEST_M_VLAN_DEPTH);

	/* IPv6: truncated header, bad version, payload length that lies. */
	g = good4;
	g.ipver = 6;
	g.nb_ip6_ext = 2;
	n = ingest_gen_frame(base, sizeof(base), &g);
	put(&cp, base, n, INGEST_OK);
	for (cut = 14; cut < 54; cut++)
		put_bad(&cp, base, cut, INGEST_M_IP6_TRUNC);
	memcpy(buf, base, n);
	buf[14] = 0x40;
	put_bad(&cp, buf, n, INGEST_M_IP6_VERSION);
	memcpy(buf, base, n);
	wr16(buf + 18, (uint16_t)(n - 54 + 1));
	put_bad(&cp, buf, n, INGEST_M_IP6_PAYLEN);
	/* Header chains that run off the end: the payload length agrees with
	 * the data, but an extension header's own length points past it. */
	for (cut = 54; cut < 54 + 16; cut++) {
		memcpy(buf, base, cut);
		wr16(buf + 18, (uint16_t)(cut - 54));
		put_bad(&cp, buf, cut, INGEST_M_IP6_EXT_TRUNC);
	}
	memcpy(buf, base, n);
	buf[55] = 200; /* first ext header claims (200 + 1) * 8 bytes */
	put_bad(&cp, buf, n, INGEST_M_IP6_EXT_TRUNC);
	/* Ten destination-options headers. */
	g.nb_ip6_ext = 10;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	put_bad(&cp, buf, n, INGEST_M_IP6_EXT_DEPTH);
	/* UDP cut inside an IPv6 payload. */
	g.nb_ip6_ext = 0;
	n = ingest_gen_frame(base, sizeof(base), &g);
	for (cut = 0; cut < 8; cut++) {
		memcpy(buf, base, n);
		wr16(buf + 18, (uint16_t)cut);
		put_bad(&cp, buf, 54 + cut, INGEST_M_UDP_TRUNC);
	}
	memcpy(buf, base, n);
	wr16(buf + 54 + 4, 0);
	put_bad(&cp, buf, n, INGEST_M_UDP_LEN);

	/* Filtered: ARP, TCP over IPv4, ICMPv6, IPv4 and IPv6 fragments. */
	memset(buf, 0, 60);
	wr16(buf + 12, 0x0806);
	put_bad(&cp, buf, 60, INGEST_F_NOT_IP);
	g = good4;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	buf[14 + 9] = 6;
	put_bad(&cp, buf, n, INGEST_F_NOT_UDP);
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	wr16(buf + 14 + 6, 0x2000); /* MF, offset 0: a first fragment */
	put_bad(&cp, buf, n, INGEST_F_FRAGMENT);
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	wr16(buf + 14 + 6, 0x0010); /* offset 16 * 8 */
	put_bad(&cp, buf, n, INGEST_F_FRAGMENT);
	g.ipver = 6;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	buf[20] = 58;
	put_bad(&cp, buf, n, INGEST_F_NOT_UDP);
	g.nb_ip6_ext = 1;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	buf[20] = 44;             /* the ext header becomes a fragment header */
	buf[54] = 17;
	buf[55] = 0;
	wr16(buf + 56, 0x0001);   /* M flag */
	put_bad(&cp, buf, n, INGEST_F_FRAGMENT);
	wr16(buf + 56, 0x0000);   /* atomic fragment: parsed through */
	put(&cp, buf, n, INGEST_OK);

	/* Random-ish garbage after a valid Ethernet header. */
	for (i = 0; i < 16; i++) {
		memset(buf, (int)(0x11 * i), 64);
		wr16(buf + 12, 0x0800);
		buf[14] = (uint8_t)(0x40 | (i & 3)); /* IHL 0..3 */
		put_bad(&cp, buf, 64, INGEST_M_IP4_IHL);
	}
	put_good(&cp);
	return cp.err;
}

int
ingest_gen_flows(FILE *f, unsigned int nb_flows, unsigned int rounds, uint16_t base_port,
		 uint16_t payload_len)
{
	struct ingest_gen_udp g = {
		.ipver = 4, .dst = 0xc6120101, .sport = 4000,
		.payload_len = payload_len, .seq_width = 4,
	};
	uint8_t buf[2048];
	uint64_t ts = 1000000;
	unsigned int r, i;
	size_t n;
	int ret;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nb_flows; i++) {
			g.src = 0xc6120000u + 2 + (i >> 8) * 256 + (i & 0xff);
			g.dport = (uint16_t)(base_port + i % 1000);
			g.sport = (uint16_t)(4000 + i / 1000);
			g.seq = r;
			n = ingest_gen_frame(buf, sizeof(buf), &g);
			if (n == 0)
				return -EINVAL;
			ret = ingest_pcap_record(f, buf, (uint32_t)n, ts);
			if (ret < 0)
				return ret;
			ts += 1;
		}
	}
	return 0;
}
