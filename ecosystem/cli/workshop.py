"""``ecomap workshop new|list|export|links``: partnership-board workshops and their record."""

from __future__ import annotations

import pathlib
import sys

from ecosystem.cli import EXIT_OK, UsageError, _err, open_store, parse_date_arg, print_json

DEFAULT_URL = "http://127.0.0.1:8050"


def _url(args) -> str:
    """The dashboard address for links: ``--url``, else the running dashboard's own, else the default."""
    if args.url:
        return args.url
    from ecosystem import workshop as ws
    from ecosystem.server import default_home

    found = ws.dashboard_url(default_home())
    if found:
        return found
    _err(f"no dashboard is running for this store, so the links assume {DEFAULT_URL}; for a meeting start "
         "`ecomap serve --host 0.0.0.0` first, or pass --url")
    return DEFAULT_URL


def _links_out(links, url: str) -> dict:
    w = links.workshop
    return {**w.to_dict(), "presenter_link": links.presenter_link(url), "board_link": links.board_link(url),
            "presenter_token": links.presenter_token, "board_token": links.board_token}


def _print_links(out: dict, verb: str) -> None:
    print(f"{verb} workshop {out['name']!r} (id {out['id']}) for {out['place_name']} ({out['place']}), "
          f"figures as of {out['as_of']}")
    print(f"presenter link (keep it to yourself; it can change everything): {out['presenter_link']}")
    print(f"board link (share with board members; they can view, vote and add notes): {out['board_link']}")
    _err("the links are shown only now: the store keeps only a hash of each token "
         "(`ecomap workshop links NAME` makes new ones)")


def cmd_new(args) -> int:
    from ecosystem import workshop as ws

    as_of = parse_date_arg(args.as_of) if args.as_of else None
    with open_store() as store:
        try:
            links = ws.create(store, args.name, args.place, as_of=as_of, votes_per_member=args.votes)
        except ws.WorkshopError as e:
            raise UsageError(str(e)) from None
    out = _links_out(links, _url(args))
    if args.json:
        print_json(out)
    else:
        _print_links(out, "created")
    return EXIT_OK


def _find(store, name: str):
    """The workshop named or numbered ``name``; a usage error (exit 2) when there is none."""
    from ecosystem import workshop as ws

    try:
        return ws.find(store, name)
    except ws.NotFound as e:
        raise UsageError(str(e.args[0])) from None


def cmd_links(args) -> int:
    from ecosystem import workshop as ws

    with open_store() as store:
        w = _find(store, args.name)
        links = ws.new_links(store, w.id)
    out = _links_out(links, _url(args))
    if args.json:
        print_json(out)
    else:
        _print_links(out, "new links for")
    _err("the old links no longer work")
    return EXIT_OK


def cmd_list(args) -> int:
    from ecosystem import workshop as ws

    with open_store() as store:
        rows = ws.list_workshops(store)
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        _err("no workshops yet; make one with `ecomap workshop new NAME --place CODE`")
        return EXIT_OK
    print(f"{'id':<28} {'place':<12} {'as of':<10}  {'created':<16}  notes votes actions  name")
    for r in rows:
        print(f"{r['id']:<28} {r['place']:<12} {r['as_of']:<10}  {r['created'][:16].replace('T', ' '):<16}  "
              f"{r['notes']:>5} {r['votes']:>5} {r['actions']:>7}  {r['name']}")
    return EXIT_OK


def cmd_export(args) -> int:
    from ecosystem import workshop as ws

    with open_store() as store:
        w = _find(store, args.name)
        rec = ws.record(store, w.id)
    text = ws.export(rec, args.format)
    if args.out and args.out != "-":
        path = pathlib.Path(args.out)
        if path.is_dir():
            path = path / f"workshop-{w.id}.{args.format}"
        path.write_text(text, encoding="utf-8", newline="")
        _err(f"wrote {path}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def register(sp, sub) -> None:
    w = sub(sp, "workshop", lambda a: (w.print_help(sys.stderr), 2)[1],
            "partnership-board workshops: make one, list them, export the record",
            "ecomap workshop new \"Board May 2026\" --place E08000009")
    wsp = w.add_subparsers(dest="workshop_command", metavar="ACTION")
    n = sub(wsp, "new", cmd_new, "create a workshop for a place and print its presenter and board links",
            "ecomap workshop new \"Board May 2026\" --place E08000009 --as-of 2026-11-21 --votes 5")
    n.add_argument("name", help="workshop name (its id is made from it: lower case, words joined by -)")
    n.add_argument("--place", required=True, help="code of the place the board will walk through")
    n.add_argument("--as-of", help="date of the figures shown, YYYY-MM-DD (default: today)")
    n.add_argument("--votes", type=int, default=5, help="dot-votes each board member has (default 5)")
    n.add_argument("--url", help="the dashboard's address, for the links (default: the running dashboard's, "
                   f"else {DEFAULT_URL})")
    n.add_argument("--json", action="store_true")
    ln = sub(wsp, "links", cmd_links, "make new presenter and board links for a workshop (the old ones stop working)",
             "ecomap workshop links board-may-2026")
    ln.add_argument("name", help="workshop name or id")
    ln.add_argument("--url", help=f"the dashboard's address (default: the running dashboard's, else {DEFAULT_URL})")
    ln.add_argument("--json", action="store_true")
    ls = sub(wsp, "list", cmd_list, "list workshops with their counts of notes, votes and actions",
             "ecomap workshop list --json")
    ls.add_argument("--json", action="store_true")
    e = sub(wsp, "export", cmd_export, "write a workshop's record: notes, votes, actions and the views shown "
                                       "(Markdown reads as meeting minutes)",
            "ecomap workshop export board-may-2026 --format md --out minutes.md")
    e.add_argument("name", help="workshop name or id")
    e.add_argument("--format", choices=("json", "md", "csv"), default="md")
    e.add_argument("--out", default="-", help="file or folder to write (default: stdout)")
