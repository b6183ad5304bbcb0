"""What a read needs to know about its dataset, in one query, and parsed once per process.

A lookup used to read the dataset twice, the policy, the grants and the current version in
separate statements, and to re-validate the descriptor and re-parse the policy every time.
Now one statement reads the number of the dataset's latest policy, how many grants are
active, and the dataset row and its current version row each as one text (the row's
*stamp*); the authorization gate runs it and hands the snapshot to the read.

``ParseCache`` keeps, per process, the last snapshot of each dataset and reuses it while
both stamps are the same text: building the ORM objects, decoding their JSON and keying
the parsed descriptor cost more CPU than the rest of the statement (docs/performance.md).
The stamp is the whole row, every column, compared exactly (no digest, no version number
that every writer would have to remember to bump), so any change a steward or an ingest
commits is seen on the next request. The parsed descriptor, policy and table layout are
cached by their content or their immutable version, so nothing changed is served stale
either: a new policy has a new number, a patched descriptor new content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from connectors.descriptor import DatasetDescriptor
from hub.access.models import AccessRequest, PolicyVersion, RequestStatus
from hub.access.service import StoredPolicy
from hub.datasets import tables
from hub.datasets.models import Dataset, DatasetVersion
from hub.errors import NotFound
from hub.lru import Lru
from policies.model import policy_from_dict

T = TypeVar("T", Dataset, DatasetVersion)


@dataclass(frozen=True)
class DatasetSnapshot:
    #: detached copies, shared by the requests of the process: read them, never change them
    dataset: Dataset
    version: DatasetVersion | None  # the current version when the snapshot was taken
    policy_version: int | None
    active_grants: int
    #: the dataset row and current version row as text, as the database printed them
    stamp: tuple[str, str | None]
    #: the stored descriptor's canonical text: what its parsed form is cached by
    descriptor_key: str
    #: the current version's fields as canonical text: what its table layout is cached by
    fields_key: str | None

    def layout_key(self, version: DatasetVersion) -> str:
        """``fields_key`` for the current version; computed for another (a cursor's)."""
        if version is self.version and self.fields_key is not None:
            return self.fields_key
        return _canonical(version.fields)


class _RowText(FunctionElement[str]):
    """A table's whole row as one text, for comparing rows exactly in one column."""

    type = sa.Text()
    inherit_cache = True

    def __init__(self, table: sa.Table):
        self.table = table
        super().__init__(*table.columns)


@compiles(_RowText, "postgresql")
def _row_text_postgres(element: _RowText, compiler: SQLCompiler, **kw: Any) -> str:
    # the row's composite value as text: every column, NULL when the outer join found none
    return f"CAST({compiler.preparer.format_table(element.table)} AS TEXT)"


@compiles(_RowText)
def _row_text_sqlite(element: _RowText, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite has no row values: quote() prints each column as a literal, NULL included
    return " || ',' || ".join(f"quote({compiler.process(c, **kw)})" for c in element.clauses)


def _dataset_query(*entities: Any) -> sa.Select[Any]:
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
        sa.select(
            *entities,
            latest_policy,
            grants,
            _RowText(Dataset.__table__),
            _RowText(DatasetVersion.__table__),
        )
        .select_from(Dataset)
        .outerjoin(DatasetVersion, DatasetVersion.id == Dataset.current_version_id)
        .where(Dataset.id == sa.bindparam("dataset_id"))
    )


#: built once: constructing them and computing their cache keys cost more CPU than running them
_STAMP = _dataset_query()
_SNAPSHOT = _dataset_query(Dataset, DatasetVersion)


def _params(dataset_id: str, now: datetime | None) -> dict[str, Any]:
    return {"dataset_id": dataset_id, "now": now or datetime.now(UTC)}


def _not_found(dataset_id: str) -> NotFound:
    return NotFound(f"no dataset {dataset_id!r}; `civichub dataset list` shows the ids")


def load(session: Session, dataset_id: str, *, now: datetime | None = None) -> DatasetSnapshot:
    """The dataset, its current version, policy number and grant count, read now (uncached).

    The stamp comes from the same row as the objects, so a snapshot is never filed under
    a newer stamp than its content."""
    row = session.execute(_SNAPSHOT, _params(dataset_id, now)).first()
    if row is None:
        raise _not_found(dataset_id)
    dataset, version, policy, grants, dataset_text, version_text = row
    # copies, not the session's objects: a commit would expire those, and closing the
    # session detach them, while the snapshot outlives the request
    dataset, version = _detached(dataset), _detached(version) if version else None
    return DatasetSnapshot(
        dataset=dataset,
        version=version,
        policy_version=policy,
        active_grants=int(grants or 0),
        stamp=(dataset_text, version_text),
        descriptor_key=_canonical(dataset.descriptor),
        fields_key=_canonical(version.fields) if version else None,
    )


def _detached(obj: T) -> T:
    mapper = sa.inspect(type(obj))
    return type(obj)(**{a.key: getattr(obj, a.key) for a in mapper.column_attrs})


class ParseCache:
    """Parsed descriptors, policies and layouts for the read path, per process, bounded.

    Callers must treat what they get as read-only: it is shared between requests.
    """

    def __init__(self, size: int = 256):
        self._descriptors: Lru[DatasetDescriptor] = Lru(size)
        self._policies: Lru[StoredPolicy] = Lru(size)
        self._layouts: Lru[tables.Layout] = Lru(size)
        self._snapshots: Lru[DatasetSnapshot] = Lru(size)
        #: statements of the read path, by what they are built from (``service.fetch_one``)
        self.statements: Lru[sa.Select[Any]] = Lru(size)

    def snapshot(
        self, session: Session, dataset_id: str, *, now: datetime | None = None
    ) -> DatasetSnapshot:
        """``load``, reusing the last snapshot of the dataset while its rows are unchanged.

        The policy number and grant count are always this statement's own."""
        row = session.execute(_STAMP, _params(dataset_id, now)).first()
        if row is None:
            raise _not_found(dataset_id)
        policy, grants, dataset_text, version_text = row
        cached = self._snapshots.get(dataset_id)
        if cached is not None and cached.stamp == (dataset_text, version_text):
            return replace(cached, policy_version=policy, active_grants=int(grants or 0))
        fresh = load(session, dataset_id, now=now)
        self._snapshots.put(dataset_id, fresh)
        return fresh

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

    def layout(self, snapshot: DatasetSnapshot, version: DatasetVersion) -> tables.Layout:
        # everything the layout is made of, so no reused id can pick up another's layout
        dataset = snapshot.dataset
        key = (dataset.id, dataset.primary_key, snapshot.layout_key(version))
        return self._layouts.get_or_build(
            key, lambda: tables.layout(dataset.id, version.fields, dataset.primary_key)
        )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
