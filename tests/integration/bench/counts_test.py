#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-bench's counts against other observers: the ports' xstats against the tool's counts
and a capture file; the receiver's per-flow counts against the flows the test computes.
Usage: counts_test.py LCX_BENCH CASE
"""
import sys

from benchlib import model_dropped_seqs
from pattern_test import CAPTURE, bench, check, load, main, pcap_eal, stamps, trial


def xstats_ring(tmp):
    # net_ring, one port both ways: 20 kpps for 0.5 s = 10 000 frames (the test's count).
    t = trial(tmp, ["--vdev=net_ring0"], ["--rate=20kpps", "--duration=0.5", "--drain=0.1",
                                          "--throttle=50", "--stats-period=0"], "xring")
    p = t["ports"]
    xs = p["xstats"]
    check(xs is not None, "no xstats")
    for side in ("tx", "rx"):
        check(xs[side].get("tx_good_packets") == 10000 and
              xs[side].get("rx_good_packets") == 10000,
              "%s port xstats %r" % (side, xs[side]))
    ck = {c["name"]: c for c in p["xstats_checks"]}
    check(set(ck) == {"tx_good_packets", "rx_good_packets"}, "checks %r" % sorted(ck))
    check(ck["tx_good_packets"]["value"] == ck["tx_good_packets"]["tool_value"] == 10000 and
          ck["tx_good_packets"]["tool"] == "offered" and ck["tx_good_packets"]["agree"],
          "tx check %r" % ck["tx_good_packets"])
    check(ck["rx_good_packets"]["value"] == ck["rx_good_packets"]["tool_value"] == 10000 and
          ck["rx_good_packets"]["agree"], "rx check %r" % ck["rx_good_packets"])
    check(p["xstats_agree"] is True, "xstats_agree")
    check("tx port tx_good_packets 10000, tool offered 10000: agree" in t["_stdout"] and
          "rx port rx_good_packets 10000, tool frames_read 10000: agree" in t["_stdout"],
          "the text does not give both numbers and the word")
    check("xstats (tx_good_packets, rx_good_packets) agree with the tool's counts "
          "(2 comparisons)" in t["_stdout"], "self-check line")
    # net_ring does not stamp: with --rx-timestamp=auto (the default) the latency clock is
    # the TSC at the poll, and the output says why (rxts_test.py has the other cases).
    j = load(t["_json"])
    why = ("port 0 (net_ring0) gives no rx timestamps (no RTE_ETH_RX_OFFLOAD_TIMESTAMP in "
           "its rx_offload_capa)")
    check(j["self_checks"]["rx_timestamp"] == {
        "mode": "auto", "offered": False, "used": False, "why": why, "clock": None,
        "clock_hz": None, "resolution_ns": None},
        "rx_timestamp %r" % j["self_checks"]["rx_timestamp"])
    check(t["latency_ns"]["clock"] == "tsc at the poll" and
          t["latency_ns"]["clock_why"] == why,
          "latency clock %r" % t["latency_ns"]["clock"])
    check("self-checks: latency clock: the TSC at the poll (%s)" % why in t["_stdout"],
          "the text does not say the clock")


def xstats_pcap(tmp):
    # net_pcap on tx: its tx_good_packets is what it wrote, counted in the file by the test;
    # the ring on rx gets nothing: rx_good_packets 0, not a change, so not in xstats.rx.
    eal, path = pcap_eal(tmp, "xpcap")
    t = trial(tmp, eal, ["--rate=10kpps", "--duration=0.5"] + CAPTURE, "xpcap")
    n = len(stamps(path))
    p = t["ports"]
    check(n == 5000 == t["tx"]["offered"], "capture %d offered %d" % (n, t["tx"]["offered"]))
    check(p["xstats"]["tx"].get("tx_good_packets") == n, "tx xstats %r" % p["xstats"]["tx"])
    check("rx_good_packets" not in p["xstats"]["rx"], "rx xstats %r" % p["xstats"]["rx"])
    ck = {c["name"]: c for c in p["xstats_checks"]}
    check(ck["tx_good_packets"]["value"] == n and ck["tx_good_packets"]["agree"], "tx check")
    check(ck["rx_good_packets"]["value"] == 0 == ck["rx_good_packets"]["tool_value"],
          "rx check %r" % ck["rx_good_packets"])


SPEC12 = "src=198.18.0.254-198.18.0.255,dst=198.19.0.1,sport=1000-1002,dport=7-8"


def odometer12():
    """The 12 tuples in the spec's order (sport fastest, then dport, src, dst), written here."""
    return [(s, "198.19.0.1", sp, dp) for s in ("198.18.0.254", "198.18.0.255")
            for dp in (7, 8) for sp in (1000, 1001, 1002)]


def flows_ring(tmp):
    # 12 flows x 1 000 packets over net_ring: each flow sent 1 000, received 1 000.
    t = trial(tmp, ["--vdev=net_ring0"], ["--rate=12kpps", "--duration=1", "--drain=0.1",
                                          "--throttle=50", "--stats-period=0",
                                          "--flow=" + SPEC12], "flows")
    f = t["flows"]
    check(f is not None and f["tuples"] == 12 and f["counted"] == 12 and not f["capped"] and
          f["beyond_cap"] is None, "flows %r" % {k: v for k, v in f.items() if k != "per_flow"})
    check(t["tx"]["offered"] == 12000 and t["rx"]["received"] == 12000, "offered/received")
    odo = odometer12()
    for k, e in enumerate(f["per_flow"]):
        check(e["index"] == k and (e["src"], e["dst"], e["sport"], e["dport"]) == odo[k],
              "flow %d: %r, not %r" % (k, e, odo[k]))
        check(e["sent"] == 1000 and e["received"] == 1000 and e["lost"] == 0 and e["late"] == 0,
              "flow %d: %r" % (k, e))
    check(f["unknown"] == 0 and f["mismatch"] == 0, "unknown/mismatch")
    check("flows: 12 of 12 counted one by one; received per flow 1000..1000, lost per flow "
          "0..0, lost in all 0 (= the trial's 0)" in t["_stdout"], "text")

    # The device model drops some (24 kpps into 20 kpps): which numbers it drops is computed
    # here (the model written again), so each flow's loss is known: numbers s with s mod 12.
    t = trial(tmp, ["--vdev=net_ring0"], ["--rate=24kpps", "--duration=0.5", "--drain=0.1",
                                          "--throttle=50", "--stats-period=0", "--burst=32",
                                          "--rx-capacity-pps=20000", "--flow=" + SPEC12],
              "flowsmodel")
    n = t["tx"]["offered"]
    check(n == 12000, "offered %d" % n)
    drops = model_dropped_seqs(24000.0, n, 20000, 32)
    want = [sum(1 for s in drops if s % 12 == k) for k in range(12)]
    got = [e["lost"] for e in t["flows"]["per_flow"]]
    print("lost per flow %r, the model's %r; the trial's lost %d" % (got, want, t["rx"]["lost"]))
    check(t["rx"]["lost"] == len(drops) > 0, "lost %d, model %d" % (t["rx"]["lost"], len(drops)))
    check(got == want, "per flow lost %r, model %r" % (got, want))
    check(sum(got) == t["rx"]["lost"], "the flows' losses do not sum to the trial's")
    check(all(e["sent"] == 1000 and e["received"] == 1000 - e["lost"]
              for e in t["flows"]["per_flow"]), "sent/received per flow")


def flows_rand(tmp):
    # vary=rand: the receiver counts each flow by the tuples it reads; the sent counts are
    # computed apart, by walking every number offered. Over net_ring nothing is lost, so the
    # two must be equal flow by flow (and not all equal: the draws are random).
    t = trial(tmp, ["--vdev=net_ring0"], ["--rate=12kpps", "--duration=0.5", "--drain=0.1",
                                          "--throttle=50", "--stats-period=0",
                                          "--flow=" + SPEC12 + ",vary=rand", "--flow-seed=7"],
              "flowsrand")
    f = t["flows"]
    sent = [e["sent"] for e in f["per_flow"]]
    print("sent per flow %r" % sent)
    check(sum(sent) == t["tx"]["offered"] == 6000, "sum sent %d" % sum(sent))
    check(len(set(sent)) > 1, "every flow sent the same: not random")
    check(all(e["received"] == e["sent"] and e["lost"] == 0 for e in f["per_flow"]),
          "received != sent: %r" % [(e["sent"], e["received"]) for e in f["per_flow"]])
    check(f["unknown"] == 0 and f["mismatch"] == 0, "unknown/mismatch")


def flows_capped(tmp):
    # 2 500 flows, 6 000 packets: the first 1 024 flows counted one by one (flows 0..999 sent
    # 3, 1000..1023 sent 2), the other 1 476 summed in beyond_cap (6000 - 3048 = 2952).
    t = trial(tmp, ["--vdev=net_ring0"], ["--rate=20kpps", "--duration=0.3", "--drain=0.1",
                                          "--throttle=50", "--stats-period=0",
                                          "--flow=src=198.18.0.1,dst=198.19.0.1,sport=1-2500"],
              "capped")
    f = t["flows"]
    check(t["tx"]["offered"] == 6000 and f["tuples"] == 2500 and f["capped"] and
          f["counted"] == 1024 == len(f["per_flow"]), "flows %r" %
          {k: v for k, v in f.items() if k != "per_flow"})
    for k, e in enumerate(f["per_flow"]):
        w = 3 if k < 1000 else 2
        check(e["sport"] == k + 1 and e["sent"] == w and e["received"] == w,
              "flow %d: %r" % (k, e))
    check(f["beyond_cap"] == {"sent": 2952, "received": 2952, "late": 0, "lost": 0},
          "beyond_cap %r" % f["beyond_cap"])
    check("(capped: the rest summed)" in t["_stdout"], "the text does not say capped")


if __name__ == "__main__":
    main(globals())
