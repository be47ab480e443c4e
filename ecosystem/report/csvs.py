"""Every table of the report as CSV: full precision, every row, codes with their names beside them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import IO, Any

from ecosystem.analysis._core import TABLES
from ecosystem.analysis._json import column_of
from ecosystem.export import inert
from ecosystem.report.build import Report
from ecosystem.report.content import category_totals

#: columns holding a code, and the kind of name that goes beside it (as ``<column>_name``)
NAMED = {"place": "places", "category": "categories", "provider": "organisations", "funder": "organisations",
         "recipient": "organisations", "top_funder": "organisations", "top_provider": "organisations",
         "provider_a": "organisations", "provider_b": "organisations", "service": "services",
         "service_a": "services", "service_b": "services", "services": "services", "organisation": "organisations",
         "a": "organisations", "b": "organisations", "area": "places", "areas": "places"}

#: rows joined into text at a time when writing a table
CHUNK = 20_000

CHANGE_FILES = {"newly_unserved": "changes_newly_unserved.csv", "newly_met": "changes_newly_met.csv",
                "unmet_changes": "changes_unmet.csv", "new_cliffs": "changes_new_cliffs.csv",
                "passed_cliffs": "changes_passed_cliffs.csv"}


def _value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return "; ".join(_item(x) for x in v)
    return v


def _item(x: Any) -> str:
    """One item of a list cell; a record (a pipeline gap) as ``key=value`` pairs."""
    if isinstance(x, dict):
        return " ".join(f"{k}={'' if w is None else w}" for k, w in x.items())
    return str(x)


_PLAIN = re.compile(r'[^,"\r\n]*\Z')  # written as it is: csv's excel dialect quotes nothing else


_NUMBERS = {int, float, bool}


def _field(text: str) -> str:
    """``text`` as one CSV field, exactly as :func:`csv.writer` writes it in a row of several fields."""
    if _PLAIN.match(text):
        return text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([text, ""])
    return buf.getvalue()[:-2]  # less the empty field's comma and the line's end


def _cells(values: list[Any]) -> list[str]:
    """A column's values as CSV fields, text a spreadsheet would run as a formula made inert.

    Each distinct text is worked out once: codes and names repeat (a local
    authority's overlapping pairs run to six figures).
    """
    kinds = set(map(type, values))
    if kinds <= {str}:
        return _recoded(values, {v: _field(inert(v)) for v in dict.fromkeys(values)})
    if kinds <= _NUMBERS:  # their text holds no comma, quote or line break
        return list(map(str, values))
    return [_field(inert(v)) if isinstance(v, str) else "" if v is None else _field(str(v)) for v in values]


def _recoded(values: list[str], text: dict[str, str]) -> list[str]:
    """``values`` each replaced by its ``text`` (the same list when no text differs from its value)."""
    if all(k is v for k, v in text.items()):
        return values
    return list(map(text.__getitem__, values))


def _rows(records: list[dict[str, Any]], columns: list[str], names: dict[str, dict[str, str]]
          ) -> tuple[list[str], list[list[str]]]:
    """The header and each column's CSV fields (inert), built a column at a time."""
    cols: list[str] = []
    data: list[list[str]] = []
    for c in columns:
        raw = column_of(records, c)
        types = set(map(type, raw))
        if types <= {str}:  # codes mostly: each distinct one, and its name, worked out once
            distinct = dict.fromkeys(raw)
            cols.append(c)
            data.append(_recoded(raw, {v: _field(inert(v)) for v in distinct}))
            if c in NAMED:
                table = names.get(NAMED[c], {})
                cols.append(f"{c}_name")
                data.append(list(map({v: _field(inert(table.get(v, ""))) for v in distinct}.__getitem__, raw)))
            continue
        listy = any(issubclass(k, (list, tuple)) for k in types)
        cols.append(c)
        data.append(_cells([_value(v) for v in raw] if listy or type(None) in types else raw))
        if c in NAMED:
            table = names.get(NAMED[c], {})
            cols.append(f"{c}_name")
            if listy:
                named = ["; ".join(table.get(str(x), "") for x in v) if isinstance(v, (list, tuple))
                         else (table.get(str(v), "") if v is not None else "") for v in raw]
            else:
                named = [table.get(str(v), "") if v is not None else "" for v in raw]
            data.append(_cells(named))
    return cols, data


def _write(f: IO[str], columns: list[str], data: list[list[str]]) -> None:
    """Write a table as CSV to ``f``: its header, then a line per row (every field already a CSV field)."""
    csv.writer(f, lineterminator="\n").writerow(columns)
    n = len(data[0]) if data else 0
    for lo in range(0, n, CHUNK):
        part = [col[lo:lo + CHUNK] for col in data]
        if len(part) == 1:  # a row's only field, when empty, is written "" (as csv.writer does)
            lines: Iterable[str] = ('""' if cell == "" else cell for cell in part[0])
        else:
            lines = map(",".join, zip(*part))
        f.write("\n".join(lines))
        f.write("\n")


def _text(columns: list[str], data: list[list[str]]) -> str:
    buf = io.StringIO()
    _write(buf, columns, data)
    return buf.getvalue()


def csv_tables(report: Report) -> dict[str, str]:
    """File name → CSV text for every table of the report."""
    return {name: _text(cols, rows) for name, cols, rows in _tables(report)}


def _tables(report: Report) -> list[tuple[str, list[str], list[list[str]]]]:
    """(file name, header, inert rows) for every table of the report."""
    doc = report.doc
    a = doc["analysis"]
    names = doc["names"]
    out: list[tuple[str, list[str], list[list[str]]]] = []

    def add(name: str, records: list[dict[str, Any]], columns: list[str]) -> None:
        cols, rows = _rows(records, columns, names)
        out.append((name, cols, rows))

    for t, columns in TABLES.items():
        add(f"{t}.csv", a[t], columns)
    add("coverage_by_category.csv", category_totals(doc),
        ["category", "demand", "supply", "unmet", "unserved", "under"])
    add("articulation_points.csv", [{"organisation": o} for o in a["articulation_points"]], ["organisation"])
    add("bridges.csv", [{"a": x, "b": y} for x, y in a["bridges"]], ["a", "b"])
    add("cliff_outlook.csv", doc["cliff_outlook"], ["within_months", *TABLES["funding_cliffs"]])
    unplaced = a.get("unplaced") or {}
    add("unplaced.csv", unplaced.get("list") or [], ["organisation", "postcode", "flows", "amount", "currency"])
    t = a["totals"]
    summary = [{"measure": k, "value": v} for k, v in t.items()]
    summary += [{"measure": "short_term_share", "value": a["short_term_share"]},
                {"measure": "as_of", "value": doc["as_of"]}, {"measure": "place", "value": doc["place"]}]
    summary += [{"measure": f"unplaced_{k}", "value": unplaced.get(k, 0)} for k in ("organisations", "flows", "amount")]
    add("summary.csv", summary, ["measure", "value"])
    latest = {s["run"] for s in doc["data"]["sources"]}
    runs = [{**r, "latest": r["run"] in latest,
             "counts": "; ".join(f"{k}={v}" for k, v in (r.get("counts") or {}).items())}
            for r in doc["data"]["load_runs"]]
    add("sources.csv", runs, ["source", "run", "latest", "format", "started", "finished", "status", "counts",
                              "warnings", "paths"])
    w = doc.get("workshop") or {}
    for kind in ("notes", "actions"):
        recs = w.get(kind) or []
        extra = sorted({k for r in recs for k in r} - {"id", "concerns"})
        add(f"workshop_{kind}.csv", recs, ["id", "concerns", *extra])
    ch = doc.get("changes")
    if ch:
        cols = {"newly_unserved": ["place", "category", "demand", "status_before"],
                "newly_met": ["place", "category", "coverage", "status", "status_before"],
                "unmet_changes": ["place", "category", "unmet_before", "unmet_after", "change", "status_before",
                                  "status_after"],
                "new_cliffs": TABLES["funding_cliffs"], "passed_cliffs": [*TABLES["funding_cliffs"], "why"]}
        for key, fname in CHANGE_FILES.items():
            add(fname, ch[key], cols[key])
        moves = [{"kind": kind, "change": change, "id": i}
                 for kind, change, key in (("service", "appeared", "services_appeared"),
                                           ("service", "left", "services_left"),
                                           ("provider", "appeared", "providers_appeared"),
                                           ("provider", "left", "providers_left"))
                 for i in ch[key]]
        for m in moves:
            m["name"] = names.get("services" if m["kind"] == "service" else "organisations", {}).get(m["id"], "")
        add("changes_services_providers.csv", moves, ["kind", "change", "id", "name"])
    return out


def write_csv(report: Report, directory) -> list:
    """Write every table as ``<table>.csv`` into ``directory`` (streamed to each file, which is replaced
    atomically); return the paths written."""
    import pathlib

    from ecosystem.report.write import replacing

    d = pathlib.Path(directory)
    paths = []
    for name, cols, rows in _tables(report):
        with replacing(d / name) as f:
            _write(f, cols, rows)
        paths.append(d / name)
    return paths
