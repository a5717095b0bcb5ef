/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A NIC rx counter: one DPDK port's rx queue attached to a throttled context.
 * The queue is a poller with the ring budget (port.h, poller.h): the context
 * parks between polls, but never so long that the rx ring could pass half
 * full at the arrival rate it measures. The handler counts and frees each
 * mbuf (it owns them).
 *
 *   rx_count EAL-ARGS -- DEVICE [THROTTLE_US [SECONDS]]
 *
 * DEVICE is an ethdev name or a vdev to create, e.g. "net_null0" or
 * "net_pcap0,rx_pcap=in.pcap,tx_drop=1" (run with --no-huge under no hugepages).
 * After SECONDS (default 1) it stops and prints
 *   "received N ipackets I imissed M rx_missed X parks P parks_cut C"
 * N: packets the handler got; I, M: the device's own rte_eth_stats; X: lcx's
 * count of ring overruns; P, C: the context's parks and parks the budget cut.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <lcx/lcx.h>

static atomic_ullong received;

/* Runs on the context; owns the n mbufs. */
static void
on_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	(void)queue;
	(void)arg;
	atomic_fetch_add_explicit(&received, n, memory_order_relaxed);
	rte_pktmbuf_free_bulk(pkts, n);
}

int
main(int argc, char **argv)
{
	struct lcx_context_conf cconf = {
		.name = "rx", .launch = LCX_LAUNCH_THREAD, .cpu = -1, .socket_id = -1,
	};
	struct lcx_port_conf pconf = { .driver = "dpdk", .nb_rxd = 1024 };
	struct lcx_context_stats cst;
	struct lcx_port_stats pst;
	struct rte_eth_stats est;
	struct lcx_context *ctx;
	struct lcx_port *port;
	double seconds;
	int ret, n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "rx_count: rte_eal_init failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	if (argc < 2) {
		fprintf(stderr, "usage: rx_count EAL-ARGS -- DEVICE [THROTTLE_US [SECONDS]]\n");
		return 2;
	}
	pconf.devargs = argv[1];
	cconf.throttle_ns = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1000) * 1000;
	seconds = argc > 3 ? atof(argv[3]) : 1;
	lcx_eal_attach();

	ret = lcx_port_create(&pconf, &port);
	if (ret < 0) {
		fprintf(stderr, "rx_count: lcx_port_create(%s): %s\n", pconf.devargs, strerror(-ret));
		return 1;
	}
	ret = lcx_context_acquire(&cconf, &ctx);
	if (ret == 0)
		ret = lcx_port_rxq_attach(port, 0, ctx, on_rx, NULL);
	if (ret == 0)
		ret = lcx_port_start(port);
	if (ret < 0) {
		fprintf(stderr, "rx_count: %s\n", strerror(-ret));
		return 1;
	}
	usleep((useconds_t)(seconds * 1e6));
	lcx_port_stop(port);
	lcx_port_rxq_detach(port, 0);
	if (lcx_port_stats(port, &pst) < 0 || lcx_context_stats(ctx, &cst) < 0 ||
	    rte_eth_stats_get((uint16_t)lcx_port_ethdev_id(port), &est) != 0) {
		fprintf(stderr, "rx_count: cannot read the counters\n");
		return 1;
	}
	printf("received %llu ipackets %llu imissed %llu rx_missed %llu parks %llu parks_cut %llu\n",
	       (unsigned long long)atomic_load(&received), (unsigned long long)est.ipackets,
	       (unsigned long long)est.imissed, (unsigned long long)pst.rx_missed,
	       (unsigned long long)cst.parks, (unsigned long long)cst.parks_cut);
	lcx_port_destroy(port);
	lcx_context_release(ctx);
	rte_eal_cleanup();
	return 0;
}
