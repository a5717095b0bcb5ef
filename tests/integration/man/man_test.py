#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""man_test.py PROGRAM PAGE: PAGE renders with `man --warnings -l` (MANPAGER=cat,
MANWIDTH=80) with nothing on stderr, and names every long option PROGRAM --help lists."""
import os
import re
import shutil
import subprocess
import sys


def main():
    prog, page = sys.argv[1], sys.argv[2]
    if not os.path.isfile(page):
        print(f"FAIL: no man page {page}")
        return 1
    env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80", LC_ALL="C")
    h = subprocess.run([prog, "--help"], capture_output=True, text=True, env=env, timeout=30)
    if h.returncode != 0 or "Usage:" not in h.stdout:
        print(f"FAIL: {prog} --help: exit {h.returncode}\n{h.stdout}{h.stderr}")
        return 1
    wanted = sorted(set(re.findall(r"--[a-z0-9][a-z0-9-]*", h.stdout)))
    if len(wanted) < 5:
        print(f"FAIL: only {wanted} parsed from --help")
        return 1
    if shutil.which("man") is None:
        print("FAIL: man is not installed (scripts/setup installs man-db)")
        return 1
    r = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                       env=env, timeout=30)
    fails = []
    if r.returncode != 0:
        fails.append(f"man -l exit {r.returncode}")
    if r.stderr.strip():
        fails.append("man --warnings -l stderr:\n" + r.stderr)
    # Backspace overstrike (bold, underline) out, then whole tokens only: --json must not
    # be found inside --json-foo.
    text = re.sub(r".\x08", "", r.stdout)
    have = set(re.findall(r"--[a-z0-9][a-z0-9-]*", text))
    missing = [o for o in wanted if o not in have]
    if missing:
        fails.append("options in --help missing from the page: " + " ".join(missing))
    for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS", "FILES", "EXIT STATUS",
              "SEE ALSO"):
        if not re.search(r"^" + s + r"$", text, re.M):
            fails.append(f"no section {s}")
    if fails:
        print("FAIL: " + page + "\n" + "\n".join(fails))
        return 1
    print(f"ok: {page}: {len(wanted)} long options from --help, all in the page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
