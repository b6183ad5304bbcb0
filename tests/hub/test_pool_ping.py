"""Pooled PostgreSQL connections are pinged after idling, not on every checkout.

The server ends the pooled backend (as a restart, failover or idle timeout would); an
idle connection must be replaced before use, with no error reaching the caller.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import make_engine


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _terminate(pg_url: str, pid: int) -> None:
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            ended = conn.exec_driver_sql("SELECT pg_terminate_backend(%s)", (pid,)).scalar_one()
        assert ended, f"backend {pid} was not there to end"
    finally:
        admin.dispose()


def test_an_idle_connection_whose_backend_ended_is_replaced(pg_url):
    engine = make_engine(pg_url, ping_after_idle=0.0, pool_size=1, max_overflow=0)
    try:
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        second = _backend_pid(engine)  # would raise OperationalError without the ping
        assert second != first
    finally:
        engine.dispose()


def test_a_busy_connection_is_not_pinged_so_a_dead_one_fails_once(pg_url):
    engine = make_engine(pg_url, ping_after_idle=3600.0, pool_size=1, max_overflow=0)
    try:
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        # recently used: handed out unchecked, so the dead backend shows on first use...
        try:
            _backend_pid(engine)
            raised = None
        except sa.exc.OperationalError as exc:
            raised = exc
        assert raised is not None and raised.connection_invalidated
        # ...and the pool has dropped it: the next checkout connects afresh
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()


def test_pool_pre_ping_still_wins_when_asked_for(pg_url):
    engine = make_engine(pg_url, pool_pre_ping=True, ping_after_idle=3600.0, pool_size=1)
    try:
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
