"""The data page: what is loaded, and loading an uploaded file (pure helpers plus the view)."""

from __future__ import annotations

import base64
import binascii
import json
import pathlib
import re
from typing import Any

import pandas as pd
from dash import html

from dashboard.components.layout import figure_cards
from dashboard.components.tables import data_table

#: formats the upload offers (``auto`` guesses from the files)
FORMATS = ["auto", "template", "360giving", "openreferral", "ocds", "needs", "geography"]
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the default; `ecomap serve --max-upload-mb` sets the running one


def safe_filename(name: str) -> str:
    """A file name with no folders and only ordinary characters (``../x.csv`` → ``x.csv``)."""
    base = pathlib.PurePath(str(name).replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base or "upload"


def save_uploads(contents: list[str] | str, filenames: list[str] | str, folder: pathlib.Path, *,
                 limit: int = MAX_UPLOAD_BYTES) -> list[pathlib.Path]:
    """Write ``dcc.Upload`` contents (``data:…;base64,…``) into ``folder``; returns the paths written.

    Raises ValueError for contents that are not base64 data URLs or too large.
    """
    if isinstance(contents, str):
        contents, filenames = [contents], [filenames]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for content, name in zip(contents or [], filenames or []):
        head, sep, b64 = (content or "").partition(",")
        if not sep or ";base64" not in head:
            raise ValueError(f"the upload of {name!r} could not be read (not a file upload)")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"the upload of {name!r} is damaged (bad base64)") from None
        if len(raw) > limit:
            raise ValueError(f"{name!r} is larger than {limit // 2**20} MB; load it with `ecomap load` instead")
        p = folder / safe_filename(name)
        p.write_bytes(raw)
        paths.append(p)
    if not paths:
        raise ValueError("no file was uploaded")
    return paths


def load_paths(paths: list[pathlib.Path], folder: pathlib.Path) -> list[pathlib.Path]:
    """What to hand the loader: the one file, or the folder when several files make one template."""
    return paths if len(paths) == 1 else [folder]


def default_source(filenames: list[str] | str) -> str:
    """The source an upload is named after, as ``ecomap load`` names one: the file name; several joined with ``+``.

    Several files are sorted first, so the same set of template CSVs is the
    same source however they were picked.
    """
    names = [filenames] if isinstance(filenames, str) else [n for n in (filenames or []) if isinstance(n, str)]
    names = [safe_filename(n) for n in names]
    return "+".join(sorted(names) if len(names) > 1 else names) or "upload"


def table_counts(tables: Any) -> dict[str, int]:
    """Rows per table of prepared :class:`~ecosystem.model.CanonicalTables` (tables with rows only)."""
    out = {}
    for name, df in (getattr(tables, "tables", None) or {}).items():
        n = len(df) if df is not None else 0
        if n:
            out[name] = n
    return out


def counts_text(counts: dict[str, int]) -> str:
    """``{"organisations": 3, "services": 1}`` → ``3 organisations, 1 services`` (empty when there is nothing)."""
    return ", ".join(f"{v:,} {k}" for k, v in counts.items() if v)


def replace_view(source: str, existing: dict[str, Any], incoming: dict[str, int]) -> Any:
    """The question before an upload replaces a source: what it has now and what the upload brings, per table."""
    tables = sorted(set(existing.get("tables") or {}) | set(incoming))
    rows = [{"Table": t, "Now (goes)": int((existing.get("tables") or {}).get(t, 0)), "This upload": int(incoming.get(t, 0))}
            for t in tables]
    when = str(existing.get("last_loaded") or "")[:16].replace("T", " ")
    return html.Div([
        html.P([f"Source “{source}” is already loaded", f" (last on {when})" if when else "",
                ". Loading this upload replaces everything that source contributed: the rows below under “Now” go, "
                "and the upload's rows take their place. Nothing has been changed yet."]),
        html.Table([html.Thead(html.Tr([html.Th(c) for c in ("Table", "Now (goes)", "This upload")])),
                    html.Tbody([html.Tr([html.Td(r["Table"]), html.Td(f"{r['Now (goes)']:,}"),
                                         html.Td(f"{r['This upload']:,}")]) for r in rows])],
                   className="table table-sm w-auto", id="data-replace-table"),
        html.P("To keep both, cancel and upload again with a different source name.", className="small"),
        html.Div([html.Button(f"Replace “{source}”", id="data-replace", n_clicks=0, type="button",
                              className="btn btn-danger me-2"),
                  html.Button("Cancel", id="data-replace-cancel", n_clicks=0, type="button",
                              className="btn btn-outline-secondary")]),
    ], className="alert alert-warning", role="alert", id="data-replace-question")


def unload_view(preview: dict[str, Any]) -> Any:
    """What unloading a source would do (from :func:`ecosystem.sources.unload_preview`), with the buttons."""
    source = preview["source"]
    gone, kept = preview["delete"], preview["release"]
    rows = [{"What": k, "Kind": "node", "Goes": v} for k, v in gone["nodes"].items()] + \
        [{"What": k, "Kind": "relationship", "Goes": v} for k, v in gone["relationships"].items()]
    shared = counts_text({**kept["nodes"], **kept["relationships"]})
    body: list = [html.P(f"Unloading “{source}” takes out what only it contributed "
                         f"({preview.get('runs', 0)} load run(s)). Nothing has been changed yet.")]
    if rows:
        body.append(html.Table([html.Thead(html.Tr([html.Th("What"), html.Th("Kind"), html.Th("Goes")])),
                                html.Tbody([html.Tr([html.Td(r["What"]), html.Td(r["Kind"]), html.Td(f"{r['Goes']:,}")])
                                            for r in rows])], className="table table-sm w-auto",
                               id="data-unload-table"))
    else:
        body.append(html.P("It contributed nothing of its own."))
    if shared:
        body.append(html.P(f"Shared with other sources, so kept (they no longer list “{source}”): {shared}.",
                           className="small"))
    if preview.get("blockers"):
        parts = "; ".join(f"{b['count']:,} {b['type']} from “{b['other']}”" for b in preview["blockers"][:5])
        body.append(html.P(f"It cannot be unloaded now: other sources' links use what only it contributed ({parts}). "
                           "Unload those sources first.", className="fw-bold"))
        return html.Div(body, className="alert alert-secondary", role="status", id="data-unload-question")
    body.append(html.Div([html.Button(f"Unload “{source}”", id="data-unload-confirm", n_clicks=0, type="button",
                                      className="btn btn-danger me-2"),
                          html.Button("Cancel", id="data-unload-cancel", n_clicks=0, type="button",
                                      className="btn btn-outline-secondary")]))
    return html.Div(body, className="alert alert-warning", role="alert", id="data-unload-question")


def sources_table(found: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [{"Source": r["source"], "Loads": r.get("runs", 0), "Last loaded": str(r.get("last_loaded") or "")[:19],
             "Rows (latest load)": counts_text(r.get("tables") or {}),
             "Files": "; ".join(str(f) for f in (r.get("files") or [])[:5])} for r in found]
    return pd.DataFrame(rows, columns=["Source", "Loads", "Last loaded", "Rows (latest load)", "Files"])


def _json(v: Any, default: Any) -> Any:
    if isinstance(v, (dict, list)):
        return v
    try:
        return json.loads(v) if v else default
    except (TypeError, ValueError):
        return default


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Load runs, newest first, with their row counts summarised."""
    rows = []
    for r in runs.to_dict("records"):
        counts = _json(r.get("counts"), {})
        warns = _json(r.get("warnings"), [])
        rows.append({"Source": r.get("source"), "Format": r.get("format"), "Finished": str(r.get("finished") or "")[:19],
                     "Status": r.get("status"),
                     "Rows": ", ".join(f"{v:,} {k}" for k, v in counts.items() if v) if isinstance(counts, dict) else "",
                     "Warnings": len(warns) if isinstance(warns, list) else 0,
                     "Files": "; ".join(r.get("paths") or []) if isinstance(r.get("paths"), list) else r.get("paths"),
                     "Run": r.get("id")})
    return pd.DataFrame(rows, columns=["Source", "Format", "Finished", "Status", "Rows", "Warnings", "Files", "Run"])


def warnings_table(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in runs.to_dict("records"):
        for w in _json(r.get("warnings"), []) or []:
            rows.append({"Source": r.get("source"), "Run": r.get("id"), "Warning": str(w)})
    return pd.DataFrame(rows, columns=["Source", "Run", "Warning"])


def status_view(kind: str, location: str, counts: dict[str, dict[str, int]], runs: pd.DataFrame,
                sources: list[dict[str, Any]] | None = None, unplaced: Any = None) -> list:
    """What is in the store; ``unplaced``: the panel of organisations with no place, shown under the counts."""
    n, r = counts.get("nodes", {}), counts.get("relationships", {})
    cards = figure_cards([("Places", f"{n.get('Place', 0):,}", None), ("Categories", f"{n.get('Category', 0):,}", None),
                          ("Organisations", f"{n.get('Organisation', 0):,}", None),
                          ("Services", f"{n.get('Service', 0):,}", None), ("Needs", f"{n.get('Need', 0):,}", None),
                          ("Funding flows", f"{r.get('FUNDS', 0):,}", f"{r.get('PARTNERS_WITH', 0):,} partnerships")])
    counts_df = pd.DataFrame([{"Kind": "node", "Label or type": k, "Count": v} for k, v in n.items()]
                             + [{"Kind": "relationship", "Label or type": k, "Count": v} for k, v in r.items()],
                             columns=["Kind", "Label or type", "Count"])
    return [
        html.P(f"Store: {kind} at {location}", className="small text-muted", id="data-store"),
        cards,
        unplaced,
        data_table("data-sources", sources_table(sources or []), caption="Sources",
                   empty="No sources yet.") if sources is not None else None,
        data_table("data-runs", runs_table(runs), caption="Load runs (newest first)",
                   empty="Nothing has been loaded yet: upload a file below or run `ecomap demo`."),
        data_table("data-warnings", warnings_table(runs), caption="Validation warnings",
                   empty="No warnings from any load."),
        data_table("data-counts", counts_df, caption="Everything in the store", numeric={"Count": 0}),
    ]


def load_result_view(result: dict[str, Any]) -> Any:
    counts = result.get("counts") or {}
    what = ", ".join(f"{v:,} {k}" for k, v in counts.items() if v) or "no rows"
    if result.get("status") == "unchanged":
        text = f"Source “{result.get('source')}” is unchanged since its last load; nothing was written."
    else:
        text = f"Loaded source “{result.get('source')}”: {what}. Every page now shows the new data."
    warns = result.get("warnings") or []
    return html.Div([html.Div(text), html.Ul([html.Li(str(w)) for w in warns[:20]]) if warns else None],
                    className="alert alert-success", role="status", id="data-load-result")


#: the command line's advice when no format was recognised, and the page's words for it
_FORMAT_ADVICE = re.compile(r"\. Pass --format [a-z0-9|]+$")
PAGE_FORMAT_ADVICE = ". Choose its format in the Format list above and upload it again."


def page_text(text: Any, folder: pathlib.Path) -> Any:
    """A loader's message as the page shows it: uploaded files by their own names (not the server's temporary
    folder) and the page's advice where the command line's would be."""
    if not isinstance(text, str):
        return text
    return _FORMAT_ADVICE.sub(PAGE_FORMAT_ADVICE, text.replace(str(folder).rstrip("/") + "/", ""))


def for_the_page(error: Any, folder: pathlib.Path) -> Any:
    """A :class:`~ecosystem.model.ValidationError` with every issue and warning put as :func:`page_text` puts it."""
    import dataclasses

    from ecosystem.model import ValidationError

    def mend(text: Any) -> Any:
        return page_text(text, folder)

    issues = [dataclasses.replace(i, source=mend(i.source) if i.source != str(folder) else "the upload",
                                  message=mend(i.message)) for i in error.issues]
    return ValidationError(issues, [mend(w) for w in error.warnings])


def issues_view(summary: str, issues: pd.DataFrame) -> Any:
    return html.Div([
        html.Div(summary.splitlines()[0] if summary else "The file was rejected; nothing was loaded.",
                 className="alert alert-danger", role="alert"),
        data_table("data-issues", issues.rename(columns=str.capitalize), caption="Problems to fix"),
    ], id="data-load-result")
