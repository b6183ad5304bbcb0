"""Applied policies, one row per version (the newest is in force)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.datasets.models import Dataset
from hub.db import Base, UTCDateTime, utcnow


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (sa.UniqueConstraint("dataset_pk", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("datasets.pk", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    document: Mapped[dict[str, Any]]
    applied_by: Mapped[str] = mapped_column(sa.String(200))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class AccessRequest(Base):
    """An officer's request for time-bound access; approval creates a grant rule.

    The lifecycle is in ``hub.access.requests``: pending, then approved (``grant`` and
    ``expires_at`` set) or rejected (``decision_reason`` set); a decided request never
    changes again.
    """

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("datasets.pk", ondelete="CASCADE"), index=True
    )
    requester: Mapped[str] = mapped_column(sa.String(200))
    requester_agency: Mapped[str] = mapped_column(sa.String(63))
    requester_roles: Mapped[list[Any]]
    purpose: Mapped[str] = mapped_column(sa.String(100))
    fields: Mapped[list[Any]]
    justification: Mapped[str] = mapped_column(sa.Text)
    days: Mapped[int]
    #: pending, approved, rejected
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the rule (policy-file shape) an approval grants; read as an extra rule until expiry
    grant: Mapped[dict[str, Any] | None]
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    #: the requested dataset, loaded with the request (every answer names its id)
    dataset: Mapped[Dataset] = relationship(lazy="joined", innerjoin=True)
