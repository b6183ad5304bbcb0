"""Publication records, and the open tables the open data API reads. Services flush.

A publication (``models.Publication``) is one run of ``flows.publish``: ``running`` while
it works, then ``published`` or ``failed``. Its de-identified rows are also kept in the
hub store, in ``open_<dataset pk>_p<publication id>``: a plain typed table (nothing
personal is left in it, so nothing is encrypted) keyed by the row number ``_row``. The
table is filled while its publication is ``running``, which no reader looks at; the open
API reads the newest ``published`` publication of a dataset that still exists, so
marking a run published is the one transaction that switches readers. The previous
publication's table is kept for cursors in flight; older ones are dropped.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from connectors.descriptor import FieldSpec, FieldType
from hub.audit import service as audit
from hub.audit.events import DatasetPublished, PublicationFailed
from hub.context import Actor
from hub.datasets import tables
from hub.datasets.models import Dataset
from hub.db import session_scope, utcnow
from hub.errors import BadRequest, Gone, Invalid, NotFound
from hub.publishing.models import Publication
from hub.records.service import coerce_value
from hub.settings import Settings

#: the open table's key: the row's number in the published file, from 1
ROW = "_row"
#: published publications whose open table is kept besides the newest (open cursors)
KEEP_PREVIOUS = 1
RUNNING, PUBLISHED, FAILED = "running", "published", "failed"
ABANDONED = (
    "abandoned: the publishing process stopped before it finished; the previous "
    "publication stayed in place"
)
#: Table Schema types (what ``catalog.package.table_schema`` says) -> SQL column types
_SQL: dict[str, Any] = {
    "string": sa.Text,
    "integer": sa.BigInteger,
    "number": sa.Double,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "datetime": lambda: sa.DateTime(timezone=True),
}
_FIELD_TYPES = {
    "string": FieldType.string,
    "integer": FieldType.integer,
    "number": FieldType.number,
    "boolean": FieldType.boolean,
    "date": FieldType.date,
    "datetime": FieldType.datetime,
}


class Target(StrEnum):
    ckan = "ckan"
    local = "local"


def resolve_target(settings: Settings, requested: str | None) -> Target:
    """The target asked for, or CKAN when it is configured, else the local catalog."""
    if requested is None:
        return Target.ckan if settings.ckan_url else Target.local
    try:
        target = Target(requested)
    except ValueError:
        raise BadRequest(f"target must be 'ckan' or 'local', not {requested!r}") from None
    if target is Target.ckan and not settings.ckan_url:
        raise Invalid(
            "CKAN is not configured on this hub: set CIVICHUB_CKAN_URL and "
            "CIVICHUB_CKAN_API_TOKEN, or publish to the local catalog (target local)"
        )
    return target


# -- open tables --------------------------------------------------------------------------
def open_table_name(dataset_pk: int, publication_id: int) -> str:
    return f"open_{dataset_pk}_p{publication_id}"


def open_table(name: str, schema: Sequence[Mapping[str, Any]]) -> sa.Table:
    """The table of published rows: ``_row`` and one typed column per published field."""
    columns = [sa.Column(ROW, sa.BigInteger, primary_key=True, autoincrement=False)]
    columns += [sa.Column(f["name"], _SQL[f["type"]]()) for f in schema]
    return sa.Table(name, sa.MetaData(), *columns)


def field_names(schema: Sequence[Mapping[str, Any]]) -> list[str]:
    return [f["name"] for f in schema]


def insert_rows(
    session: Session, table: sa.Table, columns: Mapping[str, list[Any]], *, first_row: int
) -> int:
    """Insert one batch of published columns as rows ``first_row + 1, ...``; rows added."""
    names = [c.name for c in table.columns if c.name != ROW]
    count = len(columns[names[0]]) if names else 0
    rows = [
        {ROW: first_row + i + 1, **{name: columns[name][i] for name in names}} for i in range(count)
    ]
    if rows:
        session.execute(sa.insert(table), rows)
    return count


def column_batches(
    factory: sessionmaker[Session], table: sa.Table, *, size: int
) -> Iterator[dict[str, list[Any]]]:
    """The open table as batches of columns, in row order, one short transaction each."""
    names = [c.name for c in table.columns if c.name != ROW]
    after = 0
    while True:
        with session_scope(factory) as session:
            read_only(session)
            query = sa.select(table).where(table.c[ROW] > after).order_by(table.c[ROW])
            rows = session.execute(query.limit(size)).all()
        if not rows:
            return
        yield {name: [r._mapping[name] for r in rows] for name in names}
        after = rows[-1]._mapping[ROW]


def read_only(session: Session) -> None:
    """SQLite: a reading transaction need not take the write lock (``BEGIN DEFERRED``)."""
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})


# -- the publication record ---------------------------------------------------------------
def start(
    session: Session,
    *,
    dataset: Dataset,
    version: int,
    target: Target,
    actor: Actor,
    report: dict[str, Any],
) -> Publication:
    publication = Publication(
        dataset_id=dataset.id,
        dataset_version=version,
        target=target.value,
        status=RUNNING,
        report=report,
        published_by=actor.principal.sub[:200],
    )
    session.add(publication)
    session.flush()
    publication.table_name = open_table_name(dataset.pk, publication.id)
    session.flush()
    return publication


def clear_abandoned(session: Session, *, dataset_id: str, actor: Actor) -> int:
    """Runs left ``running`` by a dead process (the caller holds the publish lock)."""
    stale = session.scalars(
        sa.select(Publication).where(
            Publication.dataset_id == dataset_id, Publication.status == RUNNING
        )
    ).all()
    for publication in stale:
        _fail(session, publication, ABANDONED, actor)
    return len(stale)


def succeed(
    session: Session,
    *,
    publication_id: int,
    url: str,
    rows: int,
    suppressed: int,
    k: int,
    report: dict[str, Any],
    actor: Actor,
) -> Publication:
    """The switch: from now on the open API serves this publication's table."""
    publication = get(session, publication_id)
    publication.status = PUBLISHED
    publication.url = url[:1000]
    publication.rows, publication.suppressed, publication.k = rows, suppressed, k
    publication.report = report
    publication.finished_at = utcnow()
    session.flush()
    deid = report["deidentification"]
    audit.append(
        session,
        actor.event(
            DatasetPublished,
            dataset=publication.dataset_id,
            fields=tuple(field_names(report["schema"])),
            row_count=rows,
            detail={
                "publication": publication.id,
                "target": publication.target,
                "url": publication.url,
                "version": publication.dataset_version,
                "k": deid["k"],
                "suppressed": suppressed,
            },
        ),
    )
    return publication


def fail(
    session: Session, *, publication_id: int, error: str, report: dict[str, Any], actor: Actor
) -> None:
    publication = get(session, publication_id)
    if publication.status != RUNNING:
        return
    publication.report = report
    _fail(session, publication, error, actor)


def _fail(session: Session, publication: Publication, error: str, actor: Actor) -> None:
    if publication.table_name:
        tables.drop_table(session.connection(), publication.table_name)
    publication.table_name = None
    publication.status = FAILED
    publication.error = error[:4000] or "failed"
    publication.finished_at = utcnow()
    session.flush()
    audit.append(
        session,
        actor.event(
            PublicationFailed,
            dataset=publication.dataset_id,
            decision="error",
            detail={
                "publication": publication.id,
                "target": publication.target,
                "version": publication.dataset_version,
                "error": publication.error[:500],
            },
        ),
    )


def retire(session: Session, *, dataset_id: str) -> int:
    """Drop the open tables of publications older than the newest and ``KEEP_PREVIOUS``."""
    published = session.scalars(
        sa.select(Publication)
        .where(
            Publication.dataset_id == dataset_id,
            Publication.status == PUBLISHED,
            Publication.table_name.is_not(None),
        )
        .order_by(Publication.id.desc())
    ).all()
    for publication in published[1 + KEEP_PREVIOUS :]:
        tables.drop_table(session.connection(), str(publication.table_name))
        publication.table_name = None
    session.flush()
    return max(len(published) - 1 - KEEP_PREVIOUS, 0)


def get(session: Session, publication_id: int) -> Publication:
    publication = session.get(Publication, publication_id)
    if publication is None:
        raise NotFound(f"no publication {publication_id}; GET /v1/publications lists them")
    return publication


def history(
    session: Session,
    *,
    dataset_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Publication], int]:
    """Publications, newest first."""
    query = sa.select(Publication)
    if dataset_id:
        query = query.where(Publication.dataset_id == dataset_id)
    if status:
        query = query.where(Publication.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Publication.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of a stored report a list shows (no field-by-field detail)."""
    deid = report.get("deidentification") or {}
    risk = deid.get("risk") or {}
    return {
        "k": deid.get("k"),
        "rows": deid.get("rows"),
        "max_risk": risk.get("max_prosecutor"),
        "avg_risk": risk.get("avg_prosecutor"),
        "generalization": {
            name: g.get("label") for name, g in (deid.get("generalization") or {}).items()
        },
        "residual_scan": report.get("residual_scan"),
    }


# -- the open data API --------------------------------------------------------------------
def _served() -> sa.Select[tuple[Publication]]:
    """Published publications with an open table, of datasets that still exist."""
    return (
        sa.select(Publication)
        .join(Dataset, Dataset.id == Publication.dataset_id)
        .where(Publication.status == PUBLISHED, Publication.table_name.is_not(None))
    )


def open_datasets(
    session: Session, *, limit: int = 100, offset: int = 0
) -> tuple[list[Publication], int]:
    """The newest publication of every published dataset, by dataset id."""
    read_only(session)
    newest = (
        sa.select(sa.func.max(Publication.id))
        .join(Dataset, Dataset.id == Publication.dataset_id)
        .where(Publication.status == PUBLISHED, Publication.table_name.is_not(None))
        .group_by(Publication.dataset_id)
    )
    query = sa.select(Publication).where(Publication.id.in_(newest))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Publication.dataset_id).limit(limit).offset(offset))
    return list(rows), total


def served_publication(
    session: Session, dataset_id: str, *, publication_id: int | None = None
) -> Publication:
    """The newest served publication, or the one a cursor names (410 once dropped)."""
    read_only(session)
    query = _served().where(Publication.dataset_id == dataset_id)
    if publication_id is not None:
        found = session.scalar(query.where(Publication.id == publication_id))
        if found is None:
            raise Gone(
                "this cursor belongs to an earlier publication of the dataset that is no "
                "longer kept (it was published again); start again without `cursor`"
            )
        return found
    found = session.scalar(query.order_by(Publication.id.desc()).limit(1))
    if found is None:
        raise NotFound(
            f"{dataset_id!r} is not published as open data; GET /v1/open/datasets lists "
            "the datasets that are"
        )
    return found


def served_table(publication: Publication) -> sa.Table:
    return open_table(str(publication.table_name), publication.report["schema"])


def open_filters(schema: Sequence[Mapping[str, Any]], raw: Mapping[str, str]) -> dict[str, Any]:
    """Equality filters on published fields, typed like the published column."""
    by_name = {f["name"]: f for f in schema}
    unknown = sorted(set(raw) - set(by_name))
    if unknown:
        raise BadRequest(
            f"unknown filter field(s): {', '.join(unknown)}; filter on a published field: "
            f"{', '.join(by_name)} (reserved: cursor, format, limit)"
        )
    out = {}
    for name, value in raw.items():
        spec = FieldSpec(name=name, type=_FIELD_TYPES[by_name[name]["type"]])
        out[name] = coerce_value(spec, value)
    return out


def open_rows(
    session: Session,
    table: sa.Table,
    *,
    filters: Mapping[str, Any],
    after: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` rows after row ``after``, each with its ``_row`` (for the cursor)."""
    query = sa.select(table).where(*(table.c[n] == v for n, v in filters.items()))
    if after is not None:
        query = query.where(table.c[ROW] > after)
    rows = session.execute(query.order_by(table.c[ROW]).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def public_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != ROW}


def encode_cursor(publication_id: int, row: int) -> str:
    raw = json.dumps({"p": publication_id, "r": row}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        return int(data["p"]), int(data["r"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadRequest(
            "cursor is not valid; pass back the `next_cursor` of the previous page unchanged"
        ) from None
