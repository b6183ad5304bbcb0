"""/v1/open: the published open data, for anyone, without a token (rate-limited per IP).

Only the open tables are read (``service.py``): rows a publication wrote after they
passed de-identification and the residual PII scan. Nothing here can reach a dataset's
own tables, so no personal data can be served, whatever the request says. A dataset
that is not published is 404 whether or not it exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hub.deps import MAX_INT, HubDep, Public, unit_of_work
from hub.errors import BadRequest
from hub.publishing import service
from hub.publishing.models import Publication
from hub.publishing.schemas import OpenDataset, OpenDatasetPage
from hub.records import formats
from hub.state import HubState

router = APIRouter(prefix="/v1/open", tags=["open data"])

RESERVED = {"limit", "cursor", "format"}
PAGE_EXAMPLE = {
    "dataset": "population-registry",
    "records": [
        {"date_of_birth": "1990", "gender": "nu", "ward": "Phường Bến Thành, Thành phố Hồ Chí "
         "Minh", "ethnicity": "Kinh"}
    ],
    "next_cursor": "eyJwIjozLCJyIjoxMDB9",
}  # fmt: skip


class Format(StrEnum):
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


@router.get(
    "/datasets",
    dependencies=[Public],
    response_model=OpenDatasetPage,
    summary="Published open datasets (no token needed)",
)
def open_datasets(
    hub: HubDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> OpenDatasetPage:
    with unit_of_work(hub) as session:
        rows, total = service.open_datasets(session, limit=limit, offset=offset)
        items = [OpenDataset.of(p) for p in rows]
    return OpenDatasetPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/datasets/{dataset_id}/records",
    dependencies=[Public],
    summary="Published records (equality filters: ?<field>=<value>; no token needed)",
    responses={
        200: {
            "description": "A page of records (JSON), or every matching record (NDJSON, CSV)",
            "content": {
                "application/json": {"example": PAGE_EXAMPLE},
                "application/x-ndjson": {},
                "text/csv": {},
            },
        }
    },
)
async def open_records(
    dataset_id: str,
    request: Request,
    hub: HubDep,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: Format = Format.json,
) -> Any:
    raw = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    if format is Format.json:
        body = await run_in_threadpool(_page, hub, dataset_id, raw, limit, cursor)
        return Response(formats.dumps(body), media_type="application/json")
    fields, batches = await run_in_threadpool(_export, hub, dataset_id, raw, limit, cursor)
    headers = {"Content-Disposition": f'attachment; filename="{dataset_id}.{format.value}"'}
    if format is Format.ndjson:
        return StreamingResponse(
            formats.ndjson(batches), media_type="application/x-ndjson", headers=headers
        )
    return StreamingResponse(
        formats.csv_stream(fields, batches), media_type="text/csv; charset=utf-8", headers=headers
    )


def _start(
    session: Session, dataset_id: str, raw: dict[str, str], cursor: str | None
) -> tuple[Publication, dict[str, Any], int | None]:
    publication_id, after = service.decode_cursor(cursor) if cursor else (None, None)
    publication = service.served_publication(session, dataset_id, publication_id=publication_id)
    filters = service.open_filters(publication.report["schema"], raw)
    return publication, filters, after


def _page(
    hub: HubState, dataset_id: str, raw: dict[str, str], limit: int | None, cursor: str | None
) -> dict[str, Any]:
    size = limit if limit is not None else hub.settings.default_page_size
    if size > hub.settings.max_page_size:
        raise BadRequest(
            f"limit must be between 1 and {hub.settings.max_page_size}; use format=ndjson "
            "or csv to download everything"
        )
    with unit_of_work(hub) as session:
        publication, filters, after = _start(session, dataset_id, raw, cursor)
        table = service.served_table(publication)
        rows = service.open_rows(session, table, filters=filters, after=after, limit=size + 1)
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = (
        service.encode_cursor(publication.id, rows[-1][service.ROW]) if more and rows else None
    )
    return {
        "dataset": dataset_id,
        "records": [service.public_record(r) for r in rows],
        "next_cursor": next_cursor,
    }


def _export(
    hub: HubState, dataset_id: str, raw: dict[str, str], limit: int | None, cursor: str | None
) -> tuple[list[str], Iterator[list[dict[str, Any]]]]:
    """Resolve everything before the response starts (errors stay problem documents)."""
    with unit_of_work(hub) as session:
        publication, filters, after = _start(session, dataset_id, raw, cursor)
        table = service.served_table(publication)
    fields = service.field_names(publication.report["schema"])
    return fields, _batches(hub, table, filters, after, limit)


def _batches(
    hub: HubState, table: sa.Table, filters: dict[str, Any], after: int | None, budget: int | None
) -> Iterator[list[dict[str, Any]]]:
    batch = hub.settings.export_batch_size
    while budget is None or budget > 0:
        size = batch if budget is None else min(batch, budget)
        with unit_of_work(hub) as session:
            service.read_only(session)
            rows = service.open_rows(session, table, filters=filters, after=after, limit=size)
        if not rows:
            return
        yield [service.public_record(r) for r in rows]
        after = rows[-1][service.ROW]
        if budget is not None:
            budget -= len(rows)
        if len(rows) < size:
            return
