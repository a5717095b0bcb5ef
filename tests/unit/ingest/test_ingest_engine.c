/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the lcx-ingest engine and accounting (no EAL). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acct.h"
#include "engine.h"
#include "gen.h"

/* Feed every record of an in-memory pcap to fn. */
static void
each_record(const char *mem, size_t size, void (*fn)(const uint8_t *, uint32_t, void *),
	    void *arg)
{
	size_t off;

	for (off = 24; off + 16 <= size;) {
		uint32_t caplen;
		uint8_t *frame;

		memcpy(&caplen, mem + off + 8, 4);
		off += 16;
		assert_true(off + caplen <= size);
		frame = malloc(caplen ? caplen : 1);
		memcpy(frame, mem + off, caplen);
		fn(frame, caplen, arg);
		free(frame);
		off += caplen;
	}
}

struct run {
	struct ingest_engine e;
	uint64_t now;
	unsigned int sink_room; /* how many OK frames the fake sink takes */
};

static void
feed(const uint8_t *frame, uint32_t len, void *arg)
{
	struct run *r = arg;
	struct ingest_pkt pkt;

	r->now += 1000;
	if (ingest_engine_frame(&r->e, frame, len, r->now, &pkt) != INGEST_OK)
		return;
	if (r->sink_room > 0) {
		r->sink_room--;
		APP_COUNTER_ADD(r->e.acct.accepted, 1);
		APP_COUNTER_ADD(r->e.acct.accepted_bytes, len);
	} else {
		APP_COUNTER_ADD(r->e.acct.sink_queue_full, 1);
	}
}

static void
test_corpus_accounting(void **state)
{
	struct ingest_corpus_counts want;
	struct ingest_seq_conf sc;
	struct ingest_totals t;
	const struct ingest_acct *a;
	struct run r = {.sink_room = 10};
	char *mem = NULL, *json = NULL;
	size_t size = 0, jsize = 0;
	unsigned int v;
	FILE *f;

	(void)state;
	f = open_memstream(&mem, &size);
	assert_int_equal(ingest_pcap_header(f), 0);
	assert_int_equal(ingest_gen_corpus(f, &want), 0);
	fclose(f);
	assert_int_equal(ingest_seq_conf_parse(&sc, "0:4"), 0);
	assert_int_equal(ingest_engine_init(&r.e, NULL, &sc, 128), 0);
	each_record(mem, size, feed, &r);
	a = &r.e.acct;
	ingest_totals_sum(&a, 1, NULL, &t);
	assert_int_equal(t.rx_total, want.total);
	for (v = 0; v < INGEST_VERDICT_MAX; v++)
		assert_int_equal(t.verdict[v], want.verdict[v]);
	assert_int_equal(t.accepted, 10);
	assert_int_equal(t.sink_queue_full, want.verdict[INGEST_OK] - 10);
	assert_int_equal(t.sink_dropped, t.sink_queue_full);
	assert_true(ingest_totals_balanced(&t));
	assert_true(t.malformed > 100);
	assert_true(t.flows > 0);
	/* The good frames of the corpus carry 0, 1, 2, ... on one flow; the
	 * QinQ frame repeats 0 on it, the atomic IPv6 fragment repeats the 0 of
	 * the IPv6 flow, and the empty datagram has no counter. */
	assert_int_equal(t.seq_lost, 0);
	assert_int_equal(t.seq_duplicate, 2);
	assert_int_equal(t.seq_no_seq, 1);
	assert_int_equal(t.seq_expected, t.seq_received - 2);
	assert_true(t.seq_received >= want.verdict[INGEST_OK] - 8);

	f = open_memstream(&json, &jsize);
	ingest_totals_json(&t, f);
	fclose(f);
	assert_non_null(strstr(json, "\"balanced\":true"));
	assert_non_null(strstr(json, "\"ip4_ihl\":"));
	assert_non_null(strstr(json, "\"malformed_by\":{\"eth_trunc\":14,"));
	free(json);
	ingest_engine_fini(&r.e);
	free(mem);
}

static void
test_sink_losses_move(void **state)
{
	struct ingest_acct acct = {0};
	struct ingest_sink_acct sink = {0};
	const struct ingest_acct *a = &acct;
	struct ingest_totals t;

	(void)state;
	acct.rx_total = 100;
	acct.verdict[INGEST_OK] = 90;
	acct.verdict[INGEST_F_PORT] = 6;
	acct.verdict[INGEST_M_UDP_LEN] = 4;
	acct.accepted = 85;
	acct.sink_queue_full = 5;
	sink.written = 80;
	sink.write_errors = 3;
	sink.nomem = 1;
	ingest_totals_sum(&a, 1, &sink, &t);
	assert_int_equal(t.accepted, 81);
	assert_int_equal(t.sink_dropped, 9);
	assert_int_equal(t.sink_in_flight, 1);
	assert_int_equal(t.filtered, 6);
	assert_int_equal(t.malformed, 4);
	assert_true(ingest_totals_balanced(&t));
	acct.rx_total = 101;
	ingest_totals_sum(&a, 1, &sink, &t);
	assert_false(ingest_totals_balanced(&t));
}

static void
test_many_flows_seq(void **state)
{
	struct ingest_seq_conf sc;
	struct ingest_totals t;
	const struct ingest_acct *a;
	struct run r = {.sink_room = ~0u};
	char *mem = NULL;
	size_t size = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&mem, &size);
	assert_int_equal(ingest_pcap_header(f), 0);
	assert_int_equal(ingest_gen_flows(f, 1000, 20, 5000, 32), 0);
	fclose(f);
	assert_int_equal(ingest_seq_conf_parse(&sc, "0:4"), 0);
	assert_int_equal(ingest_engine_init(&r.e, NULL, &sc, 1000), 0);
	each_record(mem, size, feed, &r);
	a = &r.e.acct;
	ingest_totals_sum(&a, 1, NULL, &t);
	assert_int_equal(t.rx_total, 20000);
	assert_int_equal(t.accepted, 20000);
	assert_int_equal(t.flows, 1000);
	assert_int_equal(t.flow_evictions, 0);
	assert_int_equal(t.seq_received, 20000);
	assert_int_equal(t.seq_expected, 20000);
	assert_int_equal(t.seq_lost + t.seq_reordered + t.seq_duplicate, 0);
	ingest_engine_fini(&r.e);

	/* Half the table: flows are evicted and come back as new runs. */
	assert_int_equal(ingest_engine_init(&r.e, NULL, &sc, 500), 0);
	each_record(mem, size, feed, &r);
	a = &r.e.acct;
	ingest_totals_sum(&a, 1, NULL, &t);
	assert_int_equal(t.flows, 500);
	assert_true(t.flow_evictions > 0);
	assert_int_equal(t.flow_inserts - t.flow_evictions, 500);
	assert_int_equal(t.seq_lost, 0);
	ingest_engine_fini(&r.e);
	free(mem);
}

/* The staged burst path ends where frame-by-frame processing does. */
struct pair {
	struct ingest_engine a, b;
	const uint8_t *fr[32];
	uint32_t ln[32];
	uint8_t *own[32];
	unsigned int n;
	uint64_t now;
};

static void
pair_flush(struct pair *p)
{
	uint8_t vd[32];
	unsigned int i;

	p->now += 1000;
	ingest_engine_burst(&p->a, INGEST_LINK_ETH, p->fr, p->ln, p->n, p->now, vd);
	for (i = 0; i < p->n; i++) {
		struct ingest_pkt pkt;

		assert_int_equal(vd[i], ingest_engine_frame(&p->b, p->fr[i], p->ln[i], p->now, &pkt));
		free(p->own[i]);
	}
	p->n = 0;
}

static void
pair_feed(const uint8_t *frame, uint32_t len, void *arg)
{
	struct pair *p = arg;

	p->own[p->n] = malloc(len ? len : 1);
	memcpy(p->own[p->n], frame, len);
	p->fr[p->n] = p->own[p->n];
	p->ln[p->n++] = len;
	if (p->n == 32)
		pair_flush(p);
}

static void
cmp_flow(const struct ingest_flow *f, void *arg)
{
	const struct ingest_flow *g = ingest_flow_find(arg, &f->key);

	assert_non_null(g);
	assert_int_equal(f->pkts, g->pkts);
	assert_memory_equal(&f->seq, &g->seq, sizeof(f->seq));
}

static void
test_burst_equals_frames(void **state)
{
	static const uint32_t sizes[] = {4096, 300};
	struct ingest_corpus_counts want;
	struct ingest_seq_conf sc;
	char *mem = NULL;
	size_t size = 0;
	unsigned int k;
	FILE *f;

	(void)state;
	f = open_memstream(&mem, &size);
	assert_int_equal(ingest_pcap_header(f), 0);
	assert_int_equal(ingest_gen_flows(f, 1000, 5, 5000, 16), 0);
	assert_int_equal(ingest_gen_corpus(f, &want), 0);
	assert_int_equal(ingest_gen_flows(f, 700, 3, 5000, 16), 0);
	fclose(f);
	assert_int_equal(ingest_seq_conf_parse(&sc, "0:4"), 0);
	for (k = 0; k < 2; k++) {
		struct pair *p = calloc(1, sizeof(*p));

		assert_int_equal(ingest_engine_init(&p->a, NULL, &sc, sizes[k]), 0);
		assert_int_equal(ingest_engine_init(&p->b, NULL, &sc, sizes[k]), 0);
		each_record(mem, size, pair_feed, p);
		pair_flush(p);
		assert_memory_equal(&p->a.acct, &p->b.acct, sizeof(p->a.acct));
		assert_int_equal(p->a.flows->count, p->b.flows->count);
		assert_int_equal(p->a.flows->evictions, p->b.flows->evictions);
		if (k == 1)
			assert_true(p->a.flows->evictions > 0);
		ingest_flow_foreach(p->a.flows, cmp_flow, p->b.flows);
		ingest_engine_fini(&p->a);
		ingest_engine_fini(&p->b);
		free(p);
	}
	free(mem);
}

/* A frame cut into pieces by hand, each piece in its own allocation of
 * exactly its size (ASan sees a read past a piece), and a reader over them
 * that never reads past a piece. */
struct pieces {
	uint8_t *p[80];
	uint32_t len[80];
	unsigned int n;
	uint32_t total;
};

static void
pieces_cut(struct pieces *pc, const uint8_t *frame, uint32_t len, const uint32_t *cuts,
	   unsigned int ncuts)
{
	uint32_t at = 0, end;
	unsigned int i;

	pc->n = 0;
	pc->total = len;
	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		assert_true(end >= at && end <= len);
		pc->len[pc->n] = end - at;
		pc->p[pc->n] = malloc(end > at ? end - at : 1);
		memcpy(pc->p[pc->n], frame + at, end - at);
		pc->n++;
		at = end;
	}
}

static void
pieces_free(struct pieces *pc)
{
	unsigned int i;

	for (i = 0; i < pc->n; i++)
		free(pc->p[i]);
	pc->n = 0;
}

static const void *
pieces_read(const void *frame, uint32_t off, uint32_t n, void *buf)
{
	const struct pieces *pc = frame;
	uint8_t *out = buf;
	unsigned int i = 0;
	uint32_t k;

	if (off + n > pc->total)
		return NULL;
	while (i < pc->n && off >= pc->len[i])
		off -= pc->len[i++];
	if (n == 0 || (i < pc->n && off + n <= pc->len[i]))
		return i < pc->n ? pc->p[i] + off : buf;
	while (n > 0) {
		k = pc->len[i] - off < n ? pc->len[i] - off : n;
		memcpy(out, pc->p[i] + off, k);
		out += k;
		n -= k;
		off = 0;
		i++;
	}
	return buf;
}

static struct ingest_chain
pieces_chain(const struct pieces *pc)
{
	return (struct ingest_chain){.first = pc->p[0], .first_len = pc->len[0],
				     .len = pc->total, .read = pieces_read, .frame = pc};
}

/* The same frame whole (ingest_engine_frame) and in pieces
 * (ingest_engine_chain): the same verdict, counters and flow state. */
static void
chain_same(const struct ingest_seq_conf *sc, const uint8_t *frame, uint32_t len,
	   const uint32_t *cuts, unsigned int ncuts)
{
	struct ingest_engine a, b;
	struct ingest_pkt pa, pb;
	struct pieces pc;
	struct ingest_chain c;
	unsigned int k;

	assert_int_equal(ingest_engine_init(&a, NULL, sc, 16), 0);
	assert_int_equal(ingest_engine_init(&b, NULL, sc, 16), 0);
	pieces_cut(&pc, frame, len, cuts, ncuts);
	c = pieces_chain(&pc);
	for (k = 0; k < 2; k++) { /* twice: the second is a duplicate */
		assert_int_equal(ingest_engine_chain(&b, INGEST_LINK_ETH, &c, 1000 + k, &pb),
				 ingest_engine_frame(&a, frame, len, 1000 + k, &pa));
		assert_memory_equal(&pa, &pb, sizeof(pa));
	}
	assert_memory_equal(&a.acct, &b.acct, sizeof(a.acct));
	if (a.flows->count == 1)
		ingest_flow_foreach(a.flows, cmp_flow, b.flows);
	pieces_free(&pc);
	ingest_engine_fini(&a);
	ingest_engine_fini(&b);
}

/* Chained frames cut at every place (two pieces) and around the headers and
 * the counter (three pieces): what a frame in one piece gets. */
static void
test_chain_every_cut(void **state)
{
	static const char *const confs[] = {"0:4", "6:2", "1:8", "rtp"};
	struct ingest_gen_udp gs[3] = {
		{.ipver = 4, .src = 0xc6120001, .dst = 0xc6120101, .sport = 4000, .dport = 5000,
		 .payload_len = 40, .seq_width = 4, .seq = 77},
		{.ipver = 6, .nb_ip6_ext = 2, .src = 1, .dst = 2, .sport = 4000, .dport = 5000,
		 .payload_len = 20, .seq_width = 2, .seq_off = 6, .seq = 0xfffe},
		{.ipver = 4, .nb_vlan = 2, .ip4_optlen = 8, .src = 3, .dst = 4, .sport = 1,
		 .dport = 2, .payload_len = 30, .rtp = 1, .seq = 65535},
	};
	struct ingest_seq_conf sc;
	uint8_t buf[512];
	uint32_t n, x, y, cuts[2];
	unsigned int i, k;

	(void)state;
	for (k = 0; k < 4; k++) {
		assert_int_equal(ingest_seq_conf_parse(&sc, confs[k]), 0);
		for (i = 0; i < 3; i++) {
			n = (uint32_t)ingest_gen_frame(buf, sizeof(buf), &gs[i]);
			assert_true(n > 0);
			for (x = 1; x < n; x++) {
				cuts[0] = x;
				chain_same(&sc, buf, n, cuts, 1);
			}
			for (x = 1; x < n; x += 3)
				for (y = x; y < n; y += 5) {
					cuts[0] = x;
					cuts[1] = y; /* y == x: an empty piece */
					chain_same(&sc, buf, n, cuts, 2);
				}
		}
	}
}

/* The largest IPv4 datagram (65507 bytes of payload) in 2 KiB pieces, with
 * the counter split over two of them: accepted, counted at its whole length,
 * its counter read across the boundary. Headers longer than what the engine
 * sees in one piece of a chain: chain_hdr, and nothing else counted. */
static void
test_chain_large(void **state)
{
	struct ingest_gen_udp g = {.ipver = 4, .src = 1, .dst = 2, .sport = 3, .dport = 4,
				   .payload_len = 65507, .seq_width = 8, .seq_off = 2046 - 42 - 3,
				   .seq = 0x0102030405060708ull};
	struct ingest_seq_conf sc;
	struct ingest_engine e;
	struct ingest_pkt pkt;
	struct pieces pc;
	struct ingest_chain c;
	const struct ingest_flow *f;
	uint32_t cuts[40], n, k;
	uint8_t *buf = malloc(70000);

	(void)state;
	n = (uint32_t)ingest_gen_frame(buf, 70000, &g);
	assert_int_equal(n, 65549);
	for (k = 0; (k + 1) * 2048 < n; k++)
		cuts[k] = (k + 1) * 2048;
	pieces_cut(&pc, buf, n, cuts, k);
	assert_int_equal(pc.n, 33);
	assert_int_equal(ingest_seq_conf_parse(&sc, "2001:8"), 0);
	assert_int_equal(ingest_engine_init(&e, NULL, &sc, 16), 0);
	c = pieces_chain(&pc);
	assert_int_equal(ingest_engine_chain(&e, INGEST_LINK_ETH, &c, 5, &pkt), INGEST_OK);
	assert_int_equal(pkt.payload_len, 65507);
	assert_int_equal(e.acct.rx_bytes, 65549);
	assert_int_equal(e.acct.seq_received, 1);
	assert_int_equal(e.acct.seq_no_seq, 0);
	f = ingest_flow_find(e.flows, &pkt.key);
	assert_non_null(f);
	assert_int_equal(f->bytes, 65549);
	assert_int_equal(ingest_seq_high_raw(&f->seq, &sc), 0x0102030405060708ull);
	ingest_engine_fini(&e);
	/* A counter past the payload's end: no_seq, nothing read. */
	assert_int_equal(ingest_seq_conf_parse(&sc, "65500:8"), 0);
	assert_int_equal(ingest_engine_init(&e, NULL, &sc, 16), 0);
	assert_int_equal(ingest_engine_chain(&e, INGEST_LINK_ETH, &c, 5, &pkt), INGEST_OK);
	assert_int_equal(e.acct.seq_no_seq, 1);
	assert_int_equal(e.acct.seq_received, 0);
	pieces_free(&pc);
	ingest_engine_fini(&e);

	/* IPv6 with one 1 KiB destination-options header: in one piece OK, in
	 * a chain whose first piece is short, chain_hdr. */
	memset(buf, 0, 2000);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	buf[14] = 0x60;
	n = 14 + 40 + 1024 + 8 + 16;
	buf[18] = (uint8_t)((n - 54) >> 8);
	buf[19] = (uint8_t)(n - 54);
	buf[20] = 60;          /* next header: destination options */
	buf[54] = 17;          /* then UDP */
	buf[55] = 127;         /* (127 + 1) * 8 = 1024 bytes */
	buf[54 + 1024 + 4] = 0;
	buf[54 + 1024 + 5] = 24; /* UDP length */
	assert_int_equal(ingest_seq_conf_parse(&sc, "0:4"), 0);
	assert_int_equal(ingest_engine_init(&e, NULL, &sc, 16), 0);
	assert_int_equal(ingest_engine_frame(&e, buf, n, 1, &pkt), INGEST_OK);
	cuts[0] = 100;
	pieces_cut(&pc, buf, n, cuts, 1);
	c = pieces_chain(&pc);
	assert_int_equal(ingest_engine_chain(&e, INGEST_LINK_ETH, &c, 2, &pkt),
			 INGEST_M_CHAIN_HDR);
	/* A first piece of INGEST_CHAIN_HDR_MAX bytes or more is what the
	 * engine sees (nothing copied): headers past it, chain_hdr too. */
	pieces_free(&pc);
	cuts[0] = 600;
	pieces_cut(&pc, buf, n, cuts, 1);
	c = pieces_chain(&pc);
	assert_int_equal(ingest_engine_chain(&e, INGEST_LINK_ETH, &c, 2, &pkt),
			 INGEST_M_CHAIN_HDR);
	/* The headers within the first piece: parsed in place. */
	pieces_free(&pc);
	cuts[0] = 1090; /* the headers end at 1086 */
	pieces_cut(&pc, buf, n, cuts, 1);
	c = pieces_chain(&pc);
	assert_int_equal(ingest_engine_chain(&e, INGEST_LINK_ETH, &c, 3, &pkt), INGEST_OK);
	assert_int_equal(e.acct.rx_total, 4);
	assert_int_equal(e.acct.verdict[INGEST_OK], 2);
	assert_int_equal(e.acct.verdict[INGEST_M_CHAIN_HDR], 2);
	assert_int_equal(e.acct.rx_bytes, 4 * n);
	pieces_free(&pc);
	ingest_engine_fini(&e);
	free(buf);
}

/* More frames than one pass takes: every one gets a verdict and a count
 * (frames past 512 were left out of the account). */
static void
test_burst_longer_than_pass(void **state)
{
	struct ingest_gen_udp g = {.ipver = 4, .src = 1, .dst = 2, .sport = 3, .dport = 4,
				   .payload_len = 8};
	enum { N = INGEST_ENGINE_BURST_MAX * 2 + 7 };
	static const uint8_t *data[N];
	static uint32_t len[N];
	static uint8_t verdict[N];
	struct ingest_engine e;
	uint8_t buf[128];
	unsigned int i;
	uint32_t n;

	(void)state;
	n = (uint32_t)ingest_gen_frame(buf, sizeof(buf), &g);
	for (i = 0; i < N; i++) {
		data[i] = buf;
		len[i] = i % 3 ? n : 10; /* every third eth_trunc */
		verdict[i] = 0xff;
	}
	assert_int_equal(ingest_engine_init(&e, NULL, NULL, 16), 0);
	ingest_engine_burst(&e, INGEST_LINK_ETH, data, len, N, 1, verdict);
	assert_int_equal(e.acct.rx_total, N);
	for (i = 0; i < N; i++)
		assert_int_equal(verdict[i], i % 3 ? INGEST_OK : INGEST_M_ETH_TRUNC);
	assert_int_equal(e.acct.verdict[INGEST_M_ETH_TRUNC], (N + 2) / 3);
	ingest_engine_fini(&e);
}

/* Another link type through the burst path: what ingest_engine_chain() gets
 * on one-piece frames. */
static void
test_burst_link(void **state)
{
	struct ingest_gen_udp g = {.ipver = 4, .src = 1, .dst = 2, .sport = 3, .dport = 4,
				   .payload_len = 8, .seq_width = 4};
	struct ingest_engine a, b;
	struct ingest_seq_conf sc;
	uint8_t eth[128], fr[8][128];
	const uint8_t *data[8];
	uint32_t len[8], n;
	uint8_t verdict[8];
	unsigned int i;

	(void)state;
	assert_int_equal(ingest_seq_conf_parse(&sc, "0:4"), 0);
	assert_int_equal(ingest_engine_init(&a, NULL, &sc, 16), 0);
	assert_int_equal(ingest_engine_init(&b, NULL, &sc, 16), 0);
	for (i = 0; i < 8; i++) {
		g.seq = i;
		n = (uint32_t)ingest_gen_frame(eth, sizeof(eth), &g);
		memcpy(fr[i], eth + 14, n - 14); /* raw IP */
		data[i] = fr[i];
		len[i] = i == 5 ? 0 : n - 14;
	}
	ingest_engine_burst(&a, INGEST_LINK_RAW, data, len, 8, 7, verdict);
	for (i = 0; i < 8; i++) {
		struct ingest_chain c = {.first = data[i], .first_len = len[i], .len = len[i]};
		struct ingest_pkt pkt;

		assert_int_equal(verdict[i], ingest_engine_chain(&b, INGEST_LINK_RAW, &c, 7, &pkt));
		assert_int_equal(verdict[i], i == 5 ? INGEST_M_LINK_TRUNC : INGEST_OK);
	}
	assert_memory_equal(&a.acct, &b.acct, sizeof(a.acct));
	assert_int_equal(a.acct.seq_lost, 1); /* 5 never came */
	ingest_engine_fini(&a);
	ingest_engine_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_accounting),
		cmocka_unit_test(test_sink_losses_move),
		cmocka_unit_test(test_many_flows_seq),
		cmocka_unit_test(test_burst_equals_frames),
		cmocka_unit_test(test_chain_every_cut),
		cmocka_unit_test(test_chain_large),
		cmocka_unit_test(test_burst_longer_than_pass),
		cmocka_unit_test(test_burst_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
