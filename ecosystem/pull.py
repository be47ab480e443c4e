"""Back to networkx: pull the graph (or the part under a place) from the store.

Queries return a few records, each holding a chunk of rows as lists (the
driver decodes list values far faster than records). The result has the
shape of :data:`ecosystem.model.GRAPH_SCHEMA`, the same as
:func:`ecosystem.graph.graph_from_tables` gives for the same data.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

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
    with store.session() as s:
        for rec in s.run(q.text, {"chunk": CHUNK, **params}):
            for row in rec["chunk"]:
                yield row


def _clean(props: dict[str, Any], drop=()) -> dict[str, Any]:
    return {k: _to_python(v) for k, v in props.items() if k not in _SKIP and k not in drop and v is not None}


def place_tree(store: GraphStore) -> nx.DiGraph:
    """Every place as a DiGraph child -> parent with the place attributes."""
    T = nx.DiGraph()
    for row in _chunks(store, "pull_places", {}):
        attrs = {k: v for k, v in zip(_PLACE_FIELDS, row[:7]) if v is not None}
        T.add_node(row[0], **attrs)
        if row[7] is not None:
            T.add_edge(row[0], row[7])
    return T


def pull_graph(store: GraphStore, *, place: str | None = None) -> nx.MultiDiGraph:
    """The ecosystem graph, or the part of it that concerns ``place``.

    With ``place``: every place beneath it and above it, the services
    serving any of those places and the needs in them, their providers with
    every flow they receive (and its funders), and partnerships touching
    those providers.
    """
    G = nx.MultiDiGraph()
    tree = place_tree(store)
    if place is not None:
        if place not in tree:
            raise KeyError(place)
        below = nx.ancestors(tree, place)  # edges point child -> parent
        above = nx.descendants(tree, place)
        keep = {place} | below | above
        codes: list[str] | None = sorted(keep)
    else:
        keep = set(tree.nodes)
        codes = None
    for code in keep:
        G.add_node((m.PLACE, code), label=m.PLACE, **tree.nodes[code])
    for child, parent in tree.edges:
        if child in keep and parent in keep:
            add_edge(G, (m.PLACE, child), (m.PLACE, parent), m.PART_OF)

    for code, props, broader in _chunks(store, "pull_categories", {}):
        G.add_node((m.CATEGORY, code), label=m.CATEGORY, **_clean(props))
        if broader is not None:
            add_edge(G, (m.CATEGORY, code), (m.CATEGORY, broader), m.BROADER)

    providers: set[str] = set()
    for sid, org, cat, areas, props in _chunks(store, "pull_services", {"codes": codes}):
        s = (m.SERVICE, sid)
        G.add_node(s, label=m.SERVICE, **_clean(props))
        add_edge(G, (m.ORGANISATION, org), s, m.DELIVERS)
        add_edge(G, s, (m.CATEGORY, cat), m.IN_CATEGORY)
        for code in areas:
            if code in keep:
                add_edge(G, s, (m.PLACE, code), m.SERVES)
        providers.add(org)

    for nid, code, cat, props in _chunks(store, "pull_needs", {"codes": codes}):
        n = (m.NEED, nid)
        G.add_node(n, label=m.NEED, **_clean(props))
        add_edge(G, n, (m.PLACE, code), m.IN)
        add_edge(G, n, (m.CATEGORY, cat), m.FOR)

    ids = sorted(providers) if place is not None else None
    orgs = set(providers)
    flows = list(_chunks(store, "pull_funding", {"ids": ids}))
    for f in flows:
        orgs.add(f[0])
        orgs.add(f[1])
    partnerships = list(_chunks(store, "pull_partnerships", {"ids": ids}))
    for p in partnerships:
        orgs.add(p[0])
        orgs.add(p[1])
    for oid, props, based in _chunks(store, "pull_organisations", {"ids": sorted(orgs) if place is not None else None}):
        o = (m.ORGANISATION, oid)
        G.add_node(o, label=m.ORGANISATION, **_clean(props, ("roles",)))
        if based is not None and based in keep:
            add_edge(G, o, (m.PLACE, based), m.BASED_IN)
    for a, b, props in flows:
        props = _clean(props)
        G.add_edge((m.ORGANISATION, a), (m.ORGANISATION, b), key=props["id"], type=m.FUNDS, **props)
    for a, b, props in partnerships:
        props = _clean(props)
        G.add_edge((m.ORGANISATION, a), (m.ORGANISATION, b), key=partnership_key(props["kind"]),
                   type=m.PARTNERS_WITH, **props)
    _set_roles(G)
    log.info("pulled %d nodes and %d edges%s", G.number_of_nodes(), G.number_of_edges(),
             f" for {place}" if place else "")
    return G
