"""The records read, end to end: decide, plan, fetch, audit, treat.

Routes and the CLI call these. Every outcome is audited: a denial is written and committed
before the error goes out; a page's entry (with the keys of the records returned) is
committed before the page is treated and serialized; a streamed export commits one entry
per batch before that batch leaves, so an export cut short is logged exactly as far as it
went. If the audit entry cannot be written, nothing is returned (``AuditUnavailable``,
503). Read entries go through the process's group writer (``hub.audit.writer``) once the
read's own transaction has ended: reads change nothing, so there is nothing for the entry
to commit together with, and concurrent reads share one commit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.access import grants
from hub.audit.events import AccessDenied, RecordsRead
from hub.context import Actor
from hub.db import session_scope
from hub.errors import BadRequest, Forbidden, NotFound, PurposeRequired
from hub.records import context, service
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
    #: the dataset as the authorization gate read it moments ago (saves reading it again)
    snapshot: context.DatasetSnapshot | None = None


@dataclass(frozen=True)
class Page:
    dataset: str
    records: list[dict[str, Any]]
    next_cursor: str | None


def _snapshot(session: Session, state: HubState, req: ReadRequest) -> context.DatasetSnapshot:
    snap = req.snapshot
    if snap is not None and snap.dataset.id == req.dataset_id:
        return snap
    return state.parsed.snapshot(session, req.dataset_id)


def decide(
    session: Session,
    state: HubState,
    *,
    snapshot: context.DatasetSnapshot,
    req: ReadRequest,
    actor: Actor,
) -> Decision:
    """The policy in force plus the dataset's active grants.

    Grants are read on every read that has any (``expires_at > now``), so an approval or an
    expiry takes effect on the next request, without a restart or a cache to invalidate.
    """
    dataset = snapshot.dataset
    stored = state.parsed.policy(session, snapshot)
    now = datetime.now(UTC)
    extra = grants.active(session, dataset=dataset, now=now) if snapshot.active_grants else []
    decision = decide_read(
        policy=stored.policy if stored else None,
        policy_version=stored.version if stored else None,
        principal=actor.principal,
        purpose=req.purpose,
        now=now,
        extra_rules=extra,
        field_order=state.parsed.descriptor(snapshot).field_names,
    )
    if decision.allowed:
        return decision
    # the denial is on record even though the request fails; the read's own transaction
    # ends first (SQLite has one writer; on PostgreSQL reads may run in autocommit)
    session.commit()
    state.audit_writer.write(
        actor.event(
            AccessDenied,
            dataset=dataset.id,
            purpose=req.purpose,
            fields=tuple(req.fields or ()),
            decision="deny",
            rule_id=decision.rule_id,
            policy_version=decision.policy_version,
            detail={"code": str(decision.code), "reason": decision.reason},
        )
    )
    if decision.code == "purpose_required":
        purposes = list(decision.allowed_purposes)
        raise PurposeRequired(
            "declare why you read this data: add ?purpose=<purpose> or the X-Purpose header; "
            f"purposes you may use: {', '.join(purposes)}",
            allowed_purposes=purposes,
        )
    raise Forbidden(decision.reason, code=str(decision.code))


def _plan(
    session: Session,
    state: HubState,
    snapshot: context.DatasetSnapshot,
    decision: Decision,
    req: ReadRequest,
) -> tuple[service.ReadPlan, Any]:
    cursor_version, raw_key = service.decode_cursor(req.cursor) if req.cursor else (None, None)
    dataset = snapshot.dataset
    version = service.resolve_version(session, dataset, snapshot.version, cursor_version)
    plan = service.make_plan(
        dataset=dataset,
        descriptor=state.parsed.descriptor(snapshot),
        version=version,
        layout=state.parsed.layout(snapshot, version),
        decision=decision,
        requested_fields=req.fields,
        raw_filters=req.filters,
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
    state: HubState, actor: Actor, plan: service.ReadPlan, req: ReadRequest, keys: list[str]
) -> None:
    """Commit the read's entry; the caller's read transaction must have ended (SQLite has
    one writer, and the group writer commits on a connection of its own)."""
    state.audit_writer.write(
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
        )
    )


def read_page(session: Session, state: HubState, *, req: ReadRequest, actor: Actor) -> Page:
    snapshot = _snapshot(session, state, req)
    decision = decide(session, state, snapshot=snapshot, req=req, actor=actor)
    plan, after = _plan(session, state, snapshot, decision, req)
    limit = _page_limit(state, req, decision)
    rows = service.fetch(session, plan, after=after, limit=limit + 1)
    session.commit()
    more = len(rows) > limit
    rows = rows[:limit]
    _audit_read(state, actor, plan, req, service.keys_of(plan, rows))
    records = service.treat(plan, rows, state.treatment_context(plan.descriptor))
    next_cursor = (
        service.encode_cursor(plan.version.id, service.last_key(plan, rows))
        if more and rows
        else None
    )
    return Page(plan.dataset.id, records, next_cursor)


def read_one(
    session: Session, state: HubState, *, req: ReadRequest, key: str, actor: Actor
) -> dict[str, Any]:
    snapshot = _snapshot(session, state, req)
    decision = decide(session, state, snapshot=snapshot, req=req, actor=actor)
    plan, _ = _plan(session, state, snapshot, decision, replace(req, filters={}, cursor=None))
    row = service.fetch_one(session, plan, key, state.parsed.statements)
    session.commit()
    _audit_read(state, actor, plan, req, service.keys_of(plan, [row]) if row else [])
    if row is None:
        # same answer whether the key does not exist or the rule filters it out
        raise NotFound(f"no record {key!r} in {plan.dataset.id!r} that you may read")
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
        snapshot = _snapshot(session, state, req)
        decision = decide(session, state, snapshot=snapshot, req=req, actor=actor)
        plan, after = _plan(session, state, snapshot, decision, req)
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
    """Batches in key order. While one batch is decrypted and treated, its audit entry
    commits and the next batch is fetched on helper threads (both wait on PostgreSQL,
    not on Python); a batch is handed out only once its entry is committed."""
    ctx = state.treatment_context(plan.descriptor)
    batch = state.settings.export_batch_size

    def fetch(after: Any, size: int) -> list[Any]:
        with session_scope(state.reads) as session:
            return service.fetch(session, plan, after=after, limit=size)

    def size_for(budget: int | None) -> int:
        return batch if budget is None else min(batch, budget)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="export") as pool:
        size = size_for(budget)
        pending: Future[list[Any]] | None = pool.submit(fetch, after, size)
        while pending is not None:
            rows = pending.result()
            if not rows:
                return
            keys = service.keys_of(plan, rows)
            audited = pool.submit(_audit_read, state, actor, plan, req, keys)
            if budget is not None:
                budget -= len(rows)
            more = len(rows) == size and (budget is None or budget > 0)
            if more:
                size = size_for(budget)
                pending = pool.submit(fetch, service.last_key(plan, rows), size)
            else:
                pending = None
            treated = service.treat(plan, rows, ctx)
            audited.result()  # AuditUnavailable: this batch never leaves
            yield treated
