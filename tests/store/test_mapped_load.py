"""`ecomap load FILE --as services --map …` on Trafford's own lists, with the demo's wards and the ONSPD extract.

Figures are computed here from the raw files: each service serves the ward its postcode lies in (per the
postcode file), each club is placed by its postcode, and the two clubs outside Trafford are named.
"""

from __future__ import annotations

import csv
import json
import pathlib

import pytest

from ecosystem import cli
from ecosystem import model as m
from ecosystem.demo import DEMO_DIR
from ecosystem.pipeline import load

DATA = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data"
LOOKUP = DATA / "geography" / "trafford_postcodes_onspd_2025-02.csv"
HOMES = DATA / "service_directory" / "trafford_care_homes.csv"
CLUBS = DATA / "service_directory" / "trafford_sports_clubs.csv"


def _raw(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def trafford(store):
    load(store, [DEMO_DIR], fmt="template", source="trafford-demo")
    load(store, [LOOKUP])
    return store


def _serves(store, ids):
    with store.session() as s:
        rows = s.run(f"UNWIND $ids AS i MATCH (v:{m.SERVICE} {{id: i}})-[:{m.SERVES}]->(p:{m.PLACE}) "
                     "RETURN v.id AS id, collect(p.code) AS codes", {"ids": ids}).data()
    return {r["id"]: sorted(r["codes"]) for r in rows}


def test_care_homes_serve_the_ward_of_their_postcode(trafford, capsys):
    ward = {r["postcode"]: r["ward_code"] for r in _raw(LOOKUP)}
    homes = _raw(HOMES)
    assert cli.main(["load", str(HOMES), "--as", "services", "--json", "--map",
                     "name=name,postcode=postcode,category=type,provider=provider,id=cqc_id"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["organisations"] == len({h["provider"] for h in homes})
    ids = [h["cqc_id"] for h in homes if "|" not in h["type"]]
    got = _serves(trafford, ids)
    assert got == {h["cqc_id"]: [ward[h["postcode"]]] for h in homes if "|" not in h["type"]}


def test_clubs_outside_the_lookup_are_refused_then_load_with_a_default_area(trafford, capsys):
    clubs = _raw(CLUBS)
    pcs = {r["postcode"] for r in _raw(LOOKUP)}
    outside = [(i + 2, c["postcode"]) for i, c in enumerate(clubs) if c["postcode"] not in pcs]
    before = trafford.counts()
    spec = "name=name,postcode=postcode,category=category,sector='vcse'"
    assert cli.main(["load", str(CLUBS), "--as", "services", "--map", spec, "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert [(i["row"], i["value"]) for i in out["issues"]] == outside
    assert {i["column"] for i in out["issues"]} == {"postcode"}
    assert trafford.counts() == before
    # every club serves Trafford; each is based in the ward of its postcode where the lookup has it
    assert cli.main(["load", str(CLUBS), "--as", "services", "--map", spec + ",areas='E08000009'", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["placed"]["postcode"] == len({c["name"] for c in clubs if c["postcode"] in pcs})


def test_as_without_map_and_bad_targets_are_usage_errors(trafford, capsys):
    assert cli.main(["load", str(CLUBS), "--as", "services"]) == 2
    assert "--as and --map go together" in capsys.readouterr().err
    assert cli.main(["load", str(CLUBS), "--as", "services", "--map", "nme=name,category=category"]) == 2
    assert "did you mean 'name'" in capsys.readouterr().err
