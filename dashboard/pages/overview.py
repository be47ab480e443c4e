"""``/`` — the place overview: headline figures and a map of unmet need or coverage by leaf."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard import state
from dashboard.components import views
from dashboard.components.layout import scenario_banner
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/", name="Overview", title="ecomap — overview", order=0)

METRIC_OPTIONS = [{"label": "Unmet need", "value": "unmet"}, {"label": "Coverage", "value": "coverage"}]


def layout(**kwargs):
    metric = html.Div([
        html.Span("Map shows", className="form-label small mb-0 d-block", id="overview-metric-label"),
        # native radio buttons with their own labels (Dash's own radio items wrap each in an ARIA option)
        html.Div(dbc.RadioItems(id="overview-metric", options=METRIC_OPTIONS, value="unmet", inline=True),
                 role="radiogroup", **{"aria-labelledby": "overview-metric-label"}),
    ], className="col-md-12")
    return frame("overview", "Place overview", kwargs, extra=[metric],
                 intro="People in need, what is provided, and where the gaps are, for the place and date you choose.")


sync_url("overview")


@callback(Output("overview-body", "children"), Output("overview-message", "children"),
          Input("overview-place", "value"), Input("overview-category", "value"), Input("overview-as-of", "value"),
          Input("overview-scenario", "value"), Input("overview-metric", "value"))
def update(place, category, as_of, scenario, metric):
    """The overview of the chosen view."""
    try:
        view, notes = state.make_view(place, category, as_of, scenario)
        res = state.analysis_for(view)
        leaves = list(res.analysis.coverage["place"].unique())
        geoms = state.boundaries(leaves)
        opts = res.scenario.options if res.scenario is not None else None
        body = [scenario_banner(res.scenario_name, res.view)]
        body += views.memo(res.analysis, ("overview", res.view, metric),
                           lambda: views.overview_view(res, state.frames(res.view.place).funding, geoms,
                                                       metric=metric or "unmet", options=opts))
        return body, [html.Div(n, className="alert alert-warning") for n in notes] or None
    except Exception as e:
        return fail(e, 2)
