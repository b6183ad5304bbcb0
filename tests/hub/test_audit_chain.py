"""The audit log is tamper-evident, totally ordered, and fail-closed."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.audit import chain
from hub.audit import service as audit
from hub.audit.events import TokenIssued
from hub.db import session_scope
from hub.settings import Settings
from hub.state import HubState
from hub.store import migrate

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = 23  # checkpoints at 5, 10, 15, 20


@pytest.fixture
def small_hub(settings: Settings) -> Iterator[HubState]:
    state = HubState.build(settings.model_copy(update={"audit_checkpoint_every": 5}))
    migrate(state.engine)
    for i in range(ENTRIES):
        with session_scope(state.sessions) as session:
            audit.append(session, TokenIssued(principal=f"user-{i}", agency="thue"))
    yield state
    state.close()


def _verify(hub: HubState) -> chain.Verification:
    with hub.sessions() as session:
        return audit.verify(session)


def _exec(hub: HubState, sql: str, **params) -> None:
    with hub.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _change(hub: HubState, k: int) -> int:
    _exec(hub, "UPDATE audit_log SET principal = 'mallory' WHERE seq = :k", k=k)
    return k


def _delete(hub: HubState, k: int) -> int:
    _exec(hub, "DELETE FROM audit_log WHERE seq = :k", k=k)
    return k


def _reorder(hub: HubState, k: int) -> int:
    j = k + 2
    _exec(hub, "UPDATE audit_log SET seq = -1 WHERE seq = :k", k=k)
    _exec(hub, "UPDATE audit_log SET seq = :k WHERE seq = :j", k=k, j=j)
    _exec(hub, "UPDATE audit_log SET seq = :j WHERE seq = -1", j=j)
    return k


def _insert(hub: HubState, k: int) -> int:
    """A forged entry slipped in at k with a valid hash; the next entry no longer links."""
    _exec(hub, "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= :k", k=k)
    _exec(hub, "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000")
    with hub.sessions() as session:
        prev = session.scalar(sa.text("SELECT hash FROM audit_log WHERE seq = :p"), {"p": k - 1})
        row = dict(
            session.execute(sa.text("SELECT * FROM audit_log WHERE seq = :s"), {"s": k + 1})
            .mappings()
            .one()
        )
    forged = _typed({**row, "seq": k, "principal": "mallory", "prev_hash": prev})
    forged["hash"] = chain.entry_hash(forged)
    with hub.sessions.begin() as session:
        session.execute(sa.insert(audit.AuditEntry), [forged])
    return k + 1


def _typed(row: dict) -> dict:
    """A raw SQL row (SQLite gives text for dates and JSON) as the model's values."""
    out = dict(row)
    if isinstance(out["at"], str):
        out["at"] = datetime.fromisoformat(out["at"])
    if out["at"].tzinfo is None:
        out["at"] = out["at"].replace(tzinfo=UTC)
    for key in ("fields", "record_keys", "detail"):
        if isinstance(out[key], str):
            out[key] = json.loads(out[key])
    return out


def _truncate(hub: HubState, k: int) -> int:
    _exec(hub, "DELETE FROM audit_log WHERE seq >= :k", k=k)
    return k


def _rehash(hub: HubState, k: int) -> int:
    """Change entry k and recompute every hash after it: only the checkpoints catch this."""
    with hub.sessions.begin() as session:
        entries = list(audit.iter_entries(session))
        prev = entries[k - 2]["hash"] if k > 1 else chain.GENESIS
        for entry in entries[k - 1 :]:
            entry = dict(entry)
            if entry["seq"] == k:
                entry["principal"] = "mallory"
            entry["prev_hash"] = prev
            entry["hash"] = chain.entry_hash(entry)
            session.execute(
                sa.update(audit.AuditEntry)
                .where(audit.AuditEntry.seq == entry["seq"])
                .values(
                    principal=entry["principal"], prev_hash=entry["prev_hash"], hash=entry["hash"]
                )
            )
            prev = entry["hash"]
    return (k - 1) // 5 * 5 + 1  # first entry after the last intact checkpoint


TAMPERS: dict[str, Callable[[HubState, int], int]] = {
    "change": _change,  # an entry's content edited
    "delete": _delete,  # an entry removed from the middle
    "reorder": _reorder,  # two entries swapped
    "insert": _insert,  # a forged entry added
    "truncate": _truncate,  # the tail cut below a checkpoint
    "rehash": _rehash,  # an edit with every later hash recomputed
}


@pytest.mark.parametrize("how", list(TAMPERS))
@pytest.mark.parametrize("seed", [1, 2])
def test_tampering_is_found_at_the_first_bad_entry(small_hub, how, seed):
    assert _verify(small_hub) == chain.Verification(True, ENTRIES)
    k = random.Random(f"{how}-{seed}").randint(2, 18)
    expected = TAMPERS[how](small_hub, k)
    result = _verify(small_hub)
    assert not result.intact
    assert result.first_bad_seq == expected, result.reason


APPENDER = """
import sys
from hub.audit import service as audit
from hub.audit.events import TokenIssued
from hub.db import session_scope
from hub.settings import Settings
from hub.state import HubState
state = HubState.build(Settings(database_url=sys.argv[1], data_dir=sys.argv[2]))
for i in range(int(sys.argv[3])):
    with session_scope(state.sessions) as session:
        audit.append(session, TokenIssued(principal=sys.argv[4] + str(i), agency=None))
"""


def test_two_processes_append_in_one_total_order(hub, settings):
    n = 40
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                APPENDER,
                settings.database_url,
                str(settings.data_dir),
                str(n),
                name,
            ],
            cwd=ROOT,
        )
        for name in ("a-", "b-")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    result = _verify(hub)
    assert result.intact and result.count == 2 * n
    with hub.sessions() as session:
        seqs = session.scalars(sa.text("SELECT seq FROM audit_log ORDER BY seq")).all()
    assert seqs == list(range(1, 2 * n + 1))


BLOCK_SQLITE = """
CREATE TRIGGER no_audit BEFORE INSERT ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit store down'); END
"""
BLOCK_PG = [
    """CREATE FUNCTION no_audit() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit store down'; END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION no_audit()",
]


def _block_audit(hub: HubState) -> None:
    """The audit store refuses writes, as a full disk or a revoked grant would."""
    for sql in [BLOCK_SQLITE] if hub.engine.dialect.name == "sqlite" else BLOCK_PG:
        _exec(hub, sql)


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_no_audit_no_data(client, token, hub, population, fmt):
    _block_audit(hub)
    response = client.get(
        "/v1/datasets/population-registry/records",
        params={"purpose": "tax-administration", "format": fmt},
        headers={"Authorization": f"Bearer {token(agency='thue')}"},
    )
    assert response.status_code == 503
    assert response.json()["type"].endswith("/audit-unavailable")
    assert "citizen_id" not in response.text
