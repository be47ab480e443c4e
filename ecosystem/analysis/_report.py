"""Readable summary and findings of an :class:`~ecosystem.analysis.Analysis`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ecosystem.analysis._core import Analysis
from ecosystem.analysis._tables import py
from ecosystem.analysis.unplaced import unplaced_fix, unplaced_sentence
from ecosystem.money import fmt as fmt_money
from ecosystem.money import fmt_totals, total_pairs
from ecosystem.model import DEFAULT_CURRENCY


def _n(v: Any, digits: int = 1) -> str:
    """A number for people: no decimals when whole."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    v = float(v)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.{digits}f}"


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return f"{100 * float(v):.0f}%"


def _table(df: pd.DataFrame, top: int) -> str:
    if df.empty:
        return "  none"
    text = df.head(top).to_string(index=False)
    lines = ["  " + line for line in text.splitlines()]
    if len(df) > top:
        lines.append(f"  … and {len(df) - top} more")
    return "\n".join(lines)


_NAMED_COLUMNS = ("place", "category", "provider", "organisation", "top_funder", "funder", "recipient", "service_a",
                  "service_b", "top_provider", "provider_a", "provider_b", "service", "area", "buyer")


def with_names(analysis: Analysis, names: dict[str, str]) -> Analysis:
    """A copy of the analysis with ids and codes replaced by display names, for people to read."""
    import dataclasses

    def nm(v: Any) -> Any:
        return names.get(v, v) if isinstance(v, str) else v

    frames = {}
    for f in dataclasses.fields(analysis):
        df = getattr(analysis, f.name)
        if isinstance(df, pd.DataFrame):
            df = df.copy()
            for c in _NAMED_COLUMNS:
                if c in df.columns:
                    df[c] = df[c].map(nm)
            for c in ("services", "areas"):
                if c in df.columns:
                    df[c] = df[c].map(lambda s: [nm(x) for x in s] if isinstance(s, list) else s)
            frames[f.name] = df
    return dataclasses.replace(analysis, **frames, place=nm(analysis.place),
                               articulation_points=[nm(x) for x in analysis.articulation_points],
                               bridges=[[nm(x) for x in b] for b in analysis.bridges])


def summary_text(analysis: Analysis, top: int = 10, *, names: dict[str, str] | None = None) -> str:
    """A readable summary: the headline figures, then the top rows of each finding.

    With ``names`` (id or code -> display name) people read names, not codes.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> from ecosystem.analysis import analyse
    >>> print(summary_text(analyse(riverside(), place="LA1", as_of="2025-01-01"), top=3).splitlines()[0])
    Ecosystem analysis of LA1 on 2025-01-01
    """
    a = with_names(analysis, names) if names else analysis
    t = a.totals()
    where = a.place or "every place"
    out = [f"Ecosystem analysis of {where} on {a.as_of.isoformat()}",
           f"Need {_n(t['demand'])} · supply {_n(t['supply'])} · unmet {_n(t['unmet'])} people a year "
           f"over {t['cells']} place/category cells: {t['unserved_cells']} unserved, {t['under_cells']} under, "
           f"{t['over_cells']} over-supplied."]
    u = analysis.unplaced
    sentence = unplaced_sentence(u, names=names)
    if sentence:
        out += ["", sentence] + [f"  To place them: {fix}" for fix in unplaced_fix(u)]

    cov = a.coverage[a.coverage["unmet"] > 0].sort_values(["unmet", "place", "category"],
                                                          ascending=[False, True, True], kind="stable")
    view = pd.DataFrame({"place": cov["place"], "category": cov["category"], "need": cov["demand"].map(_n),
                         "supply": cov["supply"].map(_n), "unmet": cov["unmet"].map(_n),
                         "coverage": cov["coverage"].map(_pct), "status": cov["status"],
                         "providers": cov["providers"],
                         "note": cov["capacity_unknown"].map(lambda b: "capacity unknown" if b else "")})
    out += ["", "Top unmet needs", _table(view, top)]

    d = a.duplication
    view = pd.DataFrame({"place": d["place"], "category": d["category"], "providers": d["providers"],
                         "coverage": d["coverage"].map(_pct)})
    out += ["", f"Duplication (coverage ≥ {_pct(a.oversupply)} with 2+ providers)", _table(view, top)]
    out += [""] + duplication_text(analysis, names=names, top=top)

    dep = a.funding_dependency[a.funding_dependency["dependent"].astype(bool)]
    cur = a.funding_currencies
    if len(cur) > 1:
        out += ["", f"Funding is in {len(cur)} currencies ("
                + ", ".join(f"{fmt_money(r.amount, r.currency)} in {r.flows} flow(s)" for r in cur.itertuples())
                + "): every amount, share and dependency is per currency, none converted; "
                f"the short-term share is for {a.currency}."]
    view = pd.DataFrame({"provider": dep["provider"], "top_funder": dep["top_funder"],
                         "top_share": dep["top_share"].map(_pct), "hhi": dep["hhi"].map(lambda v: f"{v:.2f}"),
                         "funding": [fmt_money(v, c) for v, c in zip(dep["amount"], dep["currency"])]})
    funded = a.funding_dependency["provider"].nunique() if len(a.funding_dependency) else 0
    out += ["", f"Funding dependency (top funder ≥ {_pct(a.dependency_threshold)}): "
                f"{dep['provider'].nunique() if len(dep) else 0} of {funded} funded organisations",
            _table(view, top)]

    c = a.funding_cliffs
    view = pd.DataFrame({"funding": c["funding"], "funder": c["funder"], "recipient": c["recipient"],
                         "end": c["end"].map(lambda v: v.isoformat()),
                         "amount": [fmt_money(v, cc) for v, cc in zip(c["amount"], c["currency"])],
                         "services": c["services"].map(lambda s: ", ".join(s[:5]) + (" …" if len(s) > 5 else ""))})
    out += ["", f"Funding cliffs in the next {a.horizon} months: {len(c)} flow(s), "
                f"{fmt_totals(total_pairs(c))} at risk", _table(view, top)]
    out += [f"Short-term funding (12 months or less): {_pct(a.short_term_share)} of active funding"
            + (f" in {a.currency}" if a.several_currencies else "")]

    s = a.sole_providers
    out += ["", f"Sole providers: {len(s)} cell(s) with need served by one provider",
            _table(s[["place", "category", "provider"]], top)]
    cp = a.critical_providers[a.critical_providers["unmet_added"] > 0]
    view = pd.DataFrame({"provider": cp["provider"], "unmet_added": cp["unmet_added"].map(_n),
                         "unserved_added": cp["unserved_added"], "cells": cp["cells"]})
    out += ["", "Critical providers (unmet need added if they left)", _table(view, top)]

    aps = a.articulation_points
    out += ["", f"Partnership articulation points: {', '.join(aps[:top]) if aps else 'none'}"
                + (f" … and {len(aps) - top} more" if len(aps) > top else ""),
            f"Partnership bridges: {'; '.join(f'{x}–{y}' for x, y in a.bridges[:top]) if a.bridges else 'none'}"
            + (f" … and {len(a.bridges) - top} more" if len(a.bridges) > top else "")]

    k = a.concentration[a.concentration["concentrated"].astype(bool)].sort_values(
        ["hhi", "place", "category"], ascending=[False, True, True], kind="stable")
    view = pd.DataFrame({"place": k["place"], "category": k["category"], "hhi": k["hhi"].map(lambda v: f"{v:,.0f}"),
                         "providers": k["providers"], "top_provider": k["top_provider"],
                         "top_share": k["top_share"].map(_pct)})
    out += ["", f"Concentration (HHI > 2,500): {len(k)} of {len(a.concentration)} place/category markets",
            _table(view, top)]
    out += [""] + market_text(a, top=top, names=names)
    return "\n".join(out)


def _share(v: float) -> str:
    """A share for people, ``<1%`` rather than ``0%`` when there is some."""
    return "<1%" if 0 < v < 0.005 else _pct(v)


_SECTOR_LABELS = {"vcse": "VCSE", "private": "private", "public": "public", "other": "other", "unknown": "unknown"}


def market_text(a: Analysis, *, top: int = 10, names: dict[str, str] | None = None) -> list[str]:
    """The summary's "Market" paragraph: who provides by sector, how secure the money is, what is being procured.

    ``a`` is already named (:func:`with_names`) when ``names`` is given; the
    places inside the pipeline's gaps are named here.
    """
    from ecosystem.analysis.market import SECTORS

    names = names or {}
    out = ["Market: who provides, how secure the money is, what is being procured"]
    d = a.diversity
    if len(d):
        by = d.groupby("sector")["supply"].sum()
        total = float(by.sum())
        if total > 0:
            out.append("Supply by provider sector (all categories, known capacity): " + " · ".join(
                f"{_SECTOR_LABELS[s]} {_share(by[s] / total)}" for s in SECTORS if s in by.index and by[s] > 0))
        wide = {}
        for r in d.itertuples(index=False):
            wide.setdefault((r.place, r.category), {})[r.sector] = f"{_pct(r.share)} ({r.providers})"
        rows = [{"place": pl, "category": c, **{_SECTOR_LABELS[s]: v.get(s, "") for s in SECTORS}}
                for (pl, c), v in wide.items()]
        view = pd.DataFrame(rows)
        view = view[[c for c in view.columns if c in ("place", "category") or (view[c] != "").any()]]
        out += ["Share of supply by sector, per category (providers in brackets)", _table(view, top)]
    else:
        out.append("Supply by provider sector: no active services")
    fs = a.funding_security
    tot = fs[fs["funder"].isna()] if len(fs) else fs
    if len(tot):
        for r in tot.itertuples(index=False):
            out.append(f"Funding security: {fmt_money(r.amount, r.currency)} of active funding in {r.flows} flow(s): "
                       f"{_pct(r.short_term_share)} short-term (12 months or less), {_pct(r.multi_year_share)} "
                       "multi-year (36 months or more, or open-ended)")
        per = fs[fs["funder"].notna()]
        view = pd.DataFrame({"funder": per["funder"],
                             "funding": [fmt_money(v, c) for v, c in zip(per["amount"], per["currency"])],
                             "flows": per["flows"], "short_term": per["short_term_share"].map(_pct),
                             "multi_year": per["multi_year_share"].map(_pct)})
        out.append(_table(view, top))
    else:
        out.append("Funding security: no active funding")
    pipe = a.pipeline
    answering = int(sum(1 for g, c in zip(pipe["gaps"], pipe["cliffs"]) if g or c)) if len(pipe) else 0
    out.append(f"Pipeline: {len(pipe)} procurement(s) expected to start after {a.as_of.isoformat()}, "
               f"{answering} answering a gap or a funding cliff")
    if len(pipe):
        def gaps(g: list) -> str:
            shown = ", ".join(f"{names.get(x['place'], x['place'])} ({_n(x['unmet'])} unmet)" for x in g[:3])
            return shown + (f" … +{len(g) - 3}" if len(g) > 3 else "") if g else ""

        view = pd.DataFrame({"title": pipe["title"].map(lambda v: v or ""), "buyer": pipe["buyer"],
                             "category": pipe["category"], "start": pipe["start"].map(py),
                             "value": [fmt_money(v, c) for v, c in zip(pipe["value"], pipe["currency"])],
                             "gaps": pipe["gaps"].map(gaps), "cliffs": pipe["cliffs"].map(lambda c: len(c))})
        out.append(_table(view, top))
    return out


def findings(analysis: Analysis, *, max_per_kind: int | None = None,
             names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The analysis as a list of findings, one per thing worth a commissioner's attention.

    Each finding is a JSON-safe dict: ``id`` (stable across runs:
    ``kind|scope|keys``, where scope is the analysed place or ``*``),
    ``kind`` (``unserved``, ``under``, ``duplication``, ``overlap_summary``
    (one per category with overlapping services: its area-wide services
    and identical-area groups in a sentence), ``identical_areas`` (one per
    group), ``overlap``,
    ``funding_dependency``, ``funding_cliff``, ``sole_provider``,
    ``critical_provider``, ``articulation_point``, ``bridge``,
    ``concentration``), ``place`` (the leaf for cell findings, else the
    analysed place), ``category``, ``organisations`` and ``services``
    (sorted id lists), ``summary`` (one sentence), ``figures`` (the
    numbers behind it), ``as_of`` (ISO). Only dependent providers, critical
    providers adding unmet need and concentrated markets are listed.
    ``max_per_kind`` keeps the first rows of each kind (tables are ranked:
    worst first where there is a ranking), e.g. to cap overlap findings,
    which run to six figures on a whole local authority. ``names`` (id or
    code -> display name) makes the summaries read in names, as a partnership
    board reads them; ids and codes stay in the other fields.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> from ecosystem.analysis import analyse
    >>> f = findings(analyse(riverside(), place="LA1", as_of="2025-01-01"))
    >>> [x["summary"] for x in f if x["kind"] == "unserved"]
    ['No active service in W3 for FOOD: 20 people in need a year.']
    >>> f = findings(analyse(riverside(), place="LA1", as_of="2025-01-01"), names={"FOOD": "Food support",
    ...                                                                            "W3": "Mill End"})
    >>> [x["summary"] for x in f if x["kind"] == "unserved"]
    ['No active service in Mill End for Food support: 20 people in need a year.']
    """
    a = analysis
    nm = (lambda x: names.get(x, x) if isinstance(x, str) else x) if names else (lambda x: x)
    scope = a.place or "*"
    as_of = a.as_of.isoformat()
    prov = a.provision
    cell_orgs: dict[tuple, list[str]] = {}
    cell_svcs: dict[tuple, list[str]] = {}
    if len(prov):
        g = prov.groupby(["place", "category"])
        cell_orgs = {k: sorted(set(v)) for k, v in g["provider"]}
        cell_svcs = {k: sorted(set(v)) for k, v in g["service"]}
    out: list[dict[str, Any]] = []

    per_kind: dict[str, int] = {}

    def add(kind: str, keys: list, summary: str, *, place=None, category=None, organisations=(), services=(),
            figures=None) -> None:
        per_kind[kind] = per_kind.get(kind, 0) + 1
        if max_per_kind is not None and per_kind[kind] > max_per_kind:
            return
        out.append({
            "id": "|".join([kind, scope, *[str(k) for k in keys]]),
            "kind": kind, "place": place if place is not None else a.place, "category": category,
            "organisations": sorted({str(o) for o in organisations if o is not None}),
            "services": sorted({str(s) for s in services if s is not None}),
            "summary": summary, "figures": {k: py(v) for k, v in (figures or {}).items()}, "as_of": as_of,
        })

    cov = a.coverage
    for r in cov[cov["status"].isin(["unserved", "under"])].itertuples(index=False):
        key = (r.place, r.category)
        figs = {"demand": r.demand, "supply": r.supply, "unmet": r.unmet, "coverage": r.coverage,
                "capacity_unknown": bool(r.capacity_unknown)}
        if r.status == "unserved":
            add("unserved", list(key), f"No active service in {nm(r.place)} for {nm(r.category)}: "
                f"{_n(r.demand)} people in need a year.", place=r.place, category=r.category, figures=figs)
        else:
            add("under", list(key), f"{nm(r.category)} in {nm(r.place)} meets {_pct(r.coverage)} of need: "
                f"{_n(r.unmet)} of {_n(r.demand)} people a year unmet.", place=r.place, category=r.category,
                organisations=cell_orgs.get(key, []), services=cell_svcs.get(key, []), figures=figs)
    for r in a.duplication.itertuples(index=False):
        key = (r.place, r.category)
        add("duplication", list(key), f"{nm(r.category)} in {nm(r.place)} is supplied at {_pct(r.coverage)} of "
            f"need by {r.providers} providers.", place=r.place, category=r.category,
            organisations=cell_orgs.get(key, []),
            services=cell_svcs.get(key, []), figures={"coverage": r.coverage, "providers": r.providers,
                                                      "demand": r.demand, "supply": r.supply})
    prov_of = dict(zip(a.overlapping_services["service"], a.overlapping_services["provider"])) \
        if len(a.overlapping_services) else {}
    wide_by_cat: dict[str, list] = {}
    for r in a.area_wide_services.itertuples(index=False):
        wide_by_cat.setdefault(r.category, []).append(r)
    for r in a.overlap_summary.itertuples(index=False):
        cat = nm(r.category)
        parts = []
        wide_svcs: list[str] = []
        for w in wide_by_cat.get(r.category, []):
            n = len(w.services)
            wide_svcs += list(w.services)
            parts.append(f"{w.providers} provider{'s run' if w.providers != 1 else ' runs'} {n} {cat} "
                         f"service{'s' if n != 1 else ''} that {'each cover' if n != 1 else 'covers'} all of "
                         f"{nm(w.area)}; {w.inside:,} other {cat} service{'s lie' if w.inside != 1 else ' lies'} "
                         f"inside {'them' if n != 1 else 'it'}")
        if r.identical_groups:
            parts.append(f"{r.identical_groups} group{'s' if r.identical_groups != 1 else ''} of {cat} services "
                         f"serve identical areas")
        lead = "; ".join(parts) if parts else f"{r.services} {cat} services overlap"
        add("overlap_summary", [r.category],
            f"{cat}: {r.pairs:,} overlapping pair{'s' if r.pairs != 1 else ''}. {lead[0].upper() + lead[1:]}.",
            category=r.category, services=wide_svcs, organisations=[prov_of.get(x) for x in wide_svcs],
            figures={"pairs": r.pairs, "area_wide_services": r.area_wide_services,
                     "area_wide_pairs": r.area_wide_pairs, "identical_groups": r.identical_groups,
                     "shared_funder_pairs": r.shared_funder_pairs})
    for r in a.identical_areas.itertuples(index=False):
        places = [nm(x) for x in r.areas]
        where = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
        svcs = [nm(x) for x in r.services]
        add("identical_areas", [r.category, r.group], f"{_and(svcs)} ({nm(r.category)}, {r.providers} providers) "
            f"all serve {where}" + (f" ({_n(r.population)} people)" if r.population is not None else "")
            + ("; they share a funder." if r.shared_funder_pairs else "; with different funders."),
            category=r.category, services=list(r.services), organisations=[prov_of.get(x) for x in r.services],
            figures={"pairs": r.pairs, "providers": r.providers, "population": r.population,
                     "shared_funder_pairs": r.shared_funder_pairs})
    for r in a.overlaps.itertuples(index=False):
        funders = "different funders" if r.different_funders else "a shared funder"
        add("overlap", [r.category, r.service_a, r.service_b],
            f"{nm(r.service_a)} ({nm(r.provider_a)}) and {nm(r.service_b)} ({nm(r.provider_b)}) overlap "
            f"{_pct(r.overlap)} in {nm(r.category)}, with {funders}.", category=r.category,
            organisations=[r.provider_a, r.provider_b],
            services=[r.service_a, r.service_b], figures={"overlap": r.overlap,
                                                          "different_funders": bool(r.different_funders),
                                                          "shared_places": r.shared_places})
    for r in a.funding_dependency[a.funding_dependency["dependent"].astype(bool)].itertuples(index=False):
        in_cur = "" if r.currency == DEFAULT_CURRENCY else f" in {r.currency}"
        add("funding_dependency", [r.provider] + ([r.currency] if in_cur else []),
            f"{nm(r.provider)} gets {_pct(r.top_share)} of its active funding{in_cur} from {nm(r.top_funder)}.",
            organisations=[r.provider, r.top_funder],
            figures={"top_share": r.top_share, "hhi": r.hhi, "funders": r.funders, "amount": r.amount,
                     "currency": r.currency})
    for r in a.funding_cliffs.itertuples(index=False):
        add("funding_cliff", [r.funding], f"Funding {r.funding} from {nm(r.funder)} to {nm(r.recipient)} "
            f"({fmt_money(r.amount, r.currency)}) ends on {r.end.isoformat()} with nothing after it.",
            organisations=[r.funder, r.recipient], services=r.services,
            figures={"amount": r.amount, "currency": r.currency, "end": r.end, "funding": r.funding})
    for r in a.sole_providers.itertuples(index=False):
        key = (r.place, r.category)
        add("sole_provider", list(key), f"{nm(r.provider)} is the only provider of {nm(r.category)} in {nm(r.place)}.",
            place=r.place, category=r.category, organisations=[r.provider], services=cell_svcs.get(key, []),
            figures={"demand": r.demand, "supply": r.supply})
    for r in a.critical_providers[a.critical_providers["unmet_added"] > 0].itertuples(index=False):
        add("critical_provider", [r.provider], f"If {nm(r.provider)} left, unmet need would rise by "
            f"{_n(r.unmet_added)} people a year ({r.unserved_added} cell(s) left unserved).",
            organisations=[r.provider], figures={"unmet_added": r.unmet_added, "unserved_added": r.unserved_added,
                                                 "cells": r.cells})
    for o in a.articulation_points:
        add("articulation_point", [o], f"{nm(o)} holds the partnership network together: without it, it splits.",
            organisations=[o])
    for x, y in a.bridges:
        add("bridge", [x, y], f"The partnership between {nm(x)} and {nm(y)} is the only link between two parts of the "
            f"network.", organisations=[x, y])
    k = a.concentration
    for r in k[k["concentrated"].astype(bool)].itertuples(index=False):
        add("concentration", [r.place, r.category], f"{nm(r.category)} in {nm(r.place)} is concentrated "
            f"(HHI {r.hhi:,.0f}); {nm(r.top_provider)} has {_pct(r.top_share)} of supply.", place=r.place,
            category=r.category, organisations=[r.top_provider],
            figures={"hhi": r.hhi, "providers": r.providers, "top_share": r.top_share, "supply": r.supply})
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _listed(items: list[str], limit: int | None) -> str:
    if limit is None or len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def duplication_lines(tables: dict[str, pd.DataFrame], category: str, *, name=None, full: bool = True,
                      groups: int = 8, services: int = 12) -> list[str]:
    """One category's duplication summary as lines of text (see :func:`~ecosystem.analysis.duplication.category_digest`).

    ``name(kind, code)`` gives display names (kinds ``services``,
    ``organisations``, ``places``, ``categories``); ``full=False`` shortens
    the lists of names for an overview of many categories.

    Examples
    --------
    >>> from ecosystem.examples import riverside
    >>> from ecosystem.analysis import analyse
    >>> from ecosystem.analysis.duplication import summary_tables
    >>> a = analyse(riverside(), place="LA1", as_of="2025-01-01")
    >>> print("\\n".join(duplication_lines(summary_tables(a), "MH")))
    MH: 1 overlapping pair among 2 services from 2 providers (1 with a shared funder)
      1 provider runs 1 MH service that covers all of LA1; 1 other MH service lies inside it: S3
    """
    from ecosystem.analysis.duplication import category_digest

    nm = name or (lambda kind, code: str(code))
    d = category_digest(tables, category, groups=groups if full else 2, services=services if full else 3)
    s = d["summary"]
    cat = nm("categories", category)
    limit = None if full else 5

    def svc(r_service, r_provider=None) -> str:
        return nm("services", r_service) + (f" ({nm('organisations', r_provider)})" if r_provider else "")

    pairs = int(s["pairs"])
    out = [f"{cat}: {pairs:,} overlapping pair{'s' if pairs != 1 else ''} among {int(s['services']):,} services "
           f"from {int(s['providers']):,} providers ({int(s['shared_funder_pairs']):,} with a shared funder)"]
    for w in d["area_wide"]:
        n, p, inside = len(w["services"]), int(w["providers"]), int(w["inside"])
        names = [svc(x) for x in w["services"]]
        out.append(f"  {p} provider{'s run' if p != 1 else ' runs'} {n} {cat} service{'s' if n != 1 else ''} that "
                   f"{'each cover' if n != 1 else 'covers'} all of {nm('places', w['area'])}; {inside:,} other {cat} "
                   f"service{'s lie' if inside != 1 else ' lies'} inside {'them' if n != 1 else 'it'}: "
                   + _listed(names, limit))
    if d["groups"]:
        n_groups = len(d["groups"]) + d["more_groups"]
        out.append(f"  Identical areas: {n_groups:,} group{'s' if n_groups != 1 else ''} of services serving exactly "
                   f"the same places ({int(s['identical_pairs']):,} pair{'s' if s['identical_pairs'] != 1 else ''})")
        for g in d["groups"]:
            places = [nm("places", x) for x in g['areas']]
            people = f" ({_n(g['population'])} people)" if g.get("population") is not None else ""
            funders = "a shared funder" if g["shared_funder_pairs"] else "different funders"
            out.append(f"    {_and([svc(x) for x in g['services']])} all serve "
                       f"{_listed(places, 3)}{people}; {funders}")
        if d["more_groups"]:
            out.append(f"    … and {d['more_groups']:,} more group{'s' if d['more_groups'] != 1 else ''}")
    if d["services"]:
        bits = []
        for r in d["services"]:
            people = (f"{_n(r['shared_population'])} people shared" if r.get("shared_population") is not None
                      else f"{r['shared_places']} places shared")
            bits.append(f"{svc(r['service'], r['provider'])}: overlaps {int(r['overlaps']):,}, "
                        f"{int(r['shared_funders']):,} with a shared funder, {people}")
        if full:
            out.append("  Overlapping most besides: " + bits[0])
            out += ["    " + b for b in bits[1:]]
        else:
            out.append("  Overlapping most besides: " + "; ".join(bits))
    return out


def duplication_text(analysis: Analysis, *, names: dict[str, str] | None = None, top: int = 10) -> list[str]:
    """The overlapping-services part of :func:`summary_text`: the summary of the ``top`` categories, then where the pairs are."""
    from ecosystem.analysis.duplication import summary_tables

    o, summ = analysis.overlaps, analysis.overlap_summary
    head = f"Overlapping services (≥ 50% of the smaller area): {len(o):,} pair(s)"
    if not len(o):
        return [head + ": none"]
    names = names or {}

    def nm(kind: str, code: Any) -> str:
        return names.get(code, str(code))

    tables = summary_tables(analysis)
    out = [head + f" in {len(summ):,} categor{'ies' if len(summ) != 1 else 'y'}; the services behind them:"]
    for k in list(summ["category"])[:top]:
        out += ["  " + line for line in duplication_lines(tables, k, name=nm, full=False)]
    if len(summ) > top:
        out.append(f"  … and {len(summ) - top} more categories")
    out.append("  Every pair: `ecomap analyse --json` (key `overlaps`), or the dashboard's Duplication page.")
    return out
