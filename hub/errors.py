"""The hub's errors, and the one place where every error becomes HTTP.

Services raise ``HubError`` subclasses or the libraries' own errors; ``problem_for`` turns
any of them into an RFC 9457 ``application/problem+json`` body by walking the exception's
class hierarchy through ``_LIBRARY_ERRORS`` (most specific class wins), the way Starlette
looks up exception handlers. Unknown exceptions are 500 with no detail leaked.
The CLI uses the same lookup to print one clear line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from anonymizer import errors as anonymizer_errors
from catalog import ckan_errors
from catalog import errors as catalog_errors
from connectors import errors as connector_errors
from policies import errors as policy_errors

PROBLEM_BASE = "https://civichub.dev/problems/"


class HubError(Exception):
    status: int = 500
    slug: str = "internal"
    title: str = "Internal error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        #: response headers the problem carries (e.g. ``Retry-After``)
        self.headers = dict(headers or {})


class BadRequest(HubError):
    status, slug, title = 400, "bad-request", "Bad request"


class PurposeRequired(BadRequest):
    slug, title = "purpose-required", "Declare a purpose"


class Unauthorized(HubError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(HubError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(HubError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(HubError):
    status, slug, title = 409, "conflict", "Conflict"


class Gone(HubError):
    status, slug, title = 410, "gone", "No longer available"


class PayloadTooLarge(HubError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class Invalid(HubError):
    status, slug, title = 422, "invalid", "Invalid input"


class TooManyRequests(HubError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, *, retry_after: float | None = None, **extra: Any):
        headers = None
        if retry_after is not None:
            headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}
        super().__init__(detail, headers=headers, **extra)


class HeadersTooLarge(HubError):
    status, slug, title = 431, "headers-too-large", "Request headers too large"


class Unavailable(HubError):
    status, slug, title = 503, "unavailable", "Service unavailable"


class AuditUnavailable(Unavailable):
    slug, title = "audit-unavailable", "Audit log unavailable"


class QueryTimeout(Unavailable):
    slug, title = "query-timeout", "Query took too long"


@dataclass(frozen=True)
class Problem:
    status: int
    slug: str
    title: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            out["instance"] = instance
        out.update(self.extra)
        return out


def _document_problems(exc: connector_errors.DocumentError) -> dict[str, Any]:
    return {
        "errors": [{"path": p.where(), "line": p.line, "message": p.message} for p in exc.problems]
    }


# library error class -> (status, slug, title); looked up along the MRO
_LIBRARY_ERRORS: dict[type[BaseException], tuple[int, str, str]] = {
    connector_errors.DocumentError: (422, "invalid-document", "Invalid document"),
    connector_errors.SecretDatasetRefused: (422, "secret-refused", "State secrets are refused"),
    connector_errors.UnknownConnector: (422, "unknown-connector", "Unknown connector"),
    connector_errors.SourceError: (422, "source-error", "Source cannot be read"),
    connector_errors.ConnectorsError: (422, "connector-error", "Connector error"),
    policy_errors.UnknownField: (400, "unknown-field", "Unknown field"),
    policy_errors.FieldNotPermitted: (403, "field-not-permitted", "Field not visible to you"),
    policy_errors.FilterNotPermitted: (403, "filter-not-permitted", "Filter not allowed"),
    policy_errors.Denied: (403, "forbidden", "Not allowed"),
    # a treatment that cannot run must stop the response, never pass data through
    policy_errors.TreatmentError: (500, "treatment-failed", "Masking failed"),
    policy_errors.PoliciesError: (400, "policy-error", "Policy error"),
    anonymizer_errors.TextTooLong: (413, "text-too-long", "Text too long"),
    anonymizer_errors.UnsupportedLanguage: (400, "unsupported-language", "Unsupported language"),
    anonymizer_errors.EngineUnavailable: (503, "pii-engine-unavailable", "PII engine unavailable"),
    anonymizer_errors.AnonymizerError: (500, "pii-error", "PII analysis failed"),
    # open data publishing (catalog/): what to change is in the detail
    catalog_errors.QuasiIdentifierError: (422, "bad-quasi-identifier", "Bad quasi-identifier"),
    catalog_errors.NotPublishable: (422, "not-publishable", "Not publishable as open data"),
    catalog_errors.EmptyDataset: (409, "dataset-empty", "Dataset has no data"),
    catalog_errors.KUnreachable: (422, "k-unreachable", "k cannot be reached"),
    catalog_errors.LDiversityUnreachable: (422, "l-unreachable", "l-diversity cannot be reached"),
    catalog_errors.ResidualPii: (422, "residual-pii", "Personal data left after de-identification"),
    catalog_errors.OutputCheckFailed: (409, "data-changed", "Data changed while publishing"),
    catalog_errors.PackageError: (500, "catalog-write-failed", "Local catalog not written"),
    ckan_errors.CkanConfigurationError: (503, "ckan-misconfigured", "CKAN misconfigured"),
    ckan_errors.CkanInvalidPublication: (422, "ckan-invalid", "Publication refused before CKAN"),
    ckan_errors.CkanNotAuthorized: (502, "ckan-not-authorized", "CKAN refused the hub's token"),
    ckan_errors.CkanRejected: (422, "ckan-rejected", "CKAN rejected the publication"),
    ckan_errors.CkanUnreachable: (502, "ckan-unreachable", "CKAN unreachable"),
    ckan_errors.CkanServerError: (502, "ckan-server-error", "CKAN failed"),
    ckan_errors.CkanIncompatible: (502, "ckan-incompatible", "Not a usable CKAN"),
    ckan_errors.CkanError: (502, "ckan-error", "CKAN error"),
    catalog_errors.CatalogError: (500, "catalog-error", "Publication failed"),
}


def _database_lost(exc: BaseException) -> bool:
    """The database went away (restart, failover, network) rather than refused a statement:
    a connection the failure invalidated, or one that could not be opened. Retrying later
    is the answer (503), not a bug report (500)."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    opening = isinstance(exc, sa.exc.OperationalError) and exc.statement is None
    return exc.connection_invalidated or opening


def register_library_error(cls: type[BaseException], status: int, slug: str, title: str) -> None:
    """Map another library's error class; called once while wiring the app."""
    _LIBRARY_ERRORS[cls] = (status, slug, title)


def handled_errors() -> tuple[type[BaseException], ...]:
    return (HubError, *_LIBRARY_ERRORS)


def problem_for(exc: BaseException) -> Problem:
    if isinstance(exc, HubError):
        return Problem(exc.status, exc.slug, exc.title, exc.detail, dict(exc.extra))
    if _database_lost(exc):
        # a fixed detail: the driver's message names hosts and carries SQL
        return Problem(
            503,
            "database-unavailable",
            "Database unavailable",
            "the hub cannot reach the database right now (it restarted, or the connection "
            "dropped); try again shortly",
        )
    for cls in type(exc).__mro__:
        mapped = _LIBRARY_ERRORS.get(cls)
        if mapped:
            status, slug, title = mapped
            extra = (
                _document_problems(exc) if isinstance(exc, connector_errors.DocumentError) else {}
            )
            return Problem(status, slug, title, str(exc), extra)
    return Problem(500, "internal", "Internal error", "an unexpected error occurred; see logs")
