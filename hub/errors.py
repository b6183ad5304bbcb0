"""The hub's errors, and the one place where every error becomes HTTP.

Services raise ``HubError`` subclasses or the libraries' own errors; ``problem_for`` turns
any of them into an RFC 9457 ``application/problem+json`` body by walking the exception's
class hierarchy through ``_LIBRARY_ERRORS`` (most specific class wins), the way Starlette
looks up exception handlers. Unknown exceptions are 500 with no detail leaked.
The CLI uses the same lookup to print one clear line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors import errors as connector_errors
from policies import errors as policy_errors

PROBLEM_BASE = "https://civichub.dev/problems/"


class HubError(Exception):
    status: int = 500
    slug: str = "internal"
    title: str = "Internal error"

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


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


class Unavailable(HubError):
    status, slug, title = 503, "unavailable", "Service unavailable"


class AuditUnavailable(Unavailable):
    slug, title = "audit-unavailable", "Audit log unavailable"


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
}


def register_library_error(cls: type[BaseException], status: int, slug: str, title: str) -> None:
    """Map another library's error class; called once while wiring the app."""
    _LIBRARY_ERRORS[cls] = (status, slug, title)


def handled_errors() -> tuple[type[BaseException], ...]:
    return (HubError, *_LIBRARY_ERRORS)


def problem_for(exc: BaseException) -> Problem:
    if isinstance(exc, HubError):
        return Problem(exc.status, exc.slug, exc.title, exc.detail, dict(exc.extra))
    for cls in type(exc).__mro__:
        mapped = _LIBRARY_ERRORS.get(cls)
        if mapped:
            status, slug, title = mapped
            extra = (
                _document_problems(exc) if isinstance(exc, connector_errors.DocumentError) else {}
            )
            return Problem(status, slug, title, str(exc), extra)
    return Problem(500, "internal", "Internal error", "an unexpected error occurred; see logs")
