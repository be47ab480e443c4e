"""``ecomap db sources``, ``db unload``, ``db backup``, ``db restore``: what came from where, and taking it back."""

from __future__ import annotations


from ecosystem.cli import EXIT_OK, UsageError, _err, confirmed, open_store, print_json


def _when(iso) -> str:
    return str(iso or "")[:16].replace("T", " ")


def cmd_db_sources(args) -> int:
    from ecosystem.sources import list_sources

    with open_store() as store:
        sources = list_sources(store)
    if args.json:
        print_json(sources)
        return EXIT_OK
    if not sources:
        print("the store has no sources yet (load one with `ecomap load PATH`)")
        return EXIT_OK
    for s in sources:
        runs = f"{s['runs']} load{'s' if s['runs'] != 1 else ''}"
        print(f"{s['source']}  ({s['format'] or 'unknown format'}; {runs}; last {_when(s['last_loaded'])})")
        files = s["files"]
        if files:
            shown = ", ".join(files[:5]) + (f" … and {len(files) - 5} more" if len(files) > 5 else "")
            print(f"  files: {shown}")
        if s["tables"]:
            print("  rows:  " + ", ".join(f"{n} {t}" for t, n in s["tables"].items()))
        nodes = sum(s["nodes"].values())
        rels = sum(s["relationships"].values())
        print(f"  now:   {nodes} nodes, {rels} relationships "
              f"({s['only_nodes']} nodes and {s['only_relationships']} relationships from this source alone)")
    return EXIT_OK


def _describe(part: dict) -> str:
    bits = [f"{n} {k}" for k, n in sorted(part["nodes"].items())] + \
           [f"{n} {k}" for k, n in sorted(part["relationships"].items())]
    return ", ".join(bits) if bits else "nothing"


def cmd_db_unload(args) -> int:
    from ecosystem.sources import UnknownSource, UnloadBlocked, unload, unload_preview

    with open_store() as store:
        try:
            preview = unload_preview(store, args.source)
        except UnknownSource as e:
            raise UsageError(str(e)) from None
        if preview["blockers"]:
            raise UsageError(str(UnloadBlocked(args.source, preview["blockers"])))
        if not args.yes:
            _err(f"unloading {args.source!r} deletes {_describe(preview['delete'])} and "
                 f"{preview['runs']} load run(s); shared with other sources (kept): {_describe(preview['release'])}")
            if not confirmed(False, f"Take source {args.source!r} out of the store?", declined="nothing unloaded",
                             refusal=f"refusing to unload {args.source!r} without --yes (no terminal to ask)"):
                return EXIT_OK
        from ecosystem.pipeline import SourceBusy

        try:
            done = unload(store, args.source)
        except (UnloadBlocked, SourceBusy) as e:  # another load came in between, or is running
            raise UsageError(str(e)) from None
    if args.json:
        print_json(done)
    else:
        _err(f"unloaded source {args.source!r}: deleted {_describe(done['delete'])}; "
             f"kept (other sources have them): {_describe(done['release'])}")
    return EXIT_OK


def cmd_db_reset_password(args) -> int:
    import os

    from ecosystem import server

    if os.environ.get("NEO4J_URI"):
        raise UsageError("NEO4J_URI is set: reset a Neo4j server's password with Neo4j's own tools")
    home = server.default_home()
    if not (home / server.USERS_FILE).exists() and (home / server.PASSWORD_FILE).is_file():
        _err(f"the store at {home} has no users yet; nothing to reset")
        return EXIT_OK
    server.reset_password(home)
    with open_store() as store:
        n = sum(store.counts()["nodes"].values())
    _err(f"the store at {home} has a new password (kept in {home / server.PASSWORD_FILE}); {n:,} nodes are there")
    return EXIT_OK


def _embedded_only(what: str) -> None:
    import os

    if os.environ.get("NEO4J_URI"):
        raise UsageError(f"NEO4J_URI is set: `ecomap db {what}` is for the embedded store; back up Neo4j with "
                         "neo4j-admin (or move the data with `ecomap db copy`)")


def cmd_db_backup(args) -> int:
    from ecosystem import server

    _embedded_only("backup")
    try:
        path = server.backup(args.path)
    except server.BackupError as e:
        raise UsageError(str(e)) from None
    _err(f"backed up the store to {path} ({path.stat().st_size:,} bytes); `ecomap db restore {path}` brings it back")
    return EXIT_OK


def cmd_db_restore(args) -> int:
    from ecosystem import server

    _embedded_only("restore")
    try:
        server.check_backup(args.path)
    except server.BackupError as e:
        raise UsageError(str(e)) from None
    if not confirmed(args.yes, f"Replace everything in the store with the backup {args.path}?",
                     declined="nothing restored",
                     refusal=f"refusing to replace the store with {args.path} without --yes (no terminal to ask)"):
        return EXIT_OK
    try:
        server.restore(args.path)
    except server.BackupError as e:
        raise UsageError(str(e)) from None
    _forget_cache()
    with open_store() as store:
        n = sum(store.counts()["nodes"].values())
    _err(f"restored the store from {args.path}: {n:,} nodes")
    return EXIT_OK


def _forget_cache() -> None:
    from ecosystem.sources import _forget_cache as forget

    forget()


def register_db(dsp, _sub) -> None:
    b = _sub(dsp, "backup", cmd_db_backup, "write a consistent backup of the embedded store to a file (the "
             "dashboard can keep running)", "ecomap db backup ~/ecomap-2026-12-01.zip")
    b.add_argument("path", metavar="PATH", type=__import__("pathlib").Path)
    r = _sub(dsp, "restore", cmd_db_restore, "replace the embedded store with a backup, all or nothing (asks first "
             "unless --yes)", "ecomap db restore ~/ecomap-2026-12-01.zip --yes")
    r.add_argument("path", metavar="PATH", type=__import__("pathlib").Path)
    r.add_argument("--yes", action="store_true", help="do not ask")
    _sub(dsp, "reset-password", cmd_db_reset_password, "give the embedded store a new password when its password "
         "file was lost (stops and restarts the store; the data is kept)", "ecomap db reset-password")
    s = _sub(dsp, "sources", cmd_db_sources, "per source: its files, loads, rows per table and when it was loaded",
             "ecomap db sources")
    s.add_argument("--json", action="store_true")
    u = _sub(dsp, "unload", cmd_db_unload, "take one source back out of the store: exactly what it contributed, "
             "all or nothing (asks first unless --yes)", "ecomap db unload trafford-demo --yes")
    u.add_argument("source", metavar="SOURCE", help="a source name from `ecomap db sources`")
    u.add_argument("--yes", action="store_true", help="do not ask")
    u.add_argument("--json", action="store_true")
