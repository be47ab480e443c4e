"""Organisation and service detail pages, built from the graph and the analysis of the view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx
import pandas as pd
from dash import html

from dashboard.components import data as cd
from dashboard.components.layout import figure_cards, money, pct, people
from dashboard.components.tables import data_table
from dashboard.components.views import org_link, svc_link
from dashboard.state import Names, View
from ecosystem import analysis as an
from ecosystem import model as m
from ecosystem.model import DEFAULT_CURRENCY
from ecosystem.money import fmt_totals, total_pairs, totals


def _active(d: dict, as_of: dt.date) -> bool:
    s, e = d.get("start"), d.get("end")
    return (s is None or s <= as_of) and (e is None or e >= as_of)


def _date(v: Any) -> str:
    return v.isoformat()[:10] if hasattr(v, "isoformat") else ("" if v is None else str(v))


def facts(items: list[tuple[str, Any]]) -> html.Dl:
    """A definition list of (label, value); values shown as text, empty ones left out."""
    out: list = []
    for k, v in items:
        if v in (None, "", []):
            continue
        out += [html.Dt(k, className="col-sm-3"), html.Dd(v, className="col-sm-9")]
    return html.Dl(out, className="row mb-3")


def organisation_view(oid: str, G: nx.MultiDiGraph, a: an.Analysis, names: Names, view: View) -> list:
    node = (m.ORGANISATION, oid)
    if node not in G:
        raise LookupError(f"There is no organisation with id {oid!r} in the store.")
    d = G.nodes[node]
    as_of = a.as_of
    services, received, given, partners, based = [], [], [], [], None
    for _, v, k, e in G.out_edges(node, keys=True, data=True):
        t = e.get("type")
        if t == m.DELIVERS:
            sd = G.nodes[v]
            cats = [c[1] for c in G.successors(v) if c[0] == m.CATEGORY]
            areas = [p[1] for p in G.successors(v) if p[0] == m.PLACE]
            services.append({"Service": svc_link(names, v[1], view), "Category": ", ".join(names.category(c) for c in cats),
                             "Areas": len(areas), "Capacity": sd.get("capacity"), "Start": _date(sd.get("start")),
                             "End": _date(sd.get("end")), "Active": "yes" if _active(sd, as_of) else "no"})
        elif t == m.FUNDS:
            given.append(_flow(e, names, view, other=v[1], as_of=as_of, col="Recipient"))
        elif t == m.PARTNERS_WITH:
            partners.append(_partner(e, names, view, v[1], as_of))
        elif t == m.BASED_IN:
            based = names.place(v[1])
    for u, _, k, e in G.in_edges(node, keys=True, data=True):
        t = e.get("type")
        if t == m.FUNDS:
            received.append(_flow(e, names, view, other=u[1], as_of=as_of, col="Funder"))
        elif t == m.PARTNERS_WITH:
            partners.append(_partner(e, names, view, u[1], as_of))
    flags = []
    dep = a.funding_dependency[a.funding_dependency["provider"] == oid]
    if len(dep) and bool(dep.iloc[0]["dependent"]):
        r = dep.iloc[0]
        flags.append(f"Dependent: {pct(float(r['top_share']))} of its active funding comes from "
                     f"{names.organisation(r['top_funder'])}.")
    crit = a.critical_providers[a.critical_providers["provider"] == oid]
    if len(crit) and float(crit.iloc[0]["unmet_added"]) > 0:
        r = crit.iloc[0]
        flags.append(f"Critical: if it left, {people(float(r['unmet_added']))} more people's need would go unmet and "
                     f"{int(r['unserved_added'])} place × category cell(s) would have no service.")
    sole = a.sole_providers[a.sole_providers["provider"] == oid]
    if len(sole):
        flags.append(f"Sole provider in {len(sole)} place × category cell(s).")
    if oid in a.articulation_points:
        flags.append("Articulation point: removing it splits the partnership network.")
    cl = a.funding_cliffs[a.funding_cliffs["recipient"] == oid]
    if len(cl):
        flags.append(f"Funding cliff: {fmt_totals(total_pairs(cl))} ends within {a.horizon} months with no "
                     "follow-on.")
    total_in = _money_in([e for _, _, e in G.in_edges(node, data=True)
                          if e.get("type") == m.FUNDS and _active(e, as_of)])
    total_out = _money_in([e for _, _, e in G.out_edges(node, data=True)
                           if e.get("type") == m.FUNDS and _active(e, as_of)])
    roles = d.get("roles") or []
    return [
        html.H1(names.organisation(oid), className="h3", id="organisation-name"),
        facts([("Id", oid), ("Roles", ", ".join(roles)), ("Sector", d.get("sector")), ("Based in", based),
               ("Income", money(d["income"]) if d.get("income") is not None else None),
               ("Charity number", d.get("charity_number")), ("Company number", d.get("company_number")),
               ("Postcode", d.get("postcode"))]),
        figure_cards([("Services", f"{len(services):,}", None), ("Active funding in", total_in, None),
                      ("Active funding out", total_out, None), ("Partnerships", f"{len(partners):,}", None)]),
        html.Div([html.H2("Fragility", className="h5"), html.Ul([html.Li(f) for f in flags])],
                 className="alert alert-warning") if flags else None,
        data_table("organisation-services", pd.DataFrame(services, columns=["Service", "Category", "Areas", "Capacity",
                                                                             "Start", "End", "Active"]),
                   caption="Services it delivers", markdown=["Service"], numeric={"Capacity": 0},
                   empty="It delivers no services."),
        data_table("organisation-received", pd.DataFrame(received, columns=FLOW_COLS("Funder")),
                   caption="Funding received", markdown=["Funder", "For service"], numeric={"Amount": 0},
                   empty="No funding received."),
        data_table("organisation-given", pd.DataFrame(given, columns=FLOW_COLS("Recipient")),
                   caption="Funding given", markdown=["Recipient", "For service"], numeric={"Amount": 0},
                   empty="It funds no one."),
        data_table("organisation-partners", pd.DataFrame(partners, columns=["Partner", "Kind", "Start", "End", "Active"]),
                   caption="Partnerships", markdown=["Partner"], empty="No partnerships recorded."),
    ]


def FLOW_COLS(who: str) -> list[str]:
    return ["Funding", who, "Amount", "Currency", "Kind", "Programme", "Start", "End", "For service", "Active"]


def _money_in(edges: list[dict]) -> str:
    """Active flows' amounts added exactly per currency: ``£35k`` or ``£35,000 + US$5,000``."""
    t = totals(pd.DataFrame({"amount": [e.get("amount") for e in edges],
                             "currency": [e.get("currency") or DEFAULT_CURRENCY for e in edges]}))
    if len(t) == 1:
        return money(float(t["amount"].iloc[0]), t["currency"].iloc[0])
    return fmt_totals(list(zip(t["currency"], t["amount"])))


def _flow(e: dict, names: Names, view: View, *, other: str, as_of: dt.date, col: str) -> dict:
    return {"Funding": e.get("id"), col: org_link(names, other, view), "Amount": e.get("amount"),
            "Currency": e.get("currency") or DEFAULT_CURRENCY,
            "Kind": e.get("kind"), "Programme": e.get("programme"), "Start": _date(e.get("start")),
            "End": _date(e.get("end")),
            "For service": svc_link(names, e["service"], view) if e.get("service") else "",
            "Active": "yes" if _active(e, as_of) else "no"}


def _partner(e: dict, names: Names, view: View, other: str, as_of: dt.date) -> dict:
    return {"Partner": org_link(names, other, view), "Kind": e.get("kind"), "Start": _date(e.get("start")),
            "End": _date(e.get("end")), "Active": "yes" if _active(e, as_of) else "no"}


def service_view(sid: str, G: nx.MultiDiGraph, a: an.Analysis, frames: an.Frames, names: Names, view: View) -> list:
    node = (m.SERVICE, sid)
    if node not in G:
        raise LookupError(f"There is no service with id {sid!r} in the store.")
    d = G.nodes[node]
    providers = [u[1] for u in G.predecessors(node) if u[0] == m.ORGANISATION]
    cats = [c[1] for c in G.successors(node) if c[0] == m.CATEGORY]
    areas = sorted((p[1] for p in G.successors(node) if p[0] == m.PLACE), key=lambda c: names.place(c))
    funders = cd.service_funders(frames.services, frames.funding, a.as_of).get(sid, [])
    prov = a.provision[a.provision["service"] == sid]
    cells = prov.merge(a.coverage[["place", "category", "demand", "unmet", "coverage", "status"]],
                       on=["place", "category"], how="left")
    cells_df = pd.DataFrame({"Place": [names.place(p) for p in cells["place"]],
                             "Category": [names.category(c) for c in cells["category"]],
                             "Supply from this service": cells["supply"].astype(float).round(1),
                             "Need": cells["demand"].astype(float).round(1),
                             "Unmet": cells["unmet"].astype(float).round(1),
                             "Coverage %": (cells["coverage"].astype(float) * 100).round(1)})
    fund_rows = []
    for u, _, e in G.in_edges((m.ORGANISATION, providers[0]) if providers else node, data=True):
        if e.get("type") == m.FUNDS and (e.get("service") in (None, sid)):
            fund_rows.append(_flow(e, names, view, other=u[1], as_of=a.as_of, col="Funder"))
    active = _active(d, a.as_of)
    return [
        html.H1(names.service(sid), className="h3", id="service-name"),
        facts([("Id", sid),
               ("Provider", html.Span([_link(names, p, view) for p in providers])),
               ("Category", ", ".join(names.category(c) for c in cats)),
               ("Capacity", f"{d['capacity']:,.0f} people a year" if d.get("capacity") is not None else "unknown"),
               ("Client group", d.get("client_group")), ("Start", _date(d.get("start"))), ("End", _date(d.get("end"))),
               ("Cost", money(d["cost"]) if d.get("cost") is not None else None),
               ("Active on " + a.as_of.isoformat(), "yes" if active else "no"),
               ("Funded by", html.Span([_link(names, f, view, sep=i > 0) for i, f in enumerate(funders)]) if funders
                else "no active funding recorded"),
               ("Areas", ", ".join(names.place(p) for p in areas))]),
        data_table("service-cells", cells_df, caption="Where it adds supply (this place and date)",
                   numeric={"Supply from this service": 0, "Need": 0, "Unmet": 0, "Coverage %": 0},
                   empty="It adds no supply here on this date (inactive, outside the place, or capacity unknown)."),
        data_table("service-funding", pd.DataFrame(fund_rows, columns=FLOW_COLS("Funder")),
                   caption="Funding for it (named, or to its provider in general)", markdown=["Funder", "For service"],
                   numeric={"Amount": 0}, empty="No funding recorded."),
    ]


def _link(names: Names, oid: str, view: View, sep: bool = False) -> Any:
    from dash import dcc

    from dashboard.components.tables import detail_href

    link = dcc.Link(names.organisation(oid), href=detail_href("organisation", oid, view.search()))
    return html.Span([", ", link]) if sep else link
