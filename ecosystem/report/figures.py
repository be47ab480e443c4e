"""Figures as inline SVG text: no scripts, no fonts, no network; they print as they show.

Each builder returns one ``<svg>`` element (no XML namespace needed inside
HTML) with a ``<title>`` on every mark so a reader can hover for figures,
and a text label on every bar or cell so nothing depends on colour alone.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable, Sequence

#: status colours (ColorBrewer RdYlBu, colour-blind safe) and their reading
STATUS_COLOURS = {"unserved": "#b2182b", "under": "#f4a582", "met": "#92c5de", "over": "#2166ac",
                  "no_demand": "#e0e0e0", None: "#ffffff"}
STATUS_LABELS = {"unserved": "unserved", "under": "under-served", "met": "met", "over": "over-supplied",
                 "no_demand": "provision, no recorded need", None: "no need or provision recorded"}
_SEQ = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"]  # light → dark: more unmet

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"


def _e(s: Any) -> str:
    return escape(str(s), quote=True)


def _svg(width: float, height: float, body: str, label: str) -> str:
    return (f'<svg viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" aria-label="{_e(label)}" '
            f'style="max-width:{width:.0f}px;{_FONT}" preserveAspectRatio="xMinYMin meet">{body}</svg>')


def _trunc(s: str, n: int) -> str:
    return s if len(s) <= n else s[:n - 1] + "…"


def bar_chart(items: Sequence[tuple[str, float, str]], *, label: str, value_format=lambda v: f"{v:,.0f}",
              colour: str = "#d6604d", width: int = 720) -> str:
    """Horizontal bars: ``items`` are (label, value, tooltip), drawn in the order given."""
    if not items:
        return ""
    row, left, right = 24, 230, 90
    height = row * len(items) + 10
    top = max((v for _, v, _ in items), default=0) or 1.0
    span = width - left - right
    parts = []
    for i, (name, v, tip) in enumerate(items):
        y = 5 + i * row
        w = max(0.0, span * float(v) / top)
        parts.append(
            f'<g><title>{_e(tip)}</title>'
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="12">{_e(_trunc(name, 34))}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" font-size="12">{_e(value_format(v))}</text></g>')
    return _svg(width, height, "".join(parts), label)


def status_grid(rows: Sequence[tuple[str, str]], cols: Sequence[tuple[str, str]],
                cells: dict[tuple[str, str], dict[str, Any]], *, label: str) -> str:
    """A leaf × category grid coloured by coverage status, with coverage % in each cell.

    ``rows`` and ``cols`` are (code, display name); ``cells`` maps (leaf,
    category) to a coverage record (``status``, ``coverage``, ``unmet``,
    ``demand``, ``supply``).
    """
    if not rows or not cols:
        return ""
    left, top, cw, ch = 190, 110, 64, 20
    width = left + cw * len(cols) + 10
    height = top + ch * len(rows) + 40
    parts = []
    for j, (_, cname) in enumerate(cols):
        x = left + j * cw + cw / 2
        parts.append(f'<text transform="translate({x:.1f},{top - 6}) rotate(-40)" font-size="11">'
                     f'{_e(_trunc(cname, 22))}</text>')
    for i, (rcode, rname) in enumerate(rows):
        y = top + i * ch
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="11">'
                     f'{_e(_trunc(rname, 28))}</text>')
        for j, (ccode, cname) in enumerate(cols):
            r = cells.get((rcode, ccode))
            status = r["status"] if r else None
            fill = STATUS_COLOURS.get(status, "#ffffff")
            cov = r.get("coverage") if r else None
            text = "—" if status == "unserved" else ("" if cov is None else f"{100 * cov:.0f}%")
            tip = f"{rname} · {cname}: {STATUS_LABELS.get(status, status)}"
            if r:
                tip += (f"; need {r.get('demand') or 0:,.1f}, supply {r.get('supply') or 0:,.1f}, "
                        f"unmet {r.get('unmet') or 0:,.1f} people a year")
            dark = status in ("unserved", "over")
            parts.append(
                f'<g><title>{_e(tip)}</title><rect x="{left + j * cw}" y="{y}" width="{cw - 2}" height="{ch - 2}" '
                f'fill="{fill}" stroke="#bbb" stroke-width="0.5"/>'
                f'<text x="{left + j * cw + (cw - 2) / 2:.1f}" y="{y + 13}" text-anchor="middle" font-size="10" '
                f'fill="{"#fff" if dark else "#222"}">{_e(text)}</text></g>')
    ly = top + ch * len(rows) + 14
    x = left
    for status in ("unserved", "under", "met", "over", "no_demand"):
        parts.append(f'<rect x="{x}" y="{ly}" width="12" height="12" fill="{STATUS_COLOURS[status]}" '
                     f'stroke="#bbb" stroke-width="0.5"/><text x="{x + 16}" y="{ly + 10}" font-size="11">'
                     f'{_e(STATUS_LABELS[status])}</text>')
        x += 24 + 7 * len(STATUS_LABELS[status])
    width = max(width, x + 10)
    return _svg(width, height, "".join(parts), label)


def _rings(geom: dict[str, Any]) -> Iterable[list]:
    coords = geom.get("coordinates") or []
    polys = [coords] if geom.get("type") == "Polygon" else coords
    for poly in polys:
        for ring in poly:
            if ring:
                yield ring


def choropleth(boundaries: dict[str, dict[str, Any]], values: dict[str, float], names: dict[str, str], *,
               label: str, value_name: str = "unmet people a year", width: int = 720) -> str:
    """A map of places shaded by ``values`` (6 classes, darker = larger), each with a tooltip.

    ``boundaries`` are GeoJSON Polygon/MultiPolygon geometries in lon/lat;
    they are drawn in an equirectangular projection corrected for latitude
    (good enough at the scale of a local authority).
    """
    pts = [(float(x), float(y)) for g in boundaries.values() for ring in _rings(g) for x, y, *_ in ring]
    if not pts:
        return ""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    k = math.cos(math.radians((y0 + y1) / 2))
    map_w = width - 180
    sx = map_w / max((x1 - x0) * k, 1e-9)
    sy = sx
    height = max(120.0, (y1 - y0) * sy) + 20
    if height > 640:  # tall places: fit the height instead
        sy = sx = 620 / max(y1 - y0, 1e-9)
        height = 640.0

    top = max(values.values(), default=0.0)
    classes = [top * i / len(_SEQ) for i in range(1, len(_SEQ) + 1)]

    def shade(v: float | None) -> str:
        if v is None:
            return "#f0f0f0"
        if v <= 0:
            return _SEQ[0]
        for c, col in zip(classes, _SEQ):
            if v <= c:
                return col
        return _SEQ[-1]

    parts = []
    for code in sorted(boundaries):
        d = []
        for ring in _rings(boundaries[code]):
            seg = " ".join(f"{(float(x) - x0) * k * sx + 10:.1f},{(y1 - float(y)) * sy + 10:.1f}"
                           for x, y, *_ in ring)
            d.append(f"M{seg}Z")
        v = values.get(code)
        tip = f"{names.get(code, code)} ({code}): " + ("no need recorded" if v is None else
                                                       f"{v:,.1f} {value_name}")
        parts.append(f'<path d="{" ".join(d)}" fill="{shade(v)}" stroke="#555" stroke-width="0.6" '
                     f'fill-rule="evenodd"><title>{_e(tip)}</title></path>')
    lx = map_w + 30
    parts.append(f'<text x="{lx}" y="24" font-size="12" font-weight="600">{_e(value_name)}</text>')
    lo = 0.0
    for i, (c, col) in enumerate(zip(classes, _SEQ)):
        y = 34 + i * 20
        parts.append(f'<rect x="{lx}" y="{y}" width="14" height="14" fill="{col}" stroke="#555" '
                     f'stroke-width="0.5"/><text x="{lx + 20}" y="{y + 11}" font-size="11">'
                     f'{lo:,.0f}–{c:,.0f}</text>')
        lo = c
    return _svg(width, height, "".join(parts), label)


#: line colours for a trend chart (ColorBrewer Dark2: colour-blind safe) and the dash patterns that tell them apart
LINE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")
LINE_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")


def _nice_range(lo: float, hi: float, ticks: int = 4) -> tuple[float, float, float]:
    """(low, high, step) covering ``lo``–``hi`` in about ``ticks`` steps of 1, 2, 2.5 or 5 × a power of ten."""
    if hi - lo <= 1e-9 * max(1.0, abs(lo), abs(hi)):  # a flat line (or nearly): one unit of room
        hi = lo + max(1.0, abs(lo) * 0.1)
    raw = (hi - lo) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    step = next(k * mag for k in (1, 2, 2.5, 5, 10) if k * mag >= raw)
    a, b = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if a > lo:  # rounding in the division
        a -= step
    if b < hi:
        b += step
    return a, b, step


def line_chart(x_labels: Sequence[str], lines: Sequence[tuple[str, Sequence[float | None]]], *, label: str,
               value_format=lambda v: f"{v:,.0f}", width: int = 720, height: int = 240,
               marker: int | None = None) -> str:
    """Lines over the same x positions: ``lines`` are (name, values), a ``None`` value a gap in the line.

    Every point has a tooltip and the last value of each line is written at
    its end; lines differ by dash pattern as well as colour. ``marker``: the
    index of an x position to mark with a vertical rule (the statement's date).
    """
    pts = [v for _, vals in lines for v in vals if v is not None]
    if not x_labels or not pts:
        return ""
    left, right, top, bottom = 70, 150, 12, 34
    span_x = width - left - right
    span_y = height - top - bottom
    lo, hi, tick = _nice_range(min(min(pts), 0.0), max(max(pts), 0.0))
    step = span_x / max(len(x_labels) - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if len(x_labels) > 1 else span_x / 2)

    def y(v: float) -> float:
        return top + span_y * (hi - v) / ((hi - lo) or 1.0)

    parts = []
    for k in range(int(round((hi - lo) / tick)) + 1):  # gridlines at round values
        v = lo + k * tick
        parts.append(f'<line x1="{left}" x2="{left + span_x}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e6e8"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10" fill="#5b6770">'
                     f'{_e(value_format(v))}</text>')
    every = max(1, math.ceil(len(x_labels) / 8))
    for i, xl in enumerate(x_labels):
        if i % every == 0 or i == len(x_labels) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle" font-size="10">{_e(xl)}</text>')
    if marker is not None and 0 <= marker < len(x_labels):
        parts.append(f'<line x1="{x(marker):.1f}" x2="{x(marker):.1f}" y1="{top}" y2="{top + span_y}" '
                     f'stroke="#888" stroke-dasharray="3 3"><title>{_e(x_labels[marker])}</title></line>')
    ends = []
    for j, (name, vals) in enumerate(lines):
        colour, dash = LINE_COLOURS[j % len(LINE_COLOURS)], LINE_DASHES[j % len(LINE_DASHES)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vals):
            if v is None:
                runs.append([])
            else:
                runs[-1].append((x(i), y(float(v))))
        for run in runs:
            if len(run) > 1:
                d = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"'
                             + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        for i, v in enumerate(vals):
            if v is not None:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(float(v)):.1f}" r="3" fill="{colour}">'
                             f'<title>{_e(f"{name}, {x_labels[i]}: {value_format(float(v))}")}</title></circle>')
        last = next(((i, v) for i, v in reversed(list(enumerate(vals))) if v is not None), None)
        if last is not None:
            ends.append([y(float(last[1])), name, colour, value_format(float(last[1]))])
    ends.sort()
    for k in range(1, len(ends)):  # keep the end labels apart
        ends[k][0] = max(ends[k][0], ends[k - 1][0] + 13)
    for ly, name, colour, text in ends:
        parts.append(f'<line x1="{left + span_x + 6}" x2="{left + span_x + 20}" y1="{ly:.1f}" y2="{ly:.1f}" '
                     f'stroke="{colour}" stroke-width="3"/>'
                     f'<text x="{left + span_x + 24}" y="{ly + 4:.1f}" font-size="11">'
                     f'{_e(_trunc(name, 12))} {_e(text)}</text>')
    return _svg(width, height, "".join(parts), label)
