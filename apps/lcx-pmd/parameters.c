/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-pmd's command line (testpmd's parameters.c): --help, the options after
 * "--" into struct pmd, and the usage errors (exit 2) before the EAL starts.
 * Values follow apps/common/args.h: decimal integers, durations such as 1.5,
 * 2s, 500ms.
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "applog.h"
#include "appmetrics.h"
#include "hard.h"
#include "args.h"
#include "ctlsrv.h"
#include "ealargs.h"
#include "pmd.h"

#define DEFAULT_THROTTLE_US 200
#define DEFAULT_RING 1024

static const struct fwd_engine *const engines[] = {
	&io_engine,     &mac_engine,     &macswap_engine, &rxonly_engine,
	&txonly_engine, &flowgen_engine, &udpecho_engine, NULL,
};

const char *pmd_prog = "lcx-pmd";

static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", pmd_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s: try '%s --help'\n", pmd_prog, pmd_prog);
	exit(PMD_EXIT_USAGE);
}

void
pmd_die(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Through lcx.pmd once the EAL is up (app_log_init()), stderr before. */
	app_log_raw(APP_LOG_ERR, "%s: %s", pmd_prog, msg);
	app_pidfile_remove(&pmd.pidfile); /* a no-op when none was made */
	exit(code);
}

void
pmd_usage(FILE *f)
{
	fprintf(f,
"Usage: %s [EAL options] -- [options]\n"
"\n"
"A testpmd-style packet forwarder on lcx contexts: one throttled context per\n"
"forwarding lcore polls its rx queues and parks when there is nothing to do;\n"
"the park is budgeted against the rx rings, so throttling loses no packet.\n"
"\n"
"EAL options are DPDK's (see dpdk-testpmd): -l/--lcores, --vdev, -a, --file-prefix,\n"
"--in-memory, -m, --no-huge, --no-pci ... The main lcore runs statistics, timers\n"
"and the control socket; every other lcore may forward (--nb-cores). Defaults\n"
"added for this machine, each said on stderr:\n"
"  - no hugepages mounted (HugePages_Total 0 or no hugetlbfs): --no-huge -m 1024;\n"
"  - no PCI device bound to vfio-pci, uio_pci_generic, igb_uio or an mlx driver:\n"
"    --no-pci;\n"
"  - no port at all after the EAL probed, and no device named or excluded (no\n"
"    -a/--allow, --vdev, -b/--block): the vdevs net_null0 and net_null1 (an\n"
"    endless source and sink: the forwarder's own speed, no NIC needed).\n"
"A device named with -a/--allow or --vdev that gives no port (no such device, not\n"
"bound to a DPDK driver, a failed probe) is an error before the run (exit 1), as\n"
"is -b/--block with no port left: no fallback to the embedded pair.\n"
"So '%s' alone runs on a fresh machine. --file-prefix is left to you: two DPDK\n"
"processes at once need distinct --file-prefix values (or --in-memory).\n"
"Without '--', arguments are the program's options when the first one is, else EAL's.\n"
"\n"
"Options:\n"
"  --forward-mode=MODE    io (default), mac, macswap, rxonly, txonly, flowgen, udpecho:\n",
		pmd_prog, pmd_prog);
	for (unsigned int i = 0; engines[i] != NULL; i++)
		fprintf(f, "%29s%-9s %s\n", "", engines[i]->name, engines[i]->help);
	fprintf(f,
"  --nb-cores=N           forwarding lcores, 1 .. the worker lcores (default 1)\n"
"  --rxq=N, --txq=N       rx / tx queues per port, 1..%d (default 1)\n"
"  --rxd=N, --txd=N       rx / tx ring entries (default %d)\n"
"  --burst=N              packets per burst, 1..%d (default 32)\n"
"  --txpkts=N             packet size in bytes for txonly, flowgen, --tx-first,\n"
"                         42..2048 (default 64)\n"
"  --eth-peer=N,XX:XX:XX:XX:XX:XX\n"
"                         destination MAC for port N in mac, txonly and flowgen\n"
"                         (default 02:00:00:00:00:N)\n"
"  --portlist=LIST        forwarding ports, by DPDK port id: 0,1 or 0-3 (default all)\n"
"  --port-topology=T      paired (default: 0<->1, 2<->3, an odd last port or a single\n"
"                         port to itself), chained (0->1->...->0) or loop (each to itself)\n"
"  --throttle-us=N        the forwarding contexts' throttle: at most one react (timers,\n"
"                         epoll) per N us, parking in between when idle; 0 busy polls\n"
"                         like testpmd. Default %d: idle, a forwarding lcore costs ~2%%\n"
"                         of a core instead of 100%%; under load the ring budget cuts\n"
"                         the park so no packet is lost. 1000 costs ~0.6%% idle but\n"
"                         takes traffic that starts out of silence 5x less well\n"
"                         (doc/performance.md, lcx-pmd)\n"
"  --idle-park-us=N       after %d idle reacts in a row a context parks up to N us\n"
"                         (default %d x throttle; N = throttle: no back-off)\n"
"  --stats-period=DUR     print per-port rates every DUR (one line that rewrites\n"
"                         itself on a terminal, plain lines otherwise), on stdout\n"
"  --stats-json           with --stats-period: one JSON object per period on stdout\n"
"                         instead of the live line (totals and the period's rates;\n"
"                         doc/pmd.md); the final table then goes to stderr\n"
"  --duration=DUR         stop after DUR, > 0 (default: run until a signal); the run\n"
"                         lasts at least DUR (duration_s >= DUR)\n"
"  --json=FILE            write the final summary as JSON to FILE ('-': stdout). Checked\n"
"                         at start (exit 1 if its directory is missing or not\n"
"                         writable, or FILE is a directory, a symbolic link or not a\n"
"                         regular file); written whole at the end into the same\n"
"                         directory and renamed over FILE: a killed run leaves FILE as\n"
"                         it was. Includes mbuf_pools: each pool's name, size,\n"
"                         available and in_use (not back) at exit, after the ports\n"
"                         closed\n"
"  --control=PATH         serve line-delimited JSON on a unix stream socket:\n"
"                         {\"cmd\":\"help\"}, {\"cmd\":\"stats\"}, {\"cmd\":\"stop\"},\n"
"                         {\"cmd\":\"set\",\"throttle_us\":N} (doc/control.md)\n"
"  --control-mode=MODE    the socket's mode, octal (default 0600; 0660 with a group);\n"
"                         only root, our uid and the group may talk, whatever the mode\n"
"  --control-group=GROUP  the socket's group, name or number: its members may talk\n"
"  --control-idle=DUR     close a control client idle DUR (default 60s; 0: never)\n"
"  --tx-first             send one burst of txonly packets on every stream first\n"
"                         (testpmd's 'start tx_first'): seeds io/mac loops\n"
"  --tx-rate-pps=N        txonly/flowgen: send N packets/s in all, on a schedule of\n"
"                         absolute deadlines (lcx-bench's pacer): a late generator\n"
"                         sends what it owes late; intended/offered/skipped/owed in\n"
"                         the summary. A throttle makes the traffic bursty: what is\n"
"                         owed since the last wake leaves back to back\n"
"  --tx-count=N           txonly/flowgen: send exactly N packets in all, then stop sending\n"
"  --flowgen-flows=N      flowgen: destination addresses, 1..65536 (default 1024)\n"
"  --total-num-mbufs=N    mbufs per pool (default: what the rings need, at least 8192)\n"
"  --mp-alloc=LAYOUT      mbuf pool layout: auto (default), packed or native. packed:\n"
"                         mbufs back to back (needs IOVA mode VA); native: DPDK's\n"
"                         rte_pktmbuf_pool_create(), one mbuf per 4 KiB page without\n"
"                         hugepages; auto: packed in IOVA mode VA, else native\n"
"  --metrics=ADDR:PORT    Prometheus endpoint, http://ADDR:PORT/metrics (PORT alone:\n"
"                         127.0.0.1:PORT; [ADDR6]:PORT; port 0: one the kernel\n"
"                         picks, said on stderr); doc/metrics.md, doc/pmd.md\n"
"  --user=USER            drop root once the ports are up: setgroups, setgid, setuid\n"
"                         (the --json file is given to USER; the control socket is\n"
"                         made after the drop); doc/security.md\n"
"  --group=GROUP          the group to drop to (default: USER's)\n"
"  --pidfile=FILE         our pid, created new (a stale one replaced), removed at exit\n"
"  -h, --help             this text\n"
"  --version              the program's, lcx's and DPDK's versions\n"
"\n"
"DUR: a number with ns, us, ms, s (the default: 1.5 is 1.5 s), m or h. Integers\n"
"are decimal (no 0x, no sign).\n"
"\n"
"Links are read every 100 ms and each change said once on stderr; a memif client\n"
"whose link goes down is stopped and started until it is back (0.5 to 5 s apart);\n"
"--json counts link_downs, restarts and restart_failures per port.\n"
"Generators (txonly, flowgen) also receive: what arrives is counted and freed.\n"
"Signals: SIGINT, SIGTERM, SIGQUIT and SIGHUP stop cleanly: final figures, --json,\n"
"the --control socket removed (SIGHUP too: lcx-pmd has no file to reopen). SIGUSR1\n"
"prints the figures so far and goes on; SIGUSR2 and SIGALRM are ignored.\n"
"Exit status: 0 done, 1 run-time error (port, pool, lcore, a named device that gave\n"
"no port, --json that cannot be written, mbufs not back in their pool at exit),\n"
"2 usage error.\n"
"\n"
"Examples:\n"
"  %s -- --duration=5\n"
"  %s -l 0,1 --no-huge -m 1024 --no-pci --file-prefix=p1 --vdev=net_null0 \\\n"
"      --vdev=net_null1 -- --forward-mode=macswap --stats-period=1 --json=out.json\n",
		LCX_PORT_QUEUES_MAX, DEFAULT_RING, PMD_BURST_MAX, DEFAULT_THROTTLE_US, LCX_IDLE_REACTS,
		LCX_IDLE_PARK_FACTOR, pmd_prog, pmd_prog);
}

/* --- option values --- */

static uint64_t
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;
	int ret = app_parse_u64(s, min, max, &v);

	if (ret == -ERANGE)
		usage_error("%s: '%s' is out of range [%llu, %llu]", opt, s,
			    (unsigned long long)min, (unsigned long long)max);
	if (ret < 0)
		usage_error("%s: '%s' is not a number", opt, s);
	return v;
}

/* A duration > 0 and at most 1e7 s: 1.5 (seconds), 2s, 500ms, 250us, 1m. */
static uint64_t
parse_duration(const char *opt, const char *s)
{
	uint64_t ns;

	if (app_parse_duration(s, &ns) < 0 || ns == 0 || ns > 10000000 * 1000000000ull)
		usage_error("%s: '%s' is not a duration > 0 (such as 1.5, 2s, 500ms, 250us, 1m; "
			    "a number alone: seconds)", opt, s);
	return ns;
}

/* DPDK's own parser (rte_ether_unformat_addr): XX:XX:XX:XX:XX:XX or XXXX:XXXX:XXXX. */
static void
parse_mac(const char *opt, const char *s, struct rte_ether_addr *mac)
{
	if (rte_ether_unformat_addr(s, mac) != 0)
		usage_error("%s: '%s' is not a MAC address (XX:XX:XX:XX:XX:XX or "
			    "XXXX:XXXX:XXXX)", opt, s);
}

static void
parse_portlist(const char *s)
{
	char buf[256];
	char *save = NULL;

	if (strlen(s) >= sizeof(buf) || *s == '\0')
		usage_error("--portlist: bad list '%s'", s);
	strcpy(buf, s);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi;

		if (dash != NULL) {
			*dash = '\0';
			lo = parse_u64("--portlist", tok, 0, RTE_MAX_ETHPORTS - 1);
			hi = parse_u64("--portlist", dash + 1, 0, RTE_MAX_ETHPORTS - 1);
			if (hi < lo)
				usage_error("--portlist: bad range '%s-%s'", tok, dash + 1);
		} else {
			lo = hi = parse_u64("--portlist", tok, 0, RTE_MAX_ETHPORTS - 1);
		}
		for (uint64_t p = lo; p <= hi; p++) {
			for (uint16_t i = 0; i < pmd.nb_portlist; i++)
				if (pmd.portlist[i] == p)
					usage_error("--portlist: port %llu given twice",
						    (unsigned long long)p);
			if (pmd.nb_portlist >= PMD_MAX_PORTS)
				usage_error("--portlist: more than %d ports", PMD_MAX_PORTS);
			pmd.portlist[pmd.nb_portlist++] = (uint16_t)p;
		}
	}
	pmd.portlist_set = true;
}

static void
parse_peer(const char *s)
{
	const char *comma = strchr(s, ',');
	char num[16];
	uint64_t port;
	unsigned int i;

	if (comma == NULL || (size_t)(comma - s) >= sizeof(num))
		usage_error("--eth-peer: expected N,XX:XX:XX:XX:XX:XX, got '%s'", s);
	memcpy(num, s, (size_t)(comma - s));
	num[comma - s] = '\0';
	port = parse_u64("--eth-peer", num, 0, RTE_MAX_ETHPORTS - 1);
	for (i = 0; i < PMD_MAX_PORTS && pmd.peers[i].set; i++)
		if (pmd.peers[i].ethdev_id == port)
			break;
	if (i == PMD_MAX_PORTS)
		usage_error("--eth-peer: too many");
	pmd.peers[i].set = true;
	pmd.peers[i].ethdev_id = (uint16_t)port;
	parse_mac("--eth-peer", comma + 1, &pmd.peers[i].mac);
	pmd.peers_given = true;
}

enum {
	OPT_MODE = 256, OPT_NB_CORES, OPT_RXQ, OPT_TXQ, OPT_RXD, OPT_TXD, OPT_BURST, OPT_TXPKTS,
	OPT_PEER, OPT_PORTLIST, OPT_TOPO, OPT_THROTTLE, OPT_IDLE_PARK, OPT_STATS, OPT_DURATION, OPT_JSON,
	OPT_CONTROL, OPT_CONTROL_MORE,
	OPT_TX_FIRST, OPT_TX_RATE, OPT_TX_COUNT, OPT_FLOWS, OPT_MBUFS, OPT_MP_ALLOC,
	OPT_METRICS, OPT_USER, OPT_GROUP, OPT_PIDFILE,
	OPT_STATS_JSON,
};

static const struct option long_opts[] = {
	{ "forward-mode", required_argument, NULL, OPT_MODE },
	{ "nb-cores", required_argument, NULL, OPT_NB_CORES },
	{ "rxq", required_argument, NULL, OPT_RXQ },
	{ "txq", required_argument, NULL, OPT_TXQ },
	{ "rxd", required_argument, NULL, OPT_RXD },
	{ "txd", required_argument, NULL, OPT_TXD },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "txpkts", required_argument, NULL, OPT_TXPKTS },
	{ "eth-peer", required_argument, NULL, OPT_PEER },
	{ "portlist", required_argument, NULL, OPT_PORTLIST },
	{ "port-topology", required_argument, NULL, OPT_TOPO },
	{ "throttle-us", required_argument, NULL, OPT_THROTTLE },
	{ "idle-park-us", required_argument, NULL, OPT_IDLE_PARK },
	{ "stats-period", required_argument, NULL, OPT_STATS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "control-mode", required_argument, NULL, OPT_CONTROL_MORE },
	{ "control-group", required_argument, NULL, OPT_CONTROL_MORE },
	{ "control-idle", required_argument, NULL, OPT_CONTROL_MORE },
	{ "tx-first", no_argument, NULL, OPT_TX_FIRST },
	{ "tx-rate-pps", required_argument, NULL, OPT_TX_RATE },
	{ "tx-count", required_argument, NULL, OPT_TX_COUNT },
	{ "flowgen-flows", required_argument, NULL, OPT_FLOWS },
	{ "total-num-mbufs", required_argument, NULL, OPT_MBUFS },
	{ "mp-alloc", required_argument, NULL, OPT_MP_ALLOC },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "user", required_argument, NULL, OPT_USER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "stats-json", no_argument, NULL, OPT_STATS_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

bool
pmd_is_app_option(const char *arg)
{
	if (strcmp(arg, "-h") == 0)
		return true;
	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return false;
	for (const struct option *o = long_opts; o->name != NULL; o++) {
		size_t n = strlen(o->name);

		if (strncmp(arg + 2, o->name, n) == 0 && (arg[2 + n] == '\0' || arg[2 + n] == '='))
			return true;
	}
	return false;
}

void
pmd_parse_args(int argc, char **argv)
{
	int c;

	pmd.engine = &io_engine;
	pmd.nb_cores = 1;
	pmd.nb_rxq = 1;
	pmd.nb_txq = 1;
	pmd.nb_rxd = DEFAULT_RING;
	pmd.nb_txd = DEFAULT_RING;
	pmd.burst = 32;
	pmd.txpkts = 64;
	pmd.throttle_us = DEFAULT_THROTTLE_US;
	pmd.flowgen_flows = 1024;
	pmd.topology = TOPO_PAIRED;

	optind = 0; /* full re-initialisation of glibc's getopt */
	opterr = 0;
	int li = -1;

	while ((c = getopt_long(argc, argv, ":h", long_opts, &li)) != -1) {
		switch (c) {
		case 'h':
			pmd_usage(stdout);
			exit(PMD_EXIT_OK);
		case 'V':
			app_print_version(stdout, pmd_prog);
			exit(PMD_EXIT_OK);
		case OPT_MODE: {
			unsigned int i;

			for (i = 0; engines[i] != NULL; i++)
				if (strcmp(engines[i]->name, optarg) == 0)
					break;
			if (engines[i] == NULL)
				usage_error("--forward-mode: unknown mode '%s' (io, mac, macswap, "
					    "rxonly, txonly, flowgen, udpecho)", optarg);
			pmd.engine = engines[i];
			break;
		}
		case OPT_NB_CORES:
			pmd.nb_cores = (unsigned int)parse_u64("--nb-cores", optarg, 1,
							       PMD_MAX_LCORES);
			break;
		case OPT_RXQ:
			pmd.nb_rxq = (uint16_t)parse_u64("--rxq", optarg, 1, LCX_PORT_QUEUES_MAX);
			break;
		case OPT_TXQ:
			pmd.nb_txq = (uint16_t)parse_u64("--txq", optarg, 1, LCX_PORT_QUEUES_MAX);
			break;
		case OPT_RXD:
			pmd.nb_rxd = (uint16_t)parse_u64("--rxd", optarg, 32, 32768);
			break;
		case OPT_TXD:
			pmd.nb_txd = (uint16_t)parse_u64("--txd", optarg, 32, 32768);
			break;
		case OPT_BURST:
			pmd.burst = (uint16_t)parse_u64("--burst", optarg, 1, PMD_BURST_MAX);
			break;
		case OPT_TXPKTS:
			pmd.txpkts = (uint16_t)parse_u64("--txpkts", optarg, 42, 2048);
			break;
		case OPT_PEER:
			parse_peer(optarg);
			break;
		case OPT_PORTLIST:
			parse_portlist(optarg);
			break;
		case OPT_TOPO:
			if (strcmp(optarg, "paired") == 0)
				pmd.topology = TOPO_PAIRED;
			else if (strcmp(optarg, "chained") == 0)
				pmd.topology = TOPO_CHAINED;
			else if (strcmp(optarg, "loop") == 0)
				pmd.topology = TOPO_LOOP;
			else
				usage_error("--port-topology: '%s' is not paired, chained or loop",
					    optarg);
			break;
		case OPT_THROTTLE:
			pmd.throttle_us = parse_u64("--throttle-us", optarg, 0,
						    LCX_THROTTLE_MAX_NS / 1000);
			break;
		case OPT_IDLE_PARK:
			pmd.idle_park_us = parse_u64("--idle-park-us", optarg, 1,
						     LCX_THROTTLE_MAX_NS / 1000);
			break;
		case OPT_STATS:
			pmd.stats_ns = parse_duration("--stats-period", optarg);
			break;
		case OPT_DURATION:
			pmd.duration_ns = parse_duration("--duration", optarg);
			break;
		case OPT_JSON:
			if (*optarg == '\0')
				usage_error("--json: empty file name");
			pmd.json_path = optarg;
			break;
		case OPT_CONTROL:
			if (*optarg == '\0')
				usage_error("--control: empty path");
			if (strlen(optarg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
				usage_error("--control: path longer than %zu bytes",
					    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			pmd.control_path = optarg;
			break;
		case OPT_CONTROL_MORE: {
			const char *why = NULL;

			if (app_ctlsrv_option(long_opts[li].name, optarg, &why) < 0)
				usage_error("--%s: '%s': %s", long_opts[li].name, optarg, why);
			break;
		}
		case OPT_TX_FIRST:
			pmd.tx_first = true;
			break;
		case OPT_TX_RATE:
			pmd.tx_rate_pps = parse_u64("--tx-rate-pps", optarg, 1, 1000000000ull);
			break;
		case OPT_TX_COUNT:
			pmd.tx_count = parse_u64("--tx-count", optarg, 1, UINT64_MAX - 1);
			break;
		case OPT_FLOWS:
			pmd.flowgen_flows = (uint32_t)parse_u64("--flowgen-flows", optarg, 1, 65536);
			break;
		case OPT_MBUFS:
			pmd.total_mbufs = (uint32_t)parse_u64("--total-num-mbufs", optarg, 64,
							      UINT32_MAX);
			break;
		case OPT_MP_ALLOC:
			if (lcx_pool_layout_parse(optarg, &pmd.pool_layout) != 0)
				usage_error("--mp-alloc: '%s' is not auto, packed or native", optarg);
			break;
		case OPT_METRICS:
			if (app_metrics_check(optarg) < 0)
				usage_error("--metrics: '%s' is not ADDR:PORT, [ADDR6]:PORT or PORT "
					    "(numeric; PORT alone listens on 127.0.0.1)", optarg);
			pmd.metrics = optarg;
			break;
		case OPT_USER:
		case OPT_GROUP: {
			const char *why = NULL;

			if (app_user_option(long_opts[li].name, optarg, &pmd.user, &why) != 0)
				usage_error("--%s: '%s': %s", long_opts[li].name, optarg,
					    why != NULL ? why : "bad value");
			break;
		}
		case OPT_PIDFILE:
			if (*optarg == '\0')
				usage_error("--pidfile: empty file name");
			pmd.pidfile_path = optarg;
			break;
		case OPT_STATS_JSON:
			pmd.stats_json = true;
			break;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if ((pmd.tx_rate_pps != 0 || pmd.tx_count != 0) && pmd.engine->gen == NULL)
		usage_error("--tx-rate-pps and --tx-count apply to txonly and flowgen, not %s",
			    pmd.engine->name);
	if (pmd.tx_first && pmd.engine->gen != NULL)
		usage_error("--tx-first: %s sends anyway", pmd.engine->name);
	if (pmd.stats_json && pmd.stats_ns == 0)
		usage_error("--stats-json needs --stats-period (how often)");
}
