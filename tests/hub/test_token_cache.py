"""Verified tokens are remembered, but a remembered token is refused once it expires or
its signing key is withdrawn, exactly as a token seen for the first time would be."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import jwt
import pytest

from hub.auth.keys import ALGORITHM, Keyring
from hub.auth.tokens import TOKEN_TYPE, TokenRequest, TokenService
from hub.errors import Unauthorized

ISSUER, AUDIENCE = "https://hub.test", "civichub"


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    ring = Keyring(tmp_path / "keys")
    ring.ensure()
    return ring


def service(keyring: Keyring) -> TokenService:
    return TokenService(keyring, issuer=ISSUER, audience=AUDIENCE, leeway=0, max_ttl=3600)


def signed(keyring: Keyring, *, ttl: float) -> str:
    key = keyring.active()
    now = time.time()
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "officer-1",
        "iat": int(now),
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "roles": ["officer"],
    }
    headers = {"kid": key.kid, "typ": TOKEN_TYPE}
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers=headers)


def test_a_remembered_token_is_answered_without_decoding_it_again(keyring, monkeypatch):
    tokens = service(keyring)
    token = tokens.issue(TokenRequest("officer-1", "thue", ["officer"], ["records:read"], {}))
    first = tokens.verify(token)

    def no_decode(*args, **kwargs):
        raise AssertionError("a remembered token was decoded again")

    monkeypatch.setattr(jwt, "decode", no_decode)
    assert tokens.verify(token) == first


def test_a_remembered_token_is_refused_once_expired(keyring):
    tokens = service(keyring)
    token = signed(keyring, ttl=1.0)
    assert tokens.verify(token).sub == "officer-1"
    time.sleep(1.2)
    with pytest.raises(Unauthorized):
        tokens.verify(token)


def test_a_remembered_token_is_refused_once_its_key_is_withdrawn(keyring):
    tokens = service(keyring)
    token = tokens.issue(TokenRequest("officer-1", "thue", ["officer"], ["records:read"], {}))
    assert tokens.verify(token).sub == "officer-1"
    withdrawn = keyring.active().kid
    for pem in keyring.signing_dir.glob(f"{withdrawn}.pem"):
        pem.unlink()
    keyring._signing = None  # what a restart after removing the key file does
    with pytest.raises(Unauthorized):
        tokens.verify(token)


def test_a_different_token_of_the_same_caller_is_verified_in_full(keyring):
    tokens = service(keyring)
    good = tokens.issue(TokenRequest("officer-1", "thue", ["officer"], ["records:read"], {}))
    tokens.verify(good)
    head, body, sig = good.split(".")
    forged = f"{head}.{body}.{sig[:-4]}AAAA"
    with pytest.raises(Unauthorized):
        tokens.verify(forged)
