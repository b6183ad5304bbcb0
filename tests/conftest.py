"""Fixtures shared by the whole suite.

Databases are real: SQLite files under tmp_path and a fresh PostgreSQL database on the
local server (127.0.0.1:5432, trust auth) per test session, dropped afterwards. If the
PostgreSQL server cannot be reached the run fails with a clear message: CI must never
pass by skipping the database it claims to test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

# a real CKAN for the catalog tests (tools/ckan); loaded for the whole suite
pytest_plugins = ["tests.catalog.ckan_fixtures"]

PG_HOST = os.environ.get("CIVICHUB_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("CIVICHUB_TEST_PG_PORT", "5432")


def _pg_admin_url() -> str:
    explicit = os.environ.get("CIVICHUB_TEST_PG_ADMIN_URL")
    if explicit:
        return explicit
    # trust auth: whichever of root/postgres exists
    for user in (os.environ.get("PGUSER"), "postgres", "root"):
        if not user:
            continue
        url = f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/postgres"
        try:
            engine = sa.create_engine(url)
            with engine.connect():
                pass
            engine.dispose()
            return url
        except sa.exc.OperationalError:
            continue
    pytest.fail(
        f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} as postgres or root; start it "
        "(see docs/development.md) or set CIVICHUB_TEST_PG_ADMIN_URL",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped at the end)."""
    admin_url = _pg_admin_url()
    name = f"civichub_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A fresh schema inside the session database, made the search_path for this test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Each test that takes this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return request.getfixturevalue("pg_schema_url")
