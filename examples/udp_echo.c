/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel UDP echo on a throttled context: the reactor wakes a task when the
 * socket is readable (at most once per throttle period), and the task sends
 * every datagram back to its sender. No EAL: a context on a pthread.
 *
 *   udp_echo PORT [THROTTLE_US [SECONDS]]
 *
 * Listens on 127.0.0.1:PORT, prints "ready" once it does, runs SECONDS
 * (default 5), then prints "echoed N datagrams, M send failures, R reacts".
 * Uses only the installed API (<lcx/lcx.h>).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lcx/lcx.h>

struct echo {
	int fd;
	struct lcx_source *src;
	struct lcx_task task;
	struct lcx_waiter waiter;
	atomic_ulong echoed;
	atomic_ulong send_failed;
	atomic_int error;
};

/* The task: echo until the socket would block, then wait for readability. */
static void
echo_task(struct lcx_task *task, void *arg)
{
	struct echo *e = arg;
	char buf[65536];

	(void)task;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				atomic_store(&e->error, errno);
				return;
			}
			int r = lcx_source_poll(e->src, LCX_DIR_READ, &e->waiter);

			if (r == 1)
				continue; /* an event came since: read again */
			if (r < 0)
				atomic_store(&e->error, -r);
			return; /* r == 0: the task is woken when readable */
		}
		if (sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) == n)
			atomic_fetch_add(&e->echoed, 1);
		else
			atomic_fetch_add(&e->send_failed, 1);
	}
}

/* Runs on the context: sources are created on their owner. */
static int
setup(struct lcx_context *ctx, void *arg)
{
	struct echo *e = arg;
	int ret = lcx_source_create(ctx, e->fd, LCX_SOURCE_CLOSE_FD, &e->src);

	if (ret < 0)
		return ret;
	lcx_task_init(&e->task, ctx, echo_task, e);
	lcx_waiter_init(&e->waiter, &e->task);
	lcx_task_wake(&e->task);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct echo e;
	struct lcx_context_conf conf = {
		.name = "echo", .launch = LCX_LAUNCH_THREAD, .cpu = -1, .socket_id = -1,
	};
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct lcx_context_stats st;
	struct lcx_context *ctx;
	double seconds;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT [THROTTLE_US [SECONDS]]\n", argv[0]);
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conf.throttle_ns = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1000) * 1000;
	seconds = argc > 3 ? atof(argv[3]) : 5;

	e.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (e.fd < 0 || bind(e.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udp_echo: socket");
		return 1;
	}
	ret = lcx_context_acquire(&conf, &ctx);
	if (ret < 0) {
		fprintf(stderr, "udp_echo: lcx_context_acquire: %s\n", strerror(-ret));
		return 1;
	}
	ret = lcx_context_enter(ctx, setup, &e);
	if (ret < 0) {
		fprintf(stderr, "udp_echo: setup: %s\n", strerror(-ret));
		lcx_context_release(ctx);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	usleep((useconds_t)(seconds * 1e6));
	lcx_context_stats(ctx, &st);
	lcx_context_stop(ctx); /* closes the source and its fd */
	lcx_context_release(ctx);
	printf("echoed %lu datagrams, %lu send failures, %lu reacts\n",
	       (unsigned long)atomic_load(&e.echoed), (unsigned long)atomic_load(&e.send_failed),
	       (unsigned long)st.reacts);
	if (atomic_load(&e.error) != 0) {
		fprintf(stderr, "udp_echo: %s\n", strerror(atomic_load(&e.error)));
		return 1;
	}
	return 0;
}
