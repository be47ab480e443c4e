"""Dropdowns with more choices than a browser should draw: the server sends what is chosen and what matches."""

from __future__ import annotations

from typing import Any, Iterable

#: options a choice is sent at once; typing searches the rest on the server (a local authority has 50,000 flows)
MAX_OPTIONS = 100


def search_options(options: list[dict[str, Any]], search: str | None, selected: Iterable[str] | str | None = None,
                   *, limit: int | None = None) -> list[dict[str, Any]]:
    """What one dropdown is sent: its chosen options, then up to ``limit`` that match what is typed.

    A match has ``search`` in its label or value, in any case (as the
    dropdown itself filters). When more match, a last option that cannot be
    chosen says how many more and to type more of the name.
    """
    limit = MAX_OPTIONS if limit is None else limit
    chosen = {selected} if isinstance(selected, str) else set(selected or [])
    kept = [o for o in options if o["value"] in chosen]
    needle = (search or "").strip().casefold()
    matches = (o for o in options if o["value"] not in chosen
               and (not needle or needle in o["label"].casefold() or needle in str(o["value"]).casefold()))
    found, more = [], 0
    for o in matches:
        if len(found) < limit:
            found.append(o)
        else:
            more += 1
    out = kept + found
    if more:
        out = [*out, {"label": f"… and {more:,} more: type more of the name", "value": "\u0000more",
                      "disabled": True}]
    return out
