/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control sockets (include/lcx/ctl.h): a unix stream listener and its clients,
 * each a source, waiters and a task on one context. Nothing here blocks.
 *
 * A client's task reads what waits (up to READ_PER_RUN bytes a run, then lets
 * the rest of the context run), splits it into lines for the handler, and
 * sends the replies as they come. When the socket does not take them all, it
 * also waits for writability; past out_max bytes waiting the client is
 * dropped. A client is freed at once when it closes: its task is taken off the run queue
 * if a wake queued it (lcx__task_cancel), so no run ever finds freed memory.
 *
 * The server and client structures are the context's memory (lcx__ctx_zalloc);
 * the reply buffers come from the heap, first touched by the owner thread
 * that writes them.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <lcx/ctl.h>

#include "lcx_private.h"

/* Bytes a client's task reads in one run before it yields. */
#define READ_PER_RUN (64u * 1024)
/* The largest line_max and clients_max accepted. */
#define CONF_LIMIT (1u << 20)
/* The longest error message put in a reply, in bytes of the message. */
#define ERROR_MSG_MAX 400u

#define KNOWN_FLAGS (LCX_CTL_LONG_LINE_CLOSE | LCX_CTL_ERROR_OK)

struct lcx_ctl_client {
	struct lcx_ctl *srv;
	struct lcx_task task;
	struct lcx_source *src;
	struct lcx_waiter wr;	/* readable */
	struct lcx_waiter ww;	/* writable */
	int fd;
	bool dead;		/* drop at the end of this run; replies are lost */
	bool eof;		/* the peer shut down its side: close once flushed */
	bool closing;		/* read no more: close once flushed */
	bool discarding;	/* inside an over-long line: drop until its newline */
	bool notify;		/* call srv->sent once flushed */
	char *out;		/* replies waiting: out[out_off, out_len) */
	size_t out_len;
	size_t out_off;
	size_t out_cap;
	struct lcx_ctl_client *next;
	struct lcx_ctl_client *prev;
	size_t in_len;
	char in[];		/* line_max + 1 */
};

struct lcx_ctl {
	struct lcx_context *ctx;
	struct lcx_source *src;
	struct lcx_task task;
	struct lcx_waiter w;
	lcx_ctl_handle_fn handle;
	lcx_ctl_sent_fn sent;
	void *arg;
	uint32_t line_max;
	uint32_t out_max;
	uint32_t clients_max;
	uint32_t flags;
	uint32_t nb_clients;
	struct lcx_ctl_client *clients;
	unsigned int busy;	/* its tasks running (a callback may destroy it) */
	bool dying;		/* destroyed from a callback: freed when they return */
	bool bound;		/* the path is ours: dev and ino name it */
	dev_t dev;
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static size_t
client_size(const struct lcx_ctl *srv)
{
	return sizeof(struct lcx_ctl_client) + srv->line_max + 1;
}

/* --- replies --- */

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
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

/* One error line in the server's style; always valid JSON. @return its length. */
static size_t
format_error(const struct lcx_ctl *srv, const char *msg, char *buf, size_t size)
{
	const char *head = srv->flags & LCX_CTL_ERROR_OK ? "{\"ok\":false,\"error\":\""
							 : "{\"error\":\"";
	const unsigned char *p = (const unsigned char *)msg;
	size_t left = strnlen(msg, ERROR_MSG_MAX);
	size_t n = strlen(head);

	memcpy(buf, head, n);
	while (left > 0 && n + 8 < size) {
		size_t l = utf8_len(p, left);

		if (*p == '"' || *p == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)*p;
		} else if (*p < 0x20) {
			buf[n++] = ' ';
		} else if (l == 0) {
			buf[n++] = '?';
			l = 1;
		} else {
			memcpy(buf + n, p, l);
			n += l;
		}
		l = l == 0 ? 1 : l;
		p += l;
		left -= l;
	}
	memcpy(buf + n, "\"}\n", 3);
	return n + 3;
}

int
lcx_ctl_reply(struct lcx_ctl_client *c, const void *buf, size_t len)
{
	size_t need;

	if (c == NULL || (buf == NULL && len != 0))
		return -EINVAL;
	if (c->dead || c->srv->dying)
		return -ENOTCONN;
	if (c->out_len - c->out_off + len > c->srv->out_max) {
		/* It does not read what it asked for: drop it rather than grow. */
		c->dead = true;
		return -ENOBUFS;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	need = c->out_len + len;
	if (need > c->out_cap && c->out_off != 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		need = c->out_len + len;
	}
	if (need > c->out_cap) {
		size_t cap = c->out_cap != 0 ? c->out_cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(c->out, cap);
		if (p == NULL) {
			c->dead = true;
			return -ENOMEM;
		}
		c->out = p;
		c->out_cap = cap;
	}
	if (len != 0)
		memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

int
lcx_ctl_reply_error(struct lcx_ctl_client *c, const char *msg)
{
	char buf[2 * ERROR_MSG_MAX + 64];

	if (c == NULL || msg == NULL)
		return -EINVAL;
	return lcx_ctl_reply(c, buf, format_error(c->srv, msg, buf, sizeof(buf)));
}

/* Send what waits. @return 0 all went, 1 some waits for room, -1 the peer is gone. */
static int
flush(struct lcx_ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
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

/* --- requests --- */

static void
line_done(struct lcx_ctl_client *c)
{
	struct lcx_ctl *srv = c->srv;
	int r;

	c->in[c->in_len] = '\0';
	r = srv->handle(srv->arg, c->in, c->in_len, c);
	if (r < 0) {
		c->dead = true;
		return;
	}
	if (r & LCX_CTL_CLOSE)
		c->closing = true;
	if (r & LCX_CTL_NOTIFY)
		c->notify = true;
}

static void
line_too_long(struct lcx_ctl_client *c)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "request line longer than %u bytes", c->srv->line_max);
	lcx_ctl_reply_error(c, msg);
	if (c->srv->flags & LCX_CTL_LONG_LINE_CLOSE)
		c->closing = true;
	else
		c->discarding = true;
	c->in_len = 0;
}

/* Split what arrived into lines; stop once the client is to go. */
static void
feed(struct lcx_ctl_client *c, const char *p, size_t n)
{
	while (n > 0 && !c->dead && !c->closing && !c->srv->dying) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - p) : n;

		if (!c->discarding) {
			if (take > c->srv->line_max - c->in_len) {
				line_too_long(c);
			} else {
				memcpy(c->in + c->in_len, p, take);
				c->in_len += take;
			}
		}
		if (nl == NULL)
			return;
		p = nl + 1;
		n -= take + 1;
		if (c->closing)
			return;
		if (!c->discarding)
			line_done(c);
		c->discarding = false;
		c->in_len = 0;
	}
}

/* --- clients --- */

static void
client_free(struct lcx_ctl *srv, struct lcx_ctl_client *c)
{
	lcx_source_destroy(c->src); /* closes the fd; waiters are dropped */
	lcx__task_cancel(&c->task);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nb_clients--;
	free(c->out);
	lcx__ctx_free(srv->ctx, c, client_size(srv));
}

static void
client_serve(struct lcx_ctl_client *c)
{
	struct lcx_ctl *srv = c->srv;
	size_t got = 0;
	int r;

	while (!c->eof && !c->closing && !c->dead && !srv->dying && got < READ_PER_RUN) {
		char buf[4096];
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			got += (size_t)n;
			feed(c, buf, (size_t)n);
			if (!c->dead && flush(c) < 0)
				c->dead = true;
			continue;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->dead = true;
			break;
		}
		r = lcx_source_poll(c->src, LCX_DIR_READ, &c->wr);
		if (r == 1)
			continue;
		if (r < 0)
			c->dead = true;
		break;
	}
	if (srv->dying)
		return;
	r = c->dead ? -1 : flush(c);
	if (r < 0) {
		client_free(srv, c);
		return;
	}
	if (r == 0 && c->notify) {
		c->notify = false;
		if (srv->sent != NULL)
			srv->sent(srv->arg);
		if (srv->dying)
			return;
	}
	if (r == 1) {
		/* Replies wait for room: come back when writable. */
		int w = lcx_source_poll(c->src, LCX_DIR_WRITE, &c->ww);

		if (w == 1)
			lcx_task_wake(&c->task);
		else if (w < 0)
			client_free(srv, c);
		return;
	}
	if (c->eof || c->closing) {
		client_free(srv, c);
		return;
	}
	if (got >= READ_PER_RUN)
		lcx_task_wake(&c->task); /* let the rest of the context run, then read on */
}

static void server_free(struct lcx_ctl *srv);

static void
client_task(struct lcx_task *task, void *arg)
{
	struct lcx_ctl_client *c = arg;
	struct lcx_ctl *srv = c->srv;

	(void)task;
	srv->busy++;
	client_serve(c);
	if (--srv->busy == 0 && srv->dying)
		server_free(srv);
}

/* --- the listener --- */

static void
refuse(struct lcx_ctl *srv, int fd)
{
	char buf[128];
	size_t n = format_error(srv, "too many clients", buf, sizeof(buf));

	(void)!send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
client_add(struct lcx_ctl *srv, int fd)
{
	struct lcx_ctl_client *c = lcx__ctx_zalloc(srv->ctx, client_size(srv));

	if (c == NULL) {
		close(fd);
		return;
	}
	if (lcx_source_create(srv->ctx, fd, LCX_SOURCE_CLOSE_FD, &c->src) < 0) {
		close(fd);
		lcx__ctx_free(srv->ctx, c, client_size(srv));
		return;
	}
	c->srv = srv;
	c->fd = fd;
	lcx_task_init(&c->task, srv->ctx, client_task, c);
	lcx_waiter_init(&c->wr, &c->task);
	lcx_waiter_init(&c->ww, &c->task);
	c->next = srv->clients;
	if (srv->clients != NULL)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nb_clients++;
	lcx_task_wake(&c->task);
}

static void
listen_task(struct lcx_task *task, void *arg)
{
	struct lcx_ctl *srv = arg;
	int lfd = lcx_source_fd(srv->src);

	(void)task;
	for (uint32_t i = 0; i < srv->clients_max; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (lcx_source_poll(srv->src, LCX_DIR_READ, &srv->w) == 1)
					continue; /* one came in meanwhile */
				return;
			}
			/*
			 * EMFILE, ENOBUFS and such: the connection still waits,
			 * so the next react reports it again and we retry then.
			 * A first poll may report the event that woke us: the
			 * second registers.
			 */
			while (lcx_source_poll(srv->src, LCX_DIR_READ, &srv->w) == 1)
				;
			return;
		}
		if (srv->nb_clients >= srv->clients_max)
			refuse(srv, fd);
		else
			client_add(srv, fd);
	}
	lcx_task_wake(&srv->task); /* more may wait: after the rest of the context ran */
}

/* --- the server --- */

/* Is a server answering at sa? A full backlog (EAGAIN) answers too. */
static bool
in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN;
	close(fd);
	return used;
}

/*
 * Listen at srv->path. On a temporary name first, renamed to the path: the
 * path appears only once it accepts, so a client that waits for the path never
 * finds it refusing. (A path too long for the temporary name is bound as it is.)
 */
static int
listen_at(struct lcx_ctl *srv, int fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	bool renamed;
	struct stat st;
	int n;

	strcpy(sa.sun_path, srv->path);
	if (lstat(srv->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (in_use(&sa))
			return -EADDRINUSE;
		unlink(srv->path); /* left by a dead process */
	}
	n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", srv->path, (int)getpid());
	renamed = n > 0 && (size_t)n < sizeof(tmp.sun_path);
	if (!renamed)
		tmp = sa;
	else
		unlink(tmp.sun_path);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0)
		return -errno;
	if (listen(fd, (int)srv->clients_max) < 0 ||
	    (renamed && rename(tmp.sun_path, srv->path) < 0)) {
		int err = -errno;

		unlink(tmp.sun_path);
		return err;
	}
	if (lstat(srv->path, &st) < 0) {
		int err = -errno;

		unlink(srv->path);
		return err;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	srv->bound = true;
	return 0;
}

int
lcx_ctl_create(struct lcx_context *ctx, const struct lcx_ctl_conf *conf, struct lcx_ctl **out)
{
	struct lcx_ctl *srv;
	int fd, ret;

	if (ctx == NULL || conf == NULL || out == NULL || conf->path == NULL ||
	    conf->path[0] == '\0' || conf->handle == NULL || (conf->flags & ~KNOWN_FLAGS) != 0 ||
	    conf->line_max > CONF_LIMIT || conf->clients_max > CONF_LIMIT)
		return -EINVAL;
	if (strlen(conf->path) >= sizeof(srv->path))
		return -ENAMETOOLONG;
	if (!lcx__may_touch(ctx))
		return -EPERM;
	srv = lcx__ctx_zalloc(ctx, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->ctx = ctx;
	srv->handle = conf->handle;
	srv->sent = conf->sent;
	srv->arg = conf->arg;
	srv->line_max = conf->line_max != 0 ? conf->line_max : LCX_CTL_LINE_MAX;
	srv->out_max = conf->out_max != 0 ? conf->out_max : LCX_CTL_OUT_MAX;
	srv->clients_max = conf->clients_max != 0 ? conf->clients_max : LCX_CTL_CLIENTS_MAX;
	srv->flags = conf->flags;
	strcpy(srv->path, conf->path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = listen_at(srv, fd);
	if (ret < 0)
		goto out_close;
	ret = lcx_source_create(ctx, fd, LCX_SOURCE_CLOSE_FD, &srv->src);
	if (ret < 0)
		goto out_unlink;
	lcx_task_init(&srv->task, ctx, listen_task, srv);
	lcx_waiter_init(&srv->w, &srv->task);
	lcx_task_wake(&srv->task);
	*out = srv;
	return 0;

out_unlink:
	unlink(srv->path);
out_close:
	close(fd);
out_free:
	lcx__ctx_free(ctx, srv, sizeof(*srv));
	return ret;
}

static void
server_free(struct lcx_ctl *srv)
{
	struct stat st;

	while (srv->clients != NULL)
		client_free(srv, srv->clients);
	lcx_source_destroy(srv->src);
	lcx__task_cancel(&srv->task);
	/* Remove the path only if it still names our socket. */
	if (srv->bound && lstat(srv->path, &st) == 0 && st.st_dev == srv->dev &&
	    st.st_ino == srv->ino)
		unlink(srv->path);
	lcx__ctx_free(srv->ctx, srv, sizeof(*srv));
}

void
lcx_ctl_destroy(struct lcx_ctl *srv)
{
	if (srv == NULL)
		return;
	if (!lcx__may_touch(srv->ctx)) {
		LCX_LOG(ERR, "%s: lcx_ctl_destroy() off the context's thread: not destroyed",
			srv->ctx->name);
		return;
	}
	if (srv->busy != 0) {
		srv->dying = true; /* from a callback: freed when it returns */
		return;
	}
	server_free(srv);
}
