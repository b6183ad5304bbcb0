"""Tokens of external identity providers (CIVICHUB_TRUSTED_JWKS), through the real app.

The provider is ``tests.hub.idp.FakeIdp``: a JWKS served over HTTP on 127.0.0.1 that counts
the requests it answers. Time is a fake clock on the JWKS cache, so expiry and the refresh
interval are exercised without sleeping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from hub.auth.jwks import CachePolicy, JwksError, fetch_jwks, parse_jwks, trusted_issuers
from hub.settings import Settings
from hub.state import HubState
from tests.hub.conftest import bearer
from tests.hub.idp import FakeClock, FakeIdp, running_idp

AUDIT = "/v1/audit"
TTL, MAX_TTL, INTERVAL = 300, 3600, 60


@pytest.fixture
def idp() -> Iterator[FakeIdp]:
    with running_idp() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, idp: FakeIdp) -> Settings:
    return settings.model_copy(
        update={
            "trusted_jwks": f"{idp.issuer}={idp.url}",
            "jwks_cache_ttl": TTL,
            "jwks_cache_max_ttl": MAX_TTL,
            "jwks_refresh_interval": INTERVAL,
            "jwks_fetch_timeout": 10,  # a loaded CI machine; "down" is connection refused anyway
            "rate_limit_per_minute": 0,  # this module counts fetches, not requests
        }
    )


@pytest.fixture
def clock(hub: HubState) -> FakeClock:
    fake = FakeClock()
    hub.tokens.trusted.set_clock(fake)
    return fake


def _get(client, token: str) -> int:
    return client.get(AUDIT, headers=bearer(token)).status_code


def _concurrently(client, tokens: list[str]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        return list(pool.map(lambda t: _get(client, t), tokens))


@pytest.mark.parametrize("kind", ["RSA", "EC", "OKP"])  # RS256, ES256, EdDSA
def test_external_token_is_accepted_and_keys_are_cached(client, idp, clock, kind):
    idp.add_key("k1", kind)
    assert _get(client, idp.token("k1")) == 200
    assert _get(client, idp.token("k1", sub="someone-else")) == 200
    assert idp.requests == 1  # the second token used the cached JWKS


def test_external_principal_carries_its_issuer(client, idp, clock, hub):
    idp.add_key("k1")
    principal = hub.tokens.verify(idp.token("k1"))
    assert (principal.issuer, principal.sub, principal.agency) == (
        idp.issuer,
        "kiem-toan-vien-1",
        "kiem-toan",
    )
    assert principal.roles == {"auditor"} and principal.scopes == {"audit:read"}


def test_rotation_overlap_then_old_key_removed(client, idp, clock):
    idp.add_key("old")
    old = idp.token("old")
    assert _get(client, old) == 200
    assert idp.requests == 1
    # overlap: the provider publishes the new key next to the old one
    idp.add_key("new")
    clock.advance(INTERVAL + 1)
    new = idp.token("new")
    assert _get(client, new) == 200  # unknown kid: one refresh picks it up
    assert idp.requests == 2
    assert _get(client, old) == 200  # both keys held during the overlap, no fetch
    assert idp.requests == 2
    # the provider drops the old key; our copy expires with the cache
    idp.served.remove("old")
    assert _get(client, old) == 200  # still cached (TTL not over)
    clock.advance(TTL + 1)
    assert _get(client, new) == 200  # expiry: refetched
    assert idp.requests == 3
    assert _get(client, old) == 401  # gone; the refresh it asks for is rate limited
    assert idp.requests == 3


def test_unknown_kid_under_20_concurrent_requests_is_one_fetch(client, idp, clock):
    idp.add_key("k1")
    idp.delay = 0.3  # the fetch is still running when the other requests arrive
    # cold cache: 20 requests, one fetch, even though this fetch outlasts the refresh
    # interval (the waiters use its result rather than fetching again)
    idp.on_request = lambda: clock.advance(INTERVAL + 1)
    assert _concurrently(client, [idp.token("k1", sub=f"u{i}") for i in range(20)]) == [200] * 20
    assert idp.requests == 1
    idp.on_request = None
    # a rotated-in key: 20 requests naming it, one refresh, all accepted
    idp.add_key("k2")
    clock.advance(INTERVAL + 1)
    assert _concurrently(client, [idp.token("k2", sub=f"u{i}") for i in range(20)]) == [200] * 20
    assert idp.requests == 2
    # a kid the provider never publishes: one refresh, all refused
    clock.advance(INTERVAL + 1)
    stray = idp.add_key("stray", serve=False)
    assert _concurrently(client, [idp.token(stray) for _ in range(20)]) == [401] * 20
    assert idp.requests == 3
    # and again at once: the refresh interval holds, no fetch at all
    assert _concurrently(client, [idp.token(stray) for _ in range(20)]) == [401] * 20
    assert idp.requests == 3


@pytest.mark.parametrize(
    ("cache_control", "still_cached_at", "refetched_at"),
    [
        (None, TTL - 1, TTL + 1),  # no header: CIVICHUB_JWKS_CACHE_TTL
        ("public, max-age=120", 119, 121),  # the issuer's max-age is honoured
        ("max-age=5", INTERVAL - 1, INTERVAL + 1),  # too short: floored at the refresh interval
        ("max-age=86400", MAX_TTL - 1, MAX_TTL + 1),  # too long: capped at the max TTL
        ("no-store", INTERVAL - 1, INTERVAL + 1),  # no-store: as short as we allow
    ],
)
def test_cache_lifetime(client, idp, clock, cache_control, still_cached_at, refetched_at):
    idp.cache_control = cache_control
    idp.add_key("k1")
    assert _get(client, idp.token("k1")) == 200
    clock.advance(still_cached_at)
    assert _get(client, idp.token("k1")) == 200
    assert idp.requests == 1
    clock.advance(refetched_at - still_cached_at)
    assert _get(client, idp.token("k1")) == 200
    assert idp.requests == 2


def test_provider_down_refuses_its_tokens_only(client, idp, clock, token):
    idp.add_key("k1")
    external = idp.token("k1")
    idp.stop()
    assert _get(client, external) == 401
    own = token(roles=("auditor",), scopes=("audit:read",))
    assert _get(client, own) == 200


def test_provider_down_after_caching_keeps_keys_until_max_ttl(client, idp, clock, token):
    idp.add_key("k1")
    assert _get(client, idp.token("k1")) == 200
    idp.stop()
    clock.advance(TTL + 1)  # expired, the refresh fails: keys held stay usable...
    assert _get(client, idp.token("k1")) == 200
    clock.advance(MAX_TTL)  # ...until they are older than the max TTL (fail closed)
    assert _get(client, idp.token("k1")) == 401
    assert _get(client, token(roles=("auditor",), scopes=("audit:read",))) == 200


def test_keys_of_one_issuer_never_verify_another(client, idp, clock, hub):
    idp.add_key("k1")
    assert _get(client, idp.token("k1")) == 200
    ours = hub.keyring.active()
    # claims our issuer but is signed by the provider's key under its kid
    assert _get(client, idp.token("k1", iss=hub.settings.jwt_issuer)) == 401
    # claims the provider but names our kid and is signed with our key
    forged = jwt.encode(
        idp.claims(),
        ours.private_key,
        algorithm="RS256",
        headers={"kid": ours.kid, "typ": "at+jwt"},
    )
    assert _get(client, forged) == 401
    # the provider's kid, signed by a key it never published
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake = jwt.encode(
        idp.claims(), other, algorithm="RS256", headers={"kid": "k1", "typ": "at+jwt"}
    )
    assert _get(client, fake) == 401


def test_algorithm_must_match_the_key_type(client, idp, clock):
    idp.add_key("rsa")
    ec_key = ec.generate_private_key(ec.SECP256R1())
    # ES256 header naming an RSA key
    token = jwt.encode(
        idp.claims(), ec_key, algorithm="ES256", headers={"kid": "rsa", "typ": "at+jwt"}
    )
    assert _get(client, token) == 401
    # RS512 is not on the allow-list although the key is RSA
    rs512 = jwt.encode(
        idp.claims(), idp.private["rsa"], algorithm="RS512", headers={"kid": "rsa", "typ": "at+jwt"}
    )
    assert _get(client, rs512) == 401
    assert _get(client, idp.token("rsa")) == 200  # the same key with RS256 is fine


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"aud": "someone-else"}, "audience is not ours"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"exp": None}, "no exp"),
        ({"sub": None}, "no sub"),
    ],
)
def test_external_claims_are_checked_like_ours(client, idp, clock, claims, why):
    idp.add_key("k1")
    assert _get(client, idp.token("k1", **claims)) == 401, why


# -- fetching and parsing, below the app ---------------------------------------------------


def test_private_address_is_refused_unless_allow_listed(idp, settings):
    idp.add_key("k1")
    strict = settings.model_copy(update={"allow_private_hosts": ""})
    assert trusted_issuers(strict)[idp.issuer].key("k1") is None
    with pytest.raises(JwksError, match="loopback"):
        fetch_jwks(idp.url, timeout=1, allowed_private_hosts=frozenset())
    assert idp.requests == 0
    allowed = fetch_jwks(idp.url, timeout=1, allowed_private_hosts=frozenset({"127.0.0.1"}))
    assert list(allowed.keys) == ["k1"] and idp.requests == 1


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",  # not http(s)
        "ftp://idp.example/jwks.json",  # not http(s)
        "jwks.json",  # not a URL
    ],
)
def test_only_http_urls_are_configurable(url):
    with pytest.raises(ValidationError, match="CIVICHUB_TRUSTED_JWKS"):
        Settings(trusted_jwks=f"https://idp.example={url}", _env_file=None)  # type: ignore[call-arg]


def test_the_hubs_own_issuer_cannot_be_trusted_as_external(settings):
    own = settings.model_copy(update={"trusted_jwks": f"{settings.jwt_issuer}=https://x/jwks"})
    with pytest.raises(ValueError, match="own issuer"):
        HubState.build(own)


def test_cache_bounds_must_be_ordered():
    with pytest.raises(ValueError, match="REFRESH_INTERVAL"):
        CachePolicy(ttl=30, max_ttl=3600, refresh_interval=60)


def _jwk(key, **extra) -> dict:
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm = jwt.get_algorithm_by_name("RS256")
    else:
        algorithm = jwt.get_algorithm_by_name("ES256")
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    jwk.update(extra)
    return {k: v for k, v in jwk.items() if v is not None}


RSA_2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
EC_P384 = ec.generate_private_key(ec.SECP384R1())


@pytest.mark.parametrize(
    ("jwk", "kept"),
    [
        (_jwk(RSA_2048, kid="ok"), True),  # plain RSA signing key
        (_jwk(RSA_2048, kid="ok", alg="RS256", use="sig"), True),  # with matching alg/use
        (_jwk(RSA_1024, kid="weak"), False),  # RSA under 2048 bits
        (_jwk(RSA_2048, kid="enc", use="enc"), False),  # an encryption key
        (_jwk(RSA_2048, kid="rs512", alg="RS512"), False),  # alg outside the allow-list
        (_jwk(RSA_2048, kid="ps", alg="ES256"), False),  # alg not matching the key type
        (_jwk(EC_P384, kid="p384"), False),  # EC curve other than P-256
        ({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}, False),  # a symmetric secret
        (_jwk(RSA_2048, kid=None), False),  # no kid
        (_jwk(RSA_2048, kid="priv", d="AQAB"), False),  # private material published
        ("not-an-object", False),  # junk in the list
    ],
)
def test_parse_jwks_keeps_only_allowed_signing_keys(jwk, kept):
    keys = parse_jwks({"keys": [jwk]}, source="test")
    assert bool(keys) is kept


@pytest.mark.parametrize("document", [[], {"keys": "nope"}, {"no": "keys"}, "text"])
def test_parse_jwks_refuses_what_is_not_a_key_set(document):
    with pytest.raises(JwksError, match="not a JWK set"):
        parse_jwks(document, source="test")
