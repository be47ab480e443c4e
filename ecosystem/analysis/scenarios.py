"""What-if scenarios: the analysis re-run on a changed copy, and the difference.

A scenario removes providers, funders or single funding flows, adds
services and changes capacities, then re-runs :func:`~ecosystem.analysis.analyse`
on a copy of the graph's tables. The input graph is never changed.

What each change does:

* **remove a provider** (its exit, SPEC §5): its services go, and every
  funding flow into or out of it, and its partnerships. Organisations it
  funded lose that money but their services are *not* switched off by the
  exit alone (so the figure matches ``critical_providers``); to model the
  loss of its money too, also list it in ``remove_funders``.
* **remove a funder** / **remove a funding flow**: the flows go. A service
  whose funding (SPEC §5 *funders*: active flows naming it, plus its
  provider's active flows naming no service) was all in removed flows
  becomes inactive: it no longer adds supply. Services that had no recorded
  active funding are unaffected, as are services that keep at least one
  active flow (the remaining money is assumed to keep them running).
* **add services**: rows in the canonical ``services`` columns (``id``,
  ``name``, ``provider``, ``category``, ``areas`` as a list or a
  ``;``-separated string, optional ``capacity``, ``start``, ``end``); the
  provider may be a new organisation.
* **capacity changes**: ``{service_id: capacity}`` (``None`` = unknown).

Unknown ids are an error (:class:`ScenarioError`, every problem listed).

:func:`run_options` gives both analyses and the difference
(:class:`ScenarioResult`); :func:`diff_options` gives the difference alone
(:class:`ScenarioDiff`), from only the parts of the analysis it is made of
(coverage and funding cliffs, before and after): what ``ecomap scenario``
prints, at a fraction of the cost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, BinaryIO, Callable, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

from ecosystem.analysis._core import Analysis, analyse_frames
from ecosystem.analysis._tables import (DECIMALS, Base, Context, Frames, active_mask, as_date, extract, prepare,
                                        prepare_base, prepare_changed, records, to_timestamps)
from ecosystem.analysis.coverage import coverage_from, totals
from ecosystem.analysis.fragility import funding_cliffs_from

log = logging.getLogger(__name__)

__all__ = ["ScenarioError", "ScenarioOptions", "ScenarioResult", "ScenarioDiff", "run_scenario", "run_options",
           "diff_options"]

BECAME_UNSERVED_COLUMNS = ["place", "category", "demand", "status_before", "supply_before"]
UNMET_CHANGE_COLUMNS = ["place", "category", "unmet_before", "unmet_after", "change", "status_before",
                        "status_after"]
CATEGORY_CHANGE_COLUMNS = ["category", "unmet_before", "unmet_after", "change"]


class ScenarioError(ValueError):
    """A scenario names things that are not in the graph; ``problems`` lists each."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _tuple(v: Iterable[str] | str | None) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    return tuple(v)


@dataclasses.dataclass(frozen=True)
class ScenarioOptions:
    """What a scenario changes, and the analysis options; JSON-safe via :meth:`to_dict`."""

    as_of: dt.date
    remove_providers: tuple[str, ...] = ()
    remove_funders: tuple[str, ...] = ()
    remove_funding: tuple[str, ...] = ()
    add_services: tuple[dict, ...] = ()
    capacity_changes: tuple[tuple[str, float | None], ...] = ()
    place: str | None = None
    horizon: int = 6
    oversupply: float = 1.5
    dependency_threshold: float = 0.5
    name: str | None = None

    @classmethod
    def make(cls, *, as_of: Any, remove_providers=(), remove_funders=(), remove_funding=(),
             add_services: pd.DataFrame | Iterable[Mapping] | None = None,
             capacity_changes: Mapping[str, float | None] | None = None, place: str | None = None,
             horizon: int = 6, oversupply: float = 1.5, dependency_threshold: float = 0.5,
             name: str | None = None) -> "ScenarioOptions":
        if add_services is None:
            recs: tuple[dict, ...] = ()
        elif isinstance(add_services, pd.DataFrame):
            recs = tuple(_service_record(r) for r in add_services.to_dict("records"))
        else:
            recs = tuple(_service_record(dict(r)) for r in add_services)
        caps = tuple(sorted(((str(k), None if v is None or v != v else float(v))
                             for k, v in (capacity_changes or {}).items())))
        return cls(as_of=as_date(as_of), remove_providers=_tuple(remove_providers),
                   remove_funders=_tuple(remove_funders), remove_funding=_tuple(remove_funding),
                   add_services=recs, capacity_changes=caps, place=place, horizon=int(horizon),
                   oversupply=float(oversupply), dependency_threshold=float(dependency_threshold), name=name)

    @property
    def is_empty(self) -> bool:
        return not (self.remove_providers or self.remove_funders or self.remove_funding or self.add_services
                    or self.capacity_changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "as_of": self.as_of.isoformat(),
            "place": self.place,
            "remove_providers": list(self.remove_providers),
            "remove_funders": list(self.remove_funders),
            "remove_funding": list(self.remove_funding),
            "add_services": [_service_json(r) for r in self.add_services],
            "capacity_changes": {k: v for k, v in self.capacity_changes},
            "horizon": self.horizon,
            "oversupply": self.oversupply,
            "dependency_threshold": self.dependency_threshold,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ScenarioOptions":
        return cls.make(
            as_of=d["as_of"], remove_providers=d.get("remove_providers") or (),
            remove_funders=d.get("remove_funders") or (), remove_funding=d.get("remove_funding") or (),
            add_services=d.get("add_services") or None, capacity_changes=d.get("capacity_changes") or None,
            place=d.get("place"), horizon=d.get("horizon", 6), oversupply=d.get("oversupply", 1.5),
            dependency_threshold=d.get("dependency_threshold", 0.5), name=d.get("name"),
        )


def _service_record(r: Mapping[str, Any]) -> dict:
    out = {}
    for k, v in r.items():
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
            continue
        out[k] = v
    areas = out.get("areas")
    if isinstance(areas, str):
        out["areas"] = [a.strip() for a in areas.split(";") if a.strip()]
    elif areas is not None:
        out["areas"] = [str(a) for a in areas]
    for k in ("start", "end"):
        if k in out:
            out[k] = as_date(out[k], k)
    if "capacity" in out:
        out["capacity"] = float(out["capacity"])
    return out


def _service_json(r: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()}


class _Diff:
    """The diff's JSON (``diff_dict``), shared by :class:`ScenarioResult` and :class:`ScenarioDiff`.

    Both give ``unmet_before``, ``unmet_after``, the four diff tables and the
    two lists of services.
    """

    @property
    def unmet_added(self) -> float:
        return round(self.unmet_after - self.unmet_before, DECIMALS)

    def diff_items(self) -> list[tuple[str, Any]]:
        """The keys of :meth:`diff_dict` in order, tables as DataFrames."""
        return [("unmet_before", self.unmet_before), ("unmet_after", self.unmet_after),
                ("unmet_added", self.unmet_added), ("became_unserved", self.became_unserved),
                ("unmet_change", self.unmet_change), ("unmet_by_category", self.unmet_by_category),
                ("new_cliffs", self.new_cliffs), ("removed_services", list(self.removed_services)),
                ("deactivated_services", list(self.deactivated_services))]

    def diff_dict(self) -> dict[str, Any]:
        return {k: records(v) if isinstance(v, pd.DataFrame) else v for k, v in self.diff_items()}


@dataclasses.dataclass
class ScenarioDiff(_Diff):
    """What a scenario changes (the tables of :class:`ScenarioResult`), without the two analyses behind it."""

    options: ScenarioOptions
    unmet_before: float
    unmet_after: float
    became_unserved: pd.DataFrame
    unmet_change: pd.DataFrame
    unmet_by_category: pd.DataFrame
    new_cliffs: pd.DataFrame
    removed_services: list[str]
    deactivated_services: list[str]


@dataclasses.dataclass
class ScenarioResult(_Diff):
    """The baseline, the re-run analysis, and what changed.

    ``became_unserved``: place, category, demand, status_before,
    supply_before — cells unserved after but not before.
    ``unmet_change``: place, category, unmet_before, unmet_after, change,
    status_before, status_after — every cell whose unmet need or status
    changed; largest increase first.
    ``unmet_by_category``: category, unmet_before, unmet_after, change —
    categories whose unmet need changed.
    ``new_cliffs``: funding cliffs present after but not before.
    ``removed_services``: services gone with an exiting provider;
    ``deactivated_services``: services that lost all their funding.
    """

    options: ScenarioOptions
    baseline: Analysis
    analysis: Analysis
    became_unserved: pd.DataFrame
    unmet_change: pd.DataFrame
    unmet_by_category: pd.DataFrame
    new_cliffs: pd.DataFrame
    removed_services: list[str]
    deactivated_services: list[str]

    @property  # type: ignore[override]
    def unmet_before(self) -> float:
        return self.baseline.totals()["unmet"]

    @property  # type: ignore[override]
    def unmet_after(self) -> float:
        return self.analysis.totals()["unmet"]

    def diff(self) -> ScenarioDiff:
        """The difference alone, as :func:`diff_options` gives it."""
        return ScenarioDiff(self.options, self.unmet_before, self.unmet_after, self.became_unserved,
                            self.unmet_change, self.unmet_by_category, self.new_cliffs, list(self.removed_services),
                            list(self.deactivated_services))

    def write_json(self, fh: BinaryIO) -> None:
        """Stream :meth:`to_dict`'s object to the binary file ``fh``, the tables encoded directly.

        Parsed, the output equals :meth:`to_dict` (as ``ecomap scenario --json`` prints it).
        """
        from ecosystem.analysis._json import Object, write_json

        write_json([("options", self.options.to_dict()), ("diff", Object(self.diff_items())),
                    ("baseline", Object(self.baseline.json_items())),
                    ("analysis", Object(self.analysis.json_items()))], fh)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``options``, ``diff``, ``baseline`` and ``analysis`` (SPEC §6 objects)."""
        return {"options": self.options.to_dict(), "diff": self.diff_dict(),
                "baseline": self.baseline.to_json_dict(), "analysis": self.analysis.to_json_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ScenarioResult":
        diff = d["diff"]

        def frame(name: str, cols: list[str]) -> pd.DataFrame:
            recs = diff.get(name) or []
            return pd.DataFrame(recs, columns=cols) if recs else pd.DataFrame(columns=cols)

        from ecosystem.analysis.fragility import CLIFF_COLUMNS

        cliffs = frame("new_cliffs", CLIFF_COLUMNS)
        if len(cliffs):
            cliffs["end"] = [as_date(v, "end") for v in cliffs["end"]]
        return cls(
            options=ScenarioOptions.from_dict(d["options"]),
            baseline=Analysis.from_json_dict(d["baseline"]),
            analysis=Analysis.from_json_dict(d["analysis"]),
            became_unserved=frame("became_unserved", BECAME_UNSERVED_COLUMNS),
            unmet_change=frame("unmet_change", UNMET_CHANGE_COLUMNS),
            unmet_by_category=frame("unmet_by_category", CATEGORY_CHANGE_COLUMNS),
            new_cliffs=cliffs,
            removed_services=list(diff.get("removed_services") or []),
            deactivated_services=list(diff.get("deactivated_services") or []),
        )


def run_scenario(G: nx.MultiDiGraph, *, remove_providers: Iterable[str] = (), remove_funders: Iterable[str] = (),
                 remove_funding: Iterable[str] = (), add_services: pd.DataFrame | None = None,
                 capacity_changes: Mapping[str, float | None] | None = None, place: str | None = None,
                 as_of: dt.date | str, horizon: int = 6, oversupply: float = 1.5,
                 dependency_threshold: float = 0.5, name: str | None = None) -> ScenarioResult:
    """Re-run the analysis with providers, funders or flows removed, services added or capacities changed.

    See the module docstring for what each change does. ``G`` is not
    changed: the changes apply to a copy of the tables pulled from it.

    Returns
    -------
    ScenarioResult
        The baseline and scenario :class:`~ecosystem.analysis.Analysis`,
        and the diff tables.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> r = run_scenario(riverside(), remove_funders=["COUNCIL"], place="LA1", as_of="2025-01-01")
    >>> r.deactivated_services, r.unmet_added
    (['S1', 'S4'], 60.0)
    >>> r.became_unserved[["place", "category"]].values.tolist()
    [['W2', 'FOOD']]
    """
    opts = ScenarioOptions.make(
        as_of=as_of, remove_providers=remove_providers, remove_funders=remove_funders,
        remove_funding=remove_funding, add_services=add_services, capacity_changes=capacity_changes, place=place,
        horizon=horizon, oversupply=oversupply, dependency_threshold=dependency_threshold, name=name)
    return run_options(G, opts)


def run_options(G: nx.MultiDiGraph | Frames, options: ScenarioOptions, *,
                baseline: Analysis | Callable[[], Analysis] | None = None) -> ScenarioResult:
    """:func:`run_scenario` from a :class:`ScenarioOptions` (e.g. a saved scenario).

    ``baseline``: the analysis of ``G`` unchanged with the options' place,
    date and thresholds, or a function that gives it (called once the
    options are known to be valid), when the caller already holds it (a
    cache); by default it is made here. The scenario then costs one
    analysis, not two.
    """
    frames = G if isinstance(G, Frames) else extract(G)
    kw = dict(place=options.place, as_of=options.as_of, horizon=options.horizon, oversupply=options.oversupply,
              dependency_threshold=options.dependency_threshold)
    changed, removed, deactivated = apply(frames, options)  # refuses bad options before any analysis
    if callable(baseline):
        baseline = baseline()
    if baseline is None:
        baseline = analyse_frames(frames, **kw)
    else:
        _check_baseline(baseline, options)
    after = analyse_frames(changed, **kw)
    return _diff(options, baseline, after, removed, deactivated)


def diff_options(G: nx.MultiDiGraph | Frames, options: ScenarioOptions, *,
                 baseline: Analysis | Callable[[], Analysis | None] | None = None) -> ScenarioDiff:
    """:func:`run_options`'s difference alone: equal to ``run_options(G, options).diff()``.

    Of each analysis only the parts the difference is made of are computed:
    coverage and funding cliffs (SPEC §5), before and after the change.
    ``baseline``: the full analysis of ``G`` unchanged, or a function that
    gives it or ``None`` (a cache that may hold it), as for
    :func:`run_options`; its parts are then used and not computed again.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> o = ScenarioOptions.make(remove_funders=["COUNCIL"], place="LA1", as_of="2025-01-01")
    >>> d = diff_options(riverside(), o)
    >>> d.deactivated_services, d.unmet_added
    (['S1', 'S4'], 60.0)
    """
    frames = G if isinstance(G, Frames) else extract(G)
    changed, removed, deactivated = apply(frames, options)  # refuses bad options before any analysis
    if callable(baseline):
        baseline = baseline()
    if baseline is None:
        base = prepare_base(frames, place=options.place)
        ctx = prepare(frames, place=options.place, as_of=options.as_of, base=base)
        before = _headline_of(ctx, options)
        after = _headline_of(changed_context(base, ctx, changed, options, set(removed) | set(deactivated)), options)
    else:
        _check_baseline(baseline, options)
        before = baseline.coverage, baseline.funding_cliffs
        after = _headline(changed, options)
    tables = _diff_tables(before[0], after[0], before[1], after[1])
    return ScenarioDiff(options, totals(before[0])["unmet"], totals(after[0])["unmet"], *tables,
                        removed, deactivated)


def _headline(frames: Frames, o: ScenarioOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage and funding cliffs of ``frames``, exactly as :func:`~ecosystem.analysis.analyse_frames` makes them."""
    return _headline_of(prepare(frames, place=o.place, as_of=o.as_of), o)


def _headline_of(ctx: Context, o: ScenarioOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    return coverage_from(ctx, oversupply=o.oversupply), funding_cliffs_from(ctx, horizon=o.horizon)


def changed_context(base: Base, ctx: Context, changed: Frames, o: ScenarioOptions, off: set[str]) -> Context:
    """The context :func:`~ecosystem.analysis._tables.prepare` makes of ``changed``, derived from ``ctx``.

    ``changed`` is :func:`apply`'s copy of the tables that ``base`` and
    ``ctx`` were prepared from, for the options' place and date; ``off`` the
    services it removed or deactivated. A scenario changes services, flows
    and partnerships, never places or needs, so the "after" is derived
    (:func:`~ecosystem.analysis._tables.prepare_changed`) at a fraction of
    the cost of a second analysis; added services bring apportioning weights
    of their own, and are prepared afresh.
    """
    if o.add_services:
        return prepare(changed, place=o.place, as_of=o.as_of)
    return prepare_changed(base, ctx, changed, dropped=off, capacities=o.capacity_changes)


def _check_baseline(baseline: Analysis, options: ScenarioOptions) -> None:
    given = (baseline.place, baseline.as_of, baseline.horizon, baseline.oversupply, baseline.dependency_threshold)
    wanted = (options.place, options.as_of, options.horizon, options.oversupply, options.dependency_threshold)
    if given != wanted:
        raise ValueError(f"the baseline is the analysis of {given}, not of the scenario's {wanted}")


def apply(frames: Frames, o: ScenarioOptions) -> tuple[Frames, list[str], list[str]]:
    """A changed copy of ``frames``; also the removed and deactivated service ids."""
    f = frames.copy()
    orgs = set(f.organisations)
    svc_ids = set(f.services["service"]) | set(f.service_areas["service"])
    problems = []
    for o_id in o.remove_providers:
        if o_id not in orgs:
            problems.append(f"remove_providers: no organisation with id {o_id!r}")
    for o_id in o.remove_funders:
        if o_id not in set(f.funding["funder"]):
            problems.append(f"remove_funders: organisation {o_id!r} funds nothing (no FUNDS from it)")
    fund_ids = set(f.funding["funding"])
    for fid in o.remove_funding:
        if fid not in fund_ids:
            problems.append(f"remove_funding: no funding flow with id {fid!r}")
    for sid, _ in o.capacity_changes:
        if sid not in svc_ids:
            problems.append(f"capacity_changes: no service with id {sid!r}")
    places = set(f.places["code"])
    new_ids = set()
    for i, r in enumerate(o.add_services, start=1):
        for col in ("id", "provider", "category", "areas"):
            if not r.get(col):
                problems.append(f"add_services row {i}: column {col!r} is missing")
        sid = r.get("id")
        if sid in svc_ids or sid in new_ids:
            problems.append(f"add_services row {i}: service id {sid!r} already exists")
        new_ids.add(sid)
        for a in r.get("areas") or []:
            if a not in places:
                problems.append(f"add_services row {i}: unknown place {a!r} in areas")
    if problems:
        raise ScenarioError(problems)

    # a provider's exit: its services, flows in and out, partnerships
    gone = set(o.remove_providers)
    svc = f.services
    removed = sorted(set(svc.loc[svc["provider"].isin(gone), "service"]))
    # a funder's removal: its flows, and services left with no active funding
    fund = f.funding
    drop_flow = fund["funding"].isin(set(o.remove_funding)) | fund["funder"].isin(set(o.remove_funders))
    deactivated: list[str] = []
    if drop_flow.any():
        act = active_mask(fund["start"], fund["end"], o.as_of)
        fl = fund[act]
        named = fl.loc[fl["service"].notna(), ["service", "funding"]]
        general = fl.loc[fl["service"].isna(), ["recipient", "funding"]]
        owner = svc[["service", "provider"]].drop_duplicates("service")
        via = owner.merge(general, left_on="provider", right_on="recipient")[["service", "funding"]]
        sf = pd.concat([named, via], ignore_index=True)
        dropped = set(fund.loc[drop_flow, "funding"])
        sf["kept"] = ~sf["funding"].isin(dropped)
        keeps = sf.groupby("service")["kept"].any()
        deactivated = sorted(set(keeps.index[~keeps]) - set(removed))
    flow_gone = drop_flow | fund["funder"].isin(gone) | fund["recipient"].isin(gone)
    f.funding = fund[~flow_gone].reset_index(drop=True)
    p = f.partnerships
    f.partnerships = p[~(p["a"].isin(gone) | p["b"].isin(gone))].reset_index(drop=True)
    off = set(removed) | set(deactivated)
    f.services = svc[~svc["service"].isin(off)].reset_index(drop=True)
    f.service_areas = f.service_areas[~f.service_areas["service"].isin(off)].reset_index(drop=True)
    if deactivated:
        log.info("scenario: %d service(s) lost all their funding: %s", len(deactivated), ", ".join(deactivated))

    for sid, cap in o.capacity_changes:
        if sid in off:
            log.info("scenario: capacity change for %s ignored: the service is removed", sid)
            continue
        f.services.loc[f.services["service"] == sid, "capacity"] = np.nan if cap is None else float(cap)

    if o.add_services:
        rows = [{"service": r["id"], "provider": r["provider"], "category": r["category"],
                 "capacity": float(r.get("capacity", np.nan)), "start": r.get("start"), "end": r.get("end")}
                for r in o.add_services]
        add = pd.DataFrame(rows, columns=["service", "provider", "category", "capacity", "start", "end"])
        add["start"] = to_timestamps(add["start"])
        add["end"] = to_timestamps(add["end"])
        f.services = pd.concat([f.services, add], ignore_index=True)
        areas = pd.DataFrame([(r["id"], a) for r in o.add_services for a in r["areas"]], columns=["service", "area"])
        f.service_areas = pd.concat([f.service_areas, areas], ignore_index=True).drop_duplicates()
        f.organisations = sorted(set(f.organisations) | {r["provider"] for r in o.add_services}, key=str)
    return f, removed, deactivated


def _diff(o: ScenarioOptions, before: Analysis, after: Analysis, removed: list[str],
          deactivated: list[str]) -> ScenarioResult:
    tables = _diff_tables(before.coverage, after.coverage, before.funding_cliffs, after.funding_cliffs)
    return ScenarioResult(o, before, after, *tables, removed, deactivated)


def _diff_tables(cov_before: pd.DataFrame, cov_after: pd.DataFrame, cliffs_before: pd.DataFrame,
                 cliffs_after: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """became_unserved, unmet_change, unmet_by_category and new_cliffs from the two coverages and cliff lists."""
    keys = ["place", "category"]
    b = cov_before[keys + ["demand", "supply", "unmet", "status"]]
    a = cov_after[keys + ["unmet", "status"]]
    x = b.merge(a, on=keys, how="outer", suffixes=("_before", "_after"))
    x["unmet_before"] = x["unmet_before"].fillna(0.0)
    x["unmet_after"] = x["unmet_after"].fillna(0.0)
    x["change"] = (x["unmet_after"] - x["unmet_before"]).round(DECIMALS)
    x["status_before"] = x["status_before"].astype(object).where(x["status_before"].notna(), None)
    x["status_after"] = x["status_after"].astype(object).where(x["status_after"].notna(), None)
    became = x[(x["status_after"] == "unserved") & (x["status_before"] != "unserved")]
    became = became.rename(columns={"supply": "supply_before"})
    became = became.sort_values(keys, kind="stable")[BECAME_UNSERVED_COLUMNS].reset_index(drop=True)
    changed = x[(x["change"] != 0) | (x["status_before"] != x["status_after"])]
    changed = changed.sort_values(["change", "place", "category"], ascending=[False, True, True], kind="stable")
    changed = changed[UNMET_CHANGE_COLUMNS].reset_index(drop=True)
    cat = x.groupby("category", as_index=False)[["unmet_before", "unmet_after"]].sum()
    cat["change"] = (cat["unmet_after"] - cat["unmet_before"]).round(DECIMALS)
    cat = cat[cat["change"] != 0].sort_values("category", kind="stable")[CATEGORY_CHANGE_COLUMNS]
    cat = cat.reset_index(drop=True)
    old = set(cliffs_before["funding"])
    new_cliffs = cliffs_after[~cliffs_after["funding"].isin(old)].reset_index(drop=True)
    return became, changed, cat, new_cliffs
