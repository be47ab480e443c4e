"""From paths to the store: load → resolve identities → check → write."""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
from typing import Any, Callable, Sequence

from ecosystem import model as m
from ecosystem.load import existing_organisations, known_keys, write_tables
from ecosystem.store import GraphStore

log = logging.getLogger(__name__)


def default_source(paths: Sequence[str | pathlib.Path]) -> str:
    """The source name of a load: the file or folder name (several: joined with +)."""
    names = [pathlib.Path(p).resolve().name for p in paths]
    return "+".join(names)


#: what to do about rows a loader skipped, by reason (the exact fix a user needs)
SKIP_FIXES = {
    "no population for a percentage indicator":
        "this indicator is a percentage, and people in need = percentage × population: load a population "
        "estimate for the same areas first (e.g. ONS mid-year estimates for these areas: `ecomap load "
        "POPULATION.csv`), then load this file again",
    "indicator not in the needs map":
        "add the indicator (its id or part of its name) to a needs map with a category and a `people` "
        "formula (see loaders/data/needs_map.csv)",
    "indicator value missing": "the file has no values for these rows; download the indicator again with values",
}


def _populations(store: GraphStore | None) -> dict[str, float]:
    if store is None:
        return {}
    try:
        return {r["code"]: float(r["population"]) for r in store.records("place_populations")}
    except Exception as e:  # only an aid to the needs loader
        log.debug("no place populations from the store: %s", e)
        return {}


def nothing_to_load(paths: Sequence[str | pathlib.Path], tables: m.CanonicalTables) -> m.Issue | None:
    """An issue saying why a load would write nothing (None when it would write rows)."""
    if any(tables.counts().values()):
        return None
    where = ", ".join(str(p) for p in paths)
    if tables.skipped:
        total = sum(tables.skipped.values())
        reasons = "; ".join(f"{n} × {r}" for r, n in sorted(tables.skipped.items(), key=lambda kv: -kv[1]))
        fixes = [SKIP_FIXES[r] for r in tables.skipped if r in SKIP_FIXES]
        msg = f"nothing to load: all {total} rows were skipped ({reasons})"
        if fixes:
            msg += "; to fix: " + "; ".join(fixes)
        return m.Issue(where, None, None, None, None, "nothing_to_load", msg)
    return m.Issue(where, None, None, None, None, "nothing_to_load",
                   "nothing to load: the files have headers but no rows (fill in the rows under the headers, "
                   "one row per record)")


def skipped_warnings(tables: m.CanonicalTables) -> list[str]:
    """Plain-text warnings for rows a loader left out (what a partial skip means, and its fix)."""
    out = []
    for reason, n in sorted(tables.skipped.items(), key=lambda kv: -kv[1]):
        w = f"skipped {n} row{'s' if n != 1 else ''}: {reason}"
        if reason in SKIP_FIXES:
            w += f" ({SKIP_FIXES[reason]})"
        out.append(w)
    return out


def prepare(paths: Sequence[str | pathlib.Path], *, fmt: str = "auto", store: GraphStore | None = None,
            options: dict[str, Any] | None = None) -> m.CanonicalTables:
    """Read and validate; raise :class:`ValidationError` with every issue found.

    Every problem comes back in one pass: when a file's own values fail, the
    rows that could be read still go through the cross-table checks
    (references, duplicates across files). ``options["strict"]`` turns the
    warnings about implausible values (see :func:`loaders.validate.implausible`)
    into errors. A load that would write nothing is an error saying why.
    """
    import loaders
    from loaders.validate import check_tables, implausible, strip_meta

    options = dict(options or {})
    strict = bool(options.get("strict"))
    if store is not None and "population" not in options:
        pops = _populations(store)
        if pops:
            options["population"] = pops
    source = default_source(paths)
    known = known_keys(store) if store is not None else {}
    try:
        if options.get("as_table"):  # a council's own sheet, through a column mapping
            tables = _load_mapped(paths, options)
        else:
            tables = loaders.load_paths(paths, fmt, **options)
    except m.ValidationError as e:
        if e.tables is None:
            raise
        seen = {(i.source, i.sheet, i.row, i.column) for i in e.issues}
        more = [i for i in check_tables(e.tables.tables, source=source, known=known)
                if (i.source, i.sheet, i.row, i.column) not in seen]
        if strict:  # implausible values are errors under --strict: reported with the others, not after them
            pops = options.get("population") if isinstance(options.get("population"), dict) else None
            more += [i for i in implausible(e.tables.tables, source=source, populations=pops)
                     if (i.source, i.sheet, i.row, i.column) not in seen]
        raise m.ValidationError(e.issues + more, e.warnings) from None
    empty = nothing_to_load(paths, tables)
    if empty is not None:
        raise m.ValidationError([empty], tables.warnings)
    issues: list[m.Issue] = []
    try:
        from loaders.identity import org_id_warnings
    except ImportError:
        org_id_warnings = None
    if org_id_warnings is not None:  # an unknown org-id prefix is a located warning, never a refusal
        tables.warnings.extend(str(i) for i in org_id_warnings(tables.tables, source=source))
    try:
        from loaders.identity import resolve_identities
    except ImportError:  # the identity module is optional for template-only installs
        resolve_identities = None
    if resolve_identities is not None:
        existing = existing_organisations(store) if store is not None else None
        tables = resolve_identities(tables, existing)
    if options.get("as_table"):
        from loaders import mapped

        mapped.drop_known_categories(tables, known.get("categories", set()))
        issues += mapped.areas_from_postcodes(tables, lambda pcs: _smallest(store, pcs), no_store=store is None)
    from ecosystem import vintages

    issues += vintages.generation_issues(store, tables, source)
    changes = vintages.translate(store, tables, known.get("places", set()))
    seen = {(i.source, i.sheet, i.row, i.column) for i in issues}
    found = [i for i in check_tables(tables.tables, source=source, known=known)
             if (i.source, i.sheet, i.row, i.column) not in seen]
    if changes:
        names = {r["code"]: r["name"] for r in store.records("generation_places")} if store is not None else {}
        found = vintages.explain_unknown(found, changes, names)
    issues += found
    pops = options.get("population") if isinstance(options.get("population"), dict) else None
    odd = implausible(tables.tables, source=source, populations=pops)
    if strict:
        issues += odd
    else:
        tables.warnings.extend(str(i) for i in odd)
    if issues:
        raise m.ValidationError(issues, tables.warnings)
    for name in list(tables.tables):
        tables.tables[name] = strip_meta(tables.tables[name])
    return tables


def _load_mapped(paths, options: dict[str, Any]) -> m.CanonicalTables:
    from loaders import mapped

    parts, issues = [], []
    for p in paths:
        try:
            parts.append(mapped.load(pathlib.Path(p), **options))
        except m.ValidationError as e:
            issues += e.issues
    if issues:
        raise m.ValidationError(issues)
    return m.CanonicalTables.concat(parts)


def _smallest(store: GraphStore | None, postcodes) -> dict[str, str]:
    if store is None:  # --dry-run --no-store: no lookup to ask
        return {}
    from ecosystem.placement import smallest_places

    with store.session() as s:
        return smallest_places(s, postcodes)


class SourceBusy(RuntimeError):
    """Another load of the same source is running (in this or another process)."""


@contextlib.contextmanager
def source_lock(source: str):
    """Hold the load lock of ``source`` (a file lock in ECOMAP_HOME/locks), or raise :class:`SourceBusy`."""
    import fcntl
    import hashlib

    from ecosystem.server import default_home

    folder = default_home() / "locks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / (hashlib.sha256(source.encode()).hexdigest()[:24] + ".lock")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SourceBusy(f"another load of this source is running (source {source!r}); try again when it "
                             "has finished") from None
        yield
    finally:
        os.close(fd)


def load(store: GraphStore, paths: Sequence[str | pathlib.Path], *, fmt: str = "auto",
         source: str | None = None, progress: Callable[[int, int], None] | None = None,
         options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate and write one load of ``source``; a second load of the same source at the same time
    raises :class:`SourceBusy` at once rather than racing it."""
    source = source or default_source(paths)
    with source_lock(source):
        tables = prepare(paths, fmt=fmt, store=store, options=options)
        result = write_tables(store, tables, source=source, fmt=fmt, paths=[str(p) for p in paths],
                              progress=progress)
    result["warnings"] = list(tables.warnings)
    if result.get("replaced"):
        gone = ", ".join(f"{n:,} {t}" for t, n in result["replaced"].items())
        result["warnings"].insert(0, f"source {source!r} was loaded before with {gone}; this load of it has none, "
                                     f"so they were removed. To keep both, load this file under another name "
                                     f"(--source NAME); `ecomap db sources` lists what each source holds")
    result["skipped"] = dict(tables.skipped)
    result["unusable"] = dict(tables.unusable)
    return result
