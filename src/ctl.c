/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control sockets (include/lcx/ctl.h): a unix stream listener and its clients
 * on one context, built on the stream-server core (stream_srv.h: the accept
 * turn, the client list, the flush, the idle timer, destruction from a
 * callback). Here: the path and its access, peer credentials, eviction, the
 * line protocol and its replies. Nothing here blocks.
 *
 * A client's task takes one turn at a time: it hands at most one buffered
 * line to the handler (reading at most line_max + 1 bytes into the client's
 * buffer to find one), sends what waits, and wakes itself again when another
 * line may be there. The context's run queue is FIFO, so the clients are
 * served round robin. When the socket does not take the replies, the task
 * also waits for writability; a reply past out_max is replaced by an error
 * line and the client is closed once that went out. A client idle for
 * idle_ns (no byte either way) gets an error line and is closed.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <lcx/timer.h>

#include <lcx/ctl.h>

#include "lcx_private.h"
#include "stream_srv.h"

/* Bytes a client's turn reads at most while it drops an over-long line. */
#define READ_PER_RUN (64u * 1024)
/* A peer's supplementary groups read on the stack; more are read into the heap. */
#define PEER_GROUPS_SMALL 64
/* Refused peers logged one by one; past that only counted. */
#define REFUSALS_LOGGED 8
/* The shortest idle_ns accepted. */
#define IDLE_MIN_NS 1000000ull
/* The largest line_max and clients_max accepted. */
#define CONF_LIMIT (1u << 20)
/* The longest error message put in a reply, in bytes of the message. */
#define ERROR_MSG_MAX 400u

#define KNOWN_FLAGS (LCX_CTL_LONG_LINE_CLOSE | LCX_CTL_ERROR_OK | LCX_CTL_GROUP)

_Static_assert(LCX_CTL_IDLE_NEVER == LCX__STREAM_IDLE_NEVER, "the core's never is ctl's");

struct lcx_ctl_client {
	struct lcx__stream_client base; /* first: fd, waiters, task, last_active, out */
	bool dead;		/* drop at the end of this run; replies are lost */
	bool eof;		/* the peer shut down its side: close once flushed */
	bool closing;		/* read no more: close once flushed */
	bool discarding;	/* inside an over-long line: drop until its newline */
	bool notify;		/* call srv->sent once flushed */
	bool overflow;		/* replies past out_max: an error line went instead */
	bool served;		/* had a turn: may be evicted */
	size_t out_cap;		/* of base.out, the replies waiting */
	size_t in_len;		/* bytes buffered in in[] */
	size_t in_scan;		/* in[0, in_scan) holds no newline */
	char in[];		/* line_max + 1: a line and its newline */
};

struct lcx_ctl {
	struct lcx__stream_srv base; /* first: ctx, the listener, the clients, the idle timer */
	lcx_ctl_handle_fn handle;
	lcx_ctl_sent_fn sent;
	void *arg;
	uint32_t line_max;
	uint32_t out_max;
	uint32_t clients_max;
	uint32_t flags;
	uint32_t mode;
	uint32_t gid;
	uint32_t euid;		/* the server's effective uid: its own peers */
	struct lcx_ctl_stats st;
	bool bound;		/* the path is ours: dev and ino name it */
	dev_t dev;
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static struct lcx_ctl *
ctl_of(struct lcx__stream_srv *s)
{
	return container_of(s, struct lcx_ctl, base);
}

static struct lcx_ctl_client *
client_of(struct lcx__stream_client *c)
{
	return container_of(c, struct lcx_ctl_client, base);
}

static struct lcx_ctl *
srv_of(const struct lcx_ctl_client *c)
{
	return ctl_of(c->base.srv);
}

/* --- replies --- */

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
		size_t l = lcx__utf8_len(p, left);

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

/* Append bytes to what waits for c, growing the buffer. @return 0 or -ENOMEM. */
static int
out_append(struct lcx_ctl_client *c, const void *buf, size_t len)
{
	struct lcx__stream_client *b = &c->base;
	size_t need;

	if (b->out_off == b->out_len)
		b->out_off = b->out_len = 0;
	need = b->out_len + len;
	if (need > c->out_cap && b->out_off != 0) {
		memmove(b->out, b->out + b->out_off, b->out_len - b->out_off);
		b->out_len -= b->out_off;
		b->out_off = 0;
		need = b->out_len + len;
	}
	if (need > c->out_cap) {
		size_t cap = c->out_cap != 0 ? c->out_cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(b->out, cap);
		if (p == NULL)
			return -ENOMEM;
		b->out = p;
		c->out_cap = cap;
	}
	if (len != 0)
		memcpy(b->out + b->out_len, buf, len);
	b->out_len += len;
	return 0;
}

/*
 * Queue a last error line for c, whatever out_max says, on a line of its own
 * (after a newline if a reply was left half queued), and read no more from it.
 */
static void
last_error(struct lcx_ctl_client *c, const char *msg)
{
	char buf[2 * ERROR_MSG_MAX + 64];
	size_t n = format_error(srv_of(c), msg, buf, sizeof(buf));
	const struct lcx__stream_client *b = &c->base;

	c->closing = true;
	if (b->out_len > b->out_off && b->out[b->out_len - 1] != '\n' && out_append(c, "\n", 1) < 0)
		c->dead = true;
	if (!c->dead && out_append(c, buf, n) < 0)
		c->dead = true;
}

int
lcx_ctl_reply(struct lcx_ctl_client *c, const void *buf, size_t len)
{
	struct lcx_ctl *srv;

	if (c == NULL || (buf == NULL && len != 0))
		return -EINVAL;
	srv = srv_of(c);
	if (c->dead || c->overflow || srv->base.dying)
		return -ENOTCONN;
	if (c->base.out_len - c->base.out_off + len > srv->out_max) {
		/* It asks and does not read: tell it, then close rather than grow. */
		char msg[128];

		snprintf(msg, sizeof(msg), "more than %u bytes of replies wait unread: closing",
			 srv->out_max);
		c->overflow = true;
		srv->st.overflow_closed++;
		last_error(c, msg);
		return -ENOBUFS;
	}
	if (out_append(c, buf, len) < 0) {
		c->dead = true;
		return -ENOMEM;
	}
	return 0;
}

int
lcx_ctl_reply_error(struct lcx_ctl_client *c, const char *msg)
{
	char buf[2 * ERROR_MSG_MAX + 64];

	if (c == NULL || msg == NULL)
		return -EINVAL;
	return lcx_ctl_reply(c, buf, format_error(srv_of(c), msg, buf, sizeof(buf)));
}

int
lcx_ctl_stats(const struct lcx_ctl *srv, struct lcx_ctl_stats *out)
{
	if (srv == NULL || out == NULL)
		return -EINVAL;
	*out = srv->st;
	out->clients = srv->base.nb_clients;
	return 0;
}

/* --- requests --- */

static void
line_done(struct lcx_ctl_client *c, size_t len)
{
	struct lcx_ctl *srv = srv_of(c);
	int r;

	c->in[len] = '\0';
	srv->st.requests++;
	r = srv->handle(srv->arg, c->in, len, c);
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
	struct lcx_ctl *srv = srv_of(c);
	char msg[64];

	srv->st.long_lines++;
	snprintf(msg, sizeof(msg), "request line longer than %u bytes", srv->line_max);
	lcx_ctl_reply_error(c, msg);
	if (srv->flags & LCX_CTL_LONG_LINE_CLOSE)
		c->closing = true;
}

/*
 * One turn of reading: hand at most one line to the handler, reading into the
 * client's buffer only while no whole line is buffered. A partial line at the
 * end of the stream is dropped.
 * @return true if the client may have more to do at once (a line was handled,
 *         or the turn's read budget ran out); false when it waits for data, or
 *         read no more (end of stream, closing, dead).
 */
static bool
read_turn(struct lcx_ctl_client *c)
{
	struct lcx_ctl *srv = srv_of(c);
	size_t cap = (size_t)srv->line_max + 1;
	size_t got = 0;

	for (;;) {
		char *nl = memchr(c->in + c->in_scan, '\n', c->in_len - c->in_scan);
		ssize_t n;
		int r;

		if (nl != NULL) {
			size_t len = (size_t)(nl - c->in);

			if (c->discarding)
				c->discarding = false; /* the end of an over-long line */
			else
				line_done(c, len);
			c->in_len -= len + 1;
			memmove(c->in, nl + 1, c->in_len);
			c->in_scan = 0;
			return true;
		}
		c->in_scan = c->in_len;
		if (c->eof)
			return false;
		if (c->in_len == cap) {
			/* A full buffer and no newline: the line is too long. */
			if (!c->discarding)
				line_too_long(c);
			c->discarding = true;
			c->in_len = c->in_scan = 0;
			if (c->closing || c->dead)
				return false;
		}
		if (got >= READ_PER_RUN)
			return true; /* dropping a long line: let the others run, then go on */
		n = recv(c->base.fd, c->in + c->in_len, cap - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			got += (size_t)n;
			lcx__stream_touch(&c->base);
			continue;
		}
		if (n == 0) {
			c->eof = true;
			continue; /* look once more: the buffer may end in a whole line */
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->dead = true;
			return false;
		}
		r = lcx_source_poll(c->base.src, LCX_DIR_READ, &c->base.wr);
		if (r == 1)
			continue;
		if (r < 0)
			c->dead = true;
		return false;
	}
}

/* --- clients --- */

/*
 * Free a client. With a request's notify still pending, tell the program
 * that the server is done with it (unless the server itself goes).
 */
static void
client_free(struct lcx_ctl *srv, struct lcx_ctl_client *c)
{
	bool notify = c->notify && !srv->base.dying;

	lcx__stream_client_free(&c->base);
	if (notify && srv->sent != NULL)
		srv->sent(srv->arg);
}

/* Close a client at once after one last error line (unless it already has
 * its overflow line), sent if its socket takes it now. */
static void
client_kick(struct lcx_ctl *srv, struct lcx_ctl_client *c, const char *msg)
{
	if (!c->dead && !c->overflow) {
		last_error(c, msg);
		(void)lcx__stream_flush(&c->base);
	}
	client_free(srv, c);
}

/* A client's turn (ops.serve). */
static void
client_serve(struct lcx__stream_client *b)
{
	struct lcx_ctl_client *c = client_of(b);
	struct lcx_ctl *srv = srv_of(c);
	bool more = false;
	int r;

	c->served = true;
	if (!c->closing && !c->dead && !srv->base.dying)
		more = read_turn(c);
	if (srv->base.dying)
		return;
	r = c->dead ? -1 : lcx__stream_flush(b);
	if (r < 0) {
		client_free(srv, c);
		return;
	}
	if (r == 0 && c->notify) {
		c->notify = false;
		if (srv->sent != NULL)
			srv->sent(srv->arg);
		if (srv->base.dying)
			return;
	}
	if (r == 1) {
		/* Replies wait for room: come back when writable. */
		int w = lcx_source_poll(b->src, LCX_DIR_WRITE, &b->ww);

		if (w < 0) {
			client_free(srv, c);
			return;
		}
		if (w == 1 || (more && !c->closing))
			lcx_task_wake(&b->task);
		return;
	}
	if (c->closing || (c->eof && !more)) {
		client_free(srv, c);
		return;
	}
	if (more)
		lcx_task_wake(&b->task); /* the next line after the other clients' turns */
}

/* A client idle for idle_ns (ops.idle): an error line, then the close. */
static void
client_idle(struct lcx__stream_client *b)
{
	struct lcx_ctl *srv = ctl_of(b->srv);
	char msg[96];

	snprintf(msg, sizeof(msg), "idle for %.3f s: closing", (double)srv->base.idle_ns / 1e9);
	srv->st.idle_closed++;
	client_kick(srv, client_of(b), msg);
}

/* --- the listener --- */

static void
refuse(struct lcx_ctl *srv, int fd, const char *msg)
{
	char buf[2 * ERROR_MSG_MAX + 64];
	size_t n = format_error(srv, msg, buf, sizeof(buf));

	(void)!send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* May the peer on fd talk to us? Root, our own uid, and members of the group. */
static bool
peer_allowed(const struct lcx_ctl *srv, int fd, struct ucred *cr)
{
	gid_t small[PEER_GROUPS_SMALL];
	gid_t *groups = small;
	socklen_t len = sizeof(*cr);
	bool member = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) < 0 || len != sizeof(*cr)) {
		cr->pid = 0;
		cr->uid = cr->gid = (uint32_t)-1;
		return false;
	}
	if (cr->uid == 0 || cr->uid == srv->euid)
		return true;
	if (!(srv->flags & LCX_CTL_GROUP))
		return false;
	if (cr->gid == srv->gid)
		return true;
	/* Supplementary groups; ERANGE says how many there are (nothing copied). */
	len = sizeof(small);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE || len == 0 || (groups = malloc(len)) == NULL)
			return false; /* not a member as far as we can tell */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(groups[0]) && !member; i++)
		member = groups[i] == srv->gid;
	if (groups != small)
		free(groups);
	return member;
}

/* Make room: close the client idle longest among those that had a turn. */
static bool
evict_one(struct lcx_ctl *srv)
{
	struct lcx_ctl_client *victim = NULL;
	char msg[160];

	for (struct lcx__stream_client *b = srv->base.clients; b != NULL; b = b->next) {
		struct lcx_ctl_client *c = client_of(b);

		if (c->served && (victim == NULL || b->last_active < victim->base.last_active))
			victim = c;
	}
	if (victim == NULL)
		return false;
	snprintf(msg, sizeof(msg),
		 "closed to make room for a new client: at most %u clients, this one idle longest",
		 srv->clients_max);
	srv->st.evicted++;
	client_kick(srv, victim, msg);
	return true;
}

/* A new connection (ops.admit): check its peer, make room if need be, take it on. */
static void
admit(struct lcx__stream_srv *s, int fd)
{
	struct lcx_ctl *srv = ctl_of(s);
	struct ucred cr;

	if (!peer_allowed(srv, fd, &cr)) {
		char msg[160];

		if (srv->st.refused_peer++ < REFUSALS_LOGGED)
			LCX_LOG(NOTICE, "%s: control %s: refused pid %d uid %d gid %d: not allowed",
				lcx_context_name(s->ctx), srv->path, (int)cr.pid, (int)cr.uid,
				(int)cr.gid);
		snprintf(msg, sizeof(msg),
			 "not allowed: uid %d is not root, not the server's uid %u%s",
			 (int)cr.uid, srv->euid,
			 srv->flags & LCX_CTL_GROUP ? ", not in the control group" : "");
		refuse(srv, fd, msg);
		return;
	}
	if (s->nb_clients >= srv->clients_max && !evict_one(srv)) {
		srv->st.refused_full++;
		refuse(srv, fd, "too many clients");
		return;
	}
	if (s->dying) {
		close(fd); /* the evicted client's sent() destroyed the server */
		return;
	}
	if (lcx__stream_client_add(s, fd) != NULL)
		srv->st.accepted++;
}

/* --- the server --- */

/*
 * What is at the path: nothing (0), or our own stale socket, removed (0).
 * Anything else is left alone: not a socket (-EEXIST: a file, a directory, a
 * symlink whatever it points to), another user's socket (-EACCES), a socket
 * that answers or whose connect fails otherwise than refused (-EADDRINUSE).
 * (A full backlog answers EAGAIN: in use.)
 */
static int
clear_stale(const struct lcx_ctl *srv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	if (lstat(srv->path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (st.st_uid != srv->euid)
		return -EACCES;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, srv->path);
	err = connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	close(fd);
	if (err != ECONNREFUSED)
		return -EADDRINUSE;
	/* Ours and dead. (In a sticky directory such as /tmp nobody else may
	 * have swapped it meanwhile: only its owner may remove it.) */
	if (unlink(srv->path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * Listen at srv->path. The socket is bound in a private directory made with
 * mkdtemp() beside the path (0700: nobody else may reach it), given its group
 * and mode there, made to listen, then hard-linked to the path (link() never
 * replaces what may have appeared there meanwhile) and its private name
 * removed. So the path never names a socket wider than conf.mode, whatever
 * the umask, and appears only once it accepts. A private name too long for
 * sun_path is bound through /proc/self/fd/N of the directory.
 */
static int
listen_at(struct lcx_ctl *srv, int fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	int dfd = -1, ret;

	ret = clear_stale(srv);
	if (ret < 0)
		return ret;
	if ((size_t)snprintf(dir, sizeof(dir), "%s.XXXXXX", srv->path) >= sizeof(dir) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/s", dir) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if (mkdtemp(dir) == NULL)
		return -errno;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/s", dir) >= sizeof(tmp)) {
		ret = -ENAMETOOLONG; /* cannot be: it had the same length above */
		goto out_rmdir;
	}
	if (strlen(tmp) < sizeof(sa.sun_path)) {
		strcpy(sa.sun_path, tmp);
	} else {
		dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) {
			ret = -errno;
			goto out_rmdir;
		}
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/s", dfd);
	}
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	if (dfd >= 0)
		close(dfd);
	if (ret < 0)
		goto out_rmdir;
	if (((srv->flags & LCX_CTL_GROUP) && chown(tmp, (uid_t)-1, srv->gid) < 0) ||
	    chmod(tmp, srv->mode) < 0 || listen(fd, (int)srv->clients_max) < 0 ||
	    lstat(tmp, &st) < 0 || link(tmp, srv->path) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	srv->bound = true;
	ret = 0;
out_unlink:
	unlink(tmp);
out_rmdir:
	rmdir(dir);
	return ret;
}

/* ops.free: the clients, the listener, the path if it still names our socket. */
static void
server_free(struct lcx__stream_srv *s)
{
	struct lcx_ctl *srv = ctl_of(s);
	struct stat st;

	lcx__stream_close(s); /* no sent() from here on */
	if (srv->bound && lstat(srv->path, &st) == 0 && st.st_dev == srv->dev &&
	    st.st_ino == srv->ino)
		unlink(srv->path);
	lcx__ctx_free(s->ctx, srv, sizeof(*srv));
}

static const struct lcx__stream_ops ctl_ops = {
	.what = "control",
	.destroy = "lcx_ctl_destroy",
	.serve = client_serve,
	.admit = admit,
	.idle = client_idle,
	.free = server_free,
};

int
lcx_ctl_create(struct lcx_context *ctx, const struct lcx_ctl_conf *conf, struct lcx_ctl **out)
{
	struct lcx_ctl *srv;
	int fd, ret;

	if (ctx == NULL || conf == NULL || out == NULL || conf->path == NULL ||
	    conf->path[0] == '\0' || conf->handle == NULL || (conf->flags & ~KNOWN_FLAGS) != 0 ||
	    conf->line_max > CONF_LIMIT || conf->clients_max > CONF_LIMIT ||
	    (conf->mode != 0 && ((conf->mode & ~0777u) != 0 || (conf->mode & 0600u) != 0600u)) ||
	    (conf->idle_ns != 0 && conf->idle_ns < IDLE_MIN_NS))
		return -EINVAL;
	if (strlen(conf->path) >= sizeof(srv->path))
		return -ENAMETOOLONG;
	if (!lcx__may_touch(ctx))
		return -EPERM;
	srv = lcx__ctx_zalloc(ctx, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->handle = conf->handle;
	srv->sent = conf->sent;
	srv->arg = conf->arg;
	srv->line_max = conf->line_max != 0 ? conf->line_max : LCX_CTL_LINE_MAX;
	srv->out_max = conf->out_max != 0 ? conf->out_max : LCX_CTL_OUT_MAX;
	srv->clients_max = conf->clients_max != 0 ? conf->clients_max : LCX_CTL_CLIENTS_MAX;
	srv->flags = conf->flags;
	srv->mode = conf->mode != 0 ? conf->mode : conf->flags & LCX_CTL_GROUP ? 0660u : 0600u;
	srv->gid = conf->gid;
	srv->euid = (uint32_t)geteuid();
	strcpy(srv->path, conf->path);
	/* A client holds a line and its newline; a turn of the listener takes up to
	 * clients_max connections. */
	lcx__stream_init(&srv->base, ctx, &ctl_ops,
			 sizeof(struct lcx_ctl_client) + srv->line_max + 1, srv->clients_max,
			 conf->idle_ns != 0 ? conf->idle_ns : LCX_CTL_IDLE_NS);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = listen_at(srv, fd);
	if (ret < 0)
		goto out_close;
	ret = lcx__stream_listen(&srv->base, fd);
	if (ret < 0)
		goto out_unlink;
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

void
lcx_ctl_destroy(struct lcx_ctl *srv)
{
	if (srv != NULL)
		lcx__stream_destroy(&srv->base);
}
