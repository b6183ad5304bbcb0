"""A fake external identity provider: its keys, its JWKS served over real HTTP, its tokens.

The JWKS is served by ``http.server`` on 127.0.0.1 (a free port) and counts the requests
it answers, so tests can assert how many fetches the hub made. ``stop()`` takes it down.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ISSUER = "https://sso.hcmc.example.gov.vn"
AUDIENCE = "civichub-api"

_ALG = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}


class FakeIdp:
    def __init__(self, issuer: str = ISSUER):
        self.issuer = issuer
        self.private: dict[str, Any] = {}  # kid -> private key
        self.kinds: dict[str, str] = {}  # kid -> RSA / EC / OKP
        self.served: list[str] = []  # kids the JWKS lists right now
        self.cache_control: str | None = None
        self.delay = 0.0  # seconds before each answer
        self.on_request: Callable[[], None] | None = None  # e.g. move a fake clock
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._running = False

    # -- server -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"

    def start(self) -> FakeIdp:
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self._server.shutdown()
            self._running = False
        self._server.server_close()

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._public_jwk(kid) for kid in list(self.served)]}

    def _public_jwk(self, kid: str) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(_ALG[self.kinds[kid]])
        jwk = json.loads(algorithm.to_jwk(self.private[kid].public_key()))
        jwk.update({"kid": kid, "use": "sig"})
        return jwk

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with idp._lock:
                    idp.requests += 1
                if idp.delay:
                    time.sleep(idp.delay)
                if idp.on_request:
                    idp.on_request()
                body = json.dumps(idp.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.send_header("Content-Length", str(len(body)))
                if idp.cache_control:
                    self.send_header("Cache-Control", idp.cache_control)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    # -- keys and tokens ----------------------------------------------------------------
    def add_key(self, kid: str, kind: str = "RSA", *, serve: bool = True) -> str:
        self.private[kid] = _private_key(kid, kind)
        self.kinds[kid] = kind
        if serve:
            self.served.append(kid)
        return kid

    def claims(self, **over: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "kiem-toan-vien-1",
            "iat": now,
            "exp": now + 300,
            "agency": "kiem-toan",
            "roles": ["auditor"],
            "scope": "audit:read",
        }
        claims.update(over)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, kid: str, *, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        header = {"kid": kid, "typ": "at+jwt", **(headers or {})}
        alg = _ALG[self.kinds[kid]]
        return jwt.encode(self.claims(**claims), self.private[kid], algorithm=alg, headers=header)


@functools.cache
def _private_key(kid: str, kind: str) -> Any:
    """One key per (kid, kind) for the session: RSA generation would dominate the suite."""
    if kind == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


@contextmanager
def running_idp(issuer: str = ISSUER) -> Iterator[FakeIdp]:
    idp = FakeIdp(issuer).start()
    try:
        yield idp
    finally:
        idp.stop()


class FakeClock:
    """Monotonic time the test moves forward."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
