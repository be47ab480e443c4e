"""Time the analysis engine on a synthetic graph, in memory (no store).

    python benchmarks/analyse_inmemory.py                 # la scale, seed 1
    python benchmarks/analyse_inmemory.py --scale england --seed 7

Builds template CSVs with :func:`ecosystem.generate.generate`, loads them
with the template loader, builds the graph with
:func:`ecosystem.graph.graph_from_tables`, then prints seconds per step of
:func:`ecosystem.analysis.analyse` (extract = the one pass over the graph),
a one-provider scenario, the JSON and the findings, and the peak RSS.
``--quick`` skips the CSV round trip and builds canonical tables directly
with numpy (same sizes), for when the generator or loader is unavailable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import resource
import sys
import tempfile
import time

import numpy as np
import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from ecosystem import model as m  # noqa: E402
from ecosystem.analysis import analyse, findings, run_scenario, summary_text  # noqa: E402
from ecosystem.graph import graph_from_tables  # noqa: E402

QUICK = {"la": dict(wards=200, categories=40, organisations=2_000, services=10_000, funding=50_000,
                    partnerships=5_000),
         "region": dict(wards=2_000, categories=40, organisations=20_000, services=100_000, funding=500_000,
                        partnerships=50_000),
         "england": dict(wards=7_000, categories=40, organisations=170_000, services=600_000, funding=1_000_000,
                         partnerships=100_000)}


def quick_tables(scale: str, seed: int) -> m.CanonicalTables:
    """Canonical tables of the given sizes, made directly (no CSV)."""
    size = QUICK[scale]
    rng = np.random.default_rng(seed)
    nw, nc, no, ns, nf, npn = (size[k] for k in ("wards", "categories", "organisations", "services", "funding",
                                                 "partnerships"))
    las = max(1, nw // 200)
    la_codes = [f"LA{i:04d}" for i in range(las)]
    wards = [f"W{i:05d}" for i in range(nw)]
    ward_la = [la_codes[i * las // nw] for i in range(nw)]
    places = pd.DataFrame({"code": ["ENG"] + la_codes + wards, "name": ["ENG"] + la_codes + wards,
                           "level": ["country"] + ["la"] * las + ["ward"] * nw,
                           "parent": [None] + ["ENG"] * las + ward_la,
                           "population": [None] * (1 + las) + list(rng.integers(3000, 15000, nw).astype(float))})
    cats = [f"C{i:02d}" for i in range(nc)]
    categories = pd.DataFrame({"code": cats, "name": cats, "parent": None})
    orgs = [f"ORG{i:06d}" for i in range(no)]
    org_ward = rng.integers(0, nw, no)
    organisations = pd.DataFrame({"id": orgs, "name": orgs, "place": [wards[i] for i in org_ward]})
    prov = rng.integers(0, no, ns)
    width = rng.integers(1, 5, ns)
    areas = [[wards[min(nw - 1, org_ward[p] + k)] for k in range(w)] for p, w in zip(prov, width)]
    la_wide = rng.random(ns) < 0.05
    areas = [[ward_la[org_ward[p]]] if lw else a for a, p, lw in zip(areas, prov, la_wide)]
    cap = rng.integers(5, 500, ns).astype(float)
    cap[rng.random(ns) < 0.1] = np.nan
    end = [dt.date(2024, 1, 1) if r < 0.1 else None for r in rng.random(ns)]
    sids = [f"S{i:07d}" for i in range(ns)]
    services = pd.DataFrame({"id": sids, "name": sids, "provider": [orgs[p] for p in prov],
                             "category": [cats[c] for c in rng.integers(0, nc, ns)], "areas": areas,
                             "capacity": [None if c != c else c for c in cap], "start": None, "end": end})
    need_w = np.repeat(np.arange(nw), nc)
    needs = pd.DataFrame({"place": [wards[i] for i in need_w], "category": cats * nw,
                          "people": rng.integers(0, 400, nw * nc).astype(float)})
    base = dt.date(2024, 1, 1)
    starts = [base + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, nf)]
    lengths = rng.choice([180, 365, 730, 1095, -1], nf)
    ends = [None if n < 0 else s + dt.timedelta(days=int(n)) for s, n in zip(starts, lengths)]
    named = rng.random(nf) < 0.5
    rec = rng.integers(0, no, nf)
    funding = pd.DataFrame({"id": [f"F{i:07d}" for i in range(nf)],
                            "funder": [orgs[i] for i in rng.integers(0, max(1, no // 20), nf)],
                            "recipient": [orgs[i] for i in rec], "amount": rng.integers(1000, 200000, nf).astype(float),
                            "start": starts, "end": ends,
                            "service": [sids[rng.integers(0, ns)] if n else None for n in named]})
    a, b = rng.integers(0, no, npn), rng.integers(0, no, npn)
    partnerships = pd.DataFrame({"a": [orgs[i] for i in a], "b": [orgs[i] for i in b],
                                 "kind": rng.choice(list(m.PARTNERSHIP_KINDS), npn), "start": None, "end": None})
    partnerships = partnerships.drop_duplicates(["a", "b", "kind"])
    return m.CanonicalTables({"places": places, "categories": categories, "organisations": organisations,
                              "services": services, "needs": needs, "funding": funding,
                              "partnerships": partnerships})


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", default="la", choices=sorted(QUICK))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--as-of", default="2026-01-01")
    p.add_argument("--place", default=None)
    p.add_argument("--quick", action="store_true", help="make tables directly instead of generate + load")
    p.add_argument("--summary", action="store_true", help="also print the readable summary")
    args = p.parse_args(argv)

    def step(name: str, t0: float) -> float:
        t = time.perf_counter()
        print(f"{name:<28} {t - t0:8.3f} s", flush=True)
        return t

    t = time.perf_counter()
    if args.quick:
        tables = quick_tables(args.scale, args.seed)
        t = step("make tables (quick)", t)
    else:
        from ecosystem.generate import generate
        from loaders import template

        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / args.scale
            generate(args.scale, args.seed, out)
            t = step("generate CSVs", t)
            tables = template.load(out)
            t = step("load template", t)
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in tables.counts().items()))
    G = graph_from_tables(tables)
    del tables
    t = step("graph_from_tables", t)
    print(f"graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges")

    t0 = time.perf_counter()
    a = analyse(G, place=args.place, as_of=args.as_of)
    total = time.perf_counter() - t0
    for k, v in a.timings.items():
        print(f"  analyse: {k:<18} {v:8.3f} s")
    print(f"{'analyse (total)':<28} {total:8.3f} s")
    tot = a.totals()
    print(f"  cells {tot['cells']:,}, unserved {tot['unserved_cells']:,}, overlaps {len(a.overlaps):,}, "
          f"cliffs {len(a.funding_cliffs):,}, critical {len(a.critical_providers):,}, "
          f"articulation points {len(a.articulation_points):,}")
    t = time.perf_counter()
    text = json.dumps(a.to_json_dict(), allow_nan=False)
    t = step("to_json_dict + dumps", t)
    print(f"  JSON {len(text) / 1e6:.1f} MB")
    f = findings(a)
    t = step("findings", t)
    print(f"  {len(f):,} findings")
    s = summary_text(a)
    t = step("summary_text", t)
    if args.summary:
        print(s)
    top = a.critical_providers["provider"].iloc[0] if len(a.critical_providers) else None
    if top is not None:
        r = run_scenario(G, remove_providers=[top], place=args.place, as_of=args.as_of)
        t = step(f"scenario (remove {top})", t)
        print(f"  unmet added {r.unmet_added:,.1f} (critical_providers says "
              f"{a.critical_providers['unmet_added'].iloc[0]:,.1f})")
    print(f"peak RSS {peak_rss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
