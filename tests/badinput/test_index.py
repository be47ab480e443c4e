"""The corpus's index (fixtures/README.md) stays true: every case listed, every fixture listed, every test named
exists, and every case names at least one test."""

from __future__ import annotations

import ast
import pathlib
import re

from tests.badinput import test_cli_edges, test_corpus

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
INDEX = HERE / "fixtures" / "README.md"
POINTER = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _rows() -> dict[str, str]:
    rows = {}
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `(\w+)` \|", line)
        if m:
            assert m[1] not in rows, f"{m[1]} is listed twice"
            rows[m[1]] = line
    return rows


def _tests_in(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def test_every_case_of_the_corpus_is_in_the_index():
    rows = _rows()
    cases = set(test_corpus.CASES) | set(test_cli_edges.EDGES) | set(test_cli_edges.BACKUP_EDGES)
    assert sorted(cases - set(rows)) == []


def test_every_fixture_folder_and_file_is_in_the_index():
    text = INDEX.read_text(encoding="utf-8")
    for p in sorted((HERE / "fixtures").iterdir()):
        if p.is_dir() and p.name != "cli":
            assert f"`{p.name}/" in text, p.name
    for f in sorted(test_corpus.CLI_FIXTURES.iterdir()):
        assert f"`cli/{f.name}`" in text, f.name


def test_every_case_names_tests_that_exist():
    found: dict[str, set[str]] = {}
    for case, line in _rows().items():
        pointers = POINTER.findall(line)
        assert pointers, f"{case} names no test"
        for path, name in pointers:
            if path not in found:
                assert (ROOT / path).is_file(), (case, path)
                found[path] = _tests_in(ROOT / path)
            assert name in found[path], (case, f"{path}::{name}")


def test_the_corpus_and_edge_cases_name_the_test_that_runs_them():
    rows = _rows()
    for case in test_corpus.CASES:
        assert "tests/badinput/test_corpus.py::test_bad_input_case" in rows[case], case
    for case in test_corpus.WEB_CASES:
        assert "tests/badinput/test_corpus.py::test_bad_upload_case" in rows[case], case
    for case in test_cli_edges.EDGES:
        assert "tests/badinput/test_cli_edges.py::test_cli_edge_is_exit_2_with_one_line" in rows[case], case
    for case in test_cli_edges.BACKUP_EDGES:
        assert "tests/badinput/test_cli_edges.py::test_backup_edge_is_exit_2_with_one_line" in rows[case], case
