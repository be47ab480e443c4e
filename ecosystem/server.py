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
#: PBKDF2 rounds ArcadeDB hashes the root password with (see ``serve``)
SALT_ITERATIONS = 1000


def default_home() -> pathlib.Path:
    env = os.environ.get("ECOMAP_HOME")
    if env:
        return pathlib.Path(env).expanduser()
    import platformdirs

    return pathlib.Path(platformdirs.user_data_dir("ecomap", appauthor=False))


class PasswordLost(RuntimeError):
    """The store has users, but ecomap's password file is gone: ``ecomap db reset-password`` restores access."""


#: ArcadeDB keeps its users (with the root password's hash) here, under the server root
USERS_FILE = pathlib.Path("arcadedb") / "config" / "server-users.jsonl"


def secure_home(home: pathlib.Path) -> None:
    """ECOMAP_HOME and everything under it private to the user (folders 0700, files 0600), whatever the
    umask was when they were made. Links (to the bundled jars) are left alone, and so are their targets."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    for d, dirs, files in os.walk(home):
        with contextlib.suppress(OSError):
            if not os.path.islink(d):
                os.chmod(d, 0o700)
        for name in files:
            f = os.path.join(d, name)
            with contextlib.suppress(OSError):
                if not os.path.islink(f):
                    os.chmod(f, 0o600)
        dirs[:] = [x for x in dirs if not os.path.islink(os.path.join(d, x))]


def _private_file(path: pathlib.Path, mode: str = "w"):
    """Open a file for writing, created 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    return os.fdopen(fd, mode)


def password(home: pathlib.Path, *, create: bool = True) -> str:
    """The store's root password, generated on first use, readable only by the user.

    Raises :class:`PasswordLost` when the password file is missing but the store already has
    users: a new password would not open it (``ecomap db reset-password`` sets one).
    """
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / PASSWORD_FILE
    if not path.exists():
        if not create or (home / USERS_FILE).exists():
            raise PasswordLost(f"the store's password file {path} is missing, so the store at {home} cannot be "
                               "opened; run `ecomap db reset-password` to set a new password (the data is kept)")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    os.chmod(path, 0o600)
    try:
        return path.read_text().strip()
    except IsADirectoryError:
        raise PasswordLost(f"{path} is a folder, not the store's password file; remove it and run "
                           "`ecomap db reset-password`") from None


def reset_password(home: pathlib.Path | None = None) -> None:
    """Give the store a new root password (when the password file was lost): the data stays.

    Stops the store if it runs, removes ArcadeDB's stored users (only ecomap's root is there),
    writes a new password file; the next start makes root again with that password.
    """
    home = home or default_home()
    stop(home)
    users = home / USERS_FILE
    with contextlib.suppress(FileNotFoundError):
        users.unlink()
    pw = home / PASSWORD_FILE
    if pw.is_dir():
        import shutil

        shutil.rmtree(pw)
    with contextlib.suppress(FileNotFoundError):
        pw.unlink()
    password(home)


def _size(path: pathlib.Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command_line(pid: int) -> str | None:
    """The process's command line, or None when it cannot be read."""
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        pass
    try:  # no /proc (macOS)
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def is_store_process(pid: int, home: pathlib.Path) -> bool:
    """True when ``pid`` is alive and is ecomap's store for this home (not a process that reused the pid)."""
    if not _pid_alive(pid):
        return False
    cmd = _command_line(pid)
    if cmd is None:
        return True  # cannot tell: trust the state file's pid, as before
    return "ecosystem.server" in cmd and str(home) in cmd


def read_state(home: pathlib.Path) -> dict | None:
    """The running server's state, or None when none is answering."""
    path = home / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        pid, port = int(state.get("pid", -1)), int(state["bolt_port"])
    except (KeyError, TypeError, ValueError):
        return None
    if not is_store_process(pid, home) or not _port_open(port):
        return None
    return state


def ensure_running(home: pathlib.Path | None = None) -> dict:
    """Start the embedded server unless one is already serving this home."""
    home = home or default_home()
    secure_home(home)
    state = read_state(home)
    if state:
        return state
    with _private_file(home / "start.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one starter at a time; others wait and reuse
        state = read_state(home)
        if state:
            return state
        password(home)
        logf = _private_file(home / "server.log", "ab")
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
    state = read_state(home)  # only a pid that is this home's store process (never a reused pid)
    if not state:
        with contextlib.suppress(FileNotFoundError):
            (home / STATE_FILE).unlink()  # a stale record of a store that is gone
        return False
    pid = int(state["pid"])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_store_process(pid, home):
        time.sleep(0.1)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    if is_store_process(pid, home):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        (home / STATE_FILE).unlink()
    return True


class BackupError(RuntimeError):
    """A backup or restore of the embedded store that could not be made (the store is as it was)."""


def _http_command(home: pathlib.Path, state: dict, path: str, body: dict) -> dict:
    """POST a command to the store's own HTTP API on 127.0.0.1 (root's password from the password file)."""
    import base64
    import urllib.error
    import urllib.request

    auth = base64.b64encode(f"root:{password(home, create=False)}".encode()).decode()
    req = urllib.request.Request(f"http://127.0.0.1:{state['http_port']}{path}", data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            detail = json.loads(e.read()).get("detail") or e.reason
        except ValueError:
            detail = e.reason
        raise BackupError(f"the store refused: {detail}") from None
    except OSError as e:
        raise BackupError(f"cannot reach the store's HTTP port: {e}") from None


def backup(dest: pathlib.Path, home: pathlib.Path | None = None) -> pathlib.Path:
    """A consistent snapshot of the embedded database (taken while it runs: the dashboard can stay up),
    written to ``dest`` as a ZIP (mode 0600). Returns ``dest``."""
    import shutil
    import uuid
    import zipfile

    home = home or default_home()
    dest = pathlib.Path(dest).expanduser().absolute()
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder; give the backup file's name, e.g. {dest / 'ecomap-backup.zip'}")
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent}: no such folder")
    state = ensure_running(home)
    name = f"ecomap-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.zip"
    _http_command(home, state, f"/api/v1/command/{DATABASE}",
                  {"language": "sql", "command": f"BACKUP DATABASE file://{name}"})
    made = pathlib.Path(state.get("root") or home / "arcadedb") / "backups" / DATABASE / name
    if not made.is_file() or not zipfile.is_zipfile(made):
        raise BackupError(f"the store reported a backup but {made} is not a ZIP")
    tmp = dest.with_name(dest.name + ".part")
    try:
        shutil.copyfile(made, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BackupError(f"cannot write {dest}: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(OSError):
            made.unlink()
    return dest


def check_backup(src: pathlib.Path) -> list[str]:
    """The names in a backup ZIP, after checking it is one of this store's (raises :class:`BackupError`)."""
    import zipfile

    src = pathlib.Path(src)
    if not src.is_file():
        raise BackupError(f"{src}: no such file")
    if not zipfile.is_zipfile(src):
        raise BackupError(f"{src} is not a backup made by `ecomap db backup` (not a ZIP file)")
    with zipfile.ZipFile(src) as z:
        names = z.namelist()
        bad = z.testzip()
    if bad is not None:
        raise BackupError(f"{src} is damaged (the entry {bad} does not match its checksum)")
    if "schema.json" not in names or "configuration.json" not in names:
        raise BackupError(f"{src} is not a backup of an ecomap store (no schema.json/configuration.json inside)")
    if any(n.startswith(("/", "\\")) or ".." in pathlib.PurePath(n).parts for n in names):
        raise BackupError(f"{src} has entries outside its folder; refusing to restore it")
    return names


def restore(src: pathlib.Path, home: pathlib.Path | None = None) -> None:
    """Replace the embedded database with a backup, all or nothing.

    The store is stopped, the current database folder set aside, the backup unpacked in its place
    and the store started again (on a new port: running dashboards follow it). When the restored
    store does not start, the database that was there is put back and started again.
    """
    import shutil
    import zipfile

    home = home or default_home()
    src = pathlib.Path(src).expanduser().absolute()
    check_backup(src)
    password(home, create=False)  # a store that cannot be opened afterwards is no restore
    db = home / "arcadedb" / "databases" / DATABASE
    aside = db.with_name(f"{DATABASE}.before-restore")
    stop(home)
    if aside.exists():
        shutil.rmtree(aside)
    had = db.exists()
    if had:
        os.replace(db, aside)
    try:
        db.mkdir(parents=True, mode=0o700)
        with zipfile.ZipFile(src) as z:
            z.extractall(db)
        secure_home(home)
        ensure_running(home)
    except Exception as e:
        stop(home)
        shutil.rmtree(db, ignore_errors=True)
        if had:
            os.replace(aside, db)
            try:
                ensure_running(home)
            except Exception as again:  # e.g. a full disk: the data is back in place, the store not running
                raise BackupError(f"the backup could not be restored ({e}); the database that was there is back "
                                  f"in place but the store does not start ({again}); free disk space and run "
                                  "`ecomap db status`") from None
        raise BackupError(f"the backup could not be restored ({e}); the store is as it was") from None
    shutil.rmtree(aside, ignore_errors=True)


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


def _classpath_without_unused(dst: pathlib.Path) -> None:
    """Point the embedded JVM at a folder of links to every bundled jar but the unused plugins.

    ArcadeDB auto-discovers plugins on its class path (the MCP plugin would
    start even though ``server_plugins`` names only Bolt).
    """
    from arcadedb_embedded import jvm

    src = pathlib.Path(jvm.get_jar_path())
    dst.mkdir(parents=True, exist_ok=True, mode=0o700)
    wanted = {p.name: p for p in src.glob("*.jar") if not p.name.startswith(_UNUSED_JARS)}
    for old in dst.iterdir():
        if old.name not in wanted or not old.exists() or old.resolve() != wanted[old.name].resolve():
            with contextlib.suppress(FileNotFoundError):  # another store starting may have done it
                old.unlink()
    for name, p in wanted.items():
        if not (dst / name).exists():
            with contextlib.suppress(FileExistsError):
                (dst / name).symlink_to(p)
    jvm.get_jar_path = lambda: str(dst)


def _jar_folder(home: pathlib.Path, release: pathlib.Path) -> pathlib.Path:
    """Where the links to the bundled jars go: beside the JVM's ahead-of-time cache when there is one (the
    cache names the jars by path, so the path must outlive any one ECOMAP_HOME), else ECOMAP_HOME/jars."""
    if aot_possible(release):
        import hashlib

        from arcadedb_embedded import jvm

        folder = aot_folder() / ("jars-" + hashlib.sha256(str(jvm.get_jar_path()).encode()).hexdigest()[:12])
        try:
            folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            folder.mkdir(exist_ok=True, mode=0o700)
            return folder
        except OSError:
            pass
    return home / "jars"


#: the JDK from which the bundled JVM keeps an ahead-of-time cache (JEP 483 and 514)
AOT_MIN_JAVA = 25
#: how long the recorder may take to write the ahead-of-time cache before it gives up
AOT_WRITE_TIMEOUT = 180.0
#: seconds a new store waits before it records the cache in the background (the first view loads first)
AOT_RECORD_DELAY = 30.0
#: caches kept in the user's cache folder (one per JVM and set of jars: other ecomap installs), the latest used
AOT_KEEP = 3


def aot_folder() -> pathlib.Path:
    """The user's cache of the store's JVM (on Linux ``$XDG_CACHE_HOME/ecomap``, else ``~/.cache/ecomap``).

    It holds only the classes of the bundled jars, loaded and linked, with method profiles: nothing of any
    store's data. It is kept per user, not per ECOMAP_HOME, because it depends only on the JVM and its jars.
    """
    import platformdirs

    return platformdirs.user_cache_path("ecomap")


def _jre_release() -> pathlib.Path:
    """The ``release`` file of the JRE bundled with arcadedb-embedded (it names the Java version)."""
    import arcadedb_embedded.jvm as arc_jvm

    return pathlib.Path(arc_jvm.__file__).parent / "jre" / "release"


def java_version(release: pathlib.Path) -> tuple[int, str] | None:
    """The major version and full version of a JRE from its ``release`` file, or None when unreadable."""
    try:
        text = release.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "JAVA_VERSION":
            value = value.strip().strip('"')
            head = value.split(".")[0].split("-")[0].split("+")[0]
            return (int(head), value) if head.isdigit() else None
    return None


def _aot_off() -> bool:
    return os.environ.get("ECOMAP_STORE_AOT", "").strip().lower() in ("off", "0", "no", "false")


def aot_possible(release: pathlib.Path) -> bool:
    java = java_version(release)
    return not _aot_off() and java is not None and java[0] >= AOT_MIN_JAVA


def aot_cache(jars: pathlib.Path, release: pathlib.Path) -> pathlib.Path | None:
    """Where the ahead-of-time cache of this JVM and these jars is (or would be); None when there is none to
    be had (ECOMAP_STORE_AOT=off, a JVM older than JDK 25, no cache folder)."""
    if not aot_possible(release):
        return None
    import hashlib

    parts = [str(java_version(release)), str(jars), *sorted(f"{p.name}:{p.stat().st_size}" for p in jars.glob("*.jar"))]
    folder = aot_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder / f"store-{hashlib.sha256(chr(10).join(parts).encode()).hexdigest()[:16]}.aot"


def aot_flags(cache: pathlib.Path | None) -> list[str]:
    """The JVM flag that maps the cache, when it has been recorded.

    The JVM checks that it fits its own version and jars and starts without it, warning in server.log, when
    it does not (``_drop_unusable_cache`` then removes it).
    """
    if cache is None or not cache.is_file() or cache.stat().st_size == 0:
        return []
    with contextlib.suppress(OSError):
        os.utime(cache)  # used: the last to be pruned
    return [f"-XX:AOTCache={cache}"]


@contextlib.contextmanager
def recording(cache: pathlib.Path):
    """Hold the right to record ``cache``: yields the file the JVM is to write, or None when another process
    is recording it or it has been recorded. On leaving, a file the JVM wrote becomes the cache (private),
    a recording cut short leaves nothing, and only the latest used caches are kept."""
    try:
        lock = _private_file(cache.with_suffix(".lock"), "a")
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield None
            return
        if cache.is_file() and cache.stat().st_size > 0:
            yield None
            return
        for stale in cache.parent.glob(cache.stem + ".*.tmp*"):  # a recording cut short (killed)
            with contextlib.suppress(OSError):
                stale.unlink()
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp")
        try:
            yield tmp
            if tmp.is_file() and tmp.stat().st_size > 0:
                os.chmod(tmp, 0o600)
                os.replace(tmp, cache)
                caches = sorted(cache.parent.glob("store-*.aot"), key=_mtime, reverse=True)
                for old in caches[AOT_KEEP:]:  # each is some 50 MB
                    with contextlib.suppress(OSError):
                        old.unlink()
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    finally:
        lock.close()


def _mtime(path: pathlib.Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _drop_unusable_cache(flags: list[str], log_text: str) -> None:
    """Remove a cache the JVM said it could not use, so that it is recorded again."""
    used = [f.split("=", 1)[1] for f in flags if f.startswith("-XX:AOTCache=")]
    if used and any("[aot" in ln and "[error" in ln for ln in log_text.splitlines()):
        log.warning("the JVM could not use its ahead-of-time cache %s; removed, to be recorded again", used[0])
        with contextlib.suppress(OSError):
            os.unlink(used[0])


#: after a recording failed, stores start without recording again for this long (seconds)
AOT_RETRY_AFTER = 7 * 24 * 3600.0


def _failed_marker(cache: pathlib.Path) -> pathlib.Path:
    return cache.with_suffix(".failed")


def _start_recorder(cache: pathlib.Path) -> None:
    """Record the cache in a background process of the lowest priority, once the new store has settled;
    not for a week after a recording failed (its log, ``store-….log`` beside the cache, says why)."""
    if time.time() - _mtime(_failed_marker(cache)) < AOT_RETRY_AFTER:
        return
    with contextlib.suppress(OSError):
        logf = _private_file(cache.with_suffix(".log"), "ab")
        subprocess.Popen([sys.executable, "-m", "ecosystem.server", "--record-aot", str(cache)],
                         stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                         start_new_session=True, close_fds=True, cwd=str(cache.parent))
        logf.close()


def _server_config(bolt_port: int, http_port: int) -> dict:
    return {
        "host": "127.0.0.1",
        "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        "bolt_port": bolt_port,
        "bolt_host": "127.0.0.1",
        "http_port": http_port,
        "backup_enabled": False,
        "server_metrics": False,
        # the root password is 192 random bits (``password``), so stretching its stored hash adds no
        # protection; ArcadeDB's default 65,536 PBKDF2 rounds cost 0.2-0.3 s at each new store and at a
        # new server's first login
        "server_saltIterations": SALT_ITERATIONS,
    }


def record_aot(cache: pathlib.Path) -> int:  # pragma: no cover - runs in the recorder process
    """Record the JVM's ahead-of-time cache: a throwaway store in a temporary folder loads the bundled demo
    over Bolt, as a user's first load would, and the JVM writes what it loaded and linked as it exits.

    Runs at the lowest priority after ``AOT_RECORD_DELAY`` seconds (``ECOMAP_AOT_DELAY``), so that the
    store that started it serves its first view first. Touches no ECOMAP_HOME.
    """
    import shutil
    import tempfile

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.umask(0o077)
    time.sleep(float(os.environ.get("ECOMAP_AOT_DELAY", AOT_RECORD_DELAY)))
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no os.nice on this system
        os.nice(19)
    work = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-aot-"))
    os.chdir(work)  # ArcadeDB writes its log folder where it runs
    os.environ.update(ECOMAP_HOME=str(work / "home"), ECOMAP_WARM="off", ECOMAP_CACHE="off")
    os.environ.pop("NEO4J_URI", None)
    try:
        recorded = _record(cache, work)
    except BaseException:
        log.exception("recording %s failed; stores start without it (the next try in a week)", cache)
        recorded = False
    if recorded is not None:
        if recorded and cache.is_file():
            log.info("recorded %s", cache)
        else:
            log.warning("no cache was recorded at %s; the next try in a week", cache)
            with contextlib.suppress(OSError):
                _private_file(_failed_marker(cache), "w").close()
    shutil.rmtree(work, ignore_errors=True)
    return 0 if recorded is not False else 1


def _record(cache: pathlib.Path, work: pathlib.Path) -> bool | None:  # pragma: no cover - the recorder process
    """True once the JVM has exited after recording; None when it was recorded or is being recorded elsewhere."""
    with recording(cache) as out:
        if out is None:
            return None
        watchdog = threading.Timer(AOT_WRITE_TIMEOUT, lambda: os._exit(1))  # the cache is only a speed-up
        watchdog.daemon = True
        watchdog.start()
        import arcadedb_embedded as arc

        release = _jre_release()
        _classpath_without_unused(_jar_folder(work, release))
        bolt_port, http_port = _free_port(), _free_port()
        secret = secrets.token_urlsafe(24)
        srv = arc.ArcadeDBServer(root_path=str(work / "arcadedb"), root_password=secret,
                                 config=_server_config(bolt_port, http_port),
                                 jvm_kwargs={"heap_size": os.environ.get("ECOMAP_STORE_HEAP", "4g"),
                                             "jvm_args": [f"-XX:AOTCacheOutput={out}"]})
        srv.start()
        srv.create_database(DATABASE)
        try:
            from ecosystem import demo
            from ecosystem.store import GraphStore

            with GraphStore.connect(f"bolt://127.0.0.1:{bolt_port}", "root", secret, DATABASE) as store:
                store.ensure_schema()
                demo.ensure_loaded(store)
                store.counts()
        finally:
            with contextlib.suppress(Exception):
                srv.stop()
        import jpype

        jpype.shutdownJVM()  # the JVM writes the cache as it exits
    return True


def serve(home: pathlib.Path) -> None:  # pragma: no cover - runs in the daemon process
    import arcadedb_embedded as arc

    os.umask(0o077)  # everything the store writes (database files, logs, backups) is private to the user
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    secure_home(home)
    root = home / "arcadedb"
    root.mkdir(parents=True, exist_ok=True)
    _write_mcp_off(root)
    release = _jre_release()
    jars = _jar_folder(home, release)
    _classpath_without_unused(jars)
    heap = os.environ.get("ECOMAP_STORE_HEAP", "4g")
    cache = aot_cache(jars, release)
    flags = aot_flags(cache)
    log_start = _size(home / "server.log")
    bolt_port, http_port = _free_port(), _free_port()
    srv = arc.ArcadeDBServer(
        root_path=str(root),
        root_password=password(home),
        config=_server_config(bolt_port, http_port),
        jvm_kwargs={"heap_size": heap, "jvm_args": flags},
    )
    srv.start()
    with contextlib.suppress(OSError):
        with open(home / "server.log", "rb") as f:
            f.seek(log_start)
            _drop_unusable_cache(flags, f.read(1 << 20).decode("utf-8", "replace"))
    if not (root / "databases" / DATABASE).exists():
        srv.create_database(DATABASE)
    else:
        srv.get_database(DATABASE)
    state = {"pid": os.getpid(), "bolt_port": bolt_port, "http_port": http_port,
             "host": "127.0.0.1", "started": time.time(), "root": str(root)}
    tmp = home / (STATE_FILE + ".tmp")
    with _private_file(tmp) as f:
        f.write(json.dumps(state))
    os.replace(tmp, home / STATE_FILE)
    log.info("ecomap store serving Bolt on 127.0.0.1:%s", bolt_port)
    if cache is not None and not (flags and cache.is_file()):  # none yet, or the JVM could not use it (dropped)
        _start_recorder(cache)

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
    if sys.argv[1:2] == ["--record-aot"]:
        sys.exit(record_aot(pathlib.Path(sys.argv[2])))
    serve(pathlib.Path(sys.argv[1]))
