/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the lcx-ingest flow table (no EAL). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow.h"

#define SEC 1000000000ull

static struct ingest_flow_key
key_of(uint32_t i)
{
	struct ingest_flow_key k;
	uint32_t src = htonl(0xc6120000u + i), dst = htonl(0xc6120101u);

	memset(&k, 0, sizeof(k));
	memcpy(k.src, &src, 4);
	memcpy(k.dst, &dst, 4);
	k.sport = htons(4000);
	k.dport = htons((uint16_t)(5000 + i % 1000));
	k.proto = 17;
	k.ipver = 4;
	return k;
}

static void
test_create_bounds(void **state)
{
	struct ingest_flow_table *t = NULL;

	(void)state;
	assert_int_equal(ingest_flow_table_create(0, &t), -EINVAL);
	assert_int_equal(ingest_flow_table_create((1u << 24) + 1, &t), -EINVAL);
	assert_int_equal(ingest_flow_table_create(1, &t), 0);
	assert_non_null(t);
	ingest_flow_table_destroy(t);
	ingest_flow_table_destroy(NULL);
}

static void
test_insert_find(void **state)
{
	struct ingest_flow_table *t;
	struct ingest_flow *f, *g;
	struct ingest_flow_key k;
	uint32_t i;

	(void)state;
	assert_int_equal(ingest_flow_table_create(1000, &t), 0);
	for (i = 0; i < 1000; i++) {
		k = key_of(i);
		assert_null(ingest_flow_find(t, &k));
		f = ingest_flow_get(t, &k, i);
		ingest_flow_count(f, 100, i);
	}
	assert_int_equal(t->count, 1000);
	assert_int_equal(t->evictions, 0);
	for (i = 0; i < 1000; i++) {
		k = key_of(i);
		f = ingest_flow_find(t, &k);
		assert_non_null(f);
		assert_memory_equal(&f->key, &k, sizeof(k));
		assert_int_equal(f->pkts, 1);
		assert_int_equal(f->bytes, 100);
		assert_int_equal(f->first_ns, i);
		g = ingest_flow_get(t, &k, 5000);
		assert_ptr_equal(f, g);
		ingest_flow_count(g, 50, 5000);
		assert_int_equal(g->pkts, 2);
		assert_int_equal(g->last_ns, 5000);
		assert_int_equal(g->first_ns, i);
	}
	assert_int_equal(t->inserts, 1000);
	/* IPv6 keys that differ only in the last address byte are distinct. */
	{
		struct ingest_flow_key a = key_of(1), b;

		a.ipver = 6;
		memset(a.src, 0x20, 16);
		b = a;
		b.src[15] ^= 1;
		f = ingest_flow_get(t, &a, 1);
		g = ingest_flow_get(t, &b, 1);
		assert_ptr_not_equal(f, g);
	}
	ingest_flow_table_destroy(t);
}

static void
test_eviction_lru(void **state)
{
	struct ingest_flow_table *t;
	struct ingest_flow_key k;
	struct ingest_flow *f;
	uint32_t i, alive_recent = 0;

	(void)state;
	assert_int_equal(ingest_flow_table_create(100, &t), 0);
	for (i = 0; i < 100; i++) {
		k = key_of(i);
		f = ingest_flow_get(t, &k, 1000 + i);
		ingest_flow_count(f, 64, 1000 + i);
	}
	/* Flows 50..99 are refreshed; 0..49 go stale. */
	for (i = 50; i < 100; i++) {
		k = key_of(i);
		ingest_flow_count(ingest_flow_get(t, &k, 10000), 64, 10000);
	}
	/* 50 new flows: the table stays at 100, 50 evictions. */
	for (i = 100; i < 150; i++) {
		k = key_of(i);
		ingest_flow_count(ingest_flow_get(t, &k, 20000), 64, 20000);
		assert_true(t->count <= 100);
	}
	assert_int_equal(t->count, 100);
	assert_int_equal(t->evictions, 50);
	assert_int_equal(t->inserts, 150);
	for (i = 100; i < 150; i++) {
		k = key_of(i);
		assert_non_null(ingest_flow_find(t, &k));
	}
	/* Victims are taken among candidate buckets, so mostly the stale ones. */
	for (i = 50; i < 100; i++) {
		k = key_of(i);
		alive_recent += ingest_flow_find(t, &k) != NULL;
	}
	if (alive_recent < 40)
		fail_msg("only %u of the 50 recent flows survived", alive_recent);
	/* A table of 1 keeps the last flow. */
	ingest_flow_table_destroy(t);
	assert_int_equal(ingest_flow_table_create(1, &t), 0);
	for (i = 0; i < 10; i++) {
		k = key_of(i);
		ingest_flow_get(t, &k, i);
		assert_int_equal(t->count, 1);
		assert_non_null(ingest_flow_find(t, &k));
	}
	assert_int_equal(t->evictions, 9);
	ingest_flow_table_destroy(t);
}

static void
test_many_flows_bounded(void **state)
{
	struct ingest_flow_table *t;
	struct ingest_flow_key k;
	uint32_t i;

	(void)state;
	assert_int_equal(ingest_flow_table_create(4096, &t), 0);
	for (i = 0; i < 100000; i++) {
		k = key_of(i);
		k.sport = htons((uint16_t)(i >> 8));
		ingest_flow_get(t, &k, i);
		assert_true(t->count <= 4096);
	}
	assert_int_equal(t->count, 4096);
	assert_int_equal(t->inserts, 100000);
	assert_int_equal(t->evictions, 100000 - 4096);
	ingest_flow_table_destroy(t);
}

static void
test_rate_and_top(void **state)
{
	struct ingest_flow_table *t;
	const struct ingest_flow *top[5];
	struct ingest_flow_key k;
	struct ingest_flow *f;
	uint64_t now;
	uint32_t i, p;
	unsigned int n;

	(void)state;
	assert_int_equal(ingest_flow_table_create(64, &t), 0);
	/* Flow i sends (i + 1) * 10 packets per second for 3 seconds. */
	for (i = 0; i < 20; i++) {
		k = key_of(i);
		f = ingest_flow_get(t, &k, 0);
		for (p = 0; p < (i + 1) * 30; p++) {
			now = (uint64_t)p * 3 * SEC / ((i + 1) * 30);
			ingest_flow_count(f, 100, now);
		}
	}
	now = 3 * SEC;
	n = ingest_flow_top(t, now, top, 5);
	assert_int_equal(n, 5);
	for (i = 0; i < 5; i++) {
		uint64_t want = (uint64_t)(20 - i) * 10;
		uint64_t got = ingest_flow_rate(top[i], now).pps;

		assert_true(got >= want - 1 && got <= want + 1);
		if (i > 0)
			assert_true(ingest_flow_rate(top[i - 1], now).pps >= got);
	}
	assert_int_equal(ingest_flow_top(t, now, top, 0), 0);
	/* Quiet: the rate decays towards 0. */
	assert_true(ingest_flow_rate(top[0], now + 10 * SEC).pps < 200 / 5);
	assert_true(ingest_flow_rate(top[0], now + 1000 * SEC).pps == 0);
	/* More asked than there are. */
	{
		const struct ingest_flow *all[64];

		assert_int_equal(ingest_flow_top(t, now, all, 64), 20);
	}
	ingest_flow_table_destroy(t);
}

/* Rates read with a manual clock against what the test sent: packets and
 * bytes over a known time. pps and bps always come from one span. */
static void
test_rate_pps_bps_agree(void **state)
{
	struct ingest_flow_table *t;
	struct ingest_flow_key k = key_of(7);
	struct ingest_flow *f;
	struct ingest_flow_rate r;
	uint64_t now, ms = SEC / 1000;
	uint32_t p;

	(void)state;
	assert_int_equal(ingest_flow_table_create(8, &t), 0);
	/* 100 packets/s of 1000 bytes: one every 10 ms from t = 0. */
	f = ingest_flow_get(t, &k, 0);
	for (p = 0; p < 20; p++)
		ingest_flow_count(f, 1000, p * 10 * ms);
	/* Young (0.2 s old, no complete window): 20 packets, 20 000 bytes in
	 * 0.2 s. (It read 100 pps and 0 bps.) */
	r = ingest_flow_rate(f, 200 * ms);
	assert_int_equal(r.pps, 100);
	assert_int_equal(r.bps, 800000);
	/* At age 0: nothing to divide by. */
	{
		struct ingest_flow_key k2 = key_of(8);
		struct ingest_flow *g = ingest_flow_get(t, &k2, 5 * SEC);

		ingest_flow_count(g, 1000, 5 * SEC);
		r = ingest_flow_rate(g, 5 * SEC);
		assert_int_equal(r.pps, 0);
		assert_int_equal(r.bps, 0);
	}
	/* Steady for 5 s (the last packet at 4.99 s): 100 pps, 800 kbit/s. */
	for (p = 20; p < 500; p++)
		ingest_flow_count(f, 1000, p * 10 * ms);
	for (now = 4990 * ms; now < 5000 * ms; now += ms) {
		r = ingest_flow_rate(f, now);
		assert_int_equal(r.pps, 100);
		assert_int_equal(r.bps, 800000);
	}
	/* Quiet for 3.6 s: the window that opened at 4.00 s (packets 400-499,
	 * 100 000 bytes) over the 4.59 s since. (It read 21 pps and 800 000 bps.) */
	now = 4990 * ms + 3600 * ms;
	r = ingest_flow_rate(f, now);
	assert_int_equal(r.pps, 100 * SEC / (now - 4000 * ms));
	assert_int_equal(r.bps, 100000ull * 8 * SEC / (now - 4000 * ms));
	/* Mixed sizes: 50 pps alternating 100 and 1500 bytes for 3 s, read
	 * just before the next packet is due. */
	k = key_of(9);
	f = ingest_flow_get(t, &k, 10 * SEC);
	for (p = 0; p < 150; p++)
		ingest_flow_count(f, p & 1 ? 1500 : 100, 10 * SEC + p * 20 * ms);
	r = ingest_flow_rate(f, 10 * SEC + 150 * 20 * ms - ms);
	assert_int_equal(r.pps, 50);
	assert_int_equal(r.bps, 25 * (1500 + 100) * 8);
	/* Long idle: the same span for both (0 pps after rounding, 32 bit/s). */
	r = ingest_flow_rate(f, 10000 * SEC);
	assert_int_equal(r.pps, 0);
	assert_int_equal(r.bps, 50 * 800 * 8 / 9990); /* 50 packets, 40 000 bytes, ~9990 s */
	ingest_flow_table_destroy(t);
}

static void
test_key_str(void **state)
{
	struct ingest_flow_key k = key_of(1);
	char buf[128];

	(void)state;
	assert_string_equal(ingest_flow_key_str(&k, buf, sizeof(buf)),
			    "198.18.0.1:4000>198.18.1.1:5001");
	k.ipver = 6;
	memset(k.src, 0, 16);
	memset(k.dst, 0, 16);
	k.src[15] = 1;
	k.dst[0] = 0x20, k.dst[1] = 0x01, k.dst[15] = 2;
	assert_string_equal(ingest_flow_key_str(&k, buf, sizeof(buf)),
			    "[::1]:4000>[2001::2]:5001");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bounds),
		cmocka_unit_test(test_insert_find),
		cmocka_unit_test(test_eviction_lru),
		cmocka_unit_test(test_many_flows_bounded),
		cmocka_unit_test(test_rate_and_top),
		cmocka_unit_test(test_rate_pps_bps_agree),
		cmocka_unit_test(test_key_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
