/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel UDP sender for the lcx-ingest benchmarks (loopback or namespace
 * addresses only; bounded in time).
 *
 *   udp_send paced ADDR PORT NPORTS INTERVAL_MS SECONDS [LEN]
 *       one datagram to each of NPORTS ports every INTERVAL_MS, spread evenly
 *       over the interval (1 ms ticks), for SECONDS
 *   udp_send flood ADDR PORT 1 0 SECONDS [LEN]
 *       sendmmsg bursts to one port as fast as the kernel takes them
 *
 * Each datagram starts with a 4-byte big-endian counter, per port. Prints one
 * JSON line with what was sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VLEN 64

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put_seq(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned int base, nports, interval_ms, len = 64, i;
	uint64_t sent = 0, failed = 0;
	uint32_t *seq;
	uint8_t buf[2048];
	double secs, t0;
	int fd;

	if (argc < 7) {
		fprintf(stderr, "usage: %s paced|flood ADDR PORT NPORTS INTERVAL_MS SECONDS [LEN]\n",
			argv[0]);
		return 2;
	}
	base = (unsigned int)atoi(argv[3]);
	nports = (unsigned int)atoi(argv[4]);
	interval_ms = (unsigned int)atoi(argv[5]);
	secs = atof(argv[6]);
	if (argc > 7)
		len = (unsigned int)atoi(argv[7]);
	if (nports == 0 || nports > 4096 || len < 4 || len > sizeof(buf) || secs <= 0 ||
	    inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		return 2;
	memset(buf, 0x5a, sizeof(buf));
	seq = calloc(nports, sizeof(*seq));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	t0 = now_s();
	if (strcmp(argv[1], "paced") == 0) {
		struct timespec next;
		unsigned int tick = 0, ticks = interval_ms ? interval_ms : 1;

		clock_gettime(CLOCK_MONOTONIC, &next);
		while (now_s() - t0 < secs) {
			/* Ports whose phase is this tick of the interval. */
			for (i = tick % ticks; i < nports; i += ticks) {
				sa.sin_port = htons((uint16_t)(base + i));
				put_seq(buf, seq[i]++);
				if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
					failed++;
				else
					sent++;
			}
			tick++;
			next.tv_nsec += 1000000;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
	} else if (strcmp(argv[1], "flood") == 0) {
		static struct mmsghdr msgs[VLEN];
		static struct iovec iov[VLEN];
		static uint8_t bufs[VLEN][2048];

		sa.sin_port = htons((uint16_t)base);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return 1;
		for (i = 0; i < VLEN; i++) {
			memset(bufs[i], 0x5a, len);
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = len;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		while (now_s() - t0 < secs) {
			int n;

			for (i = 0; i < VLEN; i++)
				put_seq(bufs[i], seq[0] + i);
			n = sendmmsg(fd, msgs, VLEN, 0);
			if (n > 0) {
				seq[0] += (uint32_t)n;
				sent += (uint64_t)n;
			} else {
				failed++;
			}
		}
	} else {
		return 2;
	}
	printf("{\"mode\":\"%s\",\"ports\":%u,\"seconds\":%.3f,\"sent\":%llu,\"failed\":%llu}\n",
	       argv[1], nports, now_s() - t0, (unsigned long long)sent,
	       (unsigned long long)failed);
	return 0;
}
