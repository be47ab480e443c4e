"""``ecomap report``: the scheduled gap report, and the market position statement (SPEC §6).

Unattended by design: no prompts, no browser, messages on stderr, and exit
codes a scheduler can act on — 0 written; 2 bad arguments (an unknown
place, category or kind, an option that does not apply to the kind asked,
an ``--out`` that cannot be written) or a previous report that cannot be
read; 3 a ``--fail-on`` condition met (the report is still written); 1
anything else, including a PDF asked for that could not be made (the
other files are still written).
"""

from __future__ import annotations

import os
import pathlib

from ecosystem.cli import EXIT_ERROR, EXIT_FAIL_ON, EXIT_OK, UsageError, _err, check_horizon, open_store, \
    parse_date_arg, print_json

EXAMPLE = ("ecomap report --place E08000009 --as-of 2026-11-21 --out reports/2026-11-21 "
           "--previous reports/2026-10-21 --fail-on new-unserved,new-cliff\n"
           "  ecomap report --kind market-position --place E08000009 --category HEALTH OLDER --out mps")

KINDS = ("gap", "market-position")
#: options of one kind only (argparse destination, flag); their defaults are None so a given one is seen
GAP_ONLY = (("previous", "--previous"), ("allow_missing_previous", "--allow-missing-previous"),
            ("fail_on", "--fail-on"), ("unmet_threshold", "--unmet-threshold"),
            ("dependency_threshold", "--dependency-threshold"))
MARKET_ONLY = (("category", "--category"), ("series", "--series"))
GAP_DEFAULTS = {"unmet_threshold": 10.0, "dependency_threshold": 0.5}


def check_out(out: pathlib.Path) -> None:
    """Refuse (exit 2) an ``--out`` that is a file, lies under a file, or is in a folder that cannot be written."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    p = out
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir():
        raise UsageError(f"--out {out}: {p} is a file, not a folder")
    if not os.access(p, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: cannot write in {p} (permission denied)")


def _csv_choice(value: str | None, allowed, option: str) -> list[str]:
    if value is None:
        return []
    items = [v.strip().lower() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise UsageError(f"{option} {value!r}: unknown {', '.join(bad)}; choose from {', '.join(allowed)}")
    return list(dict.fromkeys(items))


def cmd_report(args) -> int:
    kind = (args.kind or "gap").strip().lower()
    if kind not in KINDS:
        raise UsageError(f"--kind {args.kind!r}: unknown; choose from {', '.join(KINDS)}")
    if kind == "market-position":
        return cmd_market_position(args)
    for dest, flag in MARKET_ONLY:
        if getattr(args, dest) is not None:
            raise UsageError(f"{flag} applies to --kind market-position only, not to the gap report")
    for dest, value in GAP_DEFAULTS.items():
        if getattr(args, dest) is None:
            setattr(args, dest, value)
    return cmd_gap_report(args)


def cmd_market_position(args) -> int:
    """``ecomap report --kind market-position``: the draft market position statement."""
    from ecosystem.report import market as mk
    from ecosystem.report.build import ReportError
    from ecosystem.service import Ecomap, default_cache_dir

    for dest, flag in GAP_ONLY:
        if getattr(args, dest) not in (None, False):
            raise UsageError(f"{flag} does not apply to --kind market-position (it is an option of the gap report)")
    formats = _csv_choice(args.format or ",".join(mk.DEFAULT_FORMATS), mk.FORMATS, "--format")
    if not formats:
        raise UsageError("--format needs at least one of " + ", ".join(mk.FORMATS))
    as_of = parse_date_arg(args.as_of)
    check_horizon(args.horizon)
    dates = None
    if args.series is not None:
        from ecosystem.analysis.market import parse_series

        try:
            dates = parse_series(args.series)
        except ValueError as e:
            raise UsageError(f"--series {args.series!r}: {e}") from None
    categories = [c.strip() for c in args.category or [] if c.strip()] or None
    if args.category is not None and not categories:
        raise UsageError("--category needs at least one category code")
    out = pathlib.Path(args.out)
    check_out(out)
    with open_store() as store:
        app = Ecomap(store, cache_dir=default_cache_dir())
        try:
            report = mk.build_market(app, args.place, as_of, categories=categories, dates=dates,
                                     horizon=args.horizon, oversupply=args.oversupply)
        except ReportError as e:
            raise UsageError(str(e)) from None
    result = mk.write_market(report, out, tuple(formats))
    doc = report.doc
    _err(f"wrote the market position statement for {doc['place_name']} as of {as_of.isoformat()} "
         f"({len(doc['markets'])} categor{'y' if len(doc['markets']) == 1 else 'ies'}) to {out} "
         f"({len(result['files'])} files)")
    if args.json:
        print_json({"out": str(out), "files": result["files"], "kind": mk.KIND, "place": doc["place"],
                    "as_of": as_of.isoformat(), "categories": doc["categories"], "pdf_error": result["pdf_error"]})
    if result["pdf_error"]:
        _err(f"ecomap: the PDF was not made: {result['pdf_error']}")
        return EXIT_ERROR
    return EXIT_OK


def cmd_gap_report(args) -> int:
    from ecosystem import report as rp
    from ecosystem.service import Ecomap, default_cache_dir

    formats = _csv_choice(args.format or "html,md,csv", rp.FORMATS, "--format")
    if not formats:
        raise UsageError("--format needs at least one of " + ", ".join(rp.FORMATS))
    fail_on = _csv_choice(args.fail_on, tuple(rp.FAIL_ON), "--fail-on")
    as_of = parse_date_arg(args.as_of)
    check_horizon(args.horizon)
    if args.unmet_threshold < 0:
        raise UsageError("--unmet-threshold must be 0 or more people a year")
    out = pathlib.Path(args.out)
    check_out(out)
    if fail_on and not args.previous:
        raise UsageError("--fail-on compares with an earlier report: give --previous DIR too")

    previous = None
    if args.previous:  # read before writing: --out may be the same folder
        prev = pathlib.Path(args.previous)
        prev_file = prev if prev.suffix == ".json" else prev / "report.json"
        if args.allow_missing_previous and not prev_file.exists():
            _err(f"no previous report at {prev_file}; writing the report without a change section"
                 + (" and without checking --fail-on" if fail_on else ""))
        else:
            try:
                previous = rp.read_previous(prev)
            except rp.ReportError as e:
                raise UsageError(str(e)) from None
        if previous is not None and previous.get("place") != args.place:
            raise UsageError(f"--previous {args.previous} is a report for {previous.get('place') or 'every place'}, "
                             f"not {args.place or 'every place'}; compare reports of the same place")

    with open_store() as store:
        app = Ecomap(store, cache_dir=default_cache_dir())
        try:
            report = rp.build(app, args.place, as_of, horizon=args.horizon, oversupply=args.oversupply,
                              dependency_threshold=args.dependency_threshold,
                              unmet_threshold=args.unmet_threshold)
        except rp.ReportError as e:
            raise UsageError(str(e)) from None
    changes = rp.attach_previous(report, previous, source=str(args.previous)) if previous is not None else None
    result = rp.write_report(report, out, tuple(formats))
    met = rp.failed_conditions(changes, fail_on)
    _err(f"wrote the gap report for {report.doc['place_name']} as of {as_of.isoformat()} to {out} "
         f"({len(result['files'])} files)")
    if changes is not None:
        from ecosystem.report.content import change_line

        _err(f"since {changes['previous']['as_of']}: {change_line(changes)}")
    if args.json:
        print_json({"out": str(out), "files": result["files"], "place": args.place, "as_of": as_of.isoformat(),
                    "pdf_error": result["pdf_error"], "fail_on_met": met,
                    "changes": None if changes is None else {
                        k: len(v) for k, v in changes.items() if isinstance(v, list)}})
    if met:
        _err("--fail-on met: " + ", ".join(met))
    if result["pdf_error"]:
        _err(f"ecomap: the PDF was not made: {result['pdf_error']}")
        return EXIT_ERROR
    return EXIT_FAIL_ON if met else EXIT_OK


def register(sp, sub) -> None:
    p = sub(sp, "report", cmd_report, "write a gap report for a place (and what changed since the last one), "
                                      "or a market position statement", EXAMPLE)
    p.add_argument("--kind", metavar="KIND", help="gap (default): the gap report; market-position: a draft market "
                                                  "position statement for providers")
    p.add_argument("--place", help="code of the place (default: every place; a market position statement needs the "
                                   "store's only top-level place or this)")
    p.add_argument("--as-of", help="date the report is for, YYYY-MM-DD (default: today)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write (created if missing; files in it "
                                                               "are replaced)")
    p.add_argument("--format", default=None, metavar="LIST",
                   help="comma-separated: html, md, csv, pdf (gap report, default html,md,csv; report.json is "
                        "always written); html, md, pdf (market position statement, default all three; "
                        "market-position.json is always written)")
    p.add_argument("--category", action="extend", nargs="+", metavar="CODE",
                   help="market position statement: the categories to cover, in this order (default: every "
                        "category with need or provision in the place)")
    p.add_argument("--series", metavar="FROM:TO:STEP",
                   help="market position statement: the trend's dates, e.g. 2022-04-01:2026-04-01:12m (default: "
                        "yearly from 3 years before --as-of to 1 year after)")
    p.add_argument("--previous", metavar="DIR", help="folder of an earlier report (its report.json) to compare with")
    p.add_argument("--allow-missing-previous", action="store_true", default=None,
                   help="if --previous has no report.json yet (the first scheduled run), write the report without "
                        "a change section instead of failing")
    p.add_argument("--fail-on", metavar="LIST",
                   help="exit 3 when any of these changed since --previous: new-unserved, new-cliff")
    p.add_argument("--unmet-threshold", type=float, default=None,
                   help="change in unmet people a year per place and category worth listing (default 10)")
    p.add_argument("--horizon", type=int, default=6, help="months ahead in which an ending flow is a cliff "
                                                          "(the new-cliff alert; the outlook always shows 3/6/12)")
    p.add_argument("--oversupply", type=float, default=1.5, help="coverage at or above which a cell is 'over'")
    p.add_argument("--dependency-threshold", type=float, default=None,
                   help="top-funder share at or above which a provider is dependent (default 0.5)")
    p.add_argument("--json", action="store_true", help="print what was written (and the change counts) as JSON")
