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


def model_dropped_seqs(rate, offered, cap, depth):
    """The device model of lcx-bench's --rx-capacity-pps, written again here (not lcx's
    code): a token bucket of depth --burst filled at cap per second of the schedule
    (packet s at s / rate). The sequence numbers it drops, in order."""
    out, tokens, t0 = [], float(depth), None
    for s in range(offered):
        t = s / rate
        if t0 is None:
            t0 = t
        if t > t0:
            tokens = min(float(depth), tokens + (t - t0) * cap)
            t0 = t
        if tokens < 1.0:
            out.append(s)
        else:
            tokens -= 1.0
    return out


def check_usage_errors(bench, cases):
    """Each (args, word) of cases run on net_ring with --duration=1 before the MODE (the
    last argument) by bench(eal, args, name): exit 2, one "lcx-bench: " message naming
    word, no figures."""
    for args, word in cases:
        p = bench(["--vdev=net_ring0"], args[:-1] + ["--duration=1", args[-1]], "bad")
        lines = [l for l in p.stderr.splitlines() if l.startswith("lcx-bench: ") and
                 "hugepages" not in l]
        check(p.returncode == 2, "%r: exit %d, not 2" % (args, p.returncode))
        check(len(lines) == 1 and word in lines[0], "%r: not one clear message with %r: %r" %
              (args, word, lines))
        check(p.stdout == "", "%r: printed figures" % args)
