/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_STREAM_SRV_H
#define LCX_STREAM_SRV_H

/*
 * The stream-server core (stream_srv.c) that the control server (ctl.c) and
 * the metrics endpoint (metrics.c) are built on. Never installed.
 *
 * It does the socket plumbing they share: a listening socket and its
 * clients, each a source, two waiters and a task on one context; the accept
 * turn; the client list; the flush of a pending reply buffer; one idle timer
 * per server, armed for the earliest client deadline (last_active + idle_ns);
 * and the busy/dying re-entrancy that lets a server's callback destroy the
 * server. Each server embeds struct lcx__stream_srv as the first member of
 * its own structure and struct lcx__stream_client as the first member of its
 * client structure, and keeps its protocol (what a client's turn does, who
 * is admitted, what an idle client is told) in its own file, behind the ops.
 *
 * Every function here runs on the context's owner, or while no loop runs it
 * (set-up, tear-down), as the servers' own functions do.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lcx/reactor.h>
#include <lcx/task.h>
#include <lcx/timer.h>

#include <rte_common.h> /* container_of: a server's structure from its core part */

#include "lcx_private.h"

/* The idle_ns that never closes a client. */
#define LCX__STREAM_IDLE_NEVER UINT64_MAX

struct lcx__stream_srv;
struct lcx__stream_client;

/* A server's protocol. Each callback runs on the context's owner. */
struct lcx__stream_ops {
	const char *what;    /**< names the server in log lines ("control", "metrics") */
	const char *destroy; /**< the public destroy function, for its log line */
	/** A client's turn (its task ran). May free the client, may destroy the server. */
	void (*serve)(struct lcx__stream_client *c);
	/** A new connection fd: take it on (lcx__stream_client_add), or refuse and close it.
	 * May destroy the server (an eviction's callback): then it closes fd. */
	void (*admit)(struct lcx__stream_srv *s, int fd);
	/** c is idle past idle_ns: say so if the protocol does, and free it. May destroy the
	 * server. */
	void (*idle)(struct lcx__stream_client *c);
	/** Free the server: lcx__stream_close(), then the server's own resources and memory.
	 * Runs from lcx__stream_destroy(), or when the callback that destroyed the server
	 * returns. */
	void (*free)(struct lcx__stream_srv *s);
};

/* The part of a client the core keeps; the first member of a server's client. */
struct lcx__stream_client {
	struct lcx__stream_srv *srv;
	struct lcx_task task;	/* runs ops->serve */
	struct lcx_source *src; /* owns fd */
	struct lcx_waiter wr;	/* readable */
	struct lcx_waiter ww;	/* writable */
	int fd;
	uint64_t last_active; /* context ns; idle once last_active + idle_ns has passed */
	char *out;	      /* heap, freed with the client: out[out_off, out_len) waits */
	size_t out_off;
	size_t out_len;
	struct lcx__stream_client *next;
	struct lcx__stream_client *prev;
};

/* The part of a server the core keeps; the first member of a server. */
struct lcx__stream_srv {
	struct lcx_context *ctx;
	const struct lcx__stream_ops *ops;
	struct lcx_source *src; /* the listener; owns its fd */
	struct lcx_task task;	/* the accept turn */
	struct lcx_waiter w;
	size_t client_size;   /* bytes of a server's client, the header included */
	uint32_t accept_turn; /* connections accepted per turn before the others run */
	uint32_t nb_clients;
	uint64_t idle_ns; /* LCX__STREAM_IDLE_NEVER: the timer is never armed */
	struct lcx__stream_client *clients;
	struct lcx_timer idle; /* armed while there are clients */
	unsigned int busy;     /* its tasks or timer running (a callback may destroy it) */
	bool dying;	       /* destroyed from a callback: freed when they return */
};

/* Set s up (zeroed memory of the context) before lcx__stream_listen(). */
void lcx__stream_init(struct lcx__stream_srv *s, struct lcx_context *ctx,
		      const struct lcx__stream_ops *ops, size_t client_size, uint32_t accept_turn,
		      uint64_t idle_ns);

/* Serve the listening socket fd (non-blocking): a source that closes fd when it goes, the
 * accept turn woken. @return 0, or -errno from lcx_source_create() (fd left open). */
int lcx__stream_listen(struct lcx__stream_srv *s, int fd);

/* Take fd on as a client (zeroed, client_size bytes, last_active now), arm the idle timer if
 * it waits, wake the client's task. @return the client, or NULL (no memory; fd closed). */
struct lcx__stream_client *lcx__stream_client_add(struct lcx__stream_srv *s, int fd);

/* Close and free a client at once: its source (fd, waiters), its queued task, its out. */
void lcx__stream_client_free(struct lcx__stream_client *c);

/* Send out[out_off, out_len); each send that moves bytes makes the client active. All sent:
 * out_off = out_len = 0. @return 0 all sent, 1 the socket is full, -1 the peer is gone. */
int lcx__stream_flush(struct lcx__stream_client *c);

/* The client is active now: its idle deadline starts again. */
static inline void
lcx__stream_touch(struct lcx__stream_client *c)
{
	c->last_active = lcx_context_now(c->srv->ctx);
}

/* Close all: dying set, the clients freed, the idle timer stopped, the listener closed and
 * its task taken off the run queue. The first step of ops->free; s's memory is the
 * server's. */
void lcx__stream_close(struct lcx__stream_srv *s);

/* The server's destroy: on the owner or with no loop running (else logged, not destroyed);
 * from inside one of its callbacks, marked dying and freed when the callback returns; else
 * ops->free at once. */
void lcx__stream_destroy(struct lcx__stream_srv *s);

#endif /* LCX_STREAM_SRV_H */
