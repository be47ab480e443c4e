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


#: every chart slot of the page holds its drawn chart
ALL_CHARTS_DRAWN = ("() => [...document.querySelectorAll('.ecomap-lazy-chart')]"
                    ".every(s => s.querySelector('.main-svg'))")


#: the page's first screen is drawn: a chart or a chart's slot is there, nothing is loading, every chart placed
#: is drawn
PAGE_DRAWN = """() => {
  if (document.querySelector('[data-dash-is-loading="true"], .dash-graph--pending')) return false;
  const graphs = [...document.querySelectorAll('.dash-graph')];
  return (graphs.length || document.querySelector('.ecomap-lazy-chart')) && graphs.every(g => g.querySelector('.main-svg'));
}"""


def draw_charts(page, timeout: float = 30_000) -> None:
    """Scroll to each chart drawn only near the screen (``layout.graph(lazy=True)``) as a person does, until every
    one is drawn; then back to the top of the page. The page must have a chart."""
    page.wait_for_function(PAGE_DRAWN, timeout=timeout)
    for i in range(page.locator(".ecomap-lazy-chart").count()):
        page.locator(".ecomap-lazy-chart").nth(i).scroll_into_view_if_needed()
        page.locator(".ecomap-lazy-chart").nth(i).locator(".main-svg").first.wait_for(state="attached",
                                                                                      timeout=timeout)
    page.wait_for_function(ALL_CHARTS_DRAWN, timeout=timeout)
    page.evaluate("() => window.scrollTo(0, 0)")


def lazy_figure(slot):
    """The figure of a lazy chart (:func:`dashboard.components.layout.graph`): the component its Store holds."""
    return slot.children[1].data["props"]["figure"]
