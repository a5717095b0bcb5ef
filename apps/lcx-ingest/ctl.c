/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: an lcx control server (lcx/ctl.h) on the control
 * context. It does the socket work (framing, buffering, too many clients);
 * this file answers each request line with one JSON line (ctl_proto.h).
 * Errors are {"ok":false,"error":...}; a client that sends a line longer
 * than INGEST_CTL_LINE_MAX (newline included) gets an error and is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcx/lcx.h>

#include "app.h"
#include "ctl_proto.h"

#define CLIENTS_MAX 16
/* Replies waiting for a client that does not read; up to 1000 flows are ~0.5 MB. */
#define OUT_MAX (4u << 20)

static struct lcx_ctl *ctl;

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
	lcx_ctl_reply(c, mem, size);
	free(mem);
	if (req.cmd == INGEST_CTL_STOP)
		ingest_app_request_stop(app, -1);
	return 0;
}

int
ingest_ctl_start(struct ingest_app *app, const char *path)
{
	const struct lcx_ctl_conf conf = {
		.path = path,
		.handle = handle_line,
		.arg = app,
		.line_max = INGEST_CTL_LINE_MAX - 1,
		.out_max = OUT_MAX,
		.clients_max = CLIENTS_MAX,
		.flags = LCX_CTL_LONG_LINE_CLOSE | LCX_CTL_ERROR_OK,
	};
	int ret = lcx_ctl_create(lcx_context_current(), &conf, &ctl);

	if (ret == -ENAMETOOLONG)
		fprintf(stderr, "lcx-ingest: --control path too long: %s\n", path);
	else if (ret == -EADDRINUSE)
		fprintf(stderr, "lcx-ingest: %s is in use by another process\n", path);
	else if (ret < 0)
		fprintf(stderr, "lcx-ingest: cannot listen on %s: %s\n", path, strerror(-ret));
	return ret;
}

void
ingest_ctl_stop(struct ingest_app *app)
{
	(void)app;
	/* The control loop has returned: close the clients, remove the path. */
	lcx_ctl_destroy(ctl);
	ctl = NULL;
}
