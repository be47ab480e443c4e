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
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def safe_filename(name: str) -> str:
    """A file name with no folders and only ordinary characters (``../x.csv`` → ``x.csv``)."""
    base = pathlib.PurePath(str(name).replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base or "upload"


def save_uploads(contents: list[str] | str, filenames: list[str] | str, folder: pathlib.Path) -> list[pathlib.Path]:
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
        if len(raw) > MAX_UPLOAD_BYTES:
            raise ValueError(f"{name!r} is larger than {MAX_UPLOAD_BYTES // 2**20} MB; load it with `ecomap load` instead")
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
    names = [filenames] if isinstance(filenames, str) else list(filenames or [])
    if len(names) == 1:
        return pathlib.PurePath(safe_filename(names[0])).stem or "upload"
    return "upload"


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


def status_view(kind: str, location: str, counts: dict[str, dict[str, int]], runs: pd.DataFrame) -> list:
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
        data_table("data-runs", runs_table(runs), caption="Sources and load runs (newest first)",
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


def issues_view(summary: str, issues: pd.DataFrame) -> Any:
    return html.Div([
        html.Div(summary.splitlines()[0] if summary else "The file was rejected; nothing was loaded.",
                 className="alert alert-danger", role="alert"),
        data_table("data-issues", issues.rename(columns=str.capitalize), caption="Problems to fix"),
    ], id="data-load-result")
