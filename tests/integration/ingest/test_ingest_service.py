#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-ingest as a service: the systemd unit, the notify protocol, --config, logrotate.

Usage: test_ingest_service.py CASE
  (LCX_INGEST names the binary; SERVICE_UNIT, LOGROTATE_SNIPPET and INGEST_CONF the
   built dist/ files; MAN_DIR the man pages)

PID 1 here is not systemd (a container): the unit is checked by systemd-analyze
verify, and the notify protocol against a datagram socket of the test's own
(NOTIFY_SOCKET, WATCHDOG_USEC), as systemd would read it. The observers: what the
test sent (datagrams, at a pace it measured itself), the kernel (whether a UDP port
is bound), the files (tshark, capinfos, tcpdump read them back), the wall clock.
Exit 0 pass, 1 fail, 77 skip (with the reason).
"""
import ctypes
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_ingest_run import (BASE_PORT, EXE, check_balanced, count_all,  # noqa: E402
                             ctl_request, eal, fail, need_readers, run, run_case, skip,
                             summary)

# UDP ports of these cases: BASE_PORT + 2950..2969 (test_ingest_ops.py: + 2800..2900).
PORT0 = BASE_PORT + 2950
WATCHDOG_S = 0.4  # WATCHDOG_USEC of the runs: a ping every 0.2 s is expected


class Notify:
    """A NOTIFY_SOCKET: every datagram with its arrival time; on_ready(msg) is called
    from the reader thread the moment a READY=1 arrives."""

    def __init__(self, path, on_ready=None):
        self.path = path
        self.msgs = []
        self.on_ready = on_ready
        self.ready_checks = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.stop = False
        self.t = threading.Thread(target=self.read, daemon=True)
        self.t.start()

    def read(self):
        while not self.stop:
            try:
                m = self.sock.recv(65536)
            except socket.timeout:
                continue
            now = time.monotonic()
            text = m.decode()
            self.msgs.append((now, text))
            if "READY=1" in text.split("\n") and self.on_ready is not None:
                self.ready_checks.append(self.on_ready(text))

    def close(self):
        time.sleep(0.2)
        self.stop = True
        self.t.join()
        self.sock.close()

    def lines(self, key):
        """[(time, value)] of every KEY=value line."""
        out = []
        for t, text in list(self.msgs):
            for line in text.split("\n"):
                if line.startswith(key + "="):
                    out.append((t, line[len(key) + 1:]))
        return out

    def wait(self, key, value=None, after=0.0, secs=10):
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            for t, v in self.lines(key):
                if t >= after and (value is None or v == value):
                    return t, v
            time.sleep(0.02)
        fail(f"no {key}={value or ''} from lcx-ingest within {secs} s: {self.msgs[-5:]}")


STATUS_RE = re.compile(r"^(\d+) pps, ([\d.]+) Mbit/s; rx_total (\d+), accepted (\d+), "
                       r"filtered (\d+), malformed (\d+), sink_dropped (\d+), port_lost (\d+)$")


def status_of(v):
    m = STATUS_RE.match(v)
    if m is None:
        return None
    pps, mbps, rx, acc, filt, malf, drop, lost = m.groups()
    return {"pps": int(pps), "mbps": float(mbps), "rx_total": int(rx), "accepted": int(acc),
            "filtered": int(filt), "malformed": int(malf), "sink_dropped": int(drop),
            "port_lost": int(lost)}


def udp_bound(port):
    """Whether the kernel has 127.0.0.1:port bound (our own bind is refused)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        return True
    finally:
        s.close()
    return False


def start(tmp, case, args, notify_path, watchdog=True):
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    if watchdog:
        env["WATCHDOG_USEC"] = str(int(WATCHDOG_S * 1e6))
    err = open(os.path.join(tmp, case + ".err"), "w+")
    p = subprocess.Popen([*eal(case), *args], env=env, stderr=err, text=True)
    return p, err


def finish(p, err, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
    try:
        p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    err.seek(0)
    text = err.read()
    err.close()
    sys.stdout.write(text[-3000:])
    return text


def send_paced(port, pps, secs, payload=64, first=0):
    """Datagrams of payload bytes to 127.0.0.1:port at pps for secs, on absolute
    deadlines, numbered from first (4 bytes, big-endian, at the start of the payload);
    returns (count, first send time, last send time)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n, t0 = 0, time.monotonic()
    end = t0 + secs
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - t0) * pps) + 1
        while n < due:
            s.sendto(struct.pack(">I", first + n) + b"s" * (payload - 4), ("127.0.0.1", port))
            n += 1
        time.sleep(0.005)
    t1 = time.monotonic()
    s.close()
    return n, t0, t1


def watchdog_gaps(nt, t_from, t_to):
    ts = [t for t, v in nt.lines("WATCHDOG") if v == "1" and t_from <= t <= t_to]
    return ts, [b - a for a, b in zip(ts, ts[1:])]


def case_notify(tmp):
    """READY=1 only once the UDP port is bound and the control socket made; STATUS= with
    the rate the test's own sender measured (each period wholly inside the send, within
    25 %) and the totals it sent (exact, nothing lost); WATCHDOG=1 every half of
    WATCHDOG_USEC (median within 0.17..0.25 s for 0.2 s, no gap past WATCHDOG_USEC);
    STOPPING=1 on SIGTERM, with no ping after it; the JSON summary agrees."""
    port = PORT0
    ctl = os.path.join(tmp, "ctl.sock")
    js = os.path.join(tmp, "notify.json")

    def at_ready(text):
        return {"bound": udp_bound(port), "control": os.path.exists(ctl)}

    nt = Notify(os.path.join(tmp, "notify.sock"), at_ready)
    p, err = start(tmp, "svc-notify", [f"--listen=127.0.0.1:{port}", "--stats-period=0.5",
                                       "--quiet", f"--control={ctl}", f"--json={js}",
                                       "--duration=60"], nt.path)
    try:
        t_ready, _ = nt.wait("READY", "1", secs=20)
        time.sleep(0.1)
        if nt.ready_checks != [{"bound": True, "control": True}]:
            fail(f"READY=1 before the ports and the control socket were up: {nt.ready_checks}")
        early = [m for t, m in nt.msgs if t < t_ready and "STATUS=" in m and "pps" in m]
        if early:
            fail(f"rates before READY=1: {early}")
        time.sleep(1.0)
        sent, s0, s1 = send_paced(port, 2000, 3.0)
        rate = sent / (s1 - s0)
        # Until a STATUS counts everything sent (the last datagrams need a period).
        deadline = time.monotonic() + 10
        last = None
        while time.monotonic() < deadline:
            st = [status_of(v) for t, v in nt.lines("STATUS") if t > s1]
            st = [x for x in st if x is not None]
            if st and st[-1]["rx_total"] + st[-1]["port_lost"] >= sent:
                last = st[-1]
                break
            time.sleep(0.1)
        if last is None or last["rx_total"] != sent or last["port_lost"] != 0 or \
                last["accepted"] != sent:
            fail(f"STATUS totals {last}, the test sent {sent}")
        # Rates: a STATUS at t covers (previous STATUS, t].
        sts = [(t, status_of(v)) for t, v in nt.lines("STATUS") if status_of(v) is not None]
        inside = [x for (ta, _), (tb, x) in zip(sts, sts[1:]) if ta >= s0 + 0.05 and tb <= s1]
        if len(inside) < 3:
            fail(f"{len(inside)} STATUS periods inside the 3 s send: {sts}")
        for x in inside:
            if abs(x["pps"] - rate) > 0.25 * rate:
                fail(f"STATUS says {x['pps']} pps, the sender sent {rate:.0f} pps")
            # 64 bytes of payload in UDP, IPv4 and Ethernet headers: 106 bytes a frame.
            want = x["pps"] * 106 * 8 / 1e6
            if abs(x["mbps"] - want) > 0.02 * want + 0.002:
                fail(f"STATUS says {x['mbps']} Mbit/s at {x['pps']} pps: {want:.3f} expected")
        t_pings, gaps = watchdog_gaps(nt, t_ready, time.monotonic())
        gaps.sort()
        if len(gaps) < 10:
            fail(f"{len(t_pings)} WATCHDOG=1 pings in {time.monotonic() - t_ready:.1f} s")
        med = gaps[len(gaps) // 2]
        if not 0.17 <= med <= 0.25 or gaps[-1] >= WATCHDOG_S:
            fail(f"WATCHDOG=1 every {med:.3f} s (median), longest gap {gaps[-1]:.3f} s; "
                 f"expected {WATCHDOG_S / 2} s, never {WATCHDOG_S} s")
        t_term = time.monotonic()
        text = finish(p, err)
        if p.returncode != 0:
            fail(f"exit {p.returncode}")
        t_stop, v = nt.wait("STOPPING", "1", after=t_term)
        after = [t for t, v in nt.lines("WATCHDOG") if t > t_stop]
        if after:
            fail(f"WATCHDOG=1 after STOPPING=1: {len(after)}")
        if not any("stopping (SIGTERM)" in v for _, v in nt.lines("STATUS")):
            fail("no STATUS=stopping (SIGTERM)")
    finally:
        if p.poll() is None:
            p.kill()
        nt.close()
    j = summary(js)
    check_balanced(j["totals"])
    if j["totals"]["rx_total"] != sent:
        fail(f"JSON rx_total {j['totals']['rx_total']}, sent {sent}")
    print(f"notify: READY after the port was bound; {len(inside)} STATUS periods at "
          f"{[x['pps'] for x in inside]} pps vs {rate:.0f} sent; totals {sent}; WATCHDOG "
          f"median {med:.3f} s, longest {gaps[-1]:.3f} s; STOPPING=1; {len(text)} bytes stderr")


def thread_of(pid, comm):
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() == comm:
                return int(tid)
    return None


def case_watchdog_stall(tmp):
    """One rx context stalled (its thread alone stopped with ptrace, PTRACE_INTERRUPT;
    the control context and the writer run on): the WATCHDOG=1 pings stop (none from
    0.45 s after the stall until it ends) while STATUS= goes on, stderr names the
    context; once the thread runs again, so do the pings."""
    if os.geteuid() != 0:
        skip("needs root (ptrace of a thread)")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000
    port = PORT0 + 1
    nt = Notify(os.path.join(tmp, "notify.sock"))
    p, err = start(tmp, "svc-stall", [f"--listen=127.0.0.1:{port}", "--stats-period=0.1",
                                      "--quiet", "--duration=60"], nt.path)
    tid = None
    try:
        t_ready, _ = nt.wait("READY", "1", secs=20)
        time.sleep(1.0)
        tid = thread_of(p.pid, "ingest-rx0")
        if tid is None:
            fail("no thread ingest-rx0")
        if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
            skip(f"ptrace(PTRACE_SEIZE): errno {ctypes.get_errno()} (not permitted here)")
        t_stall = time.monotonic()
        if libc.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
            fail(f"PTRACE_INTERRUPT: errno {ctypes.get_errno()}")
        os.waitpid(tid, WALL)
        with open(f"/proc/{p.pid}/task/{tid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state != "t":
            fail(f"the rx thread is in state {state}, not stopped")
        time.sleep(2.0)
        t_resume = time.monotonic()
        libc.ptrace(PTRACE_DETACH, tid, None, None)
        tid = None
        time.sleep(1.5)
        pings_before, _ = watchdog_gaps(nt, t_ready, t_stall)
        during, _ = watchdog_gaps(nt, t_stall + 0.45, t_resume)
        after, _ = watchdog_gaps(nt, t_resume, time.monotonic())
        status_during = [t for t, _ in nt.lines("STATUS") if t_stall + 0.45 < t < t_resume]
        if len(pings_before) < 3:
            fail(f"{len(pings_before)} pings before the stall")
        if during:
            fail(f"{len(during)} WATCHDOG=1 while ingest-rx0 was stopped")
        if len(status_during) < 5:
            fail(f"{len(status_during)} STATUS= while ingest-rx0 was stopped: the control "
                 "context did not run on (not the stall this case wants)")
        if len(after) < 3 or after[0] - t_resume > 0.7:
            fail(f"pings after the stall: {[round(t - t_resume, 3) for t in after]}")
    finally:
        if tid is not None:
            libc.ptrace(PTRACE_DETACH, tid, None, None)
        text = finish(p, err)
        nt.close()
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    if "watchdog: rx context ingest-rx0 made no loop iteration" not in text or \
            "every loop runs again" not in text:
        fail("no word on stderr for the stalled context")
    print(f"watchdog_stall: {len(pings_before)} pings before, none during 2 s of a stopped "
          f"rx thread ({len(status_during)} STATUS meanwhile), first ping "
          f"{after[0] - t_resume:.3f} s after it ran again")


def seqs_of(path):
    """The sequence numbers (the first 4 payload bytes) of a capture's frames, read by tshark."""
    r = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "udp.payload"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    return [int(x[:8], 16) for x in r.stdout.split()]


def reload_run(tmp, case, port, rotate, across=False):
    """A capture run; after some datagrams rotate(cap, pid) renames the file and sends
    SIGHUP, then more. across: one sender at 1000 pps from 0.5 s before the rotation to 1 s
    after it (frames arrive while the file is renamed and reopened); else 20 before, 10
    after. The notifications, the files and every sequence number are checked."""
    need_readers()
    cap = os.path.join(tmp, "ingest.pcapng")
    pidfile = os.path.join(tmp, "ingest.pid")
    ctl = os.path.join(tmp, "ctl.sock")
    js = os.path.join(tmp, case + ".json")

    def at_ready(text):
        return os.path.exists(cap)

    nt = Notify(os.path.join(tmp, "notify.sock"), at_ready)
    p, err = start(tmp, case, [f"--listen=127.0.0.1:{port}", f"--capture={cap}",
                               f"--pidfile={pidfile}", f"--control={ctl}", f"--json={js}",
                               "--quiet", "--duration=60"], nt.path)

    def settle(n):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            st = ctl_request(ctl, '{"cmd":"stats"}')["stats"]
            if st["rx_total"] >= n:
                return
            time.sleep(0.05)
        fail(f"rx_total did not reach {n}")

    try:
        nt.wait("READY", "1", secs=20)
        if across:
            res = []
            th = threading.Thread(target=lambda: res.append(send_paced(port, 1000, 1.5)))
            th.start()
            time.sleep(0.5)
        else:
            a, _, _ = send_paced(port, 400, 0.05)
            settle(a)
        t_rot = time.monotonic()
        rotate(cap, pidfile)
        t_rel, v = nt.wait("RELOADING", "1", after=t_rot)
        mono = [x for t, x in nt.lines("MONOTONIC_USEC") if t >= t_rot]
        if not mono or not mono[0].isdigit():
            fail("RELOADING=1 without MONOTONIC_USEC=")
        t_ready2, _ = nt.wait("READY", "1", after=t_rel)
        time.sleep(0.05)  # the reader thread notes its check right after the message
        # READY=1 came once the writer had reopened: the new file was there.
        if nt.ready_checks[-1] is not True:
            fail("READY=1 after SIGHUP before the new file was made")
        if across:
            th.join()
            sent = res[0][0]
        else:
            b, _, _ = send_paced(port, 400, 0.025, first=a)
            sent = a + b
        settle(sent)
        finish(p, err)
    finally:
        if p.poll() is None:
            p.kill()
        nt.close()
    if p.returncode != 0:
        fail(f"exit {p.returncode}")
    j = summary(js)
    check_balanced(j["totals"])
    files = sorted(f for f in os.listdir(tmp) if f.startswith("ingest.pcapng"))
    if files != ["ingest.pcapng", "ingest.pcapng.1"]:
        fail(f"files {files}")
    got = {f: count_all(os.path.join(tmp, f)) for f in files}
    old, new = seqs_of(cap + ".1"), seqs_of(cap)
    # In order, none missing, none twice: the renamed file has the first ones.
    if old + new != list(range(sent)) or not old or not new or \
            j["totals"]["sink"]["written"] != sent or j["totals"]["rx_total"] != sent:
        fail(f"files {got} (sequence {old[:3]}..{old[-3:]} | {new[:3]}..{new[-3:]}), "
             f"written {j['totals']['sink']['written']}; sent {sent}")
    print(f"{case}: {got}: sequence 0..{len(old) - 1} then {len(old)}..{sent - 1}, every "
          f"one of the {sent} sent; RELOADING=1, READY=1 {(t_ready2 - t_rel) * 1000:.0f} ms "
          "later, the new file made")


def case_reload(tmp):
    """SIGHUP after a rename (what logrotate does): RELOADING=1 with MONOTONIC_USEC=, then
    READY=1 only once the new file is made; the 20 frames before are in the renamed file,
    the 10 after in the new one, in order (tshark, capinfos, tcpdump), none lost."""
    def rotate(cap, pidfile):
        os.rename(cap, cap + ".1")
        with open(pidfile) as f:
            os.kill(int(f.read()), signal.SIGHUP)
    reload_run(tmp, "svc-reload", PORT0 + 2, rotate)


def case_logrotate(tmp):
    """The installed snippet (dist/lcx-ingest.logrotate), its paths pointed at the test's
    files: logrotate -f renames the capture and its postrotate sends SIGHUP through the
    pid file while the test sends 1000 pps; lcx-ingest opens the name again: the rotated
    file holds sequence numbers 0..k-1, the new one k..N-1, every one sent (tshark;
    counts agreed by capinfos and tcpdump). logrotate -d reports nothing wrong in the
    snippet as built."""
    lr = shutil.which("logrotate") or ("/usr/sbin/logrotate"
                                       if os.path.exists("/usr/sbin/logrotate") else None)
    if lr is None:
        skip("logrotate not installed (bash scripts/setup installs it)")
    with open(os.environ["LOGROTATE_SNIPPET"]) as f:
        snippet = f.read()
    for need in ("nocreate", "missingok", "postrotate", "kill -HUP", "/run/lcx/ingest.pid",
                 "/var/lib/lcx/ingest.pcapng"):
        if need not in snippet:
            fail(f"the snippet has no {need!r}")
    state = os.path.join(tmp, "logrotate.state")
    conf = os.path.join(tmp, "lcx-ingest.logrotate")

    def rotate(cap, pidfile):
        with open(conf, "w") as f:
            f.write(snippet.replace("/var/lib/lcx/ingest.pcapng", cap)
                    .replace("/run/lcx/ingest.pid", pidfile))
        os.chmod(conf, 0o644)
        r = run([lr, "-v", "-f", "-s", state, conf])
        if r.returncode != 0:
            fail(f"logrotate: exit {r.returncode}: {r.stdout} {r.stderr}")
    os.chmod(tmp, 0o755)  # logrotate refuses a parent directory writable by others
    reload_run(tmp, "svc-logrotate", PORT0 + 3, rotate, across=True)
    r = run([lr, "-d", "-s", state, os.environ["LOGROTATE_SNIPPET"]])
    if r.returncode != 0 or "error" in r.stderr.lower():
        fail(f"logrotate -d on the snippet: exit {r.returncode}: {r.stderr}")


def verify(unit):
    """systemd-analyze verify: exit status and stderr (every warning is a failure)."""
    r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                       env=dict(os.environ, MANPATH=os.environ["MAN_DIR"]), timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def case_unit(tmp):
    """dist/lcx-ingest.service as built: systemd-analyze verify says nothing (its ExecStart
    pointed at the built binary, the man page from doc/man); Type=notify, the watchdog,
    ExecReload by SIGHUP and --config are there; a misspelt key is reported (the check
    can fail)."""
    if shutil.which("systemd-analyze") is None:
        skip("systemd-analyze not installed (Debian's systemd package)")
    with open(os.environ["SERVICE_UNIT"]) as f:
        unit = f.read()
    m = re.search(r"^ExecStart=(\S+) --config=(\S+)$", unit, re.M)
    if m is None:
        fail("no ExecStart=... --config=FILE")
    for need in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID",
                 "NotifyAccess=main"):
        if need not in unit:
            fail(f"the unit has no {need}")
    man = os.path.join(tmp, "man", "man1")
    os.makedirs(man)
    shutil.copy(os.path.join(os.environ["MAN_DIR"], "lcx-ingest.1"), man)
    os.environ["MAN_DIR"] = os.path.join(tmp, "man")
    good = os.path.join(tmp, "lcx-ingest.service")
    with open(good, "w") as f:
        f.write(unit.replace(m.group(1), os.path.abspath(EXE)))
    rc, out = verify(good)
    if rc != 0 or out:
        fail(f"systemd-analyze verify: exit {rc}: {out}")
    bad = os.path.join(tmp, "bad", "lcx-ingest.service")
    os.makedirs(os.path.dirname(bad))
    with open(bad, "w") as f:
        f.write(unit.replace(m.group(1), os.path.abspath(EXE)).replace("WatchdogSec=",
                                                                         "WatchdogSecs="))
    rc, out = verify(bad)
    if "WatchdogSecs" not in out:
        fail(f"a misspelt key not reported: {rc} {out}")
    # DPDK opens devices (/dev/vfio, /dev/uio*, /dev/net/tun): no device ACL may be
    # implied (ProtectClock= did, before systemd 253). The exposure figure is said.
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", good],
                       capture_output=True, text=True, timeout=60)
    dev = [ln for ln in r.stdout.splitlines() if "DeviceAllow=" in ln]
    level = re.search(r"Overall exposure level for \S+: ([\d.]+ \w+)", r.stdout)
    if r.returncode == 0 and (not dev or "has no device ACL" not in dev[0]):
        fail(f"a device ACL in the unit: {dev}")
    if "ProtectClock=yes" in unit or "PrivateDevices=yes" in unit:
        fail("ProtectClock= or PrivateDevices= closes the devices DPDK opens")
    exposure = level.group(1) if level else "not known (systemd-analyze security failed)"
    # ExecStartPre moves a previous capture aside: run it as systemd would (its $$ and
    # %% unescaped; systemd would substitute a lone $VAR), on a test copy of the path.
    pre = re.search(r"^ExecStartPre=/bin/sh -c '(.*)'$", unit, re.M)
    if pre is None or "/var/lib/lcx/ingest.pcapng" not in pre.group(1):
        fail("no ExecStartPre moving /var/lib/lcx/ingest.pcapng aside")
    if re.search(r"(?<!\$)\$(?!\$)", pre.group(1).replace("$$", "")):
        fail(f"a lone $ in ExecStartPre: systemd would substitute it: {pre.group(1)}")
    cap = os.path.join(tmp, "ingest.pcapng")
    script = pre.group(1).replace("$$", "$").replace("%%", "%").replace(
        "/var/lib/lcx/ingest.pcapng", cap)
    with open(cap, "w") as f:
        f.write("previous run")
    subprocess.run(["/bin/sh", "-c", script], check=True)
    moved = [f for f in os.listdir(tmp) if f.startswith("ingest.pcapng.")]
    if os.path.exists(cap) or len(moved) != 1:
        fail(f"ExecStartPre did not move the capture aside: {os.listdir(tmp)}")
    subprocess.run(["/bin/sh", "-c", script], check=True)  # nothing there: nothing done
    with open("/proc/1/comm") as f:
        pid1 = f.read().strip()
    print(f"unit: systemd-analyze verify clean, security exposure {exposure}; "
          f"PID 1 is {pid1!r}"
          f"{'' if pid1 == 'systemd' else ', not systemd: the unit was not started'}")


def case_config(tmp):
    """--config=FILE end to end: the example dist/ingest.conf parses (its paths aside); a
    file's listen, ports, duration and json take effect (the filtered count is what the
    test sent to the other port); the command line's --ports replaces the file's; a bad
    value is refused with FILE:LINE and exit 2; run as root, a file others may write is
    refused; --print-config prints the merged options and runs nothing."""
    port = PORT0 + 4
    js = os.path.join(tmp, "cfg.json")
    conf = os.path.join(tmp, "ingest.conf")
    ctl = os.path.join(tmp, "ctl.sock")
    e = eal("svc-config")[1:-1]

    def write(text, mode=0o600):
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, mode)

    def one_run(extra, n_good, n_other):
        p = subprocess.Popen([EXE, f"--config={conf}", *extra], stderr=subprocess.PIPE,
                             text=True)
        try:
            for _ in range(100):
                if os.path.exists(ctl):
                    break
                time.sleep(0.1)
            time.sleep(0.3)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(n_good):
                s.sendto(b"g" * 32, ("127.0.0.1", port))
            for i in range(n_other):
                s.sendto(b"o" * 32, ("127.0.0.1", port + 1))
            time.sleep(0.5)
            ctl_request(ctl, '{"cmd":"stop"}')
            _, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
        sys.stdout.write(err[-1500:])
        if p.returncode != 0:
            fail(f"exit {p.returncode}")
        return err, summary(js)

    base = ("# test\n"
            f"eal = {' '.join(e)}\n"
            f"listen = 127.0.0.1:{port}\n"
            f"listen = 127.0.0.1:{port + 1}\n"
            f"ports = {port}\n"
            "quiet\n"
            f"json = {js}\n"
            f"control = {ctl}\n"
            "duration = 30s\n")
    write(base)
    err, j = one_run([], 25, 7)
    t = j["totals"]
    check_balanced(t)
    if t["rx_total"] != 32 or t["accepted"] != 25 or t["filtered"] != 7:
        fail(f"the file's options: {t}")
    # The command line's --ports replaces the file's: every port accepted. Without "--":
    # with --config, the rest is the program's when its first argument is one of its options.
    err, j = one_run([f"--ports={port}-{port + 1}"], 25, 7)
    t = j["totals"]
    if t["accepted"] != 32 or t["filtered"] != 0 or "--ports on the command line replaces" \
            not in err:
        fail(f"--ports on the command line: {t}")
    # --print-config: the merged options, checked, in the file's grammar; nothing runs; the
    # printed file read back prints the same.
    r = run([EXE, f"--config={conf}", "--print-config", "--", f"--ports={port}-{port + 1}"])
    if r.returncode != 0 or f"ports = {port}-{port + 1}\n" not in r.stdout or \
            f"listen = 127.0.0.1:{port}\n" not in r.stdout or "\nquiet\n" not in r.stdout or \
            os.path.exists(ctl):
        fail(f"--print-config: exit {r.returncode}: {r.stdout}")
    printed = os.path.join(tmp, "printed.conf")
    with open(printed, "w") as f:
        f.write(r.stdout)
    os.chmod(printed, 0o600)
    r2 = run([EXE, f"--config={printed}", "--print-config"])
    if r2.returncode != 0 or r2.stdout != r.stdout:
        fail(f"--print-config of the printed file: {r2.stdout}")
    # A bad value: FILE:LINE.
    write(base + "throttle = 5 ms\n")
    r = run([EXE, f"--config={conf}"])
    if r.returncode != 2 or f"{conf}:10: --throttle=5 ms:" not in r.stderr:
        fail(f"bad value: exit {r.returncode}: {r.stderr}")
    write(base + "listn = 1\n")
    r = run([EXE, f"--config={conf}"])
    if r.returncode != 2 or f"{conf}:10: unknown key 'listn'" not in r.stderr:
        fail(f"unknown key: exit {r.returncode}: {r.stderr}")
    if os.geteuid() == 0:
        write(base, 0o666)
        r = run([EXE, f"--config={conf}"])
        if r.returncode != 2 or "writable by root only" not in r.stderr:
            fail(f"a file others may write: exit {r.returncode}: {r.stderr}")
    # The example file parses: its keys are known, no key twice (only its paths and EAL
    # arguments are the machine's). --help after it: nothing runs.
    with open(os.environ["INGEST_CONF"]) as f:
        example = f.read()
    write(example, 0o600)
    r = run([EXE, f"--config={conf}", "--", "--help"])
    if r.returncode != 0 or "Usage:" not in r.stdout:
        fail(f"the example config: exit {r.returncode}: {r.stderr}")
    print("config: the file's options took effect (25 accepted, 7 filtered), the command "
          "line's --ports replaced the file's, errors name FILE:LINE")


def main():
    return run_case(globals(), __doc__, "lcxsvc-")


if __name__ == "__main__":
    sys.exit(main())
