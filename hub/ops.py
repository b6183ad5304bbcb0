"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import time

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from hub.deps import HubDep, Public
from hub.errors import Unavailable
from hub.store import current_revision, head_revision

router = APIRouter(tags=["operations"])


class Metrics:
    """Per-app registry: two apps in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "civichub_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "civichub_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, request: Request, status: int, started: float) -> None:
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        self.requests.labels(request.method, path, str(status)).inc()
        self.latency.labels(request.method, path).observe(time.perf_counter() - started)


@router.get("/healthz", dependencies=[Public], summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Public], summary="Readiness: database, schema, keys")
def readyz(hub: HubDep) -> dict[str, str]:
    try:
        with hub.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        revision = current_revision(hub.engine)
    except sa.exc.SQLAlchemyError as exc:
        raise Unavailable(f"database unreachable: {type(exc).__name__}") from None
    if revision != head_revision():
        raise Unavailable(
            f"database schema at {revision}, expected {head_revision()}; run `civichub init`"
        )
    hub.keyring.active()
    return {"status": "ready", "schema": revision or ""}


@router.get(
    "/metrics",
    dependencies=[Public],
    summary="Prometheus metrics",
    response_class=PlainTextResponse,  # documented as text/plain, not JSON
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
