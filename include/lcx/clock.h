/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_CLOCK_H
#define LCX_CLOCK_H

/**
 * @file
 * Time sources for contexts.
 *
 * Every context reads its clock once per loop iteration and caches the value
 * (lcx_context_now()). The default clock is the TSC, converted to nanoseconds.
 * A context may be given another clock, such as a manual clock that a unit test
 * advances by hand. Clock functions may be called from any thread.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Reads a clock: nanoseconds since an arbitrary origin, never decreasing. */
typedef uint64_t (*lcx_clock_fn)(void *arg);

/** A clock: a read function and its argument. */
struct lcx_clock {
	lcx_clock_fn now_ns; /**< read the clock */
	void *arg;           /**< passed to now_ns */
};

/** A clock that only moves when lcx_manual_clock_advance() moves it. */
struct lcx_manual_clock {
	struct lcx_clock clock; /**< give &mc->clock to a context */
	uint64_t now;           /**< current time, ns; accessed atomically */
};

/**
 * Nanoseconds from the TSC (monotonic, calibrated once per process).
 * @return the current time in ns.
 */
uint64_t lcx_tsc_ns(void);

/** @return the TSC frequency the library calibrated, in Hz. */
uint64_t lcx_tsc_hz(void);

/**
 * Initialise a manual clock.
 * @param mc the clock.
 * @param start_ns its first reading.
 */
void lcx_manual_clock_init(struct lcx_manual_clock *mc, uint64_t start_ns);

/**
 * Move a manual clock forward. Safe from any thread.
 * @param mc the clock.
 * @param delta_ns how far, ns (0 to UINT64_MAX; the reading wraps past UINT64_MAX).
 */
void lcx_manual_clock_advance(struct lcx_manual_clock *mc, uint64_t delta_ns);

/**
 * Set a manual clock. It must not go backwards.
 * @param mc the clock.
 * @param now_ns the new reading.
 */
void lcx_manual_clock_set(struct lcx_manual_clock *mc, uint64_t now_ns);

#ifdef __cplusplus
}
#endif

#endif /* LCX_CLOCK_H */
