"""The ``sql`` connector: a table or a SELECT in any database SQLAlchemy can reach.

Rows stream through a server-side cursor on one connection, inside a transaction that is
never committed (and is read-only on PostgreSQL), so a connector can not change the
agency's database even if its query tries to. Values come out as the driver returns them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from pydantic import Field, model_validator
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from connectors.base import ENV_REF, Connector, MappedOptions, RawRow, map_columns
from connectors.errors import SourceError
from connectors.registry import register

_IDENT = r"[A-Za-z_][A-Za-z0-9_$]{0,62}"
_TABLE = re.compile(rf"^{_IDENT}(\.{_IDENT})?$")
_SELECT = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


class SqlOptions(MappedOptions):
    url: str = Field(min_length=1)
    table: str | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SqlOptions:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` or `query`")
        if self.table is not None and not _TABLE.match(self.table):
            raise ValueError(f"table {self.table!r} must be a name or schema.name")
        if self.query is not None and not _is_single_select(self.query):
            raise ValueError("query must be a single SELECT (or WITH ... SELECT) statement")
        if not ENV_REF.search(self.url):
            _parse_url(self.url, error=ValueError)
        return self


@register
class SqlConnector(Connector):
    name = "sql"
    Options = SqlOptions
    unit = "rows"

    options: SqlOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._done = 0
        self._total: int | None = None

    def describe(self) -> str:
        url = self.options.url
        if not ENV_REF.search(url):  # an env reference is already free of secrets
            url = make_url(url).render_as_string(hide_password=True)
        what = f"table {self.options.table}" if self.options.table else "query"
        return f"SQL {url} {what}"

    def progress(self) -> tuple[int, int | None]:
        total = self._total
        # an estimate can lag behind the rows actually read
        return self._done, None if total is None else max(total, self._done)

    def batches(self, batch_size: int = 5000) -> Iterator[list[RawRow]]:
        self._done, self._total = 0, None
        engine = self._engine()
        try:
            with engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execution_options(postgresql_readonly=True)
                yield from self._stream(conn, batch_size)
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(self._explain(exc)) from None
        finally:
            engine.dispose()

    def _engine(self) -> sa.Engine:
        url = _parse_url(self.context.expand(self.options.url), error=SourceError)
        try:
            return sa.create_engine(url, poolclass=NullPool)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            raise SourceError(
                f"cannot use database URL {url.render_as_string(hide_password=True)}: {exc}; "
                "check the dialect name and that its driver is installed"
            ) from None

    def _stream(self, conn: Connection, batch_size: int) -> Iterator[list[RawRow]]:
        self._total = self._row_count(conn)
        result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
            self._statement()
        )
        pairs = map_columns(
            list(result.keys()), self.fields, self.options.columns, what="SQL result"
        )
        number = 0
        for partition in result.partitions():
            batch = []
            for row in partition:
                number += 1
                batch.append(RawRow(number, {name: row[i] for i, name in pairs}))
            self._done = number
            yield batch

    def _statement(self) -> sa.Executable:
        if self.options.query is not None:
            return sa.text(self.options.query)
        return sa.select(sa.text("*")).select_from(_table(self.options.table or ""))

    def _row_count(self, conn: Connection) -> int | None:
        """Rows to expect, when that is cheap: PostgreSQL's estimate, else COUNT(*) of a table."""
        if self.options.table is None:
            return None  # counting a query would run it twice
        table = _table(self.options.table)
        if conn.dialect.name == "postgresql":
            qualified = conn.dialect.identifier_preparer.format_table(table)
            estimate = conn.execute(
                sa.text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": qualified},
            ).scalar()
            return int(estimate) if estimate is not None and estimate >= 0 else None
        count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        return int(count) if count is not None else None

    def _explain(self, exc: sa.exc.SQLAlchemyError) -> str:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if self.options.table:
            source = f"table {self.options.table!r}"
            hint = f"check the url, the credentials and that {source} exists"
        else:
            source, hint = "the query", "check the query, the url and the credentials"
        return f"cannot read {source} from {self.describe()}: {detail} ({hint})"


def _table(name: str) -> sa.TableClause:
    schema, _, table = name.rpartition(".")
    return sa.table(table, schema=schema or None)


def _parse_url(raw: str, *, error: type[Exception]) -> sa.URL:
    try:
        return make_url(raw)
    except sa.exc.ArgumentError:
        raise error(
            "url is not a database URL; write it like postgresql+psycopg://user@host/db "
            "or sqlite:///path.db (use ${env:NAME} for one that holds a password)"
        ) from None


def _is_single_select(query: str) -> bool:
    body = query.strip().removesuffix(";")
    # a stray ';' inside means several statements; string literals with ';' are rare
    # enough in extraction queries that refusing them is the safe trade
    return bool(_SELECT.match(body)) and ";" not in body
