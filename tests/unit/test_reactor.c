/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The epoll reactor: tick-based readiness, one-shot interest and its re-arming,
 * destruction from other threads, closing at stop.
 *
 * Most tests drive an LCX_LAUNCH_NONE context with lcx_context_run_once() on a
 * manual clock advanced by a whole throttle before each call, so that every
 * step reacts. One iteration runs the queued tasks, then reacts: a task woken
 * by the react of step k runs in step k + 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <lcx/lcx.h>

#include "unit_ctx.h"

#define MS 1000000ull
#define THROTTLE MS

struct fix {
	struct unit_fix u; /* first */
};

static int
setup(void **state)
{
	return unit_fix_setup(state, sizeof(struct fix), "reactor", THROTTLE);
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	unit_fix_free(&f->u);
	return 0;
}

static uint64_t
io_events(struct fix *f)
{
	struct lcx_context_stats st;

	assert_int_equal(lcx_context_stats(f->u.ctx, &st), 0);
	return st.io_events;
}

static bool
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static int
new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void
efd_write(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static uint64_t
efd_read(int fd)
{
	uint64_t v = 0;
	ssize_t n = read(fd, &v, sizeof(v));

	return n == (ssize_t)sizeof(v) ? v : 0;
}

static void
new_socketpair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

/* Run fn(arg) on a thread of its own and wait for it. */
static void
on_other_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/*
 * A task that polls one direction each time it runs. With repoll it polls
 * again after a ready result, as a read loop does once it has drained the fd.
 */
struct wt {
	struct lcx_task task;
	struct lcx_waiter w;
	struct lcx_source *src;
	enum lcx_dir dir;
	int runs;
	int ready; /* polls that returned 1 */
	int last;  /* last poll result */
	bool repoll;
	void (*body)(struct wt *wt); /* optional, before the poll */
};

static void
wt_fn(struct lcx_task *task, void *arg)
{
	struct wt *wt = arg;

	(void)task;
	if (wt->src == NULL)
		return;
	wt->runs++;
	if (wt->body != NULL)
		wt->body(wt);
	if (wt->src == NULL)
		return;
	wt->last = lcx_source_poll(wt->src, wt->dir, &wt->w);
	if (wt->last == 1) {
		wt->ready++;
		if (wt->repoll)
			wt->last = lcx_source_poll(wt->src, wt->dir, &wt->w);
	}
}

static void
wt_init(struct wt *wt, struct fix *f, struct lcx_source *src, enum lcx_dir dir)
{
	memset(wt, 0, sizeof(*wt));
	lcx_task_init(&wt->task, f->u.ctx, wt_fn, wt);
	lcx_waiter_init(&wt->w, &wt->task);
	wt->src = src;
	wt->dir = dir;
	wt->last = -1000;
}

/* Queue the task from the test thread and step: it runs, then the loop reacts. */
static void
kick(struct fix *f, struct wt *wt)
{
	lcx_task_wake(&wt->task);
	unit_step(&f->u);
}

/* An event after registration is delivered at the next react and wakes the task. */
static void
test_event_after_registration(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt a;
	int fd = new_eventfd();

	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &src), 0);
	assert_int_equal(lcx_source_fd(src), fd);
	wt_init(&a, f, src, LCX_DIR_READ);
	kick(f, &a);
	assert_int_equal(a.runs, 1);
	assert_int_equal(a.last, 0);
	assert_false(lcx_task_is_queued(&a.task));
	unit_step(&f->u);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&a.task)); /* nothing to read: not woken */
	assert_int_equal(io_events(f), 0);

	efd_write(fd);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&a.task));
	assert_int_equal(io_events(f), 1);
	unit_step(&f->u);
	assert_int_equal(a.runs, 2);
	assert_int_equal(a.last, 1);
	assert_int_equal(a.ready, 1);
	lcx_source_destroy(src);
	assert_false(fd_is_open(fd));
}

/* Data already there when the waiter registers, never reported by any round:
 * arming interest reports it at the next round (level-triggered). */
static void
test_pending_data_at_registration(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt a;
	int fd = new_eventfd();

	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &src), 0);
	efd_write(fd);
	unit_step(&f->u);
	unit_step(&f->u);
	/* No interest yet: those rounds delivered nothing. */
	assert_int_equal(io_events(f), 0);
	wt_init(&a, f, src, LCX_DIR_READ);
	kick(f, &a);
	assert_int_equal(a.last, 0);
	assert_true(lcx_task_is_queued(&a.task)); /* the same step's react saw it */
	unit_step(&f->u);
	assert_int_equal(a.last, 1);
	lcx_source_destroy(src);
}

/*
 * A stale event is never delivered. Round N delivers a read event to waiter A
 * (the direction's tick becomes N). Waiter B registers after round N: it
 * records (reactor tick N, direction tick N). Round N's event happened before
 * B registered, so it is stale for B, whoever it was for may have consumed
 * the data already: B is only ready once a round newer than N delivers an
 * event. If the data is still there, the next round reports it again (B's
 * registration re-armed the one-shot interest): B fires at round N + 1, not
 * on round N's event. If A consumed it, B stays pending until new data comes.
 * This is the seed's Ready::poll rule: ready iff the direction tick differs
 * from both recorded ticks.
 */
static void
test_stale_event_not_delivered(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt a, b;
	uint64_t tick_n;
	int fd = new_eventfd();

	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &src), 0);
	wt_init(&a, f, src, LCX_DIR_READ);
	wt_init(&b, f, src, LCX_DIR_READ);
	kick(f, &a);
	efd_write(fd);
	unit_step(&f->u); /* round N delivers to A */
	tick_n = lcx_reactor_tick(f->u.ctx);
	assert_true(lcx_task_is_queued(&a.task));

	/* B registers after round N, while the data is still unread. */
	assert_int_equal(lcx_source_poll(src, LCX_DIR_READ, &b.w), 0);
	assert_int_equal(b.w.reg_tick, tick_n);
	assert_int_equal(b.w.dir_tick, tick_n);
	/* No newer round yet: round N's event is not B's. */
	assert_int_equal(lcx_source_poll(src, LCX_DIR_READ, &b.w), 0);
	assert_false(lcx_task_is_queued(&b.task));

	/* Case 1: data left unread: round N + 1 reports it afresh, and B fires. */
	unit_step(&f->u); /* A runs (ready), round N + 1 */
	assert_int_equal(a.last, 1);
	assert_int_equal(lcx_reactor_tick(f->u.ctx), tick_n + 1);
	assert_true(lcx_task_is_queued(&b.task));
	unit_step(&f->u);
	assert_int_equal(b.runs, 1);
	assert_int_equal(b.last, 1);

	/* Case 2: A consumes the data of round M; B registered after M stays
	 * pending through later rounds until new data comes. */
	assert_int_equal(efd_read(fd), 1);
	kick(f, &a); /* A registers afresh */
	assert_int_equal(a.last, 0);
	efd_write(fd);
	unit_step(&f->u); /* round M delivers to A */
	assert_true(lcx_task_is_queued(&a.task));
	b.last = lcx_source_poll(src, LCX_DIR_READ, &b.w); /* B after round M */
	assert_int_equal(b.last, 0);
	assert_int_equal(efd_read(fd), 1); /* consumed before B looks */
	unit_step(&f->u); /* A runs: ready; round M + 1 has nothing */
	assert_int_equal(a.last, 1);
	unit_step(&f->u);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&b.task));
	assert_int_equal(lcx_source_poll(src, LCX_DIR_READ, &b.w), 0);
	efd_write(fd);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&b.task));
	unit_step(&f->u);
	assert_int_equal(b.last, 1);
	lcx_source_destroy(src);
}

/* Two waiters on one direction are both woken by one event. */
static void
test_two_waiters_both_woken(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt a, b;
	int fd = new_eventfd();

	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &src), 0);
	wt_init(&a, f, src, LCX_DIR_READ);
	wt_init(&b, f, src, LCX_DIR_READ);
	lcx_task_wake(&a.task);
	lcx_task_wake(&b.task);
	unit_step(&f->u);
	assert_int_equal(a.last, 0);
	assert_int_equal(b.last, 0);
	efd_write(fd);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&a.task));
	assert_true(lcx_task_is_queued(&b.task));
	assert_int_equal(io_events(f), 1);
	unit_step(&f->u);
	assert_int_equal(a.ready, 1);
	assert_int_equal(b.ready, 1);
	lcx_source_destroy(src);
}

/* A read loop: read until EAGAIN, then wait. Counts what it read. */
static uint64_t reader_total;

static void
reader_body(struct wt *wt)
{
	uint64_t v;

	while ((v = efd_read(lcx_source_fd(wt->src))) != 0)
		reader_total += v;
}

/* One-shot interest is re-armed by the next registration: a second wait after
 * reading gets the next event, and only that one. */
static void
test_rearm_after_read(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt a;
	int fd = new_eventfd();

	reader_total = 0;
	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &src), 0);
	wt_init(&a, f, src, LCX_DIR_READ);
	a.body = reader_body;
	a.repoll = true;
	kick(f, &a);
	assert_int_equal(a.last, 0);
	for (int i = 1; i <= 5; i++) {
		efd_write(fd);
		unit_step(&f->u);
		assert_true(lcx_task_is_queued(&a.task));
		unit_step(&f->u); /* reads, sees ready, polls again: registered afresh */
		assert_int_equal(reader_total, (uint64_t)i);
		assert_int_equal(a.ready, i);
		assert_int_equal(a.last, 0);
		unit_step(&f->u);
		assert_false(lcx_task_is_queued(&a.task)); /* no event without data */
	}
	assert_int_equal(io_events(f), 5);
	lcx_source_destroy(src);
}

/* Interest in both directions and only one fires: the other is re-armed, since
 * the one-shot event disarmed the whole fd. */
static void
test_rearm_other_direction(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt r, w;
	int sv[2];
	char c = 'x';

	new_socketpair(sv);
	assert_int_equal(lcx_source_create(f->u.ctx, sv[0], LCX_SOURCE_CLOSE_FD, &src), 0);
	wt_init(&r, f, src, LCX_DIR_READ);
	wt_init(&w, f, src, LCX_DIR_WRITE);
	lcx_task_wake(&r.task);
	lcx_task_wake(&w.task);
	unit_step(&f->u); /* both register; the socket is writable at once */
	assert_int_equal(r.last, 0);
	assert_int_equal(w.last, 0);
	assert_true(lcx_task_is_queued(&w.task));
	assert_false(lcx_task_is_queued(&r.task));
	unit_step(&f->u);
	assert_int_equal(w.last, 1);
	unit_step(&f->u);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&r.task));
	/* The reader is still armed although the write event disarmed the fd. */
	assert_int_equal(write(sv[1], &c, 1), 1);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&r.task));
	unit_step(&f->u);
	assert_int_equal(r.last, 1);
	assert_false(lcx_task_is_queued(&w.task)); /* the writer did not re-register */
	lcx_source_destroy(src);
	close(sv[1]);
}

/* A cancelled waiter is not woken; the one that remains is. */
static void
test_cancel(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt a, b;
	int fd = new_eventfd();

	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &src), 0);
	wt_init(&a, f, src, LCX_DIR_READ);
	wt_init(&b, f, src, LCX_DIR_READ);
	lcx_task_wake(&a.task);
	lcx_task_wake(&b.task);
	unit_step(&f->u);
	lcx_waiter_cancel(src, &a.w);
	assert_false(a.w.linked);
	assert_false(a.w.armed);
	efd_write(fd);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&a.task));
	assert_true(lcx_task_is_queued(&b.task));
	unit_step(&f->u);
	assert_int_equal(b.last, 1);
	/* A polls again: registered afresh, the data still there fires it next. */
	kick(f, &a);
	assert_int_equal(a.last, 0);
	assert_true(lcx_task_is_queued(&a.task));
	unit_step(&f->u);
	assert_int_equal(a.last, 1);
	/* Cancel the only waiter: the armed interest fires with nobody to wake. */
	assert_int_equal(efd_read(fd), 1);
	kick(f, &a);
	assert_int_equal(a.last, 0);
	lcx_waiter_cancel(src, &a.w);
	efd_write(fd);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&a.task));
	lcx_source_destroy(src);
}

/* The write direction: a full socket wakes its writer once the peer drains it. */
static void
test_write_direction(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src;
	struct wt w;
	int sv[2];
	char buf[4096];
	size_t queued = 0;
	ssize_t n;

	memset(buf, 'y', sizeof(buf));
	new_socketpair(sv);
	while ((n = write(sv[0], buf, sizeof(buf))) > 0)
		queued += (size_t)n;
	assert_int_equal(errno, EAGAIN);
	assert_true(queued > 0);
	assert_int_equal(lcx_source_create(f->u.ctx, sv[0], LCX_SOURCE_CLOSE_FD, &src), 0);
	wt_init(&w, f, src, LCX_DIR_WRITE);
	kick(f, &w);
	assert_int_equal(w.last, 0);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&w.task));
	while (queued > 0 && (n = read(sv[1], buf, sizeof(buf))) > 0)
		queued -= (size_t)n;
	assert_int_equal(queued, 0);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&w.task));
	unit_step(&f->u);
	assert_int_equal(w.last, 1);
	assert_true(write(sv[0], buf, 1) == 1);
	lcx_source_destroy(src);
	close(sv[1]);
}

/* Hang-up wakes readers; an error wakes writers (a full pipe whose reader left). */
static void
test_hangup_and_error(void **state)
{
	struct fix *f = *state;
	struct lcx_source *rs, *ws;
	struct wt r, w;
	int sv[2], p[2];
	char buf[4096];

	memset(buf, 'z', sizeof(buf));
	new_socketpair(sv);
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	assert_int_equal(lcx_source_create(f->u.ctx, sv[0], LCX_SOURCE_CLOSE_FD, &rs), 0);
	assert_int_equal(lcx_source_create(f->u.ctx, p[1], LCX_SOURCE_CLOSE_FD, &ws), 0);
	wt_init(&r, f, rs, LCX_DIR_READ);
	wt_init(&w, f, ws, LCX_DIR_WRITE);
	lcx_task_wake(&r.task);
	lcx_task_wake(&w.task);
	unit_step(&f->u);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&r.task));
	assert_false(lcx_task_is_queued(&w.task));
	close(sv[1]);
	close(p[0]);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&r.task));
	assert_true(lcx_task_is_queued(&w.task));
	unit_step(&f->u);
	assert_int_equal(r.last, 1);
	assert_int_equal(w.last, 1);
	lcx_source_destroy(rs);
	lcx_source_destroy(ws);
}

/* --- destruction from another thread --- */

struct xdestroy {
	struct lcx_source *src;
	int create_rc;
	int poll_rc;
	struct lcx_waiter w;
	int fd;
};

static void *
destroy_thread(void *arg)
{
	struct xdestroy *x = arg;

	lcx_source_destroy(x->src);
	return NULL;
}

/* Set by the tests below: what the task body does this run. */
static struct xdestroy *xd;
static struct lcx_context *xd_ctx;
static int xd_phase;

static void *
create_thread(void *arg)
{
	struct xdestroy *x = arg;
	struct lcx_source *s = NULL;

	x->create_rc = lcx_source_create(xd_ctx, x->fd, 0, &s);
	lcx_waiter_init(&x->w, NULL);
	x->poll_rc = lcx_source_poll(x->src, LCX_DIR_READ, &x->w);
	return NULL;
}

static void
xd_body(struct wt *wt)
{
	(void)wt;
	if (xd_phase == 1) {
		/* While the loop runs, from a thread that is not its owner. */
		on_other_thread(create_thread, xd);
		on_other_thread(destroy_thread, xd);
	}
}

/*
 * Destroyed from another thread while a waiter is registered and the loop
 * runs: polls fail with -EBADF at once, the fd leaves epoll at once (an event
 * is not delivered), the owner closes the fd and frees the source at its next
 * react. Also: creating and polling from a foreign thread is refused.
 */
static void
test_destroy_from_other_thread(void **state)
{
	struct fix *f = *state;
	struct xdestroy x = { 0 };
	struct wt a, b;
	int fd = new_eventfd();
	int other = new_eventfd();

	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &x.src), 0);
	x.fd = other;
	xd = &x;
	xd_ctx = f->u.ctx;
	xd_phase = 0;
	wt_init(&a, f, x.src, LCX_DIR_READ);
	wt_init(&b, f, x.src, LCX_DIR_READ);
	a.body = xd_body;
	kick(f, &a); /* a registers */
	lcx_task_wake(&b.task);
	xd_phase = 1;
	kick(f, &a); /* a's body destroys it from another thread, then polls */
	assert_int_equal(x.create_rc, -EPERM);
	assert_int_equal(x.poll_rc, -EPERM);
	assert_int_equal(a.last, -EBADF);
	assert_int_equal(b.last, 0); /* b registered before the destroy: dropped */
	/* The owner reaped it in that step's react: the fd is closed. */
	assert_false(fd_is_open(fd));
	efd_write(other); /* unrelated fd, just check the loop goes on */
	unit_step(&f->u);
	unit_step(&f->u);
	assert_false(lcx_task_is_queued(&a.task));
	assert_false(lcx_task_is_queued(&b.task));
	assert_int_equal(io_events(f), 0);
	close(other);
}

/* Destroyed from another thread while data is pending and interest armed: the
 * fd stays open until the owner's next react, and no event is delivered. */
static void
test_destroy_pending_event(void **state)
{
	struct fix *f = *state;
	struct xdestroy x = { 0 };
	struct wt a;
	int fd = new_eventfd();

	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &x.src), 0);
	wt_init(&a, f, x.src, LCX_DIR_READ);
	kick(f, &a);
	assert_int_equal(a.last, 0);
	efd_write(fd); /* readable, interest armed: the next epoll_wait would report it */
	/* Not running now: destroy from another thread frees at once (set-up
	 * rule). To get the deferred path, destroy inside an iteration: */
	xd = &x;
	xd_ctx = f->u.ctx;
	xd_phase = 1;
	x.fd = new_eventfd();
	a.body = xd_body;
	lcx_task_wake(&a.task);
	lcx_manual_clock_advance(&f->u.mc, THROTTLE / 4); /* no react in this one */
	assert_true(lcx_context_run_once(f->u.ctx) >= 0);
	assert_int_equal(a.last, -EBADF);
	assert_true(fd_is_open(fd)); /* closed by the owner, later */
	unit_step(&f->u);
	assert_false(fd_is_open(fd));
	assert_int_equal(io_events(f), 0);
	assert_false(lcx_task_is_queued(&a.task));
	close(x.fd);
}

/*
 * Without LCX_SOURCE_CLOSE_FD the caller closes the fd as soon as destroy
 * returns, and the number may be reused and registered again before the owner
 * reaps the old source. The reap must not remove the new registration (a
 * deferred EPOLL_CTL_DEL by number would), so the fd leaves epoll at once.
 */
static struct {
	struct fix *f;
	struct lcx_source *old;
	struct lcx_source *nsrc;
	int fd;
	int nfd;
	int rc;
} reuse;

static void *
reuse_destroy_thread(void *arg)
{
	(void)arg;
	lcx_source_destroy(reuse.old);
	return NULL;
}

static void
reuse_body(struct wt *wt)
{
	if (wt->src != reuse.old)
		return;
	on_other_thread(reuse_destroy_thread, NULL);
	close(reuse.fd);
	reuse.nfd = new_eventfd();
	reuse.rc = lcx_source_create(reuse.f->u.ctx, reuse.nfd, LCX_SOURCE_CLOSE_FD, &reuse.nsrc);
	/* A waiter of a destroyed source starts afresh on the new one. */
	wt->src = reuse.nsrc;
	lcx_waiter_init(&wt->w, &wt->task);
}

static void
test_fd_reuse_before_reap(void **state)
{
	struct fix *f = *state;
	struct wt a;

	memset(&reuse, 0, sizeof(reuse));
	reuse.f = f;
	reuse.fd = new_eventfd();
	assert_int_equal(lcx_source_create(f->u.ctx, reuse.fd, 0, &reuse.old), 0);
	wt_init(&a, f, reuse.old, LCX_DIR_READ);
	a.body = reuse_body;
	kick(f, &a); /* destroy, close, reopen, create, poll; then react reaps */
	assert_int_equal(reuse.rc, 0);
	if (reuse.nfd != reuse.fd) {
		lcx_source_destroy(reuse.nsrc);
		skip(); /* the number was not reused: nothing to show */
	}
	assert_int_equal(a.last, 0);
	unit_step(&f->u);
	efd_write(reuse.nfd);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&a.task));
	unit_step(&f->u);
	assert_int_equal(a.last, 1);
	lcx_source_destroy(reuse.nsrc);
	assert_false(fd_is_open(reuse.nfd));
}

/* The fd has a dup and the caller closes its copy right after destroying from
 * another thread: the open file stays registered unless the DEL came first,
 * and an event would then carry a pointer to the freed source. */
static struct lcx_source *dup_src;

static void *
dup_destroy_thread(void *arg)
{
	(void)arg;
	lcx_source_destroy(dup_src);
	return NULL;
}

static void
dup_body(struct wt *wt)
{
	on_other_thread(dup_destroy_thread, NULL);
	close(lcx_source_fd(wt->src)); /* no LCX_SOURCE_CLOSE_FD: the caller's */
	wt->src = NULL;
}

static void
test_dup_closed_after_destroy(void **state)
{
	struct fix *f = *state;
	struct lcx_source *keep;
	struct wt a;
	int fd = new_eventfd();
	int d = dup(fd);

	assert_true(d >= 0);
	/* Another source keeps the reactor reading epoll. */
	assert_int_equal(lcx_source_create(f->u.ctx, new_eventfd(), LCX_SOURCE_CLOSE_FD, &keep), 0);
	assert_int_equal(lcx_source_create(f->u.ctx, fd, 0, &dup_src), 0);
	wt_init(&a, f, dup_src, LCX_DIR_READ);
	kick(f, &a); /* armed */
	a.body = dup_body;
	kick(f, &a); /* destroyed and closed; reaped at this react */
	efd_write(d); /* the open file is readable */
	unit_step(&f->u);
	unit_step(&f->u);
	assert_int_equal(io_events(f), 0);
	assert_false(lcx_task_is_queued(&a.task));
	lcx_source_destroy(keep);
	close(d);
}

/* Sources left registered are closed when the context stops, including one
 * destroyed from another thread and not yet reaped; fds without
 * LCX_SOURCE_CLOSE_FD stay open. */
static void
test_stop_closes_sources(void **state)
{
	struct fix *f = *state;
	struct lcx_source *s1, *s2, *s3;
	struct xdestroy x = { 0 };
	struct wt a, b, c;
	int fd1 = new_eventfd(), fd2 = new_eventfd(), fd3 = new_eventfd();
	int sv[2];

	new_socketpair(sv);
	assert_int_equal(lcx_source_create(f->u.ctx, fd1, LCX_SOURCE_CLOSE_FD, &s1), 0);
	assert_int_equal(lcx_source_create(f->u.ctx, fd2, 0, &s2), 0);
	assert_int_equal(lcx_source_create(f->u.ctx, sv[0], LCX_SOURCE_CLOSE_FD, &s3), 0);
	assert_int_equal(lcx_source_create(f->u.ctx, fd3, LCX_SOURCE_CLOSE_FD, &x.src), 0);
	wt_init(&a, f, s1, LCX_DIR_READ);
	wt_init(&b, f, s2, LCX_DIR_READ);
	wt_init(&c, f, s3, LCX_DIR_WRITE);
	lcx_task_wake(&a.task);
	lcx_task_wake(&b.task);
	lcx_task_wake(&c.task);
	unit_step(&f->u);
	/* Destroy x from another thread inside an iteration without react. */
	{
		struct wt d;

		xd = &x;
		xd_ctx = f->u.ctx;
		xd_phase = 1;
		x.fd = sv[1];
		wt_init(&d, f, x.src, LCX_DIR_READ);
		d.body = xd_body;
		lcx_task_wake(&d.task);
		lcx_manual_clock_advance(&f->u.mc, THROTTLE / 4);
		assert_true(lcx_context_run_once(f->u.ctx) >= 0);
		assert_int_equal(d.last, -EBADF);
		assert_true(fd_is_open(fd3));
	}
	efd_write(fd1);
	assert_int_equal(lcx_context_stop(f->u.ctx), 0);
	assert_false(fd_is_open(fd1));
	assert_true(fd_is_open(fd2));
	assert_false(fd_is_open(sv[0]));
	assert_false(fd_is_open(fd3));
	assert_int_equal(lcx_context_stop(f->u.ctx), 0); /* idempotent */
	/* Destroying after the stop is a no-op (memory goes with the context). */
	lcx_source_destroy(s1);
	lcx_source_destroy(s2);
	assert_true(fd_is_open(fd2));
	close(fd2);
	close(sv[1]);
}

/* Misuse and small API points. */
static void
test_api_edges(void **state)
{
	struct fix *f = *state;
	struct lcx_source *src = NULL;
	struct wt a;
	uint64_t t0;
	int fd = new_eventfd();

	assert_int_equal(lcx_source_create(NULL, fd, 0, &src), -EINVAL);
	assert_int_equal(lcx_source_create(f->u.ctx, -1, 0, &src), -EINVAL);
	assert_int_equal(lcx_source_create(f->u.ctx, fd, 0x80, &src), -EINVAL);
	assert_int_equal(lcx_source_create(f->u.ctx, fd, 0, NULL), -EINVAL);
	/* Twice the same fd: epoll refuses. */
	assert_int_equal(lcx_source_create(f->u.ctx, fd, LCX_SOURCE_CLOSE_FD, &src), 0);
	{
		struct lcx_source *dup = NULL;

		assert_int_equal(lcx_source_create(f->u.ctx, fd, 0, &dup), -EEXIST);
	}
	lcx_source_destroy(NULL);

	/* The tick moves once per react round. */
	t0 = lcx_reactor_tick(f->u.ctx);
	unit_step(&f->u);
	unit_step(&f->u);
	assert_int_equal(lcx_reactor_tick(f->u.ctx), t0 + 2);
	lcx_manual_clock_advance(&f->u.mc, THROTTLE / 4);
	assert_true(lcx_context_run_once(f->u.ctx) >= 0);
	assert_int_equal(lcx_reactor_tick(f->u.ctx), t0 + 2);

	/* A waiter armed on one direction cannot poll the other. */
	wt_init(&a, f, src, LCX_DIR_READ);
	assert_int_equal(lcx_source_poll(src, LCX_DIR_READ, &a.w), 0);
	assert_int_equal(lcx_source_poll(src, LCX_DIR_WRITE, &a.w), -EINVAL);
	assert_int_equal(lcx_source_poll(src, (enum lcx_dir)7, &a.w), -EINVAL);
	/* Polling again before any round: still pending, still one registration. */
	assert_int_equal(lcx_source_poll(src, LCX_DIR_READ, &a.w), 0);
	efd_write(fd);
	unit_step(&f->u);
	assert_true(lcx_task_is_queued(&a.task));
	assert_int_equal(lcx_source_poll(src, LCX_DIR_READ, &a.w), 1);
	/* Destroying on the owner with a waiter registered resets the waiter. */
	assert_int_equal(lcx_source_poll(src, LCX_DIR_READ, &a.w), 0);
	lcx_source_destroy(src);
	assert_false(a.w.armed);
	assert_false(a.w.linked);
	assert_false(fd_is_open(fd));
	a.src = NULL;
	unit_step(&f->u); /* a is still queued: let it run, without its source */
}

/* Many sources on one context, more ready at once than one epoll_wait batch. */
#define MANY 1000

static void
test_many_sources(void **state)
{
	struct fix *f = *state;
	struct rlimit rl;
	struct lcx_source **src;
	struct wt *wt;
	int (*sv)[2];
	char c = 'm';
	int ready = 0;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * MANY + 64) {
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur < 2 * MANY + 64 || setrlimit(RLIMIT_NOFILE, &rl) != 0)
			skip();
	}
	src = calloc(MANY, sizeof(*src));
	wt = calloc(MANY, sizeof(*wt));
	sv = calloc(MANY, sizeof(*sv));
	assert_non_null(src);
	assert_non_null(wt);
	assert_non_null(sv);
	for (int i = 0; i < MANY; i++) {
		new_socketpair(sv[i]);
		assert_int_equal(
		    lcx_source_create(f->u.ctx, sv[i][0], LCX_SOURCE_CLOSE_FD, &src[i]), 0);
		wt_init(&wt[i], f, src[i], LCX_DIR_READ);
		lcx_task_wake(&wt[i].task);
	}
	/* 64 tasks per iteration: let them all register. */
	for (int i = 0; i < MANY / 64 + 2; i++)
		unit_step(&f->u);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(wt[i].last, 0);
	for (int i = 0; i < MANY; i += 2)
		assert_int_equal(write(sv[i][1], &c, 1), 1);
	for (int i = 0; i < MANY / 64 + 4; i++)
		unit_step(&f->u);
	for (int i = 0; i < MANY; i++) {
		if (i % 2 == 0) {
			assert_int_equal(wt[i].ready, 1);
			ready++;
		} else {
			assert_int_equal(wt[i].runs, 1);
			assert_int_equal(wt[i].last, 0);
		}
	}
	assert_int_equal(ready, MANY / 2);
	assert_int_equal(io_events(f), MANY / 2);
	/* Destroy half on the owner; stop closes the rest. */
	for (int i = 0; i < MANY; i += 2)
		lcx_source_destroy(src[i]);
	unit_step(&f->u);
	assert_int_equal(lcx_context_stop(f->u.ctx), 0);
	for (int i = 0; i < MANY; i++) {
		assert_false(fd_is_open(sv[i][0]));
		close(sv[i][1]);
	}
	free(src);
	free(wt);
	free(sv);
}

/* --- a real loop thread: readers, a writer, and destruction racing them --- */

#define NREAD 32

struct rd {
	struct lcx_task task;
	struct lcx_waiter w;
	struct lcx_source *src;
	int fd;
	int peer;
	_Atomic bool gone; /* set before lcx_source_destroy() from the test thread */
	_Atomic uint64_t got;
	_Atomic int poll_err;
};

static void
rd_fn(struct lcx_task *task, void *arg)
{
	struct rd *r = arg;
	char buf[256];

	(void)task;
	/* The user's side of cross-thread destruction: once gone is set, the
	 * source may be freed at the owner's next react; never touch it again. */
	if (atomic_load_explicit(&r->gone, memory_order_acquire))
		return;
	for (;;) {
		ssize_t n = read(r->fd, buf, sizeof(buf));

		if (n > 0) {
			atomic_fetch_add(&r->got, (uint64_t)n);
			continue;
		}
		int rc = lcx_source_poll(r->src, LCX_DIR_READ, &r->w);

		if (rc == 1)
			continue;
		if (rc < 0 && rc != -EBADF)
			atomic_store(&r->poll_err, rc);
		return;
	}
}

struct rd_set {
	struct rd r[NREAD];
};

static int
rd_setup(struct lcx_context *ctx, void *arg)
{
	struct rd_set *s = arg;

	for (int i = 0; i < NREAD; i++) {
		struct rd *r = &s->r[i];
		int rc = lcx_source_create(ctx, r->fd, LCX_SOURCE_CLOSE_FD, &r->src);

		if (rc < 0)
			return rc;
		lcx_task_init(&r->task, ctx, rd_fn, r);
		lcx_waiter_init(&r->w, &r->task);
		lcx_task_wake(&r->task);
	}
	return 0;
}

static void
sleep_us(long us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

static void
test_threaded_destroy_race(void **state)
{
	struct lcx_context *ctx;
	struct lcx_context_conf conf = {
		.name = "reactor-thread",
		.throttle_ns = 200000,
		.launch = LCX_LAUNCH_THREAD,
		.cpu = -1,
		.socket_id = -1,
	};
	struct rd_set *s = calloc(1, sizeof(*s));
	uint64_t sent[NREAD] = { 0 };
	char c = 'q';

	(void)state;
	assert_non_null(s);
	for (int i = 0; i < NREAD; i++) {
		int sv[2];

		new_socketpair(sv);
		s->r[i].fd = sv[0];
		s->r[i].peer = sv[1];
	}
	assert_int_equal(lcx_context_acquire(&conf, &ctx), 0);
	assert_int_equal(lcx_context_enter(ctx, rd_setup, s), 0);
	/* Write to every reader; destroy the odd ones one by one meanwhile. */
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < NREAD; i++) {
			if (atomic_load(&s->r[i].gone))
				continue;
			if (write(s->r[i].peer, &c, 1) == 1)
				sent[i]++;
		}
		if (round % 10 == 5 && round / 10 * 2 + 1 < NREAD) {
			struct rd *r = &s->r[round / 10 * 2 + 1];

			atomic_store_explicit(&r->gone, true, memory_order_release);
			lcx_source_destroy(r->src);
		}
		if (round % 4 == 0)
			sleep_us(100);
	}
	/* The even ones get everything that was sent to them. */
	for (int wait = 0; wait < 2000; wait++) {
		bool all = true;

		for (int i = 0; i < NREAD; i += 2)
			if (atomic_load(&s->r[i].got) != sent[i])
				all = false;
		if (all)
			break;
		sleep_us(1000);
	}
	for (int i = 0; i < NREAD; i += 2) {
		assert_int_equal(atomic_load(&s->r[i].got), sent[i]);
		assert_int_equal(atomic_load(&s->r[i].poll_err), 0);
	}
	assert_int_equal(lcx_context_stop(ctx), 0);
	for (int i = 0; i < NREAD; i++) {
		assert_false(fd_is_open(s->r[i].fd));
		close(s->r[i].peer);
	}
	lcx_context_release(ctx);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_event_after_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_data_at_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_event_not_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_waiters_both_woken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_after_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_other_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangup_and_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_from_other_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_pending_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_reuse_before_reap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dup_closed_after_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_closes_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_sources, setup, teardown),
		cmocka_unit_test(test_threaded_destroy_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
