"""Writing canonical tables to the store: all-or-nothing, idempotent, per source.

``write_tables`` runs one explicit transaction per load: batched ``UNWIND
$rows … MERGE`` statements from ``queries/`` (a flow's beneficiary places
also link its recipient ``FUNDED_FOR`` each loaded place among them, and a
load of places links the recipients of flows loaded before), then the removal of whatever
this **source** contributed before but no longer does, then a ``LoadRun``
node. Any failure rolls the whole transaction back, so the store is exactly
as it was. A load whose content hash equals the source's last load writes
nothing at all.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import logging
import uuid
from typing import Any, Callable, Iterable

import pandas as pd

from ecosystem import model as m
from ecosystem.placement import place_organisations
from ecosystem.store import GraphStore, StoreWriteError
from queries import query

log = logging.getLogger(__name__)

BATCH = 5000
#: smaller batches for rows that carry long lists (a Bolt message must stay under 16 MiB: a postcode sector
#: of a national lookup is ~10 kB)
STEP_BATCH = {"merge_postcode_sectors": 400}
META = ("_file", "_sheet", "_row")

#: relationship columns left out of node properties
_REL_COLUMNS = {
    "places": ("parent",),
    "categories": ("parent",),
    "organisations": ("place",),
    "services": ("provider", "category", "areas"),
    "needs": ("place", "category"),
    "procurements": (),
}
# (placement: organisations with a postcode or a public body's org-id get a derived BASED_IN in the same
# transaction, after the writes and the stale clean-up; see ecosystem.placement)


def _value(v: Any) -> Any:
    """Driver-friendly values from already-cleaned canonical values; None for missing."""
    tv = type(v)
    if tv is str or tv is int or tv is bool or tv is dt.date:
        return v
    if tv is float:
        return None if v != v else v
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if tv is decimal.Decimal:  # money: the float that prints as this decimal (exact to 15 digits)
        return float(v)
    if isinstance(v, (list, tuple)):
        return [x for x in (m._clean(x) for x in v) if x is not None]
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True, default=str)
    return m._clean(v)


_DROP_ALWAYS = frozenset(META) | {"source", "sources", "load_run"}


def _props(rec: dict[str, Any], drop: Iterable[str]) -> dict[str, Any]:
    drop = _DROP_ALWAYS.union(drop)
    out = {}
    for k, v in rec.items():
        if k in drop:
            continue
        v = _value(v)
        if v is None or v == []:
            continue
        out[k] = v
    return out


def funds_props(rec: dict[str, Any]) -> dict[str, Any]:
    """A funding row's FUNDS properties: its ``places`` become ``beneficiary_places`` (left out when empty)."""
    props = _props(rec, ("funder", "recipient", "places"))
    places = _value(rec.get("places"))
    if places:
        props[m.BENEFICIARY_PLACES] = list(dict.fromkeys(places))
    return props


def plan(tables: m.CanonicalTables) -> list[tuple[str, list[dict[str, Any]]]]:
    """The (query name, rows) batches that write the tables, in dependency order."""
    steps: list[tuple[str, list[dict[str, Any]]]] = []
    places = tables.records("places")
    steps.append(("merge_places", [{"key": r["code"], "props": _props(r, _REL_COLUMNS["places"])} for r in places]))
    cats = tables.records("categories")
    steps.append(("merge_categories", [{"key": r["code"], "props": _props(r, _REL_COLUMNS["categories"])} for r in cats]))
    orgs = tables.records("organisations")
    steps.append(("merge_organisations", [{"key": r["id"], "props": _props(r, _REL_COLUMNS["organisations"])} for r in orgs]))
    svcs = tables.records("services")
    steps.append(("merge_services", [{"key": r["id"], "props": _props(r, _REL_COLUMNS["services"])} for r in svcs]))
    needs = tables.records("needs")
    for r in needs:
        if not r.get("id"):
            r["id"] = m.need_id(r["place"], r["category"], r.get("period"))
    steps.append(("merge_needs", [{"key": r["id"], "props": _props(r, _REL_COLUMNS["needs"])} for r in needs]))
    steps.append(("merge_part_of", [{"a": r["code"], "b": r["parent"]} for r in places if r.get("parent")]))
    steps.append(("merge_broader", [{"a": r["code"], "b": r["parent"]} for r in cats if r.get("parent")]))
    steps.append(("merge_based_in", [{"a": r["id"], "b": r["place"]} for r in orgs if r.get("place")]))
    steps.append(("merge_delivers", [{"a": r["provider"], "b": r["id"]} for r in svcs]))
    steps.append(("merge_in_category", [{"a": r["id"], "b": r["category"]} for r in svcs]))
    steps.append(("merge_serves", [{"a": r["id"], "b": code} for r in svcs for code in dict.fromkeys(r.get("areas") or [])]))
    steps.append(("merge_need_in", [{"a": r["id"], "b": r["place"]} for r in needs]))
    steps.append(("merge_need_for", [{"a": r["id"], "b": r["category"]} for r in needs]))
    funding = tables.records("funding")
    steps.append(("merge_funds", [{"a": r["funder"], "b": r["recipient"], "key": r["id"],
                                   "props": funds_props(r)} for r in funding]))
    funded_for = dict.fromkeys((r["recipient"], code) for r in funding for code in (r.get("places") or ()))
    steps.append(("merge_funded_for", [{"a": a, "b": b} for a, b in funded_for]))
    steps.append(("merge_procurements", [{"key": r["id"], "props": _props(r, _REL_COLUMNS["procurements"])}
                                         for r in tables.records("procurements")]))
    steps.append(("merge_partners_with", [{"a": r["a"], "b": r["b"], "key": r["kind"],
                                           "props": _props(r, ("a", "b"))} for r in tables.records("partnerships")]))
    pcs = tables.tables.get("postcodes")
    if pcs is not None and len(pcs):
        steps.append(("merge_postcode_sectors", [
            {"key": f"{r['lookup']}|{r['sector']}",
             "props": {"sector": r["sector"], "lookup": r["lookup"], "units": r["units"],
                       "combo": [int(x) for x in r["combo"]], "codes": list(r["codes"]),
                       "postcodes": int(r["postcodes"])}}
            for r in m.fast_records(pcs)]))
    return [(name, rows) for name, rows in steps if rows]


def content_hash(steps: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """A digest of everything a load would write (rows are built in a deterministic order)."""
    h = hashlib.sha256()
    for name, rows in steps:
        h.update(name.encode())
        h.update(repr(rows).encode())
    return h.hexdigest()


def _replaced(last, counts: dict[str, int]) -> dict[str, int]:
    """Rows per table the source's previous load wrote in tables this load writes nothing to (so removed):
    the same file loaded again in another role (a postcode lookup, then services) under the same source."""
    if not len(last) or "counts" not in last.columns:
        return {}
    try:
        before = json.loads(last.iloc[0]["counts"] or "{}")
    except (TypeError, ValueError):
        return {}
    return {t: int(n) for t, n in before.items() if n and not counts.get(t)}


def write_tables(store: GraphStore, tables: m.CanonicalTables, *, source: str, fmt: str = "template",
                 paths: Iterable[str] = (), progress: Callable[[int, int], None] | None = None,
                 batch: int = BATCH) -> dict[str, Any]:
    """Write validated tables as one all-or-nothing load of ``source``.

    Returns a summary: ``{"run", "source", "status", "counts", ...}`` where
    status is ``"loaded"`` or ``"unchanged"``. ``progress(done, total)`` is
    called after each batch (rows written so far, rows in all).
    """
    store.ensure_schema()
    steps = plan(tables)
    digest = content_hash(steps)
    last = store.run("last_load_run", {"source": source})
    counts = tables.counts()
    if len(last) and last.iloc[0]["hash"] == digest:
        log.info("source %s unchanged since load run %s", source, last.iloc[0]["id"])
        return {"run": last.iloc[0]["id"], "source": source, "status": "unchanged", "counts": counts}
    run = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    started = dt.datetime.now(dt.timezone.utc)
    total = sum(len(rows) for _, rows in steps)
    done = 0
    steps = _split_funds(store, steps, source)
    places_written = sorted({r["key"] for name, rows in steps if name == "merge_places" for r in rows})
    mark = store.log_mark()  # a full disk refuses the load here, before anything is written
    with store.transaction() as tx:
        if len(last):
            tx.run(query("delete_source_funds").text, {"source": source}).consume()
        for name, rows in steps:
            text = query(name).text
            size = min(batch, STEP_BATCH.get(name, batch))
            for i in range(0, len(rows), size):
                chunk = rows[i:i + size]
                tx.run(text, {"rows": chunk, "source": source, "run": run}).consume()
                done += len(chunk)
                if progress:
                    progress(done, total)
        if places_written:  # flows loaded before may name these places among their beneficiary places
            tx.run(query("link_funded_for").text, {"codes": places_written}).consume()
        if len(last):  # a source loaded before: remove what its new version no longer has
            for name in ("delete_stale_relationships", "release_stale_relationships",
                         "delete_stale_nodes", "release_stale_nodes"):
                tx.run(query(name).text, {"source": source, "run": run}).consume()
        names = {name for name, _ in steps}
        everyone = bool(len(last)) or bool(names & {"merge_places", "merge_postcode_sectors"})
        placed = place_organisations(tx, source=source, run=run,
                                     ids=None if everyone else _organisations_written(steps))
        if len(last):
            tx.run(query("update_roles").text).consume()
        else:  # a first load changes the relationships of its own organisations only
            tx.run(query("update_roles_of").text, {"ids": _organisations_touched(steps)}).consume()
        tx.run(query("create_load_run").text, {"run": {
            "id": run, "load_run": run, "source": source, "format": fmt, "paths": [str(p) for p in paths],
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "hash": digest, "counts": json.dumps(counts), "status": "complete",
            "warnings": list(tables.warnings)[:200],
        }}).consume()
    failures = store.write_failures_since(mark)
    if failures:  # committed, but the store could not write its files: never reported as a success
        log.info("the store could not write load run %s of %s: %s", run, source, failures[0])
        raise StoreWriteError(f"the store could not write its files during this load ({failures[0][:200]}); "
                              f"the load of {source!r} may be incomplete. Free disk space under {store.location}, "
                              "run `ecomap db stop`, then load the source again (its next load replaces it)")
    return {"run": run, "source": source, "status": "loaded", "counts": counts, "rows_written": total,
            "replaced": _replaced(last, counts),
            "placed": placed}


def _organisations_written(steps) -> list[str]:
    return sorted({r["key"] for name, rows in steps if name == "merge_organisations" for r in rows})


def _organisations_touched(steps) -> list[str]:
    ids: set[str] = set()
    for name, rows in steps:
        if name == "merge_organisations":
            ids.update(r["key"] for r in rows)
        elif name in ("create_funds", "merge_funds", "merge_delivers"):
            ids.update(r["a"] for r in rows)
            if name != "merge_delivers":
                ids.update(r["b"] for r in rows)
    return sorted(ids)


def _split_funds(store: GraphStore, steps, source: str):
    """Funding flows are recreated, not merged, unless another source shares them.

    A relationship MERGE scans the recipient's flows for the id, which is
    slow for organisations with thousands of grants; a flow only this source
    contributes is deleted (``delete_source_funds``) and created again in
    the same transaction, which leaves the same content.
    """
    shared = set(store.run("shared_funds_ids", {"source": source})["id"]) if any(
        name == "merge_funds" for name, _ in steps) else set()
    out = []
    for name, rows in steps:
        if name != "merge_funds":
            out.append((name, rows))
            continue
        fresh = [r for r in rows if r["key"] not in shared]
        merged = [r for r in rows if r["key"] in shared]
        out += [(n, rs) for n, rs in (("create_funds", fresh), ("merge_funds", merged)) if rs]
    return out


def known_keys(store: GraphStore) -> dict[str, set[str]]:
    df = store.run("known_keys")
    if not len(df):
        return {}
    rec = df.iloc[0].to_dict()
    return {k: set(v or []) for k, v in rec.items()}


def existing_organisations(store: GraphStore) -> pd.DataFrame:
    return store.run("existing_organisations")
