"""The Dash app: the app itself, the navbar and the page container (pages live in ``dashboard/pages/``).

Dash pages keep a process-wide registry, so there is one app per process:
:func:`create_app` builds it once and later calls only change what it reads
from.
"""

from __future__ import annotations

import logging
import os
import pathlib
import sys
import urllib.parse
from typing import Any, Mapping

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html

from dashboard import access, state

log = logging.getLogger(__name__)

ASSETS = pathlib.Path(__file__).parent / "assets"
NAV = [("/", "Overview"), ("/gaps", "Gaps"), ("/duplication", "Duplication"), ("/fragility", "Fragility"),
       ("/network", "Network"), ("/funding", "Funding"), ("/market", "Market"), ("/scenario", "Scenario"),
       ("/data", "Data"), ("/workshop", "Workshop")]

_APP: Dash | None = None

#: plotly.js with only the traces the dashboard draws (built by ``scripts/plotly-bundle/build.sh``), served
#: where Dash's renderer asks for the full bundle: a third of its 4.8 MB, so less for the browser to fetch and
#: run on every page with a chart (and on a board member's phone)
PLOTLY_JS = pathlib.Path(__file__).parent / "vendor" / "plotly-ecomap.min.js"
PLOTLY_PATH = "/_dash-component-suites/plotly/package_data/plotly.min.js"


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.strip().split(".")[:2])


def partial_plotly() -> pathlib.Path | None:
    """The partial bundle, when it was built from the plotly.js minor version the installed plotly package
    ships (the figures' JSON is written for that one); else ``None``, and Dash serves the full bundle."""
    from plotly.offline import get_plotlyjs_version

    try:
        built = (PLOTLY_JS.parent / "plotly-ecomap.version").read_text()
    except OSError:
        built = ""
    wanted = get_plotlyjs_version()
    if not built or not PLOTLY_JS.is_file() or _minor(built) != _minor(wanted):
        log.warning("serving the full plotly.js: the dashboard's own bundle is of plotly.js %s, the plotly "
                    "package ships %s (rebuild it with scripts/plotly-bundle/build.sh)", built.strip() or "(none)",
                    wanted)
        return None
    return PLOTLY_JS


def serve_partial_plotly(server) -> None:
    """Answer the renderer's request for plotly.js with :func:`partial_plotly` (with an ETag, so a reload
    costs a 304), unless that bundle does not fit the installed plotly."""
    import flask

    bundle = partial_plotly()
    if bundle is None:
        return

    @server.before_request
    def _plotly_js():
        if flask.request.path.endswith(PLOTLY_PATH):
            return flask.send_file(bundle, mimetype="text/javascript", conditional=True, etag=True, max_age=0)
        return None


def navbar() -> dbc.Navbar:
    links = [html.Li(html.A(label, href=path, className="nav-link"), className="nav-item") for path, label in NAV]
    return dbc.Navbar(dbc.Container([
        html.A("ecomap", href="/", className="navbar-brand fw-bold"),
        html.Ul(links, className="navbar-nav flex-row flex-wrap me-auto gap-3"),
    ], fluid=True), id="app-navbar", color="dark", dark=True, expand=True, className="mb-3")


def callback_failed(e: Exception) -> None:
    """What a callback that raised answers: its outputs unchanged and a readable message at the top of the page.

    The pages catch what they expect; this is the net under them (a
    request with values no page would send, an internal callback such as
    page routing), so the answer is never an HTTP 500 with nothing shown.
    """
    from dashboard.components.layout import message

    if isinstance(e, (TypeError, KeyError, AttributeError, IndexError, ValueError)):
        log.warning("callback refused a request: %s: %s", type(e).__name__, e)
        text = "That request could not be used (a value was missing or of the wrong kind); nothing was changed."
    else:
        text = state.friendly_error(e)
    dash.set_props("app-error", {"children": message(text, "warning")})
    return None


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
                   title="ecomap", update_title=None, suppress_callback_exceptions=True, on_error=callback_failed,
                   meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}])
        # screen readers and translation tools read the page as British English
        app.index_string = app.index_string.replace("<html>", '<html lang="en-GB">', 1)
        access.install(app.server)  # host, login, workshop links, size limit, security headers (every request)
        serve_partial_plotly(app.server)
        import dashboard.exports  # noqa: F401  (the export callbacks every table uses)
        from dashboard import pages

        pages.register_all()
        app.layout = html.Div([
            html.A("Skip to main content", href="#main", className="skip-link"),
            navbar(),
            html.Div(id="app-error", className="container-fluid", **{"aria-live": "polite"}),
            html.Main(dash.page_container, id="main", className="container-fluid", tabIndex="-1"),
        ])


        @app.callback(Output("app-error", "children"), Input("_pages_location", "pathname"))
        def clear_error(_path):
            """A message from a failed request goes when the person moves to another page."""
            return None

        _APP = app
    return _APP


def run_server(host: str = "127.0.0.1", port: int = 8050, query: Mapping[str, str] | None = None,
               source: Any = None, debug: bool = False, *, public_url: str | None = None,
               token: str | None = None, upload_mb: int | None = None) -> int:
    """Serve the dashboard until interrupted (binds 127.0.0.1 unless told otherwise).

    Bound beyond loopback, the dashboard needs a login token: ``token``
    (``--token`` / ECOMAP_TOKEN), or one made now; the address printed
    once here carries it. ``public_url`` is the address people use (for
    the links it shows and the names it answers to).
    """
    from ecosystem.server import default_home

    cfg = access.configure(host=host, port=port, public_url=public_url, token=token or os.environ.get("ECOMAP_TOKEN"),
                           upload_mb=upload_mb, secret=access.home_secret(default_home()))
    app = create_app(source, query=query)
    import threading

    from dashboard.pages import overview

    threading.Thread(target=state.warm, args=(overview.prepare,), name="ecomap-warm", daemon=True).start()
    params = {k: v for k, v in (query or {}).items() if v}
    base = cfg.base_url if not access.is_loopback(host) or public_url else \
        f"http://{'localhost' if host in ('127.0.0.1', 'localhost') else f'[{host}]' if ':' in host else host}:{port}"
    shown = base + "/" + ("?" + urllib.parse.urlencode({**params, "token": cfg.token}) if cfg.token else
                          "?" + urllib.parse.urlencode(params) if params else "")
    print(f"ecomap dashboard: {shown}  (Ctrl+C to stop)", file=sys.stderr)
    if cfg.token:
        print("  the address carries the login token: share it only with people who may see and change the data; "
              "board members need only their workshop's board link", file=sys.stderr)
    from ecosystem import workshop as ws

    ws.record_dashboard(default_home(), cfg.base_url)  # `ecomap workshop new` prints links to this address
    if threading.current_thread() is threading.main_thread():  # a plain kill tidies up as Ctrl+C does
        import signal

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app.run(host=host, port=port, debug=debug, use_reloader=False)
    finally:
        ws.forget_dashboard(default_home())
    return 0
