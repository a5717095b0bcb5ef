/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ingest's options (after "--"): --help, --version, and each value
 * checked before the EAL starts (a usage error is exit 2). Values follow
 * apps/common/args.h: decimal integers, durations (1.5, 2s, 500ms, 250us, 1m),
 * sizes (64k, 1M, 1G: powers of 1024); empty values are refused.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "app.h"
#include "appmetrics.h"
#include "args.h"
#include "ctlsrv.h"
#include "ealargs.h"
#include "hard.h"

void
ingest_usage(FILE *f, const char *prog)
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
"                       evictions are counted; the tables of every rx context\n"
"                       must fit in MemAvailable (checked at start)\n"
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
"  --rotate-size=SIZE   new file past SIZE bytes (k, M, G suffixes; at least 64k)\n"
"  --rotate-time=DUR    new file every DUR (at least 1s)\n"
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
"  --stats-period=DUR   live rates (default 1s; 0: none) on stdout: one line\n"
"                       updated in place on a terminal, plain lines when piped\n"
"  --stats-json         one JSON object per --stats-period on stdout instead of\n"
"                       the stats line (totals and the period's rates; doc/ingest.md)\n"
"  --json=FILE          JSON summary at the end (\"-\": stdout); the path is checked\n"
"                       at start, the file appears whole at the end (renamed\n"
"                       into place; a killed run leaves FILE as it was)\n"
"  --top=N              flows in the summary (default 10)\n"
"  --duration=DUR       run at least this long, > 0 (default: until SIGINT, SIGTERM,\n"
"                       SIGQUIT; SIGHUP, SIGUSR1 (stats line now), SIGUSR2 and\n"
"                       SIGALRM do not stop it)\n"
"  --quiet              no stats line and no final table\n"
"  --user=USER          drop root once the ports are up: setgroups, setgid, setuid\n"
"                       (the capture file and a --payload-dir made before are\n"
"                       given to USER; the control socket is made after)\n"
"  --group=GROUP        the group to drop to (default: USER's)\n"
"  --pidfile=FILE       our pid, created new (a stale one replaced), removed at exit\n"
"  --metrics=ADDR:PORT  Prometheus endpoint, http://ADDR:PORT/metrics (PORT alone:\n"
"                       127.0.0.1:PORT; [ADDR6]:PORT; port 0: one the kernel picks,\n"
"                       said on stderr); doc/metrics.md, doc/ingest.md\n"
"  --help               this text\n"
"  --version            the program's, lcx's and DPDK's versions\n"
"\n"
"DUR: a number, a fraction allowed, with ns, us, ms, s (the default: 1.5 is 1.5 s),\n"
"m or h. SIZE: a whole number with k or K (x 1024), M (x 1024^2) or G (x 1024^3).\n"
"N: a decimal integer. No hex, no sign, no empty value.\n"
"Telemetry: /lcx/ingest/stats, /lcx/ingest/flows,N, /lcx/ingest/sink\n"
"(dpdk-telemetry.py).\n"
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
	OPT_MAX_FILES, OPT_MAX_OPEN, OPT_MAX_DISK, OPT_USER, OPT_GROUP, OPT_PIDFILE,
	OPT_METRICS, OPT_HELP, OPT_VERSION,
	OPT_STATS_JSON,
};

static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	return app_parse_u64(s, 0, max, out);
}

static int
bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "lcx-ingest: --%s=%s: %s (see --help)\n", opt, val ? val : "", why);
	return -EINVAL;
}

int
ingest_opts_parse(int argc, char **argv, struct ingest_opts *o)
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
		{"user", required_argument, NULL, OPT_USER},
		{"group", required_argument, NULL, OPT_GROUP},
		{"pidfile", required_argument, NULL, OPT_PIDFILE},
		{"metrics", required_argument, NULL, OPT_METRICS},
		{"stats-json", no_argument, NULL, OPT_STATS_JSON},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
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
		/* getopt_long() sets idx to the matched long option's row. */
		const char *name = c >= OPT_LISTEN ? lopts[idx].name : "";

		switch (c) {
		case OPT_LISTEN:
			if (*optarg == '\0')
				return bad(name, optarg, "an empty value");
			if (o->nb_listen == INGEST_LISTEN_MAX)
				return bad(name, optarg, "too many");
			o->listen[o->nb_listen++] = optarg;
			break;
		case OPT_PORT:
			if (*optarg == '\0')
				return bad(name, optarg, "an empty value");
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
			if (app_parse_size(optarg, &v) < 0 || v == 0 || v > 1ull << 31)
				return bad(name, optarg, "a size from 1 to 2G, such as 8M");
			o->rcvbuf = (uint32_t)v;
			break;
		case OPT_RX_THREADS:
			if (parse_uint(optarg, INGEST_RX_MAX, &v) < 0 || v == 0)
				return bad(name, optarg, "1 to 64");
			o->rx_threads = (unsigned int)v;
			break;
		case OPT_THROTTLE:
			if (app_parse_duration(optarg, &o->throttle_ns) < 0 ||
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
			if (*optarg == '\0')
				return bad(name, optarg, "an empty value");
			o->capture = optarg;
			break;
		case OPT_PAYLOAD_DIR:
			if (*optarg == '\0')
				return bad(name, optarg, "an empty value");
			o->payload_dir = optarg;
			break;
		case OPT_ROTATE_SIZE:
			if (app_parse_size(optarg, &o->rotate_bytes) < 0 ||
			    o->rotate_bytes < INGEST_ROTATE_BYTES_MIN)
				return bad(name, optarg, "a size of at least 64k, such as 100M");
			break;
		case OPT_ROTATE_TIME:
			if (app_parse_duration(optarg, &o->rotate_ns) < 0 ||
			    o->rotate_ns < INGEST_ROTATE_NS_MIN)
				return bad(name, optarg, "a duration of at least 1s, such as 60s");
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
			if (*optarg == '\0')
				return bad(name, optarg, "an empty value");
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
			if (app_parse_size(optarg, &o->max_disk) < 0 || o->max_disk < 65536)
				return bad(name, optarg, "a size of at least 64k, such as 10G");
			break;
		case OPT_USER:
		case OPT_GROUP: {
			const char *why = NULL;

			if (app_user_option(name, optarg, &o->user, &why) != 0)
				return bad(name, optarg, why);
			break;
		}
		case OPT_PIDFILE:
			if (*optarg == '\0')
				return bad(name, optarg, "an empty value");
			o->pidfile = optarg;
			break;
		case OPT_CONTROL_MODE:
		case OPT_CONTROL_GROUP:
		case OPT_CONTROL_IDLE: {
			const char *why = NULL;

			if (app_ctlsrv_option(name, optarg, &why) < 0)
				return bad(name, optarg, why);
			break;
		}
		case OPT_STATS_PERIOD:
			if (app_parse_duration(optarg, &o->stats_ns) < 0 ||
			    (o->stats_ns != 0 && o->stats_ns < 10000000))
				return bad(name, optarg, "0, or a duration of at least 10ms");
			break;
		case OPT_JSON:
			if (*optarg == '\0')
				return bad(name, optarg, "an empty value");
			o->json = optarg;
			break;
		case OPT_DURATION:
			/* 0 would be no bound: say so by leaving --duration out. */
			if (app_parse_duration(optarg, &o->duration_ns) < 0 || o->duration_ns == 0)
				return bad(name, optarg, "a duration > 0 such as 1.5, 5s or 500ms "
					   "(leave --duration out to run until a signal)");
			break;
		case OPT_TOP:
			if (parse_uint(optarg, 1000, &v) < 0)
				return bad(name, optarg, "0 to 1000");
			o->top = (unsigned int)v;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_STATS_JSON:
			o->stats_json = true;
			break;
		case OPT_METRICS:
			if (app_metrics_check(optarg) < 0)
				return bad(name, optarg, "expected ADDR:PORT, [ADDR6]:PORT or PORT "
					   "(numeric; PORT alone listens on 127.0.0.1)");
			o->metrics = optarg;
			break;
		case OPT_HELP:
			ingest_usage(stdout, "lcx-ingest");
			exit(0);
		case OPT_VERSION:
			app_print_version(stdout, "lcx-ingest");
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
	if (o->stats_json && (o->stats_ns == 0 || o->quiet)) {
		fprintf(stderr, "lcx-ingest: --stats-json needs a --stats-period (not 0) and no "
				"--quiet\n");
		return -EINVAL;
	}
	return 0;
}
