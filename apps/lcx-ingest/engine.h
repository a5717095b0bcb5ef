/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_ENGINE_H
#define INGEST_ENGINE_H

/**
 * @file
 * The per-context receive engine, without EAL: parse a frame, count its
 * verdict, update its flow and sequence state. The mbuf burst loop (rx.c)
 * calls ingest_engine_frame() once per frame and then decides about the sink;
 * unit tests call it on byte buffers.
 */

#include <stdint.h>

#include "acct.h"
#include "flow.h"
#include "parse.h"
#include "seq.h"

/** One context's engine. */
struct ingest_engine {
	const struct ingest_portset *ports; /**< NULL: every port */
	struct ingest_seq_conf seq;         /**< mode NONE: no tracking */
	struct ingest_flow_table *flows;    /**< NULL: no flow table */
	struct ingest_acct acct;            /**< this context's counters */
};

/**
 * Set up an engine.
 * @param e the engine.
 * @param ports the port filter (kept by pointer), or NULL.
 * @param seq the sequence configuration, or NULL.
 * @param max_flows the flow table size; 0: no flow table (and no seq tracking).
 * @return 0, -EINVAL, or -ENOMEM.
 */
int ingest_engine_init(struct ingest_engine *e, const struct ingest_portset *ports,
		       const struct ingest_seq_conf *seq, uint32_t max_flows);

/** Free what ingest_engine_init() took. */
void ingest_engine_fini(struct ingest_engine *e);

/**
 * Process one frame: rx_total, rx_bytes and the verdict counter are bumped;
 * for INGEST_OK the flow and sequence state too. The caller then counts
 * accepted or sink_queue_full for INGEST_OK frames.
 * @param e the engine.
 * @param data the frame.
 * @param len its length.
 * @param now_ns the time.
 * @param pkt what the parser found.
 * @return the verdict.
 */
enum ingest_verdict ingest_engine_frame(struct ingest_engine *e, const uint8_t *data,
					uint32_t len, uint64_t now_ns, struct ingest_pkt *pkt);

/** The most frames one ingest_engine_burst() call takes. */
#define INGEST_ENGINE_BURST_MAX 512

/**
 * Process a burst of frames, in stages so that memory is fetched ahead: parse
 * every frame (prefetching the next ones), hash the accepted 5-tuples and
 * prefetch their buckets, look the flows up and prefetch them, then count and
 * track. Same effect as ingest_engine_frame() on each frame in order.
 * @param e the engine.
 * @param data the frames.
 * @param len their lengths.
 * @param n how many, at most INGEST_ENGINE_BURST_MAX.
 * @param now_ns the time.
 * @param verdict one verdict per frame, out.
 */
void ingest_engine_burst(struct ingest_engine *e, const uint8_t *const *data, const uint32_t *len,
			 unsigned int n, uint64_t now_ns, uint8_t *verdict);

#endif /* INGEST_ENGINE_H */
