"""/v1/datasets/{id}/records: policy-filtered, masked reads (JSON page, NDJSON, CSV)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hub import limits
from hub.context import Actor
from hub.deps import Authorize, HubDep, check, dataset_resource, read_session, unit_of_work
from hub.records import flows, formats
from hub.records.service import RESERVED_PARAMS
from hub.state import HubState
from policies.decision import Action

router = APIRouter(prefix="/v1/datasets/{dataset_id}/records", tags=["records"])

# deferred: the dataset is read, and the permission checked, in the read's own transaction
# (``_gate``), so a lookup takes one connection and one transaction
Reader = Annotated[Actor, Depends(Authorize(Action.records_read, deferred=True))]


def _gate(
    session: Session, hub: HubState, req: flows.ReadRequest, actor: Actor
) -> flows.ReadRequest:
    """The permission check of ``Authorize``, on the dataset read in the caller's session."""
    snapshot = hub.parsed.snapshot(session, req.dataset_id)
    check(actor.principal, Action.records_read, dataset_resource(snapshot.dataset))
    return replace(req, snapshot=snapshot)


def _export_slot(request: Request, actor: Reader) -> Iterator[None]:
    """NDJSON/CSV exports hold one of the agency's slots until the stream ends (429 if none)."""
    with limits.export_slot(request, actor.principal):
        yield


class Format(StrEnum):
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


PURPOSE_DOC = "why you read the data; one of the purposes your rule allows (or X-Purpose)"
PAGE_EXAMPLE = {
    "dataset": "population-registry",
    "records": [
        {"citizen_id": "079190001234", "full_name": "Nguyễn Văn An", "phone": "*******678"}
    ],
    "next_cursor": "eyJ2IjoxLCJrIjoiMDc5MTkwMDAxMjM0In0",
}


def _request(
    dataset_id: str,
    request: Request,
    purpose: str | None,
    x_purpose: str | None,
    fields: str | None,
    limit: int | None,
    cursor: str | None,
) -> flows.ReadRequest:
    filters = {k: v for k, v in request.query_params.items() if k not in RESERVED_PARAMS}
    wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    return flows.ReadRequest(
        dataset_id=dataset_id,
        purpose=purpose or x_purpose,
        fields=wanted,
        filters=filters,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "",
    dependencies=[Depends(_export_slot)],
    summary="Read records under your rule (equality filters: ?<field>=<value>)",
    responses={
        200: {
            "description": "A page of records (JSON), or a stream (NDJSON, CSV)",
            "content": {
                "application/json": {"example": PAGE_EXAMPLE},
                "application/x-ndjson": {},
                "text/csv": {},
            },
        }
    },
)
async def read_records(
    dataset_id: str,
    request: Request,
    hub: HubDep,
    actor: Reader,
    purpose: Annotated[str | None, Query(description=PURPOSE_DOC, max_length=100)] = None,
    x_purpose: Annotated[str | None, Header(max_length=100)] = None,
    fields: Annotated[str | None, Query(description="comma-separated subset")] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    format: Format = Format.json,
) -> Any:
    req = _request(dataset_id, request, purpose, x_purpose, fields, limit, cursor)
    if format is Format.json:

        def page() -> dict[str, Any]:
            with read_session(hub) as session:
                gated = _gate(session, hub, req, actor)
                result = flows.read_page(session, hub, req=gated, actor=actor)
            return {
                "dataset": result.dataset,
                "records": result.records,
                "next_cursor": result.next_cursor,
            }

        body = await run_in_threadpool(page)
        return Response(formats.dumps(body), media_type="application/json")

    def start() -> flows.Export:
        with unit_of_work(hub) as session:
            gated = _gate(session, hub, req, actor)
        return flows.export(hub, req=gated, actor=actor)

    export = await run_in_threadpool(start)
    name = f"{dataset_id}.{format.value}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format is Format.ndjson:
        return StreamingResponse(
            formats.ndjson(export.batches), media_type="application/x-ndjson", headers=headers
        )
    return StreamingResponse(
        formats.csv_stream(export.fields, export.batches),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )


@router.get("/{key}", summary="Read one record by its primary key", response_model=dict[str, Any])
async def read_record(
    dataset_id: str,
    key: str,
    request: Request,
    hub: HubDep,
    actor: Reader,
    purpose: Annotated[str | None, Query(description=PURPOSE_DOC, max_length=100)] = None,
    x_purpose: Annotated[str | None, Header(max_length=100)] = None,
    fields: Annotated[str | None, Query(description="comma-separated subset")] = None,
) -> Response:
    req = _request(dataset_id, request, purpose, x_purpose, fields, None, None)

    def one() -> bytes:
        with read_session(hub) as session:
            gated = _gate(session, hub, req, actor)
            record = flows.read_one(session, hub, req=gated, key=key, actor=actor)
        return formats.dumps(record)

    # serialized here, in the worker thread, rather than by FastAPI's encoder on the loop
    return Response(await run_in_threadpool(one), media_type="application/json")
