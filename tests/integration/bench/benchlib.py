# SPDX-License-Identifier: BSD-3-Clause
"""What every lcx-bench test script shares: how a check fails, a pcap reader."""
import struct
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


def read_pcap(path):
    """(ts_ns, bytes) of every record of a pcap file (either byte order, micro- or
    nanosecond stamps), read here, not by lcx; a file cut inside a record fails."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    orders = {0xa1b2c3d4: ("<", 1000), 0xa1b23c4d: ("<", 1),
              0xd4c3b2a1: (">", 1000), 0x4d3cb2a1: (">", 1)}
    check(magic in orders, "%s: not a pcap file (magic %x)" % (path, magic))
    end, scale = orders[magic]
    off, out = 24, []
    while off + 16 <= len(data):
        s, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        out.append((s * 1000000000 + frac * scale, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    check(off == len(data), "pcap %s truncated" % path)
    return out
