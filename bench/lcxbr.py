# SPDX-License-Identifier: BSD-3-Clause
"""Shared pieces of the lcx-bench benchmarks (bench/bench-*): a network namespace with
veth pairs named lcxbr*, independent counters on the peer (the kernel's interface
counters, nftables netdev-ingress counters), a sampler of the peer's rx counter, a
pcap reader, the CPU time of a process, and how to find and run lcx-bench.

Traffic stays in 198.18.0.0/15 inside namespaces these scripts create and delete.
Not a test: the scripts print figures (doc/performance.md, "lcx-bench").
"""
import atexit
import json
import os
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = os.environ.get("LCX_TEST_TAG", "")

# Debian packages a benchmark needs, by program.
PACKAGES = {"trafgen": "netsniff-ng", "iperf3": "iperf3", "nft": "nftables",
            "tcpdump": "tcpdump", "dumpcap": "tshark", "tc": "iproute2"}


def say(*a):
    print(*a, flush=True)


def show_cmd(cmd, ns=None):
    say("  $ " + ("ip netns exec %s " % ns if ns else "") + " ".join(shlex.quote(c)
                                                                     for c in cmd))


def sh(cmd, ns=None, check=True, quiet=False):
    full = (["ip", "netns", "exec", ns] if ns else []) + cmd
    p = subprocess.run(full, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(full), p.returncode,
                                                 p.stderr.strip()))
    return p.stdout


def need_root(prog):
    if os.geteuid() != 0:
        say("%s: needs root (network namespaces, veth pairs): skipped" % prog)
        sys.exit(77)


def need_tools(prog, tools, install=False):
    """The programs, or a clear message: which Debian package, or apt-get it if asked."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing and install:
        pk = sorted(set(PACKAGES.get(t, t) for t in missing))
        say("%s: installing %s (apt-get) for %s" % (prog, " ".join(pk), " ".join(missing)))
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + pk,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdout=subprocess.DEVNULL)
        missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pk = sorted(set(PACKAGES.get(t, t) for t in missing))
        say("%s: %s not installed: apt-get install %s (or give --install): skipped" %
            (prog, " ".join(missing), " ".join(pk)))
        sys.exit(77)


def find_lcx_bench():
    p = os.environ.get("LCX_BENCH")
    if p:
        return p
    for d in ("build", "build-release"):
        p = os.path.join(TOP, d, "apps", "lcx-bench", "lcx-bench")
        if os.access(p, os.X_OK):
            return p
    say("lcx-bench not found: build it (ninja -C build) or set LCX_BENCH")
    sys.exit(2)


def lcx_bench_help(binary):
    return subprocess.run([binary, "--help"], capture_output=True, text=True).stdout


class Lab:
    """Two namespaces, NAME-g (the generators) and NAME-p (the peer, or the hop), and veth
    pairs between them; both deleted (with their links) at exit or on SIGINT/SIGTERM."""

    def __init__(self, name):
        self.gen, self.ns = name + "-g", name + "-p"
        for n in (self.gen, self.ns):
            sh(["ip", "netns", "del", n], check=False)
            sh(["ip", "netns", "add", n])
        atexit.register(self.close)
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, self._sig)
        for n in (self.gen, self.ns):
            sh(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], ns=n)
            sh(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"], ns=n)
            sh(["ip", "link", "set", "lo", "up"], ns=n)
        say("  namespaces %s (generators) and %s (peer), deleted at the end" %
            (self.gen, self.ns))

    def _sig(self, signum, frame):
        self.close()
        sys.exit(128 + signum)

    def veth(self, gen_dev, peer_dev, gen_addr=None, peer_addr=None):
        sh(["ip", "link", "add", gen_dev, "netns", self.gen, "type", "veth", "peer", "name",
            peer_dev, "netns", self.ns])
        for ns, dev, addr in ((self.gen, gen_dev, gen_addr), (self.ns, peer_dev, peer_addr)):
            if addr:
                sh(["ip", "addr", "add", addr, "dev", dev], ns=ns)
            sh(["ip", "link", "set", dev, "up"], ns=ns)

    def mac(self, dev, ns):
        return sh(["cat", "/sys/class/net/%s/address" % dev], ns=ns).strip()

    def rx_packets(self, dev, ns=None):
        return self.link_stats(dev, ns)["rx"]["packets"]

    def link_stats(self, dev, ns=None):
        """The interface's stats64 (rx, tx: packets, dropped, ...) in the peer namespace
        or NS."""
        j = json.loads(sh(["ip", "-s", "-j", "link", "show", dev], ns=ns or self.ns))
        return j[0]["stats64"]

    def close(self):
        if self.ns is None:
            return
        for n in (self.gen, self.ns):
            sh(["ip", "netns", "del", n], check=False)
        self.ns = None


class NftCounter:
    """nftables netdev-ingress counters on a device in the namespace: UDP packets to
    DPORT (counted before anything else), and optionally a random drop of PCT percent,
    counted by the rule that drops."""

    serial = 0

    def __init__(self, lab, dev, dport=None, drop_pct=None):
        self.lab = lab
        NftCounter.serial += 1
        self.table = "lcxbr_%s_%d" % (dev.replace("-", "_"), NftCounter.serial)
        sh(["nft", "add", "table", "netdev", self.table], ns=lab.ns)
        sh(["nft", "add", "chain", "netdev", self.table, "in",
            '{ type filter hook ingress device "%s" priority 0; }' % dev], ns=lab.ns)
        match = ["udp", "dport", str(dport)] if dport else ["meta", "l4proto", "udp"]
        sh(["nft", "add", "rule", "netdev", self.table, "in"] + match + ["counter"],
           ns=lab.ns)
        if drop_pct is not None:
            sh(["nft", "add", "rule", "netdev", self.table, "in"] + match +
               ["numgen", "random", "mod", "100", "<", str(drop_pct), "counter", "drop"],
               ns=lab.ns)

    def counts(self):
        """[packets of each rule, in order]."""
        j = json.loads(sh(["nft", "-j", "list", "table", "netdev", self.table], ns=self.lab.ns))
        out = []
        for e in j["nftables"]:
            r = e.get("rule")
            if r:
                for x in r["expr"]:
                    if "counter" in x:
                        out.append(x["counter"]["packets"])
        return out


class Sampler:
    """The peer's rx_packets read every PERIOD s inside the namespace (sysfs, a small
    process of its own): the time of the first and last change, the rate in between."""

    CODE = r"""
import sys, time
f = open("/sys/class/net/%s/statistics/rx_packets")
period = float(sys.argv[1])
last = None
while True:
    f.seek(0)
    c = int(f.read())
    t = time.monotonic()
    if c != last:
        print(t, c, flush=True)
        last = c
    time.sleep(period)
"""

    def __init__(self, lab, dev, period=0.002):
        self.p = subprocess.Popen(["ip", "netns", "exec", lab.ns, sys.executable, "-c",
                                   self.CODE % dev, str(period)],
                                  stdout=subprocess.PIPE, text=True)

    def stop(self):
        self.p.terminate()
        out, _ = self.p.communicate()
        pts = [(float(a), int(b)) for a, b in (l.split() for l in out.splitlines())]
        return pts


def steady_rate(pts):
    """Packets per second between the first and the last change of the counter."""
    if len(pts) < 3:
        return None
    (t0, c0), (t1, c1) = pts[1], pts[-1]
    return (c1 - c0) / (t1 - t0) if t1 > t0 else None


def proc_tree(pid):
    """pid and every descendant (trafgen and timeout(1) fork their workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, t)) as fh:
                    todo += [int(x) for x in fh.read().split()]
        except OSError:
            pass
    return out


def proc_cpu_ns(pid):
    """CPU time of every thread of pid and its descendants, ns (schedstat)."""
    total = 0
    for p in proc_tree(pid):
        try:
            tasks = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for t in tasks:
            try:
                with open("/proc/%d/task/%s/schedstat" % (p, t)) as fh:
                    total += int(fh.read().split()[0])
            except (OSError, ValueError):
                pass
    return total


def proc_stat_cpu_s(pid):
    """utime + stime of /proc/PID/stat of pid and its descendants, s (clock ticks)."""
    total = 0
    for p in proc_tree(pid):
        try:
            with open("/proc/%d/stat" % p) as fh:
                f = fh.read().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def eal(prefix, vdevs):
    return ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix=%s%s" % (prefix, TAG),
            "--log-level=lib.eal:warning"] + ["--vdev=" + v for v in vdevs]


def run_lcx_bench(binary, prefix, vdevs, opts, jpath, ns=None, timeout=120):
    """lcx-bench ... run with --json=jpath; returns (json, wall seconds)."""
    if os.path.exists(jpath):
        os.unlink(jpath)
    cmd = [binary] + eal(prefix, vdevs) + ["--"] + opts + ["--json=" + jpath, "run"]
    show_cmd(cmd, ns)
    t0 = time.monotonic()
    p = subprocess.run((["ip", "netns", "exec", ns] if ns else []) + cmd, capture_output=True,
                       text=True, timeout=timeout)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("lcx-bench exit %d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
    with open(jpath) as f:
        j = json.load(f)
    os.unlink(jpath)
    return flat_trial(j), wall


def flat_trial(j):
    """MODE run's one trial with the run's ports: schema_version 2 keeps the trial in
    trials[0] (tx, rx, loss_ratio, generator_limited, latency_ns) and the ports' counters
    at the top; version 1 (lcx-bench 0.1) had it all at the top."""
    if j.get("schema_version", 1) >= 2:
        t = dict(j["trials"][0])
        t["ports"] = j["ports"]
        t["schema_version"] = j["schema_version"]
        return t
    return j


def trafgen_conf(path, dst_mac, frame=64):
    """A trafgen config: Ethernet/IPv4/UDP 198.18.0.1:9 -> 198.19.0.1:9, FRAME bytes with
    FCS (the kernel adds nothing: the frame is FRAME - 4 bytes on the wire of a veth)."""
    payload = frame - 4 - 14 - 20 - 8
    with open(path, "w") as f:
        f.write("{ eth(da=%s, type=0x0800), ipv4(saddr=198.18.0.1, daddr=198.19.0.1, "
                "ttl=64), udp(sp=9, dp=9), fill(0x00, %d) }\n" % (dst_mac, payload))


def read_pcap_times(path):
    """Timestamps (ns) of every packet of a pcap file (micro- or nanosecond magic)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xa1b2c3d4:
        scale, endian = 1000, "<"
    elif magic == 0xa1b23c4d:
        scale, endian = 1, "<"
    elif magic == 0xd4c3b2a1:
        scale, endian = 1000, ">"
    elif magic == 0x4d3cb2a1:
        scale, endian = 1, ">"
    else:
        raise RuntimeError("%s: not a pcap file (magic %#x)" % (path, magic))
    pos, out = 24, []
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        out.append(sec * 1000000000 + frac * scale)
        pos += 16 + incl
    return out, scale
