"""ONS geography -> places with levels, parents and boundaries.

Reads

* ONS-style lookup CSVs (``WD22CD,WD22NM,LAD22CD,LAD22NM``; ``LSOA21CD,…``;
  any case; also councils' ``Ward Code``/``Local Authority Code`` headers;
  other columns such as the portal's ``FID``/``ObjectId`` are ignored) — each code/name column pair is one level; a row makes each
  place the child of the next larger *administrative* level present
  (output area < LSOA < ward < local authority < county < region <
  country; an MSOA's parent is the local authority). When two columns hold
  the same level in different vintages (``WD22CD`` and ``WD23CD``) the lookup
  maps old codes to new: the older place gets ``replaced_by`` = the newer
  code (see :func:`code_changes`).
* GeoJSON FeatureCollections and TopoJSON topologies: one place per feature,
  code and name from ``area_code``/``area_name``, ``code``/``name`` or ONS
  ``XXyyCD``/``XXyyNM`` properties; ``boundary`` = the GeoJSON geometry text;
  ``lat``/``lon`` from the properties (numbers or text) or the bounding-box
  centre; a parent from a larger-level ``XXyyCD`` property if there is one.
* A folder of such files, merged per code (a later file fills blanks).
* Postcode lookups (a postcode column beside the code columns) are read by
  :mod:`loaders.postcodes`: they place organisations and add no places.

The level comes from the column name or the code's GSS prefix (E05 ward,
E01 LSOA, E06–E09 local authority, …). Code vintages coexist: a 2022 ward
and the 2023 ward that replaced it are two places; ``vintage`` records the
year where the file says it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import pathlib
import re
from typing import Any

import pandas as pd

from ecosystem.model import CanonicalTables, Issue, ValidationError, table_frame

from . import postcodes
from .parse import ParseError, is_blank, parse_number, parse_text

FORMAT = "geography"
log = logging.getLogger(__name__)

#: ONS column prefix -> level
_PREFIX_LEVEL = {"oa": "oa", "lsoa": "lsoa", "msoa": "msoa", "wd": "ward", "ward": "ward", "lad": "la",
                 "ltla": "la", "utla": "la", "la": "la", "cty": "county", "cauth": "combined_authority",
                 "rgn": "region", "ctry": "country", "pcon": "constituency", "ccg": "ccg", "icb": "icb",
                 "sicbl": "sub_icb", "lhb": "health_board", "localauthority": "la", "localauthoritydistrict": "la",
                 "district": "la", "region": "region", "country": "country", "county": "county"}
#: GSS entity prefix -> level
GSS_LEVEL = {"E00": "oa", "W00": "oa", "S00": "oa", "E01": "lsoa", "W01": "lsoa", "S01": "lsoa",
             "E02": "msoa", "W02": "msoa", "S02": "msoa", "E05": "ward", "W05": "ward", "S13": "ward",
             "N08": "ward", "E06": "la", "E07": "la", "E08": "la", "E09": "la", "W06": "la", "S12": "la",
             "N09": "la", "E10": "county", "E47": "combined_authority", "E12": "region", "E92": "country",
             "W92": "country", "S92": "country", "N92": "country", "E14": "constituency",
             "W07": "constituency", "E38": "ccg", "E54": "icb"}
#: administrative chain, small to large (MSOAs sit beside it, under the LA)
CHAIN = ("oa", "lsoa", "ward", "la", "county", "region", "country")
_RANK = {lvl: i for i, lvl in enumerate(CHAIN)}
_RANK["msoa"] = _RANK["ward"]  # ranked like a ward but never a parent in the chain

_CD = re.compile(r"^([a-z]+?)(\d{2})?(cd|code)$", re.I)
_NM = re.compile(r"^([a-z]+?)(\d{2})?(nm|name)$", re.I)
_GSS = re.compile(r"^[EWSNK]\d{8}$")


def level_of(code: str) -> str | None:
    return GSS_LEVEL.get(str(code)[:3].upper())


# --------------------------------------------------------------------------
def sniff(path: pathlib.Path) -> bool:
    path = pathlib.Path(path)
    if path.is_dir():
        files = _files(path)
        return bool(files) and all(_sniff_file(f) for f in files)
    return _sniff_file(path)


def _files(folder: pathlib.Path) -> list[pathlib.Path]:
    return [p for p in sorted(folder.iterdir())
            if p.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".geojson", ".json", ".topojson")]


def _sniff_file(path: pathlib.Path) -> bool:
    sfx = path.suffix.lower()
    if sfx in (".geojson", ".topojson"):
        return True
    if sfx == ".json":
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", "ignore")
        return bool(re.search(r'"type"\s*:\s*"(FeatureCollection|Topology)"', head))
    if sfx in (".csv", ".xlsx", ".xlsm"):
        if sfx == ".csv":
            with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
                header = next(csv.reader(f), [])
        else:
            header = _workbook_rows(path, header_only=True)[1][:1]
            header = header[0] if header else []
        pairs = _pairs(header)
        # a lookup: two or more levels, and no value/indicator columns (those are needs files)
        return len({lvl for lvl, *_ in pairs}) >= 2 and not any(
            h.strip().lower() in ("value", "indicator", "indicator name", "all_ages") for h in header)
    return False


def _squash(h: Any) -> str:
    """A header without spaces, underscores or punctuation: ``Ward Code`` and ``LSOA_Code`` read as ``WardCode``."""
    return re.sub(r"[^0-9A-Za-z]", "", str(h or ""))


def _pairs(header: list[str]) -> list[tuple[str, str | None, int, int | None]]:
    """(level, vintage, code column, name column) for each ONS code column."""
    out = []
    names = {}
    for j, h in enumerate(header):
        m = _NM.match(_squash(h))
        if m and m[1].lower() in _PREFIX_LEVEL:
            names[(m[1].lower(), m[2])] = j
    for i, h in enumerate(header):
        m = _CD.match(_squash(h))
        if m and m[1].lower() in _PREFIX_LEVEL:
            out.append((_PREFIX_LEVEL[m[1].lower()], m[2], i, names.get((m[1].lower(), m[2]))))
    return out


def load(path: pathlib.Path, **options: Any) -> CanonicalTables:
    path = pathlib.Path(path)
    try:
        files = _files(path) if path.is_dir() else [path]
        if not files:
            raise ValidationError([Issue(str(path), None, None, None, None, "empty",
                                         "no .csv, .geojson or .topojson files in this folder")])
        places: dict[str, dict[str, Any]] = {}
        issues: list[Issue] = []
        warnings: list[str] = []
        lookups: list[CanonicalTables] = []
        for f in files:
            if f.suffix.lower() in postcodes.SUFFIXES and postcodes.sniff(f):  # a postcode lookup places organisations
                try:
                    lookups.append(postcodes.load(f))
                except ValidationError as e:
                    issues += e.issues
                continue
            try:
                rows = _load_file(f, warnings)
            except ValidationError as e:
                issues += e.issues
                continue
            for r in rows:
                cur = places.get(r["code"])
                if cur is None:
                    places[r["code"]] = r
                else:
                    for k, v in r.items():
                        if cur.get(k) is None and v is not None:
                            cur[k] = v
        if issues:
            raise ValidationError(issues, warnings)
        out = CanonicalTables({"places": _frame(list(places.values()))}, warnings, {})
        return CanonicalTables.concat([out, *lookups]) if lookups else out
    except ValidationError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError, OSError,
            RecursionError) as e:
        log.debug("geography read failed", exc_info=True)
        raise ValidationError([Issue(str(path), None, None, None, None, "parse",
                                     f"could not read this file as geography: {type(e).__name__}: {e}")]) from None


def _load_file(f: pathlib.Path, warnings: list[str]) -> list[dict[str, Any]]:
    sfx = f.suffix.lower()
    if sfx in (".csv", ".xlsx", ".xlsm"):
        return _lookup(f, warnings)
    text = f.read_bytes().decode("utf-8-sig")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValidationError([Issue(str(f), None, e.lineno, None, None, "json", f"not valid JSON: {e.msg}")])
    if isinstance(doc, dict) and doc.get("type") == "Topology":
        return _features(f, topojson_features(doc), "objects", warnings)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        crs = doc.get("crs") if isinstance(doc.get("crs"), dict) else {}
        crs_name = (crs.get("properties") or {}).get("name") if isinstance(crs.get("properties"), dict) else None
        return _features(f, doc.get("features"), "features", warnings, crs_name)
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return _features(f, [doc], "feature", warnings)
    raise ValidationError([Issue(str(f), None, None, "type", _short(doc.get("type") if isinstance(doc, dict) else
                                                                    type(doc).__name__),
                                 "shape", "expected a GeoJSON FeatureCollection or a TopoJSON Topology")])


# ---- lookups ----
def _workbook_rows(f: pathlib.Path, header_only: bool = False) -> tuple[str | None, list[list[str]]]:
    """(sheet, rows as text) of a workbook lookup: the first sheet whose first row has code columns."""
    import openpyxl

    def text(v: Any) -> str:
        if v is None:
            return ""
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
    try:
        chosen = None
        for ws in wb.worksheets:
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            if _pairs([text(v) for v in first]):
                chosen = ws
                break
        ws = chosen or wb.worksheets[0]
        rows = ws.iter_rows(min_row=1, max_row=1 if header_only else None, values_only=True)
        return ws.title, [[text(v) for v in r] for r in rows]
    finally:
        wb.close()


def _lookup(f: pathlib.Path, warnings: list[str]) -> list[dict[str, Any]]:
    sheet = None
    if f.suffix.lower() in (".xlsx", ".xlsm"):
        sheet, rows = _workbook_rows(f)
        reader = iter(rows)
    else:
        raw = f.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # a council's spreadsheet saved as "CSV" in Excel's Windows encoding
            text = raw.decode("cp1252", errors="replace")
            warnings.append(f"{f}: not UTF-8; read as Windows-1252 (save it as \"CSV UTF-8\" to be sure of names)")
        reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    pairs = _pairs(header)
    if len({lvl for lvl, *_ in pairs}) < 1 or not pairs:
        shown = ", ".join(repr(h.strip()) for h in header[:12]) + (" …" if len(header) > 12 else "")
        raise ValidationError([Issue(str(f), sheet, 1, None, ",".join(header)[:80], "required_column",
                                     "no code columns: looked for headers naming a level and a code, such as "
                                     "WD24CD, LAD24CD, lsoa21cd or 'Ward Code' / 'Local Authority Code' (levels: "
                                     "oa, lsoa, msoa, wd/ward, lad/la, cty, rgn, ctry…); found "
                                     + (f"{len(header)} column(s): {shown}" if header else "no header")
                                     + ". A postcode lookup (a postcode column beside GSS codes) loads with "
                                     "--format postcodes")])
    # the newest vintage of each level takes part in the hierarchy; older ones are renamed to it
    newest: dict[str, tuple[str | None, int, int | None]] = {}
    older: list[tuple[str, str | None, int, int | None]] = []
    for lvl, vint, ci, ni in pairs:
        cur = newest.get(lvl)
        if cur is None or (vint or "") > (cur[0] or ""):
            if cur is not None:
                older.append((lvl, *cur))
            newest[lvl] = (vint, ci, ni)
        else:
            older.append((lvl, vint, ci, ni))
    levels = sorted(newest, key=lambda lvl: _RANK.get(lvl, 99))
    out: dict[str, dict[str, Any]] = {}
    issues: list[Issue] = []
    for r, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(i):
            return row[i].strip() if i is not None and i < len(row) and row[i].strip() else None

        codes = {}
        for lvl in levels:
            vint, ci, ni = newest[lvl]
            code = cell(ci)
            if code is None:
                continue
            codes[lvl] = code
            if code not in out:
                out[code] = {"code": code, "name": cell(ni) or code, "level": lvl, "parent": None,
                             "vintage": _year(vint), "replaced_by": None,
                             "_file": str(f), "_sheet": sheet, "_row": r}
        for lvl, code in codes.items():
            parent = _parent_level(lvl, codes)
            if parent is None:
                continue
            pcode = codes[parent]
            cur = out[code]["parent"]
            if cur is None:
                out[code]["parent"] = pcode
            elif cur != pcode and len(issues) < 200:
                issues.append(Issue(str(f), sheet, r, header[newest[parent][1]], pcode, "consistent_parent",
                                    f"{code} already has parent {cur} in an earlier row"))
        for lvl, vint, ci, ni in older:
            code, new = cell(ci), codes.get(lvl)
            if code is None:
                continue
            if code not in out:
                out[code] = {"code": code, "name": cell(ni) or code, "level": lvl, "parent": None,
                             "vintage": _year(vint), "replaced_by": None,
                             "_file": str(f), "_sheet": sheet, "_row": r}
            if new and new != code:
                out[code]["replaced_by"] = new
    if issues:
        raise ValidationError(issues)
    return list(out.values())


def _parent_level(lvl: str, codes: dict[str, str]) -> str | None:
    if lvl == "msoa":
        candidates = [x for x in CHAIN if _RANK[x] >= _RANK["la"]]
    elif lvl in _RANK:
        candidates = [x for x in CHAIN if _RANK[x] > _RANK[lvl]]
    else:
        candidates = [x for x in CHAIN if _RANK[x] >= _RANK["la"]]
    for c in candidates:
        if c in codes:
            return c
    return None


def _year(vint: str | None) -> str | None:
    return f"20{vint}" if vint else None


def code_changes(path: str | pathlib.Path) -> dict[str, str]:
    """Old code -> new code from a lookup with two vintages of one level (``WD22CD,WD23CD``)."""
    rows = _lookup(pathlib.Path(path), [])
    return {r["code"]: r["replaced_by"] for r in rows if r.get("replaced_by")}


# ---- boundaries ----
def _lon_lat_box(box: tuple[float, float, float, float] | None) -> bool:
    """Is a bounding box in longitude/latitude degrees (not, say, British National Grid metres)?"""
    return box is None or (-180 <= box[0] <= 180 and -180 <= box[2] <= 180 and -90 <= box[1] <= 90
                           and -90 <= box[3] <= 90)


def _features(f: pathlib.Path, feats: Any, label: str, warnings: list[str],
              crs: str | None = None) -> list[dict[str, Any]]:
    """One place per feature. Geometry in projected coordinates (British National Grid metres, as files
    converted from ONS shapefiles have) is not kept: the places load with a warning saying how to fix it."""
    if not isinstance(feats, list):
        raise ValidationError([Issue(str(f), None, None, label, None, "shape", f"{label} must be a list")])
    out, issues = [], []
    projected: list[tuple[str, str, tuple[float, float, float, float]]] = []
    for i, feat in enumerate(feats):
        where = f"{label}[{i}]"
        if not isinstance(feat, dict):
            issues.append(Issue(str(f), where, i + 1, None, _short(feat), "shape", "a feature must be an object"))
            continue
        props = feat.get("properties") if isinstance(feat.get("properties"), dict) else {}
        code, name, vint = _code_name(props)
        if code is None and not is_blank(feat.get("id")):
            code = str(feat["id"]).strip()
        if code is None:
            issues.append(Issue(str(f), where, i + 1, "properties", _short(list(props)), "required",
                                "feature has no area code property (area_code, code or an ONS XXyyCD)"))
            continue
        level = parse_text(props.get("level")) or level_of(code)
        if level is None:
            level = "area"
        geom = feat.get("geometry")
        box = _bbox(geom.get("coordinates")) if isinstance(geom, dict) else None
        if not _lon_lat_box(box):
            projected.append((where, code, box))
            geom, box = None, None
        lat = _num(props.get("lat") if "lat" in props else props.get("LAT"))
        lon = _num(props.get("lon") if "lon" in props else props.get("LONG", props.get("long")))
        if (lat is None or lon is None) and box:
            lon, lat = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        parent = None
        rank = _RANK.get(level, -1)
        best = None
        for k, v in props.items():
            m = _CD.match(str(k))
            if not m or m[1].lower() not in _PREFIX_LEVEL or is_blank(v) or str(v).strip() == code:
                continue
            plevel = _PREFIX_LEVEL[m[1].lower()]
            prank = _RANK.get(plevel, 99)
            if plevel in CHAIN and prank > rank and (best is None or prank < best[0]):
                best = (prank, str(v).strip())
        if best:
            parent = best[1]
        out.append({"code": code, "name": name or code, "level": level, "parent": parent,
                    "lat": lat, "lon": lon, "vintage": vint,
                    "boundary": json.dumps(geom, separators=(",", ":")) if isinstance(geom, dict) else None,
                    "_file": str(f), "_sheet": where, "_row": i + 1})
    if issues:
        raise ValidationError(issues)
    if projected:
        where, code, box = projected[0]
        warnings.append(
            f"{f}: {len(projected):,} of {len(feats):,} feature(s) have coordinates that are not longitude and "
            f"latitude (e.g. {where}, {code}: {box[0]:,.0f}, {box[1]:,.0f}"
            + (f"; the file's crs is {crs}" if crs else "") + ", which looks like British National Grid metres); "
            "their places loaded without boundaries (and without a centre unless LAT/LONG properties give it). "
            "To keep the boundaries, re-project the file to WGS84 (e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson "
            "in.geojson`) or download the GeoJSON the ONS Open Geography Portal offers, which is WGS84")
    return out


def _code_name(props: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    for ck, nk in (("area_code", "area_name"), ("code", "name"), ("geo_code", "geo_name"), ("gss_code", "name")):
        if not is_blank(props.get(ck)):
            return str(props[ck]).strip(), parse_text(props.get(nk)), None
    # ONS style: the smallest-level XXyyCD property
    best = None
    for k, v in props.items():
        m = _CD.match(str(k))
        if m and m[1].lower() in _PREFIX_LEVEL and not is_blank(v):
            lvl = _PREFIX_LEVEL[m[1].lower()]
            rank = _RANK.get(lvl, 50)
            if best is None or rank < best[0]:
                nm = next((props[n] for n in props if _NM.match(str(n)) and _NM.match(str(n))[1].lower()
                           == m[1].lower() and _NM.match(str(n))[2] == m[2]), None)
                best = (rank, str(v).strip(), parse_text(nm), _year(m[2]))
    if best:
        return best[1], best[2], best[3]
    return None, None, None


def _num(v: Any) -> float | None:
    try:
        return parse_number(v)
    except ParseError:
        return None


def _bbox(coords: Any) -> tuple[float, float, float, float] | None:
    xs, ys = [], []

    def walk(c, depth=0):
        if depth > 6:
            return
        if isinstance(c, list) and len(c) >= 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                       for x in c[:2]):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, list):
            for x in c:
                walk(x, depth + 1)

    walk(coords)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def topojson_features(topo: dict[str, Any]) -> list[dict[str, Any]]:
    """Decode every object of a TopoJSON topology into GeoJSON features."""
    arcs_in = topo.get("arcs") or []
    tf = topo.get("transform")
    arcs = []
    for arc in arcs_in:
        pts, x, y = [], 0, 0
        for p in arc:
            if tf:
                x, y = x + p[0], y + p[1]
                pts.append([x * tf["scale"][0] + tf["translate"][0], y * tf["scale"][1] + tf["translate"][1]])
            else:
                pts.append([p[0], p[1]])
        arcs.append(pts)

    def arc(i):
        pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        return pts

    def ring(ids):
        out = []
        for k, i in enumerate(ids):
            pts = arc(i)
            out.extend(pts if k == 0 else pts[1:])
        return out

    def geometry(g):
        t = g.get("type")
        if t == "Polygon":
            return {"type": t, "coordinates": [ring(r) for r in g["arcs"]]}
        if t == "MultiPolygon":
            return {"type": t, "coordinates": [[ring(r) for r in p] for p in g["arcs"]]}
        if t == "LineString":
            return {"type": t, "coordinates": ring(g["arcs"])}
        if t == "MultiLineString":
            return {"type": t, "coordinates": [ring(r) for r in g["arcs"]]}
        if t in ("Point", "MultiPoint"):
            c = g.get("coordinates")
            if tf and c is not None:
                def q(p):
                    return [p[0] * tf["scale"][0] + tf["translate"][0], p[1] * tf["scale"][1] + tf["translate"][1]]
                c = q(c) if t == "Point" else [q(p) for p in c]
            return {"type": t, "coordinates": c}
        return None

    feats = []
    for obj in (topo.get("objects") or {}).values():
        geoms = obj.get("geometries") if obj.get("type") == "GeometryCollection" else [obj]
        for g in geoms or []:
            feats.append({"type": "Feature", "id": g.get("id"), "properties": g.get("properties") or {},
                          "geometry": geometry(g)})
    return feats


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return table_frame(rows, "places")

def _short(v: Any) -> Any:
    s = v if isinstance(v, (int, float)) or v is None else str(v)
    return s[:77] + "…" if isinstance(s, str) and len(s) > 80 else s


def point_in_geometry(lon: float, lat: float, geometry: dict[str, Any]) -> bool:
    """Is the point inside a GeoJSON Polygon/MultiPolygon (even-odd rule, holes respected)?"""
    t = geometry.get("type") if isinstance(geometry, dict) else None
    polys = [geometry["coordinates"]] if t == "Polygon" else geometry.get("coordinates", []) if t == "MultiPolygon" else []
    for poly in polys:
        inside = False
        for ring in poly:
            n = len(ring)
            j = n - 1
            for i in range(n):
                xi, yi = ring[i][0], ring[i][1]
                xj, yj = ring[j][0], ring[j][1]
                if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / ((yj - yi) or 1e-300) + xi:
                    inside = not inside
                j = i
        if inside:
            return True
    return False
