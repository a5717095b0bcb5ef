/* SPDX-License-Identifier: BSD-3-Clause */
/* Rotation policy and option value parsing (see rotate.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rotate.h"

bool
ingest_rotate_due(const struct ingest_rotate *r, uint64_t more, uint64_t now_ns)
{
	if (r->max_ns != 0 && now_ns - r->opened_ns >= r->max_ns)
		return true;
	return r->max_bytes != 0 && r->bytes > 0 && r->bytes + more > r->max_bytes;
}

int
ingest_rotate_name(const char *path, bool rotating, uint32_t index, char *buf, unsigned int size)
{
	const char *slash = strrchr(path, '/'), *dot;
	int n;

	if (!rotating) {
		n = snprintf(buf, size, "%s", path);
		return n < 0 || (unsigned int)n >= size ? -ENAMETOOLONG : 0;
	}
	dot = strrchr(slash != NULL ? slash + 1 : path, '.');
	if (dot == NULL || dot == (slash != NULL ? slash + 1 : path))
		n = snprintf(buf, size, "%s-%05u", path, index);
	else
		n = snprintf(buf, size, "%.*s-%05u%s", (int)(dot - path), path, index, dot);
	return n < 0 || (unsigned int)n >= size ? -ENAMETOOLONG : 0;
}

const char *
ingest_dir_untrusted(uint32_t uid, uint32_t mode, uint32_t euid)
{
	if ((mode & 0170000) != 0040000)
		return "not a directory";
	if (uid != euid && uid != 0)
		return "owned by another user";
	if ((mode & 0022) != 0 && (mode & 01000) == 0)
		return "writable by group or others and not sticky";
	return NULL;
}
