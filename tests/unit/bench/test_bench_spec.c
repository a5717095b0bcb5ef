/* SPDX-License-Identifier: BSD-3-Clause */
/* Option parsers (apps/lcx-bench/spec.h): each accepted form, each refused one. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "sig.h"
#include "spec.h"

static char err[256];

static void
rate_ok(const char *s, enum bench_rate_unit unit, double value, bool l2)
{
	struct bench_rate r;

	err[0] = '\0';
	assert_int_equal(bench_parse_rate(s, &r, err, sizeof(err)), 0);
	assert_int_equal(r.unit, unit);
	assert_true(fabs(r.value - value) <= value * 1e-12);
	assert_int_equal(r.l2, l2);
}

static void
rate_bad(const char *s, const char *msg)
{
	struct bench_rate r;

	err[0] = '\0';
	assert_int_equal(bench_parse_rate(s, &r, err, sizeof(err)), -EINVAL);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", s, err, msg);
}

static void
test_rates(void **state)
{
	(void)state;
	rate_ok("10kpps", BENCH_RATE_PPS, 1e4, false);
	rate_ok("10Kpps", BENCH_RATE_PPS, 1e4, false);
	rate_ok("1.5Mpps", BENCH_RATE_PPS, 1.5e6, false);
	rate_ok("1Gpps", BENCH_RATE_PPS, 1e9, false);
	rate_ok("123pps", BENCH_RATE_PPS, 123, false);
	rate_ok("100Mbps", BENCH_RATE_BPS, 1e8, false);
	rate_ok("10Gbps", BENCH_RATE_BPS, 1e10, false);
	rate_ok("10Gbps:l1", BENCH_RATE_BPS, 1e10, false);
	rate_ok("10Gbps:l2", BENCH_RATE_BPS, 1e10, true);
	rate_ok("50%", BENCH_RATE_PERCENT, 50, false);
	rate_ok("100%", BENCH_RATE_PERCENT, 100, false);
	rate_ok("0.5%", BENCH_RATE_PERCENT, 0.5, false);
	rate_bad("", "empty");
	rate_bad("0pps", "above 0");
	rate_bad("0.0Mbps", "above 0");
	rate_bad("0%", "(0, 100]");
	rate_bad("-5kpps", "positive");
	rate_bad("+5kpps", "expected a number");
	rate_bad("101%", "(0, 100]");
	rate_bad("50%x", "follow");
	rate_bad("10", "unknown unit");
	rate_bad("10mpps", "unknown unit");
	rate_bad("10kpp", "unknown unit");
	rate_bad("10kppsx", "unexpected");
	rate_bad("10kpps:l2", "unexpected");
	rate_bad("10Gbps:l3", "unexpected");
	rate_bad("1e6pps", "unknown unit");
	rate_bad("20Gpps", "above");
	rate_bad("20Tbps", "unknown unit");
	rate_bad("kpps", "expected a number");
	rate_bad(".pps", "expected a number");
}

static void
test_rate_conversion(void **state)
{
	struct bench_rate r;
	double pps;

	(void)state;
	/* 10GbE line rate with 64-byte frames: 1e10 / (84 x 8) = 14880952.38 pps. */
	assert_int_equal(bench_parse_rate("100%", &r, err, sizeof(err)), 0);
	assert_int_equal(bench_rate_pps(&r, 64, 10000000000ull, &pps, err, sizeof(err)), 0);
	assert_true(fabs(pps - 1e10 / 672.0) < 1e-6);
	assert_int_equal(bench_parse_rate("10Gbps", &r, err, sizeof(err)), 0);
	assert_int_equal(bench_rate_pps(&r, 64, 10000000000ull, &pps, err, sizeof(err)), 0);
	assert_true(fabs(pps - 1e10 / 672.0) < 1e-6);
	/* Layer 2: 1 Gbps of 1518-byte frames = 1e9 / (1518 x 8); within a 10G link. */
	assert_int_equal(bench_parse_rate("1Gbps:l2", &r, err, sizeof(err)), 0);
	assert_int_equal(bench_rate_pps(&r, 1518, 10000000000ull, &pps, err, sizeof(err)), 0);
	assert_true(fabs(pps - 1e9 / 12144.0) < 1e-6);
	/* 10 Gbps at layer 2 does not fit a 10G link at layer 1. */
	assert_int_equal(bench_parse_rate("10Gbps:l2", &r, err, sizeof(err)), 0);
	assert_int_equal(bench_rate_pps(&r, 64, 10000000000ull, &pps, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "beyond the link"));
	/* 15 Mpps of 64-byte frames is beyond 10GbE; fine with no link given. */
	assert_int_equal(bench_parse_rate("15Mpps", &r, err, sizeof(err)), 0);
	assert_int_equal(bench_rate_pps(&r, 64, 10000000000ull, &pps, err, sizeof(err)), -EINVAL);
	assert_int_equal(bench_rate_pps(&r, 64, 0, &pps, err, sizeof(err)), 0);
	assert_true(pps == 15e6);
	/* Percent needs a link. */
	assert_int_equal(bench_parse_rate("50%", &r, err, sizeof(err)), 0);
	assert_int_equal(bench_rate_pps(&r, 64, 0, &pps, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "link speed"));
	/* IMIX mean at 1 Gbps: mean = (7x64 + 4x594 + 1518) / 12 = 361.83 bytes. */
	assert_int_equal(bench_parse_rate("1Gbps", &r, err, sizeof(err)), 0);
	assert_int_equal(bench_rate_pps(&r, 4342.0 / 12, 0, &pps, err, sizeof(err)), 0);
	assert_true(fabs(pps - 1e9 / ((4342.0 / 12 + 20) * 8)) < 1e-6);
}

static void
sizes_bad(const char *s, unsigned int min, const char *msg)
{
	struct bench_sizes z;

	err[0] = '\0';
	assert_int_equal(bench_parse_sizes(s, min, &z, err, sizeof(err)), -EINVAL);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", s, err, msg);
}

static void
test_sizes(void **state)
{
	struct bench_sizes z;
	const unsigned int v4 = BENCH_SIG_MIN_FRAME_V4, v6 = BENCH_SIG_MIN_FRAME_V6;

	(void)state;
	assert_int_equal(bench_parse_sizes("64", v4, &z, err, sizeof(err)), 0);
	assert_int_equal(z.kind, BENCH_SIZES_FIXED);
	assert_true(bench_sizes_mean(&z) == 64);
	assert_int_equal(bench_parse_sizes("64-1518", v4, &z, err, sizeof(err)), 0);
	assert_int_equal(z.kind, BENCH_SIZES_RANGE);
	assert_int_equal(z.lo, 64);
	assert_int_equal(z.hi, 1518);
	assert_true(bench_sizes_mean(&z) == 791);
	assert_int_equal(bench_parse_sizes("imix", v4, &z, err, sizeof(err)), 0);
	assert_int_equal(z.kind, BENCH_SIZES_LIST);
	assert_int_equal(z.n, 3);
	assert_int_equal(z.size[1], 594);
	assert_int_equal(z.weight[0], 7);
	assert_true(fabs(bench_sizes_mean(&z) - 4342.0 / 12) < 1e-9);
	assert_int_equal(bench_parse_sizes("128:3,256,1500:2", v4, &z, err, sizeof(err)), 0);
	assert_int_equal(z.n, 3);
	assert_int_equal(z.weight[1], 1);
	assert_int_equal(z.lo, 128);
	assert_int_equal(z.hi, 1500);
	assert_true(fabs(bench_sizes_mean(&z) - (384.0 + 256 + 3000) / 6) < 1e-9);
	assert_int_equal(bench_parse_sizes("84", v6, &z, err, sizeof(err)), 0);

	sizes_bad("", v4, "empty");
	sizes_bad("63", v4, "not in [64,");
	sizes_bad("64", v6, "not in [84,");
	sizes_bad("imix", v6, "not in [84,");
	sizes_bad("9217", v4, "not in");
	sizes_bad("1518-64", v4, "1518 > 64");
	sizes_bad("64-", v4, "expected A-B");
	sizes_bad("64-1518-9000", v4, "expected A-B");
	sizes_bad("64:0,128", v4, "weight 0");
	sizes_bad("64:,128", v4, "weight after");
	sizes_bad("64:7,594:4,", v4, "expected S[:W]");
	sizes_bad("64,,128", v4, "expected S[:W]");
	sizes_bad("64;128", v4, "unexpected ';'");
	sizes_bad("64,64", v4, "twice");
	sizes_bad("IMIX", v4, "expected N");
	sizes_bad("-64", v4, "expected N");
	sizes_bad("64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80", v4, "more than 16");
	sizes_bad("99999999999", v4, "expected N");
}

static void
flow_bad(const char *s, const char *msg)
{
	struct bench_flow f;

	err[0] = '\0';
	assert_int_equal(bench_parse_flow(s, &f, err, sizeof(err)), -EINVAL);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", s, err, msg);
}

static void
test_flows(void **state)
{
	struct bench_flow f;

	(void)state;
	assert_int_equal(bench_parse_flow("src=198.18.0.1,dst=198.19.0.1", &f, err, sizeof(err)),
			 0);
	assert_int_equal(f.family, AF_INET);
	assert_int_equal(f.src.count, 1);
	assert_int_equal(f.sport_lo, 9);
	assert_int_equal(f.dport_hi, 9);
	assert_int_equal(f.vary, BENCH_FLOW_INC);
	assert_int_equal(bench_flow_count(&f), 1);
	assert_int_equal(bench_parse_flow("src=198.18.0.1-198.18.0.100,dst=198.19.0.1-198.19.1.0,"
					  "sport=1024-2047,dport=4789,vary=rand",
					  &f, err, sizeof(err)),
			 0);
	assert_int_equal(f.src.count, 100);
	assert_int_equal(f.dst.count, 256);
	assert_int_equal(f.src.lo[3], 1);
	assert_int_equal(f.src.hi[3], 100);
	assert_int_equal(f.sport_lo, 1024);
	assert_int_equal(f.sport_hi, 2047);
	assert_int_equal(f.dport_lo, 4789);
	assert_int_equal(f.vary, BENCH_FLOW_RAND);
	assert_int_equal(bench_flow_count(&f), 100ull * 256 * 1024);
	assert_int_equal(bench_parse_flow("dst=2001:db8::1,src=2001:db8::1:0-2001:db8::1:ffff", &f,
					  err, sizeof(err)),
			 0);
	assert_int_equal(f.family, AF_INET6);
	assert_int_equal(f.src.count, 65536);
	assert_int_equal(bench_parse_flow("src=::1-::ffff:ffff,dst=::2", &f, err, sizeof(err)), 0);
	assert_int_equal(f.src.count, 0xffffffffull);

	flow_bad("", "empty");
	flow_bad("src=198.18.0.1", "required");
	flow_bad("src=198.18.0.1,dst=2001:db8::1", "IPv4 but dst is IPv6");
	flow_bad("src=198.18.0.1-2001:db8::1,dst=198.19.0.1", "from IPv4 to IPv6");
	flow_bad("src=198.18.0.9-198.18.0.1,dst=198.19.0.1", "ends before it starts");
	flow_bad("src=198.18.0.256,dst=198.19.0.1", "not an IPv4 or IPv6");
	flow_bad("src=::-::1:0:0,dst=::1", "more than 2^32");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,sport=0", "1..65535");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,sport=65536", "1..65535");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,dport=20-10", "P <= Q");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,dport=10-", "not a port");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,dport=x", "not a port");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,vary=up", "inc or rand");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,proto=udp", "unknown key");
	flow_bad("src=198.18.0.1,src=198.18.0.2,dst=198.19.0.1", "twice");
	flow_bad("src=198.18.0.1,dst=198.19.0.1,", "ends with");
	flow_bad("src=198.18.0.1,,dst=198.19.0.1", "not key=value");
	flow_bad("src,dst=198.19.0.1", "not key=value");
	flow_bad("src=,dst=198.19.0.1", "no value");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rates),
	    cmocka_unit_test(test_rate_conversion),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
