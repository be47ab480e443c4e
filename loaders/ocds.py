"""OCDS contracting data -> funding flows (buyer -> supplier) and organisations.

Accepts release packages, record packages, single releases, single records,
JSON Lines (one release or package per line) and folders of any of these.
Releases are grouped by ``ocid`` and compiled with ``ocdsmerge``, the
standard's reference implementation, against the OCDS 1.1.4 release schema
shipped in ``loaders/data`` (no download): releases applied in date order,
objects merged field by field, arrays of objects merged by ``id`` unless the
schema says ``wholeListMerge``, an empty array or object leaving earlier
values alone. A release read twice (same ``ocid`` and ``id``) counts once. A
record's ``compiledRelease`` is used when present, and then its embedded
releases (and any loose release of that ``ocid``) are not compiled again.
Releases whose types conflict so that they cannot be merged are a
publisher's error: the process is skipped with a located warning.

Each award (not ``cancelled``/``unsuccessful``) becomes one funding row per
supplier: ``kind`` = ``contract``, ``amount`` = the matching contract's
value, else the award's value (split equally between several suppliers,
``amount_shared_by`` says how many), ``start``/``end`` = the contract period,
else the award's, else the tender's. Organisation ids are org-ids built from
each party's ``identifier`` (scheme + id, e.g. ``GB-COH-02227962``), else
the identifier's ``id`` alone, else the party ``id``, else ``name:`` and the
normalised name; a supplier identified by anything but scheme + id is a
located warning saying which (the first 20, then one count). An award whose
suppliers carry none of these is skipped with a located warning. Supplier ``details.scale`` (``sme``/``large``) and
``details.vcse`` are kept as ``scale`` and ``vcse`` (``sector`` = ``vcse``
when true). Tender-only data loads as organisations with no flows and a
warning; releases missing required OCDS fields are reported as warnings and
skipped only when they cannot be used (no ``ocid``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import pathlib
import re
import warnings
from typing import Any, Iterator

import ocdsmerge.exceptions
import pandas as pd
from ocdsmerge.merge import CompiledRelease
from ocdsmerge.rules import get_merge_rules

from ecosystem.model import CanonicalTables, Issue, ValidationError, table_frame

from . import identity
from .parse import ParseError, is_blank, parse_date, parse_number, parse_text

FORMAT = "ocds"
log = logging.getLogger(__name__)

REQUIRED = ("ocid", "id", "date", "tag", "initiationType")
_SKIP_AWARD = {"cancelled", "unsuccessful"}


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
        return _Loader(path, strict=bool(options.get("strict"))).run()
    except ValidationError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError, OSError,
            RecursionError) as e:
        log.debug("OCDS read failed", exc_info=True)
        raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                     f"could not read this file as OCDS: {type(e).__name__}: {e}")]) from None


class _Loader:
    def __init__(self, path: pathlib.Path, strict: bool = False):
        self.path = path
        self.strict = strict
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
                self._skip("release read twice")
                if out[seen[key]][3] != it[3]:
                    self.warnings.append(f"{it[0]}, {it[1]}: ocid {ocid} release {key} was read before with "
                                         "other contents; the later copy is used")
                    out[seen[key]] = it
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
                    if isinstance(rels, list):
                        for j, r in enumerate(rels):
                            if isinstance(r, dict) and "ocid" in r:  # linked releases ({url, date}) carry no data
                                self._release(releases, r, str(f), f"{where}.releases[{j}]", n)
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
                continue
            contracts = [c for c in _list(r.get("contracts")) if isinstance(c, dict)]
            for ai, a in enumerate(awards):
                status = str(a.get("status") or "").lower()
                if status in _SKIP_AWARD:
                    self._skip(f"award {status}")
                    continue
                suppliers = [s for s in _list(a.get("suppliers")) if isinstance(s, dict)]
                supplier_ids = list(dict.fromkeys(
                    x for x in (org_for(s, "supplier", f"awards[{ai}].suppliers[{si}]")
                                for si, s in enumerate(suppliers)) if x))
                if not supplier_ids:
                    self._skip("award without suppliers")
                    self._publisher_error(file, f"ocid {ocid}", f"awards[{ai}].suppliers",
                                          f"award {a.get('id')} names no supplier that has an identifier, "
                                          "an id or a name; award skipped")
                    continue
                if buyer is None:
                    self._skip("award without a buyer")
                    self.warnings.append(f"{file}, {where}: award {a.get('id')} has no buyer; skipped")
                    continue
                con = next((c for c in contracts if str(c.get("awardID")) == str(a.get("id"))), None)
                value, currency, value_from = None, None, None
                for src, obj in (("contract", con), ("award", a)):
                    v = (obj or {}).get("value")
                    if isinstance(v, dict):
                        try:
                            amt = parse_number(v.get("amount"))
                        except ParseError:
                            amt = None
                        if amt is not None:
                            value, currency, value_from = amt, parse_text(v.get("currency")), src
                            break
                period = None
                for obj, key in ((con, "period"), (a, "contractPeriod"), (tender, "contractPeriod")):
                    pp = (obj or {}).get(key)
                    if isinstance(pp, dict) and (pp.get("startDate") or pp.get("endDate")):
                        period = pp
                        break
                start = end = None
                if period:
                    start, end = _date(period.get("startDate")), _date(period.get("endDate"))
                    if start is None and end is not None:
                        start = _date(a.get("date"))
                else:
                    start = _date(a.get("date"))
                if value is None:
                    self._skip("award without a value")
                    self.warnings.append(f"{file}, {where}: award {a.get('id')} has no value; skipped")
                    continue
                k = len(supplier_ids)
                for s in supplier_ids:
                    fid = f"{ocid}/{a.get('id')}" + (f"/{s}" if k > 1 else "")
                    flows.append({
                        "id": fid, "funder": buyer, "recipient": s, "amount": value / k,
                        "start": start, "end": end, "service": None, "kind": "contract",
                        "programme": None, "currency": currency or "GBP",
                        "route": parse_text(tender.get("procurementMethodDetails"))
                        or parse_text(tender.get("procurementMethod")),
                        "title": parse_text(a.get("title")) or parse_text(tender.get("title")),
                        "ocid": ocid, "award_status": status or None, "value_from": value_from,
                        "amount_shared_by": k if k > 1 else None,
                        "cpv": parse_text((tender.get("classification") or {}).get("id"))
                        if isinstance(tender.get("classification"), dict) else None,
                        "tender_sme_suitable": _bool((tender.get("suitability") or {}).get("sme"))
                        if isinstance(tender.get("suitability"), dict) else None,
                        "tender_vcse_suitable": _bool((tender.get("suitability") or {}).get("vcse"))
                        if isinstance(tender.get("suitability"), dict) else None,
                        **meta})
        if tender_only:
            self.warnings.append(f"{self.path}: {tender_only} contracting process(es) have no awards yet "
                                 "(tender or planning only): their organisations are loaded, with no funding flows")
            self._skip("process without awards", tender_only)
        if self._identity_warnings > 20:
            counts: dict[str, int] = {}
            for how in self._identified.values():
                counts[how] = counts.get(how, 0) + 1
            self.warnings.append(f"{self.path}: {self._identity_warnings} supplier(s) not identified by an "
                                 "identifier scheme and id (" + ", ".join(f"by {k}: {v}" for k, v in
                                                                          sorted(counts.items())) + ")")
        non_gbp = sum(1 for f in flows if f["currency"] not in ("GBP", None))
        if non_gbp:
            self.warnings.append(f"{self.path}: {non_gbp} flow(s) are not in GBP; amounts kept as published")
        org_rows = []
        for o in orgs.values():
            o = dict(o)
            o["roles"] = ";".join(sorted(o["roles"]))
            org_rows.append(o)
        if self.issues:
            raise ValidationError(self.issues, self.warnings)
        funding = _frame(flows, "funding")
        return CanonicalTables({"organisations": _frame(org_rows, "organisations"), "funding": funding},
                               self.warnings, self.skipped)


def _looks_like_lines(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    try:
        json.loads(first)
        return True
    except json.JSONDecodeError:
        return False


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "yes", "false", "no"):
        return v.strip().lower() in ("true", "yes")
    return None


def _date(v: Any) -> dt.date | None:
    try:
        return parse_date(v) if isinstance(v, str) else None
    except ParseError:
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
    if o["postcode"] is None and isinstance(address.get("postalCode"), str) and address["postalCode"].strip():
        o["postcode"] = address["postalCode"].strip().upper()
    scale = details.get("scale")
    if o["scale"] is None and isinstance(scale, str):
        o["scale"] = scale.strip().lower()
    vcse = _bool(details.get("vcse"))
    if vcse is not None and o["vcse"] is None:
        o["vcse"] = vcse
        if vcse:
            o["sector"] = "vcse"


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
