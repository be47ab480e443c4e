"""Transactions: every workshop write is one retried transaction that bumps the revision."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from typing import Any, Callable

import neo4j

from ecosystem.store import _to_python
from queries import query
from ecosystem.workshop.model import NotFound, Workshop

log = logging.getLogger(__name__)


def _now(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _run(tx, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    q = query(name)
    q.check_params(params)
    return [{k: _to_python(v) for k, v in r.items()} for r in tx.run(q.text, params).data()]


def _read(store, work: Callable) -> Any:
    with store.session(default_access_mode=neo4j.READ_ACCESS) as s:
        return s.execute_read(work)


#: One lock per workshop (by store address and id) for the writers in this process.
_LOCKS: dict[tuple[str, str | None, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _workshop_lock(store, wid: str) -> threading.Lock:
    key = (str(getattr(store, "uri", id(store))), getattr(store, "database", None), wid)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _write(store, wid: str, work: Callable[[Any, Workshop], Any]) -> Any:
    """Run ``work(tx, workshop)`` in one write transaction that first bumps the workshop's revision.

    A board's members all write through one dashboard process, so writes to one workshop take
    turns here first (each takes a few milliseconds). Left to the store, simultaneous writers
    conflict on the workshop's node: Neo4j reports most of them as deadlocks (51 of 200 notes
    from just two writers), and the driver does not always recover its connection after one.
    Writers in other processes (the command line) still meet at the store, and are retried.
    """
    def tx_work(tx):
        rows = _run(tx, "workshop_touch", {"id": wid})
        if not rows:
            raise NotFound(f"no workshop {wid!r} (see `ecomap workshop list`)")
        return work(tx, Workshop.from_props(rows[0]["workshop"]))

    with _workshop_lock(store, wid):
        return _retrying(store, tx_work)


#: Conflicts worth another try: the store's transient errors (ArcadeDB reports a concurrent change to the same
#: record as one), and a unique-key clash when two members' first votes on a finding both create its vote item.
class _Conflict(Exception):
    """A write saw another writer's half-finished change (e.g. a vote item being made at the same moment)."""


_RETRY = (neo4j.exceptions.TransientError, neo4j.exceptions.ConstraintError, neo4j.exceptions.SessionExpired,
          _Conflict)


def _retryable(e: BaseException | None) -> bool:
    """A conflict, or the driver's "result has failed" raised while rolling back after one (it hides the conflict)."""
    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, _RETRY):
            return True
        if not isinstance(e, neo4j.exceptions.ResultFailedError):
            return False
        e, seen = e.__cause__, seen + 1
    return False


def _retrying(store, tx_work: Callable, *, attempts: int = 40) -> Any:
    """``tx_work(tx)`` in one explicit write transaction, tried again after a conflict with another writer.

    The driver's own retry (``execute_write``) waits a second or more
    between tries; a board voting at once conflicts often and briefly, so
    this waits a few milliseconds (growing, with jitter) instead.
    """
    for attempt in range(attempts):
        try:
            with store.session(default_access_mode=neo4j.WRITE_ACCESS) as s:
                with s.begin_transaction() as tx:
                    result = tx_work(tx)
                    tx.commit()
                    return result
        except Exception as e:
            if not _retryable(e) or attempt == attempts - 1:
                raise
            log.debug("workshop write conflicted (%s); trying again", type(e).__name__)
            time.sleep(random.uniform(0.002, 0.01) * min(attempt + 1, 20))
    raise AssertionError("unreachable")  # pragma: no cover
