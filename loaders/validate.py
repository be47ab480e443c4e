"""Checks every loader's canonical tables pass before anything is written.

``check_tables`` looks across tables: duplicate keys, references to unknown
organisations, services, places and categories (those already in the store
may be passed as ``known``), negative amounts or capacities, end before
start, and places that are their own ancestor. Row locations come from the
``_row``/``_sheet``/``_file`` columns loaders keep beside each record.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ecosystem.model import TABLES, Issue, fast_records

#: table -> [(column, referenced table)]
REFERENCES = {
    "places": [("parent", "places")],
    "categories": [("parent", "categories")],
    "organisations": [("place", "places")],
    "services": [("provider", "organisations"), ("category", "categories"), ("areas", "places")],
    "needs": [("place", "places"), ("category", "categories")],
    "funding": [("funder", "organisations"), ("recipient", "organisations"), ("service", "services")],
    "partnerships": [("a", "organisations"), ("b", "organisations")],
}

NON_NEGATIVE = {
    "places": ["population"],
    "organisations": ["income"],
    "services": ["capacity", "cost"],
    "needs": ["people"],
    "funding": ["amount"],
}

META = ("_file", "_sheet", "_row")


def _loc(rec: dict[str, Any], default_source: str) -> tuple[str, str | None, int | None]:
    row = rec.get("_row")
    return (rec.get("_file") or default_source, rec.get("_sheet"), int(row) if row is not None and row == row else None)


def check_tables(tables: dict[str, pd.DataFrame], *, source: str,
                 known: dict[str, set[str]] | None = None) -> list[Issue]:
    known = known or {}
    issues: list[Issue] = []
    keys: dict[str, set[str]] = {}
    records = {name: fast_records(df) for name, df in tables.items() if df is not None and len(df)}
    for name, spec in TABLES.items():
        df = tables.get(name)
        if df is None or not len(df):
            keys[name] = set()
            continue
        key = spec.key[0] if len(spec.key) == 1 else None
        seen: dict[str, int | None] = {}
        ids = set()
        for rec in records[name]:
            if key is None:
                continue
            k = rec.get(key)
            if k is None:
                continue
            if k in seen:
                f, sh, row = _loc(rec, source)
                first = seen[k]
                issues.append(Issue(f, sh, row, key, k, "unique",
                                    f"duplicate {key} (first seen in row {first})" if first else f"duplicate {key}"))
            else:
                seen[k] = _loc(rec, source)[2]
            ids.add(k)
        keys[name] = ids

    for name, refs in REFERENCES.items():
        df = tables.get(name)
        if df is None or not len(df):
            continue
        for rec in records[name]:
            for col, target in refs:
                if col not in rec:
                    continue
                vals = rec[col]
                vals = vals if isinstance(vals, list) else [vals]
                for v in vals:
                    if v is None or (isinstance(v, float) and v != v):
                        continue
                    if v in keys[target] or v in known.get(target, ()):
                        continue
                    f, sh, row = _loc(rec, source)
                    what = target[:-1] if target != "categories" else "category"
                    issues.append(Issue(f, sh, row, col, v, "reference",
                                        f"unknown {what} {v!r}: add it to {target} or correct the code"))
        for col in NON_NEGATIVE.get(name, []):
            if col not in df.columns:
                continue
            for rec in records[name]:
                v = rec.get(col)
                if v is not None and v == v and v < 0:
                    f, sh, row = _loc(rec, source)
                    issues.append(Issue(f, sh, row, col, v, "non_negative", f"{col} must not be negative"))
        if "start" in df.columns and "end" in df.columns:
            for rec in records[name]:
                s, e = rec.get("start"), rec.get("end")
                if s is not None and e is not None and s == s and e == e and e < s:
                    f, sh, row = _loc(rec, source)
                    issues.append(Issue(f, sh, row, "end", e.isoformat(), "end_after_start",
                                        f"end {e.isoformat()} is before start {s.isoformat()}"))
    issues += _cycles(tables.get("places"), "places", source)
    issues += _cycles(tables.get("categories"), "categories", source)
    return issues


def _cycles(df: pd.DataFrame | None, name: str, source: str) -> list[Issue]:
    if df is None or not len(df) or "parent" not in df.columns:
        return []
    recs = {r["code"]: r for r in fast_records(df) if r.get("code") is not None}
    parent = {c: r.get("parent") for c, r in recs.items()}
    issues, reported = [], set()
    for start in parent:
        seen, cur = [], start
        while cur is not None and cur in parent and cur not in seen:
            seen.append(cur)
            cur = parent[cur]
            if cur is not None and not isinstance(cur, str):
                cur = None
        if cur is not None and cur in seen and start == cur and start not in reported:
            cycle = seen[seen.index(cur):]
            reported.update(cycle)
            f, sh, row = _loc(recs[start], source)
            what = "place" if name == "places" else "category"
            issues.append(Issue(f, sh, row, "parent", parent[start], "cycle",
                                f"{what} {start!r} is its own ancestor ({' → '.join(cycle + [cur])})"))
    return issues


def strip_meta(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in META if c in df.columns])

