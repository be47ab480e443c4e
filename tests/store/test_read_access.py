"""The dashboard's and the report's reads go to the store as read transactions (access mode READ), so a
Neo4j cluster's secondaries can serve them; and a read transaction cannot write on Neo4j, so the mode
is not a label only."""

from __future__ import annotations

import datetime as dt

import neo4j
import pytest

from ecosystem.store import GraphStore


@pytest.fixture
def session_modes(monkeypatch):
    """The access mode of every session the store opens (WRITE when none is given: the driver's default)."""
    modes: list[str] = []
    opened = GraphStore.session

    def session(self, **kw):
        modes.append(kw.get("default_access_mode", neo4j.WRITE_ACCESS))
        return opened(self, **kw)

    monkeypatch.setattr(GraphStore, "session", session)
    return modes


def test_report_reads_are_read_transactions(store, session_modes):
    from ecosystem import demo
    from ecosystem.report.build import build
    from ecosystem.service import Ecomap

    demo.ensure_loaded(store)
    session_modes.clear()
    report = build(Ecomap(store, cache_dir=None), "E08000009", dt.date(2026, 11, 21))
    assert report.doc["data"]["store"] == store.kind
    assert len(session_modes) >= 5
    assert set(session_modes) == {neo4j.READ_ACCESS}


def test_dashboard_reads_are_read_transactions(store, session_modes):
    from dashboard import state
    from ecosystem import demo

    demo.ensure_loaded(store)
    session_modes.clear()
    state.configure(store)
    try:
        view, _ = state.make_view("E08000009", None, "2026-11-21")
        result = state.analysis_for(view)
        state.boundaries([view.place])
        state.category_names()
        state.place_table()
    finally:
        state.configure(None)
    assert result.analysis is not None
    assert len(session_modes) >= 5
    assert set(session_modes) == {neo4j.READ_ACCESS}


def test_neo4j_refuses_a_write_in_a_read_transaction(store):
    if store.kind != "neo4j":
        pytest.skip("the embedded store (ArcadeDB) does not enforce the access mode; only Neo4j routes by it")
    with pytest.raises(neo4j.exceptions.ClientError, match="(?i)read"):
        store.run("save_scenario", {"id": "x", "name": "x", "options": "{}", "summary": "{}", "saved": "now"})
    assert store.records("list_scenarios") == []
