/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_PMD_H
#define LCX_PMD_H

/*
 * lcx-pmd: a testpmd-style forwarder on lcx contexts.
 *
 * Shape (testpmd's): every rx queue of every forwarding port is a *stream*
 * that forwards to a tx port and queue. Streams are spread over the
 * forwarding lcores; each lcore runs one lcx context (LCX_LAUNCH_LCORE) to
 * which its streams' rx queues are attached. A forwarding mode is a
 * struct fwd_engine (one file each: iofwd.c, macfwd.c, ...): its rx handler
 * gets each received burst, and generating modes also register a poller of
 * their own that sends a burst every loop iteration.
 *
 * The main lcore runs the control context (apps/common/ctlctx.h): signals
 * (signalfd), the --duration and --stats-period timers, the link watch and the
 * --control socket.
 *
 * Files, and who calls whom (one way): main.c (the order of things) ->
 * parameters.c (options), config.c (ports, pools, streams), fwd.c (the run,
 * the control context's jobs) -> control.c (requests), stats.c (figures);
 * the modes (iofwd.c, ...) are called through struct fwd_engine.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <lcx/context.h>
#include <lcx/poller.h>
#include <lcx/pool.h>
#include <lcx/port.h>

#include "counter.h" /* APP_COUNTER_ADD: one context writes, the main lcore reads */
#include "ctlctx.h"
#include "ealdev.h"
#include "hard.h"    /* --user, --pidfile */
#include "pacer.h" /* --tx-rate-pps: lcx-bench's pacer (doc/bench.md) */

#define PMD_MAX_PORTS 32
#define PMD_MAX_LCORES 128
#define PMD_MAX_STREAMS (PMD_MAX_PORTS * LCX_PORT_QUEUES_MAX)
#define PMD_BURST_MAX 512

/* The generators' addresses: 198.18.0.1 -> 198.18.0.2 (RTE_IPV4() shifts a signed int). */
#define PMD_IP_SRC ((198u << 24) | (18u << 16) | 1u)
#define PMD_IP_DST ((198u << 24) | (18u << 16) | 2u)

/*
 * The version of the JSON lcx-pmd writes ("schema": "lcx-pmd" for the summary,
 * "lcx-pmd.stats" for --stats-json lines): raised when a field changes its
 * meaning, type or unit or goes away (new fields do not raise it). doc/pmd.md.
 */
#define PMD_SCHEMA_VERSION 1

/* Exit codes. */
#define PMD_EXIT_OK 0
#define PMD_EXIT_ERROR 1 /* run-time failure: port, pool, lcore */
#define PMD_EXIT_USAGE 2 /* bad command line */


enum pmd_topology {
	TOPO_PAIRED = 0, /* 0<->1, 2<->3; an odd last port loops to itself */
	TOPO_CHAINED,    /* 0->1->2->...->0 */
	TOPO_LOOP,       /* every port to itself */
};

struct fwd_lcore;

/* One rx queue and where it forwards to. */
struct fwd_stream {
	/* hot: the rx handler */
	struct lcx_port *tx_port;
	uint16_t tx_queue;
	uint16_t rx_queue;
	uint16_t rx_port_id; /* index in pmd.ports */
	uint16_t tx_port_id;
	struct rte_ether_addr tx_src; /* mac: the tx port's address */
	struct rte_ether_addr tx_dst; /* mac, txonly, flowgen: the peer of the tx port */
	/*
	 * Counters (the owning context writes, the main lcore reads). Packets in
	 * and out are the ports' own counters (lcx_port_stats): not counted twice.
	 */
	uint64_t fwd_dropped; /* refused by the tx queue, freed */
	uint64_t ignored;     /* udpecho: not UDP, freed */
	uint64_t gen_nombuf;  /* txonly/flowgen: pool empty */

	/* generators (txonly, flowgen) */
	struct lcx_poller gen;
	const bool *tx_link;    /* send only while the tx port's link is up */
	struct rte_mempool *pool;
	uint64_t gen_quota;     /* packets still to send; UINT64_MAX: no limit */
	uint64_t rate_pps;      /* 0: as fast as the queue takes them */
	/*
	 * --tx-rate-pps (NULL without): kept out of the stream, so that every mode's
	 * stream keeps the size and layout its hot path was measured with (inline,
	 * it cost io forwarding ~5 %: doc/performance.md).
	 */
	struct pmd_pace *pace;
	uint32_t next_flow;     /* flowgen */
	uint32_t nb_flows;
	uint16_t pkt_len;
	uint16_t burst;
	uint8_t hdr[64];        /* the packet template: Ethernet, IPv4, UDP */

	struct fwd_lcore *fl;
	struct lcx_port *rx_port;
};

/*
 * Send a burst on the stream's tx queue; what the queue refuses is freed and
 * counted as fwd_dropped (testpmd's rule). Returns how many were sent.
 */
static inline uint16_t
fwd_stream_send(struct fwd_stream *fs, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = lcx_port_tx_burst(fs->tx_port, fs->tx_queue, pkts, n);

	if (unlikely(sent < n)) {
		APP_COUNTER_ADD(fs->fwd_dropped, n - sent);
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	return sent;
}

/*
 * A paced stream's schedule (absolute deadlines from the first round with the
 * link up; a late generator catches up, nothing leaves the schedule
 * unaccounted) and its account, published for the main lcore (relaxed).
 */
struct pmd_pace {
	struct bench_pacer pacer;
	bool started;
	uint64_t intended;
	uint64_t offered;
	uint64_t refused;
	uint64_t skipped;
	uint64_t late;
	uint64_t late_max_ns;
};

/* One forwarding lcore: its context and its streams. */
struct fwd_lcore {
	unsigned int lcore_id;
	struct lcx_context *ctx;
	uint32_t first_stream;
	uint32_t nb_streams;
	char name[LCX_NAME_MAX];
};

/*
 * A forwarding mode (testpmd's struct fwd_engine): what the set-up and the
 * run need from a mode, so that no code asks which mode it is.
 */
struct fwd_engine {
	const char *name;
	const char *help;
	/* Receive handler of every stream; arg is the struct fwd_stream. */
	lcx_rx_fn rx;
	/*
	 * Generator modes: the poller each stream registers on its context; its
	 * poll (arg: the stream) sends one round and returns the packets sent
	 * (see txonly.c). NULL: the mode only answers what it receives.
	 */
	const struct lcx_poller_ops *gen;
	/*
	 * The port a stream received on rx_port transmits to (an index in
	 * pmd.ports). NULL: by --port-topology. udpecho: the same port.
	 */
	uint16_t (*tx_port_of)(uint16_t rx_port);
};

extern const struct fwd_engine io_engine;
extern const struct fwd_engine mac_engine;
extern const struct fwd_engine macswap_engine;
extern const struct fwd_engine rxonly_engine;
extern const struct fwd_engine txonly_engine;
extern const struct fwd_engine flowgen_engine;
extern const struct fwd_engine udpecho_engine;

/* A port as lcx-pmd sees it. */
struct pmd_port {
	struct lcx_port *port;
	uint16_t ethdev_id;
	char name[64];
	struct rte_ether_addr mac;
	struct rte_ether_addr peer; /* --eth-peer, default 02:00:00:00:00:<index> */
	bool link_up;               /* the main lcore watches it; generators read it */
	bool link_known;            /* link_up was read at least once */
};

/* A snapshot of everything that is counted, for rates and the summary. */
struct pmd_port_snap {
	struct lcx_port_stats st;
	uint64_t fwd_dropped;
	uint64_t ignored;
	uint64_t gen_nombuf;
};

struct pmd_snap {
	uint64_t t_ns;
	double cpu_s;
	struct pmd_port_snap port[PMD_MAX_PORTS];
	struct lcx_context_stats ctx[PMD_MAX_LCORES + 1]; /* forwarding lcores, then control */
};

/* The program's configuration (command line) and state. */
struct pmd {
	/* options */
	const struct fwd_engine *engine;
	unsigned int nb_cores;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_rxd;
	uint16_t nb_txd;
	uint16_t burst;
	uint16_t txpkts;
	uint32_t total_mbufs; /* 0: sized from the rings */
	enum lcx_pool_layout pool_layout; /* --mp-alloc */
	uint64_t throttle_us;
	uint64_t idle_park_us; /* 0: the library's default (LCX_IDLE_PARK_FACTOR x throttle) */
	uint64_t stats_ns;    /* --stats-period; 0: none */
	bool stats_json;      /* --stats-json: JSON lines instead of the live line */
	uint64_t duration_ns; /* --duration; 0: until stopped */
	const char *json_path;
	const char *control_path;
	const char *metrics;  /* --metrics=ADDR:PORT; NULL: none */
	struct app_user user; /* --user, --group: dropped to once the ports are up */
	const char *pidfile_path;  /* --pidfile; NULL: none */
	struct app_pidfile pidfile; /* the file made */
	bool tx_first;
	uint64_t tx_rate_pps;
	uint64_t tx_count; /* 0: no limit */
	uint32_t flowgen_flows;
	enum pmd_topology topology;
	bool portlist_set;
	uint16_t portlist[PMD_MAX_PORTS]; /* ethdev ids */
	uint16_t nb_portlist;
	struct {
		bool set;
		uint16_t ethdev_id;
		struct rte_ether_addr mac;
	} peers[PMD_MAX_PORTS];
	bool peers_given;

	/* state */
	struct pmd_port ports[PMD_MAX_PORTS];
	uint16_t nb_ports;
	struct fwd_stream *streams;
	uint32_t nb_streams;
	struct fwd_lcore lcores[PMD_MAX_LCORES];
	unsigned int nb_lcores;
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	struct app_ctl ctl; /* the main lcore's context: signals, timers, --control */
	unsigned int main_lcore;
	struct pmd_snap start;
	bool started;
	uint64_t cur_throttle_us;
	bool tty;
};

extern struct pmd pmd;

/* parameters.c: the command line (exits on a usage error). */
void pmd_usage(FILE *f);
/** The long options (getopt_long()'s table): also the keys of --config. */
extern const struct option pmd_long_opts[];
/** The options that may repeat (NULL-ended). */
extern const char *const pmd_repeatable_opts[];
bool pmd_is_app_option(const char *arg);
void pmd_parse_args(int argc, char **argv);
void __attribute__((format(printf, 2, 3), noreturn)) pmd_die(int code, const char *fmt, ...);
extern const char *pmd_prog;

/* config.c: ports, pools, streams (exits on an error). */
void pmd_config(const struct app_devs *devs);
const char *pmd_port_label(uint16_t i);
/* After pmd_stop(), before the final snapshot: every port stopped, so that the
 * frames the drivers free from the rx rings are in rx_missed of the summary. */
void pmd_ports_stop(void);
/* After the run: the ports destroyed and their ethdevs closed (their mbufs back). */
void pmd_ports_close(void);
void pmd_config_free(void);

/* fwd.c: the run: contexts, forwarding, the control context's jobs. */
void pmd_ctl_create(void);   /* the control context (the forwarding ones' stats read it) */
void pmd_start(void);        /* forwarding contexts, streams attached, generators on */
void pmd_ctl_start(void);    /* the control context's signals, timers, --control */
void pmd_stop(void);         /* streams detached, generators off (the contexts run on) */
void pmd_live_end(void);     /* end a live line on a terminal */
int pmd_set_throttle(uint64_t throttle_us);

/* stats.c */
void pmd_snapshot(struct pmd_snap *s);
/*
 * The summary of [a, b] as one JSON object (a new reference; NULL when out of
 * memory); with pools, also every mempool's figures as they are now
 * (mbuf_pools: at exit, after the ports closed). doc/pmd.md lists the fields.
 */
json_t *pmd_summary_jobj(const struct pmd_snap *a, const struct pmd_snap *b, bool pools);
void pmd_print_final(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b);
/* The live line: rates over [a, b]. */
void pmd_print_live(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b, bool tty);
/*
 * --stats-json: the period [a, b] as one JSON object and a newline
 * ("schema": "lcx-pmd.stats"; doc/pmd.md). Says on stderr when it cannot.
 */
void pmd_print_live_json(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b);
/* Where the final table and SIGUSR1's figures go: stdout, stderr with --stats-json. */
FILE *pmd_table_out(void);
double pmd_cpu_seconds(void);
/* The layout of the mbuf pools ("packed" or "native"). */
const char *pmd_pool_layout(void);
/*
 * --json: checked at start (a path that cannot be written fails before
 * anything runs, exit 1), written whole at the end and renamed into place
 * (apps/common/outfile.h). write: 0, or -1 said on stderr.
 */
void pmd_json_open(void);
int pmd_json_write(const struct pmd_snap *end);

/* stats.c: --metrics on the control context (its setup); stop: app_metrics_stop(). */
int pmd_metrics_start(struct lcx_context *ctx);
/* stats.c: give the --json file being written to uid:gid (before --user's drop). */
int pmd_json_chown(uid_t uid, gid_t gid);
/* stats.c: /lcx/pmd (DPDK telemetry): open on the thread that runs the control loop,
 * close before the control context is released. */
int pmd_telemetry_open(void);
void pmd_telemetry_close(void);

/* control.c: the --control requests; set_throttle: "set" (fwd.c's pmd_set_throttle). */
int pmd_control_start(struct lcx_context *ctx, const char *path,
		      int (*set_throttle)(uint64_t throttle_us));

/* txonly.c: the packet template shared by txonly, flowgen and --tx-first. */
void pmd_pkt_template(struct fwd_stream *fs);
/* Build n template packets into pkts (allocated from fs->pool). Returns how many. */
unsigned int pmd_pkt_build(struct fwd_stream *fs, struct rte_mbuf **pkts, unsigned int n);
uint16_t pmd_ipv4_cksum(const void *hdr);
/* The pacer of every paced stream set up (--tx-rate-pps); exits on an error. */
void pmd_pacers_init(void);
/* The paced streams' account summed (0s without --tx-rate-pps). */
struct pmd_pacing {
	uint64_t intended, offered, refused, skipped, late, late_max_ns;
};
void pmd_pacing_sum(struct pmd_pacing *out);
/* One generator round of the stream; mark (flowgen) edits the packets before they go. */
unsigned int pmd_gen_round(struct fwd_stream *fs,
			   void (*mark)(struct fwd_stream *fs, struct rte_mbuf **pkts,
					unsigned int n));
void pmd_gen_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
		void *arg);

#endif /* LCX_PMD_H */
