/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's modes: each a loop of trials (trial.c), run by the driver thread, which
 * asks the control context to stop when the mode is done. The live line.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include <lcx/context.h>

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
	default:
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
	       "  latency p50 %.1f us p99 %.1f us\n",
	       (double)(t - b.cur_start_ns) / 1e9, (double)(st.intended - b.last_intended) / dt,
	       (double)(st.offered - b.last_offered) / dt,
	       (double)(rs.received - b.last_received) / dt, rs.missing, us(rs.p50), us(rs.p99));
	fflush(stdout);
	b.last_t = t;
	b.last_intended = st.intended;
	b.last_offered = st.offered;
	b.last_received = rs.received;
}
