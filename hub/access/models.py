"""Applied policies, one row per version (the newest is in force)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

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
