#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration tests of the metrics endpoint (lcx/metrics.h):

    python3 metrics_test.py PATH-TO-METRICS_SERVE CASE

metrics_serve (this folder) serves a net_ring0 port (its rx polled by a
context), a net_null0 port that only sends, its two contexts and its own
families, under EAL --no-huge. The test sends frames through it and checks
what the endpoint says against what it sent:

  promtool    a scrape: `promtool check metrics` reports nothing; the port,
              context and program families hold what was sent (and the
              contexts' time adds up to the wall clock); the endpoint's
              replies to bad requests and their counts
  prometheus  Debian's prometheus server, started here (own config and data
              dir in a temporary folder, scrape interval 1 s, 127.0.0.1 on a
              free port), scrapes it; its HTTP API gives back
              lcx_port_rx_packets_total as the test sent, before and after
              more frames

Exit 0 pass, 1 fail, 77 skip (promtool or prometheus not installed).
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SERVE = None
TMP = None


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Server:
    """metrics_serve, driven through its stdin and stdout."""

    def __init__(self, case):
        tag = os.environ.get("LCX_TEST_TAG", "")
        args = [SERVE, "--no-huge", "-m", "512", "--no-pci", "-l", "0",
                "--file-prefix=lcxmetrics_%s%s" % (case, tag), "--log-level=*:warning",
                "--", "127.0.0.1:0"]
        self.t_spawn = time.monotonic()
        self.err = open(os.path.join(TMP, "serve.err"), "w+")
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True, bufsize=1)
        line = self.readline(30)
        check(line.startswith("listening "), "metrics_serve did not start: %r\n%s" %
              (line, self.stderr()))
        self.t_ready = time.monotonic()
        self.addr = line.split()[1]

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def readline(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        check(r, "metrics_serve said nothing for %d s\n%s" % (timeout, self.stderr()))
        return self.p.stdout.readline().strip()

    def cmd(self, line, timeout=30):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.readline(timeout)

    def stats(self):
        return json.loads(self.cmd("stats"))

    def send(self, port, n):
        out = self.cmd("send %s %d" % (port, n))
        check(out == "sent %d" % n, "send %s %d: %r" % (port, n, out))

    def wait_handled(self, n):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = self.stats()
            if st["ring_handled"] == n:
                return st
            time.sleep(0.05)
        raise Fail("the rx handler got %d frames, not %d" % (st["ring_handled"], n))

    def quit(self):
        if self.p.poll() is None:
            try:
                out = self.cmd("quit", timeout=10)
                check(out == "bye", "quit: %r" % out)
                rc = self.p.wait(timeout=20)
                check(rc == 0, "metrics_serve exit %d\n%s" % (rc, self.stderr()))
            finally:
                if self.p.poll() is None:
                    self.p.kill()
                    self.p.wait()


def http_get(addr, path="/metrics", timeout=10):
    with urllib.request.urlopen("http://%s%s" % (addr, path), timeout=timeout) as r:
        return r.status, r.headers, r.read().decode("utf-8")


def raw(addr, data, timeout=10):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                return out.decode("utf-8", "replace")
            out += b


def unescape(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(v[i + 1], "\\" + v[i + 1]))
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse(text):
    """{(name, ((label, value), ...)): value} and {name: [HELP lines, TYPE lines]}."""
    samples, meta = {}, {}
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            meta.setdefault(parts[2], []).append(parts[1])
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            labels, i = [], 0
            while rest[i] != "}":
                eq = rest.index("=", i)
                ln = rest[i:eq]
                j = eq + 2
                val = []
                while rest[j] != '"':
                    if rest[j] == "\\":
                        val.append(rest[j:j + 2])
                        j += 2
                    else:
                        val.append(rest[j])
                        j += 1
                labels.append((ln, unescape("".join(val))))
                i = j + 1
                if rest[i] == ",":
                    i += 1
            value = rest[i + 1:].strip()
        else:
            name, value = line.split(" ", 1)
            labels = []
        samples[(name, tuple(labels))] = float(value)
    return samples, meta


def get(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    for (n, lb), v in samples.items():
        if n == name and tuple(sorted(lb)) == key[1]:
            return v
    raise Fail("no sample %s%s in the scrape" % (name, labels))


# --- cases ---

def case_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        print("SKIP: promtool is not installed (Debian package prometheus)")
        return 77
    srv = Server("promtool")
    try:
        srv.send("ring", 1000)
        srv.send("null", 300)
        st = srv.wait_handled(1000)
        t0 = time.monotonic()
        status, headers, body = http_get(srv.addr)
        t1 = time.monotonic()
        check(status == 200, "status %d" % status)
        check(headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8",
              "Content-Type %r" % headers["Content-Type"])
        check(int(headers["Content-Length"]) == len(body.encode()), "Content-Length")
        with open(os.path.join(TMP, "scrape.txt"), "w") as f:
            f.write(body)
        p = subprocess.run([promtool, "check", "metrics"], input=body, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        check(p.returncode == 0 and p.stdout.strip() == "",
              "promtool check metrics: exit %d:\n%s" % (p.returncode, p.stdout))
        # promtool must be able to fail: a counter without _total is reported.
        p = subprocess.run([promtool, "check", "metrics"], text=True,
                           input="# HELP x_seconds y\n# TYPE x_seconds counter\nx_seconds 1\n",
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        check(p.returncode != 0 or p.stdout.strip() != "", "promtool reports nothing, ever")

        s, meta = parse(body)
        for name, kinds in meta.items():
            check(sorted(kinds) == ["HELP", "TYPE"], "%s: %s" % (name, kinds))
        # The ports: what the test sent, and what the port itself says.
        check(get(s, "lcx_port_rx_packets_total", port="net_ring0") == 1000,
              "ring rx %s, sent 1000" % get(s, "lcx_port_rx_packets_total", port="net_ring0"))
        check(st["ring_rx_packets"] == 1000, "the port's own rx count %d" % st["ring_rx_packets"])
        check(get(s, "lcx_port_tx_packets_total", port="net_ring0") == 1000, "ring tx")
        check(get(s, "lcx_port_tx_packets_total", port="net_null0") == 300, "null tx")
        check(get(s, "lcx_port_rx_packets_total", port="net_null0") == 0, "null rx")
        check(get(s, "lcx_port_info", port="net_ring0", driver="dpdk") == 1, "port info")
        # The program's families, through the writer.
        check(get(s, "metrics_test_handled_packets_total") == 1000, "handled")
        check(get(s, "metrics_test_info", note='a "quoted" \\ value\non two lines') == 1,
              "escaped label")
        # The contexts: their loop time against the wall clock.
        for ctx in ("metrics-rx", "metrics-ctl"):
            check(get(s, "lcx_context_iterations_total", context=ctx) > 0, ctx + " iterations")
        total = sum(get(s, "lcx_context_%s_seconds_total" % k, context="metrics-rx")
                    for k in ("busy", "idle", "parked"))
        low, high = 0.9 * (t0 - srv.t_ready) - 0.05, (t1 - srv.t_spawn) + 0.05
        check(low <= total <= high, "metrics-rx busy+idle+parked %.3f s, wall %.3f..%.3f s" %
              (total, low, high))
        check(get(s, "lcx_context_throttle_seconds", context="metrics-rx") == 0.0002,
              "throttle")
        check(get(s, "lcx_context_reacts_total", context="metrics-rx") <=
              (t1 - srv.t_spawn) / 0.0002 + 1, "reacts at most one per throttle")
        check(get(s, "lcx_metrics_write_errors_total") == 0, "write errors")

        # Bad requests: each its reply, each counted; the server goes on.
        check(raw(srv.addr, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").startswith(
            "HTTP/1.1 404 "), "404")
        out = raw(srv.addr, b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        check(out.startswith("HTTP/1.1 405 ") and "Allow: GET, HEAD\r\n" in out, "405")
        check(raw(srv.addr, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").startswith(
            "HTTP/1.1 400 "), "400")
        check(raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n").startswith("HTTP/1.1 200 "), "page")
        _, _, body = http_get(srv.addr)
        s, _ = parse(body)
        for code, n in (("200", 2), ("400", 1), ("404", 1), ("405", 1)):
            got = get(s, "lcx_metrics_http_responses_total", code=code)
            check(got == n, "responses %s: %s, expected %d" % (code, got, n))
    finally:
        srv.quit()
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prom_query(port, query):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": query}))
    with urllib.request.urlopen(url, timeout=5) as r:
        d = json.load(r)
    if d.get("status") != "success":
        raise Fail("prometheus query %s: %s" % (query, d))
    return d["data"]["result"]


def prom_wait(port, query, want, timeout=40):
    """Wait until the query gives one series of value want; return it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = prom_query(port, query)
            if len(last) == 1 and float(last[0]["value"][1]) == want:
                return last[0]
        except (OSError, ValueError):
            pass  # not up yet
        time.sleep(0.5)
    raise Fail("prometheus: %s gave %s within %d s, expected %s" % (query, last, timeout, want))


def case_prometheus():
    prom = shutil.which("prometheus")
    if prom is None:
        print("SKIP: prometheus is not installed (Debian package prometheus)")
        return 77
    srv = Server("prometheus")
    p = None
    try:
        srv.send("ring", 1000)
        srv.wait_handled(1000)
        port = free_port()
        cfg = os.path.join(TMP, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: lcx\n    static_configs:\n"
                    "      - targets: ['%s']\n" % srv.addr)
        log = open(os.path.join(TMP, "prometheus.log"), "w+")
        p = subprocess.Popen([prom, "--config.file=" + cfg,
                              "--storage.tsdb.path=" + os.path.join(TMP, "data"),
                              "--web.listen-address=127.0.0.1:%d" % port,
                              "--log.level=warn"],
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            prom_wait(port, 'up{job="lcx"}', 1)
            prom_wait(port, 'lcx_port_rx_packets_total{port="net_ring0"}', 1000)
            srv.send("ring", 500)
            srv.wait_handled(1500)
            r = prom_wait(port, 'lcx_port_rx_packets_total{port="net_ring0"}', 1500)
            check(r["metric"].get("job") == "lcx", "labels %s" % r["metric"])
            prom_wait(port, "metrics_test_handled_packets_total", 1500)
            # The endpoint counted prometheus's scrapes: at least those it made.
            res = prom_query(port, 'lcx_metrics_http_responses_total{code="200"}')
            check(len(res) == 1 and float(res[0]["value"][1]) >= 1, "scrapes %s" % res)
        except Fail:
            log.seek(0)
            print("prometheus log:\n" + log.read()[-4000:], file=sys.stderr)
            raise
    finally:
        if p is not None and p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        srv.quit()
    return 0


def main():
    global SERVE, TMP
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    SERVE, case = sys.argv[1], sys.argv[2]
    fn = globals().get("case_" + case)
    if fn is None:
        print("unknown case " + case)
        return 2
    TMP = tempfile.mkdtemp(prefix="lcx-metrics-")
    try:
        rc = fn()
    except Fail as e:
        print("FAIL: %s: %s" % (case, e))
        print("(files in %s)" % TMP)
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    if rc == 0:
        print("PASS: %s" % case)
    return rc


if __name__ == "__main__":
    sys.exit(main())
