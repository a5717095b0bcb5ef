/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's pacing options (pattern.h): --pattern, --seed, --late-policy, --late.
 * The pacer (pacer.c) does the work; this file only chooses its schedule.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "pattern.h"

static struct {
	const char *text; /* --pattern as given */
	enum bench_pacer_pattern pattern;
	uint32_t burst;	  /* burst:N */
	uint64_t on_ns, off_ns;
	uint64_t seed;
	bool seed_set;
	enum bench_pacer_policy policy;
	bool policy_set;
	uint64_t late_ns;
	bool late_set;
} pt = {.text = "constant", .seed = 1};

static const char *const names[] = {
    "--pattern", "--seed", "--late-policy", "--late", NULL,
};

bool
pattern_is_option(const char *arg)
{
	for (unsigned int i = 0; names[i] != NULL; i++) {
		size_t n = strlen(names[i]);

		if (strncmp(arg, names[i], n) == 0 && (arg[n] == '=' || arg[n] == '\0'))
			return true;
	}
	return false;
}

static void
parse_pattern(const char *val)
{
	if (strcmp(val, "constant") == 0) {
		pt.pattern = BENCH_PACER_CONSTANT;
	} else if (strcmp(val, "poisson") == 0) {
		pt.pattern = BENCH_PACER_POISSON;
	} else if (strncmp(val, "burst:", 6) == 0) {
		uint64_t n;
		int ret = app_parse_u64(val + 6, 1, BENCH_BURST_MAX, &n);

		if (ret < 0)
			die(EXIT_USAGE, "--pattern=%s: burst:N, N packets per burst: %s (1..%u)",
			    val, app_parse_why(ret), BENCH_BURST_MAX);
		pt.pattern = BENCH_PACER_BURST;
		pt.burst = (uint32_t)n;
	} else if (strncmp(val, "on-off:", 7) == 0) {
		const char *slash = strchr(val + 7, '/');
		char on[32];
		size_t len;
		int ret;

		if (slash == NULL || (len = (size_t)(slash - (val + 7))) == 0 ||
		    len >= sizeof(on))
			die(EXIT_USAGE,
			    "--pattern=%s: on-off:ON/OFF, two durations (on-off:10ms/40ms)", val);
		memcpy(on, val + 7, len);
		on[len] = '\0';
		ret = app_parse_duration(on, &pt.on_ns);
		if (ret < 0)
			die(EXIT_USAGE, "--pattern=%s: ON '%s': %s (a duration: 10ms)", val, on,
			    app_parse_why(ret));
		ret = app_parse_duration(slash + 1, &pt.off_ns);
		if (ret < 0)
			die(EXIT_USAGE, "--pattern=%s: OFF '%s': %s (a duration: 40ms)", val,
			    slash + 1, app_parse_why(ret));
		if (pt.on_ns == 0 || pt.off_ns == 0)
			die(EXIT_USAGE,
			    "--pattern=%s: ON and OFF must both be > 0 (OFF 0 is constant)", val);
		if (pt.on_ns > 3600000000000ull || pt.off_ns > 3600000000000ull)
			die(EXIT_USAGE, "--pattern=%s: ON and OFF at most 1 h each", val);
		pt.pattern = BENCH_PACER_ON_OFF;
	} else {
		die(EXIT_USAGE,
		    "--pattern=%s: constant, poisson, burst:N or on-off:ON/OFF (on-off:10ms/40ms)",
		    val);
	}
	pt.text = val;
}

bool
pattern_option(const char *name, const char *val)
{
	int ret;

	if (strcmp(name, "--pattern") == 0) {
		parse_pattern(val);
	} else if (strcmp(name, "--seed") == 0) {
		ret = app_parse_u64(val, 0, UINT64_MAX, &pt.seed);
		if (ret < 0)
			die(EXIT_USAGE, "--seed=%s: %s (0..%" PRIu64 ")", val, app_parse_why(ret),
			    UINT64_MAX);
		pt.seed_set = true;
	} else if (strcmp(name, "--late-policy") == 0) {
		if (strcmp(val, "send") == 0)
			pt.policy = BENCH_PACER_SEND_LATE;
		else if (strcmp(val, "skip") == 0)
			pt.policy = BENCH_PACER_SKIP;
		else
			die(EXIT_USAGE, "--late-policy=%s: send (late, catching up) or skip "
					"(counted skipped)", val);
		pt.policy_set = true;
	} else if (strcmp(name, "--late") == 0) {
		ret = app_parse_duration(val, &pt.late_ns);
		if (ret < 0)
			die(EXIT_USAGE, "--late=%s: %s (a duration: 50us)", val,
			    app_parse_why(ret));
		if (pt.late_ns > 3600000000000ull)
			die(EXIT_USAGE, "--late=%s: at most 1 h", val);
		pt.late_set = true;
	} else {
		return false;
	}
	return true;
}

bool
pattern_set(void)
{
	return pt.pattern != BENCH_PACER_CONSTANT;
}

void
pattern_check(bool replay)
{
	if (pt.seed_set && pt.pattern != BENCH_PACER_POISSON)
		die(EXIT_USAGE, "--seed: only with --pattern=poisson");
	if (pt.pattern != BENCH_PACER_CONSTANT) {
		if (replay)
			die(EXIT_USAGE, "--pattern=%s with --pcap-replay: the file's timing or "
					"--rate's constant one", pt.text);
		if (opt.mode == BENCH_MODE_RFC2544 || opt.mode == BENCH_MODE_CALIBRATE)
			die(EXIT_USAGE, "--pattern=%s: MODE %s paces constant (RFC 2544's "
					"uniform frames; the floor and the top rate)",
			    pt.text, opt.mode_name);
	}
	if (pt.pattern == BENCH_PACER_BURST && pt.burst > opt.burst)
		die(EXIT_USAGE, "--pattern=%s: a burst larger than --burst=%" PRIu64
				" would leave in pieces; give --burst=%u or more",
		    pt.text, opt.burst, pt.burst);
	if (!pt.late_set)
		pt.late_ns = opt.throttle_us * 1000 + 50000;
}

/* The pacer's rate while on, for a mean rate (on-off); the mean itself otherwise. */
static double
pacer_rate(double mean_pps)
{
	if (pt.pattern != BENCH_PACER_ON_OFF)
		return mean_pps;
	return mean_pps * (double)(pt.on_ns + pt.off_ns) / (double)pt.on_ns;
}

void
pattern_pacer_conf(struct bench_pacer_conf *pc, uint64_t hz)
{
	pc->pattern = pt.pattern;
	pc->policy = pt.policy;
	pc->late = (uint64_t)((unsigned __int128)pt.late_ns * hz / 1000000000u);
	pc->rate_pps = pacer_rate(pc->rate_pps);
	pc->burst = pt.burst;
	pc->seed = pt.seed;
	pc->on = (uint64_t)((unsigned __int128)pt.on_ns * hz / 1000000000u);
	pc->off = (uint64_t)((unsigned __int128)pt.off_ns * hz / 1000000000u);
}

int
pattern_check_rate(double rate_pps, char *err, size_t errlen)
{
	double on_rate = pacer_rate(rate_pps);

	if (pt.pattern == BENCH_PACER_ON_OFF && on_rate * (double)pt.on_ns / 1e9 < 1.0) {
		snprintf(err, errlen, "--pattern=%s: at %.3f pps not one packet per on window "
				      "(%.0f pps while on)", pt.text, rate_pps, on_rate);
		return -EINVAL;
	}
	if (on_rate > 1e10) {
		snprintf(err, errlen, "--pattern=%s: %.0f pps while on, above 1e10", pt.text,
			 on_rate);
		return -EINVAL;
	}
	return 0;
}

json_t *
pattern_config_json(void)
{
	json_t *o = json_object();
	static const char *const kind[] = {
	    [BENCH_PACER_CONSTANT] = "constant", [BENCH_PACER_POISSON] = "poisson",
	    [BENCH_PACER_BURST] = "burst",	 [BENCH_PACER_ON_OFF] = "on-off",
	    [BENCH_PACER_TRACE] = "trace",
	};

	json_object_set_new(o, "spec", json_string(pt.text));
	json_object_set_new(o, "kind", json_string(kind[pt.pattern]));
	json_object_set_new(o, "seed", pt.pattern == BENCH_PACER_POISSON
					   ? json_integer((json_int_t)pt.seed)
					   : json_null());
	json_object_set_new(o, "burst", pt.pattern == BENCH_PACER_BURST
					    ? json_integer(pt.burst)
					    : json_null());
	json_object_set_new(o, "on_s", pt.pattern == BENCH_PACER_ON_OFF
					   ? json_real((double)pt.on_ns / 1e9)
					   : json_null());
	json_object_set_new(o, "off_s", pt.pattern == BENCH_PACER_ON_OFF
					    ? json_real((double)pt.off_ns / 1e9)
					    : json_null());
	json_object_set_new(o, "on_rate_factor",
			    json_real(pacer_rate(1.0)));
	json_object_set_new(o, "late_policy",
			    json_string(pt.policy == BENCH_PACER_SKIP ? "skip" : "send"));
	json_object_set_new(o, "late_ns", json_integer((json_int_t)pt.late_ns));
	return o;
}

void
pattern_text(FILE *f)
{
	fprintf(f, "  pattern %s", pt.text);
	if (pt.pattern == BENCH_PACER_POISSON)
		fprintf(f, " (seed %" PRIu64 ")", pt.seed);
	if (pt.pattern == BENCH_PACER_ON_OFF)
		fprintf(f, " (%.0f pps while on)", pacer_rate(b.rate_pps));
	fprintf(f, ", late packets %s (late: %.3f us after the deadline)\n",
		pt.policy == BENCH_PACER_SKIP ? "skipped" : "sent late", (double)pt.late_ns / 1e3);
}
