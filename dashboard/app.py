"""The Dash app: the app itself, the navbar and the page container (pages live in ``dashboard/pages/``).

Dash pages keep a process-wide registry, so there is one app per process:
:func:`create_app` builds it once and later calls only change what it reads
from.
"""

from __future__ import annotations

import logging
import pathlib
import sys
import urllib.parse
from typing import Any, Mapping

import dash
import dash_bootstrap_components as dbc
from dash import Dash, html

from dashboard import state

log = logging.getLogger(__name__)

ASSETS = pathlib.Path(__file__).parent / "assets"
NAV = [("/", "Overview"), ("/gaps", "Gaps"), ("/duplication", "Duplication"), ("/fragility", "Fragility"),
       ("/network", "Network"), ("/funding", "Funding"), ("/scenario", "Scenario"), ("/data", "Data"),
       ("/workshop", "Workshop")]

_APP: Dash | None = None


def navbar() -> dbc.Navbar:
    links = [html.Li(html.A(label, href=path, className="nav-link"), className="nav-item") for path, label in NAV]
    return dbc.Navbar(dbc.Container([
        html.A("ecomap", href="/", className="navbar-brand fw-bold"),
        html.Ul(links, className="navbar-nav flex-row flex-wrap me-auto gap-3"),
    ], fluid=True), id="app-navbar", color="dark", dark=True, expand=True, className="mb-3")


def create_app(source: Any = None, *, query: Mapping[str, str] | None = None) -> Dash:
    """The dashboard over ``source``.

    ``source``: a :class:`~ecosystem.store.GraphStore`, an
    :class:`~ecosystem.service.Ecomap`, a callable returning one of them, or
    ``None`` for the default store (opened on first use). ``query``: the
    view shown when a URL names none (``place``, ``as_of``, …).
    """
    global _APP
    state.configure(source, defaults=query)
    if _APP is None:
        app = Dash(__name__, use_pages=True, pages_folder="", assets_folder=str(ASSETS), serve_locally=True,
                   title="ecomap", update_title=None, suppress_callback_exceptions=True,
                   meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}])
        # screen readers and translation tools read the page as British English
        app.index_string = app.index_string.replace("<html>", '<html lang="en-GB">', 1)
        import dashboard.exports  # noqa: F401  (the export callbacks every table uses)
        from dashboard import pages

        pages.register_all()
        app.layout = html.Div([
            html.A("Skip to main content", href="#main", className="skip-link"),
            navbar(),
            html.Main(dash.page_container, id="main", className="container-fluid", tabIndex="-1"),
        ])
        _APP = app
    return _APP


def run_server(host: str = "127.0.0.1", port: int = 8050, query: Mapping[str, str] | None = None,
               source: Any = None, debug: bool = False) -> int:
    """Serve the dashboard until interrupted (binds 127.0.0.1 unless told otherwise)."""
    app = create_app(source, query=query)
    import threading

    threading.Thread(target=state.warm, name="ecomap-warm", daemon=True).start()
    search = "?" + urllib.parse.urlencode({k: v for k, v in (query or {}).items() if v}) if query else ""
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    print(f"ecomap dashboard: http://{shown}:{port}/{search}  (Ctrl+C to stop)", file=sys.stderr)
    app.run(host=host, port=port, debug=debug, use_reloader=False)
    return 0
