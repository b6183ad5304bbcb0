"""Ingest writes batches with COPY on PostgreSQL: awkward values, duplicates, failures.

The tests that take ``hub`` run on SQLite (executemany through staging) and PostgreSQL.
"""

from __future__ import annotations

import base64
import csv
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connectors.base import RawRow
from connectors.descriptor import load_descriptor
from connectors.validate import RowValidator
from hub.crypto import FieldCipher, aad
from hub.datasets import flows, staging, tables
from hub.datasets.models import DatasetVersion, QuarantinedRow
from tests.hub.conftest import ingest_csv, register

DATASET = "tricky-registry"
DESCRIPTOR = f"""
id: {DATASET}
title: Values that need escaping
agency: cong-an
classification: restricted
primary_key: citizen_id
source: {{connector: csv, path: tricky.csv}}
fields:
  - {{name: citizen_id, type: string, pii: VN_CCCD, required: true}}
  - {{name: full_name, type: string, pii: PERSON}}
  - {{name: phone, type: string, pii: PHONE_NUMBER}}
  - {{name: notes, type: text}}
  - {{name: remarks, type: text, pii: FREE_TEXT}}
  - {{name: visits, type: integer}}
  - {{name: score, type: number}}
  - {{name: active, type: boolean}}
  - {{name: born, type: date}}
  - {{name: seen_at, type: datetime}}
"""
HEADER = [
    "citizen_id", "full_name", "phone", "notes", "remarks",
    "visits", "score", "active", "born", "seen_at",
]  # fmt: skip
# notes is not personal data: its text reaches COPY as it is, so it carries the escapes
AWKWARD = [
    'tab\there, comma, "quoted"',
    "line one\nline two\r\nline three\rafter a carriage return",
    "back\\slash \\N \\t \\\\ not escapes",
    "\\N",
    "\\.",
    "  kept whitespace  ",
    "Nguyễn Thị Châu, Phường Bến Thành",
]
ROWS = [
    # batch 1 (BATCH rows a batch): a key repeated within the batch
    ["079304000001", "Nguyễn Văn An", "0903000001", AWKWARD[0], AWKWARD[1], "3", "12.5", "có",
     "2004-07-22", "2024-05-01T08:30:00+07:00"],
    ["079304000002", "Trần Thị Bích", "", AWKWARD[1], AWKWARD[0], "", "", "", "", ""],
    ["079304000001", "Someone Else", "0903999999", "dup", "dup", "1", "1", "true",
     "2000-01-01", ""],
    ["079304000003", 'Lê "Ba", Tư\tNăm', "0903000003", AWKWARD[2], AWKWARD[2], "-7", "1e-7",
     "không", "22/07/1999", "01/05/2024 08:30"],
    # batch 2: nulls and the literal text \N (not a null)
    ["079304000004", "", "", "", "", "", "", "", "", ""],
    ["079304000005", "\\N", "0903000005", AWKWARD[3], AWKWARD[3], "0", "0", "false",
     "1990-12-31", "2023-12-31T23:59:59Z"],
    ["079304000006", "Phạm Thị Hoa", "0903000006", AWKWARD[4], AWKWARD[4], "42", "-3.25",
     "yes", "1985-01-01", ""],
    ["079304000007", "Đặng Quốc Việt", "0903000007", AWKWARD[5], AWKWARD[5], "", "", "no",
     "", ""],
    # batch 3: keys of batch 1 again; on PostgreSQL this batch goes through staging
    ["079304000002", "Trần Thị Bích (again)", "", "dup", "dup", "", "", "", "", ""],
    ["079304000008", "Vũ Hải Yến", "0903000008", AWKWARD[6], AWKWARD[6], "5", "2", "1",
     "2001-02-03", "2024-02-29T12:00:00+00:00"],
    ["079304000009", "Hồ Minh Khôi", "0903000009", AWKWARD[0], AWKWARD[1], "9", "9.75",
     "0", "2002-03-04", ""],
    ["079304000001", "Third Time", "", "dup", "dup", "", "", "", "", ""],
    # batch 4
    ["079304000010", "Ngô Bảo Châu", "0903000010", AWKWARD[1], AWKWARD[2], "10", "10",
     "true", "1972-06-28", "2024-01-01T00:00:00+07:00"],
]  # fmt: skip
BATCH = 4
DUPLICATES = {3, 9, 12}  # row numbers: the first row with a key wins


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each way into the version table ran."""
    counts = {"copy": 0, "staging": 0, "executemany": 0}

    def spy(name: str, real: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            counts[name] += 1
            return real(*args)

        return wrapper

    monkeypatch.setattr(staging, "_copy_in", spy("copy", staging._copy_in))
    monkeypatch.setattr(staging, "_through_staging", spy("staging", staging._through_staging))
    monkeypatch.setattr(staging, "_executemany_in", spy("executemany", staging._executemany_in))
    return counts


def _register(hub: Any, tmp_path: Path) -> Path:
    register(hub, load_descriptor(DESCRIPTOR, source="tricky.yaml"), tmp_path)
    path = tmp_path / "tricky.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *ROWS])
    return path


def _ingest(hub: Any, path: Path, **kwargs: Any) -> flows.IngestResult:
    return ingest_csv(hub, DATASET, path, batch_size=BATCH, max_rejected_ratio=0.5, **kwargs)


def _typed(numbers: set[int]) -> dict[int, dict[str, Any]]:
    """The rows as validation types them, by row number."""
    spec = load_descriptor(DESCRIPTOR, source="tricky.yaml")
    raw = [
        RawRow(n, {k: v or None for k, v in zip(HEADER, row, strict=True)})
        for n, row in enumerate(ROWS, start=1)
        if n in numbers
    ]
    valid, rejected = RowValidator(spec.fields, spec.primary_key).validate(raw)
    assert not rejected, rejected
    return {r.number: v for r, v in zip(raw, valid, strict=True)}


def _stored(hub: Any) -> tuple[DatasetVersion, list[dict[str, Any]]]:
    """The ready version and its rows, decrypted."""
    with hub.sessions() as session:
        version = session.scalars(
            sa.select(DatasetVersion).where(DatasetVersion.status == "ready")
        ).one()
    spec = load_descriptor(DESCRIPTOR, source="tricky.yaml")
    lay = tables.layout(DATASET, spec.fields, spec.primary_key)
    table = lay.table(version.table_name)
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(table)).mappings().all()
    columns = {f.name: [r[f.name] for r in rows] for f in lay.fields}
    keys = [r[lay.key_column] for r in rows]
    plain = tables.decode_columns(lay, columns, keys, hub.cipher)
    return version, [
        dict(zip(plain, values, strict=True)) for values in zip(*plain.values(), strict=True)
    ]


def test_awkward_values_and_duplicates_round_trip(hub, db_url, tmp_path, calls):
    path = _register(hub, tmp_path)
    result = _ingest(hub, path)

    firsts = set(range(1, len(ROWS) + 1)) - DUPLICATES
    assert (result.rows_read, result.rows_written, result.rows_rejected) == (13, 10, 3)
    version, stored = _stored(hub)
    expected = _typed(firsts)
    assert sorted(stored, key=lambda r: r["citizen_id"]) == [expected[n] for n in sorted(firsts)]
    by_id = {r["citizen_id"]: r for r in stored}
    # the first row with a key is the one kept, in the batch and across batches
    assert by_id["079304000001"]["full_name"] == "Nguyễn Văn An"
    assert by_id["079304000002"]["full_name"] == "Trần Thị Bích"
    # \N is text, not a null; an empty value is a null; whitespace of text is kept
    assert by_id["079304000005"]["notes"] == "\\N" and by_id["079304000005"]["full_name"] == "\\N"
    assert by_id["079304000006"]["notes"] == "\\."
    assert set(by_id["079304000004"].values()) == {"079304000004", None}
    assert by_id["079304000007"]["notes"] == "  kept whitespace  "
    assert by_id["079304000003"]["born"] == date(1999, 7, 22)
    assert isinstance(by_id["079304000001"]["seen_at"], datetime)

    if db_url.startswith("postgresql"):
        # straight COPY for batches 1, 2 and 4; batch 3 repeats keys, so it is staged
        assert calls == {"copy": 4, "staging": 1, "executemany": 0}
    else:
        assert calls == {"copy": 0, "staging": 0, "executemany": 4}
    _assert_quarantined(hub, version)


def _assert_quarantined(hub: Any, version: DatasetVersion) -> None:
    with hub.sessions() as session:
        quarantined = session.scalars(
            sa.select(QuarantinedRow).where(QuarantinedRow.version_id == version.id)
        ).all()
    assert {q.row_number for q in quarantined} == DUPLICATES
    expected = _typed(DUPLICATES)
    for q in quarantined:
        assert q.reason == "citizen_id: duplicate primary key; the first row with this key wins"
        bound = aad(DATASET, "__quarantine__", f"{version.id}:{q.row_number}")
        values = json.loads(hub.cipher.decrypt(q.values["encrypted"], bound))
        assert values == {k: _jsonable(v) for k, v in expected[q.row_number].items()}


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, date | datetime) else value


@pytest.mark.parametrize("broken", ["encode_rows", "insert_new"])
def test_a_failing_batch_keeps_the_previous_version(hub, tmp_path, monkeypatch, broken):
    # encode_rows runs in the ingest's thread, insert_new in its writer thread
    path = _register(hub, tmp_path)
    assert _ingest(hub, path).version == 1
    module = tables if broken == "encode_rows" else staging
    real = getattr(module, broken)
    calls: list[int] = []

    def fail_on_the_third_batch(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError(f"{broken} broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, broken, fail_on_the_third_batch)
    with pytest.raises(RuntimeError, match=f"{broken} broke"):
        _ingest(hub, path)

    assert len(calls) == 3  # the fourth batch was never started
    version, stored = _stored(hub)
    assert version.number == 1 and len(stored) == 10
    with hub.sessions() as session:
        attempt = session.scalars(sa.select(DatasetVersion).where(DatasetVersion.number == 2)).one()
    assert attempt.status == "failed" and f"{broken} broke" in (attempt.error or "")
    assert not sa.inspect(hub.engine).has_table(attempt.table_name)


# -- the pieces -----------------------------------------------------------------------------
def test_copy_text_escapes_and_nulls():
    columns = [["a\tb", None, "\\N", "x\ny\rz\\"], [1, 2.5, None, True]]
    assert staging.copy_text(columns) == ("a\\tb\t1\n\\N\t2.5\n\\\\N\t\\N\nx\\ny\\rz\\\\\ttrue\n")
    assert staging.copy_text([[date(2024, 2, 29)]]) == "2024-02-29\n"
    with pytest.raises(ValueError, match="NUL"):
        staging.copy_text([["tab\tand\0nul", "b"]])


def test_ciphertexts_keep_their_format_both_ways():
    keys = {"k1": os.urandom(32), "k2": os.urandom(32)}
    cipher = FieldCipher(keys, "k2", os.urandom(32))
    values = ["Nguyễn Thị Châu", None, "", "x" * 1000, "0903000001"]
    bound = [aad("d", "f", str(i)) for i in range(len(values))]
    tokens = cipher.encrypt_column(values, bound)
    assert tokens[1] is None
    for token, value, ad in zip(tokens, values, bound, strict=True):
        if value is not None:
            assert _old_decrypt(keys, token, ad) == value  # readable as before
    old = [
        None if v is None else _old_encrypt(keys["k1"], "k1", v, ad)
        for v, ad in zip(values, bound, strict=True)
    ]
    assert cipher.decrypt_column(old, bound) == values
    assert cipher.blind_column("VN_CCCD", ["079304000001"]) == [
        cipher.blind("VN_CCCD", "079304000001")
    ]


def _old_encrypt(key: bytes, kid: str, value: str, ad: bytes) -> str:
    """FieldCipher.encrypt_column as it was written before it was made faster."""
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), ad)
    return f"v1:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _old_decrypt(keys: dict[str, bytes], token: str, ad: bytes) -> str:
    prefix, kid, body = token.split(":", 2)
    assert prefix == "v1" and len(body) % 4 == 0  # padded, as encrypt_column wrote it
    raw = base64.urlsafe_b64decode(body)
    return AESGCM(keys[kid]).decrypt(raw[:12], raw[12:], ad).decode()
