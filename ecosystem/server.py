"""The embedded store: an ArcadeDB server with only its Bolt plugin.

One background process owns the database files under ``ECOMAP_HOME``; the
CLI, the dashboard and reports all connect to it over Bolt on 127.0.0.1, so
they can use the same store at the same time. The first process that needs
the store starts it (``ensure_running``) and it keeps running until
``ecomap db stop``. Its address is recorded in ``server.json``; the root
password is generated once and kept in ``password`` (mode 0600).

Run as ``python -m ecosystem.server HOME`` (done by ``ensure_running``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

DATABASE = "ecomap"
STATE_FILE = "server.json"
PASSWORD_FILE = "password"
START_TIMEOUT = 120.0


def default_home() -> pathlib.Path:
    env = os.environ.get("ECOMAP_HOME")
    if env:
        return pathlib.Path(env).expanduser()
    import platformdirs

    return pathlib.Path(platformdirs.user_data_dir("ecomap", appauthor=False))


def password(home: pathlib.Path) -> str:
    """The store's root password, generated on first use, readable only by the user."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / PASSWORD_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    os.chmod(path, 0o600)
    return path.read_text().strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(home: pathlib.Path) -> dict | None:
    """The running server's state, or None when none is answering."""
    path = home / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not _pid_alive(int(state.get("pid", -1))) or not _port_open(int(state["bolt_port"])):
        return None
    return state


def ensure_running(home: pathlib.Path | None = None) -> dict:
    """Start the embedded server unless one is already serving this home."""
    home = home or default_home()
    home.mkdir(parents=True, exist_ok=True)
    state = read_state(home)
    if state:
        return state
    with open(home / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one starter at a time; others wait and reuse
        state = read_state(home)
        if state:
            return state
        password(home)
        logf = open(home / "server.log", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecosystem.server", str(home)],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
            cwd=str(home),
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            state = read_state(home)
            if state and state.get("pid") == proc.pid:
                return state
            if proc.poll() is not None:
                raise RuntimeError(f"the embedded store failed to start; see {home / 'server.log'}")
            time.sleep(0.2)
        proc.terminate()
        raise RuntimeError(f"the embedded store did not start within {START_TIMEOUT:.0f} s; see {home / 'server.log'}")


def stop(home: pathlib.Path | None = None, timeout: float = 60.0) -> bool:
    """Stop the embedded server serving this home; False when none was running."""
    home = home or default_home()
    state = read_state(home)
    if not state:
        return False
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.1)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        (home / STATE_FILE).unlink()
    return True


def _write_mcp_off(root: pathlib.Path) -> None:
    """ArcadeDB auto-discovers its MCP plugin; its own config file switches it off."""
    cfg = root / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    path = cfg / "mcp-config.json"
    data = {}
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text())
    data.update({"enabled": False, "allowReads": False, "allowInsert": False, "allowUpdate": False,
                 "allowDelete": False, "allowSchemaChange": False, "allowAdmin": False, "allowedUsers": []})
    path.write_text(json.dumps(data, indent=2))


#: jars of plugins ecomap does not use: left off the class path so they never start
_UNUSED_JARS = ("arcadedb-mcp-",)


def _classpath_without_unused(home: pathlib.Path) -> None:
    """Point the embedded JVM at a folder of links to every bundled jar but the unused plugins.

    ArcadeDB auto-discovers plugins on its class path (the MCP plugin would
    start even though ``server_plugins`` names only Bolt).
    """
    from arcadedb_embedded import jvm

    src = pathlib.Path(jvm.get_jar_path())
    dst = home / "jars"
    dst.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in src.glob("*.jar") if not p.name.startswith(_UNUSED_JARS)}
    for old in dst.iterdir():
        if old.name not in wanted or not old.exists() or old.resolve() != wanted[old.name].resolve():
            old.unlink()
    for name, p in wanted.items():
        if not (dst / name).exists():
            (dst / name).symlink_to(p)
    jvm.get_jar_path = lambda: str(dst)


def serve(home: pathlib.Path) -> None:  # pragma: no cover - runs in the daemon process
    import arcadedb_embedded as arc

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    root = home / "arcadedb"
    root.mkdir(parents=True, exist_ok=True)
    _write_mcp_off(root)
    _classpath_without_unused(home)
    bolt_port, http_port = _free_port(), _free_port()
    srv = arc.ArcadeDBServer(
        root_path=str(root),
        root_password=password(home),
        config={
            "host": "127.0.0.1",
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": bolt_port,
            "bolt_host": "127.0.0.1",
            "http_port": http_port,
            "backup_enabled": False,
            "server_metrics": False,
        },
        jvm_kwargs={"heap_size": os.environ.get("ECOMAP_STORE_HEAP", "4g")},
    )
    srv.start()
    if not (root / "databases" / DATABASE).exists():
        srv.create_database(DATABASE)
    else:
        srv.get_database(DATABASE)
    state = {"pid": os.getpid(), "bolt_port": bolt_port, "http_port": http_port,
             "host": "127.0.0.1", "started": time.time(), "root": str(root)}
    tmp = home / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, home / STATE_FILE)
    log.info("ecomap store serving Bolt on 127.0.0.1:%s", bolt_port)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(1.0):
        pass
    log.info("stopping the ecomap store")
    with contextlib.suppress(Exception):
        srv.stop()
    with contextlib.suppress(Exception):
        cur = json.loads((home / STATE_FILE).read_text())
        if cur.get("pid") == os.getpid():
            (home / STATE_FILE).unlink()
    sys.stdout.flush()
    os._exit(0)  # the JVM must not run Python finalisers after shutdown


if __name__ == "__main__":  # pragma: no cover
    serve(pathlib.Path(sys.argv[1]))
