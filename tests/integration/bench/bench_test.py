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

from benchlib import check, fail, model_dropped_seqs, read_pcap, skip_if_limited

BIN, CASE = sys.argv[1], sys.argv[2]
TAG = os.environ.get("LCX_TEST_TAG", "")


def eal(name):
    return ["--vdev=net_ring0", "--file-prefix=lcxbench_%s%s" % (name, TAG),
            "--log-level=lib.eal:warning"]


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
    check(j["schema"] == "lcx-bench" and j["schema_version"] == 2, "schema")
    check(len(j["trials"]) == 1, "run: %d trials, not 1" % len(j["trials"]))
    t = j["trials"][0]
    tx, rx, lat = t["tx"], t["rx"], t["latency_ns"]
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
    t = j["trials"][0]
    check(abs(t["tx"]["intended"] - rate * dur) <= 1, "intended %d, not %d" %
          (t["tx"]["intended"], rate * dur))
    check(t["tx"]["offered"] == t["tx"]["intended"], "offered != intended")
    check(j["stopped_by"] == "duration", "stopped_by %r" % j["stopped_by"])
    skip_if_limited(t, "50 kpps over net_ring")
    # The wall clock: the trial plus the drain, not much more.
    check(dur + 0.3 <= wall < dur + 0.3 + 10, "wall %.2f s" % wall)
    check(p.stdout.count(" s  intended ") >= 1, "no live line")


def run_ring_imix(tmp):
    j, p, wall = trial(tmp, ["--rate=20kpps", "--duration=1", "--drain=0.2", "--throttle=100",
                             "--frame-size=imix"], "imix")
    exact_account(j)
    check(abs(j["trials"][0]["mean_frame_bytes"] - j["config"]["mean_frame_bytes"]) < 1e-9,
          "trial mean frame")
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
    t = j["trials"][0]
    check(0 < t["tx"]["offered"] < 20000 * 10, "offered %d" % t["tx"]["offered"])
    check(t["stopped_by"] == "SIGINT", "trial stopped_by %r" % t["stopped_by"])


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
    tx = j["trials"][0]["tx"]
    check(tx["intended"] == 40000 and tx["offered"] == 40000,
          "intended %d offered %d, not 40000" % (tx["intended"], tx["offered"]))
    check(tx["late_max_ns"] >= 150e6, "the stop does not show in late_max_ns")


def pcap_count(path):
    """Packets in a pcap file (read here, not by lcx)."""
    return len(read_pcap(path))


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


class MemifDut:
    """A device under test in another process: lcx-pmd io forwarding on a memif server
    port (frames go back out where they came in), its own counters in its --json; lcx-bench
    is the memif client (bench(args) runs it). Rings of 2^14 slots (memif's rsize): 0.8 s
    of a 20 kpps load, so that a stall of either process on the shared 2-core machine is
    absorbed rather than dropped."""

    def __init__(self, tmp, duration):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "memif.sock")
        self.dev = "net_memif0,role=%s,socket=" + self.sock + ",socket-abstract=no,rsize=14"
        self.pj = os.path.join(tmp, "pmd.json")
        self.proc = subprocess.Popen(
            [os.environ["LCX_PMD"], "-l", "0,1", "--no-huge", "-m", "512", "--no-pci",
             "--vdev=" + self.dev % "server", "--file-prefix=lcxbench_dut_" + CASE + TAG,
             "--log-level=lib.eal:warning", "--", "--forward-mode=io", "--throttle-us=200",
             "--duration=%g" % duration, "--json=" + self.pj],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                fail("lcx-pmd did not listen: %r" % (self.proc.communicate(),))
            time.sleep(0.05)

    def bench(self, args, name, timeout=60):
        """lcx-bench ARGS as the memif client; its --json result."""
        bj = os.path.join(self.tmp, name + ".json")
        p = subprocess.run([BIN, "--no-huge", "-m", "512", "--no-pci",
                            "--vdev=" + self.dev % "client",
                            "--file-prefix=lcxbench_" + name + TAG,
                            "--log-level=lib.eal:warning", "--"] + args + ["--json=" + bj],
                           capture_output=True, text=True, timeout=timeout)
        print(p.stdout, p.stderr)
        check(p.returncode == 0, "lcx-bench exit %d" % p.returncode)
        with open(bj) as f:
            return json.load(f), p

    def stop(self):
        """SIGINT to lcx-pmd; its port 0 from its --json."""
        try:
            self.proc.send_signal(signal.SIGINT)
            _, derr = self.proc.communicate(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        print(derr)
        check(self.proc.returncode == 0, "lcx-pmd exit %d" % self.proc.returncode)
        with open(self.pj) as f:
            return json.load(f)["ports"][0]


def dut_account(trials, d):
    """The account across the two processes holds whatever the machine's load: each
    packet lcx-bench offered (all its trials) was received by the DUT or missed there,
    each the DUT received was sent back or dropped there (counted), and lcx-bench
    read what the DUT sent (in its trial, or in a later one: late, other_stream), but
    for what was still on its way after the last trial's drain (lost there)."""
    offered = sum(t["tx"]["offered"] for t in trials)
    back = sum(sum(t["rx"][k] for k in ("received", "late", "duplicate", "too_old",
                                         "invalid", "unsigned", "other_stream",
                                         "model_dropped")) for t in trials)
    print("bench offered %d received %d; dut rx %d missed %d tx %d dropped %d" %
          (offered, back, d["rx_packets"], d["rx_missed"], d["tx_packets"], d["tx_dropped"]))
    check(offered == d["rx_packets"] + d["rx_missed"],
          "offered %d, the DUT received %d and missed %d" %
          (offered, d["rx_packets"], d["rx_missed"]))
    check(d["rx_packets"] == d["tx_packets"] + d["tx_dropped"],
          "the DUT received %d, sent %d, dropped %d" %
          (d["rx_packets"], d["tx_packets"], d["tx_dropped"]))
    check(back <= d["tx_packets"] and d["tx_packets"] - back <= trials[-1]["rx"]["lost"],
          "lcx-bench read %d of the DUT's %d (the last trial lost %d)" %
          (back, d["tx_packets"], trials[-1]["rx"]["lost"]))
    for t in trials:
        check(t["rx"]["lost"] == t["tx"]["offered"] - t["rx"]["received"],
              "trial %d: lost" % t["index"])


def memif_pmd(tmp):
    # lcx-bench against lcx-pmd in another process: exact counts against the DUT's own
    # counters (its --json).
    dut = MemifDut(tmp, 8)
    try:
        j, p = dut.bench(["--rate=20kpps", "--duration=1", "--drain=0.5", "--stats-period=0",
                          "--throttle=100", "run"], "memif")
    finally:
        d = dut.stop()
    t = j["trials"][0]
    dut_account(j["trials"], d)
    # Throttled at both ends (200 and 100 us) 20 kpps leaves the CPUs mostly idle: the
    # trial is the full schedule and nothing is lost. A sender stalled past 0.1 % of the
    # schedule is generator-limited, yet offers every packet late (the counts hold); a
    # trial cut short or a loss in a stalled DUT is the machine's: skip.
    if t["rx"]["lost"] != 0 or (t["generator_limited"] and t["tx"]["offered"] != 20000):
        print("SKIP: the account holds, but the machine stalled a process: generator-limited "
              "%s, lost %d (the DUT dropped %d)" % (t["generator_limited"], t["rx"]["lost"],
                                                    d["tx_dropped"]))
        sys.exit(77)
    check(t["tx"]["offered"] == 20000, "offered %d" % t["tx"]["offered"])


def memif_search(tmp):
    # MODE search against lcx-pmd over memif: a DUT whose capacity (tens of Mpps on a
    # core) is far above the loads tried, so NDR is the highest load, found by a
    # lossless trial of the final duration; every trial of the search is in the DUT's
    # counters.
    dut = MemifDut(tmp, 30)
    try:
        j, p = dut.bench(["--max-load=20kpps", "--min-load=2kpps", "--duration=0.5",
                          "--initial-duration=0.2", "--drain=0.3", "--goal-width=0.05",
                          "--stats-period=0", "--throttle=100", "search"], "memif_search")
    finally:
        d = dut.stop()
    check(j["mode"] == "search" and j["stopped_by"] == "done", "mode/stopped_by")
    dut_account(j["trials"], d)
    s = j["search"]
    skip_if_generator_limited(s)
    g = s["goals"][0]
    if any(t["rx"]["lost"] for t in j["trials"]):
        print("SKIP: the account holds, but the machine stalled a process: a trial lost "
              "frames (the DUT missed %d, dropped %d)" % (d["rx_missed"], d["tx_dropped"]))
        sys.exit(77)
    # Nothing lost: the lower bound is the max load, set by a trial of the final
    # duration, and no upper bound was found (the max load is not a loss).
    check(g["lower_bound_pps"] == 20000 and g["upper_bound_pps"] is None,
          "NDR bounds %r %r, nothing lost" % (g["lower_bound_pps"], g["upper_bound_pps"]))
    check(any(j["trials"][i]["duration_s"] >= g["final_duration_s"] - 1e-9
              for i in g["lower_bound_trials"]), "no full-length trial at the lower bound")


def memif_rfc2544(tmp):
    # MODE rfc2544 against lcx-pmd over memif, one frame size: 26.1-26.4 run end to end
    # through another process, every trial in the DUT's counters.
    dut = MemifDut(tmp, 40)
    try:
        j, p = dut.bench(["--max-load=20kpps", "--frame-sizes=64", "--duration=0.3",
                          "--initial-duration=0.1", "--drain=0.2", "--goal-width=0.05",
                          "--stats-period=0", "--throttle=100", "--b2b-max-frames=2000",
                          "rfc2544"], "memif_rfc2544", timeout=80)
    finally:
        d = dut.stop()
    check(j["mode"] == "rfc2544" and j["stopped_by"] == "done", "mode/stopped_by")
    dut_account(j["trials"], d)
    z = j["rfc2544"]["frame_sizes"][0]
    skip_if_generator_limited(z["throughput_search"])
    check(z["frame_size"] == 64 and z["skipped"] is None, "frame size %r" % z)
    lt = j["trials"][z["latency_trial"]]
    check(lt["purpose"] == "latency" and lt["rate_pps"] == z["throughput_pps"] and
          lt["latency_ns"]["count"] == lt["rx"]["received"] > 0, "latency trial %r" % lt)
    fl = z["frame_loss"]
    check(len(fl) >= 2 and fl[0]["load_percent"] == 100, "frame loss %r" % fl)
    bb = z["back_to_back"]
    check(bb["burst_frames"] is not None and bb["burst_frames"] > 0, "b2b %r" % bb)
    for word in ("throughput (26.1)", "latency (26.2)", "back-to-back (26.4)"):
        check(word in p.stdout, "text: %s" % word)


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
        (["--loss-ratio=1", "search"], "loss-ratio"),
        (["--loss-ratio=0,-0.1", "search"], "loss-ratio"),
        (["--loss-ratio=0,x", "search"], "loss-ratio"),
        (["--goal-width=0", "search"], "goal-width"),
        (["--exceed-ratio=1", "search"], "exceed-ratio"),
        (["--max-load=0pps", "search"], "max-load"),
        (["--max-load=20Gbps", "search"], "link"),
        (["--max-load=1kpps", "--min-load=2kpps", "search"], "min-load"),
        (["--max-trials=0", "search"], "max-trials"),
        (["--initial-duration=2", "search"], "initial-duration"),
        (["--frame-sizes=63,128", "rfc2544"], "frame-sizes"),
        (["--frame-sizes=64,64", "rfc2544"], "frame-sizes"),
        (["--frame-sizes=64,,128", "rfc2544"], "frame-sizes"),
        (["--floor-rate=0pps", "calibrate"], "floor-rate"),
        (["--rate=1kpps", "--calibration=/nonexistent/cal.json", "run"], "calibration"),
        (["--rate=1kpps", "--csv=", "run"], "csv"),
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


# ---- the modes --------------------------------------------------------------------------

CAP, DEPTH = 20000, 32  # --rx-capacity-pps and --burst: the device model


def model_drops(rate, offered, cap=CAP, depth=DEPTH):
    """How many frames the device model of --rx-capacity-pps drops (benchlib)."""
    return len(model_dropped_seqs(rate, offered, cap, depth))


def mode_run(tmp, name, args, timeout=120):
    out = os.path.join(tmp, name + ".json")
    p = run(args + ["--json=" + out], name, timeout=timeout)
    print(p.stdout[-6000:])
    print(p.stderr[-3000:])
    check(p.returncode == 0, "exit %d" % p.returncode)
    with open(out) as f:
        return json.load(f), p


def trial_checks(j):
    """Every trial: the tool's account against the ports' counters, and the model."""
    sum_tx = sum_rx = 0
    for t in j["trials"]:
        tx, rx = t["tx"], t["rx"]
        check(t["ports"]["tx_opackets"] == tx["offered"], "trial %d: opackets %d != offered %d"
              % (t["index"], t["ports"]["tx_opackets"], tx["offered"]))
        check(t["ports"]["rx_ipackets"] == rx["received"] + rx["model_dropped"],
              "trial %d: ipackets %d != received + dropped" % (t["index"],
                                                               t["ports"]["rx_ipackets"]))
        check(rx["received"] + rx["lost"] == tx["offered"], "trial %d account" % t["index"])
        check(rx["account_consistent"] and t["ports"]["agree"], "trial %d" % t["index"])
        check(t["latency_ns"]["count"] == rx["received"], "trial %d histogram" % t["index"])
        check(sum(c for _, _, c in t["latency_ns"]["histogram"]) == rx["received"],
              "trial %d: histogram buckets" % t["index"])
        check(sum(c for _, _, c in t["tx"]["departure_gaps_ns"]) == max(tx["sends"] - 1, 0),
              "trial %d: departure gaps" % t["index"])
        if j["config"]["rx_capacity_pps"]:
            want = model_drops(t["rate_pps"], tx["offered"])
            check(rx["lost"] == rx["model_dropped"] == want,
                  "trial %d at %.1f pps: lost %d, model_dropped %d, the model says %d" %
                  (t["index"], t["rate_pps"], rx["lost"], rx["model_dropped"], want))
        sum_tx += tx["offered"]
        sum_rx += rx["received"] + rx["model_dropped"]
    # The ethdev's own counters over the whole run.
    check(j["ports"]["tx"]["opackets"] == sum_tx, "opackets %d != %d offered in all trials" %
          (j["ports"]["tx"]["opackets"], sum_tx))
    check(j["ports"]["rx"]["ipackets"] == sum_rx, "ipackets %d != %d" %
          (j["ports"]["rx"]["ipackets"], sum_rx))
    check(j["self_checks"]["port_counters_agree"], "self_checks.port_counters_agree")
    check(abs(j["self_checks"]["tsc_drift_ppm"]) < 1000, "TSC drift %r ppm" %
          j["self_checks"]["tsc_drift_ppm"])
    check([t["index"] for t in j["trials"]] == list(range(len(j["trials"]))), "trial order")
    for pool in j["mbuf_pools"]:
        check(pool["in_use"] == 0, "mbufs not back: %r" % pool)


def skip_if_generator_limited(s):
    """A search that stopped because this generator could not offer a load (a busy
    machine: the sender preempted at a trial's end beyond 0.1 % of it) did not test what
    the test is about: say so and skip (77) rather than pass or fail."""
    if s["generator_limited"]:
        print("SKIP: the generator could not offer %.1f pps twice (machine busy: %s); the "
              "accounts of the trials run were checked" % (s["generator_limit_pps"],
                                                          os.getloadavg()))
        sys.exit(77)


def check_goal(j, g, search, width):
    """A goal's bounds: set by the trials named, at the loads named, with the losses."""
    trials = j["trials"]
    lo, up = g["lower_bound_pps"], g["upper_bound_pps"]
    check(g["result"] == "regular" and lo is not None and up is not None, "goal %r" % g)
    check(lo < up and (up - lo) <= width * up + 1e-6, "bounds %r %r wider than %r" %
          (lo, up, width))
    check(len(g["lower_bound_trials"]) > 0 and len(g["upper_bound_trials"]) > 0, "no trials")
    for i in g["lower_bound_trials"]:
        t = trials[i]
        check(t["rate_pps"] == lo and t["loss_ratio"] <= g["loss_ratio"],
              "lower bound trial %d: %r pps, loss %r" % (i, t["rate_pps"], t["loss_ratio"]))
    check(any(trials[i]["duration_s"] >= g["final_duration_s"] - 1e-9
              for i in g["lower_bound_trials"]), "no full-length trial at the lower bound")
    for i in g["upper_bound_trials"]:
        check(trials[i]["rate_pps"] == up, "upper bound trial %d" % i)
    check(any(trials[i]["loss_ratio"] > g["loss_ratio"] for i in g["upper_bound_trials"]),
          "no high-loss trial at the upper bound")
    for i in g["lower_bound_trials"] + g["upper_bound_trials"]:
        check(i in search, "bound trial %d not a search trial" % i)


def search_model(tmp):
    # A device of capacity C = 20 kpps (the model of --rx-capacity-pps): NDR (loss 0) and
    # PDR (loss 10 %) found within the goal width; every trial's loss is the model's.
    width, final = 0.01, 0.5
    j, p = mode_run(tmp, "search", [
        "--max-load=50kpps", "--rx-capacity-pps=%d" % CAP, "--burst=%d" % DEPTH,
        "--duration=%g" % final, "--initial-duration=0.2", "--drain=0.05",
        "--loss-ratio=0,0.1", "--goal-width=%g" % width, "--throttle=50", "--stats-period=0",
        "--csv=" + os.path.join(tmp, "csv"), "search"])
    check(j["mode"] == "search" and j["stopped_by"] == "done", "mode/stopped_by")
    trial_checks(j)
    s = j["search"]
    skip_if_generator_limited(s)
    used = [t["index"] for t in j["trials"] if t["purpose"] == "search" and
            not t["generator_limited"]]
    check(s["trials_used"] == len(used), "trials_used %d, %d search trials not limited" %
          (s["trials_used"], len(used)))
    check(not s["exhausted"] and not s["generator_limited"], "search %r" % s)
    ndr, pdr = s["goals"]
    check_goal(j, ndr, used, width)
    check_goal(j, pdr, used, width)
    # The model forwards every frame up to C, and DEPTH more in a trial: at the final
    # duration, no loss up to C + DEPTH / final; C x (1 - width) is within the width.
    check(CAP * (1 - width) <= ndr["lower_bound_pps"] <= CAP + DEPTH / final,
          "NDR lower bound %r not at C = %d" % (ndr["lower_bound_pps"], CAP))
    check(CAP / 0.9 * (1 - width) <= pdr["lower_bound_pps"] <= (CAP + DEPTH / final) / 0.9,
          "PDR lower bound %r not at C / 0.9" % pdr["lower_bound_pps"])
    check("regular" in p.stdout and "MLRsearch" in p.stdout, "text summary")
    csv_matches(j, os.path.join(tmp, "csv"))


def csv_matches(j, d):
    import csv
    with open(os.path.join(d, "trials.csv")) as f:
        rows = list(csv.DictReader(f))
    check(len(rows) == len(j["trials"]), "trials.csv: %d rows, %d trials" %
          (len(rows), len(j["trials"])))
    for row, t in zip(rows, j["trials"]):
        pairs = [("index", t["index"]), ("purpose", t["purpose"]),
                 ("frame_size", t["frame_size"]), ("rate_pps", t["rate_pps"]),
                 ("offered", t["tx"]["offered"]), ("intended", t["tx"]["intended"]),
                 ("received", t["rx"]["received"]), ("lost", t["rx"]["lost"]),
                 ("loss_ratio", t["loss_ratio"]),
                 ("latency_p50_ns", t["latency_ns"]["p50"]),
                 ("latency_p9999_ns", t["latency_ns"]["p9999"]),
                 ("latency_max_ns", t["latency_ns"]["max"]),
                 ("generator_limited", "true" if t["generator_limited"] else "false")]
        for k, v in pairs:
            got = row[k]
            ok = (float(got) == float(v)) if isinstance(v, (int, float)) else got == v
            check(ok, "trials.csv row %s: %s = %r, JSON %r" % (row["index"], k, got, v))
        with open(os.path.join(d, "latency-%d.csv" % t["index"])) as f:
            hist = [[int(x) for x in r] for r in list(csv.reader(f))[1:]]
        check(hist == t["latency_ns"]["histogram"], "latency-%d.csv != the JSON histogram" %
              t["index"])
    check(sorted(os.listdir(d)) == sorted(["trials.csv"] + ["latency-%d.csv" % t["index"]
                                                           for t in j["trials"]]),
          "files in the csv directory: %r" % os.listdir(d))


def search_generator_limited(tmp):
    # 100 % of net_ring's 10 Gb/s at 64 bytes (14.88 Mpps) is beyond this generator: the
    # trial at the max load is generator-limited, run again, limited again: the search
    # stops there and says so; neither trial is given to the search as the device's loss.
    j, p = mode_run(tmp, "glim", ["--max-load=100%", "--duration=0.1", "--drain=0.05",
                                  "--stats-period=0", "search"])
    s = j["search"]
    trials = j["trials"]
    print([(t["rate_pps"], t["tx"]["intended"], t["tx"]["offered"], t["generator_limited"])
           for t in trials])
    check(len(trials) == 2 and all(t["generator_limited"] for t in trials),
          "not two generator-limited trials")
    check(all(abs(t["rate_pps"] - 10e9 / (84 * 8)) < 1e-3 for t in trials), "max load")
    # the generator's shortfall, seen against the schedule (intended), not the device
    check(all(t["tx"]["offered"] < t["tx"]["intended"] * 0.999 or t["tx"]["refused"] > 0
              for t in trials), "limited without a shortfall")
    check(s["generator_limited"] and s["generator_limit_pps"] == trials[0]["rate_pps"] and
          s["trials_used"] == 0, "search %r" % s)
    g = s["goals"][0]
    check(g["result"] == "irregular" and g["lower_bound_pps"] is None and
          g["upper_bound_pps"] is None and g["upper_bound_trials"] == [], "goal %r" % g)
    check("GENERATOR-LIMITED" in p.stdout and "generator-limited again" in p.stderr,
          "not said")


def search_sigint(tmp):
    # SIGINT mid-search: the trial sending stops (its figures so far), the search stops,
    # its results are what the trials before gave; the interrupted trial is not given to
    # the search.
    out = os.path.join(tmp, "ssig.json")
    p = subprocess.Popen([BIN] + eal("ssig") + ["--", "--max-load=100kpps",
                         "--rx-capacity-pps=%d" % CAP, "--duration=1", "--initial-duration=0.3",
                         "--drain=0.05", "--throttle=50", "--stats-period=0", "--json=" + out,
                         "search"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err = []
    while True:
        line = p.stderr.readline()
        check(line != "", "no start line")
        err.append(line)
        if "SIGINT or SIGTERM stops" in line:
            break
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    so, se = p.communicate(timeout=30)
    print(so, "".join(err), se)
    check(p.returncode == 0, "exit %d" % p.returncode)
    with open(out) as f:
        j = json.load(f)
    trial_checks(j)
    s, trials = j["search"], j["trials"]
    check(j["stopped_by"] == "SIGINT" and s["stopped"], "stopped_by %r" % j["stopped_by"])
    # The signal came while a trial sent (most likely: drains are 0.05 s of each ~0.35 s
    # and more) or during a drain (then no trial was cut, and none started after it).
    if trials[-1]["stopped_by"] is not None:
        check(trials[-1]["stopped_by"] == "SIGINT" and
              trials[-1]["elapsed_s"] < trials[-1]["duration_s"], "the last trial not cut")
    check(all(t["stopped_by"] is None for t in trials[:-1]), "earlier trials stopped")
    used = [t["index"] for t in trials if not t["generator_limited"] and t["stopped_by"] is None]
    check(s["trials_used"] == len(used), "trials_used %d, %d complete trials" %
          (s["trials_used"], len(used)))
    check(trials[-1]["index"] not in s["goals"][0]["upper_bound_trials"] +
          s["goals"][0]["lower_bound_trials"], "the cut trial used as a bound")


def rfc2544_two_sizes(tmp):
    j, p = mode_run(tmp, "rfc2544", [
        "--max-load=100kpps", "--rx-capacity-pps=%d" % CAP, "--burst=%d" % DEPTH,
        "--frame-sizes=64,128", "--duration=0.2", "--initial-duration=0.1", "--drain=0.05",
        "--goal-width=0.02", "--throttle=50", "--stats-period=0", "--b2b-max-frames=2000",
        "rfc2544"])
    check(j["mode"] == "rfc2544" and j["stopped_by"] == "done", "mode/stopped_by")
    trial_checks(j)
    sizes = j["rfc2544"]["frame_sizes"]
    check([z["frame_size"] for z in sizes] == [64, 128], "frame sizes %r" % sizes)
    for z in sizes:
        skip_if_generator_limited(z["throughput_search"])
    trials = j["trials"]
    seen = set()
    for z in sizes:
        fs = str(z["frame_size"])
        # 26.1 throughput: the search's lower bound, trials of this frame size, loss 0
        g = z["throughput_search"]["goals"][0]
        check(g["loss_ratio"] == 0 and z["throughput_pps"] == g["lower_bound_pps"],
              "throughput %r" % z["throughput_pps"])
        check(CAP * 0.98 <= z["throughput_pps"] <= CAP + DEPTH / 0.2, "throughput %r" %
              z["throughput_pps"])
        check(z["throughput_trials"] == g["lower_bound_trials"], "throughput trials")
        for i in z["throughput_trials"]:
            check(trials[i]["frame_size"] == fs and trials[i]["rx"]["lost"] == 0 and
                  trials[i]["purpose"] == "throughput", "throughput trial %d" % i)
        # 26.2 latency: one trial at the throughput, the receiver at throttle 0
        lt = trials[z["latency_trial"]]
        check(lt["purpose"] == "latency" and lt["rate_pps"] == z["throughput_pps"] and
              lt["rx"]["throttle_us"] == 0 and lt["frame_size"] == fs, "latency trial")
        check({k: v for k, v in z["latency_ns"].items()} == lt["latency_ns"], "latency_ns")
        check(lt["latency_ns"]["count"] == lt["rx"]["received"] > 0, "latency count")
        # 26.3 frame loss: 100 % down in 10 % steps until two successive without loss
        fl = z["frame_loss"]
        check([x["load_percent"] for x in fl] == list(range(100, 100 - 10 * len(fl), -10)),
              "frame loss steps %r" % [x["load_percent"] for x in fl])
        check(len(fl) >= 2 and fl[-1]["loss_ratio"] == 0 and fl[-2]["loss_ratio"] == 0,
              "frame loss does not end with two trials without loss")
        check(all(not (a["loss_ratio"] == 0 and b["loss_ratio"] == 0)
                  for a, b in zip(fl[:-2], fl[1:-1])), "frame loss went on after two")
        for x in fl:
            t = trials[x["trial"]]
            check(t["purpose"] == "frame_loss" and abs(t["rate_pps"] - 100000 *
                  x["load_percent"] / 100) < 1e-6 and x["loss_ratio"] ==
                  t["rx"]["lost"] / t["tx"]["offered"], "frame loss point %r" % x)
        check(fl[0]["loss_ratio"] > 0.7, "100 %% of 100 kpps into 20 kpps: loss %r" %
              fl[0]["loss_ratio"])
        # 26.4 back-to-back: the longest burst without loss; one frame more lost
        bb = z["back_to_back"]
        n = bb["burst_frames"]
        bt = [trials[i] for i in bb["trials"]]
        check(all(t["purpose"] == "back_to_back" and t["rate_pps"] == 100000 for t in bt),
              "b2b trials")
        check(any(t["count"] == n and t["rx"]["lost"] == 0 and t["tx"]["offered"] == n
                  for t in bt), "no trial of %d frames without loss" % n)
        check(any(t["count"] == n + 1 and t["rx"]["lost"] > 0 for t in bt),
              "no trial of %d frames with loss" % (n + 1))
        check(model_drops(100000, n) == 0 and model_drops(100000, n + 1) > 0,
              "the model's longest burst is not %d" % n)
        seen |= set(z["throughput_trials"] + [z["latency_trial"]] + [x["trial"] for x in fl] +
                    bb["trials"])
        check(z["skipped"] is None, "skipped %r" % z["skipped"])
    check(all(t["index"] in seen or t["purpose"] == "throughput" for t in trials),
          "trials not in any section")
    for word in ("throughput (26.1)", "latency (26.2)", "back-to-back (26.4)"):
        check(p.stdout.count(word) == 2, "text: %s" % word)
    check(p.stdout.count("frame loss (26.3)") == sum(len(z["frame_loss"]) for z in sizes),
          "text: frame loss")


def calibrate_file(tmp):

    j, p = mode_run(tmp, "cal", ["--duration=0.2", "--drain=0.05", "--max-trials=3",
                                 "--max-load=200kpps", "--floor-rate=5kpps",
                                 "--stats-period=0", "calibrate"])
    src = os.path.join(tmp, "cal.json")
    c = j["calibration"]
    trial_checks(j)
    check(c["measured"] == "now", "measured %r" % c["measured"])
    ft = j["trials"][c["floor_trial"]]
    check(ft["rate_pps"] == 5000 and ft["rx"]["throttle_us"] == 0, "floor trial")
    lat = ft["latency_ns"]
    check(c["latency_floor_ns"] == {"min": lat["min"], "p50": lat["p50"], "p99": lat["p99"]},
          "floor %r != its trial's %r" % (c["latency_floor_ns"], lat))
    tops = [j["trials"][i] for i in c["top_rate_trials"]]
    check(1 <= len(tops) <= 3 and tops[0]["rate_pps"] == 200000, "top rate trials")
    ok = [t["rate_pps"] for t in tops if not t["generator_limited"]]
    check(c["top_rate_pps"] == max(ok + [5000 if not ft["generator_limited"] else 0]),
          "top rate %r, not the highest load offered without a limit (%r)" %
          (c["top_rate_pps"], ok))
    check("calibration (now)" in p.stdout, "text")
    # A later run reads it and prints it beside its figures.
    j2, p2 = mode_run(tmp, "calrun", ["--rate=5kpps", "--duration=0.2", "--drain=0.05",
                                      "--stats-period=0", "--calibration=" + src, "run"])
    c2 = j2["calibration"]
    check(c2["measured"] == src and c2["latency_floor_ns"] == c["latency_floor_ns"] and
          c2["top_rate_pps"] == c["top_rate_pps"], "calibration read back: %r" % c2)
    check(("calibration (%s)" % src) in p2.stdout, "text: calibration")
    j3, p3 = mode_run(tmp, "nocal", ["--rate=5kpps", "--duration=0.1", "--drain=0.05",
                                     "--stats-period=0", "run"])
    check(j3["calibration"] is None and "calibration: none given" in p3.stdout,
          "no calibration: not said")
    # A run's JSON is not a calibration.
    p4 = run(["--rate=5kpps", "--calibration=" + os.path.join(tmp, "nocal.json"), "run"], "bad")
    check(p4.returncode == 2 and "calibrate" in p4.stderr, "a run JSON taken as calibration")


def control_stats_stop(tmp):
    import socket
    sock = os.path.join(tmp, "ctl.sock")
    out = os.path.join(tmp, "ctl.json")
    p = subprocess.Popen([BIN] + eal("ctl") + ["--", "--rate=20kpps", "--duration=30",
                         "--drain=0.1", "--throttle=100", "--control=" + sock,
                         "--json=" + out, "run"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.5)

    def ask(req):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            d = s.recv(65536)
            if not d:
                break
            buf += d
        s.close()
        return json.loads(buf)

    a = ask({"cmd": "stats"})
    time.sleep(0.5)
    b = ask({"cmd": "stats"})
    print(a, b)
    check(a["ok"] and a["mode"] == "run" and a["trial"]["index"] == 0, "stats %r" % a)
    ta, tb = a["trial"], b["trial"]
    check(0 < ta["offered"] < tb["offered"] and ta["received"] <= tb["received"],
          "stats do not grow")
    # 0.5 s apart at 20 kpps: the schedule's count between the two (with the wake slack)
    d = tb["intended"] - ta["intended"]
    dt = tb["elapsed_s"] - ta["elapsed_s"]
    check(abs(d - 20000 * dt) <= 20000 * 0.03 + 64, "intended grew %d in %.3f s" % (d, dt))
    r = ask({"cmd": "stop"})
    check(r == {"ok": True, "stopping": True}, "stop reply %r" % r)
    so, se = p.communicate(timeout=30)
    print(so, se)
    check(p.returncode == 0, "exit %d" % p.returncode)
    with open(out) as f:
        j = json.load(f)
    check(j["stopped_by"] == "control", "stopped_by %r" % j["stopped_by"])
    exact_account(j)
    t = j["trials"][0]
    check(t["tx"]["offered"] >= tb["offered"] and t["elapsed_s"] < 29, "the figures so far")
    check(not os.path.exists(sock), "the socket left behind")


def csv_bad(tmp):
    f = os.path.join(tmp, "file")
    with open(f, "w") as fh:
        fh.write("keep")
    full = os.path.join(tmp, "full")
    os.mkdir(full)
    with open(os.path.join(full, "trials.csv"), "w") as fh:
        fh.write("keep")
    link = os.path.join(tmp, "link")
    os.symlink(full, link)
    for d, word in ((f, "not a directory"), (full, "not empty"), (link, "symbolic link")):
        p = run(["--rate=1kpps", "--duration=0.1", "--csv=" + d, "run"], "bad")
        lines = [l for l in p.stderr.splitlines() if l.startswith("lcx-bench: ") and
                 "hugepages" not in l]
        print(d, p.returncode, lines)
        check(p.returncode == 2 and len(lines) == 1 and word in lines[0] and p.stdout == "",
              "--csv=%s: %r" % (d, lines))
    check(open(f).read() == "keep" and open(os.path.join(full, "trials.csv")).read() ==
          "keep" and os.listdir(full) == ["trials.csv"], "a file touched")
    # An existing empty directory is taken.
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    j, p = mode_run(tmp, "csvempty", ["--rate=2kpps", "--duration=0.2", "--drain=0.05",
                                      "--stats-period=0", "--csv=" + empty, "run"])
    csv_matches(j, empty)


def jumbo(tmp):
    # 9000-byte frames: one mbuf each (the pool's data room holds the largest frame).
    j, p, wall = trial(tmp, ["--rate=2kpps", "--duration=0.5", "--drain=0.1",
                             "--frame-size=9000", "--stats-period=0"], "jumbo")
    exact_account(j)
    check(j["trials"][0]["tx"]["offered"] == 1000, "offered %d" % j["trials"][0]["tx"]["offered"])


def log_levels(tmp):
    # One logging path: lcx-bench's messages go through rte_log (type lcx.bench) once the
    # EAL is up, so DPDK's --log-level sets what shows; the figures are output, not
    # messages, and show whatever the level; errors before the EAL still go to stderr.
    args = ["--rate=10kpps", "--duration=0.3", "--drain=0.1", "--stats-period=0", "run"]
    shown = run(args, "logon")
    hidden = subprocess.run([BIN] + eal("logoff") + ["--log-level=lcx.bench:warning", "--"] +
                            args, capture_output=True, text=True, timeout=60)
    for p in (shown, hidden):
        check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
        check("lcx-bench run:" in p.stdout and "offered 3000" in p.stdout,
              "the figures: %r" % p.stdout)
    check("lcx-bench: run at 10000 pps" in shown.stderr, "the notice: %r" % shown.stderr)
    check("lcx-bench: run at" not in hidden.stderr, "notice shown at level warning: %r" %
          hidden.stderr)
    # An error after the EAL started (a device that gives no port) shows at any level.
    p = subprocess.run([BIN, "--vdev=net_ring0", "--file-prefix=lcxbench_logerr" + TAG,
                        "--log-level=lib.eal:warning", "--log-level=lcx.bench:error", "--",
                        "--rate=1kpps", "--tx-port=3", "run"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode != 0 and "lcx-bench:" in p.stderr and "tx-port" in p.stderr,
          "the error: %d %r" % (p.returncode, p.stderr))


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
