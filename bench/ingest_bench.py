#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-ingest benchmarks. Loopback only, bounded in time; figures are ratios
measured in one run (the machine is shared: absolute numbers drift).

  ingest_bench.py kernel     [--seconds S] [--ports N] [--interval-ms MS]
      N kernel UDP ports on 127.0.0.1, one datagram per port every MS (50 pps
      each by default), from one paced sender; each receiver in turn:
      lcx-ingest (--listen, --throttle=MS), a thread-per-socket blocking
      receiver, an epoll + recvmmsg loop. Every datagram must arrive; the
      receivers' CPU over the sending window is compared.
  ingest_bench.py throughput [--seconds S]
      one port flooded with sendmmsg: lcx-ingest vs a plain recvmmsg loop.
  ingest_bench.py dpdk       [--seconds S] [--flows N]
      DPDK path: a capture of N flows with a 4-byte sequence number replayed
      by net_pcap (infinite_rx) into dpdk-testpmd rxonly, then into lcx-ingest
      (--seq, busy polling), one forwarding core each, alternating --rounds
      times; pps per core compared (best of each, and per round).

Binaries are found in $BUILD (default build/): apps/lcx-ingest/lcx-ingest,
tests/perf/ingest/udp_rx, udp_send, tests/integration/ingest/ingest_gen.
--json FILE writes the results. Exit 0 when every run completed (the aims are
reported, not enforced, unless --check).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
EXE = os.path.join(BUILD, "apps/lcx-ingest/lcx-ingest")
UDP_RX = os.path.join(BUILD, "tests/perf/ingest/udp_rx")
UDP_SEND = os.path.join(BUILD, "tests/perf/ingest/udp_send")
GEN = os.path.join(BUILD, "tests/integration/ingest/ingest_gen")
TICK = os.sysconf("SC_CLK_TCK")
KPORT = 42000  # kernel benchmarks: 127.0.0.1:42000-43999


def cpu_s(pid):
    """utime + stime of a process (all threads), seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def eal(prefix):
    return [EXE, "--no-huge", "-m", "512", "--no-pci", "-l", "0", f"--file-prefix={prefix}",
            "--"]


def wait_ready(proc, path, timeout=20):
    t = time.time() + timeout
    while time.time() < t:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise RuntimeError("receiver exited early: " + proc.stderr.read()[-2000:])
        time.sleep(0.05)
    raise RuntimeError("receiver not ready")


def measure(recv_cmd, ready, send_cmd, settle=1.0):
    """Start a receiver, then the sender; CPU of the receiver over the sending
    window. Returns (receiver JSON text, sender JSON, cpu seconds, wall)."""
    rx = subprocess.Popen(recv_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready(rx)
        time.sleep(settle)
        c0, t0 = cpu_s(rx.pid), time.time()
        snd = subprocess.run(send_cmd, stdout=subprocess.PIPE, text=True, check=True)
        time.sleep(0.3)  # the last datagrams
        c1, t1 = cpu_s(rx.pid), time.time()
        out, err = rx.communicate(timeout=60)
    finally:
        if rx.poll() is None:
            rx.kill()
    if rx.returncode != 0:
        raise RuntimeError(f"receiver failed ({rx.returncode}): {err[-2000:]}")
    return out, json.loads(snd.stdout), c1 - c0, t1 - t0


def run_lcx_kernel(tmp, ports, interval_ms, secs, listen, extra=()):
    js = os.path.join(tmp, "lcx.json")
    sock = os.path.join(tmp, "ready.sock")
    dur = int(secs + 6)
    cmd = eal("lcxing-bench") + [f"--listen={listen}", f"--throttle={interval_ms}ms",
                                 "--seq=0:4", f"--json={js}", f"--control={sock}",
                                 f"--duration={dur}", "--stats-period=0", "--quiet", *extra]
    return cmd, js, sock


def bench_kernel(a, tmp):
    n, ms, secs = a.ports, a.interval_ms, a.seconds
    send = [UDP_SEND, "paced", "127.0.0.1", str(KPORT), str(n), str(ms), str(secs), "64"]
    res = {"ports": n, "interval_ms": ms, "seconds": secs}

    cmd, js, sock = run_lcx_kernel(tmp, n, ms, secs, f"127.0.0.1:{KPORT}-{KPORT + n - 1}")
    _, snd, cpu, wall = measure(cmd, lambda p: wait_ready(p, sock), send)
    t = json.load(open(js))["totals"]
    res["sent"] = snd["sent"]
    res["lcx_ingest"] = {"received": t["accepted"], "lost_seq": t["seq"]["lost"],
                         "cpu_s": round(cpu, 3), "cpu_pct": round(100 * cpu / wall, 2)}
    if os.path.exists(sock):
        os.unlink(sock)

    for mode in ("thread", "epoll"):
        rcmd = [UDP_RX, mode, "127.0.0.1", str(KPORT), str(n), str(secs + 4)]
        out, snd2, cpu, wall = measure(rcmd, lambda p: time.sleep(0.5), send)
        r = json.loads(out)
        res[mode] = {"received": r["datagrams"], "sent": snd2["sent"], "gaps": r["gaps"],
                     "cpu_s": round(cpu, 3), "cpu_pct": round(100 * cpu / wall, 2)}
    lc = res["lcx_ingest"]["cpu_s"]
    res["ratio_cpu_lcx_vs_thread"] = round(lc / max(res["thread"]["cpu_s"], 1e-9), 3)
    res["ratio_cpu_lcx_vs_epoll"] = round(lc / max(res["epoll"]["cpu_s"], 1e-9), 3)
    res["all_received"] = (res["lcx_ingest"]["received"] == res["sent"] and
                           res["thread"]["received"] == res["thread"]["sent"] and
                           res["epoll"]["received"] == res["epoll"]["sent"])
    res["aim_met"] = (res["ratio_cpu_lcx_vs_thread"] <= 0.25 and
                      res["ratio_cpu_lcx_vs_epoll"] < 1.0 and res["all_received"])
    return res


def bench_throughput(a, tmp):
    secs = a.seconds
    port = KPORT + 1999
    send = [UDP_SEND, "flood", "127.0.0.1", str(port), "1", "0", str(secs), "64"]
    res = {"seconds": secs}
    # Busy polling, and a 1 ms throttle (which leaves the sender more CPU on
    # a 2-core machine).
    for name, thr in (("lcx_ingest", "0"), ("lcx_ingest_throttle_1ms", "1ms")):
        # The same 1 MiB receive buffer as the recvmmsg loop below.
        cmd, js, sock = run_lcx_kernel(tmp, 1, 0, secs, f"127.0.0.1:{port}",
                                       extra=(f"--throttle={thr}", "--rcvbuf=1M"))
        _, snd, cpu, wall = measure(cmd, lambda p: wait_ready(p, sock), send)
        t = json.load(open(js))["totals"]
        res[name] = {"sent": snd["sent"], "received": t["accepted"],
                     "pps": round(t["accepted"] / secs), "cpu_s": round(cpu, 3)}
        if os.path.exists(sock):
            os.unlink(sock)
    rcmd = [UDP_RX, "recvmmsg", "127.0.0.1", str(port), "1", str(secs + 3)]
    out, snd, cpu, wall = measure(rcmd, lambda p: time.sleep(0.5), send)
    r = json.loads(out)
    res["recvmmsg"] = {"sent": snd["sent"], "received": r["datagrams"],
                       "pps": round(r["datagrams"] / secs), "cpu_s": round(cpu, 3)}
    res["ratio_pps_lcx_vs_recvmmsg"] = round(res["lcx_ingest"]["pps"] /
                                             max(res["recvmmsg"]["pps"], 1), 3)
    res["ratio_pps_lcx_1ms_vs_recvmmsg"] = round(res["lcx_ingest_throttle_1ms"]["pps"] /
                                                 max(res["recvmmsg"]["pps"], 1), 3)
    return res


def testpmd_rxonly(pcap, secs, prefix):
    cmd = ["dpdk-testpmd", "--no-huge", "-m", "1024", "--no-pci", "-l", "0-1",
           f"--file-prefix={prefix}", f"--vdev=net_pcap0,rx_pcap={pcap},infinite_rx=1",
           "--", "-i", "--forward-mode=rxonly", "--total-num-mbufs=65536", "--nb-cores=1"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    time.sleep(3)
    p.stdin.write("start\n")
    p.stdin.flush()
    time.sleep(1)
    p.stdin.write("clear port stats all\n")
    p.stdin.flush()
    t0 = time.time()
    time.sleep(secs)
    p.stdin.write("show port stats all\n")
    p.stdin.flush()
    t1 = time.time()
    time.sleep(0.5)
    p.stdin.write("stop\nquit\n")
    p.stdin.flush()
    out, _ = p.communicate(timeout=60)
    m = re.findall(r"RX-packets:\s+(\d+)", out)
    if not m:
        raise RuntimeError("testpmd: no stats: " + out[-2000:])
    return int(m[0]) / (t1 - t0)


def bench_dpdk(a, tmp):
    pcap = os.path.join(tmp, "flows.pcap")
    subprocess.run([GEN, "flows", pcap, str(a.flows), "16", "5000", "64"], check=True,
                   stdout=subprocess.DEVNULL)
    res = {"flows": a.flows, "seconds": a.seconds, "source": "net_pcap infinite_rx",
           "rounds": a.rounds}
    js = os.path.join(tmp, "d.json")
    cmd = [EXE, "--no-huge", "-m", "1024", "--no-pci", "-l", "0-1",
           f"--file-prefix={a.prefix}", f"--vdev=net_pcap0,rx_pcap={pcap},infinite_rx=1",
           "--", "--seq=0:4", "--throttle=0", f"--duration={int(a.seconds + 1)}",
           f"--json={js}", "--stats-period=0", "--quiet", "--max-flows=4096"]
    tp, lx = [], []
    # Alternate the two so that a load change on the shared machine hits both.
    for _ in range(a.rounds):
        if shutil.which("dpdk-testpmd"):
            tp.append(round(testpmd_rxonly(pcap, a.seconds, a.testpmd_prefix)))
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = json.load(open(js))
        t = d["totals"]
        if not t["balanced"] or t["flows"]["active"] != a.flows:
            raise RuntimeError(f"lcx-ingest run: balanced {t['balanced']}, "
                               f"flows {t['flows']['active']}")
        lx.append(round(t["rx_total"] / d["duration_s"]))
    res["lcx_ingest_pps"] = lx
    res["lcx_ingest_flows"] = a.flows
    if tp:
        res["testpmd_rxonly_pps"] = tp
        res["ratio_lcx_vs_testpmd_per_round"] = [round(x / max(y, 1), 3) for x, y in zip(lx, tp)]
        res["ratio_lcx_vs_testpmd_best"] = round(max(lx) / max(max(tp), 1), 3)
        res["aim_met"] = res["ratio_lcx_vs_testpmd_best"] >= 0.5
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["kernel", "throughput", "dpdk"])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--ports", type=int, default=1000)
    ap.add_argument("--interval-ms", type=int, default=20)
    ap.add_argument("--flows", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3, help="dpdk: alternating runs of each")
    ap.add_argument("--prefix", default="lcxing-dpdk", help="dpdk: lcx-ingest's --file-prefix")
    ap.add_argument("--testpmd-prefix", default="lcxing-tpmd",
                    help="dpdk: dpdk-testpmd's --file-prefix")
    ap.add_argument("--json")
    ap.add_argument("--check", action="store_true", help="exit 1 when an aim is not met")
    a = ap.parse_args()
    for b in (EXE, UDP_RX, UDP_SEND, GEN):
        if not os.access(b, os.X_OK):
            print(f"missing {b}: build first (ninja -C {BUILD})", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="lcxi-bench-") as tmp:
        res = {"kernel": bench_kernel, "throughput": bench_throughput,
               "dpdk": bench_dpdk}[a.what](a, tmp)
    res["benchmark"] = a.what
    res["note"] = "2-core shared VM: compare ratios within this run only"
    text = json.dumps(res, indent=2)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    if a.check and res.get("aim_met") is False:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
