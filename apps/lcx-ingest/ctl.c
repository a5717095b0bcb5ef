/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a unix stream socket served by the control context's
 * reactor. Each client is a task woken by readiness of its fd; it reads
 * lines, answers each with one JSON line (ctl_proto.h). Replies that the
 * socket does not take at once wait for writability; a client that sends a
 * line longer than INGEST_CTL_LINE_MAX gets an error and is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <lcx/lcx.h>

#include "app.h"
#include "ctl_proto.h"

#define CLIENTS_MAX 16

struct client {
	struct ingest_app *app;
	struct lcx_source *src;
	struct lcx_task task;
	struct lcx_waiter rw, ww;
	char in[INGEST_CTL_LINE_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool closing;
	bool used;
};

static struct {
	struct ingest_app *app;
	struct lcx_source *lsrc;
	struct lcx_task task;
	struct lcx_waiter w;
	char path[108];
	struct client clients[CLIENTS_MAX];
} ctl;

static void
client_close(struct client *c)
{
	lcx_source_destroy(c->src); /* closes the fd */
	free(c->out);
	memset(c, 0, sizeof(*c));
}

static void
reply(struct client *c, const char *buf, size_t len)
{
	char *n = realloc(c->out, c->out_len + len);

	if (n == NULL) {
		c->closing = true;
		return;
	}
	memcpy(n + c->out_len, buf, len);
	c->out = n;
	c->out_len += len;
}

static void
reply_error(struct client *c, const char *msg)
{
	char buf[512];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof(buf), "{\"ok\":false,\"error\":\"");
	for (; *msg != '\0' && n + 8 < sizeof(buf); msg++) {
		if (*msg == '"' || *msg == '\\')
			buf[n++] = '\\';
		buf[n++] = *msg;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"}\n");
	reply(c, buf, n);
}

static void
handle_line(struct client *c, const char *line, size_t len)
{
	struct ingest_app *app = c->app;
	struct ingest_ctl_req req;
	struct ingest_totals t;
	const char *err = NULL;
	char *mem = NULL;
	size_t size = 0;
	FILE *f;

	if (ingest_ctl_parse(line, (uint32_t)len, &req, &err) < 0) {
		reply_error(c, err);
		return;
	}
	if (req.cmd == INGEST_CTL_ROTATE && app->sink == NULL) {
		reply_error(c, "no sink to rotate (no --capture or --payload-dir)");
		return;
	}
	f = open_memstream(&mem, &size);
	if (f == NULL) {
		reply_error(c, "out of memory");
		return;
	}
	switch (req.cmd) {
	case INGEST_CTL_STATS:
		ingest_app_totals(app, &t);
		fprintf(f, "{\"ok\":true,\"uptime_s\":%.3f,\"stats\":",
			(double)(lcx_tsc_ns() - app->start_ns) / 1e9);
		ingest_totals_json(&t, f);
		fputs("}\n", f);
		break;
	case INGEST_CTL_FLOWS:
		fputs("{\"ok\":true,\"flows\":", f);
		ingest_app_flows_json(app, req.n, f);
		fputs("}\n", f);
		break;
	case INGEST_CTL_ROTATE:
		ingest_sink_request_rotate(app->sink);
		fputs("{\"ok\":true,\"rotate\":\"requested\"}\n", f);
		break;
	case INGEST_CTL_STOP:
		fputs("{\"ok\":true,\"stop\":\"stopping\"}\n", f);
		break;
	}
	fclose(f);
	reply(c, mem, size);
	free(mem);
	if (req.cmd == INGEST_CTL_STOP)
		ingest_app_request_stop(app, -1);
}

/* Push out what is queued. @return true when everything went. */
static bool
flush_out(struct client *c)
{
	int fd = lcx_source_fd(c->src);

	while (c->out_off < c->out_len) {
		ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return false;
			c->closing = true;
			c->out_off = c->out_len;
			break;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return true;
}

static void
client_run(struct lcx_task *task, void *arg)
{
	struct client *c = arg;
	int fd = lcx_source_fd(c->src);
	char *nl;
	ssize_t n;

	(void)task;
	if (!flush_out(c)) {
		lcx_source_poll(c->src, LCX_DIR_WRITE, &c->ww);
		return;
	}
	while (!c->closing) {
		n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n == 0) {
			c->closing = true;
			break;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->closing = true;
			break;
		}
		c->in_len += (size_t)n;
		while ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
			size_t len = (size_t)(nl - c->in);

			if (len > 0 || c->in_len > 1)
				handle_line(c, c->in, len);
			memmove(c->in, nl + 1, c->in_len - len - 1);
			c->in_len -= len + 1;
		}
		if (c->in_len == sizeof(c->in)) {
			reply_error(c, "request line too long");
			c->closing = true;
		}
	}
	if (!flush_out(c)) {
		lcx_source_poll(c->src, LCX_DIR_WRITE, &c->ww);
		return;
	}
	if (c->closing) {
		client_close(c);
		return;
	}
	/* Wait until readable; the first call registers, a later one reports. */
	while (lcx_source_poll(c->src, LCX_DIR_READ, &c->rw) == 1)
		;
}

static void
accept_run(struct lcx_task *task, void *arg)
{
	int lfd = lcx_source_fd(ctl.lsrc), fd, i;

	(void)task;
	(void)arg;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct client *c = NULL;

		for (i = 0; i < CLIENTS_MAX; i++)
			if (!ctl.clients[i].used) {
				c = &ctl.clients[i];
				break;
			}
		if (c == NULL) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				(void)0;
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->app = ctl.app;
		if (lcx_source_create(lcx_context_current(), fd, LCX_SOURCE_CLOSE_FD, &c->src) < 0) {
			close(fd);
			continue;
		}
		c->used = true;
		lcx_task_init(&c->task, lcx_context_current(), client_run, c);
		lcx_waiter_init(&c->rw, &c->task);
		lcx_waiter_init(&c->ww, &c->task);
		lcx_task_wake(&c->task);
	}
	while (lcx_source_poll(ctl.lsrc, LCX_DIR_READ, &ctl.w) == 1)
		;
}

int
ingest_ctl_start(struct ingest_app *app, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct lcx_context *ctx = lcx_context_current();
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "lcx-ingest: --control path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		ret = -errno;
		fprintf(stderr, "lcx-ingest: cannot listen on %s: %s\n", path, strerror(-ret));
		close(fd);
		return ret;
	}
	ret = lcx_source_create(ctx, fd, LCX_SOURCE_CLOSE_FD, &ctl.lsrc);
	if (ret < 0) {
		close(fd);
		unlink(path);
		return ret;
	}
	ctl.app = app;
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	lcx_task_init(&ctl.task, ctx, accept_run, NULL);
	lcx_waiter_init(&ctl.w, &ctl.task);
	lcx_task_wake(&ctl.task);
	return 0;
}

void
ingest_ctl_stop(struct ingest_app *app)
{
	(void)app;
	/* The sources are closed by the control context when it stops. */
	if (ctl.path[0] != '\0')
		unlink(ctl.path);
	ctl.path[0] = '\0';
}
