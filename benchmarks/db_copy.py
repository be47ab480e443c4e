"""Copy benchmark: the la-scale synthetic folder embedded → other store → embedded, byte-identical.

Generates the folder (`ecomap generate --scale la`), loads it into a fresh embedded store, copies it with
`ecomap db copy`'s code into the other store (the empty Neo4j database NEO4J_URI names with
``--store neo4j``, else a second embedded store), empties the first store, copies it back, and checks
that the JSON export is byte-identical to the one made before. Prints seconds and rows/s per copy.

    python benchmarks/db_copy.py                     # embedded → embedded → embedded
    env $(scripts/neo4j-server start) python benchmarks/db_copy.py --store neo4j
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="la")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", choices=("embedded", "neo4j"), default="embedded",
                    help="the other store: neo4j is the empty database NEO4J_URI names (emptied again afterwards)")
    args = ap.parse_args()
    if args.store == "neo4j" and not os.environ.get("NEO4J_URI"):
        ap.error("--store neo4j needs NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD): see scripts/neo4j-server")

    work = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-bench-"))
    os.environ.setdefault("ECOMAP_STORE_HEAP", "2g")
    from ecosystem import copy as cp
    from ecosystem import server
    from ecosystem.export import export
    from ecosystem.generate import generate
    from ecosystem.pipeline import load
    from ecosystem.store import GraphStore

    homes = [work / "home-a", work / "home-b"]
    a = other = None
    try:
        t = time.perf_counter()
        counts = generate(args.scale, args.seed, work / args.scale)
        print(f"generated {args.scale} seed {args.seed} in {time.perf_counter() - t:.1f} s: {counts}", flush=True)
        a = GraphStore.open_embedded(homes[0])
        if args.store == "neo4j":
            other = GraphStore.open()
            if not other.is_empty():
                sys.exit(f"--store neo4j: the database at {other.location} is not empty")
        else:
            other = GraphStore.open_embedded(homes[1])
        t = time.perf_counter()
        load(a, [work / args.scale])
        print(f"load into the embedded store (not part of the figure): {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        before = export(a, "json")
        print(f"JSON export: {time.perf_counter() - t:.1f} s, {len(before) / 2**20:.1f} MiB", flush=True)

        def timed_copy(src, dst, label: str):
            r = cp.copy(src, dst)
            rows = sum(r.nodes.values()) + sum(r.relationships.values())
            print(f"copy {label}: {sum(r.nodes.values()):,} nodes + {sum(r.relationships.values()):,} "
                  f"relationships in {r.seconds:.1f} s ({rows / r.seconds:,.0f} rows/s), verified "
                  f"(sha256 {r.digest[:16]}…)", flush=True)
            return r

        first = timed_copy(a, other, f"embedded -> {args.store}")
        a.wipe()
        back = timed_copy(other, a, f"{args.store} -> embedded")
        same = export(a, "json") == before
        print(f"export after the round trip byte-identical: {same}; digests equal: {first.digest == back.digest}")
        return 0 if same else 1
    finally:
        if other is not None:
            if other.kind == "neo4j":
                other.wipe()
            other.close()
        if a is not None:
            a.close()
        for h in homes:
            server.stop(h)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
