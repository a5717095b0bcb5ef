/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (--control=PATH): an lcx control server (lcx/ctl.h) on
 * the main lcore's context. The protocol is the one lcx-ingest speaks too
 * (doc/control.md): one JSON object per line in, one per line out, in order;
 * every reply has "ok"; errors are {"ok":false,"error":"..."}.
 *
 *   {"cmd":"help"}                  -> {"ok":true,"commands":[...]}
 *   {"cmd":"stats"}                 -> {"ok":true,"control":{..}, the summary as --json writes it}
 *   {"cmd":"set","throttle_us":N}   -> {"ok":true,"throttle_us":N}
 *   {"cmd":"stop"}                  -> {"ok":true,"stopping":true}, then the program stops
 *
 * Anything else (bad JSON, an unknown command or key, a bad value, a line
 * longer than CTL_LINE_MAX) gets an error and changes nothing; blank lines
 * are ignored. The server does the socket work (access, framing, fair turns,
 * idle and evicted clients, a client that does not read its replies), and
 * apps/common/ctlsrv.c its options and messages; this file answers requests.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcx/ctl.h>

#include "ctlsrv.h"

#include "jout.h"
#include "jreq.h"
#include "pmd.h"

#define CTL_LINE_MAX 4096
#define CTL_OUT_MAX (1u << 20)
#define CTL_CLIENTS_MAX 64
/* The most members a request may have (it uses two at most). */
#define CTL_MEMBERS_MAX 8

/* "set": the forwarding contexts' throttle (fwd.c's, given at start). */
static int (*set_throttle)(uint64_t throttle_us);

static const char help_reply[] =
	"{\"ok\":true,\"commands\":["
	"{\"cmd\":\"help\",\"keys\":{},\"reply\":\"this list\"},"
	"{\"cmd\":\"stats\",\"keys\":{},\"reply\":\"the summary so far, as --json writes it, "
	"and the control socket's own counters under control\"},"
	"{\"cmd\":\"set\",\"keys\":{\"throttle_us\":\"integer 0..1000000: every forwarding "
	"context's throttle, us\"},\"reply\":\"throttle_us\"},"
	"{\"cmd\":\"stop\",\"keys\":{},\"reply\":\"stopping:true, then the program stops as on "
	"SIGTERM\"}]}\n";

static void
reply_stats(struct lcx_ctl_client *c)
{
	struct pmd_snap *now = malloc(sizeof(*now));
	json_t *r, *sum;

	if (now == NULL) {
		lcx_ctl_reply_error(c, "out of memory");
		return;
	}
	pmd_snapshot(now);
	/* "ok" and "control" in front of the summary's members. */
	r = json_pack("{s:b, s:o}", "ok", 1, "control", app_ctlsrv_stats_jobj());
	sum = pmd_summary_jobj(&pmd.start, now, false);
	if (r != NULL && (sum == NULL || json_object_update(r, sum) < 0)) {
		json_decref(r);
		r = NULL;
	}
	json_decref(sum);
	free(now);
	app_ctlsrv_reply_json(c, r);
}

/* "set" takes "throttle_us"; the other commands no key but "cmd". */
static bool
key_ok(const char *cmd, const char *key)
{
	return strcmp(cmd, "set") == 0 && strcmp(key, "throttle_us") == 0;
}

/* One request line (no newline). */
static int
handle_line(void *arg, const char *line, size_t len, struct lcx_ctl_client *c)
{
	char err[APP_JREQ_ERR_MAX];
	const char *name;
	json_t *o;
	int r;

	(void)arg;
	r = app_jreq_command(line, len, CTL_MEMBERS_MAX, key_ok, &o, &name, err);
	if (r <= 0) {
		if (r < 0)
			lcx_ctl_reply_error(c, err);
		return 0;
	}
	if (strcmp(name, "help") == 0) {
		lcx_ctl_reply(c, help_reply, sizeof(help_reply) - 1);
	} else if (strcmp(name, "stats") == 0) {
		reply_stats(c);
	} else if (strcmp(name, "stop") == 0) {
		static const char ok[] = "{\"ok\":true,\"stopping\":true}\n";

		lcx_ctl_reply(c, ok, sizeof(ok) - 1);
		json_decref(o);
		/* Stop once the reply went out, or the client went first: control_sent(). */
		return LCX_CTL_NOTIFY;
	} else if (strcmp(name, "set") == 0) {
		const json_t *t = json_object_get(o, "throttle_us");
		uint64_t v;
		char buf[64];

		if (t == NULL) {
			lcx_ctl_reply_error(c, "\"set\" needs \"throttle_us\"");
			goto out;
		}
		if (app_jreq_uint(t, LCX_THROTTLE_MAX_NS / 1000, &v) < 0) {
			snprintf(buf, sizeof(buf), "bad value: throttle_us must be an integer "
						   "0..%llu", LCX_THROTTLE_MAX_NS / 1000);
			lcx_ctl_reply_error(c, buf);
			goto out;
		}
		if (set_throttle(v) < 0) {
			lcx_ctl_reply_error(c, "cannot set the throttle");
			goto out;
		}
		app_ctlsrv_reply_json(c, json_pack("{s:b, s:I}", "ok", 1, "throttle_us",
						   app_jout_u64(v)));
	} else {
		char msg[192];

		snprintf(msg, sizeof(msg), "unknown command \"%.40s\" (help, stats, set, stop)",
			 name);
		lcx_ctl_reply_error(c, msg);
	}
out:
	json_decref(o);
	return 0;
}

/* The reply to a "stop" went out (or its client went first). */
static void
control_sent(void *arg)
{
	(void)arg;
	app_ctl_request_stop(&pmd.ctl, "control", 0);
}

int
pmd_control_start(struct lcx_context *ctx, const char *path,
		  int (*set_throttle_fn)(uint64_t throttle_us))
{
	const struct app_ctlsrv_conf conf = {
		.prog = pmd_prog,
		.path = path,
		.handle = handle_line,
		.sent = control_sent,
		.line_max = CTL_LINE_MAX,
		.out_max = CTL_OUT_MAX,
		.clients_max = CTL_CLIENTS_MAX,
	};

	set_throttle = set_throttle_fn;
	return app_ctlsrv_start(ctx, &conf);
}
