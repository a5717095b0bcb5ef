#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-bench's counts against other observers: the ports' xstats against the tool's counts
and a capture file; the receiver's per-flow counts against the flows the test computes.
Usage: counts_test.py LCX_BENCH CASE
"""
import sys

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


if __name__ == "__main__":
    main(globals())
