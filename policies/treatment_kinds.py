"""Treatments as typed values: what a policy says to do with a field, not how it is done.

``keep``, ``drop``, ``redact``, ``redact_pii``, ``pseudonymize``, ``{mask: {...}}`` and
``{generalize: ...}`` each parse into a small frozen dataclass. How a treatment is applied
to data lives in ``policies.treatments`` (operators); this module only knows the spelling,
the options and which field types a treatment fits, so the policy loader can check a file
without importing the operators.

A third party adds a kind by subclassing ``Treatment`` and decorating it with
``@register_kind``, exactly as the built-ins below do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.descriptor import FieldType

_KINDS: dict[str, type[Treatment]] = {}

DATES = frozenset({FieldType.date, FieldType.datetime})
NUMBERS = frozenset({FieldType.integer, FieldType.number})
TEXTS = frozenset({FieldType.string, FieldType.text})


def register_kind(cls: type[Treatment]) -> type[Treatment]:
    """Make ``cls.kind`` a treatment name that policy files may use."""
    existing = _KINDS.get(cls.kind)
    if existing is not None and existing is not cls:
        raise ValueError(f"treatment kind {cls.kind!r} is already registered by {existing}")
    _KINDS[cls.kind] = cls
    return cls


def known_kinds() -> list[str]:
    return sorted(_KINDS)


@dataclass(frozen=True)
class Treatment:
    """Base of every treatment value. Subclasses set ``kind`` and, if picky, ``FITS``."""

    kind: ClassVar[str] = ""
    #: field types this treatment fits; None means every type
    FITS: ClassVar[frozenset[FieldType] | None] = None

    @classmethod
    def from_arg(cls, arg: Any) -> Treatment:
        """Build from what follows the name: None for ``keep``, the value for ``{mask: ...}``."""
        if arg not in (None, {}):
            raise ValueError(f"treatment {cls.kind!r} takes no options")
        return cls()

    def to_spec(self) -> str | dict[str, Any]:
        """The policy-file spelling; ``parse_treatment(t.to_spec()) == t``."""
        return self.kind

    @property
    def fits_types(self) -> frozenset[FieldType] | None:
        return self.FITS

    def fits(self, field_type: FieldType) -> bool:
        return self.fits_types is None or field_type in self.fits_types

    def describe(self) -> str:
        """A short human phrase for explain answers and error messages."""
        return self.kind

    def label(self) -> str:
        """The treatment as a steward writes it, short: ``mask``, ``generalize: year``."""
        return self.kind


def parse_treatment(value: Any) -> Treatment:
    """``"keep"`` or a one-key mapping such as ``{"mask": {"keep_last": 3}}``."""
    if isinstance(value, Treatment):
        return value
    if isinstance(value, str):
        name, arg = value.strip(), None
    elif isinstance(value, Mapping) and len(value) == 1:
        ((name, arg),) = value.items()
    else:
        raise ValueError(
            "a treatment is a name (keep, drop, redact, redact_pii, pseudonymize) or a "
            "one-key mapping such as {mask: {keep_last: 3}} or {generalize: year}"
        )
    cls = _KINDS.get(str(name))
    if cls is None:
        raise ValueError(f"unknown treatment {name!r}; use one of: {', '.join(known_kinds())}")
    return cls.from_arg(arg)


@register_kind
@dataclass(frozen=True)
class Keep(Treatment):
    kind: ClassVar[str] = "keep"

    def describe(self) -> str:
        return "returned as stored"


@register_kind
@dataclass(frozen=True)
class Drop(Treatment):
    kind: ClassVar[str] = "drop"

    def describe(self) -> str:
        return "not returned"


@register_kind
@dataclass(frozen=True)
class Redact(Treatment):
    kind: ClassVar[str] = "redact"

    def describe(self) -> str:
        return "replaced by its PII type, e.g. <PHONE_NUMBER>"


@register_kind
@dataclass(frozen=True)
class RedactPii(Treatment):
    kind: ClassVar[str] = "redact_pii"
    FITS: ClassVar[frozenset[FieldType] | None] = TEXTS

    def describe(self) -> str:
        return "free text with personal data found by the PII analyzer replaced"


@register_kind
@dataclass(frozen=True)
class Pseudonymize(Treatment):
    kind: ClassVar[str] = "pseudonymize"

    def describe(self) -> str:
        return "replaced by a keyed pseudonym (same value, same pseudonym)"


@register_kind
@dataclass(frozen=True)
class Mask(Treatment):
    kind: ClassVar[str] = "mask"
    FITS: ClassVar[frozenset[FieldType] | None] = frozenset({FieldType.string, FieldType.integer})

    keep_first: int = 0
    keep_last: int = 0
    char: str = "*"

    @classmethod
    def from_arg(cls, arg: Any) -> Mask:
        if arg is None:
            return cls()
        if not isinstance(arg, Mapping):
            raise ValueError("mask options are a mapping: {keep_first: N, keep_last: N, char: *}")
        unknown = sorted(set(arg) - {"keep_first", "keep_last", "char"})
        if unknown:
            raise ValueError(f"unknown mask option {unknown[0]!r}; use keep_first, keep_last, char")
        first, last = arg.get("keep_first", 0), arg.get("keep_last", 0)
        for name, n in (("keep_first", first), ("keep_last", last)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"mask {name} must be a whole number >= 0, not {n!r}")
        char = arg.get("char", "*")
        if not isinstance(char, str) or len(char) != 1:
            raise ValueError(f"mask char must be exactly one character, not {char!r}")
        return cls(first, last, char)

    def to_spec(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"keep_first": self.keep_first, "keep_last": self.keep_last}
        if self.char != "*":
            opts["char"] = self.char
        return {"mask": {k: v for k, v in opts.items() if v != 0}}

    def describe(self) -> str:
        return (
            f"masked with {self.char!r}, keeping the first {self.keep_first} and the last "
            f"{self.keep_last} characters"
        )


#: ``generalize`` levels that are names; any positive number is a bucket width instead.
LEVEL_FITS: dict[str, frozenset[FieldType]] = {
    "year": DATES,
    "month": DATES,
    "age_band": DATES | {FieldType.integer},
    "ward": TEXTS,
    "province": TEXTS,
    "district": TEXTS,
}


@register_kind
@dataclass(frozen=True)
class Generalize(Treatment):
    kind: ClassVar[str] = "generalize"

    to: str | int | float

    @classmethod
    def from_arg(cls, arg: Any) -> Generalize:
        if isinstance(arg, str) and arg.strip() in LEVEL_FITS:
            return cls(arg.strip())
        if isinstance(arg, int | float) and not isinstance(arg, bool) and 0 < arg < float("inf"):
            return cls(arg)
        raise ValueError(
            f"generalize takes one of {', '.join(LEVEL_FITS)} or a positive number "
            f"(bucket width), not {arg!r}"
        )

    @property
    def width(self) -> int | float | None:
        return None if isinstance(self.to, str) else self.to

    @property
    def fits_types(self) -> frozenset[FieldType]:
        return NUMBERS if self.width is not None else LEVEL_FITS[str(self.to)]

    def to_spec(self) -> dict[str, Any]:
        return {"generalize": self.to}

    def label(self) -> str:
        return f"generalize: {self.to}"

    def describe(self) -> str:
        if self.width is not None:
            return f"generalized to buckets of width {self.to}"
        return f"generalized to {str(self.to).replace('_', ' ')}"


#: the built-in kinds as one closed union, for exhaustive matching
BuiltinTreatment = Keep | Drop | Redact | RedactPii | Pseudonymize | Mask | Generalize
