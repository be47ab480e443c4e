"""Gather everything a gap report shows into one JSON-ready document.

:func:`build` asks the application layer (:class:`~ecosystem.service.Ecomap`)
for the analysis of a place on a date and adds what a reader needs to trust
and act on it: names for every code, the funding-cliff outlook at 3, 6 and
12 months, the services and providers active in the place, the sources and
load runs behind the data, the thresholds used, and any workshop notes and
actions. The document is what ``report.json`` holds, and the next scheduled
run reads it back to say what changed (:func:`ecosystem.report.compare`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import pathlib
from typing import Any, Callable

import networkx as nx
import orjson

from ecosystem import analysis as an
from ecosystem import model as m
from ecosystem.analysis._tables import records

log = logging.getLogger(__name__)

#: bumped when report.json changes shape in a way older readers cannot follow
FORMAT_VERSION = 1
#: months ahead for the funding-cliff outlook on the summary page
CLIFF_BANDS = (3, 6, 12)
#: default change in unmet people a year (per leaf and category) worth reporting
UNMET_THRESHOLD = 10.0


class ReportError(ValueError):
    """The report cannot be made as asked (unknown place, unreadable previous report)."""


@dataclasses.dataclass
class Report:
    """A built report: ``doc`` (what ``report.json`` holds) and the place boundaries for the map.

    ``boundaries`` maps leaf codes to GeoJSON geometries (dicts); it is not
    saved in ``report.json`` (it can be large and the next run does not
    need it).
    """

    doc: dict[str, Any]
    boundaries: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def names(self) -> dict[str, dict[str, str]]:
        return self.doc["names"]


def _tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("ecomap")
    except Exception:  # not installed as a distribution (running from a checkout)
        return "unknown"


def _names_in(app, frames: an.Frames) -> dict[str, dict[str, str]]:
    """The names of the place's graph, from the store's names for the ids of its tables (no graph is pulled).

    Every category; the places, organisations and services of ``frames``
    (the same nodes as the graph of the place: tested).
    """
    keep = {"places": set(map(str, frames.places["code"])), "organisations": set(map(str, frames.organisations)),
            "services": set(map(str, frames.services["service"]))}
    return {kind: dict(sorted((k, v) for k, v in names.items() if kind not in keep or k in keep[kind]))
            for kind, names in app.names_by_kind().items()}


def place_names(app, place: str | None, tree: nx.DiGraph, frames: an.Frames, version: str) -> dict[str, dict[str, str]]:
    """``places``, ``categories``, ``organisations``, ``services``: code → name for a report of ``place``.

    The names of the place's graph, kept per data version (a new process
    reads them instead of pulling the graph), and the places above it.
    A new dict each time: the caller may add to it.
    """
    names = {k: dict(v) for k, v in app.memo(("report-names", place), lambda: _names_in(app, frames),
                                             version=version, kind=dict).items()}
    for code in tree.nodes:  # places above the chosen one are named too
        if tree.nodes[code].get("name"):
            names["places"].setdefault(str(code), str(tree.nodes[code]["name"]))
    return names


def _load_runs(store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every load run newest first, the latest complete run of each source)."""
    runs = []
    for r in store.records("list_load_runs"):
        counts = r.get("counts")
        if isinstance(counts, str):
            try:
                counts = json.loads(counts)
            except ValueError:
                counts = None
        runs.append({"run": r.get("id"), "source": r.get("source"), "format": r.get("format"),
                     "paths": list(r.get("paths") or []), "started": r.get("started"),
                     "finished": r.get("finished"), "status": r.get("status"), "counts": counts or {},
                     "warnings": len(r.get("warnings") or [])})
    latest: dict[str, dict[str, Any]] = {}
    for r in runs:
        if r["status"] in (None, "complete"):
            latest.setdefault(r["source"], r)
    sources = [latest[s] for s in sorted(latest, key=str)]
    return runs, sources


def _workshop(store, scope_keys: set[str] | None) -> dict[str, Any]:
    """Notes, votes and actions recorded in workshops that concern this place.

    Fed by the ``report_notes`` and ``report_actions`` queries; both return
    nothing until the workshop feature stores Note and Action nodes. A
    record belongs to the report when it concerns (CONCERNS) something in
    scope, or its ``place`` property is in scope; every record when the
    report covers every place.
    """
    import neo4j

    out: dict[str, Any] = {"notes": [], "actions": [], "error": None}
    for kind, name in (("notes", "report_notes"), ("actions", "report_actions")):
        try:
            rows = store.records(name)
        except neo4j.exceptions.Neo4jError as e:  # e.g. a store that has never seen the label
            log.warning("could not read workshop %s: %s", kind, e)
            out["error"] = f"could not read workshop {kind}: {e}"
            continue
        for r in rows:
            props = {k: _jsonable(v) for k, v in (r.get("properties") or {}).items()
                     if k not in ("source", "load_run")}
            concerns = sorted({str(c) for c in (r.get("concerns") or []) if c is not None})
            if scope_keys is not None:
                here = set(concerns) | ({str(props["place"])} if props.get("place") else set())
                if not here & scope_keys:
                    continue
            out[kind].append({"id": r.get("id"), "concerns": concerns, **{k: v for k, v in props.items()
                                                                         if k != "id"}})
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if hasattr(v, "iso_format"):
        return v.iso_format()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _boundaries(store, codes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not codes:
        return out
    for r in store.records("place_boundaries", {"codes": codes}):
        text = r.get("boundary")
        try:
            geom = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            log.warning("place %s has a boundary that is not GeoJSON; left off the map", r.get("code"))
            continue
        if isinstance(geom, dict) and geom.get("type") == "Feature":
            geom = geom.get("geometry")
        if isinstance(geom, dict) and geom.get("type") in ("Polygon", "MultiPolygon"):
            out[str(r["code"])] = geom
    return out


def cliff_outlook(cliffs: list[dict[str, Any]], as_of: dt.date, horizon: int,
                  context: Callable[[], Any]) -> list[dict[str, Any]]:
    """Funding cliffs ending within 12 months, each with ``within_months`` (3, 6 or 12).

    ``cliffs``: the analysis's cliffs at ``horizon`` months (reused when the
    horizon is already 12). A longer horizon's cliffs are a superset: the
    successor test does not depend on it. ``context``: gives the place's
    prepared tables on ``as_of`` (:meth:`ecosystem.service.Ecomap.context`),
    asked for only when a longer horizon is needed.
    """
    from ecosystem.analysis.fragility import funding_cliffs_from

    outlook_h = max(max(CLIFF_BANDS), int(horizon))
    wide = cliffs if outlook_h == horizon else records(funding_cliffs_from(context(), horizon=outlook_h))
    limits = {b: m.add_months(as_of, b) for b in CLIFF_BANDS}
    outlook = []
    for r in wide:
        end = dt.date.fromisoformat(r["end"])
        within = next((b for b in CLIFF_BANDS if end <= limits[b]), None)
        if within is not None:
            outlook.append({**r, "within_months": within})
    return outlook


def kept_outlook(app, cliffs: list[dict[str, Any]], place: str | None, as_of: dt.date, horizon: int, *,
                 version: str | None = None) -> list[dict[str, Any]]:
    """:func:`cliff_outlook`, kept per data version like the analyses (its 12-month cliffs need the place's
    prepared tables, which the analysis just made, or from the disk cache makes again). New dicts each time."""
    rows = app.memo(("cliff-outlook", place, as_of.isoformat(), int(horizon)),
                    lambda: cliff_outlook(cliffs, as_of, horizon, lambda: app.context(place, as_of, version=version)),
                    version=version, kind=list)
    return [dict(r) for r in rows]


def analysis_dict(a: an.Analysis) -> dict[str, Any]:
    """``a.to_json_dict()``, made from the streamed JSON (:meth:`~ecosystem.analysis.Analysis.write_json`),
    with the overlapping pairs left as a :class:`~ecosystem.analysis._json.TableRecords` over their table.

    Equal to ``to_json_dict()``, built in a fraction of the time: a local
    authority's overlapping pairs run to six figures (195,088 at la scale),
    and parsed into dicts, encoded again into ``report.json`` and read a
    row at a time for ``overlaps.csv`` they took 0.8 s of a 5.5 s report.
    """
    from ecosystem.analysis._json import TableRecords, write_json

    items = a.json_items()
    buf = io.BytesIO()
    write_json([(k, v) for k, v in items if k != "overlaps"], buf)
    parsed = orjson.loads(buf.getvalue())
    return {k: TableRecords(v) if k == "overlaps" else parsed[k] for k, v in items}


def build(app, place: str | None, as_of: dt.date, *, horizon: int = 6, oversupply: float = 1.5,
          dependency_threshold: float = 0.5, unmet_threshold: float = UNMET_THRESHOLD,
          generated: dt.datetime | None = None) -> Report:
    """Build the gap report of ``place`` (``None``: every place) on ``as_of``.

    Parameters
    ----------
    app : ecosystem.service.Ecomap
        The application layer over an open store; only read from.
    place : str or None
        Code of the place; a higher place stands for all the leaves beneath it.
    as_of : datetime.date
    horizon, oversupply, dependency_threshold
        As for ``ecomap analyse``: the report's ``analysis`` is exactly the
        ``ecomap analyse --json`` object for the same options.
    unmet_threshold : float
        Change in unmet people a year per cell that the change section lists.
    generated : datetime, optional
        Time stamp of the report (default: now, UTC).

    Returns
    -------
    Report
        ``doc`` keys: ``format_version``, ``generated``, ``tool_version``,
        ``place``, ``place_name``, ``as_of``, ``options``, ``analysis``,
        ``cliff_outlook`` (cliffs ending within 12 months, each with
        ``within_months``: 3, 6 or 12), ``leaves``, ``active`` (``services``
        and ``providers`` active in the place), ``names`` (code → name for
        places, categories, organisations, services), ``data`` (store
        kind, data version, ``sources``: the latest load of each source,
        ``load_runs``), ``workshop`` (``notes``, ``actions``), ``changes``
        and ``previous`` (``None`` until :func:`ecosystem.report.compare`
        fills them).
    """
    from ecosystem.pull import place_tree

    store = app.store
    version = app.version()
    latest = store.run("latest_load_run")
    if not len(latest) or not int(latest.iloc[0]["runs"] or 0):
        raise ReportError("the store holds no data: load some first (`ecomap load PATH` or `ecomap demo`)")
    tree = place_tree(store)
    if place is not None and place not in tree:
        raise ReportError(f"--place {place!r}: no such place in the store (see `ecomap query pull_places`)")

    a = app.analysis(place, as_of, horizon=horizon, oversupply=oversupply,
                     dependency_threshold=dependency_threshold, version=version)
    frames = app.frames(place, version=version)
    names = place_names(app, place, tree, frames, version)

    analysis = analysis_dict(a)
    outlook = kept_outlook(app, analysis["funding_cliffs"], place, as_of, horizon, version=version)

    if place is None:
        leaves = sorted({str(c) for c in tree.nodes if tree.in_degree(c) == 0}, key=str)
    else:
        leaves = sorted({str(c) for c in nx.ancestors(tree, place) if tree.in_degree(c) == 0} or {place}, key=str)
    prov = a.provision
    active = {"services": sorted({str(s) for s in prov["service"].dropna()}),
              "providers": sorted({str(p) for p in prov["provider"].dropna()})}

    if place is None:
        scope_keys = None
    else:
        scope_keys = ({place} | set(leaves) | {str(c) for c in nx.ancestors(tree, place)}
                      | set(active["services"]) | set(active["providers"])
                      | {r["category"] for r in analysis["coverage"]})
    runs, sources = _load_runs(store)
    generated = generated or dt.datetime.now(dt.timezone.utc)
    doc = {
        "format_version": FORMAT_VERSION,
        "generated": generated.isoformat(timespec="seconds"),
        "tool_version": _tool_version(),
        "place": place,
        "place_name": names["places"].get(place) if place else "every place",
        "as_of": as_of.isoformat(),
        "options": {"horizon": int(horizon), "oversupply": float(oversupply),
                    "dependency_threshold": float(dependency_threshold), "unmet_threshold": float(unmet_threshold),
                    "cliff_bands": list(CLIFF_BANDS), "concentrated_hhi": 2500.0, "overlap_share": 0.5,
                    "short_term_months": 12},
        "analysis": analysis,
        "cliff_outlook": outlook,
        "leaves": leaves,
        "active": active,
        "names": names,
        "data": {"store": store.kind, "location": store.location, "version": version, "sources": sources,
                 "load_runs": runs},
        "workshop": _workshop(store, scope_keys),
        "changes": None,
        "previous": None,
    }
    return Report(doc=doc, boundaries=_boundaries(store, leaves))


def read_previous(path: str | pathlib.Path) -> dict[str, Any]:
    """The ``report.json`` of an earlier run (``path``: its folder or the file itself)."""
    p = pathlib.Path(path)
    f = p / "report.json" if p.is_dir() else p
    if not f.exists():
        raise ReportError(f"--previous {path}: no report.json there (the folder an earlier `ecomap report "
                          f"--out` wrote)")
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ReportError(f"--previous {f}: not a readable report.json ({e})") from None
    if not isinstance(doc, dict) or "analysis" not in doc or "as_of" not in doc:
        raise ReportError(f"--previous {f}: not an ecomap report.json (no analysis or as_of)")
    if int(doc.get("format_version", 0)) > FORMAT_VERSION:
        raise ReportError(f"--previous {f}: written by a newer ecomap (report format "
                          f"{doc.get('format_version')}); upgrade to compare with it")
    return doc
