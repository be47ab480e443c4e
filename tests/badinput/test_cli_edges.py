"""Command-line edges a new user hit: each is exit 2 with one line and no traceback, the store unchanged."""

from __future__ import annotations

import io
import socket

import pytest

from ecosystem import cli
from ecosystem.export import export
from ecosystem.pipeline import load, source_lock

from tests.badinput.test_corpus import SMALL

EDGES = {
    "report_out_unwritable": (["report", "--out", "/proc/ecomap-x"], ["/proc/ecomap-x", "No such file"]),
    "as_of_year_9999": (["analyse", "--as-of", "9999-12-31"], ["--as-of 9999-12-31", "from 1900-01-01 to 2999-12-31"]),
    "as_of_not_a_date": (["analyse", "--as-of", "31/12/2026"], ["is not a date; use YYYY-MM-DD"]),
    "horizon_huge": (["analyse", "--horizon", "99999999"], ["--horizon 99999999", "0 to 1,200 months"]),
    "horizon_negative_report": (["report", "--out", "/tmp/never", "--horizon", "-1"], ["--horizon -1"]),
    "query_chunk_zero": (["query", "export_nodes", "--param", "chunk=0"], ["chunk is a whole number of rows"]),
    "query_path_as_name": (["query", "/etc/passwd"], ["no query named '/etc/passwd'"]),
    "scenario_save_no_letters": (["scenario", "--remove-provider", "P1", "--save", "!!!"],
                                 ["--save '!!!'", "at least one letter or digit"]),
    "unload_unknown_source": (["db", "unload", "nope", "--yes"], ["no source named 'nope'", "small"]),
    "load_missing_path": (["load", "/nonexistent/organisations.csv"], ["/nonexistent/organisations.csv",
                                                                       "no such file or folder"]),
}


@pytest.mark.parametrize("case", sorted(EDGES))
def test_cli_edge_is_exit_2_with_one_line(case, store, capsys):
    load(store, [SMALL], source="small")
    before = export(store, "json")
    argv, fragments = EDGES[case]
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.err
    for f in fragments:
        assert f in captured.err, (f, captured.err)
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) <= 2
    assert export(store, "json") == before


def test_format_detection_says_what_each_check_found(tmp_path, capsys):
    f = tmp_path / "contracts.csv"
    f.write_text("Supplier,Value,Start\nAcme,100,2025-01-01\n")
    assert cli.main(["load", str(f), "--dry-run", "--no-store"]) == 2
    err = capsys.readouterr().err
    assert "first line has 3 column(s): Supplier, Value, Start" in err
    for fmt in ("template:", "360giving:", "openreferral:", "ocds:", "geography:", "needs:"):
        assert fmt in err
    assert "Amount Awarded" in err and "Pass --format" in err


def test_a_second_load_of_the_same_source_says_another_is_running(store, capsys):
    load(store, [SMALL], source="small")
    before = export(store, "json")
    with source_lock("small"):  # as another process's load holds it
        assert cli.main(["load", str(SMALL), "--source", "small"]) == 2
        assert "another load of this source is running" in capsys.readouterr().err
        assert cli.main(["db", "unload", "small", "--yes"]) == 2
        assert "another load of this source is running" in capsys.readouterr().err
    assert export(store, "json") == before
    assert cli.main(["load", str(SMALL), "--source", "small"]) == 0  # free again once it finished


class _ClosedPipe(io.StringIO):
    def write(self, s):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly(store, monkeypatch, capsys):
    load(store, [SMALL], source="small")
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert cli.main(["db", "export"]) == 0
    assert capsys.readouterr().err == ""


def test_serve_on_a_busy_port_fails_before_printing_its_url(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 2
    captured = capsys.readouterr()
    assert f"cannot serve on 127.0.0.1:{port}" in captured.err
    assert "http://" not in captured.out + captured.err


def test_lists_that_are_cut_say_how_many_more(capsys):
    from ecosystem.model import Issue, ValidationError

    e = ValidationError([Issue("f.csv", None, n, "id", n, "unique", "dup") for n in range(2, 80)])
    assert "… and 28 more" in e.summary()
    cli._warnings([f"w{i}" for i in range(25)])
    assert "… and 5 more warnings" in capsys.readouterr().err
