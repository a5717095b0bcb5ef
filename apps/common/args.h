/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_ARGS_H
#define LCX_APP_ARGS_H

/*
 * The one grammar of the programs' option values (lcx-pmd, lcx-ingest,
 * lcx-timer-accuracy), strict: no hex or octal, no sign, no white space, no
 * empty value, no trailing characters, no overflow. Pure: no EAL, any thread.
 *
 *   integer   DIGITS                      decimal only: "0x10", "+5", "-1", " 5" refused
 *   duration  DIGITS[.DIGITS][UNIT]       UNIT ns, us, ms, s, m (minutes) or h; none: s.
 *                                         "1.5", "2s", "500ms", "250us", "1m"; a fraction
 *                                         finer than 1 ns is cut (rounded down). ".5",
 *                                         "1.", "1e3", "5 s", "5S" refused
 *   size      DIGITS[SUFFIX]              SUFFIX k or K (x 1024), M (x 1024^2), G (x 1024^3):
 *                                         powers of two, as "64k" means to ip(8) and
 *                                         dumpcap. "1.5M", "64kB", "1T" refused
 *
 * Zero is a valid value for every kind: each option says whether it takes 0
 * and what 0 means (the callers refuse it where it would mean nothing).
 */

#include <stdint.h>

/**
 * Parse a decimal integer.
 * @param s the text.
 * @param min, max the range (inclusive).
 * @param out the value (set only on success).
 * @return 0, -EINVAL (not an integer), or -ERANGE (outside [min, max] or past 2^64-1).
 */
int app_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/**
 * Parse a duration (see above) into nanoseconds.
 * @return 0, -EINVAL (not a duration), or -ERANGE (past 2^64-1 ns).
 */
int app_parse_duration(const char *s, uint64_t *out_ns);

/**
 * Parse a size in bytes (see above).
 * @return 0, -EINVAL (not a size), or -ERANGE (past 2^64-1 bytes).
 */
int app_parse_size(const char *s, uint64_t *out);

/**
 * A short phrase for an error of the functions above: "not a number",
 * "out of range", ..., for a message "--opt=VAL: <why>".
 */
const char *app_parse_why(int err);

#endif /* LCX_APP_ARGS_H */
