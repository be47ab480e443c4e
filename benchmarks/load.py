"""Load benchmark: the la-scale synthetic folder into a fresh embedded store.

Prints rows/s per table, total seconds and peak RSS (this process and the
store's server process), then pushes the same rows through a bare
``UNWIND … CREATE`` on the same server (no MERGE, no source bookkeeping, no
validation) and prints the ratio. Targets on a 2-core machine: under 30 s,
no more than 2x the bare baseline.

    python benchmarks/load.py [--scale la] [--seed 1] [--keep DIR]
    env $(scripts/neo4j-server start) python benchmarks/load.py --store neo4j   # on an empty Neo4j database
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


def rss_mib(pid: int | None = None) -> float:
    import psutil

    p = psutil.Process(pid) if pid else psutil.Process()
    return p.memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="la")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the generated folder here")
    ap.add_argument("--store", choices=("embedded", "neo4j"), default="embedded",
                    help="neo4j: the empty database NEO4J_URI names (emptied again afterwards)")
    args = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-bench-"))
    os.environ["ECOMAP_HOME"] = str(work / "home")
    if args.store == "embedded":
        os.environ.pop("NEO4J_URI", None)
    elif not os.environ.get("NEO4J_URI"):
        ap.error("--store neo4j needs NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD): see scripts/neo4j-server")
    print(f"store: {args.store}")
    from ecosystem import server
    from ecosystem.generate import generate
    from ecosystem.load import plan, write_tables
    from ecosystem.pipeline import prepare
    from ecosystem.store import GraphStore

    folder = pathlib.Path(args.keep) if args.keep else work / args.scale
    t = time.perf_counter()
    counts = generate(args.scale, args.seed, folder)
    print(f"generated {args.scale} seed {args.seed} in {time.perf_counter() - t:.1f} s: {counts}")

    t = time.perf_counter()
    store = GraphStore.open()
    print(f"store start: {time.perf_counter() - t:.1f} s")
    state = server.read_state(server.default_home()) if store.kind == "embedded" else None
    if store.kind == "neo4j" and not store.is_empty():
        store.close()
        sys.exit(f"--store neo4j: the database at {store.location} is not empty; the benchmark needs an empty one")
    try:
        # -------- warm the server up (JIT, caches) so that neither measurement pays for it
        warm = work / "warm"
        generate("la", args.seed + 1, warm)
        tw = time.perf_counter()
        write_tables(store, prepare([warm], fmt="template", store=store), source="warm-up", fmt="template")
        store.wipe()
        print(f"warm-up load (not measured): {time.perf_counter() - tw:.1f} s")
        shutil.rmtree(warm, ignore_errors=True)

        # -------- the real load: read + validate + write (one transaction)
        t0 = time.perf_counter()
        tables = prepare([folder], fmt="template", store=store)
        t_read = time.perf_counter() - t0
        steps = plan(tables)
        per_step: dict[str, float] = {}
        rows_step = {name: len(rows) for name, rows in steps}
        last = {"t": time.perf_counter(), "done": 0}
        marks = []

        def progress(done: int, total: int) -> None:
            marks.append((time.perf_counter(), done))

        t1 = time.perf_counter()
        result = write_tables(store, tables, source="bench", fmt="template", progress=progress)
        t_write = time.perf_counter() - t1
        total = time.perf_counter() - t0
        # attribute batch times to steps by cumulative row counts
        bounds, acc = [], 0
        for name, n in rows_step.items():
            acc += n
            bounds.append((name, acc))
        prev_t, prev_done = t1, 0
        for when, done in marks:
            name = next(nm for nm, b in bounds if done <= b)
            per_step[name] = per_step.get(name, 0.0) + (when - prev_t)
            prev_t, prev_done = when, done
        all_rows = sum(rows_step.values())
        print(f"\nreal load ({result['status']}): {all_rows:,} rows written in {t_write:.1f} s "
              f"(+{t_read:.1f} s read and validate) = {total:.1f} s total, {all_rows / total:,.0f} rows/s overall")
        print(f"{'step':<24}{'rows':>10}{'seconds':>10}{'rows/s':>12}")
        for name, n in rows_step.items():
            s = per_step.get(name, 0.0)
            print(f"{name:<24}{n:>10,}{s:>10.2f}{(n / s if s else 0):>12,.0f}")
        print(f"before the first batch ends (schema, plan, hash, checks, first batch): "
              f"{marks[0][0] - t1:.2f} s; after the last batch (clean-up, roles, run record, commit): "
              f"{t1 + t_write - marks[-1][0]:.2f} s")
        server_rss = f"store server now {rss_mib(state['pid']):,.0f} MiB" if state else "store server not measured"
        print(f"peak RSS: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB; "
              f"{server_rss}")

        # -------- reload identical data: must be a no-op
        t2 = time.perf_counter()
        again = write_tables(store, tables, source="bench", fmt="template")
        print(f"identical reload: {again['status']} in {time.perf_counter() - t2:.2f} s")

        # -------- bare baseline: the same rows as plain UNWIND … CREATE of the same nodes and
        # relationships (endpoints found through an index), same server, empty store; no MERGE,
        # no source bookkeeping, no validation
        store.wipe()
        nodes = {"merge_places": "BPlace", "merge_categories": "BCategory", "merge_organisations": "BOrganisation",
                 "merge_services": "BService", "merge_needs": "BNeed"}
        rels = {"merge_part_of": ("BPlace", "BPlace"), "merge_broader": ("BCategory", "BCategory"),
                "merge_based_in": ("BOrganisation", "BPlace"), "merge_delivers": ("BOrganisation", "BService"),
                "merge_in_category": ("BService", "BCategory"), "merge_serves": ("BService", "BPlace"),
                "merge_need_in": ("BNeed", "BPlace"), "merge_need_for": ("BNeed", "BCategory"),
                "create_funds": ("BOrganisation", "BOrganisation"), "merge_funds": ("BOrganisation", "BOrganisation"),
                "merge_partners_with": ("BOrganisation", "BOrganisation")}
        with store.session() as s:
            for label in nodes.values():
                s.run(f"CREATE INDEX b_{label.lower()} IF NOT EXISTS FOR (n:{label}) ON (n.key)").consume()
        t3 = time.perf_counter()
        with store.transaction() as tx:
            for name, rows in steps:
                if name in nodes:
                    stmt = f"UNWIND $rows AS row CREATE (n:{nodes[name]}) SET n = row.props, n.key = row.key"
                else:
                    a, b = rels[name]
                    stmt = (f"UNWIND $rows AS row MATCH (a:{a} {{key: row.a}}) MATCH (b:{b} {{key: row.b}}) "
                            f"CREATE (a)-[r:BREL]->(b) SET r = coalesce(row.props, {{}})")
                for i in range(0, len(rows), 5000):
                    tx.run(stmt, {"rows": rows[i:i + 5000]}).consume()
        t_bare = time.perf_counter() - t3
        with store.session() as s:
            made = s.run("MATCH ()-[r:BREL]->() RETURN count(r) AS n").single()["n"]
        assert made == sum(len(rows) for name, rows in steps if name in rels), made
        print(f"\nbare UNWIND … CREATE of the same {all_rows:,} rows: {t_bare:.1f} s ({all_rows / t_bare:,.0f} rows/s)")
        print(f"ratio real write / bare: {t_write / t_bare:.2f}x; real total (with read+validate) / bare: "
              f"{total / t_bare:.2f}x")
        print(f"targets: total under 30 s -> {'met' if total < 30 else 'MISSED'}; "
              f"no more than 2x bare -> {'met' if total / t_bare <= 2 else 'MISSED'}")
    finally:
        if store.kind == "neo4j":  # leave the database as it was found: empty, without the baseline's indexes
            store.wipe()
            with store.session() as s:
                for label in ("BPlace", "BCategory", "BOrganisation", "BService", "BNeed"):
                    s.run(f"DROP INDEX b_{label.lower()} IF EXISTS").consume()
        store.close()
        if store.kind == "embedded":
            server.stop(server.default_home())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
