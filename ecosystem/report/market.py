"""The market position statement: what a place needs, who provides it, how it is paid for, what comes next.

``ecomap report --kind market-position`` writes a draft statement for the
providers of a place, one section per category of support: need now and
its trend, supply and gaps by ward, who provides (sectors, concentration),
the money (funding security per currency), funding that ends soon, what is
being procured, and the commissioning intentions recorded as workshop
actions. A methods section says how each figure was computed.

:func:`build_market` gathers the document (``market-position.json``) from
the application layer (:class:`~ecosystem.service.Ecomap`: the analysis and
its market tables, the trend series); :func:`sections` words it once for
HTML and Markdown; :func:`write_market` writes the folder (HTML, Markdown,
PDF through the gap report's writers). Only reads the store.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import pathlib
from typing import Any

import networkx as nx

from ecosystem import model as m
from ecosystem.analysis._tables import records
from ecosystem.report.build import (
    CLIFF_BANDS,
    Report,
    ReportError,
    _boundaries,
    _load_runs,
    _tool_version,
    _workshop,
    kept_outlook,
    place_names,
)
from ecosystem.report.content import Namer, Section, _table, money, people, pct

log = logging.getLogger(__name__)

KIND = "market-position"
#: the statement's files are named market-position.* so a gap report can share the folder
STEM = "market-position"
FORMATS = ("html", "md", "pdf")
DEFAULT_FORMATS = ("html", "md", "pdf")
#: bumped when market-position.json changes shape
FORMAT_VERSION = 1
#: the default trend: three years back to one year ahead, yearly
TREND_BACK, TREND_AHEAD, TREND_STEP = 36, 12, 12
CONCENTRATED_HHI = 2500.0

SECTOR_WORDS = {"vcse": "voluntary, community and social enterprise (VCSE)", "private": "private",
                "public": "public sector", "other": "other", "unknown": "sector not recorded"}
SECTOR_SHORT = {"vcse": "VCSE", "private": "Private", "public": "Public", "other": "Other",
                "unknown": "Not recorded"}
STATUS_WORDS = {"unserved": "no active service", "under": "under-served", "met": "met", "over": "over-supplied",
                "no_demand": "no recorded need"}
ACTION_ORDER = {"open": 0, "in progress": 1, "done": 2}


def default_dates(as_of: dt.date) -> list[dt.date]:
    """The trend's dates when none are given: yearly from three years before ``as_of`` to one year after."""
    return [m.add_months(as_of, k) for k in range(-TREND_BACK, TREND_AHEAD + 1, TREND_STEP)]


def _f(v: Any) -> float:
    return float(v) if v is not None else 0.0


def _category_codes(store) -> dict[str, str]:
    return {str(r["code"]): str(r["name"] or r["code"]) for r in store.records("list_categories")}


def _actions(store, scope_keys: set[str]) -> tuple[list[dict[str, Any]], str | None]:
    """The workshop actions that concern the place (not dropped), and a read error if any."""
    w = _workshop(store, scope_keys)
    acts = [a for a in w["actions"] if str(a.get("status") or "open") != "dropped"]
    acts.sort(key=lambda a: (ACTION_ORDER.get(str(a.get("status") or "open"), 3), str(a.get("due") or "9999"),
                             str(a.get("created") or ""), str(a.get("id"))))
    return acts, w["error"]


def _action_categories(a: dict[str, Any]) -> set[str]:
    return {str(c) for c in (a.get("categories") or [])} | set(a.get("concerns") or [])


def category_series(frames, dates: list[dt.date], *, place: str | None, categories: list[str],
                    oversupply: float = 1.5) -> dict[str, Any]:
    """:func:`ecosystem.analysis.market.series` for each of ``categories`` at once: ``{category: DataFrame}``.

    The same rows as ``series(frames, dates, place=place, category=c)`` for
    every ``c`` (a test holds them equal), but the tables of each date are
    prepared (on one :func:`~ecosystem.analysis._tables.prepare_base`) and
    its coverage computed once for all the categories instead of once per
    category: a statement for a local authority's 30–40
    categories would otherwise prepare them 30–40 times per date.
    """
    import pandas as pd

    from ecosystem.analysis import market as mkt
    from ecosystem.analysis._tables import DECIMALS, prepare, prepare_base
    from ecosystem.analysis.coverage import coverage_from, totals

    rows: dict[str, list[dict[str, Any]]] = {c: [] for c in categories}
    fixed = prepare_base(frames, place=place)  # what does not change with the date, as series() does
    for d in dates:
        ctx = prepare(frames, place=place, as_of=d, base=fixed)
        cov_all = coverage_from(ctx, oversupply=oversupply)
        contrib = ctx.contrib
        money_all = mkt._active_money(ctx)
        cov_by = dict(tuple(cov_all.groupby("category", sort=False)))
        contrib_by = dict(tuple(contrib.groupby("category", sort=False)))
        for cat in categories:
            cov = cov_by.get(cat, cov_all.iloc[0:0])
            c = contrib_by.get(cat, contrib.iloc[0:0])
            t = totals(cov)
            provs = c["provider"].drop_duplicates()
            counts = mkt._sector_of(ctx, provs).value_counts()
            base = {"as_of": d, "demand": t["demand"], "supply": t["supply"], "unmet": t["unmet"],
                    "unserved": t["unserved_cells"],
                    **{f"providers_{s}": int(counts.get(s, 0)) for s in mkt.SECTORS}}
            f = money_all[money_all["recipient"].isin(set(provs))]
            if f.empty:
                rows[cat].append({**base, "currency": None, "funding": None, "short_term_share": float("nan"),
                                  "multi_year_share": float("nan")})
                continue
            sec = mkt._security_rows(f, ["currency"])
            rank = mkt._currency_rank(sec["currency"])
            sec = sec.assign(_cur=sec["currency"].map(rank)).sort_values("_cur", kind="stable")
            for cur, units, short, multi in zip(sec["currency"], sec["units"].tolist(), sec["short"].tolist(),
                                                sec["multi"].tolist()):
                rows[cat].append({**base, "currency": cur, "funding": m.units_money(int(units), cur),
                                  "short_term_share": round(short / units, DECIMALS) if units > 0 else float("nan"),
                                  "multi_year_share": round(multi / units, DECIMALS) if units > 0 else float("nan")})
    out = {}
    for cat, rs in rows.items():
        df = pd.DataFrame(rs, columns=mkt.SERIES_COLUMNS)
        for s in mkt.SECTORS:
            df[f"providers_{s}"] = df[f"providers_{s}"].astype(int)
        df["unserved"] = df["unserved"].astype(int)
        df["funding"] = df["funding"].astype(object)
        df["short_term_share"] = df["short_term_share"].astype(float)
        df["multi_year_share"] = df["multi_year_share"].astype(float)
        out[cat] = df
    return out


def build_market(app, place: str | None, as_of: dt.date, *, categories: list[str] | None = None,
                 dates: list[dt.date] | None = None, horizon: int = 6, oversupply: float = 1.5,
                 generated: dt.datetime | None = None) -> Report:
    """Build the market position statement of ``place`` on ``as_of``.

    Parameters
    ----------
    app : ecosystem.service.Ecomap
        The application layer over an open store; only read from.
    place : str or None
        Code of the place; ``None``: the store's only top-level place (refused when there are several).
    as_of : datetime.date
    categories : list of str, optional
        Category codes, in the order wanted; default every category with need or
        active provision in the place, by name.
    dates : list of date, optional
        The trend's dates (``as_of`` is always among them); default :func:`default_dates`.
    horizon, oversupply
        As for ``ecomap analyse`` (the cliff horizon of the pipeline; the outlook is 12 months).

    Returns
    -------
    Report
        ``doc`` keys: ``kind`` (``"market-position"``), ``format_version``,
        ``generated``, ``tool_version``, ``place``, ``place_name``, ``as_of``,
        ``options``, ``dates``, ``categories``, ``markets`` (one per category:
        ``category``, ``totals``, ``wards``, ``providers``, ``diversity``,
        ``concentration``, ``series``, ``money``, ``cliffs``, ``pipeline``,
        ``intentions``), ``funding_security`` and ``funding_currencies`` (the
        whole place), ``intentions`` (actions about the place and no
        category), ``other_pipeline`` (when no categories were chosen: the
        procurements ahead in a category with no need or provision here, or
        unclassified), ``leaves``, ``names``, ``data``, ``workshop_error``.
    """
    from ecosystem.pull import place_tree

    store = app.store
    latest = store.run("latest_load_run")
    if not len(latest) or not int(latest.iloc[0]["runs"] or 0):
        raise ReportError("the store holds no data: load some first (`ecomap load PATH` or `ecomap demo`)")
    tree = place_tree(store)
    if place is None:
        place = app.default_place()
        if place is None:
            roots = sorted(str(c) for c in tree if tree.out_degree(c) == 0)
            raise ReportError("a market position statement is for one place: give --place CODE (the store holds "
                              f"{len(roots)} top-level places: {', '.join(roots[:5])}"
                              + (" …" if len(roots) > 5 else "") + ")")
    elif place not in tree:
        raise ReportError(f"--place {place!r}: no such place in the store (see `ecomap query pull_places`)")
    known = _category_codes(store)
    chosen = bool(categories)
    if categories:
        bad = [c for c in categories if c not in known]
        if bad:
            raise ReportError(f"--category {bad[0]!r}: no such category in the store (see `ecomap query "
                              f"list_categories`)")
        categories = list(dict.fromkeys(categories))

    version = app.version()
    a = app.analysis(place, as_of, horizon=horizon, oversupply=oversupply, version=version)
    frames = app.frames(place, version=version)
    names = place_names(app, place, tree, frames, version)
    for code, name in known.items():
        names["categories"].setdefault(code, name)
    aj = a.to_json_dict()

    if not categories:
        present = {r["category"] for r in aj["coverage"] if _f(r["demand"]) > 0 or _f(r["supply"]) > 0
                   or (r.get("providers") or 0) > 0}
        categories = sorted(present, key=lambda c: (names["categories"].get(c, c).casefold(), c))

    dates = sorted(set(dates or default_dates(as_of)) | {as_of})
    leaves = sorted({str(c) for c in nx.ancestors(tree, place) if tree.in_degree(c) == 0} or {place}, key=str)
    outlook = kept_outlook(app, aj["funding_cliffs"], place, as_of, horizon, version=version)
    svc_cat: dict[str, set[str]] = {}
    for s, c in zip(frames.services["service"], frames.services["category"]):
        svc_cat.setdefault(str(s), set()).add(str(c))
    sectors = {str(o): str(s) for o, s in zip(frames.sectors["organisation"], frames.sectors["sector"])}

    prov = a.provision
    # the place, the places inside it (tree edges run child -> parent) and above it, its active services and providers
    scope_keys = ({place} | {str(c) for c in nx.ancestors(tree, place)} | {str(c) for c in nx.descendants(tree, place)}
                  | {str(s) for s in prov["service"].dropna()} | {str(p) for p in prov["provider"].dropna()})
    actions, workshop_error = _actions(store, scope_keys)

    trends = category_series(frames, dates, place=place, categories=categories, oversupply=oversupply)
    markets = []
    for cat in categories:
        cov = [r for r in aj["coverage"] if r["category"] == cat]
        wards = sorted([r for r in cov if _f(r["demand"]) > 0 or _f(r["supply"]) > 0 or (r.get("providers") or 0)],
                       key=lambda r: (-_f(r["unmet"]), names["places"].get(r["place"], r["place"]).casefold()))
        demand, supply = sum(_f(r["demand"]) for r in cov), sum(_f(r["supply"]) for r in cov)
        unmet = sum(_f(r["unmet"]) for r in cov)
        totals = {"demand": demand, "supply": supply, "unmet": unmet,
                  "coverage": (supply / demand) if demand > 0 else None,
                  "wards_with_need": sum(1 for r in cov if _f(r["demand"]) > 0),
                  "unserved": sum(1 for r in cov if r["status"] == "unserved"),
                  "under": sum(1 for r in cov if r["status"] == "under"),
                  "capacity_unknown": sum(1 for r in cov if r.get("capacity_unknown"))}
        p = prov[prov["category"] == cat]
        providers = []
        for pid, grp in p.groupby("provider", sort=False):
            providers.append({"provider": str(pid), "sector": sectors.get(str(pid), "unknown"),
                              "services": sorted({str(s) for s in grp["service"]}),
                              "supply": float(grp["supply"].fillna(0).sum()),
                              "capacity_known": bool(grp["capacity_known"].all())})
        for r in providers:
            r["share"] = (r["supply"] / supply) if supply > 0 else None
        providers.sort(key=lambda r: (-r["supply"], names["organisations"].get(r["provider"], r["provider"]).casefold()))
        series = records(trends[cat])
        money_now = [r for r in series if r["as_of"] == as_of.isoformat()]
        cat_services = {s for s, cs in svc_cat.items() if cat in cs}
        cliffs = [r for r in outlook if set(r.get("services") or []) & cat_services]
        markets.append({
            "category": cat, "totals": totals, "wards": wards, "providers": providers,
            "diversity": [r for r in aj["diversity"] if r["place"] == place and r["category"] == cat],
            "concentration": next((r for r in aj["concentration"] if r["place"] == place and r["category"] == cat),
                                  None),
            "series": series, "money": money_now, "cliffs": cliffs,
            "pipeline": [r for r in aj["pipeline"] if r["category"] == cat],
            "intentions": [x for x in actions if cat in _action_categories(x)],
        })
    all_known = set(known)
    general = [x for x in actions if not (_action_categories(x) & all_known)]

    runs, sources = _load_runs(store)
    generated = generated or dt.datetime.now(dt.timezone.utc)
    doc = {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "generated": generated.isoformat(timespec="seconds"),
        "tool_version": _tool_version(),
        "place": place,
        "place_name": names["places"].get(place) or place,
        "as_of": as_of.isoformat(),
        "options": {"horizon": int(horizon), "oversupply": float(oversupply), "cliff_bands": list(CLIFF_BANDS),
                    "concentrated_hhi": CONCENTRATED_HHI, "short_term_months": 12, "multi_year_months": 36},
        "dates": [d.isoformat() for d in dates],
        "categories": categories,
        "markets": markets,
        "funding_security": aj["funding_security"],
        "funding_currencies": aj["funding_currencies"],
        "unplaced": aj.get("unplaced"),
        "intentions": general,
        # with every category: the procurements ahead in none of the statement's categories (unclassified ones too)
        "other_pipeline": [] if chosen else [r for r in aj["pipeline"] if r["category"] not in set(categories)],
        "leaves": leaves,
        "names": names,
        "data": {"store": store.kind, "location": store.location, "version": version, "sources": sources,
                 "load_runs": runs},
        "workshop_error": workshop_error,
    }
    return Report(doc=doc, boundaries=_boundaries(store, leaves))


# ---------------------------------------------------------------- words
def title(doc: dict[str, Any]) -> str:
    return f"Market position statement (draft): {doc['place_name']}"


def subtitle(doc: dict[str, Any]) -> str:
    return f"{doc['place_name']} ({doc['place']}) · as of {doc['as_of']} · generated {doc['generated']}"


def _long_date(iso: str) -> str:
    d = dt.date.fromisoformat(str(iso)[:10])
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _amount_total(rows: list[dict[str, Any]], key: str = "amount") -> dict[str, decimal.Decimal]:
    by: dict[str, decimal.Decimal] = {}
    for r in rows:
        if r.get(key) is not None:
            c = r.get("currency") or m.DEFAULT_CURRENCY
            by[c] = by.get(c, decimal.Decimal(0)) + m.money(r[key])
    return by


def _money_text(by: dict[str, decimal.Decimal]) -> str:
    from ecosystem.money import fmt_totals, order_currencies

    return fmt_totals([(c, by[c]) for c in order_currencies(by)])


def _trend_rows(mk: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per date (the people figures repeat on each currency's row)."""
    seen: dict[str, dict[str, Any]] = {}
    for r in mk["series"]:
        seen.setdefault(r["as_of"], r)
    return [seen[d] for d in sorted(seen)]


def whole(v: Any) -> str:
    """People in running text: a whole number (the tables keep one decimal)."""
    return f"{round(_f(v)):,}"


def _change_words(before: float, after: float) -> str:
    if abs(after - before) < 0.5:
        return f"stayed at about {whole(after)}"
    way = "rose" if after > before else "fell"
    return f"{way} from {whole(before)} to {whole(after)}"


def need_blocks(doc: dict[str, Any], mk: dict[str, Any], n: Namer, idx: int) -> list[tuple[str, Any]]:
    t = mk["totals"]
    cat = n("categories", mk["category"])
    where = doc["place_name"]
    if t["demand"] > 0:
        lead = (f"About {whole(t['demand'])} people a year in {where} need {cat.lower()}. Active services can "
                f"support about {whole(t['supply'])} ({pct(t['coverage'])} of need)"
                + (f"; in the areas where need is greater than supply, about {whole(t['unmet'])} people a year are "
                   f"left without a place." if t["unmet"] >= 0.5 else ", and every area's need is met."))
    else:
        lead = (f"No need for {cat.lower()} is recorded in {where}; active services can support about "
                f"{whole(t['supply'])} people a year.")
    blocks: list[tuple[str, Any]] = [("p", lead)]
    rows = _trend_rows(mk)
    now = doc["as_of"]
    past = [r for r in rows if r["as_of"] < now]
    future = [r for r in rows if r["as_of"] > now]
    cur = next((r for r in rows if r["as_of"] == now), None)
    words = []
    if past and cur:
        first = past[0]
        words.append(f"Since {_long_date(first['as_of'])} recorded need {_change_words(_f(first['demand']), _f(cur['demand']))} "
                     f"and supply {_change_words(_f(first['supply']), _f(cur['supply']))} people a year.")
    if future and cur:
        last = future[-1]
        words.append(f"On the services and end dates known today, supply on {_long_date(last['as_of'])} would be "
                     f"about {whole(last['supply'])} and unmet need {whole(last['unmet'])} people a year.")
    if words:
        blocks.append(("p", " ".join(words)))
    blocks.append(("figure", f"trend-{idx}"))
    blocks.append(("table", _table(
        ["Date", "Need", "Supply", "Unmet", "Areas with no service"],
        [[r["as_of"], people(r["demand"]), people(r["supply"]), people(r["unmet"]), str(r.get("unserved") or 0)]
         for r in rows], numeric=(1, 2, 3, 4), nowrap=(0,), empty="No trend could be computed.")))
    return blocks


def ward_blocks(doc: dict[str, Any], mk: dict[str, Any], n: Namer, idx: int) -> list[tuple[str, Any]]:
    t = mk["totals"]
    k, u = t["wards_with_need"], t["under"]
    under = (f"{u} {'is' if u == 1 else 'are'} under-served (supply below need)" if u else "none is under-served")
    if not k:
        lead = "No area has recorded need."
    elif t["unserved"]:
        lead = (f"{t['unserved']} of the {k} areas with recorded need {'has' if t['unserved'] == 1 else 'have'} no "
                f"active service, and of the others {under}.")
    else:
        lead = f"Every one of the {k} areas with recorded need has an active service; {under}."
    if t["capacity_unknown"]:
        lead += (f" In {t['capacity_unknown']} area(s) a service's capacity is not recorded, so supply there is "
                 f"understated.")
    rows = [[n.cell("places", r["place"]), people(r["demand"]), people(r["supply"]), people(r["unmet"]),
             pct(r["coverage"]), STATUS_WORDS.get(r["status"], str(r["status"])), str(r.get("providers") or 0)]
            for r in mk["wards"]]
    return [("p", lead), ("figure", f"map-{idx}"),
            ("table", _table(["Area", "Need", "Supply", "Unmet", "Coverage", "Status", "Providers"], rows,
                             numeric=(1, 2, 3, 4, 6), empty="No need or provision recorded in any area."))]


def provider_blocks(doc: dict[str, Any], mk: dict[str, Any], n: Namer, idx: int) -> list[tuple[str, Any]]:
    provs = mk["providers"]
    services = {s for r in provs for s in r["services"]}
    if not provs:
        return [("p", "No provider runs an active service here.")]
    by_share = [r for r in mk["diversity"] if r.get("share") is not None]
    parts = [f"{SECTOR_WORDS.get(r['sector'], r['sector'])} {pct(r['share'])} ({r['providers']} provider"
             f"{'' if r['providers'] == 1 else 's'})" for r in sorted(by_share, key=lambda r: -_f(r["share"]))]
    counts = [f"{SECTOR_WORDS.get(r['sector'], r['sector'])}: {r['providers']}" for r in mk["diversity"]]
    lead = f"{len(provs)} provider{'' if len(provs) == 1 else 's'} run{'s' if len(provs) == 1 else ''} " \
           f"{len(services)} active service{'' if len(services) == 1 else 's'}. "
    lead += ("By share of supply: " + "; ".join(parts) + "." if parts else
             "Their capacity is not recorded, so shares of supply cannot be given. Providers by sector: "
             + "; ".join(counts) + ".")
    blocks: list[tuple[str, Any]] = [("p", lead)]
    c = mk["concentration"]
    if c and c.get("hhi") is not None:
        top = n("organisations", c.get("top_provider"))
        scale = (f"(HHI {_f(c['hhi']):,.0f} on a scale of 0 to 10,000, where above "
                 f"{doc['options']['concentrated_hhi']:,.0f} counts as concentrated)")
        if c.get("concentrated"):
            blocks.append(("p", f"The market is concentrated: a few providers give most of the supply {scale}. "
                                f"The largest, {top}, gives {pct(c.get('top_share'))}."))
        else:
            blocks.append(("p", f"The market is not concentrated: supply is spread across providers {scale}. "
                                f"The largest, {top}, gives {pct(c.get('top_share'))}."))
    blocks.append(("figure", f"sectors-{idx}"))
    blocks.append(("table", _table(
        ["Provider", "Sector", "Active services", "Supply", "Share of supply"],
        [[n.cell("organisations", r["provider"]), SECTOR_SHORT.get(r["sector"], r["sector"]),
          n.many("services", r["services"]), people(r["supply"]) + ("" if r["capacity_known"] else " (capacity not "
                                                                                                "recorded)"),
          pct(r["share"])] for r in provs], numeric=(3, 4))))
    return blocks


def money_blocks(doc: dict[str, Any], mk: dict[str, Any], n: Namer) -> list[tuple[str, Any]]:
    rows = [r for r in mk["money"] if r.get("funding") is not None and _f(r.get("funding")) > 0]
    if not rows:
        return [("p", "No active funding is recorded for this kind of support.")]
    parts = []
    for r in rows:
        parts.append(f"{money(r['funding'], r.get('currency'))} in active funding: {pct(r.get('short_term_share'))} "
                     f"of it in awards of 12 months or less and {pct(r.get('multi_year_share'))} in awards of three "
                     f"years or more (or with no end date)")
    return [("p", "The providers of this support receive " + "; and ".join(parts) + ". That is for all their work "
                  "here, not only this support."),
            ("table", _table(["Currency", "Active funding", "Short-term share", "Multi-year share"],
                             [[str(r.get("currency") or m.DEFAULT_CURRENCY), money(r["funding"], r.get("currency")),
                               pct(r.get("short_term_share")), pct(r.get("multi_year_share"))] for r in rows],
                             numeric=(1, 2, 3)))]


def cliff_blocks(doc: dict[str, Any], mk: dict[str, Any], n: Namer) -> list[tuple[str, Any]]:
    rows = mk["cliffs"]
    if not rows:
        return [("p", "No funding for these services ends in the next 12 months without a renewal.")]
    lead = (f"{len(rows)} award{'' if len(rows) == 1 else 's'} ending in the next 12 months with nothing after "
            f"{'it' if len(rows) == 1 else 'them'} ({_money_text(_amount_total(rows))}).")
    return [("p", lead), ("table", _table(
        ["Ends", "Funder", "Provider", "Amount", "Services at risk"],
        [[r["end"], n.cell("organisations", r["funder"]), n.cell("organisations", r["recipient"]),
          money(r["amount"], r.get("currency")), n.many("services", r.get("services") or [])] for r in rows],
        numeric=(3,), nowrap=(0,)))]


def _gap_words(gaps: list[dict[str, Any]], n: Namer, k: int = 3) -> str:
    if not gaps:
        return "–"
    words = [f"{n('places', g['place'])} ({STATUS_WORDS.get(g['status'], g['status'])}, {whole(g.get('unmet'))} "
             f"unmet)" for g in gaps[:k]]
    more = f" and {len(gaps) - k} more" if len(gaps) > k else ""
    return "; ".join(words) + more


def pipeline_blocks(doc: dict[str, Any], mk: dict[str, Any], n: Namer, *, cliffs: dict[str, dict[str, Any]]
                    ) -> list[tuple[str, Any]]:
    rows = mk["pipeline"]
    if not rows:
        return [("p", f"No procurement for this kind of support is recorded as starting after {doc['as_of']}.")]
    lead = (f"{len(rows)} procurement{'' if len(rows) == 1 else 's'} expected to start after {doc['as_of']}"
            + (f", worth {_money_text(_amount_total(rows, 'value'))} where a value is given" if any(
                r.get("value") is not None for r in rows) else "") + ".")

    def cliff_words(ids: list[str]) -> str:
        if not ids:
            return "–"
        return "; ".join(f"{n('organisations', cliffs[i]['recipient'])} ({money(cliffs[i]['amount'], cliffs[i].get('currency'))}, "
                         f"ends {cliffs[i]['end']})" if i in cliffs else i for i in ids)

    return [("p", lead), ("table", _table(
        ["Procurement", "Buyer", "Stage", "Starts", "Ends", "Value", "Where", "Gaps it may answer",
         "Funding cliffs it may answer"],
        [[str(r.get("title") or r["procurement"]), n.cell("organisations", r.get("buyer")),
          str(r.get("stage") or "–"), str(r.get("start") or "–"), str(r.get("end") or "–"),
          money(r.get("value"), r.get("currency")),
          n.many("places", r.get("places") or []) if r.get("places") else f"all of {doc['place_name']}",
          _gap_words(r.get("gaps") or [], n), cliff_words(r.get("cliffs") or [])] for r in rows],
        numeric=(5,), nowrap=(3, 4)))]


def _action_table(rows: list[dict[str, Any]], n: Namer, empty: str):
    return _table(["Intention", "Owner", "Due", "Status", "Workshop"],
                  [[str(r.get("text") or r.get("id")), str(r.get("owner") or "–"), str(r.get("due") or "–"),
                    str(r.get("status") or "open"), str(r.get("workshop") or "–")] for r in rows],
                  nowrap=(2,), empty=empty)


def market_section(doc: dict[str, Any], mk: dict[str, Any], n: Namer, idx: int,
                   cliffs: dict[str, dict[str, Any]]) -> Section:
    cat = n("categories", mk["category"])
    blocks: list[tuple[str, Any]] = []
    blocks += [("h", "Need now and its trend"), *need_blocks(doc, mk, n, idx)]
    blocks += [("h", "Supply and gaps by area"), *ward_blocks(doc, mk, n, idx)]
    blocks += [("h", "Who provides"), *provider_blocks(doc, mk, n, idx)]
    blocks += [("h", "How the money flows, and how secure it is"), *money_blocks(doc, mk, n)]
    blocks += [("h", "What ends soon"), *cliff_blocks(doc, mk, n)]
    blocks += [("h", "What is being procured"), *pipeline_blocks(doc, mk, n, cliffs=cliffs)]
    blocks += [("h", "Commissioning intentions"),
               ("table", _action_table(mk["intentions"], n, "No commissioning intentions are recorded for this "
                                                            "kind of support yet."))]
    return Section(f"market-{idx}", cat, blocks)


def summary_section(doc: dict[str, Any], n: Namer) -> Section:
    where = doc["place_name"]
    intro = (f"This draft market position statement sets out, for providers and would-be providers, what "
             f"{where} needs and how it is met as of {_long_date(doc['as_of'])}: for each kind of support, how "
             f"many people need it and how that is changing, what is provided now, where the gaps are, who "
             f"provides it, how it is paid for and how secure that money is, what funding ends soon, what is "
             f"about to be bought, and what commissioners intend to do.")
    rows = []
    for mk in doc["markets"]:
        t = mk["totals"]
        top = max((r for r in mk["diversity"] if r.get("share") is not None), key=lambda r: _f(r["share"]),
                  default=None)
        c = mk["concentration"]
        rows.append([n.cell("categories", mk["category"]), people(t["demand"]), people(t["supply"]),
                     people(t["unmet"]), str(len(mk["providers"])),
                     f"{SECTOR_SHORT.get(top['sector'], top['sector'])} {pct(top['share'])}" if top else "–",
                     ("yes" if c.get("concentrated") else "no") if c else "–", str(len(mk["pipeline"]))])
    return Section("summary", "About this statement", [
        ("p", intro),
        ("p", "It is made by ecomap from the data loaded into it (see Methods and data at the end) and is a draft: "
              "check the figures and add the commissioners' own words before publishing it."),
        ("h", "At a glance"),
        ("table", _table(["Kind of support", "Need", "Supply", "Unmet", "Providers", "Largest sector by supply",
                          "Concentrated", "Procurements ahead"], rows, numeric=(1, 2, 3, 4, 7),
                         empty="No need or provision is recorded in this place for the categories asked."))])


def place_money_section(doc: dict[str, Any], n: Namer) -> Section:
    rows = doc["funding_security"]
    totals = [r for r in rows if r.get("funder") is None]
    funders = [r for r in rows if r.get("funder") is not None]
    words = []
    for r in totals:
        words.append(f"{money(r['amount'], r.get('currency'))} in {r.get('flows')} active award(s): "
                     f"{pct(r.get('short_term_share'))} of it short-term (12 months or less) and "
                     f"{pct(r.get('multi_year_share'))} multi-year (three years or more, or no end date)")
    lead = (f"Active funding to organisations in {doc['place_name']}: " + "; ".join(words) + "."
            if words else f"No active funding to organisations in {doc['place_name']} is recorded.")
    blocks: list[tuple[str, Any]] = [("p", lead)]
    if len(totals) > 1:
        blocks.append(("p", "The amounts are in more than one currency; each is given on its own and none is "
                            "converted."))
    blocks.append(("table", _table(
        ["Funder", "Currency", "Active funding", "Awards", "Short-term share", "Multi-year share"],
        [[n.cell("organisations", r["funder"]), str(r.get("currency") or m.DEFAULT_CURRENCY),
          money(r["amount"], r.get("currency")), str(r.get("flows")), pct(r.get("short_term_share")),
          pct(r.get("multi_year_share"))] for r in funders], numeric=(2, 3, 4, 5),
        empty="No funder.")))
    return Section("money", "How the money flows across the place", blocks)


def other_pipeline_section(doc: dict[str, Any], n: Namer) -> Section | None:
    rows = doc.get("other_pipeline") or []
    if not rows:
        return None
    blocks: list[tuple[str, Any]] = [
        ("p", f"Procurements expected to start after {doc['as_of']} for the place whose kind of support has no "
              f"recorded need or provision here, so no section above covers them.")]
    if any(r["category"] == "unclassified" for r in rows):
        blocks.append(("p", "'Unclassified' ones come from contracts data whose CPV codes the category map does not "
                            "map yet; map them with `ecomap categories map` and load again to place them under a "
                            "kind of support."))
    blocks.append(("table", _table(
        ["Procurement", "Kind of support", "Buyer", "Stage", "Expected start", "Value", "Where"],
        [[str(r.get("title") or r["procurement"]), n.cell("categories", r["category"]),
          n.cell("organisations", r.get("buyer")), str(r.get("stage") or "–"), str(r.get("start") or "–"),
          money(r.get("value"), r.get("currency")),
          n.many("places", r.get("places") or []) if r.get("places") else f"all of {doc['place_name']}"]
         for r in rows], numeric=(5,), nowrap=(4,))))
    return Section("other-procurements", "Other procurements ahead", blocks)


def intentions_section(doc: dict[str, Any], n: Namer) -> Section:
    blocks: list[tuple[str, Any]] = []
    if doc.get("workshop_error"):
        blocks.append(("p", f"Workshop records could not be read: {doc['workshop_error']}"))
    blocks.append(("p", "Actions recorded in partnership-board workshops about this place that name no particular "
                        "kind of support."))
    blocks.append(("table", _action_table(doc["intentions"], n, "None recorded.")))
    return Section("intentions", "Commissioning intentions for the whole place", blocks)


def methods_section(doc: dict[str, Any], n: Namer) -> Section:
    o = doc["options"]
    data = doc["data"]
    dates = doc["dates"]
    items = [
        f"Date: the statement is as of {doc['as_of']}. A service or award is active on a date when it has started "
        f"and not ended (a missing date counts as open). An award published without an end date is given an assumed "
        f"length (12 months unless the load said otherwise); only a blank end in the template means open-ended.",
        f"Areas: {doc['place_name']} is split into its {len(doc['leaves'])} smallest areas (wards or similar); need "
        f"given for a larger area is spread over its areas by population.",
        "Need: people a year in need, as loaded (the needs table or a needs file), added over the areas.",
        "Supply: the yearly capacity of each active service, spread over the areas it serves by population "
        "(equally when an area has no population). A service with no recorded capacity counts as present but adds "
        "nothing.",
        "Unmet need: in each area, need minus supply when need is larger, else 0; added over the areas, so a "
        "surplus in one area does not hide a gap in another. Coverage is supply divided by need.",
        f"Status of an area: no active service (need but no service), under-served (coverage below 100%), met, or "
        f"over-supplied (coverage at or above {pct(o['oversupply'])}).",
        f"Trend: the same figures computed for each date in {dates[0]} to {dates[-1]} ({len(dates)} dates) from "
        f"the one set of data loaded now; dates after {doc['as_of']} use the services and awards known today with "
        f"their end dates, so they show what ends, not what will replace it.",
        "Who provides: the providers of active services serving the place; a provider's share is its part of the "
        "supply. Sectors (VCSE, private, public, other) are as recorded for each organisation; from contracts data "
        "a supplier's SME or VCSE flag fills the sector where none is given; 'not recorded' otherwise.",
        f"Concentration: the Herfindahl–Hirschman index (HHI) of providers' shares of supply, 0 to 10,000; "
        f"concentrated above {o['concentrated_hhi']:,.0f}.",
        f"Money: active awards (grants, contracts, agreements) to the organisations of the place, added exactly "
        f"per currency and never converted. Short-term: awards lasting {o['short_term_months']} months or less; "
        f"multi-year: awards lasting {o['multi_year_months']} months or more, or with no end date. Shares are of "
        f"the amount. The place's organisations: those with a service serving it, based in it, or receiving an "
        f"award for it. For each kind of support: every active award to the providers with an active service of "
        f"that kind here, so a provider working in several kinds counts in each.",
        f"What ends soon: active awards ending within 12 months of {doc['as_of']} with no later award from the same "
        f"funder to the same provider (for the same service when the award names one); the services at risk are "
        f"the named service, else all the provider's active services.",
        "What is being procured: planned and open procurements expected to start after the statement's date, "
        "from the template's procurements table or contracts data (OCDS planning and tender notices), each with "
        "the areas of its kind of support that are under-served or have no service within its places (or the "
        "whole place when it names none), and the funding cliffs of its buyer for that kind of support.",
        "Commissioning intentions: actions recorded in partnership-board workshops (not dropped) that concern "
        "this place, a place inside or above it, or a provider or service active here; listed under a kind of "
        "support when they concern it, otherwise under the whole place.",
    ]
    src = _table(["Source", "Format", "Loaded (UTC)", "Load run"],
                 [[str(s["source"]), str(s.get("format") or ""), str(s.get("finished") or ""), str(s["run"])]
                  for s in data["sources"]], empty="No load runs recorded.")
    return Section("methods", "Methods and data", [
        ("p", "How each figure in this statement was computed."), ("list", items),
        ("h", "Sources (latest load of each)"), ("table", src),
        ("p", f"Store: {data['store']}; data version {data['version']}; ecomap {doc.get('tool_version')}; "
              f"statement format {doc['format_version']}; generated {doc['generated']}.")])


def sections(doc: dict[str, Any]) -> list[Section]:
    """Every section of the statement in reading order."""
    n = Namer(doc["names"])
    cliffs = {r["funding"]: r for mk in doc["markets"] for r in mk["cliffs"]}
    out = [summary_section(doc, n), place_money_section(doc, n)]
    out += [market_section(doc, mk, n, i, cliffs) for i, mk in enumerate(doc["markets"])]
    other = other_pipeline_section(doc, n)
    out += ([other] if other else []) + [intentions_section(doc, n), methods_section(doc, n)]
    return out


# ---------------------------------------------------------------- figures and files
def figures(report: Report) -> dict[str, str]:
    """Inline SVG per market: the trend (need, supply, unmet), a map of unmet need, supply shares by sector."""
    from ecosystem.report import figures as fig

    doc = report.doc
    n = Namer(doc["names"])
    out: dict[str, str] = {}
    for i, mk in enumerate(doc["markets"]):
        cat = n("categories", mk["category"])
        rows = _trend_rows(mk)
        labels = [r["as_of"] for r in rows]
        marker = labels.index(doc["as_of"]) if doc["as_of"] in labels else None
        chart = fig.line_chart(labels, [("Need", [r["demand"] for r in rows]), ("Supply", [r["supply"] for r in rows]),
                                        ("Unmet", [r["unmet"] for r in rows])],
                               label=f"Need, supply and unmet need over time: {cat}", value_format=people,
                               marker=marker)
        if chart:
            out[f"trend-{i}"] = (f"<figure>{chart}<figcaption>People a year on each date; the dashed line marks "
                                 f"{doc['as_of']}.</figcaption></figure>")
        if report.boundaries:
            values = {r["place"]: _f(r["unmet"]) for r in mk["wards"] if _f(r["demand"]) > 0}
            svg = fig.choropleth(report.boundaries, values, doc["names"]["places"],
                                 label=f"Map of unmet need by area: {cat}")
            if svg:
                out[f"map-{i}"] = (f"<figure>{svg}<figcaption>Unmet need for {_esc(cat.lower())} (people a year) in "
                                   f"each area; darker is more. Hover an area for its figure.</figcaption></figure>")
        shares = [(SECTOR_SHORT.get(r["sector"], r["sector"]), _f(r["share"]),
                   f"{SECTOR_WORDS.get(r['sector'], r['sector'])}: {pct(r['share'])} of supply, {r['providers']} "
                   f"provider(s)") for r in mk["diversity"] if r.get("share") is not None]
        bars = fig.bar_chart(shares, label=f"Share of supply by provider sector: {cat}", value_format=pct,
                             colour="#1f5f8b")
        if bars:
            out[f"sectors-{i}"] = f"<figure>{bars}<figcaption>Share of supply by provider sector.</figcaption></figure>"
    return out


def _esc(s: str) -> str:
    from html import escape

    return escape(s, quote=True)


def render_html(report: Report) -> str:
    """The statement as one self-contained HTML document (inline CSS and SVG, nothing fetched)."""
    from ecosystem.report.html import page

    doc = report.doc
    return page(title(doc), subtitle(doc), sections(doc), figures(report),
                tab_title=f"{title(doc)} ({doc['as_of']})",
                footer=f"Made by ecomap {doc.get('tool_version')} from data version {doc['data']['version']}. "
                       f"A draft for commissioners to check and edit. People figures are people a year.")


def render_md(report: Report) -> str:
    """The statement as Markdown: the same sections and numbers as the HTML, without the charts."""
    from ecosystem.report.markdown import document

    doc = report.doc
    return document(title(doc), subtitle(doc), sections(doc), f"_Maps and charts are in {STEM}.html._")


def write_market(report: Report, out: str | pathlib.Path, formats: tuple[str, ...] = DEFAULT_FORMATS
                 ) -> dict[str, Any]:
    """Write ``market-position.{html,md,pdf}`` (as asked) and ``market-position.json`` into ``out``.

    Returns ``{"files": [paths], "pdf_error": str or None}``; a PDF that
    cannot be made does not stop the other files. Each file is replaced
    atomically; the JSON is written last.
    """
    from ecosystem.report.write import write_documents

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown statement format(s): {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return write_documents(report, out, formats, stem=STEM, allowed=FORMATS, render_html=render_html,
                           render_md=render_md)
