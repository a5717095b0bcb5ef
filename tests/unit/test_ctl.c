/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control sockets (lcx/ctl.h): line framing, replies in order, over-long
 * lines, slow and vanishing clients, too many clients, the path, and
 * destruction with clients connected.
 *
 * The server runs on an LCX_LAUNCH_NONE context driven with
 * lcx_context_run_once() on a manual clock, one throttle per step, so every
 * step reacts. Clients are plain non-blocking unix sockets of the test thread,
 * read between steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <lcx/lcx.h>

#include "unit_ctx.h"

#define MS 1000000ull
#define THROTTLE MS
/* Steps to wait for something the server should do within a few. */
#define PATIENCE 200

struct fix {
	struct unit_fix u; /* first */
	struct lcx_ctl *srv;
	char dir[64];
	char path[96];
	/* what the handler saw */
	unsigned int lines;
	size_t last_len;
	char last[256];
	unsigned int sent;
	/* order of requests: which client sent each ("ping" from a, "pong" from b) */
	unsigned int a_before_b;
	bool b_seen;
};

static int
setup(void **state)
{
	struct fix *f;

	if (unit_fix_setup(state, sizeof(*f), "ctl", THROTTLE) != 0)
		return -1;
	f = *state;
	snprintf(f->dir, sizeof(f->dir), "/tmp/lcx-test-ctl-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		unit_fix_free(&f->u);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	lcx_ctl_destroy(f->srv);
	unlink(f->path);
	rmdir(f->dir);
	unit_fix_free(&f->u);
	return 0;
}


static bool
path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * The handler. Requests: "ping" -> {"pong":true}; "echo X" -> X; "big N" -> a
 * line of N bytes; "close" -> {"bye":true} and close; "notify" -> {"ok":true}
 * and LCX_CTL_NOTIFY; "drop" -> a reply, then a negative return; "err X" ->
 * an error reply with message X; "destroy" -> destroys the server; a blank
 * line -> nothing; anything else -> an error reply.
 */
static int
handle(void *arg, const char *line, size_t len, struct lcx_ctl_client *c)
{
	struct fix *f = arg;

	assert_int_equal(line[len], '\0');
	f->lines++;
	f->last_len = len;
	snprintf(f->last, sizeof(f->last), "%.*s", (int)len, line);
	if (len == 0)
		return 0;
	if (strcmp(line, "a") == 0 || strcmp(line, "b") == 0) {
		if (line[0] == 'b')
			f->b_seen = true;
		else if (!f->b_seen)
			f->a_before_b++;
		lcx_ctl_reply(c, line, 1);
		lcx_ctl_reply(c, "\n", 1);
		return 0;
	}
	if (strcmp(line, "ping") == 0) {
		assert_int_equal(lcx_ctl_reply(c, "{\"pong\":true}\n", 14), 0);
		return 0;
	}
	if (strncmp(line, "echo ", 5) == 0) {
		lcx_ctl_reply(c, line + 5, len - 5);
		lcx_ctl_reply(c, "\n", 1);
		return 0;
	}
	if (strncmp(line, "big ", 4) == 0) {
		size_t n = strtoul(line + 4, NULL, 10);
		char *buf = malloc(n + 1);

		assert_non_null(buf);
		memset(buf, 'b', n);
		buf[n] = '\n';
		lcx_ctl_reply(c, buf, n + 1);
		free(buf);
		return 0;
	}
	if (strcmp(line, "close") == 0) {
		lcx_ctl_reply(c, "{\"bye\":true}\n", 13);
		return LCX_CTL_CLOSE;
	}
	if (strcmp(line, "notify") == 0) {
		lcx_ctl_reply(c, "{\"ok\":true}\n", 12);
		return LCX_CTL_NOTIFY;
	}
	if (strcmp(line, "drop") == 0) {
		lcx_ctl_reply(c, "{\"lost\":true}\n", 14);
		return -EPROTO;
	}
	if (strncmp(line, "err ", 4) == 0) {
		assert_int_equal(lcx_ctl_reply_error(c, line + 4), 0);
		return 0;
	}
	if (strcmp(line, "destroy") == 0) {
		lcx_ctl_destroy(f->srv);
		f->srv = NULL;
		assert_int_equal(lcx_ctl_reply(c, "x\n", 2), -ENOTCONN);
		return 0;
	}
	lcx_ctl_reply_error(c, "unknown request");
	return 0;
}

static void
sent(void *arg)
{
	struct fix *f = arg;

	f->sent++;
}

static void
start_conf(struct fix *f, uint32_t line_max, uint32_t out_max, uint32_t clients_max,
	   uint32_t flags)
{
	struct lcx_ctl_conf conf = {
		.path = f->path,
		.handle = handle,
		.sent = sent,
		.arg = f,
		.line_max = line_max,
		.out_max = out_max,
		.clients_max = clients_max,
		.flags = flags,
	};

	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	assert_true(path_exists(f->path));
}

static void
start(struct fix *f)
{
	start_conf(f, 0, 0, 0, 0);
}

static int
client(struct fix *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static void
send_str(int fd, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/*
 * Read one line (without its newline) into buf (cut to size), stepping the
 * loop while none is there. What follows the line stays in the socket.
 * @return its full length, or -1 at end of stream (or a reset).
 */
static ssize_t
read_line(struct fix *f, int fd, char *buf, size_t size)
{
	static char peek[65536];
	size_t n = 0;

	for (int i = 0; i < PATIENCE;) {
		ssize_t r = recv(fd, peek, sizeof(peek), MSG_DONTWAIT | MSG_PEEK);

		if (r > 0) {
			char *nl = memchr(peek, '\n', (size_t)r);
			size_t take = nl != NULL ? (size_t)(nl - peek) + 1 : (size_t)r;
			size_t body = nl != NULL ? take - 1 : take;

			if (n < size)
				memcpy(buf + n, peek, body < size - n ? body : size - n);
			n += body;
			assert_int_equal(recv(fd, peek, take, MSG_DONTWAIT), (ssize_t)take);
			if (nl != NULL) {
				buf[n < size ? n : size - 1] = '\0';
				return (ssize_t)n;
			}
			continue;
		}
		if (r == 0 || errno == ECONNRESET)
			return -1;
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		unit_step(&f->u);
		i++;
	}
	fail_msg("no line after %d steps", PATIENCE);
	return -1;
}

static void
expect_line(struct fix *f, int fd, const char *want)
{
	char buf[512];

	assert_true(read_line(f, fd, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

/* The server closed the connection (after any replies, which are skipped). */
static void
expect_eof(struct fix *f, int fd)
{
	char buf[512];

	while (read_line(f, fd, buf, sizeof(buf)) >= 0)
		;
}

/* A request gets its reply; the path goes with the server. */
static void
test_request_reply(void **state)
{
	struct fix *f = *state;
	int c;

	start(f);
	c = client(f);
	send_str(c, "ping\n");
	expect_line(f, c, "{\"pong\":true}");
	assert_int_equal(f->lines, 1);
	send_str(c, "what\n");
	expect_line(f, c, "{\"error\":\"unknown request\"}");
	send_str(c, "\n");
	send_str(c, "echo after a blank line\n");
	expect_line(f, c, "after a blank line");
	assert_int_equal(f->lines, 4);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	assert_false(path_exists(f->path));
	expect_eof(f, c);
	close(c);
}

/* Several clients at once, each answered on its own connection, in order. */
static void
test_several_clients(void **state)
{
	struct fix *f = *state;
	int c[8];
	char want[64];

	start(f);
	for (int i = 0; i < 8; i++)
		c[i] = client(f);
	for (int i = 7; i >= 0; i--) {
		char req[64];

		snprintf(req, sizeof(req), "echo %d-a\necho %d-b\n", i, i);
		send_str(c[i], req);
	}
	for (int i = 0; i < 8; i++) {
		snprintf(want, sizeof(want), "%d-a", i);
		expect_line(f, c[i], want);
		snprintf(want, sizeof(want), "%d-b", i);
		expect_line(f, c[i], want);
	}
	assert_int_equal(f->lines, 16);
	for (int i = 0; i < 8; i++)
		close(c[i]);
	unit_steps(&f->u, 10);
	/* Closed clients are gone: the server still serves a new one. */
	c[0] = client(f);
	send_str(c[0], "ping\n");
	expect_line(f, c[0], "{\"pong\":true}");
	close(c[0]);
}

/* A line split across writes (and loop runs) is handed over whole, once. */
static void
test_split_line(void **state)
{
	struct fix *f = *state;
	int c;

	start(f);
	c = client(f);
	send_str(c, "ec");
	unit_steps(&f->u, 10);
	send_str(c, "ho sp");
	unit_steps(&f->u, 10);
	assert_int_equal(f->lines, 0);
	send_str(c, "lit\necho ne");
	expect_line(f, c, "split");
	assert_int_equal(f->lines, 1);
	assert_string_equal(f->last, "echo split");
	send_str(c, "xt\n");
	expect_line(f, c, "next");
	assert_int_equal(f->lines, 2);
	close(c);
}

/* Two (and more) requests in one write: each answered, in order. */
static void
test_pipelined(void **state)
{
	struct fix *f = *state;
	int c;

	start(f);
	c = client(f);
	send_str(c, "echo one\necho two\n");
	expect_line(f, c, "one");
	expect_line(f, c, "two");
	send_str(c, "ping\nbogus\necho three\n\nping\n");
	expect_line(f, c, "{\"pong\":true}");
	expect_line(f, c, "{\"error\":\"unknown request\"}");
	expect_line(f, c, "three");
	expect_line(f, c, "{\"pong\":true}");
	assert_int_equal(f->lines, 7);
	close(c);
}

/* A line of line_max bytes is a request; one byte more is an error, and the
 * rest of that line (over several writes) is dropped; the client goes on. */
static void
test_overlong_line(void **state)
{
	struct fix *f = *state;
	char line[64];
	int c;

	start_conf(f, 16, 0, 0, 0);
	c = client(f);
	snprintf(line, sizeof(line), "echo %011d\n", 7); /* 16 bytes */
	send_str(c, line);
	expect_line(f, c, "00000000007");
	assert_int_equal(f->last_len, 16);
	send_str(c, "echo 012345678901"); /* 17 bytes, no newline yet */
	expect_line(f, c, "{\"error\":\"request line longer than 16 bytes\"}");
	send_str(c, "more of the same line");
	unit_steps(&f->u, 10);
	send_str(c, " and its end\nping\n");
	expect_line(f, c, "{\"pong\":true}");
	assert_int_equal(f->lines, 2); /* the long line never reached the handler */
	/* A long line after a good one in the same write. */
	send_str(c, "echo ok\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\necho still\n");
	expect_line(f, c, "ok");
	expect_line(f, c, "{\"error\":\"request line longer than 16 bytes\"}");
	expect_line(f, c, "still");
	close(c);
}

/* LCX_CTL_LONG_LINE_CLOSE and LCX_CTL_ERROR_OK: the error, then the end. */
static void
test_overlong_line_closes(void **state)
{
	struct fix *f = *state;
	char big[300];
	int c;

	start_conf(f, 100, 0, 0, LCX_CTL_LONG_LINE_CLOSE | LCX_CTL_ERROR_OK);
	c = client(f);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	send_str(c, "ping\n");
	send_str(c, big);
	send_str(c, "\nping\n");
	expect_line(f, c, "{\"pong\":true}");
	expect_line(f, c, "{\"ok\":false,\"error\":\"request line longer than 100 bytes\"}");
	expect_eof(f, c);
	assert_int_equal(f->lines, 1);
	close(c);
}

/* Error messages are escaped into valid JSON, whatever bytes they hold. */
static void
test_error_escaping(void **state)
{
	struct fix *f = *state;
	char big[700];
	char want[512];
	int c;

	start(f);
	c = client(f);
	send_str(c, "err a \"quoted\" \\ back\tslash\n");
	expect_line(f, c, "{\"error\":\"a \\\"quoted\\\" \\\\ back slash\"}");
	send_str(c, "err caf\xc3\xa9 \xff\xfe bad \xe2\x82 cut \xed\xa0\x80 surrogate\n");
	expect_line(f, c, "{\"error\":\"caf\xc3\xa9 ?? bad ?? cut ??? surrogate\"}");
	/* Cut at 400 bytes of message. */
	memcpy(big, "err ", 4);
	memset(big + 4, 'm', sizeof(big) - 6);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	send_str(c, big);
	snprintf(want, sizeof(want), "{\"error\":\"%.*s\"}", 400, big + 4);
	expect_line(f, c, want);
	close(c);
}

/* LCX_CTL_CLOSE: the reply goes out, then the client is closed; what it sent
 * after that line is not handled. */
static void
test_close_request(void **state)
{
	struct fix *f = *state;
	int c;

	start(f);
	c = client(f);
	send_str(c, "ping\nclose\nping\n");
	expect_line(f, c, "{\"pong\":true}");
	expect_line(f, c, "{\"bye\":true}");
	expect_eof(f, c);
	assert_int_equal(f->lines, 2);
	close(c);
}

/* A negative return drops the client at once: the reply it queued is lost. */
static void
test_handler_drops(void **state)
{
	struct fix *f = *state;
	char buf[64];
	int c;

	start(f);
	c = client(f);
	send_str(c, "drop\nping\n");
	assert_int_equal(read_line(f, c, buf, sizeof(buf)), -1);
	assert_int_equal(f->lines, 1);
	close(c);
}

/* The client shuts down its side: it still gets every reply, then the end. */
static void
test_half_close(void **state)
{
	struct fix *f = *state;
	int c;

	start(f);
	c = client(f);
	send_str(c, "echo a\necho b\necho partial-never-ended");
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	expect_line(f, c, "a");
	expect_line(f, c, "b");
	expect_eof(f, c);
	assert_int_equal(f->lines, 2);
	close(c);
}

/* A client that closes before reading its reply: dropped, nothing else moves. */
static void
test_client_gone_before_reply(void **state)
{
	struct fix *f = *state;
	int c, d;

	start_conf(f, 0, 0, 1, 0); /* one client at a time: a leftover would show */
	c = client(f);
	send_str(c, "big 300000\nnotify\nping\n");
	close(c);
	unit_steps(&f->u, 20);
	assert_int_equal(f->sent, 0); /* its replies never went out */
	d = client(f);
	send_str(d, "ping\n");
	expect_line(f, d, "{\"pong\":true}");
	close(d);

	/* The same with the reply half sent: the client reads some, then goes. */
	c = client(f);
	send_str(c, "big 400000\n");
	unit_steps(&f->u, 10);
	{
		char buf[1024];

		assert_true(recv(c, buf, sizeof(buf), 0) > 0);
	}
	close(c);
	unit_steps(&f->u, 20);
	d = client(f);
	send_str(d, "notify\n");
	expect_line(f, d, "{\"ok\":true}");
	unit_steps(&f->u, 2);
	assert_int_equal(f->sent, 1);
	close(d);
}

/* Replies wait for a client that reads late, and all arrive in order; one
 * that asks and does not read is dropped once out_max bytes wait for it. */
static void
test_slow_reader(void **state)
{
	struct fix *f = *state;
	char buf[70000];
	int c;

	start_conf(f, 0, 256 * 1024, 0, 0);
	c = client(f);
	/* 3 x 60 kB fits under out_max; read late, all arrive in order. */
	send_str(c, "big 60000\nbig 60000\nbig 60000\necho end\n");
	unit_steps(&f->u, 20);
	for (int i = 0; i < 3; i++)
		assert_int_equal(read_line(f, c, buf, sizeof(buf)), 60000);
	expect_line(f, c, "end");

	/*
	 * 100 x 60 kB asked at once, not read: the reply that would make more
	 * than out_max wait is replaced by an error line, the rest is not read
	 * and the client is closed once that went out. Read late, the client
	 * gets whole replies, then the error line, then the end.
	 */
	for (int i = 0; i < 100; i++)
		memcpy(buf + 10 * i, "big 60000\n", 10);
	buf[1000] = '\0';
	send_str(c, buf);
	unit_steps(&f->u, 20);
	{
		struct lcx_ctl_stats st;
		unsigned int big = 0;
		ssize_t n;

		while ((n = read_line(f, c, buf, sizeof(buf))) == 60000)
			big++;
		assert_int_equal(n, strlen(buf));
		assert_string_equal(buf, "{\"error\":\"more than 262144 bytes of replies wait "
					 "unread: closing\"}");
		assert_int_equal(read_line(f, c, buf, sizeof(buf)), -1);
		assert_true(big >= 4 && big < 99);
		assert_int_equal(f->lines, 4 + big + 1); /* the one whose reply did not fit */
		assert_int_equal(lcx_ctl_stats(f->srv, &st), 0);
		assert_int_equal(st.overflow_closed, 1);
	}
	close(c);

	/* The same asked one request at a time. */
	c = client(f);
	f->lines = 0;
	for (int i = 0; i < 100; i++) {
		if (send(c, "big 60000\n", 10, MSG_NOSIGNAL) != 10)
			break;
		unit_steps(&f->u, 3);
	}
	assert_true(f->lines > 4 && f->lines < 100);
	expect_eof(f, c);
	close(c);
	c = client(f);
	send_str(c, "ping\n");
	expect_line(f, c, "{\"pong\":true}");
	close(c);
}

/* Past clients_max a new connection evicts the client idle longest, which
 * gets an error line first; the others go on. */
static void
test_too_many_clients(void **state)
{
	struct fix *f = *state;
	struct lcx_ctl_stats st;
	int c[4];

	start_conf(f, 0, 0, 2, LCX_CTL_ERROR_OK);
	c[0] = client(f);
	send_str(c[0], "ping\n");
	expect_line(f, c[0], "{\"pong\":true}");
	unit_steps(&f->u, 5);
	c[1] = client(f);
	send_str(c[1], "ping\n");
	expect_line(f, c[1], "{\"pong\":true}");
	unit_steps(&f->u, 5);
	send_str(c[0], "ping\n"); /* c[0] is active again: c[1] is idle longest now */
	expect_line(f, c[0], "{\"pong\":true}");
	unit_steps(&f->u, 5);
	c[2] = client(f);
	send_str(c[2], "ping\n");
	expect_line(f, c[2], "{\"pong\":true}");
	expect_line(f, c[1], "{\"ok\":false,\"error\":\"closed to make room for a new client: "
			     "at most 2 clients, this one idle longest\"}");
	expect_eof(f, c[1]);
	close(c[1]);
	send_str(c[0], "ping\n");
	expect_line(f, c[0], "{\"pong\":true}");
	/* A burst of new ones, each sending at once: each gets its first turn. */
	c[1] = client(f);
	c[3] = client(f);
	send_str(c[1], "ping\n");
	send_str(c[3], "ping\n");
	expect_line(f, c[1], "{\"pong\":true}");
	expect_line(f, c[3], "{\"pong\":true}");
	assert_int_equal(lcx_ctl_stats(f->srv, &st), 0);
	assert_int_equal(st.evicted, 3);
	assert_int_equal(st.accepted, 5);
	assert_int_equal(st.refused_full, 0);
	assert_int_equal(st.clients, 2);
	for (int i = 0; i < 4; i++)
		close(c[i]);
}

/* LCX_CTL_NOTIFY: sent() once the reply went out. */
static void
test_notify(void **state)
{
	struct fix *f = *state;
	char buf[70000];
	int c;

	start(f);
	c = client(f);
	send_str(c, "notify\n");
	expect_line(f, c, "{\"ok\":true}");
	assert_int_equal(f->sent, 1);
	/* Behind a reply the socket does not take: only once it is read. */
	send_str(c, "big 600000\nnotify\n");
	unit_steps(&f->u, 20);
	assert_int_equal(f->sent, 1);
	assert_int_equal(read_line(f, c, buf, sizeof(buf)), 600000);
	expect_line(f, c, "{\"ok\":true}");
	unit_steps(&f->u, 5);
	assert_int_equal(f->sent, 2);
	close(c);
}

/*
 * Destroy with clients connected, at every point of their life: in the
 * backlog, with half a line read, with replies waiting, with their task (and
 * the listener's) queued by a react. Every client sees the end; nothing is
 * left on the run queue and nothing leaks (ASan).
 */
static void
test_destroy_with_clients(void **state)
{
	struct fix *f = *state;

	for (int k = 0; k < 16; k++) {
		int c[5];

		start(f);
		for (int i = 0; i < 4; i++)
			c[i] = client(f);
		send_str(c[0], "echo half a li");
		send_str(c[1], "big 500000\n");
		send_str(c[2], "ping\n");
		unit_steps(&f->u, k / 2);
		c[4] = -1;
		if (k % 2 == 1) {
			/* Events that the next react turns into queued tasks. */
			send_str(c[0], "ne\n");
			send_str(c[3], "ping\n");
			c[4] = client(f);
			unit_step(&f->u);
		}
		lcx_ctl_destroy(f->srv);
		f->srv = NULL;
		assert_false(path_exists(f->path));
		for (int i = 0; i < 5; i++) {
			if (c[i] < 0)
				continue;
			expect_eof(f, c[i]);
			close(c[i]);
		}
		unit_steps(&f->u, 3); /* a task left queued would run on freed memory */
	}
}

/* Destroy after the context stopped (its sockets are closed by then). */
static void
test_destroy_after_stop(void **state)
{
	struct fix *f = *state;
	int c[2];

	start(f);
	c[0] = client(f);
	c[1] = client(f);
	send_str(c[0], "ping\n");
	expect_line(f, c[0], "{\"pong\":true}");
	send_str(c[1], "big 500000\n");
	unit_steps(&f->u, 5);
	assert_int_equal(lcx_context_stop(f->u.ctx), 0);
	assert_true(path_exists(f->path)); /* the path is the server's to remove */
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	assert_false(path_exists(f->path));
	for (int i = 0; i < 2; i++) {
		expect_eof(f, c[i]);
		close(c[i]);
	}
}

/* A handler may destroy its own server: it goes when the callback returns. */
static void
test_destroy_from_handler(void **state)
{
	struct fix *f = *state;
	int c, d;

	start(f);
	c = client(f);
	d = client(f);
	send_str(d, "ping\n");
	expect_line(f, d, "{\"pong\":true}");
	send_str(c, "echo x\n");
	expect_line(f, c, "x");
	send_str(c, "destroy\nping\n");
	expect_eof(f, c);
	expect_eof(f, d);
	assert_null(f->srv);
	assert_false(path_exists(f->path));
	close(c);
	close(d);
}

/* Garbage (binary, NUL bytes, long lines) from several clients: every reply
 * line is an error object, and the server lives on. */
static void
test_garbage(void **state)
{
	struct fix *f = *state;
	unsigned int seed = 7;
	int c[5];

	start_conf(f, 512, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		char blob[6000];

		c[i] = client(f);
		for (size_t j = 0; j < sizeof(blob); j++)
			blob[j] = (char)(rand_r(&seed) & 0xff);
		assert_int_equal(send(c[i], blob, sizeof(blob), MSG_NOSIGNAL), sizeof(blob));
		assert_int_equal(send(c[i], "\n", 1, MSG_NOSIGNAL), 1);
		assert_int_equal(shutdown(c[i], SHUT_WR), 0);
	}
	for (int i = 0; i < 5; i++) {
		char buf[1024];
		ssize_t n;

		while ((n = read_line(f, c[i], buf, sizeof(buf))) >= 0) {
			if (n == 0)
				continue;
			assert_true(strncmp(buf, "{\"error\":\"", 10) == 0 ||
				    strcmp(buf, "{\"pong\":true}") == 0);
		}
		close(c[i]);
	}
	c[0] = client(f);
	send_str(c[0], "ping\n");
	expect_line(f, c[0], "{\"pong\":true}");
	close(c[0]);
}

/* The path: a stale socket is replaced, a live one or another file is not;
 * bad arguments are refused. */
static void
test_path_and_arguments(void **state)
{
	struct fix *f = *state;
	struct lcx_ctl *other = NULL;
	struct lcx_ctl_conf conf = { .path = f->path, .handle = handle, .arg = f };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char longpath[200];
	int fd;

	/* A socket file with nobody behind it. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	start(f);
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &other), -EADDRINUSE);
	assert_null(other);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	assert_false(path_exists(f->path));

	/* A regular file is not ours to replace. */
	fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &other), -EEXIST);
	assert_true(path_exists(f->path));
	unlink(f->path);

	/* Destroy leaves alone a path that now names something else. */
	start(f);
	unlink(f->path);
	fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	assert_true(path_exists(f->path));
	unlink(f->path);

	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	conf.path = longpath;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &other), -ENAMETOOLONG);
	conf.path = "";
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &other), -EINVAL);
	conf.path = f->path;
	conf.handle = NULL;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &other), -EINVAL);
	conf.handle = handle;
	conf.flags = 0x80;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &other), -EINVAL);
	conf.flags = 0;
	conf.line_max = (1u << 20) + 1;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &other), -EINVAL);
	conf.line_max = 0;
	assert_int_equal(lcx_ctl_create(NULL, &conf, &other), -EINVAL);
	assert_int_equal(lcx_ctl_create(f->u.ctx, NULL, &other), -EINVAL);
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, NULL), -EINVAL);
	assert_false(path_exists(f->path));
	assert_int_equal(lcx_ctl_reply(NULL, "x", 1), -EINVAL);
	assert_int_equal(lcx_ctl_reply_error(NULL, "x"), -EINVAL);
	lcx_ctl_destroy(NULL);
}

/*
 * Round robin: a client that pipelined 2000 requests does not hold back
 * another one's single request; each turn takes one line.
 */
static void
test_fair_turns(void **state)
{
	struct fix *f = *state;
	static char burst[2000 * 2 + 1];
	char buf[16];
	int a, b, got_b = 0, got_a = 0;

	start(f);
	a = client(f);
	b = client(f);
	for (int i = 0; i < 2000; i++)
		memcpy(burst + 2 * i, "a\n", 2);
	burst[sizeof(burst) - 1] = '\0';
	send_str(a, burst);
	unit_step(&f->u);
	send_str(b, "b\n");
	for (int i = 0; i < PATIENCE && !got_b; i++) {
		unit_step(&f->u);
		while (recv(b, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got_b = 1;
	}
	assert_true(got_b);
	/* Before b's turn a had at most a few rounds of the run queue (64 tasks each). */
	assert_true(f->b_seen);
	assert_true(f->a_before_b < 4 * LCX_TASKS_PER_ITER);
	/* a gets all its replies, in order. */
	while (got_a < 2000) {
		ssize_t n = read_line(f, a, buf, sizeof(buf));

		assert_int_equal(n, 1);
		assert_string_equal(buf, "a");
		got_a++;
	}
	close(a);
	close(b);
}

/* A client without a byte either way for idle_ns gets an error line and is
 * closed, not before; one that keeps talking stays. */
static void
test_idle_timeout(void **state)
{
	struct fix *f = *state;
	struct lcx_ctl_conf conf = {
		.path = f->path, .handle = handle, .arg = f, .idle_ns = 50 * MS,
		.flags = LCX_CTL_ERROR_OK,
	};
	struct lcx_ctl_stats st;
	char buf[256];
	uint64_t t0, t1 = 0;
	int idle, busy;

	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	idle = client(f);
	busy = client(f);
	send_str(idle, "ping\n");
	expect_line(f, idle, "{\"pong\":true}");
	t0 = lcx_context_now(f->u.ctx);
	for (int i = 0; i < 100; i++) {
		ssize_t n = recv(idle, buf, sizeof(buf) - 1, MSG_DONTWAIT);

		if (n > 0) {
			buf[n] = '\0';
			t1 = lcx_context_now(f->u.ctx);
			break;
		}
		if (i % 10 == 0) {
			send_str(busy, "ping\n");
			expect_line(f, busy, "{\"pong\":true}");
		}
		unit_step(&f->u);
	}
	assert_true(t1 != 0);
	assert_string_equal(buf, "{\"ok\":false,\"error\":\"idle for 0.050 s: closing\"}\n");
	assert_true(t1 - t0 >= 50 * MS);
	assert_true(t1 - t0 <= 50 * MS + 4 * THROTTLE);
	expect_eof(f, idle);
	close(idle);
	send_str(busy, "ping\n");
	expect_line(f, busy, "{\"pong\":true}");
	assert_int_equal(lcx_ctl_stats(f->srv, &st), 0);
	assert_int_equal(st.idle_closed, 1);
	assert_int_equal(st.clients, 1);
	close(busy);
	unit_steps(&f->u, 5);
	assert_int_equal(lcx_ctl_stats(f->srv, &st), 0);
	assert_int_equal(st.clients, 0);
}

/* A client closed before its notify reply went out: sent() still comes (the
 * program's "stop" must not depend on the client reading its reply). */
static void
test_notify_client_gone(void **state)
{
	struct fix *f = *state;
	int c;

	start(f);
	c = client(f);
	send_str(c, "big 600000\nnotify\n");
	unit_steps(&f->u, 5);
	assert_int_equal(f->sent, 0);
	close(c);
	unit_steps(&f->u, 10);
	assert_int_equal(f->sent, 1);
}

/* The socket's mode is conf.mode whatever the umask; the group goes with LCX_CTL_GROUP. */
static void
test_socket_mode(void **state)
{
	struct fix *f = *state;
	struct lcx_ctl_conf conf = { .path = f->path, .handle = handle, .arg = f };
	mode_t old = umask(0);
	struct stat st;

	start(f);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;

	conf.flags = LCX_CTL_GROUP;
	conf.gid = 65534;
	if (geteuid() == 0) {
		assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
		assert_int_equal(lstat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0660);
		assert_int_equal(st.st_gid, 65534);
		lcx_ctl_destroy(f->srv);
		f->srv = NULL;
	}
	conf.flags = 0;
	conf.mode = 0666;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	conf.mode = 0644; /* without write for the group is fine; without 0600 is not */
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	conf.mode = 0400;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), -EINVAL);
	conf.mode = 01600;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), -EINVAL);
	conf.mode = 0;
	conf.idle_ns = 1000;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), -EINVAL);
	umask(old);
	/* No private directory is left beside the path. */
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 0", f->dir);
		assert_int_equal(system(cmd), 0);
	}
}

/*
 * Connect as another user (a child that setuid()s to nobody): with mode
 * 0600 the kernel refuses it; with 0666 the server does, with one error
 * line, counted; with the peer's group as the control group it may talk.
 */
static int
connect_as_nobody(struct fix *f, const char *req, char *reply, size_t size, gid_t extra)
{
	int pfd[2];
	pid_t pid;
	int status;
	ssize_t n;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct timeval tv = { .tv_sec = 5 };
		char buf[512];
		int fd;

		close(pfd[0]);
		if (setgroups(extra != 0 ? 1 : 0, &extra) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(3);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		strcpy(sa.sun_path, f->path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(errno == EACCES ? 2 : 4);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
			_exit(5);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0 && write(pfd[1], buf, (size_t)n) != n)
			_exit(6);
		_exit(n > 0 ? 0 : 7);
	}
	close(pfd[1]);
	for (int i = 0; i < 5000; i++) {
		unit_step(&f->u);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	n = read(pfd[0], reply, size - 1);
	reply[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_peer_credentials(void **state)
{
	struct fix *f = *state;
	struct lcx_ctl_conf conf = {
		.path = f->path, .handle = handle, .arg = f, .flags = LCX_CTL_ERROR_OK,
	};
	struct lcx_ctl_stats st;
	char reply[512];
	mode_t old;

	if (geteuid() != 0) {
		print_message("not root: cannot connect as another user\n");
		skip();
	}
	assert_int_equal(chmod(f->dir, 0755), 0); /* let nobody reach the path */
	old = umask(0);
	/* The default mode: the kernel refuses nobody at connect (EACCES). */
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	umask(old);
	assert_int_equal(connect_as_nobody(f, "ping\n", reply, sizeof(reply), 0), 2);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	/* A wide mode: the server refuses it, with one error line; the request is not handled. */
	conf.mode = 0666;
	f->lines = 0;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	assert_int_equal(connect_as_nobody(f, "ping\n", reply, sizeof(reply), 0), 0);
	assert_string_equal(reply, "{\"ok\":false,\"error\":\"not allowed: uid 65534 is not "
				   "root, not the server's uid 0\"}\n");
	assert_int_equal(f->lines, 0);
	assert_int_equal(lcx_ctl_stats(f->srv, &st), 0);
	assert_int_equal(st.refused_peer, 1);
	assert_int_equal(st.accepted, 0);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	/* nobody's group as the control group: it may talk. */
	conf.mode = 0;
	conf.flags |= LCX_CTL_GROUP;
	conf.gid = 65534;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	assert_int_equal(connect_as_nobody(f, "ping\n", reply, sizeof(reply), 0), 0);
	assert_string_equal(reply, "{\"pong\":true}\n");
	assert_int_equal(lcx_ctl_stats(f->srv, &st), 0);
	assert_int_equal(st.refused_peer, 0);
	assert_int_equal(st.accepted, 1);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	/* A supplementary group (SO_PEERGROUPS) counts; another group does not. */
	conf.mode = 0666;
	conf.gid = 4242;
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &f->srv), 0);
	assert_int_equal(connect_as_nobody(f, "ping\n", reply, sizeof(reply), 4242), 0);
	assert_string_equal(reply, "{\"pong\":true}\n");
	assert_int_equal(connect_as_nobody(f, "ping\n", reply, sizeof(reply), 4243), 0);
	assert_string_equal(reply, "{\"ok\":false,\"error\":\"not allowed: uid 65534 is not "
				   "root, not the server's uid 0, not in the control group\"}\n");
}

/* Plant something at p: 'f' a regular file, 'l' a symlink to target. */
static void
plant(const char *p, char kind, const char *target)
{
	if (kind == 'f') {
		int fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "keep", 4), 4);
		close(fd);
	} else {
		assert_int_equal(symlink(target, p), 0);
	}
}

static void
expect_planted(const char *p, char kind, const char *target)
{
	struct stat st;
	char buf[256];
	ssize_t n;

	assert_int_equal(lstat(p, &st), 0);
	if (kind == 'f') {
		int fd = open(p, O_RDONLY | O_CLOEXEC);

		assert_true(S_ISREG(st.st_mode));
		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), 4);
		assert_memory_equal(buf, "keep", 4);
		close(fd);
	} else {
		assert_true(S_ISLNK(st.st_mode));
		n = readlink(p, buf, sizeof(buf) - 1);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_string_equal(buf, target);
	}
}

/*
 * Nothing but our own stale socket is ever removed or followed: a file, a
 * symlink (to a file, to a stale socket of ours, dangling), another user's
 * stale socket are left as they are with a clear error; names beside the
 * path (PATH.<pid>, which the server once used) are not touched.
 */
static void
test_path_planted(void **state)
{
	struct fix *f = *state;
	struct lcx_ctl *srv = NULL;
	struct lcx_ctl_conf conf = { .path = f->path, .handle = handle, .arg = f };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char target[128], side[128], stale[128];
	int fd;

	snprintf(target, sizeof(target), "%s/target", f->dir);
	snprintf(stale, sizeof(stale), "%s/stale.sock", f->dir);
	plant(target, 'f', NULL);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, stale);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);

	plant(f->path, 'f', NULL);
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &srv), -EEXIST);
	expect_planted(f->path, 'f', NULL);
	unlink(f->path);
	plant(f->path, 'l', target);
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &srv), -EEXIST);
	expect_planted(f->path, 'l', target);
	expect_planted(target, 'f', NULL);
	unlink(f->path);
	plant(f->path, 'l', stale);
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &srv), -EEXIST);
	expect_planted(f->path, 'l', stale);
	unlink(f->path);
	plant(f->path, 'l', "/nonexistent/dangling");
	assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &srv), -EEXIST);
	expect_planted(f->path, 'l', "/nonexistent/dangling");
	unlink(f->path);
	assert_null(srv);
	if (geteuid() == 0) {
		/* Another user's stale socket. */
		assert_int_equal(rename(stale, f->path), 0);
		assert_int_equal(lchown(f->path, 65534, 65534), 0);
		assert_int_equal(lcx_ctl_create(f->u.ctx, &conf, &srv), -EACCES);
		assert_true(path_exists(f->path));
		unlink(f->path);
	}

	/* Beside the path: a file and a symlink at PATH.<pid>, PATH.<pid>.x. */
	snprintf(side, sizeof(side), "%s.%d", f->path, (int)getpid());
	plant(side, 'f', NULL);
	start(f);
	expect_planted(side, 'f', NULL);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	unlink(side);
	plant(side, 'l', target);
	start(f);
	expect_planted(side, 'l', target);
	expect_planted(target, 'f', NULL);
	lcx_ctl_destroy(f->srv);
	f->srv = NULL;
	unlink(side);
	unlink(target);
	unlink(stale);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_gone_before_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_after_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_from_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_and_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fair_turns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_client_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_planted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
