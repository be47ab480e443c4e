"""Pure builders on the riverside example (figures checked by hand in ecosystem/examples.py)."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import state
from dashboard.components import data as cd
from dashboard.components import figures as fg
from dashboard.components import network as nw
from dashboard.components import scenario as sc
from dashboard.components import views
from dashboard.components.data_page import default_source, safe_filename, save_uploads
from dashboard.components.tables import (data_table, escape_md, export_bytes, md_link, plain, table_fill, table_outputs,
                                        table_values)
from ecosystem import analysis as an
from ecosystem.examples import RIVERSIDE_AS_OF, riverside


@pytest.fixture(scope="module")
def river():
    G = riverside()
    return G, an.analyse(G, place="LA1", as_of=RIVERSIDE_AS_OF), an.extract(G), state.names_from_graph(G)


def test_leaf_values_all_categories_take_sums_and_the_worst_status(river):
    _, a, _, _ = river
    v = cd.leaf_values(a.coverage).set_index("place")
    # W1: FOOD 40 need / 60 supply (over), MH 30 / 20 (under, unmet 10)
    assert v.loc["W1", ["demand", "supply", "unmet"]].tolist() == [70.0, 80.0, 10.0]
    assert v.loc["W1", "status"] == "under"
    assert v.loc["W1", "coverage"] == pytest.approx(80 / 70)
    assert v.loc["W2", "status"] == "met" and v.loc["W2", "unmet"] == 0
    assert v.loc["W3", ["demand", "supply", "unmet"]].tolist() == [30.0, 10.0, 20.0]
    assert v.loc["W3", "status"] == "unserved"
    assert v.loc["W1", "providers"] == 2


def test_leaf_values_one_category_and_an_unknown_one(river):
    _, a, _, _ = river
    v = cd.leaf_values(a.coverage, "FOOD").set_index("place")
    assert v["unmet"].to_dict() == {"W1": 0.0, "W2": 0.0, "W3": 20.0}
    assert v.loc["W1", "status"] == "over"
    assert cd.leaf_values(a.coverage, "NOPE").empty


def test_headline_figures(river):
    _, a, fr, _ = river
    h = cd.headline(a, fr.funding)
    assert h["people_in_need"] == 160 and h["unmet"] == 30 and h["unserved_cells"] == 1 and h["cells"] == 6
    assert h["providers"] == 4  # FOODBANK, PANTRY, MIND, ACME (S5 has ended, S6 is in LA2)
    # active on 2025-01-01 to those providers: F1 30k + F2 20k + F3 60k + F4 40k + F6 10k
    assert h["funding"] == 160_000
    # ending by 2025-07-01: F1 (31 March) and F4 (31 May); only F1 has no follow-on
    assert h["ending_soon"] == 70_000 and h["cliff_amount"] == 30_000


def test_headline_figures_follow_the_category(river):
    _, a, fr, _ = river
    h = cd.headline(a, fr.funding, category="FOOD")
    # food: 100 people over Northbank 40, Southbank 40, Mill End 20; Mill End has no food service
    assert h["people_in_need"] == 100 and h["unmet"] == 20 and h["unserved_cells"] == 1 and h["cells"] == 3
    assert h["providers"] == 2  # FOODBANK (S1), PANTRY (S2)
    assert h["funding"] == 50_000  # F1 30k + F2 20k
    assert h["ending_soon"] == 30_000 and h["cliff_amount"] == 30_000  # F1 ends 31 March with no follow-on
    mh = cd.headline(a, fr.funding, category="MH")
    # mental health: Northbank 30 need (20 supply), Southbank 20, Mill End 10; MIND and ACME; F3 + F4 + F6
    assert (mh["people_in_need"], mh["unmet"], mh["providers"], mh["funding"]) == (60, 10, 2, 110_000)
    assert mh["cliff_amount"] == 0  # F4 is followed by F5; F6 ends in September


def test_leaf_table_says_its_status_is_the_worst_category(river):
    _, a, _, names = river
    every = views.leaf_table(cd.leaf_values(a.coverage), names, every_category=True)
    assert "Worst category" in every.columns and "Status" not in every.columns
    # Northbank: 60 supply for 40 food need (150 %) but mental health under-served
    row = every.set_index("Place").loc["Northbank"]
    assert row["Worst category"] == "Under-served"
    one = views.leaf_table(cd.leaf_values(a.coverage, "FOOD"), names)
    assert one.set_index("Place").loc["Northbank", "Status"] == "Over-supplied"


def test_headline_leaves_out_what_a_scenario_removes(river):
    _, a, fr, _ = river
    opts = an.ScenarioOptions.make(as_of=RIVERSIDE_AS_OF, remove_funders=["TRUST"], remove_funding=["F1"])
    h = cd.headline(a, fr.funding, removed=opts)
    assert h["funding"] == 70_000  # F3 60k + F6 10k
    assert h["ending_soon"] == 0


def test_cliff_timeline_by_quarter(river):
    _, a, fr, _ = river
    t = cd.cliff_timeline(fr.funding, RIVERSIDE_AS_OF)
    got = [(r.quarter, r.kind, r.amount, r.flows) for r in t.itertuples()]
    assert got == [("2025 Q1", "no follow-on", 30_000, 1), ("2025 Q2", "followed on", 40_000, 1),
                   ("2025 Q3", "no follow-on", 10_000, 1), ("2025 Q4", "no follow-on", 20_000, 1),
                   ("2026 Q1", "no follow-on", 60_000, 1)]
    only_mind = cd.cliff_timeline(fr.funding, RIVERSIDE_AS_OF, {"MIND"}, quarters=4)
    assert only_mind["quarter"].tolist() == ["2025 Q2"]  # F3 ends in 2026 Q1, beyond four quarters
    assert cd.cliff_timeline(fr.funding, dt.date(2030, 1, 1)).empty


def test_service_funders_follow_the_spec(river):
    _, _, fr, _ = river
    f = cd.service_funders(fr.services, fr.funding, RIVERSIDE_AS_OF)
    assert f["S1"] == ["COUNCIL"]  # F1 names no service: funds the provider's services
    assert f["S2"] == ["TRUST"]  # F2 names S2
    assert f["S3"] == ["COUNCIL", "TRUST"]  # F3 and F4 to MIND
    assert f["S4"] == ["COUNCIL"]
    assert f["S5"] == []


def test_sankey_links_split_money_by_service_and_category(river):
    _, _, fr, _ = river
    links = cd.sankey_links(fr.services, fr.funding, RIVERSIDE_AS_OF, {"FOODBANK", "PANTRY", "MIND", "ACME"})
    d = {(r.source, r.target): r.amount for r in links.itertuples()}
    assert d == {("COUNCIL", "MIND"): 60_000, ("TRUST", "MIND"): 40_000, ("COUNCIL", "FOODBANK"): 30_000,
                 ("TRUST", "PANTRY"): 20_000, ("COUNCIL", "ACME"): 10_000,
                 ("MIND", "cat:MH"): 100_000, ("FOODBANK", "cat:FOOD"): 30_000, ("PANTRY", "cat:FOOD"): 20_000,
                 ("ACME", "cat:MH"): 10_000}
    # money in equals money out, stage by stage
    assert links.loc[links.stage == "funder", "amount"].sum() == links.loc[links.stage == "provider", "amount"].sum()
    capped = cd.sankey_links(fr.services, fr.funding, RIVERSIDE_AS_OF, {"FOODBANK", "PANTRY", "MIND", "ACME"},
                             max_providers=1)
    assert set(capped.loc[capped.stage == "funder", "target"]) == {"MIND", "other providers"}


def test_sankey_links_join_smaller_funders_and_categories_keeping_every_pound(river):
    _, _, fr, _ = river
    provs = {"FOODBANK", "PANTRY", "MIND", "ACME"}
    # COUNCIL gives 100,000 and TRUST 60,000; MH takes 110,000 and FOOD 50,000
    links = cd.sankey_links(fr.services, fr.funding, RIVERSIDE_AS_OF, provs, max_funders=1, max_categories=1)
    d = {(r.source, r.target): r.amount for r in links.itertuples()}
    assert d == {("COUNCIL", "MIND"): 60_000, ("other funders", "MIND"): 40_000, ("COUNCIL", "FOODBANK"): 30_000,
                 ("other funders", "PANTRY"): 20_000, ("COUNCIL", "ACME"): 10_000,
                 ("MIND", "cat:MH"): 100_000, ("FOODBANK", "cat:other categories"): 30_000,
                 ("PANTRY", "cat:other categories"): 20_000, ("ACME", "cat:MH"): 10_000}
    every = cd.sankey_links(fr.services, fr.funding, RIVERSIDE_AS_OF, provs, max_categories=None)
    assert set(every.loc[every.stage == "provider", "target"]) == {"cat:MH", "cat:FOOD"}
    for df in (links, every):
        assert df.loc[df.stage == "funder", "amount"].sum() == df.loc[df.stage == "provider", "amount"].sum() == 160_000


def test_names_fall_back_to_codes(river):
    *_, names = river
    assert names.place("W3") == "Mill End" and names.organisation("MIND") == "Riverside Mind"
    assert names.service("S2") == "Community pantry" and names.category(None) == "All categories"
    assert names.place("ZZ9") == "ZZ9"


def test_markdown_links_escape_user_text_and_export_as_text():
    name = "Smith & [Sons] *Ltd* <script>"
    link = md_link(name, "/organisation/X")
    assert "<script>" not in link and r"\[Sons\]" in link and r"\*Ltd\*" in link
    assert plain(link) == name
    assert plain(escape_md("a_b")) == "a_b" and plain(3.5) == 3.5


def test_export_csv_and_xlsx_round_trip():
    rows = [{"Provider": md_link("Café (North)", "/organisation/A"), "Unmet": 12.5},
            {"Provider": "Plain", "Unmet": None}]
    csv = export_bytes(rows, ["Provider", "Unmet"], "csv")
    assert csv.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    assert back["Provider"].tolist() == ["Café (North)", "Plain"] and back["Unmet"].iloc[0] == 12.5
    wb = openpyxl.load_workbook(io.BytesIO(export_bytes(rows, ["Provider", "Unmet"], "xlsx")))
    ws = wb.active
    assert [c.value for c in ws[1]] == ["Provider", "Unmet"] and ws["A2"].value == "Café (North)"
    with pytest.raises(ValueError, match="unknown export format"):
        export_bytes(rows, ["Provider"], "pdf")


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_text_survives_a_markdown_link(text):
    assert plain(md_link(text, "/x")) == text


@given(place=st.one_of(st.none(), st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and s)),
       category=st.one_of(st.none(), st.sampled_from(["FOOD", "MH & co", "a=b"])),
       day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)))
@settings(max_examples=100, deadline=None)
def test_view_search_round_trips(place, category, day):
    v = state.View(place, category, day)
    parsed = state.parse_search(v.search())
    assert parsed.get("place") == place and parsed.get("category") == category
    assert parsed["as_of"] == day.isoformat() and "scenario" not in parsed


def test_make_view_reads_defaults_and_reports_a_bad_date():
    state.configure(None, defaults={"place": "LA1", "as_of": "2025-01-01"})
    try:
        v, notes = state.make_view(None, "", "not-a-date")
        assert v == state.View("LA1", None, dt.date(2025, 1, 1)) and "not a date" in notes[0]
        v, notes = state.make_view("W1", "MH", "2024-02-29", "plan-a")
        assert v == state.View("W1", "MH", dt.date(2024, 2, 29), "plan-a") and notes == []
    finally:
        state.configure(None)


def test_places_frame_and_default_place():
    import networkx as nx

    T = nx.DiGraph()
    for code, name, level in [("LA1", "Riverside", "la"), ("W1", "Northbank", "ward"), ("W2", "Southbank", "ward")]:
        T.add_node(code, name=name, level=level)
    T.add_edge("W1", "LA1")
    T.add_edge("W2", "LA1")
    df = state.places_frame(T)
    assert df["code"].tolist() == ["LA1", "W1", "W2"] and df.set_index("code").loc["LA1", "leaves"] == 2
    assert state.default_place(df) == "LA1"
    T.add_node("LA2", name="Hillside", level="la")
    assert state.default_place(state.places_frame(T)) is None  # two top-level places: every place


def test_choropleth_is_an_svg_map_of_its_own_boundaries_and_falls_back_to_tiles(river):
    _, a, _, names = river
    v = cd.leaf_values(a.coverage).assign(name=lambda d: [names.place(p) for p in d["place"]])
    square = {"type": "Polygon", "coordinates": [[[-2.0, 53.0], [-1.9, 53.0], [-1.9, 53.1], [-2.0, 53.1], [-2.0, 53.0]]]}
    fig = fg.choropleth(v, {"W1": square}, uirevision="LA1")
    t = fig.data[0]
    assert t.type == "choropleth" and list(t.locations) == ["W1"] and list(t.z) == [10.0]
    assert t.featureidkey == "id" and [f["id"] for f in t.geojson["features"]] == ["W1"]
    assert t.geojson["features"][0]["geometry"] == square
    # framed on the boundaries, Mercator, with no base layer (land, coast, countries) that would need a world map
    geo = fig.layout.geo
    assert geo.fitbounds == "locations" and geo.visible is False and geo.projection.type == "mercator"
    assert fig.layout.uirevision == "LA1"  # the same place keeps a person's zoom when the figure is drawn again
    tiles = fg.choropleth(v, {})
    assert tiles.data[0].type == "heatmap"
    # three leaves in name order: Mill End, Northbank, Southbank → unmet 20, 10, 0
    assert [x for x in tiles.data[0].z.flatten() if x == x] == [20.0, 10.0, 0.0]
    assert "<" not in json.dumps(fg.hbar(["<b>x</b>"], [1.0]).data[0].y)


def test_one_place_alone_gets_a_colour_scale_from_zero(river):
    _, a, _, names = river
    v = cd.leaf_values(a.coverage).assign(name=lambda d: [names.place(p) for p in d["place"]])
    one = v[v["place"] == "W1"]  # unmet 10
    square = {"type": "Polygon", "coordinates": [[[-2.0, 53.0], [-1.9, 53.0], [-1.9, 53.1], [-2.0, 53.1], [-2.0, 53.0]]]}
    for fig in (fg.choropleth(one, {"W1": square}), fg.choropleth(one, {})):
        assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 10.0)
    nothing = v.assign(unmet=0.0)
    assert fg.choropleth(nothing, {}).data[0].zmax == 1.0


def test_tile_grid_keeps_names_readable_at_two_hundred_leaves():
    v = pd.DataFrame({"place": [f"E05{i:06d}" for i in range(200)],
                      "name": [f"Ward number {i} and district" for i in range(200)],
                      "demand": 10.0, "supply": 5.0, "unmet": 5.0, "coverage": 0.5, "status": "under"})
    fig = fg.tile_grid(v)
    z = fig.data[0].z
    assert z.shape == (20, fg.TILE_COLUMNS)  # 10 a row, 20 rows
    assert fig.layout.height >= 20 * 52
    label = fig.data[0].text[0][0]  # "Ward number 0 and district" on two lines of at most 16 characters
    assert label == "Ward number 0<br>and district"
    assert fg._two_lines("A very long name that goes on and on", 16) == "A very long name<br>that goes on an…"


def test_gaps_heatmap_shows_the_places_with_most_unmet_need_first(river):
    _, a, _, names = river
    # unmet by place: Mill End 20 (food), Northbank 10 (mental health: 30 need, 20 supply), Southbank 0;
    # by category: food 20, mental health 10
    mat, n = views.heatmap_matrix(a.coverage, names, rows=2)
    assert n == 3 and list(mat.index) == ["Mill End", "Northbank"]
    assert list(mat.columns) == ["Food support", "Mental health"]
    assert mat.loc["Mill End", "Food support"] == 0.0
    assert mat.loc["Northbank", "Mental health"] == pytest.approx(20 / 30)
    mh, n = views.heatmap_matrix(a.coverage, names, category="MH")
    assert n == 3 and list(mh.columns) == ["Mental health"] and list(mh.index) == ["Northbank", "Mill End", "Southbank"]
    many = pd.DataFrame([{"place": f"P{i}", "category": f"C{j}", "coverage": 0.5, "unmet": float(i)}
                         for i in range(200) for j in range(40)])
    big, n = views.heatmap_matrix(many, state.Names(), rows=views.HEATMAP_ROWS)
    assert n == 200 and big.shape == (40, 40) and big.index[0] == "P199"
    fig = fg.heatmap(big)
    assert fig.layout.xaxis.tickangle == -90 and fig.layout.height <= 2400


def test_sankey_labels_are_short_and_have_room(river):
    links = pd.DataFrame({"source": [f"F{i}" for i in range(30)], "target": ["P"] * 30, "amount": [1.0] * 30,
                          "stage": ["funder"] * 30})
    labels = {f"F{i}": "A funder with a remarkably long and winding official name " + str(i) for i in range(30)}
    fig = fg.sankey(links, labels)
    assert all(len(t) <= 34 for t in fig.data[0].node.label)
    assert fig.data[0].node.customdata[0] == labels["F0"]  # the whole name on hover
    assert fig.layout.height >= 30 * 30  # 30 funders in one column, 30 px each


def _contrast(a: str, b: str) -> float:
    def lum(colour: str) -> float:
        rgb = {"black": "#000000", "white": "#ffffff"}.get(colour, colour).lstrip("#")
        c = [int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_status_cells_are_legible():
    """Status cells in tables keep WCAG AA contrast (4.5:1) on their colour-blind-safe backgrounds."""
    from dashboard.components.views import STATUS_STYLE

    assert len(STATUS_STYLE) == len(fg.STATUS_COLOURS)
    for style in STATUS_STYLE:
        assert _contrast(style["color"], style["backgroundColor"]) >= 4.5, style
    assert fg.text_colour("#000000") == "white" and fg.text_colour("#ffffff") == "black"


def test_capacity_changes_parse_and_name_bad_rows():
    assert sc.capacity_changes([{"service": "S1", "capacity": "1,200"}, {"service": "S2", "capacity": None},
                                {"service": None, "capacity": None}]) == {"S1": 1200.0, "S2": None}
    with pytest.raises(ValueError, match=r"row 1: capacity 'lots' is not a number; row 2: capacity -3 must be 0"):
        sc.capacity_changes([{"service": "S1", "capacity": "lots"}, {"service": "S2", "capacity": -3}])


def test_scenario_leaf_change_matches_the_diff(river):
    G, a, _, _ = river
    r = an.run_scenario(G, remove_providers=["FOODBANK"], place="LA1", as_of=RIVERSIDE_AS_OF)
    ch = sc.leaf_change(r, "FOOD").set_index("place")["change"]
    # FOODBANK gave W1 40 (PANTRY's 20 remain for 40 need) and W2 40
    assert ch.to_dict() == {"W1": 20.0, "W2": 40.0, "W3": 0.0}
    assert ch.sum() == r.unmet_added


def test_network_elements_and_aggregation(river):
    G, a, fr, names = river
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    net = nw.build(a, fr, names, view)
    ids = {e["data"]["id"] for e in net.elements if "source" not in e["data"]}
    assert {"o:COUNCIL", "o:TRUST", "o:MIND", "s:S3", "l:W3"} <= ids
    assert "s:S5" not in ids  # ended
    fragile = {e["data"]["id"] for e in net.elements if "fragile" in e.get("classes", "")}
    assert {"o:FOODBANK", "o:MIND", "s:S1"} <= fragile  # cliff F1, articulation point MIND
    only_trust = nw.build(a, fr, names, view, funder="TRUST")
    provs = {e["data"]["id"] for e in only_trust.elements if "provider" in e.get("classes", "").split()}
    assert provs == {"o:MIND", "o:PANTRY"}
    assert net.aggregated is None and len(net.elements) == 29  # 13 nodes, 16 links
    # at most 22 elements: services grouped, the two largest providers kept (FOODBANK 80, MIND 50 supply)
    mid = nw.build(a, fr, names, view, limit=22)
    assert len(mid.elements) == 22 and "2 provider(s)" in mid.aggregated
    assert {"o:FOODBANK", "o:MIND", "other"} <= {e["data"]["id"] for e in mid.elements}
    small = nw.build(a, fr, names, view, limit=15)
    assert len(small.elements) == 13 and "1 provider(s)" in small.aggregated


def _nodes(net):
    return {e["data"]["id"]: e for e in net.elements if "source" not in e["data"]}


def _links(net):
    return {(e["data"]["source"], e["data"]["target"]): e for e in net.elements if "source" in e["data"]}


def test_network_lines_are_the_quick_kind_and_partnerships_stay_dashed(river):
    """Every line the network draws is a "haystack" line (no arrowhead, no curve for the browser to work out: a
    672-line local authority view drew 180 ms quicker), except partnerships, which keep their dashes."""
    G, a, fr, names = river
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    kinds = {c for net in (nw.build(a, fr, names, view), nw.focus(a, fr, names, view, "MIND"))
             for e in net.elements if "source" in e["data"] for c in e.get("classes", "").split()}
    assert {"funds", "delivers", "serves", "partners"} <= kinds  # the two views draw every kind

    def style(cls: str) -> dict:
        out: dict = {}
        for rule in nw.STYLESHEET:  # later rules win, as in Cytoscape
            if rule["selector"] in ("edge", f"edge.{cls}"):
                out.update(rule["style"])
        return out

    for cls in kinds - {"partners"}:
        assert style(cls)["curve-style"] == "haystack", cls
        assert "target-arrow-shape" not in style(cls)
    assert style("partners")["curve-style"] == "straight" and style("partners")["line-style"] == "dashed"


def test_network_by_category_counts_money_and_gaps(river):
    G, a, fr, names = river
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    net = nw.by_category(a, fr, names, view)
    nodes, links = _nodes(net), _links(net)
    assert net.mode == "category" and set(nodes) == {"o:COUNCIL", "o:TRUST", "c:FOOD", "c:MH"}
    # FOOD: FOODBANK (S1) and PANTRY (S2); Mill End (W3) has 20 people in need and no food service
    assert nodes["c:FOOD"]["data"]["label"] == "Food support\n2 providers, 2 services, 1 unserved place(s)"
    assert "gap" in nodes["c:FOOD"]["classes"] and "gap" not in nodes["c:MH"]["classes"]
    # MH: MIND (S3) and ACME (S4, capacity unknown, active on 1 January 2025)
    assert nodes["c:MH"]["data"]["label"] == "Mental health\n2 providers, 2 services"
    # each provider serves one category, so its money goes there whole: F1 30,000 -> FOOD; F3 60,000 + F6 10,000 -> MH
    assert links[("o:COUNCIL", "c:FOOD")]["data"]["amount"] == 30000.0
    assert links[("o:COUNCIL", "c:MH")]["data"]["amount"] == 70000.0
    assert links[("o:TRUST", "c:FOOD")]["data"]["amount"] == 20000.0  # F2
    assert links[("o:TRUST", "c:MH")]["data"]["amount"] == 40000.0  # F4 (F5 starts in June 2025)
    one = nw.by_category(a, fr, names, view, top_funders=1)  # COUNCIL 100,000 > TRUST 60,000
    assert set(_nodes(one)) == {"o:COUNCIL", "others", "c:FOOD", "c:MH"}
    assert _nodes(one)["others"]["data"]["label"] == "1 other funders"
    assert _links(one)[("others", "c:MH")]["data"]["amount"] == 40000.0
    only = nw.by_category(a, fr, names, view, funder="TRUST")
    assert {k for k in _nodes(only) if k.startswith("o:")} == {"o:TRUST"}


def test_category_weights_share_money_by_supply_or_equally():
    prov = pd.DataFrame({"provider": ["P", "P", "Q", "Q"], "category": ["A", "B", "A", "B"],
                         "supply": [30.0, 10.0, 0.0, 0.0], "service": ["s1", "s2", "s3", "s4"], "place": ["x"] * 4})
    w = nw._category_weights(prov).set_index(["provider", "category"])["weight"].to_dict()
    assert w == {("P", "A"): 0.75, ("P", "B"): 0.25, ("Q", "A"): 0.5, ("Q", "B"): 0.5}


def test_network_focus_shows_one_organisation_and_its_neighbourhood(river):
    G, a, fr, names = river
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    net = nw.focus(a, fr, names, view, "MIND")
    nodes, links = _nodes(net), _links(net)
    # funders COUNCIL (F3) and TRUST (F4); partners PANTRY and COUNCIL (the ACME referral ended in 2024);
    # its active service here, Talking therapies (S3), serves all three Riverside wards
    assert set(nodes) == {"o:MIND", "o:COUNCIL", "o:TRUST", "o:PANTRY", "s:S3", "l:W1", "l:W2", "l:W3"}
    assert "focus" in nodes["o:MIND"]["classes"] and "fragile" in nodes["o:MIND"]["classes"]
    assert links[("o:COUNCIL", "o:MIND")]["data"]["amount"] == 60000.0
    assert links[("o:MIND", "o:PANTRY")]["classes"] == "partners"
    assert ("o:MIND", "o:ACME") not in links and len(links) == 8
    assert net.counts == {"nodes": 8, "edges": 8, "providers": 3, "services": 1, "funders": 2, "funded": 0,
                          "partners": 2}
    council = nw.focus(a, fr, names, view, "COUNCIL")  # a funder: whom it funds
    assert {("o:COUNCIL", "o:FOODBANK"), ("o:COUNCIL", "o:MIND"), ("o:COUNCIL", "o:ACME")} <= set(_links(council))
    with pytest.raises(KeyError):
        nw.focus(a, fr, names, view, "NOBODY")


def test_network_choose_keeps_a_large_network_readable(river):
    G, a, fr, names = river
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    assert nw.choose(a, fr, names, view).mode == "detail"  # 13 nodes: the full network reads well
    assert nw.choose(a, fr, names, view, readable_rows=3).mode == "category"
    assert nw.choose(a, fr, names, view, mode="category").mode == "category"
    # a chosen category drills down to its own network, whatever its size
    food = nw.choose(a, fr, names, view, category="FOOD", readable_rows=1)
    assert food.mode == "detail" and {"o:FOODBANK", "o:PANTRY"} <= set(_nodes(food))
    assert nw.choose(a, fr, names, view, organisation="ACME").mode == "focus"
    assert 480 <= food.height() <= 2400


def test_uploads_are_saved_with_safe_names(tmp_path):
    import base64

    data = "data:text/csv;base64," + base64.b64encode(b"a,b\n1,2\n").decode()
    paths = save_uploads([data], ["../../etc/services.csv"], tmp_path / "up")
    assert paths == [tmp_path / "up" / "services.csv"] and paths[0].read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(ValueError, match="damaged"):
        save_uploads(["data:text/csv;base64,!!!"], ["x.csv"], tmp_path / "up")
    assert safe_filename("..") == "upload"
    # named as `ecomap load` names a source: the file name; several files sorted and joined with +
    assert default_source("Trafford 2026.xlsx") == "Trafford 2026.xlsx" == default_source(["Trafford 2026.xlsx"])
    assert default_source(["services.csv", "organisations.csv"]) == "organisations.csv+services.csv"
    assert default_source(["../a/x.csv"]) == "x.csv" and default_source([]) == "upload"


def _drawn_columns(net):
    cols = {}
    for e in net.elements:
        if "position" in e:
            cols[e["position"]["x"]] = cols.get(e["position"]["x"], 0) + 1
    return cols


def test_network_sizes_are_counted_exactly_as_drawn(river):
    """The plan counts each way of drawing the network without drawing it: every count must be what is drawn."""
    G, a, fr, names = river
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    seen = set()
    for category in (None, "FOOD", "MH"):
        for funder in (None, "COUNCIL", "TRUST"):
            parts = nw._parts(a, fr, category, funder)
            for limit in range(1, 40):
                keep, grouped, _ = nw._plan(parts, limit)
                net = nw.build(a, fr, names, view, category=category, funder=funder, limit=limit)
                cols, edges = parts.columns(keep, grouped)
                drawn = _drawn_columns(net)
                assert len(net.elements) == parts.size(keep, grouped), (category, funder, limit)
                assert sum(1 for e in net.elements if "source" in e["data"]) == edges
                assert sorted(v for v in cols.values() if v) == sorted(drawn.values()), (category, funder, limit)
                assert net.rows == max(cols.values())
                seen.add((grouped, len(keep) < len(parts.providers)))
    assert seen == {(False, False), (True, False), (True, True)}  # every way of drawing it was tried


def test_a_mounted_table_is_filled_with_what_a_made_table_shows():
    df = pd.DataFrame({"Place": ["Sale", "Hale", "Urmston"], "Unmet": [30.0, 20.0, 10.0],
                       "Providers": ["[A](/organisation/A)", "", None]})
    fill = table_fill(df, markdown=["Providers"], numeric={"Unmet": 0}, caption="Largest gaps", max_rows=2)
    assert fill.count == "first 2 of 3 rows (all of them: `ecomap analyse --json`)"
    assert [c["id"] for c in fill.columns] == ["Place", "Unmet", "Providers"]
    assert fill.columns[1]["format"] == {"specifier": ",.0f"} and fill.columns[2]["presentation"] == "markdown"
    assert fill.data == [{"Place": "Sale", "Unmet": 30.0, "Providers": "[A](/organisation/A)"},
                         {"Place": "Hale", "Unmet": 20.0, "Providers": ""}]
    made = data_table("t", df, markdown=["Providers"], numeric={"Unmet": 0}, caption="Largest gaps", max_rows=2)
    table = made.children[2]
    assert table.columns == fill.columns and table.data == fill.data

    values = dict(zip([o.component_property if "ecomap-table" in o.component_id_str() else o.component_id_str()
                       + "." + o.component_property for o in table_outputs("t")], table_values(fill)))
    assert values["t-caption.children"] == "Largest gaps" and values["t-count.children"] == fill.count
    assert values["t-empty.hidden"] is True and values["t-empty.children"] is None  # rows: no empty note
    assert values["data"] == fill.data and values["style_table"] == {"overflowX": "auto"}
    assert values["filter_query"] == "" and values["page_current"] == 0  # a new table's filter and first page

    none = table_fill(df.iloc[:0], caption="Largest gaps", empty="No unmet need here.")
    values = dict(zip([o.component_property if "ecomap-table" in o.component_id_str() else o.component_id_str()
                       + "." + o.component_property for o in table_outputs("t")], table_values(none)))
    assert none.count == "0 row(s)" and values["t-empty.children"] == "No unmet need here."
    assert values["t-empty.hidden"] is False and values["style_table"]["display"] == "none"
    blank = table_values(None)  # an error: the table is emptied and says nothing
    assert blank[:4] == [None, None, None, True] and blank[4:6] == [[], []]


def _arrays_as_lists(x):
    """Plotly's JSON with its typed arrays ({"bdata": base64, "dtype": …}) written out as lists, as plotly.js reads them."""
    import base64

    import numpy as np

    if isinstance(x, dict):
        if set(x) >= {"bdata", "dtype"}:
            a = np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"])
            return [None if np.isnan(f) else float(f) for f in a] if a.dtype.kind == "f" else a.tolist()
        return {k: _arrays_as_lists(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_arrays_as_lists(v) for v in x]
    return x


@pytest.mark.parametrize("metric,title", [("unmet", None), ("coverage", "Coverage by place"), ("unmet", "Unmet")])
def test_the_map_sent_to_the_browser_is_the_figure_plotly_would_send(river, metric, title):
    """Made without go.Figure, the map is still exactly what go.Figure would write (the reference below is the
    map built the plain way), whichever ring winding and hole a boundary has."""
    import plotly.io as pio
    from plotly.io.json import to_json_plotly

    _, a, _, names = river
    v = cd.leaf_values(a.coverage).assign(name=lambda d: [names.place(p) for p in d["place"]])
    v.loc[v["place"] == "W2", "coverage"] = float("nan")  # no need there: coverage unknown
    square = {"type": "Polygon", "coordinates": [[[-2.0, 53.0], [-1.9, 53.0], [-1.9, 53.1], [-2.0, 53.1], [-2.0, 53.0]],
                                                 [[-1.97, 53.03], [-1.97, 53.07], [-1.93, 53.07], [-1.97, 53.03]]]}
    multi = {"type": "MultiPolygon", "coordinates": [[[[-1.8, 53.0], [-1.8, 53.1], [-1.7, 53.1], [-1.8, 53.0]]],
                                                     [[[-1.6, 53.0], [-1.5, 53.0], [-1.5, 53.1], [-1.6, 53.0]]]]}
    geoms = {"W1": square, "W2": multi}
    have = v[v["place"].isin(list(geoms))]
    z = have[metric].astype(float)
    z = z.clip(upper=fg.COVERAGE_CAP) if metric == "coverage" else z
    ref = fg.go.Figure(fg.go.Choropleth(
        geojson={"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": c, "properties": {}, "geometry": geoms[c]} for c in have["place"]]},
        locations=list(have["place"]), z=z.fillna(0 if metric != "coverage" else float("nan")), featureidkey="id",
        colorscale="Cividis", reversescale=metric != "coverage", zmin=0,
        zmax=fg.COVERAGE_CAP if metric == "coverage" else max(float(z.max()), 1.0),
        marker=dict(line=dict(width=1, color="#444"), opacity=0.85),
        colorbar=dict(thickness=14, xref="container", x=1, xanchor="right", xpad=8,
                      title=dict(text=fg.METRICS[metric], side="right")), text=fg._hover(have),
        hovertemplate="%{text}<extra></extra>", name=fg.METRICS[metric]))
    ref.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="white")
    if title:
        ref.update_layout(title=dict(text=title, x=0.01))
    ref.update_layout(uirevision="LA1", height=520,
                            font=fg._FONT, margin=dict(l=10, r=fg.COLOURBAR_MARGIN, t=40 if title else 10, b=10),
                            paper_bgcolor="white", plot_bgcolor="white")
    sent = fg.choropleth_for_browser(v, geoms, metric=metric, title=title, uirevision="LA1")
    assert json.loads(to_json_plotly(sent)) == _arrays_as_lists(json.loads(pio.to_json(ref)))
    again = fg.choropleth_for_browser(v, geoms, metric=metric, title=title, uirevision="LA1")  # rings made once
    assert again["data"][0]["geojson"]["features"][0]["geometry"] is sent["data"][0]["geojson"]["features"][0]["geometry"]
    assert json.loads(to_json_plotly(again)) == _arrays_as_lists(json.loads(pio.to_json(ref)))
    assert json.loads(pio.to_json(fg.choropleth(v, geoms, metric=metric, title=title, uirevision="LA1"))) \
        == json.loads(pio.to_json(ref))
    # with nothing to draw on a map, the same fallbacks as the figure's
    assert fg.choropleth_for_browser(v, {})["data"][0]["type"] == "heatmap"
    assert fg.choropleth_for_browser(v.iloc[:0], geoms) == fg.choropleth(v.iloc[:0], geoms).to_plotly_json()


def test_a_charts_table_waits_beside_its_slot_until_opened():
    from dash import html

    from dashboard.components.layout import chart
    from dashboard.components.tables import deferred
    from support import chart_table

    df = pd.DataFrame({"Place": ["Sale", "Hale"], "Unmet": [30.0, 20.0]})
    made = data_table("t", df, numeric={"Unmet": 0}, caption="Gaps")
    shown = made.children[2]
    section = chart("g", fg.hbar(["a"], [1.0]), data_table("t", df, numeric={"Unmet": 0}, caption="Gaps"), title="Gaps")
    details = section.children[-1]
    summary, wrap = details.children
    assert summary.id == {"type": "ecomap-lazy-open", "table": "t"} and getattr(details, "data-ecomap-table") == "t"
    slot, rows = wrap.children[2:]
    assert slot.id == {"type": "ecomap-lazy-slot", "table": "t"} and not slot.children  # nothing drawn yet
    assert rows.id == {"type": "ecomap-lazy-rows", "table": "t"}
    again = chart_table(wrap)  # the table the browser draws from the rows is the one data_table made
    assert again.id == shown.id and again.data == shown.data == [{"Place": "Sale", "Unmet": 30.0},
                                                                {"Place": "Hale", "Unmet": 20.0}]
    assert again.columns == shown.columns and again.page_size == shown.page_size
    assert deferred(wrap) == (wrap, "t") and wrap.children[2:] == [slot, rows]  # deferred once only
    other = html.Div("not a table")
    assert deferred(other) == (other, None)  # anything else is left as it is


def test_a_chart_below_the_first_screen_waits_in_a_slot_of_its_height_with_its_graph_beside_it():
    from dash import dcc

    from dashboard.components.layout import CHART_HEIGHT, FILL_CHART, chart, graph
    from support import lazy_figure

    fig = fg.hbar(["Sale", "Hale"], [1.0, 2.0])
    fig.update_layout(height=333)
    plain = graph("g", fig, filename="ecomap-g")
    assert isinstance(plain, dcc.Graph) and plain.id == "g" and plain.figure is fig  # drawn at once by default
    assert plain.config["toImageButtonOptions"]["filename"] == "ecomap-g"
    slot, store = graph("g", fig, filename="ecomap-g", lazy=True).children
    assert slot.id == {"type": "ecomap-lazy-chart", "chart": "g"} and "ecomap-lazy-chart" in slot.className
    assert slot.style == {"minHeight": "333px"}  # the page keeps its length while the chart waits
    assert "Drawing the chart" in slot.children.children
    assert store.id == {"type": "ecomap-lazy-figure", "chart": "g"}
    held = store.data
    assert held["type"] == "Graph" and held["namespace"] == "dash_core_components"
    assert held["props"]["id"] == "g" and held["props"]["config"] == plain.config  # the same graph, the same id
    assert lazy_figure(graph("g", fig, lazy=True)) is fig
    # a figure that does not say its height waits in Plotly's own default
    import plotly.graph_objects as go

    assert graph("h", go.Figure(), lazy=True).children[0].style == {"minHeight": f"{CHART_HEIGHT}px"}
    assert graph("h", {"data": [], "layout": {"height": 280}}, lazy=True).children[0].style == {"minHeight": "280px"}
    assert graph("h", {"data": []}, lazy=True).children[0].style == {"minHeight": f"{CHART_HEIGHT}px"}
    section = chart("g", fig, data_table("t", pd.DataFrame({"a": [1]})), title="Gaps", lazy=True)
    figure_div = section.children[2]
    assert figure_div.role == "figure" and figure_div.children.children[1].id["chart"] == "g"
    assert "spec" in FILL_CHART and "no_update" in FILL_CHART


def test_label_margins_make_room_for_the_longest_line_without_a_second_draw():
    assert fg.label_margin(["Sale", "Altrincham Age Well Network"]) == int(27 * 13 * 0.62 + 24)
    assert fg.label_margin(["Health and<br>wellbeing support"], 11) == int(17 * 11 * 0.62 + 24)  # the longest line
    assert fg.label_margin([]) == 40 and fg.label_margin(["x" * 500]) == 420
    name = "Illustrative: Borough Commissioning and In-house Services"  # 56 characters: cut at 48, whole in the hover
    bars = fg.hbar([name, "Sale"], [1.0, 2.0], x_title="share")
    assert list(bars.data[0].y) == [name[:47] + "…", "Sale"] and list(bars.data[0].customdata) == [name, "Sale"]
    assert bars.layout.yaxis.automargin is False and bars.layout.margin.l == fg.label_margin([name[:47] + "…"])


def test_the_funding_page_says_what_money_goes_to_organisations_with_no_service(river):
    import dataclasses

    G, a, fr, names = river
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    res = state.Result(view, a, names)

    def said(frames):
        return [c.children for c in views.funding_view(res, frames) if getattr(c, "id", None) == "funding-elsewhere"]

    assert said(fr) == []  # every active flow reaches a provider of a service
    extra = pd.DataFrame([{**fr.funding.iloc[0].to_dict(), "funding": "F9", "recipient": "TRUST", "amount": 1234.5},
                          {**fr.funding.iloc[0].to_dict(), "funding": "F10", "recipient": "COUNCIL", "amount": 100.0,
                           "end": pd.Timestamp("2024-06-30")}])  # F10 ended before the view's date
    [text] = said(dataclasses.replace(fr, funding=pd.concat([fr.funding, extra], ignore_index=True)))
    assert text.startswith("A further £1,234 in 1 active flow(s) goes to 1 organisation(s) with no active service")
