/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_ACCT_H
#define INGEST_ACCT_H

/**
 * @file
 * Accounting: every received frame ends in exactly one bucket,
 *
 *   rx_total = accepted + filtered + malformed + sink_dropped
 *
 * with filtered and malformed broken down by parser verdict, and sink_dropped
 * by cause (writer queue full, write error, no buffer for the copy). accepted
 * counts frames that passed the parser and the port filter and that the sink
 * took (with no sink: all of them).
 *
 * Each rx context owns one struct ingest_acct and is its only writer; it
 * publishes with relaxed atomic stores once per burst so that other threads
 * (control socket, telemetry, the stats line) read whole 64-bit values. The
 * writer context owns struct ingest_sink_acct the same way. Totals are summed
 * by readers.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "counter.h" /* APP_COUNTER_ADD, APP_COUNTER_GET */
#include "parse.h"


/** Counters of one rx context. */
struct ingest_acct {
	uint64_t rx_total;                    /**< frames received */
	uint64_t rx_bytes;                    /**< their bytes */
	uint64_t verdict[INGEST_VERDICT_MAX]; /**< by parser verdict ([INGEST_OK]: passed) */
	uint64_t accepted;                    /**< passed and taken by the sink */
	uint64_t accepted_bytes;              /**< their bytes */
	uint64_t sink_queue_full;             /**< passed, but the writer's queue was full */
	/* Sequence totals over the context's flows (modular sums of deltas). */
	uint64_t seq_received;                /**< packets with a counter */
	uint64_t seq_expected;                /**< numbers expected */
	uint64_t seq_lost;                    /**< lost */
	uint64_t seq_reordered;               /**< reordered */
	uint64_t seq_duplicate;               /**< duplicates */
	uint64_t seq_out_of_range;            /**< out of range */
	uint64_t seq_resyncs;                 /**< resyncs */
	uint64_t seq_no_seq;                  /**< packets without a counter */
	uint64_t flows;                       /**< flows held now */
	uint64_t flow_inserts;                /**< flows created */
	uint64_t flow_evictions;              /**< flows evicted */
};

/** Counters of the writer. */
struct ingest_sink_acct {
	uint64_t dequeued;      /**< frames taken from the queue */
	uint64_t written;       /**< frames in the files lcx keeps (goes down when a file
				 *   is found removed or deleted by --rotate-files) */
	uint64_t written_bytes; /**< bytes in those files (file format included) */
	uint64_t write_errors;  /**< frames lost to a failed open or write */
	uint64_t nomem;         /**< frames lost for want of a copy buffer */
	uint64_t over_limit;    /**< frames not written: over --max-files or --max-disk */
	uint64_t removed;       /**< frames written to files then found removed by others */
	uint64_t rotated_out;   /**< frames in files deleted by --rotate-files */
	uint64_t files;         /**< files created */
	uint64_t files_deleted; /**< files deleted by --rotate-files */
	uint64_t rotations;     /**< rotations done */
	int last_errno;         /**< errno of the last failure, 0 if none */
};

/** Sums over every context and the writer. */
struct ingest_totals {
	uint64_t rx_total, rx_bytes;
	uint64_t accepted, accepted_bytes;
	uint64_t filtered, malformed;
	uint64_t sink_dropped;          /**< queue_full + write_errors + nomem + over_limit
					 *   + removed + rotated_out */
	uint64_t sink_queue_full, sink_write_errors, sink_nomem;
	uint64_t sink_over_limit, sink_removed, sink_rotated_out, sink_files_deleted;
	uint64_t sink_in_flight;        /**< taken by the sink, not yet written or lost */
	uint64_t verdict[INGEST_VERDICT_MAX];
	uint64_t seq_received, seq_expected, seq_lost, seq_reordered, seq_duplicate;
	uint64_t seq_out_of_range, seq_resyncs, seq_no_seq;
	uint64_t flows, flow_inserts, flow_evictions;
	uint64_t sink_written, sink_written_bytes, sink_files, sink_rotations;
	/** Summed over the ports (lcx_port_stats): frames lost before rx_total counted them. */
	uint64_t port_rx_missed, port_rx_nombuf, port_rx_errors;
};

/**
 * Sum counters (each read with APP_COUNTER_GET).
 * @param accts one per rx context.
 * @param n how many.
 * @param sink the writer's, or NULL when counting only.
 * @param out the totals. Frames the writer lost are moved from accepted to
 *        sink_dropped, so the identity holds once the writer has drained.
 */
void ingest_totals_sum(const struct ingest_acct *const *accts, unsigned int n,
		       const struct ingest_sink_acct *sink, struct ingest_totals *out);

/** @return true if rx_total == accepted + filtered + malformed + sink_dropped. */
bool ingest_totals_balanced(const struct ingest_totals *t);

/**
 * The totals as one JSON object: "rx_total", "accepted", "filtered",
 * "malformed", "sink_dropped", "filtered_by", "malformed_by", "sink", "seq",
 * "flows", "balanced", ... (doc/ingest.md, "JSON summary, field by field").
 * @return a new reference, or NULL when out of memory.
 */
json_t *ingest_totals_jobj(const struct ingest_totals *t);

/** Write ingest_totals_jobj() (compact, no newline). @return 0, -ENOMEM or -EIO. */
int ingest_totals_json(const struct ingest_totals *t, FILE *f);

#endif /* INGEST_ACCT_H */
