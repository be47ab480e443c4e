"""Procurements and sectors through the real store: the pull gives what the tables build, and the analysis sees them."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ecosystem import analysis as an
from ecosystem.analysis._tables import extract
from ecosystem.graph import graph_from_tables
from ecosystem.pipeline import load, prepare
from ecosystem.pull import pull_frames, pull_graph

AS_OF = dt.date(2026, 11, 21)

PROCUREMENTS = """id,buyer,title,category,start,end,value,places,stage,route
PR1,C1,Talking therapies,mh,2027-01-01,2029-12-31,2500.50,W1;W2,tender,open
PR2,C1,Peer support,mh,,,,,planning,
PR3,C1,Crisis line,mh,2027-04-01,,900,W2,tender,selective
"""


def _with_procurements(template_dir):
    (template_dir / "procurements.csv").write_text(PROCUREMENTS)
    return template_dir


def test_pull_returns_procurement_nodes_as_the_tables_build_them(store, template_dir):
    d = _with_procurements(template_dir)
    load(store, [d])
    G = pull_graph(store)
    H = graph_from_tables(prepare([d]))
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))
    node = G.nodes[("Procurement", "PR1")]
    assert node["buyer"] == "C1" and node["places"] == ["W1", "W2"] and node["start"] == dt.date(2027, 1, 1)
    assert node["value"] == 2500.5


def test_frames_from_the_store_carry_procurements_and_sectors(store, template_dir):
    d = _with_procurements(template_dir)
    load(store, [d])
    f, g = pull_frames(store), extract(pull_graph(store))
    pd.testing.assert_frame_equal(f.procurements, g.procurements)
    pd.testing.assert_frame_equal(f.sectors, g.sectors)
    assert list(f.procurements["procurement"]) == ["PR1", "PR2", "PR3"]
    assert dict(zip(f.sectors["organisation"], f.sectors["sector"])) == {"C1": "public", "P1": "vcse", "P2": "vcse"}
    w2 = pull_frames(store, place="W2")
    assert list(w2.procurements["procurement"]) == ["PR1", "PR2", "PR3"]
    assert set(w2.sectors["organisation"]) == set(w2.organisations)


def test_the_analysis_of_a_pulled_place_lists_its_pipeline(store, template_dir):
    d = _with_procurements(template_dir)
    load(store, [d])
    for place in ("LA", "W1"):
        full = an.analyse(pull_graph(store), place=place, as_of=AS_OF)
        part = an.analyse_frames(pull_frames(store, place=place), place=place, as_of=AS_OF)
        assert part.to_json_dict() == full.to_json_dict()
    a = an.analyse_frames(pull_frames(store, place="W1"), place="W1", as_of=AS_OF)
    # PR2 has no start; PR3 is for W2 only
    assert list(a.pipeline["procurement"]) == ["PR1"]
    assert a.pipeline["value"].iloc[0] == 2500.5
