"""Analysis benchmark: the full analysis of a synthetic place, pull from the store included.

Generates the synthetic folder, loads it into a fresh embedded store (not
timed here: see benchmarks/load.py), then times: the pull into networkx, the
analysis of the whole ecosystem and of one LA, the JSON document, and the
same analysis on a graph built in memory from the tables (the baseline, in
the same process). Prints seconds per step and peak RSS. Targets: la scale
under 5 s with the pull; england under 3 minutes and 6 GiB.

    python benchmarks/analyse.py [--scale la] [--seed 1] [--no-store]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import resource
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

AS_OF = dt.date(2026, 11, 21)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn, results: dict):
    t = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t
    print(f"{label:<44}{results[label]:>8.2f} s   peak RSS {peak_mib():>7,.0f} MiB", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="la")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-store", action="store_true", help="analyse a graph built from the tables only")
    args = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-bench-"))
    os.environ["ECOMAP_HOME"] = str(work / "home")
    os.environ.pop("NEO4J_URI", None)
    from ecosystem import analysis as an
    from ecosystem import server
    from ecosystem.generate import generate
    from ecosystem.graph import graph_from_tables
    from ecosystem.pipeline import prepare

    r: dict[str, float] = {}
    folder = work / args.scale
    counts = timed("generate", lambda: generate(args.scale, args.seed, folder), r)
    print(f"  {counts}")
    tables = timed("read + validate template", lambda: prepare([folder], fmt="template"), r)
    try:
        H = timed("baseline: graph_from_tables", lambda: graph_from_tables(tables), r)
        la = sorted(n[1] for n, d in H.nodes(data=True) if d.get("level") == "la")[0]
        a0 = timed("baseline: analyse (every place)", lambda: an.analyse(H, as_of=AS_OF), r)
        print(f"  {H.number_of_nodes():,} nodes, {H.number_of_edges():,} edges; "
              f"{len(a0.coverage):,} coverage rows, {len(a0.overlaps):,} overlaps")
        if args.no_store:
            return
        from ecosystem.load import write_tables
        from ecosystem.pull import pull_frames, pull_graph
        from ecosystem.store import GraphStore

        store = GraphStore.open()
        timed("load into the store (not part of the target)",
              lambda: write_tables(store, tables, source="bench"), r)
        del H
        G = timed("pull_graph (every place)", lambda: pull_graph(store), r)
        a = timed("analyse (every place)", lambda: an.analyse(G, as_of=AS_OF), r)
        doc = timed("to_json_dict + json.dumps", lambda: json.dumps(a.to_json_dict(), default=str), r)
        print(f"  JSON {len(doc) / 2**20:,.1f} MiB")
        G2 = timed(f"pull_graph (place {la})", lambda: pull_graph(store, place=la), r)
        timed(f"analyse (place {la})", lambda: an.analyse(G2, place=la, as_of=AS_OF), r)
        F = timed("pull_frames (every place)", lambda: pull_frames(store), r)
        timed("analyse_frames (every place)", lambda: an.analyse_frames(F, place=None, as_of=AS_OF), r)
        F2 = timed(f"pull_frames (place {la})", lambda: pull_frames(store, place=la), r)
        timed(f"analyse_frames (place {la})", lambda: an.analyse_frames(F2, place=la, as_of=AS_OF), r)
        graph_path = r["pull_graph (every place)"] + r["analyse (every place)"]
        full = r["pull_frames (every place)"] + r["analyse_frames (every place)"]
        print(f"\nfull analysis with the pull, as the CLI, dashboard and reports run it (pull_frames + "
              f"analyse_frames): {full:.2f} s; through a networkx graph (pull_graph + analyse): {graph_path:.2f} s; "
              f"in-memory baseline analyse {r['baseline: analyse (every place)']:.2f} s; "
              f"ratio {full / r['baseline: analyse (every place)']:.2f}x")
        target = {"la": 5.0, "england": 180.0}.get(args.scale)
        if target:
            print(f"target under {target:.0f} s -> {'met' if full < target else 'MISSED'}; peak RSS {peak_mib():,.0f} MiB")
        store.close()
    finally:
        server.stop(server.default_home())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
