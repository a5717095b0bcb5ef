/* SPDX-License-Identifier: BSD-3-Clause */
/* rxonly: free every packet (the port counts them). */

#include "pmd.h"

static void
rxonly_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	(void)queue;
	(void)arg;
	rte_pktmbuf_free_bulk(pkts, n);
}

const struct fwd_engine rxonly_engine = {
	.name = "rxonly",
	.help = "receive, count and free",
	.rx = rxonly_rx,
};
