"""Typed audit events: one class per thing that happens (SPEC "Audit").

Every request that reads data or changes state appends exactly one of these (a streamed
export appends one per batch, before the batch leaves the server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class AuditEvent:
    name: ClassVar[str] = "event"

    principal: str | None
    agency: str | None
    request_id: str | None = None
    dataset: str | None = None
    purpose: str | None = None
    fields: tuple[str, ...] = ()
    row_count: int = 0
    decision: str = "allow"
    rule_id: str | None = None
    policy_version: int | None = None
    record_keys: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordsRead(AuditEvent):
    name: ClassVar[str] = "records.read"


@dataclass(frozen=True)
class AccessDenied(AuditEvent):
    name: ClassVar[str] = "access.denied"


@dataclass(frozen=True)
class DatasetRegistered(AuditEvent):
    name: ClassVar[str] = "dataset.registered"


@dataclass(frozen=True)
class DatasetUpdated(AuditEvent):
    name: ClassVar[str] = "dataset.updated"


@dataclass(frozen=True)
class DatasetDeleted(AuditEvent):
    name: ClassVar[str] = "dataset.deleted"


@dataclass(frozen=True)
class DatasetIngested(AuditEvent):
    name: ClassVar[str] = "dataset.ingested"


@dataclass(frozen=True)
class IngestFailed(AuditEvent):
    name: ClassVar[str] = "dataset.ingest_failed"


@dataclass(frozen=True)
class PolicyApplied(AuditEvent):
    name: ClassVar[str] = "policy.applied"


@dataclass(frozen=True)
class PolicyExplained(AuditEvent):
    """An explain answer: it reads no records but reveals how the policy treats someone."""

    name: ClassVar[str] = "policy.explained"


@dataclass(frozen=True)
class AccessRequested(AuditEvent):
    name: ClassVar[str] = "access.requested"


@dataclass(frozen=True)
class AccessApproved(AuditEvent):
    """A steward approved a request: ``rule_id`` is the grant (``grant-<id>``) it created."""

    name: ClassVar[str] = "access.approved"


@dataclass(frozen=True)
class AccessRejected(AuditEvent):
    name: ClassVar[str] = "access.rejected"


@dataclass(frozen=True)
class TokenIssued(AuditEvent):
    name: ClassVar[str] = "token.issued"


@dataclass(frozen=True)
class ClientRegistered(AuditEvent):
    name: ClassVar[str] = "client.registered"


@dataclass(frozen=True)
class AuditRead(AuditEvent):
    name: ClassVar[str] = "audit.read"


@dataclass(frozen=True)
class DatasetClassified(AuditEvent):
    name: ClassVar[str] = "dataset.classified"


@dataclass(frozen=True)
class DatasetPublished(AuditEvent):
    """A de-identified version went out: ``detail`` has the target, URL, k and the run id."""

    name: ClassVar[str] = "dataset.published"


@dataclass(frozen=True)
class PublicationFailed(AuditEvent):
    """A publication that read the data stopped (refused, failed or abandoned)."""

    name: ClassVar[str] = "dataset.publication_failed"


@dataclass(frozen=True)
class PublicationPreviewed(AuditEvent):
    """A dry run: every row was read and de-identified, nothing was written."""

    name: ClassVar[str] = "dataset.publication_previewed"
