"""Duplication: over-supplied cells and overlapping services (SPEC §5)."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ecosystem.analysis._tables import DECIMALS, Context, prepare_graph
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
    # integer codes (sorted, so code order is id order)
    s_code, s_ids = pd.factorize(c["service"], sort=True)
    p_code, p_ids = pd.factorize(c["provider"], sort=True)
    k_code, k_ids = pd.factorize(c["category"], sort=True)
    l_code, l_ids = pd.factorize(c["place"], sort=True)
    n_s, n_l = len(s_ids), len(l_ids)
    leaf_pop = pd.Series(ctx.hier.population, dtype=float).reindex(l_ids).to_numpy()

    # units: one per (category, service), with its provider and its set of leaves
    unit_key = k_code.astype(np.int64) * n_s + s_code
    u_code, u_ids = pd.factorize(unit_key, sort=True)
    rows = np.unique(u_code.astype(np.int64) * n_l + l_code)
    r_unit, r_leaf = rows // n_l, rows % n_l  # sorted by unit, then leaf
    n_u = len(u_ids)
    u_cat, u_svc = u_ids // n_s, u_ids % n_s
    u_prov = np.empty(n_u, dtype=np.int64)
    u_prov[u_code] = p_code
    # signatures: units of one category serving exactly the same leaves (every LA-wide service of
    # a category, say) are compared once, so the work grows with distinct areas, not services
    bounds = np.flatnonzero(np.diff(r_unit)) + 1
    leaf_sets = np.split(r_leaf.astype(np.int32), bounds)
    sig_of, sig_first = pd.factorize(
        pd.Series([c.tobytes() + ls.tobytes() for c, ls in zip(u_cat.astype(np.int32).reshape(-1, 1), leaf_sets)]))
    n_sig = len(sig_first)
    rep = np.zeros(n_sig, dtype=np.int64)
    rep[sig_of[::-1]] = np.arange(n_u)[::-1]  # the first unit of each signature
    take = np.isin(r_unit, rep)
    sig_row = np.empty(n_u, dtype=np.int64)
    sig_row[rep] = np.arange(n_sig)
    b_sig, b_leaf = sig_row[r_unit[take]], r_leaf[take]
    pop = leaf_pop[b_leaf]
    miss = np.isnan(pop)
    pop0 = np.where(miss, 0.0, pop)
    sig_n = np.bincount(b_sig, minlength=n_sig)
    sig_pop = np.bincount(b_sig, weights=pop0, minlength=n_sig)
    sig_miss = np.bincount(b_sig, weights=miss, minlength=n_sig) > 0
    sig_cat = u_cat[rep]
    sig_size = np.bincount(sig_of, minlength=n_sig)
    # shared leaves (real part) and shared population (imaginary part) of every pair of
    # signatures by a sparse product, one category at a time (which also bounds the memory)
    B = sp.csr_matrix((np.ones(len(b_leaf)), (b_sig, b_leaf)), shape=(n_sig, n_l))
    W = sp.csr_matrix((1.0 + 1j * pop0, (b_sig, b_leaf)), shape=(n_sig, n_l))
    found = []
    by_cat = np.argsort(sig_cat, kind="stable")
    cut = np.flatnonzero(np.diff(sig_cat[by_cat])) + 1
    for ids in np.split(by_cat, cut):
        S = sp.triu(B[ids] @ W[ids].T, format="coo")
        x, y = ids[S.row], ids[S.col]
        shared_n = np.rint(S.data.real).astype(np.int64)
        shared_pop = S.data.imag
        # a signature paired with itself only holds pairs when two or more units share it
        keep = (x != y) | (sig_size[x] > 1)
        x, y, shared_n, shared_pop = x[keep], y[keep], shared_n[keep], shared_pop[keep]
        min_pop = np.minimum(sig_pop[x], sig_pop[y])
        min_n = np.minimum(sig_n[x], sig_n[y]).astype(float)
        by_count = sig_miss[x] | sig_miss[y] | (min_pop <= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ov = np.where(by_count, shared_n / min_n, shared_pop / np.where(min_pop > 0, min_pop, 1.0))
        ov = np.round(ov, DECIMALS)
        sel = ov >= threshold
        found.append((x[sel], y[sel], shared_n[sel], ov[sel]))
    x, y, shared_n, ov = (np.concatenate(parts) for parts in zip(*found))
    if not len(x):
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    # every pair of units behind each pair of signatures
    members = np.argsort(sig_of, kind="stable")
    starts = np.concatenate(([0], np.cumsum(sig_size)[:-1]))
    na, nb = sig_size[x], sig_size[y]
    total = na * nb
    pair = np.repeat(np.arange(len(x)), total)
    within = np.arange(int(total.sum())) - np.repeat(np.cumsum(total) - total, total)
    ua = members[starts[x][pair] + within // nb[pair]]
    ub = members[starts[y][pair] + within % nb[pair]]
    ok = (u_prov[ua] != u_prov[ub]) & ((x[pair] != y[pair]) | (ua < ub))
    ua, ub, pair = ua[ok], ub[ok], pair[ok]
    if not len(ua):
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    swap = u_svc[ua] > u_svc[ub]
    ua, ub = np.where(swap, ub, ua), np.where(swap, ua, ub)
    k = u_cat[ua]
    a, b = u_svc[ua], u_svc[ub]
    order = np.lexsort((b, a, k))
    ua, ub, pair, k, a, b = ua[order], ub[order], pair[order], k[order], a[order], b[order]
    s_arr = np.asarray(s_ids)
    g = pd.DataFrame({
        "service_a": s_arr[a], "service_b": s_arr[b], "category": np.asarray(k_ids)[k], "overlap": ov[pair],
        "provider_a": np.asarray(p_ids)[u_prov[ua]], "provider_b": np.asarray(p_ids)[u_prov[ub]],
        "shared_places": shared_n[pair].astype(int),
    })
    g["different_funders"] = ~_share_a_funder(ctx, pd.Index(s_ids), np.asarray(p_ids), a, b, u_prov[ua], u_prov[ub])
    return g[OVERLAP_COLUMNS].reset_index(drop=True)


def _share_a_funder(ctx: Context, services: pd.Index, providers: np.ndarray, a: np.ndarray, b: np.ndarray,
                    pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """Whether services ``a[i]`` and ``b[i]`` (codes into ``services``) have a funder in common.

    A service's funders (SPEC §5) are the funders of active flows naming it
    plus the funders of its provider's active flows naming no service. The
    provider part is deduplicated per provider and tested once per distinct
    pair of providers, walking the funders of whichever side has fewer, so
    a council funding thousands of providers costs its pairs, not their
    product.
    """
    if not len(a):
        return np.zeros(0, dtype=bool)
    f = ctx.funding[ctx.funding["active"]]
    named = f.loc[f["service"].notna(), ["service", "funder"]]
    named = named[named["service"].isin(services)].drop_duplicates()
    general = f.loc[f["service"].isna(), ["recipient", "funder"]]
    general = general[general["recipient"].isin(providers)].drop_duplicates()
    funders = pd.Index(pd.concat([named["funder"], general["funder"]]).unique())
    n_s, n_p, n_f = len(services), len(providers), max(1, len(funders))
    named_m = sp.csr_matrix((np.ones(len(named)), (services.get_indexer(named["service"]),
                                                   funders.get_indexer(named["funder"]))), shape=(n_s, n_f))
    general_m = sp.csr_matrix((np.ones(len(general)), (pd.Index(providers).get_indexer(general["recipient"]),
                                                       funders.get_indexer(general["funder"]))), shape=(n_p, n_f))
    shared = np.zeros(len(a), dtype=bool)
    # named × named, named × the other's provider, the provider × the other's named
    shared |= _any_in(named_m, a, named_m, b)
    shared |= _any_in(named_m, a, general_m, pb)
    shared |= _any_in(named_m, b, general_m, pa)
    # provider × provider, once per distinct pair of providers, from the side with fewer funders
    pp, back = np.unique(pa.astype(np.int64) * n_p + pb, return_inverse=True)
    p1, p2 = pp // n_p, pp % n_p
    deg = np.diff(general_m.indptr)
    small = deg[p1] <= deg[p2]
    hit = _any_in(general_m, np.where(small, p1, p2), general_m, np.where(small, p2, p1))
    return shared | hit[back.ravel()]


def _any_in(left: sp.csr_matrix, rows: np.ndarray, right: sp.csr_matrix, other: np.ndarray,
            chunk: int = 1_000_000) -> np.ndarray:
    """For each i: does row ``rows[i]`` of ``left`` share a column with row ``other[i]`` of ``right``?

    Walks the entries of the ``left`` rows (so pass the sparser side as
    ``left``), in chunks that bound the memory.
    """
    out = np.zeros(len(rows), dtype=bool)
    right = right.tocsr()
    right.sort_indices()
    n_col = right.shape[1]
    keys = np.repeat(np.arange(right.shape[0], dtype=np.int64), np.diff(right.indptr)) * n_col + right.indices
    deg = np.diff(left.indptr)
    for lo in range(0, len(rows), chunk):
        r, o = rows[lo:lo + chunk], other[lo:lo + chunk]
        cnt = deg[r]
        if not cnt.any():
            continue
        at = np.repeat(np.arange(len(r)), cnt)
        offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        want = o[at].astype(np.int64) * n_col + left.indices[left.indptr[r][at] + offs]
        pos = np.searchsorted(keys, want)
        found = pos < len(keys)
        found[found] = keys[pos[found]] == want[found]
        out[lo + np.unique(at[found])] = True
    return out
