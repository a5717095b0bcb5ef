/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <lcx/clock.h>

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
test_manual_clock(void **state)
{
	struct lcx_manual_clock mc;

	(void)state;
	lcx_manual_clock_init(&mc, 1000);
	assert_int_equal(mc.clock.now_ns(mc.clock.arg), 1000);
	lcx_manual_clock_advance(&mc, 500);
	assert_int_equal(mc.clock.now_ns(mc.clock.arg), 1500);
	lcx_manual_clock_set(&mc, 9000);
	assert_int_equal(mc.clock.now_ns(mc.clock.arg), 9000);
}

/* The TSC clock is monotonic and agrees with CLOCK_MONOTONIC within 1%. */
static void
test_tsc_tracks_monotonic(void **state)
{
	(void)state;
	assert_true(lcx_tsc_hz() > 100000000ull);
	uint64_t t0 = lcx_tsc_ns(), m0 = mono_ns();
	uint64_t prev = t0;

	for (int i = 0; i < 100000; i++) {
		uint64_t t = lcx_tsc_ns();

		assert_true(t >= prev);
		prev = t;
	}
	struct timespec d = { .tv_sec = 0, .tv_nsec = 50 * 1000 * 1000 };

	nanosleep(&d, NULL);
	uint64_t t1 = lcx_tsc_ns(), m1 = mono_ns();
	double ratio = (double)(t1 - t0) / (double)(m1 - m0);

	assert_true(ratio > 0.99 && ratio < 1.01);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manual_clock),
		cmocka_unit_test(test_tsc_tracks_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
