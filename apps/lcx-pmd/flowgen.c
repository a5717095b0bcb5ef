/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowgen: txonly's packets spread over --flowgen-flows flows (the IPv4
 * destination runs 198.18.0.2, 198.18.0.3, ... and wraps), checksum redone
 * per packet; what arrives is counted and freed. The rest of a round (pacing,
 * quota, the link) is txonly's: pmd_gen_round() in txonly.c.
 */

#include <rte_ip.h>

#include "pmd.h"

/* Spread packets over nb_flows destination addresses. */
static void
set_flows(struct fwd_stream *fs, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *,
								  sizeof(struct rte_ether_hdr));

		ip->dst_addr = rte_cpu_to_be_32(PMD_IP_DST + fs->next_flow);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (++fs->next_flow >= fs->nb_flows)
			fs->next_flow = 0;
	}
}

static unsigned int
flowgen_gen(void *arg)
{
	return pmd_gen_round(arg, set_flows);
}

static const struct lcx_poller_ops flowgen_gen_ops = {
	.name = "flowgen",
	.poll = flowgen_gen,
};

const struct fwd_engine flowgen_engine = {
	.name = "flowgen",
	.help = "txonly over --flowgen-flows destination addresses",
	.rx = pmd_gen_rx,
	.gen = &flowgen_gen_ops,
};
