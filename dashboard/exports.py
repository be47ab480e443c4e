"""The callbacks every table shares: CSV and Excel downloads, and drawing a chart's table when its disclosure is
first opened (:func:`dashboard.components.tables.deferred`), drawing a chart below the first screen when it comes
near (:func:`dashboard.components.layout.graph`); one pattern-matching callback each."""

from __future__ import annotations

from dash import MATCH, Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from dashboard.components.layout import FILL_CHART
from dashboard.components.tables import FILL_ON_OPEN, export_bytes, export_name

clientside_callback(FILL_ON_OPEN, Output({"type": "ecomap-lazy-slot", "table": MATCH}, "children"),
                    Input({"type": "ecomap-lazy-open", "table": MATCH}, "n_clicks"),
                    Input({"type": "ecomap-lazy-rows", "table": MATCH}, "data"),
                    State({"type": "ecomap-lazy-slot", "table": MATCH}, "children"))

clientside_callback(FILL_CHART, Output({"type": "ecomap-lazy-chart", "chart": MATCH}, "children"),
                    Input({"type": "ecomap-lazy-chart", "chart": MATCH}, "n_clicks"),
                    State({"type": "ecomap-lazy-figure", "chart": MATCH}, "data"), prevent_initial_call=True)


@callback(Output({"type": "ecomap-download", "table": MATCH}, "data"),
          Input({"type": "ecomap-export-csv", "table": MATCH}, "n_clicks"),
          Input({"type": "ecomap-export-xlsx", "table": MATCH}, "n_clicks"),
          State({"type": "ecomap-table", "table": MATCH}, "derived_virtual_data"),
          State({"type": "ecomap-table", "table": MATCH}, "data"),
          State({"type": "ecomap-table", "table": MATCH}, "columns"),
          prevent_initial_call=True)
def export_table(_csv, _xlsx, shown, data, columns, *, trigger=None):
    """The table as shown (filtered and sorted) as a file download."""
    trigger = trigger or ctx.triggered_id
    if not isinstance(trigger, dict) or not isinstance(columns, list) or not columns:
        return no_update
    fmt = "xlsx" if str(trigger.get("type")).endswith("xlsx") else "csv"
    rows = shown if isinstance(shown, list) else data
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    ids = [str(c["id"]) for c in columns if isinstance(c, dict) and c.get("id") is not None]
    if not ids:
        return no_update
    return dcc.send_bytes(export_bytes(rows or [], ids, fmt), export_name(str(trigger.get("table") or "table"), fmt))
