/* SPDX-License-Identifier: BSD-3-Clause */
/* The control request reader on jansson (see jreq.h). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jreq.h"

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Nesting of v, which is at level depth: false past APP_JREQ_DEPTH_MAX (stops there). */
static bool
depth_ok(const json_t *v, int depth)
{
	const char *key;
	const json_t *m;
	size_t i;

	if (depth > APP_JREQ_DEPTH_MAX)
		return false;
	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, key, m)
			if (!depth_ok(m, depth + 1))
				return false;
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, m)
			if (!depth_ok(m, depth + 1))
				return false;
	}
	return true;
}

/*
 * The offset of an integer -0 in buf, which is valid JSON, or -1. jansson
 * reads "-0" as the integer 0, which would pass for "0" where a non-negative
 * integer is asked for; "-0.0" and "-0e1" are reals and stay so.
 */
static long
minus_zero(const char *buf, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		if (in_str) {
			if (buf[i] == '\\')
				i++; /* the escaped character: never the closing quote */
			else if (buf[i] == '"')
				in_str = false;
		} else if (buf[i] == '"') {
			in_str = true;
		} else if (buf[i] == '-' && i + 1 < len && buf[i + 1] == '0' &&
			   (i + 2 == len || (buf[i + 2] != '.' && buf[i + 2] != 'e' &&
					     buf[i + 2] != 'E'))) {
			return (long)i;
		}
	}
	return -1;
}

int
app_jreq_parse(const char *buf, size_t len, size_t members_max, json_t **out,
	       char err[APP_JREQ_ERR_MAX])
{
	const char *nul = memchr(buf, '\0', len);
	json_error_t e;
	json_t *v;
	size_t i = 0;
	long at;

	*out = NULL;
	err[0] = '\0';
	while (i < len && is_ws(buf[i]))
		i++;
	if (i == len) {
		snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: empty request");
		return -EINVAL;
	}
	if (nul != NULL) {
		snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: NUL byte at byte %zu",
			 (size_t)(nul - buf));
		return -EINVAL;
	}
	/* JSON_DECODE_ANY: a valid scalar gets "must be a JSON object", not "bad JSON". */
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	if (v == NULL) {
		switch (json_error_code(&e)) {
		case json_error_out_of_memory:
			snprintf(err, APP_JREQ_ERR_MAX, "out of memory");
			return -ENOMEM;
		case json_error_invalid_utf8:
			snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: invalid UTF-8 at byte %d",
				 e.position);
			break;
		case json_error_end_of_input_expected:
			snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: trailing characters at byte %d",
				 e.position);
			break;
		case json_error_null_character:
			snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: \\u0000 in a string at byte %d",
				 e.position);
			break;
		case json_error_duplicate_key:
			snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: duplicate key at byte %d",
				 e.position);
			break;
		case json_error_stack_overflow:
			snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: nested too deeply");
			break;
		default:
			snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: %s", e.text);
			break;
		}
		return -EINVAL;
	}
	if (!depth_ok(v, 1)) {
		snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: nested too deeply (more than %d levels)",
			 APP_JREQ_DEPTH_MAX);
		goto out_put;
	}
	at = minus_zero(buf, len);
	if (at >= 0) {
		snprintf(err, APP_JREQ_ERR_MAX, "bad JSON: -0 at byte %ld is not an integer", at);
		goto out_put;
	}
	if (!json_is_object(v)) {
		snprintf(err, APP_JREQ_ERR_MAX, "request must be a JSON object");
		goto out_put;
	}
	if (json_object_size(v) > members_max) {
		snprintf(err, APP_JREQ_ERR_MAX, "too many members (at most %zu)", members_max);
		goto out_put;
	}
	*out = v;
	return 0;

out_put:
	json_decref(v);
	return -EINVAL;
}

int
app_jreq_command(const char *buf, size_t len, size_t members_max,
		 bool (*key_ok)(const char *cmd, const char *key), json_t **out,
		 const char **name, char err[APP_JREQ_ERR_MAX])
{
	const json_t *cmd, *m;
	const char *key;
	json_t *o;
	size_t i = 0;
	int ret;

	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (i == len)
		return 0; /* a blank line is not a request */
	ret = app_jreq_parse(buf, len, members_max, &o, err);
	if (ret < 0)
		return ret;
	cmd = json_object_get(o, "cmd");
	*name = json_string_value(cmd);
	if (*name == NULL) {
		snprintf(err, APP_JREQ_ERR_MAX, "%s",
			 cmd == NULL ? "missing \"cmd\"" : "\"cmd\" must be a string");
		json_decref(o);
		return -EINVAL;
	}
	json_object_foreach (o, key, m) {
		if (m != cmd && (key_ok == NULL || !key_ok(*name, key))) {
			snprintf(err, APP_JREQ_ERR_MAX, "unknown key \"%.40s%s\" for \"%.40s\"",
				 key, strlen(key) > 40 ? "..." : "", *name);
			json_decref(o);
			return -EINVAL;
		}
	}
	*out = o;
	return 1;
}

int
app_jreq_uint(const json_t *v, uint64_t max, uint64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -EINVAL;
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return -ERANGE;
	*out = (uint64_t)i;
	return 0;
}
