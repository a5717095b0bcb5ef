/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' command line before rte_eal_init(): see ealargs.h. */

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_version.h>

#include <lcx/version.h>

#include "ealargs.h"
#include "hard.h"

int
app_argv_add(struct app_argv *a, const char *s)
{
	char *copy;

	if (a->n + 2 > a->cap) {
		int cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	copy = strdup(s);
	if (copy == NULL)
		return -ENOMEM;
	a->v[a->n++] = copy;
	a->v[a->n] = NULL;
	return 0;
}

void
app_argv_free(struct app_argv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

bool
app_has_arg(int argc, char *const *argv, const char *name)
{
	size_t n = strlen(name);
	bool is_short = name[0] == '-' && name[1] != '-';

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], name, n) != 0)
			continue;
		if (argv[i][n] == '\0' || argv[i][n] == '=' || is_short)
			return true;
	}
	return false;
}

bool
app_hugepages_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long total = 0;
	bool mounted = false;

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "HugePages_Total: %ld", &total) == 1)
				break;
		fclose(f);
	}
	f = fopen("/proc/mounts", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, " hugetlbfs ") != NULL)
				mounted = true;
		fclose(f);
	}
	return total > 0 && mounted;
}

bool
app_pci_usable(void)
{
	static const char *const drivers[] = { "vfio-pci", "uio_pci_generic", "igb_uio",
					       "mlx5_core", "mlx4_core", NULL };
	char path[128];

	for (int i = 0; drivers[i] != NULL; i++) {
		DIR *d;
		struct dirent *e;
		bool found = false;

		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drivers[i]);
		d = opendir(path);
		if (d == NULL)
			continue;
		/* A bound device shows as a link named by its address: 0000:01:00.0. */
		while (!found && (e = readdir(d)) != NULL) {
			unsigned int dom, bus, dev, fn;
			char tail;

			if (sscanf(e->d_name, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4)
				found = true;
		}
		closedir(d);
		if (found)
			return true;
	}
	return false;
}

int
app_args_split(int argc, char **argv, bool (*is_app_option)(const char *arg),
	       struct app_argv *eal, struct app_argv *app)
{
	int split = -1, ret = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	if (split < 0)
		split = (argc > 1 && is_app_option != NULL && is_app_option(argv[1])) ? 0 : argc;
	ret |= app_argv_add(eal, argc > 0 ? argv[0] : "");
	for (int i = 1; i < split; i++)
		ret |= app_argv_add(eal, argv[i]);
	ret |= app_argv_add(app, argc > 0 ? argv[0] : "");
	for (int i = split + 1; i < argc; i++)
		ret |= app_argv_add(app, argv[i]);
	return ret < 0 ? -ENOMEM : 0;
}

int
app_eal_defaults(struct app_argv *eal, const struct app_devs *devs,
		 const struct app_eal_conf *conf, bool *own_prefix)
{
	bool no_pci = false;
	int ret = 0;

	*own_prefix = false;
	if (!app_has_arg(eal->n, eal->v, "--no-huge") && !app_hugepages_available()) {
		bool mem = app_has_arg(eal->n, eal->v, "-m") ||
			   app_has_arg(eal->n, eal->v, "--socket-mem");

		fprintf(stderr, "%s: no hugepages mounted: adding --no-huge%s\n", conf->prog,
			mem ? "" : " -m 1024");
		ret |= app_argv_add(eal, "--no-huge");
		if (!mem) {
			ret |= app_argv_add(eal, "-m");
			ret |= app_argv_add(eal, "1024");
		}
	}
	if (!app_has_arg(eal->n, eal->v, "--no-pci")) {
		switch (conf->pci) {
		case APP_PCI_AUTO:
			no_pci = !app_devs_given(devs) && !app_pci_usable();
			if (no_pci)
				fprintf(stderr, "%s: no PCI device bound to a DPDK driver: adding "
						"--no-pci\n", conf->prog);
			break;
		case APP_PCI_UNUSED:
			no_pci = !app_has_arg(eal->n, eal->v, "-a") &&
				 !app_has_arg(eal->n, eal->v, "--allow");
			break;
		case APP_PCI_KEEP:
			break;
		}
	}
	if (no_pci)
		ret |= app_argv_add(eal, "--no-pci");
	if (conf->own_prefix && !app_has_arg(eal->n, eal->v, "--file-prefix") &&
	    !app_has_arg(eal->n, eal->v, "--in-memory")) {
		char prefix[96];

		snprintf(prefix, sizeof(prefix), "--file-prefix=%s-%d", conf->prog, (int)getpid());
		ret |= app_argv_add(eal, prefix);
		*own_prefix = true;
		/* What killed runs of ours left: their pids are in the names. */
		app_eal_stale_clean(conf->prog);
	} else if (!app_has_arg(eal->n, eal->v, "--file-prefix") &&
		   !app_has_arg(eal->n, eal->v, "--in-memory")) {
		/* The EAL's default prefix, "rte": one primary process at a time. */
		pid_t holder = app_eal_prefix_holder("rte");

		if (holder > 0) {
			fprintf(stderr, "%s: the EAL's default file prefix \"rte\" is in use by "
					"process %d: give this run its own, e.g. "
					"--file-prefix=%s-%d (an EAL option, before \"--\")\n",
				conf->prog, (int)holder, conf->prog, (int)getpid());
			return -EBUSY;
		}
	}
	return ret < 0 ? -ENOMEM : 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
app_eal_rundir_note(char *buf, size_t size, bool own_prefix, const char *prog)
{
	char mark[96];

	buf[0] = '\0';
	if (!own_prefix)
		return;
	/* Only the directory of the prefix we named: "<prog>-<pid>". */
	snprintf(mark, sizeof(mark), "/%s-%d", prog, (int)getpid());
	if (strstr(rte_eal_get_runtime_dir(), mark) != NULL)
		snprintf(buf, size, "%s", rte_eal_get_runtime_dir());
}

void
app_eal_rundir_remove(const char *buf)
{
	if (buf[0] != '\0')
		nftw(buf, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

bool
app_wants_version(int argc, char *const *argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--version") == 0)
			return true;
	return false;
}

void
app_print_version(FILE *f, const char *prog)
{
	fprintf(f, "%s %s (lcx %s, %s)\n", prog, LCX_VERSION_STRING, lcx_version(), rte_version());
}
