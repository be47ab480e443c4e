"""Loading into the real Bolt store: counts, idempotence, source replacement,
bad input and failures leaving the store exactly as it was, export round trip.

The small fixture (tests/fixtures/template/small) draws:

    LA (pop 300) ── W1 (100), W2 (200)
    C1 ──F1 £1000 (S1)──▶ P1 ──DELIVERS──▶ S1 (mh, W1;W2, cap 90)
    C1 ──F2 £500────────▶ P2 ──DELIVERS──▶ S2 (mh, W2, cap 10)
    P1 ──referral── P2;  needs: W1 mh 50, LA mh 60
"""

from __future__ import annotations

import io
import json
import shutil

import networkx as nx
import pytest

from ecosystem import cli
from ecosystem.export import export, export_dict, to_networkx
from ecosystem.graph import graph_from_tables
from ecosystem.load import write_tables
from ecosystem.pipeline import load, prepare
from ecosystem.pull import pull_graph

EXPECTED_NODES = {"Category": 1, "LoadRun": 1, "Need": 2, "Organisation": 3, "Place": 3, "Service": 2}
EXPECTED_RELS = {"DELIVERS": 2, "FOR": 2, "FUNDS": 2, "IN": 2, "IN_CATEGORY": 2, "PARTNERS_WITH": 1,
                 "PART_OF": 2, "SERVES": 3}


def content(store):
    """The store's content without load bookkeeping (which changes per run)."""
    data = export_dict(store)
    for n in data["nodes"]:
        if "LoadRun" in n["labels"]:
            n["properties"] = {}
            n["id"] = "LoadRun"
        for k in ("load_run",):
            n["properties"].pop(k, None)
    for r in data["relationships"]:
        r["properties"].pop("load_run", None)
    data["nodes"].sort(key=lambda n: n["id"])
    return data


def snapshot(store):
    return json.dumps(export_dict(store), sort_keys=True)


def test_load_counts(store, template_dir):
    result = load(store, [template_dir])
    assert result["status"] == "loaded"
    assert result["source"] == "small"
    counts = store.counts()
    assert counts["nodes"] == EXPECTED_NODES
    assert counts["relationships"] == EXPECTED_RELS


def test_properties_and_roles(store, template_dir):
    load(store, [template_dir])
    data = export_dict(store)
    nodes = {n["id"]: n["properties"] for n in data["nodes"]}
    assert nodes["Organisation:C1"]["roles"] == ["funder"]
    assert nodes["Organisation:P1"]["roles"] == ["provider", "recipient"]
    assert nodes["Service:S1"]["capacity"] == 90.0
    assert nodes["Service:S1"]["start"] == "2024-01-01"
    assert "end" not in nodes["Service:S1"]
    assert nodes["Place:W2"]["population"] == 200
    f1 = [r for r in data["relationships"] if r["type"] == "FUNDS" and r["properties"]["id"] == "F1"][0]
    assert f1["start"] == "Organisation:C1" and f1["end"] == "Organisation:P1"
    assert f1["properties"]["amount"] == 1000 and f1["properties"]["end"] == "2026-12-31"
    assert f1["properties"]["service"] == "S1" and f1["properties"]["currency"] == "GBP"
    for item in data["nodes"] + data["relationships"]:
        assert item["properties"].get("source") == "small", item
        assert item["properties"].get("load_run"), item


def test_identical_reload_changes_nothing(store, template_dir):
    load(store, [template_dir])
    before = snapshot(store)
    result = load(store, [template_dir])
    assert result["status"] == "unchanged"
    assert snapshot(store) == before


def test_source_replacement_removes_deleted_rows_and_keeps_other_sources(store, template_dir, tmp_path):
    load(store, [template_dir])
    other = tmp_path / "other"
    other.mkdir()
    (other / "organisations.csv").write_text("id,name\nX1,Extra Org\nP2,Provider Two\n")
    load(store, [other])
    # the new version of `small` drops service S2 and its need in W1
    svc = template_dir / "services.csv"
    svc.write_text("\n".join(svc.read_text().splitlines()[:2]) + "\n")
    needs = template_dir / "needs.csv"
    needs.write_text("place,category,people\nLA,mh,60\n")
    result = load(store, [template_dir])
    assert result["status"] == "loaded"
    counts = store.counts()
    assert counts["nodes"]["Service"] == 1
    assert counts["nodes"]["Need"] == 1
    assert counts["nodes"]["Organisation"] == 4
    assert counts["relationships"]["SERVES"] == 2
    assert counts["relationships"]["DELIVERS"] == 1
    nodes = {n["id"]: n["properties"] for n in export_dict(store)["nodes"]}
    assert "Service:S2" not in nodes
    assert nodes["Organisation:X1"]["sources"] == ["other"]
    assert sorted(nodes["Organisation:P2"]["sources"]) == ["other", "small"]
    # now `small` stops mentioning P2 altogether (and what pointed at it): P2 survives through `other`
    for name, keep in (("organisations.csv", 3), ("funding.csv", 2), ("partnerships.csv", 1)):
        f = template_dir / name
        f.write_text("\n".join(f.read_text().splitlines()[:keep]) + "\n")
    load(store, [template_dir])
    nodes = {n["id"]: n["properties"] for n in export_dict(store)["nodes"]}
    assert nodes["Organisation:P2"]["sources"] == ["other"]
    assert store.counts()["relationships"].get("PARTNERS_WITH", 0) == 0
    assert store.counts()["relationships"]["FUNDS"] == 1


def test_explicit_source_name(store, template_dir):
    result = load(store, [template_dir], source="trafford-2026")
    assert result["source"] == "trafford-2026"
    runs = store.run("list_load_runs")
    assert list(runs["source"]) == ["trafford-2026"]


def test_failure_mid_load_leaves_store_unchanged(store, template_dir, tmp_path):
    load(store, [template_dir])
    before = snapshot(store)
    svc = template_dir / "services.csv"
    svc.write_text(svc.read_text() + "S3,Run,P2,mh,W1,5,,\n")
    tables = prepare([template_dir], store=store)
    calls = []

    def boom(done, total):
        calls.append(done)
        if len(calls) == 4:
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected"):
        write_tables(store, tables, source="small", progress=boom, batch=1)
    assert len(calls) == 4
    assert snapshot(store) == before


def test_first_load_failure_leaves_store_empty(store, template_dir):
    tables = prepare([template_dir], store=store)

    def boom(done, total):
        if done >= 5:
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError):
        write_tables(store, tables, source="small", progress=boom, batch=1)
    assert store.counts()["nodes"] == {}


def test_pull_equals_graph_from_tables(store, template_dir):
    load(store, [template_dir])
    G = pull_graph(store)
    H = graph_from_tables(prepare([template_dir]))
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))
    assert sorted(G.edges(keys=True, data=True), key=repr) == sorted(H.edges(keys=True, data=True), key=repr)


def test_pull_under_a_place(store, template_dir):
    load(store, [template_dir])
    G = pull_graph(store, place="W1")
    # every place stays (S1 also serves W2, and its capacity is spread over both)
    assert sorted(n for n in G if n[0] == "Place") == [("Place", "LA"), ("Place", "W1"), ("Place", "W2")]
    assert sorted(n for n in G if n[0] == "Service") == [("Service", "S1")]
    assert G.has_edge(("Service", "S1"), ("Place", "W2"))
    # needs only where they concern W1 (itself and the LA above it)
    assert sorted(n[1] for n in G if n[0] == "Need") == ["LA|mh|", "W1|mh|"]
    # the funder of S1's provider comes along with its flow; P2 (serving W2 only) does not
    assert G.has_edge(("Organisation", "C1"), ("Organisation", "P1"), key="F1")
    assert ("Organisation", "P2") in G  # as P1's partner
    assert not any(d.get("type") == "FUNDS" and v == ("Organisation", "P2") for _, v, d in G.edges(data=True))


def test_export_round_trip(store, template_dir):
    load(store, [template_dir])
    data = json.loads(export(store, "json"))
    assert {n["id"] for n in data["nodes"]} >= {"Place:LA", "Place:W1", "Organisation:C1", "Service:S1"}
    assert len(data["nodes"]) == sum(EXPECTED_NODES.values())
    assert len(data["relationships"]) == sum(EXPECTED_RELS.values())
    G = to_networkx(data)
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        text = export(store, fmt)
        H = reader(io.BytesIO(text.encode()))
        # GraphML ids are the ecomap ids made legal XML names (| in a need's id is escaped): the ecomap id is kept
        assert {d["ecomap_id"] for _, d in H.nodes(data=True)} == set(G.nodes), fmt
        assert H.number_of_edges() == G.number_of_edges(), fmt
        assert H.nodes["Service:S1"]["name"] == "Talk"
    # and the JSON loads back into a store identical to the first
    before = content(store)
    store.wipe()
    from ecosystem.export import import_dict

    import_dict(store, data)
    assert content(store) == before
