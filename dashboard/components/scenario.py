"""The scenario page's pieces: options from the form, choices for the form, and the result view."""

from __future__ import annotations

import math
from typing import Any, Iterable

import pandas as pd
from dash import html

from dashboard.components import data as cd
from dashboard.components import figures as fg
from dashboard.components.layout import chart, figure_cards, people
from dashboard.components.tables import data_table
from dashboard.components.views import STATUS_STYLE, org_link
from dashboard.state import Names, View
from ecosystem import analysis as an
from ecosystem.money import fmt as fmt_money


def capacity_changes(rows: Iterable[dict[str, Any]] | None) -> dict[str, float | None]:
    """``{service: capacity}`` from the capacity table's rows; blank rows are skipped.

    Raises ValueError naming the row (1 = first row) when a capacity is not
    a number of 0 or more. A blank capacity means "unknown".
    """
    out: dict[str, float | None] = {}
    problems = []
    for i, r in enumerate(rows or [], start=1):
        sid = (r.get("service") or "").strip() if isinstance(r.get("service"), str) else r.get("service")
        cap = r.get("capacity")
        if not sid:
            if cap not in (None, ""):
                problems.append(f"row {i}: choose a service for capacity {cap!r}")
            continue
        if cap in (None, ""):
            out[sid] = None
            continue
        try:
            v = float(str(cap).replace(",", "").strip())
        except ValueError:
            problems.append(f"row {i}: capacity {cap!r} is not a number")
            continue
        if v < 0 or math.isnan(v) or math.isinf(v):
            problems.append(f"row {i}: capacity {cap!r} must be 0 or more")
            continue
        out[sid] = v
    if problems:
        raise ValueError("capacity changes: " + "; ".join(problems))
    return out


def make_options(view: View, *, providers=None, funders=None, flows=None, capacity_rows=None,
                 name: str | None = None) -> an.ScenarioOptions:
    return an.ScenarioOptions.make(as_of=view.as_of, place=view.place, remove_providers=list(providers or []),
                                   remove_funders=list(funders or []), remove_funding=list(flows or []),
                                   capacity_changes=capacity_changes(capacity_rows), name=name)


def choices(a: an.Analysis, frames: an.Frames, names: Names) -> dict[str, list[dict[str, str]]]:
    """Dropdown options: providers and funders in the place, active flows to those providers, its services."""
    providers = set(a.provision["provider"]) if len(a.provision) else set()
    flows = cd.active_flows(frames.funding, a.as_of)
    flows = flows[flows["recipient"].isin(providers)]

    def opts(ids: Iterable[str], label) -> list[dict[str, str]]:
        return sorted(({"label": label(i), "value": i} for i in set(ids)), key=lambda o: (o["label"].lower(), o["value"]))

    flow_opts = [{"label": f"{names.organisation(r.funder)} → {names.organisation(r.recipient)}: "
                           f"{fmt_money(r.amount, getattr(r, 'currency', None))} ({r.funding})", "value": r.funding}
                 for r in flows.sort_values(["amount", "funding"], ascending=[False, True]).itertuples(index=False)]
    services = set(a.provision["service"]) if len(a.provision) else set()
    return {"providers": opts(providers, names.organisation), "funders": opts(flows["funder"], names.organisation),
            "flows": flow_opts, "services": opts(services, lambda s: f"{names.service(s)} ({s})")}


def leaf_change(r: an.ScenarioResult, category: str | None) -> pd.DataFrame:
    """Per leaf: the scenario's figures plus ``unmet_before`` and ``change`` (added unmet need)."""
    after = cd.leaf_values(r.analysis.coverage, category)
    before = cd.leaf_values(r.baseline.coverage, category)[["place", "unmet"]].rename(columns={"unmet": "unmet_before"})
    x = after.merge(before, on="place", how="outer")
    for c in ("demand", "supply", "unmet", "unmet_before"):
        x[c] = x[c].astype(float).fillna(0.0)
    x["status"] = x["status"].fillna("no_demand")
    x["change"] = (x["unmet"] - x["unmet_before"]).round(6)
    return x.sort_values("place").reset_index(drop=True)


def result_view(r: an.ScenarioResult, names: Names, view: View, geometries: dict[str, dict]) -> list:
    before, after = r.unmet_before, r.unmet_after
    cards = figure_cards([
        ("Unmet need before", people(before), None),
        ("Unmet need after", people(after), None),
        ("Added unmet need", ("+" if r.unmet_added > 0 else "") + people(r.unmet_added), "people"),
        ("Newly unserved cells", f"{len(r.became_unserved):,}", "place × category"),
        ("Services removed", f"{len(r.removed_services):,}", "with an exiting provider"),
        ("Services losing all funding", f"{len(r.deactivated_services):,}", None),
    ])
    leaves = leaf_change(r, view.category)
    leaves = leaves.assign(name=[names.place(p) for p in leaves["place"]])
    fig = fg.choropleth(leaves, geometries, metric="change")
    leaf_tbl = pd.DataFrame({"Place": leaves["name"], "Unmet before": leaves["unmet_before"].round(1),
                             "Unmet after": leaves["unmet"].round(1), "Change": leaves["change"].round(1),
                             "Status after": [fg.STATUS_LABELS.get(s, s) for s in leaves["status"]]})
    bu = r.became_unserved
    bu_df = pd.DataFrame({"Place": [names.place(p) for p in bu["place"]],
                          "Category": [names.category(c) for c in bu["category"]],
                          "Need": bu["demand"].astype(float).round(1),
                          "Status before": [fg.STATUS_LABELS.get(s, s) for s in bu["status_before"]],
                          "Supply before": bu["supply_before"].astype(float).round(1)})
    uc = r.unmet_change if view.category is None else r.unmet_change[r.unmet_change["category"] == view.category]
    uc_df = pd.DataFrame({"Place": [names.place(p) for p in uc["place"]],
                          "Category": [names.category(c) for c in uc["category"]],
                          "Unmet before": uc["unmet_before"].astype(float).round(1),
                          "Unmet after": uc["unmet_after"].astype(float).round(1),
                          "Change": uc["change"].astype(float).round(1),
                          "Status before": [fg.STATUS_LABELS.get(s, s or "") for s in uc["status_before"]],
                          "Status": [fg.STATUS_LABELS.get(s, s or "") for s in uc["status_after"]]})
    bc = r.unmet_by_category
    bc_df = pd.DataFrame({"Category": [names.category(c) for c in bc["category"]],
                          "Unmet before": bc["unmet_before"].astype(float).round(1),
                          "Unmet after": bc["unmet_after"].astype(float).round(1),
                          "Change": bc["change"].astype(float).round(1)})
    nc = r.new_cliffs
    nc_df = pd.DataFrame({"Funding": list(nc["funding"]), "Funder": [org_link(names, f, view) for f in nc["funder"]],
                          "Recipient": [org_link(names, x, view) for x in nc["recipient"]],
                          "Ends": [str(e)[:10] for e in nc["end"]], "Amount": [float(v) for v in nc["amount"]],
                          "Currency": list(nc["currency"]) if "currency" in nc else ["GBP"] * len(nc)})
    gone = html.P(["Services removed: ", _links(names, r.removed_services, view), html.Br(),
                   "Services losing all their funding: ", _links(names, r.deactivated_services, view)],
                  className="small ecomap-spa")
    num = {"Unmet before": 0, "Unmet after": 0, "Change": 0}
    return [
        cards, gone,
        chart("scenario-map", fig, data_table("scenario-leaves", leaf_tbl, caption="Change by place", numeric=num,
                                              sort_by=[{"column_id": "Change", "direction": "desc"}]),
              title=f"Added unmet need by place — {names.category(view.category)}", filename="ecomap-scenario-map",
              description="Darker means more people whose need would go unmet under this scenario than now."),
        data_table("scenario-unserved", bu_df, caption="Cells that become unserved", numeric={"Need": 0, "Supply before": 0},
                   empty="No cell becomes unserved."),
        data_table("scenario-changes", uc_df, caption="Every cell that changes (against the baseline)", numeric=num,
                   empty="No cell changes.", row_style=STATUS_STYLE),
        data_table("scenario-categories", bc_df, caption="Change by category", numeric=num, empty="No category changes."),
        data_table("scenario-cliffs", nc_df, caption="New funding cliffs", markdown=["Funder", "Recipient"],
                   numeric={"Amount": 0}, empty="No new funding cliffs."),
    ]


def _links(names: Names, ids: list[str], view: View) -> Any:
    if not ids:
        return "none"
    from dash import dcc

    from dashboard.components.tables import detail_href

    out: list = []
    for i, s in enumerate(ids):
        if i:
            out.append(", ")
        out.append(dcc.Link(names.service(s), href=detail_href("service", s, view.search())))
    return html.Span(out)
