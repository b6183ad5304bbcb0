"""The citizen's view of the audit log: who read my record, when, and why.

A citizen is matched by the blind index of their citizen ID (``VN_CCCD``): the same
value every dataset keyed by CCCD stores and the audit log records, so no plaintext ID is
needed to find the entries. Reads for purposes listed in ``CIVICHUB_DELAYED_DISCLOSURE``
(covert investigations) appear only after their delay; the citizen sees agencies, not
individual officers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.audit.models import AuditEntry, AuditSubject
from hub.crypto import FieldCipher
from hub.db import utcnow

READ_EVENTS = ("records.read",)


class AccessLogEntry(BaseModel):
    at: datetime
    agency: str | None
    dataset: str | None
    purpose: str | None
    fields: list[str]


def subjects_for(citizen_id: str, cipher: FieldCipher) -> list[str]:
    """How a citizen's records appear among audited record keys."""
    return [cipher.blind("VN_CCCD", citizen_id.strip())]


def access_log(
    session: Session,
    *,
    citizen_id: str,
    cipher: FieldCipher,
    delays: dict[str, int],
    limit: int = 100,
    before: datetime | None = None,
) -> list[AccessLogEntry]:
    subjects = subjects_for(citizen_id, cipher)
    query = (
        sa.select(AuditEntry)
        .join(AuditSubject, AuditSubject.seq == AuditEntry.seq)
        .where(AuditSubject.subject.in_(subjects), AuditEntry.event.in_(READ_EVENTS))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(AuditEntry.at < before)
    now = utcnow()
    out = []
    for entry in session.scalars(query):
        delay = delays.get(entry.purpose or "")
        if delay and entry.at + timedelta(days=delay) > now:
            continue
        out.append(
            AccessLogEntry(
                at=entry.at,
                agency=entry.agency,
                dataset=entry.dataset,
                purpose=entry.purpose,
                fields=list(entry.fields),
            )
        )
    return out
