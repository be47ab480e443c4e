"""A council's own spreadsheet (a list of care homes, clubs, services) turned into template rows.

``ecomap load FILE --as services --map "name=Name,postcode=Postcode,category=Type"`` (or ``--map FILE``,
one ``target=source`` a line) reads one CSV, or the first sheet of an XLSX workbook, and makes the
``services`` rows, plus the ``organisations`` that provide them and the ``categories`` they name.

Mapping: ``target=Source column`` (header names are case-insensitive) or ``target='text'`` (a quoted
value for every row). Targets:

* services: ``name`` (required), ``id``, ``category`` (required), ``areas``, ``capacity``,
  ``client_group``, ``start``, ``end``, ``cost``;
* its provider: ``provider`` (a provider's name), ``provider_id``, ``postcode``, ``sector``,
  ``charity_number``, ``company_number``, ``income``.

Rules, so nobody retypes the list:

* **Providers.** With ``provider`` mapped, each distinct provider becomes one organisation (``id`` =
  ``provider_id`` when mapped, else ``local-<file>-<name>``, the file's and the provider's names in
  lower-case-hyphen form). Without it, each row is its own provider (a club runs its club): the
  organisation takes the row's name, postcode and ``local-<file>-<name>`` id. Names join only within
  one file: ecomap never merges organisations on a name (``ecomap reconcile`` lists look-alikes).
* **Service ids.** ``id`` when mapped (suffixed by the category when the row names several), else the
  provider's id, the service name (when the provider is another organisation) and the category code; a
  repeated id gets ``-2``, ``-3``… in the order of the rows.
* **Categories.** A value that is not a category code already loaded becomes a new category (code: the
  value in snake_case, name: the value). A cell listing several (``Nursing homes|Residential homes``)
  gives one service in each.
* **Areas.** ``areas`` mapped to a column: its place codes (``;``-separated); a quoted value: those
  codes for every row; not mapped, or a blank cell: the smallest loaded place containing the row's
  postcode (a postcode lookup must be loaded). A row left with no area is an error at its postcode.
* The postcode is kept on the provider (so it is also placed by postcode); columns not mapped are kept
  on the service as properties (``address``, ``telephone``…).

Errors are located as in the template: file, sheet, row (header = row 1), the source column and value.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

from ecosystem.model import SECTORS, CanonicalTables, Issue, ValidationError, table_frame

from .parse import ParseError, closest, is_blank, normalise_postcode, parse_codes, parse_date, parse_number, \
    parse_text, snake

#: --as TABLE choices (only services for now)
TABLES_AS = ("services",)
SERVICE_TARGETS = {"name": "str", "id": "str", "category": "str", "areas": "list", "capacity": "float",
                   "client_group": "str", "start": "date", "end": "date", "cost": "float"}
ORG_TARGETS = {"provider": "str", "provider_id": "str", "postcode": "str", "sector": "str",
               "charity_number": "str", "company_number": "str", "income": "float"}
TARGETS = {**SERVICE_TARGETS, **ORG_TARGETS}
REQUIRED = ("name", "category")
_PARSERS = {"str": parse_text, "float": parse_number, "date": parse_date, "list": parse_codes}


def slug(text: Any) -> str:
    return re.sub(r"[^0-9a-z]+", "-", str(text).lower()).strip("-") or "x"


def parse_mapping(spec: str | pathlib.Path) -> dict[str, tuple[str, str]]:
    """``"name=Name,category='sport'"`` or a file of such lines -> target -> ("column"|"value", text).

    Raises ``ValueError`` with a message for the user on a malformed entry or an unknown target.
    """
    text = str(spec)
    p = pathlib.Path(text)
    if "=" not in text or (p.suffix.lower() in (".txt", ".map", ".csv", ".ini") and p.exists()):
        if not p.exists():
            raise ValueError(f"--map {text!r}: neither target=column pairs nor an existing mapping file")
        lines = p.read_text(encoding="utf-8-sig").splitlines()
        parts = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    else:
        parts = _split(text)
    out: dict[str, tuple[str, str]] = {}
    for part in parts:
        key, sep, val = part.partition("=")
        key, val = key.strip().lower(), val.strip()
        if not sep or not key or not val:
            raise ValueError(f"--map entry {part.strip()!r} is not target=Source column")
        if key not in TARGETS:
            hint = closest(key, TARGETS)
            raise ValueError(f"--map target {key!r} is not a column ecomap fills"
                             + (f" — did you mean {hint!r}?" if hint else "")
                             + f"; choose from {', '.join(TARGETS)}")
        if key in out:
            raise ValueError(f"--map target {key!r} is given twice")
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
            out[key] = ("value", val[1:-1])
        else:
            out[key] = ("column", val)
    missing = [k for k in REQUIRED if k not in out]
    if missing:
        raise ValueError(f"--map needs {' and '.join(missing)} (e.g. name=Name,category=Type or "
                         f"category='sport')")
    return out


def _split(text: str) -> list[str]:
    """Split on commas outside quotes."""
    parts, cur, quote = [], "", None
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur += ch
        elif ch == ",":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _read(path: pathlib.Path) -> tuple[str | None, list[str], list[list[Any]]]:
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:
            raise ValidationError([Issue(path.name, None, None, None, None, "workbook",
                                         f"cannot open the workbook: {e}")]) from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        title = ws.title
        wb.close()
        if not rows:
            return title, [], []
        return title, ["" if h is None else str(h) for h in rows[0]], rows[1:]
    from .template import _read_csv  # the template's strict CSV reader: the same refusals, the same rows

    header, rows = _read_csv(path)
    return None, header, rows


def load(path: pathlib.Path, *, as_table: str = "services", mapping: Any = None, **options: Any) -> CanonicalTables:
    path = pathlib.Path(path)
    if as_table not in TABLES_AS:
        raise ValidationError([Issue(path.name, None, None, None, as_table, "as",
                                     f"--as {as_table!r}: choose one of {', '.join(TABLES_AS)}")])
    if path.is_dir() or path.suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationError([Issue(path.name, None, None, None, None, "format",
                                     "--as services reads one .csv file or the first sheet of one .xlsx workbook")])
    try:
        mp = mapping if isinstance(mapping, dict) else parse_mapping(mapping)
    except ValueError as e:
        raise ValidationError([Issue(path.name, None, None, None, None, "map", str(e))]) from None
    sheet, header, rows = _read(path)
    fname = path.name
    index = {}
    for i, h in enumerate(header):
        if not is_blank(h):
            index.setdefault(str(h).strip().lower(), i)
    issues: list[Issue] = []
    cols: dict[str, int] = {}
    for target, (kind, val) in mp.items():
        if kind != "column":
            continue
        i = index.get(val.strip().lower())
        if i is None:
            names = [str(h).strip() for h in header if not is_blank(h)]
            low = closest(val, names)
            hint = next((h for h in names if low and h.lower() == low.lower()), low)
            issues.append(Issue(fname, sheet, 1, val, None, "required_column",
                                f"--map {target}={val}: no column {val!r} in {sheet or fname}"
                                + (f" — did you mean {hint!r}?" if hint else "")))
        else:
            cols[target] = i
    if issues:
        raise ValidationError(issues)
    used = set(cols.values())
    extras = [(i, snake(h)) for i, h in enumerate(header) if i not in used and not is_blank(h)]
    stem = slug(path.stem)
    orgs: dict[str, dict[str, Any]] = {}
    services: list[dict[str, Any]] = []
    categories: dict[str, dict[str, Any]] = {}
    seen_ids: dict[str, int] = {}
    for n, raw in enumerate(rows, start=2):
        if all(is_blank(v) for v in raw):
            continue
        vals: dict[str, Any] = {}
        bad = False
        for target, (kind, val) in mp.items():
            v = val if kind == "value" else (raw[cols[target]] if cols[target] < len(raw) else None)
            head = val if kind == "column" else f"--map {target}"
            try:
                parsed = _PARSERS[TARGETS[target]](v)
            except ParseError as e:
                issues.append(Issue(fname, sheet, n, head, v, f"type_{TARGETS[target]}", f"{target}: {e}"))
                bad = True
                continue
            if target in REQUIRED and is_blank(v):
                issues.append(Issue(fname, sheet, n, head, None, "required_value", f"{target} is required"))
                bad = True
            if target == "sector" and parsed is not None:
                if str(parsed).lower() not in SECTORS:
                    issues.append(Issue(fname, sheet, n, head, v, "choice",
                                        f"sector must be one of {', '.join(SECTORS)}"))
                    bad = True
                parsed = str(parsed).lower()
            if target == "postcode" and parsed is not None:
                pc = normalise_postcode(parsed)
                vals["_postcode_raw"] = parsed
                parsed = pc or parsed
            vals[target] = parsed
        if bad:
            continue
        meta = {"_file": fname, "_sheet": sheet, "_row": n}
        # the provider
        if "provider" in vals or "provider_id" in vals:
            pname = vals.get("provider") or vals.get("provider_id")
            oid = vals.get("provider_id") or f"local-{stem}-{slug(pname)}"
            org = orgs.setdefault(oid, {"id": oid, "name": pname, **meta})
        else:
            oid = vals.get("provider_id") or f"local-{stem}-{slug(vals['name'])}"
            org = orgs.setdefault(oid, {"id": oid, "name": vals["name"], "postcode": vals.get("postcode"), **meta})
        for k in ("sector", "charity_number", "company_number", "income"):
            if vals.get(k) is not None and org.get(k) is None:
                org[k] = vals[k]
        # the categories (one service in each)
        names = [c.strip() for c in re.split(r"[|;]", str(vals["category"])) if c.strip()]
        for cname in names:
            code = snake(cname)
            categories.setdefault(code, {"code": code, "name": cname, "_if_new": True, **meta})
            own = "provider" not in vals and "provider_id" not in vals
            base = vals.get("id") or (f"{oid}-{code}" if own else f"{oid}-{slug(vals['name'])}-{code}")
            if vals.get("id") and len(names) > 1:
                base = f"{base}-{code}"
            k = seen_ids.get(base, 0) + 1
            seen_ids[base] = k
            sid = base if k == 1 else f"{base}-{k}"
            rec = {"id": sid, "name": vals["name"], "provider": oid, "category": code,
                   "areas": list(vals.get("areas") or []), **meta}
            for t in ("capacity", "client_group", "start", "end", "cost"):
                if t in vals:
                    rec[t] = vals[t]
            if vals.get("postcode"):
                rec["postcode"] = vals["postcode"]
                if not rec["areas"]:
                    rec["_areas_from_postcode"] = vals["postcode"]
                    rec["_postcode_column"] = mp["postcode"][1] if mp["postcode"][0] == "column" else "--map postcode"
            elif not rec["areas"]:
                rec["_areas_from_postcode"] = None
                rec["_postcode_column"] = mp.get("areas", ("", "areas"))[1]
            for i, key in extras:
                if key not in rec and key not in TARGETS and i < len(raw) and not is_blank(raw[i]):
                    rec[key] = parse_text(raw[i])
            services.append(rec)
    if issues:
        raise ValidationError(issues)
    return CanonicalTables({"services": table_frame(services, "services"),
                            "organisations": table_frame(list(orgs.values()), "organisations"),
                            "categories": table_frame(list(categories.values()), "categories")})


def areas_from_postcodes(tables: CanonicalTables, smallest: Any, *, no_store: bool = False) -> list[Issue]:
    """Fill the areas of mapped services that have none from their postcode; issues for those left without.

    ``smallest(postcodes) -> {postcode: place code}`` answers from the store's lookups and places.
    Drops the helper columns.
    """
    df = tables.tables["services"]
    if "_areas_from_postcode" not in df.columns:
        return []
    issues = []
    want = sorted({p for p, a in zip(df["_areas_from_postcode"], df["areas"]) if not a and isinstance(p, str)})
    found = smallest(want) if want else {}
    areas = []
    for rec in df.to_dict("records"):
        a = rec["areas"]
        if not a:
            pc = rec.get("_areas_from_postcode")
            code = found.get(pc) if isinstance(pc, str) else None
            if code:
                a = [code]
            else:
                if not isinstance(pc, str):
                    why = "no areas and no postcode: map areas=<column>, areas='CODE' or postcode=<column>"
                elif no_store:
                    why = (f"postcode {pc}: with --no-store the loaded postcode lookups cannot be asked; drop "
                           f"--no-store, or map areas=<column> or areas='CODE'")
                else:
                    why = (f"postcode {pc} is in no loaded place (load a postcode lookup that covers it, and the "
                           f"places), or map areas=<column> or areas='CODE'")
                issues.append(Issue(rec.get("_file"), rec.get("_sheet"), rec.get("_row"),
                                    rec.get("_postcode_column"), pc, "areas", why))
        areas.append(a)
    df = df.copy()
    df["areas"] = areas
    tables.tables["services"] = df.drop(columns=[c for c in ("_areas_from_postcode", "_postcode_column")
                                                 if c in df.columns])
    return issues


def drop_known_categories(tables: CanonicalTables, known: set[str]) -> None:
    """Categories a mapped sheet named that are already loaded keep their own names (not the sheet's text)."""
    df = tables.tables["categories"]
    if "_if_new" not in df.columns:
        return
    keep = [not (flag is True and code in known) for code, flag in zip(df["code"], df["_if_new"])]
    tables.tables["categories"] = df[keep].drop(columns=["_if_new"]).reset_index(drop=True)
