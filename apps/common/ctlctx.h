/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_CTLCTX_H
#define LCX_APP_CTLCTX_H

/*
 * The programs' control context: an lcx context on the main thread
 * (LCX_LAUNCH_NONE, driven by lcx_context_run()) that reads the signals from a
 * signalfd, runs the --duration and --stats-period timers and whatever the
 * program adds (its control socket, a link watch), and ends the run.
 *
 * Signals: app_ctl_signals_block() blocks SIGINT, SIGTERM, SIGQUIT, SIGHUP and
 * SIGUSR1 in the calling thread (call it before the EAL makes its threads,
 * which inherit the mask) and ignores SIGPIPE, SIGUSR2 and SIGALRM; the
 * signalfd then takes each blocked signal on the control context. The
 * program's on_signal sees it first; what it does not take stops the run
 * with the reason "SIG<NAME>".
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <lcx/context.h>
#include <lcx/reactor.h>
#include <lcx/task.h>
#include <lcx/timer.h>

struct app_ctl;

/** What the program adds to its control context. */
struct app_ctl_conf {
	const char *prog;       /**< for the messages */
	const char *name;       /**< the context's name */
	uint64_t duration_ns;   /**< stop after this long (at least); 0: run until stopped */
	uint64_t stats_ns;      /**< call on_stats this often; 0: never */
	unsigned int stats_flags; /**< the stats timer's lcx_timer_start() flags */
	/** A signal: return true when taken, false to stop the run with its name. */
	bool (*on_signal)(struct app_ctl *c, int signo);
	/** The stats timer fired (not called once the run is stopping). */
	void (*on_stats)(struct app_ctl *c);
	/** More set-up on the context (the control socket, timers): 0 or -errno. */
	int (*setup)(struct app_ctl *c, struct lcx_context *ctx);
	void *arg;              /**< the program's */
};

/** The control context and what it runs. */
struct app_ctl {
	struct app_ctl_conf conf;
	struct lcx_context *ctx;
	/** Set when the run is to end; then stop_reason ("duration", "control", "SIGINT",
	 *  ...) and stop_signo (the signal, else 0). */
	bool stopping;
	const char *stop_reason;
	int stop_signo;
	/* the signalfd and its task, the timers */
	int sfd;
	struct lcx_source *src;
	struct lcx_waiter w;
	struct lcx_task task;
	struct lcx_timer duration;
	struct lcx_timer stats;
	char reason_buf[32];
};

/** The signals the control context reads (blocked in every thread). */
void app_ctl_signal_mask(sigset_t *mask);

/** Block those signals in this thread and ignore SIGPIPE, SIGUSR2 and SIGALRM. */
void app_ctl_signals_block(void);

/**
 * Make the control context (10 ms throttle, driven by the caller).
 * @return 0 or -errno of lcx_context_acquire().
 */
int app_ctl_create(struct app_ctl *c, const struct app_ctl_conf *conf);

/**
 * On the context: the signalfd, the timers, then conf->setup.
 * @return 0 or -errno.
 */
int app_ctl_start(struct app_ctl *c);

/**
 * Run until the run is stopped (lcx_context_run()).
 */
void app_ctl_run(struct app_ctl *c);

/**
 * End the run: the control loop returns. The first reason counts. On the
 * control context (a handler, a timer, the signal task).
 * @param reason a static string: "duration", "control", ...
 * @param signo the signal that asked, else 0.
 */
void app_ctl_request_stop(struct app_ctl *c, const char *reason, int signo);

/** Stop (if running) and release the context. No-op if none. */
void app_ctl_release(struct app_ctl *c);

#endif /* LCX_APP_CTLCTX_H */
