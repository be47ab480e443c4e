"""What a board adds: notes, dot-votes and actions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Mapping

from ecosystem.workshop._tx import _Conflict, _now, _read, _run, _write
from ecosystem.workshop.access import require
from ecosystem.workshop.model import ACTION_STATUSES, MAX_MEMBER, MAX_OWNER, MAX_TEXT, NotFound, VOTABLE_KINDS, VoteLimit, WorkshopError
from ecosystem.workshop.sessions import get
from ecosystem.workshop.targets import Targets, _finding, targets
from ecosystem.workshop.text import _key, clean_text


def add_note(store, wid: str, text: str, *, author: str, role: str | None, about: Targets | None = None,
             step: int | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Record a note by ``author`` (a display name); returns the stored note."""
    require(role, "note")
    text = clean_text(text, field="note", limit=MAX_TEXT)
    author = clean_text(author, field="your name", limit=MAX_MEMBER, multiline=False)
    about = about or Targets()

    def work(tx, w):
        s = w.steps[step] if step is not None and 0 <= step < len(w.steps) else w.step
        props = {"id": f"note-{uuid.uuid4().hex}", "kind": "note", "workshop": w.id, "place": w.place,
                 "text": text, "author": author, "role": role, "created": _now(now),
                 "view": s["view"] if s else None, "step_title": s["title"] if s else None, **about.props()}
        props = {k: v for k, v in props.items() if v is not None}
        _run(tx, "workshop_create_note", {"workshop": w.id, "props": props, **about.params()})
        return props

    return _write(store, wid, work)


def vote_item_id(wid: str, finding_id: str) -> str:
    return f"vote|{wid}|{finding_id}"


def vote(store, wid: str, finding: Mapping[str, Any], *, member: str, role: str | None,
         member_id: str | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Place one of ``member``'s dots on a gap or fragility finding.

    Returns ``votes`` (dots on this finding), ``used`` and ``left`` (the
    member's). Raises :class:`VoteLimit` when the member has no dots left.
    """
    require(role, "vote")
    f = _finding(finding)
    if f["kind"] not in VOTABLE_KINDS:
        raise WorkshopError(f"votes are for gaps and fragilities; {f['kind']!r} findings cannot be voted on")
    name = clean_text(member, field="your name", limit=MAX_MEMBER, multiline=False)
    key = _key(name, member_id)
    about = targets([("finding", f)])

    def work(tx, w):
        used = int(_run(tx, "workshop_member_votes", {"workshop": w.id, "member": key})[0]["used"])
        if used >= w.votes_per_member:
            raise VoteLimit(f"{name} has used all {w.votes_per_member} votes; take one back to vote again")
        item = vote_item_id(w.id, f["id"])
        props = {"id": item, "kind": "finding", "workshop": w.id, "place": f["place"] or w.place,
                 "text": f["summary"], "created": _now(now), "votes": 0, **about.props()}
        _run(tx, "workshop_merge_vote_item", {"workshop": w.id, "id": item,
                                              "props": {k: v for k, v in props.items() if v is not None},
                                              **about.params()})
        rows = _run(tx, "workshop_add_vote", {"workshop": w.id, "item": item, "member": key, "name": name,
                                              "at": _now(now)})
        if not rows:  # another member's first vote on this finding is creating the item right now
            raise _Conflict(item)
        votes = rows[0]["votes"]
        return {"votes": int(votes), "used": used + 1, "left": w.votes_per_member - used - 1}

    return _write(store, wid, work)


def unvote(store, wid: str, finding_id: str, *, member: str, role: str | None,
           member_id: str | None = None) -> dict[str, int]:
    """Take back one of ``member``'s dots on a finding (nothing happens when there is none)."""
    require(role, "vote")
    key = _key(member, member_id)

    def work(tx, w):
        item = vote_item_id(w.id, str(finding_id))
        removed = int(_run(tx, "workshop_remove_vote", {"workshop": w.id, "item": item, "member": key})[0]["removed"])
        rows = _run(tx, "workshop_count_votes", {"item": item})
        used = int(_run(tx, "workshop_member_votes", {"workshop": w.id, "member": key})[0]["used"])
        return {"votes": int(rows[0]["votes"]) if rows else 0, "used": used, "left": w.votes_per_member - used,
                "removed": removed}

    return _write(store, wid, work)


def votes_left(store, wid: str, member: str, *, member_id: str | None = None) -> int:
    w = get(store, wid)
    key = _key(member, member_id)
    rows = _read(store, lambda tx: _run(tx, "workshop_member_votes", {"workshop": w.id, "member": key}))
    return w.votes_per_member - int(rows[0]["used"])


def _due(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise WorkshopError(f"due date {value!r} is not a date; use YYYY-MM-DD") from None


def _status(value: Any) -> str:
    s = str(value or "open").strip().lower()
    if s not in ACTION_STATUSES:
        raise WorkshopError(f"status {value!r} is not one of {', '.join(ACTION_STATUSES)}")
    return s


def add_action(store, wid: str, text: str, *, owner: str, due: Any = None, status: str = "open",
               role: str | None, about: Targets | None = None, author: str | None = None,
               now: dt.datetime | None = None) -> dict[str, Any]:
    """Record an action: what (``text``), ``owner``, ``due`` date, ``status``."""
    require(role, "action")
    props: dict[str, Any] = {
        "text": clean_text(text, field="action", limit=MAX_TEXT),
        "owner": clean_text(owner, field="owner", limit=MAX_OWNER, multiline=False),
        "due": _due(due), "status": _status(status),
        "author": clean_text(author, field="your name", limit=MAX_MEMBER, required=False, multiline=False)}
    about = about or Targets()

    def work(tx, w):
        s = w.step
        full = {"id": f"action-{uuid.uuid4().hex}", "kind": "action", "workshop": w.id, "place": w.place,
                "created": _now(now), "updated": _now(now), "view": s["view"] if s else None, **props,
                **about.props()}
        full = {k: v for k, v in full.items() if v is not None}
        _run(tx, "workshop_create_action", {"workshop": w.id, "props": full, **about.params()})
        return full

    return _write(store, wid, work)


def update_action(store, wid: str, action_id: str, *, role: str | None, text: str | None = None,
                  owner: str | None = None, due: Any = ..., status: str | None = None,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """Change an action; arguments left out keep their value (``due=None`` clears the date)."""
    require(role, "action")
    props: dict[str, Any] = {"updated": _now(now)}
    if text is not None:
        props["text"] = clean_text(text, field="action", limit=MAX_TEXT)
    if owner is not None:
        props["owner"] = clean_text(owner, field="owner", limit=MAX_OWNER, multiline=False)
    if due is not ...:
        props["due"] = _due(due)
    if status is not None:
        props["status"] = _status(status)

    def work(tx, w):
        rows = _run(tx, "workshop_update_action", {"workshop": w.id, "id": str(action_id), "props": props})
        if not rows:
            raise NotFound(f"no action {action_id!r} in workshop {w.id!r}")
        return rows[0]["action"]

    return _write(store, wid, work)
