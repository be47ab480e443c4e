"""Rebuild the bundled demo place, ``ecosystem/demo_data/trafford/``.

Usage::

    python scripts/build_demo.py [--data ../shared/data] [--out ecosystem/demo_data/trafford]

The demo is Trafford (E08000009) and its 21 wards of the 2023 review, built
from real public files (ONS/OS geography, ONS mid-2022 population
estimates, Census 2021 general health; see ``SOURCES.md`` in the data
folder). Organisations, services, funding and partnerships are fictional
and labelled "Illustrative"; see the README written next to the CSVs.

Reconciling the ward-code vintages
----------------------------------
Trafford was re-warded in 2023. The population file and the 2023 boundaries
use the new codes (E05015239…); the Census 2021 health file uses the old
codes (E05000819…). Old and new wards do not nest, so the census counts
are carried across through the 139 LSOAs (2021), population-weighted:

1. LSOA21 -> ward22 by the ONS best-fit lookup
   (``gm_lsoa21_to_ward22_best_fit_lookup.csv``, Trafford rows: 139 LSOAs
   in 21 old wards).
2. LSOA21 -> ward23 by point in polygon: the area centroid of each
   generalised LSOA polygon (``trafford_lsoa_2021_generalised.geojson``)
   is located in a 2023 ward polygon (``trafford_ward_2023_generalised.geojson``).
   The centroid is computed on the lon/lat plane (fine at this scale).
   Five crescent-shaped LSOAs have a centroid outside themselves; for
   those a point on the surface is used instead (the middle of the widest
   inside stretch of the horizontal line through the centroid). Every
   point is checked to fall inside its own LSOA and inside exactly one
   2023 ward, or the build stops.
3. Each old ward's census count is split over its LSOAs in proportion to
   their mid-2022 resident population (Persons, all ages), as whole
   people by the largest-remainder method, so every old ward's total, and
   so the Trafford total, is kept exactly.
4. The LSOA shares are added up by 2023 ward.

Population-based needs come straight from the 2023-ward mid-2022
estimates (no reconciliation needed).

Point-in-polygon and centroids are plain Python (ray casting, shoelace);
no GIS package is needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import pathlib
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

log = logging.getLogger("build_demo")

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_OUT = ROOT / "ecosystem" / "demo_data" / "trafford"

LA_CODE = "E08000009"
LA_NAME = "Trafford"
AS_OF = dt.date(2026, 11, 21)

HEALTH_FILE = "needs/trafford_census2021_general_health_ward.csv"
WARD_POP_FILE = "needs/trafford_mid-2022_population_estimates_ward.csv"
LSOA_POP_FILE = "needs/trafford_mid-2022_population_estimates_lsoa.csv"
LSOA_WARD22_FILE = "geography/gm_lsoa21_to_ward22_best_fit_lookup.csv"
WARD23_GEO = "geography/trafford_ward_2023_generalised.geojson"
LSOA_GEO = "geography/trafford_lsoa_2021_generalised.geojson"
LAD_GEO = "geography/gm_local_authority_2023_generalised.geojson"

POOR_HEALTH = ("Bad health", "Very bad health")


# --------------------------------------------------------------------------
# Geometry helpers (lon/lat plane)
# --------------------------------------------------------------------------
def _polygons(geometry: dict) -> list[list[list[list[float]]]]:
    """A Polygon or MultiPolygon as a list of polygons (each a list of rings)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"unsupported geometry type {geometry['type']!r}")


def _ring_contains(ring: Sequence[Sequence[float]], x: float, y: float) -> bool:
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(geometry: dict, x: float, y: float) -> bool:
    """Even-odd ray casting: inside an outer ring and outside its holes."""
    for rings in _polygons(geometry):
        if _ring_contains(rings[0], x, y) and not any(_ring_contains(h, x, y) for h in rings[1:]):
            return True
    return False


def centroid(geometry: dict) -> tuple[float, float]:
    """Area centroid (shoelace) over all outer rings minus holes."""
    a_sum = cx = cy = 0.0
    for rings in _polygons(geometry):
        for k, ring in enumerate(rings):
            sign = 1.0 if k == 0 else -1.0
            a = sx = sy = 0.0
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
                cross = x0 * y1 - x1 * y0
                a += cross
                sx += (x0 + x1) * cross
                sy += (y0 + y1) * cross
            # orientation-independent: use |a| with the ring's sign
            s = sign * (1.0 if a >= 0 else -1.0)
            a_sum += s * a / 2.0
            cx += s * sx / 6.0
            cy += s * sy / 6.0
    return cx / a_sum, cy / a_sum


def interior_point(geometry: dict) -> tuple[float, float]:
    """The area centroid when it lies inside the shape, else a point on its surface.

    The fallback follows the usual "representative point" idea: cut the
    shape with the horizontal line through the centroid and take the middle
    of the widest stretch of that line lying inside the shape.
    """
    x, y = centroid(geometry)
    if contains(geometry, x, y):
        return x, y
    xs = []
    for rings in _polygons(geometry):
        for ring in rings:
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
                if (y0 > y) != (y1 > y):
                    xs.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
    xs.sort()
    best = max(((xs[i + 1] - xs[i], (xs[i] + xs[i + 1]) / 2) for i in range(0, len(xs) - 1, 2)),
               default=None)
    if best is None:
        raise ValueError("no interior point found")
    return best[1], y


def _round_coords(obj: Any, places: int = 6) -> Any:
    if isinstance(obj, list):
        return [_round_coords(v, places) for v in obj]
    if isinstance(obj, float):
        return round(obj, places)
    return obj


def compact_geometry(geometry: dict) -> str:
    """GeoJSON geometry as compact JSON text, coordinates to 6 decimals (~0.1 m)."""
    g = {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"])}
    return json.dumps(g, separators=(",", ":"))


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split a whole number in proportion to weights, keeping the total exactly.

    >>> largest_remainder(10, [1, 1, 1])
    [4, 3, 3]
    >>> largest_remainder(0, [5, 2])
    [0, 0]
    """
    wsum = float(sum(weights))
    if wsum <= 0:
        raise ValueError("weights must have a positive sum")
    raw = [total * w / wsum for w in weights]
    base = [math.floor(r) for r in raw]
    short = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:short]:
        base[i] += 1
    return base


# --------------------------------------------------------------------------
# Reading the real files
# --------------------------------------------------------------------------
def read_json(path: pathlib.Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def ward_population(data: pathlib.Path) -> pd.DataFrame:
    """Mid-2022 persons by 2023 ward, with the age bands the needs use."""
    df = pd.read_csv(data / WARD_POP_FILE)
    df = df[df["sex"] == "Persons"].copy()
    ages = [str(a) for a in range(90)] + ["90+"]
    df[ages] = df[ages].astype(int)
    out = pd.DataFrame({
        "code": df["area_code"].astype(str),
        "name": df["area_name"].astype(str),
        "population": df["all_ages"].astype(int),
        "aged_0_to_4": df[[str(a) for a in range(0, 5)]].sum(axis=1),
        "aged_11_to_18": df[[str(a) for a in range(11, 19)]].sum(axis=1),
        "aged_16_to_64": df["aged_16_to_64"].astype(int),
        "aged_16_plus": df[[str(a) for a in range(16, 90)] + ["90+"]].sum(axis=1),
        "aged_75_plus": df[[str(a) for a in range(75, 90)] + ["90+"]].sum(axis=1),
    })
    return out.sort_values("code").reset_index(drop=True)


def contains_many(geometry: dict, xs: "np.ndarray", ys: "np.ndarray") -> "np.ndarray":
    """Vectorised even-odd ray casting for many points at once."""
    out = np.zeros(xs.shape, dtype=bool)
    for rings in _polygons(geometry):
        inside = np.zeros(xs.shape, dtype=bool)
        for ring in rings:
            r = np.asarray(ring, dtype=float)
            x0, y0 = r[:, 0], r[:, 1]
            x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
            for a, b, c, d in zip(x0, y0, x1, y1):
                if b == d:
                    continue
                inside ^= ((b > ys) != (d > ys)) & (xs < (c - a) * (ys - b) / (d - b) + a)
        out |= inside
    return out


def lsoa_ward23_area_shares(data: pathlib.Path, grid: int = 40) -> pd.DataFrame:
    """Share of each LSOA21's area lying in each 2023 ward (lsoa, ward23, area_share).

    Sampled on a ``grid`` x ``grid`` lattice over the LSOA's bounding box,
    keeping the lattice points inside the LSOA; an LSOA too small to catch
    a lattice point is placed whole by its interior point.
    """
    wards = read_json(data / WARD23_GEO)["features"]
    lsoas = read_json(data / LSOA_GEO)["features"]
    rows = []
    for f in lsoas:
        code, geom = f["properties"]["area_code"], f["geometry"]
        pts = np.asarray([p for rings in _polygons(geom) for p in rings[0]], dtype=float)
        (xmin, ymin), (xmax, ymax) = pts.min(axis=0), pts.max(axis=0)
        gx, gy = np.meshgrid(np.linspace(xmin, xmax, grid + 2)[1:-1], np.linspace(ymin, ymax, grid + 2)[1:-1])
        xs, ys = gx.ravel(), gy.ravel()
        keep = contains_many(geom, xs, ys)
        xs, ys = xs[keep], ys[keep]
        if len(xs) == 0:
            x, y = interior_point(geom)
            xs, ys = np.array([x]), np.array([y])
        counts = {w["properties"]["area_code"]: int(contains_many(w["geometry"], xs, ys).sum()) for w in wards}
        hit = sum(counts.values())
        if hit == 0:
            raise RuntimeError(f"LSOA {code} lies in no 2023 ward")
        rows += [{"lsoa21cd": code, "ward23": w, "area_share": n / hit} for w, n in counts.items() if n]
    return pd.DataFrame(rows)


def rake(seed: pd.DataFrame, row_totals: pd.Series, col_totals: pd.Series,
         rows: str, cols: str, value: str, iterations: int = 200) -> pd.Series:
    """Iterative proportional fitting of ``seed[value]`` to both sets of totals."""
    v = seed[value].astype(float).to_numpy().copy()
    r_idx, c_idx = seed[rows].to_numpy(), seed[cols].to_numpy()
    for _ in range(iterations):
        rs = pd.Series(v).groupby(r_idx).transform("sum").to_numpy()
        v *= row_totals.reindex(r_idx).to_numpy() / rs
        cs = pd.Series(v).groupby(c_idx).transform("sum").to_numpy()
        v *= col_totals.reindex(c_idx).to_numpy() / cs
    return pd.Series(v, index=seed.index)


def lsoa_to_ward23(data: pathlib.Path, ward_pop: pd.Series, lsoa_pop: pd.Series) -> pd.DataFrame:
    """LSOA21 x ward23 population shares (lsoa21cd, ward23, area_share, population, share).

    Seed: LSOA population spread by area share. Raked so that each LSOA's
    parts add up to its mid-2022 population and each 2023 ward's parts add
    up to the ward's own mid-2022 population. ``share`` is the part of the
    LSOA's population in that ward.
    """
    cross = lsoa_ward23_area_shares(data)
    cross["seed"] = cross["area_share"] * cross["lsoa21cd"].map(lsoa_pop)
    cross["population"] = rake(cross, lsoa_pop, ward_pop, "lsoa21cd", "ward23", "seed")
    cross["share"] = cross["population"] / cross["lsoa21cd"].map(lsoa_pop)
    return cross.drop(columns="seed")


def reconcile_health(data: pathlib.Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Census 2021 'bad' + 'very bad' health, carried from 2022 to 2023 wards.

    Returns (by 2023 ward: code, poor_health; the LSOA x ward23 audit trail).
    """
    health = pd.read_csv(data / HEALTH_FILE)
    health = health[(health["measure"] == "Count") & health["general_health"].isin(POOR_HEALTH)]
    poor = health.groupby("area_code")["value"].sum().astype(int)

    lookup = pd.read_csv(data / LSOA_WARD22_FILE)
    lookup = lookup[lookup["lad22cd"] == LA_CODE][["lsoa21cd", "wd22cd"]]
    lpop = pd.read_csv(data / LSOA_POP_FILE)
    lpop = lpop[lpop["sex"] == "Persons"].set_index("area_code")["all_ages"].astype(int)
    wpop = ward_population(data).set_index("code")["population"]
    if int(lpop.sum()) != int(wpop.sum()):
        raise RuntimeError("LSOA and ward population totals differ; cannot rake")

    missing = set(poor.index) - set(lookup["wd22cd"])
    if missing:
        raise RuntimeError(f"census wards with no LSOA in the lookup: {sorted(missing)}")
    if set(lookup["lsoa21cd"]) != set(lpop.index):
        raise RuntimeError("the ward22 lookup and the LSOA population file list different LSOAs")

    # step 3: old ward -> LSOA, by LSOA population, whole people
    lookup = lookup.assign(lsoa_population=lookup["lsoa21cd"].map(lpop)).sort_values("lsoa21cd")
    parts = []
    for wd22, grp in lookup.groupby("wd22cd", sort=True):
        parts.append(grp.assign(poor_lsoa=largest_remainder(int(poor.get(wd22, 0)),
                                                             grp["lsoa_population"].tolist())))
    by_lsoa = pd.concat(parts, ignore_index=True)

    # step 2 and 4: LSOA -> new ward, by the raked population shares, whole people
    cross = lsoa_to_ward23(data, wpop, lpop).sort_values(["lsoa21cd", "ward23"])
    parts = []
    for lsoa, grp in cross.groupby("lsoa21cd", sort=True):
        n = int(by_lsoa.loc[by_lsoa["lsoa21cd"] == lsoa, "poor_lsoa"].iloc[0])
        parts.append(grp.assign(poor_health=largest_remainder(n, grp["share"].tolist())))
    trail = pd.concat(parts, ignore_index=True).merge(
        by_lsoa[["lsoa21cd", "wd22cd", "lsoa_population", "poor_lsoa"]], on="lsoa21cd", how="left")
    by23 = trail.groupby("ward23", as_index=False)["poor_health"].sum().rename(columns={"ward23": "code"})
    if int(by23["poor_health"].sum()) != int(poor.sum()):
        raise AssertionError("reconciliation lost people")
    return by23, trail


# --------------------------------------------------------------------------
# The place and its needs (real figures, or labelled illustrative rates)
# --------------------------------------------------------------------------
W = {  # short names for the 2023 wards used in the design below
    "ALT": "E05015239", "ASH": "E05015240", "BOW": "E05015241", "BRH": "E05015242",
    "BRK": "E05015243", "BUC": "E05015244", "DAV": "E05015245", "FLX": "E05015246",
    "GHC": "E05015247", "HAL": "E05015248", "HBT": "E05015249", "LNG": "E05015250",
    "LOS": "E05015251", "MAN": "E05015252", "OLD": "E05015253", "SAC": "E05015254",
    "SAM": "E05015255", "STR": "E05015256", "TMC": "E05015257", "TMN": "E05015258",
    "URM": "E05015259",
}
NORTH = ["OLD", "GHC", "LNG", "STR", "LOS"]
WEST = ["DAV", "FLX", "URM", "BUC"]
SALE = ["ASH", "SAC", "SAM", "BRK", "MAN"]
SOUTH = ["TMN", "TMC", "HBT", "BRH", "ALT", "HAL", "BOW"]

CATEGORIES = [
    ("HEALTH", "Health and wellbeing support"),
    ("OLDER", "Older people's support"),
    ("EARLY", "Early years and family support"),
    ("YOUTH", "Youth services"),
    ("MENTAL", "Mental health support"),
    ("CARERS", "Support for unpaid carers"),
    ("FOOD", "Food support"),
    ("MONEY", "Money and debt advice"),
]

CENSUS = "ONS Census 2021 general health (TS037), Trafford Data Lab; reconciled to 2023 wards"
MYE = "ONS mid-2022 population estimates by 2023 ward, Trafford Data Lab"
NEED_RULES = {
    # category: (column, rate, period, source) - rate None means the real count itself
    "HEALTH": ("poor_health", None, "2021", f"{CENSUS}: residents in bad or very bad health"),
    "OLDER": ("aged_75_plus", None, "mid-2022", f"{MYE}: residents aged 75 and over"),
    "EARLY": ("aged_0_to_4", None, "mid-2022", f"{MYE}: residents aged 0 to 4"),
    "YOUTH": ("aged_11_to_18", None, "mid-2022", f"{MYE}: residents aged 11 to 18"),
    "MENTAL": ("aged_16_to_64", 0.05, "mid-2022",
               f"Illustrative: 5% of residents aged 16 to 64 ({MYE}); the rate is invented for the demo"),
    "FOOD": ("population", 0.03, "mid-2022",
             f"Illustrative: 3% of all residents ({MYE}); the rate is invented for the demo"),
    "MONEY": ("aged_16_plus", 0.02, "mid-2022",
              f"Illustrative: 2% of residents aged 16 and over ({MYE}); the rate is invented for the demo"),
}
CARERS_RATE = 0.01  # given once for the whole borough (an LA-level need)


def build_places(data: pathlib.Path, wards: pd.DataFrame) -> pd.DataFrame:
    geo = {f["properties"]["area_code"]: f for f in read_json(data / WARD23_GEO)["features"]}
    lad = next(f for f in read_json(data / LAD_GEO)["features"] if f["properties"]["area_code"] == LA_CODE)
    rows = [{
        "code": LA_CODE, "name": LA_NAME, "level": "la", "parent": None,
        "population": int(wards["population"].sum()),
        "lat": float(lad["properties"]["lat"]), "lon": float(lad["properties"]["lon"]),
        "boundary": compact_geometry(lad["geometry"]),
    }]
    for w in wards.itertuples():
        f = geo[w.code]
        rows.append({
            "code": w.code, "name": w.name, "level": "ward", "parent": LA_CODE,
            "population": int(w.population),
            "lat": float(f["properties"]["lat"]), "lon": float(f["properties"]["lon"]),
            "boundary": compact_geometry(f["geometry"]),
        })
    return pd.DataFrame(rows)


def build_needs(wards: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for cat, (col, rate, period, source) in NEED_RULES.items():
        for w in wards.itertuples():
            value = int(getattr(w, col))
            people = value if rate is None else int(round(value * rate))
            rows.append({"id": f"{w.code}|{cat}|{period}", "place": w.code, "category": cat,
                         "people": people, "source": source, "period": period, "priority": None})
    total = int(wards["population"].sum())
    rows.append({"id": f"{LA_CODE}|CARERS|mid-2022", "place": LA_CODE, "category": "CARERS",
                 "people": int(round(total * CARERS_RATE)),
                 "source": f"Illustrative: 1% of all residents ({MYE}); the rate is invented for the demo",
                 "period": "mid-2022", "priority": None})
    out = pd.DataFrame(rows)
    out.loc[out["category"].isin(["HEALTH", "YOUTH"]), "priority"] = "high"
    return out


# --------------------------------------------------------------------------
# The fictional ecosystem (every organisation, service, flow and partnership
# below is invented; names start "Illustrative:" and ids use GB-DEMO-)
# --------------------------------------------------------------------------
def _org(n: int) -> str:
    return f"GB-DEMO-{n:03d}"


ORGANISATIONS = [
    # n, name, sector, income, postcode district, ward
    (1, "Illustrative: Borough Commissioning and In-house Services", "public", 250_000_000, "M32", "LOS"),
    (2, "Illustrative: Mersey Integrated Care Partnership Fund", "public", 90_000_000, "M33", "SAC"),
    (3, "Illustrative: Mersey Valley Community Foundation", "vcse", 4_000_000, "WA14", "ALT"),
    (4, "Illustrative: Northern Wellbeing Lottery Fund", "other", 12_000_000, "M16", "OLD"),
    (5, "Illustrative: Irwell Charitable Trust", "vcse", 1_500_000, "WA15", "HAL"),
    (6, "Illustrative: Sale Community Wellbeing Trust", "vcse", 420_000, "M33", "SAC"),
    (7, "Illustrative: Stretford Neighbourhood Health CIC", "vcse", 380_000, "M32", "STR"),
    (8, "Illustrative: Altrincham Age Well Network", "vcse", 260_000, "WA14", "ALT"),
    (9, "Illustrative: Old Trafford Family Hub Partnership", "vcse", 150_000, "M16", "OLD"),
    (10, "Illustrative: Urmston Youth Collective", "vcse", 120_000, "M41", "URM"),
    (11, "Illustrative: Partington Pantry Network", "vcse", 60_000, "M31", "BUC"),
    (12, "Illustrative: Borough Money Advice Bureau", "vcse", 310_000, "M33", "SAM"),
    (13, "Illustrative: Clearwater Mental Health Collective", "vcse", 650_000, "M32", "LNG"),
    (14, "Illustrative: Carers Circle Cooperative", "vcse", 95_000, "M41", "DAV"),
    (15, "Illustrative: Hale Village Good Neighbours", "vcse", 70_000, "WA15", "HAL"),
    (16, "Illustrative: Flixton and Davyhulme Care Ltd", "private", 2_100_000, "M41", "FLX"),
    (17, "Illustrative: Timperley Talking Therapies Ltd", "private", 900_000, "WA15", "TMC"),
    (18, "Illustrative: Brooklands Food Share", "vcse", 40_000, "M33", "BRK"),
    (19, "Illustrative: Gorse Hill Community Kitchen", "vcse", 45_000, "M32", "GHC"),
    (20, "Illustrative: Manor Lane Youth Project", "vcse", 85_000, "M33", "MAN"),
    (21, "Illustrative: Altrincham Young People's Trust", "vcse", 210_000, "WA14", "BRH"),
    (22, "Illustrative: Mersey Meadows Housing Association", "other", 8_000_000, "M41", "FLX"),
]

LA = [LA_CODE]  # a service naming the borough serves all of its wards

SERVICES = [
    # id, name, provider n, category, areas, capacity, client_group, start, end, cost
    ("S01", "Health Connectors North", 7, "HEALTH", NORTH, 3000, "adults", "2023-10-01", None, 150_000),
    ("S02", "Sale Wellbeing Navigators", 6, "HEALTH", SALE, 2800, "adults", "2024-04-01", None, 180_000),
    ("S03", "West Trafford Health Checks", 16, "HEALTH", WEST, 2600, "adults", "2022-04-01", None, 120_000),
    ("S04", "South Trafford Wellbeing Walks", 15, "HEALTH", SOUTH, 2900, "adults", "2024-04-01", None, 40_000),
    ("S05", "Gorse Hill Social Prescribing", 19, "HEALTH", ["GHC"], 250, "adults", "2025-04-01", None, 30_000),
    ("S10", "Age Well Altrincham, Hale and Bowdon", 8, "OLDER", ["ALT", "HAL", "BOW"], 3300, "aged 75+",
     "2024-09-01", None, 75_000),
    ("S11", "Good Neighbours Befriending", 15, "OLDER", ["HAL", "BOW", "ALT"], 2400, "aged 75+",
     "2025-01-01", None, 45_000),
    ("S13", "Day Opportunities West", 16, "OLDER", ["DAV", "FLX", "URM"], 4200, "aged 75+",
     "2024-04-01", None, 220_000),
    ("S14", "Sale Older People's Lunch Clubs", 6, "OLDER", SALE, 4000, "aged 75+", "2025-04-01", None, 60_000),
    ("S15", "Later Life North", 7, "OLDER", NORTH, 3600, "aged 75+", "2025-06-01", None, 90_000),
    ("S16", "Age Well Timperley and Broadheath", 8, "OLDER", ["TMN", "TMC", "HBT", "BRH"], 4000, "aged 75+",
     "2025-04-01", None, 110_000),
    ("S17", "Davyhulme Day Centre (closed)", 16, "OLDER", ["DAV"], 400, "aged 75+",
     "2021-01-01", "2025-12-31", 50_000),
    ("S20", "Family Hubs North and West", 1, "EARLY", NORTH + WEST, 6500, "families with children 0-4",
     "2022-09-01", None, 900_000),
    ("S21", "Family Hubs Sale and South", 1, "EARLY", SALE + SOUTH, 7000, "families with children 0-4",
     "2022-09-01", None, 950_000),
    ("S22", "Old Trafford Family Support", 9, "EARLY", ["OLD", "GHC", "STR"], 900, "families with children 0-4",
     "2025-04-01", None, 85_000),
    ("S23", "Stay and Play Drop-in", 9, "EARLY", ["OLD"], None, "families with children 0-4",
     "2026-01-15", None, 6_000),
    ("S30", "Urmston, Flixton and Davyhulme Youth Clubs", 10, "YOUTH", ["URM", "FLX", "DAV"], 2500, "aged 11-18",
     "2025-09-01", None, 55_000),
    ("S31", "Partington Detached Youth Work", 10, "YOUTH", ["BUC"], 600, "aged 11-18",
     "2026-04-01", None, 18_000),
    ("S32", "Sale Youth Hub", 20, "YOUTH", ["MAN", "SAM", "SAC", "ASH", "BRK"], 4500, "aged 11-18",
     "2025-04-01", None, 90_000),
    ("S33", "South Trafford Youth Work", 21, "YOUTH", SOUTH, 9500, "aged 11-18", "2024-07-01", None, 140_000),
    ("S34", "Stretford Youth Club (closed)", 10, "YOUTH", NORTH, 2000, "aged 11-18",
     "2023-04-01", "2026-03-31", 40_000),
    ("S36", "North Trafford Youth Work (from January 2027)", 21, "YOUTH", NORTH, 3000, "aged 11-18",
     "2027-01-05", None, 90_000),
    ("S40", "Community Mental Health Hub", 13, "MENTAL", LA, 6500, "adults 16-64", "2023-04-01", None, 400_000),
    ("S41", "Talking Therapies South", 17, "MENTAL", SOUTH, 800, "adults 16-64", "2025-04-01", None, 210_000),
    ("S50", "Carers Support Line", 14, "CARERS", LA, 2400, "unpaid carers", "2024-04-01", None, 70_000),
    ("S60", "Partington Pantry", 11, "FOOD", ["BUC"], 600, "households", "2025-04-01", None, 20_000),
    ("S61", "Community Kitchen", 19, "FOOD", ["GHC", "OLD", "STR"], None, "households", "2024-01-01", None, 9_000),
    ("S62", "Brooklands Food Share", 18, "FOOD", ["BRK", "SAM", "MAN", "SAC"], 1200, "households",
     "2025-07-01", None, 12_000),
    ("S63", "Pantry on Wheels", 11, "FOOD", ["DAV", "FLX", "URM"], 1000, "households", "2026-04-01", None, 15_000),
    ("S64", "Community Larder", 15, "FOOD", ["ALT", "BRH"], 400, "households", "2026-03-01", None, 8_000),
    ("S70", "Money and Debt Advice", 12, "MONEY", LA, 3000, "adults", "2024-04-01", None, 160_000),
    ("S71", "Debt Advice Outreach", 12, "MONEY", ["OLD", "BUC"], 300, "adults", "2025-11-01", None, 25_000),
    ("S72", "Borough Home Support Reablement", 1, "OLDER", ["BUC"], 300, "aged 75+", "2027-02-01", None, 40_000),
    ("S42", "Tenancy Wellbeing Support West", 22, "MENTAL", WEST, 300, "adults 16-64", "2025-04-01", None, 60_000),
]

FUNDING = [
    # id, funder n, recipient n, amount, start, end, service, kind, programme
    ("F001", 2, 6, 180_000, "2024-04-01", "2028-03-31", "S02", "contract", "Community health navigation"),
    ("F002", 1, 6, 60_000, "2025-04-01", "2027-03-31", "S14", "grant", "Later life grants"),
    ("F003", 3, 6, 15_000, "2026-01-01", "2026-12-31", None, "grant", "Core costs"),
    ("F004", 2, 7, 150_000, "2023-10-01", "2027-03-31", "S01", "contract", "Community health navigation"),
    ("F005", 2, 7, 160_000, "2027-04-01", "2030-03-31", "S01", "contract", "Community health navigation"),
    ("F006", 4, 7, 90_000, "2025-06-01", "2028-05-31", "S15", "grant", "Later life"),
    ("F007", 3, 7, 12_000, "2026-07-01", "2027-06-30", None, "grant", "Core costs"),
    ("F008", 3, 8, 75_000, "2024-09-01", "2027-08-31", "S10", "grant", "Ageing well"),
    ("F009", 1, 8, 110_000, "2025-04-01", "2029-03-31", "S16", "contract", "Later life contracts"),
    ("F010", 4, 15, 45_000, "2025-01-01", "2027-12-31", "S11", "grant", "Later life"),
    ("F011", 5, 15, 8_000, "2026-09-01", "2027-08-31", None, "grant", "Small grants"),
    ("F012", 2, 15, 40_000, "2024-04-01", "2028-03-31", "S04", "grant", "Active communities"),
    ("F013", 1, 16, 220_000, "2024-04-01", None, "S13", "spot", "Day opportunities"),
    ("F014", 2, 16, 100_000, "2022-04-01", "2025-03-31", "S03", "contract", "Health checks"),
    ("F015", 2, 16, 120_000, "2025-04-01", "2028-03-31", "S03", "contract", "Health checks"),
    ("F016", 1, 16, 50_000, "2021-01-01", "2025-12-31", "S17", "contract", "Day opportunities"),
    ("F017", 1, 9, 85_000, "2025-04-01", "2028-03-31", "S22", "sla", "Family hubs"),
    ("F018", 5, 9, 6_000, "2026-06-01", "2027-05-31", "S23", "grant", "Small grants"),
    ("F019", 4, 9, 30_000, "2024-01-01", "2027-12-31", None, "grant", "Core costs"),
    ("F020", 1, 10, 40_000, "2023-04-01", "2026-03-31", "S34", "grant", "Youth grants"),
    ("F021", 4, 10, 55_000, "2025-09-01", "2028-08-31", "S30", "grant", "Young people"),
    ("F022", 3, 10, 18_000, "2026-04-01", "2027-03-31", "S31", "grant", "Young people"),
    ("F023", 5, 10, 20_000, "2025-01-01", "2027-12-31", None, "grant", "Core costs"),
    ("F024", 3, 20, 35_000, "2025-04-01", "2028-03-31", "S32", "grant", "Young people"),
    ("F025", 5, 20, 30_000, "2025-04-01", "2028-03-31", "S32", "grant", "Young people"),
    ("F026", 4, 20, 25_000, "2026-01-01", "2028-12-31", None, "grant", "Core costs"),
    ("F027", 1, 21, 140_000, "2024-07-01", "2029-06-30", "S33", "contract", "Youth services"),
    ("F028", 1, 21, 90_000, "2027-01-05", "2030-01-04", "S36", "contract", "Youth services"),
    ("F029", 2, 13, 400_000, "2023-04-01", "2028-03-31", "S40", "contract", "Community mental health"),
    ("F030", 3, 13, 20_000, "2026-02-01", "2027-01-31", None, "grant", "Core costs"),
    ("F031", 3, 13, 20_000, "2027-02-01", "2028-01-31", None, "grant", "Core costs"),
    ("F032", 2, 17, 210_000, "2025-04-01", "2028-03-31", "S41", "contract", "Community mental health"),
    ("F033", 1, 14, 70_000, "2024-04-01", "2028-03-31", "S50", "grant", "Carers"),
    ("F034", 5, 14, 5_000, "2025-10-01", "2026-09-30", None, "grant", "Small grants"),
    ("F035", 1, 12, 160_000, "2024-04-01", "2029-03-31", "S70", "contract", "Advice services"),
    ("F036", 4, 12, 25_000, "2025-11-01", "2026-10-31", "S71", "grant", "Financial inclusion"),
    ("F037", 4, 12, 25_000, "2026-11-01", "2027-10-31", "S71", "grant", "Financial inclusion"),
    ("F038", 3, 11, 20_000, "2025-04-01", "2028-03-31", "S60", "grant", "Food security"),
    ("F039", 5, 11, 15_000, "2026-04-01", "2029-03-31", "S63", "grant", "Food security"),
    ("F040", 1, 11, 10_000, "2026-10-01", "2027-09-30", None, "grant", "Household support"),
    ("F041", 3, 18, 12_000, "2025-07-01", "2028-06-30", None, "grant", "Food security"),
    ("F042", 5, 19, 9_000, "2026-01-01", "2027-12-31", None, "grant", "Small grants"),
    ("F043", 2, 19, 30_000, "2025-04-01", "2028-03-31", "S05", "grant", "Social prescribing"),
    ("F044", 2, 1, 500_000, "2026-04-01", "2027-03-31", None, "other", "Pooled budget 2026/27"),
    ("F045", 2, 1, 500_000, "2027-04-01", "2028-03-31", None, "other", "Pooled budget 2027/28"),
    ("F046", 3, 6, 14_000, "2023-01-01", "2025-12-31", None, "grant", "Core costs"),
    ("F047", 4, 8, 30_000, "2022-04-01", "2025-03-31", None, "grant", "Later life"),
    ("F048", 2, 13, 350_000, "2020-04-01", "2023-03-31", "S40", "contract", "Community mental health"),
    ("F049", 5, 18, 4_000, "2024-01-01", "2024-12-31", None, "grant", "Small grants"),
    ("F050", 1, 9, 70_000, "2022-04-01", "2025-03-31", None, "sla", "Family hubs"),
    ("F051", 2, 1, 40_000, "2027-02-01", "2028-01-31", "S72", "contract", "Reablement"),
    ("F052", 1, 22, 60_000, "2025-04-01", None, "S42", "sla", "Tenancy sustainment"),
]

PROCUREMENTS = [
    # id, buyer n, title, category, start, end, value, places, stage, route — each designed to answer something:
    # PR01 the unserved northern YOUTH cells, PR02 Bucklow-St Martins' unserved OLDER cell, PR03 the cliff of
    # DEMO-F002 (the council's later life grant to GB-DEMO-006 for S14), PR05 the cliff of DEMO-F003 (core
    # costs of GB-DEMO-006, whose S02 is HEALTH), PR06 the cliff of DEMO-F022 (S31, YOUTH); PR04 plans the
    # mental health contract after DEMO-F029; PR07 was awarded and has started, so it is not in the pipeline.
    ("PR01", 1, "North Trafford youth work", "YOUTH", "2027-04-01", "2030-03-31", 270_000, NORTH, "tender", "open"),
    ("PR02", 1, "Older people's support in Bucklow-St Martins", "OLDER", "2027-06-01", "2030-05-31", 120_000,
     ["BUC"], "planning", None),
    ("PR03", 1, "Later life grants 2027 to 2030", "OLDER", "2027-04-01", "2030-03-31", 180_000, [], "tender",
     "open"),
    ("PR04", 2, "Community mental health support from 2028", "MENTAL", "2028-04-01", "2033-03-31", 2_000_000, [],
     "planning", None),
    ("PR05", 3, "Sale community wellbeing grants 2027", "HEALTH", "2027-01-01", "2027-12-31", 30_000, SALE,
     "tender", "open"),
    ("PR06", 3, "Partington young people's fund 2027/28", "YOUTH", "2027-04-01", "2028-03-31", 20_000, ["BUC"],
     "planning", None),
    ("PR07", 1, "Money and debt advice (awarded)", "MONEY", "2026-04-01", "2029-03-31", 160_000, [], "award",
     "open"),
]

PARTNERSHIPS = [
    # a n, b n, kind, start, end, lead
    (6, 20, "consortium", "2024-04-01", None, "a"),
    (6, 18, "referral", "2025-01-01", None, None),
    (20, 18, "colocation", "2025-07-01", None, None),
    (6, 13, "referral", "2023-06-01", None, None),
    (13, 17, "subcontract", "2025-04-01", "2028-03-31", "a"),
    (13, 7, "referral", "2024-01-01", None, None),
    (7, 19, "colocation", "2025-04-01", None, None),
    (7, 9, "referral", "2024-09-01", None, None),
    (9, 19, "consortium", "2025-04-01", None, "a"),
    (8, 15, "referral", "2025-01-01", None, None),
    (15, 21, "colocation", "2026-03-01", None, None),
    (10, 11, "consortium", "2026-04-01", None, "a"),
    (10, 16, "subcontract", "2025-09-01", None, "b"),
    (11, 16, "referral", "2026-04-01", None, None),
    (12, 14, "colocation", "2023-01-01", "2025-06-30", None),
    (10, 21, "consortium", "2027-01-05", None, "b"),
]


def _areas(names: list[str]) -> str:
    return ";".join(W.get(n, n) for n in names)


def build_fictional() -> dict[str, pd.DataFrame]:
    orgs = pd.DataFrame([{
        "id": _org(n), "name": name, "sector": sector, "income": income,
        "charity_number": None, "company_number": None, "postcode": district, "place": W[ward],
    } for n, name, sector, income, district, ward in ORGANISATIONS])
    services = pd.DataFrame([{
        "id": f"DEMO-{sid}", "name": f"Illustrative: {name}", "provider": _org(p), "category": cat,
        "areas": _areas(areas), "capacity": cap, "client_group": group, "start": start, "end": end,
        "cost": cost,
    } for sid, name, p, cat, areas, cap, group, start, end, cost in SERVICES])
    funding = pd.DataFrame([{
        "id": f"DEMO-{fid}", "funder": _org(f), "recipient": _org(r), "amount": amount,
        "start": start, "end": end, "service": f"DEMO-{svc}" if svc else None, "kind": kind,
        "programme": f"Illustrative: {prog}", "currency": "GBP", "route": None,
    } for fid, f, r, amount, start, end, svc, kind, prog in FUNDING])
    partnerships = pd.DataFrame([{
        "a": _org(a), "b": _org(b), "kind": kind, "start": start, "end": end, "lead": lead,
    } for a, b, kind, start, end, lead in PARTNERSHIPS])
    procurements = pd.DataFrame([{
        "id": f"DEMO-{pid}", "buyer": _org(b), "title": f"Illustrative: {title}", "category": cat, "start": start,
        "end": end, "value": value, "places": _areas(places) if places else None, "stage": stage, "route": route,
    } for pid, b, title, cat, start, end, value, places, stage, route in PROCUREMENTS])
    return {"organisations": orgs, "services": services, "funding": funding, "partnerships": partnerships,
            "procurements": procurements}


# --------------------------------------------------------------------------
# The expected findings: SPEC §5 worked through independently of
# ecosystem.analysis, so the README can state what the analysis must find.
# --------------------------------------------------------------------------
def _date(v: Any) -> dt.date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
        return None
    return dt.date.fromisoformat(str(v))


def _active(start: Any, end: Any, as_of: dt.date) -> bool:
    s, e = _date(start), _date(end)
    return (s is None or s <= as_of) and (e is None or as_of <= e)


def _add_months(d: dt.date, months: int) -> dt.date:
    import calendar
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _nz(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def coverage_table(t: dict[str, pd.DataFrame], as_of: dt.date, drop_provider: str | None = None) -> pd.DataFrame:
    places = t["places"]
    parents = set(places["parent"].dropna())
    leaves = places[~places["code"].isin(parents)]
    pop = dict(zip(leaves["code"], leaves["population"].astype(float)))
    children: dict[str, list[str]] = {}
    for code, parent in zip(places["code"], places["parent"]):
        if _nz(parent):
            children.setdefault(parent, []).append(code)

    def leaves_of(code: str) -> list[str]:
        if code in pop:
            return [code]
        return sorted(leaf for c in children.get(code, []) for leaf in leaves_of(c))

    def spread(amount: float, codes: list[str]) -> dict[str, float]:
        tot = sum(pop[c] for c in codes)
        return {c: amount * pop[c] / tot for c in codes}

    demand: dict[tuple[str, str], float] = {}
    for n in t["needs"].itertuples():
        for leaf, v in spread(float(n.people), leaves_of(n.place)).items():
            demand[(leaf, n.category)] = demand.get((leaf, n.category), 0.0) + v
    supply: dict[tuple[str, str], float] = {}
    providers: dict[tuple[str, str], set[str]] = {}
    for s in t["services"].itertuples():
        if s.provider == drop_provider or not _active(s.start, s.end, as_of):
            continue
        codes = sorted({leaf for a in s.areas.split(";") for leaf in leaves_of(a)})
        cap = _nz(s.capacity)
        for leaf, v in spread(float(cap or 0.0), codes).items():
            key = (leaf, s.category)
            supply[key] = supply.get(key, 0.0) + v
            providers.setdefault(key, set()).add(s.provider)
    rows = []
    for key in sorted(set(demand) | set(supply)):
        d, sup = demand.get(key, 0.0), supply.get(key, 0.0)
        cov = sup / d if d else None
        if key not in providers:
            status = "unserved" if d > 0 else None
        elif cov is None:
            status = None
        else:
            status = "under" if cov < 1 else ("met" if cov < 1.5 else "over")
        rows.append({"place": key[0], "category": key[1], "demand": d, "supply": sup,
                     "unmet": max(0.0, d - sup), "coverage": cov, "status": status,
                     "providers": sorted(providers.get(key, set()))})
    return pd.DataFrame(rows)


def expected_findings(t: dict[str, pd.DataFrame], as_of: dt.date = AS_OF) -> dict[str, Any]:
    import networkx as nx

    cov = coverage_table(t, as_of)
    svc = t["services"]
    act_svc = svc[[_active(a, b, as_of) for a, b in zip(svc["start"], svc["end"])]]
    fund = t["funding"]
    act_f = fund[[_active(a, b, as_of) for a, b in zip(fund["start"], fund["end"])]]
    pop = dict(zip(t["places"]["code"], t["places"]["population"]))
    wards = sorted(c for c in t["places"].loc[t["places"]["level"] == "ward", "code"])

    def leafset(areas: str) -> set[str]:
        return set(wards) if LA_CODE in areas.split(";") else set(areas.split(";"))

    def funders_of(s) -> set[str]:
        named = set(act_f.loc[act_f["service"] == s.id, "funder"])
        general = set(act_f.loc[(act_f["recipient"] == s.provider) & act_f["service"].isna(), "funder"])
        return named | general

    overlaps = []
    rows = list(act_svc.itertuples())
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if a.category != b.category or a.provider == b.provider:
                continue
            la, lb = leafset(a.areas), leafset(b.areas)
            smaller = min(sum(pop[x] for x in la), sum(pop[x] for x in lb))
            ov = sum(pop[x] for x in la & lb) / smaller
            if ov >= 0.5:
                overlaps.append({"service_a": a.id, "service_b": b.id, "category": a.category,
                                 "overlap": round(ov, 4),
                                 "different_funders": not (funders_of(a) & funders_of(b))})

    dep = []
    for rec, grp in act_f.groupby("recipient"):
        by = grp.groupby("funder")["amount"].sum()
        shares = by / by.sum()
        dep.append({"provider": rec, "top_funder": shares.idxmax(), "top_share": round(float(shares.max()), 4),
                    "hhi": round(float((shares ** 2).sum()), 4), "dependent": bool(shares.max() >= 0.5)})

    horizon = _add_months(as_of, 6)
    cliffs = []
    for f in act_f.itertuples():
        end = _date(f.end)
        if end is None or not (as_of < end <= horizon):
            continue
        later = fund[(fund["funder"] == f.funder) & (fund["recipient"] == f.recipient)
                     & (fund["id"] != f.id)]
        if _nz(f.service):
            later = later[later["service"] == f.service]
        if any(_date(e) is None or _date(e) > end for e in later["end"]):
            continue
        services = [f.service] if _nz(f.service) else sorted(act_svc.loc[act_svc["provider"] == f.recipient, "id"])
        cliffs.append({"funding": f.id, "funder": f.funder, "recipient": f.recipient, "end": f.end,
                       "amount": f.amount, "services": services})

    short = sum(f.amount for f in act_f.itertuples()
                if _date(f.end) is not None and _date(f.start) is not None
                and _date(f.end) <= _add_months(_date(f.start), 12))
    short_share = short / act_f["amount"].sum()

    base_unmet = cov["unmet"].sum()
    critical = sorted(({"provider": p, "unmet_added": round(coverage_table(t, as_of, p)["unmet"].sum() - base_unmet, 1)}
                       for p in sorted(act_svc["provider"].unique())), key=lambda r: (-r["unmet_added"], r["provider"]))

    g = nx.Graph()
    for p in t["partnerships"].itertuples():
        if _active(p.start, p.end, as_of):
            g.add_edge(p.a, p.b)
    aps = sorted(nx.articulation_points(g))
    bridges = sorted(tuple(sorted(e)) for e in nx.bridges(g))

    conc = []
    for cat, grp in cov.groupby("category"):
        by: dict[str, float] = {}
        for s in act_svc[act_svc["category"] == cat].itertuples():
            by[s.provider] = by.get(s.provider, 0.0) + float(_nz(s.capacity) or 0.0)
        total = sum(by.values())
        hhi = sum((v / total * 100) ** 2 for v in by.values()) if total else None
        conc.append({"category": cat, "hhi": None if hhi is None else round(hhi, 1),
                     "concentrated": bool(hhi is not None and hhi > 2500)})

    sole = cov[(cov["demand"] > 0) & cov["providers"].map(len).eq(1)]
    return {
        "coverage": cov,
        "duplication": cov[(cov["status"] == "over") & cov["providers"].map(len).ge(2)],
        "overlaps": overlaps, "funding_dependency": dep, "funding_cliffs": cliffs,
        "short_term_share": short_share, "short_term_amount": short, "active_amount": act_f["amount"].sum(),
        "critical_providers": critical, "articulation_points": aps, "bridges": bridges,
        "concentration": conc, "sole_providers": sole,
    }


SECTOR_ORDER = ("vcse", "private", "public", "other", "unknown")


def funding_length(start: Any, end: Any) -> str:
    """A flow's length class: ``short`` (12 months or less), ``middle``, ``multi`` (36 months or more,
    ``end`` being the last day), ``open`` (no end), ``unknown`` (no start)."""
    s, e = _date(start), _date(end)
    if e is None:
        return "open"
    if s is None:
        return "unknown"
    if e <= _add_months(s, 12):
        return "short"
    if e + dt.timedelta(days=1) >= _add_months(s, 36):
        return "multi"
    return "middle"


def market_findings(t: dict[str, pd.DataFrame], as_of: dt.date = AS_OF) -> dict[str, Any]:
    """Market shaping worked through from SPEC §5 independently of ecosystem.analysis.

    ``diversity``: per category, (sector, supply, providers) in sector order (every demo service
    serves Trafford's wards only, so a service's whole capacity is Trafford's supply);
    ``lengths``: active funding per length class (amount, flows); ``security``: the short-term and
    multi-year shares of active funding; ``pipeline``: procurements starting after ``as_of`` with
    the gaps (ward, status, unmet; largest first) and cliffs each may answer.
    """
    found = expected_findings(t, as_of)
    cov = found["coverage"]
    sector = dict(zip(t["organisations"]["id"], t["organisations"]["sector"].map(lambda v: _nz(v) or "unknown")))
    svc = t["services"]
    act = svc[[_active(a, b, as_of) for a, b in zip(svc["start"], svc["end"])]]
    diversity: dict[str, list[tuple[str, float, int]]] = {}
    for cat, grp in act.groupby("category"):
        rows = []
        for sec in SECTOR_ORDER:
            mine = grp[grp["provider"].map(sector) == sec]
            if len(mine):
                rows.append((sec, float(mine["capacity"].fillna(0).sum()), int(mine["provider"].nunique())))
        diversity[cat] = rows
    fund = t["funding"]
    act_f = fund[[_active(a, b, as_of) for a, b in zip(fund["start"], fund["end"])]]
    lengths: dict[str, tuple[float, int]] = {}
    for f in act_f.itertuples():
        k = funding_length(f.start, f.end)
        amount, n = lengths.get(k, (0.0, 0))
        lengths[k] = (amount + float(f.amount), n + 1)
    total = float(act_f["amount"].sum())
    security = {"amount": total, "short_term_share": lengths.get("short", (0.0, 0))[0] / total,
                "multi_year_share": (lengths.get("multi", (0.0, 0))[0] + lengths.get("open", (0.0, 0))[0]) / total}
    cat_of = dict(zip(svc["id"], svc["category"]))
    wards = sorted(t["places"].loc[t["places"]["level"] == "ward", "code"])
    pipeline = []
    for p in t["procurements"].itertuples():
        if _date(p.start) is None or _date(p.start) <= as_of:
            continue
        codes = (_nz(p.places) or "").split(";") if _nz(p.places) else []
        leaves = set(wards) if not codes or LA_CODE in codes else set(codes)
        g = cov[(cov["category"] == p.category) & cov["status"].isin(["unserved", "under"])
                & cov["place"].isin(leaves)].sort_values(["unmet", "place"], ascending=[False, True])
        cliffs = sorted(c["funding"] for c in found["funding_cliffs"]
                        if c["funder"] == p.buyer and any(cat_of.get(x) == p.category for x in c["services"]))
        pipeline.append({"procurement": p.id, "title": p.title, "buyer": p.buyer, "category": p.category,
                         "start": p.start, "gaps": [(r.place, r.status, r.unmet) for r in g.itertuples()],
                         "cliffs": cliffs})
    pipeline.sort(key=lambda r: (r["start"], r["procurement"]))
    return {"diversity": diversity, "lengths": lengths, "security": security, "pipeline": pipeline}


# --------------------------------------------------------------------------
# Writing the folder
# --------------------------------------------------------------------------
COLUMNS = {
    "places": ["code", "name", "level", "parent", "population", "lat", "lon", "boundary"],
    "categories": ["code", "name", "parent"],
    "organisations": ["id", "name", "sector", "income", "charity_number", "company_number", "postcode", "place"],
    "services": ["id", "name", "provider", "category", "areas", "capacity", "client_group", "start", "end", "cost"],
    "needs": ["id", "place", "category", "people", "source", "period", "priority"],
    "funding": ["id", "funder", "recipient", "amount", "start", "end", "service", "kind", "programme",
                "currency", "route"],
    "partnerships": ["a", "b", "kind", "start", "end", "lead"],
    "procurements": ["id", "buyer", "title", "category", "start", "end", "value", "places", "stage", "route"],
}


def build_tables(data: pathlib.Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    wards = ward_population(data)
    health, trail = reconcile_health(data)
    wards = wards.merge(health, on="code", how="left", validate="1:1")
    if wards["poor_health"].isna().any():
        raise RuntimeError("a 2023 ward received no census count")
    tables = {
        "places": build_places(data, wards),
        "categories": pd.DataFrame([{"code": c, "name": n, "parent": None} for c, n in CATEGORIES]),
        "needs": build_needs(wards),
        **build_fictional(),
    }
    return {k: tables[k][COLUMNS[k]] for k in COLUMNS}, trail


def _fmt_people(x: float) -> str:
    return f"{x:,.1f}"


def readme(tables: dict[str, pd.DataFrame], f: dict[str, Any], trail: pd.DataFrame) -> str:
    name = dict(zip(tables["places"]["code"], tables["places"]["name"]))
    org = dict(zip(tables["organisations"]["id"], tables["organisations"]["name"]))
    cov = f["coverage"]
    counts = cov["status"].value_counts()
    lines = []
    add = lines.append
    add("# Demo place: Trafford (E08000009)\n")
    add("The bundled demo that `ecomap demo` loads: the metropolitan borough of Trafford and its 21 wards "
        "(2023 boundaries), with **real** geography, populations and Census 2021 health counts, and a "
        "**fictional** ecosystem of organisations, services, funding flows and partnerships built to show "
        "every kind of finding ecomap makes.\n")
    add("Rebuild it with `python scripts/build_demo.py` (reads the public files listed below from "
        "`shared/data` beside the repository, or `--data DIR`).\n")
    add("## What is real and what is not\n")
    add("| table | content | real? |\n|---|---|---|")
    add("| `places.csv` | Trafford and its 21 wards (2023): names, GSS codes, mid-2022 population (persons, all ages), "
        "centroid lat/lon, boundary (GeoJSON geometry, coordinates rounded to 6 decimals) | **real** |")
    add("| `categories.csv` | 8 service categories | a made-up taxonomy for the demo |")
    add("| `needs.csv` | people in need per ward and category | HEALTH, OLDER, EARLY, YOUTH are **real counts**; "
        "MENTAL, FOOD, MONEY and CARERS apply **illustrative rates invented for the demo** to real populations "
        "(the `source` column of every row says which) |")
    add("| `organisations.csv`, `services.csv`, `funding.csv`, `partnerships.csv`, `procurements.csv` | "
        f"{len(tables['organisations'])} organisations, {len(tables['services'])} services, "
        f"{len(tables['funding'])} funding flows, {len(tables['partnerships'])} partnerships, "
        f"{len(tables['procurements'])} planned or open procurements | "
        "**entirely fictional** |")
    add("")
    add("Every organisation, service and funding programme name begins with **\"Illustrative:\"** and every "
        "organisation id uses the made-up scheme `GB-DEMO-`. They are not real bodies and do not describe "
        "any real organisation, service, grant or contract in Trafford; place names are used only to make "
        "the geography readable. Do not cite any of them as fact.\n")
    add("## Needs\n")
    add("| category | people in need | source |\n|---|---|---|")
    for cat, (col, rate, period, source) in NEED_RULES.items():
        tot = int(tables["needs"].loc[tables["needs"]["category"] == cat, "people"].sum())
        add(f"| {cat} | {tot:,} (sum of 21 wards) | {source} |")
    carers = tables["needs"][tables["needs"]["category"] == "CARERS"].iloc[0]
    add(f"| CARERS | {int(carers['people']):,} given once for the whole borough (E08000009), not per ward | "
        f"{carers['source']} |")
    add("")
    add("## Reconciling the ward-code vintages (HEALTH)\n")
    add("Trafford was re-warded in 2023, and old and new wards do not nest. The population file and the "
        "boundaries use 2023 codes (E05015239…); the Census 2021 general-health file uses pre-2023 codes "
        "(E05000819…). The HEALTH need (residents in *bad* or *very bad* health) is carried across through "
        "the 139 LSOAs (2021), population-weighted:\n")
    add("1. **Old ward -> LSOA.** Each old ward's count is split over its LSOAs (ONS LSOA21 -> ward22 best-fit "
        "lookup) in proportion to the LSOAs' mid-2022 resident population, as whole people by the "
        "largest-remainder method.")
    add("2. **LSOA -> new ward.** Each LSOA's share in each 2023 ward is estimated from the generalised "
        "boundaries: a 40 x 40 lattice over the LSOA's bounding box, the points inside the LSOA located in "
        "the 2023 ward polygons (ray casting), gives the share of its area in each ward. Area shares times "
        "LSOA population are then raked (iterative proportional fitting) so that every LSOA's parts add up "
        "to its own mid-2022 population and every 2023 ward's parts add up to that ward's mid-2022 "
        f"population. {int((trail.groupby('lsoa21cd').size() == 1).sum())} of 139 LSOAs lie wholly in one "
        "2023 ward; the rest are split.")
    add("3. **Whole people again.** Each LSOA's count is split over its 2023 wards by those population shares, "
        "largest remainder, and added up by 2023 ward.")
    add("")
    add("Both splits keep totals exactly, so the Trafford-wide HEALTH total equals the census file's: "
        f"{int(tables['needs'].loc[tables['needs']['category'] == 'HEALTH', 'people'].sum()):,} residents "
        "(8,411 bad + 2,521 very bad). Ward figures are estimates: where an LSOA straddles a ward boundary its "
        "residents are assumed spread as its area (after raking), not as its actual streets. "
        "Population-based needs use the 2023-ward estimates directly and need no reconciliation.\n")
    add("## As-of date\n")
    add(f"The demo is built to be analysed **as of {AS_OF.isoformat()}** (`ecomap analyse --as-of "
        f"{AS_OF.isoformat()}`). Dates were chosen relative to it: some services closed earlier in 2026, one "
        "starts in January 2027, and several funding flows end within the following six months "
        f"(to {_add_months(AS_OF, 6).isoformat()}). Analysed on another date, the findings differ.\n")
    add("## Findings the demo is built to show (as of 2026-11-21)\n")
    add("Computed from the SPEC §5 definitions by `expected_findings()` in the build script, independently "
        "of `ecosystem.analysis`, and checked by hand for the headline figures. Leaves are the 21 wards; "
        "populations are mid-2022.\n")
    add(f"**Coverage** ({len(cov)} ward x category rows): " + ", ".join(
        f"{k} {int(v)}" for k, v in counts.items()) + ".\n")
    uns = cov[cov["status"] == "unserved"]
    add("- **Unserved** (demand > 0, no active service): " + "; ".join(
        f"{cat}: " + ", ".join(sorted(name[p] for p in grp["place"])) for cat, grp in uns.groupby("category")) +
        ". The five northern YOUTH gaps follow the closure of *Stretford Youth Club* (DEMO-S34, ended "
        "2026-03-31); its successor DEMO-S36 starts only on 2027-01-05. Bucklow-St Martins has no OLDER "
        "service until DEMO-S72 starts on 2027-02-01.")
    ex = cov[(cov["category"] == "MONEY") & (cov["place"] == W["ALT"])].iloc[0]
    add(f"- **Under-served**: e.g. MONEY in Altrincham: demand {_fmt_people(ex['demand'])}, supply "
        f"{_fmt_people(ex['supply'])} (3,000 x 10,972 / 236,301), coverage {ex['coverage']:.3f}. "
        f"CARERS is *met* in every ward with the same coverage 2,400 / 2,363 = {2400 / 2363:.4f} "
        "(an LA-level need and an LA-wide service spread by the same populations).")
    add("- **Capacity unknown**: DEMO-S23 (Stay and Play, EARLY, Old Trafford) and DEMO-S61 (Community "
        "Kitchen, FOOD, Gorse Hill & Cornbrook, Old Trafford, Stretford & Humphrey Park) have no capacity: "
        "present, adding 0 to supply.")
    add("- **Duplication (over-provision with 2+ providers)**:")
    for r in f["duplication"].itertuples():
        add(f"  - {name[r.place]} {r.category}: demand {_fmt_people(r.demand)}, supply {_fmt_people(r.supply)}, "
            f"coverage {r.coverage:.3f}, providers {', '.join(r.providers)}")
    add("  (Altrincham OLDER by hand: (3,300 + 2,400) x 10,972 / 33,011 = 1,894.5 against 893 -> 2.122.)")
    add("- **Overlapping service pairs** (same category, different providers, overlap >= 50%):")
    for o in f["overlaps"]:
        add(f"  - {o['service_a']} / {o['service_b']} ({o['category']}): overlap {o['overlap']:.2f}, "
            f"different_funders {str(o['different_funders']).lower()}")
    add("  DEMO-S10 is funded only by the Community Foundation (GB-DEMO-003), DEMO-S11 by the Lottery Fund "
        "(GB-DEMO-004, named) and the Irwell Charitable Trust (GB-DEMO-005, a general grant to the provider), "
        "so no funder funds both. DEMO-S40 and DEMO-S41 are both funded by GB-DEMO-002.")
    add("- **Funding dependency** (top_share >= 0.5) — all active-flow shares:")
    add("\n  | provider | top funder | top_share | hhi | dependent |\n  |---|---|---|---|---|")
    for d in f["funding_dependency"]:
        add(f"  | {d['provider']} | {d['top_funder']} | {d['top_share']:.4f} | {d['hhi']:.4f} | "
            f"{str(d['dependent']).lower()} |")
    add("\n  By hand, GB-DEMO-006: active flows 180,000 (GB-DEMO-002) + 60,000 (GB-DEMO-001) + 15,000 "
        "(GB-DEMO-003) = 255,000; top_share 180/255 = 0.7059. GB-DEMO-020 is the counter-example: "
        "35,000 / 30,000 / 25,000 -> top_share 0.3889, hhi 0.3395.")
    add("- **Funding cliffs** (active, ending after 2026-11-21 and on or before 2027-05-21, no later flow "
        "from the same funder to the same recipient and service):")
    for c in f["funding_cliffs"]:
        add(f"  - {c['funding']}: {c['funder']} -> {c['recipient']}, ends {c['end']}, "
            f"£{int(c['amount']):,}, services {', '.join(c['services'])}")
    add("  Not cliffs, by design: DEMO-F004 and DEMO-F044 (end 2027-03-31) and DEMO-F030 (end 2027-01-31) "
        "are renewed by later flows (F005, F045, F031); DEMO-F018 ends 2027-05-31, ten days after the "
        "horizon; DEMO-F036 ended on 2026-10-31, before the as-of date.")
    add(f"- **Short-term funding**: £{int(f['short_term_amount']):,} of £{int(f['active_amount']):,} active "
        f"funding is in flows of 12 months or less: share {f['short_term_share']:.4f} (the £500,000 pooled "
        "budget DEMO-F044 is most of it; DEMO-F013 is open-ended, so long-term).")
    add("- **Sole provider**: " + f"{len(f['sole_providers'])} (ward, category) cells with demand have exactly "
        "one provider, e.g. every MONEY cell (GB-DEMO-012) and every CARERS cell (GB-DEMO-014).")
    add("- **Critical providers** (unmet people added if the provider exits, all wards):")
    for c in f["critical_providers"][:5]:
        add(f"  - {c['provider']} ({org[c['provider']].removeprefix('Illustrative: ')}): {c['unmet_added']:,.1f}")
    add("- **Partnership network** (active partnerships): articulation points " +
        ", ".join(f["articulation_points"]) + "; bridges " +
        ", ".join(f"{a}–{b}" for a, b in f["bridges"]) + ". The GB-DEMO-012–GB-DEMO-014 colocation ended "
        "in 2025 and the GB-DEMO-010–GB-DEMO-021 consortium starts in 2027, so neither counts.")
    add("- **Concentration** (Trafford, HHI of providers' shares of supply, 0–10,000):")
    add("\n  | category | hhi | concentrated |\n  |---|---|---|")
    for c in f["concentration"]:
        add(f"  | {c['category']} | {c['hhi']:,.1f} | {str(c['concentrated']).lower()} |")
    add("\n  By hand, EARLY: the council (6,500 + 7,000) and GB-DEMO-009 (900 + no capacity) -> shares "
        "93.75% and 6.25% -> 8,789.1 + 39.1 = 8,828.1.")
    add("")
    market(add, tables, name, org)
    add("## Sources, licences and attribution\n")
    add("All from Trafford Data Lab repositories (see `SOURCES.md` in the project's sample data), "
        "published under the **Open Government Licence v3.0**:\n")
    for path, what in [
        (WARD23_GEO, "ward boundaries 2023 (ONS, generalised to 20 m)"),
        (LSOA_GEO, "LSOA 2021 boundaries (ONS, generalised)"),
        (LAD_GEO, "Greater Manchester local authority boundaries 2023 (ONS)"),
        (LSOA_WARD22_FILE, "LSOA21 -> ward22 best-fit lookup (ONS)"),
        (WARD_POP_FILE, "mid-2022 population estimates by 2023 ward (ONS)"),
        (LSOA_POP_FILE, "mid-2022 population estimates by LSOA (ONS)"),
        (HEALTH_FILE, "Census 2021 general health by (pre-2023) ward (ONS)"),
    ]:
        add(f"- `{path}` — {what}")
    add("\nContains National Statistics and OS data © Crown copyright and database right 2023. "
        "Source: Office for National Statistics licensed under the Open Government Licence v3.0.\n")
    return "\n".join(lines) + "\n"


LENGTH_LABELS = {"short": "12 months or less (short-term)", "middle": "more than 12 and less than 36 months",
                 "multi": "36 months or more (multi-year)", "open": "open-ended (multi-year)",
                 "unknown": "no start date (length unknown)"}


def market(add, tables: dict[str, pd.DataFrame], name: dict[str, str], org: dict[str, str]) -> None:
    """The README's market shaping section, from :func:`market_findings`."""
    mk = market_findings(tables)
    cats = dict(zip(tables["categories"]["code"], tables["categories"]["name"]))
    add("## Market shaping (as of 2026-11-21)\n")
    add("Computed by `market_findings()` in the build script from the SPEC §5 definitions, independently of "
        "`ecosystem.analysis`. Providers come from all four sectors: "
        + ", ".join(f"{s} {n}" for s, n in tables["organisations"]["sector"].value_counts().sort_index().items())
        + " organisations (the housing association GB-DEMO-022 is `other`).\n")
    add("**Diversity** (Trafford, share of active supply by provider sector; providers in brackets):\n")
    add("| category | " + " | ".join(SECTOR_ORDER[:4]) + " |\n|---|" + "---|" * 4)
    for cat, rows in sorted(mk["diversity"].items()):
        total = sum(v for _, v, _ in rows)
        cells = {s: (f"{v / total:.1%}" if total else "–") + f" ({n})" for s, v, n in rows}
        add(f"| {cat} | " + " | ".join(cells.get(s, "") for s in SECTOR_ORDER[:4]) + " |")
    add("\n**Funding security** (active flows by length; a flow's `end` is its last day):\n")
    add("| length | flows | amount |\n|---|---|---|")
    for k in ("short", "middle", "multi", "open", "unknown"):
        if k in mk["lengths"]:
            amount, n = mk["lengths"][k]
            add(f"| {LENGTH_LABELS[k]} | {n} | £{amount:,.0f} |")
    sec = mk["security"]
    add(f"\nShort-term share {sec['short_term_share']:.4f}, multi-year share {sec['multi_year_share']:.4f} of "
        f"£{sec['amount']:,.0f}.\n")
    add("**Pipeline** (`procurements.csv`, all fictional): procurements expected to start after the as-of date, "
        "with the gaps and funding cliffs each may answer. DEMO-PR07 was awarded and started in April 2026, "
        "so it is not listed.\n")
    add("| procurement | buyer | category | start | gaps (ward: status, unmet) | cliffs |\n|---|---|---|---|---|---|")
    for p in mk["pipeline"]:
        gaps = "; ".join(f"{name[w]}: {st}, {u:,.1f}" for w, st, u in p["gaps"][:5])
        if len(p["gaps"]) > 5:
            gaps += f"; … {len(p['gaps']) - 5} more"
        add(f"| {p['procurement']} {p['title'].removeprefix('Illustrative: ')} | {p['buyer']} | "
            f"{cats[p['category']]} | {p['start']} | {gaps or 'none'} | {', '.join(p['cliffs']) or 'none'} |")
    add("")


def write(out: pathlib.Path, tables: dict[str, pd.DataFrame], text: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if name == "services":  # whole people per year, blank when unknown
            df = df.assign(capacity=df["capacity"].astype("Int64"))
        df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    (out / "README.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="the shared sample data folder")
    ap.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="the demo folder to (re)write")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tables, trail = build_tables(args.data)
    findings = expected_findings(tables)
    write(args.out, tables, readme(tables, findings, trail))
    log.info("wrote %s: %s", args.out, {k: len(v) for k, v in tables.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
