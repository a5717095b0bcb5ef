#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-ingest --listen (the socket port) against kernel senders: what the
kernel drops is counted and said, a long throttle loses nothing at a rate that
fills the socket buffer within one throttle, datagrams up to 64 KiB arrive
whole, and the capture's IPv4/IPv6/UDP checksums are valid.

Usage: test_ingest_socket.py CASE   (LCX_INGEST names the binary)

The observer is always the sender: how many datagrams and bytes it sent.
Exit 0 pass, 1 fail, 77 skip (with the reason).
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_ingest_run import (BASE_PORT, check_balanced, ctl_request, fail, ipv6_lo, run_case,  # noqa: E402
                             listen_run, skip)

# Ports of these cases: BASE_PORT + 2000.. (test_ingest_run.py keeps below 2000).
PORT0 = BASE_PORT + 2000


def snmp_udp(name):
    """A counter of the "Udp:" lines of /proc/net/snmp (the whole namespace)."""
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Udp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:]))[name])


def case_sock_missed(tmp):
    """A burst far beyond a 64 KiB buffer, sent while lcx-ingest is stopped (SIGSTOP:
    the kernel must drop, whatever the machine's load): every datagram the kernel
    dropped is rx_missed, received + rx_missed == sent exactly, in the JSON summary,
    the control socket and the stderr summary (in words)."""
    port, n, size = PORT0, 20000, 1000
    ctl = []

    def send(s):
        payload = b"m" * size
        for _ in range(n):
            s.sendto(payload, ("127.0.0.1", port))

    def before_stop(sock):
        time.sleep(0.2)
        ctl.append(ctl_request(sock, '{"cmd":"stats"}'))

    snmp0 = snmp_udp("RcvbufErrors")
    err, j = listen_run(tmp, "sock_missed", [f"--listen=127.0.0.1:{port}", "--rcvbuf=64k",
                                             "--throttle=20ms"], send, before_stop=before_stop,
                          paused=True)
    snmp1 = snmp_udp("RcvbufErrors")
    t = j["totals"]
    check_balanced(t)
    missed = j["ports"][0]["rx_missed"]
    print(f"sock_missed: {n} sent, {t['rx_total']} received, rx_missed {missed}, "
          f"RcvbufErrors +{snmp1 - snmp0}")
    if t["rx_total"] + missed != n or t["accepted"] != t["rx_total"]:
        fail(f"received {t['rx_total']} + rx_missed {missed} != {n} sent")
    if missed == 0:
        fail("no loss: the burst did not overflow the buffer (the test proves nothing)")
    if t["port_rx_missed"] != missed:
        fail(f"totals.port_rx_missed {t['port_rx_missed']} != ports[0].rx_missed {missed}")
    if snmp1 - snmp0 < missed:
        fail(f"the kernel counted {snmp1 - snmp0} RcvbufErrors, lcx {missed}")
    c = ctl[0].get("stats", {})
    if c.get("port_rx_missed") != missed:
        fail(f"control socket: port_rx_missed {c.get('port_rx_missed')}, want {missed}")
    if f"rx_missed {missed}" not in err or "lost" not in err.lower() or "[balanced]" in err:
        fail("the stderr summary does not say the loss")


def paced_send(s, dst, size, r0, r1, ramp_every, growth, hold):
    """Datagrams of size bytes to dst: r0 per second, times growth every ramp_every
    seconds up to r1, then r1 for hold seconds. A late sender catches up in one
    burst of what it owes. Returns how many it sent."""
    payload = b"t" * size
    sent, owed = 0, 0.0
    rate, start = float(r0), time.perf_counter()
    last = start
    next_ramp = start + ramp_every
    hold_end = None
    while True:
        now = time.perf_counter()
        if hold_end is None and now >= next_ramp:
            rate = min(rate * growth, float(r1))
            next_ramp += ramp_every
            if rate >= r1:
                hold_end = now + hold
        if hold_end is not None and now >= hold_end:
            break
        owed += rate * (now - last)
        last = now
        while owed >= 1:
            s.sendto(payload, dst)
            sent += 1
            owed -= 1
        time.sleep(0.001)
    return sent


def case_sock_throttle(tmp):
    """--throttle=100ms with 1400-byte datagrams at 15 kpps into a 2 MiB socket
    buffer (about 900 of them): one throttle brings 1500, so a loop that reads the
    socket only at reacts overflows it; the ring budget must wake the context and
    read it in time. The rate ramps up from 500/s, as the budget (like a NIC
    ring's) cannot foresee a burst out of silence. Zero loss: sender == received."""
    port = PORT0 + 10
    sent = []

    def send(s):
        sent.append(paced_send(s, ("127.0.0.1", port), 1400, 500, 15000, 0.05, 1.25, 2.0))

    _, j = listen_run(tmp, "sock_throttle", [f"--listen=127.0.0.1:{port}", "--rcvbuf=1M",
                                             "--throttle=100ms"], send)
    t = j["totals"]
    check_balanced(t)
    p = j["ports"][0]
    cap = p["rcvbuf"] // 2304
    print(f"sock_throttle: {sent[0]} sent, {t['accepted']} received, rx_missed "
          f"{p['rx_missed']}; buffer {p['rcvbuf']} bytes (~{cap} datagrams), contexts "
          f"{[(c['parks'], c['iterations']) for c in j['contexts']]} (parks, iterations)")
    if cap >= 1500:
        skip(f"the socket buffer holds {cap} datagrams, a whole throttle's worth")
    if p["rx_missed"] or t["accepted"] != sent[0]:
        fail(f"lost {sent[0] - t['accepted']} of {sent[0]} (rx_missed {p['rx_missed']})")


SIZES4 = [1, 1400, 2006, 2007, 4000, 9000, 32768, 65000]
SIZES6 = [1, 1400, 2006, 2007, 4000, 9000, 32768, 65000]
# Frames over 65535 bytes: the largest IPv4 and IPv6 (no jumbogram) datagrams.
SIZES4_MAX = [65507]
SIZES6_MAX = [65527]


def tshark_fields(cap, *fields):
    out = subprocess.run(["tshark", "-r", cap, "-o", "udp.check_checksum:TRUE",
                          "-o", "ip.check_checksum:TRUE", "-T", "fields",
                          *[x for f in fields for x in ("-e", f)]],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return [l.split("\t") for l in out.splitlines()]


def check_payload(t, pdir, sizes4, sizes6, case):
    """The payload files, read back: every datagram whole, in order, byte for byte."""
    n = len(sizes4) + len(sizes6)
    got = {}
    for name in os.listdir(pdir):
        with open(os.path.join(pdir, name), "rb") as f:
            got["v6" if name.startswith("[") or name.count(":") > 1 else "v4"] = f.read()
    for fam, sizes in (("v4", sizes4), ("v6", sizes6)):
        want = b"".join(bytes((i * 7 + x) & 0xff for i in range(x)) for x in sizes)
        if got.get(fam, b"") != want:
            fail(f"payload file ({fam}): {len(got.get(fam, b''))} bytes on disk, want "
                 f"{len(want)} (files {sorted(os.listdir(pdir))})")
    if t["sink"]["written"] != n or t["sink"]["written_bytes"] != sum(sizes4) + sum(sizes6):
        fail(f"sink counted {t['sink']}, the files hold {n} datagrams")
    print(f"{case}: payload files hold every datagram byte for byte")


def big_run(tmp, case, sizes4, sizes6, sink="capture"):
    """Every size sent once over IPv4 and once over IPv6 loopback, with a capture
    (or payload files): each datagram counted and accepted, rx_bytes exact
    (headers of 42 and 62 bytes), nothing lost at the port; tshark reads back
    each frame's length and finds no bad checksum (IPv6 UDP checksums are never
    0); the payload files hold every datagram byte for byte."""
    if not ipv6_lo():
        skip("no ::1 on lo (IPv6 disabled?)")
    p4, p6 = PORT0 + 20, PORT0 + 21
    cap = os.path.join(tmp, case + ".pcapng")
    capture = [f"--capture={cap}"] if shutil.which("tshark") and sink == "capture" else []
    pdir = os.path.join(tmp, case + "-payload")
    payload = [f"--payload-dir={pdir}"] if sink == "payload" else []

    def send(s):
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        for so in (s, s6):
            so.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        for size in sizes4:
            s.sendto(bytes((i * 7 + size) & 0xff for i in range(size)), ("127.0.0.1", p4))
            time.sleep(0.005)
        for size in sizes6:
            s6.sendto(bytes((i * 7 + size) & 0xff for i in range(size)), ("::1", p6))
            time.sleep(0.005)
        s6.close()

    _, j = listen_run(tmp, case, [f"--listen=127.0.0.1:{p4},[::1]:{p6}", *capture,
                                  *payload, "--throttle=5ms"], send)
    t = j["totals"]
    check_balanced(t)
    n = len(sizes4) + len(sizes6)
    want_bytes = sum(42 + x for x in sizes4) + sum(62 + x for x in sizes6)
    lost = sum(p["rx_missed"] + p["rx_nombuf"] + p["rx_errors"] for p in j["ports"])
    print(f"{case}: {n} datagrams sent ({want_bytes} bytes as frames); rx_total "
          f"{t['rx_total']} rx_bytes {t['rx_bytes']} accepted {t['accepted']} malformed_by "
          f"{ {k: v for k, v in t['malformed_by'].items() if v} } lost at the port {lost}")
    if lost or t["rx_total"] != n or t["rx_bytes"] != want_bytes:
        fail(f"counted {t['rx_total']} frames of {t['rx_bytes']} bytes, want {n} of "
             f"{want_bytes}; {lost} lost at the port")
    if t["accepted"] != n or t["accepted_bytes"] != want_bytes:
        fail(f"accepted {t['accepted']} ({t['accepted_bytes']} bytes) of {n}: the parser "
             f"refused {t['malformed_by']}")
    if payload:
        check_payload(t, pdir, sizes4, sizes6, case)
        return
    if not capture:
        print(f"{case}: no tshark: capture not checked")
        return
    rows = tshark_fields(cap, "frame.len", "ip.checksum.status", "udp.checksum.status",
                         "ipv6.src", "udp.checksum")
    lens = sorted(int(r[0]) for r in rows)
    if lens != sorted([42 + x for x in sizes4] + [62 + x for x in sizes6]):
        fail(f"capture frame lengths {lens}")
    for r in rows:
        # Status 0 is bad, 1 good, 2 unverified (a frame cut at the 64 KiB snaplen).
        if r[1] == "0" or r[2] == "0":
            fail(f"bad checksum in the capture: frame of {r[0]} bytes, status ip {r[1]} "
                 f"udp {r[2]}")
        if r[3] and (int(r[4], 16) == 0 or (int(r[0]) <= 65535 and r[2] != "1")):
            fail(f"IPv6 frame of {r[0]} bytes: udp checksum {r[4]}, status {r[2]}")
    print(f"{case}: capture of {len(rows)} frames, lengths right, no bad checksum")


def case_sock_big(tmp):
    big_run(tmp, "sock_big", SIZES4, SIZES6)


def case_sock_big_max(tmp):
    big_run(tmp, "sock_big_max", SIZES4_MAX, SIZES6_MAX)
    big_run(tmp, "sock_big_max_payload", SIZES4_MAX, SIZES6_MAX, sink="payload")


def main():
    return run_case(globals(), __doc__, "lcxs-")


if __name__ == "__main__":
    sys.exit(main())
