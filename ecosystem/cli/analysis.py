"""``ecomap analyse`` and ``ecomap scenario``."""

from __future__ import annotations

import pathlib

from ecosystem.cli import EXIT_OK, FIRST_DAY, LAST_DAY, UsageError, _err, check_horizon, check_place, open_store, \
    parse_date_arg, print_json
from ecosystem.money import fmt as fmt_money


def _add_common(p) -> None:
    p.add_argument("--place", help="code of the place to analyse (default: every place)")
    p.add_argument("--as-of", help="date the analysis is for, YYYY-MM-DD (default: today)")
    p.add_argument("--horizon", type=int, default=6, help="months ahead in which an ending flow is a cliff")
    p.add_argument("--oversupply", type=float, default=1.5, help="coverage at or above which a cell is 'over'")
    p.add_argument("--dependency-threshold", type=float, default=0.5,
                   help="top-funder share at or above which a provider is dependent")
    p.add_argument("--json", action="store_true", help="print the SPEC §6 JSON object")


def parse_series_arg(text: str) -> list:
    """``--series FROM:TO:STEP`` as its dates; a bad string is a usage error naming the bad part."""
    from ecosystem.analysis.market import parse_series

    try:
        dates = parse_series(text)
    except ValueError as e:
        raise UsageError(f"--series {text!r}: {e}") from None
    if dates[0] < FIRST_DAY or dates[-1] > LAST_DAY:
        raise UsageError(f"--series {text!r}: use dates from {FIRST_DAY} to {LAST_DAY}")
    return dates


def check_category(store, category: str | None) -> None:
    """Raise a usage error (exit 2) when ``--category`` names no category in the store."""
    if category is None:
        return
    known = set(store.run("list_categories")["code"])
    if category not in known:
        raise UsageError(f"--category {category!r}: no such category in the store (see `ecomap query list_categories`)")


def cmd_series(args) -> int:
    from ecosystem.analysis._tables import records
    from ecosystem.service import Ecomap, default_cache_dir

    for flag, given in (("--as-of", args.as_of), ("--write-back", args.write_back), ("--no-pairs", args.no_pairs)):
        if given:
            raise UsageError(f"--series and {flag} do not go together: a series gives its own dates")
    dates = parse_series_arg(args.series)
    check_horizon(args.horizon)
    with open_store() as store:
        app = Ecomap(store, cache_dir=default_cache_dir())
        check_place(app.store, args.place)
        check_category(app.store, args.category)
        s = app.series(args.place, dates, category=args.category, horizon=args.horizon, oversupply=args.oversupply)
        names = app.names() if not args.json and not args.codes else {}
    if args.json:
        print_json({"place": args.place, "category": args.category, "series": records(s)})
    else:
        print(series_text(s, place=args.place, category=args.category, names=names))
    return EXIT_OK


def _pct(v) -> str:
    return "–" if v is None or v != v else f"{100 * v:.0f}%"


def series_text(s, *, place: str | None = None, category: str | None = None,
                names: dict[str, str] | None = None) -> str:
    """The series as a table for people: names first, the code in brackets."""
    names = names or {}

    def nm(x) -> str:
        n = names.get(x) if isinstance(x, str) else None
        return f"{n} ({x})" if n and n != x else str(x)

    head = "Headline figures " + (f"for {nm(place)}" if place else "for every place")
    if category:
        head += f", {nm(category)} only"
    cols = ["as of", "need", "unmet", "unserved", "VCSE", "private", "public", "other", "unknown", "funding",
            "short-term", "multi-year"]
    rows = []
    for r in s.itertuples(index=False):
        rows.append([r.as_of.isoformat(), f"{r.demand:,.0f}", f"{r.unmet:,.0f}", f"{r.unserved:,}",
                     *(f"{getattr(r, 'providers_' + k):,}" for k in ("vcse", "private", "public", "other", "unknown")),
                     fmt_money(r.funding, r.currency) if r.currency else "–", _pct(r.short_term_share),
                     _pct(r.multi_year_share)])
    widths = [max(len(c), *(len(x[i]) for x in rows)) if rows else len(c) for i, c in enumerate(cols)]
    line = lambda xs: "  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(xs, widths)))
    out = [head, "need, unmet: people a year · unserved: cells (place and category) with need and no service · "
                 "VCSE … unknown: providers by sector",
           "funding: active funding, and its shares lasting 12 months or less (short-term) and 36 months or more "
           "or open-ended (multi-year)", line(cols)]
    out += [line(x) for x in rows]
    return "\n".join(out)


def cmd_analyse(args) -> int:
    from ecosystem import analysis as an
    from ecosystem.service import Ecomap, default_cache_dir

    if args.series is not None:
        return cmd_series(args)
    if args.category is not None:
        raise UsageError("--category works with --series (the trend of one category)")
    as_of = parse_date_arg(args.as_of)
    check_horizon(args.horizon)
    with open_store() as store:
        app = Ecomap(store, cache_dir=default_cache_dir())
        check_place(app.store, args.place)
        a = app.analysis(args.place, as_of, horizon=args.horizon, oversupply=args.oversupply,
                         dependency_threshold=args.dependency_threshold)
        if args.write_back:
            n = app.write_findings(a)
            _err(f"wrote {n} findings to the store (label Finding, linked by CONCERNS)")
        names = app.names() if not args.json and not args.codes else None
    if args.json:
        write_json_stdout(a, pairs=not args.no_pairs)
    else:
        print(an.summary_text(a, top=args.top, names=names))
    return EXIT_OK


def write_json_stdout(a, **kw) -> None:
    """Stream the analysis's (or scenario's) JSON object to stdout (bytes, straight from the tables)."""
    import sys

    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # a text-only stdout (an embedding program's): decode as we go
        class _Text:
            def write(self, b: bytes) -> None:
                sys.stdout.write(b.decode("utf-8"))

        a.write_json(_Text(), **kw)
        sys.stdout.flush()
        return
    a.write_json(out, **kw)
    out.flush()


def _read_services(path: str):
    from loaders.template import load

    p = pathlib.Path(path)
    if not p.exists():
        raise UsageError(f"--add-service {path}: no such file")
    tables = load(p)
    services = tables["services"]
    if not len(services):
        raise UsageError(f"--add-service {path}: no services in it (a services.csv with template columns)")
    return services.drop(columns=[c for c in ("_file", "_sheet", "_row") if c in services.columns])


def cmd_scenario(args) -> int:
    from ecosystem import analysis as an
    from ecosystem.service import Ecomap, default_cache_dir

    with open_store() as store:
        app = Ecomap(store, cache_dir=default_cache_dir())
        if args.list:
            rows = app.scenarios()
            if args.json:
                print_json(rows)
            else:
                for s in rows:
                    print(f"{s['id']:<30} {s['saved']}  unmet added {s['summary'].get('unmet_added')}")
                if not rows:
                    _err("no saved scenarios")
            return EXIT_OK
        if args.run:
            try:
                options = app.scenario_options(args.run)
            except KeyError:
                raise UsageError(f"--run {args.run!r}: no saved scenario with that id (see --list)") from None
        else:
            caps = {}
            for kv in args.capacity or []:
                sid, sep, v = kv.partition("=")
                if not sep:
                    raise UsageError(f"--capacity {kv!r}: use SERVICE_ID=PEOPLE")
                try:
                    caps[sid] = float(v) if v.strip() else None
                except ValueError:
                    raise UsageError(f"--capacity {kv!r}: {v!r} is not a number") from None
                if caps[sid] is not None and not 0 <= caps[sid] < float("inf"):  # as the dashboard's table refuses
                    raise UsageError(f"--capacity {kv!r}: a capacity is a number of people, 0 or more")
            added = _read_services(args.add_service) if args.add_service else None
            options = an.ScenarioOptions.make(
                as_of=parse_date_arg(args.as_of), remove_providers=args.remove_provider or (),
                remove_funders=args.remove_funder or (), remove_funding=args.remove_funding or (),
                add_services=added, capacity_changes=caps or None, place=args.place, horizon=args.horizon,
                oversupply=args.oversupply, dependency_threshold=args.dependency_threshold, name=args.save)
        check_place(app.store, options.place)
        check_horizon(options.horizon)
        if args.save:
            from ecosystem.service import scenario_id

            try:
                scenario_id(args.save)
            except ValueError as e:
                raise UsageError(f"--save {args.save!r}: {e}") from None
        try:  # the readable summary shows the difference alone: its two analyses are not made in full
            result = app.run_scenario(options) if args.json else app.scenario_diff(options)
        except an.ScenarioError as e:
            raise UsageError(str(e)) from None
        if args.save:
            sid = app.save_scenario(args.save, options)
            _err(f"saved scenario {args.save!r} as {sid}")
        names = {} if args.json else app.names()
    if args.json:
        write_json_stdout(result)
    else:
        print(scenario_text(result, names=names))
    return EXIT_OK


def _more(shown: int, total: int) -> list[str]:
    return [f"  … and {total - shown:,} more"] if total > shown else []


def scenario_text(result, *, names: dict[str, str] | None = None) -> str:
    """The scenario for people: names first, the code in brackets (``Old Trafford (E05000829)``)."""
    names = names or {}

    def nm(x) -> str:
        n = names.get(x) if isinstance(x, str) else None
        return f"{n} ({x})" if n and n != x else str(x)

    d = result.diff_dict()
    o = result.options
    lines = [f"Scenario at {o.as_of.isoformat()}" + (f" for {nm(o.place)}" if o.place else "")]
    changes = []
    for label, items in (("remove provider", o.remove_providers), ("remove funder", o.remove_funders),
                         ("remove funding", o.remove_funding)):
        changes += [f"{label} {nm(i)}" for i in items]
    changes += [f"add service {s.get('name') or s.get('id')}" for s in o.add_services]
    changes += [f"capacity of {nm(k)} -> {v}" for k, v in o.capacity_changes]
    lines.append("Changes: " + ("; ".join(changes) if changes else "none"))
    lines.append(f"Unmet need: {d['unmet_before']:,.1f} -> {d['unmet_after']:,.1f} people a year "
                 f"({d['unmet_added']:+,.1f})")
    for label, key in (("Services removed", "removed_services"), ("Services losing all their funding",
                                                                 "deactivated_services")):
        if d[key]:
            shown = d[key][:15]
            lines.append(f"{label}: " + "; ".join(nm(s) for s in shown)
                         + (f"; … and {len(d[key]) - len(shown):,} more" if len(d[key]) > len(shown) else ""))
    lines.append(f"Cells that became unserved: {len(d['became_unserved'])}")
    for r in d["became_unserved"][:15]:
        lines.append(f"  {nm(r['place'])} / {nm(r['category'])}: {r['demand']:,.1f} people in need")
    lines += _more(15, len(d["became_unserved"]))
    if d["unmet_by_category"]:
        lines.append("Unmet change by category:")
        for r in d["unmet_by_category"][:15]:
            lines.append(f"  {nm(r['category'])}: {r['unmet_before']:,.1f} -> {r['unmet_after']:,.1f} "
                         f"({r['change']:+,.1f})")
        lines += _more(15, len(d["unmet_by_category"]))
    lines.append(f"New funding cliffs: {len(d['new_cliffs'])}")
    for r in d["new_cliffs"][:10]:
        lines.append(f"  {nm(r['funding'])}: {nm(r['funder'])} -> {nm(r['recipient'])} "
                     f"{fmt_money(r['amount'], r.get('currency'))} ends {r['end']}")
    lines += _more(10, len(d["new_cliffs"]))
    return "\n".join(lines)


def register(sp, sub) -> None:
    a = sub(sp, "analyse", cmd_analyse, "coverage, duplication, fragility, concentration and market shaping for a place",
            "ecomap analyse --place E08000009 --as-of 2026-11-21 --json\n"
            "  ecomap analyse --place E08000009 --series 2022-04-01:2026-04-01:12m")
    _add_common(a)
    a.add_argument("--series", metavar="FROM:TO:STEP",
                   help="the headline figures (need, unmet, providers by sector, funding by security) at each date "
                        "from FROM to TO every STEP (Nd, Nm or Ny), e.g. 2022-04-01:2026-04-01:12m; at most 240 dates")
    a.add_argument("--category", metavar="CODE", help="with --series: one category's figures only")
    a.add_argument("--top", type=int, default=10, help="rows per section in the readable summary")
    a.add_argument("--no-pairs", action="store_true",
                   help="with --json, leave out `overlaps` (the list of overlapping pairs; the summary tables stay)")
    a.add_argument("--codes", action="store_true", help="show codes and ids instead of names in the summary")
    a.add_argument("--write-back", action="store_true",
                   help="write the findings to the store as Finding nodes (replacing this place's last ones)")
    s = sub(sp, "scenario", cmd_scenario, "what if providers, funders or flows went, or services were added",
            "ecomap scenario --remove-provider GB-DEMO-003 --place E08000009 --as-of 2026-11-21")
    _add_common(s)
    s.add_argument("--remove-provider", action="append", metavar="ID")
    s.add_argument("--remove-funder", action="append", metavar="ID")
    s.add_argument("--remove-funding", action="append", metavar="ID")
    s.add_argument("--add-service", metavar="FILE", help="a services.csv (template columns) of services to add")
    s.add_argument("--capacity", action="append", metavar="SERVICE=PEOPLE", help="change a service's capacity")
    s.add_argument("--save", metavar="NAME", help="save the scenario under this name")
    s.add_argument("--list", action="store_true", help="list saved scenarios")
    s.add_argument("--run", metavar="ID", help="re-run a saved scenario on today's data")
