"""Builders for the workshop page: the presented step, notes, actions, the step editor and the lobby.

Pure functions from library records to Dash components. Every piece of user
text goes into a component as a plain string (Dash renders it as text, never
as HTML): no Markdown, no ``dangerously_allow_html``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from dash import dcc, html

from ecosystem import workshop as ws

#: Finding kinds shown on each view's step, in this order.
STEP_KINDS = {
    "overview": ("unserved", "under", "critical_provider"),
    "gaps": ws.GAP_KINDS,
    "duplication": ("overlap_summary", "duplication", "identical_areas", "overlap"),
    "fragility": ws.FRAGILITY_KINDS,
    "scenario": ("critical_provider", "funding_cliff"),
}
KIND_LABELS = {"unserved": "Unserved", "under": "Under-served", "duplication": "Duplication", "overlap": "Overlap",
               "overlap_summary": "Overlapping services", "identical_areas": "Identical areas",
               "funding_dependency": "Funding dependency", "funding_cliff": "Funding cliff",
               "sole_provider": "Sole provider", "critical_provider": "Critical provider",
               "articulation_point": "Structural link", "bridge": "Only link", "concentration": "Concentration"}
STEP_LIMIT = 10


def _rank(f: Mapping[str, Any]) -> float:
    fig = f.get("figures") or {}
    for k in ("unmet", "unmet_added", "amount", "top_share", "overlap", "coverage", "pairs"):
        v = fig.get(k)
        if isinstance(v, (int, float)):
            return -float(v)
    return 0.0


def step_findings(step: Mapping[str, Any] | None, findings: Iterable[Mapping[str, Any]], *,
                  limit: int = STEP_LIMIT) -> list[dict[str, Any]]:
    """The findings a step shows: its view's kinds (in that order), within its category if it names one, worst first."""
    if not step:
        return []
    kinds = STEP_KINDS.get(step.get("view"), ())
    cat = step.get("category")
    out = []
    for kind in kinds:
        rows = [dict(f) for f in findings if f.get("kind") == kind and (not cat or f.get("category") in (None, cat))]
        out += sorted(rows, key=lambda f: (_rank(f), f["id"]))
    return out[:limit]


def finding_item(f: Mapping[str, Any], *, votes: int, mine: int, can_vote: bool, left: int | None) -> html.Li:
    """One finding on the stage: kind, summary (as text), dots so far and, for gaps and fragilities, vote buttons."""
    votable = f.get("kind") in ws.VOTABLE_KINDS
    buttons = []
    if votable and can_vote:
        buttons = [
            html.Button("+ vote", id={"type": "workshop-vote", "index": f["id"]}, n_clicks=0,
                        className="btn btn-warning btn-lg workshop-vote", disabled=left is not None and left <= 0,
                        **{"aria-label": f"Vote for: {f.get('summary')}"}),
            html.Button("− take back", id={"type": "workshop-unvote", "index": f["id"]}, n_clicks=0,
                        className="btn btn-outline-light btn-lg workshop-unvote", disabled=mine <= 0,
                        **{"aria-label": f"Take back a vote for: {f.get('summary')}"}),
        ]
    dots = html.Span(f"{votes} vote{'s' if votes != 1 else ''}" + (f" ({mine} yours)" if mine else ""),
                     className="workshop-dots") if votable else None
    return html.Li([
        html.Span(KIND_LABELS.get(f.get("kind"), str(f.get("kind"))), className="workshop-kind"),
        html.Span(str(f.get("summary") or f["id"]), className="workshop-finding-text"),
        dots, html.Span(buttons, className="workshop-vote-buttons"),
    ], className="workshop-finding", **{"data-finding": f["id"]})


def headline(items: list[tuple[str, str]]) -> html.Div:
    return html.Div([html.Div([html.Div(v, className="workshop-figure-value"),
                               html.Div(k, className="workshop-figure-label")], className="workshop-figure")
                     for k, v in items], className="workshop-figures", role="list")


def pairs_link(w: ws.Workshop) -> html.P | None:
    """On a duplication step: where every overlapping pair is (the Duplication page of the same view)."""
    import urllib.parse

    step = w.step
    if not step or step.get("view") != "duplication":
        return None
    q = {"place": w.place, "as_of": w.as_of.isoformat(), "category": step.get("category")}
    href = "/duplication?" + urllib.parse.urlencode({k: v for k, v in q.items() if v}) + "#duplication-pairs"
    return html.P(["These findings name the services behind the overlapping pairs; ",
                   html.A("every pair is on the Duplication page", href=href, target="_blank",
                          id="workshop-pairs-link"), "."], className="workshop-pairs")


def stage(w: ws.Workshop, shown: list[dict[str, Any]], *, figures: list[tuple[str, str]], tallies: Mapping[str, int],
          mine: Mapping[str, int], role: str | None, left: int | None, extra: Any = None) -> list:
    """The presented step: its title, headline figures and findings (with dots and vote buttons)."""
    step = w.step
    if step is None:
        return [html.H2("This workshop has no steps yet.", className="workshop-step-title")]
    items = [finding_item(f, votes=int(tallies.get(f["id"], 0)), mine=int(mine.get(f["id"], 0)),
                          can_vote=ws.can(role, "vote"), left=left) for f in shown]
    return [
        html.Div(f"Step {w.current + 1} of {len(w.steps)}", className="workshop-step-count", id="workshop-step-count"),
        html.H2(str(step["title"]), className="workshop-step-title", id="workshop-step-title"),
        headline(figures) if figures else None,
        extra,
        html.Ol(items, className="workshop-findings", id="workshop-findings") if items else
        html.P("Nothing to discuss on this view for this place.", className="workshop-empty"),
    ]


def notes_list(notes: list[dict[str, Any]]) -> html.Ul | html.P:
    """Notes, newest first: author, time and text, all as text."""
    if not notes:
        return html.P("No notes yet.", className="workshop-empty")
    return html.Ul([html.Li([
        html.Span(str(n.get("author") or ""), className="workshop-note-author"),
        html.Span(str(n.get("created") or "")[11:16], className="workshop-note-time"),
        html.Span(str(n.get("step_title") or ""), className="workshop-note-step"),
        html.Div(str(n.get("text") or ""), className="workshop-note-text"),
        html.Div("About: " + str(n["finding_summary"]), className="workshop-note-about")
        if n.get("finding_summary") else None,
    ], className="workshop-note") for n in reversed(notes)], className="workshop-notes-list", id="workshop-notes-list")


def actions_list(actions: list[dict[str, Any]], *, editable: bool) -> Any:
    """Actions: what, owner, due, status (a status chooser for the presenter)."""
    if not actions:
        return html.P("No actions yet.", className="workshop-empty")
    rows = []
    for a in actions:
        status: Any = str(a.get("status") or "")
        if editable:
            status = dcc.Dropdown(id={"type": "workshop-action-status", "index": a["id"]}, value=a.get("status"),
                                  options=[{"label": s, "value": s} for s in ws.ACTION_STATUSES], clearable=False,
                                  className="workshop-status-select")
        rows.append(html.Tr([html.Td(str(a.get("text") or ""), className="workshop-action-text"),
                             html.Td(str(a.get("owner") or "")), html.Td(str(a.get("due") or "")),
                             html.Td(status)], **{"data-action": a["id"]}))
    return html.Table([html.Thead(html.Tr([html.Th("Action"), html.Th("Owner"), html.Th("Due"), html.Th("Status")])),
                       html.Tbody(rows)], className="table table-dark workshop-actions-table",
                      id="workshop-actions-table")


def step_editor(steps: Iterable[Mapping[str, Any]], current: int) -> html.Ol:
    """The walkthrough for the presenter: go to, move up or down, remove each step."""
    steps = list(steps)
    items = []
    for i, s in enumerate(steps):
        label = str(s["title"]) + (f" — {s['category']}" if s.get("category") else "")
        items.append(html.Li([
            html.Button(label, id={"type": "workshop-goto", "index": i}, n_clicks=0,
                        className="btn btn-link workshop-goto" + (" workshop-current" if i == current else ""),
                        **{"aria-current": "step" if i == current else None}),
            html.Span(f"({ws.VIEWS.get(s['view'], s['view'])})", className="workshop-step-view"),
            html.Button("↑", id={"type": "workshop-step-up", "index": i}, n_clicks=0, disabled=i == 0,
                        className="btn btn-sm btn-outline-light", **{"aria-label": f"Move {label} up"}),
            html.Button("↓", id={"type": "workshop-step-down", "index": i}, n_clicks=0, disabled=i == len(steps) - 1,
                        className="btn btn-sm btn-outline-light", **{"aria-label": f"Move {label} down"}),
            html.Button("✕", id={"type": "workshop-step-remove", "index": i}, n_clicks=0, disabled=len(steps) == 1,
                        className="btn btn-sm btn-outline-danger", **{"aria-label": f"Remove {label}"}),
        ], className="workshop-step-item"))
    return html.Ol(items, className="workshop-step-list", id="workshop-step-list")


def about_options(w: ws.Workshop, shown: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What a note or action can be attached to from this step: the place, or a finding on show."""
    opts = [{"label": f"{w.place_name or w.place} (the whole place)", "value": f"place:{w.place}"}]
    opts += [{"label": str(f.get("summary"))[:110], "value": f"finding:{f['id']}"} for f in shown]
    return opts


def lobby(workshops: list[dict[str, Any]]) -> html.Div:
    """The workshops in the store (shown only to someone logged in to the dashboard), each with new links."""
    if not workshops:
        body: Any = html.P(["No workshops yet. Make one with ", html.Code("ecomap workshop new NAME --place CODE"),
                            "; it prints a presenter link and a board link."])
    else:
        body = html.Ul([html.Li([html.Strong(str(r["name"])),
                                 f" — {r.get('place_name') or r['place']}, figures as of {r['as_of']}; "
                                 f"{r['notes']} notes, {r['votes']} votes, {r['actions']} actions ",
                                 html.Button("New links", id={"type": "lobby-new-links", "index": r["id"]},
                                             n_clicks=0, type="button", className="btn btn-sm btn-outline-primary",
                                             **{"aria-label": f"New links for {r['name']}"})],
                                className="mb-1")
                        for r in workshops], id="workshop-lobby-list")
    return html.Div([html.H1("Workshops", className="h3"),
                     html.P("A partnership board walks through a place on one screen, agrees what the map shows, and "
                            "records notes, dot-votes and actions. Open a workshop with its presenter link on the "
                            "screen at the front; board members follow with the board link on their own devices. "
                            "Lost the links? “New links” makes new ones here (the old ones stop working)."),
                     body, html.Div(id="lobby-links", **{"aria-live": "polite"})], id="workshop-lobby")


def links_view(name: str, presenter: str, board: str) -> html.Div:
    """New links for a workshop, shown once."""
    return html.Div([
        html.P(f"New links for “{name}” (shown only now; the old links no longer work):"),
        html.P(["Presenter (keep it to yourself): ", html.A(presenter, href=presenter, id="lobby-presenter-link")]),
        html.P(["Board (share with board members): ", html.Code(board, id="lobby-board-link")]),
    ], className="alert alert-info", role="status")


def records_section(records: list[dict[str, Any]], *, title: str = "Workshop notes and actions") -> html.Section | None:
    """For detail pages: what workshops recorded about this thing (from :func:`ecosystem.workshop.concerning`)."""
    if not records:
        return None
    items = []
    for r in records:
        if r.get("record") == "action":
            text = f"Action: {r.get('text')} — {r.get('owner') or 'no owner'}" + \
                   (f", due {r['due']}" if r.get("due") else "") + f" ({r.get('status') or 'open'})"
        elif r.get("kind") == "finding":
            text = f"Priority: {r.get('text')} — {r.get('votes') or 0} vote(s)"
        else:
            text = f"Note by {r.get('author') or 'someone'}: {r.get('text')}"
        items.append(html.Li([text, html.Span(f" [{r.get('workshop')}]", className="text-muted small")]))
    return html.Section([html.H2(title, className="h5"), html.Ul(items)], className="mb-3 workshop-records")
