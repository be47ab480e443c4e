"""Named tiny example ecosystems, used by the docstring examples and tests.

``riverside`` is small enough to check every figure by hand::

    places                          LA1 (la)                      LA2 (la)
                          ┌────────────┼────────────┐                 │
                      W1 pop 2000  W2 pop 2000  W3 pop 1000       W4 (no population)

    needs    FOOD: 100 people for LA1  → W1 40, W2 40, W3 20 (by population)
             MH:   W1 30, W2 20, W3 10, W4 5

    services (provider, category, areas, capacity, dates)
      S1  FOODBANK  FOOD  W1;W2   80   → 40 + 40
      S2  PANTRY    FOOD  W1      20
      S3  MIND      MH    LA1     50   → W1 20, W2 20, W3 10
      S4  ACME      MH    W3      —    (capacity unknown)
      S5  COUNCIL   MH    W2      30   ended 2024-03-31 (inactive)
      S6  MIND      MH    W4      10

    funding (funder → recipient, amount, start … end, service)
      F1  COUNCIL → FOODBANK  30,000  2024-04-01 … 2025-03-31           (cliff)
      F2  TRUST   → PANTRY    20,000  2024-01-01 … 2025-12-31  for S2
      F3  COUNCIL → MIND      60,000  2023-04-01 … 2026-03-31
      F4  TRUST   → MIND      40,000  2024-06-01 … 2025-05-31
      F5  TRUST   → MIND      40,000  2025-06-01 … open        (F4's successor)
      F6  COUNCIL → ACME      10,000  2024-10-01 … 2025-09-30  for S4

    partnerships   FOODBANK ─ PANTRY ─ MIND ─ COUNCIL   (active)
                   MIND ─ ACME referral ended 2024-12-31

On 2025-01-01, analysing LA1: FOOD is over-supplied in W1 (60 for 40,
coverage exactly 1.5), met in W2 and unserved in W3; MH is under in W1
(unmet 10) and met in W2 and W3 (W3 with capacity unknown).
"""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pandas as pd

from ecosystem import model as m
from ecosystem.graph import graph_from_tables

__all__ = ["riverside", "riverside_tables", "RIVERSIDE_AS_OF"]

#: the date the riverside figures in the docstrings are computed at
RIVERSIDE_AS_OF = dt.date(2025, 1, 1)

D = dt.date


def riverside_tables() -> m.CanonicalTables:
    """The riverside example as canonical tables."""
    places = pd.DataFrame([
        {"code": "LA1", "name": "Riverside", "level": "la", "parent": None, "population": 5000.0},
        {"code": "W1", "name": "Northbank", "level": "ward", "parent": "LA1", "population": 2000.0},
        {"code": "W2", "name": "Southbank", "level": "ward", "parent": "LA1", "population": 2000.0},
        {"code": "W3", "name": "Mill End", "level": "ward", "parent": "LA1", "population": 1000.0},
        {"code": "LA2", "name": "Hillside", "level": "la", "parent": None, "population": None},
        {"code": "W4", "name": "Hilltop", "level": "ward", "parent": "LA2", "population": None},
    ])
    categories = pd.DataFrame([
        {"code": "FOOD", "name": "Food support", "parent": None},
        {"code": "MH", "name": "Mental health", "parent": None},
    ])
    organisations = pd.DataFrame([
        {"id": "COUNCIL", "name": "Riverside Council", "sector": "public", "place": "LA1"},
        {"id": "TRUST", "name": "Riverside Community Trust", "sector": "vcse", "place": None},
        {"id": "FOODBANK", "name": "Riverside Food Bank", "sector": "vcse", "place": "W1"},
        {"id": "PANTRY", "name": "Northbank Pantry", "sector": "vcse", "place": "W1"},
        {"id": "MIND", "name": "Riverside Mind", "sector": "vcse", "place": "W2"},
        {"id": "ACME", "name": "Acme Wellbeing Ltd", "sector": "private", "place": None},
    ])
    services = pd.DataFrame([
        {"id": "S1", "name": "Food bank", "provider": "FOODBANK", "category": "FOOD", "areas": ["W1", "W2"],
         "capacity": 80.0, "start": None, "end": None},
        {"id": "S2", "name": "Community pantry", "provider": "PANTRY", "category": "FOOD", "areas": ["W1"],
         "capacity": 20.0, "start": None, "end": None},
        {"id": "S3", "name": "Talking therapies", "provider": "MIND", "category": "MH", "areas": ["LA1"],
         "capacity": 50.0, "start": D(2020, 1, 1), "end": None},
        {"id": "S4", "name": "Wellbeing hub", "provider": "ACME", "category": "MH", "areas": ["W3"],
         "capacity": None, "start": D(2024, 10, 1), "end": D(2025, 9, 30)},
        {"id": "S5", "name": "Old drop-in", "provider": "COUNCIL", "category": "MH", "areas": ["W2"],
         "capacity": 30.0, "start": None, "end": D(2024, 3, 31)},
        {"id": "S6", "name": "Peer support", "provider": "MIND", "category": "MH", "areas": ["W4"],
         "capacity": 10.0, "start": None, "end": None},
    ])
    needs = pd.DataFrame([
        {"place": "LA1", "category": "FOOD", "people": 100.0},
        {"place": "W1", "category": "MH", "people": 30.0},
        {"place": "W2", "category": "MH", "people": 20.0},
        {"place": "W3", "category": "MH", "people": 10.0},
        {"place": "W4", "category": "MH", "people": 5.0},
    ])
    funding = pd.DataFrame([
        {"id": "F1", "funder": "COUNCIL", "recipient": "FOODBANK", "amount": 30000.0,
         "start": D(2024, 4, 1), "end": D(2025, 3, 31), "service": None, "kind": "grant"},
        {"id": "F2", "funder": "TRUST", "recipient": "PANTRY", "amount": 20000.0,
         "start": D(2024, 1, 1), "end": D(2025, 12, 31), "service": "S2", "kind": "grant"},
        {"id": "F3", "funder": "COUNCIL", "recipient": "MIND", "amount": 60000.0,
         "start": D(2023, 4, 1), "end": D(2026, 3, 31), "service": None, "kind": "contract"},
        {"id": "F4", "funder": "TRUST", "recipient": "MIND", "amount": 40000.0,
         "start": D(2024, 6, 1), "end": D(2025, 5, 31), "service": None, "kind": "grant"},
        {"id": "F5", "funder": "TRUST", "recipient": "MIND", "amount": 40000.0,
         "start": D(2025, 6, 1), "end": None, "service": None, "kind": "grant"},
        {"id": "F6", "funder": "COUNCIL", "recipient": "ACME", "amount": 10000.0,
         "start": D(2024, 10, 1), "end": D(2025, 9, 30), "service": "S4", "kind": "contract"},
    ])
    partnerships = pd.DataFrame([
        {"a": "FOODBANK", "b": "PANTRY", "kind": "consortium", "start": None, "end": None},
        {"a": "PANTRY", "b": "MIND", "kind": "referral", "start": D(2023, 1, 1), "end": None},
        {"a": "MIND", "b": "COUNCIL", "kind": "colocation", "start": None, "end": None},
        {"a": "MIND", "b": "ACME", "kind": "referral", "start": None, "end": D(2024, 12, 31)},
    ])
    return m.CanonicalTables({
        "places": places, "categories": categories, "organisations": organisations, "services": services,
        "needs": needs, "funding": funding, "partnerships": partnerships,
    })


def riverside() -> nx.MultiDiGraph:
    """The riverside example as the analysis graph.

    >>> G = riverside()
    >>> sorted(k for (label, k) in G if label == "Service")
    ['S1', 'S2', 'S3', 'S4', 'S5', 'S6']
    """
    return graph_from_tables(riverside_tables())
