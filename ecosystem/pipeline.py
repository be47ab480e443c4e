"""From paths to the store: load → resolve identities → check → write."""

from __future__ import annotations

import logging
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


def prepare(paths: Sequence[str | pathlib.Path], *, fmt: str = "auto", store: GraphStore | None = None,
            options: dict[str, Any] | None = None) -> m.CanonicalTables:
    """Read and validate; raise :class:`ValidationError` with every issue found."""
    import loaders
    from loaders.validate import check_tables, strip_meta

    tables = loaders.load_paths(paths, fmt, **(options or {}))
    try:
        from loaders.identity import resolve_identities
    except ImportError:  # the identity module is optional for template-only installs
        resolve_identities = None
    if resolve_identities is not None:
        existing = existing_organisations(store) if store is not None else None
        tables = resolve_identities(tables, existing)
    known = known_keys(store) if store is not None else {}
    issues = check_tables(tables.tables, source=default_source(paths), known=known)
    if issues:
        raise m.ValidationError(issues, tables.warnings)
    for name in list(tables.tables):
        tables.tables[name] = strip_meta(tables.tables[name])
    return tables


def load(store: GraphStore, paths: Sequence[str | pathlib.Path], *, fmt: str = "auto",
         source: str | None = None, progress: Callable[[int, int], None] | None = None,
         options: dict[str, Any] | None = None) -> dict[str, Any]:
    tables = prepare(paths, fmt=fmt, store=store, options=options)
    result = write_tables(store, tables, source=source or default_source(paths), fmt=fmt,
                          paths=[str(p) for p in paths], progress=progress)
    result["warnings"] = list(tables.warnings)
    result["skipped"] = dict(tables.skipped)
    return result
