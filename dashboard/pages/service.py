"""``/service/<id>`` — one service: provider, category, areas, funders, where it adds supply."""

from __future__ import annotations

import urllib.parse

import dash
from dash import dcc, html

from dashboard import state
from dashboard.components.details import service_view
from dashboard.components.layout import message, messages
from dashboard.components.workshop import records_section
from ecosystem import workshop as ws
from ecosystem import analysis as an
from ecosystem import model as m

dash.register_page(__name__, path_template="/service/<service_id>", name="Service", title="ecomap — service")


def layout(service_id: str | None = None, **kwargs):
    sid = urllib.parse.unquote(service_id or "")
    view, notes = state.make_view(**{k: kwargs.get(k) for k in state.QUERY_KEYS})
    try:
        view = state.resolve_place(view)
        res = state.analysis_for(view)
        G = state.graph_with(m.SERVICE, sid, view.place)
        inside = (m.SERVICE, sid) in state.service().graph(view.place)
        names = res.names if inside else state.names(None)
        frames = state.frames(view.place) if inside else an.extract(G)
        body = service_view(sid, G, res.analysis, frames, names, view)
        records = records_section(ws.concerning(state.service().store, "service", sid))
        if records is not None:
            body = [*body, records]
    except Exception as e:
        body = [html.H1("Service", className="h3"), message(state.friendly_error(e))]
    back = dcc.Link("← Back to the overview", href="/" + view.search(), className="small")
    return html.Div([back, *messages(notes), *body,
                     html.P(f"Figures as of {view.as_of:%-d %B %Y}.", className="small text-muted")],
                    id="service-page", className="ecomap-spa")
