"""The records read, end to end: decide, plan, fetch, audit, treat.

Routes and the CLI call these. Every outcome is audited: a denial is written and committed
before the error goes out; a page's entry (with the keys of the records returned) is
committed before the page is serialized; a streamed export commits one entry per batch
before that batch leaves, so an export cut short is logged exactly as far as it went.
If the audit entry cannot be written, nothing is returned (``AuditUnavailable``, 503).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.access import grants
from hub.access import service as access
from hub.audit import service as audit
from hub.audit.events import AccessDenied, RecordsRead
from hub.context import Actor
from hub.datasets import service as datasets
from hub.datasets.models import Dataset
from hub.db import session_scope
from hub.errors import BadRequest, Forbidden, NotFound, PurposeRequired
from hub.records import service
from hub.state import HubState
from policies.engine import Decision, decide_read


@dataclass(frozen=True)
class ReadRequest:
    dataset_id: str
    purpose: str | None
    fields: list[str] | None = None
    filters: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    dataset: str
    records: list[dict[str, Any]]
    next_cursor: str | None


def decide(session: Session, *, dataset: Dataset, req: ReadRequest, actor: Actor) -> Decision:
    """The policy in force plus the dataset's active grants, both read now.

    Grants are queried on every read (``expires_at > now``), so an approval or an expiry
    takes effect on the next request, without a restart or a cache to invalidate.
    """
    stored = access.current(session, dataset)
    now = datetime.now(UTC)
    decision = decide_read(
        policy=stored.policy if stored else None,
        policy_version=stored.version if stored else None,
        principal=actor.principal,
        purpose=req.purpose,
        now=now,
        extra_rules=grants.active(session, dataset=dataset, now=now),
        field_order=datasets.descriptor_of(dataset).field_names,
    )
    if decision.allowed:
        return decision
    audit.append(
        session,
        actor.event(
            AccessDenied,
            dataset=dataset.id,
            purpose=req.purpose,
            fields=tuple(req.fields or ()),
            decision="deny",
            rule_id=decision.rule_id,
            policy_version=decision.policy_version,
            detail={"code": str(decision.code), "reason": decision.reason},
        ),
    )
    session.commit()  # the denial is on record even though the request fails
    if decision.code == "purpose_required":
        purposes = list(decision.allowed_purposes)
        raise PurposeRequired(
            "declare why you read this data: add ?purpose=<purpose> or the X-Purpose header; "
            f"purposes you may use: {', '.join(purposes)}",
            allowed_purposes=purposes,
        )
    raise Forbidden(decision.reason, code=str(decision.code))


def _plan(
    session: Session, state: HubState, dataset: Dataset, decision: Decision, req: ReadRequest
) -> tuple[service.ReadPlan, Any]:
    cursor_version, raw_key = service.decode_cursor(req.cursor) if req.cursor else (None, None)
    plan = service.make_plan(
        session,
        dataset=dataset,
        decision=decision,
        requested_fields=req.fields,
        raw_filters=req.filters,
        cursor_version=cursor_version,
        cipher=state.cipher,
    )
    after = service.cursor_key(plan, raw_key) if req.cursor else None
    return plan, after


def _page_limit(state: HubState, req: ReadRequest, decision: Decision) -> int:
    limit = req.limit if req.limit is not None else state.settings.default_page_size
    if limit < 1 or limit > state.settings.max_page_size:
        raise BadRequest(
            f"limit must be between 1 and {state.settings.max_page_size}; "
            "use format=ndjson or csv without limit to export everything your rule allows"
        )
    return min(limit, decision.max_rows) if decision.max_rows else limit


def _audit_read(
    session: Session, actor: Actor, plan: service.ReadPlan, req: ReadRequest, keys: list[str]
) -> None:
    audit.append(
        session,
        actor.event(
            RecordsRead,
            dataset=plan.dataset.id,
            purpose=req.purpose,
            fields=tuple(plan.fields),
            row_count=len(keys),
            rule_id=plan.decision.rule_id,
            policy_version=plan.decision.policy_version,
            record_keys=tuple(keys),
            detail={"version": plan.version.number, "filters": sorted(plan.filters)},
        ),
    )


def read_page(session: Session, state: HubState, *, req: ReadRequest, actor: Actor) -> Page:
    dataset = datasets.get(session, req.dataset_id)
    decision = decide(session, dataset=dataset, req=req, actor=actor)
    plan, after = _plan(session, state, dataset, decision, req)
    limit = _page_limit(state, req, decision)
    rows = service.fetch(session, plan, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    keys = service.keys_of(plan, rows)
    _audit_read(session, actor, plan, req, keys)
    session.commit()
    records = service.treat(plan, rows, state.treatment_context(plan.descriptor))
    next_cursor = (
        service.encode_cursor(plan.version.id, service.last_key(plan, rows))
        if more and rows
        else None
    )
    return Page(dataset.id, records, next_cursor)


def read_one(
    session: Session, state: HubState, *, req: ReadRequest, key: str, actor: Actor
) -> dict[str, Any]:
    dataset = datasets.get(session, req.dataset_id)
    decision = decide(session, dataset=dataset, req=req, actor=actor)
    plan, _ = _plan(session, state, dataset, decision, replace(req, filters={}, cursor=None))
    row = service.fetch_one(session, plan, key)
    keys = service.keys_of(plan, [row]) if row else []
    _audit_read(session, actor, plan, req, keys)
    session.commit()
    if row is None:
        # same answer whether the key does not exist or the rule filters it out
        raise NotFound(f"no record {key!r} in {dataset.id!r} that you may read")
    return service.treat(plan, [row], state.treatment_context(plan.descriptor))[0]


@dataclass(frozen=True)
class Export:
    fields: list[str]
    batches: Iterator[list[dict[str, Any]]]


def export(state: HubState, *, req: ReadRequest, actor: Actor) -> Export:
    """Stream everything the rule allows (or ``limit`` rows), one audited batch at a time.

    The plan is made (and any denial raised) before the first ``next()`` returns, so the
    caller can turn errors into a proper response before streaming starts.
    """
    with session_scope(state.sessions) as session:
        dataset = datasets.get(session, req.dataset_id)
        decision = decide(session, dataset=dataset, req=req, actor=actor)
        plan, after = _plan(session, state, dataset, decision, req)
    budget = _export_budget(state, req, decision)
    batches = _export_batches(state, plan, req, actor, after, budget)
    # the first batch runs now, so its errors (decryption, audit) become a proper problem
    # response instead of a stream cut after the headers were sent
    first = next(batches, None)
    return Export(plan.fields, itertools.chain([first] if first else [], batches))


def _export_budget(state: HubState, req: ReadRequest, decision: Decision) -> int | None:
    if req.limit is not None and req.limit < 1:
        raise BadRequest("limit must be at least 1")
    caps = [c for c in (req.limit, decision.max_rows) if c]
    return min(caps) if caps else None


def _export_batches(
    state: HubState,
    plan: service.ReadPlan,
    req: ReadRequest,
    actor: Actor,
    after: Any,
    budget: int | None,
) -> Iterator[list[dict[str, Any]]]:
    ctx = state.treatment_context(plan.descriptor)
    batch = state.settings.export_batch_size
    while budget is None or budget > 0:
        size = batch if budget is None else min(batch, budget)
        with session_scope(state.sessions) as session:
            rows = service.fetch(session, plan, after=after, limit=size)
            if not rows:
                return
            _audit_read(session, actor, plan, req, service.keys_of(plan, rows))
        yield service.treat(plan, rows, ctx)
        after = service.last_key(plan, rows)
        if budget is not None:
            budget -= len(rows)
        if len(rows) < size:
            return
