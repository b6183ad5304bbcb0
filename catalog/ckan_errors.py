"""Errors of the CKAN publisher (``catalog/ckan.py``).

No web types here; ``hub/errors.py`` maps them to HTTP problems in one place. Every
message says what to fix. ``CkanError`` is meant to sit under the catalog package's
``CatalogError`` (catalog/errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.errors import CatalogError


class CkanError(CatalogError):
    """Base of every error the CKAN publisher raises."""


class CkanConfigurationError(CkanError):
    """The CKAN URL or token the hub was given cannot be used (checked before any request)."""


class CkanInvalidPublication(CkanError):
    """What the caller asked to publish is inconsistent (bad field type, rows not matching)."""


class CkanUnreachable(CkanError):
    """No answer from CKAN: connection refused, DNS failure, timeout, 502/503/504."""


class CkanServerError(CkanError):
    """CKAN answered with an internal error (HTTP 500): the cause is in CKAN's log."""


class CkanIncompatible(CkanError):
    """Something answered that is not a CKAN with the DataStore (or not this API version)."""


class CkanRejected(CkanError):
    """CKAN refused a request; ``errors`` holds its field -> messages answer."""

    def __init__(self, message: str, *, action: str, errors: Mapping[str, Any] | None = None):
        self.action = action
        self.errors = dict(errors or {})
        super().__init__(message)

    @staticmethod
    def describe(errors: Mapping[str, Any]) -> str:
        """``field: message; other: message`` from CKAN's validation error dict."""
        parts = []
        for field, problem in errors.items():
            if field.startswith("__") or field == "records_row":
                continue
            if isinstance(problem, list):
                problem = "; ".join(_flatten(problem))
            elif isinstance(problem, dict):
                problem = "; ".join(f"{k}: {v}" for k, v in problem.items())
            parts.append(f"{field}: {problem}")
        return ", ".join(parts) or "no details given"


class CkanNotAuthorized(CkanRejected):
    """The API token is missing, wrong, or its user may not do this."""


def _flatten(items: list[Any]) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            out.extend(f"{k}: {v}" for k, v in item.items() if v)
        elif isinstance(item, list):
            out.extend(_flatten(item))
        elif item:
            out.append(str(item))
    return out
