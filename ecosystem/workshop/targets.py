"""What a note or action is about: places, categories, organisations, services, findings."""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from ecosystem.workshop.model import MAX_KEY, MAX_TARGETS, TARGET_KINDS, WorkshopError
from ecosystem.workshop.text import clean_text


@dataclasses.dataclass(frozen=True)
class Targets:
    places: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    finding: dict[str, Any] | None = None

    def params(self) -> dict[str, list[str]]:
        return {"places": list(self.places), "categories": list(self.categories),
                "organisations": list(self.organisations), "services": list(self.services)}

    def props(self) -> dict[str, Any]:
        p: dict[str, Any] = {k: v for k, v in self.params().items() if v}
        if self.finding:
            p["finding"] = self.finding["id"]
            p["finding_kind"] = self.finding.get("kind")
            p["finding_summary"] = self.finding.get("summary")
        return p


def targets(items: Iterable[Any] = (), *, findings: Mapping[str, Mapping[str, Any]] | None = None) -> Targets:
    """What a note or action concerns, from ``(kind, key)`` pairs or ``{"kind", "key"}`` dicts.

    ``kind`` is one of :data:`TARGET_KINDS`. A ``finding`` target needs the
    finding itself (from :func:`ecosystem.analysis.findings`), looked up in
    ``findings`` by id (or given as the pair's key when it is a dict): the
    record then concerns the finding's place, category, organisations and
    services.
    """
    acc: dict[str, list[str]] = {"place": [], "category": [], "organisation": [], "service": []}
    finding = None
    items = list(items)
    if len(items) > MAX_TARGETS:
        raise WorkshopError(f"a record can concern at most {MAX_TARGETS} things")
    for it in items:
        kind, key = (it.get("kind"), it.get("key")) if isinstance(it, Mapping) else tuple(it)
        if kind not in TARGET_KINDS:
            raise WorkshopError(f"{kind!r} is not something a record can concern ({', '.join(TARGET_KINDS)})")
        if kind == "finding":
            f = key if isinstance(key, Mapping) else (findings or {}).get(str(key))
            if f is None:
                raise WorkshopError(f"finding {key!r} is not in this workshop's analysis")
            finding = _finding(f)
            if finding["place"]:
                acc["place"].append(finding["place"])
            if finding["category"]:
                acc["category"].append(finding["category"])
            acc["organisation"] += finding["organisations"]
            acc["service"] += finding["services"]
            continue
        k = clean_text(key if isinstance(key, str) else None, field=f"{kind} key", limit=MAX_KEY, multiline=False)
        acc[kind].append(k)
    uniq = {k: tuple(dict.fromkeys(v)) for k, v in acc.items()}
    return Targets(uniq["place"], uniq["category"], uniq["organisation"], uniq["service"], finding)


def _finding(f: Mapping[str, Any]) -> dict[str, Any]:
    if not f.get("id") or not f.get("kind"):
        raise WorkshopError("a finding needs an id and a kind")
    return {"id": str(f["id"]), "kind": str(f["kind"]), "summary": str(f.get("summary") or f["id"]),
            "place": f.get("place"), "category": f.get("category"),
            "organisations": [str(o) for o in f.get("organisations") or []],
            "services": [str(s) for s in f.get("services") or []]}
