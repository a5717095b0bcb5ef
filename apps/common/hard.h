/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_HARD_H
#define LCX_APP_HARD_H

/*
 * What the programs share to run safely as a service (doc/security.md):
 * --user/--group (drop root after set-up), --pidfile, the memory an option
 * will cost against MemAvailable, and the EAL runtime directories a killed
 * run of ours left behind. Main thread.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/** --user and --group, resolved when parsed (before the drop). */
struct app_user {
	bool given;   /**< --user or --group */
	uid_t uid;    /**< --user's uid; (uid_t)-1: keep */
	gid_t gid;    /**< --group's gid, else --user's primary group; (gid_t)-1: keep */
	char name[64]; /**< for the messages */
};

/**
 * Take "--user" or "--group" (name, without dashes) = val into u.
 * @param why out: a phrase on error.
 * @return 0, 1 (not one of these options), or -EINVAL.
 */
int app_user_option(const char *name, const char *val, struct app_user *u, const char **why);

/**
 * Drop to u: setgroups(1, {gid}), setgid(), setuid() in that order, then check
 * that root cannot be regained (setuid(0) must fail). Nothing when !u->given.
 * Every thread of the process is changed (glibc applies set*id to all).
 * @return 0 or -errno (said on stderr).
 */
int app_user_drop(const struct app_user *u, const char *prog);

/** A --pidfile this process created. */
struct app_pidfile {
	char path[4096];
	dev_t dev;
	ino_t ino;
	bool made;
};

/**
 * Create path holding our pid and a newline: O_EXCL | O_NOFOLLOW, mode 0644.
 * A file naming a live process is refused; one naming a dead process (stale)
 * is replaced, said on stderr; anything else (not a pid, a link) is refused.
 * @return 0 or -errno (said on stderr).
 */
int app_pidfile_create(struct app_pidfile *pf, const char *path, const char *prog);

/**
 * Give the pid file to uid:gid (before a --user drop), so that the user may
 * remove it at exit from a sticky directory. Nothing when none was made.
 * @return 0 or -errno (said on stderr).
 */
int app_pidfile_chown(struct app_pidfile *pf, uid_t uid, gid_t gid, const char *prog);

/** Remove the pid file, if the name still is the file we made. */
void app_pidfile_remove(struct app_pidfile *pf);

/** MemAvailable of /proc/meminfo, bytes; 0 when unknown. */
uint64_t app_mem_available(void);

/**
 * Refuse a memory cost past MemAvailable: "<prog>: <what> needs N MiB, MemAvailable
 * is M MiB". @return 0 (fits or unknown) or -ENOMEM (said).
 */
int app_mem_check(const char *prog, const char *what, uint64_t bytes);

/**
 * Remove the EAL runtime directories "<prog>-<pid>" (the prefix of our own,
 * see app_eal_defaults()) that a killed run left in the runtime base directory:
 * only a real directory (no link followed), whose pid is dead or is not a
 * <prog> process, and whose "config" file no process holds locked. Each
 * removal is said on stderr. @return how many were removed.
 */
unsigned int app_eal_stale_clean(const char *prog);

/**
 * Whether the default EAL file prefix ("rte") is held by a live primary process.
 * @return its pid, or 0.
 */
pid_t app_eal_prefix_holder(const char *prefix);

#endif /* LCX_APP_HARD_H */
