/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ctl: the client of the programs' control sockets (doc/control.md).
 *
 *   lcx-ctl [--json] [--timeout=DUR] SOCKET COMMAND [KEY=VALUE ...]
 *
 * Sends {"cmd":COMMAND, KEY:VALUE, ...} as one line, reads the one reply line
 * and prints it: as tables by default (the reply's scalars as "key value"
 * lines, each array of objects as a table), or the reply line itself with
 * --json. It knows no command: whatever the server implements (help lists
 * them) can be sent, so one client serves lcx-pmd, lcx-ingest and lcx-bench.
 * A VALUE that is a JSON number, true, false, null, a quoted string, an array
 * or an object is sent as that value; any other text as a string.
 *
 * Exit: 0 the server said ok; 1 the server's error reply (on stderr);
 * 2 usage, or the socket cannot be reached; 3 no reply in time, the
 * connection closed before a reply, or a reply that is not a JSON object.
 * No EAL, no liblcx: only libc and jansson.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <lcx/version.h>

#include "args.h"

#define PROG "lcx-ctl"
#define EXIT_SERVER 1
#define EXIT_USAGE 2 /* also: the socket cannot be reached */
#define EXIT_REPLY 3
/* The longest reply read (lcx-ingest's flows of 1000 are ~0.5 MB). */
#define REPLY_MAX (64u << 20)
#define DEFAULT_TIMEOUT_NS 5000000000ull

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--json] [--timeout=DUR] SOCKET COMMAND [KEY=VALUE ...]\n"
		"Send one request to the control socket of lcx-pmd, lcx-ingest or lcx-bench\n"
		"(their --control=PATH) and print the reply.\n"
		"\n"
		"  SOCKET           the path given to --control\n"
		"  COMMAND          what the server implements: help lists them (stats, stop;\n"
		"                   lcx-pmd: set; lcx-ingest: flows, rotate)\n"
		"  KEY=VALUE        a member of the request: set throttle_us=200, flows n=5.\n"
		"                   A JSON number, true, false, null, \"string\", [..] or {..}\n"
		"                   is sent as that value, any other text as a string\n"
		"  --json           print the reply line as the server sent it (one JSON\n"
		"                   object) instead of tables\n"
		"  --timeout=DUR    wait at most DUR for the reply (default 5s; a number alone\n"
		"                   is seconds; ns, us, ms, s, m, h)\n"
		"  --help, --version\n"
		"\n"
		"Exit status: 0 ok; 1 the server's error reply (on stderr); 2 usage, or the\n"
		"socket cannot be reached; 3 no reply in time or not a JSON reply.\n"
		"See lcx-ctl(1) and doc/control.md.\n");
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* --- the request --- */

static json_t *
arg_value(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);

	/* A bare word (stats, abc) is not JSON: it is sent as a string. */
	return v != NULL ? v : json_string(text);
}

static char *
build_request(const char *cmd, int nargs, char **args)
{
	json_t *req = json_object();
	char *line;

	if (req == NULL || json_object_set_new(req, "cmd", json_string(cmd)) < 0)
		die(EXIT_USAGE, "out of memory");
	for (int i = 0; i < nargs; i++) {
		const char *eq = strchr(args[i], '=');
		char key[256];
		json_t *v;

		if (eq == NULL || eq == args[i] || (size_t)(eq - args[i]) >= sizeof(key))
			die(EXIT_USAGE, "'%s': arguments are KEY=VALUE (see --help)", args[i]);
		memcpy(key, args[i], (size_t)(eq - args[i]));
		key[eq - args[i]] = '\0';
		if (json_object_get(req, key) != NULL)
			die(EXIT_USAGE, "'%s': %s given twice", args[i], key);
		v = arg_value(eq + 1);
		if (v == NULL)
			die(EXIT_USAGE, "'%s': not valid UTF-8", args[i]);
		if (json_object_set_new(req, key, v) < 0)
			die(EXIT_USAGE, "'%s': not valid UTF-8", args[i]);
	}
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (line == NULL || (line = realloc(line, strlen(line) + 2)) == NULL)
		die(EXIT_USAGE, "out of memory");
	strcat(line, "\n"); /* one request, one line */
	return line;
}

/* --- the exchange --- */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void);

/*
 * Connect, non-blocking: a server whose backlog is full answers EAGAIN (a
 * unix socket does not queue the attempt), retried until the deadline.
 */
static int
connect_to(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die(EXIT_USAGE, "%s: path longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die(EXIT_USAGE, "socket: %s", strerror(errno));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		if ((err == EAGAIN || err == EINTR) && now_ns() < deadline) {
			const struct timespec ts = { .tv_nsec = 10000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (err == EAGAIN)
			die(EXIT_REPLY, "%s: the server takes no connection (backlog full) "
					"within --timeout", path);
		die(EXIT_USAGE, "cannot connect to %s: %s%s", path, strerror(err),
		    err == ENOENT || err == ECONNREFUSED
			    ? " (is the program running with --control=SOCKET?)"
			    : err == EACCES ? " (the socket's mode or --control-group)" : "");
	}
	return fd;
}

/* Wait for fd to be ready for events until deadline; exits with EXIT_REPLY at the deadline. */
static void
wait_fd(int fd, short events, uint64_t deadline, const char *what)
{
	for (;;) {
		uint64_t now = now_ns();
		struct pollfd p = { .fd = fd, .events = events };
		int n;

		if (now >= deadline)
			die(EXIT_REPLY, "no reply in time (%s; --timeout)", what);
		n = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
		if (n > 0)
			return;
		if (n < 0 && errno != EINTR)
			die(EXIT_REPLY, "poll: %s", strerror(errno));
	}
}

static void
send_line(int fd, const char *line, uint64_t deadline)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t n;

		wait_fd(fd, POLLOUT, deadline, "sending the request");
		n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		/* The server may have refused us with an error line: read it. */
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return;
		if (n < 0)
			die(EXIT_REPLY, "send: %s", strerror(errno));
		off += (size_t)n;
	}
}

/* The first line the server sends (without its newline), malloc()ed. */
static char *
read_line(int fd, uint64_t deadline, size_t *len_out)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		die(EXIT_REPLY, "out of memory");
	for (;;) {
		char *nl;
		ssize_t n;

		wait_fd(fd, POLLIN, deadline, "reading the reply");
		if (len == cap) {
			if (cap >= REPLY_MAX)
				die(EXIT_REPLY, "a reply longer than %u bytes", REPLY_MAX);
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				die(EXIT_REPLY, "out of memory");
		}
		n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			die(EXIT_REPLY, "no reply: %s", strerror(errno));
		if (n == 0)
			die(EXIT_REPLY, "the server closed the connection without a reply");
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl != NULL) {
			*nl = '\0';
			*len_out = (size_t)(nl - buf);
			return buf;
		}
	}
}

/* --- tables --- */

/* One column: its name and each row's cell. */
struct column {
	char *name;
	char **cells;
	bool numeric;
};

struct table {
	char *title;
	size_t nrows;
	struct column *cols;
	size_t ncols;
};

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		die(EXIT_REPLY, "out of memory");
	return d;
}

/* A scalar as text: integers whole, reals with at most 3 decimals, null as "-". */
static char *
cell(const json_t *v)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return xstrdup(buf);
	case JSON_REAL: {
		double d = json_real_value(v);
		char *e;

		snprintf(buf, sizeof(buf), fabs(d) >= 1e15 ? "%.6g" : "%.3f", d);
		if (strchr(buf, '.') != NULL && strchr(buf, 'e') == NULL) {
			e = buf + strlen(buf) - 1;
			while (*e == '0')
				*e-- = '\0';
			if (*e == '.')
				*e = '\0';
		}
		return xstrdup(buf);
	}
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return xstrdup("-");
	default: {
		/* An array of scalars (or anything left): compact JSON. */
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		return s != NULL ? s : xstrdup("?");
	}
	}
}

static bool
is_table(const json_t *v)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach (v, i, e)
		if (!json_is_object(e))
			return false;
	return true;
}

static struct column *
column_of(struct table *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c].name, name) == 0)
			return &t->cols[c];
	t->cols = realloc(t->cols, (t->ncols + 1) * sizeof(*t->cols));
	if (t->cols == NULL)
		die(EXIT_REPLY, "out of memory");
	t->cols[t->ncols] = (struct column){ .name = xstrdup(name), .numeric = true };
	t->cols[t->ncols].cells = calloc(t->nrows, sizeof(char *));
	if (t->cols[t->ncols].cells == NULL)
		die(EXIT_REPLY, "out of memory");
	return &t->cols[t->ncols++];
}

/* The scalars of one row (objects inside flattened as a.b) into row r of t. */
static void
row_cells(struct table *t, size_t r, const json_t *o, const char *prefix)
{
	const char *k;
	const json_t *v;

	json_object_foreach ((json_t *)o, k, v) {
		char name[512];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v)) {
			row_cells(t, r, v, name);
		} else {
			struct column *c = column_of(t, name);

			free(c->cells[r]);
			c->cells[r] = cell(v);
			c->numeric &= json_is_number(v) || json_is_null(v);
		}
	}
}

static void
table_print(const struct table *t)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));

	if (w == NULL)
		die(EXIT_REPLY, "out of memory");
	printf("\n%s:\n", t->title);
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->cols[c].name);
		for (size_t r = 0; r < t->nrows; r++)
			if (t->cols[c].cells[r] != NULL && strlen(t->cols[c].cells[r]) > w[c])
				w[c] = strlen(t->cols[c].cells[r]);
	}
	/* Numbers right-aligned, text left-aligned; no padding after the last column. */
	for (size_t c = 0; c < t->ncols; c++)
		printf("  %*s", t->cols[c].numeric ? (int)w[c] : c + 1 == t->ncols ? 0 : -(int)w[c],
		       t->cols[c].name);
	putchar('\n');
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cols[c].cells[r] != NULL ? t->cols[c].cells[r] : "";

			printf("  %*s", t->cols[c].numeric ? (int)w[c]
					: c + 1 == t->ncols ? 0 : -(int)w[c], s);
		}
		putchar('\n');
	}
	free(w);
}

static void
table_free(struct table *t)
{
	for (size_t c = 0; c < t->ncols; c++) {
		for (size_t r = 0; r < t->nrows; r++)
			free(t->cols[c].cells[r]);
		free(t->cols[c].cells);
		free(t->cols[c].name);
	}
	free(t->cols);
	free(t->title);
}

/* The pairs (key, value) of the scalars, and the tables, of the reply. */
struct render {
	char **keys, **vals;
	size_t n;
	struct table *tables;
	size_t ntables;
};

static void
collect(struct render *out, const json_t *o, const char *prefix)
{
	const char *k;
	const json_t *v;

	json_object_foreach ((json_t *)o, k, v) {
		char name[512];

		if (*prefix == '\0' && strcmp(k, "ok") == 0)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v)) {
			collect(out, v, name);
		} else if (is_table(v)) {
			struct table t = { .title = xstrdup(name), .nrows = json_array_size(v) };
			size_t i;
			const json_t *e;

			json_array_foreach (v, i, e)
				row_cells(&t, i, e, "");
			out->tables = realloc(out->tables, (out->ntables + 1) * sizeof(t));
			if (out->tables == NULL)
				die(EXIT_REPLY, "out of memory");
			out->tables[out->ntables++] = t;
		} else {
			out->keys = realloc(out->keys, (out->n + 1) * sizeof(char *));
			out->vals = realloc(out->vals, (out->n + 1) * sizeof(char *));
			if (out->keys == NULL || out->vals == NULL)
				die(EXIT_REPLY, "out of memory");
			out->keys[out->n] = xstrdup(name);
			out->vals[out->n++] = cell(v);
		}
	}
}

static void
print_human(const json_t *reply)
{
	struct render r = { 0 };
	size_t w = 0;

	collect(&r, reply, "");
	for (size_t i = 0; i < r.n; i++)
		if (strlen(r.keys[i]) > w)
			w = strlen(r.keys[i]);
	for (size_t i = 0; i < r.n; i++) {
		printf("%-*s  %s\n", (int)w, r.keys[i], r.vals[i]);
		free(r.keys[i]);
		free(r.vals[i]);
	}
	if (r.n == 0 && r.ntables == 0)
		puts("ok");
	for (size_t i = 0; i < r.ntables; i++) {
		table_print(&r.tables[i]);
		table_free(&r.tables[i]);
	}
	free(r.keys);
	free(r.vals);
	free(r.tables);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS;
	bool raw = false;
	char *req, *line;
	json_error_t e;
	json_t *reply, *ok;
	size_t len;
	int c, fd, status;

	opterr = 0;
	/* "+": options end at SOCKET, so that a COMMAND's arguments are never ours. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			raw = true;
			break;
		case 't':
			if (app_parse_duration(optarg, &timeout_ns) < 0 || timeout_ns == 0)
				die(EXIT_USAGE, "--timeout=%s: a duration > 0 (5, 500ms, 2s)",
				    optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s (jansson %s)\n", LCX_VERSION_STRING, JANSSON_VERSION);
			return 0;
		case ':':
			die(EXIT_USAGE, "%s needs a value (see --help)", argv[optind - 1]);
		default:
			die(EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argv[optind + 1][0] == '\0')
		die(EXIT_USAGE, "an empty COMMAND");
	req = build_request(argv[optind + 1], argc - optind - 2, argv + optind + 2);
	signal(SIGPIPE, SIG_IGN);
	uint64_t deadline = now_ns() + timeout_ns;

	fd = connect_to(argv[optind], deadline);

	send_line(fd, req, deadline);
	free(req);
	line = read_line(fd, deadline, &len);
	close(fd);
	reply = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e);
	if (reply == NULL || !json_is_object(reply) ||
	    !json_is_boolean(ok = json_object_get(reply, "ok")))
		die(EXIT_REPLY, "not a reply of the control protocol: %.200s", line);
	if (json_is_false(ok)) {
		const char *msg = json_string_value(json_object_get(reply, "error"));

		if (raw)
			fprintf(stderr, "%s\n", line);
		else
			fprintf(stderr, PROG ": %s: %s\n", argv[optind], msg != NULL ? msg : line);
		status = EXIT_SERVER;
	} else {
		if (raw)
			printf("%s\n", line);
		else
			print_human(reply);
		status = fflush(stdout) == 0 ? 0 : EXIT_REPLY;
	}
	json_decref(reply);
	free(line);
	return status;
}
