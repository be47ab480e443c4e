"""The /market page's pure builders, on the riverside example with market tables worked out by hand.

Riverside on 2025-01-01 (ecosystem/examples.py), with FOODBANK a charity (vcse), PANTRY a firm
(private), MIND a charity and ACME with no sector recorded:

    FOOD in LA1: supply 100 = FOODBANK 80 (S1) + PANTRY 20 (S2)   → vcse 0.8, private 0.2
    MH in LA1:   supply 50  = MIND 50 (S3); ACME's S4 has no capacity → vcse 1.0, unknown 0.0 (1 provider)
    active funding 160,000: short-term (12 months or less) F1 30k + F4 40k + F6 10k = 80k → 0.5;
    multi-year (36 months or more) F3 60k → 0.375; COUNCIL 100k: short 0.4, multi 0.6; TRUST 60k: short 2/3, multi 0
"""

from __future__ import annotations

import datetime as dt
import decimal

import pandas as pd
import pytest

from dashboard import state
from dashboard.components import market as mk
from ecosystem import analysis as an
from ecosystem.examples import RIVERSIDE_AS_OF, riverside
from market_fixture import find, flat, panels_of

D = decimal.Decimal


def diversity_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"place": "LA1", "category": "FOOD", "sector": "vcse", "share": 0.8, "providers": 1, "supply": 80.0},
        {"place": "LA1", "category": "FOOD", "sector": "private", "share": 0.2, "providers": 1, "supply": 20.0},
        {"place": "LA1", "category": "MH", "sector": "vcse", "share": 1.0, "providers": 1, "supply": 50.0},
        {"place": "LA1", "category": "MH", "sector": "unknown", "share": 0.0, "providers": 1, "supply": 0.0},
    ])


def security_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"funder": None, "currency": "GBP", "amount": D("160000"), "flows": 5, "short_term_share": 0.5,
         "multi_year_share": 0.375},
        {"funder": "COUNCIL", "currency": "GBP", "amount": D("100000"), "flows": 3, "short_term_share": 0.4,
         "multi_year_share": 0.6},
        {"funder": "TRUST", "currency": "GBP", "amount": D("60000"), "flows": 2, "short_term_share": 2 / 3,
         "multi_year_share": 0.0},
    ])


def pipeline_frame() -> pd.DataFrame:
    return pd.DataFrame([{
        "procurement": "ocds-1", "title": "Food support in Mill End", "buyer": "COUNCIL", "category": "FOOD",
        "stage": "tender", "start": pd.Timestamp("2025-04-01"), "end": pd.Timestamp("2028-03-31"), "value": 90000.0,
        "currency": "GBP", "places": ("W3",), "gaps": [{"place": "W3", "status": "unserved", "unmet": 20.0}],
        "cliffs": ["F1"],
    }, {
        "procurement": "ocds-2", "title": None, "buyer": "COUNCIL", "category": "unclassified", "stage": "planning",
        "start": pd.Timestamp("2025-09-01"), "end": pd.NaT, "value": float("nan"), "currency": None, "places": (),
        "gaps": [], "cliffs": [],
    }])


@pytest.fixture(scope="module")
def river():
    G = riverside()
    a = an.analyse(G, place="LA1", as_of=RIVERSIDE_AS_OF)
    names = state.names_from_graph(G)
    view = state.View("LA1", None, RIVERSIDE_AS_OF)
    return a, names, view


def result(a, names, view, **tables) -> state.Result:
    """The riverside analysis with the market tables given (empty ones by default)."""
    import copy

    b = copy.copy(a)
    b.diversity = tables.get("diversity", pd.DataFrame(columns=["place", "category", "sector", "share", "providers",
                                                                "supply"]))
    b.funding_security = tables.get("funding_security", pd.DataFrame(
        columns=["funder", "currency", "amount", "flows", "short_term_share", "multi_year_share"]))
    b.pipeline = tables.get("pipeline", pd.DataFrame(columns=list(pipeline_frame().columns)))
    return state.Result(view, b, names)


def test_trend_dates_step_back_from_as_of_oldest_first():
    as_of = dt.date(2026, 11, 21)
    assert mk.trend_dates(as_of, "5y") == [dt.date(y, 11, 21) for y in range(2022, 2027)]
    quarterly = mk.trend_dates(as_of, "2y")
    assert len(quarterly) == 9 and quarterly[0] == dt.date(2024, 11, 21) and quarterly[-1] == as_of
    assert quarterly[1] == dt.date(2025, 2, 21)
    assert mk.trend_dates(as_of, "next3y") == [dt.date(y, 11, 21) for y in range(2026, 2030)]
    # a day a shorter month lacks becomes that month's last day
    assert mk.trend_dates(dt.date(2024, 2, 29), "5y") == [dt.date(2020, 2, 29), dt.date(2021, 2, 28),
                                                         dt.date(2022, 2, 28), dt.date(2023, 2, 28),
                                                         dt.date(2024, 2, 29)]
    assert mk.trend_dates(dt.date(2025, 8, 31), "3y")[:3] == [dt.date(2022, 8, 31), dt.date(2023, 2, 28),
                                                             dt.date(2023, 8, 31)]
    # what a script might send instead of a choice: the default
    for bad in (None, 3, "", "10y", ["5y"]):
        assert mk.trend_dates(as_of, bad) == mk.trend_dates(as_of, "5y")


def test_diversity_bars_share_by_sector_with_names(river):
    a, names, view = river
    rows = diversity_frame()
    fig = mk.diversity_figure(rows, names)
    by_sector = {t.name: (list(t.y), list(t.x)) for t in fig.data if t.xaxis == "x"}  # the left panel: shares
    assert list(by_sector) == ["Voluntary and community (VCSE)", "Private", "Sector not recorded"]  # SECTORS order
    assert by_sector["Voluntary and community (VCSE)"] == (["Food support", "Mental health"], [0.8, 1.0])
    assert by_sector["Private"] == (["Food support"], [0.2])
    counts = [(t.name, list(t.x), t.showlegend) for t in fig.data if t.xaxis == "x2"]  # the right panel: providers
    assert counts == [("Voluntary and community (VCSE)", [1, 1], False), ("Private", [1], False),
                      ("Sector not recorded", [1], False)]  # one legend entry per sector, from the left panel
    alone = mk.diversity_figure(rows.assign(share=None), names, shares=False)  # no capacities: counts only
    assert [(list(t.x), t.showlegend) for t in alone.data] == [([1, 1], True), ([1], True), ([1], True)]
    table = mk.diversity_table(rows, names)
    assert table.to_dict("records")[0] == {"Place": "Riverside", "Category": "Food support",
                                           "Sector": "Voluntary and community (VCSE)", "Share of supply %": 80.0,
                                           "Providers": 1, "Supply (people)": 80.0}


def test_diversity_says_what_it_cannot_show():
    rows = diversity_frame()
    assert "Some providers have no sector recorded" in mk.diversity_note(rows)
    assert mk.diversity_note(rows[rows["sector"] != "unknown"]) is None
    assert "No active services" in mk.diversity_note(rows.iloc[0:0])
    unknown = rows.assign(sector="unknown")
    assert "No provider here has a sector recorded" in mk.diversity_note(unknown)
    no_capacity = rows.assign(share=None, supply=0.0)
    assert "capacities" in mk.diversity_note(no_capacity)


def test_funding_security_table_totals_first_and_the_middle_band(river):
    a, names, view = river
    t = mk.security_table(security_frame(), names, view)
    assert t["Funder"].iloc[0] == "All funders"
    assert t["Funder"].iloc[1].startswith("[Riverside Council](/organisation/COUNCIL?place=LA1")
    assert t[["Amount", "Flows", "Short-term %", "One to three years %", "Multi-year %"]].values.tolist() == [
        [160000.0, 5, 50.0, 12.5, 37.5], [100000.0, 3, 40.0, 0.0, 60.0], [60000.0, 2, 66.7, 33.3, 0.0]]
    fig = mk.security_figure(security_frame(), names, "GBP")
    assert [t.name for t in fig.data] == ["12 months or less", "More than 12 months, under 36",
                                          "36 months or more, or open-ended"]
    assert list(fig.data[0].y)[0] == "All funders"
    assert [round(x, 3) for x in fig.data[2].x] == [0.375, 0.6, 0.0]
    cards = mk.security_cards(security_frame())
    assert cards[0][:2] == ("Short-term funding", "50%") and cards[1][:2] == ("Multi-year funding", "38%")
    assert "£160,000" in cards[0][2]


def test_funding_security_in_two_currencies_is_never_added(river):
    a, names, view = river
    sec = pd.concat([security_frame(), pd.DataFrame([
        {"funder": None, "currency": "EUR", "amount": D("5000"), "flows": 1, "short_term_share": 1.0,
         "multi_year_share": 0.0},
        {"funder": "TRUST", "currency": "EUR", "amount": D("5000"), "flows": 1, "short_term_share": 1.0,
         "multi_year_share": 0.0}])], ignore_index=True)
    cards = mk.security_cards(sec)
    assert [c[0] for c in cards] == ["Short-term funding (GBP)", "Multi-year funding (GBP)",
                                     "Short-term funding (EUR)", "Multi-year funding (EUR)"]
    assert "€5,000" in cards[2][2] and "£160,000" in cards[0][2]
    res = result(a, names, view, funding_security=sec)
    shown = flat(mk.security_section(res))
    assert "Funding is in 2 currencies (GBP, EUR)" in shown and "never added together" in shown


def test_pipeline_names_gaps_and_cliffs(river):
    a, names, view = river
    t = mk.pipeline_table(pipeline_frame(), a.funding_cliffs, names, view)
    first, second = t.to_dict("records")
    assert first["Procurement"] == "Food support in Mill End" and first["Category"] == "Food support"
    assert first["Stage"] == "Tender" and first["Starts"] == "2025-04-01" and first["Ends"] == "2028-03-31"
    assert first["Places"] == "Mill End" and first["Gaps it may answer"] == "Mill End: unserved, 20 unmet"
    # F1: COUNCIL → FOODBANK, £30,000 ending 31 March 2025 (the riverside cliff)
    assert first["Funding cliffs it may answer"].startswith("[Riverside Food Bank](/organisation/FOODBANK?")
    assert first["Funding cliffs it may answer"].endswith(" (£30,000 ending 2025-03-31)")
    assert "(/organisation/COUNCIL?" in first["Buyer"]
    assert second["Procurement"] == "ocds-2" and second["Category"] == "Unclassified"
    assert second["Places"] == "not given" and pd.isna(second["Value"]) and second["Ends"] == ""
    assert second["Currency"] == "GBP" and second["Gaps it may answer"] == ""


def test_gaps_text_keeps_the_largest_five_and_counts_the_rest():
    names = state.Names(places={f"W{i}": f"Ward {i}" for i in range(8)})
    gaps = [{"place": f"W{i}", "status": "under", "unmet": 100 - i} for i in range(8)]
    said = mk.gaps_text(gaps, names)
    assert said.startswith("Ward 0: under-served, 100 unmet; Ward 1: under-served, 99 unmet")
    assert said.endswith("Ward 4: under-served, 96 unmet and 3 more")
    assert mk.gaps_text(None, names) == "" and mk.gaps_text(["not a gap"], names) == ""


def test_every_empty_state_says_something_useful(river):
    a, names, view = river
    res = result(a, names, view)
    body = mk.market_view(res)
    shown = flat(body)
    assert "No active services in this place and category" in shown
    assert "No procurement is recorded as starting after 1 January 2025" in shown
    assert "procurements table" in shown and "OCDS" in shown
    # riverside has funding: the security section is not empty (the table given is, so it says there is none)
    assert "No active funding to organisations in Riverside on 1 January 2025" in shown
    assert find(body, "market-pipeline-empty") is not None and find(body, "market-security-empty") is not None
    trend = mk.trend_section(pd.DataFrame(columns=["as_of"]), names, view)
    assert "No figures to draw for these dates." in flat(trend)


def test_the_full_view_with_figures(river):
    a, names, view = river
    res = result(a, names, view, diversity=diversity_frame(), funding_security=security_frame(),
                 pipeline=pipeline_frame())
    body = mk.market_view(res)
    shown = flat(body)
    assert "VCSE share of supply" in shown and "87%" in shown  # (80 + 50) / 150
    assert "1 of 2 categories are concentrated" not in shown  # riverside: FOOD 6,800 and MH 10,000 are both
    assert "2 of 2 categories are concentrated" in shown
    assert "2 procurement(s) expected to start after 1 January 2025; 1 may answer a gap or a funding cliff" in shown
    for ident in ("market-diversity", "market-concentration-table-wrap", "market-security"):
        assert find(body, ident) is not None, ident
    food = result(a, names, state.View("LA1", "FOOD", RIVERSIDE_AS_OF), diversity=diversity_frame(),
                  funding_security=security_frame(), pipeline=pipeline_frame())
    shown = flat(mk.market_view(food))
    assert "80%" in shown and "1 of 2 providers here are VCSE" in shown
    assert "1 procurement(s) in Food support" in shown and "not split by category" in shown


def series_frame(currencies=("GBP",)) -> pd.DataFrame:
    rows = []
    for i, d in enumerate(["2023-01-01", "2024-01-01", "2025-01-01"]):
        for c in currencies:
            rows.append({"as_of": dt.date.fromisoformat(d), "demand": 160.0, "supply": 100.0 + 10 * i,
                         "unmet": 40.0 - 5 * i, "unserved": 1, "providers_vcse": 2, "providers_private": i,
                         "providers_public": 0, "providers_other": 0, "providers_unknown": 1, "currency": c,
                         "funding": 100000.0 + 1000 * i if c == "GBP" else 5000.0, "short_term_share": 0.5,
                         "multi_year_share": 0.25})
    return pd.DataFrame(rows)


def test_trend_small_line_charts(river):
    a, names, view = river
    x, panels = mk.trend_panels(series_frame())
    assert [p["title"] for p in panels] == ["Need and unmet need (people)", "Providers by sector", "Active funding",
                                            "Funding security"]
    figs = panels_of(mk.trend_figure(x, panels))
    assert list(figs) == [p["title"] for p in panels]  # one figure, four panels, each its own legend
    need = {t.name: list(t.y) for t in figs["Need and unmet need (people)"]}
    assert need == {"People in need": [160.0] * 3, "Supply": [100.0, 110.0, 120.0], "Unmet need": [40.0, 35.0, 30.0]}
    assert {t.legend for t in figs["Providers by sector"]} == {"legend2"}
    # a sector with no provider on any date gets no line
    assert [t.name for t in figs["Providers by sector"]] == ["Voluntary and community (VCSE)", "Private",
                                                             "Sector not recorded"]
    two = panels_of(mk.trend_figure(*mk.trend_panels(series_frame(("GBP", "EUR")))))
    assert [t.name for t in two["Active funding"]] == ["Active funding (GBP)", "Active funding (EUR)"]
    assert list(two["Active funding"][1].y) == [5000.0] * 3 and two["Active funding"][1].line.dash == "dash"
    assert len(two["Need and unmet need (people)"][0].y) == 3  # one point per date, not per currency
    assert [t.name for t in two["Funding security"]] == ["Short-term (GBP)", "Multi-year (GBP)",
                                                         "Short-term (EUR)", "Multi-year (EUR)"]
    # nothing to draw in a panel: it says so instead of drawing empty axes
    quiet = series_frame().assign(demand=0.0, supply=0.0, unmet=0.0, providers_vcse=0, providers_private=0,
                                  providers_unknown=0, currency=None, funding=None)
    x, panels = mk.trend_panels(quiet)
    assert [len(p["lines"]) for p in panels] == [0, 0, 0, 0]
    said = [a.text for a in mk.trend_figure(x, panels).layout.annotations[4:]]
    assert said == ["No need or supply recorded.", "No providers.", "No active funding.", "No active funding."]
    section = mk.trend_section(series_frame(), names, view, note="a note")
    shown = flat(section)
    assert "from 1 January 2023 to 1 January 2025" in shown and "a note" in shown
    table = mk.trend_table(series_frame())
    assert table["Short-term %"].tolist() == [50.0] * 3 and table["Providers: Private"].tolist() == [0, 1, 2]


def test_a_procurement_title_that_looks_like_a_formula_exports_inert(river):
    """Publishers' text (an OCDS title) lands in CSV and Excel as text a spreadsheet shows, never runs."""
    import io

    import openpyxl

    from dashboard.components.tables import export_bytes, records

    a, names, view = river
    pipe = pipeline_frame()
    pipe.loc[0, "title"] = '=HYPERLINK("http://attacker.example","Food")'
    table = mk.pipeline_table(pipe, a.funding_cliffs, names, view)
    rows, cols = records(table), list(table.columns)
    text = export_bytes(rows, cols, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK(" in text and "\n=HYPERLINK(" not in text
    assert "Riverside Council" in text and "](/organisation/" not in text  # links as their text
    book = openpyxl.load_workbook(io.BytesIO(export_bytes(rows, cols, "xlsx")))
    cell = book.active.cell(row=2, column=1)
    assert cell.value.startswith("'=HYPERLINK(") and cell.data_type == "s"
