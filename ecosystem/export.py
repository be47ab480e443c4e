"""Export the whole graph: JSON (SPEC §6), GraphML or GEXF (through networkx)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import networkx as nx

from ecosystem.store import GraphStore, _to_python
from queries import query


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
    with store.session() as s:
        for rec in s.run(query("export_nodes").text, {"chunk": 20000}):
            for labels, props in rec["chunk"]:
                props = {k: _jsonable(_to_python(v)) for k, v in props.items()}
                nodes.append({"id": node_id(labels, props), "labels": sorted(labels), "properties": props})
        for rec in s.run(query("export_relationships").text, {"chunk": 20000}):
            for typ, al, ap, bl, bp, props in rec["chunk"]:
                rels.append({"type": typ, "start": node_id(al, ap), "end": node_id(bl, bp),
                             "properties": {k: _jsonable(_to_python(v)) for k, v in props.items()}})
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
        nx.write_gexf(G, buf)
    else:
        raise ValueError(fmt)
    return buf.getvalue().decode("utf-8")
