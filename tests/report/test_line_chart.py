"""The inline-SVG line chart of the market position statement's trends."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from ecosystem.report.figures import line_chart


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_points_gaps_and_end_labels():
    svg = line_chart(["2024", "2025", "2026"], [("Need", [10, 20, 30]), ("Supply", [5, None, 8])],
                     label="Need <and> supply", marker=1)
    root = _parse(svg)  # well-formed XML: every text escaped
    assert root.get("aria-label") == "Need <and> supply"
    circles = root.findall("circle")
    assert len(circles) == 5  # a point per known value; the gap has none
    titles = sorted(c.find("title").text for c in circles)
    assert titles == ["Need, 2024: 10", "Need, 2025: 20", "Need, 2026: 30", "Supply, 2024: 5", "Supply, 2026: 8"]
    # need is one line of 3 points; supply's gap leaves two runs of one point each, so no polyline for it
    lines = root.findall("polyline")
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 3
    ends = [t.text for t in root.findall("text") if t.text and t.text.startswith(("Need ", "Supply "))]
    assert sorted(ends) == ["Need 30", "Supply 8"]
    assert any(el.find("title") is not None and el.find("title").text == "2025" for el in root.findall("line"))


def test_nothing_to_draw_is_empty():
    assert line_chart([], [("Need", [])], label="x") == ""
    assert line_chart(["2024"], [("Need", [None])], label="x") == ""


@given(st.lists(st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)), min_size=1,
                max_size=12))
def test_every_point_inside_the_plot(values):
    labels = [f"d{i}" for i in range(len(values))]
    svg = line_chart(labels, [("A <b>", values)], label="t")
    if all(v is None for v in values):
        assert svg == ""
        return
    root = _parse(svg)
    w, h = (float(x) for x in root.get("viewBox").split()[2:])
    pts = [(float(c.get("cx")), float(c.get("cy"))) for c in root.findall("circle")]
    assert len(pts) == sum(v is not None for v in values)
    assert all(0 <= x <= w and 0 <= y <= h for x, y in pts)
    assert not re.search(r"<b>", svg)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_gridlines_cover_the_values_at_round_steps(lo, span):
    from ecosystem.report.figures import _nice_range

    hi = lo + span
    a, b, step = _nice_range(lo, hi)
    assert a <= lo and b >= hi
    assert 1 <= round((b - a) / step) <= 8  # a handful of gridlines, never hundreds
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(abs(mantissa - k) < 1e-9 for k in (1, 2, 2.5, 5, 10))
