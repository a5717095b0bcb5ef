/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Figures: snapshots of ports, streams, contexts and the process's CPU time,
 * and what is printed from two of them: the live line, the final table and
 * the JSON summary (also the control socket's "stats" reply).
 */

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <rte_telemetry.h>

#include "applog.h"
#include "appmetrics.h"
#include "jout.h"
#include "ealdev.h"
#include "outfile.h"
#include "pmd.h"

double
pmd_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

const char *
pmd_pool_layout(void)
{
	for (unsigned int s = 0; s < RTE_DIM(pmd.pools); s++)
		if (pmd.pools[s] != NULL)
			return lcx_pool_layout_name(lcx_pktmbuf_pool_layout(pmd.pools[s]));
	return lcx_pool_layout_name(pmd.pool_layout);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
pmd_snapshot(struct pmd_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->t_ns = mono_ns();
	s->cpu_s = pmd_cpu_seconds();
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		if (pmd.ports[i].port != NULL)
			lcx_port_stats(pmd.ports[i].port, &s->port[i].st);
	for (uint32_t k = 0; k < pmd.nb_streams && pmd.streams != NULL; k++) {
		const struct fwd_stream *fs = &pmd.streams[k];

		s->port[fs->tx_port_id].fwd_dropped += APP_COUNTER_GET(fs->fwd_dropped);
		s->port[fs->tx_port_id].gen_nombuf += APP_COUNTER_GET(fs->gen_nombuf);
		s->port[fs->rx_port_id].ignored += APP_COUNTER_GET(fs->ignored);
	}
	for (unsigned int l = 0; l < pmd.nb_lcores; l++)
		if (pmd.lcores[l].ctx != NULL)
			lcx_context_stats(pmd.lcores[l].ctx, &s->ctx[l]);
	if (pmd.ctl.ctx != NULL)
		lcx_context_stats(pmd.ctl.ctx, &s->ctx[pmd.nb_lcores]);
}

static double
secs(const struct pmd_snap *a, const struct pmd_snap *b)
{
	return b->t_ns > a->t_ns ? (double)(b->t_ns - a->t_ns) / 1e9 : 0;
}

static double
rate(uint64_t n, double s)
{
	return s > 0 ? (double)n / s : 0;
}

#define D(field) (b->port[i].st.field - a->port[i].st.field)

/* Packets the port's tx side lost: refused by the queue (lcx-pmd or lcx freed them). */
static uint64_t
tx_dropped(const struct pmd_snap *a, const struct pmd_snap *b, uint16_t i)
{
	return D(tx_dropped) + (b->port[i].fwd_dropped - a->port[i].fwd_dropped);
}

static void
totals(const struct pmd_snap *a, const struct pmd_snap *b, uint64_t *rx, uint64_t *tx)
{
	*rx = *tx = 0;
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		*rx += D(rx_packets);
		*tx += D(tx_packets);
	}
}

struct ctx_fig {
	double busy, idle, parked;
};

static struct ctx_fig
ctx_fig(const struct lcx_context_stats *a, const struct lcx_context_stats *b)
{
	struct ctx_fig f = { 0 };
	double busy = (double)(b->busy_ns - a->busy_ns);
	double idle = (double)(b->idle_ns - a->idle_ns);
	double parked = (double)(b->parked_ns - a->parked_ns);
	double all = busy + idle + parked;

	if (all > 0) {
		f.busy = 100 * busy / all;
		f.idle = 100 * idle / all;
		f.parked = 100 * parked / all;
	}
	return f;
}

static const char *
ctx_name(unsigned int l)
{
	return l < pmd.nb_lcores ? pmd.lcores[l].name : "ctl";
}

static unsigned int
ctx_lcore(unsigned int l)
{
	return l < pmd.nb_lcores ? pmd.lcores[l].lcore_id : pmd.main_lcore;
}

/* Append v (stolen) to the array *a; on failure the array is dropped (*a NULL). */
static void
append(json_t **a, json_t *v)
{
	if (*a == NULL) {
		json_decref(v);
		return;
	}
	if (json_array_append_new(*a, v) < 0) {
		json_decref(*a);
		*a = NULL;
	}
}

/*
 * Whether port i counts bytes: some devices keep none (net_null, net_ring give
 * 0). Read from the totals since the start: packets and no byte at all.
 */
static bool
rx_bytes_known(const struct pmd_snap *b, uint16_t i)
{
	const struct lcx_port_stats *st = &b->port[i].st, *s0 = &pmd.start.port[i].st;

	return st->rx_bytes != s0->rx_bytes || st->rx_packets == s0->rx_packets;
}

static bool
tx_bytes_known(const struct pmd_snap *b, uint16_t i)
{
	const struct lcx_port_stats *st = &b->port[i].st, *s0 = &pmd.start.port[i].st;

	return st->tx_bytes != s0->tx_bytes || st->tx_packets == s0->tx_packets;
}

/* What the live line and --stats-json show of [a, b], summed over the ports. */
struct live_sum {
	uint64_t rx, tx, rx_bytes, tx_bytes, missed, nombuf, dropped;
	bool rx_bytes_known, tx_bytes_known;
};

static void
live_sum(const struct pmd_snap *a, const struct pmd_snap *b, struct live_sum *l)
{
	memset(l, 0, sizeof(*l));
	l->rx_bytes_known = l->tx_bytes_known = true;
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		l->rx += D(rx_packets);
		l->tx += D(tx_packets);
		l->rx_bytes += D(rx_bytes);
		l->tx_bytes += D(tx_bytes);
		l->missed += D(rx_missed);
		l->nombuf += D(rx_nombuf);
		l->dropped += tx_dropped(a, b, i);
		l->rx_bytes_known &= rx_bytes_known(b, i);
		l->tx_bytes_known &= tx_bytes_known(b, i);
	}
}

void
pmd_print_live(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b, bool tty)
{
	double s = secs(a, b), t = secs(&pmd.start, b);
	struct live_sum l;

	live_sum(a, b, &l);
	fprintf(f, "%s%7.1f s", tty ? "\r" : "", t);
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		fprintf(f, " | p%u rx %.3f tx %.3f", pmd.ports[i].ethdev_id,
			rate(D(rx_packets), s) / 1e6, rate(D(tx_packets), s) / 1e6);
	fprintf(f, " | all rx %.3f tx %.3f Mpps", rate(l.rx, s) / 1e6, rate(l.tx, s) / 1e6);
	/* L2: the frames' bytes as the devices count them, x 8; no preamble, no gap. */
	fputs(" | L2 rx ", f);
	if (l.rx_bytes_known)
		fprintf(f, "%.3f", rate(l.rx_bytes, s) * 8 / 1e9);
	else
		fputs("n/a", f);
	fputs(" tx ", f);
	if (l.tx_bytes_known)
		fprintf(f, "%.3f", rate(l.tx_bytes, s) * 8 / 1e9);
	else
		fputs("n/a", f);
	fprintf(f, " Gbps | missed %llu nombuf %llu dropped %llu | parked",
		(unsigned long long)l.missed, (unsigned long long)l.nombuf,
		(unsigned long long)l.dropped);
	for (unsigned int c = 0; c < pmd.nb_lcores; c++)
		fprintf(f, " %.1f%%", ctx_fig(&a->ctx[c], &b->ctx[c]).parked);
	fprintf(f, " | cpu %.2f", s > 0 ? (b->cpu_s - a->cpu_s) / s : 0);
	if (tty)
		fputs("\033[K", f);
	else
		fputc('\n', f);
	fflush(f);
}

/* A rate in bits per second, or null when the bytes are not counted. */
static json_t *
jbps(uint64_t bytes, double s, bool known)
{
	return known ? json_real(app_jout_round(rate(bytes, s) * 8, 1)) : json_null();
}

static json_t *
live_port_jobj(const struct pmd_snap *a, const struct pmd_snap *b, uint16_t i)
{
	const struct pmd_snap *z = &pmd.start;
	double s = secs(a, b);

#define Z(field) (b->port[i].st.field - z->port[i].st.field)
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o}",
			 "port", (json_int_t)pmd.ports[i].ethdev_id,
			 "rx_packets", app_jout_u64(Z(rx_packets)),
			 "tx_packets", app_jout_u64(Z(tx_packets)),
			 "rx_bytes", app_jout_u64(Z(rx_bytes)),
			 "tx_bytes", app_jout_u64(Z(tx_bytes)),
			 "rx_missed", app_jout_u64(Z(rx_missed)),
			 "rx_nombuf", app_jout_u64(Z(rx_nombuf)),
			 "tx_dropped", app_jout_u64(tx_dropped(z, b, i)),
			 "rx_pps", app_jout_round(rate(D(rx_packets), s), 1),
			 "tx_pps", app_jout_round(rate(D(tx_packets), s), 1),
			 "rx_bps", jbps(D(rx_bytes), s, rx_bytes_known(b, i)),
			 "tx_bps", jbps(D(tx_bytes), s, tx_bytes_known(b, i)));
#undef Z
}

static json_t *
live_ctx_jobj(const struct pmd_snap *a, const struct pmd_snap *b, unsigned int l)
{
	const struct lcx_context_stats *z = &pmd.start.ctx[l], *y = &b->ctx[l];
	struct ctx_fig c = ctx_fig(&a->ctx[l], y);

	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f}", "name", ctx_name(l),
			 "role", l < pmd.nb_lcores ? "forward" : "control",
			 "busy_ns", app_jout_u64(y->busy_ns - z->busy_ns),
			 "idle_ns", app_jout_u64(y->idle_ns - z->idle_ns),
			 "parked_ns", app_jout_u64(y->parked_ns - z->parked_ns),
			 "busy_pct", app_jout_round(c.busy, 2),
			 "idle_pct", app_jout_round(c.idle, 2),
			 "parked_pct", app_jout_round(c.parked, 2));
}

void
pmd_print_live_json(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b)
{
	double s = secs(a, b);
	struct live_sum l, all;
	json_t *o, *ports = json_array(), *ctxs = json_array();

	live_sum(a, b, &l);
	live_sum(&pmd.start, b, &all);
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		append(&ports, live_port_jobj(a, b, i));
	for (unsigned int c = 0; c <= pmd.nb_lcores; c++)
		append(&ctxs, live_ctx_jobj(a, b, c));
	o = json_pack("{s:s, s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o,"
		      " s:f, s:f, s:f, s:f, s:o, s:o}",
		      "schema", "lcx-pmd.stats", "schema_version", PMD_SCHEMA_VERSION,
		      "t_s", app_jout_round(secs(&pmd.start, b), 6), "dt_s", app_jout_round(s, 6),
		      "rx_packets", app_jout_u64(all.rx), "tx_packets", app_jout_u64(all.tx),
		      "rx_bytes", app_jout_u64(all.rx_bytes), "tx_bytes", app_jout_u64(all.tx_bytes),
		      "rx_missed", app_jout_u64(all.missed), "rx_nombuf", app_jout_u64(all.nombuf),
		      "tx_dropped", app_jout_u64(all.dropped),
		      "rx_pps", app_jout_round(rate(l.rx, s), 1),
		      "tx_pps", app_jout_round(rate(l.tx, s), 1),
		      "rx_bps", jbps(l.rx_bytes, s, l.rx_bytes_known),
		      "tx_bps", jbps(l.tx_bytes, s, l.tx_bytes_known),
		      "rx_missed_pps", app_jout_round(rate(l.missed, s), 1),
		      "rx_nombuf_pps", app_jout_round(rate(l.nombuf, s), 1),
		      "tx_dropped_pps", app_jout_round(rate(l.dropped, s), 1),
		      "cpu_cores", app_jout_round(s > 0 ? (b->cpu_s - a->cpu_s) / s : 0, 4),
		      "ports", ports, "contexts", ctxs);
	if (app_jout_dump(o, f, 1) < 0)
		app_log_raw(APP_LOG_ERR, "%s: --stats-json: cannot write the line (out of memory)",
			pmd_prog);
	fflush(f);
}

#define U(x) ((unsigned long long)(x))

static void
print_pacing(FILE *f)
{
	if (pmd.tx_rate_pps != 0) {
		struct pmd_pacing pc;

		pmd_pacing_sum(&pc);
		fprintf(f, "  paced at %llu pps: intended %llu, offered %llu, skipped %llu, owed %llu, "
			   "refused %llu, late %llu (max %.3f ms)\n",
			U(pmd.tx_rate_pps), U(pc.intended), U(pc.offered), U(pc.skipped),
			U(pc.intended - pc.offered - pc.skipped), U(pc.refused), U(pc.late),
			(double)pc.late_max_ns / 1e6);
	}
}

void
pmd_print_final(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b)
{
	double s = secs(a, b);
	uint64_t rx, tx;

	fprintf(f, "\n  %s forwarding, %u port%s, %u forwarding lcore%s, burst %u, throttle %llu us; "
		   "%s%s\n", pmd.engine->name, pmd.nb_ports, pmd.nb_ports == 1 ? "" : "s",
		pmd.nb_lcores, pmd.nb_lcores == 1 ? "" : "s", pmd.burst,
		(unsigned long long)pmd.cur_throttle_us,
		pmd.ctl.stopping ? "stopped by " : "running (SIGUSR1: the figures so far)",
		pmd.ctl.stopping ? (pmd.ctl.stop_reason != NULL ? pmd.ctl.stop_reason : "?") : "");
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		fprintf(f, "\n  ---------------------- port %u (%s) ----------------------\n",
			pmd.ports[i].ethdev_id, pmd.ports[i].name);
		fprintf(f, "  RX-packets: %-14llu RX-missed: %-10llu RX-nombuf: %-10llu RX-pps: %.0f\n",
			(unsigned long long)D(rx_packets), (unsigned long long)D(rx_missed),
			(unsigned long long)D(rx_nombuf), rate(D(rx_packets), s));
		fprintf(f, "  TX-packets: %-14llu TX-dropped: %-9llu TX-errors: %-10llu TX-pps: %.0f\n",
			(unsigned long long)D(tx_packets), (unsigned long long)tx_dropped(a, b, i),
			(unsigned long long)D(tx_errors), rate(D(tx_packets), s));
		if (b->port[i].ignored != a->port[i].ignored)
			fprintf(f, "  ignored (not UDP): %llu\n",
				(unsigned long long)(b->port[i].ignored - a->port[i].ignored));
		if (D(link_downs) != 0 || D(restarts) != 0)
			fprintf(f, "  link: down %llu time%s, %llu restart%s (%llu failed)\n",
				(unsigned long long)D(link_downs), D(link_downs) == 1 ? "" : "s",
				(unsigned long long)D(restarts), D(restarts) == 1 ? "" : "s",
				(unsigned long long)D(restart_failures));
	}
	totals(a, b, &rx, &tx);
	fprintf(f, "\n  +++++++++++++++ all ports, %.3f s +++++++++++++++\n", s);
	fprintf(f, "  RX: %llu packets, %.3f Mpps   TX: %llu packets, %.3f Mpps\n",
		(unsigned long long)rx, rate(rx, s) / 1e6, (unsigned long long)tx,
		rate(tx, s) / 1e6);
	print_pacing(f);
	fprintf(f, "  CPU: %.3f s, %.3f cores\n", b->cpu_s - a->cpu_s,
		s > 0 ? (b->cpu_s - a->cpu_s) / s : 0);
	for (unsigned int l = 0; l <= pmd.nb_lcores; l++) {
		struct ctx_fig c = ctx_fig(&a->ctx[l], &b->ctx[l]);

		fprintf(f, "  context %s (lcore %u): busy %.1f%%, idle %.1f%%, parked %.1f%%, "
			   "%llu reacts, %llu parks (%llu cut by the ring budget)\n",
			ctx_name(l), ctx_lcore(l), c.busy, c.idle, c.parked,
			(unsigned long long)(b->ctx[l].reacts - a->ctx[l].reacts),
			(unsigned long long)(b->ctx[l].parks - a->ctx[l].parks),
			(unsigned long long)(b->ctx[l].parks_cut - a->ctx[l].parks_cut));
	}
}

static json_t *
port_jobj(const struct pmd_snap *a, const struct pmd_snap *b, uint16_t i, double s)
{
	const uint8_t *m = pmd.ports[i].mac.addr_bytes;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:f, s:f, s:I, s:I, s:I}",
			 "port", (json_int_t)pmd.ports[i].ethdev_id, "name", pmd.ports[i].name,
			 "mac", mac, "rx_packets", app_jout_u64(D(rx_packets)),
			 "tx_packets", app_jout_u64(D(tx_packets)),
			 "rx_bytes", app_jout_u64(D(rx_bytes)),
			 "tx_bytes", app_jout_u64(D(tx_bytes)),
			 "rx_missed", app_jout_u64(D(rx_missed)),
			 "rx_nombuf", app_jout_u64(D(rx_nombuf)),
			 "rx_errors", app_jout_u64(D(rx_errors)),
			 "tx_errors", app_jout_u64(D(tx_errors)),
			 "tx_dropped", app_jout_u64(tx_dropped(a, b, i)),
			 "ignored", app_jout_u64(b->port[i].ignored - a->port[i].ignored),
			 "tx_nombuf", app_jout_u64(b->port[i].gen_nombuf - a->port[i].gen_nombuf),
			 "rx_pps", app_jout_round(rate(D(rx_packets), s), 1),
			 "tx_pps", app_jout_round(rate(D(tx_packets), s), 1),
			 "link_downs", app_jout_u64(D(link_downs)),
			 "restarts", app_jout_u64(D(restarts)),
			 "restart_failures", app_jout_u64(D(restart_failures)));
}

static json_t *
ctx_jobj(const struct pmd_snap *a, const struct pmd_snap *b, unsigned int l)
{
	const struct lcx_context_stats *x = &a->ctx[l], *y = &b->ctx[l];
	struct ctx_fig c = ctx_fig(x, y);
	json_t *o;

	o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:f, s:f, s:f}", "name", ctx_name(l),
		      "lcore", (json_int_t)ctx_lcore(l),
		      "role", l < pmd.nb_lcores ? "forward" : "control",
		      "streams", (json_int_t)(l < pmd.nb_lcores ? pmd.lcores[l].nb_streams : 0),
		      "throttle_us", app_jout_u64(y->throttle_ns / 1000),
		      "busy_pct", app_jout_round(c.busy, 2), "idle_pct", app_jout_round(c.idle, 2),
		      "parked_pct", app_jout_round(c.parked, 2));
	/* json_pack() takes at most ~30 arguments readably: the counters in a second go. */
	if (o != NULL &&
	    json_object_update_new(o, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			    "iterations", app_jout_u64(y->iterations - x->iterations),
			    "reacts", app_jout_u64(y->reacts - x->reacts),
			    "parks", app_jout_u64(y->parks - x->parks),
			    "parks_cut", app_jout_u64(y->parks_cut - x->parks_cut),
			    "parks_skipped", app_jout_u64(y->parks_skipped - x->parks_skipped),
			    "unparks", app_jout_u64(y->unparks - x->unparks),
			    "polled_items", app_jout_u64(y->polled_items - x->polled_items),
			    "tasks_run", app_jout_u64(y->tasks_run - x->tasks_run),
			    "timers_fired", app_jout_u64(y->timers_fired - x->timers_fired))) < 0)
		goto fail;
	if (o != NULL &&
	    json_object_update_new(o, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			    "io_events", app_jout_u64(y->io_events - x->io_events),
			    "park_overshoot_avg_ns", app_jout_u64(y->park_overshoot_avg_ns),
			    "park_overshoot_max_ns", app_jout_u64(y->park_overshoot_max_ns),
			    "timer_late_p50_ns", app_jout_u64(y->timer_late_p50_ns),
			    "timer_late_p99_ns", app_jout_u64(y->timer_late_p99_ns),
			    "timer_late_max_ns", app_jout_u64(y->timer_late_max_ns),
			    "timer_early_max_ns", app_jout_u64(y->timer_early_max_ns))) < 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *
pmd_summary_jobj(const struct pmd_snap *a, const struct pmd_snap *b, bool pools)
{
	double s = secs(a, b);
	uint64_t rx, tx;
	json_t *o, *ports = json_array(), *ctxs = json_array();

	totals(a, b, &rx, &tx);
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		append(&ports, port_jobj(a, b, i, s));
	for (unsigned int l = 0; l <= pmd.nb_lcores; l++)
		append(&ctxs, ctx_jobj(a, b, l));
	o = json_pack("{s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:s?, s:s, s:f, s:I, s:I,"
		      " s:f, s:f, s:f, s:f, s:o}",
		      "schema", "lcx-pmd", "schema_version", PMD_SCHEMA_VERSION,
		      "program", "lcx-pmd", "forward_mode", pmd.engine->name,
		      "nb_ports", (json_int_t)pmd.nb_ports, "nb_streams", (json_int_t)pmd.nb_streams,
		      "nb_cores", (json_int_t)pmd.nb_lcores, "burst", (json_int_t)pmd.burst,
		      "throttle_us", app_jout_u64(pmd.cur_throttle_us), "running", !pmd.ctl.stopping,
		      "stop_reason", pmd.ctl.stop_reason, "mbuf_layout", pmd_pool_layout(),
		      "duration_s", app_jout_round(s, 6), "rx_packets", app_jout_u64(rx),
		      "tx_packets", app_jout_u64(tx), "rx_pps", app_jout_round(rate(rx, s), 1),
		      "tx_pps", app_jout_round(rate(tx, s), 1),
		      "cpu_seconds", app_jout_round(b->cpu_s - a->cpu_s, 6),
		      "cpu_cores", app_jout_round(s > 0 ? (b->cpu_s - a->cpu_s) / s : 0, 4),
		      "ports", ports);
	if (o == NULL)
		goto fail;
	if (pmd.tx_rate_pps != 0) {
		struct pmd_pacing pc;

		/* Since the start of the schedule, not over [a, b]: the pacer's account. */
		pmd_pacing_sum(&pc);
		if (json_object_set_new(o, "tx_pacing",
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				  "rate_pps", app_jout_u64(pmd.tx_rate_pps),
				  "intended", app_jout_u64(pc.intended),
				  "offered", app_jout_u64(pc.offered),
				  "refused", app_jout_u64(pc.refused),
				  "skipped", app_jout_u64(pc.skipped),
				  "owed", app_jout_u64(pc.intended - pc.offered - pc.skipped),
				  "late", app_jout_u64(pc.late),
				  "late_max_ns", app_jout_u64(pc.late_max_ns))) < 0)
			goto fail;
	}
	/* json_object_set_new() takes the value, also when it fails. */
	if (json_object_set_new(o, "contexts", ctxs) < 0) {
		ctxs = NULL;
		goto fail;
	}
	ctxs = NULL;
	if (pools && json_object_set_new(o, "mbuf_pools", app_pools_jobj(NULL)) < 0)
		goto fail;
	return o;
fail:
	json_decref(ctxs);
	json_decref(o);
	return NULL;
}

static struct app_out json_out;

int
pmd_json_chown(uid_t uid, gid_t gid)
{
	return pmd.json_path == NULL ? 0 : app_out_chown(&json_out, uid, gid);
}

void
pmd_json_open(void)
{
	char err[512];

	if (pmd.json_path == NULL)
		return;
	if (app_out_open(&json_out, pmd.json_path, err, sizeof(err)) < 0)
		pmd_die(PMD_EXIT_ERROR, "--json: cannot write %s", err);
}

int
pmd_json_write(const struct pmd_snap *end)
{
	char err[512];

	if (pmd.json_path == NULL)
		return 0;
	if (app_jout_dump(pmd_summary_jobj(&pmd.start, end, true), json_out.f, 1) < 0) {
		app_log_raw(APP_LOG_ERR,
		            "%s: --json: cannot make the summary (out of memory)", pmd_prog);
		app_out_abort(&json_out);
		return -1;
	}
	if (app_out_commit(&json_out, err, sizeof(err)) < 0) {
		app_log_raw(APP_LOG_ERR, "%s: --json: cannot write %s", pmd_prog, err);
		return -1;
	}
	return 0;
}

/* --- --metrics: lcx-pmd's own families (the ports' are the library's) --- */

static int
metrics_collect(struct lcx_metrics_writer *w, void *arg)
{
	int ret;

	(void)arg;
	ret = lcx_metrics_family(w, "lcx_pmd_forwarded_packets_total", LCX_METRICS_COUNTER,
				 "Packets the port sent (its tx_packets, as the summary's "
				 "tx_packets): forwarded or generated.", NULL);
	for (uint16_t i = 0; ret == 0 && i < pmd.nb_ports; i++) {
		struct lcx_port_stats st;
		const struct lcx_metrics_label l = { "port", lcx_port_name(pmd.ports[i].port) };

		memset(&st, 0, sizeof(st));
		if (pmd.ports[i].port == NULL || lcx_port_stats(pmd.ports[i].port, &st) < 0)
			continue;
		ret = lcx_metrics_sample_u64(w, &l, 1, st.tx_packets);
	}
	ret = ret ?: lcx_metrics_family(w, "lcx_pmd_dropped_packets_total", LCX_METRICS_COUNTER,
					"Packets a stream (rx port and queue) dropped, by cause: "
					"tx_refused (the tx queue was full, freed), ignored "
					"(udpecho: not UDP), nombuf (txonly/flowgen: pool empty).",
					NULL);
	for (uint32_t k = 0; ret == 0 && k < pmd.nb_streams && pmd.streams != NULL; k++) {
		const struct fwd_stream *fs = &pmd.streams[k];
		char q[8];
		const char *causes[] = { "tx_refused", "ignored", "nombuf" };
		const uint64_t v[] = { APP_COUNTER_GET(fs->fwd_dropped),
				       APP_COUNTER_GET(fs->ignored),
				       APP_COUNTER_GET(fs->gen_nombuf) };

		snprintf(q, sizeof(q), "%u", fs->rx_queue);
		for (unsigned int c = 0; ret == 0 && c < RTE_DIM(causes); c++) {
			const struct lcx_metrics_label l[] = {
				{ "port", lcx_port_name(pmd.ports[fs->rx_port_id].port) },
				{ "queue", q }, { "cause", causes[c] },
			};

			ret = lcx_metrics_sample_u64(w, l, RTE_DIM(l), v[c]);
		}
	}
	return ret == -ENOBUFS || ret == -ENOMEM ? ret : 0;
}

int
pmd_metrics_start(struct lcx_context *ctx)
{
	struct lcx_port *ports[PMD_MAX_PORTS];

	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		ports[i] = pmd.ports[i].port;
	return app_metrics_start(pmd_prog, ctx, pmd.metrics, ports, pmd.nb_ports,
				 metrics_collect, NULL);
}

/*
 * --- DPDK telemetry: /lcx/pmd, the stats reply's figures ---
 *
 * The ports are read on their control thread: the handler (telemetry thread)
 * enters the control context for a snapshot, and answers only while its loop
 * runs on the main thread (before and after: an error, which telemetry shows
 * as null). tel_lock keeps the context alive during the enter: finish()
 * closes the command (pmd_telemetry_close()) before it releases the context.
 * DPDK 22.11 nests only arrays of plain values, so the per-port and
 * per-context figures are arrays, one per field, in port / context order.
 */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static bool tel_open;
static pthread_t tel_loop_thread;

static int
tel_snapshot(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	if (!pthread_equal(pthread_self(), tel_loop_thread))
		return -EAGAIN; /* the loop does not run: no owner to read the ports on */
	pmd_snapshot(arg);
	return 0;
}

static void
tel_port_array(struct rte_tel_data *d, const char *name, const struct pmd_snap *a,
	       const struct pmd_snap *b, size_t off)
{
	struct rte_tel_data *arr = rte_tel_data_alloc();

	if (arr == NULL)
		return;
	rte_tel_data_start_array(arr, RTE_TEL_U64_VAL);
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		uint64_t x = *(const uint64_t *)((const char *)&a->port[i].st + off);
		uint64_t y = *(const uint64_t *)((const char *)&b->port[i].st + off);

		rte_tel_data_add_array_u64(arr, y - x);
	}
	if (rte_tel_data_add_dict_container(d, name, arr, 0) < 0)
		rte_tel_data_free(arr);
}

static void
tel_u64_array(struct rte_tel_data *d, const char *name, const uint64_t *v, unsigned int n)
{
	struct rte_tel_data *arr = rte_tel_data_alloc();

	if (arr == NULL)
		return;
	rte_tel_data_start_array(arr, RTE_TEL_U64_VAL);
	for (unsigned int i = 0; i < n; i++)
		rte_tel_data_add_array_u64(arr, v[i]);
	if (rte_tel_data_add_dict_container(d, name, arr, 0) < 0)
		rte_tel_data_free(arr);
}

static int
tel_pmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct pmd_snap now; /* under tel_lock */
	uint64_t v[PMD_MAX_LCORES + 1], rx, tx;
	struct rte_tel_data *names;
	double s;
	int ret;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	ret = tel_open ? lcx_context_enter(pmd.ctl.ctx, tel_snapshot, &now) : -ESHUTDOWN;
	pthread_mutex_unlock(&tel_lock);
	if (ret < 0)
		return ret;
	/* pmd.start and the configuration do not change while the loop runs. */
	s = secs(&pmd.start, &now);
	totals(&pmd.start, &now, &rx, &tx);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "program", "lcx-pmd");
	rte_tel_data_add_dict_string(d, "forward_mode", pmd.engine->name);
	rte_tel_data_add_dict_u64(d, "nb_ports", pmd.nb_ports);
	rte_tel_data_add_dict_u64(d, "nb_streams", pmd.nb_streams);
	rte_tel_data_add_dict_u64(d, "nb_cores", pmd.nb_lcores);
	rte_tel_data_add_dict_u64(d, "burst", pmd.burst);
	rte_tel_data_add_dict_u64(d, "throttle_us", pmd.cur_throttle_us);
	rte_tel_data_add_dict_string(d, "mbuf_layout", pmd_pool_layout());
	/* No floating point in 22.11's telemetry: ns and whole packets per second. */
	rte_tel_data_add_dict_u64(d, "duration_ns", now.t_ns - pmd.start.t_ns);
	rte_tel_data_add_dict_u64(d, "rx_packets", rx);
	rte_tel_data_add_dict_u64(d, "tx_packets", tx);
	rte_tel_data_add_dict_u64(d, "rx_pps", (uint64_t)rate(rx, s));
	rte_tel_data_add_dict_u64(d, "tx_pps", (uint64_t)rate(tx, s));
	rte_tel_data_add_dict_u64(d, "cpu_us", (uint64_t)((now.cpu_s - pmd.start.cpu_s) * 1e6));
	names = rte_tel_data_alloc();
	if (names != NULL) {
		rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
		for (uint16_t i = 0; i < pmd.nb_ports; i++)
			rte_tel_data_add_array_string(names, pmd.ports[i].name);
		if (rte_tel_data_add_dict_container(d, "port_name", names, 0) < 0)
			rte_tel_data_free(names);
	}
#define TEL_PORT(f) tel_port_array(d, "port_" #f, &pmd.start, &now, \
				   offsetof(struct lcx_port_stats, f))
	TEL_PORT(rx_packets);
	TEL_PORT(tx_packets);
	TEL_PORT(rx_bytes);
	TEL_PORT(tx_bytes);
	TEL_PORT(rx_missed);
	TEL_PORT(rx_nombuf);
	TEL_PORT(rx_errors);
	TEL_PORT(tx_errors);
	TEL_PORT(link_downs);
	TEL_PORT(restarts);
	TEL_PORT(restart_failures);
#undef TEL_PORT
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		v[i] = tx_dropped(&pmd.start, &now, i);
	tel_u64_array(d, "port_tx_dropped", v, pmd.nb_ports);
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		v[i] = now.port[i].ignored - pmd.start.port[i].ignored;
	tel_u64_array(d, "port_ignored", v, pmd.nb_ports);
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		v[i] = now.port[i].gen_nombuf - pmd.start.port[i].gen_nombuf;
	tel_u64_array(d, "port_tx_nombuf", v, pmd.nb_ports);
	/* Contexts: forwarding lcores, then control (as the stats reply's list). */
	names = rte_tel_data_alloc();
	if (names != NULL) {
		rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
		for (unsigned int l = 0; l <= pmd.nb_lcores; l++)
			rte_tel_data_add_array_string(names, ctx_name(l));
		if (rte_tel_data_add_dict_container(d, "context_name", names, 0) < 0)
			rte_tel_data_free(names);
	}
	for (unsigned int l = 0; l <= pmd.nb_lcores; l++)
		v[l] = (uint64_t)(ctx_fig(&pmd.start.ctx[l], &now.ctx[l]).busy * 100);
	tel_u64_array(d, "context_busy_centipct", v, pmd.nb_lcores + 1);
	for (unsigned int l = 0; l <= pmd.nb_lcores; l++)
		v[l] = (uint64_t)(ctx_fig(&pmd.start.ctx[l], &now.ctx[l]).parked * 100);
	tel_u64_array(d, "context_parked_centipct", v, pmd.nb_lcores + 1);
	for (unsigned int l = 0; l <= pmd.nb_lcores; l++)
		v[l] = now.ctx[l].iterations - pmd.start.ctx[l].iterations;
	tel_u64_array(d, "context_iterations", v, pmd.nb_lcores + 1);
	return 0;
}

int
pmd_telemetry_open(void)
{
	static bool registered;
	int ret = 0;

	pthread_mutex_lock(&tel_lock);
	tel_loop_thread = pthread_self();
	tel_open = true;
	pthread_mutex_unlock(&tel_lock);
	if (!registered) {
		ret = rte_telemetry_register_cmd("/lcx/pmd", tel_pmd,
						 "lcx-pmd's figures since the start, as the control "
						 "socket's stats reply. No parameters");
		registered = ret == 0;
	}
	return ret;
}

void
pmd_telemetry_close(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_open = false;
	pthread_mutex_unlock(&tel_lock);
}
