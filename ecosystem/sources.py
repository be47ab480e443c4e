"""What each source contributed, and taking one source back out.

Every node and relationship a load writes carries ``sources`` (the list of
sources that contribute it); each load also leaves a ``LoadRun``. From those:

- :func:`list_sources` — per source: its files, load runs, the rows per table
  of its latest load, when it was first and last loaded, and what it has in
  the store now (nodes per label, relationships per type).
- :func:`unload_preview` — exactly what :func:`unload` would take out: what
  only this source contributed goes; what other sources contribute too stays
  and merely forgets this source.
- :func:`unload` — does it, in one transaction (all or nothing).

A source cannot be unloaded while another source's relationships hang on
nodes only it contributed (another file's services delivered by its
organisations, say): :class:`UnloadBlocked` names them, so the user unloads
or reloads the other source first rather than losing part of it silently.
What it shares with other sources stays, recorded as theirs again (``source``
and ``load_run`` of the other source's latest load); property values it
wrote on a shared node stay as they are (no history of them is kept).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ecosystem.store import GraphStore
from queries import query

log = logging.getLogger(__name__)


class UnknownSource(KeyError):
    """No load of that source is in the store."""

    def __init__(self, source: str, known: list[str]):
        self.source, self.known = source, known
        hint = f"; sources in the store: {', '.join(known[:10])}" if known else "; the store has no sources"
        if len(known) > 10:
            hint += f" … and {len(known) - 10} more"
        super().__init__(f"no source named {source!r}{hint} (see `ecomap db sources`)")

    def __str__(self) -> str:
        return self.args[0]


class UnloadBlocked(RuntimeError):
    """Other sources' relationships depend on nodes only this source contributed."""

    def __init__(self, source: str, blockers: list[dict[str, Any]]):
        self.source, self.blockers = source, blockers
        parts = [f"{b['count']} {b['type']} from {b['other']!r}" for b in blockers[:5]]
        if len(blockers) > 5:
            parts.append(f"… and {len(blockers) - 5} more")
        others = sorted({b["other"] for b in blockers})
        super().__init__(
            f"cannot unload {source!r}: other sources' relationships use nodes only it contributed "
            f"({'; '.join(parts)}); unload {' and '.join(repr(o) for o in others)} first, or load those "
            f"nodes from another source")


def _counts(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return value
    try:
        out = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return out if isinstance(out, dict) else {}


def list_sources(store: GraphStore) -> list[dict[str, Any]]:
    """One record per source, sorted by name.

    Keys: ``source``, ``files`` (every path its loads named), ``runs`` (how
    many loads), ``run`` (the latest load run), ``format``, ``first_loaded``,
    ``last_loaded`` (ISO times), ``tables`` (rows per table of the latest
    load), ``nodes`` ({label: count} it contributes now), ``relationships``
    ({type: count}), ``only_nodes`` / ``only_relationships`` (how many of
    those no other source contributes: what an unload would delete).
    """
    runs = store.records("list_load_runs")
    by_source: dict[str, dict[str, Any]] = {}
    for r in sorted(runs, key=lambda r: (str(r.get("finished") or ""), str(r.get("id") or ""))):
        s = r.get("source")
        if s is None:
            continue
        rec = by_source.setdefault(s, {"source": s, "files": [], "runs": 0, "run": None, "format": None,
                                       "first_loaded": r.get("finished"), "last_loaded": None, "tables": {},
                                       "nodes": {}, "relationships": {}, "only_nodes": 0,
                                       "only_relationships": 0})
        rec["runs"] += 1
        rec["run"], rec["format"], rec["last_loaded"] = r.get("id"), r.get("format"), r.get("finished")
        rec["tables"] = {k: v for k, v in _counts(r.get("counts")).items() if v}
        for p in r.get("paths") or []:
            if p not in rec["files"]:
                rec["files"].append(p)
    for r in store.records("source_nodes"):
        rec = by_source.get(r["source"])
        if rec is None:  # data written by something other than an ecomap load: listed, never hidden
            rec = by_source.setdefault(r["source"], {"source": r["source"], "files": [], "runs": 0, "run": None,
                                                     "format": None, "first_loaded": None, "last_loaded": None,
                                                     "tables": {}, "nodes": {}, "relationships": {},
                                                     "only_nodes": 0, "only_relationships": 0})
        rec["nodes"][r["label"]] = int(r["count"])
        rec["only_nodes"] += int(r["only"])
    for r in store.records("source_relationships"):
        rec = by_source.get(r["source"])
        if rec is None:
            continue
        rec["relationships"][r["type"]] = int(r["count"])
        rec["only_relationships"] += int(r["only"])
    return [by_source[s] for s in sorted(by_source)]


def _find(store: GraphStore, source: str) -> dict[str, Any]:
    sources = list_sources(store)
    for rec in sources:
        if rec["source"] == source:
            return rec
    raise UnknownSource(source, [r["source"] for r in sources])


def unload_preview(store: GraphStore, source: str) -> dict[str, Any]:
    """What unloading ``source`` would do, without doing it.

    Returns ``{"source", "delete": {"nodes": {label: n}, "relationships": {type: n}},
    "release": {"nodes": {...}, "relationships": {...}}, "runs", "blockers"}``:
    ``delete`` is what only this source contributed (it goes), ``release``
    what other sources contribute too (it stays, without this source),
    ``blockers`` other sources' relationships that would be cut
    (``other``, ``type``, ``count``) — when there are any, :func:`unload` refuses.
    """
    rec = _find(store, source)
    delete: dict[str, dict[str, int]] = {"nodes": {}, "relationships": {}}
    release: dict[str, dict[str, int]] = {"nodes": {}, "relationships": {}}
    for r in store.records("source_nodes"):
        if r["source"] == source:
            if int(r["only"]):
                delete["nodes"][r["label"]] = int(r["only"])
            if int(r["count"]) - int(r["only"]):
                release["nodes"][r["label"]] = int(r["count"]) - int(r["only"])
    for r in store.records("source_relationships"):
        if r["source"] == source:
            if int(r["only"]):
                delete["relationships"][r["type"]] = int(r["only"])
            if int(r["count"]) - int(r["only"]):
                release["relationships"][r["type"]] = int(r["count"]) - int(r["only"])
    blockers = [{"other": b["other"], "type": b["type"], "count": int(b["count"])}
                for b in store.records("unload_blockers", {"source": source})]
    return {"source": source, "delete": delete, "release": release, "runs": rec["runs"], "files": rec["files"],
            "blockers": blockers}


def unload(store: GraphStore, source: str) -> dict[str, Any]:
    """Take ``source`` back out of the store, all or nothing; return what was done (as the preview)."""
    from ecosystem.pipeline import source_lock

    with source_lock(source):  # never while a load of the same source is writing
        return _unload(store, source)


def _unload(store: GraphStore, source: str) -> dict[str, Any]:
    preview = unload_preview(store, source)
    if preview["blockers"]:
        raise UnloadBlocked(source, preview["blockers"])
    latest = {r["source"]: r["run"] for r in list_sources(store) if r["source"] != source and r["run"]}
    params = {"source": source}
    with store.transaction() as tx:
        tx.run(query("unload_relationships").text, params).consume()
        tx.run(query("unload_nodes").text, params).consume()
        for other, run in sorted(latest.items()):  # what it wrote last goes back to the other source's last load
            for name in ("reassign_relationships", "reassign_nodes"):
                tx.run(query(name).text, {"source": source, "other": other, "run": run}).consume()
        for name in ("release_relationships", "release_nodes", "unload_load_runs"):
            tx.run(query(name).text, params).consume()
        # organisations placed through the source's postcodes or places are placed again without them
        from ecosystem.placement import place_organisations

        place_organisations(tx, source=f"unload of {source}", run=max(latest.values(), default=""))
        tx.run(query("update_roles").text).consume()
    log.info("unloaded source %s: %s", source, preview["delete"])
    _forget_cache()
    return preview


def _forget_cache() -> None:
    """Cached analyses are keyed by load runs; after taking runs out, drop them rather than risk a match."""
    try:
        from ecosystem.service import DiskCache, default_cache_dir

        cache = default_cache_dir()
        if cache is not None and cache.exists():
            DiskCache(cache).clear()
    except Exception as e:  # the cache is an optimisation: never fail an unload for it
        log.warning("could not clear the analysis cache: %s", e)
