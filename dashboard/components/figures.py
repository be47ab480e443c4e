"""Plotly figures, built from plain DataFrames (pure functions).

Colours are colour-blind safe: the Okabe–Ito palette for categories and
statuses, cividis for quantities. Maps are SVG ``choropleth`` traces of the
boundaries from the store on a blank Mercator ``geo`` (no base layers, no
tiles), so they need no internet and no WebGL; without boundaries the
leaves are drawn as a tile grid.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecosystem.money import SYMBOLS

#: Okabe & Ito's colour-blind-safe palette
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
STATUS_COLOURS = {"unserved": "#D55E00", "under": "#E69F00", "met": "#009E73", "over": "#0072B2",
                  "no_demand": "#999999"}
STATUS_LABELS = {"unserved": "Unserved", "under": "Under-served", "met": "Met", "over": "Over-supplied",
                 "no_demand": "No recorded need"}
SEQUENTIAL = "Cividis"
METRICS = {"unmet": "Unmet need (people)", "coverage": "Coverage (supply ÷ need)", "demand": "People in need",
           "supply": "Supply (people)", "change": "Added unmet need (people)"}
#: coverage is drawn capped here so one large value does not wash out the scale
COVERAGE_CAP = 2.0

def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``) by the WCAG contrast ratio."""
    def linear(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(background.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    lum = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


_FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size=13)


#: the longest bar label drawn whole (a longer one is cut with …; the hover has it all)
LABEL_CHARS = 48


def label_margin(labels, size: int = _FONT["size"], *, lo: int = 40, hi: int = 420) -> int:
    """Pixels of margin the longest line of ``labels`` needs beside an axis at font ``size`` (a generous guess).

    Given as the margin, Plotly's ``automargin`` (kept, so a label is never
    cut) finds the room already there and does not draw the chart a second
    time: at la scale those second draws, with a measurement of every label,
    took a third of a page's time in the browser.
    """
    longest = max((len(line) for t in labels for line in str(t).replace("<br>", "\n").split("\n")), default=0)
    return int(min(hi, max(lo, longest * size * 0.62 + 24)))


#: room beside a bar chart's value axis for half its last tick label ("100%", "1,500"), centred on the plot's edge
TICK_OVERHANG = 40

#: a colour bar: its own width, set from the right edge of the figure (not 2 % of the plot's width past the
#: plot, which varies with the window), its title upright beside it; COLOURBAR_MARGIN holds it with its tick
#: labels, so Plotly need not widen the margin and draw the chart a second time
COLOURBAR = dict(thickness=14, xref="container", x=1, xanchor="right", xpad=8)
COLOURBAR_MARGIN = 96


def colour_bar(metric: str) -> dict:
    """:data:`COLOURBAR` titled with the metric's name, the title upright beside the bar."""
    return dict(COLOURBAR, title=dict(text=METRICS.get(metric, metric), side="right"))

_CARTESIAN = {"bar", "scatter", "heatmap"}


def _base(fig: go.Figure, title: str | None = None, height: int = 480) -> go.Figure:
    """The house style: title, font, height, white background and small margins (each chart sets the room its
    labels need, so Plotly's automargin, kept as a safety net, finds it there and draws the chart once).

    Tick labels are never hidden for running past the figure's edge: checking that measured every label
    against every other (``ticklabeloverflow``), about 100 ms of a market page at la scale.
    """
    fig.update_layout(title=dict(text=title, x=0.01) if title else None, font=_FONT, height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10), paper_bgcolor="white",
                      plot_bgcolor="white")
    if any(t.type in _CARTESIAN for t in fig.data):
        fig.update_xaxes(ticklabeloverflow="allow")
        fig.update_yaxes(ticklabeloverflow="allow")
    return fig


def _packed(x: Any) -> Any:
    """GeoJSON with each ring of [x, y] points as one array of floats (the same JSON once encoded)."""
    if isinstance(x, dict):
        return {k: _packed(v) for k, v in x.items()}
    if isinstance(x, list):
        if x and all(isinstance(p, (list, tuple)) and len(p) == 2
                     and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in p) for p in x):
            return np.asarray(x, dtype=float)
        return [_packed(v) for v in x]
    return x


#: id(geometry) -> (the geometry, packed): the store's boundaries are cached, so each is packed once
_PACKED: dict[int, tuple[Any, Any]] = {}


def _packed_geometry(geom: dict) -> Any:
    got = _PACKED.get(id(geom))
    if got is None or got[0] is not geom:
        if len(_PACKED) > 50_000:
            _PACKED.clear()
        got = _PACKED[id(geom)] = (geom, _packed(geom))
    return got[1]


def empty_figure(message: str, height: int = 300) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=15, color="#555"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base(fig, height=height)


def _metric_z(values: pd.DataFrame, metric: str) -> pd.Series:
    z = values[metric].astype(float)
    if metric == "coverage":
        z = z.clip(upper=COVERAGE_CAP)
    return z


def _zmax(z: pd.Series, metric: str) -> float:
    """Top of the colour scale: the coverage cap, else the largest value (at least 1), so a scale always starts at 0
    and one place alone is not drawn on a meaningless range such as 2,134.4–2,135.2."""
    if metric == "coverage":
        return COVERAGE_CAP
    top = float(z.max()) if len(z) and not math.isnan(float(z.max())) else 0.0
    return max(top, 1.0)


def _hover(values: pd.DataFrame) -> list[str]:
    out = []
    for r in values.itertuples(index=False):
        cov = "–" if r.coverage is None or (isinstance(r.coverage, float) and math.isnan(r.coverage)) \
            else f"{r.coverage:.0%}"
        out.append(f"<b>{_esc(r.name)}</b><br>need {r.demand:,.0f} · supply {r.supply:,.0f}<br>"
                   f"unmet {r.unmet:,.0f} · coverage {cov}<br>{STATUS_LABELS.get(r.status, r.status)}")
    return out


def _esc(s: Any) -> str:
    """Plotly hover text is HTML-like: escape user text so it shows as text."""
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def choropleth(values: pd.DataFrame, geometries: dict[str, dict], *, metric: str = "unmet",
               title: str | None = None, height: int = 520, uirevision: Any = None) -> go.Figure:
    """A map of ``metric`` per leaf.

    ``values``: place, name, demand, supply, unmet, coverage, status (one
    row per leaf). Leaves with a geometry are drawn on the map; without any,
    :func:`tile_grid` is returned instead. ``uirevision``: while it stays the same, a
    figure drawn again over this one keeps the zoom and pan a person chose.
    """
    fig = _choropleth(values, geometries, metric=metric, title=title, height=height, uirevision=uirevision,
                      geometry=lambda g: g)
    return fig if isinstance(fig, go.Figure) else go.Figure(fig)


def choropleth_for_browser(values: pd.DataFrame, geometries: dict[str, dict], *, metric: str = "unmet",
                           title: str | None = None, height: int = 520, uirevision: Any = None) -> dict:
    """:func:`choropleth` as the plain figure a ``dcc.Graph`` is sent: the same JSON once encoded.

    Made without ``go.Figure``, which checks and copies every part of a figure (the boundaries too) when it
    is made and again when it is sent, and with each boundary ring as one array of floats, made once per
    boundary, so the figure is encoded in one step rather than point by point."""
    fig = _choropleth(values, geometries, metric=metric, title=title, height=height, uirevision=uirevision,
                      geometry=_packed_geometry)
    return fig.to_plotly_json() if isinstance(fig, go.Figure) else fig


@functools.lru_cache(maxsize=1)
def _map_skeleton() -> dict:
    """What every map figure holds whatever its data, as ``go.Figure`` writes it (made once, never changed):
    the trace's style, the blank Mercator geo framed on the boundaries, the fonts and the template."""
    fig = go.Figure(go.Choropleth(featureidkey="id", colorscale=SEQUENTIAL,
                                  marker=dict(line=dict(width=1, color="#444"), opacity=0.85),
                                  colorbar=COLOURBAR, hovertemplate="%{text}<extra></extra>"))
    # drawn in SVG: a WebGL map (choroplethmap) cost a browser without a GPU a read-back of the whole canvas
    # on every redraw, 70 ms of each filter change; the base layers stay hidden (dashboard/assets/geo.js)
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="white")
    skeleton = _base(fig).to_plotly_json()
    skeleton["layout"].pop("title", None)  # each map's own
    return skeleton


def _choropleth(values: pd.DataFrame, geometries: dict[str, dict], *, metric: str, title: str | None,
                height: int, uirevision: Any, geometry) -> go.Figure | dict:
    """The map as a plain figure (or, with nothing to map, the empty figure or the tile grid); ``geometry``
    gives what the figure holds of each boundary."""
    if not len(values):
        return empty_figure("No needs or services recorded for this place and category.")
    have = values[values["place"].isin(list(geometries))]
    if not len(have):
        return tile_grid(values, metric=metric, title=title, height=height)
    places = [str(c) for c in have["place"]]
    z = _metric_z(have, metric)
    skeleton = _map_skeleton()
    trace = {**skeleton["data"][0], "geojson": {"type": "FeatureCollection", "features": [
                 {"type": "Feature", "id": c, "properties": {}, "geometry": geometry(geometries[c])}
                 for c in places]},
             "locations": places, "z": z.fillna(0 if metric != "coverage" else np.nan).to_numpy(dtype=float),
             "reversescale": metric != "coverage", "zmin": 0, "zmax": _zmax(z, metric),
             "colorbar": colour_bar(metric),
             "text": _hover(have), "name": METRICS.get(metric, metric)}
    layout = {**skeleton["layout"], "height": height,
              "margin": {**skeleton["layout"]["margin"], "t": 40 if title else 10, "r": COLOURBAR_MARGIN}}
    if uirevision is not None:
        layout["uirevision"] = uirevision
    if title:
        layout["title"] = {"text": title, "x": 0.01}
    return {"data": [trace], "layout": layout}


def _two_lines(name: str, width: int, most: int = 2) -> str:
    """``name`` on at most ``most`` lines of about ``width`` characters (``<br>`` between), cut with … beyond."""
    words, lines, line = name.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    if len(lines) > most:
        lines = [*lines[:most - 1], " ".join(lines[most - 1:])]
    lines = [ln if len(ln) <= width else ln[:width - 1] + "…" for ln in lines]
    return "<br>".join(_esc(ln) for ln in lines)


#: the tile grid never has more columns than this, so names stay readable with 200 leaves
TILE_COLUMNS = 10


def tile_grid(values: pd.DataFrame, *, metric: str = "unmet", title: str | None = None,
              height: int = 520) -> go.Figure:
    """Leaves as equal tiles in name order, coloured by ``metric`` (the map when no boundaries are loaded).

    At most :data:`TILE_COLUMNS` tiles a row, each named on up to two lines;
    the figure grows taller with the number of leaves instead of shrinking
    the names.
    """
    if not len(values):
        return empty_figure("No needs or services recorded for this place and category.")
    v = values.sort_values(["name", "place"], kind="stable").reset_index(drop=True)
    n = len(v)
    cols = max(1, min(TILE_COLUMNS, math.ceil(math.sqrt(n * 1.6))))
    rows = math.ceil(n / cols)
    z = np.full((rows, cols), np.nan)
    text = np.full((rows, cols), "", dtype=object)
    labels = np.full((rows, cols), "", dtype=object)
    zs = _metric_z(v, metric)
    hov = _hover(v)
    width = 16 if cols >= 8 else 22
    for i in range(n):
        r, c = divmod(i, cols)
        z[r, c] = zs.iloc[i]
        text[r, c] = hov[i]
        labels[r, c] = _two_lines(str(v.loc[i, "name"]), width)
    fig = go.Figure(go.Heatmap(
        z=z, hovertext=text, hovertemplate="%{hovertext}<extra></extra>", colorscale=SEQUENTIAL,
        reversescale=(metric != "coverage"), zmin=0, zmax=_zmax(zs, metric),
        xgap=3, ygap=3, colorbar=colour_bar(metric),
        text=labels, texttemplate="%{text}", textfont=dict(size=11)))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    fig = _base(fig, title, max(height, 52 * rows + 80))
    fig.update_layout(margin_r=COLOURBAR_MARGIN, margin_b=30)  # the colour bar; the note under the tiles
    fig.add_annotation(text="No boundaries loaded: each tile is a leaf place, in name order.", showarrow=False,
                       x=0, y=-0.02, xref="paper", yref="paper", xanchor="left", yanchor="top",
                       font=dict(size=11, color="#555"))
    return fig


def heatmap(matrix: pd.DataFrame, *, title: str | None = None, value: str = "coverage") -> go.Figure:
    """Place × category heatmap; ``matrix`` has place names as index and category names as columns.

    Coverage is capped at :data:`COVERAGE_CAP`; empty cells (no need
    recorded) stay blank. Category names stand upright above their columns
    (wrapped on two lines), so forty of them never overlap.
    """
    if matrix.empty:
        return empty_figure("No coverage rows for this place.")
    z = matrix.astype(float)
    if value == "coverage":
        z = z.clip(upper=COVERAGE_CAP)
    many = len(z.columns) > 12
    # upright, a label has its column's width (about 800 px of plot shared out) on up to three lines
    x = [_two_lines(str(c), 24) if many else _two_lines(str(c), max(8, min(24, int(800 / len(z.columns) / 6.8))), 3)
         for c in z.columns]
    header = 40 + (150 if many else 40)
    height = max(360, min(2400, 24 * len(z.index) + header + 40))
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=x, y=[_esc(i) for i in z.index], colorscale=SEQUENTIAL,
        zmin=0, zmax=COVERAGE_CAP if value == "coverage" else None, xgap=1, ygap=1,
        customdata=np.array([[_esc(c) for c in z.columns]] * len(z.index)),
        colorbar=colour_bar(value),
        hovertemplate="%{y} · %{customdata}<br>" + METRICS.get(value, value) + ": %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=False, tickfont=dict(size=12))
    fig.update_xaxes(side="top", automargin=False, tickangle=-90 if many else 0, tickfont=dict(size=11))
    fig = _base(fig, title, height)
    top = label_margin(x, 11) if many else 3 * 11 * 1.3 + 16  # upright: up to three lines of column labels
    fig.update_layout(margin_l=label_margin(z.index, 12), margin_t=int(top) + (40 if title else 10),
                      margin_r=COLOURBAR_MARGIN)
    return fig


def _pre(currency: str | None) -> str:
    """What goes before an amount in a hover: ``£``, ``US$`` or ``MXN ``."""
    code = currency or "GBP"
    return SYMBOLS.get(code) or f"{code} "


def cliff_bars(timeline: pd.DataFrame, *, title: str | None = None, currency: str | None = None) -> go.Figure:
    """Stacked bars of money ending per quarter: ``no follow-on`` (a cliff) and ``followed on``."""
    if not len(timeline):
        return empty_figure("No active funding ends in the next two years.")
    fig = go.Figure()
    for kind, colour in (("no follow-on", "#D55E00"), ("followed on", "#56B4E9")):
        d = timeline[timeline["kind"] == kind]
        if len(d):
            fig.add_bar(x=d["quarter"], y=d["amount"], name=kind, marker_color=colour,
                        customdata=d["flows"], hovertemplate="%{x}: " + _pre(currency)
                        + "%{y:,.0f} in %{customdata} flow(s)<extra>"
                                                             + kind + "</extra>")
    fig.update_layout(barmode="stack", yaxis_title=f"{_pre(currency).strip()} ending", xaxis_title="quarter the funding ends",
                      legend=dict(orientation="h", y=1.08))
    fig.update_xaxes(categoryorder="array", categoryarray=list(dict.fromkeys(timeline["quarter"])), automargin=False)
    fig.update_yaxes(automargin=False)
    fig = _base(fig, title, 360)
    # room for the amounts (at most "100M" with its title) and the quarters, set here: see label_margin
    fig.update_layout(margin=dict(l=80, r=10, t=(40 if title else 10) + 30, b=60))
    return fig


def hbar(labels: list[str], values: list[float], *, title: str | None = None, x_title: str = "",
         colour: str = "#0072B2", fmt: str = ",.0f", highlight: list[bool] | None = None) -> go.Figure:
    """Horizontal bars, largest at the top; ``highlight`` bars drawn in vermillion."""
    if not labels:
        return empty_figure("Nothing to show.")
    colours = [("#D55E00" if h else colour) for h in (highlight or [False] * len(labels))]
    shown = [_esc(x if len(x) <= LABEL_CHARS else x[:LABEL_CHARS - 1] + "…") for x in map(str, labels)]
    fig = go.Figure(go.Bar(y=shown, x=values, orientation="h", marker_color=colours,
                           customdata=[_esc(x) for x in labels],
                           hovertemplate="%{customdata}: %{x:" + fmt + "}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=False)
    fig.update_layout(xaxis_title=x_title)
    fig = _base(fig, title, max(260, 26 * len(labels) + 100))
    fig.update_layout(margin_l=label_margin(shown), margin_b=60 if x_title else 36, margin_r=TICK_OVERHANG)
    return fig


def sankey(links: pd.DataFrame, labels: dict[str, str], *, title: str | None = None,
           kinds: dict[str, str] | None = None, currency: str | None = None) -> go.Figure:
    """A Sankey of ``links`` (source, target, amount); node labels from ``labels`` (ids as fallback).

    ``kinds`` maps a node id to ``funder``, ``provider`` or ``category`` for
    its colour (Okabe–Ito blue, orange, green).
    """
    if not len(links):
        return empty_figure("No active funding reaches providers in this place.")
    nodes = list(dict.fromkeys(list(links["source"]) + list(links["target"])))
    index = {n: i for i, n in enumerate(nodes)}
    kinds = kinds or {}
    colour = {"funder": "#0072B2", "provider": "#E69F00", "category": "#009E73"}
    def short(n: str) -> str:
        t = str(labels.get(n, n))
        return _esc(t if len(t) <= 34 else t[:33] + "…")

    targets = set(links["target"])
    column = {n: (0 if n not in targets else 1 if kinds.get(n) != "category" else 2) for n in nodes}
    tallest = max(pd.Series(column).value_counts().max(), 1)
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=[short(n) for n in nodes], pad=16, thickness=14,
                  customdata=[_esc(labels.get(n, n)) for n in nodes],
                  color=[colour.get(kinds.get(n, ""), "#999999") for n in nodes],
                  hovertemplate="%{customdata}: " + _pre(currency) + "%{value:,.0f}<extra></extra>"),
        link=dict(source=[index[s] for s in links["source"]], target=[index[t] for t in links["target"]],
                  value=[float(v) for v in links["amount"]], color="rgba(120,120,120,0.25)",
                  hovertemplate="%{source.label} → %{target.label}: " + _pre(currency)
                  + "%{value:,.0f}<extra></extra>")))
    return _base(fig, title, max(480, min(3000, 30 * tallest + 80)))
