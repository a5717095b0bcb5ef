/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-context epoll reactor, with tick-based readiness (threadshare's
 * Reactor / Source / Direction, re-done in C for one owning thread).
 *
 * Everything here runs on the owning context's thread, except
 * lcx_source_destroy() from another thread, lcx_reactor_tick() and
 * lcx_source_fd(). The owner is the only thread that walks waiter lists, arms
 * interest (EPOLL_CTL_ADD / MOD), closes fds and frees sources.
 *
 * Readiness. ctx->tick counts react rounds; it is bumped before each
 * epoll_wait(). Each direction of a source keeps the tick of the last round
 * that delivered an event for it. A waiter records, when it registers, the
 * reactor tick R (the newest round that already ran) and the direction tick D.
 * It is ready once the direction tick differs from both: only a round newer
 * than R can have set it, so the event it saw was gathered after the waiter
 * registered. An event that an older round delivered (D, or R itself) is
 * stale: whoever it was for may already have consumed the data. With one
 * owning thread and react never running a task, the direction tick can only
 * equal R when round R delivered before registration, so the R check is what
 * keeps a waiter registered right after round R from taking round R's event;
 * the D check covers older rounds.
 *
 * Interest is one-shot (EPOLLONESHOT): a delivered event disarms the fd. A
 * direction's waiters are all woken (their tasks queued) and unlinked, their
 * recorded ticks kept so that their next poll returns 1; interest is then
 * re-armed for the directions that still have waiters. A direction that gets
 * its first waiter re-arms interest for the union of directions with waiters.
 * Level-triggered readiness does the rest: arming on a fd that is already
 * readable reports it at the next round.
 *
 * Destruction from another thread sets src->closing (polls then fail with
 * -EBADF, react ignores its events and never re-arms it), removes the fd from
 * the epoll set at once, and pushes the source on ctx->dead_sources; the owner
 * closes the fd (LCX_SOURCE_CLOSE_FD) and frees it at its next react. The
 * removal is done by the destroying thread, not deferred, for two reasons:
 *  - a caller without LCX_SOURCE_CLOSE_FD closes the fd as soon as destroy
 *    returns; if the open file lives on (dup(), fork()), a deferred DEL would
 *    find the fd closed (EBADF) and the epoll set would keep a registration
 *    pointing at freed memory;
 *  - if that fd number is reused and registered again before the owner
 *    reaps, a deferred DEL would remove the new source's registration.
 * epoll_ctl() is thread-safe; a concurrent re-arm (MOD) by the owner after the
 * DEL fails with ENOENT and never re-adds the fd.
 */

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lcx_private.h"

/* epoll_wait() batch per react; more ready fds are delivered next round. */
#define REACTOR_EVENTS 256

/* What wakes each direction. Error and hang-up wake writers too: a writer
 * blocked on a full pipe whose reader went away gets only EPOLLERR. */
#define EV_READ (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR)
#define EV_WRITE (EPOLLOUT | EPOLLHUP | EPOLLERR)

struct source_dir {
	uint64_t tick;		 /* last round that delivered an event */
	struct lcx_waiter *head; /* registered waiters */
};

struct lcx_source {
	struct lcx_context *ctx;
	int fd;
	uint32_t flags;		 /* LCX_SOURCE_* */
	uint32_t armed;		 /* interest armed in epoll (owner's view) */
	_Atomic bool closing;	 /* destroyed from another thread */
	struct source_dir dir[2];
	struct lcx_source *next; /* ctx->sources, owner only */
	struct lcx_source *prev;
	struct lcx_source *dead; /* ctx->dead_sources link */
};

static _Atomic bool wait_error_logged;

static inline bool
is_closing(const struct lcx_source *src)
{
	return atomic_load_explicit(&src->closing, memory_order_acquire);
}

static void
waiter_link(struct source_dir *d, struct lcx_waiter *w)
{
	w->prev = NULL;
	w->next = d->head;
	if (d->head != NULL)
		d->head->prev = w;
	d->head = w;
	w->linked = 1;
}

static void
waiter_unlink(struct source_dir *d, struct lcx_waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		d->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->next = NULL;
	w->prev = NULL;
	w->linked = 0;
}

/* Interest for the directions that have waiters. */
static uint32_t
wanted(const struct lcx_source *src)
{
	uint32_t ev = 0;

	if (src->dir[LCX_DIR_READ].head != NULL)
		ev |= EPOLLIN | EPOLLPRI | EPOLLRDHUP;
	if (src->dir[LCX_DIR_WRITE].head != NULL)
		ev |= EPOLLOUT;
	return ev;
}

/* Arm one-shot interest for every direction with waiters, unless what is
 * armed already covers it. Owner only; never on a closing source. */
static int
rearm(struct lcx_source *src)
{
	struct epoll_event ev;
	uint32_t want = wanted(src);

	if (want == 0 || (src->armed & want) == want)
		return 0;
	if (is_closing(src))
		return -EBADF;
	memset(&ev, 0, sizeof(ev));
	ev.events = want | EPOLLONESHOT;
	ev.data.ptr = src;
	if (epoll_ctl(src->ctx->epfd, EPOLL_CTL_MOD, src->fd, &ev) < 0) {
		int err = errno;

		/* ENOENT: another thread destroyed it since the check. */
		return is_closing(src) ? -EBADF : -err;
	}
	src->armed = want;
	return 0;
}

/* Wake and unlink every waiter of a direction; their ticks stay recorded so
 * that their next poll sees the newer direction tick. */
static unsigned int
drain(struct source_dir *d)
{
	struct lcx_waiter *w = d->head;
	unsigned int n = 0;

	d->head = NULL;
	while (w != NULL) {
		struct lcx_waiter *next = w->next;

		w->next = NULL;
		w->prev = NULL;
		w->linked = 0;
		if (w->task != NULL)
			lcx_task_wake(w->task);
		n++;
		w = next;
	}
	return n;
}

static void
sources_unlink(struct lcx_context *ctx, struct lcx_source *src)
{
	if (src->prev != NULL)
		src->prev->next = src->next;
	else
		ctx->sources = src->next;
	if (src->next != NULL)
		src->next->prev = src->prev;
	src->next = NULL;
	src->prev = NULL;
}

/* Owner side of destruction. del: the fd is still in the epoll set. */
static void
source_free(struct lcx_context *ctx, struct lcx_source *src, bool del)
{
	if (del && ctx->epfd >= 0)
		(void)epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	if (src->flags & LCX_SOURCE_CLOSE_FD)
		(void)close(src->fd);
	sources_unlink(ctx, src);
	lcx__ctx_free(ctx, src, sizeof(*src));
}

/* Free what other threads destroyed (their fds are already out of epoll). */
static void
reap_dead(struct lcx_context *ctx)
{
	struct lcx_source *src =
		atomic_exchange_explicit(&ctx->dead_sources, NULL, memory_order_acquire);

	while (src != NULL) {
		struct lcx_source *next = src->dead;

		source_free(ctx, src, false);
		src = next;
	}
}

int
lcx__reactor_init(struct lcx_context *ctx)
{
	int err;

	ctx->sources = NULL;
	atomic_store_explicit(&ctx->dead_sources, NULL, memory_order_relaxed);
	atomic_store_explicit(&ctx->tick, 0, memory_order_relaxed);
	ctx->nb_events = REACTOR_EVENTS;
	ctx->events = lcx__ctx_zalloc(ctx, sizeof(*ctx->events) * ctx->nb_events);
	if (ctx->events == NULL) {
		ctx->nb_events = 0;
		ctx->epfd = -1;
		return -ENOMEM;
	}
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx->epfd < 0) {
		err = -errno;
		LCX_LOG(ERR, "%s: epoll_create1: %s", ctx->name, strerror(-err));
		goto out_free_events;
	}
	return 0;

out_free_events:
	lcx__ctx_free(ctx, ctx->events, sizeof(*ctx->events) * ctx->nb_events);
	ctx->events = NULL;
	ctx->nb_events = 0;
	return err;
}

/*
 * At stop: every source leaves epoll and its fd is closed (LCX_SOURCE_CLOSE_FD),
 * but its memory stays, marked closing, until the context itself is freed
 * (lcx__reactor_free), so that a lcx_source_destroy() after the stop, say by a
 * port torn down after its context, is a no-op and not a use after free.
 */
void
lcx__reactor_fini(struct lcx_context *ctx)
{
	reap_dead(ctx);
	for (struct lcx_source *src = ctx->sources; src != NULL; src = src->next) {
		if (!is_closing(src) && ctx->epfd >= 0)
			(void)epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, src->fd, NULL);
		atomic_store(&src->closing, true);
		if (src->flags & LCX_SOURCE_CLOSE_FD)
			(void)close(src->fd);
		src->flags &= ~LCX_SOURCE_CLOSE_FD;
		src->dir[0].head = NULL;
		src->dir[1].head = NULL;
	}
	if (ctx->epfd >= 0)
		(void)close(ctx->epfd);
	ctx->epfd = -1;
	if (ctx->events != NULL)
		lcx__ctx_free(ctx, ctx->events, sizeof(*ctx->events) * ctx->nb_events);
	ctx->events = NULL;
	ctx->nb_events = 0;
}

void
lcx__reactor_free(struct lcx_context *ctx)
{
	while (ctx->sources != NULL)
		source_free(ctx, ctx->sources, false);
}

unsigned int
lcx__reactor_react(struct lcx_context *ctx)
{
	unsigned int delivered = 0;
	uint64_t tick;
	int n;

	if (atomic_load_explicit(&ctx->dead_sources, memory_order_relaxed) != NULL)
		reap_dead(ctx);
	tick = atomic_load_explicit(&ctx->tick, memory_order_relaxed) + 1;
	atomic_store_explicit(&ctx->tick, tick, memory_order_release);
	if (ctx->sources == NULL)
		return 0; /* nothing registered: spare the system call */

	n = epoll_wait(ctx->epfd, ctx->events, (int)ctx->nb_events, 0);
	if (n < 0) {
		/* EINTR: the events stay queued for the next round. */
		if (errno != EINTR && !atomic_exchange(&wait_error_logged, true))
			LCX_LOG(ERR, "%s: epoll_wait: %s", ctx->name, strerror(errno));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		struct lcx_source *src = ctx->events[i].data.ptr;
		uint32_t ev = ctx->events[i].events;
		int rc;

		if (is_closing(src))
			continue;
		src->armed = 0; /* one-shot: the kernel disarmed it */
		if (ev & EV_WRITE) {
			src->dir[LCX_DIR_WRITE].tick = tick;
			drain(&src->dir[LCX_DIR_WRITE]);
		}
		if (ev & EV_READ) {
			src->dir[LCX_DIR_READ].tick = tick;
			drain(&src->dir[LCX_DIR_READ]);
		}
		/* Interest in both directions and only one fired: re-arm the other. */
		rc = rearm(src);
		if (rc < 0 && rc != -EBADF)
			LCX_LOG(ERR, "%s: re-arm fd %d: %s", ctx->name, src->fd, strerror(-rc));
		delivered++;
	}
	if (delivered != 0)
		LCX_STAT_ADD(ctx, io_events, delivered);
	return delivered;
}

int
lcx_source_create(struct lcx_context *ctx, int fd, uint32_t flags, struct lcx_source **out)
{
	struct lcx_source *src;
	struct epoll_event ev;

	if (ctx == NULL || out == NULL || fd < 0 || (flags & ~LCX_SOURCE_CLOSE_FD) != 0)
		return -EINVAL;
	if (!lcx__may_touch(ctx))
		return -EPERM;
	src = lcx__ctx_zalloc(ctx, sizeof(*src));
	if (src == NULL)
		return -ENOMEM;
	src->ctx = ctx;
	src->fd = fd;
	src->flags = flags;
	atomic_init(&src->closing, false);

	/* No interest yet: the first waiter arms it. One-shot from the start, so
	 * that even a hang-up (always reported) is delivered once, not every round. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLONESHOT;
	ev.data.ptr = src;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;

		lcx__ctx_free(ctx, src, sizeof(*src));
		return -err;
	}
	src->next = ctx->sources;
	if (ctx->sources != NULL)
		ctx->sources->prev = src;
	ctx->sources = src;
	*out = src;
	return 0;
}

void
lcx_source_destroy(struct lcx_source *src)
{
	struct lcx_context *ctx;
	struct lcx_source *head;
	bool expected = false;

	if (src == NULL)
		return;
	ctx = src->ctx;
	/* On the owner, or no loop runs (set-up code, or a stopped context, whose
	 * sources are all closing: their memory goes with the context). */
	if (lcx__may_touch(ctx)) {
		if (is_closing(src))
			return; /* destroyed from another thread: the reaper frees it */
		/* No react runs while we do this, so no gathered event can still
		 * refer to the source. Dropped waiters are reset so that they may
		 * be reused; they are not woken. */
		for (int d = 0; d < 2; d++) {
			struct lcx_waiter *w = src->dir[d].head;

			while (w != NULL) {
				struct lcx_waiter *next = w->next;

				w->next = NULL;
				w->prev = NULL;
				w->linked = 0;
				w->armed = 0;
				w = next;
			}
			src->dir[d].head = NULL;
		}
		source_free(ctx, src, !is_closing(src));
		return;
	}
	if (!atomic_compare_exchange_strong(&src->closing, &expected, true))
		return; /* already being destroyed */
	/* Waiters are left alone: their memory belongs to tasks of the context
	 * and may go away as soon as this returns. */
	(void)epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	head = atomic_load_explicit(&ctx->dead_sources, memory_order_relaxed);
	do {
		src->dead = head;
	} while (!atomic_compare_exchange_weak_explicit(&ctx->dead_sources, &head, src,
							memory_order_release, memory_order_relaxed));
	/* No unpark: the fd is already out of epoll, and an unpark would not make
	 * the loop react any sooner, only iterate once more for nothing. */
}

int
lcx_source_fd(const struct lcx_source *src)
{
	return src->fd;
}

void
lcx_waiter_init(struct lcx_waiter *w, struct lcx_task *task)
{
	memset(w, 0, sizeof(*w));
	w->task = task;
}

int
lcx_source_poll(struct lcx_source *src, enum lcx_dir dir, struct lcx_waiter *w)
{
	struct lcx_context *ctx = src->ctx;
	struct source_dir *d;
	bool was_empty;
	int rc;

	if ((unsigned int)dir > LCX_DIR_WRITE)
		return -EINVAL;
	if (!lcx__may_touch(ctx))
		return -EPERM;
	/* A closing source's lists are not touched: their other waiters may be
	 * gone already. */
	if (is_closing(src))
		return -EBADF;
	if (w->armed && w->dir != dir)
		return -EINVAL;
	d = &src->dir[dir];
	if (w->armed) {
		if (d->tick != w->reg_tick && d->tick != w->dir_tick) {
			if (w->linked)
				waiter_unlink(d, w);
			w->armed = 0;
			return 1;
		}
		/* Woken by something else: the ticks stay, only make sure it is
		 * still registered (it always is, as a drain moves the
		 * direction's tick past the recorded ones). */
		if (w->linked)
			return 0;
	} else {
		w->reg_tick = atomic_load_explicit(&ctx->tick, memory_order_relaxed);
		w->dir_tick = d->tick;
		w->dir = (uint8_t)dir;
		w->armed = 1;
	}
	was_empty = d->head == NULL;
	waiter_link(d, w);
	if (was_empty) {
		rc = rearm(src);
		if (rc < 0) {
			waiter_unlink(d, w);
			w->armed = 0;
			return rc;
		}
	}
	return 0;
}

void
lcx_waiter_cancel(struct lcx_source *src, struct lcx_waiter *w)
{
	/* Interest stays armed; an event with no waiter left is harmless. */
	if (w->linked && !is_closing(src))
		waiter_unlink(&src->dir[w->dir], w);
	w->next = NULL;
	w->prev = NULL;
	w->linked = 0;
	w->armed = 0;
}

uint64_t
lcx_reactor_tick(const struct lcx_context *ctx)
{
	return atomic_load_explicit(&ctx->tick, memory_order_acquire);
}
