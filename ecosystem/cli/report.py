"""``ecomap report``: the scheduled gap report (SPEC §6).

Unattended by design: no prompts, no browser, messages on stderr, and exit
codes a scheduler can act on — 0 written; 2 bad arguments or a previous
report that cannot be read; 3 a ``--fail-on`` condition met (the report is
still written); 1 anything else, including a PDF asked for that could not
be made (the other files are still written).
"""

from __future__ import annotations

import pathlib

from ecosystem.cli import EXIT_ERROR, EXIT_FAIL_ON, EXIT_OK, UsageError, _err, check_horizon, open_store, \
    parse_date_arg, print_json

EXAMPLE = ("ecomap report --place E08000009 --as-of 2026-11-21 --out reports/2026-11-21 "
           "--previous reports/2026-10-21 --fail-on new-unserved,new-cliff")


def _csv_choice(value: str | None, allowed, option: str) -> list[str]:
    if value is None:
        return []
    items = [v.strip().lower() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise UsageError(f"{option} {value!r}: unknown {', '.join(bad)}; choose from {', '.join(allowed)}")
    return list(dict.fromkeys(items))


def cmd_report(args) -> int:
    from ecosystem import report as rp
    from ecosystem.service import Ecomap, default_cache_dir

    formats = _csv_choice(args.format, rp.FORMATS, "--format")
    if not formats:
        raise UsageError("--format needs at least one of " + ", ".join(rp.FORMATS))
    fail_on = _csv_choice(args.fail_on, tuple(rp.FAIL_ON), "--fail-on")
    as_of = parse_date_arg(args.as_of)
    check_horizon(args.horizon)
    if args.unmet_threshold < 0:
        raise UsageError("--unmet-threshold must be 0 or more people a year")
    out = pathlib.Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
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
    p = sub(sp, "report", cmd_report, "write a gap report for a place, and what changed since the last one",
            EXAMPLE)
    p.add_argument("--place", help="code of the place (default: every place)")
    p.add_argument("--as-of", help="date the report is for, YYYY-MM-DD (default: today)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write (created if missing; files in it "
                                                               "are replaced)")
    p.add_argument("--format", default="html,md,csv", metavar="LIST",
                   help="comma-separated: html, md, csv, pdf (default html,md,csv); report.json is always written")
    p.add_argument("--previous", metavar="DIR", help="folder of an earlier report (its report.json) to compare with")
    p.add_argument("--allow-missing-previous", action="store_true",
                   help="if --previous has no report.json yet (the first scheduled run), write the report without "
                        "a change section instead of failing")
    p.add_argument("--fail-on", metavar="LIST",
                   help="exit 3 when any of these changed since --previous: new-unserved, new-cliff")
    p.add_argument("--unmet-threshold", type=float, default=10.0,
                   help="change in unmet people a year per place and category worth listing (default 10)")
    p.add_argument("--horizon", type=int, default=6, help="months ahead in which an ending flow is a cliff "
                                                          "(the new-cliff alert; the outlook always shows 3/6/12)")
    p.add_argument("--oversupply", type=float, default=1.5, help="coverage at or above which a cell is 'over'")
    p.add_argument("--dependency-threshold", type=float, default=0.5,
                   help="top-funder share at or above which a provider is dependent")
    p.add_argument("--json", action="store_true", help="print what was written (and the change counts) as JSON")
