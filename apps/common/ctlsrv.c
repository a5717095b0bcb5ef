/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' control socket: see ctlsrv.h. */

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <lcx/ctl.h>

#include "applog.h"
#include "args.h"
#include "ctlsrv.h"
#include "jout.h"

static struct lcx_ctl *srv;
/* --control-mode, --control-group, --control-idle */
static uint32_t srv_mode;
static bool srv_group;
static uint32_t srv_gid;
static uint64_t srv_idle_ns;

int
app_ctlsrv_option(const char *name, const char *arg, const char **why)
{
	char *end;

	if (strcmp(name, "control-mode") == 0) {
		unsigned long m;

		errno = 0;
		m = strtoul(arg, &end, 8);
		if (*arg < '0' || *arg > '7' || *end != '\0' || errno != 0 || m > 0777 ||
		    (m & 0600) != 0600) {
			*why = "octal, 0600 to 0777, keeping 0600 (owner read, write)";
			return -EINVAL;
		}
		srv_mode = (uint32_t)m;
	} else if (strcmp(name, "control-group") == 0) {
		struct group *g = getgrnam(arg);
		uint64_t v;

		if (g != NULL) {
			srv_gid = (uint32_t)g->gr_gid;
		} else {
			if (app_parse_u64(arg, 0, UINT32_MAX - 1, &v) < 0) {
				*why = "no such group";
				return -EINVAL;
			}
			srv_gid = (uint32_t)v;
		}
		srv_group = true;
	} else if (strcmp(name, "control-idle") == 0) {
		uint64_t ns;

		if (app_parse_duration(arg, &ns) < 0 || (ns != 0 && ns < 1000000) ||
		    ns > 10000000 * 1000000000ull) {
			*why = "a duration from 1ms to 1e7 s (a number alone: seconds), or 0 for "
			       "never";
			return -EINVAL;
		}
		srv_idle_ns = ns == 0 ? LCX_CTL_IDLE_NEVER : ns;
	} else {
		*why = "unknown option";
		return -EINVAL;
	}
	return 0;
}

int
app_ctlsrv_start(struct lcx_context *ctx, const struct app_ctlsrv_conf *c)
{
	const struct lcx_ctl_conf conf = {
		.path = c->path,
		.handle = c->handle,
		.sent = c->sent,
		.arg = c->arg,
		.line_max = c->line_max,
		.out_max = c->out_max,
		.clients_max = c->clients_max,
		.flags = LCX_CTL_ERROR_OK | (srv_group ? LCX_CTL_GROUP : 0),
		.mode = srv_mode,
		.gid = srv_gid,
		.idle_ns = srv_idle_ns,
	};
	int ret = lcx_ctl_create(ctx, &conf, &srv);

	if (ret == -ENAMETOOLONG)
		app_log_raw(APP_LOG_ERR, "%s: --control: path longer than %zu bytes: %s", c->prog,
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1, c->path);
	else if (ret == -EADDRINUSE)
		app_log_raw(APP_LOG_ERR, "%s: --control: %s is in use by another process", c->prog,
			c->path);
	else if (ret == -EEXIST)
		app_log_raw(APP_LOG_ERR, "%s: --control: %s exists and is not a socket (a file, "
				"directory or symlink): left as it is", c->prog, c->path);
	else if (ret == -EACCES)
		app_log_raw(APP_LOG_ERR,
		            "%s: --control: %s is a socket of another user: left as it is",
			c->prog, c->path);
	else if (ret < 0)
		app_log_raw(APP_LOG_ERR, "%s: --control: cannot listen on %s: %s", c->prog, c->path,
			strerror(-ret));
	return ret;
}

json_t *
app_ctlsrv_stats_jobj(void)
{
	struct lcx_ctl_stats st;

	memset(&st, 0, sizeof(st));
	if (srv != NULL)
		lcx_ctl_stats(srv, &st);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "clients", (json_int_t)st.clients, "accepted", app_jout_u64(st.accepted),
			 "requests", app_jout_u64(st.requests),
			 "refused_peer", app_jout_u64(st.refused_peer),
			 "refused_full", app_jout_u64(st.refused_full),
			 "evicted", app_jout_u64(st.evicted),
			 "idle_closed", app_jout_u64(st.idle_closed),
			 "overflow_closed", app_jout_u64(st.overflow_closed),
			 "long_lines", app_jout_u64(st.long_lines));
}

int
app_ctlsrv_reply_json(struct lcx_ctl_client *c, json_t *o)
{
	size_t len = 0;
	char *line = app_jout_line(o, &len);
	int ret;

	if (line == NULL)
		return lcx_ctl_reply_error(c, "out of memory");
	ret = lcx_ctl_reply(c, line, len);
	free(line);
	return ret;
}

void
app_ctlsrv_stop(const char *prog)
{
	struct lcx_ctl_stats st;

	if (srv != NULL && lcx_ctl_stats(srv, &st) == 0 &&
	    (st.refused_peer | st.refused_full | st.evicted | st.idle_closed |
	     st.overflow_closed) != 0)
		app_log_raw(APP_LOG_WARNING,
			"%s: control socket: %" PRIu64 " clients served; refused %" PRIu64
			" not allowed, %" PRIu64 " over the limit; closed %" PRIu64
			" evicted, %" PRIu64 " idle, %" PRIu64 " not reading their replies",
			prog, st.accepted, st.refused_peer, st.refused_full, st.evicted,
			st.idle_closed, st.overflow_closed);
	lcx_ctl_destroy(srv);
	srv = NULL;
}
