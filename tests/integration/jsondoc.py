# SPDX-License-Identifier: BSD-3-Clause
"""The "JSON summary, field by field" table of a doc page, against a real summary.

The table's rows are `| `path` | type | unit | meaning |`. A path is a key
(`duration_s`), an object member (`totals.sink.written`), a member of every
element of an array (`ports[].rx_packets`) or of every member of an object
whose keys are names (`totals.filtered_by.<reason>`). The type is one of
integer, real, string, bool, object, array, or two of them joined by "or"
(`string or null`). A row whose meaning starts with "only" may be absent.
"""
import re

TYPES = {"integer", "real", "string", "bool", "object", "array", "null"}


def doc_fields(doc_path, heading="JSON summary, field by field"):
    """{path: (set of types, optional)} from the table under the heading."""
    text = open(doc_path).read()
    m = re.search(r"^#+ " + re.escape(heading) + r"\s*$", text, re.M)
    if m is None:
        raise ValueError(f"{doc_path}: no heading {heading!r}")
    fields = {}
    for line in text[m.end():].splitlines():
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4 or not cells[0].startswith("`"):
            continue
        path = cells[0].strip("`")
        types = {t.strip() for t in cells[1].split(" or ")}
        if not types <= TYPES:
            raise ValueError(f"{doc_path}: {path}: unknown type {cells[1]!r}")
        fields[path] = (types, cells[3].lower().startswith("only"))
    if not fields:
        raise ValueError(f"{doc_path}: an empty table under {heading!r}")
    return fields


def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "real"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def flatten(v, fields, path="", out=None):
    """{documented path: set of JSON types seen} of every value in v; keys whose
    documented parent has a <name> child stand for that child."""
    if out is None:
        out = {}
    if isinstance(v, dict):
        for k, x in v.items():
            p = f"{path}.{k}" if path else k
            if p not in fields:
                wild = [f for f in fields if re.fullmatch(re.escape(path + ".") + r"<\w+>", f)]
                if wild:
                    p = wild[0]
            out.setdefault(p, set()).add(jtype(x))
            flatten(x, fields, p, out)
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, (dict, list)):
                flatten(x, fields, path + "[]", out)
    return out


def check(doc_path, summaries, ignore=(), absent_ok=(), heading="JSON summary, field by field"):
    """Problems (a list of strings) between the doc's table and the summaries
    (a list of parsed JSON objects): a key not documented, a type not the
    documented one, a documented field not marked "only" that none of the
    summaries has."""
    fields = doc_fields(doc_path, heading)
    seen = {}
    for s in summaries:
        for p, t in flatten(s, fields).items():
            seen.setdefault(p, set()).update(t)
    problems = []
    for p, types in sorted(seen.items()):
        if p in ignore:
            continue
        if p not in fields:
            problems.append(f"{p}: in the summary, not in {doc_path}")
        elif not types <= fields[p][0]:
            problems.append(f"{p}: {sorted(types)} in the summary, {sorted(fields[p][0])} "
                            f"in the doc")
    for p, (types, optional) in sorted(fields.items()):
        if not optional and p not in seen and p not in absent_ok:
            problems.append(f"{p}: in {doc_path}, in no summary")
    return problems
