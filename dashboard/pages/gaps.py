"""``/gaps`` — coverage by place and category: a heatmap and a sortable table with status."""

from __future__ import annotations

import dash
from dash import Input, Output, callback

from dashboard import state
from dashboard.components import views
from dashboard.components.layout import scenario_banner
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/gaps", name="Gaps", title="ecomap — gaps", order=1)


def layout(**kwargs):
    return frame("gaps", "Gaps", kwargs,
                 intro="Need against provision for every place and category: unserved, under-served, met and "
                       "over-supplied cells.")


sync_url("gaps")


@callback(Output("gaps-body", "children"), Output("gaps-message", "children"),
          Input("gaps-place", "value"), Input("gaps-category", "value"), Input("gaps-as-of", "value"),
          Input("gaps-scenario", "value"))
def update(place, category, as_of, scenario):
    """Heatmap and coverage table of the chosen view."""
    try:
        view, _ = state.make_view(place, category, as_of, scenario)
        res = state.analysis_for(view)
        body = views.memo(res.analysis, ('gaps', res.view), lambda: views.gaps_view(res))
        return [scenario_banner(res.scenario_name, res.view), *body], None
    except Exception as e:
        return fail(e, 2)
