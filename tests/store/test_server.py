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
