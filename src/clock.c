/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Clocks: the TSC in nanoseconds, and a manual clock for tests.
 *
 * The TSC frequency comes from DPDK once the EAL is attached (eal.c),
 * otherwise from a short calibration against CLOCK_MONOTONIC_RAW the first
 * time it is needed.
 */

#include <pthread.h>
#include <time.h>

#include <rte_cycles.h>

#include "lcx_private.h"

uint64_t lcx__tsc_mult; /* ns per tick, 32.32 fixed point */
static uint64_t tsc_hz;
static pthread_once_t tsc_once = PTHREAD_ONCE_INIT;

static uint64_t
mono_raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
tsc_calibrate(void)
{
	uint64_t hz = lcx__eal_attached() ? rte_get_tsc_hz() : 0;

	if (hz == 0) {
		struct timespec d = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };
		uint64_t t0 = mono_raw_ns(), c0 = rte_rdtsc();

		nanosleep(&d, NULL);
		uint64_t t1 = mono_raw_ns(), c1 = rte_rdtsc();

		hz = (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
	}
	tsc_hz = hz;
	lcx__tsc_mult = (uint64_t)(((unsigned __int128)1000000000ull << 32) / hz);
}

void
lcx__tsc_init(void)
{
	pthread_once(&tsc_once, tsc_calibrate);
}

uint64_t
lcx_tsc_hz(void)
{
	lcx__tsc_init();
	return tsc_hz;
}

uint64_t
lcx_tsc_ns(void)
{
	if (LCX_UNLIKELY(lcx__tsc_mult == 0))
		lcx__tsc_init();
	return lcx__tsc_to_ns(rte_rdtsc());
}

static uint64_t
manual_now(void *arg)
{
	struct lcx_manual_clock *mc = arg;

	return __atomic_load_n(&mc->now, __ATOMIC_ACQUIRE);
}

void
lcx_manual_clock_init(struct lcx_manual_clock *mc, uint64_t start_ns)
{
	mc->clock.now_ns = manual_now;
	mc->clock.arg = mc;
	__atomic_store_n(&mc->now, start_ns, __ATOMIC_RELEASE);
}

void
lcx_manual_clock_advance(struct lcx_manual_clock *mc, uint64_t delta_ns)
{
	__atomic_fetch_add(&mc->now, delta_ns, __ATOMIC_ACQ_REL);
}

void
lcx_manual_clock_set(struct lcx_manual_clock *mc, uint64_t now_ns)
{
	__atomic_store_n(&mc->now, now_ns, __ATOMIC_RELEASE);
}
