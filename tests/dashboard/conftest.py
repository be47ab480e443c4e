"""Dashboard fixtures: the Trafford demo loaded into the session's real store, and the app over it."""

from __future__ import annotations

import pytest

from ecosystem.demo import DEMO_AS_OF, DEMO_DIR, DEMO_PLACE, DEMO_SOURCE

DEMO_QUERY = {"place": DEMO_PLACE, "as_of": DEMO_AS_OF.isoformat()}


@pytest.fixture(scope="session")
def demo_store(graph_store):
    """The session store holding exactly the demo (loaded once per session)."""
    from ecosystem import pipeline

    graph_store.wipe()
    pipeline.load(graph_store, [DEMO_DIR], fmt="template", source=DEMO_SOURCE)
    return graph_store


@pytest.fixture(scope="session")
def dash_app(demo_store):
    from dashboard.app import create_app

    return create_app(demo_store, query=DEMO_QUERY)


@pytest.fixture(scope="module")
def app_over_demo(dash_app, demo_store):
    """The app reading the demo store (re-pointed here in case a test pointed it elsewhere)."""
    from dashboard import state

    state.configure(demo_store, defaults=DEMO_QUERY)
    yield dash_app
    state.configure(demo_store, defaults=DEMO_QUERY)
