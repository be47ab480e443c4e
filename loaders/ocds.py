"""OCDS contracting data -> funding flows (buyer -> supplier) and organisations.

Accepts release packages, record packages, single releases, single records,
JSON Lines (one release or package per line) and folders of any of these.
Releases are grouped by ``ocid`` and compiled with ``ocdsmerge``, the
standard's reference implementation, against the OCDS 1.1.4 release schema
shipped in ``loaders/data`` (no download): releases applied in date order,
objects merged field by field, arrays of objects merged by ``id`` unless the
schema says ``wholeListMerge``, an empty array or object leaving earlier
values alone. A release read twice (same ``ocid`` and ``id``) counts once; two
copies that differ (a publisher's two shapes of one notice) are merged field
by field, the later read winning, with a warning. A
record's ``compiledRelease`` is used when present, and then its embedded
releases (and any loose release of that ``ocid``) are not compiled again.
Releases whose types conflict so that they cannot be merged are a
publisher's error: the process is skipped with a located warning.

Each award (not ``cancelled``/``unsuccessful``) becomes one funding row per
supplier: ``kind`` = ``contract``, ``amount`` = the matching contract's
value, else the award's value, as an exact decimal (split equally between
several suppliers to four decimal places, the first taking the remainder so
the shares add up; ``amount_shared_by`` says how many), in its own
``currency`` (never summed with another; a code that is not ISO 4217 is a
located warning and kept as published; no currency is taken as GBP and
counted in a warning), ``start``/``end`` = the contract period, else the award's,
else the tender's; a start missing from it is the contract's signature date,
else the award date. A period with a ``durationInDays`` and no end ends after
that many days. With neither an end nor a duration, the end is assumed
``assume_months`` (default 12) calendar months after the start
(:func:`loaders.parse.assumed_end`), ``end_assumed`` is true, and one warning
gives the count. ``places`` (beneficiary places) holds the GSS codes of the
delivery locations: gazetteer identifiers that are GSS codes and
``deliveryAddresses`` regions or countries (England's regions, the four
nations, the UK) of the tender's, award's and contract's items and the
tender itself; delivery postcodes go to ``delivery_postcodes``, for a
postcode lookup.

Organisation ids are org-ids built from each party's ``identifier`` (scheme +
id, e.g. ``GB-COH-02227962``), else the identifier's ``id`` alone, else the
party ``id``, else ``name:`` and the normalised name; a supplier identified
by anything but scheme + id is a located warning saying which (the first 20,
then one count). A party's UK postal code is its ``postcode`` (upper case,
one space before the last three characters; other countries' codes are not
kept). Supplier ``details.scale`` and ``details.vcse`` (the CCS
partyDetails_vcse extension) are kept as ``scale`` and ``vcse`` and set the
sector: ``vcse`` when true, else ``private`` for any scale, or ``public``
for a public body (a council, government, NHS or school org-id, or a buyer).

Publishers' errors never block a load; each is a warning naming the file,
the ocid and the field, and with ``strict`` (``ecomap load --strict``) an
error that refuses it. One rule per case:

- an end before the start: the end is not used (so the assumed end applies);
- a negative or unreadable amount: that value is not used (a contract's
  falls back to the award's); an award left with no value is skipped;
- an unreadable date: not used (a start falls back as above); an award left
  with no date at all is skipped;
- a missing identifier: see above; an award with no identifiable supplier,
  or a process with no identifiable buyer, is skipped;
- releases of one ocid that cannot be merged: the process is skipped.

A process with no award yet (planning or tender stage) is a ``procurements``
row: ``id`` = ocid, ``buyer``, ``title``, ``category`` (the tender's CPV code,
else its first item's, through the category map with taxonomy ``CPV``, a
code's broader codes included; unmapped -> ``unclassified``), ``start``
(``tender.contractPeriod.startDate``, else the tender period's end), ``end``,
``value`` (the tender's, else the planning budget's) with ``currency``,
``places`` (as for flows), ``stage`` (``planning`` or ``tender``), ``route``
(``procurementMethod``) and ``cpv``. A tender that is cancelled,
unsuccessful, withdrawn or complete without an award is left out (counted
in ``skipped``). Releases missing required OCDS fields are reported as warnings and skipped
only when they cannot be used (no ``ocid``).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import logging
import pathlib
import re
import warnings
from decimal import ROUND_DOWN, Decimal
from typing import Any, Iterator

import ocdsmerge.exceptions
import pandas as pd
from ocdsmerge.merge import CompiledRelease
from ocdsmerge.rules import get_merge_rules

from ecosystem.model import CanonicalTables, Issue, ValidationError, table_frame

from . import categories as cats
from . import identity
from .parse import (DEFAULT_ASSUME_MONTHS, ParseError, assumed_end, check_assume_months, currency_problem, is_blank,
                    normalise_postcode, parse_currency, parse_date, parse_money, parse_number, parse_text)

FORMAT = "ocds"
log = logging.getLogger(__name__)

REQUIRED = ("ocid", "id", "date", "tag", "initiationType")
_SKIP_AWARD = {"cancelled", "unsuccessful"}
#: tender statuses that take a process out of the pipeline
_ENDED_TENDER = {"cancelled", "unsuccessful", "withdrawn", "complete"}


# --------------------------------------------------------------------------
def sniff(path: pathlib.Path) -> bool:
    path = pathlib.Path(path)
    if path.is_dir():
        files = [p for p in sorted(path.iterdir()) if p.suffix.lower() in (".json", ".jsonl")]
        return bool(files) and _sniff_file(files[0])
    return _sniff_file(path)


def _sniff_file(path: pathlib.Path) -> bool:
    if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return False
    with path.open("rb") as f:
        head = f.read(8192).decode("utf-8", "ignore")
    return bool(re.search(r'"(ocid|releases|records|compiledRelease)"\s*:', head)) and '"grants"' not in head[:200]


def load(path: pathlib.Path, **options: Any) -> CanonicalTables:
    path = pathlib.Path(path)
    try:
        return _Loader(path, strict=bool(options.get("strict")),
                       assume_months=options.get("assume_months") or DEFAULT_ASSUME_MONTHS,
                       category_map=options.get("category_map")).run()
    except ValidationError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError, OSError,
            RecursionError) as e:
        log.debug("OCDS read failed", exc_info=True)
        raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                     f"could not read this file as OCDS: {type(e).__name__}: {e}")]) from None


def unmapped_terms(path: pathlib.Path, **options: Any) -> list[tuple[str | None, str]]:
    """The ``("CPV", code)`` pairs of procurements in an OCDS source that the category map does not map.

    For ``ecomap categories map``: pass them to :func:`loaders.categories.write_user_map`.
    """
    loader = _Loader(pathlib.Path(path), category_map=options.get("category_map"))
    try:
        loader.run()
    except ValidationError:
        pass
    return sorted(loader.unmapped, key=lambda x: (x[0] or "", x[1]))


class _Loader:
    def __init__(self, path: pathlib.Path, strict: bool = False, assume_months: int = DEFAULT_ASSUME_MONTHS,
                 category_map: Any = None):
        self.path = path
        self.cmap = cats.read_map(category_map)
        self.unmapped: set[tuple[str | None, str]] = set()
        self.strict = strict
        self.assume_months = check_assume_months(assume_months)
        self.assumed = 0
        self.no_currency = 0
        self.bad_currency = 0
        self.issues: list[Issue] = []
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self.missing_fields = 0
        self._identified: dict[str, str] = {}  # supplier org id -> how, when not by scheme + id
        self._identity_warnings = 0

    def _skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def _publisher_error(self, file: str, record: str, field: str | None, message: str, value: Any = None) -> None:
        """A publisher's error: a located warning, or an error when loading with ``strict``."""
        if self.strict:
            self.issues.append(Issue(file, record, None, field, value, "publisher", message))
        else:
            self.warnings.append(f"{file}, {record}" + (f", {field}" if field else "") + f": {message}")

    def _identity_warning(self, file: str, ocid: str, field: str, party: dict, oid: str, how: str) -> None:
        self._identity_warnings += 1
        if self._identity_warnings > 20:
            return
        name = parse_text(party.get("name")) if isinstance(party.get("name"), str) else None
        why = {BY_IDENTIFIER_ID: f"its identifier has no scheme; identified by the identifier id {oid!r}",
               BY_PARTY_ID: f"it has no identifier with a scheme and an id; identified by its OCDS party id {oid!r}",
               BY_NAME: f"it has no identifier and no id; identified by its name ({oid!r})"}[how]
        self.warnings.append(f"{file}, ocid {ocid}, {field}: supplier {name or oid!r}: {why}")

    def _unique(self, ocid: str, items: list[tuple[str, str, int, dict]]) -> list[tuple[str, str, int, dict]]:
        """One copy of each release ``id`` (a release read twice, e.g. in a package and a record, counts once)."""
        seen: dict[str, int] = {}
        out: list[tuple[str, str, int, dict]] = []
        for it in items:
            rid = it[3].get("id")
            key = str(rid) if isinstance(rid, (str, int)) and not is_blank(rid) else None
            if key is not None and key in seen:
                if out[seen[key]][3] == it[3]:
                    self._skip("release read twice")
                    continue
                # another shape of the same release: merged field by field after the earlier copy (its
                # awards and contracts merge by id, so nothing counts twice and nothing is lost)
                self.warnings.append(f"{it[0]}, {it[1]}: ocid {ocid} release {key} was read before with "
                                     "other contents; the two copies are merged field by field, the later "
                                     "copy's values winning")
                out.append(it)
                continue
            if key is not None:
                seen[key] = len(out)
            out.append(it)
        return out

    # ---- get ----
    def run(self) -> CanonicalTables:
        files = ([p for p in sorted(self.path.iterdir()) if p.suffix.lower() in (".json", ".jsonl", ".ndjson")]
                 if self.path.is_dir() else [self.path])
        if not files:
            raise ValidationError([Issue(str(self.path), None, None, None, None, "empty",
                                         "no .json or .jsonl files in this folder")])
        releases: dict[str, list[tuple[str, str, int, dict]]] = {}
        compiled: dict[str, tuple[str, str, int, dict]] = {}
        seen_any = False
        for f in files:
            for where, n, kind, obj in self._objects(f):
                seen_any = True
                if kind == "record":
                    ocid = parse_text(obj.get("ocid")) if isinstance(obj.get("ocid"), (str, int)) else None
                    cr = obj.get("compiledRelease")
                    if isinstance(cr, dict):
                        ocid = ocid or parse_text(cr.get("ocid"))
                        if ocid:
                            self._check_required(cr, str(f), where + ".compiledRelease", n)
                            if ocid in compiled:
                                self.warnings.append(f"{f}, {where}: a second record for ocid {ocid}; "
                                                     "the later one is used")
                            compiled[ocid] = (str(f), where + ".compiledRelease", n, cr)
                            continue
                    rels = obj.get("releases")
                    embedded = 0
                    if isinstance(rels, list):
                        for j, r in enumerate(rels):
                            if isinstance(r, dict) and "ocid" in r:  # linked releases ({url, date}) carry no data
                                embedded += 1
                                self._release(releases, r, str(f), f"{where}.releases[{j}]", n)
                    if not embedded:
                        self._skip("record without a compiled or embedded release")
                        self.warnings.append(f"{f}, {where}" + (f", ocid {ocid}" if ocid else "")
                                             + ": the record has no compiledRelease and only linked releases "
                                             "(url and date); ecomap does not fetch them, so it is skipped")
                    continue
                self._release(releases, obj, str(f), where, n)
        if not seen_any:
            self.issues.append(Issue(str(self.path), None, None, None, None, "empty",
                                     "no OCDS releases or records found"))
        if self.issues:
            raise ValidationError(self.issues, self.warnings)
        for ocid, items in releases.items():
            if ocid in compiled:
                self._skip("release also compiled in a record", len(items))
                continue
            items = self._unique(ocid, items)
            try:
                merged = compile_releases([r for _, _, _, r in items])
            except _MERGE_ERRORS as e:
                first = items[0]
                self._publisher_error(first[0], f"ocid {ocid}", "releases",
                                      f"its releases cannot be merged ({e}); process skipped")
                self._skip("process whose releases cannot be merged")
                continue
            last = items[-1]
            compiled[ocid] = (last[0], last[1], last[2], merged)
        if self.issues:
            raise ValidationError(self.issues, self.warnings)
        if self.missing_fields:
            self.warnings.append(f"{self.path}: {self.missing_fields} release(s) lack required OCDS fields "
                                 f"({', '.join(REQUIRED)}); loaded what they contain")
        return self._transform(compiled)

    def _check_required(self, r: dict, file: str, where: str, n: int) -> None:
        missing = [k for k in REQUIRED if is_blank(r.get(k)) or r.get(k) == []]
        if missing:
            self.missing_fields += 1
            if self.missing_fields <= 20:
                self.warnings.append(f"{file}, {where}: release is missing required OCDS field(s) "
                                     f"{', '.join(missing)}")

    def _release(self, releases, r: Any, file: str, where: str, n: int) -> None:
        if not isinstance(r, dict):
            self._skip("release is not a JSON object")
            self.warnings.append(f"{file}, {where}: not a JSON object; skipped")
            return
        self._check_required(r, file, where, n)
        ocid = r.get("ocid")
        if not isinstance(ocid, (str, int)) or is_blank(ocid):
            self._skip("release without ocid")
            return
        releases.setdefault(str(ocid).strip(), []).append((file, where, n, r))

    def _objects(self, f: pathlib.Path) -> Iterator[tuple[str, int, str, dict]]:
        """(json path, 1-based number, 'release'|'record', object) for every release or record."""
        raw = f.read_bytes()
        text = raw.decode("utf-8-sig")
        stripped = text.lstrip()
        docs: list[tuple[str, Any]]
        if f.suffix.lower() in (".jsonl", ".ndjson") or (stripped.startswith("{") and "\n{" in stripped
                                                          and _looks_like_lines(stripped)):
            docs = []
            for i, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    docs.append((f"line {i}", json.loads(line)))
                except json.JSONDecodeError as e:
                    self.issues.append(Issue(str(f), None, i, None, line[:80], "json", f"not valid JSON: {e.msg}"))
        else:
            try:
                docs = [("", json.loads(text))]
            except json.JSONDecodeError as e:
                raise ValidationError([Issue(str(f), None, e.lineno, None, None, "json",
                                             f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})")])
        count = 0
        for prefix, doc in docs:
            pre = f"{prefix}: " if prefix else ""
            if isinstance(doc, list):
                for i, r in enumerate(doc):
                    count += 1
                    yield f"{pre}[{i}]", count, "release", r
            elif isinstance(doc, dict) and isinstance(doc.get("records"), list):
                for i, r in enumerate(doc["records"]):
                    count += 1
                    if isinstance(r, dict):
                        yield f"{pre}records[{i}]", count, "record", r
            elif isinstance(doc, dict) and isinstance(doc.get("releases"), list) and "ocid" not in doc:
                for i, r in enumerate(doc["releases"]):
                    count += 1
                    yield f"{pre}releases[{i}]", count, "release", r
            elif isinstance(doc, dict) and ("compiledRelease" in doc or (
                    isinstance(doc.get("releases"), list) and "ocid" in doc and "tag" not in doc)):
                count += 1
                yield f"{pre}record", count, "record", doc
            elif isinstance(doc, dict) and any(k in doc for k in ("ocid", "tag", "buyer", "tender", "awards")):
                count += 1
                yield f"{pre}release", count, "release", doc
            else:
                self.issues.append(Issue(str(f), prefix or None, None, None, None, "shape",
                                         "not an OCDS release, record, release package or record package"))

    # ---- transform ----
    def _transform(self, compiled: dict[str, tuple[str, str, int, dict]]) -> CanonicalTables:
        orgs: dict[str, dict[str, Any]] = {}
        flows: list[dict[str, Any]] = []
        tender_only = 0
        procurements: list[dict[str, Any]] = []
        for ocid in sorted(compiled):
            file, where, n, r = compiled[ocid]
            meta = {"_file": file, "_sheet": where, "_row": n}
            parties = {}
            for p in _list(r.get("parties")):
                if isinstance(p, dict) and not is_blank(p.get("id")):
                    parties[str(p["id"])] = p
            id_of: dict[str, str] = {}

            def org_for(ref: Any, role: str, field: str) -> str | None:
                if not isinstance(ref, dict):
                    return None
                pid = None if is_blank(ref.get("id")) else str(ref.get("id"))
                party = parties.get(pid, {}) if pid else {}
                merged = {**ref, **party} if party else ref
                oid, how = _org_id(merged)
                if oid is None:
                    return None
                if role == "supplier" and how != BY_SCHEME and oid not in self._identified:
                    self._identified[oid] = how
                    self._identity_warning(file, ocid, field, merged, oid, how)
                if pid:
                    id_of[pid] = oid
                _add_org(orgs, oid, merged, role, meta)
                return oid

            buyer = org_for(r.get("buyer"), "buyer", "buyer")
            if buyer is None:
                for p in parties.values():
                    if "buyer" in _list(p.get("roles")) or "procuringEntity" in _list(p.get("roles")):
                        buyer = org_for(p, "buyer", f"parties[id={p.get('id')}]")
                        break
            for p in parties.values():
                roles = [x for x in _list(p.get("roles")) if isinstance(x, str)]
                org_for(p, "supplier" if "supplier" in roles else (roles[0] if roles else "party"),
                        f"parties[id={p.get('id')}]")
            tender = r.get("tender") if isinstance(r.get("tender"), dict) else {}
            awards = [a for a in _list(r.get("awards")) if isinstance(a, dict)]
            if not awards:
                tender_only += 1
                proc = self._procurement(file, ocid, meta, r, tender, buyer)
                if proc:
                    procurements.append(proc)
                continue
            contracts = [c for c in _list(r.get("contracts")) if isinstance(c, dict)]
            for ai, a in enumerate(awards):
                flows += self._award_flows(file, where, ocid, meta, r, tender, a, ai, contracts, org_for, buyer)
        if self.assumed:
            self.warnings.append(f"{self.path}: {self.assumed} award(s) or contract(s) published without an end date "
                                 f"or a duration were given an assumed end {self.assume_months} months after "
                                 "their start (or award or signature date); they are marked end_assumed")
        if tender_only:
            self.warnings.append(f"{self.path}: {tender_only} contracting process(es) have no awards yet "
                                 f"(tender or planning only): {len(procurements)} load as procurements, with "
                                 "no funding flows")
            self._skip("process without awards", tender_only)
        unclassified = sum(1 for x in procurements if x["category"] == cats.UNCLASSIFIED)
        if unclassified:
            self.warnings.append(f"{self.path}: {unclassified} procurement(s) have a CPV code that the category map "
                                 "does not map (or none): category 'unclassified'; map their codes with "
                                 "`ecomap categories map`")
        if self._identity_warnings > 20:
            counts: dict[str, int] = {}
            for how in self._identified.values():
                counts[how] = counts.get(how, 0) + 1
            self.warnings.append(f"{self.path}: {self._identity_warnings} supplier(s) not identified by an "
                                 "identifier scheme and id (" + ", ".join(f"by {k}: {v}" for k, v in
                                                                          sorted(counts.items())) + ")")
        if self.bad_currency > 20:
            self.warnings.append(f"{self.path}: {self.bad_currency} value(s) name a currency that is not an ISO 4217 "
                                 "code; kept as published, never added to another currency")
        if self.no_currency:
            self.warnings.append(f"{self.path}: {self.no_currency} value(s) name no currency; taken as GBP")
        by_currency: dict[str, int] = {}
        for f in flows:
            by_currency[f["currency"]] = by_currency.get(f["currency"], 0) + 1
        if set(by_currency) - {"GBP"}:
            self.warnings.append(f"{self.path}: flows in {len(by_currency)} currencies ("
                                 + ", ".join(f"{c}: {n}" for c, n in sorted(by_currency.items()))
                                 + "); amounts kept in their own currency, never converted or added together")
        org_rows = []
        for o in orgs.values():
            o = dict(o)
            o["sector_basis"] = None
            if o["sector"] is None:
                o["sector"] = _sector(o)
                if o["sector"] is not None:  # derived, so a sector the user gives elsewhere is kept over it
                    o["sector_basis"] = SECTOR_BASIS
            o["roles"] = ";".join(sorted(o["roles"]))
            org_rows.append(o)
        if self.issues:
            raise ValidationError(self.issues, self.warnings)
        funding = _frame(flows, "funding")
        categories = [{**c, "_file": str(self.path), "_sheet": None, "_row": None}
                      for c in cats.category_rows({x["category"] for x in procurements}, self.cmap)]
        return CanonicalTables({"organisations": _frame(org_rows, "organisations"), "funding": funding,
                                "procurements": _frame(procurements, "procurements"),
                                "categories": _frame(categories, "categories")},
                               self.warnings, self.skipped)


    # ---- a process with no award yet -> a procurement ----
    def _procurement(self, file, ocid, meta, r, tender, buyer) -> dict[str, Any] | None:
        """A planning- or tender-stage process as a ``procurements`` row (None when it is not one)."""
        planning = r.get("planning") if isinstance(r.get("planning"), dict) else {}
        status = str(tender.get("status") or "").strip().lower()
        if status in _ENDED_TENDER:
            self._skip(f"tender {status}")
            return None
        if not tender and not planning:
            return None
        if buyer is None:
            self._skip("procurement without a buyer")
            self._publisher_error(file, f"ocid {ocid}", "buyer",
                                  "the tender has no buyer with an identifier, an id or a name; not loaded as a "
                                  "procurement")
            return None
        stage = "tender" if tender and status not in ("planning", "planned") else "planning"
        cpv = _cpv(tender)
        if cpv is None:
            for it in _list(tender.get("items")):
                c = it.get("classification") if isinstance(it, dict) else None
                if isinstance(c, dict) and str(c.get("scheme") or "CPV").strip().upper() == "CPV" \
                        and cats.cpv_code(c.get("id")):
                    cpv = cats.cpv_code(c.get("id"))
                    break
        category = cats.cpv_category(cpv, self.cmap) if cpv else None
        if category is None:
            category = cats.UNCLASSIFIED
            if cpv and cats.cpv_code(cpv):
                self.unmapped.add((cats.CPV, cats.cpv_code(cpv)))
        cp = tender.get("contractPeriod") if isinstance(tender.get("contractPeriod"), dict) else {}
        tp = tender.get("tenderPeriod") if isinstance(tender.get("tenderPeriod"), dict) else {}
        start = self._date(file, ocid, "tender.contractPeriod.startDate", cp.get("startDate"))
        if start is None:
            start = self._date(file, ocid, "tender.tenderPeriod.endDate", tp.get("endDate"))
        end = self._date(file, ocid, "tender.contractPeriod.endDate", cp.get("endDate"))
        if start is not None and end is not None and end < start:
            self._publisher_error(file, f"ocid {ocid}", "tender.contractPeriod.endDate",
                                  f"the end {end.isoformat()} is before the start {start.isoformat()}; "
                                  "the end is not used", end.isoformat())
            end = None
        value, currency = self._value(file, ocid, "tender", tender)
        if value is None and isinstance(planning.get("budget"), dict):
            b = planning["budget"]
            value, currency = self._value(file, ocid, "planning.budget", {"value": b.get("amount")})
        title = (_text(tender.get("title")) or _text(planning.get("budget", {}).get("project")
                                                      if isinstance(planning.get("budget"), dict) else None)
                 or _first_words(_text(tender.get("description"))) or ocid)
        places, postcodes = _delivery_places(tender, {}, None)
        return {"id": ocid, "buyer": buyer, "title": title, "category": category, "start": start, "end": end,
                "value": value, "currency": (currency or "GBP") if value is not None else None,
                "places": places, "delivery_postcodes": ";".join(postcodes) or None,
                "stage": stage, "route": _text(tender.get("procurementMethod")), "cpv": cpv,
                "route_details": _text(tender.get("procurementMethodDetails")),
                "tender_status": status or None, **meta}

    # ---- one award -> flows ----
    def _value(self, file: str, ocid: str, field: str, obj: dict | None) -> tuple[Decimal | None, str | None]:
        """(exact amount, currency) of ``obj.value``.

        An unreadable or negative amount is a publisher's error (value not used). A currency that
        is not an ISO 4217 code is a located warning and is kept as published (its amounts are never
        added to another currency's); a value naming no currency is taken as GBP and counted.
        """
        v = (obj or {}).get("value")
        if not isinstance(v, dict) or is_blank(v.get("amount")):
            return None, None
        try:
            amt = parse_money(v.get("amount"))
        except ParseError as e:
            self._publisher_error(file, f"ocid {ocid}", f"{field}.value.amount",
                                  f"amount cannot be read ({e}); value not used", v.get("amount"))
            return None, None
        if amt is not None and amt < 0:
            self._publisher_error(file, f"ocid {ocid}", f"{field}.value.amount",
                                  f"negative amount {amt}; value not used", v.get("amount"))
            return None, None
        cur = parse_currency(v.get("currency")) if isinstance(v.get("currency"), str) else None
        if cur is None:
            self.no_currency += 1
        else:
            problem = currency_problem(cur)
            if problem:
                self.bad_currency += 1
                if self.bad_currency <= 20:
                    self.warnings.append(f"{file}, ocid {ocid}, {field}.value.currency: {problem}")
        return amt, cur

    def _date(self, file: str, ocid: str, field: str, v: Any) -> dt.date | None:
        """A date; an unparseable one is a publisher's error and is not used."""
        if is_blank(v):
            return None
        try:
            if not isinstance(v, str):
                raise ParseError("not a date")
            return parse_date(v)
        except ParseError as e:
            self._publisher_error(file, f"ocid {ocid}", field, f"date {v!r} cannot be read ({e}); not used", v)
            return None

    def _award_flows(self, file, where, ocid, meta, r, tender, a, ai, contracts, org_for, buyer) -> list[dict]:
        status = str(a.get("status") or "").lower()
        if status in _SKIP_AWARD:
            self._skip(f"award {status}")
            return []
        suppliers = [s for s in _list(a.get("suppliers")) if isinstance(s, dict)]
        supplier_ids = list(dict.fromkeys(
            x for x in (org_for(s, "supplier", f"awards[{ai}].suppliers[{si}]")
                        for si, s in enumerate(suppliers)) if x))
        if not supplier_ids:
            self._skip("award without suppliers")
            self._publisher_error(file, f"ocid {ocid}", f"awards[{ai}].suppliers",
                                  f"award {a.get('id')} names no supplier that has an identifier, "
                                  "an id or a name; award skipped")
            return []
        if buyer is None:
            self._skip("award without a buyer")
            self._publisher_error(file, f"ocid {ocid}", "buyer",
                                  f"award {a.get('id')} has no buyer with an identifier, an id or a name; skipped")
            return []
        ci = next((i for i, c in enumerate(contracts) if str(c.get("awardID")) == str(a.get("id"))), None)
        con = contracts[ci] if ci is not None else None
        value = currency = value_from = None
        for src, obj, field in (("contract", con, f"contracts[{ci}]"), ("award", a, f"awards[{ai}]")):
            if obj is None:
                continue
            amt, cur = self._value(file, ocid, field, obj)
            if amt is not None:
                value, currency, value_from = amt, cur, src
                break
        if value is None:
            self._skip("award without a value")
            self._publisher_error(file, f"ocid {ocid}", f"awards[{ai}].value",
                                  f"award {a.get('id')} has no usable value; skipped")
            return []
        # the period: the contract's, else the award's, else the tender's
        period, pfield = None, None
        for obj, key, field in ((con, "period", f"contracts[{ci}].period"),
                                (a, "contractPeriod", f"awards[{ai}].contractPeriod"),
                                (tender, "contractPeriod", "tender.contractPeriod")):
            pp = (obj or {}).get(key)
            if isinstance(pp, dict) and any(not is_blank(pp.get(k)) for k in ("startDate", "endDate", "durationInDays")):
                period, pfield = pp, field
                break
        signed = self._date(file, ocid, f"contracts[{ci}].dateSigned", con.get("dateSigned")) if con else None
        awarded = self._date(file, ocid, f"awards[{ai}].date", a.get("date"))
        start = end = None
        duration = None
        if period:
            start = self._date(file, ocid, f"{pfield}.startDate", period.get("startDate"))
            end = self._date(file, ocid, f"{pfield}.endDate", period.get("endDate"))
            try:
                duration = parse_number(period.get("durationInDays"))
            except ParseError:
                self._publisher_error(file, f"ocid {ocid}", f"{pfield}.durationInDays",
                                      "duration is not a number; not used", period.get("durationInDays"))
            if duration is not None and duration <= 0:
                self._publisher_error(file, f"ocid {ocid}", f"{pfield}.durationInDays",
                                      f"duration {duration:g} days is not positive; not used", duration)
                duration = None
        if start is None:
            start = signed or awarded
        if start is not None and end is not None and end < start:
            self._publisher_error(file, f"ocid {ocid}", f"{pfield}.endDate",
                                  f"the end {end.isoformat()} is before the start {start.isoformat()}; "
                                  "the end is not used", end.isoformat())
            end = None
        if start is None:
            self._skip("award without any date")
            self._publisher_error(file, f"ocid {ocid}", f"awards[{ai}]",
                                  f"award {a.get('id')} has no start, signature or award date; skipped")
            return []
        end_assumed = False
        if end is None and duration is not None:
            end = start + dt.timedelta(days=int(duration) - 1 if duration >= 1 else 0)
        if end is None:
            end = assumed_end(start, self.assume_months)
            end_assumed = True
            self.assumed += 1
        places, delivery_postcodes = _delivery_places(tender, a, con)
        k = len(supplier_ids)
        shares = _split(value, k)
        rows = []
        for s, share in zip(supplier_ids, shares):
            fid = f"{ocid}/{a.get('id')}" + (f"/{s}" if k > 1 else "")
            rows.append({
                "id": fid, "funder": buyer, "recipient": s, "amount": share,
                "start": start, "end": end, "end_assumed": end_assumed, "service": None, "kind": "contract",
                "programme": None, "currency": currency or "GBP", "places": places,
                "delivery_postcodes": ";".join(delivery_postcodes) or None,
                "route": parse_text(tender.get("procurementMethodDetails"))
                if isinstance(tender.get("procurementMethodDetails"), str)
                else parse_text(tender.get("procurementMethod")) if isinstance(tender.get("procurementMethod"), str)
                else None,
                "title": _text(a.get("title")) or _text(tender.get("title")),
                "ocid": ocid, "award_status": status or None, "value_from": value_from,
                "amount_shared_by": k if k > 1 else None,
                "cpv": _cpv(tender),
                "tender_sme_suitable": _bool((tender.get("suitability") or {}).get("sme"))
                if isinstance(tender.get("suitability"), dict) else None,
                "tender_vcse_suitable": _bool((tender.get("suitability") or {}).get("vcse"))
                if isinstance(tender.get("suitability"), dict) else None,
                **meta})
        return rows


def _split(value: Decimal, k: int) -> list[Decimal]:
    """``value`` shared equally by ``k`` suppliers, exactly: to four decimal places, the first share
    taking the remainder so that the shares add up to ``value``.

    >>> _split(Decimal("100"), 3)
    [Decimal('33.3334'), Decimal('33.3333'), Decimal('33.3333')]
    """
    if k == 1:
        return [value]
    share = (value / k).quantize(_TEN_THOUSANDTH, rounding=ROUND_DOWN)
    return [value - share * (k - 1)] + [share] * (k - 1)


_TEN_THOUSANDTH = Decimal("0.0001")


def _looks_like_lines(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    try:
        json.loads(first)
        return True
    except json.JSONDecodeError:
        return False


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _text(v: Any) -> str | None:
    """Text as published, with double-encoded UTF-8 and HTML entities (``&apos;``) undone."""
    if not isinstance(v, (str, int, float)) or isinstance(v, bool):
        return None
    s = _fix_mojibake(parse_text(v))
    return html.unescape(s) if s and "&" in s and ";" in s else s


def _cpv(tender: dict) -> str | None:
    c = tender.get("classification")
    if isinstance(c, dict) and str(c.get("scheme") or "CPV").strip().upper() == "CPV":
        return _text(c.get("id"))
    return None


def _first_words(text: str | None, n: int = 12) -> str | None:
    if not text:
        return None
    words = text.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


_GSS = re.compile(r"^[EWSNKL]\d{8}$")
#: Delivery regions and countries as Contracts Finder and other UK publishers name them -> GSS codes.
REGION_GSS = {
    "north east": "E12000001", "north west": "E12000002", "yorkshire and the humber": "E12000003",
    "yorkshire and humber": "E12000003", "east midlands": "E12000004", "west midlands": "E12000005",
    "east of england": "E12000006", "east": "E12000006", "london": "E12000007", "south east": "E12000008",
    "south west": "E12000009", "england": "E92000001", "wales": "W92000004", "scotland": "S92000003",
    "northern ireland": "N92000002", "united kingdom": "K02000001", "uk": "K02000001",
    "great britain": "K03000001",
}


def _gss(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    s = v.strip().upper()
    return s if _GSS.match(s) else None


def _delivery_places(tender: dict, award: dict, contract: dict | None) -> tuple[list[str], list[str]]:
    """(GSS codes, UK postcodes) of the places a contract is delivered to.

    From ``deliveryLocation(s)`` (gazetteer identifiers that are GSS codes) and
    ``deliveryAddresses`` (a region or country named as UK publishers name them, or a region
    given as a GSS code) of the award's, contract's and tender's items, and the tender's own
    ``deliveryAddresses``/``deliveryLocations``. Postcodes are returned apart: they need a
    postcode lookup to become places.
    """
    codes: list[str] = []
    postcodes: list[str] = []
    holders = [tender, award, contract or {}]
    containers = [h for h in holders if isinstance(h, dict)]
    for h in list(containers):
        containers += [it for it in _list(h.get("items")) if isinstance(it, dict)]
    for c in containers:
        locs = _list(c.get("deliveryLocations")) + ([c["deliveryLocation"]] if isinstance(c.get("deliveryLocation"), dict) else [])
        for loc in locs:
            gaz = loc.get("gazetteer") if isinstance(loc, dict) else None
            if isinstance(gaz, dict):
                codes += [g for g in map(_gss, _list(gaz.get("identifiers"))) if g]
        addrs = _list(c.get("deliveryAddresses")) + ([c["deliveryAddress"]] if isinstance(c.get("deliveryAddress"), dict) else [])
        for ad in addrs:
            if not isinstance(ad, dict):
                continue
            pc = _postcode(ad.get("postalCode"))
            if pc:
                postcodes.append(pc)
            region = ad.get("region")
            code = _gss(region) or (REGION_GSS.get(" ".join(region.lower().split())) if isinstance(region, str) else None)
            if code is None and not pc and not is_blank(ad.get("countryName")) and isinstance(ad.get("countryName"), str):
                code = REGION_GSS.get(" ".join(ad["countryName"].lower().split()))
            if code:
                codes.append(code)
    return list(dict.fromkeys(codes)), list(dict.fromkeys(postcodes))


def _postcode(v: Any) -> str | None:
    """A UK postcode, normalised (:func:`loaders.parse.normalise_postcode`); other text -> None."""
    return normalise_postcode(v) if isinstance(v, str) else None


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "yes", "false", "no"):
        return v.strip().lower() in ("true", "yes")
    return None


def _fix_mojibake(s: str | None) -> str | None:
    """Undo double-encoded UTF-8 (``â€™`` -> ``’``) where that is what happened."""
    if not s or "â" not in s and "Ã" not in s:
        return s
    try:
        return s.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


#: how an organisation was identified, best first (see :func:`_org_id`)
BY_SCHEME, BY_IDENTIFIER_ID, BY_PARTY_ID, BY_NAME = "scheme+id", "identifier id", "party id", "name"


def _org_id(p: dict[str, Any]) -> tuple[str | None, str | None]:
    """(organisation id, how it was identified) for an OCDS party or organisation reference.

    ``identifier.scheme`` + ``identifier.id`` (or the first ``additionalIdentifiers`` entry with
    both) make an org-id such as ``GB-COH-02227962``; else the identifier's ``id`` alone, as
    published; else the party's OCDS ``id``; else ``name:`` and the normalised name. Anything but
    the first is said in a warning for suppliers.
    """
    ident = p.get("identifier") if isinstance(p.get("identifier"), dict) else {}
    oid = identity.make_org_id(ident.get("scheme"), ident.get("id"))
    if oid:
        return oid, BY_SCHEME
    for extra in _list(p.get("additionalIdentifiers")):
        if isinstance(extra, dict):
            oid = identity.make_org_id(extra.get("scheme"), extra.get("id"))
            if oid:
                return oid, BY_SCHEME
    if isinstance(ident.get("id"), (str, int)) and not is_blank(ident.get("id")):
        return str(ident["id"]).strip(), BY_IDENTIFIER_ID
    if isinstance(p.get("id"), (str, int)) and not is_blank(p.get("id")):
        return str(p["id"]).strip(), BY_PARTY_ID
    name = identity.normalise_name(_fix_mojibake(parse_text(p.get("name")) if isinstance(p.get("name"), str)
                                                 else None))
    if name:
        return f"name:{name}", BY_NAME
    return None, None


def _add_org(orgs: dict, oid: str, p: dict[str, Any], role: str, meta: dict) -> None:
    o = orgs.get(oid)
    ident = p.get("identifier") if isinstance(p.get("identifier"), dict) else {}
    details = p.get("details") if isinstance(p.get("details"), dict) else {}
    address = p.get("address") if isinstance(p.get("address"), dict) else {}
    name = _fix_mojibake(parse_text(p.get("name")) or parse_text(ident.get("legalName")) or None)
    if o is None:
        o = orgs[oid] = {"id": oid, "name": name or oid, "sector": None, "income": None,
                         "charity_number": None, "company_number": None, "postcode": None, "place": None,
                         "roles": set(), "scale": None, "vcse": None, "ocds_party_id": None, **meta}
        parts = identity.split_org_id(oid)
        if parts and parts[0] in identity.COMPANY_SCHEMES:
            o["company_number"] = identity.company_number(parts[1])
        if parts and parts[0] in identity.CHARITY_SCHEMES:
            o["charity_number"] = parts[1]
    o["roles"].add(role)
    if o["name"] == oid and name:
        o["name"] = name
    if o["ocds_party_id"] is None and not is_blank(p.get("id")) and str(p.get("id")) != oid:
        o["ocds_party_id"] = str(p["id"])
    if o["postcode"] is None:
        o["postcode"] = _postcode(address.get("postalCode"))
    scale = details.get("scale")
    if o["scale"] is None and isinstance(scale, str) and scale.strip():
        o["scale"] = scale.strip().lower()
    vcse = _bool(details.get("vcse"))
    if vcse is not None and o["vcse"] is None:
        o["vcse"] = vcse


#: the ``sector_basis`` of a sector set from a supplier's flags (see ``merge_organisations``)
SECTOR_BASIS = "OCDS supplier flags"
#: org-id schemes of public bodies (councils, central government, the NHS, schools)
PUBLIC_SCHEMES = ("GB-LAE", "GB-LAS", "GB-LANI", "GB-PLA", "GB-GOR", "GB-NHS", "GB-NHSS", "GB-EDU", "GB-GOVUK")
_SCALES = {"sme", "micro", "large", "selfemployed"}


def _sector(o: dict[str, Any]) -> str | None:
    """The sector a supplier's CCS/OCDS flags say, for an organisation given none.

    ``details.vcse`` true (the CCS partyDetails_vcse extension) -> ``vcse``; a ``details.scale``
    (sme, micro, large, selfEmployed) -> ``private``, unless the party is a public body (an
    org-id scheme of councils, central government, the NHS or schools, or a buyer or procuring
    entity in some release) -> ``public``. No flag: no sector.
    """
    if o.get("vcse") is True:
        return "vcse"
    if o.get("scale") in _SCALES:
        parts = identity.split_org_id(o["id"])
        public = (parts and parts[0] in PUBLIC_SCHEMES) or ({"buyer", "procuringEntity"} & set(o["roles"]))
        return "public" if public else "private"
    return None


def _frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    return table_frame(rows, name)

# --------------------------------------------------------------------------
# OCDS merge (compiling releases of one ocid) with the reference implementation
# --------------------------------------------------------------------------
#: The OCDS 1.1.4 release schema (Apache 2.0, Open Contracting Partnership), shipped so that the
#: merge rules (``wholeListMerge``, ``omitWhenMerged``) are read offline.
RELEASE_SCHEMA = pathlib.Path(__file__).with_name("data") / "ocds_release_schema_1.1.4.json"
_MERGE_ERRORS = (ocdsmerge.exceptions.OCDSMergeError,)


@functools.lru_cache(maxsize=1)
def _merge_rules() -> dict:
    return get_merge_rules(str(RELEASE_SCHEMA))


def _date_key(r: dict) -> str:
    d = r.get("date")
    return d if isinstance(d, str) else ""


def compile_releases(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of one contracting process, as ``ocdsmerge`` (the reference
    implementation) makes it from the shipped release schema.

    Releases are applied in ``date`` order (a release without a usable date first; ties keep
    the order read); objects merge field by field, arrays of objects merge by ``id`` unless the
    schema says ``wholeListMerge``, an empty array or object leaves earlier values as they were,
    and ``null`` removes a field.

    >>> compile_releases([
    ...     {"ocid": "o", "id": "1", "date": "2024-01-01", "awards": [{"id": "a", "status": "pending"}]},
    ...     {"ocid": "o", "id": "2", "date": "2024-02-01", "awards": []}])["awards"]
    [{'id': 'a', 'status': 'pending'}]
    """
    merged = CompiledRelease(merge_rules=_merge_rules())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ocdsmerge.exceptions.OCDSMergeWarning)
        for r in sorted(releases, key=_date_key):
            merged.append(r)
    return merged.asdict()
