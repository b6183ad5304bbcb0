"""Agencies, datasets, their versions and quarantined rows.

A dataset's rows live in one typed table per version (see ``tables.py``); the
``datasets.current_version_id`` pointer is what readers follow, and it moves only when a
version is complete, in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime, utcnow


class VersionStatus(StrEnum):
    loading = "loading"
    ready = "ready"  # the current version, or a previous one kept for open cursors
    failed = "failed"
    retired = "retired"  # superseded and its table dropped


class Agency(Base):
    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dataset(Base):
    __tablename__ = "datasets"

    pk: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(sa.String(63), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    agency_code: Mapped[str] = mapped_column(sa.ForeignKey("agencies.code"), index=True)
    classification: Mapped[str] = mapped_column(sa.String(20))
    primary_key: Mapped[str] = mapped_column(sa.String(63))
    descriptor: Mapped[dict[str, Any]]
    #: relative source paths resolve against this folder (the descriptor's, or uploads/)
    source_base: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: "api" registrations may only read files under the uploads folder
    registered_via: Mapped[str] = mapped_column(sa.String(10), default="cli")
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dataset_versions.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (sa.UniqueConstraint("dataset_pk", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("datasets.pk", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), default=VersionStatus.loading)
    table_name: Mapped[str] = mapped_column(sa.String(63))
    #: the fields as they were at ingest; the table's columns follow them
    fields: Mapped[list[Any]]
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuarantinedRow(Base):
    __tablename__ = "quarantined_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    values: Mapped[dict[str, Any]]
