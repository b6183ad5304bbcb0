"""Errors of the policies package: what a caller asked for that the policy does not allow.

No web types here; ``hub/errors.py`` maps these to HTTP problems in one place (most are
403 or 400). Policy *files* that fail to load raise ``connectors.errors.DocumentError``
instead, because that error already carries every problem with its line.
"""

from __future__ import annotations

from collections.abc import Iterable


def _listing(names: Iterable[str]) -> str:
    listed = ", ".join(sorted(names))
    return listed or "(none)"


class PoliciesError(Exception):
    """Base of every error this package raises."""


class Denied(PoliciesError):
    """The decision was a denial and the caller tried to use it as if it allowed access."""

    def __init__(self, reason: str, code: str):
        self.reason = reason
        self.code = code
        super().__init__(reason)


class UnknownField(PoliciesError):
    """A field name that the dataset does not have at all (usually a typo)."""

    def __init__(self, field: str, known: Iterable[str]):
        self.field = field
        self.known = sorted(known)
        super().__init__(
            f"the dataset has no field {field!r}; its fields are: {_listing(self.known)}"
        )


class FieldNotPermitted(PoliciesError):
    """The field exists but the matching rule does not let this caller see it."""

    def __init__(self, field: str, visible: Iterable[str]):
        self.field = field
        self.visible = sorted(visible)
        super().__init__(
            f"field {field!r} is not visible to you under the matching rule; fields you may "
            f"request: {_listing(self.visible)}. Ask the owning agency's steward to extend "
            "the policy (POST /v1/access-requests) if you need it."
        )


class FilterNotPermitted(PoliciesError):
    """An equality filter on a field the caller may not see unaltered.

    Filtering on a dropped, masked or pseudonymized field would let a caller probe hidden
    values one guess at a time, so only ``keep`` fields can be filtered on.
    """

    def __init__(self, field: str, filterable: Iterable[str], *, visible: bool):
        self.field = field
        self.filterable = sorted(filterable)
        why = (
            "is visible to you only in treated form (masked, generalized, ...)"
            if visible
            else "is not visible to you"
        )
        super().__init__(
            f"cannot filter on {field!r}: it {why}, and filtering on it would reveal hidden "
            f"values. Fields you may filter on: {_listing(self.filterable)}"
        )


class TreatmentError(PoliciesError):
    """A treatment cannot be applied (bad context, unknown kind, broken redactor).

    Raised instead of returning data: a treatment that cannot run must never let the
    untreated value through.
    """


class UnknownTreatment(TreatmentError):
    def __init__(self, kind: str, known: Iterable[str]):
        self.kind = kind
        super().__init__(f"unknown treatment {kind!r}; use one of: {_listing(known)}")
