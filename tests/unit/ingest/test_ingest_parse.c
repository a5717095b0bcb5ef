/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the lcx-ingest parser and port sets (no EAL). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen.h"
#include "parse.h"

static const struct ingest_gen_udp base4 = {
	.ipver = 4, .src = 0xc6120001, .dst = 0xc6120101, .sport = 4000, .dport = 5000,
	.payload_len = 20,
};

static enum ingest_verdict
parse_gen(const struct ingest_gen_udp *g, struct ingest_pkt *pkt)
{
	uint8_t buf[512];
	size_t n = ingest_gen_frame(buf, sizeof(buf), g);

	assert_true(n > 0);
	return ingest_parse(buf, (uint32_t)n, NULL, pkt);
}

static void
test_ipv4_plain(void **state)
{
	struct ingest_pkt pkt;
	const uint8_t src[4] = {198, 18, 0, 1}, dst[4] = {198, 18, 1, 1};

	(void)state;
	assert_int_equal(parse_gen(&base4, &pkt), INGEST_OK);
	assert_int_equal(pkt.key.ipver, 4);
	assert_int_equal(pkt.key.proto, 17);
	assert_memory_equal(pkt.key.src, src, 4);
	assert_memory_equal(pkt.key.dst, dst, 4);
	assert_int_equal(__builtin_bswap16(pkt.key.sport), 4000);
	assert_int_equal(__builtin_bswap16(pkt.key.dport), 5000);
	assert_int_equal(pkt.l3_off, 14);
	assert_int_equal(pkt.l4_off, 34);
	assert_int_equal(pkt.payload_off, 42);
	assert_int_equal(pkt.payload_len, 20);
	assert_int_equal(pkt.nb_vlan, 0);
}

static void
test_ipv4_options_vlan_qinq(void **state)
{
	struct ingest_gen_udp g = base4;
	struct ingest_pkt pkt;

	(void)state;
	g.ip4_optlen = 40;
	assert_int_equal(parse_gen(&g, &pkt), INGEST_OK);
	assert_int_equal(pkt.l4_off, 14 + 60);
	g.nb_vlan = 1;
	g.vlan[0] = 42;
	assert_int_equal(parse_gen(&g, &pkt), INGEST_OK);
	assert_int_equal(pkt.nb_vlan, 1);
	assert_int_equal(pkt.vlan_outer, 42);
	assert_int_equal(pkt.l3_off, 18);
	g.nb_vlan = 2;
	g.vlan[1] = 4095;
	assert_int_equal(parse_gen(&g, &pkt), INGEST_OK);
	assert_int_equal(pkt.nb_vlan, 2);
	assert_int_equal(pkt.vlan_inner, 4095);
	assert_int_equal(pkt.l3_off, 22);
	assert_int_equal(pkt.payload_len, 20);
}

static void
test_ipv6_ext(void **state)
{
	struct ingest_gen_udp g = base4;
	struct ingest_pkt pkt;
	unsigned int k;

	(void)state;
	g.ipver = 6;
	for (k = 0; k <= INGEST_IP6_EXT_MAX + 1; k++) {
		g.nb_ip6_ext = (uint8_t)k;
		assert_int_equal(parse_gen(&g, &pkt), k <= INGEST_IP6_EXT_MAX ? INGEST_OK
									    : INGEST_M_IP6_EXT_DEPTH);
		if (k <= INGEST_IP6_EXT_MAX) {
			assert_int_equal(pkt.key.ipver, 6);
			assert_int_equal(pkt.l4_off, 54 + 8 * k);
			assert_int_equal(pkt.key.src[0], 0x20);
			assert_int_equal(pkt.key.src[15], 1);
		}
	}
}

static void
test_ports(void **state)
{
	struct ingest_portset ps;
	struct ingest_gen_udp g = base4;
	struct ingest_pkt pkt;
	uint8_t buf[256];
	size_t n;

	(void)state;
	assert_int_equal(ingest_portset_parse(&ps, "5000-5999,7000"), 0);
	assert_int_equal(ingest_portset_count(&ps), 1001);
	assert_true(ingest_portset_has(&ps, 5000));
	assert_true(ingest_portset_has(&ps, 5999));
	assert_true(ingest_portset_has(&ps, 7000));
	assert_false(ingest_portset_has(&ps, 4999));
	assert_false(ingest_portset_has(&ps, 6000));
	assert_false(ingest_portset_has(&ps, 7001));
	assert_int_equal(ingest_portset_parse(&ps, "0,65535"), 0);
	assert_int_equal(ingest_portset_count(&ps), 2);
	assert_int_equal(ingest_portset_parse(&ps, ""), -EINVAL);
	assert_int_equal(ingest_portset_parse(&ps, "65536"), -EINVAL);
	assert_int_equal(ingest_portset_parse(&ps, "10-5"), -EINVAL);
	assert_int_equal(ingest_portset_parse(&ps, "5,"), -EINVAL);
	assert_int_equal(ingest_portset_parse(&ps, "5-"), -EINVAL);
	assert_int_equal(ingest_portset_parse(&ps, "a"), -EINVAL);
	assert_int_equal(ingest_portset_parse(&ps, "-5"), -EINVAL);
	assert_int_equal(ingest_portset_parse(&ps, "5 6"), -EINVAL);
	ingest_portset_all(&ps);
	assert_int_equal(ingest_portset_count(&ps), 65536);

	assert_int_equal(ingest_portset_parse(&ps, "5000-5999,7000"), 0);
	g.dport = 7000;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	assert_int_equal(ingest_parse(buf, (uint32_t)n, &ps, &pkt), INGEST_OK);
	g.dport = 7001;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	assert_int_equal(ingest_parse(buf, (uint32_t)n, &ps, &pkt), INGEST_F_PORT);
	/* The 5-tuple is still there for a port-filtered frame. */
	assert_int_equal(__builtin_bswap16(pkt.key.dport), 7001);
}

/* Each frame of the corpus gets the verdict the generator meant. */
struct rec_check {
	uint64_t got[INGEST_VERDICT_MAX];
	uint64_t total;
};

static void
test_corpus(void **state)
{
	struct ingest_corpus_counts want;
	struct rec_check got = {0};
	struct ingest_pkt pkt;
	char *mem = NULL;
	size_t size = 0, off;
	FILE *f;
	unsigned int v;

	(void)state;
	f = open_memstream(&mem, &size);
	assert_non_null(f);
	assert_int_equal(ingest_pcap_header(f), 0);
	assert_int_equal(ingest_gen_corpus(f, &want), 0);
	fclose(f);
	for (off = 24; off + 16 <= size;) {
		uint32_t caplen;

		memcpy(&caplen, mem + off + 8, 4);
		off += 16;
		assert_true(off + caplen <= size);
		/* Copy to a buffer of exactly caplen bytes so ASan sees any over-read. */
		uint8_t *frame = malloc(caplen ? caplen : 1);

		memcpy(frame, mem + off, caplen);
		got.got[ingest_parse(frame, caplen, NULL, &pkt)]++;
		got.total++;
		free(frame);
		off += caplen;
	}
	free(mem);
	assert_int_equal(got.total, want.total);
	for (v = 0; v < INGEST_VERDICT_MAX; v++) {
		if (got.got[v] != want.verdict[v])
			fail_msg("verdict %s: parsed %llu, generated %llu", ingest_verdict_name(v),
				 (unsigned long long)got.got[v],
				 (unsigned long long)want.verdict[v]);
		/* Every reason appears in the corpus (port needs a filter; the
		 * link and chain reasons need another link type or a chain:
		 * test_link_types, test_chain_avail). */
		if (want.verdict[v] == 0 && v != INGEST_F_PORT && v != INGEST_M_LINK_TRUNC &&
		    v != INGEST_M_IP_VERSION && v != INGEST_M_CHAIN_HDR)
			fail_msg("verdict %s missing from the corpus", ingest_verdict_name(v));
	}
}

static void
test_every_prefix(void **state)
{
	/* Every prefix of valid frames: never a crash, never OK before the UDP
	 * header is complete, and always OK on the full frame. */
	struct ingest_gen_udp gs[4] = {base4, base4, base4, base4};
	struct ingest_pkt pkt;
	uint8_t buf[512];
	unsigned int i;
	size_t n, cut;

	(void)state;
	gs[1].nb_vlan = 2;
	gs[2].ipver = 6;
	gs[2].nb_ip6_ext = 3;
	gs[3].ip4_optlen = 12;
	gs[3].nb_vlan = 1;
	for (i = 0; i < 4; i++) {
		n = ingest_gen_frame(buf, sizeof(buf), &gs[i]);
		for (cut = 0; cut < n; cut++) {
			uint8_t *frame = malloc(cut ? cut : 1);
			enum ingest_verdict v;

			memcpy(frame, buf, cut);
			v = ingest_parse(frame, (uint32_t)cut, NULL, &pkt);
			assert_true(ingest_verdict_is_malformed(v));
			free(frame);
		}
		assert_int_equal(ingest_parse(buf, (uint32_t)n, NULL, &pkt), INGEST_OK);
	}
}

static void
test_padding_and_names(void **state)
{
	struct ingest_gen_udp g = base4;
	struct ingest_pkt pkt;
	uint8_t buf[128];
	size_t n;
	unsigned int v;

	(void)state;
	g.payload_len = 0;
	n = ingest_gen_frame(buf, sizeof(buf), &g);
	assert_int_equal(n, 42);
	/* Padded to 60 by Ethernet: IP total length governs. */
	assert_int_equal(ingest_parse(buf, 60, NULL, &pkt), INGEST_OK);
	assert_int_equal(pkt.payload_len, 0);
	for (v = 0; v < INGEST_VERDICT_MAX; v++)
		assert_string_not_equal(ingest_verdict_name(v), "unknown");
	assert_string_equal(ingest_verdict_name(INGEST_VERDICT_MAX), "unknown");
	assert_true(ingest_verdict_is_filter(INGEST_F_PORT));
	assert_false(ingest_verdict_is_filter(INGEST_OK));
	assert_true(ingest_verdict_is_malformed(INGEST_M_UDP_LEN));
	assert_false(ingest_verdict_is_malformed(INGEST_F_FRAGMENT));
}

/* One frame through ingest_parse() (with its fast path) and through the
 * general parser: the same verdict and the same output, byte for byte. */
static void
same_as_general(const uint8_t *frame, uint32_t len, const struct ingest_portset *ps)
{
	struct ingest_pkt a, b;
	enum ingest_verdict va, vb;

	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	va = ingest_parse(frame, len, ps, &a);
	vb = ingest_parse_general(frame, len, ps, &b);
	assert_int_equal(va, vb);
	assert_memory_equal(&a, &b, sizeof(a));
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The fast path for untagged IPv4/UDP agrees with the general parser on
 * valid frames, on every cut, on every header byte set to telling values,
 * and on random corruptions of the headers and lengths. */
static void
test_fast_path_same(void **state)
{
	static const uint8_t vals[] = {0x00, 0x01, 0x06, 0x08, 0x11, 0x14, 0x1c, 0x20, 0x22,
				       0x3f, 0x40, 0x44, 0x45, 0x46, 0x4f, 0x60, 0x81, 0xff};
	static const unsigned int hot[] = {16, 17, 38, 39, 12, 13, 14, 20};
	struct ingest_portset ps;
	struct ingest_gen_udp g = base4;
	uint8_t buf[256], fr[256];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t n;
	unsigned int pos, v, len, i;

	(void)state;
	assert_int_equal(ingest_portset_parse(&ps, "4990-5000"), 0);
	for (g.payload_len = 0; g.payload_len < 40; g.payload_len += 13) {
		n = ingest_gen_frame(buf, sizeof(buf), &g);
		assert_true(n > 0 && n + 8 <= sizeof(buf));
		for (len = 0; len <= n + 8; len++) {
			same_as_general(buf, len, NULL);
			same_as_general(buf, len, &ps);
		}
		for (pos = 0; pos < 42; pos++) {
			for (v = 0; v < sizeof(vals); v++) {
				memcpy(fr, buf, n);
				fr[pos] = vals[v];
				same_as_general(fr, (uint32_t)n, NULL);
				same_as_general(fr, (uint32_t)n, &ps);
				same_as_general(fr, (uint32_t)n + 6, NULL); /* Ethernet padding */
			}
		}
	}
	n = ingest_gen_frame(buf, sizeof(buf), &base4);
	for (i = 0; i < 200000; i++) {
		unsigned int k = (unsigned int)(xorshift(&x) % 3) + 1;

		memcpy(fr, buf, n);
		while (k--) {
			uint64_t r = xorshift(&x);

			/* Half the time a length, type or version byte, else any
			 * header byte; set at random or nudged by -2..2. */
			if (r & 1)
				pos = (unsigned int)(r >> 8) % 42;
			else
				pos = hot[(r >> 8) % 8];
			if (r & 2)
				fr[pos] = (uint8_t)(r >> 24);
			else
				fr[pos] = (uint8_t)(fr[pos] + ((r >> 24) % 5) - 2);
		}
		len = (uint32_t)n - 8 + (unsigned int)(xorshift(&x) % 24);
		same_as_general(fr, len, (i & 1) ? &ps : NULL);
	}
}

/* Turn an Ethernet frame (untagged) into a frame of another link type:
 * its link header, then the IP packet. @return the new length. */
static uint32_t
relink(uint8_t *out, const uint8_t *eth, uint32_t n, enum ingest_link link, bool be)
{
	uint16_t et = (uint16_t)(eth[12] << 8 | eth[13]);
	uint32_t h = 0, af = et == 0x0800 ? 2 : 28;

	switch (link) {
	case INGEST_LINK_ETH:
		memcpy(out, eth, n);
		return n;
	case INGEST_LINK_RAW:
		break;
	case INGEST_LINK_SLL: /* packet type 0 (to us), ARPHRD_ETHER, 6-byte address */
		memset(out, 0, 16);
		out[3] = 1;
		out[5] = 6;
		memcpy(out + 6, eth + 6, 6);
		out[14] = eth[12];
		out[15] = eth[13];
		h = 16;
		break;
	case INGEST_LINK_SLL2:
		memset(out, 0, 20);
		out[0] = eth[12];
		out[1] = eth[13];
		out[7] = 3; /* ifindex */
		out[9] = 1; /* ARPHRD_ETHER */
		out[11] = 6;
		memcpy(out + 12, eth + 6, 6);
		h = 20;
		break;
	case INGEST_LINK_NULL:
		if (be) {
			out[0] = out[1] = out[2] = 0;
			out[3] = (uint8_t)af;
		} else {
			out[0] = (uint8_t)af;
			out[1] = out[2] = out[3] = 0;
		}
		h = 4;
		break;
	default:
		fail();
	}
	memcpy(out + h, eth + 14, n - 14);
	return h + n - 14;
}

static const uint32_t link_hlen[INGEST_LINK_MAX] = {14, 0, 16, 20, 4};

/* Every link type: the same datagrams give the same verdict and 5-tuple as
 * over Ethernet, offsets moved by the link header's length; every cut is
 * malformed; other protocols are filtered. */
static void
test_link_types(void **state)
{
	struct ingest_gen_udp gs[3] = {base4, base4, base4};
	uint8_t eth[512], fr[600];
	struct ingest_pkt ref, pkt;
	unsigned int i, l, be;
	uint32_t n, m, cut;

	(void)state;
	assert_int_equal(ingest_link_from_pcap(1), INGEST_LINK_ETH);
	assert_int_equal(ingest_link_from_pcap(101), INGEST_LINK_RAW);
	assert_int_equal(ingest_link_from_pcap(12), INGEST_LINK_RAW);
	assert_int_equal(ingest_link_from_pcap(14), INGEST_LINK_RAW);
	assert_int_equal(ingest_link_from_pcap(228), INGEST_LINK_RAW);
	assert_int_equal(ingest_link_from_pcap(229), INGEST_LINK_RAW);
	assert_int_equal(ingest_link_from_pcap(113), INGEST_LINK_SLL);
	assert_int_equal(ingest_link_from_pcap(276), INGEST_LINK_SLL2);
	assert_int_equal(ingest_link_from_pcap(0), INGEST_LINK_NULL);
	assert_int_equal(ingest_link_from_pcap(108), INGEST_LINK_NULL);
	assert_int_equal(ingest_link_from_pcap(105), -ENOTSUP); /* 802.11 */
	assert_int_equal(ingest_link_from_pcap(127), -ENOTSUP); /* radiotap */
	assert_int_equal(ingest_link_from_pcap(-1), -ENOTSUP);
	assert_string_equal(ingest_link_name(INGEST_LINK_SLL2), "sll2");
	assert_string_equal(ingest_link_name(INGEST_LINK_MAX), "unknown");

	gs[1].ipver = 6;
	gs[1].nb_ip6_ext = 2;
	gs[2].ip4_optlen = 8;
	for (i = 0; i < 3; i++) {
		n = (uint32_t)ingest_gen_frame(eth, sizeof(eth), &gs[i]);
		assert_int_equal(ingest_parse(eth, n, NULL, &ref), INGEST_OK);
		for (l = 0; l < INGEST_LINK_MAX; l++) {
			for (be = 0; be < 2; be++) {
				uint32_t d = link_hlen[l];

				m = relink(fr, eth, n, l, be);
				assert_int_equal(ingest_parse_link(l, fr, m, m, NULL, &pkt),
						 INGEST_OK);
				assert_memory_equal(&pkt.key, &ref.key, sizeof(ref.key));
				assert_int_equal(pkt.l3_off, ref.l3_off - 14 + d);
				assert_int_equal(pkt.l4_off, ref.l4_off - 14 + d);
				assert_int_equal(pkt.payload_off, ref.payload_off - 14 + d);
				assert_int_equal(pkt.payload_len, ref.payload_len);
				for (cut = 0; cut < m; cut++) {
					uint8_t *c = malloc(cut ? cut : 1);

					memcpy(c, fr, cut);
					assert_true(ingest_verdict_is_malformed(
						ingest_parse_link(l, c, cut, cut, NULL, &pkt)));
					free(c);
				}
			}
		}
	}
	n = (uint32_t)ingest_gen_frame(eth, sizeof(eth), &base4);
	/* Link headers too short, or nothing at all. */
	assert_int_equal(ingest_parse_link(INGEST_LINK_RAW, eth, 0, 0, NULL, &pkt),
			 INGEST_M_LINK_TRUNC);
	assert_int_equal(ingest_parse_link(INGEST_LINK_SLL, eth, 15, 15, NULL, &pkt),
			 INGEST_M_LINK_TRUNC);
	assert_int_equal(ingest_parse_link(INGEST_LINK_SLL2, eth, 19, 19, NULL, &pkt),
			 INGEST_M_LINK_TRUNC);
	assert_int_equal(ingest_parse_link(INGEST_LINK_NULL, eth, 3, 3, NULL, &pkt),
			 INGEST_M_LINK_TRUNC);
	/* Raw: the version nibble decides. */
	m = relink(fr, eth, n, INGEST_LINK_RAW, false);
	fr[0] = 0x55;
	assert_int_equal(ingest_parse_link(INGEST_LINK_RAW, fr, m, m, NULL, &pkt),
			 INGEST_M_IP_VERSION);
	/* Cooked: ARP is not IP; protocol 0 is not raw IP either. */
	m = relink(fr, eth, n, INGEST_LINK_SLL, false);
	fr[14] = 0x08;
	fr[15] = 0x06;
	assert_int_equal(ingest_parse_link(INGEST_LINK_SLL, fr, m, m, NULL, &pkt),
			 INGEST_F_NOT_IP);
	fr[14] = fr[15] = 0;
	assert_int_equal(ingest_parse_link(INGEST_LINK_SLL, fr, m, m, NULL, &pkt),
			 INGEST_F_NOT_IP);
	m = relink(fr, eth, n, INGEST_LINK_SLL2, false);
	fr[0] = 0x88;
	fr[1] = 0xcc; /* LLDP */
	assert_int_equal(ingest_parse_link(INGEST_LINK_SLL2, fr, m, m, NULL, &pkt),
			 INGEST_F_NOT_IP);
	/* Loopback: AF 7 (not IP). */
	m = relink(fr, eth, n, INGEST_LINK_NULL, false);
	fr[0] = 7;
	assert_int_equal(ingest_parse_link(INGEST_LINK_NULL, fr, m, m, NULL, &pkt),
			 INGEST_F_NOT_IP);
	/* The Ethernet frame read as raw IP is not silently IP. */
	assert_int_not_equal(ingest_parse_link(INGEST_LINK_RAW, eth, n, n, NULL, &pkt), INGEST_OK);
}

/* A frame seen in part (the first avail bytes of a chain): the full verdict
 * when the headers fit, else chain_hdr; nothing past avail is read. */
static void
test_chain_avail(void **state)
{
	struct ingest_gen_udp gs[3] = {base4, base4, base4};
	struct ingest_pkt ref, pkt;
	uint8_t buf[512];
	unsigned int i;
	uint32_t n, avail;

	(void)state;
	gs[1].ipver = 6;
	gs[1].nb_ip6_ext = 3;
	gs[2].nb_vlan = 2;
	gs[2].ip4_optlen = 12;
	for (i = 0; i < 3; i++) {
		n = (uint32_t)ingest_gen_frame(buf, sizeof(buf), &gs[i]);
		assert_int_equal(ingest_parse(buf, n, NULL, &ref), INGEST_OK);
		for (avail = 0; avail <= n; avail++) {
			uint8_t *c = malloc(avail ? avail : 1);
			enum ingest_verdict v;

			memcpy(c, buf, avail);
			v = ingest_parse_link(INGEST_LINK_ETH, c, avail, n, NULL, &pkt);
			if (avail >= ref.payload_off) {
				assert_int_equal(v, INGEST_OK);
				assert_memory_equal(&pkt, &ref, sizeof(pkt));
			} else {
				assert_int_equal(v, INGEST_M_CHAIN_HDR);
			}
			free(c);
		}
	}
}

/* The largest datagrams: 65507 bytes of payload over IPv4 (a 65549-byte
 * frame), 65527 over IPv6 (65589). Lengths are checked against the frame
 * (they were cut at 64 KiB: ip4_totlen). */
static void
test_largest_datagrams(void **state)
{
	struct ingest_gen_udp g = base4;
	struct ingest_pkt pkt;
	uint8_t *buf = malloc(70000);
	size_t n;

	(void)state;
	g.payload_len = 65507;
	n = ingest_gen_frame(buf, 70000, &g);
	assert_int_equal(n, 65549);
	assert_int_equal(ingest_parse(buf, (uint32_t)n, NULL, &pkt), INGEST_OK);
	assert_int_equal(pkt.payload_len, 65507);
	assert_int_equal(ingest_parse_link(INGEST_LINK_ETH, buf, 200, (uint32_t)n, NULL, &pkt),
			 INGEST_OK);
	assert_int_equal(pkt.payload_len, 65507);
	g.ipver = 6;
	g.payload_len = 65527;
	n = ingest_gen_frame(buf, 70000, &g);
	assert_int_equal(n, 65589);
	assert_int_equal(ingest_parse(buf, (uint32_t)n, NULL, &pkt), INGEST_OK);
	assert_int_equal(pkt.payload_len, 65527);
	/* One byte short: malformed, not read past the end. */
	assert_int_equal(ingest_parse(buf, (uint32_t)n - 1, NULL, &pkt), INGEST_M_IP6_PAYLEN);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_plain),
		cmocka_unit_test(test_ipv4_options_vlan_qinq),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_padding_and_names),
		cmocka_unit_test(test_fast_path_same),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_chain_avail),
		cmocka_unit_test(test_largest_datagrams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
