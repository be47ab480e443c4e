"""Concentration (SPEC §5): HHI of providers' shares of supply, 0–10,000."""

from __future__ import annotations

from analysis_fixtures import AS_OF, graph, row, wards
from ecosystem.analysis import concentration


def _market(shares: dict[str, float], la: str = "LA", ward: str = "W1") -> list[dict]:
    return [{"provider": p, "category": "C", "areas": ward, "capacity": c} for p, c in shares.items()]


def test_hhi_by_hand():
    #   C: P 50, Q 30, R 20 → 2500 + 900 + 400 = 3800 (concentrated)
    #   D: four providers of 25 → 4 × 625 = 2500, exactly the line: not concentrated (above 2,500 only)
    #   E: one provider → 10,000
    services = _market({"P": 50, "Q": 30, "R": 20})
    services += [{"provider": p, "category": "D", "areas": "W1", "capacity": 25} for p in "PQRS"]
    services += [{"provider": "P", "category": "E", "areas": "W1", "capacity": 5}]
    k = concentration(graph(places=wards(W1=1), services=services), as_of=AS_OF)
    assert list(zip(k["place"], k["category"], k["hhi"], k["concentrated"])) == [
        ("LA", "C", 3800.0, True), ("LA", "D", 2500.0, False), ("LA", "E", 10000.0, True)]
    c = row(k, category="C")
    assert (c["providers"], c["supply"], c["top_provider"], c["top_share"]) == (3, 100.0, "P", 0.5)


def test_supply_is_apportioned_and_summed_over_the_place():
    #   LA {W1 1000, W2 3000}: P serves LA with 40 (10 + 30); Q serves W1 with 10
    #   in LA: P 40, Q 10 → 80%/20% → 6400 + 400 = 6800; in W1 alone: P 10, Q 10 → 5000
    G = graph(places=wards(W1=1000, W2=3000),
              services=[{"provider": "P", "category": "C", "areas": "LA", "capacity": 40},
                        {"provider": "Q", "category": "C", "areas": "W1", "capacity": 10}])
    assert list(concentration(G, as_of=AS_OF)["hhi"]) == [6800.0]
    assert list(concentration(G, place="W1", as_of=AS_OF)["hhi"]) == [5000.0]


def test_each_top_level_place_when_no_place_is_chosen():
    #   LA1 {W1}: P 10 and Q 10 → 5000;  LA2 {W2}: Q 10 → 10000; unknown capacity does not count
    places = wards("LA1", W1=1) + wards("LA2", W2=1)
    G = graph(places=places, services=[{"provider": "P", "category": "C", "areas": "W1", "capacity": 10},
                                       {"provider": "Q", "category": "C", "areas": "W1;W2", "capacity": 20},
                                       {"provider": "R", "category": "C", "areas": "W2"}])
    k = concentration(G, as_of=AS_OF)
    assert list(zip(k["place"], k["hhi"], k["providers"])) == [("LA1", 5000.0, 2), ("LA2", 10000.0, 1)]
    assert list(concentration(G, place="LA2", as_of=AS_OF)["place"]) == ["LA2"]


def test_no_known_supply_no_row():
    G = graph(places=wards(W1=1), services=[{"provider": "P", "category": "C", "areas": "W1"}])
    assert concentration(G, as_of=AS_OF).empty
