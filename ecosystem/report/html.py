"""The report as one self-contained HTML file: inline CSS and SVG, nothing fetched, prints on A4."""

from __future__ import annotations

from html import escape
from typing import Any

from ecosystem.model import DEFAULT_CURRENCY
from ecosystem.money import fmt as fmt_money
from ecosystem.report import figures as fig
from ecosystem.report.build import Report
from ecosystem.report.content import Namer, Table, cliff_bands, category_totals, people, sections, subtitle, title

#: rows of the coverage grid (the places with the most unmet need first when there are more)
GRID_ROWS = 60

CSS = """
:root{--ink:#1d2a33;--muted:#5b6770;--line:#d5dbe0;--band:#f4f6f8;--accent:#1f5f8b}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);margin:0;
 line-height:1.45;font-size:15px}
main{max-width:1040px;margin:0 auto;padding:24px 28px 60px}
header h1{margin:0 0 4px;font-size:28px}
header p{margin:0;color:var(--muted)}
nav{margin:14px 0 8px;font-size:13px}
nav a{color:var(--accent);margin-right:14px;text-decoration:none}
h2{font-size:21px;border-bottom:2px solid var(--accent);padding-bottom:4px;margin:34px 0 10px}
h3{font-size:16px;margin:20px 0 6px}
p.lead{font-size:17px;font-weight:600}
table{border-collapse:collapse;width:100%;margin:6px 0 4px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.k{white-space:nowrap}
tr{page-break-inside:avoid;break-inside:avoid}
p.more{font-size:12px;color:var(--muted);margin:2px 0 10px}
abbr{text-decoration:none}
ul{margin:6px 0 10px;padding-left:22px}
figure{margin:8px 0 16px}
figcaption{font-size:12px;color:var(--muted)}
section{margin-bottom:10px}
footer{margin-top:40px;font-size:12px;color:var(--muted)}
@page{size:A4;margin:14mm 12mm}
@media print{
 body{font-size:11pt}
 main{max-width:none;padding:0}
 nav{display:none}
 section{break-before:page;page-break-before:always}
 section#summary{break-before:auto;page-break-before:auto}
 h2,h3{break-after:avoid;page-break-after:avoid}
 figure,svg{break-inside:avoid;page-break-inside:avoid}
 thead{display:table-header-group}
 a{color:inherit;text-decoration:none}
}
"""


def _e(s: Any) -> str:
    return escape(str(s), quote=True)


def _cell(c: Any, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    if isinstance(c, tuple):
        return f'<td{attr}><abbr title="{_e(c[1])}">{_e(c[0])}</abbr></td>'
    return f"<td{attr}>{_e(c)}</td>"


def _table(t: Table) -> str:
    if not t.total_rows:
        return f"<p>{_e(t.empty)}</p>"
    head = "".join(f'<th class="n">{_e(c)}</th>' if i in t.numeric else f"<th>{_e(c)}</th>"
                   for i, c in enumerate(t.columns))
    cls = ["n" if i in t.numeric else ("k" if i in t.nowrap else "") for i in range(len(t.columns))]
    body = "".join("<tr>" + "".join(_cell(c, cls[i]) for i, c in enumerate(r)) + "</tr>" for r in t.rows)
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if t.total_rows > len(t.rows):
        out += (f'<p class="more">Showing {len(t.rows)} of {t.total_rows} rows; every row is in '
                f'{_e(t.csv or "the CSV files")}.</p>')
    return out


def _figures(report: Report) -> dict[str, str]:
    doc = report.doc
    n = Namer(doc["names"])
    cov = doc["analysis"]["coverage"]
    out: dict[str, str] = {}

    unmet_by_place: dict[str, float] = {}
    for r in cov:
        if (r["demand"] or 0) > 0:
            unmet_by_place[r["place"]] = unmet_by_place.get(r["place"], 0.0) + (r["unmet"] or 0.0)
    if report.boundaries:
        svg = fig.choropleth(report.boundaries, unmet_by_place, doc["names"]["places"],
                             label="Map of unmet need by place")
        if svg:
            out["map"] = (f"<figure>{svg}<figcaption>Unmet need (people a year, all categories) in each place; "
                          f"darker is more. Hover a place for its figure.</figcaption></figure>")

    cells = {(r["place"], r["category"]): r for r in cov}
    places = sorted({r["place"] for r in cov}, key=lambda p: (-unmet_by_place.get(p, 0.0), n("places", p)))
    shown = places[:GRID_ROWS]
    shown.sort(key=lambda p: n("places", p))
    cats = sorted({r["category"] for r in cov}, key=lambda c: n("categories", c))
    grid = fig.status_grid([(p, n("places", p)) for p in shown], [(c, n("categories", c)) for c in cats], cells,
                           label="Coverage status by place and category")
    more = (f" Showing the {len(shown)} places with the most unmet need of {len(places)}." if len(places) > len(shown)
            else "")
    out["grid"] = (f"<figure>{grid}<figcaption>Coverage (supply ÷ need) in each cell; — marks need with no active "
                   f"service.{more}</figcaption></figure>") if grid else "<p>No need or provision recorded.</p>"

    ct = [r for r in category_totals(doc) if r["unmet"] > 0]
    bars = fig.bar_chart([(n("categories", r["category"]), r["unmet"],
                           f"{n('categories', r['category'])}: unmet {people(r['unmet'])} of {people(r['demand'])} "
                           f"people a year") for r in ct], label="Unmet need by category",
                         value_format=people)
    out["unmet_by_category"] = (f"<figure>{bars}<figcaption>Unmet need, people a year.</figcaption></figure>"
                                if bars else "<p>No unmet need.</p>")

    currency = doc["analysis"].get("currency") or DEFAULT_CURRENCY
    bands = cliff_bands(doc, currency)
    prev = 0
    items = []
    last_amount = 0.0
    for b, k, v in bands:
        amount = v - last_amount
        items.append((f"ending in months {prev + 1}–{b}" if prev else f"ending within {b} months", amount,
                      f"{k} flow(s) ending within {b} months: {fmt_money(v, currency)} in all"))
        prev, last_amount = b, v
    others = [c for c in {r.get("currency") or DEFAULT_CURRENCY for r in doc["cliff_outlook"]} if c != currency]
    if any(v > 0 for _, v, _ in items):
        chart = fig.bar_chart(items, label="Funding at risk", value_format=lambda v: fmt_money(v, currency),
                              colour="#b2182b")
        extra = (f" Amounts in {currency}; cliffs in {', '.join(sorted(others))} are in the funding table."
                 if others else "")
        out["cliffs"] = (f"<figure>{chart}"
                         f"<figcaption>Active funding ending with nothing after it, by when it ends.{extra}"
                         f"</figcaption></figure>")
    else:
        out["cliffs"] = "<p>No funding ends within 12 months without a successor.</p>"
    return out


def render_sections(secs, figs: dict[str, str]) -> str:
    """The ``<section>`` elements of ``secs``; ``figs`` maps figure keys to their HTML (inline SVG)."""
    parts = []
    for s in secs:
        body = []
        for kind, value in s.blocks:
            if kind == "p":
                cls = ' class="lead"' if s.id == "summary" and not body else ""
                body.append(f"<p{cls}>{_e(value)}</p>")
            elif kind == "h":
                body.append(f"<h3>{_e(value)}</h3>")
            elif kind == "list":
                body.append("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in value) + "</ul>")
            elif kind == "table":
                body.append(_table(value))
            elif kind == "figure":
                body.append(figs.get(value, ""))
        parts.append(f'<section id="{_e(s.id)}"><h2>{_e(s.title)}</h2>{"".join(body)}</section>')
    return "".join(parts)


def page(heading: str, sub: str, secs, figs: dict[str, str], *, tab_title: str, footer: str) -> str:
    """One self-contained HTML document: a header, a contents line, the sections and a footer (all text escaped)."""
    nav = "".join(f'<a href="#{_e(s.id)}">{_e(s.title)}</a>' for s in secs)
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{_e(tab_title)}</title><style>{CSS}</style></head><body><main>"
            f"<header><h1>{_e(heading)}</h1><p>{_e(sub)}</p></header><nav>{nav}</nav>"
            + render_sections(secs, figs) +
            f"<footer>{_e(footer)}</footer></main></body></html>\n")


def render_html(report: Report) -> str:
    """The report as one HTML document (a string) with no reference to anything outside it."""
    doc = report.doc
    figs = _figures(report)
    secs = sections(doc, has_map="map" in figs)
    return page(title(doc), subtitle(doc), secs, figs, tab_title=f"{title(doc)} ({doc['as_of']})",
                footer=f"Made by ecomap {doc.get('tool_version')} from data version {doc['data']['version']}. "
                       f"Figures are people a year unless marked £.")
