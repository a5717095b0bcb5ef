/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_PACER_H
#define BENCH_PACER_H

/**
 * @file
 * A packet pacer on absolute deadlines: it says how many packets are owed at
 * a given "now" and keeps an exact account of what became of each scheduled
 * packet. It never sleeps, reads no clock and allocates nothing: the caller
 * passes "now" (ns, or TSC ticks with conf.hz set to the TSC rate), so the
 * same code runs on a manual clock in tests. One pacer per generating thread;
 * nothing in it is shared, so no call is thread-safe on one pacer.
 *
 * Schedule. Packet i (i = 0, 1, ...) has a deadline t_i, fixed at the start
 * from t0 (bench_pacer_start()), never from the time of the previous send, so
 * a late wake-up or a refusing device shifts nothing after it:
 * - CONSTANT: t_i = t0 + floor(i * hz / rate) (exact integer arithmetic: over
 *   any span T the schedule holds floor(T * rate) or one more packet);
 * - POISSON: t_i = t_{i-1} + g_i (t_{-1} = t0) with g_i exponential of mean
 *   1 / rate,
 *   g_i = -ln(1 - U_i) / rate, U_i uniform in [0, 1) from xoshiro256**
 *   (Blackman and Vigna, 2018) seeded through splitmix64 (conf.seed): a
 *   Poisson process of intensity rate (Knuth, TAOCP vol. 2, 3.4.1 D);
 * - BURST: bursts of conf.burst packets all due at the start of their burst,
 *   burst k at t0 + floor(k * burst * hz / rate): the mean rate is rate;
 * - ON_OFF: periods of conf.on + conf.off ticks; in the first conf.on ticks of
 *   a period M = ceil(on * rate / hz) packets at the constant rate, none in
 *   the rest. The mean rate is M / (on + off).
 * - TRACE: given times, t_i = t0 + floor(conf.trace_ns[i] * hz / 1e9), for
 *   i < conf.count (required): a capture file's own timing (replay.h). The
 *   times never decrease; conf.rate_pps is not used.
 * A trial ends after conf.count packets or at t0 + conf.duration (the packets
 * whose deadline is before it), whichever comes first; 0 means no limit.
 *
 * Use, once per loop round:
 * @code
 *	unsigned n = bench_pacer_owed(&p, now, burst);
 *	if (n > 0) {
 *		unsigned k = send(n);               // the device may take fewer
 *		bench_pacer_account(&p, now, n, k);
 *	}
 * @endcode
 * Each packet of the schedule ends in exactly one of: sent (bench_pacer_account
 * took it), skipped (policy SKIP: more than conf.late late when owed, dropped
 * from the schedule and counted), or still owed. Refusals (n - k) are counted
 * as events and the refused packets stay owed: the next call offers them again.
 * Invariant, checked by the tests: sent + skipped + owed_now == due(now).
 */

#include <stdbool.h>
#include <stdint.h>

/** Schedules. */
enum bench_pacer_pattern {
	BENCH_PACER_CONSTANT = 0, /**< evenly spaced */
	BENCH_PACER_POISSON,	  /**< exponential gaps (seeded) */
	BENCH_PACER_BURST,	  /**< bursts of conf.burst at the mean rate */
	BENCH_PACER_ON_OFF,	  /**< conf.on ticks at rate, conf.off ticks silent */
	BENCH_PACER_TRACE,	  /**< the times in conf.trace_ns */
};

/** What becomes of packets owed since long. */
enum bench_pacer_policy {
	/** Send them late, as fast as the caller and the device go (catch up). */
	BENCH_PACER_SEND_LATE = 0,
	/** Packets more than conf.late late are counted skipped and not sent. */
	BENCH_PACER_SKIP,
};

/** Largest burst cap (bench_pacer_owed()'s cap is clamped to it). */
#define BENCH_PACER_BURST_MAX 4096u
/** Buckets of the burst-size histogram: bucket b counts sends of [2^b, 2^(b+1)) packets. */
#define BENCH_PACER_SIZE_BUCKETS 13
/** Buckets of the gap histogram: bucket b counts gaps of [2^b, 2^(b+1)) ns, 0 ns in bucket 0. */
#define BENCH_PACER_GAP_BUCKETS 40

/** Configuration. */
struct bench_pacer_conf {
	enum bench_pacer_pattern pattern; /**< the schedule */
	enum bench_pacer_policy policy;	  /**< late packets */
	double rate_pps;   /**< packets per second, > 0 and <= 1e10 (for ON_OFF: while on) */
	uint64_t hz;	   /**< clock ticks per second: 1e9 for ns (0 = 1e9), or the TSC rate */
	uint64_t count;	   /**< packets in the trial; 0 = no limit */
	uint64_t duration; /**< trial length in ticks; 0 = no limit */
	uint64_t late;	   /**< SKIP: lateness in ticks beyond which a packet is skipped */
	uint32_t burst;	   /**< BURST: packets per burst, 1..BENCH_PACER_BURST_MAX */
	uint64_t on;	   /**< ON_OFF: ticks on, > 0 */
	uint64_t off;	   /**< ON_OFF: ticks off */
	uint64_t seed;	   /**< POISSON: PRNG seed (any value) */
	/** TRACE: conf.count times, ns after t0, never decreasing (the caller's memory, kept) */
	const uint64_t *trace_ns;
};

/** What the pacer did: the report of a trial. */
struct bench_pacer_stats {
	uint64_t
	    intended; /**< packets due so far (deadline <= the last now seen), within the limits */
	uint64_t offered; /**< packets sent (the device took them) */
	uint64_t
	    refused; /**< refusal events: packets offered to the device and not taken (retried) */
	uint64_t skipped;  /**< packets dropped from the schedule by policy SKIP */
	uint64_t late;	   /**< packets sent more than conf.late after their deadline */
	uint64_t late_max; /**< largest lateness of a sent packet, ticks */
	uint64_t sends;	   /**< bench_pacer_account() calls that sent at least one packet */
	uint64_t size_hist[BENCH_PACER_SIZE_BUCKETS]; /**< packets per send, log2 buckets */
	uint64_t gap_hist[BENCH_PACER_GAP_BUCKETS];   /**< ns between sends, log2 buckets */
	uint64_t
	    gap_min; /**< smallest gap between two sends, ns (UINT64_MAX: fewer than 2 sends) */
	uint64_t gap_max; /**< largest gap between two sends, ns */
};

/** Pacer state. Embed it; bench_pacer_init() then bench_pacer_start(). */
struct bench_pacer {
	struct bench_pacer_conf conf;
	uint64_t t0;	     /**< start, ticks */
	uint64_t next;	     /**< index of the first packet not sent nor skipped */
	uint64_t limit;	     /**< packets in the trial (UINT64_MAX: none known) */
	uint64_t end;	     /**< t0 + duration (UINT64_MAX: none) */
	uint64_t last_send;  /**< now of the last send, ticks */
	uint64_t last_now;   /**< the latest now given, ticks */
	uint64_t upps;	     /**< rate in micro-packets per second */
	uint64_t per_period; /**< ON_OFF: packets per period */
	/* POISSON: the deadline of packet next, as an offset from t0, and the PRNG after it. */
	double pois_due;
	uint64_t rng[4];
	bool started;
	bool ended; /**< POISSON: the schedule reached its end */
	struct bench_pacer_stats st;
};

/**
 * Check a configuration and set a pacer up (not started).
 *
 * @param p     the pacer (caller's memory)
 * @param conf  the configuration, copied
 * @return 0, or -EINVAL: a rate not in (0, 1e10] (but for TRACE), a burst not in
 *         1..BENCH_PACER_BURST_MAX for BURST, on == 0 for ON_OFF, an unknown
 *         pattern or policy, an ON_OFF period with fewer than one packet, or
 *         TRACE without trace_ns or count.
 */
int bench_pacer_init(struct bench_pacer *p, const struct bench_pacer_conf *conf);

/**
 * Start the schedule: packet 0 is due at t0. Resets the account.
 *
 * @param p   an initialised pacer
 * @param t0  the start, ticks
 */
void bench_pacer_start(struct bench_pacer *p, uint64_t t0);

/**
 * How many packets are owed at now (deadline <= now, not sent nor skipped),
 * at most cap. Under policy SKIP, packets more than conf.late late are first
 * counted skipped. Calling it twice at the same now without an account gives
 * the same answer.
 *
 * @param p    a started pacer
 * @param now  ticks, not before the last now given (an earlier now is taken as the last)
 * @param cap  the most the caller can send now (clamped to BENCH_PACER_BURST_MAX)
 * @return the packets to send now, 0..cap
 */
unsigned int bench_pacer_owed(struct bench_pacer *p, uint64_t now, unsigned int cap);

/**
 * Account for a send: the device took sent of the owed packets offered
 * (the oldest first). The owed - sent others are counted refused and stay owed.
 *
 * @param p      a started pacer
 * @param now    the same now as the bench_pacer_owed() call that gave owed
 * @param owed   what bench_pacer_owed() returned
 * @param sent   what the device took, 0..owed (more is taken as owed)
 */
void bench_pacer_account(struct bench_pacer *p, uint64_t now, unsigned int owed, unsigned int sent);

/**
 * The deadline of the next packet owed or to come, ticks: when to wake.
 *
 * @return ticks, or UINT64_MAX when the trial has no packet left
 */
uint64_t bench_pacer_next_deadline(const struct bench_pacer *p);

/** @return true when every packet of a limited trial was sent or skipped */
bool bench_pacer_done(const struct bench_pacer *p);

/**
 * Packets of the trial in all (the intended count of a whole trial), known at
 * the start for CONSTANT, BURST and ON_OFF.
 *
 * @return the count; UINT64_MAX when unlimited, or POISSON limited by duration only
 */
uint64_t bench_pacer_total(const struct bench_pacer *p);

/**
 * The account up to the last now seen.
 *
 * @param p    the pacer
 * @param out  filled with the counters (stats.intended is due(last now))
 */
void bench_pacer_stats(const struct bench_pacer *p, struct bench_pacer_stats *out);

/**
 * Was the trial limited by the generator rather than the device under test?
 * True when offered differs from intended by more than 0.1% of intended, or
 * when any packet was refused (the tester's own queue said no).
 */
bool bench_pacer_generator_limited(const struct bench_pacer_stats *st);

#endif
