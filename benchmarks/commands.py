"""Command benchmark: `ecomap report` and `ecomap scenario` at la scale, as a user runs them.

Generates and loads the la-scale synthetic folder into a new embedded store
(or uses ``--home DIR`` that already holds it, with ``--no-load``), then runs
each command in a new process, ``--repeat`` times, and prints each run's
seconds, the median and the fastest (a target is met when the median is within it):

* ``ecomap report --place SYN-LA0001 --out DIR --format html,md,csv`` — with
  ``ECOMAP_CACHE=off`` (pull and analysis every time) and with the cache warm
  (target ≤ 5 s);
* ``ecomap scenario --remove-provider P --place SYN-LA0001`` — P the
  provider with the most services — with the cache warm and off (target ≤ 2 s);
  and a scenario not run before (the next provider by services each time)
  (drawn at random) with the place's analysis already cached, as a person's first scenario
  after the dashboard or a report has shown the place; and, beside them,
  ``ecomap scenario --json`` with the cache off, which prints both analyses
  in full (no target: the readable summary is the command's main use);
* the first report and the first scenario after a load, once its background
  warm-up has finished: today's date, with nothing in the cache but what
  ``ecomap db warm`` prepared (the view the dashboard opens on and, when that
  is a country or region holding one authority, the authority's analysis);
* the baseline, in the same run: ``ecomap db status`` (starting Python,
  importing ecomap and reaching the running store), which every command pays.

Each line also gives the CPU seconds of the command's own process (not the
store's): on a busy machine the wall time is mostly waiting for a core, and
the CPU time is what the command itself costs.

The store is started once before timing, as it is on a machine where the
dashboard or an earlier command left it running.

    python benchmarks/commands.py [--home DIR --no-load] [--repeat 3] [--place SYN-LA0001]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2026-11-21"


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def run(cmd: list[str], env: dict[str, str], name: str | None = None) -> float:
    """Wall seconds of one command in a new process (its CPU seconds go to ``CPU[name]``)."""
    t, c = time.perf_counter(), _children_cpu()
    r = subprocess.run([sys.executable, "-m", "ecosystem", *cmd], env=env, capture_output=True, text=True)
    took = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stderr[-2000:]}")
    if name:
        CPU.setdefault(name, []).append(_children_cpu() - c)
    return took


#: marks a case timed as the first command after a load (see after_load)
AFTER_LOAD = "_after_load"


def after_load(home: pathlib.Path, cmd: list[str], env: dict[str, str], name: str) -> float:
    """Seconds of ``cmd`` with only what a load's warm-up (``ecomap db warm``) prepared in the cache.

    The warm cache of the other cases is set aside meanwhile and put back after.
    """
    cache, kept = home / "cache", home / "cache.kept"
    shutil.rmtree(kept, ignore_errors=True)
    if cache.exists():
        cache.rename(kept)
    try:
        run(["db", "warm", "--quiet"], env)
        return run(cmd, env, name)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if kept.exists():
            kept.rename(cache)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", help="ECOMAP_HOME of a store (default: a new temporary one)")
    ap.add_argument("--no-load", action="store_true", help="the store already holds the la-scale data")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--place", default="SYN-LA0001")
    args = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="ecomap-bench-cmd-"))
    home = pathlib.Path(args.home) if args.home else work / "home"
    env = {**os.environ, "ECOMAP_HOME": str(home)}
    env.pop("NEO4J_URI", None)
    try:
        if not args.no_load:
            from ecosystem.generate import generate

            generate("la", 1, work / "la")
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ecosystem", "load", str(work / "la"), "--source", "la"],
                           env=env, check=True, capture_output=True)
            print(f"load (not part of the target)   {time.perf_counter() - t:6.2f} s")
        run(["db", "status"], env)  # the store is running from here on
        counts: dict[str, int] = {}
        # the provider with the most services, as the store holds them (a home loaded earlier may have other ids)
        from ecosystem.store import GraphStore

        os.environ["ECOMAP_HOME"] = str(home)
        os.environ.pop("NEO4J_URI", None)
        with GraphStore.open(home) as store:
            for chunk in store.run("frames_services", {"chunk": 50_000})["chunk"]:
                for row in chunk:
                    counts[row[1]] = counts.get(row[1], 0) + 1
        ranked = sorted(counts, key=lambda p: (-counts[p], p))
        provider = ranked[0]
        # a provider not removed before, for each run of the "new scenario" case: drawn at random, as an
        # earlier run of this benchmark on the same home has the scenarios of the ones it drew in its cache
        others = ranked[1:]
        random.Random(time.time_ns()).shuffle(others)
        fresh = iter(others)
        out = work / "report"
        cases = [
            ("baseline: ecomap db status", ["db", "status"], {}),
            ("report, ECOMAP_CACHE=off", ["report", "--place", args.place, "--as-of", AS_OF, "--out", str(out),
                                           "--format", "html,md,csv"], {"ECOMAP_CACHE": "off"}),
            ("report, cache warm", ["report", "--place", args.place, "--as-of", AS_OF, "--out", str(out),
                                     "--format", "html,md,csv"], {}),
            ("scenario, ECOMAP_CACHE=off", ["scenario", "--remove-provider", provider, "--place", args.place,
                                             "--as-of", AS_OF], {"ECOMAP_CACHE": "off"}),
            ("scenario, cache warm", ["scenario", "--remove-provider", provider, "--place", args.place,
                                       "--as-of", AS_OF], {}),
            ("scenario, new; analysis cached", None, {}),
            # as a council's first commands after `ecomap load`, once its background warm-up has finished:
            # today's date (the commands' default), nothing in the cache but what `ecomap db warm` prepared
            ("report, first after a load (warm-up done)", ["report", "--place", args.place, "--out", str(out),
                                                            "--format", "html,md,csv"], {AFTER_LOAD: "1"}),
            ("scenario, first after a load (warm-up done)", ["scenario", "--remove-provider", provider, "--place",
                                                              args.place], {AFTER_LOAD: "1"}),
            ("scenario --json (both analyses in full), ECOMAP_CACHE=off",
             ["scenario", "--remove-provider", provider, "--place", args.place, "--as-of", AS_OF, "--json"],
             {"ECOMAP_CACHE": "off"}),
        ]
        # warm the disk cache for this data once
        run(cases[2][1], env)
        run(cases[4][1], env)
        times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for _ in range(args.repeat):  # interleaved, so a busy moment hits every case alike
            for name, cmd, extra in cases:
                if cmd is None:
                    cmd = ["scenario", "--remove-provider", next(fresh), "--place", args.place, "--as-of", AS_OF]
                if AFTER_LOAD in extra:
                    times[name].append(after_load(home, cmd, env, name))
                    continue
                times[name].append(run(cmd, {**env, **extra}, name))
        base = min(times[cases[0][0]])
        targets = {"report": 5.0, "scenario": 2.0}
        print(f"place {args.place}, provider removed {provider} ({counts[provider]} services), as of {AS_OF}")
        for name, ts in times.items():
            kind = name.split(",")[0]
            target = targets.get(kind)
            med = statistics.median(ts)
            verdict = "" if target is None else f"   target ≤ {target:.0f} s: {'met' if med <= target else 'MISSED'}"
            print(f"{name}\n{'':<32} " + ", ".join(f"{t:5.2f}" for t in ts) + f" s   median {statistics.median(ts):5.2f} s"
                  f"   fastest {min(ts):5.2f} s ({min(ts) / base:4.1f}x baseline){verdict}")
            print(f"{'':<32} CPU of the command's process: " + ", ".join(f"{c:5.2f}" for c in CPU[name]) + " s")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[2]:.1f} (15 min) "
              f"on {os.cpu_count()} cores")
    finally:
        if not args.home:
            subprocess.run([sys.executable, "-m", "ecosystem", "db", "stop"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
