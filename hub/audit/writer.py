"""Group commit for the audit entries of reads.

Every read appends an entry, and the chain has one order, so appends take one lock for
the whole deployment and hold it through the commit (whose WAL flush is most of the cost).
One append per transaction caps the hub at one read per flush. Here the reads of a process
queue their entries; whichever request finds no flush under way leads: it takes the queue,
appends every entry in one transaction, commits, and wakes the others, then hands the lead
to the oldest request still waiting. Each request still returns only after its own entry is
committed (``write`` blocks until then, and raises ``AuditUnavailable`` if the commit
failed), so the log stays fail-closed; it is only written in fewer, larger transactions.

Reads use this (their data transaction writes nothing, so the entry does not need to share
it); changes to data append in their own transaction with ``service.append``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from hub.audit import service
from hub.audit.events import AuditEvent
from hub.errors import AuditUnavailable

#: entries per transaction at most: bounds the lock hold time and a failed batch's reach
MAX_BATCH = 256


class _Pending:
    __slots__ = ("done", "error", "event", "lead", "seq", "wake")

    def __init__(self, event: AuditEvent):
        self.event = event
        self.wake = threading.Event()
        self.lead = False
        self.done = False
        self.seq: int | None = None
        self.error: BaseException | None = None


class AuditWriter:
    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions
        self._mutex = threading.Lock()
        self._queue: list[_Pending] = []
        self._leading = False

    def write(self, event: AuditEvent) -> int:
        """Append ``event`` and return its sequence number once it is committed."""
        item = _Pending(event)
        with self._mutex:
            self._queue.append(item)
            if not self._leading:
                self._leading = item.lead = True
        while not item.done:
            if item.lead:
                self._flush()
            else:
                item.wake.wait()
                item.wake.clear()
        if item.error is not None:
            raise AuditUnavailable(
                "the audit log could not be written, so the request was not carried out"
            ) from item.error
        assert item.seq is not None
        return item.seq

    def _flush(self) -> None:
        with self._mutex:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            self._commit(batch)
        finally:
            with self._mutex:
                successor = next((p for p in self._queue if not p.done), None)
                if successor is None:
                    self._leading = False
                else:
                    successor.lead = True
                    successor.wake.set()
            for item in batch:
                item.wake.set()

    def _commit(self, batch: Sequence[_Pending]) -> None:
        try:
            seqs = service.commit_group(self._sessions, [p.event for p in batch])
        except BaseException as exc:  # every waiter must learn of it, whatever it was
            for item in batch:
                item.error, item.done = exc, True
            if not isinstance(exc, Exception):
                raise
            return
        for item, seq in zip(batch, seqs, strict=True):
            item.seq, item.done = seq, True
