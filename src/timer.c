/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-context timers.
 *
 * Each context keeps two intrusive binary min-heaps keyed by deadline, one for
 * regular timers and one for at-least timers; a timer stores its index in the
 * heap, so start and stop are O(log n). Other threads do not touch the heaps:
 * they queue start/stop operations in a bounded MPSC ring (Vyukov: one
 * sequence number per slot) that the owner applies at its next react.
 *
 * A react first moves every due timer out of the heaps into the ready list
 * (ctx->timer_ready, merged in deadline order), then runs their callbacks. So
 * the set of timers that fire in a react is fixed before the first callback
 * runs: a timer started or restarted by a callback fires at a later react,
 * never twice in one react, and a loop of self-restarting timers cannot spin.
 * Stopping a timer that is in the ready list clears its slot there.
 *
 * The timer's flags word holds, besides the public flags: ARMED (in a
 * heap or in the ready list), READY (in the ready list; heap_idx is then the
 * index there) and, in bits 16..31, the number of operations queued for it
 * by other threads. The owner changes its bits and producers change the
 * count, so every update of the word is an atomic read-modify-write.
 */

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "lcx_private.h"

#define OPS_MASK ((uint64_t)LCX_TIMER_OPS_CAPACITY - 1)
_Static_assert((LCX_TIMER_OPS_CAPACITY & (LCX_TIMER_OPS_CAPACITY - 1)) == 0,
	       "the timer ops ring size must be a power of two");

#define TIMER_PUBLIC LCX_TIMER_AT_LEAST
#define TIMER_ARMED LCX__TIMER_ARMED
#define TIMER_READY 0x400u            /* in ctx->timer_ready */
#define TIMER_QUEUED_ONE 0x10000u     /* one op queued by another thread */
#define TIMER_QUEUED_MASK 0xffff0000u /* how many */
_Static_assert(((TIMER_READY | TIMER_QUEUED_MASK) & (TIMER_PUBLIC | TIMER_ARMED)) == 0 &&
		       (TIMER_READY & TIMER_QUEUED_MASK) == 0,
	       "timer flag bits overlap");

#define IDX_NONE UINT32_MAX
#define HEAP_MIN_CAP 64u
#define HEAP_MAX_CAP (1u << 30)

/* An operation copied out of the ring. */
struct timer_op {
	struct lcx_timer *timer;
	uint64_t deadline;
	uint64_t period;
	uint32_t flags;
	uint32_t op;
};

static inline uint64_t
sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return UINT64_MAX;
	return r;
}

static inline uint32_t
flags_load(const struct lcx_timer *t)
{
	return __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE);
}

static inline void
flags_clear(struct lcx_timer *t, uint32_t bits)
{
	__atomic_fetch_and(&t->flags, ~bits, __ATOMIC_RELEASE);
}

static inline void
flags_set(struct lcx_timer *t, uint32_t bits)
{
	__atomic_fetch_or(&t->flags, bits, __ATOMIC_RELEASE);
}

static inline struct lcx_timer_heap *
heap_of(struct lcx_context *ctx, uint32_t flags)
{
	return (flags & LCX_TIMER_AT_LEAST) ? &ctx->heap_at_least : &ctx->heap_regular;
}

/* --- the heaps --- */

static inline void
heap_place(struct lcx_timer_heap *h, uint32_t i, struct lcx_timer *t)
{
	h->v[i] = t;
	t->heap_idx = i;
}

static void
sift_up(struct lcx_timer_heap *h, uint32_t i)
{
	struct lcx_timer *t = h->v[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (h->v[p]->deadline <= t->deadline)
			break;
		heap_place(h, i, h->v[p]);
		i = p;
	}
	heap_place(h, i, t);
}

static void
sift_down(struct lcx_timer_heap *h, uint32_t i)
{
	struct lcx_timer *t = h->v[i];
	uint32_t n = h->n;

	for (;;) {
		uint32_t c = 2 * i + 1; /* n <= HEAP_MAX_CAP: no overflow */

		if (c >= n)
			break;
		if (c + 1 < n && h->v[c + 1]->deadline < h->v[c]->deadline)
			c++;
		if (t->deadline <= h->v[c]->deadline)
			break;
		heap_place(h, i, h->v[c]);
		i = c;
	}
	heap_place(h, i, t);
}

static void
heap_push(struct lcx_timer_heap *h, struct lcx_timer *t)
{
	heap_place(h, h->n, t);
	h->n++;
	sift_up(h, h->n - 1);
}

static void
heap_remove(struct lcx_timer_heap *h, uint32_t i)
{
	struct lcx_timer *last;

	h->n--;
	last = h->v[h->n];
	h->v[h->n] = NULL;
	if (i == h->n)
		return;
	heap_place(h, i, last);
	if (i > 0 && h->v[(i - 1) / 2]->deadline > last->deadline)
		sift_up(h, i);
	else
		sift_down(h, i);
}

/* Make room for `need` entries, doubling. Keeps the first h->n entries. */
static int
vec_reserve(struct lcx_context *ctx, struct lcx_timer_heap *h, uint32_t need)
{
	struct lcx_timer **v;
	uint32_t cap;

	if (LCX_LIKELY(need <= h->cap))
		return 0;
	cap = h->cap ? h->cap : HEAP_MIN_CAP;
	while (cap < need) {
		if (cap >= HEAP_MAX_CAP)
			return -ENOMEM;
		cap *= 2;
	}
	v = lcx__ctx_zalloc(ctx, (size_t)cap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	if (h->n > 0)
		memcpy(v, h->v, (size_t)h->n * sizeof(*v));
	if (h->v != NULL)
		lcx__ctx_free(ctx, h->v, (size_t)h->cap * sizeof(*v));
	h->v = v;
	h->cap = cap;
	return 0;
}

/*
 * Room for one more armed timer in heap h. The ready list must be able to
 * take every armed timer at once (a react may find them all due).
 */
static int
timer_reserve(struct lcx_context *ctx, struct lcx_timer_heap *h)
{
	int rc;

	rc = vec_reserve(ctx, h, h->n + 1);
	if (rc < 0)
		return rc;
	return vec_reserve(ctx, &ctx->timer_ready,
			   ctx->heap_regular.n + ctx->heap_at_least.n + 1);
}

static void
vec_free(struct lcx_context *ctx, struct lcx_timer_heap *h)
{
	if (h->v != NULL)
		lcx__ctx_free(ctx, h->v, (size_t)h->cap * sizeof(*h->v));
	h->v = NULL;
	h->n = 0;
	h->cap = 0;
}

/* --- owner-side start and stop --- */

/* Is t armed on ctx (in one of its heaps or in its ready list)? */
static bool
timer_is_mine(struct lcx_context *ctx, const struct lcx_timer *t, uint32_t f)
{
	const struct lcx_timer_heap *h;

	if (!(f & TIMER_ARMED))
		return false;
	h = (f & TIMER_READY) ? &ctx->timer_ready : heap_of(ctx, f);
	return t->heap_idx < h->n && h->v[t->heap_idx] == t;
}

/* Take an armed timer of ctx out of its heap or the ready list. */
static void
timer_detach(struct lcx_context *ctx, struct lcx_timer *t, uint32_t f)
{
	if (f & TIMER_READY)
		ctx->timer_ready.v[t->heap_idx] = NULL;
	else
		heap_remove(heap_of(ctx, f), t->heap_idx);
	t->heap_idx = IDX_NONE;
	flags_clear(t, TIMER_ARMED | TIMER_READY);
}

/* Arm t on ctx at an absolute deadline. Owner thread. */
static int
timer_arm(struct lcx_context *ctx, struct lcx_timer *t, uint64_t deadline, uint64_t period,
	  uint32_t flags)
{
	struct lcx_timer_heap *h = heap_of(ctx, flags);
	uint32_t f = flags_load(t);
	bool mine = timer_is_mine(ctx, t, f);
	int rc;

	if ((f & TIMER_ARMED) && !mine)
		return -EINVAL; /* armed on another context */
	/* Reserve first, so that a failure leaves the earlier arming as it was. */
	rc = timer_reserve(ctx, h);
	if (rc < 0)
		return rc;
	if (mine)
		timer_detach(ctx, t, f);
	t->deadline = deadline;
	t->period = period;
	__atomic_store_n(&t->ctx, ctx, __ATOMIC_RELEASE);
	flags_clear(t, TIMER_PUBLIC);
	flags_set(t, flags | TIMER_ARMED);
	heap_push(h, t);
	return 0;
}

static void
timer_disarm(struct lcx_context *ctx, struct lcx_timer *t)
{
	uint32_t f = flags_load(t);

	if (timer_is_mine(ctx, t, f))
		timer_detach(ctx, t, f);
}

/* --- the cross-thread ring --- */

static inline bool
ops_pending(const struct lcx_context *ctx)
{
	const struct lcx_timer_op *s = &ctx->ops[ctx->ops_head & OPS_MASK];

	return __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == ctx->ops_head + 1;
}

/* Take the next op out of the ring, if one is published. Owner thread. */
static bool
ops_pop(struct lcx_context *ctx, struct timer_op *out)
{
	uint64_t head = ctx->ops_head;
	struct lcx_timer_op *s = &ctx->ops[head & OPS_MASK];

	if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != head + 1)
		return false;
	out->timer = s->timer;
	out->deadline = s->deadline;
	out->period = s->period;
	out->flags = s->flags;
	out->op = s->op;
	/* The slot is free again for the producer one lap later. */
	__atomic_store_n(&s->seq, head + LCX_TIMER_OPS_CAPACITY, __ATOMIC_RELEASE);
	ctx->ops_head = head + 1;
	return true;
}

static void
op_apply(struct lcx_context *ctx, const struct timer_op *op)
{
	struct lcx_timer *t = op->timer;
	int rc;

	if (op->op == LCX__TIMER_OP_START) {
		rc = timer_arm(ctx, t, op->deadline, op->period, op->flags);
		if (rc < 0)
			LCX_LOG(ERR, "%s: queued timer start dropped: %s", ctx->name,
				rc == -EINVAL ? "armed on another context" : "out of memory");
	} else {
		timer_disarm(ctx, t);
	}
	/* Last touch of the timer for this op. */
	__atomic_fetch_sub(&t->flags, TIMER_QUEUED_ONE, __ATOMIC_RELEASE);
}

/* Apply queued operations, at most one ring's worth. Owner thread. */
static void
ops_apply(struct lcx_context *ctx)
{
	struct timer_op op;
	unsigned int i;

	for (i = 0; i < LCX_TIMER_OPS_CAPACITY; i++) {
		if (!ops_pop(ctx, &op))
			break;
		op_apply(ctx, &op);
	}
}

/* Try once to queue an op. @return false if the ring is full. */
static bool
ops_try_push(struct lcx_context *ctx, const struct timer_op *op)
{
	uint64_t pos = atomic_load_explicit(&ctx->ops_tail, memory_order_relaxed);
	struct lcx_timer_op *s;

	for (;;) {
		int64_t dif;

		s = &ctx->ops[pos & OPS_MASK];
		dif = (int64_t)(__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) - pos);
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&ctx->ops_tail, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
			/* pos was reloaded by the failed exchange */
		} else if (dif < 0) {
			return false; /* the slot one lap back is not consumed yet */
		} else {
			pos = atomic_load_explicit(&ctx->ops_tail, memory_order_relaxed);
		}
	}
	s->timer = op->timer;
	s->deadline = op->deadline;
	s->period = op->period;
	s->flags = op->flags;
	s->op = op->op;
	__atomic_store_n(&s->seq, pos + 1, __ATOMIC_RELEASE);
	return true;
}

/*
 * Queue an op for ctx from another thread. A full ring is never a loss: count
 * it, unpark the owner, yield and retry. A context thread waiting here applies
 * its own queue meanwhile, so two contexts that fill each other's queues
 * cannot wait for each other forever.
 *
 * ops_users counts the producers in here, so that lcx__timers_fini() frees
 * the ring only once none can touch it: a producer announces itself, then
 * checks the stop flag; the stopper sets the flag, then waits for the count.
 */
static int
ops_push(struct lcx_context *ctx, const struct timer_op *op)
{
	struct lcx_context *self = lcx__current;
	bool counted = false;
	int rc = 0;

	atomic_fetch_add(&ctx->ops_users, 1);
	if (lcx_context_is_stopping(ctx)) {
		rc = -ESHUTDOWN;
		goto out;
	}
	__atomic_fetch_add(&op->timer->flags, TIMER_QUEUED_ONE, __ATOMIC_ACQ_REL);
	while (!ops_try_push(ctx, op)) {
		if (!counted) {
			__atomic_fetch_add(&ctx->st.timer_ops_full, 1, __ATOMIC_RELAXED);
			counted = true;
		}
		if (lcx_context_is_stopping(ctx)) {
			__atomic_fetch_sub(&op->timer->flags, TIMER_QUEUED_ONE, __ATOMIC_RELEASE);
			rc = -ESHUTDOWN;
			goto out;
		}
		lcx_context_unpark(ctx);
		if (self != NULL && self != ctx && self->ops != NULL)
			ops_apply(self);
		sched_yield();
	}
	lcx__context_remote_event(ctx);
out:
	atomic_fetch_sub(&ctx->ops_users, 1);
	return rc;
}

/* --- the public API --- */

void
lcx_timer_init(struct lcx_timer *timer, lcx_timer_fn fn, void *arg)
{
	if (timer == NULL)
		return;
	memset(timer, 0, sizeof(*timer));
	timer->fn = fn;
	timer->arg = arg;
	timer->heap_idx = IDX_NONE;
}

int
lcx_timer_start(struct lcx_context *ctx, struct lcx_timer *timer, uint64_t delay_ns,
		uint64_t period_ns, uint32_t flags)
{
	struct lcx_context *cur;
	struct timer_op op;
	uint32_t f;

	if (ctx == NULL || timer == NULL || timer->fn == NULL || (flags & ~TIMER_PUBLIC) != 0)
		return -EINVAL;
	cur = __atomic_load_n(&timer->ctx, __ATOMIC_ACQUIRE);
	f = flags_load(timer);
	if (cur != NULL && cur != ctx && (f & (TIMER_ARMED | TIMER_QUEUED_MASK)) != 0)
		return -EINVAL;
	/*
	 * The delay counts from this call, not from the iteration's cached "now":
	 * set-up or a task that works a while before arming would otherwise arm
	 * from a stale time, and an at-least timer would fire early for the caller.
	 */
	if (lcx__on_owner(ctx))
		return timer_arm(ctx, timer, sat_add(lcx__clock_read(ctx), delay_ns), period_ns,
				 flags);

	op.timer = timer;
	op.deadline = sat_add(lcx__clock_read(ctx), delay_ns);
	op.period = period_ns;
	op.flags = flags;
	op.op = LCX__TIMER_OP_START;
	/* Before the push: a stop that follows from this thread goes to ctx. */
	__atomic_store_n(&timer->ctx, ctx, __ATOMIC_RELEASE);
	return ops_push(ctx, &op);
}

int
lcx_timer_stop(struct lcx_timer *timer)
{
	struct lcx_context *ctx;
	struct timer_op op;

	if (timer == NULL)
		return -EINVAL;
	ctx = __atomic_load_n(&timer->ctx, __ATOMIC_ACQUIRE);
	if (ctx == NULL)
		return 0; /* never started */
	if (lcx__on_owner(ctx)) {
		timer_disarm(ctx, timer);
		return 0;
	}
	if ((flags_load(timer) & (TIMER_ARMED | TIMER_QUEUED_MASK)) == 0)
		return 0; /* not armed, and nothing queued that could arm it */
	memset(&op, 0, sizeof(op));
	op.timer = timer;
	op.op = LCX__TIMER_OP_STOP;
	(void)ops_push(ctx, &op); /* only fails when ctx stops: then nothing is armed */
	return 0;
}

bool
lcx_timer_is_pending(const struct lcx_timer *timer)
{
	if (timer == NULL)
		return false;
	/* Queued ops count: the caller may free the timer once this is false. */
	return (flags_load(timer) & (TIMER_ARMED | TIMER_QUEUED_MASK)) != 0;
}

/* --- the context's side --- */

int
lcx__timers_init(struct lcx_context *ctx)
{
	size_t sz = (size_t)LCX_TIMER_OPS_CAPACITY * sizeof(*ctx->ops);
	uint64_t i;

	memset(&ctx->heap_regular, 0, sizeof(ctx->heap_regular));
	memset(&ctx->heap_at_least, 0, sizeof(ctx->heap_at_least));
	memset(&ctx->timer_ready, 0, sizeof(ctx->timer_ready));
	ctx->ops = lcx__ctx_zalloc(ctx, sz);
	if (ctx->ops == NULL)
		return -ENOMEM;
	for (i = 0; i < LCX_TIMER_OPS_CAPACITY; i++)
		ctx->ops[i].seq = i;
	atomic_store_explicit(&ctx->ops_tail, 0, memory_order_relaxed);
	ctx->ops_head = 0;
	ctx->early_max = 0;
	return 0;
}

static void
drop_all(struct lcx_timer_heap *h)
{
	uint32_t i;

	for (i = 0; i < h->n; i++) {
		struct lcx_timer *t = h->v[i];

		if (t == NULL)
			continue;
		t->heap_idx = IDX_NONE;
		flags_clear(t, TIMER_ARMED | TIMER_READY);
		h->v[i] = NULL;
	}
	h->n = 0;
}

void
lcx__timers_fini(struct lcx_context *ctx)
{
	struct timer_op op;

	if (ctx->ops != NULL) {
		/* The stop flag is set: wait for the producers still in ops_push(). */
		while (atomic_load(&ctx->ops_users) != 0)
			sched_yield();
		/* Queued ops are dropped; give their timers their count back. */
		while (ops_pop(ctx, &op))
			__atomic_fetch_sub(&op.timer->flags, TIMER_QUEUED_ONE, __ATOMIC_RELEASE);
		lcx__ctx_free(ctx, ctx->ops, (size_t)LCX_TIMER_OPS_CAPACITY * sizeof(*ctx->ops));
		ctx->ops = NULL;
	}
	drop_all(&ctx->heap_regular);
	drop_all(&ctx->heap_at_least);
	drop_all(&ctx->timer_ready);
	vec_free(ctx, &ctx->heap_regular);
	vec_free(ctx, &ctx->heap_at_least);
	vec_free(ctx, &ctx->timer_ready);
}

bool
lcx__timers_due(const struct lcx_context *ctx)
{
	const struct lcx_timer_heap *h = &ctx->heap_regular;

	if (h->n > 0 && h->v[0]->deadline <= sat_add(ctx->now, ctx->half_throttle))
		return true;
	h = &ctx->heap_at_least;
	if (h->n > 0 && h->v[0]->deadline <= ctx->now)
		return true;
	return ctx->ops != NULL && ops_pending(ctx);
}

uint64_t
lcx__timers_next(const struct lcx_context *ctx)
{
	uint64_t next = UINT64_MAX;

	if (ctx->heap_regular.n > 0)
		next = ctx->heap_regular.v[0]->deadline;
	if (ctx->heap_at_least.n > 0 && ctx->heap_at_least.v[0]->deadline < next)
		next = ctx->heap_at_least.v[0]->deadline;
	if (ctx->ops != NULL && ops_pending(ctx))
		next = 0;
	return next;
}

/* The next deadline of an interval timer: whole periods past limit. */
static uint64_t
next_deadline(uint64_t deadline, uint64_t period, uint64_t limit)
{
	uint64_t k, step;

	if (deadline > limit)
		return deadline;
	k = (limit - deadline) / period + 1;
	if (__builtin_mul_overflow(k, period, &step))
		return UINT64_MAX;
	return sat_add(deadline, step);
}

unsigned int
lcx__timers_react(struct lcx_context *ctx)
{
	struct lcx_timer_heap *hr = &ctx->heap_regular;
	struct lcx_timer_heap *ha = &ctx->heap_at_least;
	uint64_t now = ctx->now;
	uint64_t limit = sat_add(now, ctx->half_throttle); /* regular: deadline <= limit */
	uint64_t early_max = ctx->early_max;
	unsigned int fired = 0;
	uint32_t i, k = 0;

	if (ctx->ops != NULL && ops_pending(ctx))
		ops_apply(ctx);

	/* 1. Move what is due into the ready list, in deadline order. */
	for (;;) {
		struct lcx_timer *r = (hr->n > 0 && hr->v[0]->deadline <= limit) ? hr->v[0] : NULL;
		struct lcx_timer *a = (ha->n > 0 && ha->v[0]->deadline <= now) ? ha->v[0] : NULL;
		struct lcx_timer *t;

		if (r != NULL && (a == NULL || r->deadline <= a->deadline)) {
			t = r;
			heap_remove(hr, 0);
		} else if (a != NULL) {
			t = a;
			heap_remove(ha, 0);
		} else {
			break;
		}
		/* timer_reserve() keeps the ready list as large as all armed timers */
		ctx->timer_ready.v[k] = t;
		t->heap_idx = k;
		flags_set(t, TIMER_READY);
		k++;
	}
	if (k == 0)
		return 0;
	ctx->timer_ready.n = k;

	/* 2. Fire them. A callback may start, stop or free any timer. */
	for (i = 0; i < k; i++) {
		/* reload v: a callback that arms timers may have grown the list */
		struct lcx_timer *t = ctx->timer_ready.v[i];
		uint64_t deadline;
		uint32_t f;

		if (t == NULL)
			continue; /* stopped by an earlier callback */
		ctx->timer_ready.v[i] = NULL;
		f = flags_load(t);
		deadline = t->deadline;
		if (t->period != 0) {
			struct lcx_timer_heap *h = heap_of(ctx, f);

			t->deadline = next_deadline(deadline, t->period,
						    (f & LCX_TIMER_AT_LEAST) ? now : limit);
			flags_clear(t, TIMER_READY);
			if (LCX_UNLIKELY(timer_reserve(ctx, h) < 0)) {
				LCX_LOG(ERR, "%s: interval timer dropped: out of memory",
					ctx->name);
				t->heap_idx = IDX_NONE;
				flags_clear(t, TIMER_ARMED);
			} else {
				heap_push(h, t);
			}
		} else {
			t->heap_idx = IDX_NONE;
			flags_clear(t, TIMER_ARMED | TIMER_READY);
		}
		if (now >= deadline)
			lcx__hist_add(&ctx->late, now - deadline);
		else if (deadline - now > early_max)
			early_max = deadline - now;
		fired++;
		t->fn(t, t->arg); /* t may be gone after this */
	}
	ctx->timer_ready.n = 0;

	if (early_max != ctx->early_max)
		__atomic_store_n(&ctx->early_max, early_max, __ATOMIC_RELAXED);
	LCX_STAT_ADD(ctx, timers_fired, fired);
	return fired;
}
