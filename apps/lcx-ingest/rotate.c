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

static int
parse_num(const char *s, char **end, uint64_t *v)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno ? -EINVAL : 0;
}

int
ingest_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mul = 1;
	char *end;

	if (parse_num(s, &end, &v) < 0)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		mul = 1ull << 10, end++;
	else if (*end == 'M')
		mul = 1ull << 20, end++;
	else if (*end == 'G')
		mul = 1ull << 30, end++;
	if (*end != '\0' || (v != 0 && mul > UINT64_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

int
ingest_parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct {
		const char *sfx;
		uint64_t mul;
	} units[] = {
		{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000ull},
		{"m", 60000000000ull}, {"h", 3600000000000ull}, {"", 1000000000ull},
	};
	uint64_t v;
	char *end;
	unsigned int i;

	if (parse_num(s, &end, &v) < 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].sfx) == 0) {
			if (v != 0 && units[i].mul > UINT64_MAX / v)
				return -EINVAL;
			*out_ns = v * units[i].mul;
			return 0;
		}
	}
	return -EINVAL;
}
