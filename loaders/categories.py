"""Taxonomy terms -> ecomap categories, through a mapping file a person can edit.

Service directories (Open Referral UK, HSDS) classify services with terms
from many vocabularies (the LGA's esd service types, OpenActive, AIRS, local
lists). ecomap measures provision against needs per *category*, so each term
is mapped to one category code by ``category_map.csv``::

    taxonomy,term,category,category_name
    ,counselling,mental_health,Mental health and wellbeing
    esd,Food banks,food,Food and nutrition

Procurement classifications (OCDS CPV codes) use the same file with ``taxonomy``
``CPV``: a code maps through its own row or the nearest broader code's row
(``85311300`` falls back to ``85311000``, ``85310000``, ``85300000``, ``85000000``).

``taxonomy`` blank matches any vocabulary; ``term`` is compared without case
or surrounding spaces against a term's id, code and name. A term that no row
maps goes to ``unclassified`` (never dropped). ``ecomap categories map``
writes the user's own copy (:func:`write_user_map`), adding the terms seen
but not yet mapped so they can be filled in.
"""

from __future__ import annotations

import csv
import io
import logging
import pathlib
from typing import Iterable

log = logging.getLogger(__name__)

DEFAULT_MAP = pathlib.Path(__file__).with_name("data") / "category_map.csv"
UNCLASSIFIED = "unclassified"
UNCLASSIFIED_NAME = "Unclassified (taxonomy term not mapped yet)"
COLUMNS = ("taxonomy", "term", "category", "category_name")


def _norm(s: object) -> str:
    return " ".join(str(s or "").split()).casefold()


class CategoryMap:
    """A loaded mapping: look terms up, and know each category's name."""

    def __init__(self, rows: Iterable[dict[str, str]]):
        self.rows = [dict(r) for r in rows]
        self._any: dict[str, str] = {}
        self._by_tax: dict[tuple[str, str], str] = {}
        self.names: dict[str, str] = {UNCLASSIFIED: UNCLASSIFIED_NAME}
        for r in self.rows:
            term, cat = _norm(r.get("term")), (r.get("category") or "").strip()
            if not cat:
                continue
            if r.get("category_name"):
                self.names.setdefault(cat, r["category_name"].strip())
            else:
                self.names.setdefault(cat, cat.replace("_", " ").capitalize())
            if not term:
                continue
            tax = _norm(r.get("taxonomy"))
            if tax:
                self._by_tax.setdefault((tax, term), cat)
            else:
                self._any.setdefault(term, cat)

    def lookup(self, *candidates: object, taxonomy: object = None) -> str | None:
        """The category for the first candidate (term id, code or name) that is mapped."""
        tax = _norm(taxonomy)
        for c in candidates:
            t = _norm(c)
            if not t:
                continue
            if tax and (tax, t) in self._by_tax:
                return self._by_tax[(tax, t)]
            if t in self._any:
                return self._any[t]
        return None

    def name(self, code: str) -> str:
        return self.names.get(code, code.replace("_", " ").capitalize())


def read_map(path: str | pathlib.Path | None = None) -> CategoryMap:
    """Read a mapping file (the bundled default when ``path`` is None)."""
    p = pathlib.Path(path) if path else DEFAULT_MAP
    text = p.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("term", "category") if c not in (reader.fieldnames or [])]
    if missing:
        from ecosystem.model import Issue, ValidationError

        raise ValidationError([Issue(str(p), None, 1, c, None, "required_column",
                                     f"the category map needs a {c!r} column (columns: {', '.join(COLUMNS)})")
                               for c in missing])
    return CategoryMap(reader)


def write_user_map(path: str | pathlib.Path, unmapped_terms: Iterable[tuple[str | None, str]] = ()) -> pathlib.Path:
    """Create or extend the user's editable mapping file.

    A missing file starts as a copy of the default map. Terms in
    ``unmapped_terms`` (``(taxonomy, term)`` pairs) that the file does not
    map yet are appended with category ``unclassified`` for the user to
    change. Returns the path written.
    """
    p = pathlib.Path(path)
    if p.exists():
        rows = list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8-sig"))))
    else:
        rows = list(csv.DictReader(io.StringIO(DEFAULT_MAP.read_text(encoding="utf-8"))))
    known = {(_norm(r.get("taxonomy")), _norm(r.get("term"))) for r in rows} | {
        ("", _norm(r.get("term"))) for r in rows if not _norm(r.get("taxonomy"))}
    for tax, term in unmapped_terms:
        k = (_norm(tax), _norm(term))
        if not k[1] or k in known or ("", k[1]) in known:
            continue
        known.add(k)
        rows.append({"taxonomy": tax or "", "term": term, "category": UNCLASSIFIED,
                     "category_name": UNCLASSIFIED_NAME})
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS), extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c) or "" for c in COLUMNS})
    log.info("wrote category map %s (%d rows)", p, len(rows))
    return p


#: The ``taxonomy`` column value of rows that map CPV codes (procurement classifications).
CPV = "CPV"


def cpv_code(value: object) -> str | None:
    """The 8-digit CPV code in ``value`` (``85311000-2`` and ``85311000`` -> ``85311000``); else None."""
    s = str(value or "").strip()
    digits = s.split("-")[0].split(".")[0].strip()
    return digits if len(digits) == 8 and digits.isdigit() else None


def cpv_candidates(code: str) -> list[str]:
    """A CPV code and its broader codes, narrowest first: ``85311300`` -> 85311300, 85311000,
    85310000, 85300000, 85000000 (the CPV hierarchy pads the broader levels with zeros)."""
    out = [code]
    for keep in (7, 6, 5, 4, 3, 2):
        c = code[:keep] + "0" * (8 - keep)
        if c != out[-1]:
            out.append(c)
    return out


def cpv_category(value: object, cmap: CategoryMap) -> str | None:
    """The category a CPV code maps to, through its own row or the nearest broader code's
    (``taxonomy`` CPV); None when none maps it."""
    code = cpv_code(value)
    if code is None:
        return None
    return cmap.lookup(*cpv_candidates(code), taxonomy=CPV)


def category_rows(codes: Iterable[str], cmap: CategoryMap | None = None) -> list[dict[str, object]]:
    """Canonical ``categories`` rows for the codes a loader used."""
    cmap = cmap or read_map()
    return [{"code": c, "name": cmap.name(c), "parent": None} for c in sorted(set(codes))]
