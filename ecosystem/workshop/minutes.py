"""The record exported: JSON, Markdown minutes and an inert CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Mapping

from ecosystem.workshop.model import WorkshopError


FORMATS = ("json", "md", "csv")
CSV_COLUMNS = ["record", "id", "step", "view", "text", "author", "owner", "due", "status", "votes", "voters",
               "finding", "places", "categories", "organisations", "services", "at"]


def export(rec: Mapping[str, Any], fmt: str) -> str:
    """The record (from :func:`record`) as ``json``, ``md`` (meeting minutes) or ``csv`` (one row per item)."""
    if fmt == "json":
        return json.dumps(rec, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "md":
        return minutes(rec)
    if fmt == "csv":
        return _csv(rec)
    raise WorkshopError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(s: Any) -> str:
    """User text made inert in Markdown: one line, HTML characters as entities, Markdown punctuation escaped."""
    t = re.sub(r"\s+", " ", str(s if s is not None else "")).strip()
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", t)


def _when(iso: Any) -> str:
    s = str(iso or "")
    return s[11:16] if len(s) >= 16 else s


def minutes(rec: Mapping[str, Any]) -> str:
    """Meeting minutes in Markdown: attendees, views shown, priorities by votes, notes by step, actions."""
    w = rec["workshop"]
    place = f"{w.get('place_name') or w['place']} ({w['place']})"
    lines = [f"# Workshop minutes: {md_text(w['name'])}", "",
             f"- **Place:** {md_text(place)}", f"- **Figures as of:** {w['as_of']}",
             f"- **Workshop created:** {md_text(w['created'][:16].replace('T', ' '))} UTC",
             f"- **Contributors:** {', '.join(md_text(m) for m in rec['members']) or 'none recorded'}",
             f"- **Votes per member:** {w['votes_per_member']}", ""]
    lines += ["## Views shown", ""]
    if rec["shown"]:
        lines += [f"{i}. {_when(s.get('at'))} — {md_text(s.get('title'))}" for i, s in enumerate(rec["shown"], 1)]
    else:
        lines.append("No views were shown.")
    lines += ["", "## Priorities (dot votes)", ""]
    if rec["votes"]:
        lines += ["| Rank | Finding | Votes | Voters |", "|---:|---|---:|---|"]
        for i, t in enumerate(rec["votes"], 1):
            lines.append(f"| {i} | {md_text(t['summary'])} | {t['votes']} | "
                         f"{', '.join(md_text(v) for v in t['voters'])} |")
    else:
        lines.append("No votes were cast.")
    lines += ["", "## Notes", ""]
    if rec["notes"]:
        by_step: dict[str, list] = {}
        for n in rec["notes"]:
            by_step.setdefault(n.get("step_title") or "General", []).append(n)
        for title, ns in by_step.items():
            lines += [f"### {md_text(title)}", ""]
            for n in ns:
                about = n.get("finding_summary")
                about = f" _(about: {md_text(about)})_" if about else ""
                lines.append(f"- **{md_text(n.get('author'))}** ({_when(n.get('created'))}): {md_text(n['text'])}"
                             f"{about}")
            lines.append("")
    else:
        lines += ["No notes were recorded.", ""]
    lines += ["## Actions", ""]
    if rec["actions"]:
        lines += ["| Action | Owner | Due | Status | Concerns |", "|---|---|---|---|---|"]
        for a in rec["actions"]:
            concerns = a.get("finding_summary") or ", ".join(
                str(x) for k in ("places", "categories", "organisations", "services") for x in a.get(k) or [])
            lines.append(f"| {md_text(a['text'])} | {md_text(a.get('owner'))} | {a.get('due') or ''} | "
                         f"{md_text(a.get('status'))} | {md_text(concerns)} |")
    else:
        lines.append("No actions were agreed.")
    return "\n".join(lines).rstrip() + "\n"


def csv_cell(v: Any) -> str:
    """A CSV value a spreadsheet will not run as a formula."""
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        v = "; ".join(str(x) for x in v)
    from ecosystem.export import inert

    return inert(str(v))


def _csv(rec: Mapping[str, Any]) -> str:
    rows = []
    for i, s in enumerate(rec["shown"], 1):
        rows.append({"record": "view", "id": i, "step": s.get("step", 0) + 1, "view": s.get("view"),
                     "text": s.get("title"), "at": s.get("at")})
    for t in rec["votes"]:
        rows.append({"record": "vote", "id": t["item"], "text": t["summary"], "votes": t["votes"],
                     "voters": t["voters"], "finding": t["finding"], "places": t.get("place"),
                     "categories": t["categories"], "organisations": t["organisations"], "services": t["services"]})
    for n in rec["notes"]:
        rows.append({"record": "note", "id": n["id"], "view": n.get("view"), "step": n.get("step_title"),
                     "text": n["text"], "author": n.get("author"), "finding": n.get("finding"),
                     "places": n.get("places"), "categories": n.get("categories"),
                     "organisations": n.get("organisations"), "services": n.get("services"), "at": n.get("created")})
    for a in rec["actions"]:
        rows.append({"record": "action", "id": a["id"], "view": a.get("view"), "text": a["text"],
                     "author": a.get("author"), "owner": a.get("owner"), "due": a.get("due"),
                     "status": a.get("status"), "finding": a.get("finding"), "places": a.get("places"),
                     "categories": a.get("categories"), "organisations": a.get("organisations"),
                     "services": a.get("services"), "at": a.get("created")})
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    wr.writeheader()
    for r in rows:
        wr.writerow({c: csv_cell(r.get(c)) for c in CSV_COLUMNS})
    return buf.getvalue()
