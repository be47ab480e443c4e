"""Needs loader: indicators through the needs map, population and deprivation as place attributes."""

import csv
import math
import pathlib

import pytest
from support import SAMPLE_DATA

from ecosystem.model import ValidationError
from loaders import needs
from loaders.validate import check_tables

DATA = SAMPLE_DATA / "needs"
FIX = pathlib.Path(__file__).parents[1] / "fixtures" / "loaders"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared sample data not present")


def _csv(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@needs_data
def test_census_general_health_bad_and_very_bad_are_summed_per_ward():
    path = DATA / "trafford_census2021_general_health_ward.csv"
    raw = _csv(path)
    expected = {}
    for r in raw:
        if r["general_health"] in ("Bad health", "Very bad health"):
            expected[r["area_code"]] = expected.get(r["area_code"], 0) + float(r["value"])
    ct = needs.load(path)
    n = ct["needs"].set_index("place")
    assert len(n) == len(expected) == 21
    assert n["people"].to_dict() == expected
    assert n["people"].sum() == sum(expected.values())
    assert set(n["category"]) == {"physical_health"}
    assert ct["categories"]["code"].tolist() == ["physical_health"]
    assert ct.skipped == {"indicator row mapped to skip": 63}


@needs_data
def test_population_estimates_use_persons_rows():
    path = DATA / "trafford_mid-2022_population_estimates_ward.csv"
    raw = [r for r in _csv(path) if r["sex"] == "Persons"]
    ct = needs.load(path)
    p = ct["places"].set_index("code")
    assert len(p) == len(raw) == 21
    assert p["population"].sum() == sum(float(r["all_ages"]) for r in raw)
    assert p.loc["E05015239", "population"] == 10972.0 and p.loc["E05015239", "level"] == "ward"
    assert ct.skipped == {"population row for one sex (Persons used)": 42}
    lsoa = needs.load(DATA / "trafford_mid-2022_population_estimates_lsoa.csv")["places"]
    assert len(lsoa) == 139 and set(lsoa["level"]) == {"lsoa"}


@needs_data
@pytest.mark.parametrize("name,code_col,n", [("iod2019_local_authority_district_summaries.csv", "lad19cd", 317),
                                             ("iod2025_local_authority_district_summaries.csv", "area_code", 296)])
def test_iod_la_summaries_give_deciles(name, code_col, n):
    path = DATA / name
    imd = [r for r in _csv(path) if r["index_domain"] == "Index of Multiple Deprivation"]
    ct = needs.load(path)
    p = ct["places"].set_index("code")
    assert len(p) == len(imd) == n
    for r in imd[:40]:
        assert p.loc[r[code_col], "imd_decile"] == math.ceil(float(r["rank_average_score"]) * 10 / n)
    assert p["imd_decile"].value_counts().sort_index().tolist()[0] >= n // 10
    assert set(p["imd_decile"]) == set(range(1, 11))


@needs_data
def test_fingertips_percentage_needs_a_population():
    path = DATA / "fingertips_5aday_adults_2022-23_lower_tier_la.csv"
    raw = _csv(path)  # BOM, quoted fields, CRLF
    assert len(raw) == 296
    trafford = next(r for r in raw if r["Area Code"] == "E08000009")
    ct = needs.load(path, population={"E08000009": 180000})
    (row,) = ct["needs"].to_dict("records")
    assert row["people"] == pytest.approx((100 - float(trafford["Value"])) * 180000 / 100)
    assert (row["category"], row["period"]) == ("food", "2022/23")
    assert ct.skipped == {"no population for a percentage indicator": 295}


def test_preamble_bom_and_own_map(tmp_path):
    path = FIX / "indicators_with_preamble.csv"
    assert needs.sniff(path)
    ct = needs.load(path, needs_map=FIX / "needs_map_test.csv", places=True)
    n = ct["needs"].set_index("id")
    assert n.loc["E05015239|carers|2021", "people"] == 120.0
    assert n.loc["E05015240|carers|2021", "people"] == 80.0
    assert n.loc["E05015239|mental_health|2021/22", "people"] == 1000.0  # 12.5% of 8000
    assert n.loc["E05015239|carers|2021", "_row"] == 4  # two preamble lines, header on row 3
    assert ct.skipped == {"indicator not in the needs map": 1}
    assert sorted(ct["categories"]["code"]) == ["carers", "mental_health"]
    assert not check_tables(ct.tables, source=str(path))


def test_bad_map_is_reported(tmp_path):
    m = tmp_path / "map.csv"
    m.write_text("indicator,breakdown,category,people\n90001,,carers,half the value\n")
    with pytest.raises(ValidationError) as e:
        needs.load(FIX / "indicators_with_preamble.csv", needs_map=m)
    assert (e.value.issues[0].row, e.value.issues[0].column) == (2, "people")
