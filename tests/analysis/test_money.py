"""Money is exact and kept in its own currency (SPEC §5 holds within one currency).

    X ──F1..F7 £1,000.10 each (ending 2025-03-31)──▶ R
    A ──£600──▶ M;  B ──£400──▶ M;  Z ──US$5,000──▶ M   (M: GBP top funder A 0.6, USD top funder Z 1.0)
"""

from __future__ import annotations

import decimal
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis_fixtures import AS_OF, D, graph, row, wards
from ecosystem import model as m
from ecosystem import money
from ecosystem.analysis import Analysis, analyse, funding_cliffs, funding_dependency, short_term_share

Dec = decimal.Decimal


def _seven():
    return graph(places=wards(W1=1), funding=[
        {"funder": "X", "recipient": "R", "amount": "1000.10", "start": D(2024, 4, 1), "end": D(2025, 3, 31)}
        for _ in range(7)])


def test_seven_grants_of_1000_10_total_exactly_7000_70():
    dep = funding_dependency(_seven(), as_of=AS_OF)
    r = row(dep, provider="R")
    assert r["amount"] == Dec("7000.70") and str(r["amount"]) == "7000.70" and r["currency"] == "GBP"
    a = analyse(_seven(), as_of=AS_OF)
    cur = a.funding_currencies
    assert list(cur["currency"]) == ["GBP"] and str(cur["amount"].iloc[0]) == "7000.70"
    assert str(sum(a.funding_cliffs["amount"], Dec(0))) == "7000.70"
    text = json.dumps(a.to_json_dict())
    assert '"amount": 7000.7' in text and "7000.700000000001" not in text
    back = Analysis.from_json_dict(json.loads(text))
    assert back.funding_dependency["amount"].iloc[0] == Dec("7000.7")
    assert money.fmt_totals(money.total_pairs(a.funding_cliffs), places=2) == "£7,000.70"


def _mixed(**extra):
    return graph(places=wards(W1=1), funding=[
        {"funder": "A", "recipient": "M", "amount": 600, "start": D(2024, 1, 1), "end": D(2026, 12, 31)},
        {"funder": "B", "recipient": "M", "amount": 400, "start": D(2024, 6, 1), "end": D(2025, 3, 31)},
        {"funder": "Z", "recipient": "M", "amount": 5000, "currency": "USD", "start": D(2024, 6, 1),
         "end": D(2025, 2, 28)},
    ], **extra)


def test_dependency_is_per_currency_and_the_usd_funder_is_not_the_gbp_top_funder():
    dep = funding_dependency(_mixed(), as_of=AS_OF)
    assert list(zip(dep["provider"], dep["currency"])) == [("M", "USD"), ("M", "GBP")]  # by top share
    gbp, usd = row(dep, currency="GBP"), row(dep, currency="USD")
    # GBP: A 600/1000 = 0.6, B 0.4 → hhi .36 + .16 = .52; USD: Z alone
    assert (gbp["top_funder"], gbp["top_share"], gbp["funders"], gbp["amount"]) == ("A", 0.6, 2, Dec("1000.00"))
    assert abs(gbp["hhi"] - 0.52) < 1e-9 and gbp["dependent"]
    assert (usd["top_funder"], usd["top_share"], usd["hhi"], usd["amount"]) == ("Z", 1.0, 1.0, Dec("5000.00"))


def test_short_term_share_and_totals_per_currency():
    a = analyse(_mixed(), as_of=AS_OF)
    # GBP: B's £400 lasts 10 months (short), A's £600 three years → 0.4; USD: Z's 9-month flow → 1.0
    cur = a.funding_currencies.set_index("currency")
    assert list(cur.index) == ["GBP", "USD"] and a.several_currencies
    assert cur.loc["GBP", "short_term_share"] == 0.4 and cur.loc["USD", "short_term_share"] == 1.0
    assert cur.loc["GBP", "amount"] == Dec("1000") and cur.loc["USD", "amount"] == Dec("5000")
    assert a.short_term_share == 0.4 and a.currency == "GBP"
    assert short_term_share(_mixed(), as_of=AS_OF) == 0.4
    cl = funding_cliffs(_mixed(), as_of=AS_OF)
    assert list(zip(cl["funding"], cl["amount"], cl["currency"])) == [("F3", Dec("5000.00"), "USD"),
                                                                      ("F2", Dec("400.00"), "GBP")]
    assert money.fmt_totals(money.total_pairs(cl)) == "£400 + US$5,000"


def test_without_pounds_the_main_currency_is_the_one_with_most_flows():
    G = graph(places=wards(W1=1), funding=[
        {"funder": "A", "recipient": "M", "amount": 10, "currency": "USD"},
        {"funder": "B", "recipient": "M", "amount": 1, "currency": "MXN", "start": D(2024, 6, 1),
         "end": D(2025, 3, 31)},
        {"funder": "C", "recipient": "N", "amount": 1, "currency": "MXN"},
    ])
    a = analyse(G, as_of=AS_OF)
    assert a.currency == "MXN" and a.short_term_share == 0.5
    assert list(a.funding_currencies["currency"]) == ["MXN", "USD"]


def test_no_active_money_has_no_currency():
    a = analyse(graph(places=wards(W1=1)), as_of=AS_OF)
    assert a.currency is None and a.short_term_share is None and a.funding_currencies.empty


def test_formatting_names_the_currency():
    assert money.fmt(Dec("1234.5"), "GBP") == "£1,234" and money.fmt(Dec("1235.5"), "GBP") == "£1,236"
    assert money.fmt(1311264.0, "MXN") == "MXN 1,311,264" and money.fmt(-5, "EUR") == "-€5"
    assert money.fmt_totals([]) == "£0"


# ---------------------------------------------------------------- invariants
amounts = st.decimals(min_value=Dec("-1e10"), max_value=Dec("1e10"), places=2, allow_nan=False,
                      allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(amounts, max_size=40))
def test_units_sum_is_the_exact_decimal_sum(values):
    # an amount travels as the float that prints as it (graph and store), and is added as integers
    floats = np.array([float(v) for v in values], dtype=float)
    units = m.money_units(floats)
    assert all(m.money(f) == v for f, v in zip(floats, values))
    assert m.units_money(int(units.sum()), "GBP") == sum(values, Dec(0))


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=Dec("-99999999999"), max_value=Dec("99999999999"), places=4, allow_nan=False,
                   allow_infinity=False))
def test_an_amount_reads_back_exactly_from_its_float(v):
    # 15 significant digits: every amount up to £99,999,999,999.9999
    assert m.money(float(v)) == v
    assert m.units_money(int(m.money_units(np.array([float(v)]))[0]), "BHD") == v
