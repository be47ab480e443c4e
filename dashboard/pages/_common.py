"""What the view pages share: the page frame (title, controls, message, body) and the URL sync callback."""

from __future__ import annotations

import dataclasses
from typing import Any

from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import state
from dashboard.components.layout import category_options, controls, message, messages, place_options, scenario_options
from dashboard.components.search import search_options

#: places a page is sent at once (larger areas first); typing searches every place on the server: a dropdown
#: indexes every substring of every option's label and value as it mounts: about 110 ms a page for 200 places
PLACE_OPTIONS = 25


def view_from(kwargs: dict[str, Any]) -> tuple[state.View, list[str]]:
    return state.make_view(**{k: kwargs.get(k) for k in state.QUERY_KEYS})


def frame(prefix: str, title: str, kwargs: dict[str, Any], *, intro: str | None = None, category: bool = True,
          scenario: bool = True, extra: list | None = None, before_body: list | None = None,
          after_body: list | None = None, body: list | None = None) -> html.Div:
    """Title, intro, view controls, a message area and the body the page's callback fills.

    ``body``: what the body holds before its callback answers, for a page whose callback fills parts of
    it (components that stay mounted) rather than the whole.
    """
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
        places = search_options(every_place_option(table), None, view.place, limit=PLACE_OPTIONS)
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
        dcc.Loading(html.Div(body, id=f"{prefix}-body"), type="default", delay_show=300),
        *(after_body or []),
    ])


def search_for(place: Any, category: Any, as_of: Any, scenario: Any) -> str:
    """The query string the controls describe (what the URL bar shows)."""
    view, _ = state.make_view(place, category, as_of, scenario)
    return view.search()


#: keeps the address bar in step with the view without telling Dash's page router: a dcc.Location that
#: changed its search made the router draw the whole page again, doubling every filter change
_REPLACE_URL = """
function(place, category, as_of, scenario) {
    const p = new URLSearchParams();
    if (place) p.set("place", place);
    if (category) p.set("category", category);
    if (as_of) p.set("as_of", String(as_of).slice(0, 10));
    if (scenario) p.set("scenario", scenario);
    const s = p.toString();
    const url = window.location.pathname + (s ? "?" + s : "");
    if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", url);
    }
    return url;
}
"""


def every_place_option(table) -> list[dict[str, str]]:
    """:func:`place_options` of every place in ``table`` (:func:`state.place_table`), made once per data
    version: the dropdown's search asks for them at every keystroke, and a country has thousands."""
    return state.cached("place-options", state.service().version(), lambda: place_options(table))


def place_choices(search: str | None, value: str | None) -> Any:
    """The place dropdown's options as a person types: the chosen place, then the places that match."""
    try:
        options = every_place_option(state.place_table())
    except Exception:  # the store is down: the page already says so; keep what is chosen
        return no_update
    return search_options(options, search, value, limit=PLACE_OPTIONS)


def sync_url(prefix: str, *, category: bool = True, scenario: bool = True):
    """Keep the page's URL in step with its controls, so any view is a shareable link; and let its place
    dropdown search every place on the server (:func:`place_choices`).

    The address is replaced in the browser (``history.replaceState``), the
    same query string :func:`search_for` builds, and ``{prefix}-url`` holds it.
    """
    callback(Output(f"{prefix}-place", "options"), Input(f"{prefix}-place", "search_value"),
             State(f"{prefix}-place", "value"), prevent_initial_call=True)(place_choices)
    inputs = [Input(f"{prefix}-place", "value")]
    inputs.append(Input(f"{prefix}-category", "value") if category else None)
    inputs.append(Input(f"{prefix}-as-of", "value"))
    inputs.append(Input(f"{prefix}-scenario", "value") if scenario else None)
    used = [i for i in inputs if i is not None]
    names = ["place", "category", "as_of", "scenario"]
    args = ", ".join(n if i is not None else "null" for n, i in zip(names, inputs))
    params = ", ".join(n for n, i in zip(names, inputs) if i is not None)
    js = f"function({params}) {{ return ({_REPLACE_URL.strip()})({args}); }}"
    clientside_callback(js, Output(f"{prefix}-url", "data"), *used, prevent_initial_call=True)


def fail(e: BaseException, n_outputs: int = 1) -> tuple:
    """Outputs for a failed callback: empty body, a readable message."""
    return tuple([[]] * (n_outputs - 1)) + (message(state.friendly_error(e)),)
