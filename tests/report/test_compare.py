"""compare() on report documents: hand-made cases and invariants (no store needed)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem.report import compare, failed_conditions, render_html, render_md
from ecosystem.report.build import Report
from ecosystem.report.compare import CHANGE_KEYS

STATUSES = ("unserved", "under", "met", "over")


def cell(place, status, demand=100.0, unmet=None):
    supply = {"unserved": 0.0, "under": 40.0, "met": 100.0, "over": 200.0}[status]
    return {"place": place, "category": "mh", "demand": demand, "supply": supply,
            "unmet": max(0.0, demand - supply) if unmet is None else unmet,
            "coverage": supply / demand, "status": status, "providers": int(supply > 0), "services": [],
            "capacity_unknown": False}


def cliff(fid, end, amount=100.0):
    return {"funding": fid, "funder": "C1", "recipient": "P1", "end": end, "amount": amount, "services": ["S1"],
            "service": "S1"}


def doc(as_of, cells, cliffs=(), services=(), providers=()):
    return {"format_version": 1, "generated": f"{as_of}T00:00:00+00:00", "as_of": as_of, "place": "LA",
            "options": {"unmet_threshold": 10.0},
            "analysis": {"coverage": list(cells), "funding_cliffs": list(cliffs)},
            "active": {"services": sorted(services), "providers": sorted(providers)}}


def test_hand_made_changes():
    before = doc("2026-01-01", [cell("W1", "under"), cell("W2", "unserved"), cell("W3", "met"),
                                cell("W4", "under", unmet=55.0)],
                 cliffs=[cliff("F1", "2026-03-31"), cliff("F2", "2026-05-31")], services=["S1", "S2"],
                 providers=["P1"])
    after = doc("2026-04-01", [cell("W1", "unserved"), cell("W2", "met"), cell("W3", "met"),
                               cell("W4", "under", unmet=60.0), cell("W5", "unserved", demand=8.0)],
                cliffs=[cliff("F2", "2026-05-31"), cliff("F3", "2026-09-30")], services=["S2", "S3"],
                providers=["P1", "P2"])
    c = compare(after, before)
    # W1 under -> unserved; W5 is new need with no service
    assert [(r["place"], r["status_before"]) for r in c["newly_unserved"]] == [("W1", "under"), ("W5", None)]
    assert [(r["place"], r["status_before"]) for r in c["newly_met"]] == [("W2", "unserved")]
    # unmet: W1 60 -> 100 (+40), W2 100 -> 0 (-100); W4 +5 and W5 +8 are under the threshold of 10
    assert [(r["place"], r["change"]) for r in c["unmet_changes"]] == [("W2", -100.0), ("W1", 40.0)]
    assert [r["funding"] for r in c["new_cliffs"]] == ["F3"]
    assert [(r["funding"], r["why"]) for r in c["passed_cliffs"]] == [("F1", "ended")]
    assert (c["services_appeared"], c["services_left"]) == (["S3"], ["S1"])
    assert (c["providers_appeared"], c["providers_left"]) == (["P2"], [])
    assert c["unmet_before"] == 60 + 100 + 0 + 55 and c["unmet_after"] == 100 + 0 + 0 + 60 + 8
    assert failed_conditions(c, ["new-cliff", "new-unserved"]) == ["new-cliff (1)", "new-unserved (2)"]
    assert compare(after, before, unmet_threshold=5)["unmet_changes"][-2:] == [
        {"place": "W5", "category": "mh", "unmet_before": 0.0, "unmet_after": 8.0, "change": 8.0,
         "status_before": None, "status_after": "unserved"},
        {"place": "W4", "category": "mh", "unmet_before": 55.0, "unmet_after": 60.0, "change": 5.0,
         "status_before": "under", "status_after": "under"}]


def test_a_renewed_cliff_is_resolved_not_ended():
    before = doc("2026-01-01", [], cliffs=[cliff("F1", "2026-03-31")])
    after = doc("2026-02-01", [])
    assert [(r["funding"], r["why"]) for r in compare(after, before)["passed_cliffs"]] == [("F1", "resolved")]


cells_st = st.dictionaries(st.sampled_from(["W1", "W2", "W3", "W4"]),
                           st.tuples(st.sampled_from(STATUSES), st.floats(0, 500)), max_size=4)
ids_st = st.sets(st.sampled_from(["S1", "S2", "S3"]))
cliffs_st = st.sets(st.sampled_from(["F1", "F2", "F3"]))


def make(as_of, cells, cliffs, services):
    return doc(as_of, [cell(p, s, demand=d + 1) for p, (s, d) in sorted(cells.items())],
               [cliff(f, "2026-06-30") for f in sorted(cliffs)], services, {"P" + s[1:] for s in services})


@settings(max_examples=150, deadline=None)
@given(cells_st, cells_st, cliffs_st, cliffs_st, ids_st, ids_st)
def test_invariants(c1, c2, f1, f2, s1, s2):
    a = make("2026-01-01", c1, f1, s1)
    b = make("2026-02-01", c2, f2, s2)
    # nothing changes between a report and itself
    same = compare(b, copy.deepcopy(b))
    assert all(same[k] == [] for k in CHANGE_KEYS)
    ab, ba = compare(b, a), compare(a, b)
    # newly unserved cells are unserved now and were not before
    for r in ab["newly_unserved"]:
        assert c2[r["place"]][0] == "unserved" and (c1.get(r["place"]) or ("",))[0] != "unserved"
    assert {r["place"] for r in ab["newly_unserved"]} == {
        p for p, (s, _) in c2.items() if s == "unserved" and (c1.get(p) or ("",))[0] != "unserved"}
    # what appeared one way left the other way
    assert ab["services_appeared"] == ba["services_left"] and ab["providers_left"] == ba["providers_appeared"]
    assert {r["funding"] for r in ab["new_cliffs"]} == {r["funding"] for r in ba["passed_cliffs"]} == f2 - f1
    # unmet changes are antisymmetric and totals add up
    assert sorted((r["place"], r["change"]) for r in ab["unmet_changes"]) == sorted(
        (r["place"], -r["change"]) for r in ba["unmet_changes"])
    assert ab["unmet_before"] == ba["unmet_after"]
    # --fail-on is met exactly when its list is not empty
    assert bool(failed_conditions(ab, ["new-unserved"])) == bool(ab["newly_unserved"])


def test_renderers_work_from_report_json_alone():
    """A report.json read back (no store) renders; a cell's numbers appear in both formats."""
    d = doc("2026-04-01", [cell("W1", "under")])
    d["analysis"].update({"totals": {"demand": 100.0, "supply": 40.0, "unmet": 60.0, "cells": 1, "unserved_cells": 0,
                                     "under_cells": 1, "met_cells": 0, "over_cells": 0},
                          "duplication": [], "overlaps": [], "funding_dependency": [], "sole_providers": [],
                          "critical_providers": [], "concentration": [], "short_term_share": None,
                          "articulation_points": [], "bridges": []})
    d.update({"place_name": "Town", "tool_version": "test", "leaves": ["W1"], "cliff_outlook": [],
              "names": {"places": {"W1": "North <&> Side"}, "categories": {"mh": "Mental health"},
                        "organisations": {}, "services": {}},
              "data": {"store": "embedded", "version": "v", "sources": [], "load_runs": []},
              "workshop": {"notes": [], "actions": [], "error": None}, "changes": None, "previous": None})
    d["options"].update({"horizon": 6, "oversupply": 1.5, "dependency_threshold": 0.5, "cliff_bands": [3, 6, 12],
                         "concentrated_hhi": 2500.0, "overlap_share": 0.5, "short_term_months": 12})
    r = Report(d)
    md, html = render_md(r), render_html(r)
    assert "| North &lt;&amp;&gt; Side | Mental health | 100 | 40 | 60 | 40% | under-served | 1 |" in md
    assert "North &lt;&amp;&gt; Side" in html and "North <&> Side" not in html  # escaped
    assert "No funding ends within 12 months without a successor." in html
