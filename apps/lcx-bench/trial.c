/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One trial (RFC 2544 section 23, "Trial description"): the receiver armed, the sender
 * armed at a load for a duration (or a count of frames), sending until the schedule
 * ends (or a stop), then the drain (RFC 2544 section 26: 2 s by default) with the
 * receiver still reading, then the account closed with the sender's own count and the
 * figures collected into a struct bench_trial_result appended to b.trials.
 *
 * Runs on the driver thread; the tx and rx contexts stay up across trials, without a
 * poller between them (they park: the core is given back).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <lcx/context.h>

#include "bench.h"
#include "traffic.h"

#define WAIT_SLICE_NS 10000000ull /* 10 ms: how often a stop is looked for */
#define CATCHUP_NS 200000000ull	   /* 200 ms: the most a sender gets after the schedule */
#define CATCHUP_SLICE_NS 1000000ull /* 1 ms */

const char *
bench_purpose_name(enum bench_purpose p)
{
	static const char *const names[] = {
		[BENCH_P_RUN] = "run",
		[BENCH_P_SEARCH] = "search",
		[BENCH_P_THROUGHPUT] = "throughput",
		[BENCH_P_LATENCY] = "latency",
		[BENCH_P_FRAME_LOSS] = "frame_loss",
		[BENCH_P_BACK_TO_BACK] = "back_to_back",
		[BENCH_P_CALIBRATE] = "calibrate",
	};

	return (unsigned int)p < RTE_DIM(names) ? names[p] : "?";
}

/* Sleep until t_ns or a stop, whichever first: true if stopped. */
static bool
wait_until_ns(uint64_t t_ns)
{
	for (;;) {
		uint64_t now = tsc_ns(rte_rdtsc());

		if (bench_stopping())
			return true;
		if (now >= t_ns)
			return false;
		sleep_until_ns(now + (t_ns - now < WAIT_SLICE_NS ? t_ns - now : WAIT_SLICE_NS));
	}
}

static struct bench_trial_result *
trial_slot(void)
{
	if (b.nb_trials == b.trials_cap) {
		unsigned int cap = b.trials_cap == 0 ? 16 : b.trials_cap * 2;
		struct bench_trial_result *t = realloc(b.trials, cap * sizeof(*t));

		if (t == NULL)
			return NULL;
		b.trials = t;
		b.trials_cap = cap;
	}
	memset(&b.trials[b.nb_trials], 0, sizeof(b.trials[0]));
	return &b.trials[b.nb_trials];
}

/*
 * Sending: until the schedule's end (a duration, or the time a count takes at the rate),
 * then up to CATCHUP_NS more while the sender still owes packets of it: a sender
 * preempted near the end sends them late (policy SEND_LATE, counted in tx.late) as it
 * would mid-trial; what is still owed after that is unsent (generator-limited).
 */
static bool
trial_send(const struct bench_trial_req *req, uint64_t t0_ns)
{
	uint64_t slack = opt.throttle_us * 1000 + 1000000;
	uint64_t end = req->duration_ns > 0
			       ? t0_ns + req->duration_ns
			       : t0_ns + (uint64_t)((double)req->count / req->rate_pps * 1e9);

	if (wait_until_ns(end + slack))
		return true;
	end = tsc_ns(rte_rdtsc()) + CATCHUP_NS;
	while (!gen_done()) {
		uint64_t now = tsc_ns(rte_rdtsc());

		if (now >= end)
			return false;
		if (wait_until_ns(now + CATCHUP_SLICE_NS))
			return true;
	}
	return false;
}

/* One check: the change of xstat name from a to z (a port's) against the tool's count. */
static void
xstat_check(struct bench_trial_result *r, const char *port, const char *name,
	    const struct bench_xstats *a, const struct bench_xstats *z, const char *tool,
	    uint64_t tool_value)
{
	int64_t va = bench_xstats_find(a, name), vz = bench_xstats_find(z, name);
	struct bench_xstat_check *c;

	if (va < 0 || vz < 0) /* the PMD has no such counter: not compared, not reported */
		return;
	c = &r->xs_checks[r->nb_xs_checks++];
	c->port = port;
	c->name = name;
	c->value = (uint64_t)vz - (uint64_t)va;
	c->tool = tool;
	c->tool_value = tool_value;
	c->agree = c->value == tool_value;
	if (!c->agree)
		r->xs_agree = false;
}

/*
 * The ports' xstats over the trial: their non-zero changes kept for the output, and the
 * counters that count what the tool counts compared with it: tx_good_packets with the
 * packets offered, rx_good_packets with every frame the receiver read (as rx_ipackets).
 */
static void
trial_xstats(struct bench_trial_result *r, bool ok, const struct bench_xstats *tx0,
	     const struct bench_xstats *tx1, const struct bench_xstats *rx0,
	     const struct bench_xstats *rx1, uint64_t frames_read)
{
	r->xs_agree = true;
	r->xs_read = ok && bench_xstats_delta(tx0, tx1, &r->xs_tx) == 0 &&
		     bench_xstats_delta(rx0, rx1, &r->xs_rx) == 0;
	if (!r->xs_read)
		return;
	xstat_check(r, "tx", "tx_good_packets", tx0, tx1, "offered", r->tx.offered);
	xstat_check(r, "rx", "rx_good_packets", rx0, rx1, "frames_read", frames_read);
}

struct bench_trial_result *
bench_trial_run(const struct bench_trial_req *req)
{
	struct bench_trial_result *r = trial_slot();
	struct rte_eth_stats tx0, rx0, tx1, rx1;
	uint64_t t0_tsc, t0, last_now, last_send, sched_ns, allow_ns, frames_read;
	struct bench_xstats xtx0 = {0}, xrx0 = {0}, xtx1 = {0}, xrx1 = {0};
	bool xs_ok;
	unsigned int idx = b.nb_trials;
	int ret;

	if (r == NULL)
		die(1, "out of memory (trial %u)", idx);
	r->index = idx;
	r->purpose = req->purpose;
	r->sizes_text = req->sizes_text;
	r->mean_frame = traffic_mean_frame(bench_sizes_mean(req->sizes));
	r->rate_pps = req->rate_pps;
	r->duration_s = (double)req->duration_ns / 1e9;
	r->count = req->count;
	r->rx_busy = req->rx_busy;
	r->rx_throttle_us = meas_throttle_us(req);
	memset(&tx0, 0, sizeof(tx0));
	memset(&rx0, 0, sizeof(rx0));
	rte_eth_stats_get(b.tx_ethdev, &tx0);
	rte_eth_stats_get(b.rx_ethdev, &rx0);
	xs_ok = bench_xstats_read(b.tx_ethdev, &xtx0) == 0 &&
		bench_xstats_read(b.rx_ethdev, &xrx0) == 0;

	ret = meas_arm(req, idx);
	if (ret < 0)
		die(1, "trial %u: cannot start the receiver: %s", idx, strerror(-ret));
	ret = gen_arm(req, idx, &t0_tsc);
	if (ret < 0)
		die(1, "trial %u: cannot start the sender: %s", idx, strerror(-ret));
	b.cur_start_ns = tsc_ns(t0_tsc);
	b.cur_purpose = req->purpose;
	b.cur_rate_pps = req->rate_pps;
	b.cur_sizes_text = req->sizes_text;
	__atomic_store_n(&b.cur_trial, (int)idx, __ATOMIC_RELEASE);

	if (trial_send(req, b.cur_start_ns))
		r->stopped_by = b.ctl.stop_reason;
	__atomic_store_n(&b.cur_trial, -1, __ATOMIC_RELEASE);
	gen_park(&r->tx, &r->nombuf, &t0, &last_now, &last_send);
	/* The schedule's length (a count: to its last packet's deadline); the sending time:
	 * that, or longer when the sender caught up after it (then overrun_ns), or shorter
	 * when stopped. */
	sched_ns = req->duration_ns > 0 ? req->duration_ns
				      : (uint64_t)((double)(req->count - 1) / req->rate_pps * 1e9);
	allow_ns = opt.throttle_us * 1000 + 50000;
	if (r->stopped_by != NULL) {
		r->elapsed_s = (double)(tsc_ns(last_now) - tsc_ns(t0)) / 1e9;
		if (r->elapsed_s > (double)sched_ns / 1e9)
			r->elapsed_s = (double)sched_ns / 1e9;
	} else {
		uint64_t sent_ns = tsc_ns(last_send) - tsc_ns(t0);

		r->elapsed_s = (double)sched_ns / 1e9;
		if (sent_ns > sched_ns + allow_ns) {
			r->overrun_ns = sent_ns - sched_ns - allow_ns;
			r->elapsed_s = (double)sent_ns / 1e9;
		}
	}
	/* The drain: the receiver reads on; signals are not looked at. */
	sleep_until_ns(tsc_ns(rte_rdtsc()) + opt.drain_ns);
	/* The receiver's count: the signed packets (a replay sends some without). */
	ret = meas_park(traffic_signed(r->tx.offered), r);
	if (ret < 0)
		die(1, "trial %u: the receiver: %s", idx, strerror(-ret));

	memset(&tx1, 0, sizeof(tx1));
	memset(&rx1, 0, sizeof(rx1));
	rte_eth_stats_get(b.tx_ethdev, &tx1);
	rte_eth_stats_get(b.rx_ethdev, &rx1);
	r->port_tx_opackets = tx1.opackets - tx0.opackets;
	r->port_tx_oerrors = tx1.oerrors - tx0.oerrors;
	r->port_rx_ipackets = rx1.ipackets - rx0.ipackets;
	r->port_rx_imissed = rx1.imissed - rx0.imissed;
	r->port_rx_ierrors = rx1.ierrors - rx0.ierrors;
	r->port_rx_nombuf = rx1.rx_nombuf - rx0.rx_nombuf;
	frames_read = r->rx.received + r->rx.late + r->rx.duplicate + r->rx.too_old +
		      r->rx.invalid + r->unsigned_frames + r->other_stream + r->model_dropped;
	r->port_counters_agree = r->port_tx_opackets == r->tx.offered &&
				 r->port_rx_ipackets == frames_read;
	xs_ok = xs_ok && bench_xstats_read(b.tx_ethdev, &xtx1) == 0 &&
		bench_xstats_read(b.rx_ethdev, &xrx1) == 0;
	trial_xstats(r, xs_ok, &xtx0, &xtx1, &xrx0, &xrx1, frames_read);
	free(xtx0.v);
	free(xtx1.v);
	free(xrx0.v);
	free(xrx1.v);

	r->unsent = r->tx.intended - r->tx.offered - r->tx.skipped;
	/* Generator-limited (pacer.h): offered off intended by more than 0.1 %, or a refusal;
	 * and here also: the offered rate off the intended one by more than 0.1 % because the
	 * sender caught up after the schedule's end (overrun beyond 0.1 % of its length). */
	r->generator_limited = bench_pacer_generator_limited(&r->tx) ||
			       (double)r->overrun_ns > 0.001 * (double)sched_ns;
	r->loss_ratio = traffic_signed(r->tx.offered) > 0
				? (double)r->rx.lost / (double)traffic_signed(r->tx.offered)
				: 0.0;
	r->forwarding_rate_pps = r->elapsed_s > 0 ? (double)r->rx.received / r->elapsed_s : 0.0;
	b.nb_trials++;
	return r;
}
