#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lcx-bench-report against a recorded lcx-bench result (tests/integration/bench/data).

The files it writes are checked by readers that are not the tool's: each PNG's chunks
(signature, IHDR, CRCs, the IDAT stream inflated to the size IHDR gives, not one flat
colour), each SVG by an XML parser, index.html by html.parser: every file referenced,
and every number in its tables compared with the JSON as this test reads it.
Usage: report_test.py LCX_BENCH_REPORT RESULT.json[.gz] CASE
  CASE render     the recorded result: the figures its sections call for, all valid
                  (run on the recorded rfc2544 and search results, data/README.md)
  CASE omit       search and rfc2544 set to null: their figures left out, said so
  CASE bad_input  not JSON, another schema or version, a missing key, -o onto a
                  non-empty directory, a file, a symbolic link: exit 2, one clear
                  message, nothing written
Runs with Debian's /usr/bin/python3; exit 77 (skip) only when it lacks matplotlib.
"""
import gzip
import html.parser
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

from benchlib import check, fail

TOOL, RESULT_ARG, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
RESULT = None  # the recorded result as plain JSON (set in main: decompressed if .gz)


def run(args):
    p = subprocess.run([TOOL] + args, capture_output=True, text=True, timeout=300)
    print("$ lcx-bench-report", " ".join(args), "-> exit", p.returncode)
    if p.stdout:
        print(p.stdout, end="")
    if p.stderr:
        print(p.stderr, end="")
    return p


# ---- independent readers -----------------------------------------------------------------


def check_png(path):
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.basename(path)
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s: no PNG signature" % name)
    check(len(data) > 10000, "%s: %d bytes, trivially small" % (name, len(data)))
    pos, chunks, idat = 8, [], b""
    ihdr = None
    while pos < len(data):
        check(pos + 8 <= len(data), "%s: truncated chunk header at %d" % (name, pos))
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        check(len(body) == length, "%s: truncated %r chunk" % (name, ctype))
        check(zlib.crc32(ctype + body) & 0xffffffff == crc, "%s: bad CRC in %r" % (name, ctype))
        chunks.append(ctype)
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        pos += 12 + length
    check(chunks[0] == b"IHDR" and chunks[-1] == b"IEND", "%s: chunks %r" % (name, chunks))
    w, h, depth, ctype, comp, filt, interlace = ihdr
    check(200 <= w <= 10000 and 200 <= h <= 10000, "%s: %dx%d" % (name, w, h))
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    check(channels is not None and depth == 8 and comp == 0 and filt == 0 and interlace == 0,
          "%s: unexpected IHDR %r" % (name, ihdr))
    raw = zlib.decompress(idat)
    check(len(raw) == h * (1 + w * channels), "%s: IDAT inflates to %d bytes, IHDR says %d" %
          (name, len(raw), h * (1 + w * channels)))
    # Not one flat colour: many distinct rows (a plot has axes, text, lines).
    stride = 1 + w * channels
    rows = set(raw[i * stride + 1:(i + 1) * stride] for i in range(h))
    check(len(rows) > h // 10, "%s: only %d distinct rows of %d" % (name, len(rows), h))
    return w, h


def check_svg(path):
    name = os.path.basename(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s does not parse as XML: %s" % (name, e))
    check(root.tag == "{http://www.w3.org/2000/svg}svg", "%s: root %s" % (name, root.tag))
    paths = sum(1 for e in root.iter() if e.tag.endswith("}path") or e.tag.endswith("}use"))
    check(paths > 50, "%s: only %d path/use elements" % (name, paths))


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = set()
        self.cells = {}        # data-key -> (data-value, text)
        self.text = []
        self._cell = None
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.refs.add(a["href"])
        if tag == "img" and "src" in a:
            self.refs.add(a["src"])
        if tag == "table":
            self.tables += 1
        if tag == "td" and "data-key" in a:
            self._cell = [a["data-key"], a.get("data-value"), ""]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            k, v, t = self._cell
            self.cells.setdefault(k, []).append((v, t.strip()))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[2] += data


def get(j, path):
    cur = j
    for part in path:
        cur = cur[part]
    return cur


def key_of(path):
    s = ""
    for part in path:
        s += "[%d]" % part if isinstance(part, int) else ("." if s else "") + part
    return s


def expected_numbers(j):
    """The JSON paths whose numbers the tables must hold, read here from the JSON."""
    out = []
    if j.get("search"):
        for gi, g in enumerate(j["search"]["goals"]):
            for k in ("loss_ratio", "lower_bound_pps", "upper_bound_pps",
                      "conditional_throughput_pps"):
                if g.get(k) is not None:
                    out.append(("search", "goals", gi, k))
    for i, t in enumerate(j["trials"]):
        out += [("trials", i, "rate_pps"), ("trials", i, "tx", "offered"),
                ("trials", i, "tx", "intended"), ("trials", i, "rx", "received"),
                ("trials", i, "rx", "lost"), ("trials", i, "loss_ratio")]
        lat = t.get("latency_ns")
        if lat and lat.get("count", 0) > 0 and t.get("purpose") != "back_to_back":
            out += [("trials", i, "latency_ns", k) for k in ("p50", "p99", "p9999", "max")]
    if j.get("rfc2544"):
        for fi, f in enumerate(j["rfc2544"]["frame_sizes"]):
            for k in ("throughput_pps",):
                if f.get(k) is not None:
                    out.append(("rfc2544", "frame_sizes", fi, k))
            if (f.get("back_to_back") or {}).get("burst_frames") is not None:
                out.append(("rfc2544", "frame_sizes", fi, "back_to_back", "burst_frames"))
            ts = f.get("throughput_search")
            if ts and rfc_search_drawn(j, f):
                for gi, g in enumerate(ts["goals"]):
                    for k in ("loss_ratio", "lower_bound_pps", "upper_bound_pps"):
                        if g.get(k) is not None:
                            out.append(("rfc2544", "frame_sizes", fi, "throughput_search",
                                        "goals", gi, k))
            for pi, _ in enumerate(f["frame_loss"]):
                out += [("rfc2544", "frame_sizes", fi, "frame_loss", pi, "loss_ratio")]
    return out


def rfc_search_drawn(j, f):
    return bool((f.get("throughput_search") or {}).get("goals")) and any(
        t.get("purpose") == "throughput" and str(t.get("frame_size")) == str(f["frame_size"])
        for t in j["trials"])


def expected_figures(j):
    figs = set()
    for f in (j.get("rfc2544") or {}).get("frame_sizes", []):
        if rfc_search_drawn(j, f):
            figs.add("rfc2544-search-%s" % f["frame_size"])
    if j.get("search"):
        figs.add("search-trail")
    trials = j["trials"]
    if any((t.get("latency_ns") or {}).get("count", 0) > 0 and t.get("purpose") !=
           "back_to_back" for t in trials):
        figs.add("latency-vs-load")
    if any((t.get("latency_ns") or {}).get("histogram") for t in trials):
        figs.add("latency-histogram")
    if any((t.get("tx") or {}).get("departure_gaps_ns") for t in trials):
        figs.add("departure-gaps")
    if j.get("rfc2544"):
        figs.add("rfc2544-throughput")
        if any(f.get("frame_loss") for f in j["rfc2544"]["frame_sizes"]):
            figs.add("rfc2544-frame-loss")
    return figs


def check_report(j, out):
    figs = expected_figures(j)
    want = {"index.html"} | {f + ext for f in figs for ext in (".png", ".svg")}
    have = set(os.listdir(out))
    check(have == want, "files %s, expected %s" % (sorted(have), sorted(want)))
    for f in sorted(figs):
        w, h = check_png(os.path.join(out, f + ".png"))
        check_svg(os.path.join(out, f + ".svg"))
        print("ok: %s.png %dx%d, %s.svg parses" % (f, w, h, f))
    p = Page()
    with open(os.path.join(out, "index.html"), encoding="utf-8") as fh:
        p.feed(fh.read())
    p.close()
    missing = [f for f in sorted(have - {"index.html"}) if f not in p.refs]
    check(not missing, "index.html does not reference %s" % missing)
    if figs:
        check(p.tables >= 2 + len(figs), "index.html: %d tables" % p.tables)
    n = 0
    for path in expected_numbers(j):
        v = get(j, path)
        k = key_of(path)
        check(k in p.cells, "index.html: no table cell for %s (= %r)" % (k, v))
        for dv, text in p.cells[k]:
            check(float(dv) == float(v), "%s: data-value %s, the JSON says %r" % (k, dv, v))
            shown = float(text.replace(" ", ""))
            tol = max(0.05 if k.endswith("_pps") else 0, 1e-5 * abs(v),
                      0.5 if isinstance(v, int) else 0)
            check(abs(shown - v) <= tol, "%s: shown %r, the JSON says %r" % (k, text, v))
            n += 1
    print("ok: index.html references all %d files; %d table cells match the JSON" %
          (len(have) - 1, n))
    return p


# ---- cases -------------------------------------------------------------------------------


def case_render(tmp):
    with open(RESULT) as f:
        j = json.load(f)
    check(j["search"] or any(f.get("throughput_search") for f in
                             (j["rfc2544"] or {}).get("frame_sizes", [])),
          "the recorded result must hold a search")
    out = os.path.join(tmp, "report")
    r = run([RESULT, "-o", out])
    check(r.returncode == 0, "exit %d" % r.returncode)
    check("created " + out in r.stdout, "does not say it created the directory")
    check_report(j, out)
    # The same into an existing empty directory, restricting the series with --trials.
    out2 = os.path.join(tmp, "empty")
    os.mkdir(out2)
    first = [t["index"] for t in j["trials"] if (t.get("latency_ns") or {}).get("histogram")][0]
    r = run([RESULT, "-o", out2, "--trials=%d" % first])
    check(r.returncode == 0, "exit %d into an empty directory" % r.returncode)
    check("existing empty directory" in r.stdout, "does not say it used the empty directory")
    p = check_report(j, out2)
    text = "".join(p.text)
    check("trial %d, " % first in text, "--trials=%d: that trial is not drawn" % first)
    for t in j["trials"]:
        if t["index"] != first and t.get("purpose") in ("run", "latency", "calibrate"):
            check("trial %d, " % t["index"] not in text,
                  "--trials=%d: trial %d drawn too" % (first, t["index"]))


def case_omit(tmp):
    with open(RESULT) as f:
        j = json.load(f)
    j["search"] = None
    j["rfc2544"] = None
    src = os.path.join(tmp, "nosections.json")
    with open(src, "w") as f:
        json.dump(j, f)
    out = os.path.join(tmp, "report")
    r = run([src, "-o", out])
    check(r.returncode == 0, "exit %d" % r.returncode)
    for f in ("search-trail", "rfc2544-throughput", "rfc2544-frame-loss"):
        check(not os.path.exists(os.path.join(out, f + ".png")), "%s drawn for null" % f)
        check("%s not drawn" % f in r.stdout, "does not say %s was not drawn" % f)
    p = check_report(j, out)
    check("search is null" in "".join(p.text), "index.html does not say why")
    # A mode run result: one trial, no histogram: what is left.
    j["trials"] = j["trials"][:1]
    j["trials"][0]["latency_ns"].pop("histogram")
    src2 = os.path.join(tmp, "one.json")
    with open(src2, "w") as f:
        json.dump(j, f)
    out = os.path.join(tmp, "report-one")
    r = run([src2, "-o", out])
    check(r.returncode == 0, "exit %d" % r.returncode)
    check_report(j, out)


def bad(args, words, tmp, out=None):
    r = run(args)
    check(r.returncode == 2, "%s: exit %d, expected 2" % (args, r.returncode))
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    check(len(lines) == 1, "%s: %d lines on stderr, expected one" % (args, len(lines)))
    for w in words:
        check(w in lines[0], "%s: %r not in %r" % (args, w, lines[0]))
    check(r.stdout == "", "%s: stdout %r" % (args, r.stdout))
    if out is not None:
        check(not os.path.exists(out), "%s: %s created" % (args, out))


def case_bad_input(tmp):
    with open(RESULT) as f:
        good = json.load(f)
    out = os.path.join(tmp, "never")

    def write(name, obj=None, text=None):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text if text is not None else json.dumps(obj))
        return p

    bad([write("notjson.json", text="{\"schema\": \"lcx-bench\", oops"), "-o", out],
        ["not JSON", "line 1"], tmp, out)
    bad([write("empty.json", text=""), "-o", out], ["not JSON"], tmp, out)
    bad([write("list.json", text="[1, 2]"), "-o", out], ["not an object"], tmp, out)
    for v in (1, 3, "2", None):
        j = dict(good, schema_version=v)
        bad([write("v.json", j), "-o", out], ["schema_version %s" % json.dumps(v),
                                              "schema_version 2 only"], tmp, out)
    bad([write("other.json", dict(good, schema="trex")), "-o", out], ['schema "trex"'], tmp,
        out)
    j = dict(good)
    del j["trials"]
    bad([write("notrials.json", j), "-o", out], ["no trials"], tmp, out)
    bad([os.path.join(tmp, "absent.json"), "-o", out], ["absent.json", "No such file"], tmp,
        out)
    # -o onto a non-empty directory: refused, what is there untouched.
    full = os.path.join(tmp, "full")
    os.mkdir(full)
    keep = os.path.join(full, "index.html")
    with open(keep, "w") as f:
        f.write("mine\n")
    bad([RESULT, "-o", full], ["not empty", full], tmp)
    check(os.listdir(full) == ["index.html"], "files added to the non-empty directory")
    with open(keep) as f:
        check(f.read() == "mine\n", "the user's file was changed")
    # -o a file, a symbolic link to an empty directory: refused.
    afile = os.path.join(tmp, "afile")
    with open(afile, "w") as f:
        f.write("x")
    bad([RESULT, "-o", afile], ["not a directory"], tmp)
    empty = os.path.join(tmp, "emptydir")
    os.mkdir(empty)
    link = os.path.join(tmp, "link")
    os.symlink(empty, link)
    bad([RESULT, "-o", link], ["symbolic link"], tmp)
    check(os.listdir(empty) == [], "written through the link")
    # Usage errors: no -o, an unknown option, a bad --trials.
    r = run([RESULT])
    check(r.returncode == 2 and "-o" in r.stderr, "no -o: exit %d" % r.returncode)
    r = run([RESULT, "-o", out, "--bogus"])
    check(r.returncode == 2 and "--bogus" in r.stderr, "--bogus: exit %d" % r.returncode)
    bad([RESULT, "-o", out, "--trials=a,b"], ["--trials"], tmp, out)
    print("ok: every bad input refused with exit 2 and one line")


def main():
    if importlib.util.find_spec("matplotlib") is None:
        print("SKIP: %s has no matplotlib (apt-get install python3-matplotlib; "
              "scripts/setup installs it)" % sys.executable)
        return 77
    global RESULT
    with tempfile.TemporaryDirectory(prefix="lcxbr-report-") as tmp:
        RESULT = RESULT_ARG
        if RESULT_ARG.endswith(".gz"):
            RESULT = os.path.join(tmp, os.path.basename(RESULT_ARG)[:-3])
            with gzip.open(RESULT_ARG, "rb") as fi, open(RESULT, "wb") as fo:
                fo.write(fi.read())
        {"render": case_render, "omit": case_omit, "bad_input": case_bad_input}[CASE](tmp)
    print("ok:", CASE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
