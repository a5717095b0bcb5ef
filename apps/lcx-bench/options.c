/* SPDX-License-Identifier: BSD-3-Clause */
/* lcx-bench's command line: the options after "--", checked before the EAL starts. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include <lcx/context.h>

#include "bench.h"
#include "config.h"
#include "ctlsrv.h"
#include "pattern.h"
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
"  search                MLRsearch (RFC 9971): the highest load whose loss ratio stays at\n"
"                        or under each --loss-ratio, bounds with the trials that set them\n"
"  rfc2544               over --frame-sizes: throughput (26.1), latency at it (26.2),\n"
"                        frame loss rate from 100%% down in 10%% steps (26.3), back-to-back\n"
"                        bursts (26.4)\n"
"  calibrate             the tool against itself: its latency floor at --floor-rate and\n"
"                        the generator's top rate (highest load offered with no limit)\n"
"\n"
"Options (VALUE after '='; durations DIGITS[.DIGITS][ns|us|ms|s|m|h], none: s;\n"
"RATE: N[k|M|G]pps, N[k|M|G]bps[:l1|:l2] (layer 1 by default: frame + 20 bytes), N%%\n"
"of the tx port's link speed; 0, negative, above 100%% or beyond the link refused):\n"
"  --rate=RATE           run: the load, required (but with --pcap-replay at the file's\n"
"                        timing); search, rfc2544: the max load when no --max-load\n"
"  --frame-size=SIZES    Ethernet frame sizes with FCS, bytes: S, A-B (uniform), imix\n"
"                        (64:7,594:4,1518:1) or S:W,S:W,... (default 64; at least %u,\n"
"                        the headers and the signature)\n"
"  --duration=DUR        a trial's length (default 10 s; > 0); search, rfc2544: the\n"
"                        final trial duration\n"
"  --drain=DUR           time the receiver keeps reading after the last packet was\n"
"                        sent, before loss is counted (default 2 s, RFC 2544 26.)\n"
"  --tmax=DUR            a packet later than this is counted late, not received\n"
"                        (default 0: none)\n"
"  --tx-port=N           the port to send on, by index (default 0)\n"
"  --rx-port=N           the port to receive on (default: the tx port)\n"
"  --burst=N             most packets per send and per receive, 1..%u (default 32)\n"
"  --throttle=US         the tx and rx contexts wake every US microseconds (default\n"
"                        0: busy polling). A throttle makes the traffic bursty: the\n"
"                        packets owed since the last wake leave back to back. Latency\n"
"                        trials (rfc2544, calibrate) run the receiver at 0 (but with\n"
"                        NIC stamps: --rx-timestamp)\n"
"  --rx-throttle=US      the receiver's throttle alone (default --throttle): e.g. a\n"
"                        sender at --throttle=0 beside a receiver that sleeps\n"
"  --rx-timestamp=C      the receive time of a packet: nic (the rx port's own stamps;\n"
"                        an error on a port that gives none), tsc (the TSC at the\n"
"                        poll) or auto (default: nic where the rx port gives stamps,\n"
"                        else tsc). With nic stamps latency trials keep --rx-throttle\n"
"  --pattern=P           the schedule, the load (--rate, a search's) its mean rate:\n"
"                        constant (default), poisson (exponential gaps, --seed),\n"
"                        burst:N (N packets due together every N/load s; N <= --burst),\n"
"                        on-off:ON/OFF (durations: ON at load x (ON+OFF)/ON, OFF\n"
"                        silent; on-off:10ms/40ms). run and search only\n"
"  --seed=N              poisson: the generator's seed, 0..2^64-1 (default 1; each\n"
"                        trial starts from it: the same seed, the same schedule)\n"
"  --late-policy=P       a packet owed more than --late after its deadline (after a\n"
"                        stall): send (sent late, catching up; default) or skip\n"
"                        (counted tx.skipped, not sent; the trial is then\n"
"                        generator-limited)\n"
"  --late=DUR            the lateness counted in tx.late and beyond which skip skips\n"
"                        (default the throttle + 50us)\n"
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
"  --csv=DIR             trials.csv (one row per trial) and latency-<trial>.csv (the\n"
"                        histogram) in DIR, a new directory or an existing empty one\n"
"  --control=PATH        the control socket: stats (the current trial so far), stop\n"
"  --control-mode=MODE, --control-group=GROUP, --control-idle=DUR  the socket's mode\n"
"                        (octal, 0600), group and idle timeout (doc/control.md)\n"
"  --calibration=FILE    a MODE calibrate --json: its floor and top rate printed beside\n"
"                        these figures\n"
"Search (search; rfc2544's throughput with loss 0):\n"
"  --loss-ratio=R[,R..]  goal loss ratios, each in [0, 1) (default 0: NDR); at most %u\n"
"  --exceed-ratio=E      goal exceed ratio in [0, 1) (default 0)\n"
"  --goal-width=W        goal width, relative to the upper bound, (0, 1) (default 0.005)\n"
"  --initial-duration=DUR  the first trials' length (default 1 s, at most --duration)\n"
"  --duration-sum=DUR    goal duration sum (default: --duration)\n"
"  --max-load=RATE       the highest load tried (default --rate, else 100%% of the link)\n"
"  --min-load=RATE       the lowest load tried (default max load / 1000)\n"
"  --max-trials=N        give up after N trials, 1..%u (default 64)\n"
"rfc2544:\n"
"  --frame-sizes=S,S,..  frame sizes (default 64,128,256,512,1024,1280,1518)\n"
"  --b2b-max-frames=N    the longest burst tried (default 100000)\n"
"  --b2b-trials=N        repeats of the longest burst found, 1..50 (default 1)\n"
"calibrate:\n"
"  --floor-rate=RATE     the load of the latency floor trial (default 10kpps)\n"
"A device model for tests (doc/bench.md):\n"
"  --rx-capacity-pps=N   the receiver forwards at most N pps (a token bucket of --burst\n"
"                        frames on the senders' timestamps) and counts the rest lost:\n"
"                        a device of known capacity, in software (default 0: none)\n"
"  --config=FILE         options from FILE, \"key = value\" a line, \"eal = ...\" for\n"
"                        the EAL's; the command line wins (doc/ingest.md)\n"
"  --print-config        print the options given in the file's grammar and exit\n"
"  --help, -h            this text\n"
"  --version             the version\n"
"\n"
"SIGINT, SIGTERM or 'stop' on the control socket ends the run early: sending stops, the\n"
"drain runs, the figures so far are printed. Exit status: 0 done, 1 run-time error, 2\n"
"bad command line.\n",
		prog, BENCH_SIG_MIN_FRAME_V4, BENCH_BURST_MAX, BENCH_SCHEMA_VERSION,
		BENCH_SEARCH_GOALS_MAX, BENCH_SEARCH_TRIALS_MAX);
}

static const char *const app_opts[] = {
	"--rate", "--frame-size", "--duration", "--drain", "--tmax", "--tx-port", "--rx-port",
	"--burst", "--throttle", "--rx-throttle", "--rx-timestamp", "--stats-period", "--json", "--csv", "--control",
	"--control-mode", "--control-group", "--control-idle", "--calibration", "--loss-ratio",
	"--exceed-ratio", "--goal-width", "--initial-duration", "--duration-sum", "--max-load",
	"--min-load", "--max-trials", "--frame-sizes", "--b2b-max-frames", "--b2b-trials",
	"--floor-rate", "--rx-capacity-pps", "--pattern", "--seed", "--late-policy", "--late", NULL,
};

static const char *const modes[] = {
	[BENCH_MODE_RUN] = "run",
	[BENCH_MODE_SEARCH] = "search",
	[BENCH_MODE_RFC2544] = "rfc2544",
	[BENCH_MODE_CALIBRATE] = "calibrate",
};

static bool
is_app_option(const char *arg)
{
	for (unsigned int i = 0; app_opts[i] != NULL; i++) {
		size_t n = strlen(app_opts[i]);

		if (strncmp(arg, app_opts[i], n) == 0 && (arg[n] == '=' || arg[n] == '\0'))
			return true;
	}
	for (unsigned int i = 0; i < RTE_DIM(modes); i++)
		if (strcmp(arg, modes[i]) == 0)
			return true;
	return traffic_is_option(arg) || pattern_is_option(arg);
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

/* A ratio: a plain decimal number in [lo, hi) (or (lo, hi) when open_lo). */
static double
parse_ratio(const char *name, const char *val, const char *p, size_t len, double lo, double hi,
	    bool open_lo)
{
	char buf[64];
	char *end;
	double v;

	if (len == 0 || len >= sizeof(buf))
		die(EXIT_USAGE, "%s=%s: a number in %s%g, %g)", name, val, open_lo ? "(" : "[", lo,
		    hi);
	memcpy(buf, p, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.'))
			die(EXIT_USAGE, "%s=%s: '%s' is not a plain decimal number", name, val,
			    buf);
	v = strtod(buf, &end);
	if (*end != '\0' || v < lo || v >= hi || (open_lo && v == lo))
		die(EXIT_USAGE, "%s=%s: %s out of %s%g, %g)", name, val, buf, open_lo ? "(" : "[",
		    lo, hi);
	return v;
}

static void
parse_rate_opt(const char *name, const char *val, struct bench_rate *r, const char **text)
{
	char err[256];

	if (bench_parse_rate(val, r, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s=%s: %s", name, val, err);
	*text = val;
}

static void
parse_loss_ratios(const char *val)
{
	const char *p = val;

	opt.nb_loss = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if (opt.nb_loss == BENCH_SEARCH_GOALS_MAX)
			die(EXIT_USAGE, "--loss-ratio=%s: at most %u goals", val,
			    BENCH_SEARCH_GOALS_MAX);
		opt.loss_ratio[opt.nb_loss++] =
		    parse_ratio("--loss-ratio", val, p, len, 0, 1, false);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

static void
parse_frame_sizes(const char *val)
{
	const char *p = val;

	opt.nb_frame_sizes = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		char buf[16];
		uint64_t v;
		int ret;

		if (opt.nb_frame_sizes == BENCH_FRAME_SIZES_MAX)
			die(EXIT_USAGE, "--frame-sizes=%s: at most %u sizes", val,
			    BENCH_FRAME_SIZES_MAX);
		if (len == 0 || len >= sizeof(buf))
			die(EXIT_USAGE, "--frame-sizes=%s: a list of sizes, bytes: 64,128,...",
			    val);
		memcpy(buf, p, len);
		buf[len] = '\0';
		ret = app_parse_u64(buf, BENCH_SIG_MIN_FRAME_V4, BENCH_FRAME_MAX, &v);
		if (ret < 0)
			die(EXIT_USAGE, "--frame-sizes=%s: %s: %s (%u..%u, the headers and the "
					"signature at least)", val, buf, app_parse_why(ret),
			    BENCH_SIG_MIN_FRAME_V4, BENCH_FRAME_MAX);
		for (unsigned int i = 0; i < opt.nb_frame_sizes; i++)
			if (opt.frame_sizes[i] == v)
				die(EXIT_USAGE, "--frame-sizes=%s: %s twice", val, buf);
		opt.frame_sizes[opt.nb_frame_sizes++] = (unsigned int)v;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

static void
parse_args(int argc, char **argv)
{
	char err[256];
	uint64_t v;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		char name[32];
		const char *val;
		const char *why;

		if (strncmp(a, "--", 2) != 0) {
			unsigned int m;

			if (opt.mode_name != NULL)
				die(EXIT_USAGE, "one MODE only: '%s' after '%s'", a, opt.mode_name);
			for (m = 0; m < RTE_DIM(modes); m++)
				if (strcmp(a, modes[m]) == 0)
					break;
			if (m == RTE_DIM(modes))
				die(EXIT_USAGE,
				    "unknown MODE '%s' (run, search, rfc2544, calibrate; "
				    "--help)",
				    a);
			opt.mode_name = modes[m];
			opt.mode = (enum bench_mode)m;
			continue;
		}
		if (eq == NULL || (size_t)(eq - a) >= sizeof(name))
			die(EXIT_USAGE, "%s: unknown option or no '=VALUE' (--help)", a);
		memcpy(name, a, (size_t)(eq - a));
		name[eq - a] = '\0';
		val = eq + 1;
		if (strcmp(name, "--rate") == 0) {
			parse_rate_opt(name, val, &opt.rate, &opt.rate_text);
		} else if (strcmp(name, "--frame-size") == 0) {
			opt.sizes_text = val;
		} else if (strcmp(name, "--duration") == 0) {
			parse_dur(name, val, &opt.duration_ns);
			if (opt.duration_ns == 0)
				die(EXIT_USAGE, "--duration=%s: a trial needs a length > 0", val);
			opt.duration_set = true;
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
		} else if (strcmp(name, "--rx-throttle") == 0) {
			parse_u64(name, val, 0, LCX_THROTTLE_MAX_NS / 1000, &opt.rx_throttle_us);
			opt.rx_throttle_set = true;
		} else if (strcmp(name, "--rx-timestamp") == 0) {
			if (strcmp(val, "auto") == 0)
				opt.rx_ts_mode = BENCH_RXTS_AUTO;
			else if (strcmp(val, "nic") == 0)
				opt.rx_ts_mode = BENCH_RXTS_NIC;
			else if (strcmp(val, "tsc") == 0)
				opt.rx_ts_mode = BENCH_RXTS_TSC;
			else
				die(EXIT_USAGE, "--rx-timestamp=%s: auto, nic or tsc", val);
		} else if (strcmp(name, "--json") == 0) {
			if (*val == '\0')
				die(EXIT_USAGE, "--json: a file name, or '-' for stdout");
			opt.json_path = val;
		} else if (strcmp(name, "--csv") == 0) {
			if (*val == '\0')
				die(EXIT_USAGE, "--csv: a directory name");
			opt.csv_dir = val;
		} else if (strcmp(name, "--control") == 0) {
			if (*val == '\0')
				die(EXIT_USAGE, "--control: a socket path");
			opt.control_path = val;
		} else if (strcmp(name, "--control-mode") == 0 ||
			   strcmp(name, "--control-group") == 0 ||
			   strcmp(name, "--control-idle") == 0) {
			if (app_ctlsrv_option(name + 2, val, &why) < 0)
				die(EXIT_USAGE, "%s=%s: %s", name, val, why);
		} else if (strcmp(name, "--calibration") == 0) {
			if (*val == '\0')
				die(EXIT_USAGE, "--calibration: a file from MODE calibrate --json");
			opt.calibration_path = val;
		} else if (strcmp(name, "--loss-ratio") == 0) {
			parse_loss_ratios(val);
		} else if (strcmp(name, "--exceed-ratio") == 0) {
			opt.exceed_ratio = parse_ratio(name, val, val, strlen(val), 0, 1, false);
		} else if (strcmp(name, "--goal-width") == 0) {
			opt.goal_width = parse_ratio(name, val, val, strlen(val), 0, 1, true);
		} else if (strcmp(name, "--initial-duration") == 0) {
			parse_dur(name, val, &opt.initial_duration_ns);
			if (opt.initial_duration_ns == 0)
				die(EXIT_USAGE, "%s=%s: a trial needs a length > 0", name, val);
		} else if (strcmp(name, "--duration-sum") == 0) {
			parse_dur(name, val, &opt.duration_sum_ns);
			if (opt.duration_sum_ns == 0)
				die(EXIT_USAGE, "%s=%s: a length > 0", name, val);
		} else if (strcmp(name, "--max-load") == 0) {
			parse_rate_opt(name, val, &opt.max_load, &opt.max_load_text);
		} else if (strcmp(name, "--min-load") == 0) {
			parse_rate_opt(name, val, &opt.min_load, &opt.min_load_text);
		} else if (strcmp(name, "--max-trials") == 0) {
			parse_u64(name, val, 1, BENCH_SEARCH_TRIALS_MAX, &opt.max_trials);
		} else if (strcmp(name, "--frame-sizes") == 0) {
			parse_frame_sizes(val);
			opt.frame_sizes_text = val;
		} else if (strcmp(name, "--b2b-max-frames") == 0) {
			parse_u64(name, val, 1, 100000000, &opt.b2b_max);
		} else if (strcmp(name, "--b2b-trials") == 0) {
			parse_u64(name, val, 1, 50, &opt.b2b_trials);
		} else if (strcmp(name, "--floor-rate") == 0) {
			parse_rate_opt(name, val, &opt.floor_rate, &opt.floor_rate_text);
		} else if (strcmp(name, "--rx-capacity-pps") == 0) {
			parse_u64(name, val, 0, 1000000000, &opt.rx_capacity_pps);
		} else if (pattern_option(name, val)) {
			/* --pattern, --seed, --late-policy, --late (pattern.c) */
		} else if (traffic_option(name, val)) {
			/* --flow, --pcap-replay, ... (traffic.c) */
		} else {
			die(EXIT_USAGE, "%s: unknown option (--help)", name);
		}
	}
	if (opt.mode_name == NULL)
		die(EXIT_USAGE, "no MODE given (run, search, rfc2544, calibrate; --help)");
	if (opt.mode == BENCH_MODE_RUN && opt.rate_text == NULL && !traffic_rate_optional())
		die(EXIT_USAGE, "run needs --rate (e.g. --rate=100kpps)");
	if (bench_parse_sizes(opt.sizes_text, traffic_min_frame(), &opt.sizes, err,
			      sizeof(err)) < 0)
		die(EXIT_USAGE, "--frame-size=%s: %s%s", opt.sizes_text, err,
		    traffic_min_frame() > BENCH_SIG_MIN_FRAME_V4
			    ? " (an IPv6 --flow needs frames of at least 84 bytes: --frame-size)"
			    : "");
	if (bench_sizes_check(&opt.sizes) < 0)
		die(EXIT_USAGE, "--frame-size=%s: the weights sum to more than 4096",
		    opt.sizes_text);
	if (!opt.rx_port_set)
		opt.rx_port = opt.tx_port;
	if (!opt.rx_throttle_set)
		opt.rx_throttle_us = opt.throttle_us;
	if (opt.nb_loss == 0) {
		opt.nb_loss = 1;
		opt.loss_ratio[0] = 0;
	}
	if (opt.goal_width == 0)
		opt.goal_width = 0.005;
	if (opt.initial_duration_ns == 0)
		opt.initial_duration_ns = opt.duration_ns < 1000000000ull ? opt.duration_ns
									   : 1000000000ull;
	if (opt.initial_duration_ns > opt.duration_ns)
		die(EXIT_USAGE, "--initial-duration: longer than --duration (the final trials')");
	if (opt.duration_sum_ns == 0)
		opt.duration_sum_ns = opt.duration_ns;
	if (opt.duration_sum_ns < opt.duration_ns)
		die(EXIT_USAGE, "--duration-sum: shorter than --duration (one final trial)");
	if (opt.max_trials == 0)
		opt.max_trials = 64;
	if (opt.nb_frame_sizes == 0) {
		static const unsigned int rfc[] = { 64, 128, 256, 512, 1024, 1280, 1518 };

		for (unsigned int i = 0; i < RTE_DIM(rfc); i++)
			opt.frame_sizes[i] = rfc[i];
		opt.nb_frame_sizes = RTE_DIM(rfc);
		opt.frame_sizes_text = "64,128,256,512,1024,1280,1518";
	}
	if (opt.b2b_max == 0)
		opt.b2b_max = 100000;
	if (opt.b2b_trials == 0)
		opt.b2b_trials = 1;
	if (opt.floor_rate_text == NULL)
		parse_rate_opt("--floor-rate", "10kpps", &opt.floor_rate, &opt.floor_rate_text);
	(void)v;
	traffic_check(); /* --flow, --pcap-replay with the other options (traffic.c) */
	pattern_check(traffic_is_replay()); /* --pattern, --seed, --late... (pattern.c) */
	if (opt.calibration_path != NULL) {
		if (opt.mode == BENCH_MODE_CALIBRATE)
			die(EXIT_USAGE, "--calibration: MODE calibrate measures its own");
		if (bench_calibration_read(opt.calibration_path, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "--calibration=%s: %s", opt.calibration_path, err);
	}
	if (opt.json_path != NULL) {
		if (app_out_open(&b.out, opt.json_path, err, sizeof(err)) < 0)
			die(1, "--json: %s", err);
		b.json = true;
	}
	if (opt.csv_dir != NULL && bench_csv_open(opt.csv_dir, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "--csv=%s: %s", opt.csv_dir, err);
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
	{
		/* --config=FILE, --print-config (apps/common/config.h): the file's
		 * lines become the argv the command line gives, which wins. */
		static struct app_argv cfg;
		static const struct option *value_opts; /* kept to exit, reachable */
		const struct app_config_conf cc = {
			.prog = prog,
			.opts = value_opts = app_config_value_opts(app_opts),
			.is_app_option = is_app_option,
		};
		int r = cc.opts != NULL ? app_config_expand(argc, argv, &cc, &cfg) : -ENOMEM;

		if (r != 0)
			exit(r < 0 ? EXIT_USAGE : app_config_print(&cc, &cfg, stdout) < 0);
		if (app_args_split(cfg.n, cfg.v, is_app_option, eal, app) < 0)
			die(1, "out of memory");
	}
	parse_args(app->n, app->v);
	app_devs_parse(eal->n, eal->v, devs);
	if (app_eal_defaults(eal, devs, &conf, &own_prefix) < 0)
		die(1, "out of memory");
}

