"""The /market page on the demo in a real headless browser: every section drawn, the filters and the address,
the trend's dates, a table's download, the empty states, the accessibility audit, nothing from outside."""

from __future__ import annotations

import csv
import io
import os
import pathlib
import shutil

import pytest
from support import ARGS, CHROMIUM, serving

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
        pg = browser.new_page(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
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
    page.wait_for_selector("#market-trend-0 .main-svg", state="attached")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def analysis():
    from dashboard import state

    return state.analysis_for(state.make_view(DEMO_PLACE, None, AS_OF)[0]).analysis


def test_the_market_page_draws_every_section_with_names(page):
    a = analysis()
    page.goto(page.base + "/market" + VIEW)
    page.wait_for_selector("#market-concentration .main-svg", state="attached")
    settled(page)
    text = page.inner_text("main")
    for heading in ("Market shaping", "Who provides", "How concentrated", "How secure the money is",
                    "What is being procured", "The trend"):
        assert heading in text, heading
    assert "Traceback" not in text and "Something went wrong" not in text
    # the demo has providers of more than one sector, funding and procurements (so every figure says something)
    assert page.locator("#market-diversity .main-svg").count() == 1
    assert page.locator("#market-security .main-svg").count() == 1
    assert len(a.pipeline) > 0 and page.locator("#market-pipeline-wrap").count() == 1
    rows = page.locator("#market-pipeline-wrap tr").count() - 2  # the header and the filter row
    assert rows == min(len(a.pipeline), 10)
    # names, never codes, in the pipeline
    pipeline = page.inner_text("#market-pipeline-wrap")
    for code in set(a.pipeline["buyer"]) | set(a.pipeline["category"]) - {"unclassified"}:
        assert f" {code} " not in f" {pipeline} ", code
    assert page.locator("#market-trend-body [role=figure]").count() == 4
    page.screenshot(path=str(SHOTS / "ecomap-market.png"), full_page=True)
    assert page.errors == [] and outside(page) == []


def test_category_and_date_follow_the_address_and_the_trend_dates_change(page):
    page.goto(page.base + "/market" + VIEW)
    settled(page)
    page.evaluate("() => { document.querySelector('.ecomap-controls').dataset.mark = 'kept'; }")
    page.click("#market-category")
    page.keyboard.type("Food support")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('category=FOOD')")
    page.wait_for_function("() => document.body.innerText.includes('Providers by sector — Food support')")
    assert page.evaluate("() => location.search") == f"?place={DEMO_PLACE}&category=FOOD&as_of={AS_OF}"
    assert page.evaluate("() => document.querySelector('.ecomap-controls').dataset.mark") == "kept"
    settled(page)
    page.wait_for_function("() => document.querySelector('#market-trend-body').innerText.includes('Food support')")
    before = page.inner_text("#market-trend-body")
    page.click("#market-trend")
    page.get_by_text("The last 2 years, quarterly", exact=True).click()
    page.wait_for_function("b => document.querySelector('#market-trend-body').innerText !== b", arg=before)
    settled(page)
    points = page.evaluate("() => document.querySelector('#market-trend-0 .js-plotly-plot').data[0].x.length")
    assert points == 9  # two years, quarterly, both ends included
    page.reload()  # the address is the view
    page.wait_for_function("() => document.body.innerText.includes('Providers by sector — Food support')")
    assert page.input_value("#market-as-of") == AS_OF
    page.click("#app-navbar >> text=Fragility")  # the navbar carries the view on
    page.wait_for_function("() => location.pathname === '/fragility' && location.search.includes('category=FOOD')")
    assert page.errors == [] and outside(page) == []


def test_the_pipeline_downloads_as_csv_with_names(page):
    a = analysis()
    page.goto(page.base + "/market" + VIEW)
    page.wait_for_selector("#market-pipeline-wrap")
    with page.expect_download() as got:
        page.click("#market-pipeline-wrap button:has-text('CSV')")
    d = got.value
    assert d.suggested_filename == "ecomap-market-pipeline.csv"
    rows = list(csv.DictReader(io.StringIO(pathlib.Path(d.path()).read_text("utf-8-sig"))))
    assert len(rows) == len(a.pipeline)
    assert {"Procurement", "Buyer", "Category", "Gaps it may answer", "Funding cliffs it may answer"} <= set(rows[0])
    assert all("](" not in r["Buyer"] for r in rows)  # link cells as their text
    with page.expect_download() as got:
        page.click("#market-security-table-wrap button:has-text('Excel')", force=True)
    assert got.value.suggested_filename == "ecomap-market-security-table.xlsx"
    assert pathlib.Path(got.value.path()).read_bytes()[:2] == b"PK"


def test_a_date_with_nothing_to_show_says_why_in_each_section(page):
    page.goto(page.base + f"/market?place={DEMO_PLACE}&as_of=2045-01-01")
    page.wait_for_selector("#market-pipeline-empty")
    settled(page)
    text = page.inner_text("main")
    assert "No procurement is recorded as starting after 1 January 2045" in text
    assert "No active funding to organisations in Trafford on 1 January 2045" in text
    assert "No active services in this place and category on this date" in text
    assert "Traceback" not in text
    page.screenshot(path=str(SHOTS / "ecomap-market-empty.png"), full_page=True)
    assert page.errors == []
