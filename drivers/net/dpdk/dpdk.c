/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "dpdk" port driver: any ethdev port, PCI or virtual.
 *
 * devargs is one of:
 *  - a port id ("0");
 *  - the name of an ethdev that exists ("net_null0", "0000:01:00.0");
 *  - a device to hot-plug with rte_dev_probe() ("net_ring0",
 *    "net_memif0,role=server,socket=/tmp/x.sock"). A device this driver
 *    plugged is closed and removed again when the port is destroyed; a device
 *    that existed before is only stopped, and left for the next user.
 *
 * A memif client (net_memif with role=client) has restart_on_link_down set:
 * DPDK 22.11's memif client connects to its server only in dev_start, and
 * once that connection is gone (the server went away, or refused it while it
 * was not started yet) the device stays down for good; lcx_port_link_check()
 * then restarts it (doc/design.md, "Link loss").
 *
 * Receive timestamps (lcx_port_conf.rx_timestamp): a device that offers
 * RTE_ETH_RX_OFFLOAD_TIMESTAMP gets the offload enabled (its own clock, read
 * with rte_eth_read_clock()). DPDK 22.11's net_pcap offers no offload (its
 * rx_offload_capa is 0 and a configure that asks for it fails) but writes
 * the timestamp field and flag on every frame it reads: libpcap's header time,
 * which on an interface (rx_iface, rx_iface_in, iface) is the kernel's
 * receive time, CLOCK_REALTIME in microseconds (pcap_open_live()'s default
 * precision), and on a file (rx_pcap) the file's record time, no receive
 * time at all; with infinite_rx it writes none. So net_pcap on an interface
 * is taken as stamping (LCX_PORT_TSTAMP_REALTIME_US), on a file it is not.
 * Anything else: -ENOTSUP, with the reason in the log.
 *
 * The rx burst is rte_eth_rx_burst(); the fill level for the ring budget is
 * rte_eth_rx_queue_count() where the PMD has it (probed at start; a PMD that
 * answers -ENOTSUP is never asked again and the context goes by what bursts
 * return).
 */
/* rte_eth_read_clock() is experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <lcx/driver/port.h>

RTE_LOG_REGISTER(lcx_logtype_dpdk, lcx.net.dpdk, NOTICE);
#define DPDK_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, lcx_logtype_dpdk, "lcx.net.dpdk: " fmt "\n", ##__VA_ARGS__)

struct dpdk_rxq {
	uint16_t port_id;
	uint16_t qid;
	_Atomic bool no_fill; /* rte_eth_rx_queue_count() said -ENOTSUP */
};

struct dpdk_txq {
	uint16_t port_id;
	uint16_t qid;
};

struct dpdk_priv {
	uint16_t port_id;
	bool probed;             /* this driver plugged the device */
	bool started;
	bool promisc_warned;     /* promiscuous mode refused once: said once */
	bool ts_offload;         /* RTE_ETH_RX_OFFLOAD_TIMESTAMP enabled */
	struct rte_device *rdev; /* for rte_dev_remove() */
	uint64_t stop_freed;     /* frames left in the rx rings at stop, freed: in rx_missed */
	uint64_t stop_freed_bytes; /* their bytes: in the device's ibytes, not in rx_bytes */
	struct dpdk_rxq rxq[LCX_PORT_QUEUES_MAX];
	struct dpdk_txq txq[LCX_PORT_QUEUES_MAX];
};

/* Ports some lcx port uses: one lcx port per ethdev. */
static pthread_mutex_t used_lock = PTHREAD_MUTEX_INITIALIZER;
static bool used[RTE_MAX_ETHPORTS];

/* --- fast path --- */

static uint16_t
dpdk_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dpdk_rxq *q = rxq;

	return rte_eth_rx_burst(q->port_id, q->qid, pkts, n);
}

static uint16_t
dpdk_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dpdk_txq *q = txq;

	return rte_eth_tx_burst(q->port_id, q->qid, pkts, n);
}

static int
dpdk_rx_fill(void *rxq)
{
	struct dpdk_rxq *q = rxq;

	if (atomic_load_explicit(&q->no_fill, memory_order_relaxed))
		return -1;
	int n = rte_eth_rx_queue_count(q->port_id, q->qid);

	if (n < 0) {
		if (n == -ENOTSUP)
			atomic_store_explicit(&q->no_fill, true, memory_order_relaxed);
		return -1;
	}
	return n;
}

/* --- control --- */

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Find or plug the ethdev that devargs names. */
static int
resolve(struct lcx_port_dev *dev, struct dpdk_priv *p)
{
	const char *devargs = dev->conf.devargs;
	char name[RTE_DEV_NAME_MAX_LEN];
	struct rte_dev_iterator it;
	uint16_t id;
	int ret;

	if (devargs[0] == '\0') {
		DPDK_LOG(ERR, "no device given (devargs is empty)");
		return -EINVAL;
	}
	if (all_digits(devargs)) {
		unsigned long v = strtoul(devargs, NULL, 10);

		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v)) {
			DPDK_LOG(ERR, "no ethdev port %s (%u ports)", devargs,
				 rte_eth_dev_count_avail());
			return -ENODEV;
		}
		p->port_id = (uint16_t)v;
		return 0;
	}
	size_t len = strcspn(devargs, ",");

	if (len == 0 || len >= sizeof(name)) {
		DPDK_LOG(ERR, "bad device name in \"%s\"", devargs);
		return -EINVAL;
	}
	memcpy(name, devargs, len);
	name[len] = '\0';
	if (rte_eth_dev_get_port_by_name(name, &id) == 0) {
		if (devargs[len] != '\0')
			DPDK_LOG(NOTICE, "%s exists already: arguments \"%s\" ignored", name,
				 devargs + len + 1);
		p->port_id = id;
		return 0;
	}
	ret = rte_dev_probe(devargs);
	if (ret < 0) {
		DPDK_LOG(ERR, "cannot probe device \"%s\": %s (a vdev needs its driver loaded, "
			 "a PCI device a bound driver)", devargs, rte_strerror(-ret));
		return ret == -EEXIST ? -EEXIST : -ENODEV;
	}
	p->probed = true;
	if (rte_eth_dev_get_port_by_name(name, &id) == 0) {
		p->port_id = id;
		return 0;
	}
	/* Some PMDs name their ports apart from the device. */
	RTE_ETH_FOREACH_MATCHING_DEV(id, devargs, &it) {
		p->port_id = id;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	DPDK_LOG(ERR, "device \"%s\" was probed but gave no ethdev port", devargs);
	return -ENODEV;
}

static void
unplug(struct dpdk_priv *p)
{
	if (!p->probed)
		return;
	if (rte_eth_dev_is_valid_port(p->port_id))
		(void)rte_eth_dev_close(p->port_id);
	if (p->rdev != NULL) {
		int ret = rte_dev_remove(p->rdev);

		if (ret < 0)
			DPDK_LOG(WARNING, "cannot remove device: %s", rte_strerror(-ret));
	}
	p->probed = false;
}

static int
take_port(uint16_t id)
{
	int ret = 0;

	pthread_mutex_lock(&used_lock);
	if (used[id])
		ret = -EBUSY;
	else
		used[id] = true;
	pthread_mutex_unlock(&used_lock);
	return ret;
}

static void
release_port(uint16_t id)
{
	pthread_mutex_lock(&used_lock);
	used[id] = false;
	pthread_mutex_unlock(&used_lock);
}

static int
configure(struct lcx_port_dev *dev, struct dpdk_priv *p, const struct rte_eth_dev_info *info)
{
	struct lcx_port_conf *c = &dev->conf;
	struct rte_eth_conf ec;
	uint16_t rxd = c->nb_rxd, txd = c->nb_txd;
	int ret;

	memset(&ec, 0, sizeof(ec));
	if (p->ts_offload)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	if (c->nb_rxq > 1) {
		uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
			      info->flow_type_rss_offloads;

		if (hf != 0) {
			ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			ec.rx_adv_conf.rss_conf.rss_hf = hf;
		} else {
			DPDK_LOG(NOTICE, "%s: no RSS: how packets spread over its %u rx queues is "
				 "up to the device", dev->name, c->nb_rxq);
		}
	}
	ret = rte_eth_dev_configure(p->port_id, c->nb_rxq, c->nb_txq, &ec);
	if (ret < 0) {
		DPDK_LOG(ERR, "%s: configure %u rx / %u tx queues: %s", dev->name, c->nb_rxq,
			 c->nb_txq, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	if (ret < 0) {
		DPDK_LOG(ERR, "%s: ring sizes %u/%u: %s", dev->name, rxd, txd, rte_strerror(-ret));
		return ret;
	}
	if (rxd != c->nb_rxd || txd != c->nb_txd)
		DPDK_LOG(NOTICE, "%s: rings of %u rx / %u tx entries (asked %u / %u)", dev->name,
			 rxd, txd, c->nb_rxd, c->nb_txd);
	c->nb_rxd = rxd;
	c->nb_txd = txd;
	if (c->burst > rxd)
		c->burst = rxd;
	dev->rx_ring_size = rxd;
	return 0;
}

static int
setup_queues(struct lcx_port_dev *dev, struct dpdk_priv *p)
{
	const struct lcx_port_conf *c = &dev->conf;
	unsigned int socket = (unsigned int)(dev->socket_id >= 0 ? dev->socket_id : SOCKET_ID_ANY);
	int ret;

	for (uint16_t q = 0; q < c->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, c->nb_rxd, socket, NULL, dev->pool);
		if (ret < 0) {
			DPDK_LOG(ERR, "%s: rx queue %u (%u entries): %s", dev->name, q, c->nb_rxd,
				 rte_strerror(-ret));
			return ret;
		}
		p->rxq[q].port_id = p->port_id;
		p->rxq[q].qid = q;
		dev->rxq[q] = &p->rxq[q];

		/* Some PMDs keep a ring of their own size (af_packet: framecnt). */
		struct rte_eth_rxq_info qi;

		if (rte_eth_rx_queue_info_get(p->port_id, q, &qi) == 0 && qi.nb_desc != 0 &&
		    qi.nb_desc < dev->rx_ring_size)
			dev->rx_ring_size = qi.nb_desc;
	}
	for (uint16_t q = 0; q < c->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(p->port_id, q, c->nb_txd, socket, NULL);
		if (ret < 0) {
			DPDK_LOG(ERR, "%s: tx queue %u (%u entries): %s", dev->name, q, c->nb_txd,
				 rte_strerror(-ret));
			return ret;
		}
		p->txq[q].port_id = p->port_id;
		p->txq[q].qid = q;
		dev->txq[q] = &p->txq[q];
	}
	return 0;
}

/*
 * A memif client: connects only in dev_start (DPDK 22.11), so a link that went
 * down needs a stop and a start. The role comes from the device's arguments
 * (server when not given, as the PMD has it).
 */
static bool
memif_client(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da;
	struct rte_kvargs *kv;
	const char *role;
	bool client = false;

	if (info->driver_name == NULL || strcmp(info->driver_name, "net_memif") != 0 ||
	    info->device == NULL)
		return false;
	da = rte_dev_devargs(info->device);
	if (da == NULL || da->args == NULL || da->args[0] == '\0')
		return false;
	kv = rte_kvargs_parse(da->args, NULL);
	if (kv == NULL)
		return false;
	role = rte_kvargs_get(kv, "role");
	client = role != NULL && strcmp(role, "client") == 0;
	rte_kvargs_free(kv);
	return client;
}

/*
 * net_pcap's source: "iface" when it reads an interface (rx_iface, rx_iface_in,
 * iface, without infinite_rx), "file" for a capture file, NULL when it is no
 * net_pcap or its arguments cannot be read.
 */
static const char *
pcap_source(const struct rte_eth_dev_info *info)
{
	static const char *const ifkeys[] = { "rx_iface", "rx_iface_in", "iface" };
	const struct rte_devargs *da;
	struct rte_kvargs *kv;
	const char *src = NULL;

	if (info->driver_name == NULL || strcmp(info->driver_name, "net_pcap") != 0 ||
	    info->device == NULL)
		return NULL;
	da = rte_dev_devargs(info->device);
	if (da == NULL || da->args == NULL)
		return NULL;
	kv = rte_kvargs_parse(da->args, NULL);
	if (kv == NULL)
		return NULL;
	if (rte_kvargs_count(kv, "rx_pcap") > 0 || rte_kvargs_count(kv, "infinite_rx") > 0)
		src = "file";
	for (unsigned int i = 0; src == NULL && i < RTE_DIM(ifkeys); i++)
		if (rte_kvargs_count(kv, ifkeys[i]) > 0)
			src = "iface";
	rte_kvargs_free(kv);
	return src;
}

/* conf.rx_timestamp: the offload, or a PMD that stamps by itself; else -ENOTSUP. */
static int
tstamp_setup(struct lcx_port_dev *dev, struct dpdk_priv *p, const struct rte_eth_dev_info *info)
{
	struct lcx_port_rx_tstamp *ts = &dev->rx_tstamp;
	const char *pcap = pcap_source(info);
	int ret;

	memset(ts, 0, sizeof(*ts));
	if (dev->conf.rx_timestamp == LCX_PORT_RX_TSTAMP_OFF)
		return 0;
	if ((info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) != 0) {
		p->ts_offload = true;
		ts->clock = LCX_PORT_TSTAMP_DEVICE;
	} else if (pcap != NULL && strcmp(pcap, "iface") == 0) {
		ts->clock = LCX_PORT_TSTAMP_REALTIME_US;
		ts->hz = 1000000;
	} else {
		bool on = dev->conf.rx_timestamp == LCX_PORT_RX_TSTAMP_ON;

		rte_log(on ? RTE_LOG_ERR : RTE_LOG_INFO, lcx_logtype_dpdk,
			"lcx.net.dpdk: %s: no receive timestamps%s: %s\n", dev->name,
			on ? "" : " (none asked for if absent: going on without)",
			pcap != NULL ? "net_pcap reading a file stamps the file's record times "
				       "(or none: infinite_rx), not receive times"
				     : "the device does not offer RTE_ETH_RX_OFFLOAD_TIMESTAMP");
		return on ? -ENOTSUP : 0;
	}
	ret = rte_mbuf_dyn_rx_timestamp_register(&ts->offset, &ts->flag);
	if (ret < 0) {
		DPDK_LOG(ERR, "%s: cannot register the mbuf timestamp field: %s", dev->name,
			 rte_strerror(rte_errno));
		memset(ts, 0, sizeof(*ts));
		p->ts_offload = false;
		return -rte_errno != 0 ? -rte_errno : -ENOMEM;
	}
	DPDK_LOG(INFO, "%s: receive timestamps: %s", dev->name,
		 ts->clock == LCX_PORT_TSTAMP_DEVICE ? "the device's clock (offload enabled)"
						     : "the kernel's receive time (net_pcap)");
	return 0;
}

static int
dpdk_create(struct lcx_port_dev *dev)
{
	struct dpdk_priv *p = dev->priv;
	const struct lcx_port_conf *c = &dev->conf;
	struct rte_eth_dev_info info;
	int ret;

	if (!lcx_port_eal_ready()) {
		DPDK_LOG(ERR, "\"%s\": EAL is not initialised", c->devargs);
		return -EPERM;
	}
	ret = resolve(dev, p);
	if (ret < 0)
		goto out_unplug;
	ret = take_port(p->port_id);
	if (ret < 0) {
		DPDK_LOG(ERR, "ethdev port %u is used by another lcx port", p->port_id);
		goto out_unplug;
	}
	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret < 0) {
		DPDK_LOG(ERR, "port %u: device info: %s", p->port_id, rte_strerror(-ret));
		goto out_release;
	}
	p->rdev = info.device;
	if (rte_eth_dev_get_name_by_port(p->port_id, dev->name) != 0)
		snprintf(dev->name, sizeof(dev->name), "port%u", p->port_id);
	dev->ethdev_id = p->port_id;
	dev->socket_id = rte_eth_dev_socket_id(p->port_id);
	if (c->nb_rxq > info.max_rx_queues || c->nb_txq > info.max_tx_queues) {
		DPDK_LOG(ERR, "%s: %u rx / %u tx queues asked, the device has at most %u / %u",
			 dev->name, c->nb_rxq, c->nb_txq, info.max_rx_queues, info.max_tx_queues);
		ret = -EINVAL;
		goto out_release;
	}
	ret = tstamp_setup(dev, p, &info);
	if (ret < 0)
		goto out_release;
	ret = configure(dev, p, &info);
	if (ret < 0)
		goto out_release;
	dev->restart_on_link_down = memif_client(&info);
	/* net_memif (22.11) reports no bytes while disconnected: the layer counts them. */
	dev->count_bytes = info.driver_name != NULL && strcmp(info.driver_name, "net_memif") == 0;
	/*
	 * Rings full, a burst in flight per rx queue: the least that works. The
	 * default adds the tx rings, tx buffers, per-lcore caches and slack.
	 */
	uint32_t need = (uint32_t)c->nb_rxq * (c->nb_rxd + c->burst);
	uint32_t want = need + (uint32_t)c->nb_rxq * c->burst +
			(uint32_t)c->nb_txq * (c->nb_txd + 2u * c->burst) +
			rte_lcore_count() * 256u + 512u;

	ret = lcx_port_dev_pool_get(dev, need, want);
	if (ret < 0)
		goto out_release;
	ret = setup_queues(dev, p);
	if (ret < 0)
		goto out_pool;
	DPDK_LOG(INFO, "%s: port %u, node %d, %u rx / %u tx queues of %u / %u entries, pool %s",
		 dev->name, p->port_id, dev->socket_id, c->nb_rxq, c->nb_txq, c->nb_rxd,
		 c->nb_txd, dev->pool->name);
	return 0;

out_pool:
	/* Queues may hold mbufs of the pool until the device is closed. */
	if (p->probed)
		unplug(p);
	lcx_port_dev_pool_put(dev);
out_release:
	release_port(p->port_id);
out_unplug:
	unplug(p);
	return ret;
}

static void
dpdk_destroy(struct lcx_port_dev *dev)
{
	struct dpdk_priv *p = dev->priv;

	if (p->started) {
		(void)rte_eth_dev_stop(p->port_id);
		p->started = false;
	}
	unplug(p); /* closes the device when this driver plugged it */
	release_port(p->port_id);
	lcx_port_dev_pool_put(dev);
}

static int
dpdk_start(struct lcx_port_dev *dev)
{
	struct dpdk_priv *p = dev->priv;
	int ret = rte_eth_dev_start(p->port_id);

	if (ret < 0) {
		/* Some PMDs (memif) return a bare -1: that is no -EPERM. The port layer logs. */
		return ret == -1 ? -EIO : ret;
	}
	p->started = true;
	if (dev->conf.promiscuous) {
		ret = rte_eth_promiscuous_enable(p->port_id);
		if (ret < 0 && !p->promisc_warned)
			DPDK_LOG(WARNING, "%s: promiscuous mode: %s", dev->name,
				 rte_strerror(-ret));
		p->promisc_warned = ret < 0;
	}
	for (uint16_t q = 0; q < dev->conf.nb_rxq; q++) {
		int n = rte_eth_rx_queue_count(p->port_id, q);

		atomic_store(&p->rxq[q].no_fill, n == -ENOTSUP);
		if (q == 0)
			DPDK_LOG(INFO, "%s: rx ring fill level %s", dev->name,
				 n >= 0 ? "read with rte_eth_rx_queue_count()"
					: "unknown: the ring budget goes by the bursts");
	}
	return 0;
}

static int
dpdk_stop(struct lcx_port_dev *dev)
{
	struct dpdk_priv *p = dev->priv;
	int ret;

	if (!p->started)
		return 0;
	/*
	 * No context polls the queues any more (the generic layer quiesced them):
	 * free what is left in them, so that every mbuf is back in its pool.
	 * Bounded: a device that keeps receiving does not hold the stop.
	 */
	for (uint16_t q = 0; q < dev->conf.nb_rxq; q++) {
		struct rte_mbuf *pkts[32];
		unsigned int left = 0, rounds = (dev->conf.nb_rxd + 2u * dev->conf.burst) / 32 + 1;
		uint64_t bytes = 0;
		uint16_t n;

		while (rounds-- > 0 && (n = rte_eth_rx_burst(p->port_id, q, pkts, 32)) != 0) {
			for (uint16_t i = 0; i < n; i++)
				bytes += pkts[i]->pkt_len;
			rte_pktmbuf_free_bulk(pkts, n);
			left += n;
		}
		if (left != 0)
			DPDK_LOG(NOTICE, "%s: stop: %u frames left in rx queue %u freed (counted "
				 "in rx_missed)", dev->name, left, q);
		__atomic_store_n(&p->stop_freed, p->stop_freed + left, __ATOMIC_RELAXED);
		__atomic_store_n(&p->stop_freed_bytes, p->stop_freed_bytes + bytes,
				 __ATOMIC_RELAXED);
	}
	ret = rte_eth_dev_stop(p->port_id);
	if (ret < 0) {
		DPDK_LOG(ERR, "%s: stop: %s", dev->name, rte_strerror(-ret));
		return ret;
	}
	p->started = false;
	return 0;
}

static int
dpdk_link(struct lcx_port_dev *dev)
{
	struct dpdk_priv *p = dev->priv;
	struct rte_eth_link link;
	int ret;

	memset(&link, 0, sizeof(link));
	ret = rte_eth_link_get_nowait(p->port_id, &link);
	if (ret < 0)
		return ret;
	return link.link_status == RTE_ETH_LINK_UP ? 1 : 0;
}

static int
dpdk_stats(struct lcx_port_dev *dev, struct lcx_port_stats *out)
{
	struct dpdk_priv *p = dev->priv;
	struct rte_eth_stats st;
	int ret = rte_eth_stats_get(p->port_id, &st);

	if (ret < 0)
		return ret;
	/* The frames freed at a stop were received by the device but never handed
	 * over: missed, their bytes not in rx_bytes. */
	out->rx_bytes += st.ibytes - RTE_MIN(st.ibytes,
					     __atomic_load_n(&p->stop_freed_bytes, __ATOMIC_RELAXED));
	out->tx_bytes += st.obytes;
	out->rx_missed += st.imissed + __atomic_load_n(&p->stop_freed, __ATOMIC_RELAXED);
	out->rx_nombuf += st.rx_nombuf;
	out->rx_errors += st.ierrors;
	out->tx_errors += st.oerrors;
	return 0;
}

static int
dpdk_stats_reset(struct lcx_port_dev *dev)
{
	struct dpdk_priv *p = dev->priv;
	int ret = rte_eth_stats_reset(p->port_id);

	if (ret == 0) {
		__atomic_store_n(&p->stop_freed, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p->stop_freed_bytes, 0, __ATOMIC_RELAXED);
	}
	return ret;
}

static int
dpdk_rx_clock(struct lcx_port_dev *dev, uint64_t *now)
{
	const struct dpdk_priv *p = dev->priv;

	return rte_eth_read_clock(p->port_id, now);
}

static int
dpdk_mac(const struct lcx_port_dev *dev, uint8_t mac[6])
{
	const struct dpdk_priv *p = dev->priv;
	struct rte_ether_addr a;
	int ret = rte_eth_macaddr_get(p->port_id, &a);

	if (ret < 0)
		return ret;
	memcpy(mac, a.addr_bytes, RTE_ETHER_ADDR_LEN);
	return 0;
}

const struct lcx_port_ops lcx__port_dpdk_ops = {
	.name = "dpdk",
	.priv_size = sizeof(struct dpdk_priv),
	.create = dpdk_create,
	.destroy = dpdk_destroy,
	.start = dpdk_start,
	.stop = dpdk_stop,
	.stats = dpdk_stats,
	.stats_has_bytes = true,
	.ethdev_fast_path = true,
	.stats_reset = dpdk_stats_reset,
	.mac = dpdk_mac,
	.rx_clock = dpdk_rx_clock,
	.link = dpdk_link,
	.rxq_attach = NULL,
	.rxq_detach = NULL,
	.rx_burst = dpdk_rx_burst,
	.tx_burst = dpdk_tx_burst,
	.rx_fill = dpdk_rx_fill,
};
