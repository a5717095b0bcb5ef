/* SPDX-License-Identifier: BSD-3-Clause */
/* The summary file of the programs: checked at start, whole at the end (outfile.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* The file being written, dropped if the program exits without a commit (named mode). */
static struct app_out *pending;
static bool registered;

static void
abort_pending(void)
{
	if (pending != NULL)
		app_out_abort(pending);
}

static int
fail(char *err, size_t errlen, int e, const char *path, const char *why)
{
	snprintf(err, errlen, "%s: %s", path, why != NULL ? why : strerror(e));
	return -e;
}

int
app_out_open(struct app_out *o, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;
	int fd = -1, e;

	memset(o, 0, sizeof(*o));
	o->dirfd = -1;
	o->path = path;
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	if (*path == '\0')
		return fail(err, errlen, EINVAL, path, "empty file name");
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		snprintf(o->base, sizeof(o->base), "%s", path);
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return fail(err, errlen, ENAMETOOLONG, path, NULL);
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (dir[0] == '\0')
			snprintf(dir, sizeof(dir), "/");
		if (strlen(slash + 1) >= sizeof(o->base))
			return fail(err, errlen, ENAMETOOLONG, path, NULL);
		snprintf(o->base, sizeof(o->base), "%s", slash + 1);
	}
	if (o->base[0] == '\0' || strcmp(o->base, ".") == 0 || strcmp(o->base, "..") == 0)
		return fail(err, errlen, EISDIR, path, "a directory, not a file name");
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: directory %s: %s", path, dir, strerror(e));
		return -e;
	}
	/* Anything at the target stays as it is: lcx replaces no file it did not create. */
	if (fstatat(o->dirfd, o->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		e = EEXIST;
		if (S_ISDIR(st.st_mode))
			snprintf(err, errlen, "%s is a directory", path);
		else if (S_ISLNK(st.st_mode))
			snprintf(err, errlen, "%s is a symbolic link (not followed, not replaced)",
				 path);
		else
			snprintf(err, errlen, "%s exists (lcx replaces no file it did not "
				 "create: remove it or give a new name)", path);
		goto out_close;
	} else if (errno != ENOENT) {
		e = errno;
		goto out_close_errno;
	}
	/* Unnamed first: a killed run leaves nothing behind. */
	fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (fd >= 0) {
		o->unnamed = true;
	} else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
		snprintf(o->tmp, sizeof(o->tmp), ".%s.%d.tmp", o->base, (int)getpid());
		fd = openat(o->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0666);
		if (fd < 0) {
			e = errno;
			goto out_close_errno;
		}
	} else {
		e = errno;
		goto out_close_errno;
	}
	o->f = fdopen(fd, "w");
	if (o->f == NULL) {
		e = errno;
		close(fd);
		app_out_abort(o);
		return fail(err, errlen, e, path, NULL);
	}
	if (!registered)
		registered = atexit(abort_pending) == 0;
	pending = o;
	return 0;

out_close_errno:
	snprintf(err, errlen, "%s: %s", path, strerror(e));
	close(o->dirfd);
	o->dirfd = -1;
	return -e;
out_close:
	close(o->dirfd);
	o->dirfd = -1;
	return -e;
}

int
app_out_commit(struct app_out *o, char *err, size_t errlen)
{
	int e = 0;

	if (o->f == NULL)
		return 0;
	if (o->f == stdout) {
		o->f = NULL;
		return fflush(stdout) == 0 ? 0 : fail(err, errlen, errno, "stdout", NULL);
	}
	if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
		e = errno ? errno : EIO;
	if (e == 0 && o->unnamed) {
		char proc[64];

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(o->f));
		/* linkat() fails on an existing name: it never replaces or follows one. */
		if (linkat(AT_FDCWD, proc, o->dirfd, o->base, AT_SYMLINK_FOLLOW) != 0)
			e = errno;
		o->unnamed = false;
	} else if (e == 0 && renameat2(o->dirfd, o->tmp, o->dirfd, o->base,
				      RENAME_NOREPLACE) != 0) {
		e = errno;
	}
	if (e == 0)
		o->tmp[0] = '\0';
	if (fclose(o->f) != 0 && e == 0)
		e = errno;
	o->f = NULL;
	app_out_abort(o);
	if (e != 0)
		return fail(err, errlen, e, o->path, NULL);
	return 0;
}

void
app_out_abort(struct app_out *o)
{
	if (pending == o)
		pending = NULL;
	if (o->f != NULL && o->f != stdout)
		fclose(o->f);
	o->f = NULL;
	if (o->dirfd >= 0) {
		if (o->tmp[0] != '\0')
			unlinkat(o->dirfd, o->tmp, 0);
		close(o->dirfd);
	}
	o->dirfd = -1;
	o->tmp[0] = '\0';
}

int
app_out_chown(struct app_out *o, uid_t uid, gid_t gid)
{
	if (o->f == NULL || o->dirfd < 0)
		return 0;
	return fchown(fileno(o->f), uid, gid) < 0 ? -errno : 0;
}
