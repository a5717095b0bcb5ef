/* SPDX-License-Identifier: BSD-3-Clause */
/* Named devices and mbuf pools of the EAL programs (ealdev.h). */
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_pci.h>

#include "applog.h"
#include "ealdev.h"
#include "jout.h"

static void
add(struct app_devs *d, const char *opt, const char *val)
{
	size_t n = strcspn(val, ",");

	if (d->n == APP_DEVS_MAX)
		return;
	if (n >= sizeof(d->name[0]))
		n = sizeof(d->name[0]) - 1;
	memcpy(d->name[d->n], val, n);
	d->name[d->n][n] = '\0';
	d->opt[d->n++] = opt;
}

void
app_devs_parse(int argc, char **argv, struct app_devs *d)
{
	memset(d, 0, sizeof(*d));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "-a") == 0 || strcmp(a, "--allow") == 0) {
			if (next != NULL)
				add(d, "-a", next), i++;
		} else if (strncmp(a, "--allow=", 8) == 0) {
			add(d, "-a", a + 8);
		} else if (strncmp(a, "-a", 2) == 0) {
			add(d, "-a", a + 2);
		} else if (strcmp(a, "--vdev") == 0) {
			if (next != NULL)
				add(d, "--vdev", next), i++;
		} else if (strncmp(a, "--vdev=", 7) == 0) {
			add(d, "--vdev", a + 7);
		} else if (strcmp(a, "-b") == 0 || strcmp(a, "--block") == 0 ||
			   strncmp(a, "--block=", 8) == 0 || strncmp(a, "-b", 2) == 0) {
			d->block = true;
		}
	}
}

/* The device of an ethdev port (owned ports included, e.g. a bond's members). */
static bool
has_port(const char *name)
{
	struct rte_pci_addr addr;
	char canon[RTE_DEV_NAME_MAX_LEN];
	uint16_t p;

	snprintf(canon, sizeof(canon), "%s", name);
	if (rte_pci_addr_parse(name, &addr) == 0)
		rte_pci_device_name(&addr, canon, sizeof(canon));
	for (p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS; p = rte_eth_find_next(p + 1)) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(p, &info) == 0 && info.device != NULL &&
		    strcmp(rte_dev_name(info.device), canon) == 0)
			return true;
	}
	return false;
}

unsigned int
app_devs_check(const struct app_devs *d, const char *prog)
{
	unsigned int missing = 0;

	for (unsigned int i = 0; i < d->n; i++) {
		if (has_port(d->name[i]))
			continue;
		app_log_raw(APP_LOG_ERR, "%s: %s %s gave no port (%s)", prog, d->opt[i], d->name[i],
			strcmp(d->opt[i], "-a") == 0
				? "no such device, or not bound to a DPDK driver such as vfio-pci; "
				  "see dpdk-devbind.py --status"
				: "the EAL did not create it: see the messages above");
		missing++;
	}
	return missing;
}

struct pools_walk {
	const char *prog;
	json_t *a;
	unsigned long long in_use;
};

static void
json_one(struct rte_mempool *mp, void *arg)
{
	struct pools_walk *w = arg;
	unsigned int avail = rte_mempool_avail_count(mp);
	json_t *o;

	if (w->a == NULL)
		return;
	o = json_pack("{s:s, s:I, s:I, s:I}", "name", mp->name, "size", (json_int_t)mp->size,
		      "available", (json_int_t)avail, "in_use", (json_int_t)(mp->size - avail));
	if (json_array_append_new(w->a, o) < 0) {
		json_decref(w->a);
		w->a = NULL;
	}
	w->in_use += mp->size - avail;
}

json_t *
app_pools_jobj(unsigned long long *in_use)
{
	struct pools_walk w = { .a = json_array() };

	rte_mempool_walk(json_one, &w);
	if (in_use != NULL)
		*in_use = w.in_use;
	return w.a;
}

unsigned long long
app_pools_json(FILE *f)
{
	unsigned long long in_use = 0;

	if (app_jout_dump(app_pools_jobj(&in_use), f, 0) < 0)
		fputs("null", f);
	return in_use;
}

static void
warn_one(struct rte_mempool *mp, void *arg)
{
	struct pools_walk *w = arg;
	unsigned int in_use = rte_mempool_in_use_count(mp);

	if (in_use != 0)
		app_log_raw(APP_LOG_ERR, "%s: pool %s: %u of %u mbufs not back at exit", w->prog,
			mp->name, in_use, mp->size);
	w->in_use += in_use;
}

unsigned long long
app_pools_warn(const char *prog)
{
	struct pools_walk w = { .prog = prog };

	rte_mempool_walk(warn_one, &w);
	return w.in_use;
}
