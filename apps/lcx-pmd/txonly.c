/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txonly: every stream generates UDP/IPv4 packets of --txpkts bytes
 * (198.18.0.1:9 -> 198.18.0.2:9, source MAC of the tx port, destination its
 * peer) on its tx port and queue, and frees what it receives.
 *
 * The generator is a struct lcx_poller of the stream's own, registered on the
 * stream's context: its poll sends one burst and returns how many went out,
 * with the poller's burst set to --burst, so while it sends full bursts the
 * context never parks. With --tx-rate-pps each stream runs lcx-bench's pacer
 * (apps/lcx-bench/pacer.c) at its share of the rate: packet i is due at
 * t0 + i / rate, fixed from the first round with the link up, and each round
 * sends what is owed (up to a burst). With nothing owed the poll returns 0 and
 * the context parks until its next react, so a throttled generator is bursty:
 * it sends rate x throttle packets back to back once per throttle period. A
 * late generator (a late wake-up, a stopped process, a refusing queue) sends
 * what it owes late, as fast as the queue takes it: intended = offered + still
 * owed, reported in the summary (tx_pacing). With --tx-count the stream stops
 * after its share of packets has been sent (refused packets do not count).
 * Nothing is sent while the tx port's link is down (the main lcore watches the
 * links), as testpmd waits for links before it starts. This file also holds
 * the template, the builder and the round
 * that flowgen (flowgen.c) and --tx-first use.
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "pmd.h"

#define UDP_PORT 9
#define HDR_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
		 sizeof(struct rte_udp_hdr))

uint16_t
pmd_ipv4_cksum(const void *hdr)
{
	return rte_ipv4_cksum(hdr);
}

void
pmd_pkt_template(struct fwd_stream *fs)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)fs->hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(fs->hdr, 0, sizeof(fs->hdr));
	rte_ether_addr_copy(&fs->tx_dst, &eth->dst_addr);
	rte_ether_addr_copy(&fs->tx_src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(fs->pkt_len - sizeof(*eth)));
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(PMD_IP_SRC);
	ip->dst_addr = rte_cpu_to_be_32(PMD_IP_DST);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(UDP_PORT);
	udp->dst_port = rte_cpu_to_be_16(UDP_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(fs->pkt_len - sizeof(*eth) - sizeof(*ip)));
	udp->dgram_cksum = 0;
}

unsigned int
pmd_pkt_build(struct fwd_stream *fs, struct rte_mbuf **pkts, unsigned int n)
{
	if (rte_pktmbuf_alloc_bulk(fs->pool, pkts, n) != 0) {
		APP_COUNTER_ADD(fs->gen_nombuf, n);
		return 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		rte_memcpy(rte_pktmbuf_mtod(m, void *), fs->hdr, HDR_LEN);
		m->data_len = fs->pkt_len;
		m->pkt_len = fs->pkt_len;
	}
	return n;
}

void
pmd_pacers_init(void)
{
	for (uint32_t s = 0; s < pmd.nb_streams; s++) {
		struct fwd_stream *fs = &pmd.streams[s];
		struct bench_pacer_conf conf = {
			.pattern = BENCH_PACER_CONSTANT,
			.policy = BENCH_PACER_SEND_LATE,
			.rate_pps = (double)fs->rate_pps,
			.hz = 1000000000ull, /* lcx_context_now(): ns */
			.count = fs->gen_quota != UINT64_MAX ? fs->gen_quota : 0,
			/* "late": more than a throttle period + 50 us after its deadline */
			.late = pmd.throttle_us * 1000 + 50000,
		};

		if (fs->rate_pps == 0)
			continue;
		fs->pace = calloc(1, sizeof(*fs->pace));
		if (fs->pace == NULL)
			pmd_die(PMD_EXIT_ERROR, "out of memory");
		if (bench_pacer_init(&fs->pace->pacer, &conf) < 0)
			pmd_die(PMD_EXIT_USAGE,
			    "--tx-rate-pps: %llu packets/s per stream is out of range",
			    (unsigned long long)fs->rate_pps);
	}
}

void
pmd_pacing_sum(struct pmd_pacing *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t s = 0; s < pmd.nb_streams; s++) {
		const struct pmd_pace *pc = pmd.streams[s].pace;
		uint64_t lm;

		if (pc == NULL)
			continue;
		lm = APP_COUNTER_GET(pc->late_max_ns);
		out->intended += APP_COUNTER_GET(pc->intended);
		out->offered += APP_COUNTER_GET(pc->offered);
		out->refused += APP_COUNTER_GET(pc->refused);
		out->skipped += APP_COUNTER_GET(pc->skipped);
		out->late += APP_COUNTER_GET(pc->late);
		if (lm > out->late_max_ns)
			out->late_max_ns = lm;
	}
}

/* The pacer's account, published for the main lcore. */
static void
pace_publish(struct fwd_stream *fs)
{
	struct bench_pacer_stats sts;
	const struct bench_pacer_stats *st = &sts;

	struct pmd_pace *pc = fs->pace;

	bench_pacer_stats(&pc->pacer, &sts);
	__atomic_store_n(&pc->intended, st->intended, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->offered, st->offered, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->refused, st->refused, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->skipped, st->skipped, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->late, st->late, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->late_max_ns, st->late_max, __ATOMIC_RELAXED);
}

/*
 * A paced round: what the schedule owes now (absolute deadlines: after a stall,
 * a wake-up late or the process stopped, every packet owed is sent late, in
 * bursts, rather than dropped from the schedule). Refused packets are freed and
 * stay owed: the next round sends them again (the pacer counts the refusal).
 */
static unsigned int
gen_paced(struct fwd_stream *fs,
	  void (*mark)(struct fwd_stream *fs, struct rte_mbuf **pkts, unsigned int n))
{
	struct rte_mbuf *pkts[PMD_BURST_MAX];
	uint64_t now = lcx_context_now(fs->fl->ctx);
	unsigned int n, built;
	uint16_t sent;

	struct bench_pacer *pacer = &fs->pace->pacer;

	if (!fs->pace->started) {
		bench_pacer_start(pacer, now);
		fs->pace->started = true;
	}
	n = bench_pacer_owed(pacer, now, fs->burst);
	if (n == 0) {
		pace_publish(fs);
		return 0;
	}
	built = pmd_pkt_build(fs, pkts, n);
	if (built == 0) {
		bench_pacer_account(pacer, now, n, 0);
		pace_publish(fs);
		return 0;
	}
	/* Only what was built goes out; the rest (pool empty) stays owed. */
	if (mark != NULL)
		mark(fs, pkts, built);
	sent = lcx_port_tx_burst(fs->tx_port, fs->tx_queue, pkts, (uint16_t)built);
	if (sent < built)
		rte_pktmbuf_free_bulk(&pkts[sent], built - sent);
	bench_pacer_account(pacer, now, n, sent);
	pace_publish(fs);
	return sent;
}

unsigned int
pmd_gen_round(struct fwd_stream *fs,
	      void (*mark)(struct fwd_stream *fs, struct rte_mbuf **pkts, unsigned int n))
{
	struct rte_mbuf *pkts[PMD_BURST_MAX];
	unsigned int n;
	uint16_t sent;

	/*
	 * A link that is down (a memif peer not connected yet) would refuse it all.
	 * A paced stream's schedule starts with the first round with the link up; a
	 * later loss of the link leaves its packets owed (sent late when it is back).
	 */
	if (!__atomic_load_n(fs->tx_link, __ATOMIC_RELAXED))
		return 0;
	if (fs->rate_pps != 0)
		return gen_paced(fs, mark);
	n = fs->burst;
	if (fs->gen_quota < n)
		n = (unsigned int)fs->gen_quota;
	if (n == 0)
		return 0;
	n = pmd_pkt_build(fs, pkts, n);
	if (n == 0)
		return 0;
	if (mark != NULL)
		mark(fs, pkts, n);
	/* What is not sent is freed, and the quota is not spent on it. */
	sent = fwd_stream_send(fs, pkts, (uint16_t)n);
	if (fs->gen_quota != UINT64_MAX)
		fs->gen_quota -= sent;
	return sent;
}

static unsigned int
txonly_gen(void *arg)
{
	return pmd_gen_round(arg, NULL);
}

static const struct lcx_poller_ops txonly_gen_ops = {
	.name = "txonly",
	.poll = txonly_gen,
};

/*
 * Generators receive too: free what arrives (the port counts it). testpmd's
 * flowgen does; its txonly leaves packets in the rings.
 */
void
pmd_gen_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)arg;
	(void)port;
	(void)queue;
	rte_pktmbuf_free_bulk(pkts, n);
}

const struct fwd_engine txonly_engine = {
	.name = "txonly",
	.help = "generate UDP/IPv4 of --txpkts bytes; count and free what arrives",
	.rx = pmd_gen_rx,
	.gen = &txonly_gen_ops,
};
