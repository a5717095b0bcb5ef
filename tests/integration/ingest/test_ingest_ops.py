#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-ingest in operations: --metrics (a Prometheus scrape during a run).

Usage: test_ingest_ops.py CASE   (LCX_INGEST names the binary)

The observers: what the test sent (datagrams, sequence numbers, ports), the
JSON summary written at the end (for figures that only the program knows),
and promtool (Debian's prometheus package) for the text format.
Exit 0 pass, 1 fail, 77 skip (with the reason).
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_ingest_run import (BASE_PORT, check_balanced, ctl_request, eal, fail,  # noqa: E402
                             listen_run, run_case, summary)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import jsondoc  # noqa: E402
import statsjson  # noqa: E402

DOC_INGEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "doc",
                          "ingest.md")

# UDP ports of these cases: BASE_PORT + 2800.. (test_ingest_socket.py: + 2000..2799);
# the metrics TCP port: BASE_PORT + 2900.
PORT0 = BASE_PORT + 2800
MPORT = BASE_PORT + 2900


def parse_prom(text):
    """{(name, frozenset(labels)): value} of a text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if m is None:
            fail(f"scrape: a line that is not a sample: {line!r}")
        labels = frozenset(re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        if r.status != 200 or not r.headers["Content-Type"].startswith("text/plain"):
            fail(f"scrape: status {r.status}, {r.headers['Content-Type']}")
        return r.read().decode()


def promtool_check(text):
    pt = shutil.which("promtool")
    if pt is None:
        print("promtool not installed (scripts/setup installs prometheus): format not checked")
        return False
    r = subprocess.run([pt, "check", "metrics"], input=text, capture_output=True, text=True)
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        fail(f"promtool check metrics: exit {r.returncode}: {r.stdout} {r.stderr}")
    return True


def case_metrics(tmp):
    """A scrape during a run: rx, accepted, filtered{reason="port"}, seq lost and
    duplicate, flows and the port's rx packets equal what the test sent (sent
    before the scrape, nothing after), and the JSON summary written at the end
    says the same; promtool check metrics reports nothing."""
    good, other = PORT0, PORT0 + 1
    seqs = [i for i in range(200) if i not in (50, 51, 52)] + [10, 11]  # 3 lost, 2 dup
    n_other = 7
    sent = {"rx": len(seqs) + n_other, "bytes": 0}
    scraped = []

    def send(s):
        for q in seqs:
            s.sendto(struct.pack(">I", q) + b"p" * 60, ("127.0.0.1", good))
        for _ in range(n_other):
            s.sendto(b"o" * 30, ("127.0.0.1", other))

    def before_stop(sock):
        scraped.append(scrape(MPORT))

    err, j = listen_run(tmp, "metrics", [f"--listen=127.0.0.1:{good}-{other}",
                                         f"--ports={good}", "--seq=0:4",
                                         f"--metrics=127.0.0.1:{MPORT}"], send,
                        before_stop=before_stop)
    if f"metrics: http://127.0.0.1:{MPORT}/metrics" not in err:
        fail("the metrics address is not said on stderr")
    text = scraped[0]
    m = parse_prom(text)

    def val(name, **labels):
        k = (name, frozenset(labels.items()))
        if k not in m:
            fail(f"scrape: no {name}{labels}")
        return m[k]

    t = j["totals"]
    check_balanced(t)
    want = {
        ("lcx_ingest_rx_frames_total", ()): sent["rx"],
        ("lcx_ingest_accepted_frames_total", ()): len(seqs),
        ("lcx_ingest_filtered_frames_total", (("reason", "port"),)): n_other,
        ("lcx_ingest_malformed_frames_total", (("reason", "udp_len"),)): 0,
        ("lcx_ingest_seq_received_total", ()): len(seqs),
        ("lcx_ingest_seq_lost", ()): 3,
        ("lcx_ingest_seq_duplicate_total", ()): 2,
        ("lcx_ingest_flows", ()): 1,
        ("lcx_ingest_sink_dropped_frames_total", (("cause", "queue_full"),)): 0,
    }
    for (name, labels), v in want.items():
        got = val(name, **dict(labels))
        if got != v:
            fail(f"scrape: {name}{dict(labels)} {got}, the test sent {v}")
    # Two ports (one --listen per UDP port): their rx packets sum to what was sent.
    rx_ports = sum(v for (name, _), v in m.items() if name == "lcx_port_rx_packets_total")
    if rx_ports != sent["rx"]:
        fail(f"scrape: lcx_port_rx_packets_total sums to {rx_ports}, sent {sent['rx']}")
    # The same figures as the summary (nothing was sent after the scrape).
    for name, key in (("lcx_ingest_rx_frames_total", "rx_total"),
                      ("lcx_ingest_accepted_frames_total", "accepted")):
        if val(name) != t[key]:
            fail(f"scrape {name} {val(name)} != summary {key} {t[key]}")
    mal = sum(v for (name, _), v in m.items() if name == "lcx_ingest_malformed_frames_total")
    if mal != t["malformed"]:
        fail(f"scrape: malformed sums to {mal}, summary {t['malformed']}")
    checked = promtool_check(text)
    print(f"metrics: scrape agrees with the {sent['rx']} datagrams sent and the summary"
          f"{'; promtool clean' if checked else ''}")


def case_metrics_args(tmp):
    """--metrics values that cannot be listened on are refused before the EAL (exit 2)."""
    exe = os.environ["LCX_INGEST"]
    for bad in ("", "127.0.0.1:", "127.0.0.1:70000", "localhost:x", "[::1]", ":80"):
        r = subprocess.run([exe, "--", f"--metrics={bad}"], capture_output=True, text=True)
        if r.returncode != 2 or "--metrics" not in r.stderr:
            fail(f"--metrics={bad!r}: exit {r.returncode}, {r.stderr!r}")
    print("metrics_args: bad --metrics values refused with exit 2")


def case_json_doc(tmp):
    """Every key of a real summary (--listen, --seq, two flows) is in doc/ingest.md's
    "JSON summary, field by field" with its type, and every row not marked "only" is
    in it; the control socket's stats (its "stats" is "totals") and flows replies too;
    the checker itself finds a key left out of the doc."""
    port = PORT0 + 10
    replies = {}

    def send(s):
        for q in range(50):
            s.sendto(struct.pack(">I", q) + b"d" * 40, ("127.0.0.1", port))
            s.sendto(struct.pack(">I", q) + b"e" * 20, ("127.0.0.1", port + 1))

    def before_stop(sock):
        replies["stats"] = ctl_request(sock, '{"cmd":"stats"}')
        replies["flows"] = ctl_request(sock, '{"cmd":"flows","n":5}')

    _, j = listen_run(tmp, "json_doc", [f"--listen=127.0.0.1:{port}-{port + 1}", "--seq=0:4"],
                      send, settle=100, before_stop=before_stop)
    if j.get("schema") != "lcx-ingest" or j.get("schema_version") != 1:
        fail(f"schema: {j.get('schema')} {j.get('schema_version')}")
    if len(j["top_flows"]) != 2 or "rcvbuf" not in j["ports"][0]:
        fail(f"the run did not give two flows and socket ports: {j['top_flows']} {j['ports']}")
    st, fl = replies.get("stats"), replies.get("flows")
    if st is None or fl is None or not st["ok"] or not fl["ok"]:
        fail(f"control replies: {replies}")
    as_summary = dict(j, totals=st["stats"], top_flows=fl["flows"])
    problems = jsondoc.check(DOC_INGEST, [j, as_summary])
    if problems:
        fail("doc/ingest.md and the summary disagree:\n  " + "\n  ".join(problems))
    bad = dict(j, totals=dict(j["totals"], undocumented_key=1))
    if not any("totals.undocumented_key" in x for x in jsondoc.check(DOC_INGEST, [bad])):
        fail("the checker missed an undocumented key")
    bad = dict(j, duration_s=3)
    if not any("duration_s" in x for x in jsondoc.check(DOC_INGEST, [bad])):
        fail("the checker missed a wrong type")
    print(f"json_doc: {len(jsondoc.doc_fields(DOC_INGEST))} documented fields; the summary's "
          "keys and types agree")


ING_TOTALS = ["rx_total", "rx_bytes", "accepted", "filtered", "malformed", "sink_dropped",
              "port_rx_missed", "port_rx_nombuf", "seq_reordered", "seq_duplicate"]
ING_RATES = {"rx_pps": ("rx_total", 1), "rx_bps": ("rx_bytes", 8),
             "accepted_pps": ("accepted", 1), "filtered_pps": ("filtered", 1),
             "malformed_pps": ("malformed", 1), "sink_dropped_pps": ("sink_dropped", 1),
             "port_rx_missed_pps": ("port_rx_missed", 1)}


def case_stats_json(tmp):
    """--stats-json: every stdout line is one JSON object; totals never go down, each
    rate is the difference of two totals over dt_s, dt_s is the period and the
    distance between the lines' arrival by the test's clock; the last line's totals
    are what the test sent (datagrams, bytes of the frames, 7 to a port outside
    --ports) and what the --json summary says."""
    port, period = PORT0 + 20, 0.2
    n_good, n_other, payload = 600, 7, 100
    js = os.path.join(tmp, "sj.json")
    sock = os.path.join(tmp, "sj.sock")
    p = subprocess.Popen([*eal("stats_json"), f"--listen=127.0.0.1:{port}-{port + 1}",
                          f"--ports={port}", f"--json={js}", f"--control={sock}",
                          f"--stats-period={period}", "--stats-json", "--duration=20"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timed = []
    reader = statsjson.read_timed(p.stdout, timed)
    try:
        for _ in range(100):
            if os.path.exists(sock) or p.poll() is not None:
                break
            time.sleep(0.1)
        if p.poll() is not None:
            fail(f"lcx-ingest ended at start: exit {p.returncode}: {p.stderr.read()[-2000:]}")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(n_good):  # about 1.2 s
            s.sendto(struct.pack(">I", i) + b"s" * (payload - 4), ("127.0.0.1", port))
            time.sleep(0.002)
        for _ in range(n_other):
            s.sendto(b"o" * payload, ("127.0.0.1", port + 1))
        # Two periods more: the last lines see everything.
        time.sleep(3 * period)
        ctl_request(sock, '{"cmd":"stop"}')
        err = p.stderr.read()
        p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    reader.join(10)
    if p.returncode != 0:
        fail(f"exit {p.returncode}: {err[-2000:]}")
    objs, problems = statsjson.parse(timed, "lcx-ingest.stats")
    if problems:
        fail("stdout:\n  " + "\n  ".join(problems))
    if len(objs) < 6:
        fail(f"{len(objs)} lines")
    problems = statsjson.check(objs, ING_TOTALS, ING_RATES, period)
    if problems:
        fail("lines:\n  " + "\n  ".join(problems[:20]))
    problems = jsondoc.check(DOC_INGEST, [o for _, o in objs],
                             heading="--stats-json, field by field")
    if problems:
        fail("doc/ingest.md and the lines disagree:\n  " + "\n  ".join(problems))
    last = objs[-1][1]
    frame = 14 + 20 + 8 + payload  # Ethernet (as the socket port builds it), IPv4, UDP
    want = {"rx_total": n_good + n_other, "rx_bytes": (n_good + n_other) * frame,
            "accepted": n_good, "filtered": n_other, "malformed": 0, "sink_dropped": 0}
    j = summary(js)
    for k, v in want.items():
        if last[k] != v:
            fail(f"last line: {k} {last[k]}, the test sent {v}")
        if j["totals"][k] != v:
            fail(f"summary: {k} {j['totals'][k]}, the test sent {v}")
    if "rx_total" not in err or '"schema"' in err:
        fail("the final table is not on stderr alone")
    r = subprocess.run([*eal("stats_json_bad"), "--stats-period=0", "--stats-json"],
                       capture_output=True, text=True)
    if r.returncode != 2 or "--stats-json needs" not in r.stderr:
        fail(f"--stats-json with --stats-period=0: exit {r.returncode} {r.stderr!r}")
    print(f"stats_json: {len(objs)} lines agree with the clock, the {n_good + n_other} "
          "datagrams sent and the summary")


def case_log_levels(tmp):
    """Messages go through rte_log as lcx.ingest: --log-level=lcx.ingest:warning hides
    the notices (the metrics address, "stopped by") and keeps the final table (output,
    not a message); the default shows them; a command-line error is on stderr
    whatever the level."""
    exe = os.environ["LCX_INGEST"]
    port = PORT0 + 30

    def one(level):
        # Not eal(): its --log-level=lcx.*:notice would be another setting of the type.
        lv = [f"--log-level=lcx.ingest:{level}"] if level else []
        tag = os.environ.get("LCX_TEST_TAG", "")
        p = subprocess.Popen([exe, "--no-huge", "-m", "512", "--no-pci", "-l", "0",
                              "--file-prefix=lcxing-log_levels" + tag, *lv, "--",
                              f"--listen=127.0.0.1:{port}",
                              f"--metrics=127.0.0.1:{MPORT + 1}", "--stats-period=0",
                              "--duration=20"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        p.send_signal(__import__("signal").SIGINT)
        out, err = p.communicate(timeout=20)
        if p.returncode != 0:
            fail(f"{level}: exit {p.returncode}: {err}")
        return err

    err = one(None)
    if "metrics: http://" not in err or "stopped by Interrupt" not in err:
        fail("default level: notices missing:\n" + err)
    err = one("warning")
    if "metrics: http://" in err or "stopped by" in err:
        fail("lcx.ingest:warning: notices shown:\n" + err)
    if "rx_total 0 = accepted 0" not in err:
        fail("lcx.ingest:warning: the final table is gone:\n" + err)
    r = subprocess.run([exe, "--log-level=lcx.ingest:emerg", "--", "--burst=0"],
                       capture_output=True, text=True)
    if r.returncode != 2 or "--burst" not in r.stderr:
        fail(f"a command-line error: exit {r.returncode} {r.stderr!r}")
    print("log_levels: lcx.ingest's level filters its messages, not the figures")


def main():
    return run_case(globals(), __doc__, "lcxo-")


if __name__ == "__main__":
    sys.exit(main())
