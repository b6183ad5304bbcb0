"""Token endpoint (OAuth2 client credentials) and the public signing keys."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.audit import service as audit
from hub.audit.events import TokenIssued
from hub.auth import service
from hub.deps import HubDep, Public, request_id, unit_of_work
from hub.errors import BadRequest, Unauthorized

router = APIRouter(tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = Field(default="Bearer", examples=["Bearer"])
    expires_in: int = Field(examples=[3600])
    scope: str = Field(examples=["records:read"])


@router.get("/.well-known/jwks.json", dependencies=[Public], summary="Public signing keys")
def jwks(hub: HubDep) -> dict[str, Any]:
    return hub.keyring.jwks()


@router.post(
    "/v1/auth/token",
    dependencies=[Public],
    response_model=TokenResponse,
    summary="OAuth2 client credentials grant (form body; client auth by form or HTTP Basic)",
)
async def token(
    request: Request,
    hub: HubDep,
    grant_type: Annotated[str, Form(json_schema_extra={"enum": ["client_credentials"]})],
    client_id: Annotated[str | None, Form(max_length=100)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
) -> TokenResponse:
    if grant_type != "client_credentials":
        raise BadRequest(
            "only grant_type=client_credentials is supported", error="unsupported_grant_type"
        )
    client_id, client_secret = _client_auth(request, client_id, client_secret)
    ttl = hub.settings.token_default_ttl

    def work() -> TokenResponse:
        with unit_of_work(hub) as session:
            req = service.authenticate(
                session, client_id=client_id, client_secret=client_secret, scope=scope, ttl=ttl
            )
            issued = hub.tokens.issue(req)
            audit.append(
                session,
                TokenIssued(
                    principal=req.sub,
                    agency=req.agency,
                    request_id=request_id(request),
                    detail={"scope": " ".join(req.scopes), "roles": list(req.roles)},
                ),
            )
        return TokenResponse(access_token=issued, expires_in=ttl, scope=" ".join(req.scopes))

    return await run_in_threadpool(work)


def _client_auth(request: Request, cid: str | None, secret: str | None) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            cid, _, secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials", error="invalid_client") from None
    if not cid or not secret:
        raise Unauthorized(
            "send client_id and client_secret (form fields or HTTP Basic)", error="invalid_client"
        )
    return cid, secret
