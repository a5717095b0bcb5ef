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
import struct
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_ingest_run import BASE_PORT, check_balanced, fail, listen_run, run_case  # noqa: E402

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


def main():
    return run_case(globals(), __doc__, "lcxo-")


if __name__ == "__main__":
    sys.exit(main())
