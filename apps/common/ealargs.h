/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_EALARGS_H
#define LCX_APP_EALARGS_H

/*
 * The programs' command line before rte_eal_init(): split "[EAL options] --
 * [options]", the EAL defaults this machine needs (--no-huge -m 1024 without
 * hugepages, --no-pci without a PCI device bound to a DPDK driver, a file prefix
 * of the program's own), and --version. Main thread, before the EAL starts.
 */

#include <stdbool.h>
#include <stdio.h>

#include "ealdev.h"

/** A growing NULL-terminated argument vector; every string is a copy. */
struct app_argv {
	char **v;
	int n;
	int cap;
};

/** Append a copy of s. @return 0 or -ENOMEM. */
int app_argv_add(struct app_argv *a, const char *s);

/** Free the strings and the vector. */
void app_argv_free(struct app_argv *a);

/**
 * Whether argv[1..argc-1] holds the option name. A long option ("--vdev")
 * matches itself and "--vdev=..."; a short one ("-m") matches itself and its
 * attached form ("-m1024").
 */
bool app_has_arg(int argc, char *const *argv, const char *name);

/** Hugepages: some reserved (HugePages_Total > 0) and a hugetlbfs mounted. */
bool app_hugepages_available(void);

/** A PCI device bound to a driver DPDK can use (vfio-pci, uio_pci_generic, igb_uio, mlx). */
bool app_pci_usable(void);

/**
 * Split the command line: the EAL's arguments (with argv[0]) before "--", the
 * program's after it (with argv[0] in front). Without "--", every argument is
 * the program's when is_app_option(argv[1]) is true, else the EAL's.
 * @param is_app_option NULL: without "--" everything is the EAL's.
 * @return 0 or -ENOMEM.
 */
int app_args_split(int argc, char **argv, bool (*is_app_option)(const char *arg),
		   struct app_argv *eal, struct app_argv *app);

/** When to add --no-pci. */
enum app_pci_rule {
	/** Unless --no-pci, a device named (-a, --vdev, -b) or a PCI device DPDK can use. */
	APP_PCI_AUTO,
	/** Unless --no-pci or -a/--allow: the program's input needs no PCI device. */
	APP_PCI_UNUSED,
	/** Never add it. */
	APP_PCI_KEEP,
};

/** What app_eal_defaults() adds. */
struct app_eal_conf {
	const char *prog;      /**< for the messages on stderr */
	enum app_pci_rule pci; /**< when to add --no-pci */
	bool own_prefix;       /**< add --file-prefix=<prog>-<pid> unless --file-prefix or
				    --in-memory is given (see app_eal_prefix_cleanup()) */
};

/**
 * Add the EAL defaults this machine needs to eal, each said on stderr (but
 * the file prefix): --no-huge (and -m 1024 unless -m or --socket-mem) when no
 * hugepages are mounted, --no-pci by conf->pci.
 * @param devs the devices named on the EAL command line (app_devs_parse()).
 * With a prefix of our own, the runtime directories killed runs of ours left are
 * removed (app_eal_stale_clean()). Without one and without --file-prefix or
 * --in-memory, a default prefix ("rte") held by a live process is refused.
 * @param own_prefix out: whether a file prefix of our own was added.
 * @return 0, -ENOMEM, or -EBUSY (the default prefix is in use; said on stderr).
 */
int app_eal_defaults(struct app_argv *eal, const struct app_devs *devs,
		     const struct app_eal_conf *conf, bool *own_prefix);

/**
 * After the run, before rte_eal_cleanup(): note the runtime directory of a
 * file prefix app_eal_defaults() added (buf), and after rte_eal_cleanup()
 * remove it with app_eal_rundir_remove(buf): a run with its own prefix leaves
 * nothing behind. Both do nothing when buf is empty. app_eal_rundir_remove()
 * removes the directory tree at buf (no link followed; app_eal_stale_clean()
 * removes a dead run's directory with it too).
 */
void app_eal_rundir_note(char *buf, size_t size, bool own_prefix, const char *prog);
void app_eal_rundir_remove(const char *buf);

/** Whether argv[1..argc-1] asks for --version. */
bool app_wants_version(int argc, char *const *argv);

/** Print "<prog> <lcx version> (lcx <lcx version>, <DPDK version>)" and a newline. */
void app_print_version(FILE *f, const char *prog);

#endif /* LCX_APP_EALARGS_H */
