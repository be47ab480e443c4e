"""Coverage: demand, supply and unmet need per leaf and category (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ecosystem.analysis._tables import DECIMALS, Context, prepare_graph

__all__ = ["coverage", "COLUMNS", "STATUSES"]

COLUMNS = ["place", "category", "demand", "supply", "unmet", "coverage", "status", "providers", "services",
           "capacity_unknown"]

#: statuses, worst first (``no_demand``: active provision where no need is recorded)
STATUSES = ("unserved", "under", "met", "over", "no_demand")


def coverage(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str,
             oversupply: float = 1.5) -> pd.DataFrame:
    """Demand, supply and unmet need for every leaf and category.

    A leaf is a place under ``place`` (default: every place) with no child
    places. ``demand`` is people in need, a need given for a higher place
    being apportioned to its leaves by population (equally when any of
    them lacks one). ``supply`` is the capacity of the services in the
    category that are active on ``as_of`` and serve the leaf, each
    service's capacity apportioned over *all* the leaves it serves (also
    those outside ``place``) the same way. ``unmet = max(0, demand -
    supply)``; ``coverage = supply / demand`` (null when demand is 0).

    Status: ``unserved`` (demand > 0 and no active service), ``under``
    (coverage < 1), ``met`` (1 <= coverage < oversupply), ``over``
    (coverage >= oversupply) and ``no_demand`` (active services but no
    recorded need: coverage is undefined, so the cell is reported but never
    counted as duplication). A service with no capacity counts as present
    (the cell is not ``unserved``) but adds 0 to supply, and the row is
    flagged ``capacity_unknown``. Categories are matched exactly: a service
    in a narrower category does not meet a need recorded for the broader
    one. Several need rows for one cell add up.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The ecosystem graph (:data:`ecosystem.model.GRAPH_SCHEMA`).
    place : str, optional
        Code of the place to analyse; default every place.
    as_of : datetime.date or ISO string
        The date at which services are active.
    oversupply : float, default 1.5
        Coverage at or above which a cell is ``over``.

    Returns
    -------
    pandas.DataFrame
        One row per (leaf, category) with demand > 0 or an active service:
        ``place`` (leaf code), ``category``, ``demand``, ``supply``,
        ``unmet`` (people per year, rounded to 9 decimals), ``coverage``
        (float or NaN), ``status``, ``providers`` (number of distinct
        providers with an active service in the cell), ``services``
        (number of active services), ``capacity_unknown`` (bool). Sorted
        by place, then category.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> cov = coverage(riverside(), place="LA1", as_of="2025-01-01")
    >>> cov[["place", "category", "demand", "supply", "unmet", "status", "capacity_unknown"]]
      place category  demand  supply  unmet    status  capacity_unknown
    0    W1     FOOD    40.0    60.0    0.0      over             False
    1    W1       MH    30.0    20.0   10.0     under             False
    2    W2     FOOD    40.0    40.0    0.0       met             False
    3    W2       MH    20.0    20.0    0.0       met             False
    4    W3     FOOD    20.0     0.0   20.0  unserved             False
    5    W3       MH    10.0    10.0    0.0       met              True
    """
    return coverage_from(prepare_graph(G, place=place, as_of=as_of), oversupply=oversupply)


def coverage_from(ctx: Context, *, oversupply: float = 1.5) -> pd.DataFrame:
    c = ctx.contrib
    cells = c.groupby(["place", "category"], as_index=False, sort=False).agg(
        supply=("supply", "sum"),
        providers=("provider", "nunique"),
        services=("service", "nunique"),
        capacity_known=("capacity_known", "all"),
    )
    cells["capacity_unknown"] = ~cells.pop("capacity_known").astype(bool)
    df = ctx.demand.merge(cells, on=["place", "category"], how="outer")
    df = df[(df["demand"].fillna(0) > 0) | (df["services"].fillna(0) > 0)]
    df["demand"] = df["demand"].fillna(0.0).round(DECIMALS)
    df["supply"] = df["supply"].fillna(0.0).round(DECIMALS)
    df["providers"] = df["providers"].fillna(0).astype(int)
    df["services"] = df["services"].fillna(0).astype(int)
    df["capacity_unknown"] = df["capacity_unknown"].fillna(False).astype(bool)
    df["unmet"] = (df["demand"] - df["supply"]).clip(lower=0).round(DECIMALS)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = np.where(df["demand"] > 0, df["supply"] / df["demand"].where(df["demand"] > 0, 1.0), np.nan)
    df["coverage"] = cov
    r = df["coverage"].round(DECIMALS)
    df["status"] = np.select(
        [df["demand"] <= 0, df["services"] == 0, r < 1, r < oversupply],
        ["no_demand", "unserved", "under", "met"],
        default="over",
    )
    df = df.sort_values(["place", "category"], kind="stable").reset_index(drop=True)
    return df[COLUMNS]


def totals(cov: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of a coverage table."""
    return {
        "demand": float(round(cov["demand"].sum(), DECIMALS)),
        "supply": float(round(cov["supply"].sum(), DECIMALS)),
        "unmet": float(round(cov["unmet"].sum(), DECIMALS)),
        "unserved_cells": int((cov["status"] == "unserved").sum()),
        "under_cells": int((cov["status"] == "under").sum()),
        "over_cells": int((cov["status"] == "over").sum()),
        "cells": int(len(cov)),
    }
