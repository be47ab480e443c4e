"""``/funding`` — a Sankey of funder → provider → category money for the place."""

from __future__ import annotations

import dash
from dash import Input, Output, callback

from dashboard import state
from dashboard.components import views
from dashboard.components.layout import scenario_banner
from dashboard.pages._common import fail, frame, sync_url

dash.register_page(__name__, path="/funding", name="Funding", title="ecomap — funding", order=5)


def layout(**kwargs):
    return frame("funding", "Funding flows", kwargs, scenario=False,
                 intro="Where the money for the place's providers comes from, and which needs it pays for.")


sync_url("funding", scenario=False)


@callback(Output("funding-body", "children"), Output("funding-message", "children"),
          Input("funding-place", "value"), Input("funding-category", "value"), Input("funding-as-of", "value"))
def update(place, category, as_of):
    """The funding Sankey of the chosen view."""
    try:
        view, _ = state.make_view(place, category, as_of)
        res = state.analysis_for(view)
        body = views.memo(res.analysis, ('funding', res.view),
                          lambda: views.funding_view(res, state.frames(res.view.place)))
        return [scenario_banner(res.scenario_name, res.view), *body], None
    except Exception as e:
        return fail(e, 2)
