/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_APP_H
#define INGEST_APP_H

/**
 * @file
 * lcx-ingest's run-time state, shared by main.c (set-up, receive path,
 * stats), ctl.c (control socket) and telemetry.c.
 *
 * Threads: one rx context per worker lcore (or one pinned thread when EAL
 * has no worker), each owning an engine; one writer context (the sink); the
 * control context, driven by the main thread, which serves the control
 * socket, the stats line, the duration timer and the signals.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "acct.h"
#include "engine.h"
#include "parse.h"
#include "seq.h"
#include "sink.h"

struct lcx_context;
struct lcx_port;

#define INGEST_RX_MAX 64
#define INGEST_PORTS_MAX 32
#define INGEST_LISTEN_MAX 32

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
	struct lcx_context *ctl_ctx;
	uint64_t start_ns;          /**< lcx_tsc_ns() at start */
	int stop_reason;            /**< 0 duration, else signal number, -1 control */
	bool stopping;
};

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
 * Write the top n flows by rate over every rx context as a JSON array.
 * Enters each rx context to read its table. Not on an rx context.
 * @return 0, or -errno.
 */
int ingest_app_flows_json(struct ingest_app *app, unsigned int n, FILE *f);

/** End the run (control "stop"): stops the control context's loop. */
void ingest_app_request_stop(struct ingest_app *app, int reason);

/** Start the control socket on the control context. @return 0 or -errno. */
int ingest_ctl_start(struct ingest_app *app, const char *path);

/**
 * An option --control-mode, --control-group or --control-idle.
 * @param name its name without "--".
 * @param arg its value.
 * @param why on failure, what the value should be.
 * @return 0 or -EINVAL.
 */
int ingest_ctl_option(const char *name, const char *arg, const char **why);

/** Close the control socket and remove its path. */
void ingest_ctl_stop(struct ingest_app *app);

/** Register the /lcx/ingest/... telemetry commands. @return 0 or -errno. */
int ingest_telemetry_register(struct ingest_app *app);

#endif /* INGEST_APP_H */
