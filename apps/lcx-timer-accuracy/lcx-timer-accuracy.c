/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-timer-accuracy: how close to their deadlines lcx timers fire.
 *
 * Starts N thread contexts (no EAL) pinned to the allowed CPUs in turn, arms K
 * one-shot timers spread over them (half of them LCX_TIMER_AT_LEAST) at random
 * delays, and re-arms every timer from its callback with a new random delay
 * until the end of the run, so timers keep firing for the whole duration.
 * Each callback reads the TSC afresh (not the context's cached now) and keeps
 * fire - deadline. At the end it prints one JSON object.
 *
 * With --timers 0 it measures what idle contexts cost (cpu_cores).
 *
 * The plumbing of the other programs (apps/common): the options from --config
 * (config.c), the messages through rte_log as "lcx.timer" (applog.c). Without
 * the EAL, --log-level is the program's own (before "--" as for the others, or
 * among the options), in the EAL's grammar.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <lcx/lcx.h>

#include "applog.h"
#include "args.h"
#include "config.h"
#include "ealargs.h"
#include "jout.h"
#include "outfile.h"

#define PROG "lcx-timer-accuracy"
#define MAX_CONTEXTS 128
#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define LOG_LEVELS_MAX 32

struct opts {
	unsigned int contexts;
	uint64_t throttle_us;
	uint64_t timers;
	double duration_s;
	uint64_t max_delay_ms;
	uint64_t seed;
	const char *json;
	bool check;
	/* --log-level values in the order given (before "--", then the options). */
	const char *log_levels[LOG_LEVELS_MAX];
	unsigned int nb_log_levels;
};

struct sampler {
	int64_t *v; /* fire - deadline, ns */
	size_t n, cap;
	uint64_t dropped;
};

struct cstate;

struct btimer {
	struct lcx_timer t;
	struct cstate *cs;
	uint64_t deadline; /* what it was armed for: the clock just before the start + delay */
	uint32_t flags;
};

/* One context's share. Written only by its thread while it runs. */
struct cstate {
	struct lcx_context *ctx;
	struct btimer *tm;
	size_t nb_tm;
	uint64_t rng;
	uint64_t max_delay_ns;
	uint64_t end_ns; /* no deadline at or past this */
	struct sampler regular, at_least;
	uint64_t fired;
	uint64_t start_errors;
};

static uint64_t
rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
sample_add(struct sampler *s, int64_t v)
{
	if (s->n < s->cap)
		s->v[s->n++] = v;
	else
		s->dropped++;
}

/*
 * Arm tm at a random delay from now, if its deadline falls within the run. The
 * delay counts from the call (lcx_timer_start()), so the deadline is taken from
 * a fresh clock read just before it, not from the iteration's cached now: an
 * at-least timer that fires before it has broken the contract for its caller.
 */
static void
arm(struct cstate *cs, struct btimer *tm, uint64_t max_delay)
{
	uint64_t now = lcx_context_clock(cs->ctx);
	uint64_t delay = 1 + rng_next(&cs->rng) % max_delay;

	if (now + delay >= cs->end_ns)
		return;
	tm->deadline = now + delay;
	if (lcx_timer_start(cs->ctx, &tm->t, delay, 0, tm->flags) != 0)
		cs->start_errors++;
}

static void
on_fire(struct lcx_timer *t, void *arg)
{
	uint64_t fire = lcx_tsc_ns();
	struct btimer *tm = arg;
	struct cstate *cs = tm->cs;
	int64_t late = (int64_t)(fire - tm->deadline);

	(void)t;
	cs->fired++;
	sample_add((tm->flags & LCX_TIMER_AT_LEAST) ? &cs->at_least : &cs->regular, late);
	arm(cs, tm, cs->max_delay_ns);
}

/* Runs on the context: arm its timers, spread over the first max delay. */
static int
arm_all(struct lcx_context *ctx, void *arg)
{
	struct cstate *cs = arg;

	(void)ctx;
	for (size_t i = 0; i < cs->nb_tm; i++)
		arm(cs, &cs->tm[i], cs->max_delay_ns);
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank quantile of sorted v. */
static int64_t
quantile(const int64_t *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n);

	if (k == 0)
		k = 1;
	return v[k - 1];
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [options]\n"
		"       " PROG " [--log-level=SPEC ...] -- [options]\n"
		"\n"
		"Measure how close to their deadlines lcx timers fire. Starts N thread\n"
		"contexts (no EAL), pinned in turn to the CPUs this process may use, arms K\n"
		"one-shot timers spread over them (every other one LCX_TIMER_AT_LEAST) at\n"
		"random delays, and re-arms each timer from its callback with a new random\n"
		"delay until the end of the run. Each callback compares a fresh TSC read with\n"
		"the deadline. Prints one JSON object (to stdout, or to --json FILE).\n"
		"Values follow an option as the next argument or after '=' (--seed 2, --seed=2).\n"
		"\n"
		"Options:\n"
		"  --contexts N       contexts (threads), 1..%d (default 2)\n"
		"  --throttle-us T    throttle of each context in us, 0..1000000; 0 busy polls\n"
		"                     (default 1000)\n"
		"  --timers K         timers in all, 0 measures idle cost (default 1000)\n"
		"  --duration DUR     how long to run, > 0: seconds (1.5) or with a unit\n"
		"                     (ns, us, ms, s, m, h: 500ms, 2m); default 5\n"
		"  --max-delay-ms D   delays are uniform in (0, D] ms (default 100)\n"
		"  --seed X           random seed (default 1)\n"
		"  --json FILE        write the JSON object to FILE instead of stdout\n"
		"  --check            exit 1 if the contract is broken: an at-least timer\n"
		"                     fired early, a regular one more than T/2 early, or the\n"
		"                     library counted other fires than the program\n"
		"  --log-level SPEC   the messages' level, as the EAL's --log-level (the program\n"
		"                     runs without the EAL): TYPE:LEVEL (lcx.timer:debug,\n"
		"                     lcx.*:warning), REGEX,LEVEL or LEVEL; LEVEL a name (error,\n"
		"                     warning, notice, info, debug, ...) or 1..8; may repeat (where\n"
		"                     several match a type, the first given); also before \"--\"\n"
		"                     as for lcx-pmd. Messages go to stderr through rte_log as\n"
		"                     lcx.timer (default level info; debug: each context's cpu)\n"
		"  --config FILE      options from FILE: \"key = value\" a line, the keys the long\n"
		"                     options without \"--\" (\"check\" alone for the flag), \"eal =\n"
		"                     --log-level=SPEC\" as for the other programs; the command line\n"
		"                     wins (doc/ingest.md \"The configuration file\")\n"
		"  --print-config     print the options given (file and command line) in the file's\n"
		"                     grammar and exit without running\n"
		"  -h, --help         this text\n"
		"  --version          the program's, lcx's and DPDK's versions\n"
		"\n"
		"Output (times in us): throttle_us, contexts, timers, duration_s (measured: from\n"
		"arming the first timers to the end of the run, at least --duration), seed, fired,\n"
		"regular_fired, late_p50_us, late_p99_us, late_max_us (regular timers,\n"
		"lateness = fire - deadline, early fires count as 0), early_max_us (largest\n"
		"deadline - fire of a regular timer), at_least_fired, at_least_late_p50_us,\n"
		"at_least_late_p99_us, at_least_late_max_us, at_least_early (at-least fires\n"
		"before their deadline: must be 0), cpu_cores (process CPU time / wall time\n"
		"over the run), reacts_per_s, park_overshoot_avg_us, park_overshoot_max_us,\n"
		"lib_timers_fired and lib_late_p99_us (the library's own counters, for a\n"
		"cross-check), samples_dropped, start_errors. A percentile with no sample is\n"
		"null.\n"
		"\n"
		"Exit status: 0 done, 1 run failed (or --check failed), 2 bad arguments.\n",
		MAX_CONTEXTS);
}

/* Before app_log_init(): on stderr. A value from a --config line names FILE:LINE. */
static int
bad_arg(const char *opt, const char *val, const char *why)
{
	const char *where = app_config_where(opt + 2, val);

	app_log(APP_LOG_ERR, "%s%sbad value '%s' for %s: %s (see --help)", where ? where : "",
		where ? ": " : "", val, opt, why);
	return 2;
}

static int
add_log_level(struct opts *o, const char *spec)
{
	const char *why;

	if (app_log_level_check(spec, &why) < 0)
		return bad_arg("--log-level", spec, why);
	if (o->nb_log_levels == LOG_LEVELS_MAX) {
		app_log(APP_LOG_ERR, "--log-level: at most %d (see --help)", LOG_LEVELS_MAX);
		return 2;
	}
	o->log_levels[o->nb_log_levels++] = spec;
	return 0;
}

enum { O_CONTEXTS = 256, O_THROTTLE, O_TIMERS, O_DURATION, O_MAXDELAY, O_SEED, O_JSON, O_CHECK,
       O_LOGLEVEL, O_VERSION };

/* The long options; also the keys of --config (apps/common/config.h). */
static const struct option longopts[] = {
	{ "contexts", required_argument, NULL, O_CONTEXTS },
	{ "throttle-us", required_argument, NULL, O_THROTTLE },
	{ "timers", required_argument, NULL, O_TIMERS },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "max-delay-ms", required_argument, NULL, O_MAXDELAY },
	{ "seed", required_argument, NULL, O_SEED },
	{ "json", required_argument, NULL, O_JSON },
	{ "check", no_argument, NULL, O_CHECK },
	{ "log-level", required_argument, NULL, O_LOGLEVEL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Keys a --config file may give more than once. */
static const char *const repeatable_opts[] = { "log-level", NULL };

/* The program has no EAL: without "--" the whole command line is its own. */
static bool
is_app_option(const char *arg)
{
	(void)arg;
	return true;
}

/*
 * The arguments before "--" (or a config file's eal lines): the other programs give
 * them to the EAL; this one has none, and takes --log-level from there only.
 */
static int
eal_part(const struct app_argv *eal, struct opts *o)
{
	for (int i = 1; i < eal->n; i++) {
		const char *a = eal->v[i];
		int rc;

		if (strcmp(a, "--log-level") == 0 && i + 1 < eal->n) {
			rc = add_log_level(o, eal->v[++i]);
		} else if (strcmp(a, "--log-level") == 0) {
			app_log(APP_LOG_ERR, "option --log-level needs a value (see --help)");
			rc = 2;
		} else if (strncmp(a, "--log-level=", 12) == 0) {
			rc = add_log_level(o, a + 12);
		} else {
			const char *where = app_config_where(NULL, a);

			app_log(APP_LOG_ERR, "%s%s%s: not taken: " PROG " runs without the EAL; "
				"before \"--\" (and in eal lines) only --log-level is (see --help)",
				where ? where : "", where ? ": " : "", a);
			rc = 2;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	int ret = app_parse_u64(s, lo, hi, out);

	if (ret == -ERANGE) {
		char why[96];

		snprintf(why, sizeof(why), "must be in %" PRIu64 "..%" PRIu64, lo, hi);
		return bad_arg(opt, s, why);
	}
	if (ret < 0)
		return bad_arg(opt, s, "not a decimal integer");
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	uint64_t v;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case O_CONTEXTS:
			rc = parse_u64("--contexts", optarg, 1, MAX_CONTEXTS, &v);
			o->contexts = (unsigned int)v;
			break;
		case O_THROTTLE:
			rc = parse_u64("--throttle-us", optarg, 0, LCX_THROTTLE_MAX_NS / NS_PER_US,
				       &o->throttle_us);
			break;
		case O_TIMERS:
			rc = parse_u64("--timers", optarg, 0, 10000000, &o->timers);
			break;
		case O_DURATION: {
			uint64_t ns;

			if (app_parse_duration(optarg, &ns) < 0 || ns == 0 ||
			    ns > 86400 * 1000000000ull)
				return bad_arg("--duration", optarg,
					       "must be a duration in (0, 86400 s]: 1.5, 2s, 500ms");
			o->duration_s = (double)ns / 1e9;
			break;
		}
		case O_MAXDELAY:
			rc = parse_u64("--max-delay-ms", optarg, 1, 3600000, &o->max_delay_ms);
			break;
		case O_SEED:
			rc = parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed);
			break;
		case O_JSON:
			if (optarg[0] == '\0')
				return bad_arg("--json", optarg, "empty file name");
			o->json = optarg;
			break;
		case O_CHECK:
			o->check = true;
			break;
		case O_LOGLEVEL:
			rc = add_log_level(o, optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case O_VERSION:
			app_print_version(stdout, PROG);
			exit(0);
		case ':':
			app_log(APP_LOG_ERR, "option %s needs a value (see --help)", argv[optind - 1]);
			return 2;
		default:
			app_log(APP_LOG_ERR, "unknown option %s (see --help)", argv[optind - 1]);
			return 2;
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		app_log(APP_LOG_ERR, "unexpected argument '%s' (see --help)", argv[optind]);
		return 2;
	}
	return 0;
}

/*
 * The command line: --help and --version, --config expanded (cfg, eal and app hold
 * the strings o points into: kept to exit), checked. @return -1 to run, 0 (printed:
 * --help, --version, --print-config), 1 or 2 (said) to exit with.
 */
static int
command_line(int argc, char **argv, struct opts *o, struct app_argv *cfg, struct app_argv *eal,
	     struct app_argv *app)
{
	const struct app_config_conf cc = {
		.prog = PROG, .opts = longopts, .repeatable = repeatable_opts,
		.is_app_option = is_app_option,
	};
	int print, rc;

	app_log_prog(PROG);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	if (app_wants_version(argc, argv)) {
		app_print_version(stdout, PROG);
		return 0;
	}
	print = app_config_expand(argc, argv, &cc, cfg);
	if (print < 0)
		return 2;
	if (app_args_split(cfg->n, cfg->v, is_app_option, eal, app) < 0) {
		app_log(APP_LOG_ERR, "out of memory");
		return 1;
	}
	rc = eal_part(eal, o);
	if (rc == 0)
		rc = parse_args(app->n, app->v, o);
	if (rc != 0)
		return rc;
	/* --print-config: the options checked, printed in the file's grammar; no run. */
	if (print == 1)
		return app_config_print(&cc, cfg, stdout) < 0 ? 1 : 0;
	return -1;
}

/* From here on, messages through rte_log as lcx.timer, at the levels asked.
 * @return 0 or -EINVAL (said). */
static int
log_start(const struct opts *o)
{
	if (app_log_init(PROG, "lcx.timer") < 0)
		app_log(APP_LOG_WARNING, "log type lcx.timer not registered: messages on stderr");
	/* The last first: where several match a type, the first given applies (applog.h). */
	for (unsigned int i = o->nb_log_levels; i-- > 0;)
		if (app_log_level_apply(o->log_levels[i]) < 0) {
			app_log(APP_LOG_ERR, "--log-level=%s: cannot set it", o->log_levels[i]);
			return -EINVAL;
		}
	return 0;
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
sleep_until(uint64_t t_ns)
{
	for (;;) {
		uint64_t now = lcx_tsc_ns();
		struct timespec ts;

		if (now >= t_ns)
			return;
		ts.tv_sec = (time_t)((t_ns - now) / NS_PER_S);
		ts.tv_nsec = (long)((t_ns - now) % NS_PER_S);
		nanosleep(&ts, NULL);
	}
}

/* A figure in ns as microseconds (one decimal), or null when there is none. */
static void
json_us(json_t *o, const char *key, bool have, double ns)
{
	json_object_set_new(o, key, have ? json_real(app_jout_round(ns / 1e3, 1)) : json_null());
}

/* Merge the samples of every context into one sorted array. */
static int64_t *
merge(struct cstate *cs, unsigned int n, bool at_least, size_t *out_n)
{
	size_t total = 0, k = 0;
	int64_t *v;

	for (unsigned int i = 0; i < n; i++)
		total += at_least ? cs[i].at_least.n : cs[i].regular.n;
	v = malloc((total ? total : 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		struct sampler *s = at_least ? &cs[i].at_least : &cs[i].regular;

		memcpy(v + k, s->v, s->n * sizeof(*v));
		k += s->n;
	}
	qsort(v, total, sizeof(*v), cmp_i64);
	*out_n = total;
	return v;
}

int
main(int argc, char **argv)
{
	struct opts o = { .contexts = 2, .throttle_us = 1000, .timers = 1000, .duration_s = 5,
			  .max_delay_ms = 100, .seed = 1 };
	struct cstate *cs = NULL;
	struct btimer *tm = NULL;
	int cpus[CPU_SETSIZE], nb_cpus = 0, ret = 1, rc;
	FILE *f = stdout;
	struct app_out out = { .dirfd = -1 };
	struct app_argv cfg = { 0 }, eal = { 0 }, app = { 0 };
	unsigned int started = 0;
	cpu_set_t set;

	rc = command_line(argc, argv, &o, &cfg, &eal, &app); /* -1: run */
	if (rc == -1 && log_start(&o) < 0)
		rc = 2;
	if (rc != -1) {
		app_argv_free(&cfg);
		app_argv_free(&eal);
		app_argv_free(&app);
		return rc;
	}

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpus[nb_cpus++] = c;
	if (nb_cpus == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		for (int c = 0; c < (n > 0 ? n : 1) && c < CPU_SETSIZE; c++)
			cpus[nb_cpus++] = c;
	}

	uint64_t throttle_ns = o.throttle_us * NS_PER_US;
	uint64_t duration_ns = (uint64_t)(o.duration_s * 1e9);
	uint64_t max_delay_ns = o.max_delay_ms * NS_PER_MS;

	if (o.json != NULL) {
		/* Before the run: a bad path is reported at once; the file appears whole at the end. */
		char err[512];

		if (app_out_open(&out, o.json, err, sizeof(err)) < 0) {
			app_log(APP_LOG_ERR, "cannot write %s", err);
			goto out;
		}
		f = out.f;
	}
	cs = calloc(o.contexts, sizeof(*cs));
	tm = calloc(o.timers ? o.timers : 1, sizeof(*tm));
	if (cs == NULL || tm == NULL) {
		app_log(APP_LOG_ERR, "out of memory");
		goto out;
	}

	/* Sample arrays, sized for the expected fires with room to spare. */
	for (unsigned int c = 0; c < o.contexts; c++) {
		size_t n = o.timers / o.contexts + (c < o.timers % o.contexts);
		double per_timer = o.duration_s * 1e9 / ((double)max_delay_ns / 2) + 2;
		size_t cap = (size_t)((double)n * per_timer * 0.75) + 1024;

		cs[c].rng = o.seed * 0x100000001b3ull + c + 1;
		cs[c].max_delay_ns = max_delay_ns;
		cs[c].regular.cap = cap;
		cs[c].at_least.cap = cap;
		cs[c].regular.v = malloc(cap * sizeof(int64_t));
		cs[c].at_least.v = malloc(cap * sizeof(int64_t));
		if (cs[c].regular.v == NULL || cs[c].at_least.v == NULL) {
			app_log(APP_LOG_ERR, "out of memory for %zu samples", cap);
			goto out;
		}
	}
	/* Each context gets a slice of tm[]; in each slice every other timer is at-least. */
	{
		size_t k = 0;

		for (unsigned int c = 0; c < o.contexts; c++) {
			size_t n = o.timers / o.contexts + (c < o.timers % o.contexts);

			cs[c].tm = &tm[k];
			cs[c].nb_tm = n;
			for (size_t j = 0; j < n; j++) {
				tm[k + j].cs = &cs[c];
				tm[k + j].flags = (j % 2) ? LCX_TIMER_AT_LEAST : 0;
				lcx_timer_init(&tm[k + j].t, on_fire, &tm[k + j]);
			}
			k += n;
		}
	}

	for (unsigned int c = 0; c < o.contexts; c++) {
		char name[LCX_NAME_MAX];
		struct lcx_context_conf conf = {
			.name = name,
			.throttle_ns = throttle_ns,
			.launch = LCX_LAUNCH_THREAD,
			.cpu = cpus[c % (unsigned int)nb_cpus],
			.socket_id = -1,
		};

		snprintf(name, sizeof(name), "tacc%u", c);
		rc = lcx_context_acquire(&conf, &cs[c].ctx);
		if (rc < 0) {
			app_log(APP_LOG_ERR, "cannot start context %u on cpu %d: %s", c, conf.cpu,
				strerror(-rc));
			goto out;
		}
		started++;
		app_log(APP_LOG_DEBUG, "context %s on cpu %d: %zu timers, room for %zu samples of each kind",
			name, conf.cpu, cs[c].nb_tm, cs[c].regular.cap);
	}
	app_log(APP_LOG_NOTICE,
		"%" PRIu64 " timers on %u context%s, throttle %" PRIu64 " us, delays up to %" PRIu64
		" ms, for %g s (seed %" PRIu64 ")",
		o.timers, o.contexts, o.contexts == 1 ? "" : "s", o.throttle_us, o.max_delay_ms,
		o.duration_s, o.seed);

	struct lcx_context_stats st, sum = { 0 };
	uint64_t reacts = 0;

	for (unsigned int c = 0; c < o.contexts; c++) {
		lcx_context_stats(cs[c].ctx, &st);
		reacts -= st.reacts; /* counted from here */
	}
	uint64_t t0 = lcx_tsc_ns();
	double cpu0 = cpu_seconds();

	for (unsigned int c = 0; c < o.contexts; c++) {
		cs[c].end_ns = t0 + duration_ns;
		rc = lcx_context_enter(cs[c].ctx, arm_all, &cs[c]);
		if (rc < 0) {
			app_log(APP_LOG_ERR, "cannot arm timers on context %u: %s", c, strerror(-rc));
			goto out;
		}
	}
	sleep_until(t0 + duration_ns);
	uint64_t t1 = lcx_tsc_ns();
	double cpu1 = cpu_seconds();

	for (unsigned int c = 0; c < o.contexts; c++) {
		lcx_context_stats(cs[c].ctx, &st);
		reacts += st.reacts;
	}

	/* Every deadline is before t1: give the last ones a throttle and then some. */
	sleep_until(t1 + 2 * throttle_ns + 20 * NS_PER_MS);

	uint64_t lib_late_p99 = 0, os_avg_max = 0;

	for (unsigned int c = 0; c < o.contexts; c++) {
		lcx_context_stop(cs[c].ctx); /* joins: its samples are ours now */
		lcx_context_stats(cs[c].ctx, &st);
		sum.timers_fired += st.timers_fired;
		if (st.timer_late_p99_ns > lib_late_p99)
			lib_late_p99 = st.timer_late_p99_ns;
		if (st.park_overshoot_avg_ns > os_avg_max)
			os_avg_max = st.park_overshoot_avg_ns;
		if (st.park_overshoot_max_ns > sum.park_overshoot_max_ns)
			sum.park_overshoot_max_ns = st.park_overshoot_max_ns;
	}

	size_t nr, na;
	int64_t *r = merge(cs, o.contexts, false, &nr);
	int64_t *a = merge(cs, o.contexts, true, &na);
	uint64_t fired = 0, dropped = 0, start_errors = 0, at_least_early = 0;
	int64_t early_max = 0;

	if (r == NULL || a == NULL) {
		app_log(APP_LOG_ERR, "out of memory");
		free(r);
		free(a);
		goto out;
	}
	for (unsigned int c = 0; c < o.contexts; c++) {
		fired += cs[c].fired;
		dropped += cs[c].regular.dropped + cs[c].at_least.dropped;
		start_errors += cs[c].start_errors;
	}
	if (nr > 0 && r[0] < 0)
		early_max = -r[0];
	for (size_t i = 0; i < na && a[i] < 0; i++)
		at_least_early++;
	/* Lateness of regular timers: early fires count as 0. */
	for (size_t i = 0; i < nr && r[i] < 0; i++)
		r[i] = 0;

	double wall = (double)(t1 - t0) / 1e9;

	/* The keys in this order; null where there is no sample (man lcx-timer-accuracy). */
	json_t *jo = json_pack("{s:s, s:i, s:I, s:I, s:I, s:f, s:I, s:I, s:I}",
			       "schema", "lcx-timer-accuracy", "schema_version", 1,
			       "throttle_us", app_jout_u64(o.throttle_us),
			       "contexts", (json_int_t)o.contexts, "timers", app_jout_u64(o.timers),
			       "duration_s", app_jout_round(wall, 6), "seed", app_jout_u64(o.seed),
			       "fired", app_jout_u64(fired), "regular_fired", (json_int_t)nr);

	if (jo != NULL) {
		json_us(jo, "late_p50_us", nr > 0, nr ? (double)quantile(r, nr, 0.50) : 0);
		json_us(jo, "late_p99_us", nr > 0, nr ? (double)quantile(r, nr, 0.99) : 0);
		json_us(jo, "late_max_us", nr > 0, nr ? (double)r[nr - 1] : 0);
		json_us(jo, "early_max_us", nr > 0, (double)early_max);
		json_object_set_new(jo, "at_least_fired", json_integer((json_int_t)na));
		json_us(jo, "at_least_late_p50_us", na > 0,
			na ? (double)quantile(a, na, 0.50) : 0);
		json_us(jo, "at_least_late_p99_us", na > 0,
			na ? (double)quantile(a, na, 0.99) : 0);
		json_us(jo, "at_least_late_max_us", na > 0, na ? (double)a[na - 1] : 0);
		json_object_set_new(jo, "at_least_early",
				    json_integer(app_jout_u64(at_least_early)));
		double cores = wall > 0 ? (cpu1 - cpu0) / wall : 0;

		json_object_set_new(jo, "cpu_cores", json_real(app_jout_round(cores, 4)));
		json_object_set_new(jo, "reacts_per_s",
				    json_integer(wall > 0 ? llround((double)reacts / wall) : 0));
		json_us(jo, "park_overshoot_avg_us", true, (double)os_avg_max);
		json_us(jo, "park_overshoot_max_us", true, (double)sum.park_overshoot_max_ns);
		json_object_set_new(jo, "lib_timers_fired",
				    json_integer(app_jout_u64(sum.timers_fired)));
		json_us(jo, "lib_late_p99_us", sum.timers_fired > 0, (double)lib_late_p99);
		json_object_set_new(jo, "samples_dropped", json_integer(app_jout_u64(dropped)));
		json_object_set_new(jo, "start_errors", json_integer(app_jout_u64(start_errors)));
		/* A member that could not be made is missing: count them as a failure. */
		if (json_object_size(jo) != 26) {
			json_decref(jo);
			jo = NULL;
		}
	}
	if (jo == NULL || json_dumpf(jo, f, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0 ||
	    fputc('\n', f) == EOF) {
		json_decref(jo);
		app_log(APP_LOG_ERR, "cannot write the JSON object (out of memory)");
		if (f != stdout)
			app_out_abort(&out);
		free(r);
		free(a);
		goto out;
	}
	json_decref(jo);
	if (f != stdout) {
		char err[512];

		rc = app_out_commit(&out, err, sizeof(err));
		f = stdout;
		if (rc != 0) {
			app_log(APP_LOG_ERR, "cannot write %s", err);
			free(r);
			free(a);
			goto out;
		}
	}
	free(r);
	free(a);

	ret = 0;
	if (start_errors > 0) {
		app_log(APP_LOG_ERR, "%" PRIu64 " timer starts failed", start_errors);
		ret = 1;
	}
	if (o.check) {
		if (at_least_early > 0) {
			app_log(APP_LOG_ERR, "check: %" PRIu64 " at-least timers fired early",
				at_least_early);
			ret = 1;
		}
		if ((uint64_t)early_max > throttle_ns / 2) {
			app_log(APP_LOG_ERR, "check: a regular timer fired %" PRId64
				" ns early, more than T/2", early_max);
			ret = 1;
		}
		if (sum.timers_fired != fired) {
			app_log(APP_LOG_ERR, "check: the library counted %" PRIu64
				" fires, the callbacks %" PRIu64, sum.timers_fired, fired);
			ret = 1;
		}
		if (o.timers > 0 && fired == 0) {
			app_log(APP_LOG_ERR, "check: no timer fired");
			ret = 1;
		}
	}
out:
	app_out_abort(&out);
	for (unsigned int c = 0; c < started; c++)
		lcx_context_release(cs[c].ctx);
	if (cs != NULL) {
		for (unsigned int c = 0; c < o.contexts; c++) {
			free(cs[c].regular.v);
			free(cs[c].at_least.v);
		}
	}
	free(cs);
	free(tm);
	app_argv_free(&cfg);
	app_argv_free(&eal);
	app_argv_free(&app);
	return ret;
}
