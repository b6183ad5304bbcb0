"""Serializing treated records as JSON, NDJSON or CSV (streamed, batch by batch)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

#: cells a spreadsheet would run as a formula (OWASP CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_default, separators=(",", ":"))


def ndjson(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    for batch in batches:
        yield "".join(dumps(r) + "\n" for r in batch).encode()


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
