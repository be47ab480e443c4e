"""Build small canonical-table ecosystems for the analysis tests."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import pandas as pd

from ecosystem import model as m
from ecosystem.graph import graph_from_tables

D = dt.date
AS_OF = D(2025, 1, 1)


def _frame(name: str, rows: Iterable[dict]) -> pd.DataFrame:
    rows = list(rows)
    cols = list(m.TABLES[name].columns)
    for r in rows:
        cols += [k for k in r if k not in cols]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols) if rows else m.empty_table(name)


def tables(*, places: Iterable[dict] = (), services: Iterable[dict] = (), needs: Iterable[dict] = (),
           funding: Iterable[dict] = (), partnerships: Iterable[dict] = (), organisations: Iterable[dict] = (),
           categories: Iterable[dict] = (), procurements: Iterable[dict] = ()) -> m.CanonicalTables:
    """Canonical tables with sensible defaults: names, categories and organisations filled in."""
    places = [{"name": p["code"], "level": "ward" if p.get("parent") else "la", **p} for p in places]
    services = [dict(s) for s in services]
    for i, s in enumerate(services, start=1):
        s.setdefault("id", f"S{i}")
        s.setdefault("name", s["id"])
        if isinstance(s.get("areas"), str):
            s["areas"] = s["areas"].split(";")
        if "capacity" in s and s["capacity"] is not None:
            s["capacity"] = float(s["capacity"])
    needs = [{**n, "people": float(n["people"])} for n in needs]
    funding = [dict(f) for f in funding]
    for i, f in enumerate(funding, start=1):
        f.setdefault("id", f"F{i}")
        f["amount"] = m.money(f["amount"])
        f.setdefault("start", None)
        f.setdefault("end", None)
    procurements = [dict(p) for p in procurements]
    for i, p in enumerate(procurements, start=1):
        p.setdefault("id", f"P{i}")
        p.setdefault("title", p["id"])
        if isinstance(p.get("places"), str):
            p["places"] = p["places"].split(";")
        if p.get("value") is not None:
            p["value"] = m.money(p["value"])
    cats = {c["code"] for c in categories}
    categories = list(categories) + [{"code": c, "name": c} for c in
                                     sorted({s["category"] for s in services} | {n["category"] for n in needs})
                                     if c not in cats]
    orgs = {o["id"] for o in organisations}
    referenced = ({s["provider"] for s in services} | {f["funder"] for f in funding}
                  | {f["recipient"] for f in funding} | {p["a"] for p in partnerships} | {p["b"] for p in partnerships}
                  | {p["buyer"] for p in procurements})
    organisations = list(organisations) + [{"id": o, "name": o} for o in sorted(referenced) if o not in orgs]
    return m.CanonicalTables({
        "places": _frame("places", places), "categories": _frame("categories", categories),
        "organisations": _frame("organisations", organisations), "services": _frame("services", services),
        "needs": _frame("needs", needs), "funding": _frame("funding", funding),
        "partnerships": _frame("partnerships", partnerships), "procurements": _frame("procurements", procurements),
    })


def graph(**kw: Any):
    return graph_from_tables(tables(**kw))


def wards(la: str = "LA", **pops: float | None) -> list[dict]:
    """An LA and its wards: ``wards("LA", W1=1000, W2=None)``."""
    return [{"code": la}] + [{"code": w, "parent": la, "population": p} for w, p in pops.items()]


def row(df: pd.DataFrame, **where: Any) -> dict:
    """The one row of ``df`` matching ``where``."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"expected one row for {where}, got {len(sel)}:\n{df}"
    return sel.iloc[0].to_dict()
