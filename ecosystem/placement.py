"""Organisations placed from what they carry: their postcode, or a public body's identifier.

Real data rarely names wards (SPEC §3). Inside every load's transaction,
after the load's own writes, each organisation that concerns it is given at
most one *derived* ``BASED_IN`` (a relationship with a ``basis`` property):

1. an organisation's own ``place`` (an explicit ``BASED_IN``, no ``basis``)
   always wins: nothing is derived for it;
2. a council (``GB-LAE-``, ``GB-LAS-``, ``GB-PLA-``, ``GB-LANI-``) or an NHS
   body (``GB-NHS-``) whose whole org-id is in the bundled register is based
   in the first of its register codes that is a loaded place
   (``basis = "register"``);
3. otherwise an organisation with a ``postcode`` found in a loaded postcode
   lookup is based in the **smallest** loaded place among the codes of that
   postcode (output area < LSOA < ward < MSOA < local authority < county <
   region < country; ``basis = "postcode"``). When several lookups know the
   postcode, the codes of all of them count, so a lookup of another vintage
   simply finds no loaded place.

Which organisations concern a load: every one with a postcode, a public
body's org-id or a derived ``BASED_IN`` when the load writes places or
postcode sectors, or reloads a source (which may have removed some);
otherwise only the organisations the load writes. So placement holds
whichever of lookup, places and organisations was loaded first, and again
after any of them is reloaded.
"""

from __future__ import annotations

import logging
from typing import Any

from ecosystem import model as m
from queries import query

log = logging.getLogger(__name__)

#: smaller rank = smaller place
LEVEL_RANK = {"oa": 0, "lsoa": 1, "ward": 2, "msoa": 3, "la": 4, "county": 5, "combined_authority": 6,
              "region": 7, "country": 8}
_OTHER_RANK = 4.5


def _rank(level: Any) -> float:
    return LEVEL_RANK.get(str(level).lower(), _OTHER_RANK) if level is not None else _OTHER_RANK


def _rows(tx, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [r.data() for r in tx.run(query(name).text, params)]


def postcode_codes(tx, postcodes: set[str]) -> dict[str, set[str]]:
    """postcode -> GSS codes from every stored lookup that has it."""
    from loaders.postcodes import expand

    if not postcodes:
        return {}
    sectors = sorted({p[:-2] for p in postcodes})
    out: dict[str, set[str]] = {}
    for i in range(0, len(sectors), 2000):
        for row in _rows(tx, "postcode_sectors", {"sectors": sectors[i:i + 2000]}):
            for pc, codes in expand(row).items():
                if pc in postcodes:
                    out.setdefault(pc, set()).update(codes)
    return out


def smallest_places(runner, postcodes: list[str] | set[str]) -> dict[str, str]:
    """postcode -> the smallest loaded place containing it (postcodes no loaded place contains are left out).

    ``runner`` is a session or a transaction (anything with ``run``).
    """
    by_postcode = postcode_codes(runner, set(postcodes))
    codes = sorted({c for cs in by_postcode.values() for c in cs})
    levels: dict[str, Any] = {}
    for i in range(0, len(codes), 5000):
        for r in _rows(runner, "place_levels", {"codes": codes[i:i + 5000]}):
            levels[r["code"]] = r["level"]
    out = {}
    for pc, cs in by_postcode.items():
        loaded = [c for c in cs if c in levels]
        if loaded:
            out[pc] = min(loaded, key=lambda c: (_rank(levels[c]), c))
    return out


def place_organisations(tx, *, source: str, run: str, ids: list[str] | None = None) -> dict[str, int]:
    """Bring derived ``BASED_IN`` relationships in step for ``ids`` (None: every candidate organisation).

    Returns counts: ``{"postcode": n, "register": n, "removed": n}`` of derived links made and removed.
    """
    from loaders.identity import PUBLIC_BODY_PREFIXES, public_body_codes
    from loaders.parse import normalise_postcode

    params = {"prefixes": list(PUBLIC_BODY_PREFIXES), "basis": [m.BASIS_POSTCODE, m.BASIS_REGISTER]}
    if ids is None:
        orgs = _rows(tx, "placement_organisations", params)
    else:
        if not ids:
            return {"postcode": 0, "register": 0, "removed": 0}
        orgs = []
        for i in range(0, len(ids), 5000):
            orgs += _rows(tx, "placement_organisations_of", {**params, "ids": ids[i:i + 5000]})
    if not orgs:
        return {"postcode": 0, "register": 0, "removed": 0}
    postcodes = {pc for pc in (normalise_postcode(o.get("postcode")) for o in orgs) if pc}
    by_postcode = postcode_codes(tx, postcodes)
    wanted_codes: set[str] = set()
    for o in orgs:
        wanted_codes.update(public_body_codes(o["id"]))
        pc = normalise_postcode(o.get("postcode"))
        if pc:
            wanted_codes.update(by_postcode.get(pc, ()))
    levels: dict[str, Any] = {}
    codes = sorted(wanted_codes)
    for i in range(0, len(codes), 5000):
        for r in _rows(tx, "place_levels", {"codes": codes[i:i + 5000]}):
            levels[r["code"]] = r["level"]
    make: list[dict[str, str]] = []
    drop: list[str] = []
    for o in orgs:
        target = basis = None
        if not o.get("explicit"):
            register = [c for c in public_body_codes(o["id"]) if c in levels]
            if register:
                target, basis = register[0], m.BASIS_REGISTER
            else:
                pc = normalise_postcode(o.get("postcode"))
                loaded = [c for c in by_postcode.get(pc, ()) if c in levels] if pc else []
                if loaded:
                    target, basis = min(loaded, key=lambda c: (_rank(levels[c]), c)), m.BASIS_POSTCODE
        have = sorted((d["code"], d["basis"]) for d in o.get("derived") or [] if d and d.get("code"))
        want = [(target, basis)] if target else []
        if have == want:
            continue
        if have:
            drop.append(o["id"])
        if want:
            make.append({"a": o["id"], "b": target, "basis": basis})
    for i in range(0, len(drop), 5000):
        tx.run(query("delete_derived_based_in").text, {"ids": drop[i:i + 5000]}).consume()
    for i in range(0, len(make), 5000):
        tx.run(query("create_derived_based_in").text, {"rows": make[i:i + 5000], "source": source,
                                                       "run": run}).consume()
    counts = {"postcode": sum(1 for r in make if r["basis"] == m.BASIS_POSTCODE),
              "register": sum(1 for r in make if r["basis"] == m.BASIS_REGISTER), "removed": len(drop)}
    if make or drop:
        log.info("placement: %s", counts)
    return counts
