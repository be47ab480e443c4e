"""Several board members at once against the real store: nothing lost, nothing counted twice, budgets hold.

Each client is a thread with its own driver sessions (the library opens one
per call), all released together by a barrier so their transactions overlap.
"""

from __future__ import annotations

import collections
import threading


from ecosystem import workshop as ws

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
