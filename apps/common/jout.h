/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_JOUT_H
#define LCX_APP_JOUT_H

/**
 * @file
 * The programs' JSON output (summaries, control replies, --stats-json lines),
 * built with jansson: values are made here, objects with json_pack() or
 * json_object_set_new(), and written by app_jout_dump(). One format for all:
 * compact (no spaces), keys in the order they were set, reals with at most
 * 15 significant digits (a real is always written with a '.' or an exponent,
 * so a reader sees its type whatever its value).
 *
 * Pure: no EAL. Any thread.
 */

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/** The dump flags of every JSON text the programs write. */
#define APP_JOUT_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/**
 * A counter as a JSON integer. jansson's integers are signed 64-bit: a value
 * past 2^63-1 (584 years of 1 Gpps) is written as 2^63-1.
 */
static inline json_int_t
app_jout_u64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

/**
 * v rounded to decimals digits after the point (0..9), as a real: the
 * figures printed before with "%.Nf" keep their precision. NaN and the
 * infinities, which JSON has not, become 0.0.
 */
double app_jout_round(double v, int decimals);

/**
 * Write o (compact, APP_JOUT_FLAGS) then a newline if nl, and drop the
 * reference to o (also on failure).
 * @return 0, -ENOMEM when o is NULL (a value could not be made), -EIO when
 *   the stream refused it.
 */
int app_jout_dump(json_t *o, FILE *f, int nl);

/**
 * o as a text with a newline at the end (a control reply), malloc()ed; drops
 * the reference to o.
 * @param len its length (bytes, the newline included, no NUL).
 * @return the text (free() it), or NULL when o is NULL or out of memory.
 */
char *app_jout_line(json_t *o, size_t *len);

#endif /* LCX_APP_JOUT_H */
