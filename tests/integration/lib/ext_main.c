/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A program outside the lcx tree: built by tests/integration/lib/install.py
 * against an installed lcx with pkg-config only (shared and --static). It
 * starts the EAL (the arguments before "--"), attaches lcx, acquires a context
 * on a pthread with a 1 ms throttle, runs one task on it, and prints
 * "lcx_version=<lcx_version()> headers=<LCX_VERSION_STRING> task_ran=<n>".
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include <lcx/lcx.h>

static atomic_int ran;

static void
task_fn(struct lcx_task *t, void *arg)
{
	(void)t;
	(void)arg;
	atomic_fetch_add(&ran, 1);
}

int
main(int argc, char **argv)
{
	struct lcx_context_conf conf = {
		.name = "ext0",
		.throttle_ns = 1000000,
		.launch = LCX_LAUNCH_THREAD,
		.cpu = -1,
		.socket_id = -1,
	};
	struct lcx_context *ctx;
	struct lcx_task task;
	int ret, i;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "ext_main: rte_eal_init failed\n");
		return 1;
	}
	lcx_eal_attach();
	ret = lcx_context_acquire(&conf, &ctx);
	if (ret < 0) {
		fprintf(stderr, "ext_main: lcx_context_acquire: %s\n", strerror(-ret));
		return 1;
	}
	lcx_task_init(&task, ctx, task_fn, NULL);
	lcx_task_wake_unpark(&task);
	for (i = 0; i < 2000 && atomic_load(&ran) == 0; i++)
		usleep(1000);
	lcx_context_release(ctx);
	printf("lcx_version=%s headers=%s task_ran=%d\n", lcx_version(), LCX_VERSION_STRING,
	       atomic_load(&ran));
	rte_eal_cleanup();
	return atomic_load(&ran) == 1 ? 0 : 1;
}
