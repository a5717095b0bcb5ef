# SPDX-License-Identifier: BSD-3-Clause
"""What every lcx-bench test script shares: how a check fails."""
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
