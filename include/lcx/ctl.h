/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_CTL_H
#define LCX_CTL_H

/**
 * @file
 * Control sockets: a line-delimited request server on a unix stream socket,
 * served by a context's reactor.
 *
 * Each client sends requests, one per line ('\n'); the server hands every
 * line to the program's handle callback, which queues its replies with
 * lcx_ctl_reply() or lcx_ctl_reply_error(). Replies go out in order. What the
 * server does by itself:
 *
 * - a line longer than line_max gets an error reply; the rest of it is
 *   dropped and the client goes on (or, with LCX_CTL_LONG_LINE_CLOSE, the
 *   client is closed once the reply went out);
 * - replies the socket does not take at once wait (the client's task comes
 *   back when the socket is writable); a client with more than out_max bytes
 *   waiting (it asks and does not read) is dropped;
 * - a client beyond clients_max gets an error reply and is closed;
 * - a client that shuts down its side gets its remaining replies, then the
 *   server closes it; a client that goes away is closed, its replies dropped;
 * - error replies are one JSON object: {"error":"..."}, or with
 *   LCX_CTL_ERROR_OK {"ok":false,"error":"..."}.
 *
 * The path appears only once the server accepts (it listens on a temporary
 * name and renames it). A socket left at the path by a dead process is
 * replaced; one that still answers is not (-EADDRINUSE), nor is a file that
 * is not a socket (-EEXIST). lcx_ctl_destroy() removes the path again, if it
 * still names this server's socket.
 *
 * Threads and ownership: the server and its clients belong to the context
 * they are created on: its reactor serves them, its tasks run the callbacks,
 * their memory is the context's. lcx_ctl_create() and lcx_ctl_destroy() on
 * that context's thread, or while no loop runs it (before it starts, or after
 * lcx_context_stop()); use lcx_context_enter() from elsewhere. After the
 * context stopped, its sockets are closed but the server's memory stays until
 * lcx_ctl_destroy(), which must come before the context's last
 * lcx_context_release(). The callbacks run on the context and must not block.
 * lcx_ctl_reply() and lcx_ctl_reply_error() only from the handle callback,
 * with the client it was given.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lcx_context;
struct lcx_ctl;
struct lcx_ctl_client;

/** Default longest request line, without its newline (bytes). */
#define LCX_CTL_LINE_MAX 4096u
/** Default most reply bytes that may wait for one client. */
#define LCX_CTL_OUT_MAX (1u << 20)
/** Default most clients at once. */
#define LCX_CTL_CLIENTS_MAX 64u

/** Conf flag: a line longer than line_max closes the client (after its error reply). */
#define LCX_CTL_LONG_LINE_CLOSE 0x1u
/** Conf flag: error replies carry "ok":false before "error". */
#define LCX_CTL_ERROR_OK 0x2u

/** Handle return flag: close the client once its replies have gone out. */
#define LCX_CTL_CLOSE 0x1
/** Handle return flag: call conf.sent once the client's replies have all gone out. */
#define LCX_CTL_NOTIFY 0x2

/**
 * Handle one request line.
 * @param arg conf.arg.
 * @param line the line, without its newline; line[len] is '\0' (the line
 *        itself may hold NUL bytes). Valid during the call only.
 * @param len its length, at most conf.line_max; may be 0 (a blank line).
 * @param client the client that sent it: where the replies go.
 * @return 0, a combination of LCX_CTL_CLOSE and LCX_CTL_NOTIFY, or a negative
 *         errno to drop the client at once (what waits for it is lost).
 */
typedef int (*lcx_ctl_handle_fn)(void *arg, const char *line, size_t len,
				 struct lcx_ctl_client *client);

/**
 * Replies to a request whose handler returned LCX_CTL_NOTIFY have all gone
 * out (not called when the client goes away first).
 * @param arg conf.arg.
 */
typedef void (*lcx_ctl_sent_fn)(void *arg);

/** How to make a control server. */
struct lcx_ctl_conf {
	const char *path;         /**< the socket's path; shorter than sun_path */
	lcx_ctl_handle_fn handle; /**< called for each request line */
	lcx_ctl_sent_fn sent;     /**< optional: see LCX_CTL_NOTIFY */
	void *arg;                /**< passed to the callbacks */
	uint32_t line_max;        /**< longest line, newline not counted; 0: LCX_CTL_LINE_MAX */
	uint32_t out_max;         /**< most reply bytes waiting per client; 0: LCX_CTL_OUT_MAX */
	uint32_t clients_max;     /**< most clients at once; 0: LCX_CTL_CLIENTS_MAX */
	uint32_t flags;           /**< LCX_CTL_LONG_LINE_CLOSE, LCX_CTL_ERROR_OK */
};

/**
 * Listen on conf->path and serve it on ctx.
 * @param ctx the context; the caller runs on it, or no loop runs it yet.
 * @param conf the configuration (copied).
 * @param out the new server.
 * @return 0, or -EINVAL (NULL argument, empty path, no handle, unknown flags,
 *         line_max or clients_max above 1 << 20), -ENAMETOOLONG (path too
 *         long for a unix socket), -EPERM (not on ctx's thread), -EADDRINUSE
 *         (a server answers at the path), -EEXIST (the path is not a socket),
 *         -ENOMEM, or -errno from socket(), bind(), listen(), rename() or
 *         epoll_ctl().
 */
int lcx_ctl_create(struct lcx_context *ctx, const struct lcx_ctl_conf *conf,
		   struct lcx_ctl **out);

/**
 * Close every client and the listening socket, remove the path (if it still
 * names this server's socket) and free the server. On the server's context
 * (a callback of the server may call it: the server goes when the callback
 * returns), or while no loop runs it. Replies not yet sent are dropped.
 * @param srv the server; NULL is a no-op.
 */
void lcx_ctl_destroy(struct lcx_ctl *srv);

/**
 * Queue reply bytes for a client, as they are (end a line with '\n').
 * @param client the client given to the handler.
 * @param buf the bytes.
 * @param len how many.
 * @return 0, or -ENOTCONN (the client is being dropped), -ENOBUFS (more than
 *         out_max bytes would wait: the client is dropped), -ENOMEM (the
 *         client is dropped).
 */
int lcx_ctl_reply(struct lcx_ctl_client *client, const void *buf, size_t len);

/**
 * Queue an error reply line: {"error":"msg"} (with LCX_CTL_ERROR_OK,
 * {"ok":false,"error":"msg"}). msg is escaped for JSON (control characters
 * become spaces, bytes that are not UTF-8 become '?') and cut at 400 bytes.
 * @param client the client given to the handler.
 * @param msg the message.
 * @return as lcx_ctl_reply().
 */
int lcx_ctl_reply_error(struct lcx_ctl_client *client, const char *msg);

#ifdef __cplusplus
}
#endif

#endif /* LCX_CTL_H */
