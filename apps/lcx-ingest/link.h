/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_LINK_H
#define INGEST_LINK_H

/**
 * @file
 * The link type of each capture file that net_pcap replays: net_pcap hands
 * on the file's frames as they are, whatever its link type, so lcx-ingest
 * reads the link type itself (libpcap's pcap_datalink(), pcap and pcapng)
 * from the EAL arguments, before EAL starts, and gives each rx queue the
 * link of its file. Pure code (libpcap, no EAL). Main thread only.
 */

#include <stddef.h>

#include "parse.h"

/** The most rx_pcap files of one vdev that are looked at. */
#define INGEST_VDEV_FILES_MAX 16
/** The most pcap vdevs looked at. */
#define INGEST_VDEV_MAX 32

/** The rx files of one net_pcap vdev, in queue order. */
struct ingest_vdev_link {
	char name[64];                                 /**< the vdev (ethdev) name */
	unsigned int nb;                               /**< rx_pcap files, one per rx queue */
	enum ingest_link link[INGEST_VDEV_FILES_MAX];  /**< queue q: link[q] */
};

/** The pcap vdevs of a command line. */
struct ingest_vdev_links {
	struct ingest_vdev_link vdev[INGEST_VDEV_MAX]; /**< found */
	unsigned int nb;                               /**< how many */
};

/**
 * Read the link type of a capture file.
 * @param path the file (pcap or pcapng).
 * @param link its link, out.
 * @param err a message for the user, out, on failure.
 * @param errlen its size.
 * @return 0; -ENOTSUP for a link type lcx-ingest does not decode; -EIO when
 *         libpcap cannot read the file.
 */
int ingest_pcap_link(const char *path, enum ingest_link *link, char *err, size_t errlen);

/**
 * Find every net_pcap vdev in EAL arguments ("--vdev=NAME,ARGS" or "--vdev
 * NAME,ARGS", NAME starting with net_pcap or eth_pcap) and read the link type
 * of each of its rx_pcap files.
 * @param argc the EAL arguments' count.
 * @param argv the EAL arguments.
 * @param out filled.
 * @param err a message for the user, out, on failure.
 * @param errlen its size.
 * @return 0, or as ingest_pcap_link(); -E2BIG for more vdevs or files than
 *         this looks at.
 */
int ingest_vdev_links_scan(int argc, char **argv, struct ingest_vdev_links *out, char *err,
			   size_t errlen);

/**
 * @return the link of queue q of the ethdev called name: what its rx_pcap file
 *         holds, Ethernet for any other device.
 */
enum ingest_link ingest_vdev_link_of(const struct ingest_vdev_links *links, const char *name,
				     unsigned int q);

#endif /* INGEST_LINK_H */
