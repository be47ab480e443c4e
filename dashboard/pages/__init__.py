"""One module per page; each calls ``dash.register_page`` and defines its callbacks below its layout.

Imported by :func:`dashboard.app.create_app` after the app exists (Dash
requires ``register_page`` to run after the app is made).
"""

from __future__ import annotations

import importlib

import dash

PAGES = ("overview", "gaps", "duplication", "fragility", "network", "funding", "market", "scenario", "organisation",
         "service", "data", "workshop", "not_found_404")


def register_all() -> None:
    for name in PAGES:
        module = importlib.import_module(f"dashboard.pages.{name}")
        # Dash fills in a page's layout only for pages it imports itself (pages_folder)
        if not dash.page_registry[module.__name__].get("layout"):
            dash.page_registry[module.__name__]["layout"] = module.layout
