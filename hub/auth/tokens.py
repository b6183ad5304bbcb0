"""Issuing and verifying access tokens (JWT, RFC 9068 profile, RFC 8725 practices).

Verification is deliberately narrow: an explicit algorithm allow-list (never taken from
the token), ``typ`` must be ``at+jwt``, key-carrying headers (``jku``, ``x5u``, ``jwk``,
``x5c``, ``crit``) are refused outright, ``kid`` must be a short plain string naming a key
we hold, and ``exp``, ``iat``, ``iss``, ``aud`` and ``sub`` are required. All of that is
checked before any key is looked up, so a malformed token never causes a JWKS fetch.
Every failure is 401.

The token's unverified ``iss`` only selects where the key comes from: our own keyring
(RS256) for ``CIVICHUB_JWT_ISSUER``, or that one trusted issuer's JWKS (``hub.auth.jwks``:
RS256, ES256 or EdDSA by key type) for an issuer in ``CIVICHUB_TRUSTED_JWKS``. The
signature is then verified with that issuer's key only, and ``iss`` must equal the
issuer the key came from; ``aud`` must be ours either way.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from hub.auth.jwks import EXTERNAL_ALGORITHMS, TrustedIssuers
from hub.auth.keys import ALGORITHM, Keyring
from hub.errors import BadRequest, Unauthorized
from hub.lru import Lru
from policies.principal import Principal, Role, Scope, split_list

log = logging.getLogger(__name__)

TOKEN_TYPE = "at+jwt"
MAX_TOKEN_BYTES = 8192
FORBIDDEN_HEADERS = ("jku", "x5u", "jwk", "x5c", "crit")
KNOWN_ROLES = {r.value for r in Role}
KNOWN_SCOPES = {s.value for s in Scope}
#: what a kid may look like (base64/base64url, hex, dotted names); ``..`` is refused too
KID_PATTERN = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


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
    def __init__(
        self,
        keyring: Keyring,
        *,
        issuer: str,
        audience: str,
        leeway: int,
        max_ttl: int,
        trusted: TrustedIssuers | None = None,
    ):
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.max_ttl = max_ttl
        self.trusted = trusted or TrustedIssuers()
        self._verified = _VerifiedTokens(leeway)
        if issuer in self.trusted:
            raise ValueError(
                f"CIVICHUB_TRUSTED_JWKS names the hub's own issuer {issuer!r}; "
                "the hub's keys come from its keyring"
            )

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
            cached = self._verified.get(token, self._key_for)
            if cached is not None:
                return cached
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
        self._check_header(header)
        issuer = _unverified_issuer(token)
        key, algorithm = self._key_for(issuer, header)
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=self.audience,
            issuer=issuer,
            leeway=self.leeway,
            options={"require": REQUIRED_CLAIMS},
        )
        principal = principal_from_claims(claims)
        self._verified.put(token, principal, claims, key, header, issuer)
        return principal

    @staticmethod
    def _check_header(header: Mapping[str, Any]) -> None:
        if str(header.get("typ", "")).lower() not in (TOKEN_TYPE, "application/" + TOKEN_TYPE):
            raise Unauthorized("not an access token")
        if any(h in header for h in FORBIDDEN_HEADERS):
            raise Unauthorized("token header not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid) or ".." in kid:
            raise Unauthorized("unknown signing key")

    def _key_for(self, issuer: str, header: Mapping[str, Any]) -> tuple[Any, str]:
        """The key and algorithm that must verify a token of ``issuer`` with ``header``."""
        kid = str(header["kid"])
        if issuer == self.issuer:
            return self._own_key(header.get("alg"), kid)
        if issuer in self.trusted:
            return self._external_key(issuer, header.get("alg"), kid)
        raise Unauthorized("token issuer not trusted")

    def _own_key(self, alg: object, kid: str) -> tuple[Any, str]:
        if alg != ALGORITHM:
            raise Unauthorized("token algorithm not accepted")
        key = self.keyring.public_key(kid)
        if key is None:
            raise Unauthorized("unknown signing key")
        return key, ALGORITHM

    def _external_key(self, issuer: str, alg: object, kid: str) -> tuple[Any, str]:
        # checked before the key lookup: a refused algorithm never causes a JWKS fetch
        if alg not in EXTERNAL_ALGORITHMS:
            raise Unauthorized("token algorithm not accepted")
        found = self.trusted[issuer].key(kid)
        if found is None:
            raise Unauthorized("unknown signing key")
        if found.algorithm != alg:
            raise Unauthorized("token algorithm does not match its key")
        return found.key, found.algorithm


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    exp: float
    nbf: float
    key: Any
    header: Mapping[str, Any]
    issuer: str


class _VerifiedTokens:
    """Tokens whose signature and claims were verified, so a caller's next requests with
    the same token skip parsing and RSA (most of a lookup's token cost).

    A hit still checks the time window (``exp``, ``nbf``) now, and that the key which
    verified the token is still the one the header's issuer and ``kid`` resolve to: a key
    withdrawn from the keyring or from a trusted JWKS refuses its tokens as before.
    Bounded; entries go at expiry or when the table is full (least recently used first).
    """

    SIZE = 10_000

    def __init__(self, leeway: int):
        self._leeway = leeway
        self._items: Lru[_Verified] = Lru(self.SIZE)

    def get(
        self, token: str, key_for: Callable[[str, Mapping[str, Any]], tuple[Any, str]]
    ) -> Principal | None:
        item = self._items.get(token)
        if item is None:
            return None
        now = time.time()
        if not item.nbf - self._leeway <= now < item.exp + self._leeway:
            self._items.pop(token)
            return None  # verified again in full, which says why it is refused
        if key_for(item.issuer, item.header)[0] is not item.key:
            return None
        return item.principal

    def put(
        self,
        token: str,
        principal: Principal,
        claims: Mapping[str, Any],
        key: Any,
        header: Mapping[str, Any],
        issuer: str,
    ) -> None:
        nbf = float(claims.get("nbf", claims["iat"]))
        item = _Verified(principal, float(claims["exp"]), nbf, key, dict(header), issuer)
        self._items.put(token, item)


def _unverified_issuer(token: str) -> str:
    """``iss`` before verification: it only chooses whose keys may verify the token."""
    claims = jwt.decode(token, options={"verify_signature": False})
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise Unauthorized("token has no issuer")
    return issuer


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
