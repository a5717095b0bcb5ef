#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-bench end to end over net_ring (one vdev: what is sent on it comes back on its rx).

Each figure is checked against an observer that is not lcx-bench's own account: the
ethdev's counters (opackets, ipackets, read by rte_eth_stats_get), the rate and the
duration asked for (the schedule's exact packet count), the wall clock.
Usage: bench_test.py LCX_BENCH CASE
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

BIN, CASE = sys.argv[1], sys.argv[2]
TAG = os.environ.get("LCX_TEST_TAG", "")


def eal(name):
    return ["--vdev=net_ring0", "--file-prefix=lcxbench_%s%s" % (name, TAG),
            "--log-level=lib.eal:warning"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(args, name, timeout=60):
    return subprocess.run([BIN] + eal(name) + ["--"] + args, capture_output=True, text=True,
                          timeout=timeout)


def trial(tmp, extra, name):
    out = os.path.join(tmp, name + ".json")
    t0 = time.monotonic()
    p = run(extra + ["--json=" + out, "run"], name)
    wall = time.monotonic() - t0
    print(p.stdout)
    print(p.stderr)
    check(p.returncode == 0, "exit %d" % p.returncode)
    with open(out) as f:
        j = json.load(f)
    return j, p, wall


def exact_account(j):
    tx, rx, lat = j["tx"], j["rx"], j["latency_ns"]
    port = j["ports"]["tx"]
    # The device's own counters: what it took is what lcx-bench says it offered,
    # and what came back on its rx is what lcx-bench counted (signed + unsigned).
    check(port["opackets"] == tx["offered"], "opackets %d != offered %d" %
          (port["opackets"], tx["offered"]))
    check(j["ports"]["rx"]["ipackets"] == rx["received"] + rx["unsigned"] + rx["other_stream"],
          "ipackets %d != received %d" % (j["ports"]["rx"]["ipackets"], rx["received"]))
    check(rx["received"] == tx["offered"], "received %d != offered %d" %
          (rx["received"], tx["offered"]))
    check(rx["lost"] == 0 and rx["duplicate"] == 0 and rx["late"] == 0, "lost/dup/late")
    check(rx["unsigned"] == 0, "unsigned frames on a ring only we send to")
    check(lat["count"] == rx["received"], "histogram count %d != received %d" %
          (lat["count"], rx["received"]))
    check(lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"], "percentiles out of order")
    check(tx["offered"] + tx["skipped"] + tx["unsent"] == tx["intended"], "pacer invariant")
    check(rx["account_consistent"], "account not consistent")
    for pool in j["mbuf_pools"]:
        check(pool["in_use"] == 0, "mbufs not back: %r" % pool)


def run_ring_exact(tmp):
    rate, dur = 50000, 2
    j, p, wall = trial(tmp, ["--rate=50kpps", "--duration=%d" % dur, "--drain=0.3",
                             "--throttle=100", "--frame-size=64"], "exact")
    exact_account(j)
    # The schedule: exactly rate x duration packets (the pacer is exact to one packet).
    check(abs(j["tx"]["intended"] - rate * dur) <= 1, "intended %d, not %d" %
          (j["tx"]["intended"], rate * dur))
    check(j["tx"]["offered"] == j["tx"]["intended"], "offered != intended")
    check(not j["generator_limited"], "generator-limited at 50 kpps")
    check(j["schema_version"] == 1 and j["stopped_by"] == "duration", "schema/stopped_by")
    # The wall clock: the trial plus the drain, not much more.
    check(dur + 0.3 <= wall < dur + 0.3 + 10, "wall %.2f s" % wall)
    check(p.stdout.count(" s  intended ") >= 1, "no live line")


def run_ring_imix(tmp):
    j, p, wall = trial(tmp, ["--rate=20kpps", "--duration=1", "--drain=0.2", "--throttle=100",
                             "--frame-size=imix"], "imix")
    exact_account(j)
    check(abs(j["config"]["mean_frame_bytes"] - (64 * 7 + 594 * 4 + 1518) / 12) < 1e-3,
          "imix mean")


def run_sigint(tmp):
    out = os.path.join(tmp, "sigint.json")
    p = subprocess.Popen([BIN] + eal("sigint") + ["--", "--rate=20kpps", "--duration=30",
                         "--drain=0.2", "--throttle=100", "--json=" + out, "run"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    so, se = p.communicate(timeout=30)
    print(so, se)
    check(p.returncode == 0, "exit %d" % p.returncode)
    check(time.monotonic() - t0 < 10, "slow to stop")
    with open(out) as f:
        j = json.load(f)
    check(j["stopped_by"] == "SIGINT", "stopped_by %r" % j["stopped_by"])
    exact_account(j)
    # Stopped after ~2.5 s of 30: the figures so far, not the whole schedule.
    check(0 < j["tx"]["offered"] < 20000 * 10, "offered %d" % j["tx"]["offered"])


def bad_args(tmp):
    cases = [
        (["--rate=0pps", "run"], "rate"),
        (["--rate=-5kpps", "run"], "rate"),
        (["--rate=20Gbps", "run"], "link"),          # net_ring's link is 10 Gb/s
        (["--rate=101%", "run"], "rate"),
        (["--rate=1kpps", "--frame-size=63", "run"], "frame-size"),
        (["--rate=1kpps", "--frame-size=64:x,128:1", "run"], "frame-size"),
        (["--rate=1kpps", "--frame-size=imix2", "run"], "frame-size"),
        (["--rate=1kpps", "--tx-port=3", "run"], "tx-port"),
        (["--rate=1kpps", "--rx-port=1", "run"], "rx-port"),
        (["--rate=1kpps", "--duration=0", "run"], "duration"),
        (["--rate=1kpps", "--burst=0", "run"], "burst"),
        (["--rate=1kpps", "--bogus=1", "run"], "bogus"),
        (["--rate=1kpps"], "MODE"),
        (["--rate=1kpps", "walk"], "MODE"),
        (["run"], "--rate"),
    ]
    for args, word in cases:
        p = run(args + ["--duration=1"] if "--duration=0" not in args else args, "bad")
        lines = [l for l in p.stderr.splitlines() if l.startswith("lcx-bench: ") and
                 "hugepages" not in l]
        print(args, p.returncode, lines)
        check(p.returncode == 2, "%r: exit %d, not 2" % (args, p.returncode))
        check(len(lines) == 1 and word in lines[0], "%r: not one clear message: %r" %
              (args, lines))
        check(p.stdout == "", "%r: printed figures" % args)
    # A device that never comes up is a run-time error (1), never a fallback.
    p = subprocess.run([BIN, "--vdev=net_nosuchdriver0", "--file-prefix=lcxbench_nd" + TAG,
                        "--", "--rate=1kpps", "run"], capture_output=True, text=True, timeout=60)
    print(p.returncode, p.stderr)
    check(p.returncode != 0 and p.stdout == "", "missing device accepted")
    # --json at a path that exists: refused before anything runs, the file untouched.
    path = os.path.join(tmp, "exists.json")
    with open(path, "w") as f:
        f.write("keep")
    p = run(["--rate=1kpps", "--json=" + path, "run"], "bad")
    check(p.returncode != 0 and open(path).read() == "keep", "--json overwrote a file")


def help_version(tmp):
    p = subprocess.run([BIN, "--help"], capture_output=True, text=True)
    check(p.returncode == 0, "--help exit")
    import re
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "../../../apps/lcx-bench/main.c")).read()
    opts = re.search(r"app_opts\[\] = \{(.*?)NULL", src, re.S).group(1)
    for o in re.findall(r'"(--[a-z-]+)"', opts):
        check(o in p.stdout, "--help does not mention %s" % o)
    p = subprocess.run([BIN, "--version"], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("lcx-bench "), "--version: %r" % p.stdout)


with tempfile.TemporaryDirectory(prefix="lcxbench-") as TMP:
    globals()[CASE](TMP)
print("PASS")
