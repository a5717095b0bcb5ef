/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_OUTFILE_H
#define LCX_APP_OUTFILE_H

/*
 * Shared by the programs in apps/ (lcx-pmd, lcx-ingest, lcx-timer-accuracy):
 * a summary file (--json) that is checked at start and appears whole at the
 * end, and the device and mbuf-pool checks of an EAL program.
 *
 * The summary file: app_out_open() checks the path before the run (its
 * directory exists and is writable, nothing is at the target: lcx never
 * replaces or follows a file it did not create) and creates an unnamed file
 * in that directory (O_TMPFILE; where the file system has none, a temporary
 * name .NAME.PID.tmp made with O_CREAT|O_EXCL|O_NOFOLLOW). The program writes
 * to app_out.f; app_out_commit() flushes, syncs, and links the file in at the
 * target (linkat, or renameat2 RENAME_NOREPLACE from the temporary name): a
 * file that appeared there during the run is never replaced (EEXIST; the named
 * temporary file is then removed too). A run that dies leaves nothing at the
 * target and, with O_TMPFILE, nothing else. "-" means stdout.
 * Called from the main thread only.
 */

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct app_out {
	FILE *f;          /**< where to write; stdout for "-" */
	const char *path; /**< the target, as given */
	int dirfd;        /**< the target's directory; -1 for stdout */
	char base[256];   /**< the target's last component */
	char tmp[300];    /**< the temporary name (named mode, or at commit) */
	bool unnamed;     /**< O_TMPFILE: no name until the commit */
};

/**
 * Check path and create the file to write the summary to.
 * @return 0, or -errno with a message in err (the path and why).
 */
int app_out_open(struct app_out *o, const char *path, char *err, size_t errlen);

/**
 * Put what was written at the target, which must still be absent.
 * @return 0, or -errno with a message in err (-EEXIST: something appeared at the
 *         target); the target is then unchanged.
 */
int app_out_commit(struct app_out *o, char *err, size_t errlen);

/** Drop what was written (no file left behind). A no-op after a commit. */
void app_out_abort(struct app_out *o);

/**
 * --user: give the file being written to uid/gid before privileges are dropped,
 * so that the unprivileged process can put it in place at the end (a hard
 * link of another user's file is refused under fs.protected_hardlinks).
 * Nothing for stdout. @return 0 or -errno.
 */
int app_out_chown(struct app_out *o, uid_t uid, gid_t gid);

#endif /* LCX_APP_OUTFILE_H */
