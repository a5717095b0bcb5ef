/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_SDNOTIFY_H
#define LCX_APP_SDNOTIFY_H

/*
 * systemd's notify protocol (sd_notify(3), libsystemd) for a program run as a
 * Type=notify service: READY=1, STATUS=, RELOADING=1, STOPPING=1 and the
 * watchdog (WATCHDOG=1 every half of WATCHDOG_USEC). Without NOTIFY_SOCKET in
 * the environment everything here does nothing. The watchdog is kept on the
 * control context, and only while the program's alive() says its loops run:
 * a stalled loop stops the pings and systemd acts (WatchdogSec=, Restart=).
 * Main thread and the control context; not on a fast path.
 */

#include <stdbool.h>
#include <stdint.h>

#include <lcx/context.h>
#include <lcx/timer.h>

/** The notify state of a program. */
struct app_notify {
	const char *prog;      /**< for the messages */
	bool on;               /**< NOTIFY_SOCKET set */
	uint64_t watchdog_ns;  /**< WATCHDOG_USEC in ns (for this pid), 0: no watchdog */
	/** Whether the program's loops ran since the last call (on the control context).
	 *  @param why out: what stalled, for the message. */
	bool (*alive)(void *arg, char *why, unsigned int size);
	void *arg;
	struct lcx_timer wd;   /**< the watchdog timer, every watchdog_ns / 2 */
	uint64_t pings;        /**< WATCHDOG=1 sent */
	uint64_t withheld;     /**< pings not sent: a loop had stalled */
	bool stalled;          /**< the last check found a stall (said once per stall) */
};

/**
 * Read NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled()).
 * Main thread, at start.
 * @return 0, or -EINVAL (a malformed WATCHDOG_USEC, said on stderr).
 */
int app_notify_init(struct app_notify *n, const char *prog);

/**
 * Start the watchdog timer on ctx (the control context; call on it), when
 * WATCHDOG_USEC was set.
 * @param alive the program's liveness check; NULL: always alive.
 * @return 0 or -errno of lcx_timer_start().
 */
int app_notify_watchdog_start(struct app_notify *n, struct lcx_context *ctx,
			      bool (*alive)(void *arg, char *why, unsigned int size), void *arg);

/** Stop the watchdog timer (on the control context). */
void app_notify_watchdog_stop(struct app_notify *n);

/**
 * Send a notification: "READY=1", "STOPPING=1", "STATUS=...", several lines
 * separated by newlines (sd_notify()). Nothing without NOTIFY_SOCKET.
 * @return 0 (or not on), -errno of sd_notify() (said on stderr once).
 */
int app_notify_send(struct app_notify *n, const char *text);

/** "RELOADING=1" with MONOTONIC_USEC= (systemd 253 wants it; older ones ignore it). */
int app_notify_reloading(struct app_notify *n);

#endif /* LCX_APP_SDNOTIFY_H */
