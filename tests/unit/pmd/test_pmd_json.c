/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control sockets' request reader (apps/common/jreq.c, on jansson; lcx-pmd
 * and lcx-ingest use it): what strict JSON accepts, what it refuses, and that
 * random and mutated input never crashes it (run under ASan/UBSan in the
 * sanitizer build). The cases are those of the hand-written parser it replaced
 * (apps/lcx-pmd/json.c), plus what jansson alone would let through.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jreq.h"

/* lcx-pmd's and lcx-ingest's limit. */
#define MEMBERS_MAX 8

static char err[APP_JREQ_ERR_MAX];

/* Parse s; on success *o is the object (json_decref it), on failure err says why. */
static int
parse_len(const char *s, size_t len, json_t **o)
{
	int ret;

	memset(err, 0, sizeof(err));
	ret = app_jreq_parse(s, len, MEMBERS_MAX, o, err);
	if (ret == 0) {
		assert_non_null(*o);
		assert_true(json_is_object(*o));
	} else {
		assert_int_equal(ret, -EINVAL);
		assert_null(*o);
		assert_true(err[0] != '\0');
	}
	return ret;
}

static int
parse(const char *s, json_t **o)
{
	return parse_len(s, strlen(s), o);
}

static void
accepts(const char *s)
{
	json_t *o;

	if (parse(s, &o) != 0)
		fail_msg("refused %s: %s", s, err);
	json_decref(o);
}

static void
refuses_len(const char *s, size_t len, const char *why)
{
	json_t *o;

	if (parse_len(s, len, &o) == 0) {
		json_decref(o);
		fail_msg("accepted %s", s);
	}
	if (why != NULL && strstr(err, why) == NULL)
		fail_msg("%s: error '%s' does not say '%s'", s, err, why);
}

static void
refuses(const char *s, const char *why)
{
	refuses_len(s, strlen(s), why);
}

static void
test_requests(void **state)
{
	json_t *o;
	const json_t *m;
	uint64_t v;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"stats\"}", &o), 0);
	assert_int_equal(json_object_size(o), 1);
	m = json_object_get(o, "cmd");
	assert_non_null(m);
	assert_true(json_is_string(m));
	assert_string_equal(json_string_value(m), "stats");
	json_decref(o);

	assert_int_equal(parse(" \t{ \"cmd\" : \"set\" ,\r\n\"throttle_us\":1000 } \n", &o), 0);
	assert_int_equal(json_object_size(o), 2);
	m = json_object_get(o, "throttle_us");
	assert_non_null(m);
	assert_true(json_is_integer(m));
	assert_int_equal(app_jreq_uint(m, 1000000, &v), 0);
	assert_int_equal(v, 1000);
	assert_null(json_object_get(o, "throttle"));
	assert_null(json_object_get(o, "throttle_us_"));
	json_decref(o);
	/* The buffer need not end with a NUL: only len bytes are read. */
	assert_int_equal(parse_len("{\"cmd\":\"stop\"}garbage", 14, &o), 0);
	assert_string_equal(json_string_value(json_object_get(o, "cmd")), "stop");
	json_decref(o);
}

/*
 * {"v":num} through the reader and app_jreq_uint(): *ret is -1 when either
 * refuses it (a number jansson cannot hold is refused by the reader).
 */
static uint64_t
uint_of(const char *num, uint64_t max, int *ret)
{
	char buf[128];
	json_t *o;
	uint64_t v = 0xdead;

	snprintf(buf, sizeof(buf), "{\"v\":%s}", num);
	if (parse(buf, &o) < 0) {
		*ret = -1;
		return v;
	}
	*ret = app_jreq_uint(json_object_get(o, "v"), max, &v) < 0 ? -1 : 0;
	json_decref(o);
	return v;
}

static void
test_uint(void **state)
{
	int ret;

	(void)state;
	assert_int_equal(uint_of("0", 1000000, &ret), 0);
	assert_int_equal(ret, 0);
	assert_int_equal(uint_of("1000000", 1000000, &ret), 1000000);
	assert_int_equal(ret, 0);
	uint_of("1000001", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("-1", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("-0", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("1.5", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("1.0", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("1e3", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("\"100\"", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("true", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("null", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("99999999999999999999999999", ~0ull, &ret);
	assert_int_equal(ret, -1);
	/* jansson's integers are 64-bit signed: 2^63-1 is the largest (it was 2^64-1). */
	assert_true(uint_of("9223372036854775807", ~0ull, &ret) == 9223372036854775807ull);
	assert_int_equal(ret, 0);
	uint_of("9223372036854775808", ~0ull, &ret);
	assert_int_equal(ret, -1);
	uint_of("18446744073709551615", ~0ull, &ret);
	assert_int_equal(ret, -1);
	uint_of("18446744073709551616", ~0ull, &ret);
	assert_int_equal(ret, -1);
	/* What jansson would let through: -0 reads as 0, 1e-400 as 0.0. */
	uint_of("-0", 0, &ret);
	assert_int_equal(ret, -1);
	uint_of("1e-400", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("0.0", 1000000, &ret);
	assert_int_equal(ret, -1);
	uint_of("-9223372036854775808", ~0ull, &ret);
	assert_int_equal(ret, -1);
	/* The error codes. */
	uint64_t v = 7;

	assert_int_equal(app_jreq_uint(NULL, 10, &v), -EINVAL);
	json_t *j = json_integer(-1);

	assert_int_equal(app_jreq_uint(j, 10, &v), -ERANGE);
	json_integer_set(j, 11);
	assert_int_equal(app_jreq_uint(j, 10, &v), -ERANGE);
	assert_int_equal(v, 7);
	json_integer_set(j, 10);
	assert_int_equal(app_jreq_uint(j, 10, &v), 0);
	assert_int_equal(v, 10);
	json_decref(j);
	j = json_real(1.0);
	assert_int_equal(app_jreq_uint(j, 10, &v), -EINVAL);
	json_decref(j);
}

static void
test_grammar(void **state)
{
	(void)state;
	accepts("{}");
	accepts("{\"a\":[1,2,{\"b\":[]}],\"c\":{\"d\":null},\"e\":true,\"f\":false}");
	accepts("{\"n\":-0.5e+10,\"m\":0,\"k\":1E-3,\"j\":-12.25}");
	accepts("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}");
	accepts("{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");

	refuses("", "empty");
	refuses("   ", "empty");
	refuses("{", "bad JSON");
	refuses("}", "bad JSON");
	refuses("{\"cmd\"}", "bad JSON");
	refuses("{\"cmd\":}", "bad JSON");
	refuses("{\"cmd\":\"stats\",}", "bad JSON");
	refuses("{\"cmd\":\"stats\"} x", "trailing");
	refuses("{\"cmd\":\"stats\"}{}", "trailing");
	refuses("{cmd:\"stats\"}", "bad JSON");
	refuses("{'cmd':'stats'}", "bad JSON");
	refuses("[1,2]", "object");
	refuses("\"stats\"", "object");
	refuses("42", "object");
	refuses("nul", "bad JSON");
	refuses("{\"a\":tru}", "bad JSON");
	refuses("{\"a\":01}", "bad JSON");
	refuses("{\"a\":1.}", "bad JSON");
	refuses("{\"a\":.5}", "bad JSON");
	refuses("{\"a\":-}", "bad JSON");
	refuses("{\"a\":1e}", "bad JSON");
	refuses("{\"a\":+1}", "bad JSON");
	refuses("{\"a\":[1,]}", "bad JSON");
	refuses("{\"a\":[1 2]}", "bad JSON");
	refuses("{\"a\":\"\x01\"}", "control character");
	refuses("{\"a\":\"tab\there\"}", "control character");
	refuses("{\"a\":\"\\x\"}", "escape");
	refuses("{\"a\":\"\\u12\"}", "escape");
	/* Lone and unpaired surrogates: jansson says "invalid Unicode '\uD83D'". */
	refuses("{\"a\":\"\\ud83d\"}", "Unicode");
	refuses("{\"a\":\"\\ude00\"}", "Unicode");
	refuses("{\"a\":\"\\ud83d\\u0041\"}", "Unicode");
	refuses("{\"a\":\"unterminated}", "bad JSON");
	refuses("{\"a\":\"\xff\"}", "UTF-8");
	refuses("{\"a\":\"\xc0\xaf\"}", "UTF-8");       /* overlong */
	refuses("{\"a\":\"\xed\xa0\x80\"}", "UTF-8");   /* encoded surrogate */
	refuses("{\"a\":\"\xf4\x90\x80\x80\"}", "UTF-8"); /* past U+10FFFF */
	refuses("{\"a\":\"\xe2\x82\"}", "UTF-8");       /* cut short */
	refuses("{\"a\":1,\"a\":2}", "duplicate");
	refuses("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9}",
		"too many");
	refuses("// comment\n{}", "bad JSON");

	/* What jansson alone accepts, or reads otherwise, and the reader refuses. */
	refuses("{\"a\":-0}", "-0");
	refuses("{\"a\":[1,{\"b\":-0}]}", "-0");
	refuses("-0", "bad JSON");
	refuses("{\"a\":{\"b\":1,\"b\":2}}", "duplicate"); /* nested too */
	refuses("{\"a\":[\"\\u0000\"]}", "\\u0000");
	refuses("{\"a\\u0000\":1}", "\\u0000");
	refuses_len("{\"a\":\"x\0y\"}", 11, "NUL");
	refuses_len("{\"a\":1}\0", 8, "NUL");
	refuses_len("\0{\"a\":1}", 8, "NUL");
	refuses("{\"a\":99999999999999999999}", "bad JSON"); /* past 2^63-1 */
	refuses("{\"a\":[-9223372036854775809]}", "bad JSON");
	refuses("{\"a\":1e400}", "bad JSON");                /* past a double */
	refuses("{\"a\":1} \xff", "UTF-8");                 /* after the object too */
	refuses("{\"a\":1}\n\n{\"b\":2}", "trailing");
	refuses("{\"a\":1} // comment", "trailing");
	refuses("\xef\xbb\xbf{}", "bad JSON");              /* a BOM is not JSON text here */
	refuses("{\"a\":NaN}", "bad JSON");
	refuses("{\"a\":Infinity}", "bad JSON");
	refuses("{\"a\":0x10}", "bad JSON");
	refuses("{\"a\":\"\\U0041\"}", "escape");
	refuses("{\"a\":True}", "bad JSON");
	refuses("{\"a\":1}\x1a", "trailing");
	refuses("\f{}", "bad JSON");                          /* not JSON white space */
	/* -0 only as a number: in strings (escaped quotes too), and as a real, it stays. */
	accepts("{\"a\":\"-0\",\"b\":\"\\\"-0\",\"c\":\"\\\\\",\"d\":-0.0,\"e\":-0e1,\"f\":-10}");
	accepts("{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":1e308}");
}

/* {"a": followed by levels-1 arrays: levels levels of nesting in all. */
static char *
nested(int levels)
{
	char *buf = malloc((size_t)levels * 2 + 8);
	size_t n = 0;

	assert_non_null(buf);
	memcpy(buf, "{\"a\":", 5);
	n += 5;
	for (int i = 0; i < levels - 1; i++)
		buf[n++] = '[';
	for (int i = 0; i < levels - 1; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	return buf;
}

static void
test_depth(void **state)
{
	char *buf;

	(void)state;
	/* APP_JREQ_DEPTH_MAX levels in all are fine; one more is refused. */
	buf = nested(APP_JREQ_DEPTH_MAX);
	accepts(buf);
	free(buf);
	buf = nested(APP_JREQ_DEPTH_MAX + 1);
	refuses(buf, "deep");
	free(buf);
	/* Past jansson's own limit (2048) too, and objects count as arrays do. */
	buf = nested(5000);
	refuses(buf, "deep");
	free(buf);
	refuses("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
		"{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
		"{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}}}}"
		"}}}}}}}}}}}}}}}}}}}}}",
		"deep");
}

static void
test_keys(void **state)
{
	json_t *o;
	char buf[256];

	(void)state;
	/* A key with an escaped NUL is not "cmd": it is refused outright now. */
	refuses("{\"cmd\\u0000\":\"stats\"}", "\\u0000");
	/* Escapes decode: "c\u006dd" is "cmd". */
	assert_int_equal(parse("{\"c\\u006dd\":\"st\\u0061ts\"}", &o), 0);
	assert_non_null(json_object_get(o, "cmd"));
	assert_string_equal(json_string_value(json_object_get(o, "cmd")), "stats");
	json_decref(o);
	/* A long key is kept whole: it matches no shorter name. */
	snprintf(buf, sizeof(buf), "{\"%0100d\":1}", 0);
	assert_int_equal(parse(buf, &o), 0);
	assert_int_equal(json_object_size(o), 1);
	assert_null(json_object_get(o, "0000000000000000000000000000000"));
	buf[102] = '\0';
	assert_non_null(json_object_get(o, buf + 2));
	json_decref(o);
	/* A long string value likewise. */
	snprintf(buf, sizeof(buf), "{\"cmd\":\"%0150d\"}", 0);
	assert_int_equal(parse(buf, &o), 0);
	assert_int_equal(json_string_length(json_object_get(o, "cmd")), 150);
	json_decref(o);
	/* The members limit: 8 distinct keys are fine, 9 are not. */
	accepts("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8}");
}

/* The command envelope the control sockets share (app_jreq_command). */
static bool
set_takes_n(const char *cmd, const char *key)
{
	return strcmp(cmd, "set") == 0 && strcmp(key, "n") == 0;
}

static int
command(const char *req, bool (*key_ok)(const char *, const char *), json_t **o,
	const char **name, char err[APP_JREQ_ERR_MAX])
{
	*o = NULL;
	err[0] = '\0';
	return app_jreq_command(req, strlen(req), 8, key_ok, o, name, err);
}

static void
test_command(void **state)
{
	char err[APP_JREQ_ERR_MAX], buf[256];
	const char *name;
	json_t *o;

	(void)state;
	/* Blank lines are no request, and no reply. */
	assert_int_equal(command("", NULL, &o, &name, err), 0);
	assert_int_equal(command(" \t \r", NULL, &o, &name, err), 0);
	assert_null(o);
	/* A request, blanks and a CR around it. */
	assert_int_equal(command("  {\"cmd\":\"stats\"}\r", NULL, &o, &name, err), 1);
	assert_string_equal(name, "stats");
	json_decref(o);
	/* The parser's refusals come through. */
	assert_int_equal(command("{", NULL, &o, &name, err), -EINVAL);
	assert_non_null(strstr(err, "bad JSON"));
	assert_int_equal(command("{\"n\":1}", NULL, &o, &name, err), -EINVAL);
	assert_string_equal(err, "missing \"cmd\"");
	assert_int_equal(command("{\"cmd\":42}", NULL, &o, &name, err), -EINVAL);
	assert_string_equal(err, "\"cmd\" must be a string");
	/* Keys beyond "cmd": only those key_ok takes, for its command. */
	assert_int_equal(command("{\"cmd\":\"set\",\"n\":1}", NULL, &o, &name, err), -EINVAL);
	assert_string_equal(err, "unknown key \"n\" for \"set\"");
	assert_int_equal(command("{\"cmd\":\"stats\",\"n\":1}", set_takes_n, &o, &name, err),
			 -EINVAL);
	assert_string_equal(err, "unknown key \"n\" for \"stats\"");
	assert_int_equal(command("{\"cmd\":\"set\",\"n\":1}", set_takes_n, &o, &name, err), 1);
	assert_string_equal(name, "set");
	assert_int_equal(json_integer_value(json_object_get(o, "n")), 1);
	json_decref(o);
	/* A long key is cut at 40 bytes, and says so. */
	snprintf(buf, sizeof(buf), "{\"cmd\":\"stats\",\"%050d\":1}", 0);
	assert_int_equal(command(buf, NULL, &o, &name, err), -EINVAL);
	assert_string_equal(err, "unknown key \"0000000000000000000000000000000000000000...\" "
				 "for \"stats\"");
}

/* Random bytes and mutations of valid requests: never a crash, never a read past len. */
static void
test_garbage(void **state)
{
	static const char *const seeds[] = {
		"{\"cmd\":\"stats\"}",
		"{\"cmd\":\"set\",\"throttle_us\":1000}",
		"{\"a\":[1,{\"b\":\"\\ud83d\\ude00\"}],\"c\":-1.5e3}",
	};
	static const char alphabet[] = "{}[]\",:\\u0123456789eE+-.tfnrl \t\n\xc3\xa9\xed\xff";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	json_t *o;

	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		char buf[96];
		size_t len;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (iter & 1) {
			const char *s = seeds[x % 3];

			len = strlen(s);
			memcpy(buf, s, len);
			for (int k = 0; k < 1 + (int)(x >> 60); k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				buf[x % len] = alphabet[(x >> 20) % (sizeof(alphabet) - 1)];
			}
		} else {
			len = x % sizeof(buf);
			for (size_t k = 0; k < len; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				buf[k] = alphabet[x % (sizeof(alphabet) - 1)];
			}
		}
		/* The parser gets exactly len bytes, in a heap block of that size. */
		char *h = malloc(len ? len : 1);

		assert_non_null(h);
		memcpy(h, buf, len);
		if (parse_len(h, len, &o) == 0) {
			assert_true(json_object_size(o) <= MEMBERS_MAX);
			json_decref(o);
		}
		free(h);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests), cmocka_unit_test(test_uint),
		cmocka_unit_test(test_grammar),  cmocka_unit_test(test_depth),
		cmocka_unit_test(test_keys),     cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
