"""/v1/datasets/{id}/policy: read and apply policies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hub import bodies
from hub.access import service
from hub.context import Actor
from hub.datasets import service as datasets
from hub.deps import Authorize, HubDep, unit_of_work
from policies.decision import Action

router = APIRouter(tags=["policies"])

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
