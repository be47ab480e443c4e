"""Pure parts of the workshop library: text limits, Markdown and CSV escaping, rate limiting (no store)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem import workshop as ws


@given(st.text(max_size=1200))
def test_clean_text_returns_trimmed_text_within_the_limit_or_refuses(s):
    try:
        out = ws.clean_text(s, field="note", limit=1000)
    except ws.WorkshopError as e:
        assert "note" in str(e)
        return
    assert out == out.strip() and 0 < len(out) <= 1000
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]", out)


@given(st.text(max_size=60))
def test_single_line_fields_have_no_line_breaks(s):
    try:
        out = ws.clean_text(s, field="owner", limit=120, multiline=False)
    except ws.WorkshopError:
        return
    assert "\n" not in out and "\r" not in out and "  " not in out


@given(st.text(max_size=300))
def test_markdown_text_is_inert(s):
    out = ws.md_text(s)
    assert "<" not in out and ">" not in out and "\n" not in out
    # every table pipe and emphasis character is escaped
    assert not re.search(r"(?<!\\)[|*_`\[\]]", re.sub(r"\\\\", "", out))


@given(st.text(max_size=50))
def test_csv_cells_never_start_a_formula(s):
    out = ws.csv_cell(s)
    assert out[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert out.endswith(s) and len(out) - len(s) in (0, 1)


def test_md_text_examples():
    assert ws.md_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert\\(1\\)&gt;"
    assert ws.md_text("a | b\nc") == "a \\| b c"
    assert ws.md_text(None) == ""


# ------------------------------------------------------------------ rate limiting
class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_rate_limiter_allows_a_burst_then_refills_at_its_rate():
    clock = Clock()
    rl = ws.RateLimiter(rate=0.5, burst=3, clock=clock)
    for _ in range(3):
        rl.check("ann")
    with pytest.raises(ws.RateLimited, match="try again in 2 s") as e:
        rl.check("ann")
    assert e.value.retry_after == pytest.approx(2.0)
    rl.check("bo")  # another client has its own bucket
    clock.t += 1.9
    with pytest.raises(ws.RateLimited):
        rl.check("ann")
    clock.t += 0.2  # 2.1 s after the refusal: one write refilled
    rl.check("ann")
    with pytest.raises(ws.RateLimited):
        rl.check("ann")
    clock.t += 3600  # never more than the burst after a long pause
    for _ in range(3):
        rl.check("ann")
    with pytest.raises(ws.RateLimited):
        rl.check("ann")


@settings(max_examples=60)
@given(st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=1, max_size=80),
       st.floats(min_value=0.1, max_value=3), st.integers(min_value=1, max_value=6))
def test_rate_limiter_never_allows_more_than_burst_plus_rate_times_elapsed(gaps, rate, burst):
    clock = Clock()
    rl = ws.RateLimiter(rate=rate, burst=burst, clock=clock)
    allowed = 0
    start = clock.t
    for g in gaps:
        clock.t += g
        try:
            rl.check("c")
            allowed += 1
        except ws.RateLimited as e:
            assert e.retry_after > 0
    assert allowed <= burst + rate * (clock.t - start) + 1e-9


def test_rate_limiter_forgets_the_longest_idle_clients():
    rl = ws.RateLimiter(rate=1, burst=1, max_clients=2, clock=Clock())
    rl.check("a")
    rl.check("b")
    rl.check("c")  # "a" is forgotten, so it starts with a full bucket again
    rl.check("a")
    with pytest.raises(ws.RateLimited):
        rl.check("c")
