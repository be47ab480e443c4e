"""The bad-input corpus: one fixture per case a new user (or an attacker) tried.

``fixtures/README.md`` is the index: every case the issue lists, with the fixture and the test that
covers it (here, in test_cli_edges.py, or elsewhere when the case needs heavier machinery).

Each folder under ``fixtures/`` (but ``cli/``) holds the files that replace the small template's
(tests/fixtures/template/small) for that case; a sub-folder is a second path in the same load.
Every case is run through the command line a user runs, and (one path, no options) through the data
page's upload, against a store that already holds the pristine template. Each asserts the exit code
(2), where the message points (file, sheet, row, column, value), no traceback, and that
``db export`` is byte-for-byte what it was.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest

from ecosystem import cli
from ecosystem.pipeline import load
from tests.badinput.conftest import SMALL, db_export

HERE = pathlib.Path(__file__).parent
FIXTURES = HERE / "fixtures"
#: fixture files of the command-line cases (test_cli_edges.py), not load cases
CLI_FIXTURES = FIXTURES / "cli"

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
    "huge_amount": (["--strict"], 2, ["funding.csv, row 3, column amount", "over £1bn", "(value 1.2e+29)"]),
    # 1e400 is a number as text, but infinity once stored: refused, not loaded as "£inf" with a warning
    "amount_too_large_to_store": ([], 2, ["funding.csv, row 3, column amount", "not a finite number", "'1e400'"]),
    # a CSV saved by Excel as Windows-1252 (the dash and é): the line and the byte are named
    "windows_1252_encoding": ([], 2, ["organisations.csv, row 3", "not UTF-8 text", "CSV UTF-8", "'0x96'"]),
    # NaN is a missing value, and the amount is required
    "nan_amount": ([], 2, ["funding.csv, row 3, column amount", "amount is required"]),
    # under --strict an implausible value is an error, reported with the file's own errors in one pass
    "duplicate_id_and_huge_capacity": (["--strict"], 2, ["organisations.csv, row 5, column id", "duplicate id 'P1'",
                                                         "services.csv, row 2, column capacity", "1e+29"]),
}
#: the cases the data page's upload also gets (one path, no command-line options)
WEB_CASES = sorted(c for c, (args, _, _) in CASES.items()
                   if not args and not any(p.is_dir() for p in (FIXTURES / c).iterdir()))


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


def _refused(err: str, fragments: list[str]) -> None:
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err


def test_every_fixture_has_a_case():
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p != CLI_FIXTURES) == sorted(CASES)


def test_db_export_is_what_the_corpus_compares(small_store, capsys):
    store, before = small_store
    capsys.readouterr()
    assert cli.main(["db", "export", "--format", "json"]) == 0
    assert capsys.readouterr().out == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_case(case, small_store, tmp_path, capsys):
    store, before = small_store
    d, extra = _case_dir(case, tmp_path)
    args, code, fragments = CASES[case]
    got = cli.main(["load", str(d), *extra, "--source", "small", *args])
    err = capsys.readouterr().err
    assert got == code, err
    _refused(err, fragments)
    assert err.count("\n") <= 12
    assert db_export(store) == before


# ---------------------------------------------------------------- the same files through the data page
@pytest.fixture(scope="module")
def data_page(graph_store):
    """The data page's callbacks over the session's store (called as plain functions, as Dash calls them)."""
    from dashboard import state
    from dashboard.app import create_app

    create_app(graph_store)
    from dashboard.pages import data

    yield data
    state.configure(None)


def _upload(page, files: dict[str, bytes], source: str | None = None, fmt: str = "auto"):
    mime = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    contents = [f"data:{mime.get(pathlib.Path(n).suffix, 'text/plain')};base64," + base64.b64encode(b).decode()
                for n, b in files.items()]
    return page.upload(contents, list(files), fmt, source, 0)


def _walk(component):
    if hasattr(component, "to_plotly_json"):
        component = component.to_plotly_json()
    if isinstance(component, dict):
        yield component
        for v in component.values():
            yield from _walk(v)
    elif isinstance(component, (list, tuple)):
        for v in component:
            yield from _walk(v)


def shown(component) -> str:
    """Every string in a component tree (what a person reads, with class names and ids)."""
    out: list[str] = []

    def walk(x):
        if hasattr(x, "to_plotly_json"):
            x = x.to_plotly_json()
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
    walk(component)
    return " ".join(out)


def issue_lines(component) -> list[str]:
    """The rows of the page's "Problems to fix" table, each put as the command line puts an issue."""
    for d in _walk(component):
        if isinstance(d.get("id"), dict) and d["id"].get("table") == "data-issues" and "data" in d:
            out = []
            for r in d["data"]:
                where = [r["Source"]] + [f"{k.lower()} {r[k]:g}" if isinstance(r[k], float) else f"{k.lower()} {r[k]}"
                                         for k in ("Sheet", "Row", "Column") if r.get(k) not in (None, "")]
                out.append(f"{', '.join(where)}: {r['Message']}" + ("" if r.get("Value") is None else
                                                                    f" (value {r['Value']!r})"))
            return out
    return []


@pytest.mark.parametrize("case", WEB_CASES)
def test_bad_upload_case(case, small_store, data_page, tmp_path):
    store, before = small_store
    d, _ = _case_dir(case, tmp_path)
    view, _loaded, pending, _ = _upload(data_page, {f.name: f.read_bytes() for f in sorted(d.iterdir())}, "small")
    assert pending is None  # refused, not held to replace the source
    lines = issue_lines(view)
    assert lines, shown(view)
    _, _, fragments = CASES[case]
    _refused("\n".join(lines), fragments)
    assert "nothing was loaded" in shown(view) and "ecomap-upload-" not in shown(view) + "".join(lines)
    assert db_export(store) == before


def test_a_file_of_no_known_format_on_the_page_says_what_each_check_found_with_the_pages_advice(small_store,
                                                                                                  data_page):
    store, before = small_store
    view, _, pending, _ = _upload(data_page, {"contracts.csv": b"Supplier,Value,Start\nAcme,100,2025-01-01\n"})
    [line] = issue_lines(view)
    assert line.startswith("contracts.csv: could not tell which format this is")  # the file's own name
    assert "first line has 3 column(s): Supplier, Value, Start" in line and "360giving:" in line
    assert "--format" not in line and "Choose its format in the Format list above" in line  # not the CLI's advice
    assert pending is None and db_export(store) == before


def test_a_second_upload_of_one_file_name_asks_before_it_replaces_the_first(small_store, data_page, monkeypatch):
    """Two uploads with no source name: the first is named after its file, the second is held and asked about."""
    from dashboard import state
    from ecosystem import sources

    monkeypatch.setattr(state, "warm", lambda: None)  # no analysis in the background of the next cases
    store, before = small_store
    view, _, pending, _ = _upload(data_page, {"organisations.csv": b"id,name,sector\nGB-UPLOAD-1,Upload One,vcse\n"})
    assert pending is None and "Loaded source “organisations.csv”" in shown(view)
    after_first = db_export(store)
    view, _, pending, _ = _upload(data_page, {"organisations.csv": b"id,name,sector\nGB-UPLOAD-2,Upload Two,vcse\n"})
    assert isinstance(pending, str)  # held until the person answers (the browser test answers both ways)
    assert "Source “organisations.csv” is already loaded" in shown(view) and "Nothing has been changed yet" in \
        shown(view)
    assert db_export(store) == after_first  # the first upload's rows are all still there
    data_page._take(pending)
    sources.unload(store, "organisations.csv")
    assert db_export(store) == before


def test_the_data_pages_own_bad_requests_are_messages(small_store, data_page):
    """A damaged upload (not base64) and unloading a source that is not there: a message, the store unchanged."""
    store, before = small_store
    view, _, pending, _ = data_page.upload(["data:text/csv;base64,@@@"], ["organisations.csv"], "auto", None, 0)
    assert "the upload of 'organisations.csv' is damaged" in shown(view) and pending is None
    view, pending = data_page.unload_preview(1, "nope")
    assert "no source named 'nope'" in shown(view) and "small" in shown(view) and pending is None
    assert "Traceback" not in shown(view) and db_export(store) == before


# ---------------------------------------------------------------- a workbook: the sheet is named
def _workbook(path: pathlib.Path, change) -> pathlib.Path:
    import csv

    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for f in sorted(SMALL.glob("*.csv")):
        ws = wb.create_sheet(f.stem)
        with f.open(newline="") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    change(wb)
    wb.save(path)
    return path


def test_a_workbook_with_a_duplicate_id_names_the_sheet(small_store, data_page, tmp_path, capsys):
    store, before = small_store
    book = _workbook(tmp_path / "small.xlsx",
                     lambda wb: wb["organisations"].append(["P1", "Provider One again", "private"]))
    fragments = ["small.xlsx, sheet organisations, row 5, column id", "duplicate id 'P1'"]
    assert cli.main(["load", str(book), "--source", "small"]) == 2
    _refused(capsys.readouterr().err, fragments)
    assert db_export(store) == before
    view, _, pending, _ = _upload(data_page, {"small.xlsx": book.read_bytes()}, "small")
    _refused("\n".join(issue_lines(view)), fragments)
    assert pending is None and db_export(store) == before


def _with_sheet_xml(book: pathlib.Path, sheet: str, old: str, new: str) -> pathlib.Path:
    """``book`` with one sheet's XML edited (to write what Excel writes and openpyxl cannot)."""
    import zipfile

    import openpyxl

    index = openpyxl.load_workbook(book, read_only=True).sheetnames.index(sheet) + 1
    out = book.with_name("edited-" + book.name)
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == f"xl/worksheets/sheet{index}.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            dst.writestr(item, data)
    return out


def test_a_workbook_formula_with_no_saved_result_is_refused_not_loaded_as_blank(small_store, data_page, tmp_path,
                                                                                 capsys):
    """A workbook written by a program keeps a formula's text but no result: read as values it is blank, and an
    optional column (capacity) would load as unknown without a word."""
    store, before = small_store
    book = _workbook(tmp_path / "small.xlsx", lambda wb: wb["services"].__setitem__("F2", "=10*9"))
    fragments = ["small.xlsx, sheet services, row 2, column capacity", "a formula with no saved result",
                 "open it in Excel or LibreOffice and save it", "'=10*9'"]
    assert cli.main(["load", str(book), "--source", "small"]) == 2
    _refused(capsys.readouterr().err, fragments)
    assert db_export(store) == before
    view, _, pending, _ = _upload(data_page, {"small.xlsx": book.read_bytes()}, "small")
    _refused("\n".join(issue_lines(view)), fragments)
    assert pending is None and db_export(store) == before
    # a formula whose saved result is empty text (as Excel writes one) is a real blank: it loads
    blank = _with_sheet_xml(book, "services", '<c r="F2"><f>10*9</f><v></v></c>',
                            '<c r="F2" t="str"><f>IF(1=1,"","x")</f><v></v></c>')
    assert cli.main(["load", str(blank), "--source", "small", "--dry-run"]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------- kill -9 in the middle of a load
_KILLED_LOAD = """
import sys, time
from ecosystem.load import write_tables
from ecosystem.pipeline import prepare
from ecosystem.store import GraphStore

store = GraphStore.open()
tables = prepare([sys.argv[1]], store=store)

def progress(done, total):
    if done >= 3:  # some rows written in the load's transaction, not committed
        print("mid-load", flush=True)
        time.sleep(600)

write_tables(store, tables, source="small", progress=progress, batch=1)
print("finished", flush=True)
"""


def test_a_load_killed_with_sigkill_half_way_loses_nothing_and_leaves_nothing(small_store, template_dir):
    store, before = small_store
    svc = template_dir / "services.csv"
    svc.write_text(svc.read_text() + "S3,Run,P2,mh,W1,5,,\n")  # a replacement of source small with one more row
    child = subprocess.Popen([sys.executable, "-c", _KILLED_LOAD, str(template_dir)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "ECOMAP_WARM": "off"})
    try:
        line = child.stdout.readline()
        assert line.strip() == "mid-load", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert db_export(store) == before  # none of the killed load's rows, the earlier load's all there
    assert load(store, [template_dir], source="small")["status"] == "loaded"  # and nothing is left locked
    assert store.counts()["nodes"]["Service"] == 3


# ---------------------------------------------------------------- more about the cases above
@pytest.mark.parametrize("case, fragment", [("huge_capacity", "warning: services.csv, row 2, column capacity"),
                                            ("huge_amount", "warning: funding.csv, row 3, column amount")])
def test_implausible_values_are_warnings_without_strict(case, fragment, store, tmp_path, capsys):
    d, _ = _case_dir(case, tmp_path)
    assert cli.main(["load", str(d), "--source", "small"]) == 0
    err = capsys.readouterr().err
    assert fragment in err, err
    assert store.counts()["nodes"]["Service"] == 2


def test_a_misspelt_column_is_a_warning_naming_the_column_it_resembles(store, template_dir, capsys):
    """Extra columns are kept as they are (SPEC §3); one a letter away from an absent template column is said,
    since its values would otherwise be lost to that column without a word."""
    svc = template_dir / "services.csv"
    svc.write_text(svc.read_text().replace(",capacity,", ",capcity,", 1))
    org = template_dir / "organisations.csv"
    org.write_text("".join(line + (",colour\n" if n == 0 else ",\n") for n, line in
                           enumerate(org.read_text().splitlines())))
    assert cli.main(["load", str(template_dir), "--source", "small"]) == 0
    err = capsys.readouterr().err
    assert "warning: services.csv, row 1, column capcity: not a template column" in err
    assert "did you mean `capacity`?" in err
    assert "colour" not in err  # an extra column that resembles none is kept without a word
    caps = {n["properties"]["id"]: n["properties"].get("capacity") for n in json.loads(db_export(store))["nodes"]
            if "Service" in n["labels"]}
    assert caps == {"S1": None, "S2": None}  # what the warning is about


def test_headers_only_records_no_load_run(store, tmp_path, capsys):
    d, _ = _case_dir("headers_only", tmp_path)
    assert cli.main(["load", str(d), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "rejected" and out["issues"][0]["check"] == "nothing_to_load"
    assert store.counts()["nodes"] == {}


def test_needs_file_whose_rows_are_all_skipped_says_why_and_the_fix(small_store, capsys):
    """The Fingertips 5-a-day indicator is a percentage: with no population loaded every row is skipped."""
    import csv

    from tests.support import SAMPLE_DATA

    store, before = small_store
    path = next((SAMPLE_DATA / "needs").glob("fingertips_*.csv"))
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = sum(1 for _ in csv.DictReader(f))
    assert cli.main(["load", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"nothing to load: all {rows} rows were skipped ({rows} × no population for a percentage indicator)" in err
    assert "load a population estimate for the same areas first" in err and "then load this file again" in err
    assert db_export(store) == before


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
    need = [n for n in json.loads(db_export(store))["nodes"] if "Need" in n["labels"]]
    assert len(need) == 1
    # (100 - value) × population / 100, from the needs map's rule for indicator 93982
    assert need[0]["properties"]["people"] == pytest.approx((100 - float(first["Value"])) * 1000 / 100)
