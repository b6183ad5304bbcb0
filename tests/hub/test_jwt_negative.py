"""RFC 8725 negative suite: every forged or malformed token is refused, and nothing is fetched.

Each row builds a token (ours, or one naming the trusted external issuer) and sends it
through the real app. The hub trusts a fake identity provider whose JWKS server counts
requests, and every outbound socket connection is recorded and blocked during the
request, so a token that made the hub fetch a key (``jku``, ``x5u``, an unknown issuer, a
refused algorithm...) fails the row even if it ended in 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hub.errors import Unauthorized
from hub.settings import Settings
from hub.state import HubState
from tests.hub.conftest import auditor_claims, bearer
from tests.hub.idp import FakeIdp, running_idp

AUDIT = "/v1/audit"
ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def idp() -> Iterator[FakeIdp]:
    with running_idp() as server:
        server.add_key("idp-1")
        yield server


@pytest.fixture
def settings(settings: Settings, idp: FakeIdp) -> Settings:
    return settings.model_copy(update={"trusted_jwks": f"{idp.issuer}={idp.url}"})


@pytest.fixture
def outbound(client, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outbound TCP connection attempted from Python, recorded and refused."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise ConnectionRefusedError(f"test forbids outbound connections ({address})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


# -- building tokens ------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _seg(obj: Any) -> str:
    return _b64(json.dumps(obj).encode())


def _pem(key: Any, fmt: serialization.PublicFormat) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, fmt)


@dataclass
class Forge:
    hub: HubState
    idp: FakeIdp

    @property
    def kid(self) -> str:
        return self.hub.keyring.active().kid

    def claims(self, **over: Any) -> dict[str, Any]:
        return auditor_claims(self.hub, **over)

    def ours(
        self, *, key: Any = None, alg: str = "RS256", headers: dict | None = None, **claims: Any
    ) -> str:
        """Signed with our active key (or ``key``) under our kid unless headers say otherwise."""
        header = {"kid": self.kid, "typ": "at+jwt", **(headers or {})}
        header = {k: v for k, v in header.items() if v is not None}
        private = key or self.hub.keyring.active().private_key
        return jwt.encode(self.claims(**claims), private, algorithm=alg, headers=header)

    def theirs(self, *, headers: dict | None = None, **claims: Any) -> str:
        """Signed by the trusted provider's real key."""
        return self.idp.token("idp-1", headers=headers, **claims)

    def unsigned(self, header: dict[str, Any], claims: dict[str, Any], sig: str = "") -> str:
        return f"{_seg(header)}.{_seg(claims)}.{sig}"

    def rs256_raw(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        """Validly signed by our key, for shapes PyJWT refuses to encode."""
        signing_input = f"{_seg({'alg': 'RS256', 'typ': 'at+jwt', **header})}.{_seg(claims)}"
        private = self.hub.keyring.active().private_key
        sig = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(sig)}"

    def hs256(self, secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
        """HMAC-signed by hand: PyJWT itself refuses a PEM as an HMAC secret."""
        signing_input = f"{_seg({**header, 'alg': 'HS256'})}.{_seg(claims)}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    @property
    def our_public(self) -> rsa.RSAPublicKey:
        return self.hub.keyring.active().private_key.public_key()

    @property
    def their_public(self) -> Any:
        return self.idp.private["idp-1"].public_key()

    def ext_claims(self, **over: Any) -> dict[str, Any]:
        return self.idp.claims(**over)


NOW = int(time.time())
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
PKCS1 = serialization.PublicFormat.PKCS1


def _valid_signature(f: Forge) -> str:
    return f.ours().rsplit(".", 1)[1]


Builder = Callable[[Forge], str]

# (id, token builder, expected status); one row per attack or malformation
CASES: list[tuple[str, Builder, int]] = [
    # --- algorithm --------------------------------------------------------------------------
    # alg=none, empty signature
    (
        "alg-none",
        lambda f: f.unsigned({"alg": "none", "typ": "at+jwt", "kid": f.kid}, f.claims()),
        401,
    ),
    # alg=NONE in another case, as some libraries compare case-insensitively
    (
        "alg-NONE",
        lambda f: f.unsigned({"alg": "NONE", "typ": "at+jwt", "kid": f.kid}, f.claims()),
        401,
    ),
    # alg=none but a real signature kept in the third segment
    (
        "alg-none-with-signature",
        lambda f: f.unsigned(
            {"alg": "none", "typ": "at+jwt", "kid": f.kid}, f.claims(), _valid_signature(f)
        ),
        401,
    ),
    # HS256 keyed with our RSA public key as PEM (SubjectPublicKeyInfo): key confusion
    (
        "hs256-our-public-pem",
        lambda f: f.hs256(_pem(f.our_public, SPKI), {"typ": "at+jwt", "kid": f.kid}, f.claims()),
        401,
    ),
    # the same with the PKCS#1 PEM form
    (
        "hs256-our-public-pkcs1",
        lambda f: f.hs256(_pem(f.our_public, PKCS1), {"typ": "at+jwt", "kid": f.kid}, f.claims()),
        401,
    ),
    # RS512 with our key: not the one algorithm we accept
    ("rs512", lambda f: f.ours(alg="RS512"), 401),
    # PS256 with our key: RSA too, still not accepted
    ("ps256", lambda f: f.ours(alg="PS256"), 401),
    # alg as a list rather than a string
    (
        "alg-list",
        lambda f: f.unsigned({"alg": ["RS256"], "typ": "at+jwt", "kid": f.kid}, f.claims(), "x"),
        401,
    ),
    # --- signature ------------------------------------------------------------------------------
    # signed by a key we never issued, claiming our kid
    ("bad-signature", lambda f: f.ours(key=ATTACKER), 401),
    # RS256 header, signature segment removed
    ("signature-stripped", lambda f: f.ours().rsplit(".", 1)[0] + ".", 401),
    # claims changed after signing
    (
        "payload-tampered",
        lambda f: ".".join(
            [f.ours().split(".")[0], _seg(f.claims(roles=["admin"])), _valid_signature(f)]
        ),
        401,
    ),
    # --- key-carrying headers: never followed, never trusted ------------------------------------
    # jku pointing at a JWKS server (the counting one: a fetch would show)
    ("jku", lambda f: f.ours(headers={"jku": f.idp.url}), 401),
    # x5u pointing at the same server
    ("x5u", lambda f: f.ours(headers={"x5u": f.idp.url}), 401),
    # jwk: the attacker's public key embedded, token signed with it
    (
        "jwk-embedded",
        lambda f: f.ours(
            key=ATTACKER,
            headers={
                "kid": "attacker",
                "jwk": json.loads(jwt.get_algorithm_by_name("RS256").to_jwk(ATTACKER.public_key())),
            },
        ),
        401,
    ),
    # x5c: a certificate chain in the header
    (
        "x5c",
        lambda f: f.ours(headers={"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}),
        401,
    ),
    # crit: an extension we would have to understand
    ("crit", lambda f: f.ours(headers={"crit": ["exp"]}), 401),
    # --- kid --------------------------------------------------------------------------------
    # path traversal
    ("kid-traversal", lambda f: f.ours(headers={"kid": "../../../../etc/passwd"}), 401),
    # SQL injection
    ("kid-sql", lambda f: f.ours(headers={"kid": "' OR 1=1--"}), 401),
    # 10 KB kid (the token is then over the size cap too)
    ("kid-10kb", lambda f: f.ours(headers={"kid": "k" * 10_240}), 401),
    # 1 KB kid, token under the size cap
    ("kid-1kb", lambda f: f.ours(headers={"kid": "k" * 1024}), 401),
    # NUL byte
    ("kid-nul", lambda f: f.ours(headers={"kid": f.kid + "\x00"}), 401),
    # a number instead of a string
    ("kid-number", lambda f: f.rs256_raw({"kid": 1}, f.claims()), 401),
    # an object instead of a string
    ("kid-object", lambda f: f.rs256_raw({"kid": {"$ne": ""}}, f.claims()), 401),
    # no kid at all
    ("kid-missing", lambda f: f.ours(headers={"kid": None}), 401),
    # a well-formed kid we do not hold
    ("kid-unknown", lambda f: f.ours(headers={"kid": "no-such-key"}), 401),
    # --- time ---------------------------------------------------------------------------------
    # expired an hour ago
    ("expired", lambda f: f.ours(iat=NOW - 7200, exp=NOW - 3600), 401),
    # expired just beyond the leeway
    (
        "expired-past-leeway",
        lambda f: f.ours(exp=int(time.time()) - f.hub.settings.jwt_leeway - 10),
        401,
    ),
    # nbf an hour ahead
    ("nbf-future", lambda f: f.ours(nbf=NOW + 3600), 401),
    # nbf just beyond the leeway
    (
        "nbf-past-leeway",
        lambda f: f.ours(nbf=int(time.time()) + f.hub.settings.jwt_leeway + 30),
        401,
    ),
    # iat in the future
    ("iat-future", lambda f: f.ours(iat=NOW + 3600, exp=NOW + 7200), 401),
    # exp missing
    ("missing-exp", lambda f: f.ours(exp=None), 401),
    # iat missing
    ("missing-iat", lambda f: f.ours(iat=None), 401),
    # exp not a number
    ("exp-string", lambda f: f.ours(exp="tomorrow"), 401),
    # --- audience, issuer, subject ------------------------------------------------------------
    # audience of another service
    ("wrong-aud", lambda f: f.ours(aud="someone-else"), 401),
    # audience list without ours
    ("aud-list-without-ours", lambda f: f.ours(aud=["a", "b"]), 401),
    # no audience
    ("missing-aud", lambda f: f.ours(aud=None), 401),
    # an issuer we do not know, signed with our key
    ("wrong-iss", lambda f: f.ours(iss="https://evil.example"), 401),
    # no issuer
    ("missing-iss", lambda f: f.ours(iss=None), 401),
    # issuer as a list
    (
        "iss-list",
        lambda f: f.rs256_raw({"kid": f.kid}, f.claims(iss=[f.hub.settings.jwt_issuer])),
        401,
    ),
    # no subject
    ("missing-sub", lambda f: f.ours(sub=None), 401),
    # --- token type -------------------------------------------------------------------------
    # an OpenID Connect ID token (typ JWT, nonce, aud = the client)
    ("id-token", lambda f: f.ours(headers={"typ": "JWT"}, nonce="n-0S6_WzA2Mj"), 401),
    # no typ at all
    ("typ-missing", lambda f: f.ours(headers={"typ": None}), 401),
    # a logout token type
    ("typ-logout", lambda f: f.ours(headers={"typ": "logout+jwt"}), 401),
    # --- shape and size -----------------------------------------------------------------------
    # not a JWT
    ("garbage", lambda f: "not-a-jwt", 401),
    # three empty segments
    ("empty-segments", lambda f: "..", 401),
    # header that is not JSON
    ("header-not-json", lambda f: f"{_b64(b'{nope')}.{_seg(f.claims())}.x", 401),
    # header that is JSON but not an object
    ("header-array", lambda f: f"{_seg(['RS256'])}.{_seg(f.claims())}.x", 401),
    # 20 KB token: over the token cap, under the header cap
    ("token-20kb", lambda f: f.ours(pad="x" * 20_000), 401),
    # 64 KB token: the header block is over the cap, refused before parsing
    ("token-64kb", lambda f: f.ours(pad="x" * 64 * 1024), 431),
    # --- the trusted external issuer --------------------------------------------------------
    # alg=none naming the provider
    (
        "ext-alg-none",
        lambda f: f.unsigned({"alg": "none", "typ": "at+jwt", "kid": "idp-1"}, f.ext_claims()),
        401,
    ),
    # HS256 keyed with the provider's public key as PEM
    (
        "ext-hs256-public-pem",
        lambda f: f.hs256(
            _pem(f.their_public, SPKI), {"typ": "at+jwt", "kid": "idp-1"}, f.ext_claims()
        ),
        401,
    ),
    # HS256 keyed with the provider's published JWK (JSON) as the secret
    (
        "ext-hs256-jwk-json",
        lambda f: f.hs256(
            json.dumps(f.idp.jwks()["keys"][0]).encode(),
            {"typ": "at+jwt", "kid": "idp-1"},
            f.ext_claims(),
        ),
        401,
    ),
    # the provider's real signature but a jku to follow
    ("ext-jku", lambda f: f.theirs(headers={"jku": f.idp.url}), 401),
    # the provider's ID token
    ("ext-id-token", lambda f: f.theirs(headers={"typ": "JWT"}), 401),
    # a kid with path traversal naming the provider
    ("ext-kid-traversal", lambda f: f.theirs(headers={"kid": "../idp-1"}), 401),
    # an issuer nobody configured, self-signed
    (
        "unknown-issuer",
        lambda f: jwt.encode(
            f.ext_claims(iss="https://evil.example"),
            ATTACKER,
            algorithm="RS256",
            headers={"kid": "k", "typ": "at+jwt"},
        ),
        401,
    ),
]


@pytest.mark.parametrize(("case", "build", "status"), CASES, ids=[c[0] for c in CASES])
def test_forged_token_is_refused_without_outbound_request(
    client, hub, idp, outbound, case, build, status
):
    token = build(Forge(hub, idp))
    response = client.get(AUDIT, headers=bearer(token))
    assert response.status_code == status, (case, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert outbound == [], f"{case} made the hub connect out"
    assert idp.requests == 0, f"{case} made the hub fetch a JWKS"


def test_64kb_header_beside_a_valid_token_is_431_not_500(client, hub, outbound):
    tok = Forge(hub, None).ours()  # type: ignore[arg-type]
    assert client.get(AUDIT, headers=bearer(tok)).status_code == 200
    response = client.get(AUDIT, headers={**bearer(tok), "X-Padding": "x" * 64 * 1024})
    assert response.status_code == 431, response.text
    assert response.json()["status"] == 431


def test_64kb_token_given_to_verify_is_refused_at_once(hub):
    token = Forge(hub, None).ours(pad="x" * 64 * 1024)  # type: ignore[arg-type]
    with pytest.raises(Unauthorized, match="too large"):  # refused on its size, unparsed
        hub.tokens.verify(token)


# -- controls: the suite's two detectors do detect ----------------------------------------


def test_the_outbound_guard_sees_a_jwks_fetch(client, idp, outbound):
    # a valid token of the provider, cache cold: the hub must fetch, and the guard sees it
    response = client.get(AUDIT, headers=bearer(idp.token("idp-1")))
    assert response.status_code == 401  # the fetch was blocked
    assert outbound and outbound[0][0] == "127.0.0.1"


def test_the_counting_server_sees_a_jwks_fetch(client, idp):
    assert client.get(AUDIT, headers=bearer(idp.token("idp-1"))).status_code == 200
    assert idp.requests == 1
