"""Faults recovered: private files, a stale pid, a lost password, a store that moved, unreadable cache entries,
queries only by name.

The restart tests run their own store in a temporary ECOMAP_HOME (the session's store is left alone).
"""

from __future__ import annotations

import json
import os
import pathlib
import stat
import subprocess
import sys
import time

import pytest

from ecosystem import cli, server
from ecosystem.service import DiskCache, Ecomap

embedded = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="embedded store only")


def _modes(home: pathlib.Path):
    for d, dirs, files in os.walk(home):
        if os.path.islink(d):
            continue
        yield d, stat.S_IMODE(os.stat(d).st_mode), True
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                yield p, stat.S_IMODE(os.stat(p).st_mode), False
        dirs[:] = [x for x in dirs if not os.path.islink(os.path.join(d, x))]


def test_secure_home_fixes_an_existing_home_but_not_link_targets(tmp_path):
    old = os.umask(0o022)
    try:
        home = tmp_path / "home"
        (home / "arcadedb" / "databases" / "ecomap").mkdir(parents=True)
        (home / "arcadedb" / "databases" / "ecomap" / "Place_0.bucket").write_text("x")
        (home / "server.log").write_text("log")
        outside = tmp_path / "outside.jar"
        outside.write_text("jar")
        (home / "jars").mkdir()
        (home / "jars" / "a.jar").symlink_to(outside)
        assert stat.S_IMODE(os.stat(home / "server.log").st_mode) == 0o644
        server.secure_home(home)
    finally:
        os.umask(old)
    modes = list(_modes(home))
    assert len(modes) == 7  # home, arcadedb, databases, ecomap, the bucket, server.log, jars
    for path, mode, is_dir in modes:
        assert mode == (0o700 if is_dir else 0o600), (path, oct(mode))
    assert stat.S_IMODE(os.stat(outside).st_mode) == 0o644  # the link's target is not ours to change


@embedded
def test_the_running_stores_home_is_private(store, ecomap_home, template_dir):
    from ecosystem.pipeline import load

    load(store, [template_dir])
    modes = list(_modes(ecomap_home))
    assert any("databases" in p for p, _, _ in modes)  # the database files themselves are checked
    bad = [(p, oct(m)) for p, m, d in modes if m != (0o700 if d else 0o600)]
    assert bad == []


def test_stop_never_signals_a_process_that_is_not_the_store(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        with socket.socket() as s:  # a port that answers, so only the pid check can tell
            s.bind(("127.0.0.1", 0))
            s.listen()
            (home / server.STATE_FILE).write_text(json.dumps({"pid": other.pid, "bolt_port": s.getsockname()[1]}))
            assert server.read_state(home) is None
            assert server.stop(home) is False
        time.sleep(0.2)
        assert other.poll() is None  # still running: it was never signalled
        assert not (home / server.STATE_FILE).exists()  # the stale record is gone
    finally:
        other.kill()
        other.wait()


def _ecomap(home, *args, timeout=180):
    env = {**os.environ, "ECOMAP_HOME": str(home), "ECOMAP_STORE_HEAP": "512m", "ECOMAP_WARM": "off"}
    env.pop("NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "ecosystem", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@embedded
@pytest.mark.slow
def test_store_moves_port_lost_password_and_reset(tmp_path, template_dir, monkeypatch):
    from ecosystem.store import GraphStore, StoreUnavailable

    home = tmp_path / "home"
    monkeypatch.setenv("ECOMAP_HOME", str(home))
    monkeypatch.setenv("ECOMAP_STORE_HEAP", "512m")
    try:
        assert _ecomap(home, "load", str(template_dir)).returncode == 0
        store = GraphStore.open(home)  # a long-lived process (as the dashboard is)
        first = store.uri
        assert store.counts()["nodes"]["Service"] == 2
        # the store stops: the next request says so at once instead of waiting out timeouts
        assert server.stop(home)
        t = time.perf_counter()
        with pytest.raises(StoreUnavailable, match="not running"):
            store.counts()
        assert time.perf_counter() - t < 3
        # it comes back on a new port: the same object follows it
        server.ensure_running(home)
        t = time.perf_counter()
        assert store.counts()["nodes"]["Service"] == 2
        # (the driver alone would retry the old port for 30 s; a fresh store's first queries take a few seconds)
        assert time.perf_counter() - t < 25 and store.uri != first
        store.close()

        # the password file is lost: a clear message, no new password that cannot open the store
        server.stop(home)
        (home / server.PASSWORD_FILE).unlink()
        r = _ecomap(home, "db", "status")
        assert r.returncode == 1 and "ecomap db reset-password" in r.stderr and "Traceback" not in r.stderr
        assert not (home / server.PASSWORD_FILE).exists()
        r = _ecomap(home, "db", "reset-password")
        assert r.returncode == 0, r.stderr
        assert "nodes are there" in r.stderr
        r = _ecomap(home, "db", "status", "--json")
        assert json.loads(r.stdout)["nodes"]["Service"] == 2  # the data is kept

        # a changed password file while the store runs: refused with the same advice
        good = (home / server.PASSWORD_FILE).read_text()
        (home / server.PASSWORD_FILE).write_text("wrong")
        r = _ecomap(home, "db", "status")
        assert r.returncode == 1 and "refused ecomap's password" in r.stderr and "reset-password" in r.stderr
        (home / server.PASSWORD_FILE).write_text(good)
    finally:
        _ecomap(home, "db", "stop")


class _FakeStore:
    kind = "embedded"

    def __init__(self):
        self.pulls = 0

    def run(self, name, params=None):
        import pandas as pd

        return pd.DataFrame([{"id": "run1", "runs": 1}])


def test_unreadable_cache_entries_are_recomputed(tmp_path, monkeypatch):
    """A wrong-type pickle, a folder where a file should be, and a file where cache/ should be."""
    import networkx as nx

    app = Ecomap(_FakeStore(), cache_dir=tmp_path / "cache")
    made = []
    monkeypatch.setattr("ecosystem.service.pull_graph", lambda store, place=None: made.append(place) or nx.MultiDiGraph())
    assert isinstance(app.graph("LA"), nx.MultiDiGraph) and made == ["LA"]
    (f,) = list((tmp_path / "cache").glob("*/*.pkl"))
    import pickle

    f.write_bytes(pickle.dumps("not a graph"))  # unpickles, but is the wrong type
    app = Ecomap(_FakeStore(), cache_dir=tmp_path / "cache")
    assert isinstance(app.graph("LA"), nx.MultiDiGraph) and made == ["LA", "LA"]
    f.unlink()
    f.mkdir()  # a folder in the file's place
    app = Ecomap(_FakeStore(), cache_dir=tmp_path / "cache")
    assert isinstance(app.graph("LA"), nx.MultiDiGraph) and made == ["LA"] * 3
    import shutil

    shutil.rmtree(tmp_path / "cache")
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    app = Ecomap(_FakeStore(), cache_dir=tmp_path / "cache")
    assert isinstance(app.graph("LA"), nx.MultiDiGraph) and made == ["LA"] * 4
    assert (tmp_path / "cache").is_dir()  # replaced by the folder on the next write
    c = DiskCache(tmp_path / "cache2")
    (tmp_path / "cache2").write_text("x")
    assert c.get("v", ("k",)) is None


def test_query_runs_only_named_queries_from_the_folder(tmp_path, capsys):
    evil = tmp_path / "evil.cypher"
    evil.write_text("// name: evil\n// purpose: looks harmless\n// params: (none)\n// returns: n\nMATCH (n) DETACH DELETE n\n")
    for name in (str(tmp_path / "evil"), "../" * 8 + str(tmp_path / "evil")[1:], "count_nodes.cypher", "Count_Nodes"):
        assert cli.main(["query", name]) == 2
        err = capsys.readouterr().err
        assert "no query named" in err and "Traceback" not in err
    assert cli.main(["query", "delete_all"]) == 2
    assert "writes to the store" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "true", "x"])
def test_query_chunk_must_be_a_positive_whole_number(value, capsys):
    assert cli.main(["query", "export_nodes", "--param", f"chunk={value}"]) == 2
    assert "chunk is a whole number of rows" in capsys.readouterr().err


@embedded
def test_a_load_is_failed_when_the_store_cannot_write_its_files(store, ecomap_home, template_dir, capsys,
                                                                  monkeypatch):
    """The store's own error path: the line ArcadeDB logs when the disk fills after the write-ahead log."""
    from ecosystem.pipeline import load
    from ecosystem.store import StoreWriteError

    def disk_fills(done, total):
        with open(ecomap_home / "server.log", "a") as f:
            f.write("SEVERE [PageManager] Error on flushing page: java.io.IOException: No space left on device\n")

    with pytest.raises(StoreWriteError, match="No space left on device"):
        load(store, [template_dir], source="small", progress=disk_fills)
    # and through the command line: exit 1, "the load failed", never "loaded source"
    monkeypatch.setattr("ecosystem.store.GraphStore.write_failures_since",
                        lambda self, mark: ["java.io.IOException: No space left on device"])
    assert cli.main(["load", str(template_dir), "--source", "other"]) == 1
    err = capsys.readouterr().err
    assert "the load failed" in err and "No space left on device" in err and "loaded source" not in err


@embedded
def test_a_full_disk_refuses_the_load_before_writing(store, template_dir, capsys, monkeypatch):
    from ecosystem.export import export

    before = export(store, "json")
    monkeypatch.setattr("ecosystem.store.GraphStore._free_bytes", lambda self: 4096)
    assert cli.main(["load", str(template_dir)]) == 1
    assert "no space left on the disk holding the store" in capsys.readouterr().err
    assert export(store, "json") == before
