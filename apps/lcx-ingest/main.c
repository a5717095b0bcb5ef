/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ingest: a UDP ingest appliance on lcx contexts that accounts for every
 * packet. Usage: lcx-ingest [EAL options] -- [options]; see --help.
 *
 * Set-up order: options, EAL (with --no-huge and an embedded source added
 * when the machine has no hugepages and no input was given), rx contexts,
 * writer context, ports, control context. Shutdown order: ports stop, rx
 * contexts stop, the writer drains and closes its files, the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "app.h"
#include "ealdev.h"
#include "outfile.h"
#include "gen.h"
#include "link.h"
#include "rotate.h"

#define EAL_ARGS_MAX 128
#define DEFAULT_FLOWS 1000u
#define DEFAULT_ROUNDS 16

static struct ingest_app app;
static struct app_out json_out = { .dirfd = -1 };
/* The link type of each net_pcap rx file (the rest is Ethernet). */
static struct ingest_vdev_links vdev_links;

/* --- the receive path --- */

/* ingest_chain's reader over an mbuf chain. */
static const void *
mbuf_read(const void *frame, uint32_t off, uint32_t n, void *buf)
{
	return rte_pktmbuf_read(frame, off, n, buf);
}

/* Hand a frame that passed to the sink. */
static inline void
rx_pass(struct rte_mbuf *m, uint32_t len, uint16_t iface, uint16_t q, uint64_t tsc,
	struct ingest_sink_item *items, uint64_t *qbytes, unsigned int *k)
{
	qbytes[*k] = len;
	items[(*k)++] = (struct ingest_sink_item){.m = m, .tsc = tsc, .iface = iface, .queue = q};
}

/*
 * One rx burst: parse, count and track it in the engine, then hand what
 * passed to the sink and free the rest. With no sink every frame is freed,
 * as one bulk of the burst itself, and what passed is counted accepted.
 * Frames in one segment go through the engine's burst path; a chained frame
 * (a jumbo frame, a large datagram from the socket port) is parsed in place,
 * segment by segment (ingest_engine_chain()), and counted at its pkt_len.
 * Frames reach the engine and the sink in the order they came.
 */
static void
rx_handler(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct ingest_rxq_bind *b = arg;
	struct ingest_rx *rx = b->rx;
	struct ingest_sink *sink = rx->app->sink;
	struct ingest_sink_item items[LCX_PORT_BURST_MAX];
	struct rte_mbuf *drop[LCX_PORT_BURST_MAX];
	const uint8_t *data[LCX_PORT_BURST_MAX];
	uint32_t len[LCX_PORT_BURST_MAX];
	uint8_t verdict[LCX_PORT_BURST_MAX];
	uint64_t now = lcx_context_now(rx->ctx), tsc = sink != NULL ? rte_rdtsc() : 0;
	uint64_t acc = 0, acc_bytes = 0, qbytes[LCX_PORT_BURST_MAX];
	unsigned int k = 0, nd = 0, run = 0, i, done;

	(void)port;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		data[i] = rte_pktmbuf_mtod(m, const uint8_t *);
		len[i] = rte_pktmbuf_pkt_len(m);
		if (unlikely(m->nb_segs != 1)) {
			/* In order: the one-segment frames before it first. */
			struct ingest_chain c = {
				.first = data[i],
				.first_len = rte_pktmbuf_data_len(m),
				.len = len[i],
				.read = mbuf_read,
				.frame = m,
			};
			struct ingest_pkt pkt;

			if (i > run)
				ingest_engine_burst(&rx->eng, b->link, data + run, len + run, i - run,
						    now, verdict + run);
			verdict[i] = (uint8_t)ingest_engine_chain(&rx->eng, b->link, &c, now, &pkt);
			run = i + 1;
		}
	}
	if (n > run)
		ingest_engine_burst(&rx->eng, b->link, data + run, len + run, n - run, now,
				    verdict + run);
	if (sink == NULL) {
		for (i = 0; i < n; i++) {
			uint64_t pass = verdict[i] == INGEST_OK;

			acc += pass;
			acc_bytes += len[i] & -pass;
		}
		rte_pktmbuf_free_bulk(pkts, n);
	} else {
		for (i = 0; i < n; i++) {
			if (verdict[i] == INGEST_OK)
				rx_pass(pkts[i], len[i], b->iface, q, tsc, items, qbytes, &k);
			else
				drop[nd++] = pkts[i];
		}
		if (k > 0) {
			done = ingest_sink_enqueue(sink, items, k);
			for (i = 0; i < done; i++) {
				acc++;
				acc_bytes += qbytes[i];
			}
			if (done < k) {
				INGEST_ADD(rx->eng.acct.sink_queue_full, k - done);
				ingest_sink_count_full(sink, b->iface, k - done);
				for (i = done; i < k; i++)
					drop[nd++] = items[i].m;
			}
		}
		if (nd)
			rte_pktmbuf_free_bulk(drop, nd);
	}
	if (acc) {
		INGEST_ADD(rx->eng.acct.accepted, acc);
		INGEST_ADD(rx->eng.acct.accepted_bytes, acc_bytes);
	}
}

/* --- options --- */

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [EAL options] -- [options]\n"
"\n"
"A UDP ingest appliance on lcx contexts: receives from DPDK ports or kernel UDP\n"
"sockets, parses Ethernet / 802.1Q / QinQ / IPv4 (options) / IPv6 (extension\n"
"headers) / UDP, keeps per-flow counters and sequence tracking, and accounts\n"
"for every frame: rx_total = accepted + filtered + malformed + sink_dropped.\n"
"\n"
"Input (default: every DPDK port EAL found, e.g. from --vdev; with none and no\n"
"--listen, an embedded generated capture replayed through net_pcap, and\n"
"--no-huge -m 1024 when no hugepages are mounted):\n"
"  --listen=ADDR:PORT[-PORT][,...]  kernel UDP sockets (lcx \"socket\" port);\n"
"                       may repeat; e.g. 127.0.0.1:41000-41999 (1000 sockets);\n"
"                       IPv6 in brackets: [::1]:5000, [::]:6000-6009\n"
"  --port=NAME          a DPDK ethdev by name or id; may repeat\n"
"  --rxq=N              rx queues per DPDK port, spread by RSS (default: one per\n"
"                       rx context)\n"
"  --rxd=N              rx ring entries (default 1024)\n"
"  --burst=N            rx burst (default 32, at most %u)\n"
"  --rcvbuf=SIZE        receive buffer of each --listen socket, e.g. 8M (k, M, G;\n"
"                       at most 2G; default rxd x 2k as net.core.rmem_max allows);\n"
"                       past net.core.rmem_max it needs root (SO_RCVBUFFORCE)\n"
"  --rx-threads=N       rx contexts as threads when EAL has no worker lcore\n"
"                       (default 1); otherwise one context per worker lcore\n"
"  --throttle=DUR       react period of the rx contexts (default 1ms; 0 busy\n"
"                       polls); the park is budgeted against the rx rings\n"
"\n"
"Parsing and tracking:\n"
"  --ports=LIST         accept only these UDP destination ports, e.g.\n"
"                       5000-5999,7000 (others: filtered, reason \"port\")\n"
"  --max-flows=N        flows per rx context (default 65536; 0: no flow table);\n"
"                       evictions are counted\n"
"  --seq=OFFSET:WIDTH[:MAXJUMP] | --seq=rtp[:MAXJUMP]\n"
"                       per-flow sequence tracking: a big-endian counter of\n"
"                       WIDTH bytes (1, 2, 4, 8) at OFFSET of the UDP payload,\n"
"                       or the RTP sequence number: lost, reordered,\n"
"                       duplicate, out of range, with wrap-around\n"
"\n"
"Sink (default: count only). Written on its own context through a bounded\n"
"queue; what it cannot take is counted in sink_dropped:\n"
"  --capture=FILE       pcapng capture (must not exist: lcx never overwrites)\n"
"  --payload-dir=DIR    UDP payloads only, one file per flow\n"
"  --rotate-size=SIZE   new file past SIZE bytes (k, M, G suffixes)\n"
"  --rotate-time=DUR    new file every DUR\n"
"  --rotate-files=N     capture: keep at most N files, deleting the oldest this\n"
"                       run made (dumpcap -b files:N)\n"
"  --max-files=N        payload files made in the run (default 4096)\n"
"  --max-open=N         payload files open at once (default 256)\n"
"  --max-disk=SIZE      bytes in the files kept (default: no bound)\n"
"                       (what is over a bound: sink.over_limit)\n"
"  --snaplen=N          bytes kept per frame in the capture (default 262144,\n"
"                       as tcpdump and dumpcap: whole 64 KiB datagrams)\n"
"  --sink-queue=N       writer queue entries (default 16384)\n"
"\n"
"Operations:\n"
"  --control=PATH       unix socket, line-delimited JSON: {\"cmd\":\"help\"},\n"
"                       {\"cmd\":\"stats\"}, {\"cmd\":\"flows\",\"n\":10},\n"
"                       {\"cmd\":\"rotate\"}, {\"cmd\":\"stop\"} (doc/control.md)\n"
"  --control-mode=MODE  the socket's mode, octal (default 0600; 0660 with a group);\n"
"                       only root, our uid and the group may talk, whatever the mode\n"
"  --control-group=GROUP the socket's group, name or number: its members may talk\n"
"  --control-idle=DUR   close a control client idle this long (default 60s; 0: never)\n"
"  --stats-period=DUR   live rates (default 1s; 0: none): one line updated in\n"
"                       place on a terminal, plain lines when piped\n"
"  --json=FILE          JSON summary at the end (\"-\": stdout); the path is checked\n"
"                       at start, the file appears whole at the end (renamed\n"
"                       into place; a killed run leaves FILE as it was)\n"
"  --top=N              flows in the summary (default 10)\n"
"  --duration=DUR       run at least this long (default: until SIGINT, SIGTERM,\n"
"                       SIGQUIT; SIGHUP, SIGUSR1 (stats line now), SIGUSR2 and\n"
"                       SIGALRM do not stop it)\n"
"  --quiet              no stats line and no final table\n"
"  --help               this text\n"
"\n"
"DUR: a number with ns, us, ms, s (default), m or h. Telemetry: /lcx/ingest/stats,\n"
"/lcx/ingest/flows,N, /lcx/ingest/sink (dpdk-telemetry.py).\n"
"\n"
"Example: %s -l 0-1 --vdev=net_pcap0,rx_pcap=in.pcap -- --seq=0:4 --duration=5\n",
		prog, (unsigned int)LCX_PORT_BURST_MAX, prog);
}

enum {
	OPT_LISTEN = 256, OPT_PORT, OPT_RXQ, OPT_RXD, OPT_BURST, OPT_RCVBUF, OPT_RX_THREADS,
	OPT_THROTTLE, OPT_PORTS, OPT_MAX_FLOWS, OPT_SEQ, OPT_CAPTURE, OPT_PAYLOAD_DIR,
	OPT_ROTATE_SIZE, OPT_ROTATE_TIME, OPT_SNAPLEN, OPT_SINK_QUEUE, OPT_CONTROL,
	OPT_CONTROL_MODE, OPT_CONTROL_GROUP, OPT_CONTROL_IDLE,
	OPT_STATS_PERIOD, OPT_JSON, OPT_DURATION, OPT_TOP, OPT_QUIET, OPT_ROTATE_FILES,
	OPT_MAX_FILES, OPT_MAX_OPEN, OPT_MAX_DISK, OPT_HELP,
};

static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end != '\0' || *out > max ? -EINVAL : 0;
}

static int
bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "lcx-ingest: --%s=%s: %s (see --help)\n", opt, val ? val : "", why);
	return -EINVAL;
}

static int
parse_opts(int argc, char **argv, struct ingest_opts *o)
{
	static const struct option lopts[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"port", required_argument, NULL, OPT_PORT},
		{"rxq", required_argument, NULL, OPT_RXQ},
		{"rxd", required_argument, NULL, OPT_RXD},
		{"burst", required_argument, NULL, OPT_BURST},
		{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
		{"rx-threads", required_argument, NULL, OPT_RX_THREADS},
		{"throttle", required_argument, NULL, OPT_THROTTLE},
		{"ports", required_argument, NULL, OPT_PORTS},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"seq", required_argument, NULL, OPT_SEQ},
		{"capture", required_argument, NULL, OPT_CAPTURE},
		{"payload-dir", required_argument, NULL, OPT_PAYLOAD_DIR},
		{"rotate-size", required_argument, NULL, OPT_ROTATE_SIZE},
		{"rotate-time", required_argument, NULL, OPT_ROTATE_TIME},
		{"snaplen", required_argument, NULL, OPT_SNAPLEN},
		{"sink-queue", required_argument, NULL, OPT_SINK_QUEUE},
		{"control", required_argument, NULL, OPT_CONTROL},
		{"control-mode", required_argument, NULL, OPT_CONTROL_MODE},
		{"control-group", required_argument, NULL, OPT_CONTROL_GROUP},
		{"control-idle", required_argument, NULL, OPT_CONTROL_IDLE},
		{"stats-period", required_argument, NULL, OPT_STATS_PERIOD},
		{"json", required_argument, NULL, OPT_JSON},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"top", required_argument, NULL, OPT_TOP},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"rotate-files", required_argument, NULL, OPT_ROTATE_FILES},
		{"max-files", required_argument, NULL, OPT_MAX_FILES},
		{"max-open", required_argument, NULL, OPT_MAX_OPEN},
		{"max-disk", required_argument, NULL, OPT_MAX_DISK},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->rxd = 1024;
	o->burst = 32;
	o->rx_threads = 1;
	o->throttle_ns = 1000000;
	o->max_flows = 65536;
	o->stats_ns = 1000000000ull;
	o->top = 10;
	ingest_portset_all(&o->ports);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lopts, &idx)) != -1) {
		const char *name = c >= OPT_LISTEN && c < OPT_HELP ? lopts[c - OPT_LISTEN].name : "";

		switch (c) {
		case OPT_LISTEN:
			if (o->nb_listen == INGEST_LISTEN_MAX)
				return bad(name, optarg, "too many");
			o->listen[o->nb_listen++] = optarg;
			break;
		case OPT_PORT:
			if (o->nb_port == INGEST_PORTS_MAX)
				return bad(name, optarg, "too many");
			o->port[o->nb_port++] = optarg;
			break;
		case OPT_RXQ:
			if (parse_uint(optarg, LCX_PORT_QUEUES_MAX, &v) < 0 || v == 0)
				return bad(name, optarg, "1 to 16 queues");
			o->rxq = (uint16_t)v;
			break;
		case OPT_RXD:
			if (parse_uint(optarg, 32768, &v) < 0 || v < 64)
				return bad(name, optarg, "64 to 32768 entries");
			o->rxd = (uint16_t)v;
			break;
		case OPT_BURST:
			if (parse_uint(optarg, LCX_PORT_BURST_MAX, &v) < 0 || v == 0)
				return bad(name, optarg, "1 to 512");
			o->burst = (uint16_t)v;
			break;
		case OPT_RCVBUF:
			if (ingest_parse_size(optarg, &v) < 0 || v == 0 || v > 1ull << 31)
				return bad(name, optarg, "a size from 1 to 2G, such as 8M");
			o->rcvbuf = (uint32_t)v;
			break;
		case OPT_RX_THREADS:
			if (parse_uint(optarg, INGEST_RX_MAX, &v) < 0 || v == 0)
				return bad(name, optarg, "1 to 64");
			o->rx_threads = (unsigned int)v;
			break;
		case OPT_THROTTLE:
			if (ingest_parse_duration(optarg, &o->throttle_ns) < 0 ||
			    o->throttle_ns > LCX_THROTTLE_MAX_NS)
				return bad(name, optarg, "a duration up to 1s");
			break;
		case OPT_PORTS:
			if (ingest_portset_parse(&o->ports, optarg) < 0)
				return bad(name, optarg, "expected ports and ranges, e.g. 5000-5999,7000");
			o->ports_given = true;
			break;
		case OPT_MAX_FLOWS:
			if (parse_uint(optarg, 1u << 24, &v) < 0)
				return bad(name, optarg, "0 to 16777216");
			o->max_flows = (uint32_t)v;
			break;
		case OPT_SEQ:
			if (ingest_seq_conf_parse(&o->seq, optarg) < 0)
				return bad(name, optarg,
					   "expected OFFSET:WIDTH[:MAXJUMP] (WIDTH 1, 2, 4, 8) or rtp");
			o->seq_given = true;
			break;
		case OPT_CAPTURE:
			o->capture = optarg;
			break;
		case OPT_PAYLOAD_DIR:
			o->payload_dir = optarg;
			break;
		case OPT_ROTATE_SIZE:
			if (ingest_parse_size(optarg, &o->rotate_bytes) < 0 || o->rotate_bytes == 0)
				return bad(name, optarg, "a size such as 100M");
			break;
		case OPT_ROTATE_TIME:
			if (ingest_parse_duration(optarg, &o->rotate_ns) < 0 || o->rotate_ns == 0)
				return bad(name, optarg, "a duration such as 60s");
			break;
		case OPT_SNAPLEN:
			if (parse_uint(optarg, 262144, &v) < 0 || v < 14)
				return bad(name, optarg, "14 to 262144");
			o->snaplen = (uint32_t)v;
			break;
		case OPT_SINK_QUEUE:
			if (parse_uint(optarg, 1u << 24, &v) < 0 || v < 64)
				return bad(name, optarg, "64 to 16777216");
			o->sink_queue = (uint32_t)v;
			break;
		case OPT_CONTROL:
			o->control = optarg;
			break;
		case OPT_ROTATE_FILES:
			if (parse_uint(optarg, 1000000, &v) < 0 || v < 1)
				return bad(name, optarg, "1 to 1000000");
			o->rotate_files = (uint32_t)v;
			break;
		case OPT_MAX_FILES:
			if (parse_uint(optarg, 1u << 20, &v) < 0 || v < 1)
				return bad(name, optarg, "1 to 1048576");
			o->max_files = (uint32_t)v;
			break;
		case OPT_MAX_OPEN:
			if (parse_uint(optarg, 1u << 16, &v) < 0 || v < 1)
				return bad(name, optarg, "1 to 65536");
			o->max_open = (uint32_t)v;
			break;
		case OPT_MAX_DISK:
			if (ingest_parse_size(optarg, &o->max_disk) < 0 || o->max_disk < 65536)
				return bad(name, optarg, "a size of at least 64k, such as 10G");
			break;
		case OPT_CONTROL_MODE:
		case OPT_CONTROL_GROUP:
		case OPT_CONTROL_IDLE: {
			const char *why = NULL;

			if (ingest_ctl_option(name, optarg, &why) < 0)
				return bad(name, optarg, why);
			break;
		}
		case OPT_STATS_PERIOD:
			if (ingest_parse_duration(optarg, &o->stats_ns) < 0 ||
			    (o->stats_ns != 0 && o->stats_ns < 10000000))
				return bad(name, optarg, "0, or a duration of at least 10ms");
			break;
		case OPT_JSON:
			o->json = optarg;
			break;
		case OPT_DURATION:
			if (ingest_parse_duration(optarg, &o->duration_ns) < 0)
				return bad(name, optarg, "a duration such as 5s");
			break;
		case OPT_TOP:
			if (parse_uint(optarg, 1000, &v) < 0)
				return bad(name, optarg, "0 to 1000");
			o->top = (unsigned int)v;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_HELP:
			usage(stdout, "lcx-ingest");
			exit(0);
		default:
			fprintf(stderr, "lcx-ingest: unknown or incomplete option %s (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lcx-ingest: unexpected argument %s (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->capture && o->payload_dir) {
		fprintf(stderr, "lcx-ingest: --capture and --payload-dir exclude each other\n");
		return -EINVAL;
	}
	if ((o->rotate_bytes || o->rotate_ns || o->snaplen) && !o->capture && !o->payload_dir) {
		fprintf(stderr, "lcx-ingest: --rotate-size, --rotate-time and --snaplen need "
				"--capture or --payload-dir\n");
		return -EINVAL;
	}
	if ((o->rotate_files || o->max_disk) && !o->capture && !o->payload_dir) {
		fprintf(stderr, "lcx-ingest: --rotate-files and --max-disk need --capture or "
				"--payload-dir\n");
		return -EINVAL;
	}
	if (o->rotate_files && !o->capture) {
		fprintf(stderr, "lcx-ingest: --rotate-files works with --capture only (payload "
				"files: bound them with --max-files and --max-disk)\n");
		return -EINVAL;
	}
	if ((o->max_files || o->max_open) && !o->payload_dir) {
		fprintf(stderr, "lcx-ingest: --max-files and --max-open need --payload-dir\n");
		return -EINVAL;
	}
	if (o->rcvbuf && !o->nb_listen) {
		fprintf(stderr, "lcx-ingest: --rcvbuf needs --listen (it sizes kernel sockets)\n");
		return -EINVAL;
	}
	if (o->seq_given && o->max_flows == 0) {
		fprintf(stderr, "lcx-ingest: --seq needs the flow table (--max-flows > 0)\n");
		return -EINVAL;
	}
	if (o->nb_listen && o->nb_port) {
		fprintf(stderr, "lcx-ingest: use --listen or --port, not both\n");
		return -EINVAL;
	}
	return 0;
}

/* --- EAL arguments and the embedded default --- */

static bool
hugepages_available(void)
{
	char line[256];
	bool mounted = false;
	long total = 0;
	FILE *f = fopen("/proc/mounts", "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, " hugetlbfs ") != NULL)
				mounted = true;
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "HugePages_Total: %ld", &total) == 1)
				break;
		fclose(f);
	}
	return mounted && total > 0;
}

static bool
has_arg(int argc, char **argv, const char *prefix)
{
	size_t n = strlen(prefix);

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], prefix, n) == 0)
			return true;
	return false;
}

/* The embedded input: a capture made here, in memory (memfd). */
static int
make_default_pcap(char *path, size_t size)
{
	struct ingest_corpus_counts c;
	int fd = memfd_create("lcx-ingest-default.pcap", 0);
	FILE *f;

	if (fd < 0)
		return -errno;
	f = fdopen(dup(fd), "wb");
	if (f == NULL) {
		close(fd);
		return -errno;
	}
	if (ingest_pcap_header(f) < 0 || ingest_gen_flows(f, DEFAULT_FLOWS, DEFAULT_ROUNDS, 5000,
							    64) < 0 ||
	    ingest_gen_corpus(f, &c) < 0 || fclose(f) != 0) {
		close(fd);
		return -EIO;
	}
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return 0;
}

/* --- set-up helpers --- */

/* Run fn as the owner of ctx: through the loop while it runs, directly once
 * it has stopped (lcx_context_stop() joined its thread). */
static int
run_on(struct lcx_context *ctx, lcx_enter_fn fn, void *arg)
{
	if (lcx_context_is_stopping(ctx))
		return fn(ctx, arg);
	return lcx_context_enter(ctx, fn, arg);
}

static int
rx_engine_init(struct lcx_context *ctx, void *arg)
{
	struct ingest_rx *rx = arg;
	struct ingest_opts *o = &rx->app->o;

	(void)ctx;
	rx->engine_ret = ingest_engine_init(&rx->eng, o->ports_given ? &o->ports : NULL,
					    o->seq_given ? &o->seq : NULL, o->max_flows);
	return rx->engine_ret;
}

static int
rx_engine_fini(struct lcx_context *ctx, void *arg)
{
	struct ingest_rx *rx = arg;

	(void)ctx;
	ingest_engine_fini(&rx->eng);
	return 0;
}

static int
sink_attach(struct lcx_context *ctx, void *arg)
{
	return ingest_sink_attach(arg, ctx);
}

static int
sink_drain(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	return ingest_sink_drain(arg);
}

void
ingest_app_totals(const struct ingest_app *a, struct ingest_totals *t)
{
	const struct ingest_acct *accts[INGEST_RX_MAX];
	unsigned int i;

	for (i = 0; i < a->nb_rx; i++)
		accts[i] = &a->rx[i]->eng.acct;
	ingest_totals_sum(accts, a->nb_rx, a->sink ? ingest_sink_acct(a->sink) : NULL, t);
	for (i = 0; i < a->nb_ports; i++) {
		struct lcx_port_stats ps;

		if (lcx_port_stats(a->ports[i], &ps) == 0) {
			t->port_rx_missed += ps.rx_missed;
			t->port_rx_nombuf += ps.rx_nombuf;
			t->port_rx_errors += ps.rx_errors;
		}
	}
}

/* Flows: each rx context copies its top n, then they are merged here. */
struct flows_snap {
	unsigned int n, got;
	uint64_t now;
	struct ingest_flow *copy;
};

static int
flows_snapshot(struct lcx_context *ctx, void *arg)
{
	struct flows_snap *fs = arg;
	struct ingest_rx *rx = NULL;
	const struct ingest_flow **top;
	unsigned int i;

	for (i = 0; i < app.nb_rx; i++)
		if (app.rx[i]->ctx == ctx)
			rx = app.rx[i];
	fs->got = 0;
	if (rx == NULL || rx->eng.flows == NULL)
		return 0;
	top = calloc(fs->n, sizeof(*top));
	if (top == NULL)
		return -ENOMEM;
	fs->now = lcx_context_clock(ctx);
	fs->got = ingest_flow_top(rx->eng.flows, fs->now, top, fs->n);
	for (i = 0; i < fs->got; i++)
		fs->copy[i] = *top[i];
	free(top);
	return 0;
}

struct ranked {
	const struct ingest_flow *f;
	struct ingest_flow_rate rate;
	uint64_t now;
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return x->rate.pps < y->rate.pps ? 1 : x->rate.pps > y->rate.pps ? -1 : 0;
}

int
ingest_app_top_flows(struct ingest_app *a, unsigned int n, struct ingest_flow *out,
		     struct ingest_flow_rate *rate, uint64_t *now)
{
	struct flows_snap *snaps;
	struct ranked *all;
	unsigned int i, j, m = 0;
	int ret = 0;

	if (n == 0)
		return 0;
	snaps = calloc(a->nb_rx, sizeof(*snaps));
	all = calloc((size_t)a->nb_rx * n + 1, sizeof(*all));
	if (snaps == NULL || all == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < a->nb_rx; i++) {
		snaps[i].n = n;
		snaps[i].copy = calloc(n, sizeof(struct ingest_flow));
		if (snaps[i].copy == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		if (run_on(a->rx[i]->ctx, flows_snapshot, &snaps[i]) < 0)
			snaps[i].got = 0;
		for (j = 0; j < snaps[i].got; j++) {
			all[m].f = &snaps[i].copy[j];
			all[m].now = snaps[i].now;
			all[m].rate = ingest_flow_rate(all[m].f, all[m].now);
			m++;
		}
	}
	qsort(all, m, sizeof(*all), ranked_cmp);
	for (i = 0; i < m && i < n; i++) {
		out[i] = *all[i].f;
		rate[i] = all[i].rate;
		now[i] = all[i].now;
	}
	ret = (int)i;
out:
	for (i = 0; snaps != NULL && i < a->nb_rx; i++)
		free(snaps[i].copy);
	free(snaps);
	free(all);
	return ret;
}

int
ingest_app_flows_json(struct ingest_app *a, unsigned int n, FILE *f)
{
	struct ingest_flow *fl = calloc(n ? n : 1, sizeof(*fl));
	struct ingest_flow_rate *rate = calloc(n ? n : 1, sizeof(*rate));
	uint64_t *now = calloc(n ? n : 1, sizeof(*now));
	int i, m;

	if (fl == NULL || rate == NULL || now == NULL) {
		m = -ENOMEM;
		goto out;
	}
	m = ingest_app_top_flows(a, n, fl, rate, now);
	fputc('[', f);
	for (i = 0; i < m; i++) {
		char key[128];

		ingest_flow_key_str(&fl[i].key, key, sizeof(key));
		fprintf(f,
			"%s{\"flow\":\"%s\",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"rate_pps\":%" PRIu64 ",\"rate_bps\":%" PRIu64
			",\"age_s\":%.3f,\"idle_s\":%.3f",
			i ? "," : "", key, fl[i].pkts, fl[i].bytes, rate[i].pps, rate[i].bps,
			(double)(now[i] - fl[i].first_ns) / 1e9,
			(double)(now[i] - fl[i].last_ns) / 1e9);
		if (a->o.seq_given)
			fprintf(f,
				",\"seq\":{\"received\":%" PRIu64 ",\"lost\":%" PRIu64
				",\"reordered\":%" PRIu64 ",\"duplicate\":%" PRIu64
				",\"out_of_range\":%" PRIu64 ",\"resyncs\":%" PRIu64
				",\"no_seq\":%" PRIu64 ",\"highest\":%" PRIu64 "}",
				fl[i].seq.received, fl[i].seq.lost, fl[i].seq.reordered,
				fl[i].seq.duplicate, fl[i].seq.out_of_range, fl[i].seq.resyncs,
				fl[i].seq.no_seq, ingest_seq_high_raw(&fl[i].seq, &a->o.seq));
		fputc('}', f);
	}
	fputc(']', f);
out:
	free(fl);
	free(rate);
	free(now);
	return m < 0 ? m : 0;
}

void
ingest_app_request_stop(struct ingest_app *a, int reason)
{
	if (a->stopping)
		return;
	a->stopping = true;
	a->stop_reason = reason;
	lcx_context_stop(a->ctl_ctx); /* on its own thread: the loop returns */
}

/* --- the control context: stats line, duration, signals --- */

static struct lcx_timer stats_timer, duration_timer;
static struct ingest_totals last_totals;
static uint64_t last_stats_ns;
static bool stats_tty;

static void
human(char *buf, size_t size, double v)
{
	if (v >= 1e9)
		snprintf(buf, size, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, size, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, size, "%.2fk", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
}

static void
stats_tick(struct lcx_timer *t, void *arg)
{
	struct ingest_totals now;
	uint64_t ns = lcx_tsc_ns();
	double dt = (double)(ns - last_stats_ns) / 1e9;
	char pps[16], bps[16], acc[16], filt[16], malf[16], drop[16], lost[16], reord[16];
	char dup[16];

	(void)t;
	(void)arg;
	ingest_app_totals(&app, &now);
	if (dt <= 0)
		dt = 1;
	human(pps, sizeof(pps), (double)(now.rx_total - last_totals.rx_total) / dt);
	human(bps, sizeof(bps), (double)(now.rx_bytes - last_totals.rx_bytes) * 8 / dt);
	human(acc, sizeof(acc), (double)now.accepted);
	human(filt, sizeof(filt), (double)now.filtered);
	human(malf, sizeof(malf), (double)now.malformed);
	human(drop, sizeof(drop), (double)now.sink_dropped);
	human(lost, sizeof(lost), (double)now.seq_lost);
	human(reord, sizeof(reord), (double)now.seq_reordered);
	human(dup, sizeof(dup), (double)now.seq_duplicate);
	/* Under 80 columns, so that \r rewrites one line on a terminal. */
	fprintf(stderr, "%s%6.1fs %7spps %7sbps acc %s filt %s malf %s drop %s flows %" PRIu64,
		stats_tty ? "\r" : "", (double)(ns - app.start_ns) / 1e9, pps, bps, acc, filt,
		malf, drop, now.flows);
	if (app.o.seq_given)
		fprintf(stderr, " lost %s reord %s dup %s", lost, reord, dup);
	fputs(stats_tty ? "\033[K" : "\n", stderr);
	fflush(stderr);
	last_totals = now;
	last_stats_ns = ns;
}

static void
duration_end(struct lcx_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	ingest_app_request_stop(&app, 0);
}

static struct lcx_task sig_task;
static struct lcx_waiter sig_waiter;
static struct lcx_source *sig_src;

/* The signals the control context reads from its signalfd (blocked in every thread). */
static void
signal_mask(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
}

/*
 * SIGHUP, on the control context. The hook for reopening the capture files
 * (as log rotation tools expect); today there is nothing to reopen and the run
 * goes on.
 */
static void
on_sighup(struct ingest_app *a)
{
	(void)a;
	fprintf(stderr, "lcx-ingest: SIGHUP: nothing is reopened (not implemented yet); "
			"going on\n");
}

/*
 * SIGINT, SIGTERM, SIGQUIT: stop with the summary. SIGHUP: on_sighup(). SIGUSR1:
 * the stats line now. SIGUSR2 and SIGALRM are ignored (SIG_IGN in main()).
 */
static void
sig_run(struct lcx_task *task, void *arg)
{
	struct signalfd_siginfo si;
	int fd = lcx_source_fd(sig_src);

	(void)task;
	(void)arg;
	for (;;) {
		ssize_t n = read(fd, &si, sizeof(si));

		if (n == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP)
				on_sighup(&app);
			else if (si.ssi_signo == SIGUSR1)
				stats_tick(NULL, NULL);
			else
				ingest_app_request_stop(&app, (int)si.ssi_signo);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (lcx_source_poll(sig_src, LCX_DIR_READ, &sig_waiter) == 1)
			continue;
		return;
	}
}

static int
ctl_setup(struct lcx_context *ctx, void *arg)
{
	sigset_t set;
	int fd, ret;

	(void)arg;
	signal_mask(&set);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = lcx_source_create(ctx, fd, LCX_SOURCE_CLOSE_FD, &sig_src);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	lcx_task_init(&sig_task, ctx, sig_run, NULL);
	lcx_waiter_init(&sig_waiter, &sig_task);
	lcx_task_wake(&sig_task);
	lcx_timer_init(&stats_timer, stats_tick, NULL);
	lcx_timer_init(&duration_timer, duration_end, NULL);
	if (app.o.stats_ns && !app.o.quiet) {
		ret = lcx_timer_start(ctx, &stats_timer, app.o.stats_ns, app.o.stats_ns, 0);
		if (ret < 0)
			return ret;
	}
	if (app.o.duration_ns) {
		ret = lcx_timer_start(ctx, &duration_timer, app.o.duration_ns, 0, LCX_TIMER_AT_LEAST);
		if (ret < 0)
			return ret;
	}
	if (app.o.control != NULL)
		return ingest_ctl_start(&app, app.o.control);
	return 0;
}

/* --- summary --- */

static void
print_summary(const struct ingest_totals *t, double secs)
{
	unsigned int v;

	fprintf(stderr, "lcx-ingest: %.2f s, %" PRIu64 " frames (%.0f pps)\n", secs, t->rx_total,
		secs > 0 ? (double)t->rx_total / secs : 0.0);
	uint64_t in_lost = t->port_rx_missed + t->port_rx_nombuf + t->port_rx_errors;

	fprintf(stderr, "  rx_total %" PRIu64 " = accepted %" PRIu64 " + filtered %" PRIu64
		" + malformed %" PRIu64 " + sink_dropped %" PRIu64 "  [%s]\n",
		t->rx_total, t->accepted, t->filtered, t->malformed, t->sink_dropped,
		!ingest_totals_balanced(t) ? "NOT BALANCED"
		: in_lost ? "balanced, but input was lost: see below" : "balanced");
	if (in_lost)
		fprintf(stderr, "  LOST before rx_total: %" PRIu64 " frames at the ports: rx_missed %"
			PRIu64 " (kernel socket buffer or NIC ring full), rx_nombuf %" PRIu64
			" (no mbuf), rx_errors %" PRIu64 "\n", in_lost, t->port_rx_missed,
			t->port_rx_nombuf, t->port_rx_errors);
	for (v = INGEST_FILTER_FIRST; v < INGEST_VERDICT_MAX; v++)
		if (t->verdict[v])
			fprintf(stderr, "    %-9s %-14s %" PRIu64 "\n",
				ingest_verdict_is_filter(v) ? "filtered" : "malformed",
				ingest_verdict_name(v), t->verdict[v]);
	if (t->sink_dropped || t->sink_written)
		fprintf(stderr, "  sink: written %" PRIu64 " (%" PRIu64 " bytes, %" PRIu64
			" files made), queue_full %" PRIu64 ", write_errors %" PRIu64
			", nomem %" PRIu64 ", over_limit %" PRIu64 ", removed %" PRIu64 ", rotated_out %" PRIu64
			" (%" PRIu64 " files deleted by --rotate-files)\n", t->sink_written,
			t->sink_written_bytes, t->sink_files, t->sink_queue_full,
			t->sink_write_errors, t->sink_nomem, t->sink_over_limit, t->sink_removed,
			t->sink_rotated_out, t->sink_files_deleted);
	fprintf(stderr, "  flows: %" PRIu64 " active, %" PRIu64 " created, %" PRIu64
		" evicted\n", t->flows, t->flow_inserts, t->flow_evictions);
	/* Lost before the account (rx_total counts what the ports handed over). */
	for (v = 0; v < app.nb_ports; v++) {
		struct lcx_port_stats ps;

		memset(&ps, 0, sizeof(ps));
		lcx_port_stats(app.ports[v], &ps);
		if (ps.rx_missed || ps.rx_nombuf || ps.rx_errors)
			fprintf(stderr, "  port %s lost before rx_total: rx_missed %" PRIu64
				" rx_nombuf %" PRIu64 " rx_errors %" PRIu64 "\n",
				lcx_port_name(app.ports[v]), ps.rx_missed, ps.rx_nombuf,
				ps.rx_errors);
	}
	if (app.o.seq_given)
		fprintf(stderr, "  seq: received %" PRIu64 " lost %" PRIu64 " reordered %" PRIu64
			" duplicate %" PRIu64 " out_of_range %" PRIu64 " resyncs %" PRIu64
			" no_seq %" PRIu64 "\n", t->seq_received, t->seq_lost, t->seq_reordered,
			t->seq_duplicate, t->seq_out_of_range, t->seq_resyncs, t->seq_no_seq);
}

/* A port's figures, kept for the summary written after the ports are gone. */
struct port_fig {
	char name[128]; /* lcx port names are shorter (LCX_PORT_NAME_MAX) */
	char driver[32];
	struct lcx_port_stats ps;
	int rcvbuf;
};

static void
port_figs(struct port_fig *pf)
{
	for (unsigned int i = 0; i < app.nb_ports; i++) {
		memset(&pf[i], 0, sizeof(pf[i]));
		snprintf(pf[i].name, sizeof(pf[i].name), "%s", lcx_port_name(app.ports[i]));
		snprintf(pf[i].driver, sizeof(pf[i].driver), "%s", lcx_port_driver(app.ports[i]));
		lcx_port_stats(app.ports[i], &pf[i].ps);
		pf[i].rcvbuf = lcx_port_rcvbuf(app.ports[i]);
	}
}

/* What stopped the run: "duration", "control" or the signal's name. */
static void
stop_reason_str(char *buf, size_t size)
{
	const char *abbrev;

	if (app.stop_reason == 0)
		snprintf(buf, size, "duration");
	else if (app.stop_reason < 0)
		snprintf(buf, size, "control");
	else if ((abbrev = sigabbrev_np(app.stop_reason)) != NULL)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", app.stop_reason);
}

/*
 * The JSON summary, into the file opened at start (o->f), after the ports
 * closed: mbuf_pools then says how many mbufs of each pool are not back.
 */
static int
write_json(struct app_out *o, const struct ingest_totals *t, const struct port_fig *pf,
	   double secs)
{
	FILE *f = o->f;
	char reason[32], err[512];
	unsigned int i;

	stop_reason_str(reason, sizeof(reason));
	fprintf(f, "{\"duration_s\":%.6f,\"stop_reason\":\"%s\",\"totals\":", secs, reason);
	ingest_totals_json(t, f);
	fputs(",\"ports\":[", f);
	for (i = 0; i < app.nb_ports; i++) {
		const struct lcx_port_stats *ps = &pf[i].ps;

		fprintf(f, "%s{\"name\":\"%s\",\"driver\":\"%s\",\"rx_packets\":%" PRIu64
			",\"rx_missed\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 ",\"rx_errors\":%" PRIu64,
			i ? "," : "", pf[i].name, pf[i].driver, ps->rx_packets, ps->rx_missed,
			ps->rx_nombuf, ps->rx_errors);
		if (pf[i].rcvbuf >= 0)
			fprintf(f, ",\"rcvbuf\":%d", pf[i].rcvbuf);
		fputc('}', f);
	}
	fputs("],\"contexts\":[", f);
	for (i = 0; i < app.nb_rx; i++) {
		struct lcx_context_stats cs;

		memset(&cs, 0, sizeof(cs));
		lcx_context_stats(app.rx[i]->ctx, &cs);
		fprintf(f, "%s{\"name\":\"%s\",\"queues\":%u,\"busy_ns\":%" PRIu64
			",\"idle_ns\":%" PRIu64 ",\"parked_ns\":%" PRIu64 ",\"parks\":%" PRIu64
			",\"iterations\":%" PRIu64 ",\"rx_total\":%" PRIu64 "}",
			i ? "," : "", lcx_context_name(app.rx[i]->ctx), app.rx[i]->nb_queues,
			cs.busy_ns, cs.idle_ns, cs.parked_ns, cs.parks, cs.iterations,
			app.rx[i]->eng.acct.rx_total);
	}
	fputs("],\"top_flows\":", f);
	ingest_app_flows_json(&app, app.o.top, f);
	fputs(",\"mbuf_pools\":", f);
	app_pools_json(f);
	fputs("}\n", f);
	if (app_out_commit(o, err, sizeof(err)) < 0) {
		fprintf(stderr, "lcx-ingest: --json: cannot write %s\n", err);
		return -EIO;
	}
	return 0;
}

/* --- main --- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int
open_ports(struct rte_mempool **poolp)
{
	struct ingest_opts *o = &app.o;
	uint16_t nbq = o->rxq ? o->rxq : (uint16_t)app.nb_rx;
	const char *names[INGEST_PORTS_MAX];
	char ethnames[INGEST_PORTS_MAX][RTE_ETH_NAME_MAX_LEN], ethname[RTE_ETH_NAME_MAX_LEN];
	unsigned int nb = 0, i, q, next_ctx = 0;
	bool socket = o->nb_listen > 0;
	uint16_t pid;
	int ret;

	if (socket) {
		for (i = 0; i < o->nb_listen; i++)
			names[nb++] = o->listen[i];
		if (nbq > app.nb_rx)
			nbq = (uint16_t)app.nb_rx;
	} else if (o->nb_port) {
		for (i = 0; i < o->nb_port; i++)
			names[nb++] = o->port[i];
	} else {
		RTE_ETH_FOREACH_DEV(pid) {
			if (nb == INGEST_PORTS_MAX)
				break;
			rte_eth_dev_get_name_by_port(pid, ethnames[nb]);
			names[nb] = ethnames[nb];
			nb++;
		}
	}
	if (nb == 0) {
		fprintf(stderr, "lcx-ingest: no input: give --listen, --port, or a DPDK device\n");
		return -ENODEV;
	}
	app.binds = calloc((size_t)nb * nbq, sizeof(*app.binds));
	if (app.binds == NULL)
		return -ENOMEM;
	{
		/* Pool: twice the rx rings, the writer's queue, and room for a
		 * net_pcap replay that loads its whole file into mbufs. */
		uint64_t n = (uint64_t)nb * nbq * o->rxd * 2 + 32768;

		if (o->capture || o->payload_dir)
			n += o->sink_queue ? o->sink_queue : 16384;
		if (n > 1u << 20)
			n = 1u << 20;
		*poolp = lcx_pktmbuf_pool_create("ingest_rx", (unsigned int)n, 256, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id(),
						 LCX_POOL_AUTO);
		if (*poolp == NULL) {
			fprintf(stderr, "lcx-ingest: cannot make a pool of %u mbufs: %s (more "
					"memory: EAL -m)\n", (unsigned int)n, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	for (i = 0; i < nb; i++) {
		struct lcx_port_conf pc = {
			.driver = socket ? "socket" : "dpdk",
			.devargs = names[i],
			.nb_rxq = nbq,
			.nb_txq = 1,
			.nb_rxd = o->rxd,
			.burst = o->burst,
			.pool = *poolp,
			.promiscuous = true,
			.rcvbuf = o->rcvbuf,
		};
		struct lcx_port *p;
		int eid;

		ret = lcx_port_create(&pc, &p);
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot open %s port %s: %s\n", pc.driver,
				names[i], strerror(-ret));
			return ret;
		}
		app.ports[app.nb_ports++] = p;
		eid = lcx_port_ethdev_id(p);
		for (q = 0; q < lcx_port_nb_rxq(p); q++) {
			struct ingest_rxq_bind *b = &app.binds[app.nb_binds++];
			struct ingest_rx *rx = app.rx[next_ctx++ % app.nb_rx];

			b->rx = rx;
			b->iface = eid >= 0 ? (uint16_t)eid : INGEST_IFACE_SOCKET;
			b->link = INGEST_LINK_ETH;
			if (eid >= 0 && rte_eth_dev_get_name_by_port((uint16_t)eid, ethname) == 0)
				b->link = ingest_vdev_link_of(&vdev_links, ethname, q);
			ret = lcx_port_rxq_attach(p, (uint16_t)q, rx->ctx, rx_handler, b);
			if (ret < 0) {
				fprintf(stderr, "lcx-ingest: cannot attach %s queue %u: %s\n",
					names[i], q, strerror(-ret));
				return ret;
			}
			rx->nb_queues++;
		}
		/* The run, and duration_s, start when the first port does. */
		if (app.start_ns == 0)
			app.start_ns = lcx_tsc_ns();
		ret = lcx_port_start(p);
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot start %s: %s\n", names[i],
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char *eal_argv[EAL_ARGS_MAX], pcap_path[64], vdev[160], prefix[64];
	int eal_argc = 0, app_argc, sep = argc, i, ret, status = 1;
	bool no_input, injected = false, socket_in, own_prefix = false;
	char rundir[PATH_MAX] = "";
	struct ingest_totals t;
	struct rte_mempool *pool = NULL;
	unsigned int lcore, nb_workers = 0;
	static struct port_fig pfig[INGEST_PORTS_MAX];
	struct app_devs devs;
	char err[512];
	double secs;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	/* "lcx-ingest --help" without "--" works too. */
	if (sep == argc && has_arg(argc, argv, "--help")) {
		usage(stdout, "lcx-ingest");
		return 0;
	}
	app_argc = sep < argc ? argc - sep : 1;
	{
		char **av = sep < argc ? argv + sep : argv;
		char *first = av[0];

		av[0] = argv[0];
		ret = parse_opts(app_argc, av, &app.o);
		av[0] = first;
		if (ret < 0)
			return 2;
	}
	/* --json: checked now, before anything runs; written whole at the end. */
	if (app.o.json != NULL && app_out_open(&json_out, app.o.json, err, sizeof(err)) < 0) {
		fprintf(stderr, "lcx-ingest: --json: cannot write %s\n", err);
		return 1;
	}
	app_devs_parse(sep, argv, &devs);
	if (sep - 1 + 8 > EAL_ARGS_MAX) {
		fprintf(stderr, "lcx-ingest: too many EAL arguments\n");
		return 2;
	}
	for (i = 0; i < sep; i++)
		eal_argv[eal_argc++] = argv[i];
	socket_in = app.o.nb_listen > 0;
	no_input = !socket_in && app.o.nb_port == 0 && !has_arg(sep, argv, "--vdev") &&
		   !has_arg(sep, argv, "-a") && !has_arg(sep, argv, "--allow") &&
		   !has_arg(sep, argv, "-b");
	if (!has_arg(sep, argv, "--no-huge") && !hugepages_available()) {
		eal_argv[eal_argc++] = "--no-huge";
		if (!has_arg(sep, argv, "-m") && !has_arg(sep, argv, "--socket-mem"))
			eal_argv[eal_argc++] = "-m", eal_argv[eal_argc++] = "1024";
		fprintf(stderr, "lcx-ingest: no hugepages mounted: running with --no-huge -m 1024\n");
		injected = true;
	}
	if (socket_in && !has_arg(sep, argv, "--no-pci") && !has_arg(sep, argv, "-a")) {
		eal_argv[eal_argc++] = "--no-pci";
	}
	if (no_input) {
		ret = make_default_pcap(pcap_path, sizeof(pcap_path));
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot build the embedded capture: %s\n",
				strerror(-ret));
			return 1;
		}
		snprintf(vdev, sizeof(vdev), "--vdev=net_pcap_ingest0,rx_pcap=%s,infinite_rx=1",
			 pcap_path);
		eal_argv[eal_argc++] = vdev;
		if (!has_arg(sep, argv, "--no-pci"))
			eal_argv[eal_argc++] = "--no-pci";
		fprintf(stderr,
			"lcx-ingest: no input given: replaying an embedded generated capture "
			"(%u UDP flows with a 4-byte sequence number at payload offset 0, and a "
			"corpus of malformed frames) in a loop through net_pcap (each pass repeats the "
			"sequence numbers: with --seq they count as duplicates); no NIC needed\n",
			DEFAULT_FLOWS);
		injected = true;
	}
	if ((injected || socket_in) && !has_arg(sep, argv, "--file-prefix") &&
	    !has_arg(sep, argv, "--in-memory")) {
		snprintf(prefix, sizeof(prefix), "--file-prefix=lcx-ingest-%d", (int)getpid());
		eal_argv[eal_argc++] = prefix;
		own_prefix = true;
	}
	eal_argv[eal_argc] = NULL;
	{
		/* net_pcap replays a file's frames whatever its link type: read
		 * it here, refuse what the parser does not decode. */
		char err[512];
		unsigned int v, q;

		if (ingest_vdev_links_scan(eal_argc, eal_argv, &vdev_links, err, sizeof(err)) < 0) {
			fprintf(stderr, "lcx-ingest: %s\n", err);
			return 2;
		}
		for (v = 0; v < vdev_links.nb; v++)
			for (q = 0; q < vdev_links.vdev[v].nb; q++) {
				enum ingest_link l = vdev_links.vdev[v].link[q];

				if (l == INGEST_LINK_ETH)
					continue;
				if (app.o.capture || app.o.payload_dir) {
					fprintf(stderr, "lcx-ingest: %s queue %u carries %s frames, "
						"not Ethernet: --capture and --payload-dir take "
						"Ethernet input only\n", vdev_links.vdev[v].name,
						q, ingest_link_name(l));
					return 2;
				}
				fprintf(stderr, "lcx-ingest: %s queue %u: link type %s\n",
					vdev_links.vdev[v].name, q, ingest_link_name(l));
			}
	}

	{
		/* Signals go to the signalfd of the control context: blocked
		 * before EAL starts its threads, which inherit the mask. */
		sigset_t set;

		signal_mask(&set);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		signal(SIGUSR2, SIG_IGN);
		signal(SIGALRM, SIG_IGN);
	}
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "lcx-ingest: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	lcx_eal_attach();
	stats_tty = isatty(STDERR_FILENO);
	/* A device named with -a/--allow or --vdev that gave no port: no run without it. */
	if (app_devs_check(&devs, "lcx-ingest") > 0) {
		fprintf(stderr, "lcx-ingest: a device named on the EAL command line gave no "
				"port: stopping\n");
		goto out;
	}

	/* rx contexts: one per worker lcore, else threads. */
	RTE_LCORE_FOREACH_WORKER(lcore)
		nb_workers++;
	app.nb_rx = nb_workers ? nb_workers : app.o.rx_threads;
	if (app.nb_rx > INGEST_RX_MAX)
		app.nb_rx = INGEST_RX_MAX;
	lcore = rte_get_main_lcore();
	for (i = 0; i < (int)app.nb_rx; i++) {
		char name[LCX_NAME_MAX];
		struct lcx_context_conf cc = {
			.name = name,
			.throttle_ns = app.o.throttle_ns,
			.launch = nb_workers ? LCX_LAUNCH_LCORE : LCX_LAUNCH_THREAD,
			.cpu = -1,
			.socket_id = -1,
		};
		struct ingest_rx *rx = calloc(1, sizeof(*rx));

		if (rx == NULL)
			goto out;
		if (nb_workers) {
			lcore = rte_get_next_lcore(lcore, 1, 0);
			cc.lcore_id = lcore;
		}
		snprintf(name, sizeof(name), "ingest-rx%d", i);
		rx->app = &app;
		rx->id = (unsigned int)i;
		app.rx[i] = rx;
		ret = lcx_context_acquire(&cc, &rx->ctx);
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot start context %s: %s\n", name,
				strerror(-ret));
			app.nb_rx = (unsigned int)i;
			free(rx);
			goto out;
		}
		ret = lcx_context_enter(rx->ctx, rx_engine_init, rx);
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: flow table of %u flows: %s\n", app.o.max_flows,
				strerror(-ret));
			app.nb_rx = (unsigned int)i + 1;
			goto out;
		}
	}

	if (app.o.capture || app.o.payload_dir) {
		struct ingest_sink_conf sc = {
			.kind = app.o.capture ? INGEST_SINK_PCAPNG : INGEST_SINK_PAYLOAD,
			.path = app.o.capture ? app.o.capture : app.o.payload_dir,
			.rotate_bytes = app.o.rotate_bytes,
			.rotate_ns = app.o.rotate_ns,
			.snaplen = app.o.snaplen,
			.rotate_files = app.o.rotate_files,
			.max_files = app.o.max_files,
			.max_open = app.o.max_open,
			.max_disk = app.o.max_disk,
			.ring_size = app.o.sink_queue,
			.socket_id = (int)rte_socket_id(),
			.with_socket_iface = socket_in,
		};
		struct lcx_context_conf cc = {
			.name = "ingest-sink", .throttle_ns = 1000000, .launch = LCX_LAUNCH_THREAD,
			.cpu = -1, .socket_id = -1,
		};
		int open_err;

		ret = ingest_sink_create(&sc, &app.sink, &open_err);
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot set up the sink on %s: %s\n", sc.path,
				strerror(-ret));
			goto out;
		}
		if (open_err)
			fprintf(stderr,
				"lcx-ingest: warning: cannot open %s: %s; receiving goes on, frames "
				"for the sink are counted in sink_dropped, the file is retried every "
				"second\n", sc.path, strerror(open_err));
		ret = lcx_context_acquire(&cc, &app.sink_ctx);
		if (ret == 0)
			ret = lcx_context_enter(app.sink_ctx, sink_attach, app.sink);
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot start the writer: %s\n", strerror(-ret));
			goto out;
		}
	}

	{
		struct lcx_context_conf cc = {
			.name = "ingest-ctl", .throttle_ns = 10000000, .launch = LCX_LAUNCH_NONE,
			.cpu = -1, .socket_id = -1,
		};

		ret = lcx_context_acquire(&cc, &app.ctl_ctx);
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot make the control context: %s\n",
				strerror(-ret));
			goto out;
		}
	}
	ret = ingest_telemetry_register(&app);
	if (ret < 0)
		fprintf(stderr, "lcx-ingest: warning: telemetry commands not registered: %s\n",
			strerror(-ret));

	if (open_ports(&pool) < 0)
		goto out;
	last_stats_ns = app.start_ns;
	ret = lcx_context_enter(app.ctl_ctx, ctl_setup, NULL);
	if (ret < 0) {
		fprintf(stderr, "lcx-ingest: control set-up failed: %s\n", strerror(-ret));
		goto out;
	}
	lcx_context_run(app.ctl_ctx);
	status = 0;

out:
	if (stats_tty && app.o.stats_ns && !app.o.quiet && app.start_ns)
		fputc('\n', stderr);
	if (app.o.control != NULL)
		ingest_ctl_stop(&app);
	for (i = 0; i < (int)app.nb_ports; i++)
		lcx_port_stop(app.ports[i]);
	/* duration_s: from the first port start to the last port stop, the time frames came. */
	secs = app.start_ns ? (double)(lcx_tsc_ns() - app.start_ns) / 1e9 : 0;
	for (i = 0; i < (int)app.nb_ports; i++)
		for (unsigned int q = 0; q < lcx_port_nb_rxq(app.ports[i]); q++)
			lcx_port_rxq_detach(app.ports[i], (uint16_t)q);
	/* The rx contexts stop first, so that nothing is queued behind the drain. */
	for (i = 0; i < (int)app.nb_rx; i++)
		if (app.rx[i]->ctx != NULL)
			lcx_context_stop(app.rx[i]->ctx);
	if (app.sink != NULL) {
		if (app.sink_ctx != NULL) {
			lcx_context_enter(app.sink_ctx, sink_drain, app.sink);
			lcx_context_stop(app.sink_ctx);
		} else {
			ingest_sink_drain(app.sink);
		}
	}
	bool summary = status == 0 && app.start_ns;

	if (summary) {
		ingest_app_totals(&app, &t);
		if (!app.o.quiet)
			print_summary(&t, secs);
		if (!ingest_totals_balanced(&t)) {
			fprintf(stderr, "lcx-ingest: accounting does not balance\n");
			status = 1;
		}
		if (app.stop_reason > 0)
			fprintf(stderr, "lcx-ingest: stopped by %s\n", strsignal(app.stop_reason));
		port_figs(pfig);
	}
	for (i = 0; i < (int)app.nb_ports; i++)
		lcx_port_destroy(app.ports[i]);
	/* Close the ethdevs (net_pcap's replay ring, rx rings give their mbufs back),
	 * then every pool must be whole: mbufs not back are named and fail the run. */
	{
		uint16_t pid;

		RTE_ETH_FOREACH_DEV(pid)
			(void)rte_eth_dev_close(pid);
	}
	if (summary) {
		if (app_pools_warn("lcx-ingest") != 0)
			status = 1;
		if (app.o.json != NULL && write_json(&json_out, &t, pfig, secs) < 0)
			status = 1;
	}
	app_out_abort(&json_out);
	for (i = 0; i < (int)app.nb_rx; i++) {
		if (app.rx[i]->ctx != NULL) {
			run_on(app.rx[i]->ctx, rx_engine_fini, app.rx[i]);
			lcx_context_release(app.rx[i]->ctx);
		}
		free(app.rx[i]);
	}
	ingest_sink_destroy(app.sink);
	lcx_context_release(app.sink_ctx);
	lcx_context_release(app.ctl_ctx);
	rte_mempool_free(pool);
	free(app.binds);
	if (own_prefix)
		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	/* The per-process runtime directory this program named: leave none behind. */
	if (own_prefix && strstr(rundir, "/lcx-ingest-") != NULL)
		nftw(rundir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return status;
}
