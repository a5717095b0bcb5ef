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
	/* Escapes are JSON's (jansson): "st\u0061ts" is "stats" (refused before). */
	assert_int_equal(parse("{\"cmd\":\"st\\u0061ts\"}", &r), 0);
	assert_int_equal(r.cmd, INGEST_CTL_STATS);
	assert_int_equal(parse("{\"cmd\":\"flows\",\"n\":1000}", &r), 0);
	assert_int_equal(r.n, 1000);
	assert_int_equal(parse("{\"cmd\":\"flows\",\"n\":1}", &r), 0);
	assert_int_equal(r.n, 1);
	/* Only len bytes are read. */
	assert_int_equal(ingest_ctl_parse("{\"cmd\":\"stop\"}x", 14, &r, &(const char *){NULL}), 0);
	assert_int_equal(r.cmd, INGEST_CTL_STOP);
}

/* The message of a refused request contains want. */
static void
says(const char *s, const char *want)
{
	struct ingest_ctl_req r;
	const char *err = NULL;

	if (ingest_ctl_parse(s, (uint32_t)strlen(s), &r, &err) != -EINVAL)
		fail_msg("accepted: %s", s);
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error '%s' does not say '%s'", s, err, want);
}

static void
test_messages(void **state)
{
	(void)state;
	says("{\"cmd\":\"stats\"} x", "trailing");
	says("{\"cmd\":\"stats\",\"cmd\":\"stop\"}", "duplicate");
	says("[\"stats\"]", "must be a JSON object");
	says("{\"cmd\"", "bad JSON");
	says("{}", "missing \"cmd\"");
	says("{\"cmd\":1}", "\"cmd\" must be a string");
	says("{\"cmd\":\"nope\"}", "unknown cmd");
	says("{\"cmd\":\"stats\",\"x\":1}", "unknown key");
	says("{\"cmd\":\"stats\",\"n\":5}", "flows only");
	says("{\"cmd\":\"flows\",\"n\":5.0}", "1 to 1000");
	says("{\"cmd\":\"flows\",\"n\":-0}", "-0");
	says("{\"cmd\":\"\xff\"}", "UTF-8");
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
		/* What jansson alone would accept or read otherwise. */
		"{\"cmd\":\"flows\",\"n\":-0}", "{\"cmd\":\"flows\",\"n\":1e-400}",
		"{\"cmd\":\"flows\",\"n\":10.0}", "{\"cmd\":\"flows\",\"n\":9223372036854775808}",
		"{\"cmd\":\"flows\",\"n\":18446744073709551626}",
		"{\"cmd\":\"flows\",\"n\":5,\"n\":5}", "{\"cmd\":\"stats\",\"x\":{\"y\":1,\"y\":2}}",
		"{\"cmd\":\"stats\\u0000\"}", "{\"cmd\":\"\xc0\xaf\"}", "{\"cmd\":\"\\ud83d\"}",
		"{\"cmd\":null}", "{\"cmd\":[\"stats\"]}", "{\"cmd\":{\"stats\":1}}",
		"{\"cmd\":\"flows\",\"n\":true}", "{\"cmd\":\"flows\",\"n\":[5]}",
		"{\"cmd\":\"Stats\"}", "{\"cmd\":\"stats \"}", "{\"cmd\":\"\"}", " ", "\"stats\"",
		"{\"cmd\":\"stats\"}\n{\"cmd\":\"stop\"}", "{\"cmd\":\"stats\"} \xff",
		"{\"cmd\":\"stats\",\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8}",
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
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_rotate_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
