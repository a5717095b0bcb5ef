/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generic port contract, against a fake driver at the ops-table boundary
 * (no EAL): attach, burst delivery, the ring budget wiring, tx buffering and
 * its flush at the end of an iteration, tx_dropped, stats and their reset,
 * start / stop, detach, destroy. Contexts are LCX_LAUNCH_NONE, driven by
 * lcx_context_run_once() on a manual clock.
 *
 * The fake mbufs have a reference count of 2: a free by the library drops it
 * to 1 and never reaches a mempool, so each test can tell which mbufs lcx freed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include <lcx/lcx.h>
#include <lcx/driver/port.h>
#include <lcx/port.h>

#include "lcx_private.h"
#include "port_private.h"

#include "unit_ctx.h"

#define US 1000ull
#define MS 1000000ull
#define THROTTLE MS
#define NB_MBUFS 4096
#define PKT_LEN 100

/* --- fake mbufs --- */

static struct rte_mbuf mbufs[NB_MBUFS];
static unsigned int mbuf_next;

static struct rte_mbuf *
fake_mbuf(void)
{
	struct rte_mbuf *m = &mbufs[mbuf_next++ % NB_MBUFS];

	memset(m, 0, sizeof(*m));
	rte_mbuf_refcnt_set(m, 2);
	m->nb_segs = 1;
	m->pkt_len = PKT_LEN;
	m->data_len = PKT_LEN;
	return m;
}

static bool
was_freed(const struct rte_mbuf *m)
{
	return rte_mbuf_refcnt_read(m) == 1;
}

/* --- the fake driver --- */

#define FAKE_Q 4
#define FAKE_RING 4096

struct fake_priv;

struct fake_rxq {
	struct fake_priv *priv;
	struct rte_mbuf *ring[FAKE_RING]; /* waiting to be received */
	unsigned int head, tail;
	unsigned int calls;
	int fill;                          /* what rx_fill says */
	unsigned int fill_calls;
};

struct fake_txq {
	struct fake_priv *priv;
	unsigned int accept;               /* the most one call takes */
	struct rte_mbuf *sent[FAKE_RING];
	unsigned int nb_sent;
	unsigned int calls;
};

/* Counters that outlive a port. */
static unsigned int fake_tx_total;
static int fake_destroys;

struct fake_priv {
	struct fake_rxq rxq[FAKE_Q];
	struct fake_txq txq[FAKE_Q];
	int starts, stops, destroys;
	int fail_start;
	uint64_t missed;                   /* device counter */
	int attach_calls, detach_calls, detach_stopped_calls;
	bool attach_on_ctx;
	int attach_fail;
	int link;                          /* what link() says: 1, 0 or -errno */
	unsigned int link_calls;
	_Atomic bool running;              /* between start() and stop() */
	_Atomic unsigned int stop_gen;     /* stop() calls */
	_Atomic unsigned int bad_bursts;   /* bursts on a stopped device, or across a stop */
	unsigned int burst_spin;           /* a burst lasts this many yields (a race widener) */
};

/*
 * A burst that starts on a stopped device, or that a stop() overlaps, is a bad
 * one. @return the stop generation at the start (for the end's check).
 */
static unsigned int
fake_burst_begin(struct fake_priv *p)
{
	unsigned int gen = atomic_load(&p->stop_gen);

	if (!atomic_load(&p->running))
		atomic_fetch_add(&p->bad_bursts, 1);
	return gen;
}

static void
fake_burst_end(struct fake_priv *p, unsigned int gen)
{
	for (unsigned int i = 0; i < p->burst_spin; i++)
		sched_yield();
	if (atomic_load(&p->stop_gen) != gen)
		atomic_fetch_add(&p->bad_bursts, 1);
}

static int
fake_create(struct lcx_port_dev *dev)
{
	struct fake_priv *p = dev->priv;

	if (strcmp(dev->conf.devargs, "fail") == 0)
		return -ENODEV;
	snprintf(dev->name, sizeof(dev->name), "fake:%s", dev->conf.devargs);
	dev->socket_id = 0;
	/* "relink": a down link comes back only through a restart (a memif client). */
	dev->restart_on_link_down = strcmp(dev->conf.devargs, "relink") == 0;
	p->link = 1;
	/*
	 * "stamp": a device clock; "stamp-rt": CLOCK_REALTIME in us. Set whether
	 * rx_timestamp was asked or not: the layer must forget it when not.
	 */
	if (strncmp(dev->conf.devargs, "stamp", 5) == 0) {
		bool rt = strcmp(dev->conf.devargs, "stamp-rt") == 0;

		dev->rx_tstamp = (struct lcx_port_rx_tstamp){
			.clock = rt ? LCX_PORT_TSTAMP_REALTIME_US : LCX_PORT_TSTAMP_DEVICE,
			.offset = 120, .flag = 1ull << 50, .hz = rt ? 1000000 : 0,
		};
	}
	for (uint16_t q = 0; q < dev->conf.nb_rxq; q++) {
		p->rxq[q].priv = p;
		p->rxq[q].fill = -1;
		dev->rxq[q] = &p->rxq[q];
	}
	for (uint16_t q = 0; q < dev->conf.nb_txq; q++) {
		p->txq[q].priv = p;
		p->txq[q].accept = UINT32_MAX;
		dev->txq[q] = &p->txq[q];
	}
	return 0;
}

static void
fake_destroy(struct lcx_port_dev *dev)
{
	struct fake_priv *p = dev->priv;

	p->destroys++;
	fake_destroys++;
}

static int
fake_start(struct lcx_port_dev *dev)
{
	struct fake_priv *p = dev->priv;

	if (p->fail_start)
		return -EIO;
	p->starts++;
	atomic_store(&p->running, true);
	return 0;
}

static int
fake_stop(struct lcx_port_dev *dev)
{
	struct fake_priv *p = dev->priv;

	atomic_store(&p->running, false);
	atomic_fetch_add(&p->stop_gen, 1);
	p->stops++;
	return 0;
}

static int
fake_stats(struct lcx_port_dev *dev, struct lcx_port_stats *out)
{
	struct fake_priv *p = dev->priv;

	out->rx_missed += p->missed;
	return 0;
}

static int
fake_rxq_attach(struct lcx_port_dev *dev, uint16_t q, struct lcx_context *ctx)
{
	struct fake_priv *p = dev->priv;

	(void)q;
	p->attach_calls++;
	p->attach_on_ctx = lcx_context_current() == ctx;
	return p->attach_fail;
}

static void
fake_rxq_detach(struct lcx_port_dev *dev, uint16_t q, struct lcx_context *ctx, bool stopped)
{
	struct fake_priv *p = dev->priv;

	(void)q;
	(void)ctx;
	p->detach_calls++;
	if (stopped)
		p->detach_stopped_calls++;
}

static uint16_t
fake_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	struct fake_rxq *q = rxq;
	uint16_t i = 0;

	unsigned int gen = fake_burst_begin(q->priv);

	q->calls++;
	while (i < n && q->head != q->tail)
		pkts[i++] = q->ring[q->head++ % FAKE_RING];
	fake_burst_end(q->priv, gen);
	return i;
}

static uint16_t
fake_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n)
{
	struct fake_txq *q = txq;
	uint16_t take = n < q->accept ? n : (uint16_t)q->accept;

	unsigned int gen = fake_burst_begin(q->priv);

	q->calls++;
	fake_tx_total += take;
	for (uint16_t i = 0; i < take; i++)
		q->sent[q->nb_sent++ % FAKE_RING] = pkts[i];
	fake_burst_end(q->priv, gen);
	return take;
}

static int
fake_rx_fill(void *rxq)
{
	struct fake_rxq *q = rxq;

	q->fill_calls++;
	return q->fill;
}

static int
fake_rx_clock(struct lcx_port_dev *dev, uint64_t *now)
{
	(void)dev;
	*now = 987654321;
	return 0;
}

static const struct lcx_port_ops fake_ops = {
	.rx_clock = fake_rx_clock,
	.name = "fake",
	.priv_size = sizeof(struct fake_priv),
	.create = fake_create,
	.destroy = fake_destroy,
	.start = fake_start,
	.stop = fake_stop,
	.stats = fake_stats,
	.stats_reset = NULL,
	.mac = NULL,
	.rxq_attach = fake_rxq_attach,
	.rxq_detach = fake_rxq_detach,
	.rx_burst = fake_rx_burst,
	.tx_burst = fake_tx_burst,
	.rx_fill = fake_rx_fill,
};

static int
fake_link(struct lcx_port_dev *dev)
{
	struct fake_priv *p = dev->priv;

	p->link_calls++;
	return p->link;
}

/* The same device with a link (fake_ops has none: always up). */
static const struct lcx_port_ops fake_link_ops = {
	.name = "fake-link",
	.priv_size = sizeof(struct fake_priv),
	.create = fake_create,
	.destroy = fake_destroy,
	.start = fake_start,
	.stop = fake_stop,
	.stats = fake_stats,
	.link = fake_link,
	.rx_burst = fake_rx_burst,
	.tx_burst = fake_tx_burst,
};

/* --- fixture --- */

struct fix {
	struct lcx_manual_clock mc;
	struct lcx_context *ctx;
	struct lcx_port *port;
	struct fake_priv *fp;
	/* what the rx handler saw */
	unsigned int calls;
	unsigned int got;
	uint16_t last_n;
	uint16_t last_queue;
	bool on_ctx;
	/* what the rx handler does with its mbufs */
	enum { RX_KEEP, RX_BUFFER, RX_BURST } mode;
	struct rte_mbuf *kept[FAKE_RING];
	unsigned int sent_in_handler; /* fake tx count seen inside the handler */
};

static void
push_rx(struct fix *f, uint16_t q, unsigned int n)
{
	struct fake_rxq *r = &f->fp->rxq[q];

	for (unsigned int i = 0; i < n; i++)
		r->ring[r->tail++ % FAKE_RING] = fake_mbuf();
}

static void
on_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct fix *f = arg;

	f->calls++;
	f->last_n = n;
	f->last_queue = queue;
	f->on_ctx = lcx_context_current() == f->ctx;
	switch (f->mode) {
	case RX_KEEP:
		for (uint16_t i = 0; i < n; i++)
			f->kept[(f->got + i) % FAKE_RING] = pkts[i];
		break;
	case RX_BUFFER:
		assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, n), n);
		break;
	case RX_BURST: {
		uint16_t sent = lcx_port_tx_burst(port, 0, pkts, n);

		for (uint16_t i = sent; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		break;
	}
	}
	f->got += n;
	f->sent_in_handler = f->fp->txq[0].nb_sent;
}

static struct lcx_port *
make_port(struct fix *f, const struct lcx_port_conf *conf)
{
	struct lcx_port *port = NULL;

	assert_int_equal(lcx_port_create(conf, &port), 0);
	assert_non_null(port);
	f->port = port;
	f->fp = lcx_port_to_dev(port)->priv;
	return port;
}

static int
setup(void **state)
{
	static struct fix fx;
	struct fix *f = &fx;
	int ret;

	memset(f, 0, sizeof(*f));
	fake_destroys = 0;
	ret = lcx_port_driver_register(&fake_ops);
	if (ret != 0 && ret != -EEXIST)
		return -1;
	ret = lcx_port_driver_register(&fake_link_ops);
	if (ret != 0 && ret != -EEXIST)
		return -1;
	if (unit_manual_ctx("port-test", THROTTLE, &f->mc, &f->ctx) != 0)
		return -1;
	lcx__port_clock = &f->mc.clock; /* the restart waits go by the manual clock */
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	lcx_port_destroy(f->port);
	lcx_context_release(f->ctx);
	lcx__port_clock = NULL;
	return 0;
}

static const struct lcx_port_conf fake_conf = {
	.driver = "fake", .devargs = "0", .nb_rxq = 2, .nb_txq = 2, .nb_rxd = 256, .burst = 32,
};

static int64_t
step(struct fix *f, uint64_t advance)
{
	lcx_manual_clock_advance(&f->mc, advance);
	int64_t r = lcx_context_run_once(f->ctx);

	assert_true(r >= 0);
	return r;
}

/* --- tests --- */

static void
test_destroy_null(void **state)
{
	(void)state;
	lcx_port_destroy(NULL); /* a no-op */
}

static void
test_registry(void **state)
{
	struct lcx_port_ops bad = fake_ops;

	(void)state;
	assert_non_null(lcx_port_driver_find("dpdk"));
	assert_non_null(lcx_port_driver_find("socket"));
	assert_ptr_equal(lcx_port_driver_find("fake"), &fake_ops);
	assert_null(lcx_port_driver_find("nope"));
	assert_null(lcx_port_driver_find(NULL));
	assert_int_equal(lcx_port_driver_register(&fake_ops), -EEXIST);
	bad.name = "bad";
	bad.rx_burst = NULL;
	assert_int_equal(lcx_port_driver_register(&bad), -EINVAL);
	assert_int_equal(lcx_port_driver_register(NULL), -EINVAL);
}

static void
test_bad_conf(void **state)
{
	struct lcx_port *port = (struct lcx_port *)0x1;
	struct lcx_port_conf c = fake_conf;

	(void)state;
	assert_int_equal(lcx_port_create(NULL, &port), -EINVAL);
	assert_int_equal(lcx_port_create(&c, NULL), -EINVAL);
	c.driver = "no-such-driver";
	assert_int_equal(lcx_port_create(&c, &port), -ENODEV);
	c = fake_conf;
	c.nb_rxq = LCX_PORT_QUEUES_MAX + 1;
	assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
	c = fake_conf;
	c.nb_txq = LCX_PORT_QUEUES_MAX + 1;
	assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
	c = fake_conf;
	c.burst = LCX_PORT_BURST_MAX + 1;
	assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
	c = fake_conf;
	c.nb_rxd = 16;
	c.burst = 32;
	assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
	c = fake_conf;
	c.devargs = "fail"; /* the driver's error comes back */
	assert_int_equal(lcx_port_create(&c, &port), -ENODEV);
	assert_ptr_equal(port, (struct lcx_port *)0x1); /* untouched on failure */
}

/* Without EAL the built-in drivers refuse cleanly: no crash, an -errno. */
static void
test_builtin_without_eal(void **state)
{
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "dpdk", .devargs = "net_null0" };

	(void)state;
	assert_int_equal(lcx_port_create(&c, &port), -EPERM);
	c.driver = NULL; /* "dpdk" is the default */
	assert_int_equal(lcx_port_create(&c, &port), -EPERM);
	c.driver = "socket";
	c.devargs = "127.0.0.1:5000";
	assert_int_equal(lcx_port_create(&c, &port), -EPERM); /* no mempool without EAL */
	c.devargs = "[::1]:5000,127.0.0.1:5001,[::]:6000-6009"; /* IPv6 parses too */
	assert_int_equal(lcx_port_create(&c, &port), -EPERM);
	/* Bad devargs are refused before anything is opened. */
	const char *bad[] = { "", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "1.2.3:5",
			      "127.0.0.1:6-5", "127.0.0.1:5,", "::1:5000", "x:1", ",",
			      "127.0.0.1:5-", "127.0.0.1:-5", "localhost:80", "[::1", "[::1]:",
			      "[zz::1]:5", "[::1]5000", "[fe80::1%lo]:5000", "[1.2.3.4]:5" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.devargs = bad[i];
		assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
	}
	assert_null(port);
}

static void
test_defaults_and_accessors(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf c = { .driver = "fake", .devargs = "x" };
	struct lcx_port *port = make_port(f, &c);
	struct lcx_port_dev *dev = lcx_port_to_dev(port);
	uint8_t mac[6];

	assert_ptr_equal(lcx_port_from_dev(dev), port);
	assert_int_equal(lcx_port_nb_rxq(port), 1);
	assert_int_equal(lcx_port_nb_txq(port), 1);
	assert_int_equal(dev->conf.nb_rxd, 1024);
	assert_int_equal(dev->conf.nb_txd, 1024);
	assert_int_equal(dev->conf.burst, 32);
	assert_int_equal(dev->conf.mbuf_data_size, RTE_MBUF_DEFAULT_BUF_SIZE);
	assert_string_equal(lcx_port_name(port), "fake:x");
	assert_string_equal(lcx_port_driver(port), "fake");
	assert_int_equal(lcx_port_socket(port), 0);
	assert_int_equal(lcx_port_ethdev_id(port), -ENOTSUP);
	assert_null(lcx_port_pool(port));
	assert_int_equal(lcx_port_mac(port, mac), -ENOTSUP);
}

/* Receive timestamps asked of a driver that gives none: -ENOTSUP, the create undone. */
static void
test_rx_tstamp_not_given(void **state)
{
	struct lcx_port *port = (struct lcx_port *)0x1;
	struct lcx_port_conf c = fake_conf;

	(void)state;
	c.rx_timestamp = LCX_PORT_RX_TSTAMP_ON;
	assert_int_equal(lcx_port_create(&c, &port), -ENOTSUP);
	assert_ptr_equal(port, (struct lcx_port *)0x1);
	assert_int_equal(fake_destroys, 1); /* the driver's create() was undone */
	/* The same device without the ask comes up, and with AUTO, saying it has none. */
	c.rx_timestamp = LCX_PORT_RX_TSTAMP_OFF;
	port = NULL;
	assert_int_equal(lcx_port_create(&c, &port), 0);
	lcx_port_destroy(port);
	c.rx_timestamp = LCX_PORT_RX_TSTAMP_AUTO;
	port = NULL;
	assert_int_equal(lcx_port_create(&c, &port), 0);
	struct lcx_port_rx_tstamp ts;

	assert_int_equal(lcx_port_rx_tstamp(port, &ts), -ENOTSUP);
	assert_int_equal(ts.clock, LCX_PORT_TSTAMP_NONE);
	lcx_port_destroy(port);
	c.rx_timestamp = (enum lcx_port_rx_tstamp_mode)3;
	assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
}

/* A device clock: the driver's field and flag; its clock read through rx_clock. */
static void
test_rx_tstamp_device(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf c = fake_conf;
	struct lcx_port_rx_tstamp ts;
	uint64_t now = 0;

	c.devargs = "stamp";
	c.rx_timestamp = LCX_PORT_RX_TSTAMP_ON;
	make_port(f, &c);
	assert_int_equal(lcx_port_rx_tstamp(f->port, &ts), 0);
	assert_int_equal(ts.clock, LCX_PORT_TSTAMP_DEVICE);
	assert_int_equal(ts.offset, 120);
	assert_true(ts.flag == 1ull << 50);
	assert_true(ts.hz == 0);
	assert_int_equal(lcx_port_rx_tstamp_now(f->port, &now), 0);
	assert_true(now == 987654321);
	assert_int_equal(lcx_port_rx_tstamp(NULL, &ts), -EINVAL);
	assert_int_equal(lcx_port_rx_tstamp(f->port, NULL), -EINVAL);
	assert_int_equal(lcx_port_rx_tstamp_now(f->port, NULL), -EINVAL);
	assert_int_equal(lcx_port_rx_tstamp_now(NULL, &now), -EINVAL);
}

/* CLOCK_REALTIME in us: the layer reads it, between two readings of the test's own. */
static void
test_rx_tstamp_realtime(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf c = fake_conf;
	struct lcx_port_rx_tstamp ts;
	struct timespec a, z;
	uint64_t now = 0;

	c.devargs = "stamp-rt";
	c.rx_timestamp = LCX_PORT_RX_TSTAMP_AUTO;
	make_port(f, &c);
	assert_int_equal(lcx_port_rx_tstamp(f->port, &ts), 0);
	assert_int_equal(ts.clock, LCX_PORT_TSTAMP_REALTIME_US);
	assert_true(ts.hz == 1000000);
	clock_gettime(CLOCK_REALTIME, &a);
	assert_int_equal(lcx_port_rx_tstamp_now(f->port, &now), 0);
	clock_gettime(CLOCK_REALTIME, &z);
	assert_true(now >= (uint64_t)a.tv_sec * 1000000u + (uint64_t)a.tv_nsec / 1000u);
	assert_true(now <= (uint64_t)z.tv_sec * 1000000u + (uint64_t)z.tv_nsec / 1000u);
}

/* Not asked for: no stamps said, whatever the driver wrote. */
static void
test_rx_tstamp_not_asked(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf c = fake_conf;
	struct lcx_port_rx_tstamp ts;
	uint64_t now = 0;

	c.devargs = "stamp";
	make_port(f, &c);
	memset(&ts, 0xff, sizeof(ts));
	assert_int_equal(lcx_port_rx_tstamp(f->port, &ts), -ENOTSUP);
	assert_int_equal(ts.clock, LCX_PORT_TSTAMP_NONE);
	assert_int_equal(lcx_port_rx_tstamp_now(f->port, &now), -ENOTSUP);
}

/* A burst goes to the handler on the context; counters follow. */
static void
test_rx_delivery(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_rxq_attach(port, 1, f->ctx, on_rx, f), 0);
	assert_int_equal(f->fp->attach_calls, 1);
	assert_true(f->fp->attach_on_ctx);
	push_rx(f, 1, 10);
	/* Not started: no burst is even asked for. */
	step(f, THROTTLE);
	assert_int_equal(f->calls, 0);
	assert_int_equal(f->fp->rxq[1].calls, 0);

	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(f->fp->starts, 1);
	assert_int_equal(step(f, THROTTLE), 0); /* it did work: no park */
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->last_n, 10);
	assert_int_equal(f->last_queue, 1);
	assert_true(f->on_ctx);
	/* Nothing waiting: the handler is not called with 0. */
	step(f, THROTTLE);
	assert_int_equal(f->calls, 1);
	/*
	 * More than a burst: bursts of at most 32, polled again at once while
	 * they come full (the loop's full-load rounds), and no park after work.
	 */
	push_rx(f, 1, 70);
	unsigned int calls0 = f->calls;

	assert_int_equal(step(f, 10 * US), 0);
	assert_int_equal(f->calls - calls0, 3); /* 32, 32, then 6 */
	assert_int_equal(f->last_n, 6);
	assert_int_equal(f->got, 80);
	push_rx(f, 1, 200);
	calls0 = f->calls;
	assert_int_equal(step(f, 10 * US), 0);
	assert_int_equal(f->calls - calls0, 4); /* at most 4 full rounds an iteration */
	assert_int_equal(f->last_n, 32);
	step(f, 10 * US);
	step(f, 10 * US);
	assert_int_equal(f->got, 280);

	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, 280);
	assert_int_equal(st.rx_bytes, 280 * PKT_LEN);
	assert_int_equal(st.tx_packets, 0);
	/* The handler owns what it got: lcx freed none. */
	for (unsigned int i = 0; i < f->got; i++)
		assert_false(was_freed(f->kept[i]));
}

/* The poller describes the queue's ring: burst, ring size, fill level. */
static void
test_ring_budget_wiring(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct lcx__port_rxq *rxq = &port->rxq[0];

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_start(port), 0);
	assert_ptr_equal(rxq->poller.ctx, f->ctx);
	assert_int_equal(rxq->poller.burst, 32);
	assert_int_equal(rxq->poller.ring_size, 256);
	assert_non_null(rxq->poller.ops->fill);

	/* 20 packets every 200 us: 100 kpps, measured by the context. */
	for (int i = 0; i < 5; i++) {
		push_rx(f, 0, 20);
		step(f, 200 * US);
	}
	assert_true(rxq->poller.rate_ppns > 0);
	/* Empty ring, 1.28 ms of room at that rate: the whole throttle. */
	f->fp->rxq[0].fill = 0;
	unsigned int fills = f->fp->rxq[0].fill_calls;
	int64_t park = step(f, THROTTLE);

	assert_true(f->fp->rxq[0].fill_calls > fills);
	assert_true(park > 900 * (int64_t)US);
	assert_true(park <= (int64_t)THROTTLE);
	/* 28 entries short of half: about 300 us (the rate decays by 1/8 per idle
	 * window), less the margin, well before the next react is due. */
	f->fp->rxq[0].fill = 100;
	park = step(f, 10 * US);
	assert_true(park > 0);
	assert_true(park < 400 * (int64_t)US);
	/* The ring is at half: do not park at all. */
	f->fp->rxq[0].fill = 128;
	assert_int_equal(step(f, 10 * US), 0);
	/* Stopped: the fill level is not read. */
	assert_int_equal(lcx_port_stop(port), 0);
	fills = f->fp->rxq[0].fill_calls;
	step(f, 10 * US);
	assert_int_equal(f->fp->rxq[0].fill_calls, fills);
}

/* Buffered tx leaves at the end of the iteration, not before. */
static void
test_tx_buffer_flush_at_iteration_end(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	f->mode = RX_BUFFER;
	push_rx(f, 0, 5);
	step(f, THROTTLE);
	assert_int_equal(f->got, 5);
	assert_int_equal(f->sent_in_handler, 0); /* held in the buffer */
	assert_int_equal(f->fp->txq[0].nb_sent, 5); /* flushed at the iteration's end */
	assert_int_equal(port->txq[0].count, 0);

	/* A full burst goes out at once, from inside the handler. */
	push_rx(f, 0, 32);
	step(f, THROTTLE);
	assert_int_equal(f->sent_in_handler, 37);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_packets, 37);
	assert_int_equal(st.tx_bytes, 37 * PKT_LEN);
	assert_int_equal(st.tx_dropped, 0);
	for (unsigned int i = 0; i < 37; i++)
		assert_false(was_freed(f->fp->txq[0].sent[i])); /* the driver owns them */
}

/* What the queue still refuses after a few tries is freed and counted. */
static void
test_tx_dropped(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct rte_mbuf *pkts[8];
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	f->fp->txq[0].accept = 0;
	for (int i = 0; i < 8; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 8), 8);
	assert_int_equal(f->fp->txq[0].calls, 0);
	step(f, THROTTLE);
	assert_true(f->fp->txq[0].calls >= 2); /* retried */
	for (int i = 0; i < 8; i++)
		assert_true(was_freed(pkts[i]));
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_dropped, 8);
	assert_int_equal(st.tx_packets, 0);

	/* Partly taken: the rest is dropped, and only the rest. */
	f->fp->txq[0].accept = 3;
	for (int i = 0; i < 8; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 8), 8);
	unsigned int calls = f->fp->txq[0].calls;

	f->fp->txq[0].accept = 3;
	step(f, THROTTLE);
	/* 3 per try: 3 + 3 + 2 within the tries, nothing dropped. */
	assert_true(f->fp->txq[0].calls - calls >= 3);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_packets, 8);
	assert_int_equal(st.tx_dropped, 8);

	/* Sustained refusal with a full buffer: new mbufs are taken and dropped. */
	f->fp->txq[0].accept = 0;
	struct rte_mbuf *many[100];

	for (int i = 0; i < 100; i++)
		many[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, many, 100), 100);
	assert_true(port->txq[0].count < port->txq[0].cap);
	step(f, THROTTLE);
	for (int i = 0; i < 100; i++)
		assert_true(was_freed(many[i]));
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_dropped, 108);
}

/* tx_burst: the caller keeps what was not sent. */
static void
test_tx_burst_partial(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct rte_mbuf *pkts[10];
	struct lcx_port_stats st;

	for (int i = 0; i < 10; i++)
		pkts[i] = fake_mbuf();
	/* Stopped: nothing is taken. */
	assert_int_equal(lcx_port_tx_burst(port, 1, pkts, 10), 0);
	assert_int_equal(lcx_port_start(port), 0);
	f->fp->txq[1].accept = 4;
	assert_int_equal(lcx_port_tx_burst(port, 1, pkts, 10), 4);
	for (int i = 0; i < 10; i++)
		assert_false(was_freed(pkts[i]));
	assert_int_equal(lcx_port_tx_burst(port, 7, pkts, 10), 0); /* no such queue */
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_packets, 4);
	assert_int_equal(st.tx_bytes, 4 * PKT_LEN);
	assert_int_equal(st.tx_dropped, 0);

	/* tx_buffer on a queue no context flushes: sent now, the rest dropped. */
	f->fp->txq[1].accept = 2;
	assert_int_equal(lcx_port_tx_buffer(port, 1, pkts + 4, 6), 6);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_packets, 4 + 6); /* 2 per try, three tries */
	f->fp->txq[1].accept = 0;
	assert_int_equal(lcx_port_tx_buffer(port, 1, pkts, 4), 4);
	for (int i = 0; i < 4; i++)
		assert_true(was_freed(pkts[i]));
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_dropped, 4);
}

static void
test_stats_reset(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_start(port), 0);
	push_rx(f, 0, 7);
	f->fp->missed = 11;
	step(f, THROTTLE);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, 7);
	assert_int_equal(st.rx_missed, 11);
	assert_int_equal(lcx_port_stats_reset(port), 0);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(st.rx_bytes, 0);
	assert_int_equal(st.rx_missed, 0);
	push_rx(f, 0, 3);
	f->fp->missed = 12;
	step(f, THROTTLE);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.rx_missed, 1);
	assert_int_equal(lcx_port_stats(NULL, &st), -EINVAL);
	assert_int_equal(lcx_port_stats(port, NULL), -EINVAL);
	assert_int_equal(lcx_port_stats_reset(NULL), -EINVAL);
}

static void
test_attach_rules(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);

	assert_int_equal(lcx_port_rxq_attach(port, 2, f->ctx, on_rx, f), -EINVAL);
	assert_int_equal(lcx_port_rxq_attach(port, 0, NULL, on_rx, f), -EINVAL);
	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, NULL, f), -EINVAL);
	assert_int_equal(lcx_port_rxq_attach(NULL, 0, f->ctx, on_rx, f), -EINVAL);
	assert_int_equal(lcx_port_txq_attach(port, 2, f->ctx), -EINVAL);
	assert_int_equal(lcx_port_rxq_detach(port, 0), -EINVAL); /* not attached */
	assert_int_equal(lcx_port_txq_detach(port, 0), -EINVAL);

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), -EBUSY);
	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), -EBUSY);
	assert_int_equal(f->ctx->nb_pollers, 2);

	/* The driver's hook can refuse; nothing stays registered then. */
	f->fp->attach_fail = -ENOMEM;
	assert_int_equal(lcx_port_rxq_attach(port, 1, f->ctx, on_rx, f), -ENOMEM);
	assert_int_equal(f->ctx->nb_pollers, 2);
	f->fp->attach_fail = 0;

	assert_int_equal(lcx_port_rxq_detach(port, 0), 0);
	assert_int_equal(f->fp->detach_calls, 1);
	assert_int_equal(f->fp->detach_stopped_calls, 0);
	assert_int_equal(lcx_port_rxq_detach(port, 0), -EINVAL);
	assert_int_equal(lcx_port_txq_detach(port, 0), 0);
	assert_int_equal(f->ctx->nb_pollers, 0);
	/* Detached queues attach again. */
	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(f->ctx->nb_pollers, 1);
}

/* Detach flushes buffered tx; a detached rx queue is polled no more. */
static void
test_detach(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct rte_mbuf *pkts[4];

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	for (int i = 0; i < 4; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 4), 4);
	assert_int_equal(f->fp->txq[0].nb_sent, 0);
	assert_int_equal(lcx_port_txq_detach(port, 0), 0);
	assert_int_equal(f->fp->txq[0].nb_sent, 4);

	assert_int_equal(lcx_port_rxq_detach(port, 0), 0);
	unsigned int calls = f->fp->rxq[0].calls;

	push_rx(f, 0, 3);
	step(f, THROTTLE);
	assert_int_equal(f->fp->rxq[0].calls, calls);
	assert_int_equal(f->calls, 0);
}

/* Stop flushes buffered tx and stops the bursts; start resumes them. */
static void
test_stop_start(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct rte_mbuf *pkts[4];
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(lcx_port_start(port), 0); /* started already */
	assert_int_equal(f->fp->starts, 1);
	for (int i = 0; i < 4; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 4), 4);
	assert_int_equal(lcx_port_stop(port), 0);
	assert_int_equal(f->fp->stops, 1);
	assert_int_equal(f->fp->txq[0].nb_sent, 4); /* out before the stop */
	assert_int_equal(lcx_port_stop(port), 0);
	assert_int_equal(f->fp->stops, 1);

	unsigned int calls = f->fp->rxq[0].calls;

	push_rx(f, 0, 5);
	step(f, THROTTLE);
	assert_int_equal(f->fp->rxq[0].calls, calls);
	/* Stopped: tx_buffer takes the mbufs and drops them. */
	for (int i = 0; i < 4; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 4), 4);
	for (int i = 0; i < 4; i++)
		assert_true(was_freed(pkts[i]));
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_dropped, 4);

	assert_int_equal(lcx_port_start(port), 0);
	step(f, THROTTLE);
	assert_int_equal(f->got, 5);

	/* A start the device refuses leaves the port stopped. */
	assert_int_equal(lcx_port_stop(port), 0);
	f->fp->fail_start = 1;
	assert_int_equal(lcx_port_start(port), -EIO);
	push_rx(f, 0, 1);
	step(f, THROTTLE);
	assert_int_equal(f->got, 5);
	assert_int_equal(lcx_port_start(NULL), -EINVAL);
	assert_int_equal(lcx_port_stop(NULL), -EINVAL);
}

/* Destroy stops the device and detaches every queue from its context. */
static void
test_destroy_detaches(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct rte_mbuf *pkts[3];

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_rxq_attach(port, 1, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_txq_attach(port, 1, f->ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	for (int i = 0; i < 3; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 1, pkts, 3), 3);
	assert_int_equal(f->ctx->nb_pollers, 3);
	unsigned int sent = fake_tx_total;

	lcx_port_destroy(port);
	f->port = NULL;
	assert_int_equal(fake_tx_total, sent + 3); /* the buffer went out at the stop */
	assert_int_equal(fake_destroys, 1);
	assert_int_equal(f->ctx->nb_pollers, 0);
	step(f, THROTTLE); /* nothing left that points at the port */
}

/* A context that stopped first: detach still works, and tells the driver. */
static void
test_detach_after_context_stop(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);
	struct rte_mbuf *pkts[2];

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	for (int i = 0; i < 2; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 2), 2);
	assert_int_equal(lcx_context_stop(f->ctx), 0);
	assert_int_equal(f->fp->txq[0].nb_sent, 2); /* the stop flushed the pollers */
	assert_int_equal(lcx_port_rxq_detach(port, 0), 0);
	assert_int_equal(f->fp->detach_stopped_calls, 1);
	assert_int_equal(lcx_port_txq_detach(port, 0), 0);
	/* Attaching to a stopped context fails cleanly. */
	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), -ESHUTDOWN);
	assert_int_equal(lcx_port_stop(port), 0);
}

/* --- the link (lcx_port_link_check) --- */

static struct lcx_port_stats
stats_of(struct lcx_port *port)
{
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_stats(port, &st), 0);
	return st;
}

/* A driver without a link op is always up; NULL is refused. */
static void
test_link_no_op(void **state)
{
	struct fix *f = *state;
	struct lcx_port *port = make_port(f, &fake_conf);

	assert_int_equal(lcx_port_link_check(port), 1);
	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(lcx_port_link_check(port), 1);
	assert_int_equal(lcx_port_link_check(NULL), -EINVAL);
	assert_int_equal(stats_of(port).link_downs, 0);
}

/*
 * Link changes are counted once per change, not per check; a device that does
 * not answer counts as down; a port whose driver can bring its link back by
 * itself is never restarted; a reset zeroes the counts.
 */
static void
test_link_counts(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf c = fake_conf;

	c.driver = "fake-link";
	struct lcx_port *port = make_port(f, &c);

	f->fp->link = 0;
	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).link_downs, 0); /* never up: no loss */
	f->fp->link = 1;
	assert_int_equal(lcx_port_link_check(port), 1);
	f->fp->link = 0;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(lcx_port_link_check(port), 0);
		lcx_manual_clock_advance(&f->mc, 10000 * MS);
	}
	assert_int_equal(stats_of(port).link_downs, 1);
	assert_int_equal(stats_of(port).restarts, 0); /* not a restart_on_link_down device */
	assert_int_equal(f->fp->starts, 1);
	assert_int_equal(f->fp->stops, 0);
	f->fp->link = 1;
	assert_int_equal(lcx_port_link_check(port), 1);
	f->fp->link = -EIO; /* the device does not answer: down */
	assert_int_equal(lcx_port_link_check(port), -EIO);
	assert_int_equal(lcx_port_link_check(port), -EIO);
	assert_int_equal(stats_of(port).link_downs, 2);
	assert_int_equal(lcx_port_stats_reset(port), 0);
	assert_int_equal(stats_of(port).link_downs, 0);
	f->fp->link = 1;
	assert_int_equal(lcx_port_link_check(port), 1);
	f->fp->link = 0;
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).link_downs, 1);
	/* The program's own stop and start: no loss, even if the link was up before. */
	f->fp->link = 1;
	assert_int_equal(lcx_port_link_check(port), 1);
	assert_int_equal(lcx_port_stop(port), 0);
	assert_int_equal(lcx_port_start(port), 0);
	f->fp->link = 0;
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).link_downs, 1);
}

/*
 * A device whose down link comes back only through a restart (a memif client):
 * restarted 0.5 s after its last start, then 1, 2, 4, 5, 5 s apart; each restart
 * quiesces the queues (buffered tx goes out before the stop) and counts; a
 * failed start leaves the port stopped (no burst) until the next try; traffic
 * flows again once the link is up, and the wait starts over.
 */
static void
test_link_restart(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf c = fake_conf;
	struct rte_mbuf *pkts[3];

	c.driver = "fake-link";
	c.devargs = "relink";
	struct lcx_port *port = make_port(f, &c);

	assert_int_equal(lcx_port_rxq_attach(port, 0, f->ctx, on_rx, f), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, f->ctx), 0);
	f->fp->link = 0; /* the peer refused, or went away */
	assert_int_equal(lcx_port_start(port), 0);
	lcx_manual_clock_advance(&f->mc, 499 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(f->fp->stops, 0); /* a connection may still be under way */

	for (int i = 0; i < 3; i++)
		pkts[i] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 3), 3);
	lcx_manual_clock_advance(&f->mc, 1 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(f->fp->stops, 1);
	assert_int_equal(f->fp->starts, 2);
	assert_int_equal(f->fp->txq[0].nb_sent, 3); /* out before the stop */
	assert_int_equal(stats_of(port).restarts, 1);

	/* The next wait is 1 s, then 2 s. */
	lcx_manual_clock_advance(&f->mc, 999 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).restarts, 1);
	lcx_manual_clock_advance(&f->mc, 1 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).restarts, 2);

	/* A start that fails: the port stays stopped, nothing bursts. */
	f->fp->fail_start = 1;
	lcx_manual_clock_advance(&f->mc, 2000 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	struct lcx_port_stats st = stats_of(port);

	assert_int_equal(st.restarts, 3);
	assert_int_equal(st.restart_failures, 1);
	assert_int_equal(st.link_downs, 0); /* never up */
	unsigned int calls = f->fp->rxq[0].calls;

	push_rx(f, 0, 4);
	step(f, THROTTLE);
	assert_int_equal(f->fp->rxq[0].calls, calls);
	pkts[0] = fake_mbuf();
	assert_int_equal(lcx_port_tx_buffer(port, 0, pkts, 1), 1);
	assert_true(was_freed(pkts[0]));
	assert_int_equal(stats_of(port).tx_dropped, 1);

	/* 4 s later the start works; the wait is capped at 5 s after that. */
	f->fp->fail_start = 0;
	lcx_manual_clock_advance(&f->mc, 3999 * MS - THROTTLE); /* the step took 1 ms */
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).restarts, 3);
	lcx_manual_clock_advance(&f->mc, 1 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).restarts, 4);
	assert_int_equal(f->fp->starts, 4); /* the first, and restarts 1, 2 and 4 */
	assert_int_equal(f->fp->stops, 3);  /* restart 4 had nothing to stop */
	lcx_manual_clock_advance(&f->mc, 5000 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).restarts, 5);
	lcx_manual_clock_advance(&f->mc, 5000 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(stats_of(port).restarts, 6);

	/* The link is back: traffic flows, the waits start over. */
	f->fp->link = 1;
	assert_int_equal(lcx_port_link_check(port), 1);
	step(f, THROTTLE);
	assert_int_equal(f->got, 4); /* what waited in the ring */
	f->fp->link = 0;
	lcx_manual_clock_advance(&f->mc, 500 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	st = stats_of(port);
	assert_int_equal(st.link_downs, 1);
	assert_int_equal(st.restarts, 7);
	assert_int_equal(st.restart_failures, 1);

	/* A port the program stopped is never restarted. */
	assert_int_equal(lcx_port_stop(port), 0);
	int starts = f->fp->starts;

	lcx_manual_clock_advance(&f->mc, 60000 * MS);
	assert_int_equal(lcx_port_link_check(port), 0);
	assert_int_equal(f->fp->starts, starts);
	assert_int_equal(stats_of(port).restarts, 7);
}

/*
 * Restarts while one context (a thread) receives and another sends on the port
 * without a pause: no rx or tx burst ever runs on the stopped device (the
 * restart quiesces each queue on its own context first).
 */
static struct rte_mbuf quiesce_mbuf;

static unsigned int
quiesce_send(void *arg)
{
	struct lcx_port *port = arg;
	struct rte_mbuf *m = &quiesce_mbuf;

	(void)lcx_port_tx_burst(port, 0, &m, 1);
	return 1; /* busy: never parks */
}

static void
on_rx_drop(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	(void)queue;
	(void)pkts;
	(void)n;
	(void)arg;
}

static int
quiesce_register(struct lcx_context *ctx, void *arg)
{
	return lcx_poller_register(ctx, arg);
}

static int
quiesce_unregister(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	return lcx_poller_unregister(arg);
}

static void
test_link_restart_quiesces(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf c = fake_conf;
	struct lcx_context *t = NULL, *t2 = NULL;
	struct lcx_context_conf cc = { .name = "port-receiver", .throttle_ns = 0, .cpu = -1,
				       .socket_id = -1, .launch = LCX_LAUNCH_THREAD };
	static const struct lcx_poller_ops send_ops = { .name = "send", .poll = quiesce_send };
	struct lcx_poller sender = { 0 };

	c.driver = "fake-link";
	c.devargs = "relink";
	struct lcx_port *port = make_port(f, &c);

	quiesce_mbuf.refcnt = 2;
	assert_int_equal(lcx_context_acquire(&cc, &t), 0);
	cc.name = "port-sender";
	assert_int_equal(lcx_context_acquire(&cc, &t2), 0);
	assert_int_equal(lcx_port_rxq_attach(port, 0, t, on_rx_drop, NULL), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, t2), 0);
	sender.ops = &send_ops;
	sender.arg = port;
	assert_int_equal(lcx_context_enter(t2, quiesce_register, &sender), 0);
	f->fp->link = 0;
	f->fp->burst_spin = 20;
	assert_int_equal(lcx_port_start(port), 0);
	for (int i = 0; i < 300; i++) {
		unsigned int calls = __atomic_load_n(&f->fp->txq[0].calls, __ATOMIC_RELAXED);

		lcx_manual_clock_advance(&f->mc, 10000 * MS);
		assert_int_equal(lcx_port_link_check(port), 0);
		/* Let both run on the started device before the next restart. */
		unsigned int rx_calls = __atomic_load_n(&f->fp->rxq[0].calls, __ATOMIC_RELAXED);

		while (__atomic_load_n(&f->fp->txq[0].calls, __ATOMIC_RELAXED) < calls + 3 ||
		       __atomic_load_n(&f->fp->rxq[0].calls, __ATOMIC_RELAXED) < rx_calls + 3)
			sched_yield();
	}
	assert_int_equal(stats_of(port).restarts, 300);
	assert_int_equal(atomic_load(&f->fp->bad_bursts), 0);
	assert_int_equal(lcx_context_enter(t2, quiesce_unregister, &sender), 0);
	lcx_port_destroy(port);
	f->port = NULL;
	lcx_context_release(t);
	lcx_context_release(t2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destroy_null),
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_conf, setup, teardown),
		cmocka_unit_test(test_builtin_without_eal),
		cmocka_unit_test_setup_teardown(test_defaults_and_accessors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_tstamp_not_given, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_tstamp_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_tstamp_realtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_tstamp_not_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_budget_wiring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_buffer_flush_at_iteration_end, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tx_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_burst_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_detaches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detach_after_context_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_no_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_restart_quiesces, setup, teardown),
	};

	return cmocka_run_group_tests_name("port", tests, NULL, NULL);
}
