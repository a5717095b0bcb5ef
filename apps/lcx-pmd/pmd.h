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
 * The main lcore runs the control context (LCX_LAUNCH_NONE, driven by
 * lcx_context_run()): signals (signalfd), the --duration and --stats-period
 * timers and the --control socket.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <lcx/context.h>
#include <lcx/poller.h>
#include <lcx/pool.h>
#include <lcx/port.h>

#define PMD_MAX_PORTS 32
#define PMD_MAX_LCORES 128
#define PMD_MAX_STREAMS (PMD_MAX_PORTS * LCX_PORT_QUEUES_MAX)
#define PMD_BURST_MAX 512

/* Exit codes. */
#define PMD_EXIT_OK 0
#define PMD_EXIT_ERROR 1 /* run-time failure: port, pool, lcore */
#define PMD_EXIT_USAGE 2 /* bad command line */

/* Counters written by one context, read by the main lcore: relaxed atomics. */
#define PMD_ADD(field, v) __atomic_store_n(&(field), (field) + (v), __ATOMIC_RELAXED)
#define PMD_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

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
	uint64_t credit_mp;     /* packets owed, in millionths of a packet */
	uint64_t credit_cap_mp; /* most credit kept while the queue refuses */
	uint64_t last_ns;       /* when credit was last earned */
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
		PMD_ADD(fs->fwd_dropped, n - sent);
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	return sent;
}

/* One forwarding lcore: its context and its streams. */
struct fwd_lcore {
	unsigned int lcore_id;
	struct lcx_context *ctx;
	uint32_t first_stream;
	uint32_t nb_streams;
	char name[LCX_NAME_MAX];
};

/* A forwarding mode (testpmd's struct fwd_engine). */
struct fwd_engine {
	const char *name;
	const char *help;
	/* Receive handler of every stream; arg is the struct fwd_stream. */
	lcx_rx_fn rx;
	/* Generator modes: send one round; returns packets sent (see txonly.c). */
	unsigned int (*gen)(void *arg);
	/* Transmits back out of the port it received on (udpecho). */
	bool echo;
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
	double stats_period_s;
	double duration_s;
	const char *json_path;
	const char *control_path;
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
	struct lcx_context *ctl; /* the main lcore's context */
	unsigned int main_lcore;
	struct pmd_snap start;
	bool started;
	bool stopping;
	const char *stop_reason;
	uint64_t cur_throttle_us;
	bool tty;
};

extern struct pmd pmd;

/* main.c */
#include <signal.h>
void pmd_request_stop(const char *reason);
/* The signals lcx-pmd handles on its control context (blocked in every thread). */
void pmd_signal_mask(sigset_t *mask);
int pmd_set_throttle(uint64_t throttle_us);
/* The layout of the mbuf pools ("packed" or "native"). */
const char *pmd_pool_layout(void);

/* stats.c */
void pmd_snapshot(struct pmd_snap *s);
/*
 * Write the summary of [a, b] as one JSON object (no newline); with pools, also
 * every mempool's figures as they are now (mbuf_pools: at exit, after the ports closed).
 */
void pmd_summary_json(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b, bool pools);
void pmd_print_final(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b);
/* The live line: rates over [a, b]. */
void pmd_print_live(FILE *f, const struct pmd_snap *a, const struct pmd_snap *b, bool tty);
double pmd_cpu_seconds(void);

/* control.c */
int pmd_control_start(struct lcx_context *ctx, const char *path);
/* --control-mode, --control-group, --control-idle (name without "--"): 0, or
 * -EINVAL with why set. */
int pmd_control_option(const char *name, const char *arg, const char **why);
void pmd_control_stop(void);

/* txonly.c: the packet template shared by txonly, flowgen and --tx-first. */
void pmd_pkt_template(struct fwd_stream *fs);
/* Build n template packets into pkts (allocated from fs->pool). Returns how many. */
unsigned int pmd_pkt_build(struct fwd_stream *fs, struct rte_mbuf **pkts, unsigned int n);
uint16_t pmd_ipv4_cksum(const void *hdr);
unsigned int pmd_txonly_gen(void *arg);
unsigned int pmd_flowgen_gen(void *arg);
void pmd_gen_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
		void *arg);

#endif /* LCX_PMD_H */
