"""The bundled demo place: Trafford (E08000009) with an illustrative ecosystem.

Real geography, populations and Census 2021 health counts; fictional
organisations, services, funding and partnerships (every name starts with
"Illustrative:"). ``scripts/build_demo.py`` rebuilds the folder.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
import pathlib
import threading
from typing import Any

from ecosystem.store import GraphStore

log = logging.getLogger(__name__)

DEMO_DIR = pathlib.Path(__file__).parent / "demo_data" / "trafford"
DEMO_SOURCE = "trafford-demo"
DEMO_PLACE = "E08000009"
#: the date the demo's findings are built around (see its README)
DEMO_AS_OF = dt.date(2026, 11, 21)


def ensure_loaded(store: GraphStore) -> dict[str, Any]:
    """Load the demo into the store when the store is empty; say what is there."""
    from ecosystem import pipeline

    if store.is_empty():
        result = pipeline.load(store, [DEMO_DIR], fmt="template", source=DEMO_SOURCE)
        status = "loaded"
    else:
        result = {"counts": None}
        status = "present" if DEMO_SOURCE in set(store.run("list_load_runs")["source"]) else "other-data"
    counts = store.counts()
    return {"status": status, "place": DEMO_PLACE, "as_of": DEMO_AS_OF.isoformat(), "store": store.location,
            "kind": store.kind, "nodes": counts["nodes"], "relationships": counts["relationships"],
            "loaded": result.get("counts")}


def describe(summary: dict[str, Any]) -> str:
    n = summary["nodes"]
    r = summary["relationships"]
    head = {
        "loaded": "Loaded the Trafford demo (illustrative organisations and services on real geography).",
        "present": "The Trafford demo is already in the store.",
        "other-data": "The store already holds data, so the demo was not loaded (`ecomap db wipe` to start again).",
    }[summary["status"]]
    lines = [head, f"Store: {summary['kind']} at {summary['store']}",
             f"  {n.get('Place', 0)} places, {n.get('Category', 0)} categories, {n.get('Organisation', 0)} organisations, "
             f"{n.get('Service', 0)} services, {n.get('Need', 0)} needs",
             f"  {r.get('FUNDS', 0)} funding flows, {r.get('PARTNERS_WITH', 0)} partnerships, "
             f"{n.get('Procurement', 0)} procurements",
             f"Try: ecomap analyse --place {summary['place']} --as-of {summary['as_of']}"]
    return "\n".join(lines)


def has_dashboard() -> bool:
    return importlib.util.find_spec("dashboard.app") is not None


def start_and_preload() -> None:
    """Start the embedded store's process in the background and load the dashboard's and loaders' code
    meanwhile.

    Starting the store is mostly waiting for its own process (3-4 s on two
    cores); Dash, Plotly, the pages and the loaders take about a second to
    import: done together, the first page answers sooner. (The import stays
    on this thread: Dash keeps state in context variables set as it is
    imported.) Opening the store afterwards waits for the start or reports
    its failure.
    """
    import os

    from ecosystem import server

    def start() -> None:
        try:
            server.ensure_running(server.default_home())
        except Exception:  # opening the store tries again and says what is wrong
            log.debug("starting the store in the background failed", exc_info=True)

    if not os.environ.get("NEO4J_URI"):
        threading.Thread(target=start, name="ecomap-store-start", daemon=True).start()
    try:
        importlib.import_module("dashboard.app")
    except Exception:  # serving imports it again and says what is wrong
        log.debug("loading the dashboard's code failed", exc_info=True)
    try:  # the loaders too (their formats import ocdsmerge, requests and others): the load waits for none of it
        import loaders

        from ecosystem import pipeline  # noqa: F401

        loaders.available_formats()
    except Exception:  # loading imports them again and says what is wrong
        log.debug("loading the loaders' code failed", exc_info=True)


def serve(args) -> int:  # pragma: no cover - opens a server
    from dashboard.app import run_server

    return run_server(host=args.host, port=args.port,
                      query={"place": DEMO_PLACE, "as_of": DEMO_AS_OF.isoformat()}) or 0
