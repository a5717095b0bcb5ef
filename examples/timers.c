/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timers of each kind on a throttled context (no EAL), with the time each one
 * fired read from CLOCK_MONOTONIC (not the context's TSC clock), so that the
 * contract of timer.h can be checked against the kernel's clock:
 *
 *   timers [THROTTLE_US]
 *
 * Starts, from the context's own thread, with T the throttle (default 2000 us):
 *  - a regular one-shot timer, 50 ms: fires within [-T/2, +T/2] (plus wake-up
 *    jitter) of its deadline;
 *  - an at-least one-shot timer, 50 ms: never before its deadline, at most
 *    T (plus jitter) after;
 *  - an interval timer, period 20 ms, stopped after its 10th firing.
 * Prints "start MONO_NS throttle_ns T", then one line per firing
 * "KIND N fired MONO_NS first_deadline MONO_NS period NS" (an interval timer's
 * deadlines are first_deadline + k * period; missed periods are skipped), then
 * "done".
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lcx/lcx.h>

#define MS 1000000ull

struct kind {
	const char *name;
	struct lcx_timer timer;
	uint64_t delay_ns, period_ns;
	uint32_t flags;
	uint64_t start_ns; /* CLOCK_MONOTONIC when started */
	unsigned int fired, max;
	uint64_t at[16];
};

static struct kind kinds[] = {
	{ .name = "regular", .delay_ns = 50 * MS, .max = 1 },
	{ .name = "at_least", .delay_ns = 50 * MS, .flags = LCX_TIMER_AT_LEAST, .max = 1 },
	{ .name = "interval", .delay_ns = 20 * MS, .period_ns = 20 * MS, .max = 10 },
};
static atomic_int done;

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
fire(struct lcx_timer *t, void *arg)
{
	struct kind *k = arg;

	k->at[k->fired++] = mono_ns();
	if (k->fired >= k->max) {
		lcx_timer_stop(t);
		atomic_fetch_add(&done, 1);
	}
}

static int
start_all(struct lcx_context *ctx, void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct kind *k = &kinds[i];
		int ret;

		lcx_timer_init(&k->timer, fire, k);
		k->start_ns = mono_ns(); /* before the start: the deadline is not earlier */
		ret = lcx_timer_start(ctx, &k->timer, k->delay_ns, k->period_ns, k->flags);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct lcx_context_conf conf = {
		.name = "timers", .launch = LCX_LAUNCH_THREAD, .cpu = -1, .socket_id = -1,
	};
	struct lcx_context *ctx;
	int ret, n = (int)(sizeof(kinds) / sizeof(kinds[0]));

	conf.throttle_ns = (argc > 1 ? strtoull(argv[1], NULL, 10) : 2000) * 1000;
	ret = lcx_context_acquire(&conf, &ctx);
	if (ret < 0) {
		fprintf(stderr, "timers: lcx_context_acquire: %s\n", strerror(-ret));
		return 1;
	}
	printf("start %llu throttle_ns %llu\n", (unsigned long long)mono_ns(),
	       (unsigned long long)conf.throttle_ns);
	ret = lcx_context_enter(ctx, start_all, NULL);
	if (ret < 0) {
		fprintf(stderr, "timers: lcx_timer_start: %s\n", strerror(-ret));
		lcx_context_release(ctx);
		return 1;
	}
	for (int i = 0; i < 5000 && atomic_load(&done) < n; i++)
		usleep(1000);
	lcx_context_stop(ctx);
	lcx_context_release(ctx);
	for (int i = 0; i < n; i++) {
		struct kind *k = &kinds[i];

		for (unsigned int f = 0; f < k->fired; f++)
			printf("%s %u fired %llu first_deadline %llu period %llu\n", k->name, f + 1,
			       (unsigned long long)k->at[f],
			       (unsigned long long)(k->start_ns + k->delay_ns),
			       (unsigned long long)k->period_ns);
	}
	printf("done\n");
	return atomic_load(&done) == n ? 0 : 1;
}
