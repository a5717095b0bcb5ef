/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ingest as a systemd Type=notify service (apps/common/sdnotify.h; doc/ingest.md
 * "Running as a service"): READY=1 once the ports, the writer and the control
 * socket are up; STATUS= with the rates every --stats-period (1 s when 0);
 * WATCHDOG=1 every half of WATCHDOG_USEC while every rx context and the writer
 * made loop iterations since the last ping; RELOADING=1 and READY=1 around a
 * SIGHUP reopen (READY=1 once the writer has reopened); STOPPING=1 at the end.
 * The control context (and main() before and after its loop).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <lcx/clock.h>
#include <lcx/context.h>
#include <lcx/timer.h>

#include "app.h"
#include "applog.h"
#include "sdnotify.h"

#define STATUS_DEFAULT_NS 1000000000ull /* with --stats-period=0 */
#define RELOAD_POLL_NS 10000000ull      /* how often a reopen's end is looked for */

static struct app_notify nt;
static struct lcx_timer status_timer;
static struct lcx_timer reload_timer;
static uint64_t reload_gen;
static uint64_t last_ns;
static struct ingest_totals last;
/* Loop iterations of each rx context [0, nb_rx) and of the writer [nb_rx] at the last check. */
static uint64_t last_iter[INGEST_RX_MAX + 1];

int
ingest_notify_init(void)
{
	return app_notify_init(&nt, "lcx-ingest");
}

static uint64_t
iterations(struct lcx_context *ctx)
{
	struct lcx_context_stats st;

	return lcx_context_stats(ctx, &st) == 0 ? st.iterations : 0;
}

/* Every rx context and the writer iterated since the last check. */
static bool
loops_alive(void *arg, char *why, unsigned int size)
{
	struct ingest_app *a = arg;
	bool alive = true;

	for (unsigned int i = 0; i <= a->nb_rx; i++) {
		struct lcx_context *ctx = i < a->nb_rx ? a->rx[i]->ctx : a->sink_ctx;
		uint64_t it;

		if (ctx == NULL)
			continue;
		it = iterations(ctx);
		if (it == last_iter[i] && alive) {
			if (i < a->nb_rx)
				snprintf(why, size, "rx context ingest-rx%u made no loop iteration "
					 "in %.3f s", a->rx[i]->id, (double)nt.watchdog_ns / 2e9);
			else
				snprintf(why, size, "the writer made no loop iteration in %.3f s",
					 (double)nt.watchdog_ns / 2e9);
			alive = false;
		}
		last_iter[i] = it;
	}
	return alive;
}

static void
status_send(struct ingest_app *a)
{
	struct ingest_totals t;
	uint64_t ns = lcx_tsc_ns();
	double dt = (double)(ns - last_ns) / 1e9;
	char text[512];

	ingest_app_totals(a, &t);
	if (dt <= 0)
		dt = 1;
	/* The rates over the last period; the totals since the start. */
	snprintf(text, sizeof(text),
		 "STATUS=%.0f pps, %.3f Mbit/s; rx_total %" PRIu64 ", accepted %" PRIu64
		 ", filtered %" PRIu64 ", malformed %" PRIu64 ", sink_dropped %" PRIu64
		 ", port_lost %" PRIu64,
		 (double)(t.rx_total - last.rx_total) / dt,
		 (double)(t.rx_bytes - last.rx_bytes) * 8 / dt / 1e6, t.rx_total, t.accepted,
		 t.filtered, t.malformed, t.sink_dropped,
		 t.port_rx_missed + t.port_rx_nombuf + t.port_rx_errors);
	app_notify_send(&nt, text);
	last = t;
	last_ns = ns;
}

static void
status_fired(struct lcx_timer *t, void *arg)
{
	struct ingest_app *a = arg;

	(void)t;
	if (!a->ctl.stopping)
		status_send(a);
}

int
ingest_notify_setup(struct ingest_app *a, struct lcx_context *ctx)
{
	uint64_t period = a->o.stats_ns ? a->o.stats_ns : STATUS_DEFAULT_NS;
	int ret;

	lcx_timer_init(&status_timer, status_fired, a);
	lcx_timer_init(&reload_timer, NULL, NULL);
	if (!nt.on)
		return 0;
	for (unsigned int i = 0; i < a->nb_rx; i++)
		last_iter[i] = iterations(a->rx[i]->ctx);
	if (a->sink_ctx != NULL)
		last_iter[a->nb_rx] = iterations(a->sink_ctx);
	if (nt.watchdog_ns > 0 && nt.watchdog_ns / 2 < 2 * a->o.throttle_ns)
		app_log(APP_LOG_WARNING, "warning: WatchdogSec= (%.3f s) is short for "
			"--throttle=%.3f s: a parked rx context may look stalled",
			(double)nt.watchdog_ns / 1e9, (double)a->o.throttle_ns / 1e9);
	ret = app_notify_watchdog_start(&nt, ctx, loops_alive, a);
	if (ret < 0)
		return ret;
	return lcx_timer_start(ctx, &status_timer, period, period, 0);
}

void
ingest_notify_ready(struct ingest_app *a)
{
	if (!nt.on)
		return;
	last_ns = lcx_tsc_ns();
	ingest_app_totals(a, &last);
	app_notify_send(&nt, "READY=1\nSTATUS=ready: ports, writer and control up");
}

static void
reload_poll(struct lcx_timer *t, void *arg)
{
	struct ingest_app *a = arg;

	if (a->sink != NULL && !ingest_sink_reopen_done(a->sink, reload_gen)) {
		lcx_timer_start(a->ctl.ctx, t, RELOAD_POLL_NS, 0, 0);
		return;
	}
	app_notify_send(&nt, "READY=1\nSTATUS=files reopened");
}

void
ingest_notify_reload(struct ingest_app *a)
{
	app_notify_reloading(&nt);
	if (a->sink == NULL) {
		app_notify_send(&nt, "READY=1\nSTATUS=no files to reopen");
		return;
	}
	reload_gen = ingest_sink_request_reopen(a->sink);
	if (!nt.on)
		return;
	/* READY=1 once the writer has reopened (a few ms: it polls every 1 ms). */
	lcx_timer_stop(&reload_timer);
	lcx_timer_init(&reload_timer, reload_poll, a);
	lcx_timer_start(a->ctl.ctx, &reload_timer, RELOAD_POLL_NS, 0, 0);
}

void
ingest_notify_stopping(struct ingest_app *a)
{
	char text[128];

	if (!nt.on)
		return;
	snprintf(text, sizeof(text), "STOPPING=1\nSTATUS=stopping (%s)",
		 a->ctl.stop_reason != NULL ? a->ctl.stop_reason : "set-up failed");
	app_notify_send(&nt, text);
}
