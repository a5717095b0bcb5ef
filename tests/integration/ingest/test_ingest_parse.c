/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the lcx-ingest parser and port sets (no EAL). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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
		/* Every reason appears in the corpus (port needs a filter). */
		if (want.verdict[v] == 0 && v != INGEST_F_PORT)
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
