/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_FLOW_H
#define BENCH_FLOW_H

/**
 * @file
 * The flow walker and the frame writer of lcx-bench: from a parsed flow spec
 * (spec.h, struct bench_flow), the (src, dst, sport, dport) tuple of each
 * packet, and the bytes of an Ethernet / IPv4 or IPv6 / UDP frame carrying
 * the signature (sig.h). Pure functions of their arguments: no EAL, no clock,
 * no allocation; a walker is read-only once initialised, so any thread may
 * call them (one buffer per writer).
 *
 * Tuple of packet i (i = 0, 1, ...; the stream's sequence number, so a packet
 * refused and sent again keeps its tuple, and a receiver can recompute it):
 * - vary=inc: an odometer over the ranges, sport fastest, then dport, then
 *   src, then dst: with j = i mod period, sport = sport_lo + j mod n_sport,
 *   dport = dport_lo + (j / n_sport) mod n_dport, src = src.lo + (j /
 *   (n_sport n_dport)) mod n_src, dst = dst.lo + j / (n_sport n_dport n_src).
 *   The walk repeats after period = n_sport n_dport n_src n_dst packets
 *   (bench_flow_count(), the number of distinct tuples).
 * - vary=rand: each of the four fields drawn uniformly in its range, the
 *   fields independent: field k of packet i from output 4i + k + 1 of
 *   SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
 *   generators", OOPSLA 2014; the generator that seeds pacer.c's xoshiro256**)
 *   started at the seed, mapped to [0, n) by the high half of a 64 x 64-bit
 *   product (Lemire 2019; bias below n / 2^64 <= 2^-32). Counter-based rather
 *   than a stepped xoshiro256** so that a tuple is a function of (seed, i):
 *   reproducible per seed, and the same for a refused packet sent again.
 *
 * Frames (bench_frame_write()), sizes with the 4-byte FCS that the NIC adds
 * (the buffer gets size - 4 bytes): Ethernet II (no VLAN), then
 * - IPv4: version 4, IHL 5, DSCP/ECN 0, total length, ID 0, no flags, TTL 64,
 *   protocol 17, the header checksum (RFC 791; rte_ipv4_cksum()); UDP
 *   checksum 0 (none: RFC 768 allows it over IPv4);
 * - IPv6: version 6, traffic class 0, flow label 0, payload length, next
 *   header 17, hop limit 64; the UDP checksum is mandatory (RFC 8200 section
 *   8.1): computed over the pseudo-header, the UDP header and the signature
 *   (the padding after the signature is zeros, which add nothing to a ones'
 *   complement sum); 0 is sent as 0xFFFF;
 * - UDP: ports, length; the payload: the signature, then zeros.
 * Smallest sizes: BENCH_SIG_MIN_FRAME_V4 (64) and BENCH_SIG_MIN_FRAME_V6 (84).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"
#include "spec.h"

#define BENCH_ETH_HLEN 14
#define BENCH_FCS_LEN 4

/** The addresses and ports of one packet (addresses big-endian; IPv4 in the first 4 bytes). */
struct bench_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport; /**< host order */
	uint16_t dport; /**< host order */
};

/** A walker over a flow spec. bench_flow_walk_init() it; read-only afterwards. */
struct bench_flow_walk {
	struct bench_flow flow;	   /**< the spec, copied */
	uint64_t n_sport, n_dport; /**< ports in each range, 1..65535 */
	uint64_t n_src, n_dst;	   /**< addresses in each range, 1..2^32 */
	unsigned __int128 period;  /**< distinct tuples: the product of the four */
	uint64_t seed;		   /**< vary=rand: the generator's start */
};

/**
 * Set a walker up.
 *
 * @param w     the walker (caller's memory)
 * @param f     a flow spec from bench_parse_flow(), copied
 * @param seed  vary=rand: any value; the same seed gives the same tuples
 * @return 0, or -EINVAL: a family other than AF_INET / AF_INET6, an empty range
 */
int bench_flow_walk_init(struct bench_flow_walk *w, const struct bench_flow *f, uint64_t seed);

/**
 * The tuple of packet i.
 *
 * @param w  an initialised walker
 * @param i  the packet's number in its stream
 * @param t  filled
 */
void bench_flow_tuple(const struct bench_flow_walk *w, uint64_t i, struct bench_tuple *t);

/** @return the number of distinct tuples (the inc walk's period), saturated at UINT64_MAX */
uint64_t bench_flow_walk_period(const struct bench_flow_walk *w);

/**
 * Where a tuple sits in the odometer (whatever vary is): the receiver's way
 * to tell which flow of the spec a packet belongs to.
 *
 * @param w      an initialised walker
 * @param t      a tuple (e.g. from bench_frame_parse())
 * @param index  set to 0 .. period - 1 (the packet numbers i with i mod
 *               period == index carry this tuple under vary=inc); may be NULL
 * @return 0, or -ENOENT when a field is outside its range, -ERANGE when
 *         period exceeds 2^64 (the index does not fit)
 */
int bench_flow_index(const struct bench_flow_walk *w, const struct bench_tuple *t, uint64_t *index);

/** What the writer needs besides the tuple. */
struct bench_frame_conf {
	uint8_t src_mac[6]; /**< the sending port's address */
	uint8_t dst_mac[6]; /**< the next hop's (or the receiving port's) */
	int family;	    /**< AF_INET or AF_INET6 */
};

/** @return the smallest frame (FCS included) carrying a signature for the family, 0 if unknown */
unsigned int bench_frame_min(int family);

/**
 * Write one frame: headers, signature, zero padding, checksums.
 *
 * @param buf   where (size - BENCH_FCS_LEN bytes are written)
 * @param room  bytes available at buf
 * @param c     MACs and family
 * @param t     the tuple (addresses of c->family)
 * @param size  the frame size with FCS, bench_frame_min(family) .. BENCH_FRAME_MAX
 * @param sig   the signature to carry
 * @return the bytes written (size - 4), or -EINVAL (unknown family, size out
 *         of range, a sequence number above BENCH_SIG_SEQ_MAX), -ENOSPC (room
 *         below size - 4)
 */
int bench_frame_write(void *buf, size_t room, const struct bench_frame_conf *c,
		      const struct bench_tuple *t, unsigned int size, const struct bench_sig *sig);

/** A frame read back (bench_frame_parse()). */
struct bench_frame_info {
	int family;	      /**< AF_INET or AF_INET6 */
	struct bench_tuple t; /**< its addresses and ports */
	uint32_t l3_off;      /**< offset of the IP header (14) */
	uint32_t l4_off;      /**< offset of the UDP header */
	uint32_t payload_off; /**< offset of the UDP payload */
	uint32_t payload_len; /**< UDP length - 8: the payload's bytes, all within the buffer */
	uint16_t udp_cksum;   /**< as found (network order) */
};

/**
 * Read the headers of an Ethernet / IPv4 or IPv6 / UDP frame (no VLAN, no
 * IPv4 options beyond IHL, no IPv6 extension headers). Checks the lengths
 * against each other and the buffer, not the checksums.
 *
 * @param buf  the frame from its Ethernet header (no FCS needed)
 * @param len  bytes at buf
 * @param fi   filled on success
 * @return 0, -EPROTO (not IPv4/IPv6 over Ethernet II, not UDP, an IPv4
 *         fragment), -EMSGSIZE (shorter than its headers, or an
 *         IP or UDP length beyond the buffer or below the header)
 */
int bench_frame_parse(const void *buf, size_t len, struct bench_frame_info *fi);

/**
 * Set the UDP checksum of a parsed frame after its payload changed: IPv6
 * always (RFC 8200), IPv4 only when the frame carried one (a 0 stays 0:
 * RFC 768's "no checksum").
 *
 * @param buf  the frame
 * @param fi   its bench_frame_parse() result (payload_len bytes are summed)
 */
void bench_frame_fix_udp_cksum(void *buf, const struct bench_frame_info *fi);

#endif
