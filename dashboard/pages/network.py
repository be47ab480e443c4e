"""``/network`` — funders → providers → services → places, fragile nodes highlighted."""

from __future__ import annotations

import dash
import dash_cytoscape as cyto
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import state
from dashboard.components import network as nw
from dashboard.components import views
from dashboard.components.search import search_options
from dashboard.components.tables import data_table, md_link
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/network", name="Network", title="ecomap — network", order=4)

LIMIT = 2000


MODE_OPTIONS = [{"label": "Readable (by category when large)", "value": "auto"},
                {"label": "By category", "value": "category"},
                {"label": "Every organisation", "value": "detail"}]


def layout(**kwargs):
    funder = html.Div([
        html.Label("Funder", htmlFor="network-funder", className="form-label small mb-0"),
        dcc.Dropdown(id="network-funder", options=[], value=None, clearable=True, placeholder="Every funder"),
    ], className="col-md-3")
    mode = html.Div([
        html.Label("Show", htmlFor="network-mode", className="form-label small mb-0"),
        dcc.Dropdown(id="network-mode", options=MODE_OPTIONS, value="auto", clearable=False, searchable=False),
    ], className="col-md-3")
    search = html.Div([
        html.Label("Find an organisation", htmlFor="network-focus", className="form-label small mb-0"),
        dcc.Dropdown(id="network-focus", options=[], value=None, clearable=True,
                     placeholder="Type a name to see its funders, partners and services"),
    ], className="col-md-4")
    legend = html.P([
        html.Strong("Key: "), "squares = funders, circles = providers, diamonds = services or service categories, "
        "hexagons = places. Money and delivery run from left to right: funders, then providers, then their "
        "services or categories, then places; a blue line is money, thicker for more. A thick double border marks "
        "a fragile organisation or service (dependent, critical, sole provider, articulation point or funding "
        "cliff), an orange border a category with unserved places, "
        "a dashed pink line a partnership. Select a category to see its providers; select an organisation or "
        "service to open its page.",
    ], className="small text-muted mb-1")
    tools = html.Div([
        html.Button("Download PNG", id="network-png", n_clicks=0, className="btn btn-sm btn-outline-secondary me-2"),
        html.Button("Fit to view", id="network-fit", n_clicks=0, className="btn btn-sm btn-outline-secondary"),
        dcc.Download(id="network-download"),
    ], className="mb-2")
    return frame("network", "Network", kwargs, scenario=False, extra=[funder, mode, search],
                 intro="Who funds whom, who delivers what, and where.",
                 before_body=[legend, tools,
                              html.Div(id="network-selected", className="mb-2", **{"aria-live": "polite"}),
                              cyto.Cytoscape(id="network-graph", elements=[], layout={"name": "preset", "fit": True},
                                             stylesheet=nw.STYLESHEET, className="ecomap-network", style={"width": "100%", "height": "640px"},
                                             minZoom=0.05, maxZoom=3, boxSelectionEnabled=False,
                                             responsive=True, wheelSensitivity=0.2)])


sync_url("network", scenario=False)


def _text(v) -> str | None:
    return v if isinstance(v, str) and v else None


@callback(Output("network-graph", "elements"), Output("network-body", "children"), Output("network-funder", "options"),
          Output("network-message", "children"), Output("network-graph", "style"),
          Input("network-place", "value"), Input("network-category", "value"), Input("network-as-of", "value"),
          Input("network-funder", "value"), Input("network-mode", "value"), Input("network-focus", "value"))
def update(place, category, as_of, funder, mode="auto", focus=None):
    """Elements of the chosen view, the table alternative and the funder choices."""
    funder, focus = _text(funder), _text(focus)
    mode = mode if mode in nw.MODES else "auto"
    try:
        view, _ = state.make_view(place, category, as_of)
        res = state.analysis_for(view)
        fr = state.frames(res.view.place)
        try:
            net = views.memo(res.analysis, ("network", res.view, funder, mode, focus),
                             lambda: nw.choose(res.analysis, fr, res.names, res.view, mode=mode,
                                               category=res.view.category, funder=funder, organisation=focus,
                                               limit=LIMIT))
            note = None
        except KeyError:
            net = views.memo(res.analysis, ("network", res.view, funder, mode, None),
                             lambda: nw.choose(res.analysis, fr, res.names, res.view, mode=mode,
                                               category=res.view.category, funder=funder, limit=LIMIT))
            note = html.Div(f"{res.names.organisation(focus)} has no active funding, partnership or service in this "
                            "place on this date; showing the whole network.", className="alert alert-info py-1")
        options, _ = _choosable(res, fr)
        table = pd.DataFrame({
            "Name": [md_link(n, h) if h else n for n, h in zip(net.nodes["name"], net.nodes["href"])],
            "Kind": net.nodes["kind"], "Connections": net.nodes["degree"], "Fragile": net.nodes["fragile"]})
        c = net.counts
        if net.mode == "focus":
            text = (f"{res.names.organisation(focus)}: {c['funders']:,} funder(s), funds {c['funded']:,} "
                    f"organisation(s), {c['partners']:,} partner(s), {c['services']:,} active service(s) here.")
        elif net.mode == "category":
            text = (f"{c['funders']:,} funders, {c['providers']:,} providers and {c['services']:,} services in "
                    f"{c['categories']:,} categories; {net.aggregated}.")
        else:
            text = (f"{c['funders']:,} funders, {c['providers']:,} providers and {c['services']:,} services; "
                    f"{c['nodes']:,} nodes and {c['edges']:,} links drawn."
                    + (f" To keep the view readable, {net.aggregated}." if net.aggregated else ""))
        body = [html.P(text, className="small"),
                html.Details([html.Summary("The network as a table", className="small"),
                              data_table("network-nodes", table, caption="Nodes", markdown=["Name"])])]
        style = {"width": "100%", "height": f"{net.height()}px"}
        return net.elements, body, options, note, style
    except Exception as e:
        return [], [], no_update, fail(e, 1)[0], no_update


def _choosable(res: state.Result, fr) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(funder options, organisation options) of the view's place and date, by name, worked out once per analysis.

    The funders fund a provider of the place; the organisations to focus are
    those providers and those funders.
    """
    def make():
        active = nw.active_flows(fr.funding, res.analysis.as_of)
        in_view = set(res.analysis.provision["provider"])
        funders = set(active.loc[active["recipient"].isin(in_view), "funder"])

        def opts(ids):
            return sorted(({"label": res.names.organisation(o), "value": o} for o in ids),
                          key=lambda o: (o["label"].lower(), o["value"]))

        return opts(funders), opts(in_view | funders)

    return views.memo(res.analysis, "network-choosable", make)


@callback(Output("network-focus", "options"), Input("network-place", "value"), Input("network-as-of", "value"),
          Input("network-focus", "search_value"), State("network-focus", "value"))
def focus_choices(place, as_of, search, value):
    """The organisations to focus: the chosen one and those matching what is typed (a council has thousands)."""
    try:
        view, _ = state.make_view(place, None, as_of)
        res = state.analysis_for(view)
        fr = state.frames(res.view.place)
        return search_options(_choosable(res, fr)[1], search, value)
    except Exception:
        return []


@callback(Output("network-category", "value"), Input("network-graph", "tapNodeData"), prevent_initial_call=True)
def drill_down(node):
    """Selecting a service category in the view by category shows that category's own network."""
    if isinstance(node, dict) and node.get("kind") == "category" and isinstance(node.get("category"), str):
        return node["category"]
    return no_update


@callback(Output("network-selected", "children"), Input("network-graph", "tapNodeData"), prevent_initial_call=True)
def selected(node):
    """A link to the selected node's page."""
    if not isinstance(node, dict) or not node:
        return None
    if node.get("kind") == "category":
        return html.Div(f"Showing {str(node.get('name', '')).replace(chr(10), ': ')}", className="alert alert-light py-1")
    kind = str(node.get("kind") or "")
    name = str(node.get("name") or "")
    href = node.get("href")
    if isinstance(href, str) and href.startswith("/") and not href.startswith("//"):
        return html.Div([html.Span(f"{nw.KIND_LABEL.get(kind, kind)}: "),
                         dcc.Link(f"Open {name}", href=href, id="network-open")], className="alert alert-light py-1")
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
    clicks = n if isinstance(n, int) and not isinstance(n, bool) else 0
    return {"name": "preset", "fit": True, "animate": False, "padding": 20 + clicks % 2}
