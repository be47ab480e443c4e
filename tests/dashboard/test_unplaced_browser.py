"""The overview and data pages say what has no place, by name, in a real headless browser.

The ecosystem is the place-scope fixture of tests/analysis/test_place_scope.py (drawn there):
two organisations with no place receive two active flows, £1,000.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest
from scope_fixture import AS_OF, write_template
from support import ARGS, CHROMIUM, serving

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")

QUERY = {"place": "LA1", "as_of": AS_OF}
#: where the screenshots go (look at them: they are the pages a commissioner sees)
SHOTS = pathlib.Path(os.environ.get("ECOMAP_SCREENSHOTS", "/tmp"))


@pytest.fixture(scope="module")
def scope_app(dash_app, demo_store, tmp_path_factory):
    from dashboard import state
    from ecosystem import pipeline
    from ecosystem.demo import DEMO_AS_OF, DEMO_DIR, DEMO_PLACE, DEMO_SOURCE

    demo_store.wipe()
    pipeline.load(demo_store, [write_template(tmp_path_factory.mktemp("scope") / "t")], fmt="template")
    state.configure(demo_store, defaults=QUERY)
    yield dash_app
    demo_store.wipe()  # the other dashboard tests read the demo
    pipeline.load(demo_store, [DEMO_DIR], fmt="template", source=DEMO_SOURCE)
    state.configure(demo_store, defaults={"place": DEMO_PLACE, "as_of": DEMO_AS_OF.isoformat()})


@pytest.fixture(scope="module")
def page(scope_app):
    from playwright.sync_api import sync_playwright

    with serving(scope_app.server) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 1000})
        pg.set_default_timeout(60_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.base, pg.errors = base, errors  # type: ignore[attr-defined]
        yield pg
        browser.close()


SENTENCE = ("Unplaced: 2 organisations and 2 active funding flows (£1,000) have no place (no service area, base or "
            "beneficiary place), so no place’s analysis counts them — e.g. Somewhere group, Stretford club.")


def test_overview_says_what_has_no_place(page):
    page.goto(f"{page.base}/?place=LA1&as_of={AS_OF}")
    page.wait_for_function("w => document.body.innerText.includes(w)", arg="Unplaced: 2 organisations")
    text = page.inner_text("body")
    assert SENTENCE in text
    assert "load a postcode lookup (such as an ONS Postcode Directory extract) covering M32" in text
    assert "load boundaries for E08000009 (a metropolitan borough)" in text
    assert "NOWHERE2" not in text  # names, not ids
    page.screenshot(path=str(SHOTS / "ecomap-overview-unplaced.png"), full_page=True)
    assert page.errors == []


def test_data_page_lists_the_organisations_with_no_place(page):
    page.goto(f"{page.base}/data?place=LA1&as_of={AS_OF}")
    page.wait_for_selector("#data-unplaced-wrap", state="attached")
    page.wait_for_function("w => document.body.innerText.includes(w)", arg="Stretford club")
    text = page.inner_text("#data-body")
    assert SENTENCE in text and "Organisations with no place" in text
    assert "Somewhere group" in text and "M32 0TH" in text and "NOWHERE" not in text
    page.screenshot(path=str(SHOTS / "ecomap-data-unplaced.png"), full_page=True)
    assert page.errors == []
