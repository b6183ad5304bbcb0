"""Value-level helpers of the treatment operators: masking, dates, buckets, age bands.

Pure functions of one value (the operators map them over columns). Whatever they cannot
read becomes ``<UNKNOWN>``: a generalization never returns the raw value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

UNKNOWN = "<UNKNOWN>"
AGE_BAND_TOP = 90  # 90 and over share one band: very old ages are rare, hence identifying


def mask_text(text: str, keep_first: int, keep_last: int, char: str) -> str:
    """Hide the middle; if the kept ends would cover everything, still hide at least half.

    The kept budget is then shared between the ends in the configured proportion, so a
    mask never returns a fully visible value.
    """
    n = len(text)
    if keep_first + keep_last >= n:
        visible = n // 2
        keep_first = visible * keep_first // (keep_first + keep_last) if visible else 0
        keep_last = visible - keep_first
    return text[:keep_first] + char * (n - keep_first - keep_last) + text[n - keep_last :]


def as_date(value: Any) -> date | None:
    """A date from a date, a datetime or an ISO string (``1990-05-17``, ``1990-05-17T08:00``)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def age_on(born: date, today: date) -> int:
    """Completed years; someone born on 29 February turns a year older on 1 March."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_band(value: Any, today: date) -> str:
    """``30-39`` style ten-year bands, ``90+`` at the top, from a birth date or an age."""
    if isinstance(value, bool):
        return UNKNOWN
    if isinstance(value, int):
        age: int | None = value
    elif isinstance(value, str) and value.strip().isdigit():
        age = int(value.strip())
    else:
        born = as_date(value)
        age = None if born is None else age_on(born, today)
    if age is None or age < 0:
        return UNKNOWN  # no age, or born in the future: a data error, not a band
    if age >= AGE_BAND_TOP:
        return f"{AGE_BAND_TOP}+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number: int | float = value
    elif isinstance(value, str | Decimal):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def bucket(width: int | float, *, as_integers: bool) -> Callable[[Any], str]:
    """A function mapping a number to its bucket: ``40-49`` (integers), ``[40.0, 50.0)``."""
    if as_integers and isinstance(width, int):

        def integer_bucket(value: Any) -> str:
            number = _number(value)
            if number is None or number != int(number):
                return UNKNOWN
            low = int(number) // width * width
            return f"{low}-{low + width - 1}"

        return integer_bucket
    if isinstance(width, int):
        # Whole widths: floor(x) falls in the same bucket as x, and integers are exact.
        def whole_bucket(value: Any) -> str:
            number = _number(value)
            if number is None:
                return UNKNOWN
            low = math.floor(number) // width * width
            return f"[{low}.0, {low + width}.0)"

        return whole_bucket
    # Decimal, not float: 0.3 / 0.1 is 2.999... in floats and would land one bucket low.
    step = Decimal(str(width))
    exponent = step.as_tuple().exponent
    decimals = max(1, -exponent if isinstance(exponent, int) else 1)

    def number_bucket(value: Any) -> str:
        number = _number(value)
        if number is None:
            return UNKNOWN
        low = (Decimal(repr(number)) / step).to_integral_value(rounding=ROUND_FLOOR) * step
        return f"[{low:.{decimals}f}, {low + step:.{decimals}f})"

    return number_bucket
