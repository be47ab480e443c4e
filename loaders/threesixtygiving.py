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
  ``amount`` from ``amountAwarded``. ``start``/``end`` come from the planned
  dates; else the award date plus the planned duration; else the award date
  with an open end, flagged by ``date_basis`` = ``award_date_open_end`` (and a
  warning). Beneficiary location GSS codes are kept in the property
  ``beneficiary_places`` (``;`` separated) and *not* as place references, so a
  grant load does not depend on the geography being loaded. Pass
  ``places=True`` to also create minimal ``places`` rows for those codes.
* ``organisations``: every funder and recipient with its org-id, charity and
  company numbers and postcode.
* Grants to individuals (``recipientIndividual``, or recipient ids in the
  ``360G-…-IND`` style) are skipped, counted and warned about.

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
from .parse import ParseError, is_blank, parse_date, parse_number, parse_text

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
    """Load one 360Giving file. Options: ``places`` (bool) creates minimal place rows."""
    path = pathlib.Path(path)
    try:
        return _Loader(path, bool(options.get("places", False))).run()
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


class _Loader:
    def __init__(self, path: pathlib.Path, places: bool):
        self.path = path
        self.file = str(path)
        self.make_places = places
        self.issues: list[Issue] = []
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self.cols: dict[str, list[Any]] = {c: [] for c in (
            "id", "funder", "recipient", "amount", "start", "end", "kind", "programme", "currency",
            "title", "date_basis", "award_date", "beneficiary_places", "beneficiary_names", "_file", "_sheet",
            "_row")}
        self.orgs: dict[str, dict[str, Any]] = {}
        self.places: dict[str, dict[str, Any]] = {}
        self.open_end = 0
        self.bad_dates = 0
        self.reversed_dates = 0

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
                                         "Recipient Org:Identifier, Funding Org:Identifier)")])
        yield from self._rows(None, headers, reader)

    def _xlsx(self) -> Iterator[tuple[str | None, int, dict[str, Any]]]:
        import openpyxl

        found = _find_sheet(self.path)
        if found is None:
            raise ValidationError([Issue(self.file, None, 1, None, None, "required_column",
                                         "no sheet has 360Giving grant columns (Identifier, Amount Awarded, "
                                         "Recipient Org:Identifier, Funding Org:Identifier)")])
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
    def _grant(self, sheet: str | None, row: int, g: dict[str, Any]) -> None:
        cols = g.get("_columns", {})

        def issue(field: str, value: Any, check: str, msg: str) -> None:
            self.issues.append(Issue(self.file, sheet, row, cols.get(field, _JSON_NAMES.get(field, field)),
                                     _short(value), check, msg))

        gid = parse_text(g.get("id"))
        if gid is None:
            issue("id", None, "required", "grant has no identifier")
            return
        recipient_id = identity.clean_identifier(g.get("recipient_id"), upper=False)
        if not is_blank(g.get("individual_id")) or g.get("_individual") or (
                recipient_id and _IND.search(recipient_id)):
            self.skipped["grant to an individual"] = self.skipped.get("grant to an individual", 0) + 1
            return
        funder_id = identity.clean_identifier(g.get("funder_id"), upper=False)
        if not funder_id:
            issue("funder_id", None, "required", "grant has no funding organisation identifier")
        if not recipient_id:
            issue("recipient_id", None, "required", "grant has no recipient organisation identifier")
        try:
            amount = parse_number(g.get("amount"))
        except ParseError as e:
            issue("amount", g.get("amount"), "number", f"Amount Awarded: {e}")
            amount = None
        else:
            if amount is None:
                issue("amount", None, "required", "grant has no Amount Awarded")
        start, end, basis = self._dates(g, issue)
        if not funder_id or not recipient_id or amount is None:
            return

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
        c["kind"].append("grant")
        c["programme"].append("; ".join(programmes) or None)
        c["currency"].append(sys.intern(parse_text(g.get("currency")) or "GBP"))
        c["title"].append(parse_text(g.get("title")))
        c["date_basis"].append(basis)
        c["award_date"].append(self._award)
        c["beneficiary_places"].append(";".join(codes) or None)
        c["beneficiary_names"].append("; ".join(names) or None)
        c["_file"].append(self.file)
        c["_sheet"].append(sheet)
        c["_row"].append(row)

    def _date(self, g, field, issue, required=False) -> dt.date | None:
        v = g.get(field)
        try:
            return parse_loose_date(v)
        except ParseError as e:
            if required:
                issue(field, v, "date", f"{_JSON_NAMES.get(field, field)}: {e}")
            else:
                self.bad_dates += 1
                if self.bad_dates <= 20:
                    self.warnings.append(f"{self.file}: grant {g.get('id')}: {_JSON_NAMES.get(field, field)} "
                                         f"{_short(v)!r} is not a date; ignored")
            return None

    def _dates(self, g, issue) -> tuple[dt.date | None, dt.date | None, str]:
        self._award = award = self._date(g, "award_date", issue, required=True)
        start = self._date(g, "planned_start", issue)
        end = self._date(g, "planned_end", issue)
        try:
            duration = parse_number(g.get("duration"))
        except ParseError:
            duration = None
        if start and end and end < start:
            self.reversed_dates += 1
            if self.reversed_dates <= 20:
                self.warnings.append(f"{self.file}: grant {g.get('id')}: planned end {end} is before planned start "
                                     f"{start}; the end date was ignored")
            end = None
        if start and end:
            return start, end, "planned_dates"
        if start and duration:
            return start, add_months(start, int(round(duration))) - dt.timedelta(days=1), "planned_start_duration"
        if start:
            self.open_end += 1
            return start, None, "planned_start_open_end"
        if award and duration:
            return award, add_months(award, int(round(duration))) - dt.timedelta(days=1), "award_date_duration"
        if award and end and end >= award:
            return award, end, "award_date_planned_end"
        self.open_end += 1
        return award, None, "award_date_open_end"

    def _org(self, oid, name, charity, company, postcode, sheet, row, role) -> None:
        org = self.orgs.get(oid)
        if org is None:
            parts = identity.split_org_id(oid)
            org = self.orgs[oid] = {
                "id": oid, "name": parse_text(name) or oid, "sector": None, "income": None,
                "charity_number": None, "company_number": None, "postcode": None, "place": None,
                "roles": set(), "_file": self.file, "_sheet": sheet, "_row": row}
            if parts and parts[0] in identity.CHARITY_SCHEMES:
                org["charity_number"] = parts[1]
            if parts and parts[0] in identity.COMPANY_SCHEMES:
                org["company_number"] = identity.company_number(parts[1])
        org["roles"].add(role)
        if org["charity_number"] is None and not is_blank(charity):
            org["charity_number"] = identity.charity_number(charity)
        if org["company_number"] is None and not is_blank(company):
            org["company_number"] = identity.company_number(company)
        if org["postcode"] is None and not is_blank(postcode):
            org["postcode"] = parse_text(postcode).upper()
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
        if self.open_end:
            self.warnings.append(f"{self.file}: {self.open_end} grant(s) have no planned end date or duration; "
                                 "loaded with an open end (date_basis = …open_end)")
        if self.bad_dates > 20:
            self.warnings.append(f"{self.file}: {self.bad_dates} date values in all were not dates and were ignored")
        return CanonicalTables({"funding": _order(funding, "funding"),
                                "organisations": _order(organisations, "organisations"),
                                "places": _order(places, "places")}, self.warnings, skipped)


_JSON_NAMES = {"id": "id", "amount": "amountAwarded", "award_date": "awardDate",
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
