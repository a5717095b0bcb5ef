/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pacer (pacer.h): deadlines in closed form for the evenly spaced
 * patterns, stepped one by one for Poisson. All closed forms use 128-bit
 * integers: H = hz * 1e6 ticks per micro-packet-second, u = the rate in
 * micro-packets per second, so packet i of a constant schedule is due
 * floor(i * H / u) ticks after t0 and floor(d * u / H) is never rounded twice.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "pacer.h"

typedef unsigned __int128 u128;

#define NS_PER_S 1000000000ull
#define MICRO 1000000ull

static uint64_t
sat64(u128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* ceil(a / b) for 128-bit a and b > 0. */
static u128
div_up(u128 a, u128 b)
{
	return (a + b - 1) / b;
}

/* TRACE: the offset of packet i from t0, ticks. */
static uint64_t
trace_off(const struct bench_pacer *p, uint64_t i)
{
	return sat64((u128)p->conf.trace_ns[i] * p->conf.hz / NS_PER_S);
}

/* TRACE: packets whose offset is <= d (the times never decrease: a binary search). */
static uint64_t
trace_due(const struct bench_pacer *p, uint64_t d)
{
	uint64_t lo = 0, hi = p->conf.count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (trace_off(p, mid) <= d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Packets of a closed-form schedule due at t (deadline <= t), unlimited. */
static uint64_t
due_closed(const struct bench_pacer *p, uint64_t t)
{
	u128 h = (u128)p->conf.hz * MICRO;
	u128 u = p->upps;
	uint64_t d;

	if (t < p->t0)
		return 0;
	d = t - p->t0;
	switch (p->conf.pattern) {
	case BENCH_PACER_CONSTANT:
		return sat64(div_up(((u128)d + 1) * u, h));
	case BENCH_PACER_BURST: {
		u128 nb = (u128)p->conf.burst;

		return sat64(div_up(((u128)d + 1) * u, h * nb) * nb);
	}
	case BENCH_PACER_ON_OFF: {
		uint64_t per = p->conf.on + p->conf.off;
		uint64_t q = d / per, r = d % per;
		u128 in = div_up(((u128)r + 1) * u, h);

		if (in > p->per_period)
			in = p->per_period;
		return sat64((u128)q * p->per_period + in);
	}
	case BENCH_PACER_TRACE:
		return trace_due(p, d);
	default:
		return 0;
	}
}

/* Deadline of packet i of a closed-form schedule. */
static uint64_t
deadline_closed(const struct bench_pacer *p, uint64_t i)
{
	u128 h = (u128)p->conf.hz * MICRO;
	u128 u = p->upps;
	u128 off;

	switch (p->conf.pattern) {
	case BENCH_PACER_CONSTANT:
		off = (u128)i * h / u;
		break;
	case BENCH_PACER_BURST:
		off = (u128)(i / p->conf.burst) * p->conf.burst * h / u;
		break;
	case BENCH_PACER_ON_OFF:
		off = (u128)(i / p->per_period) * (p->conf.on + p->conf.off) +
		      (u128)(i % p->per_period) * h / u;
		break;
	case BENCH_PACER_TRACE:
		off = i < p->conf.count ? trace_off(p, i) : UINT64_MAX;
		break;
	default:
		off = 0;
	}
	return sat64((u128)p->t0 + off);
}

/* xoshiro256** (Blackman and Vigna), seeded with splitmix64. */
static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
xoshiro_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* One exponential gap of mean hz / rate ticks. */
static double
pois_gap(const struct bench_pacer *p, uint64_t s[4])
{
	double u = (double)(xoshiro_next(s) >> 11) * 0x1.0p-53; /* [0, 1) */

	return -log1p(-u) * (double)p->conf.hz / p->conf.rate_pps;
}

static uint64_t
pois_deadline(const struct bench_pacer *p, double off)
{
	double t = (double)p->t0 + off;

	return t >= 0x1.0p64 ? UINT64_MAX : (uint64_t)t;
}

static bool
pois_at_end(const struct bench_pacer *p, uint64_t index, double off)
{
	return index >= p->limit || pois_deadline(p, off) >= p->end;
}

/*
 * Packets from next on whose deadline is <= t, at most max. For Poisson the
 * generator is stepped on a copy; with commit, the pacer moves past them.
 */
static uint64_t
due_from_next(struct bench_pacer *p, uint64_t t, uint64_t max, bool commit)
{
	if (p->conf.pattern != BENCH_PACER_POISSON) {
		uint64_t due = due_closed(p, t);

		if (due > p->limit)
			due = p->limit;
		due = due > p->next ? due - p->next : 0;
		due = due < max ? due : max;
		if (commit)
			p->next += due;
		return due;
	}

	uint64_t s[4], n = 0;
	double off = p->pois_due;

	memcpy(s, p->rng, sizeof(s));
	while (n < max && !pois_at_end(p, p->next + n, off) && pois_deadline(p, off) <= t) {
		n++;
		off += pois_gap(p, s);
	}
	if (commit) {
		p->next += n;
		p->pois_due = off;
		memcpy(p->rng, s, sizeof(s));
		if (pois_at_end(p, p->next, off))
			p->ended = true;
	}
	return n;
}

static uint64_t
deadline_of_next(const struct bench_pacer *p)
{
	if (p->conf.pattern == BENCH_PACER_POISSON)
		return pois_deadline(p, p->pois_due);
	return deadline_closed(p, p->next);
}

int
bench_pacer_init(struct bench_pacer *p, const struct bench_pacer_conf *conf)
{
	memset(p, 0, sizeof(*p));
	if (conf->pattern == BENCH_PACER_TRACE) {
		if (conf->trace_ns == NULL || conf->count == 0 ||
		    (conf->policy != BENCH_PACER_SEND_LATE && conf->policy != BENCH_PACER_SKIP))
			return -EINVAL;
		p->conf = *conf;
		if (p->conf.hz == 0)
			p->conf.hz = NS_PER_S;
		return 0;
	}
	if (!(conf->rate_pps > 0.0) || !(conf->rate_pps <= 1e10))
		return -EINVAL;
	if (conf->policy != BENCH_PACER_SEND_LATE && conf->policy != BENCH_PACER_SKIP)
		return -EINVAL;
	p->conf = *conf;
	if (p->conf.hz == 0)
		p->conf.hz = NS_PER_S;
	p->upps = (uint64_t)llround(conf->rate_pps * (double)MICRO);
	if (p->upps == 0)
		return -EINVAL;
	switch (conf->pattern) {
	case BENCH_PACER_CONSTANT:
	case BENCH_PACER_POISSON:
		break;
	case BENCH_PACER_BURST:
		if (conf->burst == 0 || conf->burst > BENCH_PACER_BURST_MAX)
			return -EINVAL;
		break;
	case BENCH_PACER_ON_OFF: {
		u128 m;

		if (conf->on == 0 || conf->on + conf->off < conf->on)
			return -EINVAL;
		m = div_up((u128)conf->on * p->upps, (u128)p->conf.hz * MICRO);
		if (m == 0 || m > UINT64_MAX)
			return -EINVAL;
		p->per_period = (uint64_t)m;
		break;
	}
	default:
		return -EINVAL;
	}
	return 0;
}

void
bench_pacer_start(struct bench_pacer *p, uint64_t t0)
{
	uint64_t x = p->conf.seed;

	p->t0 = t0;
	p->next = 0;
	p->last_send = t0;
	p->ended = false;
	memset(&p->st, 0, sizeof(p->st));
	p->st.gap_min = UINT64_MAX;
	p->end = p->conf.duration != 0 && UINT64_MAX - t0 >= p->conf.duration
		     ? t0 + p->conf.duration
		     : UINT64_MAX;
	p->limit = p->conf.count != 0 ? p->conf.count : UINT64_MAX;
	if (p->conf.pattern == BENCH_PACER_POISSON) {
		for (int i = 0; i < 4; i++)
			p->rng[i] = splitmix64(&x);
		p->pois_due = pois_gap(p, p->rng);
		p->ended = pois_at_end(p, 0, p->pois_due);
	} else if (p->end != UINT64_MAX) {
		/* The packets whose deadline is before the end. */
		uint64_t in_time = due_closed(p, p->end - 1);

		if (in_time < p->limit)
			p->limit = in_time;
	}
	p->st.intended = 0;
	p->started = true;
	p->last_now = 0;
}

unsigned int
bench_pacer_owed(struct bench_pacer *p, uint64_t now, unsigned int cap)
{
	if (!p->started)
		return 0;
	if (now < p->last_now)
		now = p->last_now;
	p->last_now = now;
	if (cap > BENCH_PACER_BURST_MAX)
		cap = BENCH_PACER_BURST_MAX;
	if (p->conf.policy == BENCH_PACER_SKIP && now >= p->t0 && now - p->t0 > p->conf.late) {
		/* Deadline < now - late: more than late late. */
		p->st.skipped += due_from_next(p, now - p->conf.late - 1, UINT64_MAX, true);
	}
	return (unsigned int)due_from_next(p, now, cap, false);
}

static unsigned int
log2u(uint64_t v)
{
	return v == 0 ? 0 : 63u - (unsigned int)__builtin_clzll(v);
}

void
bench_pacer_account(struct bench_pacer *p, uint64_t now, unsigned int owed, unsigned int sent)
{
	uint64_t oldest, late_n = 0;

	if (!p->started)
		return;
	if (now < p->last_now)
		now = p->last_now;
	if (sent > owed)
		sent = owed;
	p->st.refused += owed - sent;
	if (sent == 0)
		return;
	oldest = deadline_of_next(p);
	if (now > oldest && now - oldest > p->st.late_max)
		p->st.late_max = now - oldest;
	if (now >= p->t0 && now - p->t0 > p->conf.late && oldest < now - p->conf.late)
		late_n = due_from_next(p, now - p->conf.late - 1, sent, false);
	p->st.late += late_n;
	/* The oldest sent packets leave the schedule. */
	due_from_next(p, UINT64_MAX, sent, true);
	p->st.offered += sent;

	unsigned int b = log2u(sent);

	p->st.size_hist[b < BENCH_PACER_SIZE_BUCKETS ? b : BENCH_PACER_SIZE_BUCKETS - 1]++;
	if (p->st.sends > 0) {
		uint64_t gap = sat64((u128)(now - p->last_send) * NS_PER_S / p->conf.hz);

		b = log2u(gap);
		p->st.gap_hist[b < BENCH_PACER_GAP_BUCKETS ? b : BENCH_PACER_GAP_BUCKETS - 1]++;
		if (gap < p->st.gap_min)
			p->st.gap_min = gap;
		if (gap > p->st.gap_max)
			p->st.gap_max = gap;
	}
	p->st.sends++;
	p->last_send = now;
}

bool
bench_pacer_done(const struct bench_pacer *p)
{
	if (p->conf.pattern == BENCH_PACER_POISSON)
		return p->ended;
	return p->next >= p->limit;
}

uint64_t
bench_pacer_next_deadline(const struct bench_pacer *p)
{
	if (!p->started || bench_pacer_done(p))
		return UINT64_MAX;
	return deadline_of_next(p);
}

uint64_t
bench_pacer_total(const struct bench_pacer *p)
{
	return p->limit;
}

void
bench_pacer_stats(const struct bench_pacer *p, struct bench_pacer_stats *out)
{
	struct bench_pacer copy = *p;

	*out = p->st;
	/* Due at the last now: what was settled plus what is owed. */
	out->intended = p->next + due_from_next(&copy, p->last_now, UINT64_MAX, false);
}

bool
bench_pacer_generator_limited(const struct bench_pacer_stats *st)
{
	uint64_t diff =
	    st->intended > st->offered ? st->intended - st->offered : st->offered - st->intended;

	return st->refused > 0 || (double)diff > 0.001 * (double)st->intended;
}
