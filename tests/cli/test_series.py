"""``ecomap analyse --series``: the headline figures per date, as JSON and as a table; every refusal exit 2."""

from __future__ import annotations

import json

import pytest

from ecosystem import cli
from ecosystem.demo import DEMO_DIR
from ecosystem.pipeline import load

PLACE = "E08000009"


@pytest.fixture
def demo(store):
    load(store, [DEMO_DIR], fmt="template", source="trafford-demo")
    return store


def test_series_json_agrees_with_the_analysis_at_each_date(demo, capsys):
    assert cli.main(["analyse", "--place", PLACE, "--series", "2024-11-21:2026-11-21:12m", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["place"] == PLACE and out["category"] is None
    rows = out["series"]
    assert sorted({r["as_of"] for r in rows}) == ["2024-11-21", "2025-11-21", "2026-11-21"]
    for day in ("2024-11-21", "2026-11-21"):
        assert cli.main(["analyse", "--place", PLACE, "--as-of", day, "--json"]) == 0
        a = json.loads(capsys.readouterr().out)
        mine = [r for r in rows if r["as_of"] == day]
        assert all(r["unmet"] == a["totals"]["unmet"] and r["demand"] == a["totals"]["demand"] for r in mine)
        totals = [t for t in a["funding_security"] if t["funder"] is None]
        assert [(r["currency"], r["funding"], r["short_term_share"], r["multi_year_share"]) for r in mine] == [
            (t["currency"], t["amount"], t["short_term_share"], t["multi_year_share"]) for t in totals]
        providers = {p for c in a["diversity"] for p in [c["sector"]]}
        assert all(r[f"providers_{s}"] > 0 for r in mine for s in providers)


def test_series_table_names_the_place_and_category(demo, capsys):
    cats = demo.run("list_categories")
    code, name = cats["code"].iloc[0], cats["name"].iloc[0]
    assert cli.main(["analyse", "--place", PLACE, "--series", "2025-01-01:2026-01-01:6m", "--category", code]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0] == f"Headline figures for Trafford ({PLACE}), {name} ({code}) only"
    assert lines[3].split()[:4] == ["as", "of", "need", "unmet"]
    assert [x.split()[0] for x in lines[4:]] == ["2025-01-01", "2025-07-01", "2026-01-01"]


@pytest.mark.parametrize("args, part", [
    (["--series", "2022-04-01:2026-04-01"], "FROM:TO:STEP"),
    (["--series", "2022-04-31:2026-04-01:12m"], "series start '2022-04-31'"),
    (["--series", "2022-04-01:later:12m"], "series end 'later'"),
    (["--series", "2026-04-01:2022-04-01:12m"], "before its start"),
    (["--series", "2022-04-01:2026-04-01:0m"], "series step '0m'"),
    (["--series", "2022-04-01:2026-04-01:fortnightly"], "series step 'fortnightly'"),
    (["--series", "2000-01-01:2026-04-01:1m"], "more than 240 dates"),
    (["--series", "1800-01-01:1810-01-01:1y"], "use dates from 1900-01-01"),
    (["--series", "2022-04-01:2026-04-01:12m", "--as-of", "2026-01-01"], "--series and --as-of"),
    (["--series", "2022-04-01:2026-04-01:12m", "--write-back"], "--series and --write-back"),
    (["--series", "2022-04-01:2026-04-01:12m", "--category", "NOPE"], "--category 'NOPE': no such category"),
    (["--series", "2022-04-01:2026-04-01:12m", "--place", "E99999999"], "no such place"),
    (["--category", "mh"], "--category works with --series"),
])
def test_series_refusals_exit_2_with_one_line(store, capsys, args, part):
    assert cli.main(["analyse", *args]) == 2
    captured = capsys.readouterr()
    assert part in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1, captured.err
