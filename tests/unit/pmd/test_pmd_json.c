/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's request parser (apps/lcx-pmd/json.c): what strict JSON
 * accepts, what it refuses, and that random and mutated input never crashes
 * it (run under ASan/UBSan in the sanitizer build).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static int
parse(const char *s, struct pj_object *o, const char **err)
{
	*err = NULL;
	return pj_parse_object(s, strlen(s), o, err);
}

static void
accepts(const char *s)
{
	struct pj_object o;
	const char *err;

	if (parse(s, &o, &err) != 0)
		fail_msg("refused %s: %s", s, err);
}

static void
refuses(const char *s, const char *why)
{
	struct pj_object o;
	const char *err = NULL;

	if (parse(s, &o, &err) == 0)
		fail_msg("accepted %s", s);
	assert_non_null(err);
	if (why != NULL && strstr(err, why) == NULL)
		fail_msg("%s: error '%s' does not say '%s'", s, err, why);
}

static void
test_requests(void **state)
{
	struct pj_object o;
	const char *err;
	const struct pj_member *m;
	unsigned long long v;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"stats\"}", &o, &err), 0);
	assert_int_equal(o.n, 1);
	m = pj_get(&o, "cmd");
	assert_non_null(m);
	assert_int_equal(m->type, PJ_STRING);
	assert_string_equal(m->str, "stats");

	assert_int_equal(parse(" \t{ \"cmd\" : \"set\" ,\r\n\"throttle_us\":1000 } \n", &o, &err), 0);
	assert_int_equal(o.n, 2);
	m = pj_get(&o, "throttle_us");
	assert_non_null(m);
	assert_int_equal(m->type, PJ_NUMBER);
	assert_int_equal(pj_uint(m, 1000000, &v), 0);
	assert_int_equal(v, 1000);
	assert_null(pj_get(&o, "throttle"));
	assert_null(pj_get(&o, "throttle_us_"));
}

static unsigned long long
uint_of(const char *num, unsigned long long max, int *ret)
{
	char buf[128];
	struct pj_object o;
	const char *err;
	unsigned long long v = 0xdead;

	snprintf(buf, sizeof(buf), "{\"v\":%s}", num);
	assert_int_equal(parse(buf, &o, &err), 0);
	*ret = pj_uint(&o.m[0], max, &v);
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
	assert_true(uint_of("18446744073709551615", ~0ull, &ret) == ~0ull);
	assert_int_equal(ret, 0);
	uint_of("18446744073709551616", ~0ull, &ret);
	assert_int_equal(ret, -1);
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
	refuses("{\"a\":\"\\ud83d\"}", "surrogate");
	refuses("{\"a\":\"\\ude00\"}", "surrogate");
	refuses("{\"a\":\"\\ud83d\\u0041\"}", "surrogate");
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
}

static void
test_depth(void **state)
{
	char buf[256];
	size_t n = 0;

	(void)state;
	/* PJ_DEPTH_MAX levels in all are fine; one more is refused. */
	buf[n++] = '{';
	memcpy(buf + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < PJ_DEPTH_MAX - 1; i++)
		buf[n++] = '[';
	for (int i = 0; i < PJ_DEPTH_MAX - 1; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	accepts(buf);

	n = 0;
	buf[n++] = '{';
	memcpy(buf + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < PJ_DEPTH_MAX; i++)
		buf[n++] = '[';
	for (int i = 0; i < PJ_DEPTH_MAX; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	refuses(buf, "deep");
}

static void
test_keys(void **state)
{
	struct pj_object o;
	const char *err;
	char buf[256];

	(void)state;
	/* A key with an escaped NUL is not "cmd". */
	assert_int_equal(parse("{\"cmd\\u0000\":\"stats\"}", &o, &err), 0);
	assert_null(pj_get(&o, "cmd"));
	/* Escapes decode: "c\u006dd" is "cmd". */
	assert_int_equal(parse("{\"c\\u006dd\":\"st\\u0061ts\"}", &o, &err), 0);
	assert_non_null(pj_get(&o, "cmd"));
	assert_string_equal(pj_get(&o, "cmd")->str, "stats");
	/* A long key is kept cut, with its full length: it matches nothing. */
	snprintf(buf, sizeof(buf), "{\"%0100d\":1}", 0);
	assert_int_equal(parse(buf, &o, &err), 0);
	assert_int_equal(o.m[0].key_len, 100);
	assert_int_equal(strlen(o.m[0].key), PJ_KEY_MAX - 1);
	/* A long string value likewise. */
	snprintf(buf, sizeof(buf), "{\"cmd\":\"%0150d\"}", 0);
	assert_int_equal(parse(buf, &o, &err), 0);
	assert_int_equal(pj_get(&o, "cmd")->str_len, 150);
	assert_int_equal(strlen(pj_get(&o, "cmd")->str), PJ_STR_MAX - 1);
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
	struct pj_object o;
	const char *err;

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
		if (pj_parse_object(h, len, &o, &err) == 0)
			assert_true(o.n <= PJ_MEMBERS_MAX);
		else
			assert_non_null(err);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
