/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' messages through rte_log: applog.h. */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "applog.h"

_Static_assert(APP_LOG_ERR == RTE_LOG_ERR && APP_LOG_WARNING == RTE_LOG_WARNING &&
		       APP_LOG_NOTICE == RTE_LOG_NOTICE && APP_LOG_INFO == RTE_LOG_INFO &&
		       APP_LOG_DEBUG == RTE_LOG_DEBUG,
	       "applog.h's levels are rte_log's");

static const char *log_prog = "lcx";
static int log_type = -1; /* -1: stderr */

void
app_log_prog(const char *prog)
{
	log_prog = prog;
}

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

/* --log-level without the EAL: its grammar (DPDK 22.11's eal_parse_log_level()). */

enum spec_kind { SPEC_GLOBAL, SPEC_PATTERN, SPEC_REGEX };

static const char *const level_names[] = {
	[RTE_LOG_EMERG] = "emergency", [RTE_LOG_ALERT] = "alert", [RTE_LOG_CRIT] = "critical",
	[RTE_LOG_ERR] = "error",       [RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
	[RTE_LOG_INFO] = "info",       [RTE_LOG_DEBUG] = "debug",
};

/* A level: a name or its start (the EAL's first match: "e" is emergency), or 1..8. */
static int
parse_level(const char *s, uint32_t *level)
{
	size_t len = strlen(s);

	if (len == 0)
		return -EINVAL;
	for (uint32_t i = RTE_LOG_EMERG; i <= RTE_LOG_DEBUG; i++)
		if (strncmp(level_names[i], s, len) == 0) {
			*level = i;
			return 0;
		}
	if (len == 1 && s[0] >= '1' && s[0] <= (char)('0' + RTE_LOG_DEBUG)) {
		*level = (uint32_t)(s[0] - '0');
		return 0;
	}
	return -EINVAL;
}

/* spec into its kind, a copy of the selector (free it; NULL for the global level) and
 * the level. @return 0, -EINVAL (why set) or -ENOMEM. */
static int
parse_spec(const char *spec, enum spec_kind *kind, char **sel, uint32_t *level, const char **why)
{
	const char *comma = strchr(spec, ','), *colon = strchr(spec, ':');
	const char *sep = comma != NULL ? comma : colon;
	regex_t re;

	*sel = NULL;
	*kind = comma != NULL ? SPEC_REGEX : colon != NULL ? SPEC_PATTERN : SPEC_GLOBAL;
	if (parse_level(sep != NULL ? sep + 1 : spec, level) < 0) {
		*why = "not a level (emergency, alert, critical, error, warning, notice, info, "
		       "debug, or 1..8)";
		return -EINVAL;
	}
	if (sep == NULL)
		return 0;
	if (sep == spec) {
		*why = comma != NULL ? "no expression before ','" : "no log type before ':'";
		return -EINVAL;
	}
	*sel = strndup(spec, (size_t)(sep - spec));
	if (*sel == NULL)
		return -ENOMEM;
	if (*kind == SPEC_REGEX) {
		/* As rte_log_set_level_regexp() compiles it: a POSIX basic expression. */
		if (regcomp(&re, *sel, REG_NOSUB) != 0) {
			free(*sel);
			*sel = NULL;
			*why = "not a regular expression before ','";
			return -EINVAL;
		}
		regfree(&re);
	}
	return 0;
}

int
app_log_level_check(const char *spec, const char **why)
{
	enum spec_kind kind;
	uint32_t level;
	char *sel;
	int ret = parse_spec(spec, &kind, &sel, &level, why);

	if (ret == -ENOMEM) {
		*why = "out of memory";
		ret = -EINVAL;
	}
	free(sel);
	return ret;
}

int
app_log_level_apply(const char *spec)
{
	const char *why;
	enum spec_kind kind;
	uint32_t level;
	char *sel;
	int ret = parse_spec(spec, &kind, &sel, &level, &why);

	if (ret < 0)
		return -EINVAL;
	if (kind == SPEC_GLOBAL)
		rte_log_set_global_level(level);
	else if (kind == SPEC_PATTERN)
		ret = rte_log_set_level_pattern(sel, level) < 0 ? -EINVAL : 0;
	else
		ret = rte_log_set_level_regexp(sel, level) < 0 ? -EINVAL : 0;
	free(sel);
	return ret;
}
