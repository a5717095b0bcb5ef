/* SPDX-License-Identifier: BSD-3-Clause */
/* Request parsing of the control protocol (see ctl_proto.h): the JSON is
 * apps/common/jreq.c's; this file knows the commands and their keys. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ctl_proto.h"
#include "jreq.h"

/* The most members a request may have (it uses two at most). */
#define CTL_MEMBERS_MAX 8

static const struct {
	const char *name;
	enum ingest_ctl_cmd cmd;
} cmds[] = {
	{"stats", INGEST_CTL_STATS}, {"help", INGEST_CTL_HELP},	  {"flows", INGEST_CTL_FLOWS},
	{"rotate", INGEST_CTL_ROTATE}, {"stop", INGEST_CTL_STOP},
};

int
ingest_ctl_parse(const char *line, uint32_t len, struct ingest_ctl_req *req, const char **err)
{
	static __thread char msg[APP_JREQ_ERR_MAX];
	const json_t *cmd, *n;
	const char *key, *name;
	uint64_t v = 10;
	json_t *o, *m;
	bool found = false;
	int ret;

	memset(req, 0, sizeof(*req));
	ret = app_jreq_parse(line, len, CTL_MEMBERS_MAX, &o, msg);
	if (ret < 0) {
		*err = msg;
		return -EINVAL;
	}
	ret = -EINVAL;
	json_object_foreach (o, key, m) {
		if (strcmp(key, "cmd") != 0 && strcmp(key, "n") != 0) {
			*err = "unknown key (cmd, n)";
			goto out;
		}
	}
	cmd = json_object_get(o, "cmd");
	if (cmd == NULL) {
		*err = "missing \"cmd\"";
		goto out;
	}
	name = json_string_value(cmd);
	if (name == NULL) {
		*err = "\"cmd\" must be a string";
		goto out;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(name, cmds[i].name) == 0) {
			req->cmd = cmds[i].cmd;
			found = true;
		}
	}
	if (!found) {
		*err = "unknown cmd (help, stats, flows, rotate, stop)";
		goto out;
	}
	n = json_object_get(o, "n");
	if (n != NULL) {
		if (req->cmd != INGEST_CTL_FLOWS) {
			*err = "\"n\" applies to flows only";
			goto out;
		}
		if (app_jreq_uint(n, INGEST_CTL_FLOWS_MAX, &v) < 0 || v == 0) {
			*err = "\"n\" must be an integer from 1 to 1000";
			goto out;
		}
	}
	req->n = (uint32_t)v;
	ret = 0;
out:
	json_decref(o);
	return ret;
}
