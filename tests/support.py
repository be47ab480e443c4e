"""Helpers the test folders share (importable as ``support``: pytest puts this folder on the path)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import threading
from typing import Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: the real public sample files (``ECOMAP_SAMPLE_DATA``, default: ``shared/data`` beside the repository)
SAMPLE_DATA = pathlib.Path(os.environ.get("ECOMAP_SAMPLE_DATA") or ROOT.parent / "shared" / "data")
#: Debian's chromium, headless, with nothing that reaches the internet on its own
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def serving(wsgi_app) -> Iterator[str]:
    """Serve ``wsgi_app`` on 127.0.0.1 (a free port) in a thread; yields its base address."""
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=10)


def choose(page, dropdown: str, text: str) -> None:
    """Pick the option ``text`` of the Dash dropdown ``dropdown`` (a selector) as a person does: open, search, click.

    Types into the open menu's search box (keys sent to the page can land
    before that box has the focus, and a dropdown opened a second time does
    not always give it the focus), then waits for the option itself to be
    listed and clicks it: pressing Enter picks whatever the menu highlights
    at that moment, which on a busy machine was another option.
    """
    page.click(dropdown)
    page.locator(".dash-dropdown-content .dash-dropdown-search").fill(text)  # the open menu's search box
    page.locator(".dash-dropdown-options").get_by_text(text, exact=True).first.click()


def chart_table(wrap):
    """The DataTable of a data_table wrap; a chart's table is deferred (its component waits beside its slot)."""
    from dash import dash_table

    kids = wrap.children
    return kids[2] if isinstance(kids[2], dash_table.DataTable) else dash_table.DataTable(**kids[3].data["props"])
