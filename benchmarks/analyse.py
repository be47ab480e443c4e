"""Analysis benchmark: the full analysis of a synthetic place, pull from the store included.

Generates the synthetic folder (or reads ``--data DIR``), loads it into an
embedded store (timed, but not part of the target: see benchmarks/load.py),
then measures in a fresh child process, so its peak RSS is the analysis's
own: the pull of every table from the store (``pull_frames``), the analysis
of every place (``analyse_frames``), the JSON document, and one local
authority's pull and analysis. The baseline, in the same child process, is
the same analysis again on the tables already in memory (no pull). At la
scale the networkx path (``pull_graph`` + ``analyse``) and a graph built in
memory from the template tables are timed too. Then the whole command a
user runs, ``ecomap analyse --json`` with its output written to a file, in
new processes: with ``ECOMAP_CACHE=off``, and with the cache warm (targets at
la scale: 5 s and 3 s).

Targets: la scale under 5 s with the pull; england under 3 minutes and a
peak RSS under 6 GiB.

    python benchmarks/analyse.py [--scale la] [--seed 1]
    python benchmarks/analyse.py --scale england --data /tmp/gen_england --home /tmp/eng-home [--no-load]
    python benchmarks/analyse.py --no-store          # in memory only, no store
    env $(scripts/neo4j-server start) python benchmarks/analyse.py --store neo4j   # on an empty Neo4j database
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 11, 21)
TARGETS = {"la": 5.0, "england": 180.0}
RSS_TARGET_MIB = {"england": 6 * 1024}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn, results: dict):
    t = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t
    print(f"{label:<48}{results[label]:>8.2f} s   peak RSS {peak_mib():>7,.0f} MiB", flush=True)
    return out


def measure(scale: str) -> int:
    """The timed part, run in its own process against the store of ECOMAP_HOME."""
    from ecosystem import analysis as an
    from ecosystem.pull import place_tree, pull_frames, pull_graph
    from ecosystem.store import GraphStore

    r: dict[str, float] = {}
    store = GraphStore.open()
    F = timed("pull_frames (every place)", lambda: pull_frames(store), r)
    print(f"  {len(F.services):,} service rows, {len(F.service_areas):,} areas, {len(F.needs):,} needs, "
          f"{len(F.funding):,} flows, {len(F.partnerships):,} partnerships")
    a = timed("analyse_frames (every place)", lambda F=F: an.analyse_frames(F, place=None, as_of=AS_OF), r)
    print(f"  {len(a.coverage):,} coverage rows, {len(a.overlaps):,} overlapping pairs, "
          f"{len(a.critical_providers):,} critical providers; steps: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in a.timings.items()))
    from ecosystem.service import Ecomap

    duplication_summary_check(a, Ecomap(store).names())  # with names, as a person reads it
    full = r["pull_frames (every place)"] + r["analyse_frames (every place)"]
    rss_full = peak_mib()
    doc = timed("to_json_dict + json.dumps", lambda a=a: json.dumps(a.to_json_dict(), default=str), r)
    print(f"  JSON {len(doc) / 2**20:,.1f} MiB")
    del doc
    with tempfile.TemporaryFile() as fh:
        timed("write_json (streamed from the tables, written)", lambda a=a: a.write_json(fh), r)
        print(f"  JSON {fh.tell() / 2**20:,.1f} MiB; "
              f"{r['to_json_dict + json.dumps'] / r['write_json (streamed from the tables, written)']:.1f}x "
              f"faster than the dict encoder")
    timed("baseline: analyse_frames again (tables in memory)",
          lambda F=F: an.analyse_frames(F, place=None, as_of=AS_OF), r)
    tree = place_tree(store)
    las = sorted(c for c, d in tree.nodes(data=True) if d.get("level") == "la")
    del F, a
    if las:
        la = las[0]
        F2 = timed(f"pull_frames (place {la})", lambda: pull_frames(store, place=la), r)
        timed(f"analyse_frames (place {la})", lambda: an.analyse_frames(F2, place=la, as_of=AS_OF), r)
    if scale == "la":
        G = timed("pull_graph (every place)", lambda: pull_graph(store), r)
        timed("analyse (every place, through networkx)", lambda: an.analyse(G, as_of=AS_OF), r)
    store.close()
    cli_json(r)
    base = r["baseline: analyse_frames again (tables in memory)"]
    print(f"\nfull analysis with the pull, as the CLI, dashboard and reports run it (pull_frames + analyse_frames): "
          f"{full:.2f} s, peak RSS {rss_full:,.0f} MiB; analysis alone on tables in memory {base:.2f} s; "
          f"ratio {full / base:.2f}x", flush=True)
    target = TARGETS.get(scale)
    if target:
        rss = RSS_TARGET_MIB.get(scale)
        print(f"target under {target:.0f} s -> {'met' if full < target else 'MISSED'}"
              + (f"; peak RSS under {rss:,} MiB -> {'met' if rss_full < rss else 'MISSED'}" if rss else ""))
    return 0


#: one screen of a category's duplication summary: lines of text at this width
SCREEN_LINES, SCREEN_WIDTH = 50, 120


def duplication_summary_check(a, names: dict | None = None) -> bool:
    """Each category's duplication summary fits one screen and names the services behind ≥ 90 % of its pairs."""
    import textwrap

    from ecosystem.analysis._report import duplication_lines
    from ecosystem.analysis.duplication import category_digest, summary_tables

    t = summary_tables(a)
    names = names or {}

    def nm(kind, code):
        return names.get(code, str(code))

    worst_share, worst_lines, ok = 1.0, 0, True
    for k in a.overlap_summary["category"]:
        share = category_digest(t, k)["named_share"]
        lines = sum(len(textwrap.wrap(x, SCREEN_WIDTH)) or 1 for x in duplication_lines(t, k, name=nm))
        worst_share, worst_lines = min(worst_share, share), max(worst_lines, lines)
        ok &= share >= 0.9 and lines <= SCREEN_LINES
    print(f"duplication summary: {len(a.overlap_summary)} categories; the least-named names the services behind "
          f"{100 * worst_share:.1f}% of its pairs; the longest is {worst_lines} lines at {SCREEN_WIDTH} columns "
          f"(target: >= 90% and <= {SCREEN_LINES} lines -> {'met' if ok else 'MISSED'})", flush=True)
    return ok


#: targets for the whole `ecomap analyse --json` command at la scale, JSON written
CLI_TARGETS = {"cache on (warm)": 3.0, "ECOMAP_CACHE=off": 5.0}


def cli_json(r: dict) -> None:
    """Time `ecomap analyse --json > file` as a user runs it: a new process, the whole document written."""
    def run(label: str, env: dict) -> None:
        with tempfile.TemporaryFile() as fh:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ecosystem", "analyse", "--as-of", AS_OF.isoformat(), "--json"],
                           stdout=fh, check=True, env=env)
            r[label] = time.perf_counter() - t
            size = fh.tell()
        print(f"{label:<48}{r[label]:>8.2f} s   ({size / 2**20:,.1f} MiB written)", flush=True)

    env = dict(os.environ, ECOMAP_WARM="off")
    run("cli analyse --json, ECOMAP_CACHE=off", dict(env, ECOMAP_CACHE="off"))
    run("cli analyse --json, filling the cache", env)
    run("cli analyse --json, cache on (warm)", env)
    run("cli analyse --json, cache on (warm, again)", env)
    warm = min(r["cli analyse --json, cache on (warm)"], r["cli analyse --json, cache on (warm, again)"])
    off = r["cli analyse --json, ECOMAP_CACHE=off"]
    print(f"cli --json warm {warm:.2f} s (target {CLI_TARGETS['cache on (warm)']:.0f} s -> "
          f"{'met' if warm <= CLI_TARGETS['cache on (warm)'] else 'MISSED'}); cache off {off:.2f} s (target "
          f"{CLI_TARGETS['ECOMAP_CACHE=off']:.0f} s -> {'met' if off <= CLI_TARGETS['ECOMAP_CACHE=off'] else 'MISSED'})",
          flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="la", help="la, region or england")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", help="a template folder already generated at this scale")
    ap.add_argument("--home", help="ECOMAP_HOME of the store to use (default: a new temporary one)")
    ap.add_argument("--no-load", action="store_true", help="the store already holds the data")
    ap.add_argument("--no-store", action="store_true", help="analyse a graph built from the tables only")
    ap.add_argument("--store", choices=("embedded", "neo4j"), default="embedded",
                    help="neo4j: the empty database NEO4J_URI names (emptied again afterwards)")
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        return measure(args.scale)

    work = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-bench-"))
    home = pathlib.Path(args.home) if args.home else work / "home"
    os.environ["ECOMAP_HOME"] = str(home)
    if args.store == "embedded":
        os.environ.pop("NEO4J_URI", None)
    elif not os.environ.get("NEO4J_URI"):
        ap.error("--store neo4j needs NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD): see scripts/neo4j-server")
    elif not args.no_load:
        from ecosystem.store import GraphStore

        with GraphStore.open() as s:
            if not s.is_empty():
                ap.error(f"--store neo4j: the database at {s.location} is not empty; the benchmark needs an empty one")
    print(f"store: {args.store}", flush=True)
    from ecosystem import server

    r: dict[str, float] = {}
    try:
        folder = pathlib.Path(args.data) if args.data else work / args.scale
        if not args.data and not args.no_load:
            from ecosystem.generate import generate

            counts = timed("generate (not part of the target)", lambda: generate(args.scale, args.seed, folder), r)
            print(f"  {counts}")
        if args.no_store:
            from ecosystem import analysis as an
            from ecosystem.graph import graph_from_tables
            from ecosystem.pipeline import prepare

            tables = timed("read + validate template", lambda: prepare([folder], fmt="template"), r)
            H = timed("graph_from_tables", lambda: graph_from_tables(tables), r)
            a0 = timed("analyse (every place, in memory)", lambda: an.analyse(H, as_of=AS_OF), r)
            print(f"  {H.number_of_nodes():,} nodes, {H.number_of_edges():,} edges; "
                  f"{len(a0.coverage):,} coverage rows, {len(a0.overlaps):,} overlaps")
            return 0
        if not args.no_load:
            from ecosystem.load import write_tables
            from ecosystem.pipeline import prepare
            from ecosystem.store import GraphStore

            tables = timed("read + validate template (not part of the target)",
                           lambda: prepare([folder], fmt="template"), r)
            store = GraphStore.open()
            timed("load into the store (not part of the target)",
                  lambda: write_tables(store, tables, source="bench"), r)
            store.close()
            del tables
        print("--- in a fresh process: pull and analysis ---", flush=True)
        return subprocess.call([sys.executable, __file__, "--measure", "--scale", args.scale])
    finally:
        if args.store == "neo4j" and not args.no_load:
            from ecosystem.store import GraphStore

            with GraphStore.open() as s:
                s.wipe()
        elif not args.home and args.store == "embedded":
            server.stop(server.default_home())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
