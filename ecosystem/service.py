"""The application layer the CLI, dashboard and reports share.

:class:`Ecomap` wraps a :class:`~ecosystem.store.GraphStore` with what every
front end needs: the graph under a place, the analysis for (place, as_of,
scenario) cached until the next load, named scenarios kept in the store,
and findings written back for Neo4j Browser/Bloom users.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import pathlib
import pickle
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from typing import Any, Callable, Iterable

import networkx as nx
import pandas as pd

from ecosystem import analysis as an
from ecosystem.pull import pull_frames, pull_graph
from ecosystem.store import GraphStore

log = logging.getLogger(__name__)

#: the data versions read in this context (see :func:`one_version`); None outside one
_VERSIONS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("ecomap_versions", default=None)


def one_version(on: bool = True) -> None:
    """From now on in this context (a request's), :meth:`Ecomap.version` asks the store once and again only
    after a write from this process; ``on=False`` ends that. Loads by another process show from the next
    request on."""
    _VERSIONS.set({} if on else None)


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
        self.making: dict = {}
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
        """The cached value for ``key``, made (outside the lock) and kept when missing.

        Threads asking for a key that another thread is making wait for it
        rather than making it again (the dashboard's start-up warm-up and
        the first page opened ask for the same analysis).
        """
        while True:
            with self.lock:
                if key in self.data:
                    self.data.move_to_end(key)
                    return self.data[key]
                pending = self.making.get(key)
                if pending is None:
                    pending = self.making[key] = threading.Event()
                    break
            pending.wait()
            # made (or failed) elsewhere: look again, and make it here if it failed
        try:
            value = make()
            self.put(key, value)
            return value
        finally:
            with self.lock:
                self.making.pop(key, None)
            pending.set()

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


#: bumped when the shape of what is cached changes (pulled tables, analyses), so an upgraded ecomap never
#: unpickles tables of an older shape: 2 = funding frames carry beneficiary places and assumed ends;
#: 3 = analyses carry the duplication summary tables; 4 = analyses count the unplaced;
#: 5 = frames carry sectors and procurements, analyses the market tables
CACHE_FORMAT = 5


def _code_fingerprint() -> str:
    """A hash of the code that shapes what is cached (the pull, the model, the analysis, this module).

    Part of every cache folder's name, so a cache written by another build of
    ecomap is never read back, even when nobody remembered to bump
    :data:`CACHE_FORMAT` (an old pickled analysis can lack a newer attribute).
    """
    here = pathlib.Path(__file__).resolve().parent
    files = sorted([*(here / "analysis").glob("*.py"), here / "pull.py", here / "model.py", here / "graph.py",
                    here / "service.py"])
    h = hashlib.sha256()
    for f in files:
        with contextlib.suppress(OSError):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


CODE_FINGERPRINT = _code_fingerprint()


class DiskCache:
    """Values kept on disk between processes, one folder per data version.

    Each value is pickled to ``<root>/<version>/<key hash>.pkl`` (folders
    0700, files 0600, written atomically). Storing under a new version
    removes the folders of older ones, so a load invalidates everything; at
    most ``limit`` values are kept per version (the least recently used go).
    The folder lives in ``ECOMAP_HOME`` beside the store's password, so it
    is trusted exactly as much as the store itself.
    """

    def __init__(self, root: pathlib.Path, *, limit: int = 64):
        self.root = pathlib.Path(root)
        self.limit = limit

    def _folder(self, version: str) -> pathlib.Path:
        return self.root / hashlib.sha256(f"{CACHE_FORMAT}|{CODE_FINGERPRINT}|{version}".encode()).hexdigest()[:24]

    @staticmethod
    def _name(key: Any) -> str:
        return hashlib.sha256(repr(key).encode()).hexdigest()[:32] + ".pkl"

    def get(self, version: str, key: Any) -> Any:
        path = self._folder(version) / self._name(key)
        try:
            with open(path, "rb") as fh:
                value = pickle.load(fh)
            os.utime(path)
            return value
        except (FileNotFoundError, NotADirectoryError):  # NotADirectory: something made ``cache`` a file
            return None
        except Exception as e:  # a damaged or foreign file (or a folder in its place) is recomputed, never fatal
            log.warning("ignoring unreadable cache file %s: %s", path, e)
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            return None

    def put(self, version: str, key: Any, value: Any) -> None:
        folder = self._folder(version)
        try:
            self.ensure_root()
            if folder.exists() and not folder.is_dir():
                folder.unlink()
            for old in self.root.iterdir():
                if old.is_dir() and old != folder:
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / self._name(key))
            kept = sorted(folder.glob("*.pkl"), key=lambda f: f.stat().st_mtime)
            for f in kept[:max(0, len(kept) - self.limit)]:
                f.unlink(missing_ok=True)
        except OSError as e:  # a full or read-only disk costs speed, not correctness
            log.warning("could not write the analysis cache in %s: %s", folder, e)

    def ensure_root(self) -> pathlib.Path:
        """The cache folder, made (0700) if missing; a file where the folder should be is replaced."""
        if (self.root.exists() or self.root.is_symlink()) and not self.root.is_dir():
            log.warning("replacing %s (a file where the cache folder should be)", self.root)
            self.root.unlink()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.root

    def clear(self) -> None:
        if self.root.is_dir() and not self.root.is_symlink():
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                self.root.unlink()


def default_cache_dir() -> pathlib.Path | None:
    """``<ECOMAP_HOME>/cache``: where the dashboard, CLI and reports keep pulled tables and analyses.

    ``None`` (no disk cache) when the environment sets ``ECOMAP_CACHE=off``:
    the cache is keyed by ecomap's load runs, so a store edited by other
    means (Neo4j Browser, say) is only seen afresh after the next load.
    """
    from ecosystem.server import default_home

    if os.environ.get("ECOMAP_CACHE", "").strip().lower() in ("off", "0", "no", "false"):
        return None
    return default_home() / "cache"


class Ecomap:
    """Graph, analysis and scenarios over one store, cached per data version.

    ``cache_dir``: also keep pulled tables and analyses on disk there (see
    :class:`DiskCache`), so a new process (the dashboard started again, the
    next ``ecomap analyse``) starts warm until the next load.
    """

    def __init__(self, store: GraphStore, *, cache_size: int = 32, cache_dir: pathlib.Path | str | None = None):
        self.store = store
        self._graphs = _LRU(4)
        self._frames = _LRU(8)
        self._analyses = _LRU(cache_size)
        self._derived = _LRU(cache_size)
        self._disk = DiskCache(pathlib.Path(cache_dir)) if cache_dir is not None else None
        self._context = None  # the last view's prepared tables (see context())

    def _cached(self, lru: _LRU, version: str, key: tuple, make, kind: type | tuple[type, ...] | None = None,
                to_disk: Callable[[Any], Any] | None = None, from_disk: Callable[[Any], Any] | None = None):
        """``lru``'s value for ``key``, else the disk cache's, else ``make()`` (kept in both).

        A disk entry that is not of ``kind`` (a foreign or damaged file that still unpickles) is made again.
        ``to_disk`` gives what is written for a value (without what can be had from elsewhere), ``from_disk``
        the value again from what was written.
        """
        def from_disk_or_make():
            if self._disk is None:
                return make()
            value = self._disk.get(version, key)
            if value is not None and kind is not None and not isinstance(value, kind):
                log.warning("ignoring a cache entry of the wrong type (%s) for %s", type(value).__name__, key[0])
                value = None
            if value is not None and from_disk is not None:
                value = from_disk(value)
            if value is None:
                value = make()
                self._disk.put(version, key, value if to_disk is None else to_disk(value))
            return value

        return lru.get_or_make((version, *key), from_disk_or_make)

    # ------------------------------------------------------------ versions
    def version(self) -> str:
        """Changes whenever a load (or a wipe) changes the data.

        Within :func:`one_version` (a dashboard request) the store is asked once, and again only after
        this process has written to it: one answer built of several cached parts asked for it each time."""
        memo = _VERSIONS.get()
        key = (id(self), getattr(self.store, "writes", None))
        if memo is not None and key[1] is not None and key in memo:
            return memo[key]
        df = self.store.run("latest_load_run")
        if not len(df) or df.iloc[0]["id"] is None:
            version = "empty"
        else:
            row = df.iloc[0]
            version = f"{row['id']}#{row['runs']}"
        if memo is not None:
            memo[key] = version
        return version

    # ------------------------------------------------------------ graph
    def graph(self, place: str | None = None, *, version: str | None = None) -> nx.MultiDiGraph:
        version = version or self.version()
        return self._cached(self._graphs, version, ("graph", place), lambda: pull_graph(self.store, place=place),
                            kind=nx.MultiDiGraph)

    def frames(self, place: str | None = None, *, version: str | None = None):
        """The analysis tables for ``place`` (cached per data version)."""
        version = version or self.version()
        return self._cached(self._frames, version, ("frames", place), lambda: pull_frames(self.store, place=place),
                            kind=an.Frames)

    def memo(self, key: tuple, make, *, version: str | None = None, kind: type | tuple[type, ...] | None = None):
        """``make()``, kept in memory and on disk for this data version like the analyses are.

        For small values derived from the big ones (the names of a place's
        graph, say), so that a new process reads them instead of the graph.
        ``key`` starts with a name of its own (not ``graph``, ``frames`` or
        ``analysis``). Treat the value as read-only: it is shared.
        """
        version = version or self.version()
        return self._cached(self._derived, version, ("memo", *key), make, kind=kind)

    def names(self) -> dict[str, str]:
        """code or id -> name for places, categories, organisations and services."""
        return {key: name for _kind, key, name in self._name_rows()}

    def names_by_kind(self) -> dict[str, dict[str, str]]:
        """``places``, ``categories``, ``organisations``, ``services``: each code or id -> name."""
        out: dict[str, dict[str, str]] = {"places": {}, "categories": {}, "organisations": {}, "services": {}}
        for kind, key, name in self._name_rows():
            if key is not None and name and kind in out:
                out[kind][str(key)] = str(name)
        return out

    def _name_rows(self):
        from ecosystem.pull import _chunks

        return _chunks(self.store, "names_by_kind", {})

    def default_place(self) -> str | None:
        """The place a view naming none shows: the only top-level place, else ``None`` (every place)."""
        from ecosystem.pull import place_tree

        return _top_of(place_tree(self.store))

    def _first_places(self) -> tuple[str | None, str | None]:
        """:meth:`default_place` and :meth:`authority_place`, from one read of the place tree."""
        from ecosystem.pull import place_tree

        tree = place_tree(self.store)
        top = _top_of(tree)
        return top, _authority_under(tree, top)

    def authority_place(self) -> str | None:
        """The one authority beneath the dashboard's first view: a council's own, when its data also holds
        the region and country above it (country → region → authority → wards).

        Found by walking down from the only top-level place while a place
        holds exactly one place, to a place holding only leaves: the place a
        council's reports and scenarios name. ``None`` when the first view
        is already that place, when a place on the way holds several (a
        region of two authorities), or when there is no single top-level place.
        """
        return self._first_places()[1]

    def prepare_view(self, place: str | None = None, as_of: dt.date | None = None
                     ) -> tuple[str | None, dt.date, str | None]:
        """Compute (and keep, in memory and on disk) the analysis of a view and its market trend ahead of its first showing.

        Default: the view the dashboard opens on (the only top-level place,
        today), and then the analysis of :meth:`authority_place` too, which
        is returned third (``None`` when there is none, or ``place`` was given).
        """
        from ecosystem.analysis.market import trend_dates

        also = None
        if place is None:
            place, also = self._first_places()
        as_of = as_of or dt.date.today()
        self.analysis(place, as_of)
        self.series(place, trend_dates(as_of))  # the market page's trend
        if also is not None:
            self.analysis(also, as_of)
        return place, as_of, also

    # ------------------------------------------------------------ analysis
    def analysis(self, place: str | None, as_of: dt.date, *, horizon: int = 6, oversupply: float = 1.5,
                 dependency_threshold: float = 0.5, version: str | None = None) -> an.Analysis:
        """The analysis of a view, cached per data version (``version``: the one the caller already read)."""
        version = version or self.version()
        key = _analysis_key(place, as_of, horizon, oversupply, dependency_threshold)

        def make() -> an.Analysis:
            ctx = self.context(place, as_of, version=version)
            return an.analyse_frames(ctx.frames, place=place, as_of=as_of, horizon=horizon, oversupply=oversupply,
                                     dependency_threshold=dependency_threshold, context=ctx)

        return self._cached(self._analyses, version, key, make, kind=an.Analysis)

    def context(self, place: str | None, as_of: dt.date, *, version: str | None = None):
        """The prepared tables of a view (:func:`ecosystem.analysis._tables.prepare` of its frames).

        The last one made is kept in memory, so that what is worked out beside
        an analysis (a report's 12-month cliff outlook) does not prepare the
        place's tables a second time: 0.15–0.2 s at la scale. Read-only.
        """
        from ecosystem.analysis._tables import prepare

        frames = self.frames(place, version=version or self.version())  # a new version's frames are new ones
        kept = self._context
        if kept is not None and kept.made_from(frames, place, as_of):
            return kept
        self._context = ctx = prepare(frames, place=place, as_of=as_of)
        return ctx

    def series(self, place: str | None, dates: Iterable[dt.date], *, category: str | None = None,
               horizon: int = 6, oversupply: float = 1.5) -> pd.DataFrame:
        """The headline figures at each of ``dates`` (:func:`ecosystem.analysis.series`), from one pull.

        Cached per data version like :meth:`analysis`.
        """
        version = self.version()
        dates = [an._tables.as_date(d) for d in dates]
        key = ("series", place, tuple(d.isoformat() for d in dates), category, horizon, oversupply)
        return self._cached(self._analyses, version, key, lambda: an.series(
            self.frames(place, version=version), dates, place=place, category=category, horizon=horizon,
            oversupply=oversupply), kind=pd.DataFrame)

    def run_scenario(self, options: an.ScenarioOptions) -> an.ScenarioResult:
        version = self.version()
        key = ("scenario", json.dumps(options.to_dict(), sort_keys=True, default=str))

        def baseline() -> an.Analysis:  # the cached analysis of the unchanged data: a scenario costs one more
            return self.analysis(options.place, options.as_of, horizon=options.horizon, oversupply=options.oversupply,
                                 dependency_threshold=options.dependency_threshold, version=version)

        # on disk without its baseline, which is the place's analysis, cached beside it: half the bytes to write
        return self._cached(self._analyses, version, key,
                            lambda: an.run_options(self.frames(options.place, version=version), options,
                                                   baseline=baseline),
                            kind=an.ScenarioResult,
                            to_disk=lambda r: dataclasses.replace(r, baseline=None),
                            from_disk=lambda r: dataclasses.replace(r, baseline=r.baseline or baseline()))

    def scenario_diff(self, options: an.ScenarioOptions) -> an.ScenarioDiff:
        """What a scenario changes, without its two full analyses (:func:`~ecosystem.analysis.diff_options`).

        What ``ecomap scenario`` prints and a saved scenario's summary hold.
        Its baseline parts come from the place's analysis when this process
        or the disk cache already holds it, and are computed alone otherwise.
        """
        version = self.version()
        opts_key = json.dumps(options.to_dict(), sort_keys=True, default=str)
        base_key = _analysis_key(options.place, options.as_of, options.horizon, options.oversupply,
                                 options.dependency_threshold)

        def make() -> an.ScenarioDiff:
            full = self._analyses.get((version, "scenario", opts_key))  # run in this process (the dashboard)
            if isinstance(full, an.ScenarioResult):
                return full.diff()
            return an.diff_options(self.frames(options.place, version=version), options,
                                   baseline=lambda: self._peek(self._analyses, version, base_key, kind=an.Analysis))

        return self._cached(self._analyses, version, ("scenario-diff", opts_key), make, kind=an.ScenarioDiff)

    def _peek(self, lru: _LRU, version: str, key: tuple, *, kind: type):
        """``lru``'s or the disk cache's value for ``key`` if either holds one, else None (nothing is made)."""
        value = lru.get((version, *key))
        if value is None and self._disk is not None:
            value = self._disk.get(version, key)
        return value if isinstance(value, kind) else None

    # ------------------------------------------------------------ named scenarios
    def save_scenario(self, name: str, options: an.ScenarioOptions) -> str:
        sid = scenario_id(name)
        result = self.scenario_diff(options)
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
        found = an.findings(analysis, max_per_kind=max_per_kind, names=self.names())
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


def _top_of(tree: nx.DiGraph) -> str | None:
    """The only top-level place of a place tree (child -> parent), else ``None``."""
    from ecosystem.pull import top_place

    return top_place((code, next(iter(tree.successors(code)), None)) for code in tree)


def _authority_under(tree: nx.DiGraph, top: str | None) -> str | None:
    """See :meth:`Ecomap.authority_place`: down from ``top`` while a place holds one place, to one holding leaves."""
    if top is None:
        return None
    p = top
    while True:
        below = list(tree.predecessors(p))
        if len(below) != 1 or tree.in_degree(below[0]) == 0:
            break
        p = below[0]
    if p == top or any(tree.in_degree(c) for c in tree.predecessors(p)):
        return None
    return str(p)


def warming_off() -> bool:
    """``ECOMAP_WARM`` is ``off`` (or 0, no, false): nothing is prepared ahead of being asked for."""
    return os.environ.get("ECOMAP_WARM", "").strip().lower() in ("off", "0", "no", "false")


def _analysis_key(place: str | None, as_of: dt.date, horizon: int, oversupply: float,
                  dependency_threshold: float) -> tuple:
    """The cache key of a view's analysis (:meth:`Ecomap.analysis`; a scenario's summary looks it up)."""
    return ("analysis", place, str(as_of), horizon, oversupply, dependency_threshold)


def warm_in_background() -> bool:
    """After a load: prepare the dashboard's first view in a detached ``ecomap db warm`` process.

    Does nothing (returns False) when ``ECOMAP_CACHE`` or ``ECOMAP_WARM`` is
    ``off``. The command returns at once; the cache is ready seconds later
    (minutes for a whole country), and ``ecomap serve`` then opens at once.
    """
    import subprocess
    import sys

    if default_cache_dir() is None or warming_off():
        return False
    try:
        subprocess.Popen([sys.executable, "-m", "ecosystem", "db", "warm", "--quiet"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as e:
        log.warning("could not start preparing the dashboard's first view: %s", e)
        return False
    return True
