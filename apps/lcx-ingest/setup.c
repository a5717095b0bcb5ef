/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ingest's set-up and tear-down, in the order main() calls them: the
 * EAL (with --no-huge and an embedded source added when the machine has no
 * hugepages and no input was given), the rx contexts, the writer context
 * (the sink), the control context (signals, the stats line, --duration, the
 * control socket), the ports; at the end the ports stop, the rx contexts
 * stop, the writer drains and closes its files, and the rest is released.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "applog.h"
#include "app.h"
#include "appmetrics.h"
#include "ctlsrv.h"
#include "ealargs.h"
#include "gen.h"
#include "link.h"

#define DEFAULT_FLOWS 1000u
#define DEFAULT_ROUNDS 16

/* The link type of each net_pcap rx file (the rest is Ethernet). */
static struct ingest_vdev_links vdev_links;

/* The embedded input: a capture made here, in memory (memfd). */
static int
make_default_pcap(char *path, size_t size)
{
	struct ingest_corpus_counts c;
	int fd = memfd_create("lcx-ingest-default.pcap", 0);
	FILE *f;

	if (fd < 0)
		return -errno;
	f = fdopen(dup(fd), "wb");
	if (f == NULL) {
		close(fd);
		return -errno;
	}
	if (ingest_pcap_header(f) < 0 || ingest_gen_flows(f, DEFAULT_FLOWS, DEFAULT_ROUNDS, 5000,
							    64) < 0 ||
	    ingest_gen_corpus(f, &c) < 0 || fclose(f) != 0) {
		close(fd);
		return -EIO;
	}
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return 0;
}

/* net_pcap replays a file's frames whatever its link type: read it here, refuse
 * what the parser does not decode. @return 0 or 2 (usage). */
static int
check_links(const struct ingest_app *a, struct app_argv *eal)
{
	char err[512];
	unsigned int v, q;

	if (ingest_vdev_links_scan(eal->n, eal->v, &vdev_links, err, sizeof(err)) < 0) {
		fprintf(stderr, "lcx-ingest: %s\n", err);
		return 2;
	}
	for (v = 0; v < vdev_links.nb; v++)
		for (q = 0; q < vdev_links.vdev[v].nb; q++) {
			enum ingest_link l = vdev_links.vdev[v].link[q];

			if (l == INGEST_LINK_ETH)
				continue;
			if (a->o.capture || a->o.payload_dir) {
				fprintf(stderr, "lcx-ingest: %s queue %u carries %s frames, not "
					"Ethernet: --capture and --payload-dir take Ethernet input "
					"only\n", vdev_links.vdev[v].name, q, ingest_link_name(l));
				return 2;
			}
			fprintf(stderr, "lcx-ingest: %s queue %u: link type %s\n",
				vdev_links.vdev[v].name, q, ingest_link_name(l));
		}
	return 0;
}

int
ingest_eal_init(struct ingest_app *a, struct app_argv *eal)
{
	struct app_devs devs;
	bool socket_in = a->o.nb_listen > 0, no_input, no_huge;
	struct app_eal_conf conf = { .prog = "lcx-ingest", .pci = APP_PCI_KEEP };
	char pcap_path[64], vdev[160];
	int ret;

	app_devs_parse(eal->n, eal->v, &devs);
	no_input = !socket_in && a->o.nb_port == 0 && !app_devs_given(&devs);
	no_huge = !app_has_arg(eal->n, eal->v, "--no-huge") && !app_hugepages_available();
	/* No PCI device is needed to read sockets or the embedded capture. */
	if (socket_in || no_input)
		conf.pci = APP_PCI_UNUSED;
	/* A run with defaults of ours gets a file prefix of its own, removed at the end. */
	conf.own_prefix = socket_in || no_input || no_huge;
	if (app_eal_defaults(eal, &devs, &conf, &a->own_prefix) < 0)
		return 1;
	if (no_input) {
		ret = make_default_pcap(pcap_path, sizeof(pcap_path));
		if (ret < 0) {
			fprintf(stderr, "lcx-ingest: cannot build the embedded capture: %s\n",
				strerror(-ret));
			return 1;
		}
		snprintf(vdev, sizeof(vdev), "--vdev=net_pcap_ingest0,rx_pcap=%s,infinite_rx=1",
			 pcap_path);
		if (app_argv_add(eal, vdev) < 0)
			return 1;
		fprintf(stderr,
			"lcx-ingest: no input given: replaying an embedded generated capture "
			"(%u UDP flows with a 4-byte sequence number at payload offset 0, and a "
			"corpus of malformed frames) in a loop through net_pcap (each pass repeats the "
			"sequence numbers: with --seq they count as duplicates); no NIC needed\n",
			DEFAULT_FLOWS);
	}
	ret = check_links(a, eal);
	if (ret != 0)
		return ret;
	/* Signals go to the control context's signalfd: blocked before the EAL
	 * starts its threads, which inherit the mask. */
	app_ctl_signals_block();
	/* rte_eal_init() rearranges the vector it is given: give it a copy. */
	a->eal_argv = calloc((size_t)eal->n + 1, sizeof(*a->eal_argv));
	if (a->eal_argv == NULL)
		return 1;
	memcpy(a->eal_argv, eal->v, (size_t)eal->n * sizeof(*a->eal_argv));
	if (rte_eal_init(eal->n, a->eal_argv) < 0) {
		fprintf(stderr, "lcx-ingest: EAL initialisation failed: %s\n",
			rte_errno != 0 ? rte_strerror(rte_errno) : "see the EAL's messages above");
		return 1;
	}
	/* Messages from here on go through rte_log as lcx.ingest (before: stderr). */
	if (app_log_init("lcx-ingest", "lcx.ingest") < 0)
		app_log(APP_LOG_WARNING, "log type lcx.ingest not registered: messages on stderr");
	lcx_eal_attach();
	/* A device named with -a/--allow or --vdev that gave no port: no run without it. */
	if (app_devs_check(&devs, "lcx-ingest") > 0) {
		app_log_raw(APP_LOG_ERR,
		            "lcx-ingest: a device named on the EAL command line gave no "
				"port: stopping");
		return -1;
	}
	return 0;
}

/* rx contexts: one per worker lcore, else --rx-threads threads. */
int
ingest_rx_start(struct ingest_app *a)
{
	unsigned int nb_workers = 0, nb, lcore, i;
	int ret;

	RTE_LCORE_FOREACH_WORKER(lcore)
		nb_workers++;
	nb = nb_workers ? nb_workers : a->o.rx_threads;
	if (nb > INGEST_RX_MAX)
		nb = INGEST_RX_MAX;
	/* The flow tables are allocated whole at start: refuse what cannot fit. */
	if (a->o.max_flows > 0) {
		char what[96];

		snprintf(what, sizeof(what), "--max-flows=%u (x %u rx context%s)", a->o.max_flows,
			 nb, nb == 1 ? "" : "s");
		if (app_mem_check("lcx-ingest", what,
				  ingest_flow_table_bytes(a->o.max_flows) * nb) < 0)
			return -ENOMEM;
	}
	lcore = rte_get_main_lcore();
	for (i = 0; i < nb; i++) {
		int id = -1;

		if (nb_workers) {
			lcore = rte_get_next_lcore(lcore, 1, 0);
			id = (int)lcore;
		}
		ret = ingest_rx_create(a, i, id);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
sink_attach(struct lcx_context *ctx, void *arg)
{
	return ingest_sink_attach(arg, ctx);
}

static int
sink_drain(struct lcx_context *ctx, void *arg)
{
	(void)ctx;
	return ingest_sink_drain(arg);
}

int
ingest_sink_start(struct ingest_app *a)
{
	struct ingest_sink_conf sc = {
		.kind = a->o.capture ? INGEST_SINK_PCAPNG : INGEST_SINK_PAYLOAD,
		.path = a->o.capture ? a->o.capture : a->o.payload_dir,
		.rotate_bytes = a->o.rotate_bytes,
		.rotate_ns = a->o.rotate_ns,
		.snaplen = a->o.snaplen,
		.rotate_files = a->o.rotate_files,
		.max_files = a->o.max_files,
		.max_open = a->o.max_open,
		.max_disk = a->o.max_disk,
		.ring_size = a->o.sink_queue,
		.socket_id = (int)rte_socket_id(),
		.with_socket_iface = a->o.nb_listen > 0,
		.owner_uid = a->o.user.given && a->o.user.uid != (uid_t)-1 ?
				     (int64_t)a->o.user.uid : -1,
		.owner_gid = a->o.user.given && a->o.user.gid != (gid_t)-1 ?
				     (int64_t)a->o.user.gid : -1,
	};
	struct lcx_context_conf cc = {
		.name = "ingest-sink", .throttle_ns = 1000000, .launch = LCX_LAUNCH_THREAD,
		.cpu = -1, .socket_id = -1,
	};
	int open_err, ret;

	if (!a->o.capture && !a->o.payload_dir)
		return 0;
	ret = ingest_sink_create(&sc, &a->sink, &open_err);
	if (ret < 0) {
		app_log_raw(APP_LOG_ERR, "lcx-ingest: cannot set up the sink on %s: %s", sc.path,
			strerror(-ret));
		return ret;
	}
	if (open_err)
		app_log_raw(APP_LOG_WARNING,
			"lcx-ingest: warning: cannot open %s: %s; receiving goes on, frames "
			"for the sink are counted in sink_dropped, the file is retried every "
			"second", sc.path, strerror(open_err));
	ret = lcx_context_acquire(&cc, &a->sink_ctx);
	if (ret == 0)
		ret = lcx_context_enter(a->sink_ctx, sink_attach, a->sink);
	if (ret < 0)
		app_log_raw(APP_LOG_ERR, "lcx-ingest: cannot start the writer: %s", strerror(-ret));
	return ret;
}

/* --- the control context: signals, the stats line, --duration, --control --- */

/*
 * SIGHUP, on the control context: reopen the output files, as log rotation
 * tools expect (logrotate renames the file, then sends SIGHUP): the writer
 * opens the configured name again as a new file (see ingest_sink_request_reopen()).
 */
static void
on_sighup(struct ingest_app *a)
{
	if (a->sink == NULL) {
		app_log_raw(APP_LOG_NOTICE,
		            "lcx-ingest: SIGHUP: no output file to reopen; going on");
		return;
	}
	app_log_raw(APP_LOG_NOTICE, "lcx-ingest: SIGHUP: reopening %s",
		a->o.capture ? a->o.capture : a->o.payload_dir);
	ingest_sink_request_reopen(a->sink);
}

/*
 * SIGINT, SIGTERM, SIGQUIT: stop with the summary (not taken here). SIGHUP:
 * on_sighup(). SIGUSR1: the stats line now. SIGUSR2 and SIGALRM are ignored.
 */
static bool
on_signal(struct app_ctl *c, int signo)
{
	struct ingest_app *a = c->conf.arg;

	if (signo == SIGHUP) {
		on_sighup(a);
		return true;
	}
	if (signo == SIGUSR1) {
		ingest_stats_line(a);
		return true;
	}
	return false;
}

static void
on_stats(struct app_ctl *c)
{
	ingest_stats_line(c->conf.arg);
}

static int
ctl_setup(struct app_ctl *c, struct lcx_context *ctx)
{
	struct ingest_app *a = c->conf.arg;

	if (a->o.metrics != NULL) {
		int ret = app_metrics_start("lcx-ingest", ctx, a->o.metrics, a->ports, a->nb_ports,
					    ingest_metrics_collect, a);

		if (ret < 0)
			return ret;
	}
	if (a->o.control != NULL)
		return ingest_ctl_start(a, a->o.control);
	return 0;
}

int
ingest_ctl_create(struct ingest_app *a)
{
	const struct app_ctl_conf conf = {
		.prog = "lcx-ingest",
		.name = "ingest-ctl",
		.duration_ns = a->o.duration_ns,
		.stats_ns = a->o.quiet ? 0 : a->o.stats_ns,
		.on_signal = on_signal,
		.on_stats = on_stats,
		.setup = ctl_setup,
		.arg = a,
	};
	int ret = app_ctl_create(&a->ctl, &conf);

	if (ret < 0)
		app_log_raw(APP_LOG_ERR, "lcx-ingest: cannot make the control context: %s",
			strerror(-ret));
	return ret;
}

/* --- ports --- */

int
ingest_ports_open(struct ingest_app *a)
{
	struct ingest_opts *o = &a->o;
	struct rte_mempool **poolp = &a->pool;
	uint16_t nbq = o->rxq ? o->rxq : (uint16_t)a->nb_rx;
	const char *names[INGEST_PORTS_MAX];
	char ethnames[INGEST_PORTS_MAX][RTE_ETH_NAME_MAX_LEN], ethname[RTE_ETH_NAME_MAX_LEN];
	unsigned int nb = 0, i, q, next_ctx = 0;
	bool socket = o->nb_listen > 0;
	uint16_t pid;
	int ret;

	if (socket) {
		for (i = 0; i < o->nb_listen; i++)
			names[nb++] = o->listen[i];
		if (nbq > a->nb_rx)
			nbq = (uint16_t)a->nb_rx;
	} else if (o->nb_port) {
		for (i = 0; i < o->nb_port; i++)
			names[nb++] = o->port[i];
	} else {
		RTE_ETH_FOREACH_DEV(pid) {
			if (nb == INGEST_PORTS_MAX)
				break;
			rte_eth_dev_get_name_by_port(pid, ethnames[nb]);
			names[nb] = ethnames[nb];
			nb++;
		}
	}
	if (nb == 0) {
		app_log_raw(APP_LOG_ERR,
		            "lcx-ingest: no input: give --listen, --port, or a DPDK device");
		return -ENODEV;
	}
	a->binds = calloc((size_t)nb * nbq, sizeof(*a->binds));
	if (a->binds == NULL)
		return -ENOMEM;
	{
		/* Pool: twice the rx rings, the writer's queue, and room for a
		 * net_pcap replay that loads its whole file into mbufs. */
		uint64_t n = (uint64_t)nb * nbq * o->rxd * 2 + 32768;

		if (o->capture || o->payload_dir)
			n += o->sink_queue ? o->sink_queue : 16384;
		if (n > 1u << 20)
			n = 1u << 20;
		*poolp = lcx_pktmbuf_pool_create("ingest_rx", (unsigned int)n, 256, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id(),
						 LCX_POOL_AUTO);
		if (*poolp == NULL) {
			app_log_raw(APP_LOG_ERR,
			            "lcx-ingest: cannot make a pool of %u mbufs: %s (more "
					"memory: EAL -m)", (unsigned int)n, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	for (i = 0; i < nb; i++) {
		struct lcx_port_conf pc = {
			.driver = socket ? "socket" : "dpdk",
			.devargs = names[i],
			.nb_rxq = nbq,
			.nb_txq = 1,
			.nb_rxd = o->rxd,
			.burst = o->burst,
			.pool = *poolp,
			.promiscuous = true,
			.rcvbuf = o->rcvbuf,
		};
		struct lcx_port *p;
		int eid;

		ret = lcx_port_create(&pc, &p);
		if (ret < 0) {
			app_log_raw(APP_LOG_ERR,
			            "lcx-ingest: cannot open %s port %s: %s", pc.driver,
				names[i], strerror(-ret));
			return ret;
		}
		a->ports[a->nb_ports++] = p;
		eid = lcx_port_ethdev_id(p);
		for (q = 0; q < lcx_port_nb_rxq(p); q++) {
			struct ingest_rxq_bind *b = &a->binds[a->nb_binds++];
			struct ingest_rx *rx = a->rx[next_ctx++ % a->nb_rx];

			b->rx = rx;
			b->iface = eid >= 0 ? (uint16_t)eid : INGEST_IFACE_SOCKET;
			b->link = INGEST_LINK_ETH;
			if (eid >= 0 && rte_eth_dev_get_name_by_port((uint16_t)eid, ethname) == 0)
				b->link = ingest_vdev_link_of(&vdev_links, ethname, q);
			ret = lcx_port_rxq_attach(p, (uint16_t)q, rx->ctx, ingest_rx_handler, b);
			if (ret < 0) {
				app_log_raw(APP_LOG_ERR,
				            "lcx-ingest: cannot attach %s queue %u: %s",
					names[i], q, strerror(-ret));
				return ret;
			}
			rx->nb_queues++;
		}
		/* The run, and duration_s, start when the first port does. */
		if (a->start_ns == 0)
			a->start_ns = lcx_tsc_ns();
		ret = lcx_port_start(p);
		if (ret < 0) {
			app_log_raw(APP_LOG_ERR, "lcx-ingest: cannot start %s: %s", names[i],
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int
ingest_privs_drop(struct ingest_app *a)
{
	return app_user_drop(&a->o.user, "lcx-ingest");
}

/*
 * The end of a run: the control socket closed, the ports stopped, the rx
 * contexts stopped so that nothing is queued behind the drain, the writer
 * drained. @return the run's duration: from the first port start to the last
 * port stop, the time frames came (0 if no port started).
 */
double
ingest_stop(struct ingest_app *a)
{
	double secs;
	unsigned int i;

	ingest_stats_end(a);
	app_metrics_stop(); /* the control loop is over: before the ports go */
	if (a->o.control != NULL)
		app_ctlsrv_stop("lcx-ingest");
	for (i = 0; i < a->nb_ports; i++)
		lcx_port_stop(a->ports[i]);
	secs = a->start_ns ? (double)(lcx_tsc_ns() - a->start_ns) / 1e9 : 0;
	for (i = 0; i < a->nb_ports; i++)
		for (unsigned int q = 0; q < lcx_port_nb_rxq(a->ports[i]); q++)
			lcx_port_rxq_detach(a->ports[i], (uint16_t)q);
	ingest_rx_stop(a);
	if (a->sink != NULL) {
		if (a->sink_ctx != NULL) {
			lcx_context_enter(a->sink_ctx, sink_drain, a->sink);
			lcx_context_stop(a->sink_ctx);
		} else {
			ingest_sink_drain(a->sink);
		}
	}
	return secs;
}

/* The ports destroyed and every ethdev closed (net_pcap's replay ring and the rx
 * rings give their mbufs back): then every pool must be whole. */
void
ingest_ports_close(struct ingest_app *a)
{
	uint16_t pid;

	/* nb_ports stays: the summary's port figures (kept before) are by index. */
	for (unsigned int i = 0; i < a->nb_ports; i++) {
		lcx_port_destroy(a->ports[i]);
		a->ports[i] = NULL;
	}
	RTE_ETH_FOREACH_DEV(pid)
		(void)rte_eth_dev_close(pid);
}

void
ingest_release(struct ingest_app *a)
{
	char rundir[PATH_MAX];

	ingest_rx_destroy(a);
	ingest_sink_destroy(a->sink);
	lcx_context_release(a->sink_ctx);
	app_ctl_release(&a->ctl);
	rte_mempool_free(a->pool);
	free(a->binds);
	app_eal_rundir_note(rundir, sizeof(rundir), a->own_prefix, "lcx-ingest");
	rte_eal_cleanup();
	/* The per-process runtime directory this program named: leave none behind. */
	app_eal_rundir_remove(rundir);
	free(a->eal_argv);
	app_pidfile_remove(&a->pidfile);
}
