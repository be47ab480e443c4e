"""Every callback, sent scripted wrongly-typed values over HTTP (``/_dash-update-component``), answers without a 500.

The requests are built from the app's own ``/_dash-dependencies`` (so a new
callback is covered without touching this file): each callback gets every
bad value in all its inputs and states at once, then seeded random mixes of
them, with each input in turn as the one that changed. A real browser never
sends most of these; a script or a damaged page can.
"""

from __future__ import annotations

import json
import random

import pytest

BAD = [None, 0, -1, 1.5, 1e308, True, "", "x", "<script>alert(1)</script>", "9999-12-31", "2026-02-30",
       "../../etc/passwd", "E0" * 400, [], [None], [1, "a"], {}, {"a": [1]}, {"workshop": 1, "token": []},
       {"name": {"x": 1}}, "data:text/csv;base64,@@@"]
MIXES = 12


def _parse(spec: str) -> tuple[object, str]:
    ident, _, prop = spec.rpartition(".")
    return (json.loads(ident) if ident.startswith("{") else ident), prop


def _outputs(dep: dict):
    out = dep["output"]
    if out.startswith(".."):
        return [dict(zip(("id", "property"), _parse(s))) for s in out.strip(".").split("...")]
    ident, prop = _parse(out)
    return {"id": ident, "property": prop}


def _concrete(ident):
    """A pattern id (``{"index": ["ALL"], …}``) with its wildcards filled in."""
    if not isinstance(ident, dict):
        return ident
    return {k: ("scripted" if isinstance(v, list) else v) for k, v in ident.items()}


def _slot(item: dict, value):
    ident = item["id"]
    if isinstance(ident, dict) and any(v == ["ALL"] for v in ident.values()):
        return [{"id": _concrete(ident), "property": item["property"], "value": value}]
    return {"id": _concrete(ident), "property": item["property"], "value": value}


def _changed(item: dict) -> str:
    ident = _concrete(item["id"])
    text = json.dumps(ident, sort_keys=True, separators=(",", ":")) if isinstance(ident, dict) else ident
    return f"{text}.{item['property']}"


def _outputs_concrete(outs):
    if isinstance(outs, list):
        return [{"id": _concrete(o["id"]), "property": o["property"]} for o in outs]
    return {"id": _concrete(outs["id"]), "property": outs["property"]}


def requests_for(dep: dict, rng: random.Random):
    """The scripted requests for one callback: (payload, what it was)."""
    slots = dep["inputs"] + dep["state"]
    outs = _outputs_concrete(_outputs(dep))
    combos = [[v] * len(slots) for v in BAD] + [[rng.choice(BAD) for _ in slots] for _ in range(MIXES)]
    for n, values in enumerate(combos):
        changed = dep["inputs"][n % len(dep["inputs"])]
        ins = [_slot(i, v) for i, v in zip(dep["inputs"], values)]
        states = [_slot(s, v) for s, v in zip(dep["state"], values[len(dep["inputs"]):])]
        yield ({"output": dep["output"], "outputs": outs, "inputs": ins, "state": states,
                "changedPropIds": [_changed(changed)]}, values)


@pytest.fixture(scope="module")
def client(app_over_demo):
    return app_over_demo.server.test_client()


def test_every_callback_answers_wrongly_typed_values_without_a_500(client):
    deps = client.get("/_dash-dependencies").get_json()
    assert len(deps) >= 25  # every page's callbacks are registered (a drop here means a page went missing)
    rng = random.Random(20261201)
    failures, sent = [], 0
    for dep in deps:
        if dep.get("clientside_function"):  # runs in the browser; the server has nothing to answer
            continue
        for payload, values in requests_for(dep, rng):
            r = client.post("/_dash-update-component", json=payload)
            sent += 1
            if r.status_code >= 500:
                failures.append(f"{dep['output'][:70]} ← {values!r:.120}: {r.status_code}")
    assert sent >= 25 * (len(BAD) + MIXES)
    assert failures == [], f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:400])


def test_a_refused_request_says_why_at_the_top_of_the_page(client):
    """Page routing given a list for the address: the answer changes nothing and carries a message."""
    payload = {"output": ".._pages_content.children..._pages_store.data..",
               "outputs": [{"id": "_pages_content", "property": "children"},
                           {"id": "_pages_store", "property": "data"}],
               "inputs": [{"id": "_pages_location", "property": "pathname", "value": ["/gaps"]},
                          {"id": "_pages_location", "property": "search", "value": {"place": 1}}],
               "state": [], "changedPropIds": ["_pages_location.pathname"]}
    r = client.post("/_dash-update-component", json=payload)
    assert r.status_code == 200
    body = r.get_json()
    assert "_pages_content" not in body.get("response", {})  # the page shown stays as it was
    shown = json.dumps(body["sideUpdate"]["app-error"])
    assert "could not be used" in shown and "nothing was changed" in shown
