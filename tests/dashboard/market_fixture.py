"""A small market as template CSV files, every /market figure worked out by hand, and helpers to read a page
(importable as ``market_fixture``).

On 2025-01-01, Riverside (LA1) with two wards of 1,000 people each (so an area-wide service's capacity splits
evenly) and a third, Quiet End (W3), where nothing is recorded (every empty state of the page)::

    providers   FOODBANK  Riverside Food Bank   vcse      S1 FOOD  W1;W2  capacity 60 → 30 + 30
                SHOP      Fresh Foods Ltd       private   S2 FOOD  W1     capacity 20
                MIND      Riverside Mind        vcse      S3 MH    W1;W2  capacity 30 → 15 + 15
                NEWCO     New Start             (none)    S4 MH    W2     capacity unknown
    funders     COUNCIL   Riverside Council     public    (based in LA1)
                TRUST     Riverside Trust       vcse
                EUROFUND  Euro Fund             other

    need        FOOD W1 50, W2 40 → W1 met (50/50), W2 under (30/40, unmet 10)
                MH   W1 30, W2 30 → W1 under (15/30, unmet 15), W2 under (15/30, unmet 15, capacity unknown)

    diversity   FOOD: vcse 60 (0.75, 1 provider), private 20 (0.25, 1)
                MH:   vcse 30 (1.0, 1), unknown 0 (0.0, 1)
    concentration  FOOD HHI 75² + 25² = 6,250; MH 100² = 10,000 (both concentrated)

    funding     F1 COUNCIL → FOODBANK £12,000 2024-04-01 … 2025-03-31 for S1  12 months: short-term; a cliff
                F2 COUNCIL → MIND     £36,000 2023-04-01 … 2026-03-31        36 months: multi-year
                F3 TRUST   → MIND     £10,000 2024-06-01 … 2025-12-31        19 months: neither
                F4 TRUST   → SHOP      £2,000 2024-09-01 … open              open-ended: multi-year
                F5 EUROFUND → MIND     €5,000 2024-07-01 … 2025-06-30        12 months: short-term (a cliff)
    security    GBP: £60,000 in 4 flows, short 12/60 = 0.2, multi 38/60 ≈ 0.633
                     COUNCIL £48,000: short 0.25, multi 0.75; TRUST £12,000: short 0, multi 2/12 ≈ 0.167
                EUR: €5,000 in 1 flow, short 1.0, multi 0.0 (never added to the pounds)

    procurements (buyer COUNCIL)
                P1 "Food support for Southbank" FOOD, W2, tender, 2025-04-01 … 2028-03-31, £150,000
                   gaps: Southbank under (unmet 10); cliffs: F1 (COUNCIL funds S1, a FOOD service)
                P2 '=HYPERLINK(...)' (a title a spreadsheet would run) MH, no places, planning, 2025-06-01
                   gaps: the chosen place's leaves: Northbank under 15, Southbank under 15; no cliff
                P0 "Food contract let last year" FOOD, 2024-06-01: started before as_of, not listed
"""

from __future__ import annotations

import csv
import pathlib

AS_OF = "2025-01-01"
PLACE = "LA1"
FORMULA_TITLE = '=HYPERLINK("http://attacker.example","Talking therapies")'


def _write(path: pathlib.Path, header: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_template(d: pathlib.Path) -> pathlib.Path:
    d.mkdir(parents=True, exist_ok=True)
    _write(d / "places.csv", ["code", "name", "level", "parent", "population"],
           [("LA1", "Riverside", "la", "", 2000), ("W1", "Northbank", "ward", "LA1", 1000),
            ("W2", "Southbank", "ward", "LA1", 1000), ("W3", "Quiet End", "ward", "LA1", "")])
    _write(d / "categories.csv", ["code", "name"], [("FOOD", "Food support"), ("MH", "Mental health")])
    _write(d / "organisations.csv", ["id", "name", "sector", "place"],
           [("COUNCIL", "Riverside Council", "public", "LA1"), ("FOODBANK", "Riverside Food Bank", "vcse", "W1"),
            ("SHOP", "Fresh Foods Ltd", "private", "W1"), ("MIND", "Riverside Mind", "vcse", "W2"),
            ("NEWCO", "New Start", "", "W2"), ("TRUST", "Riverside Trust", "vcse", "LA1"),
            ("EUROFUND", "Euro Fund", "other", "")])
    _write(d / "services.csv", ["id", "name", "provider", "category", "areas", "capacity", "start", "end"],
           [("S1", "Food parcels", "FOODBANK", "FOOD", "W1;W2", 60, "2023-01-01", ""),
            ("S2", "Community shop", "SHOP", "FOOD", "W1", 20, "2023-01-01", ""),
            ("S3", "Talking space", "MIND", "MH", "W1;W2", 30, "2023-01-01", ""),
            ("S4", "Peer support", "NEWCO", "MH", "W2", "", "2024-01-01", "")])
    _write(d / "needs.csv", ["id", "place", "category", "people"],
           [("N1", "W1", "FOOD", 50), ("N2", "W2", "FOOD", 40), ("N3", "W1", "MH", 30), ("N4", "W2", "MH", 30)])
    _write(d / "funding.csv", ["id", "funder", "recipient", "amount", "start", "end", "service", "currency"],
           [("F1", "COUNCIL", "FOODBANK", 12000, "2024-04-01", "2025-03-31", "S1", "GBP"),
            ("F2", "COUNCIL", "MIND", 36000, "2023-04-01", "2026-03-31", "", "GBP"),
            ("F3", "TRUST", "MIND", 10000, "2024-06-01", "2025-12-31", "", "GBP"),
            ("F4", "TRUST", "SHOP", 2000, "2024-09-01", "", "", "GBP"),
            ("F5", "EUROFUND", "MIND", 5000, "2024-07-01", "2025-06-30", "", "EUR")])
    _write(d / "partnerships.csv", ["a", "b", "kind"], [("FOODBANK", "MIND", "referral")])
    _write(d / "procurements.csv", ["id", "buyer", "title", "category", "start", "end", "value", "places", "stage"],
           [("P0", "COUNCIL", "Food contract let last year", "FOOD", "2024-06-01", "2027-05-31", 90000, "", "award"),
            ("P1", "COUNCIL", "Food support for Southbank", "FOOD", "2025-04-01", "2028-03-31", 150000, "W2",
             "tender"),
            ("P2", "COUNCIL", FORMULA_TITLE, "MH", "2025-06-01", "", "", "", "planning")])
    return d


def flat(x) -> str:
    """Every string in a component tree (what a person reads, plus table cells)."""
    out: list[str] = []

    def walk(y):
        if y is None:
            return
        if isinstance(y, str):
            out.append(y)
        elif isinstance(y, (list, tuple)):
            for z in y:
                walk(z)
        elif isinstance(y, dict):
            for z in y.values():
                walk(z)
        elif hasattr(y, "to_plotly_json"):
            d = y.to_plotly_json()
            walk(d.get("props", d))
    walk(x)
    return " ".join(out)


def find(component, ident):
    """The component with ``id`` ``ident`` in a tree (None when absent); a chart drawn only near the screen
    (``layout.graph(lazy=True)``) is found as the graph its Store holds."""
    if isinstance(component, (list, tuple)):
        for c in component:
            got = find(c, ident)
            if got is not None:
                return got
        return None
    if getattr(component, "id", None) == ident:
        return component
    if getattr(component, "id", None) == {"type": "ecomap-lazy-figure", "chart": ident}:
        from dash import dcc

        return dcc.Graph(**component.data["props"])
    kids = getattr(component, "children", None)
    return find(kids, ident) if kids is not None else None


def panels_of(fig) -> dict[str, list]:
    """The trend figure's traces by panel title (its subplot titles are its first annotations, in panel order)."""
    titles = [a.text for a in fig.layout.annotations[:4]]
    axes = ["x", "x2", "x3", "x4"]
    return {t: [tr for tr in fig.data if (tr.xaxis or "x") == ax] for t, ax in zip(titles, axes)}
