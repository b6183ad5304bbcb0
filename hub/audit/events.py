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
class TokenIssued(AuditEvent):
    name: ClassVar[str] = "token.issued"


@dataclass(frozen=True)
class ClientRegistered(AuditEvent):
    name: ClassVar[str] = "client.registered"


@dataclass(frozen=True)
class AuditRead(AuditEvent):
    name: ClassVar[str] = "audit.read"
