/* SPDX-License-Identifier: BSD-3-Clause */
/* lcx-bench's command line: the options after "--", checked before the EAL starts. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcx/context.h>

#include <rte_mbuf.h>

#include "bench.h"
#include "traffic.h"

struct bench_opt opt = {
	.sizes_text = "64",
	.duration_ns = 10000000000ull,
	.drain_ns = 2000000000ull,
	.stats_ns = 1000000000ull,
	.burst = 32,
};

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
"                        port's link speed; beyond the link is refused (not with\n"
"                        --pcap-replay at the file's timing)\n"
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
"  --flow=SPEC           addresses and ports of the frames (default one flow,\n"
"                        198.18.0.1:9 -> 198.19.0.1:9): src=A[-B],dst=A[-B][,sport=P[-Q]]\n"
"                        [,dport=P[-Q]][,vary=inc|rand], IPv4 or IPv6; inc walks the\n"
"                        ranges as an odometer (sport fastest, then dport, src, dst),\n"
"                        rand draws each field; IPv6 frames are at least 84 bytes\n"
"  --flow-seed=N         the random walk's seed (vary=rand; default 1)\n"
"  --pcap-replay=FILE    send the frames of a pcap or pcapng file (once) instead;\n"
"                        UDP frames with room get the signature, others go unsigned\n"
"  --replay-timing=T     file: at the file's own times (default; no --rate), or\n"
"                        rate: one after the other at --rate\n"
"  --replay-multiplier=X file timing X times faster (tcpreplay's --multiplier;\n"
"                        0.001..1000, default 1)\n"
"  --stats-period=DUR    the live line's period (default 1 s; 0: none)\n"
"  --json=FILE           write the figures as JSON (schema_version %d) to FILE, which\n"
"                        must not exist ('-': stdout)\n"
"  --help, -h            this text\n"
"  --version             the version\n"
"\n"
"SIGINT or SIGTERM ends the trial early: sending stops, the drain runs, the figures so\n"
"far are printed. Exit status: 0 done, 1 run-time error, 2 bad command line.\n",
		prog, BENCH_SIG_MIN_FRAME_V4, BENCH_BURST_MAX, BENCH_SCHEMA_VERSION);
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
	return traffic_is_option(arg) || strcmp(arg, "run") == 0;
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
			if (opt.mode_name != NULL)
				die(EXIT_USAGE, "one MODE only: '%s' after '%s'", a, opt.mode_name);
			if (strcmp(a, "run") != 0) {
				if (strcmp(a, "calibrate") == 0 || strcmp(a, "search") == 0 ||
				    strcmp(a, "rfc2544") == 0)
					die(EXIT_USAGE, "MODE %s is not built yet (doc/bench.md)",
					    a);
				die(EXIT_USAGE, "unknown MODE '%s' (run; --help)", a);
			}
			opt.mode_name = a;
			opt.mode = BENCH_MODE_RUN;
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
			opt.duration_set = true;
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
			parse_u64(name, val, 1, BENCH_BURST_MAX, &opt.burst);
		} else if (strcmp(name, "--throttle") == 0) {
			parse_u64(name, val, 0, LCX_THROTTLE_MAX_NS / 1000, &opt.throttle_us);
		} else if (strcmp(name, "--json") == 0) {
			if (*val == '\0')
				die(EXIT_USAGE, "--json: a file name, or '-' for stdout");
			opt.json_path = val;
		} else if (traffic_option(name, val)) {
			/* --flow, --pcap-replay, ... (traffic.c) */
		} else {
			die(EXIT_USAGE, "%s: unknown option (--help)", name);
		}
	}
	if (opt.mode_name == NULL)
		die(EXIT_USAGE, "no MODE given (run; --help)");
	if (opt.rate_text == NULL && !traffic_rate_optional())
		die(EXIT_USAGE, "run needs --rate (e.g. --rate=100kpps)");
	if (bench_parse_sizes(opt.sizes_text, traffic_min_frame(), &opt.sizes, err,
			      sizeof(err)) < 0)
		die(EXIT_USAGE, "--frame-size=%s: %s%s", opt.sizes_text, err,
		    traffic_min_frame() > BENCH_SIG_MIN_FRAME_V4
			    ? " (an IPv6 --flow needs frames of at least 84 bytes: --frame-size)"
			    : "");
	if (bench_sizes_check(&opt.sizes) < 0)
		die(EXIT_USAGE, "--frame-size=%s: the weights sum to more than 4096", opt.sizes_text);
	traffic_check(RTE_MBUF_DEFAULT_DATAROOM);
	if (!opt.rx_port_set)
		opt.rx_port = opt.tx_port;
	if (opt.json_path != NULL) {
		if (app_out_open(&b.out, opt.json_path, err, sizeof(err)) < 0)
			die(1, "--json: %s", err);
		b.json = true;
	}
}

void
bench_command_line(int argc, char **argv, struct app_argv *eal, struct app_argv *app,
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
	if (app_args_split(argc, argv, is_app_option, eal, app) < 0)
		die(1, "out of memory");
	parse_args(app->n, app->v);
	app_devs_parse(eal->n, eal->v, devs);
	if (app_eal_defaults(eal, devs, &conf, &own_prefix) < 0)
		die(1, "out of memory");
}

