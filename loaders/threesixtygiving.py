"""360Giving grants -> funding flows and organisations.

Reads the 360Giving JSON package (``{"grants": [...]}``, streamed with ijson
so a million-grant file loads in bounded memory), a bare JSON array of
grants, and CSV/XLSX files with the standard's flattened column titles
(``Recipient Org:Identifier``, ``Amount Awarded``, ``Planned Dates:Start
Date``, … or the raw ``recipientOrganization/0/id`` paths). In a workbook the
first sheet with grant columns is used, whatever its name.

Canonical output
----------------
* ``funding``: one row per grant (``kind`` = ``grant``), funder -> recipient,
  ``amount`` from ``amountAwarded`` as an exact ``decimal.Decimal`` in the
  grant's ``currency`` (GBP when none is given; a code that is not ISO 4217 is
  a warning, kept as given and never added to another currency).
  ``start``/``end`` come from the planned dates; else the planned start plus
  the planned duration; else the award date plus the duration (or the planned
  end). A grant with neither an end nor a duration is not open-ended (SPEC
  §5): it ends ``assume_months`` (default 12; ``ecomap load --assume-months
  N``) calendar months after its planned start, else its award date
  (:func:`loaders.parse.assumed_end`), with ``end_assumed`` true, and one
  warning gives the count. ``date_basis`` says which rule applied.
  ``places`` holds the grant's ``beneficiaryLocation`` GSS codes at any level
  (ward, LSOA, LA, region, country; stored on the flow as
  ``beneficiary_places``), *not* as place references, so a grant load does not
  depend on the geography being loaded. Pass ``places=True`` to also create
  minimal ``places`` rows for those codes.
* ``organisations``: every funder and recipient with its org-id, charity and
  company numbers and ``postcode`` (the recipient's postal code, normalised to
  ``M15 4AB`` form; text that is no UK postcode is not kept). A recipient with
  a charity number (``GB-CHC-``/``GB-SC-``/``GB-NIC-`` id or ``charityNumber``)
  is sector ``vcse``.
* Grants to individuals (``recipientIndividual``, or recipient ids in the
  ``360G-…-IND`` style) are skipped, counted and warned about.

Publishers' errors never block a load: each is a warning naming the file, the
grant (JSON path or sheet row, with its id) and the field; the first 20 of a
kind are listed, then one count. With ``strict`` (``ecomap load --strict``)
each is an error and nothing loads. One rule per case:

- an end before the start: the end is not used (so a duration, else the
  assumed end, applies);
- an unreadable date: not used (a planned start falls back to the award
  date); a grant left with no date at all is skipped;
- an unreadable or non-positive duration: not used;
- a missing, unreadable or negative amount: the grant is skipped (a flow with
  no amount says nothing about money);
- a missing identifier (the grant's, the funder's or the recipient's): the
  grant is skipped.

Skipped grants are counted in ``skipped`` by reason.

``_file``, ``_sheet`` and ``_row`` locate each record: for spreadsheets the
sheet and row (header = 1); for JSON ``_sheet`` is the JSON path
(``grants[17]``) and ``_row`` the 1-based grant number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import pathlib
import re
import sys
from typing import Any, Iterator

import pandas as pd

from ecosystem.model import TABLES, CanonicalTables, Issue, ValidationError, add_months, empty_table

from . import identity
from .parse import (DEFAULT_ASSUME_MONTHS, ParseError, assumed_end, check_assume_months, currency_problem, is_blank,
                    normalise_postcode, parse_currency, parse_date, parse_money, parse_number, parse_text)

FORMAT = "360giving"
log = logging.getLogger(__name__)

_IND = re.compile(r"(?i)^360G-.+-IND(?:[-_].*)?$|^360G-IND-|-IND-\d*$")
_GSS = re.compile(r"^[EWSNK]\d{8}$")
_LEVELS = {"E00": "oa", "W00": "oa", "E01": "lsoa", "W01": "lsoa", "E02": "msoa", "W02": "msoa",
           "E05": "ward", "W05": "ward", "S13": "ward", "N08": "ward", "E06": "la", "E07": "la", "E08": "la",
           "E09": "la", "W06": "la", "S12": "la", "N09": "la", "E10": "county", "E12": "region",
           "E92": "country", "W92": "country", "S92": "country", "N92": "country", "K02": "country",
           "K03": "country", "K04": "country"}

# flattened column title (normalised) -> field; both the titles and the raw JSON paths.
_COLUMNS = {
    "identifier": "id", "id": "id",
    "title": "title", "description": "description", "currency": "currency",
    "amountawarded": "amount", "awarddate": "award_date",
    "plannedduration": "duration",
    "planneddatesstartdate": "planned_start", "planneddatesenddate": "planned_end",
    "planneddatesdurationmonths": "duration", "planneddatesduration": "duration",
    "planneddatesstartdate0": "planned_start",
    "recipientorgidentifier": "recipient_id", "recipientorganizationid": "recipient_id",
    "recipientorgname": "recipient_name", "recipientorganizationname": "recipient_name",
    "recipientorgcharitynumber": "recipient_charity", "recipientorganizationcharitynumber": "recipient_charity",
    "recipientorgcompanynumber": "recipient_company", "recipientorganizationcompanynumber": "recipient_company",
    "recipientorgpostalcode": "recipient_postcode", "recipientorganizationpostalcode": "recipient_postcode",
    "recipientindidentifier": "individual_id", "recipientindividualid": "individual_id",
    "recipientindname": "individual_name", "recipientindividualname": "individual_name",
    "fundingorgidentifier": "funder_id", "fundingorganizationid": "funder_id",
    "fundingorgname": "funder_name", "fundingorganizationname": "funder_name",
    "grantprogrammetitle": "programme", "grantprogrammecode": "programme_code",
    "beneficiarylocationgeographiccode": "geo_code", "beneficiarylocationgeocode": "geo_code",
    "beneficiarylocationgeographiccodetype": "geo_code_type", "beneficiarylocationgeocodetype": "geo_code_type",
    "beneficiarylocationname": "geo_name",
    "fromanopencall": "from_open_call", "fromopencall": "from_open_call",
}
_LIST_FIELDS = {"geo_code", "geo_code_type", "geo_name", "programme", "programme_code"}


def _norm_header(h: Any) -> str:
    parts = [p for p in re.split(r"[:/]", str(h or "")) if not p.strip().isdigit()]
    return re.sub(r"[^a-z0-9]", "", "".join(parts).lower())


def _header_map(headers: list[Any]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, h in enumerate(headers):
        f = _COLUMNS.get(_norm_header(h))
        if f and (f in _LIST_FIELDS or f not in out.values()):
            out[i] = f
    return out


#: the columns a grant needs, as the standard titles them, and the fields they give
_NEEDED = (("Identifier", ("id",)), ("Amount Awarded", ("amount",)),
           ("Recipient Org:Identifier (or Funding Org:Identifier)", ("recipient_id", "individual_id", "funder_id")))


def _found_columns(headers: list[Any]) -> str:
    """Which of the needed grant columns a header has and lacks, and what it holds instead, for a message."""
    fields = set(_header_map(headers).values())
    missing = [title for title, fs in _NEEDED if not fields & set(fs)]
    shown = ", ".join(repr(str(h).strip()) for h in headers[:10] if h is not None) + (" …" if len(headers) > 10 else "")
    return (f"missing {', '.join(missing)}; found " + (f"{len(headers)} column(s): {shown}" if headers else "no header")
            + " (numbered titles such as 'Beneficiary Location:0:Geographic Code' and raw paths such as "
            "'recipientOrganization/0/id' are read too)")


def _is_grant_header(headers: list[Any]) -> bool:
    fields = set(_header_map(headers).values())
    return "id" in fields and "amount" in fields and bool(fields & {"recipient_id", "individual_id", "funder_id"})


# --------------------------------------------------------------------------
# sniff
# --------------------------------------------------------------------------
def sniff(path: pathlib.Path) -> bool:
    path = pathlib.Path(path)
    if path.is_dir():
        return False
    suffix = path.suffix.lower()
    if suffix == ".json":
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", "ignore")
        return bool(re.search(r'"grants"\s*:\s*\[', head)) or (
            head.lstrip().startswith("[") and '"amountAwarded"' in head)
    if suffix in (".csv", ".txt"):
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
            first = next(csv.reader(f), [])
        return _is_grant_header(first)
    if suffix in (".xlsx", ".xlsm"):
        return _find_sheet(path) is not None
    return False


def _first_sheet_columns(path: pathlib.Path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        return f"in sheet {ws.title!r}: " + _found_columns(list(header))
    finally:
        wb.close()


def _find_sheet(path: pathlib.Path) -> tuple[str, list[Any]] | None:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=1, max_row=1, values_only=True):
                if _is_grant_header(list(row)):
                    return ws.title, list(row)
    finally:
        wb.close()
    return None


# --------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------
def load(path: pathlib.Path, **options: Any) -> CanonicalTables:
    """Load one 360Giving file.

    Options: ``places`` (bool) creates minimal place rows; ``assume_months``
    (default 12) the assumed length of a grant with no end or duration;
    ``strict`` makes publishers' errors refuse the load.
    """
    path = pathlib.Path(path)
    try:
        return _Loader(path, bool(options.get("places", False)), strict=bool(options.get("strict", False)),
                       assume_months=options.get("assume_months") or DEFAULT_ASSUME_MONTHS).run()
    except ValidationError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError, OSError,
            RecursionError, EOFError) as e:
        log.debug("360Giving read failed", exc_info=True)
        raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                     f"could not read this file as 360Giving data: {type(e).__name__}: {e}")]) from None
    except Exception as e:  # openpyxl / zip / ijson errors have no common base
        if type(e).__module__.split(".")[0] in ("ijson", "zipfile", "openpyxl", "xml", "csv", "_csv"):
            raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                         f"could not read this file as 360Giving data: {e}")]) from None
        raise


#: the first this many publisher's errors of each kind are listed one by one, then counted
LISTED = 20


class _Loader:
    def __init__(self, path: pathlib.Path, places: bool, *, strict: bool = False,
                 assume_months: int = DEFAULT_ASSUME_MONTHS):
        self.path = path
        self.file = str(path)
        self.make_places = places
        self.strict = strict
        self.assume_months = check_assume_months(assume_months)
        self.issues: list[Issue] = []
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self.cols: dict[str, list[Any]] = {c: [] for c in (
            "id", "funder", "recipient", "amount", "start", "end", "end_assumed", "kind", "programme", "currency",
            "title", "date_basis", "award_date", "places", "beneficiary_names", "_file", "_sheet",
            "_row")}
        self.orgs: dict[str, dict[str, Any]] = {}
        self.places: dict[str, dict[str, Any]] = {}
        self.assumed = 0
        self.errors: dict[str, int] = {}  # publisher's error kind -> count
        self.currencies: dict[str, int] = {}  # unknown currency code -> grants
        self.vcse_by_charity = 0

    # ---- readers: each yields (sheet, row, record-as-flat-dict) ----
    def run(self) -> CanonicalTables:
        suffix = self.path.suffix.lower()
        if suffix == ".json":
            records = self._json()
        elif suffix in (".xlsx", ".xlsm"):
            records = self._xlsx()
        elif suffix in (".csv", ".txt"):
            records = self._csv()
        else:
            raise ValidationError([Issue(self.file, None, None, None, suffix, "format",
                                         "360Giving data must be .json, .csv or .xlsx")])
        n = 0
        for sheet, row, rec in records:
            n += 1
            self._grant(sheet, row, rec)
        if n == 0 and not self.issues:
            self.issues.append(Issue(self.file, None, None, None, None, "empty", "no grants found in this file"))
        if self.issues:
            raise ValidationError(self.issues, self.warnings)
        return self._tables()

    def _json(self) -> Iterator[tuple[str, int, dict[str, Any]]]:
        import ijson

        with self.path.open("rb") as f:
            head = f.read(64).lstrip()
        prefix = "item" if head.startswith(b"[") else "grants.item"
        label = "" if prefix == "item" else "grants"
        with self.path.open("rb") as f:
            for i, g in enumerate(ijson.items(f, prefix, use_float=True)):
                where = f"{label}[{i}]"
                if not isinstance(g, dict):
                    self.issues.append(Issue(self.file, where, i + 1, None, _short(g), "shape",
                                             "a grant must be a JSON object"))
                    continue
                yield where, i + 1, _flatten_json(g)

    def _csv(self) -> Iterator[tuple[str | None, int, dict[str, Any]]]:
        raw = self.path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
            self.warnings.append(f"{self.file}: not UTF-8; read as Windows-1252")
        reader = csv.reader(io.StringIO(text, newline=""))
        headers = next(reader, None)
        if not headers or not _is_grant_header(headers):
            raise ValidationError([Issue(self.file, None, 1, None, None, "required_column",
                                         "no 360Giving grant columns (Identifier, Amount Awarded, "
                                         "Recipient Org:Identifier, Funding Org:Identifier); "
                                         + _found_columns(headers or []))])
        yield from self._rows(None, headers, reader)

    def _xlsx(self) -> Iterator[tuple[str | None, int, dict[str, Any]]]:
        import openpyxl

        found = _find_sheet(self.path)
        if found is None:
            raise ValidationError([Issue(self.file, None, 1, None, None, "required_column",
                                         "no sheet has 360Giving grant columns (Identifier, Amount Awarded, "
                                         "Recipient Org:Identifier, Funding Org:Identifier); "
                                         + _first_sheet_columns(self.path))])
        title, headers = found
        wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            rows = wb[title].iter_rows(min_row=2, values_only=True)
            yield from self._rows(title, headers, rows)
        finally:
            wb.close()

    def _rows(self, sheet, headers, rows) -> Iterator[tuple[str | None, int, dict[str, Any]]]:
        hmap = _header_map(headers)
        for r, values in enumerate(rows, start=2):
            values = list(values)
            if all(is_blank(v) for v in values):
                continue
            rec: dict[str, Any] = {}
            for i, f in hmap.items():
                v = values[i] if i < len(values) else None
                if f in _LIST_FIELDS:
                    rec.setdefault(f, []).append(v)
                else:
                    rec[f] = v
            rec["_columns"] = {f: str(headers[i]) for i, f in hmap.items()}
            yield sheet, r, rec

    # ---- one grant ----
    def _where(self, sheet: str | None, row: int, gid: Any) -> str:
        """A grant's place in the file, as its publisher sees it."""
        if self.path.suffix.lower() == ".json":
            return f"{sheet}" + (f" (id {gid})" if gid else "")
        return (f"sheet {sheet}, " if sheet else "") + f"row {row}" + (f" (id {gid})" if gid else "")

    def _publisher_error(self, kind: str, sheet: str | None, row: int, gid: Any, field: str, value: Any,
                         message: str) -> None:
        """A publisher's error: a located warning (the first 20 of each kind, then a count), an error if strict."""
        if self.strict:
            self.issues.append(Issue(self.file, sheet, row, field, _short(value), "publisher", message))
            return
        n = self.errors[kind] = self.errors.get(kind, 0) + 1
        if n <= LISTED:
            self.warnings.append(f"{self.file}, {self._where(sheet, row, gid)}, {field}: {message}")

    def _grant(self, sheet: str | None, row: int, g: dict[str, Any]) -> None:
        cols = g.get("_columns", {})

        def field(name: str) -> str:
            return cols.get(name, _JSON_NAMES.get(name, name))

        gid = parse_text(g.get("id"))

        def skip(kind: str, name: str, value: Any, message: str) -> None:
            self._publisher_error(kind, sheet, row, gid, field(name), value, message + "; the grant was not loaded")
            reason = f"grant {kind}"
            self.skipped[reason] = self.skipped.get(reason, 0) + 1

        if gid is None:
            skip("without an identifier", "id", None, "the grant has no identifier")
            return
        recipient_id = identity.clean_identifier(g.get("recipient_id"), upper=False)
        if not is_blank(g.get("individual_id")) or g.get("_individual") or (
                recipient_id and _IND.search(recipient_id)):
            self.skipped["grant to an individual"] = self.skipped.get("grant to an individual", 0) + 1
            return
        funder_id = identity.clean_identifier(g.get("funder_id"), upper=False)
        if not funder_id:
            skip("without an identifier", "funder_id", None, "the grant has no funding organisation identifier")
            return
        if not recipient_id:
            skip("without an identifier", "recipient_id", None, "the grant has no recipient organisation identifier")
            return
        raw_amount = g.get("amount")
        try:
            amount = parse_money(raw_amount)
        except ParseError as e:
            skip("with an unreadable amount", "amount", raw_amount, f"Amount Awarded {_short(raw_amount)!r}: {e}")
            return
        if amount is None:
            skip("without an amount", "amount", None, "the grant has no Amount Awarded")
            return
        if amount < 0:
            skip("with a negative amount", "amount", raw_amount, f"Amount Awarded {amount} is negative")
            return
        start, end, basis, assumed = self._dates(g, sheet, row, gid, field)
        if start is None:
            if self.strict and self._bad_date:
                return  # the unreadable date is the error already reported
            skip("without a date", "award_date", g.get("award_date"),
                 "the grant has no readable award date or planned start")
            return
        currency = parse_currency(g.get("currency")) or "GBP"
        if currency_problem(currency):
            self.currencies[currency] = self.currencies.get(currency, 0) + 1
            if self.currencies[currency] == 1:
                self.warnings.append(f"{self.file}, {self._where(sheet, row, gid)}, {field('currency')}: "
                                     f"{currency_problem(currency)}")

        self._org(funder_id, g.get("funder_name"), None, None, None, sheet, row, "funder")
        self._org(recipient_id, g.get("recipient_name"), g.get("recipient_charity"),
                  g.get("recipient_company"), g.get("recipient_postcode"), sheet, row, "recipient")

        codes, names = [], []
        for code, ctype, name in _zip_longest(g.get("geo_code") or [], g.get("geo_code_type") or [],
                                              g.get("geo_name") or []):
            c = parse_text(code)
            if c and _GSS.match(c.upper()):
                c = c.upper()
                if c not in codes:
                    codes.append(c)
                if self.make_places and c not in self.places:
                    self.places[c] = {"code": c, "name": parse_text(name) or c,
                                      "level": _LEVELS.get(c[:3], (parse_text(ctype) or "area").lower()),
                                      "parent": None, "_file": self.file, "_sheet": sheet, "_row": row}
            n = parse_text(name)
            if n and n not in names:
                names.append(n)
        programmes = [p for p in (parse_text(x) for x in g.get("programme") or []) if p]
        c = self.cols
        c["id"].append(gid)
        c["funder"].append(sys.intern(funder_id))
        c["recipient"].append(sys.intern(recipient_id))
        c["amount"].append(amount)
        c["start"].append(start)
        c["end"].append(end)
        c["end_assumed"].append(assumed)
        c["kind"].append("grant")
        c["programme"].append("; ".join(programmes) or None)
        c["currency"].append(sys.intern(currency))
        c["title"].append(parse_text(g.get("title")))
        c["date_basis"].append(basis)
        c["award_date"].append(self._award)
        c["places"].append(codes)
        c["beneficiary_names"].append("; ".join(names) or None)
        c["_file"].append(self.file)
        c["_sheet"].append(sheet)
        c["_row"].append(row)

    def _date(self, g, name, sheet, row, gid, field) -> dt.date | None:
        v = g.get(name)
        try:
            return parse_loose_date(v)
        except ParseError as e:
            self._bad_date = True
            self._publisher_error("with an unreadable date", sheet, row, gid, field(name), v,
                                  f"{_short(v)!r} is not a date ({e}); not used")
            return None

    def _dates(self, g, sheet, row, gid, field) -> tuple[dt.date | None, dt.date | None, str, bool]:
        """(start, end, date_basis, end_assumed) by the rules in the module docstring."""
        self._bad_date = False
        self._award = award = self._date(g, "award_date", sheet, row, gid, field)
        start = self._date(g, "planned_start", sheet, row, gid, field)
        end = self._date(g, "planned_end", sheet, row, gid, field)
        raw_duration = g.get("duration")
        try:
            duration = parse_number(raw_duration)
        except ParseError:
            duration = None
            self._publisher_error("with an unreadable duration", sheet, row, gid, field("duration"), raw_duration,
                                  f"duration {_short(raw_duration)!r} is not a number of months; not used")
        if duration is not None and duration <= 0:
            self._publisher_error("with an unreadable duration", sheet, row, gid, field("duration"), raw_duration,
                                  f"duration {duration:g} months is not a length; not used")
            duration = None
        first = start or award
        if first and end and end < first:
            self._publisher_error("with an end before its start", sheet, row, gid, field("planned_end"),
                                  end.isoformat(), f"planned end {end} is before the "
                                  f"{'planned start' if start else 'award date'} {first}; the end was not used")
            end = None
        if start and end:
            return start, end, "planned_dates", False
        if start and duration:
            return start, add_months(start, int(round(duration))) - dt.timedelta(days=1), "planned_start_duration", False
        if start:
            self.assumed += 1
            return start, assumed_end(start, self.assume_months), "planned_start_assumed_end", True
        if award and duration:
            return award, add_months(award, int(round(duration))) - dt.timedelta(days=1), "award_date_duration", False
        if award and end:
            return award, end, "award_date_planned_end", False
        if award:
            self.assumed += 1
            return award, assumed_end(award, self.assume_months), "award_date_assumed_end", True
        return None, None, "no_date", False

    def _org(self, oid, name, charity, company, postcode, sheet, row, role) -> None:
        org = self.orgs.get(oid)
        if org is None:
            parts = identity.split_org_id(oid)
            org = self.orgs[oid] = {
                "id": oid, "name": parse_text(name) or oid, "sector": None, "sector_basis": None, "income": None,
                "charity_number": None, "company_number": None, "postcode": None, "place": None,
                "roles": set(), "_file": self.file, "_sheet": sheet, "_row": row}
            if parts and parts[0] in identity.CHARITY_SCHEMES:
                org["charity_number"] = parts[1]
            if parts and parts[0] in identity.COMPANY_SCHEMES:
                org["company_number"] = identity.company_number(parts[1])
        org["roles"].add(role)
        if org["charity_number"] is None and not is_blank(charity):
            org["charity_number"] = identity.charity_number(charity)
        if role == "recipient" and org["sector"] is None and org["charity_number"]:
            org["sector"] = "vcse"  # a registered charity is a VCSE organisation
            org["sector_basis"] = "charity number"  # derived: a sector the user gives elsewhere is kept over it
            self.vcse_by_charity += 1
        if org["company_number"] is None and not is_blank(company):
            org["company_number"] = identity.company_number(company)
        if org["postcode"] is None and not is_blank(postcode):
            org["postcode"] = normalise_postcode(postcode)
        if org["name"] == oid and parse_text(name):
            org["name"] = parse_text(name)

    def _tables(self) -> CanonicalTables:
        funding = pd.DataFrame(self.cols, dtype=object)
        orgs = []
        for o in self.orgs.values():
            o = dict(o)
            o["roles"] = ";".join(sorted(o["roles"]))
            orgs.append(o)
        organisations = pd.DataFrame(orgs, dtype=object) if orgs else empty_table("organisations")
        places = pd.DataFrame(list(self.places.values()), dtype=object) if self.places else empty_table("places")
        skipped = dict(self.skipped)
        if skipped.get("grant to an individual"):
            self.warnings.append(f"{self.file}: {skipped['grant to an individual']} grant(s) to individuals "
                                 "skipped (ecomap maps organisations)")
        for kind, n in sorted(self.errors.items()):
            if n > LISTED:
                self.warnings.append(f"{self.file}: {n} grant(s) {kind} in all ({LISTED} listed above)")
        for code, n in sorted(self.currencies.items()):
            if n > 1:
                self.warnings.append(f"{self.file}: {n} grant(s) in all are in {code!r}, which is not an ISO 4217 "
                                     "code")
        if self.assumed:
            self.warnings.append(f"{self.file}: {self.assumed} grant(s) have no planned end date or duration; "
                                 f"each was given an assumed end {self.assume_months} months after its planned "
                                 f"start, else its award date (end_assumed; change it with --assume-months N)")
        return CanonicalTables({"funding": _order(funding, "funding"),
                                "organisations": _order(organisations, "organisations"),
                                "places": _order(places, "places")}, self.warnings, skipped)


_JSON_NAMES = {"id": "id", "amount": "amountAwarded", "award_date": "awardDate", "currency": "currency",
               "planned_start": "plannedDates/0/startDate", "planned_end": "plannedDates/0/endDate",
               "duration": "plannedDates/0/duration", "recipient_id": "recipientOrganization/0/id",
               "funder_id": "fundingOrganization/0/id"}


def _order(df: pd.DataFrame, name: str) -> pd.DataFrame:
    cols = list(TABLES[name].columns)
    for c in cols:
        if c not in df.columns:
            df[c] = None
    return df[cols + [c for c in df.columns if c not in cols]]


def _first(v: Any) -> Any:
    """360Giving org fields may be an object or an array of objects."""
    if isinstance(v, list):
        return v[0] if v else None
    return v


def _flatten_json(g: dict[str, Any]) -> dict[str, Any]:
    rec = _first(g.get("recipientOrganization"))
    fund = _first(g.get("fundingOrganization"))
    planned = _first(g.get("plannedDates"))
    rec = rec if isinstance(rec, dict) else {}
    fund = fund if isinstance(fund, dict) else {}
    planned = planned if isinstance(planned, dict) else {}
    locs = g.get("beneficiaryLocation") or []
    locs = [x for x in (locs if isinstance(locs, list) else [locs]) if isinstance(x, dict)]
    progs = g.get("grantProgramme") or []
    progs = [x for x in (progs if isinstance(progs, list) else [progs]) if isinstance(x, dict)]
    ind = g.get("recipientIndividual")
    return {
        "id": g.get("id"), "title": g.get("title"), "currency": g.get("currency"),
        "amount": g.get("amountAwarded"), "award_date": g.get("awardDate"),
        "planned_start": planned.get("startDate"), "planned_end": planned.get("endDate"),
        "duration": planned.get("duration"),
        "recipient_id": rec.get("id"), "recipient_name": rec.get("name"),
        "recipient_charity": rec.get("charityNumber"), "recipient_company": rec.get("companyNumber"),
        "recipient_postcode": rec.get("postalCode"),
        "funder_id": fund.get("id"), "funder_name": fund.get("name"),
        "individual_id": (_first(ind) or {}).get("id") if isinstance(_first(ind), dict) else None,
        "_individual": bool(ind),
        "geo_code": [x.get("geoCode") for x in locs], "geo_code_type": [x.get("geoCodeType") for x in locs],
        "geo_name": [x.get("name") for x in locs],
        "programme": [x.get("title") for x in progs],
    }


def _zip_longest(*lists):
    n = max((len(x) for x in lists), default=0)
    return [tuple(x[i] if i < len(x) else None for x in lists) for i in range(n)]


def _short(v: Any) -> Any:
    if v is None or isinstance(v, (int, float, bool)):
        return v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    s = str(v) if not isinstance(v, (dict, list)) else json.dumps(v, default=str)
    return s if len(s) <= 80 else s[:77] + "…"


_TEXT_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%d/%m/%y", "%d-%b-%Y", "%d-%b-%y", "%Y/%m/%d")


def parse_loose_date(v: Any) -> dt.date | None:
    """:func:`parse_date` plus the text forms found in date columns ("1 April 2019")."""
    try:
        return parse_date(v)
    except ParseError:
        s = " ".join(str(v).split()).strip().rstrip(".")
        for fmt in _TEXT_FORMATS:
            try:
                return dt.datetime.strptime(s, fmt).date()
            except ValueError:
                continue
        raise
