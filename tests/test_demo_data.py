"""The bundled Trafford demo: integrity, real figures reconciled, designed findings.

Real totals are recomputed here from the raw public files in the shared
sample-data folder (``ECOMAP_SAMPLE_DATA``, default: the ``shared/data`` folder beside the repository).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import pathlib

import pandas as pd
import pytest
from support import SAMPLE_DATA

from ecosystem.model import OPTIONAL_TABLES, TABLE_ORDER, TABLES

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEMO = ROOT / "ecosystem" / "demo_data" / "trafford"
DATA = SAMPLE_DATA
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"sample data folder {DATA} not available")
TRAFFORD = "E08000009"


@pytest.fixture(scope="module")
def t() -> dict[str, pd.DataFrame]:
    return {n: pd.read_csv(DEMO / f"{n}.csv", dtype=str, keep_default_na=False) for n in TABLE_ORDER
            if n not in OPTIONAL_TABLES or (DEMO / f"{n}.csv").exists()}


def test_every_table_has_its_required_columns(t):
    for name, spec in TABLES.items():
        if name not in t:  # an optional table the demo leaves out, or one no template holds (EXTRA_TABLES)
            continue
        assert set(spec.required) <= set(t[name].columns), name


def test_referential_integrity(t):
    places, cats = set(t["places"]["code"]), set(t["categories"]["code"])
    orgs, services = set(t["organisations"]["id"]), set(t["services"]["id"])
    assert t["places"]["code"].is_unique and t["organisations"]["id"].is_unique
    assert t["services"]["id"].is_unique and t["funding"]["id"].is_unique and t["needs"]["id"].is_unique
    assert not t["partnerships"].duplicated(["a", "b", "kind"]).any()
    assert set(t["places"]["parent"]) <= places | {""}
    assert set(t["organisations"]["place"]) <= places
    assert set(t["services"]["provider"]) <= orgs
    assert set(t["services"]["category"]) <= cats
    assert {c for a in t["services"]["areas"] for c in a.split(";")} <= places
    assert set(t["needs"]["place"]) <= places and set(t["needs"]["category"]) <= cats
    assert set(t["funding"]["funder"]) <= orgs and set(t["funding"]["recipient"]) <= orgs
    assert set(t["funding"]["service"]) <= services | {""}
    provider = dict(zip(t["services"]["id"], t["services"]["provider"]))
    named = t["funding"][t["funding"]["service"] != ""]
    assert (named["service"].map(provider) == named["recipient"]).all()
    assert set(t["partnerships"]["a"]) | set(t["partnerships"]["b"]) <= orgs
    assert t["procurements"]["id"].is_unique
    assert set(t["procurements"]["buyer"]) <= orgs and set(t["procurements"]["category"]) <= cats
    assert {c for a in t["procurements"]["places"] if a for c in a.split(";")} <= places


def test_dates_ordered_and_numbers_not_negative(t):
    for name in ("services", "funding", "partnerships", "procurements"):
        df = t[name]
        both = df[(df["start"] != "") & (df["end"] != "")]
        assert (both["start"].map(dt.date.fromisoformat) <= both["end"].map(dt.date.fromisoformat)).all(), name
    for name, col in [("places", "population"), ("services", "capacity"), ("needs", "people"),
                      ("funding", "amount"), ("organisations", "income")]:
        values = pd.to_numeric(t[name][col].replace("", None))
        assert (values.dropna() >= 0).all(), (name, col)


def test_sizes_are_as_briefed(t):
    assert len(t["categories"]) == 8
    assert 15 <= len(t["organisations"]) <= 25
    assert 30 <= len(t["services"]) <= 50
    assert 40 <= len(t["funding"]) <= 80
    assert 10 <= len(t["partnerships"]) <= 20


def test_fictional_parts_are_labelled(t):
    assert t["organisations"]["id"].str.startswith("GB-DEMO-").all()
    for name, col in [("organisations", "name"), ("services", "name"), ("funding", "programme"),
                      ("procurements", "title")]:
        assert t[name][col].str.startswith("Illustrative: ").all(), name
    text = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "Contains National Statistics and OS data © Crown copyright and database right" in text
    assert "2026-11-21" in text and "Open Government Licence" in text
    invented = t["needs"][t["needs"]["category"].isin(["MENTAL", "FOOD", "MONEY", "CARERS"])]
    assert invented["source"].str.startswith("Illustrative:").all()


@needs_data
def test_trafford_and_its_21_wards_of_2023(t):
    p = t["places"]
    la = p[p["code"] == TRAFFORD].iloc[0]
    assert (la["name"], la["level"]) == ("Trafford", "la")
    wards = p[p["level"] == "ward"]
    assert len(wards) == 21 and len(p) == 22
    assert (wards["parent"] == TRAFFORD).all()
    geo = json.loads((DATA / "geography/trafford_ward_2023_generalised.geojson").read_text(encoding="utf-8"))
    assert set(wards["code"]) == {f["properties"]["area_code"] for f in geo["features"]}
    for w in wards.itertuples():
        g = json.loads(w.boundary)
        assert g["type"] == "Polygon"
        xs = [pt[0] for pt in g["coordinates"][0]]
        ys = [pt[1] for pt in g["coordinates"][0]]
        assert min(xs) <= float(w.lon) <= max(xs) and min(ys) <= float(w.lat) <= max(ys), w.code


@needs_data
def test_ward_populations_sum_to_the_trafford_total(t):
    raw = pd.read_csv(DATA / "needs/trafford_mid-2022_population_estimates_ward.csv")
    persons = raw[raw["sex"] == "Persons"]
    lsoa = pd.read_csv(DATA / "needs/trafford_mid-2022_population_estimates_lsoa.csv")
    total = int(lsoa.loc[lsoa["sex"] == "Persons", "all_ages"].sum())
    assert total == int(persons["all_ages"].sum()) == 236_301
    p = t["places"]
    wards = p[p["level"] == "ward"]
    assert wards["population"].astype(int).sum() == total
    assert int(p.loc[p["code"] == TRAFFORD, "population"].iloc[0]) == total
    assert dict(zip(wards["code"], wards["population"].astype(int))) == dict(
        zip(persons["area_code"], persons["all_ages"]))


@needs_data
def test_health_need_keeps_the_census_total(t):
    raw = pd.read_csv(DATA / "needs/trafford_census2021_general_health_ward.csv")
    poor = raw[raw["general_health"].isin(["Bad health", "Very bad health"])]
    assert poor["area_code"].str.startswith("E050008").all()  # the old ward codes
    health = t["needs"][t["needs"]["category"] == "HEALTH"]
    wards = set(t["places"].loc[t["places"]["level"] == "ward", "code"])
    assert set(health["place"]) == wards  # on the 2023 codes, one row each
    assert health["people"].astype(int).sum() == int(poor["value"].sum()) == 8_411 + 2_521
    assert (health["people"].astype(int) > 0).all()


@needs_data
def test_population_needs_match_the_raw_age_columns(t):
    raw = pd.read_csv(DATA / "needs/trafford_mid-2022_population_estimates_ward.csv")
    persons = raw[raw["sex"] == "Persons"].set_index("area_code")
    aged_75 = persons[[str(a) for a in range(75, 90)] + ["90+"]].sum(axis=1)
    under_5 = persons[[str(a) for a in range(5)]].sum(axis=1)
    n = t["needs"].assign(people=lambda d: d["people"].astype(int))
    older = n[n["category"] == "OLDER"].set_index("place")["people"]
    early = n[n["category"] == "EARLY"].set_index("place")["people"]
    assert older.to_dict() == aged_75.to_dict()
    assert early.to_dict() == under_5.to_dict()
    assert older.sum() == 20_644
    carers = n[n["category"] == "CARERS"]
    assert list(carers["place"]) == [TRAFFORD] and list(carers["people"]) == [2_363]  # 1% of 236,301


# --------------------------------------------------------------------------
# The findings the README promises, checked against hand-computed figures
# through the build script's independent SPEC §5 calculation.
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def findings(t):
    spec = importlib.util.spec_from_file_location("build_demo", ROOT / "scripts" / "build_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tables = {k: v.replace("", None) for k, v in t.items()}
    tables["places"]["population"] = tables["places"]["population"].astype(float)
    for name, col in [("services", "capacity"), ("needs", "people"), ("funding", "amount")]:
        tables[name][col] = pd.to_numeric(tables[name][col])
    return mod.expected_findings(tables, dt.date(2026, 11, 21))


def test_duplication_in_altrincham_and_hale(findings):
    dup = findings["duplication"].set_index(["place", "category"])
    alt = dup.loc[("E05015239", "OLDER")]
    # (3,300 + 2,400) x 10,972 / (10,972 + 11,102 + 10,937)
    assert alt["supply"] == pytest.approx(5_700 * 10_972 / 33_011)
    assert alt["coverage"] == pytest.approx(5_700 * 10_972 / 33_011 / 893)
    assert alt["providers"] == ["GB-DEMO-008", "GB-DEMO-015"]
    assert ("E05015248", "OLDER") in dup.index
    pair = [o for o in findings["overlaps"] if {o["service_a"], o["service_b"]} == {"DEMO-S10", "DEMO-S11"}]
    assert pair == [{"service_a": "DEMO-S10", "service_b": "DEMO-S11", "category": "OLDER", "overlap": 1.0,
                     "different_funders": True}]


def test_unserved_and_under_served(findings):
    cov = findings["coverage"].set_index(["place", "category"])
    assert cov.loc[("E05015244", "OLDER"), "status"] == "unserved"  # Bucklow-St Martins
    north = ["E05015253", "E05015247", "E05015250", "E05015256", "E05015251"]
    assert all(cov.loc[(w, "YOUTH"), "status"] == "unserved" for w in north)
    money = cov.loc[("E05015239", "MONEY")]
    assert money["supply"] == pytest.approx(3_000 * 10_972 / 236_301)
    assert money["status"] == "under"
    carers = cov.xs("CARERS", level="category")
    assert carers["coverage"].round(9).eq(round(2_400 / 2_363, 9)).all()


def test_funding_fragility(findings):
    dep = {d["provider"]: d for d in findings["funding_dependency"]}
    assert dep["GB-DEMO-006"]["top_share"] == pytest.approx(180 / 255, abs=1e-4)
    assert dep["GB-DEMO-020"]["dependent"] is False
    assert dep["GB-DEMO-020"]["hhi"] == pytest.approx((35**2 + 30**2 + 25**2) / 90**2, abs=1e-4)
    assert {c["funding"] for c in findings["funding_cliffs"]} == {"DEMO-F002", "DEMO-F003", "DEMO-F022"}
    # 15,000 + 12,000 + 8,000 + 6,000 + 18,000 + 20,000 + 25,000 + 10,000 + 500,000
    assert findings["short_term_amount"] == 614_000


def test_network_and_concentration(findings):
    assert "GB-DEMO-013" in findings["articulation_points"]
    assert ("GB-DEMO-013", "GB-DEMO-017") in findings["bridges"]
    conc = {c["category"]: c for c in findings["concentration"]}
    assert conc["EARLY"]["hhi"] == pytest.approx(93.75**2 + 6.25**2, abs=0.1)
    assert conc["MONEY"]["concentrated"] and not conc["OLDER"]["concentrated"]
    assert findings["critical_providers"][0]["provider"] == "GB-DEMO-001"


# --------------------------------------------------------------------------
# Market shaping: the build script's independent figures, and the analysis agreeing with them
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def market(t):
    spec = importlib.util.spec_from_file_location("build_demo", ROOT / "scripts" / "build_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tables = {k: v.replace("", None) for k, v in t.items()}
    tables["places"]["population"] = tables["places"]["population"].astype(float)
    for name, col in [("services", "capacity"), ("needs", "people"), ("funding", "amount")]:
        tables[name][col] = pd.to_numeric(tables[name][col])
    return mod.market_findings(tables, dt.date(2026, 11, 21)), mod.expected_findings(tables, dt.date(2026, 11, 21))


@pytest.fixture(scope="module")
def analysed():
    from ecosystem import analysis as an
    from ecosystem.graph import graph_from_tables
    from ecosystem.pipeline import prepare

    return an.analyse(graph_from_tables(prepare([DEMO], fmt="template")), place=TRAFFORD,
                      as_of=dt.date(2026, 11, 21))


def test_every_sector_and_funding_length_has_something_to_say(market):
    mk, _ = market
    sectors = {s for rows in mk["diversity"].values() for s, _, _ in rows}
    assert {"vcse", "private", "public", "other"} <= sectors
    assert {"short", "middle", "multi", "open"} <= set(mk["lengths"])
    # the short-term amount is the one the fragility figures promise
    assert mk["lengths"]["short"][0] == 614_000


def test_the_pipeline_answers_the_designed_gaps_and_cliffs(market, t):
    mk, found = market
    p = {r["procurement"]: r for r in mk["pipeline"]}
    later = t["procurements"][t["procurements"]["start"] > "2026-11-21"]
    assert set(p) == set(later["id"]) and "DEMO-PR07" not in p
    assert p["DEMO-PR03"]["cliffs"] == ["DEMO-F002"] and p["DEMO-PR02"]["cliffs"] == ["DEMO-F002"]
    assert p["DEMO-PR05"]["cliffs"] == ["DEMO-F003"] and p["DEMO-PR06"]["cliffs"] == ["DEMO-F022"]
    cov = found["coverage"].set_index(["place", "category"])
    buc = cov.loc[("E05015244", "OLDER")]
    assert p["DEMO-PR02"]["gaps"] == [("E05015244", "unserved", buc["demand"])]
    north = {"E05015253", "E05015247", "E05015250", "E05015256", "E05015251"}
    assert {w for w, s, _ in p["DEMO-PR01"]["gaps"]} == north
    assert all(s == "unserved" for _, s, _ in p["DEMO-PR01"]["gaps"])


def test_the_analysis_finds_the_demos_market_figures(market, analysed):
    mk, _ = market
    d = analysed.diversity
    for cat, rows in mk["diversity"].items():
        mine = d[d["category"] == cat]
        assert [(r.sector, r.providers) for r in mine.itertuples()] == [(s, n) for s, _, n in rows], cat
        assert mine["supply"].tolist() == pytest.approx([v for _, v, _ in rows]), cat
    total = analysed.funding_security.iloc[0]
    assert total["funder"] is None and float(total["amount"]) == mk["security"]["amount"]
    assert total["short_term_share"] == pytest.approx(mk["security"]["short_term_share"], abs=1e-9)
    assert total["multi_year_share"] == pytest.approx(mk["security"]["multi_year_share"], abs=1e-9)
    pipe = analysed.pipeline
    assert list(pipe["procurement"]) == [r["procurement"] for r in mk["pipeline"]]
    for r, g, c in zip(mk["pipeline"], pipe["gaps"], pipe["cliffs"]):
        assert [(x["place"], x["status"]) for x in g] == [(w, s) for w, s, _ in r["gaps"]], r["procurement"]
        assert [x["unmet"] for x in g] == pytest.approx([u for _, _, u in r["gaps"]])
        assert c == r["cliffs"], r["procurement"]
