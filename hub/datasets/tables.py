"""One typed table per dataset version.

Tables are named ``data_<dataset pk>_v<version>`` (stable, short, no user text in SQL
identifiers) and built from the fields recorded on the version, so a table can be read
back without reflection. Their primary key is the descriptor's ``primary_key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from connectors.descriptor import FieldSpec, FieldType
from hub.db import UTCDateTime

SQL_TYPES: dict[FieldType, Any] = {
    FieldType.string: sa.Text,
    FieldType.text: sa.Text,
    FieldType.integer: sa.BigInteger,
    FieldType.number: sa.Double,
    FieldType.boolean: sa.Boolean,
    FieldType.date: sa.Date,
    FieldType.datetime: UTCDateTime,
}


def table_name(dataset_pk: int, number: int) -> str:
    return f"data_{dataset_pk}_v{number}"


def build_table(name: str, fields: Sequence[FieldSpec], primary_key: str) -> sa.Table:
    metadata = sa.MetaData()
    columns = [
        sa.Column(
            f.name,
            SQL_TYPES[f.type](),
            primary_key=f.name == primary_key,
            nullable=f.name != primary_key,
        )
        for f in fields
    ]
    return sa.Table(name, metadata, *columns)


@lru_cache(maxsize=256)
def _cached(name: str, fields_key: tuple[tuple[str, str], ...], primary_key: str) -> sa.Table:
    fields = [FieldSpec(name=n, type=FieldType(t)) for n, t in fields_key]
    return build_table(name, fields, primary_key)


def version_table(name: str, fields: Sequence[dict[str, Any]], primary_key: str) -> sa.Table:
    """The table of a stored version (``DatasetVersion.fields`` holds field dicts)."""
    key = tuple((f["name"], f["type"]) for f in fields)
    return _cached(name, key, primary_key)


def drop_table(conn: sa.Connection, name: str) -> None:
    sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
