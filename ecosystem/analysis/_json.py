"""Streaming JSON for analysis results, written from the tables column by column.

:func:`write_json` writes the same JSON object as ``json.dump`` of
:meth:`~ecosystem.analysis.Analysis.to_json_dict` (same keys, same values
once parsed) without building a dict per row: each column is encoded once
with orjson (numbers, booleans and nulls as one array; text through its
distinct values), and rows are put together from those pieces a chunk at a
time, so a local authority's 200,000 overlapping pairs are written in well
under a second and memory stays bounded.

The layout is compact but readable: one top-level key per line and one
record per line.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, Iterable

import numpy as np
import orjson
import pandas as pd

from ecosystem.analysis._tables import _column, py, records

__all__ = ["write_json", "dumps_value", "Object", "TableRecords", "column_of", "orjson_default"]


class Object(list):
    """A nested JSON object for :func:`write_json`: its (key, value) items in order, tables as DataFrames."""

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
#: rows encoded and written at a time (bounds the memory of the pieces)
CHUNK = 50_000


def _default(o: Any) -> Any:
    v = py(o)
    if v is o:
        if isinstance(o, set):
            return sorted(o, key=str)
        if hasattr(o, "to_native"):  # neo4j.time values
            return o.to_native().isoformat()
        return str(o)
    return v


def dumps_value(v: Any) -> bytes:
    """One JSON value (not a table) as bytes, with the conversions of :func:`~ecosystem.analysis._tables.py`."""
    return orjson.dumps(_clean(v), default=_default, option=_OPTS)


def _clean(v: Any) -> Any:
    """NaN and numpy scalars inside plain values become what ``py`` makes of them."""
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, float) or isinstance(v, np.generic) or isinstance(v, pd.Timestamp) or v is pd.NaT:
        return py(v)
    return v


def _split_array(text: bytes, n: int) -> list[bytes]:
    """The items of a JSON array of numbers, booleans or nulls (no commas inside any item)."""
    if n == 0:
        return []
    parts = text[1:-1].split(b",")
    assert len(parts) == n
    return parts


def _encode_column(s: pd.Series) -> list[bytes]:
    """Each value of ``s`` as JSON text, as the records of ``_tables.records`` would hold it."""
    n = len(s)
    kind = s.dtype.kind
    if kind in "iubf":  # NaN becomes null, as in records()
        return _split_array(orjson.dumps(s.to_numpy(), option=_OPTS), n)
    if kind == "M":
        s = s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None)
    values = s.to_numpy(dtype=object)
    if n and pd.api.types.infer_dtype(values, skipna=True) == "string":
        # ids and codes repeat: encode each distinct one once
        codes, uniques = pd.factorize(values)
        pieces = np.array([orjson.dumps(u) for u in uniques] + [b"null"], dtype=object)
        return pieces[codes].tolist()  # code -1 (missing) takes the last piece, null
    return [orjson.dumps(py(v), default=_default, option=_OPTS) for v in values.tolist()]


def _write_table(df: pd.DataFrame, fh: BinaryIO) -> None:
    cols = list(df.columns)
    if not cols or not len(df):
        fh.write(b"[]")
        return
    keys = [orjson.dumps(str(c)).replace(b"%", b"%%") for c in cols]
    template = b"{" + b",".join(k + b":%s" for k in keys) + b"}"
    fh.write(b"[\n")
    for lo in range(0, len(df), CHUNK):
        part = df.iloc[lo:lo + CHUNK]
        pieces = [_encode_column(part[c]) for c in cols]
        rows = [template % t for t in zip(*pieces)]
        if lo:
            fh.write(b",\n")
        fh.write(b",\n".join(rows))
    fh.write(b"\n]")


class TableRecords(Sequence):
    """A table read as its JSON records: equal to ``records(frame)``, but each record made only when read.

    A report document holds the overlapping pairs like this (a local
    authority's run to six figures): parsed into dicts and written again,
    they cost a second of its report. Indexing gives a record, slicing a
    list of them; :meth:`column` gives one column's values; ``orjson`` writes
    it from the columns when given :func:`orjson_default`. It compares equal
    to the list of its records.
    """

    __slots__ = ("frame",)

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame.reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return records(self.frame.iloc[i])
        return records(self.frame.iloc[[i]])[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for lo in range(0, len(self.frame), CHUNK):
            yield from records(self.frame.iloc[lo:lo + CHUNK])

    def column(self, name: str) -> list:
        """The values of column ``name`` as the records hold them (``None`` for every row if there is no such column)."""
        if name not in self.frame.columns:
            return [None] * len(self.frame)
        return _column(self.frame[name])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TableRecords):
            return list(self) == list(other)
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a list, so unhashable like one

    def __repr__(self) -> str:
        return f"TableRecords({len(self)} rows: {', '.join(map(str, self.frame.columns))})"

    def to_json(self) -> bytes:
        """The records as a JSON array, encoded column by column (as :func:`write_json` writes a table)."""
        buf = io.BytesIO()
        _write_table(self.frame, buf)
        return buf.getvalue()


def column_of(rows: Sequence[dict[str, Any]], name: str) -> list:
    """Column ``name`` of a list of records or a :class:`TableRecords` (without making its records)."""
    if isinstance(rows, TableRecords):
        return rows.column(name)
    return [r.get(name) for r in rows]


def orjson_default(o: Any) -> Any:
    """``default`` for ``orjson.dumps`` of a document holding :class:`TableRecords`; anything else unknown as text."""
    if isinstance(o, TableRecords):
        return orjson.Fragment(o.to_json())
    return str(o)


def write_json(items: Iterable[tuple[str, Any]], fh: BinaryIO, *, end: bytes = b"\n}\n") -> None:
    """Write ``{key: value, …}`` to the binary file ``fh``, a DataFrame value as a list of records.

    ``items`` are (key, value) pairs in output order; a DataFrame is written
    as records (Python scalars, ISO dates, null for missing values), an
    :class:`Object` as a nested object of its own items, anything else as
    its JSON value.
    """
    fh.write(b"{")
    first = True
    for key, value in items:
        fh.write(b"\n" if first else b",\n")
        first = False
        fh.write(orjson.dumps(str(key)) + b": ")
        if isinstance(value, Object):
            write_json(value, fh, end=b"\n}")
        elif isinstance(value, pd.DataFrame):
            _write_table(value, fh)
        else:
            fh.write(dumps_value(value))
    fh.write(end if not first else b"}" + end[2:])
