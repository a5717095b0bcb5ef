/* SPDX-License-Identifier: BSD-3-Clause */
/* systemd's notify protocol on libsystemd: see sdnotify.h. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "applog.h"
#include "sdnotify.h"

int
app_notify_init(struct app_notify *n, const char *prog)
{
	uint64_t usec = 0;
	int ret;

	memset(n, 0, sizeof(*n));
	n->prog = prog;
	n->on = getenv("NOTIFY_SOCKET") != NULL;
	/* 0: keep the variables (nothing here forks); > 0 only for our pid. */
	ret = sd_watchdog_enabled(0, &usec);
	if (ret < 0) {
		app_log_raw(APP_LOG_ERR, "%s: WATCHDOG_USEC: %s", prog, strerror(-ret));
		return -EINVAL;
	}
	if (ret > 0 && n->on)
		n->watchdog_ns = usec * 1000;
	return 0;
}

static void
wd_fired(struct lcx_timer *t, void *arg)
{
	struct app_notify *n = arg;
	char why[160] = "";

	(void)t;
	if (n->alive != NULL && !n->alive(n->arg, why, sizeof(why))) {
		n->withheld++;
		if (!n->stalled)
			app_log_raw(APP_LOG_WARNING, "%s: watchdog: %s: no WATCHDOG=1 to systemd until "
				    "it runs again", n->prog, why);
		n->stalled = true;
		return;
	}
	if (n->stalled)
		app_log_raw(APP_LOG_NOTICE, "%s: watchdog: every loop runs again: WATCHDOG=1 again",
			    n->prog);
	n->stalled = false;
	if (app_notify_send(n, "WATCHDOG=1") == 0)
		n->pings++;
}

int
app_notify_watchdog_start(struct app_notify *n, struct lcx_context *ctx,
			  bool (*alive)(void *arg, char *why, unsigned int size), void *arg)
{
	uint64_t half = n->watchdog_ns / 2;

	n->alive = alive;
	n->arg = arg;
	lcx_timer_init(&n->wd, wd_fired, n);
	if (half == 0)
		return 0;
	return lcx_timer_start(ctx, &n->wd, half, half, 0);
}

void
app_notify_watchdog_stop(struct app_notify *n)
{
	if (n->watchdog_ns > 0)
		lcx_timer_stop(&n->wd);
}

int
app_notify_send(struct app_notify *n, const char *text)
{
	static bool said;
	int ret;

	if (!n->on)
		return 0;
	ret = sd_notify(0, text);
	if (ret < 0 && !said) {
		said = true;
		app_log_raw(APP_LOG_WARNING, "%s: sd_notify: %s (NOTIFY_SOCKET=%s)", n->prog, strerror(-ret),
			getenv("NOTIFY_SOCKET"));
	}
	return ret < 0 ? ret : 0;
}

int
app_notify_reloading(struct app_notify *n)
{
	struct timespec ts;
	char text[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
			 (unsigned long long)ts.tv_nsec / 1000);
	return app_notify_send(n, text);
}
