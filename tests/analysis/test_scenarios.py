"""What-if scenarios: re-run on a copy, diff, and the funding-loss rule."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from analysis_fixtures import AS_OF, D, graph, row, wards
from ecosystem.analysis import (
    ScenarioDiff,
    ScenarioError,
    ScenarioOptions,
    ScenarioResult,
    analyse,
    diff_options,
    run_options,
    run_scenario,
)
from ecosystem.examples import riverside


def _snapshot(G):
    return (sorted(map(repr, G.nodes(data=True))), sorted(map(repr, G.edges(keys=True, data=True))))


def _eco():
    #   W1 need 20, W2 need 20 (category C)
    #   S1 P → W1 cap 20, funded by X (general flow F1 to P) and Y (F2 naming S1)
    #   S2 Q → W2 cap 20, funded by X only (F3 naming S2)
    #   S3 R → W2 cap 5, no recorded funding
    #   S4 P → W2 cap 10, funded by P's general flow F1 from X
    #   P also funds R (F4); partnerships P–Q, Q–R
    return graph(places=wards(W1=1, W2=1),
                 services=[{"id": "S1", "provider": "P", "category": "C", "areas": "W1", "capacity": 20},
                           {"id": "S2", "provider": "Q", "category": "C", "areas": "W2", "capacity": 20},
                           {"id": "S3", "provider": "R", "category": "C", "areas": "W2", "capacity": 5},
                           {"id": "S4", "provider": "P", "category": "C", "areas": "W2", "capacity": 10}],
                 needs=[{"place": "W1", "category": "C", "people": 20}, {"place": "W2", "category": "C", "people": 20}],
                 funding=[{"id": "F1", "funder": "X", "recipient": "P", "amount": 100},
                          {"id": "F2", "funder": "Y", "recipient": "P", "amount": 50, "service": "S1"},
                          {"id": "F3", "funder": "X", "recipient": "Q", "amount": 80, "service": "S2",
                           "end": D(2025, 3, 31)},
                          {"id": "F5", "funder": "X", "recipient": "Q", "amount": 80, "service": "S2",
                           "start": D(2025, 4, 1), "end": D(2026, 3, 31)},
                          {"id": "F4", "funder": "P", "recipient": "R", "amount": 10}],
                 partnerships=[{"a": "P", "b": "Q", "kind": "referral"}, {"a": "Q", "b": "R", "kind": "referral"}])


def test_remove_funder_switches_off_services_that_lose_all_their_funding():
    #   without X: S1 keeps Y's F2 → stays; S2 (only F3 from X) → inactive; S4 (only F1 from X) → inactive;
    #   S3 has no recorded funding → unaffected.  W2: 35 → 5 for need 20 → unmet 15
    G = _eco()
    before = _snapshot(G)
    r = run_scenario(G, remove_funders=["X"], as_of=AS_OF)
    assert _snapshot(G) == before
    assert r.deactivated_services == ["S2", "S4"] and r.removed_services == []
    assert r.unmet_before == 0.0 and r.unmet_after == 15.0 and r.unmet_added == 15.0
    assert r.unmet_change[["place", "unmet_before", "unmet_after", "change", "status_before", "status_after"]] \
        .values.tolist() == [["W2", 0.0, 15.0, 15.0, "over", "under"]]
    assert r.unmet_by_category.values.tolist() == [["C", 0.0, 15.0, 15.0]]
    assert r.became_unserved.empty
    assert "F1" not in set(r.analysis.funding_dependency["top_funder"])
    assert row(r.analysis.funding_dependency, provider="P")["top_funder"] == "Y"


def test_remove_one_flow_and_new_cliffs():
    #   removing F5 (F3's successor) makes F3 a new cliff, and S2 keeps running on F3
    r = run_scenario(_eco(), remove_funding=["F5"], as_of=AS_OF)
    assert r.baseline.funding_cliffs.empty
    assert r.new_cliffs[["funding", "services"]].values.tolist() == [["F3", ["S2"]]]
    assert r.deactivated_services == [] and r.unmet_added == 0.0
    #   removing F2 alone leaves S1 with F1 → nothing switched off
    assert run_scenario(_eco(), remove_funding=["F2"], as_of=AS_OF).deactivated_services == []


def test_provider_exit_removes_its_services_flows_and_partnerships():
    #   Q leaves: S2 goes, F3/F5 go, Q's partnerships go (so no articulation point remains)
    r = run_scenario(_eco(), remove_providers=["Q"], as_of=AS_OF)
    assert r.removed_services == ["S2"]
    assert r.baseline.articulation_points == ["Q"] and r.analysis.articulation_points == []
    assert "Q" not in set(r.analysis.funding_dependency["provider"])
    assert r.unmet_after == 5.0  # W2: 35 → 15 for need 20
    #   P leaves: its flow out to R goes, but R's service keeps running (an exit does not cascade)
    r = run_scenario(_eco(), remove_providers=["P"], as_of=AS_OF)
    assert r.removed_services == ["S1", "S4"] and r.deactivated_services == []
    assert "R" not in set(r.analysis.funding_dependency["provider"])
    assert r.became_unserved[["place", "demand", "status_before"]].values.tolist() == [["W1", 20.0, "met"]]


def test_add_services_and_change_capacity():
    #   add T (new provider N) on W1 with 10; S1 capacity 20 → 5; S3 capacity → unknown
    add = pd.DataFrame([{"id": "T", "name": "New", "provider": "N", "category": "C", "areas": "W1",
                         "capacity": 10, "start": "2024-01-01", "end": None}])
    r = run_scenario(_eco(), add_services=add, capacity_changes={"S1": 5, "S3": None}, as_of=AS_OF)
    w1 = row(r.analysis.coverage, place="W1")
    assert (w1["supply"], w1["unmet"], w1["providers"]) == (15.0, 5.0, 2)
    w2 = row(r.analysis.coverage, place="W2")
    assert (w2["supply"], w2["capacity_unknown"]) == (30.0, True)
    assert "N" in set(r.analysis.critical_providers["provider"])


def test_unknown_ids_are_reported_together():
    add = pd.DataFrame([{"id": "S1", "name": "dup", "provider": "P", "category": "C", "areas": "NOWHERE"}])
    with pytest.raises(ScenarioError) as e:
        run_scenario(_eco(), remove_providers=["NOPE"], remove_funders=["Q"], remove_funding=["F99"],
                     capacity_changes={"S9": 1}, add_services=add, as_of=AS_OF)
    text = str(e.value)
    for bit in ("'NOPE'", "'Q' funds nothing", "'F99'", "'S9'", "'S1' already exists", "'NOWHERE'"):
        assert bit in text
    assert len(e.value.problems) == 6


def test_empty_scenario_equals_the_baseline_and_round_trips_as_json():
    G = riverside()
    r = run_scenario(G, place="LA1", as_of=AS_OF)
    assert r.analysis.to_json_dict() == r.baseline.to_json_dict()
    assert r.analysis.to_json_dict() == analyse(G, place="LA1", as_of=AS_OF).to_json_dict()
    assert r.unmet_change.empty and r.became_unserved.empty and r.new_cliffs.empty


def test_result_and_options_to_dict_from_dict():
    add = pd.DataFrame([{"id": "S9", "name": "Pop-up pantry", "provider": "NEWCO", "category": "FOOD",
                         "areas": "W3", "capacity": 20, "end": "2025-12-31"}])
    r = run_scenario(riverside(), remove_providers=["FOODBANK"], remove_funding=["F5"], add_services=add,
                     capacity_changes={"S3": 60}, place="LA1", as_of=AS_OF, name="food bank closes")
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["options"] == {
        "name": "food bank closes", "as_of": "2025-01-01", "place": "LA1", "remove_providers": ["FOODBANK"],
        "remove_funders": [], "remove_funding": ["F5"],
        "add_services": [{"id": "S9", "name": "Pop-up pantry", "provider": "NEWCO", "category": "FOOD",
                          "areas": ["W3"], "capacity": 20.0, "end": "2025-12-31"}],
        "capacity_changes": {"S3": 60.0}, "horizon": 6, "oversupply": 1.5, "dependency_threshold": 0.5}
    back = ScenarioResult.from_dict(d)
    assert back.to_dict() == d
    opts = ScenarioOptions.from_dict(d["options"])
    assert opts == r.options
    # FOODBANK gone: W1 FOOD 60 → 20 (+20), W2 FOOD 40 → 0 (+40); pantry in W3 meets its 20; MH W1 24 vs 30
    assert d["diff"]["unmet_before"] == 30.0
    assert d["diff"]["unmet_after"] == 20 + 40 + 6
    assert [c["funding"] for c in d["diff"]["new_cliffs"]] == ["F4"]  # F5 was F4's successor
    assert [(x["place"], x["category"]) for x in d["diff"]["became_unserved"]] == [("W2", "FOOD")]


def test_scenario_does_not_mutate_input():
    G = riverside()
    before = _snapshot(G)
    G_copy = copy.deepcopy(G)
    run_scenario(G, remove_providers=["MIND"], remove_funders=["COUNCIL"], capacity_changes={"S1": 1},
                 add_services=pd.DataFrame([{"id": "N1", "name": "n", "provider": "MIND", "category": "MH",
                                             "areas": "LA1", "capacity": 3}]), as_of=AS_OF)
    assert _snapshot(G) == before
    assert G.graph == G_copy.graph


def test_a_given_baseline_is_used_and_must_be_of_the_same_place_date_and_thresholds():
    G = riverside()
    base = analyse(G, place="LA1", as_of=AS_OF)
    opts = ScenarioOptions.make(remove_providers=["FOODBANK"], place="LA1", as_of=AS_OF)
    made = run_options(G, opts)
    given = run_options(G, opts, baseline=lambda: base)
    assert given.baseline is base
    assert json.dumps(given.to_dict(), sort_keys=True, default=str) == json.dumps(made.to_dict(), sort_keys=True,
                                                                                   default=str)
    with pytest.raises(ValueError, match="not of the scenario's"):
        run_options(G, ScenarioOptions.make(remove_providers=["FOODBANK"], place="LA1", as_of=AS_OF, horizon=3),
                    baseline=base)
    # bad options are refused before the baseline is asked for
    with pytest.raises(ScenarioError):
        run_options(G, ScenarioOptions.make(remove_providers=["NOPE"], place="LA1", as_of=AS_OF),
                    baseline=lambda: pytest.fail("baseline made for options that are refused"))


def test_the_difference_alone_names_what_changed_without_the_analyses():
    G = riverside()
    opts = ScenarioOptions.make(remove_funders=["COUNCIL"], place="LA1", as_of=AS_OF)
    d = diff_options(G, opts)
    assert isinstance(d, ScenarioDiff) and not hasattr(d, "analysis")
    # hand-worked (as the full scenario's docstring): the council's flows fund S1 and S4 alone; W2's food
    # need of 60 loses its only service
    assert d.deactivated_services == ["S1", "S4"] and d.removed_services == []
    assert (d.unmet_before, d.unmet_after, d.unmet_added) == (30.0, 90.0, 60.0)
    assert d.became_unserved[["place", "category"]].values.tolist() == [["W2", "FOOD"]]
    assert d.diff_dict() == run_options(G, opts).diff_dict()
    # a baseline of another date is refused, and bad options before any baseline is asked for
    with pytest.raises(ValueError, match="not of the scenario's"):
        diff_options(G, opts, baseline=analyse(G, place="LA1", as_of="2025-06-01"))
    with pytest.raises(ScenarioError, match="NOPE"):
        diff_options(G, ScenarioOptions.make(remove_providers=["NOPE"], place="LA1", as_of=AS_OF),
                     baseline=lambda: pytest.fail("baseline asked for options that are refused"))
    # a cache that holds no baseline: the function gives None and the parts are computed
    assert diff_options(G, opts, baseline=lambda: None).diff_dict() == d.diff_dict()


def test_an_analysis_only_reads_the_context_it_is_given():
    import pandas as pd

    from ecosystem.analysis import analyse_frames, extract
    from ecosystem.analysis._tables import prepare

    frames = extract(riverside())
    ctx = prepare(frames, place="LA1", as_of=AS_OF)
    before = {k: v.copy(deep=True) for k, v in vars(ctx).items() if isinstance(v, pd.DataFrame)}
    got = analyse_frames(frames, place="LA1", as_of=AS_OF, context=ctx)
    for k, v in before.items():
        pd.testing.assert_frame_equal(getattr(ctx, k), v)  # unchanged, so it can be shared
    assert got.to_json_dict() == analyse_frames(frames, place="LA1", as_of=AS_OF).to_json_dict()
    for wrong in (dict(place="LA2", as_of=AS_OF), dict(place="LA1", as_of="2030-01-01")):
        with pytest.raises(ValueError, match="other frames, place or date"):
            analyse_frames(frames, context=ctx, **wrong)
    with pytest.raises(ValueError, match="other frames"):
        analyse_frames(extract(riverside()), place="LA1", as_of=AS_OF, context=ctx)
