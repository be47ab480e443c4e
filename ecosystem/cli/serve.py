"""``ecomap serve``: the dashboard (SPEC §6)."""

from __future__ import annotations

import os
import urllib.parse

from ecosystem.cli import EXIT_ERROR, UsageError, _err, parse_date_arg


def _check_port_free(host: str, port: int) -> None:
    """Fail before any URL is printed when the address is taken (or cannot be had)."""
    import socket

    if not 0 < port < 65536:
        raise UsageError(f"--port {port}: use a port from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UsageError(f"--host {host!r}: not an address of this machine ({e.strerror})") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind(addr)
        except OSError as e:
            raise UsageError(f"cannot serve on {host}:{port}: {e.strerror} (another `ecomap serve`? choose another "
                             "with --port)") from None


def cmd_serve(args) -> int:
    try:
        from dashboard.app import run_server
    except ModuleNotFoundError as e:  # pragma: no cover - a trimmed install
        _err(f"the dashboard is not installed ({e.name} is missing)")
        return EXIT_ERROR
    as_of = parse_date_arg(args.as_of).isoformat() if args.as_of else None  # UsageError (exit 2) when bad
    query = {k: v for k, v in (("place", args.place), ("as_of", as_of)) if v}
    token = args.token or os.environ.get("ECOMAP_TOKEN") or None
    if args.max_upload_mb is not None and args.max_upload_mb < 1:
        raise UsageError("--max-upload-mb must be at least 1")
    if args.public_url:
        parts = urllib.parse.urlsplit(args.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--public-url {args.public_url!r} is not an http(s) address such as "
                             "http://192.168.1.20:8050")
    _check_port_free(args.host, args.port)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        _err(f"serving on {args.host}: people on this network can reach port {args.port}; the dashboard asks for its "
             "login token (printed below) and workshop links open only their workshop")
    return run_server(host=args.host, port=args.port, query=query or None, public_url=args.public_url,
                      token=token, upload_mb=args.max_upload_mb) or 0


def register(sp, sub) -> None:
    s = sub(sp, "serve", cmd_serve, "open the dashboard (binds 127.0.0.1 unless told otherwise)",
            "ecomap serve --port 8050 --place E08000009 --as-of 2026-11-21")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8050)
    s.add_argument("--place", help="place code shown when a link names none")
    s.add_argument("--as-of", help="date shown when a link names none, YYYY-MM-DD (default: today)")
    s.add_argument("--public-url", help="the address people use to reach this dashboard, e.g. http://192.168.1.20:8050 "
                   "(used in workshop links; requests naming another host are refused)")
    s.add_argument("--token", help="the login token a dashboard bound beyond 127.0.0.1 asks for (default: "
                   "ECOMAP_TOKEN, else a new one, printed once)")
    s.add_argument("--max-upload-mb", type=int, help="largest file the data page accepts, in MB "
                   "(default: ECOMAP_MAX_UPLOAD_MB, else 50)")
