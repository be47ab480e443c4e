"""Reading the record back: notes, the vote tally, actions, what concerns a thing."""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from ecosystem.workshop._tx import _read, _run
from ecosystem.workshop.model import WorkshopError
from ecosystem.workshop.sessions import get
from ecosystem.workshop.text import _key


def _clean_record(p: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in p.items():
        if k in ("source", "load_run"):
            continue
        if isinstance(v, dt.date):
            v = v.isoformat()
        out[k] = v
    return out


def notes(store, wid: str) -> list[dict[str, Any]]:
    """The workshop's notes (``kind = "note"``), oldest first."""
    rows = _read(store, lambda tx: _run(tx, "workshop_notes", {"workshop": wid}))
    return [_clean_record(r["note"]) for r in rows if r["note"].get("kind") == "note"]


def tally(store, wid: str) -> list[dict[str, Any]]:
    """Dot-votes per finding, most first: ``finding``, ``kind``, ``summary``, ``votes``, ``voters`` (names, sorted)."""
    def work(tx):
        return (_run(tx, "workshop_notes", {"workshop": wid}), _run(tx, "workshop_votes", {"workshop": wid}))

    items, votes = _read(store, work)
    voters: dict[str, dict[str, int]] = {}
    display: dict[str, str] = {}
    for v in votes:
        voters.setdefault(v["item"], {})
        voters[v["item"]][v["member"]] = voters[v["item"]].get(v["member"], 0) + 1
        display.setdefault(v["member"], v.get("name") or v["member"])
    out = []
    for r in items:
        n = r["note"]
        if n.get("kind") != "finding":
            continue
        who = voters.get(n["id"], {})
        out.append({"item": n["id"], "finding": n.get("finding"), "kind": n.get("finding_kind"),
                    "summary": n.get("text"), "votes": sum(who.values()),
                    "voters": sorted(f"{display[m]} ×{c}" if c > 1 else display[m] for m, c in who.items()),
                    "place": n.get("place"), "categories": n.get("categories") or [],
                    "organisations": n.get("organisations") or [], "services": n.get("services") or []})
    out = [t for t in out if t["votes"] > 0]
    return sorted(out, key=lambda t: (-t["votes"], t["summary"] or "", t["finding"] or ""))


def member_votes(store, wid: str, member: str | None, *, member_id: str | None = None) -> dict[str, int]:
    """``{finding id: dots}`` placed by one member (by ``member_id`` when given, else by display name)."""
    key = _key(member, member_id)
    items, votes = _read(store, lambda tx: (_run(tx, "workshop_notes", {"workshop": wid}),
                                            _run(tx, "workshop_votes", {"workshop": wid})))
    finding = {r["note"]["id"]: r["note"].get("finding") for r in items}
    out: dict[str, int] = {}
    for v in votes:
        if v["member"] == key and finding.get(v["item"]):
            out[finding[v["item"]]] = out.get(finding[v["item"]], 0) + 1
    return out


def actions(store, wid: str) -> list[dict[str, Any]]:
    """The workshop's actions, oldest first."""
    rows = _read(store, lambda tx: _run(tx, "workshop_actions", {"workshop": wid}))
    return [_clean_record(r["action"]) for r in rows]


def record(store, wid: str) -> dict[str, Any]:
    """The whole record: ``workshop``, ``shown``, ``notes``, ``votes`` (the tally), ``actions``, ``members``."""
    w = get(store, wid)
    ns, ts, acts = notes(store, w.id), tally(store, w.id), actions(store, w.id)
    members = sorted({n["author"] for n in ns if n.get("author")}
                     | {v.split(" ×")[0] for t in ts for v in t["voters"]}, key=str.casefold)
    return {"workshop": w.to_dict(), "shown": [dict(s) for s in w.shown], "notes": ns, "votes": ts,
            "actions": acts, "members": members}


_LABEL_KIND = {"Place": "place", "Category": "category", "Organisation": "organisation", "Service": "service"}


def concerning(store, kind: str, key: str) -> list[dict[str, Any]]:
    """Workshop notes, vote items and actions about one place, category, organisation or service.

    Each row has ``record`` (``note`` or ``action``) and the stored
    properties (``text``, ``votes``, ``owner``, ``due``, ``status``,
    ``workshop`` …), oldest first.
    """
    if kind not in ("place", "category", "organisation", "service"):
        raise WorkshopError(f"{kind!r}: records can be listed for a place, category, organisation or service")
    rows = _read(store, lambda tx: _run(tx, f"workshop_concerning_{kind}", {"key": str(key)}))
    return [{"record": r["record"], **_clean_record(r["properties"])} for r in rows]
