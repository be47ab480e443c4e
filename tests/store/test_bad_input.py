"""Every class of bad input: exit 2, a message naming file, row, column and
value, and the store exactly as it was (through the CLI a user runs)."""

from __future__ import annotations

import json

import pytest

from ecosystem import cli
from ecosystem.export import export_dict
from ecosystem.pipeline import load


def _replace(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


# (file, old text, new text, expected fragments of the message: file, row, column, value, words)
CASES = {
    "missing_required_column": ("services.csv", "provider,category", "provider_id,category",
                                ["services.csv", "row 1", "provider", "did you mean `provider_id`"]),
    "duplicate_id": ("services.csv", "S2,Walk", "S1,Walk",
                     ["services.csv", "row 3", "column id", "'S1'", "duplicate id"]),
    "unknown_organisation": ("services.csv", "S2,Walk,P2", "S2,Walk,P9",
                             ["services.csv", "row 3", "column provider", "'P9'", "unknown organisation"]),
    "unknown_service": ("funding.csv", "2026-12-31,S1", "2026-12-31,S7",
                        ["funding.csv", "row 2", "column service", "'S7'", "unknown service"]),
    "unknown_place": ("services.csv", "W1;W2", "W1;W9",
                      ["services.csv", "row 2", "column areas", "'W9'", "unknown place"]),
    "unknown_category": ("needs.csv", "W1,mh", "W1,dental",
                         ["needs.csv", "row 2", "column category", "'dental'", "unknown category"]),
    "negative_amount": ("funding.csv", "P2,500", "P2,-500",
                        ["funding.csv", "row 3", "column amount", "-500", "must not be negative"]),
    "negative_capacity": ("services.csv", "W2,10", "W2,-10",
                          ["services.csv", "row 3", "column capacity", "-10", "must not be negative"]),
    "end_before_start": ("funding.csv", "2025-01-01,2026-12-31", "2025-01-01,2024-12-31",
                         ["funding.csv", "row 2", "column end", "2024-12-31", "before start"]),
    "unparseable_date": ("funding.csv", "2025-01-01,2026-12-31", "2025-01-01,31st Dec",
                         ["funding.csv", "row 2", "column end", "'31st Dec'", "not a date"]),
    "unparseable_number": ("services.csv", "W1;W2,90", "W1;W2,ninety",
                           ["services.csv", "row 2", "column capacity", "'ninety'", "not a number"]),
    "own_ancestor": ("places.csv", "LA,Town,la,,300", "LA,Town,la,W1,300",
                     ["places.csv", "column parent", "own ancestor"]),
    "bad_choice": ("partnerships.csv", "P1,P2,referral", "P1,P2,friends",
                   ["partnerships.csv", "row 2", "column kind", "'friends'", "must be one of"]),
    "missing_value": ("organisations.csv", "P1,Provider One", "P1,",
                      ["organisations.csv", "row 3", "column name", "name is required"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exit_2_names_location_and_leaves_store(case, store, template_dir, capsys):
    load(store, [template_dir], source="small")
    before = json.dumps(export_dict(store), sort_keys=True)
    fname, old, new, expected = CASES[case]
    _replace(template_dir / fname, old, new)
    code = cli.main(["load", str(template_dir), "--source", "small"])
    err = capsys.readouterr().err
    assert code == 2, err
    for fragment in expected:
        assert fragment in err, (fragment, err)
    assert "nothing was loaded" in err and "Traceback" not in err
    assert json.dumps(export_dict(store), sort_keys=True) == before


def test_every_problem_is_reported_at_once(store, template_dir, capsys):
    _replace(template_dir / "services.csv", "S2,Walk,P2", "S2,Walk,P9")
    _replace(template_dir / "funding.csv", "P2,500", "P2,-500")
    code = cli.main(["load", str(template_dir), "--dry-run", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2
    checks = sorted(i["check"] for i in out["issues"])
    assert checks == ["non_negative", "reference"]
    issue = [i for i in out["issues"] if i["check"] == "reference"][0]
    assert issue["row"] == 3 and issue["column"] == "provider" and issue["value"] == "P9"
    assert store.counts()["nodes"] == {}


def test_dry_run_counts_and_writes_nothing(store, template_dir, capsys):
    code = cli.main(["load", str(template_dir), "--dry-run", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["tables"] == {"places": 3, "categories": 1, "organisations": 3, "services": 2, "needs": 2,
                             "funding": 2, "partnerships": 1}
    assert out["issues"] == [] and isinstance(out["warnings"], list)
    assert store.counts()["nodes"] == {}


def test_references_may_point_at_what_the_store_holds(store, template_dir, tmp_path):
    load(store, [template_dir])
    more = tmp_path / "more"
    more.mkdir()
    (more / "services.csv").write_text("id,name,provider,category,areas,capacity\nS9,Extra,P1,mh,W2,5\n")
    result = load(store, [more])
    assert result["status"] == "loaded"
    assert store.counts()["nodes"]["Service"] == 3


def test_xlsx_workbook_errors_name_the_sheet(store, tmp_path, capsys):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "places"
    ws.append(["Code", "Name", "Level", "Population"])
    ws.append(["LA", "Town", "la", 300])
    ws.append(["W1", "North", "ward", "lots"])
    ws2 = wb.create_sheet("categories")
    ws2.append(["code", "name"])
    ws2.append(["mh", "Mental health"])
    path = tmp_path / "place.xlsx"
    wb.save(path)
    code = cli.main(["load", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "place.xlsx, sheet places, row 3, column Population" in err and "'lots'" in err
    assert store.counts()["nodes"] == {}


def test_xlsx_workbook_loads(store, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Places"
    ws.append(["code", "name", "level", "parent", "population"])
    ws.append(["LA", "Town", "la", None, 300])
    ws.append(["W1", "North", "ward", "LA", 100])
    path = tmp_path / "place.xlsx"
    wb.save(path)
    result = load(store, [path])
    assert result["counts"]["places"] == 2
    assert store.counts()["relationships"] == {"PART_OF": 1}
