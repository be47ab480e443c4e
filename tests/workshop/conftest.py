"""Workshop fixtures: the small hand-made template loaded once per module into the session's real store.

The small place (tests/fixtures/template/small)::

    LA (Town, 300 people)
    ├── W1 North (100)   need mh 50 + 60×100/300 = 70
    └── W2 South (200)   need mh 60×200/300 = 40
    P1 Provider One delivers S1 Talk (mh, W1;W2, capacity 90); P2 Provider Two delivers S2 Walk (mh, W2, 10)
    C1 Council funds P1 (F1, for S1) and P2 (F2); P1 and P2 refer to each other

At 2026-01-01 W1 gets 90×100/300 = 30 of S1's places: under-served (40 of 70 unmet); W2 gets 60 + 10 = 70
for 40 in need (175%, two providers: duplication); P1 is W1's only mh provider; P1 and P2 each get all
their funding from C1.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import uuid

import pytest

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def small(graph_store):
    """The session store holding exactly the small template (loaded once per module)."""
    from ecosystem import pipeline

    graph_store.wipe()
    pipeline.load(graph_store, [FIXTURES / "template" / "small"], fmt="template", source="small")
    return graph_store


@pytest.fixture(scope="module")
def findings(small):
    """The small place's findings by id, as the dashboard gets them (analysis of LA at AS_OF)."""
    from ecosystem import analysis as an
    from ecosystem.service import Ecomap

    return {f["id"]: f for f in an.findings(Ecomap(small).analysis("LA", AS_OF))}


@pytest.fixture
def fresh():
    """A fresh workshop name per test (the store is shared by the module)."""
    return lambda stem="Board": f"{stem} {uuid.uuid4().hex[:8]}"
