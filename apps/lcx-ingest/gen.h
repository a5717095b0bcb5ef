/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_GEN_H
#define INGEST_GEN_H

/**
 * @file
 * Frame and pcap generator for lcx-ingest: the embedded default input, the
 * malformed-frame corpus of the tests, the fuzzer's seeds and the benchmarks'
 * traffic. Pure code (stdio only).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"

/** What one generated UDP frame looks like. */
struct ingest_gen_udp {
	uint8_t ipver;        /**< 4 or 6 */
	uint8_t nb_vlan;      /**< 0, 1 or 2 tags (the outer one 802.1ad) */
	uint16_t vlan[2];     /**< VLAN ids */
	uint8_t ip4_optlen;   /**< bytes of IPv4 options (multiple of 4, at most 40) */
	uint8_t nb_ip6_ext;   /**< IPv6 destination-options headers (8 bytes each) before UDP */
	uint32_t src;         /**< IPv4 source (host order); IPv6: last 32 bits of 2001:db8::/96 */
	uint32_t dst;         /**< IPv4 destination; IPv6 as src */
	uint16_t sport;       /**< UDP source port */
	uint16_t dport;       /**< UDP destination port */
	uint16_t payload_len; /**< UDP payload bytes */
	uint8_t seq_width;    /**< 0: none; 1, 2, 4, 8: write seq big-endian at seq_off */
	uint16_t seq_off;     /**< offset of the counter in the payload */
	uint64_t seq;         /**< its value */
	uint8_t rtp;          /**< 1: the payload starts with an RTP header carrying seq */
};

/**
 * Build one Ethernet frame.
 * @param buf where to write.
 * @param cap its size.
 * @param g the description.
 * @return the frame length, or 0 if it does not fit in cap.
 */
size_t ingest_gen_frame(uint8_t *buf, size_t cap, const struct ingest_gen_udp *g);

/** Recompute the IPv4 header checksum of a frame built by ingest_gen_frame(). */
void ingest_gen_ip4_csum(uint8_t *ip, size_t ihl);

/**
 * Start a pcap file (microsecond, LINKTYPE_ETHERNET, snaplen 65535).
 * @return 0, or -errno.
 */
int ingest_pcap_header(FILE *f);

/**
 * Append one record.
 * @return 0, or -errno.
 */
int ingest_pcap_record(FILE *f, const uint8_t *frame, uint32_t len, uint64_t ts_us);

/** Expected verdicts of a corpus. */
struct ingest_corpus_counts {
	uint64_t total;                        /**< frames written */
	uint64_t verdict[INGEST_VERDICT_MAX];  /**< frames per verdict (no port filter) */
};

/**
 * Write the malformed-frame corpus: every malformed reason several times, each
 * bad frame between two valid UDP frames, plus filtered frames (ARP, TCP,
 * fragments). The counts assume no port filter.
 * @param f an open file just past a pcap header (or any stream of records).
 * @param counts filled with what was written.
 * @return 0, or -errno.
 */
int ingest_gen_corpus(FILE *f, struct ingest_corpus_counts *counts);

/**
 * Write valid UDP traffic: nb_flows IPv4 flows to ports base_port..., each with
 * a 4-byte sequence counter at payload offset 0, rounds packets per flow,
 * interleaved.
 * @return 0, or -errno.
 */
int ingest_gen_flows(FILE *f, unsigned int nb_flows, unsigned int rounds, uint16_t base_port,
		     uint16_t payload_len);

#endif /* INGEST_GEN_H */
