"""Serializing treated records as JSON, NDJSON or CSV (streamed, batch by batch)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import orjson

#: cells a spreadsheet would run as a formula (OWASP CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _default(value: Any) -> Any:
    # dates and datetimes orjson writes itself, in ISO 8601 as isoformat() does
    return str(value)  # Decimal, UUID-likes: their text, never a lossy float


#: keys that are not text (counts keyed by a number) become text, as json.dumps does
_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII as is, not escaped)."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def ndjson(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    line = _OPTIONS | orjson.OPT_APPEND_NEWLINE
    for batch in batches:
        yield b"".join([orjson.dumps(r, default=_default, option=line) for r in batch])


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_stream(fields: Sequence[str], batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    # BOM: spreadsheet programs then read the Vietnamese text as UTF-8
    yield ("\ufeff" + buffer.getvalue()).encode()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_cell(r.get(f)) for f in fields] for r in batch)
        yield buffer.getvalue().encode()
