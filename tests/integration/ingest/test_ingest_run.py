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
BASE_PORT = 41000 + 3000 * (int(TAG) if TAG.isdigit() else 0)  # kernel tests: BASE_PORT..+2999


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
    with open(path) as f:
        return json.load(f)


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
        if n == 0:
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
            ["--duration=1200ms", f"--capture={d2}/c.pcapng", "--rotate-time=250ms",
             "--stats-period=0"])
    tfiles = sorted(os.listdir(d2))
    if p.returncode != 0 or len(tfiles) < 4:
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
    check_balanced(summary(js)["totals"])
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


def listen_run(tmp, case, args, send, wrap=(), family=socket.AF_INET, before_stop=None):
    """lcx-ingest with args and a control socket; send(a UDP socket of family) once it
    is up, then before_stop(control socket path) if given, then "stop". Fails unless it
    exits 0; returns (stderr, the JSON summary)."""
    js = os.path.join(tmp, case + ".json")
    sock = os.path.join(tmp, case + ".sock")
    p = subprocess.Popen([*wrap, *eal(case), *args, f"--json={js}", f"--control={sock}",
                          "--stats-period=0", "--duration=20"],
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.3)
        send(socket.socket(family, socket.SOCK_DGRAM))
        time.sleep(0.5)
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
                                      "--throttle=5ms"], send)
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


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    case = globals().get("case_" + sys.argv[1])
    if case is None:
        print("unknown case", sys.argv[1])
        return 2
    with tempfile.TemporaryDirectory(prefix="lcxi-") as tmp:
        case(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
