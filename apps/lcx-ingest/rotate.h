/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_ROTATE_H
#define INGEST_ROTATE_H

/**
 * @file
 * File rotation policy of the sinks, pure: when to start a new file, what
 * to call it, and whether a directory may hold the files.
 */

#include <stdbool.h>
#include <stdint.h>

/** Rotation limits; 0 turns a limit off. */
struct ingest_rotate {
	uint64_t max_bytes;  /**< --rotate-size: start a new file past this many bytes */
	uint64_t max_ns;     /**< --rotate-time: start a new file after this long */
	uint64_t bytes;      /**< written to the current file */
	uint64_t opened_ns;  /**< when the current file was opened */
	uint32_t index;      /**< number of the current file, from 0 */
};

/** @return true when either limit is set (file names then carry the index). */
static inline bool
ingest_rotate_enabled(const struct ingest_rotate *r)
{
	return r->max_bytes != 0 || r->max_ns != 0;
}

/**
 * @return true if the current file should be closed before writing `more`
 * bytes at now_ns. A file that holds nothing yet is never rotated for size.
 */
bool ingest_rotate_due(const struct ingest_rotate *r, uint64_t more, uint64_t now_ns);

/**
 * Name of file number index: path itself when not indexed; indexed,
 * "-NNNNN" goes before the extension of the last path component
 * ("cap.pcapng" -> "cap-00003.pcapng", "dir/cap" -> "dir/cap-00003"). The
 * sinks index every name when rotation is on, and every file after the first
 * otherwise (a rotation asked by the control socket, a retry after an
 * error), so that no file is ever opened twice.
 * @return 0, or -ENAMETOOLONG.
 */
int ingest_rotate_name(const char *path, bool rotating, uint32_t index, char *buf,
		       unsigned int size);

/**
 * Whether a directory may hold lcx's files: owned by the effective user or
 * by root, and not writable by group or others, unless it has the sticky bit
 * (then others can plant names, which O_EXCL|O_NOFOLLOW refuses, but cannot
 * rename or remove lcx's files).
 * @param uid the directory's owner.
 * @param mode its st_mode.
 * @param euid the effective user id.
 * @return NULL if it may, else the reason in words.
 */
const char *ingest_dir_untrusted(uint32_t uid, uint32_t mode, uint32_t euid);

#endif /* INGEST_ROTATE_H */
