/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram and jitter (apps/lcx-bench/lathist.h): the bucket error
 * bound over a sweep of values, percentiles against a sorted array, exact
 * min/max/mean, merge, export, and RFC 3550's J and IPDV against a hand
 * computation.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lathist.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Every value v is in a bucket [lo, hi] with hi - v <= v / 128; buckets tile the range. */
static void
test_error_bound_sweep(void **state)
{
	uint64_t lo, hi, prev_hi = 0;

	(void)state;
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++) {
		bench_hist_bounds(i, &lo, &hi);
		if (i > 0)
			assert_int_equal(lo, prev_hi + 1);
		assert_true(hi >= lo);
		assert_int_equal(bench_hist_index(lo), i);
		assert_int_equal(bench_hist_index(hi), i);
		prev_hi = hi;
	}
	assert_int_equal(prev_hi, BENCH_HIST_MAX_NS);
	/* Every value below 2^22, then 1e6 random values over the range. */
	for (uint64_t v = 0; v < (1u << 22); v++) {
		bench_hist_bounds(bench_hist_index(v), &lo, &hi);
		assert_true(lo <= v && v <= hi);
		assert_true((hi - v) * 128 <= v);
		if (v < 128)
			assert_true(lo == v && hi == v);
	}
	for (int i = 0; i < 1000000; i++) {
		uint64_t v = xorshift() >> (27 + xorshift() % 37);

		if (v > BENCH_HIST_MAX_NS)
			continue;
		bench_hist_bounds(bench_hist_index(v), &lo, &hi);
		assert_true(lo <= v && v <= hi);
		assert_true((hi - v) * 128 <= v);
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Percentiles of random data (log-uniform, 1 ns .. 100 s) against a sorted array. */
static void
test_percentiles_oracle(void **state)
{
	enum { N = 200000 };
	static uint64_t v[N];
	static struct bench_hist h;
	const double qs[] = {0.5, 0.9, 0.99, 0.999, 0.9999, 0.00001, 0.25, 1.0};
	unsigned __int128 sum = 0;

	(void)state;
	bench_hist_init(&h);
	for (int i = 0; i < N; i++) {
		double e = (double)(xorshift() >> 11) * 0x1.0p-53 * log(1e11);

		v[i] = (uint64_t)exp(e);
		bench_hist_add(&h, v[i]);
		sum += v[i];
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	assert_int_equal(h.count, N);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[N - 1]);
	assert_true(bench_hist_mean(&h) == (double)sum / N);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t rank = (uint64_t)ceil(qs[i] * N);
		uint64_t truth = v[(rank == 0 ? 1 : rank) - 1];
		uint64_t got = bench_hist_percentile(&h, qs[i]);

		assert_true(got >= truth);
		assert_true((got - truth) * 128 <= truth);
	}
	assert_int_equal(bench_hist_percentile(&h, 1.0), v[N - 1]);
}

/* Merging two halves is the histogram of the whole. */
static void
test_merge_and_export(void **state)
{
	static struct bench_hist a, b, all;
	static struct bench_hist_bucket out[BENCH_HIST_BUCKETS];
	uint64_t total = 0;

	(void)state;
	bench_hist_init(&a);
	bench_hist_init(&b);
	memset(&all, 0, sizeof(all)); /* a zeroed histogram is an empty one too */
	for (int i = 0; i < 50000; i++) {
		uint64_t x = xorshift() % 10000000;

		bench_hist_add(i % 3 ? &a : &b, x);
		bench_hist_add(&all, x);
	}
	bench_hist_add(&b, 200000000000ull); /* 200 s: above the range */
	bench_hist_add(&all, 200000000000ull);
	bench_hist_merge(&a, &b);
	assert_int_equal(a.count, all.count);
	assert_int_equal(a.min, all.min);
	assert_int_equal(a.max, all.max);
	assert_int_equal(a.over, 1);
	assert_true(a.sum == all.sum);
	assert_memory_equal(a.b, all.b, sizeof(a.b));
	assert_int_equal(bench_hist_percentile(&a, 1.0), 200000000000ull);

	size_t n = bench_hist_export(&a, out, BENCH_HIST_BUCKETS);

	assert_int_equal(bench_hist_export(&a, NULL, 0), n);
	for (size_t i = 0; i < n; i++) {
		assert_true(out[i].count > 0);
		if (i > 0)
			assert_true(out[i].lo > out[i - 1].hi);
		total += out[i].count;
	}
	assert_int_equal(total, a.count - a.over);
	/* An empty histogram. */
	bench_hist_init(&b);
	assert_int_equal(bench_hist_percentile(&b, 0.5), 0);
	assert_true(bench_hist_mean(&b) == 0.0);
}

/*
 * RFC 3550 J by hand. Sent every 20 ms; one-way delays 10, 15, 10, 12 ms:
 * D = +5, -5, +2 ms; J = 5/16 = 0.3125; + (5 - 0.3125)/16 = 0.60546875;
 * + (2 - 0.60546875)/16 = 0.692626953125 ms.
 */
static void
test_jitter_hand(void **state)
{
	static struct bench_jitter j;
	const uint64_t ms = 1000000;

	(void)state;
	bench_jitter_init(&j);
	bench_jitter_add(&j, 0, 0 * ms, 10 * ms);
	bench_jitter_add(&j, 1, 20 * ms, 35 * ms);
	assert_true(j.j == 312500.0);
	bench_jitter_add(&j, 2, 40 * ms, 50 * ms);
	assert_true(j.j == 605468.75);
	bench_jitter_add(&j, 3, 60 * ms, 72 * ms);
	assert_true(fabs(j.j - 692626.953125) < 1e-6);
	assert_int_equal(j.pairs, 3);
	assert_int_equal(j.ipdv_pos.count, 2);
	assert_int_equal(j.ipdv_pos.min, 2 * ms);
	assert_int_equal(j.ipdv_pos.max, 5 * ms);
	assert_int_equal(j.ipdv_neg.count, 1);
	assert_int_equal(j.ipdv_neg.max, 5 * ms);
	/* Packet 4 lost: the pair (3, 5) has no IPDV, but J still moves (arrival order). */
	bench_jitter_add(&j, 5, 100 * ms, 112 * ms);
	assert_int_equal(j.ipdv_undefined, 1);
	assert_int_equal(j.ipdv_pos.count + j.ipdv_neg.count, 3);
	assert_int_equal(j.pairs, 4);
	/* D = (112 - 72) - (100 - 60) = 0: J decays by 1/16. */
	assert_true(fabs(j.j - 692626.953125 * 15 / 16) < 1e-6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_bound_sweep),
	    cmocka_unit_test(test_percentiles_oracle),
	    cmocka_unit_test(test_merge_and_export),
	    cmocka_unit_test(test_jitter_hand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
