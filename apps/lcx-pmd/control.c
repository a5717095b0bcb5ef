/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (--control=PATH): a unix stream socket served by the
 * main lcore's context. Each client sends requests, one JSON object per line,
 * and gets one JSON line back for each, in order:
 *
 *   {"cmd":"stats"}                 -> the summary (as --json writes it), so far
 *   {"cmd":"set","throttle_us":N}   -> {"ok":true,"throttle_us":N}
 *   {"cmd":"stop"}                  -> {"ok":true,"stopping":true}, then the program stops
 *
 * Anything else (bad JSON, an unknown command or key, a bad value, a line
 * longer than CTL_LINE_MAX) gets {"error":"..."} and changes nothing. The
 * listener and every client are a source, waiters and a task on the context:
 * nothing here blocks, and a client that does not read its replies is
 * dropped once CTL_OUT_MAX bytes wait for it.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <lcx/reactor.h>
#include <lcx/task.h>

#include "json.h"
#include "pmd.h"

#define CTL_LINE_MAX 4096
#define CTL_OUT_MAX (1u << 20)
#define CTL_CLIENTS_MAX 64
#define CTL_READ_PER_RUN (64 * 1024)

struct ctl_client {
	struct lcx_task task;
	struct lcx_source *src;
	struct lcx_waiter wr;
	struct lcx_waiter ww;
	int fd;
	bool dead;       /* closed; freed when its task runs or at shutdown */
	bool eof;        /* the peer shut down its side: close once flushed */
	bool discarding; /* inside an over-long line: drop until its newline */
	bool stop_after; /* a "stop" was answered: stop once flushed */
	size_t in_len;
	char in[CTL_LINE_MAX];
	char *out;
	size_t out_len;
	size_t out_off;
	struct ctl_client *next;
};

static struct {
	struct lcx_context *ctx;
	struct lcx_source *src;
	struct lcx_waiter w;
	struct lcx_task task;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool bound;
	struct ctl_client *clients;
	unsigned int nb_clients;
} ctl;

static void
out_add(struct ctl_client *c, const char *s, size_t n)
{
	if (c->dead)
		return;
	if (c->out_len - c->out_off + n > CTL_OUT_MAX) {
		/* It does not read what it asked for: drop it rather than grow. */
		c->out_len = c->out_off = 0;
		c->eof = true;
		c->discarding = true;
		c->dead = true;
		return;
	}
	if (c->out_off != 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	char *p = realloc(c->out, c->out_len + n);

	if (p == NULL) {
		c->dead = true;
		return;
	}
	c->out = p;
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
}

static void
reply_error(struct ctl_client *c, const char *msg)
{
	char buf[256];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof(buf), "{\"error\":\"");
	for (const char *p = msg; *p != '\0' && n < sizeof(buf) - 8; p++) {
		if (*p == '"' || *p == '\\')
			buf[n++] = '\\';
		buf[n++] = (unsigned char)*p < 0x20 ? ' ' : *p;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"}\n");
	out_add(c, buf, n);
}

static void
reply_stats(struct ctl_client *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct pmd_snap *now = malloc(sizeof(*now));

	if (f == NULL || now == NULL) {
		if (f != NULL)
			fclose(f);
		free(buf);
		free(now);
		reply_error(c, "out of memory");
		return;
	}
	pmd_snapshot(now);
	pmd_summary_json(f, &pmd.start, now);
	fputc('\n', f);
	fclose(f);
	out_add(c, buf, len);
	free(buf);
	free(now);
}

/* One request line (no newline). */
static void
handle_line(struct ctl_client *c, const char *line, size_t len)
{
	struct pj_object o;
	const char *err = NULL;
	const struct pj_member *cmd;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return; /* a blank line is not a request */
	if (pj_parse_object(line, len, &o, &err) < 0) {
		reply_error(c, err);
		return;
	}
	cmd = pj_get(&o, "cmd");
	if (cmd == NULL) {
		reply_error(c, "missing \"cmd\"");
		return;
	}
	if (cmd->type != PJ_STRING || cmd->str_len >= sizeof(cmd->str) ||
	    memchr(cmd->str, '\0', cmd->str_len) != NULL) {
		reply_error(c, "\"cmd\" must be a string");
		return;
	}
	for (unsigned int k = 0; k < o.n; k++) {
		const struct pj_member *m = &o.m[k];
		bool known = m == cmd || (strcmp(cmd->str, "set") == 0 &&
					  pj_get(&o, "throttle_us") == m);

		if (!known) {
			char msg[192];

			snprintf(msg, sizeof(msg), "unknown key \"%.40s%s\" for \"%s\"", m->key,
				 m->key_len >= sizeof(m->key) ? "..." : "", cmd->str);
			reply_error(c, msg);
			return;
		}
	}
	if (strcmp(cmd->str, "stats") == 0) {
		reply_stats(c);
	} else if (strcmp(cmd->str, "stop") == 0) {
		static const char ok[] = "{\"ok\":true,\"stopping\":true}\n";

		out_add(c, ok, sizeof(ok) - 1);
		c->stop_after = true;
	} else if (strcmp(cmd->str, "set") == 0) {
		const struct pj_member *t = pj_get(&o, "throttle_us");
		unsigned long long v;
		char buf[64];
		int n;

		if (t == NULL) {
			reply_error(c, "\"set\" needs \"throttle_us\"");
			return;
		}
		if (pj_uint(t, LCX_THROTTLE_MAX_NS / 1000, &v) < 0) {
			snprintf(buf, sizeof(buf), "bad value: throttle_us must be an integer "
						   "0..%llu", LCX_THROTTLE_MAX_NS / 1000);
			reply_error(c, buf);
			return;
		}
		if (pmd_set_throttle(v) < 0) {
			reply_error(c, "cannot set the throttle");
			return;
		}
		n = snprintf(buf, sizeof(buf), "{\"ok\":true,\"throttle_us\":%llu}\n", v);
		out_add(c, buf, (size_t)n);
	} else {
		char msg[192];

		snprintf(msg, sizeof(msg), "unknown command \"%.40s\" (stats, set, stop)", cmd->str);
		reply_error(c, msg);
	}
}

/* Split what arrived into lines. */
static void
feed(struct ctl_client *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n && !c->dead; i++) {
		char ch = buf[i];

		if (ch == '\n') {
			if (!c->discarding)
				handle_line(c, c->in, c->in_len);
			c->discarding = false;
			c->in_len = 0;
			continue;
		}
		if (c->discarding)
			continue;
		if (c->in_len == sizeof(c->in)) {
			char msg[64];

			snprintf(msg, sizeof(msg), "request line longer than %d bytes", CTL_LINE_MAX);
			reply_error(c, msg);
			c->discarding = true;
			c->in_len = 0;
			continue;
		}
		c->in[c->in_len++] = ch;
	}
}

/* Send what waits. Returns 0 when all went, 1 when some waits, -1 on error. */
static int
flush(struct ctl_client *c)
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

static void
client_free(struct ctl_client *c)
{
	free(c->out);
	free(c);
}

static void
client_unlink_free(struct ctl_client *c)
{
	for (struct ctl_client **pp = &ctl.clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	client_free(c);
}

static void
client_close(struct ctl_client *c)
{
	if (c->src != NULL) {
		lcx_source_destroy(c->src); /* closes the fd; waiters are dropped */
		c->src = NULL;
		ctl.nb_clients--;
	}
	c->dead = true;
	/* Queued once more (woken before the close)? Then that run frees it. */
	if (!lcx_task_is_queued(&c->task))
		client_unlink_free(c);
}

static void
client_task(struct lcx_task *task, void *arg)
{
	struct ctl_client *c = arg;
	size_t got = 0;
	int r;

	(void)task;
	if (c->src == NULL) {
		client_unlink_free(c);
		return;
	}
	while (!c->eof && !c->dead && got < CTL_READ_PER_RUN) {
		char buf[4096];
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			got += (size_t)n;
			feed(c, buf, (size_t)n);
			if (flush(c) < 0)
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
	if (c->dead) {
		client_close(c);
		return;
	}
	r = flush(c);
	if (r < 0) {
		client_close(c);
		return;
	}
	if (c->stop_after && r == 0) {
		c->stop_after = false;
		pmd_request_stop("control");
	}
	if (r == 1) {
		/* Replies wait for room: come back when writable. */
		int w = lcx_source_poll(c->src, LCX_DIR_WRITE, &c->ww);

		if (w == 1)
			lcx_task_wake(&c->task);
		else if (w < 0)
			client_close(c);
		return;
	}
	if (c->eof) {
		client_close(c);
		return;
	}
	if (got >= CTL_READ_PER_RUN)
		lcx_task_wake(&c->task); /* let the rest of the context run, then read on */
}

static void
listen_task(struct lcx_task *task, void *arg)
{
	(void)task;
	(void)arg;
	for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
		int fd = accept4(ctl.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				int r = lcx_source_poll(ctl.src, LCX_DIR_READ, &ctl.w);

				if (r == 1)
					continue;
				return;
			}
			/* EMFILE and such: try again at the next react. */
			lcx_source_poll(ctl.src, LCX_DIR_READ, &ctl.w);
			return;
		}
		if (ctl.nb_clients >= CTL_CLIENTS_MAX) {
			static const char busy[] = "{\"error\":\"too many clients\"}\n";

			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		struct ctl_client *c = calloc(1, sizeof(*c));

		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		if (lcx_source_create(ctl.ctx, fd, LCX_SOURCE_CLOSE_FD, &c->src) < 0) {
			close(fd);
			free(c);
			continue;
		}
		lcx_task_init(&c->task, ctl.ctx, client_task, c);
		lcx_waiter_init(&c->wr, &c->task);
		lcx_waiter_init(&c->ww, &c->task);
		c->next = ctl.clients;
		ctl.clients = c;
		ctl.nb_clients++;
		lcx_task_wake(&c->task);
	}
	lcx_task_wake(&ctl.task); /* more may wait: after the rest of the context ran */
}

int
pmd_control_start(struct lcx_context *ctx, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "lcx-pmd: --control: path longer than %zu bytes\n",
			sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	ctl.ctx = ctx;
	ctl.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl.fd < 0)
		return -errno;
	/* A socket left by a dead run is replaced; one that answers is someone's. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			fprintf(stderr, "lcx-pmd: --control: %s is in use by another process\n",
				path);
			ret = -EADDRINUSE;
			goto out_close;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	/*
	 * Listen on a temporary name, then rename: the path appears only once it
	 * accepts, so a client that waits for the path never finds it refusing.
	 */
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };

	if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp.sun_path))
		snprintf(tmp.sun_path, sizeof(tmp.sun_path), "/tmp/lcx-pmd-ctl.%d", (int)getpid());
	unlink(tmp.sun_path);
	if (bind(ctl.fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0 || listen(ctl.fd, 64) < 0 ||
	    rename(tmp.sun_path, path) < 0) {
		ret = -errno;
		fprintf(stderr, "lcx-pmd: --control: cannot listen on %s: %s\n", path,
			strerror(errno));
		unlink(tmp.sun_path);
		goto out_close;
	}
	strcpy(ctl.path, path);
	ctl.bound = true;
	ret = lcx_source_create(ctx, ctl.fd, LCX_SOURCE_CLOSE_FD, &ctl.src);
	if (ret < 0)
		goto out_unlink;
	lcx_task_init(&ctl.task, ctx, listen_task, NULL);
	lcx_waiter_init(&ctl.w, &ctl.task);
	lcx_task_wake(&ctl.task);
	return 0;

out_unlink:
	unlink(path);
	ctl.bound = false;
out_close:
	close(ctl.fd);
	ctl.fd = -1;
	return ret;
}

/* After the context stopped (it closed every source): free the clients, remove the path. */
void
pmd_control_stop(void)
{
	while (ctl.clients != NULL) {
		struct ctl_client *c = ctl.clients;

		ctl.clients = c->next;
		client_free(c);
	}
	ctl.nb_clients = 0;
	if (ctl.bound)
		unlink(ctl.path);
	ctl.bound = false;
}
