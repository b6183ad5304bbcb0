"""The HTTP application: ``create_app(settings)`` wires libraries, routes and handlers.

Nothing happens at import time; ``gunicorn 'hub.app:create_app()'`` or ``civichub serve``
build the app. Every error leaves as ``application/problem+json`` through ``_problem``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import __version__, heap
from hub.access import routes as access_routes
from hub.audit import routes as audit_routes
from hub.auth import routes as auth_routes
from hub.datasets import routes as dataset_routes
from hub.errors import HubError, PayloadTooLarge, Problem, handled_errors, problem_for
from hub.limits import HeaderLimit, Limits, install_statement_timeout
from hub.openapi import install as install_openapi
from hub.ops import Metrics
from hub.ops import router as ops_router
from hub.pii import routes as pii_routes
from hub.publishing import open_routes
from hub.publishing import routes as publishing_routes
from hub.records import routes as record_routes
from hub.settings import Settings, get_settings
from hub.state import HubState

log = logging.getLogger("civichub")

PROBLEM_JSON = "application/problem+json"

DESCRIPTION = """
Civic Data Hub shares agency data under policies: each read declares a purpose, a rule of
the owning agency decides which rows and fields come back and how they are masked, and
every access is written to a hash-chained audit log.

Authenticate with `Authorization: Bearer <token>` (issue one with `civichub token issue`,
or use `POST /v1/auth/token` with client credentials). Errors are RFC 9457 problem details.
"""


def create_app(settings: Settings | None = None, *, state: HubState | None = None) -> FastAPI:
    settings = settings or get_settings()
    hub = state or HubState.build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if state is None:  # the app built its state, so it owns the process (a server worker)
            heap.settle()
        yield
        if state is None:
            hub.close()

    app = FastAPI(
        title="Civic Data Hub",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.metrics = Metrics()
    app.state.limits = Limits.from_settings(settings)
    install_statement_timeout(hub.engine, settings.statement_timeout_ms)
    for module in (
        ops_router,
        auth_routes.router,
        dataset_routes.router,
        record_routes.router,
        access_routes.router,
        audit_routes.router,
        audit_routes.me_router,
        pii_routes.router,
        publishing_routes.router,
        open_routes.router,
    ):
        app.include_router(module)
    _install_handlers(app)
    install_openapi(app)  # errors documented as problem+json (hub/openapi.py)
    app.add_middleware(BodyLimit, max_bytes=max(settings.max_body_bytes, settings.max_upload_bytes))
    app.add_middleware(HeaderLimit, max_bytes=settings.max_header_bytes)
    app.add_middleware(RequestContext)
    return app


def _problem(
    request: Request, problem: Problem, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = problem.body(instance=request.url.path)
    rid = getattr(request.state, "request_id", None)
    if rid:
        body["request_id"] = rid
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def _install_handlers(app: FastAPI) -> None:
    async def any_error(request: Request, exc: Exception) -> JSONResponse:
        problem = problem_for(exc)
        if problem.status >= 500:
            log.exception("request failed: %s %s", request.method, request.url.path)
        headers = dict(exc.headers) if isinstance(exc, HubError) else {}  # e.g. Retry-After
        if problem.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="civichub"'
        return _problem(request, problem, headers or None)

    # every known error family, then anything else (500, detail not leaked)
    for cls in (*handled_errors(), Exception):
        app.add_exception_handler(cls, any_error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        return _problem(
            request, Problem(400, "bad-request", "Bad request", detail, {"errors": errors})
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return _problem(request, Problem(exc.status_code, slug, title, str(exc.detail)))


class RequestContext:
    """Gives each request an id (``X-Request-ID``, taken from the caller if sane) and
    counts it in the metrics. Plain ASGI: ``BaseHTTPMiddleware`` costs a task and a
    memory stream per request, more than a lookup's policy decision."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if 0 < len(incoming) <= 100 and incoming.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            status = 499  # the client left mid-stream (ASGI 2.4 servers raise it from send)
        finally:
            request = Request(scope)
            request.app.state.metrics.observe(request, status, started)


class BodyLimit:
    """Refuse bodies larger than the largest cap before reading them (413).

    Routes apply their own, smaller caps while streaming; this catches a declared
    Content-Length that is too large without reading a byte.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
                problem = problem_for(PayloadTooLarge(f"request body over {self.max_bytes} bytes"))
                response = JSONResponse(
                    problem.body(), status_code=problem.status, media_type=PROBLEM_JSON
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
