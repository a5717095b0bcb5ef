/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_EALDEV_H
#define LCX_APP_EALDEV_H

/*
 * Shared by lcx-pmd and lcx-ingest: the devices the user named on the EAL
 * command line and whether each came up, and the mbuf pools at exit.
 * Main thread only.
 */

#include <stdbool.h>
#include <stdio.h>

#define APP_DEVS_MAX 64

/** The devices named on the EAL command line. */
struct app_devs {
	unsigned int n;
	char name[APP_DEVS_MAX][128]; /**< -a/--allow address or --vdev name, no devargs */
	const char *opt[APP_DEVS_MAX]; /**< "-a" or "--vdev" */
	bool block;                    /**< -b/--block given */
};

/**
 * Collect -a/--allow and --vdev (and whether -b/--block is there) from the
 * EAL arguments argv[1..argc-1].
 */
void app_devs_parse(int argc, char **argv, struct app_devs *d);

/** Whether the user named or excluded devices: no embedded default then. */
static inline bool
app_devs_given(const struct app_devs *d)
{
	return d->n > 0 || d->block;
}

/**
 * After rte_eal_init(): check that every named device gave an ethdev port.
 * Prints one line per missing device on stderr ("prog: -a 0000:01:00.0 gave no
 * port ...").
 * @return how many named devices gave no port (0: all came up).
 */
unsigned int app_devs_check(const struct app_devs *d, const char *prog);

/* jansson's value (jansson.h is left to the files that use it). */
struct json_t;

/**
 * Write every mempool of the process as a JSON array (no newline):
 * [{"name":..,"size":N,"available":N,"in_use":N},...]; available counts the
 * per-lcore caches (rte_mempool_avail_count()), in_use = size - available.
 * @return the sum of in_use over the pools (mbufs not back).
 */
unsigned long long app_pools_json(FILE *f);

/**
 * The same array as a jansson value (a new reference; NULL when out of
 * memory); in_use (may be NULL) gets the sum of in_use.
 */
struct json_t *app_pools_jobj(unsigned long long *in_use);

/** Say on stderr which pools have mbufs not back. @return the sum of in_use. */
unsigned long long app_pools_warn(const char *prog);

#endif /* LCX_APP_EALDEV_H */
