/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's output: the text summary, --json (schema_version 2, written with jansson;
 * the keys are agreed with lcx-bench-report: doc/bench.md "Output fields"), --csv, the
 * calibration read back, and the self-checks of the clock.
 */

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <rte_ethdev.h>

#include "bench.h"
#include "pattern.h"
#include "traffic.h"

#define HIST_EXPORT_MAX BENCH_HIST_BUCKETS

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

/* ---- self-checks --------------------------------------------------------------------- */

/* The TSC ticks at a constant rate in every P-, C- and T-state: CPUID 0x80000007 EDX bit 8
 * (Intel SDM vol. 3B 17.17.1, AMD APM vol. 3 "Invariant TSC"); else /proc/cpuinfo's flags. */
bool
bench_tsc_invariant(const char **how)
{
	unsigned int a, bx, c, d;
	FILE *f;
	char line[4096];
	bool constant = false, nonstop = false;

	if (__get_cpuid(0x80000000u, &a, &bx, &c, &d) && a >= 0x80000007u &&
	    __get_cpuid(0x80000007u, &a, &bx, &c, &d)) {
		*how = "cpuid 0x80000007 edx bit 8";
		return (d & (1u << 8)) != 0;
	}
	*how = "/proc/cpuinfo constant_tsc nonstop_tsc";
	f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "flags", 5) == 0) {
			constant = strstr(line, " constant_tsc") != NULL;
			nonstop = strstr(line, " nonstop_tsc") != NULL;
			break;
		}
	fclose(f);
	return constant && nonstop;
}

static double
clock_interval_s(void)
{
	const struct bench_clock_check *k = &b.clk;

	return (double)(k->mono1.tv_sec - k->mono0.tv_sec) +
	       (double)(k->mono1.tv_nsec - k->mono0.tv_nsec) / 1e9;
}

/* The TSC against CLOCK_MONOTONIC_RAW over the run, ppm (+: the TSC ran fast). */
static double
tsc_drift_ppm(void)
{
	double mono = clock_interval_s();
	double tsc = (double)(b.clk.tsc1 - b.clk.tsc0) / (double)b.hz;

	return mono > 0 ? (tsc - mono) / mono * 1e6 : 0.0;
}

static bool
all_ports_agree(void)
{
	for (unsigned int i = 0; i < b.nb_trials; i++)
		if (!b.trials[i].port_counters_agree)
			return false;
	return true;
}

/* ---- JSON pieces ----------------------------------------------------------------------- */

static json_t *
jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* [[lo_ns, hi_ns, count], ...] of the non-empty buckets. */
static json_t *
hist_buckets(const struct bench_hist *h)
{
	static struct bench_hist_bucket bk[HIST_EXPORT_MAX];
	size_t n = bench_hist_export(h, bk, HIST_EXPORT_MAX);
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[III]", (json_int_t)bk[i].lo,
						   (json_int_t)bk[i].hi, (json_int_t)bk[i].count));
	return a;
}

/* The NIC stamps of a trial: what they took out of the latency, how sure it is. */
static json_t *
nic_stamps_json(const struct bench_trial_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "stamped", jint(r->hw_timestamps));
	json_object_set_new(o, "unstamped", jint(r->unstamped));
	json_object_set_new(o, "suspect", jint(r->ts_suspect));
	json_object_set_new(o, "resolution_ns", jint(b.rx_ts_res_ns));
	json_object_set_new(o, "pair_window_max_ns", jint(r->ts_pair_max_ns));
	json_object_set_new(o, "age_max_ns", jint(r->ts_age_max_ns));
	json_object_set_new(o, "age_mean_ns", jnum(r->ts_age_mean_ns));
	json_object_set_new(o, "clock_minus_tsc_first_ns",
			    json_integer((json_int_t)r->ts_offset_first_ns));
	json_object_set_new(o, "clock_minus_tsc_last_ns",
			    json_integer((json_int_t)r->ts_offset_last_ns));
	return o;
}

static json_t *
latency_json(const struct bench_trial_result *r)
{
	const struct bench_hist *h = r->lat;
	uint64_t err_ns = r->lat_error_ns;
	json_t *o = json_object();

	json_object_set_new(o, "count", jint(h->count));
	json_object_set_new(o, "min", jint(h->count > 0 ? h->min : 0));
	json_object_set_new(o, "mean", jnum(bench_hist_mean(h)));
	json_object_set_new(o, "p50", jint(bench_hist_percentile(h, 0.5)));
	json_object_set_new(o, "p90", jint(bench_hist_percentile(h, 0.9)));
	json_object_set_new(o, "p99", jint(bench_hist_percentile(h, 0.99)));
	json_object_set_new(o, "p999", jint(bench_hist_percentile(h, 0.999)));
	json_object_set_new(o, "p9999", jint(bench_hist_percentile(h, 0.9999)));
	json_object_set_new(o, "max", jint(h->max));
	json_object_set_new(o, "over", jint(h->over));
	json_object_set_new(o, "error_max_ns", jint(err_ns));
	json_object_set_new(o, "clock", json_string(b.rx_nic ? "nic" : "tsc at the poll"));
	json_object_set_new(o, "clock_why", json_string(b.rx_ts_why));
	json_object_set_new(o, "poll_gap_max_ns", jint(r->poll_gap_max_ns));
	json_object_set_new(o, "nic_stamps", b.rx_nic ? nic_stamps_json(r) : json_null());
	json_object_set_new(o, "histogram", hist_buckets(h));
	return o;
}

/* IPDV as one signed distribution: the negative side from ipdv_neg (by magnitude). */
static json_t *
jitter_json(const struct bench_jitter *j)
{
	static struct bench_hist_bucket bk[HIST_EXPORT_MAX];
	const struct bench_hist *pos = &j->ipdv_pos, *neg = &j->ipdv_neg;
	uint64_t n = pos->count + neg->count;
	json_t *ipdv = json_object(), *hist = json_array(), *o = json_object();
	size_t k;
	double p50 = 0, p99 = 0;

	/* percentiles of the signed distribution: rank r over neg (descending), then pos */
	for (unsigned int q = 0; q < 2 && n > 0; q++) {
		double frac = q == 0 ? 0.5 : 0.99;
		uint64_t rank = (uint64_t)ceil(frac * (double)n);
		double v;

		if (rank < 1)
			rank = 1;
		if (rank <= neg->count) /* the (neg->count - rank + 1)-th smallest magnitude */
			v = -(double)bench_hist_percentile(
				neg, (double)(neg->count - rank + 1) / (double)neg->count);
		else
			v = (double)bench_hist_percentile(
				pos, (double)(rank - neg->count) / (double)pos->count);
		if (q == 0)
			p50 = v;
		else
			p99 = v;
	}
	k = bench_hist_export(neg, bk, HIST_EXPORT_MAX);
	for (size_t i = k; i-- > 0;)
		json_array_append_new(hist, json_pack("[III]", -(json_int_t)bk[i].hi,
						      -(json_int_t)bk[i].lo,
						      (json_int_t)bk[i].count));
	k = bench_hist_export(pos, bk, HIST_EXPORT_MAX);
	for (size_t i = 0; i < k; i++)
		json_array_append_new(hist, json_pack("[III]", (json_int_t)bk[i].lo,
						      (json_int_t)bk[i].hi,
						      (json_int_t)bk[i].count));
	json_object_set_new(ipdv, "count", jint(n));
	json_object_set_new(ipdv, "undefined", jint(j->ipdv_undefined));
	json_object_set_new(ipdv, "p50", jnum(p50));
	json_object_set_new(ipdv, "p99", jnum(p99));
	json_object_set_new(ipdv, "min", n == 0 ? json_integer(0)
					  : neg->count > 0 ? json_integer(-(json_int_t)neg->max)
							   : jint(pos->min));
	json_object_set_new(ipdv, "max", n == 0 ? json_integer(0)
					  : pos->count > 0 ? jint(pos->max)
							   : json_integer(-(json_int_t)neg->min));
	json_object_set_new(ipdv, "histogram", hist);
	json_object_set_new(o, "rfc3550_j", jnum(j->j));
	json_object_set_new(o, "pairs", jint(j->pairs));
	json_object_set_new(o, "ipdv", ipdv);
	return o;
}

/* Log2 buckets [2^k, 2^(k+1) - 1] (bucket 0: 0 and 1); the last one open: up to max. */
static json_t *
log2_buckets(const uint64_t *h, unsigned int nb, uint64_t max)
{
	json_t *a = json_array();

	for (unsigned int k = 0; k < nb; k++) {
		uint64_t lo = k == 0 ? 0 : 1ull << k;
		uint64_t hi = k == nb - 1 ? max : (2ull << k) - 1;

		if (h[k] > 0)
			json_array_append_new(a, json_pack("[III]", (json_int_t)lo, (json_int_t)hi,
							   (json_int_t)h[k]));
	}
	return a;
}

static json_t *
xstats_obj(const struct bench_xstats *x)
{
	json_t *o = json_object();

	for (unsigned int i = 0; i < x->n; i++)
		json_object_set_new(o, x->v[i].name, jint(x->v[i].value));
	return o;
}

/* ports.xstats {tx, rx}: the non-zero changes; ports.xstats_checks; ports.xstats_agree. */
static void
xstats_json(json_t *p, const struct bench_trial_result *r)
{
	json_t *ck = json_array();

	json_object_set_new(p, "xstats",
			    r->xs_read ? json_pack("{soso}", "tx", xstats_obj(&r->xs_tx), "rx",
						   xstats_obj(&r->xs_rx))
				       : json_null());
	for (unsigned int i = 0; i < r->nb_xs_checks; i++) {
		const struct bench_xstat_check *c = &r->xs_checks[i];

		json_array_append_new(ck, json_pack("{sssssIsssIsb}", "port", c->port, "name",
						    c->name, "value", (json_int_t)c->value, "tool",
						    c->tool, "tool_value",
						    (json_int_t)c->tool_value, "agree", c->agree));
	}
	json_object_set_new(p, "xstats_checks", ck);
	json_object_set_new(p, "xstats_agree",
			    r->nb_xs_checks > 0 ? json_boolean(r->xs_agree) : json_null());
}

/* The xstats checks in words: "tx_good_packets 20000 = offered 20000: agree; ..." */
static void
xstats_text(FILE *f, const struct bench_trial_result *r)
{
	if (!r->xs_read) {
		fprintf(f, "  xstats: could not be read\n");
		return;
	}
	if (r->nb_xs_checks == 0) {
		fprintf(f, "  xstats: the PMD has neither tx_good_packets nor rx_good_packets: "
			   "not compared\n");
		return;
	}
	fprintf(f, "  xstats:");
	for (unsigned int i = 0; i < r->nb_xs_checks; i++) {
		const struct bench_xstat_check *c = &r->xs_checks[i];

		fprintf(f, "%s %s port %s %" PRIu64 ", tool %s %" PRIu64 ": %s", i > 0 ? ";" : "",
			c->port, c->name, c->value, c->tool, c->tool_value,
			c->agree ? "agree" : "DISAGREE");
	}
	fputc('\n', f);
}

/* --flow: the per-flow counts in one line. */
static void
flows_text(FILE *f, const struct bench_flows *fl, const struct bench_rx *rx)
{
	uint64_t rmin = UINT64_MAX, rmax = 0, lmin = UINT64_MAX, lmax = 0, lsum = 0;

	if (fl == NULL)
		return;
	for (unsigned int k = 0; k < fl->counted; k++) {
		const struct bench_flow_count *c = &fl->flow[k];

		rmin = RTE_MIN(rmin, c->received);
		rmax = RTE_MAX(rmax, c->received);
		lmin = RTE_MIN(lmin, c->lost);
		lmax = RTE_MAX(lmax, c->lost);
		lsum += c->lost;
	}
	lsum += fl->beyond_cap.lost;
	fprintf(f, "  flows: %u of %" PRIu64 " counted one by one%s; received per flow %" PRIu64
		   "..%" PRIu64 ", lost per flow %" PRIu64 "..%" PRIu64 ", lost in all %" PRIu64
		   " (%s the trial's %" PRIu64 ")",
		fl->counted, fl->tuples,
		fl->tuples > fl->counted ? " (capped: the rest summed)" : "",
		fl->counted > 0 ? rmin : 0, rmax, fl->counted > 0 ? lmin : 0, lmax, lsum,
		lsum == rx->lost ? "=" : "DIFFERS FROM", rx->lost);
	if (fl->unknown > 0 || fl->mismatch > 0)
		fprintf(f, "; %" PRIu64 " frames in no flow, %" PRIu64
			   " with a tuple not their number's", fl->unknown, fl->mismatch);
	fputc('\n', f);
}

static bool
all_xstats_agree(unsigned int *checked)
{
	bool ok = true;

	*checked = 0;
	for (unsigned int i = 0; i < b.nb_trials; i++) {
		*checked += b.trials[i].nb_xs_checks;
		ok = ok && b.trials[i].xs_agree;
	}
	return ok;
}

json_t *
bench_trial_json(const struct bench_trial_result *r)
{
	const struct bench_pacer_stats *st = &r->tx;
	const struct bench_rx *rx = &r->rx;
	json_t *o = json_object(), *tx = json_object(), *jr = json_object(), *p = json_object();
	uint64_t psize_max = 0;

	for (unsigned int k = 0; k < BENCH_PACER_SIZE_BUCKETS; k++)
		if (st->size_hist[k] > 0)
			psize_max = k == BENCH_PACER_SIZE_BUCKETS - 1 ? opt.burst : (2ull << k) - 1;
	json_object_set_new(o, "index", json_integer(r->index));
	json_object_set_new(o, "purpose", json_string(bench_purpose_name(r->purpose)));
	json_object_set_new(o, "frame_size", json_string(r->sizes_text));
	json_object_set_new(o, "mean_frame_bytes", jnum(r->mean_frame));
	json_object_set_new(o, "rate_pps", jnum(r->rate_pps));
	json_object_set_new(o, "duration_s", jnum(r->duration_s));
	json_object_set_new(o, "count", jint(r->count));
	json_object_set_new(o, "elapsed_s", jnum(r->elapsed_s));
	json_object_set_new(o, "stopped_by", r->stopped_by != NULL ? json_string(r->stopped_by)
								    : json_null());
	json_object_set_new(tx, "intended", jint(st->intended));
	json_object_set_new(tx, "offered", jint(st->offered));
	json_object_set_new(tx, "refused", jint(st->refused));
	json_object_set_new(tx, "skipped", jint(st->skipped));
	json_object_set_new(tx, "unsent", jint(r->unsent));
	json_object_set_new(tx, "nombuf", jint(r->nombuf));
	json_object_set_new(tx, "late", jint(st->late));
	json_object_set_new(tx, "late_max_ns",
			    jint((uint64_t)((unsigned __int128)st->late_max * 1000000000u / b.hz)));
	json_object_set_new(tx, "sends", jint(st->sends));
	json_object_set_new(tx, "gap_min_ns", jint(st->gap_min == UINT64_MAX ? 0 : st->gap_min));
	json_object_set_new(tx, "gap_max_ns", jint(st->gap_max));
	json_object_set_new(tx, "departure_gaps_ns",
			    log2_buckets(st->gap_hist, BENCH_PACER_GAP_BUCKETS, st->gap_max));
	json_object_set_new(tx, "packets_per_send",
			    log2_buckets(st->size_hist, BENCH_PACER_SIZE_BUCKETS, psize_max));
	json_object_set_new(tx, "overrun_ns", jint(r->overrun_ns));
	json_object_set_new(tx, "offered_rate_pps",
			    jnum(r->elapsed_s > 0 ? (double)st->offered / r->elapsed_s : 0.0));
	json_object_set_new(o, "tx", tx);
	json_object_set_new(jr, "received", jint(rx->received));
	json_object_set_new(jr, "lost", jint(rx->lost));
	json_object_set_new(jr, "late", jint(rx->late));
	json_object_set_new(jr, "duplicate", jint(rx->duplicate));
	json_object_set_new(jr, "reordered", jint(rx->reordered));
	json_object_set_new(jr, "reorder_max", jint(rx->reorder_max));
	json_object_set_new(jr, "too_old", jint(rx->too_old));
	json_object_set_new(jr, "invalid", jint(rx->invalid));
	json_object_set_new(jr, "unsigned", jint(r->unsigned_frames));
	json_object_set_new(jr, "other_stream", jint(r->other_stream));
	json_object_set_new(jr, "model_dropped", jint(r->model_dropped));
	json_object_set_new(jr, "hw_timestamps", jint(r->hw_timestamps));
	json_object_set_new(jr, "polls", jint(r->polls));
	json_object_set_new(jr, "throttle_us", jint(r->rx_throttle_us));
	json_object_set_new(jr, "account_consistent", json_boolean(r->account_consistent));
	json_object_set_new(o, "rx", jr);
	json_object_set_new(o, "loss_ratio", jnum(r->loss_ratio));
	json_object_set_new(o, "forwarding_rate_pps", jnum(r->forwarding_rate_pps));
	json_object_set_new(o, "generator_limited", json_boolean(r->generator_limited));
	json_object_set_new(o, "latency_ns", latency_json(r));
	json_object_set_new(o, "jitter_ns", jitter_json(r->jit));
	json_object_set_new(p, "tx_opackets", jint(r->port_tx_opackets));
	json_object_set_new(p, "tx_oerrors", jint(r->port_tx_oerrors));
	json_object_set_new(p, "rx_ipackets", jint(r->port_rx_ipackets));
	json_object_set_new(p, "rx_imissed", jint(r->port_rx_imissed));
	json_object_set_new(p, "rx_ierrors", jint(r->port_rx_ierrors));
	json_object_set_new(p, "rx_nombuf", jint(r->port_rx_nombuf));
	json_object_set_new(p, "agree", json_boolean(r->port_counters_agree));
	xstats_json(p, r);
	json_object_set_new(o, "ports", p);
	json_object_set_new(o, "traffic", traffic_trial_json(r)); /* traffic.c */
	json_object_set_new(o, "flows", traffic_flows_json(r->flows));
	return o;
}

static json_t *
rate_or_null(const char *text)
{
	return text != NULL ? json_string(text) : json_null();
}

static json_t *
config_json(void)
{
	json_t *o = json_object(), *lr = json_array(), *fs = json_array();

	for (unsigned int i = 0; i < opt.nb_loss; i++)
		json_array_append_new(lr, jnum(opt.loss_ratio[i]));
	for (unsigned int i = 0; i < opt.nb_frame_sizes; i++)
		json_array_append_new(fs, json_integer(opt.frame_sizes[i]));
	json_object_set_new(o, "rate", rate_or_null(opt.rate_text));
	json_object_set_new(o, "rate_pps", jnum(b.rate_pps));
	json_object_set_new(o, "frame_size", json_string(opt.sizes_text));
	json_object_set_new(o, "mean_frame_bytes", jnum(b.mean_frame));
	json_object_set_new(o, "duration_s", jnum((double)opt.duration_ns / 1e9));
	json_object_set_new(o, "drain_s", jnum((double)opt.drain_ns / 1e9));
	json_object_set_new(o, "tmax_s", jnum((double)opt.tmax_ns / 1e9));
	json_object_set_new(o, "burst", jint(opt.burst));
	json_object_set_new(o, "throttle_us", jint(opt.throttle_us));
	json_object_set_new(o, "rx_throttle_us", jint(opt.rx_throttle_us));
	json_object_set_new(o, "tx_port", jint(opt.tx_port));
	json_object_set_new(o, "rx_port", jint(opt.rx_port));
	json_object_set_new(o, "link_bps", jint(b.link_bps));
	json_object_set_new(o, "streams", json_integer(1));
	json_object_set_new(o, "traffic", traffic_config_json()); /* traffic.c */
	json_object_set_new(o, "pattern", pattern_config_json()); /* pattern.c */
	json_object_set_new(o, "loss_ratios", lr);
	json_object_set_new(o, "exceed_ratio", jnum(opt.exceed_ratio));
	json_object_set_new(o, "goal_width", jnum(opt.goal_width));
	json_object_set_new(o, "initial_duration_s", jnum((double)opt.initial_duration_ns / 1e9));
	json_object_set_new(o, "duration_sum_s", jnum((double)opt.duration_sum_ns / 1e9));
	json_object_set_new(o, "max_load", rate_or_null(opt.max_load_text));
	json_object_set_new(o, "max_load_pps", jnum(b.max_load_pps));
	json_object_set_new(o, "min_load", rate_or_null(opt.min_load_text));
	json_object_set_new(o, "min_load_pps", jnum(b.min_load_pps));
	json_object_set_new(o, "max_trials", jint(opt.max_trials));
	json_object_set_new(o, "frame_sizes", fs);
	json_object_set_new(o, "b2b_max_frames", jint(opt.b2b_max));
	json_object_set_new(o, "b2b_trials", jint(opt.b2b_trials));
	json_object_set_new(o, "floor_rate", rate_or_null(opt.floor_rate_text));
	json_object_set_new(o, "rx_capacity_pps", jint(opt.rx_capacity_pps));
	json_object_set_new(o, "csv", opt.csv_dir != NULL ? json_string(opt.csv_dir) : json_null());
	json_object_set_new(o, "control",
			    opt.control_path != NULL ? json_string(opt.control_path) : json_null());
	return o;
}

static json_t *
calibration_json(void)
{
	const struct bench_calibration *c = &b.cal;
	json_t *o, *fl, *tt;

	if (!c->present)
		return json_null();
	o = json_object();
	fl = json_pack("{sIsIsI}", "min", (json_int_t)c->floor_min_ns, "p50",
		       (json_int_t)c->floor_p50_ns, "p99", (json_int_t)c->floor_p99_ns);
	json_object_set_new(o, "latency_floor_ns", fl);
	json_object_set_new(o, "top_rate_pps", jnum(c->top_rate_pps));
	json_object_set_new(o, "top_rate_reached_link", json_boolean(c->top_rate_reached));
	json_object_set_new(o, "floor_rate_pps", jnum(c->floor_rate_pps));
	json_object_set_new(o, "measured", json_string(c->measured));
	if (strcmp(c->measured, "now") == 0) {
		tt = json_array();
		for (unsigned int i = 0; i < c->nb_top_trials; i++)
			json_array_append_new(tt, json_integer(c->top_trials[i]));
		json_object_set_new(o, "floor_trial", json_integer(c->floor_trial));
		json_object_set_new(o, "top_rate_trials", tt);
	}
	return o;
}

static json_t *
self_checks_json(void)
{
	const char *how;
	bool inv = bench_tsc_invariant(&how);
	json_t *o = json_object();

	json_object_set_new(o, "tsc_invariant", json_boolean(inv));
	json_object_set_new(o, "tsc_invariant_from", json_string(how));
	json_object_set_new(o, "tsc_hz", jint(b.hz));
	json_object_set_new(o, "tsc_drift_ppm", jnum(tsc_drift_ppm()));
	json_object_set_new(o, "tsc_drift_interval_s", jnum(clock_interval_s()));
	json_object_set_new(o, "port_counters_agree", json_boolean(all_ports_agree()));
	{
		unsigned int n;
		bool ok = all_xstats_agree(&n);

		static const char *const modes[] = { "auto", "nic", "tsc" };
		static const char *const clocks[] = { NULL, "device", "realtime_us" };
		json_t *ts = json_object();

		json_object_set_new(ts, "mode", json_string(modes[opt.rx_ts_mode]));
		json_object_set_new(ts, "offered", json_boolean(b.rx_ts_offered));
		json_object_set_new(ts, "used", json_boolean(b.rx_nic));
		json_object_set_new(ts, "why", json_string(b.rx_ts_why));
		json_object_set_new(ts, "clock", b.rx_ts_offered && clocks[b.rx_ts.clock] != NULL
							 ? json_string(clocks[b.rx_ts.clock])
							 : json_null());
		json_object_set_new(ts, "clock_hz", b.rx_nic ? jint(b.rx_ts_hz) : json_null());
		json_object_set_new(ts, "resolution_ns",
				    b.rx_nic ? jint(b.rx_ts_res_ns) : json_null());
		json_object_set_new(o, "rx_timestamp", ts);
		json_object_set_new(o, "xstats_agree", n > 0 ? json_boolean(ok) : json_null());
		json_object_set_new(o, "xstats_checked", json_integer(n));
	}
	return o;
}

/* The indices of the search trials measured at load. */
static json_t *
trials_at(const struct bench_search_out *s, double load)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < s->nb_trials; i++)
		if (b.trials[s->trial[i]].rate_pps == load)
			json_array_append_new(a, json_integer(s->trial[i]));
	return a;
}

static json_t *
search_json(const struct bench_search_out *s)
{
	json_t *o = json_object(), *goals = json_array();

	for (unsigned int g = 0; g < s->conf.nb_goals; g++) {
		const struct bench_search_goal *gl = &s->conf.goals[g];
		const struct bench_search_result *r = &s->res[g];
		json_t *j = json_object();

		json_object_set_new(j, "loss_ratio", jnum(gl->loss_ratio));
		json_object_set_new(j, "exceed_ratio", jnum(gl->exceed_ratio));
		json_object_set_new(j, "width", jnum(gl->width));
		json_object_set_new(j, "initial_duration_s", jnum(gl->initial_duration));
		json_object_set_new(j, "final_duration_s", jnum(gl->final_duration));
		json_object_set_new(j, "duration_sum_s", jnum(gl->duration_sum));
		json_object_set_new(j, "result", json_string(r->regular ? "regular" : "irregular"));
		json_object_set_new(j, "lower_bound_pps",
				    r->has_lower ? jnum(r->lower) : json_null());
		json_object_set_new(j, "upper_bound_pps",
				    r->has_upper ? jnum(r->upper) : json_null());
		json_object_set_new(j, "conditional_throughput_pps",
				    r->has_lower ? jnum(r->conditional_throughput) : json_null());
		json_object_set_new(j, "lower_bound_trials",
				    r->has_lower ? trials_at(s, r->lower) : json_array());
		json_object_set_new(j, "upper_bound_trials",
				    r->has_upper ? trials_at(s, r->upper) : json_array());
		json_object_set_new(j, "lower_bound_low_loss_s", jnum(r->lower_low_loss_s));
		json_object_set_new(j, "lower_bound_high_loss_s", jnum(r->lower_high_loss_s));
		json_object_set_new(j, "lower_bound_short_s", jnum(r->lower_short_s));
		json_object_set_new(j, "missing",
				    json_string(r->regular ? "none"
						: !r->has_lower && !r->has_upper ? "both bounds"
						: !r->has_lower ? "lower bound"
						: !r->has_upper ? "upper bound"
								: "width not reached"));
		json_array_append_new(goals, j);
	}
	json_object_set_new(o, "goals", goals);
	json_object_set_new(o, "max_load_pps", jnum(s->max_load));
	json_object_set_new(o, "min_load_pps", jnum(s->min_load));
	json_object_set_new(o, "trials_used", json_integer(s->nb_trials));
	json_object_set_new(o, "exhausted", json_boolean(s->exhausted));
	json_object_set_new(o, "stopped", json_boolean(s->stopped));
	json_object_set_new(o, "generator_limited", json_boolean(s->generator_limited));
	json_object_set_new(o, "generator_limit_pps",
			    s->generator_limited ? jnum(s->generator_limit_pps) : json_null());
	return o;
}

static json_t *
rfc2544_json(void)
{
	json_t *o = json_object(), *sizes = json_array();

	for (unsigned int i = 0; i < b.nb_rfc; i++) {
		const struct bench_rfc2544_size *z = &b.rfc[i];
		json_t *j = json_object(), *fl = json_array(), *bb, *bt = json_array();

		json_object_set_new(j, "frame_size", json_integer(z->frame_size));
		json_object_set_new(j, "throughput_pps",
				    z->have_throughput ? jnum(z->throughput_pps) : json_null());
		json_object_set_new(j, "throughput_trials",
				    z->have_throughput && z->search.res[0].has_lower
					    ? trials_at(&z->search, z->throughput_pps)
					    : json_array());
		json_object_set_new(j, "throughput_search",
				    z->have_throughput ? search_json(&z->search) : json_null());
		if (z->have_latency) {
			const struct bench_trial_result *r = &b.trials[z->latency_trial];

			json_object_set_new(j, "latency_ns",
					    latency_json(r));
			json_object_set_new(j, "latency_trial", json_integer(z->latency_trial));
		} else {
			json_object_set_new(j, "latency_ns", json_null());
			json_object_set_new(j, "latency_trial", json_null());
		}
		for (unsigned int k = 0; k < z->nb_loss_points; k++)
			json_array_append_new(fl,
					      json_pack("{sIsosos I}", "load_percent",
							(json_int_t)z->loss[k].percent, "rate_pps",
							jnum(z->loss[k].rate_pps), "loss_ratio",
							jnum(z->loss[k].loss_ratio), "trial",
							(json_int_t)z->loss[k].trial));
		json_object_set_new(j, "frame_loss", fl);
		for (unsigned int k = 0; k < z->nb_b2b_trials; k++)
			json_array_append_new(bt, json_integer(z->b2b_trials[k]));
		if (z->have_b2b)
			bb = json_pack("{sIsosb}", "burst_frames", (json_int_t)z->b2b_frames,
				       "trials", bt, "generator_limited", z->b2b_generator_limited);
		else
			bb = json_pack("{snsosb}", "burst_frames", "trials", bt,
				       "generator_limited", z->b2b_generator_limited);
		json_object_set_new(j, "back_to_back", bb);
		json_object_set_new(j, "skipped", z->skipped != NULL ? json_string(z->skipped)
								      : json_null());
		json_array_append_new(sizes, j);
	}
	json_object_set_new(o, "frame_sizes", sizes);
	return o;
}

static json_t *
port_json(uint16_t id, const struct rte_eth_stats *s)
{
	return json_pack("{sIsIsIsIsIsIsI}", "index", (json_int_t)id, "opackets",
			 (json_int_t)s->opackets, "ipackets", (json_int_t)s->ipackets, "imissed",
			 (json_int_t)s->imissed, "ierrors", (json_int_t)s->ierrors, "oerrors",
			 (json_int_t)s->oerrors, "rx_nombuf", (json_int_t)s->rx_nombuf);
}

/* app_pools_json() writes to a FILE: read it back as JSON. */
static json_t *
pools_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	json_t *j = NULL;

	if (m == NULL)
		return json_null();
	app_pools_json(m);
	fclose(m);
	j = json_loads(buf, 0, NULL);
	free(buf);
	return j != NULL ? j : json_null();
}

int
bench_output_json(FILE *f)
{
	json_t *o = json_object(), *trials = json_array(), *ports;
	const char *stopped = b.ctl.stop_reason != NULL ? b.ctl.stop_reason : "done";
	int ret;

	for (unsigned int i = 0; i < b.nb_trials; i++)
		json_array_append_new(trials, bench_trial_json(&b.trials[i]));
	ports = json_pack("{soso}", "tx", port_json(b.tx_ethdev, &b.port_st[0]), "rx",
			  port_json(b.rx_ethdev, &b.port_st[1]));
	json_object_set_new(o, "schema", json_string("lcx-bench"));
	json_object_set_new(o, "schema_version", json_integer(BENCH_SCHEMA_VERSION));
	json_object_set_new(o, "mode", json_string(opt.mode_name));
	json_object_set_new(o, "stopped_by", json_string(stopped));
	json_object_set_new(o, "config", config_json());
	json_object_set_new(o, "calibration", calibration_json());
	json_object_set_new(o, "self_checks", self_checks_json());
	json_object_set_new(o, "trials", trials);
	json_object_set_new(o, "search",
			    opt.mode == BENCH_MODE_SEARCH ? search_json(&b.search) : json_null());
	json_object_set_new(o, "rfc2544", opt.mode == BENCH_MODE_RFC2544 ? rfc2544_json()
									 : json_null());
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "mbuf_pools", pools_json());
	ret = json_dumpf(o, f, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(o);
	if (ret < 0 || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

/* ---- text ------------------------------------------------------------------------------ */

static void
trial_text(FILE *f, const struct bench_trial_result *r, bool full)
{
	const struct bench_pacer_stats *st = &r->tx;
	const struct bench_rx *rx = &r->rx;
	const struct bench_hist *h = r->lat;

	if (!full) {
		fprintf(
		    f,
		    "  trial %3u %-12s %5s B  %12.1f pps  %s %.3f s: offered %" PRIu64
		    "  received %" PRIu64 "  lost %" PRIu64 "  loss ratio %.6g  p50 %.1f us%s%s\n",
		    r->index, bench_purpose_name(r->purpose), r->sizes_text, r->rate_pps,
		    r->count > 0 ? "burst" : "for", r->count > 0 ? 0.0 : r->elapsed_s, st->offered,
		    rx->received, rx->lost, r->loss_ratio, us(bench_hist_percentile(h, 0.5)),
		    r->rx_busy && b.rx_nic ? "  receiver throttle kept (a latency trial: NIC "
					     "stamps, no need of throttle 0)"
					   : "",
		    r->generator_limited ? "  GENERATOR-LIMITED" : "");
		return;
	}
	fprintf(f, "  tx   intended %" PRIu64 "  offered %" PRIu64 "  refused %" PRIu64
		   "  skipped %" PRIu64 "  unsent %" PRIu64 "  late %" PRIu64 "\n",
		st->intended, st->offered, st->refused, st->skipped, r->unsent, st->late);
	fprintf(f, "  rx   received %" PRIu64 "  lost %" PRIu64 "  late %" PRIu64
		   "  duplicate %" PRIu64 "  reordered %" PRIu64 "  unsigned %" PRIu64
		   "  other stream %" PRIu64 "\n",
		rx->received, rx->lost, rx->late, rx->duplicate, rx->reordered,
		r->unsigned_frames, r->other_stream);
	if (b.rx_nic)
		fprintf(f, "  latency (us)  min %.3f  p50 %.3f  p99 %.3f  p99.9 %.3f  p99.99 %.3f  "
			   "max %.3f  (NIC stamps: each within %.3f)\n",
			us(h->count > 0 ? h->min : 0), us(bench_hist_percentile(h, 0.5)),
			us(bench_hist_percentile(h, 0.99)), us(bench_hist_percentile(h, 0.999)),
			us(bench_hist_percentile(h, 0.9999)), us(h->max), us(r->lat_error_ns));
	else
		fprintf(f, "  latency (us)  min %.3f  p50 %.3f  p99 %.3f  p99.9 %.3f  p99.99 %.3f  "
			   "max %.3f  (+ up to %.3f: the poll gap)\n",
			us(h->count > 0 ? h->min : 0), us(bench_hist_percentile(h, 0.5)),
			us(bench_hist_percentile(h, 0.99)), us(bench_hist_percentile(h, 0.999)),
			us(bench_hist_percentile(h, 0.9999)), us(h->max), us(r->poll_gap_max_ns));
	if (b.rx_nic)
		fprintf(f, "  rx stamps  stamped %" PRIu64 "  unstamped %" PRIu64 " (no latency)  "
			   "suspect %" PRIu64 "  wait before the poll mean %.3f max %.3f us (not in "
			   "the latency)  receiver throttle %" PRIu64 " us%s\n",
			r->hw_timestamps, r->unstamped, r->ts_suspect, r->ts_age_mean_ns / 1000.0,
			us(r->ts_age_max_ns), r->rx_throttle_us,
			r->rx_busy ? " (a latency trial: NIC stamps, no need of throttle 0)" : "");
	if (b.cal.present)
		fprintf(f, "  latency above the calibration floor (us)  min %.3f  p50 %.3f  p99 %.3f\n",
			us(h->count > 0 ? h->min : 0) - us(b.cal.floor_min_ns),
			us(bench_hist_percentile(h, 0.5)) - us(b.cal.floor_p50_ns),
			us(bench_hist_percentile(h, 0.99)) - us(b.cal.floor_p99_ns));
	fprintf(f, "  jitter (us)  RFC 3550 J %.3f  IPDV pairs %" PRIu64 "\n", r->jit->j / 1000.0,
		r->jit->ipdv_pos.count + r->jit->ipdv_neg.count);
	fprintf(f, "  pattern sent: %" PRIu64 " sends, gaps %.3f..%.3f us\n", st->sends,
		us(st->gap_min == UINT64_MAX ? 0 : st->gap_min), us(st->gap_max));
	xstats_text(f, r);
	flows_text(f, r->flows, &r->rx);
	if (r->generator_limited)
		fprintf(f, "  GENERATOR-LIMITED: offered differs from intended by more than 0.1%% "
			   "or packets were refused: this trial measured the generator\n");
}

static void
search_text(FILE *f, const struct bench_search_out *s, const char *indent)
{
	for (unsigned int g = 0; g < s->conf.nb_goals; g++) {
		const struct bench_search_result *r = &s->res[g];

		fprintf(f, "%sgoal loss %.6g exceed %.3g width %.3g: %s", indent,
			s->conf.goals[g].loss_ratio, s->conf.goals[g].exceed_ratio,
			s->conf.goals[g].width, r->regular ? "regular" : "IRREGULAR");
		if (r->has_lower)
			fprintf(f, "  lower %.1f pps (%u trials)", r->lower, r->lower_trials);
		else
			fprintf(f, "  no lower bound");
		if (r->has_upper)
			fprintf(f, "  upper %.1f pps (%u trials)", r->upper, r->upper_trials);
		else
			fprintf(f, "  no upper bound");
		if (r->has_lower)
			fprintf(f, "  conditional throughput %.1f pps", r->conditional_throughput);
		fputc('\n', f);
	}
	fprintf(f, "%s%u trials given to the search%s%s\n", indent, s->nb_trials,
		s->exhausted ? ", --max-trials reached" : "",
		s->stopped ? ", stopped before the end" : "");
	if (s->generator_limited)
		fprintf(f, "%sGENERATOR-LIMITED: the generator could not offer %.1f pps (twice): "
			   "the search stopped there; the device was not measured above it\n",
			indent, s->generator_limit_pps);
}

void
bench_output_text(FILE *f)
{
	const char *stopped = b.ctl.stop_reason != NULL ? b.ctl.stop_reason : "done";
	const char *how;
	bool inv = bench_tsc_invariant(&how);

	if (opt.mode == BENCH_MODE_RUN && b.nb_trials == 1) {
		const struct bench_trial_result *r = &b.trials[0];

		fprintf(f, "%s run: %s (%.0f pps), frames %s (mean %.1f bytes), %.3f s + drain "
			   "%.3f s, stopped by %s\n",
			prog, opt.rate_text != NULL ? opt.rate_text : "the file's timing", b.rate_pps,
			opt.sizes_text, b.mean_frame, r->elapsed_s, (double)opt.drain_ns / 1e9,
			stopped);
		traffic_text(f, r);
		pattern_text(f);
		trial_text(f, r, true);
	} else {
		fprintf(f, "%s %s: %u trials, stopped by %s\n", prog, opt.mode_name, b.nb_trials,
			stopped);
		pattern_text(f);
		for (unsigned int i = 0; i < b.nb_trials; i++)
			trial_text(f, &b.trials[i], false);
	}
	if (opt.mode == BENCH_MODE_SEARCH) {
		fprintf(f, "search (MLRsearch, RFC 9971) over %.1f..%.1f pps:\n", b.search.min_load,
			b.search.max_load);
		search_text(f, &b.search, "  ");
	}
	for (unsigned int i = 0; i < b.nb_rfc; i++) {
		const struct bench_rfc2544_size *z = &b.rfc[i];

		fprintf(f, "rfc2544 %u B:\n", z->frame_size);
		if (z->have_throughput) {
			fprintf(f, "  throughput (26.1): ");
			if (z->search.res[0].has_lower)
				fprintf(f, "%.1f pps\n", z->throughput_pps);
			else
				fprintf(f, "none found\n");
			search_text(f, &z->search, "    ");
		}
		if (z->have_latency) {
			const struct bench_hist *h = b.trials[z->latency_trial].lat;

			fprintf(f,
				"  latency (26.2) at %.1f pps: min %.3f p50 %.3f p99 %.3f max %.3f "
				"us\n",
				z->throughput_pps, us(h->count > 0 ? h->min : 0),
				us(bench_hist_percentile(h, 0.5)),
				us(bench_hist_percentile(h, 0.99)), us(h->max));
		}
		for (unsigned int k = 0; k < z->nb_loss_points; k++)
			fprintf(f, "  frame loss (26.3) %3u%%  %.1f pps: loss ratio %.6g\n",
				z->loss[k].percent, z->loss[k].rate_pps, z->loss[k].loss_ratio);
		if (z->have_b2b)
			fprintf(f, "  back-to-back (26.4): %" PRIu64 " frames (%u trials)%s\n",
				z->b2b_frames, z->nb_b2b_trials,
				z->b2b_generator_limited ? ", GENERATOR-LIMITED" : "");
		if (z->skipped != NULL)
			fprintf(f, "  not done: %s\n", z->skipped);
	}
	if (b.cal.present)
		fprintf(f, "calibration (%s): latency floor min %.3f p50 %.3f p99 %.3f us at %.0f "
			   "pps; generator top rate %.1f pps%s\n",
			b.cal.measured, us(b.cal.floor_min_ns), us(b.cal.floor_p50_ns),
			us(b.cal.floor_p99_ns), b.cal.floor_rate_pps, b.cal.top_rate_pps,
			b.cal.top_rate_reached ? " (the link's rate: not the limit)" : "");
	else
		fprintf(f,
			"calibration: none given (--calibration=FILE from MODE calibrate): the "
			"tool's own latency floor and top rate are not known for these figures\n");
	fprintf(f, "self-checks: TSC %s (%s), %.0f Hz, drift %.3f ppm against "
		   "CLOCK_MONOTONIC_RAW over %.3f s; port counters %s the tool's\n",
		inv ? "invariant" : "NOT INVARIANT", how, (double)b.hz, tsc_drift_ppm(),
		clock_interval_s(), all_ports_agree() ? "agree with" : "DISAGREE with");
	{
		unsigned int n;
		bool ok = all_xstats_agree(&n);

		if (b.rx_nic)
			fprintf(f, "self-checks: latency clock: the rx port's stamps (%s)\n",
				b.rx_ts_why);
		else
			fprintf(f, "self-checks: latency clock: the TSC at the poll (%s)\n",
				b.rx_ts_why);
		if (n > 0)
			fprintf(f, "self-checks: xstats (tx_good_packets, rx_good_packets) %s the "
				   "tool's counts (%u comparisons)\n",
				ok ? "agree with" : "DISAGREE with", n);
		else
			fprintf(f, "self-checks: xstats: the ports have no tx_good_packets nor "
				   "rx_good_packets: not compared\n");
	}
}
