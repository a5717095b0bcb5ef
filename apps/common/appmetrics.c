/* SPDX-License-Identifier: BSD-3-Clause */
/* --metrics for the programs: see appmetrics.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcx/metrics.h>
#include <lcx/port.h>

#include "applog.h"
#include "appmetrics.h"

static struct lcx_metrics *app_metrics;

int
app_metrics_check(const char *listen)
{
	const char *colon, *port = listen;
	char *end;
	unsigned long v;

	if (listen == NULL || *listen == '\0')
		return -EINVAL;
	if (*listen == '[') {
		colon = strstr(listen, "]:");
		if (colon == NULL || colon == listen + 1)
			return -EINVAL;
		port = colon + 2;
	} else if ((colon = strrchr(listen, ':')) != NULL) {
		if (colon == listen)
			return -EINVAL;
		port = colon + 1;
	}
	if (*port < '0' || *port > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(port, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return -EINVAL;
	return 0;
}

int
app_metrics_start(const char *prog, struct lcx_context *ctx, const char *listen,
		  struct lcx_port *const *ports, unsigned int nb, lcx_metrics_collect_fn collect,
		  void *arg)
{
	const struct lcx_metrics_conf mc = { .listen = listen, .collect = collect, .arg = arg };
	int ret = lcx_metrics_create(ctx, &mc, &app_metrics);

	if (ret < 0) {
		app_log_raw(APP_LOG_ERR, "%s: --metrics=%s: %s", prog, listen, strerror(-ret));
		app_metrics = NULL;
		return ret;
	}
	for (unsigned int i = 0; i < nb; i++) {
		if (ports[i] == NULL)
			continue;
		ret = lcx_metrics_port_add(app_metrics, ports[i], NULL);
		if (ret < 0) {
			app_log_raw(APP_LOG_ERR, "%s: --metrics: port %s: %s", prog,
				lcx_port_name(ports[i]), strerror(-ret));
			app_metrics_stop();
			return ret;
		}
	}
	app_log_raw(APP_LOG_NOTICE,
	            "%s: metrics: http://%s/metrics", prog, lcx_metrics_address(app_metrics));
	fflush(stderr);
	return 0;
}

void
app_metrics_stop(void)
{
	lcx_metrics_destroy(app_metrics);
	app_metrics = NULL;
}

static int
one(struct lcx_metrics_writer *w, const char *name, enum lcx_metrics_type type,
    const char *help, const char *unit, uint64_t v)
{
	int ret = lcx_metrics_family(w, name, type, help, unit);

	if (ret < 0)
		return ret;
	return lcx_metrics_sample_u64(w, NULL, 0, v);
}

int
app_metrics_counter(struct lcx_metrics_writer *w, const char *name, const char *help,
		    const char *unit, uint64_t v)
{
	return one(w, name, LCX_METRICS_COUNTER, help, unit, v);
}

int
app_metrics_gauge(struct lcx_metrics_writer *w, const char *name, const char *help,
		  const char *unit, uint64_t v)
{
	return one(w, name, LCX_METRICS_GAUGE, help, unit, v);
}
