/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Figures: snapshots of ports, streams, contexts and the process's CPU time,
 * and what is printed from two of them: the live line, the final table and
 * the JSON summary (also the control socket's "stats" reply).
 */

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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

void
pmd_print_live(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b, bool tty)
{
	double s = secs(a, b), t = secs(&pmd.start, b);
	uint64_t rx, tx;

	fprintf(f, "%s%7.1f s", tty ? "\r" : "", t);
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		fprintf(f, " | p%u rx %.3f tx %.3f", pmd.ports[i].ethdev_id,
			rate(D(rx_packets), s) / 1e6, rate(D(tx_packets), s) / 1e6);
	totals(a, b, &rx, &tx);
	fprintf(f, " | all rx %.3f tx %.3f Mpps | cpu %.2f", rate(rx, s) / 1e6,
		rate(tx, s) / 1e6, s > 0 ? (b->cpu_s - a->cpu_s) / s : 0);
	if (tty)
		fputs("\033[K", f);
	else
		fputc('\n', f);
	fflush(f);
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

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}


void
pmd_summary_json(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b, bool pools)
{
	double s = secs(a, b);
	uint64_t rx, tx;

	totals(a, b, &rx, &tx);
	fprintf(f, "{\"program\":\"lcx-pmd\",\"forward_mode\":");
	json_str(f, pmd.engine->name);
	fprintf(f, ",\"nb_ports\":%u,\"nb_streams\":%u,\"nb_cores\":%u,\"burst\":%u,"
		   "\"throttle_us\":%llu,\"running\":%s,\"stop_reason\":",
		pmd.nb_ports, pmd.nb_streams, pmd.nb_lcores, pmd.burst, U(pmd.cur_throttle_us),
		pmd.ctl.stopping ? "false" : "true");
	if (pmd.ctl.stop_reason != NULL)
		json_str(f, pmd.ctl.stop_reason);
	else
		fputs("null", f);
	fprintf(f, ",\"mbuf_layout\":");
	json_str(f, pmd_pool_layout());
	fprintf(f, ",\"duration_s\":%.6f,\"rx_packets\":%llu,\"tx_packets\":%llu,"
		   "\"rx_pps\":%.1f,\"tx_pps\":%.1f,\"cpu_seconds\":%.6f,\"cpu_cores\":%.4f,"
		   "\"ports\":[",
		s, U(rx), U(tx), rate(rx, s), rate(tx, s), b->cpu_s - a->cpu_s,
		s > 0 ? (b->cpu_s - a->cpu_s) / s : 0);
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		fprintf(f, "%s{\"port\":%u,\"name\":", i ? "," : "", pmd.ports[i].ethdev_id);
		json_str(f, pmd.ports[i].name);
		const uint8_t *m = pmd.ports[i].mac.addr_bytes;

		fprintf(f, ",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", m[0], m[1], m[2], m[3],
			m[4], m[5]);
		fprintf(f, ",\"rx_packets\":%llu,\"tx_packets\":%llu,\"rx_bytes\":%llu,"
			   "\"tx_bytes\":%llu,\"rx_missed\":%llu,\"rx_nombuf\":%llu,"
			   "\"rx_errors\":%llu,\"tx_errors\":%llu,\"tx_dropped\":%llu,"
			   "\"ignored\":%llu,\"tx_nombuf\":%llu,\"rx_pps\":%.1f,\"tx_pps\":%.1f,"
			   "\"link_downs\":%llu,\"restarts\":%llu,\"restart_failures\":%llu}",
			U(D(rx_packets)), U(D(tx_packets)), U(D(rx_bytes)), U(D(tx_bytes)),
			U(D(rx_missed)), U(D(rx_nombuf)), U(D(rx_errors)), U(D(tx_errors)),
			U(tx_dropped(a, b, i)), U(b->port[i].ignored - a->port[i].ignored),
			U(b->port[i].gen_nombuf - a->port[i].gen_nombuf), rate(D(rx_packets), s),
			rate(D(tx_packets), s), U(D(link_downs)), U(D(restarts)),
			U(D(restart_failures)));
	}
	fputs("]", f);
	if (pmd.tx_rate_pps != 0) {
		struct pmd_pacing pc;

		/* Since the start of the schedule, not over [a, b]: the pacer's account. */
		pmd_pacing_sum(&pc);
		fprintf(f, ",\"tx_pacing\":{\"rate_pps\":%llu,\"intended\":%llu,\"offered\":%llu,"
			   "\"refused\":%llu,\"skipped\":%llu,\"owed\":%llu,\"late\":%llu,"
			   "\"late_max_ns\":%llu}",
			U(pmd.tx_rate_pps), U(pc.intended), U(pc.offered), U(pc.refused),
			U(pc.skipped), U(pc.intended - pc.offered - pc.skipped), U(pc.late),
			U(pc.late_max_ns));
	}
	fputs(",\"contexts\":[", f);
	for (unsigned int l = 0; l <= pmd.nb_lcores; l++) {
		const struct lcx_context_stats *x = &a->ctx[l], *y = &b->ctx[l];
		struct ctx_fig c = ctx_fig(x, y);

		fprintf(f, "%s{\"name\":", l ? "," : "");
		json_str(f, ctx_name(l));
		fprintf(f, ",\"lcore\":%u,\"role\":\"%s\",\"streams\":%u,\"throttle_us\":%llu,"
			   "\"busy_pct\":%.2f,\"idle_pct\":%.2f,\"parked_pct\":%.2f,"
			   "\"iterations\":%llu,\"reacts\":%llu,\"parks\":%llu,\"parks_cut\":%llu,"
			   "\"parks_skipped\":%llu,\"unparks\":%llu,\"polled_items\":%llu,"
			   "\"tasks_run\":%llu,\"timers_fired\":%llu,\"io_events\":%llu,"
			   "\"park_overshoot_avg_ns\":%llu,\"park_overshoot_max_ns\":%llu,"
			   "\"timer_late_p50_ns\":%llu,\"timer_late_p99_ns\":%llu,"
			   "\"timer_late_max_ns\":%llu,\"timer_early_max_ns\":%llu}",
			ctx_lcore(l), l < pmd.nb_lcores ? "forward" : "control",
			l < pmd.nb_lcores ? pmd.lcores[l].nb_streams : 0, U(y->throttle_ns / 1000),
			c.busy, c.idle, c.parked, U(y->iterations - x->iterations),
			U(y->reacts - x->reacts), U(y->parks - x->parks),
			U(y->parks_cut - x->parks_cut), U(y->parks_skipped - x->parks_skipped),
			U(y->unparks - x->unparks), U(y->polled_items - x->polled_items),
			U(y->tasks_run - x->tasks_run), U(y->timers_fired - x->timers_fired),
			U(y->io_events - x->io_events), U(y->park_overshoot_avg_ns),
			U(y->park_overshoot_max_ns), U(y->timer_late_p50_ns),
			U(y->timer_late_p99_ns), U(y->timer_late_max_ns), U(y->timer_early_max_ns));
	}
	fputc(']', f);
	if (pools) {
		fputs(",\"mbuf_pools\":", f);
		app_pools_json(f);
	}
	fputc('}', f);
}

static struct app_out json_out;

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
	pmd_summary_json(json_out.f, &pmd.start, end, true);
	fputc('\n', json_out.f);
	if (app_out_commit(&json_out, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: --json: cannot write %s\n", pmd_prog, err);
		return -1;
	}
	return 0;
}
