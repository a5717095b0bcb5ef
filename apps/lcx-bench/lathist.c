/* SPDX-License-Identifier: BSD-3-Clause */
/* Latency histogram and jitter (lathist.h). */
#include <math.h>
#include <string.h>

#include "lathist.h"

#define S BENCH_HIST_SUB_BITS

unsigned int
bench_hist_index(uint64_t v)
{
	unsigned int k;

	if (v < BENCH_HIST_SUB)
		return (unsigned int)v;
	if (v > BENCH_HIST_MAX_NS)
		v = BENCH_HIST_MAX_NS;
	k = 63u - (unsigned int)__builtin_clzll(v); /* S <= k < TOP */
	return BENCH_HIST_SUB * (k - S + 1) + (unsigned int)((v >> (k - S)) - BENCH_HIST_SUB);
}

void
bench_hist_bounds(unsigned int index, uint64_t *lo, uint64_t *hi)
{
	unsigned int k, sub;

	if (index < BENCH_HIST_SUB) {
		*lo = *hi = index;
		return;
	}
	k = index / BENCH_HIST_SUB - 1 + S;
	sub = index % BENCH_HIST_SUB;
	*lo = (uint64_t)(BENCH_HIST_SUB + sub) << (k - S);
	*hi = *lo + (1ull << (k - S)) - 1;
}

void
bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	/* A zeroed histogram is empty too: min is then 0 with count 0. */
	if (h->count == 0 || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->count++;
	h->sum += ns;
	if (ns > BENCH_HIST_MAX_NS)
		h->over++;
	else
		h->b[bench_hist_index(ns)]++;
}

uint64_t
bench_hist_percentile(const struct bench_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi;

	if (h->count == 0)
		return 0;
	if (q <= 0.0)
		return h->min;
	if (q >= 1.0)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			bench_hist_bounds(i, &lo, &hi);
			if (hi > h->max)
				hi = h->max;
			if (hi < h->min)
				hi = h->min;
			return hi;
		}
	}
	return h->max; /* the rank is among the samples above the range */
}

double
bench_hist_mean(const struct bench_hist *h)
{
	return h->count == 0 ? 0.0 : (double)h->sum / (double)h->count;
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->over += src->over;
	dst->sum += src->sum;
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

size_t
bench_hist_export(const struct bench_hist *h, struct bench_hist_bucket *out, size_t n)
{
	size_t k = 0;

	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++) {
		if (h->b[i] == 0)
			continue;
		if (out != NULL && k < n) {
			bench_hist_bounds(i, &out[k].lo, &out[k].hi);
			out[k].count = h->b[i];
		}
		k++;
	}
	return k;
}

void
bench_jitter_init(struct bench_jitter *j)
{
	memset(j, 0, sizeof(*j));
	bench_hist_init(&j->ipdv_pos);
	bench_hist_init(&j->ipdv_neg);
}

void
bench_jitter_add(struct bench_jitter *j, uint64_t seq, uint64_t tx_ns, uint64_t rx_ns)
{
	int64_t tx = (int64_t)tx_ns, rx = (int64_t)rx_ns;

	if (j->have_prev) {
		/* D(i-1, i) = (R_i - R_{i-1}) - (S_i - S_{i-1}) = IPDV when consecutive. */
		int64_t d = (rx - j->prev_rx) - (tx - j->prev_tx);
		double ad = d < 0 ? -(double)d : (double)d;

		j->j += (ad - j->j) / 16.0;
		j->pairs++;
		if (seq == j->prev_seq + 1) {
			if (d >= 0)
				bench_hist_add(&j->ipdv_pos, (uint64_t)d);
			else
				bench_hist_add(&j->ipdv_neg, (uint64_t)(-(d + 1)) + 1);
		} else {
			j->ipdv_undefined++;
		}
	}
	j->prev_seq = seq;
	j->prev_tx = tx;
	j->prev_rx = rx;
	j->have_prev = true;
}
