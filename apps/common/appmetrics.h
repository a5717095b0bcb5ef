/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_APPMETRICS_H
#define LCX_APP_APPMETRICS_H

/*
 * --metrics=ADDR:PORT for the programs: a Prometheus endpoint
 * (include/lcx/metrics.h) on the control context, every port added under its
 * lcx name, the address said on stderr ("PROG: metrics: http://ADDR:PORT/metrics").
 * On the control context (its setup), after the ports are created; stop it
 * before the ports are destroyed, with no loop running the control context.
 */

#include <stdint.h>

#include <lcx/metrics.h>

struct lcx_context;
struct lcx_port;

/**
 * Start the endpoint.
 * @param prog the program's name, for the messages.
 * @param listen the --metrics value.
 * @param ports nb ports to add (NULL entries are skipped).
 * @param collect, arg the program's families.
 * @return 0, or -errno (said on stderr).
 */
int app_metrics_start(const char *prog, struct lcx_context *ctx, const char *listen,
		      struct lcx_port *const *ports, unsigned int nb,
		      lcx_metrics_collect_fn collect, void *arg);

/** Stop the endpoint, if one runs. */
void app_metrics_stop(void);

/**
 * Check a --metrics value before anything starts (the forms lcx_metrics_create() takes).
 * @return 0 or -EINVAL.
 */
int app_metrics_check(const char *listen);

/** A counter family and one unlabelled sample. @return 0 or -errno. */
int app_metrics_counter(struct lcx_metrics_writer *w, const char *name, const char *help,
			const char *unit, uint64_t v);
/** A gauge family and one unlabelled sample. @return 0 or -errno. */
int app_metrics_gauge(struct lcx_metrics_writer *w, const char *name, const char *help,
		      const char *unit, uint64_t v);

#endif /* LCX_APP_APPMETRICS_H */
