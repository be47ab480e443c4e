"""Dashboard benchmark: server time of the main callbacks on the la-scale synthetic data.

Loads ``ecosystem.generate.generate("la", 1, out)`` into a store (or uses one
that already holds it: ``--home DIR`` with ``ECOMAP_HOME`` semantics,
``--no-load`` to skip loading), then times, in this process:

* the first load of ``/``: the page layout plus its first callback — target
  under 2 s — twice: with every cache cold (nothing computed yet for this
  data: the pull from the store and the analysis included), and as the
  first page of a new dashboard process on data it has shown before (memory
  caches empty, the disk cache of ``ECOMAP_HOME/cache`` holding the last
  pull and analysis, as after a restart);
* each main callback (overview, gaps, duplication, fragility, funding, network,
  scenario) over several views once warm, including the JSON encoding Dash
  does — target p95 under 250 ms.

    python benchmarks/dashboard.py [--home /tmp/ecomap-la] [--no-load] [--repeat 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

AS_OF = "2026-11-21"


def encode(out) -> int:
    import plotly.utils

    return len(json.dumps(out, cls=plotly.utils.PlotlyJSONEncoder))


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", help="ECOMAP_HOME of the store to use (default: a new temporary one)")
    ap.add_argument("--no-load", action="store_true", help="the store already holds the la-scale data")
    ap.add_argument("--repeat", type=int, default=20, help="warm calls per callback and view")
    args = ap.parse_args(argv)
    home = pathlib.Path(args.home or tempfile.mkdtemp(prefix="ecomap-bench-dash-"))
    os.environ["ECOMAP_HOME"] = str(home)

    from ecosystem.store import GraphStore

    store = GraphStore.open()
    if not args.no_load:
        from ecosystem import pipeline
        from ecosystem.generate import generate

        out = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-la-"))
        generate("la", 1, out)
        store.ensure_schema()
        t = time.perf_counter()
        pipeline.load(store, [out], fmt="template", source="la-synthetic")
        print(f"load la-scale data (not a target)            {time.perf_counter() - t:8.1f} s", flush=True)

    from dashboard import state
    from dashboard.app import create_app
    from ecosystem.service import Ecomap

    cache_dir = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-bench-cache-"))
    create_app(Ecomap(store, cache_dir=cache_dir))
    from dashboard.pages import duplication, fragility, funding, gaps, network, overview, scenario

    places = state.place_table()
    root = state.default_place(places)
    las = places[places["level"] == "la"]["code"].tolist()
    place = las[0] if las else root
    print(f"place {place} ({len(places)} places)", flush=True)

    def first_load(label: str) -> bool:
        """Layout of "/", then its first callback, as a browser's first request does."""
        state.configure(Ecomap(store, cache_dir=cache_dir))  # a new process: memory caches empty
        t = time.perf_counter()
        overview.layout(place=place, as_of=AS_OF)
        t_layout = time.perf_counter() - t
        *body, msg = overview.update(place, None, AS_OF, "", "unmet")
        encode(body)
        took = time.perf_counter() - t
        if msg is not None:
            print("overview failed:", msg)
            return False
        print(f"first load of / {label:<38} {took:6.2f} s (layout {t_layout:.2f} s)   target < 2 s", flush=True)
        return True

    if not first_load("(every cache cold, pull + analysis)") or not first_load("(new process, disk cache warm)"):
        return 1

    res = state.analysis_for(state.make_view(place, None, AS_OF)[0])
    cats = sorted(res.names.categories)[:3]
    providers = res.analysis.critical_providers["provider"].head(1).tolist()
    calls = {
        "overview": lambda c: overview.update(place, c, AS_OF, "", "unmet"),
        "gaps": lambda c: gaps.update(place, c, AS_OF, ""),
        "duplication": lambda c: duplication.update(place, c, AS_OF, ""),
        "fragility": lambda c: fragility.update(place, c, AS_OF, ""),
        "funding": lambda c: funding.update(place, c, AS_OF),
        "network": lambda c: network.update(place, c, AS_OF, None),
        "scenario": lambda c: scenario.run(1, place, c, AS_OF, "", providers, [], [], [], trigger="scenario-run"),
    }
    print(f"{'callback':<14}{'first':>9}{'p50':>9}{'p95':>9}{'max':>9}   (ms, warm: {args.repeat} calls × "
          f"{len(cats) + 1} views)", flush=True)
    worst = 0.0
    for name, fn in calls.items():
        firsts, times = [], []
        for c in [None] + cats:
            t = time.perf_counter()
            out = fn(c)
            encode(out)
            firsts.append(time.perf_counter() - t)
            if out[-1] is not None and name != "network":
                print(f"  {name} view {c}: {out[-1]}")
            for _ in range(args.repeat):
                t = time.perf_counter()
                encode(fn(c))
                times.append(time.perf_counter() - t)
        worst = max(worst, p95(times))
        print(f"{name:<14}{max(firsts) * 1000:9.0f}{statistics.median(times) * 1000:9.0f}{p95(times) * 1000:9.0f}"
              f"{max(times) * 1000:9.0f}", flush=True)
    print(f"worst warm p95: {worst * 1000:.0f} ms   target < 250 ms", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
