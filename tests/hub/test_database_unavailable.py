"""A database that went away answers 503 with a fixed detail, never 500 with the driver's text."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.errors import problem_for
from hub.state import HubState
from hub.store import migrate
from tests.hub.conftest import bearer, hub_settings, issue_token


def test_an_invalidated_connection_is_503_without_the_statement() -> None:
    lost = sa.exc.OperationalError(
        "SELECT secret FROM data_1_v1", {}, Exception("server closed"), connection_invalidated=True
    )
    problem = problem_for(lost)
    assert (problem.status, problem.slug) == (503, "database-unavailable")
    assert "secret" not in problem.detail and "server closed" not in problem.detail


def test_a_refused_statement_is_still_a_500() -> None:
    refused = sa.exc.ProgrammingError("SELECT nope", {}, Exception("syntax error"))
    assert problem_for(refused).status == 500
    assert problem_for(sa.exc.OperationalError("SELECT 1", {}, Exception("x"))).status == 500


def test_a_database_that_cannot_be_reached_answers_503(tmp_path, keys_template) -> None:
    # port 1 on loopback: nothing listens there, so every connection is refused
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    state = HubState.build(hub_settings(url, tmp_path / "var", keys_template))
    app = create_app(state.settings, state=state)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/v1/datasets", headers=bearer(issue_token(state)))
    finally:
        state.close()
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["type"].endswith("database-unavailable")
    assert "127.0.0.1" not in body["detail"] and "nobody" not in body["detail"]


@pytest.mark.postgres
def test_a_connection_dropped_under_a_worker_is_503_once_then_the_pool_recovers(
    pg_schema_url: str, tmp_path, keys_template
) -> None:
    name = f"civichub-drop-{uuid.uuid4().hex[:8]}"  # marks this test's connections
    url = f"{pg_schema_url}&application_name={name}"
    state = HubState.build(hub_settings(url, tmp_path / "var", keys_template))
    migrate(state.engine)
    headers = bearer(issue_token(state))
    app = create_app(state.settings, state=state)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/v1/datasets", headers=headers).status_code == 200
            libpq = pg_schema_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
            with psycopg.connect(libpq, autocommit=True) as admin:
                ended = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = %s",
                    (name,),
                ).fetchone()
            assert ended is not None and ended[0] >= 1
            # used moments ago, so handed out without a ping: the first statement fails
            dropped = client.get("/v1/datasets", headers=headers)
            assert dropped.status_code == 503, dropped.text
            assert dropped.json()["type"].endswith("database-unavailable")
            assert client.get("/v1/datasets", headers=headers).status_code == 200
    finally:
        state.close()
