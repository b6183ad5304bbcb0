"""What the publishing and open data APIs take and return."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.publishing import service
from hub.publishing.models import Publication

if TYPE_CHECKING:  # the flow brings pyarrow (~40 MB per worker) that most workers never use
    from hub.publishing.flows import PublishResult

_STRICT = ConfigDict(extra="forbid")


class PublishOptions(BaseModel):
    model_config = _STRICT

    direct_identifiers: Literal["drop", "pseudonymize"] = Field(
        default="drop",
        description="drop direct identifiers, or replace them by keyed pseudonyms (HMAC)",
    )
    max_suppression: float = Field(
        default=0.05, ge=0, lt=1, description="share of rows that may be left out to reach k"
    )


class PublishBody(BaseModel):
    """All optional: ``{}`` or no body publishes to the default target."""

    model_config = _STRICT

    target: Literal["ckan", "local"] | None = Field(
        default=None, description="default: ckan when CIVICHUB_CKAN_URL is set, else local"
    )
    dry_run: bool = Field(
        default=False, description="de-identify and scan, return the report, publish nothing"
    )
    options: PublishOptions = Field(default_factory=PublishOptions)


class PublicationRead(BaseModel):
    id: int | None = Field(description="null for a dry run", examples=[7])
    dataset: str = Field(examples=["population-registry"])
    dataset_version: int = Field(examples=[3])
    target: str = Field(examples=["local"])
    status: str = Field(description="running, published, failed; dry-run for a dry run")
    url: str | None = Field(
        description="CKAN package URL, or the local package's folder",
        examples=["https://ckan.example.gov.vn/dataset/population-registry"],
    )
    rows: int
    suppressed: int
    k: int | None = Field(description="the smallest group of the published rows")
    summary: dict[str, Any]
    error: str | None = None
    published_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    report: dict[str, Any] | None = Field(
        default=None, description="the full de-identification report (publish answers only)"
    )

    @classmethod
    def of(cls, p: Publication, *, full: bool = False) -> PublicationRead:
        return cls(
            id=p.id,
            dataset=p.dataset_id,
            dataset_version=p.dataset_version,
            target=p.target,
            status=p.status,
            url=p.url,
            rows=p.rows,
            suppressed=p.suppressed,
            k=p.k,
            summary=service.summary(p.report),
            error=p.error,
            published_by=p.published_by,
            started_at=p.started_at,
            finished_at=p.finished_at,
            report=p.report if full else None,
        )

    @classmethod
    def of_dry_run(cls, r: PublishResult) -> PublicationRead:
        return cls(
            id=None,
            dataset=r.dataset,
            dataset_version=r.version,
            target=r.target,
            status="dry-run",
            url=None,
            rows=r.rows,
            suppressed=r.suppressed,
            k=r.k,
            summary=service.summary(r.report),
            report=r.report,
        )


class PublicationPage(BaseModel):
    items: list[PublicationRead]
    total: int
    limit: int
    offset: int


class OpenField(BaseModel):
    name: str = Field(examples=["date_of_birth"])
    type: str = Field(examples=["string"])
    title: str | None = Field(default=None, examples=["Ngày sinh"])
    description: str | None = None


class OpenDataset(BaseModel):
    id: str = Field(examples=["population-registry"])
    title: str
    description: str
    agency: str = Field(examples=["cong-an"])
    license: str = Field(examples=["cc-by-4.0"])
    k: int | None = Field(
        description="every published combination of quasi-identifiers "
        "occurs at least this many times"
    )
    rows: int
    suppressed: int
    published_at: datetime | None
    publication: int = Field(description="id of the publication served; grows with each release")
    fields: list[OpenField]
    urls: dict[str, str | None] = Field(
        examples=[{"records": "/v1/open/datasets/population-registry/records", "ckan": None}]
    )

    @classmethod
    def of(cls, p: Publication) -> OpenDataset:
        meta = p.report.get("meta") or {}
        ckan = p.report.get("ckan") or {}
        return cls(
            id=p.dataset_id,
            title=meta.get("title", p.dataset_id),
            description=meta.get("description", ""),
            agency=meta.get("agency", ""),
            license=meta.get("license", ""),
            k=p.k,
            rows=p.rows,
            suppressed=p.suppressed,
            published_at=p.finished_at,
            publication=p.id,
            fields=[OpenField(**f) for f in p.report.get("schema", [])],
            urls={
                "records": f"/v1/open/datasets/{p.dataset_id}/records",
                "ckan": ckan.get("package_url"),
                "csv": ckan.get("resource_url"),
            },
        )


class OpenDatasetPage(BaseModel):
    items: list[OpenDataset]
    total: int
    limit: int
    offset: int
