"""Duplication and overlapping services (SPEC §5) with hand-computed overlaps."""

from __future__ import annotations

from analysis_fixtures import AS_OF, D, graph, row, wards
from ecosystem.analysis import duplication, overlaps


def test_overlap_by_shared_population_of_the_smaller_set():
    #   W1 1000, W2 3000, W3 1000, W4 3000
    #   A {W1, W2} pop 4000; B {W2, W3} pop 4000: shared W2 3000 / 4000 = 0.75
    #   A and C {W1, W4} pop 4000: shared W1 1000 / 4000 = 0.25 → not an overlap
    #   B and C share nothing
    G = graph(places=wards(W1=1000, W2=3000, W3=1000, W4=3000),
              services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1;W2", "capacity": 1},
                        {"id": "B", "provider": "Q", "category": "C", "areas": "W2;W3", "capacity": 1},
                        {"id": "C", "provider": "R", "category": "C", "areas": "W1;W4", "capacity": 1}])
    ov = overlaps(G, as_of=AS_OF)
    assert list(zip(ov["service_a"], ov["service_b"])) == [("A", "B")]
    r = row(ov, service_a="A")
    assert r["overlap"] == 0.75 and r["provider_a"] == "P" and r["provider_b"] == "Q" and r["shared_places"] == 1


def test_smaller_set_is_the_one_with_less_population():
    #   A {W1, W2} pop 4000, B {W2} pop 3000 → 3000 / 3000 = 1
    #   A and D {W1} pop 1000 → 1000 / 1000 = 1
    G = graph(places=wards(W1=1000, W2=3000),
              services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1;W2"},
                        {"id": "B", "provider": "Q", "category": "C", "areas": "W2"},
                        {"id": "D", "provider": "R", "category": "C", "areas": "W1"}])
    ov = overlaps(G, as_of=AS_OF)
    assert list(zip(ov["service_a"], ov["service_b"], ov["overlap"])) == [("A", "B", 1.0), ("A", "D", 1.0)]


def test_leaf_counts_when_any_population_is_missing():
    #   W3 has no population: A {W1, W2}, B {W2, W3, W4}: 1 shared leaf / min(2, 3) = 0.5 → exactly the threshold
    G = graph(places=wards(W1=1000, W2=3000, W3=None, W4=10),
              services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1;W2"},
                        {"id": "B", "provider": "Q", "category": "C", "areas": "W2;W3;W4"}])
    ov = overlaps(G, as_of=AS_OF)
    assert list(ov["overlap"]) == [0.5]
    assert overlaps(G, as_of=AS_OF, threshold=0.51).empty


def test_same_provider_other_category_and_inactive_services_never_pair():
    G = graph(places=wards(W1=1),
              services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1"},
                        {"id": "B", "provider": "P", "category": "C", "areas": "W1"},
                        {"id": "C", "provider": "Q", "category": "D", "areas": "W1"},
                        {"id": "E", "provider": "R", "category": "C", "areas": "W1", "end": D(2024, 1, 1)}])
    assert overlaps(G, as_of=AS_OF).empty


def test_different_funders():
    #   A (provider P) funded through a flow naming it by X; B (Q) through a general flow to Q from X → shared
    #   C (R) funded by Y only; Z's flow to R has ended, so does not count
    G = graph(places=wards(W1=1),
              services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1"},
                        {"id": "B", "provider": "Q", "category": "C", "areas": "W1"},
                        {"id": "C", "provider": "R", "category": "C", "areas": "W1"}],
              funding=[{"funder": "X", "recipient": "P", "amount": 1, "service": "A"},
                       {"funder": "X", "recipient": "Q", "amount": 1},
                       {"funder": "Y", "recipient": "R", "amount": 1},
                       {"funder": "X", "recipient": "R", "amount": 1, "end": D(2024, 6, 30)}])
    ov = overlaps(G, as_of=AS_OF)
    assert list(zip(ov["service_a"], ov["service_b"], ov["different_funders"])) == [
        ("A", "B", False), ("A", "C", True), ("B", "C", True)]


def test_overlaps_only_count_leaves_of_the_chosen_place():
    #   LA1 {W1, W2}, LA2 {W3}: A {W1, W3}, B {W3}: inside LA1 they share nothing
    places = wards("LA1", W1=1, W2=1) + wards("LA2", W3=1)
    G = graph(places=places, services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1;W3"},
                                       {"id": "B", "provider": "Q", "category": "C", "areas": "W3"}])
    assert overlaps(G, place="LA1", as_of=AS_OF).empty
    assert list(overlaps(G, place="LA2", as_of=AS_OF)["overlap"]) == [1.0]
    assert list(overlaps(G, as_of=AS_OF)["overlap"]) == [1.0]


def test_duplication_needs_over_and_two_providers():
    #   W1: need 10, P 10 + Q 10 → 2.0, two providers → duplicated
    #   W2: need 10, P 10 + P 10 → 2.0 but one provider → not
    #   W3: need 10, P 10 + Q 4 → 1.4 → met, not duplicated
    G = graph(places=wards(W1=1, W2=1, W3=1),
              services=[{"provider": "P", "category": "C", "areas": "W1;W2;W3", "capacity": 30},
                        {"provider": "Q", "category": "C", "areas": "W1", "capacity": 10},
                        {"provider": "P", "category": "C", "areas": "W2", "capacity": 10},
                        {"provider": "Q", "category": "C", "areas": "W3", "capacity": 4}],
              needs=[{"place": w, "category": "C", "people": 10} for w in ("W1", "W2", "W3")])
    d = duplication(G, as_of=AS_OF)
    assert d.to_dict("records") == [
        {"place": "W1", "category": "C", "providers": 2, "coverage": 2.0, "demand": 10.0, "supply": 20.0}]
