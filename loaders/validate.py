"""Checks every loader's canonical tables pass before anything is written.

``check_tables`` looks across tables: duplicate keys, references to unknown
organisations, services, places and categories (those already in the store
may be passed as ``known``), negative amounts or capacities, end before
start, and places that are their own ancestor. Row locations come from the
``_row``/``_sheet``/``_file`` columns loaders keep beside each record.
"""

from __future__ import annotations

import decimal
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
    "procurements": [("buyer", "organisations"), ("category", "categories")],
}

NON_NEGATIVE = {
    "places": ["population"],
    "organisations": ["income"],
    "services": ["capacity", "cost"],
    "needs": ["people"],
    "funding": ["amount"],
    "procurements": ["value"],
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
        seen: dict[str, tuple] = {}
        ids = set()
        for rec in records[name]:
            if key is None:
                continue
            k = rec.get(key)
            if k is None:
                continue
            if k in seen:
                f, sh, row = _loc(rec, source)
                issues.append(Issue(f, sh, row, key, k, "unique", _duplicate_message(key, k, seen[k], (f, sh, row))))
            else:
                seen[k] = _loc(rec, source)
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


def _where(loc: tuple) -> str:
    f, sh, row = loc
    return f"{sh or f}" + (f" row {row}" if row is not None else "")


def _duplicate_message(key: str, value: Any, first: tuple, here: tuple) -> str:
    """``duplicate id 'P1': rows 3 and 5`` (naming the files when they differ)."""
    if first[:2] == here[:2] and first[2] is not None:
        return f"duplicate {key} {value!r}: rows {first[2]} and {here[2]} of {here[1] or here[0]} both have it"
    if first[2] is not None:
        return f"duplicate {key} {value!r}: {_where(first)} and {_where(here)} both have it"
    return f"duplicate {key} {value!r}"


def duplicate_keys(tables: dict[str, pd.DataFrame], *, source: str = "") -> list[Issue]:
    """Rows of one table sharing a key (within one file, or across the files of one load): one issue per repeat."""
    issues: list[Issue] = []
    for name, spec in TABLES.items():
        df = tables.get(name)
        if df is None or not len(df) or len(spec.key) != 1 or spec.key[0] not in df.columns:
            continue
        key = spec.key[0]
        seen: dict[Any, tuple] = {}
        for rec in fast_records(df):
            k = rec.get(key)
            if k is None or (isinstance(k, float) and k != k):
                continue
            here = _loc(rec, source)
            if k in seen:
                issues.append(Issue(here[0], here[1], here[2], key, k, "unique",
                                    _duplicate_message(key, k, seen[k], here)))
            else:
                seen[k] = here
    return issues


#: a single flow above this many pounds is implausible for one commissioning ecosystem
MAX_FLOW = 1_000_000_000
#: a service whose capacity is more than this many times the population of its areas is implausible
CAPACITY_FACTOR = 10
#: numeric columns that may be negative (coordinates)
SIGNED = {"lat", "lon"}


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) < 1e15 else f"{v:.3g}"


def implausible(tables: dict[str, pd.DataFrame], *, source: str = "",
                populations: dict[str, float] | None = None) -> list[Issue]:
    """Values that load but are very probably wrong: warnings, or errors under ``strict``.

    - a service's ``capacity`` above ``CAPACITY_FACTOR`` × the population of the places it serves
      (when every one of them has a population, in the load or in ``populations``: the store's);
    - a single ``funding`` ``amount`` above £1bn (``MAX_FLOW``);
    - a negative or infinite value in any numeric canonical column (``lat``/``lon`` may be negative; the
      columns :data:`NON_NEGATIVE` lists are errors already). A NaN in a frame is a missing value.
    """
    import math

    issues: list[Issue] = []
    for name, spec in TABLES.items():
        df = tables.get(name)
        if df is None or not len(df):
            continue
        numeric = [c for c, k in spec.columns.items() if k in ("float", "int") and c in df.columns]
        if not numeric:
            continue
        for rec in fast_records(df):
            for c in numeric:
                v = rec.get(c)
                if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
                    continue
                if isinstance(v, float) and math.isnan(v):
                    continue  # a missing value in a frame (stored as missing)
                if isinstance(v, float) and math.isinf(v):
                    f, sh, row = _loc(rec, source)
                    issues.append(Issue(f, sh, row, c, str(v), "implausible", f"{c} is {v}, not a number"))
                elif v < 0 and c not in SIGNED and c not in NON_NEGATIVE.get(name, ()):
                    f, sh, row = _loc(rec, source)
                    issues.append(Issue(f, sh, row, c, v, "implausible", f"{c} is negative"))
    funding = tables.get("funding")
    if funding is not None and len(funding) and "amount" in funding.columns:
        for rec in fast_records(funding):
            v = rec.get("amount")
            if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool) and v == v and v > MAX_FLOW:
                f, sh, row = _loc(rec, source)
                cur = rec.get("currency") or "GBP"
                unit, minor = ("£", "pounds, not pence") if cur == "GBP" else (f"{cur} ", "whole units, not cents")
                issues.append(Issue(f, sh, row, "amount", float(v), "implausible",
                                    f"amount {unit}{_num(float(v))} is over {unit}{MAX_FLOW / 1e9:.0f}bn for a single "
                                    f"flow; check the units ({minor}) and the digits"))
    places, services = tables.get("places"), tables.get("services")
    if services is not None and len(services) and "capacity" in services.columns:
        pop: dict[str, float] = {str(k): float(v) for k, v in (populations or {}).items()}
        if places is not None and len(places) and "population" in places.columns:
            for r in fast_records(places):
                p = r.get("population")
                if r.get("code") is not None and isinstance(p, (int, float)) and p == p:
                    pop[r["code"]] = float(p)
        for rec in fast_records(services):
            cap = rec.get("capacity")
            areas = rec.get("areas") or []
            if not isinstance(cap, (int, float)) or cap != cap or not areas or not isinstance(areas, list):
                continue
            if not all(a in pop for a in areas):
                continue
            served = sum(pop[a] for a in dict.fromkeys(areas))
            if cap > CAPACITY_FACTOR * max(served, 1.0):
                f, sh, row = _loc(rec, source)
                issues.append(Issue(f, sh, row, "capacity", cap, "implausible",
                                    f"capacity {_num(cap)} people a year is more than {CAPACITY_FACTOR} times the "
                                    f"{served:,.0f} people living in the areas it serves"))
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

