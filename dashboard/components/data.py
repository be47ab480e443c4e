"""Pure data preparation for the pages: analysis results and edge tables in, small DataFrames out.

Nothing here reads the store or imports Dash; every function is a plain
function of its arguments, so the figures the pages draw are tested here.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import numpy as np
import pandas as pd

from ecosystem import analysis as an
from ecosystem.analysis._tables import active_mask
from ecosystem.model import DEFAULT_CURRENCY, MONEY_SCALE, money, units_money
from ecosystem.model import money_units as an_units

#: coverage statuses in the order they are worst to best
STATUSES = ("unserved", "under", "met", "over", "no_demand")
LEAF_COLUMNS = ["place", "demand", "supply", "unmet", "coverage", "status", "providers"]


def leaf_values(coverage: pd.DataFrame, category: str | None = None) -> pd.DataFrame:
    """Per leaf, for one category (or all added together): demand, supply, unmet, coverage, status, providers.

    With every category, ``coverage`` is total supply ÷ total demand, ``status``
    is the worst status of the leaf's cells and ``providers`` the largest
    provider count of any cell. Ordered by place code.
    """
    cov = coverage if category is None else coverage[coverage["category"] == category]
    if not len(cov):
        return pd.DataFrame(columns=LEAF_COLUMNS)
    rank = {s: i for i, s in enumerate(STATUSES)}
    g = cov.groupby("place", sort=True)
    out = g[["demand", "supply", "unmet"]].sum()
    out["providers"] = g["providers"].max().astype(int)
    out["status"] = g["status"].agg(lambda s: min(s, key=lambda x: rank.get(x, len(rank))))
    out["coverage"] = np.where(out["demand"] > 0, out["supply"] / out["demand"].where(out["demand"] > 0), np.nan)
    out = out.reset_index()
    return out[LEAF_COLUMNS]


def headline(a: an.Analysis, funding: pd.DataFrame, *, horizon: int | None = None,
             removed: an.ScenarioOptions | None = None, category: str | None = None) -> dict[str, Any]:
    """The overview's headline figures.

    ``people_in_need`` (demand), ``unmet``, ``unserved_cells``, ``providers``
    (distinct providers of active services in the place), ``funding`` (active
    funding received by the organisations in the place: those providers and
    every other funded organisation that belongs to it, SPEC §5; with a
    category, those providers only), ``ending_soon`` (that funding
    in flows ending after ``as_of`` and within ``horizon`` months, default the
    analysis's), ``cliff_amount`` (at risk in funding cliffs),
    ``short_term_share``; every amount is in ``currency`` (the analysis's
    main currency, added exactly), and ``other_currencies`` lists the
    currencies of active funding left out of those figures. ``removed``: a
    scenario's options, whose removed providers, funders and flows are left
    out of the money figures. ``category``: every figure for that category
    alone — its cells, the providers of its active services, and the money
    those providers receive.
    """
    if category is None:
        t = a.totals()
        prov = a.provision
    else:
        cov = a.coverage[a.coverage["category"] == category]
        t = {"demand": cov["demand"].sum(), "unmet": cov["unmet"].sum(),
             "unserved_cells": int((cov["status"] == "unserved").sum()), "cells": len(cov)}
        prov = a.provision[a.provision["category"] == category]
    providers = set(prov["provider"]) if len(prov) else set()
    flows = active_flows(funding, a.as_of, removed)
    funded = set(providers)
    if category is None and len(a.funding_dependency):  # every funded organisation that belongs to the place
        funded |= set(a.funding_dependency["provider"])
    flows = flows[flows["recipient"].isin(funded)]
    currency = a.currency or DEFAULT_CURRENCY
    others = sorted(set(flows["currency"]) - {currency}) if "currency" in flows else []
    flows = in_currency(flows, currency)
    months = a.horizon if horizon is None else horizon
    end_by = pd.Timestamp(a.as_of) + pd.DateOffset(months=months)
    ending = flows[(flows["end"] > pd.Timestamp(a.as_of)) & (flows["end"] <= end_by)]
    cliffs = in_currency(a.funding_cliffs, currency)
    if category is not None and len(cliffs):
        cliffs = cliffs[cliffs["recipient"].isin(providers)]
    return {
        "people_in_need": float(t["demand"]),
        "unmet": float(t["unmet"]),
        "unserved_cells": int(t["unserved_cells"]),
        "cells": int(t["cells"]),
        "providers": len(providers),
        "funding": exact_sum(flows),
        "ending_soon": exact_sum(ending),
        "cliff_amount": exact_sum(cliffs),
        "currency": currency,
        "other_currencies": others,
        "short_term_share": a.short_term_share,
        "horizon": months,
    }


def active_flows(funding: pd.DataFrame, as_of: dt.date, removed: an.ScenarioOptions | None = None) -> pd.DataFrame:
    """Funding flows active on ``as_of`` (SPEC §5), less those a scenario removes."""
    f = funding[active_mask(funding["start"], funding["end"], as_of)]
    if removed is not None and not removed.is_empty:
        gone = set(removed.remove_providers)
        drop = (f["funding"].isin(set(removed.remove_funding)) | f["funder"].isin(set(removed.remove_funders))
                | f["funder"].isin(gone) | f["recipient"].isin(gone))
        f = f[~drop]
    return f


def quarter_label(ts: pd.Timestamp) -> str:
    return f"{ts.year} Q{(ts.month - 1) // 3 + 1}"


CLIFF_TIMELINE_COLUMNS = ["quarter", "start", "kind", "amount", "flows"]


def in_currency(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The rows of a table of amounts in ``currency`` (a table with no currency column is in GBP)."""
    if "currency" not in frame.columns or not len(frame):
        return frame if currency == DEFAULT_CURRENCY else frame.iloc[0:0]
    return frame[frame["currency"].fillna(DEFAULT_CURRENCY) == currency]


def exact_sum(frame: pd.DataFrame) -> float:
    """The amounts of ``frame`` (one currency) added exactly, as the float that prints as the total."""
    if not len(frame):
        return 0.0
    if "units" in frame.columns:
        return float(units_money(int(frame.loc[frame["amount"].notna(), "units"].sum())))
    return float(sum((money(v) for v in frame["amount"] if v is not None and v == v), decimal.Decimal(0)))


def cliff_timeline(funding: pd.DataFrame, as_of: dt.date, recipients: set[str] | None = None, *,
                   quarters: int = 8, currency: str | None = None) -> pd.DataFrame:
    """Money in active flows ending in each of the next ``quarters`` calendar quarters.

    ``kind`` is ``no follow-on`` when no other flow from the same funder to
    the same recipient (for the same service, when the flow names one) ends
    later or is open — the SPEC §5 funding-cliff rule without the horizon,
    :func:`ecosystem.analysis.followed_on` — and ``followed on`` otherwise. Columns: quarter (``2027 Q1``), start
    (first day of the quarter), kind, amount (in ``currency``, default GBP:
    flows in other currencies are left out, never added in), flows (count).
    Quarters with nothing ending are left out.
    """
    f = funding[active_mask(funding["start"], funding["end"], as_of)]
    f = in_currency(f, currency or DEFAULT_CURRENCY)
    if recipients is not None:
        f = f[f["recipient"].isin(recipients)]
    ts = pd.Timestamp(as_of)
    q0 = pd.Timestamp(year=ts.year, month=3 * ((ts.month - 1) // 3) + 1, day=1)
    last = q0 + pd.DateOffset(months=3 * quarters)
    ending = f[(f["end"] > ts) & (f["end"] < last)]
    if not len(ending):
        return pd.DataFrame(columns=CLIFF_TIMELINE_COLUMNS)
    kinds = np.where(an.followed_on(funding, ending), "followed on", "no follow-on")
    e = ending.assign(kind=kinds)
    e["start"] = e["end"].dt.to_period("Q").dt.start_time
    value = "units" if "units" in e.columns else "amount"
    g = e.groupby(["start", "kind"], as_index=False).agg(amount=(value, "sum"), flows=("funding", "count"))
    g["quarter"] = g["start"].map(quarter_label)
    g["amount"] = g["amount"].astype(float) / (MONEY_SCALE if value == "units" else 1)
    return g.sort_values(["start", "kind"], kind="stable")[CLIFF_TIMELINE_COLUMNS].reset_index(drop=True)


def service_funders(services: pd.DataFrame, funding: pd.DataFrame, as_of: dt.date) -> dict[str, list[str]]:
    """SPEC §5 *funders* of each service: funders of active flows naming it, plus the funders of
    its provider's active flows that name no service. Sorted ids per service."""
    f = funding[active_mask(funding["start"], funding["end"], as_of)]
    out: dict[str, set[str]] = {}
    for sid, funder in zip(f["service"], f["funder"]):
        if isinstance(sid, str) and sid:
            out.setdefault(sid, set()).add(funder)
    general = f[f["service"].isna()]
    by_provider: dict[str, set[str]] = {}
    for rec, funder in zip(general["recipient"], general["funder"]):
        by_provider.setdefault(rec, set()).add(funder)
    for sid, prov in zip(services["service"], services["provider"]):
        got = out.setdefault(sid, set())
        got |= by_provider.get(prov, set())
    return {k: sorted(v) for k, v in out.items()}


SANKEY_COLUMNS = ["source", "target", "amount", "stage"]
#: the funding chart's funders and categories: the biggest, the rest joined as "other"
SANKEY_FUNDERS = 12
SANKEY_CATEGORIES = 12


def sankey_links(services: pd.DataFrame, funding: pd.DataFrame, as_of: dt.date, providers: set[str], *,
                 max_providers: int = 15, max_funders: int = SANKEY_FUNDERS,
                 max_categories: int | None = SANKEY_CATEGORIES,
                 currency: str | None = None) -> pd.DataFrame:
    """Funder → provider → category flows of active money into ``providers``, in one ``currency``
    (default GBP; flows in other currencies are left out, never added in).

    A flow naming a service goes to that service's category; a flow naming
    none is split over the provider's active services' categories in
    proportion to their capacity (equally when any capacity is unknown).
    Providers beyond the ``max_providers`` best funded are joined as
    ``other providers``, funders beyond the ``max_funders`` biggest as
    ``other funders``, and categories beyond the ``max_categories`` best
    funded (``None``: every one) as ``cat:other categories``: a chart of a
    local authority's every funder, provider and category has thousands of
    links, unreadable and slow to draw. Columns: source, target (ids; categories prefixed
    ``cat:``), amount, stage (``funder`` or ``provider``).
    """
    f = funding[active_mask(funding["start"], funding["end"], as_of)]
    f = f[f["recipient"].isin(providers) & f["amount"].notna()]
    f = in_currency(f, currency or DEFAULT_CURRENCY)
    if not len(f):
        return pd.DataFrame(columns=SANKEY_COLUMNS)
    if "units" not in f.columns:
        f = f.assign(units=an_units(f["amount"]))

    def biggest(ids: pd.Series, n: int, other: str) -> pd.Series:
        """``ids``, those outside the ``n`` best funded (ties by id) as ``other``."""
        totals = f.groupby(ids.to_numpy())["amount"].sum().sort_index().sort_values(ascending=False, kind="stable")
        return ids.where(ids.isin(set(totals.index[:n])), other)

    flows = pd.DataFrame({"funder": biggest(f["funder"], max_funders, "other funders"),
                          "provider": biggest(f["recipient"], max_providers, "other providers"),
                          "recipient": f["recipient"], "service": f["service"],
                          "units": f["units"].astype(object), "amount": f["amount"].astype(float)})
    first = flows.groupby(["funder", "provider"], sort=False)["units"].sum()  # exact, in units

    # the second stage: each flow to its service's category, or over its provider's categories by capacity
    svc = services[active_mask(services["start"], services["end"], as_of) & services["provider"].isin(providers)]
    cat_of = dict(zip(svc["service"], svc["category"]))
    named = flows["service"].map(cat_of)
    cap = svc.groupby(["provider", "category"])["capacity"]
    cells = pd.DataFrame({"sum": cap.sum(), "known": cap.count() == cap.size()}).reset_index()
    by_prov = cells.groupby("provider")
    equal = ~by_prov["known"].transform("all") | (by_prov["sum"].transform("sum") <= 0)
    cells["w"] = np.where(equal, 1.0 / by_prov["category"].transform("size"),
                          cells["sum"] / by_prov["sum"].transform("sum"))
    direct = flows[named.notna()].assign(category=named[named.notna()], w=1.0)
    spread = flows[named.isna()].merge(cells[["provider", "category", "w"]].rename(columns={"provider": "recipient"}),
                                       on="recipient", how="left")
    spread["category"] = spread["category"].fillna("uncategorised")
    spread["w"] = spread["w"].fillna(1.0)
    parts = pd.concat([direct, spread], ignore_index=True)
    category = parts["category"]
    if max_categories is not None:
        money_in = (parts["amount"] * parts["w"]).groupby(category.to_numpy()).sum().sort_index()
        top = set(money_in.sort_values(ascending=False, kind="stable").index[:max_categories])
        category = category.where(category.isin(top), "other categories")
    second = (parts["amount"] * parts["w"]).groupby([parts["provider"], "cat:" + category], sort=False).sum()

    rows = [(a, b, float(units_money(v)), "funder") for (a, b), v in first.items()] + [
        (a, b, float(v), "provider") for (a, b), v in second.items()]
    df = pd.DataFrame(rows, columns=SANKEY_COLUMNS)
    return df.sort_values(["stage", "amount", "source", "target"], ascending=[False, False, True, True],
                          kind="stable").reset_index(drop=True)
