"""Fragile dependencies (SPEC §5) with hand-computed figures."""

from __future__ import annotations

import pytest

from analysis_fixtures import AS_OF, D, graph, row, wards
from ecosystem.analysis import (
    articulation_points,
    bridges,
    critical_providers,
    funding_cliffs,
    funding_dependency,
    run_scenario,
    short_term_share,
    sole_providers,
)


# ---------------------------------------------------------------- funding dependency
def test_top_share_of_exactly_half_is_dependent():
    #   A: X 50, Y 30, Z 20 → top X 0.5 (dependent), hhi .25 + .09 + .04 = .38
    #   B: X 30 + X 30 (two flows, one funder), Y 40 → X 0.6, hhi .36 + .16 = .52
    #   C: X 40, Y 40, Z 20 (a tie: smallest id wins) → X 0.4, not dependent; hhi .16+.16+.04 = .36
    #   an ended flow (Z → B) and a future one (Z → C) do not count
    G = graph(places=wards(W1=1), funding=[
        {"funder": "X", "recipient": "A", "amount": 50}, {"funder": "Y", "recipient": "A", "amount": 30},
        {"funder": "Z", "recipient": "A", "amount": 20},
        {"funder": "X", "recipient": "B", "amount": 30}, {"funder": "X", "recipient": "B", "amount": 30},
        {"funder": "Y", "recipient": "B", "amount": 40},
        {"funder": "Z", "recipient": "B", "amount": 1000, "end": D(2024, 12, 31)},
        {"funder": "Y", "recipient": "C", "amount": 40}, {"funder": "X", "recipient": "C", "amount": 40},
        {"funder": "Z", "recipient": "C", "amount": 20}, {"funder": "Z", "recipient": "C", "amount": 1000,
                                                          "start": D(2025, 1, 2)},
    ])
    dep = funding_dependency(G, as_of=AS_OF)
    assert list(dep["provider"]) == ["B", "A", "C"]
    a, b, c = row(dep, provider="A"), row(dep, provider="B"), row(dep, provider="C")
    assert (a["top_funder"], a["top_share"], a["dependent"], a["funders"], a["amount"]) == ("X", 0.5, True, 3, 100.0)
    assert a["hhi"] == pytest.approx(0.38)
    assert (b["top_funder"], b["top_share"], b["hhi"], b["dependent"]) == ("X", 0.6, 0.52, True)
    assert (c["top_funder"], c["top_share"], c["hhi"], c["dependent"]) == ("X", 0.4, 0.36, False)
    strict = funding_dependency(G, as_of=AS_OF, dependency_threshold=0.6)
    assert list(strict["dependent"]) == [True, False, False]


def test_dependency_only_for_organisations_of_the_place():
    #   P serves a ward of LA1; Q is based in LA2 only
    places = wards("LA1", W1=1) + wards("LA2", W2=1)
    G = graph(places=places, organisations=[{"id": "Q", "name": "Q", "place": "W2"}],
              services=[{"provider": "P", "category": "C", "areas": "W1"}],
              funding=[{"funder": "X", "recipient": "P", "amount": 1}, {"funder": "X", "recipient": "Q", "amount": 1}])
    assert list(funding_dependency(G, place="LA1", as_of=AS_OF)["provider"]) == ["P"]
    assert list(funding_dependency(G, place="LA2", as_of=AS_OF)["provider"]) == ["Q"]
    assert list(funding_dependency(G, as_of=AS_OF)["provider"]) == ["P", "Q"]


# ---------------------------------------------------------------- sole and critical providers
def _two_wards():
    #   W1 need 100: P 60 + Q 60 → supply 120
    #   W2 need 50: P 30 → unmet 20 (sole provider P)
    #   W3 need 10: P's two services of unknown capacity → sole provider P, unmet 10
    #   W4 no need: Q 10 → not a sole-provider cell
    return graph(places=wards(W1=1, W2=1, W3=1, W4=1),
                 services=[{"provider": "P", "category": "C", "areas": "W1", "capacity": 60},
                           {"provider": "Q", "category": "C", "areas": "W1", "capacity": 60},
                           {"provider": "P", "category": "C", "areas": "W2", "capacity": 30},
                           {"provider": "P", "category": "C", "areas": "W3"},
                           {"provider": "P", "category": "C", "areas": "W3"},
                           {"provider": "Q", "category": "C", "areas": "W4", "capacity": 10}],
                 needs=[{"place": "W1", "category": "C", "people": 100},
                        {"place": "W2", "category": "C", "people": 50},
                        {"place": "W3", "category": "C", "people": 10}])


def test_sole_providers():
    s = sole_providers(_two_wards(), as_of=AS_OF)
    assert s[["place", "category", "provider"]].values.tolist() == [["W2", "C", "P"], ["W3", "C", "P"]]


def test_critical_providers_by_hand_and_as_a_scenario():
    #   P leaves: W1 120 → 60 (+40), W2 30 → 0 (+30), W3 unknown → unserved (+0 people) → 70, 2 cells unserved
    #   Q leaves: W1 120 → 60 (+40); W4 has no need → 40
    G = _two_wards()
    cp = critical_providers(G, as_of=AS_OF)
    assert cp.to_dict("records") == [
        {"provider": "P", "unmet_added": 70.0, "unserved_added": 2, "cells": 3},
        {"provider": "Q", "unmet_added": 40.0, "unserved_added": 0, "cells": 2}]
    for p, added in (("P", 70.0), ("Q", 40.0)):
        r = run_scenario(G, remove_providers=[p], as_of=AS_OF)
        assert r.unmet_added == added
    assert run_scenario(G, remove_providers=["P"], as_of=AS_OF).became_unserved["place"].tolist() == ["W2", "W3"]


# ---------------------------------------------------------------- funding cliffs
def _flows(*rows):
    return graph(places=wards(W1=1),
                 services=[{"id": "S1", "provider": "R", "category": "C", "areas": "W1"},
                           {"id": "S2", "provider": "R", "category": "C", "areas": "W1"},
                           {"id": "S3", "provider": "R", "category": "C", "areas": "W1", "end": D(2024, 1, 1)}],
                 funding=list(rows))


def test_cliff_without_successor_lists_the_recipients_active_services():
    G = _flows({"id": "F1", "funder": "X", "recipient": "R", "amount": 100, "start": D(2024, 4, 1),
                "end": D(2025, 3, 31)})
    cl = funding_cliffs(G, as_of=AS_OF)
    assert cl.to_dict("records") == [{"funding": "F1", "funder": "X", "recipient": "R", "end": D(2025, 3, 31),
                                      "amount": 100.0, "currency": "GBP", "services": ["S1", "S2"],
                                      "service": None}]


@pytest.mark.parametrize("successor, cliff", [
    ({"funder": "X", "recipient": "R", "start": D(2025, 4, 1), "end": D(2026, 3, 31)}, False),  # later end
    ({"funder": "X", "recipient": "R", "start": D(2025, 4, 1)}, False),  # open-ended
    ({"funder": "X", "recipient": "R", "start": D(2024, 1, 1), "end": D(2025, 2, 1)}, True),  # ends sooner
    ({"funder": "Y", "recipient": "R", "start": D(2025, 4, 1)}, True),  # another funder
    ({"funder": "X", "recipient": "Q", "start": D(2025, 4, 1)}, True),  # another recipient
    ({"funder": "X", "recipient": "R", "start": D(2025, 4, 1), "service": "S1"}, False),  # any flow X → R
])
def test_successor_flow(successor, cliff):
    G = _flows({"id": "F1", "funder": "X", "recipient": "R", "amount": 100, "end": D(2025, 3, 31)},
               {"id": "F2", "amount": 50, **successor})
    assert list(funding_cliffs(G, as_of=AS_OF)["funding"]) == (["F1"] if cliff else [])


def test_service_specific_successor_must_name_the_same_service():
    #   F1 (for S1) ends; F2 for S2 runs on → still a cliff; F3 for S1 runs on → not
    base = {"funder": "X", "recipient": "R", "amount": 100}
    ending = {**base, "id": "F1", "service": "S1", "end": D(2025, 3, 31)}
    G = _flows(ending, {**base, "id": "F2", "service": "S2", "end": D(2026, 3, 31)},
               {**base, "id": "F9", "end": D(2027, 3, 31)})
    cl = funding_cliffs(G, as_of=AS_OF)
    assert cl[["funding", "services", "service"]].values.tolist() == [["F1", ["S1"], "S1"]]
    G = _flows(ending, {**base, "id": "F3", "service": "S1", "start": D(2025, 4, 1)})
    assert funding_cliffs(G, as_of=AS_OF).empty


def test_horizon_bounds_and_month_clamping():
    #   as_of 2024-08-31 + 6 months = 2025-02-28 (clamped)
    flows = [{"id": f"F{i}", "funder": f"X{i}", "recipient": "R", "amount": 1, "end": end}
             for i, end in enumerate([D(2024, 8, 31), D(2024, 9, 1), D(2025, 2, 28), D(2025, 3, 1)])]
    G = _flows(*flows)
    assert list(funding_cliffs(G, as_of=D(2024, 8, 31))["funding"]) == ["F1", "F2"]  # end == as_of is not a cliff
    assert list(funding_cliffs(G, as_of=D(2024, 8, 31), horizon=7)["funding"]) == ["F1", "F2", "F3"]
    assert funding_cliffs(G, as_of=D(2025, 3, 2)).empty  # nothing active any more


# ---------------------------------------------------------------- short-term funding
def test_short_term_share():
    #   F1 2024-01-01 … 2025-01-01 exactly 12 months → short (100)
    #   F2 2024-01-01 … 2025-01-02 → long (200)
    #   F3 2024-02-29 … 2025-02-28 (12 months, clamped) → short (300)
    #   F4 open-ended → long (400); F5 no start → long (500); F6 ended → not active
    #   short = 400 of 1,500
    G = graph(places=wards(W1=1), funding=[
        {"funder": "X", "recipient": "R", "amount": 100, "start": D(2024, 1, 1), "end": D(2025, 1, 1)},
        {"funder": "X", "recipient": "R", "amount": 200, "start": D(2024, 1, 1), "end": D(2025, 1, 2)},
        {"funder": "X", "recipient": "R", "amount": 300, "start": D(2024, 2, 29), "end": D(2025, 2, 28)},
        {"funder": "X", "recipient": "R", "amount": 400, "start": D(2024, 1, 1)},
        {"funder": "X", "recipient": "R", "amount": 500, "end": D(2025, 6, 1)},
        {"funder": "X", "recipient": "R", "amount": 600, "start": D(2023, 1, 1), "end": D(2023, 6, 1)},
    ])
    assert short_term_share(G, as_of=AS_OF) == pytest.approx(400 / 1500)
    assert short_term_share(graph(places=wards(W1=1)), as_of=AS_OF) is None


# ---------------------------------------------------------------- structural
def test_articulation_points_and_bridges_of_active_partnerships():
    #   A ─ B ─ C      (B–C ends 2025-06-30: still active)
    #       │ ╲
    #       D ─ E      (triangle B, D, E: no bridges inside it)
    #   C ─ F ended 2024-12-31 → not in the network; G ─ G self-partnership ignored
    G = graph(places=wards(W1=1), partnerships=[
        {"a": "A", "b": "B", "kind": "referral"}, {"a": "B", "b": "C", "kind": "consortium", "end": D(2025, 6, 30)},
        {"a": "B", "b": "D", "kind": "referral"}, {"a": "D", "b": "E", "kind": "referral"},
        {"a": "E", "b": "B", "kind": "referral"},
        {"a": "C", "b": "F", "kind": "subcontract", "end": D(2024, 12, 31)},
        {"a": "G", "b": "G", "kind": "other"}])
    assert articulation_points(G, as_of=AS_OF) == ["B"]
    assert bridges(G, as_of=AS_OF) == [["A", "B"], ["B", "C"]]
    # before C–F ended, C joined F to the rest
    assert articulation_points(G, as_of=D(2024, 6, 1)) == ["B", "C"]
    assert bridges(G, as_of=D(2024, 6, 1)) == [["A", "B"], ["B", "C"], ["C", "F"]]


# ---------------------------------------------------------------- the follow-on rule, one implementation
FLOW_DATES = [None, D(2024, 6, 30), D(2025, 1, 1), D(2025, 5, 31), D(2026, 1, 1)]


def _flow_table(draw_rows):
    import pandas as pd

    rows = [{"funding": f"F{i}", "funder": f, "recipient": r, "service": s, "end": e}
            for i, (f, r, s, e) in enumerate(draw_rows)]
    df = pd.DataFrame(rows, columns=["funding", "funder", "recipient", "service", "end"])
    df["end"] = pd.to_datetime(df["end"])
    df["service"] = df["service"].astype(object).where(df["service"].notna(), None)
    return df


def _followed_by_hand(df, i) -> bool:
    """SPEC §5, flow by flow: another flow, same funder and recipient, the same service when this one names
    one, ending later or open."""
    import pandas as pd

    e = df.iloc[i]
    for j, o in df.iterrows():
        if j == i or (o["funder"], o["recipient"]) != (e["funder"], e["recipient"]):
            continue
        if e["service"] is not None and o["service"] != e["service"]:
            continue
        if pd.isna(o["end"]) or o["end"] > e["end"]:
            return True
    return False


def test_a_general_flow_does_not_follow_on_a_flow_for_a_service():
    from ecosystem.analysis import followed_on

    #   F0 for S1 ends; F1 (same funder and recipient, no service) runs on: F0 is still a cliff (SPEC §5:
    #   "for the same service, when the ending flow names one"); F1 itself has nothing after it; F2 (no
    #   service) is followed on by F1; F3 for S1 is followed on by F4 for S1, open
    df = _flow_table([("X", "A", "S1", D(2025, 1, 1)), ("X", "A", None, D(2026, 1, 1)), ("X", "A", None, D(2025, 1, 1)),
                 ("Y", "A", "S1", D(2025, 1, 1)), ("Y", "A", "S1", None)])
    ending = df[df["end"].notna()]
    assert followed_on(df, ending).tolist() == [False, False, True, True]


def test_an_open_flow_follows_on_when_no_other_flow_has_an_end():
    from ecosystem.analysis import followed_on

    #   the only other flow X -> A is open-ended: it follows on F0, though no flow of ``funding`` has an end
    funding = _flow_table([("X", "A", None, None), ("Y", "A", None, None)])
    ending = _flow_table([("X", "A", None, D(2025, 1, 1)), ("Z", "A", None, D(2025, 1, 1))])
    ending["funding"] = ["E0", "E1"]
    assert followed_on(funding, ending).tolist() == [True, False]


def test_the_funding_timeline_and_the_cliffs_table_agree_on_what_has_no_follow_on():
    from dashboard.components import data as cd
    from ecosystem.analysis import funding_cliffs

    #   F1 for S1 ends 2025-03-31 (as of 2025-01-01); F2 from the same funder to the same provider, naming no
    #   service, runs on to 2026: the cliffs table lists F1, and the timeline must call it "no follow-on" too
    G = graph(places=wards(W1=1), services=[{"id": "S1", "provider": "A", "category": "C", "areas": ["W1"]}], funding=[
        {"id": "F1", "funder": "X", "recipient": "A", "service": "S1", "amount": 100, "end": D(2025, 3, 31)},
        {"id": "F2", "funder": "X", "recipient": "A", "amount": 50, "end": D(2026, 6, 30)}])
    assert list(funding_cliffs(G, as_of=AS_OF)["funding"]) == ["F1"]
    from ecosystem.analysis import extract

    t = cd.cliff_timeline(extract(G).funding, AS_OF)
    got = {(r.quarter, r.kind): r.amount for r in t.itertuples()}
    assert got[("2025 Q1", "no follow-on")] == 100
    assert ("2025 Q1", "followed on") not in got


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["X", "Y"]), st.sampled_from(["A", "B"]),
                          st.sampled_from([None, "S1", "S2"]), st.sampled_from(FLOW_DATES)), min_size=1, max_size=9))
def test_followed_on_is_the_spec_rule_flow_by_flow(rows):
    from ecosystem.analysis import followed_on

    df = _flow_table(rows)
    ending = df[df["end"].notna()]
    got = followed_on(df, ending).tolist()
    assert got == [_followed_by_hand(df, i) for i in ending.index]
