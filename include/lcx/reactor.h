/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_REACTOR_H
#define LCX_REACTOR_H

/**
 * @file
 * I/O sources on a context's epoll reactor, with tick-based readiness.
 *
 * The reactor keeps a tick that it bumps at every react round. Each source has
 * two directions (read, write); each direction remembers the tick of the last
 * round that delivered an event for it. A waiter records, when it registers,
 * the reactor's tick and the direction's tick; it is ready only when the
 * direction's tick differs from both, i.e. a round newer than its registration
 * delivered an event. A stale event is never delivered. A direction has any
 * number of waiters; when an event arrives they are all woken (their tasks are
 * queued) and the epoll interest is re-armed for the directions that still
 * have waiters (interest is one-shot).
 *
 * I/O readiness never ends a throttle park: events gather until the next react.
 * That is the throttle. (It does end an idle park, which comes only after the
 * context had nothing to do for several throttle periods: see context.h.)
 *
 * Threads: lcx_source_create(), lcx_source_poll() and lcx_waiter_cancel() on the owning context
 * (use lcx_context_enter() from elsewhere). lcx_source_destroy() from any
 * thread: the source stops delivering at once and is freed at the owner's next
 * react, so it never races with a re-registration. The owner closes every
 * remaining source when it stops.
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;
struct lcx_source;
struct lcx_task;

/** A readiness direction. */
enum lcx_dir {
	LCX_DIR_READ = 0,  /**< readable (EPOLLIN, also hang-up and error) */
	LCX_DIR_WRITE = 1, /**< writable (EPOLLOUT, also hang-up and error) */
};

/** Close the fd when the source is destroyed. */
#define LCX_SOURCE_CLOSE_FD 0x1u

/** A waiter: one task waiting for one direction of one source. Embed it. */
struct lcx_waiter {
	struct lcx_task *task;   /**< woken when ready */
	struct lcx_waiter *next; /**< private */
	struct lcx_waiter *prev; /**< private */
	uint64_t reg_tick;       /**< private: reactor tick at registration */
	uint64_t dir_tick;       /**< private: direction tick at registration */
	uint8_t armed;           /**< private: ticks recorded */
	uint8_t linked;          /**< private: on the direction's list */
	uint8_t dir;             /**< private */
};

/**
 * Wrap an fd (set non-blocking by the caller) as a source of ctx.
 * @param ctx the owning context; the caller runs on it.
 * @param fd the descriptor.
 * @param flags 0 or LCX_SOURCE_CLOSE_FD.
 * @param out the new source.
 * @return 0, or -EINVAL (NULL ctx or out, fd < 0, unknown flags), -EPERM (not on
 *         ctx's thread), -ENOMEM, or -errno from epoll_ctl.
 */
int lcx_source_create(struct lcx_context *ctx, int fd, uint32_t flags, struct lcx_source **out);

/**
 * Deregister and free a source (closing its fd with LCX_SOURCE_CLOSE_FD).
 * Safe from any thread. Waiters still registered are dropped, not woken;
 * lcx_waiter_init() them again before any other use. After lcx_context_stop()
 * the source is already closed and this is a no-op; its memory goes with the
 * context, so destroy sources before the context's last lcx_context_release().
 * @param src the source; NULL is a no-op.
 */
void lcx_source_destroy(struct lcx_source *src);

/**
 * @param src the source. Any thread while the source lives.
 * @return the source's fd.
 */
int lcx_source_fd(const struct lcx_source *src);

/**
 * Initialise a waiter for a task.
 * @param w the waiter.
 * @param task woken when ready.
 */
void lcx_waiter_init(struct lcx_waiter *w, struct lcx_task *task);

/**
 * Poll a direction. The first call records the ticks and registers the waiter
 * (arming epoll interest); it returns 0. Later calls return 1 once a react round
 * newer than the registration delivered an event for that direction; the waiter
 * is then reset, so the next call registers it afresh. The usual pattern is
 * to try the I/O operation first and poll only when it would block.
 * @param src the source, owned by the calling context.
 * @param dir the direction.
 * @param w the waiter.
 * @return 1 ready, 0 pending (the task will be woken), -EPERM not on the owner,
 *         -EBADF the source is being destroyed, -EINVAL bad dir or w armed on
 *         the other direction, or -errno from epoll_ctl.
 */
int lcx_source_poll(struct lcx_source *src, enum lcx_dir dir, struct lcx_waiter *w);

/**
 * Remove a waiter without waiting for it to fire. On the owning context.
 * @param src the source.
 * @param w the waiter.
 */
void lcx_waiter_cancel(struct lcx_source *src, struct lcx_waiter *w);

/**
 * @param ctx the context. Any thread (a relaxed read).
 * @return the tick of the reactor of ctx: the number of react rounds so far.
 */
uint64_t lcx_reactor_tick(const struct lcx_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* LCX_REACTOR_H */
