"""Issuing and verifying access tokens (JWT, RFC 9068 profile, RFC 8725 practices).

Verification is deliberately narrow: an explicit algorithm allow-list (never taken from
the token), ``typ`` must be ``at+jwt``, key-carrying headers (``jku``, ``x5u``, ``jwk``,
``x5c``) are refused outright, ``kid`` must name a key we already hold, and ``exp``,
``iat``, ``iss``, ``aud`` and ``sub`` are required. Every failure is the same 401 to the
caller; the reason goes to the log only.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from hub.auth.keys import ALGORITHM, Keyring
from hub.errors import BadRequest, Unauthorized
from policies.principal import Principal, Role, Scope, split_list

log = logging.getLogger(__name__)

TOKEN_TYPE = "at+jwt"
MAX_TOKEN_BYTES = 8192
FORBIDDEN_HEADERS = ("jku", "x5u", "jwk", "x5c", "crit")
KNOWN_ROLES = {r.value for r in Role}
KNOWN_SCOPES = {s.value for s in Scope}


@dataclass(frozen=True)
class TokenRequest:
    sub: str
    agency: str | None
    roles: list[str]
    scopes: list[str]
    attrs: Mapping[str, Any]
    citizen_id: str | None = None
    ttl: int = 3600


class TokenService:
    def __init__(self, keyring: Keyring, *, issuer: str, audience: str, leeway: int, max_ttl: int):
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.max_ttl = max_ttl

    def issue(self, req: TokenRequest) -> str:
        _check_request(req, self.max_ttl)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": req.sub,
            "iat": now,
            "nbf": now,
            "exp": now + req.ttl,
            "jti": uuid.uuid4().hex,
            "roles": sorted(set(req.roles)),
            "scope": " ".join(sorted(set(req.scopes))),
            "attrs": dict(req.attrs),
        }
        if req.agency:
            claims["agency"] = req.agency
        if req.citizen_id:
            claims["citizen_id"] = req.citizen_id
        key = self.keyring.active()
        return jwt.encode(
            claims,
            key.private_key,
            algorithm=ALGORITHM,
            headers={"kid": key.kid, "typ": TOKEN_TYPE},
        )

    def verify(self, token: str) -> Principal:
        try:
            return self._verify(token)
        except Unauthorized:
            raise
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            log.info("token refused: %s", exc)
            raise Unauthorized("invalid token") from None

    def _verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthorized("token too large")
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("token algorithm not accepted")
        if str(header.get("typ", "")).lower() not in (TOKEN_TYPE, "application/" + TOKEN_TYPE):
            raise Unauthorized("not an access token")
        if any(h in header for h in FORBIDDEN_HEADERS):
            raise Unauthorized("token header not accepted")
        kid = header.get("kid")
        key = self.keyring.public_key(kid) if isinstance(kid, str) and len(kid) <= 128 else None
        if key is None:
            raise Unauthorized("unknown signing key")
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        return principal_from_claims(claims)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    attrs = claims.get("attrs") or {}
    if not isinstance(attrs, dict):
        raise Unauthorized("claim attrs must be an object")
    roles = claims.get("roles") or []
    if not isinstance(roles, list | str):
        raise Unauthorized("claim roles must be a list")
    return Principal(
        sub=str(claims["sub"]),
        agency=claims.get("agency"),
        roles=frozenset(r for r in split_list(roles) if r in KNOWN_ROLES),
        scopes=frozenset(split_list(str(claims.get("scope") or ""))),
        attrs=attrs,
        citizen_id=claims.get("citizen_id"),
        issuer=claims.get("iss"),
        token_id=claims.get("jti"),
    )


def _check_request(req: TokenRequest, max_ttl: int) -> None:
    validate_grant(req.roles, req.scopes)
    if not 60 <= req.ttl <= max_ttl:
        raise BadRequest(f"ttl must be between 60 and {max_ttl} seconds")
    if not req.sub:
        raise BadRequest("sub must not be empty")
    if Role.citizen in req.roles and not req.citizen_id:
        raise BadRequest("a citizen token needs --citizen-id")


def validate_grant(roles: list[str], scopes: list[str]) -> None:
    """Roles and scopes must be ones the hub knows (a typo would silently grant nothing)."""
    unknown_roles = sorted(set(roles) - KNOWN_ROLES)
    if unknown_roles:
        raise BadRequest(
            f"unknown role(s) {', '.join(unknown_roles)}; use {', '.join(sorted(KNOWN_ROLES))}"
        )
    unknown_scopes = sorted(set(scopes) - KNOWN_SCOPES)
    if unknown_scopes:
        raise BadRequest(
            f"unknown scope(s) {', '.join(unknown_scopes)}; use {', '.join(sorted(KNOWN_SCOPES))}"
        )
