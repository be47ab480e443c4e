"""Market shaping: who provides, how secure their money is, what is being procured, and trends (SPEC §5).

* :func:`diversity` — per (chosen place, category), apportioned supply and
  provider counts by provider sector (vcse, private, public, other, unknown);
* :func:`funding_security` — over active funding to the place's
  organisations, per currency, the short-term and multi-year shares overall
  and per funder, with exact amounts;
* :func:`pipeline` — procurements expected to start after ``as_of``, each
  with the coverage gaps and funding cliffs it may answer;
* :func:`series` — the headline figures (need, unmet, providers by sector,
  funding by security) at each of a series of dates, from one set of
  :class:`~ecosystem.analysis._tables.Frames`; :func:`parse_series` reads
  ``FROM:TO:STEP``.

Money is added only as exact integer units within one currency (see
:mod:`ecosystem.money`); amounts come back as ``decimal.Decimal``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable

import networkx as nx
import numpy as np
import pandas as pd

from ecosystem import model as m
from ecosystem.analysis.coverage import coverage_from, totals
from ecosystem.analysis._tables import (DECIMALS, SECTOR_VALUES, UNCLASSIFIED, Context, Frames, as_date, prepare,
                                        prepare_base, prepare_graph, unique_ints)

__all__ = [
    "SECTORS", "DIVERSITY_COLUMNS", "FUNDING_SECURITY_COLUMNS", "PIPELINE_COLUMNS", "SERIES_COLUMNS", "MAX_SERIES",
    "diversity", "funding_security", "pipeline", "series", "parse_series", "short_mask", "multi_year_mask",
    "UNCLASSIFIED",
]

#: provider sectors in display order (``unknown``: the organisation gives none)
SECTORS = SECTOR_VALUES
DIVERSITY_COLUMNS = ["place", "category", "sector", "share", "providers", "supply"]
FUNDING_SECURITY_COLUMNS = ["funder", "currency", "amount", "flows", "short_term_share", "multi_year_share"]
PIPELINE_COLUMNS = ["procurement", "title", "buyer", "category", "stage", "start", "end", "value", "currency",
                    "places", "gaps", "cliffs"]
SERIES_COLUMNS = ["as_of", "demand", "supply", "unmet", "unserved", "providers_vcse", "providers_private",
                  "providers_public", "providers_other", "providers_unknown", "currency", "funding",
                  "short_term_share", "multi_year_share"]
#: the most dates a series may have
MAX_SERIES = 240
#: coverage statuses a procurement may answer
GAP_STATUSES = ("unserved", "under")

_SECTOR_RANK = {s: i for i, s in enumerate(SECTORS)}


def _sector_of(ctx: Context, providers: pd.Series) -> pd.Series:
    sec = ctx.frames.sectors
    lookup = pd.Series(sec["sector"].to_numpy(), index=sec["organisation"].to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    return providers.map(lookup).fillna("unknown")


def _tops(ctx: Context) -> pd.DataFrame:
    """(leaf, top): the chosen place over its leaves, or each top-level place over its own."""
    if ctx.place is not None:
        return pd.DataFrame({"leaf": ctx.leaves, "top": ctx.place}, columns=["leaf", "top"])
    rows = [(leaf, r) for r in ctx.hier.roots for leaf in ctx.hier.leaves_of[r]]
    return pd.DataFrame(rows, columns=["leaf", "top"])


# --------------------------------------------------------------------------
# Diversity
# --------------------------------------------------------------------------
def diversity(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> pd.DataFrame:
    """Who provides: supply and providers by sector, per place and category.

    Per (chosen place — or each top-level place when ``place`` is None, as
    :func:`~ecosystem.analysis.concentration.concentration` does —,
    category, sector): ``supply`` is the apportioned capacity of the active
    services of that sector's providers serving the place's leaves;
    ``share`` that supply over the category's supply there (NaN when the
    category's supply is 0, i.e. every capacity is unknown); ``providers``
    the distinct providers of that sector with an active service there
    (capacity known or not). A provider's sector is its organisation's
    ``sector`` (from OCDS, the supplier's SME/VCSE flags fill it when none is
    given; a 360Giving recipient with a charity number is ``vcse``),
    ``unknown`` when none is given.

    Returns
    -------
    pandas.DataFrame
        ``place``, ``category``, ``sector``, ``share``, ``providers``,
        ``supply``; one row per sector with at least one provider; sorted
        by place, category and sector in :data:`SECTORS` order.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> diversity(riverside(), place="LA1", as_of="2025-01-01")[["category", "sector", "share", "providers"]]
      category   sector  share  providers
    0     FOOD     vcse    1.0          2
    1       MH     vcse    1.0          1
    2       MH  private    0.0          1
    """
    return diversity_from(prepare_graph(G, place=place, as_of=as_of))


def diversity_from(ctx: Context) -> pd.DataFrame:
    c = ctx.contrib
    if c.empty:
        return pd.DataFrame(columns=DIVERSITY_COLUMNS)
    # integer codes and bincounts: group-bys on text ids factorise them again and dominated at scale
    if ctx.place is not None:
        x = c
        top_codes, tops = np.zeros(len(c), dtype=np.int64), np.array([ctx.place], dtype=object)
    else:
        x = c[["place", "category", "provider", "supply"]].merge(_tops(ctx), left_on="place", right_on="leaf")
        if x.empty:
            return pd.DataFrame(columns=DIVERSITY_COLUMNS)
        top_codes, tops = pd.factorize(x["top"])
    cat_codes, cats = pd.factorize(x["category"])
    prov_codes, provs = pd.factorize(x["provider"])
    rank = _sector_of(ctx, pd.Series(provs, dtype=object)).map(_SECTOR_RANK).to_numpy(dtype=np.int64)
    ns, nc, npv = len(SECTORS), len(cats), max(len(provs), 1)
    key = (top_codes.astype(np.int64) * nc + cat_codes) * ns + rank[prov_codes]
    keys, inv = np.unique(key, return_inverse=True)
    supply = np.bincount(inv, weights=x["supply"].to_numpy(dtype=float))
    pairs = unique_ints(inv.astype(np.int64) * npv + prov_codes)
    providers = np.bincount(pairs // npv, minlength=len(keys))
    group = keys // ns  # (top, category)
    _, ginv = np.unique(group, return_inverse=True)
    total = np.bincount(ginv, weights=supply)[ginv]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, supply / np.where(total > 0, total, 1.0), np.nan)
    out = pd.DataFrame({"place": tops[group // nc], "category": cats[group % nc],
                        "sector": np.array(SECTORS, dtype=object)[keys % ns],
                        "share": np.round(share, DECIMALS), "providers": providers.astype(int),
                        "supply": np.round(supply, DECIMALS), "_rank": keys % ns})
    out = out.sort_values(["place", "category", "_rank"], kind="stable")
    return out[DIVERSITY_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------
# Funding security
# --------------------------------------------------------------------------
def short_mask(f: pd.DataFrame) -> np.ndarray:
    """Flows lasting 12 calendar months or less: both dates and ``end <= start + 12 months``."""
    both = (f["start"].notna() & f["end"].notna()).to_numpy()
    out = np.zeros(len(f), dtype=bool)
    if both.any():
        plus = pd.DatetimeIndex(f.loc[both, "start"]) + pd.DateOffset(months=12)
        out[both] = f.loc[both, "end"].to_numpy() <= plus.to_numpy()
    return out


def multi_year_mask(f: pd.DataFrame) -> np.ndarray:
    """Flows lasting 36 calendar months or more, or open-ended (no end).

    ``end`` is the flow's last day, so a flow lasts 36 months when the day
    after its end is at least ``start + 36 calendar months``: 1 April 2023 to
    31 March 2026 is a three-year grant. A flow with an end but no start has
    an unknown length: not multi-year. An assumed end (``end_assumed``)
    counts as the end.
    """
    end = f["end"]
    out = end.isna().to_numpy().copy()
    both = (f["start"].notna() & end.notna()).to_numpy()
    if both.any():
        plus = pd.DatetimeIndex(f.loc[both, "start"]) + pd.DateOffset(months=36)
        after = pd.DatetimeIndex(f.loc[both, "end"]) + pd.Timedelta(days=1)
        out[both] = after.to_numpy() >= plus.to_numpy()
    return out


def _active_money(ctx: Context) -> pd.DataFrame:
    f = ctx.funding[ctx.funding["active"] & ctx.funding["amount"].notna()]
    return f[ctx.in_scope(f["recipient"])]


def _currency_rank(codes: Iterable[str]) -> dict[str, int]:
    return {c: i for i, c in enumerate(sorted(set(codes), key=lambda c: (c != m.DEFAULT_CURRENCY, str(c))))}


def funding_security(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> pd.DataFrame:
    """How secure the place's money is: short-term and multi-year shares, overall and per funder.

    Over funding active on ``as_of`` to organisations in scope (with
    ``place``, those that belong to it), per (funder, currency), and a total
    row per currency (``funder`` None). ``short_term_share``: the share of
    the amount in flows lasting 12 calendar months or less (``end <= start +
    12 months``); ``multi_year_share``: in flows lasting 36 calendar months
    or more (the day after ``end`` at least ``start + 36 months``, ``end``
    being the last day: 1 April 2023 – 31 March 2026 counts) or open-ended. A flow with no
    start has an unknown length (neither); an assumed end counts as its end.
    Shares are by exact amounts within the currency (NaN when the amounts
    add up to 0); amounts in different currencies are never added.

    Returns
    -------
    pandas.DataFrame
        ``funder`` (None on a currency's total), ``currency``, ``amount``
        (``decimal.Decimal``), ``flows``, ``short_term_share``,
        ``multi_year_share``; the totals first (GBP first, then by code), then
        per currency (same order) the funders by amount (largest first), then
        funder id.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> funding_security(riverside(), place="LA1", as_of="2025-01-01")[["funder", "amount", "multi_year_share"]]
        funder     amount  multi_year_share
    0     None  160000.00             0.375
    1  COUNCIL  100000.00             0.600
    2    TRUST   60000.00             0.000
    """
    return funding_security_from(prepare_graph(G, place=place, as_of=as_of))


def _security_rows(f: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per distinct ``keys``: flows, units, short-term units and multi-year units (exact int64)."""
    units = f["units"].to_numpy(dtype=np.int64)
    codes, uniques = [], []
    for k in keys:
        c, u = pd.factorize(f[k])
        codes.append(c.astype(np.int64))
        uniques.append(u)
    key = np.zeros(len(f), dtype=np.int64)
    for c, u in zip(codes, uniques):
        key = key * max(len(u), 1) + c
    ids, inv = np.unique(key, return_inverse=True)
    n = len(ids)
    out = {}
    rest = ids
    for k, u in reversed(list(zip(keys, uniques))):
        size = max(len(u), 1)
        out[k] = np.asarray(u, dtype=object)[rest % size]
        rest = rest // size
    short = short_mask(f)
    multi = multi_year_mask(f)

    def add(v: np.ndarray) -> np.ndarray:  # exact: int64 sums, no float weights
        acc = np.zeros(n, dtype=np.int64)
        np.add.at(acc, inv, v)
        return acc

    g = pd.DataFrame({**{k: out[k] for k in keys}, "flows": np.bincount(inv, minlength=n), "units": add(units),
                      "short": add(np.where(short, units, 0)), "multi": add(np.where(multi, units, 0))})
    return g


def funding_security_from(ctx: Context) -> pd.DataFrame:
    f = _active_money(ctx)
    if f.empty:
        return pd.DataFrame(columns=FUNDING_SECURITY_COLUMNS)
    per = _security_rows(f, ["funder", "currency"])
    tot = _security_rows(f, ["currency"])
    tot["funder"] = None
    tot["_total"] = 0
    per["_total"] = 1
    out = pd.concat([tot, per], ignore_index=True)
    rank = _currency_rank(out["currency"])
    out["_cur"] = out["currency"].map(rank)
    out["_neg"] = -out["units"]
    out["_funder"] = out["funder"].fillna("").astype(str)
    out = out.sort_values(["_total", "_cur", "_neg", "_funder"], kind="stable").reset_index(drop=True)
    units = out["units"].to_numpy(dtype=np.int64)
    pos = units > 0
    safe = np.where(pos, units, 1).astype(float)
    out["short_term_share"] = np.where(pos, out["short"].to_numpy(dtype=float) / safe, np.nan).round(DECIMALS)
    out["multi_year_share"] = np.where(pos, out["multi"].to_numpy(dtype=float) / safe, np.nan).round(DECIMALS)
    out["amount"] = pd.Series([m.units_money(int(u), c) for u, c in zip(units.tolist(), out["currency"])],
                              index=out.index, dtype=object)
    out["flows"] = out["flows"].astype(int)
    out["funder"] = out["funder"].astype(object).where(out["funder"].notna(), None)
    return out[FUNDING_SECURITY_COLUMNS]


# --------------------------------------------------------------------------
# Pipeline
# --------------------------------------------------------------------------
def pipeline(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str, horizon: int = 6,
             oversupply: float = 1.5) -> pd.DataFrame:
    """Procurements expected to start after ``as_of``, with the gaps and cliffs each may answer.

    A procurement is listed when its ``start`` is after ``as_of`` (one with
    no start is not); with ``place``, when one of its places is the place, a
    place inside it or one containing it — or, when it names no place, when
    its buyer belongs to the place. ``gaps``: the coverage cells of its
    category that are ``under`` or ``unserved`` within its places' leaves
    (the chosen place's leaves when it names none), as ``{"place", "status",
    "unmet"}``, largest unmet first (then place). ``cliffs``: the ids of the
    funding cliffs (``horizon`` months ahead) whose funder is its buyer and
    one of whose services is in its category. An ``unclassified``
    procurement answers no gap.

    Returns
    -------
    pandas.DataFrame
        ``procurement``, ``title``, ``buyer``, ``category``, ``stage``,
        ``start``, ``end`` (``datetime.date`` or None), ``value`` (float,
        NaN when none), ``currency``, ``places`` (list), ``gaps`` (list of
        dicts), ``cliffs`` (sorted list of funding ids); sorted by start,
        then procurement id.
    """
    from ecosystem.analysis.fragility import funding_cliffs_from

    ctx = prepare_graph(G, place=place, as_of=as_of)
    return pipeline_from(ctx, coverage_from(ctx, oversupply=oversupply), funding_cliffs_from(ctx, horizon=horizon))


def _date(v: Any) -> dt.date | None:
    return None if pd.isna(v) else pd.Timestamp(v).date()


def pipeline_from(ctx: Context, cov: pd.DataFrame, cliffs: pd.DataFrame) -> pd.DataFrame:
    p = ctx.frames.procurements
    if p is None or p.empty:
        return pd.DataFrame(columns=PIPELINE_COLUMNS)
    p = p[p["start"].notna() & (p["start"] > pd.Timestamp(ctx.as_of))]
    if ctx.place is not None and len(p):
        near = ctx.hier.descendants.get(ctx.place, frozenset()) | {ctx.place} | ctx.hier.ancestors(ctx.place)
        scope = ctx.scope or frozenset()
        keep = np.fromiter(((not near.isdisjoint(pl)) if pl else (b in scope)
                            for pl, b in zip(p["places"], p["buyer"])), dtype=bool, count=len(p))
        p = p[keep]
    if p.empty:
        return pd.DataFrame(columns=PIPELINE_COLUMNS)
    gaps = cov[cov["status"].isin(GAP_STATUSES)][["place", "category", "status", "unmet"]]
    gaps = gaps.sort_values(["unmet", "place"], ascending=[False, True], kind="stable")
    gaps_by_cat = {c: g for c, g in gaps.groupby("category", sort=False)}
    cats = set(p["category"])
    svc = ctx.frames.services
    svc = svc[svc["category"].isin(cats)]
    services_in = svc.groupby("category")["service"].agg(frozenset).to_dict()
    cl = cliffs[["funding", "funder", "services"]] if len(cliffs) else None
    gap_lists, cliff_lists = [], []
    for cat, places, buyer in zip(p["category"], p["places"], p["buyer"]):
        g = gaps_by_cat.get(cat)
        if g is None or cat == UNCLASSIFIED:
            gap_lists.append([])
        else:
            if places:
                leaves: set = set()
                for code in places:
                    leaves |= ctx.hier.leaves_of.get(code, frozenset((code,)))
                g = g[g["place"].isin(leaves)]
            gap_lists.append([{"place": a, "status": s, "unmet": float(u)}
                              for a, s, u in zip(g["place"], g["status"], g["unmet"])])
        mine = services_in.get(cat, frozenset())
        if cl is None or not mine or buyer is None:
            cliff_lists.append([])
        else:
            cliff_lists.append(sorted(str(fid) for fid, funder, ss in zip(cl["funding"], cl["funder"], cl["services"])
                                      if funder == buyer and not mine.isdisjoint(ss)))
    out = pd.DataFrame({
        "procurement": p["procurement"].to_numpy(dtype=object), "title": p["title"].to_numpy(dtype=object),
        "buyer": p["buyer"].to_numpy(dtype=object), "category": p["category"].to_numpy(dtype=object),
        "stage": p["stage"].to_numpy(dtype=object),
        "start": pd.Series([_date(v) for v in p["start"]], dtype=object).to_numpy(),
        "end": pd.Series([_date(v) for v in p["end"]], dtype=object).to_numpy(),
        "value": p["value"].to_numpy(dtype=float), "currency": p["currency"].to_numpy(dtype=object),
        "places": pd.Series([list(v) for v in p["places"]], dtype=object).to_numpy(),
        "gaps": pd.Series(gap_lists, dtype=object).to_numpy(),
        "cliffs": pd.Series(cliff_lists, dtype=object).to_numpy(),
    }, columns=PIPELINE_COLUMNS)
    out["_start"] = p["start"].to_numpy()
    out = out.sort_values(["_start", "procurement"], kind="stable").reset_index(drop=True)
    return out[PIPELINE_COLUMNS]


# --------------------------------------------------------------------------
# Trend: the headline figures over a series of dates
# --------------------------------------------------------------------------
_SERIES = re.compile(r"^\s*(\d+)\s*([dmy])\s*$", re.IGNORECASE)


#: the dashboard's trend choices: value → (label, years back, years forward, months between dates)
TRENDS = {
    "5y": ("Yearly over the last 4 years", 4, 0, 12),
    "3y": ("Every 6 months over the last 3 years", 3, 0, 6),
    "2y": ("Quarterly over the last 2 years", 2, 0, 3),
    "next3y": ("Yearly over the next 3 years", 0, 3, 12),
}
DEFAULT_TREND = "5y"


def trend_dates(as_of: dt.date, choice: Any = DEFAULT_TREND) -> list[dt.date]:
    """The dates the trend is computed at: ``as_of`` and steps back (or forward) from it, oldest first.

    An unknown choice is the default (yearly over the last four years: five dates).
    """
    _, back, forward, step = TRENDS.get(choice if isinstance(choice, str) else DEFAULT_TREND, TRENDS[DEFAULT_TREND])
    start = m.add_months(as_of, -12 * back)
    end = m.add_months(as_of, 12 * forward)
    out, i = [], 0
    while True:
        d = m.add_months(start, step * i)
        if d > end:
            break
        out.append(d)
        i += 1
    return out


def parse_series(text: str) -> list[dt.date]:
    """The dates of ``FROM:TO:STEP``: FROM, FROM + STEP, … up to TO (inclusive when a step lands on it).

    STEP is ``Nd`` (days), ``Nm`` (calendar months, counted from FROM so the
    day never drifts; 31 Jan + 1m = 28/29 Feb) or ``Ny`` (years), N >= 1. At
    most :data:`MAX_SERIES` dates. A bad string raises ``ValueError`` naming
    the bad part.

    >>> parse_series("2022-04-01:2024-04-01:12m")
    [datetime.date(2022, 4, 1), datetime.date(2023, 4, 1), datetime.date(2024, 4, 1)]
    """
    if not isinstance(text, str) or text.count(":") != 2:
        raise ValueError(f"series must be FROM:TO:STEP, e.g. 2022-04-01:2026-04-01:12m; got {text!r}")
    a, b, step = text.split(":")
    try:
        start = as_date(a, "series start")
    except ValueError:
        raise ValueError(f"series start {a!r} is not a date in YYYY-MM-DD form") from None
    try:
        end = as_date(b, "series end")
    except ValueError:
        raise ValueError(f"series end {b!r} is not a date in YYYY-MM-DD form") from None
    if end < start:
        raise ValueError(f"series end {end.isoformat()} is before its start {start.isoformat()}")
    mt = _SERIES.match(step)
    if not mt or int(mt.group(1)) < 1:
        raise ValueError(f"series step {step!r} must be a whole number of days, months or years of at least 1, "
                         "e.g. 30d, 6m, 1y")
    n, unit = int(mt.group(1)), mt.group(2).lower()
    dates: list[dt.date] = []
    k = 0
    while True:
        if unit == "d":
            try:
                d = start + dt.timedelta(days=k * n)
            except OverflowError:
                break
        else:
            months = k * n * (12 if unit == "y" else 1)
            if start.year + (start.month - 1 + months) // 12 > dt.MAXYEAR:
                break
            d = m.add_months(start, months)
        if d > end:
            break
        dates.append(d)
        if len(dates) > MAX_SERIES:
            raise ValueError(f"series {text!r} has more than {MAX_SERIES} dates; use a longer step")
        k += 1
    return dates


def series(frames: Frames, dates: Iterable[dt.date | str], *, place: str | None = None, category: str | None = None,
           horizon: int = 6, oversupply: float = 1.5) -> pd.DataFrame:
    """The headline figures at each date, from one set of tables (never pulled again).

    Per date (one row per currency when the active funding is in more than
    one): ``demand``, ``supply``, ``unmet`` (people per year, over the
    place's leaves) and ``unserved`` (cells) from coverage; ``providers_*``:
    distinct providers with an active service in the place, by sector;
    ``currency``, ``funding`` (active funding to the place's organisations,
    ``decimal.Decimal``; None with none), ``short_term_share`` and
    ``multi_year_share`` as :func:`funding_security`'s totals. With
    ``category``: coverage and providers of that category only, and funding
    to the providers with an active service of it in the place. ``horizon``
    is accepted for the same options as the analysis; no headline depends on it.

    Returns
    -------
    pandas.DataFrame
        :data:`SERIES_COLUMNS`, ``as_of`` a ``datetime.date``; in date order
        (then GBP first).
    """
    rows: list[dict[str, Any]] = []
    fixed = prepare_base(frames, place=place)  # places, apportioning, need and scope do not change with the date
    for d in dates:
        d = as_date(d)
        ctx = prepare(frames, place=place, as_of=d, base=fixed)
        cov = coverage_from(ctx, oversupply=oversupply)
        c = ctx.contrib
        if category is not None:
            cov = cov[cov["category"] == category]
            c = c[c["category"] == category]
        t = totals(cov)
        provs = c["provider"].drop_duplicates()
        counts = _sector_of(ctx, provs).value_counts()
        base = {"as_of": d, "demand": t["demand"], "supply": t["supply"], "unmet": t["unmet"],
                "unserved": t["unserved_cells"],
                **{f"providers_{s}": int(counts.get(s, 0)) for s in SECTORS}}
        f = _active_money(ctx)
        if category is not None:
            f = f[f["recipient"].isin(set(provs))]
        if f.empty:
            rows.append({**base, "currency": None, "funding": None, "short_term_share": float("nan"),
                         "multi_year_share": float("nan")})
            continue
        sec = _security_rows(f, ["currency"])
        rank = _currency_rank(sec["currency"])
        sec = sec.assign(_cur=sec["currency"].map(rank)).sort_values("_cur", kind="stable")
        for cur, units, short, multi in zip(sec["currency"], sec["units"].tolist(), sec["short"].tolist(),
                                            sec["multi"].tolist()):
            rows.append({**base, "currency": cur, "funding": m.units_money(int(units), cur),
                         "short_term_share": round(short / units, DECIMALS) if units > 0 else float("nan"),
                         "multi_year_share": round(multi / units, DECIMALS) if units > 0 else float("nan")})
    out = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    for s in SECTORS:
        out[f"providers_{s}"] = out[f"providers_{s}"].astype(int)
    out["unserved"] = out["unserved"].astype(int)
    out["funding"] = out["funding"].astype(object)
    out["short_term_share"] = out["short_term_share"].astype(float)
    out["multi_year_share"] = out["multi_year_share"].astype(float)
    return out
