"""Ingest: source -> validated batches -> a new dataset version, switched in atomically.

The flow owns its transactions (it is a job, not a request): the version row and its empty
table are committed first, each batch is committed as it lands (the table is invisible to
readers until the switch), and the switch of ``datasets.current_version_id`` happens in
one final transaction together with the audit entry. Whatever goes wrong before the switch
leaves the previous version serving readers; the half-built table is dropped. A process
killed mid-way leaves a ``loading`` version; the next ingest of that dataset, holding the
ingest lock (``locks.py``) that died with the killed process, cleans it up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from connectors import registry
from connectors.base import ConnectorContext, RawRow
from connectors.descriptor import DatasetDescriptor, SourceSpec
from connectors.validate import Rejected, RowValidator
from hub.audit import service as audit
from hub.audit.events import DatasetIngested, IngestFailed
from hub.context import Actor
from hub.crypto import FieldCipher, aad
from hub.datasets import locks, service, staging, tables
from hub.datasets.models import Dataset, DatasetVersion, QuarantinedRow, VersionStatus
from hub.db import session_scope, utcnow
from hub.errors import Invalid

#: versions kept readable after they are superseded (open cursors keep working)
KEEP_PREVIOUS = 1

Progress = Callable[[int, int | None, str, int], None]
#: how far the connector had read (done, total) when a batch was complete
Reached = tuple[int, int | None]


@dataclass
class IngestResult:
    dataset: str
    version: int
    source: str
    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    rejected_sample: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_rejected": self.rows_rejected,
            "rejected_sample": self.rejected_sample,
        }


def ingest(
    factory: sessionmaker[Session],
    *,
    dataset_id: str,
    actor: Actor,
    context: ConnectorContext,
    cipher: FieldCipher,
    source: SourceSpec | None = None,
    batch_size: int = 5000,
    max_rejected_ratio: float = 0.2,
    progress: Progress | None = None,
) -> IngestResult:
    """Read the source into a new version of ``dataset_id`` and switch readers to it."""
    job = _Job(factory, dataset_id, actor, context, cipher, source, batch_size, max_rejected_ratio)
    with locks.ingest_lock(factory.kw["bind"], dataset_id):
        return job.run(progress)


@dataclass
class _Job:
    factory: sessionmaker[Session]
    dataset_id: str
    actor: Actor
    context: ConnectorContext
    cipher: FieldCipher
    source: SourceSpec | None
    batch_size: int
    max_rejected_ratio: float

    def run(self, progress: Progress | None) -> IngestResult:
        version_id, descriptor, table_name = _start(self.factory, self.dataset_id)
        result = IngestResult(self.dataset_id, 0, "")
        try:
            self._load(version_id, descriptor, table_name, result, progress)
            _check_ratio(result, self.max_rejected_ratio)
            with session_scope(self.factory) as session:
                result.version = _switch(session, version_id, result, self.actor)
            _retire_old(self.factory, self.dataset_id)
            return result
        except BaseException as exc:
            _fail(self.factory, version_id, table_name, exc, self.actor, self.dataset_id)
            raise

    def _load(
        self,
        version_id: int,
        descriptor: DatasetDescriptor,
        table_name: str,
        result: IngestResult,
        progress: Progress | None,
    ) -> None:
        lay = tables.layout(self.dataset_id, descriptor.fields, descriptor.primary_key)
        loader = _Loader(lay, lay.table(table_name), self.cipher, version_id)
        connector = registry.open_source(
            self.source or descriptor.source, context=self.context, fields=descriptor.fields
        )
        result.source = connector.describe()
        validator = RowValidator(descriptor.fields, descriptor.primary_key)
        copy = self.factory.kw["bind"].dialect.name == "postgresql"
        # each batch is validated and encrypted here while the writer thread stores the
        # previous one; leaving the block waits for the writer, so a failure never races
        # the cleanup in run()
        with _Writer(self.factory, loader, result, progress, connector.unit) as writer:
            for batch in connector.batches(self.batch_size):
                prepared = loader.prepare(validator, batch, copy=copy)
                writer.write(prepared, connector.progress())
            writer.wait()


class _Writer:
    """Writes prepared batches in order, each in its own transaction, on one thread.

    The thread waits on the database without the GIL, so the next batch is prepared
    meanwhile; one batch at most is in its hands.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        loader: _Loader,
        result: IngestResult,
        progress: Progress | None,
        unit: str,
    ) -> None:
        self._factory, self._loader, self._result = factory, loader, result
        self._progress, self._unit = progress, unit
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="ingest-writer")
        self._last: Future[Reached] | None = None

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)

    def write(self, batch: _Prepared, reached: Reached) -> None:
        """Hand ``batch`` over once the previous one is committed."""
        self.wait()
        self._last = self._thread.submit(self._write, batch, reached)

    def wait(self) -> None:
        """Until the batch handed over last is committed; then report progress."""
        if self._last is None:
            return
        done, total = self._last.result()
        self._last = None
        if self._progress:
            self._progress(done, total, self._unit, self._result.rows_read)

    def _write(self, batch: _Prepared, reached: Reached) -> Reached:
        with session_scope(self._factory) as session:
            self._loader.load(session, batch, self._result)
            _heartbeat(session, self._loader.version_id, self._result)
        return reached


def _start(factory: sessionmaker[Session], dataset_id: str) -> tuple[int, DatasetDescriptor, str]:
    with session_scope(factory) as session:
        dataset = _lock_dataset(session, dataset_id)
        _clear_stale(session, dataset)
        number = (
            session.scalar(
                sa.select(sa.func.max(DatasetVersion.number)).where(
                    DatasetVersion.dataset_pk == dataset.pk
                )
            )
            or 0
        ) + 1
        descriptor = service.descriptor_of(dataset)
        name = tables.table_name(dataset.pk, number)
        version = DatasetVersion(
            dataset_pk=dataset.pk,
            number=number,
            table_name=name,
            fields=[f.model_dump(mode="json", exclude_none=True) for f in descriptor.fields],
            status=VersionStatus.loading,
        )
        session.add(version)
        session.flush()
        table = tables.layout(dataset_id, descriptor.fields, descriptor.primary_key).table(name)
        tables.drop_table(session.connection(), name)  # leftovers of a crashed attempt
        table.create(session.connection())
        return version.id, descriptor, name


def _lock_dataset(session: Session, dataset_id: str) -> Dataset:
    query = sa.select(Dataset).where(Dataset.id == dataset_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    dataset = session.scalar(query)
    if dataset is None:
        service.get(session, dataset_id)  # raises the NotFound with its hint
    assert dataset is not None
    return dataset


def _clear_stale(session: Session, dataset: Dataset) -> None:
    """We hold the dataset's ingest lock, so any loading version belongs to a dead process."""
    loading = session.scalars(
        sa.select(DatasetVersion).where(
            DatasetVersion.dataset_pk == dataset.pk,
            DatasetVersion.status == VersionStatus.loading,
        )
    ).all()
    for version in loading:
        tables.drop_table(session.connection(), version.table_name)
        version.status = VersionStatus.failed
        version.error = "abandoned: the ingesting process stopped without finishing"


@dataclass(frozen=True)
class _Prepared:
    """A batch validated and encoded, ready for its transaction."""

    valid: list[dict[str, Any]]
    numbers: list[int]  # source row number of each valid row
    keys: list[Any]  # stored key of each valid row, repeated keys included
    rejected: list[Rejected]
    staged: staging.Staged | None  # None when no row is valid


@dataclass
class _Loader:
    """Writes validated batches: PII encrypted, duplicates and bad rows quarantined."""

    lay: tables.Layout
    table: sa.Table
    cipher: FieldCipher
    version_id: int

    def prepare(self, validator: RowValidator, batch: list[RawRow], *, copy: bool) -> _Prepared:
        """The CPU work of a batch, done outside its transaction."""
        valid, rejected = validator.validate(batch)
        bad = {r.number for r in rejected}
        numbers = [r.number for r in batch if r.number not in bad]
        if not valid:
            return _Prepared(valid, numbers, [], rejected, None)
        encoded = tables.encode_rows(self.lay, valid, self.cipher)
        staged = staging.stage(encoded, copy=copy)
        return _Prepared(valid, numbers, encoded.keys, rejected, staged)

    def load(self, session: Session, batch: _Prepared, result: IngestResult) -> None:
        result.rows_read += len(batch.valid) + len(batch.rejected)
        rejected = list(batch.rejected)
        if batch.staged is not None:
            inserted = staging.insert_new(session, self.table, batch.staged)
            if len(inserted) < len(batch.valid):
                rejected.extend(self._duplicates(batch, inserted))
            result.rows_written += len(inserted)
        if rejected:
            result.rows_rejected += len(rejected)
            session.add_all(self._quarantine(r) for r in rejected)
            room = max(5 - len(result.rejected_sample), 0)
            result.rejected_sample.extend(
                {"row": r.number, "reason": r.reason} for r in rejected[:room]
            )

    def _duplicates(self, batch: _Prepared, inserted: set[Any]) -> list[Rejected]:
        out, seen = [], set()
        pk = self.lay.primary_key
        for number, row, key in zip(batch.numbers, batch.valid, batch.keys, strict=True):
            if key in inserted and key not in seen:
                seen.add(key)
                continue
            reason = f"{pk}: duplicate primary key; the first row with this key wins"
            out.append(Rejected(number=number, reason=reason, values=row))
        return out

    def _quarantine(self, rejected: Rejected) -> QuarantinedRow:
        """Rejected rows may hold personal data: the raw values are stored encrypted."""
        raw = json.dumps({k: _jsonable(v) for k, v in rejected.values.items()}, ensure_ascii=False)
        bound = aad(self.lay.dataset, "__quarantine__", f"{self.version_id}:{rejected.number}")
        return QuarantinedRow(
            version_id=self.version_id,
            row_number=rejected.number,
            reason=rejected.reason,
            values={"encrypted": self.cipher.encrypt(raw, bound)},
        )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _heartbeat(session: Session, version_id: int, result: IngestResult) -> None:
    session.execute(
        sa.update(DatasetVersion)
        .where(DatasetVersion.id == version_id)
        .values(
            heartbeat_at=utcnow(),
            rows_read=result.rows_read,
            rows_written=result.rows_written,
            rows_rejected=result.rows_rejected,
        )
    )


def _check_ratio(result: IngestResult, max_ratio: float) -> None:
    if result.rows_read == 0:
        raise Invalid("the source has no rows; the previous version stays in place")
    if result.rows_written == 0 or result.rows_rejected / result.rows_read > max_ratio:
        share = result.rows_rejected / result.rows_read
        examples = "; ".join(f"row {r['row']}: {r['reason']}" for r in result.rejected_sample)
        raise Invalid(
            f"{result.rows_rejected} of {result.rows_read} rows ({share:.0%}) are invalid, "
            f"more than the {max_ratio:.0%} allowed; the previous version stays in place. "
            f"First problems: {examples}",
            rows_read=result.rows_read,
            rows_rejected=result.rows_rejected,
        )


def _switch(session: Session, version_id: int, result: IngestResult, actor: Actor) -> int:
    version = session.get(DatasetVersion, version_id)
    assert version is not None
    dataset = session.get(Dataset, version.dataset_pk, with_for_update=True)
    assert dataset is not None
    version.status = VersionStatus.ready
    version.finished_at = utcnow()
    version.source = result.source[:500]
    dataset.current_version_id = version.id
    audit.append(
        session,
        actor.event(
            DatasetIngested,
            dataset=dataset.id,
            row_count=result.rows_written,
            detail={
                "version": version.number,
                "rows_read": result.rows_read,
                "rows_rejected": result.rows_rejected,
                "source": result.source,
            },
        ),
    )
    return version.number


def _retire_old(factory: sessionmaker[Session], dataset_id: str) -> None:
    with session_scope(factory) as session:
        dataset = service.get(session, dataset_id)
        ready = session.scalars(
            sa.select(DatasetVersion)
            .where(
                DatasetVersion.dataset_pk == dataset.pk,
                DatasetVersion.status == VersionStatus.ready,
                DatasetVersion.id != dataset.current_version_id,
            )
            .order_by(DatasetVersion.number.desc())
        ).all()
        for version in ready[KEEP_PREVIOUS:]:
            tables.drop_table(session.connection(), version.table_name)
            version.status = VersionStatus.retired


def _fail(
    factory: sessionmaker[Session],
    version_id: int,
    table_name: str,
    exc: BaseException,
    actor: Actor,
    dataset_id: str,
) -> None:
    with session_scope(factory) as session:
        version = session.get(DatasetVersion, version_id)
        if version is None or version.status != VersionStatus.loading:
            return
        tables.drop_table(session.connection(), table_name)
        version.status = VersionStatus.failed
        version.error = str(exc)[:2000] or type(exc).__name__
        version.finished_at = utcnow()
        audit.append(
            session,
            actor.event(
                IngestFailed,
                dataset=dataset_id,
                decision="error",
                detail={"version": version.number, "error": version.error[:500]},
            ),
        )
