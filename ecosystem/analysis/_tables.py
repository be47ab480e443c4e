"""Edge tables pulled out of the graph once, and the per-run context.

The analysis reads the :class:`networkx.MultiDiGraph` described in
:data:`ecosystem.model.GRAPH_SCHEMA`, but every metric is a group-by over a
few flat tables (services and the leaves they serve, needs per leaf,
funding flows, partnerships). :func:`extract` walks the graph's nodes and
edges exactly once to build those tables; :func:`prepare` resolves the
chosen place, the ``as_of`` date and apportioning into a :class:`Context`
that every module shares, so :func:`ecosystem.analysis.analyse` pays for
the walk once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import logging
from typing import Any, Iterable

import networkx as nx
import numpy as np
import pandas as pd

from ecosystem import model as m

log = logging.getLogger(__name__)

#: rounding applied to people figures so float noise never flips a status
DECIMALS = 9


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------
def as_date(value: Any, name: str = "as_of") -> dt.date:
    """A ``datetime.date`` from a date, datetime, Timestamp or ISO string."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date in YYYY-MM-DD form, got {value!r}")


def to_timestamps(values: Iterable[Any]) -> pd.Series:
    """Dates (date objects or ISO text) as ``datetime64[s]``; missing or unreadable become NaT = open.

    The result has a new RangeIndex (``values`` may be any iterable); a
    Series or Index is read as one array, not an item at a time.
    """
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy(dtype=object)
    else:
        values = list(values)
    s = pd.Series(values, dtype=object)
    return pd.to_datetime(s, errors="coerce").astype("datetime64[s]")


def unique_ints(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` for a 1-D integer array, by one sort.

    numpy 2's ``np.unique`` hashes, then sorts what it found: on the
    analysis's arrays of (unit, leaf) codes that is 10-20 times slower.
    """
    s = np.sort(np.asarray(a).ravel())
    keep = np.empty(len(s), dtype=bool)
    keep[:1] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def active_mask(start: pd.Series, end: pd.Series, as_of: dt.date) -> pd.Series:
    """SPEC §5 ``start <= as_of <= end`` with a missing bound open (vectorised)."""
    ts = pd.Timestamp(as_of)
    return (start.isna() | (start <= ts)) & (end.isna() | (end >= ts))


# --------------------------------------------------------------------------
# Frames: the graph as flat tables
# --------------------------------------------------------------------------
@dataclasses.dataclass
class Frames:
    """The graph as flat tables (raw ids, never node tuples).

    ``places``: code, population. ``part_of``: child, parent.
    ``services``: service, provider, category, capacity, start, end
    (datetime64; one row per service and category).
    ``service_areas``: service, area (place codes as given).
    ``needs``: need, place, category, people.
    ``funding``: funding, funder, recipient, amount, start, end, service,
    beneficiary_places (tuple of place codes, empty when none), end_assumed (bool),
    currency (ISO 4217 text, ``GBP`` when the flow names none), units (the
    amount as exact int64 ten-thousandths, 0 when missing: add money with
    these, grouped by currency, never the float ``amount``).
    ``partnerships``: a, b, kind, start, end.
    ``based_in``: organisation, place. ``organisations``: sorted ids.
    ``unplaced``: organisation, postcode — the store's organisations with no
    place at all (see :func:`unplaced_organisations`), when the tables come
    from a pull of one place (which does not see every organisation);
    ``None`` when the tables hold the whole graph, so it is worked out from them.
    ``sectors``: organisation, sector — one row per organisation of
    ``organisations``, the sector one of :data:`SECTOR_VALUES` (``unknown``
    when none is given or it is not one of the four).
    ``procurements``: procurement, buyer, title, category (category code,
    ``unclassified`` when none), start, end (datetime64), value (float, NaN
    when none), currency, places (tuple of place codes, empty when none),
    stage, route — the Procurement nodes (see :func:`procurement_frame`).
    """

    places: pd.DataFrame
    part_of: pd.DataFrame
    services: pd.DataFrame
    service_areas: pd.DataFrame
    needs: pd.DataFrame
    funding: pd.DataFrame
    partnerships: pd.DataFrame
    based_in: pd.DataFrame
    organisations: list[str]
    unplaced: pd.DataFrame | None = None
    sectors: pd.DataFrame = dataclasses.field(default_factory=lambda: sectors_frame((), ()))
    procurements: pd.DataFrame = dataclasses.field(default_factory=lambda: procurement_frame(()))

    def copy(self) -> "Frames":
        def dup(v: Any) -> Any:
            if isinstance(v, pd.DataFrame):
                return v.copy()
            return None if v is None else list(v)

        return Frames(**{f.name: dup(getattr(self, f.name)) for f in dataclasses.fields(self)})


UNPLACED_COLUMNS = ["organisation", "postcode"]

#: the sectors of the diversity analysis, in display order (``unknown``: none given)
SECTOR_VALUES = (*m.SECTORS, "unknown")
SECTOR_COLUMNS = ["organisation", "sector"]
PROCUREMENT_COLUMNS = ["procurement", "buyer", "title", "category", "start", "end", "value", "currency", "places",
                       "stage", "route"]
#: the category of a procurement whose CPV code the category map does not map (as the loaders write it)
UNCLASSIFIED = "unclassified"


def _sector(v: Any) -> str:
    if isinstance(v, str):
        v = v.strip().lower()
        if v in m.SECTORS:
            return v
    return "unknown"


def sectors_frame(given: Iterable[tuple[Any, Any]], organisations: Iterable[str]) -> pd.DataFrame:
    """The ``sectors`` frame: one row per id of ``organisations`` (sorted), its sector from ``given``.

    ``given``: (organisation id, sector) pairs; a missing sector, or one that
    is not vcse, private, public or other, is ``unknown``.
    """
    known = {o: s for o, s in given}
    ids = sorted(organisations, key=str)
    return pd.DataFrame({"organisation": pd.Series(ids, dtype=object),
                         "sector": pd.Series([_sector(known.get(o)) for o in ids], dtype=object)},
                        columns=SECTOR_COLUMNS)


def procurement_frame(rows: Iterable[Iterable[Any]]) -> pd.DataFrame:
    """The ``procurements`` frame from rows in :data:`PROCUREMENT_COLUMNS` order.

    Dates become ``datetime64`` (missing or unreadable: NaT), ``value`` a
    float (NaN when none), ``currency`` the ISO 4217 code (GBP when none),
    ``category`` the code (``unclassified`` when none), ``places`` a tuple of
    codes (empty when none); sorted by procurement id.
    """
    df = pd.DataFrame([tuple(r) for r in rows], columns=PROCUREMENT_COLUMNS)
    df["procurement"] = df["procurement"].astype(str)
    df["start"] = to_timestamps(df["start"])
    df["end"] = to_timestamps(df["end"])
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    cur = df["currency"]
    df["currency"] = cur.where(cur.notna() & (cur != ""), m.DEFAULT_CURRENCY).astype(object)
    cat = df["category"]
    df["category"] = cat.where(cat.notna() & (cat != ""), UNCLASSIFIED).astype(object)
    df["places"] = pd.Series([tuple(dict.fromkeys(v)) if isinstance(v, (list, tuple)) else ()
                              for v in df["places"]], index=df.index, dtype=object)
    for c in ("buyer", "title", "stage", "route"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df.sort_values("procurement", kind="stable").reset_index(drop=True)


def unplaced_organisations(frames: Frames, postcodes: dict[str, Any] | None = None) -> pd.DataFrame:
    """The organisations with no place at all (SPEC §5 *unplaced*): organisation, postcode; sorted.

    An organisation has a place when it is based in one, one of its services
    (active or not) serves one, or a flow it receives names a loaded place
    among its beneficiary places. Funders that receive nothing are not
    counted: a funder is not placed by the places it funds. With
    ``frames.unplaced`` given (a place's pull), those organisations less any
    that the tables now place (a scenario's added service, say).
    ``postcodes``: organisation id -> postcode, when ``frames.unplaced`` is
    not given.
    """
    known = set(frames.places["code"])
    placed = set(frames.based_in["organisation"])
    areas = frames.service_areas
    served = set(areas.loc[areas["area"].isin(known), "service"])
    svc = frames.services
    placed |= set(svc.loc[svc["service"].isin(served), "provider"].dropna())
    placed |= beneficiaries_in(frames.funding, known)
    if frames.unplaced is not None:
        orgs = set(frames.organisations)
        keep = np.array([o in orgs and o not in placed for o in frames.unplaced["organisation"]], dtype=bool)
        out = frames.unplaced.loc[keep]
        return out[UNPLACED_COLUMNS].sort_values("organisation", kind="stable").reset_index(drop=True)
    givers = set(frames.funding["funder"]) - set(frames.funding["recipient"])
    ids = sorted((set(frames.organisations) - givers - placed) - {None}, key=str)
    postcodes = postcodes or {}
    return unplaced_frame((i, postcodes.get(i)) for i in ids)


def unplaced_frame(rows: Iterable[Iterable[Any]]) -> pd.DataFrame:
    """(organisation, postcode) rows as the ``unplaced`` frame; a missing postcode is ``None``."""
    rows = [tuple(r) for r in rows]
    return pd.DataFrame({"organisation": pd.Series([r[0] for r in rows], dtype=object),
                         "postcode": pd.Series([r[1] if isinstance(r[1], str) and r[1] else None for r in rows],
                                               dtype=object)}, columns=UNPLACED_COLUMNS)


def beneficiaries_in(funding: pd.DataFrame, codes: Iterable[str]) -> set:
    """Recipients of flows (active or not) whose beneficiary places include one of ``codes``."""
    places = funding["beneficiary_places"]
    has = np.fromiter((len(v) > 0 for v in places), dtype=bool, count=len(places))
    if not has.any():
        return set()
    codes = set(codes)
    return {r for r, v in zip(funding.loc[has, "recipient"], places[has]) if not codes.isdisjoint(v)}


def _label(n: Any, d: dict) -> str | None:
    if isinstance(n, tuple) and len(n) == 2:
        return n[0]
    return d.get("label")


def _key(n: Any) -> Any:
    return n[1] if isinstance(n, tuple) and len(n) == 2 else n


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def _obj(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """Id columns as object dtype, so empty tables still merge with full ones."""
    for c in cols:
        df[c] = df[c].astype(object)
    return df


FUNDING_COLUMNS = ["funding", "funder", "recipient", "amount", "start", "end", "service", "beneficiary_places",
                   "end_assumed", "currency"]


def funding_frame(rows: Iterable[Iterable[Any]]) -> pd.DataFrame:
    """The ``funding`` frame from rows in :data:`FUNDING_COLUMNS` order.

    Dates (date objects or ISO text) become ``datetime64`` (missing = open),
    ``beneficiary_places`` a tuple of codes (empty when none), ``end_assumed``
    a bool (missing = false), ``currency`` the ISO 4217 code (missing = GBP),
    and ``units`` is added: the amount as exact int64 ten-thousandths (0 when
    missing); sorted by funding id.
    """
    rows = sorted(rows, key=lambda r: str(r[0]))  # by funding id, stably: quicker than sorting the frame's text
    fund = pd.DataFrame(rows, columns=FUNDING_COLUMNS)
    fund["amount"] = pd.to_numeric(fund["amount"], errors="coerce").astype(float)
    fund["start"] = to_timestamps(fund["start"])
    fund["end"] = to_timestamps(fund["end"])
    fund["funding"] = fund["funding"].astype(str)
    fund["beneficiary_places"] = pd.Series([tuple(v) if isinstance(v, (list, tuple)) else ()
                                            for v in fund["beneficiary_places"]], index=fund.index, dtype=object)
    fund["end_assumed"] = np.array([v is True for v in fund["end_assumed"]], dtype=bool)
    cur = fund["currency"]
    fund["currency"] = cur.where(cur.notna() & (cur != ""), m.DEFAULT_CURRENCY).astype(object)
    fund["units"] = m.money_units(fund["amount"].to_numpy())
    return _obj(fund, "funding", "funder", "recipient", "service", "currency")


def procurement_row(key: Any, props: dict[str, Any]) -> tuple:
    """A Procurement node's id and properties as a :func:`procurement_frame` row."""
    return (key, props.get("buyer"), props.get("title"), props.get("category"), props.get("start"),
            props.get("end"), props.get("value"), props.get("currency"), props.get("places"), props.get("stage"),
            props.get("route"))


def extract(G: nx.MultiDiGraph) -> Frames:
    """Walk ``G`` once and return its :class:`Frames`."""
    place_rows: dict[str, float] = {}
    svc_nodes: dict[str, tuple] = {}
    need_people: dict[str, float] = {}
    orgs: set[str] = set()
    sector_given: dict[str, Any] = {}
    procs: list[tuple] = []
    for n, d in G.nodes(data=True):
        label = _label(n, d)
        if label == m.PLACE:
            place_rows[_key(n)] = _num(d.get("population"))
        elif label == m.SERVICE:
            svc_nodes[_key(n)] = (_num(d.get("capacity")), d.get("start"), d.get("end"))
        elif label == m.NEED:
            need_people[_key(n)] = _num(d.get("people"))
        elif label == m.ORGANISATION:
            orgs.add(_key(n))
            if d.get("sector") is not None:
                sector_given[_key(n)] = d["sector"]
        elif label == m.PROCUREMENT:
            procs.append(procurement_row(_key(n), d))

    part_of, serves, delivers, in_cat, need_in, need_for, based_in = [], [], [], [], [], [], []
    funding, partners = [], []
    for u, v, k, d in G.edges(keys=True, data=True):
        t = d.get("type", k)
        if t == m.SERVES:
            serves.append((_key(u), _key(v)))
        elif t == m.FUNDS:
            funding.append((d.get("id", k), _key(u), _key(v), _num(d.get("amount")), d.get("start"),
                            d.get("end"), d.get("service"), d.get(m.BENEFICIARY_PLACES), d.get("end_assumed"),
                            d.get("currency")))
        elif t == m.PART_OF:
            part_of.append((_key(u), _key(v)))
        elif t == m.DELIVERS:
            delivers.append((_key(v), _key(u)))
        elif t == m.IN_CATEGORY:
            in_cat.append((_key(u), _key(v)))
        elif t == m.IN:
            need_in.append((_key(u), _key(v)))
        elif t == m.FOR:
            need_for.append((_key(u), _key(v)))
        elif t == m.PARTNERS_WITH:
            partners.append((_key(u), _key(v), d.get("kind"), d.get("start"), d.get("end")))
        elif t == m.BASED_IN:
            based_in.append((_key(u), _key(v)))

    # places referenced only by edges (unknown codes) still count as places
    for child, parent in part_of:
        place_rows.setdefault(child, float("nan"))
        place_rows.setdefault(parent, float("nan"))
    for _, p in serves + need_in:
        place_rows.setdefault(p, float("nan"))
    places = pd.DataFrame({"code": list(place_rows), "population": list(place_rows.values())},
                          columns=["code", "population"])
    places["population"] = places["population"].astype(float)

    provider: dict[str, str] = {}
    for s, o in sorted(delivers):
        if s in provider and provider[s] != o:
            log.warning("service %s has more than one provider; using %s", s, provider[s])
            continue
        provider.setdefault(s, o)
    svc_ids = list(svc_nodes)
    cats = pd.DataFrame(in_cat, columns=["service", "category"]).drop_duplicates()
    base = pd.DataFrame({
        "service": svc_ids,
        "provider": [provider.get(s) for s in svc_ids],
        "capacity": np.array([svc_nodes[s][0] for s in svc_ids], dtype=float),
        "start": to_timestamps(svc_nodes[s][1] for s in svc_ids),
        "end": to_timestamps(svc_nodes[s][2] for s in svc_ids),
    })
    services = _obj(base, "service", "provider").merge(_obj(cats, "service", "category"), on="service", how="inner")
    services = services[["service", "provider", "category", "capacity", "start", "end"]]
    services = services.sort_values(["service", "category"], kind="stable").reset_index(drop=True)

    need_place = dict(need_in)
    need_cat = dict(need_for)
    need_ids = [n for n in need_people if n in need_place and n in need_cat]
    needs = pd.DataFrame({
        "need": need_ids,
        "place": [need_place[n] for n in need_ids],
        "category": [need_cat[n] for n in need_ids],
        "people": np.array([need_people[n] for n in need_ids], dtype=float),
    }, columns=["need", "place", "category", "people"])

    fund = funding_frame(funding)

    pcols = ["a", "b", "kind", "start", "end"]
    part = pd.DataFrame(partners, columns=pcols)
    part["start"] = to_timestamps(part["start"])
    part["end"] = to_timestamps(part["end"])

    orgs |= set(provider.values()) | set(fund["funder"]) | set(fund["recipient"]) | set(part["a"]) | set(part["b"])
    orgs.discard(None)
    given = G.graph.get("unplaced")  # a place's pull says which organisations of the store have no place
    frames = Frames(
        places=_obj(places, "code"),
        part_of=_obj(pd.DataFrame(part_of, columns=["child", "parent"]).drop_duplicates(), "child", "parent"),
        services=_obj(services, "service", "provider", "category"),
        service_areas=_obj(pd.DataFrame(serves, columns=["service", "area"]).drop_duplicates(), "service", "area"),
        needs=_obj(needs, "need", "place", "category"),
        funding=_obj(fund, "funding", "funder", "recipient", "service", "currency"),
        partnerships=_obj(part, "a", "b", "kind"),
        based_in=_obj(pd.DataFrame(based_in, columns=["organisation", "place"]), "organisation", "place"),
        organisations=sorted(orgs, key=str),
        unplaced=None if given is None else unplaced_frame(given),
        sectors=sectors_frame(sector_given.items(), orgs),
        procurements=procurement_frame(procs),
    )
    if frames.unplaced is None:
        postcodes = {_key(n): d.get("postcode") for n, d in G.nodes(data=True)
                     if _label(n, d) == m.ORGANISATION and d.get("postcode")}
        frames.unplaced = unplaced_organisations(frames, postcodes)
    return frames


# --------------------------------------------------------------------------
# Place hierarchy
# --------------------------------------------------------------------------
@dataclasses.dataclass
class Hierarchy:
    """``leaves_of[code]``: the leaves beneath a place (itself when a leaf)."""

    leaves_of: dict[str, frozenset]
    descendants: dict[str, frozenset]
    roots: list[str]
    population: dict[str, float]
    parents: dict[str, frozenset] = dataclasses.field(default_factory=dict)

    def ancestors(self, code: str) -> frozenset:
        """The places containing ``code`` (its parents, their parents, …), not ``code`` itself."""
        seen: set = set()
        todo = list(self.parents.get(code, ()))
        while todo:
            c = todo.pop()
            if c in seen or c == code:
                continue
            seen.add(c)
            todo.extend(self.parents.get(c, ()))
        return frozenset(seen)

    def leaf_table(self, codes: Iterable[str] | None = None) -> pd.DataFrame:
        """(area, leaf) pairs for ``codes`` (default: every place)."""
        codes = self.leaves_of.keys() if codes is None else codes
        rows = [(c, leaf) for c in codes for leaf in self.leaves_of.get(c, (c,))]
        return _obj(pd.DataFrame(rows, columns=["area", "leaf"]), "area", "leaf")


def hierarchy(frames: Frames) -> Hierarchy:
    children: dict[str, set] = {}
    parents: dict[str, set] = {}
    for c, p in zip(frames.part_of["child"], frames.part_of["parent"]):
        if c == p:
            continue
        children.setdefault(p, set()).add(c)
        parents.setdefault(c, set()).add(p)
    codes = list(frames.places["code"])
    desc: dict[str, frozenset] = {}
    leaves: dict[str, frozenset] = {}

    def visit(code: str) -> None:
        # iterative post-order so deep hierarchies never hit the recursion limit
        stack = [(code, False)]
        on_path: set = set()
        while stack:
            c, done = stack.pop()
            if c in desc:
                continue
            if done:
                on_path.discard(c)
                kids = [k for k in children.get(c, ()) if k in desc]
                if not children.get(c):
                    leaves[c] = frozenset((c,))
                    desc[c] = frozenset()
                else:
                    ls: set = set()
                    ds: set = set()
                    for k in kids:
                        ls |= leaves[k]
                        ds |= desc[k]
                        ds.add(k)
                    leaves[c] = frozenset(ls)
                    desc[c] = frozenset(ds)
                continue
            if c in on_path:
                log.warning("place %s is part of itself (PART_OF cycle); cycle ignored", c)
                continue
            on_path.add(c)
            stack.append((c, True))
            for k in children.get(c, ()):
                if k not in desc and k not in on_path:
                    stack.append((k, False))

    for c in codes:
        visit(c)
    roots = sorted(c for c in codes if not parents.get(c))
    pop = dict(zip(frames.places["code"], frames.places["population"]))
    return Hierarchy(leaves, desc, roots, pop, {c: frozenset(ps) for c, ps in parents.items()})


def apportion(pairs: pd.DataFrame, group: str, population: pd.Series) -> pd.Series:
    """Weights spreading each ``group`` over its ``leaf`` rows (SPEC §5).

    In proportion to leaf population, equally when any of the group's leaves
    lacks a population (or the populations sum to 0).
    """
    if pairs.empty:
        return pd.Series([], dtype=float, index=pairs.index)
    # integer group codes and bincount: a group-by on text ids sorts them, which dominated at scale
    codes, _ = pd.factorize(pairs[group])
    pop = pairs["leaf"].map(population).to_numpy(dtype=float)
    miss = np.isnan(pop)
    total = np.bincount(codes, weights=np.where(miss, 0.0, pop))[codes]
    count = np.bincount(codes)[codes]
    equal = (np.bincount(codes, weights=miss)[codes] > 0) | (total <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(equal, 1.0 / count, pop / np.where(total > 0, total, 1.0))
    return pd.Series(weight, index=pairs.index)


# --------------------------------------------------------------------------
# Context: one (graph, place, as_of)
# --------------------------------------------------------------------------
@dataclasses.dataclass
class Context:
    """Everything the metrics share for one place and date.

    ``contrib``: one row per active service, category and in-scope leaf it
    serves: service, provider, category, place, weight, supply (apportioned
    capacity, 0 when unknown), capacity_known.
    ``demand``: place, category, demand (apportioned people in need).
    ``services``: every service row with ``active``.
    ``funding``: every flow with ``active``.
    ``scope``: organisation ids that belong to the chosen place (``None`` =
    every organisation); see :func:`place_scope`.
    ``unplaced``: organisation, postcode of the organisations with no place
    at all (:func:`unplaced_organisations`).
    """

    frames: Frames
    hier: Hierarchy
    place: str | None
    as_of: dt.date
    leaves: list[str]
    services: pd.DataFrame
    contrib: pd.DataFrame
    demand: pd.DataFrame
    funding: pd.DataFrame
    scope: frozenset | None
    unplaced: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=UNPLACED_COLUMNS))

    def made_from(self, frames: "Frames", place: str | None, as_of: Any) -> bool:
        """Whether this is the context :func:`prepare` makes of ``frames`` for ``place`` on ``as_of``."""
        return self.frames is frames and self.place == place and self.as_of == as_date(as_of)

    def in_scope(self, ids: pd.Series) -> pd.Series:
        if self.scope is None:
            return pd.Series(True, index=ids.index)
        return ids.isin(self.scope)


@dataclasses.dataclass
class Base:
    """What a :class:`Context` needs that does not depend on ``as_of`` (see :func:`prepare_base`)."""

    frames: Frames
    hier: Hierarchy
    place: str | None
    leaves: list[str]
    sl: pd.DataFrame  # service, leaf (of the chosen place), weight
    demand: pd.DataFrame
    scope: frozenset | None
    unplaced: pd.DataFrame


def prepare_base(frames: Frames, *, place: str | None) -> Base:
    """The date-independent part of :func:`prepare`: the hierarchy, the chosen leaves, every service's
    apportioning weights, demand per leaf and the place scope. A series of dates computes it once."""
    hier = hierarchy(frames)
    if place is not None:
        if place not in hier.leaves_of:
            raise ValueError(f"unknown place {place!r}: no Place with that code in the graph")
        leaves = sorted(hier.leaves_of[place])
    else:
        leaves = sorted(c for c, ls in hier.leaves_of.items() if ls == frozenset((c,)))
    leaf_set = frozenset(leaves)
    population = pd.Series(hier.population, dtype=float)

    # every service's full leaf set (apportioning uses all of it), then the chosen leaves
    sa = frames.service_areas
    area_leaf = hier.leaf_table(sa["area"].unique())
    sl = sa.merge(area_leaf, on="area")[["service", "leaf"]].drop_duplicates()
    sl = sl.reset_index(drop=True)
    sl["weight"] = apportion(sl, "service", population)
    sl = sl[sl["leaf"].isin(leaf_set)]

    nd = frames.needs
    nl = nd[["need", "place", "category", "people"]].merge(
        hier.leaf_table(nd["place"].unique()).rename(columns={"area": "place"}), on="place")
    nl = nl.drop_duplicates(["need", "leaf"]).reset_index(drop=True)
    nl["weight"] = apportion(nl, "need", population)
    nl = nl[nl["leaf"].isin(leaf_set)]
    nl = nl.assign(demand=nl["people"].fillna(0.0) * nl["weight"])
    demand = nl.groupby(["leaf", "category"], as_index=False)["demand"].sum().rename(columns={"leaf": "place"})

    scope = None
    if place is not None:
        scope = place_scope(frames, hier, place, sl["service"])
    return Base(frames, hier, place, leaves, sl, demand, scope, unplaced_organisations(frames))


def prepare(frames: Frames, *, place: str | None, as_of: Any, base: Base | None = None) -> Context:
    """The :class:`Context` for one place and date; ``base`` (from :func:`prepare_base` for the same
    frames and place) saves recomputing what does not depend on the date."""
    as_of = as_date(as_of)
    if base is None:
        base = prepare_base(frames, place=place)
    elif base.frames is not frames or base.place != place:
        raise ValueError("prepare: base was made for other frames or another place")

    svc = _dated(frames.services, as_of)
    act = svc.loc[svc["active"], ["service", "provider", "category", "capacity"]]
    contrib = act.merge(base.sl, on="service")
    contrib = contrib.rename(columns={"leaf": "place"})
    contrib["supply"], contrib["capacity_known"] = _supply(contrib["capacity"], contrib["weight"])
    contrib = contrib[["service", "provider", "category", "place", "weight", "supply", "capacity_known"]]
    contrib = contrib.sort_values(["place", "category", "service"], kind="stable").reset_index(drop=True)
    return Context(frames, base.hier, place, as_of, base.leaves, svc, contrib, base.demand.copy(),
                   _dated(frames.funding, as_of), base.scope, base.unplaced)


def prepare_changed(base: Base, ctx: Context, frames: Frames, *, dropped: set[str],
                    capacities: Iterable[tuple[str, float | None]] = ()) -> Context:
    """What :func:`prepare` makes of ``frames`` for ``ctx``'s place and date, derived from ``ctx``.

    ``base`` and ``ctx`` were prepared from other frames, which ``frames``
    may differ from only in: the services ``dropped`` (with their areas),
    changed ``capacities`` of other services (``(service, capacity or
    None)``, in order: the last change of a service stands), and any flows
    and partnerships. Places and needs are the same, so the hierarchy,
    leaves and demand stay, and each kept service keeps its apportioning
    weights (they depend on its own areas alone): the dropped services'
    supply rows go, changed capacities are applied to the rest, and only
    the place scope and the unplaced organisations are worked out again.
    """
    c = ctx.contrib
    c = (c[~c["service"].isin(dropped)] if dropped else c).reset_index(drop=True)
    for sid, cap in capacities:
        rows = (c["service"] == sid).to_numpy()
        if sid not in dropped and rows.any():
            capacity = pd.Series(np.nan if cap is None else float(cap), index=c.index[rows])
            c.loc[rows, "supply"], c.loc[rows, "capacity_known"] = _supply(capacity, c.loc[rows, "weight"])
    scope = None
    if ctx.place is not None:
        served = base.sl["service"]
        scope = place_scope(frames, ctx.hier, ctx.place, served[~served.isin(dropped)] if dropped else served)
    return Context(frames, ctx.hier, ctx.place, ctx.as_of, ctx.leaves, _dated(frames.services, ctx.as_of), c,
                   ctx.demand.copy(), _dated(frames.funding, ctx.as_of), scope, unplaced_organisations(frames))


def _dated(df: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """A copy of ``df`` (services or funding) with ``active``: whether its row is active on ``as_of``."""
    out = df.copy()
    out["active"] = active_mask(out["start"], out["end"], as_of)
    return out


def _supply(capacity: pd.Series, weight: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A service's apportioned supply (its capacity times the weight; 0 when the capacity is unknown), and
    whether the capacity is known."""
    return capacity.fillna(0.0) * weight, capacity.notna()


def place_scope(frames: Frames, hier: Hierarchy, place: str, served: Iterable[str]) -> frozenset:
    """The organisations that belong to ``place`` (SPEC §5 *place scope*).

    An organisation belongs when one of its services (active or not) serves
    a leaf of the place (``served``: those services' ids); or it is based in
    the place or a place inside it; or it receives a flow (active or not)
    whose beneficiary places include the place, a place inside it or a place
    that contains it (a grant for all of England belongs to every place in
    England).
    """
    svc = frames.services
    local = set(svc.loc[svc["service"].isin(set(served)), "provider"].dropna())
    home = hier.descendants.get(place, frozenset()) | {place}
    local |= set(frames.based_in.loc[frames.based_in["place"].isin(home), "organisation"])
    local |= beneficiaries_in(frames.funding, home | hier.ancestors(place))
    return frozenset(local)


def prepare_graph(G: nx.MultiDiGraph, *, place: str | None, as_of: Any) -> Context:
    return prepare(extract(G), place=place, as_of=as_of)


def py(v: Any) -> Any:
    """A Python scalar for JSON: numpy → Python, NaN/NaT → None, dates → ISO."""
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [py(x) for x in v]
    if isinstance(v, (np.ndarray,)):
        return [py(x) for x in v.tolist()]
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, decimal.Decimal):  # money: the JSON number that reads as this decimal
        return float(v)
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return v  # keep floats as floats: JSON numbers either way
    return v


def _column(s: pd.Series) -> list:
    """One column as Python values, converted column-wise where the dtype allows."""
    kind = s.dtype.kind
    if kind in "iub":
        return s.tolist()
    if kind == "f":
        return [None if v != v else v for v in s.tolist()]
    if kind == "M":
        return [None if pd.isna(v) else v.date().isoformat() for v in s]
    values = s.tolist()
    if set(map(type, values)) <= _AS_IS:  # ids, codes and names: what py() would give back unchanged
        return values
    return [py(v) for v in values]


#: value types that :func:`py` returns unchanged
_AS_IS = frozenset({str, type(None), bool, int})


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready records (Python scalars, ISO dates, None)."""
    cols = list(df.columns)
    values = [_column(df[c]) for c in cols]
    return [dict(zip(cols, row)) for row in zip(*values)] if cols else []
