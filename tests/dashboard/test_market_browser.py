"""The /market page on the demo in a real headless browser: every section drawn with names, nothing fetched from
outside (the figures themselves are tested on a small
market worked out by hand, in test_market_page.py)."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest
from support import ARGS, CHROMIUM, draw_charts, serving

from ecosystem.demo import DEMO_AS_OF, DEMO_PLACE

AS_OF = DEMO_AS_OF.isoformat()
VIEW = f"?place={DEMO_PLACE}&as_of={AS_OF}"
SHOTS = pathlib.Path(os.environ.get("ECOMAP_SCREENSHOTS", "/tmp"))

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def page(app_over_demo):
    from playwright.sync_api import sync_playwright

    with serving(app_over_demo.server) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 1000})
        pg.set_default_timeout(60_000)
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.base, pg.errors, pg.requests = base, errors, requests  # type: ignore[attr-defined]
        yield pg
        browser.close()


def outside(page) -> list[str]:
    return sorted({u for u in page.requests if not (u.startswith(page.base + "/") or u.startswith(("data:", "blob:")))})


def settled(page) -> None:
    page.wait_for_selector("#market-trend-body [role=figure], #market-trend-body p.fst-italic", state="attached")
    page.wait_for_selector("#market-pipeline-wrap, #market-pipeline-empty", state="attached")
    draw_charts(page)  # the charts below the first screen, drawn as they come near it


def test_the_market_page_draws_every_section_of_the_demo_with_names(page):
    from dashboard import state

    a = state.analysis_for(state.make_view(DEMO_PLACE, None, AS_OF)[0]).analysis
    page.goto(page.base + "/market" + VIEW)
    settled(page)
    text = page.inner_text("main")
    for heading in ("Market shaping", "Who provides", "How concentrated", "How secure the money is",
                    "What is being procured", "The trend"):
        assert heading in text, heading
    assert "Traceback" not in text and "Something went wrong" not in text
    assert page.locator("#market-diversity .js-plotly-plot").count() == 1
    assert page.locator("#market-concentration-table-wrap").count() == 1
    assert page.locator("#market-security .js-plotly-plot").count() == (1 if len(a.funding_security) else 0)
    if len(a.pipeline):
        shown = page.inner_text("#market-pipeline-wrap")
        assert f"{len(a.pipeline):,} row(s)" in shown
        names = state.names(DEMO_PLACE)
        assert names.organisation(a.pipeline["buyer"].iloc[0]) in shown and a.pipeline["buyer"].iloc[0] not in shown
    else:
        assert page.locator("#market-pipeline-empty").count() == 1
    assert page.locator("#market-trend-chart .js-plotly-plot").count() == 1
    legends = page.evaluate("() => Object.fromEntries(['legend', 'legend2', 'legend3', 'legend4'].map(l => [l, "
                            "[...document.querySelectorAll(`#market-trend-chart .${l}text`)].map(t => t.textContent)]))")
    assert {"People in need", "Unmet need"} <= set(legends["legend"])  # each small chart has its own legend
    assert "Voluntary and community (VCSE)" in legends["legend2"] and legends["legend3"][0].startswith("Active funding")
    assert legends["legend4"][:2] == ["Short-term", "Multi-year"]
    page.screenshot(path=str(SHOTS / "ecomap-market.png"), full_page=True)
    assert page.errors == [] and outside(page) == []
