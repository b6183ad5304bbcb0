"""The group writer: concurrent reads share commits, and the log stays one intact chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hub.audit import service as audit
from hub.audit.events import RecordsRead
from hub.audit.models import AuditCheckpoint, AuditSubject
from hub.audit.writer import AuditWriter
from hub.db import session_scope
from hub.errors import AuditUnavailable
from hub.settings import Settings
from hub.state import HubState
from hub.store import migrate

THREADS, EACH = 8, 25


@pytest.fixture
def small_hub(settings: Settings) -> Iterator[HubState]:
    state = HubState.build(settings.model_copy(update={"audit_checkpoint_every": 7}))
    migrate(state.engine)
    yield state
    state.close()


def read_event(i: int, keys: tuple[str, ...]) -> RecordsRead:
    return RecordsRead(principal=f"officer-{i}", agency="thue", record_keys=keys)


def test_concurrent_writes_form_one_chain_with_subjects_and_checkpoints(small_hub):
    writer = small_hub.audit_writer
    seqs: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(t: int) -> None:
        try:
            for i in range(EACH):
                seq = writer.write(read_event(t, (f"k{t}-{i}", f"k{t}-{i}", "shared")))
                with lock:
                    seqs.append(seq)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = THREADS * EACH
    assert sorted(seqs) == list(range(1, total + 1))  # every write got its own entry
    with small_hub.sessions() as session:
        result = audit.verify(session)
        subjects = session.scalar(sa.select(sa.func.count()).select_from(AuditSubject))
        checkpoints = session.scalars(sa.select(AuditCheckpoint.seq)).all()
    assert result.intact, result.reason
    assert result.count == total
    assert subjects == total * 2  # duplicates within an entry are recorded once
    assert sorted(checkpoints) == list(range(7, total + 1, 7))


def test_writes_interleave_with_in_transaction_appends(small_hub):
    writer = small_hub.audit_writer
    for i in range(5):
        writer.write(read_event(i, (f"a{i}",)))
        with session_scope(small_hub.sessions) as session:
            audit.append(session, read_event(i, (f"b{i}",)))
    with small_hub.sessions() as session:
        result = audit.verify(session)
    assert result.intact and result.count == 10


def test_a_failed_commit_fails_every_waiter_and_the_next_write_works(small_hub, monkeypatch):
    writer = AuditWriter(small_hub.sessions)
    real = audit._chain
    calls = {"n": 0}

    def broken_once(last, events):  # fails inside the append, on either database's path
        calls["n"] += 1
        if calls["n"] == 1:
            raise AuditUnavailable("disk full")
        return real(last, events)

    monkeypatch.setattr(audit, "_chain", broken_once)
    with pytest.raises(AuditUnavailable):
        writer.write(read_event(1, ("x",)))
    assert writer.write(read_event(2, ("y",))) == 1  # nothing of the failed batch was kept
