/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_LATHIST_H
#define BENCH_LATHIST_H

/**
 * @file
 * Latency histogram and jitter (lcx-bench). Every sample is recorded; none is
 * sampled out. Not thread-safe: one histogram per receiving thread, merged
 * with bench_hist_merge() afterwards.
 *
 * Buckets are log-linear, as HdrHistogram's (G. Tene): values below 2^S
 * (S = BENCH_HIST_SUB_BITS = 7, so below 128 ns) each have their own bucket;
 * above, each power of two [2^k, 2^(k+1)) is cut into 2^S equal buckets of
 * width 2^(k-S). A value v >= 2^S therefore lies in a bucket [lo, lo + w) with
 * w <= lo / 2^S, and every value this histogram reports for v (a percentile,
 * a bucket's upper bound) is r with v <= r <= v + v / 128: the relative error
 * is at most 2^-7 = 0.78125% (exact for v < 128). Range: 0 ns to
 * BENCH_HIST_MAX_NS = 2^37 - 1 ns (137.4 s); larger values are counted in
 * over (and in min, max, mean) and a percentile that falls on them is
 * reported as the exact max. Count, min, max and the sum (128 bits) are exact,
 * so the mean is exact to double precision.
 *
 * Percentiles use the nearest-rank definition: p(q) is the smallest recorded
 * value x such that at least ceil(q * count) samples are <= x (q in (0, 1]);
 * the histogram returns the upper end of x's bucket, clamped to [min, max].
 *
 * Jitter (struct bench_jitter), fed in arrival order with the sender's and
 * the receiver's timestamps of each packet:
 * - J, the interarrival jitter of RFC 3550 section 6.4.1 (and A.8):
 *   D(i-1, i) = (R_i - R_{i-1}) - (S_i - S_{i-1}), J += (|D| - J) / 16, over
 *   consecutive arrivals, whatever their sequence numbers;
 * - IPDV, the inter-packet delay variation of RFC 3393 (and RFC 5481 section
 *   1.1/4.1: IPDV(i) = D_i - D_{i-1}, D the one-way delay), for pairs of
 *   packets with consecutive sequence numbers (RFC 3393's selection function
 *   "consecutive packets of the stream"); a pair with a loss or reordering
 *   between them is not defined and is counted in ipdv_undefined. The signed
 *   values go into two histograms (>= 0 and < 0, by magnitude). RFC 5481's
 *   PDV (D_i - D_min) is read off the latency histogram (p(q) - min), and
 *   RFC 4689's jitter (the absolute difference of the forwarding delays of
 *   two consecutive received packets of a stream) is |IPDV| when nothing
 *   was lost or reordered between them.
 * The clock offset between sender and receiver cancels in D and IPDV; it
 * does not in the latency itself (same clock on both ends, e.g. one host).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_HIST_SUB_BITS 7
#define BENCH_HIST_SUB (1u << BENCH_HIST_SUB_BITS)
/** Powers of two covered: values up to 2^BENCH_HIST_TOP_BITS - 1 ns. */
#define BENCH_HIST_TOP_BITS 37
#define BENCH_HIST_MAX_NS ((1ull << BENCH_HIST_TOP_BITS) - 1)
/** Buckets: 2^S exact ones, then 2^S per power of two from 2^S to 2^TOP. */
#define BENCH_HIST_BUCKETS (BENCH_HIST_SUB * (BENCH_HIST_TOP_BITS - BENCH_HIST_SUB_BITS + 1))

/** A latency histogram (32 KiB). Zero it or bench_hist_init() it. */
struct bench_hist {
	uint64_t count;	       /**< samples */
	uint64_t min;	       /**< smallest sample, ns (UINT64_MAX when empty) */
	uint64_t max;	       /**< largest sample, ns (0 when empty) */
	uint64_t over;	       /**< samples above BENCH_HIST_MAX_NS */
	unsigned __int128 sum; /**< sum of the samples, ns */
	uint64_t b[BENCH_HIST_BUCKETS];
};

/** One bucket, for export: count samples in [lo, hi] ns. */
struct bench_hist_bucket {
	uint64_t lo;	/**< smallest value of the bucket, ns */
	uint64_t hi;	/**< largest value of the bucket, ns */
	uint64_t count; /**< samples in it */
};

/** Empty a histogram. */
void bench_hist_init(struct bench_hist *h);

/** Record one sample, ns (any value: above the range it is counted in over). */
void bench_hist_add(struct bench_hist *h, uint64_t ns);

/**
 * The percentile q (nearest rank), ns.
 *
 * @param q  in (0, 1]: 0.5 for p50, 0.9999 for p99.99; q <= 0 gives min, q > 1 max
 * @return the value, within +0.78125% of the true one (see the file comment);
 *         0 for an empty histogram
 */
uint64_t bench_hist_percentile(const struct bench_hist *h, double q);

/** @return the exact mean, ns (0 when empty) */
double bench_hist_mean(const struct bench_hist *h);

/** Add src's samples to dst (as if each had been added to dst). */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

/**
 * Export the non-empty buckets in increasing order (for CSV and plots).
 *
 * @param h    the histogram
 * @param out  up to n buckets are written here; NULL to count only
 * @param n    room in out
 * @return the number of non-empty buckets (may be more than n: then only the
 *         first n were written). Samples in over are not in any bucket.
 */
size_t bench_hist_export(const struct bench_hist *h, struct bench_hist_bucket *out, size_t n);

/** The bucket index of a value, and the bucket's bounds (also for the tests). */
unsigned int bench_hist_index(uint64_t ns);
void bench_hist_bounds(unsigned int index, uint64_t *lo, uint64_t *hi);

/** Jitter state of one stream. Zero it or bench_jitter_init() it. */
struct bench_jitter {
	double j;		 /**< RFC 3550 J, ns */
	uint64_t pairs;		 /**< arrival pairs that updated J */
	uint64_t ipdv_undefined; /**< pairs with non-consecutive sequence numbers */
	uint64_t prev_seq;
	int64_t prev_tx, prev_rx;
	bool have_prev;
	struct bench_hist ipdv_pos; /**< IPDV >= 0, ns */
	struct bench_hist ipdv_neg; /**< -IPDV for IPDV < 0, ns */
};

/** Reset a jitter state. */
void bench_jitter_init(struct bench_jitter *j);

/**
 * One arrival, in arrival order.
 *
 * @param seq    the packet's sequence number
 * @param tx_ns  the sender's timestamp, ns
 * @param rx_ns  the receiver's timestamp, ns
 */
void bench_jitter_add(struct bench_jitter *j, uint64_t seq, uint64_t tx_ns, uint64_t rx_ns);

#endif
