"""The append-only, hash-chained audit log (SPEC "Audit")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(sa.String(60))
    principal: Mapped[str | None] = mapped_column(sa.String(200))
    agency: Mapped[str | None] = mapped_column(sa.String(63))
    purpose: Mapped[str | None] = mapped_column(sa.String(100))
    dataset: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    fields: Mapped[list[Any]]
    row_count: Mapped[int] = mapped_column(default=0)
    decision: Mapped[str] = mapped_column(sa.String(10))
    rule_id: Mapped[str | None] = mapped_column(sa.String(100))
    policy_version: Mapped[int | None]
    request_id: Mapped[str | None] = mapped_column(sa.String(100))
    record_keys: Mapped[list[Any]]
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement "entry <seq> has hash <hash>": rewriting or cutting the chain
    before a checkpoint no longer verifies, even if every hash after it was recomputed."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kid: Mapped[str] = mapped_column(sa.String(128))
    signature: Mapped[str] = mapped_column(sa.Text)


class AuditSubject(Base):
    """Which record keys an entry returned, indexed: the citizen's access log reads this."""

    __tablename__ = "audit_subjects"

    seq: Mapped[int] = mapped_column(
        sa.ForeignKey("audit_log.seq", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(sa.String(100), primary_key=True, index=True)
