"""The dashboard in a real headless browser (Debian's chromium driven by Playwright) on the demo.

One browser session for the module. Every request the pages make is
recorded: nothing may leave localhost (the app must work with no internet).
"""

from __future__ import annotations

import pathlib
import re
import shutil

import pytest
from support import ALL_CHARTS_DRAWN, ARGS, CHROMIUM, choose, draw_charts, serving

from ecosystem.demo import DEMO_AS_OF, DEMO_PLACE

AS_OF = DEMO_AS_OF.isoformat()
VIEW = f"?place={DEMO_PLACE}&as_of={AS_OF}"
WAIT = 60_000  # ms: a headless browser on two shared cores, with other tests running

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(app_over_demo):
    with serving(app_over_demo.server) as base:
        yield base


@pytest.fixture(scope="module")
def browser_page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.set_default_timeout(WAIT)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.requests, page.errors, page.base = requests, errors, server  # type: ignore[attr-defined]
        yield page
        browser.close()


def external(requests: list[str], base: str) -> list[str]:
    return sorted({u for u in requests if not (u.startswith(base + "/") or u == base or u.startswith(("data:", "blob:")))})


ROUTES = [
    ("/", "#overview-map .choroplethlocation", "People in need"),  # the map has drawn its boundaries
    ("/gaps", "#gaps-heatmap", "Coverage rows"),
    ("/duplication", "#duplication-overlaps-wrap", "Overlapping service pairs"),
    ("/fragility", "#fragility-cliffs", "Funding cliff timeline by quarter"),
    ("/network", "#network-graph canvas", "providers"),
    ("/funding", "#funding-sankey", "of active funding reaches providers"),
    ("/market", "#market-concentration-table-wrap", "How secure the money is"),
    ("/scenario", "#scenario-run", "Choose providers, funders or flows to remove"),
    ("/organisation/GB-DEMO-006", "#organisation-name", "Illustrative: Sale Community Wellbeing Trust"),
    ("/service/DEMO-S02", "#service-name", "Illustrative: Sale Wellbeing Navigators"),
    ("/data", "#data-store", "trafford-demo"),
    ("/workshop", "h1", "Workshop"),  # the workshop page is built and tested under tests/workshop
]


def test_every_route_loads_on_the_demo_with_nothing_from_outside(browser_page):
    page = browser_page
    for path, selector, words in ROUTES:
        page.goto(page.base + path + VIEW)
        page.wait_for_selector(selector, state="attached")
        page.wait_for_function("w => document.body.innerText.includes(w)", arg=words)
        assert "Traceback" not in page.inner_text("body"), path
    page.goto(page.base + "/no-such-page")
    page.wait_for_selector("#not-found")
    assert external(page.requests, page.base) == []
    assert page.errors == []
    css = page.evaluate("() => [...document.styleSheets].map(s => s.href).filter(Boolean)")
    assert any(h.startswith(page.base + "/assets/bootstrap.min.css") for h in css)


def test_change_category_date_and_place_updates_view_and_link(browser_page):
    page = browser_page
    page.goto(page.base + "/" + VIEW)
    page.wait_for_selector("#overview-map .choroplethlocation", state="attached")
    choose(page, "#overview-category", "Food support")
    page.wait_for_function("() => location.search.includes('category=FOOD')")
    page.wait_for_function("() => document.body.innerText.includes('by place — Food support')")
    page.fill("#overview-as-of", "2029-01-01")
    page.press("#overview-as-of", "Enter")
    page.wait_for_function("() => location.search.includes('as_of=2029-01-01')")
    page.click("#overview-place")
    page.get_by_placeholder("Search").fill("Altrinch")
    page.get_by_text("Altrincham (ward)", exact=True).click()
    page.wait_for_function("() => location.search.includes('place=E05015239')")
    # one ward and one category (the figures follow the filter): food support in Altrincham
    page.wait_for_function("() => document.body.innerText.includes('of 1 place × category cells')")
    # the link is shareable: opening it again shows the same view
    url = page.url
    page.goto(url)
    page.wait_for_function("() => document.body.innerText.includes('of 1 place × category cells')")
    assert page.input_value("#overview-as-of") == "2029-01-01"
    # the navbar carries the view to the next page
    page.click("#app-navbar >> text=Gaps")
    page.wait_for_function("() => location.pathname === '/gaps' && location.search.includes('place=E05015239')")
    page.wait_for_selector("#gaps-heatmap", state="attached")
    assert external(page.requests, page.base) == []


def test_follow_a_table_link_to_an_organisation(browser_page):
    page = browser_page
    page.goto(page.base + "/gaps" + VIEW + "&category=HEALTH")
    link = page.locator("#gaps-coverage-wrap a[href^='/organisation/']").first
    link.wait_for()
    name = link.inner_text()
    link.click()
    page.wait_for_function("() => location.pathname.startsWith('/organisation/')")
    page.wait_for_selector("#organisation-name")
    assert page.inner_text("#organisation-name") == name
    assert f"as_of={AS_OF}" in page.url


def test_run_a_scenario_and_see_the_new_gaps(browser_page):
    page = browser_page
    page.goto(page.base + "/scenario" + VIEW)
    page.wait_for_function("() => document.body.innerText.includes('Choose providers, funders or flows')")
    choose(page, "#scenario-providers", "Illustrative: Sale Community Wellbeing Trust")
    page.keyboard.press("Escape")
    page.click("#scenario-run")
    page.wait_for_function("() => document.body.innerText.includes('Added unmet need')")
    added = page.locator("text=Added unmet need").first.locator("xpath=..").inner_text()
    assert re.search(r"\+\d[\d,]*", added), added
    page.wait_for_selector("#scenario-map", state="attached")
    assert page.locator("#scenario-changes-wrap").inner_text().count("Under-served") + \
        page.locator("#scenario-changes-wrap").inner_text().count("Unserved") > 0
    assert external(page.requests, page.base) == []


def test_every_route_passes_an_automated_accessibility_audit(browser_page):
    """axe-core (bundled with axe-playwright-python, injected locally) finds no serious or critical problem."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = browser_page
    found = {}
    for path, selector, words in ROUTES:
        page.goto(page.base + path + VIEW)
        page.wait_for_selector(selector, state="attached")
        page.wait_for_function("w => document.body.innerText.includes(w)", arg=words)
        page.wait_for_load_state("networkidle")
        result = axe.run(page, options={"resultTypes": ["violations"],
                                        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
               for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            found[path] = bad
    assert found == {}
    assert external(page.requests, page.base) == []


def test_network_and_map_download_as_png(browser_page):
    page = browser_page
    page.goto(page.base + "/network" + VIEW)
    page.wait_for_selector("#network-graph canvas", state="attached")
    page.wait_for_function("() => window.cy && window.cy.nodes().length > 10")
    for _ in range(2):  # a second click downloads again
        with page.expect_download() as got:
            page.click("#network-png")
        network = got.value
    assert network.suggested_filename == "ecomap-network.png"
    assert pathlib.Path(network.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page.goto(page.base + "/" + VIEW)
    page.wait_for_selector("#overview-map .choroplethlocation", state="attached")
    page.hover("#overview-map")
    with page.expect_download() as got:
        page.click("#overview-map [data-title='Download plot as a PNG']")
    figure = got.value
    assert figure.suggested_filename.endswith(".png")
    data = pathlib.Path(figure.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert external(page.requests, page.base) == []


def test_network_search_box_focuses_one_organisation_and_the_view_by_category(browser_page):
    page = browser_page
    page.goto(page.base + "/network" + VIEW)
    page.wait_for_selector("#network-graph canvas", state="attached")
    page.wait_for_function("() => document.querySelector('#network-body').innerText.includes('links drawn')")
    page.click("#network-focus")
    page.get_by_placeholder("Search").fill("Sale Community Wellbeing")
    page.get_by_text("Illustrative: Sale Community Wellbeing Trust", exact=True).filter(visible=True).click()
    page.wait_for_function("() => document.querySelector('#network-body').innerText"
                           ".includes('Illustrative: Sale Community Wellbeing Trust: ')")
    body = page.inner_text("#network-body")
    assert re.search(r"\d+ funder\(s\), funds \d+ organisation\(s\), \d+ partner\(s\), \d+ active service\(s\)", body)
    # as Cytoscape draws them: partnerships pink and dashed (their rule comes after the general line's), the
    # rest quick "haystack" lines with no arrowhead
    drawn = page.evaluate("""() => {
        const cy = document.querySelector('#network-graph')._cyreg.cy;
        const look = e => [e.style('curve-style'), e.style('line-style'), e.style('line-color')];
        return {partners: cy.edges('.partners').map(look), other: cy.edges().not('.partners').map(look)}; }""")
    assert drawn["partners"] and all(p == ["straight", "dashed", "rgb(204,121,167)"] for p in drawn["partners"])
    assert drawn["other"] and all(o[0] == "haystack" and o[1] == "solid" for o in drawn["other"])
    page.goto(page.base + "/network" + VIEW)
    page.wait_for_selector("#network-graph canvas", state="attached")
    page.click("#network-mode")
    page.get_by_text("By category", exact=True).click()
    page.wait_for_function("() => document.querySelector('#network-body').innerText"
                           ".includes('grouped by service category')")
    assert page.errors == []


def test_a_filter_change_updates_the_address_without_drawing_the_page_again(browser_page):
    page = browser_page
    page.goto(page.base + "/" + VIEW)
    page.wait_for_selector("#overview-map .choroplethlocation", state="attached")
    page.evaluate("() => { document.querySelector('.ecomap-controls').dataset.mark = 'kept'; }")
    choose(page, "#overview-category", "Food support")
    page.wait_for_function("() => document.body.innerText.includes('by place — Food support')")
    page.wait_for_function("() => window.location.search.includes('category=FOOD')")
    assert page.evaluate("() => window.location.search") == f"?place={DEMO_PLACE}&category=FOOD&as_of={AS_OF}"
    # the page's controls are the same elements: the router did not draw the page again
    assert page.evaluate("() => document.querySelector('.ecomap-controls').dataset.mark") == "kept"
    page.reload()  # the address is a shareable link to the view
    page.wait_for_function("() => document.body.innerText.includes('by place — Food support')")
    assert page.errors == []


def test_the_map_as_a_table_shows_the_view_shown_now_when_opened(browser_page):
    page = browser_page
    page.goto(page.base + "/" + VIEW)
    page.wait_for_selector("#overview-map .choroplethlocation", state="attached")
    table = page.locator("#overview-leaves-wrap")
    assert not table.is_visible()
    page.click("#overview-map-summary")  # opened: every category added up, a row per ward
    page.wait_for_function("() => document.querySelector('#overview-leaves-caption').innerText.startsWith('By place (every')")
    wards = page.locator("#overview-map .choroplethlocation").count()  # a row for each place on the map
    assert table.is_visible() and page.locator("#overview-leaves-count").inner_text() == f"{wards} row(s)"
    choose(page, "#overview-category", "Food support")  # while open it follows the filter
    page.wait_for_function("() => document.querySelector('#overview-leaves-caption').innerText === 'By place — Food support'")
    page.click("#overview-map-summary")  # closed, then another category, then opened again: never the old figures
    choose(page, "#overview-category", "Youth services")
    page.wait_for_function("() => document.body.innerText.includes('by place — Youth services')")
    page.press("#overview-map-summary", "Enter")  # from the keyboard too
    page.wait_for_function("() => document.querySelector('#overview-leaves-caption').innerText === 'By place — Youth services'")
    assert table.is_visible()


def test_a_charts_table_is_drawn_when_first_opened_and_downloads_every_row(browser_page):
    page = browser_page
    page.goto(page.base + "/gaps" + VIEW)
    page.wait_for_selector("#gaps-heatmap .main-svg")
    summary = "details[data-ecomap-table='gaps-matrix'] > summary"
    assert page.locator("#gaps-matrix-wrap .dash-spreadsheet").count() == 0  # closed: not drawn
    page.press(summary, "Enter")  # opened from the keyboard
    page.wait_for_selector("#gaps-matrix-wrap .dash-spreadsheet tbody tr")
    rows = int(page.inner_text("#gaps-matrix-count").split()[0].replace(",", ""))
    assert rows > 15 and page.locator("#gaps-matrix-wrap tbody tr").count() == 15 + 2  # a page of rows, the header and the filters
    # in the page's own face, not DataTable's monospace
    assert "monospace" not in page.eval_on_selector("#gaps-matrix-wrap td.dash-cell", "e => getComputedStyle(e).fontFamily")
    with page.expect_download() as got:
        page.click("#gaps-matrix-wrap button:has-text('CSV')")
    lines = pathlib.Path(got.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == rows + 1 and lines[0].startswith("Place,")  # every row, not only the page shown
    page.click(summary)
    page.click(summary)  # closed and opened again: drawn once, still there
    assert page.locator("#gaps-matrix-wrap tbody tr").count() == 15 + 2
    assert page.errors == []


def test_bar_and_heatmap_labels_fit_inside_their_charts(browser_page):
    """Their margins are worked out on the server (no measuring and second draw in the browser): no label may be cut."""
    page = browser_page
    for route, graphs in (("/fragility", ["#fragility-dependency", "#fragility-critical", "#fragility-cliffs"]), ("/gaps", ["#gaps-heatmap"]),
                          ("/market", ["#market-diversity", "#market-security"])):
        page.goto(page.base + route + VIEW)
        draw_charts(page)
        for g in graphs:
            page.wait_for_selector(f"{g} .main-svg")
            out = page.eval_on_selector(g, """g => { const box = g.querySelector('.main-svg').getBoundingClientRect();
                return [...g.querySelectorAll('.ytick text, .xtick text')].filter(t => t.textContent)
                  .filter(t => { const r = t.getBoundingClientRect(); return r.width > 0 && (r.left < box.left - 0.5 || r.top < box.top - 0.5); })
                  .map(t => t.textContent); }""")
            assert out == [], (route, g)
            assert page.locator(f"{g} .ytick text").count() > 0
    assert page.errors == []


def test_every_chart_is_drawn_once_its_margins_already_holding_its_labels_legends_and_colour_bar(browser_page):
    """Plotly widens a margin that its labels, legend or colour bar do not fit in and then draws the whole chart
    again (about 200 ms of a market page at la scale): each chart's margins are set on the server to hold them."""
    page = browser_page
    pushed = {}
    for route in ("/", "/gaps", "/fragility", "/funding", "/market"):
        page.goto(page.base + route + VIEW)
        page.wait_for_function("""() => { const gs = [...document.querySelectorAll('.dash-graph')];
            return gs.length && gs.every(g => g.querySelector('.main-svg')) && !document.querySelector('.dash-graph--pending'); }""")
        draw_charts(page)
        charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
            const m = gd._fullLayout.margin, s = gd._fullLayout._size;
            return [gd.parentElement.id || gd.id, [m.l, m.r, m.t, m.b], [s.l, s.r, s.t, s.b]]; })""")
        assert charts, route
        pushed.update({(route, c): (m, s) for c, m, s in charts if m != s})
    assert pushed == {}
    assert page.errors == []


def test_the_place_dropdown_finds_a_place_it_was_not_sent_by_asking_the_server(browser_page, monkeypatch):
    from dashboard.pages import _common

    monkeypatch.setattr(_common, "PLACE_OPTIONS", 2)
    page = browser_page
    page.goto(page.base + "/gaps" + VIEW)
    page.wait_for_selector("#gaps-heatmap", state="attached")
    page.click("#gaps-place")
    menu = page.locator(".dash-dropdown-options")
    menu.get_by_text(re.compile(r"^… and \d+ more: type more of the name$")).wait_for()
    assert menu.get_by_text("Urmston (ward)", exact=True).count() == 0  # not sent with the page
    page.locator(".dash-dropdown-content .dash-dropdown-search").fill("urmst")
    menu.get_by_text("Urmston (ward)", exact=True).click()
    page.wait_for_function("() => location.search.includes('place=E05015259')")
    page.wait_for_function("() => document.body.innerText.includes('Urmston')")
    assert page.errors == []


def test_a_chart_is_laid_out_again_only_when_its_size_changes(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1300, "height": 900})
    page.goto(page.base + "/fragility" + VIEW)
    draw_charts(page)
    page.wait_for_selector("#fragility-cliffs .main-svg", state="attached")
    page.wait_for_function("() => !document.querySelector('.dash-graph--pending')")
    same = page.evaluate("""async () => { const gd = document.querySelector('#fragility-cliffs .js-plotly-plot');
        let laid = 0; gd.on('plotly_relayout', () => { laid += 1; });
        const t = performance.now(); await Plotly.Plots.resize(gd); return [performance.now() - t, laid]; }""")
    assert same[0] < 90 and same[1] == 0  # Plotly's own resize waits 100 ms, then lays the chart out again
    page.set_viewport_size({"width": 900, "height": 900})  # a narrower window: the chart follows it
    page.wait_for_function("""() => { const gd = document.querySelector('#fragility-cliffs .js-plotly-plot');
        return Math.abs(gd._fullLayout.width - parseFloat(getComputedStyle(gd).width)) <= 1 && gd._fullLayout.width < 900; }""")
    page.set_viewport_size({"width": 1300, "height": 900})
    assert page.errors == []


def test_a_chart_below_the_first_screen_is_drawn_as_it_comes_near_and_again_after_a_filter_change(browser_page):
    """A chart far below the first screen waits in a slot of its height; scrolled to, it is drawn (once the page's
    own charts are); a new body from a filter change leaves it waiting again; printing draws every one."""
    page = browser_page
    page.set_viewport_size({"width": 1300, "height": 500})
    try:
        page.goto(page.base + "/fragility" + VIEW)
        page.wait_for_selector("#fragility-dependency .main-svg", state="attached", timeout=WAIT)
        page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=WAIT)
        page.wait_for_timeout(600)  # longer than a slot must stay near before it is drawn
        slot = page.locator(".ecomap-lazy-chart").filter(has_text="Drawing the chart")
        top = page.evaluate("() => document.querySelector('#fragility-critical-table-wrap')"
                            ".closest('section').getBoundingClientRect().top")
        assert top > 500 + 400  # far below the screen and its margin: not drawn yet
        assert page.locator("#fragility-critical").count() == 0 and slot.count() == 2
        held = page.evaluate("() => [...document.querySelectorAll('.ecomap-lazy-chart')].map(s => s.style.minHeight)")
        assert all(h.endswith("px") and float(h[:-2]) >= 260 for h in held), held  # the page does not jump
        page.locator("#fragility-critical-table-wrap").evaluate("e => e.closest('section').scrollIntoView()")
        page.wait_for_selector("#fragility-critical .main-svg", state="attached", timeout=WAIT)
        bars = page.evaluate("() => document.querySelector('#fragility-critical .js-plotly-plot').data[0].y.length")
        assert bars > 0
        page.evaluate("() => window.scrollTo(0, 0)")
        choose(page, "#fragility-category", "Food support")
        page.wait_for_function("() => location.search.includes('category=')", timeout=WAIT)
        page.wait_for_function("() => !document.querySelector('#fragility-critical')", timeout=WAIT)  # waiting again
        page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=WAIT)
        assert page.locator(".ecomap-lazy-note").count() == 0
    finally:
        page.set_viewport_size({"width": 1300, "height": 900})
    assert page.errors == []


def test_the_charts_are_drawn_by_the_dashboards_own_plotly_js(browser_page):
    """Dash's renderer asks for plotly.js at its usual address and gets the partial bundle (dashboard/vendor):
    only the traces ecomap draws, every one of them drawn on the demo."""
    page = browser_page
    drawn: set[str] = set()
    for path, selector in (("/", "#overview-map .choroplethlocation"), ("/gaps", "#gaps-heatmap .hm"),
                           ("/funding", "#funding-sankey .sankey"), ("/market", "#market-trend-chart .scatterlayer .trace")):
        page.goto(page.base + path + VIEW)
        if path == "/market":
            page.wait_for_selector("#market-trend-body .ecomap-lazy-chart", state="attached")
            draw_charts(page)
        page.wait_for_selector(selector, state="attached")
        drawn |= set(page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                                   ".flatMap(g => (g.data || []).map(t => t.type || 'scatter'))"))
        registered = set(page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"))
        assert registered == {"scatter", "bar", "heatmap", "sankey", "choropleth"}, path
    assert drawn == {"scatter", "bar", "heatmap", "sankey", "choropleth"}
    assert page.errors == []
