"""Generalization hierarchies: the ladder each quasi-identifier climbs towards ``*``.

Level 0 is the most precise label the open data may carry, the last level is ``*``
(the value withheld). Every level is a column function, the same kind
``policies.treatments`` compiles, and the month/year/ward/province/bucket levels *are*
the policy operators: a label the planner counts is byte for byte the label the
published file carries.

=========  ==========================================================  =================
kind       levels                                                      for
=========  ==========================================================  =================
date       day ``1990-05-17`` · month ``1990-05`` · year ``1990`` ·    date, datetime
           5-year band ``1990-1994`` · ``*``
geo        ward ``Phường Bến Thành, Thành phố Hồ Chí Minh`` ·          strings: PII
           province ``Thành phố Hồ Chí Minh`` · ``*`` (official units) LOCATION, or 90%
                                                                       of values places
number     value · buckets of width 1, 5, 10, 50, 100, ... · ``*``    integer, number
flat       value · ``*``                                               other strings,
                                                                       booleans
=========  ==========================================================  =================

Rules every level keeps: ``None`` stays ``None`` (missing is a value of its own) except
at ``*``, where every row reads ``*``; a value a ladder cannot read (a date that is not
one, an address on no official map) becomes ``<UNKNOWN>``, never the raw text. Only the
flat level 0 is the raw value, as text. Hierarchies are functional (a label at one level
fixes the label at every higher level), which is what makes k-anonymity monotone along
the lattice. ``hierarchy_for`` picks the kind; ``DeidOptions.hierarchies`` may override
it per field (e.g. ``{"ward": "geo"}`` for a column of unusual place spellings).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any, ClassVar

from catalog.errors import NotPublishable, QuasiIdentifierError
from connectors.descriptor import FieldSpec, FieldType, PiiType
from policies import geo
from policies.treatment_kinds import Generalize
from policies.treatment_values import UNKNOWN, as_date
from policies.treatments import TreatmentContext, operator_for

SUPPRESSED = "*"
#: a plain string column is read as places when this share of its distinct values are
GEO_SHARE = 0.9
GEO_PROBE = 2000  # distinct values looked at to decide
WIDTHS = (1, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000, 100_000, 500_000, 1_000_000)
#: PII types a quasi-identifier may carry: the ones a hierarchy generalizes away
QI_PII = frozenset({PiiType.DATE_OF_BIRTH, PiiType.LOCATION, PiiType.SENSITIVE})

LevelFn = Callable[[Sequence[Any]], list[Any]]


@dataclass(frozen=True)
class Hierarchy(ABC):
    """The levels of one quasi-identifier. Subclasses name them and compile each one."""

    field: str
    kind: ClassVar[str] = ""
    #: analyzer entity types that this column's labels are expected to trigger (official
    #: place names read as LOCATION): the residual gate tolerates them in these labels
    tolerated: ClassVar[frozenset[str]] = frozenset()

    @property
    @abstractmethod
    def levels(self) -> tuple[str, ...]:
        """Level names, most precise first, ``*`` last."""

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def column_fn(self, level: int, ctx: TreatmentContext) -> LevelFn:
        """The labels of a column at ``level`` (same length, same order)."""
        if not 0 <= level <= self.top:
            raise ValueError(f"{self.field!r} has levels 0..{self.top}, not {level}")
        if level == self.top:
            return lambda col: [SUPPRESSED] * len(col)
        return self._level_fn(level, ctx)

    @abstractmethod
    def _level_fn(self, level: int, ctx: TreatmentContext) -> LevelFn: ...

    def describe(self, level: int) -> dict[str, Any]:
        return {
            "hierarchy": self.kind,
            "level": level,
            "label": self.levels[level],
            "max_level": self.top,
        }


def _treatment_fn(treatment: Generalize, field: str, ctx: TreatmentContext) -> LevelFn:
    return operator_for(treatment.kind).compile(treatment, field, ctx)


def _each(one: Callable[[Any], Any]) -> LevelFn:
    return lambda col: [None if v is None else one(v) for v in col]


@dataclass(frozen=True)
class DateHierarchy(Hierarchy):
    kind: ClassVar[str] = "date"

    @property
    def levels(self) -> tuple[str, ...]:
        return ("day", "month", "year", "5-year", SUPPRESSED)

    def _level_fn(self, level: int, ctx: TreatmentContext) -> LevelFn:
        if level == 0:
            # a datetime's time of day would make nearly every row unique: days at most
            return _each(lambda v: _iso_day(as_date(v)))
        if level == 3:
            return _each(lambda v: _five_years(as_date(v)))
        return _treatment_fn(Generalize(self.levels[level]), self.field, ctx)


def _iso_day(day: Any) -> str:
    return UNKNOWN if day is None else day.isoformat()


def _five_years(day: Any) -> str:
    if day is None:
        return UNKNOWN
    low = day.year // 5 * 5
    return f"{low}-{low + 4}"


@dataclass(frozen=True)
class GeoHierarchy(Hierarchy):
    """Official 2025 units via ``policies.geo``: only names from the official data come out."""

    kind: ClassVar[str] = "geo"
    tolerated: ClassVar[frozenset[str]] = frozenset({"LOCATION"})

    @property
    def levels(self) -> tuple[str, ...]:
        return ("ward", "province", SUPPRESSED)

    def _level_fn(self, level: int, ctx: TreatmentContext) -> LevelFn:
        return _treatment_fn(Generalize(self.levels[level]), self.field, ctx)


@dataclass(frozen=True)
class NumberHierarchy(Hierarchy):
    kind: ClassVar[str] = "number"
    widths: tuple[int, ...] = ()

    @property
    def levels(self) -> tuple[str, ...]:
        return ("value", *(f"width {w}" for w in self.widths), SUPPRESSED)

    def _level_fn(self, level: int, ctx: TreatmentContext) -> LevelFn:
        if level == 0:
            return _each(_number_label)
        return _treatment_fn(Generalize(self.widths[level - 1]), self.field, ctx)

    @classmethod
    def fit(cls, field: str, field_type: FieldType, values: Sequence[Any]) -> NumberHierarchy:
        """Widths up to the first that puts every value in one bucket (that one is ``*``)."""
        numbers = [n for n in map(_as_number, values) if n is not None]
        if not numbers:
            return cls(field)
        low, high = min(numbers), max(numbers)
        # width 1 on integers is the value itself: not a level
        start = 1 if field_type is FieldType.integer else 0
        widths = [w for w in WIDTHS[start:] if low // w != high // w]
        return cls(field, tuple(widths))


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _number_label(value: Any) -> str:
    number = _as_number(value)
    if number is None:
        return UNKNOWN
    return str(int(number)) if number.is_integer() else repr(number)


@dataclass(frozen=True)
class FlatHierarchy(Hierarchy):
    """No ladder: the value as it is, or ``*``."""

    kind: ClassVar[str] = "flat"

    @property
    def levels(self) -> tuple[str, ...]:
        return ("value", SUPPRESSED)

    def _level_fn(self, level: int, ctx: TreatmentContext) -> LevelFn:
        return _each(_flat_label)


def _flat_label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


KINDS: Mapping[str, type[Hierarchy]] = {
    h.kind: h for h in (DateHierarchy, GeoHierarchy, NumberHierarchy, FlatHierarchy)
}
_FITS: Mapping[str, frozenset[FieldType]] = {
    "date": frozenset({FieldType.date, FieldType.datetime}),
    "geo": frozenset({FieldType.string}),
    "number": frozenset({FieldType.integer, FieldType.number}),
    "flat": frozenset(FieldType) - {FieldType.text},
}


def hierarchy_for(spec: FieldSpec, distinct: Sequence[Any], kind: str | None = None) -> Hierarchy:
    """The hierarchy of a quasi-identifier, from its type and PII (or the ``kind`` asked).

    ``distinct`` are the column's distinct values: numbers size their buckets from them,
    and a string column with no PII type is read as places when most of them are.
    """
    check_quasi_identifier(spec)
    kind = kind or _default_kind(spec, distinct)
    if kind not in KINDS:
        raise NotPublishable(
            f"unknown hierarchy {kind!r} for {spec.name!r}; use one of {', '.join(KINDS)}"
        )
    if spec.type not in _FITS[kind]:
        raise NotPublishable(f"hierarchy {kind!r} does not fit {spec.name!r} ({spec.type.value})")
    if kind == "number":
        return NumberHierarchy.fit(spec.name, spec.type, distinct)
    return KINDS[kind](spec.name)


def check_quasi_identifier(spec: FieldSpec) -> None:
    """Refuse a field that cannot be a quasi-identifier, naming it and saying why."""
    if spec.type is FieldType.text or spec.pii is PiiType.FREE_TEXT:
        raise QuasiIdentifierError(
            spec.name,
            "is free text: it has no generalization hierarchy and is never published "
            "(free text cannot be proven safe). Remove it from open_data.quasi_identifiers.",
        )
    if spec.pii is not None and spec.pii not in QI_PII:
        raise QuasiIdentifierError(
            spec.name,
            f"is a direct identifier ({spec.pii.value}): it is dropped or pseudonymized, "
            "never generalized. Remove it from open_data.quasi_identifiers.",
        )


def _default_kind(spec: FieldSpec, distinct: Sequence[Any]) -> str:
    if spec.type in (FieldType.date, FieldType.datetime):
        return "date"
    if spec.type in (FieldType.integer, FieldType.number):
        return "number"
    if spec.type is FieldType.string and (spec.pii is PiiType.LOCATION or _mostly_places(distinct)):
        return "geo"
    return "flat"


def _mostly_places(distinct: Sequence[Any]) -> bool:
    probe = list(islice((v for v in distinct if isinstance(v, str)), GEO_PROBE))
    if not probe:
        return False
    placed = sum(1 for v in probe if geo.place(v) is not None)
    return placed >= GEO_SHARE * len(probe)
