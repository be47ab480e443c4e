"""The synthetic generator: sizes, determinism, referential integrity, shapes."""

from __future__ import annotations

import datetime as dt
import pathlib

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosystem.generate import SCALES, generate, generate_sized
from ecosystem.model import OPTIONAL_TABLES, TABLE_ORDER, TABLES

AS_OF = dt.date(2026, 11, 21)


def read(folder: pathlib.Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False) for name in TABLE_ORDER
            if name not in OPTIONAL_TABLES or (folder / f"{name}.csv").exists()}


def integrity_problems(t: dict[str, pd.DataFrame]) -> list[str]:
    """Every reference resolves, keys are unique, dates ordered, numbers not negative."""
    problems = []
    places, cats, orgs = set(t["places"]["code"]), set(t["categories"]["code"]), set(t["organisations"]["id"])
    services = set(t["services"]["id"])

    def check(name: str, col: str, values, universe: set[str], allow_blank: bool = False) -> None:
        bad = [v for v in values if not (allow_blank and v == "") and v not in universe]
        if bad:
            problems.append(f"{name}.{col}: {len(bad)} unknown, e.g. {bad[:3]}")

    for name, spec in TABLES.items():
        if name not in t:  # an optional table the data set leaves out
            continue
        key = list(spec.key) if name != "needs" else ["id"]
        if t[name].duplicated(key).any():
            problems.append(f"{name}: duplicate keys {key}")
        missing = set(spec.required) - set(t[name].columns)
        if missing:
            problems.append(f"{name}: missing columns {missing}")
    check("places", "parent", t["places"]["parent"], places, allow_blank=True)
    check("categories", "parent", t["categories"]["parent"], cats, allow_blank=True)
    check("organisations", "place", t["organisations"]["place"], places, allow_blank=True)
    check("services", "provider", t["services"]["provider"], orgs)
    check("services", "category", t["services"]["category"], cats)
    check("services", "areas", [c for a in t["services"]["areas"] for c in a.split(";")], places)
    check("needs", "place", t["needs"]["place"], places)
    check("needs", "category", t["needs"]["category"], cats)
    check("funding", "funder", t["funding"]["funder"], orgs)
    check("funding", "recipient", t["funding"]["recipient"], orgs)
    check("funding", "service", t["funding"]["service"], services, allow_blank=True)
    check("partnerships", "a", t["partnerships"]["a"], orgs)
    check("partnerships", "b", t["partnerships"]["b"], orgs)
    if (t["partnerships"]["a"] == t["partnerships"]["b"]).any():
        problems.append("partnerships: an organisation partners itself")
    named = t["funding"][t["funding"]["service"] != ""]
    provider_of = dict(zip(t["services"]["id"], t["services"]["provider"]))
    if (named["service"].map(provider_of) != named["recipient"]).any():
        problems.append("funding: a flow names a service its recipient does not provide")
    for name in ("services", "funding", "partnerships"):
        both = t[name][(t[name]["start"] != "") & (t[name]["end"] != "")]
        starts = pd.to_datetime(both["start"], format="%Y-%m-%d")
        ends = pd.to_datetime(both["end"], format="%Y-%m-%d")
        if (ends < starts).any():
            problems.append(f"{name}: {(ends < starts).sum()} rows end before they start")
    for name, col in [("places", "population"), ("organisations", "income"), ("services", "capacity"),
                      ("services", "cost"), ("needs", "people"), ("funding", "amount")]:
        values = pd.to_numeric(t[name][col].replace("", None), errors="raise")
        if (values < 0).any():
            problems.append(f"{name}.{col}: negative values")
    return problems


@pytest.fixture(scope="module")
def la(tmp_path_factory) -> tuple[dict[str, int], pathlib.Path]:
    out = tmp_path_factory.mktemp("la")
    return generate("la", 7, out), out


@pytest.fixture(scope="module")
def la_tables(la) -> dict[str, pd.DataFrame]:
    return read(la[1])


def test_la_counts_are_the_stated_sizes(la, la_tables):
    counts, _ = la
    assert counts == {name: len(df) for name, df in la_tables.items()}
    wards = la_tables["places"][la_tables["places"]["level"] == "ward"]
    assert len(wards) == 200
    assert counts["categories"] == 40
    assert counts["organisations"] == 2_000
    assert counts["services"] == 10_000
    assert counts["funding"] == 50_000
    assert 4_500 <= counts["partnerships"] <= 5_000
    # 24 ward-level categories x 200 wards + 8 categories given once for the LA
    assert counts["needs"] == 200 * 24 + 8
    assert list(la_tables["places"]["level"].unique()) == ["country", "region", "la", "ward"]


def test_la_referential_integrity(la_tables):
    assert integrity_problems(la_tables) == []


def test_generated_organisations_do_not_claim_org_id_lists(la_tables):
    """The synthetic ids are local ones: loading them warns of no unknown org-id.guide prefix (2,000 such
    warnings buried what a load had to say)."""
    from loaders.identity import org_id_problem

    ids = la_tables["organisations"]["id"]
    assert len(ids) == 2000 and [i for i in ids if org_id_problem(i) is not None] == []


def test_same_seed_same_bytes_other_seed_differs(la, tmp_path):
    _, first = la
    generate("la", 7, tmp_path / "again")
    generate("la", 8, tmp_path / "other")
    for name in (n for n in TABLE_ORDER if (first / f"{n}.csv").exists()):
        same = (first / f"{name}.csv").read_bytes() == (tmp_path / "again" / f"{name}.csv").read_bytes()
        assert same, name
    assert (first / "services.csv").read_bytes() != (tmp_path / "other" / "services.csv").read_bytes()


def test_hierarchy_and_populations_add_up(la_tables):
    p = la_tables["places"].assign(population=lambda d: d["population"].astype(int))
    by_parent = p.groupby("parent")["population"].sum()
    for row in p[p["level"] != "ward"].itertuples():
        assert by_parent[row.code] == row.population, row.code
    wards = p[p["level"] == "ward"]
    assert wards["population"].between(1_000, 40_000).all()
    assert wards["parent"].eq("SYN-LA0001").all()


def test_realistic_shapes(la_tables):
    s, f, n = la_tables["services"], la_tables["funding"], la_tables["needs"]
    start = pd.to_datetime(s["start"])
    end = pd.to_datetime(s["end"].replace("", None))
    assert 0.05 < (s["capacity"] == "").mean() < 0.15  # some with no capacity
    assert 0.05 < (end < pd.Timestamp(AS_OF)).mean() < 0.25  # some inactive
    assert (start > pd.Timestamp(AS_OF)).any()  # some not started yet
    assert 0.04 < s["areas"].eq("SYN-LA0001").mean() < 0.12  # some name the LA
    n_areas = s["areas"].str.count(";") + 1
    assert n_areas.max() == 6 and (n_areas == 1).mean() > 0.3
    fs, fe = pd.to_datetime(f["start"]), pd.to_datetime(f["end"].replace("", None))
    assert 0.05 < fe.isna().mean() < 0.15  # open-ended
    months = (fe - fs).dt.days / 30.44
    assert (months <= 12).mean() > 0.2 and (months > 24).mean() > 0.3  # short and long flows
    assert fs.min().year <= 2022 and fs.max().year == 2026
    assert ((fe >= pd.Timestamp(AS_OF)) & (fs <= pd.Timestamp(AS_OF))).mean() > 0.2  # many active now
    assert 0.35 < (f["service"] != "").mean() < 0.55
    assert set(n.loc[n["place"] == "SYN-LA0001", "category"].str[:7]) == {"SYN-C06", "SYN-C08"}
    assert (n["people"].astype(int) > 0).mean() > 0.95


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scale 'city'"):
        generate("city", 1, tmp_path)
    assert not any(tmp_path.iterdir())


def test_inconsistent_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="inconsistent sizes"):
        generate_sized(dict(SCALES["la"], wards=3), 1, tmp_path)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(regions=st.integers(1, 3), extra_las=st.integers(0, 4), extra_wards=st.integers(0, 30),
       orgs=st.integers(0, 60), services=st.integers(1, 80), flows=st.integers(1, 120),
       partnerships=st.integers(0, 40), seed=st.integers(0, 2**32 - 1))
def test_any_small_size_keeps_integrity(tmp_path_factory, regions, extra_las, extra_wards, orgs, services,
                                        flows, partnerships, seed):
    las = regions + extra_las
    size = {"regions": regions, "las": las, "wards": 5 * las + extra_wards,
            "organisations": las + 6 + orgs, "services": services, "funding": flows,
            "partnerships": partnerships}
    out = tmp_path_factory.mktemp("small")
    counts = generate_sized(size, seed, out)
    t = read(out)
    assert integrity_problems(t) == []
    assert counts["services"] == services and counts["funding"] == flows
    assert counts["partnerships"] <= partnerships
    assert (t["places"]["level"] == "ward").sum() == size["wards"]
    assert (t["places"]["level"] == "la").sum() == las
    assert (t["places"]["level"] == "region").sum() == regions


def test_the_integrity_check_itself_catches_breakage(la_tables):
    t = {k: v.copy() for k, v in la_tables.items()}
    t["services"].loc[0, "provider"] = "GB-SYN-missing"
    t["funding"].loc[0, "end"] = "2000-01-01"
    t["needs"].loc[0, "people"] = "-1"
    problems = "\n".join(integrity_problems(t))
    assert "services.provider: 1 unknown" in problems
    assert "funding: 1 rows end before they start" in problems
    assert "needs.people: negative values" in problems
