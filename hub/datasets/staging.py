"""Writing an encoded batch into a version table: the rows whose key is new, and which.

The ingest needs to know which rows went in (the others repeat an earlier key and are
quarantined). A multi-row ``INSERT ... VALUES`` with thousands of placeholders costs more
to build and parse than the insert itself, so on PostgreSQL a batch travels as ``COPY``
text. The version table is new and written by this ingest alone, so most batches hold no
key the table already has: they are copied straight into it, inside a savepoint. When the
copy hits an existing key, the savepoint is rolled back and the batch goes through a
temporary staging table and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``.
SQLite always stages, with one ``executemany``.

Within a batch the first row with a key wins: later rows with that key are never sent,
so which row the database keeps does not depend on the order it reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from hub.datasets.tables import Encoded, to_text


@dataclass(frozen=True)
class Staged:
    """A batch as the database gets it: one row per key, as COPY text or as rows."""

    names: tuple[str, ...]
    key_column: str
    keys: list[Any]  # of the rows, in their order
    text: str | None = None  # PostgreSQL: the rows in COPY's text format
    rows: list[tuple[Any, ...]] | None = None  # SQLite


def stage(batch: Encoded, *, copy: bool) -> Staged:
    """The rows of ``batch`` to send (the first of each key), formatted for the database."""
    columns = _first_of_each_key(batch)
    names, key = tuple(columns), batch.key_column
    if copy:
        return Staged(names, key, columns[key], text=copy_text(list(columns.values())))
    rows = list(zip(*columns.values(), strict=True))
    return Staged(names, key, columns[key], rows=rows)


def insert_new(session: Session, table: sa.Table, batch: Staged) -> set[Any]:
    """Insert the rows of ``batch`` whose key ``table`` does not hold yet; their keys."""
    if not batch.keys:
        return set()
    if batch.text is not None:
        return _copy_in(session, table, batch)
    return _executemany_in(session, table, batch)


def _first_of_each_key(batch: Encoded) -> dict[str, list[Any]]:
    keys = batch.keys
    if len(set(keys)) == len(keys):
        return batch.columns
    first: dict[Any, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    keep = list(first.values())  # in the order of the rows: a dict keeps insertion order
    return {name: [values[i] for i in keep] for name, values in batch.columns.items()}


# -- PostgreSQL: COPY, straight in or through staging --------------------------------------
def _copy_in(session: Session, table: sa.Table, batch: Staged) -> set[Any]:
    # the session's own connection: the batch commits (or not) with the rest of its work
    conn = cast(psycopg.Connection[Any], session.connection().connection.driver_connection)
    columns = sql.SQL(", ").join(map(sql.Identifier, batch.names))
    with conn.cursor() as cur:
        # a savepoint, not conn.transaction(): that would commit on its own if the
        # session had not sent anything yet in this transaction
        cur.execute("SAVEPOINT straight_copy")
        try:
            _copy(cur, sql.Identifier(table.name), columns, batch.text)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT straight_copy")
            return _through_staging(cur, table.name, columns, batch)
        cur.execute("RELEASE SAVEPOINT straight_copy")
        return set(batch.keys)


def _through_staging(
    cur: psycopg.Cursor[Any], name: str, columns: sql.Composable, batch: Staged
) -> set[Any]:
    target, stage_table = sql.Identifier(name), sql.Identifier(f"stage_{name}")
    # LIKE copies the columns and NOT NULL, no index: filling it costs little beyond COPY
    cur.execute(sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {})").format(stage_table, target))
    _copy(cur, stage_table, columns, batch.text)
    move = "INSERT INTO {t} ({c}) SELECT {c} FROM {s} ON CONFLICT DO NOTHING RETURNING {k}"
    key = sql.Identifier(batch.key_column)
    cur.execute(sql.SQL(move).format(t=target, c=columns, s=stage_table, k=key))
    inserted = {row[0] for row in cur.fetchall()}
    # dropped now, so the next batch starts empty; if anything above fails, the rollback
    # takes the table away with the rest of the transaction
    cur.execute(sql.SQL("DROP TABLE {}").format(stage_table))
    return inserted


def _copy(
    cur: psycopg.Cursor[Any], table: sql.Identifier, columns: sql.Composable, text: str | None
) -> None:
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, columns)) as copy:
        copy.write(text or "")


def copy_text(columns: list[list[Any]]) -> str:
    """Columns of values -> the rows in COPY's text format (tab-separated, ``\\N`` for null)."""
    if not columns or not columns[0]:
        return ""
    fields = [_copy_fields(values) for values in columns]
    return "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"


_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_fields(values: list[Any]) -> list[str]:
    """One column's values as COPY text fields."""
    texts = ["" if v is None else v if v.__class__ is str else to_text(v) or "" for v in values]
    # escape the whole column at once: joined with NUL, which PostgreSQL text cannot hold
    joined = "\0".join(texts)
    if joined.count("\0") != len(texts) - 1:
        raise ValueError("a text value holds a NUL character, which PostgreSQL cannot store")
    if any(char in joined for char, _ in _ESCAPES):
        for char, escaped in _ESCAPES:
            joined = joined.replace(char, escaped)
        texts = joined.split("\0")
    if None in values:
        for i, value in enumerate(values):
            if value is None:
                texts[i] = "\\N"
    return texts


# -- SQLite: executemany into staging, then one INSERT ... SELECT --------------------------
def _executemany_in(session: Session, table: sa.Table, batch: Staged) -> set[Any]:
    names = batch.names
    stage_table = sa.Table(
        f"stage_{table.name}",
        sa.MetaData(),
        *(sa.Column(name, table.c[name].type) for name in names),
        prefixes=["TEMPORARY"],
    )
    conn = session.connection()
    stage_table.create(conn)
    rows = [dict(zip(names, row, strict=True)) for row in batch.rows or ()]
    conn.execute(sa.insert(stage_table), rows)
    # "WHERE true": without it SQLite reads ON CONFLICT as the SELECT's join clause
    select = sa.select(*(stage_table.c[name] for name in names)).where(sa.true())
    move = sqlite.insert(table).from_select(names, select).on_conflict_do_nothing()
    inserted = set(conn.execute(move.returning(table.c[batch.key_column])).scalars())
    stage_table.drop(conn)  # a failure above rolls its creation back instead
    return inserted
