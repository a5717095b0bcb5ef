/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port contract, one test list run against every backend under EAL
 * (--no-huge, vdevs). The backend is the first argument:
 *
 *   ring       net_ring0, in-process loopback: tx on queue q comes back on rx q
 *   null       net_null0 (given to EAL with --vdev): an endless source, a sink
 *   memif      net_memif0 as a client; a second process (forked before EAL,
 *              its own --file-prefix) is the server and echoes every frame
 *   af_packet  net_af_packet0 on a veth whose peer is in a network namespace
 *              this test creates; a forked child in the namespace sends and
 *              receives kernel UDP (root and `ip` needed, else exit 77)
 *   socket     the socket driver on 127.0.0.1, kernel UDP from this process
 *              (and on ::1 for the IPv6 cases, skipped when lo has no ::1)
 *
 * Every test that a backend cannot run says so (a cmocka skip): null has no
 * exact counts, for instance. Contexts run on a worker lcore
 * (LCX_LAUNCH_LCORE) when EAL has one, otherwise on a pthread.
 */
/* rte_ipv6_udptcp_cksum_mbuf_verify() is experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "lcx_private.h"
#include "port_private.h"

#define MS 1000000ull
#define MAGIC 0x4c435854u /* "LCXT" */
#define PAYLOAD 32
#define SEQ_MAX 65536

/* Addresses: the benchmarking range for the veth, loopback for sockets. */
#define NET_DUT "198.18.10.1"
#define NET_GEN "198.18.10.2"
#define NS_NAME "lcxp-ns"
#define VETH_DUT "lcxp-dut"
#define VETH_GEN "lcxp-gen"
#define UDP_SPORT 1234
#define UDP_DPORT 9

/* --- the backend under test --- */

struct backend {
	const char *name;
	const char *driver;
	bool exact;     /* finite traffic: exact counts can be checked */
	bool tx_loops;  /* what the port sends comes back to its rx */
	bool multiq;    /* runs with two rx queues */
	bool no_bytes;  /* the device counts no bytes (port bytes come from the device) */
	uint16_t nb_txq; /* tx queues the device has room for */
	int (*setup)(void);
	void (*teardown)(void);
	/* Make the port receive n test frames on rx queue q. @return 0 or -1. */
	int (*inject)(struct lcx_port *port, uint16_t q, unsigned int n, uint32_t seq0);
	/* Test frames the far side received from the port, or -1 if it cannot tell. */
	long (*far_received)(void);
	char devargs[256];
	char devargs_mq[256];
	uint32_t rx_src, rx_dst;   /* addresses of the frames the port receives */
	uint32_t tx_src, tx_dst;   /* addresses of the frames it sends */
	uint16_t tx_sport, tx_dport;
	struct rte_ether_addr tx_dmac;
};

static struct backend *be;
static int worker_lcore = -1;
static char prefix[64];

static uint32_t
ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- test frames --- */

struct test_payload {
	uint32_t magic;
	uint32_t seq;
	uint8_t pad[PAYLOAD - 8];
} __attribute__((packed)); /* at offset 42 in a frame */

static struct rte_mbuf *
build_frame(struct rte_mempool *mp, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	    const struct rte_ether_addr *dmac, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		return NULL;
	size_t len = RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) +
		     PAYLOAD;
	char *p = rte_pktmbuf_append(m, (uint16_t)len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct test_payload *pl = (struct test_payload *)(udp + 1);

	memset(p, 0, len);
	if (dmac != NULL)
		eth->dst_addr = *dmac;
	eth->src_addr.addr_bytes[0] = 0x02;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + PAYLOAD);
	pl->magic = MAGIC;
	pl->seq = seq;
	return m;
}

/* The test payload of a frame, or NULL if it is not one of ours for dst. */
static const struct test_payload *
test_frame(const struct rte_mbuf *m, uint32_t dst)
{
	size_t hl = RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr);

	if (rte_pktmbuf_data_len(m) < hl + sizeof(struct test_payload))
		return NULL;
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	const struct test_payload *pl = (const struct test_payload *)(udp + 1);

	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP ||
	    ip->dst_addr != dst || pl->magic != MAGIC)
		return NULL;
	return pl;
}

/* Send n frames on the port's tx queue q from this thread, as the queue takes them. */
static int
send_frames(struct lcx_port *port, uint16_t q, unsigned int n, uint32_t seq0, uint32_t src,
	    uint32_t dst, uint16_t sport, uint16_t dport, const struct rte_ether_addr *dmac)
{
	struct rte_mempool *mp = lcx_port_pool(port);
	uint64_t deadline = now_ns() + 3000 * MS;
	unsigned int done = 0;

	while (done < n) {
		struct rte_mbuf *pkts[32];
		uint16_t k = 0, sent = 0;

		while (k < 32 && done + k < n) {
			pkts[k] = build_frame(mp, src, dst, sport, dport, dmac, seq0 + done + k);
			if (pkts[k] == NULL)
				break;
			k++;
		}
		while (sent < k && now_ns() < deadline) {
			sent += lcx_port_tx_burst(port, q, pkts + sent, (uint16_t)(k - sent));
			if (sent < k)
				sleep_ns(100000);
		}
		if (sent < k) {
			rte_pktmbuf_free_bulk(pkts + sent, k - sent);
			fprintf(stderr, "send_frames: queue refused %u frames\n", k - sent);
			return -1;
		}
		done += k;
	}
	return 0;
}

/* --- what a context received --- */

struct rxstat {
	_Atomic uint64_t total;   /* every frame */
	_Atomic uint64_t test;    /* our test frames */
	_Atomic uint64_t dup;     /* test frames seen twice */
	_Atomic uint64_t calls;
	_Atomic uint64_t wrong_ctx;
	struct lcx_context *ctx;
	uint8_t seen[SEQ_MAX];
};

static struct rxstat rs[2];

static void
rxstat_reset(struct rxstat *r, struct lcx_context *ctx)
{
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
}

static void
on_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct rxstat *r = arg;

	(void)port;
	(void)queue;
	if (lcx_context_current() != r->ctx)
		atomic_fetch_add(&r->wrong_ctx, 1);
	for (uint16_t i = 0; i < n; i++) {
		const struct test_payload *pl = test_frame(pkts[i], be->rx_dst);

		if (pl != NULL) {
			uint32_t s = pl->seq % SEQ_MAX;

			if (r->seen[s])
				atomic_fetch_add(&r->dup, 1);
			r->seen[s] = 1;
			atomic_fetch_add_explicit(&r->test, 1, memory_order_relaxed);
		}
	}
	atomic_fetch_add_explicit(&r->total, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->calls, 1, memory_order_relaxed);
	rte_pktmbuf_free_bulk(pkts, n);
}

static bool
wait_count(_Atomic uint64_t *v, uint64_t want, uint64_t timeout_ms)
{
	uint64_t deadline = now_ns() + timeout_ms * MS;

	while (atomic_load(v) < want && now_ns() < deadline)
		sleep_ns(200000);
	return atomic_load(v) >= want;
}

/* --- contexts and ports, released by the teardown if a test fails --- */

#define LIVE_MAX 4
static struct lcx_port *live_ports[LIVE_MAX];
static struct lcx_context *live_ctxs[LIVE_MAX];

static void
live_add(void **tab, void *p)
{
	for (int i = 0; i < LIVE_MAX; i++) {
		if (tab[i] == NULL) {
			tab[i] = p;
			return;
		}
	}
}

static bool
live_del(void **tab, void *p)
{
	for (int i = 0; i < LIVE_MAX; i++) {
		if (tab[i] == p && p != NULL) {
			tab[i] = NULL;
			return true;
		}
	}
	return false;
}

static void
port_done(struct lcx_port *port)
{
	live_del((void **)live_ports, port);
	lcx_port_destroy(port);
	/*
	 * net_memif (DPDK 22.11) can crash in its interrupt thread when a device
	 * is removed and another probed while the control channel of the first is
	 * still being torn down: give that thread a moment.
	 */
	if (port != NULL && strcmp(be->name, "memif") == 0)
		sleep_ns(50 * MS);
}

static void
ctx_done(struct lcx_context *ctx)
{
	live_del((void **)live_ctxs, ctx);
	lcx_context_release(ctx);
}

static int
teardown(void **state)
{
	(void)state;
	/* Ports first: their queues are attached to the contexts. */
	for (int i = 0; i < LIVE_MAX; i++)
		if (live_ports[i] != NULL)
			port_done(live_ports[i]);
	for (int i = 0; i < LIVE_MAX; i++)
		if (live_ctxs[i] != NULL)
			ctx_done(live_ctxs[i]);
	return 0;
}

static struct lcx_context *
ctx_make_idle(const char *name, uint64_t throttle, bool on_worker, uint64_t idle_park_max)
{
	struct lcx_context *ctx = NULL;
	struct lcx_context_conf c = {
		.name = name, .throttle_ns = throttle, .cpu = -1, .socket_id = -1,
		.launch = LCX_LAUNCH_THREAD, .idle_park_max_ns = idle_park_max,
	};

	if (on_worker && worker_lcore >= 0) {
		c.launch = LCX_LAUNCH_LCORE;
		c.lcore_id = (unsigned int)worker_lcore;
	}
	assert_int_equal(lcx_context_acquire(&c, &ctx), 0);
	live_add((void **)live_ctxs, ctx);
	return ctx;
}

static struct lcx_context *
ctx_make(const char *name, uint64_t throttle, bool on_worker)
{
	return ctx_make_idle(name, throttle, on_worker, 0);
}

static struct lcx_port *
port_make(bool mq, uint16_t nb_mbufs_override)
{
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = {
		.driver = be->driver,
		.devargs = mq ? be->devargs_mq : be->devargs,
		.nb_rxq = mq ? 2 : 1,
		.nb_txq = be->nb_txq,
		.nb_mbufs = nb_mbufs_override,
	};
	int ret = lcx_port_create(&c, &port);

	if (ret != 0)
		fprintf(stderr, "port %s: %s\n", c.devargs, strerror(-ret));
	assert_int_equal(ret, 0);
	live_add((void **)live_ports, port);
	return port;
}

/*
 * memif and af_packet: wait until the link is up (memif: the peer connected),
 * as lcx_port_link_check() reads it (a socket port is always up).
 */
static void
wait_link(struct lcx_port *port)
{
	uint64_t deadline = now_ns() + 5000 * MS;

	do {
		if (lcx_port_link_check(port) == 1)
			return;
		sleep_ns(10 * MS);
	} while (now_ns() < deadline);
	fail_msg("%s: link still down after 5 s", lcx_port_name(port));
}

static bool
pool_full(struct lcx_port *port)
{
	struct rte_mempool *mp = lcx_port_pool(port);
	uint64_t deadline = now_ns() + 1000 * MS;

	/* Frames the far side still echoes may land a little later. */
	while (rte_mempool_avail_count(mp) != mp->size && now_ns() < deadline)
		sleep_ns(MS);
	if (rte_mempool_avail_count(mp) != mp->size)
		fprintf(stderr, "pool %s: %u of %u mbufs back\n", mp->name,
			rte_mempool_avail_count(mp), mp->size);
	return rte_mempool_avail_count(mp) == mp->size;
}

/* --- the contract --- */

static void
t_lifecycle(void **state)
{
	(void)state;
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make("lc-rx", MS, true);
	uint8_t mac[6];

	assert_string_equal(lcx_port_driver(port), be->driver);
	assert_non_null(lcx_port_name(port));
	assert_non_null(lcx_port_pool(port));
	assert_int_equal(lcx_port_nb_rxq(port), 1);
	assert_int_equal(lcx_port_nb_txq(port), be->nb_txq);
	if (strcmp(be->driver, "dpdk") == 0) {
		assert_true(lcx_port_ethdev_id(port) >= 0);
		assert_int_equal(lcx_port_mac(port, mac), 0);
	} else {
		assert_int_equal(lcx_port_ethdev_id(port), -ENOTSUP);
		assert_int_equal(lcx_port_mac(port, mac), -ENOTSUP);
	}
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	if (lcx_port_ethdev_id(port) >= 0)
		printf("# %s: rte_eth_rx_queue_count() after start = %d\n", be->name,
		       rte_eth_rx_queue_count((uint16_t)lcx_port_ethdev_id(port), 0));
	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), -EBUSY);
	/* The ring budget of the context sees the queue's ring. */
	printf("# %s: rx poller burst %u, ring_size %u, fill %s\n", be->name,
	       port->rxq[0].poller.burst, port->rxq[0].poller.ring_size,
	       port->rxq[0].poller.ops->fill != NULL ? "read" : "none");
	assert_int_equal(port->rxq[0].poller.burst, 32);
	assert_true(port->rxq[0].poller.ring_size >= 32);
	assert_int_equal(lcx_port_stop(port), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	assert_int_equal(lcx_port_rxq_detach(port, 0), 0);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(atomic_load(&rs[0].wrong_ctx), 0);
	/* The program's own stop and start are no link loss, and need no restart. */
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_link_check(port), 1);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.link_downs, 0);
	assert_int_equal(st.restarts, 0);
	port_done(port); /* started and attached: destroy stops and detaches */
	/* The device was closed and removed: the same devargs work again. */
	port = port_make(false, 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	port_done(port);
	ctx_done(ctx);
}

static void
t_exact_count(void **state)
{
	(void)state;
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make_idle("ec-rx", MS, true, MS);
	struct lcx_port_stats st;
	const unsigned int n = 2000;

	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	if (!be->exact) {
		/* An endless source: the handler gets every burst, counters agree. */
		assert_true(wait_count(&rs[0].total, 100000, 3000));
		assert_int_equal(lcx_port_stop(port), 0);
		assert_int_equal(lcx_port_stats(port, &st), 0);
		assert_int_equal(st.rx_packets, atomic_load(&rs[0].total));
		assert_true(be->no_bytes ? st.rx_bytes == 0 : st.rx_bytes >= st.rx_packets * 60);
		port_done(port);
		ctx_done(ctx);
		return;
	}
	/* In steps, as a paced sender would: the rings are 1024 entries. */
	for (unsigned int i = 0; i < n; i += 100) {
		assert_int_equal(be->inject(port, 0, 100, i), 0);
		sleep_ns(MS);
	}
	assert_true(wait_count(&rs[0].test, n, 3000));
	sleep_ns(50 * MS); /* nothing more comes */
	assert_int_equal(atomic_load(&rs[0].test), n);
	assert_int_equal(atomic_load(&rs[0].dup), 0);
	assert_int_equal(atomic_load(&rs[0].wrong_ctx), 0);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, atomic_load(&rs[0].total));
	assert_int_equal(st.rx_missed, 0);
	assert_int_equal(st.rx_nombuf, 0);
	assert_int_equal(st.rx_errors, 0);
	port_done(port);
	ctx_done(ctx);
}

/*
 * Traffic that stops abruptly is drained within one throttle: frames flow
 * for a while, a last burst comes, nothing follows; one throttle and a margin
 * after the last frame was sent, every frame has been received.
 */
static void
t_drain_within_throttle(void **state)
{
	(void)state;
	const uint64_t throttle = 10 * MS, margin = 15 * MS;
	const unsigned int flow = 30, chunk = 10, last = 100;

	if (!be->exact)
		skip();
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make("dr-rx", throttle, true);
	struct lcx_context_stats cs0, cs1;
	uint32_t seq = 0;

	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	assert_int_equal(lcx_context_stats(ctx, &cs0), 0);
	for (int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < flow; i++) {
			assert_int_equal(be->inject(port, 0, chunk, seq), 0);
			seq += chunk;
			sleep_ns(2 * MS);
		}
		assert_int_equal(be->inject(port, 0, last, seq), 0);
		seq += last;
		uint64_t t0 = now_ns();

		sleep_ns(throttle + margin);
		uint64_t got = atomic_load(&rs[0].test);

		if (got != seq)
			fail_msg("round %d: %lu of %u frames received %.1f ms after the last was "
				 "sent (throttle %.0f ms)", round, (unsigned long)got, seq,
				 (double)(now_ns() - t0) / 1e6, (double)throttle / 1e6);
	}
	assert_int_equal(lcx_context_stats(ctx, &cs1), 0);
	assert_true(cs1.parks > cs0.parks); /* it was throttled, not spinning */
	assert_int_equal(atomic_load(&rs[0].dup), 0);
	port_done(port);
	ctx_done(ctx);
}

/*
 * Traffic that starts after a long idle spell, on a context without idle
 * back-off (idle_park_max_ns = throttle): received within one throttle.
 */
static void
t_start_after_idle(void **state)
{
	(void)state;
	const uint64_t throttle = 10 * MS, margin = 15 * MS;
	const unsigned int n = 200;

	if (!be->exact)
		skip();
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make_idle("si-rx", throttle, true, throttle);

	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	for (int round = 0; round < 2; round++) {
		uint64_t before = atomic_load(&rs[0].test);

		sleep_ns(12 * throttle); /* idle: the rate estimate decays to nothing */
		assert_int_equal(be->inject(port, 0, n, 10000u * (uint32_t)(round + 1)), 0);
		uint64_t t0 = now_ns();

		sleep_ns(throttle + margin);
		uint64_t got = atomic_load(&rs[0].test) - before;

		if (got != n)
			fail_msg("round %d: %lu of %u frames received %.1f ms after the last was "
				 "sent (throttle %.0f ms)", round, (unsigned long)got, n,
				 (double)(now_ns() - t0) / 1e6, (double)throttle / 1e6);
	}
	port_done(port);
	ctx_done(ctx);
}

/* What a handler buffers leaves at the end of the iteration, counted. */
struct tx_req {
	struct lcx_port *port;
	unsigned int n;
	uint32_t seq0;
	uint64_t tx_before_flush; /* tx_packets seen right after tx_buffer */
	int ret;
};

static int
tx_buffer_fn(struct lcx_context *ctx, void *arg)
{
	struct tx_req *r = arg;
	struct rte_mbuf *pkts[64];
	struct lcx_port_stats st;

	(void)ctx;
	for (unsigned int i = 0; i < r->n; i++) {
		pkts[i] = build_frame(lcx_port_pool(r->port), be->tx_src, be->tx_dst, be->tx_sport,
				      be->tx_dport, &be->tx_dmac, r->seq0 + i);
		if (pkts[i] == NULL)
			return -ENOMEM;
	}
	if (lcx_port_tx_buffer(r->port, 0, pkts, (uint16_t)r->n) != r->n)
		return -EIO;
	lcx_port_stats(r->port, &st);
	r->tx_before_flush = st.tx_packets;
	return 0;
}

static void
t_tx_flush(void **state)
{
	(void)state;
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make("tx-ctx", MS, true);
	struct lcx_port_stats st;
	struct tx_req req = { .port = port, .n = 20, .seq0 = 500 };
	long far0 = be->far_received != NULL ? be->far_received() : -1;

	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	assert_int_equal(lcx_port_stats_reset(port), 0);
	assert_int_equal(lcx_context_enter(ctx, tx_buffer_fn, &req), 0);
	assert_int_equal(req.tx_before_flush, 0); /* fewer than a burst: held */
	uint64_t deadline = now_ns() + 1000 * MS;

	do {
		assert_int_equal(lcx_port_stats(port, &st), 0);
		/* Each counter is read on its own: bytes may trail packets briefly. */
	} while ((st.tx_packets < req.n ||
		  (!be->no_bytes && st.tx_bytes < (uint64_t)req.n * (42 + PAYLOAD))) &&
		 now_ns() < deadline);
	assert_int_equal(st.tx_packets, req.n);
	assert_int_equal(st.tx_dropped, 0);
	assert_int_equal(st.tx_errors, 0);
	assert_true(be->no_bytes ? st.tx_bytes == 0 : st.tx_bytes >= (uint64_t)req.n * (42 + PAYLOAD));
	if (be->tx_loops) {
		assert_true(wait_count(&rs[0].test, req.n, 2000));
		assert_int_equal(atomic_load(&rs[0].test), req.n);
	}
	if (be->far_received != NULL) {
		deadline = now_ns() + 2000 * MS;
		while (be->far_received() - far0 < (long)req.n && now_ns() < deadline)
			sleep_ns(MS);
		assert_int_equal(be->far_received() - far0, req.n);
	}
	port_done(port);
	ctx_done(ctx);
}

/* After stop and detach, every mbuf of the port's pool is back. */
static void
t_mbuf_accounting(void **state)
{
	(void)state;
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make("mb-ctx", MS, true);
	struct rte_mempool *mp = lcx_port_pool(port);
	struct tx_req req = { .port = port, .n = 40, .seq0 = 3000 };

	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_txq_attach(port, 0, ctx), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	if (be->exact) {
		assert_int_equal(be->inject(port, 0, 300, 0), 0);
		assert_true(wait_count(&rs[0].test, 300, 3000));
	} else {
		assert_true(wait_count(&rs[0].total, 10000, 3000));
	}
	assert_int_equal(lcx_context_enter(ctx, tx_buffer_fn, &req), 0);
	if (be->tx_loops)
		assert_true(wait_count(&rs[0].test, 300 + req.n, 3000));
	sleep_ns(20 * MS);
	assert_int_equal(lcx_port_stop(port), 0);
	assert_int_equal(lcx_port_rxq_detach(port, 0), 0);
	assert_int_equal(lcx_port_txq_detach(port, 0), 0);
	assert_true(pool_full(port));
	port_done(port);
	ctx_done(ctx);
}

static void
t_stats_reset(void **state)
{
	(void)state;
	if (!be->exact)
		skip();
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make("st-ctx", MS, true);
	struct lcx_port_stats st;

	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	assert_int_equal(be->inject(port, 0, 50, 0), 0);
	assert_true(wait_count(&rs[0].test, 50, 3000));
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_true(st.rx_packets >= 50);
	assert_int_equal(lcx_port_stats_reset(port), 0);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(st.rx_bytes, 0);
	assert_int_equal(st.tx_packets, 0);
	uint64_t total0 = atomic_load(&rs[0].total);

	assert_int_equal(be->inject(port, 0, 30, 100), 0);
	assert_true(wait_count(&rs[0].test, 80, 3000));
	sleep_ns(10 * MS);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, atomic_load(&rs[0].total) - total0);
	assert_true(be->no_bytes ? st.rx_bytes == 0 : st.rx_bytes >= 30 * (42 + PAYLOAD));
	port_done(port);
	ctx_done(ctx);
}

/* Two rx queues on two contexts: each gets its own traffic, on its thread. */
static void
t_multi_queue(void **state)
{
	(void)state;
	if (!be->multiq)
		skip();
	struct lcx_port *port = port_make(true, 0);
	struct lcx_context *c0 = ctx_make("mq-0", MS, true);
	struct lcx_context *c1 = ctx_make("mq-1", MS, false);

	rxstat_reset(&rs[0], c0);
	rxstat_reset(&rs[1], c1);
	assert_int_equal(lcx_port_nb_rxq(port), 2);
	assert_int_equal(lcx_port_rxq_attach(port, 0, c0, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_rxq_attach(port, 1, c1, on_rx, &rs[1]), 0);
	assert_int_equal(lcx_port_start(port), 0);
	wait_link(port);
	if (be->exact) {
		assert_int_equal(be->inject(port, 0, 100, 0), 0);
		assert_int_equal(be->inject(port, 1, 100, 1000), 0);
		assert_true(wait_count(&rs[0].test, 100, 3000));
		assert_true(wait_count(&rs[1].test, 100, 3000));
		sleep_ns(20 * MS);
		assert_int_equal(atomic_load(&rs[0].test), 100);
		assert_int_equal(atomic_load(&rs[1].test), 100);
	} else {
		assert_true(wait_count(&rs[0].total, 1000, 3000));
		assert_true(wait_count(&rs[1].total, 1000, 3000));
	}
	assert_int_equal(atomic_load(&rs[0].wrong_ctx), 0);
	assert_int_equal(atomic_load(&rs[1].wrong_ctx), 0);
	port_done(port);
	ctx_done(c0);
	ctx_done(c1);
}

/* Bad input: a clear error, never a crash. */
static void
t_bad_input(void **state)
{
	(void)state;
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = be->driver, .devargs = be->devargs };

	c.nb_mbufs = 8; /* far below the rx rings */
	assert_int_equal(lcx_port_create(&c, &port), -ENOMEM);
	c.nb_mbufs = 0;
	c.burst = 600;
	assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
	c.burst = 0;
	c.driver = "no-such-driver";
	assert_int_equal(lcx_port_create(&c, &port), -ENODEV);
	if (strcmp(be->driver, "dpdk") == 0) {
		c.driver = "dpdk";
		c.devargs = "net_nosuchdriver0";
		assert_int_equal(lcx_port_create(&c, &port), -ENODEV);
		c.devargs = "99";
		assert_int_equal(lcx_port_create(&c, &port), -ENODEV);
		c.devargs = "";
		assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
		c.devargs = "net_af_packet9,iface=lcxp-nosuch";
		assert_int_equal(lcx_port_create(&c, &port), -ENODEV);
		/* A device that fails to start: a memif client with no server. */
		struct lcx_port *bad = NULL;

		c.devargs = "net_memif9,role=client,socket=/nonexistent-lcxport/x.sock";
		assert_int_equal(lcx_port_create(&c, &bad), 0);
		live_add((void **)live_ports, bad);
		assert_int_equal(lcx_port_start(bad), -EIO);
		port_done(bad);
		c.devargs = be->devargs;
		c.nb_rxq = 16; /* vdevs here have fewer */
		if (strcmp(be->name, "af_packet") == 0) /* qpairs=1 */
			assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
		c.nb_rxq = 0;
		/* One lcx port per ethdev. */
		struct lcx_port *a = NULL;

		assert_int_equal(lcx_port_create(&c, &a), 0);
		live_add((void **)live_ports, a);
		char id[8];

		snprintf(id, sizeof(id), "%d", lcx_port_ethdev_id(a));
		c.devargs = id;
		assert_int_equal(lcx_port_create(&c, &port), -EBUSY);
		port_done(a);
	} else {
		c.driver = "socket";
		c.devargs = "127.0.0.1:99999";
		assert_int_equal(lcx_port_create(&c, &port), -EINVAL);
		c.devargs = "198.51.100.1:5000"; /* not an address of this host */
		assert_int_equal(lcx_port_create(&c, &port), -EADDRNOTAVAIL);
		/* A port already bound by another socket port. */
		struct lcx_port *a = NULL;

		c.devargs = be->devargs;
		assert_int_equal(lcx_port_create(&c, &a), 0);
		live_add((void **)live_ports, a);
		assert_int_equal(lcx_port_create(&c, &port), -EADDRINUSE);
		port_done(a);
	}
	assert_null(port);
}

/* --- backends --- */

/* ring: tx on queue q loops back to rx q. */
static int
ring_inject(struct lcx_port *port, uint16_t q, unsigned int n, uint32_t seq0)
{
	return send_frames(port, q, n, seq0, be->rx_src, be->rx_dst, UDP_SPORT, UDP_DPORT, NULL);
}

/* memif: the peer echoes, so what the port sends comes back. */
static pid_t peer_pid = -1;
static int peer_pipe = -1;
static char memif_sock[108];

static void
on_echo(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	uint16_t sent = 0;

	(void)arg;
	/* A test peer: wait for room rather than drop (bounded, 100 ms). */
	for (int tries = 0; sent < n && tries < 100000; tries++)
		sent += lcx_port_tx_burst(port, queue, pkts + sent, (uint16_t)(n - sent));
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
}

/* The memif server: its own EAL, echoes until the parent goes away. */
static void
memif_peer(int rd, int wr)
{
	char pfx[80], vdev[200];
	char *argv[] = { "peer", "--no-huge", "-m", "256", "--no-pci", pfx, "-l", "0",
			 "--log-level=*:warning", NULL };
	struct lcx_port *port = NULL;
	struct lcx_context *ctx = NULL;
	/* No idle back-off: the echo follows the test's traffic within 1 ms. */
	struct lcx_context_conf cc = { .name = "echo", .throttle_ns = MS, .cpu = -1,
				       .socket_id = -1, .launch = LCX_LAUNCH_THREAD,
				       .idle_park_max_ns = MS };
	char b;

	alarm(60);
	snprintf(pfx, sizeof(pfx), "--file-prefix=lcxport2_%s", be->name);
	if (rte_eal_init(9, argv) < 0)
		_exit(2);
	lcx_eal_attach();
	snprintf(vdev, sizeof(vdev), "net_memif0,role=server,socket=%s", memif_sock);
	struct lcx_port_conf pc = { .driver = "dpdk", .devargs = vdev };

	if (lcx_port_create(&pc, &port) < 0 || lcx_context_acquire(&cc, &ctx) < 0 ||
	    lcx_port_rxq_attach(port, 0, ctx, on_echo, NULL) < 0 || lcx_port_start(port) < 0)
		_exit(3);
	if (write(wr, "r", 1) != 1)
		_exit(4);
	while (read(rd, &b, 1) > 0)
		;
	lcx_port_destroy(port);
	lcx_context_release(ctx);
	rte_eal_cleanup();
	_exit(0);
}

static int
memif_setup(void)
{
	int down[2], up[2];
	char b;

	snprintf(memif_sock, sizeof(memif_sock), "/tmp/lcxport-memif-%d.sock", (int)getpid());
	unlink(memif_sock);
	if (pipe(down) < 0 || pipe(up) < 0)
		return -1;
	peer_pid = fork();
	if (peer_pid < 0)
		return -1;
	if (peer_pid == 0) {
		close(down[1]);
		close(up[0]);
		memif_peer(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	peer_pipe = down[1];
	/* Ready once it has created its port (the socket listens). */
	if (read(up[0], &b, 1) != 1) {
		fprintf(stderr, "memif peer did not start\n");
		close(up[0]);
		return -1;
	}
	close(up[0]);
	snprintf(be->devargs, sizeof(be->devargs), "net_memif0,role=client,socket=%s",
		 memif_sock);
	return 0;
}

static void
memif_teardown(void)
{
	int st;

	if (peer_pipe >= 0)
		close(peer_pipe);
	peer_pipe = -1;
	if (peer_pid > 0) {
		for (int i = 0; i < 300 && waitpid(peer_pid, &st, WNOHANG) == 0; i++)
			sleep_ns(10 * MS);
		if (waitpid(peer_pid, &st, WNOHANG) == 0) {
			kill(peer_pid, SIGKILL);
			waitpid(peer_pid, &st, 0);
		}
	}
	peer_pid = -1;
	unlink(memif_sock);
}

/* af_packet: a child in the namespace sends and counts kernel UDP. */
static pid_t ns_pid = -1;
static int ns_cmd = -1, ns_rsp = -1;
static bool ns_made;

static int
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
ns_child(int rd, int wr)
{
	int nsfd = open("/var/run/netns/" NS_NAME, O_RDONLY | O_CLOEXEC);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(UDP_DPORT) };
	struct sockaddr_in dut = { .sin_family = AF_INET, .sin_port = htons(UDP_DPORT) };
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(UDP_SPORT) };
	long received = 0;
	char line[64];

	alarm(60);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		_exit(2);
	int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);

	me.sin_addr.s_addr = ip4(NET_GEN);
	src.sin_addr.s_addr = ip4(NET_GEN);
	dut.sin_addr.s_addr = ip4(NET_DUT);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&me, sizeof(me)) < 0)
		_exit(3);
	me.sin_port = htons(UDP_SPORT);
	if (bind(tx, (struct sockaddr *)&src, sizeof(src)) < 0)
		_exit(3);
	if (write(wr, "r\n", 2) != 2)
		_exit(4);
	for (;;) {
		ssize_t k = read(rd, line, sizeof(line) - 1);
		unsigned int n = 0, seq0 = 0;

		if (k <= 0)
			_exit(0);
		line[k] = '\0';
		if (sscanf(line, "send %u %u", &n, &seq0) == 2) {
			for (unsigned int i = 0; i < n; i++) {
				struct test_payload pl = { .magic = MAGIC, .seq = seq0 + i };

				if (sendto(tx, &pl, sizeof(pl), 0, (struct sockaddr *)&dut,
					   sizeof(dut)) < 0)
					_exit(5);
			}
		} else {
			struct test_payload pl;

			while (recv(rx, &pl, sizeof(pl), 0) == sizeof(pl))
				if (pl.magic == MAGIC)
					received++;
		}
		char out[32];
		int len = snprintf(out, sizeof(out), "%ld\n", received);

		if (write(wr, out, (size_t)len) != len)
			_exit(4);
	}
}

static long
ns_request(const char *cmd)
{
	char out[32];
	ssize_t k;

	if (write(ns_cmd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -1;
	k = read(ns_rsp, out, sizeof(out) - 1);
	if (k <= 0)
		return -1;
	out[k] = '\0';
	return strtol(out, NULL, 10);
}

static void
afp_teardown(void)
{
	if (ns_cmd >= 0)
		close(ns_cmd);
	ns_cmd = -1;
	if (ns_pid > 0) {
		int st;

		waitpid(ns_pid, &st, 0);
	}
	ns_pid = -1;
	if (ns_made) {
		sh("ip link del " VETH_DUT " 2>/dev/null");
		sh("ip netns del " NS_NAME " 2>/dev/null");
	}
	ns_made = false;
}

static int
afp_setup(void)
{
	int down[2], up[2];
	char buf[8];
	FILE *f;

	if (geteuid() != 0) {
		printf("skip: af_packet needs root (a veth pair and a network namespace)\n");
		return 77;
	}
	if (sh("command -v ip >/dev/null 2>&1") != 0) {
		printf("skip: af_packet needs the ip command (iproute2)\n");
		return 77;
	}
	sh("ip netns del " NS_NAME " 2>/dev/null; ip link del " VETH_DUT " 2>/dev/null");
	if (sh("ip netns add " NS_NAME) != 0)
		return -1;
	ns_made = true;
	if (sh("ip link add " VETH_DUT " type veth peer name " VETH_GEN) != 0)
		return -1;
	f = fopen("/sys/class/net/" VETH_GEN "/address", "r");
	if (f == NULL)
		return -1;
	char mac[32] = "";

	if (fgets(mac, sizeof(mac), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	mac[strcspn(mac, "\n")] = '\0';
	rte_ether_unformat_addr(mac, &be->tx_dmac);
	f = fopen("/sys/class/net/" VETH_DUT "/address", "r");
	char dmac[32] = "";

	if (f == NULL || fgets(dmac, sizeof(dmac), f) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	dmac[strcspn(dmac, "\n")] = '\0';
	/* No IPv6 chatter on the pair: counts stay exact. */
	if (sh("ip link set " VETH_GEN " netns " NS_NAME) != 0 ||
	    sh("echo 1 > /proc/sys/net/ipv6/conf/" VETH_DUT "/disable_ipv6") != 0 ||
	    sh("ip netns exec " NS_NAME " sh -c 'echo 1 > /proc/sys/net/ipv6/conf/" VETH_GEN
	       "/disable_ipv6'") != 0 ||
	    sh("ip link set " VETH_DUT " up") != 0 ||
	    sh("ip -n " NS_NAME " addr add " NET_GEN "/24 dev " VETH_GEN) != 0 ||
	    sh("ip -n " NS_NAME " link set " VETH_GEN " up") != 0 ||
	    sh("ip -n " NS_NAME " link set lo up") != 0 ||
	    sh("ip -n " NS_NAME " neigh add " NET_DUT " lladdr %s dev " VETH_GEN, dmac) != 0)
		return -1;
	if (pipe(down) < 0 || pipe(up) < 0)
		return -1;
	ns_pid = fork();
	if (ns_pid < 0)
		return -1;
	if (ns_pid == 0) {
		close(down[1]);
		close(up[0]);
		ns_child(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	ns_cmd = down[1];
	ns_rsp = up[0];
	if (read(ns_rsp, buf, 2) != 2) {
		fprintf(stderr, "namespace child did not start\n");
		return -1;
	}
	return 0;
}

static int
afp_inject(struct lcx_port *port, uint16_t q, unsigned int n, uint32_t seq0)
{
	char cmd[64];

	(void)port;
	(void)q;
	snprintf(cmd, sizeof(cmd), "send %u %u\n", n, seq0);
	return ns_request(cmd) >= 0 ? 0 : -1;
}

static long
afp_far_received(void)
{
	return ns_request("count\n");
}

/* socket: UDP from this process to the port's sockets; a receiver for its tx. */
#define SOCK_N 4
static uint16_t sock_base;
static int sock_tx = -1, sock_rx = -1;
static long sock_rx_count;

/* A base from which n ports on 127.0.0.1 are free now (0 if none found). */
static uint16_t
free_ports(uint16_t base, unsigned int n)
{
	for (int tries = 0; tries < 20; tries++, base = (uint16_t)(base + n + 7)) {
		int fds[1024];
		unsigned int ok = 0;

		for (; ok < n && ok < 1024; ok++) {
			struct sockaddr_in a = { .sin_family = AF_INET,
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
						 .sin_port = htons((uint16_t)(base + ok)) };

			fds[ok] = socket(AF_INET, SOCK_DGRAM, 0);
			if (fds[ok] < 0)
				break;
			if (bind(fds[ok], (struct sockaddr *)&a, sizeof(a)) < 0) {
				close(fds[ok]);
				break;
			}
		}
		for (unsigned int i = 0; i < ok; i++)
			close(fds[i]);
		if (ok == n)
			return base;
	}
	return 0;
}

static int
socket_setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	/* Free ports below the ephemeral range, apart for parallel runs. */
	sock_base = free_ports(5000 + (uint16_t)(getpid() % 300) * 16, SOCK_N);
	if (sock_base == 0)
		return -1;
	snprintf(be->devargs, sizeof(be->devargs), "127.0.0.1:%u-%u", sock_base,
		 sock_base + SOCK_N - 1);
	snprintf(be->devargs_mq, sizeof(be->devargs_mq), "127.0.0.1:%u-%u", sock_base,
		 sock_base + SOCK_N - 1);
	sock_tx = socket(AF_INET, SOCK_DGRAM, 0);
	sock_rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sock_tx < 0 || sock_rx < 0 || bind(sock_rx, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(sock_rx, (struct sockaddr *)&a, &len) < 0)
		return -1;
	be->tx_src = htonl(INADDR_LOOPBACK);
	be->tx_dst = htonl(INADDR_LOOPBACK);
	be->tx_sport = sock_base;
	be->tx_dport = ntohs(a.sin_port);
	return 0;
}

static void
socket_teardown(void)
{
	if (sock_tx >= 0)
		close(sock_tx);
	if (sock_rx >= 0)
		close(sock_rx);
	sock_tx = sock_rx = -1;
}

/* Datagrams to the sockets of rx queue q (socket i is on queue i % nb_rxq). */
static int
socket_inject(struct lcx_port *port, uint16_t q, unsigned int n, uint32_t seq0)
{
	uint16_t nq = lcx_port_nb_rxq(port);
	unsigned int k = 0;

	for (unsigned int i = 0; k < n; i++) {
		if (i % nq != q)
			continue;
		struct sockaddr_in to = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .sin_port = htons((uint16_t)(sock_base + i % SOCK_N)) };
		struct test_payload pl = { .magic = MAGIC, .seq = seq0 + k };

		if (sendto(sock_tx, &pl, sizeof(pl), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			return -1;
		k++;
	}
	return 0;
}

static long
socket_far_received(void)
{
	struct test_payload pl;

	while (recv(sock_rx, &pl, sizeof(pl), 0) == sizeof(pl))
		if (pl.magic == MAGIC)
			sock_rx_count++;
	return sock_rx_count;
}

/* --- socket only --- */

struct hdr_seen {
	_Atomic int n;
	uint8_t frame[128];
	uint16_t len;
	uint32_t ptype;
};

static void
on_rx_copy(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct hdr_seen *h = arg;

	(void)port;
	(void)queue;
	if (atomic_load(&h->n) == 0) {
		h->len = rte_pktmbuf_data_len(pkts[0]);
		memcpy(h->frame, rte_pktmbuf_mtod(pkts[0], void *),
		       h->len < sizeof(h->frame) ? h->len : sizeof(h->frame));
		h->ptype = pkts[0]->packet_type;
	}
	atomic_fetch_add(&h->n, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* The synthesised Ethernet / IPv4 / UDP header in front of the payload. */
static void
t_socket_headers(void **state)
{
	(void)state;
	if (strcmp(be->name, "socket") != 0)
		skip();
	static struct hdr_seen h;
	struct lcx_port *port = port_make(false, 0);
	struct lcx_context *ctx = ctx_make("sh-ctx", MS, true);
	struct sockaddr_in from;
	socklen_t len = sizeof(from);

	memset(&h, 0, sizeof(h));
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx_copy, &h), 0);
	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(socket_inject(port, 0, 1, 77), 0);
	assert_int_equal(getsockname(sock_tx, (struct sockaddr *)&from, &len), 0);
	uint64_t deadline = now_ns() + 2000 * MS;

	while (atomic_load(&h.n) == 0 && now_ns() < deadline)
		sleep_ns(MS);
	assert_int_equal(atomic_load(&h.n), 1);
	assert_int_equal(h.len, 42 + sizeof(struct test_payload));
	const struct rte_ether_hdr *eth = (const void *)h.frame;
	const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);
	const struct rte_udp_hdr *udp = (const void *)(ip + 1);
	const struct test_payload *pl = (const void *)(udp + 1);

	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(ip->version_ihl, 0x45);
	assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 28 + sizeof(*pl));
	struct rte_ipv4_hdr ipc = *ip;

	ipc.hdr_checksum = 0;
	assert_int_equal(rte_ipv4_cksum(&ipc), ip->hdr_checksum); /* valid */
	assert_int_equal(ip->src_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(ip->dst_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(udp->src_port, from.sin_port);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), sock_base);
	assert_int_equal(rte_be_to_cpu_16(udp->dgram_len), 8 + sizeof(*pl));
	assert_int_equal(pl->magic, MAGIC);
	assert_int_equal(pl->seq, 77);
	assert_int_equal(h.ptype, RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP);
	port_done(port);
	ctx_done(ctx);
}

/* A datagram larger than an mbuf takes arrives as a chain of mbufs; bad tx is counted. */
static void
t_socket_errors(void **state)
{
	(void)state;
	if (strcmp(be->name, "socket") != 0)
		skip();
	static struct hdr_seen h;
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket", .devargs = be->devargs,
				   .mbuf_data_size = RTE_PKTMBUF_HEADROOM + 256 };
	struct lcx_context *ctx = ctx_make("se-ctx", MS, true);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(sock_base) };
	char big[400] = { 0 };
	struct lcx_port_stats st;

	memset(&h, 0, sizeof(h));
	assert_int_equal(lcx_port_create(&c, &port), 0);
	live_add((void **)live_ports, port);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx_copy, &h), 0);
	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(sendto(sock_tx, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)),
			 sizeof(big));
	assert_int_equal(sendto(sock_tx, big, 200, 0, (struct sockaddr *)&to, sizeof(to)), 200);
	uint64_t deadline = now_ns() + 2000 * MS;

	while (atomic_load(&h.n) < 2 && now_ns() < deadline)
		sleep_ns(MS);
	sleep_ns(10 * MS);
	assert_int_equal(atomic_load(&h.n), 2);
	assert_int_equal(h.len, 42 + 214); /* the first segment of the 400-byte one */
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_errors, 0);
	assert_int_equal(st.rx_packets, 2);
	assert_int_equal(st.rx_bytes, 442 + 242);

	/* tx: a frame that is not UDP is freed and counted; the next one goes out. */
	struct rte_mbuf *pkts[2];

	pkts[0] = build_frame(lcx_port_pool(port), be->tx_src, be->tx_dst, be->tx_sport,
			      be->tx_dport, NULL, 1);
	pkts[1] = build_frame(lcx_port_pool(port), be->tx_src, be->tx_dst, be->tx_sport,
			      be->tx_dport, NULL, 2);
	rte_pktmbuf_mtod(pkts[0], struct rte_ether_hdr *)->ether_type =
		rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	long far0 = socket_far_received();

	assert_int_equal(lcx_port_tx_burst(port, 0, pkts, 2), 2);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_errors, 1);
	deadline = now_ns() + 1000 * MS;
	while (socket_far_received() == far0 && now_ns() < deadline)
		sleep_ns(MS);
	assert_int_equal(socket_far_received() - far0, 1);
	lcx_port_stop(port);
	assert_true(pool_full(port));
	port_done(port);
	ctx_done(ctx);
}

/*
 * Frames that reached the port and that nobody polled before the stop are
 * freed at the stop and counted in rx_missed, not lost without a word.
 * ring and socket (their inject is synchronous).
 */
static void
t_stop_counted(void **state)
{
	(void)state;
	if (strcmp(be->name, "ring") != 0 && strcmp(be->name, "socket") != 0)
		skip();
	struct lcx_port *port = port_make(false, 0);
	struct lcx_port_stats st;

	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(be->inject(port, 0, 20, 1), 0);
	sleep_ns(10 * MS);
	assert_int_equal(lcx_port_stop(port), 0);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(st.rx_missed, 20);
	assert_true(pool_full(port));
	port_done(port);
}

/* --- socket only: kernel drops --- */

/* A counter of /proc/net/snmp's "Udp:" lines (all namespaces' sockets of this one). */
static long
snmp_udp(const char *name)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char head[1024], vals[1024];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(head, sizeof(head), f) != NULL) {
		if (strncmp(head, "Udp: ", 5) != 0 || fgets(vals, sizeof(vals), f) == NULL)
			continue;
		char *sh, *sv, *h = strtok_r(head + 5, " \n", &sh), *x = strtok_r(vals + 5, " \n", &sv);

		for (; h != NULL && x != NULL;
		     h = strtok_r(NULL, " \n", &sh), x = strtok_r(NULL, " \n", &sv))
			if (strcmp(h, name) == 0)
				v = atol(x);
		break;
	}
	fclose(f);
	return v;
}

static void
on_rx_count(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	(void)queue;
	atomic_fetch_add((_Atomic int *)arg, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * Datagrams the kernel drops at a full socket buffer are rx_missed: N sent
 * into a small buffer that nobody reads, then the port starts; the sender's
 * N is the observer: received + rx_missed == N exactly. The system-wide
 * RcvbufErrors of /proc/net/snmp grew by at least rx_missed (other programs
 * may add their own).
 */
static void
t_socket_missed(void **state)
{
	(void)state;
	if (strcmp(be->name, "socket") != 0)
		skip();
	enum { N = 1000, LEN = 1000 };
	static _Atomic int got;
	char devargs[64], buf[LEN];
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket", .devargs = devargs, .rcvbuf = 32768 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(sock_base) };
	struct lcx_port_stats st;

	atomic_store(&got, 0);
	memset(buf, 0x5a, sizeof(buf));
	snprintf(devargs, sizeof(devargs), "127.0.0.1:%u", sock_base);
	struct lcx_context *ctx = ctx_make("sm-ctx", MS, true);

	assert_int_equal(lcx_port_create(&c, &port), 0);
	live_add((void **)live_ports, port);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx_count, (void *)&got), 0);
	long snmp0 = snmp_udp("RcvbufErrors");

	/* Bound but not started: nothing reads, the 64 KiB buffer overflows. */
	for (int i = 0; i < N; i++)
		assert_int_equal(sendto(sock_tx, buf, LEN, 0, (struct sockaddr *)&to, sizeof(to)),
				 LEN);
	assert_int_equal(lcx_port_start(port), 0);
	uint64_t deadline = now_ns() + 3000 * MS;

	do {
		sleep_ns(5 * MS);
		assert_int_equal(lcx_port_stats(port, &st), 0);
	} while (st.rx_packets + st.rx_missed < N && now_ns() < deadline);
	sleep_ns(20 * MS); /* and no more */
	assert_int_equal(lcx_port_stats(port, &st), 0);
	long snmp1 = snmp_udp("RcvbufErrors");

	printf("# %d sent: %" PRIu64 " received, %" PRIu64 " rx_missed, RcvbufErrors +%ld\n", N,
	       st.rx_packets, st.rx_missed, snmp1 - snmp0);
	assert_int_equal(st.rx_packets, atomic_load(&got));
	assert_true(st.rx_missed > 0);
	assert_int_equal(st.rx_packets + st.rx_missed, N);
	if (snmp0 >= 0 && snmp1 >= 0)
		assert_true((uint64_t)(snmp1 - snmp0) >= st.rx_missed);
	/* A reset starts rx_missed from 0 again. */
	assert_int_equal(lcx_port_stats_reset(port), 0);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_missed, 0);
	lcx_port_stop(port);
	assert_true(pool_full(port));
	port_done(port);
	ctx_done(ctx);
}

/* --- socket only: IPv6 --- */

#define V6_HDR (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_udp_hdr))
#define V6_N 16
#define V6_CAP 64

/* Whether lo has ::1 (/proc/net/if_inet6); the IPv6 tests skip without it. */
static bool
ipv6_lo(void)
{
	FILE *f = fopen("/proc/net/if_inet6", "r");
	char addr[40], dev[32];
	unsigned int idx, plen, scope, flags;
	bool found = false;

	if (f == NULL)
		return false;
	while (fscanf(f, "%39s %x %x %x %x %31s", addr, &idx, &plen, &scope, &flags, dev) == 6)
		if (strcmp(addr, "00000000000000000000000000000001") == 0 &&
		    strcmp(dev, "lo") == 0)
			found = true;
	fclose(f);
	return found;
}

/* Skip the test unless the backend is socket and lo has ::1. */
static void
skip_unless_socket_ipv6(void)
{
	if (strcmp(be->name, "socket") != 0)
		skip();
	if (!ipv6_lo()) {
		printf("# skip: no ::1 on lo\n");
		skip();
	}
}

/* A port free on both 127.0.0.1 / 0.0.0.0 and ::1 / :: now (0 if none found). */
static uint16_t
free_port46(uint16_t base)
{
	for (int tries = 0; tries < 50; tries++, base = (uint16_t)(base + 3)) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(base) };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(base) };
		int one = 1;
		int f4 = socket(AF_INET, SOCK_DGRAM, 0), f6 = socket(AF_INET6, SOCK_DGRAM, 0);
		bool ok = f4 >= 0 && f6 >= 0 &&
			  setsockopt(f6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0 &&
			  bind(f4, (struct sockaddr *)&a, sizeof(a)) == 0 &&
			  bind(f6, (struct sockaddr *)&a6, sizeof(a6)) == 0;

		if (f4 >= 0)
			close(f4);
		if (f6 >= 0)
			close(f6);
		if (ok)
			return base;
	}
	return 0;
}

struct frames_seen {
	_Atomic int n;
	uint8_t frame[V6_CAP][128];
	uint16_t len[V6_CAP];
	uint32_t ptype[V6_CAP];
	uint8_t l2_len[V6_CAP];
	uint16_t l3_len[V6_CAP];
};

static void
on_rx_frames(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
	     void *arg)
{
	struct frames_seen *f = arg;
	int k = atomic_load(&f->n);

	(void)port;
	(void)queue;
	for (uint16_t i = 0; i < n; i++, k++) {
		if (k >= V6_CAP)
			continue;
		f->len[k] = rte_pktmbuf_data_len(pkts[i]);
		memcpy(f->frame[k], rte_pktmbuf_mtod(pkts[i], void *),
		       f->len[k] < sizeof(f->frame[k]) ? f->len[k] : sizeof(f->frame[k]));
		f->ptype[k] = pkts[i]->packet_type;
		f->l2_len[k] = (uint8_t)pkts[i]->l2_len;
		f->l3_len[k] = (uint16_t)pkts[i]->l3_len;
	}
	atomic_store(&f->n, k);
	rte_pktmbuf_free_bulk(pkts, n);
}

static bool
wait_frames(struct frames_seen *f, int want)
{
	uint64_t deadline = now_ns() + 2000 * MS;

	while (atomic_load(&f->n) < want && now_ns() < deadline)
		sleep_ns(MS);
	sleep_ns(20 * MS); /* and no more */
	return atomic_load(&f->n) == want;
}

/* A plain AF_INET6 UDP socket on [::1]:0; its port in *port. */
static int
v6_peer(uint16_t *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct timeval tv = { .tv_sec = 2 };

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	*port = ntohs(a.sin6_port);
	return fd;
}

static void
v6_send(int fd, uint16_t dport, uint32_t seq)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT,
				   .sin6_port = htons(dport) };
	struct test_payload pl = { .magic = MAGIC, .seq = seq };

	assert_int_equal(sendto(fd, &pl, sizeof(pl), 0, (struct sockaddr *)&to, sizeof(to)),
			 sizeof(pl));
}

/* Receive on fd a test datagram with seq from [::1]:sport. */
static void
v6_recv(int fd, uint16_t sport, uint32_t seq)
{
	struct test_payload pl;
	struct sockaddr_in6 from;
	socklen_t len = sizeof(from);

	assert_int_equal(recvfrom(fd, &pl, sizeof(pl), 0, (struct sockaddr *)&from, &len),
			 sizeof(pl));
	assert_int_equal(from.sin6_family, AF_INET6);
	assert_int_equal(ntohs(from.sin6_port), sport);
	assert_memory_equal(&from.sin6_addr, &in6addr_loopback, 16);
	assert_int_equal(pl.magic, MAGIC);
	assert_int_equal(pl.seq, seq);
}

/* Check frame k of f: the synthesised header of a datagram from [::1]:sport to [::1]:dport. */
static void
check_v6_frame(const struct frames_seen *f, int k, uint16_t sport, uint16_t dport, uint32_t seq)
{
	const struct rte_ether_hdr *eth = (const void *)f->frame[k];
	const struct rte_ipv6_hdr *ip = (const void *)(eth + 1);
	const struct rte_udp_hdr *udp = (const void *)(ip + 1);
	const struct test_payload *pl = (const void *)(udp + 1);

	assert_int_equal(f->len[k], V6_HDR + sizeof(*pl));
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV6);
	assert_int_equal(rte_be_to_cpu_32(ip->vtc_flow) >> 28, 6);
	assert_int_equal(rte_be_to_cpu_16(ip->payload_len), 8 + sizeof(*pl));
	assert_int_equal(ip->proto, IPPROTO_UDP);
	assert_int_equal(ip->hop_limits, 64);
	assert_memory_equal(ip->src_addr, &in6addr_loopback, 16);
	assert_memory_equal(ip->dst_addr, &in6addr_loopback, 16);
	assert_int_equal(rte_be_to_cpu_16(udp->src_port), sport);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), dport);
	assert_int_equal(rte_be_to_cpu_16(udp->dgram_len), 8 + sizeof(*pl));
	assert_int_equal(pl->magic, MAGIC);
	assert_int_equal(pl->seq, seq);
	assert_int_equal(f->ptype[k], RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6 | RTE_PTYPE_L4_UDP);
	assert_int_equal(f->l2_len[k], RTE_ETHER_HDR_LEN);
	assert_int_equal(f->l3_len[k], sizeof(struct rte_ipv6_hdr));
}

/* An mbuf holding frame k of f with the addresses and ports swapped: the reply. */
static struct rte_mbuf *
v6_reply(struct rte_mempool *mp, const struct frames_seen *f, int k)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	assert_non_null(m);
	char *p = rte_pktmbuf_append(m, f->len[k]);

	memcpy(p, f->frame[k], f->len[k]);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t a[16];
	uint16_t port = udp->src_port;

	memcpy(a, ip->src_addr, 16);
	memcpy(ip->src_addr, ip->dst_addr, 16);
	memcpy(ip->dst_addr, a, 16);
	udp->src_port = udp->dst_port;
	udp->dst_port = port;
	return m;
}

/*
 * IPv6 round trip on [::1]: a plain AF_INET6 socket sends, the port
 * receives behind a synthesised Ethernet/IPv6/UDP header, echoes through tx,
 * the plain socket receives the replies from the bound port. An IPv4 frame
 * on this IPv6-only port is freed and counted in tx_dropped.
 */
static void
t_socket_ipv6(void **state)
{
	(void)state;
	skip_unless_socket_ipv6();
	static struct frames_seen f;
	uint16_t p6 = free_port46((uint16_t)(sock_base + SOCK_N + 100));
	char devargs[64];
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket", .devargs = devargs };
	struct lcx_port_stats st;
	uint16_t peer_port;

	assert_int_not_equal(p6, 0);
	snprintf(devargs, sizeof(devargs), "[::1]:%u", p6);
	memset(&f, 0, sizeof(f));
	struct lcx_context *ctx = ctx_make("s6-ctx", MS, true);

	assert_int_equal(lcx_port_create(&c, &port), 0);
	live_add((void **)live_ports, port);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx_frames, &f), 0);
	assert_int_equal(lcx_port_start(port), 0);
	int peer = v6_peer(&peer_port);

	for (uint32_t i = 0; i < V6_N; i++)
		v6_send(peer, p6, 100 + i);
	assert_true(wait_frames(&f, V6_N));
	for (int k = 0; k < V6_N; k++)
		check_v6_frame(&f, k, peer_port, p6, 100 + (uint32_t)k);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, V6_N);
	assert_int_equal(st.rx_bytes, V6_N * (V6_HDR + sizeof(struct test_payload)));
	assert_int_equal(st.rx_errors, 0);

	/* Echo: each reply reaches the peer from [::1]:p6. */
	struct rte_mbuf *pkts[V6_N];

	for (int k = 0; k < V6_N; k++)
		pkts[k] = v6_reply(lcx_port_pool(port), &f, k);
	assert_int_equal(lcx_port_tx_burst(port, 0, pkts, V6_N), V6_N);
	for (uint32_t i = 0; i < V6_N; i++)
		v6_recv(peer, p6, 100 + i);
	/* No IPv4 socket for an IPv4 frame: dropped, not an error. */
	pkts[0] = build_frame(lcx_port_pool(port), htonl(INADDR_LOOPBACK),
			      htonl(INADDR_LOOPBACK), p6, 9, NULL, 1);
	assert_int_equal(lcx_port_tx_burst(port, 0, pkts, 1), 1);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_dropped, 1);
	assert_int_equal(st.tx_errors, 0);
	close(peer);
	lcx_port_stop(port);
	assert_true(pool_full(port));
	port_done(port);
	ctx_done(ctx);
}

/*
 * The ring budget counts datagrams of the socket buffer at the kernel's
 * measured cost per datagram: 20 datagrams of 32 KiB (a truesize of about
 * 33 KiB each on loopback) make the queue's ring size SO_RCVBUF / ~33 KiB,
 * not the 2304-byte guess it starts from.
 */
static void
t_socket_truesize(void **state)
{
	(void)state;
	if (strcmp(be->name, "socket") != 0)
		skip();
	static _Atomic int got;
	static char buf[32768];
	char devargs[64];
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket", .devargs = devargs };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(sock_base) };
	int sndbuf = 1 << 20;

	atomic_store(&got, 0);
	snprintf(devargs, sizeof(devargs), "127.0.0.1:%u", sock_base);
	struct lcx_context *ctx = ctx_make("st-ctx", MS, true);

	assert_int_equal(lcx_port_create(&c, &port), 0);
	live_add((void **)live_ports, port);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx_count, (void *)&got), 0);
	uint32_t ring0 = port->rxq[0].poller.ring_size;
	int rcvbuf = lcx_port_rcvbuf(port);

	assert_true(rcvbuf > 20 * 40000);
	assert_int_equal(setsockopt(sock_tx, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(sendto(sock_tx, buf, sizeof(buf), 0, (struct sockaddr *)&to,
					sizeof(to)), sizeof(buf));
	assert_int_equal(lcx_port_start(port), 0);
	uint64_t deadline = now_ns() + 2000 * MS;

	while (atomic_load(&got) < 20 && now_ns() < deadline)
		sleep_ns(MS);
	assert_int_equal(atomic_load(&got), 20);
	uint32_t ring = __atomic_load_n(&port->rxq[0].poller.ring_size, __ATOMIC_RELAXED);

	printf("# socket buffer %d bytes: ring size %u before, %u after 32 KiB datagrams\n",
	       rcvbuf, ring0, ring);
	assert_int_equal(ring0, (uint32_t)rcvbuf / 2304);
	assert_true(ring <= (uint32_t)rcvbuf / 32768 && ring >= (uint32_t)rcvbuf / 40000);
	lcx_port_stop(port);
	assert_true(pool_full(port));
	port_done(port);
	ctx_done(ctx);
}

/* --- socket only: datagrams larger than an mbuf --- */

#define BIG_MAX 16

struct big_seen {
	_Atomic int n;
	int bad;                      /* frames whose lengths, bytes or checksums were wrong */
	char why[128];                /* the first fault */
	struct rte_mbuf *m[BIG_MAX];  /* kept for the echo */
};

static uint8_t big_buf[65536];

static uint8_t
big_byte(uint32_t size, uint32_t j)
{
	return (uint8_t)(j * 7u + size);
}

static void
big_fault(struct big_seen *b, const char *fmt, ...)
{
	va_list ap;

	if (b->bad++ != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->why, sizeof(b->why), fmt, ap);
	va_end(ap);
}

/* Check each frame whole: lengths, every payload byte, the checksums. */
static void
on_rx_big(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct big_seen *b = arg;

	(void)port;
	(void)queue;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		bool v6 = eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		uint32_t hdr = v6 ? V6_HDR : 42, segs = 0, sum = 0;
		const struct rte_udp_hdr *udp;
		uint32_t size;

		for (const struct rte_mbuf *s = m; s != NULL; s = s->next, segs++)
			sum += s->data_len;
		if (sum != m->pkt_len || segs != m->nb_segs)
			big_fault(b, "segments: %u of %u bytes, pkt_len %u", segs, sum, m->pkt_len);
		size = m->pkt_len - hdr;
		if (v6) {
			const struct rte_ipv6_hdr *ip = (const void *)(eth + 1);

			udp = (const void *)(ip + 1);
			if (rte_be_to_cpu_16(ip->payload_len) != 8 + size)
				big_fault(b, "ipv6 payload_len %u", rte_be_to_cpu_16(ip->payload_len));
			if (udp->dgram_cksum == 0 ||
			    rte_ipv6_udptcp_cksum_mbuf_verify(m, ip, RTE_ETHER_HDR_LEN + 40) != 0)
				big_fault(b, "udp checksum %#x of %u bytes", udp->dgram_cksum, size);
		} else {
			const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);
			struct rte_ipv4_hdr ipc = *ip;

			udp = (const void *)(ip + 1);
			ipc.hdr_checksum = 0;
			if (rte_ipv4_cksum(&ipc) != ip->hdr_checksum)
				big_fault(b, "ipv4 header checksum");
			if (rte_be_to_cpu_16(ip->total_length) != 28 + size)
				big_fault(b, "ipv4 total_length %u", rte_be_to_cpu_16(ip->total_length));
		}
		if (rte_be_to_cpu_16(udp->dgram_len) != 8 + size)
			big_fault(b, "udp length %u", rte_be_to_cpu_16(udp->dgram_len));
		const uint8_t *d = rte_pktmbuf_read(m, hdr, size, big_buf);

		for (uint32_t j = 0; d != NULL && j < size; j++)
			if (d[j] != big_byte(size, j)) {
				big_fault(b, "%u bytes: byte %u is %#x", size, j, d[j]);
				break;
			}
		int k = atomic_load(&b->n);

		if (k < BIG_MAX)
			b->m[k] = m;
		else
			rte_pktmbuf_free(m);
		atomic_store(&b->n, k + 1);
	}
}

/*
 * Datagrams of 1 to 65507 bytes (IPv4) or 65527 (IPv6, its largest without
 * jumbograms) arrive whole, chained past the first mbuf, with the right
 * lengths, counters and checksums (IPv6: a valid UDP checksum, never 0); the
 * same frames echoed through tx reach the sender whole.
 */
static void
socket_big(bool v6)
{
	static const uint32_t sizes[] = { 1, 1400, 2006, 2007, 4000, 9000, 32768, 65507, 65527 };
	uint32_t nsz = v6 ? 9 : 8, hdr = v6 ? V6_HDR : 42;
	static struct big_seen b;
	static uint8_t out[65536];
	uint16_t p = free_port46((uint16_t)(sock_base + SOCK_N + 200));
	char devargs[64];
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket", .devargs = devargs };
	struct lcx_port_stats st;
	union { struct sockaddr_in v4; struct sockaddr_in6 v6; } a = { 0 }, to = { 0 };
	socklen_t alen = v6 ? sizeof(a.v6) : sizeof(a.v4);
	uint64_t bytes = 0;
	int sndbuf = 1 << 20;

	assert_int_not_equal(p, 0);
	snprintf(devargs, sizeof(devargs), v6 ? "[::1]:%u" : "127.0.0.1:%u", p);
	memset(&b, 0, sizeof(b));
	struct lcx_context *ctx = ctx_make("sb-ctx", MS, true);

	assert_int_equal(lcx_port_create(&c, &port), 0);
	live_add((void **)live_ports, port);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx_big, &b), 0);
	assert_int_equal(lcx_port_start(port), 0);

	int peer = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { .tv_sec = 2 };

	assert_true(peer >= 0);
	if (v6) {
		a.v6.sin6_family = to.v6.sin6_family = AF_INET6;
		a.v6.sin6_addr = to.v6.sin6_addr = in6addr_loopback;
		to.v6.sin6_port = htons(p);
	} else {
		a.v4.sin_family = to.v4.sin_family = AF_INET;
		a.v4.sin_addr.s_addr = to.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		to.v4.sin_port = htons(p);
	}
	assert_int_equal(bind(peer, (struct sockaddr *)&a, alen), 0);
	assert_int_equal(getsockname(peer, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(setsockopt(peer, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	assert_int_equal(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)), 0);
	for (uint32_t i = 0; i < nsz; i++) {
		for (uint32_t j = 0; j < sizes[i]; j++)
			out[j] = big_byte(sizes[i], j);
		assert_int_equal(sendto(peer, out, sizes[i], 0, (struct sockaddr *)&to, alen),
				 sizes[i]);
		bytes += hdr + sizes[i];
		/* One at a time: the echo below goes by the order. */
		uint64_t deadline = now_ns() + 2000 * MS;

		while (atomic_load(&b.n) < (int)i + 1 && now_ns() < deadline)
			sleep_ns(MS);
	}
	sleep_ns(20 * MS);
	if (b.bad)
		printf("# %d bad frames, the first: %s\n", b.bad, b.why);
	assert_int_equal(b.bad, 0);
	assert_int_equal(atomic_load(&b.n), nsz);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, nsz);
	assert_int_equal(st.rx_bytes, bytes);
	assert_int_equal(st.rx_errors + st.rx_nombuf + st.rx_missed, 0);
	for (uint32_t i = 0; i < nsz; i++)
		assert_int_equal(b.m[i]->pkt_len, hdr + sizes[i]);

	/* Echo: swap the addresses and ports in the first segment; the peer gets each whole. */
	for (uint32_t i = 0; i < nsz; i++) {
		struct rte_mbuf *m = b.m[i];
		struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, hdr - 8);
		uint16_t sp = udp->src_port;
		uint8_t tmp[16];

		if (v6) {
			struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);

			memcpy(tmp, ip->src_addr, 16);
			memcpy(ip->src_addr, ip->dst_addr, 16);
			memcpy(ip->dst_addr, tmp, 16);
		} else {
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
			uint32_t t = ip->src_addr;

			ip->src_addr = ip->dst_addr;
			ip->dst_addr = t;
		}
		udp->src_port = udp->dst_port;
		udp->dst_port = sp;
		assert_int_equal(lcx_port_tx_burst(port, 0, &m, 1), 1);
		ssize_t got = recv(peer, out, sizeof(out), 0);

		assert_int_equal(got, sizes[i]);
		for (uint32_t j = 0; j < sizes[i]; j++)
			if (out[j] != big_byte(sizes[i], j))
				fail_msg("echo of %u bytes: byte %u", sizes[i], j);
	}
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_packets, nsz);
	assert_int_equal(st.tx_bytes, bytes);
	assert_int_equal(st.tx_errors + st.tx_dropped, 0);
	close(peer);
	lcx_port_stop(port);
	assert_true(pool_full(port));
	port_done(port);
	ctx_done(ctx);
}

static void
t_socket_big(void **state)
{
	(void)state;
	if (strcmp(be->name, "socket") != 0)
		skip();
	socket_big(false);
}

static void
t_socket_big6(void **state)
{
	(void)state;
	skip_unless_socket_ipv6();
	socket_big(true);
}

/*
 * A list mixing IPv4 and IPv6 entries, wildcards included: 0.0.0.0:A and
 * [::]:A share a port (IPV6_V6ONLY), IPV6_PKTINFO gives the destination of
 * the wildcard; an IPv6 frame on an IPv4-only port is dropped.
 */
static void
t_socket_ipv6_mixed(void **state)
{
	(void)state;
	skip_unless_socket_ipv6();
	static struct frames_seen f;
	uint16_t pa = free_port46((uint16_t)(sock_base + SOCK_N + 300));
	uint16_t pb = free_port46((uint16_t)(pa + 1));
	char devargs[128];
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket", .devargs = devargs };
	struct lcx_port_stats st;
	uint16_t peer_port;

	assert_int_not_equal(pa, 0);
	assert_int_not_equal(pb, 0);
	snprintf(devargs, sizeof(devargs), "0.0.0.0:%u,[::]:%u,127.0.0.1:%u,[::1]:%u", pa, pa,
		 pb, pb);
	memset(&f, 0, sizeof(f));
	struct lcx_context *ctx = ctx_make("sm-ctx", MS, true);

	assert_int_equal(lcx_port_create(&c, &port), 0);
	live_add((void **)live_ports, port);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx_frames, &f), 0);
	assert_int_equal(lcx_port_start(port), 0);
	int peer = v6_peer(&peer_port);

	/* IPv6 to the wildcard and to [::1], IPv4 to each IPv4 socket. */
	v6_send(peer, pa, 1);
	assert_true(wait_frames(&f, 1));
	check_v6_frame(&f, 0, peer_port, pa, 1);
	v6_send(peer, pb, 2);
	assert_true(wait_frames(&f, 2));
	check_v6_frame(&f, 1, peer_port, pb, 2);
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .sin_port = htons(i == 0 ? pa : pb) };
		struct test_payload pl = { .magic = MAGIC, .seq = 3 + (uint32_t)i };

		assert_int_equal(sendto(sock_tx, &pl, sizeof(pl), 0, (struct sockaddr *)&to,
					sizeof(to)), sizeof(pl));
		assert_true(wait_frames(&f, 3 + i));
		const struct rte_ether_hdr *eth = (const void *)f.frame[2 + i];
		const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);
		const struct rte_udp_hdr *udp = (const void *)(ip + 1);

		assert_int_equal(f.len[2 + i], 42 + sizeof(pl));
		assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
		assert_int_equal(ip->dst_addr, htonl(INADDR_LOOPBACK));
		assert_int_equal(rte_be_to_cpu_16(udp->dst_port), i == 0 ? pa : pb);
		assert_int_equal(f.ptype[2 + i],
				 RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP);
	}
	/* Replies to the IPv6 ones go out of the IPv6 sockets. */
	struct rte_mbuf *pkts[2] = { v6_reply(lcx_port_pool(port), &f, 0),
				     v6_reply(lcx_port_pool(port), &f, 1) };

	assert_int_equal(lcx_port_tx_burst(port, 0, pkts, 2), 2);
	v6_recv(peer, pa, 1);
	v6_recv(peer, pb, 2);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.rx_packets, 4);
	assert_int_equal(st.tx_dropped, 0);
	assert_int_equal(st.tx_errors, 0);
	close(peer);
	port_done(port);

	/* An IPv6 frame on the IPv4-only port of the backend: dropped. */
	memset(&f, 0, sizeof(f));
	port = port_make(false, 0);
	assert_int_equal(lcx_port_start(port), 0);
	f.len[0] = (uint16_t)(V6_HDR + sizeof(struct test_payload));
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f.frame[0];
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(8 + sizeof(struct test_payload));
	ip->proto = IPPROTO_UDP;
	memcpy(ip->src_addr, &in6addr_loopback, 16);
	memcpy(ip->dst_addr, &in6addr_loopback, 16);
	udp->src_port = htons(9);
	udp->dst_port = htons(sock_base);
	udp->dgram_len = rte_cpu_to_be_16(8 + sizeof(struct test_payload));
	pkts[0] = v6_reply(lcx_port_pool(port), &f, 0);
	assert_int_equal(lcx_port_tx_burst(port, 0, pkts, 1), 1);
	assert_int_equal(lcx_port_stats(port, &st), 0);
	assert_int_equal(st.tx_dropped, 1);
	assert_int_equal(st.tx_errors, 0);
	assert_true(pool_full(port));
	port_done(port);
	ctx_done(ctx);
}

/* Bad IPv6 devargs: -EINVAL, before any socket is bound (no IPv6 needed). */
static void
t_socket_ipv6_devargs(void **state)
{
	(void)state;
	if (strcmp(be->name, "socket") != 0)
		skip();
	static const char *const bad[] = {
		"[::1", "[zz::1]:5", "[::1]:", "[::1]5000", "::1:5000", "[::1]:0",
		"[::1]:5001-5000", "[127.0.0.1]:5000", "[fe80::1%lo]:5000", "127.0.0.1:5000,[::1",
	};
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.devargs = bad[i];
		if (lcx_port_create(&c, &port) != -EINVAL)
			fail_msg("devargs \"%s\": -EINVAL expected", bad[i]);
	}
	assert_null(port);
}

/* This process's sockets bound to 127.0.0.1:base..base+n-1 into fds; how many. */
static unsigned int
bound_fds(uint16_t base, unsigned int n, int *fds)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned int k = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dirfd(d) ||
		    getsockname(fd, (struct sockaddr *)&a, &len) < 0 || a.sin_family != AF_INET ||
		    a.sin_addr.s_addr != htonl(INADDR_LOOPBACK) || ntohs(a.sin_port) < base ||
		    ntohs(a.sin_port) >= base + n || k == n)
			continue;
		fds[k++] = fd;
	}
	closedir(d);
	return k;
}

static long
rmem_max(void)
{
	FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
	long v = -1;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * conf.rcvbuf: every socket of a socket port gets it in full (getsockopt
 * reads twice the size set), past net.core.rmem_max as root
 * (SO_RCVBUFFORCE), and lcx_port_rcvbuf() reports it; 0 keeps the default.
 * The dpdk backend ignores it.
 */
static void
t_rcvbuf(void **state)
{
	(void)state;
	long max = rmem_max();
	bool root = geteuid() == 0;
	/* 4 MiB; past rmem_max as root. */
	uint32_t sizes[] = { 0, 4u << 20, root && max > 0 && max < 1l << 28 ? 2 * (uint32_t)max : 0 };

	for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct lcx_port *port = NULL;
		struct lcx_port_conf c = { .driver = be->driver, .devargs = be->devargs,
					   .nb_txq = be->nb_txq, .rcvbuf = sizes[k] };
		int fds[SOCK_N], got, v;
		socklen_t len = sizeof(v);

		if (k > 0 && sizes[k] == 0)
			continue;
		if (strcmp(be->driver, "socket") != 0) {
			if (k == 0)
				continue;
			assert_int_equal(lcx_port_create(&c, &port), 0);
			live_add((void **)live_ports, port);
			assert_int_equal(lcx_port_rcvbuf(port), -ENOTSUP);
			port_done(port);
			return;
		}
		assert_int_equal(lcx_port_create(&c, &port), 0);
		live_add((void **)live_ports, port);
		got = lcx_port_rcvbuf(port);
		assert_true(got > 0);
		assert_int_equal(bound_fds(sock_base, SOCK_N, fds), SOCK_N);
		for (unsigned int i = 0; i < SOCK_N; i++) {
			assert_int_equal(getsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
			assert_int_equal(v, got);
		}
		if (sizes[k] != 0 && (root || max >= (long)sizes[k]))
			assert_true((uint64_t)got >= 2ull * sizes[k]);
		else if (sizes[k] != 0)
			printf("# not root, net.core.rmem_max %ld: %u bytes asked, %d granted "
			       "(not checked)\n", max, sizes[k], got);
		port_done(port);
	}
}

static uint64_t
thread_cpu_ns(pthread_t t)
{
	clockid_t cid;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &cid) != 0 || clock_gettime(cid, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * 1000 sockets on one context: idle, they cost no system call per iteration
 * (the context thread stays nearly idle); each one's datagram is received.
 */
static void
t_socket_many(void **state)
{
	(void)state;
	if (strcmp(be->name, "socket") != 0)
		skip();
	const unsigned int nsock = 1000;
	struct rlimit rl;
	char devargs[64];
	uint16_t base;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < nsock + 200) {
		rl.rlim_cur = rl.rlim_max < nsock + 200 ? rl.rlim_max : nsock + 200;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < nsock + 200)
			skip();
	}
	base = free_ports((uint16_t)(10000 + (getpid() % 20) * 1024), nsock);
	assert_true(base != 0);
	snprintf(devargs, sizeof(devargs), "127.0.0.1:%u-%u", base, base + nsock - 1);
	struct lcx_port *port = NULL;
	struct lcx_port_conf c = { .driver = "socket", .devargs = devargs };
	/* A pthread context: its CPU time is what the test reads. */
	struct lcx_context *ctx = ctx_make("many", MS, false);
	struct lcx_context_stats cs0, cs1;

	assert_int_equal(lcx_port_create(&c, &port), 0);
	live_add((void **)live_ports, port);
	rxstat_reset(&rs[0], ctx);
	assert_int_equal(lcx_port_rxq_attach(port, 0, ctx, on_rx, &rs[0]), 0);
	assert_int_equal(lcx_port_start(port), 0);
	sleep_ns(20 * MS);
	uint64_t cpu0 = thread_cpu_ns(ctx->thread);
	uint64_t t0 = now_ns();

	assert_int_equal(lcx_context_stats(ctx, &cs0), 0);
	sleep_ns(300 * MS);
	uint64_t cpu = thread_cpu_ns(ctx->thread) - cpu0, wall = now_ns() - t0;

	assert_int_equal(lcx_context_stats(ctx, &cs1), 0);
	printf("# 1000 idle sockets: context CPU %.2f%% over %.0f ms, %lu iterations, "
	       "%lu reacts\n", 100.0 * (double)cpu / (double)wall, (double)wall / 1e6,
	       (unsigned long)(cs1.iterations - cs0.iterations),
	       (unsigned long)(cs1.reacts - cs0.reacts));
	/* About one iteration per throttle, not a spin. */
	assert_true(cs1.iterations - cs0.iterations < 2 * (wall / MS) + 10);
	assert_true(cpu < wall / 10);

	/* One datagram to every socket. */
	for (unsigned int i = 0; i < nsock; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .sin_port = htons((uint16_t)(base + i)) };
		struct test_payload pl = { .magic = MAGIC, .seq = i };

		assert_int_equal(sendto(sock_tx, &pl, sizeof(pl), 0, (struct sockaddr *)&to,
					sizeof(to)), sizeof(pl));
	}
	assert_true(wait_count(&rs[0].test, nsock, 3000));
	sleep_ns(20 * MS);
	assert_int_equal(atomic_load(&rs[0].test), nsock);
	assert_int_equal(atomic_load(&rs[0].dup), 0);
	port_done(port);
	ctx_done(ctx);
}

/* --- main --- */

static struct backend backends[] = {
	{ .name = "ring", .driver = "dpdk", .nb_txq = 2, .exact = true, .tx_loops = true,
	  .multiq = true, .no_bytes = true,
	  .inject = ring_inject, .devargs = "net_ring0", .devargs_mq = "net_ring0" },
	{ .name = "null", .driver = "dpdk", .nb_txq = 2, .exact = false, .multiq = true,
	  .no_bytes = true,
	  .devargs = "net_null0", .devargs_mq = "net_null0" },
	{ .name = "memif", .driver = "dpdk", .nb_txq = 1, .exact = true, .tx_loops = true,
	  .setup = memif_setup, .teardown = memif_teardown, .inject = ring_inject },
	{ .name = "af_packet", .driver = "dpdk", .nb_txq = 1, .exact = true, .multiq = false,
	  .setup = afp_setup, .teardown = afp_teardown, .inject = afp_inject,
	  .far_received = afp_far_received,
	  .devargs = "net_af_packet0,iface=" VETH_DUT ",qpairs=1,framecnt=1024",
	  .devargs_mq = "net_af_packet0,iface=" VETH_DUT ",qpairs=2,framecnt=1024" },
	{ .name = "socket", .driver = "socket", .nb_txq = 2, .exact = true, .multiq = true,
	  .setup = socket_setup, .teardown = socket_teardown, .inject = socket_inject,
	  .far_received = socket_far_received },
};

static void
cleanup(void)
{
	if (be != NULL && be->teardown != NULL)
		be->teardown();
}

static void
on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(t_lifecycle, teardown),
		cmocka_unit_test_teardown(t_exact_count, teardown),
		cmocka_unit_test_teardown(t_drain_within_throttle, teardown),
		cmocka_unit_test_teardown(t_start_after_idle, teardown),
		cmocka_unit_test_teardown(t_tx_flush, teardown),
		cmocka_unit_test_teardown(t_mbuf_accounting, teardown),
		cmocka_unit_test_teardown(t_stats_reset, teardown),
		cmocka_unit_test_teardown(t_multi_queue, teardown),
		cmocka_unit_test_teardown(t_bad_input, teardown),
		cmocka_unit_test_teardown(t_socket_headers, teardown),
		cmocka_unit_test_teardown(t_socket_errors, teardown),
		cmocka_unit_test_teardown(t_stop_counted, teardown),
		cmocka_unit_test_teardown(t_socket_missed, teardown),
		cmocka_unit_test_teardown(t_socket_truesize, teardown),
		cmocka_unit_test_teardown(t_socket_big, teardown),
		cmocka_unit_test_teardown(t_socket_big6, teardown),
		cmocka_unit_test_teardown(t_socket_ipv6, teardown),
		cmocka_unit_test_teardown(t_socket_ipv6_mixed, teardown),
		cmocka_unit_test_teardown(t_socket_ipv6_devargs, teardown),
		cmocka_unit_test_teardown(t_rcvbuf, teardown),
		cmocka_unit_test_teardown(t_socket_many, teardown),
	};
	char pfx[80], group[64];
	char *eal[16];
	int ne = 0, ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ring|null|memif|af_packet|socket\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].name, argv[1]) == 0)
			be = &backends[i];
	if (be == NULL) {
		fprintf(stderr, "unknown backend %s\n", argv[1]);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	be->rx_src = ip4(NET_GEN);
	be->rx_dst = ip4(NET_DUT);
	be->tx_src = ip4(NET_DUT);
	be->tx_dst = ip4(NET_GEN);
	be->tx_sport = UDP_SPORT;
	be->tx_dport = UDP_DPORT;
	if (be->tx_loops) { /* what it sends is what it receives */
		be->tx_src = be->rx_src;
		be->tx_dst = be->rx_dst;
	}
	if (strcmp(be->name, "socket") == 0)
		be->rx_dst = htonl(INADDR_LOOPBACK);
	snprintf(prefix, sizeof(prefix), "lcxport_%s", be->name);

	/* Helpers first: a forked process must not inherit a live EAL. */
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (be->setup != NULL) {
		ret = be->setup();
		if (ret == 77)
			return 77;
		if (ret != 0) {
			fprintf(stderr, "%s: environment set-up failed\n", be->name);
			return 1;
		}
	}
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", prefix);
	eal[ne++] = argv[0];
	eal[ne++] = "--no-huge";
	eal[ne++] = "-m";
	eal[ne++] = "512";
	eal[ne++] = "--no-pci";
	eal[ne++] = pfx;
	eal[ne++] = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? "-l0-1" : "-l0";
	eal[ne++] = "--log-level=*:warning";
	if (strcmp(be->name, "null") == 0)
		eal[ne++] = "--vdev=net_null0"; /* a device EAL made, not lcx */
	eal[ne] = NULL;
	if (rte_eal_init(ne, eal) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed: %s\n", be->name, rte_strerror(rte_errno));
		return 1;
	}
	lcx_eal_attach();
	if (rte_lcore_count() >= 2)
		worker_lcore = (int)rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	snprintf(group, sizeof(group), "port-%s", be->name);
	ret = cmocka_run_group_tests_name(group, tests, NULL, NULL);
	/* A context left on a worker lcore would make rte_eal_cleanup() wait forever. */
	teardown(NULL);
	rte_eal_cleanup();
	return ret;
}
