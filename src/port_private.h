/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_PORT_PRIVATE_H
#define LCX_PORT_PRIVATE_H

/*
 * The generic port: queues with their fast-path pointers, counters and tx
 * buffers. Never installed; drivers see struct lcx_port_dev only.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <lcx/clock.h>
#include <lcx/driver/port.h>
#include <lcx/poller.h>
#include <lcx/port.h>

/* Attach state of a queue. */
enum { LCX__Q_FREE = 0, LCX__Q_BUSY = 1, LCX__Q_ATTACHED = 2 };

/* An rx queue: what one poll touches comes first. */
struct lcx__port_rxq {
	lcx_port_rx_burst_fn rx_burst; /* copied from the ops: one indirect call */
	void *drv;                     /* dev.rxq[q] */
	lcx_rx_fn fn;
	void *arg;
	struct rte_mbuf **pkts;        /* burst entries */
	struct lcx_port *port;
	uint16_t qid;
	uint16_t burst;
	bool count_bytes;              /* the driver's stats have no bytes */
	bool ethdev;                   /* rx_burst is rte_eth_rx_burst(eth_port, qid) */
	uint16_t eth_port;
	_Atomic bool active;           /* the port is started: bursts may run */
	uint64_t rx_packets;           /* owner-written, relaxed */
	uint64_t rx_bytes;
	lcx_port_rx_fill_fn rx_fill;
	/* control */
	struct lcx_context *ctx;       /* attached to */
	_Atomic int state;             /* LCX__Q_* */
	struct lcx_poller poller;
} __attribute__((aligned(64)));

/* A tx queue with its buffer (lcx_port_tx_buffer). */
struct lcx__port_txq {
	lcx_port_tx_burst_fn tx_burst;
	void *drv;                     /* dev.txq[q] */
	struct rte_mbuf **buf;         /* cap entries */
	uint16_t count;                /* buffered */
	uint16_t cap;                  /* 2 * burst */
	uint16_t burst;
	uint16_t qid;
	bool count_bytes;              /* the driver's stats have no bytes */
	bool ethdev;                   /* tx_burst is rte_eth_tx_burst(eth_port, qid) */
	uint16_t eth_port;
	_Atomic bool active;
	uint64_t tx_packets;           /* sender-written, relaxed */
	uint64_t tx_bytes;
	uint64_t tx_dropped;
	/* control */
	struct lcx_context *ctx;
	_Atomic int state;
	struct lcx_poller poller;
	struct lcx_port *port;
} __attribute__((aligned(64)));

struct lcx_port {
	struct lcx_port_dev dev;       /* first: lcx_port_from_dev() */
	struct lcx__port_rxq *rxq;     /* dev.conf.nb_rxq */
	struct lcx__port_txq *txq;     /* dev.conf.nb_txq */
	char *devargs;                 /* the copy dev.conf.devargs points at */
	bool created;                  /* the driver's create() succeeded */
	bool own_pool;                 /* lcx_port_dev_pool_get() made dev.pool */
	bool started;
	bool want_started;             /* lcx_port_start() called, lcx_port_stop() not since */
	/* The link, as lcx_port_link_check() sees it (control thread). */
	int link_state;                /* -1 never read, 0 down, 1 up */
	int link_err;                  /* the last error of the link read that was logged */
	uint64_t link_downs;           /* control-written, relaxed; lcx_port_stats() reads */
	uint64_t restarts;
	uint64_t restart_failures;
	uint64_t start_ns;             /* the last start or restart try (lcx__port_now()) */
	uint64_t relink_wait_ns;       /* from start_ns to the next restart */
	uint32_t spell_restarts;       /* restarts since the link was last up */
	struct lcx_port_stats base;     /* lcx counters at the last reset */
	struct lcx_port_stats base_drv; /* driver counters at the last reset (no stats_reset op) */
};

/*
 * The clock of lcx_port_link_check()'s restart waits. NULL (the default):
 * CLOCK_MONOTONIC. Unit tests set a manual clock before they create ports.
 */
extern const struct lcx_clock *lcx__port_clock;

#endif /* LCX_PORT_PRIVATE_H */
