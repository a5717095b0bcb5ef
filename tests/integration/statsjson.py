# SPDX-License-Identifier: BSD-3-Clause
"""--stats-json lines (lcx-pmd, lcx-ingest) read as they arrive, and checked.

The observers: the wall clock of the test (when each line arrived) and the
lines' own totals (a rate must be the difference of two totals over the
period the line gives).
"""
import json
import threading
import time


def read_timed(stream, out):
    """Start a thread that appends (time.monotonic(), line) for each line of stream."""
    def run():
        for line in stream:
            out.append((time.monotonic(), line))
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def parse(timed, schema):
    """[(arrival, object)] of every line; problems (a list) for a line that is not
    a JSON object of the schema and version 1."""
    objs, problems = [], []
    for at, line in timed:
        try:
            o = json.loads(line)
        except ValueError:
            problems.append(f"not JSON: {line[:120]!r}")
            continue
        if not isinstance(o, dict) or o.get("schema") != schema or o.get("schema_version") != 1:
            problems.append(f"not a {schema} v1 object: {line[:120]!r}")
            continue
        objs.append((at, o))
    return objs, problems


def check(objs, totals, rates, period_s, sub=None):
    """Problems of a series of --stats-json objects.

    totals: keys of cumulative counters (never go down); rates: {rate key: (total
    key, factor)}: rate == (total[k] - total[k-1]) * factor / dt_s (the first line:
    since 0). sub: (key of an array of objects, its id key, its totals, its rates)
    checked the same way per element. period_s: --stats-period; dt_s must be at
    least that and the lines must arrive that far apart by the test's clock."""
    problems = []
    prev, prev_at = None, None
    for k, (at, o) in enumerate(objs):
        dt = o["dt_s"]
        if prev is None:
            if abs(o["t_s"] - dt) > 2e-6:
                problems.append(f"line {k}: first line: dt_s {dt} != t_s {o['t_s']}")
        else:
            if abs(o["t_s"] - prev["t_s"] - dt) > 2e-6:
                problems.append(f"line {k}: dt_s {dt} != t_s - previous t_s "
                                f"{o['t_s'] - prev['t_s']:.6f}")
            wall = at - prev_at
            # Arrival times: the printing thread may be late, but on average the
            # lines are dt_s apart; allow 0.1 s of scheduling either way.
            if abs(wall - dt) > 0.1:
                problems.append(f"line {k}: arrived {wall:.3f} s after the previous, "
                                f"dt_s {dt}")
        # The period's timer keeps absolute deadlines: a late line is followed
        # by a shorter period; the mean is the period (checked below).
        if dt < period_s * 0.25 or dt > period_s * 2.5 + 0.1:
            problems.append(f"line {k}: dt_s {dt} for a period of {period_s}")
        problems += check_one(k, o, prev, totals, rates, dt)
        if sub is not None:
            key, ident, stotals, srates = sub
            before = {} if prev is None else {e[ident]: e for e in prev[key]}
            for e in o[key]:
                problems += check_one(f"{k} {key} {e[ident]}", e, before.get(e[ident]),
                                      stotals, srates, dt, first=prev is None)
        prev, prev_at = o, at
    if objs:
        mean = objs[-1][1]["t_s"] / len(objs)
        if not period_s * 0.95 <= mean <= period_s * 1.5:
            problems.append(f"{len(objs)} lines in {objs[-1][1]['t_s']} s: one per {mean:.3f} s "
                            f"for a period of {period_s}")
    if len(objs) >= 2:
        span_wall = objs[-1][0] - objs[0][0]
        span = objs[-1][1]["t_s"] - objs[0][1]["t_s"]
        if abs(span_wall - span) > 0.1:
            problems.append(f"the lines span {span:.3f} s by t_s, {span_wall:.3f} s by the "
                            "test's clock")
    return problems


def check_one(k, o, prev, totals, rates, dt, first=None):
    problems = []
    for t in totals:
        if not isinstance(o.get(t), int) or o[t] < 0:
            problems.append(f"line {k}: {t} {o.get(t)!r} is not a count")
        elif prev is not None and o[t] < prev[t]:
            problems.append(f"line {k}: {t} went down: {prev[t]} -> {o[t]}")
    for r, (t, factor) in rates.items():
        if o.get(r) is None and r.endswith("_bps"):
            continue  # a device that keeps no byte count
        diff = (o[t] - (prev[t] if prev is not None else 0)) * factor
        want = diff / dt if dt > 0 else 0
        # dt_s and the rate are rounded (6 and 1 decimals).
        if abs(o[r] - want) > 0.06 + want * 1e-5 + diff * 1e-6 / max(dt, 1e-6):
            problems.append(f"line {k}: {r} {o[r]}, {t} grew by {diff / factor} in "
                            f"{dt} s: {want:.1f}")
    return problems
