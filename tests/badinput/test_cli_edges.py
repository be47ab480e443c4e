"""Command-line edges a new user hit: each is exit 2 with one line and no traceback, the store unchanged."""

from __future__ import annotations

import io
import os
import socket

import pytest

from ecosystem import cli
from ecosystem.pipeline import source_lock
from tests.badinput.conftest import SMALL, db_export
from tests.badinput.test_corpus import CLI_FIXTURES

EVIL = CLI_FIXTURES / "delete_everything.cypher"
embedded = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="backup and restore are the embedded store's")

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
    "query_chunk_too_big": (["query", "export_nodes", "--param", "chunk=99999999999999999999999"],
                            ["chunk=99999999999999999999999", "from -2^63 to 2^63-1"]),
    "query_param_without_name": (["query", "count_nodes", "--param", "=1"], ["--param '=1': use NAME=VALUE"]),
    # a file whose header names a bundled read query, and whose body deletes everything
    "query_file_that_writes": (["query", str(EVIL)], [f"no query named '{EVIL}'"]),
    "query_file_that_writes_by_stem": (["query", str(EVIL.with_suffix(""))], ["no query named"]),
    "query_that_writes_by_name": (["query", "delete_all"], ["writes to the store"]),
    "scenario_capacity_negative": (["scenario", "--capacity", "S1=-5"], ["--capacity 'S1=-5'", "0 or more"]),
    "scenario_capacity_infinite": (["scenario", "--capacity", "S1=1e400"], ["--capacity 'S1=1e400'", "0 or more"]),
    "generate_negative_seed": (["generate", "/nonexistent/never", "--seed", "-1"], ["--seed -1", "0 or more"]),
    "unload_unknown_source": (["db", "unload", "nope", "--yes"], ["no source named 'nope'", "small"]),
    "unload_without_yes": (["db", "unload", "small"], ["deletes", "without --yes"]),
    "load_missing_path": (["load", "/nonexistent/organisations.csv"], ["/nonexistent/organisations.csv",
                                                                       "no such file or folder"]),
}


#: backup and restore given files that are no backup (tests/store/test_backup.py runs the real round trip in a
#: store of its own; these are refused before the store is touched, so they run against the corpus's store)
BACKUP_EDGES = {
    "restore_not_a_zip": (["db", "restore", str(CLI_FIXTURES / "not_a_zip.zip")], ["not_a_zip.zip", "not a ZIP"]),
    "restore_zip_not_a_backup": (["db", "restore", str(CLI_FIXTURES / "not_a_backup.zip")],
                                 ["not_a_backup.zip", "not a backup of an ecomap"]),
    "restore_missing_file": (["db", "restore", str(CLI_FIXTURES / "missing.zip")], ["missing.zip", "no such file"]),
    "backup_into_missing_folder": (["db", "backup", "/nonexistent/folder/b.zip"], ["/nonexistent/folder",
                                                                                    "no such folder"]),
}


def _one_line_refusal(argv, fragments, before, store, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.err
    for f in fragments:
        assert f in captured.err, (f, captured.err)
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) <= 2
    assert db_export(store) == before


@pytest.mark.parametrize("case", sorted(EDGES))
def test_cli_edge_is_exit_2_with_one_line(case, small_store, capsys):
    store, before = small_store
    _one_line_refusal(EDGES[case][0], EDGES[case][1], before, store, capsys)


@embedded
@pytest.mark.parametrize("case", sorted(BACKUP_EDGES))
def test_backup_edge_is_exit_2_with_one_line(case, small_store, capsys):
    store, before = small_store
    # restore without --yes: were the file ever taken for a backup, the refusal to go on without asking would
    # still leave the store alone (and this test would fail on its message)
    _one_line_refusal(BACKUP_EDGES[case][0], BACKUP_EDGES[case][1], before, store, capsys)


def test_format_detection_says_what_each_check_found(tmp_path, capsys):
    f = tmp_path / "contracts.csv"
    f.write_text("Supplier,Value,Start\nAcme,100,2025-01-01\n")
    assert cli.main(["load", str(f), "--dry-run", "--no-store"]) == 2
    err = capsys.readouterr().err
    assert "first line has 3 column(s): Supplier, Value, Start" in err
    for fmt in ("template:", "360giving:", "openreferral:", "ocds:", "geography:", "needs:"):
        assert fmt in err
    assert "Amount Awarded" in err and "Pass --format" in err


def test_a_second_load_of_the_same_source_says_another_is_running(small_store, capsys):
    store, before = small_store
    with source_lock("small"):  # as another process's load holds it
        assert cli.main(["load", str(SMALL), "--source", "small"]) == 2
        assert "another load of this source is running" in capsys.readouterr().err
        assert cli.main(["db", "unload", "small", "--yes"]) == 2
        assert "another load of this source is running" in capsys.readouterr().err
    assert db_export(store) == before
    assert cli.main(["load", str(SMALL), "--source", "small"]) == 0  # free again once it finished


class _ClosedPipe(io.StringIO):
    def write(self, s):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("argv", [["analyse", "--place", "LA", "--as-of", "2026-01-01"],
                                  ["analyse", "--place", "LA", "--as-of", "2026-01-01", "--json"], ["db", "export"]])
def test_a_closed_pipe_ends_quietly(argv, small_store, monkeypatch, capsys):
    """``ecomap analyse | head``: the reader went away; no traceback, no message."""
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert cli.main(argv) == 0
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
