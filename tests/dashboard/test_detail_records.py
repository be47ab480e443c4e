"""Workshop notes and actions show on the organisation and service detail pages (real store, real layout)."""

from __future__ import annotations

import json


from ecosystem import workshop as ws


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json()
                      if hasattr(o, "to_plotly_json") else str(o))


def test_notes_and_actions_appear_on_detail_pages(app_over_demo, demo_store):
    from dashboard.pages import organisation, service

    w = ws.create(demo_store, "Detail page check", "E08000009").workshop
    about = ws.targets([("organisation", "GB-DEMO-021"), ("service", "DEMO-S33")])
    ws.add_note(demo_store, w.id, "Ask the youth trust about <b>summer</b> cover", author="Ann",
                role="presenter", about=about)
    ws.add_action(demo_store, w.id, "Map alternative youth provision", owner="Commissioning team",
                  due="2027-01-31", role="presenter", about=about)
    try:
        page = _text(organisation.layout(org_id="GB-DEMO-021", place="E08000009", as_of="2026-11-21"))
        assert "Workshop notes and actions" in page
        assert "Note by Ann: Ask the youth trust about <b>summer</b> cover" in page  # shown as text
        assert "Action: Map alternative youth provision" in page and "due 2027-01-31" in page
        page = _text(service.layout(service_id="DEMO-S33", place="E08000009", as_of="2026-11-21"))
        assert "Map alternative youth provision" in page
        other = _text(organisation.layout(org_id="GB-DEMO-001", place="E08000009", as_of="2026-11-21"))
        assert "Workshop notes and actions" not in other
    finally:
        with demo_store.session() as s:
            s.run("MATCH (n) WHERE n:Note OR n:Action OR n:Workshop DETACH DELETE n").consume()
