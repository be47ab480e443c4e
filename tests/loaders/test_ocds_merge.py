"""Compiling OCDS releases: the reference merge, the shipped schema, records and duplicates."""

import copy
import json
import pathlib
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem.model import ValidationError
from loaders import ocds

REF = pathlib.Path(__file__).parents[1] / "fixtures" / "ocds_merge_reference"
REF_CASES = sorted(p.name[: -len("-compiled.json")] for p in REF.glob("*-compiled.json"))


def rel(rid, date, **fields):
    return {"ocid": "ocds-t-1", "id": rid, "date": date, "tag": ["tender"], "initiationType": "tender", **fields}


PARTIES = [{"id": "B", "name": "Trafford Council", "identifier": {"scheme": "GB-LAE", "id": "TRF"},
            "roles": ["buyer"]},
           {"id": "S1", "name": "Carers Centre", "identifier": {"scheme": "GB-CHC", "id": "1000001"},
            "roles": ["supplier"]},
           {"id": "S2", "name": "Care Ltd", "identifier": {"scheme": "GB-COH", "id": "01234567"},
            "roles": ["supplier"]}]


def award(aid, amount, *suppliers, **fields):
    return {"id": aid, "status": "active", "value": {"amount": amount, "currency": "GBP"},
            "suppliers": [{"id": s} for s in suppliers], "date": "2024-03-01",
            "contractPeriod": {"startDate": "2024-04-01", "endDate": "2025-03-31"}, **fields}


def write(tmp_path, name, doc):
    p = tmp_path / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


# ---- the standard's own fixtures --------------------------------------------------------
def test_reference_fixtures_are_present():
    assert len(REF_CASES) == 17


@pytest.mark.parametrize("case", REF_CASES)
def test_compile_matches_the_reference_fixture(case):
    releases = json.loads((REF / f"{case}.json").read_text())
    expected = json.loads((REF / f"{case}-compiled.json").read_text())
    assert ocds.compile_releases(releases) == expected


# ---- our own fixtures ------------------------------------------------------------------
def test_later_empty_awards_keep_earlier_awards():
    a = rel("1", "2024-03-01", awards=[{"id": "a1", "title": "Day care", "value": {"amount": 10, "currency": "GBP"}}])
    b = rel("2", "2024-04-01", awards=[])
    assert ocds.compile_releases([a, b])["awards"] == a["awards"]
    # the order given does not matter: dates decide
    assert ocds.compile_releases([b, a])["awards"] == a["awards"]


def test_arrays_of_objects_merge_by_id_and_whole_list_fields_replace():
    a = rel("1", "2024-01-01", awards=[{"id": "a1", "title": "Old", "status": "pending"},
                                       {"id": "a2", "title": "Second"}],
            tender={"id": "t", "items": [{"id": "i1", "additionalClassifications": [
                {"scheme": "CPV", "id": "85000000"}, {"scheme": "CPV", "id": "85300000"}]}]})
    b = rel("2", "2024-02-01", awards=[{"id": "a1", "status": "active"}, {"id": "a3", "title": "Third"}],
            tender={"items": [{"id": "i1", "additionalClassifications": [{"scheme": "CPV", "id": "98000000"}]}]})
    out = ocds.compile_releases([a, b])
    assert out["awards"] == [{"id": "a1", "title": "Old", "status": "active"}, {"id": "a2", "title": "Second"},
                             {"id": "a3", "title": "Third"}]
    # additionalClassifications is wholeListMerge in the release schema: the later list replaces the earlier
    assert out["tender"] == {"id": "t", "items": [{"id": "i1", "additionalClassifications": [
        {"scheme": "CPV", "id": "98000000"}]}]}
    assert out["tag"] == ["compiled"] and out["date"] == "2024-02-01" and out["ocid"] == "ocds-t-1"


def test_null_removes_a_field_and_a_release_without_date_goes_first():
    a = rel("1", "2024-01-01", tender={"id": "t", "title": "Home care", "description": "x"})
    b = rel("2", "2024-02-01", tender={"description": None})
    undated = {k: v for k, v in rel("0", None, tender={"title": "Draft"}).items() if k != "date"}
    out = ocds.compile_releases([b, undated, a])
    assert out["tender"] == {"id": "t", "title": "Home care"}


def test_compile_does_not_change_its_input():
    a = rel("1", "2024-01-01", awards=[{"id": "a1", "title": "Old"}])
    b = rel("2", "2024-02-01", awards=[{"id": "a1", "title": "New"}])
    before = copy.deepcopy([a, b])
    ocds.compile_releases([a, b])
    assert [a, b] == before


def test_schema_is_shipped_and_read_without_network(monkeypatch):
    assert ocds.RELEASE_SCHEMA.is_file() and ocds.RELEASE_SCHEMA.parent.name == "data"

    def refuse(*a, **k):
        raise AssertionError("the OCDS loader must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    ocds._merge_rules.cache_clear()
    rules = ocds._merge_rules()
    assert rules[("awards", "items", "additionalClassifications")] == "wholeListMerge"


ids = st.sampled_from(["a", "b", "c"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(ids, st.text("xyz", max_size=2)), max_size=3), min_size=1, max_size=4))
def test_every_award_id_ever_published_survives_and_the_latest_title_wins(updates):
    releases = [rel(str(i), f"2024-01-{i + 1:02d}", awards=[{"id": k, "title": t} for k, t in u])
                for i, u in enumerate(updates)]
    out = ocds.compile_releases(releases)
    latest = {}
    for u in updates:
        for k, t in u:
            latest[k] = t
    assert {a["id"]: a["title"] for a in out.get("awards", [])} == latest


# ---- the loader --------------------------------------------------------------------------
def test_loader_keeps_awards_a_later_release_empties(tmp_path):
    pkg = {"releases": [rel("1", "2024-03-01", buyer={"id": "B"}, parties=PARTIES, awards=[award("a1", 1000, "S1")]),
                        rel("2", "2024-04-01", tag=["awardUpdate"], awards=[])]}
    ct = ocds.load(write(tmp_path, "p.json", pkg))
    assert ct["funding"][["recipient", "amount"]].values.tolist() == [["GB-CHC-1000001", 1000]]


def test_record_compiled_release_is_used_once(tmp_path):
    r1 = rel("1", "2024-03-01", buyer={"id": "B"}, parties=PARTIES, awards=[award("a1", 1000, "S1")])
    r2 = rel("2", "2024-05-01", awards=[award("a1", 1500, "S1")])
    compiled = ocds.compile_releases([r1, r2])
    records = {"records": [{"ocid": "ocds-t-1", "releases": [r1, r2], "compiledRelease": compiled}]}
    write(tmp_path, "records.json", records)
    write(tmp_path, "releases.json", {"releases": [r1, r2]})
    ct = ocds.load(tmp_path)
    f = ct["funding"]
    assert f["amount"].tolist() == [1500]
    assert ct.skipped.get("release also compiled in a record") == 2


def test_record_without_compiled_release_and_the_same_releases_loose_count_once(tmp_path):
    r1 = rel("1", "2024-03-01", buyer={"id": "B"}, parties=PARTIES, awards=[award("a1", 1000, "S1")])
    r2 = rel("2", "2024-05-01", awards=[award("a2", 200, "S2")])
    write(tmp_path, "a_records.json", {"records": [{"ocid": "ocds-t-1", "releases": [r1, r2]}]})
    write(tmp_path, "b_releases.json", {"releases": [r1, r2]})
    ct = ocds.load(tmp_path)
    assert sorted(ct["funding"]["amount"].tolist()) == [200, 1000]
    assert ct.skipped["release read twice"] == 2


def test_releases_that_cannot_be_merged_skip_the_process_with_a_located_warning(tmp_path):
    good = {"ocid": "ocds-t-2", "id": "g", "date": "2024-01-01", "tag": ["award"], "initiationType": "tender",
            "buyer": {"id": "B"}, "parties": PARTIES, "awards": [award("a1", 50, "S2")]}
    a = rel("1", "2024-01-01", tender={"id": "t", "value": "five"})
    b = rel("2", "2024-02-01", tender={"id": "t", "value": {"amount": 5}})
    p = write(tmp_path, "bad.json", {"releases": [a, b, good]})
    ct = ocds.load(p)
    assert ct["funding"]["amount"].tolist() == [50]
    warn = [w for w in ct.warnings if "cannot be merged" in w]
    assert len(warn) == 1 and str(p) in warn[0] and "ocds-t-1" in warn[0]
    with pytest.raises(ValidationError) as e:
        ocds.load(p, strict=True)
    assert [(i.source, i.sheet, i.check) for i in e.value.issues] == [(str(p), "ocid ocds-t-1", "publisher")]


# ---- supplier identity -----------------------------------------------------------------
def test_suppliers_are_identified_by_scheme_and_id_else_id_else_name_with_a_warning(tmp_path):
    """Four awards whose suppliers carry less and less identity: each still becomes a flow."""
    parties = PARTIES[:2] + [{"id": "P9", "name": "Party Only Ltd", "roles": ["supplier"]}]
    awards = [
        award("a1", 100, "S1"),
        {**award("a2", 200), "suppliers": [{"name": "Constructora del Valle SA", "identifier": {"id": "CVA010101AB1"}}]},
        award("a3", 300, "P9"),
        {**award("a4", 400), "suppliers": [{"name": "The Name-Only Co. Ltd"}]},
    ]
    p = write(tmp_path, "ids.json", {"releases": [rel("1", "2024-03-01", buyer={"id": "B"}, parties=parties,
                                                      awards=awards)]})
    ct = ocds.load(p)
    f = ct["funding"].set_index("recipient")["amount"].to_dict()
    assert f == {"GB-CHC-1000001": 100, "CVA010101AB1": 200, "P9": 300, "name:name only": 400}
    warned = [w for w in ct.warnings if "supplier" in w and "identified by" in w]
    assert len(warned) == 3
    assert all(w.startswith(f"{p}, ocid ocds-t-1, ") for w in warned)
    by = {w.split(": supplier ")[1].split("'")[1]: w for w in warned}
    assert "awards[1].suppliers[0]" in by["Constructora del Valle SA"] and "no scheme" in by["Constructora del Valle SA"]
    assert "parties[id=P9]" in by["Party Only Ltd"] and "OCDS party id 'P9'" in by["Party Only Ltd"]
    assert "awards[3].suppliers[0]" in by["The Name-Only Co. Ltd"] and "by its name" in by["The Name-Only Co. Ltd"]
    names = ct["organisations"].set_index("id")["name"]
    assert names["name:name only"] == "The Name-Only Co. Ltd"


def test_an_award_whose_suppliers_have_nothing_to_identify_them_is_a_located_warning(tmp_path):
    awards = [{**award("a1", 100), "suppliers": [{"address": {"postalCode": "M1 1AA"}}]}]
    p = write(tmp_path, "x.json", {"releases": [rel("1", "2024-03-01", buyer={"id": "B"}, parties=PARTIES,
                                                    awards=awards)]})
    ct = ocds.load(p)
    assert len(ct["funding"]) == 0
    assert [w for w in ct.warnings if "names no supplier" in w] == [
        f"{p}, ocid ocds-t-1, awards[0].suppliers: award a1 names no supplier that has an identifier, an id or "
        "a name; award skipped"]
    with pytest.raises(ValidationError):
        ocds.load(p, strict=True)


def test_a_record_with_only_linked_releases_is_skipped_with_a_located_warning(tmp_path):
    rec = {"ocid": "ocds-t-9", "releases": [{"url": "https://example.org/r1.json", "date": "2024-01-01"}]}
    p = write(tmp_path, "rec.json", {"records": [rec]})
    ct = ocds.load(p)
    assert ct.skipped == {"record without a compiled or embedded release": 1}
    assert [w for w in ct.warnings if "linked releases" in w] == [
        f"{p}, records[0], ocid ocds-t-9: the record has no compiledRelease and only linked releases (url and "
        "date); ecomap does not fetch them, so it is skipped"]
