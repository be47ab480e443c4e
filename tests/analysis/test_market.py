"""Market shaping (SPEC §5): diversity by sector, funding security, the pipeline and the series.

Every expected figure is worked out by hand from the small ecosystem below.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import given, settings

from ecosystem import analysis as an
from ecosystem.analysis import market as mk
from ecosystem.analysis._tables import extract
from tests.analysis.analysis_fixtures import AS_OF, D, graph, row, wards

Dec = decimal.Decimal

ORGS = [
    {"id": "V1", "name": "Vol One", "sector": "vcse"},
    {"id": "V2", "name": "Vol Two", "sector": "vcse"},
    {"id": "P1", "name": "Firm", "sector": "private"},
    {"id": "C", "name": "Council", "sector": "public"},
    {"id": "U", "name": "Unknown sort"},
    {"id": "T", "name": "Trust", "sector": "vcse"},
    {"id": "OUT", "name": "Elsewhere", "sector": "other"},
]

SERVICES = [
    {"id": "S1", "provider": "V1", "category": "MH", "areas": "W1", "capacity": 30},
    {"id": "S2", "provider": "V2", "category": "MH", "areas": "W1;W2", "capacity": 40},
    {"id": "S3", "provider": "P1", "category": "MH", "areas": "W2", "capacity": 50},
    {"id": "S4", "provider": "C", "category": "MH", "areas": "LA", "capacity": None},
    {"id": "S5", "provider": "U", "category": "FOOD", "areas": "W1", "capacity": 10},
    {"id": "S6", "provider": "P1", "category": "FOOD", "areas": "W1", "capacity": 20, "end": D(2024, 12, 31)},
    {"id": "S7", "provider": "C", "category": "DAY", "areas": "W2", "capacity": None},
    {"id": "S8", "provider": "OUT", "category": "MH", "areas": "X1", "capacity": 5},
]

NEEDS = [
    {"place": "W1", "category": "MH", "people": 200},
    {"place": "W2", "category": "MH", "people": 100},
    {"place": "W1", "category": "FOOD", "people": 10},
    {"place": "W1", "category": "CARE", "people": 40},
]

FUNDING = [
    # exactly 12 calendar months: short-term, not multi-year
    {"id": "F1", "funder": "C", "recipient": "V1", "amount": "1000.10", "start": D(2024, 4, 1), "end": D(2025, 4, 1)},
    # a day more than 12 months: neither
    {"id": "F2", "funder": "C", "recipient": "V1", "amount": "2000", "start": D(2024, 4, 1), "end": D(2025, 4, 2)},
    # exactly 36 months (1 April to 31 March three years on): multi-year
    {"id": "F3", "funder": "C", "recipient": "V2", "amount": "3000", "start": D(2023, 4, 1), "end": D(2026, 3, 31)},
    # a day short of 36 months: neither
    {"id": "F4", "funder": "C", "recipient": "V2", "amount": "4000", "start": D(2023, 4, 1), "end": D(2026, 3, 30)},
    # open-ended: multi-year
    {"id": "F5", "funder": "T", "recipient": "P1", "amount": "5000", "start": D(2024, 1, 1), "end": None},
    # no start: length unknown, neither
    {"id": "F6", "funder": "T", "recipient": "P1", "amount": "600", "start": None, "end": D(2025, 6, 30)},
    # an assumed end (a publisher gave none): counts by it, short-term
    {"id": "F7", "funder": "T", "recipient": "V1", "amount": "700", "start": D(2024, 6, 1), "end": D(2025, 5, 31),
     "end_assumed": True},
    # dollars: their own total
    {"id": "F8", "funder": "C", "recipient": "V1", "amount": "100", "currency": "USD", "start": D(2024, 1, 1),
     "end": D(2025, 1, 1)},
    # ended: not active
    {"id": "F9", "funder": "C", "recipient": "V1", "amount": "999", "start": D(2020, 1, 1), "end": D(2024, 12, 31)},
    # to an organisation of the other LA
    {"id": "F10", "funder": "C", "recipient": "OUT", "amount": "50", "start": D(2024, 1, 1), "end": None},
]

PROCUREMENTS = [
    {"id": "PR1", "buyer": "C", "category": "MH", "start": D(2025, 6, 1), "places": "W2", "value": "12000.50",
     "stage": "tender"},
    {"id": "PR2", "buyer": "C", "category": "MH", "start": D(2025, 3, 1), "stage": "planning"},
    {"id": "PR3", "buyer": "T", "category": "MH", "start": D(2025, 2, 1), "places": "LA"},
    {"id": "PR4", "buyer": "C", "category": "unclassified", "start": D(2025, 5, 1), "places": "W1"},
    {"id": "PR5", "buyer": "C", "category": "MH", "start": D(2024, 12, 1)},  # started already
    {"id": "PR5b", "buyer": "C", "category": "MH", "start": AS_OF},  # starts on as_of: not after it
    {"id": "PR6", "buyer": "C", "category": "CARE", "start": D(2025, 9, 1), "places": "X1"},  # the other LA
    {"id": "PR7", "buyer": "OUT", "category": "MH", "start": D(2025, 4, 1)},  # no place, buyer elsewhere
    {"id": "PR8", "buyer": "C", "category": "CARE", "start": None, "places": "W1"},  # no start
    {"id": "PR9", "buyer": "C", "category": "CARE", "start": D(2025, 8, 1), "places": "W1"},
]


def _places():
    return wards("LA", W1=1000, W2=1000) + wards("LA2", X1=500)


@pytest.fixture(scope="module")
def G():
    return graph(places=_places(), organisations=ORGS, services=SERVICES, needs=NEEDS, funding=FUNDING,
                 procurements=PROCUREMENTS)


@pytest.fixture(scope="module")
def a(G):
    return an.analyse(G, place="LA", as_of=AS_OF)


# --------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------
def test_frames_carry_sectors_and_procurements(G):
    f = extract(G)
    sec = dict(zip(f.sectors["organisation"], f.sectors["sector"]))
    assert sec == {"V1": "vcse", "V2": "vcse", "P1": "private", "C": "public", "U": "unknown", "T": "vcse",
                   "OUT": "other"}
    p = f.procurements.set_index("procurement")
    assert list(f.procurements.columns) == an._tables.PROCUREMENT_COLUMNS
    assert p.loc["PR1", "places"] == ("W2",) and p.loc["PR2", "places"] == ()
    assert p.loc["PR1", "value"] == 12000.5 and math.isnan(p.loc["PR2", "value"])
    assert p.loc["PR1", "currency"] == "GBP" and p.loc["PR1", "start"] == pd.Timestamp("2025-06-01")
    assert pd.isna(p.loc["PR8", "start"])


# --------------------------------------------------------------------------
# Diversity
# --------------------------------------------------------------------------
def test_diversity_shares_and_providers_by_sector(a):
    d = a.diversity
    assert list(d.columns) == mk.DIVERSITY_COLUMNS
    # MH in LA: V1 30 (W1) + V2 40 (20 + 20) = 70 vcse; P1 50 private; C present with unknown capacity
    assert [tuple(r) for r in d.loc[d["category"] == "MH", ["sector", "providers", "supply"]].to_numpy()] == [
        ("vcse", 2, 70.0), ("private", 1, 50.0), ("public", 1, 0.0)]
    mh = d[d["category"] == "MH"].set_index("sector")["share"]
    assert mh["vcse"] == pytest.approx(70 / 120) and mh["private"] == pytest.approx(50 / 120)
    assert mh["public"] == 0.0
    assert mh.sum() == pytest.approx(1.0)
    # FOOD: only U's service is active (P1's ended), and U gives no sector
    assert row(d, category="FOOD")["sector"] == "unknown" and row(d, category="FOOD")["share"] == 1.0
    # DAY: the only service has no capacity, so no share can be given, but the provider counts
    day = row(d, category="DAY")
    assert math.isnan(day["share"]) and day["providers"] == 1 and day["sector"] == "public"
    assert set(d["place"]) == {"LA"}
    assert list(d["category"]) == sorted(d["category"])


def test_diversity_without_a_place_is_per_top_level_place(G):
    d = an.analyse(G, as_of=AS_OF).diversity
    assert sorted(set(d["place"])) == ["LA", "LA2"]
    assert [tuple(r) for r in d.loc[d["place"] == "LA2", ["category", "sector", "share", "providers"]].to_numpy()] \
        == [("MH", "other", 1.0, 1)]


# --------------------------------------------------------------------------
# Funding security
# --------------------------------------------------------------------------
def _share(part: str, whole: str) -> float:
    return round(float(Dec(part) / Dec(whole)), 9)


def test_funding_security_edges_totals_and_per_funder(a):
    fs = a.funding_security
    assert list(fs.columns) == mk.FUNDING_SECURITY_COLUMNS
    assert [(r.funder, r.currency) for r in fs.itertuples()] == [
        (None, "GBP"), (None, "USD"), ("C", "GBP"), ("T", "GBP"), ("C", "USD")]
    total = fs.iloc[0]
    # GBP: C 1000.10 + 2000 + 3000 + 4000; T 5000 + 600 + 700. Short: F1, F7. Multi-year: F3, F5
    assert total["amount"] == Dec("16300.10") and isinstance(total["amount"], Dec) and total["flows"] == 7
    assert total["short_term_share"] == _share("1700.10", "16300.10")
    assert total["multi_year_share"] == _share("8000", "16300.10")
    c = fs.iloc[2]
    assert c["amount"] == Dec("10000.10") and c["flows"] == 4
    assert c["short_term_share"] == _share("1000.10", "10000.10")
    assert c["multi_year_share"] == _share("3000", "10000.10")
    t = fs.iloc[3]
    assert t["amount"] == Dec("6300") and t["short_term_share"] == _share("700", "6300")
    assert t["multi_year_share"] == _share("5000", "6300")
    usd = fs.iloc[1]
    assert usd["amount"] == Dec("100") and usd["short_term_share"] == 1.0 and usd["multi_year_share"] == 0.0
    # the same short-term share as the fragility figure
    assert a.short_term_share == total["short_term_share"]


def test_funding_security_masks_on_the_edges():
    f = pd.DataFrame({
        "start": pd.to_datetime(["2024-04-01", "2024-04-01", "2023-04-01", "2023-04-01", "2024-01-01", None,
                                 "2024-02-29", "2024-02-29"]),
        "end": pd.to_datetime(["2025-04-01", "2025-04-02", "2026-03-31", "2026-03-30", None, "2025-01-01",
                               "2025-02-28", "2027-02-27"]),
    })
    assert mk.short_mask(f).tolist() == [True, False, False, False, False, False, True, False]
    # 29 Feb 2024 + 36 months is 28 Feb 2027: a flow ending the day before lasts the 36 months
    assert mk.multi_year_mask(f).tolist() == [False, False, True, False, True, False, False, True]


def test_funding_security_is_empty_without_funding():
    G = graph(places=wards("LA", W1=10), services=[{"provider": "A", "category": "MH", "areas": "W1",
                                                    "capacity": 1}])
    fs = an.analyse(G, place="LA", as_of=AS_OF).funding_security
    assert fs.empty and list(fs.columns) == mk.FUNDING_SECURITY_COLUMNS


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["GBP", "EUR"]),
                          st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False),
                          st.integers(min_value=0, max_value=60), st.one_of(st.none(), st.integers(0, 1500))),
                min_size=1, max_size=12))
def test_funding_security_totals_add_up(flows):
    funding = [{"funder": f, "recipient": "R", "amount": str(amt), "currency": cur,
                "start": D(2022, 1, 1) if s else None,
                "end": None if e is None else D(2024, 12, 31) + dt.timedelta(days=e)}
               for f, cur, amt, s, e in flows]
    G = graph(places=wards("LA", W1=10), funding=funding,
              services=[{"provider": "R", "category": "MH", "areas": "W1", "capacity": 1}])
    fs = an.analyse(G, place="LA", as_of=AS_OF).funding_security
    for cur, part in fs.groupby("currency"):
        total = part[part["funder"].isna()]
        per = part[part["funder"].notna()]
        assert len(total) == 1
        assert total["amount"].iloc[0] == sum(per["amount"], Dec(0))
        assert total["flows"].iloc[0] == per["flows"].sum()
        for r in part.itertuples():
            if not math.isnan(r.short_term_share):
                assert 0 <= r.short_term_share + r.multi_year_share <= 1 + 1e-9
        amounts = list(per["amount"])
        assert amounts == sorted(amounts, reverse=True)


# --------------------------------------------------------------------------
# Pipeline
# --------------------------------------------------------------------------
def test_pipeline_lists_future_procurements_with_gaps_and_cliffs(a):
    p = a.pipeline
    assert list(p.columns) == mk.PIPELINE_COLUMNS
    # PR5 started, PR5b starts on as_of, PR8 has no start, PR6 is in the other LA, PR7's buyer is elsewhere
    assert list(p["procurement"]) == ["PR3", "PR2", "PR4", "PR1", "PR9"]
    by = p.set_index("procurement")
    # MH cells: W1 demand 200, supply 30 + 20 -> under, unmet 150; W2 100 - (20 + 50) -> under, unmet 30
    w1 = {"place": "W1", "status": "under", "unmet": 150.0}
    w2 = {"place": "W2", "status": "under", "unmet": 30.0}
    assert by.loc["PR1", "gaps"] == [w2]          # names W2
    assert by.loc["PR2", "gaps"] == [w1, w2]      # names no place: the chosen place, largest unmet first
    assert by.loc["PR3", "gaps"] == [w1, w2]      # names the LA: all its wards
    assert by.loc["PR4", "gaps"] == []            # unclassified
    assert by.loc["PR9", "gaps"] == [{"place": "W1", "status": "unserved", "unmet": 40.0}]
    # cliffs within 6 months: F2 (C -> V1, nothing later from C to V1; V1 runs S1 in MH) and F7 (T -> V1)
    assert sorted(a.funding_cliffs["funding"]) == ["F2", "F7"]
    assert by.loc["PR2", "cliffs"] == ["F2"] and by.loc["PR1", "cliffs"] == ["F2"]
    assert by.loc["PR3", "cliffs"] == ["F7"]
    assert by.loc["PR9", "cliffs"] == []          # no service of C's recipients is in CARE
    assert by.loc["PR1", "start"] == D(2025, 6, 1) and by.loc["PR1", "value"] == 12000.5
    assert by.loc["PR1", "places"] == ["W2"] and by.loc["PR1", "stage"] == "tender"


def test_pipeline_without_a_place_lists_every_future_procurement(G):
    p = an.analyse(G, as_of=AS_OF).pipeline
    assert list(p["procurement"]) == ["PR3", "PR2", "PR7", "PR4", "PR1", "PR9", "PR6"]
    assert p.set_index("procurement").loc["PR6", "gaps"] == []  # no CARE need in X1


def test_pipeline_of_a_ward_keeps_procurements_for_it_and_above_it(G):
    p = an.analyse(G, place="W2", as_of=AS_OF).pipeline
    # PR1 names W2, PR3 the LA containing it, PR2 names none and C serves W2; PR4 and PR9 are for W1
    assert list(p["procurement"]) == ["PR3", "PR2", "PR1"]
    assert p.set_index("procurement").loc["PR3", "gaps"] == [{"place": "W2", "status": "under", "unmet": 30.0}]


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------
def test_market_tables_in_the_json_and_back(a):
    d = a.to_json_dict()
    keys = list(d)
    assert keys.index("diversity") < keys.index("funding_security") < keys.index("pipeline")
    total = d["funding_security"][0]
    assert total["funder"] is None and total["amount"] == 16300.1
    pr1 = next(r for r in d["pipeline"] if r["procurement"] == "PR1")
    assert pr1["start"] == "2025-06-01" and pr1["places"] == ["W2"] and pr1["end"] is None
    assert pr1["gaps"] == [{"place": "W2", "status": "under", "unmet": 30.0}]
    day = next(r for r in d["diversity"] if r["category"] == "DAY")
    assert day["share"] is None
    back = an.Analysis.from_json_dict(json.loads(json.dumps(d)))
    assert back.to_json_dict() == d
    assert back.funding_security["amount"].iloc[0] == Dec("16300.10")
    assert back.pipeline["start"].iloc[0] == D(2025, 2, 1)
    import io
    buf = io.BytesIO()
    a.write_json(buf)
    assert json.loads(buf.getvalue()) == json.loads(json.dumps(d))


# --------------------------------------------------------------------------
# Series
# --------------------------------------------------------------------------
def test_parse_series():
    assert mk.parse_series("2022-04-01:2024-04-01:12m") == [D(2022, 4, 1), D(2023, 4, 1), D(2024, 4, 1)]
    assert mk.parse_series("2024-01-31:2024-04-30:1m") == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31),
                                                           D(2024, 4, 30)]
    assert mk.parse_series("2024-01-01:2024-01-10:4d") == [D(2024, 1, 1), D(2024, 1, 5), D(2024, 1, 9)]
    assert mk.parse_series("2020-02-29:2023-03-01:1y") == [D(2020, 2, 29), D(2021, 2, 28), D(2022, 2, 28),
                                                           D(2023, 2, 28)]
    assert mk.parse_series("2024-01-01:2024-01-01:1m") == [D(2024, 1, 1)]
    assert len(mk.parse_series("2000-01-01:2019-12-01:1m")) == 240


@pytest.mark.parametrize("text, part", [
    ("2022-04-01:2026-04-01", "FROM:TO:STEP"),
    ("2022-04-01:2026-04-01:12m:1", "FROM:TO:STEP"),
    ("2022-13-01:2026-04-01:12m", "series start '2022-13-01'"),
    ("2022-04-01:soon:12m", "series end 'soon'"),
    ("2026-04-01:2022-04-01:12m", "before its start"),
    ("2022-04-01:2026-04-01:0m", "series step '0m'"),
    ("2022-04-01:2026-04-01:12w", "series step '12w'"),
    ("2022-04-01:2026-04-01:-1m", "series step '-1m'"),
    ("2000-01-01:2030-01-01:1m", "more than 240 dates"),
])
def test_parse_series_refuses(text, part):
    with pytest.raises(ValueError, match=part.replace("(", r"\(")):
        mk.parse_series(text)


def test_series_matches_the_analysis_at_each_date(G):
    dates = [D(2024, 1, 1), AS_OF, D(2026, 6, 1)]
    s = an.series(extract(G), dates, place="LA")
    assert list(s.columns) == mk.SERIES_COLUMNS
    for d in dates:
        a = an.analyse(G, place="LA", as_of=d)
        rows = s[s["as_of"] == d]
        t = a.totals()
        assert (rows["demand"] == t["demand"]).all() and (rows["unmet"] == t["unmet"]).all()
        assert (rows["unserved"] == t["unserved_cells"]).all()
        tot = a.funding_security[a.funding_security["funder"].isna()]
        if tot.empty:
            assert len(rows) == 1 and rows["currency"].iloc[0] is None
        else:
            assert list(rows["currency"]) == list(tot["currency"])
            assert list(rows["funding"]) == list(tot["amount"])
            assert list(rows["short_term_share"]) == list(tot["short_term_share"])
            assert list(rows["multi_year_share"]) == list(tot["multi_year_share"])
    now = s[s["as_of"] == AS_OF]
    assert len(now) == 2  # GBP and USD
    r = now.iloc[0]
    # V1, V2 vcse; P1 private; C public (S4, S7); U unknown; OUT serves only the other LA
    assert (r["providers_vcse"], r["providers_private"], r["providers_public"], r["providers_other"],
            r["providers_unknown"]) == (2, 1, 1, 0, 1)
    assert r["currency"] == "GBP" and r["funding"] == Dec("16300.10")


def test_series_for_one_category(G):
    s = an.series(extract(G), [AS_OF], place="LA", category="FOOD")
    r = s.iloc[0]
    assert (r["demand"], r["supply"], r["unmet"]) == (10.0, 10.0, 0.0)
    assert r["providers_unknown"] == 1 and r["providers_private"] == 0
    # U receives no funding
    assert r["currency"] is None and r["funding"] is None and math.isnan(r["short_term_share"])


def test_summary_text_has_a_market_paragraph_in_names(a):
    names = {"C": "Borough Council", "T": "Town Trust", "MH": "Mental health", "W1": "North ward"}
    text = an.summary_text(a, names=names)
    market = text[text.index("Market:"):]
    # MH supply 70 vcse, 50 private, 0 public; FOOD 10 unknown: 130 in all
    assert "VCSE 54% · private 38% · unknown 8%" in market
    assert "£16,300 of active funding in 7 flow(s): 10% short-term (12 months or less), 49% multi-year" in market
    assert "US$100 of active funding in 1 flow(s): 100% short-term" in market
    assert "Pipeline: 5 procurement(s) expected to start after 2025-01-01, 4 answering a gap or a funding cliff" \
        in market
    assert "Borough Council" in market and "North ward (150 unmet)" in market and "Mental health" in market


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(["MH", "FOOD"]),
                          st.sampled_from(["W1", "W2", "W1;W2", "X1", "LA"]),
                          st.one_of(st.none(), st.integers(0, 100))), min_size=1, max_size=10),
       st.sampled_from([None, "LA", "W1"]))
def test_diversity_agrees_with_a_plain_group_by(svcs, place):
    sectors = {"A": "vcse", "B": "private", "C": None, "D": "vcse"}
    G = graph(places=_places(), organisations=[{"id": o, "name": o, "sector": s} for o, s in sectors.items()],
              services=[{"provider": p, "category": c, "areas": a, "capacity": cap} for p, c, a, cap in svcs])
    a = an.analyse(G, place=place, as_of=AS_OF)
    c = a.provision.merge(pd.DataFrame({"provider": list(sectors), "sector": [s or "unknown" for s in sectors.values()]}),
                          on="provider")
    roots = {"W1": "LA", "W2": "LA", "X1": "LA2"} if place is None else {"W1": place, "W2": place, "X1": place}
    c["top"] = c["place"].map(roots)
    ref = c.groupby(["top", "category", "sector"]).agg(supply=("supply", "sum"), providers=("provider", "nunique"))
    got = a.diversity.set_index(["place", "category", "sector"])
    assert sorted(got.index) == sorted(ref.index)
    for k, r in ref.iterrows():
        assert got.loc[k, "providers"] == r["providers"]
        assert got.loc[k, "supply"] == pytest.approx(r["supply"])
    for _, part in a.diversity.groupby(["place", "category"]):
        if part["supply"].sum() > 0:
            assert part["share"].sum() == pytest.approx(1.0)
        else:
            assert part["share"].isna().all()
        assert list(part["sector"]) == [s for s in mk.SECTORS if s in set(part["sector"])]
