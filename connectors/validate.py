"""Turn raw rows into typed records, or into rejections that say what to fix.

Each field gets one coercer function, chosen once from its type; validating a row is a
loop over those functions. Coercers return the typed value (None for null) or raise
``_Invalid`` with the part of the reason after the value, so the common case (a good
value) costs one call and no exception.

Nulls: a value that is None, or empty after stripping surrounding whitespace, is null
(``text`` keeps its whitespace, so only "" is null there). Strings are put in Unicode NFC
form, so text decoded from legacy encodings (cp1258 writes tones as combining marks)
compares equal to the same text typed in UTF-8.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import RawRow
from connectors.descriptor import FieldSpec, FieldType

#: naive date-times in agency data are local civil time
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_MAX_SHOWN = 60
_INT64 = 2**63 - 1

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DMY_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_DMY_DATETIME = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)
_BOOLEANS = {
    "true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
    "có": True, "không": False,
}  # fmt: skip

_ACCEPTS = {
    FieldType.string: "is not text",
    FieldType.text: "is not text",
    FieldType.integer: "is not a whole number (use digits only, e.g. 42)",
    FieldType.number: "is not a number (use digits with a dot for decimals, e.g. 12.5)",
    FieldType.boolean: "is not a yes/no value (use true/false, 1/0, yes/no or có/không)",
    FieldType.date: "is not a valid date (use YYYY-MM-DD or DD/MM/YYYY)",
    FieldType.datetime: (
        "is not a valid date and time (use ISO 8601, e.g. 2024-05-01T08:30:00+07:00, "
        "or DD/MM/YYYY HH:MM; without an offset it is Ho Chi Minh City time)"
    ),
}


class _Invalid(Exception):
    """A value a coercer refuses; the message is what follows the value in the reason."""


@dataclass(frozen=True, slots=True)
class Rejected:
    number: int
    reason: str
    values: dict[str, Any]


Coercer = Callable[[Any], Any]


class RowValidator:
    """Coerces rows to the descriptor's types; built once per ingest, reused per batch."""

    def __init__(self, fields: Sequence[FieldSpec], primary_key: str) -> None:
        names = [f.name for f in fields]
        if primary_key not in names:
            raise ValueError(f"primary key {primary_key!r} is not one of the fields")
        self._coercers: list[tuple[str, Coercer]] = [(f.name, coercer(f.type)) for f in fields]
        self._required: list[tuple[str, str]] = [
            (f.name, "is empty but it is the primary key" if f.name == primary_key else
             "is required but empty")
            for f in fields
            if f.required or f.name == primary_key
        ]  # fmt: skip

    def validate(self, rows: Sequence[RawRow]) -> tuple[list[dict[str, Any]], list[Rejected]]:
        good: list[dict[str, Any]] = []
        rejected: list[Rejected] = []
        coercers, required = self._coercers, self._required
        for row in rows:
            if row.error is not None:
                rejected.append(Rejected(row.number, row.error, dict(row.values)))
                continue
            values = row.values
            record: dict[str, Any] = {}
            problems: list[str] | None = None
            for name, coerce in coercers:
                try:
                    record[name] = coerce(values.get(name))
                except _Invalid as exc:
                    problems = problems or []
                    problems.append(f"{name}: {show(values.get(name))} {exc}")
            for name, message in required:
                if name in record and record[name] is None:
                    problems = problems or []
                    problems.append(f"{name}: {message}")
            if problems:
                rejected.append(Rejected(row.number, "; ".join(problems), dict(values)))
            else:
                good.append(record)
        return good, rejected


def show(value: Any) -> str:
    """The value as it appears in a reason: quoted, and cut so reasons stay readable."""
    if isinstance(value, str) and len(value) > _MAX_SHOWN:
        return repr(value[:_MAX_SHOWN] + "…")
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


class InvalidValue(ValueError):
    """One value that does not fit its field's type (for single values: URL filters)."""


def coerce_one(field: FieldSpec, value: Any) -> Any:
    """Type one value exactly as ingest would; the message reads like a rejection reason."""
    try:
        return coercer(field.type)(value)
    except _Invalid as exc:
        raise InvalidValue(f"{field.name}: {show(value)} {exc}") from None


def coercer(kind: FieldType) -> Coercer:
    """The function that types one value of a field of type ``kind``."""
    return _COERCERS[kind]


# -- coercers: each takes a raw value, returns the typed value or None, or raises -----


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _string(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        value = _as_text(value, FieldType.string)
    value = value.strip()
    return _nfc(value) if value else None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        value = _as_text(value, FieldType.text)
    return _nfc(value)


def _as_text(value: Any, kind: FieldType) -> str:
    # numbers and dates from SQL/JSON are fine as text; structures and booleans are not
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    raise _Invalid(_ACCEPTS[kind])


def _integer(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if not _INTEGER.fullmatch(text):
            raise _Invalid(_ACCEPTS[FieldType.integer])
        number = int(text)
    elif isinstance(value, bool):
        raise _Invalid(_ACCEPTS[FieldType.integer])
    elif isinstance(value, int):
        number = value
    elif isinstance(value, (float, Decimal)) and _finite(value) and value == int(value):
        number = int(value)  # 12.0 from JSON or a REAL column is still twelve
    else:
        raise _Invalid(_ACCEPTS[FieldType.integer])
    if -_INT64 - 1 <= number <= _INT64:
        return number
    raise _Invalid("is out of range for a whole number (at most 19 digits)")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if not _NUMBER.fullmatch(text):
            hint = " (use a dot, not a comma, for decimals)" if "," in text else ""
            raise _Invalid(_ACCEPTS[FieldType.number] + hint)
        number = float(text)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if not _finite(value):
            raise _Invalid("is not a finite number")
        number = float(value)
    else:
        raise _Invalid(_ACCEPTS[FieldType.number])
    if not math.isfinite(number):  # "1e999" and huge integers overflow to inf
        raise _Invalid("is not a finite number")
    return number


def _finite(value: float | Decimal | int) -> bool:
    # Decimal has its own test: math.isfinite refuses a signalling NaN with an error
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def _boolean(value: Any) -> bool | None:
    if value is None:
        return None
    if type(value) is bool:
        return value
    if type(value) is str:
        key = value.strip().casefold()
        if not key:
            return None
        found = _BOOLEANS.get(key)
        if found is None:
            found = _BOOLEANS.get(unicodedata.normalize("NFC", key))
        if found is not None:
            return found
    elif type(value) is int and value in (0, 1):
        return bool(value)
    raise _Invalid(_ACCEPTS[FieldType.boolean])


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        return _parse_date(text)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date()
        raise _Invalid("has a time of day, but the field is a date")
    if isinstance(value, date):
        return value
    raise _Invalid(_ACCEPTS[FieldType.date])


def _parse_date(text: str) -> date:
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = match.groups()
    else:
        match = _DMY_DATE.fullmatch(text)
        if not match:
            raise _Invalid(_ACCEPTS[FieldType.date])
        day, month, year = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # 31/02, month 13: the form is right, the day does not exist
        raise _Invalid(_ACCEPTS[FieldType.date]) from None


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        moment = _parse_datetime(text)
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    else:
        raise _Invalid(_ACCEPTS[FieldType.datetime])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 local is before year 1 in UTC
        raise _Invalid("is out of range (years 1 to 9999 in UTC)") from None


def _parse_datetime(text: str) -> datetime:
    match = _DMY_DATETIME.fullmatch(text)
    try:
        if match:
            day, month, year, hour, minute, second = match.groups()
            return datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
            )
        if not text[:4].isdigit():  # fromisoformat also takes forms nobody means
            raise ValueError(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(_ACCEPTS[FieldType.datetime]) from None


_COERCERS: dict[FieldType, Coercer] = {
    FieldType.string: _string,
    FieldType.text: _text,
    FieldType.integer: _integer,
    FieldType.number: _number,
    FieldType.boolean: _boolean,
    FieldType.date: _date,
    FieldType.datetime: _datetime,
}
