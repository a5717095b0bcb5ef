/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_JREQ_H
#define LCX_APP_JREQ_H

/**
 * @file
 * The request reader of the programs' control sockets (lcx-pmd, lcx-ingest, lcx-bench;
 * doc/control.md), on jansson. Strict RFC 8259: one value and nothing after
 * it, valid UTF-8 (no overlong form, no encoded surrogate, nothing past
 * U+10FFFF), escapes checked (a lone or unpaired surrogate is refused), no
 * leading zero, no comment, no trailing comma. Stricter than RFC 8259 where a
 * request has no use for it: the top level must be an object with at most a
 * given number of members; no key repeats in any object; nesting at most
 * APP_JREQ_DEPTH_MAX levels; no NUL byte and no \\u0000; no integer beyond
 * jansson's range (-2^63 .. 2^63-1) and no real beyond a double's; no
 * integer -0 (jansson would read it as 0).
 *
 * Pure: no EAL. Any thread; no state shared between calls.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** The deepest nesting a request may have (the top-level object is level 1). */
#define APP_JREQ_DEPTH_MAX 32
/** The size of the error buffer app_jreq_parse() takes (bytes, NUL included). */
#define APP_JREQ_ERR_MAX 192

/**
 * Read one request.
 * @param buf the request line without its newline; need not end with a NUL.
 * @param len its length (bytes).
 * @param members_max the most members the top-level object may have.
 * @param out on success, the object: a new reference, json_decref() it.
 * @param err on failure, a message for the error reply (NUL-terminated,
 *   APP_JREQ_ERR_MAX bytes). It starts with "bad JSON" when the text is not
 *   JSON as above; otherwise it is "request must be a JSON object" or
 *   "too many members".
 * @return 0, -EINVAL (err says why), or -ENOMEM.
 */
int app_jreq_parse(const char *buf, size_t len, size_t members_max, json_t **out,
		   char err[APP_JREQ_ERR_MAX]);

/**
 * Read one command request of a control socket (doc/control.md): a blank line
 * (spaces, tabs, a CR) is no request; otherwise app_jreq_parse(), then a
 * string member "cmd", and no other member unless key_ok takes it.
 * @param buf, len, members_max as app_jreq_parse().
 * @param key_ok whether command cmd takes member key besides "cmd"; NULL:
 *   none does.
 * @param out when 1 is returned, the object: a new reference, json_decref() it.
 * @param name when 1 is returned, its "cmd" (owned by *out).
 * @param err on failure, the message for the error reply: app_jreq_parse()'s,
 *   'missing "cmd"', '"cmd" must be a string' or 'unknown key "K" for "C"'
 *   (K and C cut at 40 bytes, "..." after a longer K).
 * @return 1 (a request), 0 (a blank line), -EINVAL or -ENOMEM (err says why).
 */
int app_jreq_command(const char *buf, size_t len, size_t members_max,
		     bool (*key_ok)(const char *cmd, const char *key), json_t **out,
		     const char **name, char err[APP_JREQ_ERR_MAX]);

/**
 * A value as an integer in [0, max]: a JSON integer, no sign, fraction or
 * exponent ("5.0", "5e1", "-1" refused).
 * @param v the value (NULL: refused).
 * @param max the largest value taken.
 * @param out the value (set only on success).
 * @return 0, -EINVAL (not an integer), or -ERANGE (negative or above max).
 */
int app_jreq_uint(const json_t *v, uint64_t max, uint64_t *out);

#endif /* LCX_APP_JREQ_H */
