/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-pmd: a testpmd-style forwarder on lcx contexts.
 *
 *   lcx-pmd [EAL options] -- [options]
 *
 * Order: the program's options are checked (before the EAL starts, so a
 * usage error costs nothing) and --json with them; the EAL defaults this
 * machine needs are added (hugepages, PCI); rte_eal_init(), lcx_eal_attach();
 * ports (an embedded net_null pair when there is none), pools, streams; the
 * forwarding contexts, then the main lcore's control context, which runs
 * until a signal, --duration, or a control "stop". At the end: the final
 * figures, the contexts released, the ports closed, every mbuf pool counted
 * (mbuf_pools in --json), then --json is renamed into place.
 *
 * Where things are: parameters.c (options), config.c (ports, pools,
 * streams), fwd.c (the run and the control context's jobs), control.c
 * (--control requests), stats.c (figures, --json), one file per mode.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <lcx/lcx.h>

#include "applog.h"
#include "appmetrics.h"
#include "config.h"
#include "ctlsrv.h"
#include "ealargs.h"
#include "ealdev.h"
#include "pmd.h"

struct pmd pmd;
/* The command line with --config expanded: the options point into it until exit. */
static struct app_argv cfg;

/* The command line: --help and --version anywhere, options after "--", EAL defaults. */
static void
command_line(int argc, char **argv, struct app_argv *eal, struct app_argv *app,
	     struct app_devs *devs)
{
	const struct app_eal_conf conf = { .prog = pmd_prog, .pci = APP_PCI_AUTO };
	bool own_prefix;
	int ret;

	if (argc > 0 && argv[0] != NULL) {
		const char *slash = strrchr(argv[0], '/');

		pmd_prog = slash != NULL ? slash + 1 : argv[0];
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			pmd_usage(stdout);
			exit(PMD_EXIT_OK);
		}
	if (app_wants_version(argc, argv)) {
		app_print_version(stdout, pmd_prog);
		exit(PMD_EXIT_OK);
	}
	const struct app_config_conf cc = {
		.prog = pmd_prog, .opts = pmd_long_opts,
		.repeatable = pmd_repeatable_opts, .is_app_option = pmd_is_app_option,
	};
	int print = app_config_expand(argc, argv, &cc, &cfg);

	if (print < 0)
		exit(PMD_EXIT_USAGE);
	if (app_args_split(cfg.n, cfg.v, pmd_is_app_option, eal, app) < 0)
		pmd_die(PMD_EXIT_ERROR, "out of memory");
	pmd_parse_args(app->n, app->v);
	/* --print-config: the options checked, printed in the file's grammar; no run. */
	if (print == 1)
		exit(app_config_print(&cc, &cfg, stdout) < 0 ? PMD_EXIT_ERROR : PMD_EXIT_OK);
	pmd_json_open();
	if (pmd.pidfile_path != NULL &&
	    app_pidfile_create(&pmd.pidfile, pmd.pidfile_path, pmd_prog) < 0)
		exit(PMD_EXIT_ERROR);
	app_devs_parse(eal->n, eal->v, devs);
	ret = app_eal_defaults(eal, devs, &conf, &own_prefix);
	if (ret == -EBUSY)
		exit(PMD_EXIT_ERROR);
	if (ret < 0)
		pmd_die(PMD_EXIT_ERROR, "out of memory");
}

static void
eal_start(struct app_argv *eal, char ***eal_argv)
{
	/* rte_eal_init() rearranges the vector it is given: give it a copy. */
	*eal_argv = calloc((size_t)eal->n + 1, sizeof(**eal_argv));
	if (*eal_argv == NULL)
		pmd_die(PMD_EXIT_ERROR, "out of memory");
	memcpy(*eal_argv, eal->v, (size_t)eal->n * sizeof(**eal_argv));
	/* Signals go to the control context's signalfd, in every thread the EAL makes. */
	app_ctl_signals_block();
	if (rte_eal_init(eal->n, *eal_argv) < 0)
		pmd_die(PMD_EXIT_ERROR, "cannot initialise the EAL: %s",
			rte_errno != 0 ? rte_strerror(rte_errno) : "see the EAL's messages above");
	/* Messages from here on go through rte_log as lcx.pmd (before: stderr). */
	if (app_log_init(pmd_prog, "lcx.pmd") < 0)
		app_log(APP_LOG_WARNING, "log type lcx.pmd not registered: messages on stderr");
	lcx_eal_attach();
	pmd.main_lcore = rte_get_main_lcore();
	pmd.tty = isatty(STDOUT_FILENO);
}

static void
say_started(void)
{
	app_log_raw(APP_LOG_NOTICE,
	            "%s: %s forwarding on %u port%s, %u stream%s, %u forwarding lcore%s, "
			"burst %u, throttle %llu us, %s mbuf pool%s",
		pmd_prog, pmd.engine->name, pmd.nb_ports, pmd.nb_ports == 1 ? "" : "s",
		pmd.nb_streams, pmd.nb_streams == 1 ? "" : "s", pmd.nb_lcores,
		pmd.nb_lcores == 1 ? "" : "s", pmd.burst, (unsigned long long)pmd.throttle_us,
		pmd_pool_layout(), pmd.duration_ns > 0 ? "" : "; SIGINT or SIGTERM stops");
}

/* Stopped: quiesce, count, release; the exit status. */
static int
finish(void)
{
	struct pmd_snap end;
	unsigned long long leaked;
	int status;

	pmd_stop();
	/* The ports stopped before the figures: frames left in their rx rings are
	 * freed and counted (rx_missed) in the summary, not after it. */
	pmd_ports_stop();
	pmd_snapshot(&end);
	pmd_live_end();
	pmd_print_final(pmd_table_out(), &pmd.start, &end);
	fflush(pmd_table_out());

	lcx_context_stop(pmd.ctl.ctx);
	app_ctlsrv_stop(pmd_prog);
	app_metrics_stop(); /* before the ports and the control context go */
	pmd_telemetry_close();
	for (unsigned int l = 0; l < pmd.nb_lcores; l++)
		lcx_context_release(pmd.lcores[l].ctx);
	app_ctl_release(&pmd.ctl);
	/* The ports closed (their rx rings give their mbufs back), every pool counted. */
	pmd_ports_close();
	leaked = app_pools_warn(pmd_prog);
	status = pmd_json_write(&end) == 0 && leaked == 0 ? PMD_EXIT_OK : PMD_EXIT_ERROR;
	pmd_config_free();
	app_pidfile_remove(&pmd.pidfile);
	return status;
}

int
main(int argc, char **argv)
{
	struct app_argv eal = { 0 }, app = { 0 };
	struct app_devs devs;
	char **eal_argv = NULL;
	int status;

	command_line(argc, argv, &eal, &app, &devs);
	eal_start(&eal, &eal_argv);
	pmd_config(&devs);
	pmd_ctl_create();
	pmd_start();
	/* Root is needed no more: the EAL and the ports are up, --json is open. */
	if (pmd.user.given && (pmd_json_chown(pmd.user.uid, pmd.user.gid) < 0 ||
			       app_pidfile_chown(&pmd.pidfile, pmd.user.uid, pmd.user.gid,
						 pmd_prog) < 0 ||
			       app_user_drop(&pmd.user, pmd_prog) < 0))
		pmd_die(PMD_EXIT_ERROR, "--user: cannot drop to %s", pmd.user.name);
	pmd_ctl_start();
	if (pmd_telemetry_open() < 0)
		app_log_raw(APP_LOG_WARNING,
		            "%s: warning: telemetry command /lcx/pmd not registered", pmd_prog);
	say_started();
	app_ctl_run(&pmd.ctl);
	status = finish();

	rte_eal_cleanup();
	app_argv_free(&eal);
	app_argv_free(&app);
	app_argv_free(&cfg);
	free(eal_argv);
	return status;
}
