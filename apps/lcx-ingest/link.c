/* SPDX-License-Identifier: BSD-3-Clause */
/* The link types of net_pcap's rx files (see link.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "link.h"

int
ingest_pcap_link(const char *path, enum ingest_link *link, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, perr);
	const char *name, *desc;
	int dlt, l;

	if (p == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, perr);
		return -EIO;
	}
	dlt = pcap_datalink(p);
	pcap_close(p);
	l = ingest_link_from_pcap(dlt);
	if (l < 0) {
		name = pcap_datalink_val_to_name(dlt);
		desc = pcap_datalink_val_to_description(dlt);
		snprintf(err, errlen,
			 "%s: link type %d (%s, %s) is not one lcx-ingest decodes: Ethernet (1), "
			 "raw IP (101, 12, 14, 228, 229), Linux cooked (113, 276), loopback (0, 108)",
			 path, dlt, name ? name : "unknown", desc ? desc : "no description");
		return -ENOTSUP;
	}
	*link = (enum ingest_link)l;
	return 0;
}

static int
scan_vdev(const char *spec, struct ingest_vdev_links *out, char *err, size_t errlen)
{
	struct ingest_vdev_link *v;
	const char *p = strchr(spec, ','), *next;
	char path[4096];
	size_t n;
	int ret;

	if (strncmp(spec, "net_pcap", 8) != 0 && strncmp(spec, "eth_pcap", 8) != 0)
		return 0;
	if (out->nb == INGEST_VDEV_MAX) {
		snprintf(err, errlen, "more than %d pcap vdevs", INGEST_VDEV_MAX);
		return -E2BIG;
	}
	v = &out->vdev[out->nb++];
	memset(v, 0, sizeof(*v));
	n = p != NULL ? (size_t)(p - spec) : strlen(spec);
	snprintf(v->name, sizeof(v->name), "%.*s", (int)n, spec);
	while (p != NULL) {
		p++;
		next = strchr(p, ',');
		n = next != NULL ? (size_t)(next - p) : strlen(p);
		if (n > 8 && strncmp(p, "rx_pcap=", 8) == 0) {
			if (v->nb == INGEST_VDEV_FILES_MAX) {
				snprintf(err, errlen, "%s: more than %d rx_pcap files", v->name,
					 INGEST_VDEV_FILES_MAX);
				return -E2BIG;
			}
			snprintf(path, sizeof(path), "%.*s", (int)(n - 8), p + 8);
			ret = ingest_pcap_link(path, &v->link[v->nb], err, errlen);
			if (ret < 0)
				return ret;
			v->nb++;
		}
		p = next;
	}
	return 0;
}

int
ingest_vdev_links_scan(int argc, char **argv, struct ingest_vdev_links *out, char *err,
		       size_t errlen)
{
	int i, ret;

	out->nb = 0;
	for (i = 1; i < argc; i++) {
		const char *spec = NULL;

		if (strncmp(argv[i], "--vdev=", 7) == 0)
			spec = argv[i] + 7;
		else if (strcmp(argv[i], "--vdev") == 0 && i + 1 < argc)
			spec = argv[++i];
		if (spec == NULL)
			continue;
		ret = scan_vdev(spec, out, err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

enum ingest_link
ingest_vdev_link_of(const struct ingest_vdev_links *links, const char *name, unsigned int q)
{
	unsigned int i;

	for (i = 0; i < links->nb; i++)
		if (strcmp(links->vdev[i].name, name) == 0)
			return q < links->vdev[i].nb ? links->vdev[i].link[q] : INGEST_LINK_ETH;
	return INGEST_LINK_ETH;
}
