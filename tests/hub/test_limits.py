"""Limits: rate limits (429 + Retry-After), concurrent exports per agency, body and header
caps (413, 431), page size, and PostgreSQL's statement timeout (503, not a hang)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from hub.app import create_app
from hub.deps import HubDep, Public, unit_of_work
from hub.errors import TooManyRequests
from hub.limits import ExportSlots, RateLimiter, _checkout_listener, install_statement_timeout
from hub.settings import Settings
from hub.state import HubState
from hub.store import migrate
from tests.hub.conftest import bearer, hub_settings
from tests.hub.idp import FakeClock

RECORDS = "/v1/datasets/population-registry/records"
TAX = {"agency": "thue", "roles": ("officer",)}
AUDITOR = {"roles": ("auditor",), "scopes": ("audit:read",)}
STEWARD = {"agency": "cong-an", "roles": ("steward",), "scopes": ("datasets:write",)}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # small caps so tests can cross them; batches as small as allowed
    return settings.model_copy(
        update={"max_body_bytes": 1024, "max_upload_bytes": 4096, "export_batch_size": 100}
    )


def _app(hub: HubState, **settings: Any) -> FastAPI:
    """The real app over the test's hub, with other limits."""
    return create_app(hub.settings.model_copy(update=settings), state=hub)


# -- token buckets --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_minute", "burst", "steps"),
    [
        # (seconds to advance, allowed?, expected wait when refused)
        (60, 2, [(0, True, 0), (0, True, 0), (0, False, 1.0)]),  # burst then refused for 1 s
        (60, 2, [(0, True, 0), (0, True, 0), (0.5, False, 0.5), (0.5, True, 0)]),  # refill
        (60, 2, [(100, True, 0), (0, True, 0), (0, False, 1.0)]),  # the bucket never over-fills
        (6, 1, [(0, True, 0), (0, False, 10.0), (10, True, 0)]),  # 6/min: one per 10 s
        (0, 1, [(0, True, 0)] * 50),  # 0 = no limit
    ],
)
def test_token_bucket(per_minute, burst, steps):
    clock = FakeClock()
    limiter = RateLimiter(per_minute, burst, clock=clock)
    for advance, allowed, wait in steps:
        clock.advance(advance)
        got = limiter.wait_time("k")
        assert (got == 0) is allowed
        assert got == pytest.approx(wait)


def test_buckets_are_per_key_and_bounded():
    clock = FakeClock()
    limiter = RateLimiter(60, 1, clock=clock, max_clients=3)
    assert [limiter.wait_time(f"k{i}") for i in range(5)] == [0] * 5  # separate buckets
    assert len(limiter._buckets) == 3  # least recently used dropped
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("k4", "k4")
    assert refused.value.headers == {"Retry-After": "1"}


def test_principal_rate_limit_is_429_with_retry_after(hub, token):
    app = _app(hub, rate_limit_per_minute=60, rate_limit_burst=3)
    clock = FakeClock()
    app.state.limits.set_clock(clock)
    alice = bearer(token(sub="alice", **AUDITOR))
    with TestClient(app) as client:
        assert [client.get("/v1/audit", headers=alice).status_code for _ in range(3)] == [200] * 3
        refused = client.get("/v1/audit", headers=alice)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["status"] == 429
        # another principal has its own bucket
        assert (
            client.get("/v1/audit", headers=bearer(token(sub="bob", **AUDITOR))).status_code == 200
        )
        clock.advance(1)
        assert client.get("/v1/audit", headers=alice).status_code == 200


def test_anonymous_rate_limit_is_per_ip_on_public_v1_routes(hub):
    app = _app(hub, rate_limit_anonymous_per_minute=60, rate_limit_anonymous_burst=2)
    app.state.limits.set_clock(FakeClock())
    form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    with TestClient(app) as client:
        assert [client.post("/v1/auth/token", data=form).status_code for _ in range(2)] == [401] * 2
        refused = client.post("/v1/auth/token", data=form)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        # a bearer header does not turn the token endpoint into a per-principal route
        junk = client.post("/v1/auth/token", data=form, headers={"Authorization": "Bearer junk"})
        assert junk.status_code == 429
        # health, metrics and keys are not rate limited
        assert {client.get("/healthz").status_code for _ in range(10)} == {200}
        assert {client.get("/.well-known/jwks.json").status_code for _ in range(10)} == {200}


def test_no_rate_limit_when_disabled(hub, token):
    app = _app(hub, rate_limit_per_minute=0, rate_limit_burst=1)
    headers = bearer(token(**AUDITOR))
    with TestClient(app) as client:
        assert {client.get("/v1/audit", headers=headers).status_code for _ in range(20)} == {200}


# -- concurrent exports ---------------------------------------------------------------------


def test_export_slots_unit():
    slots = ExportSlots(2)
    with slots.hold("thue"), slots.hold("thue"):
        assert slots.running("thue") == 2
        with pytest.raises(TooManyRequests) as refused, slots.hold("thue"):
            pass
        assert refused.value.headers["Retry-After"] == "10"
        with slots.hold("y-te"):  # another agency is not affected
            assert slots.running("y-te") == 1
    assert slots.running("thue") == 0
    unlimited = ExportSlots(0)
    with unlimited.hold("a"), unlimited.hold("a"), unlimited.hold("a"):
        assert unlimited.running("a") == 3


class Call:
    """One request driven through the ASGI app by hand: the test decides when the client
    takes the streamed body and when it goes away."""

    def __init__(self, app: FastAPI, path: str, query: str, headers: dict[str, str], spec: str):
        self.app = app
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": spec},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("10.0.0.7", 50000),
            "server": ("testserver", 80),
        }
        self.spec = spec
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.first_chunk = asyncio.Event()
        self.release = asyncio.Event()  # the client reads on
        self.gone = asyncio.Event()  # the client disconnects
        self._asked = False

    async def receive(self) -> dict[str, Any]:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            return
        self.body.extend(message.get("body", b""))
        kind = self.headers.get("content-type", "")
        if message.get("more_body") and kind.startswith(("application/x-ndjson", "text/csv")):
            self.first_chunk.set()
            gone = asyncio.ensure_future(self.gone.wait())
            read = asyncio.ensure_future(self.release.wait())
            await asyncio.wait({gone, read}, return_when=asyncio.FIRST_COMPLETED)
            gone.cancel()
            read.cancel()
            if self.gone.is_set() and self.spec >= "2.4":
                raise OSError("client went away")  # how a 2.4 server reports it

    async def run(self) -> None:
        with contextlib.suppress(OSError):  # a 2.4 server's disconnect, raised from send
            await self.app(self.scope, self.receive, self.send)


@pytest.mark.parametrize("spec", ["2.3", "2.4"])  # disconnect seen via receive / via send
def test_third_concurrent_export_is_429_and_slots_come_back(hub, token, population, spec):
    app = _app(hub, max_concurrent_exports=2)
    headers = bearer(token(**TAX))
    query = "purpose=tax-administration&format="
    slots = app.state.limits.exports

    def call(fmt: str, agency_headers: dict[str, str] = headers) -> Call:
        return Call(app, RECORDS, query + fmt, agency_headers, spec)

    async def scenario() -> None:
        first, second = call("ndjson"), call("csv")
        running = [asyncio.ensure_future(c.run()) for c in (first, second)]
        for c in (first, second):
            await asyncio.wait_for(c.first_chunk.wait(), 30)
        assert (first.status, second.status) == (200, 200)
        assert slots.running("thue") == 2
        # a third export from the same agency, while two stream
        third = call("ndjson")
        await asyncio.wait_for(third.run(), 30)
        assert third.status == 429, third.body
        assert third.headers["retry-after"] == "10"
        # a JSON page is not an export
        page = Call(app, RECORDS, "purpose=tax-administration&limit=1", headers, spec)
        await asyncio.wait_for(page.run(), 30)
        assert page.status == 200
        # the first stream is read to its end: its slot comes back
        first.release.set()
        await asyncio.wait_for(running[0], 30)
        assert first.body.count(b"\n") == 100  # the rule's max_rows
        assert slots.running("thue") == 1
        # the second client disconnects mid-stream: its slot comes back too
        second.gone.set()
        await asyncio.wait_for(running[1], 30)
        assert slots.running("thue") == 0
        again = call("csv")
        again.release.set()
        await asyncio.wait_for(again.run(), 30)
        assert again.status == 200

    asyncio.run(scenario())
    assert slots.running("thue") == 0


def test_refused_export_releases_its_slot(hub, token, population):
    app = _app(hub, max_concurrent_exports=1)
    with TestClient(app) as client:
        headers = bearer(token(**TAX))
        # denied (no purpose) and finished exports both give the slot back
        assert client.get(RECORDS, params={"format": "csv"}, headers=headers).status_code == 400
        for _ in range(3):
            response = client.get(
                RECORDS,
                params={"purpose": "tax-administration", "format": "ndjson"},
                headers=headers,
            )
            assert response.status_code == 200
    assert app.state.limits.exports.running("thue") == 0


# -- page size, bodies, headers -------------------------------------------------------------


def test_page_size_over_the_maximum_is_400(client, token, population):
    params = {"purpose": "tax-administration", "limit": 1001}
    response = client.get(RECORDS, params=params, headers=bearer(token(**TAX)))
    assert response.status_code == 400
    assert "between 1 and 1000" in response.json()["detail"]


def _chunks(size: int) -> Iterator[bytes]:
    # no Content-Length: the cap is enforced while reading
    for _ in range(size // 256):
        yield b"#" * 256


@pytest.mark.parametrize(
    ("method", "path", "headers", "content"),
    [
        # a declared Content-Length beyond every cap: refused before reading
        ("POST", "/v1/datasets", {"Content-Length": str(10**9)}, b"{}"),
        # a descriptor streamed past CIVICHUB_MAX_BODY_BYTES
        ("POST", "/v1/datasets", {"Content-Type": "application/yaml"}, "chunks:2048"),
        # a policy streamed past the same cap
        (
            "PUT",
            "/v1/datasets/population-registry/policy",
            {"Content-Type": "application/json"},
            "chunks:2048",
        ),
        # a CSV upload streamed past CIVICHUB_MAX_UPLOAD_BYTES
        (
            "POST",
            "/v1/datasets/population-registry/ingest",
            {"Content-Type": "text/csv"},
            "chunks:8192",
        ),
    ],
)
def test_bodies_over_their_cap_are_413(
    client, token, hub, population, method, path, headers, content
):
    steward = token(
        agency="cong-an", roles=("steward",), scopes=("datasets:write", "policies:write")
    )
    body = _chunks(int(content.split(":")[1])) if isinstance(content, str) else content
    response = client.request(method, path, headers={**bearer(steward), **headers}, content=body)
    assert response.status_code == 413, response.text
    assert response.json()["status"] == 413
    uploads = hub.settings.uploads_dir
    assert not uploads.exists() or not any(uploads.rglob("*.part"))  # nothing half-written


def test_64kb_header_on_a_live_server_is_refused_quickly(hub, token):
    with LiveServer(_app(hub)) as base:
        ok = httpx.get(f"{base}/v1/audit", headers=bearer(token(**AUDITOR)), timeout=10)
        assert ok.status_code == 200
        for headers in (
            {"X-Padding": "x" * 64 * 1024},
            {"Authorization": "Bearer " + "x" * 64 * 1024},
        ):
            response = httpx.get(f"{base}/v1/audit", headers=headers, timeout=10)
            assert response.status_code == 431, response.text


class LiveServer:
    """The app under uvicorn on 127.0.0.1, a free port, in a thread."""

    def __init__(self, app: FastAPI):
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


# -- statement timeout ----------------------------------------------------------------------


@pytest.fixture
def pg_hub(pg_schema_url: str, tmp_path: Path, keys_template: Path) -> Iterator[HubState]:
    settings = hub_settings(
        pg_schema_url, tmp_path / "var", keys_template, statement_timeout_ms=300
    )
    state = HubState.build(settings)
    migrate(state.engine)
    try:
        yield state
    finally:
        state.close()


def test_slow_query_is_cancelled_with_a_503_problem(pg_hub):
    app = create_app(pg_hub.settings, state=pg_hub)

    @app.get("/test/slow", dependencies=[Public])
    def slow(hub: HubDep) -> dict[str, str]:
        with unit_of_work(hub) as session:
            session.execute(sa.text("SELECT pg_sleep(5)"))
        return {"status": "finished"}

    with TestClient(app) as client:
        response = client.get("/test/slow")
        # 503 means the 300 ms timeout cancelled the 5 s sleep (a finished sleep is 200)
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["type"].endswith("/query-timeout") and "300 ms" in body["detail"]
        # the connection is usable again, and every pooled one carries the timeout
        assert client.get("/readyz").status_code == 200
    with pg_hub.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "300ms"


def test_sqlite_gets_no_statement_timeout(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    install_statement_timeout(engine, 300)
    assert not event.contains(engine, "checkout", _checkout_listener(300))
    engine.dispose()
