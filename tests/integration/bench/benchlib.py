# SPDX-License-Identifier: BSD-3-Clause
"""What every lcx-bench test script shares: how a check fails."""
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def skip_if_limited(t, what):
    """A trial lcx-bench marked generator-limited (the machine stalled the sender past
    its schedule: offered off by more than 0.1 %, refusals, or an overrun) measured the
    machine, not what the test is about: the test skips (77) and says so, after the
    checks of the account that hold whatever the load."""
    if t["generator_limited"]:
        print("SKIP: %s: the trial is generator-limited (the machine stalled the sender; "
              "late_max_ns %s): not what this test measures" %
              (what, t.get("tx", {}).get("late_max_ns")))
        sys.exit(77)
