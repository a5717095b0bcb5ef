/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The program metrics_test.py scrapes: a metrics server (lcx/metrics.h) on a
 * control context that this program's main thread runs, for two ports, a
 * net_ring0 whose rx queue a second context polls (what is sent on it comes
 * back) and a net_null0 that only sends, and the program's own families.
 *
 *   metrics_serve EAL-ARGS -- LISTEN
 *
 * It prints "listening ADDR" once it serves, then reads commands on stdin,
 * one a line, each answered with one line on stdout:
 *
 *   send ring N | send null N   send N frames on that port (tx queue 0, from
 *                               this thread): "sent N" (what the port took)
 *   stats                       {"ring_handled":..,"ring_rx_packets":..,
 *                                "ring_tx_packets":..,"null_tx_packets":..}
 *                               (ring_handled: what the rx handler counted)
 *   quit                        "bye", and the program ends (so does EOF)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include <lcx/lcx.h>

static struct lcx_context *ctl_ctx;
static struct lcx_context *rx_ctx;
static struct lcx_port *ring;
static struct lcx_port *null_port;
static _Atomic uint64_t handled; /* frames the ring's rx handler got */

static struct lcx_source *in_src;
static struct lcx_task in_task;
static struct lcx_waiter in_w;
static char line[256];
static size_t line_len;

static void
on_rx(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	(void)q;
	(void)arg;
	atomic_fetch_add_explicit(&handled, n, memory_order_relaxed);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* The program's own families: what its handler counted, and a label to escape. */
static int
collect(struct lcx_metrics_writer *w, void *arg)
{
	struct lcx_metrics_label note = {"note", "a \"quoted\" \\ value\non two lines"};

	(void)arg;
	if (lcx_metrics_family(w, "metrics_test_handled_packets_total", LCX_METRICS_COUNTER,
			       "Frames the test's rx handler got from the ring port.",
			       "packets") < 0 ||
	    lcx_metrics_sample_u64(w, NULL, 0,
				   atomic_load_explicit(&handled, memory_order_relaxed)) < 0)
		return -EIO;
	if (lcx_metrics_family(w, "metrics_test_info", LCX_METRICS_GAUGE,
			       "Always 1: a label value with a quote, a backslash and a newline\n"
			       "(and a help text on two lines, with a \\ too).",
			       NULL) < 0 ||
	    lcx_metrics_sample(w, &note, 1, 1.0) < 0)
		return -EIO;
	return 0;
}

/* Send n 64-byte frames on tx queue 0. @return how many the port took. */
static uint64_t
send_frames(struct lcx_port *port, uint64_t n)
{
	struct rte_mempool *mp = lcx_port_pool(port);
	uint64_t sent = 0;

	while (sent < n) {
		struct rte_mbuf *pkts[32];
		uint16_t k = (uint16_t)(n - sent < 32 ? n - sent : 32), done;

		if (rte_pktmbuf_alloc_bulk(mp, pkts, k) != 0)
			break;
		for (uint16_t i = 0; i < k; i++) {
			char *d = rte_pktmbuf_append(pkts[i], 64);

			memset(d, 0, 64);
			memset(d, 0xff, 6); /* broadcast */
			d[12] = 0x08;	    /* IPv4, as far as anyone looks */
		}
		done = lcx_port_tx_burst(port, 0, pkts, k);
		if (done < k)
			rte_pktmbuf_free_bulk(pkts + done, k - done);
		sent += done;
		if (done < k)
			usleep(1000); /* the ring is full: the rx context drains it */
	}
	return sent;
}

static void
command(const char *cmd)
{
	unsigned long long n;
	char which[16];

	if (sscanf(cmd, "send %15s %llu", which, &n) == 2) {
		struct lcx_port *p = strcmp(which, "ring") == 0	  ? ring
				     : strcmp(which, "null") == 0 ? null_port
								  : NULL;

		if (p == NULL)
			printf("error: no port %s\n", which);
		else
			printf("sent %" PRIu64 "\n", send_frames(p, n));
	} else if (strcmp(cmd, "stats") == 0) {
		struct lcx_port_stats r, z;

		lcx_port_stats(ring, &r);
		lcx_port_stats(null_port, &z);
		printf("{\"ring_handled\":%" PRIu64 ",\"ring_rx_packets\":%" PRIu64
		       ",\"ring_tx_packets\":%" PRIu64 ",\"null_tx_packets\":%" PRIu64 "}\n",
		       atomic_load(&handled), r.rx_packets, r.tx_packets, z.tx_packets);
	} else if (strcmp(cmd, "quit") == 0) {
		printf("bye\n");
		lcx_context_stop(ctl_ctx);
	} else {
		printf("error: unknown command\n");
	}
	fflush(stdout);
}

static void
stdin_task(struct lcx_task *task, void *arg)
{
	(void)task;
	(void)arg;
	for (;;) {
		char c;
		ssize_t n = read(0, &c, 1);

		if (n == 1) {
			if (c == '\n') {
				line[line_len] = '\0';
				command(line);
				line_len = 0;
			} else if (line_len < sizeof(line) - 1) {
				line[line_len++] = c;
			}
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			lcx_context_stop(ctl_ctx); /* EOF: the test went */
			return;
		}
		if (errno == EINTR)
			continue;
		if (lcx_source_poll(in_src, LCX_DIR_READ, &in_w) != 1)
			return;
	}
}

static int
die(const char *what, int err)
{
	fprintf(stderr, "metrics_serve: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int
main(int argc, char **argv)
{
	struct lcx_context_conf cc = {.name = "metrics-ctl",
				      .throttle_ns = 1000000,
				      .launch = LCX_LAUNCH_NONE,
				      .cpu = -1,
				      .socket_id = -1};
	struct lcx_context_conf rc = {.name = "metrics-rx",
				      .throttle_ns = 200000,
				      .launch = LCX_LAUNCH_THREAD,
				      .cpu = -1,
				      .socket_id = -1};
	struct lcx_port_conf ring_conf = {.devargs = "net_ring0"};
	struct lcx_port_conf null_conf = {.devargs = "net_null0"};
	struct lcx_metrics_conf mc = {.collect = collect};
	struct lcx_metrics *m = NULL;
	int n, ret;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		return die("rte_eal_init", rte_errno);
	argc -= n;
	argv += n;
	if (argc != 2) {
		fprintf(stderr, "usage: metrics_serve EAL-ARGS -- LISTEN\n");
		return 2;
	}
	mc.listen = argv[1];
	lcx_eal_attach();
	if ((ret = lcx_context_acquire(&cc, &ctl_ctx)) < 0)
		return die("control context", ret);
	if ((ret = lcx_context_acquire(&rc, &rx_ctx)) < 0)
		return die("rx context", ret);
	if ((ret = lcx_port_create(&ring_conf, &ring)) < 0)
		return die("net_ring0", ret);
	if ((ret = lcx_port_create(&null_conf, &null_port)) < 0)
		return die("net_null0", ret);
	if ((ret = lcx_port_start(ring)) < 0 || (ret = lcx_port_start(null_port)) < 0)
		return die("port start", ret);
	if ((ret = lcx_port_rxq_attach(ring, 0, rx_ctx, on_rx, NULL)) < 0)
		return die("rx attach", ret);
	/* The control context is not running yet: its set-up is done here. */
	if ((ret = lcx_metrics_create(ctl_ctx, &mc, &m)) < 0)
		return die(mc.listen, ret);
	if ((ret = lcx_metrics_port_add(m, ring, NULL)) < 0 ||
	    (ret = lcx_metrics_port_add(m, null_port, NULL)) < 0)
		return die("metrics port", ret);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	if ((ret = lcx_source_create(ctl_ctx, 0, 0, &in_src)) < 0)
		return die("stdin source", ret);
	lcx_task_init(&in_task, ctl_ctx, stdin_task, NULL);
	lcx_waiter_init(&in_w, &in_task);
	lcx_task_wake(&in_task);
	printf("listening %s\n", lcx_metrics_address(m));
	fflush(stdout);

	lcx_context_run(ctl_ctx);

	lcx_metrics_destroy(m);
	lcx_source_destroy(in_src);
	lcx_port_destroy(ring);
	lcx_port_destroy(null_port);
	lcx_context_release(rx_ctx);
	lcx_context_release(ctl_ctx);
	rte_eal_cleanup();
	return 0;
}
