"""The ``ecomap`` command line (SPEC §6).

Exit codes: 0 ok; 2 bad input or usage; 3 a ``--fail-on`` condition met;
1 anything else. Machine-readable output goes to stdout with ``--json``;
messages and progress bars go to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import pathlib
import sys
import time
from typing import Any, Callable

from ecosystem import model as m

log = logging.getLogger("ecomap")

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_FAIL_ON = 0, 1, 2, 3


class UsageError(Exception):
    """Bad arguments: exit 2 with the message."""


# ---------------------------------------------------------------- helpers
def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _json_default(o: Any) -> Any:
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, set):
        return sorted(o)
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "to_native"):
        return o.to_native().isoformat()
    return str(o)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, default=_json_default, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def check_place(store, place: str | None) -> None:
    """Raise a usage error (exit 2) when ``--place`` names no place in the store."""
    if place is None:
        return
    from ecosystem.pull import place_tree

    if place not in place_tree(store):
        raise UsageError(f"--place {place!r}: no such place in the store (see `ecomap query pull_places`)")


#: the dates an analysis can be for (cliffs and terms are counted in months from it)
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
#: the longest cliff horizon, in months
MAX_HORIZON = 1200


def parse_date_arg(s: str | None) -> dt.date:
    if s is None:
        return dt.date.today()
    try:
        d = dt.date.fromisoformat(s)
    except ValueError:
        raise UsageError(f"--as-of {s!r} is not a date; use YYYY-MM-DD") from None
    if not FIRST_DAY <= d <= LAST_DAY:
        raise UsageError(f"--as-of {s}: use a date from {FIRST_DAY} to {LAST_DAY}")
    return d


def check_horizon(months: int) -> int:
    """``--horizon``: 0 to 1,200 months."""
    if not 0 <= months <= MAX_HORIZON:
        raise UsageError(f"--horizon {months}: use 0 to {MAX_HORIZON:,} months")
    return months


def open_store():
    from ecosystem.store import GraphStore

    return GraphStore.open()


def _progress_bar(total_hint: str):
    from tqdm import tqdm

    bar = {"bar": None}

    def update(done: int, total: int) -> None:
        if bar["bar"] is None:
            bar["bar"] = tqdm(total=total, unit="rows", desc=total_hint, file=sys.stderr, disable=None,
                              leave=False)
        b = bar["bar"]
        b.update(done - b.n)

    def close() -> None:
        if bar["bar"] is not None:
            bar["bar"].close()

    return update, close


# ---------------------------------------------------------------- commands
def _load_options(args) -> dict[str, Any]:
    """Loader options from the command line (and the user's category map when there is one)."""
    from ecosystem.server import default_home

    opts: dict[str, Any] = {}
    cmap = pathlib.Path(args.category_map) if args.category_map else default_home() / "category_map.csv"
    if args.category_map and not cmap.exists():
        raise UsageError(f"--category-map {cmap}: no such file (make one with `ecomap categories map`)")
    if cmap.exists():
        opts["category_map"] = cmap
    opts["assume_months"] = args.assume_months
    opts["strict"] = bool(getattr(args, "strict", False))
    as_table, mapping = getattr(args, "as_table", None), getattr(args, "map", None)
    if as_table or mapping:
        from loaders import mapped

        if not (as_table and mapping):
            raise UsageError("--as and --map go together, e.g. --as services --map \"name=Name,category=Type\"")
        if args.format not in ("auto", "template"):
            raise UsageError(f"--as services reads your own sheet; it cannot be combined with --format {args.format}")
        try:
            opts["mapping"] = mapped.parse_mapping(mapping)
        except ValueError as e:
            raise UsageError(str(e)) from None
        opts["as_table"] = as_table
    return opts


def _assume_months(text: str) -> int:
    """``--assume-months``: a whole number of months from 1 to 600 (argparse turns the error into exit 2)."""
    from loaders.parse import check_assume_months

    try:
        return check_assume_months(text)
    except ValueError:
        from loaders.parse import MAX_ASSUME_MONTHS

        raise argparse.ArgumentTypeError(
            f"{text!r} is not a length in months; give a whole number from 1 to {MAX_ASSUME_MONTHS}, "
            "e.g. --assume-months 12") from None


def cmd_load(args) -> int:
    from ecosystem import pipeline
    from ecosystem.store import StoreWriteError

    options = _load_options(args)
    store = None if args.dry_run and args.no_store else open_store()
    try:
        if args.dry_run:
            try:
                tables = pipeline.prepare(args.paths, fmt=args.format, store=store, options=options)
            except m.ValidationError as e:
                if args.json:
                    print_json({"tables": {}, "issues": [i.to_dict() for i in e.issues], "warnings": e.warnings,
                                "skipped": {}})
                else:
                    _err(e.summary())
                return EXIT_INPUT
            out = {"tables": tables.counts(), "issues": [], "warnings": tables.warnings, "skipped": tables.skipped,
                   "unusable": tables.unusable, "source": args.source or pipeline.default_source(args.paths)}
            if args.json:
                print_json(out)
            else:
                _err(f"dry run: {args.paths} would load " +
                     ", ".join(f"{n} {t}" for t, n in out["tables"].items() if n) + "; nothing was written")
                _warnings(pipeline.skipped_warnings(tables) + list(tables.warnings))
            return EXIT_OK
        update, close = _progress_bar("loading")
        try:
            result = pipeline.load(store, args.paths, fmt=args.format, source=args.source, progress=update,
                                   options=options)
        except m.ValidationError as e:
            close()
            if args.json:
                print_json({"status": "rejected", "issues": [i.to_dict() for i in e.issues], "warnings": e.warnings})
            _err(e.summary())
            return EXIT_INPUT
        except pipeline.SourceBusy as e:
            close()
            _err(f"ecomap: {e}")
            return EXIT_INPUT
        except StoreWriteError as e:  # a full disk: a failed load, never a success
            close()
            if args.json:
                print_json({"status": "failed", "error": str(e)})
            _err(f"the load failed: {e}")
            return EXIT_ERROR
        except Exception as e:
            close()
            _err(f"the load failed and was rolled back; the store is as it was before. Reason: {e}")
            return EXIT_ERROR
        close()
        if args.json:
            print_json(result)
        else:
            counts = ", ".join(f"{n} {t}" for t, n in result["counts"].items() if n)
            if result["status"] == "unchanged":
                _err(f"source {result['source']!r} is unchanged since its last load; nothing was written")
            else:
                _err(f"loaded source {result['source']!r} (run {result['run']}): {counts}")
                placed = result.get("placed") or {}
                if placed.get("postcode") or placed.get("register"):
                    _err(f"placed {placed.get('postcode', 0):,} organisation(s) by postcode and "
                         f"{placed.get('register', 0):,} public bod(y/ies) by org-id in the smallest loaded place")
            _warnings(pipeline.skipped_warnings(m.CanonicalTables({}, [], result.get("skipped") or {}))
                      + list(result.get("warnings", [])))
        if result["status"] == "loaded":
            from ecosystem.service import warm_in_background

            if warm_in_background() and not args.json:
                _err("preparing the dashboard's first view in the background (ECOMAP_WARM=off to skip)")
        return EXIT_OK
    finally:
        if store is not None:
            store.close()


def _warnings(warnings: list[str], limit: int = 20) -> None:
    for w in warnings[:limit]:
        _err(f"warning: {w}")
    if len(warnings) > limit:
        _err(f"… and {len(warnings) - limit} more warnings (all of them: --json)")


def cmd_template(args) -> int:
    from loaders.template import write_template

    files = write_template(pathlib.Path(args.dir))
    for f in files:
        _err(f"wrote {f}")
    return EXIT_OK


def cmd_generate(args) -> int:
    from ecosystem.generate import generate

    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: use a whole number, 0 or more")
    counts = generate(args.scale, args.seed, pathlib.Path(args.out))
    if args.json:
        print_json(counts)
    else:
        _err(f"wrote {args.out}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return EXIT_OK


def cmd_db_status(args) -> int:
    from ecosystem import server
    from ecosystem.store import GraphStore, StoreUnavailable
    import os

    try:
        store = GraphStore.open(start=not args.no_start)
    except StoreUnavailable as e:
        out = {"kind": "neo4j" if os.environ.get("NEO4J_URI") else "embedded", "running": False,
               "location": os.environ.get("NEO4J_URI") or str(server.default_home()), "error": str(e)}
        print_json(out) if args.json else _err(f"store not running: {e}")
        return EXIT_OK if args.no_start else EXIT_ERROR
    with store:
        counts = store.counts()
        out = {"kind": store.kind, "running": True, "location": store.location, "uri": store.uri,
               "database": store.database, **counts}
    if args.json:
        print_json(out)
    else:
        print(f"store: {out['kind']} at {out['location']} ({out['uri']}, database {out['database']})")
        print("nodes:")
        for k, v in out["nodes"].items():
            print(f"  {k:<14} {v:>10,}")
        print("relationships:")
        for k, v in out["relationships"].items():
            print(f"  {k:<14} {v:>10,}")
    return EXIT_OK


def cmd_db_stop(args) -> int:
    from ecosystem import server
    import os

    if os.environ.get("NEO4J_URI"):
        _err("NEO4J_URI is set: ecomap does not stop an external Neo4j server")
        return EXIT_OK
    stopped = server.stop()
    _err("stopped the embedded store" if stopped else "the embedded store was not running")
    return EXIT_OK


def confirmed(yes: bool, question: str, *, refusal: str, declined: str) -> bool:
    """True when ``--yes`` was given or the user types 'yes' to ``question``.

    With no terminal to ask, a usage error saying ``refusal``; a typed 'no' says ``declined``.
    """
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(refusal)
    if input(f"{question} Type 'yes': ").strip().lower() != "yes":
        _err(declined)
        return False
    return True


def cmd_db_wipe(args) -> int:
    if not confirmed(args.yes, "Delete everything in the store?", declined="nothing deleted",
                     refusal="refusing to wipe without --yes (no terminal to ask)"):
        return EXIT_OK
    with open_store() as store:
        store.wipe()
    _err("the store is empty")
    return EXIT_OK


def cmd_db_warm(args) -> int:
    import fcntl

    from ecosystem.service import Ecomap, default_cache_dir

    cache = default_cache_dir()
    if cache is None:
        raise UsageError("ECOMAP_CACHE is off: there is no cache to prepare")
    as_of = parse_date_arg(args.as_of) if args.as_of else None
    from ecosystem.service import DiskCache

    try:
        DiskCache(cache).ensure_root()
    except OSError as e:
        raise UsageError(f"cannot use the cache folder {cache}: {e}") from None
    with open(cache / "warm.lock", "w") as lock, open_store() as store:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one at a time: a later load's warm-up waits, then finds its version
        t = time.perf_counter()
        check_place(store, args.place)
        app = Ecomap(store, cache_dir=cache)
        place, day, also = app.prepare_view(args.place, as_of)
        if not args.quiet:
            _err(f"prepared the analysis of {place or 'every place'} on {day.isoformat()} and its trend"
                 + (f", and the analysis of {also}," if also else "")
                 + f" in {time.perf_counter() - t:.1f} s (cache: {cache})")
    return EXIT_OK


def cmd_db_export(args) -> int:
    from ecosystem.export import export

    with open_store() as store:
        text = export(store, args.format)
    if args.out and args.out != "-":
        pathlib.Path(args.out).write_text(text, encoding="utf-8")
        _err(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _copy_end(spec: str | None, user: str | None, password: str | None, database: str | None, password_env: str):
    """A store named on the command line: a Bolt URI, ``embedded`` (ECOMAP_HOME) or ``embedded:HOME``; None: the default."""
    import os

    from ecosystem.store import GraphStore

    if spec is None:
        return GraphStore.open()
    if spec == "embedded" or spec.startswith("embedded:"):
        home = spec.partition(":")[2]
        return GraphStore.open_embedded(pathlib.Path(home).expanduser() if home else None)
    if "://" not in spec:
        raise UsageError(f"{spec!r} is not a store: give a Bolt URI (bolt://…, neo4j://…, neo4j+s://…), "
                         "'embedded' or 'embedded:HOME'")
    pw = password if password is not None else os.environ.get(password_env, "")
    return GraphStore.connect(spec, user or "neo4j", pw, database)


def cmd_db_copy(args) -> int:
    from ecosystem import copy as cp

    if args.to is None and args.from_ is None:
        raise UsageError("say where to copy: --to URI (from the current store) and/or --from URI")
    with _copy_end(args.from_, args.from_user, args.from_password, args.from_database,
                   "ECOMAP_COPY_FROM_PASSWORD") as src, \
            _copy_end(args.to, args.user, args.password, args.database, "ECOMAP_COPY_PASSWORD") as dst:
        update, close = _progress_bar("copying")
        try:
            result = cp.copy(src, dst, replace=args.force, batch=args.batch, progress=update)
        except cp.CopyRefused as e:
            close()
            raise UsageError(str(e)) from None
        except cp.CopyFailed as e:
            close()
            _err(f"ecomap: the copy was rolled back; {dst.location} is as it was. Reason: {e}")
            return EXIT_ERROR
        close()
        out = {"from": src.location, "to": dst.location, **result.to_dict()}
    if args.json:
        print_json(out)
    else:
        nodes = ", ".join(f"{n:,} {lab}" for lab, n in result.nodes.items())
        rels = sum(result.relationships.values())
        _err(f"copied {nodes} and {rels:,} relationships from {src.location} to {dst.location} in "
             f"{result.seconds:.1f} s" + (f", replacing {result.replaced:,} nodes" if result.replaced else ""))
        _err(f"verified: counts per label and type and the content hash match (sha256 {result.digest[:16]}…)")
    return EXIT_OK


def _too_big(v: Any) -> bool:
    """Whether a JSON value holds a whole number outside the 64-bit range Bolt carries."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return not -2**63 <= v < 2**63
    if isinstance(v, list):
        return any(_too_big(x) for x in v)
    if isinstance(v, dict):
        return any(_too_big(x) for x in v.values())
    return False


def cmd_query(args) -> int:
    import queries

    if args.list or not args.name:
        for n in queries.names():
            q = queries.query(n)
            print(f"{n:<32} {q.purpose}")
        return EXIT_OK
    try:
        q = queries.query(args.name)
    except KeyError as e:
        raise UsageError(str(e.args[0])) from None
    params: dict[str, Any] = {}
    for kv in args.param or []:
        k, sep, v = kv.partition("=")
        if not sep or not k.strip():
            raise UsageError(f"--param {kv!r}: use NAME=VALUE")
        try:
            params[k] = json.loads(v)
        except ValueError:
            params[k] = v
        if _too_big(params[k]):  # the store's whole numbers are 64-bit
            raise UsageError(f"--param {kv!r}: a whole number there must be from -2^63 to 2^63-1")
    if "chunk" in q.params:
        params.setdefault("chunk", 10000)
        if isinstance(params["chunk"], bool) or not isinstance(params["chunk"], int) or params["chunk"] < 1:
            raise UsageError(f"--param chunk={params['chunk']!r}: chunk is a whole number of rows, at least 1")
    if q.name.startswith("pull_"):  # their $codes/$ids filters mean "everything" when null
        for p in ("codes", "ids"):
            if p in q.params:
                params.setdefault(p, None)
    try:
        q.check_params(params)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not q.read_only:
        raise UsageError(f"query {q.name} writes to the store; `ecomap query` runs read-only queries")
    if "token" in q.text.lower():
        raise UsageError(f"query {q.name} reads workshop credentials; use `ecomap workshop` instead")
    with open_store() as store:
        df = store.run(q.name, params)
    if args.json:
        print_json(df.to_dict("records"))
    else:
        print(df.to_string(index=False) if len(df) else "(no rows)")
    return EXIT_OK


def cmd_demo(args) -> int:
    from ecosystem import demo

    serve = not args.no_serve and demo.has_dashboard()
    if serve:
        demo.start_and_preload()
    with open_store() as store:
        summary = demo.ensure_loaded(store)
    if args.json:
        print_json(summary)
    else:
        print(demo.describe(summary))
    if serve:
        return demo.serve(args)
    return EXIT_OK


# ---------------------------------------------------------------- parser
class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _sub(sp, name: str, func: Callable, help: str, example: str, **kw) -> argparse.ArgumentParser:
    p = sp.add_parser(name, help=help, description=help,
                      epilog="example:\n  " + example, formatter_class=_Formatter, **kw)
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    import loaders

    p = argparse.ArgumentParser(
        prog="ecomap", formatter_class=_Formatter,
        description="Map a place's ecosystem of public services and find gaps, duplication and fragile "
                    "dependencies.",
        epilog="example:\n  ecomap demo")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sp = p.add_subparsers(dest="command", metavar="COMMAND")

    d = _sub(sp, "demo", cmd_demo, "load the bundled demo place (if the store is empty) and open the dashboard",
             "ecomap demo")
    d.add_argument("--no-serve", action="store_true", help="load and summarise only")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8050)
    d.add_argument("--json", action="store_true")

    lo = _sub(sp, "load", cmd_load, "validate and load files into the store (all-or-nothing)",
              "ecomap load ecosystem/demo_data/trafford --source trafford-demo\n"
              "  ecomap load trafford_postcodes.csv            # a postcode lookup: places organisations\n"
              "  ecomap load care_homes.csv --as services --map "
              "\"name=name,postcode=postcode,category=type,provider=provider\"")
    lo.add_argument("paths", nargs="+", metavar="PATH")
    lo.add_argument("--format", default="auto", choices=loaders.FORMATS)
    lo.add_argument("--source", help="source name (default: the file or folder name); a later load of the same "
                                     "source replaces what it contributed")
    lo.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    lo.add_argument("--no-store", action="store_true", help="with --dry-run: do not check references against "
                                                            "the store")
    lo.add_argument("--category-map", help="taxonomy-term → category map for Open Referral data (default: the one "
                                            "`ecomap categories map` keeps in ECOMAP_HOME, else the bundled map)")
    lo.add_argument("--assume-months", type=_assume_months, default=12, metavar="N",
                    help="the length in calendar months given to a 360Giving grant or OCDS award or contract "
                         "published without an end date or duration, from its start (default 12); such flows "
                         "are marked end_assumed. A blank end in the template stays open-ended")
    lo.add_argument("--strict", action="store_true",
                    help="refuse the load when a standard file (360Giving, OCDS, Open Referral) has a publisher's "
                         "error (end before start, a negative amount, an unparseable date, a missing identifier) "
                         "instead of loading without that value or record and warning, or when any file has an "
                         "implausible value (capacity far above the population served, a single flow over £1bn)")
    lo.add_argument("--as", dest="as_table", choices=("services",),
                    help="read your own list (one CSV, or an XLSX's first sheet) as services, their providers and "
                         "categories, through --map")
    lo.add_argument("--map", metavar="MAPPING",
                    help="with --as: target=Source column pairs (\"name=Name,postcode=Postcode,category=Type\"; a "
                         "quoted value for every row: category='sport'), or a file of such lines; targets: "
                         "name, category, id, areas, capacity, client_group, start, end, cost, provider, "
                         "provider_id, postcode, sector, charity_number, company_number, income")
    lo.add_argument("--json", action="store_true")

    t = _sub(sp, "template", cmd_template, "write empty template CSVs with a README of the columns",
             "ecomap template my-place/")
    t.add_argument("dir")

    g = _sub(sp, "generate", cmd_generate, "write a synthetic template folder for benchmarks",
             "ecomap generate --scale la --seed 1 /tmp/la")
    g.add_argument("--scale", choices=("la", "region", "england"), default="la")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("out")
    g.add_argument("--json", action="store_true")

    db = _sub(sp, "db", lambda a: (build_parser().parse_args(["db", "--help"]), 0)[1],
              "the graph store: status, stop, wipe, export, warm, copy, sources, unload", "ecomap db status --json")
    dsp = db.add_subparsers(dest="db_command", metavar="ACTION")
    s = _sub(dsp, "status", cmd_db_status, "store kind and location, node and relationship counts",
             "ecomap db status --json")
    s.add_argument("--json", action="store_true")
    s.add_argument("--no-start", action="store_true", help="do not start the embedded store")
    _sub(dsp, "stop", cmd_db_stop, "stop the embedded store", "ecomap db stop")
    w = _sub(dsp, "wipe", cmd_db_wipe, "delete everything in the store", "ecomap db wipe --yes")
    w.add_argument("--yes", action="store_true")
    wa = _sub(dsp, "warm", cmd_db_warm, "prepare a view's analysis ahead of time, so the dashboard opens at once "
              "(run in the background after every load)", "ecomap db warm --place E08000009")
    wa.add_argument("--place", help="place code (default: the only top-level place)")
    wa.add_argument("--as-of", help="date YYYY-MM-DD (default: today)")
    wa.add_argument("--quiet", action="store_true")
    e = _sub(dsp, "export", cmd_db_export, "export the whole graph as JSON, GraphML or GEXF",
             "ecomap db export --format graphml --out ecosystem.graphml")
    e.add_argument("--format", choices=("json", "graphml", "gexf"), default="json")
    e.add_argument("--out", default="-", help="file to write (default: stdout)")
    from ecosystem.cli.sources import register_db

    register_db(dsp, _sub)

    c = _sub(dsp, "copy", cmd_db_copy, "copy everything into another store (embedded ↔ Neo4j), all-or-nothing, "
             "verified by counts and a content hash",
             "ecomap db copy --to neo4j+s://xxxx.databases.neo4j.io --user neo4j --database neo4j")
    c.add_argument("--to", metavar="URI", help="destination: a Bolt URI, 'embedded' (ECOMAP_HOME) or "
                                                "'embedded:HOME' (default: the current store)")
    c.add_argument("--user", help="destination user (default neo4j)")
    c.add_argument("--password", help="destination password (default: $ECOMAP_COPY_PASSWORD; a password "
                                      "given here is visible to other users of the machine)")
    c.add_argument("--database", help="destination database (default: the server's default)")
    c.add_argument("--from", dest="from_", metavar="URI", help="source, like --to (default: the current store)")
    c.add_argument("--from-user", help="source user (default neo4j)")
    c.add_argument("--from-password", help="source password (default: $ECOMAP_COPY_FROM_PASSWORD)")
    c.add_argument("--from-database", help="source database (default: the server's default)")
    c.add_argument("--force", action="store_true", help="replace whatever the destination holds")
    c.add_argument("--batch", type=int, default=5000, help="rows per statement (default 5000)")
    c.add_argument("--json", action="store_true")

    q = _sub(sp, "query", cmd_query, "run a named read-only query from queries/",
             "ecomap query count_nodes --json")
    q.add_argument("name", nargs="?")
    q.add_argument("--param", action="append", metavar="K=V", help="a query parameter (JSON values accepted)")
    q.add_argument("--list", action="store_true")
    q.add_argument("--json", action="store_true")

    for register in _extensions():
        register(sp, _sub)
    return p


def _extensions() -> list[Callable]:
    """Subcommands defined beside the features they drive (analysis, reports, dashboard, workshops)."""
    import importlib

    out = []
    for mod in ("ecosystem.cli.analysis", "ecosystem.cli.loaders", "ecosystem.cli.report", "ecosystem.cli.serve",
                "ecosystem.cli.workshop"):
        try:
            out.append(importlib.import_module(mod).register)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not args.verbose:  # the driver logs a failed connection itself; ecomap says it once, on one line
        logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    from neo4j import exceptions as neo4j_errors

    from ecosystem.store import StoreUnavailable

    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        _err(f"ecomap: {e}")
        return EXIT_INPUT
    except m.ValidationError as e:
        _err(e.summary())
        return EXIT_INPUT
    except StoreUnavailable as e:
        _err(f"ecomap: {e}")
        return EXIT_ERROR
    except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, neo4j_errors.AuthError) as e:
        _err("ecomap: lost the connection to the graph store: " + " ".join(str(e).split()))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_ERROR
    except BrokenPipeError:  # `ecomap analyse | head`: the reader has all it wants
        _quiet_stdout()
        return EXIT_OK
    except OSError as e:
        if e.filename is not None:  # a path the user gave that cannot be read or written
            _err(f"ecomap: {e.filename}: {e.strerror or e}")
            return EXIT_INPUT
        log.debug("unexpected error", exc_info=True)
        _err(f"ecomap: {e} (run with -v for details)")
        return EXIT_ERROR
    except Exception as e:  # never a traceback for a user: one line, details with -v
        log.debug("unexpected error", exc_info=True)
        if args.verbose:
            import traceback

            traceback.print_exc()
        _err(f"ecomap: {type(e).__name__}: {e} (run with -v for details)")
        return EXIT_ERROR


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain of the closed pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture stdout)
        pass


def run() -> None:  # pragma: no cover
    """The ``ecomap`` command (and ``python -m ecosystem``): :func:`main`, its output flushed, its code as the exit status."""
    import gc

    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    sys.stderr.flush()
    # the process is ending: its last garbage collection need not walk the tables it leaves behind
    # (0.13-0.15 s of a la-scale scenario); files are closed by their with-blocks, and atexit still runs
    gc.freeze()
    sys.exit(code)
