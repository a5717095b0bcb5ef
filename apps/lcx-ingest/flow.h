/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_FLOW_H
#define INGEST_FLOW_H

/**
 * @file
 * Per-context flow table on the UDP 5-tuple, bounded in size.
 *
 * Buckets of 8 slots, two candidate buckets per key, twice as many slots as
 * flows allowed. All memory is taken at create time; lookups and inserts
 * never allocate. When the table holds max_flows flows (or both candidate
 * buckets are full), a new flow evicts the least recently seen flow among a
 * sample of buckets: its two candidates and the next four under a clock hand
 * (sampled LRU, as Redis does). Every eviction is counted.
 *
 * One table belongs to one context: no locking. Readers on other threads go
 * through lcx_context_enter() onto the owner.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "seq.h"

/**
 * Length of a rate window, ns. A flow's packets are counted in windows: the
 * first starts at its first packet; a window closes at the first packet that
 * comes at least this long after its start, and that packet opens the next.
 * ingest_flow_rate() says what a rate read at a given time is.
 */
#define INGEST_FLOW_RATE_WINDOW_NS 1000000000ull

/** One flow. Hot fields first: the first line is the lookup and the counters. */
struct ingest_flow {
	struct ingest_flow_key key; /**< the 5-tuple */
	uint64_t pkts;              /**< packets */
	uint64_t bytes;             /**< bytes (whole frames) */
	uint64_t last_ns;           /**< last seen */
	uint64_t win_start_ns;      /**< start of the current rate window */
	uint64_t win_pkts;          /**< packets in it */
	uint64_t win_bytes;         /**< bytes in it */
	uint64_t prev_pps;          /**< packets/s of the window closed last (read: ingest_flow_rate()) */
	uint64_t prev_bps;          /**< bits/s of the same window */
	uint64_t first_ns;          /**< first seen */
	struct ingest_seq seq;      /**< sequence state (zero when not tracked) */
} __attribute__((aligned(64)));

/** A flow table. */
struct ingest_flow_table {
	uint32_t max_flows;   /**< the most flows held */
	uint32_t nb_buckets;  /**< power of two */
	uint32_t count;       /**< flows held */
	uint32_t hand;        /**< clock hand for evictions */
	uint64_t inserts;     /**< flows created */
	uint64_t evictions;   /**< flows evicted to make room */
	uint8_t *used;        /**< per bucket: bit i set = slot i holds a flow */
	uint32_t *sigs;       /**< per slot: hash signature */
	struct ingest_flow *flows; /**< per slot */
};

/**
 * Create a table (memory taken here, from the calling thread: create it on
 * the owning context so the pages are local to its NUMA node).
 * @param max_flows the most flows held, 1 .. 2^24.
 * @param out the table.
 * @return 0, -EINVAL, or -ENOMEM.
 */
int ingest_flow_table_create(uint32_t max_flows, struct ingest_flow_table **out);

/**
 * What ingest_flow_table_create(max_flows) allocates, bytes (the buckets are a
 * power of two holding at least 2 x max_flows). Pure, any thread.
 * @return the bytes, or 0 when max_flows is 0 or past 2^24.
 */
uint64_t ingest_flow_table_bytes(uint32_t max_flows);

/** Free a table; NULL is a no-op. */
void ingest_flow_table_destroy(struct ingest_flow_table *t);

/** @return the hash of a key. */
static inline uint64_t
ingest_flow_hash(const struct ingest_flow_key *key)
{
	const uint8_t *k = (const uint8_t *)key;
	uint64_t w0, w1, w2, w3, w4, h;

	/* Word by word: one load per word (a wider copy would defeat store
	 * forwarding from the parser's word stores just before). */
	memcpy(&w0, k, 8);
	memcpy(&w1, k + 8, 8);
	memcpy(&w2, k + 16, 8);
	memcpy(&w3, k + 24, 8);
	memcpy(&w4, k + 32, 8);
	/* Independent multiplies (they pipeline), then a murmur3 finaliser. */
	h = w0 * 0x9e3779b97f4a7c15ull + w1 * 0xc2b2ae3d27d4eb4full + w2 * 0x165667b19e3779f9ull +
	    w3 * 0xd6e8feb86659fd93ull + w4 * 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

/**
 * Find the flow of key, creating it (and evicting another if needed).
 * Never NULL: there is always a slot to take.
 * @param t the table.
 * @param key the 5-tuple.
 * @param now_ns the time, for a new flow's first_ns.
 * @return the flow.
 */
struct ingest_flow *ingest_flow_get(struct ingest_flow_table *t, const struct ingest_flow_key *key,
				    uint64_t now_ns);

/** ingest_flow_get() with the key's hash already computed. */
struct ingest_flow *ingest_flow_get_h(struct ingest_flow_table *t,
				      const struct ingest_flow_key *key, uint64_t h,
				      uint64_t now_ns);

static inline bool
ingest__flow_key_eq(const struct ingest_flow_key *a, const struct ingest_flow_key *b)
{
	const uint8_t *p = (const uint8_t *)a, *q = (const uint8_t *)b;
	uint64_t x, y, d = 0;
	unsigned int i;

	/* Word by word, no early exit: five loads each, no copies. */
	for (i = 0; i < 40; i += 8) {
		memcpy(&x, p + i, 8);
		memcpy(&y, q + i, 8);
		d |= x ^ y;
	}
	return d == 0;
}

/* The two candidate buckets of hash h. */
static inline void
ingest__flow_buckets(const struct ingest_flow_table *t, uint64_t h, uint32_t *b1, uint32_t *b2)
{
	*b1 = (uint32_t)h & (t->nb_buckets - 1);
	*b2 = (uint32_t)(h >> 40) & (t->nb_buckets - 1);
	if (*b2 == *b1)
		*b2 = (*b1 + 1) & (t->nb_buckets - 1);
}

static inline struct ingest_flow *
ingest__flow_bucket_find(const struct ingest_flow_table *t, uint32_t b, uint32_t sig,
			 const struct ingest_flow_key *key)
{
	unsigned int used = t->used[b], i;

	while (used) {
		i = (unsigned int)__builtin_ctz(used);
		used &= used - 1;
		if (t->sigs[b * 8 + i] == sig && ingest__flow_key_eq(&t->flows[b * 8 + i].key, key))
			return &t->flows[b * 8 + i];
	}
	return NULL;
}

/** The first flow whose signature matches hash h (a likely hit), or NULL. */
static inline struct ingest_flow *
ingest_flow_sig_match(const struct ingest_flow_table *t, uint64_t h)
{
	uint32_t b1, b2, sig = (uint32_t)(h >> 32);
	unsigned int used, i;

	b1 = (uint32_t)h & (t->nb_buckets - 1);
	for (used = t->used[b1]; used; used &= used - 1) {
		i = (unsigned int)__builtin_ctz(used);
		if (t->sigs[b1 * 8 + i] == sig)
			return &t->flows[b1 * 8 + i];
	}
	ingest__flow_buckets(t, h, &b1, &b2);
	for (used = t->used[b2]; used; used &= used - 1) {
		i = (unsigned int)__builtin_ctz(used);
		if (t->sigs[b2 * 8 + i] == sig)
			return &t->flows[b2 * 8 + i];
	}
	return NULL;
}

/** ingest_flow_find() with the key's hash already computed. */
static inline struct ingest_flow *
ingest_flow_find_h(const struct ingest_flow_table *t, const struct ingest_flow_key *key,
		   uint64_t h)
{
	uint32_t b1, b2, sig = (uint32_t)(h >> 32);
	struct ingest_flow *f;

	ingest__flow_buckets(t, h, &b1, &b2);
	f = ingest__flow_bucket_find(t, b1, sig, key);
	return f != NULL ? f : ingest__flow_bucket_find(t, b2, sig, key);
}

/** Prefetch what a lookup of hash h reads first (occupancy and signatures). */
static inline void
ingest_flow_prefetch(const struct ingest_flow_table *t, uint64_t h)
{
	uint32_t b = (uint32_t)h & (t->nb_buckets - 1);

	__builtin_prefetch(&t->used[b]);
	__builtin_prefetch(&t->sigs[b * 8]);
}

/** @return the flow of key, or NULL. */
struct ingest_flow *ingest_flow_find(const struct ingest_flow_table *t,
				     const struct ingest_flow_key *key);

/* a * b / c without overflow (c > 0). */
static inline uint64_t
ingest__muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)((unsigned __int128)a * b / c);
}

/* Close the current rate window at now_ns and open the next (once a second
 * at most per flow: out of line, off the per-packet path). */
void ingest__flow_window_close(struct ingest_flow *f, uint64_t now_ns);

/** Count one packet of len bytes on a flow at now_ns (updates the rate window). */
static inline void
ingest_flow_count(struct ingest_flow *f, uint32_t len, uint64_t now_ns)
{
	if (__builtin_expect(now_ns - f->win_start_ns >= INGEST_FLOW_RATE_WINDOW_NS, 0))
		ingest__flow_window_close(f, now_ns);
	f->pkts++;
	f->bytes += len;
	f->win_pkts++;
	f->win_bytes += len;
	f->last_ns = now_ns;
}

/** A flow's rate. */
struct ingest_flow_rate {
	uint64_t pps; /**< packets per second */
	uint64_t bps; /**< bits per second (whole frames, as the flow's bytes) */
};

/**
 * The rate of a flow as read at now_ns: packets and bits per second over one
 * and the same span, always:
 * - the current window, when it is at least INGEST_FLOW_RATE_WINDOW_NS old at
 *   now_ns: its packets and bytes over its age (so a flow that went quiet
 *   decays as 1/t: N packets after t seconds of silence read N/t);
 * - else the window closed last;
 * - else (a flow younger than one window) its packets and bytes so far over
 *   its age (0 at age 0).
 * The summary, the control socket's flows and the telemetry all read this.
 */
struct ingest_flow_rate ingest_flow_rate(const struct ingest_flow *f, uint64_t now_ns);

/**
 * The n flows with the highest rate, highest first.
 * @param t the table.
 * @param now_ns the time the rates are read at.
 * @param out n pointers.
 * @param n how many wanted.
 * @return how many were written (at most n, at most count).
 */
unsigned int ingest_flow_top(const struct ingest_flow_table *t, uint64_t now_ns,
			     const struct ingest_flow **out, unsigned int n);

/** Call fn on every flow. */
void ingest_flow_foreach(const struct ingest_flow_table *t,
			 void (*fn)(const struct ingest_flow *f, void *arg), void *arg);

/**
 * Format a key as "198.18.0.1:4000>198.18.1.1:5000" (IPv6 in brackets).
 * @return buf.
 */
char *ingest_flow_key_str(const struct ingest_flow_key *key, char *buf, unsigned int size);

#endif /* INGEST_FLOW_H */
