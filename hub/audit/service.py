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
from hub.audit.checkpoints import CheckpointSigner
from hub.audit.events import AuditEvent
from hub.audit.models import AuditCheckpoint, AuditEntry, AuditSubject
from hub.db import utcnow
from hub.errors import AuditUnavailable

_LOCK_KEY = 0x0C1C_A0D1  # advisory lock id for the audit chain
#: ``session.info`` key under which HubState puts the checkpoint signer
SIGNER = "audit_checkpoint_signer"


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
    if entry.record_keys:
        session.execute(
            sa.insert(AuditSubject),
            [{"seq": entry.seq, "subject": key} for key in dict.fromkeys(entry.record_keys)],
        )
    signer: CheckpointSigner | None = session.info.get(SIGNER)
    if signer is not None and entry.seq % signer.every == 0:
        kid, signature = signer.sign(entry.seq, entry.hash)
        session.add(
            AuditCheckpoint(
                seq=entry.seq, hash=entry.hash, at=entry.at, kid=kid, signature=signature
            )
        )
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
    result = chain.verify(iter_entries(session))
    if not result.intact:
        return result
    signer: CheckpointSigner | None = session.info.get(SIGNER)
    if signer is None:
        return result
    return _verify_checkpoints(session, signer, result)


def _verify_checkpoints(
    session: Session, signer: CheckpointSigner, chained: chain.Verification
) -> chain.Verification:
    previous = 0
    for cp in session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.seq)):
        if not signer.valid(cp.seq, cp.hash, cp.kid, cp.signature):
            return chain.Verification(
                False, chained.count, cp.seq, f"checkpoint at entry {cp.seq} has a bad signature"
            )
        if cp.seq > chained.count:
            return chain.Verification(
                False,
                chained.count,
                chained.count + 1,
                f"the log was truncated: a signed checkpoint covers entry {cp.seq} but only "
                f"{chained.count} entries remain",
            )
        stored = session.scalar(sa.select(AuditEntry.hash).where(AuditEntry.seq == cp.seq))
        if stored != cp.hash:
            return chain.Verification(
                False,
                chained.count,
                previous + 1,
                f"entries {previous + 1}..{cp.seq} were rewritten (hashes recomputed): "
                f"entry {cp.seq} no longer matches its signed checkpoint",
            )
        previous = cp.seq
    return chained


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
