"""Build the typed networkx graph the analysis reads.

Two builders produce the same shape (see :data:`ecosystem.model.GRAPH_SCHEMA`):
:func:`graph_from_tables` from canonical tables in memory, and
:func:`ecosystem.store.GraphStore.pull` from the store. Tests hold them equal.
"""

from __future__ import annotations

import decimal
from typing import Any, Iterable

import networkx as nx

from ecosystem import model as m

_NODE_TABLES = (
    ("places", m.PLACE, "code"),
    ("categories", m.CATEGORY, "code"),
    ("organisations", m.ORGANISATION, "id"),
    ("services", m.SERVICE, "id"),
    ("needs", m.NEED, "id"),
)

#: properties kept on nodes as canonical columns, never copied to the graph
_SKIP = {"_file", "_sheet", "_row", "source", "sources", "load_run"}


def _props(rec: dict[str, Any], drop: Iterable[str] = ()) -> dict[str, Any]:
    """Properties as the store keeps them (money as the float that prints as its decimal)."""
    drop = set(drop) | _SKIP
    return {k: (float(v) if type(v) is decimal.Decimal else v) for k, v in rec.items()
            if k not in drop and v is not None}


def graph_from_tables(tables: m.CanonicalTables) -> nx.MultiDiGraph:
    """The canonical tables as a :class:`networkx.MultiDiGraph`.

    Relationship-like columns (``parent``, ``provider``, ``category``,
    ``areas``, ``place``) become edges and are not kept as node attributes;
    a funding row's ``places`` is kept on its FUNDS edge as
    ``beneficiary_places``, as the store keeps it.
    """
    G = nx.MultiDiGraph()
    for rec in tables.records("places"):
        G.add_node((m.PLACE, rec["code"]), label=m.PLACE, **_props(rec, ["parent", "boundary"]))
    for rec in tables.records("places"):
        if rec.get("parent"):
            add_edge(G, (m.PLACE, rec["code"]), (m.PLACE, rec["parent"]), m.PART_OF)
    for rec in tables.records("categories"):
        G.add_node((m.CATEGORY, rec["code"]), label=m.CATEGORY, **_props(rec, ["parent"]))
    for rec in tables.records("categories"):
        if rec.get("parent"):
            add_edge(G, (m.CATEGORY, rec["code"]), (m.CATEGORY, rec["parent"]), m.BROADER)
    for rec in tables.records("organisations"):
        G.add_node((m.ORGANISATION, rec["id"]), label=m.ORGANISATION, **_props(rec, ["place"]))
        if rec.get("place"):
            add_edge(G, (m.ORGANISATION, rec["id"]), (m.PLACE, rec["place"]), m.BASED_IN)
    for rec in tables.records("services"):
        s = (m.SERVICE, rec["id"])
        G.add_node(s, label=m.SERVICE, **_props(rec, ["provider", "category", "areas"]))
        add_edge(G, (m.ORGANISATION, rec["provider"]), s, m.DELIVERS)
        add_edge(G, s, (m.CATEGORY, rec["category"]), m.IN_CATEGORY)
        for code in rec.get("areas") or []:
            add_edge(G, s, (m.PLACE, code), m.SERVES)
    for rec in tables.records("needs"):
        nid = rec.get("id") or m.need_id(rec["place"], rec["category"], rec.get("period"))
        n = (m.NEED, nid)
        G.add_node(n, label=m.NEED, **_props({**rec, "id": nid}, ["place", "category"]))
        add_edge(G, n, (m.PLACE, rec["place"]), m.IN)
        add_edge(G, n, (m.CATEGORY, rec["category"]), m.FOR)
    for rec in tables.records("funding"):
        props = _props(rec, ["funder", "recipient", "places"])
        if rec.get("places"):
            props[m.BENEFICIARY_PLACES] = list(dict.fromkeys(rec["places"]))
        G.add_edge((m.ORGANISATION, rec["funder"]), (m.ORGANISATION, rec["recipient"]), key=rec["id"],
                   type=m.FUNDS, **props)
    for rec in tables.records("procurements"):
        # buyer, category and places stay properties, as the store keeps them (empty lists left out)
        props = {k: v for k, v in _props(rec).items() if not (isinstance(v, list) and not v)}
        if props.get("places"):
            props["places"] = list(dict.fromkeys(props["places"]))
        G.add_node((m.PROCUREMENT, rec["id"]), label=m.PROCUREMENT, **props)
    for rec in tables.records("partnerships"):
        props = _props(rec, ["a", "b"])
        G.add_edge((m.ORGANISATION, rec["a"]), (m.ORGANISATION, rec["b"]), key=f"{m.PARTNERS_WITH}:{rec['kind']}",
                   type=m.PARTNERS_WITH, **props)
    _set_roles(G)
    return G


def add_edge(G: nx.MultiDiGraph, u, v, rel: str, **props) -> None:
    G.add_edge(u, v, key=rel, type=rel, **props)


def _set_roles(G: nx.MultiDiGraph) -> None:
    """``roles`` on organisations, derived from their relationships."""
    for n, d in G.nodes(data=True):
        if d.get("label") != m.ORGANISATION:
            continue
        roles = set()
        for _, _, t in G.out_edges(n, data="type"):
            if t == m.FUNDS:
                roles.add("funder")
            elif t == m.DELIVERS:
                roles.add("provider")
        for _, _, t in G.in_edges(n, data="type"):
            if t == m.FUNDS:
                roles.add("recipient")
        d["roles"] = sorted(roles)


def partnership_key(kind: str) -> str:
    return f"{m.PARTNERS_WITH}:{kind}"
