"""Export the whole graph: JSON (SPEC §6), GraphML or GEXF (through networkx)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import neo4j
import networkx as nx

from ecosystem.store import GraphStore, _to_python
from queries import query


#: first characters that make a spreadsheet read a cell as a formula (or hide what follows)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(v: Any) -> Any:
    """A cell value a spreadsheet will show, never run: text starting with ``= + - @``, a tab or a carriage
    return gets a leading apostrophe (numbers are left as numbers)."""
    if isinstance(v, str) and v[:1] in FORMULA_START:
        return "'" + v
    return v


def _jsonable(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


def export_dict(store: GraphStore) -> dict[str, Any]:
    """``{"nodes": [{"id", "labels", "properties"}], "relationships": [{"type", "start", "end", "properties"}]}``

    Node ids are ``Label:key`` (stable across stores and runs, unlike internal ids).
    """
    nodes, rels = [], []
    with store.session(default_access_mode=neo4j.READ_ACCESS) as s:
        for rec in s.run(query("export_nodes").text, {"chunk": 20000}):
            for labels, props in rec["chunk"]:
                # keys sorted: each store returns a node's properties in its own order
                props = {k: _jsonable(_to_python(v)) for k, v in sorted(props.items())}
                nodes.append({"id": node_id(labels, props), "labels": sorted(labels), "properties": props})
        for rec in s.run(query("export_relationships").text, {"chunk": 20000}):
            for typ, al, ap, bl, bp, props in rec["chunk"]:
                rels.append({"type": typ, "start": node_id(al, ap), "end": node_id(bl, bp),
                             "properties": {k: _jsonable(_to_python(v)) for k, v in sorted(props.items())}})
    nodes.sort(key=lambda n: n["id"])
    rels.sort(key=lambda r: (r["type"], r["start"], r["end"], json.dumps(r["properties"], sort_keys=True)))
    return {"nodes": nodes, "relationships": rels}


def node_id(labels: list[str], props: dict[str, Any]) -> str:
    from ecosystem.model import NODE_KEYS

    label = sorted(labels)[0] if labels else "Node"
    key = NODE_KEYS.get(label, "id")
    return f"{label}:{props.get(key)}"


def to_networkx(data: dict[str, Any]) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for n in data["nodes"]:
        G.add_node(n["id"], labels=";".join(n["labels"]), **_flat(n["properties"]))
    for r in data["relationships"]:
        G.add_edge(r["start"], r["end"], type=r["type"], **_flat(r["properties"]))
    return G


def _flat(props: dict[str, Any]) -> dict[str, Any]:
    """GraphML/GEXF take scalars only: lists become ;-joined text."""
    out = {}
    for k, v in props.items():
        if isinstance(v, list):
            v = ";".join(str(x) for x in v)
        elif isinstance(v, bool):
            v = str(v).lower()
        out[k] = v
    return out


def export(store: GraphStore, fmt: str) -> str:
    data = export_dict(store)
    if fmt == "json":
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    G = to_networkx(data)
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(G, buf)
    elif fmt == "gexf":
        # GEXF reserves `id` and `label` for the node's own id and label
        for _, d in list(G.nodes(data=True)) + [(None, d) for *_, d in G.edges(data=True)]:
            for k in ("id", "label"):
                if k in d:
                    d[f"ecomap_{k}"] = d.pop(k)
        nx.write_gexf(G, buf)
    else:
        raise ValueError(fmt)
    return buf.getvalue().decode("utf-8")


_DATE_KEYS = ("start", "end")


def _restore(props: dict[str, Any]) -> dict[str, Any]:
    out = dict(props)
    for k in _DATE_KEYS:
        v = out.get(k)
        if isinstance(v, str) and len(v) == 10:
            try:
                out[k] = dt.date.fromisoformat(v)
            except ValueError:
                pass
    return out


def import_dict(store: GraphStore, data: dict[str, Any], *, batch: int = 5000) -> None:
    """Load an :func:`export_dict` document into the store, in one transaction.

    Labels and relationship types are checked against the model's constants
    before they reach a statement; every value is a parameter.
    """
    from ecosystem.model import LABELS, NODE_KEYS, REL_TYPES

    by_label: dict[str, list] = {}
    for n in data["nodes"]:
        labels = [lab for lab in n["labels"] if lab in LABELS]
        if len(labels) != 1:
            raise ValueError(f"node {n.get('id')!r}: expected one ecomap label, got {n['labels']!r}")
        key = NODE_KEYS[labels[0]]
        by_label.setdefault(labels[0], []).append({"key": n["properties"][key], "props": _restore(n["properties"])})
    by_type: dict[tuple[str, str, str], list] = {}
    for r in data["relationships"]:
        if r["type"] not in REL_TYPES:
            raise ValueError(f"unknown relationship type {r['type']!r}")
        (al, ak), (bl, bk) = (r["start"].split(":", 1), r["end"].split(":", 1))
        if al not in LABELS or bl not in LABELS:
            raise ValueError(f"relationship {r!r}: unknown label")
        by_type.setdefault((r["type"], al, bl), []).append({"a": ak, "b": bk, "props": _restore(r["properties"])})
    store.ensure_schema()
    with store.transaction() as tx:
        for label, rows in by_label.items():
            stmt = f"UNWIND $rows AS row MERGE (n:{label} {{{NODE_KEYS[label]}: row.key}}) SET n = row.props"
            for i in range(0, len(rows), batch):
                tx.run(stmt, {"rows": rows[i:i + batch]}).consume()
        for (typ, al, bl), rows in by_type.items():
            stmt = (f"UNWIND $rows AS row MATCH (a:{al} {{{NODE_KEYS[al]}: row.a}}) "
                    f"MATCH (b:{bl} {{{NODE_KEYS[bl]}: row.b}}) CREATE (a)-[r:{typ}]->(b) SET r = row.props")
            for i in range(0, len(rows), batch):
                tx.run(stmt, {"rows": rows[i:i + batch]}).consume()
