"""OCDS compile benchmark: ``ocdsmerge`` (the reference implementation, used by the loader)
against ``ocdsmerge-rs`` (its Rust port), on the same compiled releases.

Builds ``--copies`` copies of the shared Contracts Finder 2025 package (100 releases, one
ocid each) and of the OCP fictional example (6 releases of one ocid), each copy under new
ocids, then compiles every process with both libraries from the release schema ecomap ships,
checks that they agree, and prints the time of each and the ratio (the reference is the
baseline). Run it twice: the machine is shared and timings are noisy.

    python benchmarks/ocds_merge.py [--copies 200]

``ocdsmerge-rs`` is not a dependency of ecomap: ``pip install ocdsmerge-rs`` to compare.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "ocds"
CF25 = DATA / "uk_contracts_finder_2025" / "contracts_finder_search_2025-01-20_to_2025-01-23_release_package.json"
FICTIONAL = DATA / "ocp_fictional_example_1.1" / "ocds-213czf-000-00001_release_package.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=200)
    args = ap.parse_args()

    from loaders import ocds

    cf = json.loads(CF25.read_text(encoding="utf-8"))["releases"]
    fic = json.loads(FICTIONAL.read_text(encoding="utf-8"))["releases"]
    groups = []
    for k in range(args.copies):
        groups.append([dict(r, ocid=f"{r['ocid']}-{k}") for r in fic])
        groups += [[dict(r, ocid=f"{r['ocid']}-{k}")] for r in cf]
    n_rel = sum(map(len, groups))

    t = time.perf_counter()
    ref = [ocds.compile_releases(g) for g in groups]
    t_ref = time.perf_counter() - t
    print(f"{len(groups)} processes, {n_rel} releases")
    print(f"ocdsmerge (baseline, as the loader runs it): {t_ref:.2f} s")
    try:
        rs_mod = importlib.import_module("ocdsmerge_rs")
    except ModuleNotFoundError:
        print("ocdsmerge-rs: not installed (pip install ocdsmerge-rs to compare)")
        return
    schema = json.loads(ocds.RELEASE_SCHEMA.read_text(encoding="utf-8"))
    merger = rs_mod.Merger(rules=rs_mod.Merger.get_rules(rs_mod.Merger.dereference(schema)))
    t = time.perf_counter()
    rs = [merger.create_compiled_release(sorted(g, key=ocds._date_key)) for g in groups]
    t_rs = time.perf_counter() - t
    print(f"ocdsmerge-rs: {t_rs:.2f} s; ratio to baseline {t_rs / t_ref:.2f} "
          f"({'faster' if t_rs < t_ref else 'slower'}); same compiled releases: {rs == ref}")


if __name__ == "__main__":
    main()
