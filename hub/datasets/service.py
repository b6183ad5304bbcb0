"""Registering, reading, changing and deleting datasets. Services flush; callers commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors import yamldoc
from connectors.descriptor import DatasetDescriptor, load_descriptor
from connectors.errors import DocumentError, DocumentProblem
from hub.audit import service as audit
from hub.audit.events import DatasetDeleted, DatasetRegistered, DatasetUpdated
from hub.context import Actor
from hub.datasets import tables
from hub.datasets.models import Agency, Dataset, DatasetVersion, VersionStatus
from hub.errors import Conflict, NotFound

#: what PATCH may change; names, types and the primary key shape the stored tables
PATCHABLE = {"title", "description", "classification", "source", "fields", "open_data"}


def descriptor_of(dataset: Dataset) -> DatasetDescriptor:
    """The stored descriptor (validated when it was stored)."""
    return DatasetDescriptor.model_validate(dataset.descriptor)


def find(session: Session, dataset_id: str) -> Dataset | None:
    return session.scalar(sa.select(Dataset).where(Dataset.id == dataset_id))


def get(session: Session, dataset_id: str) -> Dataset:
    dataset = find(session, dataset_id)
    if dataset is None:
        raise NotFound(f"no dataset {dataset_id!r}; `civichub dataset list` shows the ids")
    return dataset


def list_datasets(
    session: Session, *, agency: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Dataset], int]:
    query = sa.select(Dataset)
    if agency:
        query = query.where(Dataset.agency_code == agency)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Dataset.id).limit(limit).offset(offset)).all()
    return list(rows), total


def register(
    session: Session,
    *,
    descriptor: DatasetDescriptor,
    actor: Actor,
    source_base: Path,
    via: str,
) -> Dataset:
    descriptor.ensure_admissible()
    if session.scalar(sa.select(Dataset.pk).where(Dataset.id == descriptor.id)) is not None:
        raise Conflict(
            f"dataset {descriptor.id!r} is already registered; change it with "
            "PATCH /v1/datasets/{id}, delete it first, or pick another id"
        )
    _ensure_agency(session, descriptor.agency)
    dataset = Dataset(
        id=descriptor.id,
        title=descriptor.title,
        agency_code=descriptor.agency,
        classification=descriptor.classification.value,
        primary_key=descriptor.primary_key,
        descriptor=descriptor.model_dump(mode="json", exclude_none=True),
        source_base=str(source_base),
        registered_via=via,
    )
    session.add(dataset)
    session.flush()
    audit.append(
        session,
        actor.event(
            DatasetRegistered,
            dataset=descriptor.id,
            fields=tuple(descriptor.field_names),
            detail={"classification": descriptor.classification.value},
        ),
    )
    return dataset


def update(session: Session, *, dataset: Dataset, patch: dict[str, Any], actor: Actor) -> Dataset:
    unknown = sorted(set(patch) - PATCHABLE)
    if unknown:
        raise DocumentError(
            "patch",
            [
                DocumentProblem(
                    (k,), None, f"cannot be changed; changeable: {', '.join(sorted(PATCHABLE))}"
                )
                for k in unknown
            ],
        )
    merged = {**dataset.descriptor, **patch, "id": dataset.id, "agency": dataset.agency_code}
    new = yamldoc.validate_data(DatasetDescriptor, merged, source="patch")
    new.ensure_admissible()
    old = descriptor_of(dataset)
    if [(f.name, f.type) for f in new.fields] != [(f.name, f.type) for f in old.fields]:
        raise Conflict(
            "field names and types cannot change on a registered dataset (its stored rows "
            "follow them); change pii, label, description or required only, or register "
            "a new dataset"
        )
    dataset.descriptor = new.model_dump(mode="json", exclude_none=True)
    dataset.title = new.title
    dataset.classification = new.classification.value
    session.flush()
    audit.append(
        session, actor.event(DatasetUpdated, dataset=dataset.id, detail={"changed": sorted(patch)})
    )
    return dataset


def delete(session: Session, *, dataset: Dataset, actor: Actor) -> None:
    versions = session.scalars(
        sa.select(DatasetVersion).where(DatasetVersion.dataset_pk == dataset.pk)
    ).all()
    dataset.current_version_id = None
    session.flush()
    conn = session.connection()
    for version in versions:
        tables.drop_table(conn, version.table_name)
    dataset_id = dataset.id
    session.delete(dataset)
    session.flush()
    audit.append(session, actor.event(DatasetDeleted, dataset=dataset_id))


def current_version(session: Session, dataset: Dataset) -> DatasetVersion | None:
    if dataset.current_version_id is None:
        return None
    return session.get(DatasetVersion, dataset.current_version_id)


def readable_version(session: Session, dataset: Dataset, version_id: int) -> DatasetVersion | None:
    """A version whose table still exists (current or kept for open cursors)."""
    version = session.get(DatasetVersion, version_id)
    if version is None or version.dataset_pk != dataset.pk:
        return None
    return version if version.status == VersionStatus.ready else None


def parse_descriptor_file(path: Path) -> DatasetDescriptor:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}") from exc
    return load_descriptor(raw, source=str(path))


def _ensure_agency(session: Session, code: str) -> None:
    if session.get(Agency, code) is None:
        session.add(Agency(code=code, name=code))
        session.flush()
