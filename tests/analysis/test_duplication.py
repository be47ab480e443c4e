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


def _summary_example():
    #   LA: W1 1000, W2 2000, W3 3000, W4 4000 (10,000 people)
    #   category Y: A (P) and B (Q) cover the whole LA (area-wide); C (R) and D (S) both serve W1 only
    #   (identical areas); E (T) W2+W3; F (P) W4; G (U) W2
    #   category Z: H (P) and I (Q) W1 (identical areas); J (V) W1+W2+W3
    #   funders: X funds service E, provider U (so G) and provider Q (so B)
    #   Y pairs (different providers, ≥ 50% of the smaller area): A-B A-C A-D A-E A-G B-C B-D B-E B-F B-G
    #   C-D E-G (A-F: one provider; C/D/F/G with each other: nothing shared) = 12, sharing X: B-E B-G E-G
    #   Z pairs: H-I H-J I-J = 3
    from ecosystem.analysis.duplication import overlap_summary

    svc = [("A", "P", "Y", "LA"), ("B", "Q", "Y", "W1;W2;W3;W4"), ("C", "R", "Y", "W1"), ("D", "S", "Y", "W1"),
           ("E", "T", "Y", "W2;W3"), ("F", "P", "Y", "W4"), ("G", "U", "Y", "W2"),
           ("H", "P", "Z", "W1"), ("I", "Q", "Z", "W1"), ("J", "V", "Z", "W1;W2;W3")]
    G = graph(places=wards(W1=1000, W2=2000, W3=3000, W4=4000),
              services=[{"id": i, "provider": p, "category": k, "areas": a, "capacity": 1} for i, p, k, a in svc],
              funding=[{"funder": "X", "recipient": "T", "service": "E", "amount": 1},
                       {"funder": "X", "recipient": "U", "amount": 1},
                       {"funder": "X", "recipient": "Q", "amount": 1}])
    return overlaps(G, as_of=AS_OF), overlap_summary(G, as_of=AS_OF)


def test_overlap_summary_per_category():
    ov, s = _summary_example()
    assert len(ov) == 15
    summ = s["overlap_summary"]
    assert list(summ["category"]) == ["Y", "Z"]  # most pairs first
    assert row(summ, category="Y") == {
        "category": "Y", "pairs": 12, "services": 7, "providers": 6, "shared_funder_pairs": 3,
        "area_wide_services": 2, "area_wide_pairs": 10, "identical_groups": 1, "identical_pairs": 1,
        "other_pairs": 1}
    assert row(summ, category="Z") == {
        "category": "Z", "pairs": 3, "services": 3, "providers": 3, "shared_funder_pairs": 0,
        "area_wide_services": 0, "area_wide_pairs": 0, "identical_groups": 1, "identical_pairs": 1,
        "other_pairs": 2}


def test_area_wide_services_are_listed_once_with_what_lies_inside():
    _, s = _summary_example()
    wide = s["area_wide_services"]
    assert wide.to_dict("records") == [{"category": "Y", "area": "LA", "services": ["A", "B"], "providers": 2,
                                        "inside": 5, "pairs": 10, "shared_funder_pairs": 2}]


def test_identical_areas_are_groups():
    _, s = _summary_example()
    assert s["identical_areas"].to_dict("records") == [
        {"category": "Y", "group": 1, "services": ["C", "D"], "providers": 2, "areas": ["W1"], "population": 1000.0,
         "pairs": 1, "shared_funder_pairs": 0},
        {"category": "Z", "group": 1, "services": ["H", "I"], "providers": 2, "areas": ["W1"], "population": 1000.0,
         "pairs": 1, "shared_funder_pairs": 0}]


def test_overlapping_services_ranked_with_shared_population_and_funders():
    _, s = _summary_example()
    svc = s["overlapping_services"]
    assert list(zip(svc["category"], svc["service"], svc["overlaps"])) == [
        ("Y", "B", 6), ("Y", "A", 5), ("Y", "C", 3), ("Y", "D", 3), ("Y", "E", 3), ("Y", "G", 3), ("Y", "F", 1),
        ("Z", "H", 2), ("Z", "I", 2), ("Z", "J", 2)]
    b = row(svc, service="B")
    assert (b["shared_funders"], b["wide_overlaps"], b["places"], b["shared_places"], b["population"],
            b["area"], b["group"]) == (2, 1, 4, 4, 10000.0, "LA", None)
    assert row(svc, service="E")["shared_funders"] == 2 and row(svc, service="A")["shared_funders"] == 0
    assert row(svc, service="C")["group"] == 1 and row(svc, service="C")["wide_overlaps"] == 2
    j = row(svc, service="J")  # only W1 of its three wards is shared
    assert (j["places"], j["shared_places"], j["population"], j["shared_population"]) == (3, 1, 6000.0, 1000.0)
    # every pair is counted once per side
    assert int(svc["overlaps"].sum()) == 2 * 15


def test_overlap_summary_without_populations_and_without_pairs():
    from ecosystem.analysis.duplication import overlap_summary

    G = graph(places=wards(W1=None, W2=5),
              services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1"},
                        {"id": "B", "provider": "Q", "category": "C", "areas": "W1"}])
    s = overlap_summary(G, as_of=AS_OF)
    assert s["identical_areas"]["population"].tolist() == [None]
    assert s["overlapping_services"]["shared_population"].tolist() == [None, None]
    lonely = graph(places=wards(W1=1), services=[{"id": "A", "provider": "P", "category": "C", "areas": "W1"}])
    assert all(df.empty for df in overlap_summary(lonely, as_of=AS_OF).values())


def test_category_digest_names_the_services_behind_the_pairs():
    from ecosystem.analysis.duplication import category_digest

    ov, s = _summary_example()
    tables = {"overlaps": ov, **s}
    # Y: A and B named as area-wide (10 pairs), C and D as a group (C-D); then E covers the last pair, E-G
    d = category_digest(tables, "Y", groups=1, services=1)
    assert [r["service"] for r in d["services"]] == ["E"]
    assert d["named"] == {"A", "B", "C", "D", "E"} and d["pairs_named"] == 12 and d["named_share"] == 1.0
    d0 = category_digest(tables, "Y", groups=0, services=0)
    assert d0["named"] == {"A", "B"} and d0["pairs_named"] == 10 and d0["more_groups"] == 1
    # Z without its group shown: H, I and J are each behind 2 of the 3 pairs and overlap 2: the smallest id wins
    dz = category_digest(tables, "Z", groups=0, services=1)
    assert [r["service"] for r in dz["services"]] == ["H"] and dz["pairs_named"] == 2
    # with the group (H, I) shown, every pair is named and nothing is left to pick
    dz = category_digest(tables, "Z", groups=1, services=1)
    assert dz["services"] == [] and dz["pairs_named"] == 3
    assert category_digest(tables, "none")["named_share"] == 1.0


def test_duplication_lines_read_as_a_person_would():
    from ecosystem.analysis._report import duplication_lines

    ov, s = _summary_example()
    names = {"Y": "Youth", "LA": "Trafford", "W1": "Ward one", "A": "Club A", "B": "Club B", "E": "Club E",
             "T": "Provider T"}
    lines = duplication_lines({"overlaps": ov, **s}, "Y", name=lambda kind, code: names.get(code, code))
    assert lines == [
        "Youth: 12 overlapping pairs among 7 services from 6 providers (3 with a shared funder)",
        "  2 providers run 2 Youth services that each cover all of Trafford; 5 other Youth services lie inside them: "
        "Club A, Club B",
        "  Identical areas: 1 group of services serving exactly the same places (1 pair)",
        "    C and D all serve Ward one (1,000 people); different funders",
        # E-G is the one pair left once the area-wide services and the group are named: E (smaller id) names it
        "  Overlapping most besides: Club E (Provider T): overlaps 3, 2 with a shared funder, 5,000 people shared",
    ]


def test_split_by_category_holds_each_categorys_rows_in_order():
    from ecosystem.analysis.duplication import category_digest, split_by_category

    ov, s = _summary_example()
    tables = {"overlaps": ov, **s}
    split = split_by_category(tables, ["Z", "Y", "none"])
    for cat in ("Y", "Z", "none"):
        for name, df in tables.items():
            want = df[df["category"] == cat] if len(df) else df
            assert split[cat][name].index.tolist() == want.index.tolist(), (cat, name)
            assert list(split[cat][name].columns) == list(df.columns)
        # the digest of a category's own rows is the digest of the whole tables
        assert category_digest(split[cat], cat, groups=1, services=2) == category_digest(tables, cat, groups=1,
                                                                                          services=2)
    assert len(split["none"]["overlaps"]) == 0 and set(split) == {"Z", "Y", "none"}


def test_split_by_category_matches_a_filter_on_any_table():
    import pandas as pd
    from hypothesis import given, strategies as st

    from ecosystem.analysis.duplication import split_by_category

    @given(st.lists(st.sampled_from(["A", "B", "C"]), max_size=30), st.lists(st.sampled_from(["A", "B", "D"]),
                                                                                max_size=4, unique=True))
    def check(cats, wanted):
        df = pd.DataFrame({"category": cats, "n": range(len(cats))}, columns=["category", "n"])
        split = split_by_category({"t": df}, wanted)
        for c in wanted:
            want = df[df["category"] == c] if len(df) else df
            assert split[c]["t"]["n"].tolist() == want["n"].tolist()

    check()


def test_unique_ints_and_leaf_keys_agree_with_plain_sets():
    import numpy as np
    from hypothesis import given, settings, strategies as st

    from ecosystem.analysis._tables import unique_ints
    from ecosystem.analysis.duplication import _leaf_keys

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.sets(st.integers(0, 40), min_size=1, max_size=6), min_size=1, max_size=25))
    def check(leafsets):
        codes = [u * 1000 + leaf for u, ls in enumerate(leafsets) for leaf in ls]
        shuffled = np.array(codes[::-1] + codes[: len(codes) // 2], dtype=np.int64)  # unsorted, with repeats
        rows = unique_ints(shuffled)
        assert rows.tolist() == sorted(set(codes))
        keys = _leaf_keys(rows // 1000, rows % 1000)
        assert len(keys) == len(leafsets)
        for i, a in enumerate(leafsets):  # one key per unit, equal exactly when the sets are
            for j, b in enumerate(leafsets):
                assert (keys[i] == keys[j]) == (a == b)
        prefixed = _leaf_keys(rows // 1000, rows % 1000, prefix=[u % 2 for u in range(len(leafsets))])
        assert all((prefixed[i] == prefixed[j]) == (leafsets[i] == leafsets[j] and i % 2 == j % 2)
                   for i in range(len(leafsets)) for j in range(len(leafsets)))

    check()
    assert unique_ints(np.array([], dtype=np.int64)).tolist() == []
