/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io: forward every packet unchanged to the stream's tx port and queue.
 * What the queue refuses is freed and counted (testpmd's fwd_dropped).
 */

#include "pmd.h"

static void
io_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct fwd_stream *fs = arg;
	uint16_t sent;

	(void)port;
	(void)queue;
	sent = lcx_port_tx_burst(fs->tx_port, fs->tx_queue, pkts, n);
	if (unlikely(sent < n)) {
		PMD_ADD(fs->fwd_dropped, n - sent);
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
}

const struct fwd_engine io_engine = {
	.name = "io",
	.help = "forward packets unchanged",
	.rx = io_rx,
};
