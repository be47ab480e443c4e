"""Duplication: over-supplied cells and overlapping services (SPEC §5)."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pandas as pd

from ecosystem.analysis._tables import DECIMALS, Context, prepare_graph, service_funders
from ecosystem.analysis.coverage import coverage_from

__all__ = ["duplication", "overlaps", "DUPLICATION_COLUMNS", "OVERLAP_COLUMNS"]

DUPLICATION_COLUMNS = ["place", "category", "providers", "coverage", "demand", "supply"]
OVERLAP_COLUMNS = ["service_a", "service_b", "category", "overlap", "different_funders", "provider_a",
                   "provider_b", "shared_places"]


def duplication(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str,
                oversupply: float = 1.5) -> pd.DataFrame:
    """Cells over-supplied by more than one provider.

    A (leaf, category) is duplicated when its coverage status is ``over``
    (coverage >= ``oversupply``) and at least 2 distinct providers have an
    active service there. See :func:`ecosystem.analysis.coverage.coverage`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    place : str, optional
        Place to analyse (its leaves); default every place.
    as_of : datetime.date or ISO string
    oversupply : float, default 1.5

    Returns
    -------
    pandas.DataFrame
        ``place``, ``category``, ``providers`` (count), ``coverage``,
        ``demand``, ``supply``; sorted by coverage (highest first), then
        place and category.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> duplication(riverside(), place="LA1", as_of="2025-01-01")[["place", "category", "providers", "coverage"]]
      place category  providers  coverage
    0    W1     FOOD          2       1.5
    """
    ctx = prepare_graph(G, place=place, as_of=as_of)
    return duplication_from(coverage_from(ctx, oversupply=oversupply))


def duplication_from(cov: pd.DataFrame) -> pd.DataFrame:
    d = cov[(cov["status"] == "over") & (cov["providers"] >= 2)]
    d = d.sort_values(["coverage", "place", "category"], ascending=[False, True, True], kind="stable")
    return d[DUPLICATION_COLUMNS].reset_index(drop=True)


def overlaps(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str,
             threshold: float = 0.5) -> pd.DataFrame:
    """Pairs of active services in one category whose areas overlap.

    Two active services in the same category from different providers
    overlap when the leaves they serve (within ``place``) share at least
    ``threshold`` (50%) of the smaller set's population: ``overlap`` =
    shared population / the smaller of the two sets' populations, using
    leaf counts instead when any leaf of either set lacks a population.
    ``different_funders`` is true when no funder funds both services (a
    service's funders: funders of active flows naming it, plus funders of
    its provider's active flows naming no service); two services with no
    recorded funders at all are therefore ``different_funders``.

    Candidate pairs come from services sharing a (category, leaf); all
    pairs are never compared.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    place : str, optional
    as_of : datetime.date or ISO string
    threshold : float, default 0.5

    Returns
    -------
    pandas.DataFrame
        ``service_a`` < ``service_b`` (ids), ``category``, ``overlap``
        (0–1), ``different_funders`` (bool), ``provider_a``,
        ``provider_b``, ``shared_places`` (number of shared leaves);
        sorted by category, service_a, service_b.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> overlaps(riverside(), place="LA1", as_of="2025-01-01")[["service_a", "service_b", "overlap", "different_funders"]]
      service_a service_b  overlap  different_funders
    0        S1        S2      1.0               True
    1        S3        S4      1.0              False
    """
    return overlaps_from(prepare_graph(G, place=place, as_of=as_of), threshold=threshold)


def overlaps_from(ctx: Context, *, threshold: float = 0.5) -> pd.DataFrame:
    c = ctx.contrib[["service", "provider", "category", "place"]]
    if c.empty:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    pop = pd.Series(ctx.hier.population, dtype=float)
    c = c.assign(pop=c["place"].map(pop).astype(float))
    c = c.assign(miss=c["pop"].isna())
    per = c.groupby(["category", "service"], sort=False).agg(
        n=("place", "size"), total=("pop", "sum"), missing=("miss", "any"))
    # only cells with two or more providers can hold a pair
    multi = c.groupby(["category", "place"], sort=False)["provider"].transform("nunique") > 1
    cm = c[multi]
    if cm.empty:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    left = cm.rename(columns={"service": "service_a", "provider": "provider_a"})
    right = cm[["service", "provider", "category", "place"]].rename(
        columns={"service": "service_b", "provider": "provider_b"})
    pairs = left.merge(right, on=["category", "place"])
    pairs = pairs[(pairs["service_a"] < pairs["service_b"]) & (pairs["provider_a"] != pairs["provider_b"])]
    if pairs.empty:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    g = pairs.groupby(["category", "service_a", "service_b", "provider_a", "provider_b"], as_index=False,
                      sort=False).agg(shared_places=("place", "size"), shared_pop=("pop", "sum"))
    a = per.reindex(pd.MultiIndex.from_arrays([g["category"], g["service_a"]]))
    b = per.reindex(pd.MultiIndex.from_arrays([g["category"], g["service_b"]]))
    missing = a["missing"].to_numpy(bool) | b["missing"].to_numpy(bool)
    min_pop = np.minimum(a["total"].to_numpy(float), b["total"].to_numpy(float))
    min_n = np.minimum(a["n"].to_numpy(float), b["n"].to_numpy(float))
    by_count = missing | (min_pop <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ov = np.where(by_count, g["shared_places"].to_numpy(float) / min_n,
                      g["shared_pop"].to_numpy(float) / np.where(min_pop > 0, min_pop, 1.0))
    g["overlap"] = np.round(ov, DECIMALS)
    g = g[g["overlap"] >= threshold].copy()
    if g.empty:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    sf = service_funders(ctx)
    shared = (g[["service_a", "service_b"]]
              .merge(sf.rename(columns={"service": "service_a"}), on="service_a")
              .merge(sf.rename(columns={"service": "service_b"}), on=["service_b", "funder"]))
    both = set(zip(shared["service_a"], shared["service_b"]))
    g["different_funders"] = [(x, y) not in both for x, y in zip(g["service_a"], g["service_b"])]
    g["shared_places"] = g["shared_places"].astype(int)
    g = g.sort_values(["category", "service_a", "service_b"], kind="stable").reset_index(drop=True)
    return g[OVERLAP_COLUMNS]
