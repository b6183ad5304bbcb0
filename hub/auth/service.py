"""API clients: registration and the client-credentials grant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.models import ApiClient
from hub.auth.tokens import TokenRequest
from hub.errors import Conflict, Unauthorized

# scrypt parameters (RFC 7914 interactive-login level); stored with each hash so they can
# be raised later without invalidating existing secrets
_N, _R, _P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def check_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got, _unb64(digest))


def create_client(
    session: Session,
    *,
    client_id: str,
    name: str,
    agency: str | None,
    roles: list[str],
    scopes: list[str],
    attrs: dict[str, Any],
) -> str:
    """Register a client; returns its secret (shown once, stored only as a hash)."""
    if session.get(ApiClient, client_id) is not None:
        raise Conflict(f"client {client_id!r} already exists")
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiClient(
            client_id=client_id,
            secret_hash=hash_secret(secret),
            name=name,
            agency=agency,
            roles=sorted(set(roles)),
            scopes=sorted(set(scopes)),
            attrs=attrs,
        )
    )
    session.flush()
    return secret


def authenticate(
    session: Session, *, client_id: str, client_secret: str, scope: str | None, ttl: int
) -> TokenRequest:
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    # hash anyway when the client is unknown so timing does not reveal which ids exist
    stored = client.secret_hash if client else hash_secret("x")
    if not check_secret(client_secret, stored) or client is None or client.disabled:
        raise Unauthorized("invalid client credentials", error="invalid_client")
    granted = list(client.scopes)
    if scope:
        asked = scope.replace(",", " ").split()
        extra = sorted(set(asked) - set(granted))
        if extra:
            raise Unauthorized(
                f"scope(s) not granted to this client: {', '.join(extra)}", error="invalid_scope"
            )
        granted = asked
    return TokenRequest(
        sub=f"client:{client.client_id}",
        agency=client.agency,
        roles=list(client.roles),
        scopes=granted,
        attrs=dict(client.attrs),
        ttl=ttl,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)
