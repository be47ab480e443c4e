"""The corpus's shared store: the small template loaded once as source ``small`` and reused by every case.

A case that is refused leaves the store as it was, so the next case starts from the same store without
loading it again; only when something changed it (a case that loads on purpose, or another test file in
between) is it loaded afresh.
"""

from __future__ import annotations

import pathlib

import pytest

from ecosystem.export import export
from ecosystem.pipeline import load

SMALL = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "template" / "small"


def db_export(store) -> str:
    """What ``ecomap db export --format json`` writes for ``store`` (the command writes exactly this text)."""
    return export(store, "json")


@pytest.fixture(scope="module")
def _pristine() -> dict:
    return {}


@pytest.fixture
def small_store(graph_store, _pristine):
    """``(store, export)``: the session's store holding exactly the small template, and its ``db export``."""
    if "export" not in _pristine or db_export(graph_store) != _pristine["export"]:
        graph_store.wipe()
        load(graph_store, [SMALL], source="small")
        _pristine["export"] = db_export(graph_store)
    return graph_store, _pristine["export"]
