"""The dashboard's own plotly.js (``dashboard/vendor``, built by ``scripts/plotly-bundle/build.sh``): it holds
every trace the dashboard draws, it is served where Dash's renderer asks for plotly.js, a reload costs a 304,
and a bundle that does not fit the installed plotly is not served."""

from __future__ import annotations

import ast
import logging
import pathlib
import re

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

from dashboard import app as app_mod

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENTRY = ROOT / "scripts" / "plotly-bundle" / "entry.js"


def _bundled() -> set[str]:
    """Trace types entry.js registers (scatter is in plotly.js's core)."""
    return {"scatter"} | set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", ENTRY.read_text()))


def _drawn() -> set[str]:
    """Trace types the dashboard's code makes: ``go.<Trace>(...)`` and ``fig.add_<trace>(...)``."""
    kinds = set()
    for path in (ROOT / "dashboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name = node.func.attr
            cls = getattr(go, name, None)
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "go" and isinstance(cls, type) \
                    and issubclass(cls, BaseTraceType):
                kinds.add(cls().type)
            elif name.startswith("add_") and isinstance(getattr(go, name[4:].capitalize(), None), type) \
                    and issubclass(getattr(go, name[4:].capitalize()), BaseTraceType):
                kinds.add(name[4:])
    return kinds


def test_every_trace_the_dashboard_draws_is_in_its_plotly_bundle():
    drawn = _drawn()
    assert {"bar", "heatmap", "sankey", "choropleth", "scatter"} <= drawn  # the finder finds what is there
    assert drawn <= _bundled(), f"add {sorted(drawn - _bundled())} to {ENTRY} and run build.sh"


def test_the_bundle_is_of_the_plotly_js_the_plotly_package_ships():
    built = (app_mod.PLOTLY_JS.parent / "plotly-ecomap.version").read_text().strip()
    assert built.split(".")[:2] == get_plotlyjs_version().split(".")[:2]
    head = app_mod.PLOTLY_JS.read_bytes()[:200_000]
    assert b"Plotly" in head
    full = pathlib.Path(go.__file__).parent.parent / "package_data" / "plotly.min.js"
    assert app_mod.PLOTLY_JS.stat().st_size < full.stat().st_size / 2


def test_the_renderers_request_for_plotly_js_gets_the_bundle_and_a_reload_a_304(app_over_demo):
    client = app_over_demo.server.test_client()
    r = client.get(app_mod.PLOTLY_PATH)
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert r.get_data() == app_mod.PLOTLY_JS.read_bytes()
    assert r.headers.get("X-Content-Type-Options") == "nosniff"  # the security headers still apply
    again = client.get(app_mod.PLOTLY_PATH, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get("/_dash-component-suites/plotly/package_data/plotly.min.js.map")
    assert other.get_data() != app_mod.PLOTLY_JS.read_bytes()


def test_a_bundle_of_another_plotly_js_is_not_served(tmp_path, monkeypatch, caplog):
    js = tmp_path / "plotly-ecomap.min.js"
    js.write_text("var Plotly = {};")
    monkeypatch.setattr(app_mod, "PLOTLY_JS", js)
    (tmp_path / "plotly-ecomap.version").write_text("1.0.0\n")
    with caplog.at_level(logging.WARNING, logger="dashboard.app"):
        assert app_mod.partial_plotly() is None
    assert "serving the full plotly.js" in caplog.text and "1.0.0" in caplog.text
    (tmp_path / "plotly-ecomap.version").unlink()  # no version file: not served either
    assert app_mod.partial_plotly() is None
    (tmp_path / "plotly-ecomap.version").write_text(get_plotlyjs_version() + "\n")
    assert app_mod.partial_plotly() == js
