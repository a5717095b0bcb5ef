/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (--control=PATH): an lcx control server (lcx/ctl.h) on
 * the main lcore's context. The protocol is the one lcx-ingest speaks too
 * (doc/control.md): one JSON object per line in, one per line out, in order;
 * every reply has "ok"; errors are {"ok":false,"error":"..."}.
 *
 *   {"cmd":"help"}                  -> {"ok":true,"commands":[...]}
 *   {"cmd":"stats"}                 -> {"ok":true,"control":{..}, the summary as --json writes it}
 *   {"cmd":"set","throttle_us":N}   -> {"ok":true,"throttle_us":N}
 *   {"cmd":"stop"}                  -> {"ok":true,"stopping":true}, then the program stops
 *
 * Anything else (bad JSON, an unknown command or key, a bad value, a line
 * longer than CTL_LINE_MAX) gets an error and changes nothing; blank lines
 * are ignored. The server does the socket work (access, framing, fair turns,
 * idle and evicted clients, a client that does not read its replies); this
 * file answers requests and holds the --control-* options.
 */

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <lcx/ctl.h>

#include "json.h"
#include "pmd.h"

#define CTL_LINE_MAX 4096
#define CTL_OUT_MAX (1u << 20)
#define CTL_CLIENTS_MAX 64

static struct lcx_ctl *ctl;
/* --control-mode, --control-group, --control-idle */
static uint32_t ctl_mode;
static bool ctl_group;
static uint32_t ctl_gid;
static uint64_t ctl_idle_ns;

static const char help_reply[] =
	"{\"ok\":true,\"commands\":["
	"{\"cmd\":\"help\",\"keys\":{},\"reply\":\"this list\"},"
	"{\"cmd\":\"stats\",\"keys\":{},\"reply\":\"the summary so far, as --json writes it, "
	"and the control socket's own counters under control\"},"
	"{\"cmd\":\"set\",\"keys\":{\"throttle_us\":\"integer 0..1000000: every forwarding "
	"context's throttle, us\"},\"reply\":\"throttle_us\"},"
	"{\"cmd\":\"stop\",\"keys\":{},\"reply\":\"stopping:true, then the program stops as on "
	"SIGTERM\"}]}\n";

int
pmd_control_option(const char *name, const char *arg, const char **why)
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
		ctl_mode = (uint32_t)m;
	} else if (strcmp(name, "control-group") == 0) {
		struct group *g = getgrnam(arg);
		unsigned long v;

		if (g != NULL) {
			ctl_gid = (uint32_t)g->gr_gid;
		} else {
			errno = 0;
			v = strtoul(arg, &end, 10);
			if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0 ||
			    v >= UINT32_MAX) {
				*why = "no such group";
				return -EINVAL;
			}
			ctl_gid = (uint32_t)v;
		}
		ctl_group = true;
	} else if (strcmp(name, "control-idle") == 0) {
		double s;

		errno = 0;
		s = strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || errno != 0 || !isfinite(s) ||
		    (s != 0 && (s < 0.001 || s > 1e7))) {
			*why = "seconds, 0.001 to 1e7, or 0 for never";
			return -EINVAL;
		}
		ctl_idle_ns = s == 0 ? LCX_CTL_IDLE_NEVER : (uint64_t)(s * 1e9);
	} else {
		*why = "unknown option";
		return -EINVAL;
	}
	return 0;
}

static void
reply_stats(struct lcx_ctl_client *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct pmd_snap *now = malloc(sizeof(*now));
	struct lcx_ctl_stats st;

	if (f == NULL || now == NULL) {
		if (f != NULL)
			fclose(f);
		free(buf);
		free(now);
		lcx_ctl_reply_error(c, "out of memory");
		return;
	}
	lcx_ctl_stats(ctl, &st);
	pmd_snapshot(now);
	/* The summary is one object: "ok" and "control" go in front of its members. */
	fprintf(f, "{\"ok\":true,\"control\":{\"clients\":%u,\"accepted\":%" PRIu64
		   ",\"requests\":%" PRIu64 ",\"refused_peer\":%" PRIu64
		   ",\"refused_full\":%" PRIu64 ",\"evicted\":%" PRIu64
		   ",\"idle_closed\":%" PRIu64 ",\"overflow_closed\":%" PRIu64
		   ",\"long_lines\":%" PRIu64 "},",
		st.clients, st.accepted, st.requests, st.refused_peer, st.refused_full,
		st.evicted, st.idle_closed, st.overflow_closed, st.long_lines);
	long head = ftell(f);

	pmd_summary_json(f, &pmd.start, now, false);
	fputc('\n', f);
	fclose(f);
	if (head < 0 || len < (size_t)head + 3 || buf[head] != '{') {
		lcx_ctl_reply_error(c, "cannot make the summary");
	} else {
		memmove(buf + head, buf + head + 1, len - (size_t)head - 1);
		lcx_ctl_reply(c, buf, len - 1);
	}
	free(buf);
	free(now);
}

/* One request line (no newline). */
static int
handle_line(void *arg, const char *line, size_t len, struct lcx_ctl_client *c)
{
	struct pj_object o;
	const char *err = NULL;
	const struct pj_member *cmd;

	(void)arg;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return 0; /* a blank line is not a request */
	if (pj_parse_object(line, len, &o, &err) < 0) {
		lcx_ctl_reply_error(c, err);
		return 0;
	}
	cmd = pj_get(&o, "cmd");
	if (cmd == NULL) {
		lcx_ctl_reply_error(c, "missing \"cmd\"");
		return 0;
	}
	if (cmd->type != PJ_STRING || cmd->str_len >= sizeof(cmd->str) ||
	    memchr(cmd->str, '\0', cmd->str_len) != NULL) {
		lcx_ctl_reply_error(c, "\"cmd\" must be a string");
		return 0;
	}
	for (unsigned int k = 0; k < o.n; k++) {
		const struct pj_member *m = &o.m[k];
		bool known = m == cmd || (strcmp(cmd->str, "set") == 0 &&
					  pj_get(&o, "throttle_us") == m);

		if (!known) {
			char msg[192];

			snprintf(msg, sizeof(msg), "unknown key \"%.40s%s\" for \"%s\"", m->key,
				 m->key_len >= sizeof(m->key) ? "..." : "", cmd->str);
			lcx_ctl_reply_error(c, msg);
			return 0;
		}
	}
	if (strcmp(cmd->str, "help") == 0) {
		lcx_ctl_reply(c, help_reply, sizeof(help_reply) - 1);
	} else if (strcmp(cmd->str, "stats") == 0) {
		reply_stats(c);
	} else if (strcmp(cmd->str, "stop") == 0) {
		static const char ok[] = "{\"ok\":true,\"stopping\":true}\n";

		lcx_ctl_reply(c, ok, sizeof(ok) - 1);
		/* Stop once the reply went out, or the client went first: control_sent(). */
		return LCX_CTL_NOTIFY;
	} else if (strcmp(cmd->str, "set") == 0) {
		const struct pj_member *t = pj_get(&o, "throttle_us");
		unsigned long long v;
		char buf[64];
		int n;

		if (t == NULL) {
			lcx_ctl_reply_error(c, "\"set\" needs \"throttle_us\"");
			return 0;
		}
		if (pj_uint(t, LCX_THROTTLE_MAX_NS / 1000, &v) < 0) {
			snprintf(buf, sizeof(buf), "bad value: throttle_us must be an integer "
						   "0..%llu", LCX_THROTTLE_MAX_NS / 1000);
			lcx_ctl_reply_error(c, buf);
			return 0;
		}
		if (pmd_set_throttle(v) < 0) {
			lcx_ctl_reply_error(c, "cannot set the throttle");
			return 0;
		}
		n = snprintf(buf, sizeof(buf), "{\"ok\":true,\"throttle_us\":%llu}\n", v);
		lcx_ctl_reply(c, buf, (size_t)n);
	} else {
		char msg[192];

		snprintf(msg, sizeof(msg), "unknown command \"%.40s\" (help, stats, set, stop)",
			 cmd->str);
		lcx_ctl_reply_error(c, msg);
	}
	return 0;
}

/* The reply to a "stop" went out (or its client went first). */
static void
control_sent(void *arg)
{
	(void)arg;
	pmd_request_stop("control");
}

int
pmd_control_start(struct lcx_context *ctx, const char *path)
{
	const struct lcx_ctl_conf conf = {
		.path = path,
		.handle = handle_line,
		.sent = control_sent,
		.line_max = CTL_LINE_MAX,
		.out_max = CTL_OUT_MAX,
		.clients_max = CTL_CLIENTS_MAX,
		.flags = LCX_CTL_ERROR_OK | (ctl_group ? LCX_CTL_GROUP : 0),
		.mode = ctl_mode,
		.gid = ctl_gid,
		.idle_ns = ctl_idle_ns,
	};
	int ret = lcx_ctl_create(ctx, &conf, &ctl);

	if (ret == -EADDRINUSE)
		fprintf(stderr, "lcx-pmd: --control: %s is in use by another process\n", path);
	else if (ret == -EEXIST)
		fprintf(stderr, "lcx-pmd: --control: %s exists and is not a socket (a file, "
				"directory or symlink): left as it is\n", path);
	else if (ret == -EACCES)
		fprintf(stderr, "lcx-pmd: --control: %s is a socket of another user: left as "
				"it is\n", path);
	else if (ret == -ENAMETOOLONG)
		fprintf(stderr, "lcx-pmd: --control: path longer than %zu bytes\n",
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	else if (ret < 0)
		fprintf(stderr, "lcx-pmd: --control: cannot listen on %s: %s\n", path,
			strerror(-ret));
	return ret;
}

/* After the context stopped (it closed every socket): say what the socket
 * refused or closed, free the server, remove the path. */
void
pmd_control_stop(void)
{
	struct lcx_ctl_stats st;

	if (ctl != NULL && lcx_ctl_stats(ctl, &st) == 0 &&
	    (st.refused_peer | st.refused_full | st.evicted | st.idle_closed |
	     st.overflow_closed) != 0)
		fprintf(stderr,
			"lcx-pmd: control socket: %" PRIu64 " clients served; refused %" PRIu64
			" not allowed, %" PRIu64 " over the limit; closed %" PRIu64
			" evicted, %" PRIu64 " idle, %" PRIu64 " not reading their replies\n",
			st.accepted, st.refused_peer, st.refused_full, st.evicted,
			st.idle_closed, st.overflow_closed);
	lcx_ctl_destroy(ctl);
	ctl = NULL;
}
