"""``/organisation/<id>`` — one organisation: services, money in and out, partners, fragility."""

from __future__ import annotations

import urllib.parse

import dash
from dash import dcc, html

from dashboard import state
from dashboard.components.details import organisation_view
from dashboard.components.layout import message, messages
from dashboard.components.workshop import records_section
from ecosystem import workshop as ws
from ecosystem import model as m

dash.register_page(__name__, path_template="/organisation/<org_id>", name="Organisation",
                   title="ecomap — organisation")


def layout(org_id: str | None = None, **kwargs):
    oid = urllib.parse.unquote(org_id or "")
    view, notes = state.make_view(**{k: kwargs.get(k) for k in state.QUERY_KEYS})
    place_name = None
    try:
        view = state.resolve_place(view)
        res = state.analysis_for(view)
        G = state.graph_with(m.ORGANISATION, oid, view.place)
        names = res.names if (m.ORGANISATION, oid) in state.service().graph(view.place) else state.names(None)
        place_name = res.names.place(view.place) if view.place else None
        body = organisation_view(oid, G, res.analysis, names, view)
        records = records_section(ws.concerning(state.service().store, "organisation", oid))
        if records is not None:
            body = [*body, records]
    except Exception as e:
        body = [html.H1("Organisation", className="h3"), message(state.friendly_error(e))]
    back = dcc.Link("← Back to the overview", href="/" + view.search(), className="small")
    where = html.P(f"Figures as of {view.as_of:%-d %B %Y}" + (f" for {place_name}" if place_name else "") + ".",
                   className="small text-muted")
    return html.Div([back, *messages(notes), *body, where], id="organisation-page", className="ecomap-spa")

