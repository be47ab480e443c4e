"""CSV and Excel downloads for every table (one pattern-matching callback for all of them)."""

from __future__ import annotations

from dash import MATCH, Input, Output, State, callback, ctx, dcc, no_update

from dashboard.components.tables import export_bytes, export_name


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
    if not trigger or not columns:
        return no_update
    fmt = "xlsx" if trigger["type"].endswith("xlsx") else "csv"
    rows = shown if shown is not None else data
    ids = [c["id"] for c in columns]
    return dcc.send_bytes(export_bytes(rows or [], ids, fmt), export_name(trigger["table"], fmt))
