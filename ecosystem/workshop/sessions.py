"""Creating, finding and steering workshops: the walkthrough and its steps."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, Iterable, Mapping, Sequence

import neo4j

from ecosystem.workshop._tx import _now, _read, _run, _write
from ecosystem.workshop.access import hash_token, new_token, require
from ecosystem.workshop.model import DEFAULT_STEPS, Links, MAX_KEY, MAX_NAME, MAX_STEPS, MAX_TITLE, MAX_VOTES, NotFound, VIEWS, Workshop, WorkshopError
from ecosystem.workshop.text import clean_text, workshop_id

log = logging.getLogger(__name__)


def check_steps(steps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validated walkthrough steps: ``view`` (one of :data:`VIEWS`), ``title``, optional ``category``, ``scenario``."""
    out = []
    for i, s in enumerate(steps, start=1):
        if not isinstance(s, Mapping):
            raise WorkshopError(f"step {i}: expected an object with a view")
        view = s.get("view")
        if view not in VIEWS:
            raise WorkshopError(f"step {i}: view {view!r} is not one of {', '.join(VIEWS)}")
        step = {"view": view,
                "title": clean_text(s.get("title") or VIEWS[view], field=f"step {i} title", limit=MAX_TITLE,
                                    multiline=False)}
        for k in ("category", "scenario"):
            v = clean_text(s.get(k), field=f"step {i} {k}", limit=MAX_KEY, required=False, multiline=False)
            if v:
                step[k] = v
        out.append(step)
    if not out:
        raise WorkshopError("a walkthrough needs at least one step")
    if len(out) > MAX_STEPS:
        raise WorkshopError(f"a walkthrough has at most {MAX_STEPS} steps ({len(out)} given)")
    return out


def create(store, name: str, place: str, *, as_of: dt.date | None = None, votes_per_member: int = 5,
           steps: Iterable[Mapping[str, Any]] | None = None, now: dt.datetime | None = None) -> Links:
    """Create a workshop for ``place`` (a place code in the store) and return it with its two tokens."""
    wid = workshop_id(name)
    name = clean_text(name, field="workshop name", limit=MAX_NAME, multiline=False)
    place = clean_text(place, field="place", limit=MAX_KEY, multiline=False)
    if not isinstance(votes_per_member, int) or isinstance(votes_per_member, bool) \
            or not 1 <= votes_per_member <= MAX_VOTES:
        raise WorkshopError(f"votes per member must be a whole number from 1 to {MAX_VOTES}")
    steps = check_steps(DEFAULT_STEPS if steps is None else steps)
    presenter, board = new_token(), new_token()
    props = {"id": wid, "name": name, "place": place, "as_of": as_of or dt.date.today(), "created": _now(now),
             "steps": json.dumps(steps), "current": 0, "votes_per_member": votes_per_member, "revision": 0,
             "shown": [], "presenter_hash": hash_token(presenter), "board_hash": hash_token(board)}

    def work(tx):
        found = _run(tx, "workshop_place", {"code": place})
        if not found:
            raise WorkshopError(f"place {place!r} is not in the store (see `ecomap query pull_places`)")
        props["place_name"] = found[0]["name"] or place
        if _run(tx, "workshop_get", {"id": wid}):
            raise WorkshopError(f"a workshop with id {wid!r} already exists; choose another name")
        _run(tx, "workshop_create", {"props": props})
        return props

    with store.session(default_access_mode=neo4j.WRITE_ACCESS) as s:
        try:
            made = s.execute_write(work)
        except neo4j.exceptions.ConstraintError:
            raise WorkshopError(f"a workshop with id {wid!r} already exists; choose another name") from None
    log.info("created workshop %s for %s", wid, place)
    return Links(Workshop.from_props({**made, "as_of": made["as_of"]}), presenter, board)


def get(store, wid: str) -> Workshop:
    rows = _read(store, lambda tx: _run(tx, "workshop_get", {"id": str(wid)}))
    if not rows:
        raise NotFound(f"no workshop {wid!r} (see `ecomap workshop list`)")
    return Workshop.from_props(rows[0]["workshop"])


def find(store, name_or_id: str) -> Workshop:
    """A workshop by id, or by the name it was created with."""
    try:
        return get(store, name_or_id)
    except NotFound:
        try:
            wid = workshop_id(name_or_id)
        except WorkshopError:
            raise NotFound(f"no workshop {name_or_id!r} (see `ecomap workshop list`)") from None
        return get(store, wid)


def list_workshops(store) -> list[dict[str, Any]]:
    """Every workshop (as :meth:`Workshop.to_dict`) with counts of ``notes``, ``votes`` and ``actions``."""
    rows = _read(store, lambda tx: _run(tx, "workshop_list", {}))
    return [{**Workshop.from_props(r["workshop"]).to_dict(), "notes": int(r["notes"]), "votes": int(r["votes"]),
             "actions": int(r["actions"])} for r in rows]


def new_links(store, wid: str) -> Links:
    """Replace both tokens (old links stop working) and return the new ones."""
    presenter, board = new_token(), new_token()

    def work(tx, w):
        _run(tx, "workshop_update", {"id": w.id, "props": {"presenter_hash": hash_token(presenter),
                                                           "board_hash": hash_token(board)}})
        return w

    w = _write(store, wid, work)
    return Links(get(store, w.id), presenter, board)


def state(store, wid: str) -> dict[str, int]:
    """What followers poll: ``revision`` (changes with every write) and ``current`` step."""
    rows = _read(store, lambda tx: _run(tx, "workshop_state", {"id": str(wid)}))
    if not rows:
        raise NotFound(f"no workshop {wid!r}")
    return {"revision": int(rows[0]["revision"]), "current": int(rows[0]["current"])}


def set_steps(store, wid: str, steps: Iterable[Mapping[str, Any]], *, role: str | None) -> Workshop:
    """Replace the walkthrough (the presenter edits, adds, removes and reorders steps)."""
    require(role, "steps")
    steps = check_steps(steps)

    def work(tx, w):
        current = min(w.current, len(steps) - 1)
        _run(tx, "workshop_update", {"id": w.id, "props": {"steps": json.dumps(steps), "current": current}})

    _write(store, wid, work)
    return get(store, wid)


def move_step(steps: Sequence[Mapping[str, Any]], index: int, offset: int) -> list[dict[str, Any]]:
    """``steps`` with step ``index`` moved by ``offset`` places (clamped to the ends)."""
    out = [dict(s) for s in steps]
    if not 0 <= index < len(out):
        raise WorkshopError(f"there is no step {index + 1}")
    to = min(max(index + offset, 0), len(out) - 1)
    out.insert(to, out.pop(index))
    return out


def go_to(store, wid: str, index: int, *, role: str | None, now: dt.datetime | None = None) -> Workshop:
    """Show step ``index`` (0-based) and add it to the record of views shown."""
    require(role, "navigate")

    def work(tx, w):
        if not isinstance(index, int) or not 0 <= index < len(w.steps):
            raise WorkshopError(f"there is no step {index + 1 if isinstance(index, int) else index!r}; "
                                f"the walkthrough has {len(w.steps)}")
        step = w.steps[index]
        entry = json.dumps({"step": index, "view": step["view"], "title": step["title"], "at": _now(now),
                            **{k: step[k] for k in ("category", "scenario") if step.get(k)}})
        _run(tx, "workshop_show_step", {"id": w.id, "current": index, "entry": entry})

    _write(store, wid, work)
    return get(store, wid)
