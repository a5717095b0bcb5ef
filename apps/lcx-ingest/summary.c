/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ingest's figures for people and files: the live stats line (stdout; with
 * --stats-json one JSON object per period),
 * the final table (stderr) and the --json summary, from the totals that
 * rx.c sums (ingest_app_totals()) and the ports' own counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "applog.h"
#include "app.h"
#include "ealdev.h"
#include "jout.h"
#include "outfile.h"

/* The stats line: the totals and time of the line before. */
static struct ingest_totals last_totals;
static uint64_t last_stats_ns;
static bool stats_tty;

static void
human(char *buf, size_t size, double v)
{
	if (v >= 1e9)
		snprintf(buf, size, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, size, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, size, "%.2fk", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
}

static double
per_s(uint64_t n, double dt)
{
	return app_jout_round(dt > 0 ? (double)n / dt : 0, 1);
}

/* --stats-json: the totals at ns and the rates over the period since the line before. */
static void
stats_json(const struct ingest_app *a, const struct ingest_totals *now, uint64_t ns, double dt)
{
	const struct ingest_totals *p = &last_totals;
	json_t *o;

	o = json_pack("{s:s, s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		      " s:I, s:I}",
		      "schema", "lcx-ingest.stats", "schema_version", INGEST_SCHEMA_VERSION,
		      "t_s", app_jout_round((double)(ns - a->start_ns) / 1e9, 6),
		      "dt_s", app_jout_round(dt, 6),
		      "rx_total", app_jout_u64(now->rx_total),
		      "rx_bytes", app_jout_u64(now->rx_bytes),
		      "accepted", app_jout_u64(now->accepted),
		      "filtered", app_jout_u64(now->filtered),
		      "malformed", app_jout_u64(now->malformed),
		      "sink_dropped", app_jout_u64(now->sink_dropped),
		      "port_rx_missed", app_jout_u64(now->port_rx_missed),
		      "port_rx_nombuf", app_jout_u64(now->port_rx_nombuf),
		      "flows", app_jout_u64(now->flows),
		      "seq_lost", app_jout_u64(now->seq_lost),
		      "seq_reordered", app_jout_u64(now->seq_reordered),
		      "seq_duplicate", app_jout_u64(now->seq_duplicate),
		      "sink_written", app_jout_u64(now->sink_written));
	if (o != NULL &&
	    json_object_update_new(o, json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
			    "rx_pps", per_s(now->rx_total - p->rx_total, dt),
			    "rx_bps", per_s((now->rx_bytes - p->rx_bytes) * 8, dt),
			    "accepted_pps", per_s(now->accepted - p->accepted, dt),
			    "filtered_pps", per_s(now->filtered - p->filtered, dt),
			    "malformed_pps", per_s(now->malformed - p->malformed, dt),
			    "sink_dropped_pps", per_s(now->sink_dropped - p->sink_dropped, dt),
			    "port_rx_missed_pps",
			    per_s(now->port_rx_missed - p->port_rx_missed, dt))) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (app_jout_dump(o, stdout, 1) < 0)
		app_log_raw(APP_LOG_ERR,
		            "lcx-ingest: --stats-json: cannot write the line (out of memory)");
	fflush(stdout);
}

void
ingest_stats_line(struct ingest_app *a)
{
	struct ingest_totals now;
	uint64_t ns = lcx_tsc_ns();
	double dt = (double)(ns - last_stats_ns) / 1e9;
	char pps[16], bps[16], acc[16], filt[16], malf[16], drop[16], lost[16], reord[16];
	char dup[16];

	ingest_app_totals(a, &now);
	if (a->o.stats_json) {
		stats_json(a, &now, ns, dt);
		goto out;
	}
	if (dt <= 0)
		dt = 1;
	human(pps, sizeof(pps), (double)(now.rx_total - last_totals.rx_total) / dt);
	human(bps, sizeof(bps), (double)(now.rx_bytes - last_totals.rx_bytes) * 8 / dt);
	human(acc, sizeof(acc), (double)now.accepted);
	human(filt, sizeof(filt), (double)now.filtered);
	human(malf, sizeof(malf), (double)now.malformed);
	human(drop, sizeof(drop), (double)now.sink_dropped);
	human(lost, sizeof(lost), (double)now.seq_lost);
	human(reord, sizeof(reord), (double)now.seq_reordered);
	human(dup, sizeof(dup), (double)now.seq_duplicate);
	/* Under 80 columns, so that \r rewrites one line on a terminal. */
	printf("%s%6.1fs %7spps %7sbps acc %s filt %s malf %s drop %s flows %" PRIu64,
	       stats_tty ? "\r" : "", (double)(ns - a->start_ns) / 1e9, pps, bps, acc, filt, malf,
	       drop, now.flows);
	if (a->o.seq_given)
		printf(" lost %s reord %s dup %s", lost, reord, dup);
	fputs(stats_tty ? "\033[K" : "\n", stdout);
	fflush(stdout);
out:
	last_totals = now;
	last_stats_ns = ns;
}

/* --- summary --- */

void
ingest_summary_print(const struct ingest_app *a, const struct ingest_totals *t, double secs)
{
	unsigned int v;

	fprintf(stderr, "lcx-ingest: %.2f s, %" PRIu64 " frames (%.0f pps)\n", secs, t->rx_total,
		secs > 0 ? (double)t->rx_total / secs : 0.0);
	uint64_t in_lost = t->port_rx_missed + t->port_rx_nombuf + t->port_rx_errors;

	fprintf(stderr, "  rx_total %" PRIu64 " = accepted %" PRIu64 " + filtered %" PRIu64
		" + malformed %" PRIu64 " + sink_dropped %" PRIu64 "  [%s]\n",
		t->rx_total, t->accepted, t->filtered, t->malformed, t->sink_dropped,
		!ingest_totals_balanced(t) ? "NOT BALANCED"
		: in_lost ? "balanced, but input was lost: see below" : "balanced");
	if (in_lost)
		fprintf(stderr, "  LOST before rx_total: %" PRIu64 " frames at the ports: rx_missed %"
			PRIu64 " (kernel socket buffer or NIC ring full), rx_nombuf %" PRIu64
			" (no mbuf), rx_errors %" PRIu64 "\n", in_lost, t->port_rx_missed,
			t->port_rx_nombuf, t->port_rx_errors);
	for (v = INGEST_FILTER_FIRST; v < INGEST_VERDICT_MAX; v++)
		if (t->verdict[v])
			fprintf(stderr, "    %-9s %-14s %" PRIu64 "\n",
				ingest_verdict_is_filter(v) ? "filtered" : "malformed",
				ingest_verdict_name(v), t->verdict[v]);
	if (t->sink_dropped || t->sink_written)
		fprintf(stderr, "  sink: written %" PRIu64 " (%" PRIu64 " bytes, %" PRIu64
			" files made), queue_full %" PRIu64 ", write_errors %" PRIu64
			", nomem %" PRIu64 ", over_limit %" PRIu64 ", removed %" PRIu64 ", rotated_out %" PRIu64
			" (%" PRIu64 " files deleted by --rotate-files)\n", t->sink_written,
			t->sink_written_bytes, t->sink_files, t->sink_queue_full,
			t->sink_write_errors, t->sink_nomem, t->sink_over_limit, t->sink_removed,
			t->sink_rotated_out, t->sink_files_deleted);
	fprintf(stderr, "  flows: %" PRIu64 " active, %" PRIu64 " created, %" PRIu64
		" evicted\n", t->flows, t->flow_inserts, t->flow_evictions);
	/* Lost before the account (rx_total counts what the ports handed over). */
	for (v = 0; v < a->nb_ports; v++) {
		struct lcx_port_stats ps;

		memset(&ps, 0, sizeof(ps));
		lcx_port_stats(a->ports[v], &ps);
		if (ps.rx_missed || ps.rx_nombuf || ps.rx_errors)
			fprintf(stderr, "  port %s lost before rx_total: rx_missed %" PRIu64
				" rx_nombuf %" PRIu64 " rx_errors %" PRIu64 "\n",
				lcx_port_name(a->ports[v]), ps.rx_missed, ps.rx_nombuf,
				ps.rx_errors);
	}
	if (a->o.seq_given)
		fprintf(stderr, "  seq: received %" PRIu64 " lost %" PRIu64 " reordered %" PRIu64
			" duplicate %" PRIu64 " out_of_range %" PRIu64 " resyncs %" PRIu64
			" no_seq %" PRIu64 "\n", t->seq_received, t->seq_lost, t->seq_reordered,
			t->seq_duplicate, t->seq_out_of_range, t->seq_resyncs, t->seq_no_seq);
}

void
ingest_port_figs(const struct ingest_app *a, struct ingest_port_fig *pf)
{
	for (unsigned int i = 0; i < a->nb_ports; i++) {
		memset(&pf[i], 0, sizeof(pf[i]));
		snprintf(pf[i].name, sizeof(pf[i].name), "%s", lcx_port_name(a->ports[i]));
		snprintf(pf[i].driver, sizeof(pf[i].driver), "%s", lcx_port_driver(a->ports[i]));
		lcx_port_stats(a->ports[i], &pf[i].ps);
		pf[i].rcvbuf = lcx_port_rcvbuf(a->ports[i]);
	}
}


/*
 * The JSON summary, into the file opened at start (o->f), after the ports
 * closed: mbuf_pools then says how many mbufs of each pool are not back.
 */
int
ingest_summary_json(struct ingest_app *a, struct app_out *o, const struct ingest_totals *t,
		    const struct ingest_port_fig *pf, double secs)
{
	json_t *sum, *ports = json_array(), *ctxs = json_array();
	char err[512];
	unsigned int i;
	int ret;

	for (i = 0; i < a->nb_ports && ports != NULL; i++) {
		const struct lcx_port_stats *ps = &pf[i].ps;
		json_t *p = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "name", pf[i].name,
				      "driver", pf[i].driver,
				      "rx_packets", app_jout_u64(ps->rx_packets),
				      "rx_missed", app_jout_u64(ps->rx_missed),
				      "rx_nombuf", app_jout_u64(ps->rx_nombuf),
				      "rx_errors", app_jout_u64(ps->rx_errors));

		if (p != NULL && pf[i].rcvbuf >= 0 &&
		    json_object_set_new(p, "rcvbuf", json_integer(pf[i].rcvbuf)) < 0) {
			json_decref(p);
			p = NULL;
		}
		if (json_array_append_new(ports, p) < 0) {
			json_decref(ports);
			ports = NULL;
		}
	}
	for (i = 0; i < a->nb_rx && ctxs != NULL; i++) {
		struct lcx_context_stats cs;

		memset(&cs, 0, sizeof(cs));
		lcx_context_stats(a->rx[i]->ctx, &cs);
		if (json_array_append_new(ctxs,
			json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				  "name", lcx_context_name(a->rx[i]->ctx),
				  "queues", (json_int_t)a->rx[i]->nb_queues,
				  "busy_ns", app_jout_u64(cs.busy_ns),
				  "idle_ns", app_jout_u64(cs.idle_ns),
				  "parked_ns", app_jout_u64(cs.parked_ns),
				  "parks", app_jout_u64(cs.parks),
				  "iterations", app_jout_u64(cs.iterations),
				  "rx_total", app_jout_u64(a->rx[i]->eng.acct.rx_total))) < 0) {
			json_decref(ctxs);
			ctxs = NULL;
		}
	}
	/*
	 * What stopped the run: "duration", "control" or the signal's name.
	 * top_flows is null when the flow tables could not be read (out of memory).
	 */
	sum = json_pack("{s:s, s:i, s:f, s:s, s:o, s:o, s:o, s:o?, s:o}",
			"schema", "lcx-ingest", "schema_version", INGEST_SCHEMA_VERSION,
			"duration_s", app_jout_round(secs, 6),
			"stop_reason", a->ctl.stop_reason != NULL ? a->ctl.stop_reason : "error",
			"totals", ingest_totals_jobj(t), "ports", ports, "contexts", ctxs,
			"top_flows", ingest_app_flows_jobj(a, a->o.top),
			"mbuf_pools", app_pools_jobj(NULL));
	ret = app_jout_dump(sum, o->f, 1);
	if (ret < 0) {
		app_log_raw(APP_LOG_ERR, "lcx-ingest: --json: cannot make the summary (%s)",
			ret == -ENOMEM ? "out of memory" : "write error");
		app_out_abort(o);
		return -EIO;
	}
	if (app_out_commit(o, err, sizeof(err)) < 0) {
		app_log_raw(APP_LOG_ERR, "lcx-ingest: --json: cannot write %s", err);
		return -EIO;
	}
	return 0;
}

void
ingest_stats_start(const struct ingest_app *a)
{
	stats_tty = isatty(STDOUT_FILENO) && !a->o.stats_json;
	last_stats_ns = a->start_ns;
}

void
ingest_stats_end(const struct ingest_app *a)
{
	if (stats_tty && a->o.stats_ns && !a->o.quiet && a->start_ns) {
		fputc('\n', stdout);
		fflush(stdout);
	}
}
