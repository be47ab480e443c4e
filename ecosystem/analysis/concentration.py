"""Concentration: how much of a category's supply sits with few providers (SPEC §5)."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pandas as pd

from ecosystem.analysis._tables import DECIMALS, Context, prepare_graph

__all__ = ["concentration", "COLUMNS", "CONCENTRATED"]

COLUMNS = ["place", "category", "hhi", "concentrated", "providers", "supply", "top_provider", "top_share"]

#: HHI above which a market is concentrated (the competition authorities' usual line)
CONCENTRATED = 2500.0


def concentration(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str) -> pd.DataFrame:
    """Herfindahl–Hirschman index of providers' shares of supply.

    Per (chosen place, category): each provider's share of the apportioned
    capacity of active services serving the place's leaves, then ``hhi`` =
    sum of (100 × share)² on the 0–10,000 scale; ``concentrated`` when
    ``hhi > 2500``. The chosen place is ``place``; when ``place`` is None,
    every top-level place (a place with no parent) is reported separately.
    Categories with no known supply in a place (no active service, or only
    services of unknown capacity) have no shares and are left out.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    place : str, optional
    as_of : datetime.date or ISO string

    Returns
    -------
    pandas.DataFrame
        ``place`` (the chosen or top-level place), ``category``, ``hhi``,
        ``concentrated`` (bool), ``providers`` (with supply > 0),
        ``supply``, ``top_provider`` (ties: smallest id), ``top_share``;
        sorted by place, category.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> concentration(riverside(), as_of="2025-01-01")[["place", "category", "hhi", "concentrated"]]
      place category      hhi  concentrated
    0   LA1     FOOD   6800.0          True
    1   LA1       MH  10000.0          True
    2   LA2       MH  10000.0          True
    """
    return concentration_from(prepare_graph(G, place=place, as_of=as_of))


def concentration_from(ctx: Context) -> pd.DataFrame:
    c = ctx.contrib[ctx.contrib["supply"] > 0]
    if c.empty:
        return pd.DataFrame(columns=COLUMNS)
    if ctx.place is not None:
        top = pd.DataFrame({"leaf": ctx.leaves, "top": ctx.place})
    else:
        rows = [(leaf, r) for r in ctx.hier.roots for leaf in ctx.hier.leaves_of[r]]
        top = pd.DataFrame(rows, columns=["leaf", "top"])
    x = c[["place", "category", "provider", "supply"]].merge(top, left_on="place", right_on="leaf")
    by = x.groupby(["top", "category", "provider"], as_index=False, sort=False)["supply"].sum()
    by["total"] = by.groupby(["top", "category"], sort=False)["supply"].transform("sum")
    by["share"] = by["supply"] / by["total"]
    by["sq"] = (100.0 * by["share"]) ** 2
    first = by.sort_values(["top", "category", "share", "provider"], ascending=[True, True, False, True],
                           kind="stable").drop_duplicates(["top", "category"])
    agg = by.groupby(["top", "category"], as_index=False, sort=False).agg(
        hhi=("sq", "sum"), providers=("provider", "nunique"), supply=("supply", "sum"))
    out = agg.merge(first[["top", "category", "provider", "share"]], on=["top", "category"])
    out = out.rename(columns={"top": "place", "provider": "top_provider", "share": "top_share"})
    out["hhi"] = out["hhi"].round(6)
    out["top_share"] = out["top_share"].round(DECIMALS)
    out["supply"] = out["supply"].round(DECIMALS)
    out["providers"] = out["providers"].astype(int)
    out["concentrated"] = out["hhi"] > CONCENTRATED
    out = out.sort_values(["place", "category"], kind="stable").reset_index(drop=True)
    return out[COLUMNS]
