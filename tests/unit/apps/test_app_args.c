/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' grammar of option values (apps/common/args.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "args.h"

static void
test_integers(void **state)
{
	static const char *const bad[] = {
		"", "0x10", "0X10", "+5", "-1", " 5", "5 ", "5k", "1.5", "1e3", "five", "0b1", "5\n",
	};
	uint64_t v = 0;

	(void)state;
	assert_int_equal(app_parse_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(app_parse_u64("010", 0, 100, &v), 0); /* decimal, not octal */
	assert_int_equal(v, 10);
	assert_int_equal(app_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(app_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(app_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(app_parse_u64("11", 0, 10, &v), -ERANGE);
	assert_int_equal(app_parse_u64("4", 5, 10, &v), -ERANGE);
	assert_int_equal(app_parse_u64(NULL, 0, 10, &v), -EINVAL);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (app_parse_u64(bad[i], 0, UINT64_MAX, &v) != -EINVAL)
			fail_msg("accepted integer '%s'", bad[i]);
		assert_int_equal(v, 12345); /* untouched on failure */
	}
}

static void
test_durations(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} good[] = {
		{ "5", 5000000000ull },      { "1.5", 1500000000ull },   { "2s", 2000000000ull },
		{ "500ms", 500000000ull },   { "250us", 250000ull },     { "1m", 60000000000ull },
		{ "20ms", 20000000ull },     { "7us", 7000ull },         { "3ns", 3ull },
		{ "2m", 120000000000ull },   { "1h", 3600000000000ull }, { "0", 0 },
		{ "0.25", 250000000ull },    { "1.5ms", 1500000ull },    { "0.5m", 30000000000ull },
		{ "1.5ns", 1ull },           { "0.001", 1000000ull },    { "0ms", 0 },
		{ "00.5", 500000000ull },    { "1.0000000000000000001", 1000000000ull },
		/* the largest: 2^64-1 ns */
		{ "18446744073709551615ns", UINT64_MAX }, { "18446744073.709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "ms", "s", "1x", ".5", "1.", "1..5", "1.5.5", "0x10", "0x10s", "+1", "-1", "-0.5",
		" 1", "1 ", "1 s", "1S", "1Ms", "1e3", "1e3ms", "inf", "nan", "1,5", "5sec", "1.5h2",
		"1.00000000000000000000", /* 20 fraction digits */
	};
	uint64_t v;

	(void)state;
	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (app_parse_duration(good[i].s, &v) != 0 || v != good[i].ns)
			fail_msg("'%s': %llu, expected %llu", good[i].s, (unsigned long long)v,
				 (unsigned long long)good[i].ns);
	}
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (app_parse_duration(bad[i], &v) != -EINVAL)
			fail_msg("accepted duration '%s'", bad[i]);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(app_parse_duration("18446744073709551616ns", &v), -ERANGE);
	assert_int_equal(app_parse_duration("18446744074", &v), -ERANGE);
	assert_int_equal(app_parse_duration("18446744073.709551616", &v), -ERANGE);
	assert_int_equal(app_parse_duration("5124096h", &v), -ERANGE);
	assert_int_equal(app_parse_duration("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(app_parse_duration(NULL, &v), -EINVAL);
}

static void
test_sizes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "10", 10 },	   { "0", 0 },		 { "4k", 4096 },	  { "64K", 65536 },
		{ "1M", 1ull << 20 }, { "100M", 100ull << 20 }, { "1G", 1ull << 30 }, { "2G", 2ull << 30 },
		{ "17179869183G", 17179869183ull << 30 },
	};
	static const char *const bad[] = {
		"", "k", "2T", "-1", "+1", "0x10", "1.5M", "64kB", "1m", "1g", " 1", "1 ", "1 M", "1KK",
	};
	uint64_t v;

	(void)state;
	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (app_parse_size(good[i].s, &v) != 0 || v != good[i].v)
			fail_msg("'%s': %llu, expected %llu", good[i].s, (unsigned long long)v,
				 (unsigned long long)good[i].v);
	}
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (app_parse_size(bad[i], &v) != -EINVAL)
			fail_msg("accepted size '%s'", bad[i]);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(app_parse_size("17179869184G", &v), -ERANGE);
	assert_int_equal(app_parse_size("99999999999999999999G", &v), -ERANGE);
	assert_int_equal(app_parse_size("18446744073709551616", &v), -ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
