"""``/data`` — what is loaded (sources, load runs, counts, warnings), loading an uploaded file, taking a source out.

An upload's source is named from its files, as ``ecomap load`` names it
(the file name; several files joined with ``+``), unless a name is typed.
An upload whose source is already in the store is checked first and then
held: the page shows what that source has now and what the upload brings,
per table, and loads only when the person confirms the replacement.
Unloading a source likewise shows exactly what would go first.
"""

from __future__ import annotations

import pathlib
import secrets
import shutil
import tempfile
import threading
import time

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard import access, state
from dashboard.components import data_page as dp
from dashboard.components.layout import message
from ecosystem import model as m

dash.register_page(__name__, path="/data", name="Data", title="ecomap — data", order=7)

#: uploads waiting for the person to confirm that they replace a source: {id: (folder, paths, fmt, source, made)}
_PENDING: dict[str, tuple[pathlib.Path, list[pathlib.Path], str, str, float]] = {}
_PENDING_LOCK = threading.Lock()
PENDING_SECONDS = 30 * 60
PENDING_MAX = 8


def layout(**kwargs):
    upload = html.Section([
        html.H2("Load a file", className="h5"),
        html.P("A template workbook (XLSX), the template CSVs together, a 360Giving, Open Referral UK or OCDS file, "
               "a needs or geography file. The load is all-or-nothing: a file with problems changes nothing and the "
               "problems are listed. The source is named after the files (as `ecomap load` names it) unless you "
               "give a name; a source already loaded is replaced only after you confirm.",
               className="small text-muted"),
        html.Div([
            html.Div([html.Label("Format", htmlFor="data-format", className="form-label small mb-0"),
                      dcc.Dropdown(id="data-format", options=[{"label": f, "value": f} for f in dp.FORMATS],
                                   value="auto", clearable=False)], className="col-md-3"),
            html.Div([html.Label("Source name (optional)", htmlFor="data-source", className="form-label small mb-0"),
                      dcc.Input(id="data-source", type="text", className="form-control", maxLength=120,
                                placeholder="default: the file name")], className="col-md-4"),
        ], className="row g-2 mb-2"),
        dcc.Upload(id="data-upload", multiple=True, max_size=access.config().upload_mb * 2**20,
                   children=html.Div(["Drag files here or ", html.Button("choose files", className="btn btn-link p-0",
                                                                          type="button"),
                                      html.Span(f" (up to {access.config().upload_mb} MB)", className="small")]),
                   className="border border-2 rounded p-4 text-center mb-2", style={"borderStyle": "dashed"}),
        dcc.Loading(html.Div(id="data-upload-result", **{"aria-live": "polite"}), type="default", delay_show=300),
    ], className="mb-4")
    unload = html.Section([
        html.H2("Take a source back out", className="h5"),
        html.P("Removes exactly what one source contributed (what other sources also contributed stays). You see "
               "what would go before anything is removed.", className="small text-muted"),
        html.Div([
            html.Div([html.Label("Source", htmlFor="data-unload-source", className="form-label small mb-0"),
                      dcc.Dropdown(id="data-unload-source", options=[], placeholder="choose a source")],
                     className="col-md-5"),
            html.Div(html.Button("Show what would go", id="data-unload-preview", n_clicks=0, type="button",
                                 className="btn btn-outline-danger"), className="col-md-3 align-self-end"),
        ], className="row g-2 mb-2"),
        dcc.Loading(html.Div(id="data-unload-result", **{"aria-live": "polite"}), type="default", delay_show=300),
    ], className="mb-4")
    return html.Div([
        html.H1("Data", className="h3"),
        dcc.Store(id="data-loaded", data=0),
        dcc.Store(id="data-pending"),
        dcc.Store(id="data-unload-pending"),
        upload,
        unload,
        html.Div(id="data-message"),
        dcc.Loading(html.Div(id="data-body"), type="default"),
    ])


def _sources() -> list[dict]:
    """The store's sources (:func:`ecosystem.sources.list_sources`), kept until the next load or unload changes them.

    Reading them walks every node and relationship (a fifth of a second at a
    council's scale, on every visit); only a load or an unload changes them,
    and each of those changes the data version.
    """
    import copy

    from ecosystem import sources

    svc = state.service()
    return copy.deepcopy(svc.memo(("data-sources",), lambda: sources.list_sources(svc.store), kind=list))


@callback(Output("data-body", "children"), Output("data-message", "children"),
          Output("data-unload-source", "options"), Input("data-loaded", "data"))
def status(_loaded):
    """What is in the store now."""
    try:
        svc = state.service()
        store = svc.store
        found = _sources()
        options = [{"label": r["source"], "value": r["source"]} for r in found]
        counts = store.counts()
        return (dp.status_view(store.kind, store.location, counts, store.run("list_load_runs"), sources=found,
                               unplaced=unplaced_view() if counts.get("nodes", {}).get("Organisation") else None),
                None, options)
    except Exception as e:
        return [], message(state.friendly_error(e)), []


def unplaced_view():
    """The organisations with no place today (the same whichever place is chosen), or a line saying there are none."""
    from dashboard.components.views import unplaced_panel

    try:
        view, _ = state.make_view()
        res = state.analysis_for(view)
    except Exception as e:  # the counts still show; the analysis pages say what is wrong
        return message(f"Could not tell which organisations have no place: {state.friendly_error(e)}", "warning")
    a = res.analysis
    panel = unplaced_panel(a.unplaced, a.unplaced_organisations, res.names, table_id="data-unplaced", view=res.view)
    return panel or html.P("Every organisation has a place (a service area, a base or a beneficiary place).",
                           className="small text-muted", id="data-all-placed")


# ---------------------------------------------------------------- uploads
def _hold(folder: pathlib.Path, paths: list[pathlib.Path], fmt: str, source: str) -> str:
    """Keep an upload until the person confirms (or cancels) replacing its source; returns its id."""
    now = time.monotonic()
    with _PENDING_LOCK:
        for key, (old, *_rest, made) in list(_PENDING.items()):
            if now - made > PENDING_SECONDS or len(_PENDING) >= PENDING_MAX:
                _PENDING.pop(key)
                shutil.rmtree(old, ignore_errors=True)
        key = secrets.token_urlsafe(16)
        _PENDING[key] = (folder, paths, fmt, source, now)
    return key


def _take(key) -> tuple[pathlib.Path, list[pathlib.Path], str, str] | None:
    if not isinstance(key, str):
        return None
    with _PENDING_LOCK:
        held = _PENDING.pop(key, None)
    return held[:4] if held else None


def _load(folder: pathlib.Path, paths: list[pathlib.Path], fmt: str, source: str, loaded) -> tuple:
    from ecosystem import pipeline

    result = pipeline.load(state.service().store, dp.load_paths(paths, folder), fmt=fmt, source=source)
    result = {**result, "warnings": [dp.page_text(w, folder) for w in result.get("warnings") or []]}
    if result.get("status") == "loaded":  # prepare the first view for the new data, as a CLI load does
        threading.Thread(target=state.warm, name="ecomap-warm", daemon=True).start()
    return dp.load_result_view(result), (loaded if isinstance(loaded, int) else 0) + 1


@callback(Output("data-upload-result", "children"), Output("data-loaded", "data"), Output("data-pending", "data"),
          Output("data-upload", "contents"),
          Input("data-upload", "contents"), State("data-upload", "filename"), State("data-format", "value"),
          State("data-source", "value"), State("data-loaded", "data"), prevent_initial_call=True)
def upload(contents, filenames, fmt, source, loaded):
    """Validate the uploaded file(s); load them, or ask first when they would replace a source in the store."""
    from ecosystem import pipeline

    if not contents:  # cleared after the last upload (so the same file can be chosen again)
        raise dash.exceptions.PreventUpdate
    fmt = fmt if fmt in dp.FORMATS else "auto"
    typed = source.strip() if isinstance(source, str) else ""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-upload-"))  # private to this user (0700)
    held = False
    try:
        paths = dp.save_uploads(contents, filenames, folder / "files", limit=access.config().upload_mb * 2**20)
        name = typed or dp.default_source(filenames)
        store = state.service().store
        tables = pipeline.prepare(dp.load_paths(paths, folder / "files"), fmt=fmt, store=store)
        existing = next((r for r in _sources() if r["source"] == name), None)
        if existing is None:
            view, bumped = _load(folder / "files", paths, fmt, name, loaded)
            return view, bumped, None, None
        held = True
        key = _hold(folder, paths, fmt, name)
        return dp.replace_view(name, existing, dp.table_counts(tables)), dash.no_update, key, None
    except m.ValidationError as e:
        e = dp.for_the_page(e, folder / "files")
        return dp.issues_view(e.summary(), e.issues_frame()), dash.no_update, None, None
    except Exception as e:
        return message(state.friendly_error(e)), dash.no_update, None, None
    finally:
        if not held:
            shutil.rmtree(folder, ignore_errors=True)


@callback(Output("data-upload-result", "children", allow_duplicate=True),
          Output("data-loaded", "data", allow_duplicate=True), Output("data-pending", "data", allow_duplicate=True),
          Input("data-replace", "n_clicks"), Input("data-replace-cancel", "n_clicks"),
          State("data-pending", "data"), State("data-loaded", "data"), prevent_initial_call=True)
def replace(confirm, cancel, key, loaded):
    """The person's answer to "replace this source?": load the held upload, or drop it."""
    trig = dash.ctx.triggered_id
    if trig not in ("data-replace", "data-replace-cancel") or not dash.ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    held = _take(key)
    if held is None:
        return message("That upload is no longer held (it was answered already, or waited more than 30 minutes); "
                       "upload it again.", "warning"), dash.no_update, None
    folder, paths, fmt, source = held
    try:
        if trig == "data-replace-cancel":
            return message(f"Nothing was loaded; source “{source}” is as it was.", "info"), dash.no_update, None
        view, bumped = _load(folder / "files", paths, fmt, source, loaded)
        return view, bumped, None
    except m.ValidationError as e:
        e = dp.for_the_page(e, folder / "files")
        return dp.issues_view(e.summary(), e.issues_frame()), dash.no_update, None
    except Exception as e:
        return message(state.friendly_error(e)), dash.no_update, None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- unloading
@callback(Output("data-unload-result", "children"), Output("data-unload-pending", "data"),
          Input("data-unload-preview", "n_clicks"), State("data-unload-source", "value"), prevent_initial_call=True)
def unload_preview(n, source):
    """Exactly what unloading the chosen source would take out, with a button to do it."""
    from ecosystem import sources

    if not n:
        raise dash.exceptions.PreventUpdate
    if not isinstance(source, str) or not source:
        return message("Choose a source first.", "warning"), None
    try:
        return dp.unload_view(sources.unload_preview(state.service().store, source)), source
    except Exception as e:
        return message(state.friendly_error(e)), None


@callback(Output("data-unload-result", "children", allow_duplicate=True),
          Output("data-unload-pending", "data", allow_duplicate=True),
          Output("data-loaded", "data", allow_duplicate=True),
          Input("data-unload-confirm", "n_clicks"), Input("data-unload-cancel", "n_clicks"),
          State("data-unload-pending", "data"), State("data-loaded", "data"), prevent_initial_call=True)
def unload(confirm, cancel, source, loaded):
    """Unload the previewed source once the person confirms (all or nothing)."""
    from ecosystem import sources

    trig = dash.ctx.triggered_id
    if trig not in ("data-unload-confirm", "data-unload-cancel") or not dash.ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    if trig == "data-unload-cancel" or not isinstance(source, str) or not source:
        return message("Nothing was unloaded.", "info"), None, dash.no_update
    try:
        done = sources.unload(state.service().store, source)
        gone = dp.counts_text(done["delete"]["nodes"]) or "nothing of its own"
        return (message(f"Unloaded source “{source}”: {gone} removed. Every page now shows the data without it.",
                        "success"), None, (loaded if isinstance(loaded, int) else 0) + 1)
    except sources.UnloadBlocked as e:
        return message(str(e), "warning"), None, dash.no_update
    except Exception as e:
        return message(state.friendly_error(e)), None, dash.no_update
