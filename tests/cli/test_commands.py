"""The CLI a user runs, against the real store: status, export, query, template, write-back, scenarios."""

from __future__ import annotations

import json

import pytest

from ecosystem import cli
from ecosystem.demo import DEMO_DIR
from ecosystem.pipeline import load


@pytest.fixture
def demo(store):
    load(store, [DEMO_DIR], fmt="template", source="trafford-demo")
    return store


def test_db_status_json_counts(demo, capsys):
    assert cli.main(["db", "status", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["running"] is True and out["kind"] in ("embedded", "neo4j")
    rows = {name: sum(1 for _ in (DEMO_DIR / f"{name}.csv").open(encoding="utf-8")) - 1
            for name in ("services", "funding", "procurements")}
    assert out["nodes"]["Place"] == 22 and out["nodes"]["Service"] == rows["services"] and out["nodes"]["LoadRun"] == 1
    assert out["nodes"]["Procurement"] == rows["procurements"] > 0
    assert out["relationships"]["FUNDS"] == rows["funding"] and out["relationships"]["PARTNERS_WITH"] == 16


def test_db_export_json_to_file(demo, tmp_path, capsys):
    path = tmp_path / "graph.json"
    assert cli.main(["db", "export", "--format", "json", "--out", str(path)]) == 0
    data = json.loads(path.read_text())
    assert set(data) == {"nodes", "relationships"}
    node = next(n for n in data["nodes"] if n["id"] == "Place:E08000009")
    assert node["labels"] == ["Place"] and node["properties"]["name"] == "Trafford"
    assert {"type", "start", "end", "properties"} <= set(data["relationships"][0])


def test_query_runs_a_named_read_query(demo, capsys):
    assert cli.main(["query", "count_nodes", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    orgs = sum(1 for _ in (DEMO_DIR / "organisations.csv").open(encoding="utf-8")) - 1
    assert {"label": "Organisation", "count": orgs} in rows
    assert cli.main(["query", "place_boundaries", "--param", 'codes=["E05015239"]', "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["code"] == "E05015239" and json.loads(rows[0]["boundary"])["type"] in ("Polygon", "MultiPolygon")


def test_query_refuses_writes_and_unknown_names(demo, capsys):
    assert cli.main(["query", "delete_all"]) == 2
    assert "writes to the store" in capsys.readouterr().err
    assert cli.main(["query", "no_such_query"]) == 2
    assert cli.main(["query", "place_boundaries"]) == 2
    assert "$codes" in capsys.readouterr().err
    assert demo.counts()["nodes"]["Place"] == 22


def test_template_writes_every_table_and_has_nothing_to_load(tmp_path, capsys):
    assert cli.main(["template", str(tmp_path / "t")]) == 0
    names = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert names == ["README.md", "categories.csv", "funding.csv", "needs.csv", "organisations.csv",
                     "partnerships.csv", "places.csv", "procurements.csv", "services.csv"]
    assert (tmp_path / "t" / "services.csv").read_text().startswith("id,name,provider,category,areas,capacity")
    capsys.readouterr()
    assert cli.main(["load", str(tmp_path / "t"), "--dry-run", "--no-store", "--json"]) == 2
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert [i["check"] for i in issues] == ["nothing_to_load"] and "headers but no rows" in issues[0]["message"]


def test_analyse_json_keys_and_write_back(demo, capsys):
    code = cli.main(["analyse", "--place", "E08000009", "--as-of", "2026-11-21", "--json", "--write-back"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("as_of", "place", "coverage", "duplication", "overlaps", "funding_dependency", "sole_providers",
                "critical_providers", "funding_cliffs", "short_term_share", "articulation_points", "bridges",
                "concentration"):
        assert key in out, key
    assert out["as_of"] == "2026-11-21" and out["place"] == "E08000009"
    assert sorted(c["funding"] for c in out["funding_cliffs"]) == ["DEMO-F002", "DEMO-F003", "DEMO-F022"]
    assert out["articulation_points"] == ["GB-DEMO-006", "GB-DEMO-007", "GB-DEMO-013", "GB-DEMO-015"]
    counts = demo.counts()
    assert counts["nodes"]["Finding"] > 0
    assert counts["relationships"]["CONCERNS"] > 0
    n = counts["nodes"]["Finding"]
    # written again: replaced, not added to
    assert cli.main(["analyse", "--place", "E08000009", "--as-of", "2026-11-21", "--write-back"]) == 0
    assert demo.counts()["nodes"]["Finding"] == n
    cliffs = demo.run("count_nodes")
    assert int(cliffs.set_index("label").loc["Finding", "count"]) == n


def test_analyse_unknown_place_and_bad_date_exit_2(demo, capsys):
    assert cli.main(["analyse", "--place", "E99999999"]) == 2
    assert "no such place" in capsys.readouterr().err
    assert cli.main(["analyse", "--as-of", "21/11/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_scenario_save_list_rerun_and_store_unchanged(demo, capsys):
    before = demo.counts()
    args = ["scenario", "--remove-provider", "GB-DEMO-021", "--place", "E08000009", "--as-of", "2026-11-21"]
    assert cli.main(args + ["--json", "--save", "Youth trust exits"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["diff"]["unmet_added"] == pytest.approx(9095.4, abs=0.1)
    assert sorted(out["diff"]["removed_services"]) == ["DEMO-S33", "DEMO-S36"]
    assert len(out["diff"]["became_unserved"]) == 7
    after = demo.counts()
    assert after["nodes"].pop("Scenario") == 1
    assert after == before
    assert cli.main(["scenario", "--list", "--json"]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in saved] == ["youth-trust-exits"]
    assert cli.main(["scenario", "--run", "youth-trust-exits", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["diff"]["unmet_added"] == out["diff"]["unmet_added"]
    assert cli.main(["scenario", "--remove-provider", "NOBODY", "--as-of", "2026-11-21"]) == 2


def test_scenario_text_speaks_in_names_with_codes_in_brackets(demo, capsys):
    import pandas as pd

    from ecosystem.demo import DEMO_DIR

    orgs = pd.read_csv(DEMO_DIR / "organisations.csv").set_index("id")["name"]
    svcs = pd.read_csv(DEMO_DIR / "services.csv").set_index("id")["name"]
    places = pd.read_csv(DEMO_DIR / "places.csv").set_index("code")["name"]
    assert cli.main(["scenario", "--remove-provider", "GB-DEMO-021", "--place", "E08000009",
                     "--as-of", "2026-11-21"]) == 0
    out = capsys.readouterr().out
    assert f"for {places['E08000009']} (E08000009)" in out
    assert f"remove provider {orgs['GB-DEMO-021']} (GB-DEMO-021)" in out
    assert f"{svcs['DEMO-S33']} (DEMO-S33)" in out and f"{svcs['DEMO-S36']} (DEMO-S36)" in out
    unserved = [ln for ln in out.splitlines() if ln.startswith("  ") and "people in need" in ln]
    assert len(unserved) == 7 and all(ln.strip()[0] != "E" or "(E05" in ln for ln in unserved)
    assert f"{places['E05015239']} (E05015239) / " in out


def test_scenario_add_service_file(demo, tmp_path, capsys):
    f = tmp_path / "services.csv"
    f.write_text("id,name,provider,category,areas,capacity\n"
                 "NEW-1,New youth club,GB-DEMO-021,YOUTH,E05015253,2000\n")
    assert cli.main(["scenario", "--add-service", str(f), "--place", "E08000009", "--as-of", "2026-11-21",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # Old Trafford's 1,525 unserved youth need is now met by the 2,000 places
    assert out["diff"]["unmet_added"] == pytest.approx(-1525.0, abs=0.1)


def test_reconcile_lists_same_name_without_shared_id(store, tmp_path, capsys):
    d = tmp_path / "orgs"
    d.mkdir()
    (d / "organisations.csv").write_text("id,name,charity_number\nGB-CHC-1,Hale Food Bank,1\n"
                                         "GB-COH-99,Hale Food Bank Ltd,\nGB-CHC-2,Another,2\n"
                                         "X-1,HALE FOOD BANK,\n")
    load(store, [d])
    assert cli.main(["reconcile", "--json"]) == 0
    pairs = json.loads(capsys.readouterr().out)
    assert {(p["id_a"], p["id_b"]) for p in pairs} >= {("GB-CHC-1", "X-1")}
    assert all("GB-CHC-2" not in (p["id_a"], p["id_b"]) for p in pairs)
    assert store.counts()["nodes"]["Organisation"] == 4


def test_analyse_json_streams_the_dict_encoders_object_and_no_pairs_drops_the_pairs(demo, capsys):
    import datetime as dt

    from ecosystem.analysis import analyse_frames
    from ecosystem.cli import _json_default
    from ecosystem.pull import pull_frames

    args = ["analyse", "--place", "E08000009", "--as-of", "2026-11-21", "--json"]
    assert cli.main(args) == 0
    got = json.loads(capsys.readouterr().out)
    a = analyse_frames(pull_frames(demo, place="E08000009"), place="E08000009", as_of=dt.date(2026, 11, 21))
    want = json.loads(json.dumps(a.to_json_dict(), default=_json_default, indent=2))
    assert list(got) == list(want) and got == want
    assert len(got["overlaps"]) > 0
    assert cli.main(args + ["--no-pairs"]) == 0
    slim = json.loads(capsys.readouterr().out)
    assert "overlaps" not in slim
    assert slim == {k: v for k, v in want.items() if k != "overlaps"}


def test_a_command_process_collects_garbage_rarely_from_its_first_import():
    """The ``ecomap`` entry point raises the young generation's size before ecosystem.cli's heavy imports: once
    it is, a new process running the command collects a handful of times, not the hundreds of times CPython's
    default of 700 gives. Importing ecosystem.cli as a library leaves the interpreter's setting alone."""
    import subprocess
    import sys

    from ecosystem import __main__ as command

    def collections(code: str) -> dict:
        probe = ("import gc, json, sys\n"
                 "n = {'raised': 0, 'default': 0}\n"
                 "def count(phase, info):\n"
                 "    if phase == 'start':\n"
                 "        n['raised' if gc.get_threshold()[0] > 700 else 'default'] += 1\n"
                 "gc.callbacks.append(count)\n"
                 "try:\n"
                 f"    {code}\n"
                 "except SystemExit:\n"
                 "    pass\n"
                 "print(json.dumps({**n, 'threshold': gc.get_threshold()[0]}), file=sys.stderr)\n")
        run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        return json.loads(run.stderr.strip().splitlines()[-1])

    raised = collections("sys.argv = ['ecomap', '--help']; from ecosystem.__main__ import run; run()")
    assert raised["threshold"] == command.GC_YOUNG == 50_000
    assert raised["raised"] <= 5, raised
    # the same imports with the default: the count above would be far higher without the raised threshold
    default = collections("import pandas, neo4j, networkx")
    assert default["threshold"] <= 700 and default["default"] > 20 * max(1, raised["raised"]), (raised, default)
    library = collections("import ecosystem.cli")
    assert library["threshold"] == default["threshold"], library
