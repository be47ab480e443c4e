"""One generation of places at a time, and codes of other vintages translated to the loaded ones.

**Generations.** A load is refused when its places duplicate loaded ones: a
place of the same level and name as a loaded place (or as another place of
the same load) but a different code, under the same parent, or — when either
has no parent — whose point (``lat``/``lon``) lies inside the other's
boundary. That is a second generation of wards (another vintage's codes, the
same names, overlapping boundaries): analysed together, every person would be
counted twice. The message names both generations and the fix.

**Code changes.** When needs or services name a code that is not a loaded
place but a loaded postcode lookup of another vintage puts it beside loaded
places of the same entity type (a 2022 ward beside the 2023 wards sharing its
postcodes), the row is translated, population-weighted as
``scripts/build_demo.py`` reconciles the census: the old area's people are
shared over the loaded places it overlaps in proportion to
``population(new) × postcodes(old ∩ new) / postcodes(new)`` (postcode counts
alone when a population is missing). A service serving an old code serves
every loaded place it overlaps. Any other reference to such a code (an
organisation's place, a funding place) stays an error, whose message names
the loaded places the code corresponds to.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pandas as pd

from ecosystem import model as m

log = logging.getLogger(__name__)


def _norm(name: Any) -> str:
    s = re.sub(r"[^0-9a-z]+", " ", str(name or "").lower().replace("&", " and ")).strip()
    return re.sub(r"\s+", " ", s)


def _point_in(lon, lat, boundary) -> bool:
    from loaders.geography import point_in_geometry

    if lon is None or lat is None or not boundary:
        return False
    try:
        geom = json.loads(boundary) if isinstance(boundary, str) else boundary
        return point_in_geometry(float(lon), float(lat), geom)
    except (ValueError, TypeError, KeyError):
        return False


def _stored_places(store) -> list[dict[str, Any]]:
    with store.session() as s:
        return s.run(query_text("generation_places")).data()


def query_text(name: str) -> str:
    from queries import query

    return query(name).text


def generation_issues(store, tables: m.CanonicalTables, source: str) -> list[m.Issue]:
    """Issues (one per clash of generations) for places in ``tables`` that duplicate loaded or loaded-together ones."""
    df = tables.tables.get("places")
    if df is None or not len(df):
        return []
    incoming = m.fast_records(df)
    stored = _stored_places(store) if store is not None else []
    stored_by = {r["code"]: r for r in stored}
    new_codes = {r["code"] for r in incoming}
    pool: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in stored:
        if r["code"] not in new_codes:
            pool.setdefault((str(r.get("level")), _norm(r.get("name"))), []).append({**r, "_stored": True})
    clashes: list[tuple[dict, dict]] = []
    need_boundaries: set[str] = set()
    candidates = []
    for r in incoming:
        key = (str(r.get("level")), _norm(r.get("name")))
        if not key[1]:
            continue
        parent = r.get("parent") or (stored_by.get(r["code"]) or {}).get("parent")
        for other in pool.get(key, []):
            if other["code"] == r["code"]:
                continue
            oparent = other.get("parent")
            if parent and oparent:
                if parent == oparent:
                    clashes.append((r, other))
            else:
                candidates.append((r, other))
                if other.get("_stored"):
                    need_boundaries.add(other["code"])
        pool.setdefault(key, []).append({**r, "parent": parent, "_stored": False})
    if candidates:
        bounds = {}
        if need_boundaries and store is not None:
            with store.session() as s:
                for rec in s.run(query_text("place_boundaries"), {"codes": sorted(need_boundaries)}):
                    bounds[rec["code"]] = rec["boundary"]
        for r, other in candidates:
            ob = bounds.get(other["code"]) if other.get("_stored") else other.get("boundary")
            if _point_in(r.get("lon"), r.get("lat"), ob) or _point_in(other.get("lon"), other.get("lat"),
                                                                        r.get("boundary")):
                clashes.append((r, other))
    if not clashes:
        return []
    # one issue per (parent, level, other generation's source): name both generations
    groups: dict[tuple, list[tuple[dict, dict]]] = {}
    for r, other in clashes:
        osrc = ", ".join(other.get("sources") or []) if other.get("_stored") else "this load"
        groups.setdefault((r.get("parent") or other.get("parent"), r.get("level"), osrc), []).append((r, other))
    names = {r["code"]: r.get("name") for r in stored}
    issues = []
    for (parent, level, osrc), pairs in sorted(groups.items(), key=lambda kv: str(kv[0])):
        ours = sorted({r["code"] for r, _ in pairs})
        theirs = sorted({o["code"] for _, o in pairs})
        if parent:  # the whole generations under that parent, not only the places whose names repeat
            ours = sorted({r["code"] for r in incoming if r.get("parent") == parent and r.get("level") == level}
                          or ours)
            if osrc != "this load":
                theirs = sorted({r["code"] for r in stored if r.get("parent") == parent and r.get("level") == level
                                 and r["code"] not in new_codes} or theirs)
        first = pairs[0][0]
        where = f" under {names.get(parent) or parent} ({parent})" if parent else ""
        example = ", ".join(f"{r.get('name')}: {r['code']} here, {o['code']} loaded" for r, o in pairs[:3])
        msg = (f"these places are a second generation of the {len(theirs)} {level} place(s) already "
               f"{'loaded by ' + osrc if osrc != 'this load' else 'in this load'}{where}: {len(pairs)} share a "
               f"name but not a code ({example}{'…' if len(pairs) > 3 else ''}). New generation: {_span(ours)}; "
               f"loaded generation: {_span(theirs)}. Analysed together every resident would count twice. "
               f"Fix: load one generation only — leave these rows out (or load the file for the same vintage), or "
               f"take the other generation out first (`ecomap db unload SOURCE`); needs and services in the "
               f"other vintage's codes are translated when a postcode lookup of that vintage is loaded")
        issues.append(m.Issue(first.get("_file") or source, first.get("_sheet"), first.get("_row"), "code",
                              first["code"], "generation", msg))
    return issues


def _span(codes: list[str]) -> str:
    return codes[0] if len(codes) == 1 else f"{len(codes)} codes {codes[0]}…{codes[-1]}"


# --------------------------------------------------------------------------
def code_changes(store, codes: set[str], loaded: dict[str, dict[str, Any]]) -> dict[str, list[tuple[str, float]]]:
    """Other-vintage code -> [(loaded code, share)], from the stored postcode lookups (shares add up to 1)."""
    if not codes or store is None:
        return {}

    per_pc = _postcodes_with(store, codes)
    if not per_pc:
        return {}
    candidates = {c for cs in per_pc.values() if cs & codes for c in cs if c in loaded}
    per_pc.update(_postcodes_with(store, candidates))
    overlap: dict[tuple[str, str], int] = {}
    size: dict[str, int] = {}
    for cs in per_pc.values():
        for c in cs:
            if c in loaded:
                size[c] = size.get(c, 0) + 1
        for old in cs & codes:
            for new in cs:
                if new in loaded and new[:3] == old[:3]:
                    overlap[(old, new)] = overlap.get((old, new), 0) + 1
    out: dict[str, list[tuple[str, float]]] = {}
    for old in codes:
        parts = [(new, n) for (o, new), n in overlap.items() if o == old]
        if not parts:
            continue
        pops = [loaded[new].get("population") for new, _ in parts]
        if all(isinstance(p, (int, float)) and p > 0 for p in pops):
            w = [p * n / size[new] for (new, n), p in zip(parts, pops)]
        else:
            w = [float(n) for _, n in parts]
        tot = sum(w)
        out[old] = sorted(((new, x / tot) for (new, _), x in zip(parts, w)), key=lambda t: t[0])
    return out


def _postcodes_with(store, codes: set[str]) -> dict[str, set[str]]:
    """postcode -> every code any stored lookup gives it, over the sectors in which any of ``codes`` appears."""
    from loaders.postcodes import expand

    if not codes:
        return {}
    with store.session() as s:
        sectors = [r["sector"] for r in s.run(query_text("sectors_with_codes"), {"codes": sorted(codes)}).data()]
        if not sectors:
            return {}
        out: dict[str, set[str]] = {}
        for i in range(0, len(sectors), 2000):
            for row in s.run(query_text("postcode_sectors"), {"sectors": sectors[i:i + 2000]}).data():
                for pc, cs in expand(row).items():
                    out.setdefault(pc, set()).update(cs)
    return out


def translate(store, tables: m.CanonicalTables, known_places: set[str]) -> dict[str, list[tuple[str, float]]]:
    """Translate needs and services given in other-vintage codes; return the code changes found (for messages)."""
    if store is None:
        return {}
    here = set(tables.tables["places"]["code"]) if len(tables.tables["places"]) else set()
    wanted: set[str] = set()
    for rec in m.fast_records(tables.tables["needs"]) if len(tables.tables["needs"]) else []:
        if rec.get("place") and rec["place"] not in known_places and rec["place"] not in here:
            wanted.add(rec["place"])
    if len(tables.tables["services"]):
        for a in tables.tables["services"]["areas"]:
            wanted.update(c for c in (a or []) if c not in known_places and c not in here)
    for t, col in (("organisations", "place"),):
        if len(tables.tables[t]) and col in tables.tables[t].columns:
            wanted.update(c for c in tables.tables[t][col] if isinstance(c, str) and c not in known_places
                          and c not in here)
    if not wanted:
        return {}
    with store.session() as s:
        loaded = {r["code"]: r for r in s.run(query_text("generation_places")).data()}
    changes = code_changes(store, wanted, loaded)
    if not changes:
        return {}
    names = {c: r.get("name") for c, r in loaded.items()}
    # needs: split people by share
    if len(tables.tables["needs"]):
        rows, moved = [], 0
        for rec in m.fast_records(tables.tables["needs"]):
            ch = changes.get(rec.get("place"))
            if not ch:
                rows.append(rec)
                continue
            moved += 1
            old = rec["place"]
            for new, share in ch:
                r = dict(rec)
                r["place"], r["people"] = new, (rec["people"] * share if rec.get("people") is not None else None)
                r["id"] = m.need_id(new, rec["category"], rec.get("period")) + f"|from {old}"
                r["translated_from"] = old
                rows.append(r)
        if moved:
            tables.tables["needs"] = pd.DataFrame.from_records(rows)
            tables.warnings.append(f"{moved} need row(s) gave places in another vintage's codes; their people were "
                                   f"shared over the loaded places they overlap, population-weighted through the "
                                   f"loaded postcode lookups (e.g. {_example(changes, names)})")
    if len(tables.tables["services"]):
        df = tables.tables["services"].copy()
        moved = 0
        new_areas = []
        for areas in df["areas"]:
            out = []
            for c in areas or []:
                if c in changes:
                    moved += 1
                    out += [n for n, _ in changes[c] if n not in out]
                elif c not in out:
                    out.append(c)
            new_areas.append(out)
        if moved:
            df["areas"] = new_areas
            tables.tables["services"] = df
            tables.warnings.append(f"{moved} service area(s) were given in another vintage's codes; each serves the "
                                   f"loaded places it overlaps (e.g. {_example(changes, names)})")
    return changes


def _example(changes, names) -> str:
    old, parts = next(iter(sorted(changes.items())))
    return f"{old} → " + ", ".join(f"{names.get(n) or n} ({n}) {s:.0%}" for n, s in parts)


def explain_unknown(issues: list[m.Issue], changes: dict[str, list[tuple[str, float]]],
                    names: dict[str, Any]) -> list[m.Issue]:
    """Say, in an 'unknown place' issue, that the code is another vintage's code of loaded places."""
    out = []
    for i in issues:
        if i.check == "reference" and isinstance(i.value, str) and i.value in changes and "unknown place" in i.message:
            loaded = ", ".join(f"{names.get(n) or n} ({n})" for n, _ in changes[i.value])
            i = m.Issue(i.source, i.sheet, i.row, i.column, i.value, i.check,
                        f"unknown place {i.value!r}: it is another vintage's code of the loaded place(s) {loaded} "
                        f"(per the loaded postcode lookups); use the loaded code")
        out.append(i)
    return out
