"""The streamed ``analyse --json`` writer: the same object as the dict encoder, from the tables directly."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis_fixtures import AS_OF
from ecosystem.analysis import analyse
from ecosystem.analysis._json import write_json
from ecosystem.analysis._tables import records
from ecosystem.cli import _json_default
from ecosystem.examples import riverside


def _streamed(items) -> dict:
    buf = io.BytesIO()
    write_json(items, buf)
    return json.loads(buf.getvalue())


def _old(d: dict) -> dict:
    """What the dict encoder (``print_json`` of ``to_json_dict``) wrote, parsed."""
    return json.loads(json.dumps(d, default=_json_default, indent=2, ensure_ascii=False))


def test_write_json_equals_the_dict_encoder_on_the_example():
    a = analyse(riverside(), place="LA1", as_of=AS_OF)
    buf = io.BytesIO()
    a.write_json(buf)
    got = json.loads(buf.getvalue())
    want = _old(a.to_json_dict())
    assert list(got) == list(want)  # same keys in the same order
    assert got == want
    assert len(got["overlaps"]) == 2


def test_no_pairs_leaves_out_only_the_pair_list():
    a = analyse(riverside(), place="LA1", as_of=AS_OF)
    buf = io.BytesIO()
    a.write_json(buf, pairs=False)
    got = json.loads(buf.getvalue())
    want = _old(a.to_json_dict())
    del want["overlaps"]
    assert got == want


def test_awkward_values_round_trip():
    df = pd.DataFrame({
        "text": ['he said "hi", then \\ left', "50% off", "Caf\u00e9 \u2013 \U0001F600", None],
        "num": [1.5, np.nan, 0.1 + 0.2, 1e-9],
        "int": np.array([1, -2, 3, 2**40], dtype=np.int64),
        "flag": [True, False, True, False],
        "when": [dt.date(2026, 1, 2), None, dt.date(2025, 12, 31), dt.date(2000, 2, 29)],
        "stamp": pd.to_datetime(["2026-01-02", None, "2024-02-29", "1999-12-31"]),
        "ids": [["S1", "S2"], [], ["S3"], ["x,\"y\""]],
        "mixed": [1, "a", None, 2.5],
    })
    got = _streamed([("t", df), ("empty", df.iloc[:0]), ("nocols", pd.DataFrame()), ("n", float("nan")),
                     ("scalar", np.float64(0.25)), ("d", {"k": [np.int64(3), dt.date(2026, 5, 1)]})])
    assert got["t"] == json.loads(json.dumps(records(df)))
    assert got["t"][1] == {"text": '50% off', "num": None, "int": -2, "flag": False, "when": None, "stamp": None,
                           "ids": [], "mixed": "a"}
    assert got["t"][0]["text"] == 'he said "hi", then \\ left' and got["t"][3]["ids"] == ['x,"y"']
    assert got["t"][2]["stamp"] == "2024-02-29" and got["t"][0]["when"] == "2026-01-02"
    assert got["empty"] == [] and got["nocols"] == [] and got["n"] is None and got["scalar"] == 0.25
    assert got["d"] == {"k": [3, "2026-05-01"]}


def test_tables_longer_than_a_chunk(monkeypatch):
    import ecosystem.analysis._json as js

    monkeypatch.setattr(js, "CHUNK", 3)
    df = pd.DataFrame({"a": [f"S{i}" for i in range(10)], "b": np.arange(10) / 4})
    assert _streamed([("t", df)])["t"] == records(df)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=8)),
                          st.floats(allow_infinity=False), st.integers(-2**53, 2**53), st.booleans()),
                max_size=30))
def test_any_table_streams_as_its_records(rows):
    df = pd.DataFrame(rows, columns=["s", "f", "i", "b"])
    assert _streamed([("t", df)])["t"] == json.loads(json.dumps(records(df)))


def test_a_scenario_streams_as_its_dict_and_an_empty_object_is_valid():
    from ecosystem.analysis import run_scenario

    # the council's exit: services switched off, a cell that becomes unserved, changes by category
    r = run_scenario(riverside(), remove_funders=["COUNCIL"], remove_providers=["MIND"], place="LA1", as_of=AS_OF)
    assert len(r.became_unserved) and len(r.unmet_change) and r.deactivated_services
    buf = io.BytesIO()
    r.write_json(buf)
    got, want = json.loads(buf.getvalue()), _old(r.to_dict())
    assert list(got) == ["options", "diff", "baseline", "analysis"] and list(got["diff"]) == list(want["diff"])
    assert got == want
    from ecosystem.analysis._json import Object

    assert _streamed([("a", Object()), ("b", Object([("c", 1)]))]) == {"a": {}, "b": {"c": 1}}
    assert _streamed([]) == {}


def _awkward() -> pd.DataFrame:
    return pd.DataFrame({
        "text": ['he said "hi"', "50% off", None, "Caf\u00e9", "S5"],
        "num": [1.5, np.nan, 0.1 + 0.2, 1e-9, 2.0],
        "int": np.array([1, -2, 3, 2**40, 0], dtype=np.int64),
        "flag": [True, False, True, False, True],
        "stamp": pd.to_datetime(["2026-01-02", None, "2024-02-29", "1999-12-31", "2026-12-04"]),
        "mixed": [1, "a", None, 2.5, np.nan],
    }, index=[10, 11, 12, 13, 14])  # an index of its own: records and rows go by position


def test_table_records_read_as_the_records_they_stand_for(monkeypatch):
    import orjson

    import ecosystem.analysis._json as js
    from ecosystem.analysis._json import TableRecords, column_of, orjson_default

    monkeypatch.setattr(js, "CHUNK", 2)  # iteration crosses chunks
    df = _awkward()
    want = records(df)
    t = TableRecords(df)
    assert len(t) == 5 and bool(t) and not TableRecords(df.iloc[:0])
    assert list(t) == want and t == want and want == t and t == TableRecords(df) and t != want[:4]
    assert t[0] == want[0] and t[-1] == want[-1] and t[1:3] == want[1:3] and t[:0] == []
    assert t[1] == {"text": "50% off", "num": None, "int": -2, "flag": False, "stamp": None, "mixed": "a"}
    with pytest.raises(IndexError):
        t[5]
    for c in df.columns:
        assert column_of(t, c) == [r[c] for r in want] == column_of(want, c)
    assert column_of(t, "absent") == [None] * 5
    with pytest.raises(TypeError):  # unhashable, like the list it equals
        hash(t)
    # a document holding one is written as if it held the list
    doc = {"a": {"overlaps": t, "n": 1}, "b": [TableRecords(df.iloc[:0])]}
    got = orjson.loads(orjson.dumps(doc, default=orjson_default, option=orjson.OPT_INDENT_2))
    assert got == json.loads(json.dumps({"a": {"overlaps": want, "n": 1}, "b": [[]]}))


def test_the_report_analysis_keeps_the_pairs_as_a_table():
    from ecosystem.analysis._json import TableRecords
    from ecosystem.report.build import analysis_dict

    a = analyse(riverside(), place="LA1", as_of=AS_OF)
    got = analysis_dict(a)
    want = _old(a.to_json_dict())
    assert isinstance(got["overlaps"], TableRecords) and len(got["overlaps"]) == 2
    assert list(got) == list(want) and got == want


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=5), st.integers(-2**60, 2**60), st.booleans(),
                          st.floats(allow_infinity=False), st.dates()), max_size=20))
def test_an_object_column_reads_as_py_makes_each_value(values):
    from ecosystem.analysis._tables import _column, py

    s = pd.Series(values, dtype=object)
    assert _column(s) == [py(v) for v in values]
    assert _column(pd.Series([np.str_("S1"), "S2"], dtype=object)) == ["S1", "S2"]
