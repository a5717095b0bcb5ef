/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_APP_H
#define BENCH_APP_H

/**
 * @file
 * lcx-bench's run-time state and its modules (doc/bench.md). Who calls whom:
 * main.c -> options.c (the command line), ports.c (ports, pool, link, rate),
 * modes.c (the modes: a loop of trials) -> trial.c (one trial) -> gen.c (the
 * sender: the tx poller and the frames) and meas.c (the receiver: the rx poller
 * and the account); output.c writes what modes.c collected.
 *
 * Threads: the tx context and the rx context (one thread each, acquired once
 * and kept across trials: between trials they have no poller and park, the
 * core given back); the control context, driven by the main thread (signals,
 * the live line, the control socket); the driver thread, which runs the mode's
 * trials one after the other and asks the control context to stop when done.
 * The tx and rx state is written only on its context (lcx_context_enter()).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>

#include "args.h"
#include "ctlctx.h"
#include "ealargs.h"
#include "ealdev.h"
#include "lathist.h"
#include "outfile.h"
#include "pacer.h"
#include "search.h"
#include "sig.h"
#include "spec.h"

struct lcx_context;
struct lcx_port;
struct rte_mbuf;
struct rte_mempool;

#define EXIT_USAGE 2
#define BENCH_BURST_MAX 512
#define BENCH_SCHEMA_VERSION 2
#define BENCH_FCS_LEN 4
#define BENCH_LINK_WAIT_NS 5000000000ull
#define BENCH_FRAME_SIZES_MAX 16

enum bench_mode {
	BENCH_MODE_RUN = 0,
	BENCH_MODE_SEARCH,
	BENCH_MODE_RFC2544,
	BENCH_MODE_CALIBRATE,
};

/** Options (after --). */
struct bench_opt {
	enum bench_mode mode;
	const char *mode_name;	/**< "run", ... */
	const char *rate_text;	/**< --rate as given; NULL: none */
	struct bench_rate rate;
	const char *sizes_text; /**< --frame-size as given */
	struct bench_sizes sizes;
	uint64_t duration_ns;
	bool duration_set;
	uint64_t drain_ns;
	uint64_t tmax_ns;
	uint64_t stats_ns;
	uint64_t throttle_us;
	uint64_t burst;
	uint64_t tx_port;
	uint64_t rx_port;
	bool rx_port_set;
	const char *json_path;
};

/** What a trial is for (the JSON's "purpose"). */
enum bench_purpose {
	BENCH_P_RUN = 0,
	BENCH_P_SEARCH,
	BENCH_P_THROUGHPUT,
	BENCH_P_LATENCY,
	BENCH_P_FRAME_LOSS,
	BENCH_P_BACK_TO_BACK,
	BENCH_P_CALIBRATE,
};

/** One trial asked for. */
struct bench_trial_req {
	enum bench_purpose purpose;
	const char *sizes_text;		 /**< the frame size spec (text, for the output) */
	const struct bench_sizes *sizes; /**< the frame sizes */
	double rate_pps;		 /**< intended load, packets/s, > 0 */
	uint64_t duration_ns;		 /**< sending time; 0: until count packets were sent */
	uint64_t count;			 /**< packets in the trial; 0: rate x duration */
	bool rx_busy;			 /**< the receiver at throttle 0 (a latency trial) */
};

/** The figures of one trial (collected after its drain). */
struct bench_trial_result {
	unsigned int index;
	enum bench_purpose purpose;
	const char *sizes_text;
	double mean_frame;   /**< bytes with FCS */
	double rate_pps;     /**< intended load */
	double duration_s;   /**< asked for (0: a count) */
	uint64_t count;      /**< packets asked for (0: rate x duration) */
	double elapsed_s;    /**< sending time */
	const char *stopped_by; /**< NULL: ran its length; else the stop's reason */
	struct bench_pacer_stats tx;
	uint64_t unsent;     /**< intended - offered - skipped when sending stopped */
	uint64_t nombuf;
	struct bench_rx rx;  /**< the receiver's account after finish */
	bool account_consistent;
	uint64_t unsigned_frames, other_stream, hw_timestamps, polls;
	uint64_t poll_gap_max_ns;
	bool rx_busy;
	double loss_ratio;   /**< lost / offered */
	double forwarding_rate_pps; /**< received / elapsed */
	bool generator_limited;
	struct bench_hist *lat;	    /**< every latency, ns (allocated) */
	struct bench_jitter *jit;   /**< J and IPDV (allocated) */
	/* the ports' own counters over the trial (after - before) */
	uint64_t port_tx_opackets, port_rx_ipackets, port_rx_imissed, port_rx_ierrors,
		port_tx_oerrors, port_rx_nombuf;
	bool port_counters_agree;
};

/** The program's state. */
struct bench_app {
	uint64_t hz;
	uint64_t tsc0;
	struct rte_mempool *pool;
	struct lcx_port *ports[RTE_MAX_ETHPORTS];
	uint16_t nb_ports;
	uint16_t tx_ethdev, rx_ethdev;
	uint64_t link_bps; /**< the tx port's link speed, bits/s; 0 unknown */
	double rate_pps;   /**< --rate resolved (0: none given) */
	double mean_frame;
	struct lcx_context *txctx, *rxctx;
	struct app_ctl ctl;
	struct app_out out;
	bool json;
	uint64_t rx_flag; /**< the PMD rx timestamp flag, 0 if none registered */
	/* the trials run, in order */
	struct bench_trial_result *trials;
	unsigned int nb_trials, trials_cap;
	/* the live line: the current trial (set by the driver) */
	int cur_trial;		/**< index of the trial sending, -1 none (atomic) */
	uint64_t cur_start_ns;	/**< its start */
	uint64_t last_t, last_intended, last_offered, last_received;
	int last_trial;
	struct rte_eth_stats port_st[2]; /**< tx, rx port: read before the ports close */
	const char *done_reason; /**< how the driver ended: "duration", "done" */
};

extern const char *prog;
extern struct bench_opt opt;
extern struct bench_app b;

/* main.c */
void __attribute__((format(printf, 2, 3), noreturn)) die(int code, const char *fmt, ...);
uint64_t tsc_ns(uint64_t tsc);
uint64_t ns_tsc(uint64_t ns);
void sleep_until_ns(uint64_t t_ns);
/** True once a stop was asked for (signal, control socket). Any thread. */
bool bench_stopping(void);

/* options.c */
void bench_command_line(int argc, char **argv, struct app_argv *eal, struct app_argv *app,
			struct app_devs *devs);

/* ports.c */
void bench_ports_open(const struct app_devs *devs);
void bench_rate_resolve(void);
void bench_ports_close(void);

/* gen.c: the sender */
/** Start the tx context's state for the trial and register the poller (any thread). */
int gen_arm(const struct bench_trial_req *req, unsigned int stream, uint64_t *t0_tsc);
/** Unregister the poller; the pacer's figures (any thread). */
void gen_park(struct bench_pacer_stats *st, uint64_t *nombuf, uint64_t *t0, uint64_t *last_now);
/** The pacer's figures now (on the tx context). */
int gen_snapshot(struct bench_pacer_stats *st);
void gen_init(void);
/** 0, or -E2BIG when a size list's weights sum beyond what the sender cycles through. */
int bench_sizes_check(const struct bench_sizes *sz);

/* meas.c: the receiver */
struct meas_snap {
	uint64_t received, missing, late, duplicate, reordered, unsigned_frames, p50, p99, count;
};
int meas_arm(const struct bench_trial_req *req, unsigned int stream);
/** Unregister the poller, close the account with the sender's count, copy it out. */
int meas_park(uint64_t offered, struct bench_trial_result *r);
int meas_snapshot(struct meas_snap *s);
void meas_init(void);

/* trial.c */
/** Run one trial; append its result to b.trials. NULL on allocation failure (die()s). */
struct bench_trial_result *bench_trial_run(const struct bench_trial_req *req);
const char *bench_purpose_name(enum bench_purpose p);

/* modes.c */
/** The driver: the mode's trials (on the driver thread). */
void *bench_driver(void *arg);
void bench_on_stats(struct app_ctl *c);

/* output.c */
void bench_output_text(FILE *f);
int bench_output_json(FILE *f);

#endif /* BENCH_APP_H */
