/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_PARSE_H
#define INGEST_PARSE_H

/**
 * @file
 * The lcx-ingest frame parser: Ethernet, 802.1Q and QinQ, IPv4 (with options),
 * IPv6 (with extension headers), UDP. Frames of other link types (raw IP,
 * Linux cooked captures v1 and v2, BSD loopback) are parsed from their own
 * link header (ingest_parse_link()). Pure code: it reads a byte buffer and
 * never touches EAL, so unit tests and the fuzzer call it directly.
 *
 * Every frame gets exactly one verdict: INGEST_OK, one filter reason (a valid
 * frame that is not for us) or one malformed reason (a frame whose headers
 * contradict each other or run off the end of the data). The verdict names
 * are stable: they are the keys of the JSON summary and the control socket.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** The verdict of the parser on one frame. */
enum ingest_verdict {
	INGEST_OK = 0, /**< a UDP datagram for one of our ports */

	/* Filtered: well-formed, but not for us. */
	INGEST_F_NOT_IP,   /**< ethertype is neither IPv4 nor IPv6 (ARP, LLDP, ...) */
	INGEST_F_NOT_UDP,  /**< IP, but the transport is not UDP (or ESP, no-next-header) */
	INGEST_F_FRAGMENT, /**< an IPv4 or IPv6 fragment (first or later): not reassembled */
	INGEST_F_PORT,     /**< UDP to a destination port not in --ports */

	/* Malformed. */
	INGEST_M_ETH_TRUNC,   /**< shorter than an Ethernet header */
	INGEST_M_VLAN_TRUNC,  /**< a VLAN tag with nothing (or half a tag) after it */
	INGEST_M_VLAN_DEPTH,  /**< more than two VLAN tags */
	INGEST_M_IP4_TRUNC,   /**< fewer than 20 bytes for the IPv4 header */
	INGEST_M_IP4_VERSION, /**< ethertype IPv4, version field not 4 */
	INGEST_M_IP4_IHL,     /**< IHL below 5 */
	INGEST_M_IP4_OPT_TRUNC, /**< IHL says options run past the data */
	INGEST_M_IP4_TOTLEN,  /**< total length below the header, or past the data */
	INGEST_M_IP6_TRUNC,   /**< fewer than 40 bytes for the IPv6 header */
	INGEST_M_IP6_VERSION, /**< ethertype IPv6, version field not 6 */
	INGEST_M_IP6_PAYLEN,  /**< payload length past the data */
	INGEST_M_IP6_EXT_TRUNC, /**< an extension header runs past the payload */
	INGEST_M_IP6_EXT_DEPTH, /**< more extension headers than INGEST_IP6_EXT_MAX */
	INGEST_M_UDP_TRUNC,   /**< fewer than 8 bytes for the UDP header */
	INGEST_M_UDP_LEN,     /**< UDP length below 8 (0 included), or past the IP payload */
	INGEST_M_LINK_TRUNC,  /**< shorter than its link header (cooked, loopback), or empty */
	INGEST_M_IP_VERSION,  /**< a link without ethertype (raw IP): version neither 4 nor 6 */
	INGEST_M_CHAIN_HDR,   /**< chained frame: headers past the INGEST_CHAIN_HDR_MAX bytes seen */

	INGEST_VERDICT_MAX
};

/** First filter verdict. */
#define INGEST_FILTER_FIRST INGEST_F_NOT_IP
/** First malformed verdict. */
#define INGEST_MALFORMED_FIRST INGEST_M_ETH_TRUNC
/** The most IPv6 extension headers walked before giving up. */
#define INGEST_IP6_EXT_MAX 8
/** The most VLAN tags accepted (802.1Q, then QinQ). */
#define INGEST_VLAN_MAX 2
/**
 * The bytes of a chained (multi-segment) frame that the parser sees in one
 * piece when the first segment is shorter: a copy of the frame's first
 * INGEST_CHAIN_HDR_MAX bytes. A first segment of that length or more is
 * parsed in place. The headers must end within what is seen (the first
 * segment, or this copy), else INGEST_M_CHAIN_HDR.
 */
#define INGEST_CHAIN_HDR_MAX 512

/** The link layer of a port's frames: what comes before the IP header. */
enum ingest_link {
	INGEST_LINK_ETH = 0, /**< Ethernet (pcap link type 1), VLAN tags allowed */
	INGEST_LINK_RAW,     /**< none: the frame starts with the IP header (101, 12, 14, 228, 229) */
	INGEST_LINK_SLL,     /**< Linux cooked capture v1, 16 bytes (113) */
	INGEST_LINK_SLL2,    /**< Linux cooked capture v2, 20 bytes (276) */
	INGEST_LINK_NULL,    /**< BSD loopback: 4-byte address family, either byte order (0, 108) */
	INGEST_LINK_MAX
};

/**
 * The link of a pcap link type (as libpcap's pcap_datalink() gives it).
 * @param linktype the pcap link type (LINKTYPE_ or DLT_ value).
 * @return an enum ingest_link, or -ENOTSUP for a link type lcx-ingest does
 *         not decode.
 */
int ingest_link_from_pcap(int linktype);

/** @return the link's name ("ethernet", "raw", "sll", "sll2", "null"), "unknown" if out of range. */
const char *ingest_link_name(enum ingest_link link);

/** @return true for a filter verdict. */
static inline bool
ingest_verdict_is_filter(enum ingest_verdict v)
{
	return v >= INGEST_FILTER_FIRST && v < INGEST_MALFORMED_FIRST;
}

/** @return true for a malformed verdict. */
static inline bool
ingest_verdict_is_malformed(enum ingest_verdict v)
{
	return v >= INGEST_MALFORMED_FIRST && v < INGEST_VERDICT_MAX;
}

/**
 * @return the stable name of a verdict ("ok", "not_ip", "ip4_ihl", ...), or
 *         "unknown" for a value out of range.
 */
const char *ingest_verdict_name(enum ingest_verdict v);

/** The 5-tuple of a UDP datagram, in network byte order, zero padded. */
struct ingest_flow_key {
	uint8_t src[16];  /**< source address; IPv4 in the first 4 bytes */
	uint8_t dst[16];  /**< destination address */
	uint16_t sport;   /**< source port, network order */
	uint16_t dport;   /**< destination port, network order */
	uint8_t proto;    /**< 17 */
	uint8_t ipver;    /**< 4 or 6 */
	uint8_t pad[2];   /**< zero */
};

/** What the parser found in an accepted (or port-filtered) frame. */
struct ingest_pkt {
	struct ingest_flow_key key; /**< the 5-tuple */
	uint16_t l3_off;            /**< offset of the IP header */
	uint16_t l4_off;            /**< offset of the UDP header */
	uint16_t payload_off;       /**< offset of the UDP payload */
	uint16_t payload_len;       /**< UDP length - 8 */
	uint16_t vlan_outer;        /**< outer VLAN id, 0 when untagged */
	uint16_t vlan_inner;        /**< inner VLAN id (QinQ), 0 when none */
	uint8_t nb_vlan;            /**< tags seen: 0, 1 or 2 */
};

/** A set of UDP destination ports: one bit per port. */
struct ingest_portset {
	uint64_t bits[65536 / 64]; /**< bit p set: port p accepted */
	bool all;                  /**< no --ports given: every port accepted */
};

/** Make a set that accepts every port. */
void ingest_portset_all(struct ingest_portset *ps);

/**
 * Parse a list like "5000-5999,7000" into a set (replacing its content).
 * @param ps the set.
 * @param spec the list: ports and inclusive ranges, comma separated.
 * @return 0, or -EINVAL (syntax, port above 65535, range upside down, empty).
 */
int ingest_portset_parse(struct ingest_portset *ps, const char *spec);

/** @return true if port (host order) is in the set. */
static inline bool
ingest_portset_has(const struct ingest_portset *ps, uint16_t port)
{
	return ps->all || (ps->bits[port >> 6] >> (port & 63)) & 1;
}

/** @return how many ports the set holds (65536 for "all"). */
uint32_t ingest_portset_count(const struct ingest_portset *ps);

/**
 * Parse one frame.
 * @param data the frame, starting at the Ethernet header.
 * @param len its length in bytes.
 * @param ports the destination ports to accept; NULL accepts every port.
 * @param out filled for INGEST_OK and INGEST_F_PORT (the 5-tuple and offsets);
 *        partly filled or untouched otherwise.
 * @return the verdict.
 */
enum ingest_verdict ingest_parse(const uint8_t *data, uint32_t len,
				 const struct ingest_portset *ports, struct ingest_pkt *out);

/**
 * Parse one frame of any link type, possibly seen in part.
 * @param link the link type of the frame's port.
 * @param data the frame, starting at its link header.
 * @param avail the bytes readable at data: len for a frame in one piece, the
 *        first bytes of a chained frame (its headers must end there, else
 *        INGEST_M_CHAIN_HDR; nothing past avail is read).
 * @param len the frame's length in bytes (every length check is against it).
 * @param ports the destination ports to accept; NULL accepts every port.
 * @param out as for ingest_parse(); offsets count from the link header.
 * @return the verdict. Same result as ingest_parse() for INGEST_LINK_ETH and
 *         avail == len.
 */
enum ingest_verdict ingest_parse_link(enum ingest_link link, const uint8_t *data, uint32_t avail,
				      uint32_t len, const struct ingest_portset *ports,
				      struct ingest_pkt *out);

/**
 * ingest_parse() without its fast path for untagged IPv4/UDP: the general
 * parser, which ingest_parse() falls back to. Same contract and same result
 * on every input (the tests compare them).
 */
enum ingest_verdict ingest_parse_general(const uint8_t *data, uint32_t len,
					 const struct ingest_portset *ports,
					 struct ingest_pkt *out);

/* The fast path, inline so that the burst loop of the engine has no call for
 * the common case. Internal to lcx-ingest: call ingest_parse(). */

#define INGEST__L3 14 /* Ethernet header, untagged */
#define INGEST__L4 34 /* + IPv4 header without options */
#define INGEST__L7 42 /* + UDP header */

static inline uint16_t
ingest__rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

_Static_assert(offsetof(struct ingest_pkt, l3_off) == 40 &&
	       offsetof(struct ingest_pkt, l4_off) == 42 &&
	       offsetof(struct ingest_pkt, payload_off) == 44 &&
	       offsetof(struct ingest_pkt, payload_len) == 46 &&
	       offsetof(struct ingest_pkt, vlan_outer) == 48, "ingest_pkt layout");

/* Fill out for an untagged IPv4/UDP frame without options: what the general
 * parser writes, as whole words (so that the hash, which reads the key as
 * words right after, is fed by store forwarding). */
static inline void
ingest__parse_fill_ip4udp(struct ingest_pkt *out, const uint8_t *ip, uint32_t ulen)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t src, dst, ports;
	uint64_t w0, w2, w4, zero = 0, o;
	uint8_t *k = (uint8_t *)&out->key;

	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	memcpy(&ports, ip + 20, 4);
	w0 = src;
	w2 = dst;
	w4 = ports | (uint64_t)17 << 32 | (uint64_t)4 << 40; /* ports, proto, ipver, pad */
	memcpy(k, &w0, 8);
	memcpy(k + 8, &zero, 8);
	memcpy(k + 16, &w2, 8);
	memcpy(k + 24, &zero, 8);
	memcpy(k + 32, &w4, 8);
	o = INGEST__L3 | (uint64_t)INGEST__L4 << 16 | (uint64_t)INGEST__L7 << 32 |
	    (uint64_t)(ulen - 8) << 48;
	memcpy((uint8_t *)out + offsetof(struct ingest_pkt, l3_off), &o, sizeof(o));
	memset((uint8_t *)out + offsetof(struct ingest_pkt, vlan_outer), 0,
	       sizeof(*out) - offsetof(struct ingest_pkt, vlan_outer));
#else
	memset(out, 0, sizeof(*out));
	out->key.proto = 17;
	out->key.ipver = 4;
	memcpy(out->key.src, ip + 12, 4);
	memcpy(out->key.dst, ip + 16, 4);
	memcpy(&out->key.sport, ip + 20, 2);
	memcpy(&out->key.dport, ip + 22, 2);
	out->l3_off = INGEST__L3;
	out->l4_off = INGEST__L4;
	out->payload_off = INGEST__L7;
	out->payload_len = (uint16_t)(ulen - 8);
#endif
}

/* ingest_parse(): the common case (untagged IPv4 without options, not a
 * fragment, UDP, lengths consistent) with the general parser's checks in
 * fewer branches, the rest by the general parser. */
static inline enum ingest_verdict
ingest__parse_fast(const uint8_t *data, uint32_t len, const struct ingest_portset *ports,
		   struct ingest_pkt *out)
{
	const uint8_t *ip = data + INGEST__L3;
	uint32_t totlen, ulen;

	/* len in [42, 65535] (longer frames, rare, go to the general parser). */
	if (len - INGEST__L7 > 65535u - INGEST__L7)
		return ingest_parse_general(data, len, ports, out);
	totlen = ingest__rd16(ip + 2);
	ulen = ingest__rd16(ip + 24);
	/* ethertype IPv4, version 4 and IHL 5, UDP, MF clear and offset 0;
	 * 28 <= totlen <= len - 14 (room for UDP); 8 <= ulen <= totlen - 20. */
	if (ingest__rd16(data + 12) != 0x0800 || ip[0] != 0x45 || ip[9] != 17 ||
	    (ingest__rd16(ip + 6) & 0x3fff) != 0 || totlen - 28 > len - INGEST__L7 ||
	    ulen - 8 > totlen - 28)
		return ingest_parse_general(data, len, ports, out);
	ingest__parse_fill_ip4udp(out, ip, ulen);
	if (ports != NULL && !ingest_portset_has(ports, ingest__rd16(ip + 22)))
		return INGEST_F_PORT;
	return INGEST_OK;
}

#endif /* INGEST_PARSE_H */
