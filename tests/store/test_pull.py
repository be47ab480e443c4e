"""Pulling from the store: the graph, the place subgraph and the analysis tables agree.

analyse(pull_graph(s, place=P), place=P) == analyse(pull_graph(s), place=P) == analyse_frames(pull_frames(s, place=P))
on the Trafford demo and on a small synthetic region (services crossing LA borders, LA-level needs).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ecosystem import analysis as an
from ecosystem.analysis._tables import extract
from ecosystem.demo import DEMO_DIR
from ecosystem.generate import generate_sized
from ecosystem.pipeline import load
from ecosystem.pull import pull_frames, pull_graph

AS_OF = dt.date(2026, 11, 21)


def _same(a: an.Analysis, b: an.Analysis) -> None:
    assert a.to_json_dict() == b.to_json_dict()


def _frames_equal(f, g) -> None:
    for name in ("places", "part_of", "services", "service_areas", "needs", "funding", "partnerships", "based_in",
                 "sectors", "procurements"):
        x, y = getattr(f, name), getattr(g, name)
        cols = list(x.columns)
        x = x.sort_values(cols, key=lambda s: s.astype(str)).reset_index(drop=True)
        y = y[cols].sort_values(cols, key=lambda s: s.astype(str)).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_dtype=False, obj=name)
    assert f.organisations == g.organisations


@pytest.fixture(scope="module")
def region(graph_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    generate_sized({"regions": 1, "las": 3, "wards": 15, "categories": 4, "organisations": 60, "services": 120,
                    "funding": 300, "partnerships": 60}, 7, out)
    return out


def test_demo_pulls_agree(store):
    load(store, [DEMO_DIR], fmt="template")
    G = pull_graph(store)
    _frames_equal(pull_frames(store), extract(G))
    place = "E08000009"
    full = an.analyse(G, place=place, as_of=AS_OF)
    _same(an.analyse(pull_graph(store, place=place), place=place, as_of=AS_OF), full)
    _same(an.analyse_frames(pull_frames(store, place=place), place=place, as_of=AS_OF), full)
    ward = "E05015253"
    _same(an.analyse_frames(pull_frames(store, place=ward), place=ward, as_of=AS_OF),
          an.analyse(G, place=ward, as_of=AS_OF))


def test_synthetic_region_pulls_agree_for_every_la(store, region):
    load(store, [region], fmt="template")
    G = pull_graph(store)
    _frames_equal(pull_frames(store), extract(G))
    las = sorted(n[1] for n, d in G.nodes(data=True) if d.get("level") == "la")
    assert len(las) == 3
    for la in las:
        full = an.analyse(G, place=la, as_of=AS_OF)
        assert len(full.coverage), la
        _same(an.analyse(pull_graph(store, place=la), place=la, as_of=AS_OF), full)
        _same(an.analyse_frames(pull_frames(store, place=la), place=la, as_of=AS_OF), full)


def test_unknown_place_is_a_key_error(store, template_dir):
    load(store, [template_dir])
    with pytest.raises(KeyError):
        pull_frames(store, place="NOWHERE")
