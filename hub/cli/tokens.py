"""civichub token issue · civichub client create"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hub.audit import service as audit
from hub.audit.events import ClientRegistered, TokenIssued
from hub.auth import service as clients
from hub.auth.tokens import TokenRequest, validate_grant
from hub.cli.common import hub_state, out
from hub.context import cli_actor
from hub.db import session_scope
from hub.errors import BadRequest
from policies.principal import split_list


def register(app: typer.Typer) -> None:
    token = typer.Typer(help="Access tokens.", no_args_is_help=True)
    token.command("issue")(issue)
    app.add_typer(token, name="token")
    client = typer.Typer(help="API clients (OAuth2 client credentials).", no_args_is_help=True)
    client.command("create")(create_client)
    app.add_typer(client, name="client")


def _attrs(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f'--attrs must be a JSON object, e.g. \'{{"ward": "phuong-ben-thanh"}}\' ({exc.msg})'
        ) from None
    if not isinstance(value, dict):
        raise BadRequest("--attrs must be a JSON object")
    return value


def issue(
    sub: Annotated[str, typer.Option(help="Subject: who the token is for.")],
    roles: Annotated[str, typer.Option(help="Comma- or space-separated roles.")],
    scope: Annotated[str, typer.Option(help="Comma- or space-separated scopes.")] = "",
    agency: Annotated[str | None, typer.Option(help="Agency code, e.g. thue.")] = None,
    attrs: Annotated[str | None, typer.Option(help="JSON object of attributes.")] = None,
    citizen_id: Annotated[
        str | None, typer.Option("--citizen-id", help="For citizen tokens.")
    ] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a signed access token."""
    request = TokenRequest(
        sub=sub,
        agency=agency,
        roles=split_list(roles),
        scopes=split_list(scope),
        attrs=_attrs(attrs),
        citizen_id=citizen_id,
        ttl=ttl,
    )
    with hub_state() as state, session_scope(state.sessions) as session:
        token = state.tokens.issue(request)
        actor = cli_actor()
        audit.append(
            session,
            actor.event(
                TokenIssued,
                detail={
                    "for": sub,
                    "agency": agency,
                    "roles": request.roles,
                    "scope": request.scopes,
                },
            ),
        )
    print(token)


def create_client(
    client_id: Annotated[str, typer.Argument(help="Client id, e.g. thue-etax.")],
    roles: Annotated[str, typer.Option(help="Comma- or space-separated roles.")],
    scope: Annotated[str, typer.Option(help="Comma- or space-separated scopes.")] = "",
    agency: Annotated[str | None, typer.Option(help="Agency code.")] = None,
    attrs: Annotated[str | None, typer.Option(help="JSON object of attributes.")] = None,
    name: Annotated[str, typer.Option(help="Human-readable name.")] = "",
) -> None:
    """Register an API client; prints its secret once (only a hash is stored)."""
    validate_grant(split_list(roles), split_list(scope))
    with hub_state() as state, session_scope(state.sessions) as session:
        secret = clients.create_client(
            session,
            client_id=client_id,
            name=name,
            agency=agency,
            roles=split_list(roles),
            scopes=split_list(scope),
            attrs=_attrs(attrs),
        )
        audit.append(session, cli_actor().event(ClientRegistered, detail={"client_id": client_id}))
    out.print(f"client_id     {client_id}")
    out.print(f"client_secret {secret}")
    out.print("store the secret now: it is not shown again")
