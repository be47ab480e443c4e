"""The /market page on the small market of ``market_fixture`` (every figure worked out by hand there): its callbacks
as plain functions, then in a real headless browser — filters and address, the trend's dates, downloads whose
cells a spreadsheet cannot run, the accessibility audit, nothing fetched from outside."""

from __future__ import annotations

import csv
import io
import os
import pathlib
import shutil

import pytest
from market_fixture import AS_OF, FORMULA_TITLE, PLACE, find, flat, panels_of, write_template
from support import ARGS, CHROMIUM, chart_table, choose, draw_charts, serving

from dashboard import state

VIEW = f"?place={PLACE}&as_of={AS_OF}"
SHOTS = pathlib.Path(os.environ.get("ECOMAP_SCREENSHOTS", "/tmp"))
browser_only = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def market_app(dash_app, demo_store, tmp_path_factory):
    from ecosystem import pipeline
    from ecosystem.demo import DEMO_AS_OF, DEMO_DIR, DEMO_PLACE, DEMO_SOURCE

    demo_store.wipe()
    pipeline.load(demo_store, [write_template(tmp_path_factory.mktemp("market") / "t")], fmt="template")
    state.configure(demo_store, defaults={"place": PLACE, "as_of": AS_OF})
    yield dash_app
    demo_store.wipe()  # the other dashboard tests read the demo
    pipeline.load(demo_store, [DEMO_DIR], fmt="template", source=DEMO_SOURCE)
    state.configure(demo_store, defaults={"place": DEMO_PLACE, "as_of": DEMO_AS_OF.isoformat()})


@pytest.fixture(scope="module")
def market(market_app):
    from dashboard.pages import market

    return market


def rows_of(body, ident):
    wrap = find(body, f"{ident}-wrap")
    assert wrap is not None, ident
    return chart_table(wrap).data  # a chart's table is drawn when its disclosure opens: its rows wait beside it


def test_who_provides_and_how_concentrated(market):
    body, msg = market.update(PLACE, None, AS_OF, "")
    assert msg is None
    shown = flat(body)
    # VCSE: FOODBANK 60 + MIND 30 of 110 people of supply
    assert "VCSE share of supply" in shown and "82%" in shown
    assert rows_of(body, "market-diversity-table") == [
        {"Place": "Riverside", "Category": "Food support", "Sector": "Voluntary and community (VCSE)",
         "Share of supply %": 75.0, "Providers": 1, "Supply (people)": 60.0},
        {"Place": "Riverside", "Category": "Food support", "Sector": "Private", "Share of supply %": 25.0,
         "Providers": 1, "Supply (people)": 20.0},
        {"Place": "Riverside", "Category": "Mental health", "Sector": "Voluntary and community (VCSE)",
         "Share of supply %": 100.0, "Providers": 1, "Supply (people)": 30.0},
        {"Place": "Riverside", "Category": "Mental health", "Sector": "Sector not recorded", "Share of supply %": 0.0,
         "Providers": 1, "Supply (people)": 0.0}]
    assert "Some providers have no sector recorded" in shown
    bars = find(body, "market-diversity").figure
    assert {t.name: list(t.x) for t in bars.data if t.xaxis == "x"} == {"Voluntary and community (VCSE)": [0.75, 1.0], "Private": [0.25],
                                                      "Sector not recorded": [0.0]}
    conc = rows_of(body, "market-concentration-table")
    assert [(r["Category"], r["HHI"], r["Concentrated"]) for r in conc] == [("Mental health", 10000.0, "yes"),
                                                                           ("Food support", 6250.0, "yes")]
    assert "2 of 2 categories are concentrated" in shown
    assert conc[1]["Largest provider"].startswith("[Riverside Food Bank](/organisation/FOODBANK?place=LA1")


def test_how_secure_the_money_is_per_funder_and_currency(market):
    body, _ = market.update(PLACE, None, AS_OF, "")
    sec = rows_of(body, "market-security-table")
    got = [(r["Funder"].split("](")[0].lstrip("["), r["Currency"], r["Amount"], r["Flows"], r["Short-term %"],
            r["One to three years %"], r["Multi-year %"]) for r in sec]
    assert got == [("All funders", "GBP", 60000.0, 4, 20.0, 16.7, 63.3), ("All funders", "EUR", 5000.0, 1, 100.0, 0.0, 0.0),
                   ("Riverside Council", "GBP", 48000.0, 2, 25.0, 0.0, 75.0),
                   ("Riverside Trust", "GBP", 12000.0, 2, 0.0, 83.3, 16.7),
                   ("Euro Fund", "EUR", 5000.0, 1, 100.0, 0.0, 0.0)]
    shown = flat(body)
    assert "Funding is in 2 currencies (GBP, EUR)" in shown and "the chart shows GBP" in shown
    assert "Short-term funding (GBP)" in shown and "of £60,000 in flows of 12 months or less" in shown
    assert "Short-term funding (EUR)" in shown and "€5,000" in shown
    chart = find(body, "market-security").figure  # pounds only: the euro flow is not drawn with them
    assert list(chart.data[0].y) == ["All funders", "Riverside Council", "Riverside Trust"]
    assert [round(x, 3) for x in chart.data[2].x] == [0.633, 0.75, 0.167]


def test_the_pipeline_against_gaps_and_cliffs_by_name(market):
    body, _ = market.update(PLACE, None, AS_OF, "")
    pipe = rows_of(body, "market-pipeline")
    assert [r["Procurement"] for r in pipe] == ["Food support for Southbank", FORMULA_TITLE]  # P0 began last year
    p1, p2 = pipe
    assert p1["Category"] == "Food support" and p1["Stage"] == "Tender" and p1["Places"] == "Southbank"
    assert (p1["Starts"], p1["Ends"], p1["Value"], p1["Currency"]) == ("2025-04-01", "2028-03-31", 150000.0, "GBP")
    assert p1["Gaps it may answer"] == "Southbank: under-served, 10 unmet"
    assert p1["Funding cliffs it may answer"].startswith("[Riverside Food Bank](/organisation/FOODBANK?")
    assert p1["Funding cliffs it may answer"].endswith("(£12,000 ending 2025-03-31)")
    assert p1["Buyer"].startswith("[Riverside Council](/organisation/COUNCIL?")
    assert p2["Places"] == "not given" and p2["Stage"] == "Planning" and p2["Ends"] == "" and p2["Value"] is None
    assert p2["Gaps it may answer"] == "Northbank: under-served, 15 unmet; Southbank: under-served, 15 unmet"
    assert p2["Funding cliffs it may answer"] == ""
    assert "2 procurement(s) expected to start after 1 January 2025; 2 may answer a gap or a funding cliff" in flat(body)


def test_a_category_narrows_the_page(market):
    body, msg = market.update(PLACE, "MH", AS_OF, "")
    assert msg is None
    assert [r["Category"] for r in rows_of(body, "market-diversity-table")] == ["Mental health"] * 2
    assert [r["Procurement"] for r in rows_of(body, "market-pipeline")] == [FORMULA_TITLE]
    assert [r["Category"] for r in rows_of(body, "market-concentration-table")] == ["Mental health"]
    shown = flat(body)
    assert "1 of 2 providers here are VCSE" in shown and "100%" in shown
    assert "not split by category" in shown  # funding security is the place's, said so


def test_the_trend_in_small_line_charts(market):
    body, msg = market.trend(PLACE, None, AS_OF, "", "2y")
    assert msg is None
    figs = list(panels_of(find(body, "market-trend-chart").figure).values())
    assert [len(f[0].x) for f in figs] == [9, 9, 9, 9]  # 2023-01-01 … 2025-01-01, quarterly
    need = {t.name: t.y[-1] for t in figs[0]}
    assert need == {"People in need": 150.0, "Supply": 110.0, "Unmet need": 40.0}
    assert [t.name for t in figs[2]] == ["Active funding (GBP)", "Active funding (EUR)"]
    assert figs[2][0].y[-1] == 60000.0 and figs[2][1].y[-1] == 5000.0
    # on 2023-01-01 no flow had started: no money, no line point
    assert figs[2][0].y[0] is None
    rows = rows_of(body, "market-trend-table")
    last = [r for r in rows if r["As of"] == AS_OF]
    assert [(r["Currency"], r["Short-term %"], r["Multi-year %"]) for r in last] == [("GBP", 20.0, 63.3),
                                                                                   ("EUR", 100.0, 0.0)]


def test_wrong_values_and_a_store_that_is_down_are_readable(market, demo_store):
    body, msg = market.update("NOWHERE", None, AS_OF, "")
    assert body == [] and "no place with code 'NOWHERE'" in flat(msg)
    body, msg = market.trend("NOWHERE", None, AS_OF, "", "5y")
    assert body == [] and "no place with code 'NOWHERE'" in flat(msg)
    body, msg = market.trend(PLACE, None, AS_OF, "", ["not", "a", "choice"])  # a scripted value: the default dates
    assert msg is None and len(find(body, "market-trend-chart").figure.data[0].x) == 5
    _, msg = market.update(PLACE, None, AS_OF, "no-such-scenario")
    assert "no saved scenario 'no-such-scenario'" in flat(msg)
    assert "showing Riverside instead" in flat(market.layout(place="NOWHERE", as_of=AS_OF))
    from ecosystem.store import StoreUnavailable

    def down():
        raise StoreUnavailable("cannot reach the graph store at /nowhere")

    state.configure(down)
    try:
        for out in (market.update(PLACE, None, AS_OF, ""), market.trend(PLACE, None, AS_OF, "", "5y")):
            assert out[0] == [] and "graph store cannot be reached" in flat(out[1])
        assert "graph store cannot be reached" in flat(market.layout(place=PLACE, as_of=AS_OF))
    finally:
        state.configure(demo_store, defaults={"place": PLACE, "as_of": AS_OF})


def test_a_scenario_changes_the_figures_and_the_trend_says_it_is_of_the_stored_data(market):
    from ecosystem import analysis as an

    svc = state.service()
    sid = svc.save_scenario("Food bank closes", an.ScenarioOptions.make(
        as_of=AS_OF, place=PLACE, remove_providers=["FOODBANK"]))
    state.note_scenario_saved()
    try:
        body, msg = market.update(PLACE, None, AS_OF, sid)
        assert msg is None and "Food bank closes" in flat(body)
        food = [r for r in rows_of(body, "market-diversity-table") if r["Category"] == "Food support"]
        assert [(r["Sector"], r["Share of supply %"]) for r in food] == [("Private", 100.0)]
        trend, msg = market.trend(PLACE, None, AS_OF, sid, "5y")
        assert msg is None and "The trend is of the data as stored" in flat(trend)
    finally:
        svc.delete_scenario(sid)
        state.note_scenario_saved()


# --------------------------------------------------------------------------
# in the browser
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page(market_app):
    from playwright.sync_api import sync_playwright

    with serving(market_app.server) as base, sync_playwright() as p:
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


def settled(page) -> None:
    page.wait_for_selector("#market-trend-body [role=figure], #market-trend-body p.fst-italic", state="attached")
    page.wait_for_selector("#market-pipeline-wrap, #market-pipeline-empty", state="attached")
    draw_charts(page)  # the charts below the first screen, drawn as they come near it


def outside(page) -> list[str]:
    return sorted({u for u in page.requests if not (u.startswith(page.base + "/") or u.startswith(("data:", "blob:")))})


@browser_only
def test_in_the_browser_filters_follow_the_address_and_the_trend_dates_change(page):
    page.goto(page.base + "/market" + VIEW)
    settled(page)
    text = page.inner_text("main")
    assert "Food support for Southbank" in text and "Southbank: under-served, 10 unmet" in text
    assert "FOODBANK" not in text and "COUNCIL" not in text  # names, not ids
    page.screenshot(path=str(SHOTS / "ecomap-market-fixture.png"), full_page=True)
    page.evaluate("() => { document.querySelector('.ecomap-controls').dataset.mark = 'kept'; }")
    choose(page, "#market-category", "Mental health")
    page.wait_for_function("() => location.search.includes('category=MH')")
    page.wait_for_function("() => document.body.innerText.includes('Supply and providers by sector — Mental health')")
    assert page.evaluate("() => location.search") == f"?place={PLACE}&category=MH&as_of={AS_OF}"
    assert page.evaluate("() => document.querySelector('.ecomap-controls').dataset.mark") == "kept"
    settled(page)
    assert "Food support for Southbank" not in page.inner_text("#market-body")
    page.click("#market-trend")
    page.get_by_text("Quarterly over the last 2 years", exact=True).click()
    page.wait_for_function("() => document.querySelector('#market-trend-chart .js-plotly-plot')"
                           " && document.querySelector('#market-trend-chart .js-plotly-plot').data[0].x.length === 9")
    page.reload()  # the address is the view
    page.wait_for_function("() => document.body.innerText.includes('Supply and providers by sector — Mental health')")
    page.click("#app-navbar >> text=Gaps")  # the navbar carries the view on
    page.wait_for_function("() => location.pathname === '/gaps' && location.search.includes('category=MH')")
    assert page.errors == [] and outside(page) == []


@browser_only
def test_in_the_browser_tables_download_with_names_and_inert_cells(page):
    page.goto(page.base + "/market" + VIEW)
    settled(page)
    with page.expect_download() as got:
        page.click("#market-pipeline-wrap button:has-text('CSV')")
    d = got.value
    assert d.suggested_filename == "ecomap-market-pipeline.csv"
    rows = list(csv.DictReader(io.StringIO(pathlib.Path(d.path()).read_text("utf-8-sig"))))
    assert [r["Procurement"] for r in rows] == ["Food support for Southbank", "'" + FORMULA_TITLE]
    assert rows[0]["Buyer"] == "Riverside Council" and rows[0]["Funding cliffs it may answer"] == \
        "Riverside Food Bank (£12,000 ending 2025-03-31)"
    page.click("details:has(#market-security-table-wrap) > summary")  # the table behind the chart
    with page.expect_download() as got:
        page.click("#market-security-table-wrap button:has-text('Excel')")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(pathlib.Path(got.value.path()).read_bytes()))
    assert [c.value for c in book.active[2]][:3] == ["All funders", "GBP", 60000]
    assert page.errors == []


@browser_only
def test_in_the_browser_a_place_with_nothing_recorded_says_why_in_each_section(page):
    page.goto(page.base + f"/market?place=W3&as_of={AS_OF}")
    settled(page)
    text = page.inner_text("main")
    assert "No active services in this place and category on this date, so there is no supply to divide" in text
    assert "No supply with known capacity here, so concentration cannot be measured." in text
    assert "No active funding to organisations in Quiet End on 1 January 2025" in text
    assert "No procurement is recorded as starting after 1 January 2025" in text
    assert "No providers." in text and "No need or supply recorded." in text and "No active funding." in text
    assert page.locator("#market-diversity, #market-concentration-table-wrap, #market-security").count() == 0  # no blank charts
    assert "Traceback" not in text and "Something went wrong" not in text
    page.screenshot(path=str(SHOTS / "ecomap-market-empty.png"), full_page=True)
    assert page.errors == [] and outside(page) == []


@browser_only
def test_in_the_browser_the_full_page_passes_the_accessibility_audit(page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(page.base + "/market" + VIEW)
    settled(page)
    page.wait_for_load_state("networkidle")
    for summary in page.locator("main details > summary").all():  # the tables behind the charts too
        summary.click()
    result = Axe().run(page, options={"resultTypes": ["violations"],
                                      "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
           for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == []
    assert outside(page) == []


def test_the_dashboards_warm_start_prepares_the_default_trend_too(market, demo_store, monkeypatch):
    from ecosystem import service as service_module
    from ecosystem.service import Ecomap

    state.configure(Ecomap(demo_store), defaults={"place": PLACE, "as_of": AS_OF})
    try:
        state.warm()
        monkeypatch.setattr(service_module.an, "series", lambda *a, **k: pytest.fail("computed again"))
        body, msg = market.trend(PLACE, None, AS_OF, "", None)  # the page's first draw: the default dates
        assert msg is None and find(body, "market-trend-chart") is not None
    finally:
        state.configure(demo_store, defaults={"place": PLACE, "as_of": AS_OF})
