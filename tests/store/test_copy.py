"""`ecomap db copy`: everything moved between stores, all-or-nothing, verified, and back again unchanged.

The destination of the first copy is the session's store: Neo4j when NEO4J_URI is set (so the round trip
is embedded → Neo4j → embedded), else a second embedded store. The source is always an embedded store of
its own, in a temporary home. The same round trip at la scale is `benchmarks/db_copy.py` (minutes, not a test).
"""

from __future__ import annotations

import json
import os

import pytest

from ecosystem import cli, server
from ecosystem import copy as cp
from ecosystem.export import export
from ecosystem.store import GraphStore


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """A second embedded store (its own home and server), started once for these tests."""
    home = tmp_path_factory.mktemp("copy-home")
    old = os.environ.get("ECOMAP_STORE_HEAP")
    os.environ["ECOMAP_STORE_HEAP"] = "1g"
    try:
        s = GraphStore.open_embedded(home)
    finally:
        if old is None:
            os.environ.pop("ECOMAP_STORE_HEAP", None)
        else:
            os.environ["ECOMAP_STORE_HEAP"] = old
    s.ensure_schema()
    yield s
    s.close()
    server.stop(home)


def _end(store: GraphStore, flag: str, monkeypatch) -> list[str]:
    """Command-line arguments naming ``store`` as ``--to`` or ``--from`` (the password through the environment)."""
    if store.kind == "embedded":
        return [flag, f"embedded:{store.home}"]
    prefix = "" if flag == "--to" else "from-"
    monkeypatch.setenv("ECOMAP_COPY_PASSWORD" if flag == "--to" else "ECOMAP_COPY_FROM_PASSWORD",
                       os.environ.get("NEO4J_PASSWORD", ""))
    args = [flag, store.uri, f"--{prefix}user", os.environ.get("NEO4J_USER") or "neo4j"]
    if store.database:
        args += [f"--{prefix}database", store.database]
    return args


def _copy(src, dst, monkeypatch, *extra) -> int:
    return cli.main(["db", "copy", *_end(src, "--from", monkeypatch), *_end(dst, "--to", monkeypatch), *extra])


def test_demo_round_trip_is_byte_identical(embedded, store, monkeypatch, capsys):
    from ecosystem import demo

    embedded.wipe()
    demo.ensure_loaded(embedded)
    before = export(embedded, "json")
    counts = embedded.counts()
    assert counts["nodes"]["Place"] == 22 and counts["nodes"]["Need"] == 148

    assert _copy(embedded, store, monkeypatch, "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["nodes"] == {k: v for k, v in counts["nodes"].items() if v}
    assert out["relationships"] == {k: v for k, v in counts["relationships"].items() if v}
    assert store.counts() == counts
    assert export(store, "json") == before

    embedded.wipe()
    assert _copy(store, embedded, monkeypatch) == 0
    err = capsys.readouterr().err
    assert "verified: counts per label and type and the content hash match" in err
    assert export(embedded, "json") == before
    # the hash is over typed values: the same on both stores, and the one the copy reported
    assert cp.counts_and_digest(embedded)[2] == cp.counts_and_digest(store)[2] == out["digest"]


def test_a_non_empty_destination_is_refused_unless_forced(embedded, store, template_dir, monkeypatch, capsys):
    from ecosystem import demo
    from ecosystem.pipeline import load

    embedded.wipe()
    demo.ensure_loaded(embedded)
    load(store, [template_dir])
    mine = export(store, "json")
    assert _copy(embedded, store, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--force" in err and "Traceback" not in err
    assert export(store, "json") == mine

    assert _copy(embedded, store, monkeypatch, "--force") == 0
    assert "replacing" in capsys.readouterr().err
    assert export(store, "json") == export(embedded, "json")


def test_an_interrupted_copy_leaves_the_destination_as_it_was(embedded, store, template_dir):
    from ecosystem import demo
    from ecosystem.pipeline import load

    embedded.wipe()
    demo.ensure_loaded(embedded)
    load(store, [template_dir])
    mine = export(store, "json")
    seen = []

    def progress(done, total):
        seen.append(done)
        if done > total * 3 // 4:  # well into the writing (the second half)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cp.copy(embedded, store, replace=True, batch=50, progress=progress)
    assert len(seen) > 10
    assert export(store, "json") == mine


def test_the_same_store_twice_and_unknown_labels_are_refused(embedded, monkeypatch, capsys):
    embedded.wipe()
    with pytest.raises(cp.CopyRefused, match="same store"):
        cp.copy(embedded, embedded)
    assert cli.main(["db", "copy", "--from", f"embedded:{embedded.home}", "--to", f"embedded:{embedded.home}"]) == 2
    assert "same store" in capsys.readouterr().err
    assert cli.main(["db", "copy"]) == 2
    assert "--to URI" in capsys.readouterr().err
    assert cli.main(["db", "copy", "--to", "somewhere"]) == 2
    assert "not a store" in capsys.readouterr().err


def test_a_source_with_labels_ecomap_does_not_know_is_refused(embedded, store):
    store.wipe()
    embedded.wipe()
    with embedded.transaction() as tx:
        tx.run("CREATE (:Stray {id: 'x'})").consume()
    try:
        with pytest.raises(cp.CopyRefused, match="Stray"):
            cp.copy(embedded, store)
        assert store.is_empty()
    finally:
        embedded.wipe()


def test_a_wrong_destination_password_is_one_line(embedded, store, monkeypatch, capsys):
    if store.kind != "neo4j":
        uri, user = store.uri, "root"
    else:
        uri, user = store.uri, os.environ.get("NEO4J_USER") or "neo4j"
    monkeypatch.setenv("ECOMAP_COPY_PASSWORD", "wrong-password-for-the-test")
    assert cli.main(["db", "copy", "--from", f"embedded:{embedded.home}", "--to", uri, "--user", user]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "password was refused" in err and "wrong-password-for-the-test" not in err
