"""Organisations placed by postcode and by a public body's org-id, in the real store.

    E08000009 Trafford (la)
      ├─ E05015247 Gorse Hill & Cornbrook (ward)
      └─ E05015253 Old Trafford (ward)

    lookup (ONSPD-style headers):  M15 4AB → ward E05015247, LSOA E01034001, LA E08000009
                                   M15 4AD → ward E05015253, LSOA E01006112, LA E08000009
                                   M16 0AA → terminated (doterm set): skipped
                                   WA14 1AA → ward E05015239 (not loaded), LA E08000009
    organisations: A (M15 4AB) → ward E05015247; B (m154ad, messy) → ward E05015253;
                   C (WA14 1AA) → the LA (its ward is not loaded); D (M16 0AA) → nowhere;
                   E (M15 4AB, own place E05015253) → stays in its own place only;
                   GB-LAE-TRF (no postcode) → the LA by the register
"""

from __future__ import annotations

import csv
import pathlib

import pytest

from ecosystem import model as m
from ecosystem.pipeline import load

PLACES = [("E08000009", "Trafford", "la", ""), ("E05015247", "Gorse Hill & Cornbrook", "ward", "E08000009"),
          ("E05015253", "Old Trafford", "ward", "E08000009")]
LOOKUP_HEADER = ["pcd7", "pcds", "doterm", "osward", "lsoa21", "oslaua", "lat", "long", "usertype"]
LOOKUP = [["M15 4AB", "M15 4AB", "", "E05015247", "E01034001", "E08000009", "53.46", "-2.26", "0"],
          ["M15 4AD", "M15 4AD", "", "E05015253", "E01006112", "E08000009", "53.46", "-2.26", "0"],
          ["M16 0AA", "M16 0AA", "200012", "E05015253", "E01006112", "E08000009", "53.46", "-2.26", "1"],
          ["WA141AA", "WA14 1AA", "", "E05015239", "E01006100", "E08000009", "53.39", "-2.35", "0"]]
ORGS = [("A", "Alpha", "M15 4AB", ""), ("B", "Beta", "m154ad", ""), ("C", "Gamma", "WA14 1AA", ""),
        ("D", "Delta", "M16 0AA", ""), ("GB-LAE-TRF", "Trafford Council", "", "")]


def _csv(path: pathlib.Path, header, rows) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path):
    places = tmp_path / "places"
    _csv(places / "places.csv", ["code", "name", "level", "parent"], PLACES)
    orgs = tmp_path / "orgs"
    _csv(orgs / "organisations.csv", ["id", "name", "postcode", "place"], ORGS)
    lookup = _csv(tmp_path / "onspd_extract.csv", LOOKUP_HEADER, LOOKUP)
    return places, orgs, lookup


def based_in(store) -> dict[str, list[tuple[str, str | None]]]:
    with store.session() as s:
        rows = s.run(f"MATCH (o:{m.ORGANISATION})-[r:{m.BASED_IN}]->(p:{m.PLACE}) "
                     "RETURN o.id AS id, p.code AS code, r.basis AS basis ORDER BY id, code").data()
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(r["id"], []).append((r["code"], r["basis"]))
    return out


EXPECTED = {"A": [("E05015247", "postcode")], "B": [("E05015253", "postcode")],
            "C": [("E08000009", "postcode")], "GB-LAE-TRF": [("E08000009", "register")]}


@pytest.mark.parametrize("order", [("places", "lookup", "orgs"), ("orgs", "lookup", "places"),
                                   ("lookup", "orgs", "places"), ("orgs", "places", "lookup")])
def test_placed_whichever_is_loaded_first(store, files, order):
    places, orgs, lookup = files
    paths = {"places": places, "orgs": orgs, "lookup": lookup}
    for name in order:
        load(store, [paths[name]])
    assert based_in(store) == EXPECTED


def test_lookup_reload_and_removal_keep_placement_in_step(store, files, tmp_path):
    places, orgs, lookup = files
    for p in (places, orgs, lookup):
        load(store, [p])
    assert based_in(store) == EXPECTED
    # the same lookup again: unchanged; a new version moves M15 4AB to the other ward and drops WA14 1AA
    assert load(store, [lookup])["status"] == "unchanged"
    rows = [r for r in LOOKUP if r[1] != "WA14 1AA"]
    rows[0] = rows[0][:3] + ["E05015253"] + rows[0][4:]
    _csv(lookup, LOOKUP_HEADER, rows)
    load(store, [lookup])
    got = based_in(store)
    assert got["A"] == [("E05015253", "postcode")]
    assert "C" not in got
    # reloading the organisations with postcodes no lookup knows removes the derived links
    _csv(orgs / "organisations.csv", ["id", "name", "postcode"], [(i, n, "ZZ9 9ZZ") for i, n, _, _ in ORGS])
    load(store, [orgs])
    assert based_in(store) == {"GB-LAE-TRF": [("E08000009", "register")]}


def test_an_organisations_own_place_wins_over_its_postcode(store, files, tmp_path):
    places, orgs, lookup = files
    load(store, [places])
    load(store, [lookup])
    _csv(orgs / "organisations.csv", ["id", "name", "postcode", "place"],
         [("E", "Epsilon", "M15 4AB", "E05015253"), ("F", "Phi", "M15 4AB", "")])
    load(store, [orgs])
    assert based_in(store) == {"E": [("E05015253", None)], "F": [("E05015247", "postcode")]}
    # the own place given later replaces the derived link; taken away again, the postcode places it
    _csv(orgs / "organisations.csv", ["id", "name", "postcode", "place"],
         [("E", "Epsilon", "M15 4AB", "E05015253"), ("F", "Phi", "M15 4AB", "E05015247")])
    load(store, [orgs])
    assert based_in(store) == {"E": [("E05015253", None)], "F": [("E05015247", None)]}
    _csv(orgs / "organisations.csv", ["id", "name", "postcode", "place"],
         [("E", "Epsilon", "M15 4AB", ""), ("F", "Phi", "M15 4AB", "")])
    load(store, [orgs])
    assert based_in(store) == {"E": [("E05015247", "postcode")], "F": [("E05015247", "postcode")]}


def test_removing_the_ward_moves_the_organisation_up_to_the_la(store, files):
    places, orgs, lookup = files
    for p in (places, orgs, lookup):
        load(store, [p])
    _csv(places / "places.csv", ["code", "name", "level", "parent"], [PLACES[0], PLACES[2]])
    load(store, [places])
    assert based_in(store)["A"] == [("E08000009", "postcode")]


def test_lookup_counts_postcodes_and_skips_terminated(store, files):
    _, _, lookup = files
    result = load(store, [lookup])
    assert result["counts"]["postcodes"] == 3
    assert result["skipped"] == {"terminated postcodes": 1}
    with store.session() as s:
        n = s.run(f"MATCH (s:{m.POSTCODE_SECTOR}) RETURN count(s) AS n").single()["n"]
    assert n == 2  # sectors M15 4 and WA14 1


def test_nhs_body_placed_where_its_code_is_loaded(store, tmp_path):
    _csv(tmp_path / "p" / "places.csv", ["code", "name", "level"], [("E38000187", "NHS Trafford CCG", "ccg")])
    _csv(tmp_path / "o" / "organisations.csv", ["id", "name"], [("GB-NHS-02A", "NHS Trafford CCG"),
                                                               ("GB-NHS-ZZZ", "Unknown")])
    load(store, [tmp_path / "o"])
    load(store, [tmp_path / "p"])
    assert based_in(store) == {"GB-NHS-02A": [("E38000187", "register")]}


def test_unloading_the_lookup_or_the_wards_places_again(store, files):
    from ecosystem.sources import unload

    places, orgs, lookup = files
    for p in (places, orgs, lookup):
        load(store, [p])
    unload(store, lookup.name)
    assert based_in(store) == {"GB-LAE-TRF": [("E08000009", "register")]}
    load(store, [lookup])
    assert based_in(store) == EXPECTED
    unload(store, "places")
    assert based_in(store) == {}
