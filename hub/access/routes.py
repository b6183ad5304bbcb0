"""Policies (/v1/datasets/{id}/policy, /v1/policy/explain) and /v1/access-requests.

Routes declare the action and call one service function. Access-request routes whose
path names a request, not a dataset, authenticate with ``Authorize(..., deferred=True)``
and check the action on the request's dataset once it is loaded.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hub import bodies
from hub.access import explain, requests, service
from hub.access.models import RequestStatus
from hub.access.schemas import (
    AccessApproval,
    AccessRejection,
    AccessRequestCreate,
    AccessRequestPage,
    AccessRequestRead,
    ExplainRead,
    ExplainRequest,
)
from hub.context import Actor
from hub.datasets import service as datasets
from hub.deps import MAX_INT, Authorize, HubDep, check, unit_of_work
from policies.decision import Action

RequestId = Annotated[int, Path(ge=1, le=MAX_INT)]

router = APIRouter(tags=["policies"])

#: authenticates only; the route checks the action on the request's dataset
Decider = Annotated[Actor, Depends(Authorize(Action.access_requests_decide, deferred=True))]
#: authenticates only; ``requests`` lets deciders and the officer who asked see a request
Viewer = Decider

POLICY_EXAMPLE = {
    "dataset": "population-registry",
    "rules": [
        {
            "id": "tax-identity-check",
            "agencies": ["thue"],
            "roles": ["officer"],
            "purposes": ["tax-administration"],
            "fields": {"citizen_id": "keep", "phone": {"mask": {"keep_last": 3}}},
            "max_rows": 100,
        }
    ],
}


class PolicyRead(BaseModel):
    dataset: str
    version: int
    policy: dict[str, Any]


@router.get("/v1/datasets/{dataset_id}/policy", response_model=PolicyRead, summary="Current policy")
def get_policy(
    dataset_id: str,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.policies_read))],
) -> PolicyRead:
    with unit_of_work(hub) as session:
        stored = service.require_current(session, datasets.get(session, dataset_id))
    return PolicyRead(dataset=dataset_id, version=stored.version, policy=stored.policy.to_dict())


@router.put(
    "/v1/datasets/{dataset_id}/policy",
    response_model=PolicyRead,
    summary="Apply a policy (YAML or JSON); it becomes a new version",
    openapi_extra=bodies.document_body({"type": "object"}, POLICY_EXAMPLE),
)
async def put_policy(
    dataset_id: str,
    request: Request,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.policies_write))],
) -> PolicyRead:
    raw = await bodies.read_document(request, hub.settings.max_body_bytes)

    def work() -> PolicyRead:
        with unit_of_work(hub) as session:
            dataset = datasets.get(session, dataset_id)
            policy = service.parse(raw, source="request body", dataset=dataset)
            version = service.apply(session, dataset=dataset, policy=policy, actor=actor)
        return PolicyRead(dataset=dataset_id, version=version, policy=policy.to_dict())

    return await run_in_threadpool(work)


@router.post(
    "/v1/policy/explain",
    response_model=ExplainRead,
    summary="Which rule would decide a read, or why none does, and each field's treatment",
)
def explain_policy(
    body: ExplainRequest,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.policies_explain))],
) -> dict[str, Any]:
    with unit_of_work(hub) as session:
        dataset = datasets.get(session, body.dataset)
        principal = actor.principal
        if body.principal is not None:
            # describing someone else's access reveals the policy
            check(actor.principal, Action.policies_read, requests.resource_of(dataset))
            principal = body.principal.to_principal()
        return explain.explain(
            session,
            dataset=dataset,
            principal=principal,
            purpose=body.purpose,
            fields=body.fields,
            actor=actor,
        )


@router.post(
    "/v1/access-requests",
    status_code=201,
    response_model=AccessRequestRead,
    tags=["access requests"],
    summary="Ask the owning agency for time-bound access (officers)",
)
def create_request(
    body: AccessRequestCreate,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.access_requests_create))],
) -> AccessRequestRead:
    with unit_of_work(hub) as session:
        request = requests.create(
            session,
            dataset=datasets.get(session, body.dataset),
            actor=actor,
            purpose=body.purpose,
            fields=body.fields,
            justification=body.justification,
            days=body.days,
        )
        return AccessRequestRead.of(request)


@router.get(
    "/v1/access-requests",
    response_model=AccessRequestPage,
    tags=["access requests"],
    summary="Requests you may decide (stewards, admins) or that you made (officers)",
)
def list_requests(
    hub: HubDep,
    actor: Viewer,
    dataset: str | None = None,
    status: RequestStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> AccessRequestPage:
    with unit_of_work(hub) as session:
        rows, total = requests.list_requests(
            session,
            visibility=requests.Visibility.of(actor.principal),
            dataset_id=dataset,
            status=status,
            limit=limit,
            offset=offset,
        )
        items = [AccessRequestRead.of(r) for r in rows]
    return AccessRequestPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/v1/access-requests/{request_id}",
    response_model=AccessRequestRead,
    tags=["access requests"],
    summary="One access request",
)
def show_request(request_id: RequestId, hub: HubDep, actor: Viewer) -> AccessRequestRead:
    with unit_of_work(hub) as session:
        request = requests.get(session, request_id)
        requests.ensure_visible(actor.principal, request)
        return AccessRequestRead.of(request)


@router.post(
    "/v1/access-requests/{request_id}/approve",
    response_model=AccessRequestRead,
    tags=["access requests"],
    summary="Approve (stewards of the owning agency, admins); creates a time-bound grant",
)
def approve_request(
    request_id: RequestId,
    hub: HubDep,
    actor: Decider,
    body: Annotated[AccessApproval | None, Body()] = None,
) -> AccessRequestRead:
    body = body or AccessApproval()
    with unit_of_work(hub) as session:
        request = requests.get(session, request_id, for_update=True)
        check(actor.principal, Action.access_requests_decide, requests.resource_of(request.dataset))
        requests.approve(
            session, request=request, actor=actor, fields=body.fields, reason=body.reason
        )
        return AccessRequestRead.of(request)


@router.post(
    "/v1/access-requests/{request_id}/reject",
    response_model=AccessRequestRead,
    tags=["access requests"],
    summary="Reject with a reason (stewards of the owning agency, admins)",
)
def reject_request(
    request_id: RequestId, body: AccessRejection, hub: HubDep, actor: Decider
) -> AccessRequestRead:
    with unit_of_work(hub) as session:
        request = requests.get(session, request_id, for_update=True)
        check(actor.principal, Action.access_requests_decide, requests.resource_of(request.dataset))
        requests.reject(session, request=request, actor=actor, reason=body.reason)
        return AccessRequestRead.of(request)
