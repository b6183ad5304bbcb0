"""Publications of de-identified open data (local catalog or CKAN)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime, utcnow


class Publication(Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: kept as text so the history survives the dataset's deletion
    dataset_id: Mapped[str] = mapped_column(sa.String(63), index=True)
    dataset_version: Mapped[int]
    target: Mapped[str] = mapped_column(sa.String(20))  # "ckan" | "local"
    #: running, published, failed
    status: Mapped[str] = mapped_column(sa.String(20), default="running")
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    #: the de-identified rows served by /v1/open (a table like the dataset versions)
    table_name: Mapped[str | None] = mapped_column(sa.String(63))
    rows: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
    k: Mapped[int | None]
    report: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(sa.Text)
    published_by: Mapped[str] = mapped_column(sa.String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
