/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_APPLOG_H
#define LCX_APP_APPLOG_H

/**
 * @file
 * The programs' one logging path: their messages (errors, warnings, what they
 * did) go through rte_log with the program's own log type ("lcx.pmd",
 * "lcx.ingest", "lcx.bench", "lcx.timer"), as the library's go through
 * "lcx.core", "lcx.net.dpdk", ...:
 * one stream (DPDK's: stderr, and syslog), one level setting
 * (--log-level=lcx.ingest:warning, --log-level=lcx.*:notice).
 *
 * Before app_log_init() (before rte_eal_init(): the command line's errors)
 * and in programs that never call it, app_log() writes to stderr: the EAL's
 * log is not set up yet. A program without the EAL (lcx-timer-accuracy)
 * calls app_log_init() once its command line is read: rte_log works without
 * the EAL (to stderr, no syslog copy), and app_log_level_apply() sets what
 * the EAL's --log-level would. The text is the same either way: "PROG: message\n".
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

/**
 * The prefix of app_log()'s messages before app_log_init() (the command line's
 * errors on stderr; "lcx" until set). Main thread.
 * @param prog the program's name ("lcx-timer-accuracy"), kept: a string that lives to exit.
 */
void app_log_prog(const char *prog);

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

/**
 * For a program that runs without the EAL (lcx-timer-accuracy), which takes
 * --log-level itself: whether spec is one --log-level value in the EAL's
 * grammar. "TYPE:LEVEL" (TYPE a shell pattern, fnmatch(): lcx.timer, lcx.*),
 * "REGEX,LEVEL" (a POSIX extended regular expression), or "LEVEL" alone (the
 * global level). LEVEL: a name (emergency, alert, critical, error, warning,
 * notice, info, debug) or its start as the EAL takes it (emerg, err, warn), or
 * a decimal number 1..8. Pure: any thread, before app_log_init() too.
 * @param spec the value.
 * @param why out, on error: a phrase.
 * @return 0 or -EINVAL.
 */
int app_log_level_check(const char *spec, const char **why);

/**
 * Set the levels of the types registered now, as the EAL does at
 * --log-level (rte_log_set_level_pattern(), _regexp(), rte_log_set_global_level()).
 * Call after app_log_init() (the program's type is then registered; the library's
 * are from the start). Given several specs, apply them from the last to the
 * first: where several match one type, the first given applies, as DPDK 22.11
 * does for the types it registers after its command line (lcx.pmd, lcx.ingest).
 * Main thread.
 * @param spec a value app_log_level_check() took.
 * @return 0 or -EINVAL (a spec it would refuse).
 */
int app_log_level_apply(const char *spec);

#endif /* LCX_APP_APPLOG_H */
