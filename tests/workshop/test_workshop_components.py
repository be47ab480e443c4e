"""The workshop page's builders: which findings a step shows, user text kept as text, presenter-only controls."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.components import workshop as cw
from ecosystem import workshop as ws

FINDINGS = [
    {"id": "under|LA|W1|mh", "kind": "under", "category": "mh", "summary": "mh in W1", "figures": {"unmet": 40}},
    {"id": "unserved|LA|W2|food", "kind": "unserved", "category": "food", "summary": "food in W2",
     "figures": {"unmet": 20}},
    {"id": "under|LA|W2|mh", "kind": "under", "category": "mh", "summary": "mh in W2", "figures": {"unmet": 55}},
    {"id": "funding_dependency|LA|P1", "kind": "funding_dependency", "category": None, "summary": "P1",
     "figures": {"top_share": 1.0}},
    {"id": "overlap|LA|mh|S1|S2", "kind": "overlap", "category": "mh", "summary": "S1 and S2", "figures": {}},
]


def _json(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_a_step_shows_its_views_kinds_in_order_worst_first_within_its_category():
    ids = [f["id"] for f in cw.step_findings({"view": "gaps"}, FINDINGS)]
    assert ids == ["unserved|LA|W2|food", "under|LA|W2|mh", "under|LA|W1|mh"]  # unserved first, then by unmet
    ids = [f["id"] for f in cw.step_findings({"view": "gaps", "category": "mh"}, FINDINGS)]
    assert ids == ["under|LA|W2|mh", "under|LA|W1|mh"]
    assert [f["id"] for f in cw.step_findings({"view": "fragility", "category": "mh"}, FINDINGS)] == \
        ["funding_dependency|LA|P1"]  # findings about no one category stay
    assert [f["id"] for f in cw.step_findings({"view": "duplication"}, FINDINGS)] == ["overlap|LA|mh|S1|S2"]
    assert len(cw.step_findings({"view": "gaps"}, FINDINGS, limit=1)) == 1
    assert cw.step_findings(None, FINDINGS) == []


def test_vote_buttons_only_for_gaps_and_fragilities_and_only_for_roles_that_may_vote():
    gap, overlap = FINDINGS[0], FINDINGS[4]
    assert "\"workshop-vote\"" in _json(cw.finding_item(gap, votes=2, mine=1, can_vote=True, left=0))
    assert '"disabled": true' in _json(cw.finding_item(gap, votes=2, mine=1, can_vote=True, left=0))
    assert "\"workshop-vote\"" not in _json(cw.finding_item(gap, votes=2, mine=0, can_vote=False, left=None))
    assert "\"workshop-vote\"" not in _json(cw.finding_item(overlap, votes=0, mine=0, can_vote=True, left=3))
    assert "2 votes (1 yours)" in _json(cw.finding_item(gap, votes=2, mine=1, can_vote=True, left=0))


def test_user_text_goes_in_as_plain_strings():
    payload = "<script>alert(1)</script>"
    notes = cw.notes_list([{"author": "<b>Eve</b>", "text": payload, "created": "2026-05-12T14:03:00+00:00"}])
    out = _json(notes)
    assert json.dumps(payload)[1:-1] in out and "dangerously" not in out and "Markdown" not in out
    acts = cw.actions_list([{"id": "a1", "text": payload, "owner": "x", "status": "open"}], editable=False)
    assert json.dumps(payload)[1:-1] in _json(acts) and "workshop-action-status" not in _json(acts)
    assert "workshop-action-status" in _json(cw.actions_list([{"id": "a1", "text": "t", "status": "open"}],
                                                             editable=True))


def test_stage_and_step_editor():
    w = ws.Workshop(id="b", name="B", place="LA", place_name="Town", as_of=dt.date(2026, 1, 1), created="",
                    steps=tuple(dict(s) for s in ws.DEFAULT_STEPS), current=1, votes_per_member=3, revision=4)
    body = _json(html_div(cw.stage(w, cw.step_findings(w.step, FINDINGS), figures=[("people", "70")],
                                   tallies={"under|LA|W1|mh": 3}, mine={}, role=ws.BOARD, left=3)))
    assert "Step 2 of 5" in body and '"Gaps"' in body and "3 votes" in body
    editor = _json(cw.step_editor(w.steps, w.current))
    assert editor.count('"type": "workshop-goto"') == 5 and '"aria-current": "step"' in editor
    opts = cw.about_options(w, cw.step_findings(w.step, FINDINGS))
    assert opts[0] == {"label": "Town (the whole place)", "value": "place:LA"}
    assert opts[1]["value"] == "finding:unserved|LA|W2|food"


def test_records_section_for_detail_pages():
    assert cw.records_section([]) is None
    out = _json(cw.records_section([
        {"record": "action", "text": "Ask", "owner": "Bo", "due": "2026-03-31", "status": "open", "workshop": "b"},
        {"record": "note", "kind": "finding", "text": "mh in W1", "votes": 3, "workshop": "b"},
        {"record": "note", "kind": "note", "text": "<i>hi</i>", "author": "Ann", "workshop": "b"}]))
    assert "Action: Ask \\u2014 Bo, due 2026-03-31 (open)" in out
    assert "Priority: mh in W1 \\u2014 3 vote(s)" in out and "Note by Ann: <i>hi</i>" in out


def html_div(children):
    from dash import html

    return html.Div(children)


def test_duplication_step_leads_with_the_summary_and_links_to_every_pair():
    found = FINDINGS + [
        {"id": "overlap_summary|LA|mh", "kind": "overlap_summary", "category": "mh", "summary": "mh: 9 pairs",
         "figures": {"pairs": 9}},
        {"id": "overlap_summary|LA|food", "kind": "overlap_summary", "category": "food", "summary": "food: 20 pairs",
         "figures": {"pairs": 20}},
        {"id": "identical_areas|LA|mh|1", "kind": "identical_areas", "category": "mh", "summary": "S3 and S4",
         "figures": {"pairs": 1}}]
    assert [f["id"] for f in cw.step_findings({"view": "duplication"}, found)] == [
        "overlap_summary|LA|food", "overlap_summary|LA|mh", "identical_areas|LA|mh|1", "overlap|LA|mh|S1|S2"]
    assert [f["id"] for f in cw.step_findings({"view": "duplication", "category": "mh"}, found)][0] == \
        "overlap_summary|LA|mh"
    steps = ({"view": "duplication", "title": "Duplication", "category": "mh"},)
    w = ws.Workshop(id="b", name="B", place="LA", place_name="Town", as_of=dt.date(2026, 1, 1), created="",
                    steps=steps, current=0, votes_per_member=3, revision=1)
    link = _json(cw.pairs_link(w))
    assert "/duplication?place=LA&as_of=2026-01-01&category=mh#duplication-pairs" in link
    gaps = ws.Workshop(id="b", name="B", place="LA", place_name="Town", as_of=dt.date(2026, 1, 1), created="",
                       steps=({"view": "gaps", "title": "Gaps"},), current=0, votes_per_member=3, revision=1)
    assert cw.pairs_link(gaps) is None


def test_the_rate_limits_let_a_board_of_30_behind_one_address_work(small):
    """30 members on one venue address each make 6 changes at the same moment (180 writes): all go through; one
    member's 11th change in a burst is refused, and only that member's; a script on the address is capped."""
    from dashboard.app import create_app

    create_app(small)  # the pages register with the app
    from dashboard.pages import workshop as page

    now = [0.0]
    clock = lambda: now[0]  # noqa: E731
    address = ws.RateLimiter(rate=page.ADDRESS_LIMIT.rate, burst=page.ADDRESS_LIMIT.burst, clock=clock)
    member = ws.RateLimiter(rate=page.MEMBER_LIMIT.rate, burst=page.MEMBER_LIMIT.burst, clock=clock)
    refused = 0
    for _ in range(6):
        for m in range(30):
            try:
                address.check("192.0.2.7")
                member.check(f"m-{m}")
            except ws.RateLimited:
                refused += 1
    assert refused == 0
    for _ in range(4):
        member.check("m-0")
    with pytest.raises(ws.RateLimited):
        member.check("m-0")
    member.check("m-1")
    with pytest.raises(ws.RateLimited):  # one address cannot go on for ever, whatever member ids it invents
        for i in range(1000):
            address.check("192.0.2.7")
    now[0] += 1.0  # a second later the address has room for the board again
    address.check("192.0.2.7")
