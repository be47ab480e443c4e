"""``/workshop`` — reserved for partnership-board workshops."""

from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/workshop", name="Workshop", title="ecomap — workshop", order=9)


def layout(**kwargs):
    return html.Div([
        html.H1("Workshop", className="h3"),
        html.Div([
            html.P("Workshop mode is coming: a partnership board will walk through a place on a big screen, agree "
                   "what the map shows, and record notes, votes and actions against the things on it."),
            html.P(["Until then, every view here is a shareable link: copy the address bar to bring the board to "
                    "the same place, category, date and scenario. ",
                    dcc.Link("Go to the overview", href="/")]),
        ], className="alert alert-secondary", role="status", id="workshop-placeholder"),
    ])
