#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The library as others link it: python3 lib_test.py CASE BUILD-DIR VERSION [SRC-DIR [EXE]].

Each case installs the build into a fresh directory (meson install --destdir)
and looks at the installed tree only, as a program outside the lcx sources
would:
  exports  liblcx.so exports exactly the functions the installed headers
           declare: no lcx__ internal, no log type, nothing undeclared.
  shared   ext_main.c built with `pkg-config --cflags --libs lcx` links
           liblcx.so and runs (EAL --no-huge, a context, a task).
  static   the same with `pkg-config --static --libs lcx`: neither liblcx.so
           nor a shared DPDK library is recorded, and it runs without the
           "tailq already registered" panic of two DPDK copies.
  examples examples/*.c build against the installed tree (pkg-config only):
           they use the installed API and nothing else.
Both programs must report lcx_version() and LCX_VERSION_STRING equal to
meson's project version (given on the command line by meson).
The examples as built in the tree (EXE), each against an observer of its own:
  example-echo     udp_echo: a UDP client here counts the replies, byte for
                   byte; the program's count must equal it, and its reacts
                   stay within one per throttle over the run's wall time.
  example-rx-pcap  rx_count on net_pcap: exactly the frames this test wrote
                   into the capture are received, and the device says so.
  example-rx-null  rx_count on net_null: received + rx_missed equals the
                   device's own ipackets.
  example-timers   timers: each firing, on CLOCK_MONOTONIC, against the
                   contract of timer.h for its kind.
Exit 0 pass, 1 fail, 77 skip.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(cmd, env=None, timeout=300, ok=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=env, timeout=timeout)
    if ok and p.returncode != 0:
        raise Fail("%s: exit %d\nstdout:\n%s\nstderr:\n%s" %
                   (" ".join(cmd), p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
    return p


def install(build, dest):
    """Install the build into dest; return (libdir, env for pkg-config)."""
    run(["meson", "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", dest])
    pcs = []
    for root, _dirs, files in os.walk(dest):
        if "lcx.pc" in files:
            pcs.append(root)
    check(len(pcs) == 1, "lcx.pc installed %d times under %s" % (len(pcs), dest))
    pcdir = pcs[0]
    libdir = os.path.dirname(pcdir)
    # The destdir as a sysroot: lcx is under it, and its dependencies (DPDK,
    # libnuma) are the system's, reached through the same sysroot prefix.
    for d in ("usr/include", "usr/lib"):
        p = os.path.join(dest, d)
        if not os.path.lexists(p):
            os.makedirs(os.path.dirname(p), exist_ok=True)
            os.symlink("/" + d, p)
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = pcdir
    env["PKG_CONFIG_SYSROOT_DIR"] = dest
    env.pop("PKG_CONFIG_LIBDIR", None)
    return libdir, env


def pkgconfig(env, *args):
    return run(["pkg-config"] + list(args), env=env).stdout.split()


def needed(path):
    out = run(["readelf", "-d", path]).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def eal_args(name):
    return ["--no-huge", "-m", "256", "--no-pci", "--log-level=lib.eal:error",
            "--file-prefix=lcxlib_%s%s" % (name, os.environ.get("LCX_TEST_TAG", ""))]


def declared_functions(env, tmp):
    """Functions the installed headers declare, from the preprocessed headers."""
    src = os.path.join(tmp, "all.c")
    with open(src, "w") as f:
        f.write("#include <lcx/lcx.h>\n#include <lcx/driver/port.h>\n")
    cflags = pkgconfig(env, "--cflags", "lcx")
    text = run(["cc", "-E", "-P"] + cflags + [src]).stdout
    # Keep only what the lcx headers declare: the preprocessed text of DPDK's
    # headers comes first and has no lcx_ names.
    names = set()
    for m in re.finditer(r"(\(\s*\*\s*)?\b(lcx_[A-Za-z0-9_]+)\s*\(", text):
        if m.group(1):
            continue  # a pointer to function type: typedef void (*lcx_x_fn)(...)
        names.add(m.group(2))
    return names


def case_exports(build, version, tmp):
    dest = os.path.join(tmp, "dest")
    libdir, env = install(build, dest)
    so = os.path.join(libdir, "liblcx.so")
    check(os.path.exists(so), "liblcx.so not installed in " + libdir)
    check(os.path.exists(os.path.join(libdir, "liblcx.a")), "liblcx.a not installed")
    out = run(["nm", "-D", "--defined-only", so]).stdout
    exported = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and not parts[2].startswith("_"):
            exported.add(parts[2].split("@")[0])
    internal = sorted(s for s in exported if s.startswith("lcx__"))
    check(not internal, "liblcx.so exports %d internal lcx__ symbols: %s" %
          (len(internal), " ".join(internal)))
    declared = declared_functions(env, tmp)
    check("lcx_version" in declared, "lcx_version() is not declared in the installed headers")
    extra = sorted(exported - declared)
    missing = sorted(declared - exported)
    check(not extra, "liblcx.so exports symbols no installed header declares: " + " ".join(extra))
    check(not missing, "declared in the installed headers but not exported: " + " ".join(missing))
    # The static library keeps the internals (the unit tests link them).
    out = run(["nm", "--defined-only", os.path.join(libdir, "liblcx.a")]).stdout
    check(re.search(r" T lcx__", out), "liblcx.a lost its lcx__ internals")
    print("exports: %d functions, all declared in the installed headers; no lcx__" % len(exported))


def build_and_run(build, version, tmp, static):
    dest = os.path.join(tmp, "dest")
    libdir, env = install(build, dest)
    exe = os.path.join(tmp, "ext_static" if static else "ext_shared")
    cflags = pkgconfig(env, "--cflags", "lcx")
    libs = pkgconfig(env, "--static", "--libs", "lcx") if static else \
        pkgconfig(env, "--libs", "lcx")
    run(["cc", "-o", exe, os.path.join(HERE, "ext_main.c")] + cflags + libs)
    deps = needed(exe)
    rte = [d for d in deps if d.startswith("librte_")]
    lcx = [d for d in deps if d.startswith("liblcx")]
    if static:
        check(not lcx, "static link records %s" % lcx)
        check(not rte, "static link records shared DPDK libraries: %s" % rte[:5])
    else:
        check(lcx == ["liblcx.so.%s" % version.split(".")[0]],
              "shared link records %s, expected liblcx.so.%s" % (lcx, version.split(".")[0]))
        check(rte, "shared link records no shared DPDK library")
    renv = dict(os.environ)
    renv["LD_LIBRARY_PATH"] = libdir
    if not static:
        # The liblcx.so that the loader picks is the installed one.
        p = run([exe], env=dict(renv, LD_TRACE_LOADED_OBJECTS="1"))
        m = re.search(r"liblcx\.so\.\S+ => (\S+)", p.stdout)
        check(m and os.path.realpath(m.group(1)).startswith(os.path.realpath(libdir)),
              "liblcx.so resolves to %s, not under %s" % (m.group(1) if m else None, libdir))
    p = run([exe] + eal_args("static" if static else "shared"), env=renv, timeout=60, ok=False)
    check("already registered" not in p.stderr,
          "two DPDK copies: %s" % p.stderr[-2000:])
    check(p.returncode == 0, "ext_main exit %d\nstdout:\n%s\nstderr:\n%s" %
          (p.returncode, p.stdout, p.stderr[-3000:]))
    m = re.search(r"lcx_version=(\S+) headers=(\S+) task_ran=(\d+)", p.stdout)
    check(m, "ext_main printed no result line: " + p.stdout)
    check(m.group(1) == version, "lcx_version() = %s, meson's version is %s" % (m.group(1), version))
    check(m.group(2) == version, "LCX_VERSION_STRING = %s, meson's version is %s" %
          (m.group(2), version))
    check(m.group(3) == "1", "the task ran %s times, expected 1" % m.group(3))
    print("%s: links (%d NEEDED entries) and runs; lcx_version() = %s" %
          ("static" if static else "shared", len(deps), m.group(1)))


def case_examples(build, version, tmp, srcdir):
    dest = os.path.join(tmp, "dest")
    _libdir, env = install(build, dest)
    cflags = pkgconfig(env, "--cflags", "lcx")
    libs = pkgconfig(env, "--libs", "lcx")
    exdir = os.path.join(srcdir, "examples")
    srcs = sorted(f for f in os.listdir(exdir) if f.endswith(".c"))
    check(len(srcs) >= 3, "examples/ has %d C files, expected 3" % len(srcs))
    for s in srcs:
        # -I nothing else: only the installed headers, DPDK's and the system's.
        run(["cc", "-Wall", "-Wextra", "-Werror", "-o", os.path.join(tmp, s[:-2]),
             os.path.join(exdir, s)] + cflags + libs)
    print("examples: %s build against the installed tree" % ", ".join(srcs))


def free_udp_port():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def case_example_echo(exe):
    import socket
    import time
    throttle_us, seconds = 1000, 3.0
    port = free_udp_port()
    t0 = time.monotonic()
    p = subprocess.Popen([exe, str(port), str(throttle_us), str(seconds)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline().strip() == "ready", "udp_echo did not say ready")
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(1.0)
        sent, got = [], {}
        for batch in range(10):
            for i in range(30):
                msg = ("lcx-echo %d %d %s" % (batch, i, os.urandom(6).hex())).encode()
                sent.append(msg)
                c.sendto(msg, ("127.0.0.1", port))
            while True:
                try:
                    data, peer = c.recvfrom(2048)
                except socket.timeout:
                    break
                check(peer == ("127.0.0.1", port), "reply from %s" % (peer,))
                got[data] = got.get(data, 0) + 1
                if len(got) == len(sent):
                    break
        out, err = p.communicate(timeout=seconds + 30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    wall = time.monotonic() - t0
    check(p.returncode == 0, "udp_echo exit %d: %s" % (p.returncode, err))
    check(set(got) <= set(sent), "replies that were never sent")
    check(all(v == 1 for v in got.values()), "a datagram echoed twice")
    check(len(got) == len(sent), "%d of %d datagrams echoed" % (len(got), len(sent)))
    m = re.search(r"echoed (\d+) datagrams, (\d+) send failures, (\d+) reacts", out)
    check(m, "udp_echo printed no summary: " + out)
    check(int(m.group(1)) == len(got), "udp_echo says %s echoed, the client got %d" %
          (m.group(1), len(got)))
    check(int(m.group(2)) == 0, "send failures: " + m.group(2))
    reacts_max = wall * 1e6 / throttle_us + 2
    check(int(m.group(3)) <= reacts_max, "%s reacts in %.2f s: more than one per %d us" %
          (m.group(3), wall, throttle_us))
    print("example-echo: %d/%d datagrams echoed; %s reacts in %.2f s (throttle %d us)" %
          (len(got), len(sent), m.group(3), wall, throttle_us))


def pcap_write(path, frames):
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, i, len(fr), len(fr)))
            f.write(fr)


def rx_count(exe, tmp, name, dev):
    p = run([exe] + eal_args(name) + ["--", dev, "1000", "1"], timeout=60)
    m = re.search(r"received (\d+) ipackets (\d+) imissed (\d+) rx_missed (\d+) "
                  r"parks (\d+) parks_cut (\d+)", p.stdout)
    check(m, "rx_count printed no summary: " + p.stdout + p.stderr)
    return [int(x) for x in m.groups()]


def case_example_rx_pcap(exe, tmp):
    n = 1000
    frames = []
    for i in range(n):
        eth = bytes.fromhex("020000000001" "020000000002" "88b5")  # local experimental
        frames.append(eth + i.to_bytes(4, "big") + bytes(46))
    inp = os.path.join(tmp, "in.pcap")
    pcap_write(inp, frames)
    dev = "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, os.path.join(tmp, "out.pcap"))
    rx, ipk, imiss, missed, parks, cut = rx_count(exe, tmp, "rxpcap", dev)
    check(rx == n, "received %d of the %d frames written" % (rx, n))
    check(ipk == n, "the device counted %d of %d" % (ipk, n))
    check(imiss == 0 and missed == 0, "missed: %d %d" % (imiss, missed))
    print("example-rx-pcap: %d of %d frames received, device ipackets %d" % (rx, n, ipk))


def case_example_rx_null(exe, tmp):
    rx, ipk, imiss, missed, parks, cut = rx_count(exe, tmp, "rxnull", "net_null0")
    check(rx > 0, "nothing received from net_null")
    check(rx + missed == ipk, "received %d + rx_missed %d != device ipackets %d" %
          (rx, missed, ipk))
    print("example-rx-null: received %d + rx_missed %d == ipackets %d" % (rx, missed, ipk))


def case_example_timers(exe):
    import time
    throttle_us = 2000
    jitter = 15 * 1000000  # a loaded 2-core VM wakes up late now and then
    t0 = time.monotonic_ns()
    p = run([exe, str(throttle_us)], timeout=60)
    t1 = time.monotonic_ns()
    m = re.search(r"start (\d+) throttle_ns (\d+)", p.stdout)
    check(m, "timers printed no start line: " + p.stdout)
    start, T = int(m.group(1)), int(m.group(2))
    check(T == throttle_us * 1000, "throttle %d ns" % T)
    check(t0 <= start <= t1, "start time outside the run")
    fires = {}
    for k, n, fired, first, period in re.findall(
            r"(\w+) (\d+) fired (\d+) first_deadline (\d+) period (\d+)", p.stdout):
        fires.setdefault(k, []).append((int(fired), int(first), int(period)))
    check(sorted(fires) == ["at_least", "interval", "regular"], "kinds: %s" % sorted(fires))
    for k, lst in fires.items():
        for fired, _, _ in lst:
            check(start <= fired <= t1, "%s fired outside the run" % k)
    (f, d, _), = fires["regular"]
    check(d - T // 2 <= f <= d + T // 2 + jitter,
          "regular fired %+.3f ms from its deadline (T/2 = %.3f ms)" % ((f - d) / 1e6, T / 2e6))
    (f, d, _), = fires["at_least"]
    check(d <= f <= d + T + jitter, "at-least fired %+.3f ms from its deadline (T = %.3f ms)" %
          ((f - d) / 1e6, T / 1e6))
    lst = fires["interval"]
    check(len(lst) == 10, "interval fired %d times, expected 10" % len(lst))
    last_k = -1
    for f, first, period in lst:
        k = max(0, round((f - first) / period))
        d = first + k * period
        check(d - T // 2 <= f <= d + T // 2 + jitter,
              "interval fired %+.3f ms from deadline %d" % ((f - d) / 1e6, k))
        check(k > last_k, "interval fired twice for period %d (a burst)" % k)
        last_k = k
    print("example-timers: regular %+.3f ms, at-least %+.3f ms, interval 10 firings on "
          "their grid (T = %.1f ms)" % ((fires["regular"][0][0] - fires["regular"][0][1]) / 1e6,
                                       (fires["at_least"][0][0] - fires["at_least"][0][1]) / 1e6,
                                       T / 1e6))


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    case, build, version = sys.argv[1], sys.argv[2], sys.argv[3]
    srcdir = sys.argv[4] if len(sys.argv) > 4 else None
    exe = sys.argv[5] if len(sys.argv) > 5 else None
    for tool in ("meson", "pkg-config", "cc", "nm", "readelf"):
        if shutil.which(tool) is None:
            print("skip: %s not found" % tool)
            return 77
    tmp = tempfile.mkdtemp(prefix="lcxlib_%s_" % case)
    try:
        if case == "exports":
            case_exports(build, version, tmp)
        elif case in ("shared", "static"):
            build_and_run(build, version, tmp, case == "static")
        elif case == "examples":
            case_examples(build, version, tmp, srcdir)
        elif case == "example-echo":
            case_example_echo(exe)
        elif case == "example-rx-pcap":
            case_example_rx_pcap(exe, tmp)
        elif case == "example-rx-null":
            case_example_rx_null(exe, tmp)
        elif case == "example-timers":
            case_example_timers(exe)
        else:
            print("unknown case " + case)
            return 2
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
