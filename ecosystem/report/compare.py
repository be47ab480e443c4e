"""What changed between two gap reports of the same place.

:func:`compare` reads two report documents (``report.json``) and lists, in
a deterministic order: cells (leaf, category) that became unserved, cells
that became met, cells whose unmet need moved by at least a threshold,
funding cliffs that are new and those that passed (ended) or were resolved
(renewed, extended or withdrawn), and the services and providers that
appeared or left. ``FAIL_ON`` names the conditions a scheduler can alert on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: ``--fail-on`` conditions and the change list each one watches
FAIL_ON = {"new-unserved": "newly_unserved", "new-cliff": "new_cliffs"}

CHANGE_KEYS = ("newly_unserved", "newly_met", "unmet_changes", "new_cliffs", "passed_cliffs",
               "services_appeared", "services_left", "providers_appeared", "providers_left")


def _cells(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["place"], r["category"]): r for r in doc["analysis"].get("coverage") or []}


def _num(v: Any) -> float:
    return 0.0 if v is None else float(v)


def compare(current: dict[str, Any], previous: dict[str, Any], *,
            unmet_threshold: float | None = None) -> dict[str, Any]:
    """The changes from ``previous`` to ``current`` (two report documents).

    Parameters
    ----------
    current, previous : dict
        Report documents as :func:`ecosystem.report.build` makes them (or as
        read back from ``report.json``).
    unmet_threshold : float, optional
        Smallest change in unmet people a year (per leaf and category) to
        list under ``unmet_changes``; default the current report's option.

    Returns
    -------
    dict
        ``previous`` (``as_of``, ``generated``, ``place``), ``unmet_before``,
        ``unmet_after``, and lists of records:

        * ``newly_unserved``: place, category, demand, status_before
          (``None`` when the cell had no need before)
        * ``newly_met``: place, category, coverage, status, status_before —
          now ``met`` or ``over``, before ``unserved`` or ``under``
        * ``unmet_changes``: place, category, unmet_before, unmet_after,
          change, status_before, status_after; ``|change| >= threshold``,
          largest first
        * ``new_cliffs``: the cliff records (SPEC §6 columns) not cliffs before
        * ``passed_cliffs``: the earlier cliff records no longer cliffs, with
          ``why``: ``ended`` (its end date has passed) or ``resolved``
          (renewed, extended or no longer in the data)
        * ``services_appeared``, ``services_left``, ``providers_appeared``,
          ``providers_left``: sorted ids of active services and providers in
          the place

    Examples
    --------
    >>> prev = {"as_of": "2025-01-01", "place": "LA", "analysis": {"coverage": [
    ...     {"place": "W1", "category": "mh", "demand": 70.0, "unmet": 40.0, "status": "under", "coverage": 0.4}],
    ...     "funding_cliffs": []}, "active": {"services": ["S1"], "providers": ["P1"]}}
    >>> cur = {"as_of": "2025-02-01", "place": "LA", "options": {"unmet_threshold": 10}, "analysis": {"coverage": [
    ...     {"place": "W1", "category": "mh", "demand": 70.0, "unmet": 70.0, "status": "unserved", "coverage": 0.0}],
    ...     "funding_cliffs": []}, "active": {"services": [], "providers": []}}
    >>> c = compare(cur, prev)
    >>> [(r["place"], r["status_before"]) for r in c["newly_unserved"]], c["services_left"], c["unmet_changes"][0]["change"]
    ([('W1', 'under')], ['S1'], 30.0)
    """
    if unmet_threshold is None:
        unmet_threshold = float((current.get("options") or {}).get("unmet_threshold", 10.0))
    now, before = _cells(current), _cells(previous)
    newly_unserved, newly_met, unmet_changes = [], [], []
    for key in sorted(set(now) | set(before)):
        c, p = now.get(key), before.get(key)
        s_now = c["status"] if c else None
        s_before = p["status"] if p else None
        if s_now == "unserved" and s_before != "unserved":
            newly_unserved.append({"place": key[0], "category": key[1], "demand": c["demand"],
                                   "status_before": s_before})
        if s_now in ("met", "over") and s_before in ("unserved", "under"):
            newly_met.append({"place": key[0], "category": key[1], "coverage": c["coverage"], "status": s_now,
                              "status_before": s_before})
        u_now, u_before = _num(c["unmet"] if c else None), _num(p["unmet"] if p else None)
        change = round(u_now - u_before, 9)
        if change and abs(change) >= unmet_threshold:
            unmet_changes.append({"place": key[0], "category": key[1], "unmet_before": u_before,
                                  "unmet_after": u_now, "change": change, "status_before": s_before,
                                  "status_after": s_now})
    unmet_changes.sort(key=lambda r: (-abs(r["change"]), r["place"], r["category"]))

    cl_now = {r["funding"]: r for r in current["analysis"].get("funding_cliffs") or []}
    cl_before = {r["funding"]: r for r in previous["analysis"].get("funding_cliffs") or []}
    as_of = dt.date.fromisoformat(current["as_of"])
    new_cliffs = [cl_now[f] for f in sorted(cl_now, key=lambda f: (cl_now[f]["end"], f)) if f not in cl_before]
    passed = []
    for f in sorted(cl_before, key=lambda f: (cl_before[f]["end"], f)):
        if f in cl_now:
            continue
        r = cl_before[f]
        why = "ended" if dt.date.fromisoformat(r["end"]) <= as_of else "resolved"
        passed.append({**r, "why": why})

    act_now = current.get("active") or {}
    act_before = previous.get("active") or {}

    def diff(kind: str) -> tuple[list[str], list[str]]:
        a, b = set(act_now.get(kind) or []), set(act_before.get(kind) or [])
        return sorted(a - b), sorted(b - a)

    s_in, s_out = diff("services")
    p_in, p_out = diff("providers")
    tot = lambda d: sum(_num(r.get("unmet")) for r in d["analysis"].get("coverage") or [])  # noqa: E731
    return {
        "previous": {"as_of": previous.get("as_of"), "generated": previous.get("generated"),
                     "place": previous.get("place")},
        "unmet_threshold": float(unmet_threshold),
        "unmet_before": round(tot(previous), 9), "unmet_after": round(tot(current), 9),
        "newly_unserved": newly_unserved, "newly_met": newly_met, "unmet_changes": unmet_changes,
        "new_cliffs": new_cliffs, "passed_cliffs": passed,
        "services_appeared": s_in, "services_left": s_out, "providers_appeared": p_in, "providers_left": p_out,
    }


def failed_conditions(changes: dict[str, Any] | None, conditions: list[str]) -> list[str]:
    """The ``--fail-on`` conditions met by ``changes`` (each with its count), in the order asked."""
    if not changes:
        return []
    out = []
    for c in conditions:
        n = len(changes.get(FAIL_ON[c]) or [])
        if n:
            out.append(f"{c} ({n})")
    return out
