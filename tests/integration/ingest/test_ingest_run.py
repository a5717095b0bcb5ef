#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration tests of the lcx-ingest program (EAL with --no-huge and vdevs).

Usage: test_ingest_run.py CASE   (LCX_INGEST and INGEST_GEN name the binaries)

Each case runs lcx-ingest for a few seconds at most and checks its JSON
summary: the accounting identity, the per-reason counts, what the sinks wrote.
Exit 0 pass, 1 fail, 77 skip (with the reason).
"""
import json
import os
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

EXE = os.environ.get("LCX_INGEST", "lcx-ingest")
GEN = os.environ.get("INGEST_GEN", "ingest_gen")
# LCX_TEST_TAG (optional) keeps two checkouts' runs apart on one machine: EAL
# prefixes get it as a suffix and BASE_PORT moves by 3000 per tag number.
TAG = os.environ.get("LCX_TEST_TAG", "")
BASE_PORT = 41000 + 3000 * (int(TAG) % 7 if TAG.isdigit() else 0)  # kernel tests: BASE_PORT..+2999


def eal(case, *extra):
    return [EXE, "--no-huge", "-m", "512", "--no-pci", "-l", "0",
            "--file-prefix=lcxing-" + case + TAG, "--log-level=lcx.*:notice", *extra, "--"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def skip(msg):
    print("SKIP:", msg)
    sys.exit(77)


def run(args, timeout=60, **kw):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    sys.stdout.write(p.stderr[-4000:])
    return p


def summary(path):
    """Read a --json summary and remove it: lcx-ingest never replaces an existing file,
    so the next run of a case can write the same path."""
    with open(path) as f:
        j = json.load(f)
    os.unlink(path)
    return j


def check_balanced(t):
    s = t["accepted"] + t["filtered"] + t["malformed"] + t["sink_dropped"]
    if t["rx_total"] != s or not t["balanced"]:
        fail(f"not balanced: rx_total {t['rx_total']} != {s}")


def gen(tmp, *args):
    p = subprocess.run([GEN, *args], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(p.stdout) if p.stdout.strip() else None


def case_corpus(tmp):
    """Every malformed frame counted under its reason, the good ones accepted."""
    pcap = os.path.join(tmp, "corpus.pcap")
    want = gen(tmp, "corpus", pcap)
    js = os.path.join(tmp, "s.json")
    p = run(eal("corpus", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=2", f"--json={js}", "--seq=0:4", "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    if t["rx_total"] != want["total"]:
        fail(f"rx_total {t['rx_total']} != {want['total']} frames in the corpus")
    for name, n in t["malformed_by"].items():
        if n != want[name]:
            fail(f"malformed {name}: {n}, corpus has {want[name]}")
        # The link and chain reasons need other link types or chains:
        # case_linktypes, case_jumbo.
        if n == 0 and name not in ("link_trunc", "ip_version", "chain_hdr"):
            fail(f"malformed {name}: none in the corpus")
    for name, n in t["filtered_by"].items():
        if n != want[name]:
            fail(f"filtered {name}: {n}, corpus has {want[name]}")
    if t["accepted"] != want["ok"]:
        fail(f"accepted {t['accepted']} != {want['ok']} valid frames")
    if t["seq"]["lost"] != 0:
        fail(f"the valid frames around the bad ones carry 0,1,2...: lost {t['seq']['lost']}")
    # Same corpus, port filter: only 5000 passes; the rest of OK become "port".
    p = run(eal("corpus2", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--json={js}", "--ports=6000-6001", "--stats-period=0"])
    t = summary(js)["totals"]
    check_balanced(t)
    if t["accepted"] != 0 or t["filtered_by"]["port"] != want["ok"]:
        fail(f"port filter: accepted {t['accepted']}, port {t['filtered_by']['port']}")
    print("corpus: %d frames, %d malformed under %d reasons, %d accepted" %
          (t["rx_total"], t["malformed"], len(t["malformed_by"]), want["ok"]))


# --- capture files of other link types, written here (struct), independent of
# lcx-ingest's own generator ---

def ip4_udp(src, dst, sport, dport, payload):
    """An IPv4/UDP packet (checksums: IP right, UDP 0)."""
    ulen = 8 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    c = sum(struct.unpack("!10H", hdr))
    c = (c & 0xffff) + (c >> 16)
    c = (c & 0xffff) + (c >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~c & 0xffff) + hdr[12:]
    return hdr + struct.pack("!HHHH", sport, dport, ulen, 0) + payload


def ip6_udp(src, dst, sport, dport, payload):
    ulen = 8 + len(payload)
    return (struct.pack("!IHBB", 6 << 28, ulen, 17, 64) +
            socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
            struct.pack("!HHHH", sport, dport, ulen, 0) + payload)


def link_frame(linktype, ip, ethertype=None):
    """Put an IP packet (or anything, with ethertype) behind a link header."""
    if ethertype is None:
        ethertype = 0x86dd if ip[:1] == b"\x60" or (ip and ip[0] >> 4 == 6) else 0x0800
    if linktype == 1:
        return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + struct.pack("!H", ethertype) + ip
    if linktype in (101, 12, 228, 229):
        return ip
    if linktype == 113:  # packet type, ARPHRD_ETHER, address length, address, protocol
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\x00\x00\x00\x00\x01\x00\x00", ethertype) + ip
    if linktype == 276:  # protocol, reserved, ifindex, ARPHRD, type, length, address
        return struct.pack("!HHIHBB8s", ethertype, 0, 2, 1, 0, 6,
                           b"\x02\x00\x00\x00\x00\x01\x00\x00") + ip
    if linktype in (0, 108):  # address family: host (little-endian here) / network order
        af = {0x0800: 2, 0x86dd: 10 if linktype == 0 else 24}.get(ethertype, 7)
        return struct.pack("<I" if linktype == 0 else "!I", af) + ip
    raise ValueError(linktype)


def write_pcap(path, linktype, frames, snaplen=262144):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def ingest_pcap(tmp, case, pcap, *args):
    js = os.path.join(tmp, case + ".json")
    p = run(eal(case, f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--json={js}", "--stats-period=0", *args])
    return p, (summary(js) if p.returncode == 0 else None)


def case_linktypes(tmp):
    """Ethernet, raw IP, Linux cooked v1/v2 and loopback captures: 10 UDP
    datagrams (7 IPv4, 3 IPv6) accepted in each, counted at their frame
    lengths, sequence numbers 0..9 in order; a non-IP frame filtered, a cut
    link header malformed. An unknown link type: a clear error, exit 2."""
    for lt in (1, 101, 12, 113, 276, 0, 108):
        frames, want_bytes = [], 0
        for i in range(10):
            pl = struct.pack("!I", i) + bytes(20 + 37 * i)
            if i < 7:
                ip = ip4_udp("198.18.0.1", "198.18.1.1", 4000, 5000, pl)
            else:
                ip = ip6_udp("2001:db8::1", "2001:db8::2", 4001, 5001, pl)
            fr = link_frame(lt, ip)
            frames.append(fr)
            want_bytes += len(fr)
        hlen = len(link_frame(lt, b""))
        if lt in (101, 12):  # raw: a packet of IP version 5
            frames.append(b"\x55" + bytes(30))
            bad = ("malformed_by", "ip_version")
        else:  # ARP (or AF 7) behind the link header
            frames.append(link_frame(lt, bytes(28), ethertype=0x0806))
            bad = ("filtered_by", "not_ip")
        # A frame cut inside the link header (raw: empty).
        frames.append(link_frame(lt, b"")[:max(hlen - 1, 0)])
        cut = "eth_trunc" if lt == 1 else "link_trunc"
        pcap = os.path.join(tmp, f"lt{lt}.pcap")
        write_pcap(pcap, lt, frames)
        p, js = ingest_pcap(tmp, f"lt{lt}", pcap, "--seq=0:4")
        if p.returncode != 0:
            fail(f"link type {lt}: exit {p.returncode}")
        t = js["totals"]
        check_balanced(t)
        if t["rx_total"] != 12 or t["accepted"] != 10:
            fail(f"link type {lt}: rx_total {t['rx_total']} accepted {t['accepted']}, "
                 f"want 12 and 10 ({t['filtered_by']}, {t['malformed_by']})")
        if t["accepted_bytes"] != want_bytes:
            fail(f"link type {lt}: accepted_bytes {t['accepted_bytes']} != {want_bytes}")
        if t[bad[0]][bad[1]] != 1 or t["malformed_by"][cut] != 1:
            fail(f"link type {lt}: {bad[1]} {t[bad[0]][bad[1]]}, {cut} "
                 f"{t['malformed_by'][cut]}, want 1 and 1")
        sq = t["seq"]
        # Flow 1 carries 0..6, flow 2 7..9: both in order, nothing lost.
        if (sq["received"], sq["lost"], sq["duplicate"], t["flows"]["active"]) != (10, 0, 0, 2):
            fail(f"link type {lt}: seq {sq}, flows {t['flows']}")
        print(f"link type {lt}: 10 accepted, {want_bytes} bytes, 2 flows")
    # Unknown link type (802.11): refused before anything runs.
    pcap = os.path.join(tmp, "wifi.pcap")
    write_pcap(pcap, 105, [bytes(64)])
    p, _ = ingest_pcap(tmp, "lt105", pcap)
    if p.returncode != 2 or "link type 105" not in p.stderr:
        fail(f"802.11 capture: exit {p.returncode}, want 2 and a message naming link type 105")
    # A raw capture with a sink: the pcapng file would say Ethernet: refused.
    pcap = os.path.join(tmp, "raw.pcap")
    write_pcap(pcap, 101, [ip4_udp("198.18.0.1", "198.18.1.1", 1, 2, b"x")])
    p, _ = ingest_pcap(tmp, "lt101c", pcap, "--capture=" + os.path.join(tmp, "c.pcapng"))
    if p.returncode != 2 or "Ethernet input only" not in p.stderr:
        fail(f"raw capture with --capture: exit {p.returncode}, want 2 and a message")
    print("link type 105: refused (exit 2); raw with --capture: refused (exit 2)")


def case_jumbo(tmp):
    """Datagrams past one mbuf (net_pcap hands them on as chains), up to the
    largest (65507 bytes over IPv4, 65527 over IPv6): all accepted, counted at
    their frame lengths; the counter read where it lies, across segments."""
    sizes4 = [100, 1472, 2100, 3000, 9000, 40000, 65507]
    sizes6 = [3000, 65527]
    for off in (0, 2001):  # 2001: the 8-byte counter spans bytes 2043-2050 of the frame
        frames, want_bytes, with_seq = [], 0, 0
        for i, n in enumerate(sizes4 + sizes6):
            pl = bytearray(n)
            if off + 8 <= n:
                pl[off:off + 8] = struct.pack("!Q", i)
                with_seq += 1
            if i < len(sizes4):
                ip = ip4_udp("198.18.0.1", "198.18.1.1", 4000, 5000, bytes(pl))
            else:
                ip = ip6_udp("2001:db8::1", "2001:db8::2", 4001, 5001, bytes(pl))
            fr = link_frame(1, ip)
            frames.append(fr)
            want_bytes += len(fr)
        pcap = os.path.join(tmp, f"jumbo{off}.pcap")
        write_pcap(pcap, 1, frames)
        p, js = ingest_pcap(tmp, f"jumbo{off}", pcap, f"--seq={off}:8", "--top=4")
        if p.returncode != 0:
            fail(f"exit {p.returncode}")
        t = js["totals"]
        check_balanced(t)
        n = len(frames)
        if t["rx_total"] != n or t["accepted"] != n or t["accepted_bytes"] != want_bytes:
            fail(f"seq at {off}: rx_total {t['rx_total']} accepted {t['accepted']} "
                 f"bytes {t['accepted_bytes']}, want {n}, {n}, {want_bytes} "
                 f"({t['malformed_by']})")
        sq = t["seq"]
        # In order as sent: chains are not taken out of their burst's order.
        if (sq["received"] != with_seq or sq["no_seq"] != n - with_seq or sq["lost"] != 0 or
                sq["reordered"] != 0 or sq["expected"] != with_seq):
            fail(f"seq at {off}: {sq}, want received and expected {with_seq}, "
                 f"no_seq {n - with_seq}, lost 0, reordered 0")
        fb = sum(f["bytes"] for f in js["top_flows"])
        if fb != want_bytes:
            fail(f"seq at {off}: the flows hold {fb} bytes, sent {want_bytes}")
        print(f"seq at {off}: {n} datagrams up to 65527 bytes, {want_bytes} bytes, "
              f"{with_seq} counters")


def tshark_count(path):
    p = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        fail(f"tshark cannot read {path}: {p.stderr.strip()}")
    return len([l for l in p.stdout.splitlines() if l.strip()])


def case_capture(tmp):
    """pcapng capture readable by tshark, rotation by size, every frame written."""
    if shutil.which("tshark") is None:
        skip("tshark not installed (apt-get install tshark)")
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "50", "5000", "200")
    cap = os.path.join(tmp, "cap.pcapng")
    js = os.path.join(tmp, "s.json")
    p = run(eal("capture", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=2", f"--json={js}", f"--capture={cap}", "--rotate-size=300k",
             "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    files = sorted(f for f in os.listdir(tmp) if f.startswith("cap-"))
    if len(files) < 3:
        fail(f"rotation by size: {files}")
    n = sum(tshark_count(os.path.join(tmp, f)) for f in files)
    if n != 5000 or t["sink"]["written"] != 5000 or t["accepted"] != 5000:
        fail(f"{n} frames in the files, written {t['sink']['written']}, want 5000")
    for f in files[:-1]:
        if os.path.getsize(os.path.join(tmp, f)) > 300 * 1024:
            fail(f"{f} larger than the rotation size")
    # A snaplen cuts frames; tshark still reads the file.
    p = run(eal("capture2", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--capture={cap}", "--snaplen=60", "--stats-period=0"])
    out = subprocess.run(["tshark", "-r", cap, "-T", "fields", "-e", "frame.cap_len",
                          "-e", "frame.len", "-c", "3"], stdout=subprocess.PIPE, text=True)
    for line in out.stdout.splitlines():
        cl, fl = map(int, line.split())
        if cl != 60 or fl != 242:
            fail(f"snaplen: captured {cl} of {fl}")
    # Rotation by time, also while no traffic comes (the input ends at once).
    d2 = os.path.join(tmp, "t")
    os.mkdir(d2)
    p = run(eal("capture3", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=3500ms", f"--capture={d2}/c.pcapng", "--rotate-time=1s",
             "--stats-period=0"])
    tfiles = sorted(os.listdir(d2))
    if p.returncode != 0 or len(tfiles) < 3 or len(tfiles) > 5:
        fail(f"rotation by time: {tfiles}")
    n2 = sum(tshark_count(os.path.join(d2, f)) for f in tfiles)
    if n2 != 5000:
        fail(f"rotation by time: {n2} frames in the files")
    print(f"capture: {len(files)} files by size, {len(tfiles)} by time, "
          f"{n} frames read back by tshark")


def case_payload(tmp):
    """--payload-dir: one file per flow holding exactly the payloads."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "7", "5000", "33")
    d = os.path.join(tmp, "pl")
    js = os.path.join(tmp, "s.json")
    p = run(eal("payload", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--json={js}", f"--payload-dir={d}", "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    check_balanced(summary(js)["totals"])
    files = os.listdir(d)
    if len(files) != 10:
        fail(f"{len(files)} payload files, want 10")
    for f in files:
        if os.path.getsize(os.path.join(d, f)) != 7 * 33:
            fail(f"{f}: {os.path.getsize(os.path.join(d, f))} bytes, want {7 * 33}")
    print("payload: 10 files of 7 payloads each")


def case_nofile(tmp):
    """A capture file that cannot be opened: clear error, drops counted, counting goes on."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "100", "5000", "64")
    js = os.path.join(tmp, "s.json")
    p = run(eal("nofile", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--json={js}", "--capture=/nonexistent/dir/x.pcapng",
             "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    if "cannot open /nonexistent/dir/x.pcapng" not in p.stderr:
        fail("no clear error message")
    t = summary(js)["totals"]
    check_balanced(t)
    if t["rx_total"] != 1000 or t["sink_dropped"] != 1000 or t["accepted"] != 0:
        fail(f"rx_total {t['rx_total']} sink_dropped {t['sink_dropped']}")
    print("nofile: 1000 received, 1000 counted as sink_dropped, balanced")


def case_diskfull(tmp):
    """A disk that fills up: write errors counted, the run goes on and balances."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        skip("needs root and unshare to mount a small tmpfs")
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "100", "5000", "400")
    mnt = os.path.join(tmp, "small")
    os.mkdir(mnt)
    js = os.path.join(tmp, "s.json")
    args = eal("diskfull", f"--vdev=net_pcap0,rx_pcap={pcap}") + [
        "--duration=2", f"--json={js}", f"--capture={mnt}/c.pcapng", "--stats-period=0"]
    script = f"mount -t tmpfs -o size=256k tmpfs {mnt} && exec " + " ".join(args)
    p = run(["unshare", "-m", "sh", "-c", script])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    if t["rx_total"] != 10000 or t["sink"]["write_errors"] == 0 or t["sink"]["written"] == 0:
        fail(f"rx {t['rx_total']} written {t['sink']['written']} errors "
             f"{t['sink']['write_errors']}")
    if "No space left on device" not in p.stderr:
        fail("no clear error message for the full disk")
    print(f"diskfull: {t['sink']['written']} written, {t['sink']['write_errors']} lost to "
          "ENOSPC, balanced")


def case_sigint(tmp):
    """SIGINT flushes and closes the capture; the summary is still exact."""
    if shutil.which("tshark") is None:
        skip("tshark not installed")
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "10", "5000", "100")
    cap = os.path.join(tmp, "c.pcapng")
    js = os.path.join(tmp, "s.json")
    p = subprocess.Popen(eal("sigint", f"--vdev=net_pcap0,rx_pcap={pcap}") +
                         [f"--json={js}", f"--capture={cap}", "--stats-period=0"],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    sys.stdout.write(err[-2000:])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    if tshark_count(cap) != 1000 or t["sink"]["written"] != 1000:
        fail("capture incomplete after SIGINT")
    print("sigint: 1000 frames in a readable capture")


def ctl_request(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return json.loads(buf)


def check_rates(flows, frame, what):
    """Each flow sent `frame`-byte frames: its bytes are packets x frame, and
    rate_bps is rate_pps x 8 x frame (both over one span, rounded down)."""
    for f in flows:
        if f["bytes"] != f["packets"] * frame:
            fail(f"{what}: {f['flow']}: {f['bytes']} bytes for {f['packets']} frames of {frame}")
        if f["rate_pps"] <= 0:
            fail(f"{what}: {f['flow']}: rate_pps {f['rate_pps']}")
        d = f["rate_bps"] - f["rate_pps"] * 8 * frame
        if not 0 <= d < 8 * frame:
            fail(f"{what}: {f['flow']}: rate_pps {f['rate_pps']} and rate_bps {f['rate_bps']} "
                 f"disagree (frames of {frame} bytes)")


def case_control(tmp):
    """Control socket: stats, flows, rotate, bad requests, stop."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "20", "50", "5000", "100")
    sock = os.path.join(tmp, "ctl.sock")
    cap = os.path.join(tmp, "c.pcapng")
    js = os.path.join(tmp, "s.json")
    p = subprocess.Popen(eal("control", f"--vdev=net_pcap0,rx_pcap={pcap}") +
                         [f"--control={sock}", f"--capture={cap}", "--rotate-time=1h",
                          f"--json={js}", "--stats-period=0", "--duration=20"],
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        r = ctl_request(sock, '{"cmd":"stats"}')
        if r["ok"] is not True or r["stats"]["rx_total"] != 1000 or \
                r["control"]["accepted"] != 1:
            fail(f"stats: {r}")
        check_balanced(r["stats"])
        r = ctl_request(sock, '{"cmd":"help"}')
        if r["ok"] is not True or [x["cmd"] for x in r["commands"]] != \
                ["help", "stats", "flows", "rotate", "stop"]:
            fail(f"help: {r}")
        r = ctl_request(sock, '{"cmd":"flows","n":5}')
        if not r["ok"] or len(r["flows"]) != 5 or r["flows"][0]["packets"] != 50:
            fail(f"flows: {r}")
        check_rates(r["flows"], 142, "control flows (flows younger than a window)")
        for bad in ['{"cmd":"nope"}', "stats", '{"cmd":"flows","n":0}', '{"cmd":"stats",}',
                    '{"cmd":"help","n":1}', "x" * 5000]:
            r = ctl_request(sock, bad)
            if set(r) != {"ok", "error"} or r["ok"] is not False or not r["error"]:
                fail(f"bad request accepted: {bad[:40]}: {r}")
        r = ctl_request(sock, '{"cmd":"stats"}')
        if r["stats"]["rx_total"] != 1000:
            fail("a bad request changed something")
        r = ctl_request(sock, '{"cmd":"rotate"}')
        if not r["ok"]:
            fail(f"rotate: {r}")
        time.sleep(0.5)
        if not os.path.exists(os.path.join(tmp, "c-00001.pcapng")):
            fail(f"rotate made no new file: {os.listdir(tmp)}")
        r = ctl_request(sock, '{"cmd":"stop"}')
        if r != {"ok": True, "stopping": True}:
            fail(f"stop: {r}")
        _, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    sys.stdout.write(err[-2000:])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    j = summary(js)
    check_balanced(j["totals"])
    check_rates(j["top_flows"], 142, "summary top_flows")
    print("control: stats, help, flows, rotate, 6 bad requests, stop")


def ctl_run(tmp, case, extra=(), umask=None, preexec=None):
    """lcx-ingest reading a small capture, with a control socket in a
    directory every user may traverse (the socket's own mode decides)."""
    pcap = os.path.join(tmp, "flows.pcap")
    if not os.path.exists(pcap):
        gen(tmp, "flows", pcap, "20", "50", "5000", "100")
    os.chmod(tmp, 0o755)
    sock = os.path.join(tmp, case + ".sock")

    def pre():
        if umask is not None:
            os.umask(umask)
        if preexec is not None:
            preexec(sock)
    p = subprocess.Popen(eal(case, f"--vdev=net_pcap0,rx_pcap={pcap}") +
                         [f"--control={sock}", "--stats-period=0", "--duration=60", *extra],
                         stderr=subprocess.PIPE, text=True, preexec_fn=pre)
    for _ in range(200):
        if os.path.exists(sock) or p.poll() is not None:
            break
        time.sleep(0.05)
    if not os.path.exists(sock):
        p.kill()
        fail(f"{case}: no control socket: {p.communicate()[1][-2000:]}")
    return p, sock


def ctl_end(p, sock, stop=True):
    try:
        if stop and p.poll() is None:
            ctl_request(sock, '{"cmd":"stop"}')
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            _, err = p.communicate()
    sys.stdout.write(err[-2000:])
    return p.returncode, err


def case_control_access(tmp):
    """umask 000: the socket is 0600 and nobody cannot connect; with a wide
    --control-mode the server refuses nobody, one error line, counted;
    --control-group lets the group in."""
    if os.geteuid() != 0:
        skip("not root: cannot connect as nobody")
    p, sock = ctl_run(tmp, "control_access", umask=0)
    try:
        mode = ctl_common.socket_mode(sock)
        if mode != 0o600:
            fail(f"socket mode {mode:o} under umask 000")
        got = ctl_common.as_nobody(sock, b'{"cmd":"stop"}\n')
        if got[0] != "refused":
            fail(f"nobody talked to a 0600 socket: {got}")
        time.sleep(0.3)
        if p.poll() is not None:
            fail("nobody stopped lcx-ingest")
    finally:
        rc, err = ctl_end(p, sock)
    if rc != 0:
        fail(f"exit {rc}")
    p, sock = ctl_run(tmp, "control_access", ["--control-mode=0666"], umask=0)
    try:
        if ctl_common.socket_mode(sock) != 0o666:
            fail("--control-mode=0666 not applied")
        got = ctl_common.as_nobody(sock, b'{"cmd":"stop"}\n')
        if got[0] != "reply" or len(got[1]) != 1 or got[1][0]["ok"] is not False or \
                "not allowed" not in got[1][0]["error"]:
            fail(f"nobody on a 0666 socket: {got}")
        time.sleep(0.3)
        if p.poll() is not None:
            fail("nobody stopped lcx-ingest")
        c = ctl_request(sock, '{"cmd":"stats"}')["control"]
        if c["refused_peer"] != 1:
            fail(f"control counters {c}")
    finally:
        rc, err = ctl_end(p, sock)
    if rc != 0 or "refused 1 not allowed" not in err:
        fail(f"exit {rc}, no word of the refusal")
    p, sock = ctl_run(tmp, "control_access", ["--control-group=65534"], umask=0o077)
    try:
        st = os.lstat(sock)
        if ctl_common.socket_mode(sock) != 0o660 or st.st_gid != 65534:
            fail(f"mode {ctl_common.socket_mode(sock):o} gid {st.st_gid}")
        got = ctl_common.as_nobody(sock, b'{"cmd":"stop"}\n')
        if got != ("reply", [{"ok": True, "stopping": True}]):
            fail(f"group member: {got}")
    finally:
        rc, err = ctl_end(p, sock, stop=False)
    if rc != 0:
        fail(f"exit {rc}")
    print("control_access: 0600 under umask 000, nobody refused twice, the group let in")


def case_control_lockout(tmp):
    """16 idle clients (the limit), then "stop" gets through at the first attempt."""
    p, sock = ctl_run(tmp, "control_lockout")
    try:
        reply, told = ctl_common.idle_lockout(sock, 16)
        if reply != {"ok": True, "stopping": True}:
            fail(f"stop at the first attempt: {reply}")
        if told < 1:
            fail("no idle client was told it was evicted")
    finally:
        rc, err = ctl_end(p, sock, stop=False)
    if rc != 0:
        fail(f"exit {rc}")
    print(f"control_lockout: stop at the first attempt; {told} idle client(s) evicted")


def case_control_busy(tmp):
    """30 clients sending "stats" back to back: "stop" within 3 attempts."""
    p, sock = ctl_run(tmp, "control_busy")
    try:
        attempts, made = ctl_common.busy_stop(sock, 30)
        if made <= 30:
            fail(f"the busy clients made only {made} requests")
        if attempts is None or attempts > 3:
            fail(f"stop needed {attempts} attempts")
    finally:
        rc, err = ctl_end(p, sock, stop=False)
    if rc != 0:
        fail(f"exit {rc}")
    print(f"control_busy: stop at attempt {attempts} under {made} busy requests")


def case_control_pipeline(tmp):
    """A client that pipelines far more than it reads: replies, an error line, the end."""
    p, sock = ctl_run(tmp, "control_pipeline")
    try:
        good, last, ended = ctl_common.pipeline_overflow(sock, 8000)
        if good < 10 or last is None or last.get("ok") is not False or \
                "wait unread" not in last.get("error", "") or not ended:
            fail(f"{good} replies, last {last}, ended {ended}")
        c = ctl_request(sock, '{"cmd":"stats"}')["control"]
        if c["overflow_closed"] != 1:
            fail(f"control counters {c}")
    finally:
        rc, err = ctl_end(p, sock)
    if rc != 0 or "1 not reading their replies" not in err:
        fail(f"exit {rc}, no word of the overflow")
    print(f"control_pipeline: {good} replies, then {last}")


def case_control_idle(tmp):
    """--control-idle=500ms: a silent client gets an error line after that long."""
    p, sock = ctl_run(tmp, "control_idle", ["--control-idle=500ms"])
    try:
        t, line = ctl_common.idle_timeout(sock)
        if line is None or line["ok"] is not False or "idle" not in line["error"]:
            fail(f"line {line}")
        if not 0.45 <= t <= 1.5:
            fail(f"closed after {t:.3f} s, --control-idle=500ms")
    finally:
        rc, err = ctl_end(p, sock)
    if rc != 0 or "1 idle" not in err:
        fail(f"exit {rc}, no word of the idle client")
    print(f"control_idle: closed after {t:.3f} s")


def case_control_planted(tmp):
    """A file or symlink at the control path: refused, clear error, untouched;
    a file or symlink at PATH.<pid>: untouched."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "20", "50", "5000", "100")
    sock = os.path.join(tmp, "planted.sock")
    target = os.path.join(tmp, "target")
    ctl_common.plant(target, "file")
    for kind, tgt in (("file", None), ("link", target), ("link", "/nonexistent/x")):
        ctl_common.plant(sock, kind, tgt)
        p = run(eal("control_planted", f"--vdev=net_pcap0,rx_pcap={pcap}") +
                [f"--control={sock}", "--stats-period=0", "--duration=1"])
        if p.returncode == 0 or "exists and is not a socket" not in p.stderr:
            fail(f"{kind} at the path: exit {p.returncode}")
        if not ctl_common.intact(sock, kind, tgt) or not ctl_common.intact(target, "file"):
            fail(f"{kind} at the path was touched")
        os.unlink(sock)
    for kind, tgt in (("file", None), ("link", target)):
        def pre(path, kind=kind, tgt=tgt):
            # In the child before exec: its pid is lcx-ingest's.
            ctl_common.plant(f"{path}.{os.getpid()}", kind, tgt)
        p, sock = ctl_run(tmp, "control_planted", preexec=pre)
        side = f"{sock}.{p.pid}"
        rc, err = ctl_end(p, sock)
        if rc != 0:
            fail(f"exit {rc} with a {kind} at PATH.<pid>")
        if not ctl_common.intact(side, kind, tgt) or not ctl_common.intact(target, "file"):
            fail(f"{kind} at PATH.<pid> was touched")
        if os.path.lexists(sock):
            fail("the socket was left behind")
        os.unlink(side)
    print("control_planted: files and symlinks at PATH and PATH.<pid> left alone")


def telemetry(prefix, cmd):
    base = "/var/run/dpdk" if os.geteuid() == 0 else os.path.join(
        os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(os.path.join(base, prefix, "dpdk_telemetry.v2"))
    s.recv(1024 * 12)  # the greeting
    s.send(cmd.encode())
    r = json.loads(s.recv(1024 * 64))
    s.close()
    return r[cmd.split(",")[0]]


def case_telemetry(tmp):
    """DPDK telemetry /lcx/ingest/... gives the same figures as the control socket."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "20", "50", "5000", "100")
    sock = os.path.join(tmp, "ctl.sock")
    p = subprocess.Popen(eal("telemetry", f"--vdev=net_pcap0,rx_pcap={pcap}") +
                         [f"--control={sock}", "--seq=0:4", "--stats-period=0",
                          "--duration=20"], stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        c = ctl_request(sock, '{"cmd":"stats"}')["stats"]
        t = telemetry("lcxing-telemetry" + TAG, "/lcx/ingest/stats")
        for k in ("rx_total", "accepted", "filtered", "malformed", "sink_dropped"):
            if t[k] != c[k]:
                fail(f"telemetry {k} {t[k]} != control {c[k]}")
        if t["rx_total"] != 1000 or t["seq_received"] != 1000 or t["flows"] != 20:
            fail(f"telemetry stats: {t}")
        f = telemetry("lcxing-telemetry" + TAG, "/lcx/ingest/flows,3")
        if len(f["flows"]) != 3 or f["0"][0] != 50 or f["fields"][0] != "packets":
            fail(f"telemetry flows: {f}")
        s = telemetry("lcxing-telemetry" + TAG, "/lcx/ingest/sink")
        if s["written"] != 0:
            fail(f"telemetry sink: {s}")
        ctl_request(sock, '{"cmd":"stop"}')
        p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    print("telemetry: /lcx/ingest/stats, flows and sink agree with the control socket")


def listen_run(tmp, case, args, send, wrap=(), family=socket.AF_INET, before_stop=None,
               eal_extra=(), paused=False, settle=None):
    """lcx-ingest with args and a control socket; send(a UDP socket of family) once it
    is up (with paused, while the process is stopped by SIGSTOP, so nothing is read
    during the send), then before_stop(control socket path) if given, then "stop".
    With settle=N, waits (up to 5 s, asking the control socket) until rx_total reaches N
    before the stop: what is still in a socket at the stop is counted lost, and a rx
    context starved of CPU on a loaded VM drains slowly (doc/performance.md, "Under
    load"), which is latency, not the loss these cases look for.
    Fails unless it exits 0; returns (stderr, the JSON summary)."""
    js = os.path.join(tmp, case + ".json")
    sock = os.path.join(tmp, case + ".sock")
    p = subprocess.Popen([*wrap, *eal(case, *eal_extra), *args, f"--json={js}", f"--control={sock}",
                          "--stats-period=0", "--duration=20"],
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.3)
        if paused:
            p.send_signal(signal.SIGSTOP)
        try:
            send(socket.socket(family, socket.SOCK_DGRAM))
        finally:
            if paused:
                p.send_signal(signal.SIGCONT)
        time.sleep(0.5)
        deadline = time.monotonic() + 5
        while settle is not None and time.monotonic() < deadline and \
                ctl_request(sock, '{"cmd":"stats"}')["stats"]["rx_total"] < settle:
            time.sleep(0.05)
        if before_stop is not None:
            before_stop(sock)
        ctl_request(sock, '{"cmd":"stop"}')
        _, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    sys.stdout.write(err[-2000:])
    if p.returncode != 0:
        fail(f"{case}: exit {p.returncode}")
    return err, summary(js)


def case_socket(tmp):
    """Kernel UDP on 100 ports of 127.0.0.1: every datagram accounted, seq tracked."""
    nports, per = 100, 50
    lo, hi = BASE_PORT + 100, BASE_PORT + 100 + nports - 1
    cap = os.path.join(tmp, "s.pcapng")
    capture = [f"--capture={cap}"] if shutil.which("tshark") else []

    def send(s):
        for i in range(per):
            for port in range(lo, hi + 1):
                s.sendto(struct.pack(">I", i) + b"x" * 28, ("127.0.0.1", port))
            time.sleep(0.002)

    _, j = listen_run(tmp, "socket", [f"--listen=127.0.0.1:{lo}-{hi}", "--seq=0:4", *capture,
                                      "--throttle=5ms"], send, settle=nports * per)
    t = j["totals"]
    check_balanced(t)
    if t["accepted"] != nports * per or t["flows"]["active"] != nports:
        fail(f"accepted {t['accepted']}, flows {t['flows']['active']}")
    if t["seq"]["lost"] or t["seq"]["duplicate"] or t["seq"]["received"] != nports * per:
        fail(f"seq: {t['seq']}")
    if capture:
        n = tshark_count(cap)
        out = subprocess.run(["tshark", "-r", cap, "-c", "1", "-T", "fields", "-e",
                              "udp.dstport", "-e", "frame.interface_name"],
                             stdout=subprocess.PIPE, text=True).stdout.split()
        if n != nports * per or int(out[0]) < lo or out[1] != "lcx-socket":
            fail(f"socket capture: {n} frames, first {out}")
    print(f"socket: {nports * per} datagrams on {nports} ports, all accepted, no loss")


def ipv6_lo():
    """Whether lo has ::1 (/proc/net/if_inet6)."""
    try:
        with open("/proc/net/if_inet6") as f:
            return any(l.split()[0] == "0" * 31 + "1" and l.split()[-1] == "lo" for l in f)
    except OSError:
        return False


def case_socket6(tmp):
    """Kernel UDP on [::1]: --listen=[::1]:PORT, N datagrams from one AF_INET6 sender,
    all accepted in one IPv6 flow keyed by the IPv6 addresses."""
    if not ipv6_lo():
        skip("no ::1 on lo (IPv6 disabled?)")
    port, n = BASE_PORT + 250, 200
    sport = []
    flows = []

    def send(s):
        s.bind(("::1", 0))
        sport.append(s.getsockname()[1])
        for i in range(n):
            s.sendto(struct.pack(">I", i) + b"y" * 28, ("::1", port))
            if i % 50 == 49:
                time.sleep(0.002)

    def before_stop(ctl):
        flows.append(ctl_request(ctl, '{"cmd":"flows"}'))

    _, j = listen_run(tmp, "socket6", [f"--listen=[::1]:{port}", "--seq=0:4"], send,
                      family=socket.AF_INET6, before_stop=before_stop)
    t = j["totals"]
    check_balanced(t)
    if t["accepted"] != n or t["filtered"] or t["malformed"] or t["flows"]["active"] != 1:
        fail(f"accepted {t['accepted']}, filtered {t['filtered']}, malformed {t['malformed']}, "
             f"flows {t['flows']['active']}")
    if t["seq"]["lost"] or t["seq"]["duplicate"] or t["seq"]["received"] != n:
        fail(f"seq: {t['seq']}")
    fl = flows[0].get("flows", [])
    want = f"[::1]:{sport[0]}>[::1]:{port}"
    if len(fl) != 1 or fl[0]["flow"] != want or fl[0]["packets"] != n:
        fail(f"flows: {fl}, want one {want} of {n} packets")
    print(f"socket6: {n} datagrams on [::1]:{port}, all accepted in flow {want}")


def rcvbuf_run(tmp, case, port, rcvbuf, n, wrap=()):
    """lcx-ingest on 127.0.0.1:port with --rcvbuf, n datagrams sent, every one
    accepted; returns (stderr, the port's rcvbuf in the summary)."""
    def send(s):
        for i in range(n):
            s.sendto(struct.pack(">I", i) + b"x" * 28, ("127.0.0.1", port))

    err, j = listen_run(tmp, case, [f"--listen=127.0.0.1:{port}", f"--rcvbuf={rcvbuf}"], send,
                        wrap)
    check_balanced(j["totals"])
    if j["totals"]["accepted"] != n:
        fail(f"--rcvbuf={rcvbuf}: accepted {j['totals']['accepted']} of {n}")
    return err, j["ports"][0]["rcvbuf"]


def case_rcvbuf(tmp):
    """--rcvbuf: bad values exit 2; 8M applied, every datagram received; capped: a warning."""
    for bad in ("bogus", "0", "-1", "3G", "8X", ""):
        p = run([EXE, "--", "--listen=127.0.0.1:%d" % (BASE_PORT + 300), f"--rcvbuf={bad}"])
        if p.returncode != 2 or "--rcvbuf" not in p.stderr:
            fail(f"--rcvbuf={bad}: exit {p.returncode}, stderr {p.stderr.strip()!r}")
    p = run([EXE, "--", "--rcvbuf=8M", "--duration=1"])
    if p.returncode != 2 or "--rcvbuf needs --listen" not in p.stderr:
        fail(f"--rcvbuf without --listen: exit {p.returncode}")
    with open("/proc/sys/net/core/rmem_max") as f:
        rmem_max = int(f.read())
    root = os.geteuid() == 0
    _, got8 = rcvbuf_run(tmp, "rcvbuf", BASE_PORT + 300, "8M", 1000)
    if root or rmem_max >= 8 << 20:
        if got8 < 2 * (8 << 20):
            fail(f"--rcvbuf=8M: SO_RCVBUF reads {got8}, want at least {2 * (8 << 20)}")
    elif got8 <= 0:
        fail(f"--rcvbuf=8M: rcvbuf {got8} in the summary")
    # Past rmem_max without CAP_NET_ADMIN: the kernel caps it, a warning, the run goes on.
    msg = "without CAP_NET_ADMIN not run (needs root and setpriv)"
    if root and shutil.which("setpriv") and rmem_max < 1 << 28:
        ask = 2 * rmem_max
        err, got = rcvbuf_run(tmp, "rcvbuf2", BASE_PORT + 301, str(ask), 100,
                              wrap=("setpriv", "--bounding-set=-net_admin",
                                    "--inh-caps=-net_admin", "--"))
        if got != 2 * rmem_max or "net.core.rmem_max" not in err or str(ask) not in err:
            fail(f"capped: rcvbuf {got}, want {2 * rmem_max} and a warning")
        msg = f"without CAP_NET_ADMIN capped at {got} with a warning"
    print(f"rcvbuf: 6 bad values exit 2; 8M: 1000 received, SO_RCVBUF {got8}; {msg}")


def case_default(tmp):
    """No EAL options, no input: the embedded default runs on a fresh machine."""
    js = os.path.join(tmp, "s.json")
    p = run([EXE, "--", "--duration=2", f"--json={js}", "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    if "no input given" not in p.stderr:
        fail("the embedded default does not say so")
    t = summary(js)["totals"]
    check_balanced(t)
    if t["rx_total"] == 0 or t["malformed"] == 0 or t["flows"]["active"] != 1002:
        fail(f"default run: {t['rx_total']} frames, {t['flows']['active']} flows")
    print(f"default: {t['rx_total']} frames in 2 s, balanced")


def check_pools(j, what):
    """Every mbuf back in every pool at exit (the mempool's own count)."""
    pools = j.get("mbuf_pools")
    if not isinstance(pools, list) or not pools:
        fail(f"{what}: no mbuf_pools in the summary: {pools}")
    for p in pools:
        if set(p) != {"name", "size", "available", "in_use"}:
            fail(f"{what}: pool keys {p}")
        if p["in_use"] != 0 or p["available"] != p["size"] or p["size"] <= 0:
            fail(f"{what}: pool {p['name']}: {p['in_use']} of {p['size']} mbufs not back")
    return pools


def case_named(tmp):
    """A device named with -a/--vdev that gives no port: exit 1 before any run, no summary;
    the others named are not used alone."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "10", "5000", "64")
    js = os.path.join(tmp, "s.json")
    base = [EXE, "--no-huge", "-m", "512", "-l", "0", "--file-prefix=lcxing-named" + TAG]
    runs = [
        ([f"--vdev=net_pcap0,rx_pcap={pcap}", "-a", "0000:01:00.0"], "-a 0000:01:00.0 gave no port"),
        (["--no-pci", f"--vdev=net_pcap0,rx_pcap={pcap}", "--vdev=net_null1,bogus=1"],
         "--vdev net_null1 gave no port"),
        (["-a", "0000:01:00.0"], "-a 0000:01:00.0 gave no port"),
    ]
    for eal_args, want in runs:
        p = run(base + eal_args + ["--", "--duration=1", f"--json={js}", "--stats-period=0"])
        if p.returncode == 0 or want not in p.stderr:
            fail(f"{eal_args}: exit {p.returncode}, stderr {p.stderr[-600:]!r}")
        if os.path.exists(js):
            fail(f"{eal_args}: a summary was written")
    print("named: 3 runs with a named device missing exit non-zero, no summary")


def case_duration(tmp):
    """duration_s is at least --duration and within the wall clock measured around the
    process (a duration timer armed from a stale time stopped runs at 1.87 s of 2)."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "10", "5000", "64")
    js = os.path.join(tmp, "s.json")
    out = []
    for asked, arg, pre in ((2.0, "2", eal("duration", f"--vdev=net_pcap0,rx_pcap={pcap}")),
                            (0.5, "500ms", eal("duration", f"--vdev=net_pcap0,rx_pcap={pcap}")),
                            (0.5, "500ms", [EXE, "--"])):
        t0 = time.monotonic()
        p = run(pre + [f"--duration={arg}", f"--json={js}", "--stats-period=0"])
        wall = time.monotonic() - t0
        if p.returncode != 0:
            fail(f"--duration={arg}: exit {p.returncode}")
        j = summary(js)
        d = j["duration_s"]
        if j.get("stop_reason", "duration") != "duration":
            fail(f"--duration={arg}: stop_reason {j['stop_reason']}")
        if d < asked:
            fail(f"--duration={arg}: duration_s {d} < {asked}")
        if d > wall:
            fail(f"--duration={arg}: duration_s {d} > {wall:.6f} s measured around the process")
        if d > asked + 0.1:
            fail(f"--duration={arg}: duration_s {d}, asked {asked}")
        out.append(f"{d:.4f} of {asked} ({wall:.2f} s wall)")
    print("duration: " + ", ".join(out))


def case_pools(tmp):
    """Every mbuf back at exit: pcapng capture (two pools), payload files, kernel sockets."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "50", "40", "5000", "300")
    js = os.path.join(tmp, "s.json")
    port = BASE_PORT + 400
    runs = [
        ("capture", eal("pools", f"--vdev=net_pcap0,rx_pcap={pcap}") +
         [f"--capture={tmp}/c.pcapng", "--duration=1"]),
        ("capture-small-queue", eal("pools", f"--vdev=net_pcap0,rx_pcap={pcap},infinite_rx=1") +
         [f"--capture={tmp}/d.pcapng", "--sink-queue=64", "--duration=1", "--rotate-size=1M"]),
        ("payload", eal("pools", f"--vdev=net_pcap0,rx_pcap={pcap}") +
         [f"--payload-dir={tmp}/pl", "--duration=1"]),
        ("socket", eal("pools") + [f"--listen=127.0.0.1:{port}", "--duration=1"]),
    ]
    names = []
    for what, args in runs:
        p = run(args + [f"--json={js}", "--stats-period=0"])
        if p.returncode != 0 or "not back" in p.stderr:
            fail(f"{what}: exit {p.returncode}")
        j = summary(js)
        check_balanced(j["totals"])
        names.append(what + " " + "/".join(x["name"] for x in check_pools(j, what)))
    print("pools: every mbuf back: " + ", ".join(names))


def case_json_atomic(tmp):
    """kill -9 mid-run leaves the --json target as it was and no other file; a path that
    cannot be written fails at start, fast, exit 1."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "10", "5000", "64")
    d = os.path.join(tmp, "out")
    os.mkdir(d)
    target = os.path.join(d, "s.json")
    sock = os.path.join(tmp, "ctl.sock")
    p = subprocess.Popen(eal("atomic", f"--vdev=net_pcap0,rx_pcap={pcap}") +
                         [f"--json={target}", f"--control={sock}", "--stats-period=0"],
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.3)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    left = sorted(os.listdir(d))
    if left != []:
        fail(f"kill -9 left {left}")
    p = run(eal("atomic", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=300ms", f"--json={target}", "--stats-period=0"])
    if p.returncode != 0 or summary(target)["totals"]["rx_total"] != 100:
        fail("a full run did not write the file with its summary")
    # An existing file is never replaced: refused at start, left as it was.
    with open(target, "wb") as f:
        f.write(b"OLD\n")
    p = run(eal("atomic", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=300ms", f"--json={target}", "--stats-period=0"])
    if p.returncode != 1 or "exists" not in p.stderr:
        fail(f"existing --json: exit {p.returncode}, {p.stderr[-300:]!r}")
    with open(target, "rb") as f:
        if f.read() != b"OLD\n":
            fail("an existing --json file changed")
    victim = os.path.join(tmp, "victim")
    with open(victim, "w") as f:
        f.write("keep")
    os.symlink(victim, os.path.join(d, "link.json"))
    for path, word in ((os.path.join(tmp, "nope", "x.json"), "No such file"),
                       (d, "is a directory"), (os.path.join(d, "link.json"), "symbolic link")):
        t0 = time.monotonic()
        p = run(eal("atomic", f"--vdev=net_pcap0,rx_pcap={pcap}") +
                ["--duration=5", f"--json={path}", "--stats-period=0"])
        if p.returncode != 1 or "--json" not in p.stderr or word not in p.stderr:
            fail(f"--json={path}: exit {p.returncode}, {p.stderr[-300:]!r}")
        if time.monotonic() - t0 > 3 or "EAL" in p.stderr:
            fail(f"--json={path}: not found before the EAL started")
    with open(victim) as f:
        if f.read() != "keep":
            fail("the link's target changed")
    print("json_atomic: kill -9 leaves the target as it was; 3 bad paths fail at start")


def case_signals(tmp):
    """SIGHUP, SIGUSR1, SIGUSR2, SIGALRM do not stop lcx-ingest; SIGQUIT stops it with the
    summary and the control socket removed, like SIGTERM."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "10", "5000", "64")
    js = os.path.join(tmp, "s.json")
    sock = os.path.join(tmp, "ctl.sock")
    p = subprocess.Popen(eal("signals", f"--vdev=net_pcap0,rx_pcap={pcap}") +
                         [f"--json={js}", f"--control={sock}", "--stats-period=0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.3)
        for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
            p.send_signal(sig)
            time.sleep(0.3)
            if p.poll() is not None:
                fail(f"signal {sig.name} stopped lcx-ingest: exit {p.returncode}")
        r = ctl_request(sock, '{"cmd":"stats"}')
        if not r["ok"] or r["stats"]["rx_total"] != 100:
            fail(f"stats after the signals: {r}")
        p.send_signal(signal.SIGQUIT)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    sys.stdout.write(err[-2000:])
    if p.returncode != 0:
        fail(f"SIGQUIT: exit {p.returncode}")
    j = summary(js)
    if j["stop_reason"] != "SIGQUIT":
        fail(f"stop_reason {j['stop_reason']}")
    check_balanced(j["totals"])
    if os.path.exists(sock):
        fail("control socket left behind")
    # The stats line goes to stdout (as lcx-pmd's live line), messages to stderr.
    if "SIGHUP" not in err or "acc " not in out or "acc " in err:
        fail("no word for SIGHUP, or no stats line on stdout for SIGUSR1")
    print("signals: HUP, USR1, USR2, ALRM survived; QUIT stopped with the summary")


# --- the files the sinks write (doc/ingest.md "Sinks", "Files and safety") ---

def pcapng_read(path):
    """An independent pcapng reader (little-endian files): the SHB options, each IDB
    (link type, snap length, options), each ISB (interface, options), each EPB
    (interface, time in s). Fails on a malformed or cut block."""
    with open(path, "rb") as f:
        b = f.read()
    out = {"shb": None, "idb": [], "isb": [], "epb": []}
    off = 0

    def opts(o, end):
        r = {}
        while o + 4 <= end:
            code, n = struct.unpack_from("<HH", b, o)
            if code == 0:
                break
            r.setdefault(code, b[o + 4:o + 4 + n])
            o += 4 + ((n + 3) & ~3)
        return r

    while off < len(b):
        if off + 12 > len(b):
            fail(f"{path}: cut block at {off}")
        btype, blen = struct.unpack_from("<II", b, off)
        if blen < 12 or blen % 4 or off + blen > len(b) or \
                struct.unpack_from("<I", b, off + blen - 4)[0] != blen:
            fail(f"{path}: bad block at {off} (type {btype:#x}, length {blen})")
        end = off + blen - 4
        if btype == 0x0A0D0D0A:
            o = opts(off + 24, end)
            out["shb"] = {k: o[c].decode(errors="replace") for k, c in
                          (("hardware", 2), ("os", 3), ("userappl", 4)) if c in o}
        elif btype == 1:
            lt, snap = struct.unpack_from("<HxxI", b, off + 8)
            o = opts(off + 16, end)
            out["idb"].append({"linktype": lt, "snaplen": snap,
                               "name": o.get(2, b"").decode(), "tsresol": o.get(9, b"\x06")[0]})
        elif btype == 5:
            ifc, hi, lo = struct.unpack_from("<III", b, off + 8)
            o = opts(off + 20, end)

            def ts(v):
                h, l = struct.unpack("<II", v)
                return ((h << 32) | l) / 1e9
            out["isb"].append({"iface": ifc, "time": ((hi << 32) | lo) / 1e9,
                               "start": ts(o[2]) if 2 in o else None,
                               "end": ts(o[3]) if 3 in o else None,
                               "ifrecv": struct.unpack("<Q", o[4])[0] if 4 in o else None,
                               "ifdrop": struct.unpack("<Q", o[5])[0] if 5 in o else None})
        elif btype == 6:
            ifc, hi, lo = struct.unpack_from("<III", b, off + 8)
            res = out["idb"][ifc]["tsresol"] if ifc < len(out["idb"]) else 6
            out["epb"].append({"iface": ifc, "time": ((hi << 32) | lo) / 10 ** res})
        off += blen
    return out


def capinfos_count(path):
    p = subprocess.run(["capinfos", "-M", "-c", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        fail(f"capinfos cannot read {path}: {p.stderr.strip()}")
    for line in p.stdout.splitlines():
        if line.startswith("Number of packets:"):
            return int(line.split(":")[1])
    fail(f"capinfos {path}: no packet count in {p.stdout!r}")


def tcpdump_count(path):
    p = subprocess.run(["tcpdump", "-n", "-q", "-r", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0 or "tcpdump:" in p.stderr:
        fail(f"tcpdump -r cannot read {path}: {p.stderr.strip()}")
    return len([l for l in p.stdout.splitlines() if l.strip()])


def tcpreplay_count(path):
    """Packets tcpreplay sends from the file, onto lo of a private network namespace
    (nothing leaves it); None when not possible here (no root, unshare or tcpreplay)."""
    if os.geteuid() != 0 or not shutil.which("tcpreplay") or not shutil.which("unshare"):
        return None
    p = subprocess.run(["unshare", "-n", "sh", "-c",
                        f"ip link set lo up && exec tcpreplay -i lo -t '{path}'"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        fail(f"tcpreplay cannot read {path}: {p.stderr.strip()[-500:]}")
    for line in p.stdout.splitlines():
        if "Successful packets:" in line:
            return int(line.split(":")[1])
    fail(f"tcpreplay {path}: no count in {p.stdout[-500:]!r}")


def need_readers():
    for tool in ("tshark", "capinfos", "tcpdump"):
        if shutil.which(tool) is None:
            skip(f"{tool} not installed (bash scripts/setup installs it)")


def count_all(path):
    """The frame count of a capture by every reader, which must agree."""
    n = {"tshark": tshark_count(path), "capinfos": capinfos_count(path),
         "tcpdump": tcpdump_count(path), "pcapng": len(pcapng_read(path)["epb"])}
    r = tcpreplay_count(path)
    if r is not None:
        n["tcpreplay"] = r
    if len(set(n.values())) != 1:
        fail(f"{path}: the readers disagree: {n}")
    return n["tshark"]


def send_stamped(port, n, gap=0.002, sport=None):
    """n datagrams to 127.0.0.1:port, each carrying its send time (a double, big-endian)."""
    def send(s):
        if sport is not None:
            s.bind(("127.0.0.1", sport))
        for i in range(n):
            s.sendto(struct.pack(">dI", time.time(), i) + b"t" * 20, ("127.0.0.1", port))
            if gap:
                time.sleep(gap)
    return send


def case_times(tmp):
    """Capture times are the wall clock at arrival: from sockets each frame against its
    send time, from a DPDK port inside the run (DPDK 22.11's rte_pcapng clock made them
    the year 2281)."""
    need_readers()
    port, n = BASE_PORT + 400, 300
    cap = os.path.join(tmp, "t.pcapng")
    t0 = time.time()
    _, j = listen_run(tmp, "times", [f"--listen=127.0.0.1:{port}", f"--capture={cap}"],
                      send_stamped(port, n))
    t1 = time.time()
    t = j["totals"]
    check_balanced(t)
    p = subprocess.run(["tshark", "-r", cap, "-T", "fields", "-e", "frame.time_epoch",
                        "-e", "udp.payload"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    delays = []
    for line in p.stdout.splitlines():
        ts, pl = line.split()
        sent = struct.unpack(">d", bytes.fromhex(pl[:16]))[0]
        delays.append(float(ts) - sent)
        if not t0 <= float(ts) <= t1:
            fail(f"capture time {ts} outside the run [{t0:.6f}, {t1:.6f}]")
    if len(delays) != n or t["sink"]["written"] != n:
        fail(f"{len(delays)} frames read back, written {t['sink']['written']}, sent {n}")
    delays.sort()
    med = delays[n // 2]
    if delays[0] < -0.001 or delays[-1] > 0.050 or med > 0.002:
        fail(f"capture time - send time: min {delays[0] * 1e3:.3f} ms, median "
             f"{med * 1e3:.3f} ms, max {delays[-1] * 1e3:.3f} ms (want >= -1 ms, median "
             "<= 2 ms, max <= 50 ms)")
    # A DPDK port (net_pcap): every time inside the run.
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "100", "5000", "100")
    cap2 = os.path.join(tmp, "t2.pcapng")
    t2 = time.time()
    p = run(eal("times2", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--capture={cap2}", "--stats-period=0"])
    t3 = time.time()
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    ep = pcapng_read(cap2)["epb"]
    bad = [e["time"] for e in ep if not t2 <= e["time"] <= t3]
    if len(ep) != 1000 or bad:
        fail(f"DPDK port: {len(ep)} frames, {len(bad)} with times outside the run "
             f"[{t2:.3f}, {t3:.3f}], e.g. {bad[:3]}")
    print(f"times: {n} socket frames {delays[0] * 1e3:.3f} / {med * 1e3:.3f} / "
          f"{delays[-1] * 1e3:.3f} ms (min / median / max) after their send time; "
          f"1000 DPDK port frames inside the run")


def check_blocks(path, snaplen, written):
    """SHB, IDB, ISB as dumpcap writes them; the ISBs agree with the frames."""
    c = pcapng_read(path)
    shb = c["shb"] or {}
    if not shb.get("os") or not shb.get("hardware") or \
            not shb.get("userappl", "").startswith("lcx-ingest 0.1") or \
            "DPDK" not in shb.get("userappl", ""):
        fail(f"{path}: section header options {shb}")
    if not c["idb"] or any(i["snaplen"] != snaplen or i["linktype"] != 1 or i["tsresol"] != 9
                           for i in c["idb"]):
        fail(f"{path}: interface blocks {c['idb']}, want snap length {snaplen}")
    if sorted(i["iface"] for i in c["isb"]) != list(range(len(c["idb"]))):
        fail(f"{path}: statistics blocks for {[i['iface'] for i in c['isb']]}, "
             f"interfaces {len(c['idb'])}")
    for isb in c["isb"]:
        mine = [e for e in c["epb"] if e["iface"] == isb["iface"]]
        if isb["ifrecv"] is None or isb["ifdrop"] is None or \
                isb["ifrecv"] - isb["ifdrop"] != len(mine) or isb["start"] is None or \
                isb["end"] is None or not isb["start"] <= isb["end"] or \
                any(not isb["start"] <= e["time"] <= isb["end"] for e in mine):
            fail(f"{path}: statistics {isb} for {len(mine)} frames")
    if len(c["epb"]) != written:
        fail(f"{path}: {len(c['epb'])} frames, written {written}")
    return c


def case_readers(tmp):
    """Captures from a DPDK port, from sockets, and from sockets with a DPDK port
    present read the same in tshark, capinfos, tcpdump -r, tcpreplay and a pcapng
    block reader; SHB, IDB (snap length) and ISB (ifrecv, ifdrop) as dumpcap writes."""
    need_readers()
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "10", "5000", "200")
    port = BASE_PORT + 410
    res = []
    # A DPDK port, with a snap length.
    cap = os.path.join(tmp, "port.pcapng")
    js = os.path.join(tmp, "port.json")
    p = run(eal("readers", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--capture={cap}", "--snaplen=200", f"--json={js}",
             "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    if count_all(cap) != 1000 or t["sink"]["written"] != 1000:
        fail(f"port: written {t['sink']['written']}")
    check_blocks(cap, 200, 1000)
    res.append("port 1000")
    # Sockets; then sockets with a DPDK port present (two interfaces in the file).
    for case, extra in (("readers2", []), ("readers3", [f"--vdev=net_pcap0,rx_pcap={pcap}"])):
        cap = os.path.join(tmp, case + ".pcapng")
        _, j = listen_run(tmp, case, [f"--listen=127.0.0.1:{port}", f"--capture={cap}"],
                          send_stamped(port, 500, gap=0.0005), eal_extra=extra)
        t = j["totals"]
        check_balanced(t)
        if count_all(cap) != 500 or t["sink"]["written"] != 500:
            fail(f"{case}: written {t['sink']['written']}")
        c = check_blocks(cap, 262144, 500)
        names = [i["name"] for i in c["idb"]]
        if "lcx-socket" not in names or (extra and len(names) != 2):
            fail(f"{case}: interfaces {names}")
        res.append(f"{'+'.join(names)} 500")
    print("readers: tshark, capinfos, tcpdump -r, "
          f"{'tcpreplay, ' if tcpreplay_count(cap) is not None else ''}pcapng blocks agree: "
          + ", ".join(res))


def cap_files(d, stem):
    return sorted(f for f in os.listdir(d) if f.startswith(stem) and f.endswith(".pcapng"))


def case_rotate_keep(tmp):
    """{"cmd":"rotate"} with no --rotate-* option starts c-00001.pcapng and keeps
    c.pcapng whole (it was reopened with truncation); payload files likewise get a new
    name; an existing capture file is refused and left as it was."""
    need_readers()
    port = BASE_PORT + 420
    cap = os.path.join(tmp, "c.pcapng")

    def more(ctl):
        r = ctl_request(ctl, '{"cmd":"rotate"}')
        if not r["ok"]:
            fail(f"rotate: {r}")
        time.sleep(0.3)
        send_stamped(port, 10, gap=0)(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        time.sleep(0.5)

    _, j = listen_run(tmp, "rotkeep", [f"--listen=127.0.0.1:{port}", f"--capture={cap}"],
                      send_stamped(port, 1000, gap=0.0002), before_stop=more)
    t = j["totals"]
    check_balanced(t)
    files = cap_files(tmp, "c")
    got = {f: count_all(os.path.join(tmp, f)) for f in files}
    if got != {"c.pcapng": 1000, "c-00001.pcapng": 10} or t["sink"]["written"] != 1010:
        fail(f"after rotate: {got}, written {t['sink']['written']}")
    # Payload files: the rotation gives the flow a new file, the first keeps its datagrams.
    d = os.path.join(tmp, "pl")

    def more2(ctl):
        ctl_request(ctl, '{"cmd":"rotate"}')
        time.sleep(0.3)
        send_stamped(port, 7, gap=0, sport=BASE_PORT + 421)(
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        time.sleep(0.5)

    _, j = listen_run(tmp, "rotkeep2", [f"--listen=127.0.0.1:{port}", f"--payload-dir={d}"],
                      send_stamped(port, 5, gap=0, sport=BASE_PORT + 421), before_stop=more2)
    check_balanced(j["totals"])
    base = f"127.0.0.1_{BASE_PORT + 421}-127.0.0.1_{port}"
    sizes = {f: os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)}
    if sizes != {base + ".bin": 5 * 32, base + "-00001.bin": 7 * 32}:
        fail(f"payload files after rotate: {sizes}")
    # An existing file is not overwritten: a clear error, exit 1, the file as it was.
    keep = os.path.join(tmp, "keep.pcapng")
    with open(keep, "wb") as f:
        f.write(b"precious")
    p = run(eal("rotkeep3") + [f"--listen=127.0.0.1:{port}", f"--capture={keep}",
                               "--duration=1", "--stats-period=0"])
    with open(keep, "rb") as f:
        if f.read() != b"precious":
            fail("an existing capture file was overwritten")
    if p.returncode == 0 or "exists" not in p.stderr:
        fail(f"existing capture file: exit {p.returncode}, no clear error")
    print("rotate_keep: c.pcapng 1000 + c-00001.pcapng 10 = written 1010; payload "
          "5 + 7 in two files; an existing file refused and untouched")


def in_small_tmpfs(tmp, case, size, args):
    """Run lcx-ingest with args (MNT in them: the mount point) on a tmpfs of size in a
    private mount namespace; copy what it wrote to tmp/out. Returns (process, out dir)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        skip("needs root and unshare to mount a small tmpfs")
    mnt = os.path.join(tmp, "small")
    out = os.path.join(tmp, "out")
    os.mkdir(mnt)
    os.mkdir(out)
    cmd = " ".join(a.replace("MNT", mnt) for a in args)
    script = (f"mount -t tmpfs -o size={size},mode=0700 tmpfs {mnt} && {cmd}; rc=$?; "
              f"cp -a {mnt}/. {out}/ && exit $rc")
    return run(["unshare", "-m", "sh", "-c", script]), out


def case_diskfull_count(tmp):
    """A 1 MiB tmpfs fills up with no rotation: the frames in the files (read back)
    are what is counted written, no file is cut mid-block or truncated by a retry,
    and the account balances."""
    need_readers()
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "100", "5000", "400")
    js = os.path.join(tmp, "s.json")
    p, out = in_small_tmpfs(tmp, "dfc", "1m", eal("dfc", f"--vdev=net_pcap0,rx_pcap={pcap}") + [
        "--duration=3", f"--json={js}", "--capture=MNT/c.pcapng", "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    files = cap_files(out, "c")
    n = sum(count_all(os.path.join(out, f)) for f in files)
    if t["sink"]["write_errors"] == 0 or n != t["sink"]["written"] or n == 0:
        fail(f"{files}: {n} frames on disk, written {t['sink']['written']}, "
             f"write_errors {t['sink']['write_errors']}")
    if t["sink"]["written"] + t["sink"]["write_errors"] != 10000:
        fail(f"written + write_errors != 10000: {t['sink']}")
    print(f"diskfull_count: {n} frames in {files} read back = written "
          f"{t['sink']['written']}; {t['sink']['write_errors']} lost to ENOSPC, counted")


def case_removed(tmp):
    """The capture or payload directory removed mid-run: the frames counted written
    into it move to sink.removed with a warning; what comes after is a counted
    write error; written is what is on disk (nothing)."""
    port = BASE_PORT + 430
    for kind in ("capture", "payload"):
        d = os.path.join(tmp, kind)
        os.mkdir(d, 0o700)
        opt = f"--capture={d}/c.pcapng" if kind == "capture" else f"--payload-dir={d}/pl"

        def remove_then_send(ctl, d=d):
            shutil.rmtree(d)
            time.sleep(1.2)  # the writer looks once a second, and after each write
            send_stamped(port, 2000, gap=0)(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            time.sleep(1.5)

        err, j = listen_run(tmp, "removed" + kind, [f"--listen=127.0.0.1:{port}", opt,
                                                    "--rcvbuf=8M"],
                            send_stamped(port, 1000, gap=0.0002), before_stop=remove_then_send)
        t = j["totals"]
        check_balanced(t)
        sk = t["sink"]
        if sk["written"] != 0 or sk["removed"] < 1000 or \
                sk["removed"] + sk["write_errors"] != t["accepted"] + t["sink_dropped"] or \
                t["rx_total"] != 3000 or "was removed" not in err:
            fail(f"{kind} directory removed: rx {t['rx_total']}, sink {sk}, warning "
                 f"{'was removed' in err}")
    print("removed: capture and payload directories removed mid-run: written 0, "
          "removed + write_errors = 3000, a warning")


def case_ring(tmp):
    """--rotate-files=3 (dumpcap -b files:3): three files kept, the newest; the frames
    in them (read back) equal written; the deleted files' frames are rotated_out."""
    need_readers()
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "50", "5000", "200")
    js = os.path.join(tmp, "s.json")
    d = os.path.join(tmp, "r")
    os.mkdir(d, 0o700)
    p = run(eal("ring", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=2", f"--json={js}", f"--capture={d}/cap.pcapng", "--rotate-size=100k",
             "--rotate-files=3", "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    sk = t["sink"]
    files = cap_files(d, "cap")
    n = sum(count_all(os.path.join(d, f)) for f in files)
    last = "cap-%05d.pcapng" % (sk["files"] - 1)
    if len(files) != 3 or files[-1] != last or n != sk["written"] or \
            sk["written"] + sk["rotated_out"] != 5000 or sk["files_deleted"] != sk["files"] - 3:
        fail(f"ring: {files}, {n} frames read back, sink {sk}")
    print(f"ring: {sk['files']} files made, {sk['files_deleted']} deleted, 3 kept with {n} "
          f"frames = written; rotated_out {sk['rotated_out']}")


def case_safety(tmp):
    """Planted links and untrusted directories (as root, in directories the test
    makes): nothing outside is touched, each refusal is a clear error or a counted drop."""
    if os.geteuid() != 0:
        skip("needs root to plant links and chown directories")
    port, sport = BASE_PORT + 440, BASE_PORT + 441
    target = os.path.join(tmp, "target")
    with open(target, "wb") as f:
        f.write(b"precious")
    st0 = os.stat(target)

    def untouched(what):
        st = os.stat(target)
        with open(target, "rb") as f:
            data = f.read()
        if data != b"precious" or st.st_mtime_ns != st0.st_mtime_ns:
            fail(f"{what}: the link's target was written")

    def refused(case, args, words):
        p = run(eal(case) + [f"--listen=127.0.0.1:{port}", "--duration=1",
                             "--stats-period=0", *args])
        if p.returncode == 0 or not any(w in p.stderr for w in words):
            fail(f"{case}: exit {p.returncode}, no clear error ({words})")
        untouched(case)

    # A capture path that is a link to a file.
    os.symlink(target, os.path.join(tmp, "lnk.pcapng"))
    refused("safe1", [f"--capture={tmp}/lnk.pcapng"], ["exists"])
    # A capture directory that is a link.
    real = os.path.join(tmp, "real")
    os.mkdir(real, 0o700)
    os.symlink(real, os.path.join(tmp, "dl"))
    refused("safe2", [f"--capture={tmp}/dl/c.pcapng"], ["symbolic link", "Not a directory",
                                                        "Too many levels"])
    if os.listdir(real):
        fail(f"files made through a linked directory: {os.listdir(real)}")
    # Payload directories owned by another user, or writable by others: refused.
    other = os.path.join(tmp, "other")
    os.mkdir(other, 0o755)
    os.chown(other, 65534, 65534)
    refused("safe3", [f"--payload-dir={other}"], ["owned by another user"])
    ww = os.path.join(tmp, "ww")
    os.mkdir(ww)
    os.chmod(ww, 0o777)
    refused("safe4", [f"--payload-dir={ww}"], ["writable by group or others"])
    if os.listdir(other) or os.listdir(ww):
        fail("files made in a refused directory")
    # Our own directory with a planted link under a flow's file name: that flow's
    # datagrams are counted, the target is untouched; another flow is written (0600).
    pl = os.path.join(tmp, "pl")
    os.mkdir(pl, 0o700)
    os.symlink(target, os.path.join(pl, f"127.0.0.1_{sport}-127.0.0.1_{port}.bin"))

    def both(s):
        send_stamped(port, 5, gap=0, sport=sport)(s)
        send_stamped(port, 3, gap=0, sport=sport + 1)(
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM))

    err, j = listen_run(tmp, "safe5", [f"--listen=127.0.0.1:{port}", f"--payload-dir={pl}"],
                        both)
    untouched("planted payload link")
    t = j["totals"]
    check_balanced(t)
    good = os.path.join(pl, f"127.0.0.1_{sport + 1}-127.0.0.1_{port}.bin")
    if t["sink"]["write_errors"] != 5 or t["sink"]["written"] != 3 or \
            os.path.getsize(good) != 3 * 32 or os.stat(good).st_mode & 0o777 != 0o600 or \
            "exists" not in err:
        fail(f"planted link: sink {t['sink']}, stderr without a word: {'exists' not in err}")
    # A sticky world-writable directory (as /tmp) owned by us is fine.
    st = os.path.join(tmp, "sticky")
    os.mkdir(st)
    os.chmod(st, 0o1777)
    p = run(eal("safe6") + [f"--listen=127.0.0.1:{port}", "--duration=1", "--stats-period=0",
                            f"--capture={st}/c.pcapng"])
    if p.returncode != 0 or os.stat(f"{st}/c.pcapng").st_mode & 0o777 != 0o600:
        fail(f"sticky directory: exit {p.returncode}")
    print("safety: linked capture file and directory, foreign and world-writable "
          "directories refused; a planted payload link: 5 datagrams counted, target "
          "untouched; files 0600")


def case_limits(tmp):
    """--max-files, --max-open and --max-disk: what is over a bound is counted
    over_limit with a word; the files hold exactly what is counted written."""
    need_readers()
    port = BASE_PORT + 450
    d = os.path.join(tmp, "pl")
    nflows, per = 60, 3

    def many(s0):
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(nflows)]
        for r in range(per):  # flows alternate: files are closed and reopened
            for s in socks:
                s.sendto(struct.pack(">dI", time.time(), r) + b"t" * 20, ("127.0.0.1", port))
            time.sleep(0.05)

    err, j = listen_run(tmp, "limits", [f"--listen=127.0.0.1:{port}", f"--payload-dir={d}",
                                        "--max-files=20", "--max-open=8"], many)
    t = j["totals"]
    check_balanced(t)
    files = os.listdir(d)
    sizes = {os.path.getsize(os.path.join(d, f)) for f in files}
    if len(files) != 20 or sizes != {per * 32} or t["sink"]["written"] != 20 * per or \
            t["sink"]["over_limit"] != (nflows - 20) * per or "--max-files" not in err or \
            "over_limit" not in err:
        fail(f"--max-files=20: {len(files)} files of {sizes} bytes, sink {t['sink']}")
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "50", "5000", "200")
    js = os.path.join(tmp, "s.json")
    cap = os.path.join(tmp, "c.pcapng")
    p = run(eal("limits2", f"--vdev=net_pcap0,rx_pcap={pcap}") +
            ["--duration=1", f"--json={js}", f"--capture={cap}", "--max-disk=100k",
             "--stats-period=0"])
    t = summary(js)["totals"]
    check_balanced(t)
    n = count_all(cap)
    if p.returncode != 0 or os.path.getsize(cap) > 100 * 1024 or n != t["sink"]["written"] or \
            n == 0 or t["sink"]["over_limit"] != 5000 - n or "--max-disk" not in p.stderr:
        fail(f"--max-disk=100k: {os.path.getsize(cap)} bytes, {n} frames, sink {t['sink']}")
    print(f"limits: --max-files=20 of {nflows} flows (--max-open=8), "
          f"{(nflows - 20) * per} over_limit; --max-disk=100k: {n} frames in "
          f"{os.path.getsize(cap)} bytes, {5000 - n} over_limit")


def case_payload_full(tmp):
    """Payload files on a 1 MiB tmpfs that fills up: no fragment of a datagram is left
    (a short write is cut back), the files hold exactly written_bytes, whole payloads."""
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "100", "100", "5000", "400")
    js = os.path.join(tmp, "s.json")
    p, out = in_small_tmpfs(tmp, "plfull", "1m", eal("plfull", f"--vdev=net_pcap0,rx_pcap={pcap}")
                            + ["--duration=2", f"--json={js}", "--payload-dir=MNT/pl",
                               "--stats-period=0"])
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    t = summary(js)["totals"]
    check_balanced(t)
    pl = 400  # the generator's payload size
    d = os.path.join(out, "pl")
    sizes = [os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)]
    odd = [z for z in sizes if z % pl]
    if t["sink"]["write_errors"] == 0 or odd or sum(sizes) != t["sink"]["written_bytes"] or \
            sum(sizes) // pl != t["sink"]["written"]:
        fail(f"payload files {sum(sizes)} bytes ({len(odd)} with a fragment), sink {t['sink']}")
    print(f"payload_full: {len(sizes)} files, {sum(sizes)} bytes = written_bytes, "
          f"{t['sink']['written']} whole payloads, {t['sink']['write_errors']} counted lost")


def check_version(out):
    """One line: the program, its version, lcx's (meson's project version) and DPDK's
    (pkg-config's libdpdk version), as meson passes them."""
    lcx_v, dpdk_v = os.environ.get("LCX_VERSION"), os.environ.get("DPDK_VERSION")
    if not lcx_v or not dpdk_v:
        skip("LCX_VERSION and DPDK_VERSION are set by meson")
    want = f"lcx-ingest {lcx_v} (lcx {lcx_v}, DPDK {dpdk_v})\n"
    if out != want:
        fail(f"--version printed {out!r}, expected {want!r}")


def case_version(tmp):
    """--version, before or after '--', without starting the EAL (no runtime directory)."""
    for args in ([EXE, "--version"], [EXE, "-l", "0", "--", "--version"]):
        t0 = time.monotonic()
        p = run(args, timeout=10)
        if p.returncode != 0:
            fail(f"{args[1:]}: exit {p.returncode}")
        check_version(p.stdout)
        if "EAL" in p.stderr or time.monotonic() - t0 > 2:
            fail(f"{args[1:]}: the EAL started: {p.stderr!r}")
    print("version:", p.stdout.strip())


def case_args(tmp):
    """The one grammar of option values (apps/common/args.h): durations with a
    fraction or a unit are taken (--duration=1.5 runs 1.5 s by the wall clock);
    hex, empty values, signs, overflow, trailing junk and --duration=0 (which
    meant "no bound" before) are refused at once with exit 2 and the option named."""
    bad = ["--duration=0", "--duration=0s", "--duration=0x10", "--duration=-1", "--duration=",
           "--duration=1.5x", "--duration=.5", "--duration=1e3", "--duration=+2",
           "--capture=", "--payload-dir=", "--json=", "--control=", "--listen=", "--port=",
           "--rcvbuf=0x10", "--rcvbuf=1.5M", "--rcvbuf=8MB", "--rotate-size=-1",
           "--top=0x10", "--top=99999999999999999999999", "--burst=+5", "--burst= 5",
           "--stats-period=1e3", "--max-disk=64kB", "--throttle=1ms5",
           "--control-idle=0x10", "--seq=0x1:4"]
    for a in bad:
        t0 = time.monotonic()
        try:
            p = run(eal("args") + [a, "--stats-period=0"], timeout=10)
        except subprocess.TimeoutExpired:
            fail(f"{a}: accepted, still running after 10 s")
        name = a.split("=")[0]
        if p.returncode != 2 or name not in p.stderr:
            fail(f"{a}: exit {p.returncode}, expected 2 with {name} named: {p.stderr!r}")
        if time.monotonic() - t0 > 2:
            fail(f"{a}: refused only after {time.monotonic() - t0:.1f} s")
    pcap = os.path.join(tmp, "flows.pcap")
    gen(tmp, "flows", pcap, "10", "10", "5000", "64")
    js = os.path.join(tmp, "s.json")
    out = []
    for arg, asked in (("1.5", 1.5), ("0.25", 0.25), ("250ms", 0.25)):
        t0 = time.monotonic()
        p = run(eal("args", f"--vdev=net_pcap0,rx_pcap={pcap}")[:-1] +
                ["--", f"--duration={arg}", f"--json={js}", "--stats-period=0",
                 "--top=010"], timeout=20)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            fail(f"--duration={arg}: exit {p.returncode}")
        j = summary(js)
        d = j["duration_s"]
        if j["stop_reason"] != "duration" or not asked <= d <= wall or d > asked + 0.1:
            fail(f"--duration={arg}: duration_s {d}, stop_reason {j['stop_reason']}, "
                 f"wall {wall:.3f}")
        if len(j["top_flows"]) != 10:  # --top=010 is ten (decimal), and 10 flows were sent
            fail(f"--top=010: {len(j['top_flows'])} flows in the summary")
        out.append(f"{arg}: {d:.3f} s ({wall:.2f} wall)")
    print(f"args: {len(bad)} refused; " + ", ".join(out))


# --- issue 9: privileges, runtime directories, limits, signals, pid file (doc/security.md) ---

def send_n(port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(struct.pack(">I", i) + b"x" * 28, ("127.0.0.1", port))
        time.sleep(0.001)
    s.close()


def wait_for(path, p, secs=10):
    for _ in range(int(secs * 10)):
        if os.path.exists(path) or p.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(0.3)


def case_privs(tmp):
    """--user=nobody: after start /proc/PID/status shows nobody's uid and gid (root cannot
    be regained: setgroups too), the capture file made before the drop and the files made
    after it (a SIGHUP reopen, --json) are nobody's, and the run works end to end."""
    import pwd
    if os.geteuid() != 0:
        skip("needs root")
    nobody = pwd.getpwnam("nobody")
    os.chmod(tmp, 0o755)
    d = os.path.join(tmp, "out")
    os.mkdir(d, 0o700)
    os.chown(d, nobody.pw_uid, 0)
    port = BASE_PORT + 470
    cap, js, sock = os.path.join(d, "c.pcapng"), os.path.join(d, "s.json"), os.path.join(d, "ctl")
    p = subprocess.Popen(eal("privs") + [f"--listen=127.0.0.1:{port}", f"--capture={cap}",
                                         "--user=nobody", f"--json={js}", f"--control={sock}",
                                         "--stats-period=0", "--duration=20"],
                         stderr=subprocess.PIPE, text=True)
    try:
        wait_for(sock, p)
        with open(f"/proc/{p.pid}/status") as f:
            st = {ln.split(":")[0]: ln.split(":")[1].split() for ln in f}
        send_n(port, 20)
        time.sleep(0.3)
        os.rename(cap, cap + ".1")
        p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        send_n(port, 7)
        time.sleep(0.5)
        ctl_request(sock, '{"cmd":"stop"}')
        _, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    sys.stdout.write(err[-2000:])
    u, g = str(nobody.pw_uid), str(nobody.pw_gid)
    if st["Uid"] != [u] * 4 or st["Gid"] != [g] * 4 or st["Groups"] != [g]:
        fail(f"after start: Uid {st['Uid']} Gid {st['Gid']} Groups {st['Groups']}")
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    j = summary(js) if os.path.exists(js) else fail("no --json written after the drop")
    check_balanced(j["totals"])
    for f in (cap + ".1", cap):
        if os.stat(f).st_uid != nobody.pw_uid:
            fail(f"{f} owned by uid {os.stat(f).st_uid}")
    n1, n2 = count_all(cap + ".1"), count_all(cap)
    if (n1, n2) != (20, 7) or j["totals"]["sink"]["written"] != 27:
        fail(f"files {n1} + {n2}, written {j['totals']['sink']['written']}")
    print(f"privs: uid/gid {u}/{g} after start, files nobody's, {n1} + {n2} frames = written")


def case_sighup(tmp):
    """SIGHUP after a logrotate-style rename opens the configured name again as a new file;
    a SIGHUP with the name still there takes the next rotation name. The files' frames
    sum to written."""
    need_readers()
    port = BASE_PORT + 472
    cap = os.path.join(tmp, "c.pcapng")
    pid = []

    def send(s0):
        send_n(port, 30)

    def more(ctl):
        r = ctl_request(ctl, '{"cmd":"stats"}')
        if not r["ok"]:
            fail(f"stats: {r}")
        os.rename(cap, cap + ".1")
        pid[0].send_signal(signal.SIGHUP)
        time.sleep(0.5)
        send_n(port, 12)
        time.sleep(0.4)
        pid[0].send_signal(signal.SIGHUP)  # not renamed: c-00002.pcapng
        time.sleep(0.5)
        send_n(port, 5)
        time.sleep(0.4)

    real = subprocess.Popen

    def grab(*a, **k):
        pr = real(*a, **k)
        pid.append(pr)
        return pr
    subprocess.Popen = grab
    try:
        err, j = listen_run(tmp, "sighup", [f"--listen=127.0.0.1:{port}", f"--capture={cap}"],
                            send, before_stop=more)
    finally:
        subprocess.Popen = real
    t = j["totals"]
    check_balanced(t)
    got = {f: count_all(os.path.join(tmp, f)) for f in os.listdir(tmp) if ".pcapng" in f}
    if got != {"c.pcapng.1": 30, "c.pcapng": 12, "c-00002.pcapng": 5} or \
            t["sink"]["written"] != 47:
        fail(f"after SIGHUP: {got}, written {t['sink']['written']}")
    if "still exists" not in err:
        fail("no word for the name that was not rotated away")
    print(f"sighup: {got} = written 47")


def case_pidfile(tmp):
    """--pidfile holds the pid while running, refuses a second run, is removed at exit; a
    stale one (a dead pid) is replaced, a link or a file without a pid refused."""
    pf = os.path.join(tmp, "run.pid")
    p = subprocess.Popen(eal("pidfile") + [f"--pidfile={pf}", "--duration=20",
                                           "--stats-period=0", "--quiet"],
                         stderr=subprocess.PIPE, text=True)
    try:
        wait_for(pf, p)
        with open(pf) as f:
            content = f.read()
        q = run(eal("pidfile2") + [f"--pidfile={pf}", "--duration=1"])
        with open(pf) as f:
            after = f.read()
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    if content != f"{p.pid}\n":
        fail(f"pid file holds {content!r}, pid {p.pid}")
    if q.returncode == 0 or "is running" not in q.stderr or after != content:
        fail(f"second run: exit {q.returncode}, file {after!r}")
    if p.returncode != 0 or os.path.exists(pf):
        fail(f"exit {p.returncode}; pid file left: {os.path.exists(pf)}")
    dead = subprocess.Popen(["true"])
    dead.wait()
    with open(pf, "w") as f:
        f.write(f"{dead.pid}\n")
    q = run(eal("pidfile3") + [f"--pidfile={pf}", "--duration=0.5", "--stats-period=0"])
    if q.returncode != 0 or "stale" not in q.stderr or os.path.exists(pf):
        fail(f"stale pid file: exit {q.returncode}, left {os.path.exists(pf)}")
    with open(pf, "w") as f:
        f.write("hello\n")
    q = run(eal("pidfile4") + [f"--pidfile={pf}", "--duration=0.5"])
    if q.returncode == 0 or open(pf).read() != "hello\n":
        fail("a file without a pid was not refused or was changed")
    os.unlink(pf)
    target = os.path.join(tmp, "target")
    os.symlink(target, pf)
    q = run(eal("pidfile5") + [f"--pidfile={pf}", "--duration=0.5"])
    if q.returncode == 0 or os.path.exists(target):
        fail("a link as pid file was followed")
    print("pidfile: pid held, second run refused, removed at exit, stale replaced, "
          "junk and link refused")


def case_bounds(tmp):
    """Refusals: --rotate-time under 1s (749 files in 3 s idle before), --rotate-size under
    64k, and flow tables past MemAvailable (allocated whole at start)."""
    cap = os.path.join(tmp, "c.pcapng")
    for a, word in (("--rotate-time=1ns", "at least 1s"), ("--rotate-time=999ms", "at least 1s"),
                    ("--rotate-size=65535", "at least 64k")):
        q = run(eal("bounds") + [f"--capture={cap}", a, "--duration=1"])
        if q.returncode != 2 or word not in q.stderr or os.path.exists(cap):
            fail(f"{a}: exit {q.returncode}")
    q = run(eal("bounds") + ["--rx-threads=64", "--max-flows=16777216", "--duration=1"])
    if q.returncode == 0 or "MemAvailable" not in q.stderr:
        fail(f"--max-flows=16777216 x 64: exit {q.returncode}")
    q = run(eal("bounds") + [f"--capture={cap}", "--rotate-time=1s", "--rotate-size=64k",
                             "--duration=0.5", "--stats-period=0"])
    if q.returncode != 0:
        fail(f"the least values refused: exit {q.returncode}")
    print("bounds: 1ns, 999ms, 65535 and 16M flows x 64 refused; 1s and 64k taken")


def case_rundir(tmp):
    """A kill -9'd run (its own prefix lcx-ingest-<pid>) leaves its runtime directory; the
    next start removes it and says so; a clean exit leaves none."""
    if os.geteuid() != 0:
        skip("runtime directory under /var/run/dpdk: needs root")
    port = BASE_PORT + 474
    args = [EXE, "--", f"--listen=127.0.0.1:{port}", "--stats-period=0", "--quiet"]
    p = subprocess.Popen(args + ["--duration=20"], stderr=subprocess.PIPE, text=True)
    d = f"/var/run/dpdk/lcx-ingest-{p.pid}"
    wait_for(d + "/config", p)
    time.sleep(0.5)
    p.kill()
    p.wait()
    if not os.path.isdir(d):
        fail(f"{d} not made (or removed by a kill -9?)")
    q = run(args + ["--duration=0.5"])
    if q.returncode != 0 or os.path.exists(d) or d not in q.stderr:
        fail(f"next start: exit {q.returncode}; {d} left: {os.path.exists(d)}")
    after = [e for e in os.listdir("/var/run/dpdk") if e.startswith("lcx-ingest-")]
    for e in after:
        pid = e.split("-")[-1]
        if not os.path.exists(f"/proc/{pid}"):
            fail(f"/var/run/dpdk/{e} of a dead run still there")
    print(f"rundir: {d} of a kill -9 removed by the next start; clean exit leaves none")


def run_case(cases, doc, prefix):
    """Run case_<argv[1]> of cases (a script's globals) in a fresh temporary directory."""
    if len(sys.argv) != 2:
        print(doc)
        return 2
    case = cases.get("case_" + sys.argv[1])
    if case is None:
        print("unknown case", sys.argv[1])
        return 2
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        case(tmp)
    return 0


def main():
    return run_case(globals(), __doc__, "lcxi-")


if __name__ == "__main__":
    sys.exit(main())
