/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's modes: each a loop of trials (trial.c), run by the driver thread, which
 * asks the control context to stop when the mode is done. The live line.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include <lcx/context.h>

#include "applog.h"
#include "bench.h"
#include "traffic.h"

/* MODE run: one trial at --rate for --duration. */
static void
mode_run(void)
{
	struct bench_trial_req req = {
		.purpose = BENCH_P_RUN,
		.sizes_text = opt.sizes_text,
		.sizes = &opt.sizes,
		.rate_pps = b.rate_pps,
		.duration_ns = opt.duration_ns,
	};

	traffic_trial_req(&req, opt.duration_set);
	bench_trial_run(&req);
	b.done_reason = "duration";
}

static bool
trial_excluded(struct bench_trial_result *r)
{
	return r->stopped_by != NULL || r->generator_limited;
}

/*
 * MLRsearch (RFC 9971) with search.c as the Controller and bench_trial_run() as the
 * Measurer. A generator-limited trial is never given to the search as the device's loss:
 * it is run once more (a passing preemption), and if the generator is limited again the
 * search stops there, saying the generator's top rate was reached at that load.
 * Recorded: sent = offered, lost = lost + late (RFC 7680: late beyond Tmax is lost).
 */
static void
search_run(struct bench_search_out *so, enum bench_purpose purpose, const char *sizes_text,
	   const struct bench_sizes *sizes, const double *loss, unsigned int nb_loss,
	   double exceed, double max_load, double min_load)
{
	struct bench_search *s = NULL;
	int ret;

	memset(so, 0, sizeof(*so));
	so->conf.nb_goals = nb_loss;
	for (unsigned int g = 0; g < nb_loss; g++)
		so->conf.goals[g] = (struct bench_search_goal){
			.loss_ratio = loss[g],
			.exceed_ratio = exceed,
			.final_duration = (double)opt.duration_ns / 1e9,
			.duration_sum = (double)opt.duration_sum_ns / 1e9,
			.initial_duration = (double)opt.initial_duration_ns / 1e9,
			.width = opt.goal_width,
		};
	so->conf.min_load = min_load;
	so->conf.max_load = max_load;
	so->conf.max_trials = (unsigned int)opt.max_trials;
	so->max_load = max_load;
	so->min_load = min_load;
	so->trial = calloc(opt.max_trials + 1, sizeof(*so->trial));
	if (so->trial == NULL)
		die(1, "out of memory (search)");
	ret = bench_search_create(&so->conf, &s);
	if (ret < 0)
		die(EXIT_USAGE, "search: the goals or loads are out of range (%s): loads %.3f.."
				"%.3f pps", strerror(-ret), min_load, max_load);
	while (!bench_stopping()) {
		double load, dur;
		struct bench_trial_req req = { .purpose = purpose, .sizes_text = sizes_text,
					       .sizes = sizes };
		struct bench_trial_result *r;

		if (bench_search_next(s, &load, &dur) != 1)
			break;
		req.rate_pps = load;
		req.duration_ns = (uint64_t)(dur * 1e9 + 0.5);
		r = bench_trial_run(&req);
		if (r->generator_limited && r->stopped_by == NULL) {
			app_log_raw(APP_LOG_WARNING, "%s: trial %u at %.1f pps was generator-limited: run again", prog,
				r->index, load);
			r = bench_trial_run(&req);
			if (r->generator_limited && r->stopped_by == NULL) {
				so->generator_limited = true;
				so->generator_limit_pps = load;
				app_log_raw(APP_LOG_WARNING, "%s: trial %u at %.1f pps was generator-limited again: "
					"the search stops (the generator's top rate is below "
					"this load; give --max-load below it)",
					prog, r->index, load);
				break;
			}
		}
		if (trial_excluded(r)) {
			so->stopped = true;
			break;
		}
		ret = bench_search_record(s, load, dur, r->tx.offered, r->rx.lost + r->rx.late);
		if (ret < 0) {
			app_log_raw(APP_LOG_ERR, "%s: search: trial %u not recorded: %s", prog, r->index,
				strerror(-ret));
			break;
		}
		so->trial[so->nb_trials++] = r->index;
	}
	if (bench_stopping())
		so->stopped = true;
	so->exhausted = bench_search_exhausted(s);
	for (unsigned int g = 0; g < so->conf.nb_goals; g++)
		bench_search_result(s, g, &so->res[g]);
	bench_search_destroy(s);
}

/* MODE search. */
static void
mode_search(void)
{
	search_run(&b.search, BENCH_P_SEARCH, opt.sizes_text, &opt.sizes, opt.loss_ratio,
		   opt.nb_loss, opt.exceed_ratio, b.max_load_pps, b.min_load_pps);
	b.done_reason = "done";
}

/* RFC 2544 26.4: the longest burst at the max load (minimum gap) with no loss. */
static void
rfc2544_b2b(struct bench_rfc2544_size *z, double max_load)
{
	struct bench_trial_req req = { .purpose = BENCH_P_BACK_TO_BACK, .sizes_text = z->size_text,
				       .sizes = &z->sizes, .rate_pps = max_load };
	const unsigned int cap = (unsigned int)RTE_DIM(z->b2b_trials);
	uint64_t lo = 0, hi = opt.b2b_max + 1; /* lo passed (0: none yet), hi failed */
	uint64_t n = opt.b2b_max;

	while (!bench_stopping() && z->nb_b2b_trials < cap) {
		struct bench_trial_result *r;

		req.count = n;
		r = bench_trial_run(&req);
		z->b2b_trials[z->nb_b2b_trials++] = r->index;
		if (r->stopped_by != NULL)
			return;
		if (r->generator_limited)
			z->b2b_generator_limited = true;
		if (r->rx.lost + r->rx.late == 0)
			lo = n;
		else
			hi = n;
		if (hi - lo <= 1)
			break;
		n = lo + (hi - lo) / 2;
	}
	/* the longest burst found, again --b2b-trials - 1 times (RFC 2544 asks for 50) */
	for (uint64_t k = 1; k < opt.b2b_trials && lo > 0 && !bench_stopping() &&
			     z->nb_b2b_trials < cap; k++) {
		struct bench_trial_result *r;

		req.count = lo;
		r = bench_trial_run(&req);
		z->b2b_trials[z->nb_b2b_trials++] = r->index;
		if (r->generator_limited)
			z->b2b_generator_limited = true;
	}
	z->have_b2b = hi - lo <= 1;
	z->b2b_frames = lo;
}

/* MODE rfc2544: RFC 2544 section 26 over --frame-sizes. */
static void
mode_rfc2544(void)
{
	static const double zero = 0;

	b.rfc = calloc(opt.nb_frame_sizes, sizeof(*b.rfc));
	if (b.rfc == NULL)
		die(1, "out of memory");
	b.done_reason = "done";
	for (unsigned int i = 0; i < opt.nb_frame_sizes && !bench_stopping(); i++) {
		struct bench_rfc2544_size *z = &b.rfc[i];
		double max_load, min_load;
		char err[128];
		unsigned int zero_loss = 0;

		b.nb_rfc = i + 1;
		z->frame_size = opt.frame_sizes[i];
		snprintf(z->size_text, sizeof(z->size_text), "%u", z->frame_size);
		if (bench_parse_sizes(z->size_text, BENCH_SIG_MIN_FRAME_V4, &z->sizes, err,
				      sizeof(err)) < 0)
			die(1, "rfc2544: frame size %s: %s", z->size_text, err);
		max_load = bench_max_load_for(z->frame_size);
		min_load = bench_min_load_for(z->frame_size, max_load);
		/* 26.1 throughput: the highest load with no loss (an MLRsearch, goal loss 0) */
		search_run(&z->search, BENCH_P_THROUGHPUT, z->size_text, &z->sizes, &zero, 1, 0,
			   max_load, min_load);
		z->have_throughput = true;
		if (z->search.res[0].has_lower)
			z->throughput_pps = z->search.res[0].lower;
		if (bench_stopping())
			break;
		/* 26.2 latency at the throughput, the receiver busy polling */
		if (z->search.res[0].has_lower) {
			const struct bench_trial_req req = {
				.purpose = BENCH_P_LATENCY, .sizes_text = z->size_text,
				.sizes = &z->sizes, .rate_pps = z->throughput_pps,
				.duration_ns = opt.duration_ns, .rx_busy = true,
			};
			struct bench_trial_result *r = bench_trial_run(&req);

			z->have_latency = true;
			z->latency_trial = r->index;
		} else {
			z->skipped = "latency: no throughput found (no load without loss)";
		}
		/* 26.3 frame loss rate: 100% of the max load down in 10% steps until two
		 * successive trials without loss */
		for (unsigned int pct = 100; pct >= 10 && zero_loss < 2 && !bench_stopping();
		     pct -= 10) {
			const struct bench_trial_req req = {
				.purpose = BENCH_P_FRAME_LOSS, .sizes_text = z->size_text,
				.sizes = &z->sizes, .rate_pps = max_load * pct / 100.0,
				.duration_ns = opt.duration_ns,
			};
			struct bench_trial_result *r = bench_trial_run(&req);
			struct bench_frame_loss_point *pt = &z->loss[z->nb_loss_points++];

			pt->percent = pct;
			pt->rate_pps = req.rate_pps;
			pt->trial = r->index;
			/* RFC 2544 26.3: ((input - output) * 100) / input */
			pt->loss_ratio = r->tx.offered > 0 ? (double)(r->rx.lost + r->rx.late) /
								     (double)r->tx.offered
							   : 0;
			zero_loss = r->rx.lost + r->rx.late == 0 ? zero_loss + 1 : 0;
		}
		if (bench_stopping())
			break;
		/* 26.4 back-to-back */
		rfc2544_b2b(z, max_load);
	}
}

/* MODE calibrate: the latency floor at --floor-rate (receiver busy), then the
 * generator's top rate: the max load if it is offered without a limit, else a
 * bisection between the floor rate and it to --goal-width, at most --max-trials. */
static void
mode_calibrate(void)
{
	struct bench_calibration *c = &b.cal;
	struct bench_trial_req req = { .purpose = BENCH_P_CALIBRATE, .sizes_text = opt.sizes_text,
				       .sizes = &opt.sizes, .duration_ns = opt.duration_ns };
	struct bench_trial_result *r;
	double lo, hi;
	const unsigned int cap = (unsigned int)RTE_DIM(c->top_trials);

	b.done_reason = "done";
	req.rate_pps = b.floor_rate_pps;
	req.rx_busy = true;
	r = bench_trial_run(&req);
	c->present = true;
	c->measured = "now";
	c->floor_trial = r->index;
	c->floor_rate_pps = b.floor_rate_pps;
	c->floor_min_ns = r->lat->count > 0 ? r->lat->min : 0;
	c->floor_p50_ns = bench_hist_percentile(r->lat, 0.5);
	c->floor_p99_ns = bench_hist_percentile(r->lat, 0.99);
	if (r->stopped_by != NULL)
		return;
	lo = r->generator_limited ? 0 : b.floor_rate_pps;
	hi = b.max_load_pps;
	req.rx_busy = false;
	req.rate_pps = hi;
	while (!bench_stopping() && c->nb_top_trials < cap &&
	       c->nb_top_trials < opt.max_trials) {
		r = bench_trial_run(&req);
		c->top_trials[c->nb_top_trials++] = r->index;
		if (r->stopped_by != NULL)
			break;
		if (!r->generator_limited) {
			lo = req.rate_pps;
			if (req.rate_pps >= b.max_load_pps) {
				c->top_rate_reached = true;
				break;
			}
		} else {
			hi = req.rate_pps;
		}
		if (hi - lo <= opt.goal_width * hi)
			break;
		req.rate_pps = lo + (hi - lo) / 2;
	}
	c->top_rate_pps = lo;
}

static int
done_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	app_ctl_request_stop(&b.ctl, b.done_reason, 0);
	return 0;
}

void *
bench_driver(void *arg)
{
	(void)arg;
	switch (opt.mode) {
	case BENCH_MODE_RUN:
		mode_run();
		break;
	case BENCH_MODE_SEARCH:
		mode_search();
		break;
	case BENCH_MODE_RFC2544:
		mode_rfc2544();
		break;
	case BENCH_MODE_CALIBRATE:
		mode_calibrate();
		break;
	}
	/* On the control context's own thread: no race with a signal's stop. */
	lcx_context_enter(b.ctl.ctx, done_fn, NULL);
	return NULL;
}

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

void
bench_on_stats(struct app_ctl *c)
{
	struct bench_pacer_stats st;
	struct meas_snap rs = { 0 };
	int cur = __atomic_load_n(&b.cur_trial, __ATOMIC_ACQUIRE);
	uint64_t t;
	double dt;

	(void)c;
	if (cur < 0)
		return;
	if (gen_snapshot(&st) < 0 || meas_snapshot(&rs) < 0)
		return;
	if (cur != b.last_trial) {
		b.last_trial = cur;
		b.last_t = b.cur_start_ns;
		b.last_intended = b.last_offered = b.last_received = 0;
	}
	t = tsc_ns(rte_rdtsc());
	dt = (double)(t - b.last_t) / 1e9;
	if (dt <= 0)
		return;
	printf("%6.1f s  intended %.0f pps  offered %.0f pps  received %.0f pps  missing %" PRIu64
	       " (%.3g%%)  latency p50 %.1f us p99 %.1f us  [trial %d, %s, %.0f pps]\n",
	       (double)(t - b.cur_start_ns) / 1e9, (double)(st.intended - b.last_intended) / dt,
	       (double)(st.offered - b.last_offered) / dt,
	       (double)(rs.received - b.last_received) / dt, rs.missing,
	       st.offered > 0 ? 100.0 * (double)rs.missing / (double)st.offered : 0.0, us(rs.p50),
	       us(rs.p99), cur, bench_purpose_name(b.cur_purpose), b.cur_rate_pps);
	fflush(stdout);
	b.last_t = t;
	b.last_intended = st.intended;
	b.last_offered = st.offered;
	b.last_received = rs.received;
}
