"""``/duplication`` — over-supplied cells with several providers and overlapping services, with their funders."""

from __future__ import annotations

import dash
from dash import Input, Output, callback

from dashboard import state
from dashboard.components import views
from dashboard.components.layout import scenario_banner
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/duplication", name="Duplication", title="ecomap — duplication", order=2)


def layout(**kwargs):
    return frame("duplication", "Duplication", kwargs,
                 intro="Where several providers over-supply the same need, and services that cover mostly the same "
                       "people — and who funds each.")


sync_url("duplication")


@callback(Output("duplication-body", "children"), Output("duplication-message", "children"),
          Input("duplication-place", "value"), Input("duplication-category", "value"),
          Input("duplication-as-of", "value"), Input("duplication-scenario", "value"))
def update(place, category, as_of, scenario):
    """Duplicated cells and overlapping pairs of the chosen view."""
    try:
        view, _ = state.make_view(place, category, as_of, scenario)
        res = state.analysis_for(view)
        body = views.memo(res.analysis, ('duplication', res.view),
                          lambda: views.duplication_view(res, state.frames(res.view.place)))
        return [scenario_banner(res.scenario_name, res.view), *body], None
    except Exception as e:
        return fail(e, 2)
