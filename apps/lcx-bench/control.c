/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's control socket (--control=PATH; apps/common/ctlsrv.c serves it, the
 * protocol is doc/control.md): "help", "stats" (the trial sending now, its figures so
 * far; the trials done), "stop" (as SIGINT: sending stops, the drain runs, the figures so
 * far are written). Runs on the control context.
 */

#include <string.h>

#include <jansson.h>

#include <rte_cycles.h>

#include <lcx/ctl.h>

#include "bench.h"
#include "ctlsrv.h"
#include "jreq.h"

#define CTL_LINE_MAX 4096
#define CTL_OUT_MAX (1u << 20)
#define CTL_CLIENTS_MAX 16
#define CTL_MEMBERS_MAX 8

static const char help_reply[] =
	"{\"ok\":true,\"commands\":["
	"{\"cmd\":\"help\",\"keys\":{},\"reply\":\"this list\"},"
	"{\"cmd\":\"stats\",\"keys\":{},\"reply\":\"the trial sending now and its figures so "
	"far (trial: null between trials), the trials done, the control socket's counters\"},"
	"{\"cmd\":\"stop\",\"keys\":{},\"reply\":\"stopping:true, then the run ends as on "
	"SIGINT: the drain, the figures so far\"}]}\n";

/* The stats reply (a new reference), or NULL. */
static json_t *
stats_reply(void)
{
	json_t *o = json_object(), *t;
	int cur = __atomic_load_n(&b.cur_trial, __ATOMIC_ACQUIRE);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "mode", json_string(opt.mode_name));
	json_object_set_new(o, "trials_done", json_integer(__atomic_load_n(&b.nb_trials,
									   __ATOMIC_ACQUIRE)));
	if (cur >= 0) {
		struct bench_pacer_stats st;
		struct meas_snap rs = { 0 };
		uint64_t now = tsc_ns(rte_rdtsc());

		if (gen_snapshot(&st) < 0 || meas_snapshot(&rs) < 0) {
			t = json_null();
		} else {
			double el = (double)(now - b.cur_start_ns) / 1e9;

			t = json_object();
			json_object_set_new(t, "index", json_integer(cur));
			json_object_set_new(t, "purpose",
					    json_string(bench_purpose_name(b.cur_purpose)));
			json_object_set_new(t, "frame_size", json_string(b.cur_sizes_text));
			json_object_set_new(t, "rate_pps", json_real(b.cur_rate_pps));
			json_object_set_new(t, "elapsed_s", json_real(el));
			json_object_set_new(t, "intended", json_integer((json_int_t)st.intended));
			json_object_set_new(t, "offered", json_integer((json_int_t)st.offered));
			json_object_set_new(t, "refused", json_integer((json_int_t)st.refused));
			json_object_set_new(t, "skipped", json_integer((json_int_t)st.skipped));
			json_object_set_new(t, "received", json_integer((json_int_t)rs.received));
			json_object_set_new(t, "missing", json_integer((json_int_t)rs.missing));
			json_object_set_new(t, "late", json_integer((json_int_t)rs.late));
			json_object_set_new(t, "duplicate", json_integer((json_int_t)rs.duplicate));
			json_object_set_new(t, "unsigned",
					    json_integer((json_int_t)rs.unsigned_frames));
			json_object_set_new(t, "latency_count", json_integer((json_int_t)rs.count));
			json_object_set_new(t, "latency_p50_ns", json_integer((json_int_t)rs.p50));
			json_object_set_new(t, "latency_p99_ns", json_integer((json_int_t)rs.p99));
		}
	} else {
		t = json_null();
	}
	json_object_set_new(o, "trial", t);
	json_object_set_new(o, "control", app_ctlsrv_stats_jobj());
	return o;
}

static int
handle_line(void *arg, const char *line, size_t len, struct lcx_ctl_client *c)
{
	char err[APP_JREQ_ERR_MAX];
	const char *name;
	json_t *o;
	int r;

	(void)arg;
	r = app_jreq_command(line, len, CTL_MEMBERS_MAX, NULL, &o, &name, err);
	if (r <= 0) {
		if (r < 0)
			lcx_ctl_reply_error(c, err);
		return 0;
	}
	if (strcmp(name, "help") == 0) {
		lcx_ctl_reply(c, help_reply, sizeof(help_reply) - 1);
	} else if (strcmp(name, "stats") == 0) {
		app_ctlsrv_reply_json(c, stats_reply());
	} else if (strcmp(name, "stop") == 0) {
		static const char ok[] = "{\"ok\":true,\"stopping\":true}\n";

		lcx_ctl_reply(c, ok, sizeof(ok) - 1);
		json_decref(o);
		return LCX_CTL_NOTIFY; /* stop once the reply went out: control_sent() */
	} else {
		char msg[192];

		snprintf(msg, sizeof(msg), "unknown command \"%.40s\" (help, stats, stop)", name);
		lcx_ctl_reply_error(c, msg);
	}
	json_decref(o);
	return 0;
}

static void
control_sent(void *arg)
{
	(void)arg;
	app_ctl_request_stop(&b.ctl, "control", 0);
}

int
bench_control_setup(struct app_ctl *c, struct lcx_context *ctx)
{
	const struct app_ctlsrv_conf conf = {
		.prog = prog,
		.path = opt.control_path,
		.handle = handle_line,
		.sent = control_sent,
		.line_max = CTL_LINE_MAX,
		.out_max = CTL_OUT_MAX,
		.clients_max = CTL_CLIENTS_MAX,
	};

	(void)c;
	if (opt.control_path == NULL)
		return 0;
	return app_ctlsrv_start(ctx, &conf);
}
