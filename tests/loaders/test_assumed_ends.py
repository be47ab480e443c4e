"""Assumed end dates and beneficiary places: the shared helper, the load option, the template columns.

A grant or contract published without an end is given ``assume_months``
calendar months from its start (``loaders.parse.assumed_end``); the
template's blank ``end`` stays open-ended; the template's ``places`` column
lists beneficiary place codes.
"""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

import loaders
from ecosystem import cli
from ecosystem.model import ValidationError, add_months
from loaders.parse import DEFAULT_ASSUME_MONTHS, assumed_end, check_assume_months, parse_bool
from loaders.template import load as load_template

D = dt.date


@pytest.mark.parametrize("start, months, end", [
    (D(2024, 4, 1), 12, D(2025, 3, 31)),    # a financial year
    (D(2024, 1, 1), 12, D(2024, 12, 31)),
    (D(2024, 1, 15), 1, D(2024, 2, 14)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),    # runs into a shorter month: its last day (leap year)
    (D(2023, 1, 31), 1, D(2023, 2, 28)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 11, 30), 3, D(2025, 2, 28)),
    (D(2024, 12, 1), 1, D(2024, 12, 31)),
    (D(2024, 3, 31), 1, D(2024, 4, 30)),
    (D(2024, 5, 31), 1, D(2024, 6, 30)),
    (D(2024, 7, 1), 36, D(2027, 6, 30)),
])
def test_assumed_end_by_hand(start, months, end):
    assert assumed_end(start, months) == end


def test_assumed_end_default_is_twelve_months():
    assert DEFAULT_ASSUME_MONTHS == 12
    assert assumed_end(D(2019, 6, 1)) == D(2020, 5, 31)
    assert assumed_end(dt.datetime(2019, 6, 1, 13, 30)) == D(2020, 5, 31)


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)), st.integers(1, 600))
def test_assumed_end_is_within_the_calendar_months(start, months):
    end = assumed_end(start, months)
    anniversary = add_months(start, months)
    # never past start + months (so an assumed 12-month flow is short-term), at most a day before it
    assert start <= end <= anniversary
    assert anniversary - end <= dt.timedelta(days=1)
    assert assumed_end(start, months + 1) > end if months < 600 else True


@pytest.mark.parametrize("bad", [0, -1, 601, 1.5, "x", "", None, True])
def test_assume_months_must_be_a_whole_number_from_1_to_600(bad):
    with pytest.raises(ValueError, match="assume_months"):
        check_assume_months(bad)


def test_assume_months_accepts_text_and_whole_floats():
    assert check_assume_months("18") == 18 and check_assume_months(24.0) == 24 and check_assume_months(600) == 600


def test_every_loader_takes_options_as_keywords():
    for fmt, name in loaders.FORMAT_MODULES.items():
        params = inspect.signature(loaders._module(fmt).load).parameters.values()
        assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params), name


class _Recorder:
    """A format module that records the options it is given."""

    seen: list[dict] = []

    @staticmethod
    def sniff(path):
        return True

    @classmethod
    def load(cls, path, **options):
        cls.seen.append(options)
        import pandas as pd

        from ecosystem.model import CanonicalTables

        # one category, so the load has something to write (a load of nothing is refused)
        return CanonicalTables({"categories": pd.DataFrame([{"code": "x", "name": "X", "parent": None}])})


def test_load_paths_gives_every_loader_assume_months(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "recorder_format", _Recorder)
    monkeypatch.setitem(loaders.FORMAT_MODULES, "recorder", "recorder_format")
    f = tmp_path / "x.txt"
    f.write_text("x")
    _Recorder.seen.clear()
    loaders.load_paths([f, f], "recorder")
    loaders.load_paths([f], "recorder", assume_months=6, category_map=None)
    assert [o["assume_months"] for o in _Recorder.seen] == [12, 12, 6]
    with pytest.raises(ValueError, match="between 1 and 600"):
        loaders.load_paths([f], "recorder", assume_months=0)


@pytest.mark.parametrize("text, value", [("true", True), ("Yes", True), ("1", True), ("FALSE", False),
                                         ("no", False), ("0", False), ("", None), (True, True), (0, False)])
def test_parse_bool(text, value):
    assert parse_bool(text) is value


def _template(tmp_path, funding: str):
    d = tmp_path / "t"
    d.mkdir()
    (d / "organisations.csv").write_text("id,name\nC1,Council\nP1,Provider\n")
    (d / "funding.csv").write_text(funding)
    return d


def test_template_funding_places_and_end_assumed(tmp_path):
    d = _template(tmp_path, "id,funder,recipient,amount,start,end,places,end_assumed\n"
                            "F1,C1,P1,100,2024-01-01,2024-12-31,E05000001; E08000009,yes\n"
                            "F2,C1,P1,50,2024-01-01,,,\n")
    rows = {r["id"]: r for r in load_template(d, assume_months=3).records("funding")}
    assert rows["F1"]["places"] == ["E05000001", "E08000009"] and rows["F1"]["end_assumed"] is True
    # the template's blank end stays open-ended whatever assume_months says
    assert rows["F2"]["places"] == [] and rows["F2"]["end"] is None and rows["F2"]["end_assumed"] is None


def test_template_without_the_new_columns_loads_as_before(tmp_path):
    d = _template(tmp_path, "id,funder,recipient,amount,start,end\nF1,C1,P1,100,2024-01-01,\n")
    (rec,) = load_template(d).records("funding")
    assert rec["places"] == [] and rec["end_assumed"] is None and rec["end"] is None


def test_template_end_assumed_must_be_true_or_false(tmp_path):
    d = _template(tmp_path, "id,funder,recipient,amount,start,end,end_assumed\nF1,C1,P1,100,2024-01-01,,maybe\n")
    with pytest.raises(ValidationError) as e:
        load_template(d)
    (issue,) = e.value.issues
    assert (issue.source, issue.row, issue.column, issue.value) == ("funding.csv", 2, "end_assumed", "maybe")
    assert "true or false" in issue.message


def test_template_readme_names_the_new_columns(tmp_path):
    from loaders.template import write_template

    write_template(tmp_path)
    header = (tmp_path / "funding.csv").read_text().strip().split(",")
    assert "places" in header and "end_assumed" in header
    readme = (tmp_path / "README.md").read_text()
    assert "beneficiary place codes" in readme and "`end_assumed`" in readme


@pytest.mark.parametrize("value", ["0", "601", "twelve", "1.5"])
def test_cli_refuses_a_bad_assume_months(value, capsys, tmp_path):
    assert cli.main(["load", str(tmp_path), "--assume-months", value, "--dry-run", "--no-store"]) == 2
    err = capsys.readouterr().err
    assert "--assume-months" in err and "whole number from 1 to 600" in err


def test_cli_passes_assume_months_to_the_loaders(monkeypatch, tmp_path, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "recorder_format", _Recorder)
    monkeypatch.setitem(loaders.FORMAT_MODULES, "recorder", "recorder_format")
    monkeypatch.setattr(loaders, "FORMATS", (*loaders.FORMATS, "recorder"))
    monkeypatch.setenv("ECOMAP_HOME", str(tmp_path / "home"))
    f = tmp_path / "x.txt"
    f.write_text("x")
    _Recorder.seen.clear()
    assert cli.main(["load", str(f), "--format", "recorder", "--assume-months", "18", "--dry-run", "--no-store"]) == 0
    assert cli.main(["load", str(f), "--format", "recorder", "--dry-run", "--no-store"]) == 0
    assert [o["assume_months"] for o in _Recorder.seen] == [18, 12]
