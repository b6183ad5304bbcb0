"""/v1/audit: the log for auditors, and its integrity check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from hub.audit import citizens, service
from hub.audit.events import AuditRead
from hub.context import Actor
from hub.deps import MAX_INT, Authorize, HubDep, unit_of_work
from policies.decision import Action

router = APIRouter(prefix="/v1/audit", tags=["audit"])
me_router = APIRouter(prefix="/v1/me", tags=["citizens"])


class AuditEntryRead(BaseModel):
    seq: int
    at: datetime
    event: str
    principal: str | None
    agency: str | None
    purpose: str | None
    dataset: str | None
    fields: list[str]
    row_count: int
    decision: str
    rule_id: str | None
    policy_version: int | None
    request_id: str | None
    record_keys: list[str]
    detail: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    entries: list[AuditEntryRead]
    next_before: int | None


class VerifyRead(BaseModel):
    intact: bool
    count: int
    first_bad_seq: int | None
    reason: str | None


@router.get("", response_model=AuditPage, summary="Audit entries, newest first")
def list_entries(
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.audit_read))],
    dataset: str | None = None,
    since: datetime | None = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_INT, description="page: entries with seq < before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    with unit_of_work(hub) as session:
        rows = service.tail(session, limit=limit, dataset=dataset, since=since, before_seq=before)
        entries = [AuditEntryRead.model_validate(service.as_dict(r)) for r in rows]
        # reading the log is itself an access worth recording
        service.append(session, actor.event(AuditRead, dataset=dataset, row_count=len(entries)))
    next_before = entries[-1].seq if len(entries) == limit else None
    return AuditPage(entries=entries, next_before=next_before)


@router.get("/verify", response_model=VerifyRead, summary="Check the hash chain")
def verify(
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.audit_verify))],
) -> VerifyRead:
    with unit_of_work(hub) as session:
        result = service.verify(session)
    return VerifyRead(**result.__dict__)


class AccessLogPage(BaseModel):
    entries: list[citizens.AccessLogEntry]


@me_router.get(
    "/access-log",
    response_model=AccessLogPage,
    summary="Which agency read my record, when, and for what purpose (citizen token)",
)
def my_access_log(
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.me_read))],
    before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AccessLogPage:
    citizen_id = actor.principal.citizen_id
    assert citizen_id  # policies.permissions requires it for me.read
    with unit_of_work(hub) as session:
        entries = citizens.access_log(
            session,
            citizen_id=citizen_id,
            cipher=hub.cipher,
            delays=hub.settings.disclosure_delays,
            limit=limit,
            before=before,
        )
    return AccessLogPage(entries=entries)
