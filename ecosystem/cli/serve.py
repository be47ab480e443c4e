"""``ecomap serve``: the dashboard (SPEC §6)."""

from __future__ import annotations

from ecosystem.cli import EXIT_ERROR, _err, parse_date_arg


def cmd_serve(args) -> int:
    try:
        from dashboard.app import run_server
    except ModuleNotFoundError as e:  # pragma: no cover - a trimmed install
        _err(f"the dashboard is not installed ({e.name} is missing)")
        return EXIT_ERROR
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        _err(f"warning: serving on {args.host}: anyone who can reach this machine on port {args.port} can see and "
             "change the data")
    as_of = parse_date_arg(args.as_of).isoformat() if args.as_of else None  # UsageError (exit 2) when bad
    query = {k: v for k, v in (("place", args.place), ("as_of", as_of)) if v}
    return run_server(host=args.host, port=args.port, query=query or None) or 0


def register(sp, sub) -> None:
    s = sub(sp, "serve", cmd_serve, "open the dashboard (binds 127.0.0.1 unless told otherwise)",
            "ecomap serve --port 8050 --place E08000009 --as-of 2026-11-21")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8050)
    s.add_argument("--place", help="place code shown when a link names none")
    s.add_argument("--as-of", help="date shown when a link names none, YYYY-MM-DD (default: today)")
