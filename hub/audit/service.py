"""Appending to and reading the audit log.

Appends are serialized so the chain has one total order: PostgreSQL takes a transaction-
scoped advisory lock; SQLite transactions already start with ``BEGIN IMMEDIATE`` (one
writer at a time). The entry is written in the caller's transaction, so a data read and its
audit entry commit together, or neither does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.orm import Session, sessionmaker

from hub.audit import chain
from hub.audit.checkpoints import CheckpointSigner
from hub.audit.events import AuditEvent
from hub.audit.models import AuditCheckpoint, AuditEntry, AuditSubject
from hub.db import session_scope, utcnow
from hub.errors import AuditUnavailable

_LOCK_KEY = 0x0C1C_A0D1  # advisory lock id for the audit chain
#: ``session.info`` key under which HubState puts the checkpoint signer
SIGNER = "audit_checkpoint_signer"


def append(session: Session, event: AuditEvent) -> None:
    """Append one entry in the caller's transaction (it commits with the caller's changes)."""
    append_many(session, [event])


def append_many(session: Session, events: Sequence[AuditEvent]) -> list[int]:
    """Append entries in order in the caller's transaction; their sequence numbers.

    One lock, one chain-head read and one statement per table for the whole batch.
    """
    return _fail_closed(lambda: _append(session, events), events)


def commit_group(sessions: sessionmaker[Session], events: Sequence[AuditEvent]) -> list[int]:
    """Append ``events`` and commit them on a connection of their own (the group writer's).

    PostgreSQL: a pooled psycopg connection without an ORM session, since the append is two
    pipelined round trips and a session around them cost as much CPU as the append."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        with session_scope(sessions) as session:  # commits on the way out
            return _fail_closed(lambda: _append(session, events), events)
    signer = sessions.kw.get("info", {}).get(SIGNER)
    pooled = engine.raw_connection()
    try:
        raw = pooled.driver_connection
        return _fail_closed(lambda: _append_postgres(raw, signer, events, commit=True), events)
    finally:
        pooled.close()  # back to the pool, which rolls back whatever did not commit


def _fail_closed(append: Callable[[], list[int]], events: Sequence[AuditEvent]) -> list[int]:
    if not events:
        return []
    try:
        return append()
    except (sa.exc.SQLAlchemyError, psycopg.Error) as exc:
        # no audit entry, no data
        raise AuditUnavailable(
            "the audit log could not be written, so the request was not carried out"
        ) from exc


def _append(session: Session, events: Sequence[AuditEvent]) -> list[int]:
    """Append in the session's transaction; the caller commits."""
    signer: CheckpointSigner | None = session.info.get(SIGNER)
    if session.get_bind().dialect.name == "postgresql":
        session.flush()  # the caller's pending changes go first, as any statement sends them
        raw = session.connection().connection.driver_connection
        return _append_postgres(raw, signer, events, commit=False)
    # SQLite: the transaction began IMMEDIATE, so this session is the only writer
    last = session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    entries = _chain(tuple(last) if last else None, events)
    session.execute(_INSERT_ENTRIES, entries)  # Core: the ORM's bulk path costs more here
    seqs, subjects = _subject_rows(entries)
    if subjects:
        session.execute(
            sa.insert(AuditSubject),
            [{"seq": q, "subject": s} for q, s in zip(seqs, subjects, strict=True)],
        )
    for row in _checkpoint_rows(signer, entries):
        session.execute(sa.insert(AuditCheckpoint), dict(zip(_CHECKPOINT, row, strict=True)))
    return [e["seq"] for e in entries]


def _append_postgres(
    raw: psycopg.Connection[Any],
    signer: CheckpointSigner | None,
    events: Sequence[AuditEvent],
    *,
    commit: bool,
) -> list[int]:
    """Two round trips in psycopg's pipeline mode (lock and chain head; then the rows, and
    the commit if asked) instead of six: the advisory lock is held throughout, and every
    round trip inside it is a wait for every appender of the deployment."""
    with raw.pipeline():
        cursor = raw.cursor()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        # a statement of its own, run after the lock is granted: in READ COMMITTED it
        # sees every entry committed before, however long the lock took
        cursor.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        last = cursor.fetchone()
    entries = _chain(last, events)
    with raw.pipeline():
        cursor.executemany(_PG_INSERT_ENTRY, [_pg_row(e) for e in entries])
        seqs, subjects = _subject_rows(entries)
        if subjects:
            # an export batch names thousands of records: two array parameters instead of
            # thousands of parameter sets (which cost more than the rest of the batch)
            cursor.execute(_PG_INSERT_SUBJECTS, (seqs, subjects))
        for row in _checkpoint_rows(signer, entries):
            cursor.execute(_PG_INSERT_CHECKPOINT, row)
        if commit:
            raw.commit()
    return [e["seq"] for e in entries]


def _chain(last: tuple[int, str] | None, events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """The entries of ``events``, chained after ``last`` (seq, hash), or from genesis."""
    seq, prev = last if last else (0, chain.GENESIS)
    at = utcnow()
    entries = []
    for event in events:
        seq += 1
        content = _content(seq, at, event, prev)
        prev = content["hash"] = chain.entry_hash(content)
        entries.append(content)
    return entries


def _checkpoint_rows(
    signer: CheckpointSigner | None, entries: list[dict[str, Any]]
) -> Iterator[tuple[Any, ...]]:
    """(seq, hash, at, kid, signature) for the entries due a signed checkpoint."""
    if signer is None:
        return
    for entry in entries:
        if entry["seq"] % signer.every == 0:
            kid, signature = signer.sign(entry["seq"], entry["hash"])
            yield entry["seq"], entry["hash"], entry["at"], kid, signature


def _subject_rows(entries: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    seqs: list[int] = []
    subjects: list[str] = []
    for entry in entries:
        for key in dict.fromkeys(entry["record_keys"]):
            seqs.append(entry["seq"])
            subjects.append(key)
    return seqs, subjects


def _content(seq: int, at: datetime, event: AuditEvent, prev_hash: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at,
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
        "prev_hash": prev_hash,
    }


def _pg_row(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(Jsonb(entry[k]) if k in _JSON_COLUMNS else entry[k] for k in _ENTRY_COLUMNS)


_ENTRY_COLUMNS = (*chain.CONTENT, "hash")
_JSON_COLUMNS = {"fields", "record_keys", "detail"}
_CHECKPOINT = ("seq", "hash", "at", "kid", "signature")
_INSERT_ENTRIES = sa.insert(AuditEntry.__table__)
_PG_INSERT_ENTRY = (
    f"INSERT INTO audit_log ({', '.join(_ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(_ENTRY_COLUMNS))})"
)
_PG_INSERT_SUBJECTS = (
    "INSERT INTO audit_subjects (seq, subject) SELECT * FROM unnest(%s::integer[], %s::varchar[])"
)
_PG_INSERT_CHECKPOINT = (
    f"INSERT INTO audit_checkpoints ({', '.join(_CHECKPOINT)}) VALUES (%s, %s, %s, %s, %s)"
)


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
