"""PII discovery on a dataset: sample each column, propose a PII type, accept it.

Samples are random rows of the current version, decrypted in memory; only masked examples
leave this module. The steward accepts proposals into the descriptor (``--accept`` or
PATCH); accepting changes how the *next* ingest stores the field (encrypted), stored
versions keep the layout they were written with.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.audit import service as audit
from hub.audit.events import DatasetClassified
from hub.context import Actor
from hub.datasets import service, tables
from hub.datasets.models import Dataset
from hub.errors import NotFound
from hub.state import HubState

DEFAULT_SAMPLE = 200


class FieldClassification(BaseModel):
    name: str
    type: str
    current_pii: str | None
    proposed_pii: str | None
    confidence: float
    matched: int
    sampled: int
    entity_counts: dict[str, int]
    examples: list[str]


class Classification(BaseModel):
    dataset: str
    version: int
    sampled_rows: int
    fields: list[FieldClassification]

    def proposals(self) -> dict[str, str]:
        """Fields without a PII tag that the analyzer thinks hold personal data."""
        return {f.name: f.proposed_pii for f in self.fields if f.proposed_pii and not f.current_pii}


def sample(
    session: Session, state: HubState, dataset: Dataset, size: int
) -> tuple[int, dict[str, list[Any]]]:
    version = service.current_version(session, dataset)
    if version is None:
        raise NotFound(f"dataset {dataset.id!r} has no data yet; ingest it before classifying")
    lay = tables.layout(dataset.id, version.fields, dataset.primary_key)
    table = lay.table(version.table_name)
    rows = session.execute(sa.select(table).order_by(sa.func.random()).limit(size)).all()
    names = [f.name for f in lay.fields]
    columns = {n: [r._mapping[n] for r in rows] for n in names}
    keys = [str(tables.to_text(r._mapping[lay.key_column])) for r in rows]
    return version.number, tables.decode_columns(lay, columns, keys, state.cipher)


def classify(
    session: Session, state: HubState, *, dataset: Dataset, actor: Actor, size: int = DEFAULT_SAMPLE
) -> Classification:
    from anonymizer import classify_column

    engine = state.pii_engine()
    number, columns = sample(session, state, dataset, size)
    descriptor = service.descriptor_of(dataset)
    fields = []
    for spec in descriptor.fields:
        found = classify_column(spec.name, columns[spec.name], engine=engine, sample_size=size)
        fields.append(
            FieldClassification(
                name=spec.name,
                type=spec.type.value,
                current_pii=spec.pii.value if spec.pii else None,
                proposed_pii=found.proposed_pii,
                confidence=round(found.confidence, 3),
                matched=found.matched,
                sampled=found.sampled,
                entity_counts=dict(found.entity_counts),
                examples=list(found.examples),
            )
        )
    rows = len(next(iter(columns.values()), []))
    audit.append(
        session,
        actor.event(
            DatasetClassified, dataset=dataset.id, row_count=rows, detail={"version": number}
        ),
    )
    return Classification(dataset=dataset.id, version=number, sampled_rows=rows, fields=fields)


def accept(
    session: Session, *, dataset: Dataset, proposals: dict[str, str], actor: Actor
) -> Dataset:
    fields = [dict(f) for f in dataset.descriptor["fields"]]
    for field in fields:
        if field["name"] in proposals:
            field["pii"] = proposals[field["name"]]
    return service.update(session, dataset=dataset, patch={"fields": fields}, actor=actor)
