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
		INGEST_ADD(r->e.acct.accepted, 1);
		INGEST_ADD(r->e.acct.accepted_bytes, len);
	} else {
		INGEST_ADD(r->e.acct.sink_queue_full, 1);
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
	ingest_engine_burst(&p->a, p->fr, p->ln, p->n, p->now, vd);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_accounting),
		cmocka_unit_test(test_sink_losses_move),
		cmocka_unit_test(test_many_flows_seq),
		cmocka_unit_test(test_burst_equals_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
