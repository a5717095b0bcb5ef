/* SPDX-License-Identifier: BSD-3-Clause */
/* macswap: swap the source and destination MAC, then forward as io does. */

#include "pmd.h"

static void
macswap_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct fwd_stream *fs = arg;

	(void)port;
	(void)queue;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		struct rte_ether_addr tmp;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rte_ether_addr_copy(&eth->dst_addr, &tmp);
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
		rte_ether_addr_copy(&tmp, &eth->src_addr);
	}
	fwd_stream_send(fs, pkts, n);
}

const struct fwd_engine macswap_engine = {
	.name = "macswap",
	.help = "swap source and destination MAC",
	.rx = macswap_rx,
};
