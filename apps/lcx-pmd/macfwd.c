/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mac: set the source MAC to the tx port's address and the destination to
 * the tx port's peer (--eth-peer, default 02:00:00:00:00:<port>), then
 * forward as io does.
 */

#include "pmd.h"

static void
mac_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct fwd_stream *fs = arg;

	(void)port;
	(void)queue;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rte_ether_addr_copy(&fs->tx_dst, &eth->dst_addr);
		rte_ether_addr_copy(&fs->tx_src, &eth->src_addr);
	}
	fwd_stream_send(fs, pkts, n);
}

const struct fwd_engine mac_engine = {
	.name = "mac",
	.help = "source MAC: the tx port's; destination: its peer (--eth-peer)",
	.rx = mac_rx,
};
