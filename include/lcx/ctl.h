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
 * - access: the socket file is created with conf.mode (default 0600, or 0660
 *   with LCX_CTL_GROUP and conf.gid), whatever the umask, and is never wider
 *   for a moment (it is bound in a private 0700 directory, given its mode and
 *   group there, then linked into place). On accept the peer's credentials
 *   (SO_PEERCRED, SO_PEERGROUPS) are checked: root, the server's effective
 *   uid and, with LCX_CTL_GROUP, members of conf.gid may talk; anyone else
 *   gets one error line and is closed (counted: refused_peer);
 * - fair service: each client's task hands at most one line to the handler
 *   per turn, then goes to the back of the context's run queue, so clients
 *   are served round robin and one client's pipelined requests never hold the
 *   others back; a turn reads at most line_max + 1 bytes (up to 64 KiB while
 *   it drops the rest of an over-long line);
 * - a line longer than line_max gets an error reply; the rest of it is
 *   dropped and the client goes on (or, with LCX_CTL_LONG_LINE_CLOSE, the
 *   client is closed once the reply went out);
 * - replies the socket does not take at once wait (the client's task comes
 *   back when the socket is writable); a reply that would make more than
 *   out_max bytes wait (the client asks and does not read) is replaced by an
 *   error line, the client's requests are read no more and it is closed once
 *   what waits went out (counted: overflow_closed);
 * - a client with no byte in either direction for idle_ns gets an error line
 *   (if its socket takes it) and is closed (counted: idle_closed);
 * - a connection beyond clients_max evicts the client idle longest (the one
 *   whose last byte either way, or accept, is oldest: it gets an
 *   error line and is closed; counted: evicted); only clients that already
 *   had a turn may be evicted, so a new client always gets to send its first
 *   request; when none may, the new connection gets an error line and is
 *   closed (counted: refused_full);
 * - a client that shuts down its side gets the replies to the whole lines it
 *   sent, then the server closes it; a client that goes away is closed, its
 *   replies dropped;
 * - error replies are one JSON object: {"error":"..."}, or with
 *   LCX_CTL_ERROR_OK {"ok":false,"error":"..."}.
 *
 * The path: the server never removes or follows anything but its own stale
 * socket. A path that is not a socket (a file, a directory, a symlink, even
 * to a socket) is left alone (-EEXIST); a socket of another user too
 * (-EACCES); a socket that answers is in use (-EADDRINUSE); only a socket of
 * the server's own uid whose connect is refused (ECONNREFUSED) is removed as
 * stale. The private directory is made with mkdtemp() beside the path (PATH.
 * and six random characters) and removed again at once; no other name is
 * created or removed. The path appears only once the server accepts.
 * lcx_ctl_destroy() removes the path again, if it still names this server's
 * socket.
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

/** Default time a client may stay idle before it is closed (ns): 60 s. */
#define LCX_CTL_IDLE_NS UINT64_C(60000000000)
/** idle_ns value: never close a client for idleness. */
#define LCX_CTL_IDLE_NEVER UINT64_MAX

/** Conf flag: a line longer than line_max closes the client (after its error reply). */
#define LCX_CTL_LONG_LINE_CLOSE 0x1u
/** Conf flag: error replies carry "ok":false before "error". */
#define LCX_CTL_ERROR_OK 0x2u
/** Conf flag: the socket belongs to group conf.gid, whose members may connect. */
#define LCX_CTL_GROUP 0x4u

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
 * out, or the client was closed before they could (it went away, was evicted,
 * idle or over out_max): either way the server is done with that request.
 * Not called from lcx_ctl_destroy().
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
	uint32_t flags;           /**< LCX_CTL_LONG_LINE_CLOSE, LCX_CTL_ERROR_OK, LCX_CTL_GROUP */
	uint32_t mode;            /**< the socket's permission bits, 0600 at least and at most
				       0777; 0: 0600, or 0660 with LCX_CTL_GROUP */
	uint32_t gid;             /**< with LCX_CTL_GROUP: the socket's group */
	uint64_t idle_ns;         /**< close a client idle this long (ns), at least 1 ms;
				       0: LCX_CTL_IDLE_NS; LCX_CTL_IDLE_NEVER: never */
};

/** A server's figures since it was created. */
struct lcx_ctl_stats {
	uint64_t accepted;        /**< connections taken on as clients */
	uint64_t requests;        /**< lines handed to the handler (blank ones too) */
	uint64_t refused_peer;    /**< connections refused: the peer's uid/groups may not */
	uint64_t refused_full;    /**< connections refused: clients_max, none to evict */
	uint64_t evicted;         /**< clients closed to make room for a new connection */
	uint64_t idle_closed;     /**< clients closed after idle_ns without a byte */
	uint64_t overflow_closed; /**< clients closed: more than out_max bytes of replies waited */
	uint64_t long_lines;      /**< lines longer than line_max (error replies) */
	uint32_t clients;         /**< clients now */
};

/**
 * Listen on conf->path and serve it on ctx.
 * @param ctx the context; the caller runs on it, or no loop runs it yet.
 * @param conf the configuration (copied).
 * @param out the new server.
 * @return 0, or -EINVAL (NULL argument, empty path, no handle, unknown flags,
 *         line_max or clients_max above 1 << 20, a mode outside 0600..0777 or
 *         without 0600, idle_ns below 1 ms), -ENAMETOOLONG (path too long for
 *         a unix socket, or PATH.XXXXXX/s too long for PATH_MAX), -EPERM (not
 *         on ctx's thread), -EADDRINUSE (a server answers at the path),
 *         -EEXIST (the path is not a socket, or something appeared at it
 *         meanwhile), -EACCES (a socket of another user is at the path), -ENOMEM,
 *         or -errno from lstat(), mkdtemp(), socket(), bind(), chown() (the
 *         group), chmod(), listen(), link() or epoll_ctl().
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
 * Read a server's figures. On the server's context, or while no loop runs it.
 * @param srv the server.
 * @param out the figures.
 * @return 0, or -EINVAL.
 */
int lcx_ctl_stats(const struct lcx_ctl *srv, struct lcx_ctl_stats *out);

/**
 * Queue reply bytes for a client, as they are (end a line with '\n').
 * @param client the client given to the handler.
 * @param buf the bytes.
 * @param len how many.
 * @return 0, or -ENOTCONN (the client is being dropped or closed for
 *         overflow), -ENOBUFS (more than out_max bytes would wait: an error
 *         line goes instead, then the client is closed), -ENOMEM (the client is
 *         dropped).
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
