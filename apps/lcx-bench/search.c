/* SPDX-License-Identifier: BSD-3-Clause */
/* MLRsearch controller (search.h; RFC 9971). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

#define DEFAULT_MAX_TRIALS 256u

struct bench_search {
	struct bench_search_conf conf;
	unsigned int nb_trials;
	unsigned int phase;	/* the current phase, 0-based */
	unsigned int nb_phases; /* the largest phase count among the goals */
	unsigned int phases[BENCH_SEARCH_GOALS_MAX];
	bool done;
	bool exhausted;
	struct bench_search_trial trials[BENCH_SEARCH_TRIALS_MAX];
};

static bool
full_length(const struct bench_search_trial *t, double final_duration)
{
	return t->duration >= final_duration * (1.0 - 1e-9);
}

enum bench_search_class
bench_search_classify(const struct bench_search_goal *g, const struct bench_search_trial *trials,
		      size_t n, double load)
{
	double fl_low = 0, fl_high = 0, sh_low = 0, sh_high = 0;
	double goal_sum = g->duration_sum > 0 ? g->duration_sum : g->final_duration;

	for (size_t i = 0; i < n; i++) {
		const struct bench_search_trial *t = &trials[i];
		bool high = t->loss_ratio > g->loss_ratio;

		if (t->load != load)
			continue;
		if (full_length(t, g->final_duration))
			*(high ? &fl_high : &fl_low) += t->duration;
		else
			*(high ? &sh_high : &sh_low) += t->duration;
	}
	/* RFC 9971 Appendix A, line by line. */
	double exceed_coefficient = g->exceed_ratio / (1.0 - g->exceed_ratio);
	double balancing_s = sh_low * exceed_coefficient;
	double positive_excess_s = fmax(0.0, sh_high - balancing_s);
	double effect_high_loss_s = fl_high + positive_excess_s;
	double effect_full_length_s = fl_low + effect_high_loss_s;
	double effect_whole_s = fmax(effect_full_length_s, goal_sum);
	double quantile_duration_s = effect_whole_s * g->exceed_ratio;
	double pessimistic_high_loss_s = effect_whole_s - fl_low;
	bool pessimistic_is_lower = pessimistic_high_loss_s <= quantile_duration_s;
	bool optimistic_is_lower = effect_high_loss_s <= quantile_duration_s;

	if (pessimistic_is_lower && optimistic_is_lower)
		return BENCH_SEARCH_LOWER;
	if (!pessimistic_is_lower && !optimistic_is_lower)
		return BENCH_SEARCH_UPPER;
	return BENCH_SEARCH_UNDECIDED;
}

static int
by_loss(const void *a, const void *b)
{
	const struct bench_search_trial *x = *(const struct bench_search_trial *const *)a;
	const struct bench_search_trial *y = *(const struct bench_search_trial *const *)b;

	return (x->loss_ratio > y->loss_ratio) - (x->loss_ratio < y->loss_ratio);
}

double
bench_search_conditional(const struct bench_search_goal *g, const struct bench_search_trial *trials,
			 size_t n, double load)
{
	double goal_sum = g->duration_sum > 0 ? g->duration_sum : g->final_duration;
	const struct bench_search_trial **fl;
	size_t m = 0;
	double full_length_s = 0, quantile_loss_ratio = -1.0;

	fl = malloc((n > 0 ? n : 1) * sizeof(*fl));
	if (fl == NULL)
		return 0.0;
	for (size_t i = 0; i < n; i++)
		if (trials[i].load == load && full_length(&trials[i], g->final_duration)) {
			fl[m++] = &trials[i];
			full_length_s += trials[i].duration;
		}
	qsort(fl, m, sizeof(*fl), by_loss);
	/* RFC 9971 Appendix B, line by line (-1 stands for None). */
	double whole_s = fmax(goal_sum, full_length_s);
	double remaining = whole_s * (1.0 - g->exceed_ratio);
	size_t i;

	for (i = 0; i < m; i++) {
		if (quantile_loss_ratio < 0 || remaining > 0.0) {
			quantile_loss_ratio = fl[i]->loss_ratio;
			remaining -= fl[i]->duration;
		} else {
			break;
		}
	}
	if (i == m && remaining > 0.0)
		quantile_loss_ratio = 1.0;
	free(fl);
	return load * (1.0 - quantile_loss_ratio);
}

static bool
goal_ok(const struct bench_search_goal *g)
{
	double init = g->initial_duration > 0 ? g->initial_duration : g->final_duration;

	return g->loss_ratio >= 0 && g->loss_ratio < 1 && g->exceed_ratio >= 0 &&
	       g->exceed_ratio < 1 && g->final_duration > 0 && g->duration_sum >= 0 &&
	       isfinite(g->duration_sum) && init <= g->final_duration && g->width > 0 &&
	       g->width < 1 && isfinite(g->final_duration);
}

int
bench_search_create(const struct bench_search_conf *conf, struct bench_search **out)
{
	struct bench_search *s;

	*out = NULL;
	if (conf->nb_goals == 0 || conf->nb_goals > BENCH_SEARCH_GOALS_MAX ||
	    !(conf->min_load > 0) || !(conf->max_load >= conf->min_load) ||
	    !isfinite(conf->max_load) || conf->max_trials > BENCH_SEARCH_TRIALS_MAX)
		return -EINVAL;
	for (unsigned int g = 0; g < conf->nb_goals; g++)
		if (!goal_ok(&conf->goals[g]))
			return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->conf = *conf;
	if (s->conf.max_trials == 0)
		s->conf.max_trials = DEFAULT_MAX_TRIALS;
	for (unsigned int g = 0; g < conf->nb_goals; g++) {
		struct bench_search_goal *goal = &s->conf.goals[g];
		unsigned int p = 1;

		if (goal->initial_duration <= 0)
			goal->initial_duration = goal->final_duration;
		if (goal->duration_sum <= 0)
			goal->duration_sum = goal->final_duration;
		/* Durations double from the initial one until the final one. */
		for (double d = goal->initial_duration; d < goal->final_duration && p < 32; d *= 2)
			p++;
		s->phases[g] = p;
		if (p > s->nb_phases)
			s->nb_phases = p;
	}
	*out = s;
	return 0;
}

void
bench_search_destroy(struct bench_search *s)
{
	free(s);
}

/* The goal that goal g works to in phase p: shorter trials and a wider width before the last. */
static struct bench_search_goal
phase_goal(const struct bench_search *s, unsigned int g, unsigned int p)
{
	struct bench_search_goal pg = s->conf.goals[g];
	unsigned int last = s->phases[g] - 1;

	if (p >= last)
		return pg;
	pg.final_duration = fmin(pg.final_duration, pg.initial_duration * ldexp(1.0, (int)p));
	pg.duration_sum = pg.final_duration;
	pg.width = fmin(0.5, pg.width * ldexp(1.0, (int)(last - p)));
	return pg;
}

/* Relevant bounds of a goal over all trials. Returns them in *u / *l (0 when none). */
static void
relevant_bounds(const struct bench_search *s, const struct bench_search_goal *g, double *u,
		double *l)
{
	*u = 0;
	*l = 0;
	/* Smallest upper bound. */
	for (unsigned int i = 0; i < s->nb_trials; i++) {
		double x = s->trials[i].load;

		if ((*u == 0 || x < *u) &&
		    bench_search_classify(g, s->trials, s->nb_trials, x) == BENCH_SEARCH_UPPER)
			*u = x;
	}
	/* Largest lower bound below it (any, when there is no upper bound). */
	for (unsigned int i = 0; i < s->nb_trials; i++) {
		double x = s->trials[i].load;

		if ((*u == 0 || x < *u) && x > *l &&
		    bench_search_classify(g, s->trials, s->nb_trials, x) == BENCH_SEARCH_LOWER)
			*l = x;
	}
}

/* Largest measured undecided load in [lo, hi). */
static double
undecided_in(const struct bench_search *s, const struct bench_search_goal *g, double lo, double hi)
{
	double best = 0;

	for (unsigned int i = 0; i < s->nb_trials; i++) {
		double x = s->trials[i].load;

		if (x >= lo && x < hi && x > best &&
		    bench_search_classify(g, s->trials, s->nb_trials, x) == BENCH_SEARCH_UNDECIDED)
			best = x;
	}
	return best;
}

/* Smallest forwarding rate measured at load. */
static double
min_fwd_rate(const struct bench_search *s, double load)
{
	double r = load;

	for (unsigned int i = 0; i < s->nb_trials; i++)
		if (s->trials[i].load == load)
			r = fmin(r, load * (1.0 - s->trials[i].loss_ratio));
	return r;
}

/* The load goal g wants measured in phase p; 0 when it is done with the phase. */
static double
goal_candidate(const struct bench_search *s, unsigned int g, unsigned int p)
{
	struct bench_search_goal pg = phase_goal(s, g, p);
	double u, l, c, x;

	relevant_bounds(s, &pg, &u, &l);
	if (u == 0) {
		/* No upper bound: max_load, until it is one, or a lower bound (irregular). */
		if (bench_search_classify(&pg, s->trials, s->nb_trials, s->conf.max_load) ==
		    BENCH_SEARCH_LOWER)
			return 0;
		return s->conf.max_load;
	}
	if (l == 0) {
		if (u <= s->conf.min_load)
			return 0; /* min_load is an upper bound: irregular */
		c = fmin(u * (1.0 - pg.width), min_fwd_rate(s, u));
		c = fmax(c, s->conf.min_load);
		x = undecided_in(s, &pg, c, u);
		return x > 0 ? x : c;
	}
	if (u - l <= pg.width * u)
		return 0;
	x = undecided_in(s, &pg, l, u);
	if (x > l)
		return x;
	return (l + u) / 2.0;
}

int
bench_search_next(struct bench_search *s, double *load, double *duration)
{
	while (!s->done) {
		double best = 0, dur = 0;

		for (unsigned int g = 0; g < s->conf.nb_goals; g++) {
			double c = goal_candidate(s, g, s->phase);
			double d = phase_goal(s, g, s->phase).final_duration;

			if (c == 0)
				continue;
			if (best == 0 || c < best) {
				best = c;
				dur = d;
			} else if (c == best && d > dur) {
				dur = d;
			}
		}
		if (best > 0 && s->nb_trials >= s->conf.max_trials) {
			s->exhausted = true;
			s->done = true;
			break;
		}
		if (best > 0) {
			*load = best;
			*duration = dur;
			return 1;
		}
		if (++s->phase >= s->nb_phases)
			s->done = true;
	}
	return 0;
}

int
bench_search_record(struct bench_search *s, double load, double duration, uint64_t sent,
		    uint64_t lost)
{
	struct bench_search_trial *t;

	if (!(load > 0) || !isfinite(load) || !(duration > 0) || !isfinite(duration) || sent == 0 ||
	    lost > sent)
		return -EINVAL;
	if (s->nb_trials >= BENCH_SEARCH_TRIALS_MAX)
		return -ENOSPC;
	t = &s->trials[s->nb_trials++];
	t->load = load;
	t->duration = duration;
	t->sent = sent;
	t->lost = lost;
	t->loss_ratio = (double)lost / (double)sent;
	return 0;
}

bool
bench_search_done(struct bench_search *s)
{
	double l, d;

	if (s->done)
		return true;
	/* Settle the phase: next() returns 0 only when there is nothing left. */
	return bench_search_next(s, &l, &d) == 0;
}

bool
bench_search_exhausted(const struct bench_search *s)
{
	return s->exhausted;
}

int
bench_search_result(const struct bench_search *s, unsigned int g, struct bench_search_result *out)
{
	const struct bench_search_goal *goal;
	double u, l;

	if (g >= s->conf.nb_goals)
		return -EINVAL;
	goal = &s->conf.goals[g];
	memset(out, 0, sizeof(*out));
	relevant_bounds(s, goal, &u, &l);
	out->has_upper = u > 0;
	out->has_lower = l > 0;
	out->upper = u;
	out->lower = l;
	out->regular = out->has_upper && out->has_lower && u - l <= goal->width * u;
	for (unsigned int i = 0; i < s->nb_trials; i++) {
		const struct bench_search_trial *t = &s->trials[i];

		if (u > 0 && t->load == u)
			out->upper_trials++;
		if (l > 0 && t->load == l) {
			out->lower_trials++;
			if (!full_length(t, goal->final_duration))
				out->lower_short_s += t->duration;
			else if (t->loss_ratio > goal->loss_ratio)
				out->lower_high_loss_s += t->duration;
			else
				out->lower_low_loss_s += t->duration;
		}
	}
	if (l > 0)
		out->conditional_throughput =
		    bench_search_conditional(goal, s->trials, s->nb_trials, l);
	return 0;
}

unsigned int
bench_search_nb_trials(const struct bench_search *s)
{
	return s->nb_trials;
}

const struct bench_search_trial *
bench_search_trial(const struct bench_search *s, unsigned int i)
{
	return i < s->nb_trials ? &s->trials[i] : NULL;
}
