"""Cheap checks that hold the code to its shape: query headers, import direction, parameters only."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

import queries
from ecosystem import model

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", queries.names())
def test_query_header_matches_its_parameters(name):
    q = queries.query(name)
    text = q.path.read_text()
    assert text.startswith(f"// name: {name}\n"), "the header names the file"
    assert q.purpose, "a one-line purpose"
    assert "// params:" in text and "// returns:" in text
    assert set(q.params) == q.used_params(), f"declared {sorted(q.params)} but uses {sorted(q.used_params())}"


@pytest.mark.parametrize("name", queries.names())
def test_query_labels_and_types_are_model_constants(name):
    body = "\n".join(line for line in queries.query(name).text.splitlines() if not line.startswith("//"))
    labels = set(re.findall(r"\(\s*\w*\s*:\s*([A-Za-z]+)", body))
    types = set(re.findall(r"\[\s*\w*\s*:\s*([A-Z_]+)", body))
    assert labels <= set(model.LABELS), labels - set(model.LABELS)
    assert types <= set(model.REL_TYPES), types - set(model.REL_TYPES)


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] if a.name.split(".")[0] != "ecosystem" else a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            out.add(node.module if top == "ecosystem" else top)
    return out


def _files(folder: str) -> list[pathlib.Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_only_the_dashboard_imports_dash():
    for folder in ("ecosystem", "loaders", "queries"):
        for f in _files(folder):
            bad = {m for m in _imports(f) if m.split(".")[0] in ("dash", "dash_bootstrap_components", "dash_cytoscape")}
            assert not bad, f"{f} imports {bad}"


def test_loaders_import_only_the_model_from_ecosystem():
    for f in _files("loaders"):
        eco = {m for m in _imports(f) if m.startswith("ecosystem")}
        assert eco <= {"ecosystem", "ecosystem.model"}, f"{f} imports {eco}"
        assert "neo4j" not in _imports(f), f


def test_analysis_never_imports_the_driver_or_the_store():
    for f in _files("ecosystem/analysis"):
        imps = _imports(f)
        assert "neo4j" not in imps and "ecosystem.store" not in imps and "dash" not in imps, f


def test_every_imported_package_is_declared():
    import sys
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {re.split(r"[<>=\[ ]", d)[0].lower().replace("-", "_") for d in
                meta["project"]["dependencies"] + meta["project"]["optional-dependencies"]["test"]}
    aliases = {"arcadedb_embedded": "arcadedb_embedded", "dash_bootstrap_components": "dash_bootstrap_components",
               "dash_cytoscape": "dash_cytoscape", "yaml": "pyyaml", "jpype": "jpype1"}
    local = {"ecosystem", "loaders", "queries", "dashboard", "tests", "conftest", "analysis_fixtures", "support", "scope_fixture",
             "market_fixture"}
    missing = {}
    for folder in ("ecosystem", "loaders", "queries", "dashboard", "tests", "benchmarks", "scripts"):
        for f in _files(folder):
            for m in _imports(f):
                top = m.split(".")[0]
                if top in sys.stdlib_module_names or top in local or top.startswith("_"):
                    continue
                if aliases.get(top, top).lower() not in declared:
                    missing.setdefault(top, str(f.relative_to(ROOT)))
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
