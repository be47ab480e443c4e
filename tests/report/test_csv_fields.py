"""The report's CSV tables are written a column at a time, each distinct value worked out once: the text must be
exactly what :mod:`csv` writes for the same rows, made inert, with the names beside the codes."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem.export import inert
from ecosystem.report import csvs

#: text likely to need quoting or to run as a formula, and plain codes that repeat
TEXT = st.one_of(st.sampled_from(["S1", "S2", "P1", "", " ", "=1+1", "-2", "@x", "\tx", "a,b", 'say "hi"', "two\nlines",
                                  "cr\r", "'q", "é ü", "S1 "]),
                 st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6))
VALUE = st.one_of(TEXT, st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, width=32),
                  st.lists(TEXT, max_size=3))
NAMES = {"services": {"S1": "Service one", "S2": "=cmd|' /C calc'!A0", "a,b": 'Quoted "name", with comma'}}


def _reference(records, columns, names) -> str:
    """What csv.writer writes for the rows built one cell at a time (the meaning of every report CSV)."""
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, list):
            return "; ".join(v)
        return v

    header, rows = [], [[] for _ in records]
    for c in columns:
        header.append(c)
        named = c in csvs.NAMED
        if named:
            header.append(f"{c}_name")
        table = names.get(csvs.NAMED.get(c, ""), {})
        for r, out in zip(records, rows):
            v = r.get(c)
            out.append(inert(cell(v)))
            if named:
                out.append(inert("; ".join(table.get(str(x), "") for x in v) if isinstance(v, list)
                                 else "" if v is None else table.get(str(v), "")))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={"service": VALUE, "overlap": VALUE, "note": VALUE}), max_size=8),
       st.sampled_from([["service", "overlap", "note"], ["note"], ["service"], ["overlap", "note"]]))
def test_a_table_is_written_exactly_as_csv_writes_its_rows(records, columns):
    cols, data = csvs._rows(records, columns, NAMES)
    assert csvs._text(cols, data) == _reference(records, columns, NAMES)


def test_plain_codes_stay_as_they_are_and_odd_text_is_quoted_and_inert():
    records = [{"service": "S1", "note": 'a "b", c'}, {"service": "S2", "note": "=SUM(A1)"}, {"service": "S1"}]
    cols, data = csvs._rows(records, ["service", "note"], NAMES)
    assert cols == ["service", "service_name", "note"]
    assert csvs._text(cols, data).splitlines() == [
        "service,service_name,note",
        'S1,Service one,"a ""b"", c"',
        "S2,'=cmd|' /C calc'!A0,'=SUM(A1)",
        "S1,Service one,",
    ]


def test_a_one_column_table_keeps_an_empty_row_visible():
    cols, data = csvs._rows([{"note": ""}, {"note": "x"}, {}], ["note"], {})
    assert csvs._text(cols, data) == 'note\n""\nx\n""\n'


def test_a_long_table_is_written_in_chunks_without_losing_or_repeating_a_row(monkeypatch):
    monkeypatch.setattr(csvs, "CHUNK", 3)
    records = [{"service": f"S{i}", "overlap": i / 10} for i in range(10)]
    cols, data = csvs._rows(records, ["service", "overlap"], {})
    assert csvs._text(cols, data) == _reference(records, ["service", "overlap"], {})
