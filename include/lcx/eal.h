/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_EAL_H
#define LCX_EAL_H

/**
 * @file
 * The DPDK EAL and lcx: how the library learns that it may use it.
 *
 * lcx runs without the EAL (contexts on pthreads, memory from libnuma, the TSC
 * calibrated against CLOCK_MONOTONIC_RAW). A program that calls rte_eal_init()
 * says so once with lcx_eal_attach(); from then on contexts take their memory
 * from rte_malloc_socket(), LCX_LAUNCH_LCORE contexts can be created, the TSC
 * frequency is DPDK's (unless the library calibrated it before), ports can
 * make mbuf pools and use ethdevs, and the
 * contexts are served over DPDK telemetry (/lcx/contexts, /lcx/context,NAME).
 *
 * Threads: call lcx_eal_attach() from the thread that ran rte_eal_init(),
 * before any context or port is created.
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Tell the library that rte_eal_init() succeeded in this process. Idempotent.
 * When the EAL is not initialised (rte_eal_init() was not called or failed),
 * the call logs an error and changes nothing: the library goes on without
 * the EAL.
 */
void lcx_eal_attach(void);

#ifdef __cplusplus
}
#endif

#endif /* LCX_EAL_H */
