/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Comparison receivers for the lcx-ingest kernel-path benchmark:
 *
 *   udp_rx thread   ADDR PORT NPORTS SECONDS   one blocking thread per socket
 *   udp_rx epoll    ADDR PORT NPORTS SECONDS   one thread: epoll_wait + recvmmsg
 *   udp_rx recvmmsg ADDR PORT 1      SECONDS   one thread: blocking recvmmsg on one socket
 *
 * Each binds NPORTS sockets on ADDR:PORT.., receives for SECONDS, and prints
 * one JSON line: datagrams, bytes, the CPU it used (getrusage, every thread)
 * and, when payloads carry a 4-byte big-endian counter at offset 0, how many
 * numbers were missing per port (sum). Only loopback or namespace addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define VLEN 64
#define MAXLEN 2048

struct port_state {
	int fd;
	uint32_t next;   /* next expected counter */
	uint64_t gaps;   /* numbers skipped */
	int started;
};

static struct port_state *ps;
static unsigned int nports;
static atomic_uint_fast64_t total_pkts, total_bytes;
static atomic_int stop_flag;

static void
account(struct port_state *p, const uint8_t *buf, ssize_t len)
{
	uint32_t v;

	atomic_fetch_add_explicit(&total_pkts, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&total_bytes, (uint64_t)len, memory_order_relaxed);
	if (len < 4)
		return;
	v = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (p->started && v > p->next)
		p->gaps += v - p->next;
	if (!p->started || v >= p->next)
		p->next = v + 1;
	p->started = 1;
}

static int
open_socket(const char *addr, unsigned int port, int nonblock)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	int rcvbuf = 1 << 20;

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "udp_rx: bind %s:%u: %s\n", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void *
thread_main(void *arg)
{
	struct port_state *p = arg;
	uint8_t buf[MAXLEN];
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};

	/* Blocking, with a timeout only so the thread sees the end of the run. */
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!atomic_load(&stop_flag)) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), 0);

		if (n >= 0)
			account(p, buf, n);
	}
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
drain_mmsg(struct port_state *p, struct mmsghdr *msgs, uint8_t (*bufs)[MAXLEN], int flags)
{
	int n, i;

	do {
		n = recvmmsg(p->fd, msgs, VLEN, flags, NULL);
		for (i = 0; i < n; i++)
			account(p, bufs[i], msgs[i].msg_len);
	} while (n == VLEN);
}

int
main(int argc, char **argv)
{
	static struct mmsghdr msgs[VLEN];
	static struct iovec iov[VLEN];
	static uint8_t bufs[VLEN][MAXLEN];
	const char *mode, *addr;
	unsigned int base, i;
	double secs, t0, end;
	struct rusage ru;
	uint64_t gaps = 0;
	pthread_t *th = NULL;
	int ep = -1;

	if (argc != 6) {
		fprintf(stderr, "usage: %s thread|epoll|recvmmsg ADDR PORT NPORTS SECONDS\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	addr = argv[2];
	base = (unsigned int)atoi(argv[3]);
	nports = (unsigned int)atoi(argv[4]);
	secs = atof(argv[5]);
	if (nports == 0 || nports > 4096 || secs <= 0)
		return 2;
	ps = calloc(nports, sizeof(*ps));
	for (i = 0; i < VLEN; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MAXLEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (i = 0; i < nports; i++) {
		ps[i].fd = open_socket(addr, base + i, strcmp(mode, "epoll") == 0);
		if (ps[i].fd < 0)
			return 1;
	}
	fprintf(stderr, "udp_rx: %s on %s:%u-%u for %.1f s\n", mode, addr, base, base + nports - 1,
		secs);
	fflush(stderr);
	t0 = now_s();
	end = t0 + secs;
	if (strcmp(mode, "thread") == 0) {
		th = calloc(nports, sizeof(*th));
		for (i = 0; i < nports; i++)
			if (pthread_create(&th[i], NULL, thread_main, &ps[i]) != 0) {
				fprintf(stderr, "udp_rx: cannot start thread %u\n", i);
				return 1;
			}
		while (now_s() < end)
			usleep(10000);
		atomic_store(&stop_flag, 1);
		for (i = 0; i < nports; i++)
			pthread_join(th[i], NULL);
	} else if (strcmp(mode, "epoll") == 0) {
		struct epoll_event evs[256];

		ep = epoll_create1(0);
		for (i = 0; i < nports; i++) {
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

			epoll_ctl(ep, EPOLL_CTL_ADD, ps[i].fd, &ev);
		}
		while (now_s() < end) {
			int n = epoll_wait(ep, evs, 256, 100), k;

			for (k = 0; k < n; k++)
				drain_mmsg(&ps[evs[k].data.u32], msgs, bufs, MSG_DONTWAIT);
		}
	} else if (strcmp(mode, "recvmmsg") == 0) {
		struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};

		setsockopt(ps[0].fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (now_s() < end) {
			int n = recvmmsg(ps[0].fd, msgs, VLEN, MSG_WAITFORONE, NULL), k;

			for (k = 0; k < n; k++)
				account(&ps[0], bufs[k], msgs[k].msg_len);
		}
	} else {
		fprintf(stderr, "udp_rx: unknown mode %s\n", mode);
		return 2;
	}
	getrusage(RUSAGE_SELF, &ru);
	for (i = 0; i < nports; i++)
		gaps += ps[i].gaps;
	printf("{\"mode\":\"%s\",\"ports\":%u,\"seconds\":%.3f,\"datagrams\":%llu,\"bytes\":%llu,"
	       "\"gaps\":%llu,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
	       mode, nports, now_s() - t0, (unsigned long long)atomic_load(&total_pkts),
	       (unsigned long long)atomic_load(&total_bytes), (unsigned long long)gaps,
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return 0;
}
