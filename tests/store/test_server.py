"""The embedded store as a user meets it: one background server per ECOMAP_HOME, shared by every
process, bound to 127.0.0.1, with a private password file and only the Bolt plugin."""

from __future__ import annotations

import json
import os
import pathlib
import stat
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("NEO4J_URI")),
    reason="tests the embedded ArcadeDB server process (start, sharing, stop): with NEO4J_URI set there is none")


def _ecomap(home, *args, timeout=180):
    env = {**os.environ, "ECOMAP_HOME": str(home)}
    env.pop("NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "ecosystem", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_a_second_process_uses_the_running_store(graph_store, ecomap_home, template_dir):
    from ecosystem.pipeline import load

    graph_store.wipe()
    load(graph_store, [template_dir])
    r = _ecomap(ecomap_home, "db", "status", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["uri"] == graph_store.uri
    assert out["nodes"]["Service"] == 2


@pytest.mark.slow
def test_concurrent_starts_share_one_server_then_stop(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "ECOMAP_HOME": str(home)}
    env.pop("NEO4J_URI", None)
    procs = [subprocess.Popen([sys.executable, "-m", "ecosystem", "db", "status", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=240) for p in procs]
    try:
        assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
        uris = {json.loads(o[0])["uri"] for o in outs}
        assert len(uris) == 1, uris
        state = json.loads((home / "server.json").read_text())
        port = int(uris.pop().rsplit(":", 1)[1])
        assert state["bolt_port"] == port and state["host"] == "127.0.0.1"

        # a private password, generated once
        mode = stat.S_IMODE((home / "password").stat().st_mode)
        assert mode == 0o600
        assert len((home / "password").read_text().strip()) >= 24

        # every listening socket of the server is on loopback
        import psutil

        conns = [c for c in psutil.Process(state["pid"]).net_connections(kind="inet") if c.status == "LISTEN"]
        assert conns and all(c.laddr.ip in ("127.0.0.1", "::1", "::ffff:127.0.0.1") for c in conns), conns

        # only the Bolt plugin: the MCP endpoint does not exist
        url = f"http://127.0.0.1:{state['http_port']}/api/v1/mcp"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=10)
        assert e.value.code in (401, 403, 404)
        log = (home / "server.log").read_text(errors="replace")
        assert "MCPPlugin" not in log and "Neo4j-Bolt plugin started" in log
    finally:
        r = _ecomap(home, "db", "stop")
    assert r.returncode == 0 and "stopped" in r.stderr
    r = _ecomap(home, "db", "status", "--json", "--no-start")
    assert json.loads(r.stdout)["running"] is False
    assert not (home / "server.json").exists()


@pytest.mark.slow
def test_data_survives_a_restart(tmp_path, template_dir):
    home = tmp_path / "home"
    try:
        r = _ecomap(home, "load", str(template_dir))
        assert r.returncode == 0, r.stderr
        assert _ecomap(home, "db", "stop").returncode == 0
        r = _ecomap(home, "db", "status", "--json")
        assert json.loads(r.stdout)["nodes"]["Service"] == 2
    finally:
        _ecomap(home, "db", "stop")


def _pbkdf2_user(password: str, rounds: int, salt: str) -> dict:
    """A root user as ArcadeDB stores it: PBKDF2WithHmacSHA256$rounds$salt$hash, the salt's base64 text
    being the salt, the 32-byte hash in base64."""
    import base64
    import hashlib

    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), rounds, dklen=32)
    return {"name": "root", "databases": {"*": ["admin"]},
            "password": f"PBKDF2WithHmacSHA256${rounds}${salt}${base64.b64encode(digest).decode()}"}


def test_a_new_store_hashes_its_random_password_with_few_rounds(graph_store, ecomap_home):
    from ecosystem import server

    user = json.loads((ecomap_home / server.USERS_FILE).read_text().splitlines()[0])
    algorithm, rounds, salt, _digest = user["password"].split("$")
    assert (algorithm, int(rounds)) == ("PBKDF2WithHmacSHA256", server.SALT_ITERATIONS)
    # the hash is of the password file's 192 random bits (32 url-safe characters), and it opened the store
    password = server.password(ecomap_home, create=False)
    assert len(password) == 32
    assert _pbkdf2_user(password, server.SALT_ITERATIONS, salt)["password"] == user["password"]
    assert graph_store.run("ping").shape[0] == 1


def test_a_store_made_with_arcadedb_default_rounds_still_opens(tmp_path):
    """Stores made before ecomap set the rounds keep their 65,536-round hash; the setting must not lock them out."""
    from ecosystem import server

    home = tmp_path / "home"
    password = server.password(home)
    users = home / server.USERS_FILE
    users.parent.mkdir(parents=True)
    import base64

    salt = base64.b64encode(os.urandom(32)).decode()
    users.write_text(json.dumps(_pbkdf2_user(password, 65536, salt)) + "\n")
    try:
        r = _ecomap(home, "db", "status", "--json")
        assert r.returncode == 0, r.stderr
        assert "65536" in users.read_text()  # kept as it was, not rewritten
    finally:
        _ecomap(home, "db", "stop")


# ---------------------------------------------------------------- the JVM's ahead-of-time cache
def _release(tmp_path, version: str | None) -> pathlib.Path:
    path = tmp_path / "release"
    path.write_text('IMPLEMENTOR="x"\n' + (f'JAVA_VERSION="{version}"\n' if version else "") + 'MODULES="java.base"\n')
    return path


@pytest.mark.parametrize("version, expected", [
    ("25.0.4.1", (25, "25.0.4.1")), ("21.0.2", (21, "21.0.2")), ("17", (17, "17")), ("26-ea", (26, "26-ea")),
    ("banana", None), (None, None)])
def test_java_version_read_from_the_jre_release_file(tmp_path, version, expected):
    from ecosystem import server

    assert server.java_version(_release(tmp_path, version)) == expected
    assert server.java_version(tmp_path / "no-such-file") is None


def _jars(tmp_path, name="jars", size=10) -> pathlib.Path:
    jars = tmp_path / name
    jars.mkdir()
    (jars / "a.jar").write_bytes(b"a" * size)
    (jars / "b.jar").write_bytes(b"b" * 20)
    return jars


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ECOMAP_STORE_AOT", raising=False)
    return tmp_path / "cache" / "ecomap"


def test_a_cache_is_recorded_once_then_mapped(tmp_path, user_cache):
    from ecosystem import server

    jars, release = _jars(tmp_path), _release(tmp_path, "25.0.4.1")
    cache = server.aot_cache(jars, release)
    assert cache.parent == user_cache and stat.S_IMODE(user_cache.stat().st_mode) == 0o700
    assert server.aot_flags(cache) == []  # nothing recorded yet: the store starts without
    with server.recording(cache) as out:
        assert out is not None and out.parent == user_cache
        with server.recording(cache) as other:  # another recorder meanwhile neither records nor waits
            assert other is None
        out.write_bytes(b"cache")  # what the JVM writes as it exits
    assert cache.read_bytes() == b"cache" and stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert not list(user_cache.glob("*.tmp*"))
    assert server.aot_flags(cache) == [f"-XX:AOTCache={cache}"]
    with server.recording(cache) as again:  # recorded: not recorded again
        assert again is None
    # other jars (another version of the store) have a cache of their own
    assert server.aot_cache(_jars(tmp_path, "jars2", 11), release) != cache
    assert server.aot_cache(jars, release) == cache


def test_no_cache_when_off_or_the_jvm_is_older_than_25(tmp_path, user_cache, monkeypatch):
    from ecosystem import server

    jars = _jars(tmp_path)
    monkeypatch.setenv("ECOMAP_STORE_AOT", "off")
    assert server.aot_cache(jars, _release(tmp_path, "25.0.4.1")) is None
    monkeypatch.delenv("ECOMAP_STORE_AOT")
    assert server.aot_cache(jars, _release(tmp_path, "21.0.2")) is None
    assert server.aot_cache(jars, tmp_path / "no-release") is None
    assert server.aot_flags(None) == []
    assert not user_cache.exists()


def test_a_recording_cut_short_keeps_nothing_and_its_leftovers_go(tmp_path, user_cache):
    from ecosystem import server

    cache = server.aot_cache(_jars(tmp_path), _release(tmp_path, "25.0.4.1"))
    with server.recording(cache):
        pass  # the JVM wrote nothing
    assert not cache.exists()
    stale = cache.with_name(cache.stem + ".999.tmp")
    stale.write_bytes(b"half")  # a recorder killed while the JVM wrote
    with server.recording(cache) as out:
        assert out is not None and not stale.exists()
    with pytest.raises(ZeroDivisionError), server.recording(cache) as out:
        out.write_bytes(b"cache")
        1 / 0  # a recorder that failed: what it wrote is not trusted
    assert not cache.exists() and not list(user_cache.glob("*.tmp*"))


def test_only_the_latest_used_caches_are_kept(tmp_path, user_cache):
    from ecosystem import server

    release = _release(tmp_path, "25.0.4.1")
    caches = []
    for i in range(server.AOT_KEEP + 2):  # as many installs of other versions
        cache = server.aot_cache(_jars(tmp_path, f"jars{i}", i + 1), release)
        with server.recording(cache) as out:
            out.write_bytes(b"cache")
        caches.append(cache)
        for n, c in enumerate(caches):
            if c.exists():
                os.utime(c, (1000 + n, 1000 + n))  # in the order they were made, all older than now
    assert sorted(user_cache.glob("*.aot")) == sorted(caches[-server.AOT_KEEP:])
    server.aot_flags(caches[-server.AOT_KEEP])  # mapping one marks it used: the next to go is another
    with server.recording(server.aot_cache(_jars(tmp_path, "jars-new", 99), release)) as out:
        out.write_bytes(b"cache")
    assert caches[-server.AOT_KEEP].exists() and not caches[-server.AOT_KEEP + 1].exists()


def _wait_for(path: pathlib.Path, timeout: float = 240.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size > 1_000_000:
            return True
        time.sleep(0.5)
    return False


@pytest.mark.slow
def test_a_new_store_records_the_cache_in_the_background_and_the_next_store_maps_it(tmp_path, template_dir):
    import shutil

    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache), "ECOMAP_STORE_AOT": "on", "ECOMAP_AOT_DELAY": "0"}

    def ecomap(home, *args, **extra):
        e = {**os.environ, **env, **extra, "ECOMAP_HOME": str(home)}
        e.pop("NEO4J_URI", None)
        return subprocess.run([sys.executable, "-m", "ecosystem", *args], env=e, capture_output=True, text=True,
                              timeout=300)

    first, second = tmp_path / "first", tmp_path / "second"
    try:
        assert ecomap(first, "load", str(template_dir)).returncode == 0
        folder = cache / "ecomap"
        [aot] = [p.with_suffix(".aot") for p in folder.glob("store-*.lock")]
        assert _wait_for(aot), (folder / aot.with_suffix(".log").name).read_text(errors="replace")
        assert stat.S_IMODE(aot.stat().st_mode) == 0o600
        # the recorder used a throwaway store: the first home holds what it loaded, and nothing more
        first_nodes = json.loads(ecomap(first, "db", "status", "--json").stdout)["nodes"]
        assert (first_nodes["LoadRun"], first_nodes["Organisation"]) == (1, 3)  # the template's, not the demo's
        assert ecomap(first, "db", "stop").returncode == 0
        shutil.rmtree(first)  # the cache outlives the home whose start recorded it
        # another home maps it (the JVM says so when asked) and works as before
        r = ecomap(second, "load", str(template_dir), ARCADEDB_JVM_ARGS="-Xlog:aot=info")
        assert r.returncode == 0, r.stderr
        assert "Opened AOT cache" in (second / "server.log").read_text(errors="replace")
        assert json.loads(ecomap(second, "db", "status", "--json").stdout)["nodes"] == first_nodes
        assert ecomap(second, "db", "stop").returncode == 0
        # a cache the JVM cannot read: the store starts without it, drops it, and a new one is recorded
        aot.write_bytes(os.urandom(4096))
        r = ecomap(second, "db", "status", "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["nodes"]["Service"] == 2
        assert "could not use its ahead-of-time cache" in (second / "server.log").read_text(errors="replace")
        assert _wait_for(aot)
    finally:
        ecomap(first, "db", "stop")
        ecomap(second, "db", "stop")


def test_after_a_failed_recording_stores_do_not_try_again_for_a_week(tmp_path, user_cache, monkeypatch):
    import time

    from ecosystem import server

    cache = server.aot_cache(_jars(tmp_path), _release(tmp_path, "25.0.4.1"))
    started = []
    monkeypatch.setattr(server.subprocess, "Popen", lambda cmd, **kw: started.append(cmd))
    server._start_recorder(cache)
    assert started and started[-1][-2:] == ["--record-aot", str(cache)]
    marker = cache.with_suffix(".failed")
    marker.write_text("")  # what a failed recorder leaves
    started.clear()
    server._start_recorder(cache)
    assert started == []
    week_ago = time.time() - server.AOT_RETRY_AFTER - 60
    os.utime(marker, (week_ago, week_ago))
    server._start_recorder(cache)
    assert len(started) == 1


def test_a_recorder_that_cannot_start_its_jvm_leaves_a_marker_and_nothing_else(tmp_path):
    folder = tmp_path / "cache" / "ecomap"
    folder.mkdir(parents=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    cache = folder / "store-0123456789abcdef.aot"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "ECOMAP_AOT_DELAY": "0",
           "ECOMAP_STORE_HEAP": "banana", "TMPDIR": str(scratch)}  # a heap size the JVM refuses
    r = subprocess.run([sys.executable, "-m", "ecosystem.server", "--record-aot", str(cache)], env=env,
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 1, r.stderr
    assert "no cache was recorded" in r.stderr
    assert cache.with_suffix(".failed").exists() and not cache.exists()
    assert not list(folder.glob("*.tmp*")) and not list(scratch.iterdir())  # its throwaway store is gone
