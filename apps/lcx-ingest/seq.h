/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_SEQ_H
#define INGEST_SEQ_H

/**
 * @file
 * Per-flow sequence tracking: loss, reordering, duplicates, with wrap-around.
 *
 * A counter of W bits (W = 8, 16, 32, 64) is read big-endian from the UDP
 * payload (--seq=OFFSET:WIDTH[:MAXJUMP]) or from an RTP header (--seq=rtp:
 * version 2, 16-bit sequence number). Counters are compared in serial-number
 * arithmetic (RFC 1982) and extended to 64 bits, so wrap-around is invisible.
 * For each packet carrying a counter, with h the highest counter seen:
 *
 * - ahead of h by d, 1 <= d <= max_jump: in order (d = 1) or after a gap; the
 *   d - 1 numbers skipped are counted lost (provisionally);
 * - equal to h, or behind h and already received: duplicate;
 * - behind h by b, b < INGEST_SEQ_WINDOW, not received yet: reordered; it was
 *   counted lost when skipped, so lost goes down by one (a number from before
 *   the first packet extends the stream backwards instead);
 * - anything else (ahead by more than max_jump, or behind by the window or
 *   more): out of range, counted and otherwise ignored. If the next packet
 *   carries that number + 1, the sender restarted: the stream resyncs there
 *   (RFC 3550's probation), and the out-of-range packet becomes the first of
 *   the new run.
 *
 * Invariant, checked by the tests:
 *   received - duplicate - out_of_range + lost == expected
 * where expected counts every number from the first to the highest of each
 * run since the last resync, summed over runs.
 */

#include <stdbool.h>
#include <stdint.h>

/** Reorder window: how far behind the highest a packet may come and be placed. */
#define INGEST_SEQ_WINDOW 1024

/** Where the counter is. */
enum ingest_seq_mode {
	INGEST_SEQ_NONE = 0, /**< no tracking */
	INGEST_SEQ_FIELD,    /**< big-endian field at an offset of the payload */
	INGEST_SEQ_RTP,      /**< RTP v2 sequence number */
};

/** Sequence tracking configuration (one per run). */
struct ingest_seq_conf {
	enum ingest_seq_mode mode; /**< what to read */
	uint16_t offset;           /**< INGEST_SEQ_FIELD: byte offset in the UDP payload */
	uint8_t width;             /**< bytes: 1, 2, 4 or 8 (RTP: 2) */
	uint64_t max_jump;         /**< the largest forward step taken as loss */
};

/** What one packet was. */
enum ingest_seq_event {
	INGEST_SEQ_EV_FIRST = 0,   /**< first of the flow */
	INGEST_SEQ_EV_IN_ORDER,    /**< highest + 1 */
	INGEST_SEQ_EV_GAP,         /**< ahead, after a gap */
	INGEST_SEQ_EV_REORDERED,   /**< late, filled a gap */
	INGEST_SEQ_EV_DUPLICATE,   /**< seen already */
	INGEST_SEQ_EV_OUT_OF_RANGE, /**< too far ahead or behind */
	INGEST_SEQ_EV_RESYNC,      /**< a new run started (sender restart) */
	INGEST_SEQ_EV_NO_SEQ,      /**< payload too short, or not RTP v2 */
};

/** Per-flow state and counters. Zero it to start. Hot fields first. */
struct ingest_seq {
	uint64_t high;         /**< highest extended counter */
	uint64_t first;        /**< extended counter where the current run starts */
	uint64_t received;     /**< packets that carried a counter */
	uint64_t expected;     /**< numbers from first to high, summed over runs */
	uint64_t lost;         /**< numbers skipped and not received since */
	uint64_t cand;         /**< raw counter that would confirm a resync */
	uint8_t started;       /**< a packet was seen */
	uint8_t has_cand;      /**< cand is valid */
	uint64_t reordered;    /**< late packets placed in a gap */
	uint64_t duplicate;    /**< packets seen before */
	uint64_t out_of_range; /**< packets too far from the highest */
	uint64_t resyncs;      /**< new runs after an out-of-range packet */
	uint64_t no_seq;       /**< packets without a counter */
	uint64_t window[INGEST_SEQ_WINDOW / 64]; /**< received bits, by counter mod window */
};

/**
 * Parse "OFFSET:WIDTH[:MAXJUMP]" or "rtp[:MAXJUMP]".
 * Default max_jump: RTP 3000 (RFC 3550's MAX_DROPOUT); a field of W bits
 * min(2^(W-1) - 1, 2^20).
 * @return 0, or -EINVAL.
 */
int ingest_seq_conf_parse(struct ingest_seq_conf *conf, const char *spec);

/**
 * Read the counter of a payload.
 * @param conf the configuration.
 * @param payload the UDP payload.
 * @param len its length.
 * @param raw the counter out.
 * @return true if the payload carries one.
 */
bool ingest_seq_extract(const struct ingest_seq_conf *conf, const uint8_t *payload, uint32_t len,
			uint64_t *raw);

/**
 * Account one counter value.
 * @param s the flow's state.
 * @param conf the configuration.
 * @param raw the counter (only the low width*8 bits count).
 * @return what the packet was.
 */
enum ingest_seq_event ingest_seq_update(struct ingest_seq *s, const struct ingest_seq_conf *conf,
					uint64_t raw);

/** Account one packet: extract, then update (or count no_seq). */
enum ingest_seq_event ingest_seq_packet(struct ingest_seq *s, const struct ingest_seq_conf *conf,
					const uint8_t *payload, uint32_t len);

/**
 * The common cases of a 4-byte field counter at payload offset `offset`,
 * inline: the highest + 1 (in order), or a number already received within the
 * window (duplicate). Same effect as ingest_seq_packet() on those; anything
 * else is left alone.
 * @param s the flow's state.
 * @param offset the counter's offset in the payload (the configuration's).
 * @param payload the UDP payload.
 * @param len its length.
 * @param ev the event, out, when handled.
 * @return true if handled; false: call ingest_seq_packet() (s untouched).
 */
static inline bool
ingest_seq_try_field4(struct ingest_seq *s, uint32_t offset, const uint8_t *payload, uint32_t len,
		      enum ingest_seq_event *ev)
{
	const uint8_t *p = payload + offset;
	uint32_t raw, d, b;
	uint64_t ext, i;

	if (!s->started || s->has_cand || offset + 4 > len)
		return false;
	raw = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	d = raw - (uint32_t)s->high;
	if (d == 1) {
		ext = s->high + 1;
		i = ext % INGEST_SEQ_WINDOW;
		s->window[i / 64] |= 1ull << (i % 64); /* the one bit to clear, then set */
		s->high = ext;
		s->expected++;
		s->received++;
		*ev = INGEST_SEQ_EV_IN_ORDER;
		return true;
	}
	/* Behind by b (0: equal to the highest), inside the window and the run. */
	b = (uint32_t)0 - d;
	if (b < INGEST_SEQ_WINDOW && b <= s->high - s->first) {
		i = (s->high - b) % INGEST_SEQ_WINDOW;
		if ((s->window[i / 64] >> (i % 64)) & 1) {
			s->received++;
			s->duplicate++;
			*ev = INGEST_SEQ_EV_DUPLICATE;
			return true;
		}
	}
	return false;
}

/**
 * ingest_seq_packet() with the common cases of a 4-byte field inline (see
 * ingest_seq_try_field4()). Everything else goes to ingest_seq_packet().
 */
static inline enum ingest_seq_event
ingest_seq_packet_fast(struct ingest_seq *s, const struct ingest_seq_conf *conf,
		       const uint8_t *payload, uint32_t len)
{
	enum ingest_seq_event ev;

	if (conf->mode == INGEST_SEQ_FIELD && conf->width == 4 &&
	    ingest_seq_try_field4(s, conf->offset, payload, len, &ev))
		return ev;
	return ingest_seq_packet(s, conf, payload, len);
}

/** @return the last counter seen, raw (width bits). */
uint64_t ingest_seq_high_raw(const struct ingest_seq *s, const struct ingest_seq_conf *conf);

#endif /* INGEST_SEQ_H */
