/* SPDX-License-Identifier: BSD-3-Clause */
/* The writer context: bounded ring in, pcapng or payload files out (see sink.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_version.h>

#include <lcx/clock.h>
#include <lcx/context.h>
#include <lcx/poller.h>
#include <lcx/pool.h>
#include <lcx/version.h>

#include "flow.h"
#include "parse.h"
#include "sink.h"

#define SINK_BURST 256
#define SINK_POOL 2048          /* pcapng copies: one burst in flight, room to spare */
#define SINK_SEG 2048           /* data room of a copy segment; longer frames chain */
#define SINK_IOV 1024           /* iovecs per writev (IOV_MAX) */
#define RETRY_NS 1000000000ull  /* a failed file is retried once a second */
#define CHECK_NS 1000000000ull  /* payload files: checked for removal once a second */
#define DEF_MAX_FILES 4096u
#define DEF_MAX_OPEN 256u
#define SINK_IFS (RTE_MAX_ETHPORTS + 1) /* ethdev ports, then the socket interface */
#define SOCK_SLOT RTE_MAX_ETHPORTS
#define NO_IDX UINT32_MAX
#define LIN_MAX (1u << 17)      /* longest frame the payload writer takes */
#define HDR_MAX 16384           /* SHB + IDBs, or ISBs */
#define ISB_LEN 64              /* bytes of one statistics block as written here */
#define NAME_LEN 256
#define EXIST_SKIP_MAX 1000     /* capture names that exist, skipped in a row */

/* pcapng (draft-ietf-opsawg-pcapng) block types and option codes. */
#define PNG_SHB 0x0A0D0D0Au
#define PNG_IDB 1u
#define PNG_ISB 5u
#define PNG_MAGIC 0x1A2B3C4Du
#define OPT_END 0
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define ISB_STARTTIME 2
#define ISB_ENDTIME 3
#define ISB_IFRECV 4
#define ISB_IFDROP 5
#define EPB_IFACE_OFF 8
#define EPB_TS_OFF 12

RTE_LOG_REGISTER(ingest_logtype_sink, lcx.ingest.sink, NOTICE);
#define SINK_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, ingest_logtype_sink, "lcx-ingest: " fmt "\n", ##__VA_ARGS__)

/* A file this run created and still keeps. */
struct kept {
	char name[NAME_LEN]; /* in the sink's directory */
	dev_t dev;
	ino_t ino;
	uint64_t frames;
	uint64_t bytes;
};

/* A payload file of the current generation. */
enum { PF_FREE = 0, PF_OK, PF_REFUSED, PF_GONE };
struct pfile {
	struct ingest_flow_key key;
	dev_t dev;
	ino_t ino;
	uint64_t frames;
	uint64_t bytes;
	int fd;         /* -1 while closed */
	uint32_t state; /* PF_* */
};

enum { WARN_DISK = 1, WARN_FILES = 2, WARN_LONG = 4, WARN_PARSE = 8 };

struct ingest_sink;
static void rotate_now(struct ingest_sink *s, uint64_t now);

/* What differs between the two kinds of sink; the rotation path is shared. */
struct sink_ops {
	/** Start file (or generation) number rot.index. @return 0 or -errno. */
	int (*open)(struct ingest_sink *s, uint64_t now);
	/** Write a burst (the sink owns the mbufs). */
	void (*burst)(struct ingest_sink *s, struct ingest_sink_item *it, unsigned int n,
		      uint64_t now);
	/** See whether files were removed under us. */
	void (*check)(struct ingest_sink *s);
	/** Close the current file(s), after a last check. */
	void (*close)(struct ingest_sink *s, uint64_t now);
};

struct ingest_sink {
	struct ingest_sink_conf conf;
	const struct sink_ops *ops;
	char *dirpath;             /* the directory the files are in */
	char *base;                /* pcapng: the file name as given, in dirpath */
	int dirfd;
	bool started;              /* past ingest_sink_create() */
	struct rte_ring *ring;
	struct rte_mempool *pool;  /* pcapng copies */
	struct lcx_poller poller;
	struct lcx_context *ctx;
	struct ingest_sink_acct acct;
	struct ingest_rotate rot;  /* rot.index: file number (pcapng), generation (payload) */
	uint32_t rotate_req;       /* set by any thread */
	uint32_t reopen_req;       /* set by any thread (SIGHUP) */
	uint64_t reopen_asked;     /* reopens asked for (any thread), before reopen_req is set */
	uint64_t reopen_done;      /* reopen_asked as the writer last saw it, once reopened */
	bool reopen_base;          /* pcapng_open(): try the configured name first */
	uint64_t retry_at_ns;      /* no new file before this */
	uint64_t check_at_ns;      /* next removal check */
	unsigned int err_logged;
	uint32_t warned;           /* WARN_* bits: said once per run */
	/* Wall clock: one CLOCK_REALTIME reading and the TSC at it, per poll. */
	uint64_t wall_ns, wall_tsc, start_wall_ns;
	double ns_per_cyc;
	/* Per interface slot (ethdev port id, or SOCK_SLOT). */
	uint64_t offered[SINK_IFS];  /* dequeued by the writer */
	uint64_t dropped[SINK_IFS];  /* of those, not written */
	uint64_t full[SINK_IFS];     /* queue full on the rx side (atomic) */
	/* pcapng */
	int fd;
	struct kept *files;        /* ring of kept files; files[head] is the current one */
	uint32_t nfiles, head, cap_files;
	uint32_t ifidx[SINK_IFS];  /* interface index in the current file, or NO_IDX */
	uint16_t ifslot[SINK_IFS]; /* slot of each interface index */
	uint32_t nif;
	char shb_os[160], shb_hw[160], shb_appl[160];
	uint8_t blk[HDR_MAX];
	/* payload-dir */
	struct pfile *pf;
	uint32_t pf_mask;
	uint32_t files_made;       /* in the run */
	uint32_t pf_used;          /* table entries used in this generation */
	uint32_t *open_ring;       /* pfile indices holding an fd */
	uint32_t nopen, open_hand;
	uint8_t lin[LIN_MAX];      /* a chained frame, copied */
};

static inline uint16_t
islot(uint16_t iface)
{
	return iface < RTE_MAX_ETHPORTS ? iface : SOCK_SLOT;
}

static uint64_t
sink_now(const struct ingest_sink *s)
{
	if (s->ctx != NULL && lcx_context_current() == s->ctx)
		return lcx_context_now(s->ctx);
	return lcx_tsc_ns();
}

static void
wall_refresh(struct ingest_sink *s)
{
	struct timespec ts;
	uint64_t t0 = rte_rdtsc(), t1;

	clock_gettime(CLOCK_REALTIME, &ts);
	t1 = rte_rdtsc();
	s->wall_tsc = t0 + (t1 - t0) / 2;
	s->wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The wall-clock time of a TSC reading near the last wall_refresh(). */
static uint64_t
wall_of(const struct ingest_sink *s, uint64_t tsc)
{
	if (tsc >= s->wall_tsc)
		return s->wall_ns + (uint64_t)((double)(tsc - s->wall_tsc) * s->ns_per_cyc);
	return s->wall_ns - (uint64_t)((double)(s->wall_tsc - tsc) * s->ns_per_cyc);
}

static void
note_error(struct ingest_sink *s, int err, const char *what, const char *name)
{
	__atomic_store_n(&s->acct.last_errno, err, __ATOMIC_RELAXED);
	/* The first failure and then every 1000th: a full disk must not flood the log. */
	if (s->err_logged++ % 1000 == 0)
		SINK_LOG(ERR, "%s %s/%s: %s; frames for it are dropped and counted (sink_dropped)",
			 what, s->dirpath, name, strerror(err));
}

/* Frames counted written that sit in a file found removed. */
static void
lost_file(struct ingest_sink *s, const char *name, uint64_t frames, uint64_t bytes)
{
	APP_COUNTER_ADD(s->acct.written, -frames);
	APP_COUNTER_ADD(s->acct.written_bytes, -bytes);
	APP_COUNTER_ADD(s->acct.removed, frames);
	SINK_LOG(WARNING, "%s/%s was removed while lcx wrote it: %" PRIu64
		 " frames counted written are lost (sink.removed)", s->dirpath, name, frames);
}

static void
drop_frames(struct ingest_sink *s, uint64_t *counter, uint16_t slot, uint64_t n)
{
	APP_COUNTER_ADD(*counter, n);
	s->dropped[slot] += n;
}

static void
warn_limit(struct ingest_sink *s, uint32_t bit, const char *what)
{
	if (s->warned & bit)
		return;
	s->warned |= bit;
	SINK_LOG(WARNING, "%s reached: frames past it are dropped and counted (sink.over_limit)",
		 what);
}

/* --- files and directories --- */

/* Errors that stop the run at start: retrying would not help, going on would hide them. */
static bool
fatal_at_start(int ret)
{
	return ret == -EEXIST || ret == -EPERM || ret == -ELOOP || ret == -ENOTDIR;
}

/* Open the sink's directory without following a link, and check who may write there. */
static int
open_dir(struct ingest_sink *s)
{
	const char *why;
	struct stat st;
	int fd;

	fd = open(s->dirpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	why = ingest_dir_untrusted(st.st_uid, st.st_mode,
				   s->conf.owner_uid >= 0 ? (uint32_t)s->conf.owner_uid : geteuid());
	if (why == NULL && s->conf.owner_uid >= 0 &&
	    !(st.st_uid == (uid_t)s->conf.owner_uid ? (st.st_mode & 0200) :
	      (s->conf.owner_gid >= 0 && st.st_gid == (gid_t)s->conf.owner_gid) ?
	      (st.st_mode & 0020) : (st.st_mode & 0002)))
		why = "not writable by --user (files are made there after the drop)";
	if (why != NULL) {
		SINK_LOG(ERR, "directory %s is %s (uid %u, mode %04o): refused; lcx writes only "
			 "in directories that no one else can plant files in", s->dirpath, why,
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	s->dirfd = fd;
	return 0;
}

/* Create a new file in the directory: never an existing name, never a link. */
static int
create_file(struct ingest_sink *s, const char *name, struct stat *st)
{
	int fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd < 0)
		return -errno;
	/* Made before the drop to --user: the user's, as the files made after it. */
	if (fstat(fd, st) < 0 ||
	    (s->conf.owner_uid >= 0 && st->st_uid != (uid_t)s->conf.owner_uid &&
	     fchown(fd, (uid_t)s->conf.owner_uid, (gid_t)s->conf.owner_gid) < 0)) {
		int err = errno;

		close(fd);
		unlinkat(s->dirfd, name, 0);
		return -err;
	}
	APP_COUNTER_ADD(s->acct.files, 1);
	return fd;
}

/* Remove a file this run created, if the name still is that file. */
static int
remove_own(struct ingest_sink *s, const char *name, dev_t dev, ino_t ino)
{
	struct stat st;

	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_dev != dev || st.st_ino != ino)
		return -ESTALE;
	return unlinkat(s->dirfd, name, 0) < 0 ? -errno : 0;
}

static bool
fd_removed(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_nlink == 0;
}

/* Write all of a buffer; on failure cut the file back to where it was. */
static int
write_all(int fd, const void *b, size_t len, uint64_t good)
{
	ssize_t r = write(fd, b, len);

	if (r == (ssize_t)len)
		return 0;
	if (r != 0 && ftruncate(fd, (off_t)good) < 0)
		return -errno;
	return r < 0 ? -errno : -ENOSPC;
}

/* --- pcapng blocks --- */

struct blk {
	uint8_t *b;
	uint32_t len;
	uint32_t start;
};

static void
blk_put(struct blk *k, const void *v, uint32_t n)
{
	memcpy(k->b + k->len, v, n);
	memset(k->b + k->len + n, 0, (4 - (n & 3)) & 3);
	k->len += (n + 3) & ~3u;
}

static void
blk_u32(struct blk *k, uint32_t v)
{
	blk_put(k, &v, 4);
}

static void
blk_begin(struct blk *k, uint32_t type)
{
	k->start = k->len;
	blk_u32(k, type);
	blk_u32(k, 0); /* length, set by blk_end */
}

static void
blk_opt(struct blk *k, uint16_t code, const void *v, uint16_t n)
{
	uint16_t h[2] = {code, n};

	blk_put(k, h, 4);
	if (n > 0)
		blk_put(k, v, n);
}

static void
blk_opt_str(struct blk *k, uint16_t code, const char *str)
{
	size_t n = strlen(str);

	if (n > 200)
		n = 200;

	if (n > 0)
		blk_opt(k, code, str, (uint16_t)n);
}

/* A timestamp option: two 32-bit words, high then low. */
static void
blk_opt_ts(struct blk *k, uint16_t code, uint64_t ns)
{
	uint32_t v[2] = {(uint32_t)(ns >> 32), (uint32_t)ns};

	blk_opt(k, code, v, 8);
}

static void
blk_end(struct blk *k, bool opts)
{
	uint32_t len;

	if (opts)
		blk_opt(k, OPT_END, NULL, 0);
	len = k->len - k->start + 4;
	memcpy(k->b + k->start + 4, &len, 4);
	blk_u32(k, len);
}

static void
build_idb(struct ingest_sink *s, struct blk *k, uint16_t slot)
{
	char name[RTE_ETH_NAME_MAX_LEN], desc[64];
	uint16_t h[2] = {1, 0}; /* LINKTYPE_ETHERNET, reserved */
	uint8_t tsresol = 9;    /* nanoseconds */

	blk_begin(k, PNG_IDB);
	blk_put(k, h, 4);
	blk_u32(k, s->conf.snaplen);
	if (slot == SOCK_SLOT) {
		blk_opt_str(k, IF_NAME, "lcx-socket");
		blk_opt_str(k, IF_DESCRIPTION, "kernel UDP sockets (lcx socket port)");
	} else {
		if (rte_eth_dev_get_name_by_port(slot, name) != 0)
			snprintf(name, sizeof(name), "dpdk:%u", slot);
		snprintf(desc, sizeof(desc), "DPDK port %u", slot);
		blk_opt_str(k, IF_NAME, name);
		blk_opt_str(k, IF_DESCRIPTION, desc);
	}
	blk_opt(k, IF_TSRESOL, &tsresol, 1);
	blk_end(k, true);
	s->ifidx[slot] = s->nif;
	s->ifslot[s->nif++] = slot;
}

static uint32_t
build_header(struct ingest_sink *s)
{
	struct blk k = {.b = s->blk};
	uint32_t v;
	uint16_t p, h[2] = {1, 0};
	uint64_t seclen = UINT64_MAX;

	blk_begin(&k, PNG_SHB);
	v = PNG_MAGIC;
	blk_put(&k, &v, 4);
	blk_put(&k, h, 4);
	blk_put(&k, &seclen, 8);
	blk_opt_str(&k, SHB_HARDWARE, s->shb_hw);
	blk_opt_str(&k, SHB_OS, s->shb_os);
	blk_opt_str(&k, SHB_USERAPPL, s->shb_appl);
	blk_end(&k, true);
	memset(s->ifidx, 0xff, sizeof(s->ifidx));
	s->nif = 0;
	RTE_ETH_FOREACH_DEV(p)
		build_idb(s, &k, p);
	if (s->conf.with_socket_iface)
		build_idb(s, &k, SOCK_SLOT);
	return k.len;
}

/* ISBs of every interface of the current file: cumulative since the run started. */
static uint32_t
build_isbs(struct ingest_sink *s)
{
	struct blk k = {.b = s->blk};
	uint64_t now = s->wall_ns;
	uint32_t i;

	for (i = 0; i < s->nif; i++) {
		uint16_t slot = s->ifslot[i];
		uint64_t full = __atomic_load_n(&s->full[slot], __ATOMIC_RELAXED);

		blk_begin(&k, PNG_ISB);
		blk_u32(&k, i);
		blk_u32(&k, (uint32_t)(now >> 32));
		blk_u32(&k, (uint32_t)now);
		blk_opt_ts(&k, ISB_STARTTIME, s->start_wall_ns);
		blk_opt_ts(&k, ISB_ENDTIME, now);
		blk_opt(&k, ISB_IFRECV, &(uint64_t){s->offered[slot] + full}, 8);
		blk_opt(&k, ISB_IFDROP, &(uint64_t){s->dropped[slot] + full}, 8);
		blk_end(&k, true);
	}
	return k.len;
}

/* --- pcapng --- */

static struct kept *
cur_file(struct ingest_sink *s)
{
	return &s->files[s->head];
}

static void
pcapng_account(struct ingest_sink *s, uint64_t frames, uint64_t bytes)
{
	struct kept *f = cur_file(s);

	f->frames += frames;
	f->bytes += bytes;
	s->rot.bytes += bytes;
	APP_COUNTER_ADD(s->acct.written, frames);
	APP_COUNTER_ADD(s->acct.written_bytes, bytes);
}

static void
pcapng_check(struct ingest_sink *s)
{
	struct kept *f = cur_file(s);

	if (s->fd < 0 || !fd_removed(s->fd))
		return;
	lost_file(s, f->name, f->frames, f->bytes);
	close(s->fd);
	s->fd = -1;
	f->frames = f->bytes = 0;
	s->rot.index++; /* a new name: never reuse one */
}

static void
pcapng_close(struct ingest_sink *s, uint64_t now)
{
	struct kept *f = cur_file(s);
	uint32_t len;

	(void)now;
	pcapng_check(s);
	if (s->fd < 0)
		return;
	len = build_isbs(s);
	if (write_all(s->fd, s->blk, len, f->bytes) == 0)
		pcapng_account(s, 0, len);
	close(s->fd);
	s->fd = -1;
}

/* Make room in the ring of kept files: delete the oldest this run created. */
static void
ring_make_room(struct ingest_sink *s)
{
	struct kept *old;
	int ret;

	if (s->conf.rotate_files == 0) {
		s->nfiles = 0; /* no ring: only the current file is tracked */
		return;
	}
	if (s->nfiles < s->cap_files)
		return;
	old = &s->files[(s->head + 1) % s->cap_files];
	ret = remove_own(s, old->name, old->dev, old->ino);
	if (ret == 0) {
		APP_COUNTER_ADD(s->acct.written, -old->frames);
		APP_COUNTER_ADD(s->acct.written_bytes, -old->bytes);
		APP_COUNTER_ADD(s->acct.rotated_out, old->frames);
		APP_COUNTER_ADD(s->acct.files_deleted, 1);
	} else {
		SINK_LOG(WARNING, "--rotate-files: %s/%s not deleted: %s", s->dirpath, old->name,
			 ret == -ESTALE ? "replaced by another file" : strerror(-ret));
	}
	s->nfiles--;
}

static int
pcapng_open(struct ingest_sink *s, uint64_t now)
{
	char name[NAME_LEN];
	unsigned int skipped = 0;
	struct kept *f;
	struct stat st;
	uint32_t len;
	int ret, fd;

	if (now < s->retry_at_ns)
		return -EAGAIN;
	if (s->dirfd < 0) {
		ret = open_dir(s);
		if (ret < 0) {
			name[0] = '\0';
			snprintf(name, sizeof(name), "%s", s->base);
			goto fail;
		}
	}
	if (s->reopen_base) {
		/* SIGHUP: the configured name again, a new file; if it is still there
		 * (not renamed away), the next rotation name below. */
		s->reopen_base = false;
		snprintf(name, sizeof(name), "%s", s->base);
		fd = create_file(s, name, &st);
		if (fd >= 0)
			goto made;
		if (fd != -EEXIST) {
			ret = fd;
			goto fail;
		}
		SINK_LOG(NOTICE, "SIGHUP: %s/%s still exists (not rotated away): taking the "
			 "next rotation name", s->dirpath, name);
	}
	for (;;) {
		ret = ingest_rotate_name(s->base,
					 ingest_rotate_enabled(&s->rot) || s->rot.index > 0,
					 s->rot.index, name, sizeof(name));
		if (ret < 0)
			goto fail;
		fd = create_file(s, name, &st);
		if (fd != -EEXIST || !s->started || skipped == EXIST_SKIP_MAX)
			break;
		/* A name made by someone else meanwhile: leave it, take the next. */
		SINK_LOG(WARNING, "%s/%s exists and is not overwritten; trying the next name",
			 s->dirpath, name);
		skipped++;
		s->rot.index++;
	}
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
made:
	len = build_header(s);
	ret = write_all(fd, s->blk, len, 0);
	if (ret < 0) {
		close(fd);
		remove_own(s, name, st.st_dev, st.st_ino); /* our own, holding no frame */
		s->rot.index++;
		goto fail;
	}
	ring_make_room(s);
	s->head = (s->head + 1) % s->cap_files;
	s->nfiles++;
	f = cur_file(s);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->frames = f->bytes = 0;
	s->fd = fd;
	s->rot.bytes = 0;
	s->rot.opened_ns = now;
	pcapng_account(s, 0, len);
	return 0;
fail:
	if (s->started || !fatal_at_start(ret))
		note_error(s, -ret, "cannot open capture file", name);
	s->retry_at_ns = now + RETRY_NS;
	return ret;
}

/* Append an IDB for an interface first seen after the file was opened. */
static int
pcapng_add_idb(struct ingest_sink *s, uint16_t slot)
{
	struct blk k = {.b = s->blk};
	int ret;

	build_idb(s, &k, slot);
	ret = write_all(s->fd, s->blk, k.len, cur_file(s)->bytes);
	if (ret < 0) {
		s->ifidx[slot] = NO_IDX;
		s->nif--;
		return ret;
	}
	pcapng_account(s, 0, k.len);
	return 0;
}

static void
pcapng_fail(struct ingest_sink *s, int err, uint64_t now)
{
	note_error(s, err, "cannot write capture file", cur_file(s)->name);
	pcapng_close(s, now);
	s->rot.index++;
	s->retry_at_ns = now + RETRY_NS;
}

/*
 * Write copies c[0..k) (slots sl[]): the EPBs get their interface index here.
 * What does not reach the disk whole is cut back and counted; the file is
 * then closed and a new one tried later.
 */
static void
pcapng_write(struct ingest_sink *s, struct rte_mbuf **c, const uint16_t *sl, unsigned int k,
	     uint64_t now)
{
	struct iovec iov[SINK_IOV];
	uint64_t bytes = 0, reserve, done_bytes;
	unsigned int i, j, a, niov;
	uint8_t skip[SINK_BURST];
	int err = 0;

	for (i = 0; i < k; i++)
		bytes += rte_pktmbuf_pkt_len(c[i]);
	if (ingest_rotate_enabled(&s->rot) && s->fd >= 0 && ingest_rotate_due(&s->rot, bytes, now))
		rotate_now(s, now);
	memset(skip, 0, k);
	if (s->fd < 0 && now >= s->retry_at_ns)
		pcapng_open(s, now);
	i = 0;
	while (i < k) {
		if (s->fd < 0) {
			for (; i < k; i++)
				drop_frames(s, &s->acct.write_errors, sl[i], 1);
			break;
		}
		/* One writev: frames [a, i). */
		a = i;
		niov = 0;
		bytes = 0;
		for (; i < k; i++) {
			struct rte_mbuf *m = c[i];
			uint32_t len = rte_pktmbuf_pkt_len(m);

			if (niov + m->nb_segs > SINK_IOV)
				break;
			reserve = (uint64_t)(s->nif + 1) * ISB_LEN;
			if (s->conf.max_disk != 0 &&
			    APP_COUNTER_GET(s->acct.written_bytes) + bytes + len + reserve >
				    s->conf.max_disk) {
				warn_limit(s, WARN_DISK, "--max-disk");
				drop_frames(s, &s->acct.over_limit, sl[i], 1);
				skip[i] = 1;
				continue;
			}
			if (s->ifidx[sl[i]] == NO_IDX) {
				if (niov > 0)
					break; /* write what is before it first */
				err = pcapng_add_idb(s, sl[i]);
				if (err < 0)
					break;
			}
			memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, EPB_IFACE_OFF),
			       &s->ifidx[sl[i]], 4);
			for (; m != NULL; m = m->next) {
				iov[niov].iov_base = rte_pktmbuf_mtod(m, void *);
				iov[niov++].iov_len = rte_pktmbuf_data_len(m);
			}
			bytes += len;
		}
		if (err == 0 && niov > 0) {
			ssize_t r = writev(s->fd, iov, (int)niov);

			if (r != (ssize_t)bytes) {
				err = r < 0 ? -errno : -ENOSPC;
				done_bytes = r > 0 ? (uint64_t)r : 0;
			} else {
				done_bytes = bytes;
			}
		} else {
			done_bytes = 0;
		}
		/* Count [a, i): whole frames written, the rest lost. */
		bytes = 0;
		for (j = a; j < i; j++) {
			uint32_t len = rte_pktmbuf_pkt_len(c[j]);

			if (skip[j])
				continue;
			if (bytes + len <= done_bytes) {
				bytes += len;
				pcapng_account(s, 1, len);
			} else {
				drop_frames(s, &s->acct.write_errors, sl[j], 1);
			}
		}
		if (err < 0) {
			if (done_bytes != bytes &&
			    ftruncate(s->fd, (off_t)cur_file(s)->bytes) < 0)
				err = -errno;
			pcapng_fail(s, -err, now);
			err = 0;
		}
	}
	pcapng_check(s);
}

static void
pcapng_burst(struct ingest_sink *s, struct ingest_sink_item *it, unsigned int n, uint64_t now)
{
	struct rte_mbuf *c[SINK_BURST];
	uint16_t sl[SINK_BURST];
	unsigned int i = 0, k = 0;

	while (i < n) {
		uint16_t port = it[i].iface == INGEST_IFACE_SOCKET ? 0 : it[i].iface;
		struct rte_mbuf *m;
		uint64_t ns;

		/* rte_pcapng_copy() copies chains; its time is replaced below. */
		m = rte_pcapng_copy(port, it[i].queue, it[i].m, s->pool, s->conf.snaplen,
				    s->wall_tsc, RTE_PCAPNG_DIRECTION_IN);
		if (m == NULL && k > 0) {
			/* The copy pool is spent (long chains): write, then retry. */
			pcapng_write(s, c, sl, k, now);
			rte_pktmbuf_free_bulk(c, k);
			k = 0;
			continue;
		}
		if (m == NULL) {
			drop_frames(s, &s->acct.nomem, islot(it[i].iface), 1);
			rte_pktmbuf_free(it[i].m);
			i++;
			continue;
		}
		ns = wall_of(s, it[i].tsc);
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, EPB_TS_OFF),
		       &(uint32_t[2]){(uint32_t)(ns >> 32), (uint32_t)ns}, 8);
		sl[k] = islot(it[i].iface);
		c[k++] = m;
		rte_pktmbuf_free(it[i].m);
		i++;
	}
	if (k > 0) {
		pcapng_write(s, c, sl, k, now);
		rte_pktmbuf_free_bulk(c, k);
	}
}

static const struct sink_ops pcapng_ops = {
	.open = pcapng_open,
	.burst = pcapng_burst,
	.check = pcapng_check,
	.close = pcapng_close,
};

/* --- payload-dir --- */

static int
payload_name(const struct ingest_sink *s, const struct ingest_flow_key *key, char *name,
	     size_t size)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = key->ipver == 6 ? AF_INET6 : AF_INET, n;

	inet_ntop(af, key->src, src, sizeof(src));
	inet_ntop(af, key->dst, dst, sizeof(dst));
	if (ingest_rotate_enabled(&s->rot) || s->rot.index > 0)
		n = snprintf(name, size, "%s_%u-%s_%u-%05u.bin", src, ntohs(key->sport), dst,
			     ntohs(key->dport), s->rot.index);
	else
		n = snprintf(name, size, "%s_%u-%s_%u.bin", src, ntohs(key->sport), dst,
			     ntohs(key->dport));
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void
pf_close(struct ingest_sink *s, struct pfile *p)
{
	char name[NAME_LEN];
	struct stat st;
	bool gone;

	if (p->state != PF_OK)
		return;
	if (p->fd >= 0) {
		gone = fd_removed(p->fd);
	} else {
		payload_name(s, &p->key, name, sizeof(name));
		gone = fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		       st.st_ino != p->ino || st.st_dev != p->dev;
	}
	if (gone) {
		payload_name(s, &p->key, name, sizeof(name));
		lost_file(s, name, p->frames, p->bytes);
		p->state = PF_GONE;
		p->frames = p->bytes = 0;
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void
payload_check(struct ingest_sink *s)
{
	struct stat st;
	uint32_t i;

	if (s->dirfd < 0)
		return;
	if (fstat(s->dirfd, &st) == 0 && st.st_nlink == 0) {
		/* The directory is gone, and every file in it. */
		for (i = 0; i <= s->pf_mask; i++)
			pf_close(s, &s->pf[i]);
		s->nopen = 0;
		return;
	}
	for (i = 0; i < s->nopen; i++) {
		struct pfile *p = &s->pf[s->open_ring[i]];

		if (p->fd >= 0 && fd_removed(p->fd))
			pf_close(s, p);
	}
}

static void
payload_close(struct ingest_sink *s, uint64_t now)
{
	uint32_t i;

	(void)now;
	for (i = 0; s->pf != NULL && i <= s->pf_mask; i++) {
		pf_close(s, &s->pf[i]);
		s->pf[i].state = PF_FREE;
	}
	s->nopen = 0;
	s->open_hand = 0;
	s->pf_used = 0;
}

static int
payload_open(struct ingest_sink *s, uint64_t now)
{
	(void)s;
	(void)now;
	return 0; /* files are made as flows come */
}

/* Hold an fd for p, closing the oldest held one if --max-open are. */
static void
pf_hold(struct ingest_sink *s, uint32_t idx)
{
	uint32_t slot;

	if (s->nopen < s->conf.max_open) {
		s->open_ring[s->nopen++] = idx;
		return;
	}
	slot = s->open_hand++ % s->conf.max_open;
	{
		struct pfile *v = &s->pf[s->open_ring[slot]];

		if (v->fd >= 0) {
			if (fd_removed(v->fd)) {
				pf_close(s, v);
			} else {
				close(v->fd);
				v->fd = -1;
			}
		}
	}
	s->open_ring[slot] = idx;
}

/* The open file of a flow, made or reopened; NULL: counted (the frame is lost). */
static struct pfile *
payload_file(struct ingest_sink *s, const struct ingest_flow_key *key, uint16_t slot,
	     uint64_t now)
{
	uint32_t i = ingest_flow_hash(key) & s->pf_mask;
	char name[NAME_LEN];
	struct pfile *p;
	struct stat st;
	int fd, ret;

	for (;; i = (i + 1) & s->pf_mask) {
		p = &s->pf[i];
		if (p->state == PF_FREE || memcmp(&p->key, key, sizeof(*key)) == 0)
			break;
	}
	if (p->state == PF_OK && p->fd >= 0)
		return p;
	if (p->state == PF_REFUSED) {
		drop_frames(s, &s->acct.write_errors, slot, 1);
		return NULL;
	}
	ret = payload_name(s, key, name, sizeof(name));
	if (ret < 0)
		goto fail;
	if (p->state == PF_OK) {
		/* Closed to keep within --max-open: reopen it if it is still ours. */
		fd = openat(s->dirfd, name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == p->dev && st.st_ino == p->ino &&
		    st.st_nlink > 0) {
			p->fd = fd;
			pf_hold(s, i);
			return p;
		}
		if (fd >= 0)
			close(fd);
		lost_file(s, name, p->frames, p->bytes);
		p->state = PF_GONE;
	}
	/* A new file. */
	if (s->files_made >= s->conf.max_files ||
	    (p->state == PF_FREE && s->pf_used >= s->conf.max_files)) {
		warn_limit(s, WARN_FILES, "--max-files (payload files made in this run)");
		drop_frames(s, &s->acct.over_limit, slot, 1);
		return NULL;
	}
	if (now < s->retry_at_ns) {
		drop_frames(s, &s->acct.write_errors, slot, 1);
		return NULL;
	}
	if (s->dirfd < 0) {
		ret = open_dir(s);
		if (ret < 0)
			goto fail;
	}
	fd = create_file(s, name, &st);
	if (fd == -EEXIST) {
		/* Not made by this run (an earlier run's, or planted): left alone. */
		SINK_LOG(WARNING, "%s/%s exists and was not made by this run: not appended to; "
			 "its datagrams are counted as write_errors (use an empty directory)",
			 s->dirpath, name);
		if (p->state == PF_FREE)
			s->pf_used++;
		p->key = *key;
		p->state = PF_REFUSED;
		p->fd = -1;
		drop_frames(s, &s->acct.write_errors, slot, 1);
		return NULL;
	}
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	s->files_made++;
	if (p->state == PF_FREE)
		s->pf_used++;
	p->key = *key;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->frames = p->bytes = 0;
	p->fd = fd;
	p->state = PF_OK;
	pf_hold(s, i);
	return p;
fail:
	note_error(s, -ret, "cannot open payload file", name);
	s->retry_at_ns = now + RETRY_NS;
	drop_frames(s, &s->acct.write_errors, slot, 1);
	return NULL;
}

static void
payload_burst(struct ingest_sink *s, struct ingest_sink_item *it, unsigned int n, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = it[i].m;
		uint16_t slot = islot(it[i].iface);
		struct ingest_pkt pkt;
		const uint8_t *data;
		struct pfile *p;
		uint32_t len;
		ssize_t r;

		len = rte_pktmbuf_pkt_len(m);
		if (len > sizeof(s->lin)) {
			if (!(s->warned & WARN_LONG)) {
				s->warned |= WARN_LONG;
				SINK_LOG(WARNING, "a frame of %u bytes is longer than the payload "
					 "writer takes (%zu): counted as write_errors", len,
					 sizeof(s->lin));
			}
			drop_frames(s, &s->acct.write_errors, slot, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		/* A chain: every segment, copied in order. */
		data = m->nb_segs == 1 ? rte_pktmbuf_mtod(m, const uint8_t *) :
					 rte_pktmbuf_read(m, 0, len, s->lin);
		if (data == NULL || ingest_parse(data, len, NULL, &pkt) != INGEST_OK) {
			if (!(s->warned & WARN_PARSE)) {
				s->warned |= WARN_PARSE;
				SINK_LOG(WARNING, "a frame of %u bytes the payload writer cannot "
					 "parse again: counted as write_errors", len);
			}
			drop_frames(s, &s->acct.write_errors, slot, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		if (s->conf.max_disk != 0 &&
		    APP_COUNTER_GET(s->acct.written_bytes) + pkt.payload_len > s->conf.max_disk) {
			warn_limit(s, WARN_DISK, "--max-disk");
			drop_frames(s, &s->acct.over_limit, slot, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		p = payload_file(s, &pkt.key, slot, now);
		if (p == NULL) {
			rte_pktmbuf_free(m);
			continue;
		}
		r = write(p->fd, data + pkt.payload_off, pkt.payload_len);
		if (r != (ssize_t)pkt.payload_len) {
			int err = r < 0 ? errno : ENOSPC;
			char name[NAME_LEN];

			/* A fragment of a datagram would shift every later one: cut it. */
			if (r > 0 && ftruncate(p->fd, (off_t)p->bytes) < 0)
				err = errno;
			payload_name(s, &p->key, name, sizeof(name));
			note_error(s, err, "cannot write payload file", name);
			drop_frames(s, &s->acct.write_errors, slot, 1);
			s->retry_at_ns = now + RETRY_NS;
		} else {
			p->frames++;
			p->bytes += (uint64_t)r;
			APP_COUNTER_ADD(s->acct.written, 1);
			APP_COUNTER_ADD(s->acct.written_bytes, (uint64_t)r);
			s->rot.bytes += (uint64_t)r;
		}
		rte_pktmbuf_free(m);
	}
}

static const struct sink_ops payload_ops = {
	.open = payload_open,
	.burst = payload_burst,
	.check = payload_check,
	.close = payload_close,
};

/* --- the poller --- */

/* The one rotation path: close, next number, open. */
static void
rotate_now(struct ingest_sink *s, uint64_t now)
{
	s->ops->close(s, now);
	s->rot.index++;
	s->rot.bytes = 0;
	s->rot.opened_ns = now;
	s->retry_at_ns = 0;
	APP_COUNTER_ADD(s->acct.rotations, 1);
	s->ops->open(s, now);
}

static unsigned int
sink_poll(void *arg)
{
	struct ingest_sink *s = arg;
	struct ingest_sink_item it[SINK_BURST];
	unsigned int n, i;
	uint64_t now = sink_now(s);

	wall_refresh(s);
	/* Asked for; or due by time (also when idle) or, for payload files, by size. */
	if (__atomic_exchange_n(&s->reopen_req, 0, __ATOMIC_ACQ_REL) != 0) {
		/* Every reopen asked before the flag we took is served by this one. */
		uint64_t asked = __atomic_load_n(&s->reopen_asked, __ATOMIC_ACQUIRE);

		/* A rotation whose next file takes the configured name when it is free. */
		s->reopen_base = s->ops == &pcapng_ops && !ingest_rotate_enabled(&s->rot);
		rotate_now(s, now);
		__atomic_store_n(&s->reopen_done, asked, __ATOMIC_RELEASE);
	} else if (__atomic_exchange_n(&s->rotate_req, 0, __ATOMIC_ACQ_REL) != 0 ||
	    (ingest_rotate_enabled(&s->rot) && ingest_rotate_due(&s->rot, 0, now)))
		rotate_now(s, now);
	if (now >= s->check_at_ns) {
		s->ops->check(s);
		s->check_at_ns = now + CHECK_NS;
	}
	n = rte_ring_sc_dequeue_burst_elem(s->ring, it, sizeof(it[0]), SINK_BURST, NULL);
	if (n == 0)
		return 0;
	APP_COUNTER_ADD(s->acct.dequeued, n);
	for (i = 0; i < n; i++)
		s->offered[islot(it[i].iface)]++;
	s->ops->burst(s, it, n, now);
	return n;
}

static int
sink_fill(void *arg)
{
	struct ingest_sink *s = arg;

	return (int)rte_ring_count(s->ring);
}

static const struct lcx_poller_ops sink_poller_ops = {
	.name = "ingest-sink",
	.poll = sink_poll,
	.fill = sink_fill,
};

static void
shb_strings(struct ingest_sink *s)
{
	struct utsname u;
	char line[256];
	FILE *f;

	if (uname(&u) == 0) {
		snprintf(s->shb_os, sizeof(s->shb_os), "%.64s %.64s", u.sysname, u.release);
		snprintf(s->shb_hw, sizeof(s->shb_hw), "%.64s", u.machine);
	}
	f = fopen("/proc/cpuinfo", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && c != NULL) {
			c += strspn(c + 1, " \t") + 1;
			c[strcspn(c, "\n")] = '\0';
			snprintf(s->shb_hw, sizeof(s->shb_hw), "%.150s", c);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	snprintf(s->shb_appl, sizeof(s->shb_appl), "lcx-ingest %s (%.120s)", LCX_VERSION_STRING,
		 rte_version());
}

static int
split_path(struct ingest_sink *s, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (s->conf.kind == INGEST_SINK_PAYLOAD) {
		s->dirpath = strdup(path);
		return s->dirpath == NULL ? -ENOMEM : 0;
	}
	if (slash == NULL) {
		s->dirpath = strdup(".");
		s->base = strdup(path);
	} else {
		s->dirpath = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		s->base = strdup(slash + 1);
	}
	if (s->dirpath == NULL || s->base == NULL)
		return -ENOMEM;
	return s->base[0] == '\0' || strlen(s->base) + 12 >= NAME_LEN ? -EINVAL : 0;
}

int
ingest_sink_create(const struct ingest_sink_conf *conf, struct ingest_sink **out, int *open_err)
{
	struct ingest_sink *s;
	char name[RTE_RING_NAMESIZE];
	static unsigned int seq;
	uint32_t n;
	int ret;

	*open_err = 0;
	if (conf->kind == INGEST_SINK_NONE || conf->path == NULL || conf->path[0] == '\0')
		return -EINVAL;
	if (conf->kind == INGEST_SINK_PAYLOAD && conf->rotate_files != 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->conf = *conf;
	s->fd = -1;
	s->dirfd = -1;
	s->ops = conf->kind == INGEST_SINK_PCAPNG ? &pcapng_ops : &payload_ops;
	s->ns_per_cyc = 1e9 / (double)rte_get_tsc_hz();
	wall_refresh(s);
	s->start_wall_ns = s->wall_ns;
	if (s->conf.snaplen == 0 || s->conf.snaplen > 262144)
		s->conf.snaplen = 262144;
	if (s->conf.ring_size == 0)
		s->conf.ring_size = 16384;
	if (s->conf.max_files == 0)
		s->conf.max_files = DEF_MAX_FILES;
	if (s->conf.max_open == 0)
		s->conf.max_open = DEF_MAX_OPEN;
	ret = split_path(s, conf->path);
	if (ret < 0)
		goto out_free;
	s->rot.max_bytes = conf->rotate_bytes;
	s->rot.max_ns = conf->rotate_ns;
	s->rot.opened_ns = sink_now(s);
	snprintf(name, sizeof(name), "ingest_sink%u", seq++);
	s->ring = rte_ring_create_elem(name, sizeof(struct ingest_sink_item), s->conf.ring_size,
				       conf->socket_id, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (s->ring == NULL) {
		ret = -rte_errno;
		goto out_free;
	}
	if (conf->kind == INGEST_SINK_PCAPNG) {
		shb_strings(s);
		s->cap_files = conf->rotate_files ? conf->rotate_files : 1;
		s->files = calloc(s->cap_files, sizeof(*s->files));
		if (s->files == NULL) {
			ret = -ENOMEM;
			goto out_free;
		}
		s->head = s->cap_files - 1;
		snprintf(name, sizeof(name), "ingest_png%u", seq++);
		s->pool = lcx_pktmbuf_pool_create(name, SINK_POOL, 0, 0,
						  RTE_PKTMBUF_HEADROOM +
							  rte_pcapng_mbuf_size(SINK_SEG),
						  conf->socket_id, LCX_POOL_AUTO);
		if (s->pool == NULL) {
			ret = -rte_errno;
			goto out_free;
		}
		ret = pcapng_open(s, sink_now(s));
		if (ret == -EEXIST)
			SINK_LOG(ERR, "%s exists (or is a link); lcx does not overwrite files "
				 "(remove it or name another)", conf->path);
		else if (ret == -ELOOP || ret == -ENOTDIR)
			SINK_LOG(ERR, "directory %s: %s: refused (a symbolic link or not a "
				 "directory)", s->dirpath, strerror(-ret));
		if (fatal_at_start(ret))
			goto out_free;
		if (ret < 0)
			*open_err = -ret;
	} else {
		struct rlimit rl;
		int mk;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    s->conf.max_open + 64 > rl.rlim_cur) {
			SINK_LOG(ERR, "--max-open=%u: the open files limit (ulimit -n) is %lu; "
				 "lcx needs 64 more for itself", s->conf.max_open,
				 (unsigned long)rl.rlim_cur);
			ret = -EMFILE;
			goto out_free;
		}
		for (n = 1; n < 2 * s->conf.max_files; n <<= 1)
			;
		s->pf = calloc(n, sizeof(*s->pf));
		s->open_ring = calloc(s->conf.max_open, sizeof(*s->open_ring));
		if (s->pf == NULL || s->open_ring == NULL) {
			ret = -ENOMEM;
			goto out_free;
		}
		s->pf_mask = n - 1;
		for (n = 0; n <= s->pf_mask; n++)
			s->pf[n].fd = -1;
		mk = mkdir(s->dirpath, 0700) < 0 ? errno : 0;
		if (mk == 0 && s->conf.owner_uid >= 0) {
			/* Ours, made before the drop to --user: the user's. */
			int dfd = open(s->dirpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);

			if (dfd < 0 || fchown(dfd, (uid_t)s->conf.owner_uid,
					      (gid_t)s->conf.owner_gid) < 0)
				note_error(s, errno, "cannot give the payload directory to --user",
					   "");
			if (dfd >= 0)
				close(dfd);
		}
		if (mk != 0 && mk != EEXIST) {
			errno = mk;
			*open_err = errno;
			note_error(s, errno, "cannot make payload directory", "");
		} else {
			ret = open_dir(s);
			if (fatal_at_start(ret)) {
				if (ret != -EPERM)
					SINK_LOG(ERR, "payload directory %s: %s: refused (a "
						 "symbolic link or not a directory)", s->dirpath,
						 strerror(-ret));
				goto out_free;
			}
			if (ret < 0)
				*open_err = -ret;
		}
	}
	s->started = true;
	*out = s;
	return 0;
out_free:
	ingest_sink_destroy(s);
	return ret;
}

int
ingest_sink_attach(struct ingest_sink *s, struct lcx_context *ctx)
{
	s->poller.ops = &sink_poller_ops;
	s->poller.arg = s;
	s->poller.burst = SINK_BURST;
	s->poller.ring_size = s->conf.ring_size;
	s->ctx = ctx;
	return lcx_poller_register(ctx, &s->poller);
}

unsigned int
ingest_sink_enqueue(struct ingest_sink *s, const struct ingest_sink_item *items, unsigned int n)
{
	return rte_ring_mp_enqueue_burst_elem(s->ring, items, sizeof(items[0]), n, NULL);
}

void
ingest_sink_count_full(struct ingest_sink *s, uint16_t iface, unsigned int n)
{
	__atomic_fetch_add(&s->full[islot(iface)], n, __ATOMIC_RELAXED);
}

void
ingest_sink_request_rotate(struct ingest_sink *s)
{
	__atomic_store_n(&s->rotate_req, 1, __ATOMIC_RELEASE);
	if (s->ctx != NULL)
		lcx_context_unpark(s->ctx);
}

uint64_t
ingest_sink_request_reopen(struct ingest_sink *s)
{
	uint64_t gen = __atomic_add_fetch(&s->reopen_asked, 1, __ATOMIC_ACQ_REL);

	__atomic_store_n(&s->reopen_req, 1, __ATOMIC_RELEASE);
	if (s->ctx != NULL)
		lcx_context_unpark(s->ctx);
	return gen;
}

bool
ingest_sink_reopen_done(const struct ingest_sink *s, uint64_t gen)
{
	return __atomic_load_n(&s->reopen_done, __ATOMIC_ACQUIRE) >= gen;
}

int
ingest_sink_drain(struct ingest_sink *s)
{
	while (rte_ring_count(s->ring) > 0)
		sink_poll(s);
	if (s->ctx != NULL && s->poller.ctx != NULL)
		lcx_poller_unregister(&s->poller);
	wall_refresh(s);
	s->ops->close(s, sink_now(s));
	return 0;
}

void
ingest_sink_destroy(struct ingest_sink *s)
{
	struct ingest_sink_item it;

	if (s == NULL)
		return;
	if (s->started)
		s->ops->close(s, sink_now(s));
	else if (s->fd >= 0)
		close(s->fd);
	if (s->ring != NULL) {
		while (rte_ring_sc_dequeue_elem(s->ring, &it, sizeof(it)) == 0)
			rte_pktmbuf_free(it.m);
		rte_ring_free(s->ring);
	}
	if (s->dirfd >= 0)
		close(s->dirfd);
	rte_mempool_free(s->pool);
	free(s->files);
	free(s->pf);
	free(s->open_ring);
	free(s->dirpath);
	free(s->base);
	free(s);
}

const struct ingest_sink_acct *
ingest_sink_acct(const struct ingest_sink *s)
{
	return &s->acct;
}
