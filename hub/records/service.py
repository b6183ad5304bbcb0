"""Reading records under a policy decision.

The decision becomes SQL: the rule's row filter and the caller's equality filters are
bound parameters in the ``WHERE`` clause, pagination is keyset on the primary key, and only
the visible columns are selected. No row a policy filters out is ever loaded into Python.
Treatments (masking, pseudonyms, generalization) then run column-wise on each batch.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.descriptor import DatasetDescriptor, FieldSpec
from connectors.validate import InvalidValue, coerce_one
from hub.crypto import FieldCipher
from hub.datasets import service as datasets
from hub.datasets import tables
from hub.datasets.models import Dataset, DatasetVersion
from hub.errors import BadRequest, Gone, NotFound
from hub.lru import Lru
from policies.engine import Decision
from policies.treatments import TreatmentContext, apply

RESERVED_PARAMS = {"purpose", "fields", "limit", "cursor", "format"}


@dataclass(frozen=True)
class ReadPlan:
    dataset: Dataset
    descriptor: DatasetDescriptor
    version: DatasetVersion
    layout: tables.Layout
    table: sa.Table
    cipher: FieldCipher
    decision: Decision
    treatments: dict[str, Any]
    filters: dict[str, Any]

    @property
    def primary_key(self) -> str:
        return self.descriptor.primary_key

    @property
    def key(self) -> sa.Column[Any]:
        """The table's primary key column (the blind index when the key is personal data)."""
        return self.table.c[self.layout.key_column]

    @property
    def fields(self) -> list[str]:
        return list(self.treatments)


def resolve_version(
    session: Session, dataset: Dataset, current: DatasetVersion | None, cursor_version: int | None
) -> DatasetVersion:
    """The version a read uses: the cursor's, or ``current`` (the dataset's, read by the
    caller with the dataset itself)."""
    if cursor_version is not None:
        version = datasets.readable_version(session, dataset, cursor_version)
        if version is None:
            raise Gone(
                "this cursor belongs to a version of the dataset that is no longer kept "
                "(it was re-ingested); start again without `cursor`"
            )
        return version
    if current is None:
        raise NotFound(f"dataset {dataset.id!r} has no data yet; ingest it first")
    return current


def make_plan(
    *,
    dataset: Dataset,
    descriptor: DatasetDescriptor,
    version: DatasetVersion,
    layout: tables.Layout,
    decision: Decision,
    requested_fields: Sequence[str] | None,
    raw_filters: Mapping[str, str],
    cipher: FieldCipher,
) -> ReadPlan:
    """``layout`` is the version's own (PATCH may have changed pii tags since it was
    written), from ``tables.layout(dataset.id, version.fields, dataset.primary_key)``."""
    treatments = decision.project(requested_fields, descriptor.field_names)
    _known_fields(descriptor, raw_filters)
    decision.check_filters(raw_filters)  # before typing values: say "not allowed" first
    filters = coerce_filters(descriptor, raw_filters)
    table = layout.table(version.table_name)
    return ReadPlan(
        dataset, descriptor, version, layout, table, cipher, decision, dict(treatments), filters
    )


def _known_fields(descriptor: DatasetDescriptor, raw: Mapping[str, str]) -> None:
    unknown = sorted(set(raw) - set(descriptor.field_names))
    if unknown:
        raise BadRequest(
            f"unknown filter field(s): {', '.join(unknown)}; filter on one of "
            f"{', '.join(descriptor.field_names)} (reserved: {', '.join(sorted(RESERVED_PARAMS))})"
        )


def coerce_filters(descriptor: DatasetDescriptor, raw: Mapping[str, str]) -> dict[str, Any]:
    _known_fields(descriptor, raw)
    return {name: coerce_value(descriptor.field(name), value) for name, value in raw.items()}


def coerce_value(field: FieldSpec, raw: Any) -> Any:
    """One value from a URL or a token, typed like the column (same rules as ingest)."""
    try:
        value = coerce_one(field, raw)
    except InvalidValue as exc:
        raise BadRequest(str(exc)) from None
    if value is None:
        raise BadRequest(f"{field.name}: give a value to filter on (empty matches nothing)")
    return value


def _match(plan: ReadPlan, name: str, values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``name`` equals one of ``values``; encrypted fields match on their blind index."""
    lay = plan.layout
    if lay.encrypted(name) and not lay.indexed(name):
        raise BadRequest(
            f"cannot filter on {name!r}: it is stored encrypted without a lookup index "
            "(only identifier-like personal data is indexed)"
        )
    suffix = tables.INDEX_SUFFIX if lay.encrypted(name) else ""
    column = plan.table.c[name + suffix]
    stored = _stored(plan, name, values)
    return column == stored[0] if len(stored) == 1 else column.in_(stored)


def _stored(plan: ReadPlan, name: str, values: Sequence[Any]) -> list[Any]:
    """Typed ``values`` of field ``name`` as the column that is searched holds them: their
    blind indexes when the field is stored encrypted."""
    lay = plan.layout
    if not lay.encrypted(name):
        return list(values)
    return plan.cipher.blind_column(lay.domain(name), [tables.to_text(v) for v in values])


def _where(plan: ReadPlan) -> list[sa.ColumnElement[bool]]:
    clauses = []
    for name, values in plan.decision.row_filter.items():
        spec = plan.descriptor.field(name)
        clauses.append(_match(plan, name, [coerce_value(spec, v) for v in values]))
    for name, value in plan.filters.items():
        clauses.append(_match(plan, name, [value]))
    return clauses


def select_rows(plan: ReadPlan, *, after: Any, limit: int) -> sa.Select[Any]:
    columns = [plan.table.c[name] for name in plan.fields]
    if plan.layout.key_column not in plan.fields:
        columns.append(plan.key)  # needed for the cursor, decryption and the audit
    query = sa.select(*columns).where(*_where(plan)).order_by(plan.key).limit(limit)
    if after is not None:
        query = query.where(plan.key > after)
    return query


def fetch(session: Session, plan: ReadPlan, *, after: Any, limit: int) -> list[sa.Row[Any]]:
    return list(session.execute(select_rows(plan, after=after, limit=limit)).all())


def fetch_one(
    session: Session, plan: ReadPlan, key: str, statements: Lru[sa.Select[Any]]
) -> sa.Row[Any] | None:
    """The row with primary key ``key`` if the rule lets it through. ``statements`` keeps
    the lookup's statement per table, fields and row filter: building it and computing its
    cache key cost more CPU than the round trip that runs it."""
    typed = coerce_value(plan.descriptor.field(plan.primary_key), key)
    query = statements.get_or_build(_lookup_shape(plan), lambda: _lookup_query(plan))
    stored = _stored(plan, plan.primary_key, [typed])[0]
    return session.execute(query, {"lookup_key": stored}).first()


def _lookup_query(plan: ReadPlan) -> sa.Select[Any]:
    return select_rows(plan, after=None, limit=1).where(plan.key == sa.bindparam("lookup_key"))


def _lookup_shape(plan: ReadPlan) -> tuple[Any, ...]:
    """Everything ``_lookup_query`` is built from. The table object stands for its layout
    (``Layout.table`` builds one per name and layout; the key keeps it alive), and the
    blind index key of any row filter value is the hub's own."""
    row_filter = tuple(sorted((k, tuple(map(str, v))) for k, v in plan.decision.row_filter.items()))
    return (plan.table, tuple(plan.fields), row_filter)


def treat(plan: ReadPlan, rows: Sequence[sa.Row[Any]], ctx: TreatmentContext) -> list[dict]:
    if not rows:
        return []
    # rows hold plan.fields in order (then the key column if it was not asked for):
    # transposing by position is a fraction of the cost of Row._mapping per cell
    by_position = list(zip(*rows, strict=True))
    columns = {name: list(by_position[i]) for i, name in enumerate(plan.fields)}
    plain = tables.decode_columns(plan.layout, columns, keys_of(plan, rows), plan.cipher)
    treated = apply(plan.treatments, plain, ctx)
    names = list(treated)
    return [dict(zip(names, values, strict=True)) for values in zip(*treated.values(), strict=True)]


def _key_position(plan: ReadPlan) -> int:
    column = plan.layout.key_column
    return plan.fields.index(column) if column in plan.fields else len(plan.fields)


def keys_of(plan: ReadPlan, rows: Sequence[sa.Row[Any]]) -> list[str]:
    """Stored row keys: what the audit records (never plaintext personal data)."""
    i = _key_position(plan)
    if plan.layout.encrypted(plan.primary_key):
        return [row[i] for row in rows]  # blind indexes are text already
    return [str(tables.to_text(row[i])) for row in rows]


def last_key(plan: ReadPlan, rows: Sequence[sa.Row[Any]]) -> Any:
    return rows[-1][_key_position(plan)]


def cursor_key(plan: ReadPlan, raw: Any) -> Any:
    """A cursor's key, typed like the table's key column."""
    if plan.layout.encrypted(plan.primary_key):
        if not isinstance(raw, str) or len(raw) != 32:
            raise BadRequest("cursor is not valid for this dataset")
        return raw
    try:
        return coerce_value(plan.descriptor.field(plan.primary_key), raw)
    except BadRequest:
        raise BadRequest("cursor is not valid for this dataset") from None


# -- cursors ---------------------------------------------------------------------------
def encode_cursor(version_id: int, key: Any) -> str:
    if isinstance(key, date | datetime):
        key = key.isoformat()
    raw = json.dumps({"v": version_id, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[int, Any]:
    """(version id, raw key); ``cursor_key`` types the key once the plan is known."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return int(data["v"]), data["k"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadRequest(
            "cursor is not valid; pass back the `next_cursor` of the previous page unchanged"
        ) from None
