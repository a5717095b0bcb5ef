/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_UNIT_CTX_H
#define LCX_UNIT_CTX_H

/*
 * The context several unit tests run on: driven by the test itself
 * (LCX_LAUNCH_NONE), on a manual clock that starts at 1 s.
 */

#include <stdint.h>

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

#endif /* LCX_UNIT_CTX_H */
