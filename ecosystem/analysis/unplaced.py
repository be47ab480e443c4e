"""Unplaced: the organisations and active flows that no place can claim (SPEC §5).

Real data rarely names wards: a 360Giving file's recipients come with a
postcode at best, and its grants with the codes of the places they benefit,
which may not be loaded. Organisations with no place at all (no service
area, no base, no loaded beneficiary place) can belong to no place, so a
place's analysis would drop them silently. This module counts them, with
the active funding they receive, and says what would place them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx
import pandas as pd

from ecosystem import model as m
from ecosystem.analysis._tables import Context, prepare_graph

__all__ = ["unplaced", "unplaced_organisations_table", "unplaced_fix", "unplaced_sentence", "district",
           "UNPLACED_TABLE_COLUMNS"]

#: one row per unplaced organisation
UNPLACED_TABLE_COLUMNS = ["organisation", "postcode", "flows", "amount", "currency"]


def unplaced(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> dict[str, Any]:
    """Organisations with no place at all, and the active flows they receive.

    An organisation has a place when it is based in one, one of its services
    (active or not) serves one, or a flow it receives names a loaded place
    among its beneficiary places. Every other organisation is *unplaced*,
    except funders that receive nothing (a funder is not placed by what it
    funds). A flow is unplaced when it is active on ``as_of`` and its
    recipient is unplaced. The figures are the same whichever place is
    chosen: an unplaced organisation belongs to none.

    Returns
    -------
    dict
        ``organisations`` (count), ``flows`` (count of active flows),
        ``amount`` (their total in ``currency``: GBP when any is in pounds),
        ``amounts`` (``currency``, ``flows``, ``amount`` for every currency,
        never added together), ``with_postcode`` (unplaced organisations
        that give a postcode), ``postcode_districts`` (their outward codes,
        sorted), ``unknown_places`` (beneficiary place codes of the unplaced
        flows that are not loaded, sorted), ``examples`` (up to 10
        organisation ids, most active funding first).

    Examples
    --------
    >>> from ecosystem.examples import riverside_tables
    >>> from ecosystem.graph import graph_from_tables
    >>> import pandas as pd
    >>> t = riverside_tables()
    >>> t.tables["organisations"] = pd.concat([t["organisations"], pd.DataFrame([
    ...     {"id": "HUT", "name": "Scout hut", "postcode": "RV1 2AB"}])], ignore_index=True)
    >>> t.tables["funding"] = pd.concat([t["funding"], pd.DataFrame([
    ...     {"id": "F9", "funder": "TRUST", "recipient": "HUT", "amount": 500.0, "places": ["E92000001"]}])],
    ...     ignore_index=True)
    >>> u = unplaced(graph_from_tables(t), place="LA1", as_of="2025-01-01")
    >>> u["organisations"], u["flows"], u["amount"], u["postcode_districts"], u["unknown_places"]
    (1, 1, 500.0, ['RV1'], ['E92000001'])
    """
    return unplaced_from(prepare_graph(G, place=place, as_of=as_of))


def _main_currency(f: pd.DataFrame) -> str:
    """GBP when any of the flows is in pounds, else the currency with most flows (ties: alphabetical)."""
    if not len(f) or (f["currency"] == m.DEFAULT_CURRENCY).any():
        return m.DEFAULT_CURRENCY
    counts = f["currency"].value_counts()
    return sorted(counts.index, key=lambda c: (-int(counts[c]), str(c)))[0]


def _active_unplaced(ctx: Context, ids: set) -> pd.DataFrame:
    f = ctx.funding
    f = f[f["active"] & f["recipient"].isin(ids)]
    if "currency" not in f.columns:
        f = f.assign(currency=m.DEFAULT_CURRENCY)
    if "units" not in f.columns:
        f = f.assign(units=m.money_units(f["amount"].to_numpy()))
    return f


def unplaced_organisations_table(ctx: Context) -> pd.DataFrame:
    """One row per unplaced organisation: organisation, postcode, flows (active, received), amount, currency.

    ``amount`` is the organisation's active funding in ``currency`` (the main
    currency of the unplaced flows: GBP when any is in pounds); flows in other
    currencies are counted in ``flows`` but not added in. Sorted by amount
    (largest first), then organisation.
    """
    u = ctx.unplaced
    if u is None or u.empty:
        return pd.DataFrame(columns=UNPLACED_TABLE_COLUMNS)
    f = _active_unplaced(ctx, set(u["organisation"]))
    currency = _main_currency(f)
    flows = f.groupby("recipient", sort=False)["funding"].size()
    mine = f[f["currency"] == currency]
    units = mine.groupby("recipient", sort=False)["units"].sum()
    out = u[["organisation", "postcode"]].copy().astype(object)
    out["flows"] = out["organisation"].map(flows).fillna(0).astype(int)
    out["amount"] = [float(m.units_money(int(units.get(o, 0)), currency)) for o in out["organisation"]]
    out["currency"] = currency
    out = out.sort_values(["amount", "organisation"], ascending=[False, True], kind="stable")
    return out[UNPLACED_TABLE_COLUMNS].reset_index(drop=True)


def unplaced_from(ctx: Context, table: pd.DataFrame | None = None) -> dict[str, Any]:
    table = unplaced_organisations_table(ctx) if table is None else table
    ids = set(table["organisation"])
    f = _active_unplaced(ctx, ids)
    currency = _main_currency(f)
    amounts = []
    for cur in sorted(set(f["currency"]), key=lambda c: (c != m.DEFAULT_CURRENCY, str(c))):
        part = f[f["currency"] == cur]
        amounts.append({"currency": cur, "flows": int(len(part)),
                        "amount": float(m.units_money(int(part["units"].sum()), cur))})
    known = set(ctx.frames.places["code"])
    unknown = sorted({c for v in f["beneficiary_places"] for c in v if c not in known})
    postcodes = [p for p in table["postcode"] if isinstance(p, str) and p.strip()]
    districts = sorted({district(p) for p in postcodes})
    main = next((a["amount"] for a in amounts if a["currency"] == currency), 0.0)
    return {
        "organisations": int(len(table)),
        "flows": int(len(f)),
        "amount": float(main),
        "currency": currency,
        "amounts": amounts,
        "with_postcode": len(postcodes),
        "postcode_districts": districts,
        "unknown_places": unknown,
        "examples": [str(o) for o in table["organisation"].head(10)],
    }


def district(postcode: str) -> str:
    """A postcode's outward code (``M32 0TH`` -> ``M32``), with or without its space."""
    p = "".join(postcode.split()).upper()
    return p[:-3] if len(p) > 3 else p


#: what the first letters of a GSS code name (for places ecomap has no name for)
GSS_KINDS = {
    "E00": "output area", "E01": "LSOA", "E02": "MSOA", "E05": "ward", "E06": "unitary authority",
    "E07": "district", "E08": "metropolitan borough", "E09": "London borough", "E10": "county",
    "E11": "metropolitan county", "E12": "region", "E47": "combined authority", "E92": "country",
    "W05": "ward", "W06": "local authority", "W92": "country", "S13": "ward", "S12": "council area",
    "S92": "country", "N08": "ward", "N09": "local government district", "N92": "country",
    "K02": "United Kingdom", "K03": "Great Britain", "K04": "England and Wales",
}


def place_kind(code: str) -> str | None:
    """What kind of place a GSS code names (``E08000009`` -> ``metropolitan borough``), else None."""
    return GSS_KINDS.get(str(code)[:3].upper())


def _a(kind: str) -> str:
    """``a ward``, ``an LSOA``, ``an output area``."""
    return ("an " if kind[0] in "aeiouAEIOU" or kind in ("LSOA", "MSOA") else "a ") + kind


def unplaced_fix(u: dict[str, Any], *, limit: int = 8) -> list[str]:
    """What would place the unplaced organisations, one sentence per remedy (empty when none are unplaced).

    Examples
    --------
    >>> unplaced_fix({"organisations": 3, "with_postcode": 2, "postcode_districts": ["M32", "WA14"],
    ...               "unknown_places": ["E08000009"]})  # doctest: +NORMALIZE_WHITESPACE
    ['load a postcode lookup (such as an ONS Postcode Directory extract) covering M32, WA14: 2 of the 3 give a
      postcode', 'load boundaries for E08000009 (a metropolitan borough): their funding names it as a
      beneficiary place', 'give the other 1 a place or a postcode (organisations table, columns place and
      postcode)']
    """
    n = int(u.get("organisations") or 0)
    if not n:
        return []
    out = []
    with_pc = int(u.get("with_postcode") or 0)
    if with_pc:
        ds = list(u.get("postcode_districts") or [])
        more = f" and {len(ds) - limit} more districts" if len(ds) > limit else ""
        out.append(f"load a postcode lookup (such as an ONS Postcode Directory extract) covering "
                   f"{', '.join(ds[:limit])}{more}: {with_pc:,} of the {n:,} give a postcode")
    codes = list(u.get("unknown_places") or [])
    if codes:
        shown = [f"{c} ({_a(place_kind(c))})" if place_kind(c) else c for c in codes[:limit]]
        more = f" and {len(codes) - limit} more" if len(codes) > limit else ""
        it = "it" if len(codes) == 1 else "them"
        out.append(f"load boundaries for {', '.join(shown)}{more}: their funding names {it} as a beneficiary place")
    rest = n - with_pc
    if rest > 0:
        out.append(f"give the other {rest:,} a place or a postcode (organisations table, columns place and postcode)"
                   if with_pc else
                   f"give them a place or a postcode (organisations table, columns place and postcode)")
    return out


def unplaced_sentence(u: dict[str, Any], *, names: dict[str, str] | None = None, examples: int = 3) -> str | None:
    """One sentence saying what has no place (``None`` when nothing is unplaced); names, not ids, with ``names``.

    Examples
    --------
    >>> unplaced_sentence({"organisations": 2, "flows": 3, "amount": 1500.0, "examples": ["A", "B"]},
    ...                   names={"A": "Alpha Club"})
    'Unplaced: 2 organisations and 3 active funding flows (£1,500) have no place (no service area, base or beneficiary place), so no place’s analysis counts them — e.g. Alpha Club, B.'
    """
    n = int(u.get("organisations") or 0)
    if not n:
        return None
    from ecosystem.money import fmt, fmt_totals

    flows = int(u.get("flows") or 0)
    amounts = u.get("amounts") or [{"currency": u.get("currency") or m.DEFAULT_CURRENCY,
                                    "amount": float(u.get("amount") or 0.0)}]
    total = fmt_totals([(a["currency"], a["amount"]) for a in amounts], empty=fmt(0))
    names = names or {}
    shown = [names.get(o, o) for o in (u.get("examples") or [])[:examples]]
    orgs = f"{n:,} organisation{'s' if n != 1 else ''}"
    money = f" and {flows:,} active funding flow{'s' if flows != 1 else ''} ({total})" if flows else ""
    verb = "have" if n != 1 or flows else "has"
    eg = f" — e.g. {', '.join(shown)}" + (" …" if n > len(shown) else "") if shown else ""
    return (f"Unplaced: {orgs}{money} {verb} no place (no service area, base or beneficiary place), "
            f"so no place’s analysis counts them{eg}.")
