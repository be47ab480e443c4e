"""What each analysis page shows, built from the analysis (pure functions: data in, components out).

The page callbacks fetch the analysis and edge tables for the view and
hand them here. Names people read replace codes; organisations and
services link to their detail pages, keeping the view's query string.
"""

from __future__ import annotations

import decimal
from typing import Any, NamedTuple

import pandas as pd
from dash import html

from dashboard.components import data as cd
from dashboard.components import figures as fg
from dashboard.components.layout import amount_header, chart, figure_cards, money, pct, people
from dashboard.components.tables import MAX_ROWS, TableFill, data_table, detail_href, md_link, table_fill
from dashboard.state import Names, Result, View
from ecosystem import analysis as an
from ecosystem.analysis._tables import active_mask
from ecosystem.model import DEFAULT_CURRENCY
from ecosystem.model import money as money_of
from ecosystem.money import fmt as fmt_money
from ecosystem.money import fmt_totals, total_pairs

STATUS_STYLE = [
    {"if": {"filter_query": f'{{Status}} = "{fg.STATUS_LABELS[s]}"', "column_id": "Status"},
     "backgroundColor": c, "color": fg.text_colour(c), "fontWeight": "600"}
    for s, c in fg.STATUS_COLOURS.items()
]


#: links listed in one cell before "and N more"
MAX_LINKS = 5


def _search(view: View) -> str:
    # one query string per view, not one per link (tables can hold 100,000 links)
    cache = _search.__dict__.setdefault("cache", {})
    if view not in cache:
        if len(cache) > 64:
            cache.clear()
        cache[view] = view.search()
    return cache[view]


def org_link(names: Names, oid: Any, view: View) -> str:
    return md_link(names.organisation(oid), detail_href("organisation", oid, _search(view)))


def svc_link(names: Names, sid: Any, view: View) -> str:
    return md_link(names.service(sid), detail_href("service", sid, _search(view)))


def _many(ids: list, link) -> str:
    head = ", ".join(link(i) for i in ids[:MAX_LINKS])
    return head if len(ids) <= MAX_LINKS else f"{head} and {len(ids) - MAX_LINKS} more"


def org_links(names: Names, ids: Any, view: View) -> str:
    return _many(list(ids or []), lambda i: org_link(names, i, view))


def svc_links(names: Names, ids: Any, view: View) -> str:
    return _many(list(ids or []), lambda i: svc_link(names, i, view))


def memo(obj: Any, name: str, make):
    """``make()`` once per (cached) analysis or frames object: derived tables are kept beside it."""
    store = obj.__dict__.setdefault("_dashboard_memo", {})
    if name not in store:
        store[name] = make()
    return store[name]


def cell_providers(provision: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """(place, category) → sorted provider ids of the active services behind the cell."""
    if not len(provision):
        return {}
    p = provision[["place", "category", "provider"]].drop_duplicates().sort_values(["place", "category", "provider"])
    out: dict[tuple[str, str], list[str]] = {}
    for pl, c, pr in zip(p["place"], p["category"], p["provider"]):
        out.setdefault((pl, c), []).append(pr)
    return out


def analysis_cell_providers(a: an.Analysis) -> dict[tuple[str, str], list[str]]:
    return memo(a, "cell_providers", lambda: cell_providers(a.provision))


# --------------------------------------------------------------------------
# overview
# --------------------------------------------------------------------------
def leaf_table(values: pd.DataFrame, names: Names, *, every_category: bool = False) -> pd.DataFrame:
    """The map's table alternative: one row per leaf, readable headers.

    With ``every_category`` the figures add up every category and the status
    column is the worst of the leaf's categories, and says so ("Worst category"):
    a ward can be 120 % covered in all and still have one unserved category.
    """
    status = "Worst category" if every_category else "Status"
    return pd.DataFrame({
        "Place": [names.place(p) for p in values["place"]],
        "Code": list(values["place"]),
        "Need": values["demand"].astype(float).round(1),
        "Supply": values["supply"].astype(float).round(1),
        "Unmet": values["unmet"].astype(float).round(1),
        "Coverage %": (values["coverage"].astype(float) * 100).round(1),
        status: [fg.STATUS_LABELS.get(s, s) for s in values["status"]],
    })


def unplaced_panel(unplaced: dict[str, Any], table: pd.DataFrame, names: Names, *, table_id: str | None = None,
                   view: View | None = None) -> html.Div | None:
    """What has no place (SPEC §5 *unplaced*): a sentence, the fixes, and with ``table_id`` the organisations.

    ``None`` when nothing is unplaced. Organisations are named, and link to
    their pages when ``view`` is given.
    """
    sentence = an.unplaced_sentence(unplaced, names=names.organisations)
    if not sentence:
        return None
    fixes = an.unplaced_fix(unplaced)
    body: list = [html.P(sentence, className="mb-1"),
                  html.Div("To place them:", className="fw-semibold small") if fixes else None,
                  html.Ul([html.Li(f) for f in fixes], className="small mb-1") if fixes else None]
    if table_id:
        ids = list(table["organisation"])
        df = pd.DataFrame({
            "Organisation": [md_link(names.organisation(o), detail_href("organisation", o, _search(view))) if view is not None
                             else names.organisation(o) for o in ids],
            "Postcode": [p or "" for p in table["postcode"]],
            "Active flows": table["flows"].astype(int),
        })
        money_col = f"Active funding ({unplaced.get('currency') or 'GBP'})"
        df[money_col] = table["amount"].astype(float).round(0).to_numpy()
        body.append(data_table(table_id, df, caption="Organisations with no place",
                               markdown=["Organisation"] if view is not None else [],
                               numeric={money_col: 0}, page_size=10))
    return html.Section(body, className="alert alert-warning mb-3", role="status",
                        **{"aria-label": "Organisations with no place"})


#: the overview's headline figures
OVERVIEW_CARDS = 6


class Overview(NamedTuple):
    """The overview's parts. The page keeps its map and tables mounted and gives them each new figure and
    rows: a map and tables made anew on every filter change cost the browser most of the change."""

    cards: list  #: (label, value, note) of each of OVERVIEW_CARDS headline figures
    notes: list  #: what shows under the figures (what no place counts, when any)
    map_title: str
    figure: dict  #: the map, ready to send (figures.choropleth_for_browser)
    map_summary: str
    map_table: TableFill
    worst: TableFill


#: what the overview's map shows, said under its title
MAP_DESCRIPTION = ("Darker means more unmet need (or, for coverage, less of the need met). "
                   "Hover a place for its figures; the table under the map lists the same values.")


def overview_view(res: Result, funding: pd.DataFrame, geometries: dict[str, dict], *, metric: str = "unmet",
                  options: an.ScenarioOptions | None = None) -> Overview:
    a, names, view = res.analysis, res.names, res.view
    h = cd.headline(a, funding, removed=options, category=view.category)
    of = "" if view.category is None else f" · {names.category(view.category)}"
    cards = [
        ("People in need" + of, people(h["people_in_need"]), "per year"),
        ("Unmet need", people(h["unmet"]), f"{h['unmet'] / h['people_in_need']:.0%} of need"
         if h["people_in_need"] else None),
        ("Unserved cells", f"{h['unserved_cells']:,}", f"of {h['cells']:,} place × category cells"),
        ("Providers", f"{h['providers']:,}", "with active services here"),
        ("Active funding", money(h["funding"], h["currency"]),
         ("to organisations in this place" if view.category is None else "to those providers")
         + (f" (also funding in {', '.join(h['other_currencies'])}, not added in)" if h["other_currencies"] else "")),
        (f"Ending in {h['horizon']} months", money(h["ending_soon"], h["currency"]),
         f"{money(h['cliff_amount'], h['currency'])} with no follow-on"),
    ]
    values = cd.leaf_values(a.coverage, view.category)
    values = values.assign(name=[names.place(p) for p in values["place"]])
    title = f"{fg.METRICS.get(metric, metric)} by place — {names.category(view.category)}"
    # the same place keeps a person's zoom and pan across filter changes; another place is framed anew
    fig = fg.choropleth_for_browser(values, geometries, metric=metric, uirevision=view.place)
    table = table_fill(leaf_table(values, names, every_category=view.category is None),
                       caption="By place" + (" (every category added up; status: the worst category's)"
                                             if view.category is None else f" — {names.category(view.category)}"),
                       numeric={"Need": 0, "Supply": 0, "Unmet": 0, "Coverage %": 0}, row_style=STATUS_STYLE,
                       sort_by=[{"column_id": "Unmet", "direction": "desc"}])
    cov = a.coverage if view.category is None else a.coverage[a.coverage["category"] == view.category]
    worst = cov[cov["unmet"] > 0].sort_values(["unmet", "place", "category"], ascending=[False, True, True]).head(10)
    provs = analysis_cell_providers(a)
    worst_df = pd.DataFrame({
        "Place": [names.place(p) for p in worst["place"]],
        "Category": [names.category(c) for c in worst["category"]],
        "Unmet": worst["unmet"].astype(float).round(1),
        "Status": [fg.STATUS_LABELS.get(s, s) for s in worst["status"]],
        "Providers": [org_links(names, provs.get((p, c)), view) for p, c in zip(worst["place"], worst["category"])],
    })
    unplaced = unplaced_panel(a.unplaced, a.unplaced_organisations, names)  # what no place counts, when any
    return Overview(
        cards=cards, notes=[unplaced] if unplaced is not None else [],
        map_title=title, figure=fig, map_summary=f"{title}: as a table", map_table=table,
        worst=table_fill(worst_df, caption="Largest gaps (place × category)"
                         + ("" if view.category is None else f" — {names.category(view.category)}"),
                         markdown=["Providers"], numeric={"Unmet": 0}, row_style=STATUS_STYLE,
                         empty="No unmet need here."),
    )


# --------------------------------------------------------------------------
# gaps
# --------------------------------------------------------------------------
def coverage_table(cov: pd.DataFrame, provision: pd.DataFrame, names: Names, view: View,
                   provs: dict | None = None) -> pd.DataFrame:
    provs = cell_providers(provision) if provs is None else provs
    return pd.DataFrame({
        "Place": [names.place(p) for p in cov["place"]],
        "Category": [names.category(c) for c in cov["category"]],
        "Need": cov["demand"].astype(float).round(1),
        "Supply": cov["supply"].astype(float).round(1),
        "Unmet": cov["unmet"].astype(float).round(1),
        "Coverage %": (cov["coverage"].astype(float) * 100).round(1),
        "Status": [fg.STATUS_LABELS.get(s, s) for s in cov["status"]],
        "Providers": [org_links(names, provs.get((p, c)), view) for p, c in zip(cov["place"], cov["category"])],
        "Capacity unknown": ["yes" if x else "" for x in cov["capacity_unknown"]],
    })


def coverage_matrix(cov: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Place name × category name matrix of coverage (blank where no need is recorded)."""
    if not len(cov):
        return pd.DataFrame()
    c = cov.assign(pn=[names.place(p) for p in cov["place"]], cn=[names.category(x) for x in cov["category"]])
    mat = c.pivot_table(index="pn", columns="cn", values="coverage", aggfunc="first")
    return mat.sort_index().reindex(sorted(mat.columns), axis=1)


#: the gaps heatmap draws at most this many places (those with the most unmet need); the table has all
HEATMAP_ROWS = 40


def heatmap_matrix(cov: pd.DataFrame, names: Names, *, category: str | None = None,
                   rows: int = HEATMAP_ROWS) -> tuple[pd.DataFrame, int]:
    """The coverage matrix the gaps heatmap draws, and how many places there are in all.

    Places are ordered by their unmet need (largest first) and only the
    ``rows`` with the most are kept; categories by their unmet need too, so
    the worst gaps sit at the top left. With ``category`` only its column.
    """
    if not len(cov):
        return pd.DataFrame(), 0
    c = cov if category is None else cov[cov["category"] == category]
    if not len(c):
        return pd.DataFrame(), 0
    place_unmet = c.groupby("place")["unmet"].sum()
    order = sorted(place_unmet.index, key=lambda p: (-place_unmet[p], names.place(p).lower(), p))
    cat_unmet = c.groupby("category")["unmet"].sum()
    cats = sorted(cat_unmet.index, key=lambda k: (-cat_unmet[k], names.category(k).lower(), k))
    keep = order[:rows]
    sub = c[c["place"].isin(set(keep))]
    mat = sub.pivot_table(index="place", columns="category", values="coverage", aggfunc="first", dropna=False)
    mat = mat.reindex(index=keep, columns=cats)
    mat.index = [names.place(p) for p in mat.index]
    mat.columns = [names.category(k) for k in mat.columns]
    return mat, len(order)


def gaps_view(res: Result) -> list:
    a, names, view = res.analysis, res.names, res.view
    cov = a.coverage
    mat = coverage_matrix(cov, names)
    drawn, n_places = heatmap_matrix(cov, names, category=view.category)
    fig = fg.heatmap(drawn)
    drawn_note = (f" The heatmap shows the {len(drawn):,} of {n_places:,} places with the most unmet need; the "
                  "table behind it and the export have every place." if n_places > len(drawn) else "")
    mat_table = mat.round(2).reset_index().rename(columns={"pn": "Place"}) if len(mat) else pd.DataFrame()
    shown = cov if view.category is None else cov[cov["category"] == view.category]
    shown = shown.sort_values(["unmet", "place", "category"], ascending=[False, True, True], kind="stable")
    counts = shown["status"].value_counts()
    summary = html.P(", ".join(f"{counts.get(s, 0):,} {fg.STATUS_LABELS[s].lower()}" for s in fg.STATUS_LABELS
                               if counts.get(s, 0)) or "No coverage rows.", className="mb-2")
    return [
        chart("gaps-heatmap", fig, data_table("gaps-matrix", mat_table, caption="Coverage by place and category",
                                              numeric={c: 2 for c in mat_table.columns if c != "Place"}),
              title="Coverage by place and category", filename="ecomap-gaps-heatmap",
              description="Coverage is supply ÷ need (1 = need met; capped at 2 for colour). "
                          "Blank cells have no recorded need and no provision. Places and categories with the "
                          "most unmet need come first." + drawn_note),
        html.H2(f"Coverage rows — {names.category(view.category)}", className="h5"),
        summary,
        data_table("gaps-coverage", coverage_table(shown.head(MAX_ROWS), a.provision, names, view, analysis_cell_providers(a)), caption="Coverage",
                   markdown=["Providers"], numeric={"Need": 0, "Supply": 0, "Unmet": 0, "Coverage %": 0},
                   row_style=STATUS_STYLE, page_size=20),
    ]


# --------------------------------------------------------------------------
# duplication
# --------------------------------------------------------------------------
def duplication_view(res: Result, frames: an.Frames) -> list:
    a, names, view = res.analysis, res.names, res.view
    funders = memo(frames, f"funders:{a.as_of}", lambda: cd.service_funders(frames.services, frames.funding, a.as_of))
    prov = a.provision
    dup = a.duplication if view.category is None else a.duplication[a.duplication["category"] == view.category]
    n_dup = len(dup)
    dup = dup.head(MAX_ROWS)
    rows = []
    cell_services = memo(a, "cell_services", lambda: {k: sorted(set(g), key=str) for k, g in
                                                      prov.groupby(["place", "category"])["service"]})
    cell_provs = analysis_cell_providers(a)
    for r in dup.itertuples(index=False):
        svcs = cell_services.get((r.place, r.category), [])
        fund = sorted({f for s in svcs for f in funders.get(s, [])}, key=str)
        rows.append({"Place": names.place(r.place), "Category": names.category(r.category),
                     "Coverage %": round(float(r.coverage) * 100, 1), "Need": round(float(r.demand), 1),
                     "Supply": round(float(r.supply), 1),
                     "Providers": org_links(names, cell_provs.get((r.place, r.category), []), view),
                     "Services": svc_links(names, svcs, view), "Funded by": org_links(names, fund, view)})
    dup_df = pd.DataFrame(rows, columns=["Place", "Category", "Coverage %", "Need", "Supply", "Providers",
                                         "Services", "Funded by"])
    ov = a.overlaps if view.category is None else a.overlaps[a.overlaps["category"] == view.category]
    n_ov = len(ov)
    ov = ov.sort_values(["overlap", "service_a", "service_b"], ascending=[False, True, True], kind="stable").head(MAX_ROWS)
    ov_df = pd.DataFrame({
        "Service A": [svc_link(names, s, view) for s in ov["service_a"]],
        "Provider A": [org_link(names, p, view) for p in ov["provider_a"]],
        "Funded A by": [org_links(names, funders.get(s), view) for s in ov["service_a"]],
        "Service B": [svc_link(names, s, view) for s in ov["service_b"]],
        "Provider B": [org_link(names, p, view) for p in ov["provider_b"]],
        "Funded B by": [org_links(names, funders.get(s), view) for s in ov["service_b"]],
        "Category": [names.category(c) for c in ov["category"]],
        "Overlap %": (ov["overlap"].astype(float) * 100).round(0),
        "Shared places": list(ov["shared_places"]),
        "Different funders": ["yes" if x else "no" for x in ov["different_funders"]],
    })
    links = ["Providers", "Services", "Funded by"]
    return [
        *duplication_summary(res, funders),
        html.H3("Over-supplied cells", className="h5 mt-4"),
        html.P(f"{n_dup:,} over-supplied cell(s) with two or more providers.", className="mb-2"),
        data_table("duplication-cells", dup_df, caption="Duplicated cells (over-supplied, 2+ providers)",
                   markdown=links, numeric={"Coverage %": 0, "Need": 0, "Supply": 0},
                   empty="No over-supplied cell has more than one provider."),
        html.H3("Every overlapping pair", className="h5 mt-4", id="duplication-pairs"),
        html.P(f"{n_ov:,} pair(s) of services in the same category from different providers covering mostly the "
               "same people (at least half of the smaller area's population); the summary above names the services "
               "behind them.", className="mb-2"),
        data_table("duplication-overlaps", ov_df, caption="Overlapping service pairs",
                   markdown=["Service A", "Provider A", "Funded A by", "Service B", "Provider B", "Funded B by"],
                   numeric={"Overlap %": 0}, empty="No overlapping services."),
    ]


def duplication_summary(res: Result, funders: dict) -> list:
    """The duplication summary: overlaps by category, then one category's area-wide services, groups and leaders."""
    from ecosystem.analysis.duplication import category_digest, summary_tables

    a, names, view = res.analysis, res.names, res.view
    summ = a.overlap_summary
    if not len(summ):
        return [html.P("No overlapping services.", className="mb-3")]
    pairs = int(summ["pairs"].sum())
    wide_pairs = int(summ["area_wide_pairs"].sum())
    out = [html.P(f"{pairs:,} pair(s) of overlapping services in {len(summ):,} categor"
                  f"{'ies' if len(summ) != 1 else 'y'}; {wide_pairs:,} of them ({100 * wide_pairs / pairs:.0f}%) pair "
                  f"a service covering a whole area with another inside it. The summary names the services behind "
                  f"them; every pair is listed below.", className="mb-2"),
           html.A(f"See all {len(a.overlaps):,} pairs", href="#duplication-pairs", className="d-inline-block mb-3")]
    if view.category is None:
        cat_df = pd.DataFrame({
            "Category": [md_link(names.category(k), f"/duplication{view.search(category=k)}") for k in summ["category"]],
            "Pairs": summ["pairs"].astype(int), "Services": summ["services"].astype(int),
            "Providers": summ["providers"].astype(int), "Area-wide services": summ["area_wide_services"].astype(int),
            "Pairs with an area-wide service": summ["area_wide_pairs"].astype(int),
            "Identical-area groups": summ["identical_groups"].astype(int),
            "Other pairs": summ["other_pairs"].astype(int),
            "Shared funder %": (100 * summ["shared_funder_pairs"] / summ["pairs"].clip(lower=1)).round(0),
        })
        out.append(data_table("duplication-categories", cat_df, caption="Overlapping services by category (choose "
                              "one for its summary)", markdown=["Category"], numeric={"Shared funder %": 0},
                              page_size=10))
    category = view.category if view.category is not None else summ["category"].iloc[0]
    d = category_digest(memo(a, "dup_tables", lambda: summary_tables(a)), category)
    s = d["summary"]
    cat = names.category(category)
    title = f"{cat}: {int(s['pairs']):,} overlapping pair(s)" + ("" if view.category else " (the category with most)")
    out.append(html.H3(title, className="h5 mt-3", id="duplication-category"))
    if not int(s["pairs"]):
        return out + [html.P(f"No overlapping {cat} services.")]
    out.append(html.P(f"{int(s['services']):,} services from {int(s['providers']):,} providers; "
                      f"{int(s['shared_funder_pairs']):,} of the pairs share a funder. What is shown names the "
                      f"services behind {100 * d['named_share']:.0f}% of the pairs.", className="mb-2"))
    for w in d["area_wide"]:
        n, p = len(w["services"]), int(w["providers"])
        out.append(html.P(f"{p} provider{'s run' if p != 1 else ' runs'} {n} {cat} service{'s' if n != 1 else ''} "
                          f"that {'each cover' if n != 1 else 'covers'} all of {names.place(w['area'])}; "
                          f"{int(w['inside']):,} other {cat} service{'s lie' if w['inside'] != 1 else ' lies'} inside "
                          f"{'them' if n != 1 else 'it'} ({int(w['pairs']):,} pairs).", className="mb-1 fw-semibold"))
        prov = dict(zip(a.overlapping_services["service"], a.overlapping_services["provider"])) \
            if len(a.overlapping_services) else {}
        wide_df = pd.DataFrame({
            "Service": [svc_link(names, x, view) for x in w["services"]],
            "Provider": [org_link(names, prov.get(x), view) for x in w["services"]],
            "Funded by": [org_links(names, funders.get(x), view) for x in w["services"]],
        })
        out.append(data_table(f"duplication-wide-{len(out)}", wide_df,
                              caption=f"{cat} services covering all of {names.place(w['area'])}",
                              markdown=["Service", "Provider", "Funded by"], page_size=10))
    if d["groups"]:
        n_groups = len(d["groups"]) + d["more_groups"]
        grp_df = pd.DataFrame({
            "Services": [", ".join(svc_link(names, x, view) for x in g["services"]) for g in d["groups"]],
            "Providers": [int(g["providers"]) for g in d["groups"]],
            "Places": [", ".join(names.place(x) for x in g['areas'][:5]) + (f" and {len(g['areas']) - 5} more"
                       if len(g['areas']) > 5 else "") for g in d["groups"]],
            "People": [g["population"] for g in d["groups"]],
            "Pairs": [int(g["pairs"]) for g in d["groups"]],
            "Shared funder": ["yes" if g["shared_funder_pairs"] else "no" for g in d["groups"]],
        })
        out.append(data_table("duplication-identical", grp_df,
                              caption=f"Services with identical areas: {n_groups:,} group(s), the "
                                      f"{len(d['groups'])} with most pairs",
                              markdown=["Services"], numeric={"People": 0}, page_size=10))
    if d["services"]:
        top = pd.DataFrame(d["services"])
        top_df = pd.DataFrame({
            "Service": [svc_link(names, x, view) for x in top["service"]],
            "Provider": [org_link(names, x, view) for x in top["provider"]],
            "Overlaps": top["overlaps"].astype(int), "Sharing a funder": top["shared_funders"].astype(int),
            "People": top["population"], "People shared": top["shared_population"],
        })
        out.append(data_table("duplication-top", top_df, caption="Services behind most of the other pairs",
                              markdown=["Service", "Provider"], numeric={"People": 0, "People shared": 0},
                              page_size=12))
    return out


# --------------------------------------------------------------------------
# fragility
# --------------------------------------------------------------------------
def fragility_view(res: Result, frames: an.Frames) -> list:
    a, names, view = res.analysis, res.names, res.view
    dep = a.funding_dependency
    providers = set(a.provision["provider"]) if len(a.provision) else set()
    cards = figure_cards([
        ("Dependent providers", f"{dep.loc[dep['dependent'].astype(bool), 'provider'].nunique() if len(dep) else 0:,}",
         f"of {dep['provider'].nunique() if len(dep) else 0:,} funded: one funder gives half or more"
         + (" (in a currency)" if a.several_currencies else "")),
        ("Funding cliffs", fmt_totals(total_pairs(a.funding_cliffs)),
         f"{len(a.funding_cliffs):,} flow(s) ending within {a.horizon} months, no follow-on"),
        ("Short-term funding", pct(a.short_term_share), "of active money in flows of 12 months or less"
         + (f", in {a.currency}" if a.several_currencies else "")),
        ("Sole-provider cells", f"{len(a.sole_providers):,}", "one provider meets all provision"),
        ("Articulation points", f"{len(a.articulation_points):,}", "organisations holding the partnerships together"),
        ("Concentrated markets", f"{int(a.concentration['concentrated'].sum()) if len(a.concentration) else 0:,}",
         "categories with HHI above 2,500"),
    ])
    top = dep.sort_values(["top_share", "amount"], ascending=[False, False]).head(25)
    dep_fig = fg.hbar([names.organisation(p) + ("" if c == DEFAULT_CURRENCY else f" ({c})")
                       for p, c in zip(top["provider"], top["currency"])], [float(x) for x in top["top_share"]],
                      x_title="largest funder's share", fmt=".0%", highlight=[bool(x) for x in top["dependent"]])
    dep_df = pd.DataFrame({
        "Provider": [org_link(names, p, view) for p in dep["provider"]],
        "Top funder": [org_link(names, f, view) if f else "" for f in dep["top_funder"]],
        "Top share %": (dep["top_share"].astype(float) * 100).round(1),
        "HHI": dep["hhi"].astype(float).round(3),
        "Dependent": ["yes" if x else "no" for x in dep["dependent"]],
        "Funders": list(dep["funders"]), "Active funding": [float(v) for v in dep["amount"]],
        "Currency": list(dep["currency"]),
    })
    timeline = cd.cliff_timeline(frames.funding, a.as_of, providers, currency=a.currency)
    tl_head = amount_header(a.currency)
    tl_df = timeline.rename(columns={"quarter": "Quarter", "kind": "Kind", "amount": tl_head, "flows": "Flows"})
    tl_df = tl_df.drop(columns=["start"]) if "start" in tl_df else tl_df
    cl = a.funding_cliffs
    cl_df = pd.DataFrame({
        "Funding": list(cl["funding"]), "Funder": [org_link(names, f, view) for f in cl["funder"]],
        "Recipient": [org_link(names, r, view) for r in cl["recipient"]],
        "Ends": [str(e)[:10] for e in cl["end"]], "Amount": [float(v) for v in cl["amount"]],
        "Currency": list(cl["currency"]),
        "Services depending on it": [svc_links(names, s, view) for s in cl["services"]],
    })
    sole = a.sole_providers if view.category is None else a.sole_providers[a.sole_providers["category"] == view.category]
    sole = sole.sort_values(["demand", "place"], ascending=[False, True], kind="stable").head(MAX_ROWS)
    sole_df = pd.DataFrame({
        "Place": [names.place(p) for p in sole["place"]], "Category": [names.category(c) for c in sole["category"]],
        "Provider": [org_link(names, p, view) for p in sole["provider"]],
        "Need": sole["demand"].astype(float).round(1), "Supply": sole["supply"].astype(float).round(1),
    })
    crit = a.critical_providers
    ctop = crit.head(20)
    crit_fig = fg.hbar([names.organisation(p) for p in ctop["provider"]], [float(x) for x in ctop["unmet_added"]],
                       x_title="people whose need would go unmet if the provider left", colour="#E69F00")
    crit_df = pd.DataFrame({
        "Provider": [org_link(names, p, view) for p in crit["provider"]],
        "Unmet added": crit["unmet_added"].astype(float).round(1),
        "Cells becoming unserved": list(crit["unserved_added"]), "Cells served": list(crit["cells"]),
    })
    ap_df = pd.DataFrame({"Organisation": [org_link(names, o, view) for o in a.articulation_points]})
    br_df = pd.DataFrame({"Organisation A": [org_link(names, b[0], view) for b in a.bridges],
                          "Organisation B": [org_link(names, b[1], view) for b in a.bridges]})
    conc = a.concentration if view.category is None else a.concentration[a.concentration["category"] == view.category]
    conc_df = pd.DataFrame({
        "Place": [names.place(p) for p in conc["place"]], "Category": [names.category(c) for c in conc["category"]],
        "HHI": conc["hhi"].astype(float).round(0), "Concentrated": ["yes" if x else "no" for x in conc["concentrated"]],
        "Providers": list(conc["providers"]), "Largest provider": [org_link(names, p, view) if p else ""
                                                                  for p in conc["top_provider"]],
        "Largest share %": (conc["top_share"].astype(float) * 100).round(1),
    })
    return [
        cards,
        chart("fragility-dependency", dep_fig,
              data_table("fragility-dependency-table", dep_df, caption="Funding dependency",
                         markdown=["Provider", "Top funder"], numeric={"Top share %": 1, "Active funding": 0},
                         sort_by=[{"column_id": "Top share %", "direction": "desc"}]),
              title="Funding dependency: largest funder's share", filename="ecomap-dependency",
              description="Providers whose largest funder gives half or more of their active funding are "
                          "dependent (vermillion)."),
        chart("fragility-cliffs", fg.cliff_bars(timeline, currency=a.currency),
              data_table("fragility-timeline", tl_df, caption="Funding ending by quarter" + (
                  f" (amounts in {a.currency}; other currencies are in the cliff table)" if a.several_currencies
                  else ""), numeric={tl_head: 0}),
              title="Funding cliff timeline by quarter", filename="ecomap-cliffs", lazy=True,
              description="Money in active flows ending each quarter; 'no follow-on' means no later or open flow "
                          "from the same funder to the same recipient (for the same service, when the flow names "
                          "one), the rule of the cliffs table below."),
        data_table("fragility-cliff-flows", cl_df, caption=f"Funding cliffs within {a.horizon} months",
                   markdown=["Funder", "Recipient", "Services depending on it"], numeric={"Amount": 0},
                   empty="No funding cliffs in the horizon."),
        chart("fragility-critical", crit_fig,
              data_table("fragility-critical-table", crit_df, caption="Critical providers",
                         markdown=["Provider"], numeric={"Unmet added": 0}),
              title="Critical providers: unmet need if each left", filename="ecomap-critical", lazy=True),
        data_table("fragility-sole", sole_df, caption="Sole providers", markdown=["Provider"],
                   numeric={"Need": 0, "Supply": 0}, empty="No cell depends on a single provider."),
        html.Div([
            html.Div(data_table("fragility-articulation", ap_df, caption="Articulation points", markdown=["Organisation"],
                                empty="None: no single organisation holds the partnership network together."),
                     className="col-md-5"),
            html.Div(data_table("fragility-bridges", br_df, caption="Bridges (partnerships that are the only link)",
                                markdown=["Organisation A", "Organisation B"], empty="No bridges."),
                     className="col-md-7"),
        ], className="row"),
        data_table("fragility-concentration", conc_df, caption="Concentration (HHI of providers' supply)",
                   markdown=["Largest provider"], numeric={"HHI": 0, "Largest share %": 1}),
    ]


# --------------------------------------------------------------------------
# funding
# --------------------------------------------------------------------------
def funding_view(res: Result, frames: an.Frames, *, max_providers: int = 15) -> list:
    a, names, view = res.analysis, res.names, res.view
    providers = set(a.provision["provider"]) if len(a.provision) else set()
    currency = a.currency or DEFAULT_CURRENCY
    links = cd.sankey_links(frames.services, frames.funding, a.as_of, providers, max_providers=max_providers,
                            max_categories=None if view.category is not None else cd.SANKEY_CATEGORIES, currency=currency)
    if view.category is not None and len(links):
        cat = "cat:" + view.category
        provs = set(links.loc[links["target"] == cat, "source"])
        links = links[((links["stage"] == "provider") & (links["target"] == cat))
                      | ((links["stage"] == "funder") & links["target"].isin(provs))]
    labels: dict[str, str] = {"other providers": "Other providers", "other funders": "Other funders",
                              "cat:uncategorised": "Uncategorised", "cat:other categories": "Other categories"}
    kinds: dict[str, str] = {}
    for s, t, stage in zip(links["source"], links["target"], links["stage"]):
        if stage == "funder":
            labels.setdefault(s, names.organisation(s))
            labels.setdefault(t, names.organisation(t))
            kinds[s], kinds[t] = "funder", "provider"
        else:
            labels.setdefault(t, names.category(t[4:]))
            kinds[t] = "category"
    fig = fg.sankey(links, labels, kinds=kinds, currency=currency)

    def cell(x: str) -> str:
        if x.startswith("cat:"):
            return labels.get(x, x[4:])
        if x in ("other providers", "other funders"):
            return labels[x]
        return org_link(names, x, view)

    table = pd.DataFrame({"From": [cell(s) for s in links["source"]], "To": [cell(t) for t in links["target"]],
                          amount_header(currency): links["amount"].astype(float).round(0),
                          "Stage": ["funder → provider" if s == "funder" else "provider → category"
                                    for s in links["stage"]]})
    first = links[links["stage"] == "funder"]
    total = fmt_money(sum((money_of(v) for v in first["amount"]), decimal.Decimal(0)), currency)
    where = names.place(view.place) if view.place else "any place"
    intro = [html.P(f"{total} of active funding reaches providers serving {where} on {view.as_of:%-d %B %Y}.",
                    className="mb-2")]
    active = frames.funding[active_mask(frames.funding["start"], frames.funding["end"], view.as_of)]
    elsewhere = active[~active["recipient"].isin(providers) & active["amount"].notna()] if len(active) else active
    if len(elsewhere):  # a funder's open data names organisations, often without the services they run
        intro.append(html.P(
            f"A further {fmt_totals(total_pairs(elsewhere))} in {len(elsewhere):,} active flow(s) goes to "
            f"{elsewhere['recipient'].nunique():,} organisation(s) with no active service recorded here, so it is "
            "not in the chart; the Fragility page shows when it ends.", className="mb-2", id="funding-elsewhere"))
    cur = a.funding_currencies
    if len(cur) > 1:
        each = "; ".join(f"{fmt_money(r.amount, r.currency)} in {r.flows} flow(s)" for r in cur.itertuples())
        intro.append(html.P(f"Funding here is in {len(cur)} currencies ({each}). The chart shows {currency} only: "
                            "amounts in different currencies are never added together or converted.",
                            className="mb-2", id="funding-currencies"))
    most = [f"{cd.SANKEY_FUNDERS} biggest funders", f"{max_providers} best-funded providers"]
    if view.category is None:
        most.append(f"{cd.SANKEY_CATEGORIES} best-funded categories")
    shown = (f"It shows at most the {', the '.join(most[:-1])} and the {most[-1]}; the rest are joined as “Other "
             "funders”, “Other providers”" + (" and “Other categories”" if view.category is None else "") + ".")
    return [
        *intro,
        chart("funding-sankey", fig, data_table("funding-flows", table, caption="Funding flows", markdown=["From", "To"],
                                                numeric={amount_header(currency): 0}),
              title=f"Funder → provider → category — {names.category(view.category)}", filename="ecomap-funding",
              description="Blue: funders; orange: providers; green: categories. Money a provider receives without "
                          "naming a service is split over its categories by capacity. " + shown),
    ]
