#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-timer-accuracy end to end: python3 timer_accuracy_test.py PATH CASE.

duration: duration_s is measured (more than --duration, the run sleeps to its
deadline) and within the wall clock this test measures around the process, and
--check holds: no at-least timer before its deadline as the caller sees it (the
clock read just before lcx_timer_start()). json: the --json file is checked at
start and appears whole. Exit 0 pass, 1 fail.
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def case_duration(exe, tmp):
    js = os.path.join(tmp, "t.json")
    for asked in (0.3, 1.0):
        t0 = time.monotonic()
        p = subprocess.run([exe, "--duration", str(asked), "--timers", "2000", "--check",
                            "--json", js], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            fail(f"--duration {asked}: exit {p.returncode}: {p.stderr}")
        with open(js) as f:
            j = json.load(f)
        os.unlink(js)  # lcx never replaces an existing file: the next run writes anew
        d = j["duration_s"]
        if not asked < d <= wall:
            fail(f"--duration {asked}: duration_s {d}, wall around the process {wall:.6f}")
        if d > asked + 0.05:
            fail(f"--duration {asked}: duration_s {d}")
        if j["at_least_early"] != 0 or j["fired"] == 0 or j["lib_timers_fired"] != j["fired"]:
            fail(f"contract: {j}")
        print(f"duration: {d} s of {asked} ({wall:.3f} s wall), {j['fired']} fired, "
              f"at_least_early 0")


def case_json(exe, tmp):
    js = os.path.join(tmp, "t.json")
    p = subprocess.Popen([exe, "--duration", "5", "--json", js])
    time.sleep(0.5)
    p.kill()
    p.wait()
    if sorted(os.listdir(tmp)) != []:
        fail("kill -9 left a file: %s" % os.listdir(tmp))
    with open(js, "w") as f:
        f.write("OLD")
    p = subprocess.run([exe, "--duration", "0.2", "--json", js], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    with open(js) as f:
        if p.returncode != 1 or "exists" not in p.stderr or f.read() != "OLD":
            fail(f"existing --json: exit {p.returncode}, {p.stderr!r}, or the file changed")
    for path, word in ((os.path.join(tmp, "nope", "x.json"), "No such file"),
                       (tmp, "is a directory")):
        t0 = time.monotonic()
        p = subprocess.run([exe, "--duration", "5", "--json", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 1 or word not in p.stderr or time.monotonic() - t0 > 2:
            fail(f"--json {path}: exit {p.returncode}, {p.stderr!r}")
    print("json: bad paths and an existing file fail at start; kill -9 leaves nothing")


def case_version(exe, tmp):
    """--version: the program, its version, lcx's and DPDK's, as meson knows them."""
    lcx_v, dpdk_v = os.environ.get("LCX_VERSION"), os.environ.get("DPDK_VERSION")
    if not lcx_v or not dpdk_v:
        print("SKIP: LCX_VERSION and DPDK_VERSION are set by meson")
        sys.exit(77)
    p = subprocess.run([exe, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=10)
    want = f"lcx-timer-accuracy {lcx_v} (lcx {lcx_v}, DPDK {dpdk_v})\n"
    if p.returncode != 0 or p.stdout != want:
        fail(f"--version: exit {p.returncode}, printed {p.stdout!r}, expected {want!r}")
    print("version:", p.stdout.strip())


def case_args(exe, tmp):
    """The one grammar (apps/common/args.h): --duration takes units (250ms) and seconds
    (0.3); hex (which strtoull base 0 took), signs, junk and empty values are refused."""
    for a in (["--duration", "0"], ["--duration", "0x1"], ["--duration", "-1"],
              ["--duration", ""], ["--duration", "1x"], ["--timers", "0x10"],
              ["--seed", "0x10"], ["--contexts", "010x"], ["--max-delay-ms", "+5"],
              ["--throttle-us", " 1"]):
        p = subprocess.run([exe] + a, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=10)
        if p.returncode != 2 or a[0] not in p.stderr:
            fail(f"{a}: exit {p.returncode}, stderr {p.stderr!r}")
    js = os.path.join(tmp, "t.json")
    for arg, asked in (("250ms", 0.25), ("0.3", 0.3)):
        t0 = time.monotonic()
        p = subprocess.run([exe, "--duration", arg, "--timers", "100", "--json", js],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            fail(f"--duration {arg}: exit {p.returncode}: {p.stderr}")
        with open(js) as f:
            d = json.load(f)["duration_s"]
        os.unlink(js)
        if not asked < d <= wall or d > asked + 0.05:
            fail(f"--duration {arg}: duration_s {d}, wall {wall:.3f}")
    print("args: refused and taken as the grammar says")


def main():
    if len(sys.argv) != 3 or "case_" + sys.argv[2] not in globals():
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="lcxta-") as tmp:
        globals()["case_" + sys.argv[2]](os.path.abspath(sys.argv[1]), tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
