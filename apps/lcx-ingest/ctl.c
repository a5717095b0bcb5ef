/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: an lcx control server (lcx/ctl.h) on the control
 * context. It does the socket work (access, framing, fair turns, idle and
 * evicted clients, a client that does not read its replies); this file
 * answers each request line with one JSON line (ctl_proto.h) and holds the
 * --control-* options. The protocol is lcx-pmd's too (doc/control.md):
 * every reply has "ok"; errors are {"ok":false,"error":...}; a line longer
 * than INGEST_CTL_LINE_MAX gets an error, the rest of it is dropped.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <lcx/lcx.h>

#include "app.h"
#include "ctl_proto.h"
#include "rotate.h"

#define CLIENTS_MAX 16
/* Replies waiting for a client that does not read; up to 1000 flows are ~0.5 MB. */
#define OUT_MAX (4u << 20)

static struct lcx_ctl *ctl;
/* --control-mode, --control-group, --control-idle */
static uint32_t ctl_mode;
static bool ctl_group;
static uint32_t ctl_gid;
static uint64_t ctl_idle_ns;

static const char help_reply[] =
	"{\"ok\":true,\"commands\":["
	"{\"cmd\":\"help\",\"keys\":{},\"reply\":\"this list\"},"
	"{\"cmd\":\"stats\",\"keys\":{},\"reply\":\"uptime_s, the totals as --json writes them "
	"under stats, the control socket's own counters under control\"},"
	"{\"cmd\":\"flows\",\"keys\":{\"n\":\"integer 1..1000, default 10\"},\"reply\":\"flows: "
	"the top n flows by rate\"},"
	"{\"cmd\":\"rotate\",\"keys\":{},\"reply\":\"rotate:requested; new capture files at "
	"once\"},"
	"{\"cmd\":\"stop\",\"keys\":{},\"reply\":\"stopping:true, then the run ends as on "
	"SIGTERM\"}]}\n";

int
ingest_ctl_option(const char *name, const char *arg, const char **why)
{
	char *end;

	if (strcmp(name, "control-mode") == 0) {
		unsigned long m;

		errno = 0;
		m = strtoul(arg, &end, 8);
		if (*arg < '0' || *arg > '7' || *end != '\0' || errno != 0 || m > 0777 ||
		    (m & 0600) != 0600) {
			*why = "octal, 0600 to 0777, keeping 0600 (owner read, write)";
			return -EINVAL;
		}
		ctl_mode = (uint32_t)m;
	} else if (strcmp(name, "control-group") == 0) {
		struct group *g = getgrnam(arg);
		unsigned long v;

		if (g != NULL) {
			ctl_gid = (uint32_t)g->gr_gid;
		} else {
			errno = 0;
			v = strtoul(arg, &end, 10);
			if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0 ||
			    v >= UINT32_MAX) {
				*why = "no such group";
				return -EINVAL;
			}
			ctl_gid = (uint32_t)v;
		}
		ctl_group = true;
	} else if (strcmp(name, "control-idle") == 0) {
		uint64_t ns;

		if (ingest_parse_duration(arg, &ns) < 0 || (ns != 0 && ns < 1000000)) {
			*why = "a duration of at least 1ms, or 0 for never";
			return -EINVAL;
		}
		ctl_idle_ns = ns == 0 ? LCX_CTL_IDLE_NEVER : ns;
	} else {
		*why = "unknown option";
		return -EINVAL;
	}
	return 0;
}

static void
control_json(FILE *f)
{
	struct lcx_ctl_stats st;

	lcx_ctl_stats(ctl, &st);
	fprintf(f, "{\"clients\":%u,\"accepted\":%" PRIu64 ",\"requests\":%" PRIu64
		   ",\"refused_peer\":%" PRIu64 ",\"refused_full\":%" PRIu64
		   ",\"evicted\":%" PRIu64 ",\"idle_closed\":%" PRIu64
		   ",\"overflow_closed\":%" PRIu64 ",\"long_lines\":%" PRIu64 "}",
		st.clients, st.accepted, st.requests, st.refused_peer, st.refused_full,
		st.evicted, st.idle_closed, st.overflow_closed, st.long_lines);
}

static int
handle_line(void *arg, const char *line, size_t len, struct lcx_ctl_client *c)
{
	struct ingest_app *app = arg;
	struct ingest_ctl_req req;
	struct ingest_totals t;
	const char *err = NULL;
	char *mem = NULL;
	size_t size = 0;
	FILE *f;

	if (len == 0)
		return 0; /* a blank line is not a request */
	if (ingest_ctl_parse(line, (uint32_t)len, &req, &err) < 0) {
		lcx_ctl_reply_error(c, err);
		return 0;
	}
	if (req.cmd == INGEST_CTL_HELP) {
		lcx_ctl_reply(c, help_reply, sizeof(help_reply) - 1);
		return 0;
	}
	if (req.cmd == INGEST_CTL_ROTATE && app->sink == NULL) {
		lcx_ctl_reply_error(c, "no sink to rotate (no --capture or --payload-dir)");
		return 0;
	}
	f = open_memstream(&mem, &size);
	if (f == NULL) {
		lcx_ctl_reply_error(c, "out of memory");
		return 0;
	}
	switch (req.cmd) {
	case INGEST_CTL_STATS:
		ingest_app_totals(app, &t);
		fprintf(f, "{\"ok\":true,\"uptime_s\":%.3f,\"control\":",
			(double)(lcx_tsc_ns() - app->start_ns) / 1e9);
		control_json(f);
		fputs(",\"stats\":", f);
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
		fputs("{\"ok\":true,\"stopping\":true}\n", f);
		break;
	case INGEST_CTL_HELP:
		break;
	}
	fclose(f);
	lcx_ctl_reply(c, mem, size);
	free(mem);
	/* Stop once the reply went out, or its client went first: control_sent(). */
	return req.cmd == INGEST_CTL_STOP ? LCX_CTL_NOTIFY : 0;
}

/* The reply to a "stop" went out (or its client went first). */
static void
control_sent(void *arg)
{
	ingest_app_request_stop(arg, -1);
}

int
ingest_ctl_start(struct ingest_app *app, const char *path)
{
	const struct lcx_ctl_conf conf = {
		.path = path,
		.handle = handle_line,
		.sent = control_sent,
		.arg = app,
		.line_max = INGEST_CTL_LINE_MAX,
		.out_max = OUT_MAX,
		.clients_max = CLIENTS_MAX,
		.flags = LCX_CTL_ERROR_OK | (ctl_group ? LCX_CTL_GROUP : 0),
		.mode = ctl_mode,
		.gid = ctl_gid,
		.idle_ns = ctl_idle_ns,
	};
	int ret = lcx_ctl_create(lcx_context_current(), &conf, &ctl);

	if (ret == -ENAMETOOLONG)
		fprintf(stderr, "lcx-ingest: --control: path longer than %zu bytes: %s\n",
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1, path);
	else if (ret == -EADDRINUSE)
		fprintf(stderr, "lcx-ingest: --control: %s is in use by another process\n", path);
	else if (ret == -EEXIST)
		fprintf(stderr, "lcx-ingest: --control: %s exists and is not a socket (a file, "
				"directory or symlink): left as it is\n", path);
	else if (ret == -EACCES)
		fprintf(stderr, "lcx-ingest: --control: %s is a socket of another user: left "
				"as it is\n", path);
	else if (ret < 0)
		fprintf(stderr, "lcx-ingest: --control: cannot listen on %s: %s\n", path,
			strerror(-ret));
	return ret;
}

void
ingest_ctl_stop(struct ingest_app *app)
{
	struct lcx_ctl_stats st;

	(void)app;
	/* The control loop has returned: say what the socket refused or closed,
	 * close the clients, remove the path. */
	if (ctl != NULL && lcx_ctl_stats(ctl, &st) == 0 &&
	    (st.refused_peer | st.refused_full | st.evicted | st.idle_closed |
	     st.overflow_closed) != 0)
		fprintf(stderr,
			"lcx-ingest: control socket: %" PRIu64 " clients served; refused %" PRIu64
			" not allowed, %" PRIu64 " over the limit; closed %" PRIu64
			" evicted, %" PRIu64 " idle, %" PRIu64 " not reading their replies\n",
			st.accepted, st.refused_peer, st.refused_full, st.evicted,
			st.idle_closed, st.overflow_closed);
	lcx_ctl_destroy(ctl);
	ctl = NULL;
}
