/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_UNIT_CTX_H
#define LCX_UNIT_CTX_H

/*
 * The context several unit tests run on: driven by the test itself
 * (LCX_LAUNCH_NONE), on a manual clock that starts at 1 s.
 *
 * struct unit_fix is the cmocka fixture of the tests that step such a context
 * (test_ctl, test_metrics, test_reactor): a test file's own fixture holds it
 * as its first member, unit_fix_setup() and unit_fix_free() make and free
 * the whole, and unit_step() runs one iteration that reacts.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <lcx/clock.h>
#include <lcx/context.h>

/* @return what lcx_context_acquire() returned. */
static inline int
unit_manual_ctx(const char *name, uint64_t throttle_ns, struct lcx_manual_clock *mc,
		struct lcx_context **out)
{
	struct lcx_context_conf conf = {
		.name = name,
		.throttle_ns = throttle_ns,
		.launch = LCX_LAUNCH_NONE,
		.cpu = -1,
		.socket_id = -1,
		.clock = &mc->clock,
	};

	lcx_manual_clock_init(mc, UINT64_C(1000000000));
	return lcx_context_acquire(&conf, out);
}

struct unit_fix {
	struct lcx_manual_clock mc;
	struct lcx_context *ctx; /* named "<prefix>-<n>", n counting the fixtures made */
	uint64_t throttle_ns;
};

/*
 * A cmocka setup: *state = size zeroed bytes, whose first member is a struct
 * unit_fix with its context made. @return 0, or -1 (nothing left allocated).
 */
static inline int
unit_fix_setup(void **state, size_t size, const char *prefix, uint64_t throttle_ns)
{
	static unsigned int seq;
	struct unit_fix *u = calloc(1, size);
	char name[LCX_NAME_MAX];

	if (u == NULL)
		return -1;
	snprintf(name, sizeof(name), "%s-%u", prefix, seq++);
	if (unit_manual_ctx(name, throttle_ns, &u->mc, &u->ctx) != 0) {
		free(u);
		return -1;
	}
	u->throttle_ns = throttle_ns;
	*state = u;
	return 0;
}

/* Release the context and free the fixture that u begins. */
static inline void
unit_fix_free(struct unit_fix *u)
{
	lcx_context_release(u->ctx);
	free(u);
}

/* One loop iteration that reacts: the clock moves a whole throttle first. */
static inline void
unit_step(struct unit_fix *u)
{
	lcx_manual_clock_advance(&u->mc, u->throttle_ns);
	assert_true(lcx_context_run_once(u->ctx) >= 0);
}

static inline void
unit_steps(struct unit_fix *u, int n)
{
	while (n-- > 0)
		unit_step(u);
}

#endif /* LCX_UNIT_CTX_H */
