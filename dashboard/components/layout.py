"""Layout pieces every page uses: the view controls, messages, figure cards and charts with a table alternative."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Output, dcc, html

from ecosystem.model import DEFAULT_CURRENCY
from ecosystem.money import SYMBOLS
from dashboard.components.tables import deferred
from dashboard.state import LEVEL_ORDER, Names, View


def graph_config(filename: str) -> dict[str, Any]:
    """dcc.Graph config: PNG download from the mode bar, no logo, no external links."""
    return {"displaylogo": False, "showLink": False, "showSendToCloud": False, "showEditInChartStudio": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def message(text: str | None, kind: str = "danger") -> Any:
    """A readable message box (Bootstrap alert), or nothing. ``text`` is shown as text."""
    if not text:
        return None
    return html.Div(text, className=f"alert alert-{kind} mb-3", role="alert" if kind == "danger" else "status")


def messages(notes: list[str], kind: str = "warning") -> list:
    return [message(n, kind) for n in notes if n]


def place_options(places: pd.DataFrame) -> list[dict[str, str]]:
    """Dropdown options ``Name (level)`` for every place, larger areas first."""
    if not len(places):
        return []
    p = places.assign(_rank=[LEVEL_ORDER.get(str(lv), 9) for lv in places["level"]])
    p = p.sort_values(["depth", "_rank", "name", "code"], kind="stable")
    return [{"label": f"{r.name} ({r.level})" if r.level else str(r.name), "value": str(r.code)}
            for r in p.itertuples(index=False)]


def category_options(names: Names) -> list[dict[str, str]]:
    return [{"label": n, "value": c} for c, n in sorted(names.categories.items(), key=lambda kv: (kv[1], kv[0]))]


def scenario_options(saved: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"label": "Baseline (no scenario)", "value": ""}] + [
        {"label": f"{s['name']} (saved {str(s.get('saved') or '')[:10]})", "value": s["id"]} for s in saved]


def controls(prefix: str, view: View, *, places: list[dict], categories: list[dict] | None = None,
             scenarios: list[dict] | None = None, extra: list | None = None) -> html.Div:
    """The view controls (place, category, date, scenario) with page-prefixed ids.

    ``categories=None`` or ``scenarios=None`` leaves that control out.
    """
    cols = [html.Div([
        html.Label("Place", htmlFor=f"{prefix}-place", className="form-label small mb-0"),
        dcc.Dropdown(id=f"{prefix}-place", options=places, value=view.place, clearable=False,
                     placeholder="Choose a place"),
    ], className="col-md-4")]
    if categories is not None:
        cols.append(html.Div([
            html.Label("Category", htmlFor=f"{prefix}-category", className="form-label small mb-0"),
            dcc.Dropdown(id=f"{prefix}-category", options=categories, value=view.category, clearable=True,
                         placeholder="All categories"),
        ], className="col-md-3"))
    cols.append(html.Div([
        html.Label("As of", htmlFor=f"{prefix}-as-of", className="form-label small mb-0"),
        dcc.Input(id=f"{prefix}-as-of", type="date", value=view.as_of.isoformat(), debounce=False,
                  className="form-control", required=True),
    ], className="col-md-2"))
    if scenarios is not None:
        cols.append(html.Div([
            html.Label("Scenario", htmlFor=f"{prefix}-scenario", className="form-label small mb-0"),
            dcc.Dropdown(id=f"{prefix}-scenario", options=scenarios, value=view.scenario or "", clearable=False),
        ], className="col-md-3"))
    cols += extra or []
    return html.Div([dcc.Store(id=f"{prefix}-url"),
                     html.Div(cols, className="row g-2 align-items-end")],
                    className="ecomap-controls mb-3", role="search", **{"aria-label": "View"})


def figure_cards(items: list[tuple[str, str, str | None]], *, prefix: str | None = None) -> html.Div:
    """Headline figures as cards: (label, value, note). With ``prefix`` their texts have ids for a callback to
    fill (:func:`card_outputs`, :func:`card_values`), so the cards stay on the page as their figures change."""
    def ids(i: int, part: str) -> dict:
        return {"id": f"{prefix}-card-{i}-{part}"} if prefix else {}

    cards = []
    for i, (label, value, note) in enumerate(items):
        cards.append(html.Div(html.Div([
            html.Div(label, className="small text-muted", **ids(i, "label")),
            html.Div(value, className="fs-4 fw-semibold", **ids(i, "value")),
            html.Div(note, className="small text-muted", **ids(i, "note")) if note or prefix else None,
        ], className="card-body py-2"), className="card h-100"))
    return html.Div([html.Div(c, className="col", role="listitem") for c in cards],
                    className="row row-cols-2 row-cols-md-3 row-cols-xl-6 g-2 mb-3", role="list",
                    **{"aria-label": "Headline figures"})


def card_outputs(prefix: str, n: int) -> list:
    """The outputs that fill ``n`` cards made by ``figure_cards(..., prefix=prefix)``, in :func:`card_values` order."""
    return [Output(f"{prefix}-card-{i}-{part}", "children") for i in range(n) for part in ("label", "value", "note")]


def card_values(items: list[tuple[str, str, str | None]] | None, n: int) -> list:
    """The texts of :func:`card_outputs` for ``items`` (``None``: every card blank)."""
    items = list(items or [])
    if len(items) > n:
        raise ValueError(f"{len(items)} figures for {n} cards")
    items += [(None, None, None)] * (n - len(items))
    return [x for item in items for x in item]


#: the height a chart is drawn at when its figure does not say (Plotly's own default)
CHART_HEIGHT = 450


def graph(graph_id: str, fig: go.Figure, *, filename: str | None = None, lazy: bool = False) -> Any:
    """A chart's ``dcc.Graph``, or with ``lazy`` a slot of the chart's height that draws it when it comes near the
    screen (``ecomap.js`` watches the slot; :data:`FILL_CHART` puts the graph in it).

    A chart below the first screen cost every visit to its page a tenth of a second of the browser's time before
    the page settled, though nobody sees it until they scroll: lazily, it is drawn as it comes within a few hundred
    pixels of the screen (or when the page is printed). The graph keeps its id once drawn."""
    g = dcc.Graph(id=graph_id, figure=fig, config=graph_config(filename or graph_id), className="ecomap-graph")
    if not lazy:
        return g
    layout = (fig.get("layout") or {}) if isinstance(fig, dict) else fig.layout
    height = (layout.get("height") if isinstance(layout, dict) else layout.height) or CHART_HEIGHT
    return html.Div([
        html.Div(html.P("Drawing the chart…", className="small text-muted mb-0 p-2 ecomap-lazy-note"),
                 id={"type": "ecomap-lazy-chart", "chart": graph_id}, className="ecomap-lazy-chart",
                 style={"minHeight": f"{int(height)}px"}),
        dcc.Store(id={"type": "ecomap-lazy-figure", "chart": graph_id}, data=g.to_plotly_json()),
    ])


#: fills a lazy chart's slot (:func:`graph`) when ``ecomap.js`` says it has come near the screen (its ``n_clicks``)
FILL_CHART = """
function(seen, spec) {
    return (seen && spec) ? spec : window.dash_clientside.no_update;
}
"""


def chart(graph_id: str, fig: go.Figure, table: Any, *, title: str, description: str | None = None,
          filename: str | None = None, lazy: bool = False) -> html.Section:
    """A chart, the text saying what it shows, and its table alternative (a disclosure under it, its table drawn
    when first opened: :func:`~dashboard.components.tables.deferred`). ``lazy``: a chart below the first screen,
    drawn when it comes near (:func:`graph`)."""
    table, key = deferred(table)
    summary = html.Summary(f"{title}: as a table", className="small",
                           **({"id": {"type": "ecomap-lazy-open", "table": key}} if key else {}))
    return html.Section([
        html.H2(title, className="h5 mt-2"),
        html.P(description, className="small text-muted mb-1") if description else None,
        html.Div(graph(graph_id, fig, filename=filename, lazy=lazy), role="figure",
                 **{"aria-label": f"{title} (chart; the same figures are in the table below it)"}),
        html.Details([summary, table], className="mb-3", **({"data-ecomap-table": key} if key else {})),
    ], className="mb-3")


def money(v: float | None, currency: str | None = None) -> str:
    """A short amount for a card: ``£1.2m``, ``£35k``, ``US$900``, ``MXN 1.3m``."""
    if v is None:
        return "–"
    code = currency or DEFAULT_CURRENCY
    symbol = SYMBOLS.get(code)
    pre = symbol if symbol else f"{code} "
    v = float(v)
    sign, v = ("-" if v < 0 else ""), abs(v)
    if v >= 1e6:
        return f"{sign}{pre}{v / 1e6:,.1f}m"
    if v >= 1e3:
        return f"{sign}{pre}{v / 1e3:,.0f}k"
    return f"{sign}{pre}{v:,.0f}"


def amount_header(currency: str | None) -> str:
    """A table column heading for amounts in ``currency``: ``Amount £``, ``Amount USD``."""
    code = currency or DEFAULT_CURRENCY
    return "Amount £" if code == DEFAULT_CURRENCY else f"Amount {code}"


def people(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def scenario_banner(name: str | None, view: View) -> Any:
    if not name:
        return None
    return html.Div([html.Strong("Scenario: "), html.Span(name),
                     html.Span(" — figures show the analysis with this scenario's changes. ", className="small"),
                     dcc.Link("Back to the baseline", href=view.search(scenario=None) or "?", className="small")],
                    className="alert alert-info py-2", role="status")


def today() -> dt.date:
    return dt.date.today()
