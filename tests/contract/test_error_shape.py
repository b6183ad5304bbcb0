"""Every error is RFC 9457 problem+json with type, title, status and detail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

CASES = [
    # (method, path, kwargs, expected status) — one row per way a request can fail
    ("GET", "/v1/datasets", {}, 401),  # no token
    ("GET", "/v1/datasets", {"headers": {"Authorization": "Bearer x.y.z"}}, 401),  # garbage token
    ("GET", "/no/such/route", {}, 404),  # unknown route
    ("DELETE", "/healthz", {}, 405),  # wrong method
    ("POST", "/v1/auth/token", {"data": {"grant_type": "password"}}, 400),  # unsupported grant
    ("POST", "/v1/auth/token", {}, 400),  # form field missing
    (
        "POST",
        "/v1/auth/token",
        {"data": {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}},
        401,
    ),  # unknown client
    (
        "POST",
        "/v1/datasets",
        {"headers": {"Content-Length": str(10**10)}, "content": b"{}"},
        413,
    ),  # declared body far over the cap
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), CASES)
def test_problem_shape(contract_app, method, path, kwargs, status):
    with TestClient(contract_app) as client:
        response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["detail"], str) and body["detail"]


def test_401_names_the_bearer_scheme(contract_app):
    with TestClient(contract_app) as client:
        response = client.get("/v1/datasets")
    assert response.headers["www-authenticate"].startswith("Bearer")
