/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: an lcx control server (lcx/ctl.h) on the control
 * context. It does the socket work (access, framing, fair turns, idle and
 * evicted clients, a client that does not read its replies); this file
 * answers each request line with one JSON line (ctl_proto.h); the server's
 * options and messages are apps/common/ctlsrv.c's. The protocol is lcx-pmd's too (doc/control.md):
 * every reply has "ok"; errors are {"ok":false,"error":...}; a line longer
 * than INGEST_CTL_LINE_MAX gets an error, the rest of it is dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcx/lcx.h>

#include "app.h"
#include "ctl_proto.h"
#include "ctlsrv.h"
#include "jout.h"

#define CLIENTS_MAX 16
/* Replies waiting for a client that does not read; up to 1000 flows are ~0.5 MB. */
#define OUT_MAX (4u << 20)

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

static int
handle_line(void *arg, const char *line, size_t len, struct lcx_ctl_client *c)
{
	struct ingest_app *app = arg;
	struct ingest_ctl_req req;
	struct ingest_totals t;
	const char *err = NULL;
	json_t *r = NULL;

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
	switch (req.cmd) {
	case INGEST_CTL_STATS:
		ingest_app_totals(app, &t);
		r = json_pack("{s:b, s:f, s:o, s:o}", "ok", 1, "uptime_s",
			      app_jout_round((double)(lcx_tsc_ns() - app->start_ns) / 1e9, 3),
			      "control", app_ctlsrv_stats_jobj(), "stats", ingest_totals_jobj(&t));
		break;
	case INGEST_CTL_FLOWS:
		r = json_pack("{s:b, s:o}", "ok", 1, "flows", ingest_app_flows_jobj(app, req.n));
		break;
	case INGEST_CTL_ROTATE:
		ingest_sink_request_rotate(app->sink);
		r = json_pack("{s:b, s:s}", "ok", 1, "rotate", "requested");
		break;
	case INGEST_CTL_STOP:
		r = json_pack("{s:b, s:b}", "ok", 1, "stopping", 1);
		break;
	case INGEST_CTL_HELP:
		break;
	}
	app_ctlsrv_reply_json(c, r);
	/* Stop once the reply went out, or its client went first: control_sent(). */
	return req.cmd == INGEST_CTL_STOP ? LCX_CTL_NOTIFY : 0;
}

/* The reply to a "stop" went out (or its client went first). */
static void
control_sent(void *arg)
{
	struct ingest_app *app = arg;

	app_ctl_request_stop(&app->ctl, "control", 0);
}

int
ingest_ctl_start(struct ingest_app *app, const char *path)
{
	const struct app_ctlsrv_conf conf = {
		.prog = "lcx-ingest",
		.path = path,
		.handle = handle_line,
		.sent = control_sent,
		.arg = app,
		.line_max = INGEST_CTL_LINE_MAX,
		.out_max = OUT_MAX,
		.clients_max = CLIENTS_MAX,
	};

	return app_ctlsrv_start(lcx_context_current(), &conf);
}
