"""Open Referral UK (HSDS 3 UK profile) and HSDS tabular packages -> services.

Reads ORUK v3 JSON — a full service record, an organisation record with its
``services``, a ``service_at_location`` record, a paginated ``/services``
list (``{"contents": [...], "total_items": …}``) or a JSON array of
services, or a folder of such pages — and HSDS tabular CSV packages (a
folder with ``services.csv`` and ``organizations.csv``, optionally
``service_areas.csv``, ``taxonomy_terms.csv``/``taxonomy.csv``,
``attribute(s).csv``/``services_taxonomy.csv``, ``locations.csv``,
``service_at_location.csv``, ``(physical_)address(es).csv``,
``funding.csv`` and ``organization_identifiers.csv``).

Canonical output
----------------
* ``organisations``: id = the org-id from ``organization_identifiers``
  (``GB-CHC-…``, ``GB-COH-…``) when there is one, else the record's id
  (the original kept as ``oruk_id``).
* ``services``: ``category`` from the taxonomy terms through the editable
  category map (:mod:`loaders.categories`; option ``category_map``), unmapped
  terms -> ``unclassified`` (raw terms kept in ``taxonomy_terms``);
  ``areas`` = GSS codes among the service areas (free text kept in
  ``area_text``), else the places of its locations when a ``postcode_lookup``
  (CSV: postcode + code column) or ``boundaries`` (GeoJSON) option is given.
  Descriptions lose their HTML. Area codes refer to places that must be
  loaded (geography) or pass ``places=True`` for minimal place rows.
* ``funding``: a funding row whose ``source`` names an org-id or an
  organisation in the same data becomes a flow funder -> provider for the
  service, amount unknown (``None``, ``amount_known`` = False); others are
  kept as the service's ``funding_text``.
* ``categories``: the categories the mapping used, with names.
* ``organisations`` get the ``postcode`` of their own location (a location
  naming the organisation), else of their services' first location, in
  ``M15 4AB`` form, for a postcode lookup to place them.

A feed as published
-------------------
A folder of JSON files (a feed dump: ``/services`` pages, full service
records, ``/organizations`` pages and records, ``/taxonomies`` and
``/taxonomy_terms`` pages, the API description at ``/``) is read file by file,
each by what it holds, not by its name: services and service-at-location
records load as services, organisation records and pages as organisations
(with their services, if any), and what carries no services (the API
description, taxonomy and taxonomy-term lists) is ignored with a note saying
so. A service that appears twice (a list page and its full record) keeps the
fuller record.

The Open Referral UK validator's checks that matter to the analysis are
located warnings (file, record, field; the first 20 of each kind, then a
count), errors with ``strict``: a record with no id (skipped), a service with
no organisation (skipped), a service naming an organisation that is not in the
feed (kept, with a placeholder organisation), a service area with neither a
code nor a name, a taxonomy term with no term, a service with no description,
a malformed URL or email. What the analysis cannot use is counted in
``unusable`` (and one warning): locations whose postcode no postcode lookup
turned into a place, free-text service areas, unmapped taxonomy terms.
"""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import pathlib
import re
from html.parser import HTMLParser
from typing import Any

import pandas as pd

from ecosystem.model import CanonicalTables, Issue, ValidationError, table_frame

from . import categories as cats
from . import identity
from .geography import level_of, point_in_geometry
from .parse import ParseError, normalise_postcode, parse_number, parse_text

FORMAT = "openreferral"
log = logging.getLogger(__name__)
_GSS = re.compile(r"\b([EWSN]\d{8})\b")
_ORGID = re.compile(r"^[A-Z]{2}-[A-Z]{2,6}-\S+$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$", re.I)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$|^https?://localhost", re.I)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
#: fields that only a service record has (HSDS 3 / ORUK)
_SERVICE_KEYS = {"service_areas", "service_at_locations", "organization", "organization_id", "status",
                 "eligibility_description", "schedules", "cost_options", "program", "service_areas",
                 "interpretation_services", "application_process", "fees_description", "minimum_age", "maximum_age"}
_ORG_KEYS = {"organization_identifiers", "legal_status", "year_incorporated", "parent_organization_id",
             "tax_status", "tax_id", "logo", "uri", "website"}
_TERM_KEYS = {"term", "code", "taxonomy_id", "parent_id", "vocabulary", "taxonomy", "taxonomy_detail"}
#: the first this many publisher's errors of each kind are listed one by one, then counted
LISTED = 20


# --------------------------------------------------------------------------
def sniff(path: pathlib.Path) -> bool:
    path = pathlib.Path(path)
    if path.is_dir():
        names = {p.name.lower() for p in path.iterdir()}
        if "services.csv" in names and ("organizations.csv" in names or "organisations.csv" in names):
            return True
        js = sorted(p for p in path.iterdir() if p.suffix.lower() == ".json")
        return bool(js) and _sniff_json(js[0])
    if path.suffix.lower() == ".json":
        return _sniff_json(path)
    return False


def _sniff_json(path: pathlib.Path) -> bool:
    with path.open("rb") as f:
        head = f.read(16384).decode("utf-8", "ignore")
    if '"ocid"' in head or '"grants"' in head:
        return False
    return bool(re.search(r'"(service_areas|service_at_locations|organization|organization_identifiers|'
                          r'total_items|taxonomy_term|organization_id)"\s*:', head))


def load(path: pathlib.Path, **options: Any) -> CanonicalTables:
    path = pathlib.Path(path)
    try:
        return _Loader(path, options).run()
    except ValidationError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError, OSError,
            RecursionError, csv.Error) as e:
        log.debug("Open Referral read failed", exc_info=True)
        raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                     f"could not read this as Open Referral data: {type(e).__name__}: {e}")]) from None


# --------------------------------------------------------------------------
class _Text(HTMLParser):
    _BLOCK = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        self.out.append(data)


def plain_text(v: Any) -> str | None:
    """HTML -> plain text (tags removed, entities decoded, blank lines collapsed)."""
    s = parse_text(v)
    if s is None:
        return None
    if "<" in s or "&" in s:
        p = _Text()
        p.feed(s)
        p.close()
        s = html.unescape("".join(p.out))
    lines = [" ".join(line.split()) for line in s.splitlines()]
    s = "\n".join(line for line in lines if line)
    return s or None


def _list(v: Any) -> list:
    if isinstance(v, list):
        return v
    return [v] if isinstance(v, dict) else []


class _Loader:
    def __init__(self, path: pathlib.Path, options: dict[str, Any]):
        self.path = path
        self.options = options
        self.cmap = cats.read_map(options.get("category_map"))
        self.issues: list[Issue] = []
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self.orgs: dict[str, dict[str, Any]] = {}
        self.org_alias: dict[str, str] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.funding_raw: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.unmapped: set[tuple[str | None, str]] = set()
        self.strict = bool(options.get("strict", False))
        self.errors: dict[str, int] = {}
        self.ignored: list[str] = []  # files or records that carry no services, and what they were
        self.richness: dict[str, int] = {}
        self.unusable: dict[str, int] = {}
        self.org_postcodes: dict[str, str] = {}  # organisation -> postcode of its own location
        self.not_uuid = 0
        self.dangling: list[tuple[str, str, dict[str, Any]]] = []  # (organisation id, service, where)
        self.service_postcodes: dict[str, str] = {}
        self.svc_unusable: dict[str, tuple[int, int]] = {}
        self.postcodes = self._postcode_lookup(options.get("postcode_lookup"))
        self.bounds = self._boundaries(options.get("boundaries"))

    # ---- options ----
    def _postcode_lookup(self, p) -> dict[str, str]:
        if not p:
            return {}
        rows = list(csv.reader(io.StringIO(pathlib.Path(p).read_text(encoding="utf-8-sig"))))
        head = [h.strip().lower() for h in rows[0]]
        pc = next(i for i, h in enumerate(head) if h in ("postcode", "pcds", "pcd", "pcd7", "pcd8", "postcodes"))
        want = self.options.get("postcode_column")
        code = head.index(want.lower()) if want else next(i for i, h in enumerate(head) if i != pc and (
            h.endswith("cd") or h in ("code", "area_code", "ward_code")))
        return {_pc(r[pc]): r[code].strip() for r in rows[1:] if len(r) > max(pc, code) and r[code].strip()}

    def _boundaries(self, p) -> list[tuple[str, dict]]:
        if not p:
            return []
        from . import geography

        ct = geography.load(pathlib.Path(p))
        return [(r["code"], json.loads(r["boundary"])) for r in ct.records("places") if r.get("boundary")]

    # ---- get ----
    def run(self) -> CanonicalTables:
        if self.path.is_dir() and (self.path / "services.csv").exists():
            self._tabular(self.path)
        elif self.path.is_dir():
            files = sorted(p for p in self.path.iterdir() if p.suffix.lower() == ".json")
            if not files:
                raise ValidationError([Issue(str(self.path), None, None, None, None, "empty",
                                             "no services.csv or .json files in this folder")])
            for f in files:
                self._json_file(f)
        else:
            self._json_file(self.path)
        self._dangling()
        if not self.services and not self.orgs and not self.issues:
            what = ("; ".join(self.ignored) + ": ") if self.ignored else ""
            self.issues.append(Issue(str(self.path), None, None, None, None, "empty",
                                     f"{what}no Open Referral services or organisations found"))
        if self.issues:
            raise ValidationError(self.issues, self.warnings)
        return self._tables()

    def _json_file(self, f: pathlib.Path) -> None:
        try:
            doc = json.loads(f.read_bytes().decode("utf-8-sig"))
        except json.JSONDecodeError as e:
            self.issues.append(Issue(str(f), None, e.lineno, None, None, "json", f"not valid JSON: {e.msg}"))
            return
        if isinstance(doc, dict) and ("openapi_url" in doc or "openapi" in doc or "swagger" in doc
                                      or ("version" in doc and not isinstance(doc.get("contents"), list)
                                          and _classify(doc) is None)):
            self.ignored.append(f"{f.name}: the API description (no services); ignored")
            return
        if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
            items, label = doc["contents"], "contents"
            total = doc.get("total_items")
            if isinstance(total, int) and total > len(items) and doc.get("total_pages") not in (None, 1):
                self.warnings.append(f"{f}: page {doc.get('page_number')} of {doc.get('total_pages')} "
                                     f"({len(items)} of {total} items); load every page for the full list")
        elif isinstance(doc, list):
            items, label = doc, ""
        elif isinstance(doc, dict):
            items, label = [doc], None
        else:
            self.issues.append(Issue(str(f), None, None, None, None, "shape",
                                     "expected an Open Referral service, organisation or list page"))
            return
        kinds: dict[str, int] = {}
        for i, item in enumerate(items):
            where = f"{label}[{i}]" if label is not None else "$"
            if not isinstance(item, dict):
                self.issues.append(Issue(str(f), where, i + 1, None, None, "shape", "not a JSON object"))
                continue
            meta = {"_file": str(f), "_sheet": where, "_row": i + 1}
            kind = _classify(item)
            kinds[kind or "unknown"] = kinds.get(kind or "unknown", 0) + 1
            if kind == "service_at_location":
                svc = dict(item["service"])
                if isinstance(item.get("location"), dict):
                    svc.setdefault("service_at_locations", [{"location": item["location"]}])
                self._service(svc, None, meta)
            elif kind == "organisation":
                oid = self._org(item, meta)
                self._check_org(item, meta)
                for loc in _list(item.get("locations")):
                    self._org_location(oid, loc)
                for s in _list(item.get("services")):
                    if isinstance(s, dict):
                        self._service(s, oid, meta)
            elif kind in ("taxonomy_term", "taxonomy"):
                if kind == "taxonomy_term" and not (parse_text(item.get("term")) or parse_text(item.get("name"))):
                    self._publisher_error("taxonomy term with no term", str(f), where, "term", None,
                                          "the taxonomy term has no term or name")
                continue
            elif kind == "service":
                self._service(item, None, meta)
            else:
                self.ignored.append(f"{f.name}, {where}: not a service, organisation or taxonomy record; ignored")
        only = {k: n for k, n in kinds.items() if k in ("taxonomy_term", "taxonomy")}
        if only and len(only) == len(kinds):
            words = {"taxonomy_term": "taxonomy term(s)", "taxonomy": "taxonom(y/ies)"}
            self.ignored.append(f"{f.name}: " + ", ".join(f"{n} {words[k]}" for k, n in only.items())
                                + " (no services); ignored")

    def _publisher_error(self, kind: str, file: str, where: str | None, field: str | None, value: Any,
                         message: str) -> None:
        """A publisher's error: a located warning (the first 20 of a kind, then a count); an error if strict."""
        if self.strict:
            self.issues.append(Issue(file, where, None, field, value, "publisher", message))
            return
        n = self.errors[kind] = self.errors.get(kind, 0) + 1
        if n <= LISTED:
            loc = ", ".join(x for x in (file, where, field) if x)
            self.warnings.append(f"{loc}: {message}" + (f" (value {value!r})" if value is not None else ""))

    def _check_links(self, rec: dict[str, Any], meta: dict[str, Any], what: str) -> None:
        """The validator's URL and email checks on a service or organisation record."""
        for fld in ("url", "website"):
            v = parse_text(rec.get(fld))
            if v and not _URL.match(v):
                self._publisher_error("malformed URL", meta["_file"], meta["_sheet"], fld, v,
                                      f"the {what}'s {fld} is not a web address (http:// or https://)")
        v = parse_text(rec.get("email"))
        if v and not _EMAIL.match(v):
            self._publisher_error("malformed email", meta["_file"], meta["_sheet"], "email", v,
                                  f"the {what}'s email is not an email address")

    def _check_org(self, o: dict[str, Any], meta: dict[str, Any]) -> None:
        self._check_links(o, meta, "organisation")
        rid = parse_text(o.get("id"))
        if rid and not _UUID.match(rid):
            self.not_uuid += 1

    def _org_location(self, oid: str | None, loc: Any) -> None:
        if oid is None or not isinstance(loc, dict) or oid in self.org_postcodes:
            return
        for ad in _list(loc.get("addresses")) + _list(loc.get("physical_addresses")):
            pc = normalise_postcode(ad.get("postal_code")) if isinstance(ad, dict) else None
            if pc:
                self.org_postcodes[oid] = pc
                return

    # ---- organisations ----
    def _org(self, o: dict[str, Any], meta: dict[str, Any], identifiers: list[dict] | None = None) -> str | None:
        raw = parse_text(o.get("id"))
        ids = identifiers if identifiers is not None else [x for x in _list(o.get("organization_identifiers"))
                                                          if isinstance(x, dict)]
        orgid, charity, company = None, None, None
        for x in ids:
            oid = identity.make_org_id(x.get("identifier_scheme"), x.get("identifier"))
            if oid and orgid is None:
                orgid = oid
            parts = identity.split_org_id(oid) if oid else None
            if parts and parts[0] in identity.CHARITY_SCHEMES:
                charity = parts[1]
            if parts and parts[0] in identity.COMPANY_SCHEMES:
                company = parts[1]
        if orgid is None and raw in self.org_alias:  # seen before with its identifiers
            return self.org_alias[raw]
        key = orgid or raw
        if key is None:
            return None
        if raw:
            self.org_alias[raw] = key
        if key not in self.orgs:
            self.orgs[key] = {"id": key, "name": parse_text(o.get("name")) or key, "sector": None, "income": None,
                              "charity_number": charity, "company_number": company, "postcode": None,
                              "place": None, "oruk_id": raw, "website": parse_text(o.get("website") or o.get("url")),
                              "description": plain_text(o.get("description")), **meta}
        return key

    # ---- services ----
    def _service(self, s: dict[str, Any], provider: str | None, meta: dict[str, Any],
                 extra: dict[str, Any] | None = None) -> None:
        extra = extra or {}
        sid = parse_text(s.get("id"))
        file, where, row = meta["_file"], meta["_sheet"], meta["_row"]
        if sid is None:
            self._publisher_error("service with no id", file, where, "id", None,
                                  "the service has no id; it was not loaded")
            self._skip("service with no id")
            return
        richness = sum(1 for v in s.values() if v not in (None, "", [], {}))
        if sid in self.services:
            if richness <= self.richness.get(sid, 0):
                self._skip("service listed twice")
                return
            self._skip("service listed twice")  # the fuller record replaces the one read before
        if provider is None and isinstance(s.get("organization"), dict):
            provider = self._org(s["organization"], meta)
            self._check_org(s["organization"], meta)
            for loc in _list(s["organization"].get("locations")):
                self._org_location(provider, loc)
        if provider is None:
            raw = parse_text(s.get("organization_id"))
            provider = self.org_alias.get(raw, raw) if raw else None
            if provider is not None and provider not in self.orgs:
                self.dangling.append((provider, sid, meta))
        if provider is None:
            self._publisher_error("service with no organisation", file, where, "organization", None,
                                  f"service {sid} names no organisation; it was not loaded")
            self._skip("service with no organisation")
            return
        self.richness[sid] = richness
        if not plain_text(s.get("description")):
            self._publisher_error("service with no description", file, where, "description", None,
                                  f"service {sid} has no description")
        self._check_links(s, meta, "service")
        if not _UUID.match(sid):
            self.not_uuid += 1
        terms = extra.get("terms") or []
        for a in _list(s.get("attributes")):
            t = a.get("taxonomy_term") if isinstance(a, dict) else None
            if isinstance(t, dict):
                terms.append(t)
        for t in _list(s.get("taxonomy_terms")):
            if isinstance(t, dict):
                terms.append(t)
        category, mapped, raw_terms = None, [], []
        for t in terms:
            label = parse_text(t.get("term")) or parse_text(t.get("name")) or parse_text(t.get("id"))
            tax = parse_text(t.get("taxonomy") or t.get("vocabulary"))
            if label:
                raw_terms.append(label)
            c = self.cmap.lookup(t.get("id"), t.get("code"), t.get("term"), t.get("name"), taxonomy=tax)
            if c:
                mapped.append(c)
            elif label:
                self.unmapped.add((tax, label))
        category = mapped[0] if mapped else cats.UNCLASSIFIED
        areas, area_text = [], []
        for a in _list(s.get("service_areas")) + (extra.get("areas") or []):
            if not isinstance(a, dict):
                continue
            found = False
            for fld in ("code", "extent", "uri", "service_area", "name"):
                for m in _GSS.findall(str(a.get(fld) or "")):
                    found = True
                    if m not in areas:
                        areas.append(m)
            txt = parse_text(a.get("service_area")) or parse_text(a.get("name")) or parse_text(a.get("description"))
            if txt and not found and txt not in area_text:
                area_text.append(txt)
            if not txt and not found:
                self._publisher_error("service area with no code or name", file, where, "service_areas", None,
                                      f"service {sid} has a service area with neither a place code nor a name")
        postcodes, loc_places = [], []
        locs = [x.get("location") if isinstance(x, dict) and isinstance(x.get("location"), dict) else x
                for x in _list(s.get("service_at_locations"))] + (extra.get("locations") or [])
        bad_coords = 0
        unplaced_locations = 0
        for loc in locs:
            if not isinstance(loc, dict):
                continue
            if parse_text(loc.get("organization_id")):
                self._org_location(self.org_alias.get(parse_text(loc.get("organization_id")),
                                                      parse_text(loc.get("organization_id"))), loc)
            for ad in _list(loc.get("addresses")) + _list(loc.get("physical_addresses")):
                pc = parse_text(ad.get("postal_code")) if isinstance(ad, dict) else None
                if pc and pc.upper() not in postcodes:
                    postcodes.append(pc.upper())
                    code = self.postcodes.get(_pc(pc))
                    if code and code not in loc_places:
                        loc_places.append(code)
                    elif not code:
                        unplaced_locations += 1
            try:
                lat, lon = parse_number(loc.get("latitude")), parse_number(loc.get("longitude"))
            except ParseError:
                lat = lon = None
            if lat is not None and lon is not None:
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    bad_coords += 1
                else:
                    for code, geom in self.bounds:
                        if point_in_geometry(lon, lat, geom):
                            if code not in loc_places:
                                loc_places.append(code)
                            break
        if bad_coords:
            self.warnings.append(f"{file}, {where}: service {sid}: {bad_coords} location(s) with impossible "
                                 "coordinates ignored")
        areas_from = "service_areas" if areas else None
        if not areas and loc_places:
            areas, areas_from = loc_places, "locations"
        # what the analysis cannot use for this service's place (the last record read of a service counts)
        self.svc_unusable[sid] = (0, 0) if areas else (unplaced_locations, len(area_text))
        if provider not in self.org_postcodes:
            first = next((normalise_postcode(p) for p in postcodes if normalise_postcode(p)), None)
            if first:
                self.service_postcodes.setdefault(provider, first)
        cost = None
        for co in _list(s.get("cost_options")):
            if isinstance(co, dict):
                try:
                    cost = parse_number(co.get("amount"))
                except ParseError:
                    cost = None
                if cost is not None:
                    break
        for fr in _list(s.get("funding")) + (extra.get("funding") or []):
            if isinstance(fr, dict):
                self.funding_raw.append((sid, fr, meta))
        start = None
        ages = [s.get("minimum_age"), s.get("maximum_age")]
        self.services[sid] = {
            "id": sid, "name": parse_text(s.get("name")) or sid, "provider": provider, "category": category,
            "areas": areas, "capacity": None,
            "client_group": (f"ages {ages[0] if ages[0] is not None else ''}-{ages[1] if ages[1] is not None else ''}"
                             if any(a is not None for a in ages) else None),
            "start": start, "end": None, "cost": cost,
            "description": plain_text(s.get("description")), "status": parse_text(s.get("status")),
            "url": parse_text(s.get("url")), "email": parse_text(s.get("email")),
            "other_categories": ";".join(dict.fromkeys(mapped[1:])) or None,
            "taxonomy_terms": ";".join(dict.fromkeys(raw_terms)) or None,
            "area_text": " | ".join(area_text) or None, "areas_from": areas_from,
            "postcodes": ";".join(postcodes) or None, **meta}

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def _unusable(self, what: str, n: int) -> None:
        if n:
            self.unusable[what] = self.unusable.get(what, 0) + n

    # ---- tabular package ----
    def _tabular(self, folder: pathlib.Path) -> None:
        def table(*names: str) -> tuple[str, list[dict[str, Any]]]:
            for n in names:
                p = folder / n
                if p.exists():
                    text = p.read_bytes().decode("utf-8-sig")
                    return str(p), list(csv.DictReader(io.StringIO(text, newline="")))
            return "", []

        def by(rows, key):
            out: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                k = parse_text(r.get(key))
                if k:
                    out.setdefault(k, []).append(r)
            return out

        ofile, orgs = table("organizations.csv", "organisations.csv")
        _, idents = table("organization_identifiers.csv")
        ids_by_org = by(idents, "organization_id")
        for i, o in enumerate(orgs, start=2):
            self._org(o, {"_file": ofile, "_sheet": None, "_row": i}, ids_by_org.get(parse_text(o.get("id")) or "", []))
        _, terms = table("taxonomy_terms.csv", "taxonomy.csv")
        term_by_id = {parse_text(t.get("id")): t for t in terms if parse_text(t.get("id"))}
        links = []
        for n in ("attributes.csv", "attribute.csv"):
            links += [(r.get("link_id"), r.get("taxonomy_term_id")) for r in table(n)[1]]
        links += [(r.get("service_id"), r.get("taxonomy_id")) for r in table("services_taxonomy.csv")[1]]
        terms_by_service: dict[str, list[dict]] = {}
        for sid, tid in links:
            t = term_by_id.get(parse_text(tid))
            if sid and t is not None:
                terms_by_service.setdefault(sid.strip(), []).append(t)
        areas = by(table("service_areas.csv")[1], "service_id")
        locs = {parse_text(r.get("id")): dict(r) for r in table("locations.csv")[1]}
        addr_rows = table("addresses.csv", "address.csv", "physical_addresses.csv")[1]
        for a in addr_rows:
            loc = locs.get(parse_text(a.get("location_id")))
            if loc is not None:
                loc.setdefault("addresses", []).append(a)
        sal = by(table("service_at_location.csv", "services_at_location.csv")[1], "service_id")
        funding = by(table("funding.csv")[1], "service_id")
        sfile, services = table("services.csv")
        for i, s in enumerate(services, start=2):
            sid = parse_text(s.get("id")) or ""
            tax_ids = [x.strip() for x in str(s.get("taxonomy_ids") or "").split(",") if x.strip()]
            extra = {"terms": list(terms_by_service.get(sid, [])) + [term_by_id[t] for t in tax_ids if t in term_by_id],
                     "areas": areas.get(sid, []),
                     "locations": [locs[parse_text(x.get("location_id"))] for x in sal.get(sid, [])
                                   if parse_text(x.get("location_id")) in locs],
                     "funding": funding.get(sid, [])}
            self._service(s, None, {"_file": sfile, "_sheet": None, "_row": i}, extra)

    # ---- output ----
    def _dangling(self) -> None:
        """Services naming an organisation that is not in the feed keep a placeholder organisation."""
        for oid, sid, meta in self.dangling:
            if oid not in self.orgs:
                self._publisher_error("service naming an organisation not in the feed", meta["_file"],
                                      meta["_sheet"], "organization_id", oid,
                                      f"service {sid} names organisation {oid}, which is not in the feed; "
                                      "loaded with a placeholder organisation")
                self.orgs[oid] = {"id": oid, "name": oid, "oruk_id": oid, "placeholder": True, **meta}

    def _tables(self) -> CanonicalTables:
        for oid, org in self.orgs.items():
            if org.get("postcode") is None:
                org["postcode"] = self.org_postcodes.get(oid) or self.service_postcodes.get(oid)
        names = {identity.normalise_name(o["name"]): oid for oid, o in self.orgs.items()}
        flows, unnamed = [], 0
        for k, (sid, fr, meta) in enumerate(self.funding_raw):
            svc = self.services.get(sid)
            src = parse_text(fr.get("source")) or parse_text(fr.get("funder"))
            funder = None
            if src and _ORGID.match(src.strip()):
                funder = src.strip()
                self.orgs.setdefault(funder, {"id": funder, "name": funder, **meta})
            elif src and identity.normalise_name(src) in names:
                funder = names[identity.normalise_name(src)]
            if svc is not None and funder == svc["provider"]:
                self.skipped["funding from the provider itself"] = self.skipped.get(
                    "funding from the provider itself", 0) + 1
                continue
            if svc is None or funder is None:
                unnamed += 1
                if svc is not None and src:
                    svc["funding_text"] = "; ".join(x for x in (svc.get("funding_text"), src) if x)
                continue
            try:
                amount = parse_number(fr.get("amount"))
            except ParseError:
                amount = None
            flows.append({"id": parse_text(fr.get("id")) or f"{sid}/funding/{k + 1}", "funder": funder,
                          "recipient": svc["provider"], "amount": amount, "start": None, "end": None,
                          "service": sid, "kind": "other", "programme": None, "currency": "GBP", "route": None,
                          "amount_known": amount is not None, **meta})
        if unnamed:
            self.skipped["funding that names no funder"] = unnamed
        if any(f["amount"] is None for f in flows):
            self.warnings.append(f"{self.path}: funding rows name a funder but no amount; loaded with amount unknown")
        for kind, n in sorted(self.errors.items()):
            if n > LISTED:
                self.warnings.append(f"{self.path}: {n} × {kind} in all ({LISTED} listed above)")
        if self.not_uuid:
            self.warnings.append(f"{self.path}: {self.not_uuid} record id(s) are not UUIDs, as Open Referral UK "
                                 "asks; they are kept as given")
        for note in self.ignored:
            self.warnings.append(f"{self.path}: {note}" if not note.startswith(str(self.path)) else note)
        for locs_n, text_n in self.svc_unusable.values():
            self._unusable("location postcodes no postcode lookup placed", locs_n)
            self._unusable("free-text service areas", text_n)
        if self.unmapped:
            self._unusable("unmapped taxonomy terms", len(self.unmapped))
        if self.unusable:
            self.warnings.append(f"{self.path}: not usable by the analysis: " + "; ".join(
                f"{n} {what}" for what, n in sorted(self.unusable.items()))
                + " (load a postcode lookup and pass it as postcode_lookup, give areas as GSS codes, and map "
                  "terms with `ecomap categories map`)")
        unclassified = sum(1 for s in self.services.values() if s["category"] == cats.UNCLASSIFIED)
        if unclassified:
            self.warnings.append(f"{self.path}: {unclassified} service(s) have no mapped taxonomy term and are in "
                                 "'unclassified'; map their terms with `ecomap categories map`")
        no_area = sum(1 for s in self.services.values() if not s["areas"])
        if no_area:
            self.warnings.append(f"{self.path}: {no_area} service(s) name no GSS area code (free text kept in "
                                 "area_text)")
        places = []
        if self.options.get("places"):
            codes = sorted({c for s in self.services.values() for c in s["areas"]})
            places = [{"code": c, "name": c, "level": level_of(c) or "area", "parent": None,
                       "_file": str(self.path), "_sheet": None, "_row": None} for c in codes]
        used = {s["category"] for s in self.services.values()}
        categories = [{**c, "_file": str(self.path), "_sheet": None, "_row": None}
                      for c in cats.category_rows(used, self.cmap)]
        return CanonicalTables({"organisations": _frame(list(self.orgs.values()), "organisations"),
                                "services": _frame(list(self.services.values()), "services"),
                                "funding": _frame(flows, "funding"),
                                "categories": _frame(categories, "categories"),
                                "places": _frame(places, "places")}, self.warnings, self.skipped,
                              unusable=dict(self.unusable))

    def unmapped_terms(self) -> set[tuple[str | None, str]]:
        return set(self.unmapped)


def _classify(item: dict[str, Any]) -> str | None:
    """What an Open Referral record is, from its fields: ``service``, ``service_at_location``,
    ``organisation``, ``taxonomy_term``, ``taxonomy`` or None."""
    keys = set(item)
    if isinstance(item.get("service"), dict):
        return "service_at_location"
    if keys & _SERVICE_KEYS - {"status"} or ("status" in keys and "name" in keys and not keys & _ORG_KEYS):
        return "service"
    if "name" in keys and ("uri" in keys or "version" in keys) and not isinstance(item.get("services"), list) \
            and keys <= {"id", "name", "description", "uri", "version", "attributes", "metadata"}:
        return "taxonomy"
    if isinstance(item.get("services"), list) or keys & _ORG_KEYS:
        return "organisation"
    if keys & _TERM_KEYS:
        return "taxonomy_term"
    if "name" in keys and keys <= {"id", "name", "description", "uri", "version", "attributes", "metadata"} \
            and ("uri" in keys or "version" in keys):
        return "taxonomy"
    if "name" in keys and ("description" in keys or "email" in keys):
        return "organisation" if "email" in keys and "description" in keys and "url" not in keys else "service"
    return None


def unmapped_terms(path: str | pathlib.Path, **options: Any) -> list[tuple[str | None, str]]:
    """The (taxonomy, term) pairs in an Open Referral source that the category map does not map.

    For ``ecomap categories map``: pass them to :func:`loaders.categories.write_user_map`.
    """
    loader = _Loader(pathlib.Path(path), options)
    try:
        loader.run()
    except ValidationError:
        pass
    return sorted(loader.unmapped, key=lambda x: (x[0] or "", x[1]))


def _pc(s: Any) -> str:
    return re.sub(r"\s+", "", str(s or "")).upper()


def _frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    return table_frame(rows, name)
