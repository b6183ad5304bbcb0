"""Fixtures for connector tests: descriptor fields, a context, and a real local JSON API.

The API is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 with a free port, serving the
shapes the ``http`` connector must handle: each pagination style, a flaky endpoint, a
rate limit, errors, HTML and redirects. It records every request so tests can check
what the connector actually sent.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

# Without tests/__init__.py, `.venv/bin/pytest` puts tests/ (not the repo root) on
# sys.path and tests/connectors shadows the real package as a namespace package. Putting
# the root first makes the real package win either way; it is a no-op when it is there.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from connectors.base import ConnectorContext  # noqa: E402
from connectors.descriptor import FieldSpec, FieldType  # noqa: E402


@pytest.fixture
def people_fields() -> list[FieldSpec]:
    return [
        FieldSpec(name="citizen_id", type=FieldType.string),
        FieldSpec(name="full_name", type=FieldType.string),
        FieldSpec(name="ward", type=FieldType.string),
    ]


@pytest.fixture
def context(tmp_path: Path) -> ConnectorContext:
    return ConnectorContext(base_dir=tmp_path, env={})


def record(i: int) -> dict:
    return {"citizen_id": f"{i:012d}", "full_name": f"Người {i}", "ward": "phuong-ben-thanh"}


@dataclass
class FakeApi:
    base: str
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = field(
        default_factory=list
    )
    hits: Counter[str] = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def queries(self, path: str) -> list[dict[str, list[str]]]:
        return [q for _, p, q, _ in self.requests if p == path]


def _window(total: int, start: int, size: int) -> list[dict]:
    return [record(i) for i in range(start, min(start + size, total))]


def _routes(api: FakeApi) -> dict[str, Callable[[dict[str, list[str]], dict], tuple]]:
    """path -> handler(query, headers) returning (status, headers, body)."""

    def num(q: dict[str, list[str]], name: str, default: int) -> int:
        return int(q.get(name, [default])[0])

    def page(q, h):
        total, size, n = num(q, "total", 25), num(q, "page_size", 100), num(q, "page", 1)
        return 200, {}, {"data": {"items": _window(total, (n - 1) * size, size)}}

    def offset(q, h):
        start, size = num(q, "offset", 0), num(q, "limit", 100)
        return 200, {}, {"results": _window(25, start, size)}

    def cursor(q, h):
        start, size = num(q, "cursor", 0), num(q, "limit", 100)
        size = min(size, 7)  # the server caps page size below what was asked
        nxt = start + size if start + size < 25 else None
        return 200, {}, {"items": _window(25, start, size), "meta": {"next": nxt}}

    def flaky(q, h):
        api.hits["flaky"] += 1
        if api.hits["flaky"] <= 2:
            return 503, {"Retry-After": "0"} if api.hits["flaky"] == 1 else {}, {"error": "busy"}
        return 200, {}, [record(1), record(2)]

    def limited(q, h):
        api.hits["limited"] += 1
        if api.hits["limited"] == 1:
            return 429, {"Retry-After": "1"}, {"error": "slow down"}
        return 200, {}, [record(1)]

    def slow(q, h):
        time.sleep(1.0)
        return 200, {}, [record(1)]

    return {
        "/list": lambda q, h: (200, {}, [record(i) for i in range(5)]),
        "/page": page,
        "/offset": offset,
        "/cursor": cursor,
        "/same-cursor": lambda q, h: (200, {}, {"items": [record(1)], "next": "again"}),
        "/flaky": flaky,
        "/limited": limited,
        "/always-503": lambda q, h: (503, {}, {"error": "down"}),
        "/slow": slow,
        "/missing": lambda q, h: (404, {}, {"error": "no such thing"}),
        "/secret": lambda q, h: (401, {}, {"error": "who are you"}),
        "/html": lambda q, h: (200, {"Content-Type": "text/html"}, "<html>login</html>"),
        "/not-a-list": lambda q, h: (200, {}, {"data": {"items": {"id": 1}}}),
        "/mixed": lambda q, h: (200, {}, [record(1), "oops", record(2)]),
        "/renamed": lambda q, h: (
            200,
            {},
            [{"so_cccd": "001", "ho_ten": "An", "phuong": "x"}, {"so_cccd": "002"}],
        ),
        "/echo": lambda q, h: (
            200,
            {},
            [{"citizen_id": "1", "full_name": h.get("authorization"), "ward": q.get("w", [""])[0]}],
        ),
        "/redirect-internal": lambda q, h: (
            302,
            {"Location": api.base.replace("127.0.0.1", "127.0.0.2") + "/list"},
            "",
        ),
        "/redirect-ok": lambda q, h: (302, {"Location": "/list"}, ""),
    }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # a client that gave up (the timeout test) is expected; anything else is a bug
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def api() -> Iterator[FakeApi]:
    fake = FakeApi(base="")
    routes = _routes(fake)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length", 0))
            body = self.rfile.read(length).decode() if length else ""
            fake.requests.append((self.command, parts.path, query, {"body": body}))
            route = routes.get(parts.path)
            status, extra, payload = route(query, headers) if route else (404, {}, {})
            raw = payload if isinstance(payload, str) else json.dumps(payload)
            self.send_response(status)
            extra.setdefault("Content-Type", "application/json")
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw.encode())))
            self.end_headers()
            self.wfile.write(raw.encode())

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    server = _QuietServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api_context(tmp_path: Path) -> ConnectorContext:
    """The fake API lives on loopback, so tests allow-list it like an operator would."""
    return ConnectorContext(
        base_dir=tmp_path,
        allowed_private_hosts=frozenset({"127.0.0.1"}),
        env={"API_TOKEN": "Bearer s3cret"},
    )
