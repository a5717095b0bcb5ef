/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_POLLER_H
#define LCX_POLLER_H

/**
 * @file
 * Pollers: the fast path of a context.
 *
 * A poller is a function that a driver (a NIC rx queue, say) registers on a
 * context. The context polls every poller in each loop iteration (all of them
 * again, a few rounds at most, while one returns a full burst), and calls each
 * poller's flush at the end of the iteration, so before any park (for tx
 * buffered during the iteration). The order: doc/design.md, "The loop, in
 * order".
 *
 * The ring budget: a poller that describes its ring (ring_size, and optionally
 * a fill() that reads how many entries are waiting) lets the context bound its
 * park so that the ring cannot pass half full before the context wakes, given
 * the arrival rate the context measures from what poll() returns and the
 * context's own measured wake-up overshoot. A poll that returns a full burst
 * (>= burst) means more is waiting: the context does not park at all.
 *
 * Threads: register and unregister on the owning context (use
 * lcx_context_enter() from elsewhere). The callbacks run on the owning context.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;

/** What a poller does; a driver's static table. */
struct lcx_poller_ops {
	const char *name; /**< for logs and stats */
	/** Poll once. @return items taken in (packets received), 0 if none. */
	unsigned int (*poll)(void *arg);
	/** Optional: push out what poll buffered. Called at iteration end and before a park. */
	void (*flush)(void *arg);
	/** Optional: entries waiting in the ring now, or a negative value if unknown. */
	int (*fill)(void *arg);
};

/** A poller. Embed it; fill in the public part before registering. */
struct lcx_poller {
	const struct lcx_poller_ops *ops; /**< callbacks */
	void *arg;                        /**< passed to the callbacks */
	uint32_t burst;                   /**< the most one poll() takes; 0: no full-burst rule */
	uint32_t ring_size;               /**< ring entries; 0: no ring budget */
	/* private, owned by the context */
	unsigned int (*poll_fn)(void *arg); /**< ops->poll, copied next to arg */
	void (*flush_fn)(void *arg);        /**< ops->flush, copied */
	struct lcx_context *ctx; /**< owner while registered */
	uint64_t rate_win_start; /**< start of the current rate window, ns */
	uint64_t rate_win_items; /**< items in the current window */
	uint64_t rate_ppns;      /**< estimated arrivals per ns, 32.32 fixed point */
	uint32_t last_items;     /**< what the last poll returned */
	uint32_t index;          /**< slot in the context's table */
};

/**
 * Register a poller on a context.
 * @param ctx the context; the caller runs on it (or it is not running yet).
 * @param p the poller, with ops set.
 * @return 0, or -EINVAL, -EPERM (wrong thread), -ENOSPC (LCX_POLLERS_MAX reached),
 *         -EBUSY (already registered).
 */
int lcx_poller_register(struct lcx_context *ctx, struct lcx_poller *p);

/**
 * Unregister a poller. Its flush is called once more.
 * @param p the poller.
 * @return 0, or -EINVAL (not registered), -EPERM (wrong thread).
 */
int lcx_poller_unregister(struct lcx_poller *p);

/** The most pollers one context runs. */
#define LCX_POLLERS_MAX 256

#ifdef __cplusplus
}
#endif

#endif /* LCX_POLLER_H */
