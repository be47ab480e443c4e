"""``ecomap report`` for unattended use: exit codes, messages, PDF, the workshop hook.

Uses the small fixture (tests/fixtures/template/small; drawn in test_report.py).
"""

from __future__ import annotations

import json
import os

import pytest

from ecosystem import cli
from ecosystem.pipeline import load
from ecosystem.report.write import find_chromium

AS_OF = "2026-07-01"


@pytest.fixture
def loaded(store, template_dir):
    load(store, [template_dir], fmt="template", source="small")
    return store


def run(*args):
    return cli.main(["report", "--as-of", AS_OF, *args])


@pytest.mark.parametrize("args, message", [
    (["--format", "html,docx"], "--format 'html,docx': unknown docx; choose from html, md, csv, pdf"),
    (["--format", ","], "--format needs at least one of"),
    (["--fail-on", "new-unserved"], "--fail-on compares with an earlier report: give --previous DIR too"),
    (["--fail-on", "everything", "--previous", "x"], "--fail-on 'everything': unknown everything"),
    (["--place", "NOWHERE"], "--place 'NOWHERE': no such place in the store"),
    (["--horizon", "-1"], "--horizon -1: use 0 to 1,200 months"),
])
def test_bad_arguments_exit_2_with_a_message(loaded, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    base = [] if "--place" in args else ["--place", "LA"]
    assert run(*base, "--out", str(out), *args) == 2
    assert message in capsys.readouterr().err
    assert not (out / "report.json").exists()


def test_bad_date_exits_2(loaded, tmp_path, capsys):
    assert cli.main(["report", "--as-of", "21/11/2026", "--out", str(tmp_path / "o")]) == 2
    assert "not a date; use YYYY-MM-DD" in capsys.readouterr().err


def test_empty_store_exits_2(store, tmp_path, capsys):
    assert run("--out", str(tmp_path / "o")) == 2
    assert "the store holds no data" in capsys.readouterr().err


def test_previous_must_exist_unless_allowed(loaded, tmp_path, capsys):
    missing = tmp_path / "never-written"
    assert run("--place", "LA", "--out", str(tmp_path / "a"), "--previous", str(missing)) == 2
    assert "no report.json there" in capsys.readouterr().err
    # the first scheduled run: allowed, no change section, --fail-on cannot be met
    code = run("--place", "LA", "--out", str(tmp_path / "a"), "--previous", str(missing), "--allow-missing-previous",
               "--fail-on", "new-unserved")
    assert code == 0
    assert "without checking --fail-on" in capsys.readouterr().err
    assert json.loads((tmp_path / "a" / "report.json").read_text())["changes"] is None


def test_previous_must_be_a_report_of_the_same_place(loaded, tmp_path, capsys):
    assert run("--place", "LA", "--out", str(tmp_path / "la")) == 0
    assert run("--place", "W1", "--out", str(tmp_path / "w1"), "--previous", str(tmp_path / "la")) == 2
    assert "is a report for LA, not W1" in capsys.readouterr().err
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "report.json").write_text("{not json")
    assert run("--place", "LA", "--out", str(tmp_path / "b"), "--previous", str(tmp_path / "junk")) == 2
    assert "not a readable report.json" in capsys.readouterr().err


def test_out_may_be_the_previous_folder(loaded, tmp_path, capsys):
    """A rolling ``latest`` folder: the earlier report.json is read before anything is replaced."""
    latest = tmp_path / "latest"
    assert run("--place", "LA", "--out", str(latest)) == 0
    first = json.loads((latest / "report.json").read_text())
    assert run("--place", "LA", "--out", str(latest), "--previous", str(latest), "--json") == 0
    printed = json.loads(capsys.readouterr().out)
    second = json.loads((latest / "report.json").read_text())
    assert second["previous"]["generated"] == first["generated"]
    assert printed["changes"]["newly_unserved"] == 0 and printed["fail_on_met"] == []
    assert sorted(os.listdir(latest)) == sorted(os.path.basename(f) for f in printed["files"])  # no temp files left


def test_pdf_that_cannot_be_made_says_why_and_exits_1(loaded, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ECOMAP_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "o"
    assert run("--place", "LA", "--out", str(out), "--format", "md,pdf") == 1
    err = capsys.readouterr().err
    assert "the PDF was not made: no Chromium or Chrome found" in err
    assert "set ECOMAP_CHROMIUM" in err
    assert (out / "report.md").exists() and (out / "report.json").exists()
    assert not (out / "report.pdf").exists() and not (out / "report.html").exists()


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium on this machine to print with")
def test_pdf_is_printed_by_headless_chromium(loaded, tmp_path):
    out = tmp_path / "o"
    assert run("--place", "LA", "--out", str(out), "--format", "pdf") == 0
    pdf = (out / "report.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 5000
    assert not (out / "report.html").exists()  # printed from a temporary copy


def test_workshop_notes_and_actions_appear_when_recorded(loaded, tmp_path):
    """The hook: Note and Action nodes concerning the place show up; others do not."""
    with loaded.session() as s:
        s.run("MATCH (p:Place {code: 'W1'}) "
              "CREATE (n:Note {id: 'N1', text: 'Youth club closing in North', votes: 4, workshop: 'WS1'}) "
              "CREATE (n)-[:CONCERNS]->(p)").consume()
        s.run("MATCH (o:Organisation {id: 'P2'}) "
              "CREATE (a:Action {id: 'A1', text: 'Ask Provider Two about capacity', owner: 'Commissioning', "
              "due: '2026-08-01', status: 'open'}) CREATE (a)-[:CONCERNS]->(o)").consume()
        s.run("CREATE (:Note {id: 'N2', text: 'About somewhere else', place: 'ELSEWHERE'})").consume()
    try:
        assert run("--place", "LA", "--out", str(tmp_path / "o")) == 0
        doc = json.loads((tmp_path / "o" / "report.json").read_text())
        assert [(n["id"], n["concerns"], n["votes"]) for n in doc["workshop"]["notes"]] == [("N1", ["W1"], 4)]
        assert [(a["id"], a["concerns"]) for a in doc["workshop"]["actions"]] == [("A1", ["P2"])]
        md = (tmp_path / "o" / "report.md").read_text()
        section = md[md.index("## Workshop notes"):md.index("## Methods")]
        assert "| Youth club closing in North | 4 | North | WS1 |" in section
        assert "| Ask Provider Two about capacity | Commissioning | 2026-08-01 | open | Provider Two |" in section
        assert "About somewhere else" not in md
    finally:
        with loaded.session() as s:
            s.run("MATCH (n:Note) DETACH DELETE n").consume()
            s.run("MATCH (n:Action) DETACH DELETE n").consume()


def test_help_ends_with_an_example(capsys):
    assert cli.main(["report", "--help"]) == 0
    assert "example:\n  ecomap report --place E08000009" in capsys.readouterr().out
