"""``/`` — the place overview: headline figures and a map of unmet need or coverage by leaf."""

from __future__ import annotations

import logging
import time

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard import state
from dashboard.components import views
from dashboard.components.layout import card_outputs, card_values, figure_cards, graph_config, scenario_banner
from dashboard.components.tables import mounted_table, table_outputs, table_values
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/", name="Overview", title="ecomap — overview", order=0)

log = logging.getLogger(__name__)

METRIC_OPTIONS = [{"label": "Unmet need", "value": "unmet"}, {"label": "Coverage", "value": "coverage"}]

#: before the first answer the map is blank, not an empty pair of axes
_BLANK = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 520,
                                 "paper_bgcolor": "white", "plot_bgcolor": "white"}}


def _body() -> list:
    """The overview's parts. The headline figures, the map and the two tables stay mounted and each answer gives
    them new texts, a new figure and new rows: the browser then redraws what they show instead of making new
    cards, a new map and new tables (and Dash working out their callbacks again) on every filter change."""
    return [
        html.Div(id="overview-top"),
        html.Div(figure_cards([("", "", None)] * views.OVERVIEW_CARDS, prefix="overview"), id="overview-cards",
                 hidden=True),
        html.Div(id="overview-notes"),
        html.Section([
            html.H2(id="overview-map-title", className="h5 mt-2"),
            html.P(views.MAP_DESCRIPTION, id="overview-map-description", className="small text-muted mb-1"),
            html.Div(dcc.Graph(id="overview-map", figure=_BLANK, config=graph_config("ecomap-map"),
                               className="ecomap-graph"),
                     role="figure", **{"aria-labelledby": "overview-map-title",
                                       "aria-describedby": "overview-map-description"}),
            # the map's table is filled when it is opened (the summary's clicks, odd when open): filled on every
            # change while closed it cost the browser a sixth of the change for a table nobody was reading
            html.Details([html.Summary(id="overview-map-summary", className="small", n_clicks=0),
                          html.Div(mounted_table("overview-leaves", label="the map's figures by place"),
                                   id="overview-leaves-slot", hidden=True)],
                         id="overview-map-details", className="mb-3"),
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

#: the map's table and whether its slot is hidden (filled by update, and by open_table as it is opened)
LEAVES = [*table_outputs("overview-leaves"), Output("overview-leaves-slot", "hidden")]


OUTPUTS = [Output("overview-top", "children"), *card_outputs("overview", views.OVERVIEW_CARDS),
           Output("overview-cards", "hidden"), Output("overview-notes", "children"),
           Output("overview-map-title", "children"),
           Output("overview-map", "figure"), Output("overview-map-summary", "children"),
           *LEAVES, *table_outputs("overview-worst"),
           Output("overview-map-section", "hidden"), Output("overview-worst", "hidden"),
           Output("overview-message", "children")]


def _parts(place, category, as_of, scenario, metric):
    """The view, its analysis, the notes on what was asked, and the overview's parts (kept beside the analysis)."""
    view, notes = state.make_view(place, category, as_of, scenario)
    res = state.analysis_for(view)
    leaves = list(res.analysis.coverage["place"].unique())
    geoms = state.boundaries(leaves)
    opts = res.scenario.options if res.scenario is not None else None
    parts = views.memo(res.analysis, ("overview", res.view, metric),
                       lambda: views.overview_view(res, state.frames(res.view.place).funding, geoms,
                                                   metric=metric or "unmet", options=opts))
    return res, notes, parts


@callback(*OUTPUTS,
          Input("overview-place", "value"), Input("overview-category", "value"), Input("overview-as-of", "value"),
          Input("overview-scenario", "value"), Input("overview-metric", "value"),
          State("overview-map-summary", "n_clicks"))
def update(place, category, as_of, scenario, metric, table_clicks=0):
    """The overview of the chosen view: the scenario banner, the headline figures and whether they are hidden,
    what no place counts, the map and its table, the largest gaps, whether the map section and the largest
    gaps are hidden, and a message."""
    try:
        res, notes, parts = _parts(place, category, as_of, scenario, metric)
        top = [b for b in [scenario_banner(res.scenario_name, res.view)] if b is not None]
        return (top, *card_values(parts.cards, views.OVERVIEW_CARDS), False, parts.notes, parts.map_title,
                parts.figure, parts.map_summary, *_leaves(parts, table_clicks), *table_values(parts.worst),
                False, False, [html.Div(n, className="alert alert-warning") for n in notes] or None)
    except Exception as e:
        # the map keeps its last figure, hidden with its section and the emptied tables; the message says why
        return ([], *card_values(None, views.OVERVIEW_CARDS), True, [], None, dash.no_update, None,
                *table_values(None), True, *table_values(None), True, True, fail(e)[-1])


def _open(clicks) -> bool:
    return bool(clicks) and int(clicks) % 2 == 1


def _leaves(parts, clicks) -> list:
    """The map's table, filled when it is open; closed, it is left as it was and hidden until it is opened."""
    if _open(clicks):
        return [*table_values(parts.map_table), False]
    return [dash.no_update] * (len(LEAVES) - 1) + [True]


@callback(*[Output(o.component_id, o.component_property, allow_duplicate=True) for o in LEAVES],
          Input("overview-map-summary", "n_clicks"),
          State("overview-place", "value"), State("overview-category", "value"), State("overview-as-of", "value"),
          State("overview-scenario", "value"), State("overview-metric", "value"), prevent_initial_call=True)
def open_table(clicks, place, category, as_of, scenario, metric):
    """The map's table as it is opened: the figures of the view shown now."""
    if not _open(clicks):
        return [dash.no_update] * len(LEAVES)
    try:
        return _leaves(_parts(place, category, as_of, scenario, metric)[2], clicks)
    except Exception:  # the overview's own answer says what is wrong
        return [*table_values(None), True]


def prepare(*, pause: float = 0.1, budget: float = 10.0) -> int:
    """Work out the overview of each category of the default view (unmet need), as the dashboard starts, so
    that a person's first choice of a category is as quick as their next. Between categories it pauses at
    least as long as the last took, so that what a person asks for meanwhile gets at least half the
    interpreter, and it stops after ``budget`` seconds of work (a large place's forty categories would
    otherwise keep a small machine busy for a minute). Nothing with ECOMAP_WARM=off. Returns how many."""
    from ecosystem.service import warming_off

    if warming_off():
        return 0
    view, _ = state.make_view()
    res = state.analysis_for(view)
    done, spent = 0, 0.0
    for category in [None, *sorted(res.analysis.coverage["category"].dropna().unique())]:
        if done and spent >= budget:
            log.info("prepared the overview of %d categories; the rest are worked out when chosen", done)
            break
        t = time.perf_counter()
        _parts(view.place, category, view.as_of.isoformat(), None, "unmet")
        took = time.perf_counter() - t
        done, spent = done + 1, spent + took
        time.sleep(max(pause, took))
    return done
