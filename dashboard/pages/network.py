"""``/network`` — funders → providers → services → places, fragile nodes highlighted."""

from __future__ import annotations

import dash
import dash_cytoscape as cyto
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import state
from dashboard.components import network as nw
from dashboard.components import views
from dashboard.components.tables import data_table, md_link
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/network", name="Network", title="ecomap — network", order=4)

LIMIT = 2000


def layout(**kwargs):
    funder = html.Div([
        html.Label("Funder", htmlFor="network-funder", className="form-label small mb-0"),
        dcc.Dropdown(id="network-funder", options=[], value=None, clearable=True, placeholder="Every funder"),
    ], className="col-md-3")
    legend = html.P([
        html.Strong("Key: "), "squares = funders, circles = providers, diamonds = services, hexagons = places; ",
        "a thick double border marks a fragile organisation or service (dependent, critical, sole provider, "
        "articulation point or funding cliff). Select a node to open its page.",
    ], className="small text-muted mb-1")
    tools = html.Div([
        html.Button("Download PNG", id="network-png", n_clicks=0, className="btn btn-sm btn-outline-secondary me-2"),
        html.Button("Fit to view", id="network-fit", n_clicks=0, className="btn btn-sm btn-outline-secondary"),
        dcc.Download(id="network-download"),
    ], className="mb-2")
    return frame("network", "Network", kwargs, scenario=False, extra=[funder],
                 intro="Who funds whom, who delivers what, and where.",
                 before_body=[legend, tools,
                              html.Div(id="network-selected", className="mb-2", **{"aria-live": "polite"}),
                              cyto.Cytoscape(id="network-graph", elements=[], layout={"name": "preset", "fit": True},
                                             stylesheet=nw.STYLESHEET, className="ecomap-network", style={"width": "100%", "height": "640px"},
                                             minZoom=0.05, maxZoom=3, boxSelectionEnabled=False,
                                             responsive=True, wheelSensitivity=0.2)])


sync_url("network", scenario=False)


@callback(Output("network-graph", "elements"), Output("network-body", "children"), Output("network-funder", "options"),
          Output("network-message", "children"),
          Input("network-place", "value"), Input("network-category", "value"), Input("network-as-of", "value"),
          Input("network-funder", "value"))
def update(place, category, as_of, funder):
    """Elements of the chosen view, the table alternative and the funder choices."""
    try:
        view, _ = state.make_view(place, category, as_of)
        res = state.analysis_for(view)
        fr = state.frames(res.view.place)
        net = views.memo(res.analysis, ("network", res.view, funder or None),
                         lambda: nw.build(res.analysis, fr, res.names, res.view, category=res.view.category,
                                          funder=funder or None, limit=LIMIT))
        funders = sorted(set(nw.active_flows(fr.funding, res.analysis.as_of)
                             .loc[lambda f: f["recipient"].isin(set(res.analysis.provision["provider"])), "funder"]),
                         key=lambda f: res.names.organisation(f).lower())
        options = [{"label": res.names.organisation(f), "value": f} for f in funders]
        table = pd.DataFrame({
            "Name": [md_link(n, h) if h else n for n, h in zip(net.nodes["name"], net.nodes["href"])],
            "Kind": net.nodes["kind"], "Connections": net.nodes["degree"], "Fragile": net.nodes["fragile"]})
        c = net.counts
        summary = html.P(f"{c['funders']:,} funders, {c['providers']:,} providers and {c['services']:,} services; "
                         f"{c['nodes']:,} nodes and {c['edges']:,} links drawn."
                         + (f" To keep the view fast, {net.aggregated}." if net.aggregated else ""),
                         className="small")
        body = [summary, html.Details([html.Summary("The network as a table", className="small"),
                                       data_table("network-nodes", table, caption="Nodes", markdown=["Name"])])]
        return net.elements, body, options, None
    except Exception as e:
        return [], [], no_update, fail(e, 1)[0]


@callback(Output("network-selected", "children"), Input("network-graph", "tapNodeData"), prevent_initial_call=True)
def selected(node):
    """A link to the selected node's page."""
    if not node:
        return None
    kind = node.get("kind", "")
    name = node.get("name", "")
    if node.get("href"):
        return html.Div([html.Span(f"{nw.KIND_LABEL.get(kind, kind)}: "),
                         dcc.Link(f"Open {name}", href=node["href"], id="network-open")], className="alert alert-light py-1")
    return html.Div(f"{nw.KIND_LABEL.get(kind, kind)}: {name}", className="alert alert-light py-1")


@callback(Output("network-graph", "generateImage"), Input("network-png", "n_clicks"), prevent_initial_call=True)
def png(_n):
    """Draw the network as a PNG into ``imageData`` (base64); :func:`download_png` sends it as a file.

    The component's own download revokes its blob address at once, which
    some browsers read as an empty file; a download through dcc.Download is
    reliable.
    """
    return {"type": "png", "action": "store", "options": {"full": True, "bg": "#ffffff", "output": "base64"}}


@callback(Output("network-download", "data"), Output("network-graph", "imageData"),
          Input("network-graph", "imageData"), prevent_initial_call=True)
def download_png(image):
    """Send the drawn network as ``ecomap-network.png`` and clear it, so the next click downloads again."""
    if not image:
        return no_update, no_update
    return {"content": image, "filename": "ecomap-network.png", "base64": True}, None


@callback(Output("network-graph", "layout"), Input("network-fit", "n_clicks"), State("network-graph", "layout"),
          prevent_initial_call=True)
def fit(n, current):
    """Fit the whole network in view again."""
    return {"name": "preset", "fit": True, "animate": False, "padding": 20 + (n or 0) % 2}
