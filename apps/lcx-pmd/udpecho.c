/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpecho: send every UDP datagram (IPv4 or IPv6, at most one VLAN tag, not a
 * fragment) back out of the port and queue it came in on, with the MAC and IP
 * addresses and the UDP ports swapped. Swapping leaves the IPv4 and UDP
 * checksums valid. Anything else is freed and counted as ignored.
 */

#include <rte_ip.h>
#include <rte_udp.h>

#include "pmd.h"

/* Swap in place; false if the packet is not an echoable UDP datagram. */
static inline bool
echo_one(struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t off = sizeof(struct rte_ether_hdr);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	uint16_t type;
	struct rte_udp_hdr *udp;

	if (len < off)
		return false;
	type = eth->ether_type;
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		if (len < off + sizeof(struct rte_vlan_hdr))
			return false;
		type = ((struct rte_vlan_hdr *)(p + off))->eth_proto;
		off += sizeof(struct rte_vlan_hdr);
	}
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + off);
		uint32_t ihl;
		rte_be32_t a;

		if (len < off + sizeof(*ip))
			return false;
		ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
		if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
		    ip->next_proto_id != IPPROTO_UDP ||
		    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK |
							     RTE_IPV4_HDR_MF_FLAG)) != 0 ||
		    len < off + ihl + sizeof(*udp))
			return false;
		a = ip->src_addr;
		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		udp = (struct rte_udp_hdr *)(p + off + ihl);
	} else if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + off);
		uint8_t a[16];

		if (len < off + sizeof(*ip6) + sizeof(*udp) || ip6->proto != IPPROTO_UDP)
			return false;
		memcpy(a, ip6->src_addr, 16);
		memcpy(ip6->src_addr, ip6->dst_addr, 16);
		memcpy(ip6->dst_addr, a, 16);
		udp = (struct rte_udp_hdr *)(ip6 + 1);
	} else {
		return false;
	}
	rte_be16_t port = udp->src_port;

	udp->src_port = udp->dst_port;
	udp->dst_port = port;

	struct rte_ether_addr tmp;

	rte_ether_addr_copy(&eth->dst_addr, &tmp);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&tmp, &eth->src_addr);
	return true;
}

static void
udpecho_rx(struct lcx_port *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct fwd_stream *fs = arg;
	struct rte_mbuf *out[PMD_BURST_MAX];
	struct rte_mbuf *bad[PMD_BURST_MAX];
	uint16_t nb_out = 0, nb_bad = 0;

	(void)port;
	(void)queue;
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (echo_one(pkts[i]))
			out[nb_out++] = pkts[i];
		else
			bad[nb_bad++] = pkts[i];
	}
	if (nb_bad != 0) {
		APP_COUNTER_ADD(fs->ignored, nb_bad);
		rte_pktmbuf_free_bulk(bad, nb_bad);
	}
	if (nb_out == 0)
		return;
	fwd_stream_send(fs, out, nb_out);
}

/* Back out of the port it came in on, whatever --port-topology says. */
static uint16_t
same_port(uint16_t rx_port)
{
	return rx_port;
}

const struct fwd_engine udpecho_engine = {
	.name = "udpecho",
	.help = "UDP back out of the port it came in on, MACs, IPs, ports swapped",
	.rx = udpecho_rx,
	.tx_port_of = same_port,
};
