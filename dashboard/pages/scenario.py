"""``/scenario`` — what if providers, funders or flows went, or capacities changed; save it by name."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dash_table, dcc, html, no_update

from dashboard import state
from dashboard.components import scenario as sc
from dashboard.components.layout import message
from dashboard.components.search import search_options
from dashboard.components.views import memo
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/scenario", name="Scenario", title="ecomap — scenario", order=6)


def _saved(view: state.View) -> dict:
    """The saved scenario the URL names, as form values (empty when none or unknown)."""
    if not view.scenario:
        return {}
    try:
        o = state.service().scenario_options(view.scenario)
    except Exception:
        return {}
    return {"providers": list(o.remove_providers), "funders": list(o.remove_funders), "flows": list(o.remove_funding),
            "capacity": [{"service": k, "service_name": _service_name(view, k), "capacity": v}
                         for k, v in o.capacity_changes], "name": o.name or ""}


def _service_name(view: state.View, sid: str) -> str:
    try:
        return state.names(view.place).service(sid)
    except Exception:  # the store is down: the id is still readable
        return sid


def layout(**kwargs):
    view, _ = state.make_view(**{k: kwargs.get(k) for k in state.QUERY_KEYS})
    saved = _saved(view)

    def multi(id_, label, value):
        return html.Div([html.Label(label, htmlFor=id_, className="form-label small mb-0"),
                         dcc.Dropdown(id=id_, options=[], value=value or [], multi=True, placeholder="none (type a name to find one)")],
                        className="col-md-4")

    form = html.Section([
        html.H2("What changes", className="h5"),
        html.Div([
            multi("scenario-providers", "Providers that leave", saved.get("providers")),
            multi("scenario-funders", "Funders that stop funding", saved.get("funders")),
            multi("scenario-flows", "Funding flows that end", saved.get("flows")),
        ], className="row g-2 mb-2"),
        html.H3("Capacity changes", className="h6 mb-1"),
        html.Div([
            html.Div([html.Label("Service", htmlFor="scenario-capacity-service", className="form-label small mb-0"),
                      dcc.Dropdown(id="scenario-capacity-service", options=[], value=None, clearable=True,
                                   placeholder="Type a service's name")], className="col-md-6"),
            html.Div([html.Label("New capacity (people a year; blank = unknown)", htmlFor="scenario-capacity-value",
                                 className="form-label small mb-0"),
                      dcc.Input(id="scenario-capacity-value", type="number", min=0, value=None,
                                className="form-control")], className="col-md-3"),
            html.Div(html.Button("Add capacity change", id="scenario-add-row", n_clicks=0,
                                 className="btn btn-outline-secondary"), className="col-md-3 d-flex align-items-end"),
        ], className="row g-2 mb-2"),
        dash_table.DataTable(id="scenario-capacity", columns=[
            {"name": "Service", "id": "service_name", "editable": False},
            {"name": "New capacity", "id": "capacity", "type": "numeric", "editable": True}],
            data=saved.get("capacity") or [], row_deletable=True, editable=True,
            style_table={"maxWidth": "900px"},
            style_cell={"textAlign": "left", "fontFamily": "inherit", "whiteSpace": "normal", "height": "auto"}),
        html.Div(id="scenario-capacity-note", className="small text-muted mb-3", **{"aria-live": "polite"}),
        html.Div([
            html.Button("Run scenario", id="scenario-run", n_clicks=0, className="btn btn-primary me-3"),
            html.Label("Name", htmlFor="scenario-name", className="visually-hidden"),
            dcc.Input(id="scenario-name", type="text", placeholder="Name to save it under", value=saved.get("name", ""),
                      className="form-control d-inline-block me-2", style={"maxWidth": "320px"}, maxLength=120),
            html.Button("Save scenario", id="scenario-save", n_clicks=0, className="btn btn-outline-primary"),
        ], className="d-flex align-items-center flex-wrap gap-1"),
        html.Div(id="scenario-saved", className="mt-2 ecomap-spa", **{"aria-live": "polite"}),
    ], className="mb-3")
    return frame("scenario", "Scenario", kwargs, before_body=[form],
                 intro="Test a decision before making it: remove providers, funders or flows, or change capacities, "
                       "and see the new gaps against today's.")


sync_url("scenario")


_CHOICES = (("scenario-providers", "providers"), ("scenario-funders", "funders"), ("scenario-flows", "flows"),
            ("scenario-capacity-service", "services"))


@callback(*(Output(i, "options") for i, _ in _CHOICES),
          Input("scenario-place", "value"), Input("scenario-as-of", "value"),
          *(Input(i, "search_value") for i, _ in _CHOICES), *(State(i, "value") for i, _ in _CHOICES))
def choices(place, as_of, *searches_and_values):
    """What the form offers for the chosen place and date: what is chosen, and what matches what is typed.

    The whole lists stay on the server (a local authority's 50,000 flows and
    10,000 services would take the browser seconds to draw).
    """
    searches, values = searches_and_values[:len(_CHOICES)], searches_and_values[len(_CHOICES):]
    try:
        view, _ = state.make_view(place, None, as_of)
        res = state.analysis_for(view)
        fr = state.frames(res.view.place)
        c = memo(res.analysis, "scenario-choices", lambda: sc.choices(res.analysis, fr, res.names))
        return tuple(search_options(c[key], search, value) for (_, key), search, value
                     in zip(_CHOICES, searches, values))
    except Exception:
        return [], [], [], []


def _triggered():
    try:
        return dash.ctx.triggered_id
    except Exception:  # called outside a request (tests)
        return None


@callback(Output("scenario-providers", "value"), Output("scenario-funders", "value"), Output("scenario-flows", "value"),
          Output("scenario-capacity", "data", allow_duplicate=True), Output("scenario-name", "value"),
          Input("scenario-scenario", "value"), prevent_initial_call=True)
def load_saved(scenario):
    """Fill the form with a saved scenario (or clear it for the baseline)."""
    view, _ = state.make_view(None, None, None, scenario)
    saved = _saved(view)
    return (saved.get("providers", []), saved.get("funders", []), saved.get("flows", []), saved.get("capacity", []),
            saved.get("name", ""))


@callback(Output("scenario-capacity", "data"), Output("scenario-capacity-note", "children"),
          Input("scenario-add-row", "n_clicks"), State("scenario-capacity-service", "value"),
          State("scenario-capacity-value", "value"), State("scenario-capacity", "data"),
          State("scenario-capacity-service", "options"), prevent_initial_call=True)
def add_row(_n, service, capacity, rows, options):
    """Add (or replace) the chosen service's new capacity in the list of changes."""
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    options = options if isinstance(options, list) else []
    if not isinstance(service, str) or not service:
        return no_update, "Choose a service first."
    if capacity is not None and (not isinstance(capacity, (int, float)) or capacity < 0):
        return no_update, "The new capacity must be a number of people a year, 0 or more (blank = unknown)."
    label = next((o.get("label") for o in options if isinstance(o, dict) and o.get("value") == service), service)
    rows = [r for r in rows if r.get("service") != service]
    rows.append({"service": service, "service_name": label, "capacity": capacity})
    return rows, None


@callback(Output("scenario-body", "children"), Output("scenario-message", "children"),
          Input("scenario-run", "n_clicks"), Input("scenario-place", "value"), Input("scenario-category", "value"),
          Input("scenario-as-of", "value"), Input("scenario-scenario", "value"),
          State("scenario-providers", "value"), State("scenario-funders", "value"), State("scenario-flows", "value"),
          State("scenario-capacity", "data"))
def run(_n, place, category, as_of, scenario, providers, funders, flows, capacity, *, trigger=None):
    """Run the scenario the form describes against the baseline (a saved one when just chosen)."""
    try:
        trigger = trigger or _triggered()
        view, _ = state.make_view(place, category, as_of)
        view = state.resolve_place(view)
        if scenario and (trigger == "scenario-scenario" or not (providers or funders or flows or capacity)):
            saved = state.service().scenario_options(scenario)
            providers, funders, flows = saved.remove_providers, saved.remove_funders, saved.remove_funding
            capacity = [{"service": k, "capacity": v} for k, v in saved.capacity_changes]
        opts = sc.make_options(view, providers=providers, funders=funders, flows=flows, capacity_rows=capacity)
        if opts.is_empty:
            return [html.P("Choose providers, funders or flows to remove, or change a capacity, then run the scenario.",
                           className="text-muted")], None
        r = state.service().run_scenario(opts)
        names = state.names(view.place)
        geoms = state.boundaries(list(r.analysis.coverage["place"].unique()))
        return sc.result_view(r, names, view, geoms), None
    except Exception as e:
        return fail(e, 2)


@callback(Output("scenario-saved", "children"), Input("scenario-save", "n_clicks"),
          State("scenario-name", "value"), State("scenario-place", "value"), State("scenario-as-of", "value"),
          State("scenario-providers", "value"), State("scenario-funders", "value"), State("scenario-flows", "value"),
          State("scenario-capacity", "data"), prevent_initial_call=True)
def save(_n, name, place, as_of, providers, funders, flows, capacity):
    """Save the scenario under a name (kept in the store; the data themselves are not changed)."""
    try:
        if not (name or "").strip():
            return message("Give the scenario a name before saving it.", "warning")
        view, _ = state.make_view(place, None, as_of)
        view = state.resolve_place(view)
        opts = sc.make_options(view, providers=providers, funders=funders, flows=flows, capacity_rows=capacity,
                               name=name.strip())
        if opts.is_empty:
            return message("Nothing to save: the scenario changes nothing.", "warning")
        sid = state.service().save_scenario(name.strip(), opts)
        state.note_scenario_saved()
        href = view.search(scenario=sid)
        return html.Div([f"Saved as “{name.strip()}”. ", dcc.Link("See the overview with this scenario", href="/" + href,
                                                                    id="scenario-saved-link")],
                        className="alert alert-success py-2", role="status")
    except Exception as e:
        return message(state.friendly_error(e))
