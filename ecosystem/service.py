"""The application layer the CLI, dashboard and reports share.

:class:`Ecomap` wraps a :class:`~ecosystem.store.GraphStore` with what every
front end needs: the graph under a place, the analysis for (place, as_of,
scenario) cached until the next load, named scenarios kept in the store,
and findings written back for Neo4j Browser/Bloom users.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections import OrderedDict
from typing import Any

import networkx as nx

from ecosystem import analysis as an
from ecosystem.pull import pull_frames, pull_graph
from ecosystem.store import GraphStore

log = logging.getLogger(__name__)


def scenario_id(name: str) -> str:
    """A stable id for a scenario name (lower case, words joined by -)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not slug:
        raise ValueError("a scenario needs a name with at least one letter or digit")
    return slug[:80]


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def get_or_make(self, key, make):
        """The cached value for ``key``, made (outside the lock) and kept when missing."""
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


class Ecomap:
    """Graph, analysis and scenarios over one store, cached per data version."""

    def __init__(self, store: GraphStore, *, cache_size: int = 32):
        self.store = store
        self._graphs = _LRU(4)
        self._frames = _LRU(8)
        self._analyses = _LRU(cache_size)

    # ------------------------------------------------------------ versions
    def version(self) -> str:
        """Changes whenever a load (or a wipe) changes the data."""
        df = self.store.run("latest_load_run")
        if not len(df) or df.iloc[0]["id"] is None:
            return "empty"
        row = df.iloc[0]
        return f"{row['id']}#{row['runs']}"

    # ------------------------------------------------------------ graph
    def graph(self, place: str | None = None, *, version: str | None = None) -> nx.MultiDiGraph:
        version = version or self.version()
        return self._graphs.get_or_make((version, place), lambda: pull_graph(self.store, place=place))

    def frames(self, place: str | None = None, *, version: str | None = None):
        """The analysis tables for ``place`` (cached per data version)."""
        version = version or self.version()
        return self._frames.get_or_make((version, place), lambda: pull_frames(self.store, place=place))

    def names(self) -> dict[str, str]:
        """code or id -> name for places, categories, organisations and services."""
        from ecosystem.pull import _chunks

        return {k: v for k, v in _chunks(self.store, "display_names", {})}

    # ------------------------------------------------------------ analysis
    def analysis(self, place: str | None, as_of: dt.date, *, horizon: int = 6, oversupply: float = 1.5,
                 dependency_threshold: float = 0.5) -> an.Analysis:
        version = self.version()
        key = ("analysis", version, place, as_of, horizon, oversupply, dependency_threshold)
        return self._analyses.get_or_make(key, lambda: an.analyse_frames(
            self.frames(place, version=version), place=place, as_of=as_of, horizon=horizon,
            oversupply=oversupply, dependency_threshold=dependency_threshold))

    def run_scenario(self, options: an.ScenarioOptions) -> an.ScenarioResult:
        version = self.version()
        key = ("scenario", version, json.dumps(options.to_dict(), sort_keys=True, default=str))
        return self._analyses.get_or_make(key, lambda: an.run_options(self.frames(options.place, version=version),
                                                                       options))

    # ------------------------------------------------------------ named scenarios
    def save_scenario(self, name: str, options: an.ScenarioOptions) -> str:
        sid = scenario_id(name)
        result = self.run_scenario(options)
        opts = options.to_dict()
        opts["name"] = name
        summary = {"unmet_before": result.unmet_before, "unmet_after": result.unmet_after,
                   "unmet_added": result.unmet_added, "became_unserved": int(len(result.became_unserved)),
                   "new_cliffs": int(len(result.new_cliffs))}
        self.store.run("save_scenario", {
            "id": sid, "name": name, "options": json.dumps(opts, sort_keys=True),
            "summary": json.dumps(summary, sort_keys=True),
            "saved": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}, write=True)
        return sid

    def scenarios(self) -> list[dict[str, Any]]:
        out = []
        for r in self.store.records("list_scenarios"):
            out.append({"id": r["id"], "name": r["name"], "saved": r["saved"],
                        "options": json.loads(r["options"]), "summary": json.loads(r["summary"] or "{}")})
        return out

    def scenario_options(self, sid: str) -> an.ScenarioOptions:
        for s in self.scenarios():
            if s["id"] == sid:
                return an.ScenarioOptions.from_dict(s["options"])
        raise KeyError(sid)

    def delete_scenario(self, sid: str) -> None:
        self.store.run("delete_scenario", {"id": sid}, write=True)

    # ------------------------------------------------------------ write-back
    def write_findings(self, analysis: an.Analysis, *, max_per_kind: int | None = 2000) -> int:
        """Replace the :Finding nodes of this analysed scope with the analysis's findings.

        At most ``max_per_kind`` of each kind (the most important first), so
        an LA-wide service overlapping everything does not bury the rest.
        """
        from queries import query

        scope = analysis.place or "*"
        found = an.findings(analysis, max_per_kind=max_per_kind)
        nodes, links = [], {"places": [], "categories": [], "organisations": [], "services": []}
        for f in found:
            nodes.append({"id": f["id"], "scope": scope, "kind": f["kind"], "summary": f["summary"],
                          "place": f["place"], "category": f["category"], "as_of": f["as_of"],
                          "organisations": f["organisations"], "services": f["services"],
                          "figures": json.dumps(f["figures"], sort_keys=True, default=str)})
            if f["place"]:
                links["places"].append({"finding": f["id"], "target": f["place"]})
            if f["category"]:
                links["categories"].append({"finding": f["id"], "target": f["category"]})
            links["organisations"] += [{"finding": f["id"], "target": o} for o in f["organisations"]]
            links["services"] += [{"finding": f["id"], "target": s} for s in f["services"]]
        nodes = [{k: v for k, v in n.items() if v is not None} for n in nodes]
        with self.store.transaction() as tx:
            tx.run(query("delete_findings").text, {"scope": scope}).consume()
            for i in range(0, len(nodes), 5000):
                tx.run(query("write_findings").text, {"rows": nodes[i:i + 5000]}).consume()
            for name, rows in links.items():
                for i in range(0, len(rows), 5000):
                    tx.run(query(f"link_findings_{name}").text, {"rows": rows[i:i + 5000]}).consume()
        return len(nodes)
