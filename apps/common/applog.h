/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_APPLOG_H
#define LCX_APP_APPLOG_H

/**
 * @file
 * The programs' one logging path: their messages (errors, warnings, what they
 * did) go through rte_log with the program's own log type ("lcx.pmd",
 * "lcx.ingest"), as the library's go through "lcx.core", "lcx.net.dpdk", ...:
 * one stream (DPDK's: stderr, and syslog), one level setting
 * (--log-level=lcx.ingest:warning, --log-level=lcx.*:notice).
 *
 * Before app_log_init() (before rte_eal_init(): the command line's errors)
 * and in programs that never call it, app_log() writes to stderr: the EAL's
 * log is not set up yet. The text is the same either way: "PROG: message\n".
 * Figures the user asked for (live lines, final tables, --json) are output,
 * not messages: they do not go through here.
 *
 * The main thread calls app_log_init(); app_log() is safe from any thread
 * once it returned (rte_log is).
 */

#include <stdarg.h>

/** Levels: rte_log's (RTE_LOG_ERR ... RTE_LOG_DEBUG). */
#define APP_LOG_ERR 4     /**< the run cannot go on, or lost something */
#define APP_LOG_WARNING 5 /**< the run goes on, something is not as asked */
#define APP_LOG_NOTICE 6  /**< what the program did: started, listens at, stopped by */
#define APP_LOG_INFO 7    /**< detail */
#define APP_LOG_DEBUG 8   /**< more detail */

/**
 * After rte_eal_init(): register the log type (its level from --log-level,
 * else APP_LOG_INFO) and send app_log() there.
 * @param prog the prefix of every message ("lcx-ingest").
 * @param type the log type ("lcx.ingest").
 * @return 0, or -ENOMEM/-EINVAL from the registration (messages stay on stderr).
 */
int app_log_init(const char *prog, const char *type);

/** One message, "PROG: " and a newline added (the format ends without one). */
void app_log(unsigned int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** app_log() with a va_list. */
void app_vlog(unsigned int level, const char *fmt, va_list ap);

/**
 * One message with its own prefix (for code shared by programs that pass
 * their name, as apps/common does): "fmt\n" as is, through the log type when
 * set, else stderr.
 */
void app_log_raw(unsigned int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* LCX_APP_APPLOG_H */
