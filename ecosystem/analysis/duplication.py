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
    # integer codes (sorted, so code order is id order) keep the self-join cheap
    s_code, s_ids = pd.factorize(c["service"], sort=True)
    p_code, p_ids = pd.factorize(c["provider"], sort=True)
    k_code, k_ids = pd.factorize(c["category"], sort=True)
    l_code, l_ids = pd.factorize(c["place"], sort=True)
    n_s, n_l = len(s_ids), len(l_ids)
    leaf_pop = pd.Series(ctx.hier.population, dtype=float).reindex(l_ids).to_numpy()
    pop = leaf_pop[l_code]
    miss = np.isnan(pop)
    pop0 = np.where(miss, 0.0, pop)
    k64, s64 = k_code.astype(np.int64), s_code.astype(np.int64)
    # per (category, service): number of leaves, population, any population missing
    cs = k64 * n_s + s64
    cs_code, cs_ids = pd.factorize(cs, sort=True)
    per_n = np.bincount(cs_code)
    per_pop = np.bincount(cs_code, weights=pop0)
    per_miss = np.bincount(cs_code, weights=miss.astype(float)) > 0
    # only cells with two or more providers can hold a pair
    cell = k64 * n_l + l_code.astype(np.int64)
    cp = pd.DataFrame({"cell": cell, "p": p_code}).drop_duplicates()
    n_prov = cp.groupby("cell")["p"].size()
    keep = np.isin(cell, n_prov.index[n_prov.to_numpy() > 1])
    if not keep.any():
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    # every pair of rows within a cell, generated with numpy (rows sorted by cell, then service)
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((s64[idx], cell[idx]))]
    cell_sorted = cell[order]
    n = len(order)
    change = np.flatnonzero(np.diff(cell_sorted)) + 1
    starts = np.concatenate(([0], change))
    sizes = np.diff(np.concatenate((starts, [n])))
    start_of = np.repeat(starts, sizes)
    size_of = np.repeat(sizes, sizes)
    cnt = size_of - (np.arange(n) - start_of) - 1
    total = int(cnt.sum())
    left_pos = np.repeat(np.arange(n), cnt)
    offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt) + 1
    li, ri = order[left_pos], order[left_pos + offs]
    ok = p_code[li] != p_code[ri]
    li, ri = li[ok], ri[ok]
    if len(li) == 0:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    key = (k64[li] * n_s + s64[li]) * n_s + s64[ri]
    keys, first, key_code = np.unique(key, return_index=True, return_inverse=True)
    shared_n = np.bincount(key_code)
    shared_pop = np.bincount(key_code, weights=pop0[li])
    pa = p_code[li][first]
    pb = p_code[ri][first]
    b = keys % n_s
    ka = keys // n_s
    a = ka % n_s
    k = ka // n_s
    ia = np.searchsorted(cs_ids, k * n_s + a)
    ib = np.searchsorted(cs_ids, k * n_s + b)
    by_count = per_miss[ia] | per_miss[ib]
    min_pop = np.minimum(per_pop[ia], per_pop[ib])
    min_n = np.minimum(per_n[ia], per_n[ib]).astype(float)
    by_count = by_count | (min_pop <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ov = np.where(by_count, shared_n / min_n, shared_pop / np.where(min_pop > 0, min_pop, 1.0))
    ov = np.round(ov, DECIMALS)
    sel = ov >= threshold
    s_ids = pd.Index(s_ids)
    g = pd.DataFrame({
        "service_a": np.asarray(s_ids)[a[sel]], "service_b": np.asarray(s_ids)[b[sel]],
        "category": np.asarray(k_ids)[k[sel]], "overlap": ov[sel],
        "provider_a": np.asarray(p_ids)[pa[sel]], "provider_b": np.asarray(p_ids)[pb[sel]],
        "shared_places": shared_n[sel].astype(int),
    })
    if g.empty:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    # different_funders: no funder in common, checked on integer codes
    sf = service_funders(ctx)
    sf = sf[sf["service"].isin(s_ids)]
    f_code, _ = pd.factorize(sf["funder"])
    sf_s = s_ids.get_indexer(sf["service"]).astype(np.int64)
    n_f = int(f_code.max()) + 1 if len(f_code) else 1
    sf_key = np.unique(sf_s * n_f + f_code)
    ga, gb = a[sel], b[sel]
    fa = pd.DataFrame({"row": np.arange(len(ga)), "s": ga}).merge(
        pd.DataFrame({"s": sf_s, "f": f_code.astype(np.int64)}), on="s")
    hit = np.isin(gb[fa["row"].to_numpy()] * n_f + fa["f"].to_numpy(), sf_key)
    shares = np.zeros(len(ga), dtype=bool)
    shares[fa["row"].to_numpy()[hit]] = True
    g["different_funders"] = ~shares
    # keys came out of np.unique sorted by (category, service_a, service_b) codes = id order
    return g[OVERLAP_COLUMNS].reset_index(drop=True)
