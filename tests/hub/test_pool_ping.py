"""Pooled PostgreSQL connections are pinged after idling, not on every checkout.

The server ends the pooled backend (as a restart, failover or idle timeout would); an
idle connection must be replaced before use, with no error reaching the caller.
"""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize(
    "options",
    [
        {"ping_after_idle": 0.0},  # idle past the threshold: pinged
        {"pool_pre_ping": True, "ping_after_idle": 3600.0},  # asked for: pinged every time
    ],
    ids=["idle", "pre-ping"],
)
def test_a_pinged_connection_whose_backend_ended_is_replaced(pg_url, options):
    engine = make_engine(pg_url, pool_size=1, max_overflow=0, **options)
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
