/* SPDX-License-Identifier: BSD-3-Clause */
/* A small strict JSON parser for control requests (see json.h). */

#include <stdint.h>
#include <string.h>

#include "json.h"

struct pj {
	const unsigned char *p;
	const unsigned char *end;
	const char *err;
};

static bool
fail(struct pj *j, const char *msg)
{
	if (j->err == NULL)
		j->err = msg;
	return false;
}

static void
skip_ws(struct pj *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool
literal(struct pj *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return fail(j, "bad JSON: unexpected token");
	j->p += n;
	return true;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
hex4(struct pj *j, uint32_t *out)
{
	uint32_t v = 0;

	if (j->end - j->p < 4)
		return fail(j, "bad JSON: short \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = hexval(j->p[i]);

		if (h < 0)
			return fail(j, "bad JSON: bad \\u escape");
		v = v << 4 | (uint32_t)h;
	}
	j->p += 4;
	*out = v;
	return true;
}

/* Append one byte to a bounded buffer; the length counts what did not fit too. */
static void
put(char *buf, size_t cap, size_t *len, unsigned char c)
{
	if (buf != NULL && *len + 1 < cap)
		buf[*len] = (char)c;
	(*len)++;
}

static void
put_utf8(char *buf, size_t cap, size_t *len, uint32_t cp)
{
	if (cp < 0x80) {
		put(buf, cap, len, (unsigned char)cp);
	} else if (cp < 0x800) {
		put(buf, cap, len, (unsigned char)(0xc0 | cp >> 6));
		put(buf, cap, len, (unsigned char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(buf, cap, len, (unsigned char)(0xe0 | cp >> 12));
		put(buf, cap, len, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		put(buf, cap, len, (unsigned char)(0x80 | (cp & 0x3f)));
	} else {
		put(buf, cap, len, (unsigned char)(0xf0 | cp >> 18));
		put(buf, cap, len, (unsigned char)(0x80 | ((cp >> 12) & 0x3f)));
		put(buf, cap, len, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		put(buf, cap, len, (unsigned char)(0x80 | (cp & 0x3f)));
	}
}

/* One raw UTF-8 sequence starting at j->p (strict: no overlong, no surrogate, <= U+10FFFF). */
static bool
utf8_seq(struct pj *j, char *buf, size_t cap, size_t *len)
{
	const unsigned char *s = j->p;
	unsigned char c = s[0];
	size_t n;
	uint32_t cp, min;

	if (c < 0x80) {
		n = 1, cp = c, min = 0;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return fail(j, "bad JSON: invalid UTF-8");
	}
	if ((size_t)(j->end - s) < n)
		return fail(j, "bad JSON: invalid UTF-8");
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return fail(j, "bad JSON: invalid UTF-8");
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(j, "bad JSON: invalid UTF-8");
	for (size_t i = 0; i < n; i++)
		put(buf, cap, len, s[i]);
	j->p += n;
	return true;
}

/* A string at j->p (on the opening quote); decoded into buf when buf != NULL. */
static bool
string(struct pj *j, char *buf, size_t cap, size_t *len)
{
	size_t l = 0;

	j->p++; /* the quote */
	for (;;) {
		if (j->p >= j->end)
			return fail(j, "bad JSON: unterminated string");
		unsigned char c = *j->p;

		if (c == '"') {
			j->p++;
			break;
		}
		if (c < 0x20)
			return fail(j, "bad JSON: control character in string");
		if (c != '\\') {
			if (!utf8_seq(j, buf, cap, &l))
				return false;
			continue;
		}
		j->p++;
		if (j->p >= j->end)
			return fail(j, "bad JSON: unterminated string");
		c = *j->p++;
		switch (c) {
		case '"': put(buf, cap, &l, '"'); break;
		case '\\': put(buf, cap, &l, '\\'); break;
		case '/': put(buf, cap, &l, '/'); break;
		case 'b': put(buf, cap, &l, '\b'); break;
		case 'f': put(buf, cap, &l, '\f'); break;
		case 'n': put(buf, cap, &l, '\n'); break;
		case 'r': put(buf, cap, &l, '\r'); break;
		case 't': put(buf, cap, &l, '\t'); break;
		case 'u': {
			uint32_t cp, lo;

			if (!hex4(j, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(j, "bad JSON: lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
					return fail(j, "bad JSON: lone high surrogate");
				j->p += 2;
				if (!hex4(j, &lo))
					return false;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(j, "bad JSON: bad surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(buf, cap, &l, cp);
			break;
		}
		default:
			return fail(j, "bad JSON: bad escape");
		}
	}
	if (buf != NULL)
		buf[l < cap ? l : cap - 1] = '\0';
	if (len != NULL)
		*len = l;
	return true;
}

static bool
digits(struct pj *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; its text into buf. */
static bool
number(struct pj *j, char *buf, size_t cap, size_t *len)
{
	const unsigned char *s = j->p;

	if (*j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return fail(j, "bad JSON: bad number");
	if (*j->p == '0') {
		j->p++;
	} else if (!digits(j)) {
		return fail(j, "bad JSON: bad number");
	}
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j))
			return fail(j, "bad JSON: bad number");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return fail(j, "bad JSON: bad number");
	}
	if (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		return fail(j, "bad JSON: bad number"); /* a leading zero: 01 */
	size_t l = (size_t)(j->p - s);

	if (buf != NULL) {
		size_t c = l < cap ? l : cap - 1;

		memcpy(buf, s, c);
		buf[c] = '\0';
	}
	if (len != NULL)
		*len = l;
	return true;
}

static bool value(struct pj *j, int depth, struct pj_member *keep);

static bool
array(struct pj *j, int depth)
{
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		if (!value(j, depth + 1, NULL))
			return false;
		skip_ws(j);
		if (j->p >= j->end)
			return fail(j, "bad JSON: unterminated array");
		if (*j->p == ']') {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return fail(j, "bad JSON: expected ',' or ']'");
		j->p++;
	}
}

/* An object; at depth 1 (the top level) its members are kept in out. */
static bool
object(struct pj *j, int depth, struct pj_object *out)
{
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		struct pj_member tmp;
		struct pj_member *m = &tmp;

		skip_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return fail(j, "bad JSON: expected a string key");
		if (out != NULL) {
			if (out->n >= PJ_MEMBERS_MAX)
				return fail(j, "too many members");
			m = &out->m[out->n];
			memset(m, 0, sizeof(*m));
		}
		if (!string(j, m->key, sizeof(m->key), &m->key_len))
			return false;
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return fail(j, "bad JSON: expected ':'");
		j->p++;
		if (!value(j, depth + 1, out != NULL ? m : NULL))
			return false;
		if (out != NULL) {
			for (unsigned int i = 0; i < out->n; i++)
				if (out->m[i].key_len == m->key_len &&
				    m->key_len < sizeof(m->key) &&
				    memcmp(out->m[i].key, m->key, m->key_len) == 0)
					return fail(j, "duplicate key");
			out->n++;
		}
		skip_ws(j);
		if (j->p >= j->end)
			return fail(j, "bad JSON: unterminated object");
		if (*j->p == '}') {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return fail(j, "bad JSON: expected ',' or '}'");
		j->p++;
	}
}

static bool
value(struct pj *j, int depth, struct pj_member *keep)
{
	if (depth > PJ_DEPTH_MAX)
		return fail(j, "bad JSON: nested too deeply");
	skip_ws(j);
	if (j->p >= j->end)
		return fail(j, "bad JSON: expected a value");
	switch (*j->p) {
	case '{':
		if (keep != NULL)
			keep->type = PJ_OBJECT;
		return object(j, depth, NULL);
	case '[':
		if (keep != NULL)
			keep->type = PJ_ARRAY;
		return array(j, depth);
	case '"':
		if (keep == NULL)
			return string(j, NULL, 0, NULL);
		keep->type = PJ_STRING;
		return string(j, keep->str, sizeof(keep->str), &keep->str_len);
	case 't':
		if (keep != NULL)
			keep->type = PJ_BOOL, keep->boolean = true;
		return literal(j, "true");
	case 'f':
		if (keep != NULL)
			keep->type = PJ_BOOL, keep->boolean = false;
		return literal(j, "false");
	case 'n':
		if (keep != NULL)
			keep->type = PJ_NULL;
		return literal(j, "null");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
			if (keep == NULL)
				return number(j, NULL, 0, NULL);
			keep->type = PJ_NUMBER;
			return number(j, keep->str, sizeof(keep->str), &keep->str_len);
		}
		return fail(j, "bad JSON: unexpected character");
	}
}

int
pj_parse_object(const char *buf, size_t len, struct pj_object *out, const char **err)
{
	struct pj j = { .p = (const unsigned char *)buf, .end = (const unsigned char *)buf + len };

	memset(out, 0, sizeof(*out));
	skip_ws(&j);
	if (j.p >= j.end) {
		*err = "bad JSON: empty request";
		return -1;
	}
	if (*j.p != '{') {
		/* Still say "bad JSON" for what is not JSON at all. */
		if (!value(&j, 1, NULL)) {
			*err = j.err;
			return -1;
		}
		skip_ws(&j);
		*err = j.p != j.end ? "bad JSON: trailing characters" : "request must be a JSON object";
		return -1;
	}
	if (!object(&j, 1, out)) {
		*err = j.err;
		return -1;
	}
	skip_ws(&j);
	if (j.p != j.end) {
		*err = "bad JSON: trailing characters";
		return -1;
	}
	return 0;
}

const struct pj_member *
pj_get(const struct pj_object *o, const char *key)
{
	size_t n = strlen(key);

	for (unsigned int i = 0; i < o->n; i++)
		if (o->m[i].key_len == n && n < PJ_KEY_MAX && memcmp(o->m[i].key, key, n) == 0)
			return &o->m[i];
	return NULL;
}

int
pj_uint(const struct pj_member *m, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (m->type != PJ_NUMBER || m->str_len == 0 || m->str_len >= sizeof(m->str))
		return -1;
	for (size_t i = 0; i < m->str_len; i++) {
		char c = m->str[i];

		if (c < '0' || c > '9')
			return -1; /* sign, fraction or exponent */
		if (v > (max - (unsigned long long)(c - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(c - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}
