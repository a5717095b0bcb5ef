/* SPDX-License-Identifier: BSD-3-Clause */
/* Request parsing of the control protocol (see ctl_proto.h): a flat JSON
 * object whose values are strings or non-negative integers. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ctl_proto.h"

struct lex {
	const char *p, *end;
};

static void
ws(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\r' || *l->p == '\n'))
		l->p++;
}

static bool
eat(struct lex *l, char c)
{
	ws(l);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		return true;
	}
	return false;
}

/* A string without escapes (no key or value of ours needs one). */
static bool
str(struct lex *l, char *out, unsigned int size)
{
	unsigned int n = 0;

	if (!eat(l, '"'))
		return false;
	while (l->p < l->end && *l->p != '"') {
		if (*l->p == '\\' || (unsigned char)*l->p < 0x20 || n + 1 >= size)
			return false;
		out[n++] = *l->p++;
	}
	if (l->p == l->end)
		return false;
	l->p++;
	out[n] = '\0';
	return true;
}

static bool
num(struct lex *l, uint64_t *v)
{
	unsigned int digits = 0;

	ws(l);
	*v = 0;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (++digits > 12)
			return false;
		/* JSON numbers have no leading zero (RFC 8259, 6): 0 alone, never 05. */
		if (digits == 2 && *v == 0)
			return false;
		*v = *v * 10 + (uint64_t)(*l->p++ - '0');
	}
	return digits > 0;
}

int
ingest_ctl_parse(const char *line, uint32_t len, struct ingest_ctl_req *req, const char **err)
{
	struct lex l = {line, line + len};
	char key[32], val[32];
	bool have_cmd = false, have_n = false;
	uint64_t n = 10;

	memset(req, 0, sizeof(*req));
	if (!eat(&l, '{')) {
		*err = "expected a JSON object";
		return -EINVAL;
	}
	if (!eat(&l, '}')) {
		do {
			if (!str(&l, key, sizeof(key)) || !eat(&l, ':')) {
				*err = "expected \"key\": value";
				return -EINVAL;
			}
			if (strcmp(key, "cmd") == 0) {
				if (have_cmd || !str(&l, val, sizeof(val))) {
					*err = "\"cmd\" must be one string";
					return -EINVAL;
				}
				have_cmd = true;
				if (strcmp(val, "stats") == 0)
					req->cmd = INGEST_CTL_STATS;
				else if (strcmp(val, "help") == 0)
					req->cmd = INGEST_CTL_HELP;
				else if (strcmp(val, "flows") == 0)
					req->cmd = INGEST_CTL_FLOWS;
				else if (strcmp(val, "rotate") == 0)
					req->cmd = INGEST_CTL_ROTATE;
				else if (strcmp(val, "stop") == 0)
					req->cmd = INGEST_CTL_STOP;
				else {
					*err = "unknown cmd (help, stats, flows, rotate, stop)";
					return -EINVAL;
				}
			} else if (strcmp(key, "n") == 0) {
				if (have_n || !num(&l, &n) || n == 0 || n > INGEST_CTL_FLOWS_MAX) {
					*err = "\"n\" must be an integer from 1 to 1000";
					return -EINVAL;
				}
				have_n = true;
			} else {
				*err = "unknown key (cmd, n)";
				return -EINVAL;
			}
		} while (eat(&l, ','));
		if (!eat(&l, '}')) {
			*err = "expected , or }";
			return -EINVAL;
		}
	}
	ws(&l);
	if (l.p != l.end) {
		*err = "trailing characters after the object";
		return -EINVAL;
	}
	if (!have_cmd) {
		*err = "missing \"cmd\"";
		return -EINVAL;
	}
	if (have_n && req->cmd != INGEST_CTL_FLOWS) {
		*err = "\"n\" applies to flows only";
		return -EINVAL;
	}
	req->n = (uint32_t)n;
	return 0;
}
