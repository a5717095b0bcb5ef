/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' messages (apps/common/applog.h): --log-level without the EAL, the filter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_log.h>

#include "applog.h"

/* The EAL's grammar: what DPDK 22.11's --log-level takes, and what it refuses. */
static void
test_check(void **state)
{
	static const char *const good[] = {
		"lcx.timer:debug", "lcx.*:warning", "lcx.*:warn", "lcx.timer:err", "*:e",
		"lcx.timer:8",     "lcx.timer:1",   "warning",    "7",             "^lcx\\.,notice",
		"lcx.timer,info",
	};
	static const char *const bad[] = {
		"",         "lcx.timer:",   "lcx.timer:loud", ":debug",        ",debug",
		"lcx.[,debug", "lcx.timer:9", "lcx.timer:0",  "lcx.timer:0x3", "lcx.timer:+4",
		"loud",     "debugx",       "lcx.timer:debug ",
	};
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		why = NULL;
		if (app_log_level_check(good[i], &why) != 0)
			fail_msg("'%s' refused: %s", good[i], why);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (app_log_level_check(bad[i], &why) != -EINVAL || why == NULL)
			fail_msg("'%s' taken", bad[i]);
	}
}

/* The levels as DPDK reads them back (rte_log_get_level()), each kind of spec. */
static void
test_apply(void **state)
{
	int a = rte_log_register_type_and_pick_level("lcx.testlog.a", RTE_LOG_INFO);
	int b = rte_log_register_type_and_pick_level("lcx.testlog.b", RTE_LOG_INFO);
	uint32_t global = rte_log_get_global_level();

	(void)state;
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(app_log_level_apply("lcx.testlog.a:debug"), 0);
	assert_int_equal(rte_log_get_level((uint32_t)a), RTE_LOG_DEBUG);
	assert_int_equal(rte_log_get_level((uint32_t)b), RTE_LOG_INFO);
	assert_int_equal(app_log_level_apply("lcx.testlog.*:err"), 0);
	assert_int_equal(rte_log_get_level((uint32_t)a), RTE_LOG_ERR);
	assert_int_equal(rte_log_get_level((uint32_t)b), RTE_LOG_ERR);
	assert_int_equal(app_log_level_apply("testlog\\.b$,6"), 0);
	assert_int_equal(rte_log_get_level((uint32_t)a), RTE_LOG_ERR);
	assert_int_equal(rte_log_get_level((uint32_t)b), RTE_LOG_NOTICE);
	assert_int_equal(app_log_level_apply("crit"), 0);
	assert_int_equal(rte_log_get_global_level(), RTE_LOG_CRIT);
	rte_log_set_global_level(global);
	assert_int_equal(app_log_level_apply("lcx.testlog.a:loud"), -EINVAL);
	assert_int_equal(rte_log_get_level((uint32_t)a), RTE_LOG_ERR);
}

/* After app_log_init(): through the log type, filtered at its level, "PROG: text\n". */
static void
test_filter(void **state)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(f);
	assert_int_equal(rte_openlog_stream(f), 0);
	app_log_prog("ignored");
	assert_int_equal(app_log_init("prog", "lcx.testlog.filter"), 0);
	app_log(APP_LOG_NOTICE, "notice %d", 1);
	app_log(APP_LOG_DEBUG, "debug %d", 1);
	assert_int_equal(app_log_level_apply("lcx.testlog.filter:warning"), 0);
	app_log(APP_LOG_NOTICE, "notice %d", 2);
	app_log(APP_LOG_ERR, "error %d", 2);
	assert_int_equal(app_log_level_apply("lcx.testlog.filter:emerg"), 0);
	app_log(APP_LOG_ERR, "error %d", 3);
	assert_int_equal(app_log_level_apply("lcx.testlog.filter:debug"), 0);
	app_log(APP_LOG_DEBUG, "debug %d", 4);
	fflush(f);
	assert_string_equal(buf, "prog: notice 1\nprog: error 2\nprog: debug 4\n");
	rte_openlog_stream(NULL);
	fclose(f);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
