"""Production settings: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE honoured, and every way of
failing to reach a store (no server, wrong password, no such database, a malformed or TLS address)
reported on one line with exit 1, never a traceback and never the password.

The same tests run on both stores: the embedded store is a Bolt server too, reached here through the
NEO4J_* settings exactly as a Neo4j server would be.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from ecosystem import server
from ecosystem.store import GraphStore, StoreUnavailable


def _coords(graph_store) -> dict[str, str]:
    """The session store as NEO4J_* settings."""
    if graph_store.kind == "neo4j":
        return {"NEO4J_URI": graph_store.uri, "NEO4J_USER": os.environ.get("NEO4J_USER") or "neo4j",
                "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", ""),
                "NEO4J_DATABASE": graph_store.database or "neo4j"}
    return {"NEO4J_URI": graph_store.uri, "NEO4J_USER": "root", "NEO4J_PASSWORD": server.password(graph_store.home),
            "NEO4J_DATABASE": server.DATABASE}


def _ecomap(settings: dict[str, str], *args: str, timeout: float = 180):
    env = {**os.environ, **settings, "ECOMAP_CACHE": "off"}
    return subprocess.run([sys.executable, "-m", "ecosystem", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line_failure(r, *expected: str, secret: str | None = None) -> str:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    if secret:
        assert secret not in r.stderr and secret not in r.stdout
    return lines[0]


def test_the_database_setting_is_honoured(graph_store, template_dir):
    from ecosystem.pipeline import load

    graph_store.wipe()
    load(graph_store, [template_dir])
    r = _ecomap(_coords(graph_store), "db", "status", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["kind"] == "neo4j" and out["database"] == _coords(graph_store)["NEO4J_DATABASE"]
    assert out["nodes"]["Service"] == 2 and out["nodes"]["Organisation"] == 3


def test_no_server_at_the_address(graph_store):
    port = _free_port()
    r = _ecomap({**_coords(graph_store), "NEO4J_URI": f"bolt://127.0.0.1:{port}"}, "analyse")
    _one_line_failure(r, f"ecomap: cannot reach the graph store at bolt://127.0.0.1:{port}", "no server answers")


def test_a_wrong_password(graph_store, tmp_path):
    secret = "not-the-password-7f3a"
    r = _ecomap({**_coords(graph_store), "NEO4J_PASSWORD": secret}, "report", "--out", str(tmp_path / "report"))
    _one_line_failure(r, "user name or password was refused", secret=secret)


def test_no_such_database(graph_store):
    r = _ecomap({**_coords(graph_store), "NEO4J_DATABASE": "nosuchdatabase"}, "db", "export")
    line = _one_line_failure(r, "database 'nosuchdatabase'", secret=_coords(graph_store)["NEO4J_PASSWORD"])
    assert "has no database 'nosuchdatabase'" in line
    assert r.stdout == ""


def test_an_address_that_is_not_bolt(graph_store):
    r = _ecomap({**_coords(graph_store), "NEO4J_URI": "http://127.0.0.1:7474"}, "analyse")
    _one_line_failure(r, "must start with one of bolt://", "neo4j+s://")


def test_a_tls_address_on_a_server_without_tls(graph_store):
    """neo4j+s:// (Aura's scheme) against a plain server fails the TLS handshake, on one line."""
    host_port = graph_store.uri.split("://", 1)[1]
    r = _ecomap({**_coords(graph_store), "NEO4J_URI": f"neo4j+s://{host_port}"}, "db", "status")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert [line for line in r.stderr.splitlines() if line.strip()] == [
        line for line in r.stderr.splitlines() if line.startswith("store not running: cannot reach the graph store")]


def test_the_library_raises_store_unavailable_and_closes(graph_store):
    c = _coords(graph_store)
    with pytest.raises(StoreUnavailable, match="password was refused"):
        GraphStore.connect(c["NEO4J_URI"], c["NEO4J_USER"], "wrong", c["NEO4J_DATABASE"])
    with pytest.raises(StoreUnavailable, match="must start with one of"):
        GraphStore.connect("ftp://example.org", "neo4j", "x")
    with GraphStore.connect(c["NEO4J_URI"], c["NEO4J_USER"], c["NEO4J_PASSWORD"], c["NEO4J_DATABASE"]) as s:
        assert s.records("ping") == [{"ok": 1}]
