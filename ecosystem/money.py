"""Money for people and tables: exact totals per currency, and amounts written with their currency.

Amounts are added only within one currency and only as integers (the
``units`` column of :class:`ecosystem.analysis._tables.Frames`: exact
ten-thousandths, see :data:`ecosystem.model.MONEY_SCALE`); nothing here
converts between currencies. Results carry amounts as ``decimal.Decimal``.
"""

from __future__ import annotations

import decimal
import math
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ecosystem import model as m

#: symbols a UK reader knows; every other currency is written with its ISO code
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "US$"}

TOTAL_COLUMNS = ["currency", "flows", "amount"]


def fmt(amount: Any, currency: str | None = None, *, places: int = 0) -> str:
    """``amount`` in ``currency`` for a person: ``£1,235``, ``€10``, ``US$75,465``, ``MXN 1,311,264``.

    ``places`` digits after the point (rounded half-even, exactly); ``–`` for a missing amount.

    >>> fmt(decimal.Decimal("7000.70"), "GBP", places=2), fmt(75464.96, "USD"), fmt(5, "JPY"), fmt(None)
    ('£7,000.70', 'US$75,465', 'JPY 5', '–')
    >>> fmt(1000.1 - 0.3, "GBP", places=2)  # worked out: a float's last digits (999.8000000000001) are rounded away
    '£999.80'
    """
    if amount is None or (isinstance(amount, float) and amount != amount):
        return "–"
    if isinstance(amount, decimal.Decimal):
        d = amount
    elif isinstance(amount, float) and math.isfinite(amount):  # worked out (a difference): rounded, whatever its last digits
        d = decimal.Decimal(repr(amount))
    else:
        d = m.money(amount)
    d = d.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN)
    sign = "-" if d < 0 else ""
    text = f"{abs(d):,.{places}f}"
    code = currency or m.DEFAULT_CURRENCY
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{code} {text}"


def fmt_totals(totals: Iterable[tuple[str, Any]], *, places: int = 0, empty: str | None = None) -> str:
    """Several currencies' totals side by side: ``£93,000 + US$1,000`` (never added together)."""
    parts = [fmt(a, c, places=places) for c, a in totals]
    if not parts:
        return empty if empty is not None else fmt(0, m.DEFAULT_CURRENCY, places=places)
    return " + ".join(parts)


def order_currencies(codes: Iterable[str]) -> list[str]:
    """Currencies in reading order: GBP first, then alphabetical."""
    return sorted(set(codes), key=lambda c: (c != m.DEFAULT_CURRENCY, str(c)))


def totals(frame: pd.DataFrame, *, amount: str = "amount", currency: str = "currency") -> pd.DataFrame:
    """Exact totals of a table of amounts, one row per currency: currency, flows (rows), amount (Decimal).

    ``frame[amount]`` may hold Decimals or floats (read exactly), ``frame[currency]`` codes
    (missing means GBP). Rows with no amount are left out. Ordered GBP first.

    >>> totals(pd.DataFrame({"amount": [1000.1] * 7 + [5.0], "currency": ["GBP"] * 7 + ["USD"]}))
      currency  flows   amount
    0      GBP      7  7000.70
    1      USD      1     5.00
    """
    if frame is None or not len(frame):
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    vals = frame[amount]
    keep = vals.notna().to_numpy()
    if not keep.any():
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    units = m.money_units(vals.to_numpy()[keep] if vals.dtype.kind == "f" else list(vals[keep]))
    cur = frame[currency][keep] if currency in frame.columns else pd.Series(m.DEFAULT_CURRENCY, index=vals[keep].index)
    cur = cur.where(cur.notna(), m.DEFAULT_CURRENCY).astype(str).to_numpy()
    return units_totals(cur, units)


def units_totals(currencies: Any, units: Any) -> pd.DataFrame:
    """Like :func:`totals`, from parallel arrays of currency codes and int64 units."""
    df = pd.DataFrame({"currency": np.asarray(currencies, dtype=object), "units": np.asarray(units, dtype=np.int64)})
    if df.empty:
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    g = df.groupby("currency", sort=False).agg(flows=("units", "size"), units=("units", "sum"))
    rows = [(c, int(g.at[c, "flows"]), m.units_money(int(g.at[c, "units"]), c)) for c in order_currencies(g.index)]
    return pd.DataFrame(rows, columns=TOTAL_COLUMNS)


def total_pairs(frame: pd.DataFrame, **kw) -> list[tuple[str, decimal.Decimal]]:
    """:func:`totals` as ``[(currency, amount)]`` for :func:`fmt_totals`."""
    t = totals(frame, **kw)
    return list(zip(t["currency"], t["amount"]))
