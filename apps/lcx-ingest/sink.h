/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_SINK_H
#define INGEST_SINK_H

/**
 * @file
 * The writer: takes accepted frames from the rx contexts through one bounded
 * multi-producer ring and writes them on its own context, off the receive
 * path: a pcapng capture with rotation by size and time and an optional ring
 * of at most N files, or the UDP payloads alone, one file per flow, in a
 * directory.
 *
 * pcapng: the Section Header Block (OS, hardware, application and version),
 * one Interface Description Block per interface (snap length, ns
 * resolution) and, at each file's close, one Interface Statistics Block per
 * interface are written here; rte_pcapng_copy() formats each Enhanced Packet
 * Block (chains, VLAN re-insertion) and the writer sets its interface and its
 * time: the wall-clock time (CLOCK_REALTIME) of the frame's arrival, from
 * the TSC reading the rx side took (DPDK 22.11's own clock reference, set at
 * its first use, is later than frames already queued and turns them into
 * times in the 23rd century).
 *
 * Files (see doc/ingest.md "Files and safety"): every file is created with
 * openat() in a directory opened with O_DIRECTORY|O_NOFOLLOW and checked to
 * be owned by the effective user (or root) and not writable by group or
 * others unless sticky; with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. lcx never
 * truncates or overwrites a file it did not create, never reopens a file by
 * name without checking it is the one it created, and gives every new file a
 * new name. The only truncation is cutting its own partial write back to the
 * last complete block.
 *
 * The rx side enqueues the mbuf itself (ownership passes to the sink); when
 * the ring is full the caller keeps the mbufs, frees them, counts them as
 * sink_queue_full and tells the sink (ingest_sink_count_full()). A file that
 * cannot be opened or written (disk full, permissions) costs the frames meant
 * for it, counted as write_errors, and the writer tries a new file at most
 * once a second; a bound (--max-files, --max-disk) costs what is over it,
 * counted as over_limit; a file removed while lcx writes it moves the frames
 * counted written into removed. The receive side never notices.
 *
 * Threads: create/destroy from the control thread; ingest_sink_enqueue() and
 * ingest_sink_count_full() from any rx context (multi-producer);
 * ingest_sink_request_rotate() from any thread; the poller runs on the
 * writer context; ingest_sink_drain() on the writer context
 * (lcx_context_enter()) once the rx contexts have stopped.
 */

#include <stdint.h>

#include "acct.h"
#include "rotate.h"

struct lcx_context;
struct rte_mbuf;
struct ingest_sink;

/** What the sink writes. */
enum ingest_sink_kind {
	INGEST_SINK_NONE = 0, /**< count only */
	INGEST_SINK_PCAPNG,   /**< --capture=FILE.pcapng */
	INGEST_SINK_PAYLOAD,  /**< --payload-dir=DIR */
};

/** Interface number of frames from a socket port (no ethdev behind them). */
#define INGEST_IFACE_SOCKET 0xffffu

/** One queued frame. */
struct ingest_sink_item {
	struct rte_mbuf *m; /**< the frame; the sink owns it once queued */
	uint64_t tsc;       /**< receive time, TSC cycles */
	uint16_t iface;     /**< ethdev port id, or INGEST_IFACE_SOCKET */
	uint16_t queue;     /**< rx queue */
	uint32_t pad;       /**< zero */
};

/** How to make a sink. */
struct ingest_sink_conf {
	enum ingest_sink_kind kind; /**< what to write */
	const char *path;           /**< capture file, or payload directory */
	uint64_t rotate_bytes;      /**< 0: no rotation by size */
	uint64_t rotate_ns;         /**< 0: no rotation by time */
	uint32_t rotate_files;      /**< pcapng: keep at most this many files (delete the
				     *   oldest this run created); 0: keep all */
	uint32_t max_files;         /**< payload: files created in the run; 0: 4096 */
	uint32_t max_open;          /**< payload: files open at once; 0: 256 */
	uint64_t max_disk;          /**< bytes in the files kept; 0: no bound */
	uint32_t snaplen;           /**< pcapng: bytes kept per frame; 0: 262144 */
	uint32_t ring_size;         /**< queue entries (power of two); 0: 16384 */
	int socket_id;              /**< NUMA node of the ring and pool */
	int with_socket_iface;      /**< pcapng: also describe a "socket" interface */
	int64_t owner_uid;          /**< --user: files and the payload directory made before
				     *   the drop are given to this uid, and the directory
				     *   must be trusted by and writable for it; -1: none */
	int64_t owner_gid;          /**< with owner_uid: the group; -1: keep */
};

/**
 * Make the sink's ring and copy pool and open the first file. A file that
 * cannot be opened is not fatal (see @file): *open_err tells the caller so
 * that it can say so. A directory that fails the safety checks, a symbolic
 * link where the directory or first file should be, or a first file that
 * already exists is fatal (logged with the reason).
 * @return 0, -EINVAL (bad conf), -ENOMEM, -EEXIST (the first file exists),
 *         -EPERM (directory not trusted), -ELOOP / -ENOTDIR (a link or a
 *         non-directory on the path), or another -errno.
 */
int ingest_sink_create(const struct ingest_sink_conf *conf, struct ingest_sink **out,
		       int *open_err);

/** Register the writer's poller on ctx (call on ctx, or before it runs). @return 0 or -errno. */
int ingest_sink_attach(struct ingest_sink *s, struct lcx_context *ctx);

/**
 * Queue frames (multi-producer). @return how many were queued: the first ret
 * items now belong to the sink; the rest stay with the caller.
 */
unsigned int ingest_sink_enqueue(struct ingest_sink *s, const struct ingest_sink_item *items,
				 unsigned int n);

/**
 * Count frames of an interface the caller could not queue (ring full), for
 * the capture's interface statistics. Any rx context.
 * @param iface ethdev port id or INGEST_IFACE_SOCKET.
 * @param n frames.
 */
void ingest_sink_count_full(struct ingest_sink *s, uint16_t iface, unsigned int n);

/** Ask for a rotation at the writer's next poll. Any thread. */
void ingest_sink_request_rotate(struct ingest_sink *s);

/**
 * Ask for a reopen at the writer's next poll (SIGHUP, after logrotate renamed
 * the file): the capture's file is closed and the configured name opened again
 * as a new file (O_EXCL); when that name still exists (it was not renamed
 * away), or the capture rotates by size or time, the next rotation name is
 * taken. Payload files: a rotation. Any thread.
 * @return the reopen's number, for ingest_sink_reopen_done().
 */
uint64_t ingest_sink_request_reopen(struct ingest_sink *s);

/**
 * Whether the writer has done reopen gen (its new file is open, or the open
 * failed and is counted). Any thread.
 */
bool ingest_sink_reopen_done(const struct ingest_sink *s, uint64_t gen);

/**
 * Write everything still queued, close the files, unregister the poller.
 * On the writer context, after every producer stopped.
 * @return 0.
 */
int ingest_sink_drain(struct ingest_sink *s);

/** Free the sink (drain first); NULL is a no-op. */
void ingest_sink_destroy(struct ingest_sink *s);

/** @return the writer's counters. */
const struct ingest_sink_acct *ingest_sink_acct(const struct ingest_sink *s);

#endif /* INGEST_SINK_H */
