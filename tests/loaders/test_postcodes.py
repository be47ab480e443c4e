"""Postcode lookups: columns recognised by their values, terminated postcodes skipped, compact sectors."""

from __future__ import annotations

import csv
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loaders
from ecosystem.model import ValidationError
from loaders import postcodes
from loaders.parse import normalise_postcode

DATA = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "geography"


def _write(path: pathlib.Path, header, rows) -> pathlib.Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _lookup(ct) -> dict[str, list[str]]:
    out = {}
    for r in ct.records("postcodes"):
        out.update(postcodes.expand(r))
    return out


@pytest.mark.parametrize("raw,expected", [("m15  4ab", "M15 4AB"), ("M154AB", "M15 4AB"), (" WA14 1AA ", "WA14 1AA"),
                                          ("EC1A1BB", "EC1A 1BB"), ("M32", None), ("n/a", None), (None, None),
                                          ("M15 4A", None)])
def test_normalise_postcode(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("header", [["Postcode8", "WD23CD", "LSOA11CD", "LAD23CD"],
                                    ["pcd7", "osward", "lsoa21", "oslaua"],
                                    ["postcode", "ward_code", "lsoa_code", "la_code"],
                                    ["a", "b", "c", "d"]])
def test_columns_are_recognised_by_their_values_whatever_their_names(tmp_path, header):
    f = _write(tmp_path / "l.csv", header, [["M15 4AB", "E05015247", "E01034001", "E08000009"],
                                            ["M154AD", "E05015253", "E01006112", "E08000009"]])
    assert postcodes.sniff(f)
    ct = loaders.load_path(f)
    assert _lookup(ct) == {"M15 4AB": ["E05015247", "E01034001", "E08000009"],
                           "M15 4AD": ["E05015253", "E01006112", "E08000009"]}
    assert ct.counts()["postcodes"] == 2 and ct.counts()["places"] == 0


def test_names_coordinates_flags_and_pseudo_codes_are_not_codes(tmp_path):
    f = _write(tmp_path / "l.csv", ["pcds", "ward_name", "lat", "usertype", "oscty", "osward", "dointr"],
               [["M15 4AB", "Clifford", "53.4", "0", "E99999999", "E05015247", "198001"]])
    assert _lookup(loaders.load_path(f)) == {"M15 4AB": ["E05015247"]}


def test_terminated_postcodes_are_skipped_and_counted(tmp_path):
    f = _write(tmp_path / "l.csv", ["pcds", "doterm", "osward"],
               [["M15 4AB", "", "E05015247"], ["M15 4AD", "201903", "E05015253"], ["M15 4AE", " ", "E05015253"]])
    ct = loaders.load_path(f)
    assert sorted(_lookup(ct)) == ["M15 4AB", "M15 4AE"]
    assert ct.skipped == {"terminated postcodes": 1}


def test_bad_and_repeated_postcodes_are_warnings_that_name_the_rows(tmp_path):
    rows = [["M15 4AB", "E05015247"]] * 3 + [["not one", "E05015247"], ["M15 4AD", "E05015253"]]
    f = _write(tmp_path / "l.csv", ["postcode", "wd23cd"], rows)
    ct = loaders.load_path(f)
    assert sorted(_lookup(ct)) == ["M15 4AB", "M15 4AD"]
    assert ct.skipped == {"rows without a valid postcode": 1, "repeated postcodes": 2}
    assert any("row 5 ('not one')" in w and "'postcode'" in w for w in ct.warnings)


def test_a_file_without_postcodes_is_refused_with_its_header(tmp_path):
    f = _write(tmp_path / "l.csv", ["name", "wd23cd"], [["x", "E05015247"]])
    with pytest.raises(ValidationError) as e:
        loaders.load_path(f, "postcodes")
    issue = e.value.issues[0]
    assert (issue.source, issue.row, issue.check) == (str(f), 1, "required_column")
    assert "postcode column" in issue.message


def test_trafford_onspd_extract_figures_from_the_raw_file():
    path = DATA / "trafford_postcodes_onspd_2025-02.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        raw = list(csv.DictReader(f))
    ct = loaders.load_path(path)  # auto-detected as a postcode lookup, not a place lookup
    got = _lookup(ct)
    assert len(got) == len({r["postcode"] for r in raw}) == ct.counts()["postcodes"]
    assert len(ct["postcodes"]) == len({r["postcode"][:-2] for r in raw})
    for r in raw[:: 97]:
        assert got[r["postcode"]] == [r["ward_code"], r["msoa_code"], r["lsoa_code"], r["la_code"]]
    # --format geography reads it the same way
    assert _lookup(loaders.load_path(path, "geography")) == got


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(
    st.tuples(st.sampled_from(["M1", "M15", "WA14", "EC1A", "SK8"]), st.integers(0, 9),
              st.text("ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2)).map(lambda t: f"{t[0]} {t[1]}{t[2]}"),
    st.lists(st.sampled_from(["E05015247", "E05015253", "E01034001", "E08000009", "W06000019"]), min_size=1,
             max_size=3, unique=True),
    min_size=1, max_size=60))
def test_sectors_give_back_every_postcode_and_its_codes(tmp_path_factory, table):
    f = tmp_path_factory.mktemp("pc") / "l.csv"
    width = max(len(v) for v in table.values())
    _write(f, ["pcds", *[f"c{i}" for i in range(width)]], [[k, *v] for k, v in table.items()])
    assert _lookup(loaders.load_path(f, "postcodes")) == table


def test_a_list_of_providers_with_postcodes_is_not_taken_for_a_lookup():
    libraries = DATA.parent / "service_directory" / "gm_libraries.csv"
    assert not postcodes.sniff(libraries)
    assert loaders.detect_format(DATA / "trafford_postcodes_onspd_2022-08.csv") == "postcodes"
