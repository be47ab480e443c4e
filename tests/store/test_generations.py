"""One generation of places at a time; other vintages' codes translated through postcode lookups.

Real files: the demo's 2023 Trafford wards, Greater Manchester's 2022 ward lookup, the 2022 ward boundaries,
the two ONSPD extracts (2022-08: 2022 wards; 2025-02: 2023/2024 wards) and the Census 2021 health file in
2022 ward codes. Expected figures are computed here from those files.
"""

from __future__ import annotations

import csv
import json
import pathlib

import pytest

from ecosystem import cli
from ecosystem.demo import DEMO_DIR
from ecosystem.pipeline import load

DATA = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data"
GEO = DATA / "geography"


def _raw(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def demo(store):
    load(store, [DEMO_DIR], fmt="template", source="trafford-demo")
    return store


def test_a_second_generation_of_wards_is_refused_naming_both(demo, capsys):
    before = demo.counts()
    lookup = GEO / "gm_ward22_to_lad22_lookup.csv"
    assert cli.main(["load", str(lookup), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    issues = [i for i in out["issues"] if i["check"] == "generation"]
    assert len(issues) == 1
    msg = issues[0]["message"]
    old = sorted(r["wd22cd"] for r in _raw(lookup) if r["lad22cd"] == "E08000009")
    assert f"{len(old)} codes {old[0]}…{old[-1]}" in msg  # the new (2022) generation
    assert "E05015239" in msg and "trafford-demo" in msg and "Trafford (E08000009)" in msg  # the loaded one
    assert "Fix: load one generation only" in msg
    assert demo.counts() == before


def test_parentless_boundaries_of_another_vintage_are_refused_by_overlap(demo, capsys):
    before = demo.counts()
    assert cli.main(["load", str(GEO / "trafford_ward_2022_generalised.geojson")]) == 2
    assert "second generation" in capsys.readouterr().err
    assert demo.counts() == before
    # the same generation's boundaries merge into the loaded wards
    assert cli.main(["load", str(GEO / "trafford_ward_2023_generalised.geojson")]) == 0


def test_two_generations_in_one_load_are_refused(store):
    from ecosystem.model import ValidationError

    with pytest.raises(ValidationError) as e:
        load(store, [GEO / "trafford_ward_2023_generalised.geojson", GEO / "trafford_ward_2022_generalised.geojson"])
    assert any(i.check == "generation" and "in this load" in i.message for i in e.value.issues)


def test_needs_in_2022_ward_codes_are_shared_over_the_2023_wards(demo, tmp_path):
    old_pc = {r["postcode"]: r["ward_code"] for r in _raw(GEO / "trafford_postcodes_onspd_2022-08.csv")}
    new_pc = {r["postcode"]: r["ward_code"] for r in _raw(GEO / "trafford_postcodes_onspd_2025-02.csv")}
    load(demo, [GEO / "trafford_postcodes_onspd_2022-08.csv"])
    load(demo, [GEO / "trafford_postcodes_onspd_2025-02.csv"])
    # expected shares of Clifford (E05000825): population(new) × postcodes(old ∩ new) / postcodes(new)
    pops = {r["code"]: float(r["population"]) for r in _raw(DEMO_DIR / "places.csv") if r["level"] == "ward"}
    both = [(old_pc[p], new_pc[p]) for p in old_pc if p in new_pc]
    size = {}
    for p, w in new_pc.items():
        size[w] = size.get(w, 0) + 1
    inter = {}
    for o, n in both:
        if o == "E05000825":
            inter[n] = inter.get(n, 0) + 1
    w = {n: pops[n] * k / size[n] for n, k in inter.items()}
    expected = {n: 1000 * x / sum(w.values()) for n, x in w.items()}
    needs = tmp_path / "n"
    needs.mkdir()
    (needs / "needs.csv").write_text("place,category,people,period\nE05000825,HEALTH,1000,2021\n")
    result = load(demo, [needs])
    assert any("another vintage's codes" in x for x in result["warnings"])
    with demo.session() as s:
        got = {r["place"]: r["people"] for r in s.run(
            "MATCH (n:Need)-[:IN]->(p:Place) WHERE n.translated_from = $c RETURN p.code AS place, n.people AS people",
            {"c": "E05000825"}).data()}
    assert got.keys() == expected.keys() and len(got) >= 2
    for k, v in expected.items():
        assert got[k] == pytest.approx(v)
    assert sum(got.values()) == pytest.approx(1000)


def test_unknown_place_says_it_is_another_vintages_code(demo, tmp_path):
    load(demo, [GEO / "trafford_postcodes_onspd_2022-08.csv"])
    load(demo, [GEO / "trafford_postcodes_onspd_2025-02.csv"])
    orgs = tmp_path / "o"
    orgs.mkdir()
    (orgs / "organisations.csv").write_text("id,name,place\nX,Ex,E05000825\n")
    from ecosystem.model import ValidationError

    with pytest.raises(ValidationError) as e:
        load(demo, [orgs])
    msg = e.value.issues[0].message
    assert "another vintage's code of the loaded place(s)" in msg and "Gorse Hill & Cornbrook (E05015247)" in msg
