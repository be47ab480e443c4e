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
from typing import Any, Iterable

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


def data_table(table_id: str, df: pd.DataFrame, *, markdown: Iterable[str] = (), numeric: dict[str, int] | None = None,
               page_size: int = 15, caption: str | None = None, empty: str = "Nothing to show.",
               sort_by: list[dict] | None = None, row_style: list[dict] | None = None,
               max_rows: int = MAX_ROWS) -> html.Div:
    """A sortable, filterable table with CSV and Excel export.

    ``table_id`` is page-prefixed (``gaps-coverage``); ``markdown`` names
    columns holding links; ``numeric`` maps columns to decimal places.
    Column headers are ``df``'s column names, so pass readable ones.
    """
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
    data = records(df)
    head = [html.Span(caption, className="fw-semibold me-auto")] if caption else [html.Span(className="me-auto")]
    buttons = html.Div(head + [
        html.Span(f"{total:,} row(s)" if total <= max_rows else
                  f"first {max_rows:,} of {total:,} rows (all of them: `ecomap analyse --json`)",
                  className="text-muted small me-2"),
        html.Button("CSV", id={"type": "ecomap-export-csv", "table": table_id}, n_clicks=0,
                    className="btn btn-sm btn-outline-secondary me-1",
                    **{"aria-label": f"Download {caption or 'table'} as CSV"}),
        html.Button("Excel", id={"type": "ecomap-export-xlsx", "table": table_id}, n_clicks=0,
                    className="btn btn-sm btn-outline-secondary",
                    **{"aria-label": f"Download {caption or 'table'} as Excel (XLSX)"}),
        dcc.Download(id={"type": "ecomap-download", "table": table_id}),
    ], className="d-flex align-items-center mb-1")
    hidden = {"display": "none"} if not len(df) else {}
    body = [html.P(empty, className="text-muted fst-italic") if not len(df) else None,
            dash_table.DataTable(
                id={"type": "ecomap-table", "table": table_id},
                columns=columns, data=data, page_size=page_size, sort_action="native", filter_action="native",
                sort_mode="multi", sort_by=sort_by or [],
                style_table={"overflowX": "auto", **hidden},
                style_cell={"textAlign": "left", "whiteSpace": "normal", "height": "auto", "fontSize": "0.9rem",
                            "fontFamily": "inherit", "padding": "4px 8px"},
                style_header={"fontWeight": "bold", "backgroundColor": "#f1f3f5"},
                style_data_conditional=row_style or [],
                markdown_options={"html": False, "link_target": "_self"},
                filter_options={"case": "insensitive", "placeholder_text": "filter…"},
            )]
    return html.Div([buttons, *body], className="ecomap-table mb-4", id=f"{table_id}-wrap")


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
