"""Tokens: issuing, verifying, JWKS, client credentials, and the refusals."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from hub.auth import service as clients
from hub.db import session_scope
from tests.hub.conftest import auditor_claims

AUDIT = "/v1/audit"


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _sign(hub, claims: dict, *, key=None, headers=None) -> str:
    active = hub.keyring.active()
    hdr = {"kid": active.kid, "typ": "at+jwt"}
    hdr.update(headers or {})
    return jwt.encode(claims, key or active.private_key, algorithm="RS256", headers=hdr)


def test_issued_token_round_trips_and_grants_its_scope(client, token):
    tok = token(roles=("auditor",), scopes=("audit:read",))
    response = client.get(AUDIT, headers={"Authorization": f"Bearer {tok}"})
    assert response.status_code == 200, response.text


def test_jwks_publishes_the_signing_key(client, hub):
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in keys] == [hub.keyring.active().kid]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]
    # a verifier using only the JWKS accepts our token
    public = jwt.PyJWK(keys[0]).key
    tok = _sign(hub, auditor_claims(hub))
    assert jwt.decode(tok, public, algorithms=["RS256"], audience=hub.settings.jwt_audience)["sub"]


def _forged(hub) -> dict[str, str]:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    header_none = _b64({"alg": "none", "typ": "at+jwt", "kid": hub.keyring.active().kid})
    return {
        # alg=none, no signature
        "alg-none": f"{header_none}.{_b64(auditor_claims(hub))}.",
        # signed by a key we never issued, claiming our kid
        "bad-signature": _sign(hub, auditor_claims(hub), key=other),
        "wrong-audience": _sign(hub, auditor_claims(hub, aud="someone-else")),
        "wrong-issuer": _sign(hub, auditor_claims(hub, iss="https://evil.example")),
        "expired": _sign(hub, auditor_claims(hub, iat=now - 4000, exp=now - 3600)),
        "missing-exp": _sign(hub, auditor_claims(hub, exp=None)),
        "unknown-kid": _sign(hub, auditor_claims(hub), headers={"kid": "nope"}),
        "kid-traversal": _sign(hub, auditor_claims(hub), headers={"kid": "../../etc/passwd"}),
        "jku-header": _sign(hub, auditor_claims(hub), headers={"jku": "https://evil.example/jwks"}),
        "not-an-access-token": _sign(hub, auditor_claims(hub), headers={"typ": "JWT"}),
        "huge": _sign(hub, auditor_claims(hub, pad="x" * 20_000)),  # 64 KB: test_jwt_negative.py
    }


@pytest.mark.parametrize(
    "case",
    [
        "alg-none",
        "bad-signature",
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "missing-exp",
        "unknown-kid",
        "kid-traversal",
        "jku-header",
        "not-an-access-token",
        "huge",
    ],
)
def test_bad_tokens_are_401(client, hub, case):
    response = client.get(AUDIT, headers={"Authorization": f"Bearer {_forged(hub)[case]}"})
    assert response.status_code == 401, (case, response.text)


def test_valid_token_without_the_right_is_403(client, token):
    tok = token(roles=("officer",), scopes=("records:read",))
    assert client.get(AUDIT, headers={"Authorization": f"Bearer {tok}"}).status_code == 403


def test_client_credentials_form_and_basic(client, hub):
    with session_scope(hub.sessions) as session:
        secret = clients.create_client(
            session,
            client_id="kiem-toan",
            name="State Audit",
            agency="kiem-toan",
            roles=["auditor"],
            scopes=["audit:read"],
            attrs={},
        )
    form = {"grant_type": "client_credentials", "client_id": "kiem-toan", "client_secret": secret}
    issued = client.post("/v1/auth/token", data=form)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "audit:read"
    ok = client.get(AUDIT, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert ok.status_code == 200
    basic = base64.b64encode(f"kiem-toan:{secret}".encode()).decode()
    by_basic = client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert by_basic.status_code == 200
    wrong = client.post("/v1/auth/token", data={**form, "client_secret": secret + "x"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    too_much = client.post("/v1/auth/token", data={**form, "scope": "datasets:write"})
    assert too_much.status_code == 401


def test_rotation_keeps_old_tokens_valid(hub, token, settings):
    from hub.app import create_app

    old = token(roles=("auditor",), scopes=("audit:read",))
    new_kid = hub.keyring.rotate()
    with TestClient(create_app(settings, state=hub)) as client:
        kids = [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]]
        assert new_kid in kids and len(kids) == 2
        assert client.get(AUDIT, headers={"Authorization": f"Bearer {old}"}).status_code == 200
    assert jwt.get_unverified_header(token())["kid"] == new_kid
