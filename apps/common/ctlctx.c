/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' control context: see ctlctx.h. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "applog.h"
#include "ctlctx.h"

#define CTL_THROTTLE_NS 10000000ull /* 10 ms: signals, timers, the control socket */

void
app_ctl_signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGQUIT);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGUSR1);
}

void
app_ctl_signals_block(void)
{
	sigset_t mask;

	app_ctl_signal_mask(&mask);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGALRM, SIG_IGN);
}

int
app_ctl_create(struct app_ctl *c, const struct app_ctl_conf *conf)
{
	struct lcx_context_conf cc = {
		.name = conf->name,
		.throttle_ns = CTL_THROTTLE_NS,
		.launch = LCX_LAUNCH_NONE,
		.cpu = -1,
		.socket_id = -1,
	};

	memset(c, 0, sizeof(*c));
	c->conf = *conf;
	c->sfd = -1;
	return lcx_context_acquire(&cc, &c->ctx);
}

void
app_ctl_request_stop(struct app_ctl *c, const char *reason, int signo)
{
	if (c->stopping)
		return;
	c->stopping = true;
	c->stop_reason = reason;
	c->stop_signo = signo;
	lcx_context_stop(c->ctx); /* on its own thread: the loop returns */
}

static void
signal_stop(struct app_ctl *c, int signo)
{
	const char *abbrev = sigabbrev_np(signo);

	if (abbrev != NULL)
		snprintf(c->reason_buf, sizeof(c->reason_buf), "SIG%s", abbrev);
	else
		snprintf(c->reason_buf, sizeof(c->reason_buf), "signal %d", signo);
	app_ctl_request_stop(c, c->reason_buf, signo);
}

static void
signal_task(struct lcx_task *task, void *arg)
{
	struct app_ctl *c = arg;

	(void)task;
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(c->sfd, &si, sizeof(si));

		if (n == (ssize_t)sizeof(si)) {
			int signo = (int)si.ssi_signo;

			if (c->conf.on_signal == NULL || !c->conf.on_signal(c, signo))
				signal_stop(c, signo);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int r = lcx_source_poll(c->src, LCX_DIR_READ, &c->w);

			if (r == 1)
				continue;
			if (r == 0)
				return;
		}
		app_log_raw(APP_LOG_ERR, "%s: signalfd: %s", c->conf.prog,
			n < 0 ? strerror(errno) : "short read");
		app_ctl_request_stop(c, "error", 0);
		return;
	}
}

static void
duration_fired(struct lcx_timer *t, void *arg)
{
	(void)t;
	app_ctl_request_stop(arg, "duration", 0);
}

static void
stats_fired(struct lcx_timer *t, void *arg)
{
	struct app_ctl *c = arg;

	(void)t;
	if (!c->stopping)
		c->conf.on_stats(c);
}

static int
ctl_setup(struct lcx_context *ctx, void *arg)
{
	struct app_ctl *c = arg;
	sigset_t mask;
	int ret;

	app_ctl_signal_mask(&mask);
	c->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->sfd < 0)
		return -errno;
	ret = lcx_source_create(ctx, c->sfd, LCX_SOURCE_CLOSE_FD, &c->src);
	if (ret < 0) {
		close(c->sfd);
		c->sfd = -1;
		return ret;
	}
	lcx_task_init(&c->task, ctx, signal_task, c);
	lcx_waiter_init(&c->w, &c->task);
	lcx_task_wake(&c->task);

	lcx_timer_init(&c->duration, duration_fired, c);
	if (c->conf.duration_ns > 0) {
		ret = lcx_timer_start(ctx, &c->duration, c->conf.duration_ns, 0,
				      LCX_TIMER_AT_LEAST);
		if (ret < 0)
			return ret;
	}
	lcx_timer_init(&c->stats, stats_fired, c);
	if (c->conf.stats_ns > 0 && c->conf.on_stats != NULL) {
		ret = lcx_timer_start(ctx, &c->stats, c->conf.stats_ns, c->conf.stats_ns,
				      c->conf.stats_flags);
		if (ret < 0)
			return ret;
	}
	if (c->conf.setup != NULL)
		return c->conf.setup(c, ctx);
	return 0;
}

int
app_ctl_start(struct app_ctl *c)
{
	return lcx_context_enter(c->ctx, ctl_setup, c);
}

void
app_ctl_run(struct app_ctl *c)
{
	lcx_context_run(c->ctx);
}

void
app_ctl_release(struct app_ctl *c)
{
	if (c->ctx == NULL)
		return;
	lcx_context_stop(c->ctx);
	lcx_context_release(c->ctx);
	c->ctx = NULL;
}
