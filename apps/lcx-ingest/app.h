/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_APP_H
#define INGEST_APP_H

/**
 * @file
 * lcx-ingest's run-time state and its modules. Who calls whom (one way):
 * main.c -> options.c, setup.c, summary.c -> rx.c (the receive path; the
 * queries of its counters and flows) and ctl.c, telemetry.c (which call rx.c's
 * queries and apps/common); nothing calls back into main.c or setup.c.
 *
 * Threads: one rx context per worker lcore (or one pinned thread when EAL
 * has no worker), each owning an engine; one writer context (the sink); the
 * control context, driven by the main thread, which serves the control
 * socket, the stats line, the duration timer and the signals.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <lcx/port.h>

#include "acct.h"
#include "ctlctx.h"
#include "ealargs.h"
#include "hard.h"
#include "outfile.h"
#include "engine.h"
#include "parse.h"
#include "seq.h"
#include "sink.h"

struct lcx_context;
struct lcx_port;
struct rte_mbuf;
struct rte_mempool;

/*
 * The version of the JSON lcx-ingest writes ("schema": "lcx-ingest" for the
 * --json summary, "lcx-ingest.stats" for --stats-json lines): raised when a
 * field changes its meaning, type or unit or goes away (new fields do not
 * raise it). doc/ingest.md, "JSON summary, field by field".
 */
#define INGEST_SCHEMA_VERSION 1

#define INGEST_RX_MAX 64
#define INGEST_PORTS_MAX 32
#define INGEST_LISTEN_MAX 32
/** The least --rotate-size, bytes: a file per few frames is no capture. */
#define INGEST_ROTATE_BYTES_MIN 65536u
/** The least --rotate-time, ns: 1 s (a shorter one makes files while idle). */
#define INGEST_ROTATE_NS_MIN 1000000000ull

/** One rx context. */
struct ingest_rx {
	struct ingest_engine eng;   /**< parser, flows, counters */
	struct lcx_context *ctx;    /**< the context */
	struct ingest_app *app;     /**< back pointer */
	unsigned int id;            /**< index */
	unsigned int nb_queues;     /**< queues attached */
	int engine_ret;             /**< ingest_engine_init() result (on the context) */
};

/** What an rx queue's handler gets. */
struct ingest_rxq_bind {
	struct ingest_rx *rx; /**< its context's state */
	uint16_t iface;       /**< ethdev port id or INGEST_IFACE_SOCKET */
	enum ingest_link link; /**< the link type of the queue's frames */
};

/** Options (after --). */
struct ingest_opts {
	const char *listen[INGEST_LISTEN_MAX]; /**< --listen specs */
	unsigned int nb_listen;
	const char *port[INGEST_PORTS_MAX];    /**< --port device names */
	unsigned int nb_port;
	uint16_t rxq;          /**< --rxq: rx queues per DPDK port; 0: one per context */
	uint16_t rxd;          /**< --rxd */
	uint16_t burst;        /**< --burst */
	uint32_t rcvbuf;       /**< --rcvbuf of the --listen sockets; 0: the port's default */
	unsigned int rx_threads; /**< --rx-threads when EAL has no worker lcore */
	uint64_t throttle_ns;  /**< --throttle of the rx contexts */
	bool ports_given;      /**< --ports */
	struct ingest_portset ports; /**< the filter */
	uint32_t max_flows;    /**< --max-flows; 0: no flow table */
	bool seq_given;
	struct ingest_seq_conf seq; /**< --seq */
	const char *capture;   /**< --capture */
	const char *payload_dir; /**< --payload-dir */
	uint64_t rotate_bytes; /**< --rotate-size */
	uint64_t rotate_ns;    /**< --rotate-time */
	uint32_t snaplen;      /**< --snaplen */
	uint32_t sink_queue;   /**< --sink-queue */
	uint32_t rotate_files; /**< --rotate-files; 0: keep every file */
	uint32_t max_files;    /**< --max-files; 0: the sink's default */
	uint32_t max_open;     /**< --max-open; 0: the sink's default */
	uint64_t max_disk;     /**< --max-disk; 0: no bound */
	const char *control;   /**< --control */
	uint64_t stats_ns;     /**< --stats-period; 0: none */
	const char *json;      /**< --json */
	uint64_t duration_ns;  /**< --duration; 0: until a signal */
	unsigned int top;      /**< --top: flows in the JSON summary */
	bool quiet;            /**< --quiet: no stats line, no final table */
	struct app_user user;  /**< --user, --group: dropped to once the ports are up */
	const char *pidfile;   /**< --pidfile */
	const char *metrics;   /**< --metrics=ADDR:PORT; NULL: none */
	bool stats_json;       /**< --stats-json: JSON lines instead of the stats line */
};

/** The whole program. */
struct ingest_app {
	struct ingest_opts o;
	struct ingest_rx *rx[INGEST_RX_MAX];
	unsigned int nb_rx;
	struct lcx_port *ports[INGEST_PORTS_MAX];
	unsigned int nb_ports;
	struct ingest_rxq_bind *binds; /**< one per attached queue */
	unsigned int nb_binds;
	struct ingest_sink *sink;
	struct lcx_context *sink_ctx;
	struct app_ctl ctl;         /**< the control context; ctl.stop_reason: why the run ended */
	struct rte_mempool *pool;   /**< the rx mbufs */
	uint64_t start_ns;          /**< lcx_tsc_ns() at start */
	char **eal_argv;            /**< what rte_eal_init() got */
	bool own_prefix;            /**< --file-prefix=lcx-ingest-<pid> added */
	struct app_pidfile pidfile; /**< --pidfile, removed at exit */
};

/* options.c */

/** The --help text. */
void ingest_usage(FILE *f, const char *prog);

/**
 * Parse the options (argv[0] the program; after "--"). Exits 0 for --help
 * and --version. @return 0, or -EINVAL said on stderr.
 */
int ingest_opts_parse(int argc, char **argv, struct ingest_opts *o);

/* setup.c, in the order main() calls it */

/**
 * The EAL: its defaults added, net_pcap link types checked, signals blocked,
 * rte_eal_init(), lcx_eal_attach(), the named devices checked.
 * @return 0; an exit status (1, 2) before the EAL started; -1 after it.
 */
int ingest_eal_init(struct ingest_app *app, struct app_argv *eal);
/** The rx contexts. @return 0 or -errno (said). */
int ingest_rx_start(struct ingest_app *app);
/** The writer context, with --capture or --payload-dir. @return 0 or -errno (said). */
int ingest_sink_start(struct ingest_app *app);
/** The control context. @return 0 or -errno (said). */
int ingest_ctl_create(struct ingest_app *app);
/** The pool and the ports, their queues attached, started. @return 0 or -errno (said). */
int ingest_ports_open(struct ingest_app *app);
/** --user/--group: drop root (after the ports are up). @return 0 or -errno (said). */
int ingest_privs_drop(struct ingest_app *app);
/** Stop receiving, drain the writer. @return the run's duration, s. */
double ingest_stop(struct ingest_app *app);
/** Destroy the ports and close every ethdev. */
void ingest_ports_close(struct ingest_app *app);
/** Release the rest, the EAL last. */
void ingest_release(struct ingest_app *app);

/* rx.c */

/** The rx handler of every queue (arg: its struct ingest_rxq_bind). */
void ingest_rx_handler(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
		       void *arg);
/**
 * One rx context and its engine. lcore: the worker lcore, or -1 for a thread.
 * @return 0 or -errno (said); on an engine error the context is kept (released by
 * ingest_rx_destroy()).
 */
int ingest_rx_create(struct ingest_app *app, unsigned int id, int lcore);
/** Stop every rx context. */
void ingest_rx_stop(struct ingest_app *app);
/** Free the engines and release the rx contexts. */
void ingest_rx_destroy(struct ingest_app *app);
/** Run fn as the owner of ctx: through its loop while it runs, directly once stopped. */
int ingest_run_on(struct lcx_context *ctx, int (*fn)(struct lcx_context *, void *), void *arg);

/* summary.c */

/** A port's figures, kept for the summary written after the ports are gone. */
struct ingest_port_fig {
	char name[128]; /**< lcx port names are shorter (LCX_PORT_NAME_MAX) */
	char driver[32];
	struct lcx_port_stats ps;
	int rcvbuf;
};

/** The stats line starts counting now (after the ports started). */
void ingest_stats_start(const struct ingest_app *app);
/** The stats line (--stats-period, SIGUSR1) on stderr. Control context. */
void ingest_stats_line(struct ingest_app *app);
/** End a stats line on a terminal. */
void ingest_stats_end(const struct ingest_app *app);
/** The final table on stderr. */
void ingest_summary_print(const struct ingest_app *app, const struct ingest_totals *t,
			  double secs);
/** Keep every port's figures. */
void ingest_port_figs(const struct ingest_app *app, struct ingest_port_fig *pf);
/**
 * The --json summary into o (opened at start), renamed into place.
 * @return 0 or -EIO (said).
 */
int ingest_summary_json(struct ingest_app *app, struct app_out *o,
			const struct ingest_totals *t, const struct ingest_port_fig *pf,
			double secs);

/** Sum every counter. Any thread. */
void ingest_app_totals(const struct ingest_app *app, struct ingest_totals *t);

/**
 * Copy the top n flows by rate over every rx context, highest first. Enters
 * each rx context to read its table. Not on an rx context.
 * @param out n flows out.
 * @param rate their rates out, ingest_flow_rate() at the time each was read.
 * @param now the time each was read at, out.
 * @return how many, or -errno.
 */
int ingest_app_top_flows(struct ingest_app *app, unsigned int n, struct ingest_flow *out,
			 struct ingest_flow_rate *rate, uint64_t *now);

/**
 * The top n flows by rate over every rx context as a JSON array (a new
 * reference; NULL when out of memory or a table could not be read). Enters
 * each rx context to read its table. Not on an rx context.
 */
json_t *ingest_app_flows_jobj(struct ingest_app *app, unsigned int n);

/** Start the control socket on the control context. @return 0 or -errno. */
int ingest_ctl_start(struct ingest_app *app, const char *path);

/**
 * The --metrics families of lcx-ingest (lcx_metrics_collect_fn; arg: the app).
 * On the control context, at each scrape.
 */
struct lcx_metrics_writer;
int ingest_metrics_collect(struct lcx_metrics_writer *w, void *arg);

/** Register the /lcx/ingest/... telemetry commands. @return 0 or -errno. */
int ingest_telemetry_register(struct ingest_app *app);

#endif /* INGEST_APP_H */
