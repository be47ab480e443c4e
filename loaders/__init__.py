"""Loaders: one module per source format, each a pure function from files to
validated :class:`ecosystem.model.CanonicalTables`.

Every format module exposes::

    FORMAT = "name"                      # as used by ``ecomap load --format``
    def sniff(path: pathlib.Path) -> bool     # cheap: is this file/folder in my format?
    def load(path: pathlib.Path, **options) -> CanonicalTables   # raise ValidationError

``load_paths`` picks the module (``--format auto`` asks each ``sniff`` in turn)
and concatenates the results.

Options every loader is given (a loader takes the ones it uses from
``**options`` and ignores the rest):

* ``assume_months`` (int, default 12; ``ecomap load --assume-months N``): the
  length given to a grant or contract published without an end date or a
  duration, from its start (:func:`loaders.parse.assumed_end`); such a flow is
  marked ``end_assumed``. The template's blank ``end`` stays open-ended.
* ``strict`` (bool, default False; ``ecomap load --strict``): a publisher's
  error in a standard file (an end before the start, a negative amount, an
  unparseable date, a missing identifier) is an error that refuses the load,
  instead of a located warning with the value or record left out.
"""

from __future__ import annotations

import importlib
import logging
import pathlib
from typing import Iterable

from ecosystem.model import CanonicalTables, Issue, ValidationError

log = logging.getLogger(__name__)

#: format name -> module, in the order ``auto`` tries them (the template first: its sniffer
#: asks for its own table names with their required columns, which no standard uses).
FORMAT_MODULES = {
    "template": "loaders.template",
    "360giving": "loaders.threesixtygiving",
    "openreferral": "loaders.openreferral",
    "ocds": "loaders.ocds",
    "postcodes": "loaders.postcodes",  # before geography: a postcode lookup also has code columns
    "geography": "loaders.geography",
    "needs": "loaders.needs",
}

FORMATS = ("auto", *FORMAT_MODULES)


def _module(fmt: str):
    return importlib.import_module(FORMAT_MODULES[fmt])


def available_formats() -> list[str]:
    out = []
    for fmt in FORMAT_MODULES:
        try:
            _module(fmt)
        except ModuleNotFoundError:
            continue
        out.append(fmt)
    return out


#: what each format's check looks for (said when no format accepts a file)
EXPECTS = {
    "template": "a folder of CSVs (or an .xlsx) named after template tables (places, categories, organisations, "
                "services, needs, funding, partnerships) with their required columns",
    "360giving": "360Giving grants: JSON with a `grants` list, or CSV/XLSX with Identifier, Amount Awarded, "
                 "Recipient Org:Identifier and Funding Org:Identifier columns",
    "openreferral": "Open Referral UK / HSDS services: JSON with services (id, name), or services.csv",
    "ocds": "OCDS: a release or record package, or JSON lines of releases (ocid, releases)",
    "postcodes": "a postcode lookup (CSV or XLSX): a postcode column and columns of GSS codes",
    "geography": "an ONS lookup (two or more code columns such as WD22CD, LAD22CD) or GeoJSON/TopoJSON boundaries",
    "needs": "an indicator, population or deprivation file: an area-code column with value, population "
             "(all_ages) or IMD columns",
}


def _what_it_is(path: pathlib.Path) -> str:
    """A short description of a file or folder as the sniffers saw it."""
    import csv

    try:
        if path.is_dir():
            names = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
            shown = ", ".join(names[:8]) + (f" … and {len(names) - 8} more" if len(names) > 8 else "")
            return f"a folder of {len(names)} file(s): {shown or 'none'}"
        sfx = path.suffix.lower()
        if sfx in (".xlsx", ".xlsm"):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            sheets = wb.sheetnames
            wb.close()
            return f"a workbook with sheets {', '.join(sheets[:8])}" + (" …" if len(sheets) > 8 else "")
        with path.open("rb") as f:
            head = f.read(4096)
        text = head.decode("utf-8-sig", "replace")
        if text.lstrip()[:1] in ("{", "["):
            import re

            keys = re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:', text)
            return "JSON with keys " + ", ".join(list(dict.fromkeys(keys))[:8]) if keys else "JSON"
        if not text.strip():
            return "an empty file"
        header = next(csv.reader([text.splitlines()[0]]), [])
        cols = ", ".join(h.strip() for h in header[:8]) + (f" … and {len(header) - 8} more" if len(header) > 8 else "")
        return f"a {sfx or 'text'} file whose first line has {len(header)} column(s): {cols}"
    except Exception as e:  # describing must never break the message
        return f"unreadable ({e})"


def detect_format(path: pathlib.Path) -> str:
    """The first format whose ``sniff`` accepts the path; when none does, say what each looked for."""
    tried = []
    for fmt in available_formats():
        try:
            mod = _module(fmt)
            if mod.sniff(path):
                return fmt
            why = mod.why_not(path) if hasattr(mod, "why_not") else None
            tried.append(f"{fmt}: {why}" if why else f"{fmt}: not {EXPECTS.get(fmt, 'its format')}")
        except Exception as e:  # a sniffer must never break detection
            log.debug("sniffer %s failed on %s", fmt, path, exc_info=True)
            tried.append(f"{fmt}: its check failed ({e})")
    raise ValidationError([Issue(str(path), None, None, None, None, "format",
                                 f"could not tell which format this is — it is {_what_it_is(path)}. "
                                 + "; ".join(tried) + ". Pass --format " + "|".join(available_formats()))])


def loader_options(options: dict | None = None) -> dict:
    """``options`` with every shared option present and checked (``assume_months``: 1–600, default 12).

    Raises :class:`ValueError` naming the option and the value.
    """
    from loaders.parse import DEFAULT_ASSUME_MONTHS, check_assume_months

    out = dict(options or {})
    months = out.get("assume_months")
    out["assume_months"] = DEFAULT_ASSUME_MONTHS if months is None else check_assume_months(months)
    out["strict"] = bool(out.get("strict", False))
    return out


def resolve_format(path: pathlib.Path, fmt: str = "auto") -> str:
    """The format a path will be read as (``auto`` asks each sniffer)."""
    if not path.exists():
        raise ValidationError([Issue(str(path), None, None, None, None, "exists",
                                     "no such file or folder")])
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt not in FORMAT_MODULES:
        raise ValidationError([Issue(str(path), None, None, None, fmt, "format",
                                     f"unknown format; choose one of {', '.join(FORMATS)}")])
    return fmt


def load_path(path: str | pathlib.Path, fmt: str = "auto", **options) -> CanonicalTables:
    options = loader_options(options)
    path = pathlib.Path(path)
    fmt = resolve_format(path, fmt)
    log.info("loading %s as %s", path, fmt)
    return _module(fmt).load(path, **options)


def load_paths(paths: Iterable[str | pathlib.Path], fmt: str = "auto", **options) -> CanonicalTables:
    """Load several paths; every path's issues are collected before raising.

    The user's own template files are strict across the load too: the same
    key in two of them is an error naming both (places excepted: several files
    may describe one place). A :class:`ValidationError` carries the rows
    that could be read (``tables``) so cross-table checks can still run.
    """
    from loaders.validate import duplicate_keys

    options = loader_options(options)
    parts, issues, warnings, partial, templates = [], [], [], [], []
    for p in paths:
        p = pathlib.Path(p)
        try:
            f = resolve_format(p, fmt)
            log.info("loading %s as %s", p, f)
            part = _module(f).load(p, **options)
        except ValidationError as e:
            issues += e.issues
            warnings += e.warnings
            if e.tables is not None:
                partial.append(e.tables)
            continue
        parts.append(part)
        if f == "template":
            templates.append((p, part))
    if len(templates) > 1:  # named by folder too: two folders' organisations.csv are different files
        named = []
        for p, part in templates:
            tables = {}
            for name, df in part.tables.items():
                if name != "places" and len(df) and "_file" in df.columns:
                    df = df.assign(_file=[f"{p.name}/{x}" if p.is_dir() else x for x in df["_file"]])
                tables[name] = df if name != "places" else df.iloc[0:0]
            named.append(CanonicalTables(tables))
        issues += duplicate_keys(CanonicalTables.concat(named).tables)
    if issues:
        # only when some file's rows were read despite bad values: a file that could not be read at all
        # would make every reference to it look wrong
        readable = CanonicalTables.concat(_merge_categories_across(_merge_places_across(parts + partial))) \
            if partial else None
        raise ValidationError(issues, warnings, tables=readable)
    return CanonicalTables.concat(_merge_categories_across(_merge_places_across(parts)))


def _merge_categories_across(parts: list[CanonicalTables]) -> list[CanonicalTables]:
    """A category code that several files bring (``unclassified`` from two OCDS or Open Referral files,
    a mapped category the template defines too) is one row: the first file's.

    Within one file a repeated code stays an error (the cross-table check reports it).
    """
    if len(parts) < 2:
        return parts
    seen: set = set()
    out = []
    for part in parts:
        cats = part.tables["categories"]
        if len(cats):
            codes = list(cats["code"])
            keep = [c not in seen for c in codes]
            seen.update(codes)
            if not all(keep):
                tables = dict(part.tables)
                tables["categories"] = cats[keep].reset_index(drop=True)
                part = CanonicalTables(tables, part.warnings, part.skipped, part.unusable)
        out.append(part)
    return out


def _merge_places_across(parts: list[CanonicalTables]) -> list[CanonicalTables]:
    """A place several files describe (boundaries in one, population in another) becomes one row.

    Within one file a repeated code stays an error (the cross-table check
    reports it); across files the first non-blank value of each column wins.
    """
    if len(parts) < 2:
        return parts
    import pandas as pd

    from loaders.parse import is_blank

    first: dict = {}  # code -> (part index, record)
    rows: list[dict] = []
    for i, part in enumerate(parts):
        for rec in part.tables["places"].to_dict("records"):
            prev = first.get(rec.get("code"))
            if prev is not None and prev[0] != i:
                base = prev[1]
                for k, v in rec.items():
                    if (k not in base or is_blank(base[k])) and not isinstance(v, list) and not is_blank(v):
                        base[k] = v
                continue
            first.setdefault(rec.get("code"), (i, rec))
            rows.append(rec)
    out = []
    for i, part in enumerate(parts):
        tables = dict(part.tables)
        tables["places"] = (pd.DataFrame.from_records(rows) if rows else part.tables["places"]) if i == 0 \
            else part.tables["places"].iloc[0:0]
        out.append(CanonicalTables(tables, part.warnings, part.skipped, part.unusable))
    return out
