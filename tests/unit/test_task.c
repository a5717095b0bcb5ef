/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <lcx/lcx.h>

#define MS 1000000ull

static struct lcx_context *
none_ctx(const char *name, struct lcx_manual_clock *mc, uint64_t throttle)
{
	struct lcx_context *ctx = NULL;
	struct lcx_context_conf conf = {
		.name = name, .throttle_ns = throttle, .launch = LCX_LAUNCH_NONE,
		.cpu = -1, .socket_id = -1, .clock = mc ? &mc->clock : NULL,
	};

	assert_int_equal(lcx_context_acquire(&conf, &ctx), 0);
	return ctx;
}

struct counter {
	struct lcx_task task;
	int runs;
	int rewake;           /* wake itself this many more times */
	struct lcx_context *seen;
};

static void
count_fn(struct lcx_task *t, void *arg)
{
	struct counter *c = arg;

	c->runs++;
	c->seen = lcx_context_current();
	if (c->rewake > 0) {
		c->rewake--;
		assert_int_equal(lcx_task_wake(t), 1);
	}
}

/* A queued task is not queued twice; it runs once. */
static void
test_wake_dedup(void **state)
{
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct counter c = { 0 };

	(void)state;
	lcx_manual_clock_init(&mc, 0);
	ctx = none_ctx("dedup", &mc, MS);
	lcx_task_init(&c.task, ctx, count_fn, &c);
	assert_int_equal(lcx_task_wake(&c.task), 1);
	assert_int_equal(lcx_task_wake(&c.task), 0);
	assert_true(lcx_task_is_queued(&c.task));
	lcx_context_run_once(ctx);
	assert_int_equal(c.runs, 1);
	assert_ptr_equal(c.seen, ctx);
	assert_false(lcx_task_is_queued(&c.task));
	lcx_context_run_once(ctx);
	assert_int_equal(c.runs, 1);
	lcx_context_release(ctx);
}

/*
 * A task that wakes itself while it runs is queued again; it runs again in the
 * same iteration while the 64-task budget lasts (as in threadshare).
 */
static void
test_self_wake(void **state)
{
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct counter c = { .rewake = 2 };

	(void)state;
	lcx_manual_clock_init(&mc, 0);
	ctx = none_ctx("self", &mc, MS);
	lcx_task_init(&c.task, ctx, count_fn, &c);
	lcx_task_wake(&c.task);
	assert_int_equal(lcx_context_run_once(ctx), 0); /* work done: no park */
	assert_int_equal(c.runs, 3);
	assert_true(lcx_context_run_once(ctx) > 0); /* nothing left: would park */
	assert_int_equal(c.runs, 3);

	/* A task that always wakes itself is cut at LCX_TASKS_PER_ITER a turn. */
	c.runs = 0;
	c.rewake = 1000;
	lcx_task_wake(&c.task);
	assert_int_equal(lcx_context_run_once(ctx), 0);
	assert_int_equal(c.runs, LCX_TASKS_PER_ITER);
	assert_true(lcx_task_is_queued(&c.task));
	lcx_context_release(ctx);
}

/* At most LCX_TASKS_PER_ITER tasks per iteration, in wake order. */
static void
test_tasks_per_iteration_cap(void **state)
{
	enum { N = 100 };
	static struct counter c[N];
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct lcx_context_stats st;

	(void)state;
	lcx_manual_clock_init(&mc, 0);
	ctx = none_ctx("cap", &mc, MS);
	for (int i = 0; i < N; i++) {
		c[i] = (struct counter){ 0 };
		lcx_task_init(&c[i].task, ctx, count_fn, &c[i]);
		lcx_task_wake(&c[i].task);
	}
	assert_int_equal(lcx_context_run_once(ctx), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(c[i].runs, i < LCX_TASKS_PER_ITER ? 1 : 0);
	lcx_context_run_once(ctx);
	for (int i = 0; i < N; i++)
		assert_int_equal(c[i].runs, 1);
	lcx_context_stats(ctx, &st);
	assert_int_equal(st.tasks_run, N);
	lcx_context_release(ctx);
}

struct producer {
	struct counter *c;
	int n;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < p->n; i++)
		lcx_task_wake(&p->c[i].task);
	return NULL;
}

/* Wakes from two other threads go through the inbox; every task runs once. */
static void
test_cross_thread_inbox(void **state)
{
	enum { N = 5000 };
	static struct counter c[2 * N];
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	pthread_t th[2];
	struct producer p[2] = { { c, N }, { c + N, N } };

	(void)state;
	lcx_manual_clock_init(&mc, 0);
	ctx = none_ctx("inbox", &mc, MS);
	for (int i = 0; i < 2 * N; i++) {
		c[i] = (struct counter){ 0 };
		lcx_task_init(&c[i].task, ctx, count_fn, &c[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, produce, &p[i]);
	int total = 0;
	time_t deadline = time(NULL) + 30;

	while (total < 2 * N && time(NULL) < deadline) {
		lcx_context_run_once(ctx);
		total = 0;
		for (int i = 0; i < 2 * N; i++)
			total += c[i].runs;
	}
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	for (int i = 0; i < 2 * N; i++)
		assert_int_equal(c[i].runs, 1);
	lcx_context_release(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_dedup),
		cmocka_unit_test(test_self_wake),
		cmocka_unit_test(test_tasks_per_iteration_cap),
		cmocka_unit_test(test_cross_thread_inbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
