#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration tests of lcx-pmd: python3 pmd_test.py PATH-TO-LCX-PMD CASE.

Each case runs lcx-pmd for a second or two on virtual devices (--no-huge,
--no-pci) and checks exact counts from --json, the packets it wrote
(net_pcap) or what the control socket answers. Exit 0 pass, 1 fail, 77 skip.
"""

import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ctl_common  # noqa: E402
import jsondoc  # noqa: E402
import statsjson  # noqa: E402

PMD = None
CASE = None
TMP = None


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def eal(case, *vdevs, lcores="0,1"):
    lc = ["--lcores=" + lcores] if "@" in lcores else ["-l", lcores]
    args = lc + ["--no-huge", "-m", "512", "--no-pci",
            "--file-prefix=lcxpmd_" + case + os.environ.get("LCX_TEST_TAG", ""), "--log-level=lib.eal:warning"]
    for v in vdevs:
        args.append("--vdev=" + v)
    return args


def run(args, timeout=30, check_rc=0):
    """Run lcx-pmd to its end; return (rc, stdout, stderr)."""
    p = subprocess.run([PMD] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, text=True)
    if check_rc is not None and p.returncode != check_rc:
        raise Fail("lcx-pmd %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s" %
                   (" ".join(args), p.returncode, check_rc, p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


def run_json(args, timeout=30):
    path = os.path.join(TMP, "out.json")
    if os.path.exists(path):
        os.unlink(path)
    rc, out, err = run(args + ["--json=" + path], timeout=timeout)
    with open(path) as f:
        return json.load(f), out, err


# --- pcap files ---

def pcap_write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, i, len(fr), len(fr)))
            f.write(fr)


def pcap_read(path):
    frames = []
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= 24, "%s: no pcap header" % path)
    magic = struct.unpack("<I", data[:4])[0]
    check(magic in (0xa1b2c3d4, 0xa1b23c4d), "%s: bad pcap magic %x" % (path, magic))
    off = 24
    while off < len(data):
        _, _, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ipv4(src, dst, proto, payload, frag=0, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, data, src, dst):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = bytes(src) + bytes(dst) + struct.pack("!BBH", 0, 17, len(u))
    c = csum(pseudo + u) or 0xffff
    return u[:6] + struct.pack("!H", c) + u[8:]


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


A = mac("02:aa:00:00:00:01")
B = mac("02:bb:00:00:00:02")
IP1 = [198, 18, 20, 1]
IP2 = [198, 18, 20, 2]


def udp4_frame(i, size=0):
    data = bytes((i + k) & 0xff for k in range(18 + size))
    return eth(B, A, 0x0800, ipv4(IP1, IP2, 17, udp(1000 + i, 2000 + i, data, IP1, IP2), ident=i))


def frames_mixed(n_udp):
    """n_udp UDP/IPv4 frames of varied sizes, then one of each kind udpecho does not echo,
    and the UDP kinds it does (IPv6, VLAN)."""
    fr = [udp4_frame(i, size=(i * 37) % 1400) for i in range(n_udp)]
    echo = [True] * n_udp
    # ARP
    fr.append(eth(mac("ff:ff:ff:ff:ff:ff"), A, 0x0806, bytes(28))); echo.append(False)
    # TCP
    fr.append(eth(B, A, 0x0800, ipv4(IP1, IP2, 6, bytes(20)))); echo.append(False)
    # an IPv4 fragment (more fragments)
    fr.append(eth(B, A, 0x0800, ipv4(IP1, IP2, 17, bytes(16), frag=0x2000))); echo.append(False)
    # cut short: IPv4 header announced, 10 bytes there
    fr.append(eth(B, A, 0x0800, bytes(10))); echo.append(False)
    # IPv6 UDP
    s6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1])
    d6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2])
    u = struct.pack("!HHHH", 5000, 6000, 8 + 4, 0) + b"ping"
    fr.append(eth(B, A, 0x86dd, struct.pack("!IHBB", 0x60000000, len(u), 17, 64) + s6 + d6 + u))
    echo.append(True)
    # VLAN-tagged UDP/IPv4
    inner = ipv4(IP1, IP2, 17, udp(7, 8, b"vlan", IP1, IP2))
    fr.append(B + A + struct.pack("!HHH", 0x8100, 100, 0x0800) + inner)
    echo.append(True)
    return fr, echo


def udpecho_expect(f):
    """What udpecho sends back for frame f."""
    b = bytearray(f)
    b[0:6], b[6:12] = f[6:12], f[0:6]
    off = 14
    etype = struct.unpack("!H", f[12:14])[0]
    if etype == 0x8100:
        etype = struct.unpack("!H", f[16:18])[0]
        off = 18
    if etype == 0x0800:
        ihl = (f[off] & 0xf) * 4
        b[off + 12:off + 16], b[off + 16:off + 20] = f[off + 16:off + 20], f[off + 12:off + 16]
        u = off + ihl
    else:
        b[off + 8:off + 24], b[off + 24:off + 40] = f[off + 24:off + 40], f[off + 8:off + 24]
        u = off + 40
    b[u:u + 2], b[u + 2:u + 4] = f[u + 2:u + 4], f[u:u + 2]
    return bytes(b)


# --- cases ---

def pcap_case(mode, extra=(), n_udp=200):
    frames, echo = frames_mixed(n_udp)
    inp = os.path.join(TMP, "in.pcap")
    outp = os.path.join(TMP, "out.pcap")
    pcap_write(inp, frames)
    args = eal(CASE, "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, outp)) + \
        ["--", "--forward-mode=" + mode, "--duration=1"] + list(extra)
    j, out, err = run_json(args)
    got = pcap_read(outp)
    p = j["ports"][0]
    check(p["rx_packets"] == len(frames), "rx_packets %d != %d" % (p["rx_packets"], len(frames)))
    check(p["rx_missed"] == 0 and p["tx_dropped"] == 0, "drops: %s" % p)
    return frames, echo, got, j



def case_default_prefix():
    """Two lcx-pmd on the EAL's default prefix: the second says which --file-prefix to give
    (never "cannot initialise the EAL: Success") and the first runs on."""
    a = subprocess.Popen([PMD, "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
                          "--vdev=net_null0", "--", "--duration=4"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    if a.poll() is not None:
        sys.exit(77)  # someone else holds "rte": nothing to check here
    b = subprocess.run([PMD, "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
                        "--vdev=net_null1", "--", "--duration=1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    a.communicate(timeout=30)
    check(b.returncode != 0 and "--file-prefix=" in b.stderr and "Success" not in b.stderr,
          f"second run: exit {b.returncode}: {b.stderr[-500:]}")
    check(a.returncode == 0, f"first run: exit {a.returncode}")

def case_io_pcap():
    frames, _, got, j = pcap_case("io")
    check(j["ports"][0]["tx_packets"] == len(frames), "tx_packets %d" % j["ports"][0]["tx_packets"])
    check(got == frames, "io changed packets or their order (%d in, %d out)" %
          (len(frames), len(got)))


def case_mac_pcap():
    peer = "02:11:22:33:44:55"
    frames, _, got, j = pcap_case("mac", extra=["--eth-peer=0," + peer])
    port_mac = mac(j["ports"][0]["mac"])
    check(len(got) == len(frames), "%d out for %d in" % (len(got), len(frames)))
    for i, (a, b) in enumerate(zip(frames, got)):
        check(b[0:6] == mac(peer), "packet %d: dst %s" % (i, b[0:6].hex()))
        check(b[6:12] == port_mac, "packet %d: src %s, port %s" % (i, b[6:12].hex(),
                                                                  port_mac.hex()))
        check(b[12:] == a[12:], "packet %d: payload changed" % i)


def case_macswap_pcap():
    frames, _, got, j = pcap_case("macswap")
    check(len(got) == len(frames), "%d out for %d in" % (len(got), len(frames)))
    for i, (a, b) in enumerate(zip(frames, got)):
        check(b[0:6] == a[6:12] and b[6:12] == a[0:6] and b[12:] == a[12:],
              "packet %d not swapped" % i)


def case_udpecho_pcap():
    frames, echo, got, j = pcap_case("udpecho")
    want = [udpecho_expect(f) for f, e in zip(frames, echo) if e]
    p = j["ports"][0]
    check(p["tx_packets"] == len(want), "tx_packets %d != %d" % (p["tx_packets"], len(want)))
    check(p["ignored"] == len(frames) - len(want), "ignored %d" % p["ignored"])
    check(got == want, "echoed packets differ from the expected swap")
    # The swap keeps the IPv4 header checksum valid.
    for g in got:
        if g[12:14] == b"\x08\x00":
            check(csum(g[14:34]) == 0, "bad IPv4 checksum after the swap")


def case_rxonly_pcap():
    frames, _, got, j = pcap_case("rxonly")
    check(j["ports"][0]["tx_packets"] == 0 and got == [], "rxonly sent packets")


def gen_case(mode, count, extra=()):
    empty = os.path.join(TMP, "empty.pcap")
    outp = os.path.join(TMP, "out.pcap")
    pcap_write(empty, [])
    peer = "02:de:ad:be:ef:01"
    args = eal(CASE, "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty, outp)) + \
        ["--", "--forward-mode=" + mode, "--duration=1", "--tx-count=%d" % count,
         "--txpkts=100", "--eth-peer=0," + peer] + list(extra)
    j, out, err = run_json(args)
    got = pcap_read(outp)
    p = j["ports"][0]
    check(p["tx_packets"] == count, "tx_packets %d != %d" % (p["tx_packets"], count))
    check(len(got) == count, "%d packets written, expected %d" % (len(got), count))
    for i, g in enumerate(got):
        check(len(g) == 100, "packet %d: %d bytes, expected 100" % (i, len(g)))
        check(g[0:6] == mac(peer), "packet %d: dst %s" % (i, g[0:6].hex()))
        check(g[6:12] == mac(p["mac"]), "packet %d: src is not the port's MAC" % i)
        check(g[12:14] == b"\x08\x00" and g[14] == 0x45 and g[23] == 17,
              "packet %d: not UDP/IPv4" % i)
        check(csum(g[14:34]) == 0, "packet %d: bad IPv4 checksum" % i)
        check(struct.unpack("!H", g[16:18])[0] == 86, "packet %d: IP length" % i)
        check(struct.unpack("!HHH", g[34:40]) == (9, 9, 66), "packet %d: UDP header" % i)
        check(g[26:30] == bytes([198, 18, 0, 1]), "packet %d: source address" % i)
    return got, j


def case_txonly_pcap():
    got, _ = gen_case("txonly", 1000)
    for i, g in enumerate(got):
        check(g[30:34] == bytes([198, 18, 0, 2]), "packet %d: destination address" % i)


def case_flowgen_pcap():
    got, _ = gen_case("flowgen", 1000, extra=["--flowgen-flows=7"])
    for i, g in enumerate(got):
        want = bytes([198, 18, 0, 2 + i % 7])
        check(g[30:34] == want, "packet %d: destination %s, expected %s" %
              (i, g[30:34].hex(), want.hex()))


def case_txonly_rate():
    # 2000 packets at 4000 pps: about half a second, not all at once.
    empty = os.path.join(TMP, "empty.pcap")
    outp = os.path.join(TMP, "out.pcap")
    pcap_write(empty, [])
    args = eal(CASE, "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty, outp)) + \
        ["--", "--forward-mode=txonly", "--duration=0.25", "--tx-rate-pps=4000"]
    j, _, _ = run_json(args)
    n, d = j["ports"][0]["tx_packets"], j["duration_s"]
    check(abs(n - 4000 * d) <= 4000 * 0.02 + 64, "sent %d in %.3f s at 4000 pps" % (n, d))
    check(len(pcap_read(outp)) == n, "pcap holds a different count")


def ring_loop_case(mode, nports):
    vdevs = ["net_ring%d" % i for i in range(nports)]
    args = eal(CASE, *vdevs) + ["--", "--forward-mode=" + mode, "--duration=1", "--tx-first",
                                "--burst=32"]
    j, out, err = run_json(args)
    rx = sum(p["rx_packets"] for p in j["ports"])
    tx = sum(p["tx_packets"] for p in j["ports"])
    missed = sum(p["rx_missed"] for p in j["ports"])
    # Every stream seeded one burst; at the end exactly those sit in the rings, and the
    # stop frees them: counted as missed in the summary (they were not before).
    check(sum(p["tx_dropped"] for p in j["ports"]) == 0, "drops: %s" % j["ports"])
    check(tx - rx == 32 * nports, "tx %d - rx %d != %d seeded" % (tx, rx, 32 * nports))
    check(missed == tx - rx, "rx_missed %d: the %d frames left in the rings at the stop" %
          (missed, tx - rx))
    check(rx > 10000, "only %d packets went round" % rx)
    return j


def case_config():
    """--config=FILE (apps/common/config.c): the file's EAL words and options drive the run
    (the packets net_pcap wrote: count and the 7 flowgen destinations); --tx-count on the
    command line replaces the file's; a bad value names FILE:LINE, exit 2."""
    empty = os.path.join(TMP, "empty.pcap")
    outp = os.path.join(TMP, "out.pcap")
    conf = os.path.join(TMP, "pmd.conf")
    pcap_write(empty, [])
    words = " ".join("'%s'" % a for a in eal(CASE, "net_pcap0,rx_pcap=%s,tx_pcap=%s" %
                                                   (empty, outp)))
    text = ("# lcx-pmd\n"
            "eal = %s\n"
            "forward-mode = flowgen\n"
            "duration = 1\n"
            "tx-count = 500\n"
            "txpkts = 100\n"
            "eth-peer = 0,02:de:ad:be:ef:01\n"
            "flowgen-flows = 7\n" % words)
    with open(conf, "w") as f:
        f.write(text)
    os.chmod(conf, 0o600)
    for extra, n in (([], 500), (["--tx-count=300"], 300)):
        if os.path.exists(outp):
            os.unlink(outp)
        j, out, err = run_json(["--config=" + conf, "--"] + extra)
        got = pcap_read(outp)
        said = j["ports"][0]["tx_packets"]
        check(len(got) == n and said == n,
              "%d packets written (%d said), expected %d" % (len(got), said, n))
        dsts = {g[30:34] for g in got}
        check(dsts == {bytes([198, 18, 0, 2 + i]) for i in range(7)},
              "destinations %s" % sorted(d.hex() for d in dsts))
        if extra:
            check("--tx-count on the command line replaces %s:5" % conf in err,
                  "no word for the replaced line: %s" % err)
    with open(conf, "a") as f:
        f.write("burst = 0x20\n")
    rc, out, err = run(["--config=" + conf], check_rc=2)
    check("%s:9: " % conf in err and "0x20" in err, "bad value: %s" % err)


def case_io_ring():
    ring_loop_case("io", 2)


def case_mac_ring():
    ring_loop_case("mac", 1)


def case_macswap_ring():
    ring_loop_case("macswap", 2)


def case_json_keys():
    j, out, err = run_json(eal(CASE, "net_null0", "net_null1") +
                           ["--", "--duration=0.5", "--throttle-us=200"])
    for k in ("duration_s", "rx_pps", "tx_pps", "cpu_seconds", "ports", "contexts",
              "forward_mode", "throttle_us", "stop_reason"):
        check(k in j, "no key %s" % k)
    check(j["stop_reason"] == "duration", "stop_reason %s" % j["stop_reason"])
    check(0.45 < j["duration_s"] < 2.0, "duration_s %s" % j["duration_s"])
    check(len(j["ports"]) == 2, "ports: %d" % len(j["ports"]))
    for p in j["ports"]:
        for k in ("rx_packets", "tx_packets", "rx_missed", "rx_nombuf", "tx_dropped"):
            check(isinstance(p.get(k), int), "port: no integer %s" % k)
        check(p["rx_packets"] > 0 and p["tx_packets"] > 0, "net_null moved nothing")
    check(j["rx_pps"] > 0 and abs(j["rx_pps"] - sum(p["rx_packets"] for p in j["ports"]) /
                                  j["duration_s"]) < 1 + 1e-6 * j["rx_pps"], "rx_pps")
    fwd = [c for c in j["contexts"] if c["role"] == "forward"]
    check(len(fwd) == 1 and fwd[0]["lcore"] == 1, "contexts: %s" % j["contexts"])
    for c in j["contexts"]:
        for k in ("lcore", "busy_pct", "parked_pct", "reacts", "timer_late_p50_ns",
                  "timer_late_p99_ns", "timer_late_max_ns"):
            check(k in c, "context: no key %s" % k)
    check(fwd[0]["throttle_us"] == 200 and fwd[0]["reacts"] > 100, "fwd context %s" % fwd[0])
    # Busy forwarding used CPU (how much depends on what else runs on the machine),
    # never more than the machine has.
    ncpu = os.cpu_count() or 1
    check(0 < j["cpu_seconds"] <= j["duration_s"] * ncpu + 0.05, "cpu_seconds %s" %
          j["cpu_seconds"])
    check(abs(j["cpu_cores"] - j["cpu_seconds"] / j["duration_s"]) < 0.01, "cpu_cores")
    check("RX-packets" in out and "stopped by duration" in out, "final table missing")


DOC_PMD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "doc",
                       "pmd.md")


def case_json_doc():
    """Every key of real summaries (io on net_null; txonly paced; the control
    socket's stats reply) is in doc/pmd.md's "JSON summary, field by field"
    with its type, and every row not marked "only" is in them; the checker
    itself finds a key left out of the doc."""
    j1, _, _ = run_json(eal(CASE, "net_null0", "net_null1") + ["--", "--duration=0.3"])
    j2, _, _ = run_json(eal(CASE + "_p", "net_null0") +
                        ["--", "--forward-mode=txonly", "--duration=0.3", "--tx-rate-pps=10000"])
    check("tx_pacing" in j2, "no tx_pacing with --tx-rate-pps")
    ctl = os.path.join(TMP, "doc.sock")
    p = start_bg(eal(CASE + "_c", "net_null0", "net_null1") +
                 ["--", "--control=" + ctl, "--duration=20"])
    try:
        wait_path(ctl, p)
        st = ctl_common.request(ctl, {"cmd": "stats"})
        ctl_common.request(ctl, {"cmd": "stop"})
        p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    for j in (j1, j2, st):
        check(j.get("schema") == "lcx-pmd" and j.get("schema_version") == 1,
              "schema: %s %s" % (j.get("schema"), j.get("schema_version")))
    check(st["ok"] is True and st["running"] is True and st["stop_reason"] is None,
          "stats reply: %s" % st)
    ctl_keys = ["ok", "control"] + ["control." + k for k in st["control"]]
    problems = jsondoc.check(DOC_PMD, [j1, j2, st], ignore=ctl_keys)
    check(not problems, "doc/pmd.md and the summary disagree:\n  " + "\n  ".join(problems))
    # The control socket's counters: doc/control.md names each.
    ctl_doc = open(os.path.join(os.path.dirname(DOC_PMD), "control.md")).read()
    sec = ctl_doc[ctl_doc.index("## The server's counters"):]
    sec = sec[:sec.index("\n## ", 4)]
    for k in st["control"]:
        check("`%s`" % k in sec, "control.%s not in doc/control.md's counters" % k)
    # The checker can fail: a key and a type the doc does not have.
    bad = dict(j1, undocumented_key=1)
    check(any("undocumented_key" in x for x in jsondoc.check(DOC_PMD, [bad, j2, st],
                                                            ignore=ctl_keys)),
          "the checker missed an undocumented key")
    bad = dict(j1, rx_packets=1.5)
    check(any("rx_packets" in x for x in jsondoc.check(DOC_PMD, [bad, j2, st],
                                                       ignore=ctl_keys)),
          "the checker missed a wrong type")
    print("json_doc: %d documented fields; the summaries' keys and types agree" %
          len(jsondoc.doc_fields(DOC_PMD)))


PMD_TOTALS = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_missed", "rx_nombuf",
              "tx_dropped"]
PMD_RATES = {"rx_pps": ("rx_packets", 1), "tx_pps": ("tx_packets", 1),
             "rx_bps": ("rx_bytes", 8), "tx_bps": ("tx_bytes", 8)}
PMD_SUB = ("ports", "port", PMD_TOTALS, PMD_RATES)


def stats_json_run(args, period):
    """lcx-pmd with --stats-json: [(arrival, object)], stderr, the --json summary."""
    path = os.path.join(TMP, "sj.json")
    if os.path.exists(path):
        os.unlink(path)
    p = subprocess.Popen([PMD] + args + ["--stats-period=%s" % period, "--stats-json",
                                         "--json=" + path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timed = []
    t = statsjson.read_timed(p.stdout, timed)
    err = p.stderr.read()
    p.wait(timeout=60)
    t.join(10)
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, err))
    objs, problems = statsjson.parse(timed, "lcx-pmd.stats")
    check(not problems, "stdout:\n  " + "\n  ".join(problems))
    with open(path) as f:
        return objs, err, json.load(f)


def case_stats_json():
    """--stats-json: every stdout line is one JSON object; the totals never go down,
    each rate is the difference of two totals over dt_s, dt_s is the period and
    the distance between the lines' arrival by the test's clock; the final table
    goes to stderr. txonly of exactly N packets on a net_ring loop: the last line,
    the summary and N agree."""
    period = 0.2
    objs, err, j = stats_json_run(eal(CASE, "net_null0", "net_null1") +
                                  ["--", "--duration=1.3"], period)
    check(len(objs) >= 5, "%d lines in 1.3 s at %s s" % (len(objs), period))
    problems = statsjson.check(objs, PMD_TOTALS, dict(PMD_RATES, rx_missed_pps=(
        "rx_missed", 1), rx_nombuf_pps=("rx_nombuf", 1), tx_dropped_pps=("tx_dropped", 1)),
        period, sub=PMD_SUB)
    check(not problems, "net_null:\n  " + "\n  ".join(problems[:20]))
    check(objs[-1][1]["rx_packets"] > 0, "nothing forwarded")
    problems = jsondoc.check(DOC_PMD, [o for _, o in objs], heading="--stats-json, field by field")
    check(not problems, "doc/pmd.md and the lines disagree:\n  " + "\n  ".join(problems))
    check(objs[-1][1]["rx_packets"] <= j["rx_packets"], "the last line is past the summary")
    check("RX-packets" in err and "stopped by duration" in err, "final table not on stderr")
    # net_null keeps no byte count: the bits per second are null, not 0.
    check(objs[-1][1]["rx_bps"] is None and objs[-1][1]["ports"][0]["tx_bps"] is None,
          "bps of a device without byte counts: %s" % objs[-1][1]["rx_bps"])

    n = 20000
    objs, err, j = stats_json_run(eal(CASE + "_r", "net_ring0") +
                                  ["--", "--forward-mode=txonly", "--tx-count=%d" % n,
                                   "--txpkts=100", "--duration=1.0"], period)
    problems = statsjson.check(objs, PMD_TOTALS, PMD_RATES, period, sub=PMD_SUB)
    check(not problems, "net_ring:\n  " + "\n  ".join(problems[:20]))
    problems = jsondoc.check(DOC_PMD, [o for _, o in objs], heading="--stats-json, field by field")
    check(not problems, "doc/pmd.md and the lines disagree:\n  " + "\n  ".join(problems))
    last = objs[-1][1]
    check(last["tx_packets"] == n and last["rx_packets"] == n,
          "last line: tx %d rx %d, sent exactly %d" % (last["tx_packets"], last["rx_packets"], n))
    check(j["tx_packets"] == n and j["rx_packets"] == n,
          "summary: tx %d rx %d, sent exactly %d" % (j["tx_packets"], j["rx_packets"], n))
    # Usage: --stats-json alone.
    rc, out, err = run(["--", "--stats-json"], check_rc=2)
    check("--stats-json needs --stats-period" in err, "usage error: %s" % err)
    # The checks can fail: a rate 1 % off, a counter that goes down, a line late.
    bad = [(at, dict(o)) for at, o in objs]
    bad[1][1]["tx_pps"] = bad[1][1]["tx_pps"] * 1.01 + 1
    check(statsjson.check(bad, PMD_TOTALS, PMD_RATES, period), "a wrong rate passed")
    bad = [(at, dict(o)) for at, o in objs]
    bad[-1][1]["rx_packets"] = bad[-2][1]["rx_packets"] - 1
    check(statsjson.check(bad, PMD_TOTALS, {}, period), "a counter going down passed")
    bad = [(at + (0.3 if k == len(objs) - 1 else 0), o) for k, (at, o) in enumerate(objs)]
    check(statsjson.check(bad, PMD_TOTALS, {}, period), "a late line passed")
    print("stats_json: %d lines at %s s checked" % (len(objs), period))


LIVE_RE = re.compile(r"all rx ([0-9.]+) tx ([0-9.]+) Mpps \| L2 rx (\S+) tx (\S+) Gbps \| "
                     r"missed (\d+) nombuf (\d+) dropped (\d+) \| parked((?: [0-9.]+%)+) \| "
                     r"cpu ([0-9.]+)$")


def live_lines(out):
    """The live lines of stdout, parsed."""
    lines = []
    for line in out.splitlines():
        if "| all rx" in line:
            m = LIVE_RE.search(line)
            check(m is not None, "a live line not as documented: %r" % line)
            lines.append(m)
    return lines


def cpu_run(args, timeout=60):
    """Run lcx-pmd; (stdout, stderr, its CPU seconds by the kernel's account)."""
    before = __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN)
    rc, out, err = run(args, timeout=timeout)
    after = __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, err, cpu


def case_live_figures():
    """The live line's bits per second are pps x the frame size the test wrote x 8
    (net_pcap replaying fixed-size frames; L2: no preamble or gap), and n/a on
    net_null, which counts no bytes; parked % is near 100 for an idle throttled
    run and near 0 with --throttle-us=0, and the process's CPU time by the
    kernel's account agrees (low when parked, high when busy)."""
    size = 200
    pcap = os.path.join(TMP, "fixed.pcap")
    fr = udp4_frame(0, 0)
    fr = fr + bytes(size - len(fr))
    pcap_write(pcap, [fr] * 64)
    dev = "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null,infinite_rx=1" % pcap
    rc, out, err = run(eal(CASE, dev) + ["--", "--duration=1.1", "--stats-period=0.25"])
    lines = live_lines(out)
    check(len(lines) >= 3, "live lines:\n" + out)
    for m in lines:
        rx_mpps, tx_mpps = float(m.group(1)), float(m.group(2))
        rx_g, tx_g = float(m.group(3)), float(m.group(4))
        # Gbps = Mpps x size x 8 / 1000, each printed with 3 decimals. The packets
        # are lcx's count, the bytes the device's (read a few bursts apart while
        # the run goes on): 0.5 %; L1 would be 10 % more (20 B a frame of 200).
        for what, mpps, g in (("rx", rx_mpps, rx_g), ("tx", tx_mpps, tx_g)):
            want = mpps * size * 8 / 1000
            check(mpps > 0.01 and abs(g - want) <= 0.005 * want + 0.002,
                  "%s: %s Gbps, %s Mpps x %d B x 8 = %.4f" % (what, g, mpps, size, want))
    objs, err, j = stats_json_run(eal(CASE + "_j", dev) + ["--", "--duration=1.1"], 0.25)
    for _, o in objs:
        for what in ("rx", "tx"):
            want = o[what + "_pps"] * size * 8
            check(abs(o[what + "_bps"] - want) <= 0.005 * want + 1,
                  "%s_bps %s, %s_pps x %d x 8 = %s" % (what, o[what + "_bps"], what, size, want))
    check(j["ports"][0]["rx_bytes"] == j["ports"][0]["rx_packets"] * size,
          "summary: rx_bytes %d for %d frames of %d" % (j["ports"][0]["rx_bytes"],
                                                         j["ports"][0]["rx_packets"], size))
    # net_null counts no bytes: n/a, not 0.
    rc, out, err = run(eal(CASE + "_n", "net_null0", "net_null1") +
                       ["--", "--duration=0.6", "--stats-period=0.25"])
    for m in live_lines(out):
        check(m.group(3) == "n/a" and m.group(4) == "n/a", "net_null: %s" % m.group(0))

    # Parked: an idle net_ring (nothing sent) with a 1 ms throttle, then busy polling
    # net_null with --throttle-us=0.
    out, err, cpu = cpu_run(eal(CASE + "_i", "net_ring0") +
                            ["--", "--duration=1.6", "--stats-period=0.25",
                             "--throttle-us=1000"])
    lines = live_lines(out)
    check(len(lines) >= 4, "idle: live lines:\n" + out)
    idle = [float(m.group(8).split()[0].rstrip("%")) for m in lines[1:]]
    check(min(idle) >= 90, "idle throttled: parked %s" % idle)
    check(cpu / 1.6 < 0.3, "idle throttled: %.2f cores by the kernel's account" % (cpu / 1.6))
    out, err, cpu = cpu_run(eal(CASE + "_b", "net_null0", "net_null1") +
                            ["--", "--duration=1.6", "--stats-period=0.25", "--throttle-us=0"])
    lines = live_lines(out)
    parked = [float(m.group(8).split()[0].rstrip("%")) for m in lines]
    check(len(lines) >= 4 and max(parked) <= 1.0, "busy: parked %s" % parked)
    # Busy polling runs whenever it gets the CPU (the machine may be shared).
    check(cpu / 1.6 > 0.3, "busy: %.2f cores by the kernel's account" % (cpu / 1.6))
    print("live_figures: bps = pps x %d B x 8; parked %.1f%% idle, %.1f%% busy" %
          (size, min(idle), max(parked)))


def case_log_levels():
    """Messages go through rte_log as lcx.pmd: --log-level=lcx.pmd:warning hides the
    start notice and keeps an error; the default shows both; a command-line error
    (before the EAL) is on stderr whatever the level."""
    base = eal(CASE, "net_null0", "net_null1")
    rc, out, err = run(base + ["--", "--duration=0.2"])
    check("forwarding on 2 ports" in err, "default: no start notice:\n" + err)
    rc, out, err = run(base + ["--log-level=lcx.pmd:warning", "--", "--duration=0.2"])
    check("forwarding on" not in err, "lcx.pmd:warning: the notice is shown:\n" + err)
    check("stopped by duration" in out, "the final table is output, not a message:\n" + out)
    rc, out, err = run(base + ["--log-level=lcx.pmd:warning", "--", "--portlist=7"],
                       check_rc=2)
    check("--portlist: port 7 does not exist (2 ports: 0, 1)" in err,
          "an error at warning level:\n" + err)
    rc, out, err = run(base + ["--log-level=lcx.pmd:emerg", "--", "--portlist=7"], check_rc=2)
    check("--portlist" not in err, "lcx.pmd:emerg: the error is shown:\n" + err)
    rc, out, err = run(base + ["--log-level=lcx.pmd:emerg", "--", "--burst=0"], check_rc=2)
    check("--burst" in err, "a command-line error is not on stderr:\n" + err)
    print("log_levels: lcx.pmd's level filters its messages")


def case_mp_alloc():
    # auto packs the pool (IOVA is VA without hugepages); native is DPDK's layout;
    # both forward on a net_ring loop with exact counts.
    for layout, want in (("auto", "packed"), ("packed", "packed"), ("native", "native")):
        vdevs = ["net_ring0", "net_ring1"]
        args = eal(CASE, *vdevs) + ["--", "--forward-mode=io", "--duration=0.5", "--tx-first",
                                    "--mp-alloc=" + layout]
        j, out, err = run_json(args)
        check(j.get("mbuf_layout") == want, "%s: mbuf_layout %s" % (layout, j.get("mbuf_layout")))
        check(want + " mbuf pool" in err, "%s: the start line does not say %s:\n%s" %
              (layout, want, err))
        rx = sum(p["rx_packets"] for p in j["ports"])
        tx = sum(p["tx_packets"] for p in j["ports"])
        check(tx - rx == 64 and rx > 10000, "%s: tx %d rx %d" % (layout, tx, rx))


def case_embedded_default():
    # No --vdev, no hugepage or PCI options: lcx-pmd adds what this machine needs.
    args = ["-l", "0,1", "--file-prefix=lcxpmd_" + CASE + os.environ.get("LCX_TEST_TAG", ""), "--", "--duration=0.5"]
    if open("/proc/meminfo").read().find("HugePages_Total:       0") < 0:
        return 77
    j, out, err = run_json(args)
    check("--no-huge" in err and "net_null0" in err, "stderr does not say what it added:\n" + err)
    check([p["name"] for p in j["ports"]] == ["net_null0", "net_null1"], "ports %s" % j["ports"])
    check(j["rx_pps"] > 0, "nothing forwarded")


def case_stats_period():
    args = eal(CASE, "net_null0", "net_null1") + ["--", "--duration=1.1", "--stats-period=0.25"]
    rc, out, err = run(args)
    live = [l for l in out.splitlines() if "Mpps" in l and "| p0 rx" in l]
    check(len(live) >= 3, "expected >= 3 live lines when piped, got:\n" + out)
    check("\r" not in out, "a carriage return in piped output")
    # On a terminal: one line rewritten with \r.
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(PMD, [PMD] + eal(CASE + "_tty", "net_null0", "net_null1") +
                 ["--", "--duration=1.1", "--stats-period=0.25"])
    data = b""
    deadline = time.time() + 30
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    _, status = os.waitpid(pid, 0)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "tty run failed: %r" % data)
    text = data.decode(errors="replace")
    first = text.find("| p0 rx")
    check(first >= 0, "no live line on the terminal:\n" + text)
    end = text.find("stopped by", first)
    live_part = text[text.rfind("\n", 0, first) + 1:text.rfind("\n", 0, end)]
    check(live_part.count("\r") >= 3, "live line not rewritten with \\r: %r" % live_part)
    check(live_part.count("| p0 rx") >= 3 and live_part.strip("\r\n").count("\n") <= 2,
          "live updates on separate lines on a terminal: %r" % live_part)


def start_bg(args):
    return subprocess.Popen([PMD] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_path(path, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise Fail("lcx-pmd ended early: %s" % (proc.communicate(),))
        time.sleep(0.05)
    raise Fail("%s never appeared" % path)


def case_signal(sig=signal.SIGTERM, name="SIGTERM"):
    jpath = os.path.join(TMP, "sig.json")
    ctl = "/tmp/lcxm-ctl-%d.sock" % os.getpid()
    p = start_bg(eal(CASE, "net_null0", "net_null1") +
                 ["--", "--json=" + jpath, "--control=" + ctl])
    try:
        wait_path(ctl, p)
        time.sleep(0.5)
        p.send_signal(sig)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    check(p.returncode == 0, "exit %d after %s: %s" % (p.returncode, name, err))
    check("stopped by " + name in out and "RX-packets" in out, "no final figures:\n" + out)
    with open(jpath) as f:
        j = json.load(f)
    check(j["stop_reason"] == name and j["rx_pps"] > 0, "json: %s" % j["stop_reason"])
    check(not os.path.exists(ctl), "control socket left behind")


def case_sigint():
    case_signal(signal.SIGINT, "SIGINT")


def telemetry(prefix, cmds, timeout=10):
    """Ask DPDK telemetry (as dpdk-telemetry.py does); one reply per command."""
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    deadline = time.time() + timeout
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    json.loads(s.recv(16384))  # the greeting
    out = []
    for c in cmds:
        s.send(c.encode())
        out.append(json.loads(s.recv(65536)))
    s.close()
    return out


def case_telemetry():
    """/lcx/contexts and /lcx/context,NAME give the loop figures of every context."""
    ctl = "/tmp/lcxm-tel-%d.sock" % os.getpid()
    p = start_bg(eal(CASE, "net_null0", "net_null1") +
                 ["--", "--throttle-us=1000", "--control=" + ctl])
    try:
        wait_path(ctl, p)
        time.sleep(0.5)
        lst, fwd, bad = telemetry("lcxpmd_" + CASE + os.environ.get("LCX_TEST_TAG", ""),
                                  ["/lcx/contexts", "/lcx/context,fwd-1", "/lcx/context,nope"])
        names = lst["/lcx/contexts"]
        check("fwd-1" in names and "ctl" in names, "contexts: %s" % names)
        f = fwd["/lcx/context"]
        check(f["name"] == "fwd-1" and f["lcore"] == 1, "context: %s" % f)
        check(f["throttle_ns"] == 1000000 and f["iterations"] > 0 and f["polled_items"] > 0,
              "figures: %s" % f)
        check(f["busy_ns"] > 0 and f["busy_permille"] > 500, "busy: %s" % f)
        check(bad["/lcx/context"] is None, "unknown context: %s" % bad)
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    check(p.returncode == 0, "exit %d" % p.returncode)


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise Fail("control socket closed; had %r" % self.buf)
            self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return json.loads(l)

    def req(self, obj_or_bytes):
        data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else \
            json.dumps(obj_or_bytes).encode()
        self.send(data + b"\n")
        return self.line()

    def close(self):
        self.s.close()


def case_control():
    ctl = "/tmp/lcxm-ctl-%d.sock" % os.getpid()
    jpath = os.path.join(TMP, "ctl.json")
    p = start_bg(eal(CASE, "net_ring0") +
                 ["--", "--control=" + ctl, "--json=" + jpath, "--tx-first", "--duration=20"])
    try:
        wait_path(ctl, p)
        c = Client(ctl)
        s = c.req({"cmd": "stats"})
        check(s.get("ok") is True and s.get("running") is True and "ports" in s and
              "contexts" in s and s["control"]["clients"] == 1, "stats: %s" % s)
        first_rx = s["rx_packets"]
        h = c.req({"cmd": "help"})
        check(h.get("ok") is True and [x["cmd"] for x in h["commands"]] ==
              ["help", "stats", "set", "stop"], "help: %s" % h)
        r = c.req({"cmd": "set", "throttle_us": 5000})
        check(r == {"ok": True, "throttle_us": 5000}, "set: %s" % r)
        time.sleep(0.1)
        s = c.req({"cmd": "stats"})
        check(s["throttle_us"] == 5000, "throttle_us %s" % s["throttle_us"])
        fwd = [x for x in s["contexts"] if x["role"] == "forward"]
        check(fwd[0]["throttle_us"] == 5000, "context throttle %s" % fwd[0]["throttle_us"])
        check(s["rx_packets"] > first_rx, "not forwarding")

        bad = [b"nope", b"{", b"[1]", b'{"cmd":"bogus"}', b'{"cmd":42}', b'{"cmd":"set"}',
               b'{"cmd":"set","throttle_us":-1}', b'{"cmd":"set","throttle_us":1.5}',
               b'{"cmd":"set","throttle_us":"100"}', b'{"cmd":"set","throttle_us":2000000}',
               b'{"cmd":"set","throttle_us":1e3}', b'{"cmd":"stats","x":1}',
               b'{"cmd":"stop","now":true}', b'{"cmd":"stats","cmd":"stop"}',
               b'{"throttle_us":1}', b'{"cmd":"st\xffop"}', b"x" * 5000,
               b'{"cmd":"set","throttle_us":7}' + b" " * 5000]
        for b in bad:
            r = c.req(b)
            check(set(r) == {"ok", "error"} and r["ok"] is False and
                  isinstance(r["error"], str) and r["error"],
                  "request %r: reply %s" % (b[:60], r))
        # Nothing changed, and the client still works.
        s = c.req(b'  {"cmd":"stats"}\r')
        check(s["throttle_us"] == 5000 and s["running"], "bad requests changed something")

        # Many clients at once, some rude.
        clients = [Client(ctl) for _ in range(20)]
        for k, cl in enumerate(clients):
            cl.send(b'{"cmd":"st')
        rude = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        rude.connect(ctl)
        rude.send(b'{"cmd":"sta')
        rude.close()
        for cl in clients:
            cl.send(b'ats"}\n{"cmd":"set","throttle_us":0}\n')
        for cl in clients:
            check("ports" in cl.line(), "stats reply")
            check(cl.line() == {"ok": True, "throttle_us": 0}, "set reply")
            cl.close()
        # Garbage from several clients (binary, long lines, bad UTF-8): every line
        # gets an error or nothing (blank), the process lives on.
        rnd = __import__("random").Random(7)
        for k in range(5):
            g = Client(ctl)
            blob = bytes(rnd.randrange(256) for _ in range(20000))
            g.send(blob + b"\n")
            g.s.shutdown(socket.SHUT_WR)
            replies = b""
            while True:
                chunk = g.s.recv(65536)
                if not chunk:
                    break
                replies += chunk
            for line in replies.splitlines():
                check(json.loads(line)["ok"] is False and set(json.loads(line)) ==
                      {"ok", "error"}, "garbage reply %r" % line[:80])
            g.close()
        check(p.poll() is None, "lcx-pmd died on garbage")
        # Pipelined requests in one write, answered in order.
        c.send(b'{"cmd":"set","throttle_us":300}\n{"cmd":"bad"}\n{"cmd":"stats"}\n')
        check(c.line() == {"ok": True, "throttle_us": 300}, "pipelined set")
        r = c.line()
        check(r["ok"] is False and "error" in r, "pipelined bad")
        check(c.line()["throttle_us"] == 300, "pipelined stats")

        r = c.req({"cmd": "stop"})
        check(r == {"ok": True, "stopping": True}, "stop: %s" % r)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, err))
    check("stopped by control" in out, "final figures:\n" + out)
    with open(jpath) as f:
        j = json.load(f)
    check(j["stop_reason"] == "control", "stop_reason %s" % j["stop_reason"])
    rx = sum(x["rx_packets"] for x in j["ports"])
    tx = sum(x["tx_packets"] for x in j["ports"])
    check(tx - rx == 32, "tx - rx = %d, expected the 32 seeded" % (tx - rx))


def ctl_run(extra=(), umask=None, preexec=None):
    """lcx-pmd on a net_null pair with a control socket in a directory that
    every user may traverse (so the socket's own mode is what decides)."""
    d = tempfile.mkdtemp(prefix="lcxm-ctl-", dir="/tmp")
    os.chmod(d, 0o755)
    path = os.path.join(d, "ctl.sock")

    def pre():
        if umask is not None:
            os.umask(umask)
        if preexec is not None:
            preexec(path)
    p = subprocess.Popen([PMD] + eal(CASE, "net_null0", "net_null1") +
                         ["--", "--throttle-us=1000", "--control=" + path, "--duration=60"] +
                         list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=pre)
    return p, path, d


def ctl_end(p, d, stop=True):
    try:
        if stop and p.poll() is None and os.path.exists(os.path.join(d, "ctl.sock")):
            ctl_common.request(os.path.join(d, "ctl.sock"), {"cmd": "stop"})
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            out, err = p.communicate()
        __import__("shutil").rmtree(d, ignore_errors=True)
    return p.returncode, out, err


def case_control_access():
    """Under umask 000 the socket is 0600 and nobody cannot connect; with a
    wide --control-mode the server refuses nobody itself, with one error
    line, counted; --control-group lets the group in."""
    if os.geteuid() != 0:
        return 77
    p, path, d = ctl_run(umask=0)
    try:
        wait_path(path, p)
        mode = ctl_common.socket_mode(path)
        check(mode == 0o600, "socket mode %o under umask 000" % mode)
        got = ctl_common.as_nobody(path, b'{"cmd":"stop"}\n')
        check(got[0] == "refused", "nobody talked to a 0600 socket: %s" % (got,))
        time.sleep(0.3)
        check(p.poll() is None, "nobody stopped lcx-pmd")
    finally:
        rc, out, err = ctl_end(p, d)
    check(rc == 0, "exit %d: %s" % (rc, err))

    p, path, d = ctl_run(["--control-mode=0666"], umask=0)
    try:
        wait_path(path, p)
        check(ctl_common.socket_mode(path) == 0o666, "mode %o" % ctl_common.socket_mode(path))
        got = ctl_common.as_nobody(path, b'{"cmd":"stop"}\n')
        check(got[0] == "reply" and len(got[1]) == 1 and got[1][0]["ok"] is False and
              "not allowed" in got[1][0]["error"], "nobody on a 0666 socket: %s" % (got,))
        time.sleep(0.3)
        check(p.poll() is None, "nobody stopped lcx-pmd")
        s = ctl_common.request(path, {"cmd": "stats"})
        check(s["control"]["refused_peer"] == 1, "control counters %s" % s["control"])
    finally:
        rc, out, err = ctl_end(p, d)
    check(rc == 0 and "refused 1 not allowed" in err, "exit %d: %s" % (rc, err))

    p, path, d = ctl_run(["--control-group=65534"], umask=0o077)
    try:
        wait_path(path, p)
        st = os.lstat(path)
        check(ctl_common.socket_mode(path) == 0o660 and st.st_gid == 65534,
              "mode %o gid %d" % (ctl_common.socket_mode(path), st.st_gid))
        got = ctl_common.as_nobody(path, b'{"cmd":"stop"}\n')
        check(got == ("reply", [{"ok": True, "stopping": True}]), "group member: %s" % (got,))
        rc, out, err = ctl_end(p, d, stop=False)
    finally:
        if p.poll() is None:
            ctl_end(p, d)
    check(rc == 0 and "stopped by control" in out, "exit %d: %s" % (rc, err))


def case_control_lockout():
    """64 idle clients (the limit), then "stop" gets through at its first
    attempt: the client idle longest is evicted, with an error line."""
    p, path, d = ctl_run()
    try:
        wait_path(path, p)
        reply, told = ctl_common.idle_lockout(path, 64)
        check(reply == {"ok": True, "stopping": True}, "stop at the first attempt: %s" % reply)
        check(told >= 1, "no idle client was told")
        rc, out, err = ctl_end(p, d, stop=False)
    finally:
        if p.poll() is None:
            ctl_end(p, d)
    check(rc == 0 and "stopped by control" in out, "exit %d: %s" % (rc, err))


def case_control_busy():
    """30 clients sending "stats" back to back: "stop" gets through within 3 attempts."""
    p, path, d = ctl_run()
    try:
        wait_path(path, p)
        attempts, made = ctl_common.busy_stop(path, 30)
        check(made > 30, "the busy clients made only %d requests" % made)
        check(attempts is not None and attempts <= 3, "stop needed %s attempts" % attempts)
        rc, out, err = ctl_end(p, d, stop=False)
    finally:
        if p.poll() is None:
            ctl_end(p, d)
    print("control_busy: stop at attempt %d under %d busy requests" % (attempts, made))
    check(rc == 0 and "stopped by control" in out, "exit %d: %s" % (rc, err))


def case_control_pipeline():
    """A client that pipelines far more than it reads gets its replies, then an
    error line, then the end; the program goes on."""
    p, path, d = ctl_run()
    try:
        wait_path(path, p)
        good, last, ended = ctl_common.pipeline_overflow(path, 5000)
        check(good > 10 and last is not None and last.get("ok") is False and
              "wait unread" in last.get("error", "") and ended,
              "%d replies, last %s, ended %s" % (good, last, ended))
        s = ctl_common.request(path, {"cmd": "stats"})
        check(s["control"]["overflow_closed"] == 1, "control %s" % s["control"])
    finally:
        rc, out, err = ctl_end(p, d)
    check(rc == 0 and "1 not reading their replies" in err, "exit %d: %s" % (rc, err))


def case_control_idle():
    """--control-idle: a silent client gets an error line after that long (wall clock)."""
    p, path, d = ctl_run(["--control-idle=0.5"])
    try:
        wait_path(path, p)
        t, line = ctl_common.idle_timeout(path)
        check(line is not None and line["ok"] is False and "idle" in line["error"],
              "line %s" % line)
        check(0.45 <= t <= 1.5, "closed after %.3f s, --control-idle=0.5" % t)
    finally:
        rc, out, err = ctl_end(p, d)
    check(rc == 0 and "1 idle" in err, "exit %d: %s" % (rc, err))


def case_control_planted():
    """A file or a symlink at the control path: lcx-pmd refuses with a clear
    error and touches neither; a file or symlink at PATH.<pid> is not touched."""
    d = tempfile.mkdtemp(prefix="lcxm-plant-", dir="/tmp")
    try:
        path = os.path.join(d, "ctl.sock")
        target = os.path.join(d, "target")
        ctl_common.plant(target, "file")
        for kind, tgt in (("file", None), ("link", target), ("link", "/nonexistent/x")):
            ctl_common.plant(path, kind, tgt)
            rc, out, err = run(eal(CASE, "net_null0", "net_null1") +
                               ["--", "--control=" + path, "--duration=1"], check_rc=None)
            check(rc != 0 and "exists and is not a socket" in err,
                  "%s at the path: exit %d: %s" % (kind, rc, err))
            check(ctl_common.intact(path, kind, tgt) and ctl_common.intact(target, "file"),
                  "%s at the path was touched" % kind)
            os.unlink(path)
        for kind, tgt in (("file", None), ("link", target)):
            def pre(kind=kind, tgt=tgt):
                # In the child before exec: its pid is lcx-pmd's.
                ctl_common.plant("%s.%d" % (path, os.getpid()), kind, tgt)
            p = subprocess.Popen([PMD] + eal(CASE, "net_null0", "net_null1") +
                                 ["--", "--control=" + path, "--duration=60"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 preexec_fn=pre)
            side = "%s.%d" % (path, p.pid)
            try:
                wait_path(path, p)
                check(ctl_common.request(path, {"cmd": "stop"})["ok"] is True, "stop")
                p.communicate(timeout=30)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.communicate()
            check(p.returncode == 0, "exit %d with %s at PATH.<pid>" % (p.returncode, kind))
            check(ctl_common.intact(side, kind, tgt) and ctl_common.intact(target, "file"),
                  "%s at PATH.<pid> was touched" % kind)
            check(not os.path.lexists(path), "the socket was left behind")
            os.unlink(side)
    finally:
        __import__("shutil").rmtree(d, ignore_errors=True)


def case_memif():
    """txonly in one process -> memif -> rxonly (throttled) in another: exact count."""
    sock = "/tmp/lcxm-test-%d.sock" % os.getpid()
    n = 20000
    rj = os.path.join(TMP, "rx.json")
    tj = os.path.join(TMP, "tx.json")
    dev = "net_memif0,role=%s,socket=" + sock + ",socket-abstract=no"
    rx = start_bg(eal(CASE + "_rx", dev % "server") +
                  ["--", "--forward-mode=rxonly", "--throttle-us=1000", "--duration=4",
                   "--json=" + rj])
    try:
        wait_path(sock, rx)
        tx = start_bg(eal(CASE + "_tx", dev % "client") +
                      ["--", "--forward-mode=txonly", "--tx-count=%d" % n,
                       "--tx-rate-pps=20000", "--duration=2.5", "--json=" + tj])
        tout, terr = tx.communicate(timeout=30)
        rout, rerr = rx.communicate(timeout=30)
    finally:
        for q in (rx,):
            if q.poll() is None:
                q.kill()
    check(tx.returncode == 0 and rx.returncode == 0, "exits %d %d: %s %s" %
          (tx.returncode, rx.returncode, terr, rerr))
    with open(tj) as f:
        t = json.load(f)
    with open(rj) as f:
        r = json.load(f)
    check(t["ports"][0]["tx_packets"] == n, "sender sent %d" % t["ports"][0]["tx_packets"])
    check(r["ports"][0]["rx_packets"] == n, "receiver got %d of %d" %
          (r["ports"][0]["rx_packets"], n))
    check(r["ports"][0]["rx_missed"] == 0, "rx_missed")
    fwd = [c for c in r["contexts"] if c["role"] == "forward"][0]
    check(fwd["parked_pct"] > 40, "receiver at 20 kpps parked only %.1f%%" % fwd["parked_pct"])


def case_bad_args():
    base = eal(CASE, "net_null0")
    bad = [
        (["--forward-mode=bogus"], "forward-mode"),
        (["--burst=0"], "--burst"),
        (["--burst=abc"], "--burst"),
        (["--burst=600"], "--burst"),
        (["--nb-cores=0"], "--nb-cores"),
        (["--txpkts=10"], "--txpkts"),
        (["--eth-peer=0,zz:00:00:00:00:00"], "--eth-peer"),
        (["--eth-peer=0,02:00:00:00:00"], "--eth-peer"),
        (["--eth-peer=0,02:00:00:00:00:01x"], "--eth-peer"),
        (["--eth-peer=0"], "--eth-peer"),
        (["--throttle-us=-1"], "--throttle-us"),
        (["--throttle-us=2000000"], "--throttle-us"),
        (["--duration=0"], "--duration"),
        (["--duration=x"], "--duration"),
        (["--stats-period=-1"], "--stats-period"),
        (["--port-topology=ring"], "--port-topology"),
        (["--no-such-option"], "no-such-option"),
        (["--burst"], "burst"),
        (["stray"], "stray"),
        (["--tx-count=5"], "--tx-count"),
        (["--forward-mode=txonly", "--tx-first"], "--tx-first"),
        (["--rxq=17"], "--rxq"),
        (["--control=/tmp/" + "x" * 120], "--control"),
        (["--mp-alloc=xbuf"], "--mp-alloc"),
        (["--mp-alloc="], "--mp-alloc"),
    ]
    for extra, word in bad:
        t0 = time.time()
        rc, out, err = run(base + ["--"] + extra, check_rc=None)
        check(rc == 2, "%s: exit %d, expected 2" % (extra, rc))
        lines = [l for l in err.splitlines() if l.strip()]
        check(len(lines) >= 1 and word in lines[0], "%s: message %r" % (extra, err))
        check(time.time() - t0 < 5, "%s: slow usage error" % extra)
    rc, out, err = run(base + ["--", "--json=/nonexistent-dir/x.json"], check_rc=1)
    check("--json" in err and "nonexistent-dir" in err, "message: %r" % err)
    rc, out, err = run(["--help"], check_rc=0)
    for opt in ("--forward-mode", "--nb-cores", "--rxq", "--txq", "--burst", "--txpkts",
                "--eth-peer", "--throttle-us", "--stats-period", "--duration", "--json",
                "--control", "--tx-first", "--tx-rate-pps", "--tx-count", "--portlist",
                "udpecho", "flowgen", "net_null0", "--file-prefix", "--mp-alloc"):
        check(opt in out, "--help does not mention %s" % opt)


def case_bad_ports():
    # A port that does not exist.
    rc, out, err = run(eal(CASE, "net_null0", "net_null1") + ["--", "--portlist=0,5"],
                       check_rc=2)
    check("port 5 does not exist" in err, "message: %r" % err)
    # --eth-peer for a port that is not forwarding.
    rc, out, err = run(eal(CASE, "net_null0") + ["--", "--eth-peer=3,02:00:00:00:00:01"],
                       check_rc=2)
    check("port 3" in err, "message: %r" % err)
    # More forwarding cores than worker lcores.
    rc, out, err = run(eal(CASE, "net_null0") + ["--", "--nb-cores=2"], check_rc=2)
    check("--nb-cores" in err, "message: %r" % err)
    # Only the main lcore.
    rc, out, err = run(eal(CASE, "net_null0", lcores="0") + ["--", "--duration=1"],
                       check_rc=2)
    check("lcore" in err, "message: %r" % err)
    # A pool too small for the rings.
    rc, out, err = run(eal(CASE, "net_null0", "net_null1") + ["--", "--total-num-mbufs=100"],
                       check_rc=2)
    check("pool too small" in err, "message: %r" % err)
    # A port that cannot be configured: net_pcap has one rx queue per rx_pcap.
    empty = os.path.join(TMP, "empty.pcap")
    pcap_write(empty, [])
    rc, out, err = run(eal(CASE, "net_pcap0,rx_pcap=%s,tx_pcap=%s" %
                           (empty, os.path.join(TMP, "o.pcap"))) + ["--", "--rxq=2"],
                       check_rc=1)
    check("port 0" in err and "net_pcap0" in err, "message: %r" % err)
    # One port, two rx queues on two lcores, one tx queue: it would be shared.
    rc, out, err = run(eal(CASE, "net_null0", lcores="0@0,1@1,2@1") +
                       ["--", "--nb-cores=2", "--rxq=2"], check_rc=2)
    check("shared by lcores" in err and "--txq" in err, "message: %r" % err)


# --- named devices, duration, pools, the summary file, signals ---

def case_named_missing():
    """A device named with -a or --vdev that gives no port: one clear error, exit 1, no run
    (never the embedded net_null pair); -b alone: no embedded default either."""
    jpath = os.path.join(TMP, "named.json")
    pre = ["-l", "0,1", "--no-huge", "-m", "512",
           "--file-prefix=lcxpmd_" + CASE + os.environ.get("LCX_TEST_TAG", ""),
           "--log-level=lib.eal:warning"]
    empty = os.path.join(TMP, "bad.pcap")
    with open(empty, "wb"):
        pass  # not a pcap: net_pcap's probe fails
    runs = [
        (pre + ["-a", "0000:01:00.0"], "-a 0000:01:00.0 gave no port"),
        (pre + ["--allow=0000:01:00.0"], "-a 0000:01:00.0 gave no port"),
        # one of two named devices: fewer ports than named
        (pre + ["--no-pci", "--vdev=net_null0", "--vdev=net_pcap0,rx_pcap=" + empty],
         "--vdev net_pcap0 gave no port"),
        (pre + ["-b", "0000:01:00.0"], "no embedded default"),
    ]
    for args, want in runs:
        rc, out, err = run(args + ["--", "--duration=0.3", "--json=" + jpath], check_rc=None)
        check(rc == 1, "%s: exit %d, expected 1\n%s" % (args[-1], rc, err))
        check(want in err, "%s: message %r" % (args[-1], err))
        check("net_null0 --vdev=net_null1" not in err and "RX-packets" not in out,
              "%s: ran on the embedded ports:\n%s" % (args[-1], err))
        check(not os.path.exists(jpath), "%s: a summary was written" % args[-1])
        check(os.listdir(TMP) == ["bad.pcap"], "%s: files left: %s" % (args[-1], os.listdir(TMP)))


def case_duration():
    """duration_s is at least --duration and within the wall clock the test measures around
    the process; five short runs (a timer armed from a stale time ended them early)."""
    path = os.path.join(TMP, "d.json")
    for i, (asked, extra) in enumerate([(0.2, [])] * 4 + [(1.0, ["--forward-mode=txonly"])]):
        if os.path.exists(path):
            os.unlink(path)
        t0 = time.monotonic()
        run(eal(CASE, "net_null0", "net_null1") +
            ["--", "--duration=%g" % asked, "--json=" + path] + extra)
        wall = time.monotonic() - t0
        with open(path) as f:
            j = json.load(f)
        d = j["duration_s"]
        check(j["stop_reason"] == "duration", "run %d: stop_reason %s" % (i, j["stop_reason"]))
        check(d >= asked, "run %d: duration_s %.6f < --duration=%g" % (i, d, asked))
        check(d <= wall, "run %d: duration_s %.6f > %.6f s measured around the process" %
              (i, d, wall))
        check(d <= asked + 0.1, "run %d: duration_s %.6f, asked %g" % (i, d, asked))


def case_version():
    """--version anywhere prints the program, its version, lcx's (meson's project version)
    and DPDK's (pkg-config's libdpdk), without starting the EAL."""
    lcx_v, dpdk_v = os.environ.get("LCX_VERSION"), os.environ.get("DPDK_VERSION")
    if not lcx_v or not dpdk_v:
        print("LCX_VERSION and DPDK_VERSION are set by meson")
        return 77
    for args in (["--version"], ["--", "--version"], eal(CASE) + ["--", "--version"]):
        t0 = time.monotonic()
        rc, out, err = run(args, timeout=10)
        want = "lcx-pmd %s (lcx %s, DPDK %s)\n" % (lcx_v, lcx_v, dpdk_v)
        check(out == want, "%s: printed %r, expected %r" % (args, out, want))
        check("EAL" not in err and time.monotonic() - t0 < 2, "%s: the EAL started" % args)


def case_durations():
    """The one grammar (apps/common/args.h): --duration=1.5 (seconds, as before) and with
    units (250ms, 0.3s); refused at once with exit 2: 0, hex, a sign, junk, empty, overflow."""
    base = eal(CASE, "net_null0", "net_null1")
    for a in ("--duration=0", "--duration=0ms", "--duration=0x10", "--duration=-1",
              "--duration=", "--duration=1.5x", "--duration=1e3", "--duration=.5",
              "--duration=99999999999", "--stats-period=0x1", "--control-idle=0x10",
              "--burst=0x10", "--burst=+32", "--rxd=1e3", "--tx-rate-pps=5k",
              "--nb-cores=99999999999999999999"):
        t0 = time.monotonic()
        rc, out, err = run(base + ["--", a], check_rc=2, timeout=10)
        name = a.split("=")[0]
        check(name in err, "%s: message %r" % (a, err))
        check(time.monotonic() - t0 < 5, "%s: slow usage error" % a)
    path = os.path.join(TMP, "d.json")
    for arg, asked in (("1.5", 1.5), ("250ms", 0.25), ("0.3s", 0.3)):
        if os.path.exists(path):
            os.unlink(path)
        t0 = time.monotonic()
        run(base + ["--", "--duration=" + arg, "--stats-period=100ms", "--json=" + path])
        wall = time.monotonic() - t0
        with open(path) as f:
            j = json.load(f)
        d = j["duration_s"]
        check(j["stop_reason"] == "duration", "%s: stop_reason %s" % (arg, j["stop_reason"]))
        check(asked <= d <= wall and d <= asked + 0.1,
              "--duration=%s: duration_s %.6f, wall %.3f" % (arg, d, wall))


def pools_of(j, total=None):
    pools = j.get("mbuf_pools")
    check(isinstance(pools, list) and pools, "no mbuf_pools: %s" % pools)
    for p in pools:
        check(set(p) == {"name", "size", "available", "in_use"}, "pool keys %s" % p)
        check(p["in_use"] == 0 and p["available"] == p["size"],
              "pool %s: %d of %d mbufs not back at exit" % (p["name"], p["in_use"], p["size"]))
    if total is not None:
        sizes = [p["size"] for p in pools if p["name"].startswith("lcxpmd_pool")]
        check(sizes == [total], "pool sizes %s, --total-num-mbufs=%d" % (sizes, total))
    return pools


def case_pools():
    """Every mbuf back in its pool at exit (the mempool's own count), in every mode, with
    packets in flight in rings at the stop, on both pool layouts."""
    frames, _ = frames_mixed(300)
    inp = os.path.join(TMP, "in.pcap")
    pcap_write(inp, frames)
    pcapdev = "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, os.path.join(TMP, "out.pcap"))
    runs = [
        ([pcapdev], ["--forward-mode=io"]),
        ([pcapdev], ["--forward-mode=udpecho"]),
        ([pcapdev], ["--forward-mode=rxonly"]),
        ([pcapdev], ["--forward-mode=txonly", "--tx-count=5000"]),
        (["net_ring0", "net_ring1"], ["--forward-mode=io", "--tx-first"]),
        (["net_ring0", "net_ring1"], ["--forward-mode=macswap", "--tx-first",
                                      "--mp-alloc=native"]),
        (["net_ring0"], ["--forward-mode=flowgen", "--burst=64"]),
        (["net_null0", "net_null1"], ["--forward-mode=mac", "--rxq=2", "--txq=2"]),
    ]
    for vdevs, extra in runs:
        j, out, err = run_json(eal(CASE, *vdevs) + ["--", "--duration=0.3",
                                                    "--total-num-mbufs=12000"] + extra)
        pools_of(j, 12000)
        check("not back" not in err, "%s: %s" % (extra, err))


def case_json_atomic():
    """--json: a killed run leaves the target as it was (no 0-byte or partial file, no
    temporary file); a path that cannot be written fails at start, fast, exit 1."""
    d = os.path.join(TMP, "out")
    os.mkdir(d)
    target = os.path.join(d, "s.json")
    ctl = "/tmp/lcxm-atomic-%d.sock" % os.getpid()
    p = start_bg(eal(CASE, "net_null0", "net_null1") +
                 ["--", "--json=" + target, "--control=" + ctl])
    try:
        wait_path(ctl, p)
        time.sleep(0.3)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    if os.path.exists(ctl):
        os.unlink(ctl)
    check(os.listdir(d) == [], "kill -9 left %s" % os.listdir(d))
    # A run to its end writes it, whole.
    run(eal(CASE, "net_null0", "net_null1") + ["--", "--duration=0.2", "--json=" + target])
    with open(target) as f:
        check(json.load(f)["stop_reason"] == "duration", "summary after a full run")
    check(os.listdir(d) == ["s.json"], "files left: %s" % os.listdir(d))
    # An existing file is never replaced: refused at start, left as it was.
    with open(target, "wb") as f:
        f.write(b"OLD CONTENT\n")
    rc, out, err = run(eal(CASE, "net_null0", "net_null1") +
                       ["--", "--duration=0.2", "--json=" + target], check_rc=None)
    check(rc == 1 and "exists" in err, "existing --json: exit %d, %r" % (rc, err[-300:]))
    with open(target, "rb") as f:
        check(f.read() == b"OLD CONTENT\n", "an existing --json file changed")
    check(os.listdir(d) == ["s.json"], "files left: %s" % os.listdir(d))
    # Paths that cannot be written: found before the EAL starts.
    link_to = os.path.join(TMP, "victim")
    with open(link_to, "w") as f:
        f.write("keep")
    os.symlink(link_to, os.path.join(d, "link.json"))
    bad = [(os.path.join(TMP, "nope", "x.json"), "No such file"),
           (d, "is a directory"),
           (os.path.join(d, "link.json"), "symbolic link"),
           ("/proc/self/lcx.json", "/proc/self/lcx.json")]
    if os.geteuid() != 0:
        ro = os.path.join(TMP, "ro")
        os.mkdir(ro, 0o555)
        bad.append((os.path.join(ro, "x.json"), "Permission denied"))
    for path, word in bad:
        t0 = time.monotonic()
        rc, out, err = run(eal(CASE, "net_null0", "net_null1") +
                           ["--", "--duration=5", "--json=" + path], check_rc=None)
        check(rc == 1, "--json=%s: exit %d, expected 1" % (path, rc))
        check("--json" in err and word in err, "--json=%s: message %r" % (path, err))
        check(time.monotonic() - t0 < 3, "--json=%s: not found at start" % path)
        check("forwarding on" not in err, "--json=%s: the run started" % path)
    with open(link_to) as f:
        check(f.read() == "keep", "the link's target changed")
    if os.geteuid() == 0 and __import__("shutil").which("unshare"):
        # A read-only file system (root writes anywhere else).
        ro = os.path.join(TMP, "ro")
        os.mkdir(ro)
        args = [PMD] + eal(CASE, "net_null0") + ["--", "--duration=5",
                                                 "--json=" + ro + "/x.json"]
        t0 = time.monotonic()
        p = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t tmpfs -o ro tmpfs %s && exec \"$@\"" % ro, "sh"] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        check(p.returncode == 1 and "Read-only file system" in p.stderr,
              "read-only dir: exit %d %r" % (p.returncode, p.stderr))
        check(time.monotonic() - t0 < 3, "read-only dir: not found at start")


def case_signals():
    """SIGHUP and SIGQUIT stop with the final figures, the summary and the control socket
    removed; SIGUSR1 prints the figures so far; SIGUSR2 and SIGALRM are ignored."""
    jpath = os.path.join(TMP, "sig.json")
    ctl = "/tmp/lcxm-sigs-%d.sock" % os.getpid()
    for sig, name in ((signal.SIGHUP, "SIGHUP"), (signal.SIGQUIT, "SIGQUIT")):
        p = start_bg(eal(CASE, "net_null0", "net_null1") +
                     ["--", "--json=" + jpath, "--control=" + ctl])
        try:
            wait_path(ctl, p)
            time.sleep(0.3)
            p.send_signal(sig)
            out, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
        check(p.returncode == 0, "%s: exit %d: %s" % (name, p.returncode, err))
        check("stopped by " + name in out and "RX-packets" in out, "%s: no figures" % name)
        with open(jpath) as f:
            j = json.load(f)
        check(j["stop_reason"] == name, "%s: stop_reason %s" % (name, j["stop_reason"]))
        check(not os.path.exists(ctl), "%s: control socket left behind" % name)
        os.unlink(jpath)
    p = start_bg(eal(CASE, "net_null0", "net_null1") +
                 ["--", "--json=" + jpath, "--control=" + ctl])
    try:
        wait_path(ctl, p)
        time.sleep(0.3)
        for sig in (signal.SIGUSR2, signal.SIGALRM, signal.SIGUSR1):
            p.send_signal(sig)
            time.sleep(0.3)
            check(p.poll() is None, "signal %d stopped lcx-pmd" % sig)
        c = Client(ctl)
        check(c.req({"cmd": "stats"})["running"] is True, "not running after the signals")
        c.close()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, err))
    first = out.find("running (SIGUSR1")
    check(first >= 0 and out.find("RX-packets") < out.find("stopped by SIGTERM"),
          "SIGUSR1 printed no figures:\n" + out)
    with open(jpath) as f:
        check(json.load(f)["stop_reason"] == "SIGTERM", "stop_reason after SIGTERM")
    check(not os.path.exists(ctl), "control socket left behind")


# --- memif link loss (issue 9): a peer that goes away, a server that refuses at first ---

def memif_dev(sock, role):
    return "net_memif0,role=%s,socket=%s,socket-abstract=no" % (role, sock)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def finish(p, timeout=30):
    """Wait for a background lcx-pmd; return (rc, stdout, stderr)."""
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def client_across_restart(sock, server, s1_duration, client_vdevs, client, settle=0):
    """A memif server (lcx-pmd with the options server, for s1_duration s), a client
    (lcx-pmd on memif_dev(sock, "client") and client_vdevs, options client) started once
    it listens (and settle s more), then the server exits and a second one (the same
    options) comes up on the same socket; the client runs to its end, the second server
    is stopped. Each must exit 0. Returns the three --json paths (server 1, server 2,
    client) and the client's stdout and stderr."""
    cj, s1j, s2j = (os.path.join(TMP, x + ".json") for x in ("c", "s1", "s2"))
    s1 = start_bg(eal(CASE + "_s1", memif_dev(sock, "server")) +
                  ["--"] + server + ["--duration=%g" % s1_duration, "--json=" + s1j])
    c = s2 = None
    try:
        wait_path(sock, s1)
        time.sleep(settle)
        c = start_bg(eal(CASE + "_c", memif_dev(sock, "client"), *client_vdevs) +
                     ["--"] + client + ["--json=" + cj])
        rc1, _, e1 = finish(s1)
        check(rc1 == 0, "server 1 exit %d: %s" % (rc1, e1))
        s2 = start_bg(eal(CASE + "_s2", memif_dev(sock, "server")) +
                      ["--"] + server + ["--duration=30", "--json=" + s2j])
        rc, out, err = finish(c, timeout=40)
        check(rc == 0, "client exit %d: %s" % (rc, err))
        s2.send_signal(signal.SIGTERM)
        rc2, _, e2 = finish(s2)
        check(rc2 == 0, "server 2 exit %d: %s" % (rc2, e2))
    finally:
        for q in (s1, c, s2):
            if q is not None and q.poll() is None:
                q.kill()
                q.wait()
    return s1j, s2j, cj, out, err


def case_memif_client_reconnect():
    """lcx-pmd as memif client: its server exits and another one comes up on the
    same socket; the client reconnects by itself and receives what both sent."""
    sock = os.path.join(TMP, "m.sock")
    n = 3000
    gen = ["--forward-mode=txonly", "--tx-count=%d" % n, "--tx-rate-pps=10000"]
    s1j, s2j, cj, out, err = client_across_restart(
        sock, gen, 3, [], ["--forward-mode=rxonly", "--throttle-us=1000", "--duration=11"])
    t1, t2, r = load_json(s1j)["ports"][0], load_json(s2j)["ports"][0], load_json(cj)["ports"][0]
    check(t1["tx_packets"] == n and t2["tx_packets"] == n,
          "servers sent %d and %d, not %d each" % (t1["tx_packets"], t2["tx_packets"], n))
    check(r["rx_packets"] == 2 * n, "client received %d of %d (%d + %d sent)\n%s" %
          (r["rx_packets"], 2 * n, t1["tx_packets"], t2["tx_packets"], err))
    check(r["rx_bytes"] == 2 * n * 64, "client rx_bytes %d, expected %d" %
          (r["rx_bytes"], 2 * n * 64))
    check(r.get("link_downs") == 1, "client link_downs %s, expected 1" % r.get("link_downs"))
    check(1 <= r["restarts"] <= 6 and r["restart_failures"] < r["restarts"],
          "client restarts %d, failed %d" % (r["restarts"], r["restart_failures"]))
    check(err.count("link down: restarting") == 1 and err.count("link up again") == 1,
          "restart not logged once per change:\n" + err)
    check("link: down 1 time, %d restart" % r["restarts"] in out, "final table:\n" + out)


def case_memif_server_reconnect():
    """lcx-pmd as memif server: two clients one after the other; it receives from
    both, counts two link losses and restarts nothing (a server reconnects)."""
    sock = os.path.join(TMP, "m.sock")
    n = 3000
    sj, c1j, c2j = (os.path.join(TMP, x + ".json") for x in ("s", "c1", "c2"))
    gen = ["--forward-mode=txonly", "--tx-count=%d" % n, "--tx-rate-pps=10000",
           "--duration=1.5"]
    s = start_bg(eal(CASE + "_s", memif_dev(sock, "server")) +
                 ["--", "--forward-mode=rxonly", "--throttle-us=1000", "--duration=30",
                  "--json=" + sj])
    try:
        wait_path(sock, s)
        time.sleep(1)  # the server's port is started (its socket exists before)
        for k, cjp in enumerate((c1j, c2j)):
            rc, _, e = run(eal(CASE + "_c%d" % k, memif_dev(sock, "client")) +
                           ["--"] + gen + ["--json=" + cjp], timeout=30, check_rc=None)
            check(rc == 0, "client %d exit %d: %s" % (k, rc, e))
            time.sleep(0.5)  # two link checks see the link down
        s.send_signal(signal.SIGTERM)
        rc, out, err = finish(s)
        check(rc == 0, "server exit %d: %s" % (rc, err))
    finally:
        if s.poll() is None:
            s.kill()
            s.wait()
    t = [load_json(x)["ports"][0]["tx_packets"] for x in (c1j, c2j)]
    r = load_json(sj)["ports"][0]
    check(t == [n, n], "clients sent %s" % t)
    check(r["rx_packets"] == 2 * n, "server received %d of %d" % (r["rx_packets"], 2 * n))
    check(r.get("link_downs") == 2 and r.get("restarts") == 0,
          "server link_downs %s (expected 2), restarts %s (expected 0)" %
          (r.get("link_downs"), r.get("restarts")))
    # down at start (no client yet), then up and down once per client
    check(err.count("link down") == 3 and err.count("link up") == 2,
          "link changes not said once each:\n" + err)


def case_memif_restart_under_load():
    """io forwarding from an endless source (net_null) into a memif client whose
    server goes away and comes back: the restart quiesces the sending context
    (no burst on the stopped device: DPDK would log "not ready port"), and
    frames flow to the second server."""
    sock = os.path.join(TMP, "m.sock")
    rx = ["--forward-mode=rxonly", "--throttle-us=1000"]
    s1j, s2j, cj, out, err = client_across_restart(
        sock, rx, 2, ["net_null0"], ["--forward-mode=io", "--throttle-us=0", "--duration=7"],
        settle=1)
    r1, r2 = load_json(s1j)["ports"][0], load_json(s2j)["ports"][0]
    m = [x for x in load_json(cj)["ports"] if x["name"] == "net_memif0"][0]
    check("not ready port" not in err, "a burst ran on the stopped device:\n" + err)
    check(m.get("link_downs") == 1 and m["restarts"] >= 1,
          "memif port: link_downs %s, restarts %s" % (m.get("link_downs"), m.get("restarts")))
    check(r1["rx_packets"] > 0 and r2["rx_packets"] > 0,
          "servers received %d and %d" % (r1["rx_packets"], r2["rx_packets"]))
    check(r1["rx_packets"] + r2["rx_packets"] <= m["tx_packets"],
          "servers received %d + %d, more than the client sent (%d)" %
          (r1["rx_packets"], r2["rx_packets"], m["tx_packets"]))


class Testpmd:
    """dpdk-testpmd as the memif server in txonly, driven on its command line."""

    def __init__(self, case, sock, start_port=True):
        args = ["dpdk-testpmd", "--no-huge", "-m", "1024", "--no-pci", "--lcores=0@0,1@1",
                "--file-prefix=lcxpmd_" + case + "_tp" + os.environ.get("LCX_TEST_TAG", ""),
                "--log-level=lib.eal:warning", "--vdev=" + memif_dev(sock, "server"), "--",
                "--total-num-mbufs=16384", "--forward-mode=txonly", "-i"]
        if not start_port:
            args.append("--disable-device-start")
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)

    def cmd(self, line):
        try:
            self.p.stdin.write(line + "\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            out, _ = self.p.communicate(timeout=30)
            raise Fail("testpmd ended (exit %s) before '%s':\n%s" %
                       (self.p.returncode, line, out[-3000:]))

    def quit(self):
        """Quit (after "stop"); return TX-packets of port 0 from the stop's figures."""
        self.cmd("quit")
        out, _ = self.p.communicate(timeout=30)
        i = out.find("Forward statistics for port 0")
        m = out[i:].split("TX-packets:")[1].split()[0] if i >= 0 else None
        check(m is not None and m.isdigit(), "no testpmd TX-packets in:\n" + out)
        return int(m)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def memif_testpmd_run(sock, tag, delay, start_port=True):
    """testpmd (txonly memif server) and lcx-pmd (rxonly client, started delay s
    after the server's socket appeared): the client must connect and receive all
    that testpmd sent. @return (rx, sent, restarts), or None without dpdk-testpmd."""
    if shutil.which("dpdk-testpmd") is None:
        return None
    if os.path.exists(sock):
        os.unlink(sock)
    cj = os.path.join(TMP, "c%s.json" % tag)
    tp = Testpmd(CASE + tag, sock, start_port)
    c = None
    try:
        deadline = time.time() + 20
        while not os.path.exists(sock):
            check(tp.p.poll() is None and time.time() < deadline, "testpmd did not start")
            time.sleep(0.01)
        time.sleep(delay)
        c = start_bg(eal(CASE + tag + "_c", memif_dev(sock, "client"), lcores="0@0,1@1") +
                     ["--", "--forward-mode=rxonly", "--throttle-us=1000", "--duration=60",
                      "--json=" + cj])
        if not start_port:
            time.sleep(1.5)  # refused: testpmd's port is not started
            tp.cmd("port start 0")
        tp.cmd("start")
        time.sleep(4 if not start_port else 3)
        tp.cmd("stop")
        time.sleep(0.5)  # the client drains the ring; then it stops, then the server
        c.send_signal(signal.SIGTERM)
        rc, out, err = finish(c)
        check(rc == 0, "lcx-pmd exit %d: %s" % (rc, err))
        sent = tp.quit()
    finally:
        tp.kill()
        if c is not None and c.poll() is None:
            c.kill()
            c.wait()
        # Both have exited: remove their EAL runtime folders (one pair per run).
        run_dir = "/var/run/dpdk" if os.geteuid() == 0 else \
            os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
        tag6 = os.environ.get("LCX_TEST_TAG", "")
        for x in ("_tp", "_c"):
            shutil.rmtree(os.path.join(run_dir, "lcxpmd_" + CASE + tag + x + tag6),
                          ignore_errors=True)
    r = load_json(cj)["ports"][0]
    os.unlink(cj)
    check(r["rx_packets"] == sent and sent > 0,
          "run %s (client %.2f s after the socket): lcx-pmd received %d, testpmd sent %d\n%s" %
          (tag, delay, r["rx_packets"], sent, err))
    return r["rx_packets"], sent, r.get("restarts", 0)


def case_memif_refused():
    """The memif server's socket exists but its port is not started yet (a server
    started moments before): it refuses the client ("ID not found"). lcx-pmd as
    client connects once the server starts, and receives all testpmd sent."""
    got = memif_testpmd_run(os.path.join(TMP, "m.sock"), "r", 0.0, start_port=False)
    if got is None:
        return 77
    check(got[2] >= 1, "no restart counted (%s)" % (got,))


def case_memif_handshake():
    """issue 9 fault 2, LCX_MEMIF_RUNS runs (default 6) in a row: testpmd txonly
    starts as the memif server, lcx-pmd connects as client 0 to 1 s after the
    server's socket appeared (its port starts ~0.5 s after); every run connects
    and receives exactly what testpmd sent."""
    import random
    runs = int(os.environ.get("LCX_MEMIF_RUNS", "6"))
    rnd = random.Random(int(os.environ.get("LCX_MEMIF_SEED", "9")))
    restarted = 0
    for k in range(runs):
        got = memif_testpmd_run(os.path.join(TMP, "m.sock"), str(k), rnd.uniform(0, 1.0))
        if got is None:
            return 77
        restarted += got[2] > 0
    print("%d runs connected and received all; %d needed a restart" % (runs, restarted))


# --- issue 12: --metrics, /lcx/pmd ---

def metrics_port():
    tag = os.environ.get("LCX_TEST_TAG", "")
    return 41000 + 3000 * (int(tag) % 7 if tag.isdigit() else 0) + 2901


def scrape(port):
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        check(r.status == 200, "scrape: status %d" % r.status)
        return r.read().decode()


def prom_samples(text):
    """{(name, frozenset(labels)): value} of a text exposition."""
    import re
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        check(m is not None, "scrape: not a sample: %r" % line)
        labels = frozenset(re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def case_metrics():
    """--metrics during an io run on net_pcap: the scrape's rx/forwarded packets equal
    the frames in the input file and those read back from the output file, the
    stream's drops are 0 like the summary's; promtool check metrics is clean."""
    frames, _ = frames_mixed(300)
    inp = os.path.join(TMP, "in.pcap")
    outp = os.path.join(TMP, "out.pcap")
    jpath = os.path.join(TMP, "m.json")
    pcap_write(inp, frames)
    ctl = "/tmp/lcxm-met-%d.sock" % os.getpid()
    mport = metrics_port()
    p = start_bg(eal(CASE, "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, outp)) +
                 ["--", "--forward-mode=io", "--control=" + ctl, "--json=" + jpath,
                  "--metrics=127.0.0.1:%d" % mport])
    try:
        wait_path(ctl, p)
        time.sleep(1.0)
        text = scrape(mport)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, err))
    check("metrics: http://127.0.0.1:%d/metrics" % mport in err, "address not said: " + err)
    m = prom_samples(text)
    name = [v for (n, l), v in m.items() if n == "lcx_port_info"]
    check(len(name) == 1, "lcx_port_info: %s" % name)
    fwd = {dict(l)["port"]: v for (n, l), v in m.items() if n == "lcx_pmd_forwarded_packets_total"}
    rx = {dict(l)["port"]: v for (n, l), v in m.items() if n == "lcx_port_rx_packets_total"}
    got = pcap_read(outp)
    check(list(rx.values()) == [len(frames)], "scrape rx %s, the file had %d" % (rx, len(frames)))
    check(list(fwd.values()) == [len(got)] and len(got) == len(frames),
          "scrape forwarded %s, %d read back from the output" % (fwd, len(got)))
    drops = [(dict(l), v) for (n, l), v in m.items() if n == "lcx_pmd_dropped_packets_total"]
    check(len(drops) == 3 and all(v == 0 for _, v in drops), "drops: %s" % drops)
    with open(jpath) as f:
        j = json.load(f)
    check(j["ports"][0]["tx_packets"] == list(fwd.values())[0], "summary tx %d" %
          j["ports"][0]["tx_packets"])
    pt = shutil.which("promtool")
    if pt is not None:
        r = subprocess.run([pt, "check", "metrics"], input=text, capture_output=True, text=True)
        check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
              "promtool: %s %s" % (r.stdout, r.stderr))
    else:
        print("promtool not installed: format not checked")


def case_telemetry_pmd():
    """/lcx/pmd gives the stats reply's figures: after an io run on net_pcap has
    replayed its file, rx/tx and every per-port counter equal the control socket's
    stats and the frames in the file (nothing moves any more)."""
    frames, _ = frames_mixed(250)
    inp = os.path.join(TMP, "in.pcap")
    outp = os.path.join(TMP, "out.pcap")
    pcap_write(inp, frames)
    ctl = "/tmp/lcxm-telp-%d.sock" % os.getpid()
    p = start_bg(eal(CASE, "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, outp)) +
                 ["--", "--forward-mode=io", "--control=" + ctl])
    try:
        wait_path(ctl, p)
        time.sleep(1.0)
        c = Client(ctl)
        s = c.req({"cmd": "stats"})
        c.close()
        (t,) = telemetry("lcxpmd_" + CASE + os.environ.get("LCX_TEST_TAG", ""), ["/lcx/pmd"])
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    check(p.returncode == 0, "exit %d" % p.returncode)
    t = t["/lcx/pmd"]
    check(t is not None, "/lcx/pmd is null")
    check(t["rx_packets"] == s["rx_packets"] == len(frames), "rx: telemetry %s, stats %s, file %d"
          % (t["rx_packets"], s["rx_packets"], len(frames)))
    check(t["tx_packets"] == s["tx_packets"] == len(pcap_read(outp)),
          "tx: telemetry %s, stats %s" % (t["tx_packets"], s["tx_packets"]))
    for k in ("forward_mode", "nb_ports", "nb_streams", "nb_cores", "burst", "throttle_us",
              "mbuf_layout"):
        check(t[k] == s[k], "%s: telemetry %s, stats %s" % (k, t[k], s[k]))
    check(t["port_name"] == [x["name"] for x in s["ports"]], "port names %s" % t["port_name"])
    for k in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_missed", "rx_nombuf",
              "rx_errors", "tx_errors", "tx_dropped", "ignored", "tx_nombuf", "link_downs",
              "restarts", "restart_failures"):
        check(t["port_" + k] == [x[k] for x in s["ports"]],
              "port %s: telemetry %s, stats %s" % (k, t["port_" + k], [x[k] for x in s["ports"]]))
    check(t["context_name"] == [x["name"] for x in s["contexts"]], "contexts %s" % t["context_name"])
    check(abs(t["duration_ns"] / 1e9 - s["duration_s"]) < 2.0, "duration %s" % t["duration_ns"])


def proc_ids(pid):
    """The Uid, Gid and Groups lines of /proc/PID/status."""
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                ids[k] = v.split()
    return ids


def case_user_pidfile():
    """--user=nobody: after start every uid and gid of the process is nobody's (the
    kernel's view, /proc/PID/status), the control socket is nobody's, the run forwards
    and its --json (made before the drop) is written, nobody's. --pidfile: holds the
    pid, a second run is refused and leaves it, removed at exit; a stale one replaced."""
    import pwd
    if os.geteuid() != 0:
        return 77
    nob = pwd.getpwnam("nobody")
    d = os.path.join(TMP, "u")
    os.mkdir(d)
    os.chmod(TMP, 0o755)
    os.chmod(d, 0o777 | 0o1000)  # sticky, as /tmp: nobody may create its files here
    pidf, ctl, js = os.path.join(d, "pmd.pid"), os.path.join(d, "c.sock"), os.path.join(d, "s.json")
    p = start_bg(eal(CASE, "net_null0", "net_null1") +
                 ["--", "--user=nobody", "--pidfile=" + pidf, "--control=" + ctl,
                  "--json=" + js])
    try:
        wait_path(ctl, p)
        ids = proc_ids(p.pid)
        check(ids["Uid"] == [str(nob.pw_uid)] * 4, "Uid %s" % ids["Uid"])
        check(ids["Gid"] == [str(nob.pw_gid)] * 4, "Gid %s" % ids["Gid"])
        check(ids["Groups"] == [str(nob.pw_gid)], "Groups %s" % ids["Groups"])
        check(os.lstat(ctl).st_uid == nob.pw_uid, "control socket not nobody's")
        with open(pidf) as f:
            check(f.read() == "%d\n" % p.pid, "pidfile content")
        # A second run with the same pidfile is refused and leaves it.
        rc, _, err = run(eal(CASE + "2", "net_null0", "net_null1") +
                         ["--", "--pidfile=" + pidf, "--duration=0.2"], check_rc=None)
        check(rc != 0 and "pid" in err, "second run: exit %d, %r" % (rc, err[-300:]))
        with open(pidf) as f:
            check(f.read() == "%d\n" % p.pid, "pidfile changed by the refused run")
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, err[-500:]))
    check(not os.path.exists(pidf), "pidfile left at exit")
    with open(js) as f:
        j = json.load(f)
    check(sum(x["tx_packets"] for x in j["ports"]) > 0, "nothing forwarded as nobody")
    check(os.stat(js).st_uid == nob.pw_uid, "--json not nobody's")
    # A stale pidfile (a dead pid) is replaced, then removed.
    dead = subprocess.Popen(["true"])
    dead.wait()
    with open(pidf, "w") as f:
        f.write("%d\n" % dead.pid)
    run(eal(CASE, "net_null0", "net_null1") + ["--", "--pidfile=" + pidf, "--duration=0.2"])
    check(not os.path.exists(pidf), "stale pidfile: not replaced and removed")
    print("user_pidfile: nobody after start (uid, gid, groups), socket and --json nobody's, "
          "pidfile made, kept from a second run, removed; stale one replaced")


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    global PMD, CASE, TMP
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: pmd_test.py LCX_PMD CASE; cases: " + " ".join(sorted(CASES)))
        return 2
    PMD, CASE = os.path.abspath(sys.argv[1]), sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="lcxpmd-") as TMP:
        try:
            ret = CASES[CASE]()
        except Fail as e:
            print("FAIL %s: %s" % (CASE, e))
            return 1
        except subprocess.TimeoutExpired as e:
            print("FAIL %s: timed out: %s" % (CASE, e))
            return 1
    if ret == 77:
        print("SKIP %s" % CASE)
        return 77
    print("PASS %s" % CASE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
