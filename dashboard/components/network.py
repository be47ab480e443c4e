"""The network view's elements: funders → providers → services → places, for dash-cytoscape.

Positions are computed here (four columns, names in order) so the browser
draws with the cheap ``preset`` layout. Above ``limit`` elements the view
is aggregated: first services are grouped per provider and category, then
the smaller providers are joined into one "other providers" node, until the
view fits.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from dashboard.components.data import active_flows
from dashboard.components.tables import detail_href
from dashboard.state import Names, View
from ecosystem import analysis as an

KIND_X = {"funder": 0, "provider": 450, "service": 900, "place": 1350}
KIND_LABEL = {"funder": "Funder", "provider": "Provider", "service": "Service", "place": "Place",
              "group": "Services (grouped)", "other": "Other providers"}
ROW_GAP = 34

STYLESHEET = [
    {"selector": "node", "style": {"label": "data(label)", "font-size": 11, "text-valign": "center",
                                   "text-halign": "right", "text-margin-x": 6, "width": 18, "height": 18,
                                   "background-color": "#999999", "color": "#222", "text-wrap": "none"}},
    {"selector": ".funder", "style": {"background-color": "#0072B2", "shape": "round-rectangle",
                                      "text-halign": "left", "text-margin-x": -6}},
    {"selector": ".provider", "style": {"background-color": "#E69F00", "shape": "ellipse"}},
    {"selector": ".funder.provider", "style": {"background-color": "#0072B2", "shape": "ellipse"}},
    {"selector": ".service, .group", "style": {"background-color": "#009E73", "shape": "diamond"}},
    {"selector": ".place", "style": {"background-color": "#56B4E9", "shape": "hexagon"}},
    {"selector": ".other", "style": {"background-color": "#bbbbbb", "shape": "octagon"}},
    {"selector": ".fragile", "style": {"border-color": "#D55E00", "border-width": 5, "border-style": "double",
                                       "width": 24, "height": 24, "font-weight": "bold"}},
    {"selector": "edge", "style": {"width": 1, "line-color": "#c8c8c8", "curve-style": "straight",
                                   "target-arrow-shape": "triangle", "target-arrow-color": "#c8c8c8",
                                   "arrow-scale": 0.6, "opacity": 0.8}},
    {"selector": "edge.funds", "style": {"width": "data(width)", "line-color": "#8fb8d8",
                                         "target-arrow-color": "#8fb8d8"}},
    {"selector": ":selected", "style": {"border-color": "#000", "border-width": 4, "border-style": "solid"}},
]


@dataclasses.dataclass
class Network:
    """Cytoscape elements and what they stand for."""

    elements: list[dict[str, Any]]
    nodes: pd.DataFrame  # id, kind, name, fragile, href, degree
    aggregated: str | None  # why the view is aggregated, or None
    counts: dict[str, int]


def fragile_reasons(a: an.Analysis, *, top_critical: int = 5) -> dict[str, list[str]]:
    """Organisation or service id → why it is fragile (dependent, critical, sole provider, articulation point, cliff)."""
    out: dict[str, list[str]] = {}

    def add(k: str, why: str) -> None:
        out.setdefault(k, [])
        if why not in out[k]:
            out[k].append(why)

    dep = a.funding_dependency
    for p in dep.loc[dep["dependent"].astype(bool), "provider"] if len(dep) else []:
        add(p, "dependent on one funder")
    for p in a.critical_providers.head(top_critical)["provider"] if len(a.critical_providers) else []:
        add(p, "critical provider")
    for p in set(a.sole_providers["provider"]) if len(a.sole_providers) else set():
        add(p, "sole provider somewhere")
    for p in a.articulation_points:
        add(p, "articulation point")
    for r in a.funding_cliffs.itertuples(index=False):
        add(r.recipient, "funding cliff")
        for s in r.services or []:
            add(s, "funding cliff")
    return out


def build(a: an.Analysis, frames: an.Frames, names: Names, view: View, *, category: str | None = None,
          funder: str | None = None, limit: int = 2000) -> Network:
    """The network of ``a``'s place at ``a.as_of``, filtered by ``category`` and ``funder``."""
    prov = a.provision
    if category is not None:
        prov = prov[prov["category"] == category]
    flows = active_flows(frames.funding, a.as_of)
    providers = set(prov["provider"])
    flows = flows[flows["recipient"].isin(providers)]
    if funder is not None:
        flows = flows[flows["funder"] == funder]
        providers = set(flows["recipient"])
        prov = prov[prov["provider"].isin(providers)]
    fund_pairs = flows.groupby(["funder", "recipient"], as_index=False)["amount"].sum()
    svc_places = prov[["service", "place"]].drop_duplicates()
    svc_info = prov[["service", "provider", "category"]].drop_duplicates("service")
    supply = prov.groupby("provider")["supply"].sum().sort_values(ascending=False)
    ranked = list(supply.index) + sorted(providers - set(supply.index), key=str)
    fragile = fragile_reasons(a)

    def assemble(keep: set[str], group_services: bool) -> tuple[list[dict], list[dict]]:
        nodes: dict[str, dict] = {}
        edges: dict[tuple[str, str], dict] = {}

        def node(nid: str, kind: str, name: str, classes: list[str], key: str | None = None,
                 href: str | None = None) -> None:
            if nid in nodes:
                nodes[nid]["classes"] |= set(classes)
                return
            nodes[nid] = {"id": nid, "kind": kind, "name": name, "classes": set(classes), "key": key, "href": href}

        def edge(s: str, t: str, cls: str, amount: float = 0.0) -> None:
            e = edges.setdefault((s, t), {"source": s, "target": t, "cls": cls, "amount": 0.0})
            e["amount"] += float(amount or 0.0)

        has_other = False
        for r in fund_pairs.itertuples(index=False):
            f_id = "o:" + r.funder
            node(f_id, "funder", names.organisation(r.funder), ["funder"], r.funder,
                 detail_href("organisation", r.funder, view.search()))
            if r.recipient in keep:
                p_id = "o:" + r.recipient
                node(p_id, "provider", names.organisation(r.recipient), ["provider"], r.recipient,
                     detail_href("organisation", r.recipient, view.search()))
            else:
                p_id, has_other = "other", True
            edge(f_id, p_id, "funds", r.amount)
        for p in keep:
            node("o:" + p, "provider", names.organisation(p), ["provider"], p,
                 detail_href("organisation", p, view.search()))
        if has_other or len(keep) < len(providers):
            n_other = len(providers - keep)
            node("other", "other", f"{n_other:,} other providers", ["other"])
        shown_svc = svc_info[svc_info["provider"].isin(keep)]
        if group_services:
            sp = svc_places.merge(shown_svc, on="service")
            for (p, c), grp in sp.groupby(["provider", "category"]):
                gid = f"g:{p}|{c}"
                n = grp["service"].nunique()
                node(gid, "group", f"{n} {names.category(c)} service(s)", ["group"])
                edge("o:" + p, gid, "delivers")
                for pl in set(grp["place"]):
                    node("l:" + pl, "place", names.place(pl), ["place"], pl)
                    edge(gid, "l:" + pl, "serves")
        else:
            for r in shown_svc.itertuples(index=False):
                sid = "s:" + r.service
                node(sid, "service", names.service(r.service), ["service"], r.service,
                     detail_href("service", r.service, view.search()))
                edge("o:" + r.provider, sid, "delivers")
            sp = svc_places[svc_places["service"].isin(set(shown_svc["service"]))]
            for s, pl in zip(sp["service"], sp["place"]):
                node("l:" + pl, "place", names.place(pl), ["place"], pl)
                edge("s:" + s, "l:" + pl, "serves")
        for n in nodes.values():
            if n["key"] is not None and n["key"] in fragile:
                n["classes"].add("fragile")
        return list(nodes.values()), list(edges.values())

    keep = set(providers)
    ns, es = assemble(keep, False)
    why = None
    if len(ns) + len(es) > limit:
        ns, es = assemble(keep, True)
        why = "services are grouped by provider and category"
        k = len(ranked)
        while len(ns) + len(es) > limit and k > 1:
            k = max(1, k // 2)
            keep = set(ranked[:k])
            ns, es = assemble(keep, True)
            why = (f"services are grouped by provider and category, and only the {k:,} provider(s) with the most "
                   "supply are shown; the rest are one 'other providers' node")
    elements = _position(ns, es)
    table = pd.DataFrame([{"id": n["id"], "kind": KIND_LABEL.get(n["kind"], n["kind"]), "name": n["name"],
                           "fragile": "; ".join(fragile.get(n["key"], [])) if n["key"] else "",
                           "href": n["href"]} for n in ns], columns=["id", "kind", "name", "fragile", "href"])
    degree: dict[str, int] = {}
    for e in es:
        degree[e["source"]] = degree.get(e["source"], 0) + 1
        degree[e["target"]] = degree.get(e["target"], 0) + 1
    table["degree"] = [degree.get(i, 0) for i in table["id"]]
    counts = {"nodes": len(ns), "edges": len(es), "providers": len(providers), "services": int(prov["service"].nunique()),
              "funders": int(fund_pairs["funder"].nunique()) if len(fund_pairs) else 0}
    return Network(elements, table, why, counts)


def _column(n: dict) -> int:
    if n["kind"] == "funder" and "provider" not in n["classes"]:
        return KIND_X["funder"]
    if n["kind"] in ("provider", "other", "funder"):
        return KIND_X["provider"]
    if n["kind"] in ("service", "group"):
        return KIND_X["service"]
    return KIND_X["place"]


def _position(nodes: list[dict], edges: list[dict]) -> list[dict[str, Any]]:
    cols: dict[int, list[dict]] = {}
    for n in nodes:
        if n["kind"] == "funder" and "provider" in n["classes"]:
            n["kind"] = "provider"
        cols.setdefault(_column(n), []).append(n)
    tallest = max((len(v) for v in cols.values()), default=1)
    out: list[dict[str, Any]] = []
    for x, col in cols.items():
        col.sort(key=lambda n: (n["kind"] == "other", n["name"].lower(), n["id"]))
        offset = (tallest - len(col)) * ROW_GAP / 2
        for i, n in enumerate(col):
            label = n["name"] if len(n["name"]) <= 32 else n["name"][:31] + "…"
            out.append({"data": {"id": n["id"], "label": label, "name": n["name"], "kind": n["kind"],
                                 "href": n["href"] or ""},
                        "position": {"x": x, "y": offset + i * ROW_GAP},
                        "classes": " ".join(sorted(n["classes"]))})
    top = max((e["amount"] for e in edges if e["cls"] == "funds"), default=0.0) or 1.0
    for e in edges:
        d = {"id": f"{e['source']}->{e['target']}", "source": e["source"], "target": e["target"]}
        if e["cls"] == "funds":
            d["width"] = round(1 + 7 * e["amount"] / top, 2)
            d["amount"] = e["amount"]
        out.append({"data": d, "classes": e["cls"]})
    return out
