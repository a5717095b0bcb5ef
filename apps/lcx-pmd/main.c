/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-pmd: a testpmd-style forwarder on lcx contexts.
 *
 *   lcx-pmd [EAL options] -- [options]
 *
 * Order: the EAL defaults this machine needs are added (hugepages, PCI), the
 * program's options are checked (before the EAL starts, so a usage error costs
 * nothing), rte_eal_init(), lcx_eal_attach(), then ports (an embedded net_null
 * pair when there is none), pools, forwarding contexts, and the main lcore's
 * control context, which runs until a signal, --duration, or a control "stop".
 * At the end: the final figures, the contexts released, the ports closed, every
 * mbuf pool counted (mbuf_pools in --json), then --json is renamed into place.
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "ealdev.h"
#include "outfile.h"
#include "pmd.h"

struct pmd pmd;

#define DEFAULT_THROTTLE_US 200
#define DEFAULT_RING 1024
#define MBUF_CACHE 250
#define CTL_THROTTLE_NS 10000000ull /* 10 ms: signals, timers, the control socket */

static const struct fwd_engine *const engines[] = {
	&io_engine,     &mac_engine,     &macswap_engine, &rxonly_engine,
	&txonly_engine, &flowgen_engine, &udpecho_engine, NULL,
};

static const char *prog = "lcx-pmd";

static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s: try '%s --help'\n", prog, prog);
	exit(PMD_EXIT_USAGE);
}

static void __attribute__((format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void
usage(FILE *f)
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
		prog, prog);
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
"  --stats-period=S       print per-port rates every S seconds (one line that rewrites\n"
"                         itself on a terminal, plain lines otherwise)\n"
"  --duration=S           stop after S seconds (default: run until a signal); the run\n"
"                         lasts at least S (duration_s >= S)\n"
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
"  --control-idle=S       close a control client idle S seconds (default 60; 0: never)\n"
"  --tx-first             send one burst of txonly packets on every stream first\n"
"                         (testpmd's 'start tx_first'): seeds io/mac loops\n"
"  --tx-rate-pps=N        txonly/flowgen: send at most N packets/s in all (paced per\n"
"                         throttle period)\n"
"  --tx-count=N           txonly/flowgen: send exactly N packets in all, then stop sending\n"
"  --flowgen-flows=N      flowgen: destination addresses, 1..65536 (default 1024)\n"
"  --total-num-mbufs=N    mbufs per pool (default: what the rings need, at least 8192)\n"
"  --mp-alloc=LAYOUT      mbuf pool layout: auto (default), packed or native. packed:\n"
"                         mbufs back to back (needs IOVA mode VA); native: DPDK's\n"
"                         rte_pktmbuf_pool_create(), one mbuf per 4 KiB page without\n"
"                         hugepages; auto: packed in IOVA mode VA, else native\n"
"  -h, --help             this text\n"
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
		LCX_IDLE_PARK_FACTOR, prog, prog);
}

/* --- option parsing --- */

static uint64_t
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		usage_error("%s: '%s' is not a number", opt, s ? s : "");
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		usage_error("%s: '%s' is not a number", opt, s);
	if (v < min || v > max)
		usage_error("%s: %llu is out of range [%llu, %llu]", opt, v, (unsigned long long)min,
			    (unsigned long long)max);
	return v;
}

static double
parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	if (s == NULL || *s == '\0' || *s == ' ')
		usage_error("%s: '%s' is not a number of seconds", opt, s ? s : "");
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v <= 0 || v > 1e7)
		usage_error("%s: '%s' is not a number of seconds (> 0)", opt, s);
	return v;
}

static void
parse_mac(const char *opt, const char *s, struct rte_ether_addr *mac)
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 || strlen(s) != 17)
		usage_error("%s: '%s' is not a MAC address XX:XX:XX:XX:XX:XX", opt, s);
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)b[i];
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
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool
is_app_option(const char *arg)
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

static void
parse_app_args(int argc, char **argv)
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
			usage(stdout);
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
			pmd.stats_period_s = parse_seconds("--stats-period", optarg);
			break;
		case OPT_DURATION:
			pmd.duration_s = parse_seconds("--duration", optarg);
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

			if (pmd_control_option(long_opts[li].name, optarg, &why) < 0)
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
}

/* --- EAL defaults --- */

static bool
has_arg(int argc, char **argv, const char *name, bool prefix)
{
	size_t n = strlen(name);

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return true;
		if (strncmp(argv[i], name, n) == 0 &&
		    (argv[i][n] == '=' || (prefix && argv[i][n] != '\0')))
			return true;
	}
	return false;
}

static bool
hugepages_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long total = 0;
	bool mounted = false;

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "HugePages_Total: %ld", &total) == 1)
				break;
		fclose(f);
	}
	f = fopen("/proc/mounts", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, " hugetlbfs ") != NULL)
				mounted = true;
		fclose(f);
	}
	return total > 0 && mounted;
}

/* A PCI device bound to a driver DPDK can use. */
static bool
pci_usable(void)
{
	static const char *const drivers[] = { "vfio-pci", "uio_pci_generic", "igb_uio",
					       "mlx5_core", "mlx4_core", NULL };
	char path[128];

	for (int i = 0; drivers[i] != NULL; i++) {
		DIR *d;
		struct dirent *e;
		bool found = false;

		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drivers[i]);
		d = opendir(path);
		if (d == NULL)
			continue;
		/* A bound device shows as a link named by its address: 0000:01:00.0. */
		while (!found && (e = readdir(d)) != NULL) {
			unsigned int dom, bus, dev, fn;
			char tail;

			if (sscanf(e->d_name, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4)
				found = true;
		}
		closedir(d);
		if (found)
			return true;
	}
	return false;
}

struct argvec {
	char **v;
	int n;
	int cap;
};

static void
argvec_add(struct argvec *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = realloc(a->v, (size_t)a->cap * sizeof(*a->v));
		if (a->v == NULL)
			die(PMD_EXIT_ERROR, "out of memory");
	}
	a->v[a->n++] = strdup(s);
	a->v[a->n] = NULL;
}

/* --- ports, pools, streams --- */

static const char *
port_label(uint16_t i)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "port %u (%s)", pmd.ports[i].ethdev_id, pmd.ports[i].name);
	return buf;
}

/*
 * The ports: what the EAL made of the devices named on its command line, or, when
 * none was named (no -a/--allow, --vdev, -b/--block) and none was found, the
 * embedded net_null pair. A named device that gave no port is an error: no
 * fallback to a default the user did not ask for.
 */
static void
find_ports(const struct app_devs *devs)
{
	uint16_t id;
	unsigned int missing = app_devs_check(devs, prog);

	if (missing > 0)
		die(PMD_EXIT_ERROR, "%u device%s named on the EAL command line gave no port: "
		    "stopping (the embedded net_null ports are only for a run that names no "
		    "device)", missing, missing == 1 ? "" : "s");
	if (rte_eth_dev_count_avail() == 0 && !app_devs_given(devs) && !pmd.portlist_set) {
		fprintf(stderr, "%s: no port found: adding --vdev=net_null0 --vdev=net_null1 (an "
				"endless source and sink; give --vdev or a PCI device for real "
				"traffic)\n", prog);
		if (rte_dev_probe("net_null0") < 0 || rte_dev_probe("net_null1") < 0)
			die(PMD_EXIT_ERROR, "cannot create the net_null ports");
	}
	if (rte_eth_dev_count_avail() == 0)
		die(PMD_EXIT_ERROR, "no ethdev port%s: give --vdev=... or a PCI device",
		    devs->block ? " (-b/--block given: no embedded default)" : "");
	if (pmd.portlist_set) {
		for (uint16_t i = 0; i < pmd.nb_portlist; i++) {
			if (!rte_eth_dev_is_valid_port(pmd.portlist[i])) {
				fprintf(stderr, "%s: --portlist: port %u does not exist (%u ports: ",
					prog, pmd.portlist[i], rte_eth_dev_count_avail());
				bool first = true;

				RTE_ETH_FOREACH_DEV(id) {
					fprintf(stderr, "%s%u", first ? "" : ", ", id);
					first = false;
				}
				fprintf(stderr, ")\n");
				exit(PMD_EXIT_USAGE);
			}
			pmd.ports[pmd.nb_ports++].ethdev_id = pmd.portlist[i];
		}
	} else {
		RTE_ETH_FOREACH_DEV(id) {
			if (pmd.nb_ports >= PMD_MAX_PORTS) {
				fprintf(stderr, "%s: using the first %d ports only\n", prog,
					PMD_MAX_PORTS);
				break;
			}
			pmd.ports[pmd.nb_ports++].ethdev_id = id;
		}
	}
	for (unsigned int i = 0; i < PMD_MAX_PORTS && pmd.peers[i].set; i++) {
		uint16_t p;

		for (p = 0; p < pmd.nb_ports; p++)
			if (pmd.ports[p].ethdev_id == pmd.peers[i].ethdev_id)
				break;
		if (p == pmd.nb_ports)
			die(PMD_EXIT_USAGE, "--eth-peer: port %u is not a forwarding port",
			    pmd.peers[i].ethdev_id);
		pmd.ports[p].peer = pmd.peers[i].mac;
	}
}

static uint16_t
tx_port_of(uint16_t i)
{
	if (pmd.engine->echo)
		return i;
	switch (pmd.topology) {
	case TOPO_CHAINED:
		return (uint16_t)((i + 1) % pmd.nb_ports);
	case TOPO_LOOP:
		return i;
	case TOPO_PAIRED:
	default:
		return (i ^ 1u) < pmd.nb_ports ? (uint16_t)(i ^ 1u) : i;
	}
}

static uint32_t
mbufs_needed(int socket)
{
	uint64_t n = 0;

	for (uint16_t i = 0; i < pmd.nb_ports; i++)
		if (rte_eth_dev_socket_id(pmd.ports[i].ethdev_id) == socket ||
		    rte_eth_dev_socket_id(pmd.ports[i].ethdev_id) < 0)
			n += (uint64_t)pmd.nb_rxq * pmd.nb_rxd + (uint64_t)pmd.nb_txq * pmd.nb_txd;
	/* Per-lcore caches and the bursts in flight in the handlers. */
	n += (uint64_t)(pmd.nb_lcores + 1) * (MBUF_CACHE + PMD_BURST_MAX);
	n += (uint64_t)pmd.nb_streams * pmd.burst * 2;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static int
port_socket(uint16_t i)
{
	int s = rte_eth_dev_socket_id(pmd.ports[i].ethdev_id);

	return s < 0 ? (int)rte_socket_id() : s;
}

static void
make_pools(void)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		int s = port_socket(i);
		uint32_t need = mbufs_needed(s);
		uint32_t n = pmd.total_mbufs;
		char name[RTE_MEMPOOL_NAMESIZE];

		if (pmd.pools[s] != NULL)
			continue;
		if (n == 0) {
			n = need > 8192 ? need : 8192;
		} else if (n < need) {
			die(PMD_EXIT_USAGE,
			    "pool too small: --total-num-mbufs=%u, but %u ports x (%u rx + %u tx "
			    "ring entries) plus caches and bursts need at least %u",
			    n, pmd.nb_ports, pmd.nb_rxq * pmd.nb_rxd, pmd.nb_txq * pmd.nb_txd, need);
		}
		snprintf(name, sizeof(name), "lcxpmd_pool_s%d", s);
		pmd.pools[s] = lcx_pktmbuf_pool_create(name, n, MBUF_CACHE, 0,
						       RTE_MBUF_DEFAULT_BUF_SIZE, s, pmd.pool_layout);
		if (pmd.pools[s] == NULL && pmd.pool_layout == LCX_POOL_PACKED &&
		    rte_errno == EINVAL)
			die(PMD_EXIT_USAGE, "--mp-alloc=packed needs the EAL's IOVA mode VA "
			    "(--iova-mode=va); this run has PA");
		if (pmd.pools[s] == NULL)
			die(PMD_EXIT_ERROR,
			    "cannot create a pool of %u mbufs on socket %d: %s (give the EAL more "
			    "memory with -m, or fewer mbufs)", n, s, rte_strerror(rte_errno));
	}
}

const char *
pmd_pool_layout(void)
{
	for (unsigned int s = 0; s < RTE_DIM(pmd.pools); s++)
		if (pmd.pools[s] != NULL)
			return lcx_pool_layout_name(lcx_pktmbuf_pool_layout(pmd.pools[s]));
	return lcx_pool_layout_name(pmd.pool_layout);
}

static void
open_ports(void)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		struct pmd_port *pp = &pmd.ports[i];
		char devargs[16];
		struct lcx_port_conf conf = {
			.driver = "dpdk",
			.devargs = devargs,
			.nb_rxq = pmd.nb_rxq,
			.nb_txq = pmd.nb_txq,
			.nb_rxd = pmd.nb_rxd,
			.nb_txd = pmd.nb_txd,
			.burst = pmd.burst,
			.pool = pmd.pools[port_socket(i)],
			.promiscuous = true,
		};
		int ret;

		snprintf(devargs, sizeof(devargs), "%u", pp->ethdev_id);
		if (rte_eth_dev_get_name_by_port(pp->ethdev_id, pp->name) != 0)
			snprintf(pp->name, sizeof(pp->name), "port%u", pp->ethdev_id);
		ret = lcx_port_create(&conf, &pp->port);
		if (ret < 0)
			die(PMD_EXIT_ERROR, "%s: cannot configure (%u rxq, %u txq, %u/%u ring "
			    "entries): %s", port_label(i), pmd.nb_rxq, pmd.nb_txq, pmd.nb_rxd,
			    pmd.nb_txd, strerror(-ret));
		ret = lcx_port_start(pp->port);
		if (ret < 0)
			die(PMD_EXIT_ERROR, "%s: cannot start: %s", port_label(i), strerror(-ret));
		if (lcx_port_mac(pp->port, pp->mac.addr_bytes) < 0)
			memset(&pp->mac, 0, sizeof(pp->mac));
		bool peer_set = false;

		for (unsigned int k = 0; k < PMD_MAX_PORTS && pmd.peers[k].set; k++)
			if (pmd.peers[k].ethdev_id == pp->ethdev_id)
				peer_set = true;
		if (!peer_set) {
			memset(&pp->peer, 0, sizeof(pp->peer));
			pp->peer.addr_bytes[0] = 0x02;
			pp->peer.addr_bytes[5] = (uint8_t)pp->ethdev_id;
		}
	}
}

static void
make_streams(void)
{
	unsigned int workers = 0, lcore;
	unsigned int owner[PMD_MAX_PORTS][LCX_PORT_QUEUES_MAX];

	pmd.nb_streams = (uint32_t)pmd.nb_ports * pmd.nb_rxq;
	pmd.streams = rte_zmalloc("lcxpmd_streams", sizeof(*pmd.streams) * pmd.nb_streams,
				  RTE_CACHE_LINE_SIZE);
	if (pmd.streams == NULL)
		die(PMD_EXIT_ERROR, "out of memory for %u streams", pmd.nb_streams);

	RTE_LCORE_FOREACH_WORKER(lcore)
		workers++;
	if (workers == 0)
		die(PMD_EXIT_USAGE, "no forwarding lcore: the EAL has only the main lcore; give "
				    "two lcores or more (-l 0,1)");
	if (pmd.nb_cores > workers)
		die(PMD_EXIT_USAGE, "--nb-cores=%u, but only %u worker lcores (EAL -l/--lcores)",
		    pmd.nb_cores, workers);
	pmd.nb_lcores = pmd.nb_cores;
	if (pmd.nb_lcores > pmd.nb_streams) {
		fprintf(stderr, "%s: %u streams for %u cores: using %u forwarding cores\n", prog,
			pmd.nb_streams, pmd.nb_lcores, pmd.nb_streams);
		pmd.nb_lcores = pmd.nb_streams;
	}
	unsigned int k = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (k >= pmd.nb_lcores)
			break;
		struct fwd_lcore *fl = &pmd.lcores[k];

		fl->lcore_id = lcore;
		fl->first_stream = (uint32_t)((uint64_t)k * pmd.nb_streams / pmd.nb_lcores);
		fl->nb_streams = (uint32_t)((uint64_t)(k + 1) * pmd.nb_streams / pmd.nb_lcores) -
				 fl->first_stream;
		snprintf(fl->name, sizeof(fl->name), "fwd-%u", lcore);
		k++;
	}

	memset(owner, 0xff, sizeof(owner));
	uint64_t rate_left = pmd.tx_rate_pps, count_left = pmd.tx_count;

	if (pmd.engine->gen != NULL && pmd.tx_rate_pps != 0 && pmd.tx_rate_pps < pmd.nb_streams)
		die(PMD_EXIT_USAGE, "--tx-rate-pps=%llu is less than one packet/s per stream "
		    "(%u streams)", (unsigned long long)pmd.tx_rate_pps, pmd.nb_streams);
	for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
		struct fwd_lcore *fl = &pmd.lcores[l];

		for (uint32_t s = fl->first_stream; s < fl->first_stream + fl->nb_streams; s++) {
			struct fwd_stream *fs = &pmd.streams[s];
			uint16_t rxp = (uint16_t)(s / pmd.nb_rxq);
			uint16_t txp = tx_port_of(rxp);
			uint32_t left = pmd.nb_streams - s;

			fs->fl = fl;
			fs->rx_port_id = rxp;
			fs->rx_port = pmd.ports[rxp].port;
			fs->rx_queue = (uint16_t)(s % pmd.nb_rxq);
			fs->tx_port_id = txp;
			fs->tx_port = pmd.ports[txp].port;
			fs->tx_queue = (uint16_t)(fs->rx_queue % pmd.nb_txq);
			fs->tx_src = pmd.ports[txp].mac;
			fs->tx_dst = pmd.ports[txp].peer;
			fs->tx_link = &pmd.ports[txp].link_up;
			fs->pool = pmd.pools[port_socket(txp)];
			fs->pkt_len = pmd.txpkts;
			fs->burst = pmd.burst;
			fs->nb_flows = pmd.flowgen_flows;
			/* Shares of the rate and the count: spread the remainder. */
			fs->rate_pps = pmd.tx_rate_pps != 0 ? rate_left / left : 0;
			rate_left -= fs->rate_pps;
			if (pmd.tx_count != 0) {
				fs->gen_quota = count_left / left;
				count_left -= fs->gen_quota;
			} else {
				fs->gen_quota = UINT64_MAX;
			}
			pmd_pkt_template(fs);

			if (owner[txp][fs->tx_queue] != UINT_MAX &&
			    owner[txp][fs->tx_queue] != fl->lcore_id)
				die(PMD_EXIT_USAGE,
				    "tx queue %u of %s would be shared by lcores %u and %u: give "
				    "--txq=%u (tx queues are not thread-safe)", fs->tx_queue,
				    port_label(txp), owner[txp][fs->tx_queue], fl->lcore_id,
				    pmd.nb_rxq);
			owner[txp][fs->tx_queue] = fl->lcore_id;
		}
	}
}

/* --- contexts --- */

static void links_check(bool quiet);

static int
gen_register(struct lcx_context *ctx, void *arg)
{
	struct fwd_lcore *fl = arg;
	static const struct lcx_poller_ops txonly_ops = { .name = "txonly",
							  .poll = pmd_txonly_gen };
	static const struct lcx_poller_ops flowgen_ops = { .name = "flowgen",
							   .poll = pmd_flowgen_gen };

	for (uint32_t s = fl->first_stream; s < fl->first_stream + fl->nb_streams; s++) {
		struct fwd_stream *fs = &pmd.streams[s];
		int ret;

		fs->gen.ops = pmd.engine == &flowgen_engine ? &flowgen_ops : &txonly_ops;
		fs->gen.arg = fs;
		fs->gen.burst = fs->burst; /* a full burst sent: more to send, do not park */
		fs->gen.ring_size = 0;
		fs->last_ns = lcx_context_now(ctx);
		ret = lcx_poller_register(ctx, &fs->gen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
gen_unregister(struct lcx_context *ctx, void *arg)
{
	struct fwd_lcore *fl = arg;

	(void)ctx;
	for (uint32_t s = fl->first_stream; s < fl->first_stream + fl->nb_streams; s++)
		if (pmd.streams[s].gen.ctx != NULL)
			lcx_poller_unregister(&pmd.streams[s].gen);
	return 0;
}

static void
start_forwarding(void)
{
	for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
		struct fwd_lcore *fl = &pmd.lcores[l];
		struct lcx_context_conf conf = {
			.name = fl->name,
			.throttle_ns = pmd.throttle_us * 1000,
			.launch = LCX_LAUNCH_LCORE,
			.lcore_id = fl->lcore_id,
			.socket_id = -1,
			.idle_park_max_ns = pmd.idle_park_us * 1000,
		};
		int ret = lcx_context_acquire(&conf, &fl->ctx);

		if (ret < 0)
			die(PMD_EXIT_ERROR, "lcore %u: cannot start a context: %s", fl->lcore_id,
			    strerror(-ret));
	}
	pmd.cur_throttle_us = pmd.throttle_us;
	links_check(true);
	pmd_snapshot(&pmd.start);

	if (pmd.tx_first) {
		for (uint32_t s = 0; s < pmd.nb_streams; s++) {
			struct fwd_stream *fs = &pmd.streams[s];
			struct rte_mbuf *pkts[PMD_BURST_MAX];
			unsigned int n = pmd_pkt_build(fs, pkts, fs->burst);
			fwd_stream_send(fs, pkts, (uint16_t)n);
		}
	}
	for (uint32_t s = 0; s < pmd.nb_streams; s++) {
		struct fwd_stream *fs = &pmd.streams[s];
		int ret = lcx_port_rxq_attach(fs->rx_port, fs->rx_queue, fs->fl->ctx,
					      pmd.engine->rx, fs);
		/* The sender's context: a link restart quiesces the queue there (port.h). */
		int tret = lcx_port_txq_attach(fs->tx_port, fs->tx_queue, fs->fl->ctx);

		if (tret < 0 && tret != -EBUSY)
			ret = tret;
		if (ret < 0)
			die(PMD_EXIT_ERROR, "%s: cannot attach queue %u to lcore %u: %s",
			    port_label(fs->rx_port_id), fs->rx_queue, fs->fl->lcore_id,
			    strerror(-ret));
	}
	if (pmd.engine->gen != NULL) {
		for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
			int ret = lcx_context_enter(pmd.lcores[l].ctx, gen_register,
						    &pmd.lcores[l]);

			if (ret < 0)
				die(PMD_EXIT_ERROR, "lcore %u: cannot register the generator: %s",
				    pmd.lcores[l].lcore_id, strerror(-ret));
		}
	}
	pmd.started = true;
}

static void
stop_forwarding(void)
{
	for (uint32_t s = 0; s < pmd.nb_streams; s++) {
		lcx_port_rxq_detach(pmd.streams[s].rx_port, pmd.streams[s].rx_queue);
		lcx_port_txq_detach(pmd.streams[s].tx_port, pmd.streams[s].tx_queue);
	}
	if (pmd.engine->gen != NULL)
		for (unsigned int l = 0; l < pmd.nb_lcores; l++)
			lcx_context_enter(pmd.lcores[l].ctx, gen_unregister, &pmd.lcores[l]);
}

int
pmd_set_throttle(uint64_t throttle_us)
{
	if (throttle_us > LCX_THROTTLE_MAX_NS / 1000)
		return -EINVAL;
	for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
		int ret = lcx_context_set_throttle(pmd.lcores[l].ctx, throttle_us * 1000);

		if (ret < 0)
			return ret;
	}
	pmd.cur_throttle_us = throttle_us;
	return 0;
}

/* --- the control context: signals, timers --- */

static struct {
	int sfd;
	struct lcx_source *src;
	struct lcx_waiter w;
	struct lcx_task task;
	struct lcx_timer duration;
	struct lcx_timer stats;
	struct lcx_timer links;
	struct pmd_snap last;
	bool live_printed;
} ctl;

void
pmd_request_stop(const char *reason)
{
	if (pmd.stopping)
		return;
	pmd.stopping = true;
	pmd.stop_reason = reason;
	lcx_context_stop(pmd.ctl);
}

/* The signals the control context reads from its signalfd (blocked in every thread). */
void
pmd_signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGQUIT);
	sigaddset(mask, SIGUSR1);
}

/* SIGUSR1: the final table of the run so far, now, on stdout. */
static void
print_now(void)
{
	struct pmd_snap now;

	pmd_snapshot(&now);
	if (ctl.live_printed && pmd.tty)
		fputc('\n', stdout);
	pmd_print_final(stdout, &pmd.start, &now);
	fflush(stdout);
}

/*
 * SIGINT, SIGTERM, SIGQUIT and SIGHUP stop with the final figures, the summary
 * and the control socket removed (SIGHUP too: lcx-pmd has no file to reopen, and
 * a closed terminal is a stop); SIGUSR1 prints the figures so far and goes on.
 */
static void
signal_task(struct lcx_task *task, void *arg)
{
	(void)task;
	(void)arg;
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(ctl.sfd, &si, sizeof(si));

		if (n == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGUSR1:
				if (!pmd.stopping)
					print_now();
				break;
			case SIGINT:
				pmd_request_stop("SIGINT");
				break;
			case SIGHUP:
				pmd_request_stop("SIGHUP");
				break;
			case SIGQUIT:
				pmd_request_stop("SIGQUIT");
				break;
			default:
				pmd_request_stop("SIGTERM");
				break;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int r = lcx_source_poll(ctl.src, LCX_DIR_READ, &ctl.w);

			if (r == 1)
				continue;
			if (r == 0)
				return;
		}
		fprintf(stderr, "%s: signalfd: %s\n", prog, n < 0 ? strerror(errno) : "short read");
		pmd_request_stop("error");
		return;
	}
}

/* Read every port's link; say when it changes. Not a fast-path job: the control context's. */
static void
links_check(bool quiet)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		struct pmd_port *pp = &pmd.ports[i];
		/* Counts link losses; restarts a memif client whose link is down (port.h). */
		bool up = lcx_port_link_check(pp->port) == 1;

		if (pp->link_known && up == pp->link_up)
			continue;
		if (!quiet || !up)
			fprintf(stderr, "%s: port %u (%s): link %s\n", prog, pp->ethdev_id, pp->name,
				up ? "up" : "down");
		pp->link_known = true;
		__atomic_store_n(&pp->link_up, up, __ATOMIC_RELAXED);
	}
}

static void
links_fired(struct lcx_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	links_check(false);
}

static void
duration_fired(struct lcx_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	pmd_request_stop("duration");
}

static void
stats_fired(struct lcx_timer *t, void *arg)
{
	struct pmd_snap now;

	(void)t;
	(void)arg;
	if (pmd.stopping)
		return;
	pmd_snapshot(&now);
	pmd_print_live(stdout, &ctl.last, &now, pmd.tty);
	ctl.last = now;
	ctl.live_printed = true;
}

static int
ctl_setup(struct lcx_context *ctx, void *arg)
{
	sigset_t mask;
	int ret;

	(void)arg;
	pmd_signal_mask(&mask);
	ctl.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ctl.sfd < 0)
		return -errno;
	ret = lcx_source_create(ctx, ctl.sfd, LCX_SOURCE_CLOSE_FD, &ctl.src);
	if (ret < 0) {
		close(ctl.sfd);
		return ret;
	}
	lcx_task_init(&ctl.task, ctx, signal_task, NULL);
	lcx_waiter_init(&ctl.w, &ctl.task);
	lcx_task_wake(&ctl.task);

	lcx_timer_init(&ctl.links, links_fired, NULL);
	ret = lcx_timer_start(ctx, &ctl.links, 100000000ull, 100000000ull, 0);
	if (ret < 0)
		return ret;
	if (pmd.duration_s > 0) {
		lcx_timer_init(&ctl.duration, duration_fired, NULL);
		ret = lcx_timer_start(ctx, &ctl.duration, (uint64_t)(pmd.duration_s * 1e9), 0,
				      LCX_TIMER_AT_LEAST);
		if (ret < 0)
			return ret;
	}
	if (pmd.stats_period_s > 0) {
		uint64_t p = (uint64_t)(pmd.stats_period_s * 1e9);

		ctl.last = pmd.start;
		lcx_timer_init(&ctl.stats, stats_fired, NULL);
		ret = lcx_timer_start(ctx, &ctl.stats, p, p, LCX_TIMER_AT_LEAST);
		if (ret < 0)
			return ret;
	}
	if (pmd.control_path != NULL) {
		ret = pmd_control_start(ctx, pmd.control_path);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static struct app_out json_out;

/*
 * Check --json at start (a path that cannot be written fails before anything
 * runs) and make the file the summary is written to; it appears at the path,
 * whole, only at the end (apps/common/outfile.h).
 */
static void
open_json(void)
{
	char err[512];

	if (pmd.json_path == NULL)
		return;
	if (app_out_open(&json_out, pmd.json_path, err, sizeof(err)) < 0)
		die(PMD_EXIT_ERROR, "--json: cannot write %s", err);
}

static int
write_json(const struct pmd_snap *end)
{
	char err[512];

	if (pmd.json_path == NULL)
		return 0;
	pmd_summary_json(json_out.f, &pmd.start, end, true);
	fputc('\n', json_out.f);
	if (app_out_commit(&json_out, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: --json: cannot write %s\n", prog, err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct argvec eal = { 0 }, app = { 0 };
	int split = -1, ret;
	sigset_t mask;

	if (argc > 0 && argv[0] != NULL) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash != NULL ? slash + 1 : argv[0];
	}
	/* --help anywhere: ours, without starting the EAL. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return PMD_EXIT_OK;
		}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	if (split < 0)
		split = (argc > 1 && is_app_option(argv[1])) ? 0 : argc;
	argvec_add(&eal, argv[0]);
	for (int i = 1; i < split; i++)
		argvec_add(&eal, argv[i]);
	argvec_add(&app, argv[0]);
	for (int i = split + 1; i < argc; i++)
		argvec_add(&app, argv[i]);

	parse_app_args(app.n, app.v);
	open_json();

	struct app_devs devs;

	app_devs_parse(eal.n, eal.v, &devs);

	if (!hugepages_available() && !has_arg(eal.n, eal.v, "--no-huge", false)) {
		bool mem = has_arg(eal.n, eal.v, "-m", true) ||
			   has_arg(eal.n, eal.v, "--socket-mem", false);

		fprintf(stderr, "%s: no hugepages mounted: adding --no-huge%s\n", prog,
			mem ? "" : " -m 1024");
		argvec_add(&eal, "--no-huge");
		if (!mem) {
			argvec_add(&eal, "-m");
			argvec_add(&eal, "1024");
		}
	}
	if (!has_arg(eal.n, eal.v, "--no-pci", false) && !app_devs_given(&devs) && !pci_usable()) {
		fprintf(stderr, "%s: no PCI device bound to a DPDK driver: adding --no-pci\n", prog);
		argvec_add(&eal, "--no-pci");
	}

	/*
	 * Signals go to the signalfd of the control context, in every thread the EAL
	 * makes (see signal_task()); SIGUSR2 and SIGALRM are ignored, SIGPIPE too.
	 */
	pmd_signal_mask(&mask);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGALRM, SIG_IGN);

	/* rte_eal_init() rearranges the vector it is given: give it a copy. */
	char **eal_argv = calloc((size_t)eal.n + 1, sizeof(*eal_argv));

	if (eal_argv == NULL)
		die(PMD_EXIT_ERROR, "out of memory");
	memcpy(eal_argv, eal.v, (size_t)eal.n * sizeof(*eal_argv));
	ret = rte_eal_init(eal.n, eal_argv);
	if (ret < 0)
		die(PMD_EXIT_ERROR, "cannot initialise the EAL: %s", rte_strerror(rte_errno));
	lcx_eal_attach();
	pmd.main_lcore = rte_get_main_lcore();
	pmd.tty = isatty(STDOUT_FILENO);

	find_ports(&devs);
	/* Streams need the lcore count; pools need the streams: count first. */
	{
		unsigned int workers = 0, lc;

		RTE_LCORE_FOREACH_WORKER(lc)
			workers++;
		pmd.nb_lcores = pmd.nb_cores < workers ? pmd.nb_cores : workers;
		pmd.nb_streams = (uint32_t)pmd.nb_ports * pmd.nb_rxq;
	}
	make_pools();
	open_ports();
	make_streams();

	struct lcx_context_conf cconf = {
		.name = "ctl",
		.throttle_ns = CTL_THROTTLE_NS,
		.launch = LCX_LAUNCH_NONE,
		.cpu = -1,
		.socket_id = -1,
	};

	ret = lcx_context_acquire(&cconf, &pmd.ctl);
	if (ret < 0)
		die(PMD_EXIT_ERROR, "cannot create the control context: %s", strerror(-ret));

	start_forwarding();
	ret = lcx_context_enter(pmd.ctl, ctl_setup, NULL);
	if (ret < 0)
		die(PMD_EXIT_ERROR, "control context: %s", strerror(-ret));

	fprintf(stderr, "%s: %s forwarding on %u port%s, %u stream%s, %u forwarding lcore%s, "
			"burst %u, throttle %llu us, %s mbuf pool%s\n",
		prog, pmd.engine->name, pmd.nb_ports, pmd.nb_ports == 1 ? "" : "s", pmd.nb_streams,
		pmd.nb_streams == 1 ? "" : "s", pmd.nb_lcores, pmd.nb_lcores == 1 ? "" : "s",
		pmd.burst, (unsigned long long)pmd.throttle_us, pmd_pool_layout(),
		pmd.duration_s > 0 ? "" : "; SIGINT or SIGTERM stops");

	lcx_context_run(pmd.ctl);

	/* Stopped: quiesce, then count. */
	stop_forwarding();
	struct pmd_snap end;

	pmd_snapshot(&end);
	if (ctl.live_printed && pmd.tty)
		fputc('\n', stdout);
	pmd_print_final(stdout, &pmd.start, &end);
	fflush(stdout);

	lcx_context_stop(pmd.ctl);
	pmd_control_stop();
	for (unsigned int l = 0; l < pmd.nb_lcores; l++)
		lcx_context_release(pmd.lcores[l].ctx);
	lcx_context_release(pmd.ctl);
	/*
	 * Close the ports (their rx rings give their mbufs back), then count every pool:
	 * the summary says how many mbufs did not come back (mbuf_pools, in_use).
	 */
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		lcx_port_destroy(pmd.ports[i].port);
		(void)rte_eth_dev_close(pmd.ports[i].ethdev_id);
	}
	unsigned long long leaked = app_pools_warn(prog);
	int status = write_json(&end) == 0 && leaked == 0 ? PMD_EXIT_OK : PMD_EXIT_ERROR;

	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		rte_mempool_free(pmd.pools[s]);
	rte_free(pmd.streams);
	rte_eal_cleanup();
	for (int i = 0; i < eal.n; i++)
		free(eal.v[i]);
	for (int i = 0; i < app.n; i++)
		free(app.v[i]);
	free(eal.v);
	free(app.v);
	free(eal_argv);
	return status;
}
