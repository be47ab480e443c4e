"""The report's names are read for the ids of the place's tables: the same as the names of the place's graph."""

from __future__ import annotations

import pytest

from ecosystem import pipeline
from ecosystem.demo import DEMO_DIR, DEMO_PLACE
from ecosystem import model as m
from ecosystem.report.build import _names_in
from ecosystem.service import Ecomap


_NAME_KINDS = {m.PLACE: "places", m.CATEGORY: "categories", m.ORGANISATION: "organisations",
               m.SERVICE: "services"}


def _names(G):
    """The names of a graph's places, categories, organisations and services, by kind: what the report once used."""
    out = {k: {} for k in _NAME_KINDS.values()}
    for n, d in G.nodes(data=True):
        if isinstance(n, tuple) and len(n) == 2 and _NAME_KINDS.get(n[0]) and d.get("name"):
            out[_NAME_KINDS[n[0]]][str(n[1])] = str(d["name"])
    return {k: dict(sorted(v.items())) for k, v in out.items()}


@pytest.mark.parametrize("place", [None, DEMO_PLACE, "E05015239", "E05015254"])
def test_names_read_for_the_tables_equal_the_names_of_the_graph(store, place):
    pipeline.load(store, [DEMO_DIR], fmt="template", source="demo")
    app = Ecomap(store)
    got = _names_in(app, app.frames(place))
    assert got == _names(app.graph(place))
    assert got["organisations"] and got["services"] and got["categories"] and got["places"]


def test_names_of_the_small_fixture_by_hand(store, template_dir):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    app = Ecomap(store)
    got = _names_in(app, app.frames(None))
    assert got == _names(app.graph(None))
    # and for each place of the fixture on its own
    for place in sorted(got["places"]):
        assert _names_in(app, app.frames(place)) == _names(app.graph(place)), place


def test_the_cliff_outlook_is_kept_for_a_new_process_and_equals_one_made_afresh(store, tmp_path, monkeypatch):
    import importlib

    from ecosystem.demo import DEMO_AS_OF as as_of

    b = importlib.import_module("ecosystem.report.build")  # the module (the package's `build` is its function)
    pipeline.load(store, [DEMO_DIR], fmt="template", source="demo")
    fresh = b.build(Ecomap(store), DEMO_PLACE, as_of).doc["cliff_outlook"]  # no cache at all
    made = []
    real = b.cliff_outlook
    monkeypatch.setattr(b, "cliff_outlook", lambda *a, **k: made.append(1) or real(*a, **k))
    first = b.build(Ecomap(store, cache_dir=tmp_path / "cache"), DEMO_PLACE, as_of).doc["cliff_outlook"]
    again = b.build(Ecomap(store, cache_dir=tmp_path / "cache"), DEMO_PLACE, as_of).doc["cliff_outlook"]
    assert made == [1]  # the second process read it
    assert first == again == fresh and fresh  # the demo has cliffs within the year
    assert {r["within_months"] for r in fresh} <= {3, 6, 12}
    again[0]["within_months"] = "changed"  # a report's rows are its own
    assert b.build(Ecomap(store, cache_dir=tmp_path / "cache"), DEMO_PLACE, as_of).doc["cliff_outlook"] == fresh
