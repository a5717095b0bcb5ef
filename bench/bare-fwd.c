/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bare DPDK io forwarder: ports 0 and 1, one queue each, rx on one and tx on
 * the other, in a plain loop on lcore 1. No lcx. The ceiling a forwarder
 * built from this machine's DPDK headers reaches, measured next to lcx-pmd
 * and dpdk-testpmd (doc/performance.md). Build and run:
 *   cc -O3 $(pkg-config --cflags libdpdk) bench/bare-fwd.c -o /tmp/bare-fwd \
 *      $(pkg-config --libs libdpdk)
 *   /tmp/bare-fwd --no-huge -m 1024 --no-pci --lcores=0@0,1@1 \
 *      --vdev=net_null0 --vdev=net_null1
 * It forwards for 6 s and prints the mean rate over them.
 */
#include <stdio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>

static volatile int stop;
static uint64_t forwarded;

static int
fwd(void *arg)
{
	struct rte_mbuf *b[32];
	uint64_t n = 0;

	(void)arg;
	while (!stop) {
		for (uint16_t p = 0; p < 2; p++) {
			uint16_t r = rte_eth_rx_burst(p, 0, b, 32);

			if (r == 0)
				continue;
			uint16_t s = rte_eth_tx_burst(p ^ 1, 0, b, r);

			n += r;
			if (s < r)
				rte_pktmbuf_free_bulk(b + s, r - s);
		}
	}
	forwarded = n;
	return 0;
}

int
main(int argc, char **argv)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_mempool *mp;

	if (rte_eal_init(argc, argv) < 0 || rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "bare-fwd: EAL init failed or fewer than 2 ports\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("bare", 16384, 250, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL)
		return 1;
	for (uint16_t p = 0; p < 2; p++) {
		if (rte_eth_dev_configure(p, 1, 1, &conf) < 0 ||
		    rte_eth_rx_queue_setup(p, 0, 1024, 0, NULL, mp) < 0 ||
		    rte_eth_tx_queue_setup(p, 0, 1024, 0, NULL) < 0 || rte_eth_dev_start(p) < 0) {
			fprintf(stderr, "bare-fwd: port %u does not start\n", p);
			return 1;
		}
	}
	uint64_t t0 = rte_rdtsc();

	rte_eal_remote_launch(fwd, NULL, 1);
	sleep(6);
	stop = 1;
	rte_eal_wait_lcore(1);
	double s = (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz();

	printf("bare: %.2f Mpps\n", (double)forwarded / s / 1e6);
	return 0;
}
