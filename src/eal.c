/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL and lcx (include/lcx/eal.h): the one place that knows whether the
 * library may use the EAL. Everything that needs it (contexts' rte_malloc
 * memory and lcores, the TSC frequency, ports' pools and ethdevs) asks
 * lcx__eal_attached().
 */

#include <stdatomic.h>

#include <rte_lcore.h>

#include <lcx/driver/port.h>

#include "lcx_private.h"

static _Atomic bool attached;

void
lcx_eal_attach(void)
{
	if (atomic_load(&attached))
		return;
	/* rte_eal_init() counts the lcores; before it (or after it failed) the count is 0. */
	if (rte_lcore_count() == 0) {
		LCX_LOG(ERR, "lcx_eal_attach(): the EAL is not initialised: going on without it");
		return;
	}
	atomic_store(&attached, true);
	lcx__tsc_init();
	lcx__telemetry_init();
}

bool
lcx__eal_attached(void)
{
	return atomic_load_explicit(&attached, memory_order_relaxed);
}

bool
lcx_port_eal_ready(void)
{
	return lcx__eal_attached();
}
