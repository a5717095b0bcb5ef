/* SPDX-License-Identifier: BSD-3-Clause */
/* The bounded flow table (see flow.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define WAYS 8

_Static_assert(sizeof(struct ingest_flow_key) == 40, "flow key is five words");

static uint32_t
table_buckets(uint32_t max_flows)
{
	uint32_t nb = 1;

	while ((uint64_t)nb * WAYS < (uint64_t)max_flows * 2)
		nb <<= 1;
	return nb < 2 ? 2 : nb;
}

uint64_t
ingest_flow_table_bytes(uint32_t max_flows)
{
	uint64_t nb;

	if (max_flows == 0 || max_flows > (1u << 24))
		return 0;
	nb = table_buckets(max_flows);
	return sizeof(struct ingest_flow_table) + nb +
	       nb * WAYS * (sizeof(((struct ingest_flow_table *)0)->sigs[0]) +
			    sizeof(struct ingest_flow));
}

int
ingest_flow_table_create(uint32_t max_flows, struct ingest_flow_table **out)
{
	struct ingest_flow_table *t;
	uint32_t nb;

	if (max_flows == 0 || max_flows > (1u << 24) || out == NULL)
		return -EINVAL;
	nb = table_buckets(max_flows);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->max_flows = max_flows;
	t->nb_buckets = nb;
	t->used = calloc(nb, 1);
	t->sigs = calloc((size_t)nb * WAYS, sizeof(*t->sigs));
	t->flows = aligned_alloc(64, (size_t)nb * WAYS * sizeof(*t->flows));
	if (t->used == NULL || t->sigs == NULL || t->flows == NULL) {
		ingest_flow_table_destroy(t);
		return -ENOMEM;
	}
	memset(t->flows, 0, (size_t)nb * WAYS * sizeof(*t->flows));
	*out = t;
	return 0;
}

void
ingest_flow_table_destroy(struct ingest_flow_table *t)
{
	if (t == NULL)
		return;
	free(t->used);
	free(t->sigs);
	free(t->flows);
	free(t);
}

struct ingest_flow *
ingest_flow_find(const struct ingest_flow_table *t, const struct ingest_flow_key *key)
{
	return ingest_flow_find_h(t, key, ingest_flow_hash(key));
}

#define buckets_of ingest__flow_buckets
#define bucket_find ingest__flow_bucket_find

/* The least recently seen slot of bucket b, or -1 if it is empty. */
static int
bucket_oldest(const struct ingest_flow_table *t, uint32_t b)
{
	unsigned int used = t->used[b], i;
	int best = -1;

	while (used) {
		i = (unsigned int)__builtin_ctz(used);
		used &= used - 1;
		if (best < 0 || t->flows[b * WAYS + i].last_ns < t->flows[b * WAYS + best].last_ns)
			best = (int)i;
	}
	return best;
}

static void
evict(struct ingest_flow_table *t, uint32_t b, int slot)
{
	t->used[b] &= (uint8_t)~(1u << slot);
	t->count--;
	t->evictions++;
}

/* Free one slot: the least recently seen flow of a sample of buckets (the two
 * candidates and the next EVICT_SAMPLE from the clock hand); when all of
 * them are empty, the first occupied bucket after the hand. */
#define EVICT_SAMPLE 4

static void
make_room(struct ingest_flow_table *t, uint32_t b1, uint32_t b2)
{
	uint32_t cand[2 + EVICT_SAMPLE], vb = 0, i, n = 0;
	int s, vs = -1;

	cand[n++] = b1;
	cand[n++] = b2;
	for (i = 0; i < EVICT_SAMPLE && i + 2 < t->nb_buckets; i++) {
		cand[n++] = t->hand;
		t->hand = (t->hand + 1) & (t->nb_buckets - 1);
	}
	for (i = 0; i < n; i++) {
		s = bucket_oldest(t, cand[i]);
		if (s >= 0 && (vs < 0 || t->flows[cand[i] * WAYS + s].last_ns <
					    t->flows[vb * WAYS + vs].last_ns)) {
			vb = cand[i];
			vs = s;
		}
	}
	while (vs < 0) {
		vb = t->hand;
		t->hand = (t->hand + 1) & (t->nb_buckets - 1);
		vs = bucket_oldest(t, vb);
	}
	evict(t, vb, vs);
}

struct ingest_flow *
ingest_flow_get(struct ingest_flow_table *t, const struct ingest_flow_key *key, uint64_t now_ns)
{
	return ingest_flow_get_h(t, key, ingest_flow_hash(key), now_ns);
}

struct ingest_flow *
ingest_flow_get_h(struct ingest_flow_table *t, const struct ingest_flow_key *key, uint64_t h,
		  uint64_t now_ns)
{
	uint32_t b1, b2, b, sig = (uint32_t)(h >> 32);
	struct ingest_flow *f;
	unsigned int free1, free2, slot;

	buckets_of(t, h, &b1, &b2);
	f = bucket_find(t, b1, sig, key);
	if (f != NULL)
		return f;
	f = bucket_find(t, b2, sig, key);
	if (f != NULL)
		return f;

	if (t->count >= t->max_flows)
		make_room(t, b1, b2);
	free1 = WAYS - (unsigned int)__builtin_popcount(t->used[b1]);
	free2 = WAYS - (unsigned int)__builtin_popcount(t->used[b2]);
	if (free1 == 0 && free2 == 0) {
		/* Both candidates full (rare: twice the slots, two choices). */
		int s1 = bucket_oldest(t, b1), s2 = bucket_oldest(t, b2);

		if (t->flows[b1 * WAYS + s1].last_ns <= t->flows[b2 * WAYS + s2].last_ns)
			evict(t, b1, s1);
		else
			evict(t, b2, s2);
		free1 = WAYS - (unsigned int)__builtin_popcount(t->used[b1]);
		free2 = WAYS - (unsigned int)__builtin_popcount(t->used[b2]);
	}
	b = free1 >= free2 ? b1 : b2;
	slot = (unsigned int)__builtin_ctz(~(unsigned int)t->used[b] & 0xff);
	t->used[b] |= (uint8_t)(1u << slot);
	t->sigs[b * WAYS + slot] = sig;
	f = &t->flows[b * WAYS + slot];
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->first_ns = now_ns;
	f->last_ns = now_ns;
	f->win_start_ns = now_ns;
	t->count++;
	t->inserts++;
	return f;
}

void
ingest__flow_window_close(struct ingest_flow *f, uint64_t now_ns)
{
	uint64_t span = now_ns - f->win_start_ns;

	f->prev_pps = ingest__muldiv(f->win_pkts, 1000000000ull, span);
	f->prev_bps = ingest__muldiv(f->win_bytes, 8000000000ull, span);
	f->win_start_ns = now_ns;
	f->win_pkts = 0;
	f->win_bytes = 0;
}

struct ingest_flow_rate
ingest_flow_rate(const struct ingest_flow *f, uint64_t now_ns)
{
	uint64_t span = now_ns > f->win_start_ns ? now_ns - f->win_start_ns : 0;
	bool closed = f->pkts != f->win_pkts; /* a window closed before this one */

	if (span >= INGEST_FLOW_RATE_WINDOW_NS || (!closed && span > 0))
		return (struct ingest_flow_rate){
			.pps = ingest__muldiv(f->win_pkts, 1000000000ull, span),
			.bps = ingest__muldiv(f->win_bytes, 8000000000ull, span),
		};
	if (closed)
		return (struct ingest_flow_rate){.pps = f->prev_pps, .bps = f->prev_bps};
	return (struct ingest_flow_rate){0, 0};
}

void
ingest_flow_foreach(const struct ingest_flow_table *t,
		    void (*fn)(const struct ingest_flow *f, void *arg), void *arg)
{
	uint32_t b;
	unsigned int used, i;

	for (b = 0; b < t->nb_buckets; b++) {
		used = t->used[b];
		while (used) {
			i = (unsigned int)__builtin_ctz(used);
			used &= used - 1;
			fn(&t->flows[b * WAYS + i], arg);
		}
	}
}

struct top {
	const struct ingest_flow **heap; /* min-heap on rate */
	uint64_t *rate;
	unsigned int n, cap;
	uint64_t now;
};

static void
heap_sift_down(struct top *tp, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;
		const struct ingest_flow *tf;
		uint64_t tr;

		if (l < tp->n && tp->rate[l] < tp->rate[m])
			m = l;
		if (r < tp->n && tp->rate[r] < tp->rate[m])
			m = r;
		if (m == i)
			return;
		tf = tp->heap[i], tp->heap[i] = tp->heap[m], tp->heap[m] = tf;
		tr = tp->rate[i], tp->rate[i] = tp->rate[m], tp->rate[m] = tr;
		i = m;
	}
}

static void
top_visit(const struct ingest_flow *f, void *arg)
{
	struct top *tp = arg;
	uint64_t r = ingest_flow_rate(f, tp->now).pps;
	unsigned int i;

	if (tp->n < tp->cap) {
		/* sift up */
		i = tp->n++;
		tp->heap[i] = f;
		tp->rate[i] = r;
		while (i > 0 && tp->rate[(i - 1) / 2] > tp->rate[i]) {
			unsigned int p = (i - 1) / 2;
			const struct ingest_flow *tf = tp->heap[i];
			uint64_t tr = tp->rate[i];

			tp->heap[i] = tp->heap[p], tp->heap[p] = tf;
			tp->rate[i] = tp->rate[p], tp->rate[p] = tr;
			i = p;
		}
	} else if (tp->cap > 0 && r > tp->rate[0]) {
		tp->heap[0] = f;
		tp->rate[0] = r;
		heap_sift_down(tp, 0);
	}
}

unsigned int
ingest_flow_top(const struct ingest_flow_table *t, uint64_t now_ns,
		const struct ingest_flow **out, unsigned int n)
{
	uint64_t *rate;
	struct top tp;
	unsigned int k, i;

	if (n == 0)
		return 0;
	rate = calloc(n, sizeof(*rate));
	if (rate == NULL)
		return 0;
	tp = (struct top){.heap = out, .rate = rate, .cap = n, .now = now_ns};
	ingest_flow_foreach(t, top_visit, &tp);
	/* Pop the min-heap from the back: highest first. */
	k = tp.n;
	for (i = k; i > 1; i--) {
		const struct ingest_flow *tf = tp.heap[0];
		uint64_t tr = tp.rate[0];

		tp.heap[0] = tp.heap[i - 1], tp.heap[i - 1] = tf;
		tp.rate[0] = tp.rate[i - 1], tp.rate[i - 1] = tr;
		tp.n = i - 1;
		heap_sift_down(&tp, 0);
	}
	free(rate);
	return k;
}

char *
ingest_flow_key_str(const struct ingest_flow_key *key, char *buf, unsigned int size)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = key->ipver == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, key->src, s, sizeof(s));
	inet_ntop(af, key->dst, d, sizeof(d));
	if (key->ipver == 6)
		snprintf(buf, size, "[%s]:%u>[%s]:%u", s, ntohs(key->sport), d, ntohs(key->dport));
	else
		snprintf(buf, size, "%s:%u>%s:%u", s, ntohs(key->sport), d, ntohs(key->dport));
	return buf;
}
