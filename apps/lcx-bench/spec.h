/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_SPEC_H
#define BENCH_SPEC_H

/**
 * @file
 * Parsers of lcx-bench's traffic options: rates, frame sizes, flows. Strict:
 * anything not in the forms below is refused with -EINVAL and a message in
 * err (NUL-terminated, cut to errlen), never read as something else nor
 * replaced by a default. Pure functions, callable from any thread.
 *
 * Rates (bench_parse_rate()):
 *   N[k|K|M|G]pps        packets per second
 *   N[k|K|M|G]bps[:l1|:l2]  bits per second counted at layer 1 (the default:
 *                        each frame costs its size + 20 bytes, preamble 7 +
 *                        SFD 1 + inter-frame gap 12, IEEE 802.3 clause 4) or
 *                        layer 2 (the frame alone, FCS included)
 *   N%                   percent of the link's speed (layer 1), (0, 100]
 * N is a decimal number (digits, optionally a fraction), > 0; k = 1e3,
 * M = 1e6, G = 1e9. bench_rate_pps() turns a rate into packets per second
 * for a mean frame size and refuses one beyond the link.
 *
 * Frame sizes (bench_parse_sizes()), Ethernet frames with FCS, bytes:
 *   S                    one size
 *   A-B                  every size from A to B, uniformly (mean (A + B) / 2)
 *   imix                 64:7,594:4,1518:1 (the "simple IMIX" of 7:4:1;
 *                        RFC 6985 describes IMIX in benchmarking)
 *   S:W,S:W,...          sizes with integer weights (W defaults to 1),
 *                        at most BENCH_SIZES_MAX, no size twice
 * Each size in [min_frame, BENCH_FRAME_MAX]; min_frame is the caller's (the
 * signature's minimum: BENCH_SIG_MIN_FRAME_V4 = 64 or _V6 = 84).
 *
 * Flows (bench_parse_flow()): comma-separated key=value, each key once:
 *   src=A[-B]            source addresses (IPv4 or IPv6), required
 *   dst=A[-B]            destination addresses, same family, required
 *   sport=P[-Q]          UDP source ports, 1..65535 (default 9)
 *   dport=P[-Q]          UDP destination ports (default 9)
 *   vary=inc|rand        walk the ranges incrementing (an odometer, sport
 *                        fastest, then dport, src, dst) or draw each field
 *                        at random (default inc)
 * A range holds at most 2^32 addresses; A <= B.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Layer-1 overhead per Ethernet frame: preamble 7 + SFD 1 + inter-frame gap 12 bytes. */
#define BENCH_L1_OVERHEAD 20
#define BENCH_FRAME_MAX 9216
#define BENCH_SIZES_MAX 16

enum bench_rate_unit {
	BENCH_RATE_PPS = 0, /**< packets per second */
	BENCH_RATE_BPS,	    /**< bits per second */
	BENCH_RATE_PERCENT, /**< percent of the link speed */
};

/** A parsed rate. */
struct bench_rate {
	enum bench_rate_unit unit;
	double value; /**< in unit, > 0 (percent: (0, 100]) */
	bool l2;      /**< BPS: counted at layer 2 (frame only) rather than layer 1 */
};

/**
 * Parse a rate.
 *
 * @return 0, or -EINVAL with a message (malformed, zero, negative, above
 *         100%, above 1e10 pps or 1e13 bps, a layer on a pps or % rate)
 */
int bench_parse_rate(const char *s, struct bench_rate *out, char *err, size_t errlen);

/**
 * Packets per second of a rate.
 *
 * @param mean_frame  mean frame size, bytes (FCS included), > 0
 * @param link_bps    the link's speed, bits per second; 0 = unknown
 * @param pps         the result
 * @return 0, or -EINVAL with a message: a % rate with no link speed, or a
 *         rate beyond the link (layer 1 bits per second above link_bps)
 */
int bench_rate_pps(const struct bench_rate *r, double mean_frame, uint64_t link_bps, double *pps,
		   char *err, size_t errlen);

enum bench_sizes_kind {
	BENCH_SIZES_FIXED = 0, /**< size[0] */
	BENCH_SIZES_RANGE,     /**< lo..hi uniformly */
	BENCH_SIZES_LIST,      /**< size[i] with weight[i] */
};

/** Parsed frame sizes. */
struct bench_sizes {
	enum bench_sizes_kind kind;
	unsigned int n; /**< entries in size/weight */
	uint16_t size[BENCH_SIZES_MAX];
	uint32_t weight[BENCH_SIZES_MAX];
	uint16_t lo, hi; /**< smallest and largest size */
};

/**
 * Parse frame sizes.
 *
 * @param min_frame  the smallest size allowed
 * @return 0, or -EINVAL with a message
 */
int bench_parse_sizes(const char *s, unsigned int min_frame, struct bench_sizes *out, char *err,
		      size_t errlen);

/** @return the mean frame size, bytes */
double bench_sizes_mean(const struct bench_sizes *sz);

/** A range of addresses, big-endian bytes (4 used for IPv4). */
struct bench_addr_range {
	uint8_t lo[16];
	uint8_t hi[16];
	uint64_t count; /**< addresses in the range, 1..2^32 */
};

enum bench_flow_vary {
	BENCH_FLOW_INC = 0, /**< incrementing */
	BENCH_FLOW_RAND,    /**< random */
};

/** A parsed flow spec. */
struct bench_flow {
	int family;		     /**< AF_INET or AF_INET6 */
	struct bench_addr_range src; /**< source addresses */
	struct bench_addr_range dst; /**< destination addresses */
	uint16_t sport_lo, sport_hi; /**< source ports */
	uint16_t dport_lo, dport_hi; /**< destination ports */
	enum bench_flow_vary vary;   /**< how the ranges are walked */
};

/**
 * Parse a flow spec.
 *
 * @return 0, or -EINVAL with a message
 */
int bench_parse_flow(const char *s, struct bench_flow *out, char *err, size_t errlen);

/** @return the number of distinct tuples (saturated at UINT64_MAX) */
uint64_t bench_flow_count(const struct bench_flow *f);

#endif
