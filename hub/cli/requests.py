"""civichub access request|approve|reject|list

The console operator acts as admin (``hub.context.cli_actor``). ``access request`` files a
request on an officer's behalf (``--agency``, ``--requester``), e.g. one that arrived on
paper; the audit entry names the requester and says it came through the CLI.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from hub.access import requests
from hub.access.models import RequestStatus
from hub.access.schemas import AccessRequestRead
from hub.cli.common import hub_state, out, print_json
from hub.context import Actor, cli_actor
from hub.datasets import service as datasets
from hub.db import session_scope
from hub.errors import BadRequest
from policies.principal import Principal, Role, Scope, split_list


def register(app: typer.Typer) -> None:
    access = typer.Typer(help="Access requests: ask, approve, reject, list.", no_args_is_help=True)
    access.command("request")(request)
    access.command("approve")(approve)
    access.command("reject")(reject)
    access.command("list")(list_requests)
    app.add_typer(access, name="access")


def request(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    agency: Annotated[str, typer.Option(help="The requesting agency, e.g. thue.")],
    purpose: Annotated[str, typer.Option(help="The one purpose the data is for.")],
    fields: Annotated[str, typer.Option(help="Comma-separated fields, e.g. citizen_id,ward.")],
    justification: Annotated[str, typer.Option(help="Why the agency needs the data.")],
    days: Annotated[int, typer.Option(help="How long: 1 to 365 days.")] = 30,
    requester: Annotated[
        str | None, typer.Option(help="The officer asking (default: you, cli:<user>).")
    ] = None,
) -> None:
    """File an access request for an agency's officers; a steward then approves or rejects."""
    operator = cli_actor()
    officer = Principal(
        sub=requester or operator.principal.sub,
        agency=agency,
        roles=frozenset({Role.officer}),
        scopes=frozenset({Scope.records_read}),
    )
    with hub_state() as state, session_scope(state.sessions) as session:
        created = requests.create(
            session,
            dataset=datasets.get(session, dataset),
            actor=Actor(officer),
            purpose=purpose,
            fields=split_list(fields),
            justification=justification,
            days=days,
            entered_by=operator.principal.sub,
        )
        request_id = created.id
    out.print(
        f"access request {request_id} for {dataset} is pending; a steward decides with "
        f"`civichub access approve {request_id}` or `civichub access reject {request_id}`",
        highlight=False,
    )


def _grant_fields(fields: str | None, treatments: str | None) -> Any:
    if fields and treatments:
        raise BadRequest("give --fields or --treatments, not both")
    if treatments:
        try:
            value = json.loads(treatments)
        except json.JSONDecodeError as exc:
            raise BadRequest(
                f'--treatments must be a JSON object, e.g. \'{{"phone": {{"mask": {{}}}}}}\' '
                f"({exc.msg})"
            ) from None
        if not isinstance(value, dict):
            raise BadRequest("--treatments must be a JSON object of field: treatment")
        return value
    return split_list(fields) if fields else None


def approve(
    request_id: Annotated[int, typer.Argument(help="Access request id.")],
    fields: Annotated[
        str | None, typer.Option(help="Grant only these of the requested fields (comma-separated).")
    ] = None,
    treatments: Annotated[
        str | None,
        typer.Option(help='Grant fields so treated: JSON, e.g. \'{"phone": {"mask": {}}}\'.'),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Note for the requester.")] = None,
) -> None:
    """Approve a pending request: its grant works until the end of its last day."""
    granted = _grant_fields(fields, treatments)
    with hub_state() as state, session_scope(state.sessions) as session:
        req = requests.get(session, request_id, for_update=True)
        requests.approve(session, request=req, actor=cli_actor(), fields=granted, reason=reason)
        grant = req.grant or {}
        expires = grant.get("expires")
    out.print(
        f"approved access request {request_id}: rule {grant.get('id')} lets officers of "
        f"{', '.join(grant.get('agencies', []))} read {', '.join(grant.get('fields', {}))} "
        f"for purpose {', '.join(grant.get('purposes', []))} until the end of {expires}",
        highlight=False,
    )


def reject(
    request_id: Annotated[int, typer.Argument(help="Access request id.")],
    reason: Annotated[str, typer.Option(help="Why (the requester reads it).")],
) -> None:
    """Reject a pending request with a reason."""
    with hub_state() as state, session_scope(state.sessions) as session:
        req = requests.get(session, request_id, for_update=True)
        requests.reject(session, request=req, actor=cli_actor(), reason=reason)
    out.print(f"rejected access request {request_id}", highlight=False)


def list_requests(
    dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
    status: Annotated[RequestStatus | None, typer.Option(help="Only this status.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List access requests, newest first."""
    with hub_state() as state, session_scope(state.sessions) as session:
        rows, _ = requests.list_requests(
            session,
            visibility=requests.EVERYTHING,
            dataset_id=dataset,
            status=status,
            limit=10_000,
        )
        items = [AccessRequestRead.of(r) for r in rows]
    if as_json:
        print_json([i.model_dump(mode="json") for i in items])
        return
    table = Table("id", "dataset", "agency", "requester", "purpose", "fields", "status", "until")
    for i in items:
        until = i.grant["expires"] if i.grant else ""
        status_text = f"{i.status.value}{'' if i.active or not i.grant else ' (expired)'}"
        table.add_row(
            str(i.id),
            i.dataset,
            i.requester_agency,
            i.requester,
            i.purpose,
            ", ".join(i.fields),
            status_text,
            until,
        )
    out.print(table)
