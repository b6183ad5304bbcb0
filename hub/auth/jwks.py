"""Keys of trusted external identity providers (``CIVICHUB_TRUSTED_JWKS``).

Each trusted issuer has an ``IssuerKeys``: the issuer's signing keys by ``kid``, fetched
from its JWKS URL and cached.

- **Fetching**: httpx with a short timeout, http/https only, no redirects, no proxy from
  the environment, the body capped at ``MAX_JWKS_BYTES``. Every connection goes through an
  SSRF guard: a host that resolves to a private, loopback or link-local address is refused
  unless the operator allow-lists it (``CIVICHUB_ALLOW_PRIVATE_HOSTS``).
- **Caching**: for the issuer's ``Cache-Control: max-age``, clamped to
  [``refresh_interval``, ``max_ttl``]; ``ttl`` when it sends none (or ``no-store``).
- **Rotation**: a token naming a kid we do not hold triggers a refresh, so a new key is
  picked up as soon as the issuer publishes it; an old key goes once the issuer drops it
  from its JWKS and our copy expires.
- **Rate limit and single flight**: at most one fetch per issuer per ``refresh_interval``,
  whatever triggered it (expiry, unknown kid, a failed fetch). Requests arriving while a
  fetch runs wait for it and use its result instead of fetching again.
- **Failure**: keys already held stay usable until they are ``max_ttl`` old; then the
  issuer's tokens are refused until a fetch succeeds (fail closed).

Only asymmetric keys of an allow-listed type are kept (``ALGORITHM_FOR_KEY``): RSA of at
least 2048 bits (RS256), EC P-256 (ES256), OKP Ed25519 (EdDSA). A key's algorithm follows
from its type, never from the token, so a public key can never be used as an HMAC secret.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.errors import ConnectorsError
from connectors.http_source import GuardedTransport
from hub.settings import Settings

log = logging.getLogger(__name__)

#: (kty, crv) -> the one algorithm a key of that type verifies
ALGORITHM_FOR_KEY: dict[tuple[str, str | None], str] = {
    ("RSA", None): "RS256",
    ("EC", "P-256"): "ES256",
    ("OKP", "Ed25519"): "EdDSA",
}
EXTERNAL_ALGORITHMS = frozenset(ALGORITHM_FOR_KEY.values())
MIN_RSA_BITS = 2048
MAX_JWKS_BYTES = 256 * 1024
MAX_KEYS = 50
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)

Clock = Callable[[], float]


class JwksError(Exception):
    """A JWKS could not be fetched or read (logged; the tokens it would verify get 401)."""


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Any  # a cryptography public key


@dataclass(frozen=True)
class JwksDocument:
    keys: dict[str, VerificationKey]
    max_age: int | None


@dataclass(frozen=True)
class CachePolicy:
    ttl: float
    max_ttl: float
    refresh_interval: float

    def __post_init__(self) -> None:
        if not self.refresh_interval <= self.ttl <= self.max_ttl:
            raise ValueError(
                "JWKS cache settings must satisfy CIVICHUB_JWKS_REFRESH_INTERVAL <= "
                "CIVICHUB_JWKS_CACHE_TTL <= CIVICHUB_JWKS_CACHE_MAX_TTL"
            )

    def lifetime(self, max_age: int | None) -> float:
        if max_age is None:
            return self.ttl
        return min(max(float(max_age), self.refresh_interval), self.max_ttl)


Fetcher = Callable[[str], JwksDocument]


class IssuerKeys:
    """One issuer's keys: cached, refreshed at most once per interval, one fetch at a time."""

    def __init__(self, issuer: str, url: str, *, policy: CachePolicy, fetch: Fetcher, clock: Clock):
        self.issuer = issuer
        self.url = url
        self.policy = policy
        self._fetch = fetch
        self.clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._fresh_until = -math.inf
        self._last_attempt: float | None = None
        self._generation = 0  # bumped by every attempt; waiters compare it
        self._lock = threading.Lock()

    def key(self, kid: str) -> VerificationKey | None:
        seen = self._generation
        if self.clock() >= self._fresh_until:
            self._refresh(seen)
            seen = self._generation
        found = self._usable().get(kid)
        if found is None:
            # the issuer may have rotated: look once (rate limited) before refusing
            self._refresh(seen)
            found = self._usable().get(kid)
        return found

    def _usable(self) -> dict[str, VerificationKey]:
        if self._fetched_at is None or self.clock() - self._fetched_at > self.policy.max_ttl:
            return {}
        return self._keys

    def _refresh(self, seen: int) -> None:
        with self._lock:
            if self._generation != seen:
                return  # another request fetched while we waited: use its result
            now = self.clock()
            if (
                self._last_attempt is not None
                and now - self._last_attempt < self.policy.refresh_interval
            ):
                return
            self._last_attempt = now
            try:
                document = self._fetch(self.url)
            except JwksError as exc:
                log.warning("JWKS of %s not refreshed: %s", self.issuer, exc)
                return
            finally:
                # bumped once the attempt is over: requests that arrived during it see
                # their snapshot is stale and use this result instead of fetching again
                self._generation += 1
            self._keys = document.keys
            self._fetched_at = now
            self._fresh_until = now + self.policy.lifetime(document.max_age)
            log.info("JWKS of %s: %d key(s) %s", self.issuer, len(self._keys), sorted(self._keys))


class TrustedIssuers:
    """The external issuers whose tokens the hub accepts, by exact ``iss`` value."""

    def __init__(self, issuers: Mapping[str, IssuerKeys] | None = None):
        self._issuers = dict(issuers or {})

    @classmethod
    def from_urls(
        cls,
        urls: Mapping[str, str],
        *,
        policy: CachePolicy,
        timeout: float,
        allowed_private_hosts: frozenset[str],
        clock: Clock = time.monotonic,
    ) -> TrustedIssuers:
        def fetch(url: str) -> JwksDocument:
            return fetch_jwks(url, timeout=timeout, allowed_private_hosts=allowed_private_hosts)

        return cls(
            {
                issuer: IssuerKeys(issuer, url, policy=policy, fetch=fetch, clock=clock)
                for issuer, url in urls.items()
            }
        )

    def __contains__(self, issuer: object) -> bool:
        return issuer in self._issuers

    def __getitem__(self, issuer: str) -> IssuerKeys:
        return self._issuers[issuer]

    def set_clock(self, clock: Clock) -> None:
        """Tests move time forward instead of sleeping."""
        for keys in self._issuers.values():
            keys.clock = clock


def trusted_issuers(settings: Settings) -> TrustedIssuers:
    """The issuers of ``CIVICHUB_TRUSTED_JWKS`` with the cache and fetch settings."""
    return TrustedIssuers.from_urls(
        settings.trusted_issuers,
        policy=CachePolicy(
            ttl=settings.jwks_cache_ttl,
            max_ttl=settings.jwks_cache_max_ttl,
            refresh_interval=settings.jwks_refresh_interval,
        ),
        timeout=settings.jwks_fetch_timeout,
        allowed_private_hosts=settings.private_hosts_allowed,
    )


# -- fetching ---------------------------------------------------------------------------


def fetch_jwks(url: str, *, timeout: float, allowed_private_hosts: frozenset[str]) -> JwksDocument:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise JwksError(f"JWKS url must be http:// or https://, not {url!r}")
    client = httpx.Client(
        transport=GuardedTransport(allowed_private_hosts),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )
    deadline = time.monotonic() + timeout
    try:
        with (
            client,
            client.stream(
                "GET", url, headers={"Accept": "application/jwk-set+json, application/json"}
            ) as response,
        ):
            if response.status_code != 200:
                raise JwksError(f"{url} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksError(f"{url} sent more than {MAX_JWKS_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise JwksError(f"{url} did not answer within {timeout} s")
            cache_control = response.headers.get("cache-control", "")
    except (httpx.HTTPError, OSError, ConnectorsError) as exc:
        raise JwksError(f"cannot fetch {url}: {exc}") from None
    try:
        document = json.loads(bytes(body))
    except ValueError as exc:
        raise JwksError(f"{url} did not send JSON: {exc}") from None
    return JwksDocument(parse_jwks(document, source=url), _max_age(cache_control))


def _max_age(cache_control: str) -> int | None:
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return 0
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def parse_jwks(document: Any, *, source: str) -> dict[str, VerificationKey]:
    """The usable signing keys of a JWKS; keys of other types or uses are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError(f"{source} is not a JWK set (no 'keys' list)")
    keys: dict[str, VerificationKey] = {}
    for jwk in document["keys"][:MAX_KEYS]:
        try:
            key = _verification_key(jwk)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            log.info("JWKS %s: key skipped: %s", source, exc)
            continue
        keys[key.kid] = key
    return keys


def _verification_key(jwk: Any) -> VerificationKey:
    if not isinstance(jwk, dict):
        raise ValueError("not an object")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ValueError("no kid")
    if jwk.get("use", "sig") != "sig" or "d" in jwk:
        raise ValueError(f"{kid}: not a public signing key")
    kty = jwk.get("kty")
    algorithm = ALGORITHM_FOR_KEY.get((kty, None if kty == "RSA" else jwk.get("crv")))
    if algorithm is None:
        raise ValueError(f"{kid}: key type {kty}/{jwk.get('crv')} not accepted")
    if jwk.get("alg", algorithm) != algorithm:
        raise ValueError(f"{kid}: alg {jwk.get('alg')} does not match key type {kty}")
    key = jwt.PyJWK(jwk, algorithm=algorithm).key
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise ValueError(f"{kid}: RSA key of {key.key_size} bits is too small")
    return VerificationKey(kid, algorithm, key)
