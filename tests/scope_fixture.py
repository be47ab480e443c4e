"""The place-scope ecosystem, drawn in tests/analysis/test_place_scope.py, as template CSV files.

Shared by the analysis, report and browser tests (importable as ``scope_fixture``).
"""

from __future__ import annotations

import csv
import pathlib

AS_OF = "2025-01-01"

PLACES = [("ENG", "England", "country", ""), ("REG", "North", "region", "ENG"), ("LA1", "Riverside", "la", "REG"),
          ("LA2", "Hillside", "la", "REG"), ("W1", "Northbank", "ward", "LA1"), ("W2", "Southbank", "ward", "LA1"),
          ("W3", "Hilltop", "ward", "LA2")]
ORGS = [("FUNDER", "Big Fund", "", ""), ("SVC", "Service provider", "", ""), ("BASE", "Based in LA1", "LA1", ""),
        ("CHILD", "Based in W2", "W2", ""), ("BEN_P", "Grant for LA1", "", ""), ("BEN_IN", "Grant for W1", "", ""),
        ("BEN_UP", "Grant for England", "", ""), ("OUT", "Hillside group", "LA2", ""),
        ("NOWHERE", "Somewhere group", "", ""), ("NOWHERE2", "Stretford club", "", "M32 0TH")]
FLOWS = [("F_SVC", "SVC", 1000, "2024-01-01", "2025-03-31", "", ""),
         ("F_BASE", "BASE", 2000, "2024-04-01", "2025-03-31", "", ""),
         ("F_CHILD", "CHILD", 3000, "2023-01-01", "2026-12-31", "", ""),
         ("F_BEN_P", "BEN_P", 4000, "2024-07-01", "2025-06-30", "LA1", "true"),
         ("F_BEN_IN", "BEN_IN", 5000, "2024-01-01", "2025-12-31", "W1", ""),
         ("F_BEN_UP", "BEN_UP", 6000, "2024-06-01", "2025-05-31", "ENG", ""),
         ("F_OUT", "OUT", 7000, "2024-06-01", "2025-05-31", "W3", ""),
         ("F_NOWHERE", "NOWHERE", 800, "2024-06-01", "2025-05-31", "", ""),
         ("F_NOWHERE2", "NOWHERE2", 200, "2024-06-01", "2025-05-31", "E08000009", ""),
         ("F_OLD", "NOWHERE2", 999, "2022-01-01", "2023-12-31", "", "")]


def _write(path: pathlib.Path, header: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_template(d: pathlib.Path, *, places: bool = True, others: bool = True) -> pathlib.Path:
    d.mkdir(parents=True, exist_ok=True)
    if places:
        _write(d / "places.csv", ["code", "name", "level", "parent"], PLACES)
    if others:
        _write(d / "categories.csv", ["code", "name"], [("MH", "Mental health")])
        _write(d / "organisations.csv", ["id", "name", "place", "postcode"], ORGS)
        _write(d / "services.csv", ["id", "name", "provider", "category", "areas", "start", "end"],
               [("S1", "Drop-in", "SVC", "MH", "W1", "2023-01-01", "2024-06-30")])
        _write(d / "funding.csv", ["id", "funder", "recipient", "amount", "start", "end", "places", "end_assumed"],
               [(f, "FUNDER", r, a, s, e, p, x) for f, r, a, s, e, p, x in FLOWS])
        _write(d / "partnerships.csv", ["a", "b", "kind"],
               [("BASE", "CHILD", "referral"), ("BEN_UP", "OUT", "consortium"), ("OUT", "NOWHERE", "referral")])
    return d
