"""The domain model: canonical tables, graph labels and relationship types.

Everything else in ecomap points at this module. Loaders produce
:class:`CanonicalTables`; the store writes them with the labels and
relationship types named here (never with user text); the graph builders
turn them into a typed :class:`networkx.MultiDiGraph` whose shape is
described in :data:`GRAPH_SCHEMA`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import decimal
import functools
import pathlib
import sys
from typing import Any, Iterable

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------
# Labels and relationship types (the only strings ever spliced into Cypher)
# --------------------------------------------------------------------------
PLACE = "Place"
CATEGORY = "Category"
ORGANISATION = "Organisation"
SERVICE = "Service"
NEED = "Need"
LOAD_RUN = "LoadRun"
NOTE = "Note"
ACTION = "Action"
FINDING = "Finding"
SCENARIO = "Scenario"
WORKSHOP = "Workshop"
#: one postcode sector of a loaded postcode lookup (its postcodes and the GSS codes each lies in)
POSTCODE_SECTOR = "PostcodeSector"
PROCUREMENT = "Procurement"  # a planned or open procurement (template procurements, OCDS tender/planning)

LABELS = (PLACE, CATEGORY, ORGANISATION, SERVICE, NEED, LOAD_RUN, NOTE, ACTION, FINDING, SCENARIO, WORKSHOP,
          POSTCODE_SECTOR, PROCUREMENT)

PART_OF = "PART_OF"  # (Place)->(Place)
BROADER = "BROADER"  # (Category)->(Category)
DELIVERS = "DELIVERS"  # (Organisation)->(Service)
SERVES = "SERVES"  # (Service)->(Place)
IN_CATEGORY = "IN_CATEGORY"  # (Service)->(Category)
IN = "IN"  # (Need)->(Place)
FOR = "FOR"  # (Need)->(Category)
FUNDS = "FUNDS"  # (Organisation)->(Organisation)
PARTNERS_WITH = "PARTNERS_WITH"  # (Organisation)->(Organisation)
BASED_IN = "BASED_IN"  # (Organisation)->(Place)
#: (Organisation)->(Place): the organisation receives a flow whose beneficiary places include the place.
#: Kept by every load beside the FUNDS property ``beneficiary_places`` so a place's pull starts from an index.
FUNDED_FOR = "FUNDED_FOR"
CONCERNS = "CONCERNS"  # (Finding|Note|Action)->(Place|Category|Organisation|Service)
ON = "ON"  # (Note|Action)->(Workshop): recorded in that workshop
VOTED_ON = "VOTED_ON"  # (Workshop)-[{member, at}]->(Note): one dot-vote by a board member

REL_TYPES = (PART_OF, BROADER, DELIVERS, SERVES, IN_CATEGORY, IN, FOR, FUNDS, PARTNERS_WITH, BASED_IN, FUNDED_FOR,
             CONCERNS,
             ON, VOTED_ON)

#: The key property of each node label (unique constraint).
NODE_KEYS = {
    PLACE: "code",
    CATEGORY: "code",
    ORGANISATION: "id",
    SERVICE: "id",
    NEED: "id",
    LOAD_RUN: "id",
    NOTE: "id",
    ACTION: "id",
    FINDING: "id",
    SCENARIO: "id",
    WORKSHOP: "id",
    POSTCODE_SECTOR: "id",  # "<source>|<sector>": two lookups may share a sector
    PROCUREMENT: "id",
}

#: how a derived BASED_IN was found (the ``basis`` property; an organisation's own ``place`` has none)
BASIS_POSTCODE = "postcode"
BASIS_REGISTER = "register"

SECTORS = ("vcse", "private", "public", "other")
FUNDING_KINDS = ("grant", "contract", "sla", "spot", "other")
PARTNERSHIP_KINDS = ("consortium", "subcontract", "referral", "colocation", "other")

# --------------------------------------------------------------------------
# Canonical tables (SPEC §3)
# --------------------------------------------------------------------------
#: column kinds: str, float, int, money (exact decimal.Decimal), date, bool, list (";"-separated place codes), choice
Column = tuple[str, str]


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """The columns of one canonical table."""

    name: str
    key: tuple[str, ...]
    required: dict[str, str]
    optional: dict[str, str]
    notes: dict[str, str]

    @functools.cached_property
    def columns(self) -> dict[str, str]:
        return {**self.required, **self.optional}


TABLES: dict[str, TableSpec] = {
    "places": TableSpec(
        "places",
        ("code",),
        {"code": "str", "name": "str", "level": "str"},
        {"parent": "str", "population": "float", "imd_decile": "int", "lat": "float", "lon": "float",
         "boundary": "str"},
        {
            "code": "unique place code (GSS code such as E05000819 where there is one)",
            "name": "place name",
            "level": "region, la, ward, lsoa, …",
            "parent": "code of the enclosing place",
            "population": "residents (used to apportion capacity and need)",
            "imd_decile": "Index of Multiple Deprivation decile, 1 = most deprived",
            "lat": "latitude (WGS84)",
            "lon": "longitude (WGS84)",
            "boundary": "GeoJSON geometry text (filled by the geography loader)",
        },
    ),
    "categories": TableSpec(
        "categories",
        ("code",),
        {"code": "str", "name": "str"},
        {"parent": "str"},
        {"code": "unique category code", "name": "category name", "parent": "broader category code"},
    ),
    "organisations": TableSpec(
        "organisations",
        ("id",),
        {"id": "str", "name": "str"},
        {"sector": "str", "income": "float", "charity_number": "str", "company_number": "str",
         "postcode": "str", "place": "str"},
        {
            "id": "org-id style identifier, e.g. GB-CHC-1159982 (any unique string)",
            "name": "organisation name",
            "sector": "vcse, private, public or other",
            "income": "annual income in pounds",
            "charity_number": "registered charity number",
            "company_number": "Companies House number",
            "postcode": "postcode of the main office",
            "place": "code of the place the organisation is based in",
        },
    ),
    "services": TableSpec(
        "services",
        ("id",),
        {"id": "str", "name": "str", "provider": "str", "category": "str", "areas": "list"},
        {"capacity": "float", "client_group": "str", "start": "date", "end": "date", "cost": "float"},
        {
            "id": "unique service id",
            "name": "service name",
            "provider": "id of the organisation that delivers it",
            "category": "category code",
            "areas": "place codes served, separated by ;",
            "capacity": "people per year",
            "client_group": "who it is for",
            "start": "first day (YYYY-MM-DD)",
            "end": "last day (YYYY-MM-DD)",
            "cost": "annual cost in pounds",
        },
    ),
    "needs": TableSpec(
        "needs",
        ("id",),
        {"place": "str", "category": "str", "people": "float"},
        {"id": "str", "source": "str", "period": "str", "priority": "str"},
        {
            "place": "place code",
            "category": "category code",
            "people": "people in need per year",
            "id": "unique need id (made from place, category and period when blank)",
            "source": "where the figure comes from",
            "period": "the period it describes",
            "priority": "local priority",
        },
    ),
    "funding": TableSpec(
        "funding",
        ("id",),
        {"id": "str", "funder": "str", "recipient": "str", "amount": "money", "start": "date", "end": "date"},
        {"service": "str", "kind": "str", "programme": "str", "currency": "str", "route": "str", "places": "list",
         "end_assumed": "bool"},
        {
            "id": "unique funding id",
            "funder": "id of the funding organisation",
            "recipient": "id of the receiving organisation",
            "amount": "amount in the flow's currency (pounds unless currency says otherwise); exact decimal",
            "start": "first day (YYYY-MM-DD)",
            "end": "last day (YYYY-MM-DD); blank for open-ended",
            "service": "service id when the money is for one service",
            "kind": "grant, contract, sla, spot or other",
            "programme": "funding programme",
            "currency": "ISO 4217 currency code (default GBP); amounts are only ever added within one currency",
            "route": "procurement route",
            "places": "beneficiary place codes (GSS codes at any level), separated by ;",
            "end_assumed": "true when the end date was assumed, not published (loaders of 360Giving and OCDS)",
        },
    ),
    "partnerships": TableSpec(
        "partnerships",
        ("a", "b", "kind"),
        {"a": "str", "b": "str", "kind": "str"},
        {"start": "date", "end": "date", "lead": "str"},
        {
            "a": "organisation id",
            "b": "organisation id",
            "kind": "consortium, subcontract, referral, colocation or other",
            "start": "first day (YYYY-MM-DD)",
            "end": "last day (YYYY-MM-DD)",
            "lead": "a or b",
        },
    ),
}

TABLES["postcodes"] = TableSpec(
    "postcodes",
    ("lookup", "sector"),
    {"lookup": "str", "sector": "str", "units": "str", "combo": "list", "codes": "list"},
    {"postcodes": "int"},
    {
        "lookup": "the lookup file's name (two lookups may share a sector)",
        "sector": "postcode sector, e.g. M15 4 (the postcode without its last two letters)",
        "units": "the last two letters of each postcode in the sector, concatenated",
        "combo": "per postcode (in the order of units), the index of its code set in codes",
        "codes": "the distinct GSS code sets of the sector, each a space-separated list",
        "postcodes": "number of postcodes in the sector",
    },
)

TABLES["procurements"] = TableSpec(
    "procurements",
    ("id",),
    {"id": "str", "buyer": "str", "title": "str", "category": "str", "start": "date"},
    {"end": "date", "value": "money", "currency": "str", "places": "list", "stage": "str", "route": "str",
     "cpv": "str"},
    {
        "id": "unique procurement id (an OCDS ocid)",
        "buyer": "id of the buying organisation",
        "title": "what is being bought",
        "category": "category code (from the CPV code through the category map; unclassified when unmapped)",
        "start": "expected contract start (YYYY-MM-DD); blank when the publisher gives none",
        "end": "expected contract end (YYYY-MM-DD)",
        "value": "estimated value (exact decimal) in its currency",
        "currency": "ISO 4217 currency code of the value (default GBP)",
        "places": "place codes delivered to (GSS codes), separated by ;",
        "stage": "planning, tender or award",
        "route": "procurement route (e.g. open, selective, limited, direct)",
        "cpv": "the CPV code as published",
    },
)

TABLE_ORDER = ("places", "categories", "organisations", "services", "needs", "funding", "partnerships",
               "procurements")

#: tables no template holds: a loader fills them (a postcode lookup's sectors)
EXTRA_TABLES = ("postcodes",)
#: Tables a template folder or a generated data set may leave out altogether (SPEC §3: optional table).
OPTIONAL_TABLES = ("procurements",)

#: Columns that may be blank even though listed as required (open-ended funding).
NULLABLE_REQUIRED = {("funding", "start"), ("funding", "end"), ("procurements", "start")}

#: The FUNDS property that holds the funding table's ``places`` column (beneficiary place codes).
BENEFICIARY_PLACES = "beneficiary_places"


def empty_table(name: str) -> pd.DataFrame:
    """An empty canonical table with its columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[name].columns})


# --------------------------------------------------------------------------
# Validation issues
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Issue:
    """One problem found in the input, located as the user sees it."""

    source: str
    sheet: str | None
    row: int | None  # spreadsheet row: header = 1
    column: str | None
    value: Any
    check: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if d["value"] is not None and not isinstance(d["value"], (int, float, str, bool)):
            d["value"] = str(d["value"])
        return d

    def __str__(self) -> str:
        where = [self.source]
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        shown = str(self.value) if isinstance(self.value, decimal.Decimal) else repr(self.value)  # a number, as typed
        value = "" if self.value is None else f" (value {shown})"
        return f"{', '.join(where)}: {self.message}{value}"


class ValidationError(Exception):
    """Raised by loaders with every issue found; nothing has been written."""

    def __init__(self, issues: Iterable[Issue], warnings: Iterable[str] = (), *, tables: Any = None):
        self.issues = list(issues)
        self.warnings = list(warnings)
        #: the rows that could be read despite the issues (a :class:`CanonicalTables` or None), so the
        #: cross-table checks can still report every other problem in the same pass
        self.tables = tables
        super().__init__(self.summary())

    def summary(self, limit: int = 50) -> str:
        lines = [f"{len(self.issues)} problem(s) found; nothing was loaded:"]
        lines += [f"  - {i}" for i in self.issues[:limit]]
        if len(self.issues) > limit:
            lines.append(f"  … and {len(self.issues) - limit} more")
        return "\n".join(lines)

    def issues_frame(self) -> pd.DataFrame:
        return pd.DataFrame([i.to_dict() for i in self.issues],
                            columns=["source", "sheet", "row", "column", "value", "check", "message"])


# --------------------------------------------------------------------------
# Canonical tables container
# --------------------------------------------------------------------------
@dataclasses.dataclass
class CanonicalTables:
    """Validated canonical tables, ready to write.

    Every table is a DataFrame with at least the spec's columns (``None``
    for missing values, ``datetime.date`` for dates, ``float`` for numbers,
    ``list[str]`` for ``services.areas``). Extra columns are kept and
    written as properties. ``warnings`` are suspicious-but-usable findings;
    ``skipped`` counts records a loader left out, by reason; ``unusable``
    counts what loaded but the analysis cannot use (free-text areas, …).
    """

    tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)
    #: what loaded but the analysis cannot use, by what it is (e.g. free-text service areas), with counts
    unusable: dict[str, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in TABLE_ORDER:
            if name not in self.tables or self.tables[name] is None:
                self.tables[name] = empty_table(name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def counts(self) -> dict[str, int]:
        """Rows per table (an optional table only when it has rows); ``postcodes`` (when a lookup was
        read) counts postcodes, not sectors."""
        out = {name: int(len(self.tables[name])) for name in TABLE_ORDER
               if name not in OPTIONAL_TABLES or len(self.tables[name])}
        pcs = self.tables.get("postcodes")
        if pcs is not None and len(pcs):
            out["postcodes"] = int(sum(pcs["postcodes"])) if "postcodes" in pcs.columns else int(len(pcs))
        return out

    def records(self, name: str) -> list[dict[str, Any]]:
        """Rows of a table as plain dicts with ``None`` for missing values."""
        return [{k: _clean(v) for k, v in rec.items()} for rec in fast_records(self.tables[name])]

    @classmethod
    def concat(cls, parts: Iterable["CanonicalTables"]) -> "CanonicalTables":
        parts = list(parts)
        tables = {}
        for name in TABLE_ORDER:
            frames = [p.tables[name] for p in parts if len(p.tables[name])]
            tables[name] = pd.concat(frames, ignore_index=True) if frames else empty_table(name)
        for name in EXTRA_TABLES:
            frames = [p.tables[name] for p in parts if p.tables.get(name) is not None and len(p.tables[name])]
            if frames:
                tables[name] = pd.concat(frames, ignore_index=True)
        warnings = [w for p in parts for w in p.warnings]
        skipped: dict[str, int] = {}
        unusable: dict[str, int] = {}
        for p in parts:
            for k, v in p.skipped.items():
                skipped[k] = skipped.get(k, 0) + v
            for k, v in p.unusable.items():
                unusable[k] = unusable.get(k, 0) + v
        return cls(tables, warnings, skipped, unusable)


def table_frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    """Rows as a canonical table: the spec's columns first (None where absent), extras after.

    Missing values are ``None`` (never NaN) and list columns (``services.areas``,
    ``funding.places``) are always lists.
    """
    if not rows:
        return empty_table(name)
    df = pd.DataFrame(rows, dtype=object)
    cols = list(TABLES[name].columns)
    for c in cols:
        if c not in df.columns:
            df[c] = None
    df = df[cols + [c for c in df.columns if c not in cols]]
    out = df.astype(object).where(df.notna(), None)
    for col, kind in TABLES[name].columns.items():
        if kind == "list":
            out[col] = [list(a) if isinstance(a, (list, tuple)) else [] for a in df[col]]
    return out


def fast_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")`` without pandas' per-value boxing (several times faster)."""
    cols = list(df.columns)
    if not cols:
        return [{} for _ in range(len(df))]
    return [dict(zip(cols, row)) for row in zip(*(df[c].tolist() for c in cols))]


def _clean(v: Any) -> Any:
    """Python scalars only; NaN/NaT/empty string become None."""
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, str) and v == "":
        return None
    if hasattr(v, "item") and not isinstance(v, (list, tuple, str)):
        try:
            return v.item()
        except (ValueError, AttributeError):
            return v
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


# --------------------------------------------------------------------------
# Money: exact amounts, each in its own currency
# --------------------------------------------------------------------------
#: the currency of an amount that names none (SPEC §3)
DEFAULT_CURRENCY = "GBP"
#: the analysis adds money as whole ten-thousandths of a currency unit (int64): exact, and
#: fine enough for every ISO 4217 currency (the most minor units any has is 4)
MONEY_SCALE = 10_000
MONEY_PLACES = 4
#: largest amount held exactly as a float in the store and turned back into units by
#: :func:`money_units` with plain arithmetic (below 2**52 ten-thousandths)
_FAST_LIMIT = 4.5e11
_DATA = pathlib.Path(__file__).resolve().parent / "data"


@functools.cache
def currencies() -> dict[str, tuple[str, int | None]]:
    """ISO 4217 active currency codes: ``{code: (name, minor units or None)}``.

    Shipped with the package (``ecosystem/data/iso4217.csv``, ISO 4217 table A.1);
    no download. Funds, precious metals and testing codes (``XAU``, ``XTS``) have no minor units.
    """
    with (_DATA / "iso4217.csv").open(encoding="utf-8", newline="") as f:
        return {r["code"]: (r["name"], int(r["minor_units"]) if r["minor_units"] else None)
                for r in csv.DictReader(f)}


def is_currency(code: Any) -> bool:
    """Whether ``code`` is an active ISO 4217 currency code (exactly: upper case, three letters)."""
    return isinstance(code, str) and code in currencies()


def currency_code(v: Any) -> str | None:
    """A currency as published (``" gbp "``) in canonical form (``"GBP"``); None when blank.

    Any text is kept (upper-cased): an unknown code is a loader's warning, never a silent change.
    """
    if v is None or (isinstance(v, float) and v != v):
        return None
    s = str(v).strip().upper()
    return s or None


def minor_units(currency: str | None) -> int:
    """Digits after the point in ``currency``'s usual amounts (GBP 2, JPY 0, BHD 3); 2 when unknown."""
    found = currencies().get(currency or DEFAULT_CURRENCY)
    return 2 if found is None or found[1] is None else found[1]


#: the largest amount a store keeps as a finite number (a float's maximum)
_MONEY_MAX = decimal.Decimal(repr(sys.float_info.max))


class MoneyError(ValueError):
    """An amount that is not a finite number with at most four decimal places."""


def money(v: Any) -> decimal.Decimal | None:
    """An exact amount: ``Decimal`` from a Decimal, int, text (``"1,000.10"``, ``"£5"``) or float.

    A float is read as the shortest decimal that round-trips (``repr``), so ``1000.1`` is
    exactly ``Decimal("1000.1")``. ``None`` for blank. Raises :class:`MoneyError` for text
    that is no number, NaN/infinity, and amounts with more than four decimal places.

    >>> money("1,000.10"), money(1000.1), money(7)
    (Decimal('1000.10'), Decimal('1000.1'), Decimal('7'))
    """
    if v is None:
        return None
    if isinstance(v, bool):
        raise MoneyError("not an amount")
    if isinstance(v, decimal.Decimal):
        d = v
    elif isinstance(v, int):
        d = decimal.Decimal(v)
    elif isinstance(v, float):
        if v != v:
            return None
        d = decimal.Decimal(repr(float(v)))
    elif isinstance(v, np.generic):
        return money(v.item())
    else:
        s = str(v).strip().replace(",", "").replace("£", "").replace(" ", "")
        if not s:
            return None
        try:
            d = decimal.Decimal(s)
        except decimal.InvalidOperation:
            raise MoneyError("not a number") from None
    if not d.is_finite() or abs(d) > _MONEY_MAX:  # 1e400 is a finite Decimal, but infinity once stored
        raise MoneyError("not a finite number")
    if d.as_tuple().exponent < -MONEY_PLACES and d != d.quantize(decimal.Decimal(1).scaleb(-MONEY_PLACES)):
        raise MoneyError(f"more than {MONEY_PLACES} decimal places")
    return d


def money_units(amounts: Any) -> np.ndarray:
    """Amounts (floats as stored, Decimals or None) as exact int64 ten-thousandths; 0 where missing.

    Floats below 4.5e11 convert with one multiplication and rounding, which is exact for
    any amount with at most four decimal places; larger ones go through ``Decimal``.
    """
    arr = np.asarray(amounts, dtype=object) if not isinstance(amounts, np.ndarray) or amounts.dtype.kind != "f" \
        else amounts
    if arr.dtype.kind == "f":
        f = arr
    else:
        f = np.array([float(x) if x is not None and x == x else np.nan for x in arr], dtype=float)
    finite = np.isfinite(f)
    out = np.zeros(len(f), dtype=np.int64)
    fast = finite & (np.abs(f) < _FAST_LIMIT)
    out[fast] = np.rint(f[fast] * MONEY_SCALE).astype(np.int64)
    for i in np.flatnonzero(finite & ~fast):
        x = arr[i]
        d = x if isinstance(x, decimal.Decimal) else decimal.Decimal(repr(float(x)))
        out[i] = int((d * MONEY_SCALE).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    return out


def units_money(units: int, currency: str | None = None) -> decimal.Decimal:
    """Ten-thousandths back to an exact ``Decimal``, shown to the currency's minor units where that is exact.

    >>> units_money(70_007_000, "GBP"), units_money(12_345, "GBP"), units_money(50_000, "JPY")
    (Decimal('7000.70'), Decimal('1.2345'), Decimal('5'))
    """
    d = decimal.Decimal(int(units)).scaleb(-MONEY_PLACES)
    q = decimal.Decimal(1).scaleb(-minor_units(currency))
    r = d.quantize(q)
    return r if r == d else d.normalize()


def need_id(place: str, category: str, period: Any = None) -> str:
    """The id given to a need row that has none."""
    return f"{place}|{category}|{period or ''}"


def add_months(d: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    import calendar

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


# --------------------------------------------------------------------------
# The networkx graph (what the store pulls and the analysis reads)
# --------------------------------------------------------------------------
GRAPH_SCHEMA = """
Nodes are tuples ``(label, key)``, e.g. ``("Organisation", "GB-CHC-1")``,
``("Place", "E05000819")``. Each node has attribute ``label`` plus the
node's properties (dates as ``datetime.date``). Edges carry ``type`` (the
relationship type) as the MultiDiGraph key and attribute, plus their
properties:

  (Place)-[PART_OF]->(Place)
  (Category)-[BROADER]->(Category)
  (Organisation)-[DELIVERS]->(Service)
  (Service)-[SERVES]->(Place)
  (Service)-[IN_CATEGORY]->(Category)
  (Need)-[IN]->(Place), (Need)-[FOR]->(Category)
  (Organisation)-[FUNDS {id, amount, currency, start, end, end_assumed, service, kind,
                         beneficiary_places, ...}]->(Organisation)
  (Organisation)-[PARTNERS_WITH {kind, start, end, lead}]->(Organisation)
  (Organisation)-[BASED_IN]->(Place)

FUNDS edges use the funding id as their MultiDiGraph key; other edges use
the relationship type. A flow's ``beneficiary_places`` (the funding table's
``places``: GSS codes at any level) and ``end_assumed`` (true when a loader
gave a grant or contract published without an end an assumed one) are left
out when empty or unknown. A flow's ``amount`` is a float in the graph and
the store (exact: every amount with at most 15 significant digits reads back
as the same decimal) and ``currency`` its ISO 4217 code (``GBP`` when
absent); the analysis adds amounts only as integers, within one currency.
"""
