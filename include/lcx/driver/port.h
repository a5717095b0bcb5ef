/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_DRIVER_PORT_H
#define LCX_DRIVER_PORT_H

/**
 * @file
 * The port driver SDK: what a packet backend implements (struct lcx_port_ops)
 * and the part of a port it sees (struct lcx_port_dev). Applications use
 * lcx/port.h; only drivers and their tests include this header.
 *
 * The generic layer (src/port.c) owns queues, contexts, counters of packets
 * (and of bytes unless stats_has_bytes), the tx buffers and the ordering of
 * calls; a driver owns its device: create() opens and configures it,
 * start()/stop() run it, destroy() undoes create(). The three fast-path
 * functions (rx_burst, tx_burst, rx_fill) are copied next to each queue when
 * the port is created, so that a burst costs one indirect call, as
 * rte_eth_fp_ops does for ethdev; a driver whose bursts are plain ethdev ones
 * says so (ethdev_fast_path) and the layer calls the ethdev inlines itself.
 *
 * Which thread calls what:
 *  - create, destroy, start, stop, stats, stats_reset, mac, link: the control
 *    thread that called the matching lcx_port_* function (lcx_port_link_check()
 *    calls link, and stop and start when it restarts the device). create() is called once;
 *    destroy() once after a successful create(), with the port stopped and
 *    every queue detached.
 *  - rxq_attach and rxq_detach: the thread of the context the queue is
 *    attached to (through lcx_context_enter()), or the control thread when
 *    that context does not run (set-up before it starts, or after it stopped).
 *  - rx_burst and rx_fill: the context the rx queue is attached to, and only
 *    while the port is started. tx_burst: the thread that sends on that tx
 *    queue (one at a time), and only while the port is started.
 *
 * Ownership of mbufs at the boundary is that of rte_eth_rx_burst() and
 * rte_eth_tx_burst(): rx_burst hands the caller the mbufs it returns; tx_burst
 * takes the first ret mbufs (it sends or frees them) and leaves the rest with
 * the caller.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lcx/port.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;
struct lcx_port_ops;
struct rte_mbuf;
struct rte_mempool;

/** The longest port name, with its NUL. */
#define LCX_PORT_NAME_MAX 64

/** Receive up to n mbufs from the queue whose driver state is rxq. @return how many. */
typedef uint16_t (*lcx_port_rx_burst_fn)(void *rxq, struct rte_mbuf **pkts, uint16_t n);
/** Send up to n mbufs on the queue whose driver state is txq. @return how many it took. */
typedef uint16_t (*lcx_port_tx_burst_fn)(void *txq, struct rte_mbuf **pkts, uint16_t n);
/** Entries waiting in the rx ring now, or a negative value when the device cannot tell. */
typedef int (*lcx_port_rx_fill_fn)(void *rxq);

/**
 * The driver's view of a port. The generic layer fills in ops, conf and the
 * defaults of the other members before create(); create() sets what it knows.
 */
struct lcx_port_dev {
	const struct lcx_port_ops *ops; /**< the driver */
	/**
	 * The configuration with every default applied (nb_rxq, nb_txq, nb_rxd,
	 * nb_txd, burst, mbuf_data_size are never 0). devargs points at a copy the
	 * port owns ("" when the caller gave none).
	 */
	struct lcx_port_conf conf;
	char name[LCX_PORT_NAME_MAX]; /**< create() sets it: the device name */
	int socket_id;                /**< create() may set it; default SOCKET_ID_ANY */
	int ethdev_id;                /**< create() may set it; default -1 (no ethdev) */
	int rcvbuf;                   /**< create() may set it: lcx_port_rcvbuf(); default -1 */
	/**
	 * create() may set it: a link of this device that goes down does not come
	 * back by itself, only through a stop and a start (DPDK 22.11's memif
	 * client, which connects only in its start). lcx_port_link_check() then
	 * restarts the port while its link is down. Default false.
	 */
	bool restart_on_link_down;
	/**
	 * create() may set it: the device's byte counters are not to be trusted
	 * (DPDK 22.11's net_memif reports none while it is disconnected), so the
	 * port layer sums bytes itself, as when the ops have no stats_has_bytes.
	 * Default false.
	 */
	bool count_bytes;
	/**
	 * create() sets it when conf.rx_timestamp asks for stamps and the device
	 * gives them (clock, offset, flag, hz: lcx_port_rx_tstamp()). A device that
	 * gives none: with LCX_PORT_RX_TSTAMP_ON create() fails with -ENOTSUP (or
	 * leaves clock LCX_PORT_TSTAMP_NONE and the generic layer does, after
	 * destroy()); with LCX_PORT_RX_TSTAMP_AUTO it goes on without. Default: NONE.
	 */
	struct lcx_port_rx_tstamp rx_tstamp;
	struct rte_mempool *pool;     /**< create() sets it: conf.pool, or a pool it made */
	/**
	 * Rx ring entries as the context's ring budget counts them (poller.h);
	 * default conf.nb_rxd; 0 turns the budget off for this port's queues.
	 */
	uint32_t rx_ring_size;
	void *priv;                          /**< ops->priv_size bytes, zeroed; freed by lcx */
	void *rxq[LCX_PORT_QUEUES_MAX]; /**< create() sets it: rx_burst's and rx_fill's argument */
	void *txq[LCX_PORT_QUEUES_MAX]; /**< create() sets it: tx_burst's argument */
};

/**
 * A packet backend. One static const table per driver, registered by name.
 * Members without "optional" are required.
 */
struct lcx_port_ops {
	const char *name; /**< the registry key: lcx_port_conf.driver */
	size_t priv_size; /**< bytes of lcx_port_dev.priv, allocated zeroed before create() */
	/**
	 * Probe and configure: open conf.devargs, set up conf.nb_rxq / nb_txq
	 * queues, take conf.pool or make a pool, fill in the dev members above.
	 * Logs why it failed and releases all it took.
	 * @return 0, or -EINVAL (bad devargs or conf), -ENODEV (no such device),
	 *         -ENOMEM (pool too small or no memory), or another -errno.
	 */
	int (*create)(struct lcx_port_dev *dev);
	/** Undo create(): close the device, free the pool it made. Never fails. */
	void (*destroy)(struct lcx_port_dev *dev);
	/** Start the device. @return 0 or -errno. */
	int (*start)(struct lcx_port_dev *dev);
	/** Stop the device; no burst runs any more. @return 0 or -errno. */
	int (*stop)(struct lcx_port_dev *dev);
	/**
	 * Optional: add the device's own counters to out (rx_missed, rx_nombuf,
	 * rx_errors, tx_errors, and tx_dropped for frames the driver freed because
	 * it had no way to send them; the generic layer counts packets, bytes and
	 * its own tx_dropped itself, adds the driver's, and has zeroed the rest).
	 * @return 0 or -errno.
	 */
	int (*stats)(struct lcx_port_dev *dev, struct lcx_port_stats *out);
	/**
	 * Optional: reset the device's counters. NULL: the generic layer keeps a
	 * snapshot of them and subtracts it. @return 0 or -errno.
	 */
	int (*stats_reset)(struct lcx_port_dev *dev);
	/**
	 * Optional: read the device clock of rx_tstamp (LCX_PORT_TSTAMP_DEVICE) now,
	 * in its ticks; any thread (NULL: lcx_port_rx_tstamp_now() says -ENOTSUP).
	 * @return 0 or -errno.
	 */
	int (*rx_clock)(struct lcx_port_dev *dev, uint64_t *now);
	/** Optional: the MAC address (NULL: -ENOTSUP). @return 0 or -errno. */
	int (*mac)(const struct lcx_port_dev *dev, uint8_t mac[6]);
	/**
	 * Optional: the link state now, without waiting. NULL: the link is always
	 * up (a kernel socket). Called whether the device is started or not.
	 * @return 1 (up), 0 (down), or -errno (the device does not answer).
	 */
	int (*link)(struct lcx_port_dev *dev);
	/**
	 * Optional: rx queue q is being attached to ctx; runs on ctx (see the file overview above).
	 * For drivers whose receive needs the context (sources, tasks).
	 * @return 0 or -errno (the attach fails with it).
	 */
	int (*rxq_attach)(struct lcx_port_dev *dev, uint16_t q, struct lcx_context *ctx);
	/**
	 * Optional: undo rxq_attach. ctx_stopped: the context has stopped, so its
	 * sources and queued tasks are gone already and must not be touched.
	 */
	void (*rxq_detach)(struct lcx_port_dev *dev, uint16_t q, struct lcx_context *ctx,
			   bool ctx_stopped);
	lcx_port_rx_burst_fn rx_burst; /**< fast path: receive a burst (see the file overview above) */
	lcx_port_tx_burst_fn tx_burst; /**< fast path: send a burst (see the file overview above) */
	lcx_port_rx_fill_fn rx_fill;   /**< optional fast path: rx ring fill level */
	/**
	 * stats() reports rx_bytes and tx_bytes itself (a NIC counts them anyway),
	 * so the port layer does not sum packet lengths on every burst.
	 */
	bool stats_has_bytes;
	/**
	 * rx_burst and tx_burst of queue q are exactly rte_eth_rx_burst() and
	 * rte_eth_tx_burst() on (dev->ethdev_id, q): the port layer then calls
	 * those inline functions itself, sparing a call through the table.
	 */
	bool ethdev_fast_path;
};

/**
 * Add a driver to the registry. "dpdk" and "socket" are built in.
 * @param ops a table that lives as long as the process.
 * @return 0, or -EINVAL (bad table), -EEXIST (the name is taken), -ENOSPC.
 */
int lcx_port_driver_register(const struct lcx_port_ops *ops);

/**
 * @param name a driver name.
 * @return the driver's table, or NULL.
 */
const struct lcx_port_ops *lcx_port_driver_find(const char *name);

/**
 * For create(): take conf.pool, or make the port's pool of mbufs (conf.nb_mbufs,
 * or want when it is 0; data room conf.mbuf_data_size) on dev->socket_id, and
 * set dev->pool. Needs EAL.
 * @param dev the port.
 * @param need the fewest mbufs the port can work with (its rx rings full and a
 *        burst in flight on each queue): a smaller pool is refused.
 * @param want the size to make when conf.nb_mbufs is 0 (at least need).
 * @return 0, or -ENOMEM (the pool is smaller than need, or no memory), -EPERM
 *         (EAL is not initialised).
 */
int lcx_port_dev_pool_get(struct lcx_port_dev *dev, uint32_t need, uint32_t want);

/**
 * For destroy(): free the pool that lcx_port_dev_pool_get() made, once every
 * mbuf is back in it; if some are still out, log how many and leave the pool
 * allocated (a later free of those mbufs must not touch freed memory).
 * A pool the caller gave (conf.pool) is left alone.
 * @param dev the port.
 */
void lcx_port_dev_pool_put(struct lcx_port_dev *dev);

/**
 * Change the ring size that the context's ring budget counts for rx queue q
 * while it runs (lcx_port_dev.rx_ring_size sets it at each attach): for a
 * queue whose capacity in packets depends on what arrives, such as a kernel
 * socket buffer, which holds bytes of kernel memory per datagram.
 * Call only from rx_burst or rxq_attach (the queue's context).
 * @param dev the port.
 * @param q an rx queue of it; others are ignored.
 * @param entries packets the queue holds; 0 turns the budget off for it.
 */
void lcx_port_dev_rx_ring_set(struct lcx_port_dev *dev, uint16_t q, uint32_t entries);

/**
 * @return true when the program attached the EAL (lcx_eal_attach() after
 *         rte_eal_init(), include/lcx/eal.h): mempools and ethdevs work.
 */
bool lcx_port_eal_ready(void);

/**
 * @param port a port.
 * @return the driver's view of it.
 */
struct lcx_port_dev *lcx_port_to_dev(struct lcx_port *port);

/**
 * @param dev a port's driver view.
 * @return the port, as the application sees it.
 */
struct lcx_port *lcx_port_from_dev(struct lcx_port_dev *dev);

#ifdef __cplusplus
}
#endif

#endif /* LCX_DRIVER_PORT_H */
