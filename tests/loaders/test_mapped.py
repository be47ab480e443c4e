"""A council's own sheets through a column mapping: rules for ids, providers, categories, located errors."""

from __future__ import annotations

import csv
import pathlib
import re

import pytest

from ecosystem.model import ValidationError
from loaders import mapped

DATA = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "service_directory"


def _raw(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_parse_mapping_columns_and_quoted_values(tmp_path):
    assert mapped.parse_mapping("name=Name, category='Sport, leisure',postcode=Post Code") == {
        "name": ("column", "Name"), "category": ("value", "Sport, leisure"), "postcode": ("column", "Post Code")}
    f = tmp_path / "care.map"
    f.write_text("# my care homes\nname=name\ncategory=type\n\nprovider=provider\n")
    assert mapped.parse_mapping(f) == {"name": ("column", "name"), "category": ("column", "type"),
                                       "provider": ("column", "provider")}


@pytest.mark.parametrize("spec,message", [("name=Name,categry=Type", "did you mean 'category'"),
                                          ("name=Name", "needs category"),
                                          ("name=Name,name=Other,category=x", "given twice"),
                                          ("name=,category=Type", "not target=Source column"),
                                          ("no-such-file.map", "neither target=column pairs")])
def test_bad_mappings_are_refused_with_the_reason(spec, message):
    with pytest.raises(ValueError, match=message):
        mapped.parse_mapping(spec)


def test_care_homes_figures_from_the_raw_file():
    raw = _raw("trafford_care_homes.csv")
    ct = mapped.load(DATA / "trafford_care_homes.csv",
                     mapping="name=name,postcode=postcode,category=type,provider=provider,id=cqc_id")
    types = [t for r in raw for t in r["type"].split("|")]
    assert len(ct["services"]) == len(types)
    assert len(ct["organisations"]) == len({r["provider"] for r in raw})
    assert sorted(ct["categories"]["name"]) == sorted(set(types))
    svc = ct["services"].set_index("id")
    first = raw[0]
    row = svc.loc[first["cqc_id"]]
    assert (row["name"], row["postcode"], row["telephone"], row["address"]) == (
        first["name"], first["postcode"], first["telephone"], first["address"])
    assert row["provider"] == "local-trafford-care-homes-" + re.sub(r"[^0-9a-z]+", "-", first["provider"].lower()).strip("-")
    # a home of two kinds is one service in each, its id suffixed by the category
    multi = next(r for r in raw if "|" in r["type"])
    assert sorted(i for i in svc.index if i.startswith(multi["cqc_id"])) == sorted(
        f"{multi['cqc_id']}-{mapped.snake(t)}" for t in multi["type"].split("|"))
    # 'NA' is a blank, as in the template
    assert svc.loc[next(r["cqc_id"] for r in raw if r["website"] == "NA")].get("website") is None


def test_sports_clubs_are_their_own_providers():
    raw = _raw("trafford_sports_clubs.csv")
    ct = mapped.load(DATA / "trafford_sports_clubs.csv",
                     mapping="name=name,postcode=postcode,category=category,sector='vcse'")
    orgs = ct["organisations"].set_index("id")
    assert len(ct["services"]) == len(raw)
    assert len(orgs) == len({r["name"] for r in raw})
    assert set(orgs["sector"]) == {"vcse"}
    club = raw[0]
    oid = "local-trafford-sports-clubs-" + re.sub(r"[^0-9a-z]+", "-", club["name"].lower()).strip("-")
    assert (orgs.loc[oid, "name"], orgs.loc[oid, "postcode"]) == (club["name"], club["postcode"])
    assert len(ct["categories"]) == len({r["category"] for r in raw})


def test_repeated_names_get_numbered_ids(tmp_path):
    f = tmp_path / "list.csv"
    f.write_text("Name,Kind,Post code\nHub,Advice,M15 4AB\nHub,Advice,M32 0AA\n")
    ct = mapped.load(f, mapping="name=Name,category=Kind,postcode=Post code")
    assert list(ct["services"]["id"]) == ["local-list-hub-advice", "local-list-hub-advice-2"]
    assert len(ct["organisations"]) == 1  # one name in one file: one organisation


def test_errors_are_located_at_file_row_column_and_value(tmp_path):
    f = tmp_path / "list.csv"
    f.write_text("Name,Kind,Places,Size,Sector\nA,Advice,E05015247,ten,vcse\n,Advice,E05015247,5,charity\n")
    with pytest.raises(ValidationError) as e:
        mapped.load(f, mapping="name=Name,category=Kind,areas=Places,capacity=Size,sector=Sector")
    got = {(i.source, i.row, i.column, i.value, i.check) for i in e.value.issues}
    assert got == {("list.csv", 2, "Size", "ten", "type_float"), ("list.csv", 3, "Name", None, "required_value"),
                   ("list.csv", 3, "Sector", "charity", "choice")}


def test_a_mapped_column_that_is_not_there_is_named_with_a_suggestion(tmp_path):
    f = tmp_path / "list.csv"
    f.write_text("Name,Type,Postcode\nA,Advice,M15 4AB\n")
    with pytest.raises(ValidationError) as e:
        mapped.load(f, mapping="name=Name,category=Typ")
    issue = e.value.issues[0]
    assert (issue.row, issue.column, issue.check) == (1, "Typ", "required_column")
    assert "did you mean 'Type'" in issue.message


def test_xlsx_first_sheet(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Providers 2024"
    ws.append(["Provider name", "Service type", "Area"])
    ws.append(["Hub", "Advice", "E05015247"])
    ws.append(["Bad", "Advice", None])
    path = tmp_path / "providers.xlsx"
    wb.save(path)
    ct = mapped.load(path, mapping="name=Provider name,category=Service type,areas=Area")
    assert list(ct["services"]["areas"])[0] == ["E05015247"]
    assert list(ct["services"]["_sheet"]) == ["Providers 2024", "Providers 2024"]


def test_areas_from_postcodes_fill_or_locate_what_is_missing(tmp_path):
    f = tmp_path / "list.csv"
    f.write_text("Name,Kind,Postcode\nA,Advice,m15 4ab\nB,Advice,ZZ9 9ZZ\n")
    ct = mapped.load(f, mapping="name=Name,category=Kind,postcode=Postcode")
    issues = mapped.areas_from_postcodes(ct, lambda pcs: {"M15 4AB": "E05015247"} if "M15 4AB" in pcs else {})
    assert list(ct["services"]["areas"]) == [["E05015247"], []]
    assert [(i.row, i.column, i.value) for i in issues] == [(3, "Postcode", "ZZ9 9ZZ")]
    ct = mapped.load(f, mapping="name=Name,category=Kind,postcode=Postcode")
    issues = mapped.areas_from_postcodes(ct, lambda pcs: {}, no_store=True)
    assert len(issues) == 2 and "--no-store" in issues[0].message
