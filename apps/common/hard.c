/* SPDX-License-Identifier: BSD-3-Clause */
/* Running as a service: --user/--group, --pidfile, memory costs, stale runtime dirs (hard.h). */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applog.h"
#include "args.h"
#include "ealargs.h"
#include "hard.h"

int
app_user_option(const char *name, const char *val, struct app_user *u, const char **why)
{
	uint64_t id;

	if (strcmp(name, "user") != 0 && strcmp(name, "group") != 0)
		return 1;
	if (!u->given) {
		u->uid = (uid_t)-1;
		u->gid = (gid_t)-1;
	}
	if (val[0] == '\0') {
		*why = "an empty value";
		return -EINVAL;
	}
	if (strcmp(name, "user") == 0) {
		struct passwd *pw = getpwnam(val);

		if (pw == NULL && app_parse_u64(val, 0, UINT32_MAX - 1, &id) == 0)
			pw = getpwuid((uid_t)id);
		if (pw == NULL) {
			*why = "no such user";
			return -EINVAL;
		}
		u->uid = pw->pw_uid;
		if (u->gid == (gid_t)-1)
			u->gid = pw->pw_gid;
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	} else {
		struct group *gr = getgrnam(val);

		if (gr == NULL && app_parse_u64(val, 0, UINT32_MAX - 1, &id) == 0)
			gr = getgrgid((gid_t)id);
		if (gr == NULL) {
			*why = "no such group";
			return -EINVAL;
		}
		u->gid = gr->gr_gid;
	}
	u->given = true;
	return 0;
}

int
app_user_drop(const struct app_user *u, const char *prog)
{
	gid_t g;

	if (!u->given)
		return 0;
	g = u->gid != (gid_t)-1 ? u->gid : getgid();
	if (setgroups(1, &g) < 0 || setgid(g) < 0 || (u->uid != (uid_t)-1 && setuid(u->uid) < 0)) {
		int err = errno;

		app_log_raw(APP_LOG_ERR, "%s: --user/--group: cannot drop privileges: %s", prog,
			    strerror(err));
		return -err;
	}
	/* No way back: neither root's uid nor its group. */
	if (u->uid != (uid_t)-1 && u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		app_log_raw(APP_LOG_ERR,
			    "%s: --user: root could be regained after the drop: stopping", prog);
		return -EPERM;
	}
	if (u->uid != (uid_t)-1 && u->uid != 0 && g != 0 && setgid(0) == 0) {
		app_log_raw(APP_LOG_ERR,
			    "%s: --group: group 0 could be regained after the drop: "
			    "stopping",
			    prog);
		return -EPERM;
	}
	app_log_raw(APP_LOG_NOTICE, "%s: running as uid %u gid %u%s%s", prog,
		    (unsigned int)getuid(), (unsigned int)getgid(), u->name[0] ? " " : "", u->name);
	return 0;
}

/* The pid in a pid file (a whole line of digits), or -1. */
static pid_t
pidfile_read(int fd)
{
	char buf[32];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	uint64_t v;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (app_parse_u64(buf, 1, 4194304, &v) < 0)
		return -1;
	return (pid_t)v;
}

int
app_pidfile_create(struct app_pidfile *pf, const char *path, const char *prog)
{
	char line[32];
	struct stat st;
	int fd, len;

	memset(pf, 0, sizeof(*pf));
	if (strlen(path) >= sizeof(pf->path))
		return -ENAMETOOLONG;
	for (int tries = 0; tries < 2; tries++) {
		pid_t old;
		int rfd;

		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			break;
		rfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (rfd < 0) {
			app_log_raw(APP_LOG_ERR,
				    "%s: --pidfile=%s exists and cannot be read (%s): "
				    "refused",
				    prog, path, strerror(errno));
			return -EEXIST;
		}
		if (fstat(rfd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(rfd);
			app_log_raw(APP_LOG_ERR,
				    "%s: --pidfile=%s exists and is not a regular file: "
				    "refused",
				    prog, path);
			return -EEXIST;
		}
		old = pidfile_read(rfd);
		close(rfd);
		if (old <= 0) {
			app_log_raw(APP_LOG_ERR,
				    "%s: --pidfile=%s exists and does not hold a pid: refused "
				    "(remove it if no %s runs)",
				    prog, path, prog);
			return -EEXIST;
		}
		if (kill(old, 0) == 0 || errno == EPERM) {
			app_log_raw(APP_LOG_ERR, "%s: --pidfile=%s: process %d is running: refused",
				    prog, path, (int)old);
			return -EEXIST;
		}
		app_log_raw(APP_LOG_WARNING,
			    "%s: --pidfile=%s: process %d is gone: replacing the stale "
			    "file",
			    prog, path, (int)old);
		if (unlink(path) < 0 && errno != ENOENT) {
			app_log_raw(APP_LOG_ERR, "%s: --pidfile=%s: cannot remove it: %s", prog,
				    path, strerror(errno));
			return -errno;
		}
	}
	if (fd < 0) {
		int err = errno;

		app_log_raw(APP_LOG_ERR, "%s: --pidfile=%s: %s", prog, path, strerror(err));
		return -err;
	}
	len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (write(fd, line, (size_t)len) != len || fstat(fd, &st) < 0) {
		int err = errno ? errno : EIO;

		close(fd);
		unlink(path);
		app_log_raw(APP_LOG_ERR, "%s: --pidfile=%s: cannot write it: %s", prog, path,
			    strerror(err));
		return -err;
	}
	close(fd);
	snprintf(pf->path, sizeof(pf->path), "%s", path);
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	pf->made = true;
	return 0;
}

int
app_pidfile_chown(struct app_pidfile *pf, uid_t uid, gid_t gid, const char *prog)
{
	struct stat st;
	int fd, e = 0;

	if (!pf->made)
		return 0;
	fd = open(pf->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		e = errno;
	else if (st.st_dev != pf->dev || st.st_ino != pf->ino)
		e = ESTALE; /* not the file we made any more */
	else if (fchown(fd, uid, gid) < 0)
		e = errno;
	if (fd >= 0)
		close(fd);
	if (e != 0)
		app_log_raw(APP_LOG_ERR, "%s: --pidfile %s: cannot give it to --user: %s", prog,
			    pf->path, strerror(e));
	return -e;
}

void
app_pidfile_remove(struct app_pidfile *pf)
{
	struct stat st;

	if (!pf->made)
		return;
	pf->made = false;
	if (lstat(pf->path, &st) == 0 && st.st_dev == pf->dev && st.st_ino == pf->ino)
		unlink(pf->path);
}

uint64_t
app_mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

int
app_mem_check(const char *prog, const char *what, uint64_t bytes)
{
	uint64_t avail = app_mem_available();

	if (avail == 0 || bytes <= avail)
		return 0;
	app_log_raw(APP_LOG_ERR,
		    "%s: %s needs %llu MiB, more than the %llu MiB available "
		    "(MemAvailable in /proc/meminfo): refused",
		    prog, what, (unsigned long long)(bytes >> 20),
		    (unsigned long long)(avail >> 20));
	return -ENOMEM;
}

/* The EAL's runtime base directory (eal_create_runtime_dir()): ".../dpdk". */
static void
rundir_base(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (getuid() == 0)
		snprintf(buf, size, "/var/run/dpdk");
	else
		snprintf(buf, size, "%s/dpdk", xdg != NULL ? xdg : "/tmp");
}

/* The pid holding the EAL's lock on <dirfd>/config, 0 if none, -1 if unknown. */
static pid_t
config_holder(int dirfd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd = openat(dirfd, "config", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	/* The EAL's primary holds a write lock on its first bytes while it runs. */
	fl.l_len = 0;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		pid = -1;
	else
		pid = fl.l_type == F_UNLCK ? 0 : fl.l_pid;
	close(fd);
	return pid;
}

pid_t
app_eal_prefix_holder(const char *prefix)
{
	char path[4200];
	pid_t pid;
	int fd;

	rundir_base(path, sizeof(path) - 300);
	snprintf(path + strlen(path), 300, "/%s", prefix);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	pid = config_holder(fd);
	close(fd);
	return pid > 0 ? pid : 0;
}

/* Whether /proc/<pid> is a live process named prog. */
static bool
pid_is_prog(long pid, const char *prog)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	/* comm is cut at 15 characters. */
	return comm[0] != '\0' && strncmp(comm, prog, 15) == 0;
}

unsigned int
app_eal_stale_clean(const char *prog)
{
	char base[4096], path[4400];
	size_t plen = strlen(prog);
	unsigned int removed = 0;
	struct dirent *e;
	DIR *d;

	rundir_base(base, sizeof(base));
	d = opendir(base);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		const char *p = e->d_name + plen + 1;
		struct stat st;
		long pid;
		char *end;
		int fd;

		if (strncmp(e->d_name, prog, plen) != 0 || e->d_name[plen] != '-' ||
		    !isdigit((unsigned char)*p))
			continue;
		pid = strtol(p, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == (long)getpid())
			continue;
		/* A real directory of ours, not a link to one. */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (pid_is_prog(pid, prog))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (config_holder(fd) != 0) {
			close(fd);
			continue;
		}
		close(fd);
		snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
		app_eal_rundir_remove(path);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		app_log_raw(APP_LOG_NOTICE,
			    "%s: removed %s, the EAL runtime directory a run that is gone "
			    "(pid %ld) left",
			    prog, path, pid);
		removed++;
	}
	closedir(d);
	return removed;
}
