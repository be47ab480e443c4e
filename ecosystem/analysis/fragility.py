"""Fragile dependencies: funding dependency, sole and critical providers,
funding cliffs, short-term funding and structural weak points (SPEC §5)."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pandas as pd

from ecosystem import model as m
from ecosystem.analysis._tables import DECIMALS, Context, prepare_graph
from ecosystem.analysis.coverage import coverage_from

__all__ = [
    "funding_dependency", "sole_providers", "critical_providers", "funding_cliffs", "short_term_share",
    "articulation_points", "bridges", "partnership_network", "funding_currencies_from", "main_currency",
]

DEPENDENCY_COLUMNS = ["provider", "top_funder", "top_share", "hhi", "dependent", "funders", "amount", "currency"]
SOLE_COLUMNS = ["place", "category", "provider", "demand", "supply"]
CRITICAL_COLUMNS = ["provider", "unmet_added", "unserved_added", "cells"]
CLIFF_COLUMNS = ["funding", "funder", "recipient", "end", "amount", "currency", "services", "service"]
CURRENCY_COLUMNS = ["currency", "flows", "recipients", "amount", "short_term_share"]


# --------------------------------------------------------------------------
# Funding dependency
# --------------------------------------------------------------------------
def funding_dependency(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str,
                       dependency_threshold: float = 0.5) -> pd.DataFrame:
    """How much each funded organisation leans on its largest funder.

    Over the funding flows active on ``as_of``, per recipient and currency
    (amounts in different currencies are never added or compared, so an
    organisation funded in pounds and in dollars has one row for each):
    ``top_share`` is the largest single funder's share of the amount
    received (flows from one funder added up, exactly) and ``hhi`` the sum
    of the squared funder shares (0–1; 1 = a single funder). ``dependent``
    when ``top_share >= dependency_threshold`` (default 0.5, so exactly half
    counts). Every recipient of active funding is listed, whether or not it
    delivers a service; with ``place``, only organisations that belong to it
    (:func:`~ecosystem.analysis._tables.place_scope`: one of their services
    serves a leaf of it, they are based in it or a place inside it, or a flow
    they receive is for it, a place inside it or a place containing it).
    Recipients whose active funding in a currency adds up to 0 (or has no
    amounts) have no row for it: shares are undefined.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    place : str, optional
    as_of : datetime.date or ISO string
    dependency_threshold : float, default 0.5

    Returns
    -------
    pandas.DataFrame
        ``provider``, ``top_funder`` (ties: smallest id), ``top_share``,
        ``hhi``, ``dependent`` (bool), ``funders`` (count), ``amount``
        (total active funding, ``decimal.Decimal``), ``currency`` (ISO 4217);
        sorted by top_share (highest first), then provider, then currency
        (GBP first).

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> funding_dependency(riverside(), place="LA1", as_of="2025-01-01")[["provider", "top_funder", "top_share", "hhi"]]
       provider top_funder  top_share   hhi
    0      ACME    COUNCIL        1.0  1.00
    1  FOODBANK    COUNCIL        1.0  1.00
    2    PANTRY      TRUST        1.0  1.00
    3      MIND    COUNCIL        0.6  0.52
    """
    return funding_dependency_from(prepare_graph(G, place=place, as_of=as_of),
                                   dependency_threshold=dependency_threshold)


def funding_dependency_from(ctx: Context, *, dependency_threshold: float = 0.5) -> pd.DataFrame:
    f = ctx.funding[ctx.funding["active"] & ctx.funding["amount"].notna()]
    f = f[ctx.in_scope(f["recipient"])]
    if f.empty:
        return pd.DataFrame(columns=DEPENDENCY_COLUMNS)
    by = f.groupby(["recipient", "currency", "funder"], as_index=False, sort=False)["units"].sum()
    by["total"] = by.groupby(["recipient", "currency"], sort=False)["units"].transform("sum")
    by = by[by["total"] > 0]
    if by.empty:
        return pd.DataFrame(columns=DEPENDENCY_COLUMNS)
    by["share"] = by["units"].to_numpy(dtype=float) / by["total"].to_numpy(dtype=float)
    by["sq"] = by["share"] ** 2
    top = by.sort_values(["recipient", "currency", "share", "funder"], ascending=[True, True, False, True],
                         kind="stable")
    top = top.drop_duplicates(["recipient", "currency"])
    agg = by.groupby(["recipient", "currency"], sort=False).agg(hhi=("sq", "sum"), funders=("funder", "nunique"),
                                                                 units=("units", "sum"))
    out = top[["recipient", "currency", "funder", "share"]].set_index(["recipient", "currency"]).join(agg)
    out = out.reset_index()
    out = out.rename(columns={"recipient": "provider", "funder": "top_funder", "share": "top_share"})
    out["top_share"] = out["top_share"].round(DECIMALS)
    out["hhi"] = out["hhi"].round(DECIMALS)
    out["dependent"] = out["top_share"] >= dependency_threshold
    out["funders"] = out["funders"].astype(int)
    out["amount"] = pd.Series([m.units_money(u, c) for u, c in zip(out["units"].tolist(), out["currency"])],
                              index=out.index, dtype=object)
    out["_gbp"] = out["currency"] != m.DEFAULT_CURRENCY
    out = out.sort_values(["top_share", "provider", "_gbp", "currency"], ascending=[False, True, True, True],
                          kind="stable")
    return out[DEPENDENCY_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------
# Sole and critical providers
# --------------------------------------------------------------------------
def sole_providers(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> pd.DataFrame:
    """Cells with need that depend on a single provider.

    A (leaf, category) with demand > 0 whose active services in that
    category all come from exactly one provider (whatever their capacity).

    Returns
    -------
    pandas.DataFrame
        ``place``, ``category``, ``provider``, ``demand``, ``supply``;
        sorted by place, category.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> sole_providers(riverside(), place="LA1", as_of="2025-01-01")[["place", "category", "provider"]]
      place category  provider
    0    W1       MH      MIND
    1    W2     FOOD  FOODBANK
    2    W2       MH      MIND
    """
    ctx = prepare_graph(G, place=place, as_of=as_of)
    return sole_providers_from(ctx, coverage_from(ctx))


def sole_providers_from(ctx: Context, cov: pd.DataFrame) -> pd.DataFrame:
    cells = cov.loc[(cov["demand"] > 0) & (cov["providers"] == 1), ["place", "category", "demand", "supply"]]
    who = ctx.contrib[["place", "category", "provider"]].drop_duplicates(["place", "category"])
    out = cells.merge(who, on=["place", "category"], how="left")
    out = out.sort_values(["place", "category"], kind="stable").reset_index(drop=True)
    return out[SOLE_COLUMNS]


def critical_providers(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> pd.DataFrame:
    """How much unmet need each provider's exit would add.

    For each provider with an active service in the place: the unmet people
    added across all leaves if it left (its services removed), i.e. the
    same figure as :func:`ecosystem.analysis.scenarios.run_scenario` with
    ``remove_providers=[provider]``, computed only over the (leaf, category)
    cells the provider touches instead of re-running the analysis. A
    provider's exit is not followed by the loss of the money it passes on
    (model that with ``remove_funders``).

    Returns
    -------
    pandas.DataFrame
        ``provider``, ``unmet_added`` (people per year), ``unserved_added``
        (cells that would become unserved), ``cells`` (cells it serves);
        ranked by unmet_added (largest first), then provider.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> critical_providers(riverside(), place="LA1", as_of="2025-01-01")
       provider  unmet_added  unserved_added  cells
    0  FOODBANK         60.0               1      2
    1      MIND         50.0               2      3
    2      ACME          0.0               0      1
    3    PANTRY          0.0               0      1
    """
    ctx = prepare_graph(G, place=place, as_of=as_of)
    return critical_providers_from(ctx, coverage_from(ctx))


def critical_providers_from(ctx: Context, cov: pd.DataFrame) -> pd.DataFrame:
    c = ctx.contrib
    if c.empty:
        return pd.DataFrame(columns=CRITICAL_COLUMNS)
    mine = c.groupby(["provider", "place", "category"], as_index=False, sort=False)["supply"].sum()
    cells = cov[["place", "category", "demand", "supply", "unmet", "providers"]]
    x = mine.rename(columns={"supply": "own"}).merge(cells, on=["place", "category"])
    after = (x["demand"] - (x["supply"] - x["own"]).clip(lower=0)).clip(lower=0).round(DECIMALS)
    x["added"] = (after - x["unmet"]).clip(lower=0)
    x["unserved"] = (x["demand"] > 0) & (x["providers"] == 1)
    out = x.groupby("provider", as_index=False, sort=False).agg(
        unmet_added=("added", "sum"), unserved_added=("unserved", "sum"), cells=("place", "size"))
    out["unmet_added"] = out["unmet_added"].round(DECIMALS)
    out["unserved_added"] = out["unserved_added"].astype(int)
    out["cells"] = out["cells"].astype(int)
    out = out.sort_values(["unmet_added", "provider"], ascending=[False, True], kind="stable")
    return out[CRITICAL_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------
# Funding cliffs and short-term funding
# --------------------------------------------------------------------------
def funding_cliffs(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str,
                   horizon: int = 6) -> pd.DataFrame:
    """Active funding that ends soon with nothing from the same funder after it.

    A flow active on ``as_of`` is a cliff when ``as_of < end <= as_of +
    horizon`` calendar months and no other flow from the same funder to the
    same recipient ends later or is open-ended (whether or not it has
    started). When the ending flow names a service, only flows naming that
    same service count as its successor; when it names none, any flow from
    the same funder to the same recipient does. ``services`` are those whose
    supply depends on it: the named service, else all the recipient's
    active services. With ``place``, only recipients that belong to it
    (:func:`~ecosystem.analysis._tables.place_scope`).

    Returns
    -------
    pandas.DataFrame
        ``funding`` (id), ``funder``, ``recipient``, ``end``
        (``datetime.date``), ``amount`` (at risk, ``decimal.Decimal``),
        ``currency``, ``services`` (sorted list of ids), ``service`` (the
        named service or None); sorted by end, then funding id.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> funding_cliffs(riverside(), place="LA1", as_of="2025-01-01")[["funding", "recipient", "end", "amount", "services"]]
      funding recipient         end    amount services
    0      F1  FOODBANK  2025-03-31  30000.00     [S1]
    """
    return funding_cliffs_from(prepare_graph(G, place=place, as_of=as_of), horizon=horizon)


def followed_on(funding: pd.DataFrame, ending: pd.DataFrame) -> np.ndarray:
    """For each flow of ``ending``: does another flow of ``funding`` (active or not) from the same funder to the
    same recipient (for the same service, when the ending flow names one) end later, or is it open (SPEC §5)?

    ``ending``: flows with an ``end``, in ``funding``'s columns. The
    latest end per funder and recipient (and per service) is found once, so
    a council funding thousands of providers costs its flows, not their
    pairs. A flow is never its own follow-on: its end is not later than itself.
    """
    if not len(ending):
        return np.zeros(0, dtype=bool)
    last = pd.concat([funding["end"], ending["end"]]).max()  # max(NaT, t) would be NaT: every end of both
    far = funding["end"].fillna(last + pd.Timedelta(days=1)).to_numpy()  # an open flow ends after every dated one
    n = len(funding)

    def codes(col: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of a key column shared by both tables, from 1 (0: missing)."""
        c = pd.factorize(pd.concat([funding[col], ending[col]], ignore_index=True))[0].astype(np.int64) + 1
        return c[:n], c[n:]

    (ff, ef), (fr, er), (fs, es) = codes("funder"), codes("recipient"), codes("service")
    n_r, n_s = int(max(fr.max(initial=0), er.max(initial=0))) + 1, int(max(fs.max(initial=0), es.max(initial=0))) + 1
    pair_f, pair_e = ff * n_r + fr, ef * n_r + er  # a missing funder or recipient never matches a whole pair
    whole = (ff > 0) & (fr > 0)
    named = whole & (fs > 0)

    def latest(keys: np.ndarray, sel: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """The latest end of the flows ``sel`` per key, at each of ``wanted`` (NaT where there is none)."""
        return pd.Series(far[sel]).groupby(keys[sel]).max().reindex(wanted).to_numpy()

    ends = np.where(es > 0, latest(pair_f * n_s + fs, named, pair_e * n_s + es), latest(pair_f, whole, pair_e))
    return ends > ending["end"].to_numpy()  # NaT compares false: no follow-on


def funding_cliffs_from(ctx: Context, *, horizon: int = 6) -> pd.DataFrame:
    f = ctx.funding
    now = pd.Timestamp(ctx.as_of)
    limit = pd.Timestamp(m.add_months(ctx.as_of, int(horizon)))
    ending = f[f["active"] & f["end"].notna() & (f["end"] > now) & (f["end"] <= limit)]
    ending = ending[ctx.in_scope(ending["recipient"])]
    if ending.empty:
        return pd.DataFrame(columns=CLIFF_COLUMNS)
    cliffs = ending[~followed_on(f, ending)].copy()
    if cliffs.empty:
        return pd.DataFrame(columns=CLIFF_COLUMNS)
    active = ctx.services.loc[ctx.services["active"], ["provider", "service"]].drop_duplicates()
    active = active[active["provider"].isin(set(cliffs["recipient"]))]
    by_rec: dict[str, list[str]] = {}
    in_order = active.sort_values("service")  # each provider's services in id order
    for p, sv in zip(in_order["provider"].tolist(), in_order["service"].tolist()):
        by_rec.setdefault(p, []).append(sv)
    cliffs["services"] = [[s] if pd.notna(s) else list(by_rec.get(r, []))
                          for s, r in zip(cliffs["service"], cliffs["recipient"])]
    cliffs["service"] = pd.Series([s if pd.notna(s) else None for s in cliffs["service"]], index=cliffs.index,
                                  dtype=object)
    cliffs["end"] = [t.date() for t in cliffs["end"]]
    cliffs["amount"] = pd.Series([m.units_money(u, c) if a == a else None for u, c, a in
                                  zip(cliffs["units"].tolist(), cliffs["currency"], cliffs["amount"].tolist())],
                                 index=cliffs.index, dtype=object)
    cliffs = cliffs.sort_values(["end", "funding"], kind="stable").reset_index(drop=True)
    return cliffs[CLIFF_COLUMNS]


def short_term_share(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> float | None:
    """Share of active funding (by amount) in flows lasting 12 months or less.

    A flow is short-term when it has both dates and ``end <= start + 12
    calendar months``; open-ended flows, and flows with no start date
    (their length is unknown), count as long-term; a flow whose end a loader
    assumed (``end_assumed``) counts by that end. With ``place``, flows to
    the organisations that belong to it. Shares are taken within
    one currency: this is the share in the main currency
    (:func:`main_currency`); :func:`funding_currencies` gives every
    currency's. ``None`` when there is no active funding with an amount.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> short_term_share(riverside(), place="LA1", as_of="2025-01-01")
    0.5
    """
    return short_term_share_from(prepare_graph(G, place=place, as_of=as_of))


def _active_money(ctx: Context) -> pd.DataFrame:
    f = ctx.funding[ctx.funding["active"] & ctx.funding["amount"].notna()]
    return f[ctx.in_scope(f["recipient"])]


def _short_mask(f: pd.DataFrame) -> pd.Series:
    both = f["start"].notna() & f["end"].notna()
    short = pd.Series(False, index=f.index)
    if both.any():
        plus = pd.DatetimeIndex(f.loc[both, "start"]) + pd.DateOffset(months=12)
        short.loc[both] = f.loc[both, "end"].to_numpy() <= plus.to_numpy()
    return short


def funding_currencies_from(ctx: Context) -> pd.DataFrame:
    """Active funding (in scope) per currency: flows, recipients, exact amount, short-term share.

    One row per currency (GBP first, then alphabetical); more than one row
    means the place's funding is in several currencies, and every total,
    share and dependency is then given per currency (none is converted).
    """
    f = _active_money(ctx)
    if f.empty:
        return pd.DataFrame(columns=CURRENCY_COLUMNS)
    short = _short_mask(f)
    g = pd.DataFrame({"currency": f["currency"], "units": f["units"], "short": np.where(short, f["units"], 0),
                      "recipient": f["recipient"]}).groupby("currency", sort=False).agg(
        flows=("units", "size"), recipients=("recipient", "nunique"), units=("units", "sum"),
        short=("short", "sum"))
    rows = []
    for c in sorted(g.index, key=lambda c: (c != m.DEFAULT_CURRENCY, str(c))):
        total = int(g.at[c, "units"])
        share = round(int(g.at[c, "short"]) / total, DECIMALS) if total > 0 else None
        rows.append((c, int(g.at[c, "flows"]), int(g.at[c, "recipients"]), m.units_money(total, c), share))
    return pd.DataFrame(rows, columns=CURRENCY_COLUMNS)


def main_currency(currencies: pd.DataFrame) -> str | None:
    """The currency headline figures are in: GBP when any active funding is in pounds, else the
    currency with the most active flows (ties: alphabetical); None with no active funding."""
    if currencies is None or not len(currencies):
        return None
    if (currencies["currency"] == m.DEFAULT_CURRENCY).any():
        return m.DEFAULT_CURRENCY
    best = currencies.sort_values(["flows", "currency"], ascending=[False, True], kind="stable")
    return str(best["currency"].iloc[0])


def short_term_share_from(ctx: Context, currencies: pd.DataFrame | None = None) -> float | None:
    cur = funding_currencies_from(ctx) if currencies is None else currencies
    main = main_currency(cur)
    if main is None:
        return None
    share = cur.loc[cur["currency"] == main, "short_term_share"].iloc[0]
    return None if share is None or share != share else float(share)


# --------------------------------------------------------------------------
# Structural
# --------------------------------------------------------------------------
def partnership_network(ctx: Context) -> nx.Graph:
    """Undirected graph of active partnerships (at least one side belongs to the chosen place)."""
    p = ctx.frames.partnerships
    act = p[(p["start"].isna() | (p["start"] <= pd.Timestamp(ctx.as_of)))
            & (p["end"].isna() | (p["end"] >= pd.Timestamp(ctx.as_of)))]
    act = act[ctx.in_scope(act["a"]) | ctx.in_scope(act["b"])]
    H = nx.Graph()
    H.add_edges_from((a, b) for a, b in zip(act["a"], act["b"]) if a != b)
    return H


def articulation_points(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> list[str]:
    """Organisations whose loss splits the network of active partnerships.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> articulation_points(riverside(), as_of="2025-01-01")
    ['MIND', 'PANTRY']
    """
    return articulation_points_from(prepare_graph(G, place=place, as_of=as_of))


def articulation_points_from(ctx: Context) -> list[str]:
    return sorted(nx.articulation_points(partnership_network(ctx)), key=str)


def bridges(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> list[list[str]]:
    """Partnerships whose loss splits the network, as sorted ``[a, b]`` pairs.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> bridges(riverside(), as_of="2025-01-01")
    [['COUNCIL', 'MIND'], ['FOODBANK', 'PANTRY'], ['MIND', 'PANTRY']]
    """
    return bridges_from(prepare_graph(G, place=place, as_of=as_of))


def bridges_from(ctx: Context) -> list[list[str]]:
    pairs = [sorted((a, b), key=str) for a, b in nx.bridges(partnership_network(ctx))]
    return sorted(pairs, key=lambda p: (str(p[0]), str(p[1])))
