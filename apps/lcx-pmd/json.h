/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_PMD_JSON_H
#define LCX_PMD_JSON_H

/*
 * A small, strict JSON (RFC 8259) parser for control requests: one value, no
 * trailing garbage, no comments, no trailing commas, valid UTF-8, escapes
 * checked (surrogate pairs included), nesting at most PJ_DEPTH_MAX. The top
 * level must be an object with at most PJ_MEMBERS_MAX distinct keys; the
 * scalar value of each member is kept (strings decoded, numbers as their text).
 * Nested objects and arrays are checked but not kept.
 */

#include <stdbool.h>
#include <stddef.h>

#define PJ_DEPTH_MAX 32
#define PJ_MEMBERS_MAX 8
#define PJ_KEY_MAX 32
#define PJ_STR_MAX 64

enum pj_type { PJ_NULL, PJ_BOOL, PJ_NUMBER, PJ_STRING, PJ_OBJECT, PJ_ARRAY };

struct pj_member {
	char key[PJ_KEY_MAX]; /* decoded, NUL-terminated (cut if too long) */
	size_t key_len;       /* the decoded length, which may exceed PJ_KEY_MAX - 1 */
	enum pj_type type;
	char str[PJ_STR_MAX]; /* PJ_STRING: decoded; PJ_NUMBER: its text */
	size_t str_len;       /* the full length */
	bool boolean;         /* PJ_BOOL */
};

struct pj_object {
	unsigned int n;
	struct pj_member m[PJ_MEMBERS_MAX];
};

/*
 * Parse buf[0..len) as one JSON object.
 * @return 0, or -1 with *err set to a static message.
 */
int pj_parse_object(const char *buf, size_t len, struct pj_object *out, const char **err);

/* The member named key (exact, NUL-free), or NULL. */
const struct pj_member *pj_get(const struct pj_object *o, const char *key);

/*
 * The member's value as an integer in [0, max]: a JSON number with no sign,
 * fraction or exponent. @return 0, or -1.
 */
int pj_uint(const struct pj_member *m, unsigned long long max, unsigned long long *out);

#endif /* LCX_PMD_JSON_H */
