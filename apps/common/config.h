/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_CONFIG_H
#define LCX_APP_CONFIG_H

/*
 * --config=FILE: a file of the program's own long options, turned into the
 * argv that getopt_long() sees, so that the file and the command line share
 * one grammar (doc/ingest.md "Running as a service", doc/security.md). Main
 * thread, before the EAL starts. The grammar of the file:
 *
 *   # a comment: '#' as the first non-blank character of a line
 *   key = value      a long option that takes a value: "--key=value". The value
 *                    is the rest of the line, blanks around it removed; taken
 *                    literally (no quotes, no comment after it, no escapes)
 *   key              a flag (an option without a value): "--key"
 *   eal = WORDS      EAL arguments, split at blanks as a shell splits words,
 *                    with '...', "..." and \ quoting but no expansion of any
 *                    kind ($, ~, *, `); may repeat (the words are appended)
 *
 * Keys are the long options without "--". Refused, each as "FILE:LINE: why":
 * an unknown key, a value for a flag, no value for an option that needs one
 * (an empty value too), a key given twice (but the program's repeatable ones
 * and eal), "config", "help" and "version" in the file, a NUL byte, a byte
 * sequence that is not UTF-8, a control character (a CR: a DOS line end), a
 * line past APP_CONFIG_LINE_MAX bytes, a file past APP_CONFIG_FILE_MAX bytes,
 * a file that is not a regular file. Run as root (effective uid 0), the file
 * must belong to root and be writable by no one else (no group or other write
 * bit), as logrotate and sshd's StrictModes require: whoever can write it
 * chooses what a root process opens and runs as.
 *
 * The command line wins: an option given on the command line replaces every
 * line of that key in the file (a repeatable one too: "--listen=X" on the
 * command line replaces the file's listen lines), and EAL arguments on the
 * command line replace the file's eal lines.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ealargs.h"

/** The longest line of a configuration file, bytes (without the newline). */
#define APP_CONFIG_LINE_MAX 4096
/** The largest configuration file, bytes. */
#define APP_CONFIG_FILE_MAX (1024 * 1024)

/** What a program tells app_config_expand(). */
struct app_config_conf {
	const char *prog;              /**< for the messages */
	const struct option *opts;     /**< the program's long options (getopt_long()'s table,
					    ending with a NULL name): the keys; has_arg tells a
					    flag from an option with a value */
	const char *const *repeatable; /**< keys that may be given more than once (NULL-ended
					    list), or NULL: none */
	/** The program's rule for a command line without "--" (app_args_split()). */
	bool (*is_app_option)(const char *arg);
};

/**
 * Expand --config=FILE (or "--config FILE"), given anywhere on the command
 * line, into out: argv[0], the file's eal words (unless the command line gives
 * EAL arguments), the command line's EAL arguments, "--", the file's options
 * (but the keys the command line gives), the command line's options. Without
 * --config, out is a copy of argv. app_args_split() then splits out at its "--".
 * Errors are said on stderr: "<prog>: FILE:LINE: why".
 * @param argc, argv the command line.
 * @param conf the program's keys.
 * @param out the expanded command line (app_argv_free() it at exit: the
 *        program's options point into it).
 * @return 0; 1 (the same, and --print-config was given); -EINVAL (a bad file,
 *         --config twice or without a name); -EACCES
 *         (root and an unsafe file); -errno of open() or read(); -ENOMEM.
 */
int app_config_expand(int argc, char **argv, const struct app_config_conf *conf,
		      struct app_argv *out);

/**
 * --print-config: write args (app_config_expand()'s out) in the file's grammar: an
 * eal line (words quoted so that the file splits them back), then one line per
 * option; what a file cannot hold (a positional argument such as lcx-bench's MODE,
 * a value with blanks around it) as a comment. Read back with --config, it gives the
 * same options. The defaults the program applies are not shown.
 * @return 0, -ENOMEM or -EIO.
 */
int app_config_print(const struct app_config_conf *conf, const struct app_argv *args, FILE *f);

/**
 * A getopt_long() table for a program without one (lcx-bench): every name
 * ("--rate", ...; the dashes are skipped) takes a value. The table is made once
 * and kept to exit. @return the table, or NULL (no memory).
 */
const struct option *app_config_value_opts(const char *const *names);

/**
 * Where an option value came from, for the message of a bad value: "FILE:LINE"
 * of the file line that gave "--name=val" (the first, if several did), else
 * NULL (the command line). Main thread.
 * @param name the option without "--"; NULL: by the value alone, NULL when
 *        several lines of the file have that value.
 * @param val the value (getopt_long()'s optarg).
 */
const char *app_config_where(const char *name, const char *val);

/**
 * Split a shell-like word list (the eal key): blanks separate words; '...'
 * keeps everything literally; "..." keeps all but \" and \\; an unquoted \
 * keeps the next character. No expansion. Pure; for the unit tests too.
 * @param s the text.
 * @param out the words are appended.
 * @param why out: a phrase on error.
 * @return the number of words, -EINVAL (an unterminated quote or a trailing \),
 *         or -ENOMEM.
 */
int app_config_split_words(const char *s, struct app_argv *out, const char **why);

#endif /* LCX_APP_CONFIG_H */
