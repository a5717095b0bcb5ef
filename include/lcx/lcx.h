/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_H
#define LCX_H

/**
 * @file
 * lcx: throttled per-lcore contexts for DPDK packet I/O. The umbrella header.
 */

#include <lcx/clock.h>
#include <lcx/context.h>
#include <lcx/ctl.h>
#include <lcx/eal.h>
#include <lcx/metrics.h>
#include <lcx/poller.h>
#include <lcx/pool.h>
#include <lcx/port.h>
#include <lcx/reactor.h>
#include <lcx/task.h>
#include <lcx/timer.h>
#include <lcx/version.h>

#endif /* LCX_H */
