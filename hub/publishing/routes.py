"""POST /v1/datasets/{id}/publish and GET /v1/publications (publication history)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query
from starlette.concurrency import run_in_threadpool

from hub.context import Actor
from hub.deps import MAX_INT, Authorize, HubDep, unit_of_work
from hub.publishing import service
from hub.publishing.schemas import PublicationPage, PublicationRead, PublishBody
from policies.decision import Action

router = APIRouter(tags=["open data publishing"])


@router.post(
    "/v1/datasets/{dataset_id}/publish",
    response_model=PublicationRead,
    summary="De-identify the current version and publish it (CKAN or the local catalog)",
    description=(
        "Runs to the end before answering: read, plan (k-anonymity), apply, residual PII "
        "scan, write. With `dry_run` nothing is written and the report comes back. A "
        "refusal (k unreachable, PII found, CKAN rejecting) leaves the previous "
        "publication in place; see docs/open-data.md."
    ),
)
async def publish_dataset(
    dataset_id: str,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.catalog_publish))],
    body: Annotated[PublishBody | None, Body()] = None,
) -> PublicationRead:
    # imported here: the flow brings pyarrow (~40 MB per worker) that readers never need
    from hub.publishing import flows

    body = body or PublishBody()
    request = flows.PublishRequest(
        dataset_id=dataset_id,
        target=body.target,
        dry_run=body.dry_run,
        direct_identifiers=body.options.direct_identifiers,
        max_suppression=body.options.max_suppression,
    )

    def work() -> PublicationRead:
        result = flows.publish(hub, request=request, actor=actor)
        if result.dry_run or result.publication_id is None:
            return PublicationRead.of_dry_run(result)
        with unit_of_work(hub) as session:
            publication = service.get(session, result.publication_id)
            return PublicationRead.of(publication, full=True)

    return await run_in_threadpool(work)


@router.get(
    "/v1/publications",
    response_model=PublicationPage,
    summary="Publication history, newest first (targets, URLs or paths, report summaries)",
)
def list_publications(
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_list))],
    dataset: Annotated[str | None, Query(max_length=63)] = None,
    status: Literal["running", "published", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> PublicationPage:
    with unit_of_work(hub) as session:
        rows, total = service.history(
            session, dataset_id=dataset, status=status, limit=limit, offset=offset
        )
        items = [PublicationRead.of(p) for p in rows]
    return PublicationPage(items=items, total=total, limit=limit, offset=offset)
