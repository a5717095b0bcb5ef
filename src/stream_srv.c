/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stream-server core (stream_srv.h): a listener and its clients on one
 * context, for the control server (ctl.c) and the metrics endpoint
 * (metrics.c). Nothing here blocks.
 *
 * The listener's task accepts up to accept_turn connections per run and
 * hands each to the server's admit; then it wakes itself again, so a flood of
 * connections waits behind the rest of the context rather than starving it.
 * A client's task runs the server's serve. A client is freed at once when it
 * closes: its task is taken off the run queue if a wake queued it
 * (lcx__task_cancel), so no run ever finds freed memory.
 *
 * One timer per server closes idle clients: it is armed for the earliest
 * deadline (the oldest last_active + idle_ns); activity only moves
 * last_active, and the timer, when it fires, hands what is due to the
 * server's idle and re-arms for the next.
 *
 * A server's callbacks (the program's handler, sent or collect) may destroy
 * the server. While one of its tasks or its timer runs, busy is non-zero and
 * a destroy only marks it dying; the run that brings busy back to 0 frees it.
 * Every loop here stops once the server is dying.
 *
 * The server and client structures are the context's memory (lcx__ctx_zalloc);
 * the out buffers come from the heap, first touched by the owner thread that
 * writes them.
 */

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream_srv.h"

/* A run of the server's ends. @return true if it freed the server (destroyed meanwhile). */
static bool
end_busy(struct lcx__stream_srv *s)
{
	if (--s->busy != 0 || !s->dying)
		return false;
	s->ops->free(s);
	return true;
}

/* --- clients --- */

static void
client_task(struct lcx_task *task, void *arg)
{
	struct lcx__stream_client *c = arg;
	struct lcx__stream_srv *s = c->srv;

	(void)task;
	s->busy++;
	s->ops->serve(c);
	(void)end_busy(s);
}

void
lcx__stream_client_free(struct lcx__stream_client *c)
{
	struct lcx__stream_srv *s = c->srv;

	lcx_source_destroy(c->src); /* closes the fd; waiters are dropped */
	lcx__task_cancel(&c->task);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nb_clients--;
	free(c->out);
	lcx__ctx_free(s->ctx, c, s->client_size);
}

int
lcx__stream_flush(struct lcx__stream_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
			lcx__stream_touch(c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return -1;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* --- idle clients --- */

/* Start or stop the idle timer as the context's owner, so that it acts at
 * once (create and destroy may run while no loop runs the context). */
struct idle_arm_req {
	struct lcx__stream_srv *s;
	uint64_t delay_ns;
};

static int
idle_arm_owner(struct lcx_context *ctx, void *arg)
{
	struct idle_arm_req *req = arg;

	return lcx_timer_start(ctx, &req->s->idle, req->delay_ns, 0, LCX_TIMER_AT_LEAST);
}

static void
idle_arm(struct lcx__stream_srv *s, uint64_t delay_ns)
{
	struct idle_arm_req req = {.s = s, .delay_ns = delay_ns};

	if (lcx__context_as_owner(s->ctx, idle_arm_owner, &req) < 0)
		LCX_LOG(ERR, "%s: %s: cannot arm the idle timer", lcx_context_name(s->ctx),
			s->ops->what);
}

static int
idle_disarm_owner(struct lcx_context *ctx, void *arg)
{
	struct lcx__stream_srv *s = arg;

	(void)ctx;
	return lcx_timer_stop(&s->idle);
}

static void
idle_disarm(struct lcx__stream_srv *s)
{
	(void)lcx__context_as_owner(s->ctx, idle_disarm_owner, s);
}

/* Hand the clients idle for idle_ns to the server; re-arm for the next one due. */
static void
idle_fired(struct lcx_timer *timer, void *arg)
{
	struct lcx__stream_srv *s = arg;
	uint64_t now = lcx_context_now(s->ctx);
	uint64_t next = UINT64_MAX;
	struct lcx__stream_client *c, *n;

	(void)timer;
	s->busy++; /* an idle client's last words may destroy the server */
	for (c = s->clients; c != NULL && !s->dying; c = n) {
		n = c->next;
		if (now - c->last_active >= s->idle_ns)
			s->ops->idle(c);
		else if (c->last_active + s->idle_ns - now < next)
			next = c->last_active + s->idle_ns - now;
	}
	if (end_busy(s))
		return;
	if (next != UINT64_MAX)
		idle_arm(s, next);
}

struct lcx__stream_client *
lcx__stream_client_add(struct lcx__stream_srv *s, int fd)
{
	struct lcx__stream_client *c = lcx__ctx_zalloc(s->ctx, s->client_size);

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	if (lcx_source_create(s->ctx, fd, LCX_SOURCE_CLOSE_FD, &c->src) < 0) {
		close(fd);
		lcx__ctx_free(s->ctx, c, s->client_size);
		return NULL;
	}
	c->srv = s;
	c->fd = fd;
	c->last_active = lcx_context_now(s->ctx);
	lcx_task_init(&c->task, s->ctx, client_task, c);
	lcx_waiter_init(&c->wr, &c->task);
	lcx_waiter_init(&c->ww, &c->task);
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = c;
	s->clients = c;
	s->nb_clients++;
	if (s->idle_ns != LCX__STREAM_IDLE_NEVER && !lcx_timer_is_pending(&s->idle))
		idle_arm(s, s->idle_ns);
	lcx_task_wake(&c->task);
	return c;
}

/* --- the listener --- */

static void
listen_serve(struct lcx__stream_srv *s)
{
	int lfd = lcx_source_fd(s->src);

	for (uint32_t i = 0; i < s->accept_turn && !s->dying; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (lcx_source_poll(s->src, LCX_DIR_READ, &s->w) == 1)
					continue; /* one came in meanwhile */
				return;
			}
			/*
			 * EMFILE, ENOBUFS and such: the connection still waits,
			 * so the next react reports it again and we retry then.
			 * A first poll may report the event that woke us: the
			 * second registers.
			 */
			while (lcx_source_poll(s->src, LCX_DIR_READ, &s->w) == 1)
				;
			return;
		}
		s->ops->admit(s, fd);
	}
	if (!s->dying)
		lcx_task_wake(&s->task); /* more may wait: after the rest of the context ran */
}

static void
listen_task(struct lcx_task *task, void *arg)
{
	struct lcx__stream_srv *s = arg;

	(void)task;
	s->busy++; /* an eviction's callback may destroy the server */
	listen_serve(s);
	(void)end_busy(s);
}

/* --- the server --- */

void
lcx__stream_init(struct lcx__stream_srv *s, struct lcx_context *ctx,
		 const struct lcx__stream_ops *ops, size_t client_size, uint32_t accept_turn,
		 uint64_t idle_ns)
{
	s->ctx = ctx;
	s->ops = ops;
	s->client_size = client_size;
	s->accept_turn = accept_turn;
	s->idle_ns = idle_ns;
	lcx_timer_init(&s->idle, idle_fired, s);
}

int
lcx__stream_listen(struct lcx__stream_srv *s, int fd)
{
	int ret = lcx_source_create(s->ctx, fd, LCX_SOURCE_CLOSE_FD, &s->src);

	if (ret < 0)
		return ret;
	lcx_task_init(&s->task, s->ctx, listen_task, s);
	lcx_waiter_init(&s->w, &s->task);
	lcx_task_wake(&s->task);
	return 0;
}

void
lcx__stream_close(struct lcx__stream_srv *s)
{
	s->dying = true; /* no callback from here on */
	while (s->clients != NULL)
		lcx__stream_client_free(s->clients);
	idle_disarm(s);
	lcx_source_destroy(s->src);
	lcx__task_cancel(&s->task);
}

void
lcx__stream_destroy(struct lcx__stream_srv *s)
{
	if (!lcx__may_touch(s->ctx)) {
		LCX_LOG(ERR, "%s: %s() off the context's thread: not destroyed",
			lcx_context_name(s->ctx), s->ops->destroy);
		return;
	}
	if (s->busy != 0) {
		s->dying = true; /* from a callback: freed when it returns */
		return;
	}
	s->ops->free(s);
}
