/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the lcx-ingest control protocol and option parsers (no EAL). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_proto.h"
#include "rotate.h"

static int
parse(const char *s, struct ingest_ctl_req *r)
{
	const char *err = NULL;
	int ret = ingest_ctl_parse(s, (uint32_t)strlen(s), r, &err);

	if (ret < 0)
		assert_non_null(err);
	return ret;
}

static void
test_requests(void **state)
{
	struct ingest_ctl_req r;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"stats\"}", &r), 0);
	assert_int_equal(r.cmd, INGEST_CTL_STATS);
	assert_int_equal(parse(" { \"cmd\" : \"flows\" , \"n\" : 25 } \r", &r), 0);
	assert_int_equal(r.cmd, INGEST_CTL_FLOWS);
	assert_int_equal(r.n, 25);
	assert_int_equal(parse("{\"cmd\":\"flows\"}", &r), 0);
	assert_int_equal(r.n, 10);
	assert_int_equal(parse("{\"n\":3,\"cmd\":\"flows\"}", &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(parse("{\"cmd\":\"rotate\"}", &r), 0);
	assert_int_equal(r.cmd, INGEST_CTL_ROTATE);
	assert_int_equal(parse("{\"cmd\":\"stop\"}", &r), 0);
	assert_int_equal(r.cmd, INGEST_CTL_STOP);
	assert_int_equal(parse("{\"cmd\":\"help\"}", &r), 0);
	assert_int_equal(r.cmd, INGEST_CTL_HELP);
}

static void
test_bad_requests(void **state)
{
	static const char *const bad[] = {
		"", "stats", "{", "}", "{}", "{\"cmd\"}", "{\"cmd\":stats}", "{\"cmd\":\"nope\"}",
		"{\"cmd\":\"stats\",}", "{\"cmd\":\"stats\"} x", "{\"cmd\":\"stats\",\"x\":1}",
		"{\"cmd\":\"flows\",\"n\":0}", "{\"cmd\":\"flows\",\"n\":1001}",
		"{\"cmd\":\"flows\",\"n\":-1}", "{\"cmd\":\"flows\",\"n\":\"5\"}",
		"{\"cmd\":\"stats\",\"n\":5}", "{\"cmd\":\"help\",\"n\":5}",
		"{\"cmd\":\"stats\",\"cmd\":\"stop\"}",
		"{\"cmd\":\"st\\\"ats\"}", "{\"cmd\":\"flows\",\"n\":99999999999999999999}",
		"[\"stats\"]", "{\"cmd\":\"stats\"}{\"cmd\":\"stop\"}",
		/* JSON has no leading zeros (RFC 8259, 6): 05 is not a number. */
		"{\"cmd\":\"flows\",\"n\":05}", "{\"cmd\":\"flows\",\"n\":00}",
		"{\"cmd\":\"flows\",\"n\":010}", "{\"cmd\":\"flows\",\"n\":5.0}",
		"{\"cmd\":\"flows\",\"n\":5e1}",
	};
	struct ingest_ctl_req r;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &r) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
}

static void
test_rotate_policy(void **state)
{
	struct ingest_rotate r = {.max_bytes = 1000};
	char buf[64];

	(void)state;
	assert_true(ingest_rotate_enabled(&r));
	assert_false(ingest_rotate_due(&r, 5000, 0)); /* empty file: never for size */
	r.bytes = 600;
	assert_false(ingest_rotate_due(&r, 400, 0));
	assert_true(ingest_rotate_due(&r, 401, 0));
	r = (struct ingest_rotate){.max_ns = 10, .opened_ns = 100};
	assert_false(ingest_rotate_due(&r, 1, 109));
	assert_true(ingest_rotate_due(&r, 1, 110));
	r = (struct ingest_rotate){0};
	assert_false(ingest_rotate_enabled(&r));
	assert_false(ingest_rotate_due(&r, 1ull << 40, 1ull << 60));

	assert_int_equal(ingest_rotate_name("cap.pcapng", false, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cap.pcapng");
	assert_int_equal(ingest_rotate_name("cap.pcapng", true, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cap-00003.pcapng");
	assert_int_equal(ingest_rotate_name("/a.b/cap", true, 12, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/a.b/cap-00012");
	assert_int_equal(ingest_rotate_name("d/.hidden", true, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "d/.hidden-00001");
	assert_int_equal(ingest_rotate_name("x.pcapng", true, 1, buf, 8), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_rotate_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
