/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL and lcx (lcx/eal.h), without an EAL: lcx_eal_attach() before (or
 * without) rte_eal_init() is refused, and the library goes on without the EAL:
 * contexts take their memory from the heap, LCX_LAUNCH_LCORE is refused, and
 * drivers are told there is no EAL (no pools, no ethdevs).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <lcx/driver/port.h>
#include <lcx/lcx.h>

#include "unit_ctx.h"

#define MS 1000000ull

static int fired;

static void
on_timer(struct lcx_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	fired++;
}

static void
test_attach_without_eal(void **state)
{
	struct lcx_manual_clock mc;
	struct lcx_context *ctx = NULL;
	struct lcx_timer t;
	struct lcx_context_conf lconf = {
		.name = "eal-lcore", .launch = LCX_LAUNCH_LCORE, .lcore_id = 1, .cpu = -1,
		.socket_id = -1,
	};
	struct lcx_port_conf pconf = { .driver = "socket", .devargs = "127.0.0.1:5000" };
	struct lcx_port *port = NULL;

	(void)state;
	assert_false(lcx_port_eal_ready());
	lcx_eal_attach(); /* no rte_eal_init() in this process */
	lcx_eal_attach(); /* idempotent */
	assert_false(lcx_port_eal_ready());

	/* Contexts still work: their memory is not asked of rte_malloc. */
	assert_int_equal(unit_manual_ctx("eal-none", MS, &mc, &ctx), 0);
	lcx_timer_init(&t, on_timer, NULL);
	assert_int_equal(lcx_timer_start(ctx, &t, 2 * MS, 0, 0), 0);
	(void)lcx_context_run_once(ctx);
	lcx_manual_clock_advance(&mc, 3 * MS);
	(void)lcx_context_run_once(ctx);
	assert_int_equal(fired, 1);
	lcx_context_release(ctx);

	/* No lcores without the EAL. */
	ctx = NULL;
	assert_int_equal(lcx_context_acquire(&lconf, &ctx), -EINVAL);
	assert_null(ctx);

	/* No ports that need a pool. */
	assert_int_equal(lcx_port_create(&pconf, &port), -EPERM);
	assert_null(port);

	/* The TSC is calibrated without DPDK's figure. */
	assert_true(lcx_tsc_hz() > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_without_eal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
