"""Tables: DataTables with CSV and Excel export, detail links, and their export bytes.

Every table the dashboard shows is built by :func:`data_table`; its two
export buttons go through one callback (``dashboard/exports.py``) to
:func:`export_bytes`. Names people read are links to the detail pages,
written as markdown with every markdown character escaped, so user text is
always shown as text.
"""

from __future__ import annotations

import io
import math
import re
import urllib.parse
from typing import Any, Iterable, NamedTuple

import pandas as pd
from dash import dash_table, dcc, html

#: rows a table sends to the browser (tables are ordered worst first, so these are the ones that matter)
MAX_ROWS = 2000

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
_MD_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\([^)]*\)")
_MD_UNESCAPE = re.compile(r"\\(.)")


def escape_md(text: Any) -> str:
    """Text safe to put in a markdown cell: every markdown character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))


def detail_href(kind: str, key: str, search: str = "") -> str:
    """``/organisation/<id>`` or ``/service/<id>`` (id percent-encoded), with a query string."""
    return f"/{kind}/{urllib.parse.quote(str(key), safe='')}{search}"


def md_link(text: Any, href: str) -> str:
    return f"[{escape_md(text)}]({href})"


def plain(value: Any) -> Any:
    """A cell as its text: markdown links become their text, escapes are undone."""
    if not isinstance(value, str):
        return value
    if "](" in value or "\\" in value:
        value = _MD_LINK.sub(lambda m: m.group(1), value)
        value = _MD_UNESCAPE.sub(r"\1", value)
    return value


def _cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (list, tuple, set)):
        return "; ".join(str(x) for x in v)
    if hasattr(v, "isoformat"):
        try:
            if pd.isna(v):
                return None
        except (TypeError, ValueError):
            pass
        return v.isoformat()[:10]
    if hasattr(v, "item"):
        return v.item()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as JSON-safe dicts (NaN → None, dates → ISO, lists → ``a; b``)."""
    return [{k: _cell(v) for k, v in row.items()} for row in df.to_dict("records")]


class TableFill(NamedTuple):
    """What a table shows, apart from its place on the page: see :func:`table_fill`."""

    caption: str | None
    count: str | None
    empty: str | None
    columns: list[dict[str, Any]]
    data: list[dict[str, Any]]
    sort_by: list[dict]
    row_style: list[dict]


def table_fill(df: pd.DataFrame, *, markdown: Iterable[str] = (), numeric: dict[str, int] | None = None,
               caption: str | None = None, empty: str = "Nothing to show.", sort_by: list[dict] | None = None,
               row_style: list[dict] | None = None, max_rows: int = MAX_ROWS) -> TableFill:
    """The columns, rows, caption and row count of a table of ``df`` (see :func:`data_table` for the options)."""
    markdown = set(markdown)
    numeric = numeric or {}
    total = len(df)
    if total > max_rows:  # the browser stays quick; the note says where the rest is
        df = df.iloc[:max_rows]
    columns = []
    for c in df.columns:
        col: dict[str, Any] = {"name": str(c), "id": str(c)}
        if c in markdown:
            col["presentation"] = "markdown"
        elif c in numeric:
            col["type"] = "numeric"
            col["format"] = {"specifier": f",.{numeric[c]}f"}
        columns.append(col)
    count = (f"{total:,} row(s)" if total <= max_rows else
             f"first {max_rows:,} of {total:,} rows (all of them: `ecomap analyse --json`)")
    return TableFill(caption, count, empty, columns, records(df), sort_by or [], row_style or [])


def _buttons(table_id: str, caption: Any, count: Any, label: str | None) -> html.Div:
    return html.Div([
        html.Span(caption, className="fw-semibold me-auto", id=f"{table_id}-caption"),
        html.Span(count, className="text-muted small me-2", id=f"{table_id}-count"),
        html.Button("CSV", id={"type": "ecomap-export-csv", "table": table_id}, n_clicks=0,
                    className="btn btn-sm btn-outline-secondary me-1",
                    **{"aria-label": f"Download {label or 'table'} as CSV"}),
        html.Button("Excel", id={"type": "ecomap-export-xlsx", "table": table_id}, n_clicks=0,
                    className="btn btn-sm btn-outline-secondary",
                    **{"aria-label": f"Download {label or 'table'} as Excel (XLSX)"}),
        dcc.Download(id={"type": "ecomap-download", "table": table_id}),
    ], className="d-flex align-items-center mb-1")


def _table(table_id: str, fill: TableFill, page_size: int) -> dash_table.DataTable:
    return dash_table.DataTable(
        id={"type": "ecomap-table", "table": table_id},
        columns=fill.columns, data=fill.data, page_size=page_size, sort_action="native", filter_action="native",
        sort_mode="multi", sort_by=fill.sort_by,
        style_table=_style_table(fill),
        style_cell={"textAlign": "left", "whiteSpace": "normal", "height": "auto", "fontSize": "0.9rem",
                    "fontFamily": "var(--bs-body-font-family)", "padding": "4px 8px"},
        style_header={"fontWeight": "bold", "backgroundColor": "#f1f3f5"},
        style_data_conditional=fill.row_style,
        markdown_options={"html": False, "link_target": "_self"},
        filter_options={"case": "insensitive", "placeholder_text": "filter…"},
    )


def _style_table(fill: TableFill) -> dict[str, Any]:
    return {"overflowX": "auto", **({"display": "none"} if not fill.data else {})}


def data_table(table_id: str, df: pd.DataFrame, *, markdown: Iterable[str] = (), numeric: dict[str, int] | None = None,
               page_size: int = 15, caption: str | None = None, empty: str = "Nothing to show.",
               sort_by: list[dict] | None = None, row_style: list[dict] | None = None,
               max_rows: int = MAX_ROWS) -> html.Div:
    """A sortable, filterable table with CSV and Excel export.

    ``table_id`` is page-prefixed (``gaps-coverage``); ``markdown`` names
    columns holding links; ``numeric`` maps columns to decimal places.
    Column headers are ``df``'s column names, so pass readable ones.
    """
    fill = table_fill(df, markdown=markdown, numeric=numeric, caption=caption, empty=empty, sort_by=sort_by,
                      row_style=row_style, max_rows=max_rows)
    body = [html.P(empty, className="text-muted fst-italic") if not fill.data else None, _table(table_id, fill, page_size)]
    return html.Div([_buttons(table_id, caption, fill.count, caption), *body], className="ecomap-table mb-4",
                    id=f"{table_id}-wrap")


def mounted_table(table_id: str, *, label: str, page_size: int = 15) -> html.Div:
    """A :func:`data_table` that stays on the page while its callback fills it (:func:`table_outputs`,
    :func:`table_values`): a table made anew on every filter change cost the browser a new table each time.
    ``label`` names the table for the export buttons."""
    empty = TableFill(None, "", "", [], [], [], [])
    return html.Div([_buttons(table_id, None, None, label),
                     html.P(id=f"{table_id}-empty", className="text-muted fst-italic", hidden=True),
                     _table(table_id, empty, page_size)], className="ecomap-table mb-4", id=f"{table_id}-wrap")


def deferred(wrap: Any) -> tuple[Any, str | None]:
    """A :func:`data_table` whose table is drawn only when a person first opens the disclosure it sits in.

    The table's component goes to the browser as data (``ecomap-lazy-rows``)
    and its place holds an empty slot (``ecomap-lazy-slot``), which
    :data:`FILL_ON_OPEN` fills from the browser. Closed, a table of two
    thousand rows cost each page a quarter of a second of the browser's time.
    Returns the wrap and the table's id, or ``wrap`` and ``None`` when it is
    not a :func:`data_table`.
    """
    kids = getattr(wrap, "children", None)
    slot = getattr(kids[2], "id", None) if isinstance(kids, list) and len(kids) == 4 else None
    if isinstance(slot, dict) and slot.get("type") == "ecomap-lazy-slot":  # deferred already
        return wrap, str(slot["table"])
    if not (isinstance(kids, list) and len(kids) == 3 and isinstance(kids[2], dash_table.DataTable)
            and isinstance(getattr(kids[2], "id", None), dict)):
        return wrap, None
    table = kids[2]
    key = str(table.id["table"])
    wrap.children = [kids[0], kids[1], html.Div(id={"type": "ecomap-lazy-slot", "table": key}),
                     dcc.Store(id={"type": "ecomap-lazy-rows", "table": key}, data=table.to_plotly_json())]
    return wrap, key


#: fills a deferred table's slot once its disclosure is first opened (the summary's click), or at once when the
#: disclosure is already open (a page's body drawn again over an open one keeps it open)
FILL_ON_OPEN = """
function(clicks, spec, shown) {
    if (!spec || shown) { return window.dash_clientside.no_update; }
    const key = window.dash_clientside.callback_context.outputs_list.id.table;
    const box = document.querySelector('details[data-ecomap-table="' + CSS.escape(key) + '"]');
    return (clicks || (box && box.open)) ? spec : window.dash_clientside.no_update;
}
"""


def table_outputs(table_id: str) -> list:
    """The outputs that fill a :func:`mounted_table`, in the order of :func:`table_values`."""
    from dash import Output

    t = {"type": "ecomap-table", "table": table_id}
    return [Output(f"{table_id}-caption", "children"), Output(f"{table_id}-count", "children"),
            Output(f"{table_id}-empty", "children"), Output(f"{table_id}-empty", "hidden"),
            Output(t, "columns"), Output(t, "data"), Output(t, "sort_by"), Output(t, "style_data_conditional"),
            Output(t, "style_table"), Output(t, "filter_query"), Output(t, "page_current")]


def table_values(fill: TableFill | None) -> list:
    """The values of :func:`table_outputs` for ``fill``; ``None`` empties the table. The table's filter and page
    start again, as they did when the table was made anew."""
    if fill is None:
        fill = TableFill(None, None, None, [], [], [], [])  # type: ignore[arg-type]
    return [fill.caption, fill.count, fill.empty if not fill.data else None, bool(fill.data) or not fill.empty,
            fill.columns, fill.data, fill.sort_by, fill.row_style, _style_table(fill), "", 0]


def export_bytes(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> bytes:
    """The table as a CSV (UTF-8 with BOM, for Excel) or XLSX file; link cells as their text.

    Text that a spreadsheet would run as a formula (``=HYPERLINK(…)`` in a name) is made inert.
    """
    from ecosystem.export import inert

    df = pd.DataFrame([{c: inert(plain(r.get(c))) for c in columns} for r in rows or []], columns=columns)
    if fmt == "csv":
        return df.to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            df.to_excel(xw, index=False, sheet_name="ecomap")
        return buf.getvalue()
    raise ValueError(f"unknown export format {fmt!r}; use csv or xlsx")


def export_name(table_id: str, fmt: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", table_id).strip("-") or "table"
    return f"ecomap-{safe}.{fmt}"
