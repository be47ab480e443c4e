"""``/market`` — market shaping: who provides, how concentrated, how secure the money is, what is being procured, the trend."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from dashboard import state
from dashboard.components import market as mk
from dashboard.components import views
from dashboard.components.layout import message, scenario_banner
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/market", name="Market", title="ecomap — market shaping", order=6)


def trend_panel() -> html.Section:
    """The trend heading, its choice of dates, and the area its callback fills."""
    return html.Section([
        html.H2("The trend", className="h4 mt-3", id="market-trend-heading"),
        html.Div([
            html.Label("Dates", htmlFor="market-trend", className="form-label small mb-0"),
            dcc.Dropdown(id="market-trend", options=mk.trend_options(), value=mk.DEFAULT_TREND, clearable=False,
                         searchable=False),
        ], className="col-md-4 mb-2"),
        html.Div(id="market-trend-message", **{"aria-live": "polite"}),
        dcc.Loading(html.Div(id="market-trend-body"), type="default", delay_show=300),
    ], **{"aria-labelledby": "market-trend-heading"})


def layout(**kwargs):
    return frame("market", "Market shaping", kwargs, after_body=[trend_panel()],
                 intro="Who provides here — the voluntary sector, firms, the public sector — and how concentrated "
                       "each market is; how secure the providers' money is; what is being procured and which gaps "
                       "and funding cliffs it may answer; and how it has moved.")


sync_url("market")


@callback(Output("market-body", "children"), Output("market-message", "children"),
          Input("market-place", "value"), Input("market-category", "value"),
          Input("market-as-of", "value"), Input("market-scenario", "value"))
def update(place, category, as_of, scenario):
    """Diversity, concentration, funding security and the pipeline of the chosen view."""
    try:
        view, _ = state.make_view(place, category, as_of, scenario)
        res = state.analysis_for(view)
        body = views.memo(res.analysis, ("market", res.view), lambda: mk.market_view(res))
        return [scenario_banner(res.scenario_name, res.view), *body], None
    except Exception as e:
        return fail(e, 2)


@callback(Output("market-trend-body", "children"), Output("market-trend-message", "children"),
          Input("market-place", "value"), Input("market-category", "value"),
          Input("market-as-of", "value"), Input("market-scenario", "value"), Input("market-trend", "value"))
def trend(place, category, as_of, scenario, choice):
    """The small line charts of the headline figures over the chosen dates."""
    try:
        view, _ = state.make_view(place, category, as_of, scenario)
        dates = mk.trend_dates(view.as_of, choice)
        series = state.series_for(view, dates)
        note = ("The trend is of the data as stored: the scenario changes only the figures above."
                if view.scenario else None)
        # the figure is built once per cached series and view (building it is most of the callback's time)
        body = views.memo(series, ("trend", view, note),
                          lambda: mk.trend_section(series, state.names(view.place), view, note=note))
        return body, None
    except Exception as e:
        return [], message(state.friendly_error(e))
