/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_ENGINE_H
#define INGEST_ENGINE_H

/**
 * @file
 * The per-context receive engine, without EAL: parse a frame, count its
 * verdict, update its flow and sequence state. The rx handler (rx.c) calls
 * ingest_engine_burst() on the frames of a burst that are in one piece and
 * ingest_engine_chain() on each chained (multi-segment) one, then decides
 * about the sink; unit tests call them on byte buffers.
 *
 * Byte counts (rx_bytes, a flow's bytes) are whole frames: the link header
 * included, the length of every segment of a chain.
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
 * Process one Ethernet frame in one piece: rx_total, rx_bytes and the verdict counter are bumped;
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

/** A frame in several pieces (a chained mbuf), as the engine sees it. */
struct ingest_chain {
	const uint8_t *first; /**< the first piece */
	uint32_t first_len;   /**< its length, bytes (at most len) */
	uint32_t len;         /**< the frame's length, all pieces, bytes */
	/**
	 * Get n bytes at offset off of the frame (off + n <= len): a pointer to
	 * them where they are in one piece, else copied to buf (n bytes) and buf
	 * returned; NULL if the frame is shorter. rte_pktmbuf_read()'s contract.
	 */
	const void *(*read)(const void *frame, uint32_t off, uint32_t n, void *buf);
	const void *frame;    /**< read's first argument */
};

/**
 * Process one frame given in pieces: as ingest_engine_frame(), for any link
 * type. The headers are parsed from the first piece, or from a copy of the
 * first INGEST_CHAIN_HDR_MAX bytes when the first piece is shorter (headers
 * past them: INGEST_M_CHAIN_HDR); lengths are checked against c->len, which is
 * what rx_bytes and the flow count; the sequence counter is read wherever it
 * is (split over pieces included). Nothing past a piece is read.
 * @param e the engine.
 * @param link the link type of the frame's port.
 * @param c the frame.
 * @param now_ns the time.
 * @param pkt what the parser found (offsets from the start of the frame).
 * @return the verdict.
 */
enum ingest_verdict ingest_engine_chain(struct ingest_engine *e, enum ingest_link link,
					const struct ingest_chain *c, uint64_t now_ns,
					struct ingest_pkt *pkt);

/** Frames handled in one pass of ingest_engine_burst(); more are done in passes. */
#define INGEST_ENGINE_BURST_MAX 512

/**
 * Process a burst of frames, each in one piece, in stages so that memory is
 * fetched ahead: parse every frame (prefetching the next ones), hash the
 * accepted 5-tuples and prefetch their buckets, look the flows up and
 * prefetch them, then count and track. Same effect as ingest_engine_frame()
 * (for another link, ingest_engine_chain() on a one-piece frame) on each
 * frame in order.
 * @param e the engine.
 * @param link the link type of the frames' port (Ethernet: the inline fast path).
 * @param data the frames.
 * @param len their lengths.
 * @param n how many (every one is counted; more than INGEST_ENGINE_BURST_MAX
 *        are done in several passes).
 * @param now_ns the time.
 * @param verdict one verdict per frame, out (n entries).
 */
void ingest_engine_burst(struct ingest_engine *e, enum ingest_link link,
			 const uint8_t *const *data, const uint32_t *len, unsigned int n,
			 uint64_t now_ns, uint8_t *verdict);

#endif /* INGEST_ENGINE_H */
