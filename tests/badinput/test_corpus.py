"""The bad-input corpus: one fixture per case a new user (or an attacker) tried.

Each folder under ``fixtures/`` holds the files that replace the small template's
(tests/fixtures/template/small) for that case; a sub-folder is a second path in the same load.
Every case is run through the command line a user runs, against a store that already holds the
pristine template, and asserts the exit code, where the message points (file, row, column, value)
and that ``db export`` is byte-for-byte what it was.
"""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest

from ecosystem import cli
from ecosystem.export import export
from ecosystem.pipeline import load

HERE = pathlib.Path(__file__).parent
FIXTURES = HERE / "fixtures"
SMALL = HERE.parent / "fixtures" / "template" / "small"

# case -> (extra arguments, exit code, fragments the message must contain)
CASES = {
    "unterminated_quote": ([], 2, ["organisations.csv, row 3", "quote opened in row 3", "never closed"]),
    "duplicate_id_in_one_file": ([], 2, ["organisations.csv, row 5, column id", "duplicate id 'P1'",
                                         "rows 3 and 5 of organisations.csv"]),
    "duplicate_id_across_files": ([], 2, ["more/organisations.csv, row 2, column id", "duplicate id 'P2'",
                                          "small/organisations.csv row 4"]),
    "semicolon_delimiter": ([], 2, ["places.csv, row 1", "separated by semicolons (;)", "CSV UTF-8"]),
    "tab_delimiter": ([], 2, ["organisations.csv, row 1", "separated by tabs"]),
    "ragged_row": ([], 2, ["organisations.csv, row 3", "4 values but the header has 3 columns"]),
    "headers_only": ([], 2, ["nothing to load", "headers but no rows"]),
    # an impossible date and an unknown provider in one row: both reported in the one pass
    "date_and_unknown_provider": ([], 2, ["services.csv, row 3, column start", "not a real date",
                                          "services.csv, row 3, column provider", "unknown organisation 'P9'"]),
    "huge_capacity": (["--strict"], 2, ["services.csv, row 2, column capacity", "1e+29",
                                        "more than 10 times the 300 people"]),
    "huge_amount": (["--strict"], 2, ["funding.csv, row 3, column amount", "over £1bn"]),
}


def _case_dir(case: str, tmp_path: pathlib.Path) -> tuple[pathlib.Path, list[str]]:
    src = FIXTURES / case
    d = tmp_path / "small"
    shutil.copytree(SMALL, d)
    extra = []
    for f in sorted(src.iterdir()):
        if f.is_dir():
            shutil.copytree(f, tmp_path / f.name)
            extra.append(str(tmp_path / f.name))
        else:
            shutil.copy(f, d / f.name)
    return d, extra


def test_every_fixture_has_a_case():
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_case(case, store, tmp_path, capsys):
    load(store, [SMALL], source="small")
    before = export(store, "json")
    d, extra = _case_dir(case, tmp_path)
    args, code, fragments = CASES[case]
    got = cli.main(["load", str(d), *extra, "--source", "small", *args])
    err = capsys.readouterr().err
    assert got == code, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err
    assert err.count("\n") <= 12
    assert export(store, "json") == before


@pytest.mark.parametrize("case, fragment", [("huge_capacity", "warning: services.csv, row 2, column capacity"),
                                            ("huge_amount", "warning: funding.csv, row 3, column amount")])
def test_implausible_values_are_warnings_without_strict(case, fragment, store, tmp_path, capsys):
    d, _ = _case_dir(case, tmp_path)
    assert cli.main(["load", str(d), "--source", "small"]) == 0
    err = capsys.readouterr().err
    assert fragment in err, err
    assert store.counts()["nodes"]["Service"] == 2


def test_headers_only_records_no_load_run(store, tmp_path, capsys):
    d, _ = _case_dir("headers_only", tmp_path)
    assert cli.main(["load", str(d), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "rejected" and out["issues"][0]["check"] == "nothing_to_load"
    assert store.counts()["nodes"] == {}


def test_needs_file_whose_rows_are_all_skipped_says_why_and_the_fix(store, capsys):
    """The Fingertips 5-a-day indicator is a percentage: with no population loaded every row is skipped."""
    import csv

    from tests.support import SAMPLE_DATA

    path = next((SAMPLE_DATA / "needs").glob("fingertips_*.csv"))
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = sum(1 for _ in csv.DictReader(f))
    load(store, [SMALL], source="small")
    before = export(store, "json")
    assert cli.main(["load", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"nothing to load: all {rows} rows were skipped ({rows} × no population for a percentage indicator)" in err
    assert "load a population estimate for the same areas first" in err and "then load this file again" in err
    assert export(store, "json") == before


def test_partly_skipped_needs_file_warns_in_plain_output(store, tmp_path, capsys):
    """With one area's population in the store, that area loads and the rest are warned about."""
    import csv

    from tests.support import SAMPLE_DATA

    path = next((SAMPLE_DATA / "needs").glob("fingertips_*.csv"))
    with open(path, encoding="utf-8-sig", newline="") as f:
        recs = list(csv.DictReader(f))
    first = recs[0]
    geo = tmp_path / "geo"
    geo.mkdir()
    (geo / "places.csv").write_text(f"code,name,level,population\n{first['Area Code']},{first['AreaName']},la,1000\n")
    (geo / "categories.csv").write_text("code,name\nfood,Food\n")
    load(store, [geo], source="geo")
    assert cli.main(["load", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"warning: skipped {len(recs) - 1} rows: no population for a percentage indicator" in err
    need = [n for n in json.loads(export(store, "json"))["nodes"] if "Need" in n["labels"]]
    assert len(need) == 1
    # (100 - value) × population / 100, from the needs map's rule for indicator 93982
    assert need[0]["properties"]["people"] == pytest.approx((100 - float(first["Value"])) * 1000 / 100)
