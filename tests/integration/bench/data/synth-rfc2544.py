#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes rfc2544-synthetic.json: an lcx-bench --json result (schema_version 2, the keys
of BENCH-SCHEMA, doc/bench.md) made by hand, NOT measured: lcx-bench did not have MODE
rfc2544 or search when the report tool (tools/lcx-bench-report) was written. It models
what lcx-bench would report through a device that forwards at most 60 % of a 100 Mbit/s
link (layer 1) with a kernel-path latency floor near 20 us: MODE rfc2544 for 64 and
1518 bytes: throughput (by an MLRsearch per size, goals NDR, and PDR 0.5 % for 64 bytes:
"throughput_search"), latency, frame loss and back-to-back. The structure follows the
real output of lcx-bench rfc2544 (branch benchmodes, 61fe681): "search" null,
"throughput_search" per frame size. Histograms use lathist.c's log-linear buckets,
percentiles its nearest rank; departure gaps log2 buckets. Fixed seed: the file is
the same every time. Replace it with a real result once lcx-bench writes one.
Usage: synth-rfc2544.py OUT.json (OUT must not exist)
"""
import json
import os
import sys

import numpy as np

LINK = 100e6
rng = np.random.default_rng(20261129)


def cap(fs):
    return 0.6 * LINK / ((fs + 20) * 8)


def line_pps(fs):
    return LINK / ((fs + 20) * 8)


def bucket_of(v):
    if v < 128:
        return v, v
    k = int(v).bit_length() - 1
    w = 1 << (k - 7)
    lo = (v // w) * w
    return lo, lo + w - 1


def hist(samples):
    d = {}
    for v in samples:
        d[v] = d.get(v, 0) + 1
    b = {}
    for v, c in d.items():
        lo, hi = bucket_of(int(v))
        key = (lo, hi)
        b[key] = b.get(key, 0) + c
    return sorted([lo, hi, c] for (lo, hi), c in b.items())


def pct(bs, n, mn, mx, q):
    need = max(1, int(np.ceil(q * n)))
    acc = 0
    for lo, hi, c in bs:
        acc += c
        if acc >= need:
            return int(min(max(hi, mn), mx))
    return mx


def latency(n, load, c, floor=19000):
    """n samples: a floor, a lognormal spread, a queue when the load is above capacity."""
    if n == 0:
        return {"count": 0, "min": 0, "mean": 0.0, "p50": 0, "p90": 0, "p99": 0, "p999": 0,
                "p9999": 0, "max": 0, "over": 0, "error_max_ns": 0, "clock": "tsc at the poll",
                "histogram": []}
    base = floor + rng.lognormal(np.log(3500), 0.45, n)
    if load > c:
        base = base + rng.normal(2.0e6, 0.05e6, n).clip(0.5e6)  # tbf's 2 ms queue
    else:
        base = base + rng.exponential(1500 * load / c, n)
    tail = rng.random(n) < 0.0005
    base[tail] += rng.exponential(120000, int(tail.sum()))
    s = np.rint(base).astype(np.int64)
    bs = hist(s.tolist())
    mn, mx = int(s.min()), int(s.max())
    r = {"count": int(n), "min": mn, "mean": round(float(s.mean()), 3)}
    for key, q in (("p50", .5), ("p90", .9), ("p99", .99), ("p999", .999), ("p9999", .9999)):
        r[key] = pct(bs, n, mn, mx, q)
    r.update({"max": mx, "over": 0, "error_max_ns": int(rng.integers(900, 2600)),
              "clock": "tsc at the poll", "histogram": bs})
    return r


def gaps(load, sends):
    ideal = 1e9 / load
    g = rng.normal(ideal, 0.02 * ideal + 150, sends).clip(60)
    k = rng.random(sends) < 0.003
    g[k] = rng.uniform(60, 600, int(k.sum()))          # catch-up sends after a stall
    k = rng.random(sends) < 0.001
    g[k] = rng.exponential(40000, int(k.sum())) + ideal  # the stall itself
    g = np.rint(g).astype(np.int64)
    b = {}
    for v in g.tolist():
        e = int(v).bit_length() - 1
        b[e] = b.get(e, 0) + 1
    return sorted([1 << e, (1 << (e + 1)) - 1, c] for e, c in b.items()), int(g.min()), \
        int(g.max())


trials = []


def trial(purpose, fs, load, dur, burst=None):
    i = len(trials)
    c = cap(fs)
    if burst is not None:   # back to back: one burst at line rate
        intended = burst
        dur = burst / line_pps(fs)
    else:
        intended = int(load * dur)
    offered = intended
    limited = False
    if burst is not None:
        received = min(burst, 516 if fs == 64 else 516)
    else:
        received = min(offered, int(c * dur) + (40 if load <= c else 0))
    lost = offered - received
    sends = max(1, int(offered * 0.998))
    gb, gmin, gmax = gaps(load, min(sends, 200000)) if burst is None else \
        ([[16, 31, 1], [32, 63, burst - 2]], 24, 60)
    lat = latency(received, load, c)
    ipdv_n = max(0, received - 1)
    j = float(rng.uniform(250, 900))
    trials.append({
        "index": i, "purpose": purpose, "frame_size": str(fs), "mean_frame_bytes": float(fs),
        "rate_pps": round(load, 3), "duration_s": round(dur, 9),
        "elapsed_s": round(dur - float(rng.uniform(0, 2e-5)), 9),
        "tx": {"intended": intended, "offered": offered, "refused": 0, "skipped": 0,
               "unsent": 0, "nombuf": 0, "late": int(rng.integers(0, 30)),
               "late_max_ns": int(rng.integers(20000, 900000)), "sends": sends,
               "gap_min_ns": gmin, "gap_max_ns": gmax, "departure_gaps_ns": gb},
        "rx": {"received": received, "lost": lost, "late": 0, "duplicate": 0, "reordered": 0,
               "reorder_max": 0, "too_old": 0, "invalid": 0, "unsigned": 3, "other_stream": 0,
               "hw_timestamps": 0, "polls": int(dur * 1.9e6), "account_consistent": True},
        "loss_ratio": lost / offered if offered else 0.0,
        "forwarding_rate_pps": round(received / dur, 3),
        "generator_limited": limited,
        "latency_ns": lat,
        "jitter_ns": {"rfc3550_j": round(j, 3),
                      "ipdv": {"p50": 0, "p99": int(j * 6), "min": -int(j * 20),
                               "max": int(j * 25), "count": ipdv_n,
                               "histogram": [[0, 127, ipdv_n // 2],
                                             [128, 255, ipdv_n - ipdv_n // 2]]}}})
    return i


# The 64-byte search (MLRsearch, goals NDR and PDR 0.5 %), max load 100 % of the link.
C64 = cap(64)
s_loads = [(line_pps(64), 1), (C64 * 0.99993, 1), (C64 * 1.005, 1), (C64 * 0.997, 1),
           (C64 * 1.0012, 2), (C64 * 0.9995, 2), (C64 * 1.0012, 5), (C64 * 0.9995, 5),
           (C64 * 1.0003, 10), (C64 * 0.9995, 10)]
s_idx = [trial("throughput", 64, ld, d) for ld, d in s_loads]
ndr_lo, ndr_hi = s_idx[9], s_idx[8]
pdr_lo = s_idx[6]



def search(goals, n):
    return {"goals": goals, "max_load_pps": line_pps(64), "min_load_pps": line_pps(64) / 1000,
            "trials_used": n, "exhausted": False, "stopped": False,
            "generator_limited": False, "generator_limit_pps": None}


def goal(loss, lo, hi, ct, lo_t, hi_t):
    return {"loss_ratio": loss, "exceed_ratio": 0.5, "width": 0.005, "initial_duration_s": 1.0,
            "final_duration_s": 10.0, "duration_sum_s": 10.0, "result": "regular",
            "lower_bound_pps": lo, "upper_bound_pps": hi, "conditional_throughput_pps": ct,
            "lower_bound_trials": lo_t, "upper_bound_trials": hi_t, "missing": None}


rfc = []
for fs in (64, 1518):
    c = cap(fs)
    if fs == 64:
        thr_trials = s_idx
        thr = trials[ndr_lo]["rate_pps"]
    else:
        thr_trials = [trial("throughput", fs, ld, d) for ld, d in
                      ((line_pps(fs), 1), (c * 0.9999, 1), (c * 1.004, 2), (c * 0.9991, 10))]
        thr = trials[thr_trials[-1]]["rate_pps"]
    li = trial("latency", fs, thr, 10)
    fl = []
    for pctl in (100, 90, 80, 70, 60, 50):
        ld = line_pps(fs) * pctl / 100
        if abs(ld - c) < 1e-6 * c:
            ld = c * 0.99999
        t = trial("frame_loss", fs, ld, 10)
        fl.append({"load_percent": pctl, "rate_pps": trials[t]["rate_pps"],
                   "loss_ratio": trials[t]["loss_ratio"], "trial": t})
    b2b = [trial("back_to_back", fs, line_pps(fs), 0, burst=n) for n in (1000, 500, 750, 625, 516)]
    if fs == 64:
        ts = search([goal(0.0, trials[ndr_lo]["rate_pps"], trials[ndr_hi]["rate_pps"],
                          trials[ndr_lo]["forwarding_rate_pps"], [ndr_lo], [ndr_hi]),
                     goal(0.005, trials[pdr_lo]["rate_pps"], trials[s_idx[2]]["rate_pps"],
                          round(C64, 3), [s_idx[4], pdr_lo], [s_idx[2]])], len(s_idx))
    else:
        ts = search([goal(0.0, thr, trials[thr_trials[2]]["rate_pps"],
                          trials[thr_trials[-1]]["forwarding_rate_pps"], [thr_trials[-1]],
                          [thr_trials[2]])], len(thr_trials))
    rfc.append({"frame_size": fs, "throughput_pps": thr, "throughput_trials": thr_trials,
                "throughput_search": ts,
                "latency_ns": trials[li]["latency_ns"], "latency_trial": li,
                "frame_loss": fl,
                "back_to_back": {"burst_frames": 516, "trials": b2b, "generator_limited": False},
                "skipped": None})

result = {
    "schema": "lcx-bench", "schema_version": 2, "mode": "rfc2544", "stopped_by": "done",
    "synthetic": "made by hand with tests/integration/bench/data/synth-rfc2544.py, not measured",
    "config": {"rate": "100%", "rate_pps": line_pps(64), "frame_size": "64,1518",
               "mean_frame_bytes": 64.0, "duration_s": 10.0, "drain_s": 2.0, "tmax_s": 0.0,
               "burst": 32, "throttle_us": 0, "tx_port": 0, "rx_port": 1,
               "link_bps": int(LINK), "streams": 1},
    "calibration": {"latency_floor_ns": {"min": 17230, "p50": 19011, "p99": 24180},
                    "top_rate_pps": 412000.0, "measured": "now"},
    "self_checks": {"tsc_invariant": True, "tsc_hz": 2495312000, "tsc_drift_ppm": 0.41,
                    "port_counters_agree": True},
    "trials": trials,
    "search": None,
    "rfc2544": {"frame_sizes": rfc},
    "ports": {"tx": {"index": 0, "opackets": sum(t["tx"]["offered"] for t in trials)},
              "rx": {"index": 1, "ipackets": sum(t["rx"]["received"] + 3 for t in trials)}},
    "mbuf_pools": [{"name": "lcxbench_pool", "size": 8191, "in_use": 0}],
}

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
with os.fdopen(fd, "w") as f:
    json.dump(result, f, separators=(",", ":"))
    f.write("\n")
