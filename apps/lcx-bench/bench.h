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
#include <time.h>

#include <rte_ethdev.h>

#include <lcx/port.h>

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

/** --rx-timestamp: the receiver's clock. */
enum bench_rxts {
	BENCH_RXTS_AUTO = 0, /**< the rx port's stamps where it gives them, else the TSC */
	BENCH_RXTS_NIC,	     /**< the rx port's stamps; a port without them is an error */
	BENCH_RXTS_TSC,	     /**< the TSC at the poll */
};

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
	uint64_t rx_throttle_us; /**< --rx-throttle: the receiver's (default --throttle) */
	enum bench_rxts rx_ts_mode; /**< --rx-timestamp */
	bool rx_throttle_set;
	uint64_t burst;
	uint64_t tx_port;
	uint64_t rx_port;
	bool rx_port_set;
	const char *json_path;
	const char *csv_dir;	      /**< --csv */
	const char *control_path;     /**< --control */
	const char *calibration_path; /**< --calibration */
	/* search (and rfc2544's throughput) */
	unsigned int nb_loss;
	double loss_ratio[BENCH_SEARCH_GOALS_MAX]; /**< --loss-ratio */
	double exceed_ratio;			   /**< --exceed-ratio */
	double goal_width;			   /**< --goal-width */
	uint64_t initial_duration_ns;		   /**< --initial-duration; 0: = duration */
	uint64_t duration_sum_ns;		   /**< --duration-sum; 0: = duration */
	const char *max_load_text;		   /**< --max-load; NULL: 100% of the link */
	struct bench_rate max_load;
	const char *min_load_text;		   /**< --min-load; NULL: max load / 1000 */
	struct bench_rate min_load;
	uint64_t max_trials;			   /**< --max-trials */
	/* rfc2544 */
	const char *frame_sizes_text; /**< --frame-sizes */
	unsigned int nb_frame_sizes;
	unsigned int frame_sizes[BENCH_FRAME_SIZES_MAX];
	uint64_t b2b_max;	      /**< --b2b-max-frames */
	uint64_t b2b_trials;	      /**< --b2b-trials: repeats of the longest burst */
	/* calibrate */
	const char *floor_rate_text; /**< --floor-rate */
	struct bench_rate floor_rate;
	/* the test device model */
	uint64_t rx_capacity_pps; /**< --rx-capacity-pps; 0: none */
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

/** A port's extended counters (rte_eth_xstats), by name. */
struct bench_xstat {
	char name[RTE_ETH_XSTATS_NAME_SIZE];
	uint64_t value;
};

/** A snapshot of a port's xstats, or the non-zero changes over a trial (allocated). */
struct bench_xstats {
	unsigned int n;
	struct bench_xstat *v;
};

/** One of the port's counters compared with the tool's own count. */
struct bench_xstat_check {
	const char *port;  /**< "tx" or "rx" */
	const char *name;  /**< the xstat: tx_good_packets, rx_good_packets */
	uint64_t value;	   /**< its change over the trial */
	const char *tool;  /**< the tool's counter: "offered", "frames_read" */
	uint64_t tool_value;
	bool agree;
};

#define BENCH_XSTAT_CHECKS 2

/** Flows counted one by one at the receiver (--flow); more are summed in beyond_cap. */
#define BENCH_FLOWS_MAX 1024

/** One flow's account at the receiver (--flow). */
struct bench_flow_count {
	uint64_t sent;	   /**< packets of the flow offered (numbers 0 .. offered - 1) */
	uint64_t received; /**< distinct numbers received in time, with the flow's tuple */
	uint64_t late;	   /**< distinct numbers received after --tmax */
	uint64_t lost;	   /**< sent - received - late (0 when negative: see mismatch) */
};

/** The per-flow figures of a trial (--flow). */
struct bench_flows {
	uint64_t tuples;	/**< flows of the spec */
	unsigned int counted;	/**< flows counted one by one: min(tuples, BENCH_FLOWS_MAX) */
	struct bench_flow_count *flow; /**< counted of them (allocated) */
	struct bench_flow_count beyond_cap; /**< the flows beyond the cap, summed */
	uint64_t unknown;	/**< signed frames of this trial whose tuple is in no flow */
	uint64_t mismatch;	/**< frames whose tuple is not their number's (rewritten?) */
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
	uint64_t overrun_ns; /**< the last send after the schedule's last deadline, beyond the
				  lateness allowance (throttle + 50 us); 0: none */
	const char *stopped_by; /**< NULL: ran its length; else the stop's reason */
	struct bench_pacer_stats tx;
	uint64_t unsent;     /**< intended - offered - skipped when sending stopped */
	uint64_t nombuf;
	struct bench_rx rx;  /**< the receiver's account after finish */
	bool account_consistent;
	uint64_t unsigned_frames, other_stream, hw_timestamps, polls;
	uint64_t poll_gap_max_ns;
	bool rx_busy;
	uint64_t rx_throttle_us; /**< the receiver's throttle in this trial */
	/* NIC stamps (b.rx_nic): what they took out, and how sure the conversion is */
	uint64_t unstamped;	 /**< signed frames of the trial without a stamp: no latency */
	uint64_t ts_suspect;	 /**< stamps after their poll, or before their send */
	uint64_t ts_age_max_ns;	 /**< poll time - stamp, the largest: the wait in the ring */
	double ts_age_mean_ns;
	uint64_t ts_pair_max_ns; /**< the widest TSC window around a stamp-clock reading */
	int64_t ts_offset_first_ns, ts_offset_last_ns; /**< stamp clock - TSC ns, first, last */
	uint64_t lat_error_ns;	 /**< the bound on each latency's error (latency_ns.error_max_ns) */
	double loss_ratio;   /**< lost / offered */
	double forwarding_rate_pps; /**< received / elapsed */
	bool generator_limited;
	struct bench_hist *lat;	    /**< every latency, ns (allocated) */
	struct bench_jitter *jit;   /**< J and IPDV (allocated) */
	uint64_t model_dropped;	    /**< dropped by the --rx-capacity-pps model */
	/* the ports' own counters over the trial (after - before) */
	uint64_t port_tx_opackets, port_rx_ipackets, port_rx_imissed, port_rx_ierrors,
		port_tx_oerrors, port_rx_nombuf;
	bool port_counters_agree;
	/* the ports' xstats over the trial: the non-zero changes, and the checks */
	struct bench_xstats xs_tx, xs_rx;
	bool xs_read;			/**< the xstats could be read (else none reported) */
	unsigned int nb_xs_checks;	/**< 0: the PMD has none of the compared names */
	struct bench_xstat_check xs_checks[BENCH_XSTAT_CHECKS];
	bool xs_agree;			/**< every check agrees (true when none) */
	struct bench_flows *flows;	/**< --flow: the receiver's per-flow counts; else NULL */
};

/** A search's outcome (MODE search; rfc2544's throughput). */
struct bench_search_out {
	struct bench_search_conf conf;
	unsigned int nb_trials;	  /**< search records */
	unsigned int *trial;	  /**< b.trials index of each search record */
	struct bench_search_result res[BENCH_SEARCH_GOALS_MAX];
	bool exhausted;
	bool generator_limited;	  /**< stopped: the generator could not offer a load */
	double generator_limit_pps; /**< that load */
	bool stopped;		  /**< stopped by a signal or the control socket */
	double max_load, min_load;
};

struct bench_frame_loss_point {
	unsigned int percent;
	double rate_pps;
	double loss_ratio;
	unsigned int trial;
};

/** One frame size of MODE rfc2544. */
struct bench_rfc2544_size {
	unsigned int frame_size;
	char size_text[16];
	struct bench_sizes sizes;
	bool have_throughput;
	struct bench_search_out search;
	double throughput_pps;
	bool have_latency;
	unsigned int latency_trial;
	unsigned int nb_loss_points;
	struct bench_frame_loss_point loss[10];
	bool have_b2b;
	uint64_t b2b_frames;	   /**< longest burst with no loss */
	unsigned int b2b_trials[128]; /**< bisection (at most 27) + --b2b-trials (50) */
	unsigned int nb_b2b_trials;
	bool b2b_generator_limited;
	const char *skipped;	   /**< why a step did not run, or NULL */
};

/** A calibration: measured now or read from --calibration. */
struct bench_calibration {
	bool present;
	const char *measured; /**< "now" or the file */
	uint64_t floor_min_ns, floor_p50_ns, floor_p99_ns;
	double top_rate_pps;
	bool top_rate_reached; /**< calibrate: the link's rate was offered without a limit */
	double floor_rate_pps;
	unsigned int floor_trial; /**< calibrate: the trial */
	unsigned int top_trials[128]; /**< at most 128 top-rate trials */
	unsigned int nb_top_trials;
};

/** Self-checks of the clocks over the run. */
struct bench_clock_check {
	uint64_t tsc0, tsc1;
	struct timespec mono0, mono1;
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
	bool rx_ts_offered; /**< the rx port gives rx stamps (lcx_port_rx_tstamp()) */
	bool rx_nic;	    /**< the latency clock is the rx port's stamps */
	struct lcx_port_rx_tstamp rx_ts; /**< how to read them */
	uint64_t rx_ts_hz;     /**< stamp units per second (DEVICE: measured against the TSC) */
	uint64_t rx_ts_res_ns; /**< one stamp unit, ns */
	char rx_ts_why[256]; /**< why the latency clock is what it is */
	/* the trials run, in order */
	struct bench_trial_result *trials;
	unsigned int nb_trials, trials_cap;
	/* the live line: the current trial (set by the driver) */
	int cur_trial;		/**< index of the trial sending, -1 none (atomic) */
	uint64_t cur_start_ns;	/**< its start */
	enum bench_purpose cur_purpose;
	double cur_rate_pps;
	const char *cur_sizes_text;
	uint64_t last_t, last_intended, last_offered, last_received;
	int last_trial;
	struct rte_eth_stats port_st[2]; /**< tx, rx port: read before the ports close */
	const char *done_reason;
	/* mode results */
	struct bench_search_out search;	   /**< MODE search */
	struct bench_rfc2544_size *rfc;	   /**< MODE rfc2544, nb_frame_sizes */
	unsigned int nb_rfc;
	struct bench_calibration cal;	   /**< measured or read */
	struct bench_clock_check clk;
	double max_load_pps, min_load_pps; /**< resolved */
	double floor_rate_pps; /**< how the driver ended: "duration", "done" */
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
/** The max load for frames of mean_frame bytes: --max-load, else --rate, else 100%. */
double bench_max_load_for(double mean_frame);
double bench_min_load_for(double mean_frame, double max_load);
void bench_ports_close(void);
/** A snapshot of a port's xstats (out->v allocated, free()). 0 or -errno. */
int bench_xstats_read(uint16_t port, struct bench_xstats *out);
/**
 * The non-zero changes from a to z (the same port) into out (allocated).
 * @return 0, -EPROTO when the two differ in names, -ENOMEM
 */
int bench_xstats_delta(const struct bench_xstats *a, const struct bench_xstats *z,
		       struct bench_xstats *out);
/** @return the value of name in x, or -1 when x has none */
int64_t bench_xstats_find(const struct bench_xstats *x, const char *name);

/* gen.c: the sender */
/** Start the tx context's state for the trial and register the poller (any thread). */
int gen_arm(const struct bench_trial_req *req, unsigned int stream, uint64_t *t0_tsc);
/** Unregister the poller; the pacer's figures (any thread). */
void gen_park(struct bench_pacer_stats *st, uint64_t *nombuf, uint64_t *t0, uint64_t *last_now,
	      uint64_t *last_send);
/** The pacer's figures now (on the tx context). */
int gen_snapshot(struct bench_pacer_stats *st);
void gen_init(void);
/** True when every packet of the trial's schedule was sent or skipped (any thread). */
bool gen_done(void);
/** 0, or -E2BIG when a size list's weights sum beyond what the sender cycles through. */
int bench_sizes_check(const struct bench_sizes *sz);

/* meas.c: the receiver */
struct meas_snap {
	uint64_t received, missing, late, duplicate, reordered, unsigned_frames, p50, p99, count;
};
int meas_arm(const struct bench_trial_req *req, unsigned int stream);
/** The receiver's throttle in a trial: 0 for a latency trial, unless NIC stamps. */
uint64_t meas_throttle_us(const struct bench_trial_req *req);
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

/* control.c */
/** The control context's set-up: the control socket when --control was given. */
int bench_control_setup(struct app_ctl *c, struct lcx_context *ctx);

/* files.c */
void bench_csv_abort(void);

/* output.c */
void bench_output_text(FILE *f);
/** Write --json. 0, or -errno. */
int bench_output_json(FILE *f);
/** The trial so far as a JSON object (the control socket's stats); NULL on failure. */
struct json_t *bench_trial_json(const struct bench_trial_result *r);
/** Read a calibrate JSON into b.cal; 0 or -1 with err set. */
int bench_calibration_read(const char *path, char *err, size_t errlen);
/** Write --csv: trials.csv and latency-<trial>.csv. 0 or -1 with err set. */
int bench_csv_open(const char *dir, char *err, size_t errlen);
int bench_csv_write(char *err, size_t errlen);
/** The self-checks. */
bool bench_tsc_invariant(const char **how);

#endif /* BENCH_APP_H */
