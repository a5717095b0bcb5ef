/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' messages through rte_log: applog.h. */
#include <errno.h>
#include <stdio.h>

#include <rte_log.h>

#include "applog.h"

_Static_assert(APP_LOG_ERR == RTE_LOG_ERR && APP_LOG_WARNING == RTE_LOG_WARNING &&
		       APP_LOG_NOTICE == RTE_LOG_NOTICE && APP_LOG_INFO == RTE_LOG_INFO &&
		       APP_LOG_DEBUG == RTE_LOG_DEBUG,
	       "applog.h's levels are rte_log's");

static const char *log_prog = "lcx";
static int log_type = -1; /* -1: stderr */

int
app_log_init(const char *prog, const char *type)
{
	int t = rte_log_register_type_and_pick_level(type, RTE_LOG_INFO);

	log_prog = prog;
	if (t < 0)
		return t == -ENOMEM ? -ENOMEM : -EINVAL;
	log_type = t;
	return 0;
}

static void
emit(unsigned int level, const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_type < 0)
		fprintf(stderr, "%s%s\n", prefix, msg);
	else
		rte_log(level, (uint32_t)log_type, "%s%s\n", prefix, msg);
}

void
app_vlog(unsigned int level, const char *fmt, va_list ap)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s: ", log_prog);
	emit(level, prefix, fmt, ap);
}

void
app_log(unsigned int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	app_vlog(level, fmt, ap);
	va_end(ap);
}

void
app_log_raw(unsigned int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, "", fmt, ap);
	va_end(ap);
}
