"""One ingest per dataset at a time, with a lock that dies with its holder.

A heartbeat cannot tell a slow ingest from a killed one, so liveness comes from a lock the
operating system or the database releases when the process ends: a session-level advisory
lock on PostgreSQL (held on its own connection for the whole ingest; works across hosts),
an ``flock`` on a file beside the database on SQLite. Whoever holds the lock may treat any
``loading`` version of that dataset as abandoned.

Publications of a dataset (``publish_lock``) are serialized the same way, with a lock of
their own: a publish and an ingest of the same dataset may run side by side (the publish
reads the version that was current when it started).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from hub.errors import Conflict


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _busy(dataset_id: str) -> Conflict:
    return Conflict(
        f"an ingest of {dataset_id!r} is already running; wait for it to finish "
        "(`civichub dataset show` gives its progress)"
    )


@contextmanager
def ingest_lock(engine: sa.Engine, dataset_id: str) -> Iterator[None]:
    with _lock(engine, f"ingest:{dataset_id}", f".ingest-{dataset_id}.lock", _busy(dataset_id)):
        yield


@contextmanager
def publish_lock(engine: sa.Engine, dataset_id: str) -> Iterator[None]:
    """One publication of ``dataset_id`` at a time (CKAN and the local catalog need it)."""
    busy = Conflict(
        f"a publication of {dataset_id!r} is already running; wait for it to finish "
        "(`GET /v1/publications` lists it as running)"
    )
    with _lock(engine, f"publish:{dataset_id}", f".publish-{dataset_id}.lock", busy):
        yield


@contextmanager
def _lock(engine: sa.Engine, name: str, file_name: str, busy: Conflict) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, _key(name), busy):
            yield
    else:
        with _file_lock(engine, file_name, busy):
            yield


@contextmanager
def _pg_lock(engine: sa.Engine, key: int, busy: Conflict) -> Iterator[None]:
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
        if not got.scalar():
            raise busy
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


@contextmanager
def _file_lock(engine: sa.Engine, file_name: str, busy: Conflict) -> Iterator[None]:
    database = engine.url.database
    folder = Path(database).resolve().parent if database and database != ":memory:" else Path(".")
    fd = os.open(folder / file_name, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
