/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef INGEST_ROTATE_H
#define INGEST_ROTATE_H

/**
 * @file
 * File rotation policy of the sinks, pure: when to start a new file and what
 * to call it.
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
 * Name of file number index: path itself without rotation; with rotation,
 * "-NNNNN" goes before the extension of the last path component
 * ("cap.pcapng" -> "cap-00003.pcapng", "dir/cap" -> "dir/cap-00003").
 * @return 0, or -ENAMETOOLONG.
 */
int ingest_rotate_name(const char *path, bool rotating, uint32_t index, char *buf,
		       unsigned int size);

/**
 * Parse a size with an optional k/M/G suffix (powers of 1024). @return 0 or -EINVAL.
 */
int ingest_parse_size(const char *s, uint64_t *out);

/**
 * Parse a duration: a number with an optional ns/us/ms/s/m/h suffix (default s).
 * @return 0 or -EINVAL.
 */
int ingest_parse_duration(const char *s, uint64_t *out_ns);

#endif /* INGEST_ROTATE_H */
