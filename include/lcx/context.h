/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_CONTEXT_H
#define LCX_CONTEXT_H

/**
 * @file
 * Contexts: one throttled loop per thread (a DPDK lcore, or a pinned pthread).
 *
 * One iteration of the loop reads the clock, polls the pollers, runs up to
 * LCX_TASKS_PER_ITER tasks, reacts (timers, then epoll) when a react period has
 * passed, flushes the pollers and parks when it found nothing to do. The exact
 * order and its rules are written once, in doc/design.md ("The loop, in
 * order").
 *
 * Idle back-off: once LCX_IDLE_REACTS reacts in a row found nothing to do, the
 * context parks past the throttle: until its next timer deadline, bounded by
 * idle_park_max_ns when it has pollers. Such an idle park is also ended by an
 * I/O event on a waited source and by any wake from another thread; the react
 * that follows is still at least one throttle after the previous one, so
 * reacts stay at most one per throttle period.
 *
 * The react period is the throttle. Throttle 0 is busy polling: the loop never
 * parks, timers are checked every iteration, and epoll is read every
 * LCX_BUSY_REACT_NS so that the busy path makes no system call per iteration.
 *
 * Nothing that runs on a context (pollers, tasks, timer callbacks) may block.
 *
 * Threads: lcx_context_acquire(), lcx_context_release(), lcx_context_stop(),
 * lcx_context_unpark(), lcx_context_enter(), lcx_context_set_throttle() and
 * lcx_context_stats() may be called from any thread. lcx_context_run() and
 * lcx_context_run_once() run the loop in the calling thread
 * (LCX_LAUNCH_NONE contexts only).
 */

#include <stdbool.h>
#include <stdint.h>

#include <lcx/clock.h>
#include <lcx/eal.h> /* lcx_eal_attach(): rte_malloc memory, LCX_LAUNCH_LCORE */

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;

/** The most characters of a context name, with the terminating NUL. */
#define LCX_NAME_MAX 32
/** The most tasks one loop iteration runs. */
#define LCX_TASKS_PER_ITER 64
/** With throttle 0, how often epoll is read (ns). */
#define LCX_BUSY_REACT_NS 100000ull
/** Reacts in a row with nothing done before a context backs off (idle park). */
#define LCX_IDLE_REACTS 8
/** Default bound of an idle park, in throttles, for a context with pollers. */
#define LCX_IDLE_PARK_FACTOR 4
/** The longest throttle accepted (ns). */
#define LCX_THROTTLE_MAX_NS 1000000000ull

/** How a context gets its thread. */
enum lcx_launch {
	/**
	 * a pthread, pinned to conf.cpu when it is >= 0; with -1, free to run on
	 * any CPU the process could use when it started (not only the creating
	 * thread's: the EAL pins its main thread to the main lcore's CPU)
	 */
	LCX_LAUNCH_THREAD = 0,
	LCX_LAUNCH_LCORE,      /**< rte_eal_remote_launch() on conf.lcore_id */
	LCX_LAUNCH_NONE,       /**< the caller runs lcx_context_run() or _run_once() */
};

/** How to create a context. */
struct lcx_context_conf {
	const char *name;            /**< unique name; acquire returns the live one */
	uint64_t throttle_ns;        /**< react period; 0 busy polls */
	enum lcx_launch launch;      /**< thread model */
	int cpu;                     /**< LCX_LAUNCH_THREAD: CPU to pin to, -1: any CPU of the process at its start */
	unsigned int lcore_id;       /**< LCX_LAUNCH_LCORE: the worker lcore */
	int socket_id;               /**< NUMA node for its memory; -1: of the cpu/lcore */
	const struct lcx_clock *clock; /**< NULL: the TSC */
	/**
	 * Idle back-off for contexts with pollers: after LCX_IDLE_REACTS reacts
	 * in a row with nothing to do, park up to this long (0: the throttle
	 * times LCX_IDLE_PARK_FACTOR; at most the throttle: no back-off, so
	 * traffic that starts after a silence waits at most one throttle). A
	 * context without pollers parks until its next timer, an I/O event on a
	 * waited source, or a wake from another thread, however long that is.
	 */
	uint64_t idle_park_max_ns;
};

/** Figures of a context, readable from any thread while it runs. */
struct lcx_context_stats {
	uint64_t throttle_ns;      /**< current throttle */
	uint64_t iterations;       /**< loop iterations */
	uint64_t reacts;           /**< react rounds */
	uint64_t tasks_run;        /**< task runs */
	uint64_t polled_items;     /**< sum of what pollers returned */
	uint64_t timers_fired;     /**< timer callbacks run */
	uint64_t timer_ops_full;   /**< cross-thread timer queue found full */
	uint64_t io_events;        /**< epoll events delivered */
	uint64_t parks;            /**< parks taken */
	uint64_t parks_cut;        /**< parks shortened by the ring budget */
	uint64_t parks_skipped;    /**< idle iterations not parked (budget too small) */
	uint64_t unparks;          /**< parks ended by an unpark */
	uint64_t busy_ns;          /**< time in iterations that did work */
	uint64_t idle_ns;          /**< time in iterations that found nothing */
	uint64_t parked_ns;        /**< time parked */
	uint64_t park_overshoot_avg_ns; /**< mean overshoot of a park past its end */
	uint64_t park_overshoot_max_ns; /**< largest overshoot */
	uint64_t timer_late_p50_ns;  /**< lateness of fired timers, 50th percentile */
	uint64_t timer_late_p99_ns;  /**< 99th percentile */
	uint64_t timer_late_max_ns;  /**< largest lateness */
	uint64_t timer_early_max_ns; /**< largest earliness (regular timers) */
	uint64_t idle_parks;       /**< parks past the throttle, taken when idle */
};

/**
 * Get the context named conf->name, creating and starting it if it does not
 * exist. Each successful call takes a reference.
 * @param conf the configuration (only name is used when the context exists).
 * @param out the context.
 * @return 0, or -EINVAL (bad conf), -ENOMEM, -EBUSY (lcore busy), or -errno
 *         from thread creation.
 */
int lcx_context_acquire(const struct lcx_context_conf *conf, struct lcx_context **out);

/**
 * Drop a reference; the last one stops the context and frees it.
 * @param ctx the context; NULL is a no-op.
 */
void lcx_context_release(struct lcx_context *ctx);

/**
 * Stop the loop and wait for its thread: set the stop flag, unpark, join.
 * Every source is then deregistered and its fd closed (LCX_SOURCE_CLOSE_FD),
 * pollers are flushed and unregistered, armed timers are dropped. Idempotent.
 * Not from the context's own thread (that would wait for itself): there, it
 * only sets the flag and the loop returns at the end of the iteration.
 * @param ctx the context.
 * @return 0, or -EINVAL.
 */
int lcx_context_stop(struct lcx_context *ctx);

/**
 * @param ctx the context. Any thread.
 * @return true once lcx_context_stop() was called.
 */
bool lcx_context_is_stopping(const struct lcx_context *ctx);

/**
 * End the current park (or the next one) early. Any thread.
 * @param ctx the context.
 */
void lcx_context_unpark(struct lcx_context *ctx);

/** A function run on a context by lcx_context_enter(). */
typedef int (*lcx_enter_fn)(struct lcx_context *ctx, void *arg);

/**
 * Run fn on ctx and wait for it; from ctx's own thread fn runs at once.
 * The context must be running (or be driven by the caller's own thread).
 * @param ctx the context.
 * @param fn the function.
 * @param arg its argument.
 * @return what fn returned, or -ESHUTDOWN if the context is stopping.
 */
int lcx_context_enter(struct lcx_context *ctx, lcx_enter_fn fn, void *arg);

/** @return the context whose loop runs in the calling thread, or NULL. */
struct lcx_context *lcx_context_current(void);

/**
 * @param ctx the context. On its own thread (elsewhere the value may be one
 *        iteration old).
 * @return the context's cached time of this iteration, ns on its clock.
 */
uint64_t lcx_context_now(const struct lcx_context *ctx);

/**
 * @param ctx the context. Any thread.
 * @return a fresh reading of the context's clock, ns (the TSC's, lcx_tsc_ns(),
 *         unless conf.clock gave another).
 */
uint64_t lcx_context_clock(const struct lcx_context *ctx);

/**
 * @param ctx the context. Any thread.
 * @return the context's name, at most LCX_NAME_MAX - 1 characters; valid while
 *         the caller holds its reference.
 */
const char *lcx_context_name(const struct lcx_context *ctx);

/**
 * @param ctx the context. Any thread.
 * @return the NUMA node of the context's memory, or -1 when unknown.
 */
int lcx_context_socket(const struct lcx_context *ctx);

/**
 * @param ctx the context. Any thread.
 * @return the context's throttle, ns, 0 to LCX_THROTTLE_MAX_NS.
 */
uint64_t lcx_context_throttle(const struct lcx_context *ctx);

/**
 * Change the throttle; takes effect at the next iteration. Any thread.
 * @param ctx the context.
 * @param throttle_ns the new throttle, at most LCX_THROTTLE_MAX_NS.
 * @return 0, or -EINVAL.
 */
int lcx_context_set_throttle(struct lcx_context *ctx, uint64_t throttle_ns);

/**
 * Read the context's figures. Any thread; the context keeps running.
 * @param ctx the context.
 * @param out the figures.
 * @return 0, or -EINVAL.
 */
int lcx_context_stats(const struct lcx_context *ctx, struct lcx_context_stats *out);

/**
 * Run the loop of an LCX_LAUNCH_NONE context in the calling thread until
 * lcx_context_stop() (from another thread, or from a task of this context).
 * @param ctx the context.
 * @return 0, or -EINVAL (not LCX_LAUNCH_NONE), -EBUSY (already running).
 */
int lcx_context_run(struct lcx_context *ctx);

/**
 * One loop iteration without parking, for an LCX_LAUNCH_NONE context driven
 * by its caller (unit tests on a manual clock).
 * @param ctx the context.
 * @return how long the loop would park now (ns), 0 when it would not park,
 *         or -EINVAL.
 */
int64_t lcx_context_run_once(struct lcx_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* LCX_CONTEXT_H */
