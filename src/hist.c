/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A log-linear histogram of nanosecond values: 16 buckets per power of two,
 * so a quantile is known within about 6%. The owner adds; any thread reads.
 */

#include "lcx_private.h"

static unsigned int
bucket_of(uint64_t v)
{
	if (v < (1u << LCX_HIST_SUB_BITS))
		return (unsigned int)v;
	unsigned int k = 63u - (unsigned int)__builtin_clzll(v); /* >= SUB_BITS */
	unsigned int sub = (unsigned int)(v >> (k - LCX_HIST_SUB_BITS)) & ((1u << LCX_HIST_SUB_BITS) - 1);

	return (k - LCX_HIST_SUB_BITS + 1) * (1u << LCX_HIST_SUB_BITS) + sub;
}

/* The largest value that falls in bucket b. */
static uint64_t
bucket_upper(unsigned int b)
{
	unsigned int per = 1u << LCX_HIST_SUB_BITS;

	if (b < per)
		return b;
	unsigned int k = b / per + LCX_HIST_SUB_BITS - 1;
	uint64_t sub = b % per;
	uint64_t lo = (1ull << k) + (sub << (k - LCX_HIST_SUB_BITS));

	return lo + (1ull << (k - LCX_HIST_SUB_BITS)) - 1;
}

void
lcx__hist_add(struct lcx_hist *h, uint64_t v)
{
	unsigned int b = bucket_of(v);

	__atomic_store_n(&h->count[b], h->count[b] + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->total, h->total + 1, __ATOMIC_RELAXED);
	if (v > h->max)
		__atomic_store_n(&h->max, v, __ATOMIC_RELAXED);
}

uint64_t
lcx__hist_quantile(const struct lcx_hist *h, double q)
{
	uint64_t total = __atomic_load_n(&h->total, __ATOMIC_RELAXED);
	uint64_t max = __atomic_load_n(&h->max, __ATOMIC_RELAXED);

	if (total == 0)
		return 0;
	uint64_t want = (uint64_t)(q * (double)total + 0.999999);
	uint64_t seen = 0;

	if (want == 0)
		want = 1;
	for (unsigned int b = 0; b < LCX_HIST_BUCKETS; b++) {
		seen += __atomic_load_n(&h->count[b], __ATOMIC_RELAXED);
		if (seen >= want) {
			uint64_t up = bucket_upper(b);

			return up < max ? up : max;
		}
	}
	return max;
}
