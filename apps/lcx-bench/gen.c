/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's sender: the tx poller, paced by the pacer (pacer.c), and the frames.
 *
 * Every frame is built by gen_frame_fill(): its headers (from the template made at
 * gen_init() and the lengths of its size) and its signature (sig.c). What varies per
 * frame (size; later flows, IPv6, a replayed pcap) is decided there and nowhere else;
 * gen_frames_unsent() takes back the frames the device refused, so that the next round
 * builds them again with the same numbers.
 *
 * The state is written only on the tx context: gen_arm() and gen_park() enter it.
 */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <lcx/lcx.h>
#include <lcx/poller.h>
#include <lcx/port.h>

#include "bench.h"
#include "counter.h"
#include "pattern.h"
#include "traffic.h"

#define HDR_LEN (14 + 20 + 8)
#define UDP_PORT 9
/* 198.18.0.0/15 (RFC 2544 appendix C.2.2): 198.18.0.1 -> 198.19.0.1 */
#define IP_SRC ((198u << 24) | (18u << 16) | 1u)
#define IP_DST ((198u << 24) | (19u << 16) | 1u)
#define SIZE_CYCLE_MAX 4096

/* The sender. Written by the tx context only. */
struct gen_state {
	struct bench_pacer pacer;
	struct lcx_poller poller;
	struct lcx_port *port;
	struct rte_mempool *pool;
	uint8_t hdr[HDR_LEN];
	uint16_t cycle[SIZE_CYCLE_MAX]; /* frame sizes (FCS included), walked in turn */
	unsigned int ncycle, icycle;
	unsigned int lo, hi; /* a range of sizes (ncycle 0) */
	uint64_t rng;
	bool vary;	 /* sizes vary: lengths and checksum per packet */
	uint16_t stream; /* the signature's stream id (the trial's) */
	uint64_t seq;
	uint64_t nombuf; /* allocation failures, packets (also in the pacer's refused) */
	int arm_ret;
};

static struct gen_state g;

static void
gen_template(struct gen_state *t, const struct rte_ether_addr *src,
	     const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t->hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(t->hdr, 0, sizeof(t->hdr));
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(IP_SRC);
	ip->dst_addr = rte_cpu_to_be_32(IP_DST);
	udp->src_port = rte_cpu_to_be_16(UDP_PORT);
	udp->dst_port = rte_cpu_to_be_16(UDP_PORT);
}

/* Set the lengths and the checksum of a frame of size bytes (FCS included). */
static void
gen_lengths(uint8_t *hdr, unsigned int size)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hdr + 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	unsigned int l2 = size - BENCH_FCS_LEN;

	ip->total_length = rte_cpu_to_be_16((uint16_t)(l2 - 14));
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(l2 - 14 - 20));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The frame sizes in turn: fixed; a list by its weights, interleaved; a range at random.
 * The weights' sum is checked against SIZE_CYCLE_MAX by the options (bench_sizes_check). */
static void
gen_sizes(struct gen_state *t, const struct bench_sizes *sz)
{
	t->rng = 0x9e3779b97f4a7c15ull;
	t->ncycle = 0;
	t->icycle = 0;
	t->lo = sz->lo;
	t->hi = sz->hi;
	t->vary = sz->kind != BENCH_SIZES_FIXED;
	if (sz->kind == BENCH_SIZES_FIXED) {
		t->cycle[t->ncycle++] = (uint16_t)sz->size[0];
		gen_lengths(t->hdr, sz->size[0]);
		return;
	}
	if (sz->kind == BENCH_SIZES_LIST) {
		uint32_t left[BENCH_SIZES_MAX];
		uint64_t total = 0;

		for (unsigned int i = 0; i < sz->n; i++) {
			left[i] = sz->weight[i];
			total += sz->weight[i];
		}
		if (total > SIZE_CYCLE_MAX)
			total = SIZE_CYCLE_MAX;
		/* round robin over the sizes that still have weight: 64,594,1518,64,594,64,... */
		while (t->ncycle < total)
			for (unsigned int i = 0; i < sz->n && t->ncycle < total; i++)
				if (left[i] > 0) {
					left[i]--;
					t->cycle[t->ncycle++] = (uint16_t)sz->size[i];
				}
	}
}

int
bench_sizes_check(const struct bench_sizes *sz)
{
	uint64_t total = 0;

	if (sz->kind != BENCH_SIZES_LIST)
		return 0;
	for (unsigned int i = 0; i < sz->n; i++)
		total += sz->weight[i];
	return total > SIZE_CYCLE_MAX ? -E2BIG : 0;
}

static unsigned int
gen_next_size(struct gen_state *t)
{
	if (t->ncycle == 0) { /* range: xorshift64 */
		t->rng ^= t->rng << 13;
		t->rng ^= t->rng >> 7;
		t->rng ^= t->rng << 17;
		return t->lo + (unsigned int)(t->rng % ((uint64_t)t->hi - t->lo + 1));
	}
	unsigned int s = t->cycle[t->icycle];

	if (++t->icycle == t->ncycle)
		t->icycle = 0;
	return s;
}

/*
 * Build one frame in m: the next size, the headers, the signature (the trial's stream,
 * number seq, transmit time tx_ns), the rest of the payload zero. The one place a
 * frame's content is decided.
 */
static void
gen_frame_fill(struct gen_state *t, struct rte_mbuf *m, uint64_t seq, uint64_t tx_ns)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned int size = gen_next_size(t);
	unsigned int len = size - BENCH_FCS_LEN;
	struct bench_sig sig = { .stream = t->stream, .seq = seq, .tx_ns = tx_ns };

	if (traffic_active()) { /* --flow or --pcap-replay (traffic.c) */
		int n = traffic_frame_fill(p, rte_pktmbuf_tailroom(m), size, t->stream, seq, tx_ns);

		len = n > 0 ? (unsigned int)n : 0; /* (the options rule out a frame that does not fit) */
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		return;
	}
	if (t->vary)
		gen_lengths(t->hdr, size);
	memcpy(p, t->hdr, HDR_LEN);
	bench_sig_write(p + HDR_LEN, BENCH_SIG_LEN, &sig);
	memset(p + HDR_LEN + BENCH_SIG_LEN, 0, len - HDR_LEN - BENCH_SIG_LEN);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

/* The last n frames built were not sent: the next ones built are those again. */
static void
gen_frames_unsent(struct gen_state *t, unsigned int n)
{
	if (t->ncycle > 0)
		t->icycle = (unsigned int)((t->icycle + t->ncycle - n % t->ncycle) % t->ncycle);
}

static unsigned int
gen_poll(void *arg)
{
	struct gen_state *t = arg;
	struct rte_mbuf *pkts[BENCH_BURST_MAX];
	uint64_t now = rte_rdtsc();
	unsigned int n = bench_pacer_owed(&t->pacer, now, (unsigned int)opt.burst);
	uint64_t tx_ns;
	uint16_t sent;

	if (n == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(t->pool, pkts, n) != 0) {
		APP_COUNTER_ADD(t->nombuf, n);
		bench_pacer_account(&t->pacer, now, n, 0);
		return 0;
	}
	tx_ns = tsc_ns(rte_rdtsc());
	for (unsigned int i = 0; i < n; i++)
		gen_frame_fill(t, pkts[i], t->seq + i, tx_ns);
	sent = lcx_port_tx_burst(t->port, 0, pkts, (uint16_t)n);
	if (sent < n) {
		/* Refused: freed, still owed; the next round sends them with the same numbers. */
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		gen_frames_unsent(t, n - sent);
	}
	bench_pacer_account(&t->pacer, now, n, sent);
	t->seq += sent;
	return sent;
}

static const struct lcx_poller_ops gen_ops = { .name = "bench-tx", .poll = gen_poll };

void
gen_init(void)
{
	struct rte_ether_addr src, dst;

	rte_eth_macaddr_get(b.tx_ethdev, &src);
	rte_eth_macaddr_get(b.rx_ethdev, &dst);
	gen_template(&g, &src, &dst);
	traffic_gen_init(src.addr_bytes, dst.addr_bytes);
	g.port = b.ports[b.tx_ethdev];
	g.pool = b.pool;
	g.poller = (struct lcx_poller){ .ops = &gen_ops, .arg = &g, .burst = (uint32_t)opt.burst };
}

struct arm_arg {
	const struct bench_trial_req *req;
	unsigned int stream;
};

static int
arm_fn(struct lcx_context *ctx, void *arg)
{
	const struct arm_arg *a = arg;
	const struct bench_trial_req *req = a->req;
	struct bench_pacer_conf pc = {
		.pattern = BENCH_PACER_CONSTANT,
		.policy = BENCH_PACER_SEND_LATE,
		.rate_pps = req->rate_pps,
		.hz = b.hz,
		.count = req->count,
		.duration = ns_tsc(req->duration_ns),
		/* .pattern, .policy, .late: pattern_pacer_conf() (--pattern, --late...) */
	};
	int ret;

	pattern_pacer_conf(&pc, b.hz); /* --pattern, --late-policy, --late (pattern.c) */
	traffic_pacer_conf(&pc); /* a replay: its count, its timing (traffic.c) */
	ret = bench_pacer_init(&g.pacer, &pc);

	if (ret < 0)
		return ret;
	gen_sizes(&g, req->sizes);
	g.stream = (uint16_t)a->stream;
	g.seq = 0;
	g.nombuf = 0;
	bench_pacer_start(&g.pacer, rte_rdtsc());
	return lcx_poller_register(ctx, &g.poller);
}

int
gen_arm(const struct bench_trial_req *req, unsigned int stream, uint64_t *t0_tsc)
{
	struct arm_arg a = { .req = req, .stream = stream };
	int ret = lcx_context_enter(b.txctx, arm_fn, &a);

	if (ret == 0)
		*t0_tsc = g.pacer.t0;
	return ret;
}

struct park_arg {
	struct bench_pacer_stats *st;
	uint64_t nombuf, t0, last_now, last_send;
};

static int
park_fn(struct lcx_context *ctx, void *arg)
{
	struct park_arg *a = arg;

	(void)ctx;
	lcx_poller_unregister(&g.poller);
	bench_pacer_stats(&g.pacer, a->st);
	a->nombuf = g.nombuf;
	a->t0 = g.pacer.t0;
	a->last_now = g.pacer.last_now;
	a->last_send = g.pacer.st.sends > 0 ? g.pacer.last_send : g.pacer.t0;
	return 0;
}

void
gen_park(struct bench_pacer_stats *st, uint64_t *nombuf, uint64_t *t0, uint64_t *last_now,
	 uint64_t *last_send)
{
	struct park_arg a = { .st = st };

	lcx_context_enter(b.txctx, park_fn, &a);
	*nombuf = a.nombuf;
	*t0 = a.t0;
	*last_now = a.last_now;
	*last_send = a.last_send;
}

static int
snap_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	bench_pacer_stats(&g.pacer, arg);
	return 0;
}

int
gen_snapshot(struct bench_pacer_stats *st)
{
	return lcx_context_enter(b.txctx, snap_fn, st);
}

static int
done_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	*(bool *)arg = bench_pacer_done(&g.pacer);
	return 0;
}

bool
gen_done(void)
{
	bool done = false;

	return lcx_context_enter(b.txctx, done_fn, &done) == 0 && done;
}
