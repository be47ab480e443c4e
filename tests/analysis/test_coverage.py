"""Coverage (SPEC §5) on hand-built ecosystems with hand-computed figures."""

from __future__ import annotations

import math

import pytest

from analysis_fixtures import AS_OF, D, graph, row, wards
from ecosystem.analysis import coverage


def test_capacity_and_need_apportioned_by_population():
    #   LA ── W1 (pop 3000)
    #      └─ W2 (pop 1000)
    #   S1 serves LA (=W1+W2), capacity 100 → W1 75, W2 25
    #   need 40 given for LA → W1 30, W2 10
    G = graph(places=wards(W1=3000, W2=1000),
              services=[{"provider": "P", "category": "C", "areas": "LA", "capacity": 100}],
              needs=[{"place": "LA", "category": "C", "people": 40}])
    cov = coverage(G, as_of=AS_OF)
    assert list(cov["place"]) == ["W1", "W2"]
    w1, w2 = row(cov, place="W1"), row(cov, place="W2")
    assert (w1["demand"], w1["supply"], w1["unmet"]) == (30.0, 75.0, 0.0)
    assert (w2["demand"], w2["supply"], w2["unmet"]) == (10.0, 25.0, 0.0)
    assert w1["coverage"] == pytest.approx(2.5) and w1["status"] == "over"
    assert w1["providers"] == 1 and not w1["capacity_unknown"]


def test_missing_population_splits_equally():
    #   LA ── W1 (pop 3000), W2 (no population), W3 (pop 1000)
    #   need 90 for LA → 30 each; S1 on W1;W2 capacity 100 → 50 each; S2 on W1;W3 → by population 45/15
    G = graph(places=wards(W1=3000, W2=None, W3=1000),
              services=[{"provider": "P", "category": "C", "areas": "W1;W2", "capacity": 100},
                        {"provider": "Q", "category": "C", "areas": "W1;W3", "capacity": 60}],
              needs=[{"place": "LA", "category": "C", "people": 90}])
    cov = coverage(G, as_of=AS_OF)
    assert list(cov["demand"]) == [30.0, 30.0, 30.0]
    assert list(cov["supply"]) == [95.0, 50.0, 15.0]
    assert list(cov["unmet"]) == [0.0, 0.0, 15.0]
    assert list(cov["status"]) == ["over", "over", "under"]
    assert list(cov["providers"]) == [2, 1, 1]


def test_service_with_no_capacity_is_present_but_adds_nothing():
    #   W1: need 10, S1 (capacity unknown) → under, not unserved; W2: need 10, S2 capacity 4 + S3 unknown
    G = graph(places=wards(W1=1, W2=1),
              services=[{"provider": "P", "category": "C", "areas": "W1", "capacity": None},
                        {"provider": "P", "category": "C", "areas": "W2", "capacity": 4},
                        {"provider": "Q", "category": "C", "areas": "W2"}],
              needs=[{"place": "W1", "category": "C", "people": 10}, {"place": "W2", "category": "C", "people": 10}])
    cov = coverage(G, as_of=AS_OF)
    w1, w2 = row(cov, place="W1"), row(cov, place="W2")
    assert (w1["supply"], w1["unmet"], w1["coverage"], w1["status"], w1["capacity_unknown"]) == \
        (0.0, 10.0, 0.0, "under", True)
    assert (w2["supply"], w2["unmet"], w2["status"], w2["capacity_unknown"], w2["providers"]) == \
        (4.0, 6.0, "under", True, 2)


def test_inactive_services_do_not_count_and_bounds_are_inclusive():
    #   W1: S1 ended the day before as_of, S2 starts the day after → unserved
    #   W2: S3 starts and ends on as_of → active, met
    G = graph(places=wards(W1=1, W2=1),
              services=[{"provider": "P", "category": "C", "areas": "W1", "capacity": 10, "end": D(2024, 12, 31)},
                        {"provider": "P", "category": "C", "areas": "W1", "capacity": 10, "start": D(2025, 1, 2)},
                        {"provider": "P", "category": "C", "areas": "W2", "capacity": 10, "start": AS_OF,
                         "end": AS_OF}],
              needs=[{"place": "W1", "category": "C", "people": 10}, {"place": "W2", "category": "C", "people": 10}])
    cov = coverage(G, as_of=AS_OF)
    assert row(cov, place="W1")["status"] == "unserved"
    assert row(cov, place="W1")["providers"] == 0
    assert row(cov, place="W2")["status"] == "met"
    later = coverage(G, as_of="2025-01-02")
    assert row(later, place="W1")["status"] == "met"
    assert row(later, place="W2")["status"] == "unserved"


def test_leaves_under_the_chosen_place_only():
    #   R (region) ── LA1 ── W1 (1000), W2 (1000)
    #              └─ LA2 ── W3 (2000)
    #   S1 serves W2;W3 capacity 30 → W2 10, W3 20 (apportioned over all its leaves, also outside LA1)
    places = [{"code": "R"}, {"code": "LA1", "parent": "R"}, {"code": "LA2", "parent": "R"},
              {"code": "W1", "parent": "LA1", "population": 1000}, {"code": "W2", "parent": "LA1", "population": 1000},
              {"code": "W3", "parent": "LA2", "population": 2000}]
    G = graph(places=places,
              services=[{"provider": "P", "category": "C", "areas": "W2;W3", "capacity": 30}],
              needs=[{"place": "R", "category": "C", "people": 40}])
    la1 = coverage(G, place="LA1", as_of=AS_OF)
    assert list(la1["place"]) == ["W1", "W2"]
    assert list(la1["demand"]) == [10.0, 10.0]
    assert list(la1["supply"]) == [0.0, 10.0]
    assert list(la1["status"]) == ["unserved", "met"]
    assert list(coverage(G, place="R", as_of=AS_OF)["place"]) == ["W1", "W2", "W3"]
    assert list(coverage(G, as_of=AS_OF)["place"]) == ["W1", "W2", "W3"]
    w3 = coverage(G, place="W3", as_of=AS_OF)  # a leaf chosen: itself
    assert list(w3["place"]) == ["W3"] and list(w3["supply"]) == [20.0]


def test_status_thresholds_and_no_demand():
    #   W1 coverage exactly 1 → met; W2 exactly 1.5 → over (or met with oversupply 2); W3 provision but no need
    G = graph(places=wards(W1=1, W2=1, W3=1),
              services=[{"provider": "P", "category": "C", "areas": "W1", "capacity": 10},
                        {"provider": "P", "category": "C", "areas": "W2", "capacity": 15},
                        {"provider": "P", "category": "C", "areas": "W3", "capacity": 5}],
              needs=[{"place": "W1", "category": "C", "people": 10}, {"place": "W2", "category": "C", "people": 10}])
    cov = coverage(G, as_of=AS_OF)
    assert list(cov["status"]) == ["met", "over", "no_demand"]
    assert math.isnan(row(cov, place="W3")["coverage"])
    assert row(cov, place="W3")["unmet"] == 0.0
    assert list(coverage(G, as_of=AS_OF, oversupply=2)["status"]) == ["met", "met", "no_demand"]


def test_need_rows_add_up_and_empty_cells_are_left_out():
    #   two need rows for W1 (a period each) → demand 15; W2 has neither need nor service → no row
    G = graph(places=wards(W1=1, W2=1),
              needs=[{"place": "W1", "category": "C", "people": 10, "period": "2024"},
                     {"place": "W1", "category": "C", "people": 5, "period": "2025"},
                     {"place": "W2", "category": "C", "people": 0}])
    cov = coverage(G, as_of=AS_OF)
    assert list(cov["place"]) == ["W1"]
    assert row(cov, place="W1")["demand"] == 15.0 and row(cov, place="W1")["status"] == "unserved"


def test_categories_match_exactly():
    #   a need for C is not met by a service in D, even when D is narrower than C
    G = graph(places=wards(W1=1), categories=[{"code": "C", "name": "C"}, {"code": "D", "name": "D", "parent": "C"}],
              services=[{"provider": "P", "category": "D", "areas": "W1", "capacity": 10}],
              needs=[{"place": "W1", "category": "C", "people": 10}])
    cov = coverage(G, as_of=AS_OF)
    assert row(cov, category="C")["status"] == "unserved"
    assert row(cov, category="D")["status"] == "no_demand"


def test_unknown_place_and_bad_date_are_errors():
    G = graph(places=wards(W1=1))
    with pytest.raises(ValueError, match="NOPE"):
        coverage(G, place="NOPE", as_of=AS_OF)
    with pytest.raises(ValueError, match="as_of"):
        coverage(G, as_of="01/02/2025")


def test_riverside_example_figures():
    from ecosystem.examples import riverside

    cov = coverage(riverside(), as_of=AS_OF)
    assert list(zip(cov["place"], cov["category"], cov["unmet"], cov["status"])) == [
        ("W1", "FOOD", 0.0, "over"), ("W1", "MH", 10.0, "under"), ("W2", "FOOD", 0.0, "met"),
        ("W2", "MH", 0.0, "met"), ("W3", "FOOD", 20.0, "unserved"), ("W3", "MH", 0.0, "met"),
        ("W4", "MH", 0.0, "over")]
    # W3 MH: S3's 10 plus ACME's hub of unknown capacity
    assert row(cov, place="W3", category="MH")["capacity_unknown"]
