"""What the view pages share: the page frame (title, controls, message, body) and the URL sync callback."""

from __future__ import annotations

import dataclasses
from typing import Any

from dash import Input, Output, callback, dcc, html

from dashboard import state
from dashboard.components.layout import category_options, controls, message, messages, place_options, scenario_options


def view_from(kwargs: dict[str, Any]) -> tuple[state.View, list[str]]:
    return state.make_view(**{k: kwargs.get(k) for k in state.QUERY_KEYS})


def frame(prefix: str, title: str, kwargs: dict[str, Any], *, intro: str | None = None, category: bool = True,
          scenario: bool = True, extra: list | None = None, before_body: list | None = None) -> html.Div:
    """Title, intro, view controls, a message area and the body the page's callback fills."""
    view, notes = view_from(kwargs)
    places: list = []
    cats: list | None = [] if category else None
    scens: list | None = [] if scenario else None
    try:
        table = state.place_table()
        if view.place is not None and len(table) and view.place not in set(table["code"]):
            fallback = state.default_place(table)
            names = dict(zip(table["code"], table["name"])) if "name" in table else {}
            notes.append(f"There is no place {view.place!r} in the data; showing "
                         f"{names.get(fallback, 'every place') if fallback else 'every place'} instead.")
            view = dataclasses.replace(view, place=fallback)
        if view.place is None:
            view = dataclasses.replace(view, place=state.default_place(table))
        places = place_options(table)
        if category:
            cats = category_options(state.Names(categories=state.category_names()))
        if scenario:
            scens = scenario_options(state.scenario_list())
    except Exception as e:  # the store is down: show the page and say so
        notes.append(state.friendly_error(e))
    return html.Div([
        html.H1(title, className="h3"),
        html.P(intro, className="text-muted") if intro else None,
        controls(prefix, view, places=places, categories=cats, scenarios=scens, extra=extra),
        html.Div(messages(notes), id=f"{prefix}-notes", **{"aria-live": "polite"}),
        html.Div(id=f"{prefix}-message", **{"aria-live": "polite"}),
        *(before_body or []),
        dcc.Loading(html.Div(id=f"{prefix}-body"), type="default", delay_show=300),
    ])


def search_for(place: Any, category: Any, as_of: Any, scenario: Any) -> str:
    """The query string the controls describe (what the URL bar shows)."""
    view, _ = state.make_view(place, category, as_of, scenario)
    return view.search()


def sync_url(prefix: str, *, category: bool = True, scenario: bool = True):
    """Keep the page's URL in step with its controls, so any view is a shareable link."""
    inputs = [Input(f"{prefix}-place", "value")]
    inputs.append(Input(f"{prefix}-category", "value") if category else None)
    inputs.append(Input(f"{prefix}-as-of", "value"))
    inputs.append(Input(f"{prefix}-scenario", "value") if scenario else None)
    used = [i for i in inputs if i is not None]

    @callback(Output(f"{prefix}-url", "search"), *used, prevent_initial_call=True)
    def _sync(*values):
        it = iter(values)
        vals = [next(it) if i is not None else None for i in inputs]
        return search_for(*vals)

    return _sync


def fail(e: BaseException, n_outputs: int = 1) -> tuple:
    """Outputs for a failed callback: empty body, a readable message."""
    return tuple([[]] * (n_outputs - 1)) + (message(state.friendly_error(e)),)
