/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txonly: every stream generates UDP/IPv4 packets of --txpkts bytes
 * (198.18.0.1:9 -> 198.18.0.2:9, source MAC of the tx port, destination its
 * peer) on its tx port and queue, and frees what it receives.
 *
 * The generator is a struct lcx_poller of the stream's own, registered on the
 * stream's context: its poll sends one burst and returns how many went out,
 * with the poller's burst set to --burst, so while it sends full bursts the
 * context never parks. With --tx-rate-pps the stream earns credit at its share
 * of the rate and sends what it is owed; with nothing owed the poll returns 0
 * and the context parks until its next react, so a paced generator sleeps
 * between rounds: it sends rate x throttle packets back to back once per
 * throttle period, and keeps at most two periods of credit, so a late wake-up
 * costs rate rather than a train longer than the receiver's ring. With
 * --tx-count the stream stops after its share of packets has been sent
 * (refused packets do not count). Nothing is sent while the tx port's link is
 * down (the main lcore watches the links), as testpmd waits for links before
 * it starts. This file also holds the template, the builder and the round
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

/* How many packets this round may send: the burst, the quota and the rate. */
static unsigned int
gen_allowance(struct fwd_stream *fs)
{
	uint64_t n = fs->burst;

	if (fs->gen_quota < n)
		n = fs->gen_quota;
	if (fs->rate_pps != 0) {
		uint64_t now = lcx_context_now(fs->fl->ctx);
		uint64_t dt = now - fs->last_ns;
		uint64_t thr = lcx_context_throttle(fs->fl->ctx);
		/*
		 * Keep at most two throttle periods' worth of credit (two bursts at
		 * least): after a stall (a late wake-up, a refusing queue) the
		 * generator does not catch up with one train longer than the rings.
		 */
		uint64_t span = 2 * (thr > 100000ull ? thr : 100000ull);
		uint64_t cap = fs->rate_pps * span / 1000;

		if (cap < 2ull * fs->burst * 1000000ull)
			cap = 2ull * fs->burst * 1000000ull;

		if (dt > 1000000000ull)
			dt = 1000000000ull;
		fs->last_ns = now;
		fs->credit_mp += dt * fs->rate_pps / 1000;
		if (fs->credit_mp > cap)
			fs->credit_mp = cap;
		if (fs->credit_mp / 1000000ull < n)
			n = fs->credit_mp / 1000000ull;
	}
	return (unsigned int)n;
}

unsigned int
pmd_gen_round(struct fwd_stream *fs,
	      void (*mark)(struct fwd_stream *fs, struct rte_mbuf **pkts, unsigned int n))
{
	struct rte_mbuf *pkts[PMD_BURST_MAX];
	unsigned int n;
	uint16_t sent;

	/* A link that is down (a memif peer not connected yet) would refuse it all. */
	if (!__atomic_load_n(fs->tx_link, __ATOMIC_RELAXED)) {
		fs->last_ns = lcx_context_now(fs->fl->ctx); /* no credit while down */
		return 0;
	}
	n = gen_allowance(fs);
	if (n == 0)
		return 0;
	n = pmd_pkt_build(fs, pkts, n);
	if (n == 0)
		return 0;
	if (mark != NULL)
		mark(fs, pkts, n);
	/* What is not sent is freed, and neither the quota nor the credit is spent on it. */
	sent = fwd_stream_send(fs, pkts, (uint16_t)n);
	if (fs->gen_quota != UINT64_MAX)
		fs->gen_quota -= sent;
	if (fs->rate_pps != 0)
		fs->credit_mp -= (uint64_t)sent * 1000000ull;
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
