"""The workshop library against the real store: links and roles, the walkthrough, notes, votes, actions, export.

Findings come from the analysis of the small place (see conftest.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from ecosystem import workshop as ws

UNDER = "under|LA|W1|mh"
SOLE = "sole_provider|LA|W1|mh"
DEP_P1 = "funding_dependency|LA|P1"
DUP = "duplication|LA|W2|mh"
T0 = dt.datetime(2026, 5, 12, 14, 0, tzinfo=dt.timezone.utc)


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def board(small, fresh):
    return ws.create(small, fresh(), "LA", as_of=dt.date(2026, 1, 1), votes_per_member=3, now=T0)


# ------------------------------------------------------------------ creation, tokens, roles
def test_create_keeps_only_token_hashes_and_links_carry_id_and_token(small, board):
    w = board.workshop
    assert w.place == "LA" and w.place_name == "Town" and w.as_of == dt.date(2026, 1, 1)
    assert [s["view"] for s in w.steps] == ["overview", "gaps", "duplication", "fragility", "scenario"]
    assert w.current == 0 and w.votes_per_member == 3
    props = small.run("workshop_get", {"id": w.id}).iloc[0]["workshop"]
    stored = json.dumps(props, default=str)
    assert board.presenter_token not in stored and board.board_token not in stored
    assert props["presenter_hash"] == ws.hash_token(board.presenter_token) != props["board_hash"]
    assert board.presenter_token != board.board_token and len(board.board_token) >= 32
    link = board.board_link("http://10.0.0.5:8050/")
    assert link == f"http://10.0.0.5:8050/workshop?workshop={w.id}&token={board.board_token}"
    assert "hash" not in json.dumps(w.to_dict())


def test_roles_from_tokens_and_where_the_request_comes_from(board):
    w = board.workshop
    assert ws.role_for(w, board.presenter_token, local=False) == ws.PRESENTER
    assert ws.role_for(w, board.board_token, local=False) == ws.BOARD
    assert ws.role_for(w, board.board_token + "x", local=True) is None  # a wrong token is never promoted
    assert ws.role_for(w, None, local=True) is None  # no tokenless presenter, on this machine neither
    assert ws.role_for(w, None, local=False) is None
    assert ws.role_for(w, "", local=False) is None
    assert ws.role_for_hash(w, ws.hash_token(board.presenter_token)) == ws.PRESENTER
    assert ws.role_for_hash(w, ws.hash_token(board.board_token)) == ws.BOARD
    assert ws.role_for_hash(w, board.board_token) is None and ws.role_for_hash(w, None) is None
    assert ws.is_local_request("127.0.0.1", "127.0.0.1") and ws.is_local_request("::1", "::1")
    assert not ws.is_local_request("0.0.0.0", "127.0.0.1")  # bound beyond loopback: tokens required
    assert not ws.is_local_request("127.0.0.1", "10.1.2.3")
    assert not ws.is_local_request("192.168.1.4", "192.168.1.9")
    assert ws.can(ws.BOARD, "vote") and ws.can(ws.BOARD, "note") and not ws.can(ws.BOARD, "action")
    assert not ws.can(None, "note") and not ws.can(None, "read")


def test_new_links_replace_both_tokens(small, board):
    again = ws.new_links(small, board.workshop.id)
    w = ws.get(small, board.workshop.id)
    assert ws.role_for(w, board.presenter_token, local=False) is None
    assert ws.role_for(w, board.board_token, local=False) is None
    assert ws.role_for(w, again.presenter_token, local=False) == ws.PRESENTER
    assert ws.role_for(w, again.board_token, local=False) == ws.BOARD


@pytest.mark.parametrize("name, place, votes, words", [
    ("Board", "NOWHERE", 5, "place 'NOWHERE' is not in the store"),
    ("   ", "LA", 5, "workshop name is required"),
    ("!!!", "LA", 5, "needs at least one letter or digit"),
    ("x" * 81, "LA", 5, "the limit is 80"),
    ("Board", "LA", 0, "from 1 to 50"),
    ("Board", "LA", True, "from 1 to 50"),
])
def test_create_rejects_bad_input_with_a_reason(small, name, place, votes, words):
    with pytest.raises(ws.WorkshopError, match=words):
        ws.create(small, name, place, votes_per_member=votes)


def test_a_second_workshop_with_the_same_id_is_refused(small, fresh):
    name = fresh("May board")
    ws.create(small, name, "LA")
    with pytest.raises(ws.WorkshopError, match="already exists"):
        ws.create(small, name.upper() + "!", "LA")  # same slug
    assert ws.find(small, name).name == name
    assert ws.find(small, ws.workshop_id(name)).name == name
    with pytest.raises(ws.NotFound):
        ws.find(small, "no such workshop")


def test_workshop_id_is_a_slug():
    assert ws.workshop_id("  Partnership Board: May 2026 ") == "partnership-board-may-2026"
    assert ws.workshop_id("Café Ōtautahi") == "cafe-otautahi"


# ------------------------------------------------------------------ walkthrough
def test_presenter_reorders_edits_and_steps_through_and_the_record_keeps_what_was_shown(small, board):
    wid = board.workshop.id
    steps = ws.move_step(board.workshop.steps, 3, -2)  # fragility before gaps
    steps[0]["title"] = "Where we are"
    steps.append({"view": "gaps", "title": "Gaps in mental health", "category": "mh"})
    w = ws.set_steps(small, wid, steps, role=ws.PRESENTER)
    assert [s["view"] for s in w.steps] == ["overview", "fragility", "gaps", "duplication", "scenario", "gaps"]
    assert w.steps[5] == {"view": "gaps", "title": "Gaps in mental health", "category": "mh"}
    ws.go_to(small, wid, 1, role=ws.PRESENTER, now=_at(1))
    w = ws.go_to(small, wid, 5, role=ws.PRESENTER, now=_at(7))
    assert w.current == 5 and w.step["category"] == "mh"
    assert [(s["step"], s["title"], s["at"]) for s in w.shown] == [
        (1, "Fragility", "2026-05-12T14:01:00+00:00"), (5, "Gaps in mental health", "2026-05-12T14:07:00+00:00")]
    # removing steps clamps the current one
    w = ws.set_steps(small, wid, w.steps[:2], role=ws.PRESENTER)
    assert w.current == 1
    assert ws.state(small, wid) == {"revision": w.revision, "current": 1}


def test_board_members_cannot_edit_or_move_the_walkthrough(small, board):
    wid = board.workshop.id
    with pytest.raises(ws.Forbidden, match="change the walkthrough as a board member"):
        ws.set_steps(small, wid, [{"view": "gaps"}], role=ws.BOARD)
    with pytest.raises(ws.Forbidden, match="move the walkthrough"):
        ws.go_to(small, wid, 1, role=ws.BOARD)
    with pytest.raises(ws.Forbidden, match="without a valid workshop link"):
        ws.add_note(small, wid, "hello", author="Ann", role=None)
    assert ws.get(small, wid).current == 0 and ws.get(small, wid).revision == 0  # nothing was written


@pytest.mark.parametrize("steps, words", [
    ([], "at least one step"),
    ([{"view": "network"}], "view 'network' is not one of"),
    ([{"view": "gaps", "title": "t" * 121}], "step 1 title is 121 characters"),
    ([{"view": "gaps"}] * 21, "at most 20 steps"),
    (["gaps"], "expected an object"),
])
def test_bad_steps_are_refused(small, board, steps, words):
    with pytest.raises(ws.WorkshopError, match=words):
        ws.set_steps(small, board.workshop.id, steps, role=ws.PRESENTER)


def test_going_to_a_step_that_does_not_exist_is_refused(small, board):
    with pytest.raises(ws.WorkshopError, match="there is no step 6; the walkthrough has 5"):
        ws.go_to(small, board.workshop.id, 5, role=ws.PRESENTER)


# ------------------------------------------------------------------ notes
def test_notes_are_linked_to_what_they_are_about_and_read_back(small, board, findings):
    wid = board.workshop.id
    n1 = ws.add_note(small, wid, "Walk is full by March", author="Ann", role=ws.BOARD,
                     about=ws.targets([("service", "S2"), ("organisation", "P2"), ("place", "GONE")]), now=_at(2))
    n2 = ws.add_note(small, wid, "  Ask the ICB about W1  ", author="Bo", role=ws.PRESENTER,
                     about=ws.targets([{"kind": "finding", "key": UNDER}], findings=findings), now=_at(3))
    got = ws.notes(small, wid)
    assert [n["id"] for n in got] == [n1["id"], n2["id"]]
    assert got[0]["text"] == "Walk is full by March" and got[0]["author"] == "Ann" and got[0]["view"] == "overview"
    assert got[0]["services"] == ["S2"] and got[0]["places"] == ["GONE"]  # kept even when not in the store
    assert got[1]["text"] == "Ask the ICB about W1" and got[1]["finding"] == UNDER
    assert got[1]["finding_summary"] == "mh in W1 meets 43% of need: 40 of 70 people a year unmet."
    # the report's query sees them, with the keys of what exists in the store
    rep = {r["id"]: sorted(r["concerns"]) for r in small.records("report_notes") if r["id"] in (n1["id"], n2["id"])}
    assert rep == {n1["id"]: ["P2", "S2"], n2["id"]: ["P1", "S1", "W1", "mh"]}
    # and the detail pages' queries
    assert n1["id"] in [r["id"] for r in ws.concerning(small, "service", "S2")]
    assert n2["id"] in [r["id"] for r in ws.concerning(small, "category", "mh")]
    assert n2["id"] not in [r["id"] for r in ws.concerning(small, "service", "S2")]


@pytest.mark.parametrize("text, author, words", [
    ("", "Ann", "note is required"),
    ("x" * 1001, "Ann", "the limit is 1000"),
    ("ok", "", "your name is required"),
    ("ok", "a" * 41, "the limit is 40"),
    (["not", "text"], "Ann", "note must be text"),
])
def test_note_text_and_names_are_checked(small, board, text, author, words):
    with pytest.raises(ws.WorkshopError, match=words):
        ws.add_note(small, board.workshop.id, text, author=author, role=ws.BOARD)


def test_markup_is_stored_as_typed_and_control_characters_are_dropped(small, board):
    payload = "<script>alert('x')</script><img src=x onerror=alert(1)>\x00\u202e"
    n = ws.add_note(small, board.workshop.id, payload, author="<b>Eve</b>", role=ws.BOARD)
    assert n["text"] == "<script>alert('x')</script><img src=x onerror=alert(1)>"
    assert ws.notes(small, board.workshop.id)[0]["author"] == "<b>Eve</b>"


def test_a_finding_not_in_the_analysis_cannot_be_a_target(findings):
    with pytest.raises(ws.WorkshopError, match="not in this workshop's analysis"):
        ws.targets([("finding", "under|LA|W9|mh")], findings=findings)
    with pytest.raises(ws.WorkshopError, match="'ward' is not something"):
        ws.targets([("ward", "W1")])


# ------------------------------------------------------------------ votes
def test_dot_votes_respect_the_budget_and_can_be_taken_back(small, board, findings):
    wid = board.workshop.id
    assert ws.vote(small, wid, findings[UNDER], member="Ann", role=ws.BOARD, now=_at(1)) == \
        {"votes": 1, "used": 1, "left": 2}
    assert ws.vote(small, wid, findings[UNDER], member=" ann ", role=ws.BOARD)["votes"] == 2  # same member
    assert ws.vote(small, wid, findings[SOLE], member="ANN", role=ws.BOARD) == {"votes": 1, "used": 3, "left": 0}
    with pytest.raises(ws.VoteLimit, match="Ann has used all 3 votes"):
        ws.vote(small, wid, findings[DEP_P1], member="Ann", role=ws.BOARD)
    assert ws.vote(small, wid, findings[UNDER], member="Bo", role=ws.PRESENTER)["votes"] == 3
    out = ws.unvote(small, wid, UNDER, member="Ann", role=ws.BOARD)
    assert out == {"votes": 2, "used": 2, "left": 1, "removed": 1}
    assert ws.unvote(small, wid, DEP_P1, member="Ann", role=ws.BOARD)["removed"] == 0
    assert ws.votes_left(small, wid, "Ann") == 1
    assert ws.member_votes(small, wid, "ann") == {UNDER: 1, SOLE: 1}
    t = ws.tally(small, wid)
    assert [(x["finding"], x["votes"], x["voters"]) for x in t] == [
        (UNDER, 2, ["Ann", "Bo"]), (SOLE, 1, ["Ann"])]  # the first spelling a member used
    assert t[0]["kind"] == "under" and t[0]["place"] == "W1" and t[0]["categories"] == ["mh"]
    # the report sees the vote item with its count
    rep = {r["id"]: r for r in small.records("report_notes")}
    assert rep[ws.vote_item_id(wid, UNDER)]["properties"]["votes"] == 2
    assert sorted(rep[ws.vote_item_id(wid, UNDER)]["concerns"]) == ["P1", "S1", "W1", "mh"]


def test_votes_belong_to_a_member_identity_not_to_a_typed_name(small, board, findings):
    """Two members who both type "Ann" have a budget each; neither can take back the other's vote."""
    wid = board.workshop.id
    one, two = "m-" + "1" * 32, "m-" + "2" * 32
    for _ in range(3):
        ws.vote(small, wid, findings[UNDER], member="Ann", member_id=one, role=ws.BOARD)
    with pytest.raises(ws.VoteLimit):
        ws.vote(small, wid, findings[UNDER], member="Ann", member_id=one, role=ws.BOARD)
    assert ws.vote(small, wid, findings[UNDER], member="Ann", member_id=two, role=ws.BOARD)["left"] == 2
    assert ws.unvote(small, wid, UNDER, member="Ann", member_id="m-" + "3" * 32, role=ws.BOARD)["removed"] == 0
    assert ws.member_votes(small, wid, "Ann", member_id=one) == {UNDER: 3}
    assert ws.member_votes(small, wid, "Ann", member_id=two) == {UNDER: 1}
    assert ws.member_votes(small, wid, "Ann") == {}  # the typed name alone owns nothing
    assert ws.unvote(small, wid, UNDER, member="Ann", member_id=two, role=ws.BOARD) == \
        {"votes": 3, "used": 0, "left": 3, "removed": 1}
    [t] = ws.tally(small, wid)
    assert t["votes"] == 3 and t["voters"] == ["Ann ×3"]


def test_only_gaps_and_fragilities_take_votes(small, board, findings):
    with pytest.raises(ws.WorkshopError, match="'duplication' findings cannot be voted on"):
        ws.vote(small, board.workshop.id, findings[DUP], member="Ann", role=ws.BOARD)
    with pytest.raises(ws.Forbidden):
        ws.vote(small, board.workshop.id, findings[UNDER], member="Ann", role=None)


# ------------------------------------------------------------------ actions
def test_actions_are_presenter_only_and_update_in_place(small, board, findings):
    wid = board.workshop.id
    with pytest.raises(ws.Forbidden, match="record actions as a board member"):
        ws.add_action(small, wid, "x", owner="y", role=ws.BOARD)
    a = ws.add_action(small, wid, "Commission a W1 talking service", owner="ICB mental health lead",
                      due="2026-09-30", role=ws.PRESENTER,
                      about=ws.targets([("finding", SOLE), ("place", "W1")], findings=findings), now=_at(20))
    assert a["status"] == "open" and a["due"] == dt.date(2026, 9, 30)
    b = ws.update_action(small, wid, a["id"], role=ws.PRESENTER, status="In progress", due=None, now=_at(30))
    assert b["status"] == "in progress" and "due" not in b and b["owner"] == "ICB mental health lead"
    assert b["updated"] == "2026-05-12T14:30:00+00:00"
    got = ws.actions(small, wid)
    assert len(got) == 1 and got[0]["places"] == ["W1"] and got[0]["finding"] == SOLE
    rep = [r for r in small.records("report_actions") if r["id"] == a["id"]][0]
    assert rep["properties"]["owner"] == "ICB mental health lead" and rep["properties"]["status"] == "in progress"
    assert sorted(rep["concerns"]) == ["P1", "S1", "W1", "mh"]
    with pytest.raises(ws.NotFound):
        ws.update_action(small, wid, "action-nope", role=ws.PRESENTER, status="done")
    with pytest.raises(ws.WorkshopError, match="status 'finished' is not one of"):
        ws.update_action(small, wid, a["id"], role=ws.PRESENTER, status="finished")
    with pytest.raises(ws.WorkshopError, match="due date '30/09/2026' is not a date"):
        ws.add_action(small, wid, "x", owner="y", due="30/09/2026", role=ws.PRESENTER)


def test_the_report_picks_up_workshop_records_for_the_place(small, board, findings):
    from ecosystem.report.build import _workshop

    wid = board.workshop.id
    ws.add_note(small, wid, "report me", author="Ann", role=ws.BOARD)
    ws.vote(small, wid, findings[UNDER], member="Ann", role=ws.BOARD)
    ws.add_action(small, wid, "act on it", owner="Bo", due=dt.date(2026, 7, 1), role=ws.PRESENTER)
    doc = _workshop(small, {"LA", "W1", "W2"})
    texts = {r.get("text"): r for r in doc["notes"] + doc["actions"] if r.get("workshop") == wid}
    assert texts["report me"]["author"] == "Ann"
    assert texts[findings[UNDER]["summary"]]["votes"] == 1
    assert texts["act on it"]["due"] == "2026-07-01" and texts["act on it"]["owner"] == "Bo"
    assert not [r for r in _workshop(small, {"ELSEWHERE"})["notes"] if r.get("workshop") == wid]


# ------------------------------------------------------------------ the record and its export
def _meeting(small, board, findings):
    wid = board.workshop.id
    ws.go_to(small, wid, 1, role=ws.PRESENTER, now=_at(5))
    ws.add_note(small, wid, "W1 | needs *more* <script>alert(1)</script>", author="Ann", role=ws.BOARD,
                about=ws.targets([("finding", UNDER)], findings=findings), now=_at(6))
    ws.vote(small, wid, findings[UNDER], member="Ann", role=ws.BOARD, now=_at(7))
    ws.vote(small, wid, findings[UNDER], member="Bo", role=ws.BOARD, now=_at(8))
    ws.vote(small, wid, findings[DEP_P1], member="Bo", role=ws.BOARD, now=_at(9))
    ws.add_action(small, wid, "=HYPERLINK(\"http://x\")", owner="Cat", due="2026-06-30", role=ws.PRESENTER,
                  about=ws.targets([("organisation", "P1")]), now=_at(10))
    return ws.record(small, wid)


def test_record_and_markdown_minutes(small, board, findings):
    rec = _meeting(small, board, findings)
    assert rec["members"] == ["Ann", "Bo"]
    assert [(t["finding"], t["votes"]) for t in rec["votes"]] == [(UNDER, 2), (DEP_P1, 1)]
    md = ws.export(rec, "md")
    name = board.workshop.name
    assert md.startswith(f"# Workshop minutes: {ws.md_text(name)}\n")
    assert "- **Place:** Town \\(LA\\)" in md
    assert "1. 14:05 — Gaps" in md
    assert "| 1 | mh in W1 meets 43% of need: 40 of 70 people a year unmet\\. | 2 | Ann, Bo |" in md
    assert "| 2 | P1 gets 100% of its active funding from C1\\. | 1 | Bo |" in md
    assert "### Gaps" in md
    assert "W1 \\| needs \\*more\\* &lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md
    assert "<script>" not in md
    assert "| Cat | 2026-06-30 | open | P1 |" in md


def test_csv_and_json_exports(small, board, findings):
    rec = _meeting(small, board, findings)
    rows = list(csv.DictReader(io.StringIO(ws.export(rec, "csv"))))
    assert [r["record"] for r in rows] == ["view", "vote", "vote", "note", "action"]
    assert rows[1]["votes"] == "2" and rows[1]["voters"] == "Ann; Bo" and rows[1]["finding"] == UNDER
    assert rows[4]["text"].startswith("'=HYPERLINK")  # never a live formula in a spreadsheet
    assert rows[4]["owner"] == "Cat" and rows[4]["due"] == "2026-06-30" and rows[4]["organisations"] == "P1"
    back = json.loads(ws.export(rec, "json"))
    assert back["workshop"]["id"] == board.workshop.id and len(back["notes"]) == 1
    assert "presenter_hash" not in json.dumps(back)
    with pytest.raises(ws.WorkshopError, match="format 'pdf'"):
        ws.export(rec, "pdf")


def test_an_empty_workshop_exports_plain_minutes(small, board):
    md = ws.export(ws.record(small, board.workshop.id), "md")
    for words in ("No views were shown.", "No votes were cast.", "No notes were recorded.", "No actions were agreed.",
                  "**Contributors:** none recorded"):
        assert words in md


def test_list_counts_notes_votes_and_actions(small, board, findings):
    _meeting(small, board, findings)
    row = [r for r in ws.list_workshops(small) if r["id"] == board.workshop.id][0]
    assert (row["notes"], row["votes"], row["actions"]) == (1, 3, 1)
