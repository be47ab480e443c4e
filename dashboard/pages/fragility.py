"""``/fragility`` — funding dependency, cliffs by quarter, sole and critical providers, structure, concentration."""

from __future__ import annotations

import dash
from dash import Input, Output, callback

from dashboard import state
from dashboard.components import views
from dashboard.components.layout import scenario_banner
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/fragility", name="Fragility", title="ecomap — fragility", order=3)


def layout(**kwargs):
    return frame("fragility", "Fragile dependencies", kwargs,
                 intro="Who depends on one funder, which money ends soon with nothing after it, which providers the "
                       "place cannot lose, and where the partnership network hangs on one link.")


sync_url("fragility")


@callback(Output("fragility-body", "children"), Output("fragility-message", "children"),
          Input("fragility-place", "value"), Input("fragility-category", "value"),
          Input("fragility-as-of", "value"), Input("fragility-scenario", "value"))
def update(place, category, as_of, scenario):
    """The fragility figures of the chosen view."""
    try:
        view, _ = state.make_view(place, category, as_of, scenario)
        res = state.analysis_for(view)
        body = views.memo(res.analysis, ('fragility', res.view),
                          lambda: views.fragility_view(res, state.frames(res.view.place)))
        return [scenario_banner(res.scenario_name, res.view), *body], None
    except Exception as e:
        return fail(e, 2)
