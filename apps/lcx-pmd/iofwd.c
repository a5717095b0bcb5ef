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

	(void)port;
	(void)queue;
	fwd_stream_send(fs, pkts, n);
}

const struct fwd_engine io_engine = {
	.name = "io",
	.help = "forward packets unchanged",
	.rx = io_rx,
};
