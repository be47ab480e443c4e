"""What every page shares: the application service, the URL's view state and friendly errors.

This module does not import Dash, so it is tested like any library code.
The app holds one :class:`~ecosystem.service.Ecomap`; pages ask it for the
graph and the analysis of the view the URL describes (``place``,
``category``, ``as_of``, ``scenario``). Lookups the pages need on every
call (place list, names, boundaries, edge tables) are cached per data
version, so a load through the data page or the CLI invalidates them as it
invalidates the analysis cache.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import urllib.parse
from typing import Any, Callable, Mapping

import networkx as nx
import pandas as pd

from ecosystem import analysis as an
from ecosystem import model as m
from ecosystem.analysis.market import trend_dates

log = logging.getLogger(__name__)

#: the URL parameters every page reads
QUERY_KEYS = ("place", "category", "as_of", "scenario")
#: places ranked for the place chooser (larger areas first)
LEVEL_ORDER = {"country": 0, "region": 1, "icb": 2, "la": 3, "district": 4, "ward": 5, "msoa": 6, "lsoa": 7}


# --------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------
class _Holder:
    def __init__(self) -> None:
        self.factory: Callable[[], Any] | None = None
        self.service = None
        self.lock = threading.Lock()
        self.defaults: dict[str, str] = {}
        self.caches: dict[str, tuple[str, Any]] = {}


_HOLDER = _Holder()


def configure(source: Any = None, *, defaults: Mapping[str, str] | None = None) -> None:
    """Set what the dashboard reads from.

    ``source`` is an :class:`~ecosystem.service.Ecomap`, a
    :class:`~ecosystem.store.GraphStore`, a callable returning either, or
    ``None`` (open the default store on first use). ``defaults`` are the
    view used when a URL names none (the demo passes its place and date).
    """
    with _HOLDER.lock:
        if source is None:
            _HOLDER.factory = None
        elif _is_service_or_store(source) or not callable(source):
            _HOLDER.factory = lambda: source
        else:
            _HOLDER.factory = source
        _HOLDER.service = None
        _HOLDER.caches = {}
        _HOLDER.defaults = {k: v for k, v in (defaults or {}).items() if k in QUERY_KEYS and v}


def _is_service_or_store(obj: Any) -> bool:
    from ecosystem.service import Ecomap
    from ecosystem.store import GraphStore

    return isinstance(obj, (Ecomap, GraphStore))


def service():
    """The shared :class:`~ecosystem.service.Ecomap` (opened on first use).

    Raises :class:`~ecosystem.store.StoreUnavailable` when the store cannot
    be reached; the next call tries again.
    """
    from ecosystem.service import Ecomap, default_cache_dir
    from ecosystem.store import GraphStore

    with _HOLDER.lock:
        if _HOLDER.service is None:
            made = _HOLDER.factory() if _HOLDER.factory is not None else GraphStore.open()
            _HOLDER.service = made if isinstance(made, Ecomap) else Ecomap(made, cache_dir=default_cache_dir())
        return _HOLDER.service


def defaults() -> dict[str, str]:
    return dict(_HOLDER.defaults)


def cached(name: str, version: str, make: Callable[[], Any]) -> Any:
    """``make()`` once per data version (a load changes the version)."""
    hit = _HOLDER.caches.get(name)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = make()
    _HOLDER.caches[name] = (version, value)
    return value


# --------------------------------------------------------------------------
# The view the URL describes
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class View:
    """One view of the data: place, category, date and saved scenario (``None`` = baseline)."""

    place: str | None
    category: str | None
    as_of: dt.date
    scenario: str | None = None

    def search(self, **override: Any) -> str:
        """The URL query string of this view (``?place=…&as_of=…``), empty values left out."""
        d = {"place": self.place, "category": self.category, "as_of": self.as_of.isoformat(),
             "scenario": self.scenario}
        d.update(override)
        items = [(k, str(v)) for k, v in d.items() if v not in (None, "")]
        return "?" + urllib.parse.urlencode(items) if items else ""


def parse_search(search: str | None) -> dict[str, str]:
    """``?place=X&as_of=Y`` → ``{"place": "X", "as_of": "Y"}`` (known keys only, last value wins)."""
    out: dict[str, str] = {}
    for k, v in urllib.parse.parse_qsl((search or "").lstrip("?"), keep_blank_values=False):
        if k in QUERY_KEYS:
            out[k] = v
    return out


def make_view(place: str | None = None, category: str | None = None, as_of: Any = None,
              scenario: str | None = None, *, today: dt.date | None = None) -> tuple[View, list[str]]:
    """A :class:`View` from raw URL or control values, with the app's defaults filled in.

    Returns the view and a list of readable notes about values that could
    not be used (an unreadable date falls back to the default date).
    """
    d = defaults()
    notes: list[str] = []
    place = _blank(place) or d.get("place")
    category = _blank(category)
    scenario = _blank(scenario) or None
    raw = _blank(as_of) or d.get("as_of")
    date = today or dt.date.today()
    if raw:
        try:
            date = dt.date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            fallback = d.get("as_of")
            date = dt.date.fromisoformat(fallback) if fallback else (today or dt.date.today())
            notes.append(f"The date {raw!r} is not a date in YYYY-MM-DD form; showing {date.isoformat()} instead.")
    return View(place=place, category=category, as_of=date, scenario=scenario), notes


def _blank(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


# --------------------------------------------------------------------------
# Data the pages need, cached per version
# --------------------------------------------------------------------------
@dataclasses.dataclass
class Names:
    """Display names by id; unknown ids fall back to the id itself."""

    places: dict[str, str] = dataclasses.field(default_factory=dict)
    categories: dict[str, str] = dataclasses.field(default_factory=dict)
    organisations: dict[str, str] = dataclasses.field(default_factory=dict)
    services: dict[str, str] = dataclasses.field(default_factory=dict)

    def place(self, code: Any) -> str:
        return self.places.get(code) or str(code)

    def category(self, code: Any) -> str:
        if code is None:
            return "All categories"
        return self.categories.get(code) or str(code)

    def organisation(self, oid: Any) -> str:
        return self.organisations.get(oid) or str(oid)

    def service(self, sid: Any) -> str:
        return self.services.get(sid) or str(sid)


def names_from_graph(G: nx.MultiDiGraph) -> Names:
    """Display names of every place, category, organisation and service in ``G``."""
    out = Names()
    table = {m.PLACE: out.places, m.CATEGORY: out.categories, m.ORGANISATION: out.organisations,
             m.SERVICE: out.services}
    for n, d in G.nodes(data=True):
        if isinstance(n, tuple) and n[0] in table:
            table[n[0]][n[1]] = str(d.get("name") or n[1])
    return out


def place_table() -> pd.DataFrame:
    """Every place: code, name, level, parent, leaves (count of leaves beneath), depth; cached per version."""
    svc = service()
    version = svc.version()

    def make() -> pd.DataFrame:
        from ecosystem.pull import place_tree

        return places_frame(place_tree(svc.store))

    return cached("places", version, make)


def places_frame(tree: nx.DiGraph) -> pd.DataFrame:
    """The place tree (edges child → parent) as a table ordered for a chooser."""
    cols = ["code", "name", "level", "parent", "leaves", "depth"]
    if not tree.number_of_nodes():
        return pd.DataFrame(columns=cols)
    leaves = {n for n in tree if tree.in_degree(n) == 0}
    rows = []
    for n, d in tree.nodes(data=True):
        parents = list(tree.successors(n))
        below = nx.ancestors(tree, n)
        n_leaves = len(below & leaves) if below else 1
        rows.append({"code": n, "name": str(d.get("name") or n), "level": d.get("level") or "",
                     "parent": parents[0] if parents else None, "leaves": n_leaves,
                     "depth": len(nx.descendants(tree, n))})
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["depth", "name", "code"], kind="stable").reset_index(drop=True)


def default_place(places: pd.DataFrame) -> str | None:
    """The place a view without one shows: the only top-level place, else none (every place)."""
    from ecosystem.pull import top_place

    return top_place(zip(places["code"], places["parent"]))


def resolve_place(view: View) -> View:
    """Fill in the default place; raise :class:`LookupError` for a place not in the store."""
    places = place_table()
    if view.place is None:
        return dataclasses.replace(view, place=default_place(places))
    if view.place not in set(places["code"]):
        raise LookupError(f"There is no place with code {view.place!r} in the store. Choose a place from the list.")
    return view


def category_names() -> dict[str, str]:
    """Every category code → name, cached per version (a cheap query: the choosers need no graph)."""
    svc = service()
    version = svc.version()

    def make() -> dict[str, str]:
        df = svc.store.run("list_categories")
        return {str(c): str(n or c) for c, n in zip(df["code"], df["name"])} if len(df) else {}

    return cached("categories", version, make)


def names(place: str | None = None) -> Names:
    """Display names (cached per version), from one small query when the service offers it."""
    svc = service()
    version = svc.version()

    def make() -> Names:
        if hasattr(svc, "names"):
            flat = {str(k): str(v) for k, v in svc.names().items() if v is not None}
            return Names(places=flat, categories=category_names(), organisations=flat, services=flat)
        return names_from_graph(svc.graph(place, version=version))

    return cached("names", version, make)


def frames(place: str | None) -> an.Frames:
    """The analysis's flat tables for ``place`` (funding, services …), cached per version."""
    svc = service()
    version = svc.version()
    if hasattr(svc, "frames"):
        return svc.frames(place, version=version)
    return cached(f"frames:{place}", version, lambda: an.extract(svc.graph(place, version=version)))


def boundaries(codes: list[str]) -> dict[str, Any]:
    """GeoJSON geometries (parsed) of those ``codes`` that have a boundary in the store."""
    svc = service()
    version = svc.version()
    allb = cached("boundaries", version, lambda: {})
    missing = [c for c in codes if c not in allb]
    if missing:
        df = svc.store.run("place_boundaries", {"codes": missing})
        got = {}
        for code, text in zip(df["code"] if len(df) else [], df["boundary"] if len(df) else []):
            try:
                got[code] = json.loads(text) if isinstance(text, str) else text
            except ValueError:
                log.warning("place %s has a boundary that is not GeoJSON; drawn as a tile", code)
                got[code] = None
        for c in missing:
            allb[c] = got.get(c)
    return {c: allb[c] for c in codes if allb.get(c) is not None}


def scenario_list() -> list[dict[str, Any]]:
    svc = service()
    return cached("scenarios", svc.version() + f"#{_HOLDER.caches.get('scenario_saves', ('', 0))[1]}",
                  svc.scenarios)


def note_scenario_saved() -> None:
    """Saving a scenario does not change the data version; make the list re-read."""
    n = _HOLDER.caches.get("scenario_saves", ("", 0))[1]
    _HOLDER.caches["scenario_saves"] = ("", n + 1)


@dataclasses.dataclass
class Result:
    """What an analysis page shows: the analysis of the view, and the scenario behind it if any."""

    view: View
    analysis: an.Analysis
    names: Names
    scenario: an.ScenarioResult | None = None
    scenario_name: str | None = None


def analysis_for(view: View) -> Result:
    """The analysis of ``view`` (the saved scenario's, when it names one), from Ecomap's cache."""
    view = resolve_place(view)
    svc = service()
    nm = names(view.place)
    if view.scenario:
        try:
            opts = svc.scenario_options(view.scenario)
        except KeyError:
            raise LookupError(f"There is no saved scenario {view.scenario!r}; showing it is not possible. "
                              "Choose 'Baseline' or a saved scenario.") from None
        opts = dataclasses.replace(opts, place=view.place, as_of=view.as_of)
        r = svc.run_scenario(opts)
        return Result(view, r.analysis, nm, r, opts.name or view.scenario)
    return Result(view, svc.analysis(view.place, view.as_of), nm)


def series_for(view: View, dates: list[dt.date]) -> pd.DataFrame:
    """The headline figures of ``view``'s place and category at each of ``dates`` (``Ecomap.series``, cached there).

    The stored data's, never a scenario's: a scenario is a change to one
    date's analysis, not to the past.
    """
    view = resolve_place(view)
    return service().series(view.place, dates, category=view.category)


def warm(then=None) -> None:
    """Compute the default view's analysis now (run_server does it in the background at start-up), then call
    ``then()`` (the overview of each category)."""
    try:
        view, _ = make_view()
        analysis_for(view)
        series_for(view, trend_dates(view.as_of))  # the market page's trend
        log.info("dashboard cache warm for %s on %s", view.place, view.as_of)
        if then is not None:
            then()
    except Exception as e:  # the page will say what is wrong when it is opened
        log.warning("could not prepare the default view: %s", e)


# --------------------------------------------------------------------------
# Errors a person can read
# --------------------------------------------------------------------------
def friendly_error(e: BaseException) -> str:
    """A readable sentence for an exception (never a traceback)."""
    from ecosystem.store import StoreUnavailable

    try:
        import neo4j.exceptions as nx_exc
        unavailable: tuple = (StoreUnavailable, nx_exc.ServiceUnavailable, nx_exc.SessionExpired)
    except ImportError:  # pragma: no cover
        unavailable = (StoreUnavailable,)
    if isinstance(e, unavailable) or isinstance(e, ConnectionError):
        return ("The graph store cannot be reached, so nothing can be shown. Check it with `ecomap db status`, "
                f"then try again. ({_short(e)})")
    if isinstance(e, m.ValidationError):
        return f"{len(e.issues)} problem(s) found in the file; nothing was loaded."
    if isinstance(e, an.ScenarioError):
        return "The scenario cannot be run: " + "; ".join(e.problems)
    if isinstance(e, LookupError):
        return str(e.args[0]) if e.args else "Not found."
    if isinstance(e, ValueError):
        return f"That value cannot be used: {_short(e)}"
    log.exception("dashboard callback failed")
    return f"Something went wrong while preparing this view ({type(e).__name__}: {_short(e)}). The rest of the " \
           "page still works; try another choice or reload."


def _short(e: BaseException, limit: int = 300) -> str:
    s = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return s if len(s) <= limit else s[:limit] + "…"


def graph_with(kind: str, key: str, place: str | None) -> nx.MultiDiGraph:
    """The graph of ``place`` if it holds the node, else the whole graph (a detail page outside the place)."""
    svc = service()
    version = svc.version()
    G = svc.graph(place, version=version)
    if (kind, key) in G or place is None:
        return G
    return svc.graph(None, version=version)
