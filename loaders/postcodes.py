"""Postcode lookups (ONS Postcode Directory, NSPL, a council's extract of them) -> postcode sectors.

A postcode lookup is a CSV (UTF-8, a BOM and CRLF line ends tolerated) or a
workbook (.xlsx: the first sheet whose first rows hold postcodes and GSS
codes) with one row per postcode: a postcode column and columns of GSS codes
(ward, LSOA, MSOA, local authority, …, of any vintage).
Publishers name the columns differently (``pcds``, ``pcd7``, ``Postcode8``,
``postcode``; ``osward``, ``wd23cd``, ``ward_code``, ``LSOA11CD``…), so the
columns are recognised by their **values** in the first rows: the postcode
column is the one whose values are UK postcodes, the code columns those
whose values are GSS codes (a letter and eight digits). Pseudo-codes such as
``E99999999`` ("not applicable") and columns of other values (names,
coordinates, dates, flags) are ignored. A ``doterm`` column (date of
termination, as ONSPD and NSPL have it) marks terminated postcodes: those
rows are skipped and counted. A file with no postcode column, or no GSS code
column, is refused with what each column was found to hold.

A lookup adds no places: it says which codes each postcode lies in, and the
store places every organisation with a postcode in the smallest *loaded*
place among them (see :mod:`ecosystem.placement`). Load boundaries or a ward
lookup for the places themselves.

The national files hold about 2.7 million postcodes (≈1 GB), so the file is
read as a stream and kept compactly, grouped by postcode sector (``M15 4``,
about 11,000 in the UK): each canonical ``postcodes`` row is one sector with
its units (the last two letters of each postcode, concatenated), the
distinct code sets found in the sector and, per unit, the index of its code
set. Memory grows with the number of sectors and distinct code sets, not
with the file.
"""

from __future__ import annotations

import array
import csv
import logging
import pathlib
import re
from typing import Any

import pandas as pd

from ecosystem.model import CanonicalTables, Issue, ValidationError, table_frame

from .parse import is_blank, normalise_postcode, snake

FORMAT = "postcodes"
log = logging.getLogger(__name__)

#: rows read to recognise the columns
SAMPLE_ROWS = 500
#: share of a column's non-blank sampled values that must be postcodes / GSS codes
_SHARE = 0.8
_GSS = re.compile(r"^[A-Z]\d{8}$")
_PSEUDO = re.compile(r"^[A-Z]99999999$")
#: a real (not pseudo) GSS code, as written in ONS files
_CODE = re.compile(r"[A-Z](?!99999999)\d{8}")
#: a postcode already in pcds form (most rows of most files): no normalising needed
_PCDS = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}")
#: columns that flag terminated postcodes (blank = live)
TERMINATION_COLUMNS = ("doterm", "date_of_termination", "termination_date", "terminated")
#: preferred postcode column when several hold postcodes (all normalise to the same text)
_PREFERRED = ("pcds", "postcode", "pcd2", "pcd", "pcd7", "pcd8", "postcode8", "postcode7")
#: columns of a list of providers, never of a postcode lookup (such files are not taken for lookups unless
#: ``--format postcodes`` says so)
_DIRECTORY_COLUMNS = {"name", "address", "website", "email", "telephone", "phone", "description"}
#: at most this many located warnings per kind
_MAX_WARNINGS = 5


def _is_postcode(v: str) -> bool:
    return normalise_postcode(v) is not None


def recognise(header: list[str], sample: list[list[str]]) -> tuple[int | None, list[int], int | None]:
    """(postcode column, GSS code columns, termination column) of a lookup, by the sampled values."""
    width = len(header)
    pc_scores: list[tuple[float, int, int]] = []
    gss: list[int] = []
    for j in range(width):
        vals = [r[j].strip() for r in sample if j < len(r) and not is_blank(r[j])]
        if not vals:
            continue
        pcs = sum(1 for v in vals if _is_postcode(v)) / len(vals)
        codes = sum(1 for v in vals if _GSS.match(v.upper())) / len(vals)
        if pcs >= _SHARE:
            name = snake(header[j])
            pref = _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)
            pc_scores.append((-pcs, pref, j))
        elif codes >= _SHARE:
            gss.append(j)
    term = next((j for j, h in enumerate(header) if snake(h) in TERMINATION_COLUMNS), None)
    pc = min(pc_scores)[2] if pc_scores else None
    return pc, [j for j in gss if j != term], term


def _is_workbook(path: pathlib.Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def _text(v: Any) -> str:
    """A workbook cell as the text a CSV would hold (a whole number without ``.0``; blank for empty)."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class _Rows:
    """The rows of a lookup as lists of text: a CSV (UTF-8, a BOM tolerated) or a workbook's sheet.

    In a workbook the first sheet whose first rows hold a postcode column and a GSS code column is read
    (else the first sheet); ``sheet`` names it.
    """

    def __init__(self, path: pathlib.Path, encoding: str = "utf-8-sig"):
        self.path, self.sheet, self.encoding = path, None, encoding
        if _is_workbook(path):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                for ws in wb.worksheets:
                    header, sample = self._sample(ws.iter_rows(values_only=True))
                    pc, gss, _ = recognise(header, sample)
                    if self.sheet is None:
                        self.sheet = ws.title
                    if pc is not None and gss:
                        self.sheet = ws.title
                        break
            finally:
                wb.close()

    @staticmethod
    def _sample(rows) -> tuple[list[str], list[list[str]]]:
        header: list[str] | None = None
        sample: list[list[str]] = []
        for row in rows:
            row = [_text(v) for v in row]
            if header is None:
                header = row
                continue
            sample.append(row)
            if len(sample) >= SAMPLE_ROWS:
                break
        return header or [], sample

    def __iter__(self):
        if _is_workbook(self.path):
            import openpyxl

            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            try:
                ws = wb[self.sheet] if self.sheet else wb.worksheets[0]
                for row in ws.iter_rows(values_only=True):
                    yield [_text(v) for v in row]
            finally:
                wb.close()
            return
        with self.path.open("r", encoding=self.encoding, errors="strict" if self.encoding == "utf-8-sig" else "replace",
                            newline="") as f:
            yield from csv.reader(f)

    def head(self) -> tuple[list[str], list[list[str]]]:
        return self._sample(iter(self))


def _head(path: pathlib.Path) -> tuple[list[str], list[list[str]]]:
    if _is_workbook(path):
        return _Rows(path).head()
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        sample = []
        for row in reader:
            sample.append(row)
            if len(sample) >= SAMPLE_ROWS:
                break
    return header, sample


#: what a postcode lookup can be
SUFFIXES = (".csv", ".xlsx", ".xlsm")


def describe_columns(header: list[str], sample: list[list[str]], limit: int = 8) -> str:
    """What each column holds in the sampled rows, for a message: ``'Ward' (text, e.g. 'Ardwick')``."""
    out = []
    for j, h in enumerate(header[:limit]):
        vals = [r[j].strip() for r in sample if j < len(r) and not is_blank(r[j])]
        if not vals:
            kind = "blank"
        elif sum(1 for v in vals if _is_postcode(v)) / len(vals) >= _SHARE:
            kind = f"postcodes, e.g. {vals[0]!r}"
        elif sum(1 for v in vals if _PSEUDO.match(v.upper())) / len(vals) >= _SHARE:
            kind = f"only pseudo-codes ('not applicable'), e.g. {vals[0]!r}"
        elif sum(1 for v in vals if _GSS.match(v.upper())) / len(vals) >= _SHARE:
            kind = f"GSS codes, e.g. {vals[0]!r}"
        else:
            kind = f"other values, e.g. {vals[0][:40]!r}"
        out.append(f"{str(h).strip()!r} ({kind})")
    more = len(header) - limit
    return "; ".join(out) + (f"; and {more} more column(s)" if more > 0 else "") if out else "no columns"


def sniff(path: pathlib.Path) -> bool:
    path = pathlib.Path(path)
    if path.is_dir() or path.suffix.lower() not in SUFFIXES:
        return False
    header, sample = _Rows(path).head() if _is_workbook(path) else _head(path)
    if not sample or {snake(h) for h in header} & _DIRECTORY_COLUMNS:
        return False
    pc, gss, _ = recognise(header, sample)
    return pc is not None and bool(gss)


def why_not(path: pathlib.Path) -> str | None:
    """Why auto-detection passed over a file that has postcodes and GSS codes (None when it did not have them):
    it also has columns a list of services has, so it may be either."""
    path = pathlib.Path(path)
    if path.is_dir() or path.suffix.lower() not in SUFFIXES:
        return None
    header, sample = _Rows(path).head() if _is_workbook(path) else _head(path)
    pc, gss, _ = recognise(header, sample)
    listed = [h for h in header if snake(h) in _DIRECTORY_COLUMNS]
    if pc is None or not gss or not listed:
        return None
    return (f"it has postcodes in {header[pc]!r} and GSS codes in {', '.join(repr(header[j]) for j in gss[:3])}, "
            f"but also {', '.join(repr(h) for h in listed[:3])} as a list of services has: if it is a postcode "
            "lookup, pass --format postcodes; if it is a list of services, --as services --map …")


class _Sector:
    __slots__ = ("units", "combo", "combos", "row")

    def __init__(self, row: int):
        self.units = bytearray()
        self.combo = array.array("I")
        self.combos: dict[str, int] = {}
        self.row = row


def load(path: pathlib.Path, **options: Any) -> CanonicalTables:
    """Read a postcode lookup into the canonical ``postcodes`` table (one row per postcode sector)."""
    path = pathlib.Path(path)
    try:
        try:
            return _load(path)
        except UnicodeDecodeError:  # a council's spreadsheet saved as "CSV" in Excel's Windows encoding
            log.debug("%s is not UTF-8; reading it as Windows-1252", path)
            return _load(path, "cp1252")
    except ValidationError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, UnicodeError, OSError, csv.Error) as e:
        log.debug("postcode lookup read failed", exc_info=True)
        raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                     f"could not read this file as a postcode lookup: {type(e).__name__}: {e}")]) \
            from None


def _load(path: pathlib.Path, encoding: str = "utf-8-sig") -> CanonicalTables:
    if path.is_dir() or path.suffix.lower() not in SUFFIXES:
        raise ValidationError([Issue(str(path), None, None, None, path.suffix or None, "format",
                                     "a postcode lookup is one CSV file or workbook (.xlsx), e.g. an ONSPD or "
                                     "NSPL extract")])
    source = _Rows(path, encoding)
    header, sample = source.head()
    pc, gss, term = recognise(header, sample)
    if pc is None or not gss:
        if not header or not any(h.strip() for h in header):
            found = "an empty file" if not header else "a blank first row"
        else:
            found = f"{len(sample):,} row(s) under {len(header)} column(s): {describe_columns(header, sample)}"
        if pc is None:
            what = ("no column of postcodes: looked for a column, whatever its name, whose values are UK "
                    "postcodes (M15 4AB, M154AB or the padded pcd7/pcd8 forms)")
        else:
            what = (f"postcodes in {header[pc]!r} but no column of GSS codes: looked for columns, whatever their "
                    "names, whose values are a letter and 8 digits (E05015247), not pseudo-codes (E99999999)")
        raise ValidationError([Issue(str(path), source.sheet, 1, header[pc] if pc is not None else None,
                                     ",".join(header)[:120], "required_column",
                                     f"{what} in the first {SAMPLE_ROWS} rows; found {found}. A postcode lookup "
                                     "needs a postcode column and at least one column of GSS codes")])
    log.info("postcode lookup %s: postcodes in %r, codes in %s%s", path, header[pc], [header[j] for j in gss],
             f", terminated flagged by {header[term]!r}" if term is not None else "")
    sectors: dict[str, _Sector] = {}
    skipped = {"terminated postcodes": 0, "rows without a valid postcode": 0, "repeated postcodes": 0}
    bad_rows: list[str] = []
    n_rows = 0
    seen_codes: dict[str, list[str]] = {}
    reader = iter(source)  # streamed: a national file is never held in memory
    next(reader, None)
    width = len(header)
    for r, row in enumerate(reader, start=2):
        if not row:
            continue
        n_rows += 1
        if term is not None and term < len(row) and not is_blank(row[term]):
            skipped["terminated postcodes"] += 1
            continue
        raw = row[pc] if pc < len(row) else ""
        postcode = raw if _PCDS.fullmatch(raw) else normalise_postcode(raw)
        if postcode is None:
            if not any(c.strip() for c in row):
                n_rows -= 1
                continue
            skipped["rows without a valid postcode"] += 1
            if len(bad_rows) < _MAX_WARNINGS:
                bad_rows.append(f"row {r} ({row[pc] if pc < len(row) else ''!r})")
            continue
        raw_key = "\x1f".join([row[j] for j in gss]) if len(row) >= width else None
        codes = seen_codes.get(raw_key) if raw_key is not None else None
        if codes is not None:
            pass
        elif len(row) >= width:
            codes = []
            for j in gss:
                v = row[j]
                if not _CODE.fullmatch(v):
                    v = v.strip().upper()
                    if not _CODE.fullmatch(v):
                        continue
                if v not in codes:
                    codes.append(v)
            if len(seen_codes) > 20000:  # neighbouring postcodes repeat their codes: a small cache will do
                seen_codes.clear()
            seen_codes[raw_key] = codes
        else:
            codes = []
            for j in gss:
                v = row[j].strip().upper() if j < len(row) else ""
                if _CODE.fullmatch(v) and v not in codes:
                    codes.append(v)
        sector_code, unit = postcode[:-2], postcode[-2:]
        s = sectors.get(sector_code)
        if s is None:
            s = sectors[sector_code] = _Sector(r)
        key = " ".join(codes)
        idx = s.combos.get(key)
        if idx is None:
            idx = s.combos[key] = len(s.combos)
        s.units += unit.encode("ascii")
        s.combo.append(idx)
    rows = []
    n_postcodes = 0
    for sector_code in sorted(sectors):
        s = sectors[sector_code]
        units, combo, seen = [], [], set()
        text = s.units.decode("ascii")
        for i in range(len(s.combo)):
            u = text[2 * i:2 * i + 2]
            if u in seen:  # the first row of a repeated postcode wins
                skipped["repeated postcodes"] += 1
                continue
            seen.add(u)
            units.append(u)
            combo.append(s.combo[i])
        n_postcodes += len(units)
        rows.append({"lookup": path.name, "sector": sector_code, "units": "".join(units), "combo": combo, "codes": list(s.combos),
                     "postcodes": len(units), "_file": str(path), "_sheet": source.sheet, "_row": s.row})
        sectors[sector_code] = None  # type: ignore[assignment]  # free as we go
    warnings = []
    if encoding != "utf-8-sig":
        warnings.append(f"{path}: not UTF-8; read as Windows-1252 (save it as \"CSV UTF-8\" to be sure of names)")
    if skipped["rows without a valid postcode"]:
        warnings.append(f"{path}: {skipped['rows without a valid postcode']:,} row(s) skipped in column "
                        f"{header[pc]!r}: not a UK postcode, e.g. {', '.join(bad_rows)}")
    if skipped["repeated postcodes"]:
        warnings.append(f"{path}: {skipped['repeated postcodes']:,} postcode(s) appear more than once; the first "
                        f"row of each was kept")
    if term is None:
        log.info("%s has no termination column: live and terminated postcodes cannot be told apart", path)
    log.info("postcode lookup %s: %d rows, %d postcodes in %d sectors", path, n_rows, n_postcodes, len(rows))
    return CanonicalTables({"postcodes": table_frame(rows, "postcodes")}, warnings,
                           {k: v for k, v in skipped.items() if v})


def expand(row: dict[str, Any]) -> dict[str, list[str]]:
    """postcode -> GSS codes, from one stored sector row (``sector``, ``units``, ``combo``, ``codes``)."""
    sector, units, combo, codes = row["sector"], row["units"] or "", row["combo"] or [], row["codes"] or []
    split = [c.split() for c in codes]
    return {f"{sector}{units[2 * i:2 * i + 2]}": split[int(k)] for i, k in enumerate(combo)}


def frame_postcodes(df: pd.DataFrame) -> int:
    """How many postcodes a canonical ``postcodes`` table holds."""
    return int(sum(df["postcodes"])) if len(df) and "postcodes" in df.columns else 0
