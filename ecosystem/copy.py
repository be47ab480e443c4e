"""Move an ecosystem between stores: everything in one store copied into another.

Every node of every label in :data:`ecosystem.model.LABELS` and every
relationship of every type in :data:`ecosystem.model.REL_TYPES` is read from
the source (in one read transaction, in chunks) and written to the
destination in batches inside **one** write transaction. Before that
transaction commits, the destination is read back through it and compared
with the source by counts per label and type and by a content hash (SHA-256
over every node and relationship with its typed properties, in a canonical
order); any difference, or any error, rolls the whole copy back, so the
destination is either a full copy or exactly as it was.

A destination that holds anything is refused unless ``replace=True``, when
its old content is deleted in the same transaction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from typing import Any, Callable, Iterable, Iterator

import neo4j

from ecosystem import model as m
from ecosystem.store import GraphStore

log = logging.getLogger(__name__)

BATCH = 5000
CHUNK = 20000


class CopyRefused(ValueError):
    """The copy was not started: same store twice, a non-empty destination, or data ecomap does not know."""


class CopyFailed(RuntimeError):
    """The copy was rolled back: the destination is as it was."""


@dataclasses.dataclass
class CopyResult:
    nodes: dict[str, int]
    relationships: dict[str, int]
    digest: str
    seconds: float
    replaced: int  # nodes deleted from the destination first (with replace=True)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- statements (labels and types from model.py only)
def _nodes_stmt(label: str) -> str:
    assert label in m.LABELS
    return (f"MATCH (n:{label}) WITH collect(properties(n)) AS rows "
            "UNWIND range(0, size(rows) - 1, $chunk) AS i RETURN rows[i..i + $chunk] AS chunk")


def _rels_stmt(typ: str) -> str:
    assert typ in m.REL_TYPES
    return (f"MATCH (a)-[r:{typ}]->(b) "
            "WITH collect([labels(a), a {.id, .code}, labels(b), b {.id, .code}, properties(r)]) AS rows "
            "UNWIND range(0, size(rows) - 1, $chunk) AS i RETURN rows[i..i + $chunk] AS chunk")


def _create_nodes_stmt(label: str) -> str:
    assert label in m.LABELS
    return f"UNWIND $rows AS row CREATE (n:{label}) SET n = row"


def _create_rels_stmt(typ: str, a: str, b: str) -> str:
    assert typ in m.REL_TYPES and a in m.LABELS and b in m.LABELS
    return (f"UNWIND $rows AS row MATCH (a:{a} {{{m.NODE_KEYS[a]}: row.a}}) "
            f"MATCH (b:{b} {{{m.NODE_KEYS[b]}: row.b}}) CREATE (a)-[r:{typ}]->(b) SET r = row.p")


_COUNT_LABELS = "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS count"
_COUNT_TYPES = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS count"
_COUNT_ALL = "MATCH (n) RETURN count(n) AS count"
_DELETE_ALL = "MATCH (n) DETACH DELETE n"


# ---------------------------------------------------------------- content hash
def _canon(v: Any) -> Any:
    """A property value as JSON-able text that keeps its type (a date is not the string of a date)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, (list, tuple)):
        return [_canon(x) for x in v]
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in sorted(v.items())}
    return {type(v).__name__: v.iso_format() if hasattr(v, "iso_format") else str(v)}


def _node_line(label: str, props: dict[str, Any]) -> str:
    return json.dumps(["N", label, {k: _canon(v) for k, v in sorted(props.items())}], sort_keys=True)


def _rel_line(typ: str, a: str, ak: Any, b: str, bk: Any, props: dict[str, Any]) -> str:
    return json.dumps(["R", typ, a, _canon(ak), b, _canon(bk), {k: _canon(v) for k, v in sorted(props.items())}],
                      sort_keys=True)


def _digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in sorted(lines):
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


# ---------------------------------------------------------------- reading
@dataclasses.dataclass
class _Snapshot:
    nodes: dict[str, list[dict[str, Any]]]
    rels: dict[tuple[str, str, str], list[dict[str, Any]]]
    lines: list[str]

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        rels: dict[str, int] = {}
        for (typ, _, _), rows in self.rels.items():
            rels[typ] = rels.get(typ, 0) + len(rows)
        return ({k: len(v) for k, v in sorted(self.nodes.items()) if v}, dict(sorted(rels.items())))


def _chunks(tx, stmt: str) -> Iterator[list]:
    for rec in tx.run(stmt, {"chunk": CHUNK}):
        yield from rec["chunk"]


def _one_label(labels: list[str], what: str) -> str:
    known = [lab for lab in labels if lab in m.LABELS]
    if len(known) != 1:
        raise CopyRefused(f"{what} has labels {sorted(labels)!r}: ecomap keeps exactly one of its labels per node")
    return known[0]


def _census(tx) -> tuple[dict[str, int], dict[str, int], int]:
    labels = {r["label"]: int(r["count"]) for r in tx.run(_COUNT_LABELS)}
    types = {r["type"]: int(r["count"]) for r in tx.run(_COUNT_TYPES)}
    total = int(tx.run(_COUNT_ALL).single()["count"])
    return labels, types, total


def _read(tx, progress: Callable[[int], None] | None = None) -> _Snapshot:
    """Everything in the store ``tx`` reads, with the canonical lines of its content hash."""
    labels, types, total = _census(tx)
    unknown = sorted(set(labels) - set(m.LABELS)) + sorted(set(types) - set(m.REL_TYPES))
    if unknown:
        raise CopyRefused("the source holds labels or relationship types ecomap does not know: " + ", ".join(unknown))
    if sum(labels.values()) != total:
        raise CopyRefused("some nodes in the source carry more than one label; ecomap keeps one per node")
    snap = _Snapshot({}, {}, [])
    for label in m.LABELS:
        if not labels.get(label):
            continue
        rows = snap.nodes.setdefault(label, [])
        key = m.NODE_KEYS[label]
        for props in _chunks(tx, _nodes_stmt(label)):
            if props.get(key) is None:
                raise CopyRefused(f"a {label} node has no {key}: it could not be told apart in the copy")
            rows.append(props)
            snap.lines.append(_node_line(label, props))
            if progress and len(rows) % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(rows) % 1000)
    for typ in m.REL_TYPES:
        if not types.get(typ):
            continue
        n = 0
        for al, ap, bl, bp, props in _chunks(tx, _rels_stmt(typ)):
            a = _one_label(al, f"a {typ} relationship's start node")
            b = _one_label(bl, f"a {typ} relationship's end node")
            ak, bk = ap[m.NODE_KEYS[a]], bp[m.NODE_KEYS[b]]
            snap.rels.setdefault((typ, a, b), []).append({"a": ak, "b": bk, "p": props})
            snap.lines.append(_rel_line(typ, a, ak, b, bk, props))
            n += 1
            if progress and n % 1000 == 0:
                progress(1000)
        if progress:
            progress(n % 1000)
    return snap


def counts_and_digest(store: GraphStore) -> tuple[dict[str, int], dict[str, int], str]:
    """A store's node counts per label, relationship counts per type and content hash."""
    with store.session(default_access_mode=neo4j.READ_ACCESS) as s:
        snap = s.execute_read(_read)
    nodes, rels = snap.counts()
    return nodes, rels, _digest(snap.lines)


# ---------------------------------------------------------------- copying
def _same_store(a: GraphStore, b: GraphStore) -> bool:
    return a.uri.rstrip("/") == b.uri.rstrip("/") and (a.database or "") == (b.database or "")


def copy(source: GraphStore, dest: GraphStore, *, replace: bool = False, batch: int = BATCH,
         progress: Callable[[int, int], None] | None = None) -> CopyResult:
    """Copy everything in ``source`` into ``dest``, all-or-nothing, verified before it commits.

    ``progress(done, total)`` is called as rows are read and written (total:
    twice the rows, once for reading and once for writing). Raises
    :class:`CopyRefused` before writing anything, :class:`CopyFailed` after
    rolling back.
    """
    if _same_store(source, dest):
        raise CopyRefused(f"the source and the destination are the same store ({dest.location})")
    t0 = time.perf_counter()
    with source.session(default_access_mode=neo4j.READ_ACCESS) as s:
        labels, types, _ = s.execute_read(_census)
    total = 2 * (sum(v for k, v in labels.items() if k in m.LABELS) + sum(v for k, v in types.items()
                                                                         if k in m.REL_TYPES))
    done = [0]

    def step(n: int) -> None:
        if n and progress:
            done[0] += n
            progress(done[0], total)

    with source.session(default_access_mode=neo4j.READ_ACCESS) as s:
        tx = s.begin_transaction()  # one read transaction: every chunk sees the same store
        try:
            snap = _read(tx, step)
        finally:
            tx.close()
    want_digest = _digest(snap.lines)
    want_nodes, want_rels = snap.counts()
    log.info("read %s nodes and %s relationships from %s", sum(want_nodes.values()), sum(want_rels.values()),
             source.location)

    existing = dest.counts()["nodes"]
    old = sum(existing.values())
    if old and not replace:
        held = ", ".join(f"{n:,} {lab}" for lab, n in existing.items() if n)
        raise CopyRefused(f"the destination {dest.location} is not empty ({held}); "
                          "copy into an empty database, or replace its content with --force")
    dest.ensure_schema()
    try:
        with dest.transaction() as tx:
            if old:
                tx.run(_DELETE_ALL).consume()
            for label, rows in snap.nodes.items():
                for i in range(0, len(rows), batch):
                    tx.run(_create_nodes_stmt(label), {"rows": rows[i:i + batch]}).consume()
                    step(len(rows[i:i + batch]))
            for (typ, a, b), rows in snap.rels.items():
                for i in range(0, len(rows), batch):
                    part = rows[i:i + batch]
                    made = tx.run(_create_rels_stmt(typ, a, b), {"rows": part}).consume().counters
                    if made.relationships_created != len(part):
                        raise CopyFailed(f"{typ} relationships: {made.relationships_created} of {len(part)} "
                                         "found both their end nodes in the destination")
                    step(len(part))
            back = _read(tx)  # read back through the same transaction, before it commits
            got_nodes, got_rels = back.counts()
            if (got_nodes, got_rels) != (want_nodes, want_rels):
                raise CopyFailed(f"the counts differ after copying: source {want_nodes} {want_rels}, "
                                 f"destination {got_nodes} {got_rels}")
            got_digest = _digest(back.lines)
            if got_digest != want_digest:
                raise CopyFailed("the content hash differs after copying (a property changed type or value "
                                 f"on the way): source {want_digest[:12]}…, destination {got_digest[:12]}…")
    except CopyFailed:
        raise
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as e:
        raise CopyFailed(f"the destination refused the copy ({' '.join(str(e).split())})") from e
    return CopyResult(want_nodes, want_rels, want_digest, time.perf_counter() - t0, old)
