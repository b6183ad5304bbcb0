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
