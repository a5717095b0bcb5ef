/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timers on a manual clock: the throttle contract (both edges of T/2 for
 * regular timers, at-least never early), interval skipping, stop/restart from
 * callbacks, 100 000 timers, and the cross-thread queue including overflow.
 *
 * The contexts are LCX_LAUNCH_NONE, driven by lcx_context_run_once(). Between
 * two run_once() calls the test thread is not the owner: a start from it goes
 * through the cross-thread queue, while one made through lcx_context_enter()
 * runs as the owner and acts at once; both take deadline = clock at the call +
 * delay (test_stale_now_*: never the iteration's cached now).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <lcx/lcx.h>

#include "lcx_private.h"

#define US 1000ull
#define MS 1000000ull
#define T_NS (1 * MS)        /* the throttle of most tests */
#define HALF (T_NS / 2)
#define START_NS (1000 * MS) /* the manual clock's first reading */

struct fx {
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
};

/* A fire record. */
struct rec {
	struct lcx_context *ctx;
	int fired;
	uint64_t fire_now;     /* the context's now at the last fire */
	uint64_t fire_deadline; /* t->deadline seen in the last callback */
};

static void
rec_cb(struct lcx_timer *t, void *arg)
{
	struct rec *r = arg;

	r->fired++;
	r->fire_now = lcx_context_now(r->ctx);
	r->fire_deadline = t->deadline;
}

static struct fx *
fx_new(const char *name, uint64_t throttle)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct lcx_context_conf conf = {
		.name = name, .throttle_ns = throttle, .launch = LCX_LAUNCH_NONE,
		.cpu = -1, .socket_id = -1,
	};

	assert_non_null(f);
	lcx_manual_clock_init(&f->mc, START_NS);
	conf.clock = &f->mc.clock;
	assert_int_equal(lcx_context_acquire(&conf, &f->ctx), 0);
	/* The first iteration reacts: R0 at START_NS. */
	assert_true(lcx_context_run_once(f->ctx) >= 0);
	return f;
}

static void
fx_free(struct fx *f)
{
	lcx_context_release(f->ctx);
	free(f);
}

static uint64_t
reacts(struct fx *f)
{
	struct lcx_context_stats st;

	lcx_context_stats(f->ctx, &st);
	return st.reacts;
}

/* Advance the clock and run one iteration; say whether it reacted. */
static bool
step(struct fx *f, uint64_t adv)
{
	uint64_t r0 = reacts(f);

	lcx_manual_clock_advance(&f->mc, adv);
	assert_true(lcx_context_run_once(f->ctx) >= 0);
	return reacts(f) == r0 + 1;
}

static uint64_t
now_of(struct fx *f)
{
	return __atomic_load_n(&f->mc.now, __ATOMIC_RELAXED);
}

/* Start a timer as the owner (via lcx_context_enter on a loop that is not running). */
struct arm_req {
	struct lcx_timer *t;
	uint64_t delay, period;
	uint32_t flags;
};

static int
arm_fn(struct lcx_context *ctx, void *arg)
{
	struct arm_req *r = arg;

	return lcx_timer_start(ctx, r->t, r->delay, r->period, r->flags);
}

static void
owner_start(struct fx *f, struct lcx_timer *t, uint64_t delay, uint64_t period, uint32_t flags)
{
	struct arm_req r = { t, delay, period, flags };

	/* the owner's base is the clock at the call */
	assert_int_equal(lcx_context_enter(f->ctx, arm_fn, &r), 0);
	assert_true(lcx_timer_is_pending(t)); /* acted at once */
	assert_int_equal(t->deadline, now_of(f) + delay);
}

static int
stop_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	return lcx_timer_stop(arg);
}

static void
owner_stop(struct fx *f, struct lcx_timer *t)
{
	assert_int_equal(lcx_context_enter(f->ctx, stop_fn, t), 0);
	assert_false(lcx_timer_is_pending(t));
}

/* Heap invariants: index kept in the timer, parent <= child, flags agree. */
static void
check_heap(const struct lcx_timer_heap *h, bool at_least)
{
	for (uint32_t i = 0; i < h->n; i++) {
		struct lcx_timer *t = h->v[i];

		assert_non_null(t);
		assert_int_equal(t->heap_idx, i);
		assert_true(lcx_timer_is_pending(t));
		assert_int_equal(!!(t->flags & LCX_TIMER_AT_LEAST), at_least);
		if (i > 0)
			assert_true(h->v[(i - 1) / 2]->deadline <= t->deadline);
	}
}

static void
check_heaps(struct lcx_context *ctx)
{
	check_heap(&ctx->heap_regular, false);
	check_heap(&ctx->heap_at_least, true);
	assert_true(ctx->timer_ready.cap >= ctx->heap_regular.n + ctx->heap_at_least.n);
}

/* --- arguments --- */

static void
test_bad_arguments(void **state)
{
	struct fx *f = fx_new("t-args", T_NS);
	struct fx *g = fx_new("t-args2", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer t, nofn;

	(void)state;
	lcx_timer_init(&t, rec_cb, &r);
	lcx_timer_init(&nofn, NULL, NULL);
	assert_false(lcx_timer_is_pending(&t));
	assert_false(lcx_timer_is_pending(NULL));
	assert_int_equal(lcx_timer_start(NULL, &t, 0, 0, 0), -EINVAL);
	assert_int_equal(lcx_timer_start(f->ctx, NULL, 0, 0, 0), -EINVAL);
	assert_int_equal(lcx_timer_start(f->ctx, &nofn, 0, 0, 0), -EINVAL);
	assert_int_equal(lcx_timer_start(f->ctx, &t, 0, 0, 0x80), -EINVAL);
	assert_int_equal(lcx_timer_stop(NULL), -EINVAL);
	assert_int_equal(lcx_timer_stop(&t), 0); /* never started: nothing to do */

	/* Armed on f: starting it on g is refused, from the owner or from outside. */
	owner_start(f, &t, 10 * MS, 0, 0);
	assert_int_equal(lcx_timer_start(g->ctx, &t, 0, 0, 0), -EINVAL);
	struct arm_req ar = { &t, 0, 0, 0 };

	assert_int_equal(lcx_context_enter(g->ctx, arm_fn, &ar), -EINVAL);
	/* Queued (not yet applied) on f counts as taken too. */
	owner_stop(f, &t);
	assert_int_equal(lcx_timer_start(f->ctx, &t, 10 * MS, 0, 0), 0);
	assert_true(lcx_timer_is_pending(&t)); /* queued: pending, applied at the next react */
	assert_int_equal(f->ctx->heap_regular.n, 0);
	assert_int_equal(lcx_timer_start(g->ctx, &t, 0, 0, 0), -EINVAL);
	assert_true(step(f, T_NS));
	assert_true(lcx_timer_is_pending(&t));
	/* Stopped: free to move to g. */
	owner_stop(f, &t);
	assert_true(g->ctx != f->ctx);
	ar.delay = 0;
	assert_int_equal(lcx_context_enter(g->ctx, arm_fn, &ar), 0);
	assert_true(step(g, T_NS));
	assert_int_equal(r.fired, 1);
	fx_free(g);
	fx_free(f);
}

/* --- the regular contract: deadline <= now + T/2 fires --- */

static void
test_regular_half_edge(void **state)
{
	struct fx *f = fx_new("t-edge", T_NS);
	struct rec ra = { .ctx = f->ctx }, rb = { .ctx = f->ctx };
	struct lcx_timer a, b;
	struct lcx_context_stats st;
	uint64_t c = now_of(f);

	(void)state;
	lcx_timer_init(&a, rec_cb, &ra);
	lcx_timer_init(&b, rec_cb, &rb);
	/* a: deadline - T/2 is exactly the next react. b: one ns later. */
	owner_start(f, &a, T_NS + HALF, 0, 0);
	owner_start(f, &b, T_NS + HALF + 1, 0, 0);
	/* Just before the throttle: no react, nothing fires. */
	assert_false(step(f, T_NS - 1));
	assert_int_equal(ra.fired + rb.fired, 0);
	assert_true(step(f, 1)); /* R1 at c + T */
	assert_int_equal(ra.fired, 1);
	assert_int_equal(ra.fire_now, c + T_NS);
	assert_int_equal(rb.fired, 0);
	assert_false(lcx_timer_is_pending(&a));
	assert_true(lcx_timer_is_pending(&b));
	lcx_context_stats(f->ctx, &st);
	assert_int_equal(st.timer_early_max_ns, HALF); /* a fired T/2 early */
	assert_int_equal(st.timers_fired, 1);
	/* b waits for the next react, and is then T/2 - 1 ns late. */
	assert_false(step(f, T_NS - 1));
	assert_int_equal(rb.fired, 0);
	assert_true(step(f, 1));
	assert_int_equal(rb.fired, 1);
	assert_int_equal(rb.fire_now, c + 2 * T_NS);
	lcx_context_stats(f->ctx, &st);
	assert_int_equal(st.timer_late_max_ns, HALF - 1);
	assert_int_equal(st.timers_fired, 2);
	fx_free(f);
}

/* The same edges through the cross-thread queue: deadline = clock + delay. */
static void
test_regular_half_edge_queued(void **state)
{
	struct fx *f = fx_new("t-edgeq", T_NS);
	struct rec ra = { .ctx = f->ctx }, rb = { .ctx = f->ctx };
	struct lcx_timer a, b;
	uint64_t c;

	(void)state;
	lcx_timer_init(&a, rec_cb, &ra);
	lcx_timer_init(&b, rec_cb, &rb);
	lcx_manual_clock_advance(&f->mc, 123); /* the queued start reads the clock, not now */
	c = now_of(f);
	assert_int_equal(lcx_timer_start(f->ctx, &a, T_NS + HALF - 123, 0, 0), 0);
	assert_int_equal(lcx_timer_start(f->ctx, &b, T_NS + HALF - 122, 0, 0), 0);
	assert_true(lcx_timer_is_pending(&a));
	assert_int_equal(f->ctx->heap_regular.n, 0); /* not applied yet */
	assert_true(step(f, T_NS - 123)); /* R1: applies both, fires a */
	assert_int_equal(a.deadline, c + T_NS + HALF - 123);
	assert_int_equal(ra.fired, 1);
	assert_int_equal(rb.fired, 0);
	assert_true(lcx_timer_is_pending(&b));
	assert_true(step(f, T_NS));
	assert_int_equal(rb.fired, 1);
	fx_free(f);
}

/* A delay of at most T/2 fires at the next react; so does 0. */
static void
test_short_delay_next_react(void **state)
{
	struct fx *f = fx_new("t-short", T_NS);
	struct rec ra = { .ctx = f->ctx }, rb = { .ctx = f->ctx };
	struct lcx_timer a, b;

	(void)state;
	lcx_timer_init(&a, rec_cb, &ra);
	lcx_timer_init(&b, rec_cb, &rb);
	owner_start(f, &a, HALF, 0, 0);
	owner_start(f, &b, 0, 0, 0);
	assert_false(step(f, 1));
	assert_int_equal(ra.fired + rb.fired, 0); /* no react yet: nothing fires */
	assert_true(step(f, T_NS - 1));
	assert_int_equal(ra.fired, 1);
	assert_int_equal(rb.fired, 1);
	fx_free(f);
}

/* --- the delay counts from the call, not from a stale cached now --- */

/* Set-up that takes 3 s between the last iteration and an at-least start. */
static void
test_stale_now_setup(void **state)
{
	struct fx *f = fx_new("t-stale-setup", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer t;
	struct arm_req req = { &t, 1000 * MS, 0, LCX_TIMER_AT_LEAST };
	uint64_t armed;

	(void)state;
	lcx_timer_init(&t, rec_cb, &r);
	lcx_manual_clock_advance(&f->mc, 3000 * MS); /* set-up, loop not iterating */
	armed = now_of(f);
	assert_true(lcx_context_now(f->ctx) < armed); /* the cached now is stale */
	assert_int_equal(lcx_context_enter(f->ctx, arm_fn, &req), 0);
	assert_int_equal(t.deadline, armed + 1000 * MS);
	/* Run the loop: the timer must not fire before armed + 1 s. */
	while (now_of(f) < armed + 1000 * MS) {
		step(f, T_NS);
		if (r.fired) {
			assert_true(r.fire_now >= armed + 1000 * MS);
			break;
		}
	}
	for (int i = 0; i < 3 && r.fired == 0; i++)
		step(f, T_NS);
	assert_int_equal(r.fired, 1);
	assert_true(r.fire_now >= armed + 1000 * MS);
	fx_free(f);
}

/* A task that works 5 ms (the clock moves) before it arms a 2 ms at-least timer. */
struct slow_arm {
	struct fx *f;
	struct lcx_timer *t;
	uint64_t armed;
};

static void
slow_arm_task(struct lcx_task *task, void *arg)
{
	struct slow_arm *a = arg;

	(void)task;
	lcx_manual_clock_advance(&a->f->mc, 5 * MS);
	a->armed = now_of(a->f);
	assert_int_equal(lcx_timer_start(a->f->ctx, a->t, 2 * MS, 0, LCX_TIMER_AT_LEAST), 0);
}

static void
test_stale_now_task(void **state)
{
	struct fx *f = fx_new("t-stale-task", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer t;
	struct lcx_task task;
	struct slow_arm a = { f, &t, 0 };

	(void)state;
	lcx_timer_init(&t, rec_cb, &r);
	lcx_task_init(&task, f->ctx, slow_arm_task, &a);
	assert_int_equal(lcx_task_wake(&task), 1);
	step(f, 0); /* runs the task, which moves the clock by 5 ms */
	assert_true(a.armed > 0);
	assert_int_equal(t.deadline, a.armed + 2 * MS);
	for (int i = 0; i < 20 && r.fired == 0; i++) {
		step(f, T_NS / 4);
		if (r.fired)
			assert_true(r.fire_now >= a.armed + 2 * MS);
	}
	assert_int_equal(r.fired, 1);
	fx_free(f);
}

/* --- at-least: deadline <= now, never early --- */

static void
test_at_least_never_early(void **state)
{
	struct fx *f = fx_new("t-atleast", T_NS);
	struct rec ra = { .ctx = f->ctx }, rb = { .ctx = f->ctx }, rc = { .ctx = f->ctx };
	struct lcx_timer a, b, c;
	struct lcx_context_stats st;
	uint64_t c0 = now_of(f);

	(void)state;
	lcx_timer_init(&a, rec_cb, &ra);
	lcx_timer_init(&b, rec_cb, &rb);
	lcx_timer_init(&c, rec_cb, &rc);
	owner_start(f, &a, T_NS, 0, LCX_TIMER_AT_LEAST);     /* due exactly at R1 */
	owner_start(f, &b, T_NS + 1, 0, LCX_TIMER_AT_LEAST); /* 1 ns after R1 */
	owner_start(f, &c, 2 * T_NS + 1, 0, LCX_TIMER_AT_LEAST);
	assert_true(step(f, T_NS)); /* R1 at c0 + T */
	assert_int_equal(ra.fired, 1);
	assert_int_equal(ra.fire_now, c0 + T_NS);
	assert_int_equal(rb.fired, 0); /* a regular timer would have fired here */
	/* R2 at c0 + 2T + 1 (the react after the throttle): both b and c, c late by 0. */
	assert_true(step(f, T_NS + 1));
	assert_int_equal(rb.fired, 1);
	assert_int_equal(rb.fire_now, c0 + 2 * T_NS + 1);
	assert_int_equal(rc.fired, 1);
	lcx_context_stats(f->ctx, &st);
	assert_int_equal(st.timer_early_max_ns, 0);
	assert_int_equal(st.timer_late_max_ns, T_NS);
	assert_int_equal(st.timers_fired, 3);

	/* With many reacts in between, an at-least timer never fires one react too soon. */
	for (uint64_t d = 1; d < 4 * T_NS; d += 37 * US) {
		struct rec r = { .ctx = f->ctx };
		struct lcx_timer t;
		uint64_t dl;

		lcx_timer_init(&t, rec_cb, &r);
		owner_start(f, &t, d, 0, LCX_TIMER_AT_LEAST);
		dl = t.deadline;
		for (;;) {
			bool re = step(f, T_NS / 3 + 1);
			uint64_t now = now_of(f);

			if (re && now >= dl) {
				/* the first react at or past the deadline */
				assert_int_equal(r.fired, 1);
				assert_int_equal(r.fire_now, now);
				break;
			}
			assert_int_equal(r.fired, 0);
		}
	}
	fx_free(f);
}

/* Regular and at-least due in one react fire in deadline order. */
struct order_rec {
	struct lcx_timer t;
	int id;
	int *log;
	int *n;
};

static void
order_cb(struct lcx_timer *t, void *arg)
{
	struct order_rec *o = arg;

	(void)t;
	o->log[(*o->n)++] = o->id;
}

static void
test_mixed_order(void **state)
{
	struct fx *f = fx_new("t-mixed", T_NS);
	struct order_rec o[6];
	int log[6], n = 0;

	(void)state;
	for (int i = 0; i < 6; i++) {
		o[i].id = i;
		o[i].log = log;
		o[i].n = &n;
		lcx_timer_init(&o[i].t, order_cb, &o[i]);
	}
	/* deadlines 5T..10T, alternating kinds, armed in reverse order */
	for (int i = 5; i >= 0; i--)
		owner_start(f, &o[i].t, (5 + (uint64_t)i) * T_NS, 0,
			    (i & 1) ? LCX_TIMER_AT_LEAST : 0);
	assert_true(step(f, 20 * T_NS));
	assert_int_equal(n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(log[i], i);
	fx_free(f);
}

/* --- interval timers --- */

static void
test_interval_skips_missed(void **state)
{
	struct fx *f = fx_new("t-interval", T_NS);
	const uint64_t p = 10 * MS;
	struct rec r = { .ctx = f->ctx }, ra = { .ctx = f->ctx };
	struct lcx_timer t, ta;
	uint64_t c = now_of(f);

	(void)state;
	lcx_timer_init(&t, rec_cb, &r);
	lcx_timer_init(&ta, rec_cb, &ra);
	owner_start(f, &t, p, p, 0);
	owner_start(f, &ta, p, p, LCX_TIMER_AT_LEAST);
	/* One jump over 5.5 periods: one fire each, no burst. */
	assert_true(step(f, 5 * p + p / 2)); /* now = c + 55 ms */
	assert_int_equal(r.fired, 1);
	assert_int_equal(ra.fired, 1);
	/* Next deadline: whole periods past the slice. */
	assert_int_equal(t.deadline, c + 6 * p);
	assert_int_equal(ta.deadline, c + 6 * p);
	assert_int_equal(r.fire_deadline, c + 6 * p); /* already advanced in the callback */
	assert_true(lcx_timer_is_pending(&t));
	/* Regular: fires at c + 6p - T/2, not 1 ns before. */
	assert_true(step(f, p / 2 - HALF - 1)); /* now = c + 59.5 ms - 1 */
	assert_int_equal(r.fired, 1);
	assert_true(step(f, T_NS + 1)); /* now = c + 60.5 ms */
	assert_int_equal(r.fired, 2);
	assert_int_equal(ra.fired, 2);
	assert_int_equal(t.deadline, c + 7 * p);
	assert_int_equal(ta.deadline, c + 7 * p);

	/* The regular slice edge: a deadline that lands within T/2 of the react moves on. */
	owner_stop(f, &ta);
	owner_start(f, &t, p, p, 0); /* deadline now + 10 ms */
	uint64_t d0 = t.deadline;

	assert_true(step(f, 2 * p - HALF)); /* now = d0 + p - T/2: d0 and d0 + p are due */
	assert_int_equal(r.fired, 3);
	assert_int_equal(t.deadline, d0 + 2 * p);
	fx_free(f);
}

/* A timer started with a deadline within T/2 of this react's slice while the
 * slice is being fired waits for the next react (no double fire). */
static int self_restarts;

static void
self_restart_cb(struct lcx_timer *t, void *arg)
{
	struct rec *r = arg;

	rec_cb(t, arg);
	self_restarts++;
	assert_int_equal(lcx_timer_start(r->ctx, t, 0, 0, 0), 0);
}

static void
test_restart_zero_from_callback(void **state)
{
	struct fx *f = fx_new("t-selfzero", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer t;

	(void)state;
	self_restarts = 0;
	lcx_timer_init(&t, self_restart_cb, &r);
	owner_start(f, &t, 0, 0, 0);
	for (int i = 1; i <= 5; i++) {
		assert_true(step(f, T_NS));
		assert_int_equal(r.fired, i); /* once per react, never spinning */
	}
	owner_stop(f, &t);
	assert_true(step(f, T_NS));
	assert_int_equal(r.fired, 5);
	fx_free(f);
}

/* --- stop, restart, free from callbacks --- */

static void
test_stop_before_fire(void **state)
{
	struct fx *f = fx_new("t-stop", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer t;

	(void)state;
	lcx_timer_init(&t, rec_cb, &r);
	/* owner: start, stop */
	owner_start(f, &t, HALF, 0, 0);
	owner_stop(f, &t);
	assert_int_equal(f->ctx->heap_regular.n, 0);
	assert_true(step(f, T_NS));
	assert_int_equal(r.fired, 0);
	/* queued: start then stop, applied in order at the react */
	assert_int_equal(lcx_timer_start(f->ctx, &t, 0, 0, 0), 0);
	assert_int_equal(lcx_timer_stop(&t), 0);
	assert_true(lcx_timer_is_pending(&t)); /* two ops queued: not free to reuse yet */
	assert_true(step(f, T_NS));
	assert_int_equal(r.fired, 0);
	assert_false(lcx_timer_is_pending(&t));
	/* queued: stop, then start (the start wins) */
	assert_int_equal(lcx_timer_stop(&t), 0); /* nothing armed or queued: no op */
	assert_int_equal(lcx_timer_start(f->ctx, &t, 2 * T_NS, 0, LCX_TIMER_AT_LEAST), 0);
	assert_int_equal(lcx_timer_stop(&t), 0);
	assert_int_equal(lcx_timer_start(f->ctx, &t, 2 * T_NS, 0, LCX_TIMER_AT_LEAST), 0);
	assert_true(step(f, T_NS));
	assert_true(lcx_timer_is_pending(&t));
	assert_int_equal(f->ctx->heap_at_least.n, 1);
	/* a queued stop of an armed timer: effective at the next react */
	assert_int_equal(lcx_timer_stop(&t), 0);
	assert_true(lcx_timer_is_pending(&t));
	assert_true(step(f, T_NS));
	assert_false(lcx_timer_is_pending(&t));
	assert_true(step(f, 5 * T_NS));
	assert_int_equal(r.fired, 0);
	/* restart while armed replaces the deadline (and the kind) */
	owner_start(f, &t, 10 * T_NS, 0, LCX_TIMER_AT_LEAST);
	owner_start(f, &t, T_NS, 0, 0);
	assert_int_equal(f->ctx->heap_at_least.n, 0);
	assert_int_equal(f->ctx->heap_regular.n, 1);
	assert_true(step(f, T_NS));
	assert_int_equal(r.fired, 1);
	assert_true(step(f, 20 * T_NS));
	assert_int_equal(r.fired, 1);
	fx_free(f);
}

/* A callback that restarts itself: fires on the new schedule. */
static void
restart_cb(struct lcx_timer *t, void *arg)
{
	struct rec *r = arg;

	rec_cb(t, arg);
	assert_false(lcx_timer_is_pending(t)); /* one-shot: disarmed before the callback */
	if (r->fired < 4)
		assert_int_equal(lcx_timer_start(r->ctx, t, 2 * T_NS + HALF, 0, 0), 0);
}

static void
test_restart_from_callback(void **state)
{
	struct fx *f = fx_new("t-restart", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer t;
	uint64_t c = now_of(f);

	(void)state;
	lcx_timer_init(&t, restart_cb, &r);
	owner_start(f, &t, 2 * T_NS + HALF, 0, 0);
	for (int i = 1; i <= 12; i++) {
		assert_true(step(f, T_NS));
		/* fires at c + 2T, c + 4T, c + 6T, c + 8T, then no more */
		assert_int_equal(r.fired, i / 2 > 4 ? 4 : i / 2);
		if (i % 2 == 0 && i <= 8)
			assert_int_equal(r.fire_now, c + (uint64_t)i * T_NS);
	}
	assert_false(lcx_timer_is_pending(&t));
	fx_free(f);
}

/* An interval timer that stops itself on its third fire. */
static void
stop_self_cb(struct lcx_timer *t, void *arg)
{
	struct rec *r = arg;

	rec_cb(t, arg);
	assert_true(lcx_timer_is_pending(t)); /* interval: still armed */
	if (r->fired == 3)
		assert_int_equal(lcx_timer_stop(t), 0);
}

static void
test_interval_stops_itself(void **state)
{
	struct fx *f = fx_new("t-stopself", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer t;

	(void)state;
	lcx_timer_init(&t, stop_self_cb, &r);
	owner_start(f, &t, T_NS, T_NS, LCX_TIMER_AT_LEAST);
	for (int i = 0; i < 10; i++)
		assert_true(step(f, T_NS));
	assert_int_equal(r.fired, 3);
	assert_false(lcx_timer_is_pending(&t));
	fx_free(f);
}

/*
 * Three timers due in one react, a < b < c. a's callback stops b and frees it,
 * restarts c for later, and frees itself. ASan sees any touch of freed memory.
 */
struct trio {
	struct lcx_timer *a, *b, *c;
	struct lcx_context *ctx;
	int a_fired, b_fired, c_fired;
};

static void
trio_a(struct lcx_timer *t, void *arg)
{
	struct trio *x = arg;

	x->a_fired++;
	assert_true(lcx_timer_is_pending(x->b));
	assert_int_equal(lcx_timer_stop(x->b), 0);
	assert_false(lcx_timer_is_pending(x->b));
	free(x->b);
	x->b = NULL;
	assert_int_equal(lcx_timer_start(x->ctx, x->c, 3 * T_NS, 0, 0), 0);
	free(t);
	x->a = NULL;
}

static void
trio_b(struct lcx_timer *t, void *arg)
{
	(void)t;
	((struct trio *)arg)->b_fired++;
}

static void
trio_c(struct lcx_timer *t, void *arg)
{
	(void)t;
	((struct trio *)arg)->c_fired++;
}

static void
test_callback_stops_frees_others(void **state)
{
	struct fx *f = fx_new("t-trio", T_NS);
	struct trio x = { .ctx = f->ctx };

	(void)state;
	x.a = malloc(sizeof(*x.a));
	x.b = malloc(sizeof(*x.b));
	x.c = malloc(sizeof(*x.c));
	lcx_timer_init(x.a, trio_a, &x);
	lcx_timer_init(x.b, trio_b, &x);
	lcx_timer_init(x.c, trio_c, &x);
	owner_start(f, x.a, 1 * US, 0, 0);
	owner_start(f, x.b, 2 * US, 0, LCX_TIMER_AT_LEAST);
	owner_start(f, x.c, 3 * US, 0, 0);
	assert_true(step(f, T_NS));
	assert_int_equal(x.a_fired, 1);
	assert_int_equal(x.b_fired, 0);
	assert_int_equal(x.c_fired, 0); /* restarted for later by a */
	assert_true(lcx_timer_is_pending(x.c));
	assert_true(step(f, T_NS));
	assert_int_equal(x.c_fired, 0);
	assert_true(step(f, T_NS)); /* c's deadline is R1 + 3T: not due at R3 = R1 + 2T */
	assert_int_equal(x.c_fired, 0);
	assert_true(step(f, T_NS));
	assert_int_equal(x.c_fired, 1);
	free(x.c);
	fx_free(f);
}

/* --- many timers --- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

#define NB_MANY 100000

struct many {
	struct lcx_timer *t;
	uint64_t *deadline; /* what each timer was armed for */
	uint8_t *fired;
	uint32_t nb_fired;
	uint64_t last_deadline;
	bool in_order;
	struct lcx_context *ctx;
	uint64_t arm_now;             /* when they were armed (one react slice) */
	uint64_t max_early, max_late; /* checked against the contract */
};

static struct many *many_g;

static void
many_cb(struct lcx_timer *t, void *arg)
{
	struct many *m = many_g;
	uintptr_t i = (uintptr_t)arg;
	uint64_t now = lcx_context_now(m->ctx);

	(void)t;
	m->fired[i]++;
	m->nb_fired++;
	if (m->deadline[i] < m->last_deadline)
		m->in_order = false;
	m->last_deadline = m->deadline[i];
	if (m->deadline[i] > now && m->deadline[i] - now > m->max_early)
		m->max_early = m->deadline[i] - now;
	/*
	 * Armed right after a react: a deadline within T/2 of the arming waits for
	 * the next react, up to T late; any later one is at most T/2 late.
	 */
	if (now > m->deadline[i] && m->deadline[i] - m->arm_now >= HALF &&
	    now - m->deadline[i] > m->max_late)
		m->max_late = now - m->deadline[i];
	if (now > m->deadline[i] + T_NS)
		m->max_late = UINT64_MAX;
}

struct many_arm {
	struct many *m;
	uint32_t *perm;
	uint64_t span;
	uint32_t flags_every; /* 0: all regular; k: every k-th at-least */
};

static int
many_arm_fn(struct lcx_context *ctx, void *arg)
{
	struct many_arm *a = arg;

	for (uint32_t k = 0; k < NB_MANY; k++) {
		uint32_t i = a->perm[k];
		uint64_t d = rng() % a->span;
		uint32_t fl = (a->flags_every && i % a->flags_every == 0) ? LCX_TIMER_AT_LEAST : 0;
		int rc = lcx_timer_start(ctx, &a->m->t[i], d, 0, fl);

		if (rc != 0)
			return rc;
		a->m->deadline[i] = a->m->t[i].deadline;
	}
	return 0;
}

static struct many *
many_new(struct fx *f)
{
	struct many *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->t = calloc(NB_MANY, sizeof(*m->t));
	m->deadline = calloc(NB_MANY, sizeof(*m->deadline));
	m->fired = calloc(NB_MANY, 1);
	assert_non_null(m->t);
	assert_non_null(m->deadline);
	assert_non_null(m->fired);
	m->in_order = true;
	m->ctx = f->ctx;
	for (uintptr_t i = 0; i < NB_MANY; i++)
		lcx_timer_init(&m->t[i], many_cb, (void *)i);
	many_g = m;
	return m;
}

static void
many_free(struct many *m)
{
	free(m->t);
	free(m->deadline);
	free(m->fired);
	free(m);
	many_g = NULL;
}

static uint32_t *
shuffled(uint32_t n)
{
	uint32_t *p = malloc(n * sizeof(*p));

	assert_non_null(p);
	for (uint32_t i = 0; i < n; i++)
		p[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % (i + 1));
		uint32_t x = p[i];

		p[i] = p[j];
		p[j] = x;
	}
	return p;
}

/* 100 000 regular timers, random deadlines over 100 ms, armed in random order. */
static void
test_many_timers_in_order(void **state)
{
	struct fx *f = fx_new("t-many", T_NS);
	struct many *m = many_new(f);
	uint32_t *perm = shuffled(NB_MANY);
	struct many_arm a = { m, perm, 100 * MS, 0 };
	struct lcx_context_stats st;

	(void)state;
	m->arm_now = now_of(f);
	assert_int_equal(lcx_context_enter(f->ctx, many_arm_fn, &a), 0);
	assert_int_equal(f->ctx->heap_regular.n, NB_MANY);
	check_heaps(f->ctx);
	/* stop a tenth of them (random ones), re-arm half of those */
	for (uint32_t k = 0; k < NB_MANY / 10; k++)
		assert_int_equal(lcx_context_enter(f->ctx, stop_fn, &m->t[perm[k]]), 0);
	check_heaps(f->ctx);
	for (uint32_t k = 0; k < NB_MANY / 20; k++) {
		struct arm_req r = { &m->t[perm[k]], rng() % (100 * MS), 0, 0 };

		assert_int_equal(lcx_context_enter(f->ctx, arm_fn, &r), 0);
		m->deadline[perm[k]] = m->t[perm[k]].deadline;
	}
	check_heaps(f->ctx);
	uint32_t armed = f->ctx->heap_regular.n;

	assert_int_equal(armed, NB_MANY - NB_MANY / 20);
	for (int i = 0; i < 102; i++)
		assert_true(step(f, T_NS));
	assert_int_equal(m->nb_fired, armed);
	assert_true(m->in_order);
	assert_true(m->max_early <= HALF);
	assert_true(m->max_late <= HALF);
	for (uint32_t k = 0; k < NB_MANY; k++)
		assert_int_equal(m->fired[perm[k]],
				 (k < NB_MANY / 20 || k >= NB_MANY / 10) ? 1 : 0);
	assert_int_equal(f->ctx->heap_regular.n, 0);
	lcx_context_stats(f->ctx, &st);
	assert_int_equal(st.timers_fired, armed);
	assert_true(st.timer_early_max_ns <= HALF);
	free(perm);
	many_free(m);
	fx_free(f);
}

/* 100 000 timers, a third at-least, all due in one react: one pass in deadline order. */
static void
test_many_timers_one_react(void **state)
{
	struct fx *f = fx_new("t-many1", T_NS);
	struct many *m = many_new(f);
	uint32_t *perm = shuffled(NB_MANY);
	struct many_arm a = { m, perm, 50 * MS, 3 };

	(void)state;
	assert_int_equal(lcx_context_enter(f->ctx, many_arm_fn, &a), 0);
	check_heaps(f->ctx);
	assert_int_equal(f->ctx->heap_regular.n + f->ctx->heap_at_least.n, NB_MANY);
	assert_true(step(f, 60 * MS));
	assert_int_equal(m->nb_fired, NB_MANY);
	assert_true(m->in_order);
	for (uint32_t i = 0; i < NB_MANY; i++)
		assert_int_equal(m->fired[i], 1);
	free(perm);
	many_free(m);
	fx_free(f);
}

/* Random starts/stops/restarts against a model of what must fire when. */
#define NB_MODEL 512

static uint32_t model_fired[NB_MODEL];

static void
model_cb(struct lcx_timer *t, void *arg)
{
	(void)t;
	model_fired[(uintptr_t)arg]++;
}

static void
test_random_against_model(void **state)
{
	struct fx *f = fx_new("t-model", T_NS);
	static struct lcx_timer t[NB_MODEL];
	uint64_t dl[NB_MODEL];
	bool armed[NB_MODEL];
	uint32_t at_least[NB_MODEL];

	(void)state;
	memset(model_fired, 0, sizeof(model_fired));
	memset(armed, 0, sizeof(armed));
	for (uintptr_t i = 0; i < NB_MODEL; i++)
		lcx_timer_init(&t[i], model_cb, (void *)i);
	for (int round = 0; round < 200; round++) {
		for (int k = 0; k < 64; k++) {
			uint32_t i = (uint32_t)(rng() % NB_MODEL);

			if (rng() % 4 == 0) {
				owner_stop(f, &t[i]);
				armed[i] = false;
			} else {
				struct arm_req r = { &t[i], rng() % (8 * T_NS), 0,
						     (rng() & 1) ? LCX_TIMER_AT_LEAST : 0 };

				assert_int_equal(lcx_context_enter(f->ctx, arm_fn, &r), 0);
				dl[i] = now_of(f) + r.delay;
				at_least[i] = r.flags;
				armed[i] = true;
			}
		}
		check_heaps(f->ctx);
		uint32_t before[NB_MODEL];

		memcpy(before, model_fired, sizeof(before));
		uint64_t adv = T_NS + rng() % (2 * T_NS);

		assert_true(step(f, adv));
		uint64_t now = now_of(f);

		for (uint32_t i = 0; i < NB_MODEL; i++) {
			bool due = armed[i] && (at_least[i] ? dl[i] <= now : dl[i] <= now + HALF);

			assert_int_equal(model_fired[i] - before[i], due ? 1 : 0);
			if (due)
				armed[i] = false;
			assert_int_equal(lcx_timer_is_pending(&t[i]), armed[i]);
		}
	}
	fx_free(f);
}

/* --- busy polling: T = 0, timers checked every iteration --- */

static void
test_busy_fires_at_deadline(void **state)
{
	struct fx *f = fx_new("t-busy", 0);
	struct rec ra = { .ctx = f->ctx }, rb = { .ctx = f->ctx };
	struct lcx_timer a, b;
	uint64_t c = now_of(f);

	(void)state;
	lcx_timer_init(&a, rec_cb, &ra);
	lcx_timer_init(&b, rec_cb, &rb);
	owner_start(f, &a, 1000, 0, 0);
	owner_start(f, &b, 2000, 0, LCX_TIMER_AT_LEAST);
	assert_false(step(f, 999));
	assert_int_equal(ra.fired, 0);
	assert_false(step(f, 1)); /* no react: the due check fires it */
	assert_int_equal(ra.fired, 1);
	assert_int_equal(ra.fire_now, c + 1000);
	assert_false(step(f, 999));
	assert_int_equal(rb.fired, 0);
	assert_false(step(f, 1));
	assert_int_equal(rb.fired, 1);
	/* a queued start is seen by the due check too */
	assert_int_equal(lcx_timer_start(f->ctx, &a, 500, 0, 0), 0);
	assert_int_equal(f->ctx->heap_regular.n, 0);
	assert_false(step(f, 1));
	assert_int_equal(f->ctx->heap_regular.n, 1);
	assert_true(lcx_timer_is_pending(&a));
	assert_false(step(f, 498)); /* 1 ns before its deadline */
	assert_int_equal(ra.fired, 1);
	assert_false(step(f, 1));
	assert_int_equal(ra.fired, 2);
	fx_free(f);
}

/* --- cross-thread --- */

struct producer {
	struct lcx_context *ctx;
	struct lcx_timer *t;
	uint32_t n;
	int err;
	_Atomic bool done;
};

#define NB_XT 5000

static void *
producer_main(void *arg)
{
	struct producer *p = arg;

	/* start every timer far in the future (a week: the drain loop below advances
	 * the manual clock one throttle per step, however long the producer takes),
	 * then stop the even ones */
	for (uint32_t i = 0; i < p->n; i++)
		if (lcx_timer_start(p->ctx, &p->t[i], 7ull * 24 * 3600 * 1000 * MS, 0,
				    (i % 3 == 0) ? LCX_TIMER_AT_LEAST : 0) != 0)
			p->err++;
	for (uint32_t i = 0; i < p->n; i += 2)
		if (lcx_timer_stop(&p->t[i]) != 0)
			p->err++;
	/* and one that fires: its deadline is read from the context's clock */
	if (lcx_timer_start(p->ctx, &p->t[p->n], 0, 0, 0) != 0)
		p->err++;
	atomic_store(&p->done, true);
	return NULL;
}

static void
test_cross_thread_overflow(void **state)
{
	struct fx *f = fx_new("t-xthread", T_NS);
	struct producer p = { .ctx = f->ctx, .n = NB_XT };
	struct rec r = { .ctx = f->ctx };
	struct lcx_context_stats st;
	pthread_t th;
	struct timespec ms = { 0, 1000000 };

	(void)state;
	p.t = calloc(NB_XT + 1, sizeof(*p.t));
	assert_non_null(p.t);
	for (uint32_t i = 0; i <= NB_XT; i++)
		lcx_timer_init(&p.t[i], rec_cb, &r);
	assert_int_equal(pthread_create(&th, NULL, producer_main, &p), 0);
	/* Let the producer fill the queue: it must block and retry, not drop. */
	for (int i = 0; i < 10000; i++) {
		lcx_context_stats(f->ctx, &st);
		if (st.timer_ops_full > 0)
			break;
		nanosleep(&ms, NULL);
	}
	assert_true(st.timer_ops_full > 0);
	assert_int_equal(atomic_load(&f->ctx->ops_tail) - f->ctx->ops_head,
			 LCX_TIMER_OPS_CAPACITY);
	/*
	 * Drive the owner until the producer is done and its queue is drained.
	 * Bounded by the wall clock, not by a count of iterations: on a loaded
	 * machine the producer thread can be off its CPU for seconds while this
	 * loop spins (a million iterations once ran out first, 1 run in 25).
	 */
	{
		struct timespec t0, t;
		bool drained = false;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			bool done = atomic_load(&p.done);

			step(f, T_NS);
			if (done && f->ctx->ops_head == atomic_load(&f->ctx->ops_tail)) {
				drained = true;
				break;
			}
			sched_yield();
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while (t.tv_sec - t0.tv_sec < 60);
		assert_true(drained);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(atomic_load(&p.done));
	assert_int_equal(p.err, 0);
	assert_int_equal(f->ctx->ops_head, (uint64_t)NB_XT + NB_XT / 2 + 1);
	check_heaps(f->ctx);
	assert_int_equal(f->ctx->heap_regular.n + f->ctx->heap_at_least.n, NB_XT / 2);
	for (uint32_t i = 0; i < NB_XT; i++) {
		assert_int_equal(lcx_timer_is_pending(&p.t[i]), i % 2 == 1);
		assert_int_equal(p.t[i].flags & 0xffff0000u, 0); /* no op left counted */
	}
	assert_int_equal(r.fired, 1);
	/* Stop from this thread (not the owner): effective at the next react. */
	for (uint32_t i = 1; i < NB_XT; i += 2)
		if (i < 2 * LCX_TIMER_OPS_CAPACITY - 2)
			assert_int_equal(lcx_timer_stop(&p.t[i]), 0);
	assert_true(step(f, T_NS));
	assert_int_equal(f->ctx->heap_regular.n + f->ctx->heap_at_least.n,
			 NB_XT / 2 - (LCX_TIMER_OPS_CAPACITY - 1));
	fx_free(f); /* drops the armed ones: only then may they be freed */
	for (uint32_t i = 0; i <= NB_XT; i++)
		assert_false(lcx_timer_is_pending(&p.t[i]));
	free(p.t);
}

/* A context thread that fills another's queue while its own is full cannot deadlock. */
struct xfill {
	struct lcx_context *other;
	struct lcx_timer *t;
	uint32_t n;
	int err;
};

static int
xfill_fn(struct lcx_context *ctx, void *arg)
{
	struct xfill *x = arg;

	(void)ctx;
	for (uint32_t i = 0; i < x->n; i++)
		if (lcx_timer_start(x->other, &x->t[i], 1000 * MS, 0, 0) != 0)
			x->err++;
	return 0;
}

static void
test_stop_drops_armed(void **state)
{
	struct fx *f = fx_new("t-drop", T_NS);
	struct rec r = { .ctx = f->ctx };
	struct lcx_timer a, b, q;

	(void)state;
	lcx_timer_init(&a, rec_cb, &r);
	lcx_timer_init(&b, rec_cb, &r);
	lcx_timer_init(&q, rec_cb, &r);
	owner_start(f, &a, 10 * MS, 0, 0);
	owner_start(f, &b, 10 * MS, MS, LCX_TIMER_AT_LEAST);
	assert_int_equal(lcx_timer_start(f->ctx, &q, 0, 0, 0), 0); /* queued */
	assert_int_equal(lcx_context_stop(f->ctx), 0);
	assert_false(lcx_timer_is_pending(&a));
	assert_false(lcx_timer_is_pending(&b));
	assert_false(lcx_timer_is_pending(&q));
	assert_int_equal(q.flags & 0xffff0000u, 0);
	assert_int_equal(lcx_timer_start(f->ctx, &q, 0, 0, 0), -ESHUTDOWN);
	assert_int_equal(lcx_timer_stop(&a), 0);
	assert_int_equal(r.fired, 0);
	fx_free(f);
}

/*
 * Two thread contexts, each told (through enter) to push 3000 starts to the
 * other at the same time: both queues fill while both owners are busy pushing.
 * A producer that is itself a context drains its own queue while it waits, so
 * this ends instead of waiting forever.
 */
struct enter_args {
	struct lcx_context *c;
	struct xfill *x;
	int ret;
};

static void *
enter_main(void *arg)
{
	struct enter_args *ea = arg;

	ea->ret = lcx_context_enter(ea->c, xfill_fn, ea->x);
	return NULL;
}

static int
count_armed_fn(struct lcx_context *ctx, void *arg)
{
	(void)arg;
	return (int)(ctx->heap_regular.n + ctx->heap_at_least.n);
}

static void
test_two_contexts_fill_each_other(void **state)
{
	struct lcx_context *c1, *c2;
	struct lcx_context_conf conf = { .throttle_ns = 5 * MS, .launch = LCX_LAUNCH_THREAD,
					 .cpu = -1, .socket_id = -1 };
	struct lcx_timer *t = calloc(6000, sizeof(*t));
	struct rec r = { 0 };
	struct xfill x1, x2;
	struct enter_args e1, e2;
	struct lcx_context_stats s1, s2;
	struct timespec ms = { 0, 1000000 };
	pthread_t th1, th2;
	int n1 = 0, n2 = 0;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 6000; i++)
		lcx_timer_init(&t[i], rec_cb, &r);
	conf.name = "t-x1";
	assert_int_equal(lcx_context_acquire(&conf, &c1), 0);
	conf.name = "t-x2";
	assert_int_equal(lcx_context_acquire(&conf, &c2), 0);
	x1 = (struct xfill){ .other = c2, .t = t, .n = 3000 };
	x2 = (struct xfill){ .other = c1, .t = t + 3000, .n = 3000 };
	e1 = (struct enter_args){ .c = c1, .x = &x1 };
	e2 = (struct enter_args){ .c = c2, .x = &x2 };
	assert_int_equal(pthread_create(&th1, NULL, enter_main, &e1), 0);
	assert_int_equal(pthread_create(&th2, NULL, enter_main, &e2), 0);
	assert_int_equal(pthread_join(th1, NULL), 0);
	assert_int_equal(pthread_join(th2, NULL), 0);
	assert_int_equal(e1.ret, 0);
	assert_int_equal(e2.ret, 0);
	assert_int_equal(x1.err + x2.err, 0);
	/* Every op is applied within a few reacts. */
	for (int i = 0; i < 5000 && (n1 != 3000 || n2 != 3000); i++) {
		nanosleep(&ms, NULL);
		n1 = lcx_context_enter(c1, count_armed_fn, NULL);
		n2 = lcx_context_enter(c2, count_armed_fn, NULL);
	}
	assert_int_equal(n1, 3000);
	assert_int_equal(n2, 3000);
	lcx_context_stats(c1, &s1);
	lcx_context_stats(c2, &s2);
	assert_true(s1.timer_ops_full + s2.timer_ops_full > 0);
	lcx_context_release(c1);
	lcx_context_release(c2);
	for (int i = 0; i < 6000; i++)
		assert_false(lcx_timer_is_pending(&t[i]));
	assert_int_equal(r.fired, 0);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_regular_half_edge),
		cmocka_unit_test(test_regular_half_edge_queued),
		cmocka_unit_test(test_short_delay_next_react),
		cmocka_unit_test(test_at_least_never_early),
		cmocka_unit_test(test_stale_now_setup),
		cmocka_unit_test(test_stale_now_task),
		cmocka_unit_test(test_mixed_order),
		cmocka_unit_test(test_interval_skips_missed),
		cmocka_unit_test(test_restart_zero_from_callback),
		cmocka_unit_test(test_stop_before_fire),
		cmocka_unit_test(test_restart_from_callback),
		cmocka_unit_test(test_interval_stops_itself),
		cmocka_unit_test(test_callback_stops_frees_others),
		cmocka_unit_test(test_many_timers_in_order),
		cmocka_unit_test(test_many_timers_one_react),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_busy_fires_at_deadline),
		cmocka_unit_test(test_cross_thread_overflow),
		cmocka_unit_test(test_stop_drops_armed),
		cmocka_unit_test(test_two_contexts_fill_each_other),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
