/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-pmd's run: one forwarding context per lcore, the streams' rx queues
 * attached to them, the generators registered (modes with a gen poller), and
 * the control context's jobs: signals (SIGUSR1 prints the figures so far; the
 * other signals stop), the --stats-period line, the link watch and the
 * --control socket.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "applog.h"
#include "pmd.h"

#define LINKS_PERIOD_NS 100000000ull /* the link watch: every 100 ms */

static struct {
	struct lcx_timer links;
	struct pmd_snap last;
	bool live_printed;
} ctl;

static void links_check(bool quiet);

static int
gen_register(struct lcx_context *ctx, void *arg)
{
	struct fwd_lcore *fl = arg;

	for (uint32_t s = fl->first_stream; s < fl->first_stream + fl->nb_streams; s++) {
		struct fwd_stream *fs = &pmd.streams[s];
		int ret;

		fs->gen.ops = pmd.engine->gen;
		fs->gen.arg = fs;
		fs->gen.burst = fs->burst; /* a full burst sent: more to send, do not park */
		fs->gen.ring_size = 0;
		ret = lcx_poller_register(ctx, &fs->gen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
gen_unregister(struct lcx_context *ctx, void *arg)
{
	struct fwd_lcore *fl = arg;

	(void)ctx;
	for (uint32_t s = fl->first_stream; s < fl->first_stream + fl->nb_streams; s++)
		if (pmd.streams[s].gen.ctx != NULL)
			lcx_poller_unregister(&pmd.streams[s].gen);
	return 0;
}

void
pmd_start(void)
{
	for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
		struct fwd_lcore *fl = &pmd.lcores[l];
		struct lcx_context_conf conf = {
			.name = fl->name,
			.throttle_ns = pmd.throttle_us * 1000,
			.launch = LCX_LAUNCH_LCORE,
			.lcore_id = fl->lcore_id,
			.socket_id = -1,
			.idle_park_max_ns = pmd.idle_park_us * 1000,
		};
		int ret = lcx_context_acquire(&conf, &fl->ctx);

		if (ret < 0)
			pmd_die(PMD_EXIT_ERROR, "lcore %u: cannot start a context: %s", fl->lcore_id,
			    strerror(-ret));
	}
	pmd.cur_throttle_us = pmd.throttle_us;
	links_check(true);
	pmd_snapshot(&pmd.start);

	if (pmd.tx_first) {
		for (uint32_t s = 0; s < pmd.nb_streams; s++) {
			struct fwd_stream *fs = &pmd.streams[s];
			struct rte_mbuf *pkts[PMD_BURST_MAX];
			unsigned int n = pmd_pkt_build(fs, pkts, fs->burst);
			fwd_stream_send(fs, pkts, (uint16_t)n);
		}
	}
	for (uint32_t s = 0; s < pmd.nb_streams; s++) {
		struct fwd_stream *fs = &pmd.streams[s];
		int ret = lcx_port_rxq_attach(fs->rx_port, fs->rx_queue, fs->fl->ctx,
					      pmd.engine->rx, fs);
		/* The sender's context: a link restart quiesces the queue there (port.h). */
		int tret = lcx_port_txq_attach(fs->tx_port, fs->tx_queue, fs->fl->ctx);

		if (tret < 0 && tret != -EBUSY)
			ret = tret;
		if (ret < 0)
			pmd_die(PMD_EXIT_ERROR, "%s: cannot attach queue %u to lcore %u: %s",
			    pmd_port_label(fs->rx_port_id), fs->rx_queue, fs->fl->lcore_id,
			    strerror(-ret));
	}
	if (pmd.engine->gen != NULL) {
		pmd_pacers_init();
		for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
			int ret = lcx_context_enter(pmd.lcores[l].ctx, gen_register,
						    &pmd.lcores[l]);

			if (ret < 0)
				pmd_die(PMD_EXIT_ERROR, "lcore %u: cannot register the generator: %s",
				    pmd.lcores[l].lcore_id, strerror(-ret));
		}
	}
	pmd.started = true;
}

void
pmd_stop(void)
{
	for (uint32_t s = 0; s < pmd.nb_streams; s++) {
		lcx_port_rxq_detach(pmd.streams[s].rx_port, pmd.streams[s].rx_queue);
		lcx_port_txq_detach(pmd.streams[s].tx_port, pmd.streams[s].tx_queue);
	}
	if (pmd.engine->gen != NULL)
		for (unsigned int l = 0; l < pmd.nb_lcores; l++)
			lcx_context_enter(pmd.lcores[l].ctx, gen_unregister, &pmd.lcores[l]);
}

int
pmd_set_throttle(uint64_t throttle_us)
{
	if (throttle_us > LCX_THROTTLE_MAX_NS / 1000)
		return -EINVAL;
	for (unsigned int l = 0; l < pmd.nb_lcores; l++) {
		int ret = lcx_context_set_throttle(pmd.lcores[l].ctx, throttle_us * 1000);

		if (ret < 0)
			return ret;
	}
	pmd.cur_throttle_us = throttle_us;
	return 0;
}

/* Read every port's link; say when it changes. Not a fast-path job: the control context's. */
static void
links_check(bool quiet)
{
	for (uint16_t i = 0; i < pmd.nb_ports; i++) {
		struct pmd_port *pp = &pmd.ports[i];
		/* Counts link losses; restarts a memif client whose link is down (port.h). */
		bool up = lcx_port_link_check(pp->port) == 1;

		if (pp->link_known && up == pp->link_up)
			continue;
		if (!quiet || !up)
			app_log_raw(APP_LOG_NOTICE,
			            "%s: port %u (%s): link %s", pmd_prog, pp->ethdev_id, pp->name,
				up ? "up" : "down");
		pp->link_known = true;
		__atomic_store_n(&pp->link_up, up, __ATOMIC_RELAXED);
	}
}

static void
links_fired(struct lcx_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	links_check(false);
}

/* SIGUSR1: the final table of the run so far, now, on stdout. */
static void
print_now(void)
{
	struct pmd_snap now;

	pmd_snapshot(&now);
	pmd_live_end();
	ctl.live_printed = false;
	pmd_print_final(pmd_table_out(), &pmd.start, &now);
	fflush(pmd_table_out());
}

/*
 * SIGUSR1 prints the figures so far and goes on; SIGINT, SIGTERM, SIGQUIT and
 * SIGHUP stop with the final figures, the summary and the control socket
 * removed (SIGHUP too: lcx-pmd has no file to reopen, and a closed terminal is
 * a stop).
 */
static bool
on_signal(struct app_ctl *c, int signo)
{
	if (signo != SIGUSR1)
		return false;
	if (!c->stopping)
		print_now();
	return true;
}

static void
on_stats(struct app_ctl *c)
{
	struct pmd_snap now;

	(void)c;
	pmd_snapshot(&now);
	if (pmd.stats_json)
		pmd_print_live_json(stdout, &ctl.last, &now);
	else
		pmd_print_live(stdout, &ctl.last, &now, pmd.tty);
	ctl.last = now;
	ctl.live_printed = true;
}

/* On the control context, after its signals and timers: the link watch, --control. */
static int
ctl_setup(struct app_ctl *c, struct lcx_context *ctx)
{
	int ret;

	(void)c;
	ctl.last = pmd.start;
	lcx_timer_init(&ctl.links, links_fired, NULL);
	ret = lcx_timer_start(ctx, &ctl.links, LINKS_PERIOD_NS, LINKS_PERIOD_NS, 0);
	if (ret < 0)
		return ret;
	if (pmd.metrics != NULL && (ret = pmd_metrics_start(ctx)) < 0)
		return ret;
	if (pmd.control_path != NULL)
		return pmd_control_start(ctx, pmd.control_path, pmd_set_throttle);
	return 0;
}

void
pmd_ctl_create(void)
{
	const struct app_ctl_conf conf = {
		.prog = pmd_prog,
		.name = "ctl",
		.duration_ns = pmd.duration_ns,
		.stats_ns = pmd.stats_ns,
		.stats_flags = LCX_TIMER_AT_LEAST,
		.on_signal = on_signal,
		.on_stats = on_stats,
		.setup = ctl_setup,
	};
	int ret = app_ctl_create(&pmd.ctl, &conf);

	if (ret < 0)
		pmd_die(PMD_EXIT_ERROR, "cannot create the control context: %s", strerror(-ret));
}

void
pmd_ctl_start(void)
{
	int ret = app_ctl_start(&pmd.ctl);

	if (ret < 0)
		pmd_die(PMD_EXIT_ERROR, "control context: %s", strerror(-ret));
}

/* The live line, if one was printed on a terminal, ends before the final table. */
void
pmd_live_end(void)
{
	if (ctl.live_printed && pmd.tty && !pmd.stats_json)
		fputc('\n', stdout);
}

FILE *
pmd_table_out(void)
{
	return pmd.stats_json ? stderr : stdout;
}
