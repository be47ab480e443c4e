"""Shared fixtures: one real Bolt server for the whole test session.

The embedded store (an ArcadeDB server over Bolt) is started once in a
temporary ECOMAP_HOME; with NEO4J_URI set the same tests run against Neo4j.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

# loads made by tests do not start a background warm-up of the dashboard's cache (tests of it switch it on)
os.environ["ECOMAP_WARM"] = "off"


@pytest.fixture(scope="session")
def ecomap_home():
    if os.environ.get("NEO4J_URI"):
        yield None
        return
    home = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-test-"))
    old = os.environ.get("ECOMAP_HOME")
    os.environ["ECOMAP_HOME"] = str(home)
    yield home
    from ecosystem import server

    server.stop(home)
    if old is None:
        os.environ.pop("ECOMAP_HOME", None)
    else:
        os.environ["ECOMAP_HOME"] = old
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def graph_store(ecomap_home):
    from ecosystem.store import GraphStore

    store = GraphStore.open()
    store.ensure_schema()
    yield store
    store.close()


@pytest.fixture
def store(graph_store):
    """The session's store, emptied before the test."""
    graph_store.wipe()
    return graph_store


@pytest.fixture
def template_dir(tmp_path):
    """A copy of the small hand-made template (tests/fixtures/template/small)."""
    dst = tmp_path / "small"
    shutil.copytree(FIXTURES / "template" / "small", dst)
    return dst
