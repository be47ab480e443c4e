"""Duplication: over-supplied cells and overlapping services (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

from ecosystem.analysis._tables import DECIMALS, Context, prepare_graph, unique_ints
from ecosystem.analysis.coverage import coverage_from

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["duplication", "overlaps", "overlap_summary", "DUPLICATION_COLUMNS", "OVERLAP_COLUMNS",
           "OVERLAP_SUMMARY_COLUMNS", "AREA_WIDE_COLUMNS", "IDENTICAL_COLUMNS", "OVERLAPPING_SERVICE_COLUMNS",
           "category_digest", "summary_tables"]

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
    rows = unique_ints(u_code.astype(np.int64) * n_l + l_code)
    r_unit, r_leaf = rows // n_l, rows % n_l  # sorted by unit, then leaf
    n_u = len(u_ids)
    u_cat, u_svc = u_ids // n_s, u_ids % n_s
    u_prov = np.empty(n_u, dtype=np.int64)
    u_prov[u_code] = p_code
    # signatures: units of one category serving exactly the same leaves (every LA-wide service of
    # a category, say) are compared once, so the work grows with distinct areas, not services
    sig_of, sig_first = pd.factorize(pd.Series(_leaf_keys(r_unit, r_leaf, prefix=u_cat.tolist())))
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
    import scipy.sparse as sp  # imported when needed: scipy takes a while to import
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


def _leaf_keys(r_unit: np.ndarray, r_leaf: np.ndarray, prefix: list[int] | None = None) -> list[bytes]:
    """One bytes key per unit for its set of leaves (``prefix[u]`` first, when given).

    ``r_unit``, ``r_leaf``: the (unit, leaf) rows, sorted, every unit from 0
    having at least one. Slices of one buffer: many times quicker than a
    ``frozenset`` or an array per unit.
    """
    edges = [0, *(np.flatnonzero(np.diff(r_unit)) + 1).tolist(), len(r_leaf)]
    buf = r_leaf.astype(np.int32).tobytes()
    if prefix is None:
        return [buf[4 * a:4 * b] for a, b in zip(edges[:-1], edges[1:])]
    return [b"%d:" % k + buf[4 * a:4 * b] for k, a, b in zip(prefix, edges[:-1], edges[1:])]


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
    import scipy.sparse as sp  # imported when needed: scipy takes a while to import
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
        out[lo + at[found]] = True
    return out


# --------------------------------------------------------------------------- the summary a person reads
OVERLAP_SUMMARY_COLUMNS = ["category", "pairs", "services", "providers", "shared_funder_pairs",
                           "area_wide_services", "area_wide_pairs", "identical_groups", "identical_pairs",
                           "other_pairs"]
AREA_WIDE_COLUMNS = ["category", "area", "services", "providers", "inside", "pairs", "shared_funder_pairs"]
IDENTICAL_COLUMNS = ["category", "group", "services", "providers", "areas", "population", "pairs",
                     "shared_funder_pairs"]
OVERLAPPING_SERVICE_COLUMNS = ["category", "service", "provider", "overlaps", "shared_funders", "wide_overlaps",
                               "places", "shared_places", "population", "shared_population", "area", "group"]


def overlap_summary(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str,
                    threshold: float = 0.5) -> dict[str, pd.DataFrame]:
    """The overlapping pairs summed up per category, for a person to read.

    A local authority's pairs run to six figures, almost all of them one
    of a few services that cover the whole area paired with every other
    service of its category. The summary says that once and names the
    services behind the pairs (SPEC §5 (b) stays the definition of a
    pair; see :func:`overlaps`):

    - an *area-wide* service serves exactly every leaf of a place above the
      leaves (the smallest such place within the analysed place, e.g. the
      whole local authority);
    - services with *identical areas* serve exactly the same leaves (and
      are not area-wide): every pair of them from different providers
      overlaps fully;
    - every service in a pair, with how many services it overlaps.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    place : str, optional
    as_of : datetime.date or ISO string
    threshold : float, default 0.5

    Returns
    -------
    dict of pandas.DataFrame
        ``overlap_summary``, one row per category with pairs: ``pairs``,
        ``services`` and ``providers`` (distinct, in any pair),
        ``shared_funder_pairs`` (pairs with a funder in common),
        ``area_wide_services``, ``area_wide_pairs`` (pairs with an
        area-wide service in them), ``identical_groups``,
        ``identical_pairs`` (pairs inside a group), ``other_pairs`` (the
        rest); sorted by pairs (most first), then category.

        ``area_wide_services``, one row per (category, area) with an
        area-wide service in a pair: ``area`` (place code),
        ``services`` (sorted ids), ``providers`` (how many),
        ``inside`` (how many other active services of the category serve
        only leaves of the area), ``pairs``, ``shared_funder_pairs``;
        sorted by category, then pairs (most first), then area.

        ``identical_areas``, one row per group of two or more services of
        one category from two or more providers serving exactly the same
        leaves: ``group`` (1, 2, … within the category, most pairs first),
        ``services`` (sorted ids), ``providers`` (how many), ``areas``
        (the leaves, sorted codes), ``population`` (of those leaves; null
        when any lacks one), ``pairs``, ``shared_funder_pairs``; sorted by
        category, then group.

        ``overlapping_services``, one row per (category, service) in a
        pair: ``provider``, ``overlaps`` (services it overlaps),
        ``shared_funders`` (how many of them share a funder with it),
        ``wide_overlaps`` (how many of them are area-wide), ``places`` and
        ``shared_places`` (its leaves, and those also served by a service
        it overlaps), ``population`` and ``shared_population`` (the same
        in people; null when a leaf lacks a population), ``area`` (the
        place it covers when area-wide, else null), ``group`` (its
        identical-areas group, else null); sorted by category, overlaps
        (most first), service.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> s = overlap_summary(riverside(), place="LA1", as_of="2025-01-01")
    >>> s["area_wide_services"][["category", "area", "services", "providers", "inside", "pairs"]]
      category area services  providers  inside  pairs
    0       MH  LA1     [S3]          1       1      1
    >>> s["overlapping_services"][["category", "service", "overlaps", "shared_funders", "area"]]
      category service  overlaps  shared_funders  area
    0     FOOD      S1         1               0  None
    1     FOOD      S2         1               0  None
    2       MH      S3         1               1   LA1
    3       MH      S4         1               1  None
    """
    ctx = prepare_graph(G, place=place, as_of=as_of)
    return overlap_summary_from(ctx, overlaps_from(ctx, threshold=threshold))


def _empty_summary() -> dict[str, pd.DataFrame]:
    return {"overlap_summary": pd.DataFrame(columns=OVERLAP_SUMMARY_COLUMNS),
            "area_wide_services": pd.DataFrame(columns=AREA_WIDE_COLUMNS),
            "identical_areas": pd.DataFrame(columns=IDENTICAL_COLUMNS),
            "overlapping_services": pd.DataFrame(columns=OVERLAPPING_SERVICE_COLUMNS)}


def _nullable(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    for col in cols:
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


def overlap_summary_from(ctx: Context, ovl: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """:func:`overlap_summary` from a prepared context and its :func:`overlaps_from` pairs.

    Works on integer codes throughout: a local authority's 200,000 pairs
    cost a few tenths of a second.
    """
    if not len(ovl):
        return _empty_summary()
    c = ctx.contrib[["service", "provider", "category", "place"]]
    # units (category, service) as integer codes, sorted by category then service
    c_s, svc_ids = pd.factorize(c["service"].astype(str).to_numpy(object), sort=True)
    c_k, cat_ids = pd.factorize(c["category"].astype(str).to_numpy(object), sort=True)
    n_s = max(len(svc_ids), 1)
    u_code, u_ids = pd.factorize(c_k.astype(np.int64) * n_s + c_s, sort=True)
    n_u = len(u_ids)
    l_code, l_ids = pd.factorize(c["place"].astype(str).to_numpy(object), sort=True)
    n_l = len(l_ids)
    u_k = u_ids // n_s
    u_cat = np.asarray(cat_ids, dtype=object)[u_k]
    u_svc = np.asarray(svc_ids, dtype=object)[u_ids % n_s]
    u_prov = np.empty(n_u, dtype=object)
    u_prov[u_code] = c["provider"].to_numpy(object)
    rows = unique_ints(u_code.astype(np.int64) * n_l + l_code)  # (unit, leaf), sorted by unit
    r_u, r_l = rows // n_l, rows % n_l
    n_leaves = np.bincount(r_u, minlength=n_u)
    u_start = np.concatenate(([0], np.cumsum(n_leaves)[:-1]))  # each unit's first row
    leaf_pop = pd.Series(ctx.hier.population, dtype=float).reindex(l_ids).to_numpy()
    pop_known = ~np.isnan(leaf_pop)
    pop0 = np.where(pop_known, leaf_pop, 0.0)
    u_pop = np.bincount(r_u, weights=pop0[r_l], minlength=n_u)
    u_pop_known = np.bincount(r_u, weights=~pop_known[r_l], minlength=n_u) == 0
    leafkeys = _leaf_keys(r_u, r_l)  # a unit's leaves, as one key

    def leaves(u: int) -> np.ndarray:
        return r_l[u_start[u]:u_start[u] + n_leaves[u]]

    # area-wide: a unit's leaves are exactly the in-scope leaves of a place above the leaves
    l_index = pd.Index(l_ids)
    by_leaves: dict[bytes, tuple[int, str]] = {}
    for code, ls in ctx.hier.leaves_of.items():
        if ls == frozenset((code,)):
            continue
        at = l_index.get_indexer(list(ls))
        at = np.sort(at[at >= 0])
        if len(at) < 2:
            continue
        mine = at.astype(np.int32).tobytes()
        key = (len(ctx.hier.descendants.get(code, ())), str(code))
        if mine not in by_leaves or key < by_leaves[mine]:
            by_leaves[mine] = key
    u_area = np.array([by_leaves[ls][1] if ls in by_leaves else None for ls in leafkeys], dtype=object)
    wide = np.array([a is not None for a in u_area], dtype=bool)

    # identical areas among the rest: same category and leaves, two or more providers
    sig: dict[tuple, list[int]] = {}
    k_list, p_list = u_k.tolist(), u_prov.tolist()
    for u in np.flatnonzero(~wide).tolist():
        sig.setdefault((k_list[u], leafkeys[u]), []).append(u)
    groups = [us for us in sig.values() if len(us) >= 2 and len({p_list[u] for u in us}) >= 2]
    u_group = np.full(n_u, -1, dtype=np.int64)
    for g, us in enumerate(groups):
        u_group[us] = g

    # the pairs as unit codes
    svc_index = pd.Index(svc_ids)
    pair_k = pd.Index(cat_ids).get_indexer(ovl["category"].astype(str).to_numpy(object)).astype(np.int64) * n_s
    ua = np.searchsorted(u_ids, pair_k + svc_index.get_indexer(ovl["service_a"].astype(str).to_numpy(object)))
    ub = np.searchsorted(u_ids, pair_k + svc_index.get_indexer(ovl["service_b"].astype(str).to_numpy(object)))
    shared = ~ovl["different_funders"].astype(bool).to_numpy()
    same_group = (u_group[ua] >= 0) & (u_group[ua] == u_group[ub])
    any_wide = wide[ua] | wide[ub]
    n_g = len(groups)
    g_pairs = np.bincount(u_group[ua][same_group], minlength=n_g)
    g_shared = np.bincount(u_group[ua][same_group & shared], minlength=n_g)

    ident = pd.DataFrame({
        "category": [u_cat[us[0]] for us in groups],
        "services": [sorted(u_svc[us].tolist()) for us in groups],
        "providers": [len(set(u_prov[us].tolist())) for us in groups],
        "areas": [sorted(l_ids[leaves(us[0])].tolist()) for us in groups],
        "population": [float(u_pop[us[0]]) if u_pop_known[us[0]] else None for us in groups],
        "pairs": g_pairs.astype(int), "shared_funder_pairs": g_shared.astype(int), "_g": np.arange(n_g),
    })
    ident = ident[ident["pairs"] > 0]
    group_no = np.full(max(n_g, 1), -1, dtype=np.int64)
    if len(ident):
        ident = ident.assign(_first=ident["services"].map(lambda x: x[0]))
        ident = ident.sort_values(["category", "pairs", "_first"], ascending=[True, False, True], kind="stable")
        ident["group"] = (ident.groupby("category").cumcount() + 1).astype(int)
        group_no[ident["_g"].to_numpy()] = ident["group"].to_numpy()
        ident = _nullable(ident[IDENTICAL_COLUMNS].copy(), "population")
    else:
        ident = pd.DataFrame(columns=IDENTICAL_COLUMNS)

    # area-wide rows, one per (category, area)
    in_pair = np.zeros(n_u, dtype=bool)
    in_pair[ua] = True
    in_pair[ub] = True
    wk = pd.Series(np.where(wide, u_cat.astype(str) + "\x1f" + u_area.astype(str), None))
    w_code, w_keys = pd.factorize(wk)  # -1 for units that are not area-wide
    n_w = len(w_keys)
    hit_a, hit_b = w_code[ua], w_code[ub]
    only_b = (hit_b >= 0) & (hit_b != hit_a)
    w_pairs = np.bincount(hit_a[hit_a >= 0], minlength=n_w) + np.bincount(hit_b[only_b], minlength=n_w)
    w_shared = (np.bincount(hit_a[(hit_a >= 0) & shared], minlength=n_w)
                + np.bincount(hit_b[only_b & shared], minlength=n_w))
    k_first = np.searchsorted(u_k, np.arange(len(cat_ids) + 1))  # units of category k: k_first[k]:k_first[k+1]
    wide_rows = []
    for w in range(n_w):
        us = np.flatnonzero(w_code == w)
        if not in_pair[us].any():
            continue
        k, area = u_cat[us[0]], u_area[us[0]]
        # the category's other units with every leaf inside the area
        in_area = np.zeros(n_l, dtype=bool)
        in_area[leaves(us[0])] = True
        lo, hi = k_first[u_k[us[0]]], k_first[u_k[us[0]] + 1]
        span = slice(u_start[lo], u_start[hi - 1] + n_leaves[hi - 1])
        outside = np.bincount(r_u[span] - lo, weights=~in_area[r_l[span]], minlength=hi - lo) > 0
        inside = int(np.count_nonzero(~outside & (w_code[lo:hi] != w)))
        wide_rows.append({"category": k, "area": area, "services": sorted(u_svc[us].tolist()),
                          "providers": len(set(u_prov[us].tolist())), "inside": int(inside),
                          "pairs": int(w_pairs[w]), "shared_funder_pairs": int(w_shared[w])})
    wide_df = pd.DataFrame(wide_rows, columns=AREA_WIDE_COLUMNS)
    if len(wide_df):
        wide_df = wide_df.sort_values(["category", "pairs", "area"], ascending=[True, False, True], kind="stable")

    # per service: partners, shared funders, area-wide partners, shared leaves
    x = np.concatenate([ua, ub])  # the service
    y = np.concatenate([ub, ua])  # the one it overlaps
    sh2 = np.concatenate([shared, shared])
    overlaps_n = np.bincount(x, minlength=n_u)
    shared_n = np.bincount(x[sh2], minlength=n_u)
    wide_n = np.bincount(x[wide[y]], minlength=n_u)
    # shared leaves: a leaf of x is shared when some y serves it. An area-wide y serves every leaf of its
    # area, so those pairs are taken per (x, area), the rest leaf by leaf
    starts = u_start
    own = rows  # x * n_l + leaf
    wy = wide[y]
    xa = unique_ints(x[wy].astype(np.int64) * max(n_w, 1) + w_code[y[wy]])
    xs, ws = xa // max(n_w, 1), xa % max(n_w, 1)
    rep_of_w = np.full(max(n_w, 1), -1, dtype=np.int64)
    rep_of_w[w_code[w_code >= 0]] = np.flatnonzero(w_code >= 0)
    # (x, leaf) for x's leaves, kept when the area-wide partner's unit serves that leaf too
    cnt = n_leaves[xs]
    at = np.repeat(np.arange(len(xs)), cnt)
    offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    cand_leaf = r_l[starts[xs][at] + offs]
    rep = rep_of_w[ws][at]
    ok = np.isin(rep * n_l + cand_leaf, own, assume_unique=False)
    got_wide = xs[at][ok].astype(np.int64) * n_l + cand_leaf[ok]
    # the other pairs leaf by leaf: y's leaves that x serves as well
    nx_, ny_ = x[~wy], y[~wy]
    cnt = n_leaves[ny_]
    at = np.repeat(np.arange(len(ny_)), cnt)
    offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    cand = nx_[at].astype(np.int64) * n_l + r_l[starts[ny_][at] + offs]
    got_local = cand[np.isin(cand, own)]
    got = unique_ints(np.concatenate([got_wide, got_local]))
    g_u, g_l = got // n_l, got % n_l
    shared_places = np.bincount(g_u, minlength=n_u)
    shared_pop = np.bincount(g_u, weights=pop0[g_l], minlength=n_u)

    svc = pd.DataFrame({"category": u_cat, "service": u_svc, "provider": u_prov, "overlaps": overlaps_n,
                        "shared_funders": shared_n, "wide_overlaps": wide_n, "places": n_leaves,
                        "shared_places": shared_places,
                        "population": np.where(u_pop_known, u_pop, np.nan),
                        "shared_population": np.where(u_pop_known, shared_pop, np.nan),
                        "area": u_area,
                        "group": np.where(u_group >= 0, group_no[np.maximum(u_group, 0)], -1)})
    svc = svc[in_pair].copy()
    svc["group"] = svc["group"].astype(object).where(svc["group"] > 0, None)
    svc = svc.sort_values(["category", "overlaps", "service"], ascending=[True, False, True], kind="stable")
    svc = _nullable(svc[OVERLAPPING_SERVICE_COLUMNS].copy(), "area", "population", "shared_population")
    for col in ("overlaps", "shared_funders", "wide_overlaps", "places", "shared_places"):
        svc[col] = svc[col].astype(int)

    # per category
    cats = ovl["category"].astype(str).to_numpy(object)
    k_code, k_ids = pd.factorize(cats, sort=True)
    n_k = len(k_ids)
    k_of_u = pd.Index(k_ids).get_indexer(u_cat.astype(str))
    units_in = np.flatnonzero(in_pair)
    k_prov = pd.DataFrame({"k": k_of_u[units_in], "p": u_prov[units_in]}).drop_duplicates()["k"].to_numpy()
    summ = pd.DataFrame({
        "category": k_ids, "pairs": np.bincount(k_code, minlength=n_k),
        "services": np.bincount(k_of_u[units_in], minlength=n_k),
        "providers": np.bincount(k_prov, minlength=n_k),
        "shared_funder_pairs": np.bincount(k_code[shared], minlength=n_k),
        "area_wide_services": np.bincount(k_of_u[units_in[wide[units_in]]], minlength=n_k),
        "area_wide_pairs": np.bincount(k_code[any_wide], minlength=n_k),
        "identical_groups": np.bincount(pd.Index(k_ids).get_indexer(ident["category"].astype(str)), minlength=n_k)
        if len(ident) else np.zeros(n_k, dtype=int),
        "identical_pairs": np.bincount(k_code[same_group], minlength=n_k),
        "other_pairs": np.bincount(k_code[~any_wide & ~same_group], minlength=n_k),
    })
    for col in OVERLAP_SUMMARY_COLUMNS[1:]:
        summ[col] = summ[col].astype(int)
    summ = summ.sort_values(["pairs", "category"], ascending=[False, True], kind="stable")
    return {"overlap_summary": summ.reset_index(drop=True), "area_wide_services": wide_df.reset_index(drop=True),
            "identical_areas": ident.reset_index(drop=True), "overlapping_services": svc.reset_index(drop=True)}


SUMMARY_TABLES = ("overlaps", "overlap_summary", "area_wide_services", "identical_areas", "overlapping_services")


def category_digest(tables: Mapping[str, pd.DataFrame], category: str, *, groups: int = 8,
                    services: int = 12) -> dict[str, Any]:
    """What a person is shown of one category's overlaps: one screen that names the services behind them.

    Every area-wide service is named (once, with how many services lie
    inside it); then the ``groups`` identical-area groups with the most
    pairs; then the ``services`` services that overlap most besides the
    area-wide ones (ranked by the services they overlap that are not
    area-wide, then by all they overlap).

    Parameters
    ----------
    tables : mapping
        ``overlaps`` and the :func:`overlap_summary` tables (an
        :class:`~ecosystem.analysis.Analysis` through :func:`summary_tables`,
        or DataFrames of its JSON records).
    category : str
    groups, services : int
        How many identical-area groups and overlapping services to show.

    Returns
    -------
    dict
        ``summary`` (the category's ``overlap_summary`` row as a dict),
        ``area_wide`` (its ``area_wide_services`` rows), ``groups`` (the
        groups shown), ``more_groups`` (groups not shown), ``services``
        (the ``overlapping_services`` rows shown), ``named`` (the set of
        service ids shown), ``pairs_named`` (pairs with a shown service in
        them) and ``named_share`` (``pairs_named`` / pairs).

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> from ecosystem.analysis import analyse
    >>> d = category_digest(summary_tables(analyse(riverside(), place="LA1", as_of="2025-01-01")), "MH")
    >>> sorted(d["named"]), d["pairs_named"], d["named_share"]
    (['S3'], 1, 1.0)
    """
    def rows(name: str) -> pd.DataFrame:
        df = tables[name]
        return df[df["category"] == category] if len(df) else df

    summ = rows("overlap_summary")
    summary = summ.iloc[0].to_dict() if len(summ) else {c: 0 for c in OVERLAP_SUMMARY_COLUMNS} | {"category": category}
    wide = rows("area_wide_services")
    ident = rows("identical_areas")
    shown_groups = ident.sort_values(["pairs", "group"], ascending=[False, True], kind="stable").head(groups)
    named: set = set()
    for lst in list(wide["services"]) + list(shown_groups["services"]):
        named.update(lst)
    ov = rows("overlaps")
    # then, greedily, the service behind the most pairs not yet accounted for
    svc_all = rows("overlapping_services")
    left_a = ov["service_a"].to_numpy(object) if len(ov) else np.array([], dtype=object)
    left_b = ov["service_b"].to_numpy(object) if len(ov) else np.array([], dtype=object)
    keep = ~(pd.Series(left_a).isin(named).to_numpy() | pd.Series(left_b).isin(named).to_numpy())
    left_a, left_b = left_a[keep], left_b[keep]
    total = dict(zip(svc_all["service"], svc_all["overlaps"])) if len(svc_all) else {}
    picked: list = []
    while len(picked) < services and len(left_a):
        counts = pd.Series(np.concatenate([left_a, left_b])).value_counts()  # largest first
        most = counts.iloc[0]
        best = max(counts.index[counts.to_numpy() == most], key=lambda x: (total.get(x, 0), _neg(x)))
        picked.append(best)
        keep = (left_a != best) & (left_b != best)
        left_a, left_b = left_a[keep], left_b[keep]
    named.update(picked)
    svc = svc_all.set_index("service").loc[picked].reset_index()[svc_all.columns] if picked else svc_all.iloc[:0]
    hit = int((ov["service_a"].isin(named) | ov["service_b"].isin(named)).sum()) if len(ov) else 0
    pairs = int(summary.get("pairs") or 0)
    return {"summary": summary, "area_wide": wide.to_dict("records"), "groups": shown_groups.to_dict("records"),
            "more_groups": max(0, len(ident) - len(shown_groups)), "services": svc.to_dict("records"),
            "named": named, "pairs_named": hit, "named_share": hit / pairs if pairs else 1.0}


class _neg(str):
    """Sorts in reverse: the largest ``_neg`` is the smallest string (for max() with smallest-id ties)."""

    def __lt__(self, other):  # noqa: D105
        return str.__gt__(self, other)

    def __gt__(self, other):  # noqa: D105
        return str.__lt__(self, other)


def split_by_category(tables: Mapping[str, pd.DataFrame], categories: Iterable[str]) -> dict[str, dict[str, pd.DataFrame]]:
    """``tables`` cut into each of ``categories``' rows, in one pass over each table.

    ``split[c][name]`` holds the same rows, in the same order, as
    ``tables[name][tables[name]["category"] == c]``: :func:`category_digest`
    of many categories reads these instead of filtering the whole of every
    table once per category.
    """
    cats = list(categories)
    out: dict[str, dict[str, pd.DataFrame]] = {c: {} for c in cats}
    for name, df in tables.items():
        at = df.groupby("category", sort=False).indices if len(df) else {}
        for c in cats:
            out[c][name] = df.iloc[at[c]] if c in at else df.iloc[:0]
    return out


def summary_tables(analysis: Any) -> dict[str, pd.DataFrame]:
    """The tables :func:`category_digest` reads, from an Analysis (or a mapping of JSON records)."""
    if isinstance(analysis, Mapping):
        cols = {"overlaps": OVERLAP_COLUMNS, "overlap_summary": OVERLAP_SUMMARY_COLUMNS,
                "area_wide_services": AREA_WIDE_COLUMNS, "identical_areas": IDENTICAL_COLUMNS,
                "overlapping_services": OVERLAPPING_SERVICE_COLUMNS}
        from ecosystem.analysis._json import TableRecords

        return {k: v.frame.reindex(columns=cols[k]) if isinstance(v := analysis.get(k), TableRecords)
                else pd.DataFrame(v or [], columns=cols[k]) for k in SUMMARY_TABLES}
    return {k: getattr(analysis, k) for k in SUMMARY_TABLES}
