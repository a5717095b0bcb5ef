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
	uint64_t hw_timestamps;	  /* with the PMD's rx timestamp flag (not used yet) */
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

static void
meas_one(struct meas_state *r, struct rte_mbuf *mb, uint64_t now_ns)
{
	const uint8_t *p = rte_pktmbuf_mtod(mb, const uint8_t *);
	struct bench_sig sig;
	enum bench_rx_event ev;

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
	ev = bench_rx_add(&r->rx, &sig, now_ns);
	if (ev == BENCH_RX_IN_ORDER || ev == BENCH_RX_GAP || ev == BENCH_RX_REORDERED) {
		bench_hist_add(&r->hist, now_ns > sig.tx_ns ? now_ns - sig.tx_ns : 0);
		bench_jitter_add(&r->jit, sig.seq, sig.tx_ns, now_ns);
	}
	if (r->flow != NULL)
		meas_flow(r, p, mb->data_len, sig.seq, ev);
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

int
meas_arm(const struct bench_trial_req *req, unsigned int stream)
{
	int ret = lcx_context_set_throttle(b.rxctx, req->rx_busy ? 0 : opt.rx_throttle_us * 1000);

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
