/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_SIG_H
#define BENCH_SIG_H

/**
 * @file
 * The payload signature every lcx-bench packet carries, and the receiver's
 * per-stream account. Not thread-safe: one tracker per stream per receiving
 * thread.
 *
 * Layout (BENCH_SIG_LEN = 18 bytes, big-endian, at the start of the UDP
 * payload):
 *
 *     0  magic   2 bytes  0x4C42 ("LB")
 *     2  stream  2 bytes  stream id, 0..65535
 *     4  seq     6 bytes  sequence number in the stream, 0 .. 2^48 - 1
 *    10  tx      8 bytes  transmit time, ns (the sender's clock)
 *
 * It fits the smallest frame: a 64-byte Ethernet frame (FCS included) with
 * IPv4 and UDP has 64 - 14 (Ethernet) - 20 (IPv4) - 8 (UDP) - 4 (FCS) = 18
 * bytes of payload. With IPv6 (40-byte header) the smallest frame carrying a
 * signature is 14 + 40 + 8 + 18 + 4 = 84 bytes (BENCH_SIG_MIN_FRAME_V6).
 * 48 bits of sequence last 32 days at 100 Mpps: numbers never wrap in a trial.
 * The magic is 16 bits: one foreign packet in 65536 would pass it, so the
 * receiver also checks the stream id is one it expects (the caller's job).
 *
 * Receiver account of one stream (struct bench_rx), fed in arrival order:
 * - received: distinct sequence numbers that arrived in time (a delay of at
 *   most conf.tmax: RFC 7680's loss threshold Tmax; 0 = no threshold);
 * - late: distinct sequence numbers that arrived only after Tmax (RFC 7680
 *   counts them lost; here they are counted apart, and not in lost);
 * - duplicate: arrivals of a sequence number already received or late
 *   (RFC 5560's duplicate; RFC 4737 section 3 leaves them out of reordering);
 * - reordered: arrivals with s < NextExp, NextExp = the highest sequence
 *   number received so far + 1 (RFC 4737 section 3.3, Type-P-Reordered),
 *   duplicates excluded; reorder_max is the largest NextExp - 1 - s seen (a
 *   distance in sequence numbers, not RFC 4737's extent in arrivals);
 * - lost: only known once the trial is over and the drain time has passed
 *   (bench_rx_finish()): lost = sent - received - late, with sent the
 *   sender's own count of the stream. Before that, bench_rx_missing() gives
 *   the provisional gaps (numbers below NextExp not arrived yet);
 * - too_old: arrivals more than BENCH_RX_WINDOW numbers behind NextExp: the
 *   tracker cannot tell a duplicate from a reordered one and counts them here
 *   only (they are in neither received nor duplicate);
 * - after_finish: arrivals after bench_rx_finish() (already counted lost).
 * Invariant after finish: received + late + lost == sent.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_SIG_LEN 18
#define BENCH_SIG_MAGIC 0x4C42u
#define BENCH_SIG_SEQ_MAX ((1ull << 48) - 1)
/** Smallest frames (FCS included) that carry a signature. */
#define BENCH_SIG_MIN_FRAME_V4 (14 + 20 + 8 + BENCH_SIG_LEN + 4)
#define BENCH_SIG_MIN_FRAME_V6 (14 + 40 + 8 + BENCH_SIG_LEN + 4)

/** A signature's fields. */
struct bench_sig {
	uint16_t stream; /**< stream id */
	uint64_t seq;	 /**< 0 .. BENCH_SIG_SEQ_MAX */
	uint64_t tx_ns;	 /**< transmit time, ns */
};

/**
 * Write a signature.
 *
 * @param buf  at least BENCH_SIG_LEN bytes
 * @param len  room in buf
 * @return 0, -ENOSPC (len < BENCH_SIG_LEN) or -ERANGE (seq above BENCH_SIG_SEQ_MAX)
 */
int bench_sig_write(void *buf, size_t len, const struct bench_sig *sig);

/**
 * Read a signature.
 *
 * @return 0, -EMSGSIZE (len < BENCH_SIG_LEN) or -EBADMSG (not the magic)
 */
int bench_sig_read(const void *buf, size_t len, struct bench_sig *sig);

/** Sequence numbers remembered behind NextExp, for duplicates and reordering. */
#define BENCH_RX_WINDOW 4096u

/** Receiver configuration of a stream. */
struct bench_rx_conf {
	uint64_t tmax_ns; /**< loss threshold: a delay above is late; 0 = none */
};

/** What an arrival was. */
enum bench_rx_event {
	BENCH_RX_IN_ORDER = 0, /**< s == NextExp */
	BENCH_RX_GAP,	       /**< s > NextExp: numbers skipped (missing for now) */
	BENCH_RX_REORDERED,    /**< s < NextExp, first arrival of s */
	BENCH_RX_DUPLICATE,    /**< s arrived before */
	BENCH_RX_LATE,	       /**< first arrival of s, delay above tmax */
	BENCH_RX_TOO_OLD,      /**< more than the window behind */
	BENCH_RX_AFTER_FINISH, /**< after bench_rx_finish() */
	BENCH_RX_INVALID,      /**< seq above BENCH_SIG_SEQ_MAX */
};

/** Per-stream receiver state and counters. bench_rx_init() it. */
struct bench_rx {
	struct bench_rx_conf conf;
	uint64_t next_exp; /**< NextExp: highest received or late + 1 (0 before any) */
	uint64_t received;
	uint64_t late;
	uint64_t duplicate;
	uint64_t reordered;
	uint64_t reorder_max;
	uint64_t too_old;
	uint64_t after_finish;
	uint64_t invalid;
	uint64_t lost; /**< set by bench_rx_finish() */
	bool finished;
	uint64_t seen[BENCH_RX_WINDOW / 64]; /**< bit s % WINDOW: s arrived (s in the window) */
};

/** Set a tracker up. */
void bench_rx_init(struct bench_rx *rx, const struct bench_rx_conf *conf);

/**
 * One arrival.
 *
 * @param sig    the packet's signature (stream already matched by the caller)
 * @param rx_ns  arrival time, ns (same clock as sig->tx_ns for tmax to mean anything)
 * @return what it was
 */
enum bench_rx_event bench_rx_add(struct bench_rx *rx, const struct bench_sig *sig, uint64_t rx_ns);

/** @return numbers below NextExp that have not arrived (provisional loss) */
uint64_t bench_rx_missing(const struct bench_rx *rx);

/**
 * Close the account, after the drain time: lost = sent - received - late.
 *
 * @param sent  the sender's count of packets of this stream (seq 0 .. sent - 1)
 * @return 0, or -EPROTO when more distinct numbers arrived than were sent, or
 *         one at or above sent (lost is then 0 and the trial is not to be trusted)
 */
int bench_rx_finish(struct bench_rx *rx, uint64_t sent);

#endif
