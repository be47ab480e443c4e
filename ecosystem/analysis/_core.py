"""The whole analysis in one pass: :func:`analyse` and :class:`Analysis`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any, BinaryIO

import networkx as nx
import pandas as pd

from ecosystem.analysis import concentration as _conc
from ecosystem.analysis import coverage as _cov
from ecosystem.analysis import duplication as _dup
from ecosystem.analysis import fragility as _frag
from ecosystem.analysis import market as _mkt
from ecosystem.analysis import unplaced as _unpl
from ecosystem.analysis._tables import Context, Frames, as_date, extract, prepare, py, records
from ecosystem.model import DEFAULT_CURRENCY, money

log = logging.getLogger(__name__)

#: the tables of an :class:`Analysis`, in SPEC §6 order, with their columns
TABLES: dict[str, list[str]] = {
    "coverage": _cov.COLUMNS,
    "duplication": _dup.DUPLICATION_COLUMNS,
    "overlaps": _dup.OVERLAP_COLUMNS,
    "overlap_summary": _dup.OVERLAP_SUMMARY_COLUMNS,
    "area_wide_services": _dup.AREA_WIDE_COLUMNS,
    "identical_areas": _dup.IDENTICAL_COLUMNS,
    "overlapping_services": _dup.OVERLAPPING_SERVICE_COLUMNS,
    "funding_dependency": _frag.DEPENDENCY_COLUMNS,
    "sole_providers": _frag.SOLE_COLUMNS,
    "critical_providers": _frag.CRITICAL_COLUMNS,
    "funding_cliffs": _frag.CLIFF_COLUMNS,
    "concentration": _conc.COLUMNS,
    "funding_currencies": _frag.CURRENCY_COLUMNS,
    "diversity": _mkt.DIVERSITY_COLUMNS,
    "funding_security": _mkt.FUNDING_SECURITY_COLUMNS,
    "pipeline": _mkt.PIPELINE_COLUMNS,
}

#: tables whose ``amount`` column is money (``decimal.Decimal``), each row in its ``currency``
MONEY_TABLES = ("funding_dependency", "funding_cliffs", "funding_currencies", "funding_security")

PROVISION_COLUMNS = ["place", "category", "service", "provider", "supply", "capacity_known"]

EMPTY_UNPLACED = {"organisations": 0, "flows": 0, "amount": 0.0, "currency": "GBP", "amounts": [], "with_postcode": 0,
                  "postcode_districts": [], "unknown_places": [], "examples": []}


@dataclasses.dataclass
class Analysis:
    """Every SPEC §5 result for one place and date.

    DataFrames (columns documented on the functions that make them):
    ``coverage``, ``duplication``, ``overlaps``, ``funding_dependency``,
    ``sole_providers``, ``critical_providers``, ``funding_cliffs``,
    ``concentration``, ``funding_currencies`` (active funding per currency:
    more than one row means amounts and shares are per currency);
    the duplication summary ``overlap_summary``,
    ``area_wide_services``, ``identical_areas``, ``overlapping_services``
    (see :func:`ecosystem.analysis.duplication.overlap_summary`);
    ``provision`` (place, category, service, provider,
    supply, capacity_known: the active services behind each coverage cell;
    not part of the JSON); ``unplaced_organisations`` (organisation, postcode,
    flows, amount: see :mod:`~ecosystem.analysis.unplaced`). ``unplaced``: the
    counts of organisations and active flows with no place at all, and their
    amount (:func:`~ecosystem.analysis.unplaced.unplaced`). Scalars: ``short_term_share`` (0–1 or None, in
    ``currency``, the main currency of the active funding),
    ``articulation_points`` (sorted organisation ids), ``bridges`` (sorted
    ``[a, b]`` pairs), and the options used. Market shaping
    (:mod:`~ecosystem.analysis.market`): ``diversity`` (supply and providers
    by sector per place and category), ``funding_security`` (short-term and
    multi-year shares per currency, overall and per funder), ``pipeline``
    (procurements starting after ``as_of`` with the gaps and cliffs each may
    answer).
    """

    as_of: dt.date
    place: str | None
    horizon: int
    oversupply: float
    dependency_threshold: float
    coverage: pd.DataFrame
    duplication: pd.DataFrame
    overlaps: pd.DataFrame
    funding_dependency: pd.DataFrame
    sole_providers: pd.DataFrame
    critical_providers: pd.DataFrame
    funding_cliffs: pd.DataFrame
    concentration: pd.DataFrame
    short_term_share: float | None
    articulation_points: list[str]
    bridges: list[list[str]]
    provision: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=PROVISION_COLUMNS))
    overlap_summary: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=_dup.OVERLAP_SUMMARY_COLUMNS))
    area_wide_services: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=_dup.AREA_WIDE_COLUMNS))
    identical_areas: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=_dup.IDENTICAL_COLUMNS))
    overlapping_services: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=_dup.OVERLAPPING_SERVICE_COLUMNS))
    unplaced: dict[str, Any] = dataclasses.field(default_factory=lambda: dict(EMPTY_UNPLACED))
    unplaced_organisations: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=_unpl.UNPLACED_TABLE_COLUMNS))
    timings: dict[str, float] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    funding_currencies: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=_frag.CURRENCY_COLUMNS))
    currency: str | None = None
    diversity: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=_mkt.DIVERSITY_COLUMNS))
    funding_security: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=_mkt.FUNDING_SECURITY_COLUMNS))
    pipeline: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=_mkt.PIPELINE_COLUMNS))

    @property
    def several_currencies(self) -> bool:
        """Whether the active funding is in more than one currency (totals are then per currency)."""
        return len(self.funding_currencies) > 1

    def totals(self) -> dict[str, Any]:
        """Headline figures: demand, supply, unmet and cell counts by status."""
        return _cov.totals(self.coverage)

    def json_items(self, *, pairs: bool = True) -> list[tuple[str, Any]]:
        """The keys of the SPEC §6 ``ecomap analyse --json`` object in order, tables as DataFrames.

        ``pairs=False`` leaves out ``overlaps`` (the pair list, six figures
        long on a whole local authority). Values that are not tables are
        already JSON-ready (Python scalars, ISO dates, ``None``).
        """
        out: list[tuple[str, Any]] = [("as_of", self.as_of.isoformat()), ("place", self.place)]
        for name in TABLES:
            if name == "overlaps" and not pairs:
                continue
            out.append((name, getattr(self, name)))
        out += [("short_term_share", py(self.short_term_share)),
                ("currency", self.currency),
                ("articulation_points", [py(a) for a in self.articulation_points]),
                ("bridges", [[py(a), py(b)] for a, b in self.bridges]),
                ("unplaced", {**self.unplaced, "fix": _unpl.unplaced_fix(self.unplaced),
                              "list": records(self.unplaced_organisations)}),
                ("totals", self.totals()),
                ("options", {"horizon": int(self.horizon), "oversupply": float(self.oversupply),
                             "dependency_threshold": float(self.dependency_threshold)})]
        return out

    def to_json_dict(self, *, pairs: bool = True) -> dict[str, Any]:
        """The SPEC §6 ``ecomap analyse --json`` object (plus ``totals`` and the options).

        Records are snake_case dicts of Python scalars; dates are ISO strings;
        missing numbers are ``None``. For large places prefer
        :meth:`write_json`, which writes the same object without a dict per row.
        """
        return {k: records(v) if isinstance(v, pd.DataFrame) else v for k, v in self.json_items(pairs=pairs)}

    def write_json(self, fh: BinaryIO, *, pairs: bool = True) -> None:
        """Stream :meth:`to_json_dict`'s object to the binary file ``fh``, encoded from the tables directly.

        Parsed, the output equals :meth:`to_json_dict`; ``pairs=False``
        leaves out ``overlaps``.
        """
        from ecosystem.analysis._json import write_json

        write_json(self.json_items(pairs=pairs), fh)

    @classmethod
    def from_json_dict(cls, d: dict[str, Any]) -> "Analysis":
        """Rebuild an :class:`Analysis` from :meth:`to_json_dict` output."""
        frames = {}
        for name, cols in TABLES.items():
            recs = d.get(name) or []
            df = pd.DataFrame(recs, columns=cols) if recs else pd.DataFrame(columns=cols)
            frames[name] = df
        cl = frames["funding_cliffs"]
        if len(cl):
            cl["end"] = [as_date(v, "end") if v is not None else None for v in cl["end"]]
        for name in MONEY_TABLES:
            t = frames[name]
            if len(t):
                t["amount"] = pd.Series([money(v) for v in t["amount"]], index=t.index, dtype=object)
                if "currency" in t.columns:
                    t["currency"] = t["currency"].where(t["currency"].notna(), DEFAULT_CURRENCY)
        pipe = frames["pipeline"]
        if len(pipe):
            for c in ("start", "end"):
                pipe[c] = pd.Series([as_date(v, c) if v is not None else None for v in pipe[c]], index=pipe.index,
                                    dtype=object)
            pipe["value"] = pd.to_numeric(pipe["value"], errors="coerce").astype(float)
            for c in ("places", "gaps", "cliffs"):
                pipe[c] = pd.Series([list(v or []) for v in pipe[c]], index=pipe.index, dtype=object)
        for name, cols in (("diversity", ("share", "supply")),
                           ("funding_security", ("short_term_share", "multi_year_share"))):
            t = frames[name]
            if len(t):
                for c in cols:
                    t[c] = pd.to_numeric(t[c], errors="coerce").astype(float)
        cov = frames["coverage"]
        if len(cov):
            cov["coverage"] = cov["coverage"].astype(float)
        opts = d.get("options") or {}
        u = dict(d.get("unplaced") or EMPTY_UNPLACED)
        listed = u.pop("list", None) or []
        u.pop("fix", None)
        frames["unplaced_organisations"] = (pd.DataFrame(listed, columns=_unpl.UNPLACED_TABLE_COLUMNS) if listed
                                            else pd.DataFrame(columns=_unpl.UNPLACED_TABLE_COLUMNS))
        frames["unplaced"] = {**EMPTY_UNPLACED, **u}
        return cls(
            as_of=as_date(d["as_of"]), place=d.get("place"), horizon=int(opts.get("horizon", 6)),
            oversupply=float(opts.get("oversupply", 1.5)),
            dependency_threshold=float(opts.get("dependency_threshold", 0.5)),
            short_term_share=d.get("short_term_share"), currency=d.get("currency"),
            articulation_points=list(d.get("articulation_points") or []),
            bridges=[list(b) for b in d.get("bridges") or []],
            **frames,
        )


def analyse(G: nx.MultiDiGraph, *, place: str | None = None, as_of: dt.date | str, horizon: int = 6,
            oversupply: float = 1.5, dependency_threshold: float = 0.5) -> Analysis:
    """Run every analysis of SPEC §5 over ``G`` for one place and date.

    Pulls the edge tables out of the graph once and computes coverage,
    duplication, overlaps, funding dependency, sole and critical providers,
    funding cliffs, short-term funding, articulation points, bridges and
    concentration from them.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The ecosystem graph (:data:`ecosystem.model.GRAPH_SCHEMA`); not changed.
    place : str, optional
        Code of the place to analyse: its leaves, and the organisations that
        belong to it (:func:`~ecosystem.analysis._tables.place_scope`: they
        serve one of its leaves, are based in it or a place inside it, or
        receive a flow for it, a place inside it or a place containing it);
        default every place.
    as_of : datetime.date or ISO string
        The date at which services, flows and partnerships are active.
    horizon : int, default 6
        Months ahead in which an ending flow is a funding cliff.
    oversupply : float, default 1.5
        Coverage at or above which a cell is ``over``.
    dependency_threshold : float, default 0.5
        Top-funder share at or above which a provider is ``dependent``.

    Returns
    -------
    Analysis

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> a = analyse(riverside(), place="LA1", as_of="2025-01-01")
    >>> a.totals()["unmet"], a.short_term_share, a.articulation_points
    (30.0, 0.5, ['MIND', 'PANTRY'])
    >>> sorted(a.to_json_dict())[:6]
    ['area_wide_services', 'articulation_points', 'as_of', 'bridges', 'concentration', 'coverage']
    """
    t0 = time.perf_counter()
    frames = extract(G)
    t1 = time.perf_counter()
    a = analyse_frames(frames, place=place, as_of=as_of, horizon=horizon, oversupply=oversupply,
                       dependency_threshold=dependency_threshold)
    a.timings = {"extract": t1 - t0, **a.timings}
    return a


def analyse_frames(frames: Frames, *, place: str | None, as_of: Any, horizon: int = 6, oversupply: float = 1.5,
                   dependency_threshold: float = 0.5, context: Context | None = None) -> Analysis:
    """:func:`analyse` over already-extracted :class:`Frames`.

    ``context``: the :class:`Context` already prepared from these frames for
    ``place`` and ``as_of`` (:func:`~ecosystem.analysis._tables.prepare`),
    used instead of preparing them again. The analysis only reads it.
    """
    if context is not None and not context.made_from(frames, place, as_of):
        raise ValueError("analyse_frames: the context was prepared from other frames, place or date")
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    ctx = context if context is not None else prepare(frames, place=place, as_of=as_of)
    lap("prepare")
    return analyse_context(ctx, horizon=horizon, oversupply=oversupply, dependency_threshold=dependency_threshold,
                           timings=timings, lap=lap)


def analyse_context(ctx: Context, *, horizon: int = 6, oversupply: float = 1.5, dependency_threshold: float = 0.5,
                    timings: dict[str, float] | None = None, lap=None) -> Analysis:
    timings = {} if timings is None else timings
    lap = lap or (lambda name: None)
    cov = _cov.coverage_from(ctx, oversupply=oversupply)
    lap("coverage")
    dup = _dup.duplication_from(cov)
    ovl = _dup.overlaps_from(ctx)
    ovl_summary = _dup.overlap_summary_from(ctx, ovl)
    lap("duplication")
    dep = _frag.funding_dependency_from(ctx, dependency_threshold=dependency_threshold)
    sole = _frag.sole_providers_from(ctx, cov)
    crit = _frag.critical_providers_from(ctx, cov)
    lap("sole_critical")
    cliffs = _frag.funding_cliffs_from(ctx, horizon=horizon)
    currencies = _frag.funding_currencies_from(ctx)
    short = _frag.short_term_share_from(ctx, currencies)
    lap("funding")
    H = _frag.partnership_network(ctx)
    aps = sorted(nx.articulation_points(H), key=str)
    brs = sorted((sorted((a, b), key=str) for a, b in nx.bridges(H)), key=lambda p: (str(p[0]), str(p[1])))
    lap("structural")
    conc = _conc.concentration_from(ctx)
    lap("concentration")
    diversity = _mkt.diversity_from(ctx)
    security = _mkt.funding_security_from(ctx)
    pipe = _mkt.pipeline_from(ctx, cov, cliffs)
    lap("market")
    provision = ctx.contrib[PROVISION_COLUMNS].reset_index(drop=True)
    unplaced_table = _unpl.unplaced_organisations_table(ctx)
    unplaced = _unpl.unplaced_from(ctx, unplaced_table)
    lap("unplaced")
    return Analysis(
        as_of=ctx.as_of, place=ctx.place, horizon=int(horizon), oversupply=float(oversupply),
        dependency_threshold=float(dependency_threshold), coverage=cov, duplication=dup, overlaps=ovl,
        funding_dependency=dep, sole_providers=sole, critical_providers=crit, funding_cliffs=cliffs,
        concentration=conc, short_term_share=short, articulation_points=aps, bridges=brs, provision=provision,
        unplaced=unplaced, unplaced_organisations=unplaced_table,
        timings=timings, funding_currencies=currencies, currency=_frag.main_currency(currencies), **ovl_summary,
        diversity=diversity, funding_security=security, pipeline=pipe,
    )
