"""Beneficiary places and assumed ends go into the store and come back out.

The template's funding ``places`` column is kept on FUNDS as
``beneficiary_places`` (a list of strings) and ``end_assumed`` as a bool;
``pull_graph`` and ``pull_frames`` return them as ``graph_from_tables`` and
``extract`` do.
"""

from __future__ import annotations

import shutil

import pandas as pd

from ecosystem.analysis._tables import extract
from ecosystem.graph import graph_from_tables
from ecosystem.pipeline import load, prepare
from ecosystem.pull import pull_frames, pull_graph

FUNDING = ("id,funder,recipient,amount,start,end,service,places,end_assumed\n"
           "F1,C1,P1,1000,2025-01-01,2026-12-31,S1,E05000001;E08000001,\n"
           "F2,C1,P2,500,2025-01-01,2025-12-31,,E05000002,true\n"
           "F3,C1,P2,10,2025-01-01,,,,false\n")


def _with_places(template_dir):
    (template_dir / "funding.csv").write_text(FUNDING)
    return template_dir


def test_places_and_end_assumed_are_stored_on_funds(store, template_dir):
    load(store, [_with_places(template_dir)], fmt="template")
    with store.session() as s:
        rows = [dict(r) for r in s.run("MATCH ()-[r:FUNDS]->() RETURN r.id AS id, r.beneficiary_places AS places, "
                                       "r.end_assumed AS assumed, r.places AS raw ORDER BY id")]
    got = {r["id"]: (r["places"], r["assumed"], r["raw"]) for r in rows}
    assert got == {"F1": (["E05000001", "E08000001"], None, None), "F2": (["E05000002"], True, None),
                   "F3": (None, False, None)}


def test_pulls_return_places_and_end_assumed(store, template_dir):
    d = _with_places(template_dir)
    load(store, [d], fmt="template")
    G = pull_graph(store)
    edges = {k: d for _, _, k, d in G.edges(keys=True, data=True) if d.get("type") == "FUNDS"}
    assert edges["F1"]["beneficiary_places"] == ["E05000001", "E08000001"] and "end_assumed" not in edges["F1"]
    assert edges["F2"]["beneficiary_places"] == ["E05000002"] and edges["F2"]["end_assumed"] is True
    assert "beneficiary_places" not in edges["F3"] and edges["F3"]["end_assumed"] is False

    expected = extract(graph_from_tables(prepare([d], fmt="template"))).funding
    for got in (pull_frames(store).funding, pull_frames(store, place="LA").funding, extract(G).funding):
        got = got.sort_values("funding").reset_index(drop=True)
        assert list(got["beneficiary_places"]) == [("E05000001", "E08000001"), ("E05000002",), ()]
        assert list(got["end_assumed"]) == [False, True, False]
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_reload_with_the_same_places_changes_nothing(store, template_dir, tmp_path):
    d = _with_places(template_dir)
    first = load(store, [d], fmt="template")
    again = load(store, [d], fmt="template")
    assert first["status"] == "loaded" and again["status"] == "unchanged"
    # a changed list replaces the old one
    changed = tmp_path / "changed"
    shutil.copytree(d, changed)
    (changed / "funding.csv").write_text(FUNDING.replace("E05000001;E08000001", "E08000001"))
    load(store, [changed], fmt="template", source=d.name)
    edges = {k: e for _, _, k, e in pull_graph(store).edges(keys=True, data=True) if e.get("type") == "FUNDS"}
    assert edges["F1"]["beneficiary_places"] == ["E08000001"]
