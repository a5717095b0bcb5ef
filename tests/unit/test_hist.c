/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lcx_private.h"

static void
test_small_values_exact(void **state)
{
	static struct lcx_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(lcx__hist_quantile(&h, 0.5), 0);
	for (uint64_t v = 0; v < 16; v++)
		lcx__hist_add(&h, v);
	assert_int_equal(lcx__hist_quantile(&h, 1.0), 15);
	assert_int_equal(lcx__hist_quantile(&h, 0.5), 7);
	assert_int_equal(h.max, 15);
}

/* Quantiles are upper bounds within 1/16 of the true value. */
static void
test_quantiles_within_resolution(void **state)
{
	static struct lcx_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (uint64_t v = 1; v <= 100000; v++)
		lcx__hist_add(&h, v * 1000);
	uint64_t p50 = lcx__hist_quantile(&h, 0.50);
	uint64_t p99 = lcx__hist_quantile(&h, 0.99);

	assert_true(p50 >= 50000000ull && p50 <= 50000000ull + 50000000ull / 16);
	assert_true(p99 >= 99000000ull && p99 <= 99000000ull + 99000000ull / 16);
	assert_int_equal(lcx__hist_quantile(&h, 1.0), 100000000ull);
}

static void
test_huge_value(void **state)
{
	static struct lcx_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	lcx__hist_add(&h, UINT64_MAX);
	assert_int_equal(lcx__hist_quantile(&h, 0.99), UINT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_quantiles_within_resolution),
		cmocka_unit_test(test_huge_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
