"""``/`` — the place overview: headline figures and a map of unmet need or coverage by leaf."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import state
from dashboard.components import views
from dashboard.components.layout import graph_config, scenario_banner
from dashboard.components.tables import mounted_table, table_outputs, table_values
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/", name="Overview", title="ecomap — overview", order=0)

METRIC_OPTIONS = [{"label": "Unmet need", "value": "unmet"}, {"label": "Coverage", "value": "coverage"}]

#: before the first answer the map is blank, not an empty pair of axes
_BLANK = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 520,
                                 "paper_bgcolor": "white", "plot_bgcolor": "white"}}


def _body() -> list:
    """The overview's parts. The map and the two tables stay mounted and each answer gives them a new figure
    and new rows: Plotly and the tables then redraw what they show instead of the browser making a new map and
    new tables (and Dash working out their callbacks again) on every filter change."""
    return [
        html.Div(id="overview-top"),
        html.Section([
            html.H2(id="overview-map-title", className="h5 mt-2"),
            html.P(views.MAP_DESCRIPTION, id="overview-map-description", className="small text-muted mb-1"),
            html.Div(dcc.Graph(id="overview-map", figure=_BLANK, config=graph_config("ecomap-map"),
                               className="ecomap-graph"),
                     role="figure", **{"aria-labelledby": "overview-map-title",
                                       "aria-describedby": "overview-map-description"}),
            html.Details([html.Summary(id="overview-map-summary", className="small"),
                          mounted_table("overview-leaves", label="the map's figures by place")], className="mb-3"),
        ], id="overview-map-section", className="mb-3", hidden=True),
        html.Div(mounted_table("overview-worst", label="Largest gaps", page_size=10), id="overview-worst",
                 hidden=True),
    ]


def layout(**kwargs):
    metric = html.Div([
        html.Span("Map shows", className="form-label small mb-0 d-block", id="overview-metric-label"),
        # native radio buttons with their own labels (Dash's own radio items wrap each in an ARIA option)
        html.Div(dbc.RadioItems(id="overview-metric", options=METRIC_OPTIONS, value="unmet", inline=True),
                 role="radiogroup", **{"aria-labelledby": "overview-metric-label"}),
    ], className="col-md-12")
    return frame("overview", "Place overview", kwargs, extra=[metric], body=_body(),
                 intro="People in need, what is provided, and where the gaps are, for the place and date you choose.")


sync_url("overview")

OUTPUTS = [Output("overview-top", "children"), Output("overview-map-title", "children"),
           Output("overview-map", "figure"), Output("overview-map-summary", "children"),
           *table_outputs("overview-leaves"), *table_outputs("overview-worst"),
           Output("overview-map-section", "hidden"), Output("overview-worst", "hidden"),
           Output("overview-message", "children")]


@callback(*OUTPUTS,
          Input("overview-place", "value"), Input("overview-category", "value"), Input("overview-as-of", "value"),
          Input("overview-scenario", "value"), Input("overview-metric", "value"))
def update(place, category, as_of, scenario, metric):
    """The overview of the chosen view: the top (scenario banner, figures), the map and its table, the largest
    gaps, whether the map section and the largest gaps are hidden, and a message."""
    try:
        view, notes = state.make_view(place, category, as_of, scenario)
        res = state.analysis_for(view)
        leaves = list(res.analysis.coverage["place"].unique())
        geoms = state.boundaries(leaves)
        opts = res.scenario.options if res.scenario is not None else None
        parts = views.memo(res.analysis, ("overview", res.view, metric),
                           lambda: views.overview_view(res, state.frames(res.view.place).funding, geoms,
                                                       metric=metric or "unmet", options=opts))
        top = [b for b in [scenario_banner(res.scenario_name, res.view)] if b is not None] + parts.top
        return (top, parts.map_title, parts.figure, parts.map_summary, *table_values(parts.map_table),
                *table_values(parts.worst), False, False,
                [html.Div(n, className="alert alert-warning") for n in notes] or None)
    except Exception as e:
        # the map keeps its last figure, hidden with its section and the emptied tables; the message says why
        return ([], None, dash.no_update, None, *table_values(None), *table_values(None), True, True,
                fail(e)[-1])
