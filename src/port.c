/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generic port layer: the driver registry, queues attached to contexts as
 * pollers, per-queue counters, tx buffering, start and stop ordering.
 *
 * Each rx queue is a poller on the context it is attached to: poll() receives
 * one burst through the driver's rx_burst (copied next to the queue: one
 * indirect call) and hands it to the caller's handler. Each tx queue attached
 * to a context is a poller with no poll() and a flush() that pushes out what
 * lcx_port_tx_buffer() left, at the end of every iteration and before a park.
 *
 * Counters are per queue, written only by the thread that owns the queue
 * (relaxed stores), read by lcx_port_stats() with relaxed loads. A reset keeps
 * a snapshot and subtracts it, so that it never races with the writers.
 *
 * Start and stop: a queue's bursts run only while its `active` flag is set.
 * Stop clears it on the queue's context (lcx_context_enter()), so that no
 * burst is in flight when the device stops; rte_eth_dev_stop() under a running
 * rte_eth_rx_burst() is what ethdev forbids.
 */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <rte_ethdev.h>

#include "lcx_private.h"
#include "port_private.h"

RTE_LOG_REGISTER(lcx_logtype_port, lcx.port, NOTICE);
#define PORT_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, lcx_logtype_port, "lcx.port: " fmt "\n", ##__VA_ARGS__)

/* Tries of the tx queue before buffered mbufs are dropped. */
#define TX_TRIES 3

/*
 * lcx_port_link_check(): the first restart of a down link waits this long
 * after the last start, each further one twice as long as the one before.
 */
#define RELINK_WAIT_MIN_NS 500000000ull
#define RELINK_WAIT_MAX_NS 5000000000ull

static uint64_t port_now(void);

/* --- the driver registry --- */

extern const struct lcx_port_ops lcx__port_dpdk_ops;
extern const struct lcx_port_ops lcx__port_socket_ops;

#define DRIVERS_MAX 16

static pthread_mutex_t drivers_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct lcx_port_ops *drivers[DRIVERS_MAX] = {
	&lcx__port_dpdk_ops,
	&lcx__port_socket_ops,
};

static bool
ops_valid(const struct lcx_port_ops *ops)
{
	return ops != NULL && ops->name != NULL && ops->name[0] != '\0' && ops->create != NULL &&
	       ops->destroy != NULL && ops->start != NULL && ops->stop != NULL &&
	       ops->rx_burst != NULL && ops->tx_burst != NULL;
}

static const struct lcx_port_ops *
find_locked(const char *name)
{
	for (int i = 0; i < DRIVERS_MAX; i++)
		if (drivers[i] != NULL && strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

int
lcx_port_driver_register(const struct lcx_port_ops *ops)
{
	int ret = -ENOSPC;

	if (!ops_valid(ops))
		return -EINVAL;
	pthread_mutex_lock(&drivers_lock);
	if (find_locked(ops->name) != NULL) {
		ret = -EEXIST;
	} else {
		for (int i = 0; i < DRIVERS_MAX; i++) {
			if (drivers[i] == NULL) {
				drivers[i] = ops;
				ret = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&drivers_lock);
	return ret;
}

const struct lcx_port_ops *
lcx_port_driver_find(const char *name)
{
	const struct lcx_port_ops *ops;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&drivers_lock);
	ops = find_locked(name);
	pthread_mutex_unlock(&drivers_lock);
	return ops;
}

struct lcx_port_dev *
lcx_port_to_dev(struct lcx_port *port)
{
	return &port->dev;
}

struct lcx_port *
lcx_port_from_dev(struct lcx_port_dev *dev)
{
	return (struct lcx_port *)dev; /* dev is the first member */
}

void
lcx_port_dev_rx_ring_set(struct lcx_port_dev *dev, uint16_t q, uint32_t entries)
{
	struct lcx_port *port = lcx_port_from_dev(dev);

	if (q < dev->conf.nb_rxq)
		port->rxq[q].poller.ring_size = entries; /* read by the same context */
}

/* --- mbuf pools for drivers --- */

int
lcx_port_dev_pool_get(struct lcx_port_dev *dev, uint32_t need, uint32_t want)
{
	static _Atomic unsigned int seq;
	struct lcx_port *port = lcx_port_from_dev(dev);
	const struct lcx_port_conf *c = &dev->conf;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t n, cache;

	if (c->pool != NULL) {
		if (c->pool->size < need) {
			PORT_LOG(ERR, "%s: pool %s has %u mbufs, the rings need at least %u",
				 dev->name, c->pool->name, c->pool->size, need);
			return -ENOMEM;
		}
		dev->pool = c->pool;
		return 0;
	}
	if (!lcx_port_eal_ready()) {
		PORT_LOG(ERR, "%s: no EAL (rte_eal_init(), then lcx_eal_attach()): cannot make an "
			 "mbuf pool", dev->name);
		return -EPERM;
	}
	n = c->nb_mbufs != 0 ? c->nb_mbufs : (want > need ? want : need);
	if (n < need) {
		PORT_LOG(ERR, "%s: nb_mbufs %u is too small: %u rx queues of %u entries",
			 dev->name, n, c->nb_rxq, c->nb_rxd);
		PORT_LOG(ERR, "%s: with bursts of %u they need at least %u mbufs", dev->name,
			 c->burst, need);
		return -ENOMEM;
	}
	cache = n / 8 < RTE_MEMPOOL_CACHE_MAX_SIZE / 2 ? n / 8 : RTE_MEMPOOL_CACHE_MAX_SIZE / 2;
	snprintf(name, sizeof(name), "lcx_port_%u", atomic_fetch_add(&seq, 1));
	dev->pool = lcx_pktmbuf_pool_create(name, n, cache, 0, c->mbuf_data_size,
					    dev->socket_id >= 0 ? dev->socket_id : SOCKET_ID_ANY,
					    c->pool_layout);
	if (dev->pool == NULL) {
		int err = rte_errno != 0 ? rte_errno : ENOMEM;

		PORT_LOG(ERR, "%s: cannot make a pool of %u mbufs of %u bytes on node %d: %s",
			 dev->name, n, c->mbuf_data_size, dev->socket_id, rte_strerror(err));
		return -err;
	}
	port->own_pool = true;
	return 0;
}

void
lcx_port_dev_pool_put(struct lcx_port_dev *dev)
{
	struct lcx_port *port = lcx_port_from_dev(dev);
	struct rte_mempool *mp = dev->pool;

	if (mp == NULL || !port->own_pool)
		return;
	unsigned int avail = rte_mempool_avail_count(mp);

	if (avail != mp->size) {
		PORT_LOG(ERR, "%s: %u of the %u mbufs of pool %s are still in use: the pool is "
			 "left allocated", dev->name, mp->size - avail, mp->size, mp->name);
	} else {
		rte_mempool_free(mp);
	}
	dev->pool = NULL;
	port->own_pool = false;
}

/* --- counters --- */

#define Q_ADD(q, field, v) __atomic_store_n(&(q)->field, (q)->field + (v), __ATOMIC_RELAXED)
#define Q_GET(q, field) __atomic_load_n(&(q)->field, __ATOMIC_RELAXED)

static inline uint64_t
sum_len(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	return bytes;
}

/* --- the fast path --- */

static unsigned int
rxq_poll(void *arg)
{
	struct lcx__port_rxq *q = arg;

	if (LCX_UNLIKELY(!atomic_load_explicit(&q->active, memory_order_relaxed)))
		return 0;
	uint16_t n = q->ethdev ? rte_eth_rx_burst(q->eth_port, q->qid, q->pkts, q->burst)
			       : q->rx_burst(q->drv, q->pkts, q->burst);

	if (n == 0)
		return 0;
	Q_ADD(q, rx_packets, n);
	if (q->count_bytes)
		Q_ADD(q, rx_bytes, sum_len(q->pkts, n));
	q->fn(q->port, q->qid, q->pkts, n, q->arg);
	return n;
}

static int
rxq_fill(void *arg)
{
	struct lcx__port_rxq *q = arg;

	if (!atomic_load_explicit(&q->active, memory_order_relaxed))
		return -1;
	return q->rx_fill(q->drv);
}

static const struct lcx_poller_ops rxq_poller_ops = {
	.name = "port-rx",
	.poll = rxq_poll,
};

static const struct lcx_poller_ops rxq_poller_fill_ops = {
	.name = "port-rx",
	.poll = rxq_poll,
	.fill = rxq_fill,
};

/* Send what the queue takes; count it. The caller keeps pkts[ret..n-1]. */
static inline uint16_t
txq_send(struct lcx__port_txq *q, struct rte_mbuf **pkts, uint16_t n)
{
	if (!q->count_bytes) {
		uint16_t sent = q->ethdev ? rte_eth_tx_burst(q->eth_port, q->qid, pkts, n)
					  : q->tx_burst(q->drv, pkts, n);

		Q_ADD(q, tx_packets, sent);
		return sent;
	}
	/* Lengths first: what the driver takes may be freed (and reused) at once. */
	uint64_t bytes = sum_len(pkts, n);
	uint16_t sent = q->tx_burst(q->drv, pkts, n);

	if (sent < n)
		bytes -= sum_len(pkts + sent, (uint16_t)(n - sent));
	if (sent != 0) {
		Q_ADD(q, tx_packets, sent);
		Q_ADD(q, tx_bytes, bytes);
	}
	return sent;
}

static void
txq_drop(struct lcx__port_txq *q, struct rte_mbuf **pkts, uint16_t n)
{
	if (n == 0)
		return;
	rte_pktmbuf_free_bulk(pkts, n);
	Q_ADD(q, tx_dropped, n);
}

/* Send now, with a few tries; free and count what is still refused. */
static void
txq_send_all(struct lcx__port_txq *q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t done = 0;

	if (atomic_load_explicit(&q->active, memory_order_relaxed))
		for (int t = 0; t < TX_TRIES && done < n; t++)
			done += txq_send(q, pkts + done, (uint16_t)(n - done));
	txq_drop(q, pkts + done, (uint16_t)(n - done));
}

/* Send the buffer once; keep what was refused at its front. */
static void
txq_buf_send(struct lcx__port_txq *q)
{
	uint16_t sent = txq_send(q, q->buf, q->count);

	if (sent != 0 && sent < q->count)
		memmove(q->buf, q->buf + sent, (size_t)(q->count - sent) * sizeof(q->buf[0]));
	q->count = (uint16_t)(q->count - sent);
}

/* Push out the whole buffer; what the queue refuses after TX_TRIES is dropped. */
static void
txq_flush(void *arg)
{
	struct lcx__port_txq *q = arg;

	if (q->count == 0)
		return;
	txq_send_all(q, q->buf, q->count);
	q->count = 0;
}

static const struct lcx_poller_ops txq_poller_ops = {
	.name = "port-tx",
	.poll = NULL,
	.flush = txq_flush,
};

uint16_t
lcx_port_tx_burst(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	if (LCX_UNLIKELY(q >= port->dev.conf.nb_txq))
		return 0;
	struct lcx__port_txq *txq = &port->txq[q];

	if (LCX_UNLIKELY(!atomic_load_explicit(&txq->active, memory_order_relaxed)) || n == 0)
		return 0;
	return txq_send(txq, pkts, n);
}

uint16_t
lcx_port_tx_buffer(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	if (LCX_UNLIKELY(q >= port->dev.conf.nb_txq)) {
		rte_pktmbuf_free_bulk(pkts, n);
		return n;
	}
	struct lcx__port_txq *txq = &port->txq[q];

	if (LCX_UNLIKELY(!atomic_load_explicit(&txq->active, memory_order_relaxed))) {
		txq_drop(txq, pkts, n);
		return n;
	}
	if (atomic_load_explicit(&txq->state, memory_order_relaxed) != LCX__Q_ATTACHED) {
		/* No context flushes this queue: nothing may wait in the buffer. */
		txq_send_all(txq, pkts, n);
		return n;
	}
	uint16_t i = 0;

	while (i < n) {
		uint16_t take = (uint16_t)(txq->cap - txq->count);

		if (take > n - i)
			take = (uint16_t)(n - i);
		memcpy(txq->buf + txq->count, pkts + i, (size_t)take * sizeof(pkts[0]));
		txq->count = (uint16_t)(txq->count + take);
		i = (uint16_t)(i + take);
		if (txq->count >= txq->burst) {
			txq_buf_send(txq);
			/* Full and refused: the queue is behind; make room the flush way. */
			if (txq->count == txq->cap)
				txq_flush(txq);
		}
	}
	return n;
}

/* --- running something on a queue's context --- */

/*
 * Run fn on ctx. When ctx is stopping, wait for its stop to finish (its
 * pollers are then unregistered and its sources gone) and return -ESHUTDOWN.
 */
static int
ctx_call(struct lcx_context *ctx, lcx_enter_fn fn, void *arg)
{
	int ret = lcx_context_enter(ctx, fn, arg);

	if (ret == -ESHUTDOWN)
		(void)lcx_context_stop(ctx);
	return ret;
}

static int
noop_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return 0;
}

/* --- rx queues --- */

struct attach_req {
	struct lcx_port *port;
	uint16_t q;
};

static int
rxq_attach_fn(struct lcx_context *ctx, void *arg)
{
	struct attach_req *req = arg;
	struct lcx_port *port = req->port;
	struct lcx__port_rxq *rxq = &port->rxq[req->q];
	const struct lcx_port_ops *ops = port->dev.ops;
	int ret;

	if (ops->rxq_attach != NULL) {
		ret = ops->rxq_attach(&port->dev, req->q, ctx);
		if (ret < 0)
			return ret;
	}
	atomic_store_explicit(&rxq->active, __atomic_load_n(&port->started, __ATOMIC_RELAXED),
			      memory_order_relaxed);
	ret = lcx_poller_register(ctx, &rxq->poller);
	if (ret < 0 && ops->rxq_detach != NULL)
		ops->rxq_detach(&port->dev, req->q, ctx, false);
	return ret;
}

int
lcx_port_rxq_attach(struct lcx_port *port, uint16_t q, struct lcx_context *ctx, lcx_rx_fn fn,
		    void *arg)
{
	struct attach_req req = { .port = port, .q = q };
	int expect = LCX__Q_FREE;
	int ret;

	if (port == NULL || ctx == NULL || fn == NULL || q >= port->dev.conf.nb_rxq)
		return -EINVAL;
	struct lcx__port_rxq *rxq = &port->rxq[q];

	if (!atomic_compare_exchange_strong(&rxq->state, &expect, LCX__Q_BUSY))
		return -EBUSY;
	rxq->fn = fn;
	rxq->arg = arg;
	rxq->ctx = ctx;
	memset(&rxq->poller, 0, sizeof(rxq->poller));
	rxq->poller.ops = rxq->rx_fill != NULL ? &rxq_poller_fill_ops : &rxq_poller_ops;
	rxq->poller.arg = rxq;
	rxq->poller.burst = rxq->burst;
	rxq->poller.ring_size = port->dev.rx_ring_size;

	if (port->dev.socket_id >= 0 && lcx_context_socket(ctx) >= 0 &&
	    port->dev.socket_id != lcx_context_socket(ctx))
		PORT_LOG(WARNING, "%s rxq %u: context %s is on NUMA node %d, the port on %d",
			 port->dev.name, q, lcx_context_name(ctx), lcx_context_socket(ctx),
			 port->dev.socket_id);

	ret = lcx_context_enter(ctx, rxq_attach_fn, &req);
	if (ret < 0) {
		PORT_LOG(ERR, "%s rxq %u: cannot attach to context %s: %s", port->dev.name, q,
			 lcx_context_name(ctx), strerror(-ret));
		rxq->ctx = NULL;
		atomic_store(&rxq->state, LCX__Q_FREE);
		return ret;
	}
	atomic_store(&rxq->state, LCX__Q_ATTACHED);
	return 0;
}

static int
rxq_detach_fn(struct lcx_context *ctx, void *arg)
{
	struct attach_req *req = arg;
	struct lcx_port *port = req->port;
	struct lcx__port_rxq *rxq = &port->rxq[req->q];

	if (rxq->poller.ctx != NULL)
		(void)lcx_poller_unregister(&rxq->poller);
	if (port->dev.ops->rxq_detach != NULL)
		port->dev.ops->rxq_detach(&port->dev, req->q, ctx, false);
	return 0;
}

static int
rxq_detach(struct lcx_port *port, uint16_t q)
{
	struct attach_req req = { .port = port, .q = q };
	struct lcx__port_rxq *rxq = &port->rxq[q];
	int expect = LCX__Q_ATTACHED;

	if (!atomic_compare_exchange_strong(&rxq->state, &expect, LCX__Q_BUSY))
		return -EINVAL;
	struct lcx_context *ctx = rxq->ctx;

	if (ctx_call(ctx, rxq_detach_fn, &req) == -ESHUTDOWN) {
		/* The context stopped: it unregistered the poller and dropped its
		 * sources and queued tasks. */
		if (port->dev.ops->rxq_detach != NULL)
			port->dev.ops->rxq_detach(&port->dev, q, ctx, true);
	} else if (port->dev.ops->rxq_detach != NULL) {
		/* Tasks the driver's sources woke before the detach have run once
		 * this returns (FIFO); they find the queue detached. */
		(void)ctx_call(ctx, noop_fn, NULL);
	}
	atomic_store_explicit(&rxq->active, false, memory_order_relaxed);
	rxq->ctx = NULL;
	rxq->fn = NULL;
	atomic_store(&rxq->state, LCX__Q_FREE);
	return 0;
}

int
lcx_port_rxq_detach(struct lcx_port *port, uint16_t q)
{
	if (port == NULL || q >= port->dev.conf.nb_rxq)
		return -EINVAL;
	return rxq_detach(port, q);
}

/* --- tx queues --- */

static int
txq_attach_fn(struct lcx_context *ctx, void *arg)
{
	struct lcx__port_txq *txq = arg;

	return lcx_poller_register(ctx, &txq->poller);
}

int
lcx_port_txq_attach(struct lcx_port *port, uint16_t q, struct lcx_context *ctx)
{
	int expect = LCX__Q_FREE;
	int ret;

	if (port == NULL || ctx == NULL || q >= port->dev.conf.nb_txq)
		return -EINVAL;
	struct lcx__port_txq *txq = &port->txq[q];

	if (!atomic_compare_exchange_strong(&txq->state, &expect, LCX__Q_BUSY))
		return -EBUSY;
	txq->ctx = ctx;
	memset(&txq->poller, 0, sizeof(txq->poller));
	txq->poller.ops = &txq_poller_ops;
	txq->poller.arg = txq;
	ret = lcx_context_enter(ctx, txq_attach_fn, txq);
	if (ret < 0) {
		PORT_LOG(ERR, "%s txq %u: cannot attach to context %s: %s", port->dev.name, q,
			 lcx_context_name(ctx), strerror(-ret));
		txq->ctx = NULL;
		atomic_store(&txq->state, LCX__Q_FREE);
		return ret;
	}
	atomic_store(&txq->state, LCX__Q_ATTACHED);
	return 0;
}

static int
txq_detach_fn(struct lcx_context *ctx, void *arg)
{
	struct lcx__port_txq *txq = arg;

	(void)ctx;
	if (txq->poller.ctx != NULL)
		(void)lcx_poller_unregister(&txq->poller); /* flushes */
	txq_flush(txq);
	return 0;
}

static int
txq_detach(struct lcx_port *port, uint16_t q)
{
	struct lcx__port_txq *txq = &port->txq[q];
	int expect = LCX__Q_ATTACHED;

	if (!atomic_compare_exchange_strong(&txq->state, &expect, LCX__Q_BUSY))
		return -EINVAL;
	if (ctx_call(txq->ctx, txq_detach_fn, txq) == -ESHUTDOWN)
		txq_flush(txq); /* the stop flushed it already; the loop is gone */
	txq->ctx = NULL;
	atomic_store(&txq->state, LCX__Q_FREE);
	return 0;
}

int
lcx_port_txq_detach(struct lcx_port *port, uint16_t q)
{
	if (port == NULL || q >= port->dev.conf.nb_txq)
		return -EINVAL;
	return txq_detach(port, q);
}

/* --- start and stop --- */

/* Start the device and open the queues. */
static int
port_start(struct lcx_port *port)
{
	int ret = port->dev.ops->start(&port->dev);

	if (ret < 0)
		return ret;
	__atomic_store_n(&port->started, true, __ATOMIC_RELAXED);
	for (uint16_t q = 0; q < port->dev.conf.nb_rxq; q++)
		atomic_store_explicit(&port->rxq[q].active, true, memory_order_release);
	for (uint16_t q = 0; q < port->dev.conf.nb_txq; q++)
		atomic_store_explicit(&port->txq[q].active, true, memory_order_release);
	return 0;
}

static int
rxq_quiesce_fn(struct lcx_context *ctx, void *arg)
{
	struct lcx__port_rxq *rxq = arg;

	(void)ctx;
	atomic_store_explicit(&rxq->active, false, memory_order_relaxed);
	return 0;
}

static int
txq_quiesce_fn(struct lcx_context *ctx, void *arg)
{
	struct lcx__port_txq *txq = arg;

	(void)ctx;
	txq_flush(txq);
	atomic_store_explicit(&txq->active, false, memory_order_relaxed);
	return 0;
}

/* Close the queues (no burst in flight once this returns), then stop the device. */
static int
port_stop(struct lcx_port *port)
{
	/* Buffered tx goes out first; then no burst may be in flight. */
	for (uint16_t q = 0; q < port->dev.conf.nb_txq; q++) {
		struct lcx__port_txq *txq = &port->txq[q];

		if (atomic_load(&txq->state) == LCX__Q_ATTACHED &&
		    ctx_call(txq->ctx, txq_quiesce_fn, txq) == 0)
			continue;
		atomic_store(&txq->active, false);
	}
	for (uint16_t q = 0; q < port->dev.conf.nb_rxq; q++) {
		struct lcx__port_rxq *rxq = &port->rxq[q];

		if (atomic_load(&rxq->state) == LCX__Q_ATTACHED &&
		    ctx_call(rxq->ctx, rxq_quiesce_fn, rxq) == 0)
			continue;
		atomic_store(&rxq->active, false);
	}
	__atomic_store_n(&port->started, false, __ATOMIC_RELAXED);
	return port->dev.ops->stop(&port->dev);
}

int
lcx_port_start(struct lcx_port *port)
{
	int ret;

	if (port == NULL)
		return -EINVAL;
	if (port->started)
		return 0;
	ret = port_start(port);
	if (ret < 0) {
		PORT_LOG(ERR, "%s: cannot start: %s", port->dev.name, strerror(-ret));
		return ret;
	}
	port->want_started = true;
	port->link_state = -1; /* a stop the program asked for is no link loss */
	port->start_ns = port_now();
	port->relink_wait_ns = RELINK_WAIT_MIN_NS;
	port->spell_restarts = 0;
	return 0;
}

int
lcx_port_stop(struct lcx_port *port)
{
	int ret;

	if (port == NULL)
		return -EINVAL;
	port->want_started = false;
	if (!port->started)
		return 0;
	ret = port_stop(port);
	if (ret < 0)
		PORT_LOG(ERR, "%s: stop: %s", port->dev.name, strerror(-ret));
	return ret;
}

/* --- the link --- */

const struct lcx_clock *lcx__port_clock;

static uint64_t
port_now(void)
{
	struct timespec ts;

	if (lcx__port_clock != NULL)
		return lcx__port_clock->now_ns(lcx__port_clock->arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define C_ADD(port, field) __atomic_store_n(&(port)->field, (port)->field + 1, __ATOMIC_RELAXED)

/*
 * Stop and start the port to bring its link back. The queues are quiesced
 * as for lcx_port_stop(); a start that fails leaves the port stopped until
 * the next try.
 */
static void
relink(struct lcx_port *port)
{
	uint32_t level = port->spell_restarts == 0 ? RTE_LOG_NOTICE : RTE_LOG_DEBUG;
	int ret = 0;

	rte_log(level, lcx_logtype_port, "lcx.port: %s: link down: restarting the device to "
		"reconnect it (restart %u; tried again every 0.5 to 5 s until the link is up)\n",
		port->dev.name, port->spell_restarts + 1);
	if (port->started) {
		ret = port_stop(port);
		if (ret < 0)
			rte_log(level, lcx_logtype_port, "lcx.port: %s: stop: %s\n",
				port->dev.name, strerror(-ret));
	}
	C_ADD(port, restarts);
	port->spell_restarts++;
	ret = port_start(port);
	if (ret < 0) {
		C_ADD(port, restart_failures);
		rte_log(level, lcx_logtype_port, "lcx.port: %s: restart: cannot start: %s (tried "
			"again later)\n", port->dev.name, strerror(-ret));
	}
	port->start_ns = port_now();
	port->relink_wait_ns = port->relink_wait_ns * 2 < RELINK_WAIT_MAX_NS
				       ? port->relink_wait_ns * 2
				       : RELINK_WAIT_MAX_NS;
}

int
lcx_port_link_check(struct lcx_port *port)
{
	int up;

	if (port == NULL)
		return -EINVAL;
	up = port->dev.ops->link != NULL ? port->dev.ops->link(&port->dev) : 1;
	if (up < 0) {
		if (up != port->link_err)
			PORT_LOG(WARNING, "%s: link: the device does not answer: %s",
				 port->dev.name, strerror(-up));
		port->link_err = up;
	} else {
		if (port->link_err != 0)
			PORT_LOG(NOTICE, "%s: link: the device answers again", port->dev.name);
		port->link_err = 0;
	}
	bool is_up = up == 1;

	if (port->link_state == 1 && !is_up)
		C_ADD(port, link_downs);
	if (is_up && port->link_state != 1 && port->spell_restarts != 0) {
		PORT_LOG(NOTICE, "%s: link up again after %u restart%s", port->dev.name,
			 port->spell_restarts, port->spell_restarts == 1 ? "" : "s");
	}
	port->link_state = is_up ? 1 : 0;
	if (is_up) {
		port->spell_restarts = 0;
		port->relink_wait_ns = RELINK_WAIT_MIN_NS;
		return 1;
	}
	if (port->dev.restart_on_link_down && port->want_started &&
	    port_now() - port->start_ns >= port->relink_wait_ns)
		relink(port);
	return up < 0 ? up : 0;
}

/* --- create and destroy --- */

static int
conf_check(const struct lcx_port_conf *conf, const struct lcx_port_ops **ops)
{
	const char *driver = conf->driver != NULL ? conf->driver : "dpdk";

	if (conf->nb_rxq > LCX_PORT_QUEUES_MAX || conf->nb_txq > LCX_PORT_QUEUES_MAX) {
		PORT_LOG(ERR, "%s: at most %d rx and tx queues", driver, LCX_PORT_QUEUES_MAX);
		return -EINVAL;
	}
	if ((unsigned int)conf->rx_timestamp > LCX_PORT_RX_TSTAMP_AUTO) {
		PORT_LOG(ERR, "%s: rx_timestamp %d is no lcx_port_rx_tstamp_mode", driver,
			 (int)conf->rx_timestamp);
		return -EINVAL;
	}
	if (conf->burst > LCX_PORT_BURST_MAX) {
		PORT_LOG(ERR, "%s: burst %u above %d", driver, conf->burst, LCX_PORT_BURST_MAX);
		return -EINVAL;
	}
	if (conf->nb_rxd != 0 && conf->burst > conf->nb_rxd) {
		PORT_LOG(ERR, "%s: burst %u above the rx ring (%u)", driver, conf->burst,
			 conf->nb_rxd);
		return -EINVAL;
	}
	*ops = lcx_port_driver_find(driver);
	if (*ops == NULL) {
		PORT_LOG(ERR, "unknown port driver \"%s\"", driver);
		return -ENODEV;
	}
	return 0;
}

/* Bytes come from the device's counters, not from the layer's sums. */
static bool
port_dev_bytes(const struct lcx_port *port)
{
	return port->dev.ops->stats_has_bytes && !port->dev.count_bytes;
}

static void *
zalloc_aligned(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static void
port_free(struct lcx_port *port)
{
	if (port->rxq != NULL)
		for (uint16_t q = 0; q < port->dev.conf.nb_rxq; q++)
			free(port->rxq[q].pkts);
	if (port->txq != NULL)
		for (uint16_t q = 0; q < port->dev.conf.nb_txq; q++)
			free(port->txq[q].buf);
	free(port->rxq);
	free(port->txq);
	free(port->dev.priv);
	free(port->devargs);
	free(port);
}

static int
queues_alloc(struct lcx_port *port)
{
	const struct lcx_port_conf *c = &port->dev.conf;

	port->rxq = zalloc_aligned(sizeof(*port->rxq) * c->nb_rxq);
	port->txq = zalloc_aligned(sizeof(*port->txq) * c->nb_txq);
	if (port->rxq == NULL || port->txq == NULL)
		return -ENOMEM;
	for (uint16_t q = 0; q < c->nb_rxq; q++) {
		struct lcx__port_rxq *rxq = &port->rxq[q];

		rxq->pkts = calloc(c->burst, sizeof(rxq->pkts[0]));
		if (rxq->pkts == NULL)
			return -ENOMEM;
		rxq->port = port;
		rxq->qid = q;
		rxq->burst = c->burst;
	}
	for (uint16_t q = 0; q < c->nb_txq; q++) {
		struct lcx__port_txq *txq = &port->txq[q];

		txq->cap = (uint16_t)(2 * c->burst);
		txq->buf = calloc(txq->cap, sizeof(txq->buf[0]));
		if (txq->buf == NULL)
			return -ENOMEM;
		txq->port = port;
		txq->qid = q;
		txq->burst = c->burst;
	}
	return 0;
}

int
lcx_port_create(const struct lcx_port_conf *conf, struct lcx_port **out)
{
	const struct lcx_port_ops *ops;
	struct lcx_port *port;
	int ret;

	if (conf == NULL || out == NULL)
		return -EINVAL;
	ret = conf_check(conf, &ops);
	if (ret < 0)
		return ret;
	port = zalloc_aligned(sizeof(*port));
	if (port == NULL)
		return -ENOMEM;
	port->dev.ops = ops;
	port->dev.conf = *conf;
	port->dev.conf.driver = ops->name;
	port->devargs = strdup(conf->devargs != NULL ? conf->devargs : "");
	if (port->devargs == NULL) {
		ret = -ENOMEM;
		goto out_free_port;
	}
	port->dev.conf.devargs = port->devargs;
	struct lcx_port_conf *c = &port->dev.conf;

	if (c->nb_rxq == 0)
		c->nb_rxq = 1;
	if (c->nb_txq == 0)
		c->nb_txq = 1;
	if (c->nb_rxd == 0)
		c->nb_rxd = 1024;
	if (c->nb_txd == 0)
		c->nb_txd = 1024;
	if (c->burst == 0)
		c->burst = c->nb_rxd < 32 ? c->nb_rxd : 32;
	if (c->mbuf_data_size == 0)
		c->mbuf_data_size = RTE_MBUF_DEFAULT_BUF_SIZE;
	port->dev.socket_id = SOCKET_ID_ANY;
	port->dev.ethdev_id = -1;
	port->dev.rcvbuf = -1;
	port->link_state = -1;
	port->dev.rx_ring_size = c->nb_rxd;
	snprintf(port->dev.name, sizeof(port->dev.name), "%s", port->devargs);
	if (ops->priv_size != 0) {
		port->dev.priv = calloc(1, ops->priv_size);
		if (port->dev.priv == NULL) {
			ret = -ENOMEM;
			goto out_free_port;
		}
	}
	ret = queues_alloc(port);
	if (ret < 0)
		goto out_free_port;

	ret = ops->create(&port->dev);
	if (ret < 0) {
		PORT_LOG(ERR, "%s \"%s\": cannot create the port: %s", ops->name, port->devargs,
			 strerror(-ret));
		goto out_free_port;
	}
	port->created = true;
	if (c->rx_timestamp == LCX_PORT_RX_TSTAMP_ON &&
	    port->dev.rx_tstamp.clock == LCX_PORT_TSTAMP_NONE) {
		PORT_LOG(ERR, "%s: receive timestamps asked for: the %s driver gives none",
			 port->dev.name, ops->name);
		ret = -ENOTSUP;
		goto out_destroy;
	}
	if (c->rx_timestamp == LCX_PORT_RX_TSTAMP_OFF)
		memset(&port->dev.rx_tstamp, 0, sizeof(port->dev.rx_tstamp));
	if (c->burst == 0 || c->burst > port->rxq[0].burst)
		c->burst = port->rxq[0].burst; /* a driver may only lower it */
	/* The fast path, next to each queue. */
	for (uint16_t q = 0; q < c->nb_rxq; q++) {
		port->rxq[q].burst = c->burst; /* the driver may have cut it to its ring */
		port->rxq[q].rx_burst = ops->rx_burst;
		port->rxq[q].rx_fill = ops->rx_fill;
		port->rxq[q].drv = port->dev.rxq[q];
		port->rxq[q].count_bytes = !port_dev_bytes(port);
		port->rxq[q].ethdev = ops->ethdev_fast_path && port->dev.ethdev_id >= 0;
		port->rxq[q].eth_port = (uint16_t)port->dev.ethdev_id;
	}
	for (uint16_t q = 0; q < c->nb_txq; q++) {
		port->txq[q].burst = c->burst;
		port->txq[q].tx_burst = ops->tx_burst;
		port->txq[q].drv = port->dev.txq[q];
		port->txq[q].count_bytes = !port_dev_bytes(port);
		port->txq[q].ethdev = ops->ethdev_fast_path && port->dev.ethdev_id >= 0;
		port->txq[q].eth_port = (uint16_t)port->dev.ethdev_id;
	}
	*out = port;
	return 0;

out_destroy:
	ops->destroy(&port->dev);
out_free_port:
	port_free(port);
	return ret;
}

void
lcx_port_destroy(struct lcx_port *port)
{
	if (port == NULL)
		return;
	(void)lcx_port_stop(port);
	for (uint16_t q = 0; q < port->dev.conf.nb_rxq; q++)
		if (atomic_load(&port->rxq[q].state) == LCX__Q_ATTACHED)
			(void)rxq_detach(port, q);
	for (uint16_t q = 0; q < port->dev.conf.nb_txq; q++)
		if (atomic_load(&port->txq[q].state) == LCX__Q_ATTACHED)
			(void)txq_detach(port, q);
	if (port->created)
		port->dev.ops->destroy(&port->dev);
	port_free(port);
}

/* --- statistics --- */

static uint64_t
sub_sat(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

static void
lcx_counts(const struct lcx_port *port, struct lcx_port_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (uint16_t q = 0; q < port->dev.conf.nb_rxq; q++) {
		s->rx_packets += Q_GET(&port->rxq[q], rx_packets);
		s->rx_bytes += Q_GET(&port->rxq[q], rx_bytes);
	}
	for (uint16_t q = 0; q < port->dev.conf.nb_txq; q++) {
		s->tx_packets += Q_GET(&port->txq[q], tx_packets);
		s->tx_bytes += Q_GET(&port->txq[q], tx_bytes);
		s->tx_dropped += Q_GET(&port->txq[q], tx_dropped);
	}
	s->link_downs = __atomic_load_n(&port->link_downs, __ATOMIC_RELAXED);
	s->restarts = __atomic_load_n(&port->restarts, __ATOMIC_RELAXED);
	s->restart_failures = __atomic_load_n(&port->restart_failures, __ATOMIC_RELAXED);
}

static int
drv_counts(struct lcx_port *port, struct lcx_port_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (port->dev.ops->stats == NULL)
		return 0;
	return port->dev.ops->stats(&port->dev, s);
}

int
lcx_port_stats(struct lcx_port *port, struct lcx_port_stats *out)
{
	struct lcx_port_stats l, d;
	int ret;

	if (port == NULL || out == NULL)
		return -EINVAL;
	lcx_counts(port, &l);
	ret = drv_counts(port, &d);
	if (ret < 0)
		return ret;
	out->rx_packets = sub_sat(l.rx_packets, port->base.rx_packets);
	out->tx_packets = sub_sat(l.tx_packets, port->base.tx_packets);
	if (port_dev_bytes(port)) {
		out->rx_bytes = sub_sat(d.rx_bytes, port->base_drv.rx_bytes);
		out->tx_bytes = sub_sat(d.tx_bytes, port->base_drv.tx_bytes);
	} else {
		out->rx_bytes = sub_sat(l.rx_bytes, port->base.rx_bytes);
		out->tx_bytes = sub_sat(l.tx_bytes, port->base.tx_bytes);
	}
	/* Frames a driver frees for want of a way out count as dropped too. */
	out->tx_dropped = sub_sat(l.tx_dropped + d.tx_dropped,
				  port->base.tx_dropped + port->base_drv.tx_dropped);
	out->rx_missed = sub_sat(d.rx_missed, port->base_drv.rx_missed);
	out->rx_nombuf = sub_sat(d.rx_nombuf, port->base_drv.rx_nombuf);
	out->rx_errors = sub_sat(d.rx_errors, port->base_drv.rx_errors);
	out->tx_errors = sub_sat(d.tx_errors, port->base_drv.tx_errors);
	out->link_downs = sub_sat(l.link_downs, port->base.link_downs);
	out->restarts = sub_sat(l.restarts, port->base.restarts);
	out->restart_failures = sub_sat(l.restart_failures, port->base.restart_failures);
	return 0;
}

int
lcx_port_stats_reset(struct lcx_port *port)
{
	int ret;

	if (port == NULL)
		return -EINVAL;
	if (port->dev.ops->stats_reset != NULL) {
		ret = port->dev.ops->stats_reset(&port->dev);
		if (ret < 0)
			return ret;
		memset(&port->base_drv, 0, sizeof(port->base_drv));
	} else {
		ret = drv_counts(port, &port->base_drv);
		if (ret < 0)
			return ret;
	}
	lcx_counts(port, &port->base);
	return 0;
}

/* --- accessors --- */

const char *
lcx_port_name(const struct lcx_port *port)
{
	return port->dev.name;
}

const char *
lcx_port_driver(const struct lcx_port *port)
{
	return port->dev.ops->name;
}

int
lcx_port_socket(const struct lcx_port *port)
{
	return port->dev.socket_id;
}

int
lcx_port_ethdev_id(const struct lcx_port *port)
{
	return port->dev.ethdev_id >= 0 ? port->dev.ethdev_id : -ENOTSUP;
}

int
lcx_port_rcvbuf(const struct lcx_port *port)
{
	return port->dev.rcvbuf >= 0 ? port->dev.rcvbuf : -ENOTSUP;
}

struct rte_mempool *
lcx_port_pool(const struct lcx_port *port)
{
	return port->dev.pool;
}

int
lcx_port_mac(const struct lcx_port *port, uint8_t mac[6])
{
	if (port == NULL || mac == NULL)
		return -EINVAL;
	if (port->dev.ops->mac == NULL)
		return -ENOTSUP;
	return port->dev.ops->mac(&port->dev, mac);
}

int
lcx_port_rx_tstamp(const struct lcx_port *port, struct lcx_port_rx_tstamp *out)
{
	if (port == NULL || out == NULL)
		return -EINVAL;
	*out = port->dev.rx_tstamp;
	return out->clock != LCX_PORT_TSTAMP_NONE ? 0 : -ENOTSUP;
}

int
lcx_port_rx_tstamp_now(struct lcx_port *port, uint64_t *now)
{
	struct timespec ts;

	if (port == NULL || now == NULL)
		return -EINVAL;
	switch (port->dev.rx_tstamp.clock) {
	case LCX_PORT_TSTAMP_DEVICE:
		if (port->dev.ops->rx_clock == NULL)
			return -ENOTSUP;
		return port->dev.ops->rx_clock(&port->dev, now);
	case LCX_PORT_TSTAMP_REALTIME_US:
		if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
			return -errno;
		*now = (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000u;
		return 0;
	default:
		return -ENOTSUP;
	}
}

uint16_t
lcx_port_nb_rxq(const struct lcx_port *port)
{
	return port->dev.conf.nb_rxq;
}

uint16_t
lcx_port_nb_txq(const struct lcx_port *port)
{
	return port->dev.conf.nb_txq;
}
