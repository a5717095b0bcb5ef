/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "socket" port driver: kernel UDP sockets as a port.
 *
 * devargs: a comma-separated list of "ADDR:PORT" or "ADDR:PORT-PORT" (a
 * range), ADDR an IPv4 address or an IPv6 one in brackets, for example
 * "127.0.0.1:5000-5999,0.0.0.0:7000,[::1]:8000,[::]:7000". Link-local
 * addresses with a scope ("[fe80::1%eth0]") are not supported (-EINVAL). One
 * socket is bound per address and port; socket i goes to rx queue i % nb_rxq.
 * IPv6 sockets are IPV6_V6ONLY, so "[::]:P" and "0.0.0.0:P" can both be
 * bound. Each socket's receive buffer is lcx_port_conf.rcvbuf (see
 * lcx/port.h).
 *
 * What an rx mbuf holds: a synthesised Ethernet / IPv4 / UDP header (42 bytes)
 * followed by the datagram's payload, so that a program parses socket packets
 * as it parses frames from a NIC (an IPv6 socket: Ethernet / IPv6 / UDP, 62
 * bytes, described after the IPv4 one):
 *  - Ethernet: both MAC addresses zero, ethertype IPv4;
 *  - IPv4: version 4, IHL 5, TTL 64, protocol UDP, no fragment, a valid header
 *    checksum; source = the sender's address, destination = the address the
 *    datagram was sent to (IP_PKTINFO when the socket is bound to 0.0.0.0,
 *    otherwise the bound address);
 *  - UDP: source port = the sender's, destination port = the bound port, length
 *    = 8 + payload, checksum 0 (none);
 *  - mbuf: packet_type L2_ETHER | L3_IPV4 | L4_UDP, l2_len 14, l3_len 20.
 * From an IPv6 socket: ethertype IPv6; IPv6 version 6, traffic class and flow
 * label 0, payload length = 8 + payload, next header UDP, hop limit 64,
 * source = the sender's address, destination = the address the datagram was
 * sent to (IPV6_PKTINFO when bound to [::], otherwise the bound address); UDP
 * as above; packet_type L2_ETHER | L3_IPV6 | L4_UDP, l2_len 14, l3_len 40.
 * The IPv6 UDP checksum is computed (RFC 8200 forbids 0 there), over the
 * chain when there is one; IPv4 frames carry UDP checksum 0 ("none").
 * The family is tested once per recvmmsg() call, not per datagram.
 * A datagram larger than the mbuf's room after those 42 (62) bytes lands in a
 * per-entry 64 KiB spill behind the mbuf and is copied into chained segments
 * from the port's pool: every UDP datagram arrives whole (pkt_len = header +
 * datagram). No segment mbuf: the datagram is dropped and counted in
 * rx_nombuf. Socket errors count in rx_errors. Datagrams the kernel dropped
 * (buffer full, ...) are rx_missed: the sockets' sk_drops (SO_MEMINFO), read
 * at each stats() call.
 *
 * What tx takes: an mbuf with an Ethernet / IPv4 / UDP or Ethernet / IPv6 /
 * UDP header (as above, or as a NIC would send it; IPv6 without extension
 * headers). The payload goes to the IP destination and UDP destination port
 * with sendmmsg(), from the socket of that IP version bound to the UDP source
 * port (and source address, when several sockets share the port), or from one
 * of the port's sockets of that version when none is. A chain of up to
 * TX_SEGS segments is one datagram. An mbuf that is not IPv4/UDP or
 * IPv6/UDP, of more segments, or whose lengths do not hold, is freed and counted in
 * tx_errors; one for which the port has no socket of its IP version is freed
 * and counted in tx_dropped.
 *
 * Receive is throttled like everything else on a context: an idle socket
 * costs no system call. Each socket is a source on its rx queue's context; a
 * task per socket waits for it to become readable (tick readiness: an event
 * of a react round newer than the wait) and puts it on the queue's ready list.
 * The rx burst calls recvmmsg() on the ready sockets only, round robin, until
 * one returns less than it asked (drained, or EAGAIN); the socket then waits
 * again (lcx_source_poll()). Readiness is level-triggered, so data that came
 * between the last read and the wait is reported at the next react.
 *
 * The ring budget (doc/design.md): a socket that had data within the last
 * throttle is "hot" and read again at the first poll HOT_GAP_NS or more after
 * its last read, readable or not, so that the wake-up the budget timed reads
 * it; each queue measures the kernel's truesize per datagram (SO_MEMINFO) and
 * sets its ring size to SO_RCVBUF / truesize datagrams.
 */

/* rte_ipv6_udptcp_cksum_mbuf() is experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <lcx/context.h>
#include <lcx/driver/port.h>
#include <lcx/reactor.h>
#include <lcx/task.h>

RTE_LOG_REGISTER(lcx_logtype_socket, lcx.net.socket, NOTICE);
#define SOCK_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, lcx_logtype_socket, "lcx.net.socket: " fmt "\n", ##__VA_ARGS__)

/* The synthesised headers in front of the payload. */
#define HDR_LEN (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))
#define HDR6_LEN (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_udp_hdr))
/* sendmmsg() batch, and segments of one mbuf it sends (a 64 KiB datagram in 2 KiB mbufs: 33). */
#define TX_BATCH 64
#define TX_SEGS 64
/*
 * Kernel memory per queued datagram (skb truesize) before the first
 * measurement: a datagram of up to about 1.5 KiB; the smallest the budget
 * assumes ever (a 1-byte datagram on loopback takes 832).
 */
#define SKB_TRUESIZE_EST 2304
#define SKB_TRUESIZE_MIN 512
/* How often a queue measures the truesize of its datagrams. */
#define TRUESIZE_EVERY_NS (10 * 1000 * 1000)
/* A socket that had data is read again without readiness at most this often... */
#define HOT_GAP_NS (50 * 1000)
/* ... until none came for the throttle period, or at least this long. */
#define HOT_IDLE_MIN_NS (100 * 1000)
/* Behind the part of a datagram the first mbuf takes: the most any IPv4 or IPv6 one has left. */
#define SPILL_LEN 65536
/* Sockets of one port. */
#define SOCKS_MAX 65536

/* tx_prepare() results that are not a socket. */
#define TX_BAD (-1)       /* not UDP over IPv4 or IPv6, or lengths that do not hold */
#define TX_NO_SOCKET (-2) /* the port has no socket of the frame's IP version */

#define Q_ADD(q, field, v) __atomic_store_n(&(q)->field, (q)->field + (v), __ATOMIC_RELAXED)
#define Q_GET(q, field) __atomic_load_n(&(q)->field, __ATOMIC_RELAXED)

struct sock_rxq;

_Static_assert(sizeof(struct in6_pktinfo) >= sizeof(struct in_pktinfo), "pktinfo room");

/* A peer's address as recvmmsg() gives it and sendmmsg() takes it. */
union sock_name {
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct sock {
	int fd;
	uint32_t addr;           /* bound, network order (IPv4) */
	uint8_t addr6[16];       /* bound (IPv6) */
	uint16_t port;           /* bound, network order */
	bool v6;                 /* an AF_INET6 socket */
	bool any;                /* bound to 0.0.0.0 or [::]: IP(V6)_PKTINFO gives the dst */
	bool ready;              /* on the ready list */
	bool tasks_dropped;      /* the context stopped with this socket's task queued */
	bool hot;                /* on the hot list */
	struct sock_rxq *rxq;
	struct sock *next_ready;
	struct sock *hot_prev;   /* the hot list: oldest read first */
	struct sock *hot_next;
	uint64_t last_read;      /* context time of the last read, ns */
	uint64_t last_data;      /* ... of the last read that had data */
	struct lcx_source *src;  /* while attached */
	struct lcx_waiter w;
	struct lcx_task task;
};

struct sock_rxq {
	struct sock **socks;     /* this queue's sockets */
	uint32_t nb_socks;
	struct sock *ready_head; /* readable sockets, round robin */
	struct sock *ready_tail;
	struct sock *hot_head;   /* sockets that had data at their last read */
	struct sock *hot_tail;
	struct lcx_context *ctx; /* attached to */
	struct lcx_port_dev *dev;
	uint16_t qid;
	struct rte_mempool *pool;
	uint16_t room;           /* payload bytes an mbuf takes behind an IPv4 header */
	uint16_t room6;          /* ... behind an IPv6 header (20 bytes less) */
	uint16_t seg_room;       /* payload bytes of each further segment */
	uint16_t batch;          /* scratch entries */
	uint32_t rcvbuf;         /* the smallest socket buffer of the port, bytes (SO_RCVBUF) */
	uint32_t truesize;       /* kernel bytes per queued datagram, measured */
	uint32_t ring;           /* rcvbuf / truesize: what the ring budget counts */
	uint64_t truesize_due;   /* context time of the next measurement, ns */
	uint64_t rx_errors;      /* context-written, relaxed */
	uint64_t rx_nombuf;
	struct rte_mbuf **mb;
	struct mmsghdr *msgs;
	struct iovec *iov;       /* two per entry: the first mbuf, the spill */
	char *spill;             /* SPILL_LEN per entry: the rest of a datagram */
	union sock_name *from;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))]; /* or one in_pktinfo */
		struct cmsghdr align;
	} *cmsg;
};

struct sock_txq {
	struct socket_priv *priv;
	uint16_t qid;
	uint64_t tx_errors;      /* sender-written, relaxed */
	uint64_t tx_dropped;     /* no socket of the frame's family; sender-written, relaxed */
	struct mmsghdr msgs[TX_BATCH];
	struct iovec (*iov)[TX_SEGS]; /* TX_BATCH entries */
	union sock_name to[TX_BATCH];
};

struct socket_priv {
	struct sock *socks;
	uint32_t nb;
	uint32_t *by_port;       /* socket indexes sorted by (port, family, addr) */
	uint32_t *by_family[2];  /* the IPv4 sockets' indexes, the IPv6 sockets' */
	uint32_t nb_family[2];
	struct sock_rxq rxq[LCX_PORT_QUEUES_MAX];
	struct sock_txq txq[LCX_PORT_QUEUES_MAX];
	pthread_mutex_t drops_lock; /* stats() callers */
	uint32_t *drops_seen;       /* per socket: the kernel's 32-bit drop count last read */
	uint64_t drops;             /* their sum, wrap-arounds included */
	uint64_t stop_freed;        /* datagrams left in the sockets at stop, discarded */
};

/* --- receive --- */

static void
ready_push(struct sock_rxq *q, struct sock *s)
{
	s->ready = true;
	s->next_ready = NULL;
	if (q->ready_tail != NULL)
		q->ready_tail->next_ready = s;
	else
		q->ready_head = s;
	q->ready_tail = s;
}

static struct sock *
ready_pop(struct sock_rxq *q)
{
	struct sock *s = q->ready_head;

	q->ready_head = s->next_ready;
	if (q->ready_head == NULL)
		q->ready_tail = NULL;
	s->next_ready = NULL;
	s->ready = false;
	return s;
}

/* Wait for the socket to become readable again. */
static void
sock_wait(struct sock_rxq *q, struct sock *s)
{
	int r = lcx_source_poll(s->src, LCX_DIR_READ, &s->w);

	if (r == 1) {
		ready_push(q, s); /* an event newer than the last wait: read again */
	} else if (r < 0) {
		Q_ADD(q, rx_errors, 1);
		SOCK_LOG(ERR, "socket %d: cannot wait for it: %s", s->fd, strerror(-r));
	}
}

static void
sock_task(struct lcx_task *task, void *arg)
{
	struct sock *s = arg;

	(void)task;
	if (s->src == NULL || s->ready)
		return; /* detached, or queued already */
	int r = lcx_source_poll(s->src, LCX_DIR_READ, &s->w);

	if (r == 1)
		ready_push(s->rxq, s);
	else if (r < 0 && r != -EBADF)
		SOCK_LOG(ERR, "socket %d: poll: %s", s->fd, strerror(-r));
}

/* The data of the first control message of (level, type) in mh, or NULL. */
static inline const unsigned char *
cmsg_find(const struct msghdr *mh, int level, int type)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)mh, c))
		if (c->cmsg_level == level && c->cmsg_type == type)
			return CMSG_DATA(c);
	return NULL;
}

static inline void
synth_headers(struct rte_mbuf *m, const struct sock *s, const struct sockaddr_in *from,
	      const struct msghdr *mh, uint32_t len, uint32_t head)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint32_t dst = s->addr;

	if (s->any) {
		const unsigned char *d = cmsg_find(mh, IPPROTO_IP, IP_PKTINFO);

		if (d != NULL) {
			struct in_pktinfo pi;

			memcpy(&pi, d, sizeof(pi));
			dst = pi.ipi_addr.s_addr;
		}
	}
	memset(eth, 0, 2 * RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + len));
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->src_addr = from->sin_addr.s_addr;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = from->sin_port;
	udp->dst_port = s->port;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	udp->dgram_cksum = 0; /* none: legal over IPv4 (RFC 768) */
	m->data_len = (uint16_t)(HDR_LEN + head);
	m->pkt_len = HDR_LEN + len;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
}

/* The UDP checksum is set later, once the whole datagram is in m. */
static inline void
synth_headers6(struct rte_mbuf *m, const struct sock *s, const struct sockaddr_in6 *from,
	       const struct msghdr *mh, uint32_t len, uint32_t head)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	const uint8_t *dst = s->addr6;

	if (s->any) {
		const unsigned char *d = cmsg_find(mh, IPPROTO_IPV6, IPV6_PKTINFO);

		if (d != NULL)
			dst = d + offsetof(struct in6_pktinfo, ipi6_addr);
	}
	memset(eth, 0, 2 * RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(UINT32_C(6) << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, &from->sin6_addr, sizeof(ip->src_addr));
	memcpy(ip->dst_addr, dst, sizeof(ip->dst_addr));
	udp->src_port = from->sin6_port;
	udp->dst_port = s->port;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	udp->dgram_cksum = 0;
	m->data_len = (uint16_t)(HDR6_LEN + head);
	m->pkt_len = HDR6_LEN + len;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6 | RTE_PTYPE_L4_UDP;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
}

/*
 * The tail bytes of a datagram that did not fit in its first mbuf m (they
 * are at src, in the spill) into further segments chained to m.
 * @return 0, or -1 when the pool is out of mbufs (the caller frees m).
 */
static int
chain_tail(struct sock_rxq *q, struct rte_mbuf *m, const char *src, uint32_t tail)
{
	struct rte_mbuf *last = m;

	while (tail > 0) {
		struct rte_mbuf *seg = rte_pktmbuf_alloc(q->pool);
		uint32_t take = tail < q->seg_room ? tail : q->seg_room;

		if (seg == NULL)
			return -1;
		memcpy(rte_pktmbuf_mtod(seg, char *), src, take);
		seg->data_len = (uint16_t)take;
		seg->pkt_len = take;
		last->next = seg;
		last = seg;
		m->nb_segs++;
		src += take;
		tail -= take;
	}
	return 0;
}

/*
 * The datagrams recvmmsg() gave (r of them): headers in front of the good
 * ones, which go to out; the others are freed and counted. Inlined twice
 * with v6 a constant, so the IPv4 path has no per-datagram family test.
 */
static __rte_always_inline uint16_t
recv_finish(struct sock_rxq *q, const struct sock *s, int r, uint16_t room,
	    struct rte_mbuf **out, bool v6)
{
	uint16_t v = 0;

	for (int i = 0; i < r; i++) {
		struct msghdr *mh = &q->msgs[i].msg_hdr;
		struct rte_mbuf *m = q->mb[i];
		uint32_t len = q->msgs[i].msg_len;
		uint32_t head = len < room ? len : room;

		if (mh->msg_flags & MSG_TRUNC) {
			/* Cannot happen: the spill takes the largest datagram. */
			Q_ADD(q, rx_errors, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		if (v6)
			synth_headers6(m, s, &q->from[i].v6, mh, len, head);
		else
			synth_headers(m, s, &q->from[i].v4, mh, len, head);
		if (len > head &&
		    chain_tail(q, m, q->spill + (size_t)i * SPILL_LEN, len - head) < 0) {
			Q_ADD(q, rx_nombuf, 1); /* read from the kernel, lost here: counted */
			rte_pktmbuf_free(m);
			continue;
		}
		if (v6) {
			/* IPv6 forbids UDP checksum 0 (RFC 8200 8.1): compute it. */
			struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
									  RTE_ETHER_HDR_LEN);
			struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

			udp->dgram_cksum =
				m->next == NULL
					? rte_ipv6_udptcp_cksum(ip, udp)
					: rte_ipv6_udptcp_cksum_mbuf(m, ip, RTE_ETHER_HDR_LEN + sizeof(*ip));
		}
		out[v++] = m;
	}
	return v;
}

/* A truesize sample: rmem bytes were queued before a read that drained r datagrams. */
static void
truesize_sample(struct sock_rxq *q, uint32_t rmem, int r)
{
	uint32_t ts = rmem / (uint32_t)r, ring;

	if (ts < SKB_TRUESIZE_MIN)
		ts = SKB_TRUESIZE_MIN;
	/* Up at once, down by 1/8 a sample: the budget errs on the short side. */
	if (ts >= q->truesize)
		q->truesize = ts;
	else
		q->truesize -= (q->truesize - ts) / 8;
	ring = q->rcvbuf / q->truesize;
	if (ring < 2)
		ring = 2;
	if (ring != q->ring) {
		q->ring = ring;
		lcx_port_dev_rx_ring_set(q->dev, q->qid, ring);
	}
}

/*
 * One recvmmsg() of up to want datagrams; the good ones go to out (*nout).
 * @return what recvmmsg() returned, or -1 when it failed (EAGAIN included).
 */
static int
sock_recv(struct sock_rxq *q, struct sock *s, struct rte_mbuf **out, uint16_t want,
	  uint16_t *nout, uint64_t now)
{
	/* One family test per call: where the payload starts, how much fits. */
	uint16_t hdr = s->v6 ? HDR6_LEN : HDR_LEN;
	uint16_t room = s->v6 ? q->room6 : q->room;
	socklen_t namelen = s->v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	uint32_t mem[SK_MEMINFO_VARS];
	bool sample = false;
	int r;

	*nout = 0;
	if (rte_pktmbuf_alloc_bulk(q->pool, q->mb, want) != 0) {
		Q_ADD(q, rx_nombuf, 1);
		return -1;
	}
	for (uint16_t i = 0; i < want; i++) {
		struct msghdr *mh = &q->msgs[i].msg_hdr;

		q->iov[2 * i].iov_base = rte_pktmbuf_mtod_offset(q->mb[i], char *, hdr);
		q->iov[2 * i].iov_len = room;
		q->iov[2 * i + 1].iov_base = q->spill + (size_t)i * SPILL_LEN;
		q->iov[2 * i + 1].iov_len = SPILL_LEN;
		mh->msg_name = &q->from[i];
		mh->msg_namelen = namelen;
		mh->msg_iov = &q->iov[2 * i];
		mh->msg_iovlen = 2;
		mh->msg_control = s->any ? q->cmsg[i].buf : NULL;
		mh->msg_controllen = s->any ? sizeof(q->cmsg[i].buf) : 0;
		mh->msg_flags = 0;
	}
	/* Now and then: the kernel bytes queued, for the truesize of a datagram. */
	if (now >= q->truesize_due) {
		socklen_t ml = sizeof(mem);

		sample = getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mem, &ml) == 0 &&
			 ml >= sizeof(uint32_t) * (SK_MEMINFO_RMEM_ALLOC + 1) &&
			 mem[SK_MEMINFO_RMEM_ALLOC] != 0;
	}
	r = recvmmsg(s->fd, q->msgs, want, MSG_DONTWAIT, NULL);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			Q_ADD(q, rx_errors, 1);
		rte_pktmbuf_free_bulk(q->mb, want);
		return -1;
	}
	if (sample && r > 0 && r < want) {
		/* Drained: the r datagrams were the rmem bytes (and what came since). */
		truesize_sample(q, mem[SK_MEMINFO_RMEM_ALLOC], r);
		q->truesize_due = now + TRUESIZE_EVERY_NS;
	} else if (sample) {
		q->truesize_due = now + TRUESIZE_EVERY_NS / 8;
	}
	*nout = s->v6 ? recv_finish(q, s, r, room, out, true)
		      : recv_finish(q, s, r, room, out, false);
	if (r < want)
		rte_pktmbuf_free_bulk(q->mb + r, (unsigned int)(want - r));
	return r;
}

/* The hot list: sockets that had data lately, oldest read first. */
static void
hot_add(struct sock_rxq *q, struct sock *s)
{
	s->hot = true;
	s->hot_next = NULL;
	s->hot_prev = q->hot_tail;
	if (q->hot_tail != NULL)
		q->hot_tail->hot_next = s;
	else
		q->hot_head = s;
	q->hot_tail = s;
}

static void
hot_del(struct sock_rxq *q, struct sock *s)
{
	if (s->hot_prev != NULL)
		s->hot_prev->hot_next = s->hot_next;
	else
		q->hot_head = s->hot_next;
	if (s->hot_next != NULL)
		s->hot_next->hot_prev = s->hot_prev;
	else
		q->hot_tail = s->hot_prev;
	s->hot = false;
	s->hot_prev = NULL;
	s->hot_next = NULL;
}

static uint16_t
socket_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	struct sock_rxq *q = rxq;
	uint64_t now = lcx_context_now(q->ctx);
	uint16_t got = 0;

	/*
	 * A socket that had data is read again once HOT_GAP_NS passed, readable
	 * or not: readiness comes at reacts only (once a throttle), while the
	 * ring budget wakes the context before the socket buffer is half full,
	 * and that wake-up must read it, as a NIC ring is read at every poll.
	 */
	while (q->hot_head != NULL && now - q->hot_head->last_read >= HOT_GAP_NS) {
		struct sock *s = q->hot_head;

		hot_del(q, s);
		if (!s->ready)
			ready_push(q, s);
	}
	if (q->ready_head == NULL)
		return 0;

	/* Each ready socket is read at most once per burst: a socket that always
	 * has data cannot hold the others back. */
	struct sock *last = q->ready_tail;
	uint64_t idle = lcx_context_throttle(q->ctx);

	if (idle < HOT_IDLE_MIN_NS)
		idle = HOT_IDLE_MIN_NS;
	while (got < n && q->ready_head != NULL) {
		struct sock *s = ready_pop(q);
		uint16_t want = (uint16_t)(n - got), v;
		int r;

		if (s->hot)
			hot_del(q, s);
		if (want > q->batch)
			want = q->batch;
		r = sock_recv(q, s, pkts + got, want, &v, now);
		got = (uint16_t)(got + v);
		s->last_read = now;
		if (r > 0)
			s->last_data = now;
		if (r == want) {
			ready_push(q, s); /* maybe more: read again, after the others */
		} else {
			sock_wait(q, s);  /* drained */
			/* Data within the last throttle: read it again without readiness. */
			if (!s->ready && now - s->last_data < idle)
				hot_add(q, s);
		}
		if (s == last)
			break;
	}
	return got;
}

/* --- send --- */

static int
by_port_cmp(const void *a, const void *b, void *arg)
{
	const struct sock *socks = arg;
	const struct sock *x = &socks[*(const uint32_t *)a], *y = &socks[*(const uint32_t *)b];
	uint16_t px = rte_be_to_cpu_16(x->port), py = rte_be_to_cpu_16(y->port);

	if (px != py)
		return px < py ? -1 : 1;
	if (x->v6 != y->v6)
		return x->v6 ? 1 : -1;
	if (x->v6)
		return memcmp(x->addr6, y->addr6, sizeof(x->addr6));
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* The first of the sockets bound to port, in by_port (p->nb when none is). */
static uint32_t
port_first(const struct socket_priv *p, uint16_t port)
{
	uint16_t want = rte_be_to_cpu_16(port);
	uint32_t lo = 0, hi = p->nb;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rte_be_to_cpu_16(p->socks[p->by_port[mid]].port) < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The socket of the family (v6) bound to (addr, port), or to its wildcard
 * address and port, or NULL. addr: 4 or 16 bytes, network order.
 */
static __rte_always_inline const struct sock *
sock_for(const struct socket_priv *p, bool v6, const void *addr, uint16_t port)
{
	const struct sock *any = NULL;

	for (uint32_t i = port_first(p, port);
	     i < p->nb && p->socks[p->by_port[i]].port == port; i++) {
		const struct sock *s = &p->socks[p->by_port[i]];

		if (s->v6 != v6) {
			if (v6)
				continue;
			break; /* the IPv6 ones sort after */
		}
		if (v6 ? memcmp(s->addr6, addr, sizeof(s->addr6)) == 0
		       : memcmp(&s->addr, addr, sizeof(s->addr)) == 0)
			return s;
		if (s->any && any == NULL)
			any = s;
	}
	return any;
}

/*
 * What tx_prepare() ends with, for either version: sendmmsg() entry k (to[k]
 * is filled in, namelen bytes of it; nseg iovecs) and the socket it goes out
 * of: the one bound to the frame's source (src, sport), or one of the port's
 * sockets of that version.
 */
static __rte_always_inline int
tx_finish(struct sock_txq *q, uint16_t k, socklen_t namelen, int nseg, bool v6,
	  const void *src, uint16_t sport)
{
	const struct socket_priv *p = q->priv;
	const struct sock *s = sock_for(p, v6, src, sport);

	memset(&q->msgs[k], 0, sizeof(q->msgs[k]));
	q->msgs[k].msg_hdr.msg_name = &q->to[k];
	q->msgs[k].msg_hdr.msg_namelen = namelen;
	q->msgs[k].msg_hdr.msg_iov = q->iov[k];
	q->msgs[k].msg_hdr.msg_iovlen = (size_t)nseg;
	if (s != NULL)
		return s->fd;
	if (p->nb_family[v6] == 0)
		return TX_NO_SOCKET;
	return p->socks[p->by_family[v6][q->qid % p->nb_family[v6]]].fd;
}

/* The payload of m from byte off, len bytes, as iovecs; -1 when it does not hold. */
static int
tx_iov(struct iovec *iov, const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t nseg = 0;

	/* The rest of the first segment, then the others. */
	for (const struct rte_mbuf *s = m; s != NULL && len > 0; s = s->next) {
		uint32_t start = s == m ? off : 0;
		uint32_t take = s->data_len - start;

		if (take == 0)
			continue;
		if (nseg == TX_SEGS)
			return -1;
		if (take > len)
			take = len;
		iov[nseg].iov_base = rte_pktmbuf_mtod_offset(s, char *, start);
		iov[nseg].iov_len = take;
		nseg++;
		len -= take;
	}
	return len == 0 ? (int)nseg : -1;
}

/* tx_prepare() for a frame whose ethertype is IPv6. */
static int
tx_prepare6(struct sock_txq *q, struct rte_mbuf *m, uint16_t k)
{
	const struct rte_ipv6_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint32_t off = HDR6_LEN, ulen;
	int nseg;

	if (m->data_len < HDR6_LEN)
		return TX_BAD;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	/* No extension headers: what would sit between them and UDP is not ours to send. */
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || ip->proto != IPPROTO_UDP)
		return TX_BAD;
	udp = (const struct rte_udp_hdr *)(ip + 1);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || ulen > rte_be_to_cpu_16(ip->payload_len) ||
	    ulen - sizeof(*udp) > m->pkt_len - off)
		return TX_BAD;
	nseg = tx_iov(q->iov[k], m, off, ulen - (uint32_t)sizeof(*udp));
	if (nseg < 0)
		return TX_BAD;
	memset(&q->to[k].v6, 0, sizeof(q->to[k].v6));
	q->to[k].v6.sin6_family = AF_INET6;
	memcpy(&q->to[k].v6.sin6_addr, ip->dst_addr, sizeof(ip->dst_addr));
	q->to[k].v6.sin6_port = udp->dst_port;
	return tx_finish(q, k, sizeof(q->to[k].v6), nseg, true, ip->src_addr, udp->src_port);
}

/*
 * Parse an outgoing frame: destination, payload segments. Returns the
 * source socket's fd, TX_BAD when the frame cannot go out as UDP, or
 * TX_NO_SOCKET when the port has no socket of its IP version.
 */
static int
tx_prepare(struct sock_txq *q, struct rte_mbuf *m, uint16_t k)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint32_t ihl, off, ulen;
	int nseg;

	if (m->data_len < HDR_LEN)
		return TX_BAD;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))
			return tx_prepare6(q, m, k);
		return TX_BAD;
	}
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip->next_proto_id != IPPROTO_UDP)
		return TX_BAD;
	off = RTE_ETHER_HDR_LEN + ihl + sizeof(*udp);
	if (m->data_len < off)
		return TX_BAD;
	udp = (const struct rte_udp_hdr *)((const char *)ip + ihl);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || ulen - sizeof(*udp) > m->pkt_len - off)
		return TX_BAD;
	/* Frames may carry padding past the datagram. */
	nseg = tx_iov(q->iov[k], m, off, ulen - (uint32_t)sizeof(*udp));
	if (nseg < 0)
		return TX_BAD;
	q->to[k].v4.sin_family = AF_INET;
	q->to[k].v4.sin_addr.s_addr = ip->dst_addr;
	q->to[k].v4.sin_port = udp->dst_port;
	return tx_finish(q, k, sizeof(q->to[k].v4), nseg, false, &ip->src_addr, udp->src_port);
}

static uint16_t
socket_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n)
{
	struct sock_txq *q = txq;
	uint16_t done = 0;

	while (done < n) {
		uint16_t k = 0;
		int fd = -1, f = TX_BAD;

		/* A run of frames that go out of one socket. */
		while (done + k < n && k < TX_BATCH) {
			f = tx_prepare(q, pkts[done + k], k);
			if (f < 0 || (fd >= 0 && f != fd))
				break;
			fd = f;
			k++;
		}
		if (k == 0) {
			/* pkts[done] cannot go out: drop it. */
			rte_pktmbuf_free(pkts[done]);
			if (f == TX_NO_SOCKET)
				Q_ADD(q, tx_dropped, 1);
			else
				Q_ADD(q, tx_errors, 1);
			done++;
			continue;
		}
		int r = sendmmsg(fd, q->msgs, k, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ||
			    errno == EINTR)
				break; /* the caller keeps the rest */
			/* The first one failed for good (no route, too big, ...). */
			rte_pktmbuf_free(pkts[done]);
			Q_ADD(q, tx_errors, 1);
			done++;
			continue;
		}
		rte_pktmbuf_free_bulk(pkts + done, (unsigned int)r);
		done = (uint16_t)(done + r);
	}
	return done;
}

/* --- attach and detach: on the rx queue's context --- */

static void
sock_unbind(struct sock *s, bool ctx_stopped)
{
	if (s->src == NULL)
		return;
	if (ctx_stopped) {
		/* The stop freed the source and dropped the queued tasks. */
		if (lcx_task_is_queued(&s->task))
			s->tasks_dropped = true;
	} else {
		lcx_waiter_cancel(s->src, &s->w);
		lcx_source_destroy(s->src);
	}
	s->src = NULL;
	s->ready = false;
	s->next_ready = NULL;
}

static void
socket_rxq_detach(struct lcx_port_dev *dev, uint16_t qid, struct lcx_context *ctx,
		  bool ctx_stopped)
{
	struct socket_priv *p = dev->priv;
	struct sock_rxq *q = &p->rxq[qid];

	(void)ctx;
	for (uint32_t i = 0; i < q->nb_socks; i++) {
		struct sock *s = q->socks[i];

		sock_unbind(s, ctx_stopped);
		s->hot = false;
		s->hot_prev = NULL;
		s->hot_next = NULL;
	}
	q->ready_head = NULL;
	q->ready_tail = NULL;
	q->hot_head = NULL;
	q->hot_tail = NULL;
	q->ctx = NULL;
}

static int
socket_rxq_attach(struct lcx_port_dev *dev, uint16_t qid, struct lcx_context *ctx)
{
	struct socket_priv *p = dev->priv;
	struct sock_rxq *q = &p->rxq[qid];
	int ret;

	q->ready_head = NULL;
	q->ready_tail = NULL;
	q->hot_head = NULL;
	q->hot_tail = NULL;
	q->ctx = ctx;
	q->truesize_due = 0; /* measure at the first read */
	lcx_port_dev_rx_ring_set(dev, qid, q->ring);
	for (uint32_t i = 0; i < q->nb_socks; i++) {
		struct sock *s = q->socks[i];

		s->hot = false;
		s->hot_prev = NULL;
		s->hot_next = NULL;
		s->last_read = 0;
		s->last_data = 0;
		lcx_task_init(&s->task, ctx, sock_task, s);
		lcx_waiter_init(&s->w, &s->task);
		s->tasks_dropped = false;
		ret = lcx_source_create(ctx, s->fd, 0, &s->src);
		if (ret < 0) {
			s->src = NULL;
			SOCK_LOG(ERR, "%s rxq %u: socket %d on context %s: %s", dev->name, qid,
				 s->fd, lcx_context_name(ctx), strerror(-ret));
			goto out_detach;
		}
		/* Data queued already is reported at the next react (level). */
		ret = lcx_source_poll(s->src, LCX_DIR_READ, &s->w);
		if (ret < 0) {
			SOCK_LOG(ERR, "%s rxq %u: socket %d: wait: %s", dev->name, qid, s->fd,
				 strerror(-ret));
			goto out_detach;
		}
	}
	return 0;

out_detach:
	socket_rxq_detach(dev, qid, ctx, false);
	return ret;
}

/* --- create and destroy --- */

static int
parse_port(const char *s, const char *end, uint16_t *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return -EINVAL;
	for (const char *c = s; c < end; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/*
 * One "ADDR:PORT", "ADDR:PORT-PORT", "[ADDR6]:PORT" or "[ADDR6]:PORT-PORT"
 * item into s (addr or addr6, v6, any; not the port) and the port range.
 */
static int
parse_item(const char *item, struct sock *s, uint16_t *lo, uint16_t *hi)
{
	const char *start = item, *colon;
	char a[INET6_ADDRSTRLEN];

	memset(s, 0, sizeof(*s));
	if (item[0] == '[') {
		const char *close = strchr(item, ']');

		if (close == NULL || close[1] != ':')
			return -EINVAL;
		start = item + 1;
		colon = close + 1;
		s->v6 = true;
		if ((size_t)(close - start) >= sizeof(a))
			return -EINVAL;
		memcpy(a, start, (size_t)(close - start));
		a[close - start] = '\0';
	} else {
		colon = strrchr(item, ':');
		if (colon == NULL || (size_t)(colon - item) >= sizeof(a))
			return -EINVAL;
		memcpy(a, item, (size_t)(colon - item));
		a[colon - item] = '\0';
	}
	if (s->v6) {
		/* No scope ids ("%eth0"): inet_pton() refuses them. */
		if (inet_pton(AF_INET6, a, s->addr6) != 1)
			return -EINVAL;
		s->any = memcmp(s->addr6, &in6addr_any, sizeof(s->addr6)) == 0;
	} else {
		if (inet_pton(AF_INET, a, &s->addr) != 1)
			return -EINVAL;
		s->any = s->addr == htonl(INADDR_ANY);
	}
	const char *dash = strchr(colon + 1, '-');
	const char *end = colon + 1 + strlen(colon + 1);

	if (parse_port(colon + 1, dash != NULL ? dash : end, lo) < 0)
		return -EINVAL;
	if (dash == NULL) {
		*hi = *lo;
		return 0;
	}
	if (parse_port(dash + 1, end, hi) < 0 || *hi < *lo)
		return -EINVAL;
	return 0;
}

/* Walk the devargs list: count sockets, or (socks != NULL) fill them in. */
static int
parse_devargs(const char *devargs, struct sock *socks, uint32_t *count)
{
	char *copy = strdup(devargs);
	uint32_t n = 0;
	int ret = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (char *rest = copy, *item; (item = strsep(&rest, ",")) != NULL;) {
		struct sock a;
		uint16_t lo, hi;

		if (parse_item(item, &a, &lo, &hi) < 0) {
			SOCK_LOG(ERR, "bad address \"%s\": ADDR:PORT or ADDR:PORT-PORT expected, "
				 "ADDR an IPv4 address or an IPv6 one in brackets ([::1]:5000; "
				 "no scope ids)", item);
			ret = -EINVAL;
			break;
		}
		if (n + (uint32_t)(hi - lo) + 1 > SOCKS_MAX) {
			SOCK_LOG(ERR, "\"%s\": more than %d sockets", devargs, SOCKS_MAX);
			ret = -EINVAL;
			break;
		}
		for (uint32_t port = lo; port <= hi; port++, n++) {
			if (socks == NULL)
				continue;
			socks[n] = a; /* parse_item() zeroed what it did not set */
			socks[n].port = rte_cpu_to_be_16((uint16_t)port);
		}
	}
	free(copy);
	if (ret == 0 && n == 0) {
		SOCK_LOG(ERR, "no address given: devargs \"ADDR:PORT[-PORT],...\" expected");
		ret = -EINVAL;
	}
	*count = n;
	return ret;
}

/*
 * Open and bind the socket. Its receive buffer is rcvbuf bytes as far as the
 * kernel allows (force: try SO_RCVBUFFORCE first, which net.core.rmem_max
 * does not cap); *rcvbuf_out is what getsockopt() reads back, or 0.
 */
static int
sock_open(struct sock *s, int rcvbuf, bool force, int *rcvbuf_out)
{
	union sock_name sa;
	socklen_t salen;
	int one = 1, fd, err;
	socklen_t len = sizeof(*rcvbuf_out);

	memset(&sa, 0, sizeof(sa));
	fd = socket(s->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (s->v6) {
		/* IPv6 only, so that [::]:P and 0.0.0.0:P can both be bound. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			goto out_err;
		if (s->any &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto out_err;
		sa.v6.sin6_family = AF_INET6;
		memcpy(&sa.v6.sin6_addr, s->addr6, sizeof(s->addr6));
		sa.v6.sin6_port = s->port;
		salen = sizeof(sa.v6);
	} else {
		if (s->any && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto out_err;
		sa.v4.sin_family = AF_INET;
		sa.v4.sin_addr.s_addr = s->addr;
		sa.v4.sin_port = s->port;
		salen = sizeof(sa.v4);
	}
	/* Best effort: SO_RCVBUFFORCE needs CAP_NET_ADMIN, rmem_max caps SO_RCVBUF. */
	if (!force || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf_out, &len) < 0)
		*rcvbuf_out = 0;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		goto out_err;
	s->fd = fd;
	return 0;

out_err:
	err = errno;
	close(fd);
	return -err;
}

static void
socks_close(struct socket_priv *p)
{
	for (uint32_t i = 0; i < p->nb; i++)
		if (p->socks[i].fd >= 0)
			close(p->socks[i].fd);
}

static void
queues_free(struct socket_priv *p)
{
	for (int q = 0; q < LCX_PORT_QUEUES_MAX; q++) {
		struct sock_rxq *r = &p->rxq[q];

		free(r->socks);
		free(r->mb);
		free(r->msgs);
		free(r->iov);
		free(r->spill);
		free(r->from);
		free(r->cmsg);
		free(p->txq[q].iov);
	}
}

static int
queues_alloc(struct lcx_port_dev *dev, struct socket_priv *p)
{
	const struct lcx_port_conf *c = &dev->conf;
	uint32_t data_room = rte_pktmbuf_data_room_size(dev->pool);
	uint32_t room = data_room > RTE_PKTMBUF_HEADROOM + HDR_LEN
				? data_room - RTE_PKTMBUF_HEADROOM - HDR_LEN
				: 0;

	if (room == 0) {
		SOCK_LOG(ERR, "%s: mbufs of %u bytes leave no room for a datagram", dev->name,
			 data_room);
		return -EINVAL;
	}
	if (room > UINT16_MAX)
		room = UINT16_MAX;
	uint32_t seg_room = data_room - RTE_PKTMBUF_HEADROOM; /* > room, so > 0 */

	if (seg_room > UINT16_MAX)
		seg_room = UINT16_MAX;
	if (p->nb_family[1] != 0 && room <= HDR6_LEN - HDR_LEN) {
		SOCK_LOG(ERR, "%s: mbufs of %u bytes leave no room for an IPv6 datagram",
			 dev->name, data_room);
		return -EINVAL;
	}
	for (uint16_t q = 0; q < c->nb_rxq; q++) {
		struct sock_rxq *r = &p->rxq[q];
		uint32_t nb = p->nb / c->nb_rxq + (q < p->nb % c->nb_rxq ? 1 : 0);

		r->pool = dev->pool;
		r->room = (uint16_t)room;
		r->room6 = (uint16_t)(room > HDR6_LEN - HDR_LEN ? room - (HDR6_LEN - HDR_LEN) : 0);
		r->seg_room = (uint16_t)seg_room;
		r->batch = c->burst;
		r->dev = dev;
		r->qid = q;
		r->truesize = SKB_TRUESIZE_EST;
		r->socks = calloc(nb != 0 ? nb : 1, sizeof(r->socks[0]));
		r->mb = calloc(r->batch, sizeof(r->mb[0]));
		r->msgs = calloc(r->batch, sizeof(r->msgs[0]));
		r->iov = calloc(2u * r->batch, sizeof(r->iov[0]));
		/* Pages are touched only by datagrams larger than an mbuf. */
		r->spill = malloc((size_t)r->batch * SPILL_LEN);
		r->from = calloc(r->batch, sizeof(r->from[0]));
		r->cmsg = calloc(r->batch, sizeof(r->cmsg[0]));
		if (r->socks == NULL || r->mb == NULL || r->msgs == NULL || r->iov == NULL ||
		    r->spill == NULL || r->from == NULL || r->cmsg == NULL)
			return -ENOMEM;
		dev->rxq[q] = r;
	}
	for (uint32_t i = 0; i < p->nb; i++) {
		struct sock_rxq *r = &p->rxq[i % c->nb_rxq];

		p->socks[i].rxq = r;
		r->socks[r->nb_socks++] = &p->socks[i];
	}
	for (uint16_t q = 0; q < c->nb_txq; q++) {
		p->txq[q].priv = p;
		p->txq[q].qid = q;
		p->txq[q].iov = calloc(TX_BATCH, sizeof(p->txq[q].iov[0]));
		if (p->txq[q].iov == NULL)
			return -ENOMEM;
		dev->txq[q] = &p->txq[q];
	}
	return 0;
}

static int
socket_create(struct lcx_port_dev *dev)
{
	struct socket_priv *p = dev->priv;
	const struct lcx_port_conf *c = &dev->conf;
	/* conf.rcvbuf, or the default; the kernel takes at most INT_MAX / 2. */
	int rcvbuf_want = c->rcvbuf == 0 ? (int)c->nb_rxd * 2048
					 : (int)RTE_MIN(c->rcvbuf, (uint32_t)INT_MAX / 2);
	int ret, rcvbuf = 0, rcvbuf_min = INT_MAX;

	ret = parse_devargs(c->devargs, NULL, &p->nb);
	if (ret < 0)
		return ret;
	p->socks = calloc(p->nb, sizeof(p->socks[0]));
	p->by_port = calloc(p->nb, sizeof(p->by_port[0]));
	if (p->socks == NULL || p->by_port == NULL) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < p->nb; i++)
		p->socks[i].fd = -1;
	ret = parse_devargs(c->devargs, p->socks, &p->nb);
	if (ret < 0)
		goto out_free;
	/* Each family's sockets, for the frames no socket's address matches. */
	p->by_family[0] = calloc(p->nb, sizeof(p->by_family[0][0]));
	p->by_family[1] = calloc(p->nb, sizeof(p->by_family[1][0]));
	if (p->by_family[0] == NULL || p->by_family[1] == NULL) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < p->nb; i++) {
		int f = p->socks[i].v6 ? 1 : 0;

		p->by_family[f][p->nb_family[f]++] = i;
	}

	uint32_t need = (uint32_t)c->nb_rxq * c->burst;
	uint32_t want = (uint32_t)c->nb_rxq * (c->nb_rxd + 2u * c->burst) +
			(uint32_t)c->nb_txq * 2u * c->burst + 512u;

	ret = lcx_port_dev_pool_get(dev, need, want);
	if (ret < 0)
		goto out_free;
	ret = queues_alloc(dev, p);
	if (ret < 0)
		goto out_pool;

	for (uint32_t i = 0; i < p->nb; i++) {
		struct sock *s = &p->socks[i];

		ret = sock_open(s, rcvbuf_want, c->rcvbuf != 0, &rcvbuf);
		if (ret < 0) {
			char a[INET6_ADDRSTRLEN];

			if (s->v6)
				inet_ntop(AF_INET6, s->addr6, a, sizeof(a));
			else
				inet_ntop(AF_INET, &s->addr, a, sizeof(a));
			SOCK_LOG(ERR, "%s%s%s:%u: cannot bind a UDP socket: %s%s", s->v6 ? "[" : "",
				 a, s->v6 ? "]" : "", rte_be_to_cpu_16(s->port), strerror(-ret),
				 ret == -EMFILE ? " (raise the open-files limit, ulimit -n)" : "");
			goto out_close;
		}
		p->by_port[i] = i;
		rcvbuf_min = RTE_MIN(rcvbuf_min, rcvbuf);
	}
	qsort_r(p->by_port, p->nb, sizeof(p->by_port[0]), by_port_cmp, p->socks);
	/* getsockopt() reads twice what the kernel took. */
	if (c->rcvbuf != 0 && rcvbuf_min / 2 < rcvbuf_want)
		SOCK_LOG(WARNING, "%s: asked for %u-byte socket receive buffers, got %d "
			 "(SO_RCVBUF reads %d, twice that): net.core.rmem_max caps them; raise "
			 "it (sysctl -w net.core.rmem_max=%u) or run with CAP_NET_ADMIN",
			 dev->name, c->rcvbuf, rcvbuf_min / 2, rcvbuf_min, c->rcvbuf);
	dev->rcvbuf = rcvbuf_min;
	/*
	 * The ring budget counts datagrams one socket buffer holds: its bytes
	 * over the kernel bytes of one queued datagram (skb truesize, 832 for a
	 * 1-byte datagram on loopback, 2304 for 1400, 66 KiB for 65507). Each
	 * queue starts from SKB_TRUESIZE_EST and measures (truesize_sample()).
	 */
	dev->rx_ring_size = rcvbuf_min > 0 ? (uint32_t)rcvbuf_min / SKB_TRUESIZE_EST : c->nb_rxd;
	if (dev->rx_ring_size < 2)
		dev->rx_ring_size = 2;
	for (uint16_t q = 0; q < c->nb_rxq; q++) {
		p->rxq[q].rcvbuf = rcvbuf_min > 0 ? (uint32_t)rcvbuf_min
						  : c->nb_rxd * SKB_TRUESIZE_EST;
		p->rxq[q].ring = dev->rx_ring_size;
	}
	p->drops_seen = calloc(p->nb, sizeof(p->drops_seen[0]));
	if (p->drops_seen == NULL) {
		ret = -ENOMEM;
		goto out_close;
	}
	pthread_mutex_init(&p->drops_lock, NULL);
	SOCK_LOG(INFO, "%s: %u UDP sockets over %u rx queues, %d bytes of buffer each",
		 dev->name, p->nb, c->nb_rxq, rcvbuf_min);
	return 0;

out_close:
	socks_close(p);
out_pool:
	queues_free(p);
	lcx_port_dev_pool_put(dev);
out_free:
	free(p->socks);
	free(p->by_port);
	free(p->by_family[0]);
	free(p->by_family[1]);
	p->socks = NULL;
	p->by_family[0] = NULL;
	p->by_family[1] = NULL;
	p->nb_family[0] = 0;
	p->nb_family[1] = 0;
	return ret;
}

static void
socket_destroy(struct lcx_port_dev *dev)
{
	struct socket_priv *p = dev->priv;
	bool queued = false;

	for (uint32_t i = 0; i < p->nb; i++)
		if (lcx_task_is_queued(&p->socks[i].task) && !p->socks[i].tasks_dropped)
			queued = true;
	socks_close(p);
	queues_free(p);
	lcx_port_dev_pool_put(dev);
	if (queued) {
		/* A context that never ran again after the detach still holds the
		 * tasks: their memory must outlive it. */
		SOCK_LOG(ERR, "%s: socket tasks still queued on a context: their memory is "
			 "left allocated", dev->name);
	} else {
		free(p->socks);
	}
	free(p->by_port);
	free(p->by_family[0]);
	free(p->by_family[1]);
	free(p->drops_seen);
	pthread_mutex_destroy(&p->drops_lock);
}

static int
socket_start(struct lcx_port_dev *dev)
{
	(void)dev;
	return 0; /* bound at create: the kernel queues datagrams from then on */
}

/*
 * No context reads the sockets any more (the generic layer quiesced the
 * queues): discard what they hold, counted (rx_missed), so that a datagram
 * that came before the stop and was never read is not lost without a word.
 * Bounded: a socket that keeps receiving does not hold the stop.
 */
static int
socket_stop(struct lcx_port_dev *dev)
{
	struct socket_priv *p = dev->priv;
	struct mmsghdr msgs[TX_BATCH];
	struct iovec iov[TX_BATCH];
	char byte[TX_BATCH];
	uint64_t freed = 0;

	for (int i = 0; i < TX_BATCH; i++) {
		iov[i].iov_base = &byte[i];
		iov[i].iov_len = 1; /* UDP discards the rest of each datagram */
	}
	for (uint32_t i = 0; i < p->nb; i++) {
		int rounds = dev->rcvbuf > 0 ? dev->rcvbuf / SKB_TRUESIZE_MIN / TX_BATCH + 1 : 64;
		int r;

		do {
			memset(msgs, 0, sizeof(msgs));
			for (int k = 0; k < TX_BATCH; k++) {
				msgs[k].msg_hdr.msg_iov = &iov[k];
				msgs[k].msg_hdr.msg_iovlen = 1;
			}
			r = recvmmsg(p->socks[i].fd, msgs, TX_BATCH, MSG_DONTWAIT, NULL);
			if (r > 0)
				freed += (uint64_t)r;
		} while (r == TX_BATCH && --rounds > 0);
	}
	if (freed != 0) {
		SOCK_LOG(NOTICE, "%s: stop: %" PRIu64 " datagrams left in the sockets discarded "
			 "(counted in rx_missed)", dev->name, freed);
		__atomic_store_n(&p->stop_freed, p->stop_freed + freed, __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * Datagrams the kernel dropped at the port's sockets (buffer full, bad
 * checksum, ...): each socket's sk_drops from SO_MEMINFO. That count is exact
 * at the moment it is read, including drops no later datagram reported
 * (SO_RXQ_OVFL tells them only with the next datagram received).
 */
static uint64_t
kernel_drops(struct socket_priv *p)
{
	uint64_t sum;

	pthread_mutex_lock(&p->drops_lock);
	for (uint32_t i = 0; i < p->nb; i++) {
		uint32_t mem[SK_MEMINFO_VARS];
		socklen_t len = sizeof(mem);

		if (getsockopt(p->socks[i].fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
		    len < sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
			continue;
		p->drops += (uint32_t)(mem[SK_MEMINFO_DROPS] - p->drops_seen[i]);
		p->drops_seen[i] = mem[SK_MEMINFO_DROPS];
	}
	sum = p->drops;
	pthread_mutex_unlock(&p->drops_lock);
	return sum;
}

static int
socket_stats(struct lcx_port_dev *dev, struct lcx_port_stats *out)
{
	struct socket_priv *p = dev->priv;

	out->rx_missed += kernel_drops(p) + __atomic_load_n(&p->stop_freed, __ATOMIC_RELAXED);

	for (uint16_t q = 0; q < dev->conf.nb_rxq; q++) {
		out->rx_errors += Q_GET(&p->rxq[q], rx_errors);
		out->rx_nombuf += Q_GET(&p->rxq[q], rx_nombuf);
	}
	for (uint16_t q = 0; q < dev->conf.nb_txq; q++) {
		out->tx_errors += Q_GET(&p->txq[q], tx_errors);
		out->tx_dropped += Q_GET(&p->txq[q], tx_dropped);
	}
	return 0;
}

const struct lcx_port_ops lcx__port_socket_ops = {
	.name = "socket",
	.priv_size = sizeof(struct socket_priv),
	.create = socket_create,
	.destroy = socket_destroy,
	.start = socket_start,
	.stop = socket_stop,
	.stats = socket_stats,
	.stats_reset = NULL,
	.mac = NULL,
	.rxq_attach = socket_rxq_attach,
	.rxq_detach = socket_rxq_detach,
	.rx_burst = socket_rx_burst,
	.tx_burst = socket_tx_burst,
	.rx_fill = NULL,
};
