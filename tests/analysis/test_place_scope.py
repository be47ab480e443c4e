"""Place scope (SPEC §5): each way an organisation belongs to a place, and what has no place at all.

    ENG (country) ── REG (region) ─┬─ LA1 ─┬─ W1
                                   │       └─ W2
                                   └─ LA2 ─── W3

    organisation  why it belongs to LA1                 flow from FUNDER (amount, start … end, places)
    SVC           its service S1 serves W1 (ended)     F_SVC     1,000  2024-01-01 … 2025-03-31
    BASE          based in LA1                          F_BASE    2,000  2024-04-01 … 2025-03-31
    CHILD         based in W2, a place inside LA1       F_CHILD   3,000  2023-01-01 … 2026-12-31
    BEN_P         a flow for LA1 itself                 F_BEN_P   4,000  2024-07-01 … 2025-06-30  LA1 (end assumed)
    BEN_IN        a flow for W1, inside LA1             F_BEN_IN  5,000  2024-01-01 … 2025-12-31  W1
    BEN_UP        a flow for ENG, which contains LA1    F_BEN_UP  6,000  2024-06-01 … 2025-05-31  ENG
    OUT           based in LA2, a flow for W3 (not LA1) F_OUT     7,000  2024-06-01 … 2025-05-31  W3
    NOWHERE       no place at all                       F_NOWHERE   800  2024-06-01 … 2025-05-31
    NOWHERE2      no place; postcode M32 0TH            F_NOWHERE2  200  2024-06-01 … 2025-05-31  E08000009 (not loaded)
                                                        F_OLD       999  2022-01-01 … 2023-12-31  (inactive)
    FUNDER        funds everyone, receives nothing: neither in scope nor unplaced

    partnerships: BASE ─ CHILD, BEN_UP ─ OUT (one side in LA1), OUT ─ NOWHERE (neither)

On 2025-01-01 with a 6-month horizon, LA1: six funded organisations, each wholly
dependent on FUNDER; cliffs F_BASE and F_SVC (31 March), F_BEN_UP (31 May),
F_BEN_P (30 June): £13,000; short-term share (2,000 + 4,000 + 6,000) / 21,000.
Unplaced: 2 organisations, 2 active flows, £1,000; one gives a postcode (M32),
one flow names a place that is not loaded (E08000009).
"""

from __future__ import annotations

import pytest
from scope_fixture import AS_OF, ORGS, write_template

from ecosystem import analysis as an
from ecosystem.graph import graph_from_tables
from ecosystem.pipeline import load, prepare
from ecosystem.pull import pull_frames, pull_graph


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return graph_from_tables(prepare([write_template(tmp_path_factory.mktemp("scope") / "t")], fmt="template"))


def _belonging(a: an.Analysis) -> list[str]:
    return sorted(a.funding_dependency["provider"])


def test_every_way_of_belonging_to_an_la(graph):
    a = an.analyse(graph, place="LA1", as_of=AS_OF)
    assert _belonging(a) == ["BASE", "BEN_IN", "BEN_P", "BEN_UP", "CHILD", "SVC"]
    assert list(a.funding_dependency["top_share"]) == [1.0] * 6 and a.funding_dependency["dependent"].all()
    assert list(a.funding_cliffs["funding"]) == ["F_BASE", "F_SVC", "F_BEN_UP", "F_BEN_P"]
    assert float(a.funding_cliffs["amount"].sum()) == 13000.0
    assert a.short_term_share == round(12000 / 21000, 9)
    assert a.bridges == [["BASE", "CHILD"], ["BEN_UP", "OUT"]] and a.articulation_points == []


def test_a_ward_takes_flows_for_itself_and_for_the_places_containing_it(graph):
    # W1: S1 serves it; F_BEN_IN names it; F_BEN_P names LA1 and F_BEN_UP England, which contain it.
    # BASE (based in LA1, which contains W1) and CHILD (W2) do not belong: a base counts only in or under W1.
    a = an.analyse(graph, place="W1", as_of=AS_OF)
    assert _belonging(a) == ["BEN_IN", "BEN_P", "BEN_UP", "SVC"]
    assert list(a.funding_cliffs["funding"]) == ["F_SVC", "F_BEN_UP", "F_BEN_P"]
    assert a.short_term_share == round((4000 + 6000) / (1000 + 4000 + 5000 + 6000), 9)
    assert a.bridges == [["BEN_UP", "OUT"]]


def test_the_other_la_and_the_region(graph):
    assert _belonging(an.analyse(graph, place="LA2", as_of=AS_OF)) == ["BEN_UP", "OUT"]
    # the region contains both LAs: everyone placed, not the unplaced
    assert _belonging(an.analyse(graph, place="REG", as_of=AS_OF)) == [
        "BASE", "BEN_IN", "BEN_P", "BEN_UP", "CHILD", "OUT", "SVC"]
    # every place: every recipient of active funding, placed or not
    assert _belonging(an.analyse(graph, as_of=AS_OF)) == [
        "BASE", "BEN_IN", "BEN_P", "BEN_UP", "CHILD", "NOWHERE", "NOWHERE2", "OUT", "SVC"]


def test_unplaced_is_counted_whatever_the_place(graph):
    for place in ("LA1", "W1", None):
        u = an.analyse(graph, place=place, as_of=AS_OF).unplaced
        assert (u["organisations"], u["flows"], u["amount"]) == (2, 2, 1000.0), place
        assert u["with_postcode"] == 1 and u["postcode_districts"] == ["M32"]
        assert u["unknown_places"] == ["E08000009"]
        assert u["examples"] == ["NOWHERE", "NOWHERE2"]  # most active funding first
    a = an.analyse(graph, place="LA1", as_of=AS_OF)
    assert a.unplaced_organisations.to_dict("records") == [
        {"organisation": "NOWHERE", "postcode": None, "flows": 1, "amount": 800.0, "currency": "GBP"},
        {"organisation": "NOWHERE2", "postcode": "M32 0TH", "flows": 1, "amount": 200.0, "currency": "GBP"}]
    assert a.unplaced["amounts"] == [{"currency": "GBP", "flows": 2, "amount": 1000.0}]
    out = a.to_json_dict()["unplaced"]
    assert {k: out[k] for k in ("organisations", "flows", "amount")} == {"organisations": 2, "flows": 2,
                                                                         "amount": 1000.0}
    assert out["fix"][0].startswith("load a postcode lookup") and "M32" in out["fix"][0]
    assert "load boundaries for E08000009 (a metropolitan borough)" in out["fix"][1]
    back = an.Analysis.from_json_dict(a.to_json_dict())
    assert back.unplaced == a.unplaced and back.to_json_dict() == a.to_json_dict()


def test_unplaced_flows_are_active_ones_only(graph):
    # in 2023 only F_OLD (999) is active of the unplaced organisations' flows
    u = an.analyse(graph, place="LA1", as_of="2023-06-01").unplaced
    assert (u["organisations"], u["flows"], u["amount"]) == (2, 1, 999.0)
    assert u["unknown_places"] == []


def test_a_scenario_keeps_the_scope(graph):
    r = an.run_scenario(graph, place="LA1", as_of=AS_OF, remove_funding=["F_BEN_UP"])
    assert sorted(r.analysis.funding_dependency["provider"]) == ["BASE", "BEN_IN", "BEN_P", "CHILD", "SVC"]
    assert float(r.analysis.funding_cliffs["amount"].sum()) == 7000.0
    assert r.analysis.unplaced["organisations"] == 2


# ---------------------------------------------------------------- through the store
def _same(a: an.Analysis, b: an.Analysis) -> None:
    assert a.to_json_dict() == b.to_json_dict()


def test_store_pulls_find_every_way_of_belonging(store, graph, tmp_path):
    load(store, [write_template(tmp_path / "t")], fmt="template")
    for place in ("LA1", "W1", "LA2", "ENG"):
        expected = an.analyse(graph, place=place, as_of=AS_OF)
        _same(an.analyse_frames(pull_frames(store, place=place), place=place, as_of=AS_OF), expected)
        _same(an.analyse(pull_graph(store, place=place), place=place, as_of=AS_OF), expected)
    _same(an.analyse_frames(pull_frames(store), place=None, as_of=AS_OF), an.analyse(graph, as_of=AS_OF))


def test_places_loaded_after_the_flows_still_place_them(store, graph, tmp_path):
    # the flows and organisations first (bases and service areas need their places, so none here) …
    d = write_template(tmp_path / "money", places=False)
    (d / "organisations.csv").write_text("id,name,postcode\n" + "".join(
        f"{o},{n},{pc}\n" for o, n, _, pc in ORGS))
    (d / "services.csv").unlink()
    load(store, [d], fmt="template")
    a = an.analyse_frames(pull_frames(store), place=None, as_of=AS_OF)
    assert a.unplaced["organisations"] == 9  # everyone who receives anything, before any place is loaded
    # … then the places: the flows' beneficiary places now place their recipients
    load(store, [write_template(tmp_path / "places", others=False)], fmt="template")
    la1 = an.analyse_frames(pull_frames(store, place="LA1"), place="LA1", as_of=AS_OF)
    assert sorted(la1.funding_dependency["provider"]) == ["BEN_IN", "BEN_P", "BEN_UP"]
    w1 = an.analyse_frames(pull_frames(store, place="W1"), place="W1", as_of=AS_OF)
    assert sorted(w1.funding_dependency["provider"]) == ["BEN_IN", "BEN_P", "BEN_UP"]
    u = la1.unplaced
    # SVC, BASE, CHILD (no service area or base in this load), NOWHERE, NOWHERE2; OUT is placed by W3
    assert u["organisations"] == 5 and u["unknown_places"] == ["E08000009"]
    _same(an.analyse(pull_graph(store, place="LA1"), place="LA1", as_of=AS_OF), la1)


def test_ecomap_analyse_says_what_is_unplaced(store, tmp_path, capsys):
    import json

    from ecosystem import cli

    load(store, [write_template(tmp_path / "t")], fmt="template")
    assert cli.main(["analyse", "--place", "LA1", "--as-of", AS_OF]) == 0
    text = capsys.readouterr().out
    assert ("Unplaced: 2 organisations and 2 active funding flows (£1,000) have no place (no service area, base or "
            "beneficiary place), so no place’s analysis counts them — e.g. Somewhere group, Stretford club.") in text
    assert "To place them: load a postcode lookup (such as an ONS Postcode Directory extract) covering M32" in text
    assert "To place them: load boundaries for E08000009 (a metropolitan borough)" in text
    assert "6 of 6 funded organisations" in text and "4 flow(s), £13,000 at risk" in text
    assert cli.main(["analyse", "--place", "LA1", "--as-of", AS_OF, "--json"]) == 0
    u = json.loads(capsys.readouterr().out)["unplaced"]
    assert (u["organisations"], u["flows"], u["amount"]) == (2, 2, 1000.0)
    assert [r["organisation"] for r in u["list"]] == ["NOWHERE", "NOWHERE2"]


def test_nothing_unplaced_says_nothing(store, tmp_path, capsys):
    from ecosystem import cli
    from ecosystem.demo import DEMO_DIR

    load(store, [DEMO_DIR], fmt="template")
    assert cli.main(["analyse", "--place", "E08000009", "--as-of", "2026-11-21"]) == 0
    assert "Unplaced" not in capsys.readouterr().out


def test_the_gap_report_says_what_is_unplaced(store, tmp_path, capsys):
    import csv as _csv

    from ecosystem import cli

    load(store, [write_template(tmp_path / "t")], fmt="template")
    out = tmp_path / "report"
    assert cli.main(["report", "--place", "LA1", "--as-of", AS_OF, "--out", str(out), "--format", "md,csv,html"]) == 0
    md = (out / "report.md").read_text()
    assert ("Unplaced: 2 organisations and 2 active funding flows (£1,000) have no place (no service area, base or "
            "beneficiary place), so no place’s analysis counts them — e.g. Somewhere group, Stretford club.") in md
    assert "To place them: load a postcode lookup" in md and "load boundaries for E08000009" in md
    html = (out / "report.html").read_text()
    assert "Stretford club" in html and "no place’s analysis counts them" in html
    with open(out / "unplaced.csv", newline="") as fh:
        rows = list(_csv.DictReader(fh))
    assert [(r["organisation"], r["organisation_name"], r["postcode"], r["flows"], float(r["amount"]), r["currency"])
            for r in rows] == [("NOWHERE", "Somewhere group", "", "1", 800.0, "GBP"),
                               ("NOWHERE2", "Stretford club", "M32 0TH", "1", 200.0, "GBP")]
    with open(out / "summary.csv", newline="") as fh:
        summary = {r["measure"]: r["value"] for r in _csv.DictReader(fh)}
    assert (summary["unplaced_organisations"], summary["unplaced_flows"], float(summary["unplaced_amount"])) == (
        "2", "2", 1000.0)
