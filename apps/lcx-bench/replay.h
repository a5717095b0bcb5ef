/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_REPLAY_H
#define BENCH_REPLAY_H

/**
 * @file
 * The pcap replay source of lcx-bench: a capture file (pcap or pcapng, read
 * by libpcap with nanosecond timestamps) loaded whole into memory at the
 * start, so the sending thread reads no file; then, per frame, its bytes
 * with the signature written in, and its time in the file.
 *
 * Which frames carry a signature. A frame is *signable* when it is
 * Ethernet II / IPv4 (not a fragment) or IPv6 (no extension header) / UDP,
 * its UDP payload holds at least BENCH_SIG_LEN bytes and the lengths agree
 * with the captured bytes (bench_frame_parse()). Its first BENCH_SIG_LEN
 * payload bytes are replaced by the signature and its UDP checksum is
 * recomputed (IPv6: always; IPv4: when it had one, a 0 stays 0). Every other
 * frame is replayed as it is, without a signature: counted `unsigned` here
 * and by the receiver, never as loss (the file's traffic mix is kept).
 * Frames are never rewritten otherwise (MACs, addresses, ports: the file's;
 * rewrite them beforehand with tcprewrite if the device under test needs it).
 *
 * Frames not replayed, counted: a frame captured shorter than it was on the
 * wire (snap length: its headers would lie about its size), and one longer
 * than the caller's max_len (the mbuf's room).
 *
 * Times: t_ns[i] = ts_i - ts_0, ns, of the frames kept. A timestamp earlier
 * than the previous one is taken as the previous (counted in ts_backwards),
 * so t_ns never decreases.
 *
 * Which thread: open and close from one thread; once open, the object is
 * read-only and bench_replay_build() may run on any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"

/** Most bytes of frames loaded (the file's frames, without the pcap headers). */
#define BENCH_REPLAY_MAX_BYTES (1ull << 30)
/** Most frames loaded. */
#define BENCH_REPLAY_MAX_FRAMES (1ull << 26)

/** One frame of the file (internal layout, read through the functions below). */
struct bench_replay_frame {
	uint64_t off;	      /**< offset in data */
	uint32_t len;	      /**< bytes (no FCS) */
	uint16_t l4_off;      /**< signable: offset of the UDP header */
	uint16_t payload_len; /**< signable: UDP payload bytes */
	uint8_t family;	      /**< signable: 4 or 6; 0: replayed without a signature */
};

/** A loaded capture file. */
struct bench_replay {
	uint8_t *data;		      /**< the frames back to back */
	struct bench_replay_frame *f; /**< n frames */
	uint64_t *t_ns;		      /**< n times, ns after the first frame, never decreasing */
	uint64_t n;		      /**< frames kept (replayed) */
	uint64_t bytes;		      /**< their bytes, no FCS */
	uint64_t records;	      /**< records read from the file */
	uint64_t signable;	      /**< kept frames that carry a signature */
	uint64_t skipped_truncated;   /**< records captured shorter than on the wire */
	uint64_t skipped_too_big;     /**< records longer than max_len */
	uint64_t ts_backwards;	      /**< records stamped before the previous one */
	int linktype;		      /**< DLT_EN10MB */
};

/**
 * Load a capture file.
 *
 * @param path     the file (pcap or pcapng)
 * @param max_len  longest frame to keep, bytes without FCS (the mbuf's room), >= 14
 * @param out      set to the loaded file on success
 * @param err      a message on failure (NUL-terminated, cut to errlen)
 * @return 0, or -errno of the open (-ENOENT, -EACCES, -EISDIR...), -EINVAL (not a
 *         pcap or pcapng file), -EBADMSG (truncated or corrupt: libpcap's
 *         message and the record's number), -EPROTONOSUPPORT (a link type
 *         other than Ethernet), -ENODATA (no frame to replay), -EFBIG (more
 *         than BENCH_REPLAY_MAX_BYTES or _FRAMES), -ENOMEM
 */
int bench_replay_open(const char *path, uint32_t max_len, struct bench_replay **out, char *err,
		      size_t errlen);

/** Free a loaded file; NULL is a no-op. */
void bench_replay_close(struct bench_replay *r);

/** @return whether frame i carries a signature when built */
static inline bool
bench_replay_signable(const struct bench_replay *r, uint64_t i)
{
	return r->f[i].family != 0;
}

/** @return the length of frame i, bytes without FCS */
static inline uint32_t
bench_replay_len(const struct bench_replay *r, uint64_t i)
{
	return r->f[i].len;
}

/**
 * Write frame i into buf: its bytes, and when it is signable and sig is not
 * NULL the signature and the fixed UDP checksum.
 *
 * @param r     a loaded file
 * @param i     0 .. n - 1
 * @param buf   where
 * @param room  bytes at buf
 * @param sig   the signature, or NULL for the bytes as in the file
 * @return the bytes written, or -ENOSPC (room below the frame), -ERANGE (i >= n),
 *         -EINVAL (a sequence number above BENCH_SIG_SEQ_MAX)
 */
int bench_replay_build(const struct bench_replay *r, uint64_t i, void *buf, size_t room,
		       const struct bench_sig *sig);

/** @return the mean frame size with FCS (bytes + 4), for rates in bits per second */
double bench_replay_mean_frame(const struct bench_replay *r);

#endif
