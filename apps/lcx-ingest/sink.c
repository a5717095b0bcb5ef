/* SPDX-License-Identifier: BSD-3-Clause */
/* The writer context: bounded ring in, pcapng or payload files out (see sink.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <lcx/context.h>
#include <lcx/poller.h>
#include <lcx/pool.h>

#include "flow.h"
#include "parse.h"
#include "sink.h"

#define SINK_BURST 256
#define SINK_POOL 2048          /* pcapng copies: one burst in flight, room to spare */
#define SINK_SEG 2048           /* data room of a copy segment; longer frames chain */
#define RETRY_NS 1000000000ull  /* a failed file is retried once a second */
#define FD_SLOTS 256            /* payload-dir: open files kept */
#define PCAPNG_BLOCK_EPB 6

RTE_LOG_REGISTER(ingest_logtype_sink, lcx.ingest.sink, NOTICE);
#define SINK_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, ingest_logtype_sink, "lcx-ingest: " fmt "\n", ##__VA_ARGS__)

struct fd_slot {
	struct ingest_flow_key key;
	int fd;
	uint32_t gen;
};

struct ingest_sink {
	struct ingest_sink_conf conf;
	char *path;
	struct rte_ring *ring;
	struct rte_mempool *pool; /* pcapng copies */
	struct lcx_poller poller;
	struct lcx_context *ctx;
	struct ingest_sink_acct acct;
	struct ingest_rotate rot;
	uint32_t rotate_req;       /* set by any thread */
	uint64_t retry_at_ns;      /* no file before this */
	/* pcapng */
	int fd;
	rte_pcapng_t *png;
	uint32_t socket_iface;     /* interface index of socket frames */
	char cur[4096];
	/* payload-dir */
	struct fd_slot *slots;
	uint32_t gen;              /* rotation generation of payload files */
	uint8_t lin[65536];        /* a chained frame, copied */
	unsigned int err_logged;
};

static uint64_t
now_ns(void)
{
	return rte_get_tsc_cycles() * (1000000000.0 / (double)rte_get_tsc_hz());
}

static void
note_error(struct ingest_sink *s, int err, const char *what, const char *name)
{
	__atomic_store_n(&s->acct.last_errno, err, __ATOMIC_RELAXED);
	/* The first failure and then every 1000th: a full disk must not flood the log. */
	if (s->err_logged++ % 1000 == 0)
		SINK_LOG(ERR, "%s %s: %s; frames for it are dropped and counted (sink_dropped)",
			 what, name, strerror(err));
}

/* --- pcapng --- */

/* An interface description block for socket frames (rte_pcapng describes
 * ethdev ports only). Link type Ethernet: the socket backend puts a
 * synthesized Ethernet/IP/UDP header in front of each datagram. */
static int
write_socket_idb(int fd, uint32_t snaplen)
{
	static const char name[] = "lcx-socket";
	uint8_t b[64];
	uint32_t len = 0, v;
	uint16_t h;

	memset(b, 0, sizeof(b));
	v = 1;                  /* block type IDB */
	memcpy(b, &v, 4);
	h = 1;                  /* LINKTYPE_ETHERNET */
	memcpy(b + 8, &h, 2);
	memcpy(b + 12, &snaplen, 4);
	len = 16;
	h = 2;                  /* if_name */
	memcpy(b + len, &h, 2);
	h = sizeof(name) - 1;
	memcpy(b + len + 2, &h, 2);
	memcpy(b + len + 4, name, sizeof(name) - 1);
	len += 4 + ((sizeof(name) - 1 + 3) & ~3u);
	h = 9;                  /* if_tsresol: 10^-9 */
	memcpy(b + len, &h, 2);
	h = 1;
	memcpy(b + len + 2, &h, 2);
	b[len + 4] = 9;
	len += 8;
	len += 4;               /* opt_endofopt */
	len += 4;               /* trailing length */
	memcpy(b + 4, &len, 4);
	memcpy(b + len - 4, &len, 4);
	return write(fd, b, len) == (ssize_t)len ? 0 : -errno;
}

static void
pcapng_close(struct ingest_sink *s)
{
	if (s->png != NULL) {
		rte_pcapng_close(s->png); /* closes the fd */
		s->png = NULL;
		s->fd = -1;
	} else if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	s->cur[0] = '\0';
}

static int
pcapng_open(struct ingest_sink *s, uint64_t now)
{
	char name[sizeof(s->cur)];
	struct stat st;
	off_t size;
	int ret;

	ret = ingest_rotate_name(s->path, ingest_rotate_enabled(&s->rot), s->rot.index, name,
				 sizeof(name));
	if (ret < 0)
		return ret;
	s->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->fd < 0) {
		ret = -errno;
		goto fail;
	}
	s->png = rte_pcapng_fdopen(s->fd, NULL, NULL, "lcx-ingest", NULL);
	if (s->png == NULL) {
		ret = rte_errno ? -rte_errno : -EIO;
		goto fail;
	}
	s->socket_iface = rte_eth_dev_count_avail();
	if (s->conf.with_socket_iface) {
		ret = write_socket_idb(s->fd, s->conf.snaplen);
		if (ret < 0)
			goto fail;
	}
	size = fstat(s->fd, &st) == 0 ? st.st_size : 0;
	INGEST_ADD(s->acct.written_bytes, (uint64_t)size);
	INGEST_ADD(s->acct.files, 1);
	s->rot.bytes = (uint64_t)size;
	s->rot.opened_ns = now;
	memcpy(s->cur, name, sizeof(name));
	return 0;
fail:
	note_error(s, -ret, "cannot open capture file", name);
	pcapng_close(s);
	s->retry_at_ns = now + RETRY_NS;
	return ret;
}

/* Write formatted EPBs; socket frames get their interface index here. */
static ssize_t
write_epbs(struct ingest_sink *s, struct rte_mbuf **c, uint16_t n, const uint16_t *ifc)
{
	struct iovec iov[SINK_BURST];
	ssize_t total = 0, r;
	uint16_t i = 0, j;

	while (i < n) {
		/* A run of ethdev frames: rte_pcapng_write_packets. */
		for (j = i; j < n && ifc[j] != INGEST_IFACE_SOCKET; j++)
			;
		if (j > i) {
			r = rte_pcapng_write_packets(s->png, c + i, j - i);
			if (r < 0)
				return -(rte_errno ? rte_errno : EIO);
			total += r;
			i = j;
			continue;
		}
		/* A run of socket frames: the same blocks, our interface index. */
		{
			unsigned int k = 0;

			for (j = i; j < n && ifc[j] == INGEST_IFACE_SOCKET; j++) {
				struct rte_mbuf *seg = c[j];

				memcpy(rte_pktmbuf_mtod(seg, uint8_t *) + 8, &s->socket_iface, 4);
				for (; seg != NULL; seg = seg->next) {
					if (k == SINK_BURST) {
						r = writev(s->fd, iov, (int)k);
						if (r < 0)
							return -errno;
						total += r;
						k = 0;
					}
					iov[k].iov_base = rte_pktmbuf_mtod(seg, void *);
					iov[k].iov_len = rte_pktmbuf_data_len(seg);
					k++;
				}
			}
			if (k > 0) {
				r = writev(s->fd, iov, (int)k);
				if (r < 0)
					return -errno;
				total += r;
			}
		}
		i = j;
	}
	return total;
}

static void
pcapng_burst(struct ingest_sink *s, struct ingest_sink_item *it, unsigned int n, uint64_t now)
{
	struct rte_mbuf *c[SINK_BURST];
	uint16_t ifc[SINK_BURST];
	uint64_t bytes = 0;
	unsigned int i, k = 0;
	ssize_t r;

	if (s->png == NULL && now >= s->retry_at_ns)
		pcapng_open(s, now);
	if (s->png == NULL) {
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(it[i].m);
		INGEST_ADD(s->acct.write_errors, n);
		return;
	}
	for (i = 0; i < n; i++) {
		uint16_t port = it[i].iface == INGEST_IFACE_SOCKET ? 0 : it[i].iface;

		c[k] = rte_pcapng_copy(port, it[i].queue, it[i].m, s->pool, s->conf.snaplen,
				       it[i].tsc, RTE_PCAPNG_DIRECTION_IN);
		rte_pktmbuf_free(it[i].m);
		if (c[k] == NULL) {
			INGEST_ADD(s->acct.nomem, 1);
			continue;
		}
		ifc[k] = it[i].iface;
		bytes += rte_pktmbuf_data_len(c[k]);
		k++;
	}
	if (k == 0)
		return;
	if (ingest_rotate_enabled(&s->rot) && ingest_rotate_due(&s->rot, bytes, now)) {
		pcapng_close(s);
		s->rot.index++;
		INGEST_ADD(s->acct.rotations, 1);
		if (pcapng_open(s, now) < 0) {
			rte_pktmbuf_free_bulk(c, k);
			INGEST_ADD(s->acct.write_errors, k);
			return;
		}
	}
	r = write_epbs(s, c, (uint16_t)k, ifc);
	rte_pktmbuf_free_bulk(c, k);
	if (r < 0) {
		/* A short or failed write leaves the file's tail broken: close
		 * it, count the whole burst, try a new file later. */
		note_error(s, (int)-r, "cannot write capture file", s->cur);
		INGEST_ADD(s->acct.write_errors, k);
		pcapng_close(s);
		s->rot.index++;
		s->retry_at_ns = now + RETRY_NS;
		return;
	}
	s->rot.bytes += (uint64_t)r;
	INGEST_ADD(s->acct.written, k);
	INGEST_ADD(s->acct.written_bytes, (uint64_t)r);
}

/* --- payload-dir --- */

static void
slots_close(struct ingest_sink *s)
{
	unsigned int i;

	for (i = 0; s->slots != NULL && i < FD_SLOTS; i++) {
		if (s->slots[i].fd >= 0)
			close(s->slots[i].fd);
		s->slots[i].fd = -1;
	}
}

static int
payload_fd(struct ingest_sink *s, const struct ingest_flow_key *key, uint64_t now)
{
	struct fd_slot *sl = &s->slots[ingest_flow_hash(key) % FD_SLOTS];
	char src[64], dst[64], name[4096];
	int af = key->ipver == 6 ? AF_INET6 : AF_INET;

	if (sl->fd >= 0 && sl->gen == s->gen && memcmp(&sl->key, key, sizeof(*key)) == 0)
		return sl->fd;
	if (sl->fd >= 0)
		close(sl->fd);
	sl->fd = -1;
	if (now < s->retry_at_ns)
		return -EAGAIN;
	inet_ntop(af, key->src, src, sizeof(src));
	inet_ntop(af, key->dst, dst, sizeof(dst));
	if (ingest_rotate_enabled(&s->rot))
		snprintf(name, sizeof(name), "%s/%s_%u-%s_%u-%05u.bin", s->path, src,
			 ntohs(key->sport), dst, ntohs(key->dport), s->gen);
	else
		snprintf(name, sizeof(name), "%s/%s_%u-%s_%u.bin", s->path, src,
			 ntohs(key->sport), dst, ntohs(key->dport));
	sl->fd = open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (sl->fd < 0) {
		int err = errno;

		note_error(s, err, "cannot open payload file", name);
		s->retry_at_ns = now + RETRY_NS;
		return -err;
	}
	sl->key = *key;
	sl->gen = s->gen;
	INGEST_ADD(s->acct.files, 1);
	return sl->fd;
}

static void
payload_burst(struct ingest_sink *s, struct ingest_sink_item *it, unsigned int n, uint64_t now)
{
	unsigned int i;

	if (ingest_rotate_enabled(&s->rot) && ingest_rotate_due(&s->rot, 0, now)) {
		slots_close(s);
		s->gen++;
		s->rot.bytes = 0;
		s->rot.opened_ns = now;
		INGEST_ADD(s->acct.rotations, 1);
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = it[i].m;
		struct ingest_pkt pkt;
		const uint8_t *data;
		uint32_t len;
		ssize_t r;
		int fd;

		len = rte_pktmbuf_pkt_len(m);
		if (m->nb_segs == 1) {
			data = rte_pktmbuf_mtod(m, const uint8_t *);
		} else {
			/* A chain the rx side could not linearize. */
			if (len > sizeof(s->lin))
				len = sizeof(s->lin);
			data = rte_pktmbuf_read(m, 0, len, s->lin);
		}
		if (ingest_parse(data, len, NULL, &pkt) != INGEST_OK) {
			INGEST_ADD(s->acct.write_errors, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		fd = payload_fd(s, &pkt.key, now);
		r = fd < 0 ? -1 : write(fd, data + pkt.payload_off, pkt.payload_len);
		if (r != (ssize_t)pkt.payload_len) {
			if (fd >= 0)
				note_error(s, r < 0 ? errno : ENOSPC, "cannot write payload file",
					   s->path);
			INGEST_ADD(s->acct.write_errors, 1);
			if (fd >= 0)
				s->retry_at_ns = now + RETRY_NS;
		} else {
			INGEST_ADD(s->acct.written, 1);
			INGEST_ADD(s->acct.written_bytes, (uint64_t)r);
			s->rot.bytes += (uint64_t)r;
		}
		rte_pktmbuf_free(m);
	}
}

/* --- the poller --- */

static unsigned int
sink_poll(void *arg)
{
	struct ingest_sink *s = arg;
	struct ingest_sink_item it[SINK_BURST];
	unsigned int n;
	uint64_t now = now_ns();

	if (__atomic_exchange_n(&s->rotate_req, 0, __ATOMIC_ACQ_REL)) {
		if (s->conf.kind == INGEST_SINK_PCAPNG) {
			pcapng_close(s);
			s->rot.index++;
			pcapng_open(s, now);
		} else {
			slots_close(s);
			s->gen++;
			s->rot.opened_ns = now;
			s->rot.bytes = 0;
		}
		INGEST_ADD(s->acct.rotations, 1);
	}
	n = rte_ring_sc_dequeue_burst_elem(s->ring, it, sizeof(it[0]), SINK_BURST, NULL);
	if (n == 0) {
		/* Rotation by time also when idle. */
		if (s->conf.kind == INGEST_SINK_PCAPNG && s->png != NULL && s->rot.max_ns != 0 &&
		    now - s->rot.opened_ns >= s->rot.max_ns) {
			pcapng_close(s);
			s->rot.index++;
			INGEST_ADD(s->acct.rotations, 1);
			pcapng_open(s, now);
		}
		return 0;
	}
	INGEST_ADD(s->acct.dequeued, n);
	if (s->conf.kind == INGEST_SINK_PCAPNG)
		pcapng_burst(s, it, n, now);
	else
		payload_burst(s, it, n, now);
	return n;
}

static int
sink_fill(void *arg)
{
	struct ingest_sink *s = arg;

	return (int)rte_ring_count(s->ring);
}

static const struct lcx_poller_ops sink_poller_ops = {
	.name = "ingest-sink",
	.poll = sink_poll,
	.fill = sink_fill,
};

int
ingest_sink_create(const struct ingest_sink_conf *conf, struct ingest_sink **out, int *open_err)
{
	struct ingest_sink *s;
	char name[RTE_RING_NAMESIZE];
	static unsigned int seq;
	unsigned int i;
	int ret;

	*open_err = 0;
	if (conf->kind == INGEST_SINK_NONE || conf->path == NULL)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->conf = *conf;
	s->fd = -1;
	if (s->conf.snaplen == 0 || s->conf.snaplen > 65535)
		s->conf.snaplen = 65535;
	if (s->conf.ring_size == 0)
		s->conf.ring_size = 16384;
	s->path = strdup(conf->path);
	if (s->path == NULL) {
		ret = -ENOMEM;
		goto out_free;
	}
	s->rot.max_bytes = conf->rotate_bytes;
	s->rot.max_ns = conf->rotate_ns;
	snprintf(name, sizeof(name), "ingest_sink%u", seq++);
	s->ring = rte_ring_create_elem(name, sizeof(struct ingest_sink_item), s->conf.ring_size,
				       conf->socket_id, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (s->ring == NULL) {
		ret = -rte_errno;
		goto out_free;
	}
	if (conf->kind == INGEST_SINK_PCAPNG) {
		snprintf(name, sizeof(name), "ingest_png%u", seq++);
		s->pool = lcx_pktmbuf_pool_create(name, SINK_POOL, 0, 0,
						  RTE_PKTMBUF_HEADROOM +
							  rte_pcapng_mbuf_size(SINK_SEG),
						  conf->socket_id, LCX_POOL_AUTO);
		if (s->pool == NULL) {
			ret = -rte_errno;
			goto out_free;
		}
		ret = pcapng_open(s, now_ns());
		if (ret < 0)
			*open_err = -ret;
	} else {
		s->slots = calloc(FD_SLOTS, sizeof(*s->slots));
		if (s->slots == NULL) {
			ret = -ENOMEM;
			goto out_free;
		}
		for (i = 0; i < FD_SLOTS; i++)
			s->slots[i].fd = -1;
		if (mkdir(s->path, 0755) < 0 && errno != EEXIST) {
			*open_err = errno;
			note_error(s, errno, "cannot make payload directory", s->path);
		}
		s->rot.opened_ns = now_ns();
	}
	*out = s;
	return 0;
out_free:
	ingest_sink_destroy(s);
	return ret;
}

int
ingest_sink_attach(struct ingest_sink *s, struct lcx_context *ctx)
{
	s->poller.ops = &sink_poller_ops;
	s->poller.arg = s;
	s->poller.burst = SINK_BURST;
	s->poller.ring_size = s->conf.ring_size;
	s->ctx = ctx;
	return lcx_poller_register(ctx, &s->poller);
}

unsigned int
ingest_sink_enqueue(struct ingest_sink *s, const struct ingest_sink_item *items, unsigned int n)
{
	return rte_ring_mp_enqueue_burst_elem(s->ring, items, sizeof(items[0]), n, NULL);
}

void
ingest_sink_request_rotate(struct ingest_sink *s)
{
	__atomic_store_n(&s->rotate_req, 1, __ATOMIC_RELEASE);
	if (s->ctx != NULL)
		lcx_context_unpark(s->ctx);
}

int
ingest_sink_drain(struct ingest_sink *s)
{
	while (rte_ring_count(s->ring) > 0)
		sink_poll(s);
	if (s->ctx != NULL && s->poller.ctx != NULL)
		lcx_poller_unregister(&s->poller);
	pcapng_close(s);
	slots_close(s);
	return 0;
}

void
ingest_sink_destroy(struct ingest_sink *s)
{
	struct ingest_sink_item it;

	if (s == NULL)
		return;
	pcapng_close(s);
	slots_close(s);
	if (s->ring != NULL) {
		while (rte_ring_sc_dequeue_elem(s->ring, &it, sizeof(it)) == 0)
			rte_pktmbuf_free(it.m);
		rte_ring_free(s->ring);
	}
	rte_mempool_free(s->pool);
	free(s->slots);
	free(s->path);
	free(s);
}

const struct ingest_sink_acct *
ingest_sink_acct(const struct ingest_sink *s)
{
	return &s->acct;
}
