"""The graph store: one class over the official ``neo4j`` driver.

Neo4j when ``NEO4J_URI`` is set (with ``NEO4J_USER``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE``); otherwise the embedded ArcadeDB server from
:mod:`ecosystem.server`. Every statement comes from ``queries/`` and every
value is a parameter.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import threading
from typing import Any, Iterator

import neo4j
import pandas as pd

from ecosystem import model as m
from ecosystem import server
from queries import query

log = logging.getLogger(__name__)
# Neo4j sends a notification for every property key a query names that no node has yet (normal in a sparse
# or new graph); the driver would log each one as a warning on the user's terminal
logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)


class StoreUnavailable(RuntimeError):
    """The store could not be reached."""


class StoreWriteError(RuntimeError):
    """The store reported that it could not write its files (a full disk) while a load was written."""


#: what the embedded store logs when it cannot write its files
WRITE_FAILURES = ("No space left on device", "Disk quota exceeded", "Read-only file system")
#: below this many free bytes on the database's disk a load is refused before it writes
MIN_FREE = 1 << 20


def _to_python(v: Any) -> Any:
    """Driver values as Python ones: neo4j dates and times become datetime objects."""
    if hasattr(v, "to_native"):
        return v.to_native()
    if isinstance(v, list):
        return [_to_python(x) for x in v]
    if isinstance(v, dict):
        return {k: _to_python(x) for k, x in v.items()}
    return v


#: the driver's Bolt address schemes: direct (bolt), routing (neo4j, for clusters and Aura), with TLS (+s)
#: or TLS accepting a self-signed certificate (+ssc)
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _one_line(e: BaseException) -> str:
    """An exception's message on one line (drivers' messages may span several)."""
    text = " ".join(str(getattr(e, "message", None) or e).split())
    return text or type(e).__name__


class GraphStore:
    """A connection to the ecomap graph.

    ``GraphStore.open()`` picks the back end from the environment;
    ``kind`` is ``"neo4j"`` or ``"embedded"``.
    """

    def __init__(self, uri: str, auth: tuple[str, str], database: str | None, *, kind: str,
                 location: str, home: pathlib.Path | None = None):
        self.uri = uri
        self.database = database
        self.kind = kind
        self.location = location
        self.home = home
        self._auth = auth
        self._state_stamp = self._stamp()
        self._lock = threading.Lock()
        self.writes = 0  #: sessions that may write, counted as they open and close (see :meth:`session`)
        self.driver = neo4j.GraphDatabase.driver(uri, auth=auth, connection_timeout=15,
                                                 max_connection_lifetime=3600)

    # ---------------------------------------------------------------- reconnecting
    def _stamp(self):
        if self.kind != "embedded" or self.home is None:
            return None
        try:
            st = (self.home / server.STATE_FILE).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _follow_store(self) -> None:
        """The embedded store restarted (a new ``server.json``): reconnect to its new port at once.

        Long-lived processes (the dashboard) would otherwise wait out the driver's connection
        timeouts on the old port. When the store is not running, say so at once.
        """
        if self.kind != "embedded" or self.home is None:
            return
        stamp = self._stamp()
        if stamp == self._state_stamp:
            return
        with self._lock:
            stamp = self._stamp()
            if stamp == self._state_stamp:
                return
            state = server.read_state(self.home)
            if state is None:
                raise StoreUnavailable(f"the embedded store at {self.home} is not running (any ecomap command, "
                                       "e.g. `ecomap db status`, starts it)")
            uri = f"bolt://127.0.0.1:{state['bolt_port']}"
            if uri != self.uri:
                log.info("the embedded store moved to %s; reconnecting", uri)
                try:
                    auth = ("root", server.password(self.home, create=False))
                except server.PasswordLost as e:
                    raise StoreUnavailable(str(e)) from e
                old, self.driver = self.driver, neo4j.GraphDatabase.driver(
                    uri, auth=auth, connection_timeout=15, max_connection_lifetime=3600)
                self.uri, self._auth = uri, auth
                with contextlib.suppress(Exception):
                    old.close()
            self._state_stamp = stamp

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, home: pathlib.Path | None = None, *, start: bool = True) -> "GraphStore":
        """The store the environment names: Neo4j when ``NEO4J_URI`` is set, else the embedded one."""
        uri = os.environ.get("NEO4J_URI")
        if uri:
            return cls.connect(uri, os.environ.get("NEO4J_USER") or "neo4j", os.environ.get("NEO4J_PASSWORD", ""),
                               os.environ.get("NEO4J_DATABASE") or None)
        return cls.open_embedded(home, start=start)

    @classmethod
    def open_embedded(cls, home: pathlib.Path | None = None, *, start: bool = True) -> "GraphStore":
        """The embedded store serving ``home`` (default ``ECOMAP_HOME``), started unless ``start`` is false."""
        home = home or server.default_home()
        try:
            state = server.ensure_running(home) if start else server.read_state(home)
            if state is None:
                raise StoreUnavailable("the embedded store is not running")
            pw = server.password(home, create=False)
        except (RuntimeError, OSError) as e:
            if isinstance(e, StoreUnavailable):
                raise
            raise StoreUnavailable(str(e)) from e
        store = cls(f"bolt://127.0.0.1:{state['bolt_port']}", ("root", pw),
                    server.DATABASE, kind="embedded", location=str(home), home=home)
        store._check()
        return store

    @classmethod
    def connect(cls, uri: str, user: str, password: str, database: str | None = None) -> "GraphStore":
        """A Neo4j server (``bolt://``, ``neo4j://``, ``neo4j+s://`` for Aura, …); ``database`` None: its default.

        Every failure to reach it (server down, wrong password, no such
        database, a malformed address) raises :class:`StoreUnavailable` with a
        one-line reason that never includes the password.
        """
        scheme = uri.partition("://")[0].lower() if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise StoreUnavailable(f"cannot use the Neo4j address {uri!r}: it must start with one of "
                                   + ", ".join(f"{s}://" for s in BOLT_SCHEMES))
        try:
            store = cls(uri, (user, password), database, kind="neo4j", location=uri)
        except (ValueError, neo4j.exceptions.ConfigurationError) as e:
            raise StoreUnavailable(f"cannot use the Neo4j address {uri!r}: {_one_line(e)}") from e
        store._check()
        return store

    def _check(self) -> None:
        """Reach the server, log in and open the database, or close and raise :class:`StoreUnavailable`."""
        where = self.location if self.kind == "embedded" else self.uri
        db = f" (database {self.database!r})" if self.database else ""
        try:  # an auto-commit read: the driver's transaction retries would wait 30 s on a dead server
            with self.session(default_access_mode=neo4j.READ_ACCESS) as s:
                s.run(query("ping").text).consume()
        except neo4j.exceptions.AuthError as e:
            if self.kind == "embedded":
                self.close()
                raise StoreUnavailable(f"the store at {self.location} refused ecomap's password (the password file "
                                       "was changed or lost); run `ecomap db reset-password` to set a new one "
                                       "(the data is kept)") from e
            reason = f"the user name or password was refused ({_one_line(e)})"
        except neo4j.exceptions.ServiceUnavailable as e:
            reason = f"no server answers there ({_one_line(e)})"
        except neo4j.exceptions.ClientError as e:
            if "DatabaseNotFound" in (e.code or "") or "database does not exist" in str(e).lower():
                reason = f"it has no database {self.database!r}" if self.database else _one_line(e)
            else:
                reason = _one_line(e)
        except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError) as e:
            reason = _one_line(e)
        else:
            return
        self.close()
        raise StoreUnavailable(f"cannot reach the graph store at {where}{db}: {reason}")

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- running
    @contextlib.contextmanager
    def session(self, **kw):
        """A driver session. ``writes`` counts every session that may write, as it opens and as it closes, so
        that a value read from the store before (or during) a write is known to be stale after it."""
        self._follow_store()
        write = kw.get("default_access_mode", neo4j.WRITE_ACCESS) != neo4j.READ_ACCESS
        if write:
            self.writes += 1
        try:
            with self.driver.session(database=self.database, **kw) as s:
                yield s
        finally:
            if write:
                self.writes += 1

    def run(self, name: str, params: dict[str, Any] | None = None, *, write: bool = False) -> pd.DataFrame:
        """Run a named query from ``queries/`` and return its rows as a DataFrame."""
        q = query(name)
        q.check_params(params or {})
        with self.session(default_access_mode=neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS) as s:
            def work(tx):
                res = tx.run(q.text, params or {})
                keys = res.keys()
                return keys, [[_to_python(v) for v in r.values()] for r in res]
            keys, rows = (s.execute_write(work) if write else s.execute_read(work))
        columns = list(keys) or list(q.returns)  # an empty result may come back without its keys
        return pd.DataFrame(rows, columns=columns)

    def records(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        df = self.run(name, params)
        return df.to_dict("records")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[neo4j.Transaction]:
        """An explicit transaction: committed whole on success, rolled back on any error."""
        with self.session() as s:
            tx = s.begin_transaction()
            try:
                yield tx
            except BaseException:
                with contextlib.suppress(Exception):
                    tx.rollback()
                raise
            else:
                tx.commit()
            finally:
                with contextlib.suppress(Exception):
                    tx.close()

    # ---------------------------------------------------------------- write health
    def _log_files(self) -> list[pathlib.Path]:
        if self.kind != "embedded" or self.home is None:
            return []
        return [self.home / "server.log",
                *sorted(p for p in (self.home / "log").glob("arcadedb.log*") if not p.name.endswith(".lck"))]

    def _free_bytes(self) -> int | None:
        import shutil

        if self.kind != "embedded" or self.home is None:
            return None
        folder = self.home / "arcadedb" / "databases"
        try:
            return shutil.disk_usage(folder if folder.exists() else self.home).free
        except OSError:
            return None

    def log_mark(self) -> dict[str, int]:
        """Where the embedded store's logs end now (for :meth:`write_failures_since`); checks free space.

        Raises :class:`StoreWriteError` when the database's disk is (nearly) full, before anything is written.
        """
        free = self._free_bytes()
        if free is not None and free < MIN_FREE:
            raise StoreWriteError(f"no space left on the disk holding the store ({free:,} bytes free under "
                                  f"{self.home}); nothing was written: free some space and load again")
        out = {}
        for p in self._log_files():
            with contextlib.suppress(OSError):
                out[str(p)] = p.stat().st_size
        return out

    def write_failures_since(self, mark: dict[str, int]) -> list[str]:
        """Lines the embedded store logged since ``mark`` saying it could not write its files, and a full disk."""
        found: list[str] = []
        for p in self._log_files():
            try:
                with open(p, "rb") as f:
                    f.seek(mark.get(str(p), 0))
                    data = f.read(8 << 20)
            except OSError:
                continue
            found += [ln.strip() for ln in data.decode("utf-8", "replace").splitlines()
                      if any(w in ln for w in WRITE_FAILURES)]
        free = self._free_bytes()
        if free == 0:
            found.append(f"No space left on device: 0 bytes free on the disk holding {self.home}")
        return found

    # ---------------------------------------------------------------- schema
    def ensure_schema(self) -> None:
        """Unique constraints on every node key (idempotent)."""
        with self.session() as s:
            for label, key in m.NODE_KEYS.items():
                name = f"{label.lower()}_{key}"
                stmt = (f"CREATE CONSTRAINT {name} IF NOT EXISTS "
                        f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE")
                s.run(stmt).consume()
            # postcode sectors are looked up by sector code across every loaded lookup
            s.run(f"CREATE INDEX {m.POSTCODE_SECTOR.lower()}_sector IF NOT EXISTS "
                  f"FOR (n:{m.POSTCODE_SECTOR}) ON (n.sector)").consume()

    # ---------------------------------------------------------------- info
    def counts(self) -> dict[str, dict[str, int]]:
        nodes = {r["label"]: int(r["count"]) for r in self.records("count_nodes")}
        rels = {r["type"]: int(r["count"]) for r in self.records("count_relationships")}
        return {"nodes": {k: nodes[k] for k in sorted(nodes)}, "relationships": {k: rels[k] for k in sorted(rels)}}

    def is_empty(self) -> bool:
        return not any(self.counts()["nodes"].values())

    def wipe(self) -> None:
        with self.transaction() as tx:
            tx.run(query("delete_all").text).consume()
