"""``/workshop`` — partnership-board workshops: a presentation mode and the board's notes, votes and actions.

``/workshop?workshop=ID&token=…`` opens a workshop: :mod:`dashboard.access`
keeps the token's hash in a signed cookie and takes the token out of the
address, and the hash decides the role (:func:`ecosystem.workshop.role_for_hash`).
The presenter steps through and edits the walkthrough and records actions;
board members follow on their own devices (the page polls the workshop's
revision), dot-vote on gaps and fragilities and add notes. Without a valid
link nobody — on this machine neither — is the presenter or a member: they
see nothing and can write nothing. Every write is checked again on the
server, whatever the page shows, and rate-limited per member (each device's
member identity, a signed cookie) and per network address (sized for a
board of 30 behind one venue's Wi-Fi).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import access, state
from dashboard.components import workshop as cw
from dashboard.components.layout import message
from ecosystem import workshop as ws

log = logging.getLogger(__name__)

dash.register_page(__name__, path="/workshop", name="Workshop", title="ecomap — workshop", order=9)

POLL_MS = 1500
#: writes per member (a burst of 10, then one every 2 s) and per network address (a board of 30 behind one venue's
#: address, each at the member rate: 300 at once, then 15 a second)
MEMBER_LIMIT = ws.RateLimiter(rate=0.5, burst=10)
ADDRESS_LIMIT = ws.RateLimiter(rate=15, burst=300)


# ---------------------------------------------------------------- who is asking
def _remote() -> str | None:
    try:
        from flask import request

        return request.remote_addr
    except RuntimeError:  # no request (a callback called directly in a test)
        return None


def _role(w: ws.Workshop, auth: Mapping[str, Any]) -> str | None:
    """The role this request has in ``w``: from the workshop link's cookie (or a token, when called directly)."""
    if access.in_request():
        role = ws.role_for_hash(w, access.workshop_hashes().get(w.id))
        if role:
            return role
    return ws.role_for(w, auth.get("token"))


def _access(auth: Any) -> tuple[ws.Workshop, str | None]:
    if not isinstance(auth, dict) or not isinstance(auth.get("workshop"), str) or not auth["workshop"]:
        raise ws.NotFound("no workshop chosen")
    w = ws.get(state.service().store, auth["workshop"])
    return w, _role(w, auth)


def _member_id() -> str | None:
    """This device's member identity; a request to the live dashboard without one is refused."""
    if not access.in_request():
        return None  # a callback called directly: votes count under the display name
    mid = access.member_id()
    if not mid:
        raise ws.WorkshopError("this device has no member identity: open the board link again, with cookies allowed")
    return mid


def _findings(w: ws.Workshop) -> list[dict[str, Any]]:
    """The workshop place's findings at its date, cached per data version."""
    from ecosystem import analysis as an

    svc = state.service()
    version = svc.version()
    return state.cached(f"workshop-findings:{w.place}:{w.as_of.isoformat()}", version,
                        lambda: an.findings(svc.analysis(w.place, w.as_of), names=svc.names()))


def _step_figure(w: ws.Workshop) -> Any:
    """The map (place overview) or heatmap (gaps) of what the presented step discusses, or ``None``."""
    step = w.step
    if not step or step.get("view") not in ("overview", "gaps"):
        return None
    from dashboard.components import data as cd
    from dashboard.components import figures as fg
    from dashboard.components import views

    try:
        view, _ = state.make_view(w.place, step.get("category"), w.as_of.isoformat())
        res = state.analysis_for(view)
        a = res.analysis

        def make():
            if step["view"] == "overview":
                values = cd.leaf_values(a.coverage, view.category)
                values = values.assign(name=[res.names.place(p) for p in values["place"]])
                fig = fg.choropleth(values, state.boundaries(list(values["place"])), metric="unmet", height=440)
                title = f"Unmet need by place — {res.names.category(view.category)}"
            else:
                mat, n = views.heatmap_matrix(a.coverage, res.names, category=view.category, rows=20)
                fig = fg.heatmap(mat)
                title = (f"Coverage: the {len(mat):,} places with most unmet need of {n:,}" if n > len(mat)
                         else "Coverage by place and category")
            return title, fig

        title, fig = views.memo(a, ("workshop-figure", step["view"], view.category), make)
    except Exception as e:  # a figure that cannot be drawn must not stop the meeting
        log.warning("workshop step figure failed: %s", e)
        return None
    return html.Figure([dcc.Graph(id="workshop-step-figure", figure=fig, config={"displaylogo": False},
                                  className="workshop-step-graph"),
                        html.Figcaption(title, className="workshop-figure-label")], className="workshop-step-figure")


def _figures(w: ws.Workshop) -> list[tuple[str, str]]:
    svc = state.service()
    t = svc.analysis(w.place, w.as_of).totals()
    return [("people a year in need", f"{float(t['demand']):,.0f}"), ("of them unmet", f"{float(t['unmet']):,.0f}"),
            ("place × category cells with no service", f"{int(t['unserved_cells']):,} of {int(t['cells']):,}")]


# ---------------------------------------------------------------- layout
def layout(workshop: str | None = None, token: str | None = None, **_):
    if not workshop:
        if not access.logged_in():
            return html.Div(message("Open the workshop link you were given (it ends with a token).", "warning"),
                            id="workshop-page")
        try:
            return html.Div(cw.lobby(ws.list_workshops(state.service().store)), id="workshop-page")
        except Exception as e:
            return html.Div(message(state.friendly_error(e)), id="workshop-page")
    try:
        w, role = _access({"workshop": workshop, "token": token})
    except ws.NotFound:
        w, role = None, None
    except Exception as e:
        return html.Div(message(state.friendly_error(e)), id="workshop-page")
    if w is None or role is None:  # say the same for a wrong id and a wrong token
        return html.Div(message("This workshop link is not valid (it may have been replaced). Ask the presenter for "
                                "the current board link.", "warning"), id="workshop-page")
    presenter = role == ws.PRESENTER
    return html.Div([
        dcc.Store(id="workshop-auth", data={"workshop": w.id}),  # the role comes from the link's cookie, not the page
        dcc.Store(id="workshop-member", storage_type="local"),
        dcc.Store(id="workshop-rev", data=-1),
        dcc.Store(id="workshop-bump", data=0),
        dcc.Store(id="workshop-seen", data=0),
        dcc.Interval(id="workshop-poll", interval=POLL_MS),
        html.Header([
            html.Div([html.Span(w.name, className="workshop-name", id="workshop-name"),
                      html.Span(f"{w.place_name or w.place} · figures as of {w.as_of:%-d %B %Y}",
                                className="workshop-place")]),
            html.Div([html.Span("Presenter" if presenter else "Board member", id="workshop-role",
                                className="workshop-role"),
                      html.Span(id="workshop-you", className="workshop-you"),
                      dcc.Link("Leave", href="/", className="workshop-leave")], className="workshop-header-right"),
        ], className="workshop-header"),
        html.Div([
            html.Button("← Previous", id="workshop-prev", n_clicks=0, className="btn btn-outline-light btn-lg"),
            html.Button("Next →", id="workshop-next", n_clicks=0, className="btn btn-light btn-lg"),
        ], className="workshop-nav", hidden=not presenter),
        html.Div(id="workshop-message", **{"aria-live": "polite"}),
        html.Div([
            html.Section(id="workshop-stage", className="workshop-stage", **{"aria-live": "polite"}),
            html.Aside([
                html.Form([
                    html.Label("Your name (shown with your notes and votes)", htmlFor="workshop-name-input"),
                    dcc.Input(id="workshop-name-input", type="text", maxLength=ws.MAX_MEMBER, debounce=False,
                              className="form-control form-control-lg", placeholder="e.g. Priya, ICB"),
                    html.Button("Save my name", id="workshop-name-save", n_clicks=0, type="button",
                                className="btn btn-light"),
                ], id="workshop-name-form", className="workshop-form"),
                html.Form([
                    html.Label("Add a note", htmlFor="workshop-note-text"),
                    dcc.Textarea(id="workshop-note-text", maxLength=ws.MAX_TEXT, className="form-control",
                                 placeholder="What does the board see here?"),
                    html.Label("About", htmlFor="workshop-note-about", className="small"),
                    dcc.Dropdown(id="workshop-note-about", clearable=False, className="workshop-select"),
                    html.Button("Add note", id="workshop-note-add", n_clicks=0, type="button",
                                className="btn btn-warning"),
                ], className="workshop-form"),
                html.H3("Notes", className="workshop-h"),
                html.Div(id="workshop-notes"),
            ], className="workshop-side"),
        ], className="workshop-main"),
        html.Section([
            html.H3("Actions", className="workshop-h"),
            html.Div(id="workshop-actions"),
            html.Form([
                dcc.Input(id="workshop-action-text", type="text", maxLength=ws.MAX_TEXT, placeholder="What",
                          className="form-control"),
                dcc.Input(id="workshop-action-owner", type="text", maxLength=ws.MAX_OWNER, placeholder="Owner",
                          className="form-control"),
                html.Label("Due", htmlFor="workshop-action-due", className="visually-hidden"),
                dcc.Input(id="workshop-action-due", type="date", className="form-control"),
                dcc.Dropdown(id="workshop-action-about", clearable=False, className="workshop-select"),
                html.Button("Add action", id="workshop-action-add", n_clicks=0, type="button",
                            className="btn btn-warning"),
            ], className="workshop-form workshop-action-form", hidden=not presenter),
        ], className="workshop-actions"),
        html.Section([
            html.H3("Walkthrough", className="workshop-h"),
            html.Div(id="workshop-steps"),
            html.Form([
                dcc.Dropdown(id="workshop-step-view", options=[{"label": t, "value": v} for v, t in ws.VIEWS.items()],
                             value="gaps", clearable=False, className="workshop-select"),
                dcc.Input(id="workshop-step-title", type="text", maxLength=ws.MAX_TITLE, placeholder="Title",
                          className="form-control"),
                dcc.Input(id="workshop-step-category", type="text", maxLength=ws.MAX_KEY,
                          placeholder="Category code (optional)", className="form-control"),
                html.Button("Add step", id="workshop-step-add", n_clicks=0, type="button", className="btn btn-light"),
            ], className="workshop-form workshop-step-form"),
        ], className="workshop-walkthrough", hidden=not presenter),
    ], id="workshop-page", className="workshop-present", **{"data-role": role})


# ---------------------------------------------------------------- following (every client polls)
@callback(Output("workshop-seen", "data"), Input("workshop-poll", "n_intervals"), State("workshop-auth", "data"),
          State("workshop-rev", "data"), prevent_initial_call=True)
def poll(_n, auth, rev):
    """A cheap check of the workshop's revision; only a change makes the page redraw."""
    try:
        w, role = _access(auth)
        if role is None:  # only a holder of the workshop's link hears of its changes
            raise PreventUpdate
        now = ws.state(state.service().store, w.id)["revision"]
    except PreventUpdate:
        raise
    except Exception as e:  # the store is down or the workshop went: say so on the next draw
        log.warning("workshop poll failed: %s", e)
        raise PreventUpdate from None
    if now == rev:
        raise PreventUpdate
    return now


@callback(Output("workshop-stage", "children"), Output("workshop-notes", "children"),
          Output("workshop-actions", "children"), Output("workshop-steps", "children"),
          Output("workshop-note-about", "options"), Output("workshop-note-about", "value"),
          Output("workshop-action-about", "options"), Output("workshop-action-about", "value"),
          Output("workshop-rev", "data"), Output("workshop-you", "children"),
          Input("workshop-seen", "data"), Input("workshop-bump", "data"), Input("workshop-member", "data"),
          State("workshop-auth", "data"), State("workshop-note-about", "value"))
def draw(_seen, _bump, member, auth, about):
    """Draw the workshop as it is now (after a change seen by polling, a write from this page, or a new name)."""
    try:
        store = state.service().store
        w, role = _access(auth)
        if role is None:
            return (message("This workshop link is no longer valid.", "warning"),) + (no_update,) * 9
        findings = _findings(w)
        shown = cw.step_findings(w.step, findings)
        tallies = {t["finding"]: t["votes"] for t in ws.tally(store, w.id)}
        name = member.get("name") if isinstance(member, dict) and isinstance(member.get("name"), str) else None
        mid = access.member_id() if access.in_request() else None
        mine = ws.member_votes(store, w.id, name, member_id=mid) if name or mid else {}
        left = w.votes_per_member - sum(mine.values()) if name else None
        figures = _figures(w) if w.step and w.step["view"] in ("overview", "gaps") else []
        stage = cw.stage(w, shown, figures=figures, tallies=tallies, mine=mine, role=role, left=left,
                         extra=_step_figure(w) or cw.pairs_link(w))
        opts = cw.about_options(w, shown)
        keep = about if about in {o["value"] for o in opts} else opts[0]["value"]
        you = f"You: {name} · {left} of {w.votes_per_member} votes left" if name else "Add your name to vote"
        steps = cw.step_editor(w.steps, w.current) if role == ws.PRESENTER else None
        return (stage, cw.notes_list(ws.notes(store, w.id)),
                cw.actions_list(ws.actions(store, w.id), editable=role == ws.PRESENTER), steps, opts, keep, opts,
                opts[0]["value"], w.revision, you)
    except PreventUpdate:
        raise
    except Exception as e:
        return (message(state.friendly_error(e)),) + (no_update,) * 9


# ---------------------------------------------------------------- writing (checked on the server)
def _about(w: ws.Workshop, value: str | None) -> ws.Targets:
    kind, _, key = str(value or "").partition(":")
    if kind == "finding":
        return ws.targets([("finding", key)], findings={f["id"]: f for f in _findings(w)})
    if kind in ("place", "category", "organisation", "service") and key:
        return ws.targets([(kind, key)])
    return ws.Targets()


def _limit(name: str | None) -> None:
    remote = _remote()
    ADDRESS_LIMIT.check(str(remote))
    mid = access.member_id() if access.in_request() else None
    MEMBER_LIMIT.check(mid or f"{remote}|{(name or '').casefold()}")


def _name(member: Any) -> str:
    name = member.get("name") if isinstance(member, dict) else None
    if not isinstance(name, str) or not name:
        raise ws.WorkshopError("add your name first (top right), so the board knows whose note or vote it is")
    return name


@callback(Output("workshop-bump", "data"), Output("workshop-message", "children"),
          Output("workshop-note-text", "value"), Output("workshop-action-text", "value"),
          Output("workshop-member", "data"),
          Input("workshop-prev", "n_clicks"), Input("workshop-next", "n_clicks"),
          Input("workshop-note-add", "n_clicks"), Input("workshop-action-add", "n_clicks"),
          Input("workshop-step-add", "n_clicks"), Input("workshop-name-save", "n_clicks"),
          Input({"type": "workshop-vote", "index": ALL}, "n_clicks"),
          Input({"type": "workshop-unvote", "index": ALL}, "n_clicks"),
          Input({"type": "workshop-goto", "index": ALL}, "n_clicks"),
          Input({"type": "workshop-step-up", "index": ALL}, "n_clicks"),
          Input({"type": "workshop-step-down", "index": ALL}, "n_clicks"),
          Input({"type": "workshop-step-remove", "index": ALL}, "n_clicks"),
          Input({"type": "workshop-action-status", "index": ALL}, "value"),
          State("workshop-auth", "data"), State("workshop-member", "data"), State("workshop-bump", "data"),
          State("workshop-note-text", "value"), State("workshop-note-about", "value"),
          State("workshop-action-text", "value"), State("workshop-action-owner", "value"),
          State("workshop-action-due", "value"), State("workshop-action-about", "value"),
          State("workshop-step-view", "value"), State("workshop-step-title", "value"),
          State("workshop-step-category", "value"), State("workshop-name-input", "value"),
          prevent_initial_call=True)
def act(*args):
    """Every change a person makes: one library call, with the role worked out again here."""
    (auth, member, bump, note_text, note_about, action_text, action_owner, action_due, action_about, step_view,
     step_title, step_category, name_input) = args[13:]
    trig = ctx.triggered_id
    value = ctx.triggered[0]["value"] if ctx.triggered else None
    if trig is None or (value in (None, 0) and not (isinstance(trig, dict)
                                                     and trig["type"] == "workshop-action-status")):
        raise PreventUpdate  # a button drawn afresh, not a click
    keep = (no_update, no_update)  # the note and action texts stay as typed when a change is refused
    try:
        store = state.service().store
        if trig == "workshop-name-save":
            name = ws.clean_text(name_input, field="your name", limit=ws.MAX_MEMBER, multiline=False)
            return (bump or 0) + 1, message(f"Thank you, {name}.", "success"), no_update, no_update, {"name": name}
        w, role = _access(auth)
        name = member.get("name") if isinstance(member, dict) and isinstance(member.get("name"), str) else None
        if role is None:
            raise ws.Forbidden("this workshop link is no longer valid; ask the presenter for the current one")
        _limit(name)
        done, clear_note, clear_action = "", no_update, no_update
        kind = trig["type"] if isinstance(trig, dict) else trig
        if kind in ("workshop-prev", "workshop-next"):
            to = w.current + (1 if kind == "workshop-next" else -1)
            if not 0 <= to < len(w.steps):
                raise PreventUpdate
            ws.go_to(store, w.id, to, role=role)
        elif kind == "workshop-goto":
            ws.go_to(store, w.id, int(trig["index"]), role=role)
        elif kind in ("workshop-step-up", "workshop-step-down"):
            ws.require(role, "steps")
            ws.set_steps(store, w.id, ws.move_step(w.steps, int(trig["index"]), -1 if kind.endswith("up") else 1),
                         role=role)
        elif kind == "workshop-step-remove":
            steps = [s for i, s in enumerate(w.steps) if i != int(trig["index"])]
            ws.set_steps(store, w.id, steps, role=role)
        elif kind == "workshop-step-add":
            step = {"view": step_view, "title": step_title or ws.VIEWS.get(step_view)}
            if step_category:
                step["category"] = step_category
            ws.set_steps(store, w.id, [*w.steps, step], role=role)
            done = "Step added."
        elif kind == "workshop-vote":
            found = {f["id"]: f for f in _findings(w)}
            if trig["index"] not in found:
                raise ws.WorkshopError("that finding is no longer in the analysis")
            r = ws.vote(store, w.id, found[trig["index"]], member=_name(member), role=role,
                        member_id=_member_id())
            done = f"Vote placed: {r['left']} left."
        elif kind == "workshop-unvote":
            r = ws.unvote(store, w.id, str(trig["index"]), member=_name(member), role=role,
                          member_id=_member_id())
            done = f"Vote taken back: {r['left']} left." if r["removed"] else ""
        elif kind == "workshop-note-add":
            ws.add_note(store, w.id, note_text, author=_name(member), role=role, about=_about(w, note_about))
            done, clear_note = "Note added.", ""
        elif kind == "workshop-action-add":
            ws.add_action(store, w.id, action_text, owner=action_owner, due=action_due or None, role=role,
                          about=_about(w, action_about), author=name)
            done, clear_action = "Action added.", ""
        elif kind == "workshop-action-status":
            current = {a["id"]: a.get("status") for a in ws.actions(store, w.id)}
            if value is None or current.get(trig["index"]) == value:
                raise PreventUpdate
            ws.update_action(store, w.id, trig["index"], status=value, role=role)
            done = "Action updated."
        else:
            raise PreventUpdate
        return (bump or 0) + 1, message(done, "success") if done else None, clear_note, clear_action, no_update
    except PreventUpdate:
        raise
    except (ws.WorkshopError, ws.Forbidden, ws.NotFound) as e:
        return (no_update, message(str(e), "warning")) + keep + (no_update,)
    except Exception as e:
        return (no_update, message(state.friendly_error(e))) + keep + (no_update,)


# ---------------------------------------------------------------- the lobby (logged in to the dashboard only)
@callback(Output("lobby-links", "children"), Input({"type": "lobby-new-links", "index": ALL}, "n_clicks"),
          prevent_initial_call=True)
def new_links(_clicks):
    """New presenter and board links for one workshop, on the address people use to reach this dashboard."""
    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    if not access.logged_in():  # checked again here, whatever let the request through
        return message("Log in to the dashboard to make workshop links.", "warning")
    try:
        links = ws.new_links(state.service().store, str(trig["index"]))
        base = access.config().base_url
        return cw.links_view(links.workshop.name, links.presenter_link(base), links.board_link(base))
    except Exception as e:
        return message(state.friendly_error(e))
