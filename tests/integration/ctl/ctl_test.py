#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-ctl against running programs: python3 ctl_test.py CASE (pmd, ingest, errors).

The observer is an independent client in this file: it sends the same request
on the raw socket, and lcx-ctl --json must print what the server answered it;
the tables must show the same values. Error paths: the server's error replies
(exit 1, the message on stderr), a dead or missing socket (exit 2), a server
that does not answer (exit 3 at --timeout, by the test's clock), a reply that
is not JSON (exit 3). Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

CTL = os.environ.get("LCX_CTL", "lcx-ctl")
PMD = os.environ.get("LCX_PMD", "lcx-pmd")
INGEST = os.environ.get("LCX_INGEST", "lcx-ingest")
TAG = os.environ.get("LCX_TEST_TAG", "")
# UDP port of the ingest case: apart from test_ingest_*.py's (41000 + 3000 * tag ..+2999).
UDP_PORT = 40000 + 100 * (int(TAG) % 7 if TAG.isdigit() else 0) + 7


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def raw(path, line, timeout=10):
    """The independent client: one request line, the reply line as bytes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    buf = b""
    while b"\n" not in buf:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    s.close()
    check(b"\n" in buf, "raw %s: no reply line" % line)
    return buf.split(b"\n", 1)[0].decode()


def ctl(*args, timeout=30):
    p = subprocess.run([CTL, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def ok(*args):
    rc, out, err = ctl(*args)
    check(rc == 0 and err == "", "lcx-ctl %s: exit %d\n%s%s" % (" ".join(args), rc, out, err))
    return out


def scalars(out):
    """The "key value" lines of the human output (before the first table)."""
    kv = {}
    for line in out.split("\n\n")[0].splitlines():
        k, _, v = line.partition(" ")
        kv[k] = v.strip()
    return kv


def table(out, title):
    """A table of the human output: [{column: cell}] (cells split on 2+ spaces)."""
    import re
    block = out.split("\n" + title + ":\n", 1)
    check(len(block) == 2, "no table %s in:\n%s" % (title, out))
    lines = block[1].split("\n\n")[0].splitlines()
    head = re.split(r"\s{2,}", lines[0].strip())
    return [dict(zip(head, re.split(r"\s{2,}", line.strip()))) for line in lines[1:]]


def same_shape(a, b, path=""):
    """The keys (recursively) and value types of a and b agree."""
    check(type(a) is type(b) or {type(a), type(b)} <= {int, float, type(None)},
          "%s: %r vs %r" % (path, a, b))
    if isinstance(a, dict):
        check(list(a) == list(b), "%s: keys %s vs %s" % (path, list(a), list(b)))
        for k in a:
            same_shape(a[k], b[k], path + "." + k)
    elif isinstance(a, list):
        check(len(a) == len(b), "%s: %d vs %d elements" % (path, len(a), len(b)))
        for x, y in zip(a, b):
            same_shape(x, y, path + "[]")


def wait_path(path, p, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return
        if p.poll() is not None:
            raise Fail("the program ended early: %s" % (p.communicate(),))
        time.sleep(0.05)
    raise Fail("%s never appeared" % path)


def common(sock, commands):
    """What both programs answer alike: help (byte for byte), the error paths."""
    check(ok("--json", sock, "help").rstrip("\n") == raw(sock, '{"cmd":"help"}'),
          "--json help differs from the raw reply")
    out = ok(sock, "help")
    cmds = [r["cmd"] for r in table(out, "commands")]
    check(cmds == commands, "help table: %s" % cmds)
    # The server's errors: exit 1, its message on stderr, nothing on stdout.
    rc, out, err = ctl(sock, "bogus")
    want = json.loads(raw(sock, '{"cmd":"bogus"}'))["error"]
    check(rc == 1 and out == "" and want in err, "bogus: exit %d %r %r" % (rc, out, err))
    rc, out, err = ctl("--json", sock, "stats", "x=1")
    want = raw(sock, '{"cmd":"stats","x":1}')
    check(rc == 1 and out == "" and err.strip() == want, "--json error: %d %r %r" % (rc, out, err))
    # Usage: exit 2, nothing sent.
    for args in ((sock, "stats", "novalue"), (sock, "stats", "a=1", "a=2"), (sock,),
                 ("--timeout=0", sock, "stats"), ("--bogus", sock, "stats")):
        rc, out, err = ctl(*args)
        check(rc == 2 and err, "usage %s: exit %d %r" % (args, rc, err))


def case_pmd(tmp):
    sock = os.path.join(tmp, "pmd.sock")
    jpath = os.path.join(tmp, "pmd.json")
    # net_ring with nothing sent: the counters stay 0, so two readings agree.
    p = subprocess.Popen([PMD, "-l", "0,1", "--no-huge", "-m", "512", "--no-pci",
                          "--file-prefix=lcxctl_pmd" + TAG, "--vdev=net_ring0", "--",
                          "--control=" + sock, "--duration=60", "--json=" + jpath],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_path(sock, p)
        common(sock, ["help", "stats", "set", "stop"])
        a = json.loads(ok("--json", sock, "stats"))
        b = json.loads(raw(sock, '{"cmd":"stats"}'))
        same_shape(a, b)
        for k in ("schema", "forward_mode", "nb_ports", "throttle_us", "rx_packets",
                  "tx_packets", "running"):
            check(a[k] == b[k], "stats %s: lcx-ctl %s, raw %s" % (k, a[k], b[k]))
        check(b["control"]["accepted"] == a["control"]["accepted"] + 1,
              "the raw client is the next one served")
        out = ok(sock, "stats")
        kv = scalars(out)
        for k in ("forward_mode", "rx_packets", "throttle_us", "running"):
            want = b[k] if not isinstance(b[k], bool) else str(b[k]).lower()
            check(kv.get(k) == str(want), "table %s: %r, raw %r" % (k, kv.get(k), want))
        check(kv.get("control.clients") == "1", "control.clients %s" % kv.get("control.clients"))
        ports = table(out, "ports")
        check([r["name"] for r in ports] == [x["name"] for x in b["ports"]] and
              ports[0]["rx_packets"] == str(b["ports"][0]["rx_packets"]), "ports table %s" % ports)
        ctxs = table(out, "contexts")
        check([r["role"] for r in ctxs] == ["forward", "control"], "contexts table %s" % ctxs)
        # set: --json as the raw reply; the human form says the value; the server took it.
        check(ok("--json", sock, "set", "throttle_us=300").strip() ==
              raw(sock, '{"cmd":"set","throttle_us":300}'), "--json set")
        check(scalars(ok(sock, "set", "throttle_us=400")) == {"throttle_us": "400"}, "set table")
        check(json.loads(raw(sock, '{"cmd":"stats"}'))["throttle_us"] == 400, "set not applied")
        rc, out, err = ctl(sock, "set", "throttle_us=abc")
        check(rc == 1 and "throttle_us must be an integer" in err, "bad set: %d %r" % (rc, err))
        # stop: ok, the program ends by the control socket.
        check(scalars(ok(sock, "stop")) == {"stopping": "true"}, "stop")
        p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    check(p.returncode == 0, "lcx-pmd exit %d" % p.returncode)
    with open(jpath) as f:
        check(json.load(f)["stop_reason"] == "control", "stop_reason")
    # The socket is gone: exit 2 and a clear word.
    rc, out, err = ctl(sock, "stats")
    check(rc == 2 and "cannot connect" in err and sock in err, "dead socket: %d %r" % (rc, err))


def case_ingest(tmp):
    sock = os.path.join(tmp, "ing.sock")
    p = subprocess.Popen([INGEST, "--no-huge", "-m", "512", "--no-pci", "-l", "0",
                          "--file-prefix=lcxctl_ing" + TAG, "--", "--listen=127.0.0.1:%d" %
                          UDP_PORT, "--control=" + sock, "--duration=60", "--stats-period=0",
                          "--seq=0:4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    n = 50
    try:
        wait_path(sock, p)
        time.sleep(0.3)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(n):
            s.sendto(struct.pack(">I", i) + b"c" * 60, ("127.0.0.1", UDP_PORT))
        deadline = time.time() + 10
        while json.loads(raw(sock, '{"cmd":"stats"}'))["stats"]["rx_total"] < n and \
                time.time() < deadline:
            time.sleep(0.05)
        common(sock, ["help", "stats", "flows", "rotate", "stop"])
        a = json.loads(ok("--json", sock, "stats"))
        b = json.loads(raw(sock, '{"cmd":"stats"}'))
        same_shape(a, b)
        check(a["stats"] == b["stats"] and b["stats"]["rx_total"] == n,
              "stats: lcx-ctl %s, raw %s, sent %d" % (a["stats"]["rx_total"],
                                                      b["stats"]["rx_total"], n))
        kv = scalars(ok(sock, "stats"))
        for k in ("rx_total", "accepted", "seq.received", "flows.active"):
            want = b["stats"]
            for part in k.split("."):
                want = want[part]
            check(kv.get("stats." + k) == str(want), "table stats.%s: %r, raw %r" %
                  (k, kv.get("stats." + k), want))
        check(kv["stats.rx_total"] == str(n), "rx_total %s, sent %d" % (kv["stats.rx_total"], n))
        a = json.loads(ok("--json", sock, "flows", "n=5"))
        b = json.loads(raw(sock, '{"cmd":"flows","n":5}'))
        same_shape(a, b)
        for x, y in zip(a["flows"], b["flows"]):
            for k in ("flow", "packets", "bytes", "seq"):
                check(x[k] == y[k], "flows %s: %s vs %s" % (k, x[k], y[k]))
        rows = table(ok(sock, "flows", "n=5"), "flows")
        check(len(rows) == 1 and rows[0]["packets"] == str(n) and
              rows[0]["seq.received"] == str(n), "flows table %s" % rows)
        # rotate without a sink: the server's error.
        rc, out, err = ctl(sock, "rotate")
        check(rc == 1 and "no sink to rotate" in err, "rotate: %d %r" % (rc, err))
        check(scalars(ok(sock, "stop")) == {"stopping": "true"}, "stop")
        p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    check(p.returncode == 0, "lcx-ingest exit %d" % p.returncode)


def serve(path, reply):
    """A unix socket that accepts one client, reads its line and answers reply
    (None: nothing, the connection held open)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def run():
        c, _ = srv.accept()
        c.recv(4096)
        if reply is not None:
            c.sendall(reply)
        time.sleep(5)
        c.close()
    threading.Thread(target=run, daemon=True).start()
    return srv


def case_errors(tmp):
    # A missing path, a stale socket (no one listening): exit 2.
    rc, out, err = ctl(os.path.join(tmp, "none.sock"), "stats")
    check(rc == 2 and "cannot connect" in err and "No such file" in err, "missing: %r" % err)
    stale = os.path.join(tmp, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    rc, out, err = ctl(stale, "stats")
    check(rc == 2 and "Connection refused" in err, "stale: %d %r" % (rc, err))
    # A server that does not answer: exit 3 at the timeout, by the test's clock.
    quiet = os.path.join(tmp, "quiet.sock")
    srv = serve(quiet, None)
    t0 = time.monotonic()
    rc, out, err = ctl("--timeout=300ms", quiet, "stats")
    took = time.monotonic() - t0
    check(rc == 3 and "no reply in time" in err and 0.28 <= took < 3, "quiet: %d %r in %.2f s" %
          (rc, err, took))
    srv.close()
    # A reply that is not the protocol's.
    bad = os.path.join(tmp, "bad.sock")
    srv = serve(bad, b"hello\n")
    rc, out, err = ctl(bad, "stats")
    check(rc == 3 and "not a reply" in err, "not JSON: %d %r" % (rc, err))
    srv.close()
    # What lcx-ctl sent: one line, the request as JSON (values typed).
    seen = os.path.join(tmp, "seen.sock")
    got = []
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(seen)
    srv.listen(1)

    def run():
        c, _ = srv.accept()
        got.append(c.recv(4096))
        c.sendall(b'{"ok":true}\n')
        c.close()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    rc, out, err = ctl(seen, "set", "a=5", "b=x y", 'c="5"', "d=true", "e=[1,2]", "f=1.5")
    t.join(5)
    check(rc == 0 and out == "ok\n", "ok reply: %d %r %r" % (rc, out, err))
    check(got and got[0].endswith(b"\n") and got[0].count(b"\n") == 1 and
          json.loads(got[0]) == {"cmd": "set", "a": 5, "b": "x y", "c": "5", "d": True,
                                 "e": [1, 2], "f": 1.5}, "request sent: %r" % got)
    srv.close()
    rc, out, err = ctl("--version")
    check(rc == 0 and out.startswith("lcx-ctl " + os.environ.get("LCX_VERSION", "")),
          "--version: %r" % out)


def main():
    case = sys.argv[1] if len(sys.argv) == 2 else None
    fn = globals().get("case_" + str(case))
    if fn is None:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="lcxctl-") as tmp:
        try:
            fn(tmp)
        except Fail as e:
            print("FAIL %s: %s" % (case, e))
            return 1
    print("PASS", case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
