/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_TASK_H
#define LCX_TASK_H

/**
 * @file
 * Tasks: caller-embedded units of work that a context runs.
 *
 * A task belongs to one context. Waking it queues it to run once on that
 * context: from the context's own thread the wake goes to a local queue; from
 * any other thread it goes through the context's lock-free multi-producer inbox.
 * A task that is already queued is not queued twice. A task woken while it runs
 * runs again.
 *
 * A task must not block: while it runs, nothing else on its context does.
 *
 * lcx_task_init() and lcx_task_wake*() may be called from any thread.
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;
struct lcx_task;

/** A task's body. Runs on the task's context. */
typedef void (*lcx_task_fn)(struct lcx_task *task, void *arg);

/** A task. Embed it; treat its members as private. */
struct lcx_task {
	lcx_task_fn fn;           /**< the body */
	void *arg;                /**< passed to fn */
	struct lcx_context *ctx;  /**< the owning context */
	struct lcx_task *next;    /**< queue link, owned by the context */
	uint32_t state;           /**< idle or queued; accessed atomically */
};

/**
 * Bind a task to a context.
 * @param task the task.
 * @param ctx the context that will run it.
 * @param fn its body.
 * @param arg passed to fn.
 */
void lcx_task_init(struct lcx_task *task, struct lcx_context *ctx, lcx_task_fn fn, void *arg);

/**
 * Queue the task to run on its context. From another thread the context is
 * not unparked: the task runs when the current park ends.
 * @param task the task.
 * @return 1 if it was queued now, 0 if it was already queued.
 */
int lcx_task_wake(struct lcx_task *task);

/**
 * Like lcx_task_wake(), and end the context's park so the task runs at once.
 * @param task the task.
 * @return 1 if it was queued now, 0 if it was already queued.
 */
int lcx_task_wake_unpark(struct lcx_task *task);

/**
 * @param task the task. Any thread (the answer may be stale at once).
 * @return true while the task is queued and has not started running.
 */
bool lcx_task_is_queued(const struct lcx_task *task);

#ifdef __cplusplus
}
#endif

#endif /* LCX_TASK_H */
