/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_SEARCH_H
#define BENCH_SEARCH_H

/**
 * @file
 * MLRsearch (Multiple Loss Ratio search, RFC 9971, formerly
 * draft-ietf-bmwg-mlrsearch) as a pure state machine: the Controller of the
 * RFC's architecture. The caller is the Measurer: it asks bench_search_next()
 * for a (load, duration), runs that trial, and feeds the result back with
 * bench_search_record(). Nothing here reads a clock or sends a packet. Not
 * thread-safe (one search per caller).
 *
 * Terms and formulas follow RFC 9971 ("MLRsearch Specification"):
 * - a Search Goal has a Goal Loss Ratio, a Goal Exceed Ratio, a Goal Final
 *   Trial Duration, a Goal Duration Sum, a Goal Initial Trial Duration and a
 *   Goal Width (here relative: (upper - lower) / upper);
 * - each load is classified for each goal as Upper Bound, Lower Bound or
 *   Undecided by the RFC's "Load Classification Code" (Appendix A),
 *   bench_search_classify(); short trials count through the exceed
 *   coefficient, so a short high-loss trial can make an upper bound but only
 *   full-length trials make a lower bound;
 * - the Relevant Upper Bound is the smallest load classified Upper Bound; the
 *   Relevant Lower Bound the largest Lower Bound below it ("Relevant Upper
 *   Bound", "Relevant Lower Bound"); the Conditional Throughput is computed
 *   at the Relevant Lower Bound by the "Conditional Throughput Code"
 *   (Appendix B), bench_search_conditional(): the forwarding rate of the
 *   trial at the exceed-ratio quantile of the full-length trials there;
 * - a Goal Result is Regular when both relevant bounds exist and are within
 *   the Goal Width; otherwise Irregular, with whatever bounds exist ("Goal
 *   Results").
 *
 * Load selection is this implementation's (the RFC leaves it free). Each
 * goal goes through phases: trial durations double from its initial to its
 * final duration, and the width halves down to its own (phase p of P: width
 * w * 2^(P-1-p), duration sum = one trial) so that short trials place the
 * bounds roughly and full-length ones confirm them. In a phase a goal:
 * measures max_load until it has a relevant upper bound (or max_load is a
 * lower bound: done, irregular); then, with no lower bound below it, tries
 * min(U * (1 - w), the smallest forwarding rate seen at U) (RFC 9971
 * "Purpose": bounds from the forwarding rate at the maximum offered load,
 * RFC 2285 section 3.6.2), or re-measures the largest undecided load in
 * between; with both bounds further apart than the width, it bisects (or
 * re-measures an undecided load in between). Among the goals, the smallest
 * candidate load is measured first (RFC 9971 "Consequences": smaller loads
 * first). A load stays undecided until its trials sum to the Goal Duration
 * Sum at most, so repeated trials (noise) come from the classification
 * itself. The search ends when every goal has met its final width (or is
 * irregular), or after conf.max_trials trials.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_SEARCH_GOALS_MAX 8
#define BENCH_SEARCH_TRIALS_MAX 4096u

/** One Search Goal (RFC 9971 "Search Goal"). Durations in seconds. */
struct bench_search_goal {
	double loss_ratio;	 /**< Goal Loss Ratio, [0, 1): 0 for NDR (RFC 2544 throughput) */
	double exceed_ratio;	 /**< Goal Exceed Ratio, [0, 1): 0 (RFC 2544) or 0.5 (TST009) */
	double final_duration;	 /**< Goal Final Trial Duration, s, > 0 */
	double duration_sum;	 /**< Goal Duration Sum, s, > 0 (0 = final_duration) */
	double initial_duration; /**< Goal Initial Trial Duration, s, (0, final] (0 = final) */
	double width;		 /**< Goal Width, relative to the upper bound, (0, 1) */
};

/** Controller Input. Loads in packets per second (per interface). */
struct bench_search_conf {
	unsigned int nb_goals; /**< 1..BENCH_SEARCH_GOALS_MAX */
	struct bench_search_goal goals[BENCH_SEARCH_GOALS_MAX];
	double min_load; /**< Min Load, > 0 */
	double max_load; /**< Max Load, >= min_load */
	unsigned int
	    max_trials; /**< give up after this many trials (0 = 256, at most TRIALS_MAX) */
};

/** One Trial Result. */
struct bench_search_trial {
	double load;	   /**< Trial Load, pps */
	double duration;   /**< Trial Duration (also the effective duration), s */
	double loss_ratio; /**< Trial Loss Ratio: lost / sent */
	uint64_t sent;	   /**< frames expected to be forwarded */
	uint64_t lost;	   /**< of those, not forwarded */
};

/** Load Classification (RFC 9971 "Load Classification"). */
enum bench_search_class {
	BENCH_SEARCH_UNDECIDED = 0,
	BENCH_SEARCH_UPPER,
	BENCH_SEARCH_LOWER,
};

/** Goal Result, with what it rests on. */
struct bench_search_result {
	bool regular;	/**< both relevant bounds exist and (upper - lower) <= width * upper */
	bool has_upper; /**< a Relevant Upper Bound exists */
	bool has_lower; /**< a Lower Bound exists (below the upper, if there is one) */
	double upper;	/**< Relevant Upper Bound, pps */
	double lower;	/**< Relevant Lower Bound, pps (irregular: the largest lower bound) */
	double conditional_throughput; /**< at lower, pps (0 without a lower bound) */
	unsigned int upper_trials;     /**< trials measured at upper */
	unsigned int lower_trials;     /**< trials measured at lower */
	double lower_low_loss_s;       /**< full-length low-loss seconds at lower */
	double lower_high_loss_s;      /**< full-length high-loss seconds at lower (tolerated by the
					  exceed ratio) */
	double
	    lower_short_s; /**< short-trial seconds at lower (not enough for a lower bound alone) */
};

struct bench_search;

/**
 * Create a search.
 *
 * @param conf  Controller Input, copied
 * @param out   the search
 * @return 0, -EINVAL (a goal or load out of its range, see the structures),
 *         -ENOMEM
 */
int bench_search_create(const struct bench_search_conf *conf, struct bench_search **out);

/** Free a search; NULL is a no-op. */
void bench_search_destroy(struct bench_search *s);

/**
 * The next trial to measure.
 *
 * @param load      set to the Trial Load, pps, in [min_load, max_load]
 * @param duration  set to the Trial Duration, s
 * @return 1 with a trial to run (then bench_search_record() its result), 0
 *         when the search is over
 */
int bench_search_next(struct bench_search *s, double *load, double *duration);

/**
 * Feed a Trial Result (any load and duration, not only the one asked).
 *
 * @param load      Trial Load, pps, > 0
 * @param duration  Trial Duration, s, > 0
 * @param sent      frames expected to be forwarded: the intended count of the
 *                  trial. If the generator offered fewer, count the shortfall
 *                  in lost (RFC 9971 "Measurer": turn an Offered Load below
 *                  the Intended Load into loss).
 * @param lost      frames of those not forwarded, <= sent
 * @return 0, -EINVAL (load or duration not positive, lost > sent, sent == 0),
 *         -ENOSPC (BENCH_SEARCH_TRIALS_MAX trials recorded already)
 */
int bench_search_record(struct bench_search *s, double load, double duration, uint64_t sent,
			uint64_t lost);

/** @return true when bench_search_next() would return 0 */
bool bench_search_done(struct bench_search *s);

/** @return true when the search stopped at max_trials before every goal was met */
bool bench_search_exhausted(const struct bench_search *s);

/**
 * The Goal Result of goal g, from all trials so far (final only when done).
 *
 * @return 0, or -EINVAL (g out of range)
 */
int bench_search_result(const struct bench_search *s, unsigned int g,
			struct bench_search_result *out);

/** @return trials recorded so far */
unsigned int bench_search_nb_trials(const struct bench_search *s);

/** @return trial i (in the order recorded), or NULL past the end */
const struct bench_search_trial *bench_search_trial(const struct bench_search *s, unsigned int i);

/** Load Classification Code (RFC 9971 Appendix A) of load for goal, over trials. */
enum bench_search_class bench_search_classify(const struct bench_search_goal *goal,
					      const struct bench_search_trial *trials, size_t n,
					      double load);

/**
 * Conditional Throughput Code (RFC 9971 Appendix B) at load for goal, pps.
 *
 * @return the conditional throughput; 0 when load has no full-length trial
 */
double bench_search_conditional(const struct bench_search_goal *goal,
				const struct bench_search_trial *trials, size_t n, double load);

#endif
