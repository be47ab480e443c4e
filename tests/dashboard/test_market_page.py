"""The /market page's callbacks called as plain functions on the demo in the session's real store."""

from __future__ import annotations

import pytest
from test_market_components import find, flat

from dashboard import state
from ecosystem.demo import DEMO_AS_OF, DEMO_PLACE

AS_OF = DEMO_AS_OF.isoformat()


@pytest.fixture(scope="module")
def market(app_over_demo):
    from dashboard.pages import market

    return market


def demo_analysis(category=None):
    return state.analysis_for(state.make_view(DEMO_PLACE, category, AS_OF)[0]).analysis


def table_rows(body, ident):
    wrap = find(body, f"{ident}-wrap")
    assert wrap is not None, ident
    return wrap.children[2].data


def test_the_page_shows_the_analysis_tables_by_name(market):
    a = demo_analysis()
    body, msg = market.update(DEMO_PLACE, None, AS_OF, "")
    assert msg is None
    shown = flat(body)
    assert "Who provides" in shown and "What is being procured" in shown
    pipeline = table_rows(body, "market-pipeline")
    assert len(pipeline) == len(a.pipeline) > 0
    names = state.names(DEMO_PLACE)
    assert [r["Procurement"] for r in pipeline] == [t if isinstance(t, str) and t else p
                                                   for t, p in zip(a.pipeline["title"], a.pipeline["procurement"])]
    assert all(names.organisation(b) in r["Buyer"] for r, b in zip(pipeline, a.pipeline["buyer"]))
    security = table_rows(body, "market-security-table")
    assert len(security) == len(a.funding_security) and security[0]["Funder"] == "All funders"
    total = a.funding_security[a.funding_security["funder"].isna()].iloc[0]
    assert security[0]["Amount"] == float(total["amount"])
    assert security[0]["Short-term %"] == round(100 * float(total["short_term_share"]), 1)
    diversity = table_rows(body, "market-diversity-table")
    assert len(diversity) == len(a.diversity)
    vcse = a.diversity[a.diversity["sector"] == "vcse"]["supply"].sum() / a.diversity["supply"].sum()
    assert f"{vcse:.0%}" in shown  # the VCSE share card


def test_a_category_narrows_every_section(market):
    a = demo_analysis()
    cat = a.pipeline["category"].iloc[0]
    body, msg = market.update(DEMO_PLACE, cat, AS_OF, "")
    assert msg is None
    assert len(table_rows(body, "market-pipeline")) == int((a.pipeline["category"] == cat).sum())
    assert len(table_rows(body, "market-diversity-table") if find(body, "market-diversity-table-wrap")
               else table_rows(body, "market-providers-table")) == int((a.diversity["category"] == cat).sum())
    assert len(table_rows(body, "market-concentration-table")) == int((a.concentration["category"] == cat).sum())


def test_the_trend_has_four_small_charts_and_follows_the_dates(market):
    body, msg = market.trend(DEMO_PLACE, None, AS_OF, "", "5y")
    assert msg is None
    graphs = [g for g in (find(body, f"market-trend-{i}") for i in range(4)) if g is not None]
    assert len(graphs) == 4
    assert len(graphs[0].figure.data[0].x) == 5
    rows = table_rows(body, "market-trend-table")
    assert rows[-1]["As of"] == AS_OF and rows[0]["As of"] == "2022-11-21"
    again, _ = market.trend(DEMO_PLACE, None, AS_OF, "", "not a choice")  # a scripted value: the default
    assert len(find(again, "market-trend-0").figure.data[0].x) == 5
    body, _ = market.trend(DEMO_PLACE, None, AS_OF, "", "2y")
    assert len(find(body, "market-trend-0").figure.data[0].x) == 9


def test_bad_place_date_and_a_store_that_is_down_are_readable(market, demo_store):
    body, msg = market.update("E99999999", None, AS_OF, "")
    assert body == [] and "no place with code 'E99999999'" in flat(msg)
    body, msg = market.trend("E99999999", None, AS_OF, "", "5y")
    assert body == [] and "no place with code 'E99999999'" in flat(msg)
    body, msg = market.update(DEMO_PLACE, None, "21/11/2026", "")
    assert body and msg is None  # the date falls back to the demo's (the notes above the page say so)
    assert "showing Trafford instead" in flat(market.layout(place="E99999999", as_of=AS_OF))
    from ecosystem.store import StoreUnavailable

    def down():
        raise StoreUnavailable("cannot reach the graph store at /nowhere")

    state.configure(down)
    try:
        for out in (market.update(DEMO_PLACE, None, AS_OF, ""), market.trend(DEMO_PLACE, None, AS_OF, "", "5y")):
            assert out[0] == [] and "graph store cannot be reached" in flat(out[1])
        assert "graph store cannot be reached" in flat(market.layout(place=DEMO_PLACE, as_of=AS_OF))
    finally:
        state.configure(demo_store, defaults={"place": DEMO_PLACE, "as_of": AS_OF})


def test_a_scenario_changes_the_figures_and_the_trend_says_it_is_of_the_stored_data(market, demo_store):
    from ecosystem import analysis as an

    svc = state.service()
    a = demo_analysis()
    provider = a.provision["provider"].value_counts().index[0]
    sid = svc.save_scenario("Market page test", an.ScenarioOptions.make(as_of=DEMO_AS_OF, remove_providers=[provider],
                                                                      place=DEMO_PLACE)))
    state.note_scenario_saved()
    body, msg = market.update(DEMO_PLACE, None, AS_OF, sid)
    assert msg is None and "Scenario: " in flat(body) and "Market page test" in flat(body)
    trend, msg = market.trend(DEMO_PLACE, None, AS_OF, sid, "5y")
    assert msg is None and "The trend is of the data as stored" in flat(trend)
    svc.delete_scenario(sid)
    state.note_scenario_saved()
