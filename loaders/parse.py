"""Value parsing shared by the loaders: dates, numbers, identifiers.

Each parser returns the parsed value, or raises :class:`ParseError` with a
short reason; callers turn that into an :class:`ecosystem.model.Issue`
located at the file, sheet, row and column they are reading.
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import math
import re
from typing import Any, Iterable

from ecosystem.model import MoneyError, currency_code, is_currency, money


class ParseError(ValueError):
    pass


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() in ("", "NA", "N/A", "n/a", "null", "NULL", "None", "nan", "NaN"):
        return True
    try:
        import pandas as pd

        if v is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return False


def parse_date(v: Any) -> dt.date | None:
    """ISO dates (with times and offsets), DD/MM/YYYY, Excel serials, datetimes."""
    if is_blank(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime().date()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 1 <= v < 2958466:  # Excel serial day numbers
            return _EXCEL_EPOCH + dt.timedelta(days=int(v))
        raise ParseError("not a date")
    s = str(v).strip()
    m = _ISO_PREFIX.match(s)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as e:
            raise ParseError(f"not a real date ({e})") from None
    m = _DMY.match(s)
    if m:
        try:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError as e:
            raise ParseError(f"not a real date ({e})") from None
    raise ParseError("not a date; use YYYY-MM-DD")


def parse_number(v: Any) -> float | None:
    """Numbers, also given as text with £, commas or spaces."""
    if is_blank(v):
        return None
    if isinstance(v, bool):
        raise ParseError("not a number")
    if isinstance(v, (int, float)):
        f = float(v)
    else:
        s = str(v).strip().replace(",", "").replace("£", "").replace(" ", "")
        try:
            f = float(s)
        except ValueError:
            raise ParseError("not a number") from None
    if math.isnan(f) or math.isinf(f):
        raise ParseError("not a finite number")
    return f


def parse_money(v: Any) -> decimal.Decimal | None:
    """An exact amount (``decimal.Decimal``), also given as text with £, commas or spaces.

    Floats (from spreadsheets and JSON) are read as the decimal they print as, so
    ``1000.1`` is ``Decimal("1000.1")``; more than four decimal places is an error.
    """
    if is_blank(v):
        return None
    try:
        return money(v)
    except MoneyError as e:
        raise ParseError(str(e)) from None


def parse_currency(v: Any) -> str | None:
    """A currency code as canonical text (upper case, trimmed); None when blank."""
    return None if is_blank(v) else currency_code(v)


def currency_problem(code: str | None) -> str | None:
    """Why ``code`` is not an active ISO 4217 code, or None when it is (or is blank)."""
    if code is None or is_currency(code):
        return None
    return (f"currency {code!r} is not an ISO 4217 code (e.g. GBP, EUR, USD); its amounts are "
            "kept apart from every other currency's")


def parse_int(v: Any) -> int | None:
    f = parse_number(v)
    if f is None:
        return None
    if f != int(f):
        raise ParseError("not a whole number")
    return int(f)


_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


def parse_bool(v: Any) -> bool | None:
    """``true``/``false`` (also yes/no, y/n, 1/0, spreadsheet booleans); blank is ``None``."""
    if is_blank(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ParseError("not true or false")


#: The length given to a grant or contract published without an end date or duration (SPEC §5).
DEFAULT_ASSUME_MONTHS = 12
#: The longest assumed length accepted (50 years).
MAX_ASSUME_MONTHS = 600


def check_assume_months(months: Any) -> int:
    """``months`` as a whole number of months from 1 to :data:`MAX_ASSUME_MONTHS`, else :class:`ValueError`."""
    if isinstance(months, bool) or not isinstance(months, int):
        try:
            f = float(str(months).strip())
        except ValueError:
            raise ValueError(f"assume_months must be a whole number of months, got {months!r}") from None
        if not f.is_integer():
            raise ValueError(f"assume_months must be a whole number of months, got {months!r}")
        months = int(f)
    if not 1 <= months <= MAX_ASSUME_MONTHS:
        raise ValueError(f"assume_months must be between 1 and {MAX_ASSUME_MONTHS} months, got {months}")
    return months


def assumed_end(start: dt.date, months: int = DEFAULT_ASSUME_MONTHS) -> dt.date:
    """The last day of a grant or contract that runs ``months`` calendar months from ``start``.

    The day before the same day ``months`` later, so 12 months from
    1 April 2024 end on 31 March 2025. When that day does not exist (a start
    on the 29th–31st), the period ends on the last day of the month it runs
    into: one month from 31 January 2024 ends on 29 February 2024, and
    12 months from 29 February 2024 on 28 February 2025. The end is never
    after ``start`` plus ``months`` calendar months, so an assumed
    12-month flow is short-term (SPEC §5).

    >>> assumed_end(dt.date(2024, 4, 1), 12), assumed_end(dt.date(2024, 1, 31), 1)
    (datetime.date(2025, 3, 31), datetime.date(2024, 2, 29))
    """
    import calendar

    months = check_assume_months(months)
    if isinstance(start, dt.datetime):
        start = start.date()
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def parse_text(v: Any) -> str | None:
    if is_blank(v):
        return None
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v).strip()


def parse_codes(v: Any) -> list[str]:
    """A ``;``-separated list of codes (commas accepted too)."""
    if is_blank(v):
        return []
    return [c.strip() for c in re.split(r"[;,]", str(v)) if c.strip()]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    m = difflib.get_close_matches(name.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6)
    if m:
        return m[0]
    # "provider_id" -> "provider": a candidate contained in the name
    for c in candidates:
        if c.lower() in name.lower() or name.lower() in c.lower():
            return c
    return None


def snake(name: str) -> str:
    """Column header -> snake_case property name."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", str(name).strip()).strip("_").lower()
    return s or "column"


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$")


def normalise_postcode(v: Any) -> str | None:
    """A UK postcode in ``pcds`` form (upper case, one space before the last three characters).

    ``"m15  4ab"``, ``"M154AB"`` and ``" M15 4AB "`` all give ``"M15 4AB"``; text that is not a
    postcode (``"M32"``, ``"n/a"``) gives None.
    """
    if is_blank(v):
        return None
    s = re.sub(r"\s+", "", str(v)).upper()
    m = _POSTCODE.match(s)
    return f"{m[1]} {m[2]}" if m else None


class CsvError(ValueError):
    """A CSV file that cannot be read as the user meant it; ``row`` is the spreadsheet row (header = 1)."""

    def __init__(self, message: str, row: int | None = None, value: Any = None, check: str = "csv"):
        super().__init__(message)
        self.row, self.value, self.check = row, value, check


_DELIMITERS = {";": "semicolons (;)", "\t": "tabs"}


def read_csv_text(text: str, *, ragged: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and rows of comma-separated text, refusing what would load wrongly.

    Raises :class:`CsvError` (with the spreadsheet row, header = row 1) for:

    - a header separated by ``;`` or tabs instead of commas (says which);
    - an unterminated quote (the quoted value would take in every row after it);
    - a quoted value that runs over several lines and takes in lines shaped
      like rows of their own (a quote closed by accident further down);
    - unless ``ragged``: a row with more non-blank values, or fewer values, than the header has columns.
    """
    import csv
    import io

    first = text.split("\n", 1)[0].rstrip("\r")
    if "," not in first:
        for d, name in _DELIMITERS.items():
            if d in first:
                raise CsvError(f"the header is separated by {name}, not commas; ecomap reads comma-separated "
                               "files: save it as \"CSV UTF-8 (comma delimited)\"", 1, first[:80], "delimiter")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    header: list[str] | None = None
    width = 0
    line = 0  # the physical line a record starts on
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            n = len(rows) + 1 + (header is not None)
            raise CsvError(f"a quote opened in row {n} (line {start}) is never closed ({e}); "
                           "close the quote or remove it", n, None, "quote") from None
        n = len(rows) + 1 + (header is not None)
        if header is None:
            header, width = row, len(row)
            continue
        spans = reader.line_num - start
        if spans > 0 and width > 1:
            for cell in row:
                if "\n" not in cell and "\r" not in cell:
                    continue
                inner = [ln for ln in cell.replace("\r", "\n").split("\n")[1:] if ln.strip()]
                if any(ln.count(",") >= width - 1 for ln in inner):
                    raise CsvError(f"a quoted value in row {n} (line {start}) runs on to line {reader.line_num} "
                                   f"and takes in lines that look like rows of their own; close the quote",
                                   n, cell[:60], "quote")
        if not ragged and row != [] and row != [""]:
            if len(row) > width and any(c.strip() for c in row[width:]):
                raise CsvError(f"row {n} has {len(row)} values but the header has {width} columns "
                               "(a comma inside a value needs the value in quotes)", n, ",".join(row)[:80],
                               "ragged")
            if len(row) < width:
                raise CsvError(f"row {n} has {len(row)} values but the header has {width} columns "
                               "(every row needs a comma between each column, even for blank values)",
                               n, ",".join(row)[:80], "ragged")
        rows.append(row)
    return header or [], rows
