/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_METRICS_H
#define LCX_METRICS_H

/**
 * @file
 * A Prometheus metrics endpoint: an HTTP server on a TCP socket, served by a
 * context's reactor, that answers `GET /metrics` with the Prometheus text
 * exposition format 0.0.4 (`Content-Type: text/plain; version=0.0.4;
 * charset=utf-8`).
 *
 * Every scrape is made afresh when it is asked for, on the server's context:
 *
 * - the library's own families (doc/metrics.md lists each, with its unit):
 *   per context of the process (label `context`), its loop figures
 *   (lcx_context_stats(): busy, idle and parked seconds, iterations, reacts,
 *   parks, ring-budget cuts, park overshoot, timers fired and their
 *   lateness, ...); per port registered with lcx_metrics_port_add() (label
 *   `port`), its counters (lcx_port_stats(): packets, bytes, misses, errors,
 *   drops, link losses, restarts); the server's own requests by status code;
 * - then the program's own families, written by conf.collect through the
 *   writer functions (lcx_metrics_family(), lcx_metrics_sample(),
 *   lcx_metrics_sample_u64()), which escape help texts and label values and
 *   check names against Prometheus's rules (a counter's name ends in
 *   `_total`, a unit is the name's last word before it, one HELP and TYPE per
 *   family, its samples together).
 *
 * HTTP: HTTP/1.0 and HTTP/1.1 requests, one per connection (each reply says
 * `Connection: close`). `GET` or `HEAD` of `/metrics` (a query string is
 * ignored) gives the figures, of `/` a short HTML page that links to them;
 * any other path 404; any other method 405 (with `Allow: GET, HEAD`); a
 * malformed request 400; a request (line and headers) longer than
 * conf.request_max 431; another HTTP version 505; a failed collect or a body
 * past conf.body_max 500; a connection beyond conf.clients_max 503. Each
 * is counted (struct lcx_metrics_stats), and none ends the server. A client
 * has conf.idle_ns from its connection to send its whole request (the bytes
 * it trickles in do not extend it), and again conf.idle_ns from each write
 * that moved bytes to take the reply; past that it is closed (counted:
 * idle_closed). After a reply the server shuts its side down and reads what
 * the client still sends (at most 1 MiB, within conf.idle_ns) before it
 * closes, so the client's unread bytes do not reset the reply away.
 *
 * Threads and ownership: the server belongs to the context it is created on:
 * its reactor serves it, its tasks run conf.collect and read the figures.
 * lcx_metrics_create(), lcx_metrics_destroy(), lcx_metrics_port_add(),
 * lcx_metrics_port_remove() and lcx_metrics_stats() on that context's thread,
 * or while no loop runs it (before it starts, or after lcx_context_stop());
 * use lcx_context_enter() from elsewhere. Because a scrape reads the
 * registered ports with lcx_port_stats(), the context must be run by the
 * thread that controls those ports (the program's control context, as the
 * programs of this project have), and a port must be removed before it is
 * destroyed. The context figures are read from any context of the process
 * (lcx_context_stats() may be called from any thread). lcx_metrics_address()
 * and lcx_metrics_listen_port() from any thread while the server lives. The
 * writer functions only from conf.collect, with the writer it was given.
 * destroy must come before the context's last lcx_context_release().
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;
struct lcx_metrics;
struct lcx_metrics_writer;
struct lcx_port;

/** Default most clients at once. */
#define LCX_METRICS_CLIENTS_MAX 16u
/** Default longest request: its line and headers, with the blank line (bytes). */
#define LCX_METRICS_REQUEST_MAX 8192u
/** Default largest reply body (bytes): 16 MiB. */
#define LCX_METRICS_BODY_MAX (16u << 20)
/** Default time a client has to send its request, and to take each part of the reply (ns): 10 s. */
#define LCX_METRICS_IDLE_NS UINT64_C(10000000000)

/** The type of a family, as the `# TYPE` line says it. */
enum lcx_metrics_type {
	/** A count that only goes up (resets when the program restarts); the name ends in `_total`. */
	LCX_METRICS_COUNTER = 0,
	/** A value that goes up and down. */
	LCX_METRICS_GAUGE = 1,
	/** Quantiles: each sample has a `quantile` label (0 to 1). */
	LCX_METRICS_SUMMARY = 2,
	/** Of no stated type. */
	LCX_METRICS_UNTYPED = 3,
};

/** One label of a sample: `name="value"`. */
struct lcx_metrics_label {
	const char *name;  /**< `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` */
	const char *value; /**< any text; escaped, bytes that are not UTF-8 become `?` */
};

/**
 * Write the program's own families into a scrape, after the library's.
 * @param w the writer: pass it to lcx_metrics_family() and the sample
 *        functions, during this call only.
 * @param arg conf.arg.
 * @return 0, or a negative errno: the scrape fails (a 500 reply, counted in
 *         collect_failed), rather than giving the figures without the
 *         program's.
 */
typedef int (*lcx_metrics_collect_fn)(struct lcx_metrics_writer *w, void *arg);

/** How to make a metrics server. */
struct lcx_metrics_conf {
	/**
	 * Where to listen: "ADDR:PORT" (an IPv4 address), "[ADDR]:PORT" (an IPv6
	 * address; bound IPV6_V6ONLY) or "PORT" alone (127.0.0.1:PORT). Numeric
	 * addresses only; PORT 0 to 65535, 0 for one the kernel picks
	 * (lcx_metrics_listen_port() tells which).
	 */
	const char *listen;
	lcx_metrics_collect_fn collect; /**< optional: the program's own families */
	void *arg;                      /**< passed to collect */
	uint32_t clients_max;  /**< most clients at once, 1 to 4096; 0: LCX_METRICS_CLIENTS_MAX */
	uint32_t request_max;  /**< longest request in bytes, 64 to 1 MiB; 0: LCX_METRICS_REQUEST_MAX */
	uint32_t body_max;     /**< largest body in bytes, at least 4096; 0: LCX_METRICS_BODY_MAX */
	uint64_t idle_ns;      /**< see the file's overview, at least 1 ms; 0: LCX_METRICS_IDLE_NS */
};

/** A server's figures since it was created. */
struct lcx_metrics_stats {
	uint64_t accepted;       /**< connections taken on as clients */
	uint64_t scrapes;        /**< 200 replies to /metrics */
	uint64_t pages;          /**< 200 replies to / */
	uint64_t bad_requests;   /**< 400: malformed request line or header, or cut short */
	uint64_t not_found;      /**< 404: another path */
	uint64_t bad_methods;    /**< 405: a method other than GET and HEAD */
	uint64_t too_long;       /**< 431: request longer than request_max */
	uint64_t bad_versions;   /**< 505: not HTTP/1.0 or HTTP/1.1 */
	uint64_t collect_failed; /**< 500: collect failed, or the body passed body_max */
	uint64_t refused_full;   /**< 503: clients_max clients were connected */
	uint64_t idle_closed;    /**< clients closed: request or reply not done within idle_ns */
	uint64_t reset;          /**< clients that went away (an error) before their reply was sent */
	uint64_t write_errors;   /**< writer calls refused (bad name, label, ...): not in the scrape */
	uint64_t port_errors;    /**< port readings that failed: that port left out of a scrape */
	uint32_t clients;        /**< clients now */
};

/**
 * Listen on conf->listen and serve metrics on ctx.
 * @param ctx the context; the caller runs on it, or no loop runs it yet.
 * @param conf the configuration (copied; listen is not kept).
 * @param out the new server.
 * @return 0, or -EINVAL (NULL argument, a listen string that is not one of
 *         the forms above, a limit out of its range), -EPERM (not on ctx's
 *         thread), -ENOMEM, or -errno from socket(), setsockopt(), bind()
 *         (-EADDRINUSE: the port is taken; -EADDRNOTAVAIL: no such local
 *         address), listen(), getsockname() or epoll_ctl().
 */
int lcx_metrics_create(struct lcx_context *ctx, const struct lcx_metrics_conf *conf,
		       struct lcx_metrics **out);

/**
 * Close every client and the listening socket and free the server. On the
 * server's context (conf.collect may call it: the server goes when the scrape
 * is done, and that scrape gets no reply), or while no loop runs it.
 * @param m the server; NULL is a no-op.
 */
void lcx_metrics_destroy(struct lcx_metrics *m);

/**
 * Add a port to the scrapes: its counters (lcx_port_stats()) as the
 * lcx_port_* families, labelled port="label". The server reads the port on
 * its context's thread, which must be the port's control thread.
 * @param m the server.
 * @param port the port; it must stay until lcx_metrics_port_remove() or
 *        lcx_metrics_destroy().
 * @param label the label value (copied, at most 63 bytes); NULL:
 *        lcx_port_name(port).
 * @return 0, or -EINVAL (NULL m or port, empty or too long label), -EEXIST
 *         (the port, or another with that label, is there already), -EPERM
 *         (not on the server's context), -ENOMEM.
 */
int lcx_metrics_port_add(struct lcx_metrics *m, struct lcx_port *port, const char *label);

/**
 * Take a port out of the scrapes.
 * @param m the server.
 * @param port the port.
 * @return 0, or -EINVAL (NULL argument), -ENOENT (not added), -EPERM (not on
 *         the server's context).
 */
int lcx_metrics_port_remove(struct lcx_metrics *m, struct lcx_port *port);

/**
 * Read a server's figures. On the server's context, or while no loop runs it.
 * @param m the server.
 * @param out the figures.
 * @return 0, or -EINVAL.
 */
int lcx_metrics_stats(const struct lcx_metrics *m, struct lcx_metrics_stats *out);

/**
 * @param m the server. Any thread.
 * @return the TCP port the server listens on (the one the kernel picked for
 *         PORT 0), or 0 for a NULL m.
 */
uint16_t lcx_metrics_listen_port(const struct lcx_metrics *m);

/**
 * @param m the server. Any thread.
 * @return the address the server listens on, "ADDR:PORT" or "[ADDR]:PORT",
 *         with the port it got; valid while the server lives; "" for a NULL m.
 */
const char *lcx_metrics_address(const struct lcx_metrics *m);

/**
 * Start a family: its `# HELP` and `# TYPE` lines. Its samples follow, until
 * the next family. A name may start one family per scrape.
 * @param w the writer given to conf.collect.
 * @param name `[a-zA-Z_:][a-zA-Z0-9_:]*`; a counter's ends in `_total`,
 *        another type's does not; none ends in `_count`, `_sum` or `_bucket`.
 * @param type its type.
 * @param help what it counts, in the base unit (any text, escaped; not empty).
 * @param unit NULL, or the unit (a base unit, such as "seconds", "bytes",
 *        "packets"): then the name must end in `_UNIT` (a counter's in
 *        `_UNIT_total`).
 * @return 0, or -EINVAL (NULL w, a name, type, help or unit against the rules
 *         above), -EEXIST (the name started a family already), -ENOBUFS (the
 *         body would pass conf.body_max: the scrape fails), -ENOMEM. After an
 *         error, samples are refused until the next family starts. Each
 *         refusal is counted (write_errors); the scrape goes on without it.
 */
int lcx_metrics_family(struct lcx_metrics_writer *w, const char *name, enum lcx_metrics_type type,
		       const char *help, const char *unit);

/**
 * Write a sample of the current family: `name{labels} value`.
 * @param w the writer given to conf.collect.
 * @param labels nb_labels labels (NULL if none). A summary's samples carry a
 *        `quantile` label; other types may not use `quantile` nor `le`.
 * @param nb_labels how many, 0 to 16.
 * @param value the value; NaN and the infinities are written as Prometheus
 *        spells them (a counter's must be finite and not negative).
 * @return 0, or -EINVAL (NULL w, no current family, a bad label name, a name
 *         twice, too many labels, a NULL value string, a value a counter may
 *         not have), -ENOBUFS (the body would pass conf.body_max: the scrape
 *         fails), -ENOMEM. Refusals other than -ENOBUFS and -ENOMEM are
 *         counted (write_errors) and the scrape goes on without the sample.
 */
int lcx_metrics_sample(struct lcx_metrics_writer *w, const struct lcx_metrics_label *labels,
		       unsigned int nb_labels, double value);

/**
 * As lcx_metrics_sample(), for a counter or gauge held as an integer: every
 * digit is written (a double would round counts past 2^53).
 * @param w the writer given to conf.collect.
 * @param labels nb_labels labels (NULL if none).
 * @param nb_labels how many, 0 to 16.
 * @param value the value.
 * @return as lcx_metrics_sample().
 */
int lcx_metrics_sample_u64(struct lcx_metrics_writer *w, const struct lcx_metrics_label *labels,
			   unsigned int nb_labels, uint64_t value);

#ifdef __cplusplus
}
#endif

#endif /* LCX_METRICS_H */
