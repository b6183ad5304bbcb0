"""Database engine, sessions and the declarative base.

The same code runs on SQLite (the embedded default) and PostgreSQL. Engines are built
explicitly by ``make_engine(settings)`` from the app factory or the CLI, never at import.
Transactions belong to the caller (a request or a job): services add and flush, the caller
commits (``session_scope``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names so Alembic migrations are the same on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONType, list[Any]: JSONType}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores naive text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: a pooled PostgreSQL connection left unused this long is pinged before it is handed out
PING_AFTER_IDLE_SECONDS = 2.0


def make_engine(
    url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any
) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that a
        # write transaction starts with BEGIN IMMEDIATE where we ask for it
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = sa.create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: sa.Engine, after: float) -> None:
    """Ping a pooled connection before use only if it sat unused for ``after`` seconds.

    ``pool_pre_ping`` pings on every checkout: one more round trip per request, a fifth of
    a lookup's. A connection checked in moments ago is almost surely alive; one idle for a
    while may have been closed by a server restart, a failover or an idle timeout, which is
    what the ping is for. A connection that dies while busy fails its statement either
    way, and SQLAlchemy then drops every pooled connection older than the failure.
    """

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < after:
            return
        try:
            with dbapi.cursor() as cursor:
                cursor.execute("SELECT 1")
            if not dbapi.autocommit:
                dbapi.rollback()  # the ping must not leave a transaction open
        except Exception as exc:
            # the pool discards this connection and checks out a fresh one
            raise sa.exc.DisconnectionError(f"stale pooled connection: {exc}") from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # IMMEDIATE by default: almost every hub transaction writes (the audit log at least),
    # and a deferred transaction that later upgrades to a write lock can fail with
    # SQLITE_BUSY regardless of busy_timeout.
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
