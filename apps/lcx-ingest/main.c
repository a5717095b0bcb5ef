/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ingest: a UDP ingest appliance on lcx contexts that accounts for every
 * packet. Usage: lcx-ingest [EAL options] -- [options]; see --help.
 *
 * Set-up order: options, EAL (with --no-huge and an embedded source added
 * when the machine has no hugepages and no input was given), rx contexts,
 * writer context, control context, telemetry, ports. Shutdown order: ports
 * stop, rx contexts stop, the writer drains and closes its files, the summary,
 * the ports close, the pools are counted, --json.
 *
 * Where things are: options.c (options), setup.c (set-up and tear-down), rx.c
 * (the receive path and the queries of its counters and flows), summary.c
 * (stats line, final table, --json), ctl.c (control requests), telemetry.c,
 * sink.c (the writer); the pure parts (parse, engine, flow, seq, ...) have no EAL.
 */
#include <stdio.h>
#include <string.h>

#include "applog.h"
#include "app.h"
#include "ealargs.h"
#include "outfile.h"

static struct ingest_app app;
static struct app_out json_out = { .dirfd = -1 };

/* The command line: --help and --version, the options after "--", --json checked. */
static int
command_line(int argc, char **argv, struct app_argv *eal, struct app_argv *opts)
{
	char err[512];

	/* "lcx-ingest --help" and "--version" without "--" work too. */
	if (app_wants_version(argc, argv)) {
		app_print_version(stdout, "lcx-ingest");
		return 0;
	}
	if (app_args_split(argc, argv, NULL, eal, opts) < 0)
		return 1;
	if (opts->n == 1 && app_has_arg(eal->n, eal->v, "--help")) {
		ingest_usage(stdout, "lcx-ingest");
		return 0;
	}
	if (ingest_opts_parse(opts->n, opts->v, &app.o) < 0)
		return 2;
	/* --json: checked now, before anything runs; written whole at the end. */
	if (app.o.json != NULL && app_out_open(&json_out, app.o.json, err, sizeof(err)) < 0) {
		fprintf(stderr, "lcx-ingest: --json: cannot write %s\n", err);
		return 1;
	}
	if (app.o.pidfile != NULL && app_pidfile_create(&app.pidfile, app.o.pidfile,
							"lcx-ingest") < 0) {
		app_out_abort(&json_out);
		return 1;
	}
	return -1;
}

/* The figures, once the run is over: the table, the balance, --json. */
static int
summary(double secs)
{
	static struct ingest_port_fig pfig[INGEST_PORTS_MAX];
	struct ingest_totals t;
	int status = 0;

	ingest_app_totals(&app, &t);
	if (!app.o.quiet)
		ingest_summary_print(&app, &t, secs);
	if (!ingest_totals_balanced(&t)) {
		app_log_raw(APP_LOG_ERR, "lcx-ingest: accounting does not balance");
		status = 1;
	}
	if (app.ctl.stop_signo > 0)
		app_log_raw(APP_LOG_NOTICE,
		            "lcx-ingest: stopped by %s", strsignal(app.ctl.stop_signo));
	ingest_port_figs(&app, pfig);
	ingest_ports_close(&app);
	if (app_pools_warn("lcx-ingest") != 0)
		status = 1;
	if (app.o.json != NULL && ingest_summary_json(&app, &json_out, &t, pfig, secs) < 0)
		status = 1;
	return status;
}

/* From the rx contexts to the end of the control loop. @return 0 or 1. */
static int
run(void)
{
	int ret;

	if (ingest_rx_start(&app) < 0 || ingest_sink_start(&app) < 0 ||
	    ingest_ctl_create(&app) < 0)
		return 1;
	ret = ingest_telemetry_register(&app);
	if (ret < 0)
		app_log_raw(APP_LOG_WARNING,
		            "lcx-ingest: warning: telemetry commands not registered: %s",
			strerror(-ret));
	if (ingest_ports_open(&app) < 0)
		return 1;
	/* Root is needed no more: the EAL, the ports and the first files are made. */
	if (app.o.user.given && app.o.json != NULL &&
	    app_out_chown(&json_out, app.o.user.uid, app.o.user.gid) < 0) {
		app_log_raw(APP_LOG_ERR, "lcx-ingest: --json: cannot give the file to --user");
		return 1;
	}
	if (app.o.user.given && app_pidfile_chown(&app.pidfile, app.o.user.uid, app.o.user.gid,
						  "lcx-ingest") < 0)
		return 1;
	if (ingest_privs_drop(&app) < 0)
		return 1;
	ingest_stats_start(&app);
	ret = app_ctl_start(&app.ctl);
	if (ret < 0) {
		app_log_raw(APP_LOG_ERR, "lcx-ingest: control set-up failed: %s", strerror(-ret));
		return 1;
	}
	app_ctl_run(&app.ctl);
	return 0;
}

int
main(int argc, char **argv)
{
	struct app_argv eal = { 0 }, opts = { 0 };
	int status = command_line(argc, argv, &eal, &opts);
	double secs;

	if (status >= 0)
		goto out_args;
	status = ingest_eal_init(&app, &eal);
	if (status > 0) {
		app_pidfile_remove(&app.pidfile);
		goto out_args;
	}
	status = status == 0 ? run() : 1;
	secs = ingest_stop(&app);
	if (status == 0 && app.start_ns)
		status = summary(secs);
	else
		ingest_ports_close(&app);
	app_out_abort(&json_out);
	ingest_release(&app);
out_args:
	app_argv_free(&eal);
	app_argv_free(&opts);
	return status;
}
