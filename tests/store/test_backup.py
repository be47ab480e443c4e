"""`ecomap db backup` / `ecomap db restore` for the embedded store: a snapshot taken while it runs, restored
all or nothing, with a byte-identical `db export` afterwards. Runs its own store in a temporary home."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile

import pytest

pytestmark = [pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="embedded store only"),
              pytest.mark.slow]


def _ecomap(home, *args, timeout=300):
    env = {**os.environ, "ECOMAP_HOME": str(home), "ECOMAP_STORE_HEAP": "512m", "ECOMAP_WARM": "off"}
    env.pop("NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "ecosystem", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_backup_restore_round_trip_and_refusals(tmp_path, template_dir, monkeypatch):
    from ecosystem import server
    from ecosystem.store import GraphStore

    home = tmp_path / "home"
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "organisations.csv").write_text("id,name,sector\nP9,Provider Nine,private\n")
    try:
        assert _ecomap(home, "load", str(template_dir)).returncode == 0
        before = _ecomap(home, "db", "export").stdout
        reader = GraphStore.open(home)  # a dashboard reading while the backup is taken
        assert reader.counts()["nodes"]["Service"] == 2
        r = _ecomap(home, "db", "backup", str(tmp_path / "b.zip"))
        assert r.returncode == 0, r.stderr
        assert stat.S_IMODE(os.stat(tmp_path / "b.zip").st_mode) == 0o600
        assert zipfile.is_zipfile(tmp_path / "b.zip")
        assert reader.counts()["nodes"]["Service"] == 2

        assert _ecomap(home, "load", str(extra)).returncode == 0
        changed = _ecomap(home, "db", "export").stdout
        assert changed != before

        # refusals: each exit 2 with one line, the store unchanged
        (tmp_path / "not.zip").write_text("hello")
        with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
            z.writestr("readme.txt", "not a database")
        for args, words in ((["db", "restore", str(tmp_path / "not.zip"), "--yes"], "not a ZIP"),
                            (["db", "restore", str(tmp_path / "other.zip"), "--yes"], "not a backup of an ecomap"),
                            (["db", "restore", str(tmp_path / "missing.zip"), "--yes"], "no such file"),
                            (["db", "restore", str(tmp_path / "b.zip")], "without --yes"),
                            (["db", "backup", str(tmp_path / "nowhere" / "b.zip")], "no such folder")):
            r = _ecomap(home, *args)
            assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert _ecomap(home, "db", "export").stdout == changed

        r = _ecomap(home, "db", "restore", str(tmp_path / "b.zip"), "--yes")
        assert r.returncode == 0, r.stderr
        assert _ecomap(home, "db", "export").stdout == before  # byte-identical
        assert reader.counts()["nodes"]["Service"] == 2  # the long-lived reader followed the restarted store
        assert not (home / "arcadedb" / "databases" / "ecomap.before-restore").exists()
        reader.close()
    finally:
        server.stop(home)
