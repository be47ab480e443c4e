"""The analysis as JSON (SPEC §6 keys), findings, summary text and import rules."""

from __future__ import annotations

import ast
import json
import pathlib

from analysis_fixtures import AS_OF
from ecosystem.analysis import analyse, findings, summary_text
from ecosystem.examples import riverside

SPEC_KEYS = {
    "as_of": None, "place": None,
    "coverage": {"place", "category", "demand", "supply", "unmet", "coverage", "status", "providers",
                 "capacity_unknown"},
    "duplication": {"place", "category", "providers", "coverage"},
    "overlaps": {"service_a", "service_b", "category", "overlap", "different_funders"},
    "funding_dependency": {"provider", "top_funder", "top_share", "hhi", "dependent"},
    "sole_providers": {"place", "category", "provider"},
    "critical_providers": {"provider", "unmet_added"},
    "funding_cliffs": {"funding", "funder", "recipient", "end", "amount", "services"},
    "short_term_share": None, "articulation_points": None, "bridges": None,
    "concentration": {"place", "category", "hhi", "concentrated"},
}


def test_json_has_the_spec_keys_with_json_types():
    d = analyse(riverside(), place="LA1", as_of=AS_OF).to_json_dict()
    text = json.dumps(d, allow_nan=False)  # no NaN, no numpy, no dates
    back = json.loads(text)
    assert set(SPEC_KEYS) <= set(back)
    for key, cols in SPEC_KEYS.items():
        if cols:
            assert back[key], key
            for rec in back[key]:
                assert cols <= set(rec), (key, rec)
    assert back["as_of"] == "2025-01-01" and back["place"] == "LA1"
    assert back["short_term_share"] == 0.5
    assert back["articulation_points"] == ["MIND", "PANTRY"]
    assert back["bridges"] == [["COUNCIL", "MIND"], ["FOODBANK", "PANTRY"], ["MIND", "PANTRY"]]
    assert back["funding_cliffs"] == [{"funding": "F1", "funder": "COUNCIL", "recipient": "FOODBANK",
                                       "end": "2025-03-31", "amount": 30000.0, "currency": "GBP", "services": ["S1"],
                                       "service": None}]
    assert back["currency"] == "GBP"
    # active on 2025-01-01: F1 30k, F2 20k, F3 60k, F4 40k, F6 10k (F5 starts later); 12 months or less:
    # F1, F4, F6 = 80k of 160k
    assert back["funding_currencies"] == [{"currency": "GBP", "flows": 5, "recipients": 4, "amount": 160000.0,
                                           "short_term_share": 0.5}]
    w1 = back["coverage"][0]
    assert w1 == {"place": "W1", "category": "FOOD", "demand": 40.0, "supply": 60.0, "unmet": 0.0, "coverage": 1.5,
                  "status": "over", "providers": 2, "services": 2, "capacity_unknown": False}
    assert back["critical_providers"][0] == {"provider": "FOODBANK", "unmet_added": 60.0, "unserved_added": 1,
                                             "cells": 2}
    assert back["totals"]["unmet"] == 30.0
    assert isinstance(back["coverage"][0]["providers"], int)


def test_analysis_is_deterministic():
    a = json.dumps(analyse(riverside(), as_of=AS_OF).to_json_dict())
    b = json.dumps(analyse(riverside(), as_of=AS_OF).to_json_dict())
    assert a == b


def test_findings_are_json_safe_with_unique_ids():
    f = findings(analyse(riverside(), place="LA1", as_of=AS_OF))
    json.dumps(f, allow_nan=False)
    assert len({x["id"] for x in f}) == len(f)
    kinds = {x["kind"] for x in f}
    assert kinds == {"unserved", "under", "duplication", "overlap", "funding_dependency", "funding_cliff",
                     "sole_provider", "critical_provider", "articulation_point", "bridge", "concentration",
                     "overlap_summary"}  # riverside has no identical areas
    summ = {x["category"]: x for x in f if x["kind"] == "overlap_summary"}
    assert summ["MH"]["summary"] == ("MH: 1 overlapping pair. 1 provider runs 1 MH service that covers all of LA1; "
                                     "1 other MH service lies inside it.")
    assert summ["MH"]["services"] == ["S3"] and summ["MH"]["organisations"] == ["MIND"]
    named = findings(analyse(riverside(), place="LA1", as_of=AS_OF),
                     names={"MH": "Mental health", "LA1": "Riverside"})
    assert next(x for x in named if x["id"] == "overlap_summary|LA1|MH")["summary"].startswith(
        "Mental health: 1 overlapping pair. 1 provider runs 1 Mental health service that covers all of Riverside;")
    cliff = next(x for x in f if x["kind"] == "funding_cliff")
    assert cliff["organisations"] == ["COUNCIL", "FOODBANK"] and cliff["services"] == ["S1"]
    assert cliff["figures"] == {"amount": 30000.0, "currency": "GBP", "end": "2025-03-31", "funding": "F1"}
    assert cliff["id"] == "funding_cliff|LA1|F1"
    dup = next(x for x in f if x["kind"] == "duplication")
    assert (dup["place"], dup["category"], dup["organisations"], dup["services"]) == \
        ("W1", "FOOD", ["FOODBANK", "PANTRY"], ["S1", "S2"])
    assert [x["kind"] for x in findings(analyse(riverside(), place="LA1", as_of=AS_OF), max_per_kind=1)].count(
        "overlap") == 1


def test_summary_text_names_the_findings():
    text = summary_text(analyse(riverside(), place="LA1", as_of=AS_OF))
    for bit in ("Ecosystem analysis of LA1 on 2025-01-01", "unmet 30 people a year", "W3", "FOODBANK",
                "£30,000 at risk", "Short-term funding (12 months or less): 50%", "MIND, PANTRY", "6,800"):
        assert bit in text, bit


def test_analysis_never_imports_dash_or_the_driver():
    root = pathlib.Path(__file__).resolve().parents[2] / "ecosystem" / "analysis"
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for n in names:
                top = n.split(".")[0]
                assert top not in {"dash", "neo4j", "plotly", "dashboard"}, (path.name, n)
                assert not n.startswith(("ecosystem.store", "ecosystem.cli", "ecosystem.server")), (path.name, n)


def test_finding_summaries_read_in_names_when_given_them():
    import re

    from dashboard.state import names_from_graph
    from ecosystem.analysis import analyse, findings
    from ecosystem.examples import RIVERSIDE_AS_OF, riverside

    G = riverside()
    nm = names_from_graph(G)
    names = {**nm.places, **nm.categories, **nm.organisations, **nm.services}
    found = findings(analyse(G, place="LA1", as_of=RIVERSIDE_AS_OF), names=names)
    codes = re.compile(r"\b(LA1|W[1-4]|FOOD|MH|COUNCIL|TRUST|FOODBANK|PANTRY|MIND|ACME|S[1-6])\b")
    assert found and all(not codes.search(f["summary"]) for f in found), [f["summary"] for f in found]
    unserved = [f for f in found if f["kind"] == "unserved"]
    assert unserved[0]["summary"] == "No active service in Mill End for Food support: 20 people in need a year."
    assert unserved[0]["place"] == "W3" and unserved[0]["category"] == "FOOD"  # the keys stay codes
    cliffs = [f["summary"] for f in found if f["kind"] == "funding_cliff"]
    assert cliffs == ["Funding F1 from Riverside Council to Riverside Food Bank (£30,000) ends on 2025-03-31 "
                      "with nothing after it."]
