/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pacer (apps/lcx-bench/pacer.h) on a manual clock: each pattern's
 * schedule against its formula, long runs against rate x time, preemption
 * under both policies with the account balanced, refusals, the burst/gap
 * report of a throttled sender, and Poisson statistics for a fixed seed.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pacer.h"

#define US 1000ull
#define MS 1000000ull
#define S 1000000000ull

static void
setup(struct bench_pacer *p, enum bench_pacer_pattern pat, double rate)
{
	struct bench_pacer_conf c = {.pattern = pat, .rate_pps = rate};

	assert_int_equal(bench_pacer_init(p, &c), 0);
}

/* Send everything owed at now (the device takes all). */
static uint64_t
drain(struct bench_pacer *p, uint64_t now)
{
	uint64_t total = 0;
	unsigned int n;

	while ((n = bench_pacer_owed(p, now, 4096)) > 0) {
		bench_pacer_account(p, now, n, n);
		total += n;
	}
	return total;
}

/* Invariant: sent + skipped + owed == due. */
static void
check_account(struct bench_pacer *p, uint64_t now, uint64_t due)
{
	struct bench_pacer_stats st;
	uint64_t owed = 0;
	struct bench_pacer copy = *p;
	unsigned int n;

	/* Count what is owed without sending (on a copy). */
	while ((n = bench_pacer_owed(&copy, now, 4096)) > 0) {
		bench_pacer_account(&copy, now, n, n);
		owed += n;
	}
	bench_pacer_stats(p, &st);
	assert_int_equal(st.intended, due);
	assert_int_equal(st.offered + st.skipped + owed, due);
}

static void
test_init_refuses(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_conf c = {.pattern = BENCH_PACER_CONSTANT, .rate_pps = 0};

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.rate_pps = -5;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.rate_pps = NAN;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.rate_pps = 2e10;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.rate_pps = 1e6;
	c.pattern = BENCH_PACER_BURST;
	c.burst = 0;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.burst = BENCH_PACER_BURST_MAX + 1;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.pattern = BENCH_PACER_ON_OFF;
	c.on = 0;
	c.off = 10;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.pattern = 42;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.pattern = BENCH_PACER_CONSTANT;
	c.policy = 7;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
}

/* 1 Mpps: one packet per microsecond, due at t0, t0 + 1 us, ... */
static void
test_constant_schedule(void **state)
{
	struct bench_pacer p;
	uint64_t t0 = 5 * S;

	(void)state;
	setup(&p, BENCH_PACER_CONSTANT, 1e6);
	bench_pacer_start(&p, t0);
	assert_int_equal(bench_pacer_next_deadline(&p), t0);
	assert_int_equal(bench_pacer_owed(&p, t0 - 1, 64), 0);
	assert_int_equal(bench_pacer_owed(&p, t0, 64), 1);
	bench_pacer_account(&p, t0, 1, 1);
	assert_int_equal(bench_pacer_next_deadline(&p), t0 + US);
	assert_int_equal(bench_pacer_owed(&p, t0 + US - 1, 64), 0);
	assert_int_equal(bench_pacer_owed(&p, t0 + 10 * US, 64), 10);
	/* Asking twice without sending gives the same answer. */
	assert_int_equal(bench_pacer_owed(&p, t0 + 10 * US, 64), 10);
	/* The cap. */
	assert_int_equal(bench_pacer_owed(&p, t0 + 100 * US, 16), 16);
	check_account(&p, t0 + 100 * US, 101);
}

/* A rate that is no whole number of ns per packet: totals stay within one packet of rate x time. */
static void
test_long_run_exact(void **state)
{
	const double rate = 1234567.891;
	struct bench_pacer p;
	uint64_t t0 = 123, sent = 0;

	(void)state;
	setup(&p, BENCH_PACER_CONSTANT, rate);
	bench_pacer_start(&p, t0);
	for (uint64_t t = t0; t <= t0 + 10 * S; t += 200 * US + 7)
		sent += drain(&p, t);
	uint64_t end = t0 + 10 * S;

	sent += drain(&p, end);
	/* Packets due in [t0, t0 + 10 s]: floor(10 s x rate) + 1 (one at t0). */
	double expect = floor(10.0 * rate) + 1;

	assert_true(fabs((double)sent - expect) <= 1.0);
	check_account(&p, end, sent);

	/* Same with the TSC at 2.5 GHz as the clock. */
	struct bench_pacer_conf c = {
	    .pattern = BENCH_PACER_CONSTANT, .rate_pps = rate, .hz = 2500000000ull};

	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 0);
	sent = 0;
	for (uint64_t t = 0; t <= 25000000000ull; t += 333333)
		sent += drain(&p, t);
	sent += drain(&p, 25000000000ull);
	assert_true(fabs((double)sent - expect) <= 1.0);
}

/* A limited trial: duration and count, done, no deadline left. */
static void
test_limits(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_conf c = {
	    .pattern = BENCH_PACER_CONSTANT, .rate_pps = 1e6, .duration = 1 * MS};

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 1000);
	assert_int_equal(bench_pacer_total(&p), 1000); /* deadlines t0 .. t0 + 999 us */
	assert_int_equal(drain(&p, 1000 + 10 * MS), 1000);
	assert_true(bench_pacer_done(&p));
	assert_int_equal(bench_pacer_next_deadline(&p), UINT64_MAX);

	c.duration = 0;
	c.count = 77;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 0);
	assert_int_equal(drain(&p, 10 * MS), 77);
	assert_true(bench_pacer_done(&p));
}

/* Bursts of 32 at 1 Mpps: 32 due every 32 us, none in between. */
static void
test_burst(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_conf c = {
	    .pattern = BENCH_PACER_BURST, .rate_pps = 1e6, .burst = 32, .duration = 1 * S};

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 0);
	assert_int_equal(drain(&p, 0), 32);
	assert_int_equal(drain(&p, 32 * US - 1), 0);
	assert_int_equal(bench_pacer_next_deadline(&p), 32 * US);
	assert_int_equal(drain(&p, 32 * US), 32);
	assert_int_equal(drain(&p, 100 * US), 64); /* bursts at 64 and 96 us */
	assert_int_equal(bench_pacer_total(&p), 1000000);
	assert_int_equal(drain(&p, 2 * S), 1000000 - 128);
}

/* 1 Mpps for 100 us, silent for 900 us: 100 packets per ms. */
static void
test_on_off(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_conf c = {.pattern = BENCH_PACER_ON_OFF,
				     .rate_pps = 1e6,
				     .on = 100 * US,
				     .off = 900 * US,
				     .duration = 10 * MS};

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 0);
	assert_int_equal(drain(&p, 50 * US), 51);
	assert_int_equal(drain(&p, 999 * US), 49);
	assert_int_equal(bench_pacer_next_deadline(&p), 1 * MS);
	assert_int_equal(drain(&p, 1 * MS), 1);
	assert_int_equal(bench_pacer_total(&p), 1000);
	assert_int_equal(drain(&p, 20 * MS), 999 - 100);
	assert_true(bench_pacer_done(&p));
}

/*
 * A sender woken every 200 us at 1 Mpps sends 200 back to back per wake: the
 * report says so (sizes in the 128..255 bucket, gaps of exactly 200 us).
 */
static void
test_throttled_pattern_reported(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_stats st;

	(void)state;
	setup(&p, BENCH_PACER_CONSTANT, 1e6);
	bench_pacer_start(&p, 0);
	for (uint64_t t = 200 * US - 1; t < 100 * MS; t += 200 * US) {
		unsigned int n = bench_pacer_owed(&p, t, 4096);

		assert_int_equal(n, 200);
		bench_pacer_account(&p, t, n, n);
	}
	bench_pacer_stats(&p, &st);
	assert_int_equal(st.sends, 500);
	assert_int_equal(st.size_hist[7], 500); /* 2^7 <= 200 < 2^8 */
	assert_int_equal(st.gap_min, 200 * US);
	assert_int_equal(st.gap_max, 200 * US);
	assert_int_equal(st.gap_hist[17], 499); /* 2^17 <= 200000 < 2^18 */
	assert_int_equal(st.late_max, 200 * US - 1);
	assert_int_equal(st.offered, 100000);
	assert_false(bench_pacer_generator_limited(&st));
}

/*
 * Preemption: the clock jumps 10 ms. SEND_LATE sends every owed packet, late,
 * in bursts of the cap; nothing is lost and by the end of the trial the
 * offered count is the intended one.
 */
static void
test_preemption_send_late(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_conf c = {
	    .pattern = BENCH_PACER_CONSTANT, .rate_pps = 1e6, .duration = 20 * MS, .late = 50 * US};
	struct bench_pacer_stats st;
	uint64_t t, sent = 0;
	unsigned int n;

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 0);
	for (t = 0; t < 1 * MS; t += 10 * US)
		sent += drain(&p, t);
	t += 10 * MS; /* preempted */
	n = bench_pacer_owed(&p, t, 32);
	assert_int_equal(n, 32);
	/* Catch up in bursts of 32 within the same instant. */
	while ((n = bench_pacer_owed(&p, t, 32)) > 0) {
		bench_pacer_account(&p, t, n, n);
		sent += n;
	}
	check_account(&p, t, t / US + 1);
	bench_pacer_stats(&p, &st);
	assert_int_equal(st.skipped, 0);
	assert_true(st.late >= 10000 - 60);
	assert_true(st.late_max >= 10 * MS);
	for (; t <= 30 * MS; t += 10 * US)
		sent += drain(&p, t);
	bench_pacer_stats(&p, &st);
	assert_int_equal(sent, 20000);
	assert_int_equal(st.offered, 20000);
	assert_int_equal(st.intended, 20000);
	assert_false(bench_pacer_generator_limited(&st));
}

/* SKIP: packets more than 50 us late when owed are counted skipped, never silently dropped. */
static void
test_preemption_skip(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_conf c = {.pattern = BENCH_PACER_CONSTANT,
				     .rate_pps = 1e6,
				     .duration = 20 * MS,
				     .late = 50 * US,
				     .policy = BENCH_PACER_SKIP};
	struct bench_pacer_stats st;
	uint64_t t, sent = 0;

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 0);
	for (t = 0; t < 1 * MS; t += 10 * US)
		sent += drain(&p, t);
	assert_int_equal(sent, 991);
	t = 11 * MS - 10 * US; /* 10 ms after the last wake */
	/* Deadlines < t - 50 us are skipped: packets 991 .. 10939. */
	sent += drain(&p, t);
	bench_pacer_stats(&p, &st);
	assert_int_equal(st.skipped, (t - 50 * US) / US - 991);
	assert_int_equal(sent + st.skipped, t / US + 1);
	check_account(&p, t, t / US + 1);
	for (; t <= 30 * MS; t += 10 * US)
		sent += drain(&p, t);
	bench_pacer_stats(&p, &st);
	assert_int_equal(st.offered + st.skipped, 20000);
	assert_int_equal(st.intended, 20000);
	assert_true(bench_pacer_generator_limited(&st));
}

/* The device takes half: the rest is counted refused and stays owed. */
static void
test_refusals(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_stats st;

	(void)state;
	setup(&p, BENCH_PACER_CONSTANT, 1e6);
	bench_pacer_start(&p, 0);
	unsigned int n = bench_pacer_owed(&p, 9 * US, 64);

	assert_int_equal(n, 10);
	bench_pacer_account(&p, 9 * US, n, 4);
	assert_int_equal(bench_pacer_owed(&p, 9 * US, 64), 6);
	assert_int_equal(bench_pacer_next_deadline(&p), 4 * US);
	bench_pacer_account(&p, 9 * US, 6, 0);
	assert_int_equal(bench_pacer_owed(&p, 19 * US, 64), 16);
	bench_pacer_account(&p, 19 * US, 16, 16);
	bench_pacer_stats(&p, &st);
	assert_int_equal(st.refused, 12);
	assert_int_equal(st.offered, 20);
	assert_int_equal(st.intended, 20);
	assert_true(bench_pacer_generator_limited(&st));
	/* A device claiming more than it was offered is held to what was offered. */
	bench_pacer_account(&p, 25 * US, 3, 9);
	bench_pacer_stats(&p, &st);
	assert_int_equal(st.offered, 23);
}

/*
 * Poisson at 100 kpps, seed 42: gaps have mean 10 us and variance 100 us^2
 * (exponential), counts in 1 ms windows mean and variance 100 (Poisson).
 * Bounds: 5 standard errors (mean of 1e6 gaps: 0.1%; their variance: 0.28%;
 * the variance of 10000 counts: 1.4%).
 */
static void
test_poisson_statistics(void **state)
{
	struct bench_pacer p;
	struct bench_pacer_conf c = {
	    .pattern = BENCH_PACER_POISSON, .rate_pps = 1e5, .seed = 42, .count = 1000000};
	double sum = 0, sum2 = 0;
	uint64_t prev = 0, n = 0;
	static uint32_t windows[10000 + 10];

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, 0);
	while (!bench_pacer_done(&p)) {
		uint64_t t = bench_pacer_next_deadline(&p);
		unsigned int k = bench_pacer_owed(&p, t, 1);

		assert_int_equal(k, 1);
		bench_pacer_account(&p, t, 1, 1);
		double g = (double)(t - prev);

		sum += g;
		sum2 += g * g;
		prev = t;
		if (t / MS < 10000)
			windows[t / MS]++;
		n++;
	}
	assert_int_equal(n, 1000000);
	double mean = sum / (double)n, var = sum2 / (double)n - mean * mean;

	assert_true(fabs(mean - 10000.0) / 10000.0 < 0.005);
	assert_true(fabs(var - 1e8) / 1e8 < 0.014);
	double cs = 0, cs2 = 0;

	for (int i = 0; i < 9000; i++) {
		cs += windows[i];
		cs2 += (double)windows[i] * windows[i];
	}
	double cm = cs / 9000, cv = cs2 / 9000 - cm * cm;

	assert_true(fabs(cm - 100) / 100 < 0.01);
	assert_true(fabs(cv - 100) / 100 < 0.08);

	/* The same seed gives the same schedule; another seed another one. */
	struct bench_pacer a, b;

	assert_int_equal(bench_pacer_init(&a, &c), 0);
	bench_pacer_start(&a, 0);
	b = a;
	assert_int_equal(bench_pacer_owed(&a, 5 * MS, 4096), bench_pacer_owed(&b, 5 * MS, 4096));
	c.seed = 43;
	assert_int_equal(bench_pacer_init(&b, &c), 0);
	bench_pacer_start(&b, 0);
	assert_true(bench_pacer_next_deadline(&a) != bench_pacer_next_deadline(&b));
}

/* Poisson with a duration, preempted, under SEND_LATE and SKIP: the account balances. */
static void
test_poisson_preempted(void **state)
{
	for (int pol = 0; pol < 2; pol++) {
		struct bench_pacer p;
		struct bench_pacer_conf c = {.pattern = BENCH_PACER_POISSON,
					     .rate_pps = 1e6,
					     .seed = 7,
					     .duration = 20 * MS,
					     .late = 50 * US,
					     .policy = pol};
		struct bench_pacer_stats st;
		uint64_t t, sent = 0;

		(void)state;
		assert_int_equal(bench_pacer_init(&p, &c), 0);
		bench_pacer_start(&p, 0);
		for (t = 0; t < 1 * MS; t += 10 * US)
			sent += drain(&p, t);
		t += 10 * MS;
		sent += drain(&p, t);
		for (; t <= 30 * MS; t += 10 * US)
			sent += drain(&p, t);
		assert_true(bench_pacer_done(&p));
		bench_pacer_stats(&p, &st);
		assert_int_equal(st.offered, sent);
		assert_int_equal(st.offered + st.skipped, st.intended);
		/* About 20000 packets in 20 ms (5 standard deviations: 707). */
		assert_true(fabs((double)st.intended - 20000) < 710);
		if (pol == BENCH_PACER_SKIP)
			assert_true(st.skipped > 9000);
		else
			assert_int_equal(st.skipped, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_refuses),
	    cmocka_unit_test(test_constant_schedule),
	    cmocka_unit_test(test_long_run_exact),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_burst),
	    cmocka_unit_test(test_on_off),
	    cmocka_unit_test(test_throttled_pattern_reported),
	    cmocka_unit_test(test_preemption_send_late),
	    cmocka_unit_test(test_preemption_skip),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_poisson_statistics),
	    cmocka_unit_test(test_poisson_preempted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
