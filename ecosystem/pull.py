"""Back to networkx: pull the graph (or the part under a place) from the store.

Queries return a few records, each holding a chunk of rows as lists (the
driver decodes list values far faster than records). The result has the
shape of :data:`ecosystem.model.GRAPH_SCHEMA`, the same as
:func:`ecosystem.graph.graph_from_tables` gives for the same data.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Iterator

import neo4j
import networkx as nx

from ecosystem import model as m
from ecosystem.graph import _SKIP, _set_roles, add_edge, partnership_key
from ecosystem.store import GraphStore, _to_python
from queries import query

log = logging.getLogger(__name__)

CHUNK = 20000
_PLACE_FIELDS = ("code", "name", "level", "population", "imd_decile", "lat", "lon")


def _chunks(store: GraphStore, name: str, params: dict[str, Any]) -> Iterator[list]:
    q = query(name)
    with store.session(default_access_mode=neo4j.READ_ACCESS) as s:  # a cluster's secondaries may serve it
        for rec in s.run(q.text, {"chunk": CHUNK, **params}):
            for row in rec["chunk"]:
                yield row


#: properties the pull queries return as ISO text (the driver decodes Date values slowly)
_DATE_KEYS = frozenset({"start", "end"})


def _clean(props: dict[str, Any], drop=()) -> dict[str, Any]:
    out = {k: _to_python(v) for k, v in props.items() if k not in _SKIP and k not in drop and v is not None}
    for k in _DATE_KEYS.intersection(out):
        if isinstance(out[k], str):
            out[k] = dt.date.fromisoformat(out[k][:10])
    return out


def place_tree(store: GraphStore) -> nx.DiGraph:
    """Every place as a DiGraph child -> parent with the place attributes."""
    T = nx.DiGraph()
    for row in _chunks(store, "pull_places", {}):
        attrs = {k: v for k, v in zip(_PLACE_FIELDS, row[:7]) if v is not None}
        T.add_node(row[0], **attrs)
        if row[7] is not None:
            T.add_edge(row[0], row[7])
    return T


def top_place(parents: Iterable[tuple[str, Any]]) -> str | None:
    """The place a view naming none shows: the only place with no parent, else ``None`` (every place).

    ``parents``: (code, parent code or None) for every place. The dashboard
    and ``ecomap db warm`` both choose their first view with this.
    """
    roots = [code for code, parent in parents if parent is None or parent != parent]
    return str(roots[0]) if len(roots) == 1 else None


def _scope(tree: nx.DiGraph, place: str | None) -> list[str] | None:
    """The place codes that matter for ``place``: itself, the places beneath it and above it."""
    if place is None:
        return None
    if place not in tree:
        raise KeyError(place)
    return sorted({place} | nx.ancestors(tree, place) | nx.descendants(tree, place))


def pull_graph(store: GraphStore, *, place: str | None = None) -> nx.MultiDiGraph:
    """The ecosystem graph, or the part of it that concerns ``place``.

    With ``place``: every place (the place tree is small, and a service's
    capacity is spread over every leaf it serves, inside the place or not),
    the services serving the place, anything beneath it or above it, the
    needs there, the organisations that belong to it (providing those
    services, based there, or receiving a flow whose beneficiary places
    include the place, a place inside it or one containing it; each found
    from an index) with every flow they receive (and its funders), the
    partnerships touching them, and the store's unplaced organisations with
    the flows they receive (``G.graph["unplaced"]``: (id, postcode) pairs). ``analyse(pull_graph(s, place=P), place=P)`` equals
    ``analyse(pull_graph(s), place=P)``.
    """
    G = nx.MultiDiGraph()
    tree = place_tree(store)
    codes = _scope(tree, place)
    for code, attrs in tree.nodes(data=True):
        G.add_node((m.PLACE, code), label=m.PLACE, **attrs)
    for child, parent in tree.edges:
        add_edge(G, (m.PLACE, child), (m.PLACE, parent), m.PART_OF)

    for code, props, broader in _chunks(store, "pull_categories", {}):
        G.add_node((m.CATEGORY, code), label=m.CATEGORY, **_clean(props))
        if broader is not None:
            add_edge(G, (m.CATEGORY, code), (m.CATEGORY, broader), m.BROADER)

    based_rows: list = []
    funded_rows: list = []
    unplaced_rows: list = []
    if place is None:
        service_rows, need_rows = _together(store, [("pull_services", {"codes": codes}), ("pull_needs", {"codes": codes})])
    else:
        service_rows, need_rows, based_rows, funded_rows, unplaced_rows = _together(store, [
            ("pull_services", {"codes": codes}), ("pull_needs", {"codes": codes}),
            ("frames_based_in_places", {"codes": codes}), ("frames_funded_for_places", {"codes": codes}),
            ("frames_unplaced", {})])
        G.graph["unplaced"] = [tuple(r) for r in unplaced_rows]
    providers: set[str] = set()
    for sid, org, cat, areas, props in service_rows:
        s = (m.SERVICE, sid)
        G.add_node(s, label=m.SERVICE, **_clean(props))
        add_edge(G, (m.ORGANISATION, org), s, m.DELIVERS)
        add_edge(G, s, (m.CATEGORY, cat), m.IN_CATEGORY)
        for code in areas:
            add_edge(G, s, (m.PLACE, code), m.SERVES)
        providers.add(org)

    for nid, code, cat, props in need_rows:
        n = (m.NEED, nid)
        G.add_node(n, label=m.NEED, **_clean(props))
        add_edge(G, n, (m.PLACE, code), m.IN)
        add_edge(G, n, (m.CATEGORY, cat), m.FOR)

    ids = None
    if place is not None:
        based = {oid for oid, _ in based_rows}
        ids = sorted(providers | based | set(funded_rows))
    unplaced_ids = {r[0] for r in unplaced_rows}
    orgs = set(providers) | set(ids or ()) | unplaced_ids
    if ids is None:
        flows, partnerships = _together(store, [("pull_funding", {}), ("pull_partnerships", {})])
    else:
        flows, parts_from, parts_to = _together(store, [
            ("pull_funding_to", {"ids": sorted(set(ids) | unplaced_ids)}), ("pull_partnerships_from", {"ids": ids}),
            ("pull_partnerships_to", {"ids": ids})])
        partnerships = _distinct_partnerships(parts_from, parts_to)
    for f in flows:
        orgs.add(f[0])
        orgs.add(f[1])
    for p in partnerships:
        orgs.add(p[0])
        orgs.add(p[1])
    org_rows = (_chunks(store, "pull_organisations", {}) if place is None
                else _chunks(store, "pull_organisations_of", {"ids": sorted(orgs)}))
    for oid, props, where in org_rows:
        o = (m.ORGANISATION, oid)
        G.add_node(o, label=m.ORGANISATION, **_clean(props, ("roles",)))
        if where is not None:
            add_edge(G, o, (m.PLACE, where), m.BASED_IN)
    for a, b, props in flows:
        props = _clean(props)
        G.add_edge((m.ORGANISATION, a), (m.ORGANISATION, b), key=props["id"], type=m.FUNDS, **props)
    for a, b, props in partnerships:
        props = _clean(props)
        G.add_edge((m.ORGANISATION, a), (m.ORGANISATION, b), key=partnership_key(props["kind"]),
                   type=m.PARTNERS_WITH, **props)
    # every procurement (a few hundred at most): the analysis chooses those that concern the place
    for pid, props in _chunks(store, "pull_procurements", {}):
        G.add_node((m.PROCUREMENT, pid), label=m.PROCUREMENT, **_clean(props))
    _set_roles(G)
    log.info("pulled %d nodes and %d edges%s", G.number_of_nodes(), G.number_of_edges(),
             f" for {place}" if place else "")
    return G


def pull_frames(store: GraphStore, *, place: str | None = None):
    """The analysis tables straight from the store, without building a graph.

    The same content as ``ecosystem.analysis.extract(pull_graph(store,
    place=place))`` (tests hold them equal), read through lean queries that
    return only what the analysis uses, with index lookups when a place is
    given. The dashboard and reports analyse through this.
    """
    import pandas as pd

    from ecosystem.analysis._tables import (Frames, _obj, funding_frame, procurement_frame, sectors_frame,
                                            to_timestamps, unplaced_frame)

    tree = place_tree(store)
    codes = _scope(tree, place)
    places = pd.DataFrame({"code": list(tree.nodes),
                           "population": [float(d["population"]) if d.get("population") is not None else float("nan")
                                          for _, d in tree.nodes(data=True)]}, columns=["code", "population"])
    part_of = pd.DataFrame(list(tree.edges), columns=["child", "parent"])
    if codes is None:
        flows, svc, areas, needs, based, parts, org_rows, unplaced, sector_rows, procs = _together(store, [
            ("frames_funding", {}), ("frames_services", {}), ("frames_service_areas", {}), ("frames_needs", {}),
            ("frames_based_in", {}), ("frames_partnerships", {}), ("frames_organisations", {}),
            ("frames_unplaced", {}), ("frames_sectors", {}), ("frames_procurements", {})])
        orgs = set(org_rows)
    else:
        # the organisations that belong to the place, each found from an index: services serving its
        # places, bases in them, and flows naming them (or a place containing them) as beneficiary places
        svc, needs, based, funded, unplaced = _together(store, [
            ("frames_services_serving", {"codes": codes}), ("frames_needs_in", {"codes": codes}),
            ("frames_based_in_places", {"codes": codes}), ("frames_funded_for_places", {"codes": codes}),
            ("frames_unplaced", {})])
        ids = sorted({r[1] for r in svc} | {r[0] for r in based} | set(funded))
        unplaced_ids = sorted({r[0] for r in unplaced})
        flows, areas, parts_from, parts_to = _together(store, [
            ("frames_funding_to", {"ids": sorted(set(ids) | set(unplaced_ids))}),
            ("frames_service_areas_of", {"ids": sorted({r[0] for r in svc})}),
            ("frames_partnerships_from", {"ids": ids}), ("frames_partnerships_to", {"ids": ids})])
        parts = _distinct_partnerships(parts_from, parts_to)
        orgs = (set(ids) | set(unplaced_ids) | {r[1] for r in flows} | {r[2] for r in flows}
                | {r[0] for r in parts} | {r[1] for r in parts})
        based_ids = {r[0] for r in based}
        # organisations outside the place keep their base too, as in the graph
        extra = sorted(orgs - based_ids)
        if extra:
            based += list(_chunks(store, "frames_based_in_of", {"ids": extra}))
        sector_rows, procs = _together(store, [
            ("frames_sectors_of", {"ids": sorted((orgs | {r[1] for r in svc}) - {None})}),
            ("frames_procurements", {})])

    services = pd.DataFrame(svc, columns=["service", "provider", "category", "capacity", "start", "end"])
    services["capacity"] = pd.to_numeric(services["capacity"], errors="coerce").astype(float)
    services["start"] = to_timestamps(services["start"])
    services["end"] = to_timestamps(services["end"])
    services = services.drop_duplicates(["service", "category"])
    services = services.sort_values(["service", "category"], kind="stable").reset_index(drop=True)
    needs_df = pd.DataFrame(needs, columns=["need", "place", "category", "people"])
    needs_df["people"] = pd.to_numeric(needs_df["people"], errors="coerce").astype(float)
    fund = funding_frame(flows)
    part = pd.DataFrame(parts, columns=["a", "b", "kind", "start", "end"])
    part["start"] = to_timestamps(part["start"])
    part["end"] = to_timestamps(part["end"])
    orgs |= set(services["provider"])
    orgs.discard(None)
    return Frames(
        places=_obj(places, "code"),
        part_of=_obj(part_of.drop_duplicates(), "child", "parent"),
        services=_obj(services, "service", "provider", "category"),
        service_areas=_obj(pd.DataFrame(areas, columns=["service", "area"]).drop_duplicates(), "service", "area"),
        needs=_obj(needs_df, "need", "place", "category"),
        funding=_obj(fund, "funding", "funder", "recipient", "service", "currency"),
        partnerships=_obj(part, "a", "b", "kind"),
        based_in=_obj(pd.DataFrame(based, columns=["organisation", "place"]).drop_duplicates(), "organisation", "place"),
        organisations=sorted(orgs, key=str),
        unplaced=unplaced_frame(unplaced),
        sectors=sectors_frame([tuple(r) for r in sector_rows], orgs),
        procurements=procurement_frame(procs),
    )


def _distinct_partnerships(*parts: list) -> list[list]:
    seen, out = set(), []
    for rows in parts:
        for row in rows:
            kind_value = row[2]["kind"] if isinstance(row[2], dict) else row[2]
            key = (row[0], row[1], kind_value)
            if key not in seen:
                seen.add(key)
                out.append(row)
    return out


def _together(store: GraphStore, reads: list[tuple[str, dict[str, Any]]]) -> list[list]:
    """The rows of several read queries, run at the same time on their own sessions.

    The store works on one query while the driver decodes another's rows,
    which takes about a third off a whole pull on two cores.
    """
    with ThreadPoolExecutor(max_workers=min(4, len(reads)), thread_name_prefix="ecomap-pull") as pool:
        futures = [pool.submit(lambda name, params: list(_chunks(store, name, params)), n, p) for n, p in reads]
        return [f.result() for f in futures]

