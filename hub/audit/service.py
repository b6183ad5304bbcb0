"""Appending to and reading the audit log.

Appends are serialized so the chain has one total order: PostgreSQL takes a transaction-
scoped advisory lock; SQLite transactions already start with ``BEGIN IMMEDIATE`` (one
writer at a time). The entry is written in the caller's transaction, so a data read and its
audit entry commit together, or neither does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.audit import chain
from hub.audit.events import AuditEvent
from hub.audit.models import AuditEntry
from hub.db import utcnow
from hub.errors import AuditUnavailable

_LOCK_KEY = 0x0C1C_A0D1  # advisory lock id for the audit chain


def append(session: Session, event: AuditEvent) -> AuditEntry:
    try:
        return _append(session, event)
    except sa.exc.SQLAlchemyError as exc:
        # fail closed: no audit entry, no data
        raise AuditUnavailable(
            "the audit log could not be written, so the request was not carried out"
        ) from exc


def _append(session: Session, event: AuditEvent) -> AuditEntry:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    content = {
        "seq": last.seq + 1 if last else 1,
        "at": utcnow(),
        "event": event.name,
        "principal": event.principal,
        "agency": event.agency,
        "purpose": event.purpose,
        "dataset": event.dataset,
        "fields": list(event.fields),
        "row_count": event.row_count,
        "decision": event.decision,
        "rule_id": event.rule_id,
        "policy_version": event.policy_version,
        "request_id": event.request_id,
        "record_keys": [str(k) for k in event.record_keys],
        "detail": dict(event.detail),
        "prev_hash": last.hash if last else chain.GENESIS,
    }
    entry = AuditEntry(**content, hash=chain.entry_hash(content))
    session.add(entry)
    session.flush()
    return entry


def as_dict(entry: AuditEntry) -> dict:
    return {k: getattr(entry, k) for k in (*chain.CONTENT, "hash")}


def iter_entries(session: Session, *, batch: int = 5000) -> Iterator[dict]:
    last = 0
    while True:
        rows = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield as_dict(row)
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> chain.Verification:
    return chain.verify(iter_entries(session))


def tail(
    session: Session,
    *,
    limit: int = 20,
    dataset: str | None = None,
    since: datetime | None = None,
    before_seq: int | None = None,
) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if dataset:
        query = query.where(AuditEntry.dataset == dataset)
    if since:
        query = query.where(AuditEntry.at >= since)
    if before_seq:
        query = query.where(AuditEntry.seq < before_seq)
    return list(session.scalars(query))
