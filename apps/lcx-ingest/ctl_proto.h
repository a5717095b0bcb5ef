/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_CTL_PROTO_H
#define INGEST_CTL_PROTO_H

/**
 * @file
 * The control protocol of lcx-ingest, pure: one JSON object per line in, one
 * per line out.
 *
 * Requests: {"cmd":"help"}, {"cmd":"stats"}, {"cmd":"flows","n":10},
 * {"cmd":"rotate"}, {"cmd":"stop"}. Replies carry "ok": true and the data, or
 * "ok": false and "error": a request that does not parse, names an unknown
 * command or key, or has a value of the wrong type changes nothing. The
 * protocol is lcx-pmd's too: doc/control.md.
 */

#include <stdint.h>

/** The most flows a "flows" request may ask for. */
#define INGEST_CTL_FLOWS_MAX 1000
/** The longest request line, its newline not counted (bytes). */
#define INGEST_CTL_LINE_MAX 4096

/** A command. */
enum ingest_ctl_cmd {
	INGEST_CTL_STATS = 0, /**< the totals */
	INGEST_CTL_FLOWS,     /**< top n flows by rate */
	INGEST_CTL_ROTATE,    /**< start new capture files */
	INGEST_CTL_STOP,      /**< end the run as SIGTERM would */
	INGEST_CTL_HELP,      /**< the list of commands */
};

/** A parsed request. */
struct ingest_ctl_req {
	enum ingest_ctl_cmd cmd; /**< the command */
	uint32_t n;              /**< flows: how many (default 10) */
};

/**
 * Parse one request line (without its newline). The JSON is read by
 * apps/common/jreq.h (jansson, strict); then "cmd" must be one of the
 * commands and "n" an integer 1..INGEST_CTL_FLOWS_MAX, for flows only.
 * Any thread.
 * @param line the text.
 * @param len its length (bytes).
 * @param req the request out.
 * @param err on failure, a message for the error reply: a static string or
 *   a thread-local buffer, valid until this thread's next call.
 * @return 0, or -EINVAL (also when jansson is out of memory).
 */
int ingest_ctl_parse(const char *line, uint32_t len, struct ingest_ctl_req *req, const char **err);

#endif /* INGEST_CTL_PROTO_H */
