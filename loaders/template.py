"""The ecomap template: a folder of CSVs or one XLSX workbook (SPEC §3).

One file or sheet per canonical table, named after the table. Column names
are case-insensitive; unknown columns are kept (as snake_case properties),
with a warning when one looks like a misspelt template column (``capcity``).
Every problem is collected and raised once as a
:class:`~ecosystem.model.ValidationError`; rows are numbered as a
spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import pathlib
from typing import Any

import pandas as pd

from ecosystem.model import (DEFAULT_CURRENCY, FUNDING_KINDS, NULLABLE_REQUIRED, PARTNERSHIP_KINDS, SECTORS,
                             TABLE_ORDER, TABLES, CanonicalTables, Issue, ValidationError, empty_table, need_id)
from loaders.parse import CsvError, ParseError, closest, currency_problem, is_blank, parse_bool, parse_codes, \
    parse_currency, parse_date, parse_int, parse_money, parse_number, parse_text, read_csv_text, snake
from loaders.validate import duplicate_keys

FORMAT = "template"
log = logging.getLogger(__name__)

CHOICES = {
    ("organisations", "sector"): SECTORS,
    ("funding", "kind"): FUNDING_KINDS,
    ("partnerships", "kind"): PARTNERSHIP_KINDS,
    ("partnerships", "lead"): ("a", "b"),
}


def _has_template_header(f: pathlib.Path, table: str) -> bool:
    try:
        with open(f, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return set(TABLES[table].required) <= {snake(h) for h in header}


def sniff(path: pathlib.Path) -> bool:
    """A folder (or CSV) whose files are named after template tables and carry their required columns."""
    path = pathlib.Path(path)
    if path.is_dir():
        return any(_has_template_header(path / f"{t}.csv", t) for t in TABLE_ORDER if (path / f"{t}.csv").exists())
    if path.suffix.lower() == ".xlsx":
        try:
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            names = {n.lower() for n in wb.sheetnames}
            wb.close()
            return bool(names & set(TABLE_ORDER))
        except Exception:
            return False
    if path.suffix.lower() == ".csv":
        return path.stem.lower() in TABLE_ORDER and _has_template_header(path, path.stem.lower())
    return False


def _read_csv(path: pathlib.Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1  # the row, unless a quoted value above spans lines
        raise ValidationError([Issue(path.name, None, line, None, "0x" + raw[e.start:e.end].hex(), "encoding",
                                     f"not UTF-8 text (byte {e.start:,}, on line {line}); save the file as "
                                     "CSV UTF-8 (in Excel: Save As, CSV UTF-8)")]) from None
    try:
        return read_csv_text(text)
    except CsvError as e:
        raise ValidationError([Issue(path.name, None, e.row, None, e.value, e.check, str(e))]) from None


def _read_xlsx(path: pathlib.Path) -> dict[str, tuple[str, list[Any], list[list[Any]]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:
        raise ValidationError([Issue(path.name, None, None, None, None, "workbook",
                                     f"cannot open the workbook: {e}")]) from None
    out = {}
    unsaved: list[Issue] = []
    for ws in wb.worksheets:
        name = ws.title.strip().lower()
        if name not in TABLE_ORDER:
            continue
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        while rows and all(is_blank(v) for v in rows[-1]):
            rows.pop()
        if not rows:
            out[name] = (ws.title, [], [])
            continue
        out[name] = (ws.title, ["" if h is None else str(h) for h in rows[0]], rows[1:])
        if any(v is None for r in rows[1:] for v in r):
            try:
                unsaved += _unsaved_formulas(path, ws.title, rows)
            except Exception:  # looking for formulas must never break reading a workbook that opened
                log.debug("could not look for formulas in %s, sheet %s", path, ws.title, exc_info=True)
    wb.close()
    if unsaved:
        raise ValidationError(unsaved)
    return out


def _unsaved_formulas(path: pathlib.Path, title: str, rows: list[list[Any]]) -> list[Issue]:
    """Cells of sheet ``title`` holding a formula with no saved result, which reading the values sees as blank.

    A workbook written by a program (not saved by a spreadsheet) keeps its formulas' text but no results;
    read as values they would load as missing, silently. A formula whose saved result is empty text (Excel
    marks the cell as text) is a real blank and is not one of them.
    """
    import openpyxl

    header = ["" if h is None else str(h) for h in rows[0]]
    candidates = {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for i, (formulas, values) in enumerate(zip(wb[title].iter_rows(min_row=2, values_only=True), rows[1:]),
                                               start=2):
            for j, (f, v) in enumerate(zip(formulas, values)):
                text = getattr(f, "text", f)  # an array formula is an object holding its text
                if v is None and isinstance(text, str) and text.startswith("="):
                    candidates[(i, j)] = text
    finally:
        wb.close()
    if not candidates:
        return []
    last = max(i for i, _ in candidates)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        typed = {(i, j): c.data_type for i, row in enumerate(wb[title].iter_rows(min_row=2, max_row=last), start=2)
                 for j, c in enumerate(row) if (i, j) in candidates}
    finally:
        wb.close()
    return [Issue(path.name, title, i, header[j] if j < len(header) else None, text, "formula",
                  "a formula with no saved result (the workbook was written by a program, not saved by a "
                  "spreadsheet): open it in Excel or LibreOffice and save it, or type the value")
            for (i, j), text in candidates.items() if typed.get((i, j)) != "str"]


def read_sheets(path: pathlib.Path, issues: list[Issue] | None = None) -> dict[str, tuple[str, str | None, list, list]]:
    """table -> (file name, sheet name, header, rows).

    With ``issues`` given, a CSV file that cannot be read adds its issue there
    and the other files are still read (so one pass reports every problem).
    """
    path = pathlib.Path(path)
    sheets: dict[str, tuple[str, str | None, list, list]] = {}
    if path.is_dir():
        for t in TABLE_ORDER:
            f = path / f"{t}.csv"
            if f.exists():
                try:
                    header, rows = _read_csv(f)
                except ValidationError as e:
                    if issues is None:
                        raise
                    issues += e.issues
                    continue
                sheets[t] = (f.name, None, header, rows)
    elif path.suffix.lower() == ".xlsx":
        for t, (title, header, rows) in _read_xlsx(path).items():
            sheets[t] = (path.name, title, header, rows)
    elif path.suffix.lower() == ".csv" and path.stem.lower() in TABLE_ORDER:
        header, rows = _read_csv(path)
        sheets[path.stem.lower()] = (path.name, None, header, rows)
    else:
        raise ValidationError([Issue(path.name, None, None, None, None, "format",
                                     "a template is a folder of CSV files or one .xlsx workbook "
                                     f"with sheets named {', '.join(TABLE_ORDER)}")])
    return sheets


def parse_table(table: str, fname: str, sheet: str | None, header: list, rows: list,
                issues: list[Issue], warnings: list[str] | None = None) -> pd.DataFrame:
    """One sheet as a canonical table; problems go to ``issues``, suspicious values to ``warnings``."""
    spec = TABLES[table]
    cols = [snake(h) if not is_blank(h) else None for h in header]
    index: dict[str, int] = {}
    for i, c in enumerate(cols):
        if c is None:
            continue
        if c in index:
            issues.append(Issue(fname, sheet, 1, header[i], header[i], "duplicate_column",
                                f"column {header[i]!r} appears twice"))
            continue
        index[c] = i
    if warnings is not None:  # an extra column is kept as it is; one that looks like a misspelt column is said
        absent = [c for c in spec.columns if c not in index]
        for c, i in index.items():
            near = difflib.get_close_matches(c, absent, n=1, cutoff=0.8) if c not in spec.columns else []
            if near:
                warnings.append(f"{fname}{f', sheet {sheet}' if sheet else ''}, row 1, column {header[i]}: not a "
                                f"template column, so its values are kept as they are and not read as `{near[0]}` "
                                f"— did you mean `{near[0]}`?")
    missing = [c for c in spec.required if c not in index]
    for c in missing:
        hint = closest(c, [k for k in index if k not in spec.columns])
        msg = f"required column `{c}` missing in {sheet or fname}"
        if hint:
            msg += f" — did you mean `{hint}`?"
        issues.append(Issue(fname, sheet, 1, c, None, "required_column", msg))
    if missing:
        return empty_table(table)
    columns = spec.columns
    plan = [(c, i, header[i], columns.get(c, "str"), c in columns,
             c in spec.required and (table, c) not in NULLABLE_REQUIRED, CHOICES.get((table, c)))
            for c, i in index.items()]
    defaults = {c: ([] if k == "list" else None) for c, k in columns.items() if c not in index}
    parsers = {"str": parse_text, "float": parse_number, "int": parse_int, "date": parse_date, "list": parse_codes,
               "bool": parse_bool, "money": parse_money}
    records = []
    for n, raw in enumerate(rows, start=2):
        if all(is_blank(v) for v in raw):
            continue
        rec: dict[str, Any] = {"_file": fname, "_sheet": sheet, "_row": n}
        width = len(raw)
        for c, i, head, kind, canonical, required, choices in plan:
            v = raw[i] if i < width else None
            if canonical:
                try:
                    val = parsers[kind](v)
                except ParseError as e:
                    issues.append(Issue(fname, sheet, n, head, v, f"type_{kind}", f"{c}: {e}"))
                    val = None
                    v = "reported"
            else:
                val = None if is_blank(v) else v
            if required and (val is None or val == []) and is_blank(v):
                issues.append(Issue(fname, sheet, n, head, None, "required_value", f"{c} is required"))
            if choices and val is not None:
                if str(val).lower() not in choices:
                    issues.append(Issue(fname, sheet, n, head, v, "choice", f"{c} must be one of {', '.join(choices)}"))
                else:
                    val = str(val).lower()
            rec[c] = val
        for c, d in defaults.items():
            rec[c] = [] if d == [] else None
        if table == "needs" and rec.get("id") is None and rec.get("place") and rec.get("category"):
            rec["id"] = need_id(rec["place"], rec["category"], rec.get("period"))
        if table == "funding":
            rec["currency"] = parse_currency(rec.get("currency")) or DEFAULT_CURRENCY
            problem = currency_problem(rec["currency"])
            if problem and warnings is not None:
                head = header[index["currency"]] if "currency" in index else "currency"
                warnings.append(f"{fname}{f', sheet {sheet}' if sheet else ''}, row {n}, column {head}: {problem}")
        records.append(rec)
    if not records:
        return empty_table(table)
    return pd.DataFrame.from_records(records)


def load(path: pathlib.Path, **options) -> CanonicalTables:
    path = pathlib.Path(path)
    issues: list[Issue] = []
    sheets = read_sheets(path, issues)
    if not sheets and not issues:
        raise ValidationError([Issue(path.name, None, None, None, None, "empty",
                                     f"no template tables found; expected files or sheets named "
                                     f"{', '.join(TABLE_ORDER)} (see `ecomap template DIR`)")])
    unreadable = bool(issues)  # a file that could not be read: references to it cannot be checked
    tables = {}
    warnings: list[str] = []
    for table, (fname, sheet, header, rows) in sheets.items():
        tables[table] = parse_table(table, fname, sheet, header, rows, issues, warnings)
    issues += duplicate_keys(tables)
    if issues:  # the rows read so far go with the error, for the cross-table checks
        raise ValidationError(issues, warnings, tables=None if unreadable else CanonicalTables(tables, warnings))
    return CanonicalTables(tables, warnings)


def write_template(out: pathlib.Path) -> list[pathlib.Path]:
    """Empty template CSVs plus a README of the columns."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    lines = ["# ecomap template", "",
             "One CSV per table (or one XLSX workbook with a sheet per table). UTF-8; dates YYYY-MM-DD;",
             "amounts in pounds unless a funding row's currency (ISO 4217, e.g. EUR) says otherwise.",
             "Column names are case-insensitive; extra columns are kept (a warning says when one looks like a "
             "misspelt template column).", ""]
    for t in TABLE_ORDER:
        spec = TABLES[t]
        f = out / f"{t}.csv"
        if not f.exists():
            f.write_text(",".join(spec.columns) + "\n", encoding="utf-8")
            written.append(f)
        lines += [f"## {t}.csv", "", "| column | required | meaning |", "|---|---|---|"]
        for c in spec.columns:
            lines.append(f"| `{c}` | {'yes' if c in spec.required else ''} | {spec.notes.get(c, '')} |")
        lines.append("")
    readme = out / "README.md"
    readme.write_text("\n".join(lines), encoding="utf-8")
    written.append(readme)
    return written
