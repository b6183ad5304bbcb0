"""What the datasets API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hub.datasets.models import Dataset, DatasetVersion


class VersionRead(BaseModel):
    number: int
    status: str
    rows_written: int
    rows_rejected: int
    source: str
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, v: DatasetVersion) -> VersionRead:
        return cls(
            number=v.number,
            status=v.status,
            rows_written=v.rows_written,
            rows_rejected=v.rows_rejected,
            source=v.source,
            started_at=v.started_at,
            finished_at=v.finished_at,
        )


class DatasetRead(BaseModel):
    id: str = Field(examples=["population-registry"])
    title: str = Field(examples=["Population registry"])
    agency: str = Field(examples=["cong-an"])
    classification: str = Field(examples=["restricted"])
    primary_key: str = Field(examples=["citizen_id"])
    descriptor: dict[str, Any]
    current_version: VersionRead | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, d: Dataset, version: DatasetVersion | None) -> DatasetRead:
        return cls(
            id=d.id,
            title=d.title,
            agency=d.agency_code,
            classification=d.classification,
            primary_key=d.primary_key,
            descriptor=d.descriptor,
            current_version=VersionRead.of(version) if version else None,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class DatasetPage(BaseModel):
    items: list[DatasetRead]
    total: int
    limit: int
    offset: int


class IngestRead(BaseModel):
    dataset: str = Field(examples=["population-registry"])
    version: int = Field(examples=[2])
    source: str
    rows_read: int = Field(examples=[10000])
    rows_written: int = Field(examples=[9998])
    rows_rejected: int = Field(examples=[2])
    rejected_sample: list[dict[str, Any]] = Field(
        examples=[[{"row": 17, "reason": "date_of_birth: '31/02/1990' is not a valid date"}]]
    )
