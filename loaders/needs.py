"""Needs indicators and place attributes.

Reads CSV or XLSX (a UTF-8 BOM and preamble lines above the header are
tolerated; the header is the first row with an area-code column):

* **Long-format indicators** (Fingertips exports, Census tables tidied to
  long format: area code, indicator, period, value, optional count,
  denominator and a breakdown such as ``general_health``) -> ``needs`` rows
  through a mapping file (``needs_map.csv``; pass ``needs_map=PATH`` for your
  own). Each mapping row says which indicator (id, or text contained in its
  name), which breakdown values (``;`` separated, blank = all), which
  category, and how ``people`` is computed: ``value``, ``count``,
  ``value*denominator/100``, ``(100-value)*denominator/100``,
  ``value*population/100``, ``(100-value)*population/100`` (population from
  the ``population`` option: a ``{code: people}`` dict or a population file)
  or ``skip``. The first matching row wins; matching rows for one place,
  category and period are added up. Indicator rows no mapping row matches
  are counted in ``skipped``.
* **Population estimates** (wide, ``all_ages`` or ``population`` column; for
  files split by sex the ``Persons`` rows) -> ``places`` rows with
  ``population``.
* **English Indices of Deprivation**: LSOA files with an IMD decile column
  give ``imd_decile`` directly; local-authority summaries (``index_domain``,
  ``rank_average_score``) give ``imd_decile`` = ceil(rank x 10 / number of
  areas) on the *Index of Multiple Deprivation* rows.

Places referenced by needs must exist: load the geography first (or in the
same run), or pass ``places=True`` to add minimal place rows (code, name,
level from the GSS prefix). Place-attribute rows carry code, name and level
from the file and no parent.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import pathlib
import re
from typing import Any

import pandas as pd

from ecosystem.model import CanonicalTables, Issue, ValidationError, need_id, table_frame

from . import categories as cats
from .geography import level_of
from .parse import ParseError, is_blank, parse_number, parse_text

FORMAT = "needs"
log = logging.getLogger(__name__)
DEFAULT_MAP = pathlib.Path(__file__).with_name("data") / "needs_map.csv"
FORMULAS = ("value", "count", "value*denominator/100", "(100-value)*denominator/100",
            "value*population/100", "(100-value)*population/100", "skip")

_AREA_CODE = {"areacode", "geographycode", "geocode", "code", "areacd", "gsscode"}
_AREA_NAME = {"areaname", "geographyname", "name", "areanm", "geography_name"}


def _n(h: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(h or "").lower())


def _code_col(header: list[str]) -> int | None:
    for i, h in enumerate(header):
        n = _n(h)
        if n in _AREA_CODE or re.fullmatch(r"(lsoa|lad|ltla|utla|wd|ward|msoa|la|oa|cty|rgn)\d{0,2}cd", n) or (
                "code" in n and any(k in n for k in ("lsoa", "localauthority", "ward", "area", "msoa"))):
            return i
    return None


# --------------------------------------------------------------------------
def sniff(path: pathlib.Path) -> bool:
    path = pathlib.Path(path)
    if path.is_dir() or path.suffix.lower() not in (".csv", ".xlsx", ".xlsm"):
        return False
    if path.suffix.lower() == ".csv":
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
            head = list(csv.reader(io.StringIO(f.read(16384))))[:15]
    else:
        head = _xlsx_rows(path, limit=15)[1]
    for row in head:
        if _code_col(row) is not None:
            kind = _kind([str(c) for c in row])
            return kind is not None
    return False


def _census_columns(header: list[str]) -> list[tuple[int, str, str]]:
    """(column, topic, category) of a Census 2021 bulk file's measure columns (``General health: Bad health``),
    leaving out the totals (``General health: Total: All usual residents``)."""
    out = []
    for i, h in enumerate(header):
        topic, sep, category = str(h).partition(":")
        if sep and topic.strip() and category.strip() and not category.strip().lower().startswith("total"):
            out.append((i, topic.strip(), category.strip()))
    return out


def _kind(header: list[str]) -> str | None:
    ns = [_n(h) for h in header]
    if "indexdomain" in ns or any("decile" in n and ("multipledeprivation" in n or "imd" in n) for n in ns):
        return "iod"
    if "allages" in ns or "population" in ns or "allpersons" in ns:
        return "population"
    if any(n in ("value", "obsvalue", "observation", "count") for n in ns) and any(
            n.startswith("indicator") or n in ("measure", "variable") for n in ns):
        return "indicator"
    if len(_census_columns(header)) >= 2:
        return "census"  # one column per category (ONS Census 2021 bulk downloads, Nomis tables)
    return None


def load(path: pathlib.Path, **options: Any) -> CanonicalTables:
    path = pathlib.Path(path)
    try:
        return _load(path, options)
    except ValidationError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError, OSError,
            RecursionError, csv.Error) as e:
        log.debug("needs read failed", exc_info=True)
        raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                     f"could not read this file as needs data: {type(e).__name__}: {e}")]) from None
    except Exception as e:
        if type(e).__module__.split(".")[0] in ("zipfile", "openpyxl", "xml"):
            raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                         f"could not read this workbook: {e}")]) from None
        raise


def _xlsx_rows(path: pathlib.Path, limit: int | None = None) -> tuple[str | None, list[list[str]]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        first = None
        for ws in wb.worksheets:
            rows = []
            for i, r in enumerate(ws.iter_rows(values_only=True)):
                if limit is not None and i >= limit:
                    break
                rows.append(["" if v is None else (v if not isinstance(v, str) else v) for v in r])
            if first is None:
                first = (ws.title, rows)
            if any(_code_col([str(c) for c in row]) is not None for row in rows[:15]):
                return ws.title, rows
        return first or (None, [])
    finally:
        wb.close()


def _read(path: pathlib.Path) -> tuple[str | None, int, list[str], list[list[Any]]]:
    """(sheet, header row number, header, data rows) with preamble lines skipped."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheet, rows = _xlsx_rows(path)
    elif path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        sheet, rows = None, list(csv.reader(io.StringIO(text, newline="")))
    else:
        raise ValidationError([Issue(str(path), None, None, None, path.suffix, "format",
                                     "needs data must be .csv or .xlsx")])
    for i, row in enumerate(rows[:30]):
        header = [str(c).strip() for c in row]
        if _code_col(header) is not None and _kind(header):
            return sheet, i + 1, header, rows[i + 1:]
    first = next((([str(c).strip() for c in row], i + 1) for i, row in enumerate(rows[:30])
                  if any(str(c).strip() for c in row)), ([], None))
    code = next((first[0][i] for i in [_code_col(first[0])] if i is not None), None)
    found = ("nothing (the file is empty)" if first[1] is None else
             f"row {first[1]} with {len(first[0])} column(s): "
             + ", ".join(repr(h) for h in first[0][:12]) + (" …" if len(first[0]) > 12 else "")
             + (f" — {code!r} is an area code column, but there is no value, population or deprivation column"
                if code else " — none of them is an area code column"))
    raise ValidationError([Issue(str(path), sheet, first[1], code, None, "required_column",
                                 "no header with an area code column (Area Code, AreaCode, area_code, "
                                 "geography code, LAD24CD, lsoa21cd…) and indicator and value (Indicator Name, "
                                 "Value), population (all_ages, population) or deprivation (Index/Domain, "
                                 f"IMD decile) columns in the first 30 rows; found {found}")])


def _load(path: pathlib.Path, options: dict[str, Any]) -> CanonicalTables:
    sheet, hrow, header, rows = _read(path)
    kind = _kind(header)
    ctx = _Ctx(path, sheet, hrow, header)
    if kind == "population":
        places = _population(ctx, rows)
        tables = {"places": _frame(places, "places")}
    elif kind == "iod":
        tables = {"places": _frame(_iod(ctx, rows), "places")}
    elif kind == "census":
        tables = _census(ctx, rows, options)
    else:
        tables = _indicators(ctx, rows, options)
    if ctx.issues:
        raise ValidationError(ctx.issues, ctx.warnings)
    return CanonicalTables(tables, ctx.warnings, ctx.skipped)


class _Ctx:
    def __init__(self, path, sheet, hrow, header):
        self.file, self.sheet, self.hrow, self.header = str(path), sheet, hrow, header
        self.ns = [_n(h) for h in header]
        self.issues: list[Issue] = []
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def col(self, *names: str, contains: tuple[str, ...] = ()) -> int | None:
        for nm in names:
            if nm in self.ns:
                return self.ns.index(nm)
        for i, n in enumerate(self.ns):
            if contains and all(c in n for c in contains):
                return i
        return None

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def issue(self, row: int, col: int | None, value: Any, check: str, msg: str) -> None:
        if len(self.issues) < 500:
            self.issues.append(Issue(self.file, self.sheet, row, self.header[col] if col is not None else None,
                                     value, check, msg))

    def rows(self, rows):
        for k, row in enumerate(rows):
            if not any(not is_blank(c) and str(c).strip() for c in row):
                continue
            yield self.hrow + 1 + k, row


def _cell(row: list[Any], i: int | None) -> Any:
    if i is None or i >= len(row):
        return None
    v = row[i]
    return None if is_blank(v) or (isinstance(v, str) and not v.strip()) else v


def _number(ctx: _Ctx, r: int, row, i) -> float | None:
    try:
        return parse_number(_cell(row, i))
    except ParseError as e:
        ctx.issue(r, i, _cell(row, i), "number", str(e))
        return None


def _place_row(ctx: _Ctx, r: int, code: str, name: Any, level: Any) -> dict[str, Any]:
    lvl = level_of(code) or _level_text(level) or "area"
    return {"code": code, "name": parse_text(name) or code, "level": lvl, "parent": None,
            "_file": ctx.file, "_sheet": ctx.sheet, "_row": r}


def _level_text(v: Any) -> str | None:
    s = (parse_text(v) or "").lower()
    for k, lvl in (("lsoa", "lsoa"), ("msoa", "msoa"), ("ward", "ward"), ("local authority", "la"),
                   ("district", "la"), ("region", "region")):
        if k in s:
            return lvl
    return None


# ---- population ----
def _population(ctx: _Ctx, rows) -> list[dict[str, Any]]:
    ci, ni = _code_col(ctx.header), ctx.col(*_AREA_NAME)
    pi = ctx.col("allages", "population", "allpersons")
    si = ctx.col("sex", "gender")
    gi = ctx.col("geography", "areatype")
    out: dict[str, dict[str, Any]] = {}
    for r, row in ctx.rows(rows):
        if si is not None and str(_cell(row, si) or "").strip().lower() not in ("persons", "all", "all persons", "total"):
            ctx.skip("population row for one sex (Persons used)")
            continue
        code = parse_text(_cell(row, ci))
        if code is None:
            ctx.issue(r, ci, None, "required", "no area code")
            continue
        pop = _number(ctx, r, row, pi)
        if pop is None:
            continue
        if code in out:
            ctx.issue(r, ci, code, "unique", f"a second population for {code}")
            continue
        p = _place_row(ctx, r, code, _cell(row, ni), _cell(row, gi))
        p["population"] = pop
        per = ctx.col("period", "date", "year")
        p["population_period"] = parse_text(_cell(row, per)) if per is not None else None
        out[code] = p
    return list(out.values())


# ---- deprivation ----
def _iod(ctx: _Ctx, rows) -> list[dict[str, Any]]:
    ci, gi = _code_col(ctx.header), ctx.col("areatype", "geography")
    ni = ctx.col(*_AREA_NAME) if ctx.col(*_AREA_NAME) is not None else next(
        (i for i, n in enumerate(ctx.ns) if re.fullmatch(r"[a-z]+\d{2}nm", n) or (
            "name" in n and ("lsoa" in n or "localauthority" in n))), None)
    di = next((i for i, n in enumerate(ctx.ns) if "decile" in n and ("multipledeprivation" in n or "imd" in n)), None)
    out: dict[str, dict[str, Any]] = {}
    if di is not None:
        for r, row in ctx.rows(rows):
            code = parse_text(_cell(row, ci))
            if code is None:
                continue
            v = _number(ctx, r, row, di)
            if v is None:
                continue
            if not (1 <= v <= 10) or v != int(v):
                ctx.issue(r, di, v, "range", "an IMD decile is a whole number from 1 to 10")
                continue
            p = _place_row(ctx, r, code, _cell(row, ni), _cell(row, gi))
            p["imd_decile"] = int(v)
            out.setdefault(code, p)
        return list(out.values())
    domain = ctx.col("indexdomain")
    rank = ctx.col("rankaveragescore", "rankofaveragescore")
    if rank is None:
        rank = ctx.col("rankaveragerank", contains=("rank",))
    year = ctx.col("year", "deprivationdatayear")
    imd = []
    for r, row in ctx.rows(rows):
        if "multipledeprivation" not in _n(_cell(row, domain)):
            ctx.skip("deprivation domain other than the IMD")
            continue
        code = parse_text(_cell(row, ci))
        rk = _number(ctx, r, row, rank)
        if code is None or rk is None:
            continue
        imd.append((r, row, code, rk))
    n = len(imd)
    for r, row, code, rk in imd:
        p = _place_row(ctx, r, code, _cell(row, ni), _cell(row, gi))
        p["imd_decile"] = max(1, min(10, math.ceil(rk * 10 / n)))
        p["imd_rank"] = rk
        p["imd_year"] = parse_text(_cell(row, year)) if year is not None else None
        out.setdefault(code, p)
    return list(out.values())


# ---- indicators ----
def read_needs_map(path: str | pathlib.Path | None = None) -> list[dict[str, str]]:
    p = pathlib.Path(path) if path else DEFAULT_MAP
    rows = list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8-sig"))))
    issues = []
    for i, r in enumerate(rows, start=2):
        f = (r.get("people") or "").replace(" ", "").lower()
        if f not in FORMULAS:
            issues.append(Issue(str(p), None, i, "people", r.get("people"), "choice",
                                f"people must be one of {', '.join(FORMULAS)}"))
        if f != "skip" and not (r.get("category") or "").strip():
            issues.append(Issue(str(p), None, i, "category", None, "required", "a category code is needed"))
        r["people"] = f
    if issues:
        raise ValidationError(issues)
    return rows


def _population_lookup(opt: Any) -> dict[str, float]:
    if opt is None:
        return {}
    if isinstance(opt, dict):
        return {str(k): float(v) for k, v in opt.items()}
    ct = load(pathlib.Path(opt))
    return {r["code"]: r["population"] for r in ct.records("places") if r.get("population") is not None}


def _indicators(ctx: _Ctx, rows, options) -> dict[str, pd.DataFrame]:
    rules = read_needs_map(options.get("needs_map"))
    cmap = cats.read_map(options.get("category_map"))
    population = _population_lookup(options.get("population"))
    ci, ni = _code_col(ctx.header), ctx.col(*_AREA_NAME)
    iid = ctx.col("indicatorid")
    iname = ctx.col("indicatorname", "indicator", "measure", "variable")
    vi = ctx.col("value", "obsvalue", "observation")
    cnt = ctx.col("count")
    den = ctx.col("denominator")
    per = ctx.col("timeperiod", "period", "date", "year")
    gi = ctx.col("areatype", "geography")
    known = {_n(x) for x in ("Indicator ID", "Indicator Name", "Area Code", "AreaName", "Area Type", "Sex", "Age",
                             "Category Type", "Time period", "Value", "Count", "Denominator", "Value note",
                             "measure", "unit", "geography", "period", "indicator", "area_code", "area_name")}
    wanted = {_n(b) for r in rules for b in (r.get("breakdown") or "").split(";") if b.strip()}
    bi = None
    for i, n in enumerate(ctx.ns):
        if n in known:
            continue
        vals = {_n(_cell(row, i)) for row in rows[:2000]}
        if vals & wanted:
            bi = i
            break
    if bi is None:
        bi = ctx.col("category")
    needs: dict[str, dict[str, Any]] = {}
    places: dict[str, dict[str, Any]] = {}
    unmatched: set[str] = set()
    for r, row in ctx.rows(rows):
        code = parse_text(_cell(row, ci))
        if code is None:
            ctx.issue(r, ci, None, "required", "no area code")
            continue
        ind_id, ind_name = parse_text(_cell(row, iid)), parse_text(_cell(row, iname)) or ""
        breakdown = _n(_cell(row, bi))
        rule = None
        for rr in rules:
            key = (rr.get("indicator") or "").strip()
            if not key:
                continue
            if not (key == ind_id or key.lower() in ind_name.lower()):
                continue
            allowed = {_n(b) for b in (rr.get("breakdown") or "").split(";") if b.strip()}
            if allowed and breakdown not in allowed:
                continue
            rule = rr
            break
        if rule is None:
            ctx.skip("indicator not in the needs map")
            unmatched.add(ind_id or ind_name[:60])
            continue
        if rule["people"] == "skip":
            ctx.skip("indicator row mapped to skip")
            continue
        value = _number(ctx, r, row, vi)
        f = rule["people"]
        people = None
        if f == "value":
            people = value
        elif f == "count":
            people = _number(ctx, r, row, cnt)
        elif "denominator" in f:
            d = _number(ctx, r, row, den)
            if value is not None and d is not None:
                people = (value if f.startswith("value") else 100 - value) * d / 100
        elif "population" in f:
            pop = population.get(code)
            if pop is None:
                ctx.skip("no population for a percentage indicator")
                continue
            if value is not None:
                people = (value if f.startswith("value") else 100 - value) * pop / 100
        if people is None:
            ctx.skip("indicator value missing")
            continue
        period = parse_text(_cell(row, per))
        category = rule["category"].strip()
        nid = need_id(code, category, period)
        n = needs.get(nid)
        if n is None:
            needs[nid] = {"place": code, "category": category, "people": float(people), "id": nid,
                          "source": parse_text(rule.get("source_note")) or pathlib.Path(ctx.file).name,
                          "period": period, "priority": None, "indicator": ind_id or ind_name[:200],
                          "_file": ctx.file, "_sheet": ctx.sheet, "_row": r}
        else:
            n["people"] += float(people)
        if options.get("places") and code not in places:
            places[code] = _place_row(ctx, r, code, _cell(row, ni), _cell(row, gi))
    if unmatched:
        ctx.warnings.append(f"{ctx.file}: {len(unmatched)} indicator(s) not in the needs map were skipped: "
                            + "; ".join(sorted(unmatched)[:5]))
    used = {n["category"] for n in needs.values()}
    return {"needs": _frame(list(needs.values()), "needs"),
            "categories": _frame([{**c, "_file": ctx.file, "_sheet": None, "_row": None}
                                  for c in cats.category_rows(used, cmap)], "categories"),
            "places": _frame(list(places.values()), "places")}


def _rule_for(rules: list[dict[str, str]], ind_id: str | None, ind_name: str, breakdown: str) -> dict[str, str] | None:
    """The first needs-map row for an indicator (id, or text in its name) and breakdown value (normalised)."""
    for rr in rules:
        key = (rr.get("indicator") or "").strip()
        if not key or not (key == ind_id or key.lower() in ind_name.lower()):
            continue
        allowed = {_n(b) for b in (rr.get("breakdown") or "").split(";") if b.strip()}
        if allowed and breakdown not in allowed:
            continue
        return rr
    return None


def _census(ctx: _Ctx, rows, options) -> dict[str, pd.DataFrame]:
    """A Census 2021 bulk table: one row per area, one column per category (``Topic: Category``).

    Each category column is matched to the needs map as indicator = the topic, breakdown = the category
    (so ``General health: Bad health`` is the general-health rule's ``Bad health``); its cell is a count
    of people, so the rule's ``people`` must be ``value`` or ``count`` (other rules are skipped, counted).
    """
    rules = read_needs_map(options.get("needs_map"))
    cmap = cats.read_map(options.get("category_map"))
    ci, ni = _code_col(ctx.header), ctx.col(*_AREA_NAME, "geography")
    per = ctx.col("date", "period", "year", "timeperiod")
    measures = []
    unmatched: set[str] = set()
    for j, topic, category in _census_columns(ctx.header):
        rule = _rule_for(rules, None, topic, _n(category))
        if rule is None:
            unmatched.add(ctx.header[j])
        elif rule["people"] == "skip":
            pass
        elif rule["people"] not in ("value", "count"):
            ctx.warnings.append(f"{ctx.file}: column {ctx.header[j]!r} matches the needs map's rule "
                                f"{rule['indicator']!r}, whose people = {rule['people']} needs a percentage; a "
                                "Census table's cells are counts, so it was not used")
        else:
            measures.append((j, rule))
    needs: dict[str, dict[str, Any]] = {}
    places: dict[str, dict[str, Any]] = {}
    for r, row in ctx.rows(rows):
        code = parse_text(_cell(row, ci))
        if code is None:
            ctx.issue(r, ci, None, "required", "no area code")
            continue
        period = parse_text(_cell(row, per))
        for j, rule in measures:
            people = _number(ctx, r, row, j)
            if people is None:
                ctx.skip("indicator value missing")
                continue
            category = rule["category"].strip()
            nid = need_id(code, category, period)
            n = needs.get(nid)
            if n is None:
                needs[nid] = {"place": code, "category": category, "people": float(people), "id": nid,
                              "source": parse_text(rule.get("source_note")) or pathlib.Path(ctx.file).name,
                              "period": period, "priority": None, "indicator": ctx.header[j][:200],
                              "_file": ctx.file, "_sheet": ctx.sheet, "_row": r}
            else:
                n["people"] += float(people)
        if options.get("places") and code not in places:
            places[code] = _place_row(ctx, r, code, _cell(row, ni), None)
    if unmatched:
        ctx.warnings.append(f"{ctx.file}: {len(unmatched)} column(s) not in the needs map were skipped: "
                            + "; ".join(sorted(unmatched)[:5]))
    if not measures:
        ctx.issues.append(Issue(ctx.file, ctx.sheet, ctx.hrow, None, None, "needs_map",
                                "no column of this Census table matches a needs-map rule (indicator = the text "
                                "before the first colon, breakdown = the rest, e.g. 'General health' and 'Bad "
                                "health'); found " + ", ".join(repr(h) for h in ctx.header[:8])
                                + ". Add rows to a needs map (needs_map.csv) for its topic"))
    used = {n["category"] for n in needs.values()}
    return {"needs": _frame(list(needs.values()), "needs"),
            "categories": _frame([{**c, "_file": ctx.file, "_sheet": None, "_row": None}
                                  for c in cats.category_rows(used, cmap)], "categories"),
            "places": _frame(list(places.values()), "places")}


def _frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    return table_frame(rows, name)
