"""Any other path: a readable 'not found' page."""

from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Not found", title="ecomap — not found")


def layout(**kwargs):
    return html.Div([
        html.H1("Page not found", className="h3"),
        html.P(["There is no page at this address. ", dcc.Link("Go to the overview", href="/"), "."]),
    ], id="not-found")
