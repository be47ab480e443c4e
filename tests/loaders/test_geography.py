"""Geography loader: ONS lookups, GeoJSON and TopoJSON boundaries, code vintages."""

import csv
import json
import pathlib

import pytest
from support import SAMPLE_DATA

from ecosystem.model import ValidationError
from loaders import geography as geo
from loaders.validate import check_tables

DATA = SAMPLE_DATA / "geography"
FIX = pathlib.Path(__file__).parents[1] / "fixtures" / "loaders"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared sample data not present")


def _csv(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@needs_data
def test_ward_to_lad_lookup_builds_a_hierarchy():
    path = DATA / "gm_ward22_to_lad22_lookup.csv"
    raw = _csv(path)
    ct = geo.load(path)
    p = ct["places"].set_index("code")
    wards, lads = {r["wd22cd"] for r in raw}, {r["lad22cd"] for r in raw}
    assert len(p) == len(wards) + len(lads) == 225
    assert (p["level"] == "ward").sum() == len(wards) == 215 and (p["level"] == "la").sum() == 10
    for r in raw:
        assert p.loc[r["wd22cd"], "parent"] == r["lad22cd"]
        assert p.loc[r["lad22cd"], "name"] == r["lad22nm"]
    assert p.loc["E05000819", "vintage"] == "2022"
    assert not check_tables(ct.tables, source=str(path))


@needs_data
def test_lsoa_lookup_parents_lsoas_on_wards():
    path = DATA / "gm_lsoa21_to_ward22_best_fit_lookup.csv"
    raw = _csv(path)
    p = geo.load(path)["places"].set_index("code")
    assert (p["level"] == "lsoa").sum() == len({r["lsoa21cd"] for r in raw}) == 1702
    first = raw[0]
    assert p.loc[first["lsoa21cd"], "parent"] == first["wd22cd"]
    assert p.loc[first["wd22cd"], "parent"] == first["lad22cd"]


@needs_data
def test_geojson_boundaries_with_string_coordinates():
    path = DATA / "trafford_ward_2023_generalised.geojson"
    raw = json.loads(path.read_text())["features"]
    ct = geo.load(path)
    p = ct["places"].set_index("code")
    assert len(p) == len(raw) == 21
    f0 = raw[0]["properties"]
    row = p.loc[f0["area_code"]]
    assert row["name"] == f0["area_name"] and row["level"] == "ward"
    assert row["lat"] == float(f0["lat"]) and row["lon"] == float(f0["lon"])  # strings in this vintage
    assert json.loads(row["boundary"]) == raw[0]["geometry"]
    assert ct["places"].iloc[0]["_sheet"] == "features[0]"
    lsoa = geo.load(DATA / "trafford_lsoa_2021_generalised.geojson")["places"]
    assert len(lsoa) == 139 and set(lsoa["level"]) == {"lsoa"}
    assert lsoa["lat"].between(53.3, 53.5).all()  # bounding-box centre when the file gives none


@needs_data
def test_two_ward_vintages_coexist():
    old = geo.load(DATA / "trafford_ward_2022_generalised.geojson")["places"]
    new = geo.load(DATA / "trafford_ward_2023_generalised.geojson")["places"]
    assert not set(old["code"]) & set(new["code"])
    assert len(old) == len(new) == 21


def test_lookup_maps_old_codes_to_new():
    path = FIX / "ward22_to_ward23_lookup.csv"
    assert geo.code_changes(path) == {"E05000819": "E05015239", "E05000820": "E05015240"}
    p = geo.load(path)["places"].set_index("code")
    assert p.loc["E05015239", "parent"] == "E08000009"
    assert p.loc["E05000819", "replaced_by"] == "E05015239"
    assert p.loc["E05000819", "vintage"] == "2022"


def test_topojson_decodes_arcs():
    path = FIX / "wards.topojson"
    assert geo.sniff(path)
    p = geo.load(path)["places"].set_index("code")
    assert list(p.index) == ["E05015239", "E05015240"]
    assert p.loc["E05015239", "parent"] == "E08000009"
    ring = json.loads(p.loc["E05015239", "boundary"])["coordinates"][0]
    # quantised (0,0)->(100,0)->(100,100)->(0,100) with scale 0.001 and translate (-2.4, 53.4)
    flat = [c for pt in ring for c in pt]
    assert flat == pytest.approx([-2.4, 53.4, -2.3, 53.4, -2.3, 53.5, -2.4, 53.5, -2.4, 53.4])
    assert (p.loc["E05015239", "lon"], p.loc["E05015239", "lat"]) == pytest.approx((-2.35, 53.45))
    assert geo.point_in_geometry(-2.35, 53.45, json.loads(p.loc["E05015239", "boundary"]))
    assert not geo.point_in_geometry(-2.25, 53.45, json.loads(p.loc["E05015239", "boundary"]))


def test_feature_without_code_is_located(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"area_code": "E05000001", "area_name": "A"}, "geometry": None},
        {"type": "Feature", "properties": {"colour": "red"}, "geometry": None}]}))
    with pytest.raises(ValidationError) as e:
        geo.load(path)
    (issue,) = e.value.issues
    assert (issue.sheet, issue.row, issue.check) == ("features[1]", 2, "required")
