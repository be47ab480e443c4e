"""Money through the real store: exact amounts and their currencies survive a load and a pull.

The small fixture's funding is replaced by (C1 = council, P1/P2 = providers, T = a US trust):

    C1 ──7 × £1,000.10──▶ P1        T ──US$5,000──▶ P1        C1 ──€3 (code "eur")──▶ P2
    C1 ──10 "ZZZ" (not ISO 4217)──▶ P2
"""

from __future__ import annotations

import decimal

from ecosystem import analysis as an
from ecosystem import model as m
from ecosystem.pipeline import load, prepare
from ecosystem.pull import pull_frames, pull_graph

Dec = decimal.Decimal
TRICKY = ["0.1", "0.2", "0.3", "1000.10", "99999999999.99", "0.0001", "123456789.1234", "7", "-0"]


def _money_template(template_dir):
    rows = ["id,funder,recipient,amount,start,end,currency"]
    rows += [f"G{i},C1,P1,1000.10,2025-01-01,2025-12-31," for i in range(7)]
    rows += ["U1,T,P1,5000,2025-01-01,2025-06-30,USD", "E1,C1,P2,3,2025-01-01,2026-12-31, eur ",
             "Z1,C1,P2,10,2025-01-01,2026-12-31,ZZZ"]
    rows += [f"X{i},C1,P2,{a},2030-01-01,2030-12-31,GBP" for i, a in enumerate(TRICKY)]
    (template_dir / "funding.csv").write_text("\n".join(rows) + "\n")
    with (template_dir / "organisations.csv").open("a") as f:
        f.write("T,A US trust,other\n")
    return template_dir


def test_amounts_and_currencies_survive_the_store_exactly(store, template_dir):
    folder = _money_template(template_dir)
    tables = prepare([folder])
    assert [w for w in tables.warnings if "currency" in w] == [  # " eur " is EUR; USD is fine
        "funding.csv, row 11, column currency: currency 'ZZZ' is not an ISO 4217 code (e.g. GBP, "
        "EUR, USD); its amounts are kept apart from every other currency's"]
    load(store, [folder])
    G = pull_graph(store)
    amounts = {k: (m.money(d["amount"]), d["currency"]) for _, _, k, d in G.edges(keys=True, data=True)
               if d.get("type") == m.FUNDS}
    for i, a in enumerate(TRICKY):
        assert amounts[f"X{i}"] == (Dec(a), "GBP"), a
    assert amounts["E1"] == (Dec(3), "EUR") and amounts["Z1"] == (Dec(10), "ZZZ")

    a = an.analyse_frames(pull_frames(store), place=None, as_of="2025-03-01")
    dep = {(r.provider, r.currency): r for r in a.funding_dependency.itertuples()}
    assert str(dep[("P1", "GBP")].amount) == "7000.70" and dep[("P1", "GBP")].top_funder == "C1"
    assert dep[("P1", "USD")].top_funder == "T" and dep[("P1", "USD")].amount == Dec("5000")
    assert dep[("P1", "GBP")].top_share == 1.0  # the US trust's dollars are not part of the pounds
    cur = a.funding_currencies.set_index("currency")
    # P2's own £500 flow from the fixture is gone (funding.csv replaced); active on 2025-03-01: 7 G + U1 + E1 + Z1
    assert list(cur.index) == ["GBP", "EUR", "USD", "ZZZ"]
    assert str(cur.loc["GBP", "amount"]) == "7000.70" and cur.loc["GBP", "flows"] == 7
    assert a.currency == "GBP" and a.several_currencies
    # the graph path agrees with the frames path
    b = an.analyse(G, as_of="2025-03-01")
    assert b.funding_dependency.equals(a.funding_dependency)
