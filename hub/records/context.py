"""What a read needs to know about its dataset, in one query, and parsed once per process.

A lookup used to read the dataset twice, the policy, the grants and the current version in
separate statements, and to re-validate the descriptor and re-parse the policy every time.
``load`` reads the dataset row, its current version, the number of its latest policy and
how many grants are active in one statement (the authorization gate runs it and hands the
snapshot to the read). ``ParseCache`` keeps the parsed descriptor, policy and table layout
keyed by their content or their immutable version, so nothing a steward changes is ever
served stale: a new policy has a new number, a patched descriptor new content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.descriptor import DatasetDescriptor
from hub.access.models import AccessRequest, PolicyVersion, RequestStatus
from hub.access.service import StoredPolicy
from hub.datasets import tables
from hub.datasets.models import Dataset, DatasetVersion
from hub.errors import NotFound
from hub.lru import Lru
from policies.model import policy_from_dict


@dataclass(frozen=True)
class DatasetSnapshot:
    dataset: Dataset
    version: DatasetVersion | None  # the current version when the snapshot was taken
    policy_version: int | None
    active_grants: int

    @cached_property
    def descriptor_key(self) -> str:
        """The stored descriptor's canonical text: what its parsed form is cached by."""
        return _canonical(self.dataset.descriptor)


def _snapshot_query() -> sa.Select[Any]:
    latest_policy = (
        sa.select(sa.func.max(PolicyVersion.version))
        .where(PolicyVersion.dataset_pk == Dataset.pk)
        .scalar_subquery()
    )
    grants = (
        sa.select(sa.func.count())
        .select_from(AccessRequest)
        .where(
            AccessRequest.dataset_pk == Dataset.pk,
            AccessRequest.status == RequestStatus.approved.value,
            AccessRequest.expires_at > sa.bindparam("now"),
        )
        .scalar_subquery()
    )
    return (
        sa.select(Dataset, DatasetVersion, latest_policy, grants)
        .outerjoin(DatasetVersion, DatasetVersion.id == Dataset.current_version_id)
        .where(Dataset.id == sa.bindparam("dataset_id"))
    )


#: built once: constructing it and computing its cache key cost more CPU than running it
_SNAPSHOT = _snapshot_query()


def load(session: Session, dataset_id: str, *, now: datetime | None = None) -> DatasetSnapshot:
    params = {"dataset_id": dataset_id, "now": now or datetime.now(UTC)}
    row = session.execute(_SNAPSHOT, params).first()
    if row is None:
        raise NotFound(f"no dataset {dataset_id!r}; `civichub dataset list` shows the ids")
    return DatasetSnapshot(row[0], row[1], row[2], int(row[3] or 0))


class ParseCache:
    """Parsed descriptors, policies and layouts for the read path, per process, bounded.

    Callers must treat what they get as read-only: it is shared between requests.
    """

    def __init__(self, size: int = 256):
        self._descriptors: Lru[DatasetDescriptor] = Lru(size)
        self._policies: Lru[StoredPolicy] = Lru(size)
        self._layouts: Lru[tables.Layout] = Lru(size)
        #: statements of the read path, by what they are built from (``service.fetch_one``)
        self.statements: Lru[sa.Select[Any]] = Lru(size)

    def descriptor(self, snapshot: DatasetSnapshot) -> DatasetDescriptor:
        stored = snapshot.dataset.descriptor
        return self._descriptors.get_or_build(
            snapshot.descriptor_key, lambda: DatasetDescriptor.model_validate(stored)
        )

    def policy(self, session: Session, snapshot: DatasetSnapshot) -> StoredPolicy | None:
        number = snapshot.policy_version
        if number is None:
            return None
        dataset = snapshot.dataset
        descriptor = self.descriptor(snapshot)
        # numbers restart when a dataset is deleted and registered again (and SQLite may
        # reuse its pk): created_at tells the registrations apart. Policies are checked
        # against the descriptor, so a patched descriptor parses the policy again.
        key = (dataset.pk, dataset.created_at, number, snapshot.descriptor_key)

        def build() -> StoredPolicy:
            document = session.scalar(
                sa.select(PolicyVersion.document).where(
                    PolicyVersion.dataset_pk == dataset.pk, PolicyVersion.version == number
                )
            )
            return StoredPolicy(policy_from_dict(document, descriptor=descriptor), number)

        return self._policies.get_or_build(key, build)

    def layout(self, dataset: Dataset, version: DatasetVersion) -> tables.Layout:
        # everything the layout is made of, so no reused id can pick up another's layout
        key = (dataset.id, dataset.primary_key, _canonical(version.fields))
        return self._layouts.get_or_build(
            key, lambda: tables.layout(dataset.id, version.fields, dataset.primary_key)
        )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
