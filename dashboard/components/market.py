"""What the ``/market`` page shows (pure functions: analysis tables in, components out).

Market shaping (SPEC §5): who provides (diversity by sector, concentration),
how secure their money is (short-term and multi-year shares, overall and
per funder, per currency), what is being procured and which gaps and
funding cliffs each procurement may answer, and how the headline figures
moved over a series of dates (small line charts). Names people read replace
codes; organisations link to their pages, keeping the view's query string.
Amounts in different currencies are never added together.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.components import figures as fg
from dashboard.components.layout import chart, figure_cards, graph, pct
from dashboard.components.tables import data_table
from dashboard.components.views import org_link, org_links
from dashboard.state import Names, Result, View
from ecosystem.analysis.market import DEFAULT_TREND, TRENDS, trend_dates  # noqa: F401  (the page uses them)
from ecosystem.model import DEFAULT_CURRENCY
from ecosystem.money import fmt as fmt_money
from ecosystem.money import order_currencies

#: provider sectors in display order (SPEC §5), with the words a person reads and colour-blind-safe colours
SECTORS = ("vcse", "private", "public", "other", "unknown")
SECTOR_LABELS = {"vcse": "Voluntary and community (VCSE)", "private": "Private", "public": "Public sector",
                 "other": "Other", "unknown": "Sector not recorded"}
SECTOR_COLOURS = {"vcse": "#009E73", "private": "#E69F00", "public": "#0072B2", "other": "#CC79A7",
                  "unknown": "#999999"}
#: a legend above the plot, in the order the bars stack (plotly reverses it for stacked bars otherwise)
TOP_LEGEND = dict(orientation="h", x=0, y=1.0, xanchor="left", yanchor="bottom", traceorder="normal")
STAGE_LABELS = {"planning": "Planning", "tender": "Tender", "award": "Award"}
GAP_STATUS = {"unserved": "unserved", "under": "under-served"}

def sector_label(code: Any) -> str:
    return SECTOR_LABELS.get(str(code), str(code))


def _num(v: Any) -> float | None:
    """A float, or None for a missing value (None, NaN, NaT)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _date(v: Any) -> str:
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)[:10]


def trend_options() -> list[dict[str, str]]:
    return [{"label": label, "value": value} for value, (label, *_rest) in TRENDS.items()]


# --------------------------------------------------------------------------
# diversity
# --------------------------------------------------------------------------
def _with_top_legend(fig: go.Figure, height: int) -> go.Figure:
    fig = fg._base(fig, None, height)
    fig.update_layout(margin=dict(l=10, r=10, t=50, b=10))
    return fig


def diversity_rows(diversity: pd.DataFrame, category: str | None) -> pd.DataFrame:
    """The diversity rows of the view (one category when chosen), in the analysis's order."""
    if diversity is None or not len(diversity):
        return pd.DataFrame(columns=["place", "category", "sector", "share", "providers", "supply"])
    return diversity if category is None else diversity[diversity["category"] == category]


def diversity_table(rows: pd.DataFrame, names: Names) -> pd.DataFrame:
    return pd.DataFrame({
        "Place": [names.place(p) for p in rows["place"]],
        "Category": [names.category(c) for c in rows["category"]],
        "Sector": [sector_label(s) for s in rows["sector"]],
        "Share of supply %": [None if _num(s) is None else round(100 * float(s), 1) for s in rows["share"]],
        "Providers": [int(p) for p in rows["providers"]],
        "Supply (people)": [None if _num(s) is None else round(float(s), 1) for s in rows["supply"]],
    })


def _bar_labels(rows: pd.DataFrame, names: Names) -> list[str]:
    several = rows["place"].nunique() > 1
    return [names.category(c) + (f" — {names.place(p)}" if several else "")
            for p, c in zip(rows["place"], rows["category"])]


def diversity_figure(rows: pd.DataFrame, names: Names, *, shares: bool = True) -> go.Figure:
    """Stacked horizontal bars per (place, category), one colour per sector: the share of supply on the left
    (bars reach 100 %), the number of providers on the right; one figure (one plot to draw, one legend).

    ``shares=False`` (no capacity known anywhere, so no shares): the provider counts alone.
    """
    from plotly.subplots import make_subplots

    if not len(rows):
        return fg.empty_figure("No active services here, so no providers to count.")
    labels = _bar_labels(rows, names)
    order = [fg._esc(y) for y in dict.fromkeys(labels)]
    fig = make_subplots(rows=1, cols=2 if shares else 1, shared_yaxes=True, horizontal_spacing=0.04,
                        column_widths=[0.62, 0.38] if shares else None,
                        subplot_titles=["Share of supply", "Providers"] if shares else ["Providers"])
    for sector in SECTORS:
        mask = [s == sector for s in rows["sector"]]
        if not any(mask):
            continue
        sub = rows[mask]
        ys = [fg._esc(lab) for lab, k in zip(labels, mask) if k]
        name = sector_label(sector)
        counts = [int(v) for v in sub["providers"]]
        common = dict(y=ys, orientation="h", name=name, legendgroup=sector, marker_color=SECTOR_COLOURS[sector],
                      customdata=counts)
        if shares:
            fig.add_bar(x=[_num(v) for v in sub["share"]], row=1, col=1, **common,
                        hovertemplate="%{y}<br>" + fg._esc(name) + ": %{x:.0%} of supply, %{customdata} provider(s)"
                                      "<extra></extra>")
        fig.add_bar(x=counts, row=1, col=2 if shares else 1, showlegend=not shares, **common,
                    hovertemplate="%{y}<br>" + fg._esc(name) + ": %{x} provider(s)<extra></extra>")
    fig.update_layout(barmode="stack")
    if shares:
        fig.update_xaxes(tickformat=".0%", range=[0, 1.0001], dtick=0.2, row=1, col=1)
    top = int(rows.groupby(["place", "category"])["providers"].sum().max())
    fig.update_xaxes(tickformat=",d", rangemode="tozero", dtick=1 if top <= 8 else None, row=1, col=2 if shares else 1)
    fig.update_yaxes(autorange="reversed", automargin=False, categoryorder="array", categoryarray=order)
    fig = fg._base(fig, None, max(300, 30 * len(order) + 140))
    # the legend under the bars: above them sit the two panels' titles
    fig.update_layout(legend=dict(TOP_LEGEND, yref="container", y=0.0, yanchor="bottom"),
                      margin=dict(l=fg.label_margin(order), r=fg.TICK_OVERHANG, t=30, b=64))
    return fig


def diversity_note(rows: pd.DataFrame) -> str | None:
    """What the diversity figures cannot show, said plainly (None when there is nothing to say)."""
    if not len(rows):
        return ("No active services in this place and category on this date, so there is no supply to divide by "
                "sector. Load services (the template's services table) or choose another category or date.")
    if set(rows["sector"]) == {"unknown"}:
        return ("No provider here has a sector recorded, so every provider counts as 'sector not recorded'. Add a "
                "sector (vcse, private, public or other) to the organisations table; OCDS suppliers' SME and "
                "VCSE flags, and 360Giving recipients with a charity number, fill it in on loading.")
    if all(_num(s) is None for s in rows["share"]):
        return ("Shares of supply need the services' capacities, and none are recorded here; the provider counts "
                "by sector are shown instead.")
    if "unknown" in set(rows["sector"]):
        return "Some providers have no sector recorded: they are counted as 'sector not recorded'."
    return None


def diversity_section(res: Result) -> list:
    a, names, view = res.analysis, res.names, res.view
    rows = diversity_rows(a.diversity, view.category)
    note = diversity_note(rows)
    out: list = [html.H2("Who provides", className="h4 mt-3", id="market-who")]
    if note:
        out.append(html.P(note, className="small mb-2", id="market-diversity-note", role="note"))
    if not len(rows):
        return out
    shares = any(_num(s) is not None for s in rows["share"])
    table = data_table("market-diversity-table", diversity_table(rows, names), caption="Diversity by sector",
                       numeric={"Share of supply %": 1, "Supply (people)": 0}, empty="No providers to count.")
    out.append(chart("market-diversity", diversity_figure(rows, names, shares=shares), table,
                     title=f"Supply and providers by sector — {names.category(view.category)}",
                     filename="ecomap-diversity",
                     description=("Left: each category's supply for the place, split by the sector of the providers "
                                  "giving it (capacity apportioned over the places a service covers). " if shares
                                  else "") + "Right: the distinct providers of each sector with an active service "
                                             "here, capacity known or not."))
    return out


# --------------------------------------------------------------------------
# concentration
# --------------------------------------------------------------------------
def concentration_table(conc: pd.DataFrame, names: Names, view: View) -> pd.DataFrame:
    return pd.DataFrame({
        "Place": [names.place(p) for p in conc["place"]],
        "Category": [names.category(c) for c in conc["category"]],
        "HHI": conc["hhi"].astype(float).round(0),
        "Concentrated": ["yes" if x else "no" for x in conc["concentrated"]],
        "Providers": [int(x) for x in conc["providers"]] if "providers" in conc else [None] * len(conc),
        "Largest provider": [org_link(names, p, view) if isinstance(p, str) and p else ""
                             for p in (conc["top_provider"] if "top_provider" in conc else [None] * len(conc))],
        "Largest share %": (conc["top_share"].astype(float) * 100).round(1) if "top_share" in conc
        else [None] * len(conc),
    })


def concentration_section(res: Result) -> list:
    a, names, view = res.analysis, res.names, res.view
    conc = a.concentration if view.category is None else a.concentration[a.concentration["category"] == view.category]
    conc = conc.sort_values(["hhi", "place", "category"], ascending=[False, True, True], kind="stable")
    n = int(conc["concentrated"].astype(bool).sum()) if len(conc) else 0
    said = (f"{n:,} of {len(conc):,} categor{'y is' if len(conc) == 1 else 'ies are'} concentrated (HHI above 2,500: "
            "a few providers give most of the supply)." if len(conc) else
            "No supply with known capacity here, so concentration cannot be measured.")
    head = [html.H2("How concentrated", className="h4 mt-3", id="market-concentration-heading"),
            html.P(said, className="mb-2", id="market-concentration-said")]
    if not len(conc):
        return head
    return head + [data_table("market-concentration-table", concentration_table(conc, names, view),
                              caption=f"Concentration (HHI of providers' supply) — {names.category(view.category)}",
                              markdown=["Largest provider"], numeric={"HHI": 0, "Largest share %": 1},
                              row_style=[{"if": {"filter_query": '{Concentrated} = "yes"', "column_id": "Concentrated"},
                                          "fontWeight": "600"}]),
                   html.P("HHI is the sum of the squared shares of supply (as percentages) of the providers: 10,000 "
                          "means one provider gives it all; above 2,500 counts as concentrated.",
                          className="small text-muted")]


# --------------------------------------------------------------------------
# funding security
# --------------------------------------------------------------------------
def security_table(sec: pd.DataFrame, names: Names, view: View) -> pd.DataFrame:
    """Funder (``All funders`` for the total rows), currency, amount, flows and the two shares as percentages."""
    def share(v):
        f = _num(v)
        return None if f is None else round(100 * f, 1)

    short = [share(v) for v in sec["short_term_share"]]
    multi = [share(v) for v in sec["multi_year_share"]]
    return pd.DataFrame({
        "Funder": ["All funders" if not isinstance(f, str) or not f else org_link(names, f, view)
                   for f in sec["funder"]],
        "Currency": list(sec["currency"]),
        "Amount": [float(v) for v in sec["amount"]],
        "Flows": [int(v) for v in sec["flows"]],
        "Short-term %": short,
        "One to three years %": [None if s is None or m is None else round(max(0.0, 100 - s - m), 1)
                                 for s, m in zip(short, multi)],
        "Multi-year %": multi,
    })


#: the funders drawn in the funding security chart (the table has every one)
MAX_FUNDERS = 20


def security_figure(sec: pd.DataFrame, names: Names, currency: str) -> go.Figure:
    """Stacked bars per funder (and all funders, first) of one currency: short-term, 1–3 years, multi-year."""
    rows = sec[sec["currency"] == currency]
    if not len(rows):
        return fg.empty_figure("No active funding here.")
    total, funders = rows[rows["funder"].isna()], rows[rows["funder"].notna()].head(MAX_FUNDERS)
    rows = pd.concat([total, funders])
    labels = [("All funders" if not isinstance(f, str) else names.organisation(f)) for f in rows["funder"]]
    short = [_num(v) or 0.0 for v in rows["short_term_share"]]
    multi = [_num(v) or 0.0 for v in rows["multi_year_share"]]
    middle = [max(0.0, 1 - s - m) for s, m in zip(short, multi)]
    amounts = [fmt_money(v, currency) for v in rows["amount"]]
    fig = go.Figure()
    for name, xs, colour in (("12 months or less", short, "#D55E00"), ("More than 12 months, under 36", middle,
                                                                        "#56B4E9"),
                             ("36 months or more, or open-ended", multi, "#009E73")):
        fig.add_bar(y=[fg._esc(x) for x in labels], x=xs, orientation="h", name=name, marker_color=colour,
                    customdata=amounts, hovertemplate="%{y}: %{x:.0%} of %{customdata}<extra>" + name + "</extra>")
    fig.update_layout(barmode="stack", legend=TOP_LEGEND,
                      xaxis_title=f"share of active funding in {currency}, by how long each flow lasts")
    fig.update_xaxes(tickformat=".0%", range=[0, 1.0001], dtick=0.2)
    fig.update_yaxes(autorange="reversed", automargin=False)
    fig = _with_top_legend(fig, max(260, 28 * len(labels) + 140))
    fig.update_layout(margin_l=fg.label_margin(labels), margin_b=60, margin_r=fg.TICK_OVERHANG)
    return fig


def security_cards(sec: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    """Cards for the total rows: the short-term and multi-year shares (per currency when several)."""
    totals = sec[sec["funder"].isna()] if len(sec) else sec
    several = len(totals) > 1
    cards = []
    for r in totals.itertuples(index=False):
        cur = f" ({r.currency})" if several else ""
        cards.append((f"Short-term funding{cur}", pct(_num(r.short_term_share)),
                      f"of {fmt_money(r.amount, r.currency)} in flows of 12 months or less"))
        cards.append((f"Multi-year funding{cur}", pct(_num(r.multi_year_share)),
                      "in flows of 36 months or more, or open-ended"))
    return cards


def security_section(res: Result) -> list:
    a, names, view = res.analysis, res.names, res.view
    sec = a.funding_security
    out: list = [html.H2("How secure the money is", className="h4 mt-3", id="market-security-heading")]
    where = names.place(view.place) if view.place else "any place"
    if not len(sec):
        out.append(html.P(f"No active funding to organisations in {where} on {view.as_of:%-d %B %Y}, so there is no "
                          "money whose security to measure. Load funding flows (the template's funding table or a "
                          "360Giving file) or choose another date.", className="mb-3", id="market-security-empty"))
        return out
    currencies = order_currencies(sec["currency"])
    main = a.currency if a.currency in currencies else currencies[0]
    out.append(html.P(
        f"Active funding to organisations in {where}, by how long each flow runs. Short-term: 12 months or less; "
        "multi-year: 36 months or more, or open-ended."
        + (" This covers every category: funding is not split by category here." if view.category else "")
        + (f" Funding is in {len(currencies)} currencies ({', '.join(currencies)}); each has its own total and the "
           f"chart shows {main}. Amounts in different currencies are never added together." if len(currencies) > 1
           else ""), className="mb-2"))
    table = data_table("market-security-table", security_table(sec, names, view),
                       caption="Funding security by funder", markdown=["Funder"],
                       numeric={"Amount": 0, "Short-term %": 1, "One to three years %": 1, "Multi-year %": 1})
    out.append(chart("market-security", security_figure(sec, names, main), table,
                     title=f"Funding security — all funders and the {MAX_FUNDERS} largest ({main})",
                     filename="ecomap-funding-security", lazy=True,
                     description="Each bar splits one funder's active money by how long its flows last; the first "
                                 "bar is every funder together."))
    return out


# --------------------------------------------------------------------------
# the pipeline
# --------------------------------------------------------------------------
def gaps_text(gaps: Any, names: Names, *, limit: int = 5) -> str:
    """``Altrincham: unserved, 120 unmet; Sale: under-served, 40 unmet`` (the largest first, as given)."""
    items = [g for g in (gaps or []) if isinstance(g, dict)]
    parts = []
    for g in items[:limit]:
        unmet = _num(g.get("unmet"))
        parts.append(f"{names.place(g.get('place'))}: {GAP_STATUS.get(g.get('status'), g.get('status'))}"
                     + (f", {unmet:,.0f} unmet" if unmet is not None else ""))
    more = len(items) - limit
    return "; ".join(parts) + (f" and {more} more" if more > 0 else "")


def cliffs_text(cliffs: Any, a_cliffs: pd.DataFrame, names: Names, view: View) -> str:
    """Each cliff as who it funds, how much and when it ends (the funding id only when it is not in the analysis)."""
    ids = list(cliffs or [])
    if not ids:
        return ""
    known = {}
    if len(a_cliffs):
        for r in a_cliffs.itertuples(index=False):
            known[r.funding] = r
    parts = []
    for fid in ids:
        r = known.get(fid)
        if r is None:
            parts.append(str(fid))
        else:
            parts.append(f"{org_link(names, r.recipient, view)} ({fmt_money(r.amount, getattr(r, 'currency', None))}"
                         f" ending {_date(r.end)})")
    return "; ".join(parts)


def pipeline_table(pipe: pd.DataFrame, a_cliffs: pd.DataFrame, names: Names, view: View) -> pd.DataFrame:
    return pd.DataFrame({
        "Procurement": [str(t) if isinstance(t, str) and t else str(p) for t, p in zip(pipe["title"],
                                                                                      pipe["procurement"])],
        "Buyer": [org_link(names, b, view) if isinstance(b, str) and b else "" for b in pipe["buyer"]],
        "Category": ["Unclassified" if c == "unclassified" else names.category(c) for c in pipe["category"]],
        "Stage": [STAGE_LABELS.get(s, s) if isinstance(s, str) else "" for s in pipe["stage"]],
        "Starts": [_date(d) for d in pipe["start"]],
        "Ends": [_date(d) for d in pipe["end"]],
        "Value": [_num(v) for v in pipe["value"]],
        "Currency": [c if isinstance(c, str) and c else DEFAULT_CURRENCY for c in pipe["currency"]],
        "Places": [", ".join(names.place(p) for p in (ps or ())) or "not given" for ps in pipe["places"]],
        "Gaps it may answer": [gaps_text(g, names) for g in pipe["gaps"]],
        "Funding cliffs it may answer": [cliffs_text(c, a_cliffs, names, view) for c in pipe["cliffs"]],
    })


def pipeline_section(res: Result) -> list:
    a, names, view = res.analysis, res.names, res.view
    pipe = a.pipeline if view.category is None else a.pipeline[a.pipeline["category"] == view.category]
    out: list = [html.H2("What is being procured", className="h4 mt-3", id="market-pipeline-heading")]
    of = "" if view.category is None else f" in {names.category(view.category)}"
    if not len(pipe):
        out.append(html.P([
            f"No procurement{of} is recorded as starting after {view.as_of:%-d %B %Y}. Add a procurements table "
            "to the template (id, buyer, title, category, start) or load OCDS planning or tender releases; ",
            html.Code("ecomap categories map"), " sorts their CPV codes into categories."], className="mb-3",
            id="market-pipeline-empty"))
        return out
    answering = sum(1 for g, c in zip(pipe["gaps"], pipe["cliffs"]) if (g is not None and len(g)) or
                    (c is not None and len(c)))
    out.append(html.P(f"{len(pipe):,} procurement(s){of} expected to start after {view.as_of:%-d %B %Y}; "
                      f"{answering:,} may answer a gap or a funding cliff (gaps: places under-served or unserved "
                      "in the procurement's category within its places; cliffs: funding from the same buyer for "
                      "that category ending soon with nothing after it).", className="mb-2"))
    out.append(data_table("market-pipeline", pipeline_table(pipe, a.funding_cliffs, names, view),
                          caption="Procurement pipeline", markdown=["Buyer", "Funding cliffs it may answer"],
                          numeric={"Value": 0}, page_size=10))
    return out


# --------------------------------------------------------------------------
# the trend (small line charts)
# --------------------------------------------------------------------------
#: the trend's panels: title, and how its axis reads
TREND_PANELS = (("Need and unmet need (people)", "people"), ("Providers by sector", "counts"),
                ("Active funding", "money"), ("Funding security", "share"))
TREND_EMPTY = {"people": "No need or supply recorded.", "counts": "No providers.", "money": "No active funding.",
               "share": "No active funding."}


def trend_panels(series: pd.DataFrame | None) -> tuple[list, list[dict[str, Any]]]:
    """The dates and the four small charts' lines: need and unmet; providers by sector; funding per currency; its
    security. Each panel: ``title``, ``kind``, ``lines`` (name, values, colour, dash), one value per date."""
    if series is None or not len(series):
        return [], []
    s = series.copy()
    s["as_of"] = pd.to_datetime(s["as_of"])
    per_date = s.drop_duplicates("as_of").sort_values("as_of")
    x = list(per_date["as_of"])
    need = [("People in need", [_num(v) for v in per_date["demand"]], "#0072B2", "solid"),
            ("Supply", [_num(v) for v in per_date["supply"]], "#009E73", "solid"),
            ("Unmet need", [_num(v) for v in per_date["unmet"]], "#D55E00", "solid")]
    if not any(v for line in need for v in line[1]):
        need = []
    providers = []
    for sector in SECTORS:
        col = f"providers_{sector}"
        if col in per_date and any((_num(v) or 0) > 0 for v in per_date[col]):
            providers.append((sector_label(sector), [_num(v) for v in per_date[col]], SECTOR_COLOURS[sector], "solid"))
    cur = s[s["currency"].notna()] if "currency" in s else s.iloc[0:0]
    currencies = order_currencies(cur["currency"]) if len(cur) else []
    palette = ["#0072B2", "#E69F00", "#CC79A7", "#56B4E9", "#000000"]
    dashes = ["solid", "dash", "dot", "dashdot"]
    money_lines, share_lines = [], []
    for i, c in enumerate(currencies):
        d = cur[cur["currency"] == c].set_index("as_of").reindex(x)
        dash = dashes[i % len(dashes)]  # a second currency's lines are dashed: the colours keep their meaning
        money_lines.append((f"Active funding ({c})", [_num(v) for v in d["funding"]], palette[i % len(palette)], dash))
        suffix = f" ({c})" if len(currencies) > 1 else ""
        share_lines.append((f"Short-term{suffix}", [_num(v) for v in d["short_term_share"]], "#D55E00", dash))
        share_lines.append((f"Multi-year{suffix}", [_num(v) for v in d["multi_year_share"]], "#009E73", dash))
    lines = {"people": need, "counts": providers, "money": money_lines, "share": share_lines}
    return x, [{"title": t, "kind": k, "lines": lines[k]} for t, k in TREND_PANELS]


def trend_figure(x: list, panels: list[dict[str, Any]]) -> go.Figure:
    """The small line charts as one figure of 2 × 2 panels (one plot draws about three times faster than four),
    each with its own legend under it; a panel with nothing to draw says why."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=2, subplot_titles=[fg._esc(p["title"]) for p in panels],
                        horizontal_spacing=0.08, vertical_spacing=0.3)
    yearly = len({(d.month, d.day) for d in x}) == 1
    ticks = dict(tickvals=x, ticktext=[f"{d:%Y}" if yearly else f"{d:%b %y}" for d in x]) if len(x) <= 6 else \
        dict(tickformat="%Y" if yearly else "%b %y", nticks=6)
    legends = {}
    for i, panel in enumerate(panels):
        row, col = divmod(i, 2)
        n = "" if i == 0 else str(i + 1)
        xaxis, yaxis = fig.layout[f"xaxis{n}"], fig.layout[f"yaxis{n}"]
        fmt = ".0%" if panel["kind"] == "share" else ",.0f"
        for name, ys, colour, dash in panel["lines"]:
            fig.add_scatter(x=x, y=ys, mode="lines+markers", name=name, legend=f"legend{n}",
                            line=dict(color=colour, width=2, dash=dash), row=row + 1, col=col + 1,
                            hovertemplate="%{x|%-d %b %Y}: %{y:" + fmt + "}<extra>" + fg._esc(name) + "</extra>")
        fig.update_xaxes(tickangle=0, row=row + 1, col=col + 1, **ticks)
        fig.update_yaxes(rangemode="tozero", row=row + 1, col=col + 1,
                         **({"tickformat": ".0%"} if panel["kind"] == "share" else {}))
        if panel["kind"] == "counts":
            top = max((v for line in panel["lines"] for v in line[1] if v is not None), default=0)
            fig.update_yaxes(tickformat=",d", dtick=1 if top <= 6 else None, row=row + 1, col=col + 1)
        if not panel["lines"]:
            fig.update_xaxes(visible=False, row=row + 1, col=col + 1)
            fig.update_yaxes(visible=False, row=row + 1, col=col + 1)
            fig.add_annotation(text=TREND_EMPTY[panel["kind"]], showarrow=False, font=dict(size=13, color="#555"),
                               x=sum(xaxis.domain) / 2, y=sum(yaxis.domain) / 2, xref="paper", yref="paper")
        legends[f"legend{n}"] = dict(orientation="h", x=xaxis.domain[0], y=yaxis.domain[0] - 0.07, xanchor="left",
                                     yanchor="top", traceorder="normal", font=dict(size=11))
    fig.update_layout(hovermode="x unified", showlegend=True, **legends)
    fig = fg._base(fig, None, 620)
    # room for the values beside each panel (up to "10,000" or "100%") and the bottom panels' legends under them
    fig.update_layout(margin=dict(l=56, r=10, t=30, b=84), font=dict(size=11))
    return fig


def trend_table(series: pd.DataFrame) -> pd.DataFrame:
    s = series
    df = pd.DataFrame({
        "As of": [_date(d) for d in s["as_of"]],
        "People in need": [_num(v) for v in s["demand"]],
        "Supply": [_num(v) for v in s["supply"]],
        "Unmet": [_num(v) for v in s["unmet"]],
        "Unserved cells": [None if _num(v) is None else int(v) for v in s["unserved"]],
    })
    for sector in SECTORS:
        col = f"providers_{sector}"
        if col in s:
            df[f"Providers: {sector_label(sector)}"] = [None if _num(v) is None else int(v) for v in s[col]]
    df["Currency"] = [c if isinstance(c, str) else "" for c in s["currency"]]
    df["Active funding"] = [_num(v) for v in s["funding"]]
    df["Short-term %"] = [None if _num(v) is None else round(100 * float(v), 1) for v in s["short_term_share"]]
    df["Multi-year %"] = [None if _num(v) is None else round(100 * float(v), 1) for v in s["multi_year_share"]]
    return df


def trend_section(series: pd.DataFrame | None, names: Names, view: View, *, note: str | None = None) -> list:
    """The trend as four small line charts (one figure) and their table (the series' rows)."""
    dates = "" if series is None or not len(series) else (
        f" from {pd.Timestamp(series['as_of'].min()):%-d %B %Y} to {pd.Timestamp(series['as_of'].max()):%-d %B %Y}")
    out: list = [html.P(f"The headline figures for {names.place(view.place) if view.place else 'every place'} — "
                        f"{names.category(view.category)}{dates}, each date computed as if it were 'as of' then.",
                        className="small text-muted mb-2")]
    if note:
        out.append(html.P(note, className="small mb-2", role="note"))
    x, panels = trend_panels(series)
    if not panels:
        out.append(html.P("No figures to draw for these dates.", className="text-muted fst-italic"))
        return out
    titles = "; ".join(p["title"].lower() for p in panels)
    drawn = html.Div(graph("market-trend-chart", trend_figure(x, panels), filename="ecomap-trend", lazy=True),
                     role="figure", **{"aria-label": f"The trend in four small charts: {titles} (the same figures are "
                                                     "in the table below)"})
    numeric = {c: 0 for c in ("People in need", "Supply", "Unmet", "Active funding")}
    numeric.update({"Short-term %": 1, "Multi-year %": 1})
    out += [drawn,
            html.Details([html.Summary("The trend as a table", className="small"),
                          data_table("market-trend-table", trend_table(series), caption="Trend", numeric=numeric,
                                     page_size=12)], className="mb-3")]
    return out


# --------------------------------------------------------------------------
# the page body
# --------------------------------------------------------------------------
def market_cards(res: Result) -> html.Div:
    a, names, view = res.analysis, res.names, res.view
    rows = diversity_rows(a.diversity, view.category)
    by_sector: dict[str, int] = {}
    for s, p in zip(rows["sector"], rows["providers"]):
        by_sector[s] = by_sector.get(s, 0) + int(p)
    vcse_supply = sum(_num(v) or 0.0 for s, v in zip(rows["sector"], rows["supply"]) if s == "vcse")
    all_supply = sum(_num(v) or 0.0 for v in rows["supply"])
    conc = a.concentration if view.category is None else a.concentration[a.concentration["category"] == view.category]
    pipe = a.pipeline if view.category is None else a.pipeline[a.pipeline["category"] == view.category]
    providers = (f"{by_sector.get('vcse', 0):,} of {sum(by_sector.values()):,} providers here are VCSE"
                 if view.category is not None else "across every category here")
    cards: list[tuple[str, str, str | None]] = [
        ("VCSE share of supply", pct(vcse_supply / all_supply) if all_supply else "–", providers),
        ("Concentrated markets", f"{int(conc['concentrated'].astype(bool).sum()) if len(conc) else 0:,}",
         f"of {len(conc):,} categor{'y' if len(conc) == 1 else 'ies'} with HHI above 2,500" if len(conc)
         else "no supply with known capacity to measure"),
        *security_cards(a.funding_security)[:4],
        ("Procurements coming", f"{len(pipe):,}", f"starting after {view.as_of:%-d %b %Y}"),
    ]
    return figure_cards(cards)


def market_view(res: Result) -> list:
    """Cards, who provides, concentration, funding security and the pipeline (the trend has its own callback)."""
    return [market_cards(res), *diversity_section(res), *concentration_section(res), *security_section(res),
            *pipeline_section(res)]

