/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_PRIVATE_H
#define LCX_PRIVATE_H

/*
 * Internals shared between the files of liblcx. Never installed.
 * Functions shared between files are named lcx__*.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_log.h>

#include <lcx/context.h>
#include <lcx/poller.h>
#include <lcx/reactor.h>
#include <lcx/task.h>
#include <lcx/timer.h>

extern int lcx_logtype_core;
#define LCX_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, lcx_logtype_core, "lcx: " fmt "\n", ##__VA_ARGS__)

#define LCX_LIKELY(x) __builtin_expect(!!(x), 1)
#define LCX_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Owner-written counters that other threads read: relaxed atomics. */
#define LCX_STAT_ADD(ctx, field, v)                                                                \
	__atomic_store_n(&(ctx)->st.field, (ctx)->st.field + (v), __ATOMIC_RELAXED)
#define LCX_STAT_SET(ctx, field, v) __atomic_store_n(&(ctx)->st.field, (v), __ATOMIC_RELAXED)
#define LCX_STAT_GET(ctx, field) __atomic_load_n(&(ctx)->st.field, __ATOMIC_RELAXED)

/* --- text --- */

/* Length of the well-formed UTF-8 sequence at s (n > 0 bytes left), or 0: a stray or
 * truncated byte, an overlong form, a surrogate, past U+10FFFF. (The control and metrics
 * servers escape text with it.) */
static inline size_t
lcx__utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* --- histogram: log-linear buckets of ns values, 16 per power of two --- */
#define LCX_HIST_SUB_BITS 4
#define LCX_HIST_BUCKETS (64 * (1 << LCX_HIST_SUB_BITS))

struct lcx_hist {
	uint64_t count[LCX_HIST_BUCKETS]; /* owner-written, relaxed atomics */
	uint64_t total;
	uint64_t max;
};

void lcx__hist_add(struct lcx_hist *h, uint64_t v);
/* q in [0, 1]: an upper bound of the q-quantile (bucket resolution). */
uint64_t lcx__hist_quantile(const struct lcx_hist *h, double q);

/* --- the cross-thread timer operation queue (bounded MPSC, Vyukov) --- */
struct lcx_timer_op {
	uint64_t seq;           /* slot sequence */
	struct lcx_timer *timer;
	uint64_t deadline;
	uint64_t period;
	uint32_t flags;
	uint32_t op;            /* LCX__TIMER_OP_* */
};

enum { LCX__TIMER_OP_START = 1, LCX__TIMER_OP_STOP = 2 };

/* Internal timer flags, above the public LCX_TIMER_* ones. */
#define LCX__TIMER_ARMED 0x100u  /* in a heap (timer.c keeps its other state bits) */

struct lcx_timer_heap {
	struct lcx_timer **v;
	uint32_t n;
	uint32_t cap;
};

/* --- the context --- */
struct lcx_context {
	/* hot: read every iteration by the owner */
	uint64_t now;             /* cached clock of this iteration */
	uint64_t last_react;      /* when the last react ran */
	uint64_t react_period;    /* throttle, or LCX_BUSY_REACT_NS when 0 */
	uint64_t throttle;        /* current throttle */
	uint64_t half_throttle;   /* throttle / 2 */
	uint32_t nb_pollers;
	uint32_t nb_flushers;     /* pollers with a flush */
	struct lcx_poller **pollers;
	struct lcx_task *runq_head; /* local FIFO */
	struct lcx_task *runq_tail;
	const struct lcx_clock *clock; /* NULL: TSC */

	/* cross-thread, each on its own line */
	_Alignas(64) struct lcx_task *_Atomic inbox; /* Treiber stack of woken tasks */
	_Alignas(64) _Atomic uint32_t park_state;    /* LCX__PARK_* (futex word) */
	_Alignas(64) _Atomic bool stop;
	_Atomic uint64_t new_throttle;                /* UINT64_MAX: no change */

	/* timers */
	_Alignas(64) struct lcx_timer_heap heap_regular;
	struct lcx_timer_heap heap_at_least;
	struct lcx_timer_heap timer_ready; /* timers due in the current react (timer.c) */
	struct lcx_timer_op *ops;       /* LCX_TIMER_OPS_CAPACITY slots */
	_Alignas(64) _Atomic uint64_t ops_tail; /* producers */
	_Atomic uint32_t ops_users;             /* producers inside a push (timer.c) */
	_Alignas(64) uint64_t ops_head;          /* consumer (owner) */

	/* reactor */
	_Alignas(64) int epfd;
	_Atomic uint64_t tick;
	uint64_t last_epoll;                     /* busy mode: when epoll was read */
	struct epoll_event *events;
	uint32_t nb_events;
	struct lcx_source *sources;              /* live sources (owner only) */
	struct lcx_source *_Atomic dead_sources; /* destroyed from other threads */

	/* park and time accounting (owner only) */
	int64_t overshoot_avg;   /* EWMA of park overshoot, ns */
	int64_t overshoot_dev;   /* EWMA of |overshoot - avg|, ns */
	uint64_t iter_t0;        /* start of the previous iteration */
	uint64_t iter_parked;    /* ns parked since iter_t0 */
	bool iter_busy;          /* the previous iteration did work */
	bool last_full;          /* the previous iteration saw a full burst */
	uint32_t clock_skips;    /* iterations since the clock was last read */
	uint64_t parked_since;   /* start of the park in progress, 0 if none (stats) */
	bool work_since_react;   /* anything done since the last react */
	uint32_t idle_reacts;    /* reacts in a row with nothing done between */
	uint64_t idle_park_max;  /* longest idle park with pollers, ns */
	uint64_t idle_park_conf; /* conf.idle_park_max_ns (0: follow the throttle) */
	int idle_epfd;           /* idle park: waits on epfd and unpark_efd */
	int unpark_efd;          /* eventfd that ends an idle park */
	bool reacted;            /* a react has run */

	/* identity and lifetime */
	char name[LCX_NAME_MAX];
	enum lcx_launch launch;
	int cpu;
	unsigned int lcore_id;
	int socket_id;
	bool use_rte_malloc;
	_Atomic bool running;
	bool stopped;         /* lcx_context_stop() finished */
	pthread_t thread;
	pthread_t owner_tid;  /* the thread running the loop */
	_Atomic int refcnt;
	struct lcx_context *next; /* registry of named contexts */

	struct lcx_context_stats st; /* counters other threads read */
	struct lcx_hist late;        /* timer lateness (ns, >= 0) */
	uint64_t early_max;
};

enum {
	LCX__PARK_EMPTY = 0,
	LCX__PARK_PARKED = 1,   /* a throttle park: on the futex */
	LCX__PARK_NOTIFIED = 2,
	LCX__PARK_IDLE = 3,     /* an idle park: in epoll on idle_epfd, ended by I/O too */
};

/* The context whose loop runs in this thread. */
extern __thread struct lcx_context *lcx__current;

static inline bool
lcx__on_owner(const struct lcx_context *ctx)
{
	return lcx__current == ctx;
}

/* May the caller touch the context's owner-only state? Its owner may; so may
 * set-up code before the loop first runs, and tear-down code after it ended. */
static inline bool
lcx__may_touch(const struct lcx_context *ctx)
{
	return lcx__on_owner(ctx) || !atomic_load_explicit(&ctx->running, memory_order_acquire);
}

/* eal.c: did the program attach the EAL (lcx_eal_attach() after rte_eal_init())?
 * The one "is the EAL up" test of the library. */
bool lcx__eal_attached(void);

/*
 * context.c: run fn(ctx, arg) as ctx's owner, so that the owner-only paths of
 * the core (timers, sources) act at once: on the owner thread, or while no
 * loop runs ctx (set-up, tear-down). @return what fn returned, or -EPERM when
 * another thread runs the loop.
 */
int lcx__context_as_owner(struct lcx_context *ctx, lcx_enter_fn fn, void *arg);

/* clock.c */
extern uint64_t lcx__tsc_mult; /* ns per TSC tick, 32.32 fixed point */
void lcx__tsc_init(void);

static inline uint64_t
lcx__tsc_to_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * lcx__tsc_mult) >> 32);
}

static inline uint64_t
lcx__clock_read(const struct lcx_context *ctx)
{
	if (LCX_LIKELY(ctx->clock == NULL))
		return lcx__tsc_to_ns(__builtin_ia32_rdtsc());
	return ctx->clock->now_ns(ctx->clock->arg);
}

/* Memory on the context's NUMA node (rte_malloc_socket or libnuma). */
void *lcx__ctx_zalloc(struct lcx_context *ctx, size_t size);
void lcx__ctx_free(struct lcx_context *ctx, void *p, size_t size);

/* context.c: fn on every named context, under the registry lock, until it returns != 0. */
void lcx__context_foreach(int (*fn)(struct lcx_context *ctx, void *arg), void *arg);
/* telemetry.c */
void lcx__telemetry_init(void);

/* task.c: owner thread only */
void lcx__task_push_local(struct lcx_context *ctx, struct lcx_task *task);
void lcx__task_drain_inbox(struct lcx_context *ctx);
unsigned int lcx__tasks_run(struct lcx_context *ctx);
/* Take a queued task off its context's queues (owner, or no loop running). @return was queued. */
bool lcx__task_cancel(struct lcx_task *task);

/* timer.c */
int lcx__timers_init(struct lcx_context *ctx);
void lcx__timers_fini(struct lcx_context *ctx);
/* Apply queued ops and fire what is due at ctx->now. Returns timers fired. */
unsigned int lcx__timers_react(struct lcx_context *ctx);
/* Busy mode: is anything due at ctx->now? (cheap, no ops applied) */
bool lcx__timers_due(const struct lcx_context *ctx);
/* Is any timer armed, or a cross-thread op queued? An inline test of a few
 * words, for the busy loop's every iteration before lcx__timers_due(). */
static inline bool
lcx__timers_armed(const struct lcx_context *ctx)
{
	return ctx->heap_regular.n != 0 || ctx->heap_at_least.n != 0 ||
	       atomic_load_explicit(&ctx->ops_tail, memory_order_relaxed) != ctx->ops_head;
}
/* The earliest deadline armed (0 if cross-thread ops wait), UINT64_MAX if none. */
uint64_t lcx__timers_next(const struct lcx_context *ctx);

/*
 * context.c: another thread queued something for ctx (a task, a timer op)
 * without asking for an unpark. Ends an idle park, which has no fixed end.
 */
void lcx__context_remote_event(struct lcx_context *ctx);

/* reactor.c */
int lcx__reactor_init(struct lcx_context *ctx);
void lcx__reactor_fini(struct lcx_context *ctx); /* at stop: closes every source */
void lcx__reactor_free(struct lcx_context *ctx); /* at free: frees their memory */
/* Bump the tick, epoll_wait(0), wake waiters. Returns events delivered. */
unsigned int lcx__reactor_react(struct lcx_context *ctx);

#endif /* LCX_PRIVATE_H */
