/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_CTLSRV_H
#define LCX_APP_CTLSRV_H

/*
 * The programs' control socket (--control=PATH): one lcx control server
 * (lcx/ctl.h) on the control context, its --control-mode, --control-group and
 * --control-idle options, its messages and its counters. The protocol is
 * doc/control.md; each program answers its own requests (handle). Options:
 * main thread before the run; start, stats: on the control context; stop:
 * after that context's loop returned.
 */

#include <stddef.h>
#include <stdio.h>

#include <lcx/ctl.h>

struct lcx_context;

/**
 * --control-mode (octal, keeping 0600), --control-group (a name or number) or
 * --control-idle (a duration, 0: never).
 * @param name the option without "--".
 * @param arg its value.
 * @param why on failure, what the value should be.
 * @return 0 or -EINVAL.
 */
int app_ctlsrv_option(const char *name, const char *arg, const char **why);

/** What a program's server is made of. */
struct app_ctlsrv_conf {
	const char *prog;       /**< for the messages */
	const char *path;       /**< --control */
	lcx_ctl_handle_fn handle; /**< one request line */
	lcx_ctl_sent_fn sent;   /**< a reply asked for with LCX_CTL_NOTIFY went out */
	void *arg;              /**< handle's and sent's argument */
	size_t line_max;        /**< longest request, bytes */
	size_t out_max;         /**< replies waiting for one client, bytes */
	unsigned int clients_max;
};

/**
 * Listen on conf->path on ctx (the control context, on it), with the options
 * given. Says why on stderr when it cannot.
 * @return 0 or the -errno of lcx_ctl_create().
 */
int app_ctlsrv_start(struct lcx_context *ctx, const struct app_ctlsrv_conf *conf);

/* jansson's value (jansson.h is left to the files that use it). */
struct json_t;

/**
 * The server's counters as one JSON object (clients, accepted, ...): a new
 * reference, NULL when out of memory. Zeros without a server.
 */
struct json_t *app_ctlsrv_stats_jobj(void);

/**
 * Reply o (compact, one line) to c and drop the reference to o; when o is
 * NULL (a value could not be made) or out of memory, the error reply
 * "out of memory". From the handle callback only.
 * @return as lcx_ctl_reply().
 */
int app_ctlsrv_reply_json(struct lcx_ctl_client *c, struct json_t *o);

/**
 * After the control context's loop returned: say on stderr what the socket
 * refused or closed, close the clients, remove the path. No-op without a server.
 */
void app_ctlsrv_stop(const char *prog);

#endif /* LCX_APP_CTLSRV_H */
