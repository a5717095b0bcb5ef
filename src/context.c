/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Contexts: the throttled loop, pollers and the ring budget, park and unpark,
 * enter, stop, statistics.
 *
 * The order of one iteration, and why, is written once: doc/design.md, "The
 * loop, in order". iterate() calls one function per step, numbered as there.
 */

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <numa.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "lcx_private.h"

RTE_LOG_REGISTER(lcx_logtype_core, lcx.core, NOTICE);

__thread struct lcx_context *lcx__current;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lcx_context *registry;

/* A rate window shorter than this says too little about arrivals. */
#define RATE_WINDOW_NS 100000ull
/* Parks shorter than this are not worth a system call. */
#define PARK_MIN_NS 5000ull
/* What a wake-up costs beyond the measured overshoot: a safety floor. */
#define PARK_MARGIN_NS 20000ull
#define NO_THROTTLE_CHANGE UINT64_MAX
/* Under full load, read the clock on one iteration in this many. */
#define LCX__CLOCK_EVERY 4
/* Under full load, rounds of polling in one iteration. */
#define LCX__FULL_ROUNDS 4

/*
 * The CPUs the process could run on when it started, read before main() (so
 * before rte_eal_init() pins the main thread to its main lcore). A thread
 * context with no CPU of its own runs on these: created from a pinned thread,
 * it would otherwise inherit that one CPU and share it with its creator.
 */
static cpu_set_t start_cpus;
static bool start_cpus_ok;

static void __attribute__((constructor))
start_cpus_read(void)
{
	start_cpus_ok = sched_getaffinity(0, sizeof(start_cpus), &start_cpus) == 0;
}

static long
futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

/* --- memory on the context's node --- */

void *
lcx__ctx_zalloc(struct lcx_context *ctx, size_t size)
{
	if (ctx->use_rte_malloc)
		return rte_zmalloc_socket("lcx", size, 64, ctx->socket_id);
	/*
	 * Small objects: the owner's first touch places them on its node.
	 * Large ones: libnuma, explicitly on the node.
	 */
	if (size >= 16384 && numa_available() >= 0) {
		void *p = numa_alloc_onnode(size, ctx->socket_id);

		if (p != NULL)
			memset(p, 0, size);
		return p;
	}
	return calloc(1, size);
}

void
lcx__ctx_free(struct lcx_context *ctx, void *p, size_t size)
{
	if (p == NULL)
		return;
	if (ctx->use_rte_malloc)
		rte_free(p);
	else if (size >= 16384 && numa_available() >= 0)
		numa_free(p, size);
	else
		free(p);
}

/* --- throttle --- */

static void
apply_throttle(struct lcx_context *ctx, uint64_t t)
{
	ctx->throttle = t;
	ctx->half_throttle = t / 2;
	ctx->react_period = t != 0 ? t : LCX_BUSY_REACT_NS;
	/* 0 in the conf: the bound follows the throttle. */
	ctx->idle_park_max = ctx->idle_park_conf != 0 ? ctx->idle_park_conf
						      : LCX_IDLE_PARK_FACTOR * t;
	LCX_STAT_SET(ctx, throttle_ns, t);
}

int
lcx_context_set_throttle(struct lcx_context *ctx, uint64_t throttle_ns)
{
	if (ctx == NULL || throttle_ns > LCX_THROTTLE_MAX_NS)
		return -EINVAL;
	atomic_store_explicit(&ctx->new_throttle, throttle_ns, memory_order_release);
	lcx_context_unpark(ctx);
	return 0;
}

uint64_t
lcx_context_throttle(const struct lcx_context *ctx)
{
	return LCX_STAT_GET(ctx, throttle_ns);
}

/* --- pollers --- */

int
lcx_poller_register(struct lcx_context *ctx, struct lcx_poller *p)
{
	if (ctx == NULL || p == NULL || p->ops == NULL)
		return -EINVAL;
	if (!lcx__may_touch(ctx))
		return -EPERM;
	if (p->ctx != NULL)
		return -EBUSY;
	if (ctx->nb_pollers >= LCX_POLLERS_MAX)
		return -ENOSPC;
	p->ctx = ctx;
	p->index = ctx->nb_pollers;
	p->poll_fn = p->ops->poll;
	p->flush_fn = p->ops->flush;
	if (p->flush_fn != NULL)
		ctx->nb_flushers++;
	p->rate_win_start = lcx__clock_read(ctx);
	p->rate_win_items = 0;
	p->rate_ppns = 0;
	p->last_items = 0;
	ctx->pollers[ctx->nb_pollers++] = p;
	return 0;
}

int
lcx_poller_unregister(struct lcx_poller *p)
{
	if (p == NULL || p->ctx == NULL)
		return -EINVAL;
	struct lcx_context *ctx = p->ctx;

	if (!lcx__may_touch(ctx))
		return -EPERM;
	if (p->flush_fn != NULL) {
		p->flush_fn(p->arg);
		ctx->nb_flushers--;
	}
	/* Swap-remove; the loop re-reads its bound, so at worst one poller waits a turn. */
	struct lcx_poller *last = ctx->pollers[--ctx->nb_pollers];

	ctx->pollers[p->index] = last;
	last->index = p->index;
	ctx->pollers[ctx->nb_pollers] = NULL;
	p->ctx = NULL;
	return 0;
}

/* Arrival rate: windows of at least RATE_WINDOW_NS; rises at once, decays by 1/8. */
static inline void
poller_account(struct lcx_poller *p, uint64_t now, unsigned int n)
{
	p->last_items = n;
	p->rate_win_items += n;
	uint64_t elapsed = now - p->rate_win_start;

	if (elapsed < RATE_WINDOW_NS)
		return;
	uint64_t sample = (uint64_t)(((unsigned __int128)p->rate_win_items << 32) / elapsed);

	if (sample >= p->rate_ppns)
		p->rate_ppns = sample;
	else
		p->rate_ppns -= (p->rate_ppns - sample) / 8;
	p->rate_win_start = now;
	p->rate_win_items = 0;
}

/*
 * How long the context may sleep before some ring could pass half full:
 * (half ring - fill) / rate, less the wake-up overshoot and a safety margin.
 */
static uint64_t
ring_budget(struct lcx_context *ctx)
{
	uint64_t budget = UINT64_MAX;
	int64_t m = ctx->overshoot_avg + 4 * ctx->overshoot_dev;
	uint64_t margin = PARK_MARGIN_NS + (m > 0 ? (uint64_t)m : 0);

	for (uint32_t i = 0; i < ctx->nb_pollers; i++) {
		struct lcx_poller *p = ctx->pollers[i];

		if (p->ring_size == 0 || p->rate_ppns == 0)
			continue;
		uint64_t half = p->ring_size / 2;
		int fill = p->ops->fill != NULL ? p->ops->fill(p->arg) : -1;

		if (fill < 0)
			fill = 0; /* the last poll returned less than a burst: drained */
		if ((uint64_t)fill >= half)
			return 0;
		uint64_t t = (uint64_t)(((unsigned __int128)(half - (uint64_t)fill) << 32) /
					p->rate_ppns);

		t = t > margin ? t - margin : 0;
		if (t < budget)
			budget = t;
	}
	return budget;
}

/* --- park and unpark --- */

void
lcx_context_unpark(struct lcx_context *ctx)
{
	uint32_t old = atomic_exchange(&ctx->park_state, LCX__PARK_NOTIFIED);

	if (old == LCX__PARK_PARKED) {
		futex(&ctx->park_state, FUTEX_WAKE_PRIVATE, 1, NULL);
	} else if (old == LCX__PARK_IDLE) {
		uint64_t one = 1;

		if (write(ctx->unpark_efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			LCX_LOG(ERR, "context %s: unpark: %s", ctx->name, strerror(errno));
	}
}

void
lcx__context_remote_event(struct lcx_context *ctx)
{
	/* Pairs with the fence in park_idle(): one side sees the other. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ctx->park_state, memory_order_relaxed) == LCX__PARK_IDLE)
		lcx_context_unpark(ctx);
}

/* Is anything queued by another thread that an idle park would sit on? */
static bool
remote_pending(const struct lcx_context *ctx)
{
	return atomic_load(&ctx->inbox) != NULL || lcx__timers_next(ctx) == 0;
}

static void
overshoot_update(struct lcx_context *ctx, uint64_t slept, uint64_t ask)
{
	/* Overshoot of the requested sleep: EWMA 1/16 of it and of its deviation. */
	int64_t os = (int64_t)slept - (int64_t)ask;
	int64_t d = os - ctx->overshoot_avg;

	ctx->overshoot_avg += d / 16;
	ctx->overshoot_dev += ((d < 0 ? -d : d) - ctx->overshoot_dev) / 16;
	LCX_STAT_SET(ctx, park_overshoot_avg_ns,
		     ctx->overshoot_avg > 0 ? (uint64_t)ctx->overshoot_avg : 0);
	if (os > 0 && (uint64_t)os > ctx->st.park_overshoot_max_ns)
		LCX_STAT_SET(ctx, park_overshoot_max_ns, (uint64_t)os);
}

static uint64_t
compensated(const struct lcx_context *ctx, uint64_t ns)
{
	uint64_t comp = ctx->overshoot_avg > 0 ? (uint64_t)ctx->overshoot_avg : 0;

	if (comp > ns / 2)
		comp = ns / 2;
	return ns - comp;
}

/*
 * The idle park: epoll on idle_epfd, which holds the reactor's epoll fd (ready
 * when a waited source is) and the unpark eventfd. ns == UINT64_MAX: no end.
 */
static uint64_t
park_idle(struct lcx_context *ctx, uint64_t ns)
{
	uint32_t expect = LCX__PARK_EMPTY;

	if (!atomic_compare_exchange_strong(&ctx->park_state, &expect, LCX__PARK_IDLE)) {
		atomic_store(&ctx->park_state, LCX__PARK_EMPTY); /* consume the unpark */
		return 0;
	}
	atomic_thread_fence(memory_order_seq_cst);
	if (remote_pending(ctx)) {
		atomic_store(&ctx->park_state, LCX__PARK_EMPTY);
		return 0;
	}
	uint64_t ask = ns == UINT64_MAX ? ns : compensated(ctx, ns);
	struct timespec ts = { .tv_sec = (time_t)(ask / 1000000000ull),
			       .tv_nsec = (long)(ask % 1000000000ull) };
	struct epoll_event ev[2];
	uint64_t t0 = lcx__clock_read(ctx);

	LCX_STAT_ADD(ctx, parks, 1);
	LCX_STAT_ADD(ctx, idle_parks, 1);
	__atomic_store_n(&ctx->parked_since, t0, __ATOMIC_RELAXED);
	int n = epoll_pwait2(ctx->idle_epfd, ev, 2, ns == UINT64_MAX ? NULL : &ts, NULL);
	uint64_t t1 = lcx__clock_read(ctx);
	bool unparked = atomic_exchange(&ctx->park_state, LCX__PARK_EMPTY) == LCX__PARK_NOTIFIED;

	if (unparked) {
		uint64_t v;

		if (read(ctx->unpark_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			LCX_LOG(ERR, "context %s: unpark read: %s", ctx->name, strerror(errno));
		LCX_STAT_ADD(ctx, unparks, 1);
	} else if (n == 0 && ns != UINT64_MAX) {
		overshoot_update(ctx, t1 - t0, ask);
	}
	__atomic_store_n(&ctx->parked_since, 0, __ATOMIC_RELAXED);
	LCX_STAT_ADD(ctx, parked_ns, t1 - t0);
	/* What ended it (I/O, a wake) is found by the react that follows at once. */
	return t1 - t0;
}

/* Sleep for ns unless unparked. Returns the time actually parked. */
static uint64_t
park(struct lcx_context *ctx, uint64_t ns)
{
	uint32_t expect = LCX__PARK_NOTIFIED;

	/* A pending unpark is consumed without sleeping. */
	if (atomic_compare_exchange_strong(&ctx->park_state, &expect, LCX__PARK_EMPTY))
		return 0;
	expect = LCX__PARK_EMPTY;
	if (!atomic_compare_exchange_strong(&ctx->park_state, &expect, LCX__PARK_PARKED)) {
		atomic_store(&ctx->park_state, LCX__PARK_EMPTY);
		return 0;
	}
	/* Ask for less than ns by the usual overshoot, so the wake-up lands on time. */
	uint64_t ask = compensated(ctx, ns);
	struct timespec ts = { .tv_sec = (time_t)(ask / 1000000000ull),
			       .tv_nsec = (long)(ask % 1000000000ull) };
	uint64_t t0 = lcx__clock_read(ctx);

	LCX_STAT_ADD(ctx, parks, 1);
	__atomic_store_n(&ctx->parked_since, t0, __ATOMIC_RELAXED);
	while (atomic_load_explicit(&ctx->park_state, memory_order_acquire) == LCX__PARK_PARKED) {
		if (futex(&ctx->park_state, FUTEX_WAIT_PRIVATE, LCX__PARK_PARKED, &ts) < 0 &&
		    errno == ETIMEDOUT)
			break;
		/* EINTR or a spurious wake: sleep out what is left. */
		uint64_t spent = lcx__clock_read(ctx) - t0;

		if (spent >= ask)
			break;
		ts.tv_sec = (time_t)((ask - spent) / 1000000000ull);
		ts.tv_nsec = (long)((ask - spent) % 1000000000ull);
	}
	uint64_t t1 = lcx__clock_read(ctx);
	bool unparked = atomic_exchange(&ctx->park_state, LCX__PARK_EMPTY) == LCX__PARK_NOTIFIED;
	uint64_t slept = t1 - t0;

	__atomic_store_n(&ctx->parked_since, 0, __ATOMIC_RELAXED);
	if (unparked)
		LCX_STAT_ADD(ctx, unparks, 1);
	else
		overshoot_update(ctx, slept, ask);
	LCX_STAT_ADD(ctx, parked_ns, slept);
	return slept;
}

/* --- the loop: doc/design.md, "The loop, in order"; the numbers are its steps --- */

/* 1. Now: read the clock (every LCX__CLOCK_EVERY-th iteration under full load),
 * account the time since the last reading, apply a throttle set from elsewhere. */
static inline uint64_t
update_now(struct lcx_context *ctx)
{
	uint64_t now;

	if (ctx->last_full && ++ctx->clock_skips < LCX__CLOCK_EVERY) {
		now = ctx->now;
	} else {
		now = lcx__clock_read(ctx);
		ctx->clock_skips = 0;
		if (ctx->iter_t0 != 0) {
			uint64_t d = now - ctx->iter_t0 - ctx->iter_parked;

			if (ctx->iter_busy)
				LCX_STAT_ADD(ctx, busy_ns, d);
			else
				LCX_STAT_ADD(ctx, idle_ns, d);
		}
		ctx->iter_t0 = now;
		ctx->iter_parked = 0;
		ctx->now = now;
	}
	LCX_STAT_ADD(ctx, iterations, 1);

	uint64_t nt = atomic_load_explicit(&ctx->new_throttle, memory_order_relaxed);

	if (LCX_UNLIKELY(nt != NO_THROTTLE_CHANGE)) {
		atomic_store_explicit(&ctx->new_throttle, NO_THROTTLE_CHANGE, memory_order_relaxed);
		apply_throttle(ctx, nt);
	}
	return now;
}

/* 2. Pollers, up to LCX__FULL_ROUNDS rounds while one returns a full burst.
 * @return the items taken in; ctx->last_full: the last round saw a full burst. */
static inline unsigned int
run_pollers(struct lcx_context *ctx, uint64_t now)
{
	unsigned int work = 0, rounds = 0;
	bool full;

	do {
		full = false;
		for (uint32_t i = 0; i < ctx->nb_pollers; i++) {
			struct lcx_poller *p = ctx->pollers[i];

			if (p->poll_fn == NULL)
				continue;
			unsigned int n = p->poll_fn(p->arg);

			poller_account(p, now, n);
			work += n;
			if (p->burst != 0 && n >= p->burst)
				full = true;
		}
	} while (full && ++rounds < LCX__FULL_ROUNDS);
	if (work != 0)
		LCX_STAT_ADD(ctx, polled_items, work);
	ctx->last_full = full;
	return work;
}

/* 3. Tasks: the inbox, then up to LCX_TASKS_PER_ITER runs. @return the runs. */
static inline unsigned int
run_tasks(struct lcx_context *ctx)
{
	if (ctx->runq_head == NULL &&
	    atomic_load_explicit(&ctx->inbox, memory_order_relaxed) == NULL)
		return 0;
	unsigned int ran = lcx__tasks_run(ctx);

	LCX_STAT_ADD(ctx, tasks_run, ran);
	return ran;
}

static void
react(struct lcx_context *ctx)
{
	ctx->last_react = ctx->now;
	ctx->reacted = true;
	LCX_STAT_ADD(ctx, reacts, 1);
	/*
	 * A timer that fired is not activity for the idle back-off: the idle park
	 * wakes for every deadline anyway, and a periodic timer would otherwise
	 * keep the loop at one react per throttle for good. What its callback
	 * starts (a task, a send) counts when it runs.
	 */
	(void)lcx__timers_react(ctx);
	unsigned int n = lcx__reactor_react(ctx);

	if (n != 0 || ctx->work_since_react)
		ctx->idle_reacts = 0;
	else if (ctx->idle_reacts < UINT32_MAX)
		ctx->idle_reacts++;
	ctx->work_since_react = n != 0;
}

/* 4. React once a react period has passed; busy polling: due timers at once. */
static inline void
react_if_due(struct lcx_context *ctx)
{
	if (ctx->now - ctx->last_react >= ctx->react_period || !ctx->reacted)
		react(ctx);
	else if (ctx->throttle == 0 && lcx__timers_armed(ctx) && lcx__timers_due(ctx))
		lcx__timers_react(ctx);
}

/* 5. Flush: push out what pollers buffered (also once more at stop). */
static inline void
flush_pollers(struct lcx_context *ctx)
{
	for (uint32_t i = 0; ctx->nb_flushers != 0 && i < ctx->nb_pollers; i++) {
		struct lcx_poller *p = ctx->pollers[i];

		if (p->flush_fn != NULL)
			p->flush_fn(p->arg);
	}
}

/*
 * After LCX_IDLE_REACTS empty reacts: how long an idle park may last, or 0
 * when it would be no longer than the throttle park.
 */
static uint64_t
idle_park_ns(struct lcx_context *ctx, uint64_t t, uint64_t throttle_ns)
{
	uint64_t ns = UINT64_MAX;

	if (ctx->idle_reacts < LCX_IDLE_REACTS)
		return 0;
	for (uint32_t i = 0; i < ctx->nb_pollers; i++) {
		if (ctx->pollers[i]->ops->poll != NULL) {
			ns = ctx->idle_park_max; /* no rx interrupts: poll again by then */
			break;
		}
	}
	uint64_t next = lcx__timers_next(ctx);

	if (next != UINT64_MAX) {
		/* Wake for the deadline itself: the timer fires on time. */
		uint64_t until = next > t ? next - t : 0;

		if (until < ns)
			ns = until;
	}
	return ns > throttle_ns ? ns : 0;
}

/*
 * 6. Park when the iteration did nothing: until the next react, cut short by
 * the ring budget; past it (idle park) after LCX_IDLE_REACTS empty reacts.
 * Parks itself when may_park. @return how long the loop may park (0: not).
 */
static inline int64_t
park_if_idle(struct lcx_context *ctx, unsigned int work, bool may_park)
{
	ctx->iter_busy = work != 0;
	if (work != 0)
		ctx->work_since_react = true;
	if (work != 0 || ctx->last_full || ctx->throttle == 0 || ctx->runq_head != NULL ||
	    atomic_load_explicit(&ctx->stop, memory_order_relaxed))
		return 0;
	uint64_t t = lcx__clock_read(ctx);
	uint64_t due = ctx->last_react + ctx->react_period;

	if (t >= due)
		return 0;
	uint64_t ns = due - t;
	uint64_t idle = idle_park_ns(ctx, t, ns);

	if (idle != 0) {
		if (may_park)
			ctx->iter_parked = park_idle(ctx, idle);
		return idle == UINT64_MAX ? INT64_MAX : (int64_t)idle;
	}
	uint64_t budget = ring_budget(ctx);

	if (budget < ns) {
		ns = budget;
		LCX_STAT_ADD(ctx, parks_cut, 1);
	}
	if (ns < PARK_MIN_NS) {
		LCX_STAT_ADD(ctx, parks_skipped, 1);
		return 0;
	}
	if (may_park)
		ctx->iter_parked = park(ctx, ns);
	return (int64_t)ns;
}

/*
 * One iteration, as uv_run() reads: a list of named phases, in the order of
 * doc/design.md ("The loop, in order"). @return how long the loop may park
 * now (0: do not park); it parks itself when may_park.
 */
static int64_t
iterate(struct lcx_context *ctx, bool may_park)
{
	uint64_t now = update_now(ctx);
	unsigned int work = run_pollers(ctx, now);

	work += run_tasks(ctx);
	react_if_due(ctx);
	flush_pollers(ctx);
	return park_if_idle(ctx, work, may_park);
}

static void
loop_enter(struct lcx_context *ctx)
{
	lcx__current = ctx;
	ctx->owner_tid = pthread_self();
	/* The default 50 us timer slack would add to every park. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

static void
loop_run(struct lcx_context *ctx)
{
	loop_enter(ctx);
	while (!atomic_load_explicit(&ctx->stop, memory_order_acquire))
		iterate(ctx, true);
	flush_pollers(ctx);
	lcx__current = NULL;
}

static void *
thread_main(void *arg)
{
	struct lcx_context *ctx = arg;

	pthread_setname_np(pthread_self(), ctx->name[0] ? ctx->name : "lcx");
	loop_run(ctx);
	atomic_store(&ctx->running, false);
	return NULL;
}

static int
lcore_main(void *arg)
{
	thread_main(arg);
	return 0;
}

int
lcx_context_run(struct lcx_context *ctx)
{
	bool no = false;

	if (ctx == NULL || ctx->launch != LCX_LAUNCH_NONE)
		return -EINVAL;
	if (!atomic_compare_exchange_strong(&ctx->running, &no, true))
		return -EBUSY;
	struct lcx_context *prev = lcx__current;

	loop_run(ctx);
	lcx__current = prev;
	atomic_store(&ctx->running, false);
	return 0;
}

int64_t
lcx_context_run_once(struct lcx_context *ctx)
{
	bool no = false;

	if (ctx == NULL || ctx->launch != LCX_LAUNCH_NONE || ctx->stopped)
		return -EINVAL;
	if (!atomic_compare_exchange_strong(&ctx->running, &no, true))
		return -EBUSY;
	struct lcx_context *prev = lcx__current;

	lcx__current = ctx;
	int64_t ns = iterate(ctx, false);

	lcx__current = prev;
	atomic_store(&ctx->running, false);
	return ns;
}

/* --- enter --- */

static int
run_as_owner(struct lcx_context *ctx, lcx_enter_fn fn, void *arg)
{
	struct lcx_context *prev = lcx__current;
	int ret;

	lcx__current = ctx;
	ret = fn(ctx, arg);
	lcx__current = prev;
	return ret;
}

int
lcx__context_as_owner(struct lcx_context *ctx, lcx_enter_fn fn, void *arg)
{
	if (lcx__on_owner(ctx))
		return fn(ctx, arg);
	if (!lcx__may_touch(ctx))
		return -EPERM;
	return run_as_owner(ctx, fn, arg);
}

struct enter_req {
	struct lcx_task task;
	lcx_enter_fn fn;
	void *arg;
	int ret;
	_Atomic uint32_t done;
};

static void
enter_task(struct lcx_task *task, void *arg)
{
	struct enter_req *req = arg;

	req->ret = req->fn(task->ctx, req->arg);
	atomic_store_explicit(&req->done, 1, memory_order_release);
	futex(&req->done, FUTEX_WAKE_PRIVATE, 1, NULL);
}

int
lcx_context_enter(struct lcx_context *ctx, lcx_enter_fn fn, void *arg)
{
	if (ctx == NULL || fn == NULL)
		return -EINVAL;
	if (lcx__on_owner(ctx))
		return fn(ctx, arg);
	if (atomic_load(&ctx->stop))
		return -ESHUTDOWN;
	if (!atomic_load(&ctx->running)) {
		/* No loop runs it: run fn here, as the owner, for set-up code. */
		return run_as_owner(ctx, fn, arg);
	}
	struct enter_req req = { .fn = fn, .arg = arg };
	const struct timespec ts = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };

	lcx_task_init(&req.task, ctx, enter_task, &req);
	lcx_task_wake_unpark(&req.task);
	while (atomic_load_explicit(&req.done, memory_order_acquire) == 0) {
		futex(&req.done, FUTEX_WAIT_PRIVATE, 0, &ts);
		/* The loop ended without running it: the inbox is dropped, not walked. */
		if (atomic_load_explicit(&req.done, memory_order_acquire) == 0 &&
		    atomic_load(&ctx->stop) && !atomic_load(&ctx->running))
			return -ESHUTDOWN;
	}
	return req.ret;
}

/* --- create, stop, release --- */

static int
conf_socket(const struct lcx_context_conf *conf)
{
	if (conf->socket_id >= 0)
		return conf->socket_id;
	if (conf->launch == LCX_LAUNCH_LCORE)
		return (int)rte_lcore_to_socket_id(conf->lcore_id);
	if (conf->cpu >= 0 && numa_available() >= 0) {
		int node = numa_node_of_cpu(conf->cpu);

		return node >= 0 ? node : 0;
	}
	return 0;
}

/* The idle park waits on an epoll set of the reactor's epoll fd and an eventfd. */
static int
idle_park_init(struct lcx_context *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ctx->unpark_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ctx->idle_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx->unpark_efd < 0 || ctx->idle_epfd < 0)
		return -errno;
	if (epoll_ctl(ctx->idle_epfd, EPOLL_CTL_ADD, ctx->unpark_efd, &ev) < 0 ||
	    epoll_ctl(ctx->idle_epfd, EPOLL_CTL_ADD, ctx->epfd, &ev) < 0)
		return -errno;
	return 0;
}

static void
idle_park_fini(struct lcx_context *ctx)
{
	if (ctx->idle_epfd >= 0)
		close(ctx->idle_epfd);
	if (ctx->unpark_efd >= 0)
		close(ctx->unpark_efd);
	ctx->idle_epfd = ctx->unpark_efd = -1;
}

static void
context_free(struct lcx_context *ctx)
{
	struct lcx_context tmp = *ctx; /* for the allocator's mode */

	lcx__reactor_free(ctx);
	lcx__ctx_free(&tmp, ctx->pollers, LCX_POLLERS_MAX * sizeof(ctx->pollers[0]));
	lcx__ctx_free(&tmp, ctx, sizeof(*ctx));
}

static int
context_create(const struct lcx_context_conf *conf, struct lcx_context **out)
{
	struct lcx_context boot = { 0 };
	struct lcx_context *ctx;
	int ret;

	if (conf->name == NULL || conf->name[0] == '\0' || strlen(conf->name) >= LCX_NAME_MAX ||
	    conf->throttle_ns > LCX_THROTTLE_MAX_NS || conf->launch > LCX_LAUNCH_NONE)
		return -EINVAL;
	if (conf->launch == LCX_LAUNCH_LCORE &&
	    (!lcx__eal_attached() || conf->lcore_id >= RTE_MAX_LCORE ||
	     !rte_lcore_is_enabled(conf->lcore_id) || conf->lcore_id == rte_get_main_lcore()))
		return -EINVAL;
	lcx__tsc_init();

	boot.socket_id = conf_socket(conf);
	boot.use_rte_malloc = lcx__eal_attached();
	ctx = lcx__ctx_zalloc(&boot, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	ctx->socket_id = boot.socket_id;
	ctx->use_rte_malloc = boot.use_rte_malloc;
	snprintf(ctx->name, sizeof(ctx->name), "%s", conf->name);
	ctx->launch = conf->launch;
	ctx->cpu = conf->cpu;
	ctx->lcore_id = conf->lcore_id;
	ctx->clock = conf->clock;
	ctx->epfd = -1;
	ctx->idle_epfd = -1;
	ctx->unpark_efd = -1;
	ctx->idle_park_conf = conf->idle_park_max_ns;
	atomic_store(&ctx->new_throttle, NO_THROTTLE_CHANGE);
	atomic_store(&ctx->refcnt, 1);
	apply_throttle(ctx, conf->throttle_ns);
	ctx->now = lcx__clock_read(ctx);
	ctx->last_react = ctx->now;

	ctx->pollers = lcx__ctx_zalloc(ctx, LCX_POLLERS_MAX * sizeof(ctx->pollers[0]));
	if (ctx->pollers == NULL) {
		ret = -ENOMEM;
		goto out_free_ctx;
	}
	ret = lcx__timers_init(ctx);
	if (ret < 0)
		goto out_free_ctx;
	ret = lcx__reactor_init(ctx);
	if (ret < 0)
		goto out_fini_timers;
	ret = idle_park_init(ctx);
	if (ret < 0)
		goto out_fini_reactor;

	if (ctx->launch == LCX_LAUNCH_THREAD) {
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		if (ctx->cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(ctx->cpu, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		} else if (start_cpus_ok) {
			pthread_attr_setaffinity_np(&attr, sizeof(start_cpus), &start_cpus);
		}
		atomic_store(&ctx->running, true);
		ret = -pthread_create(&ctx->thread, &attr, thread_main, ctx);
		pthread_attr_destroy(&attr);
		if (ret < 0) {
			atomic_store(&ctx->running, false);
			goto out_fini_reactor;
		}
	} else if (ctx->launch == LCX_LAUNCH_LCORE) {
		atomic_store(&ctx->running, true);
		ret = rte_eal_remote_launch(lcore_main, ctx, ctx->lcore_id);
		if (ret < 0) {
			atomic_store(&ctx->running, false);
			goto out_fini_reactor;
		}
	}
	*out = ctx;
	return 0;

out_fini_reactor:
	idle_park_fini(ctx);
	lcx__reactor_fini(ctx);
out_fini_timers:
	lcx__timers_fini(ctx);
out_free_ctx:
	context_free(ctx);
	return ret;
}

int
lcx_context_acquire(const struct lcx_context_conf *conf, struct lcx_context **out)
{
	struct lcx_context *ctx;
	int ret = 0;

	if (conf == NULL || out == NULL || conf->name == NULL)
		return -EINVAL;
	pthread_mutex_lock(&registry_lock);
	for (ctx = registry; ctx != NULL; ctx = ctx->next)
		if (strcmp(ctx->name, conf->name) == 0)
			break;
	if (ctx != NULL) {
		atomic_fetch_add(&ctx->refcnt, 1);
	} else {
		ret = context_create(conf, &ctx);
		if (ret == 0) {
			ctx->next = registry;
			registry = ctx;
		} else {
			LCX_LOG(ERR, "context %s: cannot create: %s", conf->name, strerror(-ret));
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (ret == 0)
		*out = ctx;
	return ret;
}

bool
lcx_context_is_stopping(const struct lcx_context *ctx)
{
	return atomic_load(&ctx->stop);
}

int
lcx_context_stop(struct lcx_context *ctx)
{
	if (ctx == NULL)
		return -EINVAL;
	atomic_store(&ctx->stop, true);
	lcx_context_unpark(ctx);
	if (lcx__on_owner(ctx))
		return 0;

	static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&stop_lock);
	if (!ctx->stopped) {
		if (ctx->launch == LCX_LAUNCH_THREAD)
			pthread_join(ctx->thread, NULL);
		else if (ctx->launch == LCX_LAUNCH_LCORE)
			rte_eal_wait_lcore(ctx->lcore_id);
		else
			while (atomic_load(&ctx->running))
				sched_yield();
		/* The loop has ended: this thread owns the context now. */
		struct lcx_context *prev = lcx__current;

		lcx__current = ctx;
		while (ctx->nb_pollers > 0)
			lcx_poller_unregister(ctx->pollers[ctx->nb_pollers - 1]);
		lcx__timers_fini(ctx);
		idle_park_fini(ctx);
		lcx__reactor_fini(ctx);
		/* Queued tasks are dropped; enter() callers notice the stop. */
		atomic_store(&ctx->inbox, NULL);
		ctx->runq_head = ctx->runq_tail = NULL;
		lcx__current = prev;
		ctx->stopped = true;
	}
	pthread_mutex_unlock(&stop_lock);
	return 0;
}

void
lcx_context_release(struct lcx_context *ctx)
{
	if (ctx == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	if (atomic_fetch_sub(&ctx->refcnt, 1) != 1) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (struct lcx_context **pp = &registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ctx) {
			*pp = ctx->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	lcx_context_stop(ctx);
	context_free(ctx);
}

/* --- accessors and statistics --- */

void
lcx__context_foreach(int (*fn)(struct lcx_context *ctx, void *arg), void *arg)
{
	pthread_mutex_lock(&registry_lock);
	for (struct lcx_context *ctx = registry; ctx != NULL; ctx = ctx->next)
		if (fn(ctx, arg) != 0)
			break;
	pthread_mutex_unlock(&registry_lock);
}

struct lcx_context *
lcx_context_current(void)
{
	return lcx__current;
}

uint64_t
lcx_context_now(const struct lcx_context *ctx)
{
	return ctx->now;
}

uint64_t
lcx_context_clock(const struct lcx_context *ctx)
{
	return lcx__clock_read(ctx);
}

const char *
lcx_context_name(const struct lcx_context *ctx)
{
	return ctx->name;
}

int
lcx_context_socket(const struct lcx_context *ctx)
{
	return ctx->socket_id;
}

int
lcx_context_stats(const struct lcx_context *ctx, struct lcx_context_stats *out)
{
	if (ctx == NULL || out == NULL)
		return -EINVAL;
	const uint64_t *src = (const uint64_t *)&ctx->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	/* A park in progress counts up to now. */
	uint64_t since = __atomic_load_n(&ctx->parked_since, __ATOMIC_RELAXED);

	if (since != 0) {
		uint64_t now = lcx__clock_read(ctx);

		if (now > since)
			out->parked_ns += now - since;
	}
	out->timer_late_p50_ns = lcx__hist_quantile(&ctx->late, 0.50);
	out->timer_late_p99_ns = lcx__hist_quantile(&ctx->late, 0.99);
	out->timer_late_max_ns = __atomic_load_n(&ctx->late.max, __ATOMIC_RELAXED);
	out->timer_early_max_ns = __atomic_load_n(&ctx->early_max, __ATOMIC_RELAXED);
	return 0;
}
