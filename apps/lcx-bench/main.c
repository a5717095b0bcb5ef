/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench: a traffic generator and measurer (issue 11; doc/bench.md).
 *
 *   lcx-bench [EAL options] -- [options] MODE
 *
 * Order (lcx-pmd's): options checked before the EAL starts (options.c); the EAL; ports,
 * pool, link up (ports.c); the control context (signals, the live line); the rx and tx
 * contexts, kept across trials; the driver thread runs the mode's trials (modes.c,
 * trial.c) while this thread runs the control context; the figures (output.c);
 * everything released, the pool counted.
 */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <lcx/lcx.h>

#include "applog.h"
#include "bench.h"
#include "traffic.h"
#include "ctlsrv.h"

const char *prog = "lcx-bench";
struct bench_app b = { .cur_trial = -1, .last_trial = -1 };

void
die(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	app_log_raw(APP_LOG_ERR, "%s: %s", prog, msg);
	if (b.json)
		app_out_abort(&b.out);
	bench_csv_abort();
	exit(code);
}

uint64_t
tsc_ns(uint64_t tsc)
{
	return (uint64_t)((unsigned __int128)(tsc - b.tsc0) * 1000000000u / b.hz);
}

uint64_t
ns_tsc(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * b.hz / 1000000000u);
}

void
sleep_until_ns(uint64_t t_ns)
{
	for (;;) {
		uint64_t now = tsc_ns(rte_rdtsc());
		struct timespec ts;

		if (now >= t_ns)
			return;
		ts.tv_sec = (time_t)((t_ns - now) / 1000000000u);
		ts.tv_nsec = (long)((t_ns - now) % 1000000000u);
		nanosleep(&ts, NULL);
	}
}

bool
bench_stopping(void)
{
	return __atomic_load_n(&b.ctl.stopping, __ATOMIC_ACQUIRE);
}

static void
contexts_start(void)
{
	struct lcx_context_conf cc = {
		.throttle_ns = opt.throttle_us * 1000,
		.launch = LCX_LAUNCH_THREAD,
		.cpu = -1,
		.socket_id = -1,
	};
	int ret;

	gen_init();
	meas_init();
	cc.name = "bench-rx";
	cc.throttle_ns = opt.rx_throttle_us * 1000;
	ret = lcx_context_acquire(&cc, &b.rxctx);
	if (ret < 0)
		die(1, "cannot start the rx context: %s", strerror(-ret));
	cc.name = "bench-tx";
	cc.throttle_ns = opt.throttle_us * 1000;
	ret = lcx_context_acquire(&cc, &b.txctx);
	if (ret < 0)
		die(1, "cannot start the tx context: %s", strerror(-ret));
}

static int
finish(void)
{
	int status = 0;
	char err[256];

	lcx_context_release(b.txctx);
	lcx_context_release(b.rxctx);
	app_ctl_release(&b.ctl);
	if (b.nb_trials > 0) {
		bench_output_text(stdout);
		fflush(stdout);
	}
	for (unsigned int i = 0; i < b.nb_trials; i++)
		if (!b.trials[i].account_consistent) {
			app_log_raw(APP_LOG_ERR, "%s: trial %u: the receiver saw sequence numbers that were "
					"never sent: the account is not to be trusted", prog, i);
			status = 1;
		}
	if (opt.csv_dir != NULL) {
		if (b.nb_trials == 0) {
			bench_csv_abort();
		} else if (bench_csv_write(err, sizeof(err)) < 0) {
			app_log_raw(APP_LOG_ERR, "%s: --csv: %s", prog, err);
			status = 1;
		}
	}
	memset(b.port_st, 0, sizeof(b.port_st));
	rte_eth_stats_get(b.tx_ethdev, &b.port_st[0]);
	rte_eth_stats_get(b.rx_ethdev, &b.port_st[1]);
	bench_ports_close();
	if (b.json) {
		if (b.nb_trials == 0) {
			app_out_abort(&b.out);
			app_log_raw(APP_LOG_ERR, "%s: --json: no trial ran, no file written", prog);
			status = 1;
		} else {
			if (bench_output_json(b.out.f) < 0) {
				app_out_abort(&b.out);
				app_log_raw(APP_LOG_ERR, "%s: --json: cannot write", prog);
				status = 1;
			} else if (app_out_commit(&b.out, err, sizeof(err)) < 0) {
				app_log_raw(APP_LOG_ERR, "%s: --json: %s", prog, err);
				status = 1;
			}
		}
	}
	if (app_pools_warn(prog) != 0)
		status = 1;
	return status;
}

int
main(int argc, char **argv)
{
	struct app_argv eal = { 0 }, app = { 0 };
	struct app_devs devs;
	char **eal_argv;
	pthread_t driver;
	int status;
	int ret;

	bench_command_line(argc, argv, &eal, &app, &devs);
	eal_argv = calloc((size_t)eal.n + 1, sizeof(*eal_argv));
	if (eal_argv == NULL)
		die(1, "out of memory");
	memcpy(eal_argv, eal.v, (size_t)eal.n * sizeof(*eal_argv));
	app_ctl_signals_block();
	if (rte_eal_init(eal.n, eal_argv) < 0)
		die(1, "cannot initialise the EAL: %s", rte_strerror(rte_errno));
	lcx_eal_attach();
	/* Messages through rte_log, type lcx.bench, from here on (stderr before). */
	(void)app_log_init(prog, "lcx.bench");
	b.hz = rte_get_tsc_hz();
	b.tsc0 = rte_rdtsc();
	bench_ports_open(&devs);
	bench_rate_resolve();
	{
		const struct app_ctl_conf conf = {
			.prog = prog, .name = "bench-ctl", .stats_ns = opt.stats_ns,
			.stats_flags = LCX_TIMER_AT_LEAST, .on_stats = bench_on_stats,
			.setup = bench_control_setup,
		};

		ret = app_ctl_create(&b.ctl, &conf);
		if (ret < 0)
			die(1, "cannot create the control context: %s", strerror(-ret));
	}
	contexts_start();
	ret = app_ctl_start(&b.ctl);
	if (ret < 0)
		die(1, "control context: %s", strerror(-ret));
	if (opt.mode == BENCH_MODE_RUN)
		app_log_raw(APP_LOG_NOTICE, "%s: run at %.0f pps for %.3f s on port %u -> port %u, then a "
				"drain of %.3f s; SIGINT or SIGTERM stops",
			prog, b.rate_pps,
			(double)traffic_run_ns(opt.duration_ns, opt.duration_set, b.rate_pps) / 1e9,
			b.tx_ethdev, b.rx_ethdev, (double)opt.drain_ns / 1e9);
	else
		app_log_raw(APP_LOG_NOTICE, "%s: %s on port %u -> port %u, trials of up to %.3f s, each then a "
				"drain of %.3f s; SIGINT or SIGTERM stops",
			prog, opt.mode_name, b.tx_ethdev, b.rx_ethdev,
			(double)opt.duration_ns / 1e9, (double)opt.drain_ns / 1e9);
	b.clk.tsc0 = rte_rdtsc();
	clock_gettime(CLOCK_MONOTONIC_RAW, &b.clk.mono0);
	ret = pthread_create(&driver, NULL, bench_driver, NULL);
	if (ret != 0)
		die(1, "cannot start the driver thread: %s", strerror(ret));
	app_ctl_run(&b.ctl);
	pthread_join(driver, NULL);
	b.clk.tsc1 = rte_rdtsc();
	clock_gettime(CLOCK_MONOTONIC_RAW, &b.clk.mono1);
	app_ctlsrv_stop(prog);
	status = finish();
	rte_eal_cleanup();
	app_argv_free(&eal);
	app_argv_free(&app);
	free(eal_argv);
	return status;
}
