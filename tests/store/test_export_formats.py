"""GraphML and GEXF exports validate against the official schemas and survive a round trip through networkx."""

from __future__ import annotations

import io
import pathlib

import networkx as nx
import pytest
from lxml import etree

from ecosystem.export import export, export_dict, graphml_id, to_gexf, to_graphml
from ecosystem.pipeline import load

SCHEMAS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "schemas"


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def _valid(text: bytes, name: str) -> None:
    schema = _schema(name)
    doc = etree.fromstring(text)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)


#: a document with what broke the old exports: ids with | and spaces, two relationships between one
#: pair of nodes, a relationship type property, lists, dates, booleans and numbers
AWKWARD = {
    "nodes": [
        {"id": "Place:LA", "labels": ["Place"], "properties": {"code": "LA", "name": "Town", "population": 300}},
        {"id": "Need:LA|mh", "labels": ["Need"], "properties": {"id": "LA|mh", "people": 12.5}},
        {"id": "Organisation:A B_1", "labels": ["Organisation"],
         "properties": {"id": "A B_1", "name": "A & B <Trust>", "roles": ["funder", "provider"], "type": "x"}},
        {"id": "Organisation:C", "labels": ["Organisation"], "properties": {"id": "C", "name": "C"}},
    ],
    "relationships": [
        {"type": "FUNDS", "start": "Organisation:A B_1", "end": "Organisation:C",
         "properties": {"id": "F1", "amount": 10.0, "end_assumed": True, "beneficiary_places": ["LA"]}},
        {"type": "FUNDS", "start": "Organisation:A B_1", "end": "Organisation:C",
         "properties": {"id": "F2", "amount": 5, "end_assumed": False}},
        {"type": "PARTNERS_WITH", "start": "Organisation:C", "end": "Organisation:A B_1", "properties": {"kind": "x"}},
        {"type": "IN", "start": "Need:LA|mh", "end": "Place:LA", "properties": {}},
    ],
}


def test_graphml_ids_are_legal_and_one_to_one():
    assert graphml_id("Service:S1") == "Service:S1"
    assert graphml_id("Need:LA|mh") == "Need:LA_7C_mh"
    assert graphml_id("Organisation:A B_1") == "Organisation:A_20_B_5F_1"
    assert graphml_id("a_7C_b") != graphml_id("a|b")  # the escape character is escaped too
    assert graphml_id("Café") == "Caf_C3A9_"


def test_awkward_graph_validates_and_round_trips():
    g = to_graphml(AWKWARD)
    _valid(g, "graphml.xsd")
    x = to_gexf(AWKWARD)
    _valid(x, "gexf.xsd")
    H = nx.read_graphml(io.BytesIO(g))
    assert {d["ecomap_id"] for _, d in H.nodes(data=True)} == {n["id"] for n in AWKWARD["nodes"]}
    assert sorted(d["relationship"] for *_, d in H.edges(data=True)) == ["FUNDS", "FUNDS", "IN", "PARTNERS_WITH"]
    a = H.nodes[graphml_id("Organisation:A B_1")]
    assert a["name"] == "A & B <Trust>" and a["roles"] == "funder;provider" and a["labels"] == "Organisation"
    funds = sorted((d for *_, d in H.edges(data=True) if d["relationship"] == "FUNDS"), key=lambda d: d["id"])
    assert [(d["amount"], d["end_assumed"]) for d in funds] == [(10.0, True), (5.0, False)]
    X = nx.read_gexf(io.BytesIO(x))
    assert set(X.nodes) == {n["id"] for n in AWKWARD["nodes"]}
    assert X.nodes["Organisation:A B_1"]["label"] == "A & B <Trust>"
    assert X.nodes["Need:LA|mh"]["labels"] == "Need"
    assert sorted(d["relationship"] for *_, d in X.edges(data=True)) == ["FUNDS", "FUNDS", "IN", "PARTNERS_WITH"]
    assert all(d["label"] == d["relationship"] for *_, d in X.edges(data=True))
    # the property called "type" stays a property, apart from GEXF's own edge direction
    assert X.nodes["Organisation:A B_1"]["type"] == "x"


def test_empty_graph_validates():
    empty = {"nodes": [], "relationships": []}
    _valid(to_graphml(empty), "graphml.xsd")
    _valid(to_gexf(empty), "gexf.xsd")


def test_the_old_writers_output_fails_the_schemas():
    # the check can fail: networkx's own writers break both schemas on this graph (repeated edge ids, | in
    # ids, an empty graph name)
    G = nx.MultiDiGraph()
    G.add_edge("Need:LA|mh", "Place:LA", type="IN")
    G.add_edge("Need:LA|mh", "Place:LA", type="IN")
    buf = io.BytesIO()
    nx.write_graphml(G, buf)
    assert not _schema("graphml.xsd").validate(etree.fromstring(buf.getvalue()))
    buf = io.BytesIO()
    nx.write_gexf(G, buf)
    assert not _schema("gexf.xsd").validate(etree.fromstring(buf.getvalue()))


def test_store_export_of_the_demo_validates_and_reads_back(store):
    from ecosystem.demo import DEMO_DIR

    load(store, [DEMO_DIR], fmt="template", source="trafford-demo")
    data = export_dict(store)
    g, x = export(store, "graphml").encode(), export(store, "gexf").encode()
    _valid(g, "graphml.xsd")
    _valid(x, "gexf.xsd")
    ids = etree.fromstring(g).xpath("//g:edge/@id", namespaces={"g": "http://graphml.graphdrawing.org/xmlns"})
    assert len(ids) == len(set(ids)) == len(data["relationships"])
    X = nx.read_gexf(io.BytesIO(x))
    assert {n: d["labels"] for n, d in X.nodes(data=True)} == {n["id"]: ";".join(n["labels"]) for n in data["nodes"]}
    want = sorted((r["start"], r["end"], r["type"]) for r in data["relationships"])
    assert sorted((u, v, d["relationship"]) for u, v, d in X.edges(data=True)) == want
    H = nx.read_graphml(io.BytesIO(g))
    assert sorted((H.nodes[u]["ecomap_id"], H.nodes[v]["ecomap_id"], d["relationship"])
                  for u, v, d in H.edges(data=True)) == want


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_cli_export_writes_a_valid_file(store, template_dir, tmp_path, fmt):
    from ecosystem import cli

    load(store, [template_dir])
    out = tmp_path / f"graph.{fmt}"
    assert cli.main(["db", "export", "--format", fmt, "--out", str(out)]) == 0
    _valid(out.read_bytes(), "graphml.xsd" if fmt == "graphml" else "gexf.xsd")
