"""Limits that keep one client from starving the others, as small pieces wired by the app.

- ``RateLimiter``: a token bucket per key. Authenticated requests are keyed by principal
  (issuer and ``sub``, checked in ``hub.deps.get_principal`` once the token is verified);
  public ``/v1`` routes (the token endpoint, open data) by client IP (``hub.deps.public``).
  Past the rate: 429 with ``Retry-After``.
- ``ExportSlots``: NDJSON/CSV exports running at once per agency. A request beyond the cap
  gets 429 with ``Retry-After``; the slot is held until the stream ends, fails or the
  client disconnects (a request-scoped dependency of the records route).
- ``HeaderLimit``: ASGI middleware; a header block over ``max_header_bytes`` is 431 before
  anything parses it.
- ``install_statement_timeout``: PostgreSQL ``statement_timeout`` on every connection the
  app uses; a cancelled statement becomes ``QueryTimeout`` (503). SQLite has no statement
  timeout (only ``busy_timeout`` for locks).

Buckets and slots live in this process: with several workers or replicas each has its own,
so the effective limit is the configured one times their number. A shared store (Redis)
is the production option for exact limits across processes; see docs/security.md.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import event
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.errors import HeadersTooLarge, QueryTimeout, TooManyRequests, problem_for
from hub.settings import Settings
from policies.principal import Principal

Clock = Callable[[], float]

#: a client refused an export slot is told to come back after this many seconds
EXPORT_RETRY_AFTER = 10
#: buckets kept at most; the least recently used go first (a full bucket, nothing lost)
MAX_TRACKED_CLIENTS = 10_000
EXPORT_FORMATS = ("ndjson", "csv")


# -- rate limits --------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets: ``burst`` requests at once, refilled at ``per_minute``; 0 = off."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        clock: Clock = time.monotonic,
        max_clients: int = MAX_TRACKED_CLIENTS,
    ):
        self.per_minute = per_minute
        self.burst = burst
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def wait_time(self, key: str) -> float:
        """Take one token for ``key``: 0 when allowed, else seconds until one is free."""
        if not self.enabled:
            return 0.0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self.clock()
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / rate

    def check(self, key: str, who: str) -> None:
        wait = self.wait_time(key)
        if wait > 0:
            raise TooManyRequests(
                f"rate limit of {self.per_minute} requests per minute for {who} reached; "
                f"retry in {math.ceil(wait)} s",
                retry_after=wait,
            )


# -- concurrent exports -------------------------------------------------------------------


class ExportSlots:
    """At most ``per_agency`` exports at once per agency; 0 = no cap."""

    def __init__(self, per_agency: int):
        self.per_agency = per_agency
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def running(self, agency: str) -> int:
        with self._lock:
            return self._running.get(agency, 0)

    @contextmanager
    def hold(self, agency: str) -> Iterator[None]:
        with self._lock:
            running = self._running.get(agency, 0)
            if self.per_agency and running >= self.per_agency:
                raise TooManyRequests(
                    f"{agency} already runs {running} exports, the most allowed at once; "
                    "wait for one to finish",
                    retry_after=EXPORT_RETRY_AFTER,
                )
            self._running[agency] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[agency] - 1
                if left:
                    self._running[agency] = left
                else:
                    del self._running[agency]


# -- what an app holds, and the hooks the dependencies call --------------------------------


@dataclass
class Limits:
    principals: RateLimiter
    anonymous: RateLimiter
    exports: ExportSlots

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = time.monotonic) -> Limits:
        return cls(
            principals=RateLimiter(
                settings.rate_limit_per_minute, settings.rate_limit_burst, clock=clock
            ),
            anonymous=RateLimiter(
                settings.rate_limit_anonymous_per_minute,
                settings.rate_limit_anonymous_burst,
                clock=clock,
            ),
            exports=ExportSlots(settings.max_concurrent_exports),
        )

    def set_clock(self, clock: Clock) -> None:
        """Tests move time forward instead of sleeping."""
        self.principals.clock = clock
        self.anonymous.clock = clock


def _limits(request: Request) -> Limits:
    return request.app.state.limits


def client_ip(request: Request) -> str:
    """The peer address; behind a proxy run uvicorn with ``--forwarded-allow-ips``."""
    return request.client.host if request.client else "unknown"


def check_principal(request: Request, principal: Principal) -> None:
    """429 once the caller (issuer + sub) is past its rate."""
    _limits(request).principals.check(
        f"sub:{principal.issuer or ''}|{principal.sub}", f"{principal.sub!r}"
    )


def check_client(request: Request) -> None:
    """429 once a client IP is past its rate on a public ``/v1`` route."""
    if request.url.path.startswith("/v1/"):
        ip = client_ip(request)
        _limits(request).anonymous.check(f"ip:{ip}", f"client {ip}")


def export_slot(request: Request, principal: Principal) -> AbstractContextManager[None]:
    """Hold one of the agency's export slots for an NDJSON/CSV export (JSON pages: none)."""
    if request.query_params.get("format") not in EXPORT_FORMATS:
        return nullcontext()
    agency = principal.agency or f"sub:{principal.sub}"
    return _limits(request).exports.hold(agency)


# -- request headers ----------------------------------------------------------------------


class HeaderLimit:
    """431 for a request whose headers add up to more than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) + 4 for name, value in scope.get("headers") or [])
            if size > self.max_bytes:
                problem = problem_for(
                    HeadersTooLarge(f"request headers of {size} bytes; at most {self.max_bytes}")
                )
                response = JSONResponse(
                    problem.body(),
                    status_code=problem.status,
                    media_type="application/problem+json",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- statement timeout --------------------------------------------------------------------


def install_statement_timeout(engine: sa.Engine, timeout_ms: int) -> None:
    """PostgreSQL: every connection the engine hands out cancels statements after
    ``timeout_ms`` (set once per connection, at its first checkout); 0 or SQLite: nothing."""
    if engine.dialect.name != "postgresql" or timeout_ms <= 0:
        return
    for name, listener in (
        ("checkout", _checkout_listener(timeout_ms)),
        ("handle_error", _timeout_error_listener(timeout_ms)),
    ):
        if not event.contains(engine, name, listener):
            event.listen(engine, name, listener)


@cache
def _checkout_listener(timeout_ms: int) -> Callable[..., None]:
    def set_timeout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("statement_timeout_ms") == timeout_ms:
            return
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True  # a SET inside a transaction would be rolled back
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(timeout_ms)}")
        finally:
            dbapi_conn.autocommit = autocommit
        record.info["statement_timeout_ms"] = timeout_ms

    return set_timeout


@cache
def _timeout_error_listener(timeout_ms: int) -> Callable[..., BaseException | None]:
    def to_problem(context: sa.engine.ExceptionContext) -> BaseException | None:
        original = context.original_exception
        if getattr(original, "sqlstate", None) != "57014":  # query_canceled
            return None
        return QueryTimeout(
            f"the database cancelled a query that ran longer than {timeout_ms} ms "
            "(CIVICHUB_STATEMENT_TIMEOUT_MS); narrow the request with filters or a smaller "
            "limit, or try again later"
        )

    return to_problem
