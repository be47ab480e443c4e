"""Export the whole graph: JSON (SPEC §6), GraphML or GEXF (written to validate against their official schemas)."""

from __future__ import annotations

import datetime as dt
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


# ---------------------------------------------------------------- GraphML and GEXF, valid against their schemas
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
GEXF_NS = "http://www.gexf.net/1.2draft"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NMTOKEN_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:")


def graphml_id(value: str) -> str:
    """An ecomap id as a legal, unique GraphML id (an XML NMTOKEN).

    Letters, digits, ``.``, ``-`` and ``:`` stay; every other character
    (``_`` included, so the mapping is one to one) becomes ``_XX_`` with the
    hex of its UTF-8 bytes: ``Need:W1|mh`` -> ``Need:W1_7C_mh``.
    """
    return "".join(ch if ch in _NMTOKEN_SAFE else "_" + ch.encode("utf-8").hex().upper() + "_" for ch in str(value))


def _attr_name(name: str, taken: set[str]) -> str:
    """A property name as a GraphML ``attr.name`` (an NMTOKEN), unique among ``taken``."""
    base = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in str(name)) or "_"
    out, i = base, 2
    while out in taken:
        out, i = f"{base}_{i}", i + 1
    taken.add(out)
    return out


def _kind(values: list[Any]) -> str:
    """The declared type of one property: boolean, long, double or string (lists and dates are text)."""
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, bool) for v in vals):
        return "boolean"
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "long"
    if vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return "double"
    return "string"


def _text(v: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "double":
        return repr(float(v))
    if isinstance(v, list):
        return ";".join(str(x) for x in v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def _columns(items: list[dict[str, Any]], fixed: list[tuple[str, Any]]) -> list[tuple[str, str, Any]]:
    """(property, declared type, getter) for the fixed fields, then every property of ``items``, sorted."""
    keys = sorted({k for it in items for k in it["properties"]})
    cols = [(name, _kind([get(it) for it in items]), get) for name, get in fixed]
    for k in keys:
        cols.append((k, _kind([it["properties"].get(k) for it in items]), lambda it, k=k: it["properties"].get(k)))
    return cols


def _node_label(n: dict[str, Any]) -> str:
    p = n["properties"]
    return str(p.get("name") or n["id"])


_NODE_FIXED = [("ecomap_id", lambda n: n["id"]), ("labels", lambda n: ";".join(n["labels"]))]
_EDGE_FIXED = [("relationship", lambda r: r["type"])]


def to_graphml(data: dict[str, Any]) -> bytes:
    """The :func:`export_dict` document as GraphML, valid against the GraphML 1.0 schema.

    Node ids are the ecomap ids made legal (:func:`graphml_id`), edge ids
    ``e0``, ``e1``, …; every property is a declared ``<key>`` (``attr.name``
    the property's name, made an NMTOKEN; ``attr.type`` boolean, long, double
    or string), plus ``ecomap_id`` and ``labels`` on nodes and
    ``relationship`` (the relationship type) on edges.
    """
    from xml.etree import ElementTree as ET

    nodes, rels = data["nodes"], data["relationships"]
    root = ET.Element("graphml", {"xmlns": GRAPHML_NS, "xmlns:xsi": _XSI, "xsi:schemaLocation":
                                  f"{GRAPHML_NS} http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"})
    taken: set[str] = set()
    declared = []
    for target, items, fixed in (("node", nodes, _NODE_FIXED), ("edge", rels, _EDGE_FIXED)):
        cols = []
        for name, kind, get in _columns(items, fixed):
            key_id = f"d{len(declared)}"
            ET.SubElement(root, "key", {"id": key_id, "for": target, "attr.name": _attr_name(name, taken),
                                        "attr.type": kind})
            declared.append(key_id)
            cols.append((key_id, kind, get))
        if target == "node":
            node_cols = cols
        else:
            edge_cols = cols
        taken = set()  # names need be unique per domain only
    graph = ET.SubElement(root, "graph", {"id": "ecomap", "edgedefault": "directed"})
    for n in nodes:
        el = ET.SubElement(graph, "node", {"id": graphml_id(n["id"])})
        for key_id, kind, get in node_cols:
            v = get(n)
            if v is not None:
                ET.SubElement(el, "data", {"key": key_id}).text = _text(v, kind)
    for i, r in enumerate(rels):
        el = ET.SubElement(graph, "edge", {"id": f"e{i}", "source": graphml_id(r["start"]),
                                           "target": graphml_id(r["end"])})
        for key_id, kind, get in edge_cols:
            v = get(r)
            if v is not None:
                ET.SubElement(el, "data", {"key": key_id}).text = _text(v, kind)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def to_gexf(data: dict[str, Any]) -> bytes:
    """The :func:`export_dict` document as GEXF 1.2, valid against the GEXF 1.2draft schema.

    Node ids are the ecomap ids (``Service:S1``), node labels their names;
    edge ids ``e0``, ``e1``, …, each edge's label its relationship type.
    Every property is a declared attribute (``title`` the property's name;
    type boolean, long, double or string), plus ``ecomap_id`` and
    ``labels`` on nodes and ``relationship`` on edges — not GEXF's own edge
    ``type``, which is the edge's direction.
    """
    from xml.etree import ElementTree as ET

    nodes, rels = data["nodes"], data["relationships"]
    root = ET.Element("gexf", {"xmlns": GEXF_NS, "xmlns:xsi": _XSI, "version": "1.2",
                               "xsi:schemaLocation": f"{GEXF_NS} http://www.gexf.net/1.2draft/gexf.xsd"})
    meta = ET.SubElement(root, "meta", {"lastmodifieddate": dt.date.today().isoformat()})
    ET.SubElement(meta, "creator").text = "ecomap"
    ET.SubElement(meta, "description").text = "An ecosystem of public services exported from ecomap"
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "directed", "mode": "static", "idtype": "string"})
    kinds = {"boolean": "boolean", "long": "long", "double": "double", "string": "string"}
    per = {}
    for target, items, fixed in (("node", nodes, _NODE_FIXED), ("edge", rels, _EDGE_FIXED)):
        attrs = ET.SubElement(graph, "attributes", {"class": target, "mode": "static"})
        cols = []
        for i, (name, kind, get) in enumerate(_columns(items, fixed)):
            ET.SubElement(attrs, "attribute", {"id": f"{target[0]}{i}", "title": str(name), "type": kinds[kind]})
            cols.append((f"{target[0]}{i}", kind, get))
        per[target] = cols
    for target, items, container in (("node", nodes, "nodes"), ("edge", rels, "edges")):
        parent = ET.SubElement(graph, container, {"count": str(len(items))})
        for i, it in enumerate(items):
            if target == "node":
                el = ET.SubElement(parent, "node", {"id": str(it["id"]), "label": _node_label(it)})
            else:
                el = ET.SubElement(parent, "edge", {"id": f"e{i}", "source": str(it["start"]),
                                                    "target": str(it["end"]), "label": it["type"]})
            values = [(a, _text(get(it), kind)) for a, kind, get in per[target] if get(it) is not None]
            if values:
                av = ET.SubElement(el, "attvalues")
                for a, v in values:
                    ET.SubElement(av, "attvalue", {"for": a, "value": v})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def export(store: GraphStore, fmt: str) -> str:
    """The whole graph as text: ``json`` (SPEC §6), ``graphml`` or ``gexf`` (valid against their schemas)."""
    data = export_dict(store)
    if fmt == "json":
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    if fmt == "graphml":
        return to_graphml(data).decode("utf-8")
    if fmt == "gexf":
        return to_gexf(data).decode("utf-8")
    raise ValueError(fmt)


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
