"""Several board members at once against the real store: nothing lost, nothing counted twice, budgets hold.

Each client is a thread with its own driver sessions (the library opens one
per call), all released together by a barrier so their transactions overlap.
"""

from __future__ import annotations

import collections
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time

import neo4j
import pytest

from ecosystem import workshop as ws
from ecosystem.workshop import _tx

UNDER = "under|LA|W1|mh"
SOLE = "sole_provider|LA|W1|mh"
DEP_P1 = "funding_dependency|LA|P1"
DEP_P2 = "funding_dependency|LA|P2"


def _clients(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads started together; return results (or exceptions) by client."""
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            out[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return out


def test_simultaneous_notes_are_all_kept_once(small, fresh):
    wid = ws.create(small, fresh(), "LA").workshop.id
    per_client, clients = 5, 6

    def work(i):
        return [ws.add_note(small, wid, f"note {i}-{k}", author=f"member {i}", role=ws.BOARD)["id"]
                for k in range(per_client)]

    out = _clients(clients, work)
    errors = [e for e in out if isinstance(e, BaseException)]
    assert not errors, errors
    texts = sorted(n["text"] for n in ws.notes(small, wid))
    assert texts == sorted(f"note {i}-{k}" for i in range(clients) for k in range(per_client))
    assert ws.get(small, wid).revision == per_client * clients  # every write bumped it exactly once


def test_writers_in_one_process_take_turns_instead_of_conflicting_at_the_store(small, fresh, caplog):
    """The dashboard is one process: its members' writes to a workshop queue there, so the store sees no conflict.

    Without the turn-taking, Neo4j reported about a quarter of such writes as deadlocks, and a
    connection left by one of them sometimes hung its next user for two minutes.
    """
    wid = ws.create(small, fresh(), "LA").workshop.id
    caplog.set_level(logging.DEBUG, logger=_tx.__name__)
    out = _clients(4, lambda i: [ws.add_note(small, wid, f"t {i}-{k}", author=f"m {i}", role=ws.BOARD)["id"]
                                 for k in range(8)])
    assert not [e for e in out if isinstance(e, BaseException)], out
    assert not [r for r in caplog.records if "conflicted" in r.getMessage()]
    assert ws.get(small, wid).revision == 32
    assert len(ws.notes(small, wid)) == 32


_OTHER_PROCESS = textwrap.dedent("""
    import sys, time
    from ecosystem import workshop as ws
    from ecosystem.store import GraphStore
    wid, who, start, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    store = GraphStore.open()
    while time.time() < start:
        time.sleep(0.005)
    for k in range(n):
        ws.add_note(store, wid, f"{who}-{k}", author=who, role=ws.BOARD)
    store.close()
""")


@pytest.mark.slow
def test_writers_in_other_processes_meet_at_the_store_and_lose_nothing(small, fresh):
    """The command line and the dashboard write from different processes: the store's conflicts are retried."""
    wid = ws.create(small, fresh(), "LA").workshop.id
    start, n = time.time() + 4.0, 12  # each process has imported and connected by then
    procs = [subprocess.Popen([sys.executable, "-c", _OTHER_PROCESS, wid, who, str(start), str(n)],
                              env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("cli", "board")]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
    texts = sorted(x["text"] for x in ws.notes(small, wid))
    assert texts == sorted(f"{who}-{k}" for who in ("cli", "board") for k in range(n))
    assert ws.get(small, wid).revision == 2 * n


def _deadlock():
    return neo4j.exceptions.Neo4jError._hydrate_neo4j(code="Neo.TransientError.Transaction.DeadlockDetected",
                                                     message="deadlock")


def _failed_result(cause):
    try:
        raise neo4j.exceptions.ResultFailedError(None, "The result has failed.") from cause
    except neo4j.exceptions.ResultFailedError as e:
        return e


def test_a_conflict_hidden_by_the_drivers_rollback_error_is_still_a_conflict():
    assert _tx._retryable(_deadlock())
    assert _tx._retryable(_failed_result(_deadlock()))
    assert _tx._retryable(_failed_result(_failed_result(_deadlock())))
    syntax = neo4j.exceptions.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Statement.SyntaxError", message="bad")
    assert not _tx._retryable(syntax)
    assert not _tx._retryable(_failed_result(syntax))
    assert not _tx._retryable(_failed_result(None))
    assert not _tx._retryable(ValueError("no"))
    assert not _tx._retryable(ws.NotFound("no workshop"))


def test_a_hidden_conflict_is_tried_again_on_the_real_store(small, fresh):
    """The write that first fails with the driver's "result has failed" (caused by a deadlock) is retried, once."""
    wid = ws.create(small, fresh(), "LA").workshop.id
    calls = []

    def work(tx):
        calls.append(1)
        rows = _tx._run(tx, "workshop_touch", {"id": wid})
        if len(calls) == 1:
            raise _failed_result(_deadlock())
        return rows[0]["revision"]

    before = ws.get(small, wid).revision
    assert _tx._retrying(small, work) == before + 1  # the first try was rolled back
    assert len(calls) == 2


def test_simultaneous_votes_never_exceed_a_budget_or_get_lost(small, fresh, findings):
    """Four members, each voting from two devices at once, three tries per device with a budget of three."""
    wid = ws.create(small, fresh(), "LA", votes_per_member=3).workshop.id
    members = ["Ann", "Bo", "Cat", "Dev"]
    order = [UNDER, SOLE, DEP_P1, DEP_P2]

    def work(i):
        member = members[i % 4]
        done, refused = [], 0
        for k in range(3):
            fid = order[(i + k) % 4]
            try:
                ws.vote(small, wid, findings[fid], member=member, role=ws.BOARD)
                done.append(fid)
            except ws.VoteLimit:
                refused += 1
        return member, done, refused

    out = _clients(8, work)
    errors = [e for e in out if isinstance(e, BaseException)]
    assert not errors, errors
    placed = collections.Counter()
    per_member = collections.Counter()
    for member, done, refused in out:
        placed.update(done)
        per_member[member] += len(done)
        assert len(done) + refused == 3
    assert per_member == {m: 3 for m in members}  # 6 tries each, exactly 3 accepted
    t = {x["finding"]: x["votes"] for x in ws.tally(small, wid)}
    assert t == {f: c for f, c in placed.items()}
    assert sum(t.values()) == 12
    stored = {r["id"]: r["properties"]["votes"] for r in small.records("report_notes")
              if r["properties"].get("workshop") == wid}
    assert stored == {ws.vote_item_id(wid, f): c for f, c in placed.items()}


def test_votes_and_take_backs_interleaved_end_where_they_should(small, fresh, findings):
    """Each of six members votes twice on one finding and takes one back: 6 dots remain."""
    wid = ws.create(small, fresh(), "LA", votes_per_member=2).workshop.id

    def work(i):
        m = f"member {i}"
        ws.vote(small, wid, findings[UNDER], member=m, role=ws.BOARD)
        ws.vote(small, wid, findings[UNDER], member=m, role=ws.BOARD)
        return ws.unvote(small, wid, UNDER, member=m, role=ws.BOARD)["removed"]

    out = _clients(6, work)
    assert out == [1] * 6, out
    [row] = ws.tally(small, wid)
    assert row["votes"] == 6 and len(row["voters"]) == 6
