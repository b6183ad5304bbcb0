"""Publish a dataset as open data: the one flow behind ``civichub publish`` and
``POST /v1/datasets/{id}/publish``.

    read    the current version in key order, batch by batch, decrypted in memory: only
            the quasi-identifier and sensitive columns (plus the stored row key)
    plan    the least generalization reaching k over every row (``catalog.deidentify``)
    apply   read again (only the published columns), de-identify, scan every cell with
            the PII analyzer (``catalog.gate``), recount k, and write the rows where no
            reader sees them yet: the package's build folder or a CSV file for CKAN, and
            the open table of the hub (``service.py``)
    gate    any finding refuses the publication; so does a recount that misses the plan
    write   local: the package is swapped in (``catalog.package``); CKAN: uploaded, then
            switched in one ``package_patch`` (``catalog.ckan``). Each target keeps the
            previous version until its own atomic switch
    switch  one transaction marks the run ``published`` (the open API follows it) and
            appends ``DatasetPublished``; then older open tables are dropped

The flow owns its transactions (a job, not a request). Publications of one dataset are
serialized by ``locks.publish_lock``; its holder marks runs a dead process left
``running`` as failed and drops their tables. A failure before ``write`` leaves every
target and the open API as they were, records the run as ``failed`` with the reason and
appends ``PublicationFailed``. A process killed between a target's switch and the hub's
leaves the new version in the catalog and the previous one in the open API; publishing
again converges. A dry run does everything up to the gate and writes nothing but its
audit entry (``PublicationPreviewed``): it read every row.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from catalog.deidentify import (
    Columns,
    DeidOptions,
    DirectMode,
    Plan,
    check_output,
    field_roles,
    plan_deidentification,
)
from catalog.errors import EmptyDataset, NotPublishable, OutputCheckFailed
from catalog.gate import ResidualGate, tolerances
from catalog.hierarchies import check_quasi_identifier
from catalog.package import DATA_FILE, META_FILE, PackageWriter, hub_version, table_schema
from catalog.report import Role
from catalog.risk import ClassCounter
from connectors.descriptor import DatasetDescriptor
from hub.audit import service as audit
from hub.audit.events import PublicationPreviewed
from hub.context import Actor
from hub.datasets import locks, tables
from hub.datasets import service as datasets
from hub.datasets.models import Agency
from hub.db import session_scope
from hub.errors import problem_for
from hub.publishing import service, targets
from hub.publishing.service import Target
from hub.state import HubState

if TYPE_CHECKING:  # catalog.ckan imports ckanapi: loaded when CKAN is the target
    from catalog.ckan import CkanPublication, CkanPublisher

log = logging.getLogger(__name__)

BATCH = 5000
KEY = "__key"  # the stored row key rides along in each batch (never personal plaintext)
#: (stage, done, total): stages read, plan, apply, gate, write, switch
Progress = Callable[[str, int, int | None], None]
Sink = Callable[[Columns], None]


@dataclass(frozen=True)
class PublishRequest:
    dataset_id: str
    target: str | None = None  # None: CKAN when configured, else local
    dry_run: bool = False
    direct_identifiers: DirectMode = "drop"
    max_suppression: float = 0.05

    def options(self) -> DeidOptions:
        return DeidOptions(
            direct_identifiers=self.direct_identifiers, max_suppression=self.max_suppression
        )


@dataclass
class PublishResult:
    dataset: str
    version: int
    target: str
    dry_run: bool
    publication_id: int | None
    url: str | None
    rows: int
    suppressed: int
    k: int
    report: dict[str, Any]


@dataclass(frozen=True)
class Source:
    """The version being published, as it was when the run started."""

    descriptor: DatasetDescriptor
    dataset_pk: int
    agency_title: str
    version: int
    rows: int
    layout: tables.Layout
    table: sa.Table


def _silent(stage: str, done: int, total: int | None) -> None:
    return None


def publish(
    state: HubState,
    *,
    request: PublishRequest,
    actor: Actor,
    progress: Progress | None = None,
    batch_size: int = BATCH,
) -> PublishResult:
    """De-identify ``request.dataset_id`` and publish it (see the module docstring)."""
    target = service.resolve_target(state.settings, request.target)
    options = request.options()
    with locks.publish_lock(state.engine, request.dataset_id):
        source = _snapshot(state, request.dataset_id, options)
        job = _Job(state, source, target, options, actor, progress or _silent, batch_size)
        if request.dry_run:
            return job.dry_run()
        # a bad CKAN URL or token, or a CKAN that does not answer, stops the run before
        # any row is read
        publisher = targets.ckan_publisher(state.settings) if target is Target.ckan else None
        try:
            return job.run(publisher)
        finally:
            if publisher is not None:
                publisher.close()


def _snapshot(state: HubState, dataset_id: str, options: DeidOptions) -> Source:
    with session_scope(state.sessions) as session:
        dataset = datasets.get(session, dataset_id)
        descriptor = datasets.descriptor_of(dataset)
        _preflight(descriptor, options)
        version = datasets.current_version(session, dataset)
        if version is None or version.rows_written == 0:
            raise EmptyDataset(dataset_id)
        agency = session.get(Agency, dataset.agency_code)
        # the version's own fields: stored layout (PATCH may have changed pii tags since)
        lay = tables.layout(dataset.id, version.fields, descriptor.primary_key)
        return Source(
            descriptor=descriptor,
            dataset_pk=dataset.pk,
            agency_title=agency.name if agency else dataset.agency_code,
            version=version.number,
            rows=version.rows_written,
            layout=lay,
            table=lay.table(version.table_name),
        )


def _preflight(descriptor: DatasetDescriptor, options: DeidOptions) -> None:
    """Refuse what the descriptor cannot publish before reading a row."""
    if descriptor.open_data is None:
        example = "{quasi_identifiers: [date_of_birth, gender, ward], k: 5, license: cc-by-4.0}"
        raise NotPublishable(
            f"dataset {descriptor.id!r} has no open_data block, so the hub does not know how "
            f"to de-identify it. Add one to the descriptor, for example `open_data: {example}` "
            f'(PATCH /v1/datasets/{descriptor.id} with {{"open_data": {{...}}}}), then publish '
            "again; docs/open-data.md explains each key"
        )
    field_roles(descriptor, options)
    for name in descriptor.open_data.quasi_identifiers:
        check_quasi_identifier(descriptor.field(name))


@dataclass
class _Job:
    state: HubState
    source: Source
    target: Target
    options: DeidOptions
    actor: Actor
    progress: Progress
    batch_size: int
    #: what the publication record stores, filled in as the run goes
    report: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        d = self.source.descriptor
        spec = d.open_data
        assert spec is not None  # _preflight
        self.report = {
            "options": {
                "direct_identifiers": self.options.direct_identifiers,
                "max_suppression": self.options.max_suppression,
            },
            "meta": {
                "title": d.title,
                "description": d.description or "",
                "agency": d.agency,
                "agency_title": self.source.agency_title,
                "license": spec.license,
                "tags": list(spec.tags),
                "update_frequency": spec.update_frequency,
            },
            "hub_version": hub_version(),
        }

    @property
    def dataset_id(self) -> str:
        return self.source.descriptor.id

    # -- the two ways through -------------------------------------------------------
    def dry_run(self) -> PublishResult:
        try:
            plan = self._plan()
            gate = self._apply(plan, [])
        except BaseException as exc:
            self._audit_preview(decision="error", detail={"error": _message(exc)[:500]})
            raise
        self.report["residual_scan"] = gate.summary()
        rep = plan.report
        self._audit_preview(
            decision="allow", detail={"k": rep.k_achieved, "suppressed": rep.rows_suppressed}
        )
        return self._result(plan, None, None, dry_run=True)

    def run(self, publisher: CkanPublisher | None) -> PublishResult:
        run_id, table_name = self._start()
        try:
            plan = self._plan()
            table = self._create_table(table_name)
            if publisher is None:
                url = self._to_local(plan, table, run_id)
            else:
                url = self._to_ckan(plan, table, publisher)
            self._switch(run_id, plan, url)
        except BaseException as exc:
            self._fail(run_id, exc)
            raise
        self._retire()
        return self._result(plan, run_id, url, dry_run=False)

    # -- stages ---------------------------------------------------------------------
    def _start(self) -> tuple[int, str]:
        with session_scope(self.state.sessions) as session:
            dataset = datasets.get(session, self.dataset_id)
            service.clear_abandoned(session, dataset_id=self.dataset_id, actor=self.actor)
            run = service.start(
                session,
                dataset=dataset,
                version=self.source.version,
                target=self.target,
                actor=self.actor,
                report=self.report,
            )
            return run.id, str(run.table_name)

    def _plan(self) -> Plan:
        roles = field_roles(self.source.descriptor, self.options)
        names = [n for n, r in roles.items() if r in (Role.quasi_identifier, Role.sensitive)]

        def batches() -> Iterator[Columns]:
            yield from self._read(names, "read")
            self.progress("plan", 0, None)

        plan = plan_deidentification(self.source.descriptor, batches(), options=self.options)
        self.report["deidentification"] = plan.report.to_dict()
        self.report["schema"] = table_schema(self.source.descriptor, plan)["fields"]
        self.progress("plan", 1, 1)
        return plan

    def _create_table(self, name: str) -> sa.Table:
        table = service.open_table(name, self.report["schema"])
        with session_scope(self.state.sessions) as session:
            tables.drop_table(session.connection(), name)
            table.create(session.connection())
        return table

    def _apply(self, plan: Plan, sinks: Sequence[Sink]) -> ResidualGate:
        """De-identify, scan and recount every row; hand each batch to ``sinks``."""
        applier = plan.compile(self.state.treatment_context(self.source.descriptor))
        gate = ResidualGate(self.state.pii_engine().analyze_batch, tolerate=tolerances(plan))
        counter = ClassCounter(plan.quasi_identifiers)
        written = 0
        for batch in self._read(list(plan.output_fields), "apply"):
            columns, kept = applier.apply(batch)
            gate.scan(columns, first_row=written)
            counter.add(columns)
            for sink in sinks:
                sink(columns)
            written += sum(kept)
        self.progress("gate", 0, None)
        gate.check()
        check_output(plan, counter.summary())
        self.progress("gate", 1, 1)
        return gate

    def _to_local(self, plan: Plan, table: sa.Table, run_id: int) -> str:
        catalog_dir = self.state.settings.catalog_dir
        opened = targets.OpenWriter(self.state.sessions, table)
        with PackageWriter(catalog_dir, self.source.descriptor, plan) as writer:
            gate = self._apply(plan, [writer.write, opened.write])
            self.report["residual_scan"] = gate.summary()
            self.progress("write", 0, None)
            link = writer.commit(
                {
                    "hub_version": self.report["hub_version"],
                    "agency": self.source.descriptor.agency,
                    "source_version": self.source.version,
                    "publication": run_id,
                    "report": plan.report.to_dict(),
                    "residual_scan": gate.summary(),
                }
            )
        path = link.absolute()
        self.report["local"] = {
            "path": str(path),
            "datapackage": str(path / META_FILE),
            "data": str(path / DATA_FILE),
        }
        self.progress("write", 1, 1)
        return str(path)

    def _to_ckan(self, plan: Plan, table: sa.Table, publisher: CkanPublisher) -> str:
        opened = targets.OpenWriter(self.state.sessions, table)
        with tempfile.TemporaryDirectory(prefix="civichub-publish-") as tmp:
            csv_path = Path(tmp) / f"{self.dataset_id}.csv"
            with targets.CsvFile(csv_path, plan.output_fields) as out:
                gate = self._apply(plan, [out.write, opened.write])
            self.report["residual_scan"] = gate.summary()
            self.progress("write", 0, None)
            ref = publisher.publish(self._ckan_publication(plan, csv_path, table))
        self.report["ckan"] = {
            "package_id": ref.package_id,
            "package_name": ref.package_name,
            "package_url": ref.package_url,
            "organization": ref.organization,
            "resource_id": ref.resource_id,
            "resource_url": ref.resource_url,
            "created": ref.created,
            "leftovers": list(ref.leftovers),
        }
        self.progress("write", 1, 1)
        return ref.package_url

    def _switch(self, run_id: int, plan: Plan, url: str) -> None:
        rep = plan.report
        with session_scope(self.state.sessions) as session:
            service.succeed(
                session,
                publication_id=run_id,
                url=url,
                rows=rep.rows_out,
                suppressed=rep.rows_suppressed,
                k=rep.k_achieved,
                report=self.report,
                actor=self.actor,
            )
        self.progress("switch", 1, 1)

    def _retire(self) -> None:
        try:
            with session_scope(self.state.sessions) as session:
                service.retire(session, dataset_id=self.dataset_id)
        except Exception:  # the publication stands; the next one drops them
            log.warning("could not drop old open tables of %s", self.dataset_id, exc_info=True)

    def _fail(self, run_id: int, exc: BaseException) -> None:
        try:
            with session_scope(self.state.sessions) as session:
                service.fail(
                    session,
                    publication_id=run_id,
                    error=_message(exc),
                    report=self.report,
                    actor=self.actor,
                )
        except Exception:  # the next publication marks the run abandoned
            log.exception("could not record the failed publication %s", run_id)

    # -- reading --------------------------------------------------------------------
    def _read(self, names: Sequence[str], stage: str) -> Iterator[Columns]:
        """The version's rows in key order, ``names`` decrypted, one transaction a batch."""
        lay, table = self.source.layout, self.source.table
        key = table.c[lay.key_column]
        columns = [table.c[n] for n in names if n != lay.key_column] + [key]
        after, done = None, 0
        while True:
            query = sa.select(*columns).order_by(key).limit(self.batch_size)
            if after is not None:
                query = query.where(key > after)
            rows = self._fetch(query)
            if not rows:
                return
            keys = [str(tables.to_text(r._mapping[lay.key_column])) for r in rows]
            raw = {n: [r._mapping[n] for r in rows] for n in names}
            batch = tables.decode_columns(lay, raw, keys, self.state.cipher)
            batch[KEY] = keys
            done += len(rows)
            self.progress(stage, done, self.source.rows)
            yield batch
            after = rows[-1]._mapping[lay.key_column]
            if len(rows) < self.batch_size:
                return

    def _fetch(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        try:
            with session_scope(self.state.sessions) as session:
                service.read_only(session)
                return list(session.execute(query).all())
        except sa.exc.DBAPIError:
            if not sa.inspect(self.state.engine).has_table(self.source.table.name):
                raise OutputCheckFailed(
                    f"version {self.source.version} of {self.dataset_id!r} was retired while "
                    "it was being published (the dataset was ingested again, twice); "
                    "publish again"
                ) from None
            raise

    # -- results and records --------------------------------------------------------
    def _result(
        self, plan: Plan, run_id: int | None, url: str | None, *, dry_run: bool
    ) -> PublishResult:
        rep = plan.report
        return PublishResult(
            dataset=self.dataset_id,
            version=self.source.version,
            target=self.target.value,
            dry_run=dry_run,
            publication_id=run_id,
            url=url,
            rows=rep.rows_out,
            suppressed=rep.rows_suppressed,
            k=rep.k_achieved,
            report=self.report,
        )

    def _ckan_publication(self, plan: Plan, csv_path: Path, table: sa.Table) -> CkanPublication:
        return targets.ckan_publication(
            self.source.descriptor,
            agency_title=self.source.agency_title,
            version=self.source.version,
            rep=plan.report,
            report=self.report,
            csv_path=csv_path,
            batches=service.column_batches(self.state.sessions, table, size=self.batch_size),
        )

    def _audit_preview(self, *, decision: str, detail: dict[str, Any]) -> None:
        with session_scope(self.state.sessions) as session:
            audit.append(
                session,
                self.actor.event(
                    PublicationPreviewed,
                    dataset=self.dataset_id,
                    decision=decision,
                    detail={
                        "target": self.target.value,
                        "version": self.source.version,
                        "dry_run": True,
                        **detail,
                    },
                ),
            )


def _message(exc: BaseException) -> str:
    """What the publication record says went wrong (the hub's one-line ``detail``)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    problem = problem_for(exc)
    if problem.slug == "internal":
        return f"{type(exc).__name__}: {exc}"[:2000]
    return problem.detail
