"""Page callbacks called as plain functions on the Trafford demo in the session's real store."""

from __future__ import annotations

import base64
import io
import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import state
from ecosystem.demo import DEMO_AS_OF, DEMO_PLACE

AS_OF = DEMO_AS_OF.isoformat()


def text(component) -> str:
    """Every string in a component tree (what a person would read, plus table cells)."""
    out: list[str] = []

    def walk(x):
        if x is None:
            return
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for y in x.values():
                walk(y)
        elif hasattr(x, "to_plotly_json"):
            d = x.to_plotly_json()
            walk(d.get("props", d))
    walk(component)
    return " ".join(out)


@pytest.fixture(scope="module")
def pages(app_over_demo):
    from dashboard.pages import (data, duplication, fragility, funding, gaps, network, organisation, overview,
                                 scenario, service)
    return dict(overview=overview, gaps=gaps, duplication=duplication, fragility=fragility, network=network,
                funding=funding, scenario=scenario, organisation=organisation, service=service, data=data)


def expected_demo_totals(store):
    """Need and unmet recomputed from the store's own analysis (the dashboard must show the same)."""
    from ecosystem.service import Ecomap

    return Ecomap(store).analysis(DEMO_PLACE, DEMO_AS_OF).totals()


def overview(pages, *args, table_open=True):
    """The overview callback's answer as (everything a person reads but the map, the map's figure, hidden, message),
    with the map's table open (``table_open``: its summary clicked once).

    Of each table, what a person reads: its caption, row count, empty note, column names and rows."""
    out = dict(zip([(o.component_id_str(), o.component_property) for o in pages["overview"].OUTPUTS],
                   pages["overview"].update(*args, 1 if table_open else 0)))
    assert len(out) == len(pages["overview"].OUTPUTS)
    shown = [v for (cid, prop), v in out.items() if prop == "children" and cid != "overview-message"]
    for t in ("overview-leaves", "overview-worst"):
        key = '{"table":"%s","type":"ecomap-table"}' % t
        shown += [[c["name"] for c in out[(key, "columns")]], out[(key, "data")]]
    figure = out[("overview-map", "figure")]  # the plain figure sent to the browser, read as a Plotly figure
    figure = go.Figure(figure) if isinstance(figure, dict) else figure
    return shown, figure, out[("overview-map-section", "hidden")], \
        out[("overview-message", "children")]


def test_overview_shows_headline_figures_with_names(pages, demo_store):
    body, figure, hidden, msg = overview(pages, DEMO_PLACE, None, AS_OF, "", "unmet")
    assert msg is None and hidden is False
    t = expected_demo_totals(demo_store)
    shown = text(body)
    assert f"{t['demand']:,.0f}" in shown and f"{t['unmet']:,.0f}" in shown
    assert f"of {t['cells']:,} place × category cells" in shown
    assert "Altrincham" in shown and "E05015239" in shown  # a ward's name, its code in the table
    assert "Unmet need (people) by place — All categories" in shown
    assert figure.data[0].type == "choropleth" and len(figure.data[0].locations) == 21
    assert figure.layout.uirevision == DEMO_PLACE


def test_the_overview_map_stays_mounted_and_takes_each_new_figure(pages):
    """The page holds one map, two tables and six headline figures; the callback gives them a figure, rows and
    texts instead of drawing a new map, new tables and new cards on each change."""
    page = pages["overview"].layout(place=DEMO_PLACE, as_of=AS_OF)
    graphs = [c for c in _walk(page) if type(c).__name__ == "Graph"]
    assert [g.id for g in graphs] == ["overview-map"]
    cards = [c.id for c in _walk(page) if str(getattr(c, "id", "")).endswith("-value")]
    assert len(cards) == 6 and ("overview-card-0-value", "children") in {
        (o.component_id_str(), o.component_property) for o in pages["overview"].OUTPUTS}
    tables = [c.id["table"] for c in _walk(page) if type(c).__name__ == "DataTable"]
    assert tables == ["overview-leaves", "overview-worst"]
    outputs = {(o.component_id_str(), o.component_property) for o in pages["overview"].OUTPUTS}
    assert ("overview-map", "figure") in outputs and ("overview-body", "children") not in outputs
    for t in tables:  # their rows are filled in; nothing above them is replaced
        assert ('{"table":"%s","type":"ecomap-table"}' % t, "data") in outputs
        assert (f"{t}-wrap", "children") not in outputs
    assert ("overview-worst", "children") not in outputs and ("overview-map-section", "children") not in outputs
    assert ("overview-cards", "children") not in outputs
    _, unmet, _, _ = overview(pages, DEMO_PLACE, None, AS_OF, "", "unmet")
    _, food, _, _ = overview(pages, DEMO_PLACE, "FOOD", AS_OF, "", "coverage")
    assert list(food.data[0].locations) == list(unmet.data[0].locations)
    assert food.data[0].zmax == 2.0 and food.data[0].reversescale is False and unmet.data[0].reversescale is True


def _walk(component):
    yield component
    kids = getattr(component, "children", None)
    for k in (kids if isinstance(kids, (list, tuple)) else [kids]):
        if k is not None and hasattr(k, "to_plotly_json"):
            yield from _walk(k)


def test_overview_category_and_date_change_the_figures(pages):
    all_cats, *_ = overview(pages, DEMO_PLACE, None, AS_OF, "", "unmet")
    food, *_ = overview(pages, DEMO_PLACE, "FOOD", AS_OF, "", "coverage")
    assert "Coverage (supply ÷ need) by place — Food support" in text(food)
    later, *_ = overview(pages, DEMO_PLACE, None, "2029-01-01", "", "unmet")
    assert text(later) != text(all_cats)
    # the tiles and the largest gaps follow the category too
    from dashboard.components import data as cd

    a = state.analysis_for(state.make_view(DEMO_PLACE, None, AS_OF)[0]).analysis
    cov = a.coverage[a.coverage["category"] == "FOOD"]
    shown = text(food)
    assert f"{cov['demand'].sum():,.0f}" in shown and f"of {len(cov):,} place × category cells" in shown
    assert "Largest gaps (place × category) — Food support" in shown
    assert cd.headline(a, pd.DataFrame(columns=["funding", "funder", "recipient", "amount", "start", "end"]),
                       category="FOOD")["cells"] == len(cov)


def test_a_place_in_the_url_that_does_not_exist_is_said_on_the_page(pages):
    page = pages["overview"].layout(place="E99999999", as_of=AS_OF)
    shown = text(page)
    assert "There is no place 'E99999999' in the data; showing Trafford instead." in shown


def test_unknown_place_and_bad_date_are_readable_messages(pages):
    body, figure, hidden, msg = overview(pages, "E99999999", None, AS_OF, "", "unmet")
    assert text(body) == "" and hidden is True and "no place with code 'E99999999'" in text(msg)
    body, figure, hidden, msg = overview(pages, DEMO_PLACE, None, "21/11/2026", "", "unmet")
    assert text(body) and hidden is False and "The date '21/11/2026' is not a date in YYYY-MM-DD form; showing 2026-11-21 instead." in text(msg)


def test_gaps_table_rows_and_status(pages, demo_store):
    body, msg = pages["gaps"].update(DEMO_PLACE, "HEALTH", AS_OF, "")
    assert msg is None
    table = [c for c in body if getattr(c, "id", "") == "gaps-coverage-wrap"][0]
    dt = table.children[2]
    assert len(dt.data) == 21  # one row per ward for the chosen category
    assert {r["Category"] for r in dt.data} == {"Health and wellbeing support"}
    assert all(r["Status"] in {"Unserved", "Under-served", "Met", "Over-supplied", "No recorded need"} for r in dt.data)
    # providers link to their detail page, keeping the view
    linked = [r["Providers"] for r in dt.data if r["Providers"]]
    assert linked and "(/organisation/GB-DEMO-" in linked[0] and f"as_of={AS_OF}" in linked[0]


def test_duplication_and_fragility_pages(pages, demo_store):
    from ecosystem.service import Ecomap

    a = Ecomap(demo_store).analysis(DEMO_PLACE, DEMO_AS_OF)
    body, msg = pages["duplication"].update(DEMO_PLACE, None, AS_OF, "")
    shown = text(body)
    assert msg is None and f"{len(a.duplication):,} over-supplied cell(s)" in shown
    # the summary leads: pairs by category, then the category with most, then every pair below
    assert shown.index(f"{len(a.overlaps):,} pair(s) of overlapping services in {len(a.overlap_summary):,}") < \
        shown.index("Every overlapping pair")
    ids = [getattr(c, "id", None) for c in body]
    assert ids.index("duplication-categories-wrap") < ids.index("duplication-overlaps-wrap")
    top = a.overlap_summary["category"].iloc[0]
    body, msg = pages["duplication"].update(DEMO_PLACE, top, AS_OF, "")
    assert msg is None and "What is shown names the services behind" in text(body)
    assert "duplication-categories-wrap" not in [getattr(c, "id", None) for c in body]
    body, msg = pages["fragility"].update(DEMO_PLACE, None, AS_OF, "")
    shown = text(body)
    assert msg is None and "Funding cliff timeline by quarter" in shown
    assert f"{len(a.articulation_points):,}" in shown and "Illustrative:" in shown


def test_network_and_funding(pages):
    elements, body, options, msg, style = pages["network"].update(DEMO_PLACE, None, AS_OF, None)
    orgs = pages["network"].focus_choices(DEMO_PLACE, AS_OF, None, None)
    assert [o["label"] for o in orgs] == sorted((o["label"] for o in orgs), key=str.lower)
    assert pages["network"].focus_choices(DEMO_PLACE, AS_OF, "sale community", None) == \
        [{"label": "Illustrative: Sale Community Wellbeing Trust", "value": "GB-DEMO-006"}]
    # the chosen organisation stays among the choices whatever is typed
    assert [o["value"] for o in pages["network"].focus_choices(DEMO_PLACE, AS_OF, "zzz", "GB-DEMO-006")] == \
        ["GB-DEMO-006"]
    assert msg is None and len(elements) < 2000 and options and style["height"].endswith("px")
    nodes = [e for e in elements if "source" not in e["data"]]
    assert all(not e["data"]["label"].startswith("GB-") for e in nodes)  # names, not codes
    funder = options[0]["value"]
    only, _, _, _, _ = pages["network"].update(DEMO_PLACE, None, AS_OF, funder)
    assert 0 < len(only) < len(elements)
    by_cat, body, _, msg, _ = pages["network"].update(DEMO_PLACE, None, AS_OF, None, "category")
    assert msg is None and any(e["data"].get("kind") == "category" for e in by_cat)
    assert "grouped by service category" in text(body)
    assert pages["network"].drill_down({"kind": "category", "category": "YOUTH", "name": "Youth"}) == "YOUTH"
    org = orgs[0]["value"]
    focused, body, _, msg, _ = pages["network"].update(DEMO_PLACE, None, AS_OF, None, "auto", org)
    assert msg is None and any("focus" in e.get("classes", "") for e in focused)
    assert f"{orgs[0]['label']}:" in text(body)
    # wrongly typed values from a scripted request get the default view, not an error
    _, _, _, msg, _ = pages["network"].update(DEMO_PLACE, None, AS_OF, ["x"], 7, {"a": 1})
    assert msg is None
    link = pages["network"].selected({"kind": "provider", "name": "X", "href": "/organisation/GB-DEMO-006"})
    assert "/organisation/GB-DEMO-006" in json.dumps(link.to_plotly_json(), default=str)
    body, msg = pages["funding"].update(DEMO_PLACE, None, AS_OF)
    assert msg is None and "of active funding reaches providers serving Trafford" in text(body)


def test_scenario_run_save_and_show(pages, demo_store):
    sc = pages["scenario"]
    body, msg = sc.run(1, DEMO_PLACE, None, AS_OF, "", ["GB-DEMO-006"], [], [], [], trigger="scenario-run")
    assert msg is None
    from ecosystem import analysis as an
    from ecosystem.service import Ecomap

    r = Ecomap(demo_store).run_scenario(an.ScenarioOptions.make(as_of=DEMO_AS_OF, place=DEMO_PLACE,
                                                                remove_providers=["GB-DEMO-006"]))
    assert f"+{r.unmet_added:,.0f}" in text(body) and r.unmet_added > 0
    saved = sc.save(1, "Sale trust leaves", DEMO_PLACE, AS_OF, ["GB-DEMO-006"], [], [], [])
    assert "Saved as “Sale trust leaves”" in text(saved)
    sid = "sale-trust-leaves"
    assert sid in [s["id"] for s in state.scenario_list()]
    # the overview with ?scenario= shows the scenario's analysis
    body, _, _, msg = overview(pages, DEMO_PLACE, None, AS_OF, sid, "unmet")
    assert msg is None and "Scenario:" in text(body) and f"{r.unmet_after:,.0f}" in text(body)
    # the form fills from a saved scenario
    assert sc.load_saved(sid)[0] == ["GB-DEMO-006"]
    bad, msg = sc.run(1, DEMO_PLACE, None, AS_OF, "", [], [], [], [{"service": "DEMO-S01", "capacity": "lots"}],
                      trigger="scenario-run")
    assert bad == [] and "capacity 'lots' is not a number" in text(msg)
    _, msg = pages["gaps"].update(DEMO_PLACE, None, AS_OF, "no-such-scenario")
    assert "no saved scenario 'no-such-scenario'" in text(msg)


def test_detail_pages(pages):
    org = pages["organisation"].layout(org_id="GB-DEMO-006", place=DEMO_PLACE, as_of=AS_OF)
    shown = text(org)
    assert "Illustrative: Sale Community Wellbeing Trust" in shown and "Funding received" in shown
    svc = pages["service"].layout(service_id="DEMO-S02", place=DEMO_PLACE, as_of=AS_OF)
    assert "Illustrative: Sale Wellbeing Navigators" in text(svc)
    missing = pages["organisation"].layout(org_id="GB-NOPE", place=DEMO_PLACE, as_of=AS_OF)
    assert "no organisation with id 'GB-NOPE'" in text(missing)


def test_export_callback_returns_the_rows_shown(app_over_demo):
    from dashboard.exports import export_table

    rows = [{"Provider": "[Illustrative: A \\& B](/organisation/X)", "Unmet": 3.0}]
    cols = [{"id": "Provider", "name": "Provider"}, {"id": "Unmet", "name": "Unmet"}]
    out = export_table(1, 0, rows, rows, cols, trigger={"type": "ecomap-export-csv", "table": "gaps-coverage"})
    assert out["filename"] == "ecomap-gaps-coverage.csv"
    assert base64.b64decode(out["content"]).decode("utf-8-sig").splitlines() == ["Provider,Unmet",
                                                                                "Illustrative: A & B,3.0"]
    x = export_table(0, 1, rows, rows, cols, trigger={"type": "ecomap-export-xlsx", "table": "gaps-coverage"})
    assert x["filename"].endswith(".xlsx") and pd.read_excel(io.BytesIO(base64.b64decode(x["content"]))).shape == (1, 2)


def test_data_page_status_and_a_rejected_upload(pages, demo_store):
    body, msg, options = pages["data"].status(0)
    shown = text(body)
    assert msg is None and "trafford-demo" in shown and "Organisations" in shown
    assert {"label": "trafford-demo", "value": "trafford-demo"} in options  # offered for unloading
    bad = "organisations.csv"
    content = "data:text/csv;base64," + base64.b64encode(b"id,sector\nX1,vcse\n").decode()
    before = demo_store.counts()
    result, loaded, pending, cleared = pages["data"].upload([content], [bad], "template", "bad-upload", 0)
    assert pending is None and cleared is None
    shown = text(result)
    assert "nothing was loaded" in shown.lower() and "name" in shown
    assert demo_store.counts() == before  # the page keeps working, the store is unchanged


def test_store_down_is_a_readable_message(pages, demo_store):
    from ecosystem.store import StoreUnavailable

    def down():
        raise StoreUnavailable("cannot reach the graph store at /nowhere")

    state.configure(down)
    try:
        body, _, hidden, msg = overview(pages, DEMO_PLACE, None, AS_OF, "", "unmet")
        assert text(body) == "" and hidden is True
        assert "graph store cannot be reached" in text(msg) and "Traceback" not in text(msg)
        layout = pages["gaps"].layout(place=DEMO_PLACE, as_of=AS_OF)
        assert "graph store cannot be reached" in text(layout)
        body, msg, options = pages["data"].status(0)
        assert "graph store cannot be reached" in text(msg) and options == []
    finally:
        state.configure(demo_store, defaults={"place": DEMO_PLACE, "as_of": AS_OF})
    body, _, hidden, msg = overview(pages, DEMO_PLACE, None, AS_OF, "", "unmet")
    assert msg is None and text(body) and hidden is False  # back once the store is


def test_url_sync_builds_shareable_links(pages):
    from dashboard.pages._common import search_for

    assert search_for(DEMO_PLACE, "FOOD", AS_OF, "") == f"?place={DEMO_PLACE}&category=FOOD&as_of={AS_OF}"
    assert search_for(None, None, AS_OF, "plan-a") == f"?place={DEMO_PLACE}&as_of={AS_OF}&scenario=plan-a"


def test_warm_prepares_the_default_view_so_the_first_page_needs_no_analysis(pages, demo_store, monkeypatch):
    from ecosystem import service as service_module
    from ecosystem.service import Ecomap

    DEMO_QUERY = {"place": DEMO_PLACE, "as_of": AS_OF}
    state.configure(Ecomap(demo_store), defaults=DEMO_QUERY)
    try:
        state.warm()
        monkeypatch.setattr(service_module, "pull_frames", lambda *a, **k: pytest.fail("pulled again"))
        monkeypatch.setattr(service_module.an, "analyse_frames", lambda *a, **k: pytest.fail("analysed again"))
        body, _, _, msg = overview(pages, DEMO_PLACE, None, AS_OF, "", "unmet")
        assert msg is None and "People in need" in text(body)
    finally:
        state.configure(demo_store, defaults=DEMO_QUERY)


def test_scenario_capacity_changes_are_chosen_by_name(pages):
    sc = pages["scenario"]
    opts = [{"label": "Illustrative: South Trafford Youth Work (DEMO-S33)", "value": "DEMO-S33"}]
    rows, note = sc.add_row(1, None, 10, [], opts)
    assert "Choose a service first" in note
    rows, note = sc.add_row(1, "DEMO-S33", -5, [], opts)
    assert "0 or more" in note
    rows, note = sc.add_row(1, "DEMO-S33", 250, [], opts)
    assert note is None and rows == [{"service": "DEMO-S33", "service_name": opts[0]["label"], "capacity": 250}]
    rows, _ = sc.add_row(2, "DEMO-S33", 300, rows, opts)  # the same service again replaces its change
    assert [r["capacity"] for r in rows] == [300]
    body, msg = sc.run(1, DEMO_PLACE, None, AS_OF, "", [], [], [], rows, trigger="scenario-run")
    assert msg is None and "Unmet need after" in text(body)


def test_scenario_choices_send_what_is_chosen_and_what_matches_the_search(pages, demo_store, monkeypatch):
    from dashboard.components import search as search_component
    from ecosystem.service import Ecomap

    sc = pages["scenario"]
    a = Ecomap(demo_store).analysis(DEMO_PLACE, DEMO_AS_OF)
    providers = sorted(set(a.provision["provider"]))
    # nothing typed: every choice (the demo has fewer than the limit), in name order
    prov, funders, flows, services = sc.choices(DEMO_PLACE, AS_OF, None, None, None, None, [], [], [], None)
    assert sorted(o["value"] for o in prov) == providers
    labels = [o["label"] for o in prov]
    assert labels == sorted(labels, key=str.lower) and not any(lab.startswith("GB-DEMO") for lab in labels)
    assert len(services) == a.provision["service"].nunique() and flows and funders
    # typed: only the matches, in any case
    prov, *_ = sc.choices(DEMO_PLACE, AS_OF, "sale community", None, None, None, [], [], [], None)
    assert [o["value"] for o in prov] == ["GB-DEMO-006"]
    # a chosen option stays whatever is typed, so its label stays readable
    chosen = providers[0] if providers[0] != "GB-DEMO-006" else providers[1]
    prov, *_ = sc.choices(DEMO_PLACE, AS_OF, "sale community", None, None, None, [chosen], [], [], None)
    assert [o["value"] for o in prov] == [chosen, "GB-DEMO-006"]
    # above the limit, the rest are counted in one option that cannot be chosen
    monkeypatch.setattr(search_component, "MAX_OPTIONS", 2)
    prov, *_ = sc.choices(DEMO_PLACE, AS_OF, None, None, None, None, [], [], [], None)
    assert len(prov) == 3 and prov[-1]["disabled"] is True
    assert prov[-1]["label"] == f"… and {len(providers) - 2:,} more: type more of the name"


def test_search_options_by_hand():
    from dashboard.components.search import search_options

    opts = [{"label": f"Org {i}", "value": f"O{i}"} for i in range(1, 6)]
    assert search_options(opts, None, None, limit=10) == opts
    assert search_options(opts, "org 3", None) == [opts[2]]
    assert search_options(opts, "o4", []) == [opts[3]]  # the code matches too
    assert search_options(opts, "  ", "O5", limit=2) == [opts[4], opts[0], opts[1],
                                                        {"label": "… and 2 more: type more of the name",
                                                         "value": "\u0000more", "disabled": True}]
    assert search_options(opts, "nothing", ["O2"]) == [opts[1]]
    assert search_options([], "x", None) == []


def test_the_overview_of_each_category_is_prepared_as_the_dashboard_starts(pages, monkeypatch):
    """After prepare (run as the dashboard starts), a first choice of any category is answered from what was
    prepared: nothing is worked out again."""
    from dashboard.components import views

    monkeypatch.delenv("ECOMAP_WARM", raising=False)  # the tests' environment turns warming off
    view, _ = state.make_view()
    res = state.analysis_for(view)
    categories = sorted(res.analysis.coverage["category"].unique())
    assert pages["overview"].prepare(pause=0) == len(categories) + 1  # every category, and all of them
    real = views.overview_view
    monkeypatch.setattr(views, "overview_view", lambda *a, **k: pytest.fail("worked out again"))
    for c in [None, *categories]:
        shown, figure, hidden, msg = overview(pages, res.view.place, c, view.as_of.isoformat(), "", "unmet")
        assert msg is None and hidden is False and figure.data
    monkeypatch.setattr(views, "overview_view", real)
    # within its budget of work only (the first always), and nothing when warming is off
    assert pages["overview"].prepare(pause=0, budget=0.0) == 1
    monkeypatch.setenv("ECOMAP_WARM", "off")
    assert pages["overview"].prepare(pause=0) == 0


def test_the_map_table_is_filled_when_it_is_opened(pages):
    """Closed, the map's table is left as it was and hidden (nobody reads it); opened, it holds the figures of
    the view shown now, and a change while it is open fills it at once."""
    import dash

    ov = pages["overview"]
    keys = [(o.component_id_str(), o.component_property) for o in ov.OUTPUTS]
    data_key = ('{"table":"overview-leaves","type":"ecomap-table"}', "data")
    closed = dict(zip(keys, ov.update(DEMO_PLACE, "FOOD", AS_OF, "", "unmet", 0)))
    assert closed[data_key] is dash.no_update and closed[("overview-leaves-slot", "hidden")] is True
    assert closed[("overview-leaves-caption", "children")] is dash.no_update
    opened = ov.open_table(1, DEMO_PLACE, "FOOD", AS_OF, "", "unmet")
    *values, hidden = opened
    assert hidden is False
    filled = dict(zip([(o.component_id_str(), o.component_property) for o in
                       __import__("dashboard.components.tables", fromlist=["x"]).table_outputs("overview-leaves")],
                      values))
    a = state.analysis_for(state.make_view(DEMO_PLACE, "FOOD", AS_OF)[0]).analysis
    food = a.coverage[a.coverage["category"] == "FOOD"]
    assert len(filled[data_key]) == food["place"].nunique()  # a row per place, of Food support alone
    assert filled[("overview-leaves-caption", "children")] == "By place — Food support"
    assert ov.open_table(2, DEMO_PLACE, "FOOD", AS_OF, "", "unmet") == [dash.no_update] * len(opened)  # closing
    still_open = dict(zip(keys, ov.update(DEMO_PLACE, None, AS_OF, "", "unmet", 3)))
    assert still_open[("overview-leaves-slot", "hidden")] is False
    assert len(still_open[data_key]) == a.coverage["place"].nunique()


def test_the_place_dropdown_is_sent_a_few_places_and_searches_every_place_on_the_server(pages, monkeypatch):
    """A dropdown indexes every option as it mounts: the page sends the chosen place and the first few, and
    what a person types is looked up among every place."""
    from dashboard import state
    from dashboard.pages import _common

    table = state.place_table()
    every = _common.place_options(table)
    altrincham = next(o for o in every if o["label"] == "Altrincham (ward)")
    monkeypatch.setattr(_common, "PLACE_OPTIONS", 3)
    page = pages["gaps"].layout(place=altrincham["value"], as_of=AS_OF)
    sent = next(c for c in _walk(page) if getattr(c, "id", None) == "gaps-place").options
    # the chosen place (so its name shows), the first three (larger areas first), then how many more
    assert sent[0] == altrincham and sent[1:4] == [o for o in every if o != altrincham][:3]
    assert sent[4] == {"label": f"… and {len(every) - 4:,} more: type more of the name", "value": "\u0000more",
                       "disabled": True}
    assert len(sent) == 5
    # typing searches every place, by name or code, in any case; the chosen place stays listed
    found = _common.place_choices("TIMPER", altrincham["value"])
    timperley = [o for o in every if "timper" in o["label"].lower()]
    assert timperley and found == [altrincham, *timperley][:4]
    assert _common.place_choices(altrincham["value"][:7].lower(), None)[0]["value"].startswith(altrincham["value"][:7])
    assert _common.place_choices("no such place", None) == []
    # the options are made once per data version, not at every keystroke
    made = []
    real = _common.place_options
    monkeypatch.setattr(_common, "place_options", lambda t: made.append(1) or real(t))
    assert _common.place_choices("TIMPER", altrincham["value"]) == found and made == []
    # the store down: the dropdown keeps what it has (the page says the store is down)
    monkeypatch.setattr(state, "place_table", lambda: (_ for _ in ()).throw(ConnectionError("down")))
    assert _common.place_choices("x", None) is _common.no_update
