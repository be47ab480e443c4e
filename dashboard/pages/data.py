"""``/data`` — what is loaded (sources, load runs, counts, warnings) and loading an uploaded file."""

from __future__ import annotations

import pathlib
import tempfile
import threading

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard import state
from dashboard.components import data_page as dp
from dashboard.components.layout import message
from ecosystem import model as m

dash.register_page(__name__, path="/data", name="Data", title="ecomap — data", order=7)


def layout(**kwargs):
    upload = html.Section([
        html.H2("Load a file", className="h5"),
        html.P("A template workbook (XLSX), the template CSVs together, a 360Giving, Open Referral UK or OCDS file, "
               "a needs or geography file. The load is all-or-nothing: a file with problems changes nothing and the "
               "problems are listed.", className="small text-muted"),
        html.Div([
            html.Div([html.Label("Format", htmlFor="data-format", className="form-label small mb-0"),
                      dcc.Dropdown(id="data-format", options=[{"label": f, "value": f} for f in dp.FORMATS],
                                   value="auto", clearable=False)], className="col-md-3"),
            html.Div([html.Label("Source name (optional)", htmlFor="data-source", className="form-label small mb-0"),
                      dcc.Input(id="data-source", type="text", className="form-control", maxLength=120,
                                placeholder="default: the file name")], className="col-md-4"),
        ], className="row g-2 mb-2"),
        dcc.Upload(id="data-upload", multiple=True, max_size=dp.MAX_UPLOAD_BYTES,
                   children=html.Div(["Drag files here or ", html.Button("choose files", className="btn btn-link p-0",
                                                                          type="button")]),
                   className="border border-2 rounded p-4 text-center mb-2", style={"borderStyle": "dashed"}),
        dcc.Loading(html.Div(id="data-upload-result", **{"aria-live": "polite"}), type="default"),
    ], className="mb-4")
    return html.Div([
        html.H1("Data", className="h3"),
        dcc.Store(id="data-loaded", data=0),
        upload,
        html.Div(id="data-message"),
        dcc.Loading(html.Div(id="data-body"), type="default"),
    ])


@callback(Output("data-body", "children"), Output("data-message", "children"), Input("data-loaded", "data"))
def status(_loaded):
    """What is in the store now."""
    try:
        svc = state.service()
        store = svc.store
        return dp.status_view(store.kind, store.location, store.counts(), store.run("list_load_runs")), None
    except Exception as e:
        return [], message(state.friendly_error(e))


@callback(Output("data-upload-result", "children"), Output("data-loaded", "data"),
          Input("data-upload", "contents"), State("data-upload", "filename"), State("data-format", "value"),
          State("data-source", "value"), State("data-loaded", "data"), prevent_initial_call=True)
def upload(contents, filenames, fmt, source, loaded):
    """Validate and load the uploaded file(s); list the problems when they are rejected."""
    from ecosystem import pipeline

    if not contents:
        return message("No file was uploaded.", "warning"), dash.no_update
    try:
        with tempfile.TemporaryDirectory(prefix="ecomap-upload-") as tmp:
            folder = pathlib.Path(tmp) / dp.default_source(filenames)
            paths = dp.save_uploads(contents, filenames, folder)
            result = pipeline.load(state.service().store, dp.load_paths(paths, folder), fmt=fmt or "auto",
                                   source=(source or "").strip() or dp.default_source(filenames))
        if result.get("status") == "loaded":  # prepare the first view for the new data, as a CLI load does
            threading.Thread(target=state.warm, name="ecomap-warm", daemon=True).start()
        return dp.load_result_view(result), (loaded or 0) + 1
    except m.ValidationError as e:
        return dp.issues_view(e.summary(), e.issues_frame()), dash.no_update
    except Exception as e:
        return message(state.friendly_error(e)), dash.no_update
