"""One organisation, many sources: identifiers, merging and probable duplicates.

Organisations arrive from 360Giving, OCDS, Open Referral and the template
under different ids. Two records are the *same organisation* only on
identifier evidence: the same org-id (``GB-CHC-1159982``), the same
registered charity number or the same Companies House number (company
numbers are compared zero-padded to eight characters, so ``GB-COH-4142000``
and ``04142000`` agree). Nothing is ever merged on a name alone:
:func:`probable_duplicates` lists same-name records with different ids for a
person to confirm (``ecomap reconcile``).

Pure functions over DataFrames; no database.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import pandas as pd

from ecosystem.model import empty_table

#: org-id prefixes whose identifier is a charity number / a company number.
CHARITY_SCHEMES = ("GB-CHC", "GB-SC", "GB-NIC")
COMPANY_SCHEMES = ("GB-COH",)
#: preference when choosing the id that a merged organisation keeps (lower wins).
_SCHEME_RANK = {"GB-CHC": 0, "GB-SC": 0, "GB-NIC": 0, "GB-COH": 1, "GB-LAE": 2, "GB-LAS": 2, "GB-LAN": 2,
                "GB-PLA": 2, "GB-GOR": 2, "GB-NHS": 2, "GB-UKPRN": 2, "GB-EDU": 2, "GB-MPR": 3}

_ORG_ID = re.compile(r"^([A-Z]{2}-[A-Z0-9]{2,8})-(.+)$")
_SUFFIXES = re.compile(r"\b(the|ltd|limited|plc|llp|cic|cio|inc|co|company|uk)\b")


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def clean_identifier(value: Any, upper: bool = True) -> str | None:
    """An identifier as text: no spaces, upper case, a spreadsheet's ``.0`` removed."""
    if _blank(value):
        return None
    if isinstance(value, float) and value == int(value):
        value = int(value)
    s = re.sub(r"\s+", "", str(value))
    s = s.upper() if upper else s
    if re.fullmatch(r"\d+\.0", s):
        s = s[:-2]
    return s or None


def company_number(value: Any) -> str | None:
    """Companies House number, zero-padded to 8 characters when it is all digits."""
    s = clean_identifier(value)
    if s is None:
        return None
    if s.isdigit() and len(s) < 8:
        s = s.zfill(8)
    return s


def charity_number(value: Any) -> str | None:
    s = clean_identifier(value)
    if s is None:
        return None
    return s.lstrip("0") if s.isdigit() else s


def make_org_id(scheme: Any, identifier: Any) -> str | None:
    """``GB-COH`` + ``02227962`` -> ``GB-COH-02227962`` (None when either part is blank)."""
    scheme_s, ident = clean_identifier(scheme), clean_identifier(identifier, upper=False)
    if not scheme_s or not ident:
        return None
    if ident.upper().startswith(scheme_s + "-"):
        return ident
    if scheme_s in COMPANY_SCHEMES:
        ident = company_number(ident)
    return f"{scheme_s}-{ident}"


def split_org_id(org_id: Any) -> tuple[str, str] | None:
    """``GB-CHC-1159982`` -> (``GB-CHC``, ``1159982``); None when not org-id shaped."""
    s = clean_identifier(org_id)
    if not s:
        return None
    m = _ORG_ID.match(s)
    return (m[1], m[2]) if m else None


def identity_keys(org_id: Any = None, charity: Any = None, company: Any = None) -> set[tuple[str, str]]:
    """The identifier evidence one organisation record carries."""
    keys: set[tuple[str, str]] = set()
    ident = clean_identifier(org_id)
    if ident:
        keys.add(("id", ident))
        parts = split_org_id(ident)
        if parts:
            scheme, rest = parts
            if scheme in CHARITY_SCHEMES:
                keys.add(("chc", f"{scheme}:{charity_number(rest)}"))
            elif scheme in COMPANY_SCHEMES:
                keys.add(("coh", company_number(rest)))
    c = charity_number(charity)
    if c:
        # a bare charity number is taken as England and Wales unless it is Scottish (SC…)
        scheme = "GB-SC" if c.startswith("SC") else "GB-CHC"
        keys.add(("chc", f"{scheme}:{c}"))
    k = company_number(company)
    if k:
        keys.add(("coh", k))
    return keys


def normalise_name(name: Any) -> str | None:
    """Lower case, ``&`` -> and, punctuation and legal suffixes removed."""
    if _blank(name):
        return None
    s = str(name).lower().replace("&", " and ")
    s = re.sub(r"[^0-9a-z]+", " ", s)
    s = _SUFFIXES.sub(" ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s or None


def _id_rank(org_id: str) -> tuple[int, str]:
    parts = split_org_id(org_id)
    return (_SCHEME_RANK.get(parts[0], 5) if parts else 9, org_id)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    if df is None or not len(df):
        return []
    return df.to_dict("records")


def resolve_identities(tables, existing: pd.DataFrame | None = None):
    """Give each organisation known by several identifiers one id.

    Incoming organisation rows are grouped when they share an org-id, a
    charity number or a company number, with each other or with an
    ``existing`` organisation (columns ``id``, ``name``, ``charity_number``,
    ``company_number``; the store's current organisations). A group that
    matches an existing organisation takes its id; otherwise the group keeps
    the strongest org-id (charity, then company, then public-body schemes,
    then anything else). The other ids are kept in ``other_ids`` (``;``
    separated) and every reference (``services.provider``,
    ``funding.funder/recipient``, ``partnerships.a/b``, ``procurements.buyer``) is rewritten.
    Merged rows take each column's first non-blank value. Returns new
    :class:`CanonicalTables`; the input is not changed.
    """
    from ecosystem.model import CanonicalTables

    orgs = tables.tables["organisations"]
    recs = _records(orgs)
    uf = _UnionFind()
    key_owner: dict[tuple[str, str], Any] = {}

    existing_recs = _records(existing)
    for i, r in enumerate(existing_recs):
        node = ("existing", i)
        uf.find(node)
        for k in identity_keys(r.get("id"), r.get("charity_number"), r.get("company_number")):
            if k in key_owner:
                uf.union(key_owner[k], node)
            else:
                key_owner[k] = node
    for i, r in enumerate(recs):
        node = ("new", i)
        uf.find(node)
        for k in identity_keys(r.get("id"), r.get("charity_number"), r.get("company_number")):
            if k in key_owner:
                uf.union(key_owner[k], node)
            else:
                key_owner[k] = node

    groups: dict[Any, list[Any]] = {}
    for node in list(uf.parent):
        groups.setdefault(uf.find(node), []).append(node)

    rename: dict[str, str] = {}
    merged_rows: dict[Any, dict[str, Any]] = {}
    for members in groups.values():
        members.sort()  # existing before new, then by position
        ex = [existing_recs[i]["id"] for kind, i in members if kind == "existing"]
        new_idx = [i for kind, i in members if kind == "new"]
        if not new_idx:
            continue
        new_ids = [str(recs[i]["id"]) for i in new_idx if not _blank(recs[i].get("id"))]
        if ex:
            keep = str(ex[0])
        else:
            keep = min(new_ids, key=_id_rank) if new_ids else None
        if keep is None:
            continue
        row: dict[str, Any] = {}
        for i in new_idx:
            for col, v in recs[i].items():
                if col not in row or _blank(row[col]):
                    row[col] = v
        aliases = sorted({x for x in new_ids + [str(e) for e in ex] if x != keep})
        prev = row.get("other_ids")
        if not _blank(prev):
            aliases = sorted(set(aliases) | set(str(prev).split(";")))
        row["id"] = keep
        row["other_ids"] = ";".join(aliases) if aliases else None
        for oid in new_ids:
            rename[oid] = keep
        merged_rows[min(new_idx)] = row

    out = {name: df.copy() for name, df in tables.tables.items()}
    if recs:
        rows = [merged_rows[i] for i in sorted(merged_rows)]
        cols = list(orgs.columns) + (["other_ids"] if "other_ids" not in orgs.columns else [])
        out["organisations"] = pd.DataFrame(rows, columns=cols).astype(object).where(
            lambda d: d.notna(), None) if rows else empty_table("organisations")
    for name, cols in (("services", ["provider"]), ("funding", ["funder", "recipient"]),
                       ("partnerships", ["a", "b"]), ("procurements", ["buyer"])):
        df = out.get(name)
        if df is None or not len(df):
            continue
        for col in cols:
            if col in df.columns:
                df[col] = [rename.get(v, v) if isinstance(v, str) else v for v in df[col]]
    return CanonicalTables(out, list(tables.warnings), dict(tables.skipped), dict(tables.unusable))


def probable_duplicates(organisations: pd.DataFrame) -> pd.DataFrame:
    """Pairs of organisations with the same normalised name, different ids and no shared identifier.

    For a person to confirm (``ecomap reconcile``); nothing is merged here.

    Returns
    -------
    DataFrame with columns ``name_key``, ``id_a``, ``name_a``, ``id_b``,
    ``name_b``, ``reason``, sorted by ``name_key``, ``id_a``, ``id_b``.
    """
    cols = ["name_key", "id_a", "name_a", "id_b", "name_b", "reason"]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for r in _records(organisations):
        key = normalise_name(r.get("name"))
        if key is None or _blank(r.get("id")):
            continue
        by_name.setdefault(key, []).append(r)
    out = []
    for key, rs in by_name.items():
        seen: dict[str, dict[str, Any]] = {}
        for r in rs:
            seen.setdefault(str(r["id"]), r)
        ids = sorted(seen)
        for i, a in enumerate(ids):
            ka = identity_keys(a, seen[a].get("charity_number"), seen[a].get("company_number"))
            for b in ids[i + 1:]:
                kb = identity_keys(b, seen[b].get("charity_number"), seen[b].get("company_number"))
                if ka & kb:
                    continue
                out.append({"name_key": key, "id_a": a, "name_a": seen[a].get("name"), "id_b": b,
                            "name_b": seen[b].get("name"),
                            "reason": "same name, different ids, no shared identifier"})
    df = pd.DataFrame(out, columns=cols)
    return df.sort_values(["name_key", "id_a", "id_b"], ignore_index=True) if len(df) else df


def org_ids_from(values: Iterable[Any]) -> list[str]:
    """Distinct cleaned identifiers, in order."""
    seen: list[str] = []
    for v in values:
        c = clean_identifier(v)
        if c and c not in seen:
            seen.append(c)
    return seen


# --------------------------------------------------------------------------
# Public bodies' identifiers -> the GSS codes of their areas (bundled registers)
# --------------------------------------------------------------------------
#: org-id prefixes of councils (org-id.guide registers) and of NHS bodies (ODS codes)
COUNCIL_PREFIXES = ("GB-LAE-", "GB-LAS-", "GB-PLA-", "GB-LANI-")
NHS_PREFIX = "GB-NHS-"
PUBLIC_BODY_PREFIXES = (*COUNCIL_PREFIXES, NHS_PREFIX)


def _data(name: str):
    import pathlib

    return pathlib.Path(__file__).parent / "data" / name


_REGISTER: dict[str, tuple[str, ...]] | None = None


def public_body_register() -> dict[str, tuple[str, ...]]:
    """Whole org-id -> the GSS codes of its area, most current first (see ``loaders/data/README.md``).

    Councils from the OGL register ``la_orgid_to_gss.csv`` (rows without a GSS code left out), then the
    second codes of ``orgid_other_gss.csv``; NHS bodies from ``nhs_orgid_to_gss.csv``.
    """
    global _REGISTER
    if _REGISTER is None:
        import csv

        out: dict[str, list[str]] = {}
        for name, column in (("la_orgid_to_gss.csv", "gss_code"), ("orgid_other_gss.csv", "gss_code"),
                             ("nhs_orgid_to_gss.csv", "gss_code")):
            with _data(name).open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    oid, code = (row.get("org_id") or "").strip().upper(), (row.get(column) or "").strip().upper()
                    if oid and code and code not in out.setdefault(oid, []):
                        out[oid].append(code)
        _REGISTER = {k: tuple(v) for k, v in out.items() if v}
    return _REGISTER


def public_body_codes(org_id: Any) -> tuple[str, ...]:
    """The GSS codes a council's or NHS body's org-id names (joined on the whole org-id), else ()."""
    if _blank(org_id):
        return ()
    return public_body_register().get(str(org_id).strip().upper(), ())


# --------------------------------------------------------------------------
# org-id.guide prefixes: an identifier that claims to be an org-id must start with a listed one
# --------------------------------------------------------------------------
#: prefixes used by convention beside org-id.guide's lists: 360Giving's own for organisations with no
#: registered identifier (its guidance: ``360G-<funder>-<local id>``)
CONVENTION_PREFIXES = ("360G",)

_PREFIXES: dict[str, dict[str, Any]] | None = None


def org_id_prefixes() -> dict[str, dict[str, Any]]:
    """org-id.guide's lists, bundled (``loaders/data/org_id_prefixes.csv``): code → ``name``, ``deprecated``, ``former``.

    >>> org_id_prefixes()["GB-COH"]["name"]
    'Companies House'
    """
    global _PREFIXES
    if _PREFIXES is None:
        import csv
        import importlib.resources

        text = importlib.resources.files("loaders").joinpath("data/org_id_prefixes.csv").read_text(encoding="utf-8")
        out: dict[str, dict[str, Any]] = {}
        for r in csv.DictReader(text.splitlines()):
            out[r["code"].upper()] = {"name": r["name"], "deprecated": r["deprecated"] == "true",
                                      "former": [p for p in r["former_prefixes"].split(";") if p]}
        _PREFIXES = out
    return _PREFIXES


#: org-id shaped: a jurisdiction (two letters, optionally ``_`` and a subdivision), a list code, an identifier
_ORG_ID_SHAPE = re.compile(r"^([A-Z]{2}(?:_[A-Z0-9]+)?)-([A-Z0-9_]+)-(.+)$")


def org_id_problem(value: Any) -> str | None:
    """Why ``value`` is not an org-id with a known prefix, or None when it is fine.

    Only identifiers that claim to be org-ids are checked: ``GB-XYZ-1``
    (org-id shaped, prefix not listed by org-id.guide), a withdrawn list
    (``GB-GOVUK-…``), or a listed prefix with something before it
    (``RUBBISH1-GB-CHC-1159982``). Local ids (``P1``, ``COUNCIL``) and
    360Giving's ``360G-`` ids are fine: the template accepts any unique
    string.

    >>> org_id_problem("GB-CHC-1159982") is None, org_id_problem("P1") is None
    (True, True)
    >>> org_id_problem("GB-XYZ-1")
    "'GB-XYZ' is not an org-id.guide prefix"
    >>> org_id_problem("RUBBISH1-GB-CHC-1159982")
    "does not start with an org-id.guide prefix; 'GB-CHC-1159982' inside it would be one"
    """
    s = clean_identifier(value)
    if not s:
        return None
    known = org_id_prefixes()
    if s.split("-", 1)[0] in CONVENTION_PREFIXES:
        return None
    m = _ORG_ID_SHAPE.match(s)
    if m:
        prefix = f"{m[1]}-{m[2]}"
        entry = known.get(prefix)
        if entry is None:
            successors = [c for c, e in known.items() if prefix in e["former"]]
            hint = f" (now {successors[0]})" if successors else ""
            return f"{prefix!r} is not an org-id.guide prefix{hint}"
        if entry["deprecated"]:
            successors = [c for c, e in known.items() if prefix in e["former"] and not e["deprecated"]]
            return f"{prefix!r} is a withdrawn org-id.guide list" + (f"; use {successors[0]}" if successors else "")
        return None
    # a known prefix further in: junk in front of an org-id
    for at in [i + 1 for i, ch in enumerate(s) if ch == "-"]:
        inner = _ORG_ID_SHAPE.match(s[at:])
        if inner and f"{inner[1]}-{inner[2]}" in known:
            return f"does not start with an org-id.guide prefix; {s[at:]!r} inside it would be one"
    return None


def org_id_warnings(tables: dict[str, pd.DataFrame], *, source: str = "") -> list:
    """A located warning (file, sheet, row, column, value) for each organisation id with an unknown prefix.

    Never an error: the SPEC accepts any unique string as an id, and a
    publisher's typo should not stop a load. See :func:`org_id_problem`.
    """
    from ecosystem.model import Issue

    orgs = tables.get("organisations")
    if orgs is None or not len(orgs) or "id" not in orgs.columns:
        return []
    out = []
    cols = {c: list(orgs[c]) if c in orgs.columns else [None] * len(orgs) for c in ("id", "_file", "_sheet", "_row")}
    for i, v in enumerate(cols["id"]):
        why = org_id_problem(v)
        if why is None:
            continue
        f, sh, row = (None if _blank(x) else x for x in (cols["_file"][i], cols["_sheet"][i], cols["_row"][i]))
        out.append(Issue(str(f or source), sh, int(row) if row is not None else None, "id", str(v), "org_id_prefix",
                         f"organisation id {str(v)!r}: {why} (kept as it is; see org-id.guide)"))
    return out
