/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loop's own cost, for callgrind: an LCX_LAUNCH_NONE context on a manual
 * clock that every poll advances by STEP_NS, one fake poller that returns
 * ITEMS (burst 32, ring 1024) and has a flush, optionally one periodic timer;
 * after POLLS polls the poller stops the context. Nothing depends on the wall
 * clock, so the instruction count is the same from run to run:
 *
 *   valgrind --tool=callgrind --toggle-collect=lcx_context_run \
 *       build/tests/perf/loop/loop_bench THROTTLE_NS ITEMS STEP_NS POLLS TIMER_NS
 *
 * Ir / iterations is the loop's cost per iteration (doc/performance.md,
 * "Loop overhead"). An idle case (throttled, ITEMS 0) parks for real.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcx/lcx.h>

static struct lcx_manual_clock mc;
static struct lcx_context *ctx;
static unsigned long polls, limit, flushes, fired;
static unsigned int items;
static uint64_t step_ns;

static unsigned int
bench_poll(void *arg)
{
	(void)arg;
	lcx_manual_clock_advance(&mc, step_ns);
	if (++polls == limit)
		lcx_context_stop(ctx);
	return items;
}

static void
bench_flush(void *arg)
{
	(void)arg;
	flushes++;
}

static void
bench_timer(struct lcx_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	fired++;
}

static int
num(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct lcx_poller_ops ops = { .poll = bench_poll, .flush = bench_flush };
	struct lcx_context_stats st;
	struct lcx_poller p;
	struct lcx_timer t;
	uint64_t v[5];
	int ret;

	if (argc != 6) {
		fprintf(stderr, "usage: loop_bench THROTTLE_NS ITEMS STEP_NS POLLS TIMER_NS\n");
		return 2;
	}
	for (int i = 0; i < 5; i++) {
		if (num(argv[i + 1], &v[i]) < 0) {
			fprintf(stderr, "loop_bench: not a number: %s\n", argv[i + 1]);
			return 2;
		}
	}
	if (v[1] > 1024 || v[3] == 0) {
		fprintf(stderr, "loop_bench: ITEMS at most 1024, POLLS at least 1\n");
		return 2;
	}
	struct lcx_context_conf conf = {
		.name = "loop_bench", .throttle_ns = v[0], .launch = LCX_LAUNCH_NONE,
		.cpu = -1, .socket_id = -1, .clock = &mc.clock,
	};

	items = (unsigned int)v[1];
	step_ns = v[2];
	limit = v[3];
	lcx_manual_clock_init(&mc, 1000000000ull);
	ret = lcx_context_acquire(&conf, &ctx);
	if (ret < 0) {
		fprintf(stderr, "loop_bench: context: %s\n", strerror(-ret));
		return 1;
	}
	memset(&p, 0, sizeof(p));
	p.ops = &ops;
	p.burst = 32;
	p.ring_size = 1024;
	lcx_timer_init(&t, bench_timer, NULL);
	if (lcx_poller_register(ctx, &p) < 0 ||
	    (v[4] != 0 && lcx_timer_start(ctx, &t, v[4], v[4], 0) < 0)) {
		fprintf(stderr, "loop_bench: set-up failed\n");
		lcx_context_release(ctx);
		return 1;
	}
	lcx_context_run(ctx);
	lcx_context_stats(ctx, &st);
	printf("iterations %lu reacts %lu polls %lu flushes %lu timers_fired %lu parks %lu\n",
	       (unsigned long)st.iterations, (unsigned long)st.reacts, polls, flushes, fired,
	       (unsigned long)st.parks);
	lcx_context_release(ctx);
	return 0;
}
