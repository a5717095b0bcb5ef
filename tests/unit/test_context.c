/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <lcx/lcx.h>

#define US 1000ull
#define MS 1000000ull

static struct lcx_context *
make_ctx(const char *name, enum lcx_launch launch, struct lcx_manual_clock *mc, uint64_t throttle)
{
	struct lcx_context *ctx = NULL;
	struct lcx_context_conf conf = {
		.name = name, .throttle_ns = throttle, .launch = launch,
		.cpu = -1, .socket_id = -1, .clock = mc ? &mc->clock : NULL,
	};

	assert_int_equal(lcx_context_acquire(&conf, &ctx), 0);
	return ctx;
}

static void
test_acquire_by_name(void **state)
{
	struct lcx_context *a, *b, *c;

	(void)state;
	a = make_ctx("same", LCX_LAUNCH_NONE, NULL, MS);
	b = make_ctx("same", LCX_LAUNCH_NONE, NULL, 5 * MS);
	assert_ptr_equal(a, b);
	assert_int_equal(lcx_context_throttle(b), MS); /* the first conf wins */
	lcx_context_release(b);
	c = make_ctx("other", LCX_LAUNCH_NONE, NULL, MS);
	assert_ptr_not_equal(a, c);
	assert_string_equal(lcx_context_name(a), "same");
	lcx_context_release(c);
	lcx_context_release(a);
	/* Released: a new acquire creates a fresh one with its own throttle. */
	a = make_ctx("same", LCX_LAUNCH_NONE, NULL, 7 * MS);
	assert_int_equal(lcx_context_throttle(a), 7 * MS);
	lcx_context_release(a);
}

static void
test_bad_conf(void **state)
{
	struct lcx_context *ctx;
	struct lcx_context_conf conf = { .name = "", .launch = LCX_LAUNCH_NONE, .cpu = -1 };

	(void)state;
	assert_int_equal(lcx_context_acquire(&conf, &ctx), -EINVAL);
	conf.name = "this-name-is-far-too-long-for-a-context";
	assert_int_equal(lcx_context_acquire(&conf, &ctx), -EINVAL);
	conf.name = "slow";
	conf.throttle_ns = LCX_THROTTLE_MAX_NS + 1;
	assert_int_equal(lcx_context_acquire(&conf, &ctx), -EINVAL);
	conf.throttle_ns = MS;
	conf.launch = LCX_LAUNCH_LCORE; /* no EAL in unit tests */
	assert_int_equal(lcx_context_acquire(&conf, &ctx), -EINVAL);
	assert_int_equal(lcx_context_acquire(NULL, &ctx), -EINVAL);
}

/* React at most once per throttle period; the park ends when the next is due. */
static void
test_react_cadence(void **state)
{
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct lcx_context_stats st;

	(void)state;
	lcx_manual_clock_init(&mc, 1000 * MS);
	ctx = make_ctx("cadence", LCX_LAUNCH_NONE, &mc, 10 * MS);
	assert_int_equal(lcx_context_run_once(ctx), 10 * MS); /* first iteration reacts */
	lcx_context_stats(ctx, &st);
	assert_int_equal(st.reacts, 1);
	lcx_manual_clock_advance(&mc, 4 * MS);
	assert_int_equal(lcx_context_run_once(ctx), 6 * MS); /* anchored to the last react */
	lcx_manual_clock_advance(&mc, 6 * MS - 1);
	assert_int_equal(lcx_context_run_once(ctx), 0);
	lcx_context_stats(ctx, &st);
	assert_int_equal(st.reacts, 1);
	assert_true(st.parks_skipped >= 1); /* 1 ns left: not worth a park */
	lcx_manual_clock_advance(&mc, 1);
	assert_int_equal(lcx_context_run_once(ctx), 10 * MS);
	lcx_context_stats(ctx, &st);
	assert_int_equal(st.reacts, 2);
	assert_int_equal(st.iterations, 4);
	lcx_context_release(ctx);
}

/* Throttle 0: never parks, epoll read on its own period only. */
static void
test_busy_never_parks(void **state)
{
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct lcx_context_stats st;

	(void)state;
	lcx_manual_clock_init(&mc, 0);
	ctx = make_ctx("busy", LCX_LAUNCH_NONE, &mc, 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(lcx_context_run_once(ctx), 0);
		lcx_manual_clock_advance(&mc, 1 * US);
	}
	lcx_context_stats(ctx, &st);
	/* 100 us of iterations: the first react and one after LCX_BUSY_REACT_NS. */
	assert_true(st.reacts <= 1 + 100 * US / LCX_BUSY_REACT_NS);
	assert_int_equal(st.parks, 0);
	lcx_context_release(ctx);
}

/* A fake rx queue: returns what the test says, reports a fill level. */
struct fake_q {
	struct lcx_poller poller;
	unsigned int next;
	int fill;
	int flushes;
};

static unsigned int
fake_poll(void *arg)
{
	struct fake_q *q = arg;
	unsigned int n = q->next;

	q->next = 0;
	return n;
}

static void
fake_flush(void *arg)
{
	((struct fake_q *)arg)->flushes++;
}

static int
fake_fill(void *arg)
{
	return ((struct fake_q *)arg)->fill;
}

static const struct lcx_poller_ops fake_ops = {
	.name = "fake", .poll = fake_poll, .flush = fake_flush, .fill = fake_fill,
};

static int
register_fake(struct lcx_context *ctx, void *arg)
{
	return lcx_poller_register(ctx, &((struct fake_q *)arg)->poller);
}

/*
 * The ring budget: at 100 000 packets/s (10 every 100 us) a 1024-entry ring
 * reaches half full in 5.12 ms, so a 20 ms throttle parks at most that long,
 * less the safety margin.
 */
static void
test_ring_budget_cuts_park(void **state)
{
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct lcx_context_stats st;
	struct fake_q q = { .poller = { .ops = &fake_ops, .burst = 32, .ring_size = 1024 },
			    .fill = -1 };

	(void)state;
	lcx_manual_clock_init(&mc, 0);
	ctx = make_ctx("budget", LCX_LAUNCH_NONE, &mc, 20 * MS);
	q.poller.arg = &q;
	assert_int_equal(lcx_poller_register(ctx, &q.poller), 0);
	assert_int_equal(lcx_poller_register(ctx, &q.poller), -EBUSY);
	for (int i = 0; i < 50; i++) {
		lcx_manual_clock_advance(&mc, 100 * US);
		q.next = 10;
		assert_int_equal(lcx_context_run_once(ctx), 0); /* work done: no park */
	}
	assert_true(q.flushes >= 50);
	lcx_manual_clock_advance(&mc, 100 * US);
	int64_t park = lcx_context_run_once(ctx);

	/*
	 * The empty poll closed one more 100 us window with no arrivals: the rate
	 * decayed by 1/8 to 0.0875/us, so 512 entries take 5851 us; less the
	 * 20 us margin (no overshoot measured on a manual clock).
	 */
	assert_true(park > 5800 * (int64_t)US);
	assert_true(park < 5860 * (int64_t)US);
	lcx_context_stats(ctx, &st);
	assert_int_equal(st.parks_cut, 1);

	/* A fill at half the ring: no park at all. */
	q.fill = 512;
	lcx_manual_clock_advance(&mc, 10 * US);
	assert_int_equal(lcx_context_run_once(ctx), 0);
	/* A fill of 412: 100 entries of room, 1143 us at this rate, less the margin. */
	q.fill = 412;
	lcx_manual_clock_advance(&mc, 10 * US);
	park = lcx_context_run_once(ctx);
	assert_true(park > 1100 * (int64_t)US && park < 1143 * (int64_t)US);

	/* A full burst means more is waiting: no park. */
	q.fill = -1;
	q.next = 32;
	lcx_manual_clock_advance(&mc, 10 * US);
	assert_int_equal(lcx_context_run_once(ctx), 0);

	assert_int_equal(lcx_poller_unregister(&q.poller), 0);
	assert_int_equal(lcx_poller_unregister(&q.poller), -EINVAL);
	lcx_context_release(ctx);
}

/* A poller with no traffic never cuts the park. */
static void
test_idle_poller_full_park(void **state)
{
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct fake_q q = { .poller = { .ops = &fake_ops, .burst = 32, .ring_size = 1024 },
			    .fill = -1 };

	(void)state;
	lcx_manual_clock_init(&mc, 0);
	ctx = make_ctx("idleq", LCX_LAUNCH_NONE, &mc, 10 * MS);
	q.poller.arg = &q;
	assert_int_equal(lcx_poller_register(ctx, &q.poller), 0);
	assert_int_equal(lcx_context_run_once(ctx), 10 * MS);
	lcx_context_release(ctx); /* stop unregisters the poller */
	assert_null(q.poller.ctx);
}

struct waker {
	struct lcx_task task;
	_Atomic uint64_t ran_at;
};

static void
stamp_fn(struct lcx_task *t, void *arg)
{
	struct waker *w = arg;

	(void)t;
	atomic_store(&w->ran_at, lcx_tsc_ns());
}

static uint64_t
wait_ran(struct waker *w, uint64_t limit_ns)
{
	uint64_t t0 = lcx_tsc_ns();

	while (atomic_load(&w->ran_at) == 0 && lcx_tsc_ns() - t0 < limit_ns)
		usleep(100);
	return atomic_load(&w->ran_at);
}

/*
 * A thread context with a 1 s throttle: a wake without unpark waits for the
 * park to end; a wake with unpark runs at once.
 */
static void
test_cross_thread_unpark(void **state)
{
	struct lcx_context *ctx;
	struct lcx_context_stats st;
	struct waker w = { 0 };

	(void)state;
	ctx = make_ctx("unpark", LCX_LAUNCH_THREAD, NULL, LCX_THROTTLE_MAX_NS);
	usleep(20000); /* let it park */
	lcx_task_init(&w.task, ctx, stamp_fn, &w);
	uint64_t t0 = lcx_tsc_ns();

	lcx_task_wake_unpark(&w.task);
	uint64_t ran = wait_ran(&w, 5000 * MS);

	assert_true(ran != 0);
	assert_true(ran - t0 < 200 * MS); /* far less than the 1 s park */
	lcx_context_stats(ctx, &st);
	assert_true(st.unparks >= 1);

	/* Without unpark it still runs, at the end of the park. */
	atomic_store(&w.ran_at, 0);
	usleep(20000);
	lcx_task_wake(&w.task);
	assert_true(wait_ran(&w, 5000 * MS) != 0);
	lcx_context_release(ctx);
}

static int
enter_fn(struct lcx_context *ctx, void *arg)
{
	*(struct lcx_context **)arg = lcx_context_current();
	return lcx_context_current() == ctx ? 42 : -1;
}

static void
test_enter_and_stop(void **state)
{
	struct lcx_context *ctx, *seen = NULL;
	struct lcx_context_stats st;

	(void)state;
	ctx = make_ctx("enter", LCX_LAUNCH_THREAD, NULL, 100 * MS);
	assert_int_equal(lcx_context_enter(ctx, enter_fn, &seen), 42);
	assert_ptr_equal(seen, ctx);
	assert_null(lcx_context_current());
	assert_int_equal(lcx_context_set_throttle(ctx, 2 * MS), 0);
	assert_int_equal(lcx_context_set_throttle(ctx, LCX_THROTTLE_MAX_NS + 1), -EINVAL);
	usleep(20000);
	assert_int_equal(lcx_context_throttle(ctx), 2 * MS);
	lcx_context_stats(ctx, &st);
	assert_true(st.parks > 0);
	assert_true(st.parked_ns > 0);
	assert_int_equal(lcx_context_stop(ctx), 0);
	assert_int_equal(lcx_context_stop(ctx), 0); /* idempotent */
	assert_true(lcx_context_is_stopping(ctx));
	assert_int_equal(lcx_context_enter(ctx, enter_fn, &seen), -ESHUTDOWN);
	lcx_context_release(ctx);
}

/*
 * A thread context with cpu -1 may run on every CPU the process had at its
 * start, not only on its creator's: created from a thread pinned to one CPU
 * (as the EAL pins its main thread), it used to inherit that CPU and share it.
 */
static int
affinity_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	return sched_getaffinity(0, sizeof(cpu_set_t), arg);
}

static void
test_thread_cpus_of_process(void **state)
{
	cpu_set_t all, one, seen, mine;
	struct lcx_context *ctx;
	int first = -1;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	if (CPU_COUNT(&all) < 2)
		skip(); /* one CPU: nothing to tell apart */
	for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &all))
			first = c;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(mine), &mine), 0);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(one), &one), 0);
	ctx = make_ctx("cpus", LCX_LAUNCH_THREAD, NULL, MS);
	CPU_ZERO(&seen);
	assert_int_equal(lcx_context_enter(ctx, affinity_fn, &seen), 0);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(mine), &mine), 0);
	lcx_context_release(ctx);
	assert_int_equal(CPU_COUNT(&seen), CPU_COUNT(&all));
	assert_true(CPU_EQUAL(&seen, &all));
}

/*
 * Idle back-off. A context with nothing to do reacts once per throttle for
 * LCX_IDLE_REACTS reacts, then parks with no fixed end (it has no pollers).
 */
static void
test_idle_backoff_no_pollers(void **state)
{
	struct lcx_context *ctx;
	struct lcx_context_stats st;

	(void)state;
	ctx = make_ctx("idle", LCX_LAUNCH_THREAD, NULL, MS);
	usleep(200000);
	lcx_context_stats(ctx, &st);
	lcx_context_release(ctx);
	assert_true(st.reacts >= LCX_IDLE_REACTS);
	assert_true(st.reacts <= LCX_IDLE_REACTS + 3);
	assert_true(st.idle_parks >= 1);
	assert_true(st.parked_ns > 4 * (st.busy_ns + st.idle_ns));
}

static void
count_fire(struct lcx_timer *t, void *arg)
{
	(void)t;
	atomic_fetch_add((_Atomic unsigned int *)arg, 1);
}

static int
start_periodic(struct lcx_context *ctx, void *arg)
{
	struct lcx_timer *t = arg;

	return lcx_timer_start(ctx, t, 20 * MS, 20 * MS, 0);
}

static int
stop_periodic(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	lcx_timer_stop(arg);
	return 0;
}

/*
 * A periodic timer alone does not hold the context out of the idle back-off:
 * it wakes for each deadline and parks again, instead of reacting once per
 * throttle after every firing (LCX_IDLE_REACTS reacts a firing).
 */
static void
test_idle_backoff_periodic_timer(void **state)
{
	struct lcx_context *ctx;
	struct lcx_context_stats st0, st;
	struct lcx_timer t;
	_Atomic unsigned int fired = 0;

	(void)state;
	ctx = make_ctx("idletimer", LCX_LAUNCH_THREAD, NULL, MS);
	lcx_timer_init(&t, count_fire, (void *)&fired);
	assert_int_equal(lcx_context_enter(ctx, start_periodic, &t), 0);
	usleep(100000);
	lcx_context_stats(ctx, &st0);
	unsigned int f0 = atomic_load(&fired);

	usleep(400000);
	lcx_context_stats(ctx, &st);
	unsigned int f = atomic_load(&fired) - f0;

	assert_int_equal(lcx_context_enter(ctx, stop_periodic, &t), 0);
	lcx_context_release(ctx);
	/* ~20 firings in 400 ms; one react each (two at most), not nine. */
	assert_true(f >= 15);
	assert_true(st.reacts - st0.reacts <= 2 * f + 4);
	assert_true(st.idle_parks - st0.idle_parks >= f - 2);
}

/* With a poller (no rx interrupts) the idle park is bounded by idle_park_max_ns. */
static void
test_idle_backoff_bounded_with_poller(void **state)
{
	struct lcx_context *ctx = NULL;
	struct lcx_context_stats st;
	struct fake_q q = { .poller = { .ops = &fake_ops, .burst = 32, .ring_size = 1024 },
			    .fill = -1 };
	struct lcx_context_conf conf = {
		.name = "idlepoll", .throttle_ns = MS, .launch = LCX_LAUNCH_THREAD,
		.cpu = -1, .socket_id = -1, .idle_park_max_ns = 10 * MS,
	};

	(void)state;
	q.poller.arg = &q;
	assert_int_equal(lcx_context_acquire(&conf, &ctx), 0);
	assert_int_equal(lcx_context_enter(ctx, register_fake, &q),
			 0);
	usleep(300000);
	lcx_context_stats(ctx, &st);
	lcx_context_release(ctx);
	/* ~8 reacts at 1 ms, then one every 10 ms: about 37 in 300 ms. */
	assert_true(st.reacts >= 20);
	assert_true(st.reacts <= 60);
	assert_true(st.idle_parks >= 15);
}

struct stamp_timer {
	struct lcx_timer timer;
	_Atomic uint64_t fired_at;
};

static void
stamp_timer_fn(struct lcx_timer *t, void *arg)
{
	struct stamp_timer *st = arg;

	(void)t;
	atomic_store(&st->fired_at, lcx_tsc_ns());
}

/*
 * An idle park has no fixed end, so whatever another thread queues ends it:
 * a timer started from outside fires on time, a plain wake runs at once.
 */
static void
test_idle_park_ended_by_remote_work(void **state)
{
	struct lcx_context *ctx;
	struct stamp_timer t = { 0 };
	struct waker w = { 0 };

	(void)state;
	ctx = make_ctx("idleremote", LCX_LAUNCH_THREAD, NULL, MS);
	usleep(50000); /* well into the idle park */
	lcx_timer_init(&t.timer, stamp_timer_fn, &t);
	uint64_t t0 = lcx_tsc_ns();

	assert_int_equal(lcx_timer_start(ctx, &t.timer, 20 * MS, 0, LCX_TIMER_AT_LEAST), 0);
	uint64_t limit = t0 + 2000 * MS;

	while (atomic_load(&t.fired_at) == 0 && lcx_tsc_ns() < limit)
		usleep(1000);
	uint64_t fired = atomic_load(&t.fired_at);

	assert_true(fired != 0);
	assert_true(fired - t0 >= 20 * MS);
	assert_true(fired - t0 < 20 * MS + 200 * MS); /* on time, not at some far wake-up */

	usleep(50000);
	lcx_task_init(&w.task, ctx, stamp_fn, &w);
	t0 = lcx_tsc_ns();
	lcx_task_wake(&w.task); /* no unpark asked */
	uint64_t ran = wait_ran(&w, 2000 * MS);

	assert_true(ran != 0 && ran - t0 < 200 * MS);
	lcx_context_release(ctx);
}

/* Stop from a task of the context itself: the loop ends, stop joins. */
static void
stop_fn(struct lcx_task *t, void *arg)
{
	(void)arg;
	lcx_context_stop(t->ctx);
}

static void *
run_thread(void *arg)
{
	return (void *)(intptr_t)lcx_context_run(arg);
}

static void
test_run_and_stop_from_task(void **state)
{
	struct lcx_context *ctx;
	struct lcx_task t;
	pthread_t th;
	void *ret;

	(void)state;
	ctx = make_ctx("runner", LCX_LAUNCH_NONE, NULL, MS);
	pthread_create(&th, NULL, run_thread, ctx);
	usleep(10000);
	assert_int_equal(lcx_context_run(ctx), -EBUSY);
	lcx_task_init(&t, ctx, stop_fn, NULL);
	lcx_task_wake_unpark(&t);
	pthread_join(th, &ret);
	assert_int_equal((intptr_t)ret, 0);
	lcx_context_release(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acquire_by_name),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_react_cadence),
		cmocka_unit_test(test_busy_never_parks),
		cmocka_unit_test(test_ring_budget_cuts_park),
		cmocka_unit_test(test_idle_poller_full_park),
		cmocka_unit_test(test_cross_thread_unpark),
		cmocka_unit_test(test_enter_and_stop),
		cmocka_unit_test(test_thread_cpus_of_process),
		cmocka_unit_test(test_idle_backoff_no_pollers),
		cmocka_unit_test(test_idle_backoff_bounded_with_poller),
		cmocka_unit_test(test_idle_backoff_periodic_timer),
		cmocka_unit_test(test_idle_park_ended_by_remote_work),
		cmocka_unit_test(test_run_and_stop_from_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
