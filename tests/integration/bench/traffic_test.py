#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-bench's traffic: --flow (IPv4, IPv6, inc, rand) and --pcap-replay (file and rate timing).

The observers are not lcx-bench: DPDK's net_pcap writes every frame lcx-bench sent into a
capture file (with its own tx timestamps), read back here by tshark (addresses, ports,
lengths, IPv4 and UDP checksum validation) and by this script (bytes, times); the flow
ranges and the replayed file are built here; over net_ring the ethdev's own counters.
Usage: traffic_test.py LCX_BENCH CASE
"""
import itertools
import ipaddress
import json
import os
import struct
import subprocess
import sys
import tempfile

from benchlib import check, check_usage_errors, fail, read_pcap

BIN, CASE = sys.argv[1], sys.argv[2]
TAG = os.environ.get("LCX_TEST_TAG", "")


def bench(eal, args, name, timeout=60):
    p = subprocess.run([BIN] + eal + ["--file-prefix=lcxbt_%s%s" % (name, TAG),
                                      "--log-level=lib.eal:warning", "--"] + args,
                       capture_output=True, text=True, timeout=timeout)
    print(" ".join(args))
    print(p.stdout)
    print(p.stderr)
    return p


def trial(tmp, eal, args, name):
    js = os.path.join(tmp, name + ".json")
    p = bench(eal, args + ["--json=" + js, "run"], name)
    check(p.returncode == 0, "exit %d" % p.returncode)
    with open(js) as f:
        j = json.load(f)
    check(j["schema_version"] == 2 and len(j["trials"]) == 1, "schema / trials")
    # The run's one trial, with the traffic figures of the config and of the trial
    # together, and the ports' own counters (top level: since the start, one trial).
    t = dict(j["trials"][0])
    tr = dict(j["config"]["traffic"])
    if "replay" in tr:
        tr["replay"] = dict(tr["replay"], **t["traffic"])
    tr.update(t["traffic"])
    t["traffic"] = tr
    t["ports"] = j["ports"]
    t["_stderr"] = p.stderr
    return t


def pcap_eal(tmp, name):
    """Port 0: net_pcap writing what is sent to a file; port 1: a ring, the receiver."""
    out = os.path.join(tmp, name + ".pcap")
    return ["--vdev=net_pcap0,tx_pcap=" + out, "--vdev=net_ring0"], out


def tshark(path, fields):
    cmd = ["tshark", "-n", "-r", path, "-d", "udp.port==1-65535,data",
           "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-T", "fields", "-E", "separator=/t"]
    for f in fields:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "tshark: %s" % p.stderr)
    return [l.split("\t") for l in p.stdout.splitlines()]


def write_pcap(path, recs):
    """recs: (ts_ns, bytes); nanosecond pcap, Ethernet."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for ts, b in recs:
            f.write(struct.pack("<IIII", ts // 1000000000, ts % 1000000000, len(b), len(b)))
            f.write(b)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


ETH = bytes.fromhex("020000000002" "020000000001")


def ipv4_udp(src, dst, sport, dport, payload, udp_ck=False, proto=17):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    if udp_ck:
        ck = csum(s + d + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xffff
        udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, proto, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ETH + b"\x08\x00" + ip + udp


def ipv6_udp(src, dst, sport, dport, payload):
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ck = csum(s + d + struct.pack("!I3xB", len(udp), 17) + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, s, d)
    return ETH + b"\x86\xdd" + ip + udp


def arp():
    return b"\xff" * 6 + ETH[6:] + b"\x08\x06" + bytes(28)


def sig_of(payload_hex):
    """(stream, seq) of a signature in hex, or None."""
    if not payload_hex.startswith("4c42"):
        return None
    return int(payload_hex[4:8], 16), int(payload_hex[8:20], 16)


# ---- --flow --------------------------------------------------------------------------------

FIELDS = ["frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport",
          "udp.dstport", "udp.length", "ip.checksum.status", "udp.checksum.status",
          "data.data", "_ws.expert.message"]


def rows_of(path):
    rows = []
    for r in tshark(path, FIELDS):
        check(len(r) == len(FIELDS), "tshark row %r" % r)
        rows.append(dict(zip(FIELDS, r)))
    return rows


def odometer(srcs, dsts, sports, dports):
    """The tuples in spec.h's order: sport fastest, then dport, src, dst."""
    return [(s, d, sp, dp) for d, s, dp, sp in itertools.product(dsts, srcs, dports, sports)]


def tuple_of(r, v6):
    k = "ipv6" if v6 else "ip"
    return (r[k + ".src"], r[k + ".dst"], int(r["udp.srcport"]), int(r["udp.dstport"]))


def check_flow_capture(j, path, v6, expect, sizes):
    rows = rows_of(path)
    n = j["tx"]["offered"]
    # What net_pcap wrote is what lcx-bench says it offered.
    check(len(rows) == n, "the capture holds %d frames, offered %d" % (len(rows), n))
    check(j["ports"]["tx"]["opackets"] == n, "opackets")
    f = len(expect)
    check(j["traffic"]["tuples"] == f, "traffic.tuples %d != %d" % (j["traffic"]["tuples"], f))
    for i, r in enumerate(rows):
        # Packet i: the signature's number i, the odometer's tuple i mod F.
        st = sig_of(r["data.data"])
        check(st == (0, i), "frame %d: signature %r" % (i, st))
        check(tuple_of(r, v6) == expect[i % f], "frame %d: tuple %r, not %r" %
              (i, tuple_of(r, v6), expect[i % f]))
        check(r["_ws.expert.message"] == "", "frame %d: %s" % (i, r["_ws.expert.message"]))
        if v6:
            check(r["udp.checksum.status"] == "1", "frame %d: UDP checksum %r" %
                  (i, r["udp.checksum.status"]))
            check(r["ip.src"] == "", "IPv4 in an IPv6 flow")
        else:
            check(r["ip.checksum.status"] == "1", "frame %d: IPv4 checksum" % i)
            check(r["udp.checksum.status"] == "3", "frame %d: UDP checksum over IPv4" % i)
        l3 = 40 if v6 else 20
        flen = int(r["frame.len"])
        check(flen + 4 in sizes, "frame %d: %d bytes" % (i, flen))
        check(int(r["udp.length"]) == flen - 14 - l3, "frame %d: UDP length" % i)
    # Each flow N/F times (N a multiple of F here).
    counts = {}
    for r in rows:
        counts[tuple_of(r, v6)] = counts.get(tuple_of(r, v6), 0) + 1
    check(set(counts) == set(expect), "tuples seen %r" % sorted(counts))
    check(n % f == 0 and all(c == n // f for c in counts.values()),
          "per flow %r, want %d each" % (sorted(counts.values()), n // f))
    return rows


def flow_capture_v4(tmp):
    eal, path = pcap_eal(tmp, "v4")
    spec = "src=198.18.0.254-198.18.0.255,dst=198.19.0.1,sport=1000-1002,dport=7-8"
    j = trial(tmp, eal, ["--rate=12kpps", "--duration=1", "--drain=0.1", "--throttle=100",
                         "--tx-port=0", "--rx-port=1", "--flow=" + spec], "v4")
    check(j["tx"]["intended"] == 12000 and j["tx"]["offered"] == 12000,
          "intended %d offered %d" % (j["tx"]["intended"], j["tx"]["offered"]))
    expect = odometer(["198.18.0.254", "198.18.0.255"], ["198.19.0.1"], [1000, 1001, 1002],
                      [7, 8])
    check_flow_capture(j, path, False, expect, {64})


def flow_capture_v6(tmp):
    eal, path = pcap_eal(tmp, "v6")
    spec = "src=2001:db8::ffff-2001:db8::1:0,dst=2001:db8:1::1-2001:db8:1::3,sport=9,dport=5000"
    j = trial(tmp, eal, ["--rate=6kpps", "--duration=1", "--drain=0.1", "--throttle=100",
                         "--tx-port=0", "--rx-port=1", "--frame-size=84:1,1518:1",
                         "--flow=" + spec], "v6")
    check(j["tx"]["offered"] == 6000, "offered %d" % j["tx"]["offered"])
    expect = odometer(["2001:db8::ffff", "2001:db8::1:0"],
                      ["2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3"], [9], [5000])
    rows = check_flow_capture(j, path, True, expect, {84, 1518})
    sizes = [int(r["frame.len"]) + 4 for r in rows]
    check(sizes.count(84) == 3000 and sizes.count(1518) == 3000, "sizes %d/%d" %
          (sizes.count(84), sizes.count(1518)))


def flow_rand(tmp):
    spec = "src=198.18.0.0-198.18.0.9,dst=198.19.0.1,sport=1-20,dport=100-104,vary=rand"
    seqs = []
    for k, seed in enumerate(["7", "7", "8"]):
        eal, path = pcap_eal(tmp, "rand%d" % k)
        j = trial(tmp, eal, ["--rate=5kpps", "--duration=1", "--drain=0.1", "--throttle=100",
                             "--tx-port=0", "--rx-port=1", "--flow=" + spec,
                             "--flow-seed=" + seed], "rand%d" % k)
        check(j["traffic"]["seed"] == int(seed), "seed")
        rows = rows_of(path)
        check(len(rows) == j["tx"]["offered"] == 5000, "frames %d" % len(rows))
        tup = [tuple_of(r, False) for r in rows]
        for t in tup:
            check(ipaddress.IPv4Address("198.18.0.0") <= ipaddress.IPv4Address(t[0]) <=
                  ipaddress.IPv4Address("198.18.0.9"), "src %s out of range" % t[0])
            check(1 <= t[2] <= 20 and 100 <= t[3] <= 104 and t[1] == "198.19.0.1",
                  "tuple %r" % (t,))
        for r in rows:
            check(r["ip.checksum.status"] == "1" and r["_ws.expert.message"] == "", "checksum")
        # Coverage: 1000 tuples, 5000 draws: every src, sport and dport value seen.
        check(len({t[0] for t in tup}) == 10 and len({t[2] for t in tup}) == 20 and
              len({t[3] for t in tup}) == 5, "coverage")
        # Not the odometer.
        check(tup[:20] != odometer([tup[0][0]], ["198.19.0.1"], range(1, 21), [tup[0][3]]),
              "vary=rand walked in order")
        seqs.append(tup)
    check(seqs[0] == seqs[1], "the same seed gave other tuples")
    same = sum(1 for a, b in zip(seqs[0], seqs[2]) if a == b)
    check(same < 50, "another seed gave the same tuples (%d of 5000)" % same)


def flow_ring_v6(tmp):
    # End to end over net_ring: IPv6 frames sent, read back, every one accounted for.
    j = trial(tmp, ["--vdev=net_ring0"], ["--rate=20kpps", "--duration=1", "--drain=0.2",
                                          "--throttle=100", "--frame-size=84-300",
                                          "--flow=src=2001:db8::1-2001:db8::8,dst=2001:db8::ff,"
                                          "sport=1000-1099"], "ring6")
    tx, rx = j["tx"], j["rx"]
    check(tx["offered"] == tx["intended"] == 20000, "offered %d" % tx["offered"])
    check(j["ports"]["tx"]["opackets"] == tx["offered"], "opackets")
    check(j["ports"]["rx"]["ipackets"] == rx["received"], "ipackets %d != received %d" %
          (j["ports"]["rx"]["ipackets"], rx["received"]))
    check(rx["received"] == tx["offered"] and rx["lost"] == 0 and rx["unsigned"] == 0,
          "received %d lost %d unsigned %d" % (rx["received"], rx["lost"], rx["unsigned"]))
    check(j["latency_ns"]["count"] == rx["received"], "histogram count")
    check(j["traffic"]["family"] == 6 and j["traffic"]["tuples"] == 800, "traffic %r" %
          j["traffic"])


def flow_search_v6(tmp):
    # IPv6 flows in another mode: a search against the --rx-capacity-pps model (20 kpps);
    # every trial's frames read back as signed IPv6 (none unsigned), the ports agree.
    js = os.path.join(tmp, "search6.json")
    p = bench(["--vdev=net_ring0"], [
        "--max-load=100kpps", "--rx-capacity-pps=20000", "--duration=0.5",
        "--initial-duration=0.1", "--drain=0.05", "--loss-ratio=0", "--goal-width=0.02",
        "--throttle=50", "--stats-period=0", "--frame-size=84",
        "--flow=src=2001:db8::1-2001:db8::4,dst=2001:db8::ff", "--json=" + js, "search"],
        "search6", timeout=120)
    check(p.returncode == 0, "exit %d" % p.returncode)
    with open(js) as f:
        j = json.load(f)
    check(j["config"]["traffic"]["family"] == 6, "family")
    for t in j["trials"]:
        check(t["rx"]["unsigned"] == 0 and t["rx"]["received"] > 0 and t["ports"]["agree"],
              "trial %d: unsigned %d received %d" % (t["index"], t["rx"]["unsigned"],
                                                     t["rx"]["received"]))
    g = j["search"]["goals"][0]
    check(g["result"] == "regular" and 20000 * 0.97 <= g["lower_bound_pps"] <= 20000 * 1.01,
          "search: %r" % g)


# ---- --pcap-replay -------------------------------------------------------------------------

def replay_file(tmp):
    """A file of every kind; returns (path, records, kept, signable flags)."""
    pay = lambda n, c: bytes([c]) * n
    T = [0, 10, 30, 31, 80, 200, 200, 350]      # ms
    frames = [
        ipv4_udp("198.18.0.1", "198.19.0.1", 1000, 2000, pay(100, 0xaa)),            # signed
        ipv6_udp("2001:db8::1", "2001:db8::2", 1001, 2001, pay(200, 0xbb)),          # signed
        ipv4_udp("198.18.0.1", "198.19.0.1", 1002, 2002, pay(40, 0xcc), proto=6),   # TCP
        arp(),                                                                       # ARP
        ipv4_udp("198.18.0.1", "198.19.0.1", 1003, 2003, pay(10, 0xdd)),             # short
        ipv4_udp("198.18.0.1", "198.19.0.1", 1004, 2004, pay(18, 0xee), udp_ck=True),  # signed
        ipv6_udp("2001:db8::1", "2001:db8::2", 1005, 2005, pay(8000, 0x11)),  # signed, jumbo
        ipv4_udp("198.18.0.1", "198.19.0.1", 1006, 2006, pay(600, 0x22), udp_ck=True),  # signed
    ]
    signable = [True, True, False, False, False, True, True, True]
    t0 = 1700000000 * 10**9
    recs = [(t0 + t * 10**6, b) for t, b in zip(T, frames)]
    path = os.path.join(tmp, "in.pcap")
    write_pcap(path, recs)
    return path, recs, signable


def check_replayed(j, out, recs, signable, stream=0):
    got = read_pcap(out)
    check(len(got) == len(recs) == j["tx"]["offered"], "replayed %d of %d, offered %d" %
          (len(got), len(recs), j["tx"]["offered"]))
    rows = tshark(out, ["udp.checksum.status", "ip.checksum.status", "_ws.expert.message"])
    seq = 0
    for i, ((_, want), (_, b), r) in enumerate(zip(recs, got, rows)):
        check(len(b) == len(want), "frame %d: %d bytes, not %d" % (i, len(b), len(want)))
        if not signable[i]:
            check(b == want, "frame %d (unsigned) changed" % i)
            continue
        # The signature at the start of the UDP payload, the checksum right, the rest kept.
        l4 = 14 + (40 if want[12:14] == b"\x86\xdd" else 20)
        st = sig_of(b[l4 + 8:l4 + 8 + 18].hex())
        check(st == (stream, seq), "frame %d: signature %r, not %r" % (i, st, (stream, seq)))
        seq += 1
        check(b[:l4 + 6] == want[:l4 + 6] and b[l4 + 8 + 18:] == want[l4 + 8 + 18:],
              "frame %d: bytes beyond the signature changed" % i)
        check(r[0] in ("1", "3") and "Bad" not in r[2], "frame %d: checksum %r" % (i, r))
        check((r[0] == "1") == (want[l4 + 6:l4 + 8] != b"\0\0"),
              "frame %d: UDP checksum presence changed" % i)
    rp = j["traffic"]["replay"]
    check(rp["offered_signed"] == seq == sum(signable), "offered_signed %d" % rp["offered_signed"])
    check(rp["offered_unsigned"] == len(recs) - seq, "offered_unsigned")
    check(rp["records"] == rp["frames"] == len(recs), "records/frames")
    return got


def replay_file_timing(tmp):
    src, recs, signable = replay_file(tmp)
    for mult in (1, 2):
        eal, out = pcap_eal(tmp, "rf%d" % mult)
        args = ["--pcap-replay=" + src, "--drain=0.1", "--throttle=100", "--tx-port=0",
                "--rx-port=1"]
        if mult != 1:
            args.append("--replay-multiplier=%d" % mult)
        j = trial(tmp, eal, args, "rf%d" % mult)
        got = check_replayed(j, out, recs, signable)
        check(j["traffic"]["replay"]["timing"] == "file", "timing")
        # What it said it would do: the file's 350 ms (divided by the multiplier).
        check("for %.3f s on port" % (0.35 / mult) in j["_stderr"], "the announced length")
        # The inter-departure times that net_pcap stamped against the file's (divided by
        # the multiplier): within 5 ms each, so a file timing is kept, not a rate's.
        tol = 5 * 10**6
        for i in range(1, len(recs)):
            want = (recs[i][0] - recs[i - 1][0]) // mult
            gap = got[i][0] - got[i - 1][0]
            print("gap %d: %.3f ms (file %.3f ms)" % (i, gap / 1e6, want / 1e6))
            check(abs(gap - want) <= tol, "gap %d: %.3f ms, the file's %.3f ms" %
                  (i, gap / 1e6, want / 1e6))
        span = got[-1][0] - got[0][0]
        check(abs(span - 350e6 / mult) <= tol, "span %.3f ms" % (span / 1e6))


def replay_rate(tmp):
    # 50 frames stamped 200 ms apart in the file, sent at 1 kpps: 49 ms, not 9.8 s.
    t0 = 1700000000 * 10**9
    recs = [(t0 + i * 200 * 10**6, ipv4_udp("198.18.0.1", "198.19.0.1", 1000 + i, 9, bytes(50)))
            for i in range(50)]
    src = os.path.join(tmp, "rate.pcap")
    write_pcap(src, recs)
    eal, out = pcap_eal(tmp, "rr")
    j = trial(tmp, eal, ["--pcap-replay=" + src, "--replay-timing=rate", "--rate=1kpps",
                         "--drain=0.1", "--throttle=100", "--tx-port=0", "--rx-port=1"], "rr")
    got = check_replayed(j, out, recs, [True] * 50)
    span = got[-1][0] - got[0][0]
    check(abs(span - 49e6) <= 5e6, "50 frames at 1 kpps took %.3f ms" % (span / 1e6))
    check(j["traffic"]["replay"]["timing"] == "rate", "timing")


def replay_ring(tmp):
    # End to end: signed frames received, unsigned counted apart, nothing lost.
    src, recs, signable = replay_file(tmp)
    j = trial(tmp, ["--vdev=net_ring0"], ["--pcap-replay=" + src, "--drain=0.2",
                                          "--throttle=100"], "rring")
    tx, rx, rp = j["tx"], j["rx"], j["traffic"]["replay"]
    check(tx["offered"] == len(recs) and j["ports"]["tx"]["opackets"] == len(recs), "offered")
    check(rx["received"] == rp["offered_signed"] == sum(signable), "received %d" % rx["received"])
    check(rx["unsigned"] == rp["offered_unsigned"] == len(recs) - sum(signable),
          "unsigned %d" % rx["unsigned"])
    check(rx["lost"] == 0 and rx["account_consistent"], "lost %d" % rx["lost"])
    check(j["loss_ratio"] == 0, "loss_ratio")
    check(j["ports"]["rx"]["ipackets"] == rx["received"] + rx["unsigned"], "ipackets")


def traffic_bad_args(tmp):
    src, _, _ = replay_file(tmp)
    cut = os.path.join(tmp, "cut.pcap")
    with open(src, "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[:len(data) - 7])
    text = os.path.join(tmp, "text.pcap")
    with open(text, "w") as f:
        f.write("not a capture\n")
    v6 = "--flow=src=2001:db8::1,dst=2001:db8::2"
    cases = [
        (["--rate=1kpps", "--flow=src=198.18.0.1"], "--flow"),
        (["--rate=1kpps", "--flow=src=198.18.0.1,dst=2001:db8::1"], "--flow"),
        (["--rate=1kpps", "--flow=src=198.18.0.1,dst=198.19.0.1,vary=up"], "--flow"),
        (["--rate=1kpps", "--flow=src=198.18.0.9-198.18.0.1,dst=198.19.0.1"], "--flow"),
        (["--rate=1kpps", "--flow=src=198.18.0.1,dst=198.19.0.1,sport=0"], "--flow"),
        (["--rate=1kpps", v6], "84"),                             # the default 64
        (["--rate=1kpps", v6, "--frame-size=83"], "84"),
        (["--rate=1kpps", v6, "--frame-size=imix"], "84"),
        (["--rate=1kpps", v6, "--frame-size=100", "--frame-sizes=64,128"], "84"),
        (["--rate=1kpps", "--flow-seed=3"], "vary=rand"),
        (["--pcap-replay=" + os.path.join(tmp, "nope.pcap")], "No such file"),
        (["--pcap-replay=" + cut], "truncated or corrupt"),
        (["--pcap-replay=" + text], "not a pcap"),
        (["--pcap-replay=" + tmp], "directory"),
        (["--pcap-replay=" + src, "--rate=1kpps"], "replay-timing=rate"),
        (["--pcap-replay=" + src, "--replay-timing=rate"], "needs --rate"),
        (["--pcap-replay=" + src, "--replay-timing=fast"], "replay-timing"),
        (["--pcap-replay=" + src, "--replay-multiplier=0"], "multiplier"),
        (["--pcap-replay=" + src, "--flow=src=198.18.0.1,dst=198.19.0.1"], "one traffic"),
        (["--rate=1kpps", "--replay-timing=file"], "only with --pcap-replay"),
    ]
    cases = [(a + ["run"] if "--frame-sizes=64,128" not in a else a + ["rfc2544"], w)
             for a, w in cases]
    cases.append((["--pcap-replay=" + src, "--rate=1kpps", "search"], "MODE run only"))
    check_usage_errors(bench, cases)


def traffic_help(tmp):
    p = subprocess.run([BIN, "--help"], capture_output=True, text=True)
    check(p.returncode == 0, "--help exit")
    for o in ("--flow", "--flow-seed", "--pcap-replay", "--replay-timing",
              "--replay-multiplier"):
        check(o + "=" in p.stdout, "--help does not mention %s" % o)


with tempfile.TemporaryDirectory(prefix="lcxbt-") as TMP:
    globals()[CASE](TMP)
print("PASS")
