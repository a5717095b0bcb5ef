# SPDX-License-Identifier: BSD-3-Clause
"""Control-socket checks shared by the lcx-pmd and lcx-ingest integration tests
(doc/control.md). Each function talks to a running program's control socket
as a plain client would and returns what it saw; the caller decides.
"""

import json
import os
import socket
import stat
import threading
import time


class CtlError(Exception):
    pass


def connect(path, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_lines(s, want=None, limit=60, end=None):
    """Read reply lines until want lines came, or the end of the stream (a
    clean end, or a reset: the server closed with requests unread); end, a
    list, gets True appended at the end of the stream."""
    buf = b""
    lines = []
    deadline = time.time() + limit
    while (want is None or len(lines) < want) and time.time() < deadline:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            break
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            if end is not None:
                end.append(True)
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            lines.append(json.loads(line))
    return lines


def request(path, obj, timeout=10):
    s = connect(path, timeout)
    try:
        s.sendall(json.dumps(obj).encode() + b"\n")
        lines = read_lines(s, 1, timeout)
    finally:
        s.close()
    if not lines:
        raise CtlError("no reply to %s" % obj)
    return lines[0]


def socket_mode(path):
    st = os.lstat(path)
    if not stat.S_ISSOCK(st.st_mode):
        raise CtlError("%s is not a socket" % path)
    return stat.S_IMODE(st.st_mode)


def as_nobody(path, line):
    """Connect as nobody (a child that setuid()s) and send line.
    @return ("refused", errno name) if connect failed, else ("reply", the lines)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                s = connect(path, 5)
            except OSError as e:
                os.write(w, json.dumps(["refused", os.strerror(e.errno)]).encode())
                os._exit(0)
            s.sendall(line)
            got = read_lines(s, None, 5)
            os.write(w, json.dumps(["reply", got]).encode())
            os._exit(0)
        except BaseException as e:
            os.write(2, ("as_nobody: %r\n" % (e,)).encode())
            os._exit(3)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        raise CtlError("the nobody child failed (status %d)" % status)
    return tuple(json.loads(data))


def idle_lockout(path, n_idle):
    """n_idle clients connect and say nothing; then "stop", once.
    @return (the stop reply or None, how many idle clients got an error line)."""
    idle = [connect(path) for _ in range(n_idle)]
    time.sleep(0.5)  # each had its first turn
    try:
        reply = request(path, {"cmd": "stop"})
    except (OSError, CtlError, ValueError):
        reply = None
    told = 0
    for s in idle:
        s.settimeout(2)
        lines = read_lines(s, 1, 2)
        if lines and lines[0].get("ok") is False and "error" in lines[0]:
            told += 1
        s.close()
    return reply, told


def busy_stop(path, n_busy, seconds=3.0, attempts_max=20):
    """n_busy threads send "stats" back to back, each on its own connection,
    reconnecting when closed, for at most `seconds` after the first stop
    attempt. The main thread tries "stop" after 1 s, up to attempts_max times.
    @return (attempts needed or None, requests the busy clients made)."""
    done = threading.Event()
    count = [0] * n_busy

    def worker(k):
        end = time.time() + 30
        while not done.is_set() and time.time() < end:
            try:
                s = connect(path, 2)
            except OSError:
                time.sleep(0.01)
                continue
            try:
                while not done.is_set():
                    s.sendall(b'{"cmd":"stats"}\n')
                    if not read_lines(s, 1, 2):
                        break
                    count[k] += 1
            except OSError:
                pass
            finally:
                s.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(n_busy)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    got = None
    try:
        for a in range(1, attempts_max + 1):
            try:
                r = request(path, {"cmd": "stop"}, timeout=5)
            except (OSError, CtlError, ValueError):
                continue
            if r.get("ok") is True and r.get("stopping") is True:
                got = a
                break
    finally:
        time.sleep(0.2)
        done.set()
        for t in threads:
            t.join(10)
    return got, sum(count)


def pipeline_overflow(path, n, line=b'{"cmd":"stats"}\n'):
    """Send n requests at once without reading; read late.
    @return (replies that are not errors, the last line, whether the stream ended)."""
    s = connect(path, 10)
    s.sendall(line * n)
    time.sleep(2)
    end = []
    lines = read_lines(s, None, 20, end)
    s.close()
    good = [x for x in lines if x.get("ok") is True]
    return len(good), lines[-1] if lines else None, bool(end)


def idle_timeout(path):
    """Connect, say nothing; @return (seconds until the server's line, the line)."""
    s = connect(path, 30)
    t0 = time.monotonic()
    lines = read_lines(s, 1, 30)
    t1 = time.monotonic()
    s.close()
    return t1 - t0, lines[0] if lines else None


def plant(path, kind, target=None):
    if kind == "file":
        with open(path, "x") as f:
            f.write("keep")
    else:
        os.symlink(target, path)


def intact(path, kind, target=None):
    st = os.lstat(path)
    if kind == "file":
        with open(path) as f:
            return stat.S_ISREG(st.st_mode) and f.read() == "keep"
    return stat.S_ISLNK(st.st_mode) and os.readlink(path) == target
