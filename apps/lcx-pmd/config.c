/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-pmd's set-up (testpmd's config.c), after rte_eal_init(): the ports
 * (what the EAL found, or the embedded net_null pair), one mbuf pool per NUMA
 * socket, the ports configured and started, and the streams spread over the
 * forwarding lcores. Errors exit (1 run time, 2 usage) before anything runs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "applog.h"
#include "ealdev.h"
#include "pmd.h"

#define MBUF_CACHE 250


const char *
pmd_port_label(uint16_t i)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "port %u (%s)", pmd.ports[i].ethdev_id, pmd.ports[i].name);
	return buf;
}

/*
 * The ports: what the EAL made of the devices named on its command line, or, when
 * none was named (no -a/--allow, --vdev, -b/--block) and none was found, the
 * embedded net_null pair. A named device that gave no port is an error: no
 * fallback to a default the user did not ask for.
 */
static void
find_ports(const struct app_devs *devs)
{
	uint16_t id;
	unsigned int missing = app_devs_check(devs, pmd_prog);

	if (missing > 0)
		pmd_die(PMD_EXIT_ERROR, "%u device%s named on the EAL command line gave no port: "
		    "stopping (the embedded net_null ports are only for a run that names no "
		    "device)", missing, missing == 1 ? "" : "s");
	if (rte_eth_dev_count_avail() == 0 && !app_devs_given(devs) && !pmd.portlist_set) {
		app_log_raw(APP_LOG_NOTICE,
		            "%s: no port found: adding --vdev=net_null0 --vdev=net_null1 (an "
				"endless source and sink; give --vdev or a PCI device for real "
				"traffic)", pmd_prog);
		if (rte_dev_probe("net_null0") < 0 || rte_dev_probe("net_null1") < 0)
			pmd_die(PMD_EXIT_ERROR, "cannot create the net_null ports");
	}
	if (rte_eth_dev_count_avail() == 0)
		pmd_die(PMD_EXIT_ERROR, "no ethdev port%s: give --vdev=... or a PCI device",
		    devs->block ? " (-b/--block given: no embedded default)" : "");
	if (pmd.portlist_set) {
		for (uint16_t i = 0; i < pmd.nb_portlist; i++) {
			if (!rte_eth_dev_is_valid_port(pmd.portlist[i])) {
				char ids[256] = "";
				size_t n = 0;

				RTE_ETH_FOREACH_DEV(id) {
					if (n < sizeof(ids))
						n += (size_t)snprintf(ids + n, sizeof(ids) - n,
								      "%s%u", n ? ", " : "", id);
				}
				app_log_raw(APP_LOG_ERR, "%s: --portlist: port %u does not exist "
					    "(%u ports: %s)", pmd_prog, pmd.portlist[i],
					    rte_eth_dev_count_avail(), ids);
				exit(PMD_EXIT_USAGE);
			}
			pmd.ports[pmd.nb_ports++].ethdev_id = pmd.portlist[i];
		}
	} else {
		RTE_ETH_FOREACH_DEV(id) {
			if (pmd.nb_ports >= PMD_MAX_PORTS) {
				app_log_raw(APP_LOG_WARNING,
				            "%s: using the first %d ports only", pmd_prog,
					PMD_MAX_PORTS);
				break;
			}
			pmd.ports[pmd.nb_ports++].ethdev_id = id;
		}
	}
	for (unsigned int i = 0; i < PMD_MAX_PORTS && pmd.peers[i].set; i++) {
		uint16_t p;

		for (p = 0; p < pmd.nb_ports; p++)
			if (pmd.ports[p].ethdev_id == pmd.peers[i].ethdev_id)
				break;
		if (p == pmd.nb_ports)
			pmd_die(PMD_EXIT_USAGE, "--eth-peer: port %u is not a forwarding port",
			    pmd.peers[i].ethdev_id);
		pmd.ports[p].peer = pmd.peers[i].mac;
	}
}

static uint16_t
tx_port_of(uint16_t i)
{
	if (pmd.engine->tx_port_of != NULL)
		return pmd.engine->tx_port_of(i);
	switch (pmd.topology) {
	case TOPO_CHAINED:
		return (uint16_t)((i + 1) % pmd.nb_ports);
	case TOPO_LOOP:
		return i;
	case TOPO_PAIRED:
	default:
		return (i ^ 1u) < pmd.nb_ports ? (uint16_t)(i ^ 1u) : i;
	}
}

static uint32_t
mbufs_needed(int socket)
{
	uint64_t n = 0;

	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		if (rte_eth_dev_socket_id(pmd.ports[i].ethdev_id) == socket ||
		    rte_eth_dev_socket_id(pmd.ports[i].ethdev_id) < 0)
			n += (uint64_t)pmd.nb_rxq * pmd.nb_rxd + (uint64_t)pmd.nb_txq * pmd.nb_txd;
	/* Per-lcore caches and the bursts in flight in the handlers. */
	n += (uint64_t)(pmd.nb_lcores + 1) * (MBUF_CACHE + PMD_BURST_MAX);
	n += (uint64_t)pmd.nb_streams * pmd.burst * 2;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static int
port_socket(uint16_t i)
{
	int s = rte_eth_dev_socket_id(pmd.ports[i].ethdev_id);

	return s < 0 ? (int)rte_socket_id() : s;
}

static void
make_pools(void)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		int s = port_socket(i);
		uint32_t need = mbufs_needed(s);
		uint32_t n = pmd.total_mbufs;
		char name[RTE_MEMPOOL_NAMESIZE];

		if (pmd.pools[s] != NULL)
			continue;
		if (n == 0) {
			n = need > 8192 ? need : 8192;
		} else if (n < need) {
			pmd_die(PMD_EXIT_USAGE,
			    "pool too small: --total-num-mbufs=%u, but %u ports x (%u rx + %u tx "
			    "ring entries) plus caches and bursts need at least %u",
			    n, pmd.nb_ports, pmd.nb_rxq * pmd.nb_rxd, pmd.nb_txq * pmd.nb_txd, need);
		}
		snprintf(name, sizeof(name), "lcxpmd_pool_s%d", s);
		pmd.pools[s] = lcx_pktmbuf_pool_create(name, n, MBUF_CACHE, 0,
						       RTE_MBUF_DEFAULT_BUF_SIZE, s, pmd.pool_layout);
		if (pmd.pools[s] == NULL && pmd.pool_layout == LCX_POOL_PACKED &&
		    rte_errno == EINVAL)
			pmd_die(PMD_EXIT_USAGE, "--mp-alloc=packed needs the EAL's IOVA mode VA "
			    "(--iova-mode=va); this run has PA");
		if (pmd.pools[s] == NULL)
			pmd_die(PMD_EXIT_ERROR,
			    "cannot create a pool of %u mbufs on socket %d: %s (give the EAL more "
			    "memory with -m, or fewer mbufs)", n, s, rte_strerror(rte_errno));
	}
}

static void
open_ports(void)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		struct pmd_port *pp = &pmd.ports[i];
		char devargs[16];
		struct lcx_port_conf conf = {
			.driver = "dpdk",
			.devargs = devargs,
			.nb_rxq = pmd.nb_rxq,
			.nb_txq = pmd.nb_txq,
			.nb_rxd = pmd.nb_rxd,
			.nb_txd = pmd.nb_txd,
			.burst = pmd.burst,
			.pool = pmd.pools[port_socket(i)],
			.promiscuous = true,
		};
		int ret;

		snprintf(devargs, sizeof(devargs), "%u", pp->ethdev_id);
		if (rte_eth_dev_get_name_by_port(pp->ethdev_id, pp->name) != 0)
			snprintf(pp->name, sizeof(pp->name), "port%u", pp->ethdev_id);
		ret = lcx_port_create(&conf, &pp->port);
		if (ret < 0)
			pmd_die(PMD_EXIT_ERROR, "%s: cannot configure (%u rxq, %u txq, %u/%u ring "
			    "entries): %s", pmd_port_label(i), pmd.nb_rxq, pmd.nb_txq, pmd.nb_rxd,
			    pmd.nb_txd, strerror(-ret));
		ret = lcx_port_start(pp->port);
		if (ret < 0)
			pmd_die(PMD_EXIT_ERROR, "%s: cannot start: %s", pmd_port_label(i), strerror(-ret));
		if (lcx_port_mac(pp->port, pp->mac.addr_bytes) < 0)
			memset(&pp->mac, 0, sizeof(pp->mac));
		bool peer_set = false;

		for (unsigned int k = 0; k < PMD_MAX_PORTS && pmd.peers[k].set; k++)
			if (pmd.peers[k].ethdev_id == pp->ethdev_id)
				peer_set = true;
		if (!peer_set) {
			memset(&pp->peer, 0, sizeof(pp->peer));
			pp->peer.addr_bytes[0] = 0x02;
			pp->peer.addr_bytes[5] = (uint8_t)pp->ethdev_id;
		}
	}
}

static void
make_streams(void)
{
	unsigned int workers = 0, lcore;
	unsigned int owner[PMD_MAX_PORTS][LCX_PORT_QUEUES_MAX];

	pmd.nb_streams = (uint32_t)pmd.nb_ports * pmd.nb_rxq;
	pmd.streams = rte_zmalloc("lcxpmd_streams", sizeof(*pmd.streams) * pmd.nb_streams,
				  RTE_CACHE_LINE_SIZE);
	if (pmd.streams == NULL)
		pmd_die(PMD_EXIT_ERROR, "out of memory for %u streams", pmd.nb_streams);

	RTE_LCORE_FOREACH_WORKER(lcore)
		workers++;
	if (workers == 0)
		pmd_die(PMD_EXIT_USAGE, "no forwarding lcore: the EAL has only the main lcore; give "
				    "two lcores or more (-l 0,1)");
	if (pmd.nb_cores > workers)
		pmd_die(PMD_EXIT_USAGE, "--nb-cores=%u, but only %u worker lcores (EAL -l/--lcores)",
		    pmd.nb_cores, workers);
	pmd.nb_lcores = pmd.nb_cores;
	if (pmd.nb_lcores > pmd.nb_streams) {
		app_log_raw(APP_LOG_WARNING,
		            "%s: %u streams for %u cores: using %u forwarding cores", pmd_prog,
			pmd.nb_streams, pmd.nb_lcores, pmd.nb_streams);
		pmd.nb_lcores = pmd.nb_streams;
	}
	unsigned int k = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (k >= pmd.nb_lcores)
			break;
		struct fwd_lcore *fl = &pmd.lcores[k];

		fl->lcore_id = lcore;
		fl->first_stream = (uint32_t)((uint64_t)k * pmd.nb_streams / pmd.nb_lcores);
		fl->nb_streams = (uint32_t)((uint64_t)(k + 1) * pmd.nb_streams / pmd.nb_lcores) -
				 fl->first_stream;
		snprintf(fl->name, sizeof(fl->name), "fwd-%u", lcore);
		k++;
	}

	memset(owner, 0xff, sizeof(owner));
	uint64_t rate_left = pmd.tx_rate_pps, count_left = pmd.tx_count;

	if (pmd.engine->gen != NULL && pmd.tx_rate_pps != 0 && pmd.tx_rate_pps < pmd.nb_streams)
		pmd_die(PMD_EXIT_USAGE, "--tx-rate-pps=%llu is less than one packet/s per stream "
		    "(%u streams)", (unsigned long long)pmd.tx_rate_pps, pmd.nb_streams);
	for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
		struct fwd_lcore *fl = &pmd.lcores[l];

		for (uint32_t s = fl->first_stream; s < fl->first_stream + fl->nb_streams; s++) {
			struct fwd_stream *fs = &pmd.streams[s];
			uint16_t rxp = (uint16_t)(s / pmd.nb_rxq);
			uint16_t txp = tx_port_of(rxp);
			uint32_t left = pmd.nb_streams - s;

			fs->fl = fl;
			fs->rx_port_id = rxp;
			fs->rx_port = pmd.ports[rxp].port;
			fs->rx_queue = (uint16_t)(s % pmd.nb_rxq);
			fs->tx_port_id = txp;
			fs->tx_port = pmd.ports[txp].port;
			fs->tx_queue = (uint16_t)(fs->rx_queue % pmd.nb_txq);
			fs->tx_src = pmd.ports[txp].mac;
			fs->tx_dst = pmd.ports[txp].peer;
			fs->tx_link = &pmd.ports[txp].link_up;
			fs->pool = pmd.pools[port_socket(txp)];
			fs->pkt_len = pmd.txpkts;
			fs->burst = pmd.burst;
			fs->nb_flows = pmd.flowgen_flows;
			/* Shares of the rate and the count: spread the remainder. */
			fs->rate_pps = pmd.tx_rate_pps != 0 ? rate_left / left : 0;
			rate_left -= fs->rate_pps;
			if (pmd.tx_count != 0) {
				fs->gen_quota = count_left / left;
				count_left -= fs->gen_quota;
			} else {
				fs->gen_quota = UINT64_MAX;
			}
			pmd_pkt_template(fs);

			if (owner[txp][fs->tx_queue] != UINT_MAX &&
			    owner[txp][fs->tx_queue] != fl->lcore_id)
				pmd_die(PMD_EXIT_USAGE,
				    "tx queue %u of %s would be shared by lcores %u and %u: give "
				    "--txq=%u (tx queues are not thread-safe)", fs->tx_queue,
				    pmd_port_label(txp), owner[txp][fs->tx_queue], fl->lcore_id,
				    pmd.nb_rxq);
			owner[txp][fs->tx_queue] = fl->lcore_id;
		}
	}
}

void
pmd_config(const struct app_devs *devs)
{
	unsigned int workers = 0, lc;

	find_ports(devs);
	/* Streams need the lcore count; pools need the streams: count first. */
	RTE_LCORE_FOREACH_WORKER(lc)
		workers++;
	pmd.nb_lcores = pmd.nb_cores < workers ? pmd.nb_cores : workers;
	pmd.nb_streams = (uint32_t)pmd.nb_ports * pmd.nb_rxq;
	make_pools();
	open_ports();
	make_streams();
}

void
pmd_ports_stop(void)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		(void)lcx_port_stop(pmd.ports[i].port); /* a failure is logged there */
}

void
pmd_ports_close(void)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		lcx_port_destroy(pmd.ports[i].port);
		pmd.ports[i].port = NULL;
		(void)rte_eth_dev_close(pmd.ports[i].ethdev_id);
	}
}

void
pmd_config_free(void)
{
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(pmd.pools[s]);
		pmd.pools[s] = NULL;
	}
	for (uint32_t s = 0; pmd.streams != NULL && s < pmd.nb_streams; s++)
		free(pmd.streams[s].pace);
	rte_free(pmd.streams);
	pmd.streams = NULL;
}
