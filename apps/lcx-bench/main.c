/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench: a traffic generator and measurer (issue 11).
 *
 *   lcx-bench [EAL options] -- [options] MODE
 *
 * MODE run: one trial at one load for one time. A tx context sends IPv4/UDP
 * frames paced by the pacer (pacer.c), each with the 18-byte signature
 * (sig.c) at the start of its UDP payload; an rx context reads the
 * signatures back, keeps the per-stream account (sig.c) and the latency of
 * every packet (lathist.c). After the trial the tx context stops, the rx
 * context drains for --drain, and the figures are printed (and written to
 * --json). doc/bench.md says what each figure means.
 *
 * Order (lcx-pmd's): options checked before the EAL starts; the EAL; ports,
 * pool, link up; the control context (signals, --duration, --stats-period);
 * the rx then the tx context; the run; tx stopped, drain, rx stopped; the
 * figures; everything released, the pool counted.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include <lcx/lcx.h>
#include <lcx/poller.h>
#include <lcx/pool.h>
#include <lcx/port.h>

#include "args.h"
#include "counter.h"
#include "ctlctx.h"
#include "config.h"
#include "ealargs.h"
#include "ealdev.h"
#include "lathist.h"
#include "outfile.h"
#include "pacer.h"
#include "sig.h"
#include "spec.h"

#define EXIT_USAGE 2
#define BURST_MAX 512
#define SCHEMA_VERSION 1
#define HDR_LEN (14 + 20 + 8)
#define FCS_LEN 4
#define UDP_PORT 9
#define LINK_WAIT_NS 5000000000ull
/* 198.18.0.0/15 (RFC 2544 appendix C.2.2): 198.18.0.1 -> 198.19.0.1 */
#define IP_SRC ((198u << 24) | (18u << 16) | 1u)
#define IP_DST ((198u << 24) | (19u << 16) | 1u)
#define SIZE_CYCLE_MAX 4096

static const char *prog = "lcx-bench";

/* Options. */
static struct {
	const char *mode;
	const char *rate_text;
	struct bench_rate rate;
	const char *sizes_text;
	struct bench_sizes sizes;
	uint64_t duration_ns;
	uint64_t drain_ns;
	uint64_t tmax_ns;
	uint64_t stats_ns;
	uint64_t throttle_us;
	uint64_t burst;
	uint64_t tx_port;
	uint64_t rx_port;
	bool rx_port_set;
	const char *json_path;
} opt = {
	.sizes_text = "64",
	.duration_ns = 10000000000ull,
	.drain_ns = 2000000000ull,
	.stats_ns = 1000000000ull,
	.burst = 32,
};

/* The sender: one stream (id 0). Written by the tx context only. */
struct tx_state {
	struct bench_pacer pacer;
	struct lcx_poller poller;
	struct lcx_port *port;
	struct rte_mempool *pool;
	uint8_t hdr[HDR_LEN];
	uint16_t cycle[SIZE_CYCLE_MAX]; /* frame sizes (FCS included), walked in turn */
	unsigned int ncycle, icycle;
	uint64_t rng;
	bool vary; /* sizes vary: lengths and checksum per packet */
	uint64_t seq;
	uint64_t nombuf; /* allocation failures, packets (also in the pacer's refused) */
	uint64_t tsc0;
	bool started;
};

/* The receiver. Written by the rx context only. */
struct rx_state {
	struct lcx_poller poller;
	uint16_t ethdev;
	struct bench_rx rx;
	struct bench_hist hist;
	uint64_t unsigned_frames; /* no signature (not IPv4/UDP, or not our magic) */
	uint64_t other_stream;	  /* a signature of a stream this run does not send */
	uint64_t hw_timestamps;	  /* with the PMD's rx timestamp flag (not used yet) */
	uint64_t polls;
	uint64_t last_poll;  /* tsc */
	uint64_t gap_max_ns; /* largest gap before a poll that returned packets */
	uint64_t received_pub; /* for the live line (relaxed) */
};

static struct {
	uint64_t hz;
	uint64_t tsc0;
	struct rte_mempool *pool;
	struct lcx_port *ports[RTE_MAX_ETHPORTS];
	uint16_t nb_ports;
	uint16_t tx_ethdev, rx_ethdev;
	uint64_t link_bps;
	double rate_pps;
	double mean_frame;
	struct lcx_context *txctx, *rxctx;
	struct app_ctl ctl;
	struct tx_state tx;
	struct rx_state rx;
	struct app_out out;
	bool json;
	uint64_t run_start_ns, tx_end_ns, end_ns;
	uint64_t rx_flag; /* the PMD rx timestamp flag, 0 if none registered */
	/* the live line's last figures */
	uint64_t last_t, last_intended, last_offered, last_received;
} b;

static void __attribute__((format(printf, 2, 3), noreturn))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (b.json)
		app_out_abort(&b.out);
	exit(code);
}

static uint64_t
tsc_ns(uint64_t tsc)
{
	return (uint64_t)((unsigned __int128)(tsc - b.tsc0) * 1000000000u / b.hz);
}

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: %s [EAL options] -- [options] MODE\n"
"\n"
"A traffic generator and measurer (doc/bench.md). MODE:\n"
"  run                   one trial: --rate for --duration, then --drain; the account of\n"
"                        every packet (sent, received, lost, reordered, duplicated, late)\n"
"                        and the latency of every packet received\n"
"  (calibrate, search and rfc2544 are not built yet)\n"
"\n"
"Options (VALUE after '='; durations DIGITS[.DIGITS][ns|us|ms|s|m|h], none: s):\n"
"  --rate=RATE           offered load, required: N[k|M|G]pps, N[k|M|G]bps[:l1|:l2]\n"
"                        (layer 1 by default: frame + 20 bytes), or N%% of the tx\n"
"                        port's link speed; beyond the link is refused\n"
"  --frame-size=SIZES    Ethernet frame sizes with FCS, bytes: S, A-B (uniform), imix\n"
"                        (64:7,594:4,1518:1) or S:W,S:W,... (default 64; at least %u,\n"
"                        the headers and the signature)\n"
"  --duration=DUR        trial length (default 10 s; > 0)\n"
"  --drain=DUR           time the receiver keeps reading after the last packet was\n"
"                        sent, before loss is counted (default 2 s, RFC 2544 26.)\n"
"  --tmax=DUR            a packet later than this is counted late, not received\n"
"                        (default 0: none)\n"
"  --tx-port=N           the port to send on, by index (default 0)\n"
"  --rx-port=N           the port to receive on (default: the tx port)\n"
"  --burst=N             most packets per send and per receive, 1..%u (default 32)\n"
"  --throttle=US         the tx and rx contexts wake every US microseconds (default\n"
"                        0: busy polling). A throttle makes the traffic bursty: the\n"
"                        packets owed since the last wake leave back to back\n"
"  --stats-period=DUR    the live line's period (default 1 s; 0: none)\n"
"  --json=FILE           write the figures as JSON (schema_version %d) to FILE, which\n"
"                        must not exist ('-': stdout)\n"
"  --config=FILE         options from FILE, \"key = value\" a line (doc/ingest.md)\n"
"  --print-config        print the options given in the file's grammar and exit\n"
"  --help, -h            this text\n"
"  --version             the version\n"
"\n"
"SIGINT or SIGTERM ends the trial early: sending stops, the drain runs, the figures so\n"
"far are printed. Exit status: 0 done, 1 run-time error, 2 bad command line.\n",
		prog, BENCH_SIG_MIN_FRAME_V4, BURST_MAX, SCHEMA_VERSION);
}

static const char *const app_opts[] = {
	"--rate", "--frame-size", "--duration", "--drain", "--tmax", "--tx-port", "--rx-port",
	"--burst", "--throttle", "--stats-period", "--json", NULL,
};

static bool
is_app_option(const char *arg)
{
	for (unsigned int i = 0; app_opts[i] != NULL; i++) {
		size_t n = strlen(app_opts[i]);

		if (strncmp(arg, app_opts[i], n) == 0 && (arg[n] == '=' || arg[n] == '\0'))
			return true;
	}
	return strcmp(arg, "run") == 0;
}

static void
parse_u64(const char *name, const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	int ret = app_parse_u64(val, min, max, out);

	if (ret < 0)
		die(EXIT_USAGE, "%s=%s: %s (%" PRIu64 "..%" PRIu64 ")", name, val,
		    app_parse_why(ret), min, max);
}

static void
parse_dur(const char *name, const char *val, uint64_t *out)
{
	int ret = app_parse_duration(val, out);

	if (ret < 0)
		die(EXIT_USAGE, "%s=%s: %s (a duration: 2, 1.5s, 500ms)", name, val,
		    app_parse_why(ret));
}

static void
parse_args(int argc, char **argv)
{
	char err[256];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		char name[32];
		const char *val;

		if (strncmp(a, "--", 2) != 0) {
			if (opt.mode != NULL)
				die(EXIT_USAGE, "one MODE only: '%s' after '%s'", a, opt.mode);
			if (strcmp(a, "run") != 0) {
				if (strcmp(a, "calibrate") == 0 || strcmp(a, "search") == 0 ||
				    strcmp(a, "rfc2544") == 0)
					die(EXIT_USAGE, "MODE %s is not built yet (doc/bench.md)",
					    a);
				die(EXIT_USAGE, "unknown MODE '%s' (run; --help)", a);
			}
			opt.mode = a;
			continue;
		}
		if (eq == NULL || (size_t)(eq - a) >= sizeof(name))
			die(EXIT_USAGE, "%s: unknown option or no '=VALUE' (--help)", a);
		memcpy(name, a, (size_t)(eq - a));
		name[eq - a] = '\0';
		val = eq + 1;
		if (strcmp(name, "--rate") == 0) {
			if (bench_parse_rate(val, &opt.rate, err, sizeof(err)) < 0)
				die(EXIT_USAGE, "--rate=%s: %s", val, err);
			opt.rate_text = val;
		} else if (strcmp(name, "--frame-size") == 0) {
			opt.sizes_text = val;
		} else if (strcmp(name, "--duration") == 0) {
			parse_dur(name, val, &opt.duration_ns);
			if (opt.duration_ns == 0)
				die(EXIT_USAGE, "--duration=%s: a trial needs a length > 0", val);
		} else if (strcmp(name, "--drain") == 0) {
			parse_dur(name, val, &opt.drain_ns);
		} else if (strcmp(name, "--tmax") == 0) {
			parse_dur(name, val, &opt.tmax_ns);
		} else if (strcmp(name, "--stats-period") == 0) {
			parse_dur(name, val, &opt.stats_ns);
		} else if (strcmp(name, "--tx-port") == 0) {
			parse_u64(name, val, 0, RTE_MAX_ETHPORTS - 1, &opt.tx_port);
		} else if (strcmp(name, "--rx-port") == 0) {
			parse_u64(name, val, 0, RTE_MAX_ETHPORTS - 1, &opt.rx_port);
			opt.rx_port_set = true;
		} else if (strcmp(name, "--burst") == 0) {
			parse_u64(name, val, 1, BURST_MAX, &opt.burst);
		} else if (strcmp(name, "--throttle") == 0) {
			parse_u64(name, val, 0, LCX_THROTTLE_MAX_NS / 1000, &opt.throttle_us);
		} else if (strcmp(name, "--json") == 0) {
			if (*val == '\0')
				die(EXIT_USAGE, "--json: a file name, or '-' for stdout");
			opt.json_path = val;
		} else {
			die(EXIT_USAGE, "%s: unknown option (--help)", name);
		}
	}
	if (opt.mode == NULL)
		die(EXIT_USAGE, "no MODE given (run; --help)");
	if (opt.rate_text == NULL)
		die(EXIT_USAGE, "run needs --rate (e.g. --rate=100kpps)");
	if (bench_parse_sizes(opt.sizes_text, BENCH_SIG_MIN_FRAME_V4, &opt.sizes, err,
			      sizeof(err)) < 0)
		die(EXIT_USAGE, "--frame-size=%s: %s", opt.sizes_text, err);
	if (!opt.rx_port_set)
		opt.rx_port = opt.tx_port;
	if (opt.json_path != NULL) {
		if (app_out_open(&b.out, opt.json_path, err, sizeof(err)) < 0)
			die(1, "--json: %s", err);
		b.json = true;
	}
}

/* ---- the sender ---------------------------------------------------------------------- */

static void
tx_template(struct tx_state *t, const struct rte_ether_addr *src,
	    const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t->hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(t->hdr, 0, sizeof(t->hdr));
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(IP_SRC);
	ip->dst_addr = rte_cpu_to_be_32(IP_DST);
	udp->src_port = rte_cpu_to_be_16(UDP_PORT);
	udp->dst_port = rte_cpu_to_be_16(UDP_PORT);
}

/* Set the lengths and the checksum of a frame of size bytes (FCS included). */
static void
tx_lengths(uint8_t *hdr, unsigned int size)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hdr + 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	unsigned int l2 = size - FCS_LEN;

	ip->total_length = rte_cpu_to_be_16((uint16_t)(l2 - 14));
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(l2 - 14 - 20));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The frame sizes in turn: fixed; a list by its weights, interleaved; a range at random. */
static void
tx_sizes(struct tx_state *t, const struct bench_sizes *sz)
{
	t->rng = 0x9e3779b97f4a7c15ull;
	t->ncycle = 0;
	t->vary = sz->kind != BENCH_SIZES_FIXED;
	if (sz->kind == BENCH_SIZES_FIXED) {
		t->cycle[t->ncycle++] = sz->size[0];
		tx_lengths(t->hdr, sz->size[0]);
		return;
	}
	if (sz->kind == BENCH_SIZES_LIST) {
		uint32_t left[BENCH_SIZES_MAX];
		uint64_t total = 0;

		for (unsigned int i = 0; i < sz->n; i++) {
			left[i] = sz->weight[i];
			total += sz->weight[i];
		}
		if (total > SIZE_CYCLE_MAX)
			die(EXIT_USAGE, "--frame-size: weights sum to %" PRIu64 ", at most %u",
			    total, SIZE_CYCLE_MAX);
		/* round robin over the sizes that still have weight: 64,594,1518,64,594,64,... */
		while (t->ncycle < total)
			for (unsigned int i = 0; i < sz->n; i++)
				if (left[i] > 0) {
					left[i]--;
					t->cycle[t->ncycle++] = sz->size[i];
				}
	}
}

static unsigned int
tx_next_size(struct tx_state *t)
{
	if (t->ncycle == 0) { /* range: xorshift64 */
		t->rng ^= t->rng << 13;
		t->rng ^= t->rng >> 7;
		t->rng ^= t->rng << 17;
		return opt.sizes.lo +
		       (unsigned int)(t->rng % ((uint64_t)opt.sizes.hi - opt.sizes.lo + 1));
	}
	unsigned int s = t->cycle[t->icycle];

	if (++t->icycle == t->ncycle)
		t->icycle = 0;
	return s;
}

static unsigned int
tx_poll(void *arg)
{
	struct tx_state *t = arg;
	struct rte_mbuf *pkts[BURST_MAX];
	uint64_t now = rte_rdtsc();
	unsigned int n = bench_pacer_owed(&t->pacer, now, (unsigned int)opt.burst);
	uint64_t tx_ns;
	uint16_t sent;

	if (n == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(t->pool, pkts, n) != 0) {
		APP_COUNTER_ADD(t->nombuf, n);
		bench_pacer_account(&t->pacer, now, n, 0);
		return 0;
	}
	tx_ns = tsc_ns(rte_rdtsc());
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		unsigned int size = tx_next_size(t);
		unsigned int len = size - FCS_LEN;
		struct bench_sig sig = { .stream = 0, .seq = t->seq + i, .tx_ns = tx_ns };

		if (t->vary)
			tx_lengths(t->hdr, size);
		memcpy(p, t->hdr, HDR_LEN);
		bench_sig_write(p + HDR_LEN, BENCH_SIG_LEN, &sig);
		memset(p + HDR_LEN + BENCH_SIG_LEN, 0, len - HDR_LEN - BENCH_SIG_LEN);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
	}
	sent = lcx_port_tx_burst(t->port, 0, pkts, (uint16_t)n);
	if (sent < n) {
		/* Refused: freed, still owed; the next round sends them with the same numbers. */
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		if (t->ncycle > 0)
			t->icycle = (unsigned int)((t->icycle + t->ncycle -
						    (n - sent) % t->ncycle) % t->ncycle);
	}
	bench_pacer_account(&t->pacer, now, n, sent);
	t->seq += sent;
	return sent;
}

static const struct lcx_poller_ops tx_ops = { .name = "bench-tx", .poll = tx_poll };

/* ---- the receiver -------------------------------------------------------------------- */

static void
rx_one(struct rx_state *r, struct rte_mbuf *m, uint64_t now_ns)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	struct bench_sig sig;
	unsigned int ihl;
	enum bench_rx_event ev;

	if (b.rx_flag != 0 && (m->ol_flags & b.rx_flag) != 0)
		r->hw_timestamps++;
	if (m->data_len < HDR_LEN + BENCH_SIG_LEN ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    (ip->version_ihl >> 4) != 4 || ip->next_proto_id != IPPROTO_UDP) {
		r->unsigned_frames++;
		return;
	}
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < 20 || m->data_len < 14 + ihl + 8 + BENCH_SIG_LEN ||
	    bench_sig_read(p + 14 + ihl + 8, m->data_len - 14 - ihl - 8, &sig) < 0) {
		r->unsigned_frames++;
		return;
	}
	if (sig.stream != 0) {
		r->other_stream++;
		return;
	}
	ev = bench_rx_add(&r->rx, &sig, now_ns);
	if ((ev == BENCH_RX_IN_ORDER || ev == BENCH_RX_GAP || ev == BENCH_RX_REORDERED))
		bench_hist_add(&r->hist, now_ns > sig.tx_ns ? now_ns - sig.tx_ns : 0);
}

static unsigned int
rx_poll(void *arg)
{
	struct rx_state *r = arg;
	struct rte_mbuf *pkts[BURST_MAX];
	uint16_t n = rte_eth_rx_burst(r->ethdev, 0, pkts, (uint16_t)opt.burst);
	/* After the burst: no packet of it can look older than it is. */
	uint64_t now = rte_rdtsc();
	uint64_t now_ns = tsc_ns(now);

	if (n > 0) {
		uint64_t gap = r->last_poll != 0 ? tsc_ns(now) - tsc_ns(r->last_poll) : 0;

		if (gap > r->gap_max_ns)
			r->gap_max_ns = gap;
		for (uint16_t i = 0; i < n; i++)
			rx_one(r, pkts[i], now_ns);
		rte_pktmbuf_free_bulk(pkts, n);
		APP_COUNTER_ADD(r->received_pub, n);
	}
	r->last_poll = now;
	r->polls++;
	return n;
}

static const struct lcx_poller_ops rx_ops = { .name = "bench-rx", .poll = rx_poll };

/* ---- snapshots (taken on the owning context with lcx_context_enter()) ------------------ */

struct rx_snap {
	uint64_t received, missing, late, duplicate, reordered, unsigned_frames, p50, p99, count;
};

static int
rx_snap_fn(struct lcx_context *ctx, void *arg)
{
	struct rx_snap *s = arg;
	struct rx_state *r = &b.rx;

	(void)ctx;
	s->received = r->rx.received;
	s->missing = bench_rx_missing(&r->rx);
	s->late = r->rx.late;
	s->duplicate = r->rx.duplicate;
	s->reordered = r->rx.reordered;
	s->unsigned_frames = r->unsigned_frames;
	s->count = r->hist.count;
	s->p50 = bench_hist_percentile(&r->hist, 0.5);
	s->p99 = bench_hist_percentile(&r->hist, 0.99);
	return 0;
}

static int
tx_snap_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	bench_pacer_stats(&b.tx.pacer, arg);
	return 0;
}

static int
reg_fn(struct lcx_context *ctx, void *arg)
{
	struct lcx_poller *p = arg;

	if (p == &b.tx.poller)
		bench_pacer_start(&b.tx.pacer, rte_rdtsc());
	return lcx_poller_register(ctx, p);
}

static int
unreg_fn(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	return lcx_poller_unregister(arg);
}

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static void
on_stats(struct app_ctl *c)
{
	struct bench_pacer_stats st;
	struct rx_snap rs = { 0 };
	uint64_t t = tsc_ns(rte_rdtsc());
	double dt;

	(void)c;
	if (lcx_context_enter(b.txctx, tx_snap_fn, &st) < 0 ||
	    lcx_context_enter(b.rxctx, rx_snap_fn, &rs) < 0)
		return;
	dt = (double)(t - b.last_t) / 1e9;
	if (dt <= 0)
		return;
	printf("%6.1f s  intended %.0f pps  offered %.0f pps  received %.0f pps  missing %" PRIu64
	       "  latency p50 %.1f us p99 %.1f us\n",
	       (double)(t - b.run_start_ns) / 1e9, (double)(st.intended - b.last_intended) / dt,
	       (double)(st.offered - b.last_offered) / dt,
	       (double)(rs.received - b.last_received) / dt, rs.missing, us(rs.p50), us(rs.p99));
	fflush(stdout);
	b.last_t = t;
	b.last_intended = st.intended;
	b.last_offered = st.offered;
	b.last_received = rs.received;
}

/* ---- set-up -------------------------------------------------------------------------- */

static void
command_line(int argc, char **argv, struct app_argv *eal, struct app_argv *app,
	     struct app_devs *devs)
{
	const struct app_eal_conf conf = { .prog = prog, .pci = APP_PCI_AUTO };
	bool own_prefix;

	if (argc > 0 && argv[0] != NULL) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash != NULL ? slash + 1 : argv[0];
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		}
	if (app_wants_version(argc, argv)) {
		app_print_version(stdout, prog);
		exit(0);
	}
	/* --config=FILE (apps/common/config.h); the lead re-places this hook. */
	static struct app_argv cfg;
	const struct app_config_conf cc = { .prog = prog, .opts = app_config_value_opts(app_opts),
					    .is_app_option = is_app_option };
	int r = cc.opts != NULL ? app_config_expand(argc, argv, &cc, &cfg) : -ENOMEM;
	if (r != 0)
		exit(r < 0 ? EXIT_USAGE : app_config_print(&cc, &cfg, stdout) < 0); /* --print-config */
	if (app_args_split(cfg.n, cfg.v, is_app_option, eal, app) < 0)
		die(1, "out of memory");
	parse_args(app->n, app->v);
	app_devs_parse(eal->n, eal->v, devs);
	if (app_eal_defaults(eal, devs, &conf, &own_prefix) < 0)
		die(1, "out of memory");
}

static void
ports_open(const struct app_devs *devs)
{
	unsigned int missing = app_devs_check(devs, prog);
	uint16_t id;
	uint16_t want[2] = { (uint16_t)opt.tx_port, (uint16_t)opt.rx_port };

	if (missing > 0)
		die(1, "%u device%s named on the EAL command line gave no port", missing,
		    missing == 1 ? "" : "s");
	RTE_ETH_FOREACH_DEV(id)
	b.nb_ports++;
	if (b.nb_ports == 0)
		die(1, "no port: give one with --vdev=... or -a (e.g. --vdev=net_ring0)");
	if (opt.tx_port >= b.nb_ports || opt.rx_port >= b.nb_ports)
		die(EXIT_USAGE, "--%s-port=%" PRIu64 ": there %s %u port%s (0..%u)",
		    opt.tx_port >= b.nb_ports ? "tx" : "rx",
		    opt.tx_port >= b.nb_ports ? opt.tx_port : opt.rx_port,
		    b.nb_ports == 1 ? "is" : "are", b.nb_ports, b.nb_ports == 1 ? "" : "s",
		    b.nb_ports - 1u);
	b.pool = lcx_pktmbuf_pool_create("lcxbench_pool", 8191, 250, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id(), LCX_POOL_AUTO);
	if (b.pool == NULL)
		die(1, "cannot create the mbuf pool: %s", rte_strerror(rte_errno));
	for (unsigned int k = 0; k < 2; k++) {
		uint16_t i = want[k];
		char devargs[16];
		struct lcx_port_conf conf = {
			.driver = "dpdk", .devargs = devargs, .nb_rxq = 1, .nb_txq = 1,
			.nb_rxd = 1024, .nb_txd = 1024, .burst = (uint16_t)opt.burst,
			.pool = b.pool, .promiscuous = true,
		};
		uint64_t deadline;
		int ret;

		if (b.ports[i] != NULL)
			continue;
		snprintf(devargs, sizeof(devargs), "%u", i);
		ret = lcx_port_create(&conf, &b.ports[i]);
		if (ret < 0)
			die(1, "port %u: cannot configure: %s", i, strerror(-ret));
		ret = lcx_port_start(b.ports[i]);
		if (ret < 0)
			die(1, "port %u: cannot start: %s", i, strerror(-ret));
		deadline = rte_rdtsc() + LINK_WAIT_NS / 1000000 * (b.hz / 1000);
		while (lcx_port_link_check(b.ports[i]) != 1) {
			if (rte_rdtsc() > deadline)
				die(1, "port %u: link down after %.0f s: not measuring", i,
				    (double)LINK_WAIT_NS / 1e9);
			rte_delay_us_sleep(10000);
		}
	}
	b.tx_ethdev = (uint16_t)opt.tx_port;
	b.rx_ethdev = (uint16_t)opt.rx_port;
}

static void
rate_resolve(void)
{
	struct rte_eth_link link;
	char err[256];

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(b.tx_ethdev, &link) == 0 &&
	    link.link_speed != RTE_ETH_SPEED_NUM_NONE &&
	    link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
		b.link_bps = (uint64_t)link.link_speed * 1000000ull;
	b.mean_frame = bench_sizes_mean(&opt.sizes);
	if (bench_rate_pps(&opt.rate, b.mean_frame, b.link_bps, &b.rate_pps, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "--rate=%s: %s", opt.rate_text, err);
}

static void
contexts_start(void)
{
	struct rte_ether_addr src, dst;
	struct bench_pacer_conf pc = {
		.pattern = BENCH_PACER_CONSTANT,
		.policy = BENCH_PACER_SEND_LATE,
		.rate_pps = b.rate_pps,
		.hz = b.hz,
		.duration = (uint64_t)((unsigned __int128)opt.duration_ns * b.hz / 1000000000u),
		/* "late": sent more than a throttle period + 50 us after its deadline */
		.late = (uint64_t)((unsigned __int128)(opt.throttle_us * 1000 + 50000) * b.hz /
				   1000000000u),
	};
	struct bench_rx_conf rc = { .tmax_ns = opt.tmax_ns };
	struct lcx_context_conf cc = {
		.throttle_ns = opt.throttle_us * 1000,
		.launch = LCX_LAUNCH_THREAD,
		.cpu = -1,
		.socket_id = -1,
	};
	int ret;

	if (bench_pacer_init(&b.tx.pacer, &pc) < 0)
		die(EXIT_USAGE, "--rate: %.3f pps is out of the pacer's range", b.rate_pps);
	rte_eth_macaddr_get(b.tx_ethdev, &src);
	rte_eth_macaddr_get(b.rx_ethdev, &dst);
	tx_template(&b.tx, &src, &dst);
	tx_sizes(&b.tx, &opt.sizes);
	b.tx.port = b.ports[b.tx_ethdev];
	b.tx.pool = b.pool;
	b.tx.poller = (struct lcx_poller){ .ops = &tx_ops, .arg = &b.tx,
					   .burst = (uint32_t)opt.burst };
	bench_rx_init(&b.rx.rx, &rc);
	bench_hist_init(&b.rx.hist);
	b.rx.ethdev = b.rx_ethdev;
	b.rx.poller = (struct lcx_poller){ .ops = &rx_ops, .arg = &b.rx,
					   .burst = (uint32_t)opt.burst };
	{
		int off;

		if (rte_mbuf_dyn_rx_timestamp_register(&off, &b.rx_flag) < 0)
			b.rx_flag = 0;
	}

	cc.name = "bench-rx";
	ret = lcx_context_acquire(&cc, &b.rxctx);
	if (ret < 0)
		die(1, "cannot start the rx context: %s", strerror(-ret));
	cc.name = "bench-tx";
	ret = lcx_context_acquire(&cc, &b.txctx);
	if (ret < 0)
		die(1, "cannot start the tx context: %s", strerror(-ret));
	ret = lcx_context_enter(b.rxctx, reg_fn, &b.rx.poller);
	if (ret < 0)
		die(1, "cannot register the receiver: %s", strerror(-ret));
	b.run_start_ns = tsc_ns(rte_rdtsc());
	b.last_t = b.run_start_ns;
	ret = lcx_context_enter(b.txctx, reg_fn, &b.tx.poller);
	if (ret < 0)
		die(1, "cannot register the sender: %s", strerror(-ret));
	b.tx_end_ns = tsc_ns(b.tx.pacer.t0) + opt.duration_ns;
}

static void
sleep_until_ns(uint64_t t_ns)
{
	for (;;) {
		uint64_t now = tsc_ns(rte_rdtsc());
		struct timespec ts;

		if (now >= t_ns)
			return;
		ts.tv_sec = (time_t)((t_ns - now) / 1000000000u);
		ts.tv_nsec = (long)((t_ns - now) % 1000000000u);
		nanosleep(&ts, NULL);
	}
}

/* ---- the figures ----------------------------------------------------------------------- */

static struct rte_eth_stats port_st[2]; /* tx, rx: read before the ports close */

static void
port_json(FILE *f, uint16_t id, const struct rte_eth_stats *sp)
{
	const struct rte_eth_stats s = *sp;

	fprintf(f, "{\"index\":%u,\"opackets\":%" PRIu64 ",\"ipackets\":%" PRIu64
		   ",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64 ",\"oerrors\":%" PRIu64
		   ",\"rx_nombuf\":%" PRIu64 "}",
		id, s.opackets, s.ipackets, s.imissed, s.ierrors, s.oerrors, s.rx_nombuf);
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
summary_json(FILE *f, const struct bench_pacer_stats *st, int finish_ret, bool limited,
	     uint64_t unsent, double elapsed_s)
{
	const struct bench_rx *rx = &b.rx.rx;
	const struct bench_hist *h = &b.rx.hist;

	fprintf(f, "{\"schema\":\"lcx-bench\",\"schema_version\":%d,\"mode\":\"run\",",
		SCHEMA_VERSION);
	fputs("\"stopped_by\":", f);
	json_string(f, b.ctl.stop_reason != NULL ? b.ctl.stop_reason : "duration");
	fputs(",\"config\":{\"rate\":", f);
	json_string(f, opt.rate_text);
	fprintf(f, ",\"rate_pps\":%.3f,\"frame_size\":", b.rate_pps);
	json_string(f, opt.sizes_text);
	fprintf(f, ",\"mean_frame_bytes\":%.3f,\"duration_s\":%.9f,\"drain_s\":%.9f,"
		   "\"tmax_s\":%.9f,\"burst\":%" PRIu64 ",\"throttle_us\":%" PRIu64
		   ",\"tx_port\":%" PRIu64 ",\"rx_port\":%" PRIu64 ",\"link_bps\":%" PRIu64
		   ",\"streams\":1},",
		b.mean_frame, (double)opt.duration_ns / 1e9, (double)opt.drain_ns / 1e9,
		(double)opt.tmax_ns / 1e9, opt.burst, opt.throttle_us, opt.tx_port, opt.rx_port,
		b.link_bps);
	fprintf(f, "\"elapsed_s\":%.9f,", elapsed_s);
	fprintf(f, "\"tx\":{\"intended\":%" PRIu64 ",\"offered\":%" PRIu64 ",\"refused\":%" PRIu64
		   ",\"skipped\":%" PRIu64 ",\"unsent\":%" PRIu64 ",\"nombuf\":%" PRIu64
		   ",\"late\":%" PRIu64 ",\"late_max_ns\":%" PRIu64 ",\"sends\":%" PRIu64
		   ",\"gap_min_ns\":%" PRIu64 ",\"gap_max_ns\":%" PRIu64 "},",
		st->intended, st->offered, st->refused, st->skipped, unsent, b.tx.nombuf,
		st->late, (uint64_t)((unsigned __int128)st->late_max * 1000000000u / b.hz),
		st->sends, st->gap_min == UINT64_MAX ? 0 : st->gap_min, st->gap_max);
	fprintf(f, "\"generator_limited\":%s,", limited ? "true" : "false");
	fprintf(f, "\"rx\":{\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"late\":%" PRIu64
		   ",\"duplicate\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"reorder_max\":%" PRIu64
		   ",\"too_old\":%" PRIu64 ",\"invalid\":%" PRIu64 ",\"unsigned\":%" PRIu64
		   ",\"other_stream\":%" PRIu64 ",\"hw_timestamps\":%" PRIu64 ",\"polls\":%" PRIu64
		   ",\"account_consistent\":%s},",
		rx->received, rx->lost, rx->late, rx->duplicate, rx->reordered, rx->reorder_max,
		rx->too_old, rx->invalid, b.rx.unsigned_frames, b.rx.other_stream,
		b.rx.hw_timestamps, b.rx.polls, finish_ret == 0 ? "true" : "false");
	fprintf(f, "\"loss_ratio\":%.9g,",
		st->offered > 0 ? (double)rx->lost / (double)st->offered : 0.0);
	fprintf(f, "\"latency_ns\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64 ",\"mean\":%.3f"
		   ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64
		   ",\"max\":%" PRIu64 ",\"over\":%" PRIu64 ",\"error_max_ns\":%" PRIu64
		   ",\"clock\":\"tsc at the poll\"},",
		h->count, h->count > 0 ? h->min : 0, bench_hist_mean(h),
		bench_hist_percentile(h, 0.5), bench_hist_percentile(h, 0.9),
		bench_hist_percentile(h, 0.99), bench_hist_percentile(h, 0.999), h->max, h->over,
		b.rx.gap_max_ns);
	fputs("\"ports\":{\"tx\":", f);
	port_json(f, b.tx_ethdev, &port_st[0]);
	fputs(",\"rx\":", f);
	port_json(f, b.rx_ethdev, &port_st[1]);
	fputs("},\"mbuf_pools\":", f);
	app_pools_json(f);
	fputs("}\n", f);
}

static void
summary_text(FILE *f, const struct bench_pacer_stats *st, bool limited, uint64_t unsent,
	     double elapsed_s)
{
	const struct bench_rx *rx = &b.rx.rx;
	const struct bench_hist *h = &b.rx.hist;

	fprintf(f, "%s run: %s (%.0f pps), frames %s (mean %.1f bytes), %.3f s + drain %.3f s, "
		   "stopped by %s\n",
		prog, opt.rate_text, b.rate_pps, opt.sizes_text, b.mean_frame, elapsed_s,
		(double)opt.drain_ns / 1e9,
		b.ctl.stop_reason != NULL ? b.ctl.stop_reason : "duration");
	fprintf(f, "  tx   intended %" PRIu64 "  offered %" PRIu64 "  refused %" PRIu64
		   "  skipped %" PRIu64 "  unsent %" PRIu64 "  late %" PRIu64 "\n",
		st->intended, st->offered, st->refused, st->skipped, unsent, st->late);
	fprintf(f, "  rx   received %" PRIu64 "  lost %" PRIu64 "  late %" PRIu64
		   "  duplicate %" PRIu64 "  reordered %" PRIu64 "  unsigned %" PRIu64
		   "  other stream %" PRIu64 "\n",
		rx->received, rx->lost, rx->late, rx->duplicate, rx->reordered,
		b.rx.unsigned_frames, b.rx.other_stream);
	fprintf(f, "  latency (us)  min %.3f  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  "
		   "(+ up to %.3f: the poll gap)\n",
		us(h->count > 0 ? h->min : 0), us(bench_hist_percentile(h, 0.5)),
		us(bench_hist_percentile(h, 0.99)), us(bench_hist_percentile(h, 0.999)),
		us(h->max), us(b.rx.gap_max_ns));
	if (limited)
		fprintf(f, "  GENERATOR-LIMITED: offered differs from intended by more than 0.1%% "
			   "or packets were refused: this trial measured the generator\n");
}

static int
finish(void)
{
	struct bench_pacer_stats st;
	int finish_ret;
	uint64_t unsent;
	bool limited;
	double elapsed_s;
	int status = 0;
	char err[256];

	/* A trial that ran its length: the sender finishes its schedule first. */
	if (b.ctl.stop_reason != NULL && strcmp(b.ctl.stop_reason, "duration") == 0)
		sleep_until_ns(b.tx_end_ns + opt.throttle_us * 1000 + 1000000);
	lcx_context_enter(b.txctx, unreg_fn, &b.tx.poller);
	bench_pacer_stats(&b.tx.pacer, &st);
	elapsed_s = (double)(tsc_ns(b.tx.pacer.last_now) - tsc_ns(b.tx.pacer.t0)) / 1e9;
	if (elapsed_s > (double)opt.duration_ns / 1e9)
		elapsed_s = (double)opt.duration_ns / 1e9;
	sleep_until_ns(tsc_ns(rte_rdtsc()) + opt.drain_ns);
	lcx_context_enter(b.rxctx, unreg_fn, &b.rx.poller);
	finish_ret = bench_rx_finish(&b.rx.rx, st.offered);
	unsent = st.intended - st.offered - st.skipped;
	limited = bench_pacer_generator_limited(&st);

	lcx_context_release(b.txctx);
	lcx_context_release(b.rxctx);
	app_ctl_release(&b.ctl);
	summary_text(stdout, &st, limited, unsent, elapsed_s);
	fflush(stdout);
	if (finish_ret < 0) {
		fprintf(stderr, "%s: the receiver saw sequence numbers that were never sent: the "
				"account is not to be trusted\n", prog);
		status = 1;
	}
	rte_eth_stats_get(b.tx_ethdev, &port_st[0]);
	rte_eth_stats_get(b.rx_ethdev, &port_st[1]);
	/* The ports closed (their rings give their mbufs back), then the pool counted. */
	for (uint16_t i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (b.ports[i] != NULL)
			lcx_port_destroy(b.ports[i]);
	if (b.json) {
		summary_json(b.out.f, &st, finish_ret, limited, unsent, elapsed_s);
		if (app_out_commit(&b.out, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: --json: %s\n", prog, err);
			status = 1;
		}
	}
	if (app_pools_warn(prog) != 0)
		status = 1;
	return status;
}

int
main(int argc, char **argv)
{
	struct app_argv eal = { 0 }, app = { 0 };
	struct app_devs devs;
	char **eal_argv;
	int status;
	int ret;

	command_line(argc, argv, &eal, &app, &devs);
	eal_argv = calloc((size_t)eal.n + 1, sizeof(*eal_argv));
	if (eal_argv == NULL)
		die(1, "out of memory");
	memcpy(eal_argv, eal.v, (size_t)eal.n * sizeof(*eal_argv));
	app_ctl_signals_block();
	if (rte_eal_init(eal.n, eal_argv) < 0)
		die(1, "cannot initialise the EAL: %s", rte_strerror(rte_errno));
	lcx_eal_attach();
	b.hz = rte_get_tsc_hz();
	b.tsc0 = rte_rdtsc();
	ports_open(&devs);
	rate_resolve();
	{
		const struct app_ctl_conf conf = {
			.prog = prog, .name = "bench-ctl", .duration_ns = opt.duration_ns,
			.stats_ns = opt.stats_ns, .stats_flags = LCX_TIMER_AT_LEAST,
			.on_stats = on_stats,
		};

		ret = app_ctl_create(&b.ctl, &conf);
		if (ret < 0)
			die(1, "cannot create the control context: %s", strerror(-ret));
	}
	contexts_start();
	ret = app_ctl_start(&b.ctl);
	if (ret < 0)
		die(1, "control context: %s", strerror(-ret));
	fprintf(stderr, "%s: run at %.0f pps for %.3f s on port %" PRIu64 " -> port %" PRIu64
			", then a drain of %.3f s; SIGINT or SIGTERM stops\n",
		prog, b.rate_pps, (double)opt.duration_ns / 1e9, opt.tx_port, opt.rx_port,
		(double)opt.drain_ns / 1e9);
	app_ctl_run(&b.ctl);
	status = finish();
	rte_eal_cleanup();
	app_argv_free(&eal);
	app_argv_free(&app);
	free(eal_argv);
	return status;
}
