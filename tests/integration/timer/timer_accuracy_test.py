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


def run(exe, args, timeout=60):
    t0 = time.monotonic()
    p = subprocess.run([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    return p, time.monotonic() - t0


def threads(pid, names, deadline):
    """The kernel's view of the process's threads: {comm: cpus allowed}, once every name in
    names is there (or at the deadline)."""
    seen = {}
    while time.monotonic() < deadline:
        seen = {}
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    comm = f.read().strip()
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith("Cpus_allowed_list:"):
                            seen[comm] = line.split(":", 1)[1].strip()
        except OSError:
            pass
        if all(n in seen for n in names):
            break
        time.sleep(0.05)
    return seen


def case_log_levels(exe, tmp):
    """One logging path (apps/common/applog.c): the messages go through rte_log as
    lcx.timer, at the level --log-level sets, in the EAL's grammar (the program has no EAL:
    the option is its own, before "--" as for lcx-pmd or among the options). The default
    (info) shows the start notice and not the debug lines; lcx.timer:warning hides the
    notice; lcx.timer:debug shows each context's CPU, which the kernel's affinity of the
    context's thread confirms; the JSON on stdout is there whatever the level; an error
    after the command line (an existing --json) shows at warning, not at emerg; a command
    line error is on stderr whatever the level; EAL options but --log-level are refused."""
    base = ["--duration", "0.3", "--timers", "100", "--seed", "5"]
    notice = "lcx-timer-accuracy: 100 timers on 2 contexts, throttle 1000 us, delays up to 100 ms"

    def ok(args, what):
        p, wall = run(exe, args)
        if p.returncode != 0:
            fail(f"{what}: exit {p.returncode}: {p.stderr!r}")
        j = json.loads(p.stdout)
        if j["timers"] != 100 or j["fired"] == 0 or not 0.3 < j["duration_s"] <= wall:
            fail(f"{what}: the JSON: {j}")
        return p.stderr

    err = ok(base, "default")
    if notice not in err or "context tacc" in err:
        fail(f"default level (info): {err!r}")
    for lv in (["--log-level=lcx.timer:warning", "--"], ["--log-level=lcx.*:warn", "--"],
               ["--log-level", "warning", "--"], ["--log-level=lcx.timer,4", "--"],
               # several that match the type: the first given applies, as the EAL's
               ["--log-level=lcx.timer:warning", "--log-level=lcx.timer:debug", "--"]):
        err = ok(lv + base, " ".join(lv))
        if err != "":
            fail(f"{lv}: messages shown: {err!r}")
    # debug, both ways: the contexts' CPUs in turn over the allowed ones, as the kernel has
    # each thread (named tacc<N>) pinned.
    cpus = sorted(os.sched_getaffinity(0))
    for lv, extra in ((["--log-level=lcx.timer:debug", "--"], []),
                      ([], ["--log-level", "lcx.*:debug"])):
        args = lv + ["--duration", "1.5", "--timers", "30", "--contexts", "3"] + extra
        p = subprocess.Popen([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        seen = threads(p.pid, ["tacc0", "tacc1", "tacc2"], time.monotonic() + 1.0)
        out, err = p.communicate(timeout=60)
        if p.returncode != 0:
            fail(f"{args}: exit {p.returncode}: {err!r}")
        for c in range(3):
            cpu = cpus[c % len(cpus)]
            said = f"lcx-timer-accuracy: context tacc{c} on cpu {cpu}: 10 timers"
            if said not in err:
                fail(f"{args}: no {said!r} in {err!r}")
            if seen.get(f"tacc{c}") != str(cpu):
                fail(f"{args}: the kernel has tacc{c} on {seen.get(f'tacc{c}')}, said {cpu}")
        json.loads(out)
    # An error after the command line: through the log, so a level may hide it.
    js = os.path.join(tmp, "t.json")
    with open(js, "w") as f:
        f.write("OLD")
    for lv, shown in (("lcx.timer:warning", True), ("lcx.timer:emerg", False)):
        p, wall = run(exe, [f"--log-level={lv}", "--", "--duration", "5", "--json", js])
        if p.returncode != 1 or ("exists" in p.stderr) != shown or wall > 2:
            fail(f"{lv}, an existing --json: exit {p.returncode}, {p.stderr!r}")
    with open(js) as f:
        if f.read() != "OLD":
            fail("the existing --json file changed")
    # The command line's errors: stderr whatever the level, exit 2.
    for args, word in ((["--log-level=lcx.timer:emerg", "--", "--seed", "0x10"], "--seed"),
                       (["--seed", "0x10", "--log-level=emerg"], "--seed"),
                       (["--log-level=lcx.timer:loud"], "--log-level"),
                       (["--log-level=:debug"], "--log-level"),
                       (["--log-level=lcx.[,debug"], "--log-level"),
                       (["--no-huge", "--", "--duration", "0.2"], "--no-huge: not taken")):
        p, wall = run(exe, args)
        if p.returncode != 2 or word not in p.stderr or p.stdout != "":
            fail(f"{args}: exit {p.returncode}, {p.stderr!r}")
    print(f"log_levels: lcx.timer's level filters the messages, not the JSON; the debug lines "
          f"name the CPUs the kernel has the contexts on ({cpus})")


def case_config(exe, tmp):
    """--config=FILE and --print-config with apps/common/config.c, as lcx-pmd, lcx-ingest
    and lcx-bench: the file's options take effect (seen from outside: the wall clock, the
    kernel's threads, the --json file, no notice at the eal line's level); the command line
    wins; an unknown key, a bad value, an EAL option are refused with FILE:LINE or the word,
    exit 2; run as root, a file others may write is refused; --print-config runs nothing and
    its output read back prints the same and gives the same run."""
    js = os.path.join(tmp, "t.json")
    conf = os.path.join(tmp, "timer.conf")

    def write(path, text, mode=0o600):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    base = ("# lcx-timer-accuracy\n"
            "eal = --log-level=lcx.timer:warning\n"
            "contexts = 3\n"
            "timers = 30\n"
            "seed = 7\n"
            "duration = 1500ms\n"
            "throttle-us = 200\n"
            "max-delay-ms = 20\n"
            "check\n"
            f"json = {js}\n")
    write(conf, base)

    def one(args, duration):
        if os.path.exists(js):
            os.unlink(js)
        t0 = time.monotonic()
        p = subprocess.Popen([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        seen = threads(p.pid, ["tacc0", "tacc1", "tacc2"], t0 + 1.0)
        out, err = p.communicate(timeout=60)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            fail(f"{args}: exit {p.returncode}: {err!r}")
        with open(js) as f:
            j = json.load(f)
        d = j["duration_s"]
        if not duration < d <= wall or d > duration + 0.1 or out != "":
            fail(f"{args}: duration_s {d} for {duration}, wall {wall:.3f}, stdout {out!r}")
        # The file's contexts are the kernel's threads; its timers and delays give about
        # 30 x duration / 10 ms fires (at the default 1000 timers and 100 ms: 20 times more).
        if sorted(k for k in seen if k.startswith("tacc")) != ["tacc0", "tacc1", "tacc2"]:
            fail(f"{args}: the threads: {seen}")
        if j["contexts"] != 3 or j["timers"] != 30 or j["throttle_us"] != 200 or \
                not 2000 * d < j["fired"] < 4000 * d or j["at_least_early"] != 0:
            fail(f"{args}: the JSON: {j}")
        if "timers on 3 contexts" in err:
            fail(f"{args}: the notice shown at the eal line's warning: {err!r}")
        return j, err

    j, err = one([f"--config={conf}"], 1.5)
    if j["seed"] != 7:
        fail(f"the file's seed: {j['seed']}")
    # The command line wins, without "--" and after it; each replacement is said.
    j, err = one([f"--config={conf}", "--duration", "0.5", "--seed=9"], 0.5)
    if j["seed"] != 9 or f"--duration on the command line replaces {conf}:6" not in err or \
            f"--seed on the command line replaces {conf}:5" not in err:
        fail(f"the command line's --duration and --seed: seed {j['seed']}, {err!r}")
    j, err = one(["--config", conf, "--", "--seed", "11"], 1.5)
    if j["seed"] != 11:
        fail(f"-- --seed 11: seed {j['seed']}")
    # The command line's --log-level replaces the eal line: the notice is back.
    p, wall = run(exe, [f"--config={conf}", "--log-level=lcx.timer:info", "--",
                        "--duration", "0.2", "--json", os.path.join(tmp, "n.json")])
    if p.returncode != 0 or "30 timers on 3 contexts" not in p.stderr or \
            f"the eal lines of {conf} (first on line 2) are not used" not in p.stderr:
        fail(f"--log-level on the command line: exit {p.returncode}, {p.stderr!r}")
    # --print-config: checked, printed, nothing run; read back, the same text and run.
    if os.path.exists(js):
        os.unlink(js)
    p, wall = run(exe, [f"--config={conf}", "--print-config", "--seed", "9"])
    for line in ("eal = --log-level=lcx.timer:warning\n", "contexts = 3\n", "timers = 30\n",
                 "duration = 1500ms\n", "check\n", f"json = {js}\n", "seed = 9\n"):
        if line not in p.stdout:
            fail(f"--print-config: no {line!r} in {p.stdout!r}")
    if p.returncode != 0 or "seed = 7" in p.stdout or os.path.exists(js) or wall > 1:
        fail(f"--print-config: exit {p.returncode}, ran {wall:.3f} s: {p.stdout!r}")
    printed = os.path.join(tmp, "printed.conf")
    write(printed, p.stdout)
    p2, wall = run(exe, [f"--config={printed}", "--print-config"])
    if p2.returncode != 0 or p2.stdout != p.stdout:
        fail(f"--print-config of the printed file: {p2.stdout!r}")
    j, err = one([f"--config={printed}"], 1.5)
    if j["seed"] != 9:
        fail(f"the printed file's run: seed {j['seed']}")
    # Refused, exit 2, nothing run: FILE:LINE for the file's errors.
    os.unlink(js)
    for extra, word in (("timerz = 3\n", f"{conf}:11: unknown key 'timerz'"),
                        ("check = yes\n", f"{conf}:11: check is a flag"),
                        ("seed = 8\n", f"{conf}:11: seed given twice (first on line 5)"),
                        ("log-level = lcx.timer:loud\n",
                         f"{conf}:11: bad value 'lcx.timer:loud' for --log-level"),
                        ("eal = --no-huge\n", "--no-huge: not taken")):
        write(conf, base + extra)
        p, wall = run(exe, [f"--config={conf}"])
        if p.returncode != 2 or word not in p.stderr or os.path.exists(js) or wall > 1:
            fail(f"{extra!r}: exit {p.returncode}, {p.stderr!r}")
    write(conf, base.replace("max-delay-ms = 20", "max-delay-ms = 0x10"))
    p, wall = run(exe, [f"--config={conf}"])
    if p.returncode != 2 or f"{conf}:8: bad value '0x10' for --max-delay-ms" not in p.stderr:
        fail(f"a bad value: exit {p.returncode}, {p.stderr!r}")
    if os.geteuid() == 0:
        write(conf, base, 0o666)
        p, wall = run(exe, [f"--config={conf}"])
        if p.returncode != 2 or "writable by root only" not in p.stderr or os.path.exists(js):
            fail(f"a file others may write: exit {p.returncode}: {p.stderr!r}")
    print("config: the file's contexts, timers, delays, duration, seed, json and log level "
          "took effect; the command line won; errors name FILE:LINE; --print-config reads back")


def main():
    if len(sys.argv) != 3 or "case_" + sys.argv[2] not in globals():
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="lcxta-") as tmp:
        globals()["case_" + sys.argv[2]](os.path.abspath(sys.argv[1]), tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
