/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_TIMER_H
#define LCX_TIMER_H

/**
 * @file
 * Throttled timers.
 *
 * A timer belongs to the context it was started on and fires in that
 * context's react step. The contract, with T the context's throttle:
 *
 * - A regular timer fires within T/2 of its deadline, plus the wake-up jitter
 *   of the machine: at the first react whose time is at or past deadline - T/2. It
 *   may fire up to T/2 early. A delay of at most T/2 fires at the next react.
 * - An at-least timer (LCX_TIMER_AT_LEAST) never fires before its deadline: at
 *   the first react whose time is at or past the deadline, so up to T (plus
 *   jitter) late.
 * - An interval timer (period > 0) advances its deadline by whole periods past
 *   the react that fired it: missed periods are skipped, never fired in a burst.
 * - With T = 0 (busy polling) timers are checked on every loop iteration and
 *   fire when their deadline is reached.
 *
 * Threads: lcx_timer_init() anywhere. lcx_timer_start() and lcx_timer_stop()
 * from the owning context's thread act at once; from any other thread they are
 * queued (a bounded queue, LCX_TIMER_OPS_CAPACITY entries) and applied at the
 * owner's next react. A full queue never loses an operation: the caller unparks
 * the owner and retries, and the event is counted (timer_ops_full). The
 * callback runs on the owning context and must not block.
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;
struct lcx_timer;

/** Capacity of a context's cross-thread timer operation queue. */
#define LCX_TIMER_OPS_CAPACITY 1024

/** Fire no earlier than the deadline (the "at-least" variant). */
#define LCX_TIMER_AT_LEAST 0x1u

/**
 * A timer callback. Runs on the owning context. It may restart or stop the
 * timer, or free it once stopped (a one-shot timer is stopped when it fires).
 */
typedef void (*lcx_timer_fn)(struct lcx_timer *timer, void *arg);

/** A timer. Embed it; treat its members as private. */
struct lcx_timer {
	uint64_t deadline;       /**< absolute, context clock ns */
	uint64_t period;         /**< 0 for one-shot */
	lcx_timer_fn fn;         /**< callback */
	void *arg;               /**< callback argument */
	struct lcx_context *ctx; /**< owner while armed */
	uint32_t heap_idx;       /**< position in the owner's heap */
	uint32_t flags;          /**< LCX_TIMER_* and internal state */
};

/**
 * Initialise a timer (not armed).
 * @param timer the timer.
 * @param fn callback.
 * @param arg callback argument.
 */
void lcx_timer_init(struct lcx_timer *timer, lcx_timer_fn fn, void *arg);

/**
 * Arm a timer on a context, replacing any earlier arming.
 * @param ctx the owning context.
 * @param timer the timer.
 * @param delay_ns deadline = the context's clock read in this call + delay_ns, in ns
 *        (0 to UINT64_MAX, saturating): the delay counts from the call, not from the
 *        loop iteration's cached time (lcx_context_now()).
 * @param period_ns 0 for one-shot, else the interval in ns (1 to UINT64_MAX; a
 *        period shorter than the throttle fires at most once per react).
 * @param flags 0 or LCX_TIMER_AT_LEAST.
 * @return 0, or -EINVAL (bad argument, or armed on another context), -ENOMEM,
 *         -ESHUTDOWN (from another thread, the context is stopping).
 */
int lcx_timer_start(struct lcx_context *ctx, struct lcx_timer *timer, uint64_t delay_ns,
		    uint64_t period_ns, uint32_t flags);

/**
 * Disarm a timer. Its callback does not run after this returns when called on
 * the owning context; from another thread it stops at the owner's next react.
 * @param timer the timer.
 * @return 0, or -EINVAL.
 */
int lcx_timer_stop(struct lcx_timer *timer);

/**
 * @param timer the timer. On the owning context's thread, or any thread for
 *        the "may I free it" question below.
 * @return true while the timer is armed (as seen by the owning context) or an
 *         operation on it from another thread is still queued. The caller may
 *         free the timer once this returns false.
 */
bool lcx_timer_is_pending(const struct lcx_timer *timer);

#ifdef __cplusplus
}
#endif

#endif /* LCX_TIMER_H */
