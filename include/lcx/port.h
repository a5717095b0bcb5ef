/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_PORT_H
#define LCX_PORT_H

/**
 * @file
 * Packet ports: burst receive and send of rte_mbuf, over a backend driver
 * (include/lcx/driver/port.h): "dpdk" for any DPDK ethdev port (PCI or vdev),
 * "socket" for kernel UDP sockets.
 *
 * Receive: lcx_port_rxq_attach() registers the rx queue as a poller on a
 * context; every loop iteration the poller receives a burst and hands it to the
 * caller's lcx_rx_fn (one indirect call per burst). The queue feeds the ring
 * budget of that context (poller.h), so the context never parks long enough for
 * the ring to pass half full.
 *
 * Send: lcx_port_tx_burst() sends at once and leaves unsent mbufs with the
 * caller, as rte_eth_tx_burst() does. lcx_port_tx_buffer() takes every mbuf it
 * is given: they go out when a burst fills, and at the latest when the owning
 * context flushes at the end of its iteration (and before it parks); what the
 * queue still refuses then is freed and counted in tx_dropped.
 *
 * Link: lcx_port_link_check(), called now and then by the control thread,
 * reads the link, counts the times it went down and, for a device whose
 * down link does not come back by itself (a DPDK 22.11 memif client), stops
 * and starts the port to reconnect it (doc/design.md, "Link loss").
 *
 * Threads: create, start, stop, destroy, stats and lcx_port_link_check() from
 * any one control thread;
 * attach and detach from any thread (they enter the target context). A queue's
 * fast-path functions only on the context it is attached to.
 *
 * Lifetimes: detach a queue (or destroy the port) before its context is
 * released; a context that stopped first is fine (detach then only forgets
 * it). Never destroy a port from one of its own rx handlers. lcx_port_stop()
 * waits for the attached queues' contexts to finish their current burst; a tx
 * queue that is not attached must not be sent on while the port stops.
 * Each counter of lcx_port_stats() is read on its own (relaxed), so a reading
 * taken while traffic flows may show bytes a little behind packets.
 *
 * Receive timestamps (lcx_port_conf.rx_timestamp): asked for at create, where
 * the device gives them; lcx_port_rx_tstamp() says how to read them from each
 * mbuf and in which clock, lcx_port_rx_tstamp_now() reads that clock.
 *
 * What a socket port's mbufs hold (a synthesised Ethernet / IPv4 / UDP header
 * before the payload) is described in drivers/net/socket/socket.c.
 */

#include <stdbool.h>
#include <stdint.h>

#include <lcx/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;
struct lcx_port;
struct rte_mbuf;
struct rte_mempool;

/** The most rx or tx queues of one port. */
#define LCX_PORT_QUEUES_MAX 16
/** The largest rx burst (lcx_port_conf.burst). */
#define LCX_PORT_BURST_MAX 512

/** Whether a port is to stamp what it receives (lcx_port_conf.rx_timestamp). */
enum lcx_port_rx_tstamp_mode {
	LCX_PORT_RX_TSTAMP_OFF = 0, /**< not asked for (a PMD may still write its own) */
	/** Required: lcx_port_create() fails with -ENOTSUP on a port that gives none. */
	LCX_PORT_RX_TSTAMP_ON,
	/**
	 * Where the port gives them: the create goes on without them on a port
	 * that gives none, and lcx_port_rx_tstamp() says which it is.
	 */
	LCX_PORT_RX_TSTAMP_AUTO,
};

/** How to create a port. Zero values take the defaults given. */
struct lcx_port_conf {
	const char *driver;  /**< "dpdk" or "socket"; NULL: "dpdk" */
	/**
	 * What to open. dpdk: an ethdev name ("net_null0", "0000:01:00.0"), a port
	 * id ("0"), or a vdev to create ("net_ring0" with its devargs). socket: a
	 * comma-separated list of UDP addresses to bind, each "ADDR:PORT" or
	 * "ADDR:PORT-PORT" (a range), for example "0.0.0.0:5000-5999".
	 */
	const char *devargs;
	uint16_t nb_rxq;         /**< rx queues; 0: 1 */
	uint16_t nb_txq;         /**< tx queues; 0: 1 */
	uint16_t nb_rxd;         /**< rx ring entries; 0: 1024 */
	uint16_t nb_txd;         /**< tx ring entries; 0: 1024 */
	uint16_t burst;          /**< rx burst; 0: 32, at most 512 */
	uint32_t nb_mbufs;       /**< pool size if the port makes its pool; 0: from the rings */
	uint16_t mbuf_data_size; /**< data room per mbuf; 0: RTE_MBUF_DEFAULT_BUF_SIZE */
	struct rte_mempool *pool; /**< NULL: a pool on the port's NUMA node */
	/** Layout of the pool the port makes (lcx/pool.h); 0: LCX_POOL_AUTO */
	enum lcx_pool_layout pool_layout;
	bool promiscuous;        /**< dpdk: enable promiscuous mode */
	/**
	 * socket: receive buffer of each socket in bytes, as setsockopt(SO_RCVBUF)
	 * takes it (the kernel doubles it for its bookkeeping and takes at most
	 * INT_MAX / 2). Set with SO_RCVBUFFORCE where the process may
	 * (CAP_NET_ADMIN), else with SO_RCVBUF, which net.core.rmem_max caps: the
	 * port is then created all the same, with a warning in the log.
	 * lcx_port_rcvbuf() tells what the kernel granted. 0: nb_rxd x 2 KiB as far
	 * as net.core.rmem_max allows, no warning. dpdk: ignored.
	 */
	uint32_t rcvbuf;
	/**
	 * Receive timestamps on the received mbufs, read with lcx_port_rx_tstamp()
	 * (what clock, which mbuf field and flag). dpdk: a device gives them when
	 * it offers RTE_ETH_RX_OFFLOAD_TIMESTAMP (the offload is then enabled: the
	 * device's own clock), or when it stamps every frame by itself (DPDK
	 * 22.11's net_pcap reading an interface: rx_iface, rx_iface_in or iface;
	 * the kernel's receive time, CLOCK_REALTIME in us). Others give none:
	 * net_ring, net_null, net_memif, net_af_packet, net_pcap reading a file
	 * (its stamps are the file's record times), socket ports.
	 * LCX_PORT_RX_TSTAMP_ON on such a port: lcx_port_create() fails with
	 * -ENOTSUP and logs why; lcx never falls back to another clock unless
	 * asked to (LCX_PORT_RX_TSTAMP_AUTO). 0: LCX_PORT_RX_TSTAMP_OFF.
	 */
	enum lcx_port_rx_tstamp_mode rx_timestamp;
};

/** The clock of a port's receive timestamps (struct lcx_port_rx_tstamp). */
enum lcx_port_tstamp_clock {
	/** No stamps: not asked for, or the port gives none. */
	LCX_PORT_TSTAMP_NONE = 0,
	/**
	 * The device's own clock, in its own ticks (RTE_ETH_RX_OFFLOAD_TIMESTAMP):
	 * lcx knows neither its rate nor its epoch; lcx_port_rx_tstamp_now() reads
	 * it (rte_eth_read_clock()), so that a caller can measure both against a
	 * clock of its own, as DPDK's examples/rxtx_callbacks does.
	 */
	LCX_PORT_TSTAMP_DEVICE,
	/**
	 * CLOCK_REALTIME in microseconds since the Unix epoch: the kernel's
	 * receive time of the frame, as libpcap hands it over (DPDK 22.11
	 * net_pcap on an interface). Steps and slews of the system clock (NTP)
	 * are in it; a stamp is the start of its microsecond.
	 */
	LCX_PORT_TSTAMP_REALTIME_US,
};

/**
 * How to read a port's receive timestamps. An mbuf m that the port received
 * carries a stamp when (m->ol_flags & flag) != 0; the stamp is then
 * *RTE_MBUF_DYNFIELD(m, offset, rte_mbuf_timestamp_t *) (rte_mbuf_dyn.h), in
 * the units of clock. The field and flag are DPDK's
 * (rte_mbuf_dyn_rx_timestamp_register()): any PMD that stamps writes the same.
 */
struct lcx_port_rx_tstamp {
	enum lcx_port_tstamp_clock clock; /**< the stamps' clock and unit */
	int offset;	/**< the rte_mbuf_timestamp_t dynamic field's offset in an mbuf, bytes */
	uint64_t flag;	/**< the ol_flags bit set on each mbuf whose stamp was written */
	uint64_t hz;	/**< stamp units per second: 1000000 (REALTIME_US); 0: not known (DEVICE) */
};

/** Counters of a port, summed over its queues. */
struct lcx_port_stats {
	uint64_t rx_packets; /**< received and handed to the caller */
	/**
	 * Their bytes. dpdk: the device's own count (ibytes), not summed per
	 * burst; 0 on vdevs that keep none, such as net_null and net_ring;
	 * summed by lcx on net_memif, which reports none while disconnected.
	 */
	uint64_t rx_bytes;
	/**
	 * Handed to the device: what its tx burst took. Frames it took and then
	 * could not send are in there too, and also in tx_errors (or, for the
	 * socket backend's frames with no socket of their address family, in
	 * tx_dropped).
	 */
	uint64_t tx_packets;
	uint64_t tx_bytes;   /**< their bytes (as rx_bytes) */
	/**
	 * Dropped before the caller saw them. dpdk: the device's ring was full
	 * (imissed). socket: datagrams the kernel dropped at the port's sockets
	 * (buffer full, bad checksum: each socket's sk_drops, read by
	 * lcx_port_stats() with one getsockopt(SO_MEMINFO) per socket).
	 */
	uint64_t rx_missed;
	/**
	 * Receive failed for want of an mbuf. socket: also a datagram read from
	 * the kernel whose tail found no segment mbuf (dropped).
	 */
	uint64_t rx_nombuf;
	uint64_t rx_errors;  /**< receive errors (bad frames, socket errors) */
	uint64_t tx_errors;  /**< send errors */
	/** freed by lcx because the queue refused them, or by the driver (above) */
	uint64_t tx_dropped;
	/**
	 * Times lcx_port_link_check() saw the link go from up to down (a link
	 * that was never up since lcx_port_start() does not count, nor does a
	 * stop the program asked for; a flap shorter than the time between two
	 * checks is not seen).
	 */
	uint64_t link_downs;
	/**
	 * Stops and starts of the device that lcx_port_link_check() made to bring
	 * a down link back (attempts, failed ones included).
	 */
	uint64_t restarts;
	/** Of those restarts, the ones whose start failed (the peer not there yet). */
	uint64_t restart_failures;
};

/**
 * Receive handler. Owns the n mbufs from the call on (must free or send each).
 * Runs on the queue's context.
 */
typedef void (*lcx_rx_fn)(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts,
			  uint16_t n, void *arg);

/**
 * Create a port (configured, not started).
 * @param conf the configuration.
 * @param out the port.
 * @return 0, or -EINVAL (bad conf), -ENODEV (no such device or driver),
 *         -ENOMEM (pool too small or no memory), -ENOTSUP (rx_timestamp is
 *         LCX_PORT_RX_TSTAMP_ON and the port gives no receive timestamps), or
 *         the driver's -errno.
 */
int lcx_port_create(const struct lcx_port_conf *conf, struct lcx_port **out);

/**
 * Stop (if started), detach every queue, free the port's pool (if it made one).
 * @param port the port; NULL is a no-op.
 */
void lcx_port_destroy(struct lcx_port *port);

/**
 * Start the device; queues attached before or after start receive and send
 * from then on. Starting a started port does nothing. Control thread.
 * @param port the port.
 * @return 0, or -EINVAL (port NULL), or the driver's -errno (dpdk:
 *         rte_eth_dev_start()'s; socket: none).
 */
int lcx_port_start(struct lcx_port *port);

/**
 * Stop the device. Buffered tx of attached queues is sent first, and the call
 * waits until no attached queue's context is in a burst of this port.
 * Stopping a stopped port does nothing. Control thread, not a context's.
 * @param port the port.
 * @return 0, or -EINVAL (port NULL), or the driver's -errno (dpdk:
 *         rte_eth_dev_stop()'s); the port counts as stopped either way.
 */
int lcx_port_stop(struct lcx_port *port);

/**
 * Attach rx queue q to ctx: its poller is registered there (with the ring
 * budget: the ring's size and fill, poller.h) and every burst goes to fn, on
 * ctx's thread. A queue is attached to one context at a time. Any thread; it
 * waits for ctx to run the registration (lcx_context_enter()).
 * @param port the port.
 * @param q the rx queue, 0 to lcx_port_nb_rxq() - 1.
 * @param ctx the context that will poll it.
 * @param fn the receive handler; it owns the mbufs it is given (lcx_rx_fn).
 * @param arg passed to fn.
 * @return 0, or -EINVAL (NULL port, ctx or fn, or q out of range), -EBUSY (the
 *         queue is attached already), -ESHUTDOWN (ctx is stopping), -ENOSPC
 *         (ctx has LCX_POLLERS_MAX pollers).
 */
int lcx_port_rxq_attach(struct lcx_port *port, uint16_t q, struct lcx_context *ctx, lcx_rx_fn fn,
			void *arg);

/**
 * Detach rx queue q: its poller is unregistered on its context, and no burst
 * reaches the handler after this returns. Any thread but that context's own
 * rx handler. Detaching a queue that is not attached does nothing.
 * @param port the port.
 * @param q the rx queue, 0 to lcx_port_nb_rxq() - 1.
 * @return 0, or -EINVAL (port NULL or q out of range).
 */
int lcx_port_rxq_detach(struct lcx_port *port, uint16_t q);

/**
 * Attach tx queue q to ctx: lcx_port_tx_buffer() on q then buffers, and ctx
 * flushes the buffer at the end of each loop iteration and before it parks.
 * Any thread; it waits for ctx to run the registration.
 * @param port the port.
 * @param q the tx queue, 0 to lcx_port_nb_txq() - 1.
 * @param ctx the context that sends on q.
 * @return 0, or -EINVAL (NULL port or ctx, or q out of range), -EBUSY (the
 *         queue is attached already), -ESHUTDOWN (ctx is stopping), -ENOSPC
 *         (ctx has LCX_POLLERS_MAX pollers).
 */
int lcx_port_txq_attach(struct lcx_port *port, uint16_t q, struct lcx_context *ctx);

/**
 * Detach tx queue q, flushing its buffer first (what the device still
 * refuses then is freed and counted in tx_dropped). Any thread. Detaching a
 * queue that is not attached does nothing.
 * @param port the port.
 * @param q the tx queue, 0 to lcx_port_nb_txq() - 1.
 * @return 0, or -EINVAL (port NULL or q out of range).
 */
int lcx_port_txq_detach(struct lcx_port *port, uint16_t q);

/**
 * Send at once, as rte_eth_tx_burst() does. On the context q is attached to
 * (or, for a queue not attached, on the one thread that sends on q).
 * @param port the port.
 * @param q the tx queue, 0 to lcx_port_nb_txq() - 1; out of range sends none.
 * @param pkts the mbufs to send.
 * @param n how many, 0 to 65535.
 * @return the number sent, 0 to n. The port owns pkts[0..ret-1] from the call
 *         on (it sends or frees them); the caller keeps pkts[ret..n-1] and must
 *         free or resend them. 0 also when the port is stopped.
 */
uint16_t lcx_port_tx_burst(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n);

/**
 * Queue mbufs for sending. The port owns all n mbufs from the call on: they go
 * out when a burst fills, at the latest when the owning context flushes at the
 * end of its iteration (and before it parks); what the device still refuses
 * then is freed and counted in tx_dropped, as are mbufs given to a stopped
 * port or an out-of-range q. On a queue that no context flushes (not
 * attached) everything is sent at once, with the same rule for what is
 * refused. Same thread rule as lcx_port_tx_burst().
 * @param port the port.
 * @param q the tx queue, 0 to lcx_port_nb_txq() - 1.
 * @param pkts the mbufs; the array itself stays the caller's.
 * @param n how many, 0 to 65535.
 * @return n, always: every mbuf is taken (sent, buffered, or freed and counted).
 */
uint16_t lcx_port_tx_buffer(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts,
			    uint16_t n);

/**
 * Read the port's link now, count a change, and repair a link that is down on a
 * device that cannot bring it back by itself. Call it from the control thread
 * (the one that starts and stops the port) every now and then: lcx-pmd does
 * every 100 ms. It does not wait for the link.
 *
 * A change from up to down counts in link_downs. When the port was started
 * (lcx_port_start()) and its driver says a down link comes back only through a
 * restart (a DPDK 22.11 memif client: it connects to its server only when it
 * starts, and never again after the server went away or refused it), the port
 * is stopped and started again, as lcx_port_stop() and lcx_port_start() do:
 * the queues attached to contexts are quiesced first (no burst runs on the
 * device while it stops; buffered tx goes out or is counted in tx_dropped).
 * The first restart waits 0.5 s after the last start (a connection takes a
 * few milliseconds); each further one waits twice as long as the one before,
 * at most 5 s, until the link is up. Each restart counts in restarts, a failed
 * start also in restart_failures (the port then stays stopped until the next
 * try). The first restart of a spell and the link coming back are logged at
 * NOTICE, the others at DEBUG.
 *
 * A tx queue that is not attached to a context must not be sent on while this
 * may restart the port (as for lcx_port_stop()): attach every tx queue that is
 * sent on to the context that sends (lcx_port_txq_attach()). Until the link is
 * back, rx bursts give nothing and tx bursts take nothing.
 *
 * @param port the port.
 * @return 1 (the link is up), 0 (down), -EINVAL (port is NULL), or the
 *         driver's -errno when the device does not answer (counted as down).
 *         A driver with no link (the socket driver) is always up.
 */
int lcx_port_link_check(struct lcx_port *port);

/**
 * Read the port's counters (packets, bytes, drops since creation or the last
 * lcx_port_stats_reset()). Control thread; the queues keep running.
 * @param port the port.
 * @param out the counters (struct lcx_port_stats says what each counts).
 * @return 0, or -EINVAL (NULL port or out), or the driver's -errno (dpdk:
 *         rte_eth_stats_get()'s).
 */
int lcx_port_stats(struct lcx_port *port, struct lcx_port_stats *out);

/**
 * Reset the port's counters: later readings count from now. Control thread.
 * @param port the port.
 * @return 0, or -EINVAL (port NULL), or the driver's -errno.
 */
int lcx_port_stats_reset(struct lcx_port *port);

/**
 * @param port the port.
 * @return the port's name (the device name, or the socket list); valid while
 *         the port lives. Any thread.
 */
const char *lcx_port_name(const struct lcx_port *port);

/**
 * @param port the port.
 * @return the port's driver name ("dpdk" or "socket"). Any thread.
 */
const char *lcx_port_driver(const struct lcx_port *port);

/**
 * @param port the port.
 * @return the NUMA node of the port, or SOCKET_ID_ANY (-1, from rte_memory.h)
 *         when it is unknown. Any thread.
 */
int lcx_port_socket(const struct lcx_port *port);

/**
 * @param port the port.
 * @return the DPDK port id (0 to RTE_MAX_ETHPORTS - 1), or -ENOTSUP for a
 *         non-dpdk port. Any thread.
 */
int lcx_port_ethdev_id(const struct lcx_port *port);

/**
 * The receive buffer of a socket port's sockets as getsockopt(SO_RCVBUF) reads
 * it, the smallest over the port (twice what setsockopt() took; see
 * lcx_port_conf.rcvbuf). Any thread.
 * @param port the port.
 * @return bytes, or -ENOTSUP for a non-socket port.
 */
int lcx_port_rcvbuf(const struct lcx_port *port);

/**
 * @param port the port.
 * @return the mempool the port receives into (its own, or lcx_port_conf.pool);
 *         the port frees its own pool in lcx_port_destroy(). Any thread.
 */
struct rte_mempool *lcx_port_pool(const struct lcx_port *port);

/**
 * The port's MAC address (dpdk: rte_eth_macaddr_get()). Control thread.
 * @param port the port.
 * @param mac 6 bytes out.
 * @return 0, or -EINVAL (NULL port or mac), -ENOTSUP (socket ports), or the
 *         driver's -errno.
 */
int lcx_port_mac(const struct lcx_port *port, uint8_t mac[6]);

/**
 * How the port's received mbufs carry their receive timestamps, when
 * lcx_port_conf.rx_timestamp asked for them and the port gives them. Any
 * thread.
 * @param port the port.
 * @param out the clock, the mbuf field and flag (struct lcx_port_rx_tstamp).
 * @return 0, or -EINVAL (NULL port or out), -ENOTSUP (the port has no stamps:
 *         not asked for, or LCX_PORT_RX_TSTAMP_AUTO on a port that gives none;
 *         out->clock is then LCX_PORT_TSTAMP_NONE).
 */
int lcx_port_rx_tstamp(const struct lcx_port *port, struct lcx_port_rx_tstamp *out);

/**
 * Read the clock of the port's receive timestamps now, in the stamps' units:
 * for a (stamp clock, TSC) pair read together, to convert stamps into another
 * clock. DEVICE: rte_eth_read_clock() (the port started; the PMD may not
 * have it); REALTIME_US: clock_gettime(CLOCK_REALTIME) in us (a caller that
 * wants ns reads CLOCK_REALTIME itself). Any thread (the PMD's own rule for
 * rte_eth_read_clock() applies: most read a register).
 * @param port the port.
 * @param now the clock, in the units of lcx_port_rx_tstamp().clock.
 * @return 0, or -EINVAL (NULL port or now), -ENOTSUP (the port has no stamps,
 *         or the PMD cannot read its clock), or the PMD's -errno.
 */
int lcx_port_rx_tstamp_now(struct lcx_port *port, uint64_t *now);

/**
 * @param port the port.
 * @return the number of rx queues of the port, 1 to LCX_PORT_QUEUES_MAX.
 */
uint16_t lcx_port_nb_rxq(const struct lcx_port *port);
/**
 * @param port the port.
 * @return the number of tx queues of the port, 1 to LCX_PORT_QUEUES_MAX.
 */
uint16_t lcx_port_nb_txq(const struct lcx_port *port);

#ifdef __cplusplus
}
#endif

#endif /* LCX_PORT_H */
