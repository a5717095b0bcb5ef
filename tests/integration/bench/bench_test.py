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


def stop_mid_run(p, ready_word, after, pause):
    """Wait for ready_word on p's stderr, then SIGSTOP p for pause s, after s later."""
    err = []
    while True:
        line = p.stderr.readline()
        if not line:
            fail("no '%s' line" % ready_word)
        err.append(line)
        if ready_word in line:
            break
    time.sleep(after)
    os.kill(p.pid, signal.SIGSTOP)
    time.sleep(pause)
    os.kill(p.pid, signal.SIGCONT)
    so, se = p.communicate(timeout=60)
    print(so, "".join(err) + se)
    check(p.returncode == 0, "exit %d" % p.returncode)


def run_ring_preempt(tmp):
    # lcx-bench stopped for 200 ms mid-trial: the schedule is kept, the sender catches up
    # (SEND_LATE), and the receiver sees every packet.
    out = os.path.join(tmp, "preempt.json")
    p = subprocess.Popen([BIN] + eal("preempt") + ["--", "--rate=20kpps", "--duration=2",
                         "--drain=0.3", "--throttle=200", "--json=" + out, "run"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop_mid_run(p, "SIGINT or SIGTERM stops", 0.7, 0.2)
    with open(out) as f:
        j = json.load(f)
    exact_account(j)
    check(j["tx"]["intended"] == 40000 and j["tx"]["offered"] == 40000,
          "intended %d offered %d, not 40000" % (j["tx"]["intended"], j["tx"]["offered"]))
    check(j["tx"]["late_max_ns"] >= 150e6, "the stop does not show in late_max_ns")


def pcap_count(path):
    """Packets in a pcap file (read here, not by lcx)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    check(off == len(data), "pcap %s truncated" % path)
    return n


def pmd_paced_preempt(tmp):
    # lcx-pmd txonly --tx-rate-pps stopped for 200 ms: before the pacer it lost the
    # 200 ms (its credit was capped at two throttle periods); now it owes them and
    # sends them late; the pcap peer holds exactly what it offered.
    pmd = os.environ["LCX_PMD"]
    empty, outp, js = (os.path.join(tmp, n) for n in ("empty.pcap", "out.pcap", "pmd.json"))
    with open(empty, "wb") as f:
        import struct
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    rate = 20000
    t0 = time.monotonic()
    p = subprocess.Popen([pmd, "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty, outp),
                          "--file-prefix=lcxbench_pmd" + TAG, "--log-level=lib.eal:warning",
                          "--", "--forward-mode=txonly", "--tx-rate-pps=%d" % rate,
                          "--duration=2", "--throttle-us=200", "--json=" + js],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop_mid_run(p, "forwarding on", 0.7, 0.2)
    with open(js) as f:
        j = json.load(f)
    pc, d = j["tx_pacing"], j["duration_s"]
    tx = j["ports"][0]["tx_packets"]
    print(pc, d, tx)
    check(pc["offered"] == tx, "tx_pacing.offered %d != port tx_packets %d" % (pc["offered"], tx))
    check(pcap_count(outp) == tx, "the pcap holds %d, offered %d" % (pcap_count(outp), tx))
    check(pc["offered"] + pc["skipped"] + pc["owed"] == pc["intended"], "account")
    check(pc["owed"] <= 32, "owed %d at the end" % pc["owed"])
    # The wall clock: the run lasted d s (the 200 ms stop inside it) at the rate; what was
    # sent is the schedule's count, not the schedule minus the stop (4000 packets).
    check(abs(tx - rate * d) <= rate * 0.02 + 32, "sent %d in %.3f s at %d pps" % (tx, d, rate))
    check(d < time.monotonic() - t0, "duration_s %.3f beyond the wall clock" % d)
    check(pc["late_max_ns"] >= 150e6, "the stop does not show in late_max_ns")


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
                            "../../../apps/lcx-bench/options.c")).read()
    opts = re.search(r"app_opts\[\] = \{(.*?)NULL", src, re.S).group(1)
    for o in re.findall(r'"(--[a-z-]+)"', opts):
        check(o in p.stdout, "--help does not mention %s" % o)
    p = subprocess.run([BIN, "--version"], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("lcx-bench "), "--version: %r" % p.stdout)


with tempfile.TemporaryDirectory(prefix="lcxbench-") as TMP:
    globals()[CASE](TMP)
print("PASS")
