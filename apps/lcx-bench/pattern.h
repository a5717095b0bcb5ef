/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_PATTERN_H
#define BENCH_PATTERN_H

/**
 * @file
 * lcx-bench's pacing options (--pattern, --seed, --late-policy, --late): which
 * of the pacer's schedules (pacer.h) the sender runs, and what becomes of
 * packets owed after a stall. The load of a trial (--rate, a search's load) is
 * always the *mean* rate of the pattern:
 * - constant: evenly spaced (the default);
 * - poisson: exponential gaps of mean 1 / load, from --seed (default 1);
 * - burst:N: N packets due together every N / load seconds;
 * - on-off:ON/OFF: ON at load x (ON + OFF) / ON, then OFF silent.
 *
 * Threads: the option functions run on the main thread before the contexts
 * start; pattern_pacer_conf() on the tx context; the state is read-only then.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct bench_pacer_conf;

/** @return true if arg is one of the pacing options (for the EAL / app split) */
bool pattern_is_option(const char *arg);

/** Parse one option (name without '=VALUE'); die()s on a bad value. @return true if ours */
bool pattern_option(const char *name, const char *val);

/** After the options: check them with the mode, --burst, a replay; die()s on a conflict. */
void pattern_check(bool replay);

/** @return true when the pattern is not constant (a replay or rfc2544 refuse it) */
bool pattern_set(void);

/**
 * Set the pacer's pattern, policy and lateness for a trial at mean rate
 * pc->rate_pps (changed to the rate while on for on-off).
 *
 * @param pc     the pacer's configuration, rate_pps and hz set
 * @param hz     ticks per second of the pacer's clock
 */
void pattern_pacer_conf(struct bench_pacer_conf *pc, uint64_t hz);

/**
 * Check that a load can be paced (on-off: at least one packet per on window).
 * @return 0, or -EINVAL with err filled
 */
int pattern_check_rate(double rate_pps, char *err, size_t errlen);

/** config.pattern of the JSON (a new reference). */
json_t *pattern_config_json(void);

/** The pattern's words for the text summary ("poisson, seed 1"). */
void pattern_text(FILE *f);

#endif
