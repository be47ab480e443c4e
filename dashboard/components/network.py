"""The network view's elements: funders → providers → services → places, for dash-cytoscape.

Positions are computed here (four columns, names in order) so the browser
draws with the cheap ``preset`` layout. Three views:

* :func:`build` — every funder, provider, service and place. Above ``limit``
  elements services are grouped per provider and category, then the smaller
  providers are joined into one "other providers" node, until the view fits.
* :func:`by_category` — funders → service categories, for a whole local
  authority (thousands of providers): each category says how many providers
  and services it has and how many of its leaves are unserved; selecting one
  drills down to that category's own network.
* :func:`focus` — one organisation and its neighbourhood: who funds it, whom
  it funds, its partners, its services and the places they serve.

:func:`choose` picks the view a person can read: the full network when its
tallest column fits on a screen or two, else the view by category.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from dashboard.components.data import active_flows, active_mask
from dashboard.components.tables import detail_href
from dashboard.state import Names, View
from ecosystem import analysis as an

KIND_X = {"funder": 0, "provider": 450, "service": 900, "place": 1350}
KIND_LABEL = {"funder": "Funder", "provider": "Provider", "service": "Service", "place": "Place",
              "group": "Services (grouped)", "other": "Other providers", "category": "Service category",
              "others": "Other funders", "partner": "Partner"}
#: the full network is drawn when no column is taller than this (else the view by category)
READABLE_ROWS = 60
#: funders drawn one by one in the view by category (the rest are one node)
TOP_FUNDERS = 20
MODES = ("auto", "category", "detail")
ROW_GAP = 34

STYLESHEET = [
    {"selector": "node", "style": {"label": "data(label)", "font-size": 15, "text-valign": "center",
                                   "text-halign": "right", "text-margin-x": 6, "width": 18, "height": 18,
                                   "background-color": "#999999", "color": "#222", "text-wrap": "none"}},
    {"selector": ".funder", "style": {"background-color": "#0072B2", "shape": "round-rectangle",
                                      "text-halign": "left", "text-margin-x": -6}},
    {"selector": ".provider", "style": {"background-color": "#E69F00", "shape": "ellipse"}},
    {"selector": ".funder.provider", "style": {"background-color": "#0072B2", "shape": "ellipse"}},
    {"selector": ".service, .group", "style": {"background-color": "#009E73", "shape": "diamond"}},
    {"selector": ".place", "style": {"background-color": "#56B4E9", "shape": "hexagon"}},
    {"selector": ".other, .others", "style": {"background-color": "#bbbbbb", "shape": "octagon"}},
    {"selector": ".category", "style": {"background-color": "#009E73", "shape": "round-diamond",
                                        "width": "data(size)", "height": "data(size)", "text-wrap": "wrap"}},
    {"selector": ".gap", "style": {"border-color": "#D55E00", "border-width": 4}},
    {"selector": ".focus", "style": {"border-color": "#000", "border-width": 4, "width": 28, "height": 28,
                                     "font-weight": "bold"}},
    {"selector": ".fragile", "style": {"border-color": "#D55E00", "border-width": 5, "border-style": "double",
                                       "width": 24, "height": 24, "font-weight": "bold"}},
    # money and delivery run left to right, column to column, so a line needs no arrowhead: "haystack" lines (no
    # arrows, no curve to work out) drew a 672-line view of a local authority in 200 ms less of the browser's time
    {"selector": "edge", "style": {"width": 1, "line-color": "#c8c8c8", "curve-style": "haystack", "haystack-radius": 0,
                                   "opacity": 0.8}},
    {"selector": "edge.funds", "style": {"width": "data(width)", "line-color": "#8fb8d8"}},
    {"selector": "edge.partners", "style": {"line-style": "dashed", "line-color": "#CC79A7", "curve-style": "straight"}},
    {"selector": ":selected", "style": {"border-color": "#000", "border-width": 4, "border-style": "solid"}},
]


@dataclasses.dataclass
class Network:
    """Cytoscape elements and what they stand for."""

    elements: list[dict[str, Any]]
    nodes: pd.DataFrame  # id, kind, name, fragile, href, degree
    aggregated: str | None  # why the view is aggregated, or None
    counts: dict[str, int]
    mode: str = "detail"  # detail, category or focus

    @property
    def rows(self) -> int:
        """Nodes in the tallest column (what sets the height the view needs)."""
        xs: dict[float, int] = {}
        for e in self.elements:
            if "position" in e:
                xs[e["position"]["x"]] = xs.get(e["position"]["x"], 0) + 1
        return max(xs.values(), default=0)

    def height(self) -> int:
        """Pixels the view needs so that labels stay readable when it is fitted to its box."""
        gap = ROW_GAP * (1.5 if self.mode == "category" else 1.0)
        return int(min(2400, max(480, self.rows * gap * 0.75 + 80)))


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


@dataclasses.dataclass
class _Parts:
    """What :func:`build` draws from, and how big each way of drawing it would be (without drawing it)."""

    prov: pd.DataFrame
    providers: set
    fund_pairs: pd.DataFrame
    svc_places: pd.DataFrame
    svc_info: pd.DataFrame
    ranked: list
    plans: dict = dataclasses.field(default_factory=dict)  # limit -> _plan's answer

    def columns(self, keep: set, group_services: bool) -> tuple[dict[str, int], int]:
        """(nodes per column, edges) of the network that keeps ``keep`` providers: what ``assemble`` would make."""
        fp = self.fund_pairs
        funders = set(fp["funder"])
        kept = fp["recipient"].isin(keep).to_numpy()
        other = len(keep) < len(self.providers)
        fund_edges = int(kept.sum()) + (fp.loc[~kept, "funder"].nunique() if (~kept).any() else 0)
        shown = self.svc_info[self.svc_info["provider"].isin(keep)]
        sp = self.svc_places[self.svc_places["service"].isin(set(shown["service"]))]
        if group_services:
            spc = sp.merge(shown, on="service")
            middle = len(spc[["provider", "category"]].drop_duplicates())
            serves = len(spc[["provider", "category", "place"]].drop_duplicates())
        else:
            middle = len(shown)
            serves = len(sp)
        cols = {"funder": len(funders - keep), "provider": len(keep) + int(other), "service": middle,
                "place": sp["place"].nunique()}
        return cols, fund_edges + middle + serves

    def size(self, keep: set, group_services: bool) -> int:
        cols, edges = self.columns(keep, group_services)
        return sum(cols.values()) + edges


def _parts(a: an.Analysis, frames: an.Frames, category: str | None, funder: str | None) -> _Parts:
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
    supply = prov.groupby("provider")["supply"].sum().sort_values(ascending=False)
    ranked = list(supply.index) + sorted(providers - set(supply.index), key=str)
    return _Parts(prov, providers, fund_pairs, prov[["service", "place"]].drop_duplicates(),
                  prov[["service", "provider", "category"]].drop_duplicates("service"), ranked)


def _plan(parts: _Parts, limit: int) -> tuple[set, bool, str | None]:
    """The providers kept, whether services are grouped, and why: the largest view within ``limit`` elements.

    Worked out once per ``parts`` and limit (:func:`choose` asks before :func:`build` draws).
    """
    if limit not in parts.plans:
        parts.plans[limit] = _search_plan(parts, limit)
    keep, grouped, why = parts.plans[limit]
    return set(keep), grouped, why


def _search_plan(parts: _Parts, limit: int) -> tuple[set, bool, str | None]:
    keep = set(parts.providers)
    if parts.size(keep, False) <= limit:
        return keep, False, None
    why = "services are grouped by provider and category"
    k = len(parts.ranked)
    while parts.size(keep, True) > limit and k > 1:
        k = max(1, k // 2)
        keep = set(parts.ranked[:k])
        why = (f"services are grouped by provider and category, and only the {k:,} provider(s) with the most "
               "supply are shown; the rest are one 'other providers' node")
    return keep, True, why


def build(a: an.Analysis, frames: an.Frames, names: Names, view: View, *, category: str | None = None,
          funder: str | None = None, limit: int = 2000, parts: _Parts | None = None) -> Network:
    """The network of ``a``'s place at ``a.as_of``, filtered by ``category`` and ``funder``.

    The size of each way of drawing it is counted first (:class:`_Parts`);
    only the one that fits is drawn.
    """
    parts = parts or _parts(a, frames, category, funder)
    prov, providers, fund_pairs = parts.prov, parts.providers, parts.fund_pairs
    svc_places, svc_info = parts.svc_places, parts.svc_info
    fragile = fragile_reasons(a)
    search = view.search()

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
            if f_id not in nodes:
                node(f_id, "funder", names.organisation(r.funder), ["funder"], r.funder,
                     detail_href("organisation", r.funder, search))
            else:
                nodes[f_id]["classes"].add("funder")
            if r.recipient in keep:
                p_id = "o:" + r.recipient
                node(p_id, "provider", names.organisation(r.recipient), ["provider"], r.recipient,
                     detail_href("organisation", r.recipient, search))
            else:
                p_id, has_other = "other", True
            edge(f_id, p_id, "funds", r.amount)
        for p in keep:
            node("o:" + p, "provider", names.organisation(p), ["provider"], p,
                 detail_href("organisation", p, search))
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
                for pl in sorted(set(grp["place"])):
                    node("l:" + pl, "place", names.place(pl), ["place"], pl)
                    edge(gid, "l:" + pl, "serves")
        else:
            for r in shown_svc.itertuples(index=False):
                sid = "s:" + r.service
                node(sid, "service", names.service(r.service), ["service"], r.service,
                     detail_href("service", r.service, search))
                edge("o:" + r.provider, sid, "delivers")
            sp = svc_places[svc_places["service"].isin(set(shown_svc["service"]))]
            for s, pl in zip(sp["service"], sp["place"]):
                node("l:" + pl, "place", names.place(pl), ["place"], pl)
                edge("s:" + s, "l:" + pl, "serves")
        for n in nodes.values():
            if n["key"] is not None and n["key"] in fragile:
                n["classes"].add("fragile")
        return list(nodes.values()), list(edges.values())

    keep, grouped, why = _plan(parts, limit)
    ns, es = assemble(keep, grouped)
    elements = _position(ns, es)
    table = _table(ns, es, fragile)
    counts = {"nodes": len(ns), "edges": len(es), "providers": len(providers), "services": int(prov["service"].nunique()),
              "funders": int(fund_pairs["funder"].nunique()) if len(fund_pairs) else 0}
    return Network(elements, table, why, counts)


def _table(ns: list[dict], es: list[dict], fragile: dict[str, list[str]]) -> pd.DataFrame:
    table = pd.DataFrame([{"id": n["id"], "kind": KIND_LABEL.get(n["kind"], n["kind"]),
                           "name": n["name"].replace("\n", ": "), "fragile": "; ".join(fragile.get(n["key"], [])) if n.get("key") else "",
                           "href": n.get("href")} for n in ns], columns=["id", "kind", "name", "fragile", "href"])
    degree: dict[str, int] = {}
    for e in es:
        degree[e["source"]] = degree.get(e["source"], 0) + 1
        degree[e["target"]] = degree.get(e["target"], 0) + 1
    table["degree"] = [degree.get(i, 0) for i in table["id"]]
    return table


def _category_weights(prov: pd.DataFrame) -> pd.DataFrame:
    """provider, category, weight: how a provider's money is shared among the categories it serves.

    In proportion to its apportioned supply in each category; equally when it
    has no known supply at all.
    """
    pc = prov.groupby(["provider", "category"], as_index=False)["supply"].sum()
    total = pc.groupby("provider")["supply"].transform("sum")
    count = pc.groupby("provider")["category"].transform("count")
    pc["weight"] = (pc["supply"] / total.where(total > 0)).fillna(1.0 / count)
    return pc[["provider", "category", "weight"]]


def by_category(a: an.Analysis, frames: an.Frames, names: Names, view: View, *, funder: str | None = None,
                top_funders: int = TOP_FUNDERS) -> Network:
    """Funders → service categories for ``a``'s place: the network of a whole authority on one screen.

    Each category node is labelled with its providers, services and unserved
    leaves (a ``gap`` class marks any unserved leaf); the link from a funder to
    a category carries the funder's active money to that category's providers,
    shared among a provider's categories by its supply (:func:`_category_weights`).
    The ``top_funders`` funders with the most money are drawn by name, the rest
    as one "other funders" node.
    """
    prov = a.provision
    flows = active_flows(frames.funding, a.as_of)
    flows = flows[flows["recipient"].isin(set(prov["provider"]))]
    if funder is not None:
        flows = flows[flows["funder"] == funder]
        prov = prov[prov["provider"].isin(set(flows["recipient"]))]
    cats = prov.groupby("category").agg(providers=("provider", "nunique"), services=("service", "nunique"),
                                        supply=("supply", "sum"))
    cov = a.coverage
    unserved = cov[cov["status"] == "unserved"].groupby("category")["place"].nunique() if len(cov) else pd.Series(dtype=int)
    all_cats = sorted(set(cats.index) | set(unserved.index), key=lambda c: names.category(c).lower())
    money = flows.merge(_category_weights(prov), left_on="recipient", right_on="provider")
    money["share"] = money["amount"].astype(float) * money["weight"]
    by_funder = money.groupby("funder")["share"].sum().sort_values(ascending=False, kind="stable")
    kept = list(by_funder.index[:top_funders])
    others = list(by_funder.index[top_funders:])
    money["node"] = money["funder"].where(money["funder"].isin(set(kept)), "others")
    links = money.groupby(["node", "category"], as_index=False)["share"].sum()
    top_supply = float(cats["supply"].max()) if len(cats) and cats["supply"].max() > 0 else 1.0
    ns: list[dict] = []
    for f in kept:
        ns.append({"id": "o:" + f, "kind": "funder", "name": names.organisation(f), "classes": {"funder"}, "key": f,
                   "href": detail_href("organisation", f, view.search())})
    if others:
        ns.append({"id": "others", "kind": "others", "name": f"{len(others):,} other funders", "classes": {"others"},
                   "key": None, "href": None})
    for c in all_cats:
        row = cats.loc[c] if c in cats.index else None
        n_prov = int(row["providers"]) if row is not None else 0
        n_svc = int(row["services"]) if row is not None else 0
        gaps = int(unserved.get(c, 0))
        label = f"{names.category(c)}\n{n_prov:,} providers, {n_svc:,} services"
        if gaps:
            label += f", {gaps:,} unserved place(s)"
        size = 18 + 30 * (float(row["supply"]) / top_supply if row is not None else 0.0)
        ns.append({"id": "c:" + c, "kind": "category", "name": label, "classes": {"category"} | ({"gap"} if gaps else set()),
                   "key": None, "href": None, "category": c, "size": round(size, 1)})
    es = [{"source": "others" if r.node == "others" else "o:" + r.node, "target": "c:" + r.category, "cls": "funds",
           "amount": float(r.share)} for r in links.itertuples(index=False)]
    elements = _position(ns, es, gap=ROW_GAP * 1.5)
    table = _table(ns, es, {})
    counts = {"nodes": len(ns), "edges": len(es), "providers": int(prov["provider"].nunique()),
              "services": int(prov["service"].nunique()), "funders": int(flows["funder"].nunique()),
              "categories": len(all_cats)}
    why = (f"the {counts['providers']:,} providers are grouped by service category; select a category to see its "
           "providers and services")
    return Network(elements, table, why, counts, mode="category")


def focus(a: an.Analysis, frames: an.Frames, names: Names, view: View, organisation: str) -> Network:
    """One organisation and its neighbourhood at ``a.as_of``.

    Its funders (active flows to it), the organisations it funds, its active
    partners, its active services in the view's place (grouped by category when
    there are more than 40) and the places they serve. Raises ``KeyError``
    when the organisation has none of these.
    """
    o = organisation
    flows = active_flows(frames.funding, a.as_of)
    into = flows[flows["recipient"] == o].groupby("funder", as_index=False)["amount"].sum()
    out_of = flows[flows["funder"] == o].groupby("recipient", as_index=False)["amount"].sum()
    part = frames.partnerships
    if len(part):
        part = part[active_mask(part["start"], part["end"], a.as_of)] if "start" in part else part
        part = part[(part["a"] == o) | (part["b"] == o)]
    partners = sorted((set(part["a"]) | set(part["b"])) - {o}) if len(part) else []
    prov = a.provision[a.provision["provider"] == o]
    fragile = fragile_reasons(a)
    nodes: dict[str, dict] = {}
    edges: list[dict] = []

    def org(oid: str, kind: str, classes: set[str]) -> str:
        nid = "o:" + oid
        if nid not in nodes:
            nodes[nid] = {"id": nid, "kind": kind, "name": names.organisation(oid), "classes": set(classes), "key": oid,
                          "href": detail_href("organisation", oid, view.search())}
        return nid

    me = org(o, "provider", {"provider", "focus"})
    for r in into.itertuples(index=False):
        if r.funder != o:
            edges.append({"source": org(r.funder, "funder", {"funder"}), "target": me, "cls": "funds",
                          "amount": float(r.amount or 0)})
    out_of = out_of[out_of["recipient"] != o]
    if len(out_of) > 40:  # a large funder: the organisations it funds, by the categories they serve
        w = _category_weights(a.provision[a.provision["provider"].isin(set(out_of["recipient"]))])
        m = out_of.merge(w, left_on="recipient", right_on="provider")
        m["share"] = m["amount"].astype(float) * m["weight"]
        for c, grp in m.groupby("category"):
            cid = "c:" + c
            nodes[cid] = {"id": cid, "kind": "category", "classes": {"category"}, "key": None, "href": None,
                          "name": f"{names.category(c)}\n{grp['recipient'].nunique():,} funded providers",
                          "category": c, "size": 24}
            edges.append({"source": me, "target": cid, "cls": "funds", "amount": float(grp["share"].sum())})
    else:
        for r in out_of.itertuples(index=False):
            edges.append({"source": me, "target": org(r.recipient, "service", {"provider"}), "cls": "funds",
                          "amount": float(r.amount or 0)})
    for p in partners:
        edges.append({"source": me, "target": org(p, "provider", {"provider", "partner"}), "cls": "partners",
                      "amount": 0.0})
    grouped = prov["service"].nunique() > 40
    if grouped:
        for c, grp in prov.groupby("category"):
            gid = f"g:{o}|{c}"
            nodes[gid] = {"id": gid, "kind": "group", "name": f"{grp['service'].nunique()} {names.category(c)} service(s)",
                          "classes": {"group"}, "key": None, "href": None}
            edges.append({"source": me, "target": gid, "cls": "delivers", "amount": 0.0})
            for pl in sorted(set(grp["place"])):
                nodes.setdefault("l:" + pl, {"id": "l:" + pl, "kind": "place", "name": names.place(pl),
                                             "classes": {"place"}, "key": pl, "href": None})
                edges.append({"source": gid, "target": "l:" + pl, "cls": "serves", "amount": 0.0})
    else:
        for s, pl in sorted(set(zip(prov["service"], prov["place"]))):
            sid = "s:" + s
            if sid not in nodes:
                nodes[sid] = {"id": sid, "kind": "service", "name": names.service(s), "classes": {"service"}, "key": s,
                              "href": detail_href("service", s, view.search())}
                edges.append({"source": me, "target": sid, "cls": "delivers", "amount": 0.0})
            nodes.setdefault("l:" + pl, {"id": "l:" + pl, "kind": "place", "name": names.place(pl),
                                         "classes": {"place"}, "key": pl, "href": None})
            edges.append({"source": sid, "target": "l:" + pl, "cls": "serves", "amount": 0.0})
    if len(nodes) == 1:
        raise KeyError(o)
    for n in nodes.values():
        if n["key"] is not None and n["key"] in fragile:
            n["classes"].add("fragile")
    ns = list(nodes.values())
    elements = _position(ns, edges)
    counts = {"nodes": len(ns), "edges": len(edges), "providers": 1 + len(partners), "services": int(prov["service"].nunique()),
              "funders": len(into), "funded": len(out_of), "partners": len(partners)}
    return Network(elements, _table(ns, edges, fragile), None, counts, mode="focus")


def choose(a: an.Analysis, frames: an.Frames, names: Names, view: View, *, mode: str = "auto",
           category: str | None = None, funder: str | None = None, organisation: str | None = None,
           limit: int = 2000, readable_rows: int = READABLE_ROWS) -> Network:
    """The view a person asked for, or (``auto``) the one they can read.

    ``organisation`` focuses that organisation (:func:`focus`). ``auto`` draws
    the full network (:func:`build`) when its tallest column has at most
    ``readable_rows`` nodes, or a category is chosen and its network fits;
    otherwise the view by category (:func:`by_category`).
    """
    if organisation:
        return focus(a, frames, names, view, organisation)
    if mode == "category" and category is None:
        return by_category(a, frames, names, view, funder=funder)
    parts = _parts(a, frames, category, funder)
    if mode == "auto" and category is None:
        keep, grouped, _ = _plan(parts, limit)
        if max(parts.columns(keep, grouped)[0].values()) > readable_rows:  # counted, not drawn
            return by_category(a, frames, names, view, funder=funder)
    return build(a, frames, names, view, category=category, funder=funder, limit=limit, parts=parts)


def _column(n: dict) -> int:
    if n["kind"] in ("funder", "others") and "provider" not in n["classes"]:
        return KIND_X["funder"]
    if n["kind"] in ("provider", "other", "funder"):
        return KIND_X["provider"]
    if n["kind"] in ("service", "group", "category"):
        return KIND_X["service"]
    return KIND_X["place"]


def _position(nodes: list[dict], edges: list[dict], gap: float = ROW_GAP) -> list[dict[str, Any]]:
    cols: dict[int, list[dict]] = {}
    for n in nodes:
        if n["kind"] == "funder" and "provider" in n["classes"]:
            n["kind"] = "provider"
        cols.setdefault(_column(n), []).append(n)
    tallest = max((len(v) for v in cols.values()), default=1)
    out: list[dict[str, Any]] = []
    for x, col in cols.items():
        col.sort(key=lambda n: (n["kind"] in ("other", "others"), n["name"].lower(), n["id"]))
        offset = (tallest - len(col)) * gap / 2
        for i, n in enumerate(col):
            label = "\n".join(line if len(line) <= 48 else line[:47] + "…" for line in n["name"].split("\n"))
            data = {"id": n["id"], "label": label, "name": n["name"], "kind": n["kind"], "href": n.get("href") or ""}
            for extra in ("category", "size"):
                if extra in n:
                    data[extra] = n[extra]
            out.append({"data": data,
                        "position": {"x": x, "y": offset + i * gap},
                        "classes": " ".join(sorted(n["classes"]))})
    top = max((e["amount"] for e in edges if e["cls"] == "funds"), default=0.0) or 1.0
    for e in edges:
        d = {"id": f"{e['source']}->{e['target']}", "source": e["source"], "target": e["target"]}
        if e["cls"] == "funds":
            d["width"] = round(1 + 7 * e["amount"] / top, 2)
            d["amount"] = e["amount"]
        out.append({"data": d, "classes": e["cls"]})
    return out
