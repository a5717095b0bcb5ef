#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-bench's receive clock (--rx-timestamp): the rx port's stamps against the kernel's own.

veth_nic (root): a veth pair in a network namespace this test makes; lcx-bench sends on
  one end (net_pcap tx_iface) and receives on the other (net_pcap rx_iface: DPDK 22.11's
  net_pcap stamps each frame with the kernel's receive time), the receiver throttled to
  1 ms. tcpdump on the same end, in ns, is the observer: the latency of each frame it
  saw is its kernel stamp minus the signature's tx time, moved onto the TSC by the
  offset lcx-bench reports; lcx-bench's percentiles must equal the test's within the
  error lcx-bench states beside them (half a us of stamp, half the pair's window, the
  histogram's 1 %, the offset's drift over the trial). A receiver that ignored the stamps
  would report the wait for the 1 ms poll (up to ms): the same run with
  --rx-timestamp=tsc must show it (p50 above 200 us), the nic one not (p50 below 100 us).
  Then MODE calibrate with nic stamps: its latency (floor) trial keeps --rx-throttle and
  says so; with tsc it runs the receiver at 0.
choice: --rx-timestamp=auto on net_ring takes the TSC and says why; nic on net_ring, or on
  net_pcap reading a file, is one clear error (exit 1); a bad value is a usage error.
Usage: rxts_test.py LCX_BENCH CASE
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

from benchlib import check, fail, read_pcap, skip_if_limited

BIN, CASE = sys.argv[1], sys.argv[2]
TAG = os.environ.get("LCX_TEST_TAG", "")
NS = "rx-tstamp-ns" + TAG
A, B = "rx-tstamp-a", "rx-tstamp-b"


def sh(cmd, ok=True):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if ok and p.returncode != 0:
        fail("%s: %s" % (cmd, p.stderr))
    return p


def bench(tmp, name, eal, args, timeout=90, ns=None):
    out = os.path.join(tmp, name + ".json")
    cmd = [BIN] + eal + ["--file-prefix=lcxbench_rxts_%s%s" % (name, TAG),
                         "--log-level=lib.eal:warning", "--", "--stats-period=0",
                         "--json=" + out] + args
    if ns is not None:
        cmd = ["ip", "netns", "exec", ns] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    print(p.stdout)
    print(p.stderr)
    j = None
    if p.returncode == 0:
        with open(out) as f:
            j = json.load(f)
    return p, j


def netns_up():
    if os.geteuid() != 0:
        print("SKIP: a veth pair in a network namespace needs root")
        sys.exit(77)
    for tool in ("ip", "tcpdump"):
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed" % tool)
            sys.exit(77)
    sh("ip netns del %s" % NS, ok=False)
    sh("ip netns add %s" % NS)
    sh("ip -n %s link add %s type veth peer name %s" % (NS, A, B))
    for i in (A, B):
        # No IPv6 on the pair: no router solicitations among the frames.
        sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1" % (NS, i))
        sh("ip -n %s link set %s up" % (NS, i))


def netns_down():
    sh("ip netns del %s" % NS, ok=False)


def sig_of(frame):
    """(stream, seq, tx_ns) of an IPv4/UDP frame with lcx-bench's signature, else None."""
    if len(frame) < 42 + 18 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    p = frame[42:60]
    if p[0:2] != b"\x4c\x42":
        return None
    stream = struct.unpack(">H", p[2:4])[0]
    seq = int.from_bytes(p[4:10], "big")
    tx = struct.unpack(">Q", p[10:18])[0]
    return stream, seq, tx


def pct(sorted_v, q):
    """The q-quantile as lathist.c ranks it: the value of rank ceil(q x n)."""
    import math
    k = max(1, math.ceil(q * len(sorted_v)))
    return sorted_v[k - 1]


def veth_run(tmp, mode, rate="1kpps", extra=None):
    eal = ["--vdev=net_pcap0,tx_iface=%s" % A, "--vdev=net_pcap1,rx_iface=%s" % B]
    # The sender throttled too: on the shared 2-core machine a busy sender starved the
    # receiver (frames still in the ring after the drain).
    args = ["--tx-port=0", "--rx-port=1", "--rate=" + rate, "--duration=1", "--drain=0.5",
            "--throttle=200", "--rx-throttle=1000", "--rx-timestamp=" + mode] + (extra or [])
    return bench(tmp, "veth_" + mode, eal, args + ["run"], ns=NS)


def veth_nic(tmp):
    netns_up()
    try:
        cap = os.path.join(tmp, "b.pcap")
        td = subprocess.Popen(["ip", "netns", "exec", NS, "tcpdump", "-i", B, "-nn", "-U", "--immediate-mode",
                               "-Z", "root", "--time-stamp-precision=nano", "-w", cap, "udp"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = td.stderr.readline()
        check("listening on" in line, "tcpdump: %r" % line)
        p, j = veth_run(tmp, "nic")
        time.sleep(1.0)  # what tcpdump still holds reaches its file
        td.send_signal(signal.SIGINT)
        td.communicate(timeout=20)
        check(p.returncode == 0, "nic run: exit %d" % p.returncode)
        t = j["trials"][0]
        lat, rx, st = t["latency_ns"], t["rx"], t["latency_ns"]["nic_stamps"]
        ts = j["self_checks"]["rx_timestamp"]
        check(ts["mode"] == "nic" and ts["used"] and ts["offered"] and
              ts["clock"] == "realtime_us" and ts["clock_hz"] == 1000000 and
              ts["resolution_ns"] == 1000, "self_checks.rx_timestamp %r" % ts)
        check(lat["clock"] == "nic" and "kernel's receive time" in lat["clock_why"],
              "clock %r" % lat["clock"])
        check("self-checks: latency clock: the rx port's stamps (port 1 (net_pcap1) stamps "
              "with the kernel's receive time" in p.stdout, "the text's clock line")
        skip_if_limited(t, "the nic run")
        if rx["lost"] != 0:
            print("SKIP: %d frames still in net_pcap's ring after the drain: the machine "
                  "starved the receiver; not what this test measures" % rx["lost"])
            sys.exit(77)
        check(rx["received"] == t["tx"]["offered"] == 1000 and rx["throttle_us"] == 1000,
              "rx %r" % rx)
        check(st["stamped"] == rx["received"] and st["unstamped"] == 0 and st["suspect"] == 0,
              "stamps %r" % st)
        check(lat["count"] == rx["received"], "histogram count %d" % lat["count"])

        # The observer: tcpdump's kernel stamps (ns) of the same frames.
        offs = (st["clock_minus_tsc_first_ns"], st["clock_minus_tsc_last_ns"])
        off = sum(offs) / 2
        drift = abs(offs[1] - offs[0])
        mine = {}
        for ts_ns, frame in read_pcap(cap):
            s = sig_of(frame)
            if s is not None and s[0] == t["index"] % 65536:  # the trial's stream id
                mine.setdefault(s[1], ts_ns - off - s[2])
        check(len(mine) == rx["received"], "tcpdump saw %d signed frames, lcx-bench received %d"
              % (len(mine), rx["received"]))
        v = sorted(max(0.0, x) for x in mine.values())
        for q, key in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
            want = pct(v, q)
            tol = lat["error_max_ns"] + 0.01 * want + drift + 200
            print("%s: lcx-bench %d ns, tcpdump %.0f ns (tolerance %.0f)" %
                  (key, lat[key], want, tol))
            check(abs(lat[key] - want) <= tol, "%s: lcx-bench %d ns, tcpdump's stamps give "
                  "%.0f ns (tolerance %.0f)" % (key, lat[key], want, tol))
        # The frames waited for the 1 ms poll, and that wait is not in their latency.
        check(st["age_mean_ns"] > 200000, "mean wait before the poll %.0f ns: the receiver did "
              "not sleep, the check shows nothing" % st["age_mean_ns"])
        check(lat["p50"] < 100000, "nic p50 %d ns: the wait for the poll is in it" % lat["p50"])

        # The TSC at the poll on the same path shows the wait.
        p, j2 = veth_run(tmp, "tsc")
        check(p.returncode == 0, "tsc run: exit %d" % p.returncode)
        l2 = j2["trials"][0]["latency_ns"]
        check(l2["clock"] == "tsc at the poll" and l2["nic_stamps"] is None and
              j2["self_checks"]["rx_timestamp"]["why"] == "--rx-timestamp=tsc",
              "tsc run clock %r" % l2["clock"])
        print("p50: nic %d ns, tsc at the poll %d ns" % (lat["p50"], l2["p50"]))
        check(l2["p50"] > 200000, "tsc p50 %d ns: the 1 ms receiver throttle does not show, "
              "the comparison proves nothing" % l2["p50"])

        # A latency trial (calibrate's floor) keeps --rx-throttle with NIC stamps.
        eal = ["--vdev=net_pcap0,tx_iface=%s" % A, "--vdev=net_pcap1,rx_iface=%s" % B]
        args = ["--tx-port=0", "--rx-port=1", "--floor-rate=1kpps", "--max-load=2kpps",
                "--max-trials=1", "--duration=0.5", "--drain=0.2", "--throttle=200",
                "--rx-throttle=1000"]
        for mode, want in (("nic", 1000), ("tsc", 0)):
            p, jc = bench(tmp, "cal_" + mode, eal, args + ["--rx-timestamp=" + mode,
                                                          "calibrate"], ns=NS)
            check(p.returncode == 0, "calibrate %s: exit %d" % (mode, p.returncode))
            floor = jc["trials"][0]
            check(floor["purpose"] == "calibrate" and floor["rx"]["throttle_us"] == want,
                  "calibrate %s: floor trial %r at receiver throttle %r, not %d" %
                  (mode, floor["purpose"], floor["rx"]["throttle_us"], want))
            said = "(a latency trial: NIC stamps, no need of throttle 0)" in p.stdout
            check(said == (mode == "nic"), "calibrate %s: the text %s the throttle note" %
                  (mode, "lacks" if mode == "nic" else "has"))
    finally:
        netns_down()


def choice(tmp):
    ring = ["--vdev=net_ring0"]
    p, j = bench(tmp, "auto", ring, ["--rate=10kpps", "--duration=0.3", "--drain=0.1", "run"])
    check(p.returncode == 0, "auto on net_ring: exit %d" % p.returncode)
    why = ("port 0 (net_ring0) gives no rx timestamps (no RTE_ETH_RX_OFFLOAD_TIMESTAMP in "
           "its rx_offload_capa)")
    ts = j["self_checks"]["rx_timestamp"]
    check(ts == {"mode": "auto", "offered": False, "used": False, "why": why, "clock": None,
                 "clock_hz": None, "resolution_ns": None}, "rx_timestamp %r" % ts)
    lat = j["trials"][0]["latency_ns"]
    check(lat["clock"] == "tsc at the poll" and lat["clock_why"] == why and
          lat["nic_stamps"] is None and lat["error_max_ns"] == lat["poll_gap_max_ns"],
          "latency clock %r" % {k: v for k, v in lat.items() if k != "histogram"})
    check("self-checks: latency clock: the TSC at the poll (%s)" % why in p.stdout, "text")

    p, j = bench(tmp, "nic_ring", ring, ["--rate=10kpps", "--duration=0.3",
                                         "--rx-timestamp=nic", "run"])
    check(p.returncode == 1 and "lcx-bench: port 0: --rx-timestamp=nic: %s" % why in p.stderr,
          "nic on net_ring: exit %d, %r" % (p.returncode, p.stderr))

    pcap = os.path.join(tmp, "in.pcap")
    with open(pcap, "wb") as f:  # an empty capture: no frame needed to refuse
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    p, j = bench(tmp, "nic_pcapfile", ["--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s" %
                                       (pcap, os.path.join(tmp, "out.pcap"))],
                 ["--rate=1kpps", "--duration=0.3", "--rx-timestamp=nic", "run"])
    check(p.returncode == 1 and "--rx-timestamp=nic: port 0 (net_pcap0) gives no rx timestamps "
          "(net_pcap stamps receive times only on an interface" in p.stderr,
          "nic on a pcap file: exit %d, %r" % (p.returncode, p.stderr))

    p, j = bench(tmp, "bad", ring, ["--rate=1kpps", "--rx-timestamp=hw", "run"])
    check(p.returncode == 2 and "--rx-timestamp=hw: auto, nic or tsc" in p.stderr,
          "bad value: exit %d, %r" % (p.returncode, p.stderr))


with tempfile.TemporaryDirectory(prefix="lcxbench-rxts-") as TMP:
    globals()[CASE](TMP)
print("PASS")
