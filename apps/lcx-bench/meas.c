/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's receiver: the rx poller and the account of one trial: the signatures read
 * back (sig.c), the latency of every packet (lathist.c), J and IPDV (lathist.c).
 *
 * The state is written only on the rx context: meas_arm() and meas_park() enter it.
 * Each trial has its own stream id (its index, mod 65536): a frame of an earlier trial
 * that comes back late is counted `other_stream`, never in this trial's account.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <lcx/lcx.h>
#include <lcx/poller.h>

#include "bench.h"
#include "counter.h"
#include "traffic.h"

#define HDR_LEN (14 + 20 + 8)

/* The receiver. Written by the rx context only. */
struct meas_state {
	struct lcx_poller poller;
	uint16_t ethdev;
	uint16_t stream;
	struct bench_rx rx;
	struct bench_hist hist;
	struct bench_jitter jit;
	uint64_t unsigned_frames; /* no signature (not IPv4/UDP, or not our magic) */
	uint64_t other_stream;	  /* a signature of a stream this trial does not send */
	uint64_t hw_timestamps;	  /* with the PMD's rx timestamp flag */
	/* NIC stamps (b.rx_nic): the stamp clock read beside the TSC at the poll */
	uint64_t clk_ns;	  /* the stamp clock at this poll, ns of that clock */
	uint64_t clk_tsc_ns;	  /* the TSC (tsc_ns) at the same moment */
	uint64_t unstamped, ts_suspect, ts_age_max_ns, ts_pair_max_ns;
	double ts_age_sum_ns;
	uint64_t ts_aged;	  /* stamps in ts_age_sum_ns */
	int64_t ts_offset_first_ns, ts_offset_last_ns;
	bool ts_offset_set;
	bool clk_ok;		  /* the stamp clock could be read at this poll */
	uint64_t polls;
	uint64_t last_poll;  /* tsc */
	uint64_t gap_max_ns; /* largest gap before a poll that returned packets */
	/* --rx-capacity-pps: the device model (a token bucket on the senders' timestamps) */
	double model_tokens;
	double model_t;	   /* s, on the schedule */
	double model_rate; /* the trial's rate, pps */
	bool model_started;
	uint64_t model_dropped;
	/* --flow: per flow (flow_count of them, the rest in beyond), received and late */
	struct bench_flow_count *flow;
	unsigned int flow_count;
	struct bench_flow_count beyond;
	uint64_t flow_unknown, flow_mismatch;
};

static struct meas_state m;

/*
 * The device model of --rx-capacity-pps: a device that forwards at most C frames/s with a
 * buffer of --burst frames, fed by a perfect generator: a token bucket of depth --burst
 * filled at C per second of the schedule, packet s arriving at its intended departure
 * time s / rate. Driven by the sequence numbers and the trial's rate only, so its answer
 * does not depend on when the sender ran or the receiver polled: at a load L <= C it
 * drops nothing; above, (L - C) x T - depth frames of a T-second trial. A frame without
 * a token is dropped here, counted in model_dropped and (never received) in lost.
 */
static bool
model_pass(struct meas_state *r, uint64_t seq)
{
	double depth = (double)opt.burst;
	double t = (double)seq / r->model_rate; /* s */

	if (!r->model_started) {
		r->model_started = true;
		r->model_t = t;
		r->model_tokens = depth;
	}
	if (t > r->model_t) {
		r->model_tokens += (t - r->model_t) * (double)opt.rx_capacity_pps;
		if (r->model_tokens > depth)
			r->model_tokens = depth;
		r->model_t = t;
	}
	if (r->model_tokens < 1.0) {
		r->model_dropped++;
		return false;
	}
	r->model_tokens -= 1.0;
	return true;
}

/*
 * --flow: the flow of a frame is its tuple's place in the spec (what it carries, as a
 * per-flow counter of a device would see it); a tuple that is not its number's is
 * counted mismatch (the device rewrote it), one in no flow unknown.
 */
static void
meas_flow(struct meas_state *r, const uint8_t *p, size_t len, uint64_t seq,
	  enum bench_rx_event ev)
{
	int64_t k = traffic_flow_of(p, len);
	struct bench_flow_count *c;

	if (k < 0) {
		r->flow_unknown++;
		return;
	}
	if (!traffic_flow_is(seq, (uint64_t)k))
		r->flow_mismatch++;
	c = (uint64_t)k < r->flow_count ? &r->flow[k] : &r->beyond;
	if (ev == BENCH_RX_IN_ORDER || ev == BENCH_RX_GAP || ev == BENCH_RX_REORDERED)
		c->received++;
	else if (ev == BENCH_RX_LATE)
		c->late++;
}

/*
 * The stamp of mb in ns of the stamp clock: the middle of its unit (a stamp is
 * the start of its microsecond, or tick), so that the error is at most half a
 * unit either way.
 */
static inline uint64_t
stamp_ns(const struct rte_mbuf *mb)
{
	uint64_t st = *RTE_MBUF_DYNFIELD(mb, b.rx_ts.offset, rte_mbuf_timestamp_t *);

	if (b.rx_ts_hz == 1000000)
		return st * 1000u + 500u;
	return (uint64_t)((unsigned __int128)st * 1000000000u / b.rx_ts_hz) + b.rx_ts_res_ns / 2;
}

/*
 * The rx time of mb on the TSC (tsc_ns): with NIC stamps, the stamp moved back
 * from the poll by its age on the stamp clock (clock now - stamp); the age is
 * short (the wait in the ring), so the two clocks' rates never matter beyond
 * a few ppm of it. false: a NIC-stamp run and mb has no stamp.
 */
static inline bool
rx_time(struct meas_state *r, const struct rte_mbuf *mb, uint64_t now_ns, uint64_t *rx_ns)
{
	if (!b.rx_nic) {
		*rx_ns = now_ns;
		return true;
	}
	if ((mb->ol_flags & b.rx_ts.flag) == 0 || !r->clk_ok)
		return false;
	uint64_t st = stamp_ns(mb);
	uint64_t age = 0;

	if (st > r->clk_ns) {
		r->ts_suspect++; /* a stamp after its poll: the clock stepped */
	} else {
		age = r->clk_ns - st;
		if (age > r->ts_age_max_ns)
			r->ts_age_max_ns = age;
		r->ts_age_sum_ns += (double)age;
		r->ts_aged++;
	}
	*rx_ns = r->clk_tsc_ns > age ? r->clk_tsc_ns - age : 0;
	return true;
}

static void
meas_one(struct meas_state *r, struct rte_mbuf *mb, uint64_t now_ns)
{
	const uint8_t *p = rte_pktmbuf_mtod(mb, const uint8_t *);
	struct bench_sig sig;
	enum bench_rx_event ev;
	uint64_t rx_ns;

	if (b.rx_flag != 0 && (mb->ol_flags & b.rx_flag) != 0)
		r->hw_timestamps++;
	/* IPv4 or IPv6, UDP, the signature first in the payload (flow.c's parser). */
	if (traffic_sig_read(p, mb->data_len, &sig) < 0) {
		r->unsigned_frames++;
		return;
	}
	if (sig.stream != r->stream) {
		r->other_stream++;
		return;
	}
	if (opt.rx_capacity_pps > 0 && !model_pass(r, sig.seq))
		return;
	bool stamped = rx_time(r, mb, now_ns, &rx_ns);

	/* --tmax goes by the latency clock: the stamp, or the poll for a frame without one. */
	ev = bench_rx_add(&r->rx, &sig, stamped ? rx_ns : now_ns);
	if (ev == BENCH_RX_IN_ORDER || ev == BENCH_RX_GAP || ev == BENCH_RX_REORDERED) {
		if (!stamped) {
			r->unstamped++; /* counted, never given the poll's time instead */
		} else {
			if (b.rx_nic && rx_ns < sig.tx_ns)
				r->ts_suspect++; /* received before it was sent: clock trouble */
			bench_hist_add(&r->hist, rx_ns > sig.tx_ns ? rx_ns - sig.tx_ns : 0);
			bench_jitter_add(&r->jit, sig.seq, sig.tx_ns, rx_ns);
		}
	}
	if (r->flow != NULL)
		meas_flow(r, p, mb->data_len, sig.seq, ev);
}

/* Tries of a (stamp clock, TSC) pair: the narrowest window is kept. */
#define PAIR_TRIES 3
/* A window this narrow needs no other try, ns. */
#define PAIR_GOOD_NS 1000u

/*
 * The stamp clock and the TSC read together, after the burst: the TSC before and
 * after the stamp clock, the pair at the middle; half the window bounds its
 * error. A thread preempted between the reads widens the window: the narrowest
 * of a few tries is kept.
 */
static void
clock_pair(struct meas_state *r, uint64_t before)
{
	uint64_t best_w = UINT64_MAX, best_clk = 0, best_mid = 0;
	struct timespec ts;

	r->clk_ok = false;
	for (int k = 0; k < PAIR_TRIES && best_w > PAIR_GOOD_NS; k++) {
		uint64_t clk = 0, after;

		if (k > 0)
			before = rte_rdtsc();
		if (b.rx_ts.clock == LCX_PORT_TSTAMP_REALTIME_US) {
			clock_gettime(CLOCK_REALTIME, &ts); /* ns: finer than the stamp's us */
			clk = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		} else if (lcx_port_rx_tstamp_now(b.ports[b.rx_ethdev], &clk) == 0) {
			clk = (uint64_t)((unsigned __int128)clk * 1000000000u / b.rx_ts_hz);
		} else {
			return; /* no pair: this poll's frames count unstamped */
		}
		after = rte_rdtsc();
		uint64_t t0 = tsc_ns(before), t1 = tsc_ns(after);

		if (t1 - t0 < best_w) {
			best_w = t1 - t0;
			best_clk = clk;
			best_mid = t0 + (t1 - t0) / 2;
		}
	}
	int64_t off;

	r->clk_ok = true;
	r->clk_ns = best_clk;
	r->clk_tsc_ns = best_mid;
	if (best_w > r->ts_pair_max_ns)
		r->ts_pair_max_ns = best_w;
	off = (int64_t)(best_clk - r->clk_tsc_ns);
	if (!r->ts_offset_set) {
		r->ts_offset_first_ns = off;
		r->ts_offset_set = true;
	}
	r->ts_offset_last_ns = off;
}

static unsigned int
meas_poll(void *arg)
{
	struct meas_state *r = arg;
	struct rte_mbuf *pkts[BENCH_BURST_MAX];
	uint16_t n = rte_eth_rx_burst(r->ethdev, 0, pkts, (uint16_t)opt.burst);
	/* After the burst: no packet of it can look older than it is. */
	uint64_t now = rte_rdtsc();
	uint64_t now_ns = tsc_ns(now);

	if (n > 0) {
		uint64_t gap = r->last_poll != 0 ? now_ns - tsc_ns(r->last_poll) : 0;

		if (gap > r->gap_max_ns)
			r->gap_max_ns = gap;
		if (b.rx_nic)
			clock_pair(r, now);
		for (uint16_t i = 0; i < n; i++)
			meas_one(r, pkts[i], now_ns);
		rte_pktmbuf_free_bulk(pkts, n);
	}
	r->last_poll = now;
	r->polls++;
	return n;
}

static const struct lcx_poller_ops meas_ops = { .name = "bench-rx", .poll = meas_poll };

void
meas_init(void)
{
	int off;

	m.ethdev = b.rx_ethdev;
	m.poller = (struct lcx_poller){ .ops = &meas_ops, .arg = &m, .burst = (uint32_t)opt.burst };
	if (rte_mbuf_dyn_rx_timestamp_register(&off, &b.rx_flag) < 0)
		b.rx_flag = 0;
	if (traffic_flow_tuples() > 0) {
		uint64_t n = traffic_flow_tuples();

		m.flow_count = n < BENCH_FLOWS_MAX ? (unsigned int)n : BENCH_FLOWS_MAX;
		m.flow = calloc(m.flow_count, sizeof(*m.flow));
		if (m.flow == NULL)
			die(1, "out of memory (the per-flow counts)");
	}
}

struct arm_arg {
	unsigned int stream;
	double rate_pps;
};

static int
arm_fn(struct lcx_context *ctx, void *arg)
{
	const struct bench_rx_conf rc = { .tmax_ns = opt.tmax_ns };
	const struct arm_arg *a = arg;

	m.stream = (uint16_t)a->stream;
	m.model_rate = a->rate_pps;
	bench_rx_init(&m.rx, &rc);
	bench_hist_init(&m.hist);
	bench_jitter_init(&m.jit);
	m.unsigned_frames = 0;
	m.other_stream = 0;
	m.hw_timestamps = 0;
	m.unstamped = 0;
	m.ts_suspect = 0;
	m.ts_age_max_ns = 0;
	m.ts_age_sum_ns = 0;
	m.ts_aged = 0;
	m.ts_pair_max_ns = 0;
	m.ts_offset_set = false;
	m.ts_offset_first_ns = 0;
	m.ts_offset_last_ns = 0;
	m.polls = 0;
	m.last_poll = 0;
	m.gap_max_ns = 0;
	m.model_started = false;
	m.model_dropped = 0;
	if (m.flow != NULL)
		memset(m.flow, 0, m.flow_count * sizeof(*m.flow));
	memset(&m.beyond, 0, sizeof(m.beyond));
	m.flow_unknown = 0;
	m.flow_mismatch = 0;
	return lcx_poller_register(ctx, &m.poller);
}

uint64_t
meas_throttle_us(const struct bench_trial_req *req)
{
	return req->rx_busy && !b.rx_nic ? 0 : opt.rx_throttle_us;
}

int
meas_arm(const struct bench_trial_req *req, unsigned int stream)
{
	/* A latency trial polls at throttle 0, but with NIC stamps: the wait for the poll is
	 * not in their latency. */
	int ret = lcx_context_set_throttle(b.rxctx, meas_throttle_us(req) * 1000);

	if (ret < 0)
		return ret;
	struct arm_arg a = { .stream = stream, .rate_pps = req->rate_pps };

	return lcx_context_enter(b.rxctx, arm_fn, &a);
}

static int
park_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return lcx_poller_unregister(&m.poller);
}

int
meas_park(uint64_t offered, struct bench_trial_result *r)
{
	int ret = lcx_context_enter(b.rxctx, park_fn, NULL);

	if (ret < 0)
		return ret;
	/* The poller is off: the state is this thread's to read now. */
	r->account_consistent = bench_rx_finish(&m.rx, offered) == 0;
	r->rx = m.rx;
	r->unsigned_frames = m.unsigned_frames;
	r->other_stream = m.other_stream;
	r->hw_timestamps = m.hw_timestamps;
	r->polls = m.polls;
	r->poll_gap_max_ns = m.gap_max_ns;
	r->unstamped = m.unstamped;
	r->ts_suspect = m.ts_suspect;
	r->ts_age_max_ns = m.ts_age_max_ns;
	r->ts_age_mean_ns = m.ts_aged > 0 ? m.ts_age_sum_ns / (double)m.ts_aged : 0.0;
	r->ts_pair_max_ns = m.ts_pair_max_ns;
	r->ts_offset_first_ns = m.ts_offset_first_ns;
	r->ts_offset_last_ns = m.ts_offset_last_ns;
	/* TSC at the poll: late by at most the gap before the poll. NIC stamps: half a stamp
	 * unit, and half the pair's window. */
	r->lat_error_ns = b.rx_nic ? b.rx_ts_res_ns / 2 + (m.ts_pair_max_ns + 1) / 2
				   : m.gap_max_ns;
	r->model_dropped = m.model_dropped;
	r->lat = malloc(sizeof(*r->lat));
	r->jit = malloc(sizeof(*r->jit));
	if (r->lat == NULL || r->jit == NULL)
		return -ENOMEM;
	*r->lat = m.hist;
	*r->jit = m.jit;
	if (m.flow != NULL) {
		struct bench_flows *f = calloc(1, sizeof(*f));

		if (f == NULL || (f->flow = calloc(m.flow_count, sizeof(*f->flow))) == NULL) {
			free(f);
			return -ENOMEM;
		}
		f->tuples = traffic_flow_tuples();
		f->counted = m.flow_count;
		memcpy(f->flow, m.flow, m.flow_count * sizeof(*f->flow));
		f->beyond_cap = m.beyond;
		f->unknown = m.flow_unknown;
		f->mismatch = m.flow_mismatch;
		/* sent per flow from the numbers offered; lost = sent - received - late */
		traffic_flow_sent(offered, f);
		for (unsigned int k = 0; k <= f->counted; k++) {
			struct bench_flow_count *c = k < f->counted ? &f->flow[k] : &f->beyond_cap;
			uint64_t got = c->received + c->late;

			c->lost = c->sent > got ? c->sent - got : 0;
		}
		r->flows = f;
	}
	lcx_context_set_throttle(b.rxctx, opt.rx_throttle_us * 1000);
	return 0;
}

static int
snap_fn(struct lcx_context *ctx, void *arg)
{
	struct meas_snap *s = arg;

	(void)ctx;
	s->received = m.rx.received;
	s->missing = bench_rx_missing(&m.rx);
	s->late = m.rx.late;
	s->duplicate = m.rx.duplicate;
	s->reordered = m.rx.reordered;
	s->unsigned_frames = m.unsigned_frames;
	s->count = m.hist.count;
	s->p50 = bench_hist_percentile(&m.hist, 0.5);
	s->p99 = bench_hist_percentile(&m.hist, 0.99);
	return 0;
}

int
meas_snapshot(struct meas_snap *s)
{
	return lcx_context_enter(b.rxctx, snap_fn, s);
}
